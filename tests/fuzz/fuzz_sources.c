/* Fuzz target "sources": one reply line of a source (issue 19) through
 * drv_parser_pace and drv_parser_bath (drivers/parsers/source.c), and the
 * same bytes through pace_reply and bath_reply with small buffers (what the
 * drivers do with set-point and vent replies). Seeds: tests/fuzz/corpus/
 * sources/, replies of the simulators and of the manuals' tables. */
#include "fuzz_parser.h"

#include "parsers/source.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_parser("pace", data, size);
    fuzz_parser("bath", data, size);
    char header[4], key[3], text[5], unit = 0;
    double v[2], x;
    size_t n = 0;
    if (pace_reply((const char *)data, size, header, sizeof header, v, &n) == 0 &&
        (n < 1 || n > 2 || memchr(header, '\0', sizeof header) == NULL))
        abort();
    if (bath_reply((const char *)data, size, key, sizeof key, text, sizeof text, &x, &unit) == 0 &&
        (memchr(key, '\0', sizeof key) == NULL || memchr(text, '\0', sizeof text) == NULL ||
         (unit != 'C' && unit != 'F')))
        abort();
    return 0;
}
