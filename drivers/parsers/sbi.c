/* Sartorius SBI: one output line in, a reading out. Pure: no I/O, no
 * allocation, no global state; the codes are tables.
 *
 * Layouts and their sources:
 *   - 16 characters: pos 1 sign ('+', '-', or a space), pos 2 a space (or a
 *     digit on high-resolution models), pos 3-10 the value with its point,
 *     leading zeros as spaces, pos 11 a space, pos 12-14 the unit, space
 *     padded, pos 15-16 CR LF: "+    123.56 g  \r\n" [protocols.md 1.2, S9
 *     LE-series manual p. 52; Sartorius FB manual p. 66; ME215S manual
 *     p. 135 for pos 2 "space or weight value digit"]. We read pos 2-10 as
 *     one right-aligned field.
 *   - 22 characters: a 6-character ID code (N, N1, G#, T, Qnt, ... and
 *     "Stat" for status and error lines) before the 16 [S9; Master series
 *     manual p. 79; Combics 3 manual p. 96; numat/sartorius driver.py
 *     _parse(): id = response[:6], 'Stat' means an error].
 *   - Unstable: the unit field is blank [numat/sartorius _parse(): "This
 *     field is empty when the scale is unstable"; GraysonBellamy/sartoriuslib
 *     docs/sbi_data_output.md, live MSE capture "N     +    0.031    "].
 *     Some models put a '?' before the line; sartoriuslib parser.py
 *     (_WEIGHT_RE, group "unstable") reads a leading '?' as unstable. Where
 *     exactly the '?' sits is not documented in a source at hand: we accept
 *     it only in front of a complete 16- or 22-character line (17 or 23
 *     bytes). Caution: on Combics a blank unit also marks a value shown with
 *     ten-fold resolution (Combics 3 manual p. 96); we still report it as
 *     unstable, which is the safe side for a calibration.
 *   - Special codes: H overload, L underload, C adjustment (16 characters,
 *     pos 7) [S9 LE2202S manual p. 51]; HH / LL overload / underload while
 *     checkweighing [FB manual p. 66]; "High", "Low", "Cal. Ext." on newer
 *     models [Entris II manual p. 3; sartoriuslib sbi_data_output.md];
 *     "Cal.Int." [sartoriuslib live capture]; "OFF" (display switched off)
 *     [numat/sartorius _parse() docstring]. With the 22-character format they
 *     follow "Stat" [Master series p. 79]. Some firmware trims a Stat line's
 *     trailing spaces (sartoriuslib's capture "Stat     Cal.Int."), so a line
 *     beginning with "Stat" may be shorter than 22.
 *   - Errors: "Err ###" (16: "   Err  54    ") or "ERR ###" after Stat; also
 *     "APP. ERR", "DIS. ERR", "PRT. ERR" [S9; Master p. 79; Entris II p. 3].
 *   - A decimal comma may be set instead of the point [Combics 3 p. 96]: we
 *     accept it and report the display with a point.
 * The value of an overload, underload or error line is NAN, its display "".
 */
#include "drv_priv.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NAME "SBI"
#define LINE16 14  /* characters before CR LF */
#define LINE22 20
#define ID_LEN 6

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Unit symbols of the SBI output (Sartorius unit tables: FB manual p. 66,
 * Master series p. 78). */
static const char *const units[] = {
    "g",   "kg",  "mg", "ct",  "lb",  "oz",  "ozt", "tlh", "tls", "tlt", "tlc", "GN",
    "gr",  "dwt", "/lb", "mom", "K",  "tol", "bat", "MS",  "%",   "pcs",
};

/* Special codes (the line's text without padding). */
static const struct {
    const char *text;
    enum drv_status status;
    const char *meaning;
} specials[] = {
    {"H", DRV_STATUS_OVERLOAD, NULL},
    {"HH", DRV_STATUS_OVERLOAD, NULL},
    {"High", DRV_STATUS_OVERLOAD, NULL},
    {"L", DRV_STATUS_UNDERLOAD, NULL},
    {"LL", DRV_STATUS_UNDERLOAD, NULL},
    {"Low", DRV_STATUS_UNDERLOAD, NULL},
    {"C", DRV_STATUS_ERROR, "C: calibration/adjustment in progress"},
    {"Cal. Ext.", DRV_STATUS_ERROR, "Cal. Ext.: external adjustment in progress"},
    {"Cal. Int.", DRV_STATUS_ERROR, "Cal. Int.: internal adjustment in progress"},
    {"Cal.Int.", DRV_STATUS_ERROR, "Cal.Int.: internal adjustment in progress"},
    {"OFF", DRV_STATUS_ERROR, "OFF: the display is switched off"},
    {"APP. ERR", DRV_STATUS_ERROR, "APP. ERR: application error"},
    {"DIS. ERR", DRV_STATUS_ERROR, "DIS. ERR: display error"},
    {"PRT. ERR", DRV_STATUS_ERROR, "PRT. ERR: printer error"},
};

static bool is_unit(const char *u, size_t n)
{
    for (size_t i = 0; i < COUNT(units); i++)
        if (strlen(units[i]) == n && memcmp(units[i], u, n) == 0)
            return true;
    return false;
}

/* Trim spaces at both ends: [*start, *start + *n). */
static void trim(const char *s, size_t *start, size_t *n)
{
    while (*n > 0 && s[*start] == ' ') {
        (*start)++;
        (*n)--;
    }
    while (*n > 0 && s[*start + *n - 1] == ' ')
        (*n)--;
}

/* "Err 54", "ERR 101": the code, 1 to 3 digits. */
static bool error_code(const char *s, size_t n, char *out, size_t cap)
{
    if (n < 4 || (memcmp(s, "Err", 3) != 0 && memcmp(s, "ERR", 3) != 0) || s[3] != ' ')
        return false;
    size_t i = 3;
    while (i < n && s[i] == ' ')
        i++;
    size_t digits = n - i;
    if (digits < 1 || digits > 3)
        return false;
    for (size_t k = i; k < n; k++)
        if (!isdigit((unsigned char)s[k]))
            return false;
    snprintf(out, cap, "Err %.*s", (int)digits, s + i);
    return true;
}

/* A special code or an error: 1 with *out filled, 0 if the text is
 * neither, -1 for a malformed error line. */
static int special(const char *s, size_t n, struct drv_reading *out)
{
    size_t a = 0;
    trim(s, &a, &n);
    s += a;
    for (size_t i = 0; i < COUNT(specials); i++) {
        if (strlen(specials[i].text) == n && memcmp(specials[i].text, s, n) == 0) {
            out->status = specials[i].status;
            if (specials[i].meaning != NULL)
                snprintf(out->error, sizeof out->error, "%s", specials[i].meaning);
            return 1;
        }
    }
    char code[16];
    if (error_code(s, n, code, sizeof code)) {
        out->status = DRV_STATUS_ERROR;
        snprintf(out->error, sizeof out->error, "%s", code);
        return 1;
    }
    if (n >= 3 && (memcmp(s, "Err", 3) == 0 || memcmp(s, "ERR", 3) == 0))
        return -1;   /* an error line, but not "Err" and 1 to 3 digits */
    return 0;
}

/* The 14 characters of a weight line (no ID, no line end). */
static int weight(const uint8_t *frame, size_t len, const char *s, bool unstable_mark,
                  struct drv_reading *out, struct cd_err *err)
{
    char sign = s[0];
    if (sign != '+' && sign != '-' && sign != ' ')
        return drv_bad_reply(err, NAME, "bad sign (pos 1 must be '+', '-' or a space)", frame,
                             len);
    if (s[10] != ' ')
        return drv_bad_reply(err, NAME, "no space between value and unit (pos 11)", frame,
                             len);
    /* pos 2-10: right-aligned digits with one point (or comma). */
    size_t p = 1;
    while (p < 10 && s[p] == ' ')
        p++;
    if (p == 10)
        return drv_bad_reply(err, NAME, "the value field is empty", frame, len);
    char number[16];
    size_t k = 0, int_digits = 0, frac_digits = 0, points = 0;
    if (sign == '-')
        number[k++] = '-';
    for (; p < 10; p++) {
        char c = s[p];
        if (c >= '0' && c <= '9') {
            if (points == 0)
                int_digits++;
            else
                frac_digits++;
            number[k++] = c;
        } else if ((c == '.' || c == ',') && points == 0) {
            points++;
            number[k++] = '.';
        } else {
            return drv_bad_reply(err, NAME, "the value field is not a number", frame, len);
        }
    }
    number[k] = '\0';
    if (int_digits == 0 || (points > 0 && frac_digits == 0))
        return drv_bad_reply(err, NAME, "the value field is not a number", frame, len);
    /* pos 12-14: the unit, left-aligned; blank while unstable. */
    size_t u = 11, un = 3;
    trim(s, &u, &un);
    if (un > 0 && !is_unit(s + u, un))
        return drv_bad_reply(err, NAME, "unknown unit", frame, len);
    out->value = strtod(number, NULL);
    if (!isfinite(out->value))
        return drv_bad_reply(err, NAME, "value out of range", frame, len);
    if (out->value == 0)
        out->value = 0; /* no -0 */
    memcpy(out->unit, s + u, un);
    out->unit[un] = '\0';
    out->status = (un == 0 || unstable_mark) ? DRV_STATUS_UNSTABLE : DRV_STATUS_STABLE;
    snprintf(out->display, sizeof out->display, "%s", number);
    out->resolution = drv_display_resolution(out->display);
    return 0;
}

static int parse(const uint8_t *frame, size_t len, struct drv_reading *out, struct cd_err *err)
{
    memset(out, 0, sizeof *out);
    out->value = NAN;
    if (len < 2 || frame[len - 2] != '\r' || frame[len - 1] != '\n')
        return drv_bad_reply(err, NAME, "no CR LF line end (a truncated line?)", frame, len);
    size_t n = len - 2;
    for (size_t i = 0; i < n; i++) {
        if (frame[i] < 0x20 || frame[i] > 0x7E) {
            char what[80];
            snprintf(what, sizeof what, "byte 0x%02X at column %zu is not ASCII text", frame[i],
                     i + 1);
            return drv_bad_reply(err, NAME, what, frame, len);
        }
    }
    const char *s = (const char *)frame;
    bool unstable_mark = false;
    if (n > 0 && s[0] == '?' && (n == LINE16 + 1 || n == LINE22 + 1)) {
        unstable_mark = true;
        s++;
        n--;
    }
    bool stat_line = n >= 4 && n <= LINE22 && memcmp(s, "Stat", 4) == 0;
    if (n != LINE16 && n != LINE22 && !stat_line) {
        char what[80];
        snprintf(what, sizeof what, "wrong length: %zu bytes (16 or 22 with CR LF)", len);
        return drv_bad_reply(err, NAME, what, frame, len);
    }
    if (stat_line) {
        /* "Stat" + spaces + a special code or an error. */
        int sp = special(s + 4, n - 4, out);
        if (sp == 1)
            return 0;
        return drv_bad_reply(err, NAME,
                             sp < 0 ? "malformed error line (Err ###)" : "unknown status code",
                             frame, len);
    }
    if (n == LINE22) {
        size_t a = 0, idn = ID_LEN;
        trim(s, &a, &idn);
        if (idn == 0 || !(isalpha((unsigned char)s[a]) || s[a] == '*'))
            return drv_bad_reply(err, NAME, "bad ID code (pos 1-6)", frame, len);
        s += ID_LEN;
    }
    int sp = special(s, LINE16, out);
    if (sp == 1)
        return 0;
    if (sp < 0)
        return drv_bad_reply(err, NAME, "malformed error line (Err ###)", frame, len);
    return weight(frame, len, s, unstable_mark, out, err);
}

const struct drv_parser drv_parser_sbi = {
    .driver = "sbi",
    .summary = "Sartorius SBI lines: 16 or 22 characters, H/L/C special codes, Err ###",
    .parse = parse,
};
