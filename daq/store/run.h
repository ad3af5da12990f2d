/* The run store: one HDF5 file per calibration run (format caldaq-run/1,
 * docs/run-format.md). Private to daq/: sessions write runs through it,
 * `caldaq show/export/trace/verify` read them. No HDF5 type appears here.
 *
 * Crash safety: the writer keeps the run in memory and, at every finished
 * test point (daq_run_checkpoint), writes the whole file to RUN.h5.tmp,
 * fsyncs it and renames it over RUN.h5. A rename is atomic, so a run
 * killed at any moment leaves the previous complete snapshot: a file that
 * opens, holds every finished point, and says "in-progress" (never a false
 * "complete"). Readings of the unfinished point go to a journal beside the
 * file (RUN.h5.journal, one line each, fsync'd per reading) so that
 * daq_run_resume recovers them.
 */
#ifndef CALDAQ_RUN_H
#define CALDAQ_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "cd.h"
#include "drv.h"

#define DAQ_RUN_SCHEMA "caldaq-run/1"

struct daq_run_info {
    char run_id[37];            /* UUID, made by daq_run_create */
    char started[40];           /* ISO 8601 with offset */
    char ended[40];             /* "" while in progress */
    char status[16];            /* "in-progress", "complete", "aborted" */
    char operator_name[128];
    char lab[128];
    char profile_name[128];
    char profile_sha256[65];    /* of profile_text */
    char caldaq_version[32];
};

struct daq_device {
    char driver[32];
    char port[256];
    char settings[64];
    struct drv_identity id;     /* as the instrument reported it */
    /* the side this instrument reads (issue 16): "" or DAQ_SIDE_ITEM, or
     * DAQ_SIDE_REFERENCE when the item is read by eye and the run's trace is
     * the reference instrument's conversation */
    char side[12];
};

struct daq_standard {
    char id[64];
    char certificate[64];
    double value;
    double u;                   /* standard uncertainty */
    double k;
    char unit[16];
    char due_date[16];          /* YYYY-MM-DD */
    char role[24];              /* the profile's role: "weights", "reference", ...; "" if none */
    double nominal;             /* the certified item's nominal, in `unit`; NAN: whole standard */
    char mark[8];               /* the item's mark ("*": the second 2 g piece), "" when none */
};

struct daq_env {
    double t;                   /* seconds since the epoch */
    double temp_c, rh_pct, p_hpa; /* NAN when not measured */
    char where[16];             /* "start", "end", "point" */
};

struct daq_reading {
    double t;                   /* seconds since the epoch */
    int32_t point;              /* test point index */
    int32_t repetition;
    double nominal;             /* the load or set-point it belongs to */
    char role[16];              /* "zero", "load", "repeatability", "eccentricity", ... */
    struct drv_reading r;       /* value, unit, status, display, resolution */
    /* Issue 16 (docs/run-format.md, "Sides"); "" in runs made before, which
     * read as the item's instrument readings */
    char side[12];              /* DAQ_SIDE_ITEM ("" too), DAQ_SIDE_REFERENCE, DAQ_SIDE_CHECK */
    char source[12];            /* DAQ_SOURCE_INSTRUMENT ("" too) or DAQ_SOURCE_OPERATOR: typed,
                                 * r.display holding the text exactly as typed */
    char who[64];               /* operator: who typed it */
};
#define DAQ_SIDE_ITEM "item"
#define DAQ_SIDE_REFERENCE "reference"
/* an answer of a verification checklist: role = the check's id, point = its
 * index in the profile's checks, value 1 (đạt, pass) or 0 (không đạt) */
#define DAQ_SIDE_CHECK "check"
#define DAQ_SOURCE_INSTRUMENT "instrument"
#define DAQ_SOURCE_OPERATOR "operator"
/* Whether a reading is of `side` (an empty side is the item's). */
bool daq_reading_is(const struct daq_reading *r, const char *side);

struct daq_audit_entry {
    int64_t seq;
    double t;
    char who[64];
    char what[256];
    char prev_sha256[65];
    char sha256[65];            /* SHA-256 over prev, seq, t, who, what */
};

typedef struct daq_run daq_run;

/* Create a new run at `path` (refuses to overwrite). `profile_text` is
 * stored as used. The first snapshot is written at once. */
int daq_run_create(const char *path, const struct daq_run_info *info, const char *profile_text,
                   daq_run **out, struct cd_err *err);
/* daq_run_create without the file yet: the same checks, RUN.h5.journal
 * and RUN.h5.trace made (refused when they exist), but no RUN.h5 until the
 * first daq_run_checkpoint (or daq_run_add_reading, or daq_run_close) puts
 * the first snapshot in place. So the first snapshot can hold what is known
 * only once the instrument has answered (the device, identified through the
 * run's own trace writer) besides the standards and the profile: a run
 * killed at any moment after it exists can be certified once resumed.
 * daq_run_abandon before then leaves nothing behind. */
int daq_run_create_begin(const char *path, const struct daq_run_info *info,
                         const char *profile_text, daq_run **out, struct cd_err *err);
int daq_run_set_device(daq_run *run, const struct daq_device *dev, struct cd_err *err);
int daq_run_add_standard(daq_run *run, const struct daq_standard *s, struct cd_err *err);
int daq_run_add_env(daq_run *run, const struct daq_env *e, struct cd_err *err);
/* Append a reading (journalled at once, in the file at the next checkpoint). */
int daq_run_add_reading(daq_run *run, const struct daq_reading *r, struct cd_err *err);
/* The recorder for the raw trace: pass it to drv_open(..., rec, ...). The
 * run owns it. */
struct drv_trace_writer *daq_run_trace_writer(daq_run *run);
/* An audit entry: journalled (synced) before this returns, as a reading is,
 * and in the file at the next checkpoint; daq_run_resume takes the
 * journalled ones back. (A run not yet written, or reopened, keeps it in
 * memory until its snapshot.) */
int daq_run_audit(daq_run *run, const char *who, const char *what, struct cd_err *err);
/* Analysis results as JSON text, stored as a new version /results/vN,
 * never overwriting an earlier one; *version gets N. */
int daq_run_add_results(daq_run *run, const char *json, const char *engine, int *version,
                        struct cd_err *err);
/* A finished test point: write the snapshot (atomic rename). */
int daq_run_checkpoint(daq_run *run, struct cd_err *err);
/* End the run with status "complete" or "aborted": final snapshot, journal
 * removed, the handle freed (also on error). */
int daq_run_close(daq_run *run, const char *status, struct cd_err *err);

/* Reopen a finished run ("complete" or "aborted") to add results versions
 * (daq_run_add_results, numbering continues after the last) and audit
 * entries (daq_run_audit); nothing else: readings, trace, device, standards
 * and environment are carried over as measured, and adding to them is
 * refused. The audit log gets "run reopened by caldaq" (who "caldaq": the
 * store does it; the caller records the person with daq_run_audit). Nothing
 * is written until daq_run_close(run, NULL or the same status, err) adds
 * "reopened run closed: STATUS", reseals and writes one snapshot like every
 * other (tmp, fsync, rename); a daq_run_checkpoint only writes the snapshot.
 * `ended` keeps the end of the measurement. Refused: a missing file (CD_ERR_NOT_FOUND), a run that fails
 * daq_run_verify, a run still "in-progress" (resume it instead)
 * (CD_ERR_INVALID). One writer at a time: the handle holds RUN.h5.lock
 * (flock) from before the run is read until it is closed or abandoned, so
 * two `caldaq analyze --write` of one run add v2 and v3, not v2 twice; a
 * second reopen waits for it up to DAQ_RUN_LOCK_WAIT_MS, then fails
 * (CD_ERR_TIMEOUT) naming the holder (pid, command, since when). The lock
 * file is removed by its holder. (A resume takes the journal's lock, not
 * this one.) */
int daq_run_reopen(const char *path, daq_run **out, struct cd_err *err);
#define DAQ_RUN_LOCK_WAIT_MS 30000
/* daq_run_reopen waiting up to `wait_ms` for another writer. */
int daq_run_reopen_wait(const char *path, int wait_ms, daq_run **out, struct cd_err *err);

/* Resume an interrupted run: one that is "in-progress" (the session crashed
 * or was killed: the snapshot holds every finished point, and the journal
 * beside it RUN.h5.journal the readings of the point that was being
 * measured) or "aborted" (closed on an error or by the technician). The
 * readings in the journal that are not in the snapshot are recovered into
 * the run (they were measured; none is lost), and so are the audit
 * entries journalled after it (an operator's notes and skips, in their
 * order, their hashes continuing the chain) and the trace records of
 * RUN.h5.trace it lacks; the status goes back to "in-progress", and the
 * audit log gets "run resumed by caldaq (N readings recovered from the
 * journal)" (who "caldaq"; "1 reading"; ", 1 torn line ignored", "; K audit
 * entries recovered" and "; K trace records recovered" added when so). The snapshot is written at once.
 * The handle then works like one from daq_run_create: readings,
 * environment, results, audit, checkpoint, close; `ended` is cleared until
 * the close. Its trace writer starts a new RUN.h5.trace whose records go
 * after the run's, their times continuing the run's trace
 * (docs/run-format.md, "Resuming"). Refused: a missing file
 * (CD_ERR_NOT_FOUND), a "complete" run (CD_ERR_INVALID: "the run is
 * complete; nothing to resume"), a run whose snapshot fails daq_run_verify
 * (CD_ERR_INVALID naming what differs), a run a live session is still
 * writing (CD_ERR_INVALID: the session holds RUN.h5.journal locked; a
 * crashed one does not). A journal line that is torn (the last line cut by
 * the crash) is ignored and counted in the audit text; any other malformed
 * journal line is refused with its line number (CD_ERR_PARSE), as is a
 * journal of another run (CD_ERR_INVALID) or a trace journal that does not
 * continue the run's trace. On refusal the files are left as they were. */
int daq_run_resume(const char *path, daq_run **out, struct cd_err *err);
/* daq_run_resume without writing anything yet: the same checks and
 * refusals, the same recovery, the handle the same, but RUN.h5 and
 * RUN.h5.journal stay byte for byte as they were (the journal is locked;
 * if there was none, an empty one is made to hold the lock) and the
 * handle's trace writer records to RUN.h5.trace.tmp. The caller checks
 * what it must (its profile, its standards, its instrument) and may add
 * standards and the device a run interrupted early lacks; then the first
 * daq_run_checkpoint (or daq_run_add_reading, or daq_run_close) writes the
 * resume as daq_run_resume does, or daq_run_abandon drops it and the files
 * are as they were. */
int daq_run_resume_begin(const char *path, daq_run **out, struct cd_err *err);
/* Let go of a handle without writing anything more. A resume not yet
 * written (daq_run_resume_begin): the files as they were before it, its
 * RUN.h5.trace.tmp (and a journal it made) removed. Any other: the files as
 * the last snapshot left them, the journals kept, as after a crash (a
 * reopened run: nothing added). NULL does nothing. */
void daq_run_abandon(daq_run *run);
/* The run's readings so far (those of the snapshot and the recovered
 * ones), for the session to see which points are finished. Borrowed,
 * valid until the next call on the run; NULL (and *n 0) only when out of
 * memory. */
const struct daq_reading *daq_run_readings(const daq_run *run, size_t *n);
/* The run's info, profile text and standards as stored (for a new run:
 * run_id, started, profile_sha256 as daq_run_create filled them in).
 * Borrowed. */
const struct daq_run_info *daq_run_get_info(const daq_run *run);
const char *daq_run_profile_text(const daq_run *run);
const struct daq_standard *daq_run_standards(const daq_run *run, size_t *n);
/* The device as recorded ("" driver: none recorded yet). Borrowed. */
const struct daq_device *daq_run_get_device(const daq_run *run);
/* The audit log so far (a resumed run's with the entries recovered from its
 * journal), oldest first. Borrowed, valid until the next call on the run. */
const struct daq_audit_entry *daq_run_audit_log(const daq_run *run, size_t *n);

/* Reading a run back. */
struct daq_run_view {
    struct daq_run_info info;
    struct daq_device device;
    char *profile_text;
    size_t n_standards;
    struct daq_standard *standards;
    size_t n_env;
    struct daq_env *env;
    size_t n_readings;
    struct daq_reading *readings;
    struct drv_trace *trace;    /* the raw conversation */
    size_t n_audit;
    struct daq_audit_entry *audit;
    size_t n_results;
    char **results;             /* JSON text of each version, oldest first */
    char content_sha256[65];    /* as stored */
};

int daq_run_open(const char *path, struct daq_run_view **out, struct cd_err *err);
void daq_run_view_free(struct daq_run_view *v);

/* Check a run: the stored content hash against the content, and the audit
 * hash chain. 0 when intact; CD_ERR_INVALID with what differs otherwise. */
int daq_run_verify(const char *path, char *report, size_t cap, struct cd_err *err);

/* ---- what the commands reading runs need beyond the view ---- */

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

/* ---- files from users: damaged ones must not take the caller down ----
 *
 * A run file may be damaged: a failing disk, a bad copy, an attacker. The
 * store checks sizes, types and variable-length strings before it reads
 * them and refuses what is absurd, naming the object (CD_ERR_PARSE
 * "RUN.h5: /device: attribute driver: damaged: ..."). HDF5 1.10 itself may
 * still crash or spin on damage nobody checks for (issue 14), so the
 * guarded forms read the file in a child process: a crash there is
 * CD_ERR_PARSE "RUN.h5: damaged run file (the HDF5 library crashed
 * reading it: ...)", a read that takes longer than `timeout_s` seconds (0:
 * DAQ_RUN_READ_TIMEOUT_S) is killed, CD_ERR_TIMEOUT "RUN.h5: damaged run
 * file (reading it took longer than N s)". daq_run_check_guarded reports a
 * crash as a finding, like any object it cannot read. Commands reading the
 * files a user names use these; a process that has just written the file
 * itself need not. They fork: call them from a single-threaded process. */
#define DAQ_RUN_READ_TIMEOUT_S 30
int daq_run_open_guarded(const char *path, unsigned timeout_s, struct daq_run_view **out,
                         struct cd_err *err);
int daq_run_check_guarded(const char *path, unsigned timeout_s, struct daq_run_finding **out,
                          size_t *n, struct cd_err *err);

/* For many files (a batch): one child process reads them one after the
 * other, so a fork is paid once, not per file (it costs as much as
 * reading a run). The child is replaced after a file it could not read
 * cleanly, and a file whose child died after reading others is read again
 * in a fresh one, so that one file's damage is never blamed on another.
 * daq_run_reader_open is daq_run_open_guarded through the reader. NULL
 * when out of memory; _free(NULL) does nothing; one thread at a time. */
typedef struct daq_run_reader daq_run_reader;
daq_run_reader *daq_run_reader_new(unsigned timeout_s);
int daq_run_reader_open(daq_run_reader *r, const char *path, struct daq_run_view **out,
                        struct cd_err *err);
void daq_run_reader_free(daq_run_reader *r);

/* ---- export (caldaq export) ---- */

/* The shortest text that reads back as the same double; "" for NaN. */
void daq_format_double(char *buf, size_t cap, double v);
/* The readings as CSV with a header line: t, point, repetition, role,
 * nominal, value, unit, status, display, resolution, error. */
void daq_run_view_write_csv(const struct daq_run_view *v, FILE *f);
/* The whole run but the trace bytes as one JSON document (schema, run,
 * profile, device, standards, environment, readings, pending, trace,
 * results, audit); numbers that are not finite are null. Owned by the
 * caller (json_decref). */
json_t *daq_run_view_json(const struct daq_run_view *v);

/* CSV for spreadsheets (run_sheet.c): `sep` between fields, a decimal
 * comma or point, a UTF-8 byte order mark or not, times as local
 * "YYYY-MM-DD HH:MM:SS" in `zone` (NULL: seconds since 1970). Lines end in
 * CRLF (RFC 4180). */
struct daq_sheet_style {
    char sep;
    bool decimal_comma;
    bool bom;
    const struct cd_zone *zone;
};
/* The readings, one a row, every one (the columns of daq_run_view_write_csv
 * with a local time for t). */
void daq_run_view_write_sheet(const struct daq_run_view *v, const struct daq_sheet_style *st,
                              FILE *f);
/* The results table of the latest results version: point, group, nominal,
 * unit, indication (mean), reference, error, U, k, mpe, verdict.
 * CD_ERR_NOT_FOUND when the run holds no results. */
int daq_run_view_write_results_sheet(const struct daq_run_view *v,
                                     const struct daq_sheet_style *st, FILE *f,
                                     struct cd_err *err);

#endif
