/* The "scpi" frame parser (drv.h, struct drv_parser): one reply line of an
 * HP/Agilent 34401A-style multimeter in, one reading out, no I/O.
 *
 * What a line may be (protocols.md 2.1; libsigrok src/hardware/scpi-dmm):
 *   - a reading, SCPI NR1/NR2/NR3 text ending in LF (CR LF from the
 *     34401A): "+1.00001230E+01\r\n". The value is the number; the display
 *     is the text as sent (its digits give the resolution: 1e-7 here). A
 *     pure parser does not know the configured function, so the unit is
 *     "" (the driver sets it from CONF:<function>).
 *   - an overload: |x| of 9.9E+37 up to 1E+38, "+9.90000000E+37" or
 *     "-9.90000000E+37". Both signs are status "overload": a negative
 *     overload is over the range on the negative side, not an underload
 *     (which caldaq keeps for balances: a pan taken off). The display keeps
 *     the sign. (Truevolt meters send 9.91E+37 for not-a-number, **M**:
 *     read as an overload too.)
 *   - an error-queue entry, the reply to SYST:ERR?: `-113,"Undefined
 *     header"` is status "error" with that text in `error`; `+0,"No
 *     error"` is not a reading (CD_ERR_PROTOCOL).
 * Status of a valid reading: the 34401A has no stability flag, so
 * "stable" here means a valid in-range reading; drv_read_stable (the
 * driver says stability_flag = false) replaces it with its window verdict.
 * Everything else is CD_ERR_PROTOCOL quoting the bytes: no line end
 * (truncated), bytes that are not printable ASCII (garbage), text that is
 * not one number (NaN, INF, hex, "1,2", *IDN? replies), a number no meter
 * sends (beyond 1E+38 in size, or a non-zero value below 1E-40), and sizes
 * between 1E+36 and the overload value.
 */
#include "scpi.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drv_priv.h"
#include "cd_i18n.h"

#define OVERLOAD_MIN 9.9e37
#define ABSURD_MAX 1e38
#define REAL_MAX 1e36
#define ABSURD_TINY 1e-40

/* The line without its end and surrounding blanks: [*b, *e). */
static void trim(const char *s, size_t len, const char **b, const char **e)
{
    const char *p = s, *q = s + len;
    while (q > p && (q[-1] == '\n' || q[-1] == '\r' || q[-1] == ' ' || q[-1] == '\t'))
        q--;
    while (p < q && (*p == ' ' || *p == '\t'))
        p++;
    *b = p;
    *e = q;
}

int scpi_error_entry(const char *line, size_t len, int *code, char *text, size_t cap)
{
    const char *b, *e;
    trim(line, len, &b, &e);
    const char *p = b;
    if (p < e && (*p == '+' || *p == '-'))
        p++;
    const char *digits = p;
    while (p < e && isdigit((unsigned char)*p))
        p++;
    if (p == digits || p - digits > 6 || p >= e || *p != ',')
        return 0;
    const char *comma = p++;
    if (p >= e || *p != '"' || e - p < 2 || e[-1] != '"')
        return 0;
    for (const char *q = p + 1; q < e - 1; q++)
        if (*q == '"' || (unsigned char)*q < 0x20 || (unsigned char)*q > 0x7E)
            return 0;
    char num[16];
    snprintf(num, sizeof num, "%.*s", (int)(comma - b), b);
    *code = atoi(num);
    size_t n = (size_t)(e - b);
    if (cap > 0) {
        if (n >= cap)
            n = cap - 1;
        memcpy(text, b, n);
        text[n] = '\0';
    }
    return 1;
}

/* SCPI numeric text: [+-] digits [. digits] [E [+-] 1-3 digits], or with
 * the digits after the point only. 0 or -1. */
static int number_syntax(const char *p, const char *e)
{
    if (p < e && (*p == '+' || *p == '-'))
        p++;
    int digits = 0;
    while (p < e && isdigit((unsigned char)*p)) {
        p++;
        digits++;
    }
    if (p < e && *p == '.') {
        p++;
        while (p < e && isdigit((unsigned char)*p)) {
            p++;
            digits++;
        }
    }
    if (digits == 0 || digits > 20)
        return -1;
    if (p < e && (*p == 'E' || *p == 'e')) {
        p++;
        if (p < e && (*p == '+' || *p == '-'))
            p++;
        int ed = 0;
        while (p < e && isdigit((unsigned char)*p)) {
            p++;
            ed++;
        }
        if (ed == 0 || ed > 3)
            return -1;
    }
    return p == e ? 0 : -1;
}

int scpi_text_line(const uint8_t *frame, size_t len, bool cr_ends, const char *driver,
                   const char **b, const char **e, struct cd_err *err)
{
    if (len == 0)
        return cd_fail(err, CD_ERR_PROTOCOL, _("%s: an empty frame"), driver);
    uint8_t last = frame[len - 1];
    if (last != '\n' && !(cr_ends && last == '\r'))
        return drv_bad_reply(err, driver, "no line end (a truncated reply?)", frame, len);
    for (size_t i = 0; i + 1 < len; i++) {
        uint8_t c = frame[i];
        if ((c < 0x20 || c > 0x7E) && c != '\t' && !(c == '\r' && i + 2 == len))
            return drv_bad_reply(err, driver, "bytes that are not text (garbage on the line?)",
                                 frame, len);
    }
    trim((const char *)frame, len, b, e);
    if (*b == *e)
        return drv_bad_reply(err, driver, "an empty line", frame, len);
    return 0;
}

int scpi_number(const char *b, const char *e, double *out)
{
    char num[64];
    size_t n = (size_t)(e - b);
    if (n >= sizeof num || number_syntax(b, e) != 0)
        return -1;
    memcpy(num, b, n);
    num[n] = '\0';
    errno = 0;
    char *end = NULL;
    double v = strtod(num, &end);
    double a = fabs(v);
    if (end != num + n || errno == ERANGE || !isfinite(v) || a >= ABSURD_MAX ||
        (a != 0 && a < ABSURD_TINY))
        return -1;
    *out = v;
    return 0;
}

static int parse(const uint8_t *frame, size_t len, struct drv_reading *out, struct cd_err *err)
{
    memset(out, 0, sizeof *out);
    out->value = NAN;
    const char *b, *e;
    int rc = scpi_text_line(frame, len, false, "scpi", &b, &e, err);
    if (rc != 0)
        return rc;
    size_t n = (size_t)(e - b);

    int code;
    char text[sizeof out->error];
    if (scpi_error_entry(b, n, &code, text, sizeof text)) {
        if (code == 0)
            return drv_bad_reply(err, "scpi", "not a reading: the error queue is empty", frame,
                                 len);
        out->status = DRV_STATUS_ERROR;
        snprintf(out->error, sizeof out->error, "%s", text);
        drv_copy_trimmed(out->display, sizeof out->display, b, n);
        return 0;
    }
    if (memchr(b, ',', n) != NULL || memchr(b, ';', n) != NULL)
        return drv_bad_reply(err, "scpi", "not one reading (several values, or an *IDN? reply)",
                             frame, len);
    if (n >= sizeof out->display || number_syntax(b, e) != 0)
        return drv_bad_reply(err, "scpi", "not a number", frame, len);
    double v;
    if (scpi_number(b, e, &v) != 0)
        return drv_bad_reply(err, "scpi", "a number no meter sends", frame, len);
    double a = fabs(v);
    char num[sizeof out->display];
    memcpy(num, b, n);
    num[n] = '\0';
    memcpy(out->display, num, n + 1);
    if (a >= OVERLOAD_MIN) {
        out->status = DRV_STATUS_OVERLOAD;
        return 0;
    }
    if (a >= REAL_MAX)
        return drv_bad_reply(err, "scpi", "a number no meter sends", frame, len);
    out->value = v;
    out->status = DRV_STATUS_STABLE;
    out->resolution = drv_display_resolution(num);
    return 0;
}

const struct drv_parser drv_parser_scpi = {
    .driver = "scpi",
    .summary = "SCPI multimeter replies (34401A): readings, +-9.9E+37 overload, SYST:ERR? entries",
    .parse = parse,
};
