/* Coverage factors and the numerical tolerance of JCGM 101 7.9.2. */
#include "unc.h"

#include <math.h>

#include <gsl/gsl_cdf.h>

double unc_coverage_factor(double p, double nu)
{
    if (!(p > 0 && p < 1) || isnan(nu) || nu <= 0)
        return NAN;
    double tail = (1.0 + p) / 2.0;
    if (isinf(nu) || nu > 1e7)
        return gsl_cdf_ugaussian_Pinv(tail);
    /* GUM G.4.1 note: with a fractional nu_eff, take the next lower integer
     * (conservative; H.1 gives k = t99(16) = 2.92 for nu_eff = 16.7). */
    double whole = floor(nu);
    if (whole < 1)
        whole = 1;
    return gsl_cdf_tdist_Pinv(tail, whole);
}

double unc_numerical_tolerance(double u, int ndig)
{
    if (!(u > 0) || !isfinite(u) || ndig < 1)
        return NAN;
    /* u = c x 10^l with c an ndig-digit integer. */
    int l = (int)floor(log10(u)) - (ndig - 1);
    double c = round(u / pow(10.0, l));
    if (c >= pow(10.0, ndig)) /* rounding carried into one more digit */
        l += 1;
    return 0.5 * pow(10.0, l);
}
