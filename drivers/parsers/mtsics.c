/* Mettler Toledo MT-SICS (levels 0 and 1): one reply line in, a reading out.
 * Pure: no I/O, no allocation, no global state (STYLE.md: libsigrok's
 * src/scale/kern.c shape, table-driven).
 *
 * What a weight reply looks like, and where that comes from:
 *   - "S S     100.00 g\r\n": [0] 'S' (the reply to S, SI and SIR), [1]
 *     space, [2] status, [3] space, the value right-aligned in a field, one
 *     space, the unit [protocols.md 1.1; S1 = AL operating instructions
 *     p. 72 ("Response S S 100.00 g"); S2 = MT-SICS reference manual for
 *     XPR/XSR]. Status S = stable, D = dynamic.
 *   - The field is 10 characters wide per protocols.md, marked **M** there.
 *     Public code never relies on the width: InstrumentKit
 *     (src/instruments/mettler_toledo/mt_sics.py, query()) and janelia-python
 *     mettler_toledo_device_python (mettler_toledo_device.py,
 *     _send_request_get_response()) both split the reply on white space:
 *     token 0 = "S", token 1 = status, token 2 = value, token 3 = unit. So we
 *     read it by tokens at fixed separators, require the number to end
 *     where the field ends (one space before the unit), and reject a number
 *     longer than the 10 characters the field holds; we do not insist on
 *     exactly 10 (an unconfirmed width must not reject a real balance).
 *   - The sign stands directly before the first digit ("-12.345"); no '+'.
 *   - "S I" not executable (busy, or no stability within the balance's
 *     timeout), "S +" overload, "S -" underload [S1, S2; janelia
 *     get_weight(): 'I', '+', '-' in token 1].
 *   - General errors stand alone: ES syntax (command not understood), ET
 *     transmission (parity, break), EL logical (parameter not allowed)
 *     [protocols.md 1.1; InstrumentKit _general_error_checking(); janelia
 *     checks response[0] for ES/ET/EL].
 *   - Command-specific errors echo the command: "<cmd> I" internal error /
 *     not ready, "<cmd> L" logical, "<cmd> +" / "<cmd> -" range [InstrumentKit
 *     _cmd_error_checking(), janelia zero_stable()].
 *   - Line end: CR LF by default; the end-of-line character is selectable
 *     (CR LF, CR, LF) on the balance [protocols.md 1.1, S6 ML operating
 *     instructions p. 79], so a bare LF is accepted too (a bare CR cannot
 *     be split into lines by the driver and is not supported).
 * Replies that are not readings (acknowledgements "Z A", identification
 * "I2 A ...", the tare value "T S ...") give CD_ERR_PROTOCOL naming what
 * they are; error replies give a reading with DRV_STATUS_ERROR.
 */
#include "drv_priv.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NAME "MT-SICS"
#define VALUE_FIELD 10 /* characters the weight field holds */

/* Weighing units a balance may send. Anything else is refused: a
 * calibration must know its unit. The list is the usual unit menu of
 * Mettler Toledo laboratory balances as remembered (**M**: no unit table
 * of the MT-SICS manual was at hand; g is what every source shows). */
static const char *const units[] = {
    "g",   "kg",  "mg",  "ug",  "ct",  "lb",   "oz",   "ozt", "GN", "dwt", "mom", "msg",
    "tlh", "tls", "tlt", "tlc", "tol", "tola", "baht", "t",   "N",  "%",   "PCS", "pcs",
};

/* General errors: the whole reply. */
static const struct {
    const char *reply;
    const char *meaning;
} general_errors[] = {
    {"ES", "ES: command not understood (syntax error)"},
    {"ET", "ET: transmission error (parity or break)"},
    {"EL", "EL: logical error (parameter not allowed)"},
};

/* Status letters of a weight reply ("S x"), and of command replies. */
struct status_code {
    char code;
    bool has_value;          /* followed by value and unit */
    enum drv_status status;
    const char *meaning;     /* error text, for DRV_STATUS_ERROR */
};

static const struct status_code weight_status[] = {
    {'S', true, DRV_STATUS_STABLE, NULL},
    {'D', true, DRV_STATUS_UNSTABLE, NULL},
    {'+', false, DRV_STATUS_OVERLOAD, NULL},
    {'-', false, DRV_STATUS_UNDERLOAD, NULL},
    {'I', false, DRV_STATUS_ERROR, "S I: not executable (busy, or no stability in time)"},
    {'L', false, DRV_STATUS_ERROR, "S L: logical error (parameter not allowed)"},
};

/* "<cmd> x" replies of other commands that are errors. */
static const struct {
    char code;
    const char *meaning;
} command_errors[] = {
    {'I', "not executable (busy, or no stability in time)"},
    {'L', "logical error (parameter not allowed)"},
    {'+', "upper limit exceeded (overload range)"},
    {'-', "lower limit exceeded (underload range)"},
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static bool is_unit(const char *u, size_t n)
{
    for (size_t i = 0; i < COUNT(units); i++)
        if (strlen(units[i]) == n && memcmp(units[i], u, n) == 0)
            return true;
    return false;
}

static void reading_clear(struct drv_reading *out)
{
    memset(out, 0, sizeof *out);
    out->value = NAN;
}

/* A number as MT-SICS writes it: an optional '-', digits, and optionally a
 * point followed by digits ("-12.345", "0.00", "120"). Leading zeros are
 * suppressed except the one before the point [S2]. No '+', no exponent,
 * no "nan"/"inf". */
static bool valid_number(const char *s, size_t n)
{
    size_t i = 0;
    if (i < n && s[i] == '-')
        i++;
    size_t int_start = i;
    while (i < n && s[i] >= '0' && s[i] <= '9')
        i++;
    if (i == int_start)
        return false;
    if (i < n && s[i] == '.') {
        size_t frac_start = ++i;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == frac_start)
            return false;
    }
    return i == n;
}

/* The line without its line end; 0 or a failure. */
static int body_of(const uint8_t *frame, size_t len, size_t *body, struct cd_err *err)
{
    if (len >= 2 && frame[len - 2] == '\r' && frame[len - 1] == '\n')
        *body = len - 2;
    else if (len >= 1 && frame[len - 1] == '\n')
        *body = len - 1;
    else
        return drv_bad_reply(err, NAME, "no line end (a truncated reply?)", frame, len);
    for (size_t i = 0; i < *body; i++) {
        if (frame[i] < 0x20 || frame[i] > 0x7E) {
            char what[80];
            snprintf(what, sizeof what, "byte 0x%02X at column %zu is not ASCII text", frame[i],
                     i + 1);
            return drv_bad_reply(err, NAME, what, frame, len);
        }
    }
    if (*body == 0)
        return drv_bad_reply(err, NAME, "an empty line", frame, len);
    return 0;
}

/* "S x ..." */
static int parse_weight(const uint8_t *frame, size_t len, size_t n, struct drv_reading *out,
                        struct cd_err *err)
{
    const char *s = (const char *)frame;
    if (n < 3 || s[1] != ' ')
        return drv_bad_reply(err, NAME, "weight reply without a status", frame, len);
    const struct status_code *st = NULL;
    for (size_t i = 0; i < COUNT(weight_status); i++)
        if (weight_status[i].code == s[2])
            st = &weight_status[i];
    if (st == NULL)
        return drv_bad_reply(err, NAME, "unknown weight status", frame, len);
    if (!st->has_value) {
        if (n != 3)
            return drv_bad_reply(err, NAME, "unexpected text after the status", frame, len);
        out->status = st->status;
        if (st->meaning != NULL)
            snprintf(out->error, sizeof out->error, "%s", st->meaning);
        return 0;
    }
    if (n < 4 || s[3] != ' ')
        return drv_bad_reply(err, NAME, "weight reply without a value", frame, len);
    /* The field: spaces, then the number up to the space before the unit. */
    size_t p = 4;
    while (p < n && s[p] == ' ')
        p++;
    size_t num = p;
    while (p < n && s[p] != ' ')
        p++;
    size_t num_len = p - num;
    if (num_len == 0 || p >= n)
        return drv_bad_reply(err, NAME, "weight reply without a value and a unit", frame, len);
    if (!valid_number(s + num, num_len))
        return drv_bad_reply(err, NAME, "value field is not a number", frame, len);
    if (num_len > VALUE_FIELD)
        return drv_bad_reply(err, NAME, "value longer than the 10-character field", frame, len);
    size_t unit = p + 1;
    if (unit >= n || s[unit] == ' ')
        return drv_bad_reply(err, NAME, "weight reply without a unit", frame, len);
    size_t unit_len = n - unit;
    if (memchr(s + unit, ' ', unit_len) != NULL)
        return drv_bad_reply(err, NAME, "unexpected text after the unit", frame, len);
    if (!is_unit(s + unit, unit_len))
        return drv_bad_reply(err, NAME, "unknown unit", frame, len);

    char number[VALUE_FIELD + 1];
    memcpy(number, s + num, num_len);
    number[num_len] = '\0';
    out->value = strtod(number, NULL);
    if (!isfinite(out->value))
        return drv_bad_reply(err, NAME, "value out of range", frame, len);
    out->status = st->status;
    memcpy(out->unit, s + unit, unit_len);
    out->unit[unit_len] = '\0';
    snprintf(out->display, sizeof out->display, "%s", number);
    out->resolution = drv_display_resolution(out->display);
    return 0;
}

static bool is_command_name(const char *s, size_t n)
{
    if (n == 0 || n > 8 || s[0] < 'A' || s[0] > 'Z')
        return false;
    for (size_t i = 1; i < n; i++)
        if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9')))
            return false;
    return true;
}

static int parse(const uint8_t *frame, size_t len, struct drv_reading *out, struct cd_err *err)
{
    reading_clear(out);
    size_t n = 0;
    int rc = body_of(frame, len, &n, err);
    if (rc != 0)
        return rc;
    const char *s = (const char *)frame;
    for (size_t i = 0; i < COUNT(general_errors); i++) {
        if (n == 2 && memcmp(s, general_errors[i].reply, 2) == 0) {
            out->status = DRV_STATUS_ERROR;
            snprintf(out->error, sizeof out->error, "%s", general_errors[i].meaning);
            return 0;
        }
    }
    if (s[0] == 'S' && (n == 1 || s[1] == ' '))
        return parse_weight(frame, len, n, out, err);

    /* A reply of another command: "<cmd> <status> ...". */
    const char *sp = memchr(s, ' ', n);
    size_t cmd_len = sp != NULL ? (size_t)(sp - s) : n;
    if (!is_command_name(s, cmd_len))
        return drv_bad_reply(err, NAME, "unknown reply header", frame, len);
    if (sp == NULL || cmd_len + 1 >= n)
        return drv_bad_reply(err, NAME, "reply without a status", frame, len);
    char code = s[cmd_len + 1];
    bool alone = cmd_len + 2 == n;
    if (alone) {
        for (size_t i = 0; i < COUNT(command_errors); i++) {
            if (command_errors[i].code == code) {
                out->status = DRV_STATUS_ERROR;
                snprintf(out->error, sizeof out->error, "%.*s %c: %s", (int)cmd_len, s, code,
                         command_errors[i].meaning);
                return 0;
            }
        }
    }
    if (cmd_len == 2 && s[0] == 'I' && s[1] >= '0' && s[1] <= '9')
        return drv_bad_reply(err, NAME, "an identification reply, not a reading", frame, len);
    if (cmd_len >= 1 && s[0] == 'T')
        return drv_bad_reply(err, NAME, "a tare reply, not a reading", frame, len);
    if (code == 'A' || code == 'B')
        return drv_bad_reply(err, NAME, "an acknowledgement, not a reading", frame, len);
    return drv_bad_reply(err, NAME, "not a weight reply", frame, len);
}

const struct drv_parser drv_parser_mtsics = {
    .driver = "mtsics",
    .summary = "Mettler Toledo MT-SICS replies: S S/D value unit, S I/+/-, ES/ET/EL, <cmd> I/L/+/-",
    .parse = parse,
};
