/* Fuzz target "cycles": a verification cycles table (docs/verification.md)
 * through prof_cycles_load_string (profiles/cycles.c), then what a
 * certificate asks of it: each entry found again by its type, and the
 * validity date of a verification on a fixed day with its cycle.
 * Seeds: profiles/verification-cycles.yaml and variants written here. */
#include "fuzz_util.h"

#include <string.h>

#include "prof.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_cstr(data, size);
    if (text == NULL)
        return 0;
    struct cd_err err = {0};
    prof_cycles *c = prof_cycles_load_string(text, "fuzz.yaml", &err);
    free(text);
    if (c == NULL) {
        if (err.code == 0)
            abort();
        return 0;
    }
    /* every type in the text that loaded must be found again; the fuzzer
     * gives no list, so look up the types the shipped table has and one
     * that no table has */
    static const char *const types[] = {"bourdon-pressure-gauge", "sphygmomanometer", "a", ""};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        struct cd_err e = {0};
        const struct prof_cycle *y = prof_cycles_find(c, types[i], &e);
        if (y == NULL) {
            if (e.code == 0)
                abort();
            continue;
        }
        if (strcmp(y->type, types[i]) != 0 || y->months < 1 || y->months > 120)
            abort();
        char out[11];
        if (prof_validity_date("2024-02-29", y->months, out, &e) != 0 || strlen(out) != 10)
            abort(); /* a cycle the table accepts always gives a date */
    }
    prof_cycles_free(c);
    return 0;
}
