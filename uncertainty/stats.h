/* Mean and standard deviation computed without cancellation. Private to
 * uncertainty/. The references are cited from memory: the formulas are
 * the well-known ones written beside each, not copied from the texts.
 *
 * Why: s^2 = (sum x^2 - n mean^2) / (n - 1) subtracts two numbers of size
 * n mean^2 to get one of size n s^2; when |mean| / s is 10^7 (a 1 kg weight
 * in mg with u = 0.1 mg) it loses every digit (issue 15). Both forms below
 * work on deviations, whose size is that of s:
 *   - a running accumulator (B. P. Welford, Technometrics 4, 1962; also
 *     Knuth, TAOCP vol. 2, 4.2.2) when values arrive one at a time, e.g.
 *     one batch summary after another;
 *   - two passes over an array, the first over deviations from its first
 *     value, the second with the correction term of the "corrected
 *     two-pass algorithm" (Chan, Golub & LeVeque, "Algorithms for computing
 *     the sample variance", The American Statistician 37, 1983). */
#ifndef CALDAQ_UNC_STATS_H
#define CALDAQ_UNC_STATS_H

#include <stddef.h>

struct stats_acc {
    size_t n;
    double mean;
    double m2;          /* sum of squared deviations from the running mean */
};

void stats_acc_add(struct stats_acc *a, double x);
/* a := the values of a and of b together, by the pairwise update of Chan,
 * Golub & LeVeque (the mean moves by delta n_b / n, m2 gains
 * delta^2 n_a n_b / n, delta = mean_b - mean_a): both parts are sums of
 * deviations, so nothing cancels. Not commutative in the last bits: merge
 * in a fixed order for figures that do not depend on who computed what. */
void stats_acc_merge(struct stats_acc *a, const struct stats_acc *b);
/* *out := the accumulator of v[0..n) (n >= 1), by the two passes of
 * stats_mean_ss with four partial sums, for a block that is in the cache. */
void stats_acc_of(const double *v, size_t n, struct stats_acc *out);
/* Sample variance m2 / (n - 1); NAN below two values. */
double stats_acc_var(const struct stats_acc *a);

/* Mean of v[0..n) and the sum of squared deviations from it (n >= 1). A
 * non-finite value makes both non-finite. */
void stats_mean_ss(const double *v, size_t n, double *mean, double *ss);

/* Sum of the products of the deviations of two arrays from their means
 * (mx, my, from stats_mean_ss), for a covariance. */
double stats_cross_dev(const double *x, const double *y, size_t n, double mx, double my);

#endif
