/* The "millik" frame parser (drv.h, struct drv_parser): one reply line of
 * an Isotech milliK precision thermometer bridge in, one reading out; no
 * I/O.
 *
 * What a line may be:
 *   - the reply to MEAS:RES<n>? (a resistance in ohms) or MEAS:TEMP<n>?
 *     (a temperature in the channel's unit): the number alone, ended by CR
 *     [MSL-NZ msl-equipment, msl/equipment/resources/isotech/millik.py:
 *     read and write termination '\r', float(query('meas:res{ch}? ...'));
 *     MEAS:TEMP is **M**]. The unit is "" (the driver knows it from the
 *     command); display as sent, resolution from its digits.
 *   - an error reply, "Error: Invalid range" [the same file, the reply to
 *     sens:res:rang? it checks for]: status error.
 * Line end CR (LF and CR LF taken too). Anything else - the *IDN? reply
 * "Isothermal Technology,milliK,21-P2460,4.0.0", garbage, a line cut short
 * - is CD_ERR_PROTOCOL quoting the bytes.
 */
#include <math.h>
#include <string.h>

#include "drv_priv.h"
#include "scpi.h"
#include "thermo.h"

static int parse(const uint8_t *frame, size_t len, struct drv_reading *out, struct cd_err *err)
{
    memset(out, 0, sizeof *out);
    out->value = NAN;
    const char *b, *e;
    int rc = scpi_text_line(frame, len, true, "millik", &b, &e, err);
    if (rc != 0)
        return rc;
    if (thermo_error_text(b, e, out))
        return 0;
    if (thermo_reading(b, e, "", out) == 0)
        return 0;
    memset(out, 0, sizeof *out);
    out->value = NAN;
    return drv_bad_reply(err, "millik", "not a reading (not one number, nor an Error: reply)",
                         frame, len);
}

const struct drv_parser drv_parser_millik = {
    .driver = "millik",
    .summary = "Isotech milliK bridge: MEAS:RES<n>? / MEAS:TEMP<n>? numbers, Error: replies",
    .parse = parse,
};
