/* The "millik" driver: the Isotech milliK precision thermometer bridge
 * (with millisKanner channel extenders) over RS-232 (docs/temperature.md;
 * parser: drivers/parsers/millik.c).
 *
 * Conversation (commands and replies end in CR) [MSL-NZ msl-equipment,
 * msl/equipment/resources/isotech/millik.py]:
 *   open   MILLIK:REMOTE          remote mode ("to speed up communications")
 *   read   MEAS:RES<n>? <range>,<current>,<wires>   ohms on channel n, e.g.
 *                                 "MEAS:RES1? 115,NORM,4"
 *          MEAS:TEMP<n>?          with func=temp: the temperature the
 *                                 milliK computes with the channel's own
 *                                 probe coefficients (**M**)
 *   ident  *IDN?  "Isothermal Technology,milliK,21-P2460,4.0.0"
 *   close  MILLIK:LOCAL
 * Channels: 1 and 2 on the milliK; 10-17, 20-27, 30-37, 40-47 on up to
 * four millisKanners (channel 2 then links the chain) [the same file,
 * _find_channel_numbers]. Ranges 115, 460 or 500000 ohm; current NORM
 * (1 mA) or ROOT2 (sqrt(2) mA, for self-heating) [the same file]. Errors
 * come as a reply line "Error: Invalid range" and become CD_ERR_DEVICE.
 * Default line 9600 8N1 [the same file's example record].
 *
 * Options: ch= (default 1); func= res (default) or temp; range= 115
 * (default), 460 or 500000; current= NORM (default) or ROOT2; wires= 4
 * (default) or 3.
 */
#include "drv_priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "parsers/thermo.h"
#include "cd_i18n.h"

#define NAME "millik"

struct millik_state {
    int ch;             /* 0 before options: 1 */
    bool temp;          /* MEAS:TEMP rather than MEAS:RES */
    const char *range;  /* static text */
    bool root2;
    int wires;          /* 0: 4 */
};

static bool channel_ok(int ch)
{
    return ch == 1 || ch == 2 || (ch >= 10 && ch <= 47 && ch % 10 <= 7);
}

static int option(drv_dev *d, const char *key, const char *value, struct cd_err *err)
{
    struct millik_state *st = d->state;
    if (strcmp(key, "ch") == 0) {
        char *end = NULL;
        long v = strtol(value, &end, 10);
        if (end == value || *end != '\0' || !channel_ok((int)v))
            return cd_fail(err, CD_ERR_INVALID,
                           _("%s: ch=%s: expected 1 or 2, or 10-17, 20-27, 30-37, 40-47 on "
                           "millisKanners"), NAME,
                           value);
        st->ch = (int)v;
        return 0;
    }
    if (strcmp(key, "func") == 0) {
        if (strcasecmp(value, "res") != 0 && strcasecmp(value, "temp") != 0)
            return cd_fail(err, CD_ERR_INVALID, _("%s: func=%s: expected res or temp"), NAME, value);
        st->temp = strcasecmp(value, "temp") == 0;
        return 0;
    }
    if (strcmp(key, "range") == 0) {
        static const char *const ranges[] = {"115", "460", "500000"};
        for (size_t i = 0; i < 3; i++)
            if (strcmp(value, ranges[i]) == 0) {
                st->range = ranges[i];
                return 0;
            }
        return cd_fail(err, CD_ERR_INVALID, _("%s: range=%s: expected 115, 460 or 500000 (ohm)"), NAME,
                       value);
    }
    if (strcmp(key, "current") == 0) {
        if (strcasecmp(value, "NORM") != 0 && strcasecmp(value, "ROOT2") != 0)
            return cd_fail(err, CD_ERR_INVALID, _("%s: current=%s: expected NORM or ROOT2"), NAME,
                           value);
        st->root2 = strcasecmp(value, "ROOT2") == 0;
        return 0;
    }
    if (strcmp(key, "wires") == 0) {
        if (strcmp(value, "3") != 0 && strcmp(value, "4") != 0)
            return cd_fail(err, CD_ERR_INVALID, _("%s: wires=%s: expected 3 or 4"), NAME, value);
        st->wires = value[0] - '0';
        return 0;
    }
    return CD_ERR_NOT_FOUND;
}

static int start(drv_dev *d, struct cd_err *err)
{
    struct millik_state *st = d->state;
    if (st->ch == 0)
        st->ch = 1;
    if (st->range == NULL)
        st->range = "115";
    if (st->wires == 0)
        st->wires = 4;
    d->eol = '\r';
    drv_transport_discard(d->t);
    return drv_send(d, "MILLIK:REMOTE\r", err);
}

static int read_reading(drv_dev *d, struct drv_reading *out, struct cd_err *err)
{
    struct millik_state *st = d->state;
    char cmd[64];
    if (st->temp)
        snprintf(cmd, sizeof cmd, "MEAS:TEMP%d?\r", st->ch);
    else
        snprintf(cmd, sizeof cmd, "MEAS:RES%d? %s,%s,%d\r", st->ch, st->range,
                 st->root2 ? "ROOT2" : "NORM", st->wires);
    return drv_thermo_query(d, &drv_parser_millik, cmd, thermo_unit(st->temp ? 'C' : 'O'), false,
                            out, err);
}

static int identify(drv_dev *d, struct drv_identity *out, struct cd_err *err)
{
    return drv_thermo_identify(d, NAME, "*IDN?\r", out, err);
}

static void stop(drv_dev *d)
{
    drv_send(d, "MILLIK:LOCAL\r", NULL);
}

const struct drv_ops drv_millik = {
    .name = NAME,
    .summary = "Isotech milliK precision thermometer bridge (MEAS:RES<n>?, MEAS:TEMP<n>?)",
    .default_serial = "9600,8N1",
    .stability_flag = false,
    .uses_modbus = false,
    .state_size = sizeof(struct millik_state),
    .option = option,
    .start = start,
    .identify = identify,
    .read = read_reading,
    .zero = NULL,
    .tare = NULL,
    .stop = stop,
};
