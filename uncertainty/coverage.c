/* Coverage factors and the numerical tolerance of JCGM 101 7.9.2. */
#include "unc.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>

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

/* The power of ten l of the last of ndig significant digits of u > 0:
 * u = c x 10^l with c an ndig-digit integer (JCGM 101 7.9.2). */
static int last_place(double u, int ndig)
{
    int l = (int)floor(log10(u)) - (ndig - 1);
    double c = round(u / pow(10.0, l));
    if (c >= pow(10.0, ndig)) /* rounding carried into one more digit */
        l += 1;
    return l;
}

double unc_numerical_tolerance(double u, int ndig)
{
    if (!(u > 0) || !isfinite(u) || ndig < 1)
        return NAN;
    /* JCGM 101 7.9.2: delta = 10^l / 2. */
    return 0.5 * pow(10.0, last_place(u, ndig));
}

int unc_decimal_place(double u, int ndig)
{
    if (!(u > 0) || !isfinite(u) || ndig < 1)
        return INT_MIN;
    return last_place(u, ndig);
}

/* One endpoint rounded to 10^place, printed with just the decimals that
 * place needs. */
static int put_rounded(char *buf, size_t cap, double v, int place)
{
    double scale = pow(10.0, place);
    double r = round(v / scale) * scale + 0.0; /* + 0.0: no "-0.000" */
    return snprintf(buf, cap, "%.*f", place < 0 ? -place : 0, r);
}

const char *unc_format_interval(char *buf, size_t cap, double low, double high, double u)
{
    if (buf == NULL || cap == 0)
        return "";
    /* JCGM 101 5.5 (after JCGM 100 7.2.6): endpoints to the decimal place
     * of u(y) given to two significant digits. Without a usable u (not
     * defined, or 0), the half-width of the interval takes its place. */
    double scale = u > 0 && isfinite(u) ? u : (high - low) / 2;
    if (!(scale > 0) || !isfinite(scale) || !isfinite(low) || !isfinite(high)) {
        snprintf(buf, cap, "[%.10g, %.10g]", low, high);
        return buf;
    }
    int place = last_place(scale, 2);
    char a[64], b[64];
    put_rounded(a, sizeof a, low, place);
    put_rounded(b, sizeof b, high, place);
    snprintf(buf, cap, "[%s, %s]", a, b);
    return buf;
}
