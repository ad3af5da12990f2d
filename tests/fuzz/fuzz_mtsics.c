/* Fuzz target "mtsics": one Mettler Toledo MT-SICS reply line through drv_parser_mtsics
 * (drivers/parsers/mtsics.c). Seeds: the .bytes files of tests/fixtures/mtsics/. */
#include "fuzz_parser.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_parser("mtsics", data, size);
}
