/* Callendar-Van Dusen: a platinum resistance thermometer's resistance and
 * temperature, one from the other, with the conversion's uncertainty
 * (unc.h, "Platinum resistance thermometers"; docs/temperature.md).
 *
 * Sources: IEC 60751:2008 section 5.1.2 (the equation, its range -200 to
 * 850 degC and the standard coefficients A = 3.9083e-3, B = -5.775e-7,
 * C = -4.183e-12) and its table 1 (Pt100: 138.5055 ohm at 100 degC,
 * 60.2558 ohm at -100 degC), all from memory **M**; the uncertainty is the
 * law of propagation of JCGM 100:2008 5.1.2 with the sensitivities
 * differentiated from the equation. ITS-90 practice (EURAMET cg-8 /
 * CCT guidance, **M**): an SPRT calibrated on ITS-90 fixed points uses the
 * ITS-90 reference function and deviation functions, not CVD; CVD is for
 * industrial PRTs and for working-standard PRTs calibrated by comparison.
 * Pure functions: no I/O, no state.
 */
#include "unc.h"
#include "cd_i18n.h"

#include <math.h>

#define NEWTON_STEPS 50
#define NEWTON_TOL 1e-9

static int coeffs_ok(const struct unc_cvd *k, struct cd_err *err)
{
    if (k == NULL)
        return cd_fail(err, CD_ERR_INVALID, _("cvd: no coefficients"));
    if (!isfinite(k->r0) || !isfinite(k->a) || !isfinite(k->b) || !isfinite(k->c) ||
        !(k->r0 > 0))
        return cd_fail(err, CD_ERR_INVALID,
                       _("cvd: coefficients R0=%g A=%g B=%g C=%g: R0 must be positive and all "
                       "finite"),
                       k->r0, k->a, k->b, k->c);
    if (!(k->u_r0 >= 0) || !(k->u_a >= 0) || !(k->u_b >= 0) || !(k->u_c >= 0) ||
        !isfinite(k->u_r0 + k->u_a + k->u_b + k->u_c))
        return cd_fail(err, CD_ERR_INVALID,
                       _("cvd: the coefficients' uncertainties must be finite and not negative"));
    return 0;
}

/* R(t) without checks. */
static double cvd_r(double t, const struct unc_cvd *k)
{
    double w = 1 + k->a * t + k->b * t * t;
    if (t < 0)
        w += k->c * (t - 100) * t * t * t;
    return k->r0 * w;
}

double unc_cvd_dr_dt(double t, const struct unc_cvd *k)
{
    if (!isfinite(t) || k == NULL)
        return 0;
    double d = k->a + 2 * k->b * t;
    if (t < 0)
        d += k->c * (4 * t * t * t - 300 * t * t);   /* d/dt of C (t^4 - 100 t^3) */
    return k->r0 * d;
}

int unc_cvd_resistance(double t, const struct unc_cvd *k, double *r, struct cd_err *err)
{
    int rc = coeffs_ok(k, err);
    if (rc != 0)
        return rc;
    if (!isfinite(t) || t < UNC_CVD_T_MIN || t > UNC_CVD_T_MAX)
        return cd_fail(err, CD_ERR_INVALID,
                       _("cvd: %g degC is outside the Callendar-Van Dusen range (IEC 60751: "
                       "%g to %g degC)"),
                       t, UNC_CVD_T_MIN, UNC_CVD_T_MAX);
    *r = cvd_r(t, k);
    return 0;
}

int unc_cvd_temperature(double r, const struct unc_cvd *k, double *t, struct cd_err *err)
{
    int rc = coeffs_ok(k, err);
    if (rc != 0)
        return rc;
    double r_lo = cvd_r(UNC_CVD_T_MIN, k), r_hi = cvd_r(UNC_CVD_T_MAX, k);
    if (!(r_hi > k->r0 && k->r0 > r_lo) || unc_cvd_dr_dt(UNC_CVD_T_MIN, k) <= 0 ||
        unc_cvd_dr_dt(UNC_CVD_T_MAX, k) <= 0 || unc_cvd_dr_dt(0, k) <= 0)
        return cd_fail(err, CD_ERR_INVALID,
                       _("cvd: coefficients R0=%g A=%g B=%g C=%g do not make R rise with t over "
                       "%g..%g degC (not a platinum thermometer's?)"),
                       k->r0, k->a, k->b, k->c, UNC_CVD_T_MIN, UNC_CVD_T_MAX);
    if (!isfinite(r) || r < r_lo || r > r_hi)
        return cd_fail(err, CD_ERR_INVALID,
                       _("cvd: %g ohm is outside what this PRT reads over %g..%g degC "
                       "(%.4f..%.4f ohm)"),
                       r, UNC_CVD_T_MIN, UNC_CVD_T_MAX, r_lo, r_hi);
    /* The quadratic branch in closed form: exact for t >= 0, the start
     * for Newton's method below 0. */
    double x = r / k->r0 - 1;
    double g;
    if (k->b == 0) {
        g = x / k->a;
    } else {
        double disc = k->a * k->a + 4 * k->b * x;
        if (disc < 0)
            disc = 0;
        /* the root near x/A, written to avoid cancellation */
        g = 2 * x / (k->a + sqrt(disc));
    }
    if (r >= k->r0) {
        *t = g;
        return 0;
    }
    if (g < UNC_CVD_T_MIN)
        g = UNC_CVD_T_MIN;
    for (int i = 0; i < NEWTON_STEPS; i++) {
        double d = unc_cvd_dr_dt(g, k);
        if (!(d > 0))
            break;
        double step = (cvd_r(g, k) - r) / d;
        g -= step;
        if (g > 0)
            g = 0;
        if (fabs(step) < NEWTON_TOL) {
            *t = g;
            return 0;
        }
    }
    return cd_fail(err, CD_ERR_NUMERIC,
                   _("cvd: the temperature for %g ohm did not converge (R0=%g A=%g B=%g C=%g)"), r,
                   k->r0, k->a, k->b, k->c);
}

int unc_cvd_convert(double r, double u_r, const struct unc_cvd *k, struct unc_cvd_result *out,
                    struct cd_err *err)
{
    if (!(u_r >= 0) || !isfinite(u_r))
        return cd_fail(err, CD_ERR_INVALID, _("cvd: u(R) = %g ohm: must be finite and not negative"),
                       u_r);
    double t;
    int rc = unc_cvd_temperature(r, k, &t, err);
    if (rc != 0)
        return rc;
    double drdt = unc_cvd_dr_dt(t, k);
    double dtdr = 1 / drdt;
    /* dR/dp at t, then dt/dp = -(dR/dp) dt/dR */
    double w = 1 + k->a * t + k->b * t * t + (t < 0 ? k->c * (t - 100) * t * t * t : 0);
    double s_r0 = -w * dtdr;
    double s_a = -k->r0 * t * dtdr;
    double s_b = -k->r0 * t * t * dtdr;
    double s_c = t < 0 ? -k->r0 * (t - 100) * t * t * t * dtdr : 0;
    double uc2 = s_r0 * s_r0 * k->u_r0 * k->u_r0 + s_a * s_a * k->u_a * k->u_a +
                 s_b * s_b * k->u_b * k->u_b + s_c * s_c * k->u_c * k->u_c;
    out->t = t;
    out->dt_dr = dtdr;
    out->u_t_from_r = fabs(dtdr) * u_r;
    out->u_t_from_coeffs = sqrt(uc2);
    out->u_t = sqrt(out->u_t_from_r * out->u_t_from_r + uc2);
    return 0;
}

/* A quadratic fit R = c0 + c1 t + c2 t^2 as CVD coefficients above 0 degC,
 * with their covariance by the Jacobian (unc.h, unc_cvd_from_fit). */
int unc_cvd_from_fit(const struct unc_fit *f, struct unc_cvd_fit *out, struct cd_err *err)
{
    if (f == NULL || out == NULL)
        return cd_fail(err, CD_ERR_INVALID, _("no fit or no place for the CVD coefficients"));
    if (f->degree != 2 || f->n_coef != 3 || f->x0 != 0)
        return cd_fail(err, CD_ERR_INVALID,
                       _("CVD coefficients come from a quadratic in t about 0 degC; the fit is "
                       "of degree %d about %g"),
                       f->degree, f->x0);
    double c0 = f->coef[0], c1 = f->coef[1], c2 = f->coef[2];
    if (!(c0 > 0) || !isfinite(c0) || !isfinite(c1) || !isfinite(c2))
        return cd_fail(err, CD_ERR_INVALID,
                       _("the fitted resistance at 0 degC is %g ohm: not a PRT's R0"), c0);
    const double jac[3][3] = {
        {1, 0, 0},
        {-c1 / (c0 * c0), 1 / c0, 0},
        {-c2 / (c0 * c0), 0, 1 / c0},
    };
    struct unc_cvd_fit r = {.r0 = c0, .a = c1 / c0, .b = c2 / c0};
    /* V = J C J^T */
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            double v = 0;
            for (int k = 0; k < 3; k++)
                for (int l = 0; l < 3; l++)
                    v += jac[i][k] * f->cov[k * 3 + l] * jac[j][l];
            r.cov[i * 3 + j] = v;
        }
    for (int i = 0; i < 3; i++)
        r.u[i] = sqrt(fmax(r.cov[i * 3 + i], 0));
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            double d = r.u[i] * r.u[j];
            r.corr[i * 3 + j] = i == j ? 1.0 : d > 0 ? r.cov[i * 3 + j] / d : 0.0;
        }
    for (int i = 0; i < 9; i++)
        if (!isfinite(r.cov[i]))
            return cd_fail(err, CD_ERR_NUMERIC, _("the CVD coefficients' covariance is not finite"));
    *out = r;
    return 0;
}
