/* libFuzzer harness: the input is a model file without its trailing CRC-32;
 * the harness appends the right one, so mutations reach the parser behind
 * the checksum (layer counts, sizes, activations, parameter lengths). */
#include "fuzz_model.h"

#include <zlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *file = malloc(size + 4);
    if (!file)
        return 0;
    memcpy(file, data, size);
    uint32_t crc = (uint32_t)crc32(crc32(0L, Z_NULL, 0), data, (uInt)size);
    for (int i = 0; i < 4; i++)
        file[size + i] = (uint8_t)(crc >> 8 * i);
    fuzz_model_bytes(file, size + 4);
    free(file);
    return 0;
}
