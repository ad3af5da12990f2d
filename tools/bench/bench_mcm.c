/* bench_mcm: how fast, and how lean, is the Monte Carlo engine?
 *
 * Runs the JCGM 101 clause 9.3 mass-calibration model (the case
 * "JCGM101-9.3-mass-calibration" of ../shared/reference/gum-cases.json)
 * through the public API with 10^6 trials, then with 10^7 (argument: the
 * counts, default "1000000 10000000"), and prints, each as the best of
 * several repetitions of wall-clock time:
 *
 *   - unc_mcm on all cores and on one thread;
 *   - the floor: drawing the same random numbers and nothing else, with the
 *     engine's own sampling code (unc_mcm_draw_only: its generator, lanes
 *     and blocks of 256; per trial 2 ziggurat normals and 3 uniforms),
 *     single-threaded. Built with -DBENCH_BEFORE (for the before/after
 *     table of issue 21, against the code before unc_mcm_draw_only
 *     existed) the floor is the same draws from one mt19937, the generator
 *     the engine had then;
 *   - unc_coverage_intervals alone on 10^6 values (where the rest goes);
 *   - the peak RSS growth per trial between N = 10^6 and N = 4 x 10^6, each
 *     measured in a fresh child process;
 *   - the figures of one run, so a reader sees that it computes the right thing.
 *
 * Human-readable lines first, then `BENCH key=value` lines for tools/bench/run.
 * A benchmark prints figures; it does not pass or fail on them. Exit status
 * is non-zero only when something could not be run at all. */
#include "unc.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#define MEM_TRIALS_SMALL 1000000
#define MEM_TRIALS_LARGE 4000000
#define ROUNDS 11 /* timed repetitions of each figure; the best is kept */
#define MAX_SIZES 4
#define TRIALS 1000000 /* for the intervals alone */
#define BLOCK 256
#define P_COVERAGE 0.95 /* the coverage probability of JCGM 101 9.3 */
#define SEED 1

/* JCGM 101 9.3 as printed in gum-cases.json ("expected", 5e7 trials). */
#define REF_U 0.07547
#define REF_SHORT_LOW 1.0844
#define REF_SHORT_HIGH 1.3836

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int fail(const char *what, const struct cd_err *err)
{
    fprintf(stderr, "bench_mcm: %s: %s\n", what, cd_err_text(err));
    return 1;
}

/* ------------------------------------------------------------ the model */

/* Owner: the caller (unc_model_free). NULL on failure, with err set. */
static unc_model *model_9_3(struct cd_err *err)
{
    unc_model *m = unc_model_new("JCGM 101 9.3");
    if (m == NULL) {
        cd_fail(err, CD_ERR_NOMEM, "out of memory");
        return NULL;
    }
    const struct unc_input_spec inputs[] = {
        {.name = "mRc", .unit = "mg", .dist = UNC_DIST_NORMAL, .value = 100000.0, .u = 0.05,
         .dof = INFINITY},
        {.name = "dmRc", .unit = "mg", .dist = UNC_DIST_NORMAL, .value = 1.234, .u = 0.02,
         .dof = INFINITY},
        {.name = "rho_a", .unit = "kg/m3", .dist = UNC_DIST_RECTANGULAR, .value = 1.2,
         .half_width = 0.1, .dof = INFINITY},
        {.name = "rho_W", .unit = "kg/m3", .dist = UNC_DIST_RECTANGULAR, .value = 8000.0,
         .half_width = 1000.0, .dof = INFINITY},
        {.name = "rho_R", .unit = "kg/m3", .dist = UNC_DIST_RECTANGULAR, .value = 8000.0,
         .half_width = 50.0, .dof = INFINITY},
    };
    int rc = unc_model_add_constant(m, "rho_a0", 1.2, 0, err);
    if (rc == 0)
        rc = unc_model_add_constant(m, "m_nom", 100000.0, 0, err);
    for (size_t i = 0; i < sizeof inputs / sizeof inputs[0] && rc == 0; i++)
        rc = unc_model_add_input(m, &inputs[i], err);
    if (rc == 0)
        rc = unc_model_add_output(
            m, "dm", "mg", "(mRc + dmRc)*(1 + (rho_a - rho_a0)*(1/rho_W - 1/rho_R)) - m_nom", 0,
            err);
    if (rc == 0)
        rc = unc_model_prepare(m, err);
    if (rc != 0) {
        unc_model_free(m);
        return NULL;
    }
    return m;
}

static void mcm_options(struct unc_mcm_options *o, size_t trials, int threads)
{
    unc_mcm_options_default(o);
    o->trials = trials;
    o->seed = SEED;
    o->p = P_COVERAGE;
    o->threads = threads;
}

/* One timed unc_mcm run of `trials`; its figures in *fig when not NULL. */
static int run_mcm(const unc_model *m, size_t trials, int threads, double *seconds,
                   struct unc_mcm_output *fig, struct cd_err *err)
{
    struct unc_mcm_options o;
    mcm_options(&o, trials, threads);
    struct unc_mcm_result *res = NULL;
    double t0 = now_s();
    int rc = unc_mcm(m, &o, NULL, &res, err);
    *seconds = now_s() - t0;
    if (rc != 0)
        return rc;
    if (fig != NULL)
        *fig = res->outputs[0];
    unc_mcm_result_free(res);
    return 0;
}

/* ------------------------------------------------------------ the floor */

#ifdef BENCH_BEFORE
/* Only the random numbers unc_mcm drew for this model before issue 21, in
 * the order it drew them: per block of 256 trials, a column of normals per
 * normal input and a column of uniforms per rectangular input, from one
 * mt19937. The buffer stays in L1, so this is the cost of the generator,
 * not of memory. Returns a checksum so that nothing can be optimised away. */
static double draw_only(gsl_rng *rng, size_t trials)
{
    static double buf[5][BLOCK];
    double sink = 0;
    for (size_t done = 0; done < trials; done += BLOCK) {
        size_t n = trials - done < BLOCK ? trials - done : BLOCK;
        for (int c = 0; c < 2; c++)
            for (size_t t = 0; t < n; t++)
                buf[c][t] = gsl_ran_gaussian_ziggurat(rng, 1.0);
        for (int c = 2; c < 5; c++)
            for (size_t t = 0; t < n; t++)
                buf[c][t] = gsl_rng_uniform(rng);
        sink += buf[0][n - 1] + buf[1][n - 1] + buf[2][n - 1] + buf[3][n - 1] + buf[4][n - 1];
    }
    return sink;
}
#endif

/* The floor of `trials` trials: seconds, and a checksum added to *sink. */
static int floor_once(const unc_model *m, gsl_rng *rng, size_t trials, double *seconds,
                      double *sink, struct cd_err *err)
{
    double t0 = now_s();
#ifdef BENCH_BEFORE
    (void)m, (void)err;
    *sink += draw_only(rng, trials);
    *seconds = now_s() - t0;
    return 0;
#else
    (void)rng;
    double c = 0;
    int rc = unc_mcm_draw_only(m, SEED, trials, &c, err);
    *seconds = now_s() - t0;
    *sink += c;
    return rc;
#endif
}

/* ------------------------------------------------------------ timing rounds */

/* Everything a round needs, allocated once. */
struct bench {
    const unc_model *m;
    gsl_rng *rng;           /* the floor's generator */
    double *orig, *v;       /* TRIALS values for the intervals, and a copy */
    double checksum;
};

/* unc_coverage_intervals alone needs values of the model's shape: normal
 * with the model's mean and u is close enough for timing. */
static int bench_init(struct bench *b, const unc_model *m)
{
    memset(b, 0, sizeof *b);
    b->m = m;
    b->rng = gsl_rng_alloc(gsl_rng_mt19937);
    b->orig = malloc(TRIALS * sizeof *b->orig);
    b->v = malloc(TRIALS * sizeof *b->v);
    if (b->rng == NULL || b->orig == NULL || b->v == NULL)
        return CD_ERR_NOMEM;
    gsl_rng_set(b->rng, SEED);
    for (size_t t = 0; t < TRIALS; t++)
        b->orig[t] = 1.234 + 0.075 * gsl_ran_gaussian_ziggurat(b->rng, 1.0);
    return 0;
}

static void bench_free(struct bench *b)
{
    gsl_rng_free(b->rng);
    free(b->orig);
    free(b->v);
}

struct best {
    double mcm_all_s, mcm_one_s, floor_s, intervals_s;
};

/* The figures of one trial count. */
struct size_result {
    size_t trials;
    struct best best;
    struct unc_mcm_output fig, fig_one;
    bool same;
};

static void keep_min(double *best, double t)
{
    if (t < *best)
        *best = t;
}

/* One round times each figure once. The rounds interleave the figures, so a
 * burst of other work on the machine spoils one round of each, not one
 * figure's every repetition; the best of the rounds is reported. */
static int round_once(struct bench *b, size_t trials, struct best *best,
                      struct unc_mcm_output *fig_all, struct unc_mcm_output *fig_one,
                      struct cd_err *err)
{
    double t;
    int rc = run_mcm(b->m, trials, 0, &t, fig_all, err);
    if (rc != 0)
        return rc;
    keep_min(&best->mcm_all_s, t);
    rc = run_mcm(b->m, trials, 1, &t, fig_one, err);
    if (rc != 0)
        return rc;
    keep_min(&best->mcm_one_s, t);

    rc = floor_once(b->m, b->rng, trials, &t, &b->checksum, err);
    if (rc != 0)
        return rc;
    keep_min(&best->floor_s, t);

    memcpy(b->v, b->orig, TRIALS * sizeof *b->v);
    double sl, sh, shl, shh;
    double t0 = now_s();
    rc = unc_coverage_intervals(b->v, TRIALS, P_COVERAGE, &sl, &sh, &shl, &shh, err);
    keep_min(&best->intervals_s, now_s() - t0);
    return rc;
}

static bool same_figures(const struct unc_mcm_output *a, const struct unc_mcm_output *b)
{
    return a->y == b->y && a->u == b->u && a->sym_low == b->sym_low &&
           a->sym_high == b->sym_high && a->short_low == b->short_low &&
           a->short_high == b->short_high;
}

/* Every figure of one trial count: a warm-up round, then ROUNDS rounds (fewer
 * for large counts, whose single runs are long enough to time). */
static int measure_size(struct bench *b, size_t trials, struct size_result *out,
                        struct cd_err *err)
{
    memset(out, 0, sizeof *out);
    out->trials = trials;
    out->best = (struct best){INFINITY, INFINITY, INFINITY, INFINITY};
    int rounds = trials > 2000000 ? 5 : ROUNDS;
    for (int r = 0; r <= rounds; r++) {
        struct best scratch = out->best;
        int rc = round_once(b, trials, r == 0 ? &scratch : &out->best, &out->fig,
                            &out->fig_one, err);
        if (rc != 0)
            return rc;
    }
    out->same = same_figures(&out->fig, &out->fig_one);
    return 0;
}

/* ------------------------------------------------------------ memory */

static long maxrss_bytes(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return -1;
    return ru.ru_maxrss * 1024L; /* Linux reports kilobytes */
}

/* Peak RSS growth of one unc_mcm run of `trials`, measured in a fresh child
 * so that neither earlier runs nor memory the allocator kept from them can
 * hide or inflate it. */
static int mem_growth(const unc_model *m, size_t trials, long *growth)
{
    int fd[2];
    if (pipe(fd) != 0)
        return -1;
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        close(fd[0]);
        close(fd[1]);
        return -1;
    }
    if (pid == 0) {
        close(fd[0]);
        struct unc_mcm_options o;
        mcm_options(&o, trials, 0);
        struct unc_mcm_result *res = NULL;
        long before = maxrss_bytes();
        int rc = unc_mcm(m, &o, NULL, &res, NULL);
        long after = maxrss_bytes();
        unc_mcm_result_free(res);
        long g = rc == 0 && before >= 0 && after >= 0 ? after - before : -1;
        ssize_t w = write(fd[1], &g, sizeof g);
        close(fd[1]);
        _exit(w == (ssize_t)sizeof g ? 0 : 1);
    }
    close(fd[1]);
    long g = -1;
    ssize_t got;
    do
        got = read(fd[0], &g, sizeof g);
    while (got < 0 && errno == EINTR);
    close(fd[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (got != (ssize_t)sizeof g || !WIFEXITED(status) || WEXITSTATUS(status) != 0 || g < 0)
        return -1;
    *growth = g;
    return 0;
}

/* ------------------------------------------------------------ main */

/* The generator the floor draws with: the engine's. */
static const char *generator(void)
{
#ifdef BENCH_BEFORE
    return "mt19937";
#else
    return unc_mcm_generator();
#endif
}

int main(int argc, char **argv)
{
    gsl_set_error_handler_off();
    struct cd_err err = {0};
    size_t sizes[MAX_SIZES] = {1000000, 10000000};
    int n_sizes = 2;
    if (argc > 1) {
        n_sizes = 0;
        for (int a = 1; a < argc && n_sizes < MAX_SIZES; a++) {
            char *end;
            unsigned long long v = strtoull(argv[a], &end, 10);
            if (*end != '\0' || v < 10000) {
                fprintf(stderr, "usage: bench_mcm [TRIALS...] (each at least 10000)\n");
                return 2;
            }
            sizes[n_sizes++] = (size_t)v;
        }
    }
    unc_model *m = model_9_3(&err);
    if (m == NULL)
        return fail("building the JCGM 101 9.3 model", &err);
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    if (cores < 1)
        cores = 1;

    /* Memory first: the children are forked from a process that has not yet
     * allocated (and freed) any large value array. */
    long g_small = 0, g_large = 0;
    if (mem_growth(m, MEM_TRIALS_SMALL, &g_small) != 0 ||
        mem_growth(m, MEM_TRIALS_LARGE, &g_large) != 0) {
        unc_model_free(m);
        fprintf(stderr, "bench_mcm: memory measurement in a child process failed\n");
        return 1;
    }
    double mem_per_trial =
        (double)(g_large - g_small) / (double)(MEM_TRIALS_LARGE - MEM_TRIALS_SMALL);

    /* Round 0 of each size warms the caches, the allocator and the page
     * tables and is not counted. */
    struct bench b;
    if (bench_init(&b, m) != 0) {
        bench_free(&b);
        unc_model_free(m);
        fprintf(stderr, "bench_mcm: out of memory\n");
        return 1;
    }
    struct size_result res[MAX_SIZES];
    for (int k = 0; k < n_sizes; k++)
        if (measure_size(&b, sizes[k], &res[k], &err) != 0) {
            bench_free(&b);
            unc_model_free(m);
            return fail("unc_mcm", &err);
        }
    double checksum = b.checksum;
    bench_free(&b);
    unc_model_free(m);
    double threads_used = (double)(cores < 8 ? cores : 8); /* the engine has 8 lanes */

    const struct size_result *r0 = &res[0];
    printf("JCGM 101 9.3 mass calibration, p = %.2f, seed %d, %ld cores, generator %s\n",
           P_COVERAGE, SEED, cores, generator());
    printf("  %zu trials: dm = %.5f mg, u = %.5f mg\n", r0->trials, r0->fig.y, r0->fig.u);
    printf("  symmetric interval [%.5f, %.5f] mg\n", r0->fig.sym_low, r0->fig.sym_high);
    printf("  shortest interval  [%.5f, %.5f] mg\n", r0->fig.short_low, r0->fig.short_high);
    printf("  reference (5e7 trials): u = %.5f, shortest [%.4f, %.4f]; "
           "Monte Carlo scatter at 1e6 ~ 0.001 on endpoints\n",
           REF_U, REF_SHORT_LOW, REF_SHORT_HIGH);
    for (int k = 0; k < n_sizes; k++) {
        const struct size_result *r = &res[k];
        double per = 1e9 / (double)r->trials;
        printf("%zu trials (best of %d):\n", r->trials, r->trials > 2000000 ? 5 : ROUNDS);
        printf("  figures with %.0f threads and with 1 thread: %s\n", threads_used,
               r->same ? "identical" : "DIFFERENT (the engine promises identical)");
        printf("  mcm, %.0f threads: %.4f s\n", threads_used, r->best.mcm_all_s);
        printf("  mcm, 1 thread:    %.4f s = %.1f ns/trial\n", r->best.mcm_one_s,
               r->best.mcm_one_s * per);
        printf("  floor, drawing 2 normals + 3 uniforms (%s, 1 thread): %.4f s = %.1f ns/trial\n",
               generator(), r->best.floor_s, r->best.floor_s * per);
        printf("  mcm time / floor: %.2f (%.0f threads), %.2f (1 thread); target <= 1.5 "
               "(1 thread)\n",
               r->best.mcm_all_s / r->best.floor_s, threads_used,
               r->best.mcm_one_s / r->best.floor_s);
    }
    printf("coverage intervals alone, 1e6 values: %.4f s (checksum %.3f)\n",
           r0->best.intervals_s, checksum);
    printf("memory: peak RSS growth %.1f MB at 1e6, %.1f MB at 4e6 trials: "
           "%.2f bytes/trial (expected ~8: one double per trial, one output)\n",
           (double)g_small / 1e6, (double)g_large / 1e6, mem_per_trial);

    printf("BENCH cores=%ld\n", cores);
    printf("BENCH c_threads=%.0f\n", threads_used);
    printf("BENCH generator=%s\n", generator());
    for (int k = 0; k < n_sizes; k++) {
        const struct size_result *r = &res[k];
        /* the first size keeps the names tools/bench/run always read */
        char sfx[32] = "";
        if (k > 0)
            snprintf(sfx, sizeof sfx, "_%zu", r->trials);
        printf("BENCH trials%s=%zu\n", sfx, r->trials);
        printf("BENCH c_mcm_s%s=%.6f\n", sfx, r->best.mcm_all_s);
        printf("BENCH c_mcm_1thread_s%s=%.6f\n", sfx, r->best.mcm_one_s);
        printf("BENCH floor_draw_s%s=%.6f\n", sfx, r->best.floor_s);
        printf("BENCH c_threads_identical%s=%d\n", sfx, r->same ? 1 : 0);
        printf("BENCH c_y%s=%.6f\n", sfx, r->fig.y);
        printf("BENCH c_u%s=%.6f\n", sfx, r->fig.u);
        printf("BENCH c_sym_low%s=%.6f\n", sfx, r->fig.sym_low);
        printf("BENCH c_sym_high%s=%.6f\n", sfx, r->fig.sym_high);
        printf("BENCH c_short_low%s=%.6f\n", sfx, r->fig.short_low);
        printf("BENCH c_short_high%s=%.6f\n", sfx, r->fig.short_high);
    }
    printf("BENCH c_intervals_s=%.6f\n", r0->best.intervals_s);
    printf("BENCH mem_growth_1e6_bytes=%ld\n", g_small);
    printf("BENCH mem_growth_4e6_bytes=%ld\n", g_large);
    printf("BENCH mem_bytes_per_trial=%.3f\n", mem_per_trial);
    printf("BENCH mem_bytes_per_trial_expected=8\n");
    return 0;
}
