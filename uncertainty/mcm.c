/* Monte Carlo method (JCGM 101): propagation of distributions.
 *
 * Reproducibility: trials are cut into chunks of CHUNK; chunk c belongs to
 * lane c % LANES, and each lane draws from its own GSL generator seeded
 * from (seed, lane). Threads take whole lanes, so the model values - and
 * every figure reported - are the same for any number of threads.
 *
 * Memory: one array of model values per output (needed for the coverage
 * intervals); sampling and evaluation work on blocks of EXPR_BLOCK trials
 * in per-thread buffers allocated once. The mean and the spread of the
 * values are accumulated per lane while each block is still in the cache
 * (fixed-size accumulators, combined in lane order), so no pass over the
 * whole array is needed for them (issue 21: the time per trial is that of
 * drawing the inputs plus the expression, not of re-reading memory). */
#define _DEFAULT_SOURCE /* madvise, MADV_HUGEPAGE */
#include "unc.h"

#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_eigen.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "model_priv.h"
#include "stats.h"
#include "cd_i18n.h"

#define LANES 8
#define CHUNK (16 * EXPR_BLOCK)

/* The generator of every lane: GSL's taus2, L'Ecuyer's maximally
 * equidistributed combined Tausworthe generator (P. L'Ecuyer, "Maximally
 * equidistributed combined Tausworthe generators", Math. Comp. 65 (1996)
 * 203-213; GSL's taus2 is that generator with the seeding of L'Ecuyer,
 * "Tables of maximally equidistributed combined LFSR generators", Math.
 * Comp. 68 (1999) 261-269, per the GSL manual, "Random number generator
 * algorithms"). Period about
 * 2^88, maximally equidistributed (docs/model-files.md, "The random number
 * generator", says how it meets JCGM 101 Annex C and what its published
 * test record is). It replaced mt19937 in issue 21: drawing the five inputs
 * of JCGM 101 9.3 costs about half as much, and a trial is mostly drawing. */
#define MCM_RNG gsl_rng_taus2

/* How one input (or one correlated group) is drawn. */
enum draw_kind {
    DRAW_CONSTANT,      /* u = 0 */
    DRAW_NORMAL,
    DRAW_T,             /* scaled and shifted t (JCGM 101 6.4.9) */
    DRAW_RECTANGULAR,
    DRAW_TRIANGULAR,
    DRAW_ARCSINE,
    DRAW_TRAPEZOIDAL,
    DRAW_GROUP,         /* member of a correlated group, drawn with it */
};

struct group {
    size_t n;
    size_t *members;    /* input indices */
    double *chol;       /* n x n lower factor of the correlation matrix */
    double dof;         /* INFINITY: multivariate normal, else multivariate t (6.4.8) */
};

struct plan {
    const unc_model *m;
    enum draw_kind *kind;
    size_t n_groups;
    struct group *groups;
    gsl_rng *lane_rng[LANES];
};

struct worker {
    struct plan *plan;
    size_t first_lane, lane_step;
    size_t offset;      /* index of trial 0 of this batch in the value arrays */
    size_t batch;       /* trials in this batch */
    double **values;    /* per output: the value arrays */
    struct stats_acc *lane_acc; /* LANES x n_outputs: this batch's values by lane */
    bool draw_only;     /* the benchmark floor: draw, evaluate nothing */
    double checksum;    /* draw_only: a sum of drawn values, so none is skipped */
    double *columns;    /* n_inputs x EXPR_BLOCK */
    double *scratch;    /* registers x EXPR_BLOCK */
    double *z;          /* group workspace */
};

void unc_mcm_options_default(struct unc_mcm_options *o)
{
    memset(o, 0, sizeof *o);
    o->seed = 1;
    o->p = UNC_P_DEFAULT;
    o->ndig = 2;
}

void unc_mcm_result_free(struct unc_mcm_result *r)
{
    if (r == NULL)
        return;
    free(r->outputs);
    free(r);
}

/* ------------------------------------------------------------ plan */

static void plan_free(struct plan *p)
{
    for (size_t g = 0; g < p->n_groups; g++) {
        free(p->groups[g].members);
        free(p->groups[g].chol);
    }
    free(p->groups);
    free(p->kind);
    for (size_t l = 0; l < LANES; l++)
        gsl_rng_free(p->lane_rng[l]);
}

static enum draw_kind single_kind(const struct unc_input *in)
{
    if (in->u == 0)
        return DRAW_CONSTANT;
    switch (in->dist) {
    case UNC_DIST_NORMAL:
        /* JCGM 101 6.4.9.7: x, u and finite nu from a GUM evaluation
         * become a scaled and shifted t with nu degrees of freedom. */
        return isinf(in->dof) ? DRAW_NORMAL : DRAW_T;
    case UNC_DIST_STUDENT_T: return DRAW_T;
    case UNC_DIST_RECTANGULAR: return DRAW_RECTANGULAR;
    case UNC_DIST_TRIANGULAR: return DRAW_TRIANGULAR;
    case UNC_DIST_ARCSINE: return DRAW_ARCSINE;
    case UNC_DIST_TRAPEZOIDAL: return DRAW_TRAPEZOIDAL;
    }
    return DRAW_CONSTANT;
}

static int is_gaussian_like(const struct unc_input *in)
{
    return in->dist == UNC_DIST_NORMAL || in->dist == UNC_DIST_STUDENT_T;
}

/* Correlated inputs are drawn jointly: a multivariate normal, or a
 * multivariate t when they share finite dof (simultaneous observations,
 * JCGM 101 6.4.8). Any other mix is refused with the names. */
static int plan_group(struct plan *p, size_t *members, size_t n, struct cd_err *err)
{
    const unc_model *m = p->m;
    const struct unc_input *first = &m->inputs[members[0]];
    for (size_t a = 0; a < n; a++) {
        const struct unc_input *in = &m->inputs[members[a]];
        if (!is_gaussian_like(in))
            return model_fail(m, in->line, err, CD_ERR_UNSUPPORTED,
                              _("Monte Carlo: '%s' is correlated with other inputs but has a "
                              "non-Gaussian distribution; only normal or t inputs can be "
                              "correlated"),
                              in->name);
        int same = (isinf(in->dof) && isinf(first->dof)) || in->dof == first->dof;
        if (!same)
            return model_fail(m, in->line, err, CD_ERR_UNSUPPORTED,
                              _("Monte Carlo: correlated inputs '%s' and '%s' have different "
                              "dof; a joint distribution needs equal dof"),
                              first->name, in->name);
    }
    struct group *g = &p->groups[p->n_groups];
    g->n = n;
    g->dof = first->dof;
    g->members = malloc(n * sizeof *g->members);
    g->chol = calloc(n * n, sizeof *g->chol);
    if (g->members == NULL || g->chol == NULL) {
        free(g->members);
        free(g->chol);
        return model_fail(m, 0, err, CD_ERR_NOMEM, _("out of memory"));
    }
    p->n_groups++;
    memcpy(g->members, members, n * sizeof *members);

    /* Cholesky of the group's correlation matrix; a semi-definite one
     * (|r| = 1) falls back to the symmetric square root by eigenvectors. */
    gsl_matrix *a = gsl_matrix_alloc(n, n);
    if (a == NULL)
        return model_fail(m, 0, err, CD_ERR_NOMEM, _("out of memory"));
    size_t N = m->n_inputs;
    for (size_t r = 0; r < n; r++)
        for (size_t c = 0; c < n; c++)
            gsl_matrix_set(a, r, c, m->corr[members[r] * N + members[c]]);
    int rc = 0;
    if (gsl_linalg_cholesky_decomp1(a) == GSL_SUCCESS) {
        for (size_t r = 0; r < n; r++)
            for (size_t c = 0; c <= r; c++)
                g->chol[r * n + c] = gsl_matrix_get(a, r, c);
    } else {
        for (size_t r = 0; r < n; r++)
            for (size_t c = 0; c < n; c++)
                gsl_matrix_set(a, r, c, m->corr[members[r] * N + members[c]]);
        gsl_vector *eval = gsl_vector_alloc(n);
        gsl_matrix *evec = gsl_matrix_alloc(n, n);
        gsl_eigen_symmv_workspace *w = gsl_eigen_symmv_alloc(n);
        if (eval == NULL || evec == NULL || w == NULL ||
            gsl_eigen_symmv(a, eval, evec, w) != GSL_SUCCESS) {
            rc = model_fail(m, 0, err, CD_ERR_NUMERIC,
                            _("Monte Carlo: cannot factor the correlation matrix"));
        } else {
            for (size_t r = 0; r < n; r++)
                for (size_t c = 0; c < n; c++) {
                    double lambda = gsl_vector_get(eval, c);
                    g->chol[r * n + c] = gsl_matrix_get(evec, r, c) * sqrt(lambda > 0 ? lambda : 0);
                }
        }
        gsl_eigen_symmv_free(w);
        gsl_matrix_free(evec);
        gsl_vector_free(eval);
    }
    gsl_matrix_free(a);
    return rc;
}

static int plan_init(struct plan *p, const unc_model *m, uint64_t seed, struct cd_err *err)
{
    memset(p, 0, sizeof *p);
    p->m = m;
    size_t n = m->n_inputs;
    p->kind = calloc(n, sizeof *p->kind);
    p->groups = calloc(n, sizeof *p->groups);
    size_t *stack = calloc(n, sizeof *stack);
    int *seen = calloc(n, sizeof *seen);
    int rc = 0;
    if (p->kind == NULL || p->groups == NULL || stack == NULL || seen == NULL) {
        rc = model_fail(m, 0, err, CD_ERR_NOMEM, _("out of memory"));
        goto done;
    }
    for (size_t i = 0; i < n && rc == 0; i++) {
        if (seen[i])
            continue;
        /* Collect the connected component of i in the correlation graph. */
        size_t count = 0;
        stack[count++] = i;
        seen[i] = 1;
        for (size_t s = 0; s < count; s++)
            for (size_t k = 0; k < n; k++)
                if (!seen[k] && m->corr[stack[s] * n + k] != 0) {
                    seen[k] = 1;
                    stack[count++] = k;
                }
        if (count == 1) {
            p->kind[i] = single_kind(&m->inputs[i]);
        } else {
            for (size_t s = 0; s < count; s++)
                p->kind[stack[s]] = DRAW_GROUP;
            rc = plan_group(p, stack, count, err);
        }
    }
    /* Lane seeds differ by construction (seed * LANES + lane + 1), so no two
     * lanes of a seed share a stream. The + 1: taus2 takes seed 0 as seed 1
     * (GSL's taus_set), which would give lanes 0 and 1 of seed 0 one stream. */
    for (size_t l = 0; l < LANES && rc == 0; l++) {
        p->lane_rng[l] = gsl_rng_alloc(MCM_RNG);
        if (p->lane_rng[l] == NULL)
            rc = model_fail(m, 0, err, CD_ERR_NOMEM, _("out of memory"));
        else
            gsl_rng_set(p->lane_rng[l], (unsigned long)(seed * LANES + l + 1));
    }
done:
    free(stack);
    free(seen);
    return rc;
}

/* ------------------------------------------------------------ sampling */

static void draw_single(enum draw_kind kind, const struct unc_input *in, gsl_rng *rng,
                        double *col, size_t n)
{
    double x = in->value;
    double u = in->u;
    double a = in->half_width;
    size_t t;
    switch (kind) {
    case DRAW_CONSTANT:
        for (t = 0; t < n; t++)
            col[t] = x;
        break;
    case DRAW_NORMAL:
        for (t = 0; t < n; t++)
            col[t] = x + u * gsl_ran_gaussian_ziggurat(rng, 1.0);
        break;
    case DRAW_T:
        for (t = 0; t < n; t++)
            col[t] = x + u * gsl_ran_tdist(rng, in->dof);
        break;
    case DRAW_RECTANGULAR:
        for (t = 0; t < n; t++)
            col[t] = x + a * (2.0 * gsl_rng_uniform(rng) - 1.0);
        break;
    case DRAW_TRIANGULAR:
        for (t = 0; t < n; t++)
            col[t] = x + a * (gsl_rng_uniform(rng) + gsl_rng_uniform(rng) - 1.0);
        break;
    case DRAW_ARCSINE:
        for (t = 0; t < n; t++)
            col[t] = x + a * sin(2.0 * M_PI * gsl_rng_uniform(rng));
        break;
    case DRAW_TRAPEZOIDAL: {
        /* JCGM 101 6.4.4.4 with [x - a, x + a] and beta = top/base. */
        double b = in->beta;
        for (t = 0; t < n; t++) {
            double r1 = gsl_rng_uniform(rng);
            double r2 = gsl_rng_uniform(rng);
            col[t] = x - a + a * ((1 + b) * r1 + (1 - b) * r2);
        }
        break;
    }
    case DRAW_GROUP:
        break;
    }
}

static void draw_group(const struct group *g, const unc_model *m, gsl_rng *rng,
                       double *columns, double *z, size_t n)
{
    for (size_t t = 0; t < n; t++) {
        for (size_t a = 0; a < g->n; a++)
            z[a] = gsl_ran_gaussian_ziggurat(rng, 1.0);
        double scale = 1.0;
        if (!isinf(g->dof))
            scale = sqrt(g->dof / gsl_ran_chisq(rng, g->dof));
        for (size_t a = 0; a < g->n; a++) {
            double s = 0;
            for (size_t b = 0; b < g->n; b++)
                s += g->chol[a * g->n + b] * z[b];
            const struct unc_input *in = &m->inputs[g->members[a]];
            columns[g->members[a] * EXPR_BLOCK + t] = in->value + in->u * s * scale;
        }
    }
}

/* Draw and evaluate the trials [start, start + count) of a lane's chunk,
 * a block at a time; each block's values are added to the lane's
 * accumulators (acc[j] for output j) while they are in the cache. */
static void run_chunk(struct worker *w, gsl_rng *rng, struct stats_acc *acc, size_t start,
                      size_t count)
{
    const unc_model *m = w->plan->m;
    const double *cols[m->n_inputs + 1];
    for (size_t i = 0; i < m->n_inputs; i++)
        cols[i] = w->columns + i * EXPR_BLOCK;
    for (size_t done = 0; done < count; done += EXPR_BLOCK) {
        size_t n = count - done < EXPR_BLOCK ? count - done : EXPR_BLOCK;
        for (size_t i = 0; i < m->n_inputs; i++)
            draw_single(w->plan->kind[i], &m->inputs[i], rng, w->columns + i * EXPR_BLOCK, n);
        for (size_t g = 0; g < w->plan->n_groups; g++)
            draw_group(&w->plan->groups[g], m, rng, w->columns, w->z, n);
        if (w->draw_only) {
            for (size_t i = 0; i < m->n_inputs; i++)
                w->checksum += w->columns[i * EXPR_BLOCK + n - 1];
            continue;
        }
        for (size_t j = 0; j < m->n_outputs; j++) {
            double *out = w->values[j] + w->offset + start + done;
            expr_prog_eval_block(m->outputs[j].prog, cols, n, w->scratch, out);
            struct stats_acc block;
            stats_acc_of(out, n, &block);
            stats_acc_merge(&acc[j], &block);
        }
    }
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    size_t chunks = (w->batch + CHUNK - 1) / CHUNK;
    size_t q = w->plan->m->n_outputs;
    for (size_t lane = w->first_lane; lane < LANES; lane += w->lane_step) {
        gsl_rng *rng = w->plan->lane_rng[lane];
        for (size_t c = lane; c < chunks; c += LANES) {
            size_t start = c * CHUNK;
            size_t count = w->batch - start < CHUNK ? w->batch - start : CHUNK;
            run_chunk(w, rng, w->lane_acc + lane * q, start, count);
        }
    }
    return NULL;
}

/* ------------------------------------------------------------ heavy tails */

/* Which moments of an output exist. A t-distribution with nu degrees of
 * freedom has a mean only for nu > 1 and a variance only for nu > 2 (JCGM
 * 101 6.4.9: the variance of t_nu(x, u^2) is u^2 nu / (nu - 2)); an output
 * that uses such an input inherits the lack, so the mean and standard
 * deviation of its model values estimate nothing and never settle. */
struct moments {
    bool mean;
    bool var;
};

/* The degrees of freedom input i is drawn with, INFINITY when it is not a
 * t (JCGM 101 6.4.9.7: a normal input with finite dof is drawn as a t; a
 * correlated group shares one dof, 6.4.8). Exact inputs draw nothing. */
static double draw_dof(const struct plan *p, size_t i)
{
    const struct unc_input *in = &p->m->inputs[i];
    if (in->u == 0)
        return INFINITY;
    if (p->kind[i] == DRAW_T || (p->kind[i] == DRAW_GROUP && is_gaussian_like(in)))
        return in->dof;
    return INFINITY;
}

/* Append to a message of `cap` bytes, of which *used are written;
 * cut at the end, never overrun. */
static void append(char *buf, size_t cap, size_t *used, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void append(char *buf, size_t cap, size_t *used, const char *fmt, ...)
{
    if (*used + 1 >= cap)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf + *used, cap - *used, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= cap - *used)
        *used = cap - 1;
    else
        *used += (size_t)n;
}

/* Fill mo[j] for every output, and describe the inputs with no variance in
 * `warning` ("" when there are none). */
static void heavy_tails(const struct plan *p, struct moments *mo, char *warning, size_t cap)
{
    const unc_model *m = p->m;
    size_t used = 0;
    warning[0] = '\0';
    for (size_t j = 0; j < m->n_outputs; j++)
        mo[j] = (struct moments){.mean = true, .var = true};
    bool no_mean = false;
    size_t listed = 0;
    for (size_t i = 0; i < m->n_inputs; i++) {
        double nu = draw_dof(p, i);
        if (!(nu <= 2))
            continue;
        bool uses = false;
        for (size_t j = 0; j < m->n_outputs; j++) {
            if (!expr_uses(m->outputs[j].expr, (int)i))
                continue;
            uses = true;
            mo[j].var = false;
            if (nu <= 1) {
                mo[j].mean = false;
                no_mean = true;
            }
        }
        if (!uses)
            continue;
        const struct unc_input *in = &m->inputs[i];
        append(warning, cap, &used, "%s'%s' (", listed == 0 ? _("Monte Carlo: input ") : ", ",
               in->name);
        if (in->line > 0)
            append(warning, cap, &used, "%s:%d, ", m->source != NULL ? m->source : "model",
                   in->line);
        append(warning, cap, &used, _("%g degree%s of freedom)"), nu, nu == 1 ? "" : "s");
        listed++;
    }
    if (listed == 0)
        return;
    size_t affected = 0;
    for (size_t j = 0; j < m->n_outputs; j++)
        affected += !mo[j].var;
    append(warning, cap, &used,
           _(" %s drawn from a t-distribution with 2 or fewer degrees of freedom, which has no "
           "variance (JCGM 101 6.4.9)%s: u(y) of the Monte Carlo is not defined%s for output%s"),
           listed == 1 ? "is" : "are", no_mean ? _(" and with 1 not even a mean") : "",
           no_mean ? _(", nor y where such an input enters,") : "", affected == 1 ? "" : "s");
    for (size_t j = 0, k = 0; j < m->n_outputs; j++)
        if (!mo[j].var)
            append(warning, cap, &used, "%s '%s'", k++ == 0 ? "" : ",", m->outputs[j].name);
    append(warning, cap, &used, _("; the coverage intervals are reported"));
}

/* ------------------------------------------------------------ driver */

struct run {
    struct plan plan;
    size_t n_threads;
    struct worker *workers;
    double **values;
    size_t capacity;    /* trials the value arrays hold */
    size_t alloc_bytes; /* bytes of each value array, for free_values */
    struct stats_acc *lane_acc; /* LANES x n_outputs, for the batch being run */
    struct stats_acc *batch_acc; /* n_outputs: the last batch, lanes combined */
};

static int run_init(struct run *r, const unc_model *m, const struct unc_mcm_options *o,
                    struct cd_err *err)
{
    memset(r, 0, sizeof *r);
    int rc = plan_init(&r->plan, m, o->seed, err);
    if (rc != 0)
        return rc;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    size_t threads = o->threads > 0 ? (size_t)o->threads : (cores > 0 ? (size_t)cores : 1);
    if (threads > LANES)
        threads = LANES;
    r->n_threads = threads;
    r->workers = calloc(threads, sizeof *r->workers);
    r->values = calloc(m->n_outputs, sizeof *r->values);
    r->lane_acc = calloc(LANES * m->n_outputs, sizeof *r->lane_acc);
    r->batch_acc = calloc(m->n_outputs, sizeof *r->batch_acc);
    if (r->workers == NULL || r->values == NULL || r->lane_acc == NULL || r->batch_acc == NULL)
        return model_fail(m, 0, err, CD_ERR_NOMEM, _("out of memory"));
    size_t regs = 1;
    for (size_t j = 0; j < m->n_outputs; j++) {
        size_t k = expr_prog_registers(m->outputs[j].prog);
        if (k > regs)
            regs = k;
    }
    for (size_t t = 0; t < threads; t++) {
        struct worker *w = &r->workers[t];
        w->plan = &r->plan;
        w->first_lane = t;
        w->lane_step = threads;
        w->values = r->values;
        w->lane_acc = r->lane_acc;
        w->columns = calloc((m->n_inputs + 1) * EXPR_BLOCK, sizeof *w->columns);
        w->scratch = calloc(regs * EXPR_BLOCK, sizeof *w->scratch);
        w->z = calloc(m->n_inputs + 1, sizeof *w->z);
        if (w->columns == NULL || w->scratch == NULL || w->z == NULL)
            return model_fail(m, 0, err, CD_ERR_NOMEM, _("out of memory"));
    }
    return 0;
}

/* Value arrays are mapped, not malloc'ed: large ones are asked to live
 * on transparent huge pages (2 MiB), so that filling 10^7 values takes
 * about 40 page faults rather than 20 000 (each fault a trip into the
 * kernel; before issue 21 they were a tenth of the time of 10^7 trials). */
#define HUGE_PAGE ((size_t)2 << 20)

static double *values_alloc(size_t bytes)
{
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
#ifdef MADV_HUGEPAGE
    if (bytes >= HUGE_PAGE)
        (void)madvise(p, bytes, MADV_HUGEPAGE); /* a hint; refused is fine */
#endif
    return p;
}

static void values_free(double *v, size_t bytes)
{
    if (v != NULL)
        munmap(v, bytes);
}

static void run_free(struct run *r, size_t n_outputs)
{
    if (r->workers != NULL)
        for (size_t t = 0; t < r->n_threads; t++) {
            free(r->workers[t].columns);
            free(r->workers[t].scratch);
            free(r->workers[t].z);
        }
    free(r->workers);
    if (r->values != NULL)
        for (size_t j = 0; j < n_outputs; j++)
            values_free(r->values[j], r->alloc_bytes);
    free(r->values);
    free(r->lane_acc);
    free(r->batch_acc);
    plan_free(&r->plan);
}

static int reserve(struct run *r, const unc_model *m, size_t trials, struct cd_err *err)
{
    if (trials <= r->capacity)
        return 0;
    size_t want = r->capacity == 0 ? trials : r->capacity * 2;
    if (want < trials)
        want = trials;
    if (want > SIZE_MAX / sizeof(double))
        return model_fail(m, 0, err, CD_ERR_NOMEM, _("%zu Monte Carlo trials: too many"), want);
    size_t bytes = want * sizeof(double);
    size_t q = m->n_outputs;
    double *fresh[q + 1];
    for (size_t j = 0; j < q; j++) {
        fresh[j] = values_alloc(bytes);
        if (fresh[j] == NULL) {
            for (size_t k = 0; k < j; k++)
                values_free(fresh[k], bytes);
            return model_fail(m, 0, err, CD_ERR_NOMEM,
                              _("out of memory for %zu Monte Carlo trials"), want);
        }
    }
    for (size_t j = 0; j < q; j++) {
        if (r->values[j] != NULL) {
            memcpy(fresh[j], r->values[j], r->capacity * sizeof *fresh[j]);
            values_free(r->values[j], r->alloc_bytes);
        }
        r->values[j] = fresh[j];
    }
    r->capacity = want;
    r->alloc_bytes = bytes;
    return 0;
}

/* Draw and evaluate trials [offset, offset + batch). */
static int run_batch(struct run *r, const unc_model *m, size_t offset, size_t batch,
                     struct cd_err *err)
{
    int rc = reserve(r, m, offset + batch, err);
    if (rc != 0)
        return rc;
    pthread_t tid[LANES];
    size_t started = 0;
    size_t q = m->n_outputs;
    memset(r->lane_acc, 0, LANES * q * sizeof *r->lane_acc);
    for (size_t t = 0; t < r->n_threads; t++) {
        r->workers[t].offset = offset;
        r->workers[t].batch = batch;
        r->workers[t].values = r->values;
    }
    for (size_t t = 1; t < r->n_threads; t++) {
        if (pthread_create(&tid[t], NULL, worker_main, &r->workers[t]) != 0)
            break;
        started = t;
    }
    /* Lanes of threads that failed to start are run here. */
    for (size_t t = started + 1; t < r->n_threads; t++)
        worker_main(&r->workers[t]);
    worker_main(&r->workers[0]);
    for (size_t t = 1; t <= started; t++)
        pthread_join(tid[t], NULL);
    /* Lanes in their order, whichever thread ran them: the same sums for
     * any number of threads. */
    for (size_t j = 0; j < q; j++) {
        r->batch_acc[j] = (struct stats_acc){0};
        for (size_t l = 0; l < LANES; l++)
            stats_acc_merge(&r->batch_acc[j], &r->lane_acc[l * q + j]);
    }
    return 0;
}

struct summary {
    double y, u, sym_low, sym_high, short_low, short_high;
};

/* `acc`: the mean and squared deviations of v[0..n), accumulated as the
 * values were made. */
static int summarise(const unc_model *m, size_t j, double *v, size_t n, double p,
                     const struct stats_acc *acc, struct summary *s, struct cd_err *err)
{
    /* JCGM 101 7.6: y the mean, u(y) the standard deviation of the model
     * values, from deviations (stats.h) so a large y keeps u's digits. */
    double mean = acc->mean, ss = acc->m2;
    if (!isfinite(mean) || !isfinite(ss)) {
        for (size_t t = 0; t < n; t++)
            if (!isfinite(v[t]))
                return model_fail(m, m->outputs[j].line, err, CD_ERR_NUMERIC,
                                  _("Monte Carlo: output '%s' is not finite for some drawn "
                                  "inputs (division by zero, log or sqrt of a negative "
                                  "value?)"),
                                  m->outputs[j].name);
    }
    s->y = mean;
    s->u = sqrt(ss / (double)(n - 1));
    /* A NaN or an infinity among the values would have made the sums so:
     * these are finite, and the intervals need not look again. */
    return coverage_intervals_finite(v, n, p, &s->sym_low, &s->sym_high, &s->short_low,
                                     &s->short_high, err);
}

/* The batch results of the adaptive procedure (JCGM 101 7.9.4): y, u(y)
 * and the four interval endpoints, in this order. */
enum { B_Y, B_U, B_SYM_LOW, B_SYM_HIGH, B_SHORT_LOW, B_SHORT_HIGH, B_COUNT };

/* Running statistics over batches: each quantity's average and spread by
 * Welford's update (stats.h), never sum2/h - mean^2, which loses every digit
 * when y is large compared with u (issue 15); and the sum of the batch
 * variances u^2 for the pooled u(y), a sum of positive terms. */
struct batch_stats {
    struct stats_acc q[B_COUNT];
    double sum_u2;
};

static void stats_add(struct batch_stats *b, const struct summary *s)
{
    double v[B_COUNT] = {s->y, s->u, s->sym_low, s->sym_high, s->short_low, s->short_high};
    for (int i = 0; i < B_COUNT; i++)
        stats_acc_add(&b->q[i], v[i]);
    b->sum_u2 += s->u * s->u;
}

/* JCGM 101 7.9.4: the largest standard deviation of an average over the h
 * batches, s_z^2 = sum (z_r - z_bar)^2 / (h (h - 1)), of the quantities
 * that exist (an output without a variance has no u(y) to stabilise). */
static double stats_worst_sd(const struct batch_stats *b, const struct moments *mo)
{
    double worst = 0;
    for (int i = 0; i < B_COUNT; i++) {
        if ((i == B_Y && !mo->mean) || (i == B_U && !mo->var))
            continue;
        double var = stats_acc_var(&b->q[i]);
        double sd = var > 0 ? sqrt(var / (double)b->q[i].n) : 0;
        if (sd > worst)
            worst = sd;
    }
    return worst;
}

/* JCGM 101 7.9.4: u(y) of all h M values, pooled exactly from the batch means and
 * standard deviations: (hM - 1) u^2 = (M - 1) sum u_r^2 + M sum (y_r - y_bar)^2. */
static double pooled_u(const struct batch_stats *b, size_t batch)
{
    double M = (double)batch;
    double h = (double)b->q[B_Y].n;
    double var = ((M - 1) * b->sum_u2 + M * b->q[B_Y].m2) / (h * M - 1);
    return var > 0 ? sqrt(var) : 0;
}

/* The scale that delta is taken from when u(y) does not exist (an input
 * without variance). JCGM 101 7.9.4 takes delta from u(y); this is
 * caldaq's stand-in, not the standard's: the half-width of the averaged
 * symmetric interval over the normal coverage factor for p, which is u(y)
 * for a normal output and of the same size otherwise. */
static double interval_scale(const struct batch_stats *b, double p)
{
    double half = (b->q[B_SYM_HIGH].mean - b->q[B_SYM_LOW].mean) / 2;
    return half / gsl_cdf_ugaussian_Pinv((1 + p) / 2);
}

static int adaptive(struct run *r, const unc_model *m, const struct unc_mcm_options *o,
                    const struct moments *mo, size_t *trials, bool *converged,
                    struct cd_err *err)
{
    size_t q = m->n_outputs;
    /* 7.9.4 a): M = max(J, 10^4), J the smallest integer >= 100/(1-p). */
    size_t batch = (size_t)ceil(100.0 / (1.0 - o->p));
    if (batch < 10000)
        batch = 10000;
    size_t cap = o->max_trials > 0 ? o->max_trials : 50000000;
    struct batch_stats *bs = calloc(q, sizeof *bs);
    double *scratch = malloc(batch * sizeof *scratch);
    /* all trials so far, batches combined in their order */
    struct stats_acc *all = calloc(q, sizeof *all);
    int rc = 0;
    if (bs == NULL || scratch == NULL || all == NULL) {
        rc = model_fail(m, 0, err, CD_ERR_NOMEM, _("out of memory"));
        goto done;
    }
    *converged = false;
    size_t h = 0;
    for (;;) {
        size_t offset = h * batch;
        rc = run_batch(r, m, offset, batch, err);
        if (rc != 0)
            goto done;
        h++;
        for (size_t j = 0; j < q; j++) {
            /* The interval search reorders values; work on a copy so the
             * full set stays a true sample for the final figures. */
            memcpy(scratch, r->values[j] + offset, batch * sizeof *scratch);
            struct summary s;
            rc = summarise(m, j, scratch, batch, o->p, &r->batch_acc[j], &s, err);
            if (rc != 0)
                goto done;
            stats_add(&bs[j], &s);
            stats_acc_merge(&all[j], &r->batch_acc[j]);
        }
        if (h < 2)
            continue;
        bool all_met = true;
        for (size_t j = 0; j < q && all_met; j++) {
            double u = mo[j].var ? pooled_u(&bs[j], batch) : interval_scale(&bs[j], o->p);
            double delta = unc_numerical_tolerance(u, o->ndig);
            if (!(u > 0))
                continue; /* a constant output has nothing to stabilise */
            if (2.0 * stats_worst_sd(&bs[j], &mo[j]) > delta)
                all_met = false;
        }
        if (all_met) {
            *converged = true;
            break;
        }
        if ((h + 1) * batch > cap)
            break;
    }
    *trials = h * batch;
    memcpy(r->batch_acc, all, q * sizeof *all); /* what the final figures need */
done:
    free(bs);
    free(scratch);
    free(all);
    return rc;
}

/* JCGM 101 clause 8: the LPU interval y +- U is validated when both
 * endpoint differences d_low, d_high are within the numerical tolerance
 * delta of its u(y) (7.9.2). With u = 0 from both methods (every input exact, or
 * an output that uses none of the uncertain ones) delta does not exist and
 * there is nothing to compare: a state of its own, not a failure. */
static void validate(struct unc_mcm_output *o, const struct unc_lpu_output *lpu, int ndig)
{
    o->delta = unc_numerical_tolerance(lpu->u, ndig);
    o->d_low = fabs(lpu->y - lpu->U - o->sym_low);
    o->d_high = fabs(lpu->y + lpu->U - o->sym_high);
    o->lpu_validated = isfinite(o->delta) && o->d_low <= o->delta && o->d_high <= o->delta;
    if (o->lpu_validated)
        o->validation = UNC_VALIDATION_PASSED;
    else if (lpu->u == 0 && o->u == 0 && o->sym_low == o->sym_high)
        o->validation = UNC_VALIDATION_NOTHING;
    else
        o->validation = UNC_VALIDATION_FAILED;
}

const char *unc_validation_name(enum unc_validation v)
{
    switch (v) {
    case UNC_VALIDATION_NONE: return N_("no law of propagation to validate");
    case UNC_VALIDATION_PASSED: return N_("validated");
    case UNC_VALIDATION_FAILED: return N_("NOT validated");
    case UNC_VALIDATION_NOTHING: return N_("u = 0, nothing to validate");
    }
    return N_("unknown validation state");
}

const char *unc_mcm_generator(void)
{
    return MCM_RNG->name;
}

int unc_mcm_draw_only(const unc_model *m, uint64_t seed, size_t trials, double *checksum,
                      struct cd_err *err)
{
    if (!m->prepared)
        return model_fail(m, 0, err, CD_ERR_INVALID, _("model not prepared"));
    struct unc_mcm_options o;
    unc_mcm_options_default(&o);
    o.seed = seed;
    o.threads = 1;
    struct run r;
    int rc = run_init(&r, m, &o, err);
    if (rc == 0) {
        struct worker *w = &r.workers[0];
        w->draw_only = true;
        w->batch = trials;
        worker_main(w);
        *checksum = w->checksum;
    }
    run_free(&r, m->n_outputs);
    return rc;
}

int unc_mcm(const unc_model *m, const struct unc_mcm_options *opts,
            const struct unc_lpu_result *lpu, struct unc_mcm_result **out, struct cd_err *err)
{
    *out = NULL;
    struct unc_mcm_options o;
    if (opts != NULL)
        o = *opts;
    else
        unc_mcm_options_default(&o);
    if (o.ndig <= 0)
        o.ndig = 2;
    if (!m->prepared)
        return model_fail(m, 0, err, CD_ERR_INVALID, _("model not prepared"));
    if (!(o.p > 0 && o.p < 1))
        return model_fail(m, 0, err, CD_ERR_INVALID,
                          _("coverage probability %g must lie strictly between 0 and 1"), o.p);
    if (o.trials != 0 && (double)o.trials < 1.0 / (1.0 - o.p))
        return model_fail(m, 0, err, CD_ERR_INVALID,
                          _("%zu Monte Carlo trials are too few for p = %g; JCGM 101 7.2.2 asks "
                          "for at least 10^4 (or use --mcm auto)"),
                          o.trials, o.p);
    size_t q = m->n_outputs;
    struct unc_mcm_result *res = calloc(1, sizeof *res);
    if (res == NULL || (res->outputs = calloc(q, sizeof *res->outputs)) == NULL) {
        free(res);
        return model_fail(m, 0, err, CD_ERR_NOMEM, _("out of memory"));
    }
    res->n_outputs = q;
    res->seed = o.seed;
    res->p = o.p;
    res->adaptive = o.trials == 0;
    struct run r;
    int rc = run_init(&r, m, &o, err);
    struct moments *mo = calloc(q, sizeof *mo);
    if (rc == 0 && mo == NULL)
        rc = model_fail(m, 0, err, CD_ERR_NOMEM, _("out of memory"));
    if (rc == 0)
        heavy_tails(&r.plan, mo, res->warning, sizeof res->warning);
    if (rc == 0) {
        if (res->adaptive) {
            rc = adaptive(&r, m, &o, mo, &res->trials, &res->converged, err);
        } else {
            res->trials = o.trials;
            res->converged = true;
            rc = run_batch(&r, m, 0, o.trials, err);
        }
    }
    for (size_t j = 0; j < q && rc == 0; j++) {
        struct summary s;
        rc = summarise(m, j, r.values[j], res->trials, o.p, &r.batch_acc[j], &s, err);
        if (rc != 0)
            break;
        struct unc_mcm_output *out_j = &res->outputs[j];
        *out_j = (struct unc_mcm_output){
            .y = mo[j].mean ? s.y : NAN, .u = mo[j].var ? s.u : NAN,
            .sym_low = s.sym_low, .sym_high = s.sym_high,
            .short_low = s.short_low, .short_high = s.short_high,
            .d_low = NAN, .d_high = NAN, .delta = NAN,
        };
        if (lpu != NULL && j < lpu->n_outputs)
            validate(out_j, &lpu->outputs[j], o.ndig);
    }
    run_free(&r, q);
    free(mo);
    if (rc != 0) {
        unc_mcm_result_free(res);
        return rc;
    }
    *out = res;
    return 0;
}
