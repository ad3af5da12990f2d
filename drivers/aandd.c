/* The "aandd" driver: A&D balances (GX/GF/GR/FX/EK/EJ) in the A&D standard
 * format. Lines are decoded by drivers/parsers/aandd.c; docs/drivers-balances.md
 * is the user's description.
 *
 * Commands, each ending in CR LF [protocols.md 1.3 (**M** there), checked:
 * oscarbranson/AnD_balance balance.py `commands` (?ID ?SN ?TN ?PT S SI SIR
 * T ON OFF C Z), A&D FG-150KCLWP manual p. 39 (Q requests weighing data,
 * ?ID answers "ID,000100"), AD-4212B manual p. 69 and GX-K manual p. 86
 * (R = RE-ZERO key)]: Q (weight now), ?TN (model), ?SN (serial), ?ID (the
 * balance's ID number), R (re-zero), T (tare).
 *
 * Acknowledgements: with "AK, error code" on (function erCd 1, option
 * ack=1, the default here) a control command is answered ACK (06h) CR LF or
 * "EC,Exx"; R answers once on receipt and once when done [AD-4212B p. 69,
 * FX-i manual p. 54: "CAL, ON, P, R ... transmit the acknowledge code both
 * when the balance receives the command and when the balance has
 * accomplished the command"]; the GC series does the same for T and Z
 * [GC-series manual p. 56], the FX-i list does not name T: option
 * tare_acks=1 for balances that acknowledge T once. The second
 * acknowledgement comes after the balance is stable: it is awaited for
 * settle_timeout_ms. With ack=0 (erCd 0) control commands get no reply and
 * zero/tare are sent unconfirmed. Data requests (Q, ?xx) are answered either
 * way. No command is repeated automatically, not even after EC,E00 (the
 * manual's advice is to send again: that is the caller's decision).
 *
 * Identification: ?TN, ?SN and ?ID where the balance answers; a balance
 * that does not know them answers EC,E01 or nothing (ack=0, older models):
 * after the first silent query the rest are not tried, and identify
 * succeeds with what it got ("what it can give"). The ID number is a
 * user-set label, not a serial number: it is reported as the serial only
 * when ?SN gives none, written "ID <number>".
 *
 * Reply handling (noise, stray lines, timeouts) is the same as in
 * drivers/mtsics.c: see the comment there.
 */
#include "drv_priv.h"
#include "cd_i18n.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NAME "A&D"
#define LINE_MAX_LEN 256

struct ad_state {
    bool no_ack;             /* option ack=0 */
    bool single_tare_ack;    /* option tare_acks=1 */
    int settle_timeout_ms;   /* option settle_timeout_ms (0: 15000) */
};

/* ------------------------------------------------------------ replies */


static int send_command(drv_dev *d, const char *cmd, struct cd_err *err)
{
    drv_transport_discard(d->t);
    char text[16];
    snprintf(text, sizeof text, "%s\r\n", cmd);
    return drv_send(d, text, err);
}

static bool is_ack(const uint8_t *b, size_t n)
{
    return n == 3 && b[0] == 0x06 && b[1] == '\r' && b[2] == '\n';
}

static bool is_error_code(const uint8_t *b, size_t n)
{
    return n >= 5 && memcmp(b, "EC,", 3) == 0;
}

/* ------------------------------------------------------------ options */

static int option(drv_dev *d, const char *key, const char *value, struct cd_err *err)
{
    struct ad_state *st = d->state;
    if (strcmp(key, "ack") == 0) {
        if (strcmp(value, "0") != 0 && strcmp(value, "1") != 0)
            return cd_fail(err, CD_ERR_INVALID, _("aandd: option ack=%s: 0 or 1"), value);
        st->no_ack = value[0] == '0';
        return 0;
    }
    if (strcmp(key, "tare_acks") == 0) {
        if (strcmp(value, "1") != 0 && strcmp(value, "2") != 0)
            return cd_fail(err, CD_ERR_INVALID, _("aandd: option tare_acks=%s: 1 or 2"), value);
        st->single_tare_ack = value[0] == '1';
        return 0;
    }
    if (strcmp(key, "settle_timeout_ms") == 0) {
        char *end = NULL;
        errno = 0;
        long v = strtol(value, &end, 10);
        if (end == value || *end != '\0' || errno != 0 || v < 0 || v > 600000)
            return cd_fail(err, CD_ERR_INVALID,
                           _("aandd: option settle_timeout_ms=%s: 0 to 600000 ms"), value);
        st->settle_timeout_ms = (int)v;
        return 0;
    }
    return CD_ERR_NOT_FOUND;
}

static int start(drv_dev *d, struct cd_err *err)
{
    (void)err;
    drv_transport_discard(d->t);   /* stream-mode output from before we opened */
    return 0;
}

/* ------------------------------------------------------------ read */

static int read_weight(drv_dev *d, struct drv_reading *out, struct cd_err *err)
{
    int rc = send_command(d, "Q", err);
    if (rc != 0)
        return rc;
    char line[LINE_MAX_LEN];
    size_t at, n;
    struct drv_parsed ctx = {.parser = &drv_parser_aandd};
    rc = drv_await_reply(d, NAME, "Q", d->timeout_ms, drv_classify_parsed, &ctx, line, sizeof line, &at, &n,
                     err);
    if (rc != 0)
        return rc;
    ctx.r.t = drv_now();
    *out = ctx.r;
    if (ctx.r.status == DRV_STATUS_ERROR)
        return cd_fail(err, CD_ERR_DEVICE, "%s: %s", NAME, ctx.r.error);
    return 0;
}

/* ------------------------------------------------------------ identify */

struct header_ctx {
    const char *header;   /* "TN" */
};

static enum drv_verdict classify_header(const uint8_t *b, size_t n, void *vctx)
{
    const struct header_ctx *c = vctx;
    if (is_error_code(b, n))
        return DRV_TAKE;
    return n >= 5 && memcmp(b, c->header, 2) == 0 && b[2] == ',' && b[n - 2] == '\r' ? DRV_TAKE
                                                                                     : DRV_SKIP;
}

/* "?TN" -> "TN,GX-224A": the data into out. 0, 1 when the balance answered
 * an error code (it does not know the query), 2 on silence, or a failure. */
static int query(drv_dev *d, const char *header, char *out, size_t cap, struct cd_err *err)
{
    char cmd[8];
    snprintf(cmd, sizeof cmd, "?%s", header);
    int rc = send_command(d, cmd, err);
    if (rc != 0)
        return rc;
    char line[LINE_MAX_LEN];
    size_t at, n;
    struct header_ctx ctx = {header};
    struct cd_err e = {0};
    rc = drv_await_reply(d, NAME, cmd, d->timeout_ms, classify_header, &ctx, line, sizeof line, &at, &n,
                     &e);
    if (rc == CD_ERR_TIMEOUT)
        return 2;
    if (rc != 0)
        return cd_fail(err, rc, "%s", e.msg);
    const char *s = line + at;
    if (is_error_code((const uint8_t *)s, n))
        return 1;
    drv_copy_trimmed(out, cap, s + 3, n - 3);
    return 0;
}

static int identify(drv_dev *d, struct drv_identity *out, struct cd_err *err)
{
    snprintf(out->manufacturer, sizeof out->manufacturer, "A&D");
    int rc = query(d, "TN", out->model, sizeof out->model, err);
    if (rc < 0 || rc == 2)
        return rc < 0 ? rc : 0;
    rc = query(d, "SN", out->serial, sizeof out->serial, err);
    if (rc < 0 || rc == 2)
        return rc < 0 ? rc : 0;
    if (out->serial[0] == '\0') {
        char id[48];
        id[0] = '\0';
        rc = query(d, "ID", id, sizeof id, err);
        if (rc < 0)
            return rc;
        if (rc == 0 && id[0] != '\0')
            snprintf(out->serial, sizeof out->serial, "ID %s", id);
    }
    return 0;
}

/* ------------------------------------------------------------ zero, tare */

static enum drv_verdict classify_ack(const uint8_t *b, size_t n, void *vctx)
{
    (void)vctx;
    return is_ack(b, n) || is_error_code(b, n) ? DRV_TAKE : DRV_SKIP;
}

/* Send a control command and wait for `acks` acknowledgements: the first
 * within timeout_ms, the second (done) within the settle timeout. */
static int control(drv_dev *d, const char *cmd, int acks, struct cd_err *err)
{
    const struct ad_state *st = d->state;
    int rc = send_command(d, cmd, err);
    if (rc != 0 || st->no_ack)
        return rc;
    int settle = st->settle_timeout_ms > 0 ? st->settle_timeout_ms : 15000;
    for (int i = 0; i < acks; i++) {
        char line[LINE_MAX_LEN];
        size_t at, n;
        char what[48];
        snprintf(what, sizeof what, "%s (%s acknowledgement)", cmd,
                 i == 0 ? "first" : "second, when done");
        rc = drv_await_reply(d, NAME, what, i == 0 ? d->timeout_ms : settle, classify_ack, NULL, line,
                         sizeof line, &at, &n, err);
        if (rc != 0)
            return rc;
        const uint8_t *b = (const uint8_t *)line + at;
        if (is_error_code(b, n))
            return drv_device_error(&drv_parser_aandd, NAME, "malformed error code", b, n, err);
    }
    return 0;
}

static int zero(drv_dev *d, struct cd_err *err)
{
    return control(d, "R", 2, err);
}

static int tare(drv_dev *d, struct cd_err *err)
{
    const struct ad_state *st = d->state;
    return control(d, "T", st->single_tare_ack ? 1 : 2, err);
}

/* Default serial settings 2400 baud, 7 data bits, even parity, 1 stop bit:
 * protocols.md 1.3 (**M**), confirmed by oscarbranson/AnD_balance, which
 * opens A&D FX-i balances with serial.Serial(port, 2400, bytesize=7,
 * parity='E', stopbits=1). */
const struct drv_ops drv_aandd = {
    .name = "aandd",
    .summary = "A&D balances, A&D standard format",
    .default_serial = "2400,7E1",
    .stability_flag = true,
    .state_size = sizeof(struct ad_state),
    .option = option,
    .start = start,
    .identify = identify,
    .read = read_weight,
    .zero = zero,
    .tare = tare,
};
