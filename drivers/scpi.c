/* The "scpi" driver: HP/Agilent 34401A-style multimeters over RS-232
 * (protocols.md 2.1; docs/drivers-dmm-modbus.md).
 *
 * Conversation (commands end in LF; replies in CR LF):
 *   open   SYST:REM      remote mode: on RS-232 the meter must be told
 *          *CLS          an empty error queue
 *          CONF:<function> [<range>[,<resolution>]]
 *          SYST:ERR?     "+0,..." or the meter's objection to the CONF
 *   read   READ?         one reading line
 *   ident  *IDN?         "HEWLETT-PACKARD,34401A,0,10-5-2"
 *   close  SYST:LOC      back to the front panel
 * The 34401A drops DTR after a query until its reply has been read, so a
 * query's reply is always read before anything else is sent; after a
 * failed query (no reply, a partial or garbled line) the input is thrown
 * away and SYST:ERR? asks the meter why, and its answer, if it has one,
 * becomes a CD_ERR_DEVICE message. Default line 9600 baud, 8 data bits,
 * no parity, 2 stop bits (the 34401A's fixed 2), DTR/DSR handshake.
 *
 * Options: func= (VOLT:DC, VOLT:AC, CURR:DC, CURR:AC, RES, FRES, FREQ,
 * PER), range= (AUTO, DEF, MIN, MAX or a number), res= (DEF, MIN, MAX or a
 * number). The reading's unit follows the function: V, A, ohm, Hz, s.
 */
#include "drv_priv.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "parsers/scpi.h"
#include "cd_i18n.h"

#define REPLY_MAX 256

struct scpi_func {
    const char *name;       /* as the option takes it and CONF sends it */
    const char *unit;
};

static const struct scpi_func funcs[] = {
    {"VOLT:DC", "V"}, {"VOLT:AC", "V"}, {"CURR:DC", "A"}, {"CURR:AC", "A"},
    {"RES", "ohm"},   {"FRES", "ohm"},  {"FREQ", "Hz"},   {"PER", "s"},
};

#define N_FUNCS (sizeof funcs / sizeof funcs[0])

struct scpi_state {
    size_t func;
    char range[24];         /* "" = the meter's default (autorange) */
    char res[24];           /* "" = default */
    char conf[80];          /* the CONF command as sent, without LF */
};

/* ------------------------------------------------------------ options */

/* MIN, MAX, DEF (and AUTO for ranges) or a positive number, as text that
 * is safe to put in a command (no spaces, separators or line ends). */
static int keyword_or_number(const char *key, const char *value, bool is_range, char *out,
                             size_t cap, struct cd_err *err)
{
    if (strcasecmp(value, "MIN") == 0 || strcasecmp(value, "MAX") == 0 ||
        strcasecmp(value, "DEF") == 0) {
        snprintf(out, cap, "%c%c%c", toupper((unsigned char)value[0]),
                 toupper((unsigned char)value[1]), toupper((unsigned char)value[2]));
        return 0;
    }
    if (is_range && strcasecmp(value, "AUTO") == 0) {
        /* The 34401A's CONF takes DEF for autorange. */
        out[0] = '\0';
        return 0;
    }
    size_t n = strlen(value);
    bool chars_ok = n > 0 && n < cap;
    for (size_t i = 0; chars_ok && i < n; i++)
        chars_ok = isdigit((unsigned char)value[i]) || strchr(".eE+-", value[i]) != NULL;
    char *end = NULL;
    errno = 0;
    double v = chars_ok ? strtod(value, &end) : 0;
    if (!chars_ok || end != value + n || errno != 0 || !isfinite(v) || v <= 0)
        return cd_fail(err, CD_ERR_INVALID, _("scpi: %s=%s: expected %sMIN, MAX, DEF or a positive "
                       "number"), key, value, is_range ? "AUTO, " : "");
    memcpy(out, value, n + 1);
    return 0;
}

static int option(drv_dev *d, const char *key, const char *value, struct cd_err *err)
{
    struct scpi_state *st = d->state;
    if (strcmp(key, "func") == 0) {
        const char *v = value;
        if (strcasecmp(v, "VOLT") == 0)
            v = "VOLT:DC";
        else if (strcasecmp(v, "CURR") == 0)
            v = "CURR:DC";
        for (size_t i = 0; i < N_FUNCS; i++) {
            if (strcasecmp(v, funcs[i].name) == 0) {
                st->func = i;
                return 0;
            }
        }
        return cd_fail(err, CD_ERR_INVALID,
                       _("scpi: func=%s: expected VOLT:DC, VOLT:AC, CURR:DC, CURR:AC, RES, FRES, "
                       "FREQ or PER"),
                       value);
    }
    if (strcmp(key, "range") == 0)
        return keyword_or_number(key, value, true, st->range, sizeof st->range, err);
    if (strcmp(key, "res") == 0)
        return keyword_or_number(key, value, false, st->res, sizeof st->res, err);
    return CD_ERR_NOT_FOUND;
}

/* ------------------------------------------------------------ replies */

/* After a failed query: why, according to the instrument. Throws away
 * what is left of the reply, asks SYST:ERR? and returns 1 with the entry
 * in `text` when it reports an error, 0 when it reports none or does not
 * answer sensibly. */
static int instrument_error(drv_dev *d, char *text, size_t cap)
{
    drv_transport_discard(d->t);
    char line[REPLY_MAX];
    if (drv_query(d, "SYST:ERR?\n", line, sizeof line, NULL) < 0)
        return 0;
    int code = 0;
    if (!scpi_error_entry(line, strlen(line), &code, text, cap)) {
        /* perhaps the late reply to the failed query: the next line */
        if (drv_reply(d, line, sizeof line, NULL) < 0 ||
            !scpi_error_entry(line, strlen(line), &code, text, cap))
            return 0;
    }
    return code != 0;
}

int drv_scpi_query_failed(drv_dev *d, const char *name, const char *who, const char *query,
                          int rc, const struct cd_err *first, struct cd_err *err)
{
    char text[96];
    if (rc != CD_ERR_DISCONNECTED && instrument_error(d, text, sizeof text))
        return cd_fail(err, CD_ERR_DEVICE, _("%s: %s failed (%s); the %s reports %s"), name, query,
                       cd_err_text(first), who, text);
    return cd_fail(err, rc, "%s", cd_err_text(first));
}

static int query_failed(drv_dev *d, const char *query, int rc, const struct cd_err *first,
                        struct cd_err *err)
{
    return drv_scpi_query_failed(d, "scpi", "meter", query, rc, first, err);
}

/* ------------------------------------------------------------ the driver */

static int start(drv_dev *d, struct cd_err *err)
{
    struct scpi_state *st = d->state;
    const char *fn = funcs[st->func].name;
    if (st->range[0] == '\0' && st->res[0] == '\0')
        snprintf(st->conf, sizeof st->conf, "CONF:%s", fn);
    else if (st->res[0] == '\0')
        snprintf(st->conf, sizeof st->conf, "CONF:%s %s", fn, st->range);
    else
        snprintf(st->conf, sizeof st->conf, "CONF:%s %s,%s", fn,
                 st->range[0] ? st->range : "DEF", st->res);

    drv_transport_discard(d->t);   /* whatever the port held before we came */
    char cmd[96];
    snprintf(cmd, sizeof cmd, "%s\n", st->conf);
    int rc = drv_send(d, "SYST:REM\n", err);
    if (rc == 0)
        rc = drv_send(d, "*CLS\n", err);
    if (rc == 0)
        rc = drv_send(d, cmd, err);
    if (rc != 0)
        return rc;

    /* Did the meter take the configuration? */
    char line[REPLY_MAX];
    struct cd_err e = {0};
    rc = drv_query(d, "SYST:ERR?\n", line, sizeof line, &e);
    if (rc == CD_ERR_TIMEOUT)
        return cd_fail(err, rc,
                       _("scpi: no answer to SYST:ERR? (%s): check the cable (the 34401A needs a "
                       "null-modem cable with DTR/DSR), the meter's RS-232 interface and baud "
                       "rate (9600,8N2 here unless --serial says otherwise)"),
                       cd_err_text(&e));
    if (rc < 0)
        return cd_fail(err, rc, "%s", cd_err_text(&e));
    int code = 0;
    char text[96];
    if (!scpi_error_entry(line, (size_t)rc, &code, text, sizeof text))
        return drv_bad_reply(err, "scpi", "SYST:ERR? answered something else (not a SCPI meter?)",
                             (const uint8_t *)line, (size_t)rc);
    if (code != 0)
        return cd_fail(err, CD_ERR_DEVICE, _("scpi: the meter refused \"%s\": %s"), st->conf, text);
    return 0;
}

static int read_reading(drv_dev *d, struct drv_reading *out, struct cd_err *err)
{
    struct scpi_state *st = d->state;
    char line[REPLY_MAX];
    struct cd_err e = {0};
    int rc = drv_query(d, "READ?\n", line, sizeof line, &e);
    if (rc >= 0)
        rc = drv_parser_scpi.parse((const uint8_t *)line, (size_t)rc, out, &e);
    if (rc != 0)
        return query_failed(d, "READ?", rc, &e, err);
    if (out->status == DRV_STATUS_ERROR)
        return cd_fail(err, CD_ERR_DEVICE, _("scpi: READ? answered with an error: %s"), out->error);
    snprintf(out->unit, sizeof out->unit, "%s", funcs[st->func].unit);
    return 0;
}

static int identify(drv_dev *d, struct drv_identity *out, struct cd_err *err)
{
    char line[REPLY_MAX];
    struct cd_err e = {0};
    int rc = drv_query(d, "*IDN?\n", line, sizeof line, &e);
    if (rc < 0)
        return query_failed(d, "*IDN?", rc, &e, err);
    return drv_idn_parse(line, (size_t)rc, "scpi", out, err);
}

static void stop(drv_dev *d)
{
    drv_send(d, "SYST:LOC\n", NULL);
}

const struct drv_ops drv_scpi = {
    .name = "scpi",
    .summary = "SCPI multimeters over RS-232 (HP/Agilent 34401A)",
    .default_serial = "9600,8N2,dtrdsr",
    .stability_flag = false,
    .uses_modbus = false,
    .state_size = sizeof(struct scpi_state),
    .option = option,
    .start = start,
    .identify = identify,
    .read = read_reading,
    .zero = NULL,
    .tare = NULL,
    .stop = stop,
};
