/* A&D standard format (GX/GF/GR/FX/EK/EJ balances): one line in, a reading
 * out. Pure: no I/O, no allocation, no global state; the codes are tables.
 *
 * Layout and sources:
 *   - 15 characters + CR LF: a 2-character header, ',', 9 data characters
 *     (sign, zero-padded digits with the point), a 3-character unit,
 *     right-aligned: "ST,+00123.45  g\r\n" [protocols.md 1.3, S13 GF-2002A
 *     manual p. 16, GX-300 manual p. 46; A&D EJ-120 manual p. 26 and FX-i
 *     manual p. 26: "The data is normally 9 digits including a decimal point
 *     and a sign"].
 *   - Headers: ST stable weighing data (including %), QT stable counting
 *     data, US unstable data, OL out of range [EJ-120 / FX-i p. 26;
 *     oscarbranson/AnD_balance balance.py condition_codes]. The OL data
 *     varies by model ("OL,+999999E+19" per S13; "OL,+999999.9  g" and
 *     "OL,-99999999 PC" in the EJ-120 manual), so we decide on the header and
 *     the sign: '+' overload, '-' underload (below the range).
 *   - Units (right-aligned in 3): g, PC, %, oz, lb, ozt, ct, mom, dwt, GN, N,
 *     tl, t, DS [EJ-120 / FX-i p. 26], and kg, mg of the kg and micro models.
 *   - With "AK, error code" on (erCd 1), control commands answer ACK (06h)
 *     CR LF, and errors "EC,Exx" [AD-4212B manual p. 69; GC-series manual
 *     p. 56 for E01 E02 E04 E05 E06 E07 E11; FG-150KCLWP manual p. 39 for
 *     E00 communications error].
 *   - Replies to the queries ?ID, ?SN, ?TN, ?PT carry the headers ID, SN, TN
 *     and PT [AnD_balance condition_codes; FG manual p. 39 "ID,000100"].
 *     They are not readings: CD_ERR_PROTOCOL naming them, as for ACK.
 * Not decoded: the other selectable formats (DP, KF, MT, NU, CSV) and the
 * second header (GS/NT/TR) of indicators such as the AD-4404 [S13, S14].
 */
#include "drv_priv.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NAME "A&D"
#define LINE 15     /* characters before CR LF */
#define DATA 9      /* sign + 8 */
#define ACK 0x06

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const struct {
    const char *header;
    enum drv_status status;
} data_headers[] = {
    {"ST", DRV_STATUS_STABLE},
    {"QT", DRV_STATUS_STABLE},
    {"US", DRV_STATUS_UNSTABLE},
};

/* Replies that are not readings. */
static const struct {
    const char *header;
    const char *what;
} other_headers[] = {
    {"ID", "an ID number reply (?ID), not a reading"},
    {"SN", "a serial number reply (?SN), not a reading"},
    {"TN", "a model name reply (?TN), not a reading"},
    {"PT", "a tare value reply (?PT), not a reading"},
};

static const struct {
    int code;
    const char *meaning;
} error_codes[] = {
    {0, "communications error (noise, parity): send again"},
    {1, "undefined command"},
    {2, "not ready / not executable"},
    {4, "too many characters"},
    {5, "no such ID"},
    {6, "format error"},
    {7, "setting value out of range"},
    {11, "unstable: zero or tare not performed"},
};

static const char *const units[] = {
    "g", "kg", "mg", "PC", "%", "oz", "lb", "ozt", "ct", "mom", "dwt", "GN", "N", "tl", "t", "DS",
};

static bool is_unit(const char *u, size_t n)
{
    for (size_t i = 0; i < COUNT(units); i++)
        if (strlen(units[i]) == n && memcmp(units[i], u, n) == 0)
            return true;
    return false;
}

/* The 3-character unit field, right-aligned: 0 with start and len set, or -1. */
static int unit_field(const char *s, size_t *start, size_t *len)
{
    size_t i = 0;
    while (i < 3 && s[i] == ' ')
        i++;
    if (i == 3)
        return -1;
    if (memchr(s + i, ' ', 3 - i) != NULL || !is_unit(s + i, 3 - i))
        return -1;
    *start = i;
    *len = 3 - i;
    return 0;
}

static int error_reply(const uint8_t *frame, size_t len, const char *s, size_t n,
                       struct drv_reading *out, struct cd_err *err)
{
    /* "EC,Exx" */
    if (n != 6 || s[3] != 'E' || s[4] < '0' || s[4] > '9' || s[5] < '0' || s[5] > '9')
        return drv_bad_reply(err, NAME, "malformed error code (EC,Exx)", frame, len);
    int code = (s[4] - '0') * 10 + (s[5] - '0');
    const char *meaning = "unknown error code";
    for (size_t i = 0; i < COUNT(error_codes); i++)
        if (error_codes[i].code == code)
            meaning = error_codes[i].meaning;
    out->status = DRV_STATUS_ERROR;
    snprintf(out->error, sizeof out->error, "EC,E%02d: %s", code, meaning);
    return 0;
}

static int overload(const uint8_t *frame, size_t len, const char *s, size_t n,
                    struct drv_reading *out, struct cd_err *err)
{
    if (n < 5 || n > LINE || (s[3] != '+' && s[3] != '-'))
        return drv_bad_reply(err, NAME, "malformed overload line", frame, len);
    /* The data: 9s, a point, an exponent; a unit when the line is full. */
    size_t data_end = n;
    if (n == LINE) {
        size_t us, ul;
        if (unit_field(s + 12, &us, &ul) == 0) {
            memcpy(out->unit, s + 12 + us, ul);
            out->unit[ul] = '\0';
            data_end = 12;
        }
    }
    for (size_t i = 4; i < data_end; i++)
        if (strchr("0123456789.E+-", s[i]) == NULL)
            return drv_bad_reply(err, NAME, "malformed overload line", frame, len);
    out->status = s[3] == '+' ? DRV_STATUS_OVERLOAD : DRV_STATUS_UNDERLOAD;
    return 0;
}

static int parse(const uint8_t *frame, size_t len, struct drv_reading *out, struct cd_err *err)
{
    memset(out, 0, sizeof *out);
    out->value = NAN;
    if (len < 2 || frame[len - 2] != '\r' || frame[len - 1] != '\n')
        return drv_bad_reply(err, NAME, "no CR LF line end (a truncated line?)", frame, len);
    size_t n = len - 2;
    if (n == 1 && frame[0] == ACK)
        return drv_bad_reply(err, NAME, "an acknowledgement (ACK), not a reading", frame, len);
    for (size_t i = 0; i < n; i++) {
        if (frame[i] < 0x20 || frame[i] > 0x7E) {
            char what[80];
            snprintf(what, sizeof what, "byte 0x%02X at column %zu is not ASCII text", frame[i],
                     i + 1);
            return drv_bad_reply(err, NAME, what, frame, len);
        }
    }
    const char *s = (const char *)frame;
    if (n < 3 || s[2] != ',')
        return drv_bad_reply(err, NAME, "no header (XX,)", frame, len);
    if (memcmp(s, "EC", 2) == 0)
        return error_reply(frame, len, s, n, out, err);
    if (memcmp(s, "OL", 2) == 0)
        return overload(frame, len, s, n, out, err);
    for (size_t i = 0; i < COUNT(other_headers); i++)
        if (memcmp(s, other_headers[i].header, 2) == 0)
            return drv_bad_reply(err, NAME, other_headers[i].what, frame, len);
    enum drv_status status = DRV_STATUS_ERROR;
    bool known = false;
    for (size_t i = 0; i < COUNT(data_headers); i++) {
        if (memcmp(s, data_headers[i].header, 2) == 0) {
            status = data_headers[i].status;
            known = true;
        }
    }
    if (!known)
        return drv_bad_reply(err, NAME, "unknown header", frame, len);
    if (n != LINE) {
        char what[80];
        snprintf(what, sizeof what, "wrong length: %zu bytes (17 with CR LF)", len);
        return drv_bad_reply(err, NAME, what, frame, len);
    }
    /* Data: sign, then 8 characters: digits and at most one point. */
    const char *d = s + 3;
    if (d[0] != '+' && d[0] != '-')
        return drv_bad_reply(err, NAME, "bad sign (must be '+' or '-')", frame, len);
    char number[DATA + 2];
    size_t k = 0, points = 0, int_digits = 0, frac_digits = 0;
    if (d[0] == '-')
        number[k++] = '-';
    bool leading = true;
    for (size_t i = 1; i < DATA; i++) {
        char c = d[i];
        if (c == '.' && points == 0) {
            points++;
            if (leading) /* keep the zero before the point */
                number[k++] = '0';
            leading = false;
            number[k++] = '.';
        } else if (c >= '0' && c <= '9') {
            if (points == 0)
                int_digits++;
            else
                frac_digits++;
            /* drop leading zeros, keep the last one of the integer part */
            if (leading && c == '0' && i + 1 < DATA && d[i + 1] != '.')
                continue;
            leading = false;
            number[k++] = c;
        } else {
            return drv_bad_reply(err, NAME, "the data field is not a number", frame, len);
        }
    }
    number[k] = '\0';
    if (int_digits == 0 || (points > 0 && frac_digits == 0))
        return drv_bad_reply(err, NAME, "the data field is not a number", frame, len);
    size_t us, ul;
    if (unit_field(s + 3 + DATA, &us, &ul) != 0)
        return drv_bad_reply(err, NAME, "unknown unit", frame, len);
    out->value = strtod(number, NULL);
    if (!isfinite(out->value))
        return drv_bad_reply(err, NAME, "value out of range", frame, len);
    if (out->value == 0)
        out->value = 0; /* no -0 */
    out->status = status;
    memcpy(out->unit, s + 3 + DATA + us, ul);
    out->unit[ul] = '\0';
    snprintf(out->display, sizeof out->display, "%s", number);
    out->resolution = drv_display_resolution(out->display);
    return 0;
}

const struct drv_parser drv_parser_aandd = {
    .driver = "aandd",
    .summary = "A&D standard format: ST/US/QT/OL,<sign+8> <unit>, ACK, EC,Exx",
    .parse = parse,
};
