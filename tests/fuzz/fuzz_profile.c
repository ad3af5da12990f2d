/* Fuzz target "profile": a calibration profile (docs/profiles.md) through
 * prof_profile_load_string (profiles/profile.c): YAML, validation, the plan
 * flattened into test points, the budget's formulas parsed and the model
 * built once. Then, as an analysis would, the first points' tolerance
 * limits, nominal reference and budget model. Seeds: the YAML files of profiles/,
 * tests/fixtures/profiles/. */
#include "fuzz_util.h"

#include "prof.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (fuzz_too_many_pow(data, size))
        return 0; /* the known blow-up, fuzz_util.h */
    char *text = fuzz_cstr(data, size);
    if (text == NULL)
        return 0;
    struct cd_err err = {0};
    struct prof_profile *p = prof_profile_load_string(text, "fuzz.yaml", &err);
    free(text);
    if (p == NULL) {
        if (err.code == 0)
            abort();
        return 0;
    }
    double stats[PROF_STAT_COUNT];
    for (size_t i = 0; i < PROF_STAT_COUNT; i++)
        stats[i] = 0.5 + 0.25 * (double)i;
    for (size_t i = 0; i < p->n_points && i < 3; i++) {
        const struct prof_plan_point *pt = &p->points[i];
        double low, high;
        struct cd_err e = {0};
        (void)prof_point_limits(p, pt, &low, &high, &e);
        struct prof_reference ref;
        cd_err_clear(&e);
        (void)prof_point_reference(p, pt, NULL, &ref, &e);
        unc_model *m = NULL;
        cd_err_clear(&e);
        if (prof_budget_model(p, pt, stats, &m, &e) == 0)
            unc_model_free(m);
    }
    prof_profile_free(p);
    return 0;
}
