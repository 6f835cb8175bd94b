/* Status mapping of CLBlast's codes (no OpenCL device needed): a failure of
 * CLBlast to build its kernels is NNACT_ERR_BUILD naming the OpenCL code,
 * not a generic NNACT_ERR_OPENCL; other codes keep their statuses. */
#include "internal.h"
#include "testutil.h"

#include <clblast_c.h>

START_TEST(clblast_build_failures_are_build_errors)
{
    static const struct { int code; const char *name; } build[] = {
        {CLBlastOpenCLCompilerNotAvailable, "CL_COMPILER_NOT_AVAILABLE"},
        {CLBlastOpenCLBuildProgramFailure, "CL_BUILD_PROGRAM_FAILURE"},
        {CLBlastInvalidBinary, "CL_INVALID_BINARY"},
        {CLBlastInvalidBuildOptions, "CL_INVALID_BUILD_OPTIONS"},
        {CLBlastInvalidProgram, "CL_INVALID_PROGRAM"},
        {CLBlastInvalidProgramExecutable, "CL_INVALID_PROGRAM_EXECUTABLE"},
        {CLBlastInvalidKernelName, "CL_INVALID_KERNEL_NAME"},
        {CLBlastInvalidKernelDefinition, "CL_INVALID_KERNEL_DEFINITION"},
    };
    for (size_t i = 0; i < sizeof build / sizeof build[0]; i++) {
        nnact_status st = nnact_fail_clblast(build[i].code, "nnact_gemm");
        ck_assert_msg(st == NNACT_ERR_BUILD, "CLBlast code %d: %s, want NNACT_ERR_BUILD",
                      build[i].code, nnact_status_string(st));
        ck_assert_msg(strstr(nnact_last_error(), "nnact_gemm: CLBlast could not build") &&
                          strstr(nnact_last_error(), build[i].name),
                      "CLBlast code %d: message '%s' lacks '%s'", build[i].code,
                      nnact_last_error(), build[i].name);
    }
    static const struct { int code; nnact_status st; const char *text; } other[] = {
        {CLBlastInvalidMemObject, NNACT_ERR_OPENCL, "CL_INVALID_MEM_OBJECT"},
        {CLBlastInvalidCommandQueue, NNACT_ERR_OPENCL, "CL_INVALID_COMMAND_QUEUE"},
        {CL_MEM_OBJECT_ALLOCATION_FAILURE, NNACT_ERR_OUT_OF_MEMORY, "ALLOCATION_FAILURE"},
        {CLBlastInsufficientMemoryTemp, NNACT_ERR_OUT_OF_MEMORY, "CLBlastInsufficientMemoryTemp"},
        {CLBlastNotImplemented, NNACT_ERR_UNSUPPORTED, "CLBlastNotImplemented"},
        {CLBlastInvalidDimension, NNACT_ERR_OPENCL, "CLBlastInvalidDimension"},
    };
    for (size_t i = 0; i < sizeof other / sizeof other[0]; i++) {
        nnact_status st = nnact_fail_clblast(other[i].code, "nnact_gemm");
        ck_assert_msg(st == other[i].st && strstr(nnact_last_error(), other[i].text),
                      "CLBlast code %d: %s '%s', want %s naming %s", other[i].code,
                      nnact_status_string(st), nnact_last_error(),
                      nnact_status_string(other[i].st), other[i].text);
    }
}
END_TEST

int main(void)
{
    const tu_case suite_cases[] = {
        {"clblast", 0, 0, {{clblast_build_failures_are_build_errors, 1}}},
    };
    return tu_run_cases("status-map", suite_cases,
                        sizeof suite_cases / sizeof suite_cases[0]);
}
