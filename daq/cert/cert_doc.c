/* The certificate's content gathered once from an analysed run, the lab
 * and the job (cert.h), and its JSON form. */
#include "cert.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>


#ifndef CALDAQ_VERSION
#define CALDAQ_VERSION "0.1.0"
#endif

#define COPY(dst, src) snprintf((dst), sizeof(dst), "%s", (src) != NULL ? (src) : "")

void cert_doc_free(struct cert_doc *d)
{
    if (d == NULL)
        return;
    free(d->standards);
    free(d->points);
    free(d->budget);
    free(d);
}

/* A number as it may be shown in a message: cut to 80 bytes, control
 * characters (C0, DEL, and C1 as UTF-8 writes them) as '?', so that a
 * hostile number cannot write escape sequences to the technician's
 * terminal; other UTF-8 (KĐ) as it is. */
static void shown(const char *s, char out[81])
{
    size_t i = 0;
    for (; s[i] != '\0' && i < 80; i++) {
        unsigned char c = (unsigned char)s[i], next = (unsigned char)s[i + 1];
        bool c1 = c == 0xc2 && next >= 0x80 && next <= 0x9f;
        out[i] = c < 0x20 || c == 0x7f || c1 ? '?' : (char)c;
        if (c1 && i + 1 < 80)
            out[++i] = '?';
    }
    out[i] = '\0';
}

int cert_number_check(const char *s, const char *what, size_t max, struct cd_err *err)
{
    char show[81];
    shown(s, show);
    size_t n = strlen(s);
    if (n == 0)
        return cd_fail(err, CD_ERR_INVALID, "%s is empty", what);
    if (n > max)
        return cd_fail(err, CD_ERR_INVALID,
                       "%s '%s%s' is %zu bytes long, at most %zu are kept: a number is never "
                       "cut, give a shorter one",
                       what, show, n > 80 ? "..." : "", n, max);
    /* Said first, whatever comes before it: the reason most worth knowing. */
    const char *sep = strpbrk(s, "/\\");
    if (sep != NULL)
        return cd_fail(err, CD_ERR_INVALID,
                       "%s '%s': '%c' cannot be part of a certificate number: the number is "
                       "the name of the certificate's files, and '%c' would reach into another "
                       "folder (write KĐ/2026/15 as KD-2026-15)",
                       what, show, *sep, *sep);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
            continue;
        if ((c == '-' || c == '_') && i > 0 && i < n - 1)
            continue;
        if (c == '-' || c == '_')
            return cd_fail(err, CD_ERR_INVALID,
                           "%s '%s' %s with '%c': it must begin and end with a letter or a "
                           "digit",
                           what, show, i == 0 ? "begins" : "ends", c);
        if (c >= 0x80)
            return cd_fail(err, CD_ERR_INVALID,
                           "%s '%s': only the letters A-Z and a-z: a letter such as Đ or Ư is "
                           "a different byte string on other systems and in URLs (write KD "
                           "for KĐ)",
                           what, show);
        if (c < 0x20 || c == 0x7f)
            return cd_fail(err, CD_ERR_INVALID,
                           "%s '%s': a control character (0x%02x) at byte %zu: only letters "
                           "A-Z a-z, digits, '-' and '_'",
                           what, show, c, i + 1);
        return cd_fail(err, CD_ERR_INVALID,
                       "%s '%s': '%c' is not allowed: only letters A-Z a-z, digits, '-' and "
                       "'_' (the number names the certificate's files)",
                       what, show, c);
    }
    return 0;
}

static const char *point_verdict(const struct ana_point *pt)
{
    return pt->measured ? unc_verdict_name(pt->decision.verdict) : "not measured";
}

/* The item serial the customer stated, from the session's audit entry. */
static void stated_serial(const struct daq_run_view *v, char *out, size_t cap)
{
    static const char tag[] = "item serial as stated: ";
    out[0] = '\0';
    for (size_t i = 0; i < v->n_audit; i++) {
        const char *w = strstr(v->audit[i].what, tag);
        if (w == NULL)
            continue;
        w += sizeof tag - 1;
        size_t n = strcspn(w, " ");
        snprintf(out, cap, "%.*s", (int)n, w);
    }
}

/* The certificate's dates, decided in the lab's time zone (LAB.yaml's
 * time_zone): calibrated is the day the run started there, issued the day
 * given or today, received the day given or none. ISO/IEC 17025 7.8.2.1
 * asks for the dates of these events, so they must be in the order they
 * happen - received <= calibrated <= issued <= today - and a certificate
 * dated before its calibration, or after today, is refused. The messages
 * name the options (cert_job documents its fields as theirs). */
static int cert_dates(struct cert_doc *d, const struct cert_lab *lab, const struct cert_job *job,
                      const char *started, struct cd_err *err)
{
    struct cd_zone *zone = NULL;
    int rc = cd_zone_load(lab->time_zone[0] != '\0' ? lab->time_zone : NULL, &zone, err);
    if (rc != 0)
        return rc;
    char today[11], zname[128];
    snprintf(zname, sizeof zname, "%s", cd_zone_name(zone));
    long long t;
    if (cd_iso8601_epoch(started, &t) == 0)
        cd_zone_date(zone, t, d->calibrated);
    else
        snprintf(d->calibrated, sizeof d->calibrated, "%.10s", started);
    rc = cd_zone_today(zone, today);
    cd_zone_free(zone);
    if (rc != 0)
        return cd_fail(err, CD_ERR_INVALID, "cannot tell today's date in %s", zname);
    COPY(d->issued, job->issued != NULL ? job->issued : today);
    COPY(d->received, job->received);
    long cal, iss, now, rec = 0;
    if (prof_date_parse(d->calibrated, &cal, NULL) != 0)
        return cd_fail(err, CD_ERR_INVALID, "the run's start '%.40s' is not a date", started);
    if (prof_date_parse(d->issued, &iss, NULL) != 0)
        return cd_fail(err, CD_ERR_INVALID, "--issued '%s' is not a date YYYY-MM-DD", d->issued);
    if (d->received[0] != '\0' && prof_date_parse(d->received, &rec, NULL) != 0)
        return cd_fail(err, CD_ERR_INVALID, "--received '%s' is not a date YYYY-MM-DD",
                       d->received);
    if (prof_date_parse(today, &now, NULL) != 0)
        return cd_fail(err, CD_ERR_INVALID, "cannot tell today's date in %s", zname);
    if (d->received[0] != '\0' && rec > cal)
        return cd_fail(err, CD_ERR_INVALID,
                       "--received %s is after the calibration on %s (the run's date in %s): "
                       "an item is received before it is calibrated",
                       d->received, d->calibrated, zname);
    if (cal > now)
        return cd_fail(err, CD_ERR_INVALID,
                       "the calibration on %s (the run started %s) is after today, %s in %s: "
                       "check the clock of the computer that made the run",
                       d->calibrated, started, today, zname);
    if (iss < cal)
        return cd_fail(err, CD_ERR_INVALID,
                       "--issued %s is before the calibration on %s (the run's date in %s): a "
                       "certificate is issued on or after the day of calibration",
                       d->issued, d->calibrated, zname);
    if (iss > now)
        return cd_fail(err, CD_ERR_INVALID,
                       "--issued %s is after today, %s in %s: a certificate is not dated in the "
                       "future",
                       d->issued, today, zname);
    return 0;
}

int cert_doc_build(const char *run_path, const struct ana_file *a, const struct cert_lab *lab,
                   const struct cert_job *job, struct cert_doc **out, struct cd_err *err)
{
    *out = NULL;
    const struct daq_run_view *v = a->view;
    const struct ana_result *r = a->result;
    const struct prof_profile *p = a->profile;
    if (strcmp(v->info.status, "complete") != 0)
        return cd_fail(err, CD_ERR_INVALID,
                       "%s: the run is %s; a certificate is issued for a complete run "
                       "(resume it first)",
                       run_path, v->info.status);
    if (job->signatory >= lab->n_signatories)
        return cd_fail(err, CD_ERR_INVALID, "signatory %zu: the lab lists %zu", job->signatory + 1,
                       lab->n_signatories);
    /* Checked here as well as by the command line: batch reprocessing and
     * other callers reach this without it, and the number becomes a path. */
    int rc = job->number != NULL
                 ? cert_number_check(job->number, "certificate number", CERT_NUMBER_MAX, err)
                 : 0;
    if (rc != 0)
        return rc;
    struct cert_doc *d = calloc(1, sizeof *d);
    if (d == NULL)
        return cd_fail(err, CD_ERR_NOMEM, "out of memory");
    d->lab = lab;
    COPY(d->run_path, run_path);
    COPY(d->run_id, v->info.run_id);
    if ((rc = cert_dates(d, lab, job, v->info.started, err)) != 0) {
        cert_doc_free(d);
        return rc;
    }
    if (job->number != NULL) {
        COPY(d->number, job->number);
    } else {
        /* deterministic for a run: the lab's prefix, the year, the run's id */
        char id8[9];
        snprintf(id8, sizeof id8, "%.8s", v->info.run_id);
        for (char *c = id8; *c; c++)
            if (*c >= 'a' && *c <= 'f')
                *c = (char)(*c - 'a' + 'A');
        snprintf(d->number, sizeof d->number, "%s-%.4s-%s", lab->number_prefix, d->issued, id8);
        /* the run's id comes from the run file, which may be anyone's */
        rc = cert_number_check(d->number, "certificate number (certificate_prefix, year, run id)",
                               CERT_NUMBER_MAX, err);
        if (rc != 0) {
            cert_doc_free(d);
            return rc;
        }
    }
    COPY(d->customer, job->customer);
    COPY(d->customer_address, job->customer_address);
    COPY(d->place, job->place != NULL ? job->place : "laboratory");
    COPY(d->item_manufacturer, v->device.id.manufacturer);
    COPY(d->item_model, v->device.id.model);
    COPY(d->item_serial, v->device.id.serial);
    COPY(d->item_firmware, v->device.id.firmware);
    stated_serial(v, d->item_serial_stated, sizeof d->item_serial_stated);
    if (job->item_serial != NULL)
        COPY(d->item_serial_stated, job->item_serial);
    if (d->item_serial[0] == '\0' && d->item_serial_stated[0] == '\0') {
        cert_doc_free(d);
        return cd_fail(err, CD_ERR_INVALID,
                       "%s: the instrument reported no serial number and none was stated: a "
                       "certificate must identify the item (caldaq cert --item-serial S)",
                       run_path);
    }
    COPY(d->title_en, p->title_en);
    COPY(d->title_vi, p->title_vi);
    COPY(d->method, p->method);
    COPY(d->national_document, p->national_document);
    COPY(d->profile_name, p->name);
    COPY(d->unit, p->unit);
    d->temp_c = r->env[0];
    d->rh_pct = r->env[1];
    d->p_hpa = r->env[2];
    COPY(d->decision_rule, unc_rule_name(p->rule.rule));
    d->guard_r = p->rule.r;
    COPY(d->verdict, ana_overall_name(r));
    const struct cert_signatory *sg = &lab->signatories[job->signatory];
    COPY(d->signatory, sg->name);
    COPY(d->signatory_title_en, sg->title_en);
    COPY(d->signatory_title_vi, sg->title_vi);

    d->standards = calloc(v->n_standards + 1, sizeof *d->standards);
    d->points = calloc(r->n_points + 1, sizeof *d->points);
    if (d->standards == NULL || d->points == NULL) {
        cert_doc_free(d);
        return cd_fail(err, CD_ERR_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < v->n_standards; i++) {
        const struct daq_standard *s = &v->standards[i];
        bool seen = false;
        for (size_t j = 0; j < d->n_standards; j++)
            seen |= strcmp(d->standards[j].id, s->id) == 0;
        if (seen)
            continue;
        struct cert_standard *cs = &d->standards[d->n_standards++];
        COPY(cs->id, s->id);
        COPY(cs->certificate, s->certificate);
        COPY(cs->due, s->due_date);
        COPY(cs->role, s->role);
    }
    const struct ana_point *worst = NULL;
    for (size_t i = 0; i < r->n_points; i++) {
        const struct ana_point *pt = &r->points[i];
        struct cert_point *cp = &d->points[d->n_points++];
        *cp = (struct cert_point){.nominal = pt->nominal, .measured = pt->measured,
                                  .mpe = fmax(fabs(pt->low), fabs(pt->high)),
                                  .reference = NAN, .mean = NAN, .error = NAN, .U = NAN,
                                  .k = NAN, .p = NAN};
        COPY(cp->verdict, point_verdict(pt));
        if (!pt->measured)
            continue;
        cp->reference = pt->stats[PROF_STAT_REF];
        cp->mean = pt->stats[PROF_STAT_MEAN];
        cp->error = pt->error;
        cp->U = pt->U;
        cp->k = pt->k;
        cp->p = p->budget.coverage.k > 0 ? NAN : pt->p;
        if (worst == NULL || pt->U > worst->U)
            worst = pt;
    }
    if (worst != NULL) {
        d->worst_nominal = worst->nominal;
        d->budget = calloc(worst->n_rows + 1, sizeof *d->budget);
        if (d->budget == NULL) {
            cert_doc_free(d);
            return cd_fail(err, CD_ERR_NOMEM, "out of memory");
        }
        for (size_t i = 0; i < worst->n_rows; i++) {
            const struct ana_budget_row *b = &worst->rows[i];
            struct cert_budget_row *cb = &d->budget[d->n_budget++];
            COPY(cb->name, b->name);
            COPY(cb->label, b->label);
            cb->x = b->x;
            cb->u = b->u;
            cb->c = b->c;
            cb->contribution = b->contribution;
            cb->share = b->share;
            cb->dof = b->dof;
        }
    }
    rc = cert_sha256_file(run_path, d->run_sha256, err);
    if (rc != 0) {
        cert_doc_free(d);
        return rc;
    }
    *out = d;
    return 0;
}

static json_t *num(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

json_t *cert_json(const struct cert_doc *d)
{
    json_t *pts = json_array(), *stds = json_array(), *budget = json_array();
    for (size_t i = 0; i < d->n_points; i++) {
        const struct cert_point *p = &d->points[i];
        json_array_append_new(
            pts, json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:b, s:s}", "nominal",
                           num(p->nominal), "reference", num(p->reference), "indication",
                           num(p->mean), "error", num(p->error), "U", num(p->U), "k", num(p->k),
                           "coverage_probability", num(p->p), "mpe", num(p->mpe), "measured",
                           p->measured, "verdict", p->verdict));
    }
    for (size_t i = 0; i < d->n_standards; i++)
        json_array_append_new(stds, json_pack("{s:s, s:s, s:s, s:s}", "id", d->standards[i].id,
                                              "role", d->standards[i].role, "certificate",
                                              d->standards[i].certificate, "due",
                                              d->standards[i].due));
    for (size_t i = 0; i < d->n_budget; i++) {
        const struct cert_budget_row *b = &d->budget[i];
        json_array_append_new(budget,
                              json_pack("{s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o}", "name",
                                        b->name, "label", b->label, "x", num(b->x), "u",
                                        num(b->u), "c", num(b->c), "contribution",
                                        num(b->contribution), "share", num(b->share), "dof",
                                        num(b->dof)));
    }
    const struct cert_lab *l = d->lab;
    json_t *lab = json_pack("{s:{s:s, s:s}, s:s, s:s, s:s, s:s, s:s}", "name", "en", l->name_en,
                            "vi", l->name_vi, "address", l->address, "city", l->city, "country",
                            l->country, "email", l->email, "accreditation", l->accreditation);
    json_t *root = json_pack(
        "{s:s, s:s, s:s, s:o, s:s, s:o, s:{s:s, s:s}, s:s, s:{s:s, s:s, s:s, s:s, s:o, s:{s:s, "
        "s:s}}, s:{s:s, s:s, s:s}, s:{s:o, s:o, s:o}, s:o, s:s, s:o, s:{s:s, s:o}, s:s, s:o, s:o, "
        "s:{s:s, s:s, s:s}, s:{s:s, s:s, s:s}, s:{s:s, s:s}}",
        "schema", "caldaq-certificate/1", "number", d->number, "issued", d->issued, "received",
        d->received[0] ? json_string(d->received) : json_null(), "calibrated", d->calibrated,
        "lab", lab, "customer", "name", d->customer, "address", d->customer_address, "place",
        d->place, "item", "manufacturer", d->item_manufacturer, "model", d->item_model,
        "serial", d->item_serial, "firmware", d->item_firmware, "serial_stated",
        d->item_serial_stated[0] ? json_string(d->item_serial_stated) : json_null(), "title",
        "en", d->title_en, "vi", d->title_vi, "method", "procedure", d->method,
        "national_document", d->national_document, "profile", d->profile_name, "environment",
        "temp_c", num(d->temp_c), "rh_pct", num(d->rh_pct), "p_hpa", num(d->p_hpa), "standards",
        stds, "unit", d->unit, "results", pts, "decision_rule", "rule", d->decision_rule,
        "guard_band_r", strcmp(d->decision_rule, "guard-band") == 0 ? json_real(d->guard_r)
                                                                    : json_null(),
        "verdict", d->verdict, "annex_budget_at", num(d->worst_nominal), "annex_budget", budget,
        "authorised_by", "name", d->signatory, "title_en", d->signatory_title_en, "title_vi",
        d->signatory_title_vi, "run", "file", d->run_path, "id", d->run_id, "sha256",
        d->run_sha256, "statements", "en", "The results relate only to the item calibrated.",
        "vi", "Kết quả chỉ có giá trị đối với phương tiện được hiệu chuẩn.");
    if (root != NULL) {
        json_object_set_new(json_object_get(root, "lab"), "traceability",
                            json_pack("{s:s, s:s}", "en", l->traceability_en, "vi",
                                      l->traceability_vi));
        json_object_set_new(root, "software", json_pack("{s:s, s:s}", "name", "caldaq",
                                                        "release", CALDAQ_VERSION));
    }
    return root;
}
