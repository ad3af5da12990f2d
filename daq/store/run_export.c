/* A run as CSV (its readings) and as one JSON document: what `caldaq
 * export` prints (run.h, docs/run-format.md). */
#include "run_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

/* The shortest text that reads back as the same double; "" for NaN. */
void daq_format_double(char *buf, size_t cap, double v)
{
    if (isnan(v)) {
        snprintf(buf, cap, "%s", "");
        return;
    }
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, cap, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            return;
    }
}

/* JSON has no Inf or NaN. */
static json_t *json_number_or_null(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

/* A CSV field (RFC 4180 2.6-2.7), quoted when it holds the separator, a
 * quote or a line break, a quote doubled inside; for --csv (',') and the
 * spreadsheet form (';', run_sheet.c). */
void daq_csv_field(const char *s, char sep, FILE *f)
{
    char special[5] = {sep, '"', '\r', '\n', '\0'};
    if (strpbrk(s, special) == NULL) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (const char *p = s; *p; p++) {
        if (*p == '"')
            fputc('"', f);
        fputc(*p, f);
    }
    fputc('"', f);
}

static void csv_field(const char *s, FILE *f)
{
    daq_csv_field(s, ',', f);
}

void daq_run_view_write_csv(const struct daq_run_view *v, FILE *f)
{
    fprintf(f, "t,point,repetition,role,nominal,value,unit,status,display,resolution,error,"
               "side,source,who\n");
    for (size_t i = 0; i < v->n_readings; i++) {
        const struct daq_reading *r = &v->readings[i];
        char t[32], nominal[32], value[32], res[32];
        daq_format_double(t, sizeof t, r->t);
        daq_format_double(nominal, sizeof nominal, r->nominal);
        daq_format_double(value, sizeof value, r->r.value);
        daq_format_double(res, sizeof res, r->r.resolution);
        fprintf(f, "%s,%d,%d,", t, (int)r->point, (int)r->repetition);
        csv_field(r->role, f);
        fprintf(f, ",%s,%s,", nominal, value);
        csv_field(r->r.unit, f);
        fprintf(f, ",%s,", drv_status_name(r->r.status));
        csv_field(r->r.display, f);
        fprintf(f, ",%s,", res);
        csv_field(r->r.error, f);
        fputc(',', f);
        csv_field(r->side[0] ? r->side : DAQ_SIDE_ITEM, f);
        fputc(',', f);
        csv_field(r->source[0] ? r->source : DAQ_SOURCE_INSTRUMENT, f);
        fputc(',', f);
        csv_field(r->who, f);
        fputc('\n', f);
    }
}

static json_t *json_reading(const struct daq_reading *r)
{
    return json_pack("{s:o, s:i, s:i, s:s, s:o, s:o, s:s, s:s, s:s, s:o, s:s, s:s, s:s, s:s}",
                     "t", json_number_or_null(r->t), "point", (int)r->point, "repetition",
                     (int)r->repetition, "role", r->role, "nominal", json_number_or_null(r->nominal),
                     "value", json_number_or_null(r->r.value), "unit", r->r.unit, "status",
                     drv_status_name(r->r.status), "display", r->r.display, "resolution",
                     json_number_or_null(r->r.resolution), "error", r->r.error, "side",
                     r->side[0] ? r->side : DAQ_SIDE_ITEM, "source",
                     r->source[0] ? r->source : DAQ_SOURCE_INSTRUMENT, "who", r->who);
}

json_t *daq_run_view_json(const struct daq_run_view *v)
{
    const struct daq_run_info *i = &v->info;
    const struct daq_device *d = &v->device;
    json_t *root = json_object();
    json_object_set_new(root, "schema", json_string(DAQ_RUN_SCHEMA));
    json_object_set_new(
        root, "run",
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "run_id", i->run_id, "started",
                  i->started, "ended", i->ended, "status", i->status, "operator",
                  i->operator_name, "lab", i->lab, "caldaq_version", i->caldaq_version,
                  "content_sha256", v->content_sha256));
    json_object_set_new(root, "profile",
                        json_pack("{s:s, s:s, s:s}", "name", i->profile_name, "sha256",
                                  i->profile_sha256, "text", v->profile_text));
    json_object_set_new(root, "device",
                        json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "driver", d->driver,
                                  "port", d->port, "settings", d->settings, "manufacturer",
                                  d->id.manufacturer, "model", d->id.model, "serial",
                                  d->id.serial, "firmware", d->id.firmware, "side",
                                  d->side[0] ? d->side : DAQ_SIDE_ITEM));
    json_t *arr = json_array();
    for (size_t k = 0; k < v->n_standards; k++) {
        const struct daq_standard *s = &v->standards[k];
        json_array_append_new(
            arr, json_pack("{s:s, s:s, s:o, s:o, s:o, s:s, s:s, s:s, s:o, s:s}", "id", s->id,
                           "certificate", s->certificate, "value", json_number_or_null(s->value), "u",
                           json_number_or_null(s->u), "k", json_number_or_null(s->k), "unit", s->unit,
                           "due_date", s->due_date, "role", s->role, "nominal",
                           json_number_or_null(s->nominal), "mark", s->mark));
    }
    json_object_set_new(root, "standards", arr);
    arr = json_array();
    for (size_t k = 0; k < v->n_env; k++) {
        const struct daq_env *e = &v->env[k];
        json_array_append_new(arr, json_pack("{s:o, s:o, s:o, s:o, s:s}", "t",
                                             json_number_or_null(e->t), "temp_c",
                                             json_number_or_null(e->temp_c), "rh_pct",
                                             json_number_or_null(e->rh_pct), "p_hpa",
                                             json_number_or_null(e->p_hpa), "where", e->where));
    }
    json_object_set_new(root, "environment", arr);
    arr = json_array();
    for (size_t k = 0; k < v->n_readings; k++)
        json_array_append_new(arr, json_reading(&v->readings[k]));
    json_object_set_new(root, "readings", arr);
    size_t n_pending = 0;
    const struct daq_reading *pending = daq_run_view_pending(v, &n_pending, NULL);
    arr = json_array();
    for (size_t k = 0; k < n_pending; k++)
        json_array_append_new(arr, json_reading(&pending[k]));
    json_object_set_new(root, "pending", arr);
    const struct drv_trace *t = v->trace;
    json_object_set_new(
        root, "trace",
        json_pack("{s:I, s:I, s:s, s:s, s:s, s:s, s:s}", "bytes",
                  (json_int_t)daq_run_view_trace_bytes(v), "records",
                  (json_int_t)(t != NULL ? t->n : 0), "transport",
                  t != NULL ? t->header.transport : "", "port", t != NULL ? t->header.port : "",
                  "settings", t != NULL ? t->header.settings : "", "driver",
                  t != NULL ? t->header.driver : "", "started",
                  t != NULL ? t->header.started : ""));
    arr = json_array();
    for (size_t k = 0; k < v->n_results; k++) {
        json_t *doc = json_loads(v->results[k], JSON_DECODE_ANY, NULL);
        json_array_append_new(
            arr, json_pack("{s:I, s:s, s:s, s:o}", "version", (json_int_t)(k + 1), "created",
                           daq_run_view_result_created(v, k), "engine",
                           daq_run_view_result_engine(v, k), "json",
                           doc != NULL ? doc : json_string(v->results[k])));
    }
    json_object_set_new(root, "results", arr);
    arr = json_array();
    for (size_t k = 0; k < v->n_audit; k++) {
        const struct daq_audit_entry *a = &v->audit[k];
        json_array_append_new(arr, json_pack("{s:I, s:o, s:s, s:s, s:s, s:s}", "seq",
                                             (json_int_t)a->seq, "t", json_number_or_null(a->t),
                                             "who", a->who, "what", a->what, "prev_sha256",
                                             a->prev_sha256, "sha256", a->sha256));
    }
    json_object_set_new(root, "audit", arr);
    return root;
}

