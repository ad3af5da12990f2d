/* The documents of a legal verification (kiểm định, issue 16,
 * docs/verification.md "Documents"): from an analysed run whose profile
 * has kind verification,
 *
 *   - a passing one: the verification certificate (giấy chứng nhận kiểm
 *     định) with the stamp or seal number and the validity date from the
 *     cycle of the instrument type, the readings and the checklist in an
 *     annex;
 *   - a failing one: the notice of failure (thông báo kết quả kiểm định
 *     không đạt) with the checks and the points that failed, no stamp, no
 *     validity date;
 *   - always: the verification record (biên bản kiểm định), every reading of
 *     both sides as typed or displayed, who typed it and when.
 *
 * NUMBER.pdf / NUMBER.json are the certificate or the notice,
 * NUMBER-record.pdf / NUMBER-record.json the record; each signed and listed
 * in NUMBER.manifest.json, so `caldaq verify` checks them as it checks a
 * calibration certificate. The identification, dates, conditions,
 * standards and signatory come from the calibration's document model
 * (cert_doc_build); the verification date is the day the run ended in the
 * lab's zone. */
#include "cert.h"
#include "cert_priv.h"
#include "cert_records.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define COPY(dst, src) snprintf((dst), sizeof(dst), "%s", (src) != NULL ? (src) : "")

void cert_verif_free(struct cert_verif *v)
{
    if (v == NULL)
        return;
    cert_doc_free(v->doc);
    free(v->points);
    free(v->checks);
    free(v->readings);
    free(v);
}

/* Decimal places a reading's text shows: "10,2" -> 1, "10.25" -> 2, "10" -> 0. */
static int text_decimals(const char *s)
{
    const char *sep = strpbrk(s, ".,");
    if (sep == NULL)
        return s[strspn(s, " +-")] != '\0' ? 0 : CERT_DEC_NONE;
    int n = 0;
    for (const char *c = sep + 1; *c >= '0' && *c <= '9'; c++)
        n++;
    return n;
}

/* "a; b" lists of texts, cut at the end of `cap` with "…". */
static void append(char *out, size_t cap, const char *s)
{
    size_t n = strlen(out);
    if (n + 1 >= cap)
        return;
    int w = snprintf(out + n, cap - n, "%s%s", n > 0 ? "; " : "", s);
    if (w < 0 || (size_t)w >= cap - n)
        snprintf(out + cap - 5, 5, "…");
}

/* The instrument's range and accuracy (đặc trưng kỹ thuật) from the
 * profile's tolerance. */
static void characteristics(struct cert_verif *v, const struct prof_profile *p)
{
    const struct prof_tolerance *t = &p->tolerance;
    char a[32], b[32];
    switch (t->kind) {
    case PROF_TOL_EN837:
        cert_fmt(t->en837.scale.low, CERT_DEC_NONE, a, sizeof a);
        cert_fmt(t->en837.scale.high, CERT_DEC_NONE, b, sizeof b);
        snprintf(v->range, sizeof v->range, "%s … %s %s", a, b, p->unit);
        cert_fmt(t->en837.class_pct, CERT_DEC_NONE, a, sizeof a);
        snprintf(v->accuracy, sizeof v->accuracy, "%s (EN 837-1)", a);
        break;
    case PROF_TOL_ASME_B40:
        cert_fmt(t->asme.scale.low, CERT_DEC_NONE, a, sizeof a);
        cert_fmt(t->asme.scale.high, CERT_DEC_NONE, b, sizeof b);
        snprintf(v->range, sizeof v->range, "%s … %s %s", a, b, p->unit);
        snprintf(v->accuracy, sizeof v->accuracy, "%s (ASME B40.100)",
                 prof_asme_grade_name(t->asme.grade));
        break;
    case PROF_TOL_OIML_R76:
        cert_fmt(t->r76.max, CERT_DEC_NONE, a, sizeof a);
        cert_fmt(t->r76.e, CERT_DEC_NONE, b, sizeof b);
        snprintf(v->range, sizeof v->range, "Max %s %s, e = %s %s", a, p->unit, b, p->unit);
        snprintf(v->accuracy, sizeof v->accuracy, "%s (OIML R76)",
                 prof_r76_class_name(t->r76.accuracy_class));
        break;
    case PROF_TOL_OIML_R111:
        snprintf(v->accuracy, sizeof v->accuracy, "%s (OIML R111)",
                 prof_r111_class_name(t->r111.weight_class));
        break;
    case PROF_TOL_PIECEWISE:
        if (t->piecewise.n_points > 1) {
            cert_fmt(t->piecewise.points[0].x, CERT_DEC_NONE, a, sizeof a);
            cert_fmt(t->piecewise.points[t->piecewise.n_points - 1].x, CERT_DEC_NONE, b,
                     sizeof b);
            snprintf(v->range, sizeof v->range, "%s … %s %s", a, b, p->unit);
        }
        break;
    default:
        break;
    }
}

/* A reading's time as the lab reads it. */
static void local_time(const struct cd_zone *z, double t, char out[20])
{
    long long s = (long long)floor(t);
    time_t local = (time_t)(s + cd_zone_utoff(z, s));
    struct tm tm;
    if (gmtime_r(&local, &tm) == NULL || strftime(out, 20, "%Y-%m-%d %H:%M:%S", &tm) == 0)
        out[0] = '\0';
}

static int readings(struct cert_verif *v, const struct ana_file *f, const struct cert_lab *lab,
                    struct cd_err *err)
{
    const struct daq_run_view *view = f->view;
    v->readings = calloc(view->n_readings + 1, sizeof *v->readings);
    if (v->readings == NULL)
        return cd_fail(err, CD_ERR_NOMEM, "out of memory");
    struct cd_zone *zone = NULL;
    int rc = cd_zone_load(lab->time_zone[0] != '\0' ? lab->time_zone : NULL, &zone, err);
    if (rc != 0)
        return rc;
    for (size_t i = 0; i < view->n_readings; i++) {
        const struct daq_reading *r = &view->readings[i];
        struct cert_verif_reading *o = &v->readings[v->n_readings++];
        o->t = r->t;
        local_time(zone, r->t, o->when);
        o->point = r->point;
        o->nominal = r->nominal;
        COPY(o->role, r->role);
        COPY(o->side, daq_reading_is(r, DAQ_SIDE_CHECK)       ? DAQ_SIDE_CHECK
                      : daq_reading_is(r, DAQ_SIDE_REFERENCE) ? DAQ_SIDE_REFERENCE
                                                              : DAQ_SIDE_ITEM);
        bool typed = strcmp(r->source, DAQ_SOURCE_OPERATOR) == 0;
        COPY(o->source, typed ? DAQ_SOURCE_OPERATOR : DAQ_SOURCE_INSTRUMENT);
        v->n_typed += typed && strcmp(o->side, DAQ_SIDE_CHECK) != 0; /* as the analysis counts */
        COPY(o->who, r->who);
        COPY(o->text, r->r.display);
        o->value = r->r.value;
        COPY(o->unit, r->r.unit);
        COPY(o->status, drv_status_name(r->r.status));
    }
    cd_zone_free(zone);
    return 0;
}

/* The points of the metrological test: the analysis's figures, the texts
 * of both sides' readings at each, the decimals of the finest of them. */
static int points(struct cert_verif *v, const struct ana_file *f, struct cd_err *err)
{
    const struct ana_result *r = f->result;
    const struct prof_profile *p = f->profile;
    const struct daq_run_view *view = f->view;
    v->points = calloc(r->n_points + 1, sizeof *v->points);
    if (v->points == NULL)
        return cd_fail(err, CD_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < r->n_points; i++) {
        const struct ana_point *pt = &r->points[i];
        struct cert_verif_point *o = &v->points[v->n_points++];
        o->nominal = pt->nominal;
        o->measured = pt->measured;
        o->item = pt->stats[PROF_STAT_MEAN];
        o->reference = pt->stats[PROF_STAT_REF];
        o->error = pt->error;
        o->mpe = fmax(fabs(pt->low), fabs(pt->high));
        o->passed = pt->measured && pt->decision.verdict == UNC_PASS;
        int dec = CERT_DEC_NONE;
        for (size_t j = 0; j < view->n_readings; j++) {
            const struct daq_reading *rd = &view->readings[j];
            if (daq_reading_is(rd, DAQ_SIDE_CHECK) || rd->point < 0 ||
                (size_t)rd->point >= p->n_points || p->points[rd->point].group != pt->group ||
                rd->nominal != pt->nominal)
                continue;
            bool ref = daq_reading_is(rd, DAQ_SIDE_REFERENCE);
            if (ref)
                append(o->ref_text, sizeof o->ref_text, rd->r.display);
            else
                append(o->item_text, sizeof o->item_text, rd->r.display);
            int d = text_decimals(rd->r.display);
            if (d != CERT_DEC_NONE && (dec == CERT_DEC_NONE || d > dec))
                dec = d;
        }
        if (dec == CERT_DEC_NONE)
            dec = cert_decimals(pt->U);
        o->dec = dec;
        o->item = cert_round(o->item, dec);
        o->reference = cert_round(o->reference, dec);
        o->error = cert_round(o->error, dec);
        o->hysteresis = cert_round(pt->stats[PROF_STAT_HYSTERESIS], dec);
        /* read up and down (a series each way), as the calibration's doc */
        v->has_hysteresis |= pt->measured && isfinite(pt->stats[PROF_STAT_MEAN_DOWN]) &&
                             isfinite(o->hysteresis);
    }
    return 0;
}

static int checks(struct cert_verif *v, const struct ana_file *f, struct cd_err *err)
{
    const struct ana_result *r = f->result;
    v->checks = calloc(r->n_checks + 1, sizeof *v->checks);
    if (v->checks == NULL)
        return cd_fail(err, CD_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < r->n_checks; i++) {
        const struct ana_check *c = &r->checks[i];
        struct cert_verif_check *o = &v->checks[v->n_checks++];
        if (c->check != NULL) {
            COPY(o->id, c->check->id);
            COPY(o->stage, prof_check_stage_name(c->check->stage));
            COPY(o->clause, c->check->clause);
            COPY(o->text_en, c->check->text_en);
            COPY(o->text_vi, c->check->text_vi);
        }
        o->answered = c->answered;
        o->passed = c->answered && c->passed;
        COPY(o->answer, c->answer);
        COPY(o->who, c->who);
    }
    return 0;
}

/* The stamp: printable text, at most 63 bytes. */
static int stamp_check(const char *s, struct cd_err *err)
{
    size_t n = strlen(s);
    if (n == 0 || n > 63)
        return cd_fail(err, CD_ERR_INVALID,
                       "--stamp: the stamp or seal number is %s (1 to 63 bytes)",
                       n == 0 ? "empty" : "too long");
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7f)
            return cd_fail(err, CD_ERR_INVALID,
                           "--stamp: a control character (0x%02x) at byte %zu", c, i + 1);
    }
    return 0;
}

/* The validity date: the cycle of the profile's instrument type in the
 * table of --cycles, else LAB.yaml's verification_cycles. */
static int validity(struct cert_verif *v, const struct prof_profile *p,
                    const struct cert_lab *lab, const struct cert_job *job, struct cd_err *err)
{
    const char *path = job->cycles != NULL && job->cycles[0] != '\0' ? job->cycles
                       : lab->verification_cycles[0] != '\0'       ? lab->verification_cycles
                                                                   : NULL;
    if (path == NULL)
        return cd_fail(err, CD_ERR_INVALID,
                       "the verification passed, and its validity date needs the verification "
                       "cycles table: give it with --cycles FILE (e.g. "
                       "profiles/verification-cycles.yaml) or as verification_cycles: in the "
                       "lab file");
    const char *type = p->verification.instrument_type;
    if (type == NULL || type[0] == '\0')
        return cd_fail(err, CD_ERR_INVALID,
                       "profile %s names no verification instrument_type: the cycle of its "
                       "validity date cannot be looked up in %s",
                       p->name, path);
    prof_cycles *c = prof_cycles_load(path, err);
    if (c == NULL)
        return err != NULL && err->code != 0 ? err->code : CD_ERR_IO;
    struct cd_err why = {0};
    const struct prof_cycle *cy = prof_cycles_find(c, type, &why);
    int rc = 0;
    if (cy == NULL) {
        rc = cd_fail(err, CD_ERR_NOT_FOUND, "the validity date: %s", why.msg);
    } else {
        COPY(v->instrument_type, type);
        v->cycle_months = cy->months;
        COPY(v->cycle_source, cy->source);
        rc = prof_validity_date(v->doc->calibrated, cy->months, v->valid_until, err);
    }
    prof_cycles_free(c);
    return rc;
}

int cert_verif_build(const struct ana_file *f, const struct cert_lab *lab,
                     const struct cert_job *job, struct cert_verif **out, char *warning,
                     size_t cap, struct cd_err *err)
{
    *out = NULL;
    if (cap > 0)
        warning[0] = '\0';
    const struct daq_run_view *view = f->view;
    const struct prof_profile *p = f->profile;
    const struct ana_result *r = f->result;
    if (job->stamp != NULL && stamp_check(job->stamp, err) != 0)
        return err != NULL ? err->code : CD_ERR_INVALID;
    /* The day of verification is the day the run ended; its dates are
     * checked first, so that a refusal speaks of the verification. */
    const char *ended = view->info.ended[0] != '\0' ? view->info.ended : view->info.started;
    struct cert_doc scratch = {0};
    int rc = cert_doc_dates(&scratch, lab, job, ended, "verification", "ended", err);
    if (rc != 0)
        return rc;
    struct cert_verif *v = calloc(1, sizeof *v);
    if (v == NULL)
        return cd_fail(err, CD_ERR_NOMEM, "out of memory");
    struct cert_job j = *job;
    j.received = NULL; /* checked above against the day the run ended */
    rc = cert_doc_build(f->view != NULL ? f->path : "", f, lab, &j, &v->doc, err);
    if (rc == 0)
        rc = cert_doc_dates(v->doc, lab, job, ended, "verification", "ended", err);
    if (rc != 0) {
        cert_verif_free(v);
        return rc;
    }
    /* the procedure's decision (analysis.h): every check đạt, every point
     * within the MPE; an incomplete run is not a pass */
    v->passed = r->complete && r->verdict == UNC_PASS &&
                (r->n_checks == 0 || r->checks_passed);
    COPY(v->method, prof_method_name(p->comparison));
    COPY(v->item_read, prof_read_name(p->item.read));
    COPY(v->ref_read, prof_read_name(p->ref.read));
    COPY(v->operator_name, view->info.operator_name);
    const struct daq_device *dev = &view->device;
    if (strcmp(dev->side, DAQ_SIDE_REFERENCE) == 0)
        snprintf(v->ref_instrument, sizeof v->ref_instrument, "%.63s%s%.63s%s%.63s (%.31s, %.255s)",
                 dev->id.manufacturer, dev->id.manufacturer[0] ? " " : "", dev->id.model,
                 dev->id.serial[0] ? " " : "", dev->id.serial, dev->driver, dev->port);
    characteristics(v, p);
    if ((rc = readings(v, f, lab, err)) != 0 || (rc = points(v, f, err)) != 0 ||
        (rc = checks(v, f, err)) != 0) {
        cert_verif_free(v);
        return rc;
    }
    if (v->passed) {
        if (job->stamp == NULL) {
            cert_verif_free(v);
            return cd_fail(err, CD_ERR_INVALID,
                           "the verification passed: give the number of the stamp or seal put "
                           "on the instrument with --stamp NUMBER (số tem / số niêm phong); a "
                           "verification certificate carries it");
        }
        COPY(v->stamp, job->stamp);
        if ((rc = validity(v, p, lab, job, err)) != 0) {
            cert_verif_free(v);
            return rc;
        }
    } else if (job->stamp != NULL && cap > 0) {
        snprintf(warning, cap,
                 "--stamp %.63s not used: the verification failed, so the notice of failure "
                 "carries no stamp and no validity date (the stamp is not put on the instrument)",
                 job->stamp);
    }
    *out = v;
    return 0;
}

/* ------------------------------------------------------------ JSON */

static json_t *str_or_null(const char *s)
{
    return s != NULL && s[0] != '\0' ? json_string(s) : json_null();
}

static json_t *reading_json(const struct cert_verif_reading *o, struct cert_jb *b)
{
    json_t *j = json_pack("{s:s, s:s, s:i, s:o, s:s, s:s, s:s, s:o, s:s, s:s, s:s, s:o}", "side",
                          o->side, "role", o->role, "point", o->point, "nominal",
                          cert_json_fig(b, o->nominal, CERT_DEC_NONE, false), "source",
                          o->source, "typed", o->text, "unit", o->unit, "value",
                          cert_json_fig(b, o->value, CERT_DEC_NONE, false), "status", o->status,
                          "when", o->when, "who", o->who, "t", json_real(o->t));
    if (j != NULL && strcmp(o->source, DAQ_SOURCE_OPERATOR) != 0) {
        /* an instrument's reading: the text as it was displayed */
        json_object_set_new(j, "displayed", json_string(o->text));
        json_object_set_new(j, "typed", json_null());
    }
    return j;
}

static json_t *check_json(const struct cert_verif_check *c)
{
    return json_pack("{s:s, s:s, s:s, s:{s:s, s:s}, s:b, s:o, s:o, s:o}", "id", c->id, "stage",
                     c->stage, "clause", c->clause, "text", "en", c->text_en, "vi", c->text_vi,
                     "answered", c->answered, "result",
                     c->answered ? json_string(c->passed ? "pass" : "fail") : json_null(),
                     "typed", str_or_null(c->answer), "who", str_or_null(c->who));
}

static json_t *point_json(const struct cert_verif *v, const struct cert_verif_point *o,
                          struct cert_jb *b)
{
    json_t *j = json_pack("{s:o, s:s, s:s, s:o, s:o, s:o, s:o, s:b, s:o}", "nominal",
                     cert_json_fig(b, o->nominal, CERT_DEC_NONE, false), "item_typed",
                     o->item_text, "reference_typed", o->ref_text, "indication",
                     o->measured ? cert_json_fig(b, o->item, o->dec, false) : json_null(),
                     "reference",
                     o->measured ? cert_json_fig(b, o->reference, o->dec, false) : json_null(),
                     "error", o->measured ? cert_json_fig(b, o->error, o->dec, false) : json_null(),
                     "mpe", cert_json_fig(b, o->mpe, o->dec, true), "measured", o->measured,
                     "result",
                     o->measured ? json_string(o->passed ? "pass" : "fail")
                                 : json_string("not measured"));
    if (j != NULL && v->has_hysteresis)
        json_object_set_new(j, "hysteresis",
                            o->measured ? cert_json_fig(b, o->hysteresis, o->dec, false)
                                        : json_null());
    return j;
}

json_t *cert_verif_json(const struct cert_verif *v, bool record, struct cert_jb *b)
{
    const struct cert_doc *d = v->doc;
    const struct cert_lab *l = d->lab;
    json_t *pts = json_array(), *chk = json_array(), *rds = json_array(), *stds = json_array();
    for (size_t i = 0; i < v->n_points; i++)
        json_array_append_new(pts, point_json(v, &v->points[i], b));
    for (size_t i = 0; i < v->n_checks; i++)
        json_array_append_new(chk, check_json(&v->checks[i]));
    /* the record: every reading; the certificate's annex: the test's
     * readings, the checklist's answers being its own list */
    for (size_t i = 0; i < v->n_readings; i++)
        if (record || strcmp(v->readings[i].side, DAQ_SIDE_CHECK) != 0)
            json_array_append_new(rds, reading_json(&v->readings[i], b));
    for (size_t i = 0; i < d->n_standards; i++)
        json_array_append_new(stds, json_pack("{s:s, s:s, s:s, s:s}", "id", d->standards[i].id,
                                              "role", d->standards[i].role, "certificate",
                                              d->standards[i].certificate, "due",
                                              d->standards[i].due));
    const char *document = record ? "record" : v->passed ? "certificate" : "notice";
    json_t *root = json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:{s:{s:s, s:s}, s:s, s:s, s:s, s:s, s:s}, "
        "s:{s:s, s:s}, s:s, s:{s:{s:s, s:s}, s:s, s:s, s:s, s:o, s:s, s:s}, s:s, s:s, s:s, "
        "s:{s:o, s:o, s:o}, s:o, s:s, s:{s:s, s:s, s:s}, s:{s:s, s:s, s:s}}",
        "schema", record ? "caldaq-verification-record/1" : "caldaq-verification/1", "kind",
        "verification", "document", document, "number", d->number, "result",
        v->passed ? "pass" : "fail", "issued", d->issued, "verified", d->calibrated, "received",
        str_or_null(d->received), "lab", "name", "en", l->name_en, "vi", l->name_vi, "address",
        l->address, "city", l->city, "country", l->country, "email", l->email,
        "accreditation", l->accreditation, "owner", "name", d->customer, "address",
        d->customer_address, "place", d->place, "instrument", "title", "en", d->title_en, "vi",
        d->title_vi, "manufacturer", d->item_manufacturer, "model", d->item_model, "serial",
        d->item_serial[0] != '\0' ? d->item_serial : d->item_serial_stated, "serial_stated",
        str_or_null(d->item_serial_stated), "range", v->range, "accuracy", v->accuracy,
        "national_document", d->national_document, "method", d->method, "profile",
        d->profile_name, "environment", "temp_c", cert_json_fig(b, d->temp_c, 1, false),
        "rh_pct", cert_json_fig(b, d->rh_pct, 0, false), "p_hpa",
        cert_json_fig(b, d->p_hpa, 1, false), "standards", stds, "unit", d->unit,
        "authorised_by", "name", d->signatory, "title_en", d->signatory_title_en, "title_vi",
        d->signatory_title_vi, "run", "file", d->run_path, "id", d->run_id, "sha256",
        d->run_sha256);
    if (root == NULL) {
        json_decref(pts);
        json_decref(chk);
        json_decref(rds);
        return NULL;
    }
    json_object_set_new(root, "stamp", v->passed ? json_string(v->stamp) : json_null());
    /* ISO/IEC 17025 7.8.8.2: an amendment says what it replaces and why */
    json_object_set_new(root, "amends",
                        d->amends[0] ? json_pack("{s:s, s:s}", "number", d->amends, "reason",
                                                 d->amend_reason)
                                     : json_null());
    json_object_set_new(root, "valid_until",
                        v->passed ? json_string(v->valid_until) : json_null());
    if (v->passed)
        json_object_set_new(root, "cycle",
                            json_pack("{s:s, s:i, s:s}", "instrument_type", v->instrument_type,
                                      "months", v->cycle_months, "source", v->cycle_source));
    json_object_set_new(root, "sides",
                        json_pack("{s:s, s:s, s:s}", "method", v->method, "item", v->item_read,
                                  "reference", v->ref_read));
    json_object_set_new(root, "statement",
                        json_pack("{s:s, s:s}", "vi",
                                  v->passed ? "Đạt yêu cầu đo lường"
                                            : "Không đạt yêu cầu đo lường",
                                  "en",
                                  v->passed ? "meets the metrological requirements"
                                            : "does not meet the metrological requirements"));
    json_object_set_new(root, "points", pts);
    json_object_set_new(root, "checks", chk);
    if (record) {
        json_object_set_new(root, "reference_instrument", str_or_null(v->ref_instrument));
        json_object_set_new(root, "operator", json_string(v->operator_name));
        json_object_set_new(root, "n_typed", json_integer((json_int_t)v->n_typed));
    }
    json_object_set_new(root, "readings", rds);
    return root;
}

int cert_verif_write_json(const struct cert_verif *v, bool record, const char *path,
                          struct cd_err *err)
{
    struct cert_jb b = {.marks = true};
    json_t *j = cert_verif_json(v, record, &b);
    if (j == NULL)
        return cd_fail(err, CD_ERR_NOMEM, "verification JSON: out of memory");
    int rc = cert_json_write(j, &b, record ? "verification record JSON" : "verification JSON",
                             path, err);
    json_decref(j);
    return rc;
}

/* ------------------------------------------------------------ issuing */

int cert_verif_issue(const struct ana_file *f, const struct cert_lab *lab,
                     const struct cert_job *job, const char *out_dir, const char *format,
                     const char *langs, bool quiet, char number[64], struct cd_err *err)
{
    struct cert_verif *v = NULL;
    char warning[512] = "";
    /* the lifecycle of every certificate (ISO/IEC 17025 7.8.8, cert_records.c):
     * a number never issued twice, amendments, the records, the run's audit */
    struct cert_job j = *job;
    struct cert_life life;
    int rc = cert_life_open(&life, &j, out_dir, err);
    if (rc == 0)
        rc = cert_verif_build(f, lab, &j, &v, warning, sizeof warning, err);
    /* a passing verification is valid until the date its cycle gives */
    if (rc == 0 && v->passed && j.valid_until == NULL)
        j.valid_until = v->valid_until;
    bool begun = rc == 0 && (rc = cert_life_begin(&life, &j, v->doc, out_dir, err)) == 0;
    if (rc != 0) {
        cert_life_close(&life);
        cert_verif_free(v);
        return rc;
    }
    if (warning[0] != '\0' && !quiet)
        fprintf(stderr, "caldaq cert: warning: %s\n", warning);
    if (cert_format_wants(format, "xml") && !quiet)
        printf("%s: a verification: no DCC XML (the DCC is a calibration certificate; "
               "docs/verification.md)\n",
               v->doc->number);
    const struct cert_doc *d = v->doc;
    json_t *files = json_object();
    char path[4400], qr[512];
    /* the certificate (or notice), then the record; JSON before PDF, as a
     * calibration's files */
    for (int i = 0; rc == 0 && i < 4; i++) {
        bool record = i >= 2, pdf = i % 2 == 1;
        if (!cert_format_wants(format, pdf ? "pdf" : "json"))
            continue;
        snprintf(path, sizeof path, "%s/%s%s.%s", out_dir, d->number, record ? "-record" : "",
                 pdf ? "pdf" : "json");
        if (pdf) {
            if (lab->verify_url[0] != '\0')
                rc = cert_verify_url(lab, d->number, qr, sizeof qr, err);
            else
                snprintf(qr, sizeof qr, "caldaq verification %s%s\nresult %s\nrun sha256 %s",
                         d->number, record ? " record" : "", v->passed ? "pass" : "fail",
                         d->run_sha256);
            if (rc == 0)
                rc = cert_verif_write_pdf(v, record, langs, qr, path, err);
        } else {
            rc = cert_verif_write_json(v, record, path, err);
        }
        if (rc == 0)
            rc = cert_issue_sign(path, lab, files, quiet, err);
    }
    if (rc == 0 && json_object_size(files) == 0)
        rc = cd_fail(err, CD_ERR_INVALID,
                     "--format %s: a verification is written as pdf and json", format);
    json_t *extra = json_pack("{s:s, s:s, s:s}", "kind", "verification", "document",
                              v->passed ? "certificate" : "notice", "result",
                              v->passed ? "pass" : "fail");
    if (rc == 0)
        rc = cert_manifest_write(out_dir, d, files, extra, lab, quiet, err);
    json_decref(extra);
    if (begun)
        rc = cert_life_end(&life, &j, f, d, out_dir, files, rc, err);
    cert_life_close(&life);
    if (rc == 0 && !quiet) {
        if (v->passed)
            printf("verification %s: pass (Đạt yêu cầu đo lường): certificate, stamp %s, valid "
                   "until %s\n",
                   d->number, v->stamp, v->valid_until);
        else
            printf("verification %s: fail (Không đạt): notice of failure\n", d->number);
    }
    if (rc == 0 && number != NULL)
        snprintf(number, 64, "%s", d->number);
    json_decref(files);
    cert_verif_free(v);
    return rc;
}
