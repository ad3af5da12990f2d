/* Fuzz target "fluke_ttr": one Fluke/Hart 1502A/1504/1521/1522 reply line through
 * drv_parser_fluke_ttr (drivers/parsers/fluke_ttr.c), and the same bytes through the
 * shared pieces it is made of (thermo_labelled with a small label buffer, scpi_number).
 * Seeds: the .bytes files of tests/fixtures/fluke-ttr/. */
#include "fuzz_parser.h"

#include "parsers/scpi.h"
#include "parsers/thermo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_parser("fluke-ttr", data, size);
    const char *b = (const char *)data, *e = b + size;
    char label[3];
    memset(label, 'x', sizeof label);
    const char *nb = NULL, *ne = NULL;
    char letter = 0;
    if (thermo_labelled(b, e, label, sizeof label, &nb, &ne, &letter) == 0 &&
        (memchr(label, '\0', sizeof label) == NULL || nb < b || ne > e || nb >= ne ||
         thermo_unit(letter) == NULL))
        abort();
    double v;
    if (scpi_number(b, e, &v) == 0 && !isfinite(v))
        abort();
    return 0;
}
