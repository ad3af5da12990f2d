/* Fuzz target "model": a YAML model file (docs/model-files.md) through
 * unc_model_load_string (uncertainty/model_file.c: libyaml's document API,
 * then the model prepared: expressions parsed, derivatives, correlations),
 * then the law of propagation on it, as `caldaq gum` does. Monte Carlo is
 * left out: its cost is the trial count, not the input.
 * Seeds: the YAML files of examples/ and the model texts of the unit tests. */
#include "fuzz_util.h"

#include "unc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (fuzz_too_many_pow(data, size))
        return 0; /* the known blow-up, fuzz_util.h */
    char *text = fuzz_cstr(data, size);
    if (text == NULL)
        return 0;
    struct unc_model_file_opts opts;
    struct cd_err err = {0};
    unc_model *m = unc_model_load_string(text, "fuzz.yaml", &opts, &err);
    free(text);
    if (m == NULL) {
        if (err.code == 0)
            abort();
        return 0;
    }
    struct unc_lpu_result *r = NULL;
    struct cd_err e2 = {0};
    if (unc_lpu(m, opts.coverage, &r, &e2) == 0)
        unc_lpu_result_free(r);
    unc_model_free(m);
    return 0;
}
