/* Analysing a run file: its profile (stored, or another), the reference
 * values (stored in the run, or from a register), the analysis, and with
 * `write` a new results version in the run with an audit entry. What
 * `caldaq analyze` and the end of a session share. Private to daq/. */
#ifndef CALDAQ_ANALYZE_RUN_H
#define CALDAQ_ANALYZE_RUN_H

#include <stdbool.h>

#include <jansson.h>

#include "analysis.h"
#include "run.h"

struct ana_file_opts {
    const char *profile_path;   /* NULL: the profile stored in the run */
    /* a profile already loaded, used instead of loading one (borrowed: a
     * batch passes the one it parsed for runs of the same profile text) */
    const struct prof_profile *profile;
    const char *standards_path; /* NULL: the reference values stored in the run */
    bool write;                 /* store the results as a new version */
    const char *operator_name;  /* for the audit entry */
};

struct ana_file {
    char path[4096];            /* the run file */
    struct daq_run_view *view;
    struct prof_profile *profile;
    bool profile_borrowed;      /* from ana_file_opts.profile: not freed */
    struct ana_result *result;
    json_t *doc;                /* the results as stored (ANA_SCHEMA + run_id, sources) */
    int version;                /* with write: the results version */
};

int ana_file_run(const char *path, const struct ana_file_opts *o, struct ana_file *out,
                 struct cd_err *err);
/* The same for a run already open: `view` (from daq_run_open) is taken
 * over by *out, also on failure. */
int ana_file_run_view(const char *path, struct daq_run_view *view, const struct ana_file_opts *o,
                      struct ana_file *out, struct cd_err *err);
void ana_file_free(struct ana_file *f);

#endif
