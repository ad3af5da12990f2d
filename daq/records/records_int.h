/* Private to daq/records/: the one seam between the records and the two
 * database engines (records_db.c). Every statement is written once, with
 * numbered parameters $1, $2, ... that both SQLite and PostgreSQL accept,
 * and every value travels as a bound parameter: no SQL text is ever built
 * from data (search strings included). */
#ifndef CALDAQ_RECORDS_INT_H
#define CALDAQ_RECORDS_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "records.h"

/* Rows of a query: cells as text, NULL for SQL NULL; row-major. */
struct db_rows {
    size_t n_rows, n_cols;
    char **cells;
};
void db_rows_free(struct db_rows *r);
/* Cell (row, col), "" for NULL. */
const char *db_cell(const struct db_rows *r, size_t row, size_t col);

/* One statement with `n` text parameters (a NULL parameter is SQL NULL);
 * rows into *out when out is not NULL. 0, or CD_ERR_IO with the engine's
 * message; db_last_failure() then says what kind of failure it was. */
int db_exec(rec_db *db, const char *sql, const char *const *params, size_t n,
            struct db_rows *out, struct cd_err *err);

enum db_failure {
    DB_FAIL_OTHER,
    DB_FAIL_UNIQUE,   /* a unique constraint (a certificate number taken) */
    DB_FAIL_RETRY,    /* busy, locked, serialization failure, deadlock: run the transaction again */
};
enum db_failure db_last_failure(const rec_db *db);

/* Run `body` in one transaction, begun, committed, and on a busy database
 * (SQLite's lock held by another writer past the busy timeout, a
 * PostgreSQL serialization failure or deadlock) rolled back and run again,
 * a bounded number of times. Any other failure rolls back and is returned. */
typedef int (*db_tx_fn)(rec_db *db, void *ctx, struct cd_err *err);
int db_transaction(rec_db *db, db_tx_fn body, void *ctx, struct cd_err *err);

/* Now, UTC, ISO 8601 ("2026-12-07T07:04:58Z"). */
void db_now(char out[21]);

/* An event for the append-only log (records_db.c keeps it append-only
 * with triggers on both engines). Inside a transaction. */
int db_event(rec_db *db, const char *who, const char *kind, const char *subject,
             const char *detail, struct cd_err *err);

bool db_is_pg(const rec_db *db);
/* The address the database was opened with (another process opens its own). */
const char *db_where(const rec_db *db);

/* SHA-256 of a file's bytes, 64 hex digits (records.c). */
int rec_file_sha256(const char *path, char hex[65], struct cd_err *err);
/* rec_run_note with the file's hash already computed. */
int rec_run_note_hashed(rec_db *db, const char *path, const struct daq_run_view *v,
                        const char sha[65], const char *verdict, const char *who,
                        struct cd_err *err);

#endif
