/* The sources caldaq sets and waits on (issue 19, docs/sources.md): the
 * Druck PACE pressure controller ("pace") and the Hart/Fluke temperature
 * bath or dry-block ("bath"). Each is an instrument too: drv_read gives
 * its actual value.
 *
 * pace - SCPI over TCP port 5025 [K0472: GE/Druck "PACE Series SCPI Remote
 * Communications Manual", K0472 Revision A, read at manualshive.com
 * (ge/pace-series/4144770, ge/druck-pace1000/132671); bliss: ESRF bliss
 * bliss/controllers/temperature/pace.py (repository marc2332/bliss), a
 * working PACE5000/6000 driver over TCP port 5025]. Replies echo the
 * header (K0472 examples: "RX> :OUTP:STAT 0"; parsers/source.c). Commands
 * end in LF here (**M**: K0472 section 2.2 "Message Terminators" was not
 * read; bliss ends them in CR).
 *   identify  *IDN?                          "GE Druck,PACE5000,1234567,02.00.00" (**M**)
 *   read      :SENS:PRES:INL?                ":SENS:PRES:INL 10.00012, 1" (the
 *             reply's form **M**, as third-party PACE5000 drivers parse it)
 *   set       :SOUR:PRES <v>, :OUTP:STAT ON  (no reply) [K0472 4-32 :OUTP:STAT:
 *             0/OFF controller off, 1/ON on; bliss sends :SOUR<n>:PRES <v>],
 *             then :SYST:ERR?  ":SYST:ERR 0,\"No error\"", else the set point
 *             refused (the entry's form as bliss reads it; -222 **M**)
 *   set point :SOUR:PRES?                    ":SOUR:PRES 10"
 *   safe      :SOUR:PRES:LEV:IMM:AMPL:VENT 1, then
 *             :SOUR:PRES:LEV:IMM:AMPL:VENT?  0 vent OK (none), 1 in progress,
 *             2 completed [K0472 4-89]
 * Options: unit= the unit the controller works in (default bar; caldaq
 * does not change it).
 *
 * bath - RS-232, 2400 baud 8N1 [the Hart bath controllers' serial menu: "The
 * baud rate is pre-programmed to 2400 baud", 300-2400 selectable; duplex
 * full by default, every command echoed (Hart 6331 bath manual 10.1.2.1,
 * 10.1.2.3, manualshive.com fluke-calibration/calpower-6331 p. 61); 8N1
 * **M**], commands end in CR, replies in CR LF [Fluke 7102 Micro-Bath
 * User's Guide, Table 5 "Controller Communications Commands"
 * (easymanua.ls/fluke/7102/manual?p=38); the 9105/9107 guide's table has
 * the same u=, sa=, du=, lf= (manualsdump.com fluke-9105model-9107model
 * p. 53); the 7341's **M**]:
 *   start     du=h, lf=on, u=c               half duplex (no echo), replies
 *                                            end in CR LF, degC (no replies)
 *   identify  *ver                           "ver.7341,2.00" (**M**)
 *   read      t                              "t: 25.003 C"
 *   set       s=<v>                          (no reply)
 *   set point s                              "set: 25.00 C"
 *   safe      nothing: a bath is left at its set point.
 */
#include "drv_priv.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cd_i18n.h"
#include "parsers/scpi.h"
#include "parsers/source.h"
#include "cd_i18n.h"

#define REPLY_MAX 256

/* ------------------------------------------------------------ pace */

struct pace_state {
    char unit[16];
};

static int pace_option(drv_dev *d, const char *key, const char *value, struct cd_err *err)
{
    struct pace_state *st = d->state;
    if (strcmp(key, "unit") != 0)
        return CD_ERR_NOT_FOUND;
    if (value[0] == '\0' || strlen(value) >= sizeof st->unit)
        return cd_fail(err, CD_ERR_INVALID, _("pace: unit=%s: a unit such as bar, kPa, psi"), value);
    snprintf(st->unit, sizeof st->unit, "%s", value);
    return 0;
}

static int pace_start(drv_dev *d, struct cd_err *err)
{
    (void)err;
    struct pace_state *st = d->state;
    if (st->unit[0] == '\0')
        snprintf(st->unit, sizeof st->unit, "bar");
    drv_transport_discard(d->t);
    return 0;
}

/* A query whose reply must carry `header` (or none) and `want` numbers. */
static int pace_query(drv_dev *d, const char *query, const char *header, size_t want,
                      double v[2], char *line, size_t cap, struct cd_err *err)
{
    char cmd[96];
    snprintf(cmd, sizeof cmd, "%s?\n", query);
    int rc = drv_query(d, cmd, line, cap, err);
    if (rc < 0)
        return rc;
    char h[48];
    size_t n = 0;
    if (pace_reply(line, (size_t)rc, h, sizeof h, v, &n) != 0 || n != want ||
        (h[0] != '\0' && strcmp(h, header) != 0))
        return drv_bad_reply(err, "pace", query, (const uint8_t *)line, (size_t)rc);
    return 0;
}

static int pace_identify(drv_dev *d, struct drv_identity *out, struct cd_err *err)
{
    char line[REPLY_MAX];
    int rc = drv_query(d, "*IDN?\n", line, sizeof line, err);
    return rc < 0 ? rc : drv_idn_parse(line, (size_t)rc, "pace", out, err);
}

static int pace_read(drv_dev *d, struct drv_reading *out, struct cd_err *err)
{
    struct pace_state *st = d->state;
    char line[REPLY_MAX];
    int rc = drv_query(d, ":SENS:PRES:INL?\n", line, sizeof line, err);
    if (rc < 0)
        return rc;
    rc = drv_parser_pace.parse((const uint8_t *)line, (size_t)rc, out, err);
    if (rc == 0)
        snprintf(out->unit, sizeof out->unit, "%s", st->unit);
    return rc;
}

/* The set point and the controller on, then the error queue asked whether
 * it took them (a set point beyond its range: -222 "Data out of range";
 * SYST:ERR? after each command as ESRF bliss pace.py does). */
static int pace_set(drv_dev *d, double value, struct cd_err *err)
{
    char cmd[64];
    snprintf(cmd, sizeof cmd, ":SOUR:PRES %.10g\n", value);
    int rc = drv_send(d, cmd, err);
    if (rc == 0)
        rc = drv_send(d, ":OUTP:STAT ON\n", err);
    char line[REPLY_MAX];
    if (rc == 0 && (rc = drv_query(d, ":SYST:ERR?\n", line, sizeof line, err)) >= 0) {
        size_t n = (size_t)rc;
        const char *entry = line;
        if (strncasecmp(entry, ":SYST:ERR ", 10) == 0) /* the header echoed */
            entry += 10;
        int code = 0;
        char text[128];
        if (scpi_error_entry(entry, n - (size_t)(entry - line), &code, text, sizeof text) != 1)
            return drv_bad_reply(err, "pace", ":SYST:ERR?", (const uint8_t *)line, n);
        if (code != 0)
            return cd_fail(err, CD_ERR_DEVICE,
                           _("pace: the controller did not take the set point %.10g: it reports "
                             "%s"),
                           value, text);
        rc = 0;
    }
    return rc;
}

static int pace_source_read(drv_dev *d, struct drv_source_reading *out, struct cd_err *err)
{
    struct drv_reading r;
    int rc = pace_read(d, &r, err);
    if (rc != 0)
        return rc;
    out->actual = r.value;
    out->in_limits = r.status == DRV_STATUS_STABLE;
    snprintf(out->unit, sizeof out->unit, "%s", r.unit);
    snprintf(out->display, sizeof out->display, "%s", r.display);
    double v[2];
    char line[REPLY_MAX];
    if ((rc = pace_query(d, ":SOUR:PRES", ":SOUR:PRES", 1, v, line, sizeof line, err)) != 0)
        return rc;
    out->setpoint = v[0];
    return 0;
}

static int pace_safe(drv_dev *d, char *said, size_t cap, struct cd_err *err)
{
    int rc = drv_send(d, ":SOUR:PRES:LEV:IMM:AMPL:VENT 1\n", err);
    if (rc != 0)
        return rc;
    double v[2];
    char line[REPLY_MAX];
    rc = pace_query(d, ":SOUR:PRES:LEV:IMM:AMPL:VENT", ":SOUR:PRES:LEV:IMM:AMPL:VENT", 1, v, line,
                    sizeof line, err);
    if (rc != 0)
        return rc;
    snprintf(said, cap, "vented (:SOUR:PRES:LEV:IMM:AMPL:VENT 1; the controller reports %s)",
             v[0] == 2   ? "vent complete"
             : v[0] == 1 ? "venting"
                         : "vent idle");
    return 0;
}

const struct drv_ops drv_pace = {
    .name = "pace",
    .summary = "Druck PACE1000/5000/6000 pressure controllers, SCPI over TCP port 5025 (a source)",
    .default_serial = "9600,8N1",
    .stability_flag = true,
    .state_size = sizeof(struct pace_state),
    .option = pace_option,
    .start = pace_start,
    .identify = pace_identify,
    .read = pace_read,
    .source_set = pace_set,
    .source_read = pace_source_read,
    .source_safe = pace_safe,
};

/* ------------------------------------------------------------ bath */

/* Half duplex (a controller in full duplex, its factory setting, echoes
 * every command), replies ended in CR LF, temperatures in degC: none of
 * the three answers. */
static int bath_start(drv_dev *d, struct cd_err *err)
{
    drv_transport_discard(d->t);
    int rc = drv_send(d, "du=h\r", err);
    if (rc == 0)
        rc = drv_send(d, "lf=on\r", err);
    return rc == 0 ? drv_send(d, "u=c\r", err) : rc;
}

/* A query answered "key: value C". */
static int bath_query(drv_dev *d, const char *cmd, const char *want, struct drv_reading *out,
                      struct cd_err *err)
{
    char line[REPLY_MAX];
    int rc = drv_query(d, cmd, line, sizeof line, err);
    if (rc < 0)
        return rc;
    char key[16], text[32], unit;
    double v;
    if (bath_reply(line, (size_t)rc, key, sizeof key, text, sizeof text, &v, &unit) != 0 ||
        strcmp(key, want) != 0)
        return drv_bad_reply(err, "bath", want, (const uint8_t *)line, (size_t)rc);
    if (unit != 'C')
        return cd_fail(err, CD_ERR_DEVICE, _("bath: the controller reports in degF although "
                                           "caldaq set u=c; check its units"));
    return drv_parser_bath.parse((const uint8_t *)line, (size_t)rc, out, err);
}

static int bath_read(drv_dev *d, struct drv_reading *out, struct cd_err *err)
{
    return bath_query(d, "t\r", "t", out, err);
}

static int bath_identify(drv_dev *d, struct drv_identity *out, struct cd_err *err)
{
    char line[REPLY_MAX];
    int rc = drv_query(d, "*ver\r", line, sizeof line, err);
    if (rc < 0)
        return rc;
    char model[32] = "", fw[32] = "";
    if (sscanf(line, "ver.%31[^,\r\n],%31[^\r\n]", model, fw) != 2)
        return drv_bad_reply(err, "bath", "*ver reply is not ver.MODEL,VERSION",
                             (const uint8_t *)line, (size_t)rc);
    snprintf(out->manufacturer, sizeof out->manufacturer, "Hart Scientific");
    snprintf(out->model, sizeof out->model, "%s", model);
    snprintf(out->firmware, sizeof out->firmware, "%s", fw);
    return 0;
}

static int bath_set(drv_dev *d, double value, struct cd_err *err)
{
    char cmd[48];
    snprintf(cmd, sizeof cmd, "s=%.3f\r", value);
    return drv_send(d, cmd, err);
}

static int bath_source_read(drv_dev *d, struct drv_source_reading *out, struct cd_err *err)
{
    struct drv_reading r;
    int rc = bath_query(d, "t\r", "t", &r, err);
    if (rc != 0)
        return rc;
    out->actual = r.value;
    snprintf(out->unit, sizeof out->unit, "%s", r.unit);
    snprintf(out->display, sizeof out->display, "%s", r.display);
    if ((rc = bath_query(d, "s\r", "set", &r, err)) != 0)
        return rc;
    out->setpoint = r.value;
    out->in_limits = -1;
    return 0;
}

static int bath_safe(drv_dev *d, char *said, size_t cap, struct cd_err *err)
{
    (void)d;
    (void)err;
    snprintf(said, cap, "left at its set point (a bath is safe controlling; nothing sent)");
    return 0;
}

const struct drv_ops drv_bath = {
    .name = "bath",
    .summary = "Hart/Fluke temperature baths and dry-blocks (7341, 9100 series), RS-232 (a source)",
    .default_serial = "2400,8N1",
    .stability_flag = false,
    .start = bath_start,
    .identify = bath_identify,
    .read = bath_read,
    .source_set = bath_set,
    .source_read = bath_source_read,
    .source_safe = bath_safe,
};
