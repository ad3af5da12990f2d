/* Coverage intervals from Monte Carlo model values (JCGM 101 7.7).
 *
 * Both intervals only need the order of the lowest and the highest
 * (1 - p) M values: the array is partitioned around those two ranks in
 * O(M) and only the two tails are sorted, so 10^6 values cost a few
 * milliseconds instead of a full sort. For large M the two ranks come from
 * pivots picked in a sample and one well-predicted pass (split_tails). */
#include "unc.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model_priv.h"
#include "cd_i18n.h"

static void swap(double *a, double *b)
{
    double t = *a;
    *a = *b;
    *b = t;
}

static void insertion_sort(double *v, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        double x = v[i];
        size_t j = i;
        while (j > 0 && v[j - 1] > x) {
            v[j] = v[j - 1];
            j--;
        }
        v[j] = x;
    }
}

/* Orders v[0], v[n/2], v[n-1] and returns n/2, where the median now is. */
static size_t median_of_three(double *v, size_t n)
{
    size_t mid = n / 2;
    if (v[mid] < v[0])
        swap(&v[mid], &v[0]);
    if (v[n - 1] < v[0])
        swap(&v[n - 1], &v[0]);
    if (v[n - 1] < v[mid])
        swap(&v[n - 1], &v[mid]);
    return mid;
}

/* Median of three as pivot, Hoare partition. Returns the split: all of
 * v[0..s] <= pivot <= all of v[s+1..n-1]. */
static size_t partition(double *v, size_t n)
{
    size_t mid = median_of_three(v, n);
    double pivot = v[mid];
    size_t i = 0;
    size_t j = n - 1;
    for (;;) {
        while (v[i] < pivot)
            i++;
        while (v[j] > pivot)
            j--;
        if (i >= j)
            return j;
        swap(&v[i], &v[j]);
        i++;
        j--;
    }
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a;
    double y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Lomuto partition with no branch on the data: on random values a branchy
 * partition mispredicts half its comparisons. Pivot: median of three. On
 * return v[0..lo) < v[lo..hi) <= v[hi..n), and v[lo..hi) holds values equal
 * to the pivot, which are in place: usually just the pivot; when nothing is
 * below the pivot, every value equal to it (so equal values cost O(n)). */
static void partition_bl(double *v, size_t n, size_t *lo, size_t *hi)
{
    size_t mid = median_of_three(v, n);
    swap(&v[0], &v[mid]);
    double pivot = v[0];
    size_t i = 1;
    for (size_t j = 1; j < n; j++) {
        double x = v[j];
        v[j] = v[i];
        v[i] = x;
        i += x < pivot;
    }
    swap(&v[0], &v[i - 1]);
    if (i > 1) {
        *lo = i - 1;
        *hi = i;
        return;
    }
    /* Nothing below the pivot: gather the values equal to it, which are done. */
    for (size_t j = 1; j < n; j++) {
        double x = v[j];
        v[j] = v[i];
        v[i] = x;
        i += !(pivot < x);
    }
    *lo = 0;
    *hi = i;
}

/* Quicksort for doubles without a comparison callback; qsort beyond a
 * depth that only adversarial input reaches. */
static void sort_doubles(double *v, size_t n, int depth)
{
    while (n > 24) {
        if (depth-- == 0) {
            qsort(v, n, sizeof *v, cmp_double);
            return;
        }
        size_t lo, hi;
        partition_bl(v, n, &lo, &hi);
        if (lo < n - hi) {
            sort_doubles(v, lo, depth);
            v += hi;
            n -= hi;
        } else {
            sort_doubles(v + hi, n - hi, depth);
            n = lo;
        }
    }
    insertion_sort(v, n);
}

/* Rearranges v so that v[k] holds the value of rank k, smaller values
 * before it and larger after it. */
static void select_rank(double *v, size_t n, size_t k)
{
    size_t lo = 0;
    size_t hi = n; /* the window [lo, hi) contains rank k */
    int budget = 64;
    while (hi - lo > 24) {
        if (budget-- == 0) {
            sort_doubles(v + lo, hi - lo, 0);
            return;
        }
        size_t s = lo + partition(v + lo, hi - lo) + 1;
        if (k < s)
            hi = s;
        else
            lo = s;
    }
    insertion_sort(v + lo, hi - lo);
}

/* Sample size for the pivots of split_tails. */
#define SAMPLE 16384

/* One pass: values below lo to the front, above hi to the back. Most values
 * lie between, so both comparisons are well predicted. */
static void partition3(double *v, size_t n, double lo, double hi, size_t *n_low, size_t *n_high)
{
    size_t a = 0;
    size_t i = 0;
    size_t b = n;
    while (i < b) {
        double x = v[i];
        if (x < lo) {
            v[i] = v[a];
            v[a] = x;
            a++;
            i++;
        } else if (x > hi) {
            b--;
            v[i] = v[b];
            v[b] = x;
        } else {
            i++;
        }
    }
    *n_low = a;
    *n_high = n - b;
}

/* A double as an unsigned key of the same order (for values that are not
 * NaN): the sign bit flipped for positive values, every bit for negative. */
static uint64_t key_of(double x)
{
    uint64_t u;
    memcpy(&u, &x, sizeof u);
    return (u >> 63) != 0 ? ~u : u ^ ((uint64_t)1 << 63);
}

/* Least-significant-digit radix sort of v[0..n) (no NaN) by the keys of
 * key_of, a byte a pass, through `tmp` (n doubles). A pass whose byte is
 * the same in every key (the sign and exponent of values of one size) is
 * skipped. Sorting the tails of 10^6 values this way takes a fraction of
 * the time of a comparison sort, and the tails are most of the time of the
 * coverage intervals (issue 21). */
static void radix_sort(double *v, size_t n, double *tmp)
{
    size_t count[8][256];
    memset(count, 0, sizeof count);
    for (size_t i = 0; i < n; i++) {
        uint64_t k = key_of(v[i]);
        for (int d = 0; d < 8; d++)
            count[d][(k >> (8 * d)) & 0xff]++;
    }
    double *src = v, *dst = tmp;
    for (int d = 0; d < 8; d++) {
        size_t *c = count[d];
        if (c[(key_of(src[0]) >> (8 * d)) & 0xff] == n)
            continue;
        size_t at = 0;
        for (int b = 0; b < 256; b++) {
            size_t k = c[b];
            c[b] = at;
            at += k;
        }
        for (size_t i = 0; i < n; i++)
            dst[c[(key_of(src[i]) >> (8 * d)) & 0xff]++] = src[i];
        double *t = src;
        src = dst;
        dst = t;
    }
    if (src != v)
        memcpy(v, src, n * sizeof *v);
}

/* Sorted lowest `tail` values at the front, sorted highest `tail` at the back,
 * for large n with small tails: pivots just inside both tails come from a
 * sample (Floyd-Rivest), one pass splits the array, and only the tails (plus
 * a little slack) are sorted. Returns 0, having changed only the order of v,
 * when the pivots missed; the caller then takes the general path. With
 * `spend_middle` the values between the tails, which no interval needs, are
 * overwritten: they are the room the radix sort of the tails works in. */
static int split_tails(double *v, size_t n, size_t tail, bool spend_middle)
{
    size_t s = SAMPLE;
    if (n < 8 * s)
        return 0;
    size_t stride = n / s;
    for (size_t j = 1; j < s; j++)
        swap(&v[j], &v[j * stride]);
    double f = (double)tail / (double)n;
    double slack = 3.0 * sqrt(f * (1 - f) * (double)s) + 1;
    double kl_d = f * (double)s + slack;
    double kh_d = (1 - f) * (double)s - slack;
    if (!(kl_d < kh_d))
        return 0;
    size_t kl = (size_t)kl_d;
    size_t kh = (size_t)kh_d;
    select_rank(v, s, kl);
    double lo = v[kl];
    select_rank(v + kl, s - kl, kh - kl);
    double hi = v[kh];
    size_t n_low, n_high;
    partition3(v, n, lo, hi, &n_low, &n_high);
    if (n_low < tail || n_high < tail)
        return 0;
    size_t middle = n - n_low - n_high;
    if (spend_middle && middle >= n_low && middle >= n_high) {
        radix_sort(v, n_low, v + n_low);
        radix_sort(v + n - n_high, n_high, v + n_low);
    } else {
        sort_doubles(v, n_low, 2 * 64);
        sort_doubles(v + n - n_high, n_high, 2 * 64);
    }
    return 1;
}

static int intervals(double *v, size_t n, double p, bool spend_middle, double *sym_low,
                     double *sym_high, double *short_low, double *short_high,
                     struct cd_err *err);

int unc_coverage_intervals(double *v, size_t n, double p, double *sym_low, double *sym_high,
                           double *short_low, double *short_high, struct cd_err *err)
{
    for (size_t i = 0; i < n; i++)
        if (isnan(v[i]))
            return cd_fail(err, CD_ERR_NUMERIC, _("model value %zu is not a number"), i + 1);
    return intervals(v, n, p, false, sym_low, sym_high, short_low, short_high, err);
}

int coverage_intervals_finite(double *v, size_t n, double p, double *sym_low, double *sym_high,
                              double *short_low, double *short_high, struct cd_err *err)
{
    return intervals(v, n, p, true, sym_low, sym_high, short_low, short_high, err);
}

static int intervals(double *v, size_t n, double p, bool spend_middle, double *sym_low,
                     double *sym_high, double *short_low, double *short_high,
                     struct cd_err *err)
{
    if (!(p > 0 && p < 1))
        return cd_fail(err, CD_ERR_INVALID, _("coverage probability %g outside (0, 1)"), p);
    if (n < 2)
        return cd_fail(err, CD_ERR_INVALID, _("%zu model values: too few for an interval"), n);

    /* JCGM 101 7.7.1: q = pM, or the integer part of pM + 1/2. */
    double pm = p * (double)n;
    size_t q = (size_t)floor(pm + 0.5);
    if (q < 1)
        q = 1;
    if (q > n - 1)
        q = n - 1;
    size_t tail = n - q; /* candidates for the lower endpoint: ranks 0..tail-1 */

    if (2 * tail >= n) {
        sort_doubles(v, n, 2 * 64);
    } else if (!split_tails(v, n, tail, spend_middle)) {
        select_rank(v, n, tail);
        select_rank(v + tail, n - tail, q - tail);
        sort_doubles(v, tail, 2 * 64);
        sort_doubles(v + q, n - q, 2 * 64);
    }

    /* 7.7.2 probabilistically symmetric: r = (M - q)/2 when whole, else the
     * integer part of (M - q + 1)/2; endpoints y(r), y(r+q), 1-based. */
    size_t r = tail % 2 == 0 ? tail / 2 : (tail + 1) / 2;
    if (r < 1)
        r = 1;
    *sym_low = v[r - 1];
    *sym_high = v[r - 1 + q];

    /* 7.7.3 shortest: the r* in 1..M-q minimising y(r+q) - y(r). */
    size_t best = 0;
    double width = INFINITY;
    for (size_t k = 0; k < tail; k++) {
        double w = v[k + q] - v[k];
        if (w < width) {
            width = w;
            best = k;
        }
    }
    *short_low = v[best];
    *short_high = v[best + q];
    return 0;
}
