/* The certificate's content gathered once from an analysed run, the lab
 * and the job (cert.h), the one rounding of its reported figures that every
 * format uses, and its JSON form. */
#include "cert.h"
#include "cert_priv.h"
#include "cd_i18n.h"

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
    free(d->positions);
    free(d->envelope);
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
        return cd_fail(err, CD_ERR_INVALID, _("%s is empty"), what);
    if (n > max)
        return cd_fail(err, CD_ERR_INVALID,
                       _("%s '%s%s' is %zu bytes long, at most %zu are kept: a number is never "
                       "cut, give a shorter one"),
                       what, show, n > 80 ? "..." : "", n, max);
    /* Said first, whatever comes before it: the reason most worth knowing. */
    const char *sep = strpbrk(s, "/\\");
    if (sep != NULL)
        return cd_fail(err, CD_ERR_INVALID,
                       _("%s '%s': '%c' cannot be part of a certificate number: the number is "
                       "the name of the certificate's files, and '%c' would reach into another "
                       "folder (write KĐ/2026/15 as KD-2026-15)"),
                       what, show, *sep, *sep);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
            continue;
        if ((c == '-' || c == '_') && i > 0 && i < n - 1)
            continue;
        if (c == '-' || c == '_')
            return cd_fail(err, CD_ERR_INVALID,
                           _("%s '%s' %s with '%c': it must begin and end with a letter or a "
                           "digit"),
                           what, show, i == 0 ? "begins" : "ends", c);
        if (c >= 0x80)
            return cd_fail(err, CD_ERR_INVALID,
                           _("%s '%s': only the letters A-Z and a-z: a letter such as Đ or Ư is "
                           "a different byte string on other systems and in URLs (write KD "
                           "for KĐ)"),
                           what, show);
        if (c < 0x20 || c == 0x7f)
            return cd_fail(err, CD_ERR_INVALID,
                           _("%s '%s': a control character (0x%02x) at byte %zu: only letters "
                           "A-Z a-z, digits, '-' and '_'"),
                           what, show, c, i + 1);
        return cd_fail(err, CD_ERR_INVALID,
                       _("%s '%s': '%c' is not allowed: only letters A-Z a-z, digits, '-' and "
                       "'_' (the number names the certificate's files)"),
                       what, show, c);
    }
    return 0;
}

/* ------------------------------------------------------------ figures */

/* GUM 7.2.6: "it usually suffices to quote u_c(y) and U(y) to at most two
 * significant digits", and y is rounded to the same decimal place. U is
 * rounded to the nearest (7.2.6 allows rounding up; caldaq does not). */

#define DEC_MAX 15

int cert_sig_decimals(double v, int sig)
{
    double a = fabs(v);
    if (!isfinite(a) || !(a > 0) || sig < 1)
        return CERT_DEC_NONE;
    int e = (int)floor(log10(a));
    /* log10 of a value just below a power of ten may round up to it */
    if (pow(10.0, e) > a)
        e--;
    else if (pow(10.0, e + 1) <= a)
        e++;
    int dec = sig - 1 - e;
    if (dec > DEC_MAX)
        return DEC_MAX;
    /* 0.00996 to two digits is 0.010: three digits at sig - 1 - e, so one fewer */
    if (fabs(cert_round(a, dec)) >= pow(10.0, e + 1))
        dec--;
    return dec;
}

int cert_decimals(double U)
{
    if (!isfinite(U) || !(U > 0))
        return CERT_DEC_NONE;
    return cert_sig_decimals(U, 2);
}

static double sig4(double v)
{
    return cert_round(v, cert_sig_decimals(v, 4));
}

double cert_round(double v, int dec)
{
    if (dec == CERT_DEC_NONE || !isfinite(v))
        return v;
    double r;
    if (dec >= 0) {
        /* the digits printf writes, read back: the value and the printed
         * figure are then one and the same */
        char buf[512];
        snprintf(buf, sizeof buf, "%.*f", dec > DEC_MAX ? DEC_MAX : dec, v);
        r = strtod(buf, NULL);
    } else {
        double q = pow(10.0, -dec);
        r = round(v / q) * q;
    }
    return r == 0 ? 0.0 : r; /* no -0 */
}

/* The decimals of v written positionally with the fewest significant
 * digits (up to 15) that read back as v; a double that needs more (0.1 x
 * 0.000035 = 3.5000000000000004e-06) is taken at 15 digits with its
 * trailing zeros dropped ("0.0000035"). */
static int exact_decimals(double v)
{
    char tmp[64];
    int n = 1;
    for (; n < 15; n++) {
        snprintf(tmp, sizeof tmp, "%.*e", n - 1, v);
        if (strtod(tmp, NULL) == v)
            break;
    }
    snprintf(tmp, sizeof tmp, "%.*e", n - 1, v);
    char *e = strchr(tmp, 'e');
    int exp10 = e != NULL ? atoi(e + 1) : 0;
    if (e != NULL && strchr(tmp, '.') != NULL) {
        /* significant digits left once the mantissa's trailing zeros go */
        char *z = e - 1;
        while (*z == '0')
            z--;
        n = (int)(z - tmp) + (*z == '.' ? 0 : 1) - (tmp[0] == '-') - 1;
        if (n < 1)
            n = 1;
    }
    int dec = n - 1 - exp10;
    return dec > 0 ? dec : 0;
}

void cert_fmt(double v, int dec, char *buf, size_t cap)
{
    if (cap == 0)
        return;
    buf[0] = '\0';
    if (!isfinite(v))
        return;
    if (dec == CERT_DEC_NONE)
        dec = exact_decimals(v);
    double r = cert_round(v, dec);
    snprintf(buf, cap, "%.*f", dec > 0 ? (dec > DEC_MAX ? DEC_MAX : dec) : 0, r);
    if (buf[0] == '-' && strspn(buf + 1, "0.") == strlen(buf + 1))
        memmove(buf, buf + 1, strlen(buf)); /* "-0.0000" is "0.0000" */
}

void cert_fmt_exact(double v, int dec, char *buf, size_t cap)
{
    if (cap == 0)
        return;
    buf[0] = '\0';
    if (!isfinite(v))
        return;
    int d = exact_decimals(v);
    if (dec != CERT_DEC_NONE && dec > d)
        d = dec;
    cert_fmt(v, d, buf, cap);
}

int cert_point_decimals(const struct cert_point *pt)
{
    return cert_decimals(pt->U);
}

/* Decimal places of a resolution step: 0.001 -> 3, 0.005 -> 3, 1 -> 0. */
static int step_decimals(double d)
{
    if (!isfinite(d) || !(d > 0))
        return CERT_DEC_NONE;
    int dec = -(int)floor(log10(d) + 1e-9);
    return dec < 0 ? 0 : dec > DEC_MAX ? DEC_MAX : dec;
}

/* A value to two significant digits (an uncertainty, a probability). */
static double two_digits(double v)
{
    return cert_round(v, cert_decimals(v));
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
int cert_doc_dates(struct cert_doc *d, const struct cert_lab *lab, const struct cert_job *job,
                   const char *started, const char *event, const char *which, struct cd_err *err)
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
        return cd_fail(err, CD_ERR_INVALID, _("cannot tell today's date in %s"), zname);
    COPY(d->issued, job->issued != NULL ? job->issued : today);
    COPY(d->received, job->received);
    long cal, iss, now, rec = 0;
    if (prof_date_parse(d->calibrated, &cal, NULL) != 0)
        return cd_fail(err, CD_ERR_INVALID, _("the run's %s time '%.40s' is not a date"),
                       strcmp(which, "ended") == 0 ? "end" : "start", started);
    if (prof_date_parse(d->issued, &iss, NULL) != 0)
        return cd_fail(err, CD_ERR_INVALID, _("--issued '%s' is not a date YYYY-MM-DD"), d->issued);
    if (d->received[0] != '\0' && prof_date_parse(d->received, &rec, NULL) != 0)
        return cd_fail(err, CD_ERR_INVALID, _("--received '%s' is not a date YYYY-MM-DD"),
                       d->received);
    if (prof_date_parse(today, &now, NULL) != 0)
        return cd_fail(err, CD_ERR_INVALID, _("cannot tell today's date in %s"), zname);
    if (d->received[0] != '\0' && rec > cal)
        return cd_fail(err, CD_ERR_INVALID,
                       _("--received %s is after the %s on %s (the run's date in %s): "
                       "an item is received before it is %s"),
                       d->received, event, d->calibrated, zname,
                       strcmp(event, "verification") == 0 ? "verified" : "calibrated");
    if (cal > now)
        return cd_fail(err, CD_ERR_INVALID,
                       _("the %s on %s (the run %s %s) is after today, %s in %s: "
                       "check the clock of the computer that made the run"),
                       event, d->calibrated, which, started, today, zname);
    if (iss < cal)
        return cd_fail(err, CD_ERR_INVALID,
                       _("--issued %s is before the %s on %s (the run's date in %s): a "
                       "certificate is issued on or after the day of %s"),
                       d->issued, event, d->calibrated, zname, event);
    if (iss > now)
        return cd_fail(err, CD_ERR_INVALID,
                       _("--issued %s is after today, %s in %s: a certificate is not dated in the "
                       "future"),
                       d->issued, today, zname);
    return 0;
}

/* The repeatability and eccentricity tests of a balance as reported: the
 * indications to the resolution's decimals, s to two significant digits. */
static int side_tests(struct cert_doc *d, const struct ana_result *r,
                      const struct prof_profile *p)
{
    double step = p->resolution;
    for (size_t i = 0; !(step > 0) && i < r->n_points; i++)
        if (r->points[i].measured)
            step = r->points[i].stats[PROF_STAT_D];
    d->dec_d = step_decimals(step);
    if (r->has_repeatability) {
        d->has_repeatability = true;
        d->rep_load = r->rep_load;
        d->rep_n = r->rep_n;
        d->rep_mean = cert_round(r->rep_mean, d->dec_d);
        d->rep_s = r->rep_s > 0 ? two_digits(r->rep_s) : cert_round(r->rep_s, d->dec_d);
    }
    if (r->n_positions > 0) {
        d->positions = calloc(r->n_positions, sizeof *d->positions);
        if (d->positions == NULL)
            return CD_ERR_NOMEM;
        for (size_t i = 0; i < r->n_positions; i++) {
            struct cert_position *cp = &d->positions[d->n_positions++];
            COPY(cp->name, r->positions[i].name);
            cp->indication = cert_round(r->positions[i].indication, d->dec_d);
            cp->deviation = cert_round(r->positions[i].deviation, d->dec_d);
        }
        d->has_eccentricity = r->has_eccentricity;
        d->ecc_load = r->ecc_load;
        d->ecc_max = cert_round(r->ecc_max, d->dec_d);
    }
    return 0;
}

/* The +-MPE envelope of the chart: for each plan group of the error test,
 * from its smallest to its largest nominal value, straight pieces between
 * the places where the tolerance steps (prof_tolerance_breaks), each piece
 * taking the MPE just inside its ends, so a step is drawn where the
 * tolerance steps (R76 class II, e = 10 mg: at 50 g and 200 g). */
static int envelope(struct cert_doc *d, const struct ana_result *r,
                    const struct prof_profile *p, struct cd_err *err)
{
    size_t cap = 0;
    for (size_t i = 0; i < r->n_points; i++)
        cap += 9; /* at most 8 breaks in one group, so 9 pieces */
    if (cap == 0)
        return 0;
    d->envelope = calloc(cap, sizeof *d->envelope);
    if (d->envelope == NULL)
        return CD_ERR_NOMEM;
    for (size_t i = 0; i < r->n_points; i++) {
        const struct ana_point *pt = &r->points[i];
        bool first = true;
        for (size_t j = 0; j < i; j++)
            first &= r->points[j].group != pt->group;
        if (!first)
            continue;
        double x0 = pt->nominal, x1 = pt->nominal;
        for (size_t j = i; j < r->n_points; j++) {
            if (r->points[j].group != pt->group)
                continue;
            x0 = fmin(x0, r->points[j].nominal);
            x1 = fmax(x1, r->points[j].nominal);
        }
        struct prof_tolerance t = p->tolerance;
        if (t.kind == PROF_TOL_DMM)
            t.dmm.range = pt->range;
        double xs[10];
        size_t nb = 0;
        struct cd_err why = {0};
        if (prof_tolerance_breaks(&t, x0, x1, xs + 1, 8, &nb, &why) != 0)
            return cd_fail(err, why.code, _("the MPE envelope of the chart: %s"), why.msg);
        xs[0] = x0;
        xs[nb + 1] = x1;
        for (size_t k = 0; k + 1 < nb + 2; k++) {
            double a = xs[k], b = xs[k + 1];
            /* just inside the ends: a band includes its upper edge */
            double in = (b - a) * 1e-6;
            double m0, m1;
            if (x0 == x1) {
                if (prof_mpe_at(&t, a, &m0, &why) != 0)
                    return cd_fail(err, why.code, _("the MPE envelope of the chart: %s"), why.msg);
                m1 = m0;
            } else if (prof_mpe_at(&t, a + in, &m0, &why) != 0 ||
                       prof_mpe_at(&t, b - in, &m1, &why) != 0) {
                return cd_fail(err, why.code, _("the MPE envelope of the chart: %s"), why.msg);
            }
            d->envelope[d->n_envelope++] =
                (struct cert_envelope){.group = pt->group, .x0 = a, .x1 = b, .mpe0 = m0,
                                       .mpe1 = m1};
        }
    }
    return 0;
}

const char *cert_nominal_unit(const struct cert_doc *d)
{
    return d->x_unit[0] != '\0' ? d->x_unit : d->unit;
}

/* The curve's reported figures (cert.h, struct cert_curve). */
static void curve_figures(struct cert_doc *d, const struct ana_result *r)
{
    struct cert_curve *c = &d->curve;
    d->has_curve = true;
    snprintf(c->form, sizeof c->form, "cvd");
    const double v[3] = {r->cvd.r0, r->cvd.a, r->cvd.b};
    c->k = r->curve_k;
    for (int i = 0; i < 3; i++) {
        c->U[i] = two_digits(r->curve_k * r->cvd.u[i]);
        c->coef[i] = cert_round(v[i], cert_decimals(c->U[i]));
    }
    c->r_r0_a = cert_round(r->cvd.corr[1], 4);
    c->r_r0_b = cert_round(r->cvd.corr[2], 4);
    c->r_a_b = cert_round(r->cvd.corr[5], 4);
    c->chi2 = two_digits(r->fit.chisq);
    c->dof = r->fit.dof;
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
                       _("%s: the run is %s; a certificate is issued for a complete run "
                       "(resume it first)"),
                       run_path, v->info.status);
    if (job->signatory >= lab->n_signatories)
        return cd_fail(err, CD_ERR_INVALID, _("signatory %zu: the lab lists %zu"), job->signatory + 1,
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
        return cd_fail(err, CD_ERR_NOMEM, _("out of memory"));
    rc = 0;
    d->lab = lab;
    COPY(d->run_path, run_path);
    COPY(d->run_id, v->info.run_id);
    if ((rc = cert_doc_dates(d, lab, job, v->info.started, "calibration", "started", err)) != 0) {
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
    COPY(d->amends, job->amends);
    COPY(d->amend_reason, job->reason);
    COPY(d->place, job->place != NULL ? job->place : "laboratory");
    /* The instrument the run talked to is the item's unless it read the
     * reference (an item read by eye, issue 16): its identity is then not
     * the item's, which is stated (--item-serial, --item-model, ...). */
    if (v->device.side[0] == '\0' || strcmp(v->device.side, DAQ_SIDE_ITEM) == 0) {
        COPY(d->item_manufacturer, v->device.id.manufacturer);
        COPY(d->item_model, v->device.id.model);
        COPY(d->item_serial, v->device.id.serial);
        COPY(d->item_firmware, v->device.id.firmware);
    }
    if (d->item_model[0] == '\0' && job->item_model != NULL)
        COPY(d->item_model, job->item_model);
    if (d->item_manufacturer[0] == '\0' && job->item_manufacturer != NULL)
        COPY(d->item_manufacturer, job->item_manufacturer);
    stated_serial(v, d->item_serial_stated, sizeof d->item_serial_stated);
    if (job->item_serial != NULL)
        COPY(d->item_serial_stated, job->item_serial);
    if (d->item_serial[0] == '\0' && d->item_serial_stated[0] == '\0') {
        cert_doc_free(d);
        return cd_fail(err, CD_ERR_INVALID,
                       _("%s: the instrument reported no serial number and none was stated: a "
                       "certificate must identify the item (caldaq cert --item-serial S)"),
                       run_path);
    }
    COPY(d->title_en, p->title_en);
    COPY(d->title_vi, p->title_vi);
    COPY(d->method, p->method);
    COPY(d->national_document, p->national_document);
    COPY(d->method_vi, p->method_vi != NULL ? p->method_vi : "");
    COPY(d->national_document_vi, p->national_document_vi != NULL ? p->national_document_vi : "");
    COPY(d->profile_name, p->name);
    COPY(d->unit, p->unit);
    COPY(d->x_unit, prof_reference_unit(p));
    if (r->has_curve)
        curve_figures(d, r);
    /* the conditions as reported: 0.1 degC, 1 %RH, 0.1 hPa */
    d->temp_c = cert_round(r->env[0], 1);
    d->rh_pct = cert_round(r->env[1], 0);
    d->p_hpa = cert_round(r->env[2], 1);
    if (r->has_air) {
        d->has_air = true;
        d->air_measured = r->air.measured;
        d->u_rho_a = two_digits(r->air.u);
        d->rho_a = cert_round(r->air.rho, cert_decimals(d->u_rho_a));
    }
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
        return cd_fail(err, CD_ERR_NOMEM, _("out of memory"));
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
                                  .k = NAN, .p = NAN, .range = pt->range, .up = NAN,
                                  .down = NAN, .hysteresis = NAN, .pfa = NAN,
                                  .pfa_dof = NAN, .x = NAN};
        COPY(cp->verdict, point_verdict(pt));
        d->ranges |= isfinite(pt->range);
        if (!pt->measured)
            continue;
        /* the reported figures (GUM 7.2.6), rounded once, here */
        cp->U = two_digits(pt->U);
        int dec = cert_decimals(cp->U);
        /* the reference value the error is taken against: the standard's
         * value with the budget's corrections (air buoyancy, height
         * difference), I - E, so that a reader's I - reference is E */
        cp->reference = cert_round(pt->stats[PROF_STAT_MEAN] - pt->error, dec);
        cp->mean = cert_round(pt->stats[PROF_STAT_MEAN], dec);
        cp->error = cert_round(pt->error, dec);
        cp->k = cert_round(pt->k, 2);
        if (r->has_curve)
            cp->x = cert_round(pt->x, CERT_CURVE_X_DEC);
        cp->p = p->budget.coverage.k > 0 ? NAN : pt->p;
        if (isfinite(pt->stats[PROF_STAT_MEAN_DOWN])) {
            d->up_down = true;
            cp->up = cert_round(pt->stats[PROF_STAT_MEAN_UP], dec);
            cp->down = cert_round(pt->stats[PROF_STAT_MEAN_DOWN], dec);
            cp->hysteresis = cert_round(pt->stats[PROF_STAT_HYSTERESIS], dec);
        }
        d->has_pfa = true;
        cp->pfa = two_digits(pt->decision.pfa);
        cp->pfa_dof = pt->decision.pfa_dof;
        if (worst == NULL || pt->U > worst->U)
            worst = pt;
    }
    if ((rc = side_tests(d, r, p)) != 0 || (rc = envelope(d, r, p, err)) != 0) {
        cert_doc_free(d);
        return rc == CD_ERR_NOMEM ? cd_fail(err, rc, _("out of memory")) : rc;
    }
    if (worst != NULL) {
        d->worst_nominal = worst->nominal;
        d->worst_u = two_digits(worst->u);
        d->budget = calloc(worst->n_rows + 1, sizeof *d->budget);
        if (d->budget == NULL) {
            cert_doc_free(d);
            return cd_fail(err, CD_ERR_NOMEM, _("out of memory"));
        }
        for (size_t i = 0; i < worst->n_rows; i++) {
            const struct ana_budget_row *b = &worst->rows[i];
            struct cert_budget_row *cb = &d->budget[d->n_budget++];
            COPY(cb->name, b->name);
            COPY(cb->label, b->label);
            COPY(cb->label_vi, b->label_vi);
            /* the annex's figures to four significant digits (cert.h) */
            cb->x = sig4(b->x);
            cb->u = sig4(b->u);
            cb->c = sig4(b->c);
            cb->contribution = sig4(b->contribution);
            cb->share = cert_round(b->share, 3);
            cb->dof = b->dof;
            COPY(cb->source, b->source);
            COPY(cb->source_vi, b->source_vi);
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

/* ------------------------------------------------------------ JSON */

static json_t *num(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

/* A JSON builder that writes each reported figure either as a number (its
 * rounded value: cert_json) or, for the file, as a marked string holding
 * its digits, which the writer turns back into a bare number. */
#define FIG_MARK "\x01"

json_t *cert_json_fig(struct cert_jb *b, double v, int dec, bool exact)
{
    if (!isfinite(v))
        return json_null();
    char text[64];
    if (exact)
        cert_fmt_exact(v, dec, text, sizeof text);
    else
        cert_fmt(v, dec, text, sizeof text);
    if (!b->marks)
        return json_real(strtod(text, NULL));
    char marked[80];
    snprintf(marked, sizeof marked, FIG_MARK "%s", text);
    b->n_marks++;
    return json_string(marked);
}

static json_t *fig(struct cert_jb *b, double v, int dec, bool exact)
{
    return cert_json_fig(b, v, dec, exact);
}

/* The English msgid of the coverage statement a fixed k = 2 needs; NULL
 * when none. */
static const char *coverage_statement(const struct cert_doc *d)
{
    bool fixed2 = false;
    for (size_t i = 0; i < d->n_points; i++)
        fixed2 |= d->points[i].measured && isnan(d->points[i].p) && d->points[i].k == 2;
    if (!fixed2)
        return NULL;
    /* xgettext:no-c-format */
    return N_("k = 2, corresponding to a coverage probability of approximately 95 % for a "
              "normal distribution");
}

const char *cert_role_msgid(const char *role)
{
    static const char *const known[] = {N_("reference"), N_("weights"), N_("calibrator"),
                                        N_("environment")};
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (strcmp(role, known[i]) == 0)
            return known[i];
    return role;
}

/* `vi`: the catalogue of the Vietnamese texts (NULL: the English ones in
 * their place). */
static json_t *build_json(const struct cert_doc *d, const struct cd_catalog *vi,
                          struct cert_jb *b)
{
    const char *results_only = N_("The results relate only to the item calibrated.");
    json_t *pts = json_array(), *stds = json_array(), *budget = json_array();
    for (size_t i = 0; i < d->n_points; i++) {
        const struct cert_point *p = &d->points[i];
        int dec = cert_point_decimals(p);
        json_t *o = json_pack(
            "{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:b, s:s}", "nominal",
            fig(b, p->nominal, CERT_DEC_NONE, false), "reference",
            fig(b, p->reference, dec, false), "indication", fig(b, p->mean, dec, false),
            "error", fig(b, p->error, dec, false), "U", fig(b, p->U, dec, false), "k",
            fig(b, p->k, 2, false), "coverage_probability", fig(b, p->p, CERT_DEC_NONE, false),
            "mpe",
            fig(b, p->mpe, dec, true), "measured", p->measured, "verdict", p->verdict);
        if (o != NULL && d->ranges)
            json_object_set_new(o, "range", fig(b, p->range, CERT_DEC_NONE, false));
        if (o != NULL && d->up_down) {
            json_object_set_new(o, "indication_up", fig(b, p->up, dec, false));
            json_object_set_new(o, "indication_down", fig(b, p->down, dec, false));
            json_object_set_new(o, "hysteresis", fig(b, p->hysteresis, dec, false));
        }
        if (o != NULL && d->has_curve)
            json_object_set_new(o, "x", fig(b, p->x, CERT_CURVE_X_DEC, false));
        if (o != NULL && d->has_pfa && p->measured) {
            json_object_set_new(o, "pfa", fig(b, p->pfa, cert_decimals(p->pfa), false));
            json_object_set_new(o, "pfa_distribution",
                                json_string(isinf(p->pfa_dof) ? "normal" : "t"));
            json_object_set_new(o, "pfa_dof", num(p->pfa_dof));
        }
        json_array_append_new(pts, o);
    }
    for (size_t i = 0; i < d->n_standards; i++)
        json_array_append_new(stds, json_pack("{s:s, s:s, s:s, s:s}", "id", d->standards[i].id,
                                              "role", d->standards[i].role, "certificate",
                                              d->standards[i].certificate, "due",
                                              d->standards[i].due));
    for (size_t i = 0; i < d->n_budget; i++) {
        const struct cert_budget_row *r = &d->budget[i];
        json_array_append_new(
            budget, json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o}", "name", r->name,
                              "label", r->label, "source", r->source, "x",
                              fig(b, r->x, cert_sig_decimals(r->x, 4), false), "u",
                              fig(b, r->u, cert_sig_decimals(r->u, 4), false), "c",
                              fig(b, r->c, cert_sig_decimals(r->c, 4), false), "contribution",
                              fig(b, r->contribution, cert_sig_decimals(r->contribution, 4),
                                  false),
                              "share", fig(b, r->share, 3, false), "dof", num(r->dof)));
        /* the profile's Vietnamese label, when it gives one */
        if (r->label_vi[0] != '\0')
            json_object_set_new(json_array_get(budget, json_array_size(budget) - 1), "label_vi",
                                json_string(r->label_vi));
        if (r->source_vi[0] != '\0')
            json_object_set_new(json_array_get(budget, json_array_size(budget) - 1), "source_vi",
                                json_string(r->source_vi));
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
        "temp_c", fig(b, d->temp_c, 1, false), "rh_pct", fig(b, d->rh_pct, 0, false), "p_hpa",
        fig(b, d->p_hpa, 1, false), "standards",
        stds, "unit", d->unit, "results", pts, "decision_rule", "rule", d->decision_rule,
        "guard_band_r", strcmp(d->decision_rule, "guard-band") == 0 ? json_real(d->guard_r)
                                                                    : json_null(),
        "verdict", d->verdict, "annex_budget_at", fig(b, d->worst_nominal, CERT_DEC_NONE, false), "annex_budget", budget,
        "authorised_by", "name", d->signatory, "title_en", d->signatory_title_en, "title_vi",
        d->signatory_title_vi, "run", "file", d->run_path, "id", d->run_id, "sha256",
        d->run_sha256, "statements", "en", results_only, "vi",
        cd_catalog_text(vi, results_only));
    if (root == NULL)
        return NULL;
    /* the profile's Vietnamese of the method and the national document */
    if (d->method_vi[0] != '\0')
        json_object_set_new(json_object_get(root, "method"), "procedure_vi",
                            json_string(d->method_vi));
    if (d->national_document_vi[0] != '\0')
        json_object_set_new(json_object_get(root, "method"), "national_document_vi",
                            json_string(d->national_document_vi));
    json_object_set_new(json_object_get(root, "lab"), "traceability",
                        json_pack("{s:s, s:s}", "en", l->traceability_en, "vi",
                                  l->traceability_vi));
    /* ISO/IEC 17025 7.8.8.2: an amendment says what it replaces and why */
    json_object_set_new(root, "amends",
                        d->amends[0] ? json_pack("{s:s, s:s}", "number", d->amends, "reason",
                                                 d->amend_reason)
                                     : json_null());
    json_object_set_new(root, "software",
                        json_pack("{s:s, s:s}", "name", "caldaq", "release", CALDAQ_VERSION));
    if (d->n_budget > 0)
        json_object_set_new(root, "annex_u", fig(b, d->worst_u, cert_decimals(d->worst_u), false));
    if (d->n_envelope > 0) {
        /* the chart's +-MPE envelope: [group, x0, x1, mpe at x0, mpe at x1] */
        json_t *env_pieces = json_array();
        for (size_t i = 0; i < d->n_envelope; i++) {
            const struct cert_envelope *e = &d->envelope[i];
            json_array_append_new(
                env_pieces, json_pack("[I, o, o, o, o]", (json_int_t)e->group + 1,
                                      fig(b, e->x0, CERT_DEC_NONE, true),
                                      fig(b, e->x1, CERT_DEC_NONE, true),
                                      fig(b, e->mpe0, CERT_DEC_NONE, true),
                                      fig(b, e->mpe1, CERT_DEC_NONE, true)));
        }
        json_object_set_new(root, "mpe_envelope", env_pieces);
    }
    if (coverage_statement(d) != NULL)
        json_object_set_new(root, "coverage_statement",
                            json_pack("{s:s, s:s}", "en", coverage_statement(d), "vi",
                                      cd_catalog_text(vi, coverage_statement(d))));
    if (d->has_curve) {
        /* the nominal values and x are the reference's, in x_unit */
        json_object_set_new(root, "x_unit", json_string(d->x_unit));
        const struct cert_curve *c = &d->curve;
        json_t *cj = json_object();
        static const char *const names[3] = {"R0", "A", "B"};
        for (int i = 0; i < 3; i++) {
            int dec = cert_decimals(c->U[i]);
            json_object_set_new(cj, names[i], json_pack("{s:o, s:o}", "value",
                                                        fig(b, c->coef[i], dec, false), "U",
                                                        fig(b, c->U[i], dec, false)));
        }
        json_object_set_new(cj, "form", json_string(c->form));
        json_object_set_new(cj, "k", fig(b, c->k, 2, false));
        json_object_set_new(cj, "correlation",
                            json_pack("{s:o, s:o, s:o}", "R0_A", fig(b, c->r_r0_a, 4, false),
                                      "R0_B", fig(b, c->r_r0_b, 4, false), "A_B",
                                      fig(b, c->r_a_b, 4, false)));
        json_object_set_new(cj, "chi2", fig(b, c->chi2, cert_decimals(c->chi2), false));
        json_object_set_new(cj, "dof", json_real(c->dof));
        json_object_set_new(root, "curve", cj);
    }
    json_t *env = json_object_get(root, "environment");
    if (d->has_air) {
        int dec = cert_decimals(d->u_rho_a);
        json_object_set_new(env, "air_density",
                            json_pack("{s:o, s:o, s:s, s:s}", "value",
                                      fig(b, d->rho_a, dec, false), "u",
                                      fig(b, d->u_rho_a, dec, false), "unit", "kg/m3",
                                      "source",
                                      d->air_measured
                                          ? "OIML R111-1:2004 E.3-1 from the conditions measured"
                                          : "the procedure's estimate: the conditions were not "
                                            "measured"));
    }
    if (d->has_repeatability)
        json_object_set_new(root, "repeatability",
                            json_pack("{s:o, s:I, s:o, s:o}", "load",
                                      fig(b, d->rep_load, CERT_DEC_NONE, false), "n",
                                      (json_int_t)d->rep_n, "mean",
                                      fig(b, d->rep_mean, d->dec_d, false), "s",
                                      fig(b, d->rep_s,
                                          d->rep_s > 0 ? cert_decimals(d->rep_s) : d->dec_d,
                                          false)));
    if (d->n_positions > 0) {
        json_t *pos = json_array();
        for (size_t i = 0; i < d->n_positions; i++)
            json_array_append_new(
                pos, json_pack("{s:s, s:o, s:o}", "position", d->positions[i].name,
                               "indication", fig(b, d->positions[i].indication, d->dec_d, false),
                               "deviation", fig(b, d->positions[i].deviation, d->dec_d, false)));
        json_object_set_new(root, "eccentricity",
                            json_pack("{s:o, s:o, s:o}", "load",
                                      fig(b, d->ecc_load, CERT_DEC_NONE, false), "positions",
                                      pos, "max_deviation",
                                      fig(b, d->ecc_max, d->dec_d, false)));
    }
    return root;
}

json_t *cert_json(const struct cert_doc *d)
{
    struct cert_jb b = {.marks = false};
    return build_json(d, d->vi, &b);
}

/* `"\u0001DIGITS"` (a marked figure as jansson escapes it) -> DIGITS. */
static size_t unmark(char *text)
{
    static const char mark[] = "\"\\u0001";
    size_t n = 0;
    char *w = text;
    for (const char *r = text; *r;) {
        if (strncmp(r, mark, sizeof mark - 1) == 0) {
            const char *q = r + sizeof mark - 1;
            size_t len = strspn(q, "-0123456789.");
            if (len > 0 && q[len] == '"') {
                memmove(w, q, len);
                w += len;
                r = q + len + 1;
                n++;
                continue;
            }
        }
        *w++ = *r++;
    }
    *w = '\0';
    return n;
}

int cert_write_json(const struct cert_doc *d, const char *xml_sha256, const char *path,
                    struct cd_err *err)
{
    struct cert_jb b = {.marks = true};
    struct cd_catalog *own = NULL;
    if (d->vi == NULL) {
        int rc = cd_catalog_open("vi", &own, err);
        if (rc != 0)
            return rc;
    }
    json_t *j = build_json(d, d->vi != NULL ? d->vi : own, &b);
    cd_catalog_close(own);
    if (j == NULL)
        return cd_fail(err, CD_ERR_NOMEM, _("certificate JSON: out of memory"));
    if (xml_sha256 != NULL && xml_sha256[0] != '\0')
        json_object_set_new(j, "xml_sha256", json_string(xml_sha256));
    int rc = cert_json_write(j, &b, "certificate JSON", path, err);
    json_decref(j);
    return rc;
}

int cert_json_write(const json_t *j, const struct cert_jb *b, const char *what,
                    const char *path, struct cd_err *err)
{
    char *text = json_dumps(j, JSON_INDENT(2) | JSON_REAL_PRECISION(17));
    if (text == NULL)
        return cd_fail(err, CD_ERR_NOMEM, _("%s: out of memory"), what);
    /* every marked figure and nothing else: a text of the document that
     * began with the mark would be found here too, and be refused */
    size_t n = unmark(text);
    json_t *check = n == b->n_marks ? json_loads(text, 0, NULL) : NULL;
    if (check == NULL) {
        free(text);
        return cd_fail(err, CD_ERR_INVALID, _("%s: a text of the document holds a control character"),
                       what);
    }
    json_decref(check);
    FILE *f = cert_file_create(path); /* 0640 whatever the umask */
    int rc = 0;
    if (f == NULL) {
        rc = cd_fail(err, CD_ERR_IO, _("%s: cannot write"), path);
    } else {
        size_t len = strlen(text);
        bool ok = fwrite(text, 1, len, f) == len && fputc('\n', f) != EOF;
        if (fclose(f) != 0 || !ok) {
            remove(path);
            rc = cd_fail(err, CD_ERR_IO, _("%s: cannot write"), path);
        }
    }
    free(text);
    return rc;
}
