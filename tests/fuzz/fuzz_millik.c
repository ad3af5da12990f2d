/* Fuzz target "millik": one Isotech milliK reply line (a number, an "Error: ..." reply)
 * through drv_parser_millik (drivers/parsers/millik.c). Seeds: the .bytes files of
 * tests/fixtures/millik/. */
#include "fuzz_parser.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_parser("millik", data, size);
}
