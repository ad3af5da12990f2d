/* The "fluke-ttr" driver: Fluke/Hart 1502A and 1504 "Tweener" thermometer
 * readouts and the 1521/1522 handheld readouts over RS-232
 * (docs/temperature.md; parser: drivers/parsers/fluke_ttr.c).
 *
 * Conversation (commands end in CR, <EOS> in the manuals; **M**: CR as the
 * end of a command is how we remember Hart's "carriage return"):
 *   open   DU=H     half duplex: the readout stops echoing commands
 *                   [1502A user's guide 7.3.4.1]
 *          LF=ON    replies end in CR LF, not CR alone [7.3.4.2]
 *          U=<u>    the unit: C, F, K or O (ohms) [7.3.1.3]
 *   read   T        "t: 25.587 C" [7.3.1.1]; with cmd=FETC, FETC? and
 *                   the number alone [7.3.1.1], the unit from U=
 *   ident  *IDN?    "HART,1502A,A12345,1.10" [the command list after
 *                   7.3.1; 1521 user's guide 8.2.1: "Hart,1521,95001,2.11"]
 * Lines the readout sends that answer nothing (an echo before DU=H took
 * effect, a periodic reading from SA=) are skipped. The readout has no
 * remote/local mode and no stability flag: drv_read_stable decides.
 * Default line 9600 8N1 (the 1502A and 1521 also run at 2400: --serial
 * 2400,8N1) [1502A user's guide 7.1, serial settings; **M** the default].
 *
 * Options: unit= C (default), F, K or O; cmd= T (default) or FETC.
 */
#include "drv_priv.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "parsers/thermo.h"
#include "cd_i18n.h"

#define NAME "fluke-ttr"

struct ttr_state {
    char unit;      /* 'C', 'F', 'K', 'O'; 0 before options: 'C' */
    bool fetch;     /* FETC? instead of T */
};

static int option(drv_dev *d, const char *key, const char *value, struct cd_err *err)
{
    struct ttr_state *st = d->state;
    if (strcmp(key, "unit") == 0)
        return drv_thermo_unit_option(NAME, value, true, &st->unit, err);
    if (strcmp(key, "cmd") == 0) {
        if (strcasecmp(value, "T") == 0 || strcasecmp(value, "FETC") == 0) {
            st->fetch = strcasecmp(value, "FETC") == 0;
            return 0;
        }
        return cd_fail(err, CD_ERR_INVALID, _("%s: cmd=%s: expected T or FETC"), NAME, value);
    }
    return CD_ERR_NOT_FOUND;
}

static int start(drv_dev *d, struct cd_err *err)
{
    struct ttr_state *st = d->state;
    if (st->unit == 0)
        st->unit = 'C';
    drv_transport_discard(d->t);
    char cmd[16];
    snprintf(cmd, sizeof cmd, "U=%c\r", st->unit);
    int rc = drv_send(d, "DU=H\r", err);
    if (rc == 0)
        rc = drv_send(d, "LF=ON\r", err);
    if (rc == 0)
        rc = drv_send(d, cmd, err);
    return rc;
}

static int read_reading(drv_dev *d, struct drv_reading *out, struct cd_err *err)
{
    struct ttr_state *st = d->state;
    return drv_thermo_query(d, &drv_parser_fluke_ttr, st->fetch ? "FETC?\r" : "T\r",
                            thermo_unit(st->unit), false, out, err);
}

static int identify(drv_dev *d, struct drv_identity *out, struct cd_err *err)
{
    return drv_thermo_identify(d, NAME, "*IDN?\r", out, err);
}

const struct drv_ops drv_fluke_ttr = {
    .name = NAME,
    .summary = "Fluke/Hart 1502A/1504 and 1521/1522 thermometer readouts (T, FETC?)",
    .default_serial = "9600,8N1",
    .stability_flag = false,
    .uses_modbus = false,
    .state_size = sizeof(struct ttr_state),
    .option = option,
    .start = start,
    .identify = identify,
    .read = read_reading,
    .zero = NULL,
    .tare = NULL,
    .stop = NULL,
};
