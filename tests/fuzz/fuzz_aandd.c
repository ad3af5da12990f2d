/* Fuzz target "aandd": one A&D reply line through drv_parser_aandd
 * (drivers/parsers/aandd.c). Seeds: the .bytes files of tests/fixtures/aandd/. */
#include "fuzz_parser.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_parser("aandd", data, size);
}
