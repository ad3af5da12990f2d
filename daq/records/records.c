/* Writing the records: runs, certificates and their lifecycle (ISO/IEC
 * 17025:2017 7.8.8), the lab's standards, and the parsers of what users
 * type (periods). Every statement through records_db.c, parameters bound. */
#include "records_int.h"
#include "cd_i18n.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

/* ------------------------------------------------------------ parsers */

int rec_period_parse(const char *text, const char *what, int *days, struct cd_err *err)
{
    if (text == NULL || text[0] == '\0')
        return cd_fail(err, CD_ERR_INVALID, _("%s: empty (a period such as 30d or 6w)"), what);
    long long n = 0;
    const char *p = text;
    for (; *p >= '0' && *p <= '9'; p++) {
        n = n * 10 + (*p - '0');
        if (n > 36500)
            return cd_fail(err, CD_ERR_INVALID, _("%s: '%.32s' is longer than 100 years"), what,
                           text);
    }
    if (p == text)
        return cd_fail(err, CD_ERR_INVALID,
                       _("%s: '%.32s' is not a period (a number of days with d, or weeks with w: "
                       "30d, 6w)"),
                       what, text);
    int scale = 0;
    if (*p == '\0' || (p[0] == 'd' && p[1] == '\0'))
        scale = 1;
    else if (p[0] == 'w' && p[1] == '\0')
        scale = 7;
    if (scale == 0)
        return cd_fail(err, CD_ERR_INVALID,
                       _("%s: '%.32s': unknown unit (d for days, w for weeks: 30d, 6w)"), what,
                       text);
    if (n * scale > 36500)
        return cd_fail(err, CD_ERR_INVALID, _("%s: '%.32s' is longer than 100 years"), what, text);
    *days = (int)(n * scale);
    return 0;
}

/* Howard Hinnant's civil_from_days, the inverse of cd_days_from_civil. */
static void civil_from_days(long long z, char out[11])
{
    z += 719468;
    long long era = (z >= 0 ? z : z - 146096) / 146097;
    long long doe = z - era * 146097;
    long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long long y = yoe + era * 400;
    long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long long mp = (5 * doy + 2) / 153;
    long long d = doy - (153 * mp + 2) / 5 + 1;
    long long m = mp < 10 ? mp + 3 : mp - 9;
    y += m <= 2;
    char buf[64];
    snprintf(buf, sizeof buf, "%04lld-%02lld-%02lld", y, m, d);
    snprintf(out, 11, "%.10s", buf);
}

int rec_date_add(const char *date, int days, char out[11])
{
    long ld = 0;
    if (prof_date_parse(date, &ld, NULL) != 0)
        return -1;
    civil_from_days((long long)ld + days, out);
    return 0;
}

/* ------------------------------------------------------------ helpers */

static int file_sha256(const char *path, char hex[65], struct cd_err *err)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return cd_fail(err, CD_ERR_IO, "%s: %s", path, strerror(errno));
    crypto_hash_sha256_state st;
    crypto_hash_sha256_init(&st);
    unsigned char buf[65536], h[32];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        crypto_hash_sha256_update(&st, buf, n);
    bool bad = ferror(f) != 0;
    fclose(f);
    if (bad)
        return cd_fail(err, CD_ERR_IO, _("%s: read error"), path);
    crypto_hash_sha256_final(&st, h);
    sodium_bin2hex(hex, 65, h, sizeof h);
    return 0;
}

int rec_file_sha256(const char *path, char hex[65], struct cd_err *err)
{
    return file_sha256(path, hex, err);
}

/* What kind of item an instrument driver reads. */
static const char *item_type_of(const char *driver)
{
    static const struct {
        const char *driver, *type;
    } types[] = {{"mtsics", "balance"}, {"sbi", "balance"}, {"aandd", "balance"},
                 {"scpi", "multimeter"}, {"modbus", "pressure gauge"}};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (strcmp(driver, types[i].driver) == 0)
            return types[i].type;
    return driver[0] ? driver : "unknown";
}

/* An upsert ... RETURNING id: the id into `id` ("" when no row). */
static int upsert_id(rec_db *db, const char *sql, const char *const *p, size_t n, char id[24],
                     struct cd_err *err)
{
    struct db_rows r;
    int rc = db_exec(db, sql, p, n, &r, err);
    if (rc != 0)
        return rc;
    if (r.n_rows == 1)
        snprintf(id, 24, "%s", db_cell(&r, 0, 0));
    db_rows_free(&r);
    return 0;
}

/* The id of the customer `name` (inserted if new), "" for no name. */
static int customer_id(rec_db *db, const char *name, const char *address, char id[24],
                       struct cd_err *err)
{
    id[0] = '\0';
    if (name == NULL || name[0] == '\0')
        return 0;
    const char *p[] = {name, address != NULL ? address : ""};
    /* a new address replaces the old: the customer moved */
    return upsert_id(db,
                     "INSERT INTO customers (name, address) VALUES ($1, $2) ON CONFLICT (name) DO "
                     "UPDATE SET address = CASE WHEN excluded.address = '' THEN customers.address "
                     "ELSE excluded.address END RETURNING id",
                     p, 2, id, err);
}

/* The id of an item (inserted if new); the owner set when given. */
static int item_id(rec_db *db, const char *type, const char *manufacturer, const char *model,
                   const char *serial, const char *owner, char id[24], struct cd_err *err)
{
    id[0] = '\0';
    const char *p[] = {type != NULL && type[0] ? type : "unknown", manufacturer ? manufacturer : "",
                       model ? model : "", serial ? serial : "",
                       owner != NULL && owner[0] ? owner : NULL};
    return upsert_id(db,
                     "INSERT INTO items (type, manufacturer, model, serial, owner) VALUES ($1, $2, "
                     "$3, $4, $5) ON CONFLICT (manufacturer, model, serial) DO UPDATE SET owner = "
                     "coalesce(excluded.owner, items.owner) RETURNING id",
                     p, 5, id, err);
}

/* ------------------------------------------------------------ runs */

struct run_ctx {
    const char *path, *who;
    const struct daq_run_view *v;
    char sha[65];
    char verdict[32];
};

/* The overall verdict of the latest results version, "" when none. */
static void latest_verdict(const struct daq_run_view *v, char out[32])
{
    out[0] = '\0';
    if (v->n_results == 0)
        return;
    json_t *j = json_loads(v->results[v->n_results - 1], 0, NULL);
    const char *s = json_string_value(json_object_get(j, "verdict"));
    snprintf(out, 32, "%s", s != NULL ? s : "");
    json_decref(j);
}

static int run_body(rec_db *db, void *vctx, struct cd_err *err)
{
    struct run_ctx *c = vctx;
    const struct daq_run_view *v = c->v;
    const struct drv_identity *id = &v->device.id;
    char item[24];
    int rc = item_id(db, item_type_of(v->device.driver), id->manufacturer, id->model, id->serial,
                     NULL, item, err);
    char now[21];
    db_now(now);
    const char *p[] = {v->info.run_id, c->path, c->sha, v->info.profile_name,
                       item[0] ? item : NULL, v->info.operator_name, v->info.lab,
                       v->info.started, v->info.ended, v->info.status, c->verdict, now};
    /* what a run may change after it was first recorded: a new results
     * version (verdict), audit entries (hash), a move (path) */
    if (rc == 0)
        rc = db_exec(db,
                     "INSERT INTO runs (run_id, path, sha256, procedure, item, operator, lab, "
                     "started, ended, status, verdict, recorded) VALUES ($1, $2, $3, $4, $5, $6, "
                     "$7, $8, $9, $10, $11, $12) ON CONFLICT (run_id) DO UPDATE SET path = "
                     "excluded.path, sha256 = excluded.sha256, status = excluded.status, "
                     "verdict = excluded.verdict, ended = excluded.ended",
                     p, 12, NULL, err);
    for (size_t i = 0; rc == 0 && i < v->n_standards; i++) {
        const struct daq_standard *s = &v->standards[i];
        const char *q[] = {v->info.run_id, s->id, s->certificate, s->due_date};
        rc = db_exec(db,
                     "INSERT INTO run_standards (run_id, standard, certificate, due) VALUES ($1, "
                     "$2, $3, $4) ON CONFLICT DO NOTHING",
                     q, 4, NULL, err);
    }
    char detail[4200];
    snprintf(detail, sizeof detail, "%s sha256 %s verdict %s", c->path, c->sha,
             c->verdict[0] ? c->verdict : "-");
    if (rc == 0)
        rc = db_event(db, c->who, "run recorded", v->info.run_id, detail, err);
    return rc;
}

int rec_run_note_hashed(rec_db *db, const char *path, const struct daq_run_view *v,
                        const char sha[65], const char *verdict, const char *who,
                        struct cd_err *err)
{
    struct run_ctx c = {.path = path, .who = who, .v = v};
    memcpy(c.sha, sha, 65);
    if (verdict != NULL)
        snprintf(c.verdict, sizeof c.verdict, "%s", verdict);
    else
        latest_verdict(v, c.verdict);
    return db_transaction(db, run_body, &c, err);
}

int rec_run_note(rec_db *db, const char *path, const struct daq_run_view *v, const char *verdict,
                 const char *who, struct cd_err *err)
{
    char sha[65];
    int rc = file_sha256(path, sha, err);
    if (rc != 0)
        return rc;
    struct daq_run_view *own = NULL;
    if (v == NULL) {
        rc = daq_run_open_guarded(path, 0, &own, err);
        if (rc != 0)
            return rc;
        v = own;
    }
    /* one path for a file however it was named (relative, through links):
     * import and the commands that write meet on it */
    char real[4096];
    if (realpath(path, real) != NULL)
        path = real;
    rc = rec_run_note_hashed(db, path, v, sha, verdict, who, err);
    daq_run_view_free(own);
    return rc;
}

/* ------------------------------------------------------------ certificates */

struct reserve_ctx {
    const char *number, *replaces, *who;
};

static int reserve_body(rec_db *db, void *vctx, struct cd_err *err)
{
    struct reserve_ctx *c = vctx;
    struct db_rows r;
    const char *p[] = {c->number};
    int rc = db_exec(db, "SELECT status, replaced_by FROM certificates WHERE number = $1", p, 1,
                     &r, err);
    if (rc != 0)
        return rc;
    if (r.n_rows > 0) {
        rc = cd_fail(err, CD_ERR_INVALID,
                     _("certificate %s exists in the records (%s%s%s): a number is never issued "
                     "twice (ISO/IEC 17025 7.8.8: amend it with --amend %s --reason TEXT)"),
                     c->number, db_cell(&r, 0, 0), db_cell(&r, 0, 1)[0] ? ", replaced by " : "",
                     db_cell(&r, 0, 1), c->number);
        db_rows_free(&r);
        return rc;
    }
    db_rows_free(&r);
    if (c->replaces != NULL) {
        const char *q[] = {c->replaces};
        rc = db_exec(db, "SELECT status FROM certificates WHERE number = $1", q, 1, &r, err);
        if (rc != 0)
            return rc;
        const char *st = r.n_rows > 0 ? db_cell(&r, 0, 0) : NULL;
        if (st == NULL)
            rc = cd_fail(err, CD_ERR_NOT_FOUND,
                         _("--amend %s: no such certificate in the records"), c->replaces);
        else if (strcmp(st, "valid") != 0)
            rc = cd_fail(err, CD_ERR_INVALID,
                         _("--amend %s: the certificate is %s: only a valid one can be amended"),
                         c->replaces, st);
        db_rows_free(&r);
        if (rc != 0)
            return rc;
    }
    char now[21];
    db_now(now);
    const char *ins[] = {c->number, now, c->replaces};
    rc = db_exec(db,
                 "INSERT INTO certificates (number, issued, calibrated, signatory, procedure, "
                 "verdict, status, replaces, folder, recorded) VALUES ($1, '', '', '', '', '', "
                 "'issuing', $3, '', $2)",
                 ins, 3, NULL, err);
    if (rc != 0 && db_last_failure(db) == DB_FAIL_UNIQUE) {
        cd_err_clear(err);
        return cd_fail(err, CD_ERR_INVALID,
                       _("certificate %s exists in the records (issued just now by another "
                       "process): a number is never issued twice"),
                       c->number);
    }
    if (rc == 0)
        rc = db_event(db, c->who, "certificate reserved", c->number,
                      c->replaces != NULL ? c->replaces : "", err);
    return rc;
}

int rec_cert_reserve(rec_db *db, const char *number, const char *replaces, const char *who,
                     struct cd_err *err)
{
    struct reserve_ctx c = {number, replaces, who};
    return db_transaction(db, reserve_body, &c, err);
}

struct issued_ctx {
    const struct rec_cert *c;
    const char *who;
};

static const char *or_empty(const char *s)
{
    return s != NULL ? s : "";
}

static int issued_body(rec_db *db, void *vctx, struct cd_err *err)
{
    const struct rec_cert *c = ((struct issued_ctx *)vctx)->c;
    const char *who = ((struct issued_ctx *)vctx)->who;
    char cust[24], item[24];
    struct db_rows r = {0};
    int rc = customer_id(db, c->customer, c->customer_address, cust, err);
    if (rc == 0)
        rc = item_id(db, c->item_type, c->manufacturer, c->model, c->serial, cust, item, err);
    char now[21];
    db_now(now);
    const char *p[] = {c->number,
                       c->kind != NULL ? c->kind : "calibration",
                       c->run_id,
                       item[0] ? item : NULL,
                       cust[0] ? cust : NULL,
                       or_empty(c->issued),
                       or_empty(c->calibrated),
                       or_empty(c->signatory),
                       or_empty(c->procedure),
                       or_empty(c->verdict),
                       c->valid_until != NULL && c->valid_until[0] ? c->valid_until : NULL,

                       c->replaces,
                       c->reason,
                       or_empty(c->folder),
                       now};
    /* the row rec_cert_reserve made (status issuing), or a new one
     * (import of a certificate issued without records) */
    if (rc == 0)
        rc = db_exec(db,
                     "INSERT INTO certificates (number, kind, run_id, item, customer, issued, "
                     "calibrated, signatory, procedure, verdict, valid_until, status, replaces, "
                     "reason, folder, recorded) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, "
                     "coalesce($11, (SELECT o.valid_until FROM certificates o WHERE o.number = $12)), "
                     "'valid', $12, $13, $14, $15) ON CONFLICT (number) DO UPDATE SET kind = "
                     "excluded.kind, run_id = excluded.run_id, item = excluded.item, customer = "
                     "excluded.customer, issued = excluded.issued, calibrated = "
                     "excluded.calibrated, signatory = excluded.signatory, procedure = "
                     "excluded.procedure, verdict = excluded.verdict, valid_until = "
                     "excluded.valid_until, status = 'valid', replaces = excluded.replaces, "
                     "reason = excluded.reason, folder = excluded.folder WHERE "
                     "certificates.status = 'issuing' RETURNING number",
                     p, 15, &r, err);
    /* a number recorded as issued already is never written over */
    if (rc == 0 && r.n_rows != 1)
        rc = cd_fail(err, CD_ERR_INVALID,
                     _("certificate %s is recorded as issued already: a number is never issued "
                     "twice"),
                     c->number);
    if (rc == 0)
        db_rows_free(&r);
    for (size_t i = 0; rc == 0 && i < c->n_files; i++) {
        const char *q[] = {c->number, c->file_names[i], c->file_sha256[i]};
        rc = db_exec(db,
                     "INSERT INTO certificate_files (number, name, sha256) VALUES ($1, $2, $3) ON "
                     "CONFLICT (number, name) DO UPDATE SET sha256 = excluded.sha256",
                     q, 3, NULL, err);
    }
    if (rc == 0 && c->replaces != NULL) {
        /* ISO/IEC 17025 7.8.8.2: the amended certificate is identified, and
         * the old one names its replacement (again: an import of both) */
        const char *q[] = {c->replaces, c->number, or_empty(c->reason)};
        rc = db_exec(db,
                     "UPDATE certificates SET status = 'amended', replaced_by = $2, reason = $3 "
                     "WHERE number = $1 AND (status = 'valid' OR replaced_by = $2) RETURNING "
                     "number",
                     q, 3, &r, err);
        size_t updated = rc == 0 ? r.n_rows : 0;
        if (rc == 0)
            db_rows_free(&r);
        if (rc == 0 && updated == 0)
            rc = db_exec(db, "SELECT status FROM certificates WHERE number = $1", q, 1, &r, err);
        /* not in the records (an archive imported in pieces): recorded when
         * it comes, below */
        if (rc == 0 && updated == 0) {
            if (r.n_rows > 0)
                rc = cd_fail(err, CD_ERR_INVALID,
                             _("certificate %s is %s: it cannot be amended by %s"), c->replaces,
                             db_cell(&r, 0, 0), c->number);
            db_rows_free(&r);
        }
        char detail[700];
        snprintf(detail, sizeof detail, "replaced by %s: %.600s", c->number, or_empty(c->reason));
        if (rc == 0 && updated > 0)
            rc = db_event(db, who, "certificate amended", c->replaces, detail, err);
    }
    if (rc == 0) {
        /* its amendment recorded before it (an import): it is amended */
        const char *q[] = {c->number};
        rc = db_exec(db,
                     "UPDATE certificates SET status = 'amended', replaced_by = (SELECT n.number "
                     "FROM certificates n WHERE n.replaces = $1 AND n.status <> 'issuing' ORDER "
                     "BY n.number LIMIT 1), reason = (SELECT n.reason FROM certificates n WHERE "
                     "n.replaces = $1 AND n.status <> 'issuing' ORDER BY n.number LIMIT 1) WHERE "
                     "number = $1 AND EXISTS (SELECT 1 FROM certificates n WHERE n.replaces = $1 "
                     "AND n.status <> 'issuing')",
                     q, 1, NULL, err);
    }
    char detail[700];
    snprintf(detail, sizeof detail, "run %s issued %s%s%.600s", or_empty(c->run_id),
             or_empty(c->issued), c->replaces != NULL ? " replacing " : "",
             or_empty(c->replaces));
    if (rc == 0)
        rc = db_event(db, who, "certificate issued", c->number, detail, err);
    return rc;
}

int rec_cert_issued(rec_db *db, const struct rec_cert *c, const char *who, struct cd_err *err)
{
    struct issued_ctx ctx = {c, who};
    return db_transaction(db, issued_body, &ctx, err);
}

struct abandon_ctx {
    const char *number, *why, *who;
};

static int abandon_body(rec_db *db, void *vctx, struct cd_err *err)
{
    struct abandon_ctx *c = vctx;
    const char *p[] = {c->number};
    int rc = db_exec(db, "DELETE FROM certificates WHERE number = $1 AND status = 'issuing'", p, 1,
                     NULL, err);
    if (rc == 0)
        rc = db_event(db, c->who, "certificate not issued", c->number, c->why, err);
    return rc;
}

int rec_cert_abandon(rec_db *db, const char *number, const char *why, const char *who,
                     struct cd_err *err)
{
    struct abandon_ctx c = {number, why, who};
    return db_transaction(db, abandon_body, &c, err);
}

struct withdraw_ctx {
    const char *number, *reason, *who;
    char *run_path;
};

static int withdraw_body(rec_db *db, void *vctx, struct cd_err *err)
{
    struct withdraw_ctx *c = vctx;
    const char *p[] = {c->number, c->reason};
    struct db_rows r;
    int rc = db_exec(db,
                     "SELECT c.status, coalesce(r.path, '') FROM certificates c LEFT JOIN runs r "
                     "ON r.run_id = c.run_id WHERE c.number = $1",
                     p, 1, &r, err);
    if (rc != 0)
        return rc;
    if (r.n_rows == 0)
        rc = cd_fail(err, CD_ERR_NOT_FOUND, _("--withdraw %s: no such certificate in the records"),
                     c->number);
    else if (strcmp(db_cell(&r, 0, 0), "valid") != 0)
        rc = cd_fail(err, CD_ERR_INVALID,
                     _("--withdraw %s: the certificate is %s: only a valid one can be withdrawn"),
                     c->number, db_cell(&r, 0, 0));
    if (rc == 0 && c->run_path != NULL)
        snprintf(c->run_path, 4096, "%s", db_cell(&r, 0, 1));
    db_rows_free(&r);
    if (rc == 0)
        rc = db_exec(db,
                     "UPDATE certificates SET status = 'withdrawn', reason = $2 WHERE number = $1",
                     p, 2, NULL, err);
    if (rc == 0)
        rc = db_event(db, c->who, "certificate withdrawn", c->number, c->reason, err);
    return rc;
}

int rec_cert_withdraw(rec_db *db, const char *number, const char *reason, const char *who,
                      char run_path[4096], struct cd_err *err)
{
    if (run_path != NULL)
        run_path[0] = '\0';
    struct withdraw_ctx c = {number, reason, who, run_path};
    return db_transaction(db, withdraw_body, &c, err);
}

int rec_cert_status(rec_db *db, const char *number, char status[16], struct cd_err *err)
{
    const char *p[] = {number};
    struct db_rows r;
    int rc = db_exec(db, "SELECT status FROM certificates WHERE number = $1", p, 1, &r, err);
    if (rc != 0)
        return rc;
    if (r.n_rows == 0)
        rc = cd_fail(err, CD_ERR_NOT_FOUND, _("certificate %s: not in the records"), number);
    else
        snprintf(status, 16, "%s", db_cell(&r, 0, 0));
    db_rows_free(&r);
    return rc;
}

/* ------------------------------------------------------------ standards */

static const char *std_kind_name(enum prof_std_kind k)
{
    switch (k) {
    case PROF_STD_WEIGHT_SET: return "weight-set";
    case PROF_STD_PRESSURE_REFERENCE: return "pressure-reference";
    case PROF_STD_CALIBRATOR: return "calibrator";
    case PROF_STD_THERMOMETER: return "thermometer";
    case PROF_STD_HYGROMETER: return "hygrometer";
    default: return "other";
    }
}

struct standards_ctx {
    const prof_standards *reg;
    const char *who;
    size_t n;
};

static int standards_body(rec_db *db, void *vctx, struct cd_err *err)
{
    struct standards_ctx *c = vctx;
    char now[21];
    db_now(now);
    int rc = 0;
    c->n = 0;
    for (size_t i = 0; rc == 0 && i < prof_standards_count(c->reg); i++) {
        const struct prof_standard *s = prof_standards_get(c->reg, i);
        const char *p[] = {s->id,          std_kind_name(s->kind),
                           s->description, s->class_name,
                           s->certificate, s->issued_by,
                           s->calibrated[0] ? s->calibrated : NULL,
                           s->due,         now};
        rc = db_exec(db,
                     "INSERT INTO standards (id, kind, description, class, certificate, "
                     "issued_by, calibrated, due, updated) VALUES ($1, $2, $3, $4, $5, $6, $7, "
                     "$8, $9) ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, description = "
                     "excluded.description, class = excluded.class, certificate = "
                     "excluded.certificate, issued_by = excluded.issued_by, calibrated = "
                     "excluded.calibrated, due = excluded.due, updated = excluded.updated",
                     p, 9, NULL, err);
        char detail[200];
        snprintf(detail, sizeof detail, "certificate %.64s due %s", s->certificate, s->due);
        if (rc == 0)
            rc = db_event(db, c->who, "standard recorded", s->id, detail, err);
        c->n++;
    }
    return rc;
}

int rec_standards_note(rec_db *db, const prof_standards *reg, const char *who, size_t *n,
                       struct cd_err *err)
{
    struct standards_ctx c = {reg, who, 0};
    int rc = db_transaction(db, standards_body, &c, err);
    if (n != NULL)
        *n = rc == 0 ? c.n : 0;
    return rc;
}
