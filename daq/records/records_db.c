/* The records database on its two engines: SQLite (one file, the default)
 * and PostgreSQL (a `postgresql://` URL, for the benches of a centre that
 * share one database). The only file that includes sqlite3.h and
 * libpq-fe.h. The schema and its migrations are here too: one list of
 * statements, the same on both engines except the few lines each spells
 * its own way (an auto-numbered key, the triggers that keep the event log
 * append-only). docs/records.md describes the schema.
 *
 * Two writers at once (two sessions finishing, an import beside a
 * session) must lose nothing (ISO/IEC 17025 7.5: records retained):
 * SQLite runs in WAL mode with a busy timeout, write transactions begin
 * IMMEDIATE (so two writers never deadlock upgrading a read lock) and a
 * transaction that still finds the database busy is run again; PostgreSQL
 * transactions are run again on a serialization failure or a deadlock,
 * and unique constraints with ON CONFLICT keep two inserts of one key to
 * one row. */
#define _GNU_SOURCE   /* memmem */
#include "records_int.h"
#include "cd_i18n.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>
#include <sqlite3.h>

struct rec_db {
    sqlite3 *lite;
    PGconn *pg;
    enum db_failure last;
    int depth;                 /* inside db_transaction */
    bool read_committed;       /* PostgreSQL: the migration's transaction (see migrate_body) */
    char where[4097];          /* as opened */
};

const char *db_where(const rec_db *db)
{
    return db->where;
}

bool db_is_pg(const rec_db *db)
{
    return db->pg != NULL;
}

const char *rec_backend(const rec_db *db)
{
    return db->pg != NULL ? "postgresql" : "sqlite";
}

enum db_failure db_last_failure(const rec_db *db)
{
    return db->last;
}

void db_rows_free(struct db_rows *r)
{
    if (r == NULL)
        return;
    for (size_t i = 0; i < r->n_rows * r->n_cols; i++)
        free(r->cells[i]);
    free(r->cells);
    memset(r, 0, sizeof *r);
}

const char *db_cell(const struct db_rows *r, size_t row, size_t col)
{
    const char *c = r->cells[row * r->n_cols + col];
    return c != NULL ? c : "";
}

void db_now(char out[21])
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Grow the rows by one, copying `get(i)` for each column. */
static int rows_push(struct db_rows *out, size_t *cap, size_t n_cols, char **row)
{
    if (out->n_rows == *cap) {
        size_t ncap = *cap ? *cap * 2 : 16;
        char **c = realloc(out->cells, ncap * n_cols * sizeof *c);
        if (c == NULL)
            return -1;
        out->cells = c;
        *cap = ncap;
    }
    memcpy(out->cells + out->n_rows * n_cols, row, n_cols * sizeof *row);
    out->n_rows++;
    return 0;
}

/* ------------------------------------------------------------ SQLite */

static int lite_exec(rec_db *db, const char *sql, const char *const *params, size_t n,
                     struct db_rows *out, struct cd_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db->lite, sql, -1, &st, NULL);
    for (size_t i = 0; rc == SQLITE_OK && i < n; i++) {
        /* "$N" names the parameter in both engines' syntax; SQLite numbers
         * named parameters by first appearance, so bind by name */
        char name[24];
        snprintf(name, sizeof name, "$%zu", i + 1);
        int idx = sqlite3_bind_parameter_index(st, name);
        if (idx == 0)
            continue;
        rc = params[i] == NULL ? sqlite3_bind_null(st, idx)
                               : sqlite3_bind_text(st, idx, params[i], -1, SQLITE_STATIC);
    }
    size_t cap = 0, n_cols = 0;
    if (out != NULL) {
        memset(out, 0, sizeof *out);
        n_cols = st != NULL ? (size_t)sqlite3_column_count(st) : 0;
        out->n_cols = n_cols;
    }
    while (rc == SQLITE_OK || rc == SQLITE_ROW) {
        rc = sqlite3_step(st);
        if (rc != SQLITE_ROW || out == NULL || n_cols == 0)
            continue;
        char *row[64] = {0};
        bool ok = n_cols <= 64;
        for (size_t c = 0; ok && c < n_cols; c++) {
            const unsigned char *t = sqlite3_column_text(st, (int)c);
            if (t != NULL && (row[c] = strdup((const char *)t)) == NULL)
                ok = false;
        }
        if (!ok || rows_push(out, &cap, n_cols, row) != 0) {
            for (size_t c = 0; c < n_cols && c < 64; c++)
                free(row[c]);
            sqlite3_finalize(st);
            db_rows_free(out);
            return cd_fail(err, CD_ERR_NOMEM, _("records: out of memory"));
        }
    }
    int ext = sqlite3_extended_errcode(db->lite);
    const char *msg = sqlite3_errmsg(db->lite);
    sqlite3_finalize(st);
    if (rc == SQLITE_DONE)
        return 0;
    if (out != NULL)
        db_rows_free(out);
    db->last = (ext & 0xff) == SQLITE_BUSY || (ext & 0xff) == SQLITE_LOCKED ? DB_FAIL_RETRY
               : ext == SQLITE_CONSTRAINT_UNIQUE || ext == SQLITE_CONSTRAINT_PRIMARYKEY
                   ? DB_FAIL_UNIQUE
                   : DB_FAIL_OTHER;
    return cd_fail(err, CD_ERR_IO, _("records (sqlite): %s"), msg);
}

/* strpos(haystack, needle): where needle first begins in haystack
 * (counting characters from 1), 0 when it does not occur, NULL when
 * either is NULL. The text is UTF-8; bytes are compared. */
static void lite_strpos(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    const char *h = (const char *)sqlite3_value_text(argv[0]);
    const char *n = (const char *)sqlite3_value_text(argv[1]);
    if (h == NULL || n == NULL) {
        sqlite3_result_null(ctx);
        return;
    }
    size_t hl = (size_t)sqlite3_value_bytes(argv[0]), nl = (size_t)sqlite3_value_bytes(argv[1]);
    const char *at = nl == 0 ? h : nl > hl ? NULL : memmem(h, hl, n, nl);
    long long pos = 0;
    if (at != NULL) {
        pos = 1;
        for (const char *c = h; c < at; c++)
            pos += ((unsigned char)*c & 0xC0) != 0x80;
    }
    sqlite3_result_int64(ctx, pos);
}

static int lite_open(const char *path, rec_db *db, struct cd_err *err)
{
    int rc = sqlite3_open_v2(path, &db->lite,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                             NULL);
    if (rc != SQLITE_OK)
        return cd_fail(err, CD_ERR_IO, _("records %s: %s"), path,
                       db->lite != NULL ? sqlite3_errmsg(db->lite) : sqlite3_errstr(rc));
    sqlite3_extended_result_codes(db->lite, 1);
    /* a writer waits up to 10 s for another before SQLITE_BUSY, and the
     * transaction is then run again (db_transaction) */
    sqlite3_busy_timeout(db->lite, 10000);
    /* strpos(), as PostgreSQL has it, so that both run one search */
    rc = sqlite3_create_function(db->lite, "strpos", 2,
                                 SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, NULL,
                                 lite_strpos, NULL, NULL);
    if (rc != SQLITE_OK)
        return cd_fail(err, CD_ERR_IO, _("records %s: %s"), path, sqlite3_errmsg(db->lite));
    struct db_rows r;
    rc = lite_exec(db, "PRAGMA journal_mode=WAL", NULL, 0, &r, err);
    if (rc == 0)
        db_rows_free(&r);
    if (rc == 0)
        rc = lite_exec(db, "PRAGMA foreign_keys=ON", NULL, 0, NULL, err);
    /* WAL with synchronous=FULL: a committed record survives a power cut */
    if (rc == 0)
        rc = lite_exec(db, "PRAGMA synchronous=FULL", NULL, 0, NULL, err);
    return rc;
}

/* ------------------------------------------------------------ PostgreSQL */

static int pg_exec(rec_db *db, const char *sql, const char *const *params, size_t n,
                   struct db_rows *out, struct cd_err *err)
{
    PGresult *res = PQexecParams(db->pg, sql, (int)n, NULL, params, NULL, NULL, 0);
    ExecStatusType st = PQresultStatus(res);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
        db->last = state == NULL                ? DB_FAIL_OTHER
                   : strcmp(state, "23505") == 0 ? DB_FAIL_UNIQUE
                   : strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0
                       ? DB_FAIL_RETRY
                       : DB_FAIL_OTHER;
        const char *msg = res != NULL ? PQresultErrorMessage(res) : PQerrorMessage(db->pg);
        int len = (int)strcspn(msg, "\n");
        int rc = cd_fail(err, CD_ERR_IO, "records (postgresql): %.*s", len, msg);
        PQclear(res);
        return rc;
    }
    if (out != NULL) {
        memset(out, 0, sizeof *out);
        size_t rows = (size_t)PQntuples(res), cols = (size_t)PQnfields(res);
        out->n_cols = cols;
        out->n_rows = rows;
        out->cells = calloc(rows * cols + 1, sizeof *out->cells);
        bool ok = out->cells != NULL;
        for (size_t i = 0; ok && i < rows; i++)
            for (size_t c = 0; ok && c < cols; c++)
                if (!PQgetisnull(res, (int)i, (int)c) &&
                    (out->cells[i * cols + c] = strdup(PQgetvalue(res, (int)i, (int)c))) == NULL)
                    ok = false;
        if (!ok) {
            PQclear(res);
            db_rows_free(out);
            return cd_fail(err, CD_ERR_NOMEM, _("records: out of memory"));
        }
    }
    PQclear(res);
    return 0;
}

static void pg_quiet(void *arg, const char *message)
{
    (void)arg;
    (void)message;   /* NOTICEs (e.g. "relation exists, skipping"): library code never prints */
}

static int pg_open(const char *url, rec_db *db, struct cd_err *err)
{
    db->pg = PQconnectdb(url);
    if (db->pg == NULL)
        return cd_fail(err, CD_ERR_NOMEM, _("records: out of memory"));
    if (PQstatus(db->pg) != CONNECTION_OK) {
        const char *msg = PQerrorMessage(db->pg);
        /* the URL may hold a password: the message names the server only */
        return cd_fail(err, CD_ERR_IO, _("records: cannot connect to PostgreSQL: %.*s"),
                       (int)strcspn(msg, "\n"), msg);
    }
    PQsetNoticeProcessor(db->pg, pg_quiet, NULL);
    return pg_exec(db, "SET client_min_messages = warning", NULL, 0, NULL, err);
}

/* ------------------------------------------------------------ both */

int db_exec(rec_db *db, const char *sql, const char *const *params, size_t n,
            struct db_rows *out, struct cd_err *err)
{
    db->last = DB_FAIL_OTHER;
    return db->pg != NULL ? pg_exec(db, sql, params, n, out, err)
                          : lite_exec(db, sql, params, n, out, err);
}

#define DB_TX_TRIES 50

int db_transaction(rec_db *db, db_tx_fn body, void *ctx, struct cd_err *err)
{
    if (db->depth > 0)
        return body(db, ctx, err);
    for (int attempt = 0;; attempt++) {
        struct cd_err e = {0};
        db->depth++;
        const char *begin = db->pg == NULL     ? "BEGIN IMMEDIATE"
                            : db->read_committed ? "BEGIN"
                                                 : "BEGIN ISOLATION LEVEL SERIALIZABLE";
        int rc = db_exec(db, begin, NULL, 0, NULL, &e);
        if (rc == 0)
            rc = body(db, ctx, &e);
        enum db_failure why = db->last;
        if (rc == 0)
            rc = db_exec(db, "COMMIT", NULL, 0, NULL, &e);
        if (rc == 0) {
            db->depth--;
            return 0;
        }
        why = rc != 0 && db->last == DB_FAIL_RETRY ? DB_FAIL_RETRY : why;
        struct cd_err ignored = {0};
        db_exec(db, "ROLLBACK", NULL, 0, NULL, &ignored);
        db->depth--;
        if (why != DB_FAIL_RETRY || attempt + 1 >= DB_TX_TRIES) {
            db->last = why;
            return cd_fail(err, rc, "%s", e.msg);
        }
        /* another writer holds the database: wait a little, longer each
         * time, spread so two retrying writers do not meet again */
        long ms = 5 + (long)attempt * 10 + (long)(((unsigned long)clock() >> 4) % 17);
        nanosleep(&(struct timespec){ms / 1000, (ms % 1000) * 1000000L}, NULL);
    }
}

int db_event(rec_db *db, const char *who, const char *kind, const char *subject,
             const char *detail, struct cd_err *err)
{
    char now[21];
    db_now(now);
    const char *p[] = {now, who != NULL ? who : "", kind, subject, detail != NULL ? detail : ""};
    return db_exec(db,
                   "INSERT INTO events (at, who, kind, subject, detail) VALUES ($1,$2,$3,$4,$5)",
                   p, 5, NULL, err);
}

/* ------------------------------------------------------------ schema */

/* A step of a migration: the statement both engines run, or each its own. */
struct schema_step {
    const char *both, *lite, *pg;
};

/* Version 1 (docs/records.md). Dates are text, YYYY-MM-DD, and times ISO
 * 8601 UTC: they sort the same way on both engines. A migration is
 * appended, never edited: a lab's database holds the version it has. */
static const struct schema_step schema_v1[] = {
    {.lite = "CREATE TABLE customers (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL "
             "UNIQUE, address TEXT NOT NULL DEFAULT '')",
     .pg = "CREATE TABLE customers (id BIGSERIAL PRIMARY KEY, name TEXT NOT NULL UNIQUE, "
           "address TEXT NOT NULL DEFAULT '')"},
    {.lite = "CREATE TABLE items (id INTEGER PRIMARY KEY AUTOINCREMENT, type TEXT NOT NULL, "
             "manufacturer TEXT NOT NULL, model TEXT NOT NULL, serial TEXT NOT NULL, owner BIGINT "
             "REFERENCES customers(id), UNIQUE (manufacturer, model, serial))",
     .pg = "CREATE TABLE items (id BIGSERIAL PRIMARY KEY, type TEXT NOT NULL, manufacturer TEXT "
           "NOT NULL, model TEXT NOT NULL, serial TEXT NOT NULL, owner BIGINT REFERENCES "
           "customers(id), UNIQUE (manufacturer, model, serial))"},
    {.both = "CREATE TABLE standards (id TEXT PRIMARY KEY, kind TEXT NOT NULL, description TEXT "
             "NOT NULL, class TEXT NOT NULL, certificate TEXT NOT NULL, issued_by TEXT NOT NULL, "
             "calibrated TEXT, due TEXT NOT NULL, updated TEXT NOT NULL)"},
    {.both = "CREATE TABLE runs (run_id TEXT PRIMARY KEY, path TEXT NOT NULL, sha256 TEXT NOT "
             "NULL, procedure TEXT NOT NULL, item BIGINT REFERENCES items(id), operator TEXT NOT "
             "NULL, lab TEXT NOT NULL, started TEXT NOT NULL, ended TEXT NOT NULL, status TEXT "
             "NOT NULL, verdict TEXT NOT NULL, recorded TEXT NOT NULL)"},
    {.both = "CREATE INDEX runs_path ON runs (path)"},
    {.both = "CREATE INDEX runs_started ON runs (started)"},
    {.both = "CREATE INDEX runs_item ON runs (item)"},
    {.both = "CREATE TABLE run_standards (run_id TEXT NOT NULL REFERENCES runs(run_id), "
             "standard TEXT NOT NULL, certificate TEXT NOT NULL, due TEXT NOT NULL, PRIMARY KEY "
             "(run_id, standard, certificate))"},
    /* kind: "calibration" or "verification" (issue 16); valid_until: the
     * date a verification (or an agreed recall) runs out, NULL when the
     * certificate states none */
    {.both = "CREATE TABLE certificates (number TEXT PRIMARY KEY, kind TEXT NOT NULL DEFAULT "
             "'calibration', run_id TEXT, item BIGINT REFERENCES items(id), customer BIGINT "
             "REFERENCES customers(id), issued TEXT NOT NULL, calibrated TEXT NOT NULL, "
             "signatory TEXT NOT NULL, procedure TEXT NOT NULL, verdict TEXT NOT NULL, "
             "valid_until TEXT, status TEXT NOT NULL CHECK (status IN ('issuing', 'valid', "
             "'amended', 'withdrawn')), replaces TEXT, replaced_by TEXT, reason TEXT, folder TEXT "
             "NOT NULL, recorded TEXT NOT NULL)"},
    {.both = "CREATE INDEX certificates_run ON certificates (run_id)"},
    {.both = "CREATE INDEX certificates_issued ON certificates (issued)"},
    {.both = "CREATE INDEX certificates_valid_until ON certificates (valid_until)"},
    {.both = "CREATE TABLE certificate_files (number TEXT NOT NULL REFERENCES "
             "certificates(number), name TEXT NOT NULL, sha256 TEXT NOT NULL, PRIMARY KEY "
             "(number, name))"},
    {.lite = "CREATE TABLE events (id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, who "
             "TEXT NOT NULL, kind TEXT NOT NULL, subject TEXT NOT NULL, detail TEXT NOT NULL)",
     .pg = "CREATE TABLE events (id BIGSERIAL PRIMARY KEY, at TEXT NOT NULL, who TEXT NOT NULL, "
           "kind TEXT NOT NULL, subject TEXT NOT NULL, detail TEXT NOT NULL)"},
    {.both = "CREATE INDEX events_subject ON events (subject)"},
    /* the event log is append-only (ISO/IEC 17025 7.5.2: changes to records
     * traceable): an UPDATE or DELETE of it fails on either engine */
    {.lite = "CREATE TRIGGER events_no_update BEFORE UPDATE ON events BEGIN SELECT RAISE(ABORT, "
             "'the event log is append-only'); END"},
    {.lite = "CREATE TRIGGER events_no_delete BEFORE DELETE ON events BEGIN SELECT RAISE(ABORT, "
             "'the event log is append-only'); END"},
    {.pg = "CREATE FUNCTION caldaq_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $f$ "
           "BEGIN RAISE EXCEPTION 'the event log is append-only'; END $f$"},
    {.pg = "CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events FOR EACH "
           "STATEMENT EXECUTE FUNCTION caldaq_events_append_only()"},
};

struct migration {
    const struct schema_step *steps;
    size_t n;
};
static const struct migration migrations[] = {
    {schema_v1, sizeof schema_v1 / sizeof schema_v1[0]},
};
#define SCHEMA_VERSION ((int)(sizeof migrations / sizeof migrations[0]))

int rec_schema_version(void)
{
    return SCHEMA_VERSION;
}

struct migrate_ctx {
    int from;
};

static int migrate_body(rec_db *db, void *vctx, struct cd_err *err)
{
    struct migrate_ctx *m = vctx;
    /* PostgreSQL: one migration at a time across processes (an advisory
     * lock; CREATE TABLE takes no lock on a name not yet there), and read
     * committed, so that once the lock is ours the version read is the
     * one the last holder committed */
    int rc = db->pg != NULL ? db_exec(db, "SELECT pg_advisory_xact_lock(1702)", NULL, 0, NULL, err)
                            : 0;
    if (rc == 0)
        rc = db_exec(db,
                     "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL, "
                     "applied TEXT NOT NULL)",
                     NULL, 0, NULL, err);
    struct db_rows r = {0};
    if (rc == 0)
        rc = db_exec(db, "SELECT max(version) FROM schema_version", NULL, 0, &r, err);
    if (rc != 0)
        return rc;
    m->from = r.n_rows > 0 ? atoi(db_cell(&r, 0, 0)) : 0;
    db_rows_free(&r);
    if (m->from > SCHEMA_VERSION)
        return cd_fail(err, CD_ERR_UNSUPPORTED,
                       _("records: the database has schema version %d, this caldaq knows up to "
                       "%d: use a newer caldaq"),
                       m->from, SCHEMA_VERSION);
    for (int v = m->from; rc == 0 && v < SCHEMA_VERSION; v++) {
        for (size_t i = 0; rc == 0 && i < migrations[v].n; i++) {
            const struct schema_step *s = &migrations[v].steps[i];
            const char *sql = s->both != NULL ? s->both : db->pg != NULL ? s->pg : s->lite;
            if (sql != NULL)
                rc = db_exec(db, sql, NULL, 0, NULL, err);
        }
        char ver[16], now[21];
        snprintf(ver, sizeof ver, "%d", v + 1);
        db_now(now);
        const char *p[] = {ver, now};
        if (rc == 0)
            rc = db_exec(db, "INSERT INTO schema_version (version, applied) VALUES ($1, $2)", p,
                         2, NULL, err);
        if (rc == 0)
            rc = db_event(db, "caldaq", "schema", "schema_version", ver, err);
    }
    return rc;
}

static bool is_pg_url(const char *where)
{
    return strncmp(where, "postgresql://", 13) == 0 || strncmp(where, "postgres://", 11) == 0;
}

int rec_open(const char *where, rec_db **out, struct cd_err *err)
{
    *out = NULL;
    if (where == NULL || where[0] == '\0')
        return cd_fail(err, CD_ERR_INVALID, _("--records: empty (a file, or a postgresql:// URL)"));
    if (strlen(where) > 4096)
        return cd_fail(err, CD_ERR_INVALID, _("--records: longer than 4096 bytes"));
    if (strchr(where, ':') != NULL && strstr(where, "://") != NULL && !is_pg_url(where))
        return cd_fail(err, CD_ERR_INVALID,
                       _("--records: '%.40s': a URL must begin postgresql:// (or give a file)"),
                       where);
    rec_db *db = calloc(1, sizeof *db);
    if (db == NULL)
        return cd_fail(err, CD_ERR_NOMEM, _("records: out of memory"));
    snprintf(db->where, sizeof db->where, "%s", where);
    int rc = is_pg_url(where) ? pg_open(where, db, err) : lite_open(where, db, err);
    /* two processes opening a new database at once: the migration is one
     * transaction, and the second sees the first's version */
    struct migrate_ctx m = {0};
    db->read_committed = true;
    if (rc == 0)
        rc = db_transaction(db, migrate_body, &m, err);
    db->read_committed = false;
    if (rc != 0) {
        rec_close(db);
        return rc;
    }
    *out = db;
    return 0;
}

void rec_close(rec_db *db)
{
    if (db == NULL)
        return;
    if (db->lite != NULL)
        sqlite3_close(db->lite);
    if (db->pg != NULL)
        PQfinish(db->pg);
    free(db);
}
