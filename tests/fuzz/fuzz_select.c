/* libFuzzer harness: the NNACT_DEVICE selector (nnact_select_from, a pure
 * function) over a synthetic device list. Input: byte 0 picks how many of
 * the eight devices exist, byte 1 flips their types, then NUL-separated
 * strings: the selector, then replacement device names (drivers report
 * arbitrary names, so they are input too). */
#include "internal.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

static const struct {
    const char *platform, *name, *vendor;
    nnact_device_type type;
} models[] = {
    {"NVIDIA CUDA", "NVIDIA GeForce RTX 3080", "NVIDIA Corporation", NNACT_DEVICE_GPU},
    {"AMD Accelerated Parallel Processing", "gfx1030", "Advanced Micro Devices, Inc.",
     NNACT_DEVICE_GPU},
    {"AMD Accelerated Parallel Processing", "AMD Ryzen 9 5950X", "AuthenticAMD",
     NNACT_DEVICE_CPU},
    {"Intel(R) OpenCL HD Graphics", "Intel(R) UHD Graphics 770", "Intel(R) Corporation",
     NNACT_DEVICE_GPU},
    {"Portable Computing Language", "pthread-haswell-Intel(R) Core(TM) i7-4770",
     "GenuineIntel", NNACT_DEVICE_CPU},
    {"Xilinx", "xilinx_u250", "Xilinx", NNACT_DEVICE_ACCELERATOR},
    {"ARM Platform", "Mali-G78", "ARM", NNACT_DEVICE_GPU},
    {"Apple", "Apple M1", "Apple", NNACT_DEVICE_GPU},
};
enum { N_MODELS = sizeof models / sizeof models[0] };

/* Copies the next NUL-terminated piece of the input (or its rest) into dst. */
static size_t take(const uint8_t **p, size_t *n, char *dst, size_t cap)
{
    size_t len = 0;
    while (len < *n && (*p)[len])
        len++;
    size_t k = len < cap - 1 ? len : cap - 1;
    memcpy(dst, *p, k);
    dst[k] = '\0';
    size_t used = len < *n ? len + 1 : len;
    *p += used;
    *n -= used;
    return k;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    nnact_device_info devs[N_MODELS];
    size_t n = data[0] % (N_MODELS + 1);
    unsigned flips = data[1];
    data += 2;
    size -= 2;
    char selector[1024];
    take(&data, &size, selector, sizeof selector);
    for (size_t i = 0; i < n; i++) {
        nnact_device_info *d = &devs[i];
        memset(d, 0, sizeof *d);
        d->platform_index = (unsigned)i / 2;
        d->device_index = (unsigned)i % 2;
        snprintf(d->platform_name, sizeof d->platform_name, "%s", models[i].platform);
        snprintf(d->vendor, sizeof d->vendor, "%s", models[i].vendor);
        snprintf(d->device_name, sizeof d->device_name, "%s", models[i].name);
        d->type = flips >> i & 1 ? (nnact_device_type)((models[i].type + 1) % 4)
                                 : models[i].type;
        d->global_mem_bytes = (uint64_t)(i * 7 % 5 + 1) << 30;
        d->host_unified_memory = (int)(i & 1);
        if (size)
            take(&data, &size, d->device_name, sizeof d->device_name);
    }
    size_t chosen = SIZE_MAX;
    char why[512];
    nnact_status st = nnact_select_from(devs, n, selector, &chosen, why, sizeof why);
    if (st == NNACT_OK && chosen >= n)
        __builtin_trap(); /* success must name a listed device */
    if (st != NNACT_OK && st != NNACT_ERR_DEVICE_NOT_FOUND)
        __builtin_trap();
    return 0;
}
