/* Fuzz target "fluke_1529": one Fluke/Hart 1524/1529 reply line (a MEAS? number, a
 * periodic "1: 25.1234 C" line, an error-queue entry) through drv_parser_fluke_1529
 * (drivers/parsers/fluke_1529.c). Seeds: the .bytes files of tests/fixtures/fluke-1529/. */
#include "fuzz_parser.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_parser("fluke-1529", data, size);
}
