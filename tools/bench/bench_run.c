/* Run store benchmark (`make bench`): what the HDF5 run file costs the
 * acquisition loop and a reader.
 *   1. writing one reading, averaged over 10^4 readings, with a checkpoint
 *      (snapshot + fsync + rename) every 10 readings, and without any
 *      checkpoint until close (the journal's fsync per reading only);
 *   2. one checkpoint of a run that already holds 10^4 readings, and of a
 *      run of a typical calibration's size (200 readings);
 *   3. opening and reading a whole run of 10^4 readings (daq_run_open), and
 *      verifying it (daq_run_verify).
 * Usage: bench_run [DIR] (default $TMPDIR or /tmp). fsync costs depend on
 * the file system: the figures say which one DIR is on.
 * Prints figures and BENCH key=value lines. */
#define _DEFAULT_SOURCE
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include "run.h"

#define READINGS 10000
#define EVERY 10

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static void reading(int i, struct daq_reading *r)
{
    memset(r, 0, sizeof *r);
    r->t = 1795000000.0 + 0.5 * i;
    r->point = i / EVERY;
    r->repetition = i % EVERY;
    r->nominal = 10.0 * r->point;
    snprintf(r->role, sizeof r->role, "load");
    r->r.value = r->nominal + 0.0001 * (i % 13);
    snprintf(r->r.unit, sizeof r->r.unit, "g");
    r->r.status = DRV_STATUS_STABLE;
    snprintf(r->r.display, sizeof r->r.display, "%.4f", r->r.value);
    r->r.resolution = 0.0001;
}

static void die(const char *what, const struct cd_err *err)
{
    fprintf(stderr, "bench_run: %s: %s\n", what, cd_err_text(err));
    exit(1);
}

static void remove_run(const char *path)
{
    const char *ext[] = {"", ".journal", ".trace", ".tmp"};
    for (size_t i = 0; i < 4; i++) {
        char p[600];
        snprintf(p, sizeof p, "%s%s", path, ext[i]);
        unlink(p);
    }
}

/* Write n readings, checkpointing every `every` (0: never); the seconds
 * spent in add/checkpoint calls, close included. */
static double write_run(const char *path, int n, int every, double *last_ckpt_s)
{
    remove_run(path);
    struct daq_run_info info = {0};
    snprintf(info.operator_name, sizeof info.operator_name, "bench");
    snprintf(info.profile_name, sizeof info.profile_name, "bench");
    struct cd_err err = {0};
    daq_run *run = NULL;
    if (daq_run_create(path, &info, "name: bench\n", &run, &err) != 0)
        die("create", &err);
    struct drv_trace_writer *w = daq_run_trace_writer(run);
    double t0 = now_s();
    for (int i = 0; i < n; i++) {
        /* A balance exchange per reading, as an acquisition records it. */
        drv_trace_writer_bytes(w, DRV_DIR_HOST, 0.5 * i, (const uint8_t *)"SI\r\n", 4, NULL);
        drv_trace_writer_bytes(w, DRV_DIR_INSTR, 0.5 * i + 0.08,
                               (const uint8_t *)"S S     100.0001 g\r\n", 20, NULL);
        struct daq_reading r;
        reading(i, &r);
        if (daq_run_add_reading(run, &r, &err) != 0)
            die("add reading", &err);
        if (every > 0 && (i + 1) % every == 0) {
            double c0 = now_s();
            if (daq_run_checkpoint(run, &err) != 0)
                die("checkpoint", &err);
            if (last_ckpt_s != NULL)
                *last_ckpt_s = now_s() - c0;
        }
    }
    if (daq_run_close(run, "complete", &err) != 0)
        die("close", &err);
    return now_s() - t0;
}

/* The floor for a durable reading: append a line of the same size to a
 * file and fdatasync it, on the same disk, in this run. */
static double fsync_floor(const char *dir, int n)
{
    char path[512];
    snprintf(path, sizeof path, "%s/bench_fsync.%d", dir, (int)getpid());
    FILE *f = fopen(path, "w");
    if (f == NULL)
        return -1;
    double t0 = now_s();
    for (int i = 0; i < n; i++) {
        fprintf(f, "%d 1.7953e+09 3 2 100 load 100.00 g stable 100.00 0.01\n", i);
        fflush(f);
        fdatasync(fileno(f));
    }
    double took = now_s() - t0;
    fclose(f);
    unlink(path);
    return took / n;
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp";
    char path[512];
    snprintf(path, sizeof path, "%s/bench_run.%d.h5", dir, (int)getpid());
    struct statfs sf;
    const char *fs = "other";
    if (statfs(dir, &sf) == 0 && sf.f_type == 0x01021994)
        fs = "tmpfs";
    else if (statfs(dir, &sf) == 0 && sf.f_type == 0xEF53)
        fs = "ext4";
    else if (statfs(dir, &sf) == 0 && sf.f_type == 0x794c7630)
        fs = "overlayfs";
    printf("run store: %d readings in %s (%s)\n", READINGS, dir, fs);

    double small_ckpt = 0;
    write_run(path, 200, EVERY, &small_ckpt);
    double last_ckpt = 0;
    double with = write_run(path, READINGS, EVERY, &last_ckpt);
    printf("  write, checkpoint every %d readings: %8.1f us per reading (%.2f s in all)\n", EVERY,
           1e6 * with / READINGS, with);
    printf("  one checkpoint of a run holding %d readings: %.1f ms; holding 200: %.2f ms\n",
           READINGS, 1e3 * last_ckpt, 1e3 * small_ckpt);
    double without = write_run(path, READINGS, 0, NULL);
    printf("  write, no checkpoint until close:     %8.1f us per reading (%.2f s in all)\n",
           1e6 * without / READINGS, without);
    double floor = fsync_floor(dir, 2000);
    printf("  floor: append one line + fdatasync:   %8.1f us; journalled reading / floor = %.2f\n",
           1e6 * floor, without / READINGS / floor);
    struct stat st;
    stat(path, &st);
    printf("  file: %.0f kB (%.0f bytes per reading with its trace)\n", st.st_size / 1024.0,
           (double)st.st_size / READINGS);

    enum { REPEAT = 20 };
    struct cd_err err = {0};
    double t0 = now_s();
    size_t n = 0;
    for (int k = 0; k < REPEAT; k++) {
        struct daq_run_view *v = NULL;
        if (daq_run_open(path, &v, &err) != 0)
            die("open", &err);
        n = v->n_readings;
        daq_run_view_free(v);
    }
    double open_s = (now_s() - t0) / REPEAT;
    t0 = now_s();
    char report[256];
    for (int k = 0; k < REPEAT; k++)
        if (daq_run_verify(path, report, sizeof report, &err) != 0)
            die("verify", &err);
    double verify_s = (now_s() - t0) / REPEAT;
    printf("  open and read the whole run (%zu readings): %.2f ms; verify: %.2f ms\n", n,
           1e3 * open_s, 1e3 * verify_s);
    remove_run(path);

    printf("BENCH run_fs=%s\n", fs);
    printf("BENCH run_write_us_per_reading_ckpt%d=%.1f\n", EVERY, 1e6 * with / READINGS);
    printf("BENCH run_write_us_per_reading_no_ckpt=%.1f\n", 1e6 * without / READINGS);
    printf("BENCH run_checkpoint_ms_at_%d=%.2f\n", READINGS, 1e3 * last_ckpt);
    printf("BENCH run_checkpoint_ms_at_200=%.2f\n", 1e3 * small_ckpt);
    printf("BENCH run_fsync_floor_us=%.1f\n", 1e6 * floor);
    printf("BENCH run_write_over_floor=%.2f\n", without / READINGS / floor);
    printf("BENCH run_open_read_ms_%d=%.2f\n", READINGS, 1e3 * open_s);
    printf("BENCH run_verify_ms_%d=%.2f\n", READINGS, 1e3 * verify_s);
    printf("BENCH run_file_bytes_%d=%lld\n", READINGS, (long long)st.st_size);
    return 0;
}
