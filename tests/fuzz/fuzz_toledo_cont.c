/* Fuzz target "toledo_cont": one frame through drv_parser_toledo_cont
 * (drivers/parsers/toledo_cont.c), and the same bytes as a stream through its
 * framer (drv_parser.next), every frame found parsed. Seeds: the .bytes
 * files of tests/fixtures/toledo-cont/. */
#include "fuzz_parser.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_parser("toledo-cont", data, size);
    return fuzz_stream("toledo-cont", data, size);
}
