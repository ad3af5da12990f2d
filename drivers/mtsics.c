/* The "mtsics" driver: Mettler Toledo balances over MT-SICS levels 0 and 1.
 * Reply lines are decoded by drivers/parsers/mtsics.c; docs/drivers-balances.md
 * is the user's description (commands, replies, options, errors, sources).
 *
 * Commands used [protocols.md 1.1; InstrumentKit mt_sics.py; janelia-python
 * mettler_toledo_device.py]: I2 (model and capacity), I3 (software version),
 * I4 (serial number), SI (weight now, stable or not), Z (zero when stable),
 * T (tare when stable). Each ends in CR LF.
 *
 * Reply handling (the same in the three balance drivers):
 *   - Before a command, input already waiting is discarded: it belongs to
 *     an earlier, timed-out exchange (a truncated or late line).
 *   - Lines are read until one that answers the command. A line that does
 *     not answer it (noise, a stray line) is skipped; if it holds bytes that
 *     no MT-SICS reply contains (not printable ASCII: line noise), the text
 *     after the last such byte is tried as the reply, so a reply with noise
 *     glued to its front is still read. If no answer comes within the
 *     timeout, the error is CD_ERR_PROTOCOL quoting the first skipped line
 *     when something was skipped, else CD_ERR_TIMEOUT (a partial line is
 *     mentioned). A lost port gives CD_ERR_DISCONNECTED from the transport.
 *   - An answer is returned at once: nothing is read after it, so a reading
 *     that arrived is never lost to a later failure.
 *   - Error replies (ES, ET, EL, "<cmd> I/L/+/-") give CD_ERR_DEVICE with
 *     their meaning; no command is repeated automatically.
 */
#include "drv_priv.h"
#include "cd_i18n.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NAME "MT-SICS"
#define LINE_MAX_LEN 256

struct mt_state {
    int settle_timeout_ms;   /* Z and T wait for stability: option settle_timeout_ms */
};

/* ------------------------------------------------------------ replies */



/* Discard stale input, send `cmd` CR LF, and wait for its answer. */
static int exchange(drv_dev *d, const char *cmd, int timeout_ms, drv_classify_fn classify, void *ctx,
                    char *line, size_t cap, size_t *start, size_t *len, struct cd_err *err)
{
    drv_transport_discard(d->t);
    char text[32];
    snprintf(text, sizeof text, "%s\r\n", cmd);
    int rc = drv_send(d, text, err);
    if (rc != 0)
        return rc;
    return drv_await_reply(d, NAME, cmd, timeout_ms, classify, ctx, line, cap, start, len, err);
}

static bool general_error(const uint8_t *b, size_t n)
{
    return (n == 4 || n == 3) && b[0] == 'E' && (b[1] == 'S' || b[1] == 'T' || b[1] == 'L') &&
           (n == 3 ? b[2] == '\n' : b[2] == '\r' && b[3] == '\n');
}

/* The reply to `cmd` echoes it: "<cmd> ...". */
static bool echoes(const uint8_t *b, size_t n, const char *cmd)
{
    size_t k = strlen(cmd);
    return n > k + 1 && memcmp(b, cmd, k) == 0 && b[k] == ' ';
}

/* ------------------------------------------------------------ options */

static int option(drv_dev *d, const char *key, const char *value, struct cd_err *err)
{
    struct mt_state *st = d->state;
    if (strcmp(key, "settle_timeout_ms") == 0) {
        char *end = NULL;
        errno = 0;
        long v = strtol(value, &end, 10);
        if (end == value || *end != '\0' || errno != 0 || v < 0 || v > 600000)
            return cd_fail(err, CD_ERR_INVALID,
                           _("mtsics: option settle_timeout_ms=%s: 0 to 600000 ms"), value);
        st->settle_timeout_ms = (int)v;
        return 0;
    }
    return CD_ERR_NOT_FOUND;
}

static int settle_timeout(const drv_dev *d)
{
    const struct mt_state *st = d->state;
    return st->settle_timeout_ms > 0 ? st->settle_timeout_ms : 15000;
}

static int start(drv_dev *d, struct cd_err *err)
{
    (void)err;
    /* Whatever the balance sent before we opened (SIR output, a print)
     * is not ours. "@" would also stop SIR, but it clears the tare too. */
    drv_transport_discard(d->t);
    return 0;
}

/* ------------------------------------------------------------ identify */

struct echo_ctx {
    const char *cmd;
};

static enum drv_verdict classify_echo(const uint8_t *b, size_t n, void *vctx)
{
    const struct echo_ctx *c = vctx;
    return echoes(b, n, c->cmd) || general_error(b, n) ? DRV_TAKE : DRV_SKIP;
}

/* "I2 A "text"": the text (quotes removed) into out; 0, 1 when the balance
 * has no answer for it (ES, "I2 I", ...), or a failure. */
static int query_text(drv_dev *d, const char *cmd, char *out, size_t cap, struct cd_err *err)
{
    char line[LINE_MAX_LEN];
    size_t at, n;
    struct echo_ctx ctx = {cmd};
    int rc = exchange(d, cmd, d->timeout_ms, classify_echo, &ctx, line, sizeof line, &at, &n,
                      err);
    if (rc != 0)
        return rc;
    const char *s = line + at;
    size_t k = strlen(cmd);
    if (general_error((const uint8_t *)s, n) || n < k + 3 || s[k + 1] != 'A')
        return 1;   /* not available on this balance */
    if (s[k + 2] != ' ')
        return drv_bad_reply(err, NAME, "malformed identification reply", (const uint8_t *)s, n);
    const char *text = s + k + 3;
    size_t tn = n - (k + 3);
    while (tn > 0 && (text[tn - 1] == '\r' || text[tn - 1] == '\n'))
        tn--;
    if (tn >= 2 && text[0] == '"' && text[tn - 1] == '"') {
        text++;
        tn -= 2;
    }
    drv_copy_trimmed(out, cap, text, tn);
    return 0;
}

static bool is_number(const char *s)
{
    char *end = NULL;
    strtod(s, &end);
    return end != s && *end == '\0';
}

static int identify(drv_dev *d, struct drv_identity *out, struct cd_err *err)
{
    snprintf(out->manufacturer, sizeof out->manufacturer, "Mettler Toledo");
    char text[128];
    int rc = query_text(d, "I2", text, sizeof text, err);
    if (rc < 0)
        return rc;
    if (rc == 0) {
        /* "XS204 Excellence 220.0090 g": model, then capacity and unit
         * (janelia get_balance_data() splits it into these four). */
        char *unit = strrchr(text, ' ');
        char *cap = NULL;
        if (unit != NULL) {
            *unit = '\0';
            cap = strrchr(text, ' ');
            if (cap == NULL || !is_number(cap + 1)) {
                cap = NULL;
                *unit = ' ';   /* not "capacity unit" at the end: keep it all */
            }
        }
        if (cap != NULL) {
            *cap = '\0';
            snprintf(out->model, sizeof out->model, "%.32s, Max %.16s %.6s", text, cap + 1,
                     unit + 1);
        } else {
            snprintf(out->model, sizeof out->model, "%.63s", text);
        }
    }
    rc = query_text(d, "I3", out->firmware, sizeof out->firmware, err);
    if (rc < 0)
        return rc;
    rc = query_text(d, "I4", out->serial, sizeof out->serial, err);
    return rc < 0 ? rc : 0;
}

/* ------------------------------------------------------------ read */

static int read_weight(drv_dev *d, struct drv_reading *out, struct cd_err *err)
{
    char line[LINE_MAX_LEN];
    size_t at, n;
    struct drv_parsed ctx = {.parser = &drv_parser_mtsics};
    int rc = exchange(d, "SI", d->timeout_ms, drv_classify_parsed, &ctx, line, sizeof line, &at, &n,
                      err);
    if (rc != 0)
        return rc;
    ctx.r.t = drv_now();
    *out = ctx.r;
    if (ctx.r.status == DRV_STATUS_ERROR)
        return cd_fail(err, CD_ERR_DEVICE, "%s: %s", NAME, ctx.r.error);
    return 0;
}

/* ------------------------------------------------------------ zero, tare */

static int zero(drv_dev *d, struct cd_err *err)
{
    char line[LINE_MAX_LEN];
    size_t at, n;
    struct echo_ctx ctx = {"Z"};
    int rc = exchange(d, "Z", settle_timeout(d), classify_echo, &ctx, line, sizeof line, &at, &n,
                      err);
    if (rc != 0)
        return rc;
    const uint8_t *b = (const uint8_t *)line + at;
    if (n >= 5 && memcmp(b, "Z A\r\n", 5) == 0)
        return 0;
    return drv_device_error(&drv_parser_mtsics, NAME, "unexpected reply", b, n, err);
}

static int tare(drv_dev *d, struct cd_err *err)
{
    char line[LINE_MAX_LEN];
    size_t at, n;
    struct echo_ctx ctx = {"T"};
    int rc = exchange(d, "T", settle_timeout(d), classify_echo, &ctx, line, sizeof line, &at, &n,
                      err);
    if (rc != 0)
        return rc;
    const uint8_t *b = (const uint8_t *)line + at;
    /* "T S     100.00 g": the tare taken, in the weight field layout. */
    if (n >= 4 && b[0] == 'T' && b[1] == ' ' && (b[2] == 'S' || b[2] == 'D') && b[3] == ' ') {
        uint8_t as_weight[LINE_MAX_LEN];
        memcpy(as_weight, b, n);
        as_weight[0] = 'S';
        struct drv_reading r;
        struct cd_err e = {0};
        if (drv_parser_mtsics.parse(as_weight, n, &r, &e) != 0)
            return drv_bad_reply(err, NAME, "malformed tare reply", b, n);
        return 0;
    }
    return drv_device_error(&drv_parser_mtsics, NAME, "unexpected reply", b, n, err);
}

const struct drv_ops drv_mtsics = {
    .name = "mtsics",
    .summary = "Mettler Toledo balances, MT-SICS levels 0 and 1",
    .default_serial = "9600,8N1",
    .stability_flag = true,
    .state_size = sizeof(struct mt_state),
    .option = option,
    .start = start,
    .identify = identify,
    .read = read_weight,
    .zero = zero,
    .tare = tare,
};
