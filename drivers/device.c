/* The device layer every instrument driver shares: opening with options,
 * the line-protocol helpers, and stability detection. */
#include "drv.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "drv_priv.h"
#include "cd_i18n.h"

/* ------------------------------------------------------------ registry */

static const struct drv_ops *const all_ops[] = {
    &drv_mtsics, &drv_sbi, &drv_aandd, &drv_scpi, &drv_modbus_gauge,
    &drv_fluke_ttr, &drv_fluke_1529, &drv_millik, &drv_toledo_cont, &drv_xk3190,
    &drv_pace, &drv_bath,
};
static const char *const names[] = {"mtsics", "sbi", "aandd", "scpi", "modbus",
                                    "fluke-ttr", "fluke-1529", "millik",
                                    "toledo-cont", "xk3190", "pace", "bath", NULL};
static const struct drv_parser *const all_parsers[] = {
    &drv_parser_mtsics, &drv_parser_sbi, &drv_parser_aandd, &drv_parser_scpi, &drv_parser_modbus,
    &drv_parser_fluke_ttr, &drv_parser_fluke_1529, &drv_parser_millik,
    &drv_parser_toledo_cont, &drv_parser_xk3190,
    &drv_parser_pace, &drv_parser_bath,
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

const char *const *drv_names(void)
{
    return names;
}

void drv_names_text(const char *const *list, char *buf, size_t cap)
{
    size_t len = 0;
    if (cap > 0)
        buf[0] = '\0';
    for (size_t i = 0; list[i] != NULL && len < cap; i++) {
        int n = snprintf(buf + len, cap - len, "%s%s", i ? ", " : "", list[i]);
        if (n < 0)
            break;
        len += (size_t)n;
    }
}

const struct drv_parser *drv_parser_find(const char *driver)
{
    for (size_t i = 0; i < COUNT(all_parsers); i++)
        if (strcmp(all_parsers[i]->driver, driver) == 0)
            return all_parsers[i];
    return NULL;
}

static const struct drv_ops *find_ops(const char *driver)
{
    for (size_t i = 0; i < COUNT(all_ops); i++)
        if (strcmp(all_ops[i]->name, driver) == 0)
            return all_ops[i];
    return NULL;
}

const char *drv_status_name(enum drv_status s)
{
    switch (s) {
    case DRV_STATUS_STABLE: return "stable";
    case DRV_STATUS_UNSTABLE: return "unstable";
    case DRV_STATUS_OVERLOAD: return "overload";
    case DRV_STATUS_UNDERLOAD: return "underload";
    case DRV_STATUS_ERROR: return "error";
    }
    return "error";
}

/* ------------------------------------------------------------ helpers */

double drv_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

double drv_display_resolution(const char *s)
{
    const char *p = s;
    while (*p == ' ' || *p == '+' || *p == '-')
        p++;
    int digits_after = -1;
    int any = 0;
    for (; (*p >= '0' && *p <= '9') || *p == '.'; p++) {
        if (*p == '.')
            digits_after = 0;
        else {
            any = 1;
            if (digits_after >= 0)
                digits_after++;
        }
    }
    if (!any)
        return 0;
    int exponent = 0;
    if (*p == 'E' || *p == 'e')
        exponent = atoi(p + 1);
    return pow(10.0, exponent - (digits_after > 0 ? digits_after : 0));
}

void drv_copy_trimmed(char *dst, size_t cap, const char *src, size_t n)
{
    while (n > 0 && (*src == ' ' || *src == '\t')) {
        src++;
        n--;
    }
    while (n > 0 && (src[n - 1] == ' ' || src[n - 1] == '\t' || src[n - 1] == '\r' ||
                     src[n - 1] == '\n'))
        n--;
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

int drv_bad_reply(struct cd_err *err, const char *driver, const char *what, const uint8_t *buf,
                  size_t len)
{
    char text[200];
    drv_escape(buf, len < 48 ? len : 48, text, sizeof text);
    return cd_fail(err, CD_ERR_PROTOCOL, "%s: %s: \"%s\"%s", driver, what, text,
                   len > 48 ? "..." : "");
}

enum drv_verdict drv_classify_parsed(const uint8_t *line, size_t n, void *ctx)
{
    struct drv_parsed *c = ctx;
    struct cd_err ignored = {0};
    return c->parser->parse(line, n, &c->r, &ignored) == 0 ? DRV_TAKE : DRV_SKIP;
}

int drv_device_error(const struct drv_parser *p, const char *name, const char *what,
                     const uint8_t *b, size_t n, struct cd_err *err)
{
    struct drv_reading r;
    struct cd_err ignored = {0};
    if (p->parse(b, n, &r, &ignored) == 0 && r.status == DRV_STATUS_ERROR)
        return cd_fail(err, CD_ERR_DEVICE, "%s: %s", name, r.error);
    return drv_bad_reply(err, name, what, b, n);
}

int drv_send(drv_dev *d, const char *cmd, struct cd_err *err)
{
    return drv_transport_write(d->t, cmd, strlen(cmd), d->timeout_ms, err);
}

int drv_reply(drv_dev *d, char *buf, size_t cap, struct cd_err *err)
{
    return drv_transport_read_line(d->t, buf, cap, d->eol, d->timeout_ms, err);
}

int drv_query(drv_dev *d, const char *cmd, char *buf, size_t cap, struct cd_err *err)
{
    int rc = drv_send(d, cmd, err);
    if (rc != 0)
        return rc;
    return drv_reply(d, buf, cap, err);
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return 1e3 * (double)ts.tv_sec + 1e-6 * (double)ts.tv_nsec;
}

static bool is_text(uint8_t c)
{
    return (c >= 0x20 && c <= 0x7E) || c == '\r' || c == '\n';
}

int drv_idn_parse(const char *line, size_t n, const char *name, struct drv_identity *out,
                  struct cd_err *err)
{
    char buf[256];
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)line[i];
        if ((c < 0x20 || c > 0x7E) && c != '\r' && c != '\n')
            return drv_bad_reply(err, name, "*IDN? reply is not text", (const uint8_t *)line, n);
    }
    if (n >= sizeof buf)
        n = sizeof buf - 1;
    memcpy(buf, line, n);
    buf[n] = '\0';
    /* manufacturer,model,serial,firmware: the 4th takes the rest */
    char *field[4] = {NULL, NULL, NULL, NULL};
    char *p = buf;
    int nf = 0;
    while (nf < 4) {
        field[nf++] = p;
        if (nf == 4)
            break;
        char *comma = strchr(p, ',');
        if (comma == NULL)
            break;
        *comma = '\0';
        p = comma + 1;
    }
    if (nf < 4)
        return cd_fail(err, CD_ERR_PROTOCOL,
                       _("%s: *IDN? reply has %d field%s, not manufacturer,model,serial,firmware"),
                       name, nf, nf == 1 ? "" : "s");
    drv_copy_trimmed(out->manufacturer, sizeof out->manufacturer, field[0], strlen(field[0]));
    drv_copy_trimmed(out->model, sizeof out->model, field[1], strlen(field[1]));
    drv_copy_trimmed(out->serial, sizeof out->serial, field[2], strlen(field[2]));
    drv_copy_trimmed(out->firmware, sizeof out->firmware, field[3], strlen(field[3]));
    if (out->manufacturer[0] == '\0' && out->model[0] == '\0')
        return drv_bad_reply(err, name, "*IDN? reply names no manufacturer or model",
                             (const uint8_t *)line, n);
    return 0;
}

enum drv_verdict drv_classify_idn(const uint8_t *line, size_t n, void *ctx)
{
    (void)ctx;
    int commas = 0;
    for (size_t i = 0; i < n; i++) {
        if (line[i] == ',')
            commas++;
        else if ((line[i] < 0x20 || line[i] > 0x7E) && line[i] != '\r' && line[i] != '\n')
            return DRV_SKIP;
    }
    return commas >= 3 ? DRV_TAKE : DRV_SKIP;
}

int drv_await_reply(drv_dev *d, const char *name, const char *cmd, int timeout_ms,
                    drv_classify_fn classify, void *ctx, char *line, size_t cap, size_t *start, size_t *len,
                       struct cd_err *err)
{
    double deadline = now_ms() + timeout_ms;
    uint8_t skipped[64];
    size_t n_skipped = 0, lines_skipped = 0;
    for (;;) {
        int left = (int)(deadline - now_ms());
        struct cd_err e = {0};
        int n = left > 0 ? drv_transport_read_line(d->t, line, cap, d->eol, left, &e)
                         : cd_fail(&e, CD_ERR_TIMEOUT, _("no complete reply within %d ms"),
                                   timeout_ms);
        if (n == CD_ERR_TIMEOUT) {
            if (lines_skipped > 0) {
                char what[128];
                snprintf(what, sizeof what,
                         _("no valid reply to %s within %d ms; skipped %zu line%s, the first"),
                         cmd, timeout_ms, lines_skipped, lines_skipped == 1 ? "" : "s");
                return drv_bad_reply(err, name, what, skipped, n_skipped);
            }
            return cd_fail(err, CD_ERR_TIMEOUT, _("%s: no reply to %s: %s"), name, cmd, e.msg);
        }
        if (n == CD_ERR_PROTOCOL) {   /* an overlong line: skip it */
            lines_skipped++;
            if (lines_skipped == 1) {
                n_skipped = (size_t)snprintf((char *)skipped, sizeof skipped, "(%s)", e.msg);
                n_skipped = n_skipped < sizeof skipped ? n_skipped : sizeof skipped - 1;
            }
            continue;
        }
        if (n < 0)
            return cd_fail(err, n, "%s: %s", name, e.msg);
        const uint8_t *b = (const uint8_t *)line;
        size_t nb = (size_t)n;
        if (classify(b, nb, ctx) == DRV_TAKE) {
            *start = 0;
            *len = nb;
            return 0;
        }
        /* Noise glued to the front of a reply: try what follows it. */
        size_t after = 0;
        for (size_t i = 0; i < nb; i++)
            if (!is_text(b[i]))
                after = i + 1;
        if (after > 0 && after < nb && classify(b + after, nb - after, ctx) == DRV_TAKE) {
            *start = after;
            *len = nb - after;
            return 0;
        }
        lines_skipped++;
        if (lines_skipped == 1) {
            n_skipped = nb < sizeof skipped ? nb : sizeof skipped;
            memcpy(skipped, b, n_skipped);
        }
    }
}

/* ------------------------------------------------------------ open */

static int parse_positive(const char *key, const char *value, double *out, struct cd_err *err)
{
    char *end = NULL;
    errno = 0;
    double v = strtod(value, &end);
    if (end == value || *end != '\0' || !isfinite(v) || v < 0)
        return cd_fail(err, CD_ERR_INVALID, _("option %s=%s: expected a non-negative number"), key,
                       value);
    *out = v;
    return 0;
}

/* Options the layer itself takes. */
static int common_option(drv_dev *d, const char *key, const char *value, struct cd_err *err)
{
    double v = 0;
    int rc;
    if (strcmp(key, "timeout_ms") == 0) {
        if ((rc = parse_positive(key, value, &v, err)) != 0)
            return rc;
        d->timeout_ms = (int)v;
        return 0;
    }
    if (strcmp(key, "stable_n") == 0) {
        if ((rc = parse_positive(key, value, &v, err)) != 0)
            return rc;
        if (v < 2 || v > 1000)
            return cd_fail(err, CD_ERR_INVALID, _("option stable_n=%s: 2 to 1000 readings"), value);
        d->stability.n = (int)v;
        return 0;
    }
    if (strcmp(key, "stable_band") == 0)
        return parse_positive(key, value, &d->stability.band, err);
    if (strcmp(key, "stable_s") == 0)
        return parse_positive(key, value, &d->stability.seconds, err);
    return CD_ERR_NOT_FOUND;
}

static int apply_options(drv_dev *d, const char *const *options, struct cd_err *err)
{
    for (const char *const *o = options; o != NULL && *o != NULL; o++) {
        const char *eq = strchr(*o, '=');
        if (eq == NULL || eq == *o)
            return cd_fail(err, CD_ERR_INVALID, _("%s: option '%s' is not KEY=VALUE"),
                           d->ops->name, *o);
        char key[64];
        snprintf(key, sizeof key, "%.*s", (int)(eq - *o), *o);
        int rc = common_option(d, key, eq + 1, err);
        if (rc == CD_ERR_NOT_FOUND && d->ops->option != NULL)
            rc = d->ops->option(d, key, eq + 1, err);
        if (rc == CD_ERR_NOT_FOUND)
            return cd_fail(err, CD_ERR_INVALID, _("%s: unknown option '%s' (docs/drivers.md)"),
                           d->ops->name, key);
        if (rc != 0)
            return rc;
    }
    return 0;
}

int drv_open(const char *driver, const char *port, const char *serial,
             const char *const *options, struct drv_trace_writer *rec, drv_dev **out,
             struct cd_err *err)
{
    *out = NULL;
    const struct drv_ops *ops = find_ops(driver);
    if (ops == NULL) {
        char known[256];
        drv_names_text(names, known, sizeof known);
        return cd_fail(err, CD_ERR_NOT_FOUND, _("no driver '%s' (known: %s)"), driver, known);
    }
    drv_dev *d = calloc(1, sizeof *d);
    if (d == NULL)
        return cd_fail(err, CD_ERR_NOMEM, _("out of memory"));
    d->ops = ops;
    d->timeout_ms = 2000;
    d->eol = '\n';
    d->stability = (struct drv_stability){.n = 5, .band = 0, .seconds = 2};
    if (ops->state_size > 0 && (d->state = calloc(1, ops->state_size)) == NULL) {
        free(d);
        return cd_fail(err, CD_ERR_NOMEM, _("out of memory"));
    }
    int rc = apply_options(d, options, err);
    if (rc == 0 && !ops->uses_modbus) {
        rc = drv_transport_open(port, serial != NULL ? serial : ops->default_serial, &d->t, err);
        if (rc == 0 && rec != NULL)
            drv_transport_record(d->t, rec);
    }
    if (rc == 0 && ops->uses_modbus) {
        const char *unit = NULL;
        for (const char *const *o = options; o != NULL && *o != NULL; o++)
            if (strncmp(*o, "unit_id=", 8) == 0)
                unit = *o + 8;
        rc = drv_modbus_open(port, serial != NULL ? serial : ops->default_serial,
                             unit != NULL ? atoi(unit) : 1, d->timeout_ms, rec, &d->mb, err);
    }
    if (rc == 0 && ops->start != NULL)
        rc = ops->start(d, err);
    if (rc != 0) {
        drv_close(d);
        return rc;
    }
    *out = d;
    return 0;
}

void drv_close(drv_dev *d)
{
    if (d == NULL)
        return;
    if (d->ops->stop != NULL && (d->t != NULL || d->mb != NULL))
        d->ops->stop(d);
    drv_transport_close(d->t);
    drv_modbus_close(d->mb);
    free(d->state);
    free(d);
}

const char *drv_dev_driver(const drv_dev *d)
{
    return d->ops->name;
}

bool drv_has_stability_flag(const drv_dev *d)
{
    return d->ops->stability_flag;
}

bool drv_is_source(const drv_dev *d)
{
    return d->ops->source_set != NULL;
}

static int not_a_source(const drv_dev *d, struct cd_err *err)
{
    return cd_fail(err, CD_ERR_UNSUPPORTED, _("%s: not a source caldaq can set (pace, bath)"),
                   d->ops->name);
}

int drv_source_set(drv_dev *d, double value, struct cd_err *err)
{
    if (d->ops->source_set == NULL)
        return not_a_source(d, err);
    if (!isfinite(value))
        return cd_fail(err, CD_ERR_INVALID, _("%s: a set point must be a number"), d->ops->name);
    return d->ops->source_set(d, value, err);
}

int drv_source_read(drv_dev *d, struct drv_source_reading *out, struct cd_err *err)
{
    memset(out, 0, sizeof *out);
    out->setpoint = out->actual = NAN;
    out->in_limits = -1;
    if (d->ops->source_read == NULL)
        return not_a_source(d, err);
    int rc = d->ops->source_read(d, out, err);
    if (rc == 0)
        out->t = drv_now();
    return rc;
}

int drv_source_safe(drv_dev *d, char *said, size_t cap, struct cd_err *err)
{
    if (said != NULL && cap > 0)
        said[0] = '\0';
    if (d->ops->source_safe == NULL)
        return not_a_source(d, err);
    char local[160];
    return d->ops->source_safe(d, said != NULL ? said : local, said != NULL ? cap : sizeof local,
                               err);
}

int drv_identify(drv_dev *d, struct drv_identity *out, struct cd_err *err)
{
    memset(out, 0, sizeof *out);
    if (d->ops->identify == NULL)
        return cd_fail(err, CD_ERR_UNSUPPORTED, _("%s: the instrument cannot identify itself"),
                       d->ops->name);
    return d->ops->identify(d, out, err);
}

int drv_read(drv_dev *d, struct drv_reading *out, struct cd_err *err)
{
    memset(out, 0, sizeof *out);
    out->value = NAN;
    int rc = d->ops->read(d, out, err);
    if (rc == 0 && out->t == 0)
        out->t = drv_now();
    return rc;
}

int drv_zero(drv_dev *d, struct cd_err *err)
{
    if (d->ops->zero == NULL)
        return cd_fail(err, CD_ERR_UNSUPPORTED, _("%s: the instrument has no remote zero"),
                       d->ops->name);
    return d->ops->zero(d, err);
}

int drv_tare(drv_dev *d, struct cd_err *err)
{
    if (d->ops->tare == NULL)
        return cd_fail(err, CD_ERR_UNSUPPORTED, _("%s: the instrument has no remote tare"),
                       d->ops->name);
    return d->ops->tare(d, err);
}

/* ------------------------------------------------------------ stability */

static double monotonic_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int drv_read_stable(drv_dev *d, const struct drv_stability *crit, int timeout_ms,
                    struct drv_reading *out, struct cd_err *err)
{
    return drv_read_stable_each(d, crit, timeout_ms, NULL, NULL, out, err);
}

/* How often an instrument with its own stability flag is asked again while
 * it says unstable: about the rate balances update their display. */
#define FLAG_POLL_S 0.1

static void pause_s(double s)
{
    struct timespec ts = {.tv_sec = (time_t)s, .tv_nsec = (long)((s - (double)(time_t)s) * 1e9)};
    nanosleep(&ts, NULL);
}

int drv_read_stable_each(drv_dev *d, const struct drv_stability *crit, int timeout_ms,
                         drv_reading_fn seen, void *ctx, struct drv_reading *out,
                         struct cd_err *err)
{
    struct drv_stability c = crit != NULL ? *crit : d->stability;
    if (c.n < 2)
        c.n = 5;
    enum { MAX_WINDOW = 1000 };
    double values[MAX_WINDOW];
    double times[MAX_WINDOW];
    int have = 0;
    double deadline = monotonic_s() + timeout_ms / 1000.0;
    for (;;) {
        int rc = drv_read(d, out, err);
        if (rc != 0)
            return rc;
        if (out->status == DRV_STATUS_OVERLOAD || out->status == DRV_STATUS_UNDERLOAD ||
            out->status == DRV_STATUS_ERROR)
            return 0;
        if (d->ops->stability_flag) {
            if (out->status == DRV_STATUS_STABLE)
                return 0;
            if (seen != NULL && !seen(out, ctx))
                return cd_fail(err, CD_ERR_CANCELLED,
                               _("stopped while waiting for a stable reading"));
        } else {
            /* A window of the last n readings within the band, spanning at
             * least c.seconds: then the last one is declared stable. */
            if (have == c.n) {
                memmove(values, values + 1, (size_t)(c.n - 1) * sizeof *values);
                memmove(times, times + 1, (size_t)(c.n - 1) * sizeof *times);
                have--;
            }
            values[have] = out->value;
            times[have] = monotonic_s();
            have++;
            double band = c.band > 0 ? c.band : 2 * (out->resolution > 0 ? out->resolution : 0);
            if (have == c.n) {
                double lo = values[0], hi = values[0];
                for (int i = 1; i < have; i++) {
                    lo = values[i] < lo ? values[i] : lo;
                    hi = values[i] > hi ? values[i] : hi;
                }
                if (hi - lo <= band && times[have - 1] - times[0] >= c.seconds) {
                    out->status = DRV_STATUS_STABLE;
                    return 0;
                }
            }
            out->status = DRV_STATUS_UNSTABLE;
            if (seen != NULL && !seen(out, ctx))
                return cd_fail(err, CD_ERR_CANCELLED,
                               _("stopped while waiting for a stable reading"));
        }
        if (monotonic_s() > deadline)
            return cd_fail(err, CD_ERR_UNSTABLE,
                           _("%s: no stable reading within %d ms (last: %s%s%s, %s)"), d->ops->name,
                           timeout_ms, out->display[0] ? out->display : _("no value"),
                           out->display[0] && out->unit[0] ? " " : "",
                           out->display[0] ? out->unit : "", drv_status_name(out->status));
        if (d->ops->stability_flag)
            pause_s(FLAG_POLL_S);
        else if (c.seconds > 0 && c.n > 1)
            pause_s(c.seconds / (c.n - 1)); /* pace the window: n readings over c.seconds */
    }
}
