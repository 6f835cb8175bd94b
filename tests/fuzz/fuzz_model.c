/* libFuzzer harness: model files as they come (most fail the CRC-32; see
 * fuzz_model_crc.c for the parser behind it). No OpenCL device needed. */
#include "fuzz_model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_model_bytes(data, size);
    return 0;
}
