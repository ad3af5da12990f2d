/* The "sbi" driver: Sartorius balances in SBI mode. Output lines are decoded
 * by drivers/parsers/sbi.c; docs/drivers-balances.md is the user's
 * description.
 *
 * Commands [protocols.md 1.2; Cubis MSE manual p. 71-72 and Entris II manual
 * p. 4 (SBI command tables); GraysonBellamy/sartoriuslib docs/sbi_commands.md;
 * numat/sartorius driver.py]: "ESC P" print (read), "ESC x1_" model,
 * "ESC x2_" serial number, "ESC x3_" software version, "ESC V" zero key,
 * "ESC U" tare key, "ESC T" the combined tare/zero key. CR LF is optional
 * on most models but not marked optional for Entris II, so we send it.
 * Only ESC P and ESC x#_ are answered; zero and tare give no reply, so the
 * driver cannot confirm them (the next reading shows the result).
 *
 * Older models (FB, GPC, CP, LE) have only "ESC T" (tare, zeroing when the
 * load is inside the zero range); the option keys=combined sends ESC T for
 * both zero and tare.
 *
 * Auto-print: a balance may send lines unrequested. Reading discards what
 * is waiting and then takes the next complete weight line (ESC P is still
 * sent unless option autoprint=1; on Cubis MSE, ESC P pauses auto-print,
 * sartoriuslib sbi_commands.md). Lines are taken on line boundaries: the
 * tail of a line we joined half-way fails the layout check and is skipped.
 * Identification replies may arrive between auto-print lines
 * (sartoriuslib: "Replies appear interleaved"), so weight lines are skipped
 * while waiting for them.
 *
 * Reply handling (noise, stray lines, timeouts) is the same as in
 * drivers/mtsics.c: see the comment there.
 */
#include "drv_priv.h"
#include "cd_i18n.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NAME "SBI"
#define LINE_MAX_LEN 256

struct sbi_state {
    bool autoprint;          /* option autoprint=1: do not send ESC P */
    bool combined_keys;      /* option keys=combined: ESC T for zero and tare */
};

/* ------------------------------------------------------------ options */

static int option(drv_dev *d, const char *key, const char *value, struct cd_err *err)
{
    struct sbi_state *st = d->state;
    if (strcmp(key, "autoprint") == 0) {
        if (strcmp(value, "0") != 0 && strcmp(value, "1") != 0)
            return cd_fail(err, CD_ERR_INVALID, _("sbi: option autoprint=%s: 0 or 1"), value);
        st->autoprint = value[0] == '1';
        return 0;
    }
    if (strcmp(key, "keys") == 0) {
        if (strcmp(value, "separate") != 0 && strcmp(value, "combined") != 0)
            return cd_fail(err, CD_ERR_INVALID, _("sbi: option keys=%s: separate or combined"),
                           value);
        st->combined_keys = strcmp(value, "combined") == 0;
        return 0;
    }
    return CD_ERR_NOT_FOUND;
}

static int start(drv_dev *d, struct cd_err *err)
{
    (void)err;
    drv_transport_discard(d->t);   /* auto-print output from before we opened */
    return 0;
}

static int send_command(drv_dev *d, const char *cmd, struct cd_err *err)
{
    char text[16];
    snprintf(text, sizeof text, "\x1b%s\r\n", cmd);
    return drv_send(d, text, err);
}

/* ------------------------------------------------------------ read */

/* The 6-character ID of a 22-character line, trimmed ("" for 16). */
static void line_id(const uint8_t *b, size_t n, char *id, size_t cap)
{
    id[0] = '\0';
    if (n > 0 && b[0] == '?') {
        b++;
        n--;
    }
    if (n == 22)
        drv_copy_trimmed(id, cap, (const char *)b, 6);
}

struct read_ctx {
    struct drv_reading r;
};

static enum drv_verdict classify_reading(const uint8_t *b, size_t n, void *vctx)
{
    struct read_ctx *c = vctx;
    struct cd_err e = {0};
    if (drv_parser_sbi.parse(b, n, &c->r, &e) != 0)
        return DRV_SKIP;
    /* A print with tare may bring gross and tare lines before the net
     * one (IDs G#, T, T2, PT2, Cont.T: Combics 3 manual p. 96): the
     * reading is the net weight. */
    static const char *const not_net[] = {"G#", "T", "T1", "T2", "PT2", "Cont.T"};
    char id[8];
    line_id(b, n, id, sizeof id);
    for (size_t i = 0; i < sizeof not_net / sizeof not_net[0]; i++)
        if (strcmp(id, not_net[i]) == 0)
            return DRV_SKIP;
    return DRV_TAKE;
}

static int read_weight(drv_dev *d, struct drv_reading *out, struct cd_err *err)
{
    const struct sbi_state *st = d->state;
    drv_transport_discard(d->t);
    if (!st->autoprint) {
        int rc = send_command(d, "P", err);
        if (rc != 0)
            return rc;
    }
    char line[LINE_MAX_LEN];
    size_t at, n;
    struct read_ctx ctx;
    int rc = drv_await_reply(d, NAME, st->autoprint ? "auto-print" : "ESC P", d->timeout_ms,
                         classify_reading, &ctx, line, sizeof line, &at, &n, err);
    if (rc != 0)
        return rc;
    ctx.r.t = drv_now();
    *out = ctx.r;
    if (ctx.r.status == DRV_STATUS_ERROR)
        return cd_fail(err, CD_ERR_DEVICE, "%s: %s", NAME, ctx.r.error);
    return 0;
}

/* ------------------------------------------------------------ identify */

static enum drv_verdict classify_text(const uint8_t *b, size_t n, void *vctx)
{
    (void)vctx;
    struct drv_reading r;
    struct cd_err e = {0};
    if (drv_parser_sbi.parse(b, n, &r, &e) == 0)
        return DRV_SKIP;   /* a weight or status line (auto-print) */
    if (n < 3 || b[n - 2] != '\r' || b[n - 1] != '\n')
        return DRV_SKIP;
    bool any = false;
    for (size_t i = 0; i + 2 < n; i++) {
        if (b[i] < 0x20 || b[i] > 0x7E)
            return DRV_SKIP;
        any = any || b[i] != ' ';
    }
    return any ? DRV_TAKE : DRV_SKIP;
}

static int query_text(drv_dev *d, const char *cmd, const char *label, char *out, size_t cap,
                      struct cd_err *err)
{
    drv_transport_discard(d->t);
    int rc = send_command(d, cmd, err);
    if (rc != 0)
        return rc;
    char line[LINE_MAX_LEN];
    size_t at, n;
    char what[16];
    snprintf(what, sizeof what, "ESC %s", cmd);
    rc = drv_await_reply(d, NAME, what, d->timeout_ms, classify_text, NULL, line, sizeof line, &at, &n, err);
    if (rc != 0)
        return rc;
    char text[LINE_MAX_LEN];
    drv_copy_trimmed(text, sizeof text, line + at, n);
    const char *t = text;
    size_t ll = label != NULL ? strlen(label) : 0;
    if (ll > 0 && strncmp(t, label, ll) == 0)
        t += ll;
    /* Collapse runs of spaces ("BAC:        00-39-21" -> "BAC: 00-39-21"). */
    char *o = out;
    char *end = out + cap - 1;
    while (*t == ' ')
        t++;
    for (; *t != '\0' && o < end; t++)
        if (*t != ' ' || t[1] != ' ')
            *o++ = *t;
    *o = '\0';
    return 0;
}

static int identify(drv_dev *d, struct drv_identity *out, struct cd_err *err)
{
    snprintf(out->manufacturer, sizeof out->manufacturer, "Sartorius");
    int rc = query_text(d, "x1_", NULL, out->model, sizeof out->model, err);
    if (rc == 0)
        rc = query_text(d, "x2_", "SerNo.", out->serial, sizeof out->serial, err);
    if (rc == 0)
        rc = query_text(d, "x3_", NULL, out->firmware, sizeof out->firmware, err);
    return rc;
}

/* ------------------------------------------------------------ zero, tare */

static int zero(drv_dev *d, struct cd_err *err)
{
    const struct sbi_state *st = d->state;
    return send_command(d, st->combined_keys ? "T" : "V", err);
}

static int tare(drv_dev *d, struct cd_err *err)
{
    const struct sbi_state *st = d->state;
    return send_command(d, st->combined_keys ? "T" : "U", err);
}

/* Default serial settings: the factory setting of the older models is
 * 1200 baud, 7 data bits, odd parity, 1 stop bit, hardware handshake
 * [protocols.md 1.2, S12 CP manual p. 55: "1,200 baud (5 1 4), Parity: Odd
 * (5 2 3), 1 stop bit (5 3 1), Handshake: Hardware, 2 characters after CTS
 * (5 4 2)"; Master series p. 87 gives the same]. We do not ask for RTS/CTS
 * flow control by default: opening the port raises RTS, which lets the
 * balance send, and a host waiting for a CTS line that the cable does not
 * carry would never send. Give --serial 1200,7O1,rtscts where the balance
 * needs the host's CTS. Newer models (Cubis, Entris) default to other
 * settings; give them with --serial. */
const struct drv_ops drv_sbi = {
    .name = "sbi",
    .summary = "Sartorius balances, SBI (16- and 22-character lines)",
    .default_serial = "1200,7O1",
    .stability_flag = true,
    .state_size = sizeof(struct sbi_state),
    .option = option,
    .start = start,
    .identify = identify,
    .read = read_weight,
    .zero = zero,
    .tare = tare,
};
