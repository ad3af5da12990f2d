/* Mettler Toledo "standard continuous output" (driver "toledo-cont"): one
 * frame in, a reading out, and the framing of the stream. Pure: no I/O, no
 * allocation, no global state.
 *
 * Layout and sources [W: METTLER TOLEDO Wildcat scale technical manual
 * (12/00), appendix 2 "Continuous Mode Output", p. 6-4 (table 6-8) and
 * p. 6-5 (tables 6-9 to 6-11); D: OHAUS Defender 5000 indicators manual
 * p. EN-68 (tables 5-3, 5-4, the same format); K: KERN FTC manual 5.2
 * "TOLEDO Continuous mode"]:
 *   STX (02h), SWA, SWB, SWC, six digits of displayed weight, six digits of
 *   tare (no decimal point, no sign), CR (0Dh), and an optional checksum:
 *   "the 2s complement of the seven low order bits of the binary sum of all
 *   characters preceding the checksum character, including the STX and CR"
 *   [W, K]. 17 bytes, or 18 with the checksum.
 *   SWA bits 0-2: decimal point / dummy zeros: 000 XXXX00, 001 XXXXX0,
 *   010 XXXXXX, 011 XXXXX.X, 100 XXXX.XX, 101 XXX.XXX, 110 XX.XXXX,
 *   111 X.XXXXX; bits 3-4: increment x1 (01), x2 (10), x5 (11); bit 5
 *   always 1; bit 6 always 0 [W table 6-9].
 *   SWB: bit 0 gross 0 / net 1; bit 1 sign (1 negative); bit 2 out of range
 *   (over capacity or under zero); bit 3 motion; bit 4 lb 0 / kg 1; bit 5
 *   always 1; bit 6 power-up not zeroed [W table 6-10, D table 5-3].
 *   SWC: bits 0-2 units: 000 lb or kg (SWB bit 4), 001 g, 010 t, 011 oz,
 *   111 no units [D table 5-4]; 100 ozt, 101 dwt, 110 ton: **M** (D lists
 *   100 and 101 as "not used" and prints "111" twice; the memory of other
 *   indicators' tables is used); bit 3 print request; bit 4 expanded
 *   data x10; bit 5 always 1 [W table 6-11, D].
 *   Bit 7 of every byte is the parity bit on 7-bit links [Fairbanks FB3000
 *   manual p. 53]: it is ignored.
 * From memory (**M**): that the dummy-zero positions (SWA 000, 001) mean
 * the six digits are the display without its dummy zeros (the value is the
 * digits times 100 or 10); that blanks may replace leading zeros (accepted
 * as zeros). Expanded (x10) data is decoded with the SWA decimal position
 * as sent. Out of range with the sign bit set is reported as underload, else
 * overload. Gross or net (SWB bit 0) and the tare field are checked but not
 * part of the reading.
 */
#include "drv_priv.h"
#include "parsers/indicators.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define NAME "Toledo"
#define STX IND_STX
#define CR 0x0D
#define BODY 17     /* STX .. CR */

static const char *const swc_units[8] = {NULL, "g", "t", "oz", "ozt", "dwt", "ton", ""};

static bool field_ok(const uint8_t *f)
{
    bool digits = false;
    for (int i = 0; i < 6; i++) {
        if (f[i] >= '0' && f[i] <= '9')
            digits = true;
        else if (f[i] != ' ' || digits)
            return false;
    }
    return true;
}

/* The layout without the checksum: STX, status bytes with bit 5 set,
 * digits, CR. */
static bool shape_ok(const uint8_t *b)
{
    if (b[0] != STX || b[BODY - 1] != CR)
        return false;
    for (int i = 1; i <= 3; i++)
        if (((b[i] & 0x7F) & 0x20) == 0)
            return false;
    return field_ok(b + 4) && field_ok(b + 10);
}

static long digits_of(const uint8_t *f)
{
    long v = 0;
    for (int i = 0; i < 6; i++)
        v = v * 10 + (f[i] == ' ' ? 0 : f[i] - '0');
    return v;
}

static int parse(const uint8_t *frame, size_t len, struct drv_reading *out, struct cd_err *err)
{
    memset(out, 0, sizeof *out);
    out->value = NAN;
    if (len != BODY && len != BODY + 1) {
        char what[80];
        snprintf(what, sizeof what, "wrong length: %zu bytes (17, or 18 with the checksum)", len);
        return drv_bad_reply(err, NAME, what, frame, len);
    }
    if (frame[0] != STX)
        return drv_bad_reply(err, NAME, "no STX at the start", frame, len);
    if (frame[BODY - 1] != CR)
        return drv_bad_reply(err, NAME, "no CR after the tare field (a truncated frame?)", frame,
                             len);
    if (!shape_ok(frame))
        return drv_bad_reply(err, NAME, "bad status byte or digit field", frame, len);
    if (len == BODY + 1) {
        uint8_t want = ind_toledo_checksum(frame, BODY);
        if ((frame[BODY] & 0x7F) != want) {
            char what[80];
            snprintf(what, sizeof what, "checksum error: 0x%02X sent, 0x%02X computed",
                     frame[BODY], want);
            return drv_bad_reply(err, NAME, what, frame, len);
        }
    }
    uint8_t swa = frame[1] & 0x7F, swb = frame[2] & 0x7F, swc = frame[3] & 0x7F;
    int inc_bits = (swa >> 3) & 3;
    if (inc_bits == 0)
        return drv_bad_reply(err, NAME, "SWA names no increment (bits 3-4 are 00)", frame, len);
    int increment = inc_bits == 1 ? 1 : inc_bits == 2 ? 2 : 5;
    int decimals = (swa & 7) - 2;           /* -2, -1: dummy zeros */
    const char *unit = swc_units[swc & 7];
    if (unit == NULL)
        unit = (swb & 0x10) ? "kg" : "lb";
    snprintf(out->unit, sizeof out->unit, "%s", unit);
    bool negative = (swb & 0x02) != 0;
    if (swb & 0x04) {
        out->status = negative ? DRV_STATUS_UNDERLOAD : DRV_STATUS_OVERLOAD;
        return 0;
    }
    long n = digits_of(frame + 4);
    double scale = pow(10.0, -decimals);
    double v = decimals >= 0 ? (double)n / pow(10.0, decimals)
                             : (double)(n * (decimals == -2 ? 100 : 10));
    if (negative && n != 0)
        v = -v;
    out->value = v;
    out->status = (swb & 0x08) ? DRV_STATUS_UNSTABLE : DRV_STATUS_STABLE;
    snprintf(out->display, sizeof out->display, "%.*f", decimals > 0 ? decimals : 0, v);
    out->resolution = increment * scale;
    return 0;
}

/* The stream: a frame is STX, 15 bytes, CR, and the checksum when the byte
 * after CR is not the next STX. */
static int next(const uint8_t *buf, size_t len, bool eof, size_t *skip, size_t *flen)
{
    size_t i = 0;
    for (; i < len; i++) {
        if (buf[i] != STX)
            continue;
        if (len - i < BODY)
            break;                       /* may still become a frame */
        if (!shape_ok(buf + i))
            continue;                    /* an STX that begins nothing */
        if (len - i == BODY && !eof)
            break;                       /* wait for the checksum or the next STX */
        *skip = i;
        *flen = len - i > BODY && buf[i + BODY] != STX ? BODY + 1 : BODY;
        return 1;
    }
    *skip = eof ? len : i;
    return 0;
}

const struct drv_parser drv_parser_toledo_cont = {
    .driver = "toledo-cont",
    .summary = "Mettler Toledo continuous output: STX SWA SWB SWC weight(6) tare(6) CR [CHK]",
    .parse = parse,
    .next = next,
};
