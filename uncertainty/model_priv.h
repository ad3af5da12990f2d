/* The model as the engine sees it after unc_model_prepare(). Private to
 * uncertainty/: lpu.c and mcm.c read it, model.c builds it. */
#ifndef CALDAQ_UNC_MODEL_PRIV_H
#define CALDAQ_UNC_MODEL_PRIV_H

#include "expr.h"
#include "unc.h"

struct unc_input {
    char *name;
    char *unit;
    enum unc_dist dist;
    double value;
    double u;               /* standard uncertainty, derived for every distribution */
    double half_width;
    double beta;
    double dof;             /* INFINITY when infinite */
    int line;
    double *obs;            /* Type A observations, NULL otherwise */
    size_t n_obs;
    bool simultaneous;
};

struct unc_constant {
    char *name;
    double value;
    int line;
};

struct unc_output {
    char *name;
    char *unit;
    char *text;
    int line;
    struct expr *expr;
    struct expr **d1;       /* first derivatives, one per input */
    struct expr_prog *prog; /* compiled for Monte Carlo */
    bool has_tolerance;
    double tol_low, tol_high;
};

struct unc_corr_given {
    size_t a, b;
    double r;
    int line;
};

struct unc_model {
    char *source;
    bool prepared;
    struct unc_input *inputs;
    size_t n_inputs, cap_inputs;
    struct unc_constant *constants;
    size_t n_constants, cap_constants;
    struct unc_output *outputs;
    size_t n_outputs, cap_outputs;
    struct unc_corr_given *given;
    size_t n_given, cap_given;
    double *corr;           /* n_inputs x n_inputs after prepare */
    bool correlated;        /* any off-diagonal r != 0 */
};

/* Why degrees of freedom below 1 are refused, for the two places that
 * check them (the model file's line, the API's input): k = t_p(floor(nu))
 * has no t-distribution to come from below 1 (GUM G.3, G.4.1 note; t
 * tables start at 1), a Type A evaluation has at least n - 1 = 1 (GUM
 * 4.2.6), and a t with fewer degrees of freedom has no mean. */
#define UNC_DOF_BELOW_1_WHY                                                              \
    "degrees of freedom must be at least 1 (a Type A evaluation of n >= 2 observations " \
    "has n - 1; absent means infinite)"

/* Report a failure at `line` of the model's source. */
int model_fail(const struct unc_model *m, int line, struct cd_err *err, int code,
               const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* unc_coverage_intervals for values known to hold no NaN (the Monte Carlo
 * has their sum, which a NaN would have made NaN): no pass to look. The
 * values are not kept: those between the two tails may be overwritten. */
int coverage_intervals_finite(double *v, size_t n, double p, double *sym_low, double *sym_high,
                              double *short_low, double *short_high, struct cd_err *err);

/* Grow *array (of *cap elements of `size`) to hold one more. */
int grow(void **array, size_t *cap, size_t n, size_t size);

#endif
