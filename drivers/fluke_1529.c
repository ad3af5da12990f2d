/* The "fluke-1529" driver: Fluke/Hart 1524 and 1529 "Chub-E4" thermometer
 * readouts over RS-232 (docs/temperature.md; parser:
 * drivers/parsers/fluke_1529.c).
 *
 * Conversation [1529 UG: Hart Scientific "1529 Chub-E4 Thermometer Readout
 * User's Guide", section 8, read at manualsdump.com fluke-1529_chub-e4
 * pp. 92, 96; 1529 TG: its Technical Guide, 7.3, manualslib.com 1256812
 * p. 84]. Commands end in CR or LF (1529 UG 8.3, TG 7.3.2; LF here), one
 * command a line (no compound commands), not case sensitive:
 *   open   UNIT:TEMP <u>   C, F or K (the command: TG 7.3 command list; the
 *                          letters and O for ohms **M**)
 *          SYST:ERR?       "0,\"No error\"" or the readout's objection (**M**)
 *   read   MEAS? <n>       the number alone for channel n (1-4): "MEAS? 1" ->
 *                          "0.0127" (1529 UG 8.4.1.7; READ? and FETC? the same,
 *                          8.4.1.8)
 *   ident  *IDN?           "HART,1529,A12345,1.00" (**M**, the form of the
 *                          1502A's "HART,1502A,<serial>,v.vv")
 * A failed MEAS? (no reply, a garbled one) asks SYST:ERR? why, as the
 * "scpi" driver does. Lines of the periodic output (MEAS:PER, "1: 25.1234
 * C") that arrive while a query waits are skipped, not taken as its reply.
 * Default line 9600 8N1 (**M**).
 *
 * Options: ch= 1 (default) to 4; unit= C (default), F, K or O.
 */
#include "drv_priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parsers/scpi.h"
#include "parsers/thermo.h"
#include "cd_i18n.h"

#define NAME "fluke-1529"

struct c1529_state {
    int ch;         /* 1..4; 0 before options: 1 */
    char unit;
};

static int option(drv_dev *d, const char *key, const char *value, struct cd_err *err)
{
    struct c1529_state *st = d->state;
    if (strcmp(key, "unit") == 0)
        return drv_thermo_unit_option(NAME, value, true, &st->unit, err);
    if (strcmp(key, "ch") == 0) {
        if (strlen(value) == 1 && value[0] >= '1' && value[0] <= '4') {
            st->ch = value[0] - '0';
            return 0;
        }
        return cd_fail(err, CD_ERR_INVALID, _("%s: ch=%s: expected a channel 1 to 4"), NAME, value);
    }
    return CD_ERR_NOT_FOUND;
}

static enum drv_verdict classify_err(const uint8_t *line, size_t n, void *ctx)
{
    int *code = ctx;
    char text[8];
    return scpi_error_entry((const char *)line, n, code, text, sizeof text) ? DRV_TAKE : DRV_SKIP;
}

static int start(drv_dev *d, struct cd_err *err)
{
    struct c1529_state *st = d->state;
    if (st->ch == 0)
        st->ch = 1;
    if (st->unit == 0)
        st->unit = 'C';
    drv_transport_discard(d->t);
    char cmd[24];
    snprintf(cmd, sizeof cmd, "UNIT:TEMP %c\n", st->unit);
    int rc = drv_send(d, cmd, err);
    if (rc == 0)
        rc = drv_send(d, "SYST:ERR?\n", err);
    if (rc != 0)
        return rc;
    char line[256];
    size_t at = 0, n = 0;
    int code = 0;
    struct cd_err e = {0};
    rc = drv_await_reply(d, NAME, "SYST:ERR?", d->timeout_ms, classify_err, &code, line,
                         sizeof line, &at, &n, &e);
    if (rc == CD_ERR_TIMEOUT)
        return cd_fail(err, rc,
                       _("%s: %s: check the cable, the readout's serial settings (9600,8N1 "
                       "here unless --serial says otherwise) and that it is a 1524/1529"), NAME,
                       cd_err_text(&e));
    if (rc != 0)
        return cd_fail(err, rc, "%s", cd_err_text(&e));
    if (code != 0) {
        char text[128];
        drv_copy_trimmed(text, sizeof text, line + at, n);
        cmd[strlen(cmd) - 1] = '\0';
        return cd_fail(err, CD_ERR_DEVICE, _("%s: the readout refused \"%s\": %s"), NAME, cmd, text);
    }
    return 0;
}

static int read_reading(drv_dev *d, struct drv_reading *out, struct cd_err *err)
{
    struct c1529_state *st = d->state;
    char cmd[16], what[16];
    snprintf(cmd, sizeof cmd, "MEAS? %d\n", st->ch);
    snprintf(what, sizeof what, "MEAS? %d", st->ch);
    struct cd_err e = {0};
    int rc = drv_thermo_query(d, &drv_parser_fluke_1529, cmd, thermo_unit(st->unit), true, out,
                              &e);
    if (rc == 0)
        return 0;
    if (rc == CD_ERR_DEVICE)
        return cd_fail(err, rc, "%s", cd_err_text(&e));
    return drv_scpi_query_failed(d, NAME, "readout", what, rc, &e, err);
}

static int identify(drv_dev *d, struct drv_identity *out, struct cd_err *err)
{
    return drv_thermo_identify(d, NAME, "*IDN?\n", out, err);
}

const struct drv_ops drv_fluke_1529 = {
    .name = NAME,
    .summary = "Fluke/Hart 1524/1529 Chub-E4 thermometer readouts (MEAS? n)",
    .default_serial = "9600,8N1",
    .stability_flag = false,
    .uses_modbus = false,
    .state_size = sizeof(struct c1529_state),
    .option = option,
    .start = start,
    .identify = identify,
    .read = read_reading,
    .zero = NULL,
    .tare = NULL,
    .stop = NULL,
};
