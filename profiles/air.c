/* The density of the air for a buoyancy correction (prof.h).
 *
 * OIML R111-1:2004 Annex E.3, equation (E.3-1): the approximation of the
 * CIPM formula for the density of moist air,
 *
 *     rho_a = (0.34848 p - 0.009 hr exp(0.061 t)) / (273.15 + t)
 *
 * p in hPa, hr in % (relative humidity), t in degC, rho_a in kg/m3.
 * Checked: the form and its first coefficient against the R package
 * masscor (Crparedes/masscor, R/airDensity.R, model "CIMP.approx"), which
 * codes the CIPM-2007 revision of the same approximation (Picard et al.,
 * Metrologia 45 (2008) 149) as (0.34848 p - 0.009024 hr exp(0.0612 t)) /
 * (273.15 + t), valid for 600-1100 hPa, 20-80 %RH, 15-27 degC; the two
 * differ by less than 4e-5 relative at 20 degC and 50 %RH. R111's
 * coefficients 0.009 and 0.061, and the formula's relative standard
 * uncertainty of 2e-4, are from memory of R111-1 E.3, not checked against
 * its text here.
 *
 * The uncertainty (GUM 5.1.2, uncorrelated inputs): with T = 273.15 + t,
 *     d rho/d p  =  0.34848 / T
 *     d rho/d hr = -0.009 exp(0.061 t) / T
 *     d rho/d t  = -(0.009 * 0.061 hr exp(0.061 t) + rho) / T
 *     u^2(rho)   = (2e-4 rho)^2 + sum (d rho/d x  u(x))^2
 */
#include "prof.h"
#include "cd_i18n.h"

#include <math.h>

#define R111_A 0.34848      /* kg/m3 K / hPa */
#define R111_B 0.009        /* kg/m3 K / % */
#define R111_C 0.061        /* 1 / degC */
#define R111_U_REL 2.0e-4   /* relative standard uncertainty of (E.3-1) */

int prof_air_density(const struct prof_air *air, double temp_c, double rh_pct, double p_hpa,
                     struct prof_air_density *out, struct cd_err *err)
{
    *out = (struct prof_air_density){false, NAN, NAN};
    if (air == NULL || !air->given)
        return cd_fail(err, CD_ERR_INVALID,
                       _("the profile gives no air_density"));
    if (isnan(temp_c) || isnan(rh_pct) || isnan(p_hpa)) {
        *out = (struct prof_air_density){false, air->estimate, air->u_estimate};
        return 0;
    }
    double T = 273.15 + temp_c;
    double e = exp(R111_C * temp_c);
    double rho = (R111_A * p_hpa - R111_B * rh_pct * e) / T;
    if (!(T > 0) || !(rho > 0) || !isfinite(rho))
        return cd_fail(err, CD_ERR_INVALID,
                       _("air density from %.6g degC, %.6g %%RH, %.6g hPa: %.6g kg/m3 is not a "
                       "density (are the conditions in degC, %%RH and hPa?)"),
                       temp_c, rh_pct, p_hpa, rho);
    double dp = R111_A / T;
    double dh = -R111_B * e / T;
    double dt = -(R111_B * R111_C * rh_pct * e + rho) / T;
    double f = R111_U_REL * rho;
    double a = dp * air->u_p_hpa, b = dh * air->u_rh_pct, c = dt * air->u_temp_c;
    *out = (struct prof_air_density){true, rho, sqrt(f * f + a * a + b * b + c * c)};
    return 0;
}
