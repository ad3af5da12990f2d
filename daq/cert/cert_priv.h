/* Private to daq/cert/: what the calibration certificate's files share
 * with the verification documents (issue 16, cert_verif.c and
 * cert_verif_pdf.c): the dates, the JSON written with its figures' digits,
 * signing into a manifest, and the PDF's pages, blocks and tables. No
 * foreign type: cairo and pango stay in cert_pdf.c. */
#ifndef CALDAQ_CERT_PRIV_H
#define CALDAQ_CERT_PRIV_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "cert.h"

/* ---------------------------------------------------------------- dates (cert_doc.c) */

/* The document's dates in the lab's zone: d->calibrated is the day of
 * `when` (ISO 8601, the run's start or end) there, d->issued and
 * d->received the job's (issued: today); refused unless received <= that
 * day <= issued <= today. `event` names the day in the messages
 * ("calibration", "verification"), `which` the run's time ("started",
 * "ended"). */
int cert_doc_dates(struct cert_doc *d, const struct cert_lab *lab, const struct cert_job *job,
                   const char *when, const char *event, const char *which, struct cd_err *err);

/* ---------------------------------------------------------------- texts (cert_doc.c) */

/* A standard's role as the documents show it: the English msgid of a role
 * caldaq knows ("weights", "calibrator", "reference", "environment"),
 * translated through the document's catalogue; any other role as given. */
const char *cert_role_msgid(const char *role);

/* ---------------------------------------------------------------- JSON (cert_doc.c) */

/* A JSON document whose reported figures keep their digits (cert.h,
 * cert_write_json): with marks, cert_json_fig() puts a marked string that
 * cert_json_write() turns back into a bare number ("U": 0.0024); without,
 * a plain number. */
struct cert_jb {
    bool marks;
    size_t n_marks;
};
/* v with `dec` decimals (cert_fmt), or exact with at least `dec`
 * (cert_fmt_exact): null when not finite. */
json_t *cert_json_fig(struct cert_jb *b, double v, int dec, bool exact);
/* Write `j` (built with b->marks) to `path` with the certificate files'
 * mode; `what` names the document in messages. */
int cert_json_write(const json_t *j, const struct cert_jb *b, const char *what,
                    const char *path, struct cd_err *err);

/* ---------------------------------------------------------------- issuing (cert_sign.c) */

/* A file just written into a certificate's folder: its SHA-256 into
 * `files` under its base name, PATH.sig beside it. */
int cert_issue_sign(const char *path, const struct cert_lab *lab, json_t *files, bool quiet,
                    struct cd_err *err);
/* NUMBER.manifest.json of the files signed, with the members of `extra`
 * (may be NULL) added, and signed. */
int cert_manifest_write(const char *out_dir, const struct cert_doc *d, json_t *files,
                        json_t *extra, const struct cert_lab *lab, bool quiet,
                        struct cd_err *err);

/* ---------------------------------------------------------------- verification (cert_verif.c) */

/* One reading of the run as the record shows it: both sides and the
 * checklist, typed or read from an instrument. */
struct cert_verif_reading {
    double t;
    char when[20];                  /* YYYY-MM-DD HH:MM:SS in the lab's zone */
    int point;
    double nominal;
    char role[16], side[12], source[12], who[64];
    char text[64];                  /* as typed (operator) or as displayed (instrument) */
    double value;
    char unit[16], status[16];
};

/* One point of the metrological test as the documents report it. */
struct cert_verif_point {
    double nominal;
    char item_text[160];            /* the item's readings at the point, as typed or displayed */
    char ref_text[160];             /* the reference's */
    double item, reference, error, mpe; /* the mean indication, the reference value, E, MPE */
    double hysteresis;              /* biến sai: mean |down - up| (NAN: one direction only) */
    int dec;                        /* decimals of the figures: the finest reading's */
    bool measured, passed;
};

struct cert_verif_check {
    char id[64], stage[16], clause[64];
    char text_en[256], text_vi[256];
    bool answered, passed;
    char answer[64], who[64];       /* as typed, by whom */
};

struct cert_verif {
    struct cert_doc *doc;           /* number, lab, dates (calibrated: the day of verification),
                                     * customer, item, procedure, conditions, standards,
                                     * signatory, run */
    bool passed;                    /* every check đạt and every point within the MPE */
    bool has_hysteresis;            /* the points were read up and down */
    char stamp[64];                 /* passed only */
    char valid_until[11];           /* passed only */
    char instrument_type[64];
    int cycle_months;
    char cycle_source[1024];       /* the cycles table's source, as written there */
    char range[128], accuracy[128]; /* đặc trưng kỹ thuật, from the tolerance */
    char method[16];                /* "set-item", "set-reference" */
    char item_read[16], ref_read[16]; /* how each side was read: "typed", "instrument", ... */
    char operator_name[128];
    char ref_instrument[512];       /* the reference's instrument as it identified itself, its
                                     * driver and port; "" when the run talked to the item */
    size_t n_points, n_checks, n_readings, n_typed;
    struct cert_verif_point *points;
    struct cert_verif_check *checks;
    struct cert_verif_reading *readings;
};

/* The documents' content from an analysed verification run: refused (and
 * nothing written) when a passing verification has no stamp, or no cycles
 * table to give its validity date. `warning` gets a sentence to show ("" when
 * none): a stamp given for a failing verification is not used. */
int cert_verif_build(const struct ana_file *f, const struct cert_lab *lab,
                     const struct cert_job *job, struct cert_verif **out, char *warning,
                     size_t cap, struct cd_err *err);
void cert_verif_free(struct cert_verif *v);
/* The JSON of the certificate (or notice), or of the record: the figures
 * as numbers with their digits (cert_json_write). */
json_t *cert_verif_json(const struct cert_verif *v, bool record, struct cert_jb *b);
int cert_verif_write_json(const struct cert_verif *v, bool record, const char *path,
                          struct cd_err *err);
/* The PDF (cert_verif_pdf.c) of the certificate, the notice or the record. */
int cert_verif_write_pdf(const struct cert_verif *v, bool record, const char *langs,
                         const char *qr_text, const char *path, struct cd_err *err);


/* The documents of a verification run (kind verification, issue 16,
 * docs/verification.md "Documents"): the certificate or the notice of
 * failure, and the record, each as PDF and JSON, signed, in one manifest.
 * cert_issue() sends such runs here. */
int cert_verif_issue(const struct ana_file *f, const struct cert_lab *lab,
                     const struct cert_job *job, const char *out_dir, const char *format,
                     const char *langs, bool quiet, char number[64], struct cd_err *err);

/* ---------------------------------------------------------------- PDF (cert_pdf.c) */

struct pdf; /* cert_pdf.c's page state: the document, the languages, the cursor */

/* Texts are English msgids (N_()), shown in Vietnamese through the
 * document's catalogue (cert_doc.vi). */
struct cert_pdf_spec {
    const char *title;                 /* the first page's title */
    const char *number_label;          /* the number's label in the running header */
    void (*body)(struct pdf *p, const void *ctx); /* lays out every page */
    const void *ctx;
};

/* Write `d`'s PDF as cert_write_pdf() does (A4, number and page x of y on
 * every page, laid out twice, renamed into place) with `spec`'s body. */
int cert_pdf_write(const struct cert_doc *d, const char *langs, const char *qr_text,
                   const char *path, const struct cert_pdf_spec *spec, struct cd_err *err);

/* The first page's top: the running header, the lab, the logo, the QR
 * code, the title and the number. */
void cert_pdf_top(struct pdf *p);
/* Whether the document is in Vietnamese (vi) or in English (!vi). */
bool cert_pdf_has(const struct pdf *p, bool vi);
/* A fixed text in one side's language: the English msgid (!vi) or its
 * Vietnamese from the document's catalogue (vi). */
const char *cert_pdf_tr(const struct pdf *p, bool vi, const char *msgid);
/* Short-lived strings (a ring of them, reused after 48): a label in the
 * document's languages ("vi / en", from the English msgid `en`), a
 * formatted text, a reported figure
 * (cert_fmt, "—" when none), a limit (cert_fmt_exact), and one of two
 * texts (both when bilingual, the one there is when one is empty). */
const char *cert_pdf_L(struct pdf *p, const char *en);
const char *cert_pdf_fmt(struct pdf *p, const char *f, ...) __attribute__((format(printf, 2, 3)));
const char *cert_pdf_num(struct pdf *p, double v, int dec);
const char *cert_pdf_limit(struct pdf *p, double v, int dec);
const char *cert_pdf_pick(struct pdf *p, const char *vi, const char *en);

void cert_pdf_heading(struct pdf *p, const char *s);
void cert_pdf_para(struct pdf *p, const char *s, double size, bool bold);
void cert_pdf_kv(struct pdf *p, const char *label, const char *value);
void cert_pdf_space(struct pdf *p, double h);
void cert_pdf_new_page(struct pdf *p);

enum cert_pdf_align { CERT_PDF_LEFT, CERT_PDF_CENTER, CERT_PDF_RIGHT };
struct cert_pdf_col {
    const char *head;
    double w;                  /* points; the columns add up to CERT_PDF_TEXT_W */
    enum cert_pdf_align align;
};
#define CERT_PDF_TEXT_W 495.276
#define CERT_PDF_MAX_COLS 10
/* A table whose header row repeats on every page it runs onto; `cell`
 * writes row r, column c into buf. */
typedef void (*cert_pdf_cell_fn)(struct pdf *p, const void *ctx, size_t r, size_t c, char *buf,
                                 size_t n);
void cert_pdf_table(struct pdf *p, const struct cert_pdf_col *cols, size_t nc, size_t nr,
                    cert_pdf_cell_fn cell, const void *ctx);

/* The blocks of the calibration certificate: the environmental
 * conditions; the reference standards with the traceability statement;
 * the signatory with the end mark (`end`, an English msgid), which closes
 * the last page. */
void cert_pdf_conditions(struct pdf *p);
void cert_pdf_standards(struct pdf *p);
void cert_pdf_signature(struct pdf *p, const char *end);

#endif
