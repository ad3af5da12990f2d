/* Fuzz target "runfile": a run file (HDF5, docs/run-format.md) through the
 * run store's reader as `caldaq show`, `verify` and `reprocess` use it:
 * daq_run_open (daq/run_read.c, run_view.c) and daq_run_verify. The input
 * is written to a scratch file, since HDF5 reads files by path.
 *
 * libhdf5 1.10 itself crashes on some corrupt files (issue 14, section 3:
 * reads of untrusted files are moving to a child process). Such crashes
 * are kept in tests/fuzz/crashes-hdf5/, not in regressions/, and do not
 * fail `make fuzz-replay`. Seeds: tests/fixtures/runs/ and small runs
 * written by the test suite. */
#include "fuzz_util.h"

#include "run.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *dir = fuzz_scratch_dir();
    if (dir == NULL)
        return 0;
    char path[4200];
    snprintf(path, sizeof path, "%s/RUN.h5", dir);
    if (fuzz_write_file(path, data, size) != 0)
        return 0;
    struct daq_run_view *v = NULL;
    struct cd_err err = {0};
    int rc = daq_run_open(path, &v, &err);
    if (rc == 0) {
        if (v == NULL || memchr(v->info.run_id, '\0', sizeof v->info.run_id) == NULL)
            abort();
        daq_run_view_free(v);
    } else if (v != NULL || err.code == 0) {
        abort();
    }
    char report[4096];
    cd_err_clear(&err);
    (void)daq_run_verify(path, report, sizeof report, &err);
    return 0;
}
