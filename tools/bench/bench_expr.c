/* Why caldaq evaluates model expressions itself: the mass-calibration model
 * of JCGM 101 9.3 evaluated 10^6 times by GNU libmatheval (one call per
 * trial, values passed by name) and by our compiled block evaluator
 * (uncertainty/expr.c, 256 trials per instruction), on the same inputs.
 * Prints ns per evaluation and the ratio; checks both agree. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <matheval.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "expr.h"

#define N 1000000
#define N_IN 5

static const char model[] = "(mRc + dmRc)*(1 + (rho_a - 1.2)*(1/rho_W - 1/rho_R)) - 100000";
static char *names[N_IN] = {"mRc", "dmRc", "rho_a", "rho_W", "rho_R"};

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int lookup(void *ctx, const char *name, int *var, double *value)
{
    (void)ctx;
    (void)value;
    for (int i = 0; i < N_IN; i++)
        if (strcmp(names[i], name) == 0) {
            *var = i;
            return 1;
        }
    return 0;
}

int main(void)
{
    double *in = malloc((size_t)N * N_IN * sizeof *in); /* column-major: in[i*N + t] */
    double *out_lib = malloc(N * sizeof *out_lib);
    double *out_ours = malloc(N * sizeof *out_ours);
    if (in == NULL || out_lib == NULL || out_ours == NULL)
        return 1;
    const double centre[N_IN] = {100000, 1.234, 1.2, 8000, 8000};
    const double spread[N_IN] = {0.05, 0.02, 0.1, 1000, 50};
    unsigned long long s = 88172645463325252ULL;
    for (int i = 0; i < N_IN; i++)
        for (int t = 0; t < N; t++) {
            s ^= s << 13, s ^= s >> 7, s ^= s << 17;
            in[(size_t)i * N + t] = centre[i] + spread[i] * ((double)(s >> 11) / 9007199254740992.0 - 0.5);
        }

    void *ev = evaluator_create((char *)model);
    struct cd_err err = {0};
    struct expr *e = expr_parse(model, lookup, NULL, "bench", &err);
    struct expr_prog *prog = e != NULL ? expr_compile(e) : NULL;
    if (ev == NULL || prog == NULL) {
        fprintf(stderr, "bench_expr: cannot parse the model: %s\n", err.msg);
        return 1;
    }
    double *scratch = calloc(expr_prog_registers(prog) * EXPR_BLOCK + 1, sizeof *scratch);

    double best_lib = INFINITY, best_ours = INFINITY;
    for (int round = 0; round < 5; round++) {
        double t0 = now();
        double x[N_IN];
        for (int t = 0; t < N; t++) {
            for (int i = 0; i < N_IN; i++)
                x[i] = in[(size_t)i * N + t];
            out_lib[t] = evaluator_evaluate(ev, N_IN, names, x);
        }
        double t1 = now();
        for (size_t t = 0; t < N; t += EXPR_BLOCK) {
            const double *cols[N_IN];
            for (int i = 0; i < N_IN; i++)
                cols[i] = in + (size_t)i * N + t;
            size_t n = N - t < EXPR_BLOCK ? N - t : EXPR_BLOCK;
            expr_prog_eval_block(prog, cols, n, scratch, out_ours + t);
        }
        double t2 = now();
        if (t1 - t0 < best_lib)
            best_lib = t1 - t0;
        if (t2 - t1 < best_ours)
            best_ours = t2 - t1;
    }
    double worst = 0;
    for (int t = 0; t < N; t++) {
        double d = fabs(out_lib[t] - out_ours[t]);
        if (d > worst)
            worst = d;
    }
    printf("expression evaluation, JCGM 101 9.3 model, 1e6 trials (best of 5)\n");
    printf("  libmatheval (per trial, by name): %.4f s = %.1f ns/trial\n", best_lib, 1e9 * best_lib / N);
    printf("  caldaq compiled blocks:           %.4f s = %.1f ns/trial\n", best_ours, 1e9 * best_ours / N);
    printf("  ratio libmatheval / caldaq:       %.1f\n", best_lib / best_ours);
    printf("  largest difference between them:  %.3g mg\n", worst);
    printf("BENCH expr_matheval_s=%.6f\nBENCH expr_caldaq_s=%.6f\nBENCH expr_ratio=%.2f\n", best_lib,
           best_ours, best_lib / best_ours);
    evaluator_destroy(ev);
    expr_prog_free(prog);
    expr_free(e);
    free(scratch);
    free(in);
    free(out_lib);
    free(out_ours);
    return worst < 1e-9 ? 0 : 1;
}
