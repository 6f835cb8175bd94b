"""Loads the cffi API-mode extension and checks it runs the library it was
compiled against (as pyvips compares its wrapper with vips_version())."""
try:
    from _nnact_cffi import ffi, lib
except ImportError as e:  # pragma: no cover - depends on the installation
    raise ImportError(
        "nnact: the compiled extension _nnact_cffi is missing (%s). It is built by "
        "meson with libnnact-cl when python3-cffi, python3-numpy and python3-dev are "
        "installed; from a build tree run 'meson devenv -C build' first." % e) from e

HEADER_VERSION = "%d.%d.%d" % (lib.NNACT_VERSION_MAJOR, lib.NNACT_VERSION_MINOR,
                               lib.NNACT_VERSION_PATCH)
LIBRARY_VERSION = ffi.string(lib.nnact_version()).decode()
if LIBRARY_VERSION != HEADER_VERSION:  # pragma: no cover - a broken installation
    raise ImportError("nnact: the extension was compiled against libnnact-cl %s but "
                      "loaded libnnact-cl %s; rebuild the package against the "
                      "installed library" % (HEADER_VERSION, LIBRARY_VERSION))

# Counters the tests and benchmarks read: host copies made to reach the
# device, and blocking reads from it.
stats = {"host_copies": 0, "blocking_reads": 0}
