/* Fuzz target "journal": RUN.h5.journal, the readings of an unfinished
 * test point that sit beside a run file (docs/run-format.md, "Resuming"),
 * read leniently as daq_run_open / show / verify do and strictly as
 * daq_run_resume does (daq/run_view.c rs_journal_read, through the run
 * store's internal header). The journal is written to a scratch file; the
 * run it must belong to is RUN_ID below with 2 readings in its file.
 * Seeds: journals in the format rs_journal_line writes. */
#include "fuzz_util.h"

#include <math.h>

#include "run_int.h"

#define RUN_ID "00000000-0000-4000-8000-000000000000"

#define TERMINATED(field) (memchr((field), '\0', sizeof(field)) != NULL)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *dir = fuzz_scratch_dir();
    if (dir == NULL)
        return 0;
    char path[4200];
    snprintf(path, sizeof path, "%s/RUN.h5.journal", dir);
    if (fuzz_write_file(path, data, size) != 0)
        return 0;

    for (int strict = 0; strict <= 1; strict++) {
        struct rs_reading *rows = NULL;
        size_t n = 0, torn = 0;
        char note[256];
        struct cd_err err = {0};
        int rc = rs_journal_read(path, RUN_ID, 2, strict, &rows, &n, &torn, note, sizeof note,
                                 &err);
        if (!TERMINATED(note) || (rc != 0 && (err.code == 0 || rows != NULL || n != 0)) ||
            (rc == 0 && (n == 0) != (rows == NULL)))
            abort();
        for (size_t i = 0; i < n; i++) {
            const struct rs_reading *r = &rows[i];
            if (!TERMINATED(r->status) || !TERMINATED(r->unit) || !TERMINATED(r->role) ||
                !TERMINATED(r->display) || !TERMINATED(r->error))
                abort();
            if (strict && rs_status_parse(r->status) < 0)
                abort(); /* strict reading refuses unknown statuses */
            /* What the writer would make of the row must fit a line. */
            char line[2048];
            (void)rs_journal_line(2 + i, r, line, sizeof line);
        }
        free(rows);
    }

    /* Readings and the audit entries (notes, skipped points) a live
     * session journals before it tells the technician they are saved. */
    for (int strict = 0; strict <= 1; strict++) {
        struct rs_reading *rows = NULL;
        struct daq_audit_entry *audit = NULL;
        size_t n = 0, n_audit = 0, torn = 0;
        char note[256];
        struct cd_err err = {0};
        int rc = rs_journal_read_all(path, RUN_ID, 2, 1, strict, &rows, &n, &audit, &n_audit,
                                     &torn, note, sizeof note, &err);
        if (!TERMINATED(note) || (rc != 0 && err.code == 0))
            abort();
        for (size_t i = 0; i < n_audit; i++)
            if (!TERMINATED(audit[i].who) || !TERMINATED(audit[i].what))
                abort();
        free(rows);
        free(audit);
    }

    struct daq_reading *readings = NULL;
    size_t n = 0;
    char note[256];
    struct cd_err err = {0};
    if (rs_journal_load(path, RUN_ID, 2, 0, &readings, &n, note, sizeof note, &err) == 0)
        free(readings);
    return 0;
}
