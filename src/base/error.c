/* Status names and the per-thread message of the last failure. */
#include "internal.h"

#include <stdarg.h>
#include <stdio.h>

/* Large enough for a kernel build log excerpt or a full device list. */
static _Thread_local char last_error[8192];

static const char *const status_names[] = {
    [NNACT_OK] = "NNACT_OK",
    [NNACT_ERR_INVALID_ARG] = "NNACT_ERR_INVALID_ARG",
    [NNACT_ERR_SHAPE] = "NNACT_ERR_SHAPE",
    [NNACT_ERR_NO_PLATFORM] = "NNACT_ERR_NO_PLATFORM",
    [NNACT_ERR_DEVICE_NOT_FOUND] = "NNACT_ERR_DEVICE_NOT_FOUND",
    [NNACT_ERR_OUT_OF_MEMORY] = "NNACT_ERR_OUT_OF_MEMORY",
    [NNACT_ERR_BUILD] = "NNACT_ERR_BUILD",
    [NNACT_ERR_UNSUPPORTED] = "NNACT_ERR_UNSUPPORTED",
    [NNACT_ERR_IO] = "NNACT_ERR_IO",
    [NNACT_ERR_OPENCL] = "NNACT_ERR_OPENCL",
    [NNACT_ERR_COMM] = "NNACT_ERR_COMM",
};

const char *nnact_status_string(nnact_status status)
{
    if ((unsigned)status < sizeof status_names / sizeof status_names[0] &&
        status_names[status])
        return status_names[status];
    return "unknown status";
}

const char *nnact_last_error(void) { return last_error; }

nnact_status nnact_set_error(nnact_status status, const char *message)
{
    return nnact_fail(status, "%s", message ? message : "");
}

nnact_status nnact_fail(nnact_status status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_error, sizeof last_error, fmt, ap);
    va_end(ap);
    return status;
}

const char *nnact_cl_error_name(cl_int err)
{
    switch (err) {
#define E(x) case x: return #x;
    E(CL_SUCCESS) E(CL_DEVICE_NOT_FOUND) E(CL_DEVICE_NOT_AVAILABLE)
    E(CL_COMPILER_NOT_AVAILABLE) E(CL_MEM_OBJECT_ALLOCATION_FAILURE)
    E(CL_OUT_OF_RESOURCES) E(CL_OUT_OF_HOST_MEMORY)
    E(CL_PROFILING_INFO_NOT_AVAILABLE) E(CL_MEM_COPY_OVERLAP)
    E(CL_IMAGE_FORMAT_MISMATCH) E(CL_IMAGE_FORMAT_NOT_SUPPORTED)
    E(CL_BUILD_PROGRAM_FAILURE) E(CL_MAP_FAILURE)
    E(CL_MISALIGNED_SUB_BUFFER_OFFSET)
    E(CL_EXEC_STATUS_ERROR_FOR_EVENTS_IN_WAIT_LIST)
    E(CL_COMPILE_PROGRAM_FAILURE) E(CL_LINKER_NOT_AVAILABLE)
    E(CL_LINK_PROGRAM_FAILURE) E(CL_DEVICE_PARTITION_FAILED)
    E(CL_KERNEL_ARG_INFO_NOT_AVAILABLE) E(CL_INVALID_VALUE)
    E(CL_INVALID_DEVICE_TYPE) E(CL_INVALID_PLATFORM) E(CL_INVALID_DEVICE)
    E(CL_INVALID_CONTEXT) E(CL_INVALID_QUEUE_PROPERTIES)
    E(CL_INVALID_COMMAND_QUEUE) E(CL_INVALID_HOST_PTR)
    E(CL_INVALID_MEM_OBJECT) E(CL_INVALID_IMAGE_FORMAT_DESCRIPTOR)
    E(CL_INVALID_IMAGE_SIZE) E(CL_INVALID_SAMPLER) E(CL_INVALID_BINARY)
    E(CL_INVALID_BUILD_OPTIONS) E(CL_INVALID_PROGRAM)
    E(CL_INVALID_PROGRAM_EXECUTABLE) E(CL_INVALID_KERNEL_NAME)
    E(CL_INVALID_KERNEL_DEFINITION) E(CL_INVALID_KERNEL)
    E(CL_INVALID_ARG_INDEX) E(CL_INVALID_ARG_VALUE) E(CL_INVALID_ARG_SIZE)
    E(CL_INVALID_KERNEL_ARGS) E(CL_INVALID_WORK_DIMENSION)
    E(CL_INVALID_WORK_GROUP_SIZE) E(CL_INVALID_WORK_ITEM_SIZE)
    E(CL_INVALID_GLOBAL_OFFSET) E(CL_INVALID_EVENT_WAIT_LIST)
    E(CL_INVALID_EVENT) E(CL_INVALID_OPERATION) E(CL_INVALID_GL_OBJECT)
    E(CL_INVALID_BUFFER_SIZE) E(CL_INVALID_MIP_LEVEL)
    E(CL_INVALID_GLOBAL_WORK_SIZE) E(CL_INVALID_PROPERTY)
    E(CL_INVALID_IMAGE_DESCRIPTOR) E(CL_INVALID_COMPILER_OPTIONS)
    E(CL_INVALID_LINKER_OPTIONS) E(CL_INVALID_DEVICE_PARTITION_COUNT)
#undef E
    case -1001: return "CL_PLATFORM_NOT_FOUND_KHR";
    default: return "unknown OpenCL error";
    }
}

nnact_status nnact_cl_status(cl_int err)
{
    if (err == CL_BUILD_PROGRAM_FAILURE) /* as CLBlast passes it through */
        return NNACT_ERR_BUILD;
    if (err == CL_OUT_OF_HOST_MEMORY || err == CL_MEM_OBJECT_ALLOCATION_FAILURE ||
        err == CL_OUT_OF_RESOURCES || err == CL_INVALID_BUFFER_SIZE)
        return NNACT_ERR_OUT_OF_MEMORY;
    return NNACT_ERR_OPENCL;
}

nnact_status nnact_fail_cl(cl_int err, const char *what)
{
    return nnact_fail(nnact_cl_status(err), "%s: %s (%d)", what, nnact_cl_error_name(err),
                      (int)err);
}
