/* Asking the records: search, show, due; their JSON and readable tables.
 * Every user string is a bound parameter. Search text is found with
 * strpos() (PostgreSQL's; records_db.c gives SQLite the same function),
 * not LIKE: no character of it is a wildcard ("100%" finds "100%"), and
 * it may be as long as REC_TEXT_MAX, past SQLite's limit on LIKE
 * patterns. */
#define _DEFAULT_SOURCE   /* realpath */
#include "records_int.h"
#include "cd_i18n.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* Rows as an array of objects named by `names` (n_cols of them); a NULL
 * cell is JSON null. */
static json_t *rows_json(const struct db_rows *r, const char *const *names, size_t limit)
{
    json_t *a = json_array();
    for (size_t i = 0; i < r->n_rows && i < limit; i++) {
        json_t *o = json_object();
        for (size_t c = 0; c < r->n_cols; c++) {
            const char *v = r->cells[i * r->n_cols + c];
            json_object_set_new(o, names[c], v != NULL ? json_string(v) : json_null());
        }
        json_array_append_new(a, o);
    }
    return a;
}

static int check_text(const char *s, const char *what, struct cd_err *err)
{
    if (s != NULL && strlen(s) > REC_TEXT_MAX)
        return cd_fail(err, CD_ERR_INVALID, _("%s: longer than %d bytes"), what, REC_TEXT_MAX);
    return 0;
}

static const char *const cert_cols[] = {"number",   "kind",        "status",    "issued",
                                        "customer", "type",        "manufacturer", "model",
                                        "serial",   "procedure",   "verdict",   "valid_until",
                                        "replaces", "replaced_by", "run_id"};
#define CERT_SELECT                                                                           \
    "SELECT c.number, c.kind, c.status, c.issued, cu.name, i.type, i.manufacturer, i.model, "  \
    "i.serial, c.procedure, c.verdict, c.valid_until, c.replaces, c.replaced_by, c.run_id "    \
    "FROM certificates c LEFT JOIN customers cu ON cu.id = c.customer LEFT JOIN items i ON "   \
    "i.id = c.item "

static const char *const run_cols[] = {"run_id",  "started", "procedure", "type", "manufacturer",
                                       "model",   "serial",  "status",    "verdict", "operator",
                                       "path"};
#define RUN_SELECT                                                                            \
    "SELECT r.run_id, r.started, r.procedure, i.type, i.manufacturer, i.model, i.serial, "     \
    "r.status, r.verdict, r.operator, r.path FROM runs r LEFT JOIN items i ON i.id = r.item "

/* Whether column `col` holds parameter `n`, ignoring ASCII case; a NULL
 * parameter ($2, $3: a filter not given) is tested first by the caller.
 * CAST: PostgreSQL cannot tell the type of a parameter from strpos()
 * and lower() alone. */
#define HOLDS(col, n) "strpos(lower(" col "), lower(CAST($" #n " AS TEXT))) > 0"

int rec_search(rec_db *db, const struct rec_search *q, json_t **out, struct cd_err *err)
{
    *out = NULL;
    int rc = check_text(q->text, "search text", err);
    if (rc == 0)
        rc = check_text(q->customer, "--customer", err);
    if (rc == 0)
        rc = check_text(q->serial, "--serial", err);
    if (rc == 0)
        rc = check_text(q->verdict, "--verdict", err);
    if (rc != 0)
        return rc;
    size_t limit = q->limit ? q->limit : 200;
    char lim[24];
    snprintf(lim, sizeof lim, "%zu", limit + 1);
    /* $1 text, $2 customer, $3 serial, $4 verdict, $5 from, $6 to, $7 limit;
     * a NULL filter matches everything */
    const char *p[] = {q->text != NULL ? q->text : "", q->customer, q->serial, q->verdict,
                       q->from, q->to, lim};
    struct db_rows certs = {0}, runs = {0};
    rc = db_exec(db,
                 CERT_SELECT
                 "WHERE (" HOLDS("c.number", 1) " OR " HOLDS("coalesce(cu.name, '')", 1)
                 " OR " HOLDS("coalesce(i.serial, '')", 1) " OR " HOLDS("coalesce(i.model, '')", 1)
                 " OR " HOLDS("coalesce(i.manufacturer, '')", 1) " OR " HOLDS("c.procedure", 1)
                 " OR " HOLDS("coalesce(c.run_id, '')", 1) ") "
                 "AND (CAST($2 AS TEXT) IS NULL OR " HOLDS("coalesce(cu.name, '')", 2) ") "
                 "AND (CAST($3 AS TEXT) IS NULL OR " HOLDS("coalesce(i.serial, '')", 3) ") "
                 "AND (CAST($4 AS TEXT) IS NULL OR c.verdict = CAST($4 AS TEXT)) "
                 "AND (CAST($5 AS TEXT) IS NULL OR c.issued >= CAST($5 AS TEXT)) "
                 "AND (CAST($6 AS TEXT) IS NULL OR c.issued <= CAST($6 AS TEXT)) "
                 "AND c.status <> 'issuing' "
                 "ORDER BY c.issued DESC, c.number LIMIT CAST($7 AS INTEGER)",
                 p, 7, &certs, err);
    /* runs: the customer through the item's owner */
    if (rc == 0)
        rc = db_exec(db,
                     RUN_SELECT
                     "LEFT JOIN customers cu ON cu.id = i.owner "
                     "WHERE (" HOLDS("r.run_id", 1) " OR " HOLDS("r.procedure", 1)
                     " OR " HOLDS("coalesce(i.serial, '')", 1) " OR "
                     HOLDS("coalesce(i.model, '')", 1) " OR "
                     HOLDS("coalesce(i.manufacturer, '')", 1) " OR "
                     HOLDS("coalesce(cu.name, '')", 1) " OR " HOLDS("r.path", 1) ") "
                     "AND (CAST($2 AS TEXT) IS NULL OR " HOLDS("coalesce(cu.name, '')", 2) ") "
                     "AND (CAST($3 AS TEXT) IS NULL OR " HOLDS("coalesce(i.serial, '')", 3) ") "
                     "AND (CAST($4 AS TEXT) IS NULL OR r.verdict = CAST($4 AS TEXT)) "
                     "AND (CAST($5 AS TEXT) IS NULL OR substr(r.started, 1, 10) >= CAST($5 AS TEXT)) "
                     "AND (CAST($6 AS TEXT) IS NULL OR substr(r.started, 1, 10) <= CAST($6 AS TEXT)) "
                     "ORDER BY r.started DESC, r.run_id LIMIT CAST($7 AS INTEGER)",
                     p, 7, &runs, err);
    if (rc == 0) {
        json_t *o = json_object();
        json_object_set_new(o, "certificates", rows_json(&certs, cert_cols, limit));
        json_object_set_new(o, "runs", rows_json(&runs, run_cols, limit));
        json_object_set_new(o, "truncated",
                            json_boolean(certs.n_rows > limit || runs.n_rows > limit));
        *out = o;
    }
    db_rows_free(&certs);
    db_rows_free(&runs);
    return rc;
}

static json_t *query_json(rec_db *db, const char *sql, const char *const *p, size_t n,
                          const char *const *names, int *rc, struct cd_err *err)
{
    struct db_rows r;
    if (*rc != 0 || (*rc = db_exec(db, sql, p, n, &r, err)) != 0)
        return NULL;
    json_t *a = rows_json(&r, names, (size_t)-1);
    db_rows_free(&r);
    return a;
}

static const char *const event_cols[] = {"at", "who", "kind", "subject", "detail"};
static const char *const file_cols[] = {"name", "sha256"};

/* The events of `subject`, oldest first (NULL after a failure). */
static json_t *events_of(rec_db *db, const char *subject, int *rc, struct cd_err *err)
{
    const char *p[] = {subject};
    return query_json(db,
                      "SELECT at, who, kind, subject, detail FROM events WHERE subject = $1 "
                      "ORDER BY id",
                      p, 1, event_cols, rc, err);
}

/* `o` with `more`'s first row merged in and the arrays set (a NULL one,
 * after a failure, is not set); as {"kind": o}, or NULL after a failure. */
static json_t *wrap(const char *kind, json_t *o, json_t *more, const char *const *keys,
                    json_t **arrays, size_t n, int rc)
{
    if (more != NULL)
        json_object_update(o, json_array_get(more, 0));
    json_decref(more);
    for (size_t i = 0; i < n; i++)
        json_object_set_new(o, keys[i], arrays[i]);   /* takes arrays[i]; NULL: nothing */
    if (rc != 0) {
        json_decref(o);
        return NULL;
    }
    return json_pack("{s:o}", kind, o);
}

int rec_show(rec_db *db, const char *key, json_t **out, struct cd_err *err)
{
    *out = NULL;
    int rc = check_text(key, "NUMBER|RUN", err);
    if (rc != 0)
        return rc;
    const char *p[] = {key};
    json_t *certs = query_json(db,
                               CERT_SELECT "WHERE c.number = $1 AND c.status <> 'issuing'", p, 1,
                               cert_cols, &rc, err);
    if (rc == 0 && json_array_size(certs) == 1) {
        json_t *c = json_incref(json_array_get(certs, 0));
        json_decref(certs);
        json_t *more = query_json(db,
                                  "SELECT c.signatory, c.calibrated, c.reason, c.folder, r.path, "
                                  "r.sha256 FROM certificates c LEFT JOIN runs r ON r.run_id = "
                                  "c.run_id WHERE c.number = $1",
                                  p, 1,
                                  (const char *const[]){"signatory", "calibrated", "reason",
                                                        "folder", "run_path", "run_sha256"},
                                  &rc, err);
        json_t *arrays[] = {
            query_json(db,
                       "SELECT name, sha256 FROM certificate_files WHERE number = $1 ORDER BY name",
                       p, 1, file_cols, &rc, err),
            events_of(db, key, &rc, err)};
        static const char *const keys[] = {"files", "events"};
        *out = wrap("certificate", c, more, keys, arrays, 2, rc);
        return rc;
    }
    json_decref(certs);
    if (rc != 0)
        return rc;
    /* a run file is recorded under its real path: as named, or resolved */
    char real[4096];
    const char *pr[] = {key, realpath(key, real) != NULL ? real : key};
    json_t *runs = query_json(db, RUN_SELECT "WHERE r.run_id = $1 OR r.path = $1 OR r.path = $2",
                              pr, 2, run_cols, &rc, err);
    if (rc == 0 && json_array_size(runs) >= 1) {
        json_t *r = json_incref(json_array_get(runs, 0));
        json_decref(runs);
        const char *q[] = {json_string_value(json_object_get(r, "run_id"))};
        json_t *more = query_json(db, "SELECT sha256, ended, lab FROM runs WHERE run_id = $1", q,
                                  1, (const char *const[]){"sha256", "ended", "lab"}, &rc, err);
        json_t *arrays[] = {
            query_json(db,
                       CERT_SELECT "WHERE c.run_id = $1 AND c.status <> 'issuing' ORDER BY "
                                   "c.issued, c.number",
                       q, 1, cert_cols, &rc, err),
            query_json(db,
                       "SELECT standard, certificate, due FROM run_standards WHERE run_id = $1 "
                       "ORDER BY standard",
                       q, 1, (const char *const[]){"id", "certificate", "due"}, &rc, err),
            events_of(db, q[0], &rc, err)};
        static const char *const keys[] = {"certificates", "standards", "events"};
        *out = wrap("run", r, more, keys, arrays, 3, rc);
        return rc;
    }
    json_decref(runs);
    if (rc != 0)
        return rc;
    return cd_fail(err, CD_ERR_NOT_FOUND,
                   _("'%.80s%s': no certificate number, run id or run path in the records"), key,
                   strlen(key) > 80 ? "..." : "");
}

int rec_due(rec_db *db, const char *today, int within_days, json_t **out, struct cd_err *err)
{
    *out = NULL;
    char until[11];
    if (rec_date_add(today, within_days, until) != 0)
        return cd_fail(err, CD_ERR_INVALID, _("today: '%.20s' is not a date (YYYY-MM-DD)"), today);
    const char *p[] = {today, until};
    int rc = 0;
    /* an item's latest valid certificate with a validity date: earlier
     * ones were superseded by the recalibration */
    json_t *items = query_json(
        db,
        "SELECT c.number, c.kind, c.valid_until, CASE WHEN c.valid_until < $1 THEN 'overdue' ELSE "
        "'due' END, cu.name, i.type, i.manufacturer, i.model, i.serial FROM certificates c JOIN "
        "items i ON i.id = c.item LEFT JOIN customers cu ON cu.id = c.customer WHERE c.status = "
        "'valid' AND c.valid_until IS NOT NULL AND c.valid_until <= $2 AND NOT EXISTS (SELECT 1 "
        "FROM certificates n WHERE n.item = c.item AND n.status = 'valid' AND (n.issued > "
        "c.issued OR (n.issued = c.issued AND n.number > c.number))) ORDER BY c.valid_until, "
        "c.number",
        p, 2,
        (const char *const[]){"certificate", "kind", "valid_until", "state", "customer", "type",
                              "manufacturer", "model", "serial"},
        &rc, err);
    json_t *stds = query_json(db,
                              "SELECT id, kind, description, certificate, due, CASE WHEN due < "
                              "$1 THEN 'overdue' ELSE 'due' END FROM standards WHERE due <= $2 "
                              "ORDER BY due, id",
                              p, 2,
                              (const char *const[]){"id", "kind", "description", "certificate",
                                                    "due", "state"},
                              &rc, err);
    if (rc != 0) {
        json_decref(items);
        json_decref(stds);
        return rc;
    }
    *out = json_pack("{s:s, s:s, s:o, s:o}", "today", today, "until", until, "items", items,
                     "standards", stds);
    return 0;
}

int rec_standards(rec_db *db, json_t **out, struct cd_err *err)
{
    int rc = 0;
    *out = query_json(db,
                      "SELECT id, kind, description, class, certificate, issued_by, calibrated, "
                      "due FROM standards ORDER BY id",
                      NULL, 0,
                      (const char *const[]){"id", "kind", "description", "class", "certificate",
                                            "issued_by", "calibrated", "due"},
                      &rc, err);
    return rc;
}

/* ------------------------------------------------------------ tables */

static const char *str(const json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s != NULL ? s : "-";
}

/* Text cut to `w` bytes for a column, at a UTF-8 character boundary. */
static void cell(FILE *f, const char *s, int w)
{
    /* at most w characters, cut and padded by characters, not bytes:
     * Vietnamese headings and names ("trạng thái") line up whole */
    size_t n = 0, chars = 0;
    while (s[n] != '\0') {
        size_t len = 1;
        while (((unsigned char)s[n + len] & 0xC0) == 0x80)
            len++;
        if (chars == (size_t)w)
            break;
        n += len;
        chars++;
    }
    fprintf(f, "%.*s%*s ", (int)n, s, (int)((size_t)w > chars ? (size_t)w - chars : 0), "");
}

/* A status or verdict as the records store it (English words: they are
 * data, docs/records.md) shown in the language of the messages; a word
 * not known here is shown as stored. */
static const char *shown_word(const char *stored)
{
    static const char *const known[] = {
        N_("valid"),    N_("amended"), N_("withdrawn"),        N_("complete"),
        N_("in-progress"), N_("aborted"), N_("pass"),          N_("fail"),
        N_("conditional pass"), N_("conditional fail"), N_("incomplete"),
        N_("calibration"), N_("verification"),
    };
    for (size_t k = 0; k < sizeof known / sizeof known[0]; k++)
        if (strcmp(stored, known[k]) == 0)
            return _(known[k]);
    return stored;
}

/* The state of a record due, as `records due` stores it in its rows,
 * shown translated: told apart from the column "due" (a date) by the
 * context "due state". */
static const char *shown_state(const char *stored)
{
    /* TRANSLATORS: "due" falls due within the window asked for, "overdue"
     * is past its date */
    static const char *const known[] = {NC_("due state", "due"), NC_("due state", "overdue")};
    for (size_t k = 0; k < sizeof known / sizeof known[0]; k++)
        if (strcmp(stored, known[k]) == 0)
            return cd_pgettext2("due state", known[k]);
    return stored;
}

/* A column of a printed table: its heading (a msgid), the key of its value
 * in each row (and a second key shown after it: "Mettler XS204", "C-1
 * (calibration)"), its width in characters (0: the last, unpadded). */
enum col_kind {
    COL_TEXT,   /* the value as stored */
    COL_WORD,   /* a stored status or verdict word, shown translated */
    COL_STATE,  /* due / overdue, shown translated in the context "due state" */
    COL_JOINED, /* key, a space, key2 */
    COL_NOTED,  /* key, then key2 (a stored word, translated) in parentheses */
};
struct column {
    const char *heading;
    const char *key;
    int width;
    enum col_kind kind;
    const char *key2;
};

static void print_table(FILE *f, const json_t *rows, const struct column *cols, size_t n)
{
    if (json_array_size(rows) == 0)
        return;
    /* the headings padded by characters, as the cells (Vietnamese ones too) */
    fputs("  ", f);
    for (size_t k = 0; k < n; k++) {
        if (cols[k].width > 0)
            cell(f, _(cols[k].heading), cols[k].width);
        else
            fprintf(f, "%s\n", _(cols[k].heading));
    }
    size_t i;
    const json_t *o;
    json_array_foreach(rows, i, o)
    {
        fputs("  ", f);
        for (size_t k = 0; k < n; k++) {
            const char *v = str(o, cols[k].key);
            char both[320];
            switch (cols[k].kind) {
            case COL_TEXT: break;
            case COL_WORD: v = shown_word(v); break;
            case COL_STATE: v = shown_state(v); break;
            case COL_JOINED:
                snprintf(both, sizeof both, "%s %s", v, str(o, cols[k].key2));
                v = both;
                break;
            case COL_NOTED:
                snprintf(both, sizeof both, "%s (%s)", v, shown_word(str(o, cols[k].key2)));
                v = both;
                break;
            }
            if (cols[k].width > 0)
                cell(f, v, cols[k].width);
            else
                fprintf(f, "%s\n", v);
        }
    }
}

void rec_print_search(FILE *f, const json_t *r)
{
    const json_t *certs = json_object_get(r, "certificates"), *runs = json_object_get(r, "runs");
    static const struct column cert_columns[] = {
        {N_("number"), "number", 24, COL_TEXT, NULL},
        {N_("status"), "status", 12, COL_WORD, NULL},
        {N_("issued on"), "issued", 10, COL_TEXT, NULL},
        {N_("customer"), "customer", 24, COL_TEXT, NULL},
        {N_("serial"), "serial", 16, COL_TEXT, NULL},
        {N_("verdict"), "verdict", 14, COL_WORD, NULL},
        {N_("valid until"), "valid_until", 0, COL_TEXT, NULL},
    };
    static const struct column run_columns[] = {
        {N_("run"), "run_id", 36, COL_TEXT, NULL},
        {N_("started"), "started", 10, COL_TEXT, NULL},
        {N_("procedure"), "procedure", 24, COL_TEXT, NULL},
        {N_("serial"), "serial", 16, COL_TEXT, NULL},
        {N_("status"), "status", 12, COL_WORD, NULL},
        {N_("verdict"), "verdict", 0, COL_WORD, NULL},
    };
    fprintf(f, _("certificates: %zu\n"), json_array_size(certs));
    print_table(f, certs, cert_columns, sizeof cert_columns / sizeof cert_columns[0]);
    fprintf(f, _("runs: %zu\n"), json_array_size(runs));
    print_table(f, runs, run_columns, sizeof run_columns / sizeof run_columns[0]);
    if (json_is_true(json_object_get(r, "truncated")))
        fputs(_("(more match: narrow the search)\n"), f);
}

static void print_events(FILE *f, const json_t *events)
{
    size_t i;
    const json_t *e;
    fputs(_("events:\n"), f);
    json_array_foreach(events, i, e)
        fprintf(f, "  %s  %-22s %s  (%s)\n", str(e, "at"), str(e, "kind"), str(e, "detail"),
                str(e, "who"));
}

void rec_print_show(FILE *f, const json_t *r)
{
    const json_t *c = json_object_get(r, "certificate");
    size_t i;
    const json_t *o;
    if (c != NULL) {
        fprintf(f, _("certificate %s (%s): %s\n"), str(c, "number"), str(c, "kind"),
                str(c, "status"));
        if (json_string_value(json_object_get(c, "replaced_by")) != NULL)
            fprintf(f, _("  replaced by  %s: %s\n"), str(c, "replaced_by"), str(c, "reason"));
        if (json_string_value(json_object_get(c, "replaces")) != NULL)
            fprintf(f, _("  replaces     %s\n"), str(c, "replaces"));
        if (strcmp(str(c, "status"), "withdrawn") == 0)
            fprintf(f, _("  withdrawn:   %s\n"), str(c, "reason"));
        fprintf(f, _("  issued       %s (calibrated %s), signed by %s\n"), str(c, "issued"),
                str(c, "calibrated"), str(c, "signatory"));
        fprintf(f, _("  customer     %s\n"), str(c, "customer"));
        fprintf(f, _("  item         %s %s %s, serial %s\n"), str(c, "type"),
                str(c, "manufacturer"), str(c, "model"), str(c, "serial"));
        fprintf(f, _("  procedure    %s, verdict %s, valid until %s\n"), str(c, "procedure"),
                str(c, "verdict"), str(c, "valid_until"));
        fprintf(f, _("  run          %s (%s)\n"), str(c, "run_id"), str(c, "run_path"));
        fprintf(f, _("  files in     %s\n"), str(c, "folder"));
        json_array_foreach(json_object_get(c, "files"), i, o)
            fprintf(f, "    %-32s sha256 %s\n", str(o, "name"), str(o, "sha256"));
        print_events(f, json_object_get(c, "events"));
        return;
    }
    const json_t *run = json_object_get(r, "run");
    fprintf(f, _("run %s: %s, verdict %s\n"), str(run, "run_id"), str(run, "status"),
            str(run, "verdict"));
    fprintf(f, _("  file         %s\n  sha256       %s\n"), str(run, "path"), str(run, "sha256"));
    fprintf(f, _("  started      %s, ended %s, operator %s, lab %s\n"), str(run, "started"),
            str(run, "ended"), str(run, "operator"), str(run, "lab"));
    fprintf(f, _("  procedure    %s\n  item         %s %s %s, serial %s\n"), str(run, "procedure"),
            str(run, "type"), str(run, "manufacturer"), str(run, "model"), str(run, "serial"));
    json_array_foreach(json_object_get(run, "standards"), i, o)
        fprintf(f, _("  standard     %s (certificate %s, due %s)\n"), str(o, "id"),
                str(o, "certificate"), str(o, "due"));
    json_array_foreach(json_object_get(run, "certificates"), i, o)
        fprintf(f, _("  certificate  %s (%s, issued %s)\n"), str(o, "number"), str(o, "status"),
                str(o, "issued"));
    print_events(f, json_object_get(run, "events"));
}

void rec_print_due(FILE *f, const json_t *r)
{
    const json_t *items = json_object_get(r, "items"), *stds = json_object_get(r, "standards");
    static const struct column item_columns[] = {
        {N_("state"), "state", 12, COL_STATE, NULL},
        {N_("until"), "valid_until", 10, COL_TEXT, NULL},
        {N_("customer"), "customer", 24, COL_TEXT, NULL},
        {N_("item"), "manufacturer", 24, COL_JOINED, "model"},
        {N_("serial"), "serial", 16, COL_TEXT, NULL},
        {N_("certificate"), "certificate", 0, COL_NOTED, "kind"},
    };
    static const struct column standard_columns[] = {
        {N_("state"), "state", 12, COL_STATE, NULL},
        {N_("due"), "due", 10, COL_TEXT, NULL},
        {N_("standard"), "id", 20, COL_TEXT, NULL},
        {N_("certificate"), "certificate", 24, COL_TEXT, NULL},
        {N_("description"), "description", 0, COL_TEXT, NULL},
    };
    fprintf(f, _("due by %s (today %s)\n"), str(r, "until"), str(r, "today"));
    fprintf(f, _("customer items: %zu\n"), json_array_size(items));
    print_table(f, items, item_columns, sizeof item_columns / sizeof item_columns[0]);
    fprintf(f, _("the lab's standards: %zu\n"), json_array_size(stds));
    print_table(f, stds, standard_columns, sizeof standard_columns / sizeof standard_columns[0]);
}
