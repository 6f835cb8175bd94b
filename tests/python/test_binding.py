"""The binding itself: every public function of nnact.h declared, the
declarations checked by the compiler, the versions agree."""
import os
import re
import shutil
import subprocess
import sys
import sysconfig

import pytest

import nnact
from nnact import _lib

PKG = os.path.dirname(nnact.__file__)
HEADER = os.environ.get("NNACT_HEADER") or os.path.join(PKG, "..", "..", "..", "include",
                                                        "nnact.h")


def header_functions():
    text = re.sub(r"/\*.*?\*/", "", open(HEADER).read(), flags=re.S)
    return set(re.findall(r"NNACT_API\s[^;(]*?\b(nnact_\w+)\s*\(", text))


def cdef_functions():
    text = re.sub(r"/\*.*?\*/", "", open(os.path.join(PKG, "_cdef_funcs.h")).read(), flags=re.S)
    return set(re.findall(r"\b(nnact_\w+)\s*\(", text))


def test_every_public_function_is_declared():
    header = header_functions()
    assert len(header) >= 86, "the header parser found too few functions: %d" % len(header)
    missing = header - cdef_functions()
    assert not missing, "public functions of nnact.h missing from _cdef_funcs.h: %s" % (
        ", ".join(sorted(missing)))
    extra = cdef_functions() - header
    assert not extra, "declared but not in nnact.h: %s" % ", ".join(sorted(extra))


def test_every_declaration_is_callable():
    for name in cdef_functions():
        assert hasattr(_lib.lib, name), name


def test_versions_agree():
    assert nnact.__version__ == nnact.library_version
    want = os.environ.get("NNACT_PROJECT_VERSION")
    if want:
        assert nnact.library_version == want


@pytest.mark.skipif(not shutil.which("cc"), reason="no C compiler to check the mechanism")
def test_a_wrong_declaration_does_not_compile(tmp_path):
    """The generated source redeclares every function after nnact.h: a
    declaration that differs from the header's is a compile error."""
    src = open(os.path.join(PKG, "_cdef_funcs.h")).read()
    wrong = src.replace("nnact_status nnact_tensor_create(nnact_ctx *ctx, size_t rows,",
                        "nnact_status nnact_tensor_create(nnact_ctx *ctx, int rows,")
    assert wrong != src
    inc = os.path.dirname(os.path.abspath(HEADER))
    for text, ok in ((src, True), (wrong, False)):
        f = tmp_path / "check.c"
        f.write_text('#include "nnact.h"\n' + text)
        r = subprocess.run(["cc", "-fsyntax-only", "-I", inc, str(f)], capture_output=True,
                           text=True)
        assert (r.returncode == 0) == ok, r.stderr


def test_import_is_quick():
    r = subprocess.run([sys.executable, "-X", "importtime", "-c", "import nnact"],
                       capture_output=True, text=True, env=os.environ)
    assert r.returncode == 0, r.stderr
    total = [ln for ln in r.stderr.splitlines() if ln.rstrip().endswith("| nnact")]
    us = int(total[-1].split("|")[1])
    assert us < 500_000, "import nnact took %.0f ms" % (us / 1e3)


def test_version_function_in_c():
    assert re.fullmatch(r"\d+\.\d+\.\d+", _lib.LIBRARY_VERSION)
