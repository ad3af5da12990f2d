/* Least-squares calibration curves with uncertainty (GUM H.3).
 *
 * y = sum a_i (x - x0)^i, degree 1..3. Ordinary least squares takes the
 * coefficients' covariance from the residual scatter, s^2 (XᵀX)⁻¹ with
 * s^2 = chisq/(n - n_coef); a weighted fit (weights 1/u_y^2) trusts the
 * stated u_y and reports (XᵀWX)⁻¹ unscaled, so that chisq/dof stays a check
 * of those u_y rather than being folded into them.
 */
#include "unc.h"
#include "cd_i18n.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_machine.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_multifit.h>
#include <gsl/gsl_vector.h>

#define FIT_DEGREE_MIN 1
#define FIT_DEGREE_MAX 3

/* The GSL objects of one fit, allocated together so one call frees them. */
struct fit_work {
    gsl_matrix *design;     /* n x n_coef, columns (x - x0)^i */
    gsl_vector *y;
    gsl_vector *w;          /* weights 1/u_y^2, NULL for OLS */
    gsl_vector *c;
    gsl_matrix *cov;
    gsl_multifit_linear_workspace *ws;
};

static void fit_work_free(struct fit_work *fw)
{
    gsl_matrix_free(fw->design);
    gsl_vector_free(fw->y);
    gsl_vector_free(fw->w);
    gsl_vector_free(fw->c);
    gsl_matrix_free(fw->cov);
    if (fw->ws != NULL)
        gsl_multifit_linear_free(fw->ws);
}

static int fit_work_alloc(struct fit_work *fw, size_t n, size_t n_coef, bool weighted,
                          struct cd_err *err)
{
    memset(fw, 0, sizeof *fw);
    fw->design = gsl_matrix_alloc(n, n_coef);
    fw->y = gsl_vector_alloc(n);
    fw->w = weighted ? gsl_vector_alloc(n) : NULL;
    fw->c = gsl_vector_alloc(n_coef);
    fw->cov = gsl_matrix_alloc(n_coef, n_coef);
    fw->ws = gsl_multifit_linear_alloc(n, n_coef);
    if (fw->design == NULL || fw->y == NULL || (weighted && fw->w == NULL) || fw->c == NULL
        || fw->cov == NULL || fw->ws == NULL) {
        fit_work_free(fw);
        return cd_fail(err, CD_ERR_NOMEM, _("out of memory for %zu points"), n);
    }
    return 0;
}

/* Points are reported 1-based: that is how a person counts rows. */
static int check_points(const struct unc_fit_data *d, struct cd_err *err)
{
    for (size_t i = 0; i < d->n; i++) {
        if (!isfinite(d->x[i]))
            return cd_fail(err, CD_ERR_INVALID, _("point %zu: x = %g is not finite"), i + 1,
                           d->x[i]);
        if (!isfinite(d->y[i]))
            return cd_fail(err, CD_ERR_INVALID, _("point %zu: y = %g is not finite"), i + 1,
                           d->y[i]);
        if (d->u_y == NULL)
            continue;
        if (!isfinite(d->u_y[i]))
            return cd_fail(err, CD_ERR_INVALID, _("point %zu: u_y = %g is not finite"),
                           i + 1, d->u_y[i]);
        if (!(d->u_y[i] > 0))
            return cd_fail(err, CD_ERR_INVALID,
                           _("point %zu: u_y = %g must be positive for a weighted fit"),
                           i + 1, d->u_y[i]);
    }
    return 0;
}

static int compare_double(const void *a, const void *b)
{
    double l = *(const double *)a;
    double r = *(const double *)b;
    return (l > r) - (l < r);
}

/* A polynomial with n_coef coefficients is determined only by at least
 * n_coef distinct abscissae; saying so beats GSL's silent minimum-norm
 * answer to a rank-deficient design. */
static int check_distinct_x(const struct unc_fit_data *d, int degree, size_t n_coef,
                            struct cd_err *err)
{
    double *sorted = malloc(d->n * sizeof *sorted);
    if (sorted == NULL)
        return cd_fail(err, CD_ERR_NOMEM, _("out of memory for %zu points"), d->n);
    memcpy(sorted, d->x, d->n * sizeof *sorted);
    qsort(sorted, d->n, sizeof *sorted, compare_double);
    size_t distinct = 1;
    for (size_t i = 1; i < d->n; i++)
        if (sorted[i] != sorted[i - 1])
            distinct++;
    free(sorted);
    if (distinct == 1)
        return cd_fail(err, CD_ERR_NUMERIC,
                       _("all %zu x values are equal (%g): the curve's slope is undetermined"),
                       d->n, d->x[0]);
    if (distinct < n_coef)
        return cd_fail(err, CD_ERR_NUMERIC,
                       _("only %zu distinct x values; a degree-%d curve needs at least %zu"),
                       distinct, degree, n_coef);
    return 0;
}

static int check_arguments(const struct unc_fit_data *d, int degree, double x0,
                           const struct unc_fit *out, struct cd_err *err)
{
    if (d == NULL || out == NULL)
        return cd_fail(err, CD_ERR_INVALID, _("no data or no result given"));
    if (degree < FIT_DEGREE_MIN || degree > FIT_DEGREE_MAX)
        return cd_fail(err, CD_ERR_INVALID, _("degree %d is not supported (use %d to %d)"),
                       degree, FIT_DEGREE_MIN, FIT_DEGREE_MAX);
    if (!isfinite(x0))
        return cd_fail(err, CD_ERR_INVALID, _("x0 = %g is not finite"), x0);
    size_t n_coef = (size_t)degree + 1;
    if (d->n <= n_coef)
        return cd_fail(err, CD_ERR_INVALID,
                       _("%zu points for a degree-%d curve with %zu coefficients; "
                       "need at least %zu points (more points than coefficients)"),
                       d->n, degree, n_coef, n_coef + 1);
    if (d->x == NULL || d->y == NULL)
        return cd_fail(err, CD_ERR_INVALID, _("x or y values missing"));
    return 0;
}

/* Fill the design matrix, y and weights; reject what overflows, since
 * (x - x0)^3 of a finite x can still be infinite. */
static int fill_system(const struct unc_fit_data *d, double x0, size_t n_coef,
                       struct fit_work *fw, struct cd_err *err)
{
    for (size_t i = 0; i < d->n; i++) {
        double dx = d->x[i] - x0;
        double power = 1.0;
        for (size_t j = 0; j < n_coef; j++) {
            if (!isfinite(power))
                return cd_fail(err, CD_ERR_NUMERIC,
                               _("point %zu: (x - x0)^%zu overflows (x = %g, x0 = %g)"),
                               i + 1, j, d->x[i], x0);
            gsl_matrix_set(fw->design, i, j, power);
            power *= dx;
        }
        gsl_vector_set(fw->y, i, d->y[i]);
        if (fw->w == NULL)
            continue;
        double weight = 1.0 / (d->u_y[i] * d->u_y[i]);
        if (!isfinite(weight))
            return cd_fail(err, CD_ERR_NUMERIC,
                           _("point %zu: u_y = %g is too small to weight the point"), i + 1,
                           d->u_y[i]);
        gsl_vector_set(fw->w, i, weight);
    }
    return 0;
}

/* gsl_multifit_linear / gsl_multifit_wlinear are these same calls with
 * tol = GSL_DBL_EPSILON; the _tsvd forms also return the effective rank,
 * which is how a numerically singular design is caught instead of being
 * quietly solved in the minimum-norm sense. */
static int solve(struct fit_work *fw, size_t n_coef, double *chisq, struct cd_err *err)
{
    size_t rank = 0;
    int status;
    if (fw->w == NULL)
        status = gsl_multifit_linear_tsvd(fw->design, fw->y, GSL_DBL_EPSILON, fw->c, fw->cov,
                                          chisq, &rank, fw->ws);
    else
        status = gsl_multifit_wlinear_tsvd(fw->design, fw->w, fw->y, GSL_DBL_EPSILON, fw->c,
                                           fw->cov, chisq, &rank, fw->ws);
    if (status != GSL_SUCCESS)
        return cd_fail(err, CD_ERR_NUMERIC, _("least squares failed: %s"),
                       gsl_strerror(status));
    if (rank < n_coef)
        return cd_fail(err, CD_ERR_NUMERIC,
                       _("singular design (rank %zu of %zu): the x values cannot "
                       "separate the curve's coefficients"),
                       rank, n_coef);
    return 0;
}

/* Horner in (x - x0): fewer roundings than summing powers. */
static double curve_value(const struct unc_fit *f, double x)
{
    double dx = x - f->x0;
    double y = 0.0;
    for (size_t i = f->n_coef; i-- > 0;)
        y = y * dx + f->coef[i];
    return y;
}

/* Plain residual standard deviation in y's unit, sqrt(sum r^2 / dof). For
 * OLS it equals sqrt(chisq/dof); for a weighted fit it is still the scatter
 * a reader expects to see beside the curve. */
static double residual_sd(const struct unc_fit_data *d, const struct unc_fit *f)
{
    double sum = 0.0;
    for (size_t i = 0; i < d->n; i++) {
        double r = d->y[i] - curve_value(f, d->x[i]);
        sum += r * r;
    }
    return sqrt(sum / f->dof);
}

static void store_result(const struct fit_work *fw, const struct unc_fit_data *d, double chisq,
                         struct unc_fit *f)
{
    size_t p = f->n_coef;
    for (size_t i = 0; i < p; i++) {
        f->coef[i] = gsl_vector_get(fw->c, i);
        f->u_coef[i] = sqrt(gsl_matrix_get(fw->cov, i, i));
        for (size_t j = 0; j < p; j++)
            f->cov[i * p + j] = gsl_matrix_get(fw->cov, i, j);
    }
    for (size_t i = 0; i < p; i++) {
        for (size_t j = 0; j < p; j++) {
            double denom = f->u_coef[i] * f->u_coef[j];
            if (i == j)
                f->corr[i * p + j] = 1.0;
            else if (denom > 0)
                f->corr[i * p + j] = f->cov[i * p + j] / denom;
            else    /* an exact fit has zero covariance: nothing to correlate */
                f->corr[i * p + j] = 0.0;
        }
    }
    f->chisq = chisq;
    f->s_resid = residual_sd(d, f);
}

static int check_result(const struct unc_fit *f, struct cd_err *err)
{
    size_t p = f->n_coef;
    for (size_t i = 0; i < p * p; i++)
        if (!isfinite(f->cov[i]))
            return cd_fail(err, CD_ERR_NUMERIC, _("the coefficients' covariance is not finite"));
    for (size_t i = 0; i < p; i++)
        if (!isfinite(f->coef[i]))
            return cd_fail(err, CD_ERR_NUMERIC, _("coefficient a%zu is not finite"), i);
    return 0;
}

int unc_fit_poly(const struct unc_fit_data *d, int degree, double x0, struct unc_fit *out,
                 struct cd_err *err)
{
    int rc = check_arguments(d, degree, x0, out, err);
    if (rc != 0)
        return rc;
    rc = check_points(d, err);
    if (rc != 0)
        return rc;
    size_t n_coef = (size_t)degree + 1;
    rc = check_distinct_x(d, degree, n_coef, err);
    if (rc != 0)
        return rc;

    struct unc_fit f;
    memset(&f, 0, sizeof f);
    f.degree = degree;
    f.x0 = x0;
    f.n_coef = n_coef;
    f.dof = (double)(d->n - n_coef);
    f.weighted = d->u_y != NULL;

    /* GSL's default handler aborts; a library must report instead. The
     * handler is process-wide and every caller wants it off, so setting it
     * again on each fit is harmless. */
    gsl_set_error_handler_off();
    struct fit_work fw;
    rc = fit_work_alloc(&fw, d->n, n_coef, f.weighted, err);
    if (rc != 0)
        return rc;
    double chisq = 0.0;
    rc = fill_system(d, x0, n_coef, &fw, err);
    if (rc == 0)
        rc = solve(&fw, n_coef, &chisq, err);
    if (rc == 0)
        store_result(&fw, d, chisq, &f);
    fit_work_free(&fw);
    if (rc == 0)
        rc = check_result(&f, err);
    if (rc != 0)
        return rc;
    *out = f;
    return 0;
}

int unc_fit_predict(const struct unc_fit *f, double x, double *y, double *u, struct cd_err *err)
{
    if (f == NULL || y == NULL || u == NULL)
        return cd_fail(err, CD_ERR_INVALID, _("predict needs a fit and places for y and u"));
    if (f->degree < FIT_DEGREE_MIN || f->degree > FIT_DEGREE_MAX
        || f->n_coef != (size_t)f->degree + 1)
        return cd_fail(err, CD_ERR_INVALID, _("predict given a fit of degree %d with %zu "
                       "coefficients: not a result of unc_fit_poly"), f->degree, f->n_coef);
    if (!isfinite(x))
        return cd_fail(err, CD_ERR_INVALID, _("cannot predict at x = %g"), x);

    /* u^2 = gᵀ C g with g_i = (x - x0)^i, the sensitivities of y to a_i. */
    size_t p = f->n_coef;
    double g[4];
    double power = 1.0;
    double dx = x - f->x0;
    for (size_t i = 0; i < p; i++) {
        g[i] = power;
        power *= dx;
    }
    double u2 = 0.0;
    for (size_t i = 0; i < p; i++)
        for (size_t j = 0; j < p; j++)
            u2 += g[i] * f->cov[i * p + j] * g[j];
    /* C is positive semi-definite, so a negative sum is rounding around an
     * exact fit's zero; report zero rather than NaN. */
    if (u2 < 0)
        u2 = 0;
    double value = curve_value(f, x);
    if (!isfinite(value) || !isfinite(u2))
        return cd_fail(err, CD_ERR_NUMERIC, _("the curve overflows at x = %g"), x);
    *y = value;
    *u = sqrt(u2);
    return 0;
}
