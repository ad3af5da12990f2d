/* The "fluke-1529" frame parser (drv.h, struct drv_parser): one reply line
 * of a Fluke/Hart 1524 or 1529 "Chub-E4" thermometer readout in, one
 * reading out; no I/O.
 *
 * What a line may be:
 *   - the reply to MEAS? n, READ? n or FETC? n: the number alone,
 *     "25.1234" - unit "" (the driver knows it from UNIT:TEMP) [1529
 *     Chub-E4 User's Guide 8.4.1.7: "MEAS? 1" -> "0.0127"; 8.4.1.8 READ?
 *     the same (manualsdump.com fluke-1529_chub-e4 p. 96)];
 * the rest **M** (the forms follow the brief and the family's 1502A/1521
 * manuals; the pages on periodic output and the error queue were not read):
 *   - a line of the periodic output (MEAS:PER, the serial "print" of the
 *     readout): "1: 25.1234 C", channel, value and unit, optionally with
 *     "hh:mm:ss" and "yyyy-mm-dd" after it; unit "°C", "°F", "K" or "Ω";
 *   - an error-queue entry, the reply to SYST:ERR? (`-113,"Undefined
 *     header"`): status error; `0,"No error"` is not a reading.
 * Line end CR LF, LF or CR. Anything else is CD_ERR_PROTOCOL quoting the
 * bytes.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "drv_priv.h"
#include "scpi.h"
#include "thermo.h"

static int parse(const uint8_t *frame, size_t len, struct drv_reading *out, struct cd_err *err)
{
    memset(out, 0, sizeof *out);
    out->value = NAN;
    const char *b, *e;
    int rc = scpi_text_line(frame, len, true, "fluke-1529", &b, &e, err);
    if (rc != 0)
        return rc;
    int code = 0;
    char text[sizeof out->error];
    if (scpi_error_entry(b, (size_t)(e - b), &code, text, sizeof text)) {
        if (code == 0)
            return drv_bad_reply(err, "fluke-1529", "not a reading: the error queue is empty",
                                 frame, len);
        out->status = DRV_STATUS_ERROR;
        snprintf(out->error, sizeof out->error, "%s", text);
        drv_copy_trimmed(out->display, sizeof out->display, b, (size_t)(e - b));
        return 0;
    }
    char label[12], letter;
    const char *nb, *ne;
    if (thermo_labelled(b, e, label, sizeof label, &nb, &ne, &letter) == 0) {
        if (strlen(label) != 1 || label[0] < '1' || label[0] > '4')
            return drv_bad_reply(err, "fluke-1529", "a periodic line for no channel 1-4", frame,
                                 len);
        if (thermo_reading(nb, ne, thermo_unit(letter), out) != 0)
            return drv_bad_reply(err, "fluke-1529", "not a number after the channel", frame, len);
        return 0;
    }
    if (thermo_reading(b, e, "", out) == 0)
        return 0;
    memset(out, 0, sizeof *out);
    out->value = NAN;
    return drv_bad_reply(err, "fluke-1529",
                         "not a reading (neither a number nor \"<channel>: <value> <unit>\")",
                         frame, len);
}

const struct drv_parser drv_parser_fluke_1529 = {
    .driver = "fluke-1529",
    .summary = "Fluke/Hart 1524/1529 readouts: MEAS? n numbers, periodic \"1: 25.1234 C\" lines",
    .parse = parse,
};
