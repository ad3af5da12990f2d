/* The lab's records (ISO/IEC 17025:2017 7.5, 7.8.8, 7.11): customers,
 * items, the lab's reference standards, runs, certificates with their
 * lifecycle (valid, amended, withdrawn), validity dates, and an
 * append-only event log, in one database: SQLite (a file, the default) or
 * PostgreSQL (a postgresql:// URL, shared by the benches of a centre),
 * the same statements and the same behaviour on both. Filled as work
 * happens (sessions, certificates, reprocessing with --write-back) and by
 * importing an archive; asked by `caldaq records`. Schema, migrations and
 * the open-data format: docs/records.md. Private to daq/; no sqlite3 or
 * libpq type appears here. */
#ifndef CALDAQ_RECORDS_H
#define CALDAQ_RECORDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

#include "cd.h"
#include "prof.h"
#include "run.h"

typedef struct rec_db rec_db;

/* The longest text a query takes (a search string, a customer): 1 MiB.
 * Longer is refused naming the option; anything shorter is data, bound
 * as a parameter, never SQL. */
#define REC_TEXT_MAX (1024 * 1024)

/* Open the records: `where` is a file (SQLite, created if missing) or a
 * postgresql:// URL (libpq's connection URI); the schema is created or
 * migrated to this caldaq's version in one transaction. */
int rec_open(const char *where, rec_db **out, struct cd_err *err);
void rec_close(rec_db *db);
/* "sqlite" or "postgresql". */
const char *rec_backend(const rec_db *db);
/* The schema version this caldaq writes. */
int rec_schema_version(void);

/* ---------------------------------------------------------------- parsers */

/* A period as users type it: "30d", "6w", "30" (days), at most 36500
 * days. 0 with *days, or CD_ERR_INVALID with a message beginning `what`
 * ("--within"). */
int rec_period_parse(const char *text, const char *what, int *days, struct cd_err *err);
/* `date` (YYYY-MM-DD) plus `days`. -1 when `date` is not a date. */
int rec_date_add(const char *date, int days, char out[11]);

/* ---------------------------------------------------------------- writing */

/* A run file into the records (its item, standards, verdict, the SHA-256
 * of its bytes), once per run id: recording it again updates what a run
 * may change (path, hash, status, verdict). `v` may be NULL: the file is
 * read (guarded: a forking call). `verdict` NULL: the latest results
 * version's in the view. `who` is written to the event log. */
int rec_run_note(rec_db *db, const char *path, const struct daq_run_view *v, const char *verdict,
                 const char *who, struct cd_err *err);

/* A certificate as issued (strings may be NULL: not stated). */
struct rec_cert {
    const char *number, *kind;       /* kind: "calibration" (NULL) or "verification" */
    const char *run_id, *run_path;
    const char *issued, *calibrated, *signatory, *procedure, *verdict;
    const char *valid_until;         /* YYYY-MM-DD, NULL when it states none */
    const char *customer, *customer_address;
    const char *item_type, *manufacturer, *model, *serial;
    const char *replaces, *reason;   /* an amendment: the number it replaces and why */
    const char *folder;              /* where its files are */
    size_t n_files;
    const char *const *file_names;   /* NUMBER.pdf, ... */
    const char *const *file_sha256;
};

/* Before a certificate is written: take its number. Refused (CD_ERR_INVALID
 * naming the number and its status) when the records hold it already,
 * whatever its status (ISO/IEC 17025 7.8.8: an issued certificate is never
 * issued again under its number). With `replaces`, that certificate must
 * be in the records and valid. Two issuers racing for one number: one
 * wins, the other is refused. */
int rec_cert_reserve(rec_db *db, const char *number, const char *replaces, const char *who,
                     struct cd_err *err);
/* The certificate is written: its record completed ("valid"), its files'
 * hashes, the certificate it replaces marked "amended" naming it. */
int rec_cert_issued(rec_db *db, const struct rec_cert *c, const char *who, struct cd_err *err);
/* Writing failed after rec_cert_reserve: the number is given back (the
 * event log keeps the attempt). */
int rec_cert_abandon(rec_db *db, const char *number, const char *why, const char *who,
                     struct cd_err *err);
/* Withdraw a valid certificate (7.8.8): status "withdrawn" with the
 * reason. `run_path` (may be NULL) gets the path of its run, for the
 * run's audit log. Refused for a number not in the records, or not valid. */
int rec_cert_withdraw(rec_db *db, const char *number, const char *reason, const char *who,
                      char run_path[4096], struct cd_err *err);
/* A certificate's status ("valid", "amended", "withdrawn", "issuing");
 * CD_ERR_NOT_FOUND when the records do not hold it. */
int rec_cert_status(rec_db *db, const char *number, char status[16], struct cd_err *err);

/* The lab's reference standards from its register (profiles/standards),
 * each upserted; *n (may be NULL) gets how many. */
int rec_standards_note(rec_db *db, const prof_standards *reg, const char *who, size_t *n,
                       struct cd_err *err);

/* ---------------------------------------------------------------- import */

struct rec_import_stats {
    size_t runs_added, runs_known, certs_added, certs_known, standards;
    size_t changed;      /* files whose hash no longer matches their record: reported */
    size_t failed;       /* unreadable runs, broken certificates: reported */
};
/* What import says about one file: "added", "known", and the problems
 * ("changed since recorded: ...", "cannot read: ..."). */
typedef void (*rec_report_fn)(void *ctx, const char *path, const char *what);
/* Index run files (*.h5), certificate folders (NUMBER.manifest.json and
 * the NUMBER.json beside it) and standards registers (*.yaml) found under
 * `paths`. Idempotent: a run or certificate already recorded with the same
 * hash is left as it is; one whose file's hash differs from its record is
 * reported and not indexed again. Run files are read through the store's
 * guard (a damaged file costs that file). */
/* `jobs` > 1: the run files shared among that many processes (each with
 * its own reader and connection; at most REC_IMPORT_JOBS_MAX). Forks:
 * call from a single-threaded process. */
#define REC_IMPORT_JOBS_MAX 16
int rec_import(rec_db *db, const char *const *paths, size_t n, unsigned jobs, const char *who,
               rec_report_fn report, void *ctx, struct rec_import_stats *out, struct cd_err *err);

/* ---------------------------------------------------------------- queries */

struct rec_search {
    const char *text;        /* in a certificate number, customer, item, procedure, run id */
    const char *customer, *serial, *verdict;
    const char *from, *to;   /* YYYY-MM-DD, inclusive: issued (certificates), started (runs) */
    size_t limit;            /* rows of each kind; 0: 200 */
};
/* {"certificates": [...], "runs": [...], "truncated": bool}. */
int rec_search(rec_db *db, const struct rec_search *q, json_t **out, struct cd_err *err);
/* One certificate (by number) or run (by run id or path), with what it is
 * linked to: its files, the certificates of a run, what replaced what,
 * the events. CD_ERR_NOT_FOUND when neither. */
int rec_show(rec_db *db, const char *key, json_t **out, struct cd_err *err);
/* What falls due by `today` + `within_days`: customer items whose latest
 * valid certificate runs out ("items"), and the lab's standards
 * ("standards"), overdue ones first. */
int rec_due(rec_db *db, const char *today, int within_days, json_t **out, struct cd_err *err);

/* The lab's list of main measurement standards (danh mục chuẩn đo lường
 * chính), by id: [{id, kind, description, class, certificate, issued_by,
 * calibrated, due}]. */
int rec_standards(rec_db *db, json_t **out, struct cd_err *err);

/* The readable tables of the three. */
void rec_print_search(FILE *f, const json_t *r);
void rec_print_show(FILE *f, const json_t *r);
void rec_print_due(FILE *f, const json_t *r);

/* ---------------------------------------------------------------- open data */

#define REC_OPEN_DATA_SCHEMA "caldaq-open-data/1"
struct rec_open_data {
    const char *lab;                 /* the lab's name, on every row */
    /* personal data left out unless named here ("customer",
     * "customer_address"): the lab's configuration decides */
    const char *const *include;
    size_t n_include;
};
/* certificates.csv/.json, standards.csv/.json and schema.json into `dir`
 * (docs/records.md, "Open data"). */
int rec_export_open_data(rec_db *db, const char *dir, const struct rec_open_data *o,
                         struct cd_err *err);

#endif
