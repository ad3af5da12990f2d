/* Fuzz target "standards": a reference standards register
 * (docs/standards.md) through prof_standards_load_string
 * (profiles/standards.c), then what a session asks of it: each standard's
 * due date and its first certified item looked up again.
 * Seeds: profiles/standards/, tests/fixtures/standards/, the registers of
 * tests/fixtures/profiles/ and tests/traces/. */
#include "fuzz_util.h"

#include "prof.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_cstr(data, size);
    if (text == NULL)
        return 0;
    struct cd_err err = {0};
    prof_standards *reg = prof_standards_load_string(text, "fuzz.yaml", &err);
    free(text);
    if (reg == NULL) {
        if (err.code == 0)
            abort();
        return 0;
    }
    (void)prof_standards_lab(reg);
    size_t n = prof_standards_count(reg);
    for (size_t i = 0; i < n; i++) {
        const struct prof_standard *s = prof_standards_get(reg, i);
        if (s == NULL || prof_standards_find(reg, s->id) == NULL || s->n_items == 0)
            abort();
        long days;
        struct cd_err e = {0};
        (void)prof_standard_days_left(s, "2026-06-15", &days, &e);
        cd_err_clear(&e);
        (void)prof_standard_check_due(s, "2026-06-15", &e);
        const struct prof_std_item *it = NULL;
        cd_err_clear(&e);
        if (prof_standard_item_find(s, s->items[0].nominal, s->items[0].unit, s->items[0].mark,
                                    &it, &e) != 0)
            abort(); /* an item of the register must be found again */
    }
    prof_standards_free(reg);
    return 0;
}
