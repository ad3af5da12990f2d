/* Batch re-analysis of archived runs (docs/scaling.md): worker processes,
 * shards, resumption, the impact of a revised reference standard, new
 * results and certificates, and summaries. Used by `caldaq reprocess`.
 *
 * The runs under the given paths are listed and sorted (so a shard I/N is
 * the same set on every machine), the ones already done in OUT are skipped
 * (OUT/done.jsonl: one line per finished run, appended by the workers as
 * they go, so an interrupted batch resumes without redoing any run), and N
 * worker processes (the Debian HDF5 build is not thread-safe) take every
 * N-th run. Each run is analysed with its stored profile (or `profile`),
 * with the reference values stored in it (or from `standards`, or the
 * revised register of `standard_id` + `revised`), and compared with its
 * last stored results. A run that fails to load is a line in the summary,
 * not the end of the batch: a damaged file that crashes or hangs the HDF5
 * library is read in a child process with a time limit, and a worker that
 * dies on a run all the same is replaced, the run reported "failed". */
#ifndef CALDAQ_REPROCESS_H
#define CALDAQ_REPROCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "cd.h"

struct rp_options {
    const char *const *paths;   /* run files and folders searched for *.h5 */
    int n_paths;
    const char *out;            /* the batch folder (created) */
    const char *profile;        /* NULL: each run's own */
    const char *standards;      /* NULL: the values stored in each run */
    const char *standard_id;    /* impact analysis: only runs that used it ... */
    const char *revised;        /* ... with its values from this register */
    const char *lab;            /* LAB.yaml, for `cert` */
    unsigned long long jobs;    /* worker processes, >= 1 */
    unsigned long long shard_i, shard_n; /* this shard, 1-based, of shard_n */
    bool write_back;            /* a new results version in each run */
    /* with write_back: the lab's records (a file or postgresql:// URL;
     * NULL: none), where each run written back is recorded anew (its new
     * verdict and hash) */
    const char *records;
    bool cert;                  /* certificates under OUT/certs/RUNID */
    /* Seconds the reading of one run may take (0: DAQ_RUN_READ_TIMEOUT_S):
     * each is read in a child process (daq_run_open_guarded), so that a
     * damaged file that crashes or hangs the HDF5 library is that run's
     * failure, not the batch's. */
    unsigned read_timeout_s;
    /* Told once the work is known (may be NULL): runs to do, runs already
     * done in `out` by an earlier start. */
    void (*on_start)(void *ctx, size_t todo, size_t skipped);
    /* Called about five times a second while workers run (may be NULL:
     * then the parent just waits): runs finished of `todo`. */
    void (*on_progress)(void *ctx, size_t done, size_t todo);
    void *ctx;
};

struct rp_totals {
    size_t runs, reanalysed, verdicts_changed, failed, not_affected;
    size_t bad_workers;         /* workers that stopped early (rp_run) */
    /* workers that died on a run (rp_run): the run is a "failed" line
     * saying so, and a new worker took the rest of the share */
    size_t workers_restarted;
};

/* Run a batch: the results in OUT/done.jsonl and OUT/results.jsonl, then
 * the summary (rp_summary_write with `report`). 0 when the batch ran, even
 * if some runs failed (see t->failed, t->bad_workers); an error when it
 * could not start or the summary could not be written. */
int rp_run(const struct rp_options *o, FILE *report, struct rp_totals *t, struct cd_err *err);

/* OUT/summary.json and OUT/summary.csv from the done lines of `dirs` (one
 * batch, or the shards of one to merge), sorted by path. The runs that
 * failed or changed verdict are listed on `report` (NULL: not). */
int rp_summary_write(const char *out, const char *const *dirs, int n_dirs, FILE *report,
                     struct rp_totals *t, struct cd_err *err);

#endif
