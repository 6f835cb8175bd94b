/* Device enumeration: turns the OpenCL platform/device lists into
 * nnact_device_info records and resolves selectors against them. */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void get_str(cl_device_id d, cl_device_info what, char *dst, size_t cap)
{
    dst[0] = '\0';
    if (clGetDeviceInfo(d, what, cap, dst, NULL) != CL_SUCCESS)
        snprintf(dst, cap, "?");
    dst[cap - 1] = '\0';
}

static bool has_extension(cl_device_id d, const char *ext)
{
    size_t len = 0;
    if (clGetDeviceInfo(d, CL_DEVICE_EXTENSIONS, 0, NULL, &len) != CL_SUCCESS || !len)
        return false;
    char *buf = malloc(len + 1);
    if (!buf)
        return false;
    bool found = false;
    if (clGetDeviceInfo(d, CL_DEVICE_EXTENSIONS, len, buf, NULL) == CL_SUCCESS) {
        buf[len] = '\0';
        size_t el = strlen(ext);
        for (char *p = strstr(buf, ext); p && !found; p = strstr(p + 1, ext))
            found = (p == buf || p[-1] == ' ') && (p[el] == ' ' || p[el] == '\0');
    }
    free(buf);
    return found;
}

void nnact_describe_device(cl_platform_id platform, cl_device_id device,
                           unsigned pidx, unsigned didx, nnact_device_info *info)
{
    memset(info, 0, sizeof *info);
    info->platform_index = pidx;
    info->device_index = didx;
    if (clGetPlatformInfo(platform, CL_PLATFORM_NAME, sizeof info->platform_name,
                          info->platform_name, NULL) != CL_SUCCESS)
        snprintf(info->platform_name, sizeof info->platform_name, "?");
    if (clGetPlatformInfo(platform, CL_PLATFORM_VERSION, sizeof info->platform_version,
                          info->platform_version, NULL) != CL_SUCCESS)
        snprintf(info->platform_version, sizeof info->platform_version, "?");
    info->platform_name[sizeof info->platform_name - 1] = '\0';
    info->platform_version[sizeof info->platform_version - 1] = '\0';
    get_str(device, CL_DEVICE_NAME, info->device_name, sizeof info->device_name);
    get_str(device, CL_DEVICE_VENDOR, info->vendor, sizeof info->vendor);
    get_str(device, CL_DRIVER_VERSION, info->driver_version, sizeof info->driver_version);

    cl_device_type type = 0;
    clGetDeviceInfo(device, CL_DEVICE_TYPE, sizeof type, &type, NULL);
    /* Oclgrind, a simulator, claims every type bit: a device that says it
     * is both a CPU and a GPU is "other", so that "auto" ranks it last and
     * "gpu" does not pick it (select it by name: "oclgrind"). */
    const cl_device_type both = CL_DEVICE_TYPE_CPU | CL_DEVICE_TYPE_GPU;
    info->type = (type & both) == both ? NNACT_DEVICE_OTHER
               : (type & CL_DEVICE_TYPE_GPU) ? NNACT_DEVICE_GPU
               : (type & CL_DEVICE_TYPE_ACCELERATOR) ? NNACT_DEVICE_ACCELERATOR
               : (type & CL_DEVICE_TYPE_CPU) ? NNACT_DEVICE_CPU
               : NNACT_DEVICE_OTHER;
    cl_ulong mem = 0;
    clGetDeviceInfo(device, CL_DEVICE_GLOBAL_MEM_SIZE, sizeof mem, &mem, NULL);
    info->global_mem_bytes = mem;
    cl_uint cu = 0;
    clGetDeviceInfo(device, CL_DEVICE_MAX_COMPUTE_UNITS, sizeof cu, &cu, NULL);
    info->compute_units = cu;
    cl_bool unified = CL_FALSE;
    clGetDeviceInfo(device, CL_DEVICE_HOST_UNIFIED_MEMORY, sizeof unified, &unified, NULL);
    info->host_unified_memory = unified == CL_TRUE;
    cl_uint width = 1;
    clGetDeviceInfo(device, CL_DEVICE_NATIVE_VECTOR_WIDTH_FLOAT, sizeof width, &width, NULL);
    info->native_float_width = width ? width : 1;
    info->fp16 = has_extension(device, "cl_khr_fp16");
    cl_device_fp_config dcfg = 0;
    clGetDeviceInfo(device, CL_DEVICE_DOUBLE_FP_CONFIG, sizeof dcfg, &dcfg, NULL);
    info->fp64 = dcfg != 0 || has_extension(device, "cl_khr_fp64");
}

/* The platform/device handles behind a device list, in listing order. */
typedef struct device_list {
    size_t n;
    nnact_device_info *info;
    cl_platform_id *platform;
    cl_device_id *device;
} device_list;

static void list_free(device_list *l)
{
    free(l->info);
    free(l->platform);
    free(l->device);
    memset(l, 0, sizeof *l);
}

static nnact_status list_devices(device_list *l)
{
    memset(l, 0, sizeof *l);
    cl_uint np = 0;
    cl_int err = clGetPlatformIDs(0, NULL, &np);
    if (err == -1001 /* CL_PLATFORM_NOT_FOUND_KHR: ICD loader found none */ || np == 0)
        return NNACT_OK;
    if (err != CL_SUCCESS)
        return nnact_fail_cl(err, "clGetPlatformIDs");
    cl_platform_id *plats = calloc(np, sizeof *plats);
    if (!plats)
        return nnact_fail(NNACT_ERR_OUT_OF_MEMORY, "listing devices: out of host memory");
    err = clGetPlatformIDs(np, plats, NULL);
    if (err != CL_SUCCESS) {
        free(plats);
        return nnact_fail_cl(err, "clGetPlatformIDs");
    }
    nnact_status st = NNACT_OK;
    for (cl_uint p = 0; p < np && st == NNACT_OK; p++) {
        cl_uint nd = 0;
        err = clGetDeviceIDs(plats[p], CL_DEVICE_TYPE_ALL, 0, NULL, &nd);
        if (err == CL_DEVICE_NOT_FOUND || nd == 0)
            continue; /* a platform without devices lists nothing */
        if (err != CL_SUCCESS) {
            st = nnact_fail_cl(err, "clGetDeviceIDs");
            break;
        }
        cl_device_id *devs = calloc(nd, sizeof *devs);
        size_t n = l->n + nd;
        nnact_device_info *info = realloc(l->info, n * sizeof *info);
        if (info)
            l->info = info;
        cl_platform_id *pl = realloc(l->platform, n * sizeof *pl);
        if (pl)
            l->platform = pl;
        cl_device_id *dv = realloc(l->device, n * sizeof *dv);
        if (dv)
            l->device = dv;
        if (!devs || !info || !pl || !dv) {
            free(devs);
            st = nnact_fail(NNACT_ERR_OUT_OF_MEMORY, "listing devices: out of host memory");
            break;
        }
        err = clGetDeviceIDs(plats[p], CL_DEVICE_TYPE_ALL, nd, devs, NULL);
        if (err != CL_SUCCESS) {
            free(devs);
            st = nnact_fail_cl(err, "clGetDeviceIDs");
            break;
        }
        for (cl_uint d = 0; d < nd; d++) {
            nnact_describe_device(plats[p], devs[d], p, d, &l->info[l->n]);
            l->platform[l->n] = plats[p];
            l->device[l->n] = devs[d];
            l->n++;
        }
        free(devs);
    }
    free(plats);
    if (st != NNACT_OK)
        list_free(l);
    return st;
}

nnact_status nnact_devices(nnact_device_info *out, size_t cap, size_t *count)
{
    if (!count)
        return nnact_fail(NNACT_ERR_INVALID_ARG, "nnact_devices: count is NULL");
    if (!out && cap)
        return nnact_fail(NNACT_ERR_INVALID_ARG,
                          "nnact_devices: out is NULL but cap is %zu", cap);
    *count = 0;
    device_list l;
    nnact_status st = list_devices(&l);
    if (st != NNACT_OK)
        return st;
    for (size_t i = 0; i < l.n && i < cap; i++)
        out[i] = l.info[i];
    *count = l.n;
    list_free(&l);
    return NNACT_OK;
}

nnact_status nnact_resolve_device(const char *selector, nnact_device_info *info,
                                  cl_platform_id *platform, cl_device_id *device,
                                  char *why, size_t why_cap)
{
    const char *source = "argument";
    if (!selector) {
        selector = getenv("NNACT_DEVICE");
        source = "NNACT_DEVICE";
        if (!selector)
            selector = "", source = "default";
    }
    device_list l;
    nnact_status st = list_devices(&l);
    if (st != NNACT_OK)
        return st;
    if (l.n == 0)
        return nnact_fail(NNACT_ERR_NO_PLATFORM,
                          "no OpenCL platform with a device was found; install an "
                          "OpenCL ICD such as pocl (Debian: apt-get install "
                          "pocl-opencl-icd) or your GPU vendor's driver");
    size_t idx = 0;
    char detail[768] = "";
    st = nnact_select_from(l.info, l.n, selector, &idx, detail, sizeof detail);
    if (st == NNACT_OK) {
        if (info)
            *info = l.info[idx];
        if (platform)
            *platform = l.platform[idx];
        if (device)
            *device = l.device[idx];
        if (why && why_cap)
            snprintf(why, why_cap, "%s (from %s)", detail, source);
    }
    list_free(&l);
    return st;
}

nnact_status nnact_device_select(const char *selector, nnact_device_info *chosen)
{
    if (!chosen)
        return nnact_fail(NNACT_ERR_INVALID_ARG, "nnact_device_select: chosen is NULL");
    return nnact_resolve_device(selector, chosen, NULL, NULL, NULL, 0);
}

void nnact_describe_listed(cl_device_id device, nnact_device_info *info)
{
    /* Sub-devices, or devices hidden from the ICD loader, keep UINT_MAX
     * indices. */
    device_list l;
    if (list_devices(&l) == NNACT_OK) {
        for (size_t i = 0; i < l.n; i++)
            if (l.device[i] == device) {
                *info = l.info[i];
                list_free(&l);
                return;
            }
        list_free(&l);
    }
    cl_platform_id platform = NULL;
    clGetDeviceInfo(device, CL_DEVICE_PLATFORM, sizeof platform, &platform, NULL);
    nnact_describe_device(platform, device, (unsigned)-1, (unsigned)-1, info);
}
