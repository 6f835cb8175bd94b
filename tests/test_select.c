/* The device selector as a pure function over synthetic device lists: no
 * OpenCL call is made. Covers the grammar of NNACT_DEVICE (alternatives,
 * keywords, vendors, indices, substrings), the "auto" ranking and the
 * failure messages. */
#include "internal.h"
#include "testutil.h"

#include <stdio.h>

enum { GB = 1 << 30 };

static nnact_device_info mkdev(unsigned p, unsigned d, const char *platform,
                               const char *name, const char *vendor,
                               nnact_device_type type, uint64_t mem, int unified)
{
    nnact_device_info i;
    memset(&i, 0, sizeof i);
    i.platform_index = p;
    i.device_index = d;
    snprintf(i.platform_name, sizeof i.platform_name, "%s", platform);
    snprintf(i.platform_version, sizeof i.platform_version, "OpenCL 1.2");
    snprintf(i.device_name, sizeof i.device_name, "%s", name);
    snprintf(i.vendor, sizeof i.vendor, "%s", vendor);
    snprintf(i.driver_version, sizeof i.driver_version, "1.0");
    i.type = type;
    i.global_mem_bytes = mem;
    i.compute_units = 8;
    i.host_unified_memory = unified;
    return i;
}

/* One device of every kind, deliberately not in ranking order. */
enum {
    M_RTX,     /* 0:0 discrete NVIDIA GPU, 10 GB */
    M_GFX,     /* 1:0 discrete AMD GPU, 16 GB */
    M_RYZEN,   /* 1:1 AMD CPU, 64 GB */
    M_UHD,     /* 2:0 integrated Intel GPU, 25 GB */
    M_POCL,    /* 3:0 pocl CPU, vendor GenuineIntel, 32 GB */
    M_FPGA,    /* 4:0 accelerator, 48 GB */
    M_MALI,    /* 5:0 integrated ARM GPU, 8 GB */
    M_M1,      /* 6:0 integrated Apple GPU, 16 GB */
    M_COUNT
};

static nnact_device_info mixed[M_COUNT];

static void make_mixed(void)
{
    mixed[M_RTX] = mkdev(0, 0, "NVIDIA CUDA", "NVIDIA GeForce RTX 3080",
                         "NVIDIA Corporation", NNACT_DEVICE_GPU, 10ull * GB, 0);
    mixed[M_GFX] = mkdev(1, 0, "AMD Accelerated Parallel Processing", "gfx1030",
                         "Advanced Micro Devices, Inc.", NNACT_DEVICE_GPU, 16ull * GB, 0);
    mixed[M_RYZEN] = mkdev(1, 1, "AMD Accelerated Parallel Processing",
                           "AMD Ryzen 9 5950X 16-Core Processor", "AuthenticAMD",
                           NNACT_DEVICE_CPU, 64ull * GB, 1);
    mixed[M_UHD] = mkdev(2, 0, "Intel(R) OpenCL HD Graphics", "Intel(R) UHD Graphics 770",
                         "Intel(R) Corporation", NNACT_DEVICE_GPU, 25ull * GB, 1);
    mixed[M_POCL] = mkdev(3, 0, "Portable Computing Language",
                          "pthread-haswell-Intel(R) Core(TM) i7-4770", "GenuineIntel",
                          NNACT_DEVICE_CPU, 32ull * GB, 1);
    mixed[M_FPGA] = mkdev(4, 0, "Xilinx", "xilinx_u250", "Xilinx",
                          NNACT_DEVICE_ACCELERATOR, 48ull * GB, 0);
    mixed[M_MALI] = mkdev(5, 0, "ARM Platform", "Mali-G78", "ARM", NNACT_DEVICE_GPU,
                          8ull * GB, 1);
    mixed[M_M1] = mkdev(6, 0, "Apple", "Apple M1", "Apple", NNACT_DEVICE_GPU,
                        16ull * GB, 1);
}

/* Index chosen by a selector that must succeed. */
static size_t pick(const nnact_device_info *devs, size_t n, const char *sel)
{
    size_t chosen = (size_t)-1;
    char why[512] = "";
    nnact_status st = nnact_select_from(devs, n, sel, &chosen, why, sizeof why);
    ck_assert_msg(st == NNACT_OK, "selector '%s' should match a device, got %s: %s",
                  sel ? sel : "(NULL)", nnact_status_string(st), nnact_last_error());
    ck_assert_msg(chosen < n, "selector '%s': chosen index %zu is outside 0..%zu",
                  sel ? sel : "(NULL)", chosen, n - 1);
    ck_assert_msg(why[0] != '\0', "selector '%s': no explanation written",
                  sel ? sel : "(NULL)");
    return chosen;
}

/* A selector that must choose devs[want]. */
static void expect_pick(const nnact_device_info *devs, size_t n, const char *sel,
                        size_t want)
{
    size_t got = pick(devs, n, sel);
    ck_assert_msg(got == want, "selector '%s' chose '%s' (%u:%u), expected '%s' (%u:%u)",
                  sel ? sel : "(NULL)", devs[got].device_name, devs[got].platform_index,
                  devs[got].device_index, devs[want].device_name,
                  devs[want].platform_index, devs[want].device_index);
}

/* A selector that must match nothing: NNACT_ERR_DEVICE_NOT_FOUND, the
 * selector quoted, and chosen left alone. */
static void expect_none(const nnact_device_info *devs, size_t n, const char *sel)
{
    size_t chosen = 12345;
    nnact_status st = nnact_select_from(devs, n, sel, &chosen, NULL, 0);
    ck_assert_msg(st == NNACT_ERR_DEVICE_NOT_FOUND,
                  "selector '%s' should match no device, got %s (chose %zu)", sel,
                  nnact_status_string(st), chosen);
    ck_assert_msg(chosen == 12345, "selector '%s' failed but wrote chosen = %zu", sel,
                  chosen);
    char quoted[300];
    snprintf(quoted, sizeof quoted, "'%s'", sel);
    ck_assert_msg(strstr(nnact_last_error(), quoted) != NULL,
                  "message for selector '%s' should quote it: %s", sel,
                  nnact_last_error());
}

/* ---- vendor normalisation ---------------------------------------------- */

START_TEST(vendor_keywords)
{
    static const struct { const char *vendor, *want; } cases[] = {
        {"NVIDIA Corporation", "nvidia"},
        {"nvidia corporation", "nvidia"},
        {"Advanced Micro Devices, Inc.", "amd"},
        {"AuthenticAMD", "amd"},
        {"AMD", "amd"},
        {"GenuineIntel", "intel"},
        {"Intel(R) Corporation", "intel"},
        {"Intel", "intel"},
        {"ARM", "arm"},
        {"Arm Limited", "arm"},
        {"Apple", "apple"},
        {"Apple Inc.", "apple"},
        {"Xilinx", NULL},
        {"Qualcomm", NULL},
        {"", NULL},
        {"Harmony Devices", NULL}, /* "arm" only as a whole word */
        {"Charm", NULL},
        {"Diamd Labs", NULL},      /* "amd" only as a whole word */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *got = nnact_vendor_keyword(cases[i].vendor);
        if (cases[i].want)
            ck_assert_msg(got && !strcmp(got, cases[i].want),
                          "vendor '%s': expected keyword '%s', got '%s'", cases[i].vendor,
                          cases[i].want, got ? got : "(NULL)");
        else
            ck_assert_msg(got == NULL, "vendor '%s': expected no keyword, got '%s'",
                          cases[i].vendor, got);
    }
}
END_TEST

START_TEST(type_names)
{
    ck_assert_str_eq(nnact_device_type_name(NNACT_DEVICE_CPU), "cpu");
    ck_assert_str_eq(nnact_device_type_name(NNACT_DEVICE_GPU), "gpu");
    ck_assert_str_eq(nnact_device_type_name(NNACT_DEVICE_ACCELERATOR), "accelerator");
    ck_assert_str_eq(nnact_device_type_name(NNACT_DEVICE_OTHER), "other");
    ck_assert_str_eq(nnact_device_type_name((nnact_device_type)42), "other");
}
END_TEST

/* ---- auto ranking ------------------------------------------------------ */

START_TEST(auto_prefers_discrete_gpu_then_memory)
{
    make_mixed();
    /* Two discrete GPUs: the one with more memory (gfx1030, 16 GB) wins over
     * the RTX (10 GB), the integrated Intel GPU (25 GB) and the CPUs. */
    expect_pick(mixed, M_COUNT, "auto", M_GFX);
}
END_TEST

START_TEST(auto_ranks_types)
{
    make_mixed();
    /* Without discrete GPUs: the integrated GPU with most memory. */
    nnact_device_info igpu[] = {mixed[M_RYZEN], mixed[M_MALI], mixed[M_FPGA], mixed[M_UHD],
                                mixed[M_M1]};
    expect_pick(igpu, 5, "auto", 3);
    /* A discrete GPU beats an integrated one with more memory. */
    nnact_device_info small_discrete[] = {mixed[M_UHD], mixed[M_RTX]};
    small_discrete[1].global_mem_bytes = 1ull * GB;
    expect_pick(small_discrete, 2, "auto", 1);
    /* Accelerator before CPUs, whatever the memory. */
    nnact_device_info accel[] = {mixed[M_RYZEN], mixed[M_POCL], mixed[M_FPGA]};
    accel[2].global_mem_bytes = 1;
    expect_pick(accel, 3, "auto", 2);
    /* CPUs only: more memory. */
    nnact_device_info cpus[] = {mixed[M_POCL], mixed[M_RYZEN]};
    expect_pick(cpus, 2, "auto", 1);
    /* A device of another type ranks after a CPU. */
    nnact_device_info other[] = {
        mkdev(0, 0, "Custom", "custom-dsp", "Custom", NNACT_DEVICE_OTHER, 99ull * GB, 0),
        mixed[M_POCL]};
    expect_pick(other, 2, "auto", 1);
    /* ... but is still chosen when it is the only device. */
    expect_pick(other, 1, "auto", 0);
}
END_TEST

START_TEST(auto_ties_go_to_lower_index)
{
    /* Equal type and memory: lower platform index, then lower device index,
     * whatever the order of the list. */
    nnact_device_info d[] = {
        mkdev(2, 0, "P2", "gpu-a", "NVIDIA Corporation", NNACT_DEVICE_GPU, 8ull * GB, 0),
        mkdev(1, 3, "P1", "gpu-b", "NVIDIA Corporation", NNACT_DEVICE_GPU, 8ull * GB, 0),
        mkdev(1, 1, "P1", "gpu-c", "NVIDIA Corporation", NNACT_DEVICE_GPU, 8ull * GB, 0),
        mkdev(1, 2, "P1", "gpu-d", "NVIDIA Corporation", NNACT_DEVICE_GPU, 8ull * GB, 0),
    };
    expect_pick(d, 4, "auto", 2);
    expect_pick(d, 4, "gpu", 2);
    expect_pick(d, 4, "nvidia", 2);
    expect_pick(d, 4, "1", 2);
    /* Memory decides before the index. */
    d[0].global_mem_bytes = 9ull * GB;
    expect_pick(d, 4, "auto", 0);
}
END_TEST

START_TEST(empty_selector_is_auto)
{
    make_mixed();
    static const char *const sels[] = {"", " ", "   ", "\t", " \t\n ", "AUTO", " Auto "};
    expect_pick(mixed, M_COUNT, NULL, M_GFX);
    for (size_t i = 0; i < sizeof sels / sizeof sels[0]; i++)
        expect_pick(mixed, M_COUNT, sels[i], M_GFX);
}
END_TEST

/* ---- keywords ---------------------------------------------------------- */

START_TEST(type_keywords)
{
    make_mixed();
    expect_pick(mixed, M_COUNT, "gpu", M_GFX);
    expect_pick(mixed, M_COUNT, "cpu", M_RYZEN); /* more memory than pocl's */
    expect_pick(mixed, M_COUNT, "accelerator", M_FPGA);
    /* Case-insensitive, spaces ignored. */
    expect_pick(mixed, M_COUNT, "GPU", M_GFX);
    expect_pick(mixed, M_COUNT, " Cpu ", M_RYZEN);
    expect_pick(mixed, M_COUNT, "\tACCELERATOR\n", M_FPGA);
    /* A type with no device of that type. */
    nnact_device_info cpus[] = {mixed[M_POCL], mixed[M_RYZEN]};
    expect_none(cpus, 2, "gpu");
    expect_none(cpus, 2, "accelerator");
}
END_TEST

START_TEST(vendor_selectors)
{
    make_mixed();
    expect_pick(mixed, M_COUNT, "nvidia", M_RTX);
    /* AMD: the discrete GPU beats the AMD CPU. */
    expect_pick(mixed, M_COUNT, "amd", M_GFX);
    /* Intel: the integrated GPU beats pocl's GenuineIntel CPU. */
    expect_pick(mixed, M_COUNT, "intel", M_UHD);
    expect_pick(mixed, M_COUNT, "arm", M_MALI);
    expect_pick(mixed, M_COUNT, "apple", M_M1);
    expect_pick(mixed, M_COUNT, "NVIDIA", M_RTX);
    expect_pick(mixed, M_COUNT, " Intel ", M_UHD);

    /* Normalised vendors: CPU vendor strings count too. */
    nnact_device_info cpus[] = {mixed[M_POCL], mixed[M_RYZEN]};
    expect_pick(cpus, 2, "intel", 0);
    expect_pick(cpus, 2, "amd", 1);

    /* A vendor keyword is matched on the vendor only: a device whose name or
     * platform merely contains the word does not count. */
    nnact_device_info named[] = {
        mkdev(0, 0, "Harmony arm platform", "arm-like nvidia apple", "Xilinx",
              NNACT_DEVICE_ACCELERATOR, GB, 0)};
    expect_none(named, 1, "arm");
    expect_none(named, 1, "nvidia");
    expect_none(named, 1, "apple");
    expect_none(mixed + M_RTX, 1, "amd");
}
END_TEST

START_TEST(pocl_keyword)
{
    make_mixed();
    expect_pick(mixed, M_COUNT, "pocl", M_POCL);
    expect_pick(mixed, M_COUNT, "PoCL", M_POCL);
    /* A platform calling itself pocl by name. */
    nnact_device_info d[] = {mixed[M_RYZEN],
                             mkdev(7, 0, "pocl-cuda", "NVIDIA A100", "NVIDIA Corporation",
                                   NNACT_DEVICE_GPU, 40ull * GB, 0)};
    expect_pick(d, 2, "pocl", 1);
    expect_none(mixed, M_POCL, "pocl"); /* the devices before pocl's */
}
END_TEST

START_TEST(index_selectors)
{
    make_mixed();
    expect_pick(mixed, M_COUNT, "0:0", M_RTX);
    expect_pick(mixed, M_COUNT, "1:0", M_GFX);
    expect_pick(mixed, M_COUNT, "1:1", M_RYZEN);
    expect_pick(mixed, M_COUNT, "6:0", M_M1);
    expect_pick(mixed, M_COUNT, " 3:0 ", M_POCL);
    /* P alone: the best-ranked device of that platform. */
    expect_pick(mixed, M_COUNT, "1", M_GFX);
    expect_pick(mixed, M_COUNT, "4", M_FPGA);
    /* Leading zeros are still decimal. */
    expect_pick(mixed, M_COUNT, "01:01", M_RYZEN);
}
END_TEST

START_TEST(index_out_of_range)
{
    make_mixed();
    expect_none(mixed, M_COUNT, "7");
    expect_none(mixed, M_COUNT, "0:1");
    expect_none(mixed, M_COUNT, "1:2");
    expect_none(mixed, M_COUNT, "9:9");
    expect_none(mixed, M_COUNT, "4294967296");          /* 2^32: no wrap to 0 */
    expect_none(mixed, M_COUNT, "4294967296:0");
    expect_none(mixed, M_COUNT, "0:4294967296");
    expect_none(mixed, M_COUNT, "99999999999999999999999999"); /* overflows */
}
END_TEST

START_TEST(malformed_indices_are_substrings)
{
    /* "1:" and ":0" are not indices: they are searched as substrings. */
    nnact_device_info d[] = {
        mkdev(0, 0, "Plain", "device", "Xilinx", NNACT_DEVICE_CPU, GB, 0),
        mkdev(1, 0, "Odd", "card 1: left", "Xilinx", NNACT_DEVICE_CPU, GB, 0),
        mkdev(2, 0, "Ports", "port:0 right", "Xilinx", NNACT_DEVICE_CPU, GB, 0),
        mkdev(3, 0, "Triple", "bus 1:2:3", "Xilinx", NNACT_DEVICE_CPU, GB, 0),
    };
    expect_pick(d, 4, "1:", 1);
    expect_pick(d, 4, ":0", 2);
    expect_pick(d, 4, "1:2:3", 3);
    make_mixed();
    expect_none(mixed, M_COUNT, "1:");
    expect_none(mixed, M_COUNT, ":0");
    expect_none(mixed, M_COUNT, "1:x");
    expect_none(mixed, M_COUNT, "-1");
    expect_none(mixed, M_COUNT, "+1");
}
END_TEST

START_TEST(substring_selectors)
{
    make_mixed();
    expect_pick(mixed, M_COUNT, "rtx", M_RTX);
    expect_pick(mixed, M_COUNT, "GeForce RTX 3080", M_RTX);
    expect_pick(mixed, M_COUNT, "GEFORCE", M_RTX);
    expect_pick(mixed, M_COUNT, "haswell", M_POCL);
    expect_pick(mixed, M_COUNT, "mali", M_MALI);
    expect_pick(mixed, M_COUNT, "5950x", M_RYZEN);
    /* Platform names count; the best of that platform's devices wins. */
    expect_pick(mixed, M_COUNT, "accelerated parallel", M_GFX);
    expect_pick(mixed, M_COUNT, "Portable Computing", M_POCL);
    expect_pick(mixed, M_COUNT, "cuda", M_RTX);
    expect_pick(mixed, M_COUNT, "graphics", M_UHD);
    /* A substring matching several devices: the best ranked of them. */
    nnact_device_info d[] = {mixed[M_POCL], mixed[M_UHD]};
    expect_pick(d, 2, "intel(r)", 1);
    expect_none(mixed, M_COUNT, "tpu");
    expect_none(mixed, M_COUNT, "rtx 4090");
}
END_TEST

/* ---- alternatives ------------------------------------------------------ */

START_TEST(alternatives_in_order)
{
    make_mixed();
    /* The first alternative that matches wins, even when a later one would
     * have found a better-ranked device. */
    expect_pick(mixed, M_COUNT, "cpu,gpu", M_RYZEN);
    expect_pick(mixed, M_COUNT, "nvidia,amd", M_RTX);
    expect_pick(mixed, M_COUNT, "pocl,auto", M_POCL);
    expect_pick(mixed, M_COUNT, "tpu,mali,cpu", M_MALI);
    expect_pick(mixed, M_COUNT, "9:9,3:0", M_POCL);
    /* Spaces around items and case are ignored. */
    expect_pick(mixed, M_COUNT, "  TPU ,  Apple  , gpu ", M_M1);
    expect_pick(mixed, M_COUNT, "tpu,\tGeForce\t", M_RTX);
    /* Fallback: no GPU on a CPU-only machine. */
    nnact_device_info cpu_only[] = {mixed[M_POCL]};
    expect_pick(cpu_only, 1, "gpu,cpu", 0);
    expect_pick(cpu_only, 1, "nvidia, amd, intel", 0);
    expect_pick(cpu_only, 1, "accelerator,auto", 0);
    expect_none(cpu_only, 1, "gpu,accelerator");
}
END_TEST

START_TEST(empty_items_are_skipped)
{
    make_mixed();
    expect_pick(mixed, M_COUNT, ",,cpu", M_RYZEN);
    expect_pick(mixed, M_COUNT, "cpu,,", M_RYZEN);
    expect_pick(mixed, M_COUNT, "cpu,", M_RYZEN);
    expect_pick(mixed, M_COUNT, " , ,apple", M_M1);
    expect_pick(mixed, M_COUNT, "tpu, ,accelerator", M_FPGA);
}
END_TEST

START_TEST(explanation)
{
    make_mixed();
    size_t chosen = 0;
    char why[512] = "";
    TU_OK(nnact_select_from(mixed, M_COUNT, "tpu, Mali", &chosen, why, sizeof why));
    ck_assert_msg(strstr(why, "'mali'") && strstr(why, "Mali-G78") && strstr(why, "5:0"),
                  "explanation should name the alternative 'mali', the device "
                  "Mali-G78 and 5:0: %s", why);
    /* why may be NULL, and a tiny buffer is truncated, not overrun. */
    TU_OK(nnact_select_from(mixed, M_COUNT, "gpu", &chosen, NULL, 0));
    ck_assert_uint_eq(chosen, M_GFX);
    char tiny[8];
    memset(tiny, 'z', sizeof tiny);
    TU_OK(nnact_select_from(mixed, M_COUNT, "gpu", &chosen, tiny, 5));
    ck_assert_msg(strlen(tiny) == 4, "explanation into 5 bytes should be 4 chars, got "
                  "'%s'", tiny);
    ck_assert_msg(tiny[5] == 'z', "explanation wrote past why_cap");
}
END_TEST

/* ---- failures ---------------------------------------------------------- */

START_TEST(no_match_lists_devices)
{
    make_mixed();
    size_t chosen = 0;
    TU_FAILS(nnact_select_from(mixed, M_COUNT, "tpu,quantum", &chosen, NULL, 0),
             NNACT_ERR_DEVICE_NOT_FOUND, "'tpu,quantum'");
    const char *msg = nnact_last_error();
    for (size_t i = 0; i < M_COUNT; i++) {
        char idx[16];
        snprintf(idx, sizeof idx, "%u:%u", mixed[i].platform_index, mixed[i].device_index);
        ck_assert_msg(strstr(msg, mixed[i].device_name) && strstr(msg, idx),
                      "message should list device %s '%s': %s", idx,
                      mixed[i].device_name, msg);
    }
    ck_assert_msg(strstr(msg, "Portable Computing Language"),
                  "message should name the platforms: %s", msg);
}
END_TEST

START_TEST(many_devices_message_is_bounded)
{
    /* 300 devices with long names: the message is truncated, not overrun. */
    enum { N = 300 };
    nnact_device_info *d = calloc(N, sizeof *d);
    ck_assert_ptr_nonnull(d);
    char name[128];
    memset(name, 'n', sizeof name - 1);
    name[sizeof name - 1] = '\0';
    for (unsigned i = 0; i < N; i++)
        d[i] = mkdev(i / 4, i % 4, name, name, "Xilinx", NNACT_DEVICE_CPU, GB, 0);
    size_t chosen = 0;
    TU_FAILS(nnact_select_from(d, N, "tpu", &chosen, NULL, 0),
             NNACT_ERR_DEVICE_NOT_FOUND, "0:0");
    ck_assert_msg(strlen(nnact_last_error()) < 8192, "message not terminated");
    free(d);
}
END_TEST

START_TEST(empty_device_list)
{
    size_t chosen = 7;
    TU_FAILS(nnact_select_from(NULL, 0, "auto", &chosen, NULL, 0),
             NNACT_ERR_DEVICE_NOT_FOUND, "no devices");
    TU_FAILS(nnact_select_from(NULL, 0, NULL, &chosen, NULL, 0),
             NNACT_ERR_DEVICE_NOT_FOUND, "no devices");
    make_mixed();
    TU_FAILS(nnact_select_from(mixed, 0, "cpu", &chosen, NULL, 0),
             NNACT_ERR_DEVICE_NOT_FOUND, "no devices");
    ck_assert_uint_eq(chosen, 7);
}
END_TEST

START_TEST(long_selector)
{
    make_mixed();
    char sel[1200];
    memset(sel, 'q', sizeof sel - 1);
    sel[sizeof sel - 1] = '\0';
    expect_none(mixed, M_COUNT, sel);
    /* A long item before a good alternative does not hide it. */
    memcpy(sel + sizeof sel - 5, ",cpu", 5);
    expect_pick(mixed, M_COUNT, sel, M_RYZEN);
}
END_TEST

START_TEST(null_arguments)
{
    make_mixed();
    TU_FAILS(nnact_select_from(mixed, M_COUNT, "auto", NULL, NULL, 0),
             NNACT_ERR_INVALID_ARG, "NULL");
    size_t chosen;
    TU_FAILS(nnact_select_from(NULL, 3, "auto", &chosen, NULL, 0),
             NNACT_ERR_INVALID_ARG, "NULL");
}
END_TEST

/* ---- the three implementations tested (doc/devices.md) ------ */

/* As they describe themselves on Debian 12 (nnact-info): llvmpipe is listed
 * first here and given more memory than pocl, so that only the
 * native-vector rule can make "auto" prefer pocl. Oclgrind claims every
 * device type, which nnact_describe_device maps to "other". */
enum { I_LLVMPIPE, I_POCL, I_OCLGRIND, I_COUNT };
static nnact_device_info impls[I_COUNT];

static void make_impls(void)
{
    impls[I_LLVMPIPE] = mkdev(0, 0, "rusticl", "llvmpipe (LLVM 15.0.6, 256 bits)",
                              "Mesa/X.org", NNACT_DEVICE_CPU, 8ull * GB, 1);
    impls[I_LLVMPIPE].native_float_width = 1;
    impls[I_POCL] = mkdev(1, 0, "Portable Computing Language", "pthread-haswell-AMD EPYC",
                          "AuthenticAMD", NNACT_DEVICE_CPU, 5ull * GB, 1);
    impls[I_POCL].native_float_width = 8;
    impls[I_OCLGRIND] = mkdev(2, 0, "Oclgrind", "Oclgrind Simulator", "University of Bristol",
                              NNACT_DEVICE_OTHER, 16ull * GB, 0);
    impls[I_OCLGRIND].native_float_width = 1;
}

START_TEST(each_implementation_by_name)
{
    make_impls();
    expect_pick(impls, I_COUNT, "pocl", I_POCL);
    expect_pick(impls, I_COUNT, "rusticl", I_LLVMPIPE);
    expect_pick(impls, I_COUNT, "llvmpipe", I_LLVMPIPE);
    expect_pick(impls, I_COUNT, "Oclgrind", I_OCLGRIND);
    expect_pick(impls, I_COUNT, "oclgrind", I_OCLGRIND);
}
END_TEST

START_TEST(auto_prefers_cpu_with_native_vectors)
{
    make_impls();
    /* pocl over llvmpipe although llvmpipe has more memory and a lower
     * index; a simulator ("other") last. */
    expect_pick(impls, I_COUNT, "auto", I_POCL);
    expect_pick(impls, I_COUNT, "cpu", I_POCL);
    expect_pick(impls, 1, "auto", I_LLVMPIPE);
    nnact_device_info two[2] = {impls[I_OCLGRIND], impls[I_LLVMPIPE]};
    expect_pick(two, 2, "auto", 1);
    expect_none(two, 1, "gpu"); /* Oclgrind is no GPU to "gpu" */
    /* Between two CPUs with native vectors, memory decides as before. */
    nnact_device_info cpus[2] = {impls[I_POCL], impls[I_POCL]};
    cpus[1].native_float_width = 16;
    cpus[1].global_mem_bytes = 6ull * GB;
    cpus[1].platform_index = 3;
    expect_pick(cpus, 2, "auto", 1);
}
END_TEST

START_TEST(row_kernel_form_follows_native_vectors)
{
    make_impls();
    make_mixed();
    ck_assert_msg(nnact_row_kernels_suit(&impls[I_POCL]), "pocl (width 8) gets the per-row form");
    ck_assert_msg(!nnact_row_kernels_suit(&impls[I_LLVMPIPE]),
                  "llvmpipe (CPU, width 1) must get the work-group form");
    ck_assert_msg(!nnact_row_kernels_suit(&impls[I_OCLGRIND]), "Oclgrind: work-group form");
    nnact_device_info gpu = mixed[M_MALI];
    gpu.native_float_width = 4;
    ck_assert_msg(!nnact_row_kernels_suit(&gpu), "a GPU gets the work-group form at any width");
    gpu = mixed[M_RTX];
    gpu.native_float_width = 1;
    ck_assert_msg(!nnact_row_kernels_suit(&gpu), "NVIDIA GPU: work-group form");
}
END_TEST

int main(void)
{
    const tu_case suite_cases[] = {
        {"vendor", 0, 0, {{vendor_keywords, 1}, {type_names, 1}}},
        {"auto", 0, 0, {{auto_prefers_discrete_gpu_then_memory, 1}, {auto_ranks_types, 1},
            {auto_ties_go_to_lower_index, 1}, {empty_selector_is_auto, 1}}},
        {"keywords", 0, 0, {{type_keywords, 1}, {vendor_selectors, 1}, {pocl_keyword, 1},
            {index_selectors, 1}, {index_out_of_range, 1},
            {malformed_indices_are_substrings, 1}, {substring_selectors, 1}}},
        {"alternatives", 0, 0, {{alternatives_in_order, 1}, {empty_items_are_skipped, 1},
            {explanation, 1}}},
        {"implementations", 0, 0, {{each_implementation_by_name, 1},
            {auto_prefers_cpu_with_native_vectors, 1},
            {row_kernel_form_follows_native_vectors, 1}}},
        {"failures", 0, 0, {{no_match_lists_devices, 1}, {many_devices_message_is_bounded, 1},
            {empty_device_list, 1}, {long_selector, 1}, {null_arguments, 1}}},
    };
    return tu_run_cases("select", suite_cases,
                        sizeof suite_cases / sizeof suite_cases[0]);
}
