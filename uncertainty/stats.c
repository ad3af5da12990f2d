/* Mean and standard deviation computed without cancellation (stats.h). */
#include "stats.h"

#include <math.h>

void stats_acc_add(struct stats_acc *a, double x)
{
    /* Welford's update: M_k = M_{k-1} + (x - M_{k-1}) / k,
     * S_k = S_{k-1} + (x - M_{k-1}) (x - M_k). */
    a->n++;
    double d = x - a->mean;
    a->mean += d / (double)a->n;
    a->m2 += d * (x - a->mean);
}

void stats_acc_merge(struct stats_acc *a, const struct stats_acc *b)
{
    if (b->n == 0)
        return;
    if (a->n == 0) {
        *a = *b;
        return;
    }
    double na = (double)a->n, nb = (double)b->n, n = na + nb;
    double delta = b->mean - a->mean;
    a->mean += delta * (nb / n);
    a->m2 += b->m2 + delta * delta * (na * nb / n);
    a->n += b->n;
}

void stats_acc_of(const double *v, size_t n, struct stats_acc *out)
{
    /* The passes of stats_mean_ss; four partial sums so that each addition
     * does not wait for the one before (a sum of one chain runs at the
     * latency of an addition, four chains at its throughput). */
    double shift = v[0];
    double p[4] = {0, 0, 0, 0};
    size_t t = 0;
    for (; t + 4 <= n; t += 4)
        for (int k = 0; k < 4; k++)
            p[k] += v[t + k] - shift;
    for (; t < n; t++)
        p[0] += v[t] - shift;
    double m = shift + ((p[0] + p[1]) + (p[2] + p[3])) / (double)n;
    double s1[4] = {0, 0, 0, 0}, s2[4] = {0, 0, 0, 0};
    for (t = 0; t + 4 <= n; t += 4)
        for (int k = 0; k < 4; k++) {
            double d = v[t + k] - m;
            s1[k] += d;
            s2[k] += d * d;
        }
    for (; t < n; t++) {
        double d = v[t] - m;
        s1[0] += d;
        s2[0] += d * d;
    }
    double sum1 = (s1[0] + s1[1]) + (s1[2] + s1[3]);
    double sum2 = (s2[0] + s2[1]) + (s2[2] + s2[3]);
    out->n = n;
    out->mean = m + sum1 / (double)n;
    double corrected = sum2 - sum1 * sum1 / (double)n;
    out->m2 = corrected < 0 ? 0 : corrected; /* NAN stays NAN */
}

double stats_acc_var(const struct stats_acc *a)
{
    if (a->n < 2)
        return NAN;
    return a->m2 / (double)(a->n - 1);
}

void stats_mean_ss(const double *v, size_t n, double *mean, double *ss)
{
    /* Pass 1: the mean from deviations from a first estimate v[0], so the
     * sum is of the size of the spread, not of the value. */
    double shift = v[0];
    double sum = 0;
    for (size_t t = 0; t < n; t++)
        sum += v[t] - shift;
    double m = shift + sum / (double)n;
    /* Pass 2: the "corrected two-pass algorithm" of Chan, Golub & LeVeque
     * (1983): the sum of squared deviations less (sum of deviations)^2 / n,
     * which removes the first-order error left by rounding in m. */
    double s2 = 0;
    double s1 = 0;
    for (size_t t = 0; t < n; t++) {
        double d = v[t] - m;
        s1 += d;
        s2 += d * d;
    }
    *mean = m + s1 / (double)n;
    double corrected = s2 - s1 * s1 / (double)n;
    *ss = corrected < 0 ? 0 : corrected; /* NAN stays NAN */
}

double stats_cross_dev(const double *x, const double *y, size_t n, double mx, double my)
{
    double s = 0;
    for (size_t k = 0; k < n; k++)
        s += (x[k] - mx) * (y[k] - my);
    return s;
}
