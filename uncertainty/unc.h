/* caldaq GUM engine: measurement uncertainty per JCGM 100 (law of propagation),
 * JCGM 101 (Monte Carlo), least-squares calibration curves, and ILAC-G8
 * decision rules. Usable on its own: this header and common/cd.h are the
 * whole contract; no GSL or libyaml type appears here.
 *
 * Ownership: whoever calls a _new/_load/_run function calls the matching
 * _free; every _free accepts NULL. Strings passed in are copied.
 */
#ifndef CALDAQ_UNC_H
#define CALDAQ_UNC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cd.h"

/* 2*Phi(2) - 1: the coverage probability for which k = 2 exactly with
 * infinite degrees of freedom; printed as 95.45 %. */
#define UNC_P_DEFAULT 0.9544997361036416

/* ------------------------------------------------------------------ */
/* Models                                                              */

enum unc_dist {
    UNC_DIST_NORMAL,      /* u (standard uncertainty) */
    UNC_DIST_RECTANGULAR, /* half_width a: u = a/sqrt(3) */
    UNC_DIST_TRIANGULAR,  /* half_width a: u = a/sqrt(6) */
    UNC_DIST_ARCSINE,     /* half_width a (U-shaped): u = a/sqrt(2) */
    UNC_DIST_STUDENT_T,   /* u is the scale s/sqrt(n), dof required */
    UNC_DIST_TRAPEZOIDAL, /* half_width a, beta = top/base: u^2 = a^2 (1+beta^2)/6 */
};

/* "normal" (or "gaussian"), "rectangular" ("uniform"), "triangular",
 * "arcsine" ("u-shaped"), "student-t" ("t"), "trapezoidal"; case-insensitive.
 * CD_ERR_INVALID listing the names otherwise. */
int unc_dist_parse(const char *name, enum unc_dist *out, struct cd_err *err);
const char *unc_dist_name(enum unc_dist d);

struct unc_input_spec {
    const char *name;
    const char *unit;       /* may be NULL */
    enum unc_dist dist;
    double value;           /* best estimate x */
    double u;               /* NORMAL, STUDENT_T */
    double half_width;      /* RECTANGULAR, TRIANGULAR, ARCSINE, TRAPEZOIDAL */
    double beta;            /* TRAPEZOIDAL, 0 <= beta <= 1 */
    double dof;             /* degrees of freedom of u; INFINITY when not given */
    int line;               /* source line for messages, 0 when unknown */
};

typedef struct unc_model unc_model;

/* `source` names the model in messages (a file name), may be NULL. */
unc_model *unc_model_new(const char *source);
void unc_model_free(unc_model *m);

int unc_model_add_constant(unc_model *m, const char *name, double value, int line,
                           struct cd_err *err);
int unc_model_add_input(unc_model *m, const struct unc_input_spec *spec, struct cd_err *err);
/* Type A input from repeated observations: mean, s/sqrt(n), n-1 dof. Inputs
 * marked simultaneous and of equal length get their correlation from the
 * data (GUM 5.2.3). */
int unc_model_add_observations(unc_model *m, const char *name, const char *unit,
                               const double *obs, size_t n, bool simultaneous, int line,
                               struct cd_err *err);
int unc_model_set_correlation(unc_model *m, const char *a, const char *b, double r, int line,
                              struct cd_err *err);
/* An output quantity Y = expr. Expressions: numbers, names, + - * / ^,
 * parentheses, sqrt exp log sin cos tan abs. */
int unc_model_add_output(unc_model *m, const char *name, const char *unit, const char *expr,
                         int line, struct cd_err *err);
/* A tolerance on output `output` for a statement of conformity; either
 * limit may be -INFINITY / INFINITY (one-sided). */
int unc_model_set_tolerance(unc_model *m, const char *output, double low, double high, int line,
                            struct cd_err *err);
/* Whether output j has a tolerance, and its limits. */
bool unc_model_output_tolerance(const unc_model *m, size_t j, double *low, double *high);
/* Parse the expressions, resolve names, derive sensitivities, compute the
 * correlations of simultaneous observations and check the correlation
 * matrix. Must succeed before evaluation. */
int unc_model_prepare(unc_model *m, struct cd_err *err);

size_t unc_model_input_count(const unc_model *m);
size_t unc_model_output_count(const unc_model *m);
const char *unc_model_input_name(const unc_model *m, size_t i);
const char *unc_model_output_name(const unc_model *m, size_t j);
const char *unc_model_output_unit(const unc_model *m, size_t j); /* "" when none */
/* Input i's best estimate and standard uncertainty as used by the engine. */
double unc_model_input_value(const unc_model *m, size_t i);
double unc_model_input_u(const unc_model *m, size_t i);

/* Coverage requested: either p or a fixed k. */
struct unc_coverage {
    double p;      /* coverage probability, 0 < p < 1 */
    double k;      /* > 0: a fixed coverage factor overrides p */
};

/* ------------------------------------------------------------------ */
/* Law of propagation of uncertainty (JCGM 100)                         */

struct unc_budget_row {
    const char *name;       /* borrowed from the model */
    double x;               /* best estimate */
    double u;               /* standard uncertainty u(x_i) */
    double dof;             /* INFINITY when infinite */
    double c;               /* sensitivity coefficient dY/dx_i */
    double contribution;    /* c_i u(x_i), signed */
    double share;           /* fraction of u^2(y), each covariance term split evenly
                             * between its two inputs: shares sum to 1 */
};

struct unc_lpu_output {
    const char *name;       /* borrowed from the model */
    const char *unit;
    double y;
    double u;               /* combined standard uncertainty, correlations included */
    double u_second_order;  /* with the GUM 5.1.2 note's second-order terms
                             * (uncorrelated inputs), NAN when correlated */
    double nu_eff;          /* Welch-Satterthwaite; INFINITY when infinite */
    double p;               /* coverage probability */
    double k;               /* coverage factor: t_p(floor(nu_eff)), or fixed */
    double U;               /* k u */
    size_t n_rows;
    struct unc_budget_row *rows;
};

struct unc_lpu_result {
    size_t n_outputs;
    struct unc_lpu_output *outputs;
    double *covariance;     /* n_outputs x n_outputs, row-major */
    double *correlation;    /* n_outputs x n_outputs, row-major */
};

int unc_lpu(const unc_model *m, struct unc_coverage cov, struct unc_lpu_result **out,
            struct cd_err *err);
void unc_lpu_result_free(struct unc_lpu_result *r);

/* k for coverage probability p and nu degrees of freedom (INFINITY: normal).
 * Fractional nu is rounded down (GUM G.4.1 note). */
double unc_coverage_factor(double p, double nu);

/* ------------------------------------------------------------------ */
/* Monte Carlo method (JCGM 101)                                       */

struct unc_mcm_options {
    size_t trials;          /* 0: adaptive procedure (JCGM 101 7.9) */
    uint64_t seed;
    double p;               /* coverage probability */
    int ndig;               /* significant digits for the numerical tolerance, default 2 */
    int threads;            /* 0: one per core; results do not depend on it */
    size_t max_trials;      /* adaptive cap; 0: 5e7 */
};

void unc_mcm_options_default(struct unc_mcm_options *o);

/* The outcome of the JCGM 101 clause 8 validation of one output. */
enum unc_validation {
    UNC_VALIDATION_NONE,    /* no LPU result was given */
    UNC_VALIDATION_PASSED,  /* d_low and d_high <= delta (clause 8) */
    UNC_VALIDATION_FAILED,  /* the LPU is not adequate: report the Monte Carlo */
    UNC_VALIDATION_NOTHING, /* u = 0 by both methods (all inputs exact): no delta,
                             * nothing to compare */
};

/* "validated", "NOT validated", "u = 0, nothing to validate", ... */
const char *unc_validation_name(enum unc_validation v);

struct unc_mcm_output {
    /* Mean and standard deviation of the model values (JCGM 101 7.6). NAN
     * when they do not exist: u for an output using a t input with 2 or
     * fewer degrees of freedom (no variance, JCGM 101 6.4.9), y too with
     * 1; the intervals are still computed. unc_mcm_result.warning says
     * which inputs. */
    double y;
    double u;
    double sym_low, sym_high;     /* probabilistically symmetric interval */
    double short_low, short_high; /* shortest interval */
    /* JCGM 101 clause 8 validation of the LPU interval y +- U against the
     * symmetric Monte Carlo interval; valid only when the LPU ran. */
    double d_low, d_high, delta;
    bool lpu_validated;             /* validation == UNC_VALIDATION_PASSED */
    enum unc_validation validation;
};

struct unc_mcm_result {
    size_t trials;
    uint64_t seed;
    bool adaptive;
    bool converged;         /* adaptive: the tolerance was met before max_trials */
    double p;
    size_t n_outputs;
    struct unc_mcm_output *outputs;
    /* "" or a message for the user naming the inputs (file:line) drawn
     * from a t with 2 or fewer degrees of freedom and the outputs whose u
     * (and y) is therefore not defined. */
    char warning[CD_ERR_MSG_MAX];
};

/* `lpu` may be NULL (then no validation). */
int unc_mcm(const unc_model *m, const struct unc_mcm_options *opts,
            const struct unc_lpu_result *lpu, struct unc_mcm_result **out, struct cd_err *err);
void unc_mcm_result_free(struct unc_mcm_result *r);

/* The name of the generator every lane draws from ("taus2", GSL's name). */
const char *unc_mcm_generator(void);

/* The floor of unc_mcm, for benchmarks: draws the inputs of `trials` trials
 * exactly as unc_mcm does with `seed` (same generator, lanes, chunks and
 * blocks) on one thread, and does nothing else: no model values, no
 * statistics. *checksum gets a sum of drawn values. */
int unc_mcm_draw_only(const unc_model *m, uint64_t seed, size_t trials, double *checksum,
                      struct cd_err *err);

/* Numerical tolerance delta of a value u expressed to ndig significant
 * digits (JCGM 101 7.9.2): u = c x 10^l with c an ndig-digit integer,
 * delta = 10^l / 2. */
double unc_numerical_tolerance(double u, int ndig);

/* The power of ten of the last significant digit when u is given to ndig
 * digits: -3 for u = 0.095 and ndig = 2, 1 for u = 123. INT_MIN when u is
 * not positive and finite. */
int unc_decimal_place(double u, int ndig);

/* "[low, high]" with both endpoints rounded to the decimal place of u at
 * two significant digits (JCGM 101 5.5, JCGM 100 7.2.6), e.g.
 * "[999999.944, 1000000.326]" for u = 0.095. When u is not positive and
 * finite (not defined, or 0) the interval's half-width stands in for it;
 * when that is 0 too, each endpoint gets 10 significant digits. Writes at
 * most cap bytes into buf and returns buf, for use inside printf. */
const char *unc_format_interval(char *buf, size_t cap, double low, double high, double u);

/* Coverage intervals of the n values in `v` (reordered in place, not
 * necessarily sorted). Partial sorting: O(n). */
int unc_coverage_intervals(double *v, size_t n, double p, double *sym_low, double *sym_high,
                           double *short_low, double *short_high, struct cd_err *err);

/* ------------------------------------------------------------------ */
/* Least-squares calibration curves                                    */

struct unc_fit_data {
    size_t n;
    const double *x;
    const double *y;
    const double *u_y;      /* NULL: ordinary least squares, else weights 1/u^2 */
};

struct unc_fit {
    int degree;             /* 1..3 */
    double x0;              /* the curve is y = sum a_i (x - x0)^i */
    size_t n_coef;
    double coef[4];
    double u_coef[4];
    double cov[16];         /* n_coef x n_coef, row-major */
    double corr[16];
    double s_resid;         /* residual standard deviation (OLS) */
    double chisq;           /* weighted: sum of squared normalised residuals */
    double dof;             /* n - n_coef */
    bool weighted;
};

/* Fit a polynomial of `degree` (1..3) in (x - x0). Ordinary least squares
 * takes u from the residual scatter; weighted uses the given u_y. */
int unc_fit_poly(const struct unc_fit_data *d, int degree, double x0, struct unc_fit *out,
                 struct cd_err *err);
/* The value of the curve at x and its standard uncertainty from the
 * coefficients' covariance (GUM H.3). */
int unc_fit_predict(const struct unc_fit *f, double x, double *y, double *u, struct cd_err *err);

/* ------------------------------------------------------------------ */
/* Decision rules (ILAC-G8:09/2019, JCGM 106)                          */

enum unc_rule {
    UNC_RULE_SIMPLE,        /* simple acceptance, w = 0 */
    UNC_RULE_GUARD_BAND,    /* binary, acceptance zone narrowed by w = r U */
    UNC_RULE_NON_BINARY,    /* pass / conditional pass / conditional fail / fail */
};

enum unc_verdict {
    UNC_PASS,
    UNC_CONDITIONAL_PASS,
    UNC_CONDITIONAL_FAIL,
    UNC_FAIL,
};

struct unc_decision_rule {
    enum unc_rule rule;
    double r;               /* guard band w = r U (GUARD_BAND; ILAC-G8 uses r = 1) */
};

/* The distribution of the measurand a probability was computed with. */
enum unc_pdf {
    UNC_PDF_NORMAL,         /* N(y, u^2): infinite degrees of freedom */
    UNC_PDF_STUDENT_T,      /* t_nu(y, u^2), scaled and shifted (JCGM 101 6.4.9.7) */
};

/* "normal", "t". */
const char *unc_pdf_name(enum unc_pdf d);

/* Limits are inclusive: a result exactly on a limit is inside. */
struct unc_decision {
    enum unc_verdict verdict;
    /* Acceptance limits: the tolerance (simple), narrowed by r U (guard
     * band) or by U (non-binary: the zone of a plain pass). An empty zone
     * shows as accept_low > accept_high. */
    double accept_low, accept_high;
    /* 1 - p_c: probability that the true value lies outside the tolerance
     * (JCGM 106 7.4), for the distribution below. It is the probability of
     * a false accept when the item is accepted. */
    double pfa;
    /* The PDF of the measurand behind pfa: normal N(y, u^2) with infinite
     * degrees of freedom, else the scaled and shifted t with pfa_dof
     * degrees of freedom, location y and scale u (JCGM 101 6.4.9.7), so a
     * report can say which. pfa_dof is INFINITY for the normal. */
    enum unc_pdf pfa_pdf;
    double pfa_dof;
};

/* Tolerance [low, high]; either may be -INFINITY / INFINITY (one-sided).
 * rule->r is read only by the guard band. *out is unchanged on error.
 * The PFA is computed for a normal distribution (infinite degrees of
 * freedom); see unc_decide_dof(). */
int unc_decide(const struct unc_decision_rule *rule, double y, double u, double U, double low,
               double high, struct unc_decision *out, struct cd_err *err);
/* The same with the degrees of freedom nu of u (e.g. nu_eff): a finite nu
 * (>= 1) gives the PFA of the t-distribution with floor(nu) degrees of
 * freedom, the one k comes from (GUM G.4.1 note); INFINITY (or nu > 10^7)
 * the normal. CD_ERR_INVALID for nu NAN or below 1. */
int unc_decide_dof(const struct unc_decision_rule *rule, double y, double u, double U,
                   double nu, double low, double high, struct unc_decision *out,
                   struct cd_err *err);
const char *unc_verdict_name(enum unc_verdict v);  /* "pass", "conditional pass", ... */
const char *unc_rule_name(enum unc_rule r);        /* "simple", "guard-band", "non-binary" */
int unc_rule_parse(const char *name, enum unc_rule *out, struct cd_err *err);

/* ------------------------------------------------------------------ */
/* Formulas: one scalar expression over named values                   */

/* The expression language of model files (docs/model-files.md) for a
 * single number computed from named values, e.g. a profile binding a
 * budget input to the statistics of a test point ("s / sqrt(n)"). Parsing
 * checks every name against `names`: an unknown one fails with
 * CD_ERR_PARSE naming `where` and the column. */
typedef struct unc_formula unc_formula;

unc_formula *unc_formula_parse(const char *text, const char *const *names, size_t n_names,
                               const char *where, struct cd_err *err);
void unc_formula_free(unc_formula *f);
/* Evaluate with values[i] standing for names[i]. A non-finite result
 * (division by zero, a NAN value such as a quantity not measured) fails
 * with CD_ERR_NUMERIC naming the formula and the non-finite names it uses. */
int unc_formula_eval(const unc_formula *f, const double *values, double *out,
                     struct cd_err *err);
/* Whether the formula uses names[i]. */
bool unc_formula_uses(const unc_formula *f, size_t i);
const char *unc_formula_text(const unc_formula *f);

/* ------------------------------------------------------------------ */
/* Model files                                                         */

/* Options found in a model file besides the model itself. */
struct unc_model_file_opts {
    struct unc_coverage coverage;
    struct unc_decision_rule rule;  /* default: simple acceptance */
};

/* Load and prepare a YAML model file (format: docs/model-files.md).
 * Errors name the file and line. */
unc_model *unc_model_load_file(const char *path, struct unc_model_file_opts *opts,
                               struct cd_err *err);
unc_model *unc_model_load_string(const char *text, const char *source,
                                 struct unc_model_file_opts *opts, struct cd_err *err);

/* ------------------------------------------------------------------ */
/* Platinum resistance thermometers: Callendar-Van Dusen (uncertainty/cvd.c) */

/* A PRT's own coefficients, as its certificate gives them (IEC 60751:2008,
 * 5.1.2 form, from memory **M**):
 *   t >= 0 degC:  R(t) = R0 (1 + A t + B t^2)
 *   t <  0 degC:  R(t) = R0 (1 + A t + B t^2 + C (t - 100) t^3)
 * t in degC (ITS-90), R in ohm. The standard Pt100 values are
 * UNC_CVD_IEC60751_{A,B,C} with R0 = 100 ohm. u_* are the coefficients'
 * standard uncertainties (0: not given); they are taken as uncorrelated
 * (a certificate's fitted coefficients usually are correlated: where it
 * gives their covariance, propagate it with the curve-fit code instead). */
struct unc_cvd {
    double r0, a, b, c;
    double u_r0, u_a, u_b, u_c;
};

#define UNC_CVD_IEC60751_A 3.9083e-3
#define UNC_CVD_IEC60751_B (-5.775e-7)
#define UNC_CVD_IEC60751_C (-4.183e-12)
/* The range IEC 60751 defines the equation over. */
#define UNC_CVD_T_MIN (-200.0)
#define UNC_CVD_T_MAX 850.0

/* R(t). CD_ERR_INVALID for non-finite input, R0 <= 0, or t outside
 * UNC_CVD_T_MIN..UNC_CVD_T_MAX. */
int unc_cvd_resistance(double t, const struct unc_cvd *k, double *r, struct cd_err *err);
/* dR/dt at t, in ohm/degC (0 for a non-finite t). */
double unc_cvd_dr_dt(double t, const struct unc_cvd *k);
/* The inverse: t for a measured R (closed form above 0 degC, Newton's
 * method below, converged to 1e-9 degC within 50 steps). CD_ERR_INVALID
 * for a resistance outside R(-200)..R(850) or coefficients that do not
 * make R rise with t there; CD_ERR_NUMERIC if the iteration does not
 * converge. */
int unc_cvd_temperature(double r, const struct unc_cvd *k, double *t, struct cd_err *err);

/* A resistance converted with its uncertainty: u(t)^2 =
 * (dt/dR)^2 u(R)^2 + sum over p in {R0, A, B, C} of (dt/dp)^2 u(p)^2, with
 * dt/dp = -(dR/dp) / (dR/dt) (JCGM 100 5.1.2, the law of propagation). */
struct unc_cvd_result {
    double t;              /* degC */
    double u_t;            /* degC, standard uncertainty */
    double dt_dr;          /* sensitivity to R, degC/ohm */
    double u_t_from_r;     /* |dt/dR| u(R) */
    double u_t_from_coeffs;/* the coefficients' part, root-sum-square */
};
int unc_cvd_convert(double r, double u_r, const struct unc_cvd *k, struct unc_cvd_result *out,
                    struct cd_err *err);

/* The CVD coefficients of a PRT calibrated above 0 degC, from a quadratic
 * fitted to its resistance against temperature (unc_fit_poly, degree 2,
 * x0 = 0): R(t) = c0 + c1 t + c2 t^2 is R0 (1 + A t + B t^2) with
 *   R0 = c0,  A = c1 / c0,  B = c2 / c0,
 * and their covariance V = J C J^T, C the fit's covariance of (c0, c1, c2)
 * and J the Jacobian of (R0, A, B) with respect to (c0, c1, c2):
 *   J = [[1, 0, 0], [-c1/c0^2, 1/c0, 0], [-c2/c0^2, 0, 1/c0]]
 * (JCGM 102:2011 6.2.1.3, the law of propagation for a multivariate
 * measurement function; clause number from memory **M**). The order of
 * cov and corr is (R0, A, B), row-major. */
struct unc_cvd_fit {
    double r0, a, b;
    double u[3];           /* standard uncertainties of R0, A, B */
    double cov[9];
    double corr[9];
};
/* CD_ERR_INVALID for a fit that is not of degree 2 about x0 = 0, or c0 <= 0
 * (no resistance at 0 degC). */
int unc_cvd_from_fit(const struct unc_fit *f, struct unc_cvd_fit *out, struct cd_err *err);

#endif
