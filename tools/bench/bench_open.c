/* make bench, the floor of batch reprocessing: open and read every run file
 * under DIR with the HDF5 library (daq_run_open: the whole run, as the
 * analysis needs it), nothing else. Prints runs per second.
 * usage: bench_open DIR */
#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "run.h"

static long n_ok, n_bad;

static int visit(const char *path, const struct stat *st, int type, struct FTW *f)
{
    (void)st, (void)f;
    size_t n = strlen(path);
    if (type != FTW_F || n < 4 || strcmp(path + n - 3, ".h5") != 0)
        return 0;
    struct daq_run_view *v = NULL;
    struct cd_err err = {0};
    if (daq_run_open(path, &v, &err) == 0)
        n_ok++;
    else
        n_bad++;
    daq_run_view_free(v);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: bench_open DIR\n");
        return 2;
    }
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    nftw(argv[1], visit, 32, FTW_PHYS);
    clock_gettime(CLOCK_MONOTONIC, &b);
    double s = (double)(b.tv_sec - a.tv_sec) + 1e-9 * (double)(b.tv_nsec - a.tv_nsec);
    printf("BENCH open_runs=%ld\nBENCH open_failed=%ld\nBENCH open_s=%.3f\nBENCH open_per_s=%.1f\n",
           n_ok, n_bad, s, (double)n_ok / s);
    return 0;
}
