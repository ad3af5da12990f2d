/* The in-memory run (struct rs_data): growable tables and conversions. */
#include "run_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void rs_copy(char *dst, size_t cap, const char *src)
{
    if (cap == 0)
        return;
    memset(dst, 0, cap);
    if (src == NULL)
        return;
    size_t n = strnlen(src, cap - 1);
    memcpy(dst, src, n);
}

void rs_units_default(struct rs_units *u)
{
    memset(u, 0, sizeof *u);
    RS_COPY(u->env_t, RS_UNIT_EPOCH);
    RS_COPY(u->env_temp, "degC");
    RS_COPY(u->env_rh, "%RH");
    RS_COPY(u->env_p, "hPa");
    RS_COPY(u->readings_t, RS_UNIT_EPOCH);
    RS_COPY(u->trace_t, RS_UNIT_TRACE);
    RS_COPY(u->audit_t, RS_UNIT_EPOCH);
}

void rs_data_init(struct rs_data *d)
{
    memset(d, 0, sizeof *d);
    d->standards_items = true;
    rs_units_default(&d->units);
}

void rs_data_free(struct rs_data *d)
{
    if (d == NULL)
        return;
    free(d->profile);
    free(d->standards);
    free(d->env);
    free(d->readings);
    free(d->trace_bytes);
    free(d->trace);
    for (size_t i = 0; i < d->n_results; i++)
        free(d->results[i].json);
    free(d->results);
    free(d->audit);
    free(d->manifest);
    memset(d, 0, sizeof *d);
}

int rs_grow(void **p, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return 0;
    size_t n = *cap < 16 ? 16 : *cap;
    while (n < need) {
        if (n > SIZE_MAX / 2 / size)
            return CD_ERR_NOMEM;
        n *= 2;
    }
    void *q = realloc(*p, n * size);
    if (q == NULL)
        return CD_ERR_NOMEM;
    *p = q;
    *cap = n;
    return 0;
}

int rs_add_trace(struct rs_data *d, double t, char dir, const uint8_t *buf, size_t len)
{
    if (rs_grow((void **)&d->trace, &d->cap_trace, d->n_trace + 1, sizeof *d->trace) != 0 ||
        rs_grow((void **)&d->trace_bytes, &d->cap_trace_bytes, d->n_trace_bytes + len, 1) != 0)
        return CD_ERR_NOMEM;
    struct rs_trace_rec *r = &d->trace[d->n_trace++];
    memset(r, 0, sizeof *r);
    r->t = t;
    r->dir = dir;
    r->offset = d->n_trace_bytes;
    r->length = len;
    if (len > 0)
        memcpy(d->trace_bytes + d->n_trace_bytes, buf, len);
    d->n_trace_bytes += len;
    return 0;
}

int rs_add_result(struct rs_data *d, int version, const char *created, const char *engine,
                  const char *json)
{
    if (rs_grow((void **)&d->results, &d->cap_results, d->n_results + 1, sizeof *d->results) != 0)
        return CD_ERR_NOMEM;
    char *copy = strdup(json != NULL ? json : "");
    if (copy == NULL)
        return CD_ERR_NOMEM;
    struct rs_result *r = &d->results[d->n_results++];
    memset(r, 0, sizeof *r);
    r->version = version;
    RS_COPY(r->created, created);
    RS_COPY(r->engine, engine);
    r->json = copy;
    return 0;
}

int rs_status_parse(const char *s)
{
    for (int st = DRV_STATUS_STABLE; st <= DRV_STATUS_ERROR; st++)
        if (strcmp(drv_status_name((enum drv_status)st), s) == 0)
            return st;
    return -1;
}

int rs_reading_from(const struct daq_reading *r, struct rs_reading *row)
{
    memset(row, 0, sizeof *row);
    if ((int)r->r.status < DRV_STATUS_STABLE || r->r.status > DRV_STATUS_ERROR)
        return CD_ERR_INVALID;
    /* One time per reading: the session's, else the instrument's arrival. */
    row->t = r->t != 0 ? r->t : r->r.t;
    row->point = r->point;
    row->repetition = r->repetition;
    row->nominal = r->nominal;
    row->value = r->r.value;
    RS_COPY(row->unit, r->r.unit);
    RS_COPY(row->status, drv_status_name(r->r.status));
    RS_COPY(row->display, r->r.display);
    row->resolution = r->r.resolution;
    RS_COPY(row->role, r->role);
    RS_COPY(row->error, r->r.error);
    RS_COPY(row->side, r->side);
    RS_COPY(row->source, r->source);
    RS_COPY(row->who, r->who);
    return 0;
}

int rs_reading_to(const struct rs_reading *row, struct daq_reading *r)
{
    memset(r, 0, sizeof *r);
    r->t = row->t;
    r->point = row->point;
    r->repetition = row->repetition;
    r->nominal = row->nominal;
    RS_COPY(r->role, row->role);
    r->r.value = row->value;
    RS_COPY(r->r.unit, row->unit);
    r->r.t = row->t;
    RS_COPY(r->r.display, row->display);
    r->r.resolution = row->resolution;
    RS_COPY(r->r.error, row->error);
    RS_COPY(r->side, row->side);
    RS_COPY(r->source, row->source);
    RS_COPY(r->who, row->who);
    int st = rs_status_parse(row->status);
    r->r.status = st < 0 ? DRV_STATUS_ERROR : (enum drv_status)st;
    return st < 0 ? -1 : 0;
}

bool daq_reading_is(const struct daq_reading *r, const char *side)
{
    const char *mine = r->side[0] != '\0' ? r->side : DAQ_SIDE_ITEM;
    return strcmp(mine, side) == 0;
}

double rs_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void rs_iso8601(double t, char *buf, size_t cap)
{
    time_t s = (time_t)floor(t);
    struct tm tm;
    localtime_r(&s, &tm);
    char tmp[48];
    size_t l = strftime(tmp, sizeof tmp, "%Y-%m-%dT%H:%M:%S%z", &tm);
    /* ISO 8601 wants +07:00, strftime gives +0700 */
    if (l >= 5) {
        memmove(tmp + l - 1, tmp + l - 2, 3);
        tmp[l - 2] = ':';
    }
    snprintf(buf, cap, "%s", tmp);
}
