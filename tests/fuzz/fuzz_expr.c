/* Fuzz target "expr": the expression language of models and profiles
 * (uncertainty/expr.c): parse, evaluate, differentiate with respect to each
 * variable used, compile to the block form and evaluate that; and the same
 * text through the public formula API (uncertainty/formula.c). The two
 * evaluations must agree.
 *
 * Names: a lower-case letter is a variable (a = 0, b = 1, ...); an
 * upper-case letter a constant; longer names are unknown, except the
 * functions. Seeds: the model and formula texts of examples/ and profiles/.
 * The parser refuses nesting deeper than 200 and more than 10000
 * operations, so no input of libFuzzer's sizes can exhaust the stack. */
#include "fuzz_util.h"

#include <math.h>

#include "expr.h"
#include "unc.h"

#define N_VARS 26
#define TRIALS 4

static int lookup(void *ctx, const char *name, int *var, double *value)
{
    (void)ctx;
    if (name[0] >= 'a' && name[0] <= 'z' && name[1] == '\0') {
        *var = name[0] - 'a';
        return 1;
    }
    if (name[0] >= 'A' && name[0] <= 'Z' && name[1] == '\0') {
        *value = (name[0] - 'A') + 0.5;
        return 2;
    }
    return 0;
}

/* Same value, or both not a number. */
static int same(double x, double y)
{
    if (isnan(x) || isnan(y))
        return isnan(x) && isnan(y);
    if (isinf(x) || isinf(y))
        return x == y;
    return fabs(x - y) <= 1e-9 * fmax(1.0, fmax(fabs(x), fabs(y)));
}

static void exercise(const struct expr *e)
{
    double vars[N_VARS];
    for (int i = 0; i < N_VARS; i++)
        vars[i] = 0.75 + 0.125 * i;
    double y = expr_eval(e, vars);

    for (int v = 0, done = 0; v < N_VARS && done < 4; v++) {
        if (!expr_uses(e, v))
            continue;
        done++;
        struct expr *d = expr_diff(e, v, NULL);
        if (d != NULL) {
            (void)expr_eval(d, vars);
            struct expr *c = expr_copy(d);
            expr_free(c);
        }
        expr_free(d);
    }

    struct expr_prog *p = expr_compile(e);
    if (p == NULL)
        return;
    static double columns_store[N_VARS][EXPR_BLOCK];
    const double *columns[N_VARS];
    for (int i = 0; i < N_VARS; i++) {
        for (int t = 0; t < TRIALS; t++)
            columns_store[i][t] = vars[i];
        columns[i] = columns_store[i];
    }
    size_t regs = expr_prog_registers(p);
    double *scratch = calloc(regs > 0 ? regs : 1, sizeof(double) * EXPR_BLOCK);
    double out[EXPR_BLOCK];
    if (scratch != NULL) {
        expr_prog_eval_block(p, columns, TRIALS, scratch, out);
        /* x^2 is compiled as x*x, which differs from pow() in the last bit
         * at most. */
        for (int t = 0; t < TRIALS; t++)
            if (!same(out[t], y))
                abort();
    }
    free(scratch);
    expr_prog_free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_cstr(data, size);
    if (text == NULL)
        return 0;
    struct cd_err err = {0};
    struct expr *e = expr_parse(text, lookup, NULL, "fuzz", &err);
    if (e == NULL) {
        if (err.code == 0)
            abort(); /* a refusal always says why */
    } else {
        exercise(e);
        expr_free(e);
    }

    static const char *const names[] = {"s", "n", "u", "x", "mean", "r_rep", "d"};
    struct cd_err e2 = {0};
    unc_formula *f = unc_formula_parse(text, names, sizeof names / sizeof names[0], "fuzz", &e2);
    if (f != NULL) {
        const double values[] = {0.01, 10, 0.002, 100.0, 99.99, 0.3, 0.001};
        double y;
        struct cd_err e3 = {0};
        (void)unc_formula_eval(f, values, &y, &e3);
        unc_formula_free(f);
    }
    free(text);
    return 0;
}
