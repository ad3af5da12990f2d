/* Additions to the run store's contract (run.h) that the commands reading
 * runs need and run.h does not declare yet. Proposed for run.h; until they
 * move there they live here. Same conventions as run.h.
 */
#ifndef CALDAQ_RUN_EXTRA_H
#define CALDAQ_RUN_EXTRA_H

#include <stddef.h>

#include "run.h"

/* A view from daq_run_open also reports readings found in RUN.h5.journal
 * that are not in the file: the unfinished test point of a run that was
 * killed. They are NOT merged into v->readings. *n is 0 when there are none.
 * The array is owned by the view. `note` (may be NULL) says what was found
 * ("" when there is no journal), e.g. a torn last line. */
const struct daq_reading *daq_run_view_pending(const struct daq_run_view *v, size_t *n,
                                               const char **note);

/* When and by which engine result version i (0-based, v->results[i]) was
 * made; the version number is i + 1. NULL out of range. */
const char *daq_run_view_result_created(const struct daq_run_view *v, size_t i);
const char *daq_run_view_result_engine(const struct daq_run_view *v, size_t i);

/* The number of raw trace bytes (payloads of v->trace, events included). */
size_t daq_run_view_trace_bytes(const struct daq_run_view *v);

/* Verification findings one by one (what daq_run_verify puts in its report,
 * one a line). */
struct daq_run_finding {
    char object[32];        /* "/readings", "/audit", "content_sha256", ... */
    char text[224];         /* "content hash mismatch: /readings changed" */
};
/* Like daq_run_verify, with the findings as an array (owned by the caller,
 * free()). Returns 0 when intact, CD_ERR_INVALID when there are findings,
 * another code when the file cannot be read at all. */
int daq_run_check(const char *path, struct daq_run_finding **out, size_t *n, struct cd_err *err);

#endif
