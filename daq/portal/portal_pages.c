/* The portal's pages, server-rendered HTML: search, a run, a certificate
 * and its files, the due list, the lab's standards, the public
 * verification and the check of a file sent to it. Every value from the
 * records or a run is escaped (buf_h); every path to a file comes from the
 * records, never from the request (a name from the request is only
 * compared with the names the records list). */
#define _GNU_SOURCE   /* O_NOFOLLOW, O_CLOEXEC */
#include "portal_int.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <microhttpd.h>

static const char *js(const json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s != NULL ? s : "";
}

/* A status word of the records in the request's language. */
static const char *status_text(const struct req *r, const char *s)
{
    static const char *const words[][2] = {
        {"valid", N_("valid")},         {"amended", N_("amended")},
        {"withdrawn", N_("withdrawn")}, {"issuing", N_("being issued")},
        {"complete", N_("complete")},   {"aborted", N_("aborted")},
        {"in-progress", N_("in progress")}, {"overdue", N_("overdue")},
        {"due", N_("due")},
    };
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (strcmp(s, words[i][0]) == 0)
            return tr(r, words[i][1]);
    return s;
}

static void status_span(const struct req *r, struct buf *b, const char *s)
{
    buf_s(b, "<span class=\"status ");
    buf_h(b, s);
    buf_s(b, "\">");
    buf_h(b, status_text(r, s));
    buf_s(b, "</span>");
}

static void th(struct buf *b, const char *const *cols, size_t n)
{
    buf_s(b, "<table>\n<tr>");
    for (size_t i = 0; i < n; i++) {
        buf_s(b, "<th>");
        buf_h(b, cols[i]);
        buf_s(b, "</th>");
    }
    buf_s(b, "</tr>\n");
}

static void td(struct buf *b, const char *s)
{
    buf_s(b, "<td>");
    buf_h(b, s);
    buf_s(b, "</td>");
}

/* Cells of the values of `keys` in `o`, in that order. */
static void td_keys(struct buf *b, const json_t *o, const char *const *keys, size_t n)
{
    for (size_t k = 0; k < n; k++)
        td(b, js(o, keys[k]));
}

static void td_link(struct buf *b, const char *prefix, const char *key, const char *lang)
{
    buf_s(b, "<td><a href=\"");
    buf_s(b, prefix);
    buf_u(b, key);
    buf_f(b, "?lang=%s\">", lang);
    buf_h(b, key);
    buf_s(b, "</a></td>");
}

/* "Mettler Toledo XS205 (SN 1234)" */
static void item_text(struct buf *b, const json_t *o)
{
    struct buf t = {0};
    const char *parts[] = {js(o, "type"), js(o, "manufacturer"), js(o, "model")};
    for (size_t i = 0; i < 3; i++)
        if (parts[i][0] != '\0') {
            if (t.n)
                buf_s(&t, " ");
            buf_s(&t, parts[i]);
        }
    if (js(o, "serial")[0] != '\0') {
        bool alone = t.n == 0;
        buf_s(&t, alone ? "SN " : " (SN ");
        buf_s(&t, js(o, "serial"));
        if (!alone)
            buf_s(&t, ")");
    }
    buf_h(b, t.p ? t.p : "");
    buf_free(&t);
}

static void kv(struct buf *b, const char *label, const char *value)
{
    buf_s(b, "<tr><th>");
    buf_h(b, label);
    buf_s(b, "</th><td>");
    buf_h(b, value);
    buf_s(b, "</td></tr>\n");
}

static void begin(const struct req *r, struct reply *rep, unsigned status, const char *title)
{
    rep->status = status;
    page_begin(r, &rep->body, title);
}

void page_error(const struct req *r, unsigned status, const char *what, struct reply *rep)
{
    buf_free(&rep->body);
    char title[64];
    snprintf(title, sizeof title, "%s %u", tr(r, N_("Error")), status);
    begin(r, rep, status, title);
    buf_s(&rep->body, "<p>");
    buf_h(&rep->body, what);
    buf_s(&rep->body, "</p>\n");
    page_end(r, &rep->body);
}

/* A records failure: said without the engine's words (which may name the
 * database), logged nowhere else. */
static void records_failed(const struct req *r, struct reply *rep)
{
    page_error(r, MHD_HTTP_SERVICE_UNAVAILABLE,
               tr(r, N_("The records cannot be read just now; try again.")), rep);
}

/* ---------------------------------------------------------------- index, search */

static void search_form(const struct req *r, struct buf *b, const char *q)
{
    buf_f(b, "<form method=\"get\" action=\"/search\">\n<input type=\"hidden\" name=\"lang\" "
             "value=\"%s\">\n<label>%s <input type=\"search\" name=\"q\" maxlength=\"%d\" "
             "value=\"",
          r->lang, tr(r, N_("Certificate, run, item or customer:")), PORTAL_QUERY_MAX);
    buf_h(b, q);
    buf_f(b, "\"></label>\n<label>%s <input type=\"date\" name=\"from\"></label>\n"
             "<label>%s <input type=\"date\" name=\"to\"></label>\n"
             "<button type=\"submit\">%s</button>\n</form>\n",
          tr(r, N_("from")), tr(r, N_("to")), tr(r, N_("Search")));
}

void page_index(const struct req *r, struct reply *rep)
{
    begin(r, rep, MHD_HTTP_OK, tr(r, N_("The lab's records")));
    search_form(r, &rep->body, "");
    buf_f(&rep->body,
          "<ul>\n<li><a href=\"/due?lang=%s\">%s</a></li>\n<li><a href=\"/standards?lang=%s\">"
          "%s</a></li>\n<li><a href=\"/verify?lang=%s\">%s</a></li>\n</ul>\n",
          r->lang, tr(r, N_("What falls due in the next 30 days")), r->lang,
          tr(r, N_("The lab's main measurement standards")), r->lang,
          tr(r, N_("Verify a certificate")));
    page_end(r, &rep->body);
}

void page_search(const struct req *r, const char *text, const char *from, const char *to,
                 struct reply *rep)
{
    struct rec_search q = {.text = text, .from = from, .to = to, .limit = 100};
    json_t *res = NULL;
    struct cd_err err = {0};
    rec_db *db = portal_db_take(r->p);
    int rc = rec_search(db, &q, &res, &err);
    portal_db_give(r->p, db);
    if (rc != 0) {
        records_failed(r, rep);
        return;
    }
    struct buf *b = &rep->body;
    begin(r, rep, MHD_HTTP_OK, tr(r, N_("Search")));
    search_form(r, b, text);
    const json_t *certs = json_object_get(res, "certificates"),
                 *runs = json_object_get(res, "runs");
    buf_f(b, "<h2>%s (%zu)</h2>\n", tr(r, N_("Certificates")), json_array_size(certs));
    const char *ccols[] = {tr(r, N_("Number")),   tr(r, N_("Status")),    tr(r, N_("Issued")),
                           tr(r, N_("Customer")), tr(r, N_("Item")),      tr(r, N_("Procedure")),
                           tr(r, N_("Verdict"))};
    th(b, ccols, 7);
    size_t i;
    json_t *o;
    /* the items and customers found, once each */
    json_t *items = json_object();
    json_array_foreach(certs, i, o) {
        buf_s(b, "<tr>");
        td_link(b, "/cert/", js(o, "number"), r->lang);
        buf_s(b, "<td>");
        status_span(r, b, js(o, "status"));
        buf_s(b, "</td>");
        td(b, js(o, "issued"));
        td(b, js(o, "customer"));
        buf_s(b, "<td>");
        item_text(b, o);
        buf_s(b, "</td>");
        td(b, js(o, "procedure"));
        td(b, js(o, "verdict"));
        buf_s(b, "</tr>\n");
    }
    buf_s(b, "</table>\n");
    buf_f(b, "<h2>%s (%zu)</h2>\n", tr(r, N_("Runs")), json_array_size(runs));
    const char *rcols[] = {tr(r, N_("Run")),  tr(r, N_("Started")), tr(r, N_("Procedure")),
                           tr(r, N_("Item")), tr(r, N_("Status")),  tr(r, N_("Verdict"))};
    th(b, rcols, 6);
    json_array_foreach(runs, i, o) {
        buf_s(b, "<tr>");
        td_link(b, "/run/", js(o, "run_id"), r->lang);
        td(b, js(o, "started"));
        td(b, js(o, "procedure"));
        buf_s(b, "<td>");
        item_text(b, o);
        buf_s(b, "</td><td>");
        status_span(r, b, js(o, "status"));
        buf_s(b, "</td>");
        td(b, js(o, "verdict"));
        buf_s(b, "</tr>\n");
    }
    buf_s(b, "</table>\n");
    /* items and customers: one row each, from the certificates and runs found */
    for (int pass = 0; pass < 2; pass++)
        json_array_foreach(pass == 0 ? certs : runs, i, o) {
            char key[512];
            snprintf(key, sizeof key, "%s|%s|%s|%s", js(o, "manufacturer"), js(o, "model"),
                     js(o, "serial"), js(o, "customer"));
            if (js(o, "model")[0] != '\0' && json_object_get(items, key) == NULL)
                json_object_set(items, key, o);
        }
    buf_f(b, "<h2>%s (%zu)</h2>\n", tr(r, N_("Items and customers")), json_object_size(items));
    const char *icols[] = {tr(r, N_("Item")), tr(r, N_("Customer"))};
    th(b, icols, 2);
    const char *key;
    json_object_foreach(items, key, o) {
        buf_s(b, "<tr><td>");
        item_text(b, o);
        buf_s(b, "</td>");
        td(b, js(o, "customer"));
        buf_s(b, "</tr>\n");
    }
    buf_s(b, "</table>\n");
    if (json_is_true(json_object_get(res, "truncated")))
        buf_f(b, "<p>%s</p>\n", tr(r, N_("More were found than are shown: narrow the search.")));
    json_decref(items);
    json_decref(res);
    page_end(r, b);
}

/* ---------------------------------------------------------------- a run */

static void num_td(struct buf *b, double v)
{
    char s[40] = "";
    if (isfinite(v))
        daq_format_double(s, sizeof s, v);
    buf_s(b, "<td class=\"num\">");
    buf_h(b, s);
    buf_s(b, "</td>");
}

/* A reported figure: rounded to `dec` decimals as the certificate rounds
 * it (GUM 7.2.6, cert_fmt). */
static void fig_td(struct buf *b, double v, int dec)
{
    char s[64] = "";
    cert_fmt(v, dec, s, sizeof s);
    buf_s(b, "<td class=\"num\">");
    buf_h(b, s);
    buf_s(b, "</td>");
}

static void time_td(struct buf *b, double t)
{
    char s[40] = "";
    time_t tt = (time_t)t;
    struct tm tm;
    if (gmtime_r(&tt, &tm) != NULL)
        strftime(s, sizeof s, "%Y-%m-%dT%H:%M:%SZ", &tm);
    td(b, s);
}

#define READINGS_SHOWN 500

static void run_view(const struct req *r, const struct daq_run_view *v, struct buf *b)
{
    /* conditions */
    buf_f(b, "<h2>%s</h2>\n", tr(r, N_("Conditions")));
    const char *ecols[] = {tr(r, N_("When")), tr(r, N_("Time (UTC)")),
                           tr(r, N_("Temperature (°C)")), tr(r, N_("Relative humidity (%)")),
                           tr(r, N_("Pressure (hPa)"))};
    th(b, ecols, 5);
    for (size_t i = 0; i < v->n_env; i++) {
        buf_s(b, "<tr>");
        td(b, v->env[i].where);
        time_td(b, v->env[i].t);
        num_td(b, v->env[i].temp_c);
        num_td(b, v->env[i].rh_pct);
        num_td(b, v->env[i].p_hpa);
        buf_s(b, "</tr>\n");
    }
    buf_s(b, "</table>\n");
    const char *scols[] = {tr(r, N_("Standard")), tr(r, N_("Certificate")), tr(r, N_("Value")),
                           tr(r, N_("u")),        tr(r, N_("Unit")),        tr(r, N_("Due"))};
    buf_f(b, "<h3>%s</h3>\n", tr(r, N_("Reference standards used")));
    th(b, scols, 6);
    for (size_t i = 0; i < v->n_standards; i++) {
        const struct daq_standard *s = &v->standards[i];
        buf_s(b, "<tr>");
        td(b, s->id);
        td(b, s->certificate);
        num_td(b, s->value);
        num_td(b, s->u);
        td(b, s->unit);
        td(b, s->due_date);
        buf_s(b, "</tr>\n");
    }
    buf_s(b, "</table>\n");
    /* results: the latest version's points and the chart */
    json_t *res = v->n_results > 0 ? json_loads(v->results[v->n_results - 1], 0, NULL) : NULL;
    buf_f(b, "<h2>%s</h2>\n", tr(r, N_("Results")));
    if (res == NULL) {
        buf_f(b, "<p>%s</p>\n", tr(r, N_("The run has no results stored (caldaq analyze --write).")));
    } else {
        portal_svg_chart(r, res, b);
        const char *pcols[] = {tr(r, N_("Nominal")), tr(r, N_("Measurement error")), tr(r, N_("U")),
                               tr(r, N_("k")),       tr(r, N_("MPE")),   tr(r, N_("Verdict"))};
        th(b, pcols, 6);
        size_t i;
        json_t *pt;
        json_array_foreach(json_object_get(res, "points"), i, pt) {
            buf_s(b, "<tr>");
            num_td(b, json_number_value(json_object_get(pt, "nominal")));
            bool m = json_is_true(json_object_get(pt, "measured"));
            double U = m ? json_number_value(json_object_get(pt, "U")) : NAN;
            int dec = cert_decimals(U);
            fig_td(b, m ? json_number_value(json_object_get(pt, "error")) : NAN, dec);
            fig_td(b, U, dec);
            fig_td(b, m ? json_number_value(json_object_get(pt, "k")) : NAN, 2);
            num_td(b, json_number_value(json_object_get(pt, "mpe")));
            td(b, js(pt, "verdict"));
            buf_s(b, "</tr>\n");
        }
        buf_s(b, "</table>\n");
        json_decref(res);
    }
    /* readings */
    buf_f(b, "<h2>%s (%zu)</h2>\n", tr(r, N_("Readings")), v->n_readings);
    const char *rcols[] = {tr(r, N_("Time (UTC)")), tr(r, N_("Point")), tr(r, N_("Repetition")),
                           tr(r, N_("Nominal")),    tr(r, N_("Role")),  tr(r, N_("Value")),
                           tr(r, N_("Unit")),       tr(r, N_("Side"))};
    th(b, rcols, 8);
    for (size_t i = 0; i < v->n_readings && i < READINGS_SHOWN; i++) {
        const struct daq_reading *rd = &v->readings[i];
        buf_s(b, "<tr>");
        time_td(b, rd->t);
        buf_f(b, "<td class=\"num\">%d</td><td class=\"num\">%d</td>", (int)rd->point,
              (int)rd->repetition);
        num_td(b, rd->nominal);
        td(b, rd->role);
        num_td(b, rd->r.value);
        td(b, rd->r.unit);
        td(b, rd->side[0] ? rd->side : DAQ_SIDE_ITEM);
        buf_s(b, "</tr>\n");
    }
    buf_s(b, "</table>\n");
    if (v->n_readings > READINGS_SHOWN)
        buf_f(b, "<p>%s</p>\n", tr(r, N_("Only the first 500 readings are shown; caldaq export "
                                          "gives them all.")));
    /* the audit trail */
    buf_f(b, "<h2>%s</h2>\n", tr(r, N_("Audit trail")));
    const char *acols[] = {"#", tr(r, N_("Time (UTC)")), tr(r, N_("Who")), tr(r, N_("What"))};
    th(b, acols, 4);
    for (size_t i = 0; i < v->n_audit; i++) {
        buf_f(b, "<tr><td class=\"num\">%lld</td>", (long long)v->audit[i].seq);
        time_td(b, v->audit[i].t);
        td(b, v->audit[i].who);
        td(b, v->audit[i].what);
        buf_s(b, "</tr>\n");
    }
    buf_s(b, "</table>\n");
}

void page_run(const struct req *r, const char *run_id, struct reply *rep)
{
    json_t *res = NULL;
    struct cd_err err = {0};
    rec_db *db = portal_db_take(r->p);
    int rc = rec_show(db, run_id, &res, &err);
    portal_db_give(r->p, db);
    const json_t *run = json_object_get(res, "run");
    if (rc == CD_ERR_NOT_FOUND || (rc == 0 && run == NULL)) {
        json_decref(res);
        page_error(r, MHD_HTTP_NOT_FOUND, tr(r, N_("The records hold no such run.")), rep);
        return;
    }
    if (rc != 0) {
        records_failed(r, rep);
        return;
    }
    struct buf *b = &rep->body;
    char title[96];
    snprintf(title, sizeof title, "%s %s", tr(r, N_("Run")), run_id);
    begin(r, rep, MHD_HTTP_OK, title);
    buf_f(b, "<h2>%s</h2>\n<table>\n", tr(r, N_("Summary")));
    kv(b, tr(r, N_("Procedure")), js(run, "procedure"));
    buf_f(b, "<tr><th>%s</th><td>", tr(r, N_("Item")));
    item_text(b, run);
    buf_s(b, "</td></tr>\n");
    kv(b, tr(r, N_("Started")), js(run, "started"));
    kv(b, tr(r, N_("Ended")), js(run, "ended"));
    kv(b, tr(r, N_("Operator")), js(run, "operator"));
    buf_f(b, "<tr><th>%s</th><td>", tr(r, N_("Status")));
    status_span(r, b, js(run, "status"));
    buf_s(b, "</td></tr>\n");
    kv(b, tr(r, N_("Verdict")), js(run, "verdict"));
    buf_f(b, "<tr><th>%s</th><td class=\"hash\">", tr(r, N_("SHA-256 recorded")));
    buf_h(b, js(run, "sha256"));
    buf_s(b, "</td></tr>\n</table>\n");
    size_t i;
    json_t *o;
    const json_t *certs = json_object_get(run, "certificates");
    if (json_array_size(certs) > 0) {
        buf_f(b, "<h3>%s</h3>\n", tr(r, N_("Certificates")));
        const char *ccols[] = {tr(r, N_("Number")), tr(r, N_("Status")), tr(r, N_("Issued"))};
        th(b, ccols, 3);
        json_array_foreach(certs, i, o) {
            buf_s(b, "<tr>");
            td_link(b, "/cert/", js(o, "number"), r->lang);
            buf_s(b, "<td>");
            status_span(r, b, js(o, "status"));
            buf_s(b, "</td>");
            td(b, js(o, "issued"));
            buf_s(b, "</tr>\n");
        }
        buf_s(b, "</table>\n");
    }
    /* the run file, as the records name it: its hash now, its own check
     * (content hashes, audit chain), and what it holds; read in the
     * store's guarded child, one request at a time */
    const char *path = js(run, "path");
    struct portal *p = r->p;
    pthread_mutex_lock(&p->run_lock);
    char now[65] = "";
    struct cd_err herr = {0};
    bool hashed = path[0] != '\0' && cert_sha256_file(path, now, &herr) == 0;
    struct daq_run_finding *f = NULL;
    size_t nf = 0;
    struct cd_err cerr = {0};
    int crc = hashed ? daq_run_check_guarded(path, 0, &f, &nf, &cerr) : -1;
    struct daq_run_view *v = NULL;
    struct cd_err verr = {0};
    int vrc = hashed && p->reader != NULL ? daq_run_reader_open(p->reader, path, &v, &verr) : -1;
    pthread_mutex_unlock(&p->run_lock);
    buf_f(b, "<h2>%s</h2>\n<ul>\n", tr(r, N_("Verify status")));
    if (!hashed) {
        buf_f(b, "<li class=\"bad\">%s</li>\n",
              tr(r, N_("The run file cannot be read where the records say it is.")));
    } else {
        bool same = strcmp(now, js(run, "sha256")) == 0;
        buf_f(b, "<li class=\"%s\">%s</li>\n", same ? "genuine" : "bad",
              same ? tr(r, N_("The run file is the one recorded (same SHA-256)."))
                   : tr(r, N_("The run file has changed since it was recorded.")));
        if (crc == 0) {
            buf_f(b, "<li class=\"genuine\">%s</li>\n",
                  tr(r, N_("Its content hashes and audit chain check.")));
        } else {
            buf_f(b, "<li class=\"bad\">%s", tr(r, N_("Its own check finds:")));
            for (size_t k = 0; k < nf; k++) {
                buf_s(b, " ");
                buf_h(b, f[k].object);
                buf_s(b, ": ");
                buf_h(b, f[k].text);
                buf_s(b, ";");
            }
            if (nf == 0) {
                buf_s(b, " ");
                buf_h(b, cerr.msg);
            }
            buf_s(b, "</li>\n");
        }
    }
    buf_s(b, "</ul>\n");
    free(f);
    if (vrc == 0)
        run_view(r, v, b);
    else if (hashed)
        buf_f(b, "<p class=\"bad\">%s</p>\n", tr(r, N_("The run file cannot be read.")));
    daq_run_view_free(v);
    json_decref(res);
    page_end(r, b);
}

/* ---------------------------------------------------------------- a certificate */

/* The certificate `number` from the records; NULL with the error page
 * written when there is none. */
static json_t *cert_of(const struct req *r, const char *number, struct reply *rep,
                       json_t **holder)
{
    struct cd_err err = {0};
    rec_db *db = portal_db_take(r->p);
    int rc = rec_show(db, number, holder, &err);
    portal_db_give(r->p, db);
    json_t *c = json_object_get(*holder, "certificate");
    if (rc == CD_ERR_NOT_FOUND || (rc == 0 && c == NULL)) {
        char msg[256];
        snprintf(msg, sizeof msg, tr(r, N_("No certificate %s was issued by this lab.")), number);
        page_error(r, MHD_HTTP_NOT_FOUND, msg, rep);
        return NULL;
    }
    if (rc != 0) {
        records_failed(r, rep);
        return NULL;
    }
    return c;
}

static void cert_dates(const struct req *r, struct buf *b, const json_t *c)
{
    kv(b, tr(r, N_("Issued")), js(c, "issued"));
    kv(b, tr(r, N_("Calibrated")), js(c, "calibrated"));
    kv(b, tr(r, N_("Valid until")), js(c, "valid_until")[0] ? js(c, "valid_until")
                                                             : tr(r, N_("not stated")));
}

/* valid; amended, and by which; withdrawn, and why */
static void cert_state(const struct req *r, struct buf *b, const json_t *c, const char *link)
{
    const char *st = js(c, "status");
    buf_f(b, "<p>%s ", tr(r, N_("Status:")));
    status_span(r, b, st);
    if (strcmp(st, "amended") == 0 && js(c, "replaced_by")[0] != '\0') {
        buf_f(b, " — %s <a class=\"replacement\" href=\"%s", tr(r, N_("replaced by")), link);
        buf_u(b, js(c, "replaced_by"));
        buf_f(b, "?lang=%s\">", r->lang);
        buf_h(b, js(c, "replaced_by"));
        buf_s(b, "</a>");
    }
    if (strcmp(st, "withdrawn") == 0 && js(c, "reason")[0] != '\0') {
        buf_f(b, " — %s ", tr(r, N_("reason:")));
        buf_h(b, js(c, "reason"));
    }
    buf_s(b, "</p>\n");
    if (js(c, "replaces")[0] != '\0') {
        buf_f(b, "<p>%s <a href=\"%s", tr(r, N_("This certificate replaces")), link);
        buf_u(b, js(c, "replaces"));
        buf_f(b, "?lang=%s\">", r->lang);
        buf_h(b, js(c, "replaces"));
        buf_s(b, "</a>");
        if (js(c, "reason")[0] != '\0') {
            buf_f(b, " (%s ", tr(r, N_("reason:")));
            buf_h(b, js(c, "reason"));
            buf_s(b, ")");
        }
        buf_s(b, "</p>\n");
    }
}

void page_cert(const struct req *r, const char *number, struct reply *rep)
{
    json_t *holder = NULL;
    json_t *c = cert_of(r, number, rep, &holder);
    if (c == NULL) {
        json_decref(holder);
        return;
    }
    struct buf *b = &rep->body;
    char title[128];
    snprintf(title, sizeof title, "%s %s", tr(r, N_("Certificate")), number);
    begin(r, rep, MHD_HTTP_OK, title);
    cert_state(r, b, c, "/cert/");
    buf_s(b, "<table>\n");
    kv(b, tr(r, N_("Kind")), js(c, "kind"));
    kv(b, tr(r, N_("Customer")), js(c, "customer"));
    buf_f(b, "<tr><th>%s</th><td>", tr(r, N_("Item")));
    item_text(b, c);
    buf_s(b, "</td></tr>\n");
    kv(b, tr(r, N_("Procedure")), js(c, "procedure"));
    kv(b, tr(r, N_("Verdict")), js(c, "verdict"));
    cert_dates(r, b, c);
    kv(b, tr(r, N_("Signatory")), js(c, "signatory"));
    buf_f(b, "<tr><th>%s</th>", tr(r, N_("Run")));
    td_link(b, "/run/", js(c, "run_id"), r->lang);
    buf_s(b, "</tr>\n</table>\n");
    buf_f(b, "<p><a href=\"/verify/");
    buf_u(b, number);
    buf_f(b, "?lang=%s\">%s</a></p>\n", r->lang, tr(r, N_("Public verification page")));
    buf_f(b, "<h2>%s</h2>\n", tr(r, N_("Files")));
    const char *fcols[] = {tr(r, N_("File")), "SHA-256"};
    th(b, fcols, 2);
    size_t i;
    json_t *o;
    json_array_foreach(json_object_get(c, "files"), i, o) {
        buf_s(b, "<tr><td><a href=\"/cert/");
        buf_u(b, number);
        buf_s(b, "/");
        buf_u(b, js(o, "name"));
        buf_s(b, "\">");
        buf_h(b, js(o, "name"));
        buf_s(b, "</a></td><td class=\"hash\">");
        buf_h(b, js(o, "sha256"));
        buf_s(b, "</td></tr>\n");
    }
    buf_s(b, "</table>\n");
    buf_f(b, "<h2>%s</h2>\n", tr(r, N_("Events")));
    const char *ecols[] = {tr(r, N_("Time")), tr(r, N_("Who")), tr(r, N_("What")),
                           tr(r, N_("Detail"))};
    th(b, ecols, 4);
    json_array_foreach(json_object_get(c, "events"), i, o) {
        buf_s(b, "<tr>");
        td_keys(b, o, (const char *const[]){"at", "who", "kind", "detail"}, 4);
        buf_s(b, "</tr>\n");
    }
    buf_s(b, "</table>\n");
    json_decref(holder);
    page_end(r, b);
}

void page_cert_file(const struct req *r, const char *number, const char *name,
                    struct reply *rep)
{
    if (!portal_file_name_ok(name)) {
        page_error(r, MHD_HTTP_BAD_REQUEST, tr(r, N_("That is not a file of a certificate.")), rep);
        return;
    }
    json_t *holder = NULL;
    json_t *c = cert_of(r, number, rep, &holder);
    if (c == NULL) {
        json_decref(holder);
        return;
    }
    /* the name must be one the records list for this certificate, or the
     * signature beside one */
    bool listed = false;
    size_t i, n = strlen(name);
    json_t *o;
    json_array_foreach(json_object_get(c, "files"), i, o) {
        const char *f = js(o, "name");
        size_t fn = strlen(f);
        if (strcmp(f, name) == 0 ||
            (n == fn + 4 && strncmp(name, f, fn) == 0 && strcmp(name + fn, ".sig") == 0))
            listed = true;
    }
    const char *folder = js(c, "folder");
    char path[4400];
    int fd = -1;
    struct stat st;
    if (listed && folder[0] != '\0' &&
        (size_t)snprintf(path, sizeof path, "%s/%s", folder, name) < sizeof path)
        fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd >= 0 && (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))) {
        close(fd);
        fd = -1;
    }
    json_decref(holder);
    if (fd < 0) {
        page_error(r, MHD_HTTP_NOT_FOUND,
                   listed ? tr(r, N_("The file is not where the records say it is."))
                          : tr(r, N_("That is not a file of this certificate.")),
                   rep);
        return;
    }
    const char *dot = strrchr(name, '.');
    rep->status = MHD_HTTP_OK;
    rep->type = strcmp(dot, ".pdf") == 0    ? "application/pdf"
                : strcmp(dot, ".xml") == 0  ? "application/xml"
                : strcmp(dot, ".json") == 0 ? "application/json"
                                            : "text/plain; charset=utf-8";
    rep->fd = fd;
    rep->fd_size = (size_t)st.st_size;
    snprintf(rep->disposition, sizeof rep->disposition, "attachment; filename=\"%s\"", name);
}

/* ---------------------------------------------------------------- due, standards */

void page_due(const struct req *r, const char *within, struct reply *rep)
{
    int days = 30;
    struct cd_err err = {0};
    if (within != NULL && within[0] != '\0' && rec_period_parse(within, "within", &days, &err) != 0) {
        page_error(r, MHD_HTTP_BAD_REQUEST,
                   tr(r, N_("That is not a period (30d, 6w, 30; at most 100 years).")), rep);
        return;
    }
    char today[11];
    struct cd_zone *zone = NULL;
    if (cd_zone_load(r->p->zone, &zone, &err) != 0 || cd_zone_today(zone, today) != 0) {
        cd_zone_free(zone);
        page_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, tr(r, N_("Today's date is not known.")),
                   rep);
        return;
    }
    cd_zone_free(zone);
    json_t *res = NULL;
    rec_db *db = portal_db_take(r->p);
    int rc = rec_due(db, today, days, &res, &err);
    portal_db_give(r->p, db);
    if (rc != 0) {
        records_failed(r, rep);
        return;
    }
    struct buf *b = &rep->body;
    begin(r, rep, MHD_HTTP_OK, tr(r, N_("Due list")));
    buf_f(b, "<p>%s %s — %s</p>\n", tr(r, N_("From today to")), js(res, "until"), today);
    buf_f(b, "<form method=\"get\" action=\"/due\"><input type=\"hidden\" name=\"lang\" "
             "value=\"%s\"><label>%s <input name=\"within\" maxlength=\"16\" value=\"%dd\">"
             "</label> <button type=\"submit\">%s</button></form>\n",
          r->lang, tr(r, N_("Within")), days, tr(r, N_("Show")));
    buf_f(b, "<h2>%s</h2>\n", tr(r, N_("Customers' items")));
    const char *icols[] = {tr(r, N_("Valid until")), tr(r, N_("State")), tr(r, N_("Certificate")),
                           tr(r, N_("Customer")),    tr(r, N_("Item"))};
    th(b, icols, 5);
    size_t i;
    json_t *o;
    json_array_foreach(json_object_get(res, "items"), i, o) {
        buf_s(b, "<tr>");
        td(b, js(o, "valid_until"));
        buf_s(b, "<td>");
        status_span(r, b, js(o, "state"));
        buf_s(b, "</td>");
        td_link(b, "/cert/", js(o, "certificate"), r->lang);
        td(b, js(o, "customer"));
        buf_s(b, "<td>");
        item_text(b, o);
        buf_s(b, "</td></tr>\n");
    }
    buf_s(b, "</table>\n");
    buf_f(b, "<h2>%s</h2>\n", tr(r, N_("The lab's standards")));
    const char *scols[] = {tr(r, N_("Due")), tr(r, N_("State")), tr(r, N_("Standard")),
                           tr(r, N_("Description")), tr(r, N_("Certificate"))};
    th(b, scols, 5);
    json_array_foreach(json_object_get(res, "standards"), i, o) {
        buf_s(b, "<tr>");
        td(b, js(o, "due"));
        buf_s(b, "<td>");
        status_span(r, b, js(o, "state"));
        buf_s(b, "</td>");
        td_keys(b, o, (const char *const[]){"id", "description", "certificate"}, 3);
        buf_s(b, "</tr>\n");
    }
    buf_s(b, "</table>\n");
    json_decref(res);
    page_end(r, b);
}

void page_standards(const struct req *r, struct reply *rep)
{
    json_t *res = NULL;
    struct cd_err err = {0};
    rec_db *db = portal_db_take(r->p);
    int rc = rec_standards(db, &res, &err);
    portal_db_give(r->p, db);
    if (rc != 0) {
        records_failed(r, rep);
        return;
    }
    struct buf *b = &rep->body;
    begin(r, rep, MHD_HTTP_OK, tr(r, N_("The lab's main measurement standards")));
    const char *cols[] = {tr(r, N_("Standard")),    tr(r, N_("Kind")),
                          tr(r, N_("Description")), tr(r, N_("Class")),
                          tr(r, N_("Certificate")), tr(r, N_("Calibrated by")),
                          tr(r, N_("Calibrated")),  tr(r, N_("Due"))};
    th(b, cols, 8);
    size_t i;
    json_t *o;
    json_array_foreach(res, i, o) {
        buf_s(b, "<tr>");
        const char *keys[] = {"id", "kind", "description", "class", "certificate", "issued_by",
                              "calibrated", "due"};
        for (size_t k = 0; k < 8; k++)
            td(b, js(o, keys[k]));
        buf_s(b, "</tr>\n");
    }
    buf_s(b, "</table>\n");
    json_decref(res);
    page_end(r, b);
}

/* ---------------------------------------------------------------- verification */

static void verify_form(const struct req *r, struct buf *b, const char *number)
{
    buf_f(b, "<h2>%s</h2>\n<p>%s</p>\n<form method=\"post\" enctype=\"multipart/form-data\" "
             "action=\"/verify/",
          tr(r, N_("Check a file you hold")),
          tr(r, N_("Send the PDF, XML or JSON of this certificate: the page says whether it is "
                   "byte for byte the file issued and whether its signature checks.")));
    buf_u(b, number);
    buf_f(b, "?lang=%s\">\n<input type=\"file\" name=\"file\" accept=\".pdf,.xml,.json\" "
             "required>\n<button type=\"submit\">%s</button>\n</form>\n",
          r->lang, tr(r, N_("Check the file")));
}

/* The check of a file sent: which file, the signature, and one verdict
 * line ("issued, genuine, amended"). */
static void verify_result(const struct req *r, struct buf *b, const json_t *c,
                          const void *data, size_t len)
{
    json_t *files = json_object();
    size_t i;
    json_t *o;
    json_array_foreach(json_object_get(c, "files"), i, o)
        json_object_set_new(files, js(o, "name"), json_string(js(o, "sha256")));
    struct cert_upload_check u;
    struct cd_err err = {0};
    const char *pub = r->p->pub_path[0] ? r->p->pub_path : NULL;
    int rc = cert_check_upload(js(c, "folder"), files, data, len, pub, &u, &err);
    json_decref(files);
    buf_f(b, "<section class=\"result\">\n<h2>%s</h2>\n<ul>\n", tr(r, N_("The file sent")));
    if (rc != 0) {
        buf_f(b, "<li class=\"bad\">%s</li>\n</ul>\n</section>\n",
              tr(r, N_("The file could not be checked here.")));
        return;
    }
    buf_f(b, "<li>SHA-256 <span class=\"hash\">%s</span> (%zu %s)</li>\n", u.sha256, len,
          tr(r, N_("bytes")));
    if (u.issued) {
        buf_f(b, "<li class=\"genuine\">%s ", tr(r, N_("It is byte for byte the issued file")));
        buf_h(b, u.name);
        buf_s(b, ".</li>\n");
    } else {
        buf_f(b, "<li class=\"bad\">%s</li>\n",
              tr(r, N_("It is not the issued file: no file of this certificate has that "
                       "SHA-256.")));
    }
    if (u.signature_ok && u.trusted)
        buf_f(b, "<li class=\"genuine\">%s</li>\n",
              tr(r, N_("Its signature checks with the lab's key.")));
    else if (u.signature_ok && pub != NULL)
        buf_f(b, "<li class=\"bad\">%s</li>\n",
              tr(r, N_("Its signature checks, but it was not made with the lab's key.")));
    else if (u.signature_ok)
        buf_f(b, "<li>%s</li>\n",
              tr(r, N_("Its signature checks, but this server was not given the lab's key to "
                       "say whose it is.")));
    else
        buf_f(b, "<li class=\"bad\">%s</li>\n", tr(r, N_("Its signature does not check.")));
    buf_s(b, "</ul>\n");
    const char *st = js(c, "status");
    /* genuine: the lab's key signed these bytes; without the lab's key
     * here, the signature beside the issued file checks but says nothing
     * of whose it is */
    bool genuine = u.issued && u.signature_ok && u.trusted;
    buf_f(b, "<p class=\"verdict %s\">%s ", genuine ? "genuine" : "bad", tr(r, N_("Verdict:")));
    if (genuine)
        buf_f(b, "%s, %s, %s", tr(r, N_("issued")), tr(r, N_("genuine")), status_text(r, st));
    else if (u.issued && u.signature_ok && pub == NULL)
        buf_f(b, "%s, %s, %s", tr(r, N_("issued")),
              tr(r, N_("signed (the lab's key is not known here)")), status_text(r, st));
    else if (u.issued)
        buf_f(b, "%s, %s", tr(r, N_("issued")), tr(r, N_("but its signature does not check")));
    else
        buf_s(b, tr(r, N_("not the issued file")));
    buf_s(b, "</p>\n</section>\n");
}

void page_verify(const struct req *r, const char *number, const void *data, size_t len,
                 bool sent, struct reply *rep)
{
    struct buf *b = &rep->body;
    if (number == NULL) {
        begin(r, rep, MHD_HTTP_OK, tr(r, N_("Verify a certificate")));
        buf_f(b, "<form method=\"get\" action=\"/verify\"><input type=\"hidden\" name=\"lang\" "
                 "value=\"%s\"><label>%s <input name=\"number\" maxlength=\"%d\" required>"
                 "</label> <button type=\"submit\">%s</button></form>\n",
              r->lang, tr(r, N_("Certificate number:")), CERT_NUMBER_MAX, tr(r, N_("Verify")));
        page_end(r, b);
        return;
    }
    struct cd_err err = {0};
    if (cert_number_check(number, "number", CERT_NUMBER_MAX, &err) != 0) {
        page_error(r, MHD_HTTP_BAD_REQUEST, tr(r, N_("That is not a certificate number.")), rep);
        return;
    }
    if (data != NULL && !sent) {
        page_error(r, MHD_HTTP_BAD_REQUEST, tr(r, N_("No file was sent (the form field is file).")),
                   rep);
        return;
    }
    json_t *holder = NULL;
    json_t *c = cert_of(r, number, rep, &holder);
    if (c == NULL) {
        json_decref(holder);
        return;
    }
    char title[128];
    snprintf(title, sizeof title, "%s %s", tr(r, N_("Verification of certificate")), number);
    begin(r, rep, MHD_HTTP_OK, title);
    buf_f(b, "<p>%s</p>\n", tr(r, N_("This certificate was issued by this lab.")));
    cert_state(r, b, c, "/verify/");
    buf_s(b, "<table>\n");
    buf_f(b, "<tr><th>%s</th><td>", tr(r, N_("Item")));
    item_text(b, c);
    buf_s(b, "</td></tr>\n");
    cert_dates(r, b, c);
    buf_s(b, "</table>\n");
    if (data != NULL)
        verify_result(r, b, c, data, len);
    buf_f(b, "<h2>%s</h2>\n", tr(r, N_("The files issued")));
    const char *fcols[] = {tr(r, N_("File")), "SHA-256"};
    th(b, fcols, 2);
    size_t i;
    json_t *o;
    json_array_foreach(json_object_get(c, "files"), i, o) {
        buf_s(b, "<tr>");
        td(b, js(o, "name"));
        buf_s(b, "<td class=\"hash\">");
        buf_h(b, js(o, "sha256"));
        buf_s(b, "</td></tr>\n");
    }
    buf_s(b, "</table>\n");
    verify_form(r, b, number);
    json_decref(holder);
    page_end(r, b);
}
