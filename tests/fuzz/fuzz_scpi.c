/* Fuzz target "scpi": one reply line of a SCPI multimeter through
 * drv_parser_scpi (drivers/parsers/scpi.c), and the same bytes as an
 * error-queue entry (scpi_error_entry, what the driver does with SYST:ERR?
 * replies). Seeds: the .bytes files of tests/fixtures/scpi/. */
#include "fuzz_parser.h"

#include "parsers/scpi.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_parser("scpi", data, size);
    int code = 0;
    char text[128];
    memset(text, 'x', sizeof text);
    if (scpi_error_entry((const char *)data, size, &code, text, sizeof text) == 1 &&
        memchr(text, '\0', sizeof text) == NULL)
        abort();
    /* A small buffer: the entry must be cut, not overrun. */
    char small[4];
    scpi_error_entry((const char *)data, size, &code, small, sizeof small);
    return 0;
}
