/* nnact-info: lists every OpenCL platform and device, marks the one the
 * selector picks, and with --selftest runs every kernel once against the
 * independent host reference (selftest.c). Built only on the public header. */
#include <nnact.h>

#include "selftest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int list_devices(const char *selector)
{
    size_t n = 0;
    nnact_status st = nnact_devices(NULL, 0, &n);
    if (st != NNACT_OK) {
        fprintf(stderr, "nnact-info: %s\n", nnact_last_error());
        return 1;
    }
    if (n == 0) {
        printf("No OpenCL platform or device found. Install an ICD such as pocl "
               "(Debian: apt-get install pocl-opencl-icd) or a GPU driver.\n");
        return 1;
    }
    nnact_device_info *devs = calloc(n, sizeof *devs);
    if (!devs || nnact_devices(devs, n, &n) != NNACT_OK) {
        fprintf(stderr, "nnact-info: %s\n", devs ? nnact_last_error() : "out of memory");
        free(devs);
        return 1;
    }
    nnact_device_info chosen;
    st = nnact_device_select(selector, &chosen);
    const char *shown = selector ? selector : getenv("NNACT_DEVICE");
    printf("%-5s %-11s %-8s %9s %4s %-4s %-4s  %s\n", "P:D", "type", "vendor", "memory",
           "CUs", "fp16", "fp64", "device  [platform]");
    for (size_t i = 0; i < n; i++) {
        const nnact_device_info *d = &devs[i];
        int mark = st == NNACT_OK && d->platform_index == chosen.platform_index &&
                   d->device_index == chosen.device_index;
        char idx[24];
        snprintf(idx, sizeof idx, "%u:%u", d->platform_index, d->device_index);
        printf("%-5s %-11s %-8.8s %6.1f GiB %4u %-4s %-4s  %s  [%s, %s, driver %s]%s\n",
               idx, nnact_device_type_name(d->type), d->vendor,
               (double)d->global_mem_bytes / (1024.0 * 1024.0 * 1024.0),
               d->compute_units, d->fp16 ? "yes" : "no", d->fp64 ? "yes" : "no",
               d->device_name, d->platform_name, d->platform_version,
               d->driver_version, mark ? "   <- selected" : "");
    }
    if (st == NNACT_OK) {
        printf("\nSelected %u:%u '%s' (selector '%s').\n", chosen.platform_index,
               chosen.device_index, chosen.device_name, shown && *shown ? shown : "auto");
        nnact_ctx *ctx = NULL;
        char path[2400];
        if (nnact_ctx_create(&ctx, selector) == NNACT_OK) {
            static const char *const source[] = {
                [NNACT_TUNING_NONE] = "CLBlast's own (nothing tuned for this device; "
                                      "nnact-train tunes at the fast level, or run "
                                      "nnact-tune)",
                [NNACT_TUNING_FILE] = "this device's tuning file",
                [NNACT_TUNING_SHIPPED] = "the shipped database (this device's class)",
                [NNACT_TUNING_ENV] = "NNACT_CLBLAST_PARAMS",
                [NNACT_TUNING_OVERRIDE] = "nnact_clblast_override"};
            printf("CLBlast parameters: %s\n  from %s\n", nnact_ctx_tuning(ctx),
                   source[nnact_ctx_tuning_source(ctx)]);
            if (nnact_tuning_path(ctx, path, sizeof path) == NNACT_OK)
                printf("Tuning file for this device: %s%s\n", path,
                       nnact_ctx_tuning_source(ctx) == NNACT_TUNING_FILE ? ""
                                                                         : " (none)");
            nnact_ctx_destroy(ctx);
        }
    }
    else
        printf("\nSelector '%s' matches nothing: %s\n", shown ? shown : "auto",
               nnact_last_error());
    free(devs);
    return st == NNACT_OK ? 0 : 1;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: nnact-info [--device SEL] [--selftest [--f16 OPS]]\n"
               "  Lists OpenCL platforms and devices and marks the selected one.\n"
               "  --device SEL  selector (overrides NNACT_DEVICE), e.g. gpu,cpu or 0:1\n"
               "  --selftest    run every kernel once against the host reference;\n"
               "                exit status 1 on any mismatch\n"
               "  --f16 OPS     which activations the selftest also runs on F16 tensors:\n"
               "                all (default), none, or names, e.g. relu,softmax (each F16\n"
               "                kernel is one more build: ~1 min apiece on Mesa's llvmpipe)\n");
}

int main(int argc, char **argv)
{
    const char *selector = NULL, *f16_ops = "all";
    int do_selftest = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--device") && i + 1 < argc) {
            selector = argv[++i];
        } else if (!strncmp(argv[i], "--device=", 9)) {
            selector = argv[i] + 9;
        } else if (!strcmp(argv[i], "--f16") && i + 1 < argc) {
            f16_ops = argv[++i];
        } else if (!strcmp(argv[i], "--selftest")) {
            do_selftest = 1;
        } else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return 0;
        } else {
            fprintf(stderr, "nnact-info: unknown argument '%s'\n", argv[i]);
            usage(stderr);
            return 2;
        }
    }
    int rc = list_devices(selector);
    if (do_selftest) {
        printf("\n");
        rc = selftest(selector, f16_ops);
    }
    return rc;
}
