/* The PDF calibration certificate (ISO/IEC 17025:2017 7.8.2.1): A4
 * portrait, cairo's PDF surface, every piece of text shaped by pango with
 * DejaVu Sans so that Vietnamese diacritics come out right.
 *
 * The document is laid out once: each page is drawn onto a cairo
 * recording surface (the shaped glyphs, lines and images, kept as drawing
 * operations), and once the page count is known every recording is painted
 * onto the PDF with its footer, "Trang x/y / Page x of y". Before issue 21
 * the whole document was laid out twice, the first time onto a PDF stream
 * thrown away only to count the pages: text shaping (harfbuzz, pango) and
 * the throw-away PDF's compression were most of a certificate's time. The
 * file is written beside its final name and renamed into place once
 * complete. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cairo.h>
#include <cairo-pdf.h>
#include <fontconfig/fontconfig.h>
#include <pango/pangocairo.h>
#include <qrencode.h>

#include "cd_i18n.h"
#include "cert.h"
#include "cert_priv.h"

/* A4 in points, margins, and where the running header/footer sit. */
#define PAGE_W 595.276
#define PAGE_H 841.890
#define MARGIN_L 50.0
#define MARGIN_R (PAGE_W - 50.0)
#define TEXT_W (MARGIN_R - MARGIN_L)
#define BODY_TOP 50.0
#define BODY_BOTTOM (PAGE_H - 56.0)

#define FONT "DejaVu Sans"
#define FONT_BOLD "DejaVu Sans Bold"

#define RING_N 48
#define RING_LEN 1024

enum { LANG_MODE_VI = 1, LANG_MODE_EN = 2, LANG_MODE_BOTH = 3 };

struct pdf {
    cairo_t *cr;
    const struct cert_doc *d;
    int lang;
    int page;                   /* 1-based, the page being drawn */
    int total;                  /* 0 while the pages are recorded */
    cairo_surface_t **rec;      /* the recorded pages, page i at rec[i - 1] */
    cairo_font_options_t *fopts; /* a PDF surface's: text measured as the PDF has it */
    PangoContext *pctx;         /* one for every piece of text, made on the first page */
    PangoFontDescription *font[2]; /* regular, bold; the size set for each text */
    int n_rec, cap_rec;
    bool failed;                /* out of memory while recording */
    double y;                   /* the cursor, top of the next block */
    cairo_surface_t *logo;      /* NULL when none */
    QRcode *qr;                 /* NULL when no text */
    const struct cert_pdf_spec *spec; /* the document's title, number label and body */
    const struct cd_catalog *vi; /* the Vietnamese texts (d->vi, else own) */
    enum cd_decsep sep;         /* of the figures: the lab's Vietnamese one in a Vietnamese
                                 * document, else the point */
    struct cd_catalog *own;     /* opened for this PDF when the doc brings none */
    char ring[RING_N][RING_LEN];/* short-lived strings */
    int ri;
};

/* ---------------------------------------------------------------- strings */

static char *ring_next(struct pdf *p)
{
    char *s = p->ring[p->ri];
    p->ri = (p->ri + 1) % RING_N;
    s[0] = '\0';
    return s;
}

/* A formatted short-lived string (cert_priv.h). */
#define fmt cert_pdf_fmt

/* A fixed text of the document in one of its languages: the English msgid
 * itself, or its Vietnamese from the catalogue (never the process's
 * language). */
static const char *tr(const struct pdf *p, bool vi, const char *msgid)
{
    return vi ? cd_catalog_text(p->vi, msgid) : msgid;
}

/* A label in the certificate's languages: "Vietnamese / English" (once
 * when both are the same: a text with no translation). */
static const char *L(struct pdf *p, const char *en)
{
    const char *vi = tr(p, true, en);
    switch (p->lang) {
    case LANG_MODE_VI:
        return vi;
    case LANG_MODE_EN:
        return en;
    default:
        return strcmp(vi, en) == 0 ? en : fmt(p, "%s / %s", vi, en);
    }
}

/* The lab's name or traceability text in one language, falling back to
 * the other when one is empty. */
/* Whether the document has side vi (Vietnamese) or !vi (English). */
static bool has(const struct pdf *p, bool vi)
{
    return (p->lang & (vi ? LANG_MODE_VI : LANG_MODE_EN)) != 0;
}

static const char *pick(const char *vi, const char *en, bool want_vi)
{
    if (want_vi)
        return vi[0] != '\0' ? vi : en;
    return en[0] != '\0' ? en : vi;
}

static const char *or_dash(const char *s)
{
    return s != NULL && s[0] != '\0' ? s : "—";
}

/* A reported figure (cert.h): cert_fmt() with the point's decimals, the
 * one rounding the XML and the JSON use too; "—" when there is none. */
static const char *num(struct pdf *p, double v, int dec)
{
    char *s = ring_next(p);
    cert_fmt(v, dec, s, RING_LEN);
    cd_decimal_sep(s, p->sep);
    return s[0] != '\0' ? s : "—";
}

/* A figure already written, in a text of side vi: with the lab's
 * Vietnamese decimal sign there (a bilingual document's shared tables keep
 * p->sep). */
static const char *side_num(struct pdf *p, bool vi, const char *s)
{
    if (!vi)
        return s;
    char *o = ring_next(p);
    snprintf(o, RING_LEN, "%s", s);
    return cd_decimal_sep(o, p->d->lab->decimal_sep_vi);
}

/* A limit (the MPE) beside rounded figures: exact, with at least dec decimals. */
static const char *limit(struct pdf *p, double v, int dec)
{
    char *s = ring_next(p);
    cert_fmt_exact(v, dec, s, RING_LEN);
    cd_decimal_sep(s, p->sep);
    return s[0] != '\0' ? s : "—";
}

static const char *verdict_text(struct pdf *p, const char *v)
{
    if (strcmp(v, "pass") == 0)
        return L(p, N_("Pass"));
    if (strcmp(v, "fail") == 0)
        return L(p, N_("Fail"));
    if (strcmp(v, "conditional pass") == 0)
        return L(p, N_("Conditional pass"));
    if (strcmp(v, "conditional fail") == 0)
        return L(p, N_("Conditional fail"));
    if (strcmp(v, "not measured") == 0)
        return L(p, N_("not measured"));
    if (strcmp(v, "incomplete") == 0)
        return L(p, N_("Incomplete"));
    return or_dash(v);
}

/* ---------------------------------------------------------------- text */

/* Draw (or only measure, draw = false) `s` at (x, y), wrapped to `w`
 * points (0: no wrapping). Returns the height. */
static double text_ex(struct pdf *p, double x, double y, double w, bool bold, double size,
                      PangoAlignment align, const char *s, bool draw, double *width_out)
{
    /* One context and two font descriptions for the whole document: a
     * context per text (pango_cairo_create_layout) was a fifth of the time
     * of a certificate. Every page's context has the same target
     * properties (a recording surface of the page's size, the PDF's font
     * options), so the first page's serves all. */
    if (p->pctx == NULL) {
        p->pctx = pango_cairo_create_context(p->cr);
        p->font[0] = pango_font_description_from_string(FONT);
        p->font[1] = pango_font_description_from_string(FONT_BOLD);
    }
    PangoLayout *l = pango_layout_new(p->pctx);
    PangoFontDescription *fd = p->font[bold ? 1 : 0];
    pango_font_description_set_absolute_size(fd, size * PANGO_SCALE);
    pango_layout_set_font_description(l, fd);
    if (w > 0) {
        pango_layout_set_width(l, (int)(w * PANGO_SCALE));
        pango_layout_set_wrap(l, PANGO_WRAP_WORD_CHAR);
        pango_layout_set_alignment(l, align);
    }
    if (s == NULL)
        s = "";
    if (g_utf8_validate(s, -1, NULL)) {
        pango_layout_set_text(l, s, -1);
    } else {
        gchar *v = g_utf8_make_valid(s, -1);
        pango_layout_set_text(l, v, -1);
        g_free(v);
    }
    int lw, lh;
    pango_layout_get_size(l, &lw, &lh);
    if (draw) {
        cairo_move_to(p->cr, x, y);
        pango_cairo_show_layout(p->cr, l);
    }
    g_object_unref(l);
    if (width_out != NULL)
        *width_out = (double)lw / PANGO_SCALE;
    return (double)lh / PANGO_SCALE;
}

static double text(struct pdf *p, double x, double y, double w, bool bold, double size,
                   PangoAlignment align, const char *s)
{
    return text_ex(p, x, y, w, bold, size, align, s, true, NULL);
}

static double measure(struct pdf *p, double w, bool bold, double size, const char *s)
{
    return text_ex(p, 0, 0, w, bold, size, PANGO_ALIGN_LEFT, s, false, NULL);
}

/* ---------------------------------------------------------------- pages */

static void page_header(struct pdf *p)
{
    cairo_t *cr = p->cr;
    const struct cert_doc *d = p->d;
    cairo_set_source_rgb(cr, 0.35, 0.35, 0.35);
    text(p, MARGIN_L, 20, TEXT_W * 0.55, false, 7,
         PANGO_ALIGN_LEFT, pick(d->lab->name_vi, d->lab->name_en, p->lang != LANG_MODE_EN));
    text(p, MARGIN_L + TEXT_W * 0.45, 20, TEXT_W * 0.55, false, 7, PANGO_ALIGN_RIGHT,
         fmt(p, "%s: %s", L(p, p->spec->number_label), d->number));
    cairo_set_line_width(cr, 0.5);
    cairo_move_to(cr, MARGIN_L, 34);
    cairo_line_to(cr, MARGIN_R, 34);
    cairo_stroke(cr);
    cairo_set_source_rgb(cr, 0, 0, 0);
}

static void page_footer(struct pdf *p)
{
    cairo_t *cr = p->cr;
    char total[16];
    if (p->total > 0)
        snprintf(total, sizeof total, "%d", p->total);
    else
        snprintf(total, sizeof total, "?");
    const char *page_of = N_("Page %d of %s");
    const char *pg;
    switch (p->lang) {
    case LANG_MODE_VI:
        pg = fmt(p, tr(p, true, page_of), p->page, total);
        break;
    case LANG_MODE_EN:
        pg = fmt(p, page_of, p->page, total);
        break;
    default:
        pg = fmt(p, "%s / %s", fmt(p, tr(p, true, page_of), p->page, total),
                 fmt(p, page_of, p->page, total));
        break;
    }
    cairo_set_source_rgb(cr, 0.35, 0.35, 0.35);
    cairo_set_line_width(cr, 0.5);
    cairo_move_to(cr, MARGIN_L, PAGE_H - 46);
    cairo_line_to(cr, MARGIN_R, PAGE_H - 46);
    cairo_stroke(cr);
    text(p, MARGIN_L, PAGE_H - 42, TEXT_W * 0.5, false, 7, PANGO_ALIGN_LEFT, p->d->number);
    text(p, MARGIN_L + TEXT_W * 0.4, PAGE_H - 42, TEXT_W * 0.6, false, 7, PANGO_ALIGN_RIGHT, pg);
    cairo_set_source_rgb(cr, 0, 0, 0);
}

/* Start recording a page: a new recording surface of the page's size and
 * a context on it in p->cr. */
static void open_page(struct pdf *p)
{
    cairo_rectangle_t extents = {0, 0, PAGE_W, PAGE_H};
    cairo_surface_t *rec = cairo_recording_surface_create(CAIRO_CONTENT_COLOR_ALPHA, &extents);
    p->cr = cairo_create(rec);
    /* pango takes hinting and metrics from these (merged over the recording
     * surface's own), so that lines are as high and wide as on the PDF */
    cairo_set_font_options(p->cr, p->fopts);
    if (p->n_rec == p->cap_rec) {
        int cap = p->cap_rec ? 2 * p->cap_rec : 8;
        cairo_surface_t **nv = realloc(p->rec, (size_t)cap * sizeof *nv);
        if (nv == NULL) {
            p->failed = true;
            cairo_surface_destroy(rec); /* p->cr keeps it alive until closed */
            return;
        }
        p->rec = nv;
        p->cap_rec = cap;
    }
    p->rec[p->n_rec++] = rec;
}

/* Stop recording the page: what was drawn stays in p->rec. */
static void close_page(struct pdf *p)
{
    if (cairo_status(p->cr) != CAIRO_STATUS_SUCCESS)
        p->failed = true;
    cairo_destroy(p->cr);
    p->cr = NULL;
}

static void new_page(struct pdf *p)
{
    close_page(p);
    open_page(p);
    p->page++;
    page_header(p);
    p->y = BODY_TOP;
}

/* Room for `h` points more on this page, or a new page. */
static void need(struct pdf *p, double h)
{
    if (p->y + h > BODY_BOTTOM)
        new_page(p);
}

/* ---------------------------------------------------------------- blocks */

static void heading(struct pdf *p, const char *s)
{
    double h = measure(p, TEXT_W, true, 9.5, s);
    need(p, h + 40);            /* keep with what follows */
    p->y += 6;
    p->y += text(p, MARGIN_L, p->y, TEXT_W, true, 9.5, PANGO_ALIGN_LEFT, s) + 3;
}

static void para(struct pdf *p, const char *s, double size, bool bold)
{
    double h = measure(p, TEXT_W, bold, size, s);
    need(p, h);
    p->y += text(p, MARGIN_L, p->y, TEXT_W, bold, size, PANGO_ALIGN_LEFT, s) + 3;
}

#define KV_LABEL_W 205.0
#define KV_GAP 12.0

/* One "label: value" line. */
static void kv(struct pdf *p, const char *label, const char *value)
{
    double w2 = TEXT_W - KV_LABEL_W - 8 - KV_GAP;
    double h1 = measure(p, KV_LABEL_W, false, 8.5, label);
    double h2 = measure(p, w2, false, 9, value);
    double h = h1 > h2 ? h1 : h2;
    need(p, h);
    cairo_set_source_rgb(p->cr, 0.25, 0.25, 0.25);
    text(p, MARGIN_L + 8, p->y, KV_LABEL_W, false, 8.5, PANGO_ALIGN_LEFT, label);
    cairo_set_source_rgb(p->cr, 0, 0, 0);
    text(p, MARGIN_L + 8 + KV_LABEL_W + KV_GAP, p->y, w2, false, 9, PANGO_ALIGN_LEFT, or_dash(value));
    p->y += h + 2.5;
}

/* A table: a header row repeated on each page it runs onto, cells wrapped
 * in their columns. `cell` writes the text of row r, column c. */
struct col {
    const char *head;
    double w;
    PangoAlignment align;
};

typedef void (*cell_fn)(struct pdf *p, const void *ctx, size_t r, size_t c, char *buf, size_t n);

#define CELL_PAD 2.5
#define CELL_SIZE 7.5
#define HEAD_SIZE 7.0

static double table_row(struct pdf *p, const struct col *cols, size_t nc, char (*cells)[RING_LEN],
                        bool head, bool draw)
{
    double h = 0;
    for (size_t c = 0; c < nc; c++) {
        double hc = measure(p, cols[c].w - 2 * CELL_PAD, head, head ? HEAD_SIZE : CELL_SIZE,
                            cells[c]);
        if (hc > h)
            h = hc;
    }
    h += 2 * CELL_PAD;
    if (!draw)
        return h;
    cairo_t *cr = p->cr;
    double x = MARGIN_L;
    if (head) {
        cairo_set_source_rgb(cr, 0.90, 0.92, 0.95);
        cairo_rectangle(cr, MARGIN_L, p->y, TEXT_W, h);
        cairo_fill(cr);
        cairo_set_source_rgb(cr, 0, 0, 0);
    }
    for (size_t c = 0; c < nc; c++) {
        text(p, x + CELL_PAD, p->y + CELL_PAD, cols[c].w - 2 * CELL_PAD, head,
             head ? HEAD_SIZE : CELL_SIZE, head ? PANGO_ALIGN_CENTER : cols[c].align, cells[c]);
        x += cols[c].w;
    }
    cairo_set_line_width(cr, 0.4);
    x = MARGIN_L;
    cairo_rectangle(cr, MARGIN_L, p->y, TEXT_W, h);
    for (size_t c = 0; c + 1 < nc; c++) {
        x += cols[c].w;
        cairo_move_to(cr, x, p->y);
        cairo_line_to(cr, x, p->y + h);
    }
    cairo_stroke(cr);
    return h;
}

#define MAX_COLS 10

static void table(struct pdf *p, const struct col *cols, size_t nc, size_t nr, cell_fn cell,
                  const void *ctx)
{
    char cells[MAX_COLS][RING_LEN];
    char heads[MAX_COLS][RING_LEN];
    for (size_t c = 0; c < nc; c++)
        snprintf(heads[c], RING_LEN, "%s", cols[c].head);
    double hh = table_row(p, cols, nc, heads, true, false);
    for (size_t r = 0; r < nr; r++) {
        for (size_t c = 0; c < nc; c++) {
            cells[c][0] = '\0';
            cell(p, ctx, r, c, cells[c], RING_LEN);
        }
        double h = table_row(p, cols, nc, cells, false, false);
        if (r == 0 || p->y + h > BODY_BOTTOM) {
            if (p->y + hh + h > BODY_BOTTOM)
                new_page(p);
            p->y += table_row(p, cols, nc, heads, true, true);
        }
        p->y += table_row(p, cols, nc, cells, false, true);
    }
    if (nr == 0) {
        need(p, hh);
        p->y += table_row(p, cols, nc, heads, true, true);
    }
    p->y += 4;
}

/* ---------------------------------------------------------------- first page */

static void draw_qr(struct pdf *p, double x, double y, double size)
{
    const QRcode *q = p->qr;
    int quiet = 2;
    double m = size / (q->width + 2 * quiet);
    cairo_set_source_rgb(p->cr, 1, 1, 1);
    cairo_rectangle(p->cr, x, y, size, size);
    cairo_fill(p->cr);
    cairo_set_source_rgb(p->cr, 0, 0, 0);
    for (int r = 0; r < q->width; r++)
        for (int c = 0; c < q->width; c++)
            if (q->data[r * q->width + c] & 1)
                cairo_rectangle(p->cr, x + (c + quiet) * m, y + (r + quiet) * m, m, m);
    cairo_fill(p->cr);
}

static void draw_logo(struct pdf *p, double x, double y, double box)
{
    int w = cairo_image_surface_get_width(p->logo);
    int h = cairo_image_surface_get_height(p->logo);
    if (w <= 0 || h <= 0)
        return;
    double s = box / (w > h ? w : h);
    cairo_save(p->cr);
    cairo_translate(p->cr, x, y);
    cairo_scale(p->cr, s, s);
    cairo_set_source_surface(p->cr, p->logo, 0, 0);
    cairo_paint(p->cr);
    cairo_restore(p->cr);
}

static void first_page_top(struct pdf *p)
{
    const struct cert_doc *d = p->d;
    const struct cert_lab *lab = d->lab;
    const double top = 44, box = 72;
    double lx = MARGIN_L, lw = TEXT_W;
    if (p->logo != NULL) {
        draw_logo(p, MARGIN_L, top, box - 8);
        lx += box;
        lw -= box;
    }
    if (p->qr != NULL) {
        draw_qr(p, MARGIN_R - box, top, box);
        lw -= box;
    }
    double y = top;
    if (p->lang != LANG_MODE_EN && lab->name_vi[0] != '\0')
        y += text(p, lx, y, lw, true, 11, PANGO_ALIGN_CENTER, lab->name_vi);
    if ((p->lang != LANG_MODE_VI || lab->name_vi[0] == '\0') && lab->name_en[0] != '\0')
        y += text(p, lx, y, lw, true, p->lang == LANG_MODE_BOTH ? 9.5 : 11, PANGO_ALIGN_CENTER,
                  lab->name_en);
    char where[512];
    snprintf(where, sizeof where, "%s%s%s%s%s", lab->address,
             lab->address[0] && lab->city[0] ? ", " : "", lab->city,
             lab->country[0] ? ", " : "", lab->country);
    y += text(p, lx, y, lw, false, 8, PANGO_ALIGN_CENTER, where);
    if (lab->phone[0] != '\0' || lab->email[0] != '\0')
        y += text(p, lx, y, lw, false, 8, PANGO_ALIGN_CENTER,
                  fmt(p, "%s: %s   %s: %s", L(p, N_("Phone")), or_dash(lab->phone),
                      "Email", or_dash(lab->email)));
    y += text(p, lx, y, lw, false, 8, PANGO_ALIGN_CENTER,
              fmt(p, "%s: %s", L(p, N_("Accreditation")),
                  lab->accreditation[0] ? lab->accreditation
                                        : L(p, N_("none"))));
    if (y < top + box)
        y = top + box;
    p->y = y + 14;

    if (p->lang != LANG_MODE_EN)
        p->y += text(p, MARGIN_L, p->y, TEXT_W, true, 15, PANGO_ALIGN_CENTER,
                     tr(p, true, p->spec->title));
    if (p->lang != LANG_MODE_VI)
        p->y += text(p, MARGIN_L, p->y, TEXT_W, true, p->lang == LANG_MODE_EN ? 15 : 12,
                     PANGO_ALIGN_CENTER, p->spec->title);
    p->y += 4;
    p->y += text(p, MARGIN_L, p->y, TEXT_W, true, 11, PANGO_ALIGN_CENTER,
                 fmt(p, "%s: %s", L(p, N_("No.")), d->number));
    p->y += 8;
}

/* ISO/IEC 17025 7.8.8.2: an amendment is identified as one, on the first
 * page of every document it replaces (certificate, notice, record). */
static void amendment(struct pdf *p)
{
    const struct cert_doc *d = p->d;
    if (d->amends[0] == '\0')
        return;
    heading(p, L(p, N_("Amendment")));
    kv(p, L(p, N_("Replaces certificate No.")), d->amends);
    kv(p, L(p, N_("Reason")), d->amend_reason);
}

/* ---------------------------------------------------------------- sections */

static const char *env_value(struct pdf *p, double v, int dec, const char *unit)
{
    if (!isfinite(v))
        return L(p, N_("not measured"));
    return fmt(p, "%s %s", num(p, v, dec), unit);
}

static void std_cell(struct pdf *p, const void *ctx, size_t r, size_t c, char *buf, size_t n)
{
    const struct cert_standard *s = (const struct cert_standard *)ctx + r;
    const char *role = s->role[0] != '\0' ? L(p, cert_role_msgid(s->role)) : "";
    const char *v = c == 0 ? s->id : c == 1 ? role : c == 2 ? s->certificate : s->due;
    snprintf(buf, n, "%s", or_dash(v));
}

static void ecc_cell(struct pdf *p, const void *ctx, size_t r, size_t c, char *buf, size_t n)
{
    const struct cert_doc *d = ctx;
    const struct cert_position *pos = &d->positions[r];
    const char *v = c == 0   ? or_dash(pos->name)
                    : c == 1 ? num(p, pos->indication, d->dec_d)
                             : num(p, pos->deviation, d->dec_d);
    snprintf(buf, n, "%s", v);
}

enum rcol { RC_NOMINAL, RC_RANGE, RC_REFERENCE, RC_MEAN, RC_ERROR, RC_U, RC_K, RC_MPE,
            RC_VERDICT, RC_UP, RC_DOWN, RC_HYST };

struct rtable {
    const struct cert_point *points;
    int ids[MAX_COLS];
};

static void result_cell(struct pdf *p, const void *ctx, size_t r, size_t c, char *buf, size_t n)
{
    const struct rtable *t = ctx;
    const struct cert_point *pt = &t->points[r];
    int dec = cert_point_decimals(pt);
    const char *v = "—";
    bool m = pt->measured;
    switch ((enum rcol)t->ids[c]) {
    case RC_NOMINAL: v = num(p, pt->nominal, CERT_DEC_NONE); break;
    case RC_RANGE: v = num(p, pt->range, CERT_DEC_NONE); break;
    case RC_REFERENCE: v = m ? num(p, pt->reference, dec) : "—"; break;
    case RC_MEAN: v = m ? num(p, pt->mean, dec) : "—"; break;
    case RC_ERROR: v = m ? num(p, pt->error, dec) : "—"; break;
    case RC_U: v = m ? num(p, pt->U, dec) : "—"; break;
    case RC_K: v = m ? num(p, pt->k, 2) : "—"; break;
    case RC_MPE: v = limit(p, pt->mpe, dec); break;
    case RC_UP: v = m ? num(p, pt->up, dec) : "—"; break;
    case RC_DOWN: v = m ? num(p, pt->down, dec) : "—"; break;
    case RC_HYST: v = m ? num(p, pt->hysteresis, dec) : "—"; break;
    case RC_VERDICT: v = verdict_text(p, pt->verdict); break;
    }
    snprintf(buf, n, "%s", v);
}

/* A figure of the annex's budget: four significant digits (cert.h). */
static const char *g4(struct pdf *p, double v)
{
    if (isinf(v))
        return "∞";
    if (!isfinite(v))
        return "—";
    if (v == 0)
        return "0";
    return num(p, v, cert_sig_decimals(v, 4));
}

static void budget_cell(struct pdf *p, const void *ctx, size_t r, size_t c, char *buf, size_t n)
{
    const struct cert_budget_row *b = (const struct cert_budget_row *)ctx + r;
    const char *v;
    switch (c) {
    case 0: v = or_dash(b->name); break;
    case 1:
        v = or_dash(cert_pdf_pick(p, b->label_vi, b->label));
        if (b->source[0] != '\0')
            v = fmt(p, "%s\n(%s)", v, cert_pdf_pick(p, b->source_vi, b->source));
        break;
    case 2: v = g4(p, b->x); break;
    case 3: v = g4(p, b->u); break;
    case 4: v = g4(p, b->c); break;
    case 5: v = g4(p, b->contribution); break;
    case 6: v = isfinite(b->share) ? num(p, 100.0 * b->share, 1) : "—"; break;
    default: v = isinf(b->dof) ? "∞" : isfinite(b->dof) ? fmt(p, "%.0f", b->dof) : "—"; break;
    }
    snprintf(buf, n, "%s", v);
}

/* The largest probability of false accept (JCGM 106) of the points that
 * pass, and the distribution it was computed with: the t of the point's
 * nu_eff, or the normal. */
static void pfa(struct pdf *p)
{
    const struct cert_doc *d = p->d;
    const struct cert_point *w = NULL;
    for (size_t i = 0; d->has_pfa && i < d->n_points; i++) {
        const struct cert_point *pt = &d->points[i];
        if (pt->measured && isfinite(pt->pfa) && strstr(pt->verdict, "pass") != NULL &&
            (w == NULL || pt->pfa > w->pfa))
            w = pt;
    }
    if (w == NULL)
        return;
    const char *pct = 100 * w->pfa < 0.01 ? fmt(p, "< %s", num(p, 0.01, 2))
                                          : num(p, 100 * w->pfa, cert_decimals(100 * w->pfa));
    const char *nom = num(p, w->nominal, CERT_DEC_NONE);
    for (int vi = 1; vi >= 0; vi--) {
        if (!has(p, vi))
            continue;
        if (isinf(w->pfa_dof))
            para(p, fmt(p, tr(p, vi, N_("Largest probability of false acceptance (JCGM 106) of "
                                        "the points that pass: %s %% at %s %s, computed with the "
                                        "normal distribution.")),
                        side_num(p, vi, pct), side_num(p, vi, nom), cert_nominal_unit(d)),
                 8, false);
        else
            para(p, fmt(p, tr(p, vi, N_("Largest probability of false acceptance (JCGM 106) of "
                                        "the points that pass: %s %% at %s %s, computed with the "
                                        "t-distribution with %.0f degrees of freedom.")),
                        side_num(p, vi, pct), side_num(p, vi, nom), cert_nominal_unit(d),
                        w->pfa_dof),
                 8, false);
    }
}

/* A balance's repeatability and eccentricity tests (cg-18 5.1, 5.3), as
 * the doc reports them. */
static void side_tests(struct pdf *p)
{
    const struct cert_doc *d = p->d;
    const char *u = d->unit;
    if (d->has_repeatability) {
        heading(p, L(p, N_("Repeatability test")));
        kv(p, L(p, N_("Load")), fmt(p, "%s %s", num(p, d->rep_load, CERT_DEC_NONE), u));
        kv(p, L(p, N_("Number of readings")), fmt(p, "%zu", d->rep_n));
        kv(p, L(p, N_("Mean indication")),
           fmt(p, "%s %s", num(p, d->rep_mean, d->dec_d), u));
        kv(p, L(p, N_("Experimental standard deviation s")),
           fmt(p, "%s %s", num(p, d->rep_s, d->rep_s > 0 ? cert_decimals(d->rep_s) : d->dec_d),
               u));
    }
    if (d->n_positions > 0) {
        heading(p, fmt(p, "%s (%s %s %s)", L(p, N_("Eccentricity test")),
                       L(p, N_("load")), num(p, d->ecc_load, CERT_DEC_NONE), u));
        const struct col ecols[] = {
            {L(p, N_("Position")), 150, PANGO_ALIGN_LEFT},
            {fmt(p, "%s (%s)", L(p, N_("Indication")), u), 170, PANGO_ALIGN_RIGHT},
            {fmt(p, "%s (%s)", L(p, N_("Deviation from the centre")), u),
             TEXT_W - 320, PANGO_ALIGN_RIGHT},
        };
        table(p, ecols, 3, d->n_positions, ecc_cell, d);
        if (d->has_eccentricity)
            para(p, fmt(p, "%s: %s %s", L(p, N_("Largest deviation")),
                        num(p, d->ecc_max, d->dec_d), u), 8.5, false);
    }
}

static void decision_rule(struct pdf *p)
{
    const struct cert_doc *d = p->d;
    for (int vi = 1; vi >= 0; vi--) {
        if (!has(p, vi))
            continue;
        const char *t;
        if (strcmp(d->decision_rule, "guard-band") == 0)
            t = fmt(p, tr(p, vi, N_("Decision rule: binary decision with a guard band w = r·U, "
                                    "r = %s (ILAC-G8:09/2019): Pass when |error| ≤ MPE − w, "
                                    "otherwise Fail.")),
                    side_num(p, vi, fmt(p, "%g", d->guard_r)));
        else if (strcmp(d->decision_rule, "non-binary") == 0)
            t = tr(p, vi, N_("Decision rule: non-binary decision (ILAC-G8:09/2019): Pass when "
                             "|error| + U ≤ MPE; conditional pass when |error| ≤ MPE < |error| "
                             "+ U; conditional fail when |error| − U ≤ MPE < |error|; Fail when "
                             "|error| − U > MPE."));
        else if (strcmp(d->decision_rule, "simple") == 0)
            t = tr(p, vi, N_("Decision rule: simple acceptance, w = 0 (ILAC-G8:09/2019): Pass "
                             "when |error| ≤ MPE; the uncertainty is not taken into account in "
                             "the limit."));
        else
            t = fmt(p, tr(p, vi, N_("Decision rule: %s.")), or_dash(d->decision_rule));
        para(p, t, 8, false);
    }
    pfa(p);
}

static void coverage(struct pdf *p)
{
    const struct cert_doc *d = p->d;
    bool fixed = false;
    double pv = NAN;
    for (size_t i = 0; i < d->n_points; i++) {
        if (!d->points[i].measured)
            continue;
        if (isfinite(d->points[i].p))
            pv = d->points[i].p;
        else
            fixed = true;
    }
    if (isfinite(pv)) {
        const char *pp = fmt(p, "%.0f", 100.0 * pv);
        for (int vi = 1; vi >= 0; vi--)
            if (has(p, vi))
                para(p, fmt(p, tr(p, vi, N_("The expanded uncertainty U is the standard "
                                            "uncertainty multiplied by the coverage factor k, "
                                            "for a coverage probability of p ≈ %s %%.")),
                            pp),
                     8, false);
    }
    bool fixed2 = false;
    for (size_t i = 0; i < d->n_points; i++)
        fixed2 |= d->points[i].measured && !isfinite(d->points[i].p) && d->points[i].k == 2;
    if (fixed2) {
        /* the statement a fixed k = 2 needs, in the words of EA-4/02 M:2013 5
         * (from memory) */
        for (int vi = 1; vi >= 0; vi--)
            if (has(p, vi))
                /* xgettext:no-c-format */
                para(p, tr(p, vi, N_("The expanded uncertainty U is the standard uncertainty "
                                     "multiplied by the coverage factor k = 2, corresponding to a "
                                     "coverage probability of approximately 95 % for a normal "
                                     "distribution.")),
                     8, false);
    } else if (fixed) {
        for (int vi = 1; vi >= 0; vi--)
            if (has(p, vi))
                para(p, tr(p, vi, N_("Coverage factor k fixed: U = k·u, no coverage probability "
                                     "is stated.")),
                     8, false);
    }
}

/* ---------------------------------------------------------------- chart */

static double nice_step(double range, int n)
{
    double raw = range / n;
    if (!(raw > 0) || !isfinite(raw))
        return 1;
    double mag = pow(10.0, floor(log10(raw)));
    double f = raw / mag;
    return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
}

static int step_decimals(double step)
{
    int dec = -(int)floor(log10(step) + 1e-9);
    return dec < 0 ? 0 : dec > 10 ? 10 : dec;
}

static void chart(struct pdf *p)
{
    const struct cert_doc *d = p->d;
    cairo_t *cr = p->cr;
    size_t n = d->n_points;
    double xmin = INFINITY, xmax = -INFINITY, ymax = 0;
    for (size_t i = 0; i < n; i++) {
        const struct cert_point *pt = &d->points[i];
        if (!isfinite(pt->nominal))
            continue;
        if (pt->nominal < xmin)
            xmin = pt->nominal;
        if (pt->nominal > xmax)
            xmax = pt->nominal;
        if (isfinite(pt->mpe) && fabs(pt->mpe) > ymax)
            ymax = fabs(pt->mpe);
        if (pt->measured && isfinite(pt->error)) {
            double e = fabs(pt->error) + (isfinite(pt->U) ? pt->U : 0);
            if (e > ymax)
                ymax = e;
        }
    }
    if (!(xmin <= xmax))
        return;
    const char *unit = d->unit;
    const double plot_h = 190, total_h = plot_h + 50;
    double span = xmax - xmin;
    if (span <= 0)
        span = xmax != 0 ? fabs(xmax) * 0.2 : 1;
    double x0v = xmin - 0.06 * span, x1v = xmax + 0.06 * span;
    if (xmin == xmax) {
        x0v = xmin - span;
        x1v = xmax + span;
    }
    if (ymax <= 0)
        ymax = 1;
    double ystep = nice_step(2.2 * ymax, 6);
    double y1v = ceil(1.1 * ymax / ystep) * ystep, y0v = -y1v;
    double xstep = nice_step(x1v - x0v, 6);
    /* values a chart cannot show (overflowing ranges, a span lost in the
     * magnitude): the table has them, the chart is left out */
    if (!isfinite(x1v - x0v) || !(x1v > x0v) || !isfinite(y1v) || !(y1v > 0) ||
        (x1v - x0v) / xstep > 20 || (x1v - x0v) / xstep < 1)
        return;
    heading(p, L(p, N_("Error chart")));
    need(p, total_h);

    double px0 = MARGIN_L + 60, px1 = MARGIN_R - 10;
    double py0 = p->y + 6, py1 = py0 + plot_h;  /* top, bottom */
#define XS(v) (px0 + ((v) - x0v) / (x1v - x0v) * (px1 - px0))
#define YS(v) (py1 - ((v) - y0v) / (y1v - y0v) * (py1 - py0))

    /* grid, ticks and their labels */
    cairo_set_line_width(cr, 0.3);
    int ydec = step_decimals(ystep), xdec = step_decimals(xstep);
    int ny = (int)lround((y1v - y0v) / ystep);
    for (int i = 0; i <= ny; i++) {
        double v = y0v + i * ystep;
        double yy = YS(v);
        cairo_set_source_rgb(cr, 0.85, 0.85, 0.85);
        cairo_move_to(cr, px0, yy);
        cairo_line_to(cr, px1, yy);
        cairo_stroke(cr);
        cairo_set_source_rgb(cr, 0, 0, 0);
        cairo_move_to(cr, px0 - 3, yy);
        cairo_line_to(cr, px0, yy);
        cairo_stroke(cr);
        double vv = fabs(v) < ystep * 1e-6 ? 0.0 : v;
        text(p, px0 - 58, yy - 4.5, 53, false, 6.5, PANGO_ALIGN_RIGHT,
             cd_decimal_sep((char *)fmt(p, "%.*f", ydec, vv), p->sep));
    }
    double xfirst = ceil(x0v / xstep) * xstep;
    int nx = (int)floor((x1v - xfirst) / xstep + 1e-6);
    for (int i = 0; i <= nx; i++) {
        double v = xfirst + i * xstep;
        double xx = XS(v);
        cairo_set_source_rgb(cr, 0.85, 0.85, 0.85);
        cairo_move_to(cr, xx, py0);
        cairo_line_to(cr, xx, py1);
        cairo_stroke(cr);
        cairo_set_source_rgb(cr, 0, 0, 0);
        cairo_move_to(cr, xx, py1);
        cairo_line_to(cr, xx, py1 + 3);
        cairo_stroke(cr);
        double vv = fabs(v) < xstep * 1e-6 ? 0.0 : v;
        text(p, xx - 30, py1 + 4, 60, false, 6.5, PANGO_ALIGN_CENTER,
             cd_decimal_sep((char *)fmt(p, "%.*f", xdec, vv), p->sep));
    }
    /* zero line and frame */
    cairo_set_source_rgb(cr, 0.3, 0.3, 0.3);
    cairo_set_line_width(cr, 0.6);
    cairo_move_to(cr, px0, YS(0));
    cairo_line_to(cr, px1, YS(0));
    cairo_stroke(cr);
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_set_line_width(cr, 0.8);
    cairo_rectangle(cr, px0, py0, px1 - px0, py1 - py0);
    cairo_stroke(cr);

    /* the +-MPE envelope where the tolerance puts it (the doc's pieces:
     * R76 class II steps at 50 g and 200 g), continued flat to the edges
     * of the plot when there is one group; without an envelope, a mark of
     * each point's MPE */
    cairo_set_source_rgb(cr, 0.80, 0.10, 0.10);
    cairo_set_line_width(cr, 1.0);
    bool one_group = true;
    for (size_t k = 1; k < d->n_envelope; k++)
        one_group &= d->envelope[k].group == d->envelope[0].group;
    for (int sgn = -1; sgn <= 1; sgn += 2) {
        for (size_t k = 0; k < d->n_envelope; k++) {
            const struct cert_envelope *e = &d->envelope[k];
            if (!isfinite(e->mpe0) || !isfinite(e->mpe1))
                continue;
            bool cont = k > 0 && d->envelope[k - 1].group == e->group &&
                        d->envelope[k - 1].x1 == e->x0;
            double xa = e->x0, xb = e->x1;
            if (one_group && k == 0)
                xa = x0v;
            if (one_group && k + 1 == d->n_envelope)
                xb = x1v;
            if (cont) /* the vertical of a step, from the previous piece's end */
                cairo_line_to(cr, XS(e->x0), YS(sgn * e->mpe0));
            else
                cairo_move_to(cr, XS(xa), YS(sgn * e->mpe0));
            if (xa < e->x0)
                cairo_line_to(cr, XS(e->x0), YS(sgn * e->mpe0));
            cairo_line_to(cr, XS(e->x1), YS(sgn * e->mpe1));
            if (xb > e->x1)
                cairo_line_to(cr, XS(xb), YS(sgn * e->mpe1));
            bool next = k + 1 < d->n_envelope && d->envelope[k + 1].group == e->group &&
                        d->envelope[k + 1].x0 == e->x1;
            if (!next)
                cairo_stroke(cr);
        }
        if (d->n_envelope == 0) {
            for (size_t i = 0; i < n; i++) {
                const struct cert_point *pt = &d->points[i];
                if (!isfinite(pt->mpe) || !isfinite(pt->nominal))
                    continue;
                cairo_move_to(cr, XS(pt->nominal) - 6, YS(sgn * pt->mpe));
                cairo_line_to(cr, XS(pt->nominal) + 6, YS(sgn * pt->mpe));
            }
            cairo_stroke(cr);
        }
    }

    /* the points with U as error bars */
    cairo_set_line_width(cr, 0.8);
    for (size_t i = 0; i < n; i++) {
        const struct cert_point *pt = &d->points[i];
        if (!pt->measured || !isfinite(pt->error) || !isfinite(pt->nominal))
            continue;
        bool bad = strstr(pt->verdict, "fail") != NULL;
        if (bad)
            cairo_set_source_rgb(cr, 0.85, 0.0, 0.0);
        else
            cairo_set_source_rgb(cr, 0.05, 0.25, 0.65);
        double xx = XS(pt->nominal), yy = YS(pt->error);
        if (isfinite(pt->U) && pt->U > 0) {
            double ya = YS(pt->error + pt->U), yb = YS(pt->error - pt->U);
            cairo_move_to(cr, xx, ya);
            cairo_line_to(cr, xx, yb);
            cairo_move_to(cr, xx - 3, ya);
            cairo_line_to(cr, xx + 3, ya);
            cairo_move_to(cr, xx - 3, yb);
            cairo_line_to(cr, xx + 3, yb);
            cairo_stroke(cr);
        }
        cairo_arc(cr, xx, yy, 2.3, 0, 2 * M_PI);
        cairo_fill(cr);
    }
#undef XS
#undef YS

    /* legend, axis labels */
    cairo_set_source_rgb(cr, 0.05, 0.25, 0.65);
    cairo_arc(cr, px0 + 10, py0 + 10, 2.3, 0, 2 * M_PI);
    cairo_fill(cr);
    cairo_set_source_rgb(cr, 0, 0, 0);
    text(p, px0 + 17, py0 + 5.5, 200, false, 6.5, PANGO_ALIGN_LEFT,
         L(p, N_("error ± U")));
    cairo_set_source_rgb(cr, 0.80, 0.10, 0.10);
    cairo_set_line_width(cr, 1.0);
    cairo_move_to(cr, px0 + 5, py0 + 22);
    cairo_line_to(cr, px0 + 15, py0 + 22);
    cairo_stroke(cr);
    cairo_set_source_rgb(cr, 0, 0, 0);
    text(p, px0 + 17, py0 + 17.5, 200, false, 6.5, PANGO_ALIGN_LEFT, "± MPE");

    text(p, px0, py1 + 14, px1 - px0, false, 7.5, PANGO_ALIGN_CENTER,
         fmt(p, "%s (%s)", L(p, N_("Nominal value")),
             cert_nominal_unit(d)));
    cairo_save(cr);
    cairo_translate(cr, MARGIN_L - 2, py1);
    cairo_rotate(cr, -M_PI / 2);
    text(p, 0, 0, py1 - py0, false, 7.5, PANGO_ALIGN_CENTER,
         fmt(p, "%s (%s)", d->has_curve ? L(p, N_("Residual"))
                                        : L(p, N_("Error")), unit));
    cairo_restore(cr);
    p->y = py1 + 30;
}

/* The environmental conditions (and the air density of a buoyancy
 * correction). */
static void conditions(struct pdf *p)
{
    const struct cert_doc *d = p->d;
    heading(p, L(p, N_("Environmental conditions")));
    kv(p, L(p, N_("Temperature")), env_value(p, d->temp_c, 1, "°C"));
    kv(p, L(p, N_("Relative humidity")), env_value(p, d->rh_pct, 0, "%RH"));
    kv(p, L(p, N_("Atmospheric pressure")), env_value(p, d->p_hpa, 1, "hPa"));
    if (d->has_air) {
        int adec = cert_decimals(d->u_rho_a);
        kv(p, L(p, N_("Air density")),
           fmt(p, "%s kg/m³, u = %s kg/m³ (%s)", num(p, d->rho_a, adec), num(p, d->u_rho_a, adec),
               d->air_measured
                   ? L(p,
                       N_("OIML R111-1:2004 E.3-1 from the conditions measured"))
                   : L(p,
                       N_("the procedure's estimate: the conditions were not measured"))));
    }

}

/* The reference standards and the lab's traceability statement. */
static void standards(struct pdf *p)
{
    const struct cert_doc *d = p->d;
    const struct cert_lab *lab = d->lab;
    heading(p, L(p, N_("Reference standards used")));
    const struct col scols[] = {
        {L(p, N_("ID")), 130, PANGO_ALIGN_LEFT},
        {L(p, N_("Role")), 95, PANGO_ALIGN_LEFT},
        {L(p, N_("Certificate No.")), 160, PANGO_ALIGN_LEFT},
        {L(p, N_("Due date")), TEXT_W - 385, PANGO_ALIGN_CENTER},
    };
    table(p, scols, 4, d->n_standards, std_cell, d->standards);
    for (int vi = 1; vi >= 0; vi--)
        if (has(p, vi))
            para(p, fmt(p, tr(p, vi, N_("Traceability: %s")),
                        or_dash(pick(lab->traceability_vi, lab->traceability_en, vi))),
                 8, false);
}

/* The signatory, the end mark and the last page. */
static void signature(struct pdf *p, const char *end)
{
    const struct cert_doc *d = p->d;
    need(p, 90);
    p->y += 14;
    double sx = MARGIN_L + TEXT_W * 0.5, sw = TEXT_W * 0.5;
    p->y += text(p, sx, p->y, sw, false, 8.5, PANGO_ALIGN_CENTER,
                 L(p, N_("Authorised signatory")));
    p->y += 30;                 /* room for the signature */
    p->y += text(p, sx, p->y, sw, true, 9.5, PANGO_ALIGN_CENTER, or_dash(d->signatory));
    const char *stitle =
        p->lang == LANG_MODE_BOTH && d->signatory_title_vi[0] && d->signatory_title_en[0]
            ? fmt(p, "%s / %s", d->signatory_title_vi, d->signatory_title_en)
            : pick(d->signatory_title_vi, d->signatory_title_en, p->lang != LANG_MODE_EN);
    if (stitle[0] != '\0')
        p->y += text(p, sx, p->y, sw, false, 8.5, PANGO_ALIGN_CENTER, stitle);
    p->y += 16;
    need(p, 14);
    p->y += text(p, MARGIN_L, p->y, TEXT_W, true, 8.5, PANGO_ALIGN_CENTER,
                 fmt(p, "--- %s ---", L(p, end)));
    close_page(p); /* the footers are painted with the total (render) */
}

/* ---------------------------------------------------------------- document */

/* A PRT calibrated as a curve: R0, A, B with U, their correlation, the
 * fit's chi^2, and the reference temperature of each point. */
static void curve_cell(struct pdf *p, const void *ctx, size_t r, size_t c, char *buf, size_t n)
{
    const struct cert_doc *d = ctx;
    const struct cert_curve *cv = &d->curve;
    static const char *const names[3] = {"R0", "A", "B"};
    int dec = cert_decimals(cv->U[r]);
    const char *v = "";
    switch (c) {
    case 0: v = names[r]; break;
    case 1: v = num(p, cv->coef[r], dec); break;
    case 2: v = num(p, cv->U[r], dec); break;
    case 3:
        v = r == 0 ? d->unit : fmt(p, "%s⁻%s", d->x_unit, r == 1 ? "¹" : "²");
        break;
    }
    snprintf(buf, n, "%s", v);
}

static void curve_x_cell(struct pdf *p, const void *ctx, size_t r, size_t c, char *buf, size_t n)
{
    const struct cert_point *pt = &((const struct cert_doc *)ctx)->points[r];
    int dec = cert_point_decimals(pt);
    const char *v = "—";
    bool m = pt->measured;
    switch (c) {
    case 0: v = num(p, pt->nominal, CERT_DEC_NONE); break;
    case 1: v = m ? num(p, pt->x, CERT_CURVE_X_DEC) : "—"; break;
    case 2: v = m ? num(p, pt->mean, dec) : "—"; break;
    case 3: v = m ? num(p, pt->error, dec) : "—"; break;
    case 4: v = m ? num(p, pt->U, dec) : "—"; break;
    }
    snprintf(buf, n, "%s", v);
}

static void curve(struct pdf *p)
{
    const struct cert_doc *d = p->d;
    const struct cert_curve *cv = &d->curve;
    heading(p, L(p, N_("Callendar–Van Dusen coefficients")));
    para(p, fmt(p, "R(t) = R0 (1 + A t + B t²), t ≥ 0 %s; %s", d->x_unit,
                L(p,
                  N_("weighted least-squares fit of the points below"))),
         8.5, false);
    const struct col ccols[] = {
        {L(p, N_("Coefficient")), 80, PANGO_ALIGN_LEFT},
        {L(p, N_("Value")), 120, PANGO_ALIGN_RIGHT},
        {fmt(p, "U (k = %s)", num(p, cv->k, 2)), 100, PANGO_ALIGN_RIGHT},
        {L(p, N_("Unit")), TEXT_W - 300, PANGO_ALIGN_LEFT},
    };
    table(p, ccols, 4, 3, curve_cell, d);
    para(p, fmt(p, "%s: r(R0, A) = %s, r(R0, B) = %s, r(A, B) = %s",
                L(p, N_("Correlation coefficients")), num(p, cv->r_r0_a, 4),
                num(p, cv->r_r0_b, 4), num(p, cv->r_a_b, 4)),
         8.5, false);
    para(p, fmt(p, "χ² = %s, %s %s", num(p, cv->chi2, cert_decimals(cv->chi2)),
                L(p, N_("degrees of freedom")), num(p, cv->dof, 0)),
         8.5, false);
    const struct col xcols[] = {
        {fmt(p, "%s (%s)", L(p, N_("Nominal value")), d->x_unit), 95,
         PANGO_ALIGN_RIGHT},
        {fmt(p, "%s (%s)", L(p, N_("Reference temperature")), d->x_unit), 110,
         PANGO_ALIGN_RIGHT},
        {fmt(p, "%s (%s)", L(p, N_("Indication")), d->unit), 100, PANGO_ALIGN_RIGHT},
        {fmt(p, "%s (%s)", L(p, N_("Residual")), d->unit), 95, PANGO_ALIGN_RIGHT},
        {fmt(p, "U (%s)", d->unit), TEXT_W - 400, PANGO_ALIGN_RIGHT},
    };
    table(p, xcols, 5, d->n_points, curve_x_cell, d);
}

static void body(struct pdf *p, const void *ctx)
{
    (void)ctx;
    const struct cert_doc *d = p->d;
    const char *u = d->unit;

    page_header(p);
    first_page_top(p);
    amendment(p);

    heading(p, L(p, N_("Customer")));
    kv(p, L(p, N_("Customer")), d->customer);
    kv(p, L(p, N_("Address")), d->customer_address);
    const char *place;
    if (strcmp(d->place, "customer") == 0)
        place = fmt(p, "%s (%s)", L(p, N_("at the customer's premises")),
                    or_dash(d->customer_address));
    else if (strcmp(d->place, "laboratory") == 0 || d->place[0] == '\0')
        place = L(p, N_("laboratory"));
    else
        place = d->place;
    kv(p, L(p, N_("Place of calibration")), place);

    heading(p, L(p, N_("Item calibrated")));
    const char *title = p->lang == LANG_MODE_BOTH && d->title_vi[0] && d->title_en[0]
                            ? fmt(p, "%s / %s", d->title_vi, d->title_en)
                            : pick(d->title_vi, d->title_en, p->lang != LANG_MODE_EN);
    kv(p, L(p, N_("Item")), title);
    kv(p, L(p, N_("Manufacturer")), d->item_manufacturer);
    kv(p, L(p, N_("Model")), d->item_model);
    kv(p, L(p, N_("Serial No.")),
       d->item_serial[0] != '\0'
           ? fmt(p, "%s (%s)", d->item_serial,
                 L(p, N_("as reported by the instrument")))
           : "");
    kv(p, L(p, N_("Firmware")), d->item_firmware);
    if (d->item_serial_stated[0] != '\0')
        kv(p, L(p, N_("Serial No. (customer)")),
           d->item_serial_stated);

    heading(p, L(p, N_("Dates")));
    kv(p, L(p, N_("Date received")),
       d->received[0] ? d->received : L(p, N_("not stated")));
    kv(p, L(p, N_("Date of calibration")), d->calibrated);
    kv(p, L(p, N_("Date of issue")), d->issued);

    heading(p, L(p, N_("Calibration method")));
    kv(p, L(p, N_("Method")), cert_pdf_pick(p, d->method_vi, d->method));
    if (d->national_document[0] != '\0')
        kv(p, L(p, N_("Note")), cert_pdf_pick(p, d->national_document_vi, d->national_document));

    conditions(p);
    standards(p);

    side_tests(p);
    heading(p, fmt(p, "%s (%s: %s)", L(p, N_("Calibration results")),
                   L(p, N_("unit")), u));
    /* the results: a range column for multimeters (two "1 V" rows on two
     * ranges are two results), every figure as the doc reports it */
    struct col rcols[MAX_COLS];
    struct rtable rt = {.points = d->points};
    size_t nc = 0;
    double rest = TEXT_W;
    /* widths without and with the range column */
    /* msgid NULL: the symbol, the same in every language */
    const struct { int id; const char *msgid; double w, wr; PangoAlignment a; } all[] = {
        {RC_NOMINAL, N_("Nominal value"), 58, 46, PANGO_ALIGN_RIGHT},
        {RC_RANGE, N_("Range"), 0, 38, PANGO_ALIGN_RIGHT},
        {RC_REFERENCE, N_("Reference value"), 64, 60, PANGO_ALIGN_RIGHT},
        {RC_MEAN, N_("Indication (mean)"), 64, 60, PANGO_ALIGN_RIGHT},
        {RC_ERROR, N_("Error"), 58, 56, PANGO_ALIGN_RIGHT},
        {RC_U, NULL, 52, 54, PANGO_ALIGN_RIGHT},
        {RC_K, NULL, 30, 28, PANGO_ALIGN_CENTER},
        {RC_MPE, N_("MPE"), 58, 56, PANGO_ALIGN_RIGHT},
        {RC_VERDICT, N_("Verdict"), 0, 0, PANGO_ALIGN_CENTER},
    };
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        if (all[i].id == RC_RANGE && !d->ranges)
            continue;
        const char *msgid = all[i].msgid, *cu = u;
        if (all[i].id == RC_NOMINAL)
            cu = cert_nominal_unit(d);
        if (d->has_curve && all[i].id == RC_REFERENCE)
            msgid = N_("Value of the curve");
        if (d->has_curve && all[i].id == RC_ERROR)
            msgid = N_("Residual");
        const char *head = all[i].id == RC_K ? "k"
                           : msgid == NULL ? fmt(p, "U (%s)", cu)
                                           : fmt(p, "%s (%s)", L(p, msgid), cu);
        if (all[i].id == RC_VERDICT)
            head = L(p, msgid);
        double w = d->ranges ? all[i].wr : all[i].w;
        rcols[nc] = (struct col){head, all[i].id == RC_VERDICT ? rest : w, all[i].a};
        rt.ids[nc++] = all[i].id;
        rest -= w;
    }
    table(p, rcols, nc, d->n_points, result_cell, &rt);
    if (d->up_down) {
        /* DKD-R 6-1 and cg-18 with loading and unloading: the indications
         * of each direction and the hysteresis per point */
        para(p, L(p,
                  N_("Indications increasing and decreasing, hysteresis")), 8.5, true);
        const struct col ucols[] = {
            {fmt(p, "%s (%s)", L(p, N_("Nominal value")), u), 90,
             PANGO_ALIGN_RIGHT},
            {fmt(p, "%s (%s)", L(p, N_("Indication up")), u), 105,
             PANGO_ALIGN_RIGHT},
            {fmt(p, "%s (%s)", L(p, N_("Indication down")), u), 105,
             PANGO_ALIGN_RIGHT},
            {fmt(p, "%s (%s)", L(p, N_("Hysteresis")), u), 95, PANGO_ALIGN_RIGHT},
            {fmt(p, "U (%s)", u), TEXT_W - 395, PANGO_ALIGN_RIGHT},
        };
        struct rtable ut = {.points = d->points,
                            .ids = {RC_NOMINAL, RC_UP, RC_DOWN, RC_HYST, RC_U}};
        table(p, ucols, 5, d->n_points, result_cell, &ut);
    }
    if (d->has_curve)
        curve(p);
    coverage(p);
    decision_rule(p);
    need(p, 20);
    p->y += 2;
    p->y += text(p, MARGIN_L, p->y, TEXT_W, true, 10, PANGO_ALIGN_LEFT,
                 fmt(p, "%s: %s", L(p, N_("Statement of conformity")),
                     verdict_text(p, d->verdict))) + 4;

    chart(p);

    /* the annex: the budget of the point with the largest U */
    new_page(p);
    p->y += text(p, MARGIN_L, p->y, TEXT_W, true, 11, PANGO_ALIGN_LEFT,
                 L(p, N_("Annex: uncertainty budget"))) + 4;
    const struct cert_point *worst = NULL;
    for (size_t i = 0; i < d->n_points; i++)
        if (d->points[i].nominal == d->worst_nominal)
            worst = &d->points[i];
    para(p, fmt(p, "%s: %s %s", L(p,
                                  N_("The point with the largest U, nominal value")),
                num(p, d->worst_nominal, CERT_DEC_NONE), cert_nominal_unit(d)), 8.5, false);
    if (worst != NULL && worst->measured) {
        int dec = cert_point_decimals(worst);
        para(p, fmt(p, "u_c = %s %s, k = %s, U = %s %s",
                    num(p, d->worst_u, cert_decimals(d->worst_u)), u, num(p, worst->k, 2),
                    num(p, worst->U, dec), u),
             8.5, false);
    }
    const struct col bcols[] = {
        {L(p, N_("Quantity")), 62, PANGO_ALIGN_LEFT},
        {L(p, N_("Description")), 138, PANGO_ALIGN_LEFT},
        {L(p, N_("Value xᵢ")), 58, PANGO_ALIGN_RIGHT},
        {"u(xᵢ)", 52, PANGO_ALIGN_RIGHT},
        {L(p, N_("Sensitivity cᵢ")), 52, PANGO_ALIGN_RIGHT},
        {fmt(p, "%s uᵢ(y) (%s)", L(p, N_("Contribution")), u), 60, PANGO_ALIGN_RIGHT},
        {L(p, N_("Share %")), 38, PANGO_ALIGN_RIGHT},
        {L(p, N_("DoF")), TEXT_W - 460, PANGO_ALIGN_RIGHT},
    };
    table(p, bcols, 8, d->n_budget, budget_cell, d->budget);

    p->y += 10;
    para(p, L(p,
              N_("The results relate only to the item calibrated")), 8.5, false);
    para(p, L(p,
              N_("This certificate shall not be reproduced except in full")), 8.5, false);

    signature(p, N_("End of certificate"));
}

/* ---------------------------------------------------------------- output */

struct sink {
    FILE *f;
    int errnum;
};

static cairo_status_t sink_write(void *closure, const unsigned char *data, unsigned int len)
{
    struct sink *s = closure;
    if (fwrite(data, 1, len, s->f) != len) {
        if (s->errnum == 0)
            s->errnum = errno != 0 ? errno : EIO;
        return CAIRO_STATUS_WRITE_ERROR;
    }
    return CAIRO_STATUS_SUCCESS;
}

/* Lay the document out once into recorded pages (p->rec). Returns the page
 * count, or -1 (out of memory, or the cairo status in *st). */
static int record(struct pdf *p, cairo_status_t *st)
{
    cairo_surface_t *probe = cairo_pdf_surface_create_for_stream(NULL, NULL, PAGE_W, PAGE_H);
    p->fopts = cairo_font_options_create();
    cairo_surface_get_font_options(probe, p->fopts);
    cairo_surface_destroy(probe);
    p->page = 1;
    p->y = BODY_TOP;
    open_page(p);
    p->spec->body(p, p->spec->ctx);
    *st = CAIRO_STATUS_SUCCESS;
    for (int i = 0; i < p->n_rec && *st == CAIRO_STATUS_SUCCESS; i++)
        *st = cairo_surface_status(p->rec[i]);
    if (p->failed && *st == CAIRO_STATUS_SUCCESS)
        *st = CAIRO_STATUS_NO_MEMORY;
    return *st == CAIRO_STATUS_SUCCESS && p->n_rec == p->page ? p->page : -1;
}

/* The recorded pages onto `s` as a PDF, each with its footer now that the
 * total is known. Returns 0, or -1 with the cairo status in *st. */
static int render(struct pdf *p, struct sink *s, cairo_status_t *st)
{
    cairo_surface_t *surf = cairo_pdf_surface_create_for_stream(sink_write, s, PAGE_W, PAGE_H);
    cairo_pdf_surface_set_metadata(surf, CAIRO_PDF_METADATA_TITLE, p->d->number);
    cairo_pdf_surface_set_metadata(surf, CAIRO_PDF_METADATA_CREATOR, "caldaq");
    cairo_t *cr = cairo_create(surf);
    p->cr = cr;
    p->total = p->n_rec;
    for (int i = 0; i < p->n_rec; i++) {
        cairo_set_source_surface(cr, p->rec[i], 0, 0);
        cairo_paint(cr);
        p->page = i + 1;
        page_footer(p);
        cairo_show_page(cr);
    }
    *st = cairo_status(cr);
    cairo_destroy(cr);
    p->cr = NULL;
    cairo_surface_finish(surf);
    if (*st == CAIRO_STATUS_SUCCESS)
        *st = cairo_surface_status(surf);
    cairo_surface_destroy(surf);
    return *st == CAIRO_STATUS_SUCCESS ? 0 : -1;
}

int cert_write_pdf(const struct cert_doc *d, const char *langs, const char *qr_text,
                   const char *path, struct cd_err *err)
{
    const struct cert_pdf_spec spec = {
        .title = N_("CALIBRATION CERTIFICATE"), .number_label = N_("Certificate No."),
        .body = body,
    };
    return cert_pdf_write(d, langs, qr_text, path, &spec, err);
}

int cert_pdf_write(const struct cert_doc *d, const char *langs, const char *qr_text,
                   const char *path, const struct cert_pdf_spec *spec, struct cd_err *err)
{
    if (d == NULL || path == NULL || path[0] == '\0' || d->lab == NULL)
        return cd_fail(err, CD_ERR_INVALID, _("cert_write_pdf: no document or path"));
    if ((d->n_points > 0 && d->points == NULL) || (d->n_standards > 0 && d->standards == NULL) ||
        (d->n_budget > 0 && d->budget == NULL))
        return cd_fail(err, CD_ERR_INVALID, _("cert_write_pdf: a count without its array"));
    int lang;
    if (langs == NULL || strcmp(langs, "vi+en") == 0)
        lang = LANG_MODE_BOTH;
    else if (strcmp(langs, "vi") == 0)
        lang = LANG_MODE_VI;
    else if (strcmp(langs, "en") == 0)
        lang = LANG_MODE_EN;
    else
        return cd_fail(err, CD_ERR_INVALID,
                       _("certificate languages \"%s\": expected vi+en, vi or en"), langs);

    struct pdf *p = calloc(1, sizeof *p);
    if (p == NULL)
        return cd_fail(err, CD_ERR_NOMEM, _("out of memory"));
    p->d = d;
    p->lang = lang;
    p->spec = spec;
    int rc = 0;
    char *tmp = NULL;
    FILE *f = NULL;

    p->vi = d->vi;
    p->sep = lang == LANG_MODE_VI ? d->lab->decimal_sep_vi : CD_DECSEP_POINT;
    if (p->vi == NULL && has(p, true)) {
        rc = cd_catalog_open("vi", &p->own, err);
        if (rc != 0)
            goto out;
        p->vi = p->own;
    }

    if (qr_text != NULL && qr_text[0] != '\0') {
        p->qr = QRcode_encodeString(qr_text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
        if (p->qr == NULL) {
            rc = cd_fail(err, errno == ENOMEM ? CD_ERR_NOMEM : CD_ERR_INVALID,
                         _("QR code of %zu bytes: %s"), strlen(qr_text), strerror(errno));
            goto out;
        }
    }
    if (d->lab->logo[0] != '\0') {
        p->logo = cairo_image_surface_create_from_png(d->lab->logo);
        cairo_status_t st = cairo_surface_status(p->logo);
        if (st != CAIRO_STATUS_SUCCESS) {
            rc = cd_fail(err, st == CAIRO_STATUS_NO_MEMORY ? CD_ERR_NOMEM : CD_ERR_IO,
                         _("lab logo %s: %s"), d->lab->logo, cairo_status_to_string(st));
            goto out;
        }
    }

    /* the pages, laid out once */
    cairo_status_t st;
    int pages = record(p, &st);
    if (pages < 0) {
        rc = cd_fail(err, st == CAIRO_STATUS_NO_MEMORY ? CD_ERR_NOMEM : CD_ERR_NUMERIC,
                     _("laying out certificate %s: %s"), d->number, cairo_status_to_string(st));
        goto out;
    }

    /* the file, beside its name, then renamed into place */
    size_t tl = strlen(path) + 8;
    tmp = malloc(tl);
    if (tmp == NULL) {
        rc = cd_fail(err, CD_ERR_NOMEM, _("out of memory"));
        goto out;
    }
    snprintf(tmp, tl, "%s.tmp", path);
    f = cert_file_create(tmp); /* the mode the PDF keeps once renamed */
    if (f == NULL) {
        rc = cd_fail(err, CD_ERR_IO, "%s: %s", tmp, strerror(errno));
        goto out;
    }
    struct sink file = {f, 0};
    errno = 0;
    int wrote = render(p, &file, &st);
    int cerr = fclose(f);
    f = NULL;
    if (wrote < 0 || file.errnum != 0 || cerr != 0) {
        int e = file.errnum != 0 ? file.errnum : errno;
        if (wrote < 0 && file.errnum == 0)
            rc = cd_fail(err, st == CAIRO_STATUS_NO_MEMORY ? CD_ERR_NOMEM : CD_ERR_IO,
                         _("writing %s: %s"), tmp, cairo_status_to_string(st));
        else
            rc = cd_fail(err, CD_ERR_IO, _("writing %s: %s"), tmp, strerror(e != 0 ? e : EIO));
        unlink(tmp);
        goto out;
    }
    if (rename(tmp, path) != 0) {
        rc = cd_fail(err, CD_ERR_IO, "%s: %s", path, strerror(errno));
        unlink(tmp);
        goto out;
    }

out:
    if (f != NULL)
        fclose(f);
    free(tmp);
    if (p->cr != NULL)
        cairo_destroy(p->cr);
    for (int i = 0; i < p->n_rec; i++)
        cairo_surface_destroy(p->rec[i]);
    free(p->rec);
    if (p->fopts != NULL)
        cairo_font_options_destroy(p->fopts);
    if (p->pctx != NULL)
        g_object_unref(p->pctx);
    for (int i = 0; i < 2; i++)
        if (p->font[i] != NULL)
            pango_font_description_free(p->font[i]);
    if (p->logo != NULL)
        cairo_surface_destroy(p->logo);
    if (p->qr != NULL)
        QRcode_free(p->qr);
    cd_catalog_close(p->own);
    free(p);
    return rc;
}

void cert_pdf_cleanup(void)
{
    /* Only for LeakSanitizer (SANITIZE=1 builds): the teardown is not
     * safe in general. Pango 1.50 may still hold its font map (and through
     * it cairo's scaled fonts and fontconfig's caches) when another thread
     * of its own has a reference, and then cairo_debug_reset_static_data()
     * and FcFini() abort on their assertions ("live_entries == 0"): seen in
     * `caldaq cert` under load (tests/e2e/cert_figures.sh, cert_paths.sh).
     * A process about to exit need not free them. */
#ifdef CALDAQ_LEAK_CHECK
    pango_cairo_font_map_set_default(NULL);
    FcFini();
#endif
}

/* ---------------------------------------------------------------- shared (cert_priv.h) */

/* What the verification documents (cert_verif_pdf.c) draw with: the same
 * pages, blocks and tables as the calibration certificate. */

void cert_pdf_top(struct pdf *p)
{
    page_header(p);
    first_page_top(p);
    amendment(p);
}

bool cert_pdf_has(const struct pdf *p, bool vi)
{
    return (p->lang & (vi ? LANG_MODE_VI : LANG_MODE_EN)) != 0;
}

const char *cert_pdf_tr(const struct pdf *p, bool vi, const char *msgid)
{
    return tr(p, vi, msgid);
}

const char *cert_pdf_L(struct pdf *p, const char *en)
{
    return L(p, en);
}

const char *cert_pdf_fmt(struct pdf *p, const char *f, ...)
{
    char *s = ring_next(p);
    va_list ap;
    va_start(ap, f);
    vsnprintf(s, RING_LEN, f, ap);
    va_end(ap);
    return s;
}

const char *cert_pdf_num(struct pdf *p, double v, int dec)
{
    return num(p, v, dec);
}

const char *cert_pdf_limit(struct pdf *p, double v, int dec)
{
    return limit(p, v, dec);
}

const char *cert_pdf_pick(struct pdf *p, const char *vi, const char *en)
{
    if (p->lang == LANG_MODE_BOTH && vi[0] != '\0' && en[0] != '\0' && strcmp(vi, en) != 0)
        return fmt(p, "%s / %s", vi, en);
    return pick(vi, en, p->lang != LANG_MODE_EN);
}

void cert_pdf_heading(struct pdf *p, const char *s)
{
    heading(p, s);
}

void cert_pdf_para(struct pdf *p, const char *s, double size, bool bold)
{
    para(p, s, size, bold);
}

void cert_pdf_kv(struct pdf *p, const char *label, const char *value)
{
    kv(p, label, value);
}

void cert_pdf_space(struct pdf *p, double h)
{
    p->y += h;
}

void cert_pdf_new_page(struct pdf *p)
{
    new_page(p);
}

void cert_pdf_table(struct pdf *p, const struct cert_pdf_col *cols, size_t nc, size_t nr,
                    cert_pdf_cell_fn cell, const void *ctx)
{
    static const PangoAlignment align[] = {
        [CERT_PDF_LEFT] = PANGO_ALIGN_LEFT,
        [CERT_PDF_CENTER] = PANGO_ALIGN_CENTER,
        [CERT_PDF_RIGHT] = PANGO_ALIGN_RIGHT,
    };
    struct col c[MAX_COLS];
    if (nc > MAX_COLS)
        nc = MAX_COLS;
    for (size_t i = 0; i < nc; i++)
        c[i] = (struct col){cols[i].head, cols[i].w, align[cols[i].align]};
    table(p, c, nc, nr, cell, ctx);
}

void cert_pdf_conditions(struct pdf *p)
{
    conditions(p);
}

void cert_pdf_standards(struct pdf *p)
{
    standards(p);
}

void cert_pdf_signature(struct pdf *p, const char *end)
{
    signature(p, end);
}
