/* Yaohua XK3190 weighing indicators (A9, A12, A23P, A26 ...; driver
 * "xk3190"): one frame of their continuous output in, a reading out, and
 * the framing of the stream. Pure: no I/O, no allocation, no global state.
 *
 * Three frame forms, told apart by their first byte:
 *  1. "tf=0" (continuous format 0), 12 bytes: 02h, '+' or '-', six digits
 *     of the displayed weight (high digit first, no point), the number of
 *     decimals (0-4, counted from the right), the XOR of bytes 2 to 9 as
 *     two characters (high nibble first; a nibble up to 9 + 30h, above 9 +
 *     37h, i.e. 'A'-'F'), 03h [XK3190-A26 manual p. 10 "Continuous
 *     communication format 0"; XK3190-A23P manual p. 21; the same frame
 *     in the XK3190-A9+ manual p. 10 (order B reply)]. Nibbles written
 *     +30h throughout (':'..'?' for A-F, as in the A22 command checksum,
 *     XK3190-A22 manual p. 11) are accepted too (**M** whether a
 *     continuous frame ever uses them).
 *  2. "WG" line, 15 bytes: 'W', 'G' (gross) or 'N' (net), the weight in 7
 *     characters with its point (a blank in the 7th when there is none, '-'
 *     first when negative), the unit "kg", the XOR of bytes 1 to 11 as two
 *     characters, CR LF; overload: nine blanks, "OL", "23", CR LF; under
 *     -20 d: nine blanks, "LO", checksum, CR LF [XK3190-A12(E) manual
 *     p. 13, with the example "WG004.139kg3D"; the checksums of the
 *     examples were recomputed here and agree].
 *  3. "ww" line without checksum: 'w', then 'w' (gross), 'n' (net) or 't'
 *     (tare), the weight with its point and sign, the unit, CR LF:
 *     "ww000.000lb", "wn-0000.1kg" [mcush Yaohua XK3190A12 driver
 *     (Peng Shulin); Liden LUW2001 manual p. 16 "continuous output A
 *     format": "ww0000.000kg"]. Tare lines ("wt") are not readings.
 * No motion flag exists in any of these forms: readings are "stable" as
 * decoded, and the driver applies the window criterion (stability_flag
 * false). Form 1 has no unit (the driver's option unit=) and no overload
 * sign (**M**: what an A9 streams while it shows "OFL" is not documented
 * in the manuals found). The resolution is the display step of the
 * decimals (a division of 2 or 5 d is not visible in the frame).
 */
#include "drv_priv.h"
#include "parsers/indicators.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NAME "XK3190"
#define TF0_LEN 12
#define WG_LEN 15
#define WW_MAX 24

static int hex_value(uint8_t c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    if (c >= ':' && c <= '?')
        return c - '0';       /* +30h above 9 (**M**) */
    return -1;
}

/* The two checksum characters: 1 when they give `want`, 0 when they are hex
 * but differ, -1 when they are not hex. */
static int check_pair(const uint8_t *p, uint8_t want)
{
    int h = hex_value(p[0]), l = hex_value(p[1]);
    if (h < 0 || l < 0)
        return -1;
    return (uint8_t)(h << 4 | l) == want;
}

static int checksum_error(struct cd_err *err, const uint8_t *frame, size_t len, const uint8_t *p,
                          uint8_t want)
{
    char what[96];
    snprintf(what, sizeof what, "checksum error: \"%c%c\" sent, \"%c%c\" computed", p[0], p[1],
             ind_hex(want >> 4), ind_hex(want));
    return drv_bad_reply(err, NAME, what, frame, len);
}

/* The number as displayed ("-12.34", " 004.139"): value, display without
 * padding and leading zeros. */
static bool number(const uint8_t *s, size_t n, struct drv_reading *out)
{
    char text[32];
    size_t k = 0, points = 0, digits = 0;
    bool minus = false;
    size_t i = 0;
    while (i < n && s[i] == ' ')
        i++;
    if (i < n && (s[i] == '-' || s[i] == '+')) {
        minus = s[i] == '-';
        i++;
    }
    size_t end = n;
    while (end > i && s[end - 1] == ' ')
        end--;
    if (end == i || end - i >= sizeof text - 2)
        return false;
    if (minus)
        text[k++] = '-';
    for (; i < end; i++) {
        if (s[i] == '.' && points++ == 0)
            text[k++] = '.';
        else if (s[i] >= '0' && s[i] <= '9') {
            text[k++] = (char)s[i];
            digits++;
        } else
            return false;
    }
    text[k] = '\0';
    if (digits == 0 || text[k - 1] == '.' || text[minus ? 1 : 0] == '.')
        return false;
    out->value = strtod(text, NULL);
    if (out->value == 0)
        out->value = 0;
    /* display: leading zeros dropped, the one before the point kept */
    const char *d = text + (minus ? 1 : 0);
    while (d[0] == '0' && d[1] >= '0' && d[1] <= '9')
        d++;
    snprintf(out->display, sizeof out->display, "%s%s", minus && out->value != 0 ? "-" : "", d);
    out->resolution = drv_display_resolution(out->display);
    out->status = DRV_STATUS_STABLE;
    return true;
}

/* Form 1. *shape: the layout is right (the checksum may not be). */
static int parse_tf0(const uint8_t *f, size_t len, struct drv_reading *out, struct cd_err *err,
                     bool *shape)
{
    if (len != TF0_LEN || f[TF0_LEN - 1] != IND_ETX)
        return drv_bad_reply(err, NAME, "a 02h frame is 12 bytes ending in 03h", f, len);
    if (f[1] != '+' && f[1] != '-')
        return drv_bad_reply(err, NAME, "bad sign (must be '+' or '-')", f, len);
    for (int i = 2; i < 8; i++)
        if (f[i] < '0' || f[i] > '9')
            return drv_bad_reply(err, NAME, "the weight is not six digits", f, len);
    if (f[8] < '0' || f[8] > '4')
        return drv_bad_reply(err, NAME, "the decimals digit is not 0-4", f, len);
    int ok = check_pair(f + 9, ind_xor(f + 1, 8));
    if (ok < 0)
        return drv_bad_reply(err, NAME, "the checksum is not two hex characters", f, len);
    *shape = true;
    if (ok == 0)
        return checksum_error(err, f, len, f + 9, ind_xor(f + 1, 8));
    int decimals = f[8] - '0';
    long n = 0;
    for (int i = 2; i < 8; i++)
        n = n * 10 + (f[i] - '0');
    double v = (double)n / pow(10.0, decimals);
    if (f[1] == '-' && n != 0)
        v = -v;
    out->value = v;
    out->status = DRV_STATUS_STABLE;
    snprintf(out->display, sizeof out->display, "%.*f", decimals, v);
    out->resolution = pow(10.0, -decimals);
    return 0;
}

static bool is_unit_char(uint8_t c)
{
    return c >= 'a' && c <= 'z';
}

/* Forms 2 and 3. */
static int parse_line(const uint8_t *f, size_t len, struct drv_reading *out, struct cd_err *err,
                      bool *shape)
{
    if (len < 4 || f[len - 2] != '\r' || f[len - 1] != '\n')
        return drv_bad_reply(err, NAME, "no CR LF line end (a truncated line?)", f, len);
    size_t n = len - 2;
    if (f[0] == 'W' || f[0] == ' ') {
        if (len != WG_LEN)
            return drv_bad_reply(err, NAME, "a WG line is 15 bytes with CR LF", f, len);
        int ok = check_pair(f + 11, ind_xor(f, 11));
        if (ok < 0)
            return drv_bad_reply(err, NAME, "the checksum is not two hex characters", f, len);
        if (f[0] == ' ') {
            static const uint8_t blanks[9] = "         ";
            bool ol = memcmp(f + 9, "OL", 2) == 0, lo = memcmp(f + 9, "LO", 2) == 0;
            if (memcmp(f, blanks, 9) != 0 || (!ol && !lo))
                return drv_bad_reply(err, NAME, "a line of blanks that is not OL or LO", f, len);
            *shape = true;
            if (ok == 0)
                return checksum_error(err, f, len, f + 11, ind_xor(f, 11));
            out->status = ol ? DRV_STATUS_OVERLOAD : DRV_STATUS_UNDERLOAD;
            return 0;
        }
        if ((f[1] != 'G' && f[1] != 'N') || !is_unit_char(f[9]) || !is_unit_char(f[10]))
            return drv_bad_reply(err, NAME, "not a WG/WN weight line", f, len);
        if (!number(f + 2, 7, out))
            return drv_bad_reply(err, NAME, "the weight field is not a number", f, len);
        *shape = true;
        if (ok == 0) {
            out->value = NAN;
            out->display[0] = '\0';
            out->resolution = 0;
            return checksum_error(err, f, len, f + 11, ind_xor(f, 11));
        }
        memcpy(out->unit, f + 9, 2);
        out->unit[2] = '\0';
        return 0;
    }
    if (f[0] != 'w' || n < 4 || n > WW_MAX || strchr("wnt", f[1]) == NULL || f[1] == '\0')
        return drv_bad_reply(err, NAME, "not a tf=0 frame, a WG line or a ww line", f, len);
    size_t u = n;
    while (u > 2 && is_unit_char(f[u - 1]))
        u--;
    if (n - u < 1 || n - u > 3)
        return drv_bad_reply(err, NAME, "no unit after the weight", f, len);
    struct drv_reading r = *out;
    if (!number(f + 2, u - 2, &r))
        return drv_bad_reply(err, NAME, "the weight field is not a number", f, len);
    *shape = true;
    if (f[1] == 't')
        return drv_bad_reply(err, NAME, "a tare line (wt), not a reading", f, len);
    *out = r;
    memcpy(out->unit, f + u, n - u);
    out->unit[n - u] = '\0';
    return 0;
}

static int decode(const uint8_t *frame, size_t len, struct drv_reading *out, struct cd_err *err,
                  bool *shape)
{
    memset(out, 0, sizeof *out);
    out->value = NAN;
    *shape = false;
    if (len == 0)
        return drv_bad_reply(err, NAME, "an empty frame", frame, len);
    int rc = frame[0] == IND_STX ? parse_tf0(frame, len, out, err, shape)
                                 : parse_line(frame, len, out, err, shape);
    if (rc != 0) {
        out->value = NAN;
        out->display[0] = '\0';
        out->unit[0] = '\0';
        out->resolution = 0;
    }
    return rc;
}

static int parse(const uint8_t *frame, size_t len, struct drv_reading *out, struct cd_err *err)
{
    bool shape;
    return decode(frame, len, out, err, &shape);
}

/* Whether buf[at..at+n) has the layout of a frame (checksum aside). */
static bool looks_like_frame(const uint8_t *b, size_t n)
{
    struct drv_reading r;
    struct cd_err ignored = {0};
    bool shape = false;
    return decode(b, n, &r, &ignored, &shape) == 0 || shape;
}

static int next(const uint8_t *buf, size_t len, bool eof, size_t *skip, size_t *flen)
{
    size_t hold = 0;   /* bytes before this can never begin a frame */
    for (size_t i = 0; i < len; i++) {
        if (buf[i] == IND_STX) {
            if (len - i < TF0_LEN) {
                if (!eof) {
                    *skip = i;
                    return 0;
                }
                continue;
            }
            if (looks_like_frame(buf + i, TF0_LEN)) {
                *skip = i;
                *flen = TF0_LEN;
                return 1;
            }
            continue;
        }
        if (buf[i] != '\n')
            continue;
        /* A line ends here: a WG line is its last 15 bytes; a ww line begins
         * at the last "w" before it that gives a frame. */
        if (i + 1 >= hold + WG_LEN && looks_like_frame(buf + i + 1 - WG_LEN, WG_LEN)) {
            *skip = i + 1 - WG_LEN;
            *flen = WG_LEN;
            return 1;
        }
        size_t from = i + 1 > WW_MAX + 2 ? i + 1 - (WW_MAX + 2) : 0;
        from = from > hold ? from : hold;
        for (size_t s = from; s + 4 <= i + 1; s++) {
            if (buf[s] == 'w' && looks_like_frame(buf + s, i + 1 - s)) {
                *skip = s;
                *flen = i + 1 - s;
                return 1;
            }
        }
        hold = i + 1;
    }
    /* No complete frame: a partial one may start after the last line end
     * (or at most a frame's length from the end). */
    size_t keep_from = len > WW_MAX + 2 ? len - (WW_MAX + 2) : 0;
    *skip = eof ? len : (hold > keep_from ? hold : keep_from);
    return 0;
}

const struct drv_parser drv_parser_xk3190 = {
    .driver = "xk3190",
    .summary = "Yaohua XK3190 continuous output: 02 sign weight(6) decimals XOR 03; WG/ww lines",
    .parse = parse,
    .next = next,
};
