/* What the reference-thermometer drivers share (fluke-ttr, fluke-1529,
 * millik; drv_priv.h, docs/temperature.md): a query answered by one
 * reading line among echoes and periodic output, and *IDN?. */
#include "drv_priv.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "parsers/thermo.h"
#include "cd_i18n.h"

#define LINE_MAX_THERMO 256

struct want {
    const struct drv_parser *parser;
    bool bare_only;
    struct drv_reading r;
};

static enum drv_verdict classify(const uint8_t *line, size_t n, void *ctx)
{
    struct want *w = ctx;
    struct cd_err ignored = {0};
    if (w->parser->parse(line, n, &w->r, &ignored) != 0)
        return DRV_SKIP;
    if (w->bare_only && w->r.status != DRV_STATUS_ERROR && w->r.unit[0] != '\0')
        return DRV_SKIP;
    return DRV_TAKE;
}

/* The command without its line end, for messages. */
static void command_text(const char *cmd, char *buf, size_t cap)
{
    size_t n = strcspn(cmd, "\r\n");
    snprintf(buf, cap, "%.*s", (int)n, cmd);
}

int drv_thermo_query(drv_dev *d, const struct drv_parser *p, const char *cmd, const char *unit,
                     bool bare_only, struct drv_reading *out, struct cd_err *err)
{
    char what[64];
    command_text(cmd, what, sizeof what);
    struct cd_err e = {0};
    int rc = drv_send(d, cmd, &e);
    if (rc != 0)
        return cd_fail(err, rc, _("%s: sending %s: %s"), p->driver, what, cd_err_text(&e));
    struct want w = {.parser = p, .bare_only = bare_only};
    char line[LINE_MAX_THERMO];
    size_t at = 0, n = 0;
    rc = drv_await_reply(d, p->driver, what, d->timeout_ms, classify, &w, line, sizeof line, &at,
                         &n, err);
    if (rc != 0)
        return rc;
    if (w.r.status == DRV_STATUS_ERROR)
        return cd_fail(err, CD_ERR_DEVICE, _("%s: %s answered with an error: %s"), p->driver, what,
                       w.r.error);
    *out = w.r;
    if (out->unit[0] == '\0')
        snprintf(out->unit, sizeof out->unit, "%s", unit);
    out->t = drv_now();
    return 0;
}

int drv_thermo_identify(drv_dev *d, const char *name, const char *cmd, struct drv_identity *out,
                        struct cd_err *err)
{
    int rc = drv_send(d, cmd, err);
    if (rc != 0)
        return rc;
    char line[LINE_MAX_THERMO];
    size_t at = 0, n = 0;
    rc = drv_await_reply(d, name, "*IDN?", d->timeout_ms, drv_classify_idn, NULL, line,
                         sizeof line, &at, &n, err);
    if (rc != 0)
        return rc;
    return drv_idn_parse(line + at, n, name, out, err);
}

int drv_thermo_unit_option(const char *name, const char *value, bool ohms, char *letter,
                           struct cd_err *err)
{
    if (strlen(value) == 1 && thermo_unit(value[0]) != NULL &&
        (ohms || toupper((unsigned char)value[0]) != 'O')) {
        *letter = (char)toupper((unsigned char)value[0]);
        return 0;
    }
    return cd_fail(err, CD_ERR_INVALID, _("%s: unit=%s: expected C, F, K%s"), name, value,
                   ohms ? " or O (ohms)" : "");
}
