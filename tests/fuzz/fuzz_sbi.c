/* Fuzz target "sbi": one Sartorius SBI print line through drv_parser_sbi
 * (drivers/parsers/sbi.c). Seeds: the .bytes files of tests/fixtures/sbi/. */
#include "fuzz_parser.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_parser("sbi", data, size);
}
