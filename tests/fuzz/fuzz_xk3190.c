/* Fuzz target "xk3190": one frame through drv_parser_xk3190
 * (drivers/parsers/xk3190.c), and the same bytes as a stream through its
 * framer (drv_parser.next), every frame found parsed. Seeds: the .bytes
 * files of tests/fixtures/xk3190/. */
#include "fuzz_parser.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_parser("xk3190", data, size);
    return fuzz_stream("xk3190", data, size);
}
