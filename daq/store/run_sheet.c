/* A run for a spreadsheet (`caldaq export --excel`, `--results`): the
 * readings or the results table of the latest results version, as CSV
 * either plain (comma, decimal point, time in seconds since 1970) or in the
 * form a spreadsheet set to a Vietnamese or most European locales opens
 * with a double click: a UTF-8 byte order mark (so that "°C" and Vietnamese
 * text are read as UTF-8), ";" between fields, a decimal comma, and local
 * date-time in the lab's zone (RFC 4180 quoting, with ";" as the separator
 * where RFC 4180 has ","). docs/run-format.md. */
#include "run_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

/* A field, quoted when it holds the separator, a quote or a line break. */
static void field(const struct daq_sheet_style *st, const char *s, FILE *f)
{
    daq_csv_field(s, st->sep, f);
}

/* A number in its shortest exact form, with the style's decimal mark. */
static void number(const struct daq_sheet_style *st, double v, FILE *f)
{
    char buf[40];
    daq_format_double(buf, sizeof buf, isfinite(v) || isnan(v) ? v : NAN);
    if (st->decimal_comma)
        for (char *p = buf; *p; p++)
            if (*p == '.')
                *p = ',';
    fputs(buf, f);
}

/* A time: seconds since 1970 (plain), or "YYYY-MM-DD HH:MM:SS" in the
 * style's zone, the form spreadsheets take for a date-time. */
static void when(const struct daq_sheet_style *st, double t, FILE *f)
{
    if (st->zone == NULL || !(t > 0) || !isfinite(t)) {
        number(st, t, f);
        return;
    }
    long long s = (long long)floor(t);
    long long local = s + cd_zone_utoff(st->zone, s);
    long long days = local >= 0 ? local / 86400 : -((-local + 86399) / 86400);
    long long sec = local - days * 86400;
    char date[11];
    cd_zone_date(st->zone, s, date);
    fprintf(f, "%s %02lld:%02lld:%02lld", date, sec / 3600, sec / 60 % 60, sec % 60);
}

static void begin(const struct daq_sheet_style *st, FILE *f)
{
    if (st->bom)
        fputs("\xEF\xBB\xBF", f);
}

static void sep(const struct daq_sheet_style *st, FILE *f)
{
    fputc(st->sep, f);
}

void daq_run_view_write_sheet(const struct daq_run_view *v, const struct daq_sheet_style *st,
                              FILE *f)
{
    begin(st, f);
    static const char *const cols[] = {"time", "point", "repetition", "role", "nominal",
                                       "value", "unit", "status", "display", "resolution",
                                       "error", "side", "source", "who"};
    for (size_t c = 0; c < sizeof cols / sizeof cols[0]; c++) {
        if (c > 0)
            sep(st, f);
        fputs(cols[c], f);
    }
    fputs("\r\n", f);
    for (size_t i = 0; i < v->n_readings; i++) {
        const struct daq_reading *r = &v->readings[i];
        when(st, r->t, f);
        sep(st, f);
        fprintf(f, "%d", (int)r->point);
        sep(st, f);
        fprintf(f, "%d", (int)r->repetition);
        sep(st, f);
        field(st, r->role, f);
        sep(st, f);
        number(st, r->nominal, f);
        sep(st, f);
        number(st, r->r.value, f);
        sep(st, f);
        field(st, r->r.unit, f);
        sep(st, f);
        field(st, drv_status_name(r->r.status), f);
        sep(st, f);
        field(st, r->r.display, f);
        sep(st, f);
        number(st, r->r.resolution, f);
        sep(st, f);
        field(st, r->r.error, f);
        sep(st, f);
        field(st, r->side[0] ? r->side : DAQ_SIDE_ITEM, f);
        sep(st, f);
        field(st, r->source[0] ? r->source : DAQ_SOURCE_INSTRUMENT, f);
        sep(st, f);
        field(st, r->who, f);
        fputs("\r\n", f);
    }
}

static double num(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

static const char *text(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s != NULL ? s : "";
}

int daq_run_view_write_results_sheet(const struct daq_run_view *v,
                                     const struct daq_sheet_style *st, FILE *f,
                                     struct cd_err *err)
{
    if (v->n_results == 0)
        return cd_fail(err, CD_ERR_NOT_FOUND,
                       "the run holds no results yet (caldaq analyze RUN.h5 --write stores them)");
    json_error_t jerr;
    json_t *root = json_loads(v->results[v->n_results - 1], 0, &jerr);
    json_t *points = json_object_get(root, "points");
    if (!json_is_array(points)) {
        json_decref(root);
        return cd_fail(err, CD_ERR_PARSE, "results version %zu is not a results table",
                       v->n_results);
    }
    const char *unit = text(root, "unit");
    begin(st, f);
    static const char *const cols[] = {"point",     "group", "nominal", "unit", "indication",
                                       "reference", "error", "U",       "k",    "mpe",
                                       "verdict"};
    for (size_t c = 0; c < sizeof cols / sizeof cols[0]; c++) {
        if (c > 0)
            sep(st, f);
        fputs(cols[c], f);
    }
    fputs("\r\n", f);
    size_t i;
    json_t *p;
    json_array_foreach(points, i, p) {
        fprintf(f, "%zu", i + 1);
        sep(st, f);
        json_t *g = json_object_get(p, "group");
        if (json_is_integer(g))
            fprintf(f, "%lld", (long long)json_integer_value(g));
        sep(st, f);
        number(st, num(p, "nominal"), f);
        sep(st, f);
        field(st, unit, f);
        sep(st, f);
        number(st, num(p, "mean"), f);
        sep(st, f);
        number(st, num(p, "reference"), f);
        sep(st, f);
        number(st, num(p, "error"), f);
        sep(st, f);
        number(st, num(p, "U"), f);
        sep(st, f);
        number(st, num(p, "k"), f);
        sep(st, f);
        number(st, num(p, "mpe"), f);
        sep(st, f);
        field(st, text(p, "verdict"), f);
        fputs("\r\n", f);
    }
    json_decref(root);
    return 0;
}
