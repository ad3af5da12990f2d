/* The "fluke-ttr" frame parser (drv.h, struct drv_parser): one reply line
 * of a Fluke/Hart 1502A or 1504 "Tweener" thermometer readout, or a
 * 1521/1522 handheld readout, in; one reading out; no I/O.
 *
 * What a line may be:
 *   - the reply to T, "t: 25.587 C" - [1502A user's guide, 7.3.1.1
 *     "Reading Temperature": `t:_nnnn.nnn_u` or `t:_nnnn.nnn_u_hh:mm:ss`,
 *     leading positions of the number filled with spaces, u one of C, F, K
 *     or O (ohms), the time when the time stamp is on (ST=ON, 7.3.1.4)].
 *     The 1521/1522 answer "t" the same way [1521 user's guide, 8.2.1,
 *     the command list; **M** for the exact reply]. "r: 100.0034 O", a
 *     resistance under the label r, as the brief gives it (**M**: which
 *     firmware labels ohms "r" we could not confirm; both labels are taken
 *     with any of the four units). The unit comes out as "°C", "°F", "K" or
 *     "Ω"; the display is the number as sent; the resolution its last digit.
 *   - the reply to FETC? / FETCH?, the number alone without label and unit
 *     [1502A user's guide 7.3.1.1]: unit "" (the driver knows it from U=).
 *   - an error reply beginning "Err" (**M**: the text a Hart readout sends
 *     for a command it does not know is not in the pages we found; the
 *     simulator sends "Error: unknown command"): status error.
 * Line end: CR LF with the linefeed option on, CR alone with it off
 * [1502A user's guide 7.3.4.2]; both are taken. Anything else - garbage
 * bytes, no line end, *IDN? and *VER replies, settings echoed in full
 * duplex ("u=c") - is CD_ERR_PROTOCOL quoting the bytes.
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
    int rc = scpi_text_line(frame, len, true, "fluke-ttr", &b, &e, err);
    if (rc != 0)
        return rc;
    if (thermo_error_text(b, e, out))
        return 0;
    char label[12], letter;
    const char *nb, *ne;
    if (thermo_labelled(b, e, label, sizeof label, &nb, &ne, &letter) == 0) {
        if (strcmp(label, "t") != 0 && strcmp(label, "r") != 0)
            return drv_bad_reply(err, "fluke-ttr", "not a reading (a label other than t: or r:)",
                                 frame, len);
        if (thermo_reading(nb, ne, thermo_unit(letter), out) != 0)
            return drv_bad_reply(err, "fluke-ttr", "not a number after the label", frame, len);
        return 0;
    }
    if (thermo_reading(b, e, "", out) == 0)
        return 0;
    memset(out, 0, sizeof *out);
    out->value = NAN;
    return drv_bad_reply(err, "fluke-ttr",
                         "not a reading (neither \"t: <value> <unit>\" nor a FETC? number)",
                         frame, len);
}

const struct drv_parser drv_parser_fluke_ttr = {
    .driver = "fluke-ttr",
    .summary = "Fluke/Hart 1502A/1504/1521/1522 readouts: \"t: 25.587 C\", FETC? numbers",
    .parse = parse,
};
