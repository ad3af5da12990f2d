/* The "millik" simulator: an Isotech milliK precision thermometer bridge
 * without millisKanners (channels 1 and 2) on RS-232.
 *
 * Bytes and where they come from [MSL-NZ msl-equipment,
 * msl/equipment/resources/isotech/millik.py, unless marked]:
 *   - commands and replies end in CR (LF taken too); case does not matter.
 *   - MILLIK:REMOTE, MILLIK:LOCAL; *IDN? and MILL:LIST? ->
 *     "Isothermal Technology,milliK,<serial>,<firmware>";
 *     MEAS:RES<n>? [<range>,<current>,<wires>] -> the resistance, 5
 *     decimals (**M** the digits), range 115, 460 or 500000 ohm, current
 *     NORM or ROOT2, wires 3 or 4; an unknown range -> "Error: Invalid
 *     range" [the reply the MSL code checks for];
 *     MEAS:TEMP<n>? -> the temperature in degC, 4 decimals (**M**).
 *   - a channel other than 1 or 2: "Error: Invalid channel"; a command it
 *     does not know and the error_every fault: "Error: Invalid command"
 *     (**M**, the texts are ours in the milliK's "Error: " form).
 * The model's value is the temperature in degC; MEAS:RES gives a Pt100's
 * resistance at it (sim_thermo_in), MEAS:TEMP the value itself.
 */
#include "sim_priv.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct millik_sim {
    bool remote;
};

static const char *const defaults[] = {
    "unit=C", "capacity=0", "loads=25.0", "resolution=0.0001", "noise=0.0001", "settle_s=0",
    "model=milliK", "serial=21-P2460", "firmware=4.0.0", NULL,
};

static void reset(drv_sim *s, void *vst)
{
    (void)s;
    struct millik_sim *st = vst;
    st->remote = false;
}

/* "MEAS:RES1? 115,NORM,4" after the prefix: channel, then the rest. */
static int channel(const char **p)
{
    char *end = NULL;
    long ch = strtol(*p, &end, 10);
    if (end == *p || *end != '?')
        return -1;
    *p = end + 1;
    return (int)ch;
}

/* "115,NORM,4" (or nothing): 0 when the range is one the milliK has. */
static int params_ok(const char *p)
{
    while (*p == ' ')
        p++;
    if (*p == '\0')
        return 0;
    size_t n = strcspn(p, ",");
    char range[16];
    if (n >= sizeof range)
        return -1;
    memcpy(range, p, n);
    range[n] = '\0';
    double v;
    if (sim_parse_double(range, &v) != 0 || (v != 115 && v != 460 && v != 500000))
        return -1;
    return 0;
}

static int handle(drv_sim *s, void *vst, const struct sim_request *req, struct sim_out *out,
                  struct cd_err *err)
{
    (void)err;
    struct millik_sim *st = vst;
    if (req->inject_error) {
        sim_out_printf(out, "Error: Invalid command\r");
        return 0;
    }
    char line[128];
    sim_request_text(req, line, sizeof line);
    if (strcasecmp(line, "MILLIK:REMOTE") == 0 || strcasecmp(line, "MILLIK:LOCAL") == 0) {
        st->remote = strcasecmp(line, "MILLIK:REMOTE") == 0;
        return 0;
    }
    if (strcasecmp(line, "*IDN?") == 0 || strcasecmp(line, "MILL:LIST?") == 0) {
        struct sim_ident id;
        sim_ident(s, &id);
        sim_out_printf(out, "Isothermal Technology,%s,%s,%s\r", id.model, id.serial,
                       id.firmware);
        return 0;
    }
    bool res = strncasecmp(line, "MEAS:RES", 8) == 0;
    bool temp = strncasecmp(line, "MEAS:TEMP", 9) == 0;
    if (res || temp) {
        const char *p = line + (res ? 8 : 9);
        int ch = channel(&p);
        if (ch < 0) {
            sim_out_printf(out, "Error: Invalid command\r");
            return 0;
        }
        if (ch != 1 && ch != 2) {
            sim_out_printf(out, "Error: Invalid channel\r");
            return 0;
        }
        if (res && params_ok(p) != 0) {
            sim_out_printf(out, "Error: Invalid range\r");
            return 0;
        }
        struct sim_reading r;
        sim_read(s, &r);
        if (res)
            sim_out_printf(out, "%.5f\r", sim_thermo_in(r.value, 'O'));
        else
            sim_out_printf(out, "%.4f\r", r.value);
        return 0;
    }
    sim_out_printf(out, "Error: Invalid command\r");
    return 0;
}

const struct sim_protocol sim_protocol_millik = {
    .name = "millik",
    .summary = "Isotech milliK thermometer bridge (MEAS:RES<n>?, MEAS:TEMP<n>?), RS-232",
    .defaults = defaults,
    .state_size = sizeof(struct millik_sim),
    .option = NULL,
    .reset = reset,
    .frame = sim_frame_line,
    .idle_flush_ms = 0,
    .handle = handle,
    .timer = NULL,
};
