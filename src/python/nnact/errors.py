"""Exceptions: one class per nnact_status, each also the builtin a Python
user expects (a bad argument is a ValueError, no device a RuntimeError, ...).

Every exception carries .status (the status name, e.g. "NNACT_ERR_SHAPE"),
.code (its number) and the library's own message as str(e).
"""
from ._lib import ffi, lib


class NnactError(Exception):
    """Base class of every error the library reports."""

    status = "NNACT_ERR"
    code = -1

    def __init__(self, message, status=None, code=None):
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status
        if code is not None:
            self.code = code

    def __str__(self):
        return self.message

    def __reduce__(self):  # picklable, as CuPy's errors are
        return (type(self), (self.message, self.status, self.code))


class InvalidArgumentError(NnactError, ValueError):
    """A NULL or bad parameter, an unknown name, a tensor of another context."""


class ShapeError(NnactError, ValueError):
    """Tensor shapes that do not fit the operation."""


class DeviceNotFoundError(NnactError, RuntimeError):
    """No OpenCL platform, or no device matches the selector."""


class DeviceMemoryError(NnactError, MemoryError):
    """A host or device allocation failed."""


class BuildError(NnactError, RuntimeError):
    """A kernel failed to build; the message holds the build log."""


class UnsupportedError(NnactError, RuntimeError):
    """The device or queue lacks a needed feature."""


class NnactIOError(NnactError, OSError):
    """A file could not be read or written, or is malformed."""


class OpenCLError(NnactError, RuntimeError):
    """Another OpenCL error; the message names it."""


class CommError(NnactError, RuntimeError):
    """Replicas disagree, or communication between them failed (MPI's message)."""


_BY_STATUS = {
    lib.NNACT_ERR_INVALID_ARG: InvalidArgumentError,
    lib.NNACT_ERR_SHAPE: ShapeError,
    lib.NNACT_ERR_NO_PLATFORM: DeviceNotFoundError,
    lib.NNACT_ERR_DEVICE_NOT_FOUND: DeviceNotFoundError,
    lib.NNACT_ERR_OUT_OF_MEMORY: DeviceMemoryError,
    lib.NNACT_ERR_BUILD: BuildError,
    lib.NNACT_ERR_UNSUPPORTED: UnsupportedError,
    lib.NNACT_ERR_IO: NnactIOError,
    lib.NNACT_ERR_OPENCL: OpenCLError,
    lib.NNACT_ERR_COMM: CommError,
}


def error_for(status):
    """The exception for a failed call. Reads nnact_last_error() at once: it
    is valid only until the next nnact call on this thread."""
    message = ffi.string(lib.nnact_last_error()).decode("utf-8", "replace")
    name = ffi.string(lib.nnact_status_string(status)).decode()
    cls = _BY_STATUS.get(status, NnactError)
    return cls(message or name, name, int(status))


def check(status):
    """Raises the status's exception unless it is NNACT_OK."""
    if status != 0:
        raise error_for(status)
