/* The error chart of a run, drawn on the server as SVG 1.1 (no script):
 * each measured point's error against its nominal value with its +-U bar,
 * the zero line, and the +-MPE envelope joined point to point within each
 * plan group (a tolerance that steps between two points shows as a slope
 * here; the certificate's PDF draws the steps, cert_doc.c). From the
 * results stored in the run (caldaq-analysis/1: points[].nominal, error,
 * U, mpe, group, measured). */
#include "portal_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define W 720.0
#define H 360.0
#define L 80.0     /* plot area: left, right, top, bottom margins */
#define R 20.0
#define T 30.0
#define B 50.0

struct pt {
    double x, e, U, mpe;
    long group;
    bool measured;
};

static double sx(double x, double x0, double x1)
{
    return x1 > x0 ? L + (x - x0) / (x1 - x0) * (W - L - R) : L + (W - L - R) / 2;
}

static double sy(double y, double ymax)
{
    return T + (H - T - B) / 2 * (1 - y / ymax);
}

void portal_svg_chart(const struct req *r, const json_t *results, struct buf *b)
{
    const json_t *pts = json_object_get(results, "points");
    size_t n = json_array_size(pts);
    if (n == 0 || n > 10000)
        return;
    struct pt *p = calloc(n, sizeof *p);
    if (p == NULL)
        return;
    size_t measured = 0;
    double x0 = INFINITY, x1 = -INFINITY, ymax = 0;
    for (size_t i = 0; i < n; i++) {
        const json_t *o = json_array_get(pts, i);
        p[i] = (struct pt){.x = json_number_value(json_object_get(o, "nominal")),
                           .e = json_number_value(json_object_get(o, "error")),
                           .U = json_number_value(json_object_get(o, "U")),
                           .mpe = json_number_value(json_object_get(o, "mpe")),
                           .group = (long)json_integer_value(json_object_get(o, "group")),
                           .measured = json_is_true(json_object_get(o, "measured"))};
        if (!isfinite(p[i].x))
            continue;
        x0 = fmin(x0, p[i].x);
        x1 = fmax(x1, p[i].x);
        if (isfinite(p[i].mpe))
            ymax = fmax(ymax, fabs(p[i].mpe));
        if (p[i].measured && isfinite(p[i].e) && isfinite(p[i].U)) {
            measured++;
            ymax = fmax(ymax, fabs(p[i].e) + fabs(p[i].U));
        }
    }
    if (measured == 0) {
        free(p);
        return;
    }
    if (!(ymax > 0))
        ymax = 1;
    ymax *= 1.15;
    const char *unit = json_string_value(json_object_get(results, "unit"));
    buf_f(b, "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %.0f %.0f\" width=\"%.0f\" "
             "height=\"%.0f\" role=\"img\" aria-label=\"",
          W, H, W, H);
    buf_h(b, tr(r, N_("Error with its expanded uncertainty U, and the maximum permissible error")));
    buf_s(b, "\">\n<rect x=\"0\" y=\"0\" width=\"100%\" height=\"100%\" fill=\"#fff\"/>\n");
    /* axes, the zero line and the labels of the scale */
    buf_f(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#888\"/>\n", L,
          sy(0, ymax), W - R, sy(0, ymax));
    buf_f(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#444\"/>\n", L, T, L,
          H - B);
    for (int k = -1; k <= 1; k++) {
        char v[40];
        snprintf(v, sizeof v, "%.3g", k * ymax / 1.15);
        buf_f(b, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" text-anchor=\"end\">", L - 4,
              sy(k * ymax / 1.15, ymax) + 4);
        buf_h(b, v);
        buf_s(b, "</text>\n");
    }
    for (int k = 0; k < 2; k++) {
        double x = k ? x1 : x0;
        char v[40];
        daq_format_double(v, sizeof v, x);
        buf_f(b, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" text-anchor=\"middle\">",
              sx(x, x0, x1), H - B + 16);
        buf_h(b, v);
        buf_s(b, "</text>\n");
    }
    buf_f(b, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"12\" text-anchor=\"middle\">", (W + L) / 2,
          H - 12);
    buf_h(b, tr(r, N_("Nominal value")));
    if (unit != NULL) {
        buf_s(b, " (");
        buf_h(b, unit);
        buf_s(b, ")");
    }
    buf_f(b, "</text>\n<text x=\"14\" y=\"%.1f\" font-size=\"12\" text-anchor=\"middle\" "
             "transform=\"rotate(-90 14 %.1f)\">",
          (H - B + T) / 2, (H - B + T) / 2);
    buf_h(b, tr(r, N_("Measurement error")));
    buf_s(b, "</text>\n");
    /* the envelope: +MPE and -MPE through the points of each group */
    for (int sign = -1; sign <= 1; sign += 2) {
        long group = -1;
        bool open = false;
        for (size_t i = 0; i < n; i++) {
            if (!isfinite(p[i].x) || !isfinite(p[i].mpe))
                continue;
            if (open && p[i].group != group) {
                buf_s(b, "\"/>\n");
                open = false;
            }
            if (!open) {
                buf_s(b, "<polyline class=\"mpe\" fill=\"none\" stroke=\"#c0392b\" "
                         "stroke-dasharray=\"6 3\" points=\"");
                open = true;
                group = p[i].group;
            }
            buf_f(b, "%.1f,%.1f ", sx(p[i].x, x0, x1), sy(sign * fabs(p[i].mpe), ymax));
        }
        if (open)
            buf_s(b, "\"/>\n");
    }
    /* each point: the U bar with its caps, the error as a dot */
    for (size_t i = 0; i < n; i++) {
        if (!p[i].measured || !isfinite(p[i].x) || !isfinite(p[i].e) || !isfinite(p[i].U))
            continue;
        double x = sx(p[i].x, x0, x1), lo = sy(p[i].e - p[i].U, ymax),
               hi = sy(p[i].e + p[i].U, ymax);
        buf_f(b, "<g class=\"point\"><line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                 "stroke=\"#12355b\"/>",
              x, lo, x, hi);
        buf_f(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#12355b\"/>", x - 4,
              lo, x + 4, lo);
        buf_f(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#12355b\"/>", x - 4,
              hi, x + 4, hi);
        buf_f(b, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" fill=\"#12355b\"/></g>\n", x,
              sy(p[i].e, ymax));
    }
    /* the legend */
    buf_f(b, "<text x=\"%.1f\" y=\"18\" font-size=\"12\" fill=\"#12355b\">", L);
    buf_h(b, tr(r, N_("● error, bar ±U")));
    buf_f(b, "</text>\n<text x=\"%.1f\" y=\"18\" font-size=\"12\" fill=\"#c0392b\">", L + 220);
    buf_h(b, tr(r, N_("- - ±MPE")));
    buf_s(b, "</text>\n</svg>\n");
    free(p);
}
