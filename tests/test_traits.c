/* The device traits (src/device/traits.c) as a pure function over synthetic
 * devices, as test_select.c tests the selector: no OpenCL call is made.
 * Each device stands for one we run on or have measured: pocl on a CPU,
 * Mesa's rusticl on llvmpipe, Oclgrind, a discrete GPU and a device with
 * tiny work-groups. */
#include "internal.h"

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static nnact_device_info device(const char *platform, nnact_device_type type,
                                unsigned width)
{
    nnact_device_info d;
    memset(&d, 0, sizeof d);
    snprintf(d.platform_name, sizeof d.platform_name, "%s", platform);
    d.type = type;
    d.native_float_width = width;
    d.compute_units = 8;
    return d;
}

static nnact_device_limits limits(size_t max_wg, uint64_t cache, bool crd, bool fma,
                                  size_t timer)
{
    return (nnact_device_limits){max_wg, cache, crd, fma, timer};
}

START_TEST(pocl_cpu)
{
    nnact_device_info d = device("Portable Computing Language", NNACT_DEVICE_CPU, 8);
    nnact_device_limits l = limits(4096, 32u << 20, true, true, 1);
    nnact_device_traits t;
    nnact_device_traits_of(&d, &l, &t);
    ck_assert(t.pocl);
    ck_assert(t.row_kernels);
    ck_assert_uint_eq(t.elem_local, 256);
    ck_assert_uint_eq(t.column_local, 64);
    ck_assert_uint_eq(t.reduce_local, 16);
    ck_assert_uint_eq(t.stream_bytes, 4u << 20);
    ck_assert_str_eq(t.build_options,
                     "-cl-std=CL1.2 -cl-fp32-correctly-rounded-divide-sqrt -DNNACT_CPU_PREFETCH");
    ck_assert(!t.binaries_cacheable);
    ck_assert(t.timer_trusted);
    ck_assert_uint_eq(t.plausible_min_ns, 100);
    /* The selector's keyword and the traits agree on what pocl is. */
    nnact_device_info p = device("The pocl project", NNACT_DEVICE_CPU, 8);
    ck_assert(nnact_device_is_pocl(&p));
}
END_TEST

START_TEST(rusticl_llvmpipe)
{
    /* A CPU that runs vectors as scalars: the work-group form; a timer
     * resolution of 0: the wall clock; binaries cached. */
    nnact_device_info d = device("rusticl", NNACT_DEVICE_CPU, 1);
    nnact_device_limits l = limits(1024, 0, true, false, 0);
    nnact_device_traits t;
    nnact_device_traits_of(&d, &l, &t);
    ck_assert(!t.pocl);
    ck_assert(!t.row_kernels);
    ck_assert(!t.timer_trusted);
    ck_assert(t.binaries_cacheable);
    ck_assert_uint_eq(t.stream_bytes, SIZE_MAX); /* no cache size reported */
    ck_assert_str_eq(t.build_options,
                     "-cl-std=CL1.2 -cl-fp32-correctly-rounded-divide-sqrt -DNNACT_NO_HW_FMA");
}
END_TEST

START_TEST(oclgrind)
{
    nnact_device_info d = device("Oclgrind", NNACT_DEVICE_CPU, 1);
    nnact_device_limits l = limits(1024, 0, false, true, 1);
    nnact_device_traits t;
    nnact_device_traits_of(&d, &l, &t);
    ck_assert(!t.row_kernels);
    ck_assert_str_eq(t.build_options, "-cl-std=CL1.2");
}
END_TEST

START_TEST(discrete_gpu)
{
    /* GPUs take the work-group form whatever vector width they report. */
    nnact_device_info d = device("NVIDIA CUDA", NNACT_DEVICE_GPU, 4);
    nnact_device_limits l = limits(1024, 1u << 20, true, true, 1000);
    nnact_device_traits t;
    nnact_device_traits_of(&d, &l, &t);
    ck_assert(!t.row_kernels);
    ck_assert_uint_eq(t.elem_local, 64);
    ck_assert_uint_eq(t.column_local, 64);
    ck_assert_uint_eq(t.reduce_local, 256);
    ck_assert_uint_eq(t.stream_bytes, 128u << 10);
    ck_assert(t.binaries_cacheable);
    ck_assert(t.timer_trusted);
}
END_TEST

START_TEST(small_work_groups)
{
    nnact_device_info d = device("Tiny", NNACT_DEVICE_ACCELERATOR, 1);
    for (size_t wg = 0; wg <= 40; wg++) {
        nnact_device_limits l = limits(wg, 0, false, false, 1);
        nnact_device_traits t;
        nnact_device_traits_of(&d, &l, &t);
        const size_t max = wg ? wg : 1;
        ck_assert(t.elem_local >= 1 && t.elem_local <= max);
        ck_assert(t.column_local >= 1 && t.column_local <= max);
        ck_assert(t.reduce_local >= 1 && t.reduce_local <= max);
        ck_assert_uint_eq(t.reduce_local & (t.reduce_local - 1), 0); /* a power of 2 */
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("traits");
    TCase *tc = tcase_create("pure");
    tcase_add_test(tc, pocl_cpu);
    tcase_add_test(tc, rusticl_llvmpipe);
    tcase_add_test(tc, oclgrind);
    tcase_add_test(tc, discrete_gpu);
    tcase_add_test(tc, small_work_groups);
    suite_add_tcase(s, tc);
    SRunner *r = srunner_create(s);
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? 1 : 0;
}
