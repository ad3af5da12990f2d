/* The PDFs of a verification (cert_verif.c, docs/verification.md
 * "Documents"): the certificate, the notice of failure and the record,
 * laid out with the calibration certificate's pages, blocks and tables
 * (cert_pdf.c through cert_priv.h: the same fonts, running header, page x
 * of y, QR code and signature). Vietnamese first; the terms are those of
 * the ĐLVN documents and Thông tư 23/2013/TT-BKHCN (giấy chứng nhận kiểm
 * định, tem kiểm định, đơn vị sử dụng, phương pháp thực hiện). */
#include "cd_i18n.h"
#include "cert.h"
#include "cert_priv.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define L cert_pdf_L
#define F cert_pdf_fmt

static const char *dash(const char *s)
{
    return s != NULL && s[0] != '\0' ? s : "—";
}

static const char *result_text(struct pdf *p, bool measured, bool passed)
{
    if (!measured)
        return L(p, N_("not measured"));
    return passed ? L(p, N_("Pass")) : L(p, N_("Fail"));
}

/* ---------------------------------------------------------------- blocks */

static void identification(struct pdf *p, const struct cert_verif *v)
{
    const struct cert_doc *d = v->doc;
    cert_pdf_heading(p, L(p, N_("Measuring instrument")));
    cert_pdf_kv(p, L(p, N_("Measuring instrument")),
                cert_pdf_pick(p, d->title_vi, d->title_en));
    cert_pdf_kv(p, L(p, N_("Type / model")), d->item_model);
    cert_pdf_kv(p, L(p, N_("Serial No.")),
                d->item_serial_stated[0] != '\0' ? d->item_serial_stated : d->item_serial);
    cert_pdf_kv(p, L(p, N_("Manufacturer")), d->item_manufacturer);
    const char *spec = "";
    if (v->range[0] != '\0' && v->accuracy[0] != '\0')
        spec = F(p, "%s: %s; %s: %s", L(p, N_("Measuring range")), v->range,
                 L(p, N_("Accuracy class")), v->accuracy);
    else if (v->range[0] != '\0')
        spec = F(p, "%s: %s", L(p, N_("Measuring range")), v->range);
    else if (v->accuracy[0] != '\0')
        spec = F(p, "%s: %s", L(p, N_("Accuracy class")), v->accuracy);
    cert_pdf_kv(p, L(p, N_("Specifications")), spec);
    cert_pdf_kv(p, L(p, N_("Owner")), d->customer);
    if (d->customer_address[0] != '\0')
        cert_pdf_kv(p, L(p, N_("Address")), d->customer_address);
    cert_pdf_kv(p, L(p, N_("Procedure")),
                d->national_document[0] != '\0'
                    ? cert_pdf_pick(p, d->national_document_vi, d->national_document)
                    : cert_pdf_pick(p, d->method_vi, d->method));
    const char *place = strcmp(d->place, "customer") == 0
                            ? F(p, "%s (%s)", L(p, N_("at the owner's premises")),
                                dash(d->customer_address))
                            : L(p, N_("at the verification body"));
    cert_pdf_kv(p, L(p, N_("Place of verification")), place);
    cert_pdf_kv(p, L(p, N_("Date of verification")), d->calibrated);
    if (d->received[0] != '\0')
        cert_pdf_kv(p, L(p, N_("Date received")), d->received);
    cert_pdf_kv(p, L(p, N_("Date of issue")), d->issued);
}

struct ptable {
    const struct cert_verif *v;
    size_t idx[512];            /* the rows shown: indexes into v->points */
    size_t n;
    int cols[7];                /* what each column shows: enum pcol */
};

enum pcol { PC_NOMINAL, PC_READING, PC_REFERENCE, PC_ERROR, PC_HYSTERESIS, PC_MPE, PC_RESULT };

/* Which points a table shows. */
enum prows {
    PR_ALL,
    PR_FAILED,                  /* measured, outside the MPE */
    PR_UNMEASURED,
};

static void point_cell(struct pdf *p, const void *ctx, size_t r, size_t c, char *buf, size_t n)
{
    const struct ptable *t = ctx;
    const struct cert_verif_point *o = &t->v->points[t->idx[r]];
    const char *s = "—";
    switch ((enum pcol)t->cols[c]) {
    case PC_NOMINAL: s = cert_pdf_num(p, o->nominal, CERT_DEC_NONE); break;
    case PC_READING: s = dash(o->item_text); break;
    case PC_REFERENCE: s = o->measured ? cert_pdf_num(p, o->reference, o->dec) : "—"; break;
    case PC_ERROR: s = o->measured ? cert_pdf_num(p, o->error, o->dec) : "—"; break;
    case PC_HYSTERESIS: s = o->measured ? cert_pdf_num(p, o->hysteresis, o->dec) : "—"; break;
    case PC_MPE: s = cert_pdf_limit(p, o->mpe, o->dec); break;
    case PC_RESULT: s = result_text(p, o->measured, o->passed); break;
    }
    snprintf(buf, n, "%s", s);
}

static bool point_shown(const struct cert_verif_point *o, enum prows rows)
{
    return rows == PR_ALL || (rows == PR_FAILED && o->measured && !o->passed) ||
           (rows == PR_UNMEASURED && !o->measured);
}

/* The points of the metrological test (`rows` of them): nominal, the
 * readings as read (up; down), the reference value, the error, the
 * hysteresis when read both ways, the MPE, the result. */
static void points_table(struct pdf *p, const struct cert_verif *v, enum prows rows)
{
    struct ptable t = {.v = v};
    for (size_t i = 0; i < v->n_points && t.n < sizeof t.idx / sizeof t.idx[0]; i++)
        if (point_shown(&v->points[i], rows))
            t.idx[t.n++] = i;
    const char *u = v->doc->unit;
    bool h = v->has_hysteresis;
    const struct {
        enum pcol id;
        const char *msgid;
        double w, wh; /* without and with the hysteresis column */
        enum cert_pdf_align a;
    } all[] = {
        {PC_NOMINAL, N_("Nominal value"), 70, 62, CERT_PDF_RIGHT},
        {PC_READING, N_("Instrument reading, as read"), 110, 100, CERT_PDF_RIGHT},
        {PC_REFERENCE, N_("Reference value"), 85, 76, CERT_PDF_RIGHT},
        {PC_ERROR, N_("Error"), 70, 62, CERT_PDF_RIGHT},
        {PC_HYSTERESIS, N_("Hysteresis"), 0, 60, CERT_PDF_RIGHT},
        {PC_MPE, N_("MPE"), 75, 68, CERT_PDF_RIGHT},
        {PC_RESULT, N_("Result"), 0, 0, CERT_PDF_CENTER},
    };
    struct cert_pdf_col cols[7];
    size_t nc = 0;
    double rest = CERT_PDF_TEXT_W;
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        if (all[i].id == PC_HYSTERESIS && !h)
            continue;
        double w = all[i].id == PC_RESULT ? rest : h ? all[i].wh : all[i].w;
        const char *head = all[i].id == PC_RESULT ? L(p, all[i].msgid)
                                                  : F(p, "%s (%s)", L(p, all[i].msgid), u);
        cols[nc] = (struct cert_pdf_col){head, w, all[i].a};
        t.cols[nc++] = all[i].id;
        rest -= w;
    }
    cert_pdf_table(p, cols, nc, t.n, point_cell, &t);
}

struct ctable {
    const struct cert_verif *v;
    size_t idx[256];
    size_t n;
};

static const char *stage_text(struct pdf *p, const char *stage)
{
    if (strcmp(stage, "external") == 0)
        return L(p, N_("External inspection"));
    if (strcmp(stage, "technical") == 0)
        return L(p, N_("Technical inspection"));
    return dash(stage);
}

static void check_cell(struct pdf *p, const void *ctx, size_t r, size_t c, char *buf, size_t n)
{
    const struct ctable *t = ctx;
    const struct cert_verif_check *o = &t->v->checks[t->idx[r]];
    const char *s;
    switch (c) {
    case 0: s = stage_text(p, o->stage); break;
    case 1: s = cert_pdf_pick(p, o->text_vi, o->text_en); break;
    case 2: s = dash(o->clause); break;
    case 3: s = o->answered ? dash(o->answer) : L(p, N_("not answered")); break;
    default: s = o->answered ? result_text(p, true, o->passed) : L(p, N_("Fail")); break;
    }
    snprintf(buf, n, "%s", s);
}

static void checks_table(struct pdf *p, const struct cert_verif *v, bool failed)
{
    struct ctable t = {.v = v};
    for (size_t i = 0; i < v->n_checks && t.n < sizeof t.idx / sizeof t.idx[0]; i++)
        if (!failed || !v->checks[i].passed)
            t.idx[t.n++] = i;
    if (t.n == 0 && failed)
        return;
    const struct cert_pdf_col cols[] = {
        {L(p, N_("Stage")), 80, CERT_PDF_LEFT},
        {L(p, N_("Check")), 205, CERT_PDF_LEFT},
        {L(p, N_("Clause")), 60, CERT_PDF_CENTER},
        {L(p, N_("Answer (as typed)")), 75, CERT_PDF_CENTER},
        {L(p, N_("Result")), CERT_PDF_TEXT_W - 420, CERT_PDF_CENTER},
    };
    cert_pdf_table(p, cols, 5, t.n, check_cell, &t);
}

static void statement(struct pdf *p, const struct cert_verif *v)
{
    cert_pdf_para(p,
                  F(p, "%s: %s", L(p, N_("Result")),
                    v->passed ? L(p, N_("meets the metrological requirements"))
                              : L(p,
                                  N_("does not meet the metrological requirements"))),
                  10.5, true);
}

/* ---------------------------------------------------------------- certificate */

static void certificate_body(struct pdf *p, const void *ctx)
{
    const struct cert_verif *v = ctx;
    cert_pdf_top(p);
    identification(p, v);
    cert_pdf_space(p, 4);
    statement(p, v);
    cert_pdf_kv(p, L(p, N_("Stamp or seal No.")), v->stamp);
    cert_pdf_kv(p, L(p, N_("Valid until")), v->valid_until);
    cert_pdf_para(p,
                  F(p, "%s: %d %s (%s)", L(p, N_("Verification cycle")),
                    v->cycle_months, L(p, N_("months")), dash(v->cycle_source)),
                  8, false);

    cert_pdf_new_page(p);
    cert_pdf_para(p, L(p, N_("Annex: verification results")), 11,
                  true);
    cert_pdf_conditions(p);
    cert_pdf_standards(p);
    cert_pdf_heading(p, L(p,
                          N_("External and technical inspection")));
    checks_table(p, v, false);
    cert_pdf_heading(p, L(p, N_("Metrological test")));
    points_table(p, v, PR_ALL);
    cert_pdf_signature(p, N_("End of certificate"));
}

/* ---------------------------------------------------------------- notice */

static void notice_body(struct pdf *p, const void *ctx)
{
    const struct cert_verif *v = ctx;
    cert_pdf_top(p);
    identification(p, v);
    cert_pdf_space(p, 4);
    statement(p, v);
    bool check_failed = false, point_failed = false, unmeasured = false, measured = false;
    for (size_t i = 0; i < v->n_checks; i++)
        check_failed |= !v->checks[i].passed;
    for (size_t i = 0; i < v->n_points; i++) {
        point_failed |= point_shown(&v->points[i], PR_FAILED);
        unmeasured |= !v->points[i].measured;
        measured |= v->points[i].measured;
    }
    if (check_failed) {
        cert_pdf_heading(p, L(p, N_("Checks that failed")));
        checks_table(p, v, true);
    }
    if (point_failed) {
        cert_pdf_heading(p, L(p,
                              N_("Points of the metrological test that failed")));
        points_table(p, v, PR_FAILED);
    }
    if (check_failed && !measured) {
        /* the procedure stops at a check that fails */
        cert_pdf_para(p, L(p,
                           N_("The metrological test was not carried out.")),
                      8.5, false);
    } else if (unmeasured && !check_failed && !point_failed) {
        cert_pdf_heading(p, L(p,
                              N_("Points of the metrological test not measured")));
        points_table(p, v, PR_UNMEASURED);
    }
    cert_pdf_para(p,
                  L(p,
                    N_("No verification stamp is put on the instrument; no verification "
                    "certificate is issued.")),
                  8.5, false);
    cert_pdf_conditions(p);
    cert_pdf_standards(p);
    cert_pdf_signature(p, N_("End of notice"));
}

/* ---------------------------------------------------------------- record */

static const char *side_text(struct pdf *p, const char *side)
{
    if (strcmp(side, DAQ_SIDE_REFERENCE) == 0)
        return L(p, N_("reference"));
    if (strcmp(side, DAQ_SIDE_CHECK) == 0)
        return L(p, N_("check"));
    return L(p, N_("instrument"));
}

static void reading_cell(struct pdf *p, const void *ctx, size_t r, size_t c, char *buf, size_t n)
{
    const struct cert_verif_reading *o = (const struct cert_verif_reading *)ctx + r;
    bool check = strcmp(o->side, DAQ_SIDE_CHECK) == 0;
    bool typed = strcmp(o->source, DAQ_SOURCE_OPERATOR) == 0;
    const char *s;
    switch (c) {
    case 0: s = dash(o->when); break;
    case 1: s = check ? dash(o->role) : cert_pdf_num(p, o->nominal, CERT_DEC_NONE); break;
    case 2: s = side_text(p, o->side); break;
    case 3: s = typed ? L(p, N_("typed")) : L(p, N_("read from the instrument")); break;
    case 4: s = dash(o->text); break;
    case 5:
        s = check  ? (o->value == 1 ? L(p, N_("Pass")) : L(p, N_("Fail")))
            : isfinite(o->value) ? F(p, "%s %s", cert_pdf_num(p, o->value, CERT_DEC_NONE), o->unit)
                                 : dash(o->status);
        break;
    default: s = dash(o->who); break;
    }
    snprintf(buf, n, "%s", s);
}

static void record_body(struct pdf *p, const void *ctx)
{
    const struct cert_verif *v = ctx;
    const struct cert_doc *d = v->doc;
    cert_pdf_top(p);
    identification(p, v);
    cert_pdf_heading(p, L(p, N_("Performed")));
    cert_pdf_kv(p, L(p, N_("Operator")), v->operator_name);
    cert_pdf_kv(p, L(p, N_("How each side was read")),
                F(p, "%s: %s; %s: %s; %s: %s", L(p, N_("instrument")),
                  dash(v->item_read), L(p, N_("reference")), dash(v->ref_read),
                  L(p, N_("method")), dash(v->method)));
    if (v->ref_instrument[0] != '\0')
        cert_pdf_kv(p, L(p, N_("Reference instrument")), v->ref_instrument);
    cert_pdf_kv(p, L(p, N_("Readings typed")), F(p, "%zu", v->n_typed));
    cert_pdf_kv(p, L(p, N_("Run file")), F(p, "%s (sha256 %s)", d->run_id,
                                                       d->run_sha256));
    cert_pdf_conditions(p);
    cert_pdf_standards(p);
    cert_pdf_heading(p, L(p,
                          N_("External and technical inspection")));
    checks_table(p, v, false);
    cert_pdf_heading(p, L(p,
                          N_("Every reading, as typed or displayed")));
    const struct cert_pdf_col cols[] = {
        {L(p, N_("When")), 78, CERT_PDF_LEFT},
        {F(p, "%s (%s)", L(p, N_("Point")), d->unit), 52, CERT_PDF_RIGHT},
        {L(p, N_("Side")), 62, CERT_PDF_LEFT},
        {L(p, N_("Source")), 58, CERT_PDF_LEFT},
        {L(p, N_("As typed / displayed")), 80, CERT_PDF_RIGHT},
        {L(p, N_("Value")), 75, CERT_PDF_RIGHT},
        {L(p, N_("Typed by")), CERT_PDF_TEXT_W - 405, CERT_PDF_LEFT},
    };
    cert_pdf_table(p, cols, 7, v->n_readings, reading_cell, v->readings);
    cert_pdf_heading(p, L(p, N_("Metrological test")));
    points_table(p, v, PR_ALL);
    statement(p, v);
    if (v->passed) {
        cert_pdf_kv(p, L(p, N_("Stamp or seal No.")), v->stamp);
        cert_pdf_kv(p, L(p, N_("Valid until")), v->valid_until);
    }
    cert_pdf_signature(p, N_("End of record"));
}

int cert_verif_write_pdf(const struct cert_verif *v, bool record, const char *langs,
                         const char *qr_text, const char *path, struct cd_err *err)
{
    struct cert_pdf_spec spec = {.ctx = v};
    if (record) {
        spec = (struct cert_pdf_spec){N_("VERIFICATION RECORD"), N_("Record No."), record_body,
                                      v};
    } else if (v->passed) {
        spec = (struct cert_pdf_spec){N_("VERIFICATION CERTIFICATE"), N_("Certificate No."),
                                      certificate_body, v};
    } else {
        spec = (struct cert_pdf_spec){N_("NOTICE OF VERIFICATION FAILURE"), N_("Notice No."),
                                      notice_body, v};
    }
    return cert_pdf_write(v->doc, langs, qr_text, path, &spec, err);
}
