/* The frame parsers of the sources caldaq sets and waits on (issue 19,
 * docs/sources.md): the Druck PACE's SCPI replies and the Hart/Fluke
 * bath's "key: value unit" lines. Pure, no I/O.
 *
 * PACE (SCPI over TCP port 5025): a query is answered with its header
 * echoed and the value [GE/Druck PACE Series SCPI Remote Communications
 * Manual K0472 Rev. A, e.g. 4-32 "RX> :OUTP:STAT 0", 4-87 "RX>
 * :SOUR:PRES:INL:TIME 2"; ESRF bliss bliss/controllers/temperature/pace.py
 * (repository marc2332/bliss) splits replies at the space the same way],
 * and the in-limits query with the pressure and a flag 1 (in limits) or 0,
 * ":SENS:PRES:INL 10.00012, 1" (**M**: K0472's page for :SENS:PRES:INL?
 * was not read; the form is the one third-party PACE5000 drivers found by
 * `search` parse, "value, flag", and a test double of theirs answering
 * ":SENS:PRES:INL 1000.5, 1"; K0472 3.3: in limits means within the limits
 * for the in-limits time, :SOUR:PRES:INL:TIME, default 2 s, 4-87). A reply
 * without the header (the PACE's header echo turned off) is taken too.
 *
 * Bath (Hart Scientific / Fluke 7102, 7103, 7320, 7340, 7341, 9100-series
 * controllers): "Read temperature t[emperature] -> t: 999.99 {C or F}",
 * "Read current set-point s[etpoint] -> set: 999.99 {C or F}" [Fluke 7102
 * Micro-Bath User's Guide, "Interface Commands", Table 5 "Controller
 * Communications Commands" (easymanua.ls/fluke/7102/manual?p=38); the
 * 9105/9107 guide's table has the same forms (manualsdump.com
 * fluke-9105model-9107model p. 53); the 7341's, **M**].
 */
#include "source.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drv_priv.h"

/* The line without its end and the blanks before it: [*b, *e); -1 when it
 * has no end or holds bytes that are not text. */
static int text_line(const char *line, size_t len, const char **b, const char **e)
{
    if (len == 0 || line[len - 1] != '\n')
        return -1;
    size_t n = len - 1;
    if (n > 0 && line[n - 1] == '\r')
        n--;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)line[i] < 0x20 || (unsigned char)line[i] > 0x7E)
            return -1;
    const char *p = line;
    while (p < line + n && *p == ' ')
        p++;
    *b = p;
    *e = line + n;
    return 0;
}

/* One decimal number at *p (blanks before it skipped), no more than 24
 * characters, finite; *p advanced past it. */
static int number_at(const char **p, const char *e, double *v, char *text, size_t tcap)
{
    const char *q = *p;
    while (q < e && *q == ' ')
        q++;
    const char *b = q;
    while (q < e && (isdigit((unsigned char)*q) || strchr("+-.eE", *q) != NULL))
        q++;
    size_t n = (size_t)(q - b);
    char num[32];
    if (n == 0 || n > 24)
        return -1;
    memcpy(num, b, n);
    num[n] = '\0';
    char *end = NULL;
    errno = 0;
    double x = strtod(num, &end);
    if (end != num + n || errno != 0 || !isfinite(x) || !(isdigit((unsigned char)num[n - 1]) ||
                                                           num[n - 1] == '.'))
        return -1;
    if (text != NULL)
        snprintf(text, tcap, "%s", num);
    *v = x;
    *p = q;
    return 0;
}

int pace_reply(const char *line, size_t len, char *header, size_t hcap, double v[2], size_t *n)
{
    const char *p, *e;
    if (text_line(line, len, &p, &e) != 0)
        return -1;
    size_t h = 0;
    if (p < e && (*p == ':' || *p == '*' || isalpha((unsigned char)*p))) {
        const char *b = p;
        while (p < e && *p != ' ')
            p++;
        h = (size_t)(p - b);
        for (size_t i = 0; i < h; i++)
            if (!(isalnum((unsigned char)b[i]) || b[i] == ':' || b[i] == '?'))
                return -1;
        if (h + 1 > hcap)
            return -1;
        for (size_t i = 0; i < h; i++)
            header[i] = (char)toupper((unsigned char)b[i]);
    }
    if (hcap > 0)
        header[h] = '\0';
    *n = 0;
    for (;;) {
        if (*n == 2 || number_at(&p, e, &v[*n], NULL, 0) != 0)
            return -1;
        (*n)++;
        while (p < e && *p == ' ')
            p++;
        if (p == e)
            return 0;
        if (*p != ',')
            return -1;
        p++;
    }
}

int bath_reply(const char *line, size_t len, char *key, size_t kcap, char *text, size_t tcap,
               double *v, char *unit)
{
    const char *p, *e;
    if (text_line(line, len, &p, &e) != 0)
        return -1;
    const char *b = p;
    while (p < e && isalpha((unsigned char)*p))
        p++;
    size_t k = (size_t)(p - b);
    if (k == 0 || k + 1 > kcap || p >= e || *p != ':')
        return -1;
    for (size_t i = 0; i < k; i++)
        key[i] = (char)tolower((unsigned char)b[i]);
    key[k] = '\0';
    p++;
    if (number_at(&p, e, v, text, tcap) != 0)
        return -1;
    while (p < e && *p == ' ')
        p++;
    if (p >= e || (toupper((unsigned char)*p) != 'C' && toupper((unsigned char)*p) != 'F'))
        return -1;
    *unit = (char)toupper((unsigned char)*p++);
    while (p < e && *p == ' ')
        p++;
    return p == e ? 0 : -1;
}

static int parse_pace(const uint8_t *frame, size_t len, struct drv_reading *out,
                      struct cd_err *err)
{
    memset(out, 0, sizeof *out);
    out->value = NAN;
    char header[48];
    double v[2];
    size_t n = 0;
    if (pace_reply((const char *)frame, len, header, sizeof header, v, &n) != 0)
        return drv_bad_reply(err, "pace", "not a PACE reply (header and one or two numbers)",
                             frame, len);
    bool inl = strcmp(header, ":SENS:PRES:INL") == 0 || strcmp(header, ":SENSE:PRESSURE:INLIMITS") == 0;
    if (n == 2 && (!inl || (v[1] != 0 && v[1] != 1)))
        return drv_bad_reply(err, "pace", "two numbers, and not an in-limits reply (pressure, 0 or 1)",
                             frame, len);
    if (inl && n != 2)
        return drv_bad_reply(err, "pace", "an in-limits reply without its flag", frame, len);
    out->value = v[0];
    out->status = inl && v[1] == 0 ? DRV_STATUS_UNSTABLE : DRV_STATUS_STABLE;
    /* the number as written: after the header, up to the comma */
    const char *s = (const char *)frame;
    size_t i = 0;
    while (i < len && s[i] == ' ')
        i++;
    i += strlen(header);
    while (i < len && s[i] == ' ')
        i++;
    size_t j = i;
    while (j < len && s[j] != ',' && s[j] != '\r' && s[j] != '\n' && s[j] != ' ')
        j++;
    drv_copy_trimmed(out->display, sizeof out->display, s + i, j - i);
    out->resolution = drv_display_resolution(out->display);
    return 0;
}

static int parse_bath(const uint8_t *frame, size_t len, struct drv_reading *out,
                      struct cd_err *err)
{
    memset(out, 0, sizeof *out);
    out->value = NAN;
    char key[16], text[32], unit;
    double v;
    if (bath_reply((const char *)frame, len, key, sizeof key, text, sizeof text, &v, &unit) != 0)
        return drv_bad_reply(err, "bath", "not a bath reply (t: 25.00 C, set: 25.00 C)", frame,
                             len);
    if (strcmp(key, "t") != 0 && strcmp(key, "set") != 0)
        return drv_bad_reply(err, "bath", "not a temperature or set-point reply", frame, len);
    out->value = v;
    out->status = DRV_STATUS_STABLE;
    snprintf(out->unit, sizeof out->unit, "%s", unit == 'C' ? "\xC2\xB0" "C" : "\xC2\xB0" "F");
    snprintf(out->display, sizeof out->display, "%s", text);
    out->resolution = drv_display_resolution(text);
    return 0;
}

const struct drv_parser drv_parser_pace = {
    .driver = "pace",
    .summary = "Druck PACE replies: :SENS:PRES 10.0001, :SENS:PRES:INL 10.0001, 1 (in limits)",
    .parse = parse_pace,
};

const struct drv_parser drv_parser_bath = {
    .driver = "bath",
    .summary = "Hart/Fluke bath and dry-block replies: t: 25.00 C, set: 25.00 C",
    .parse = parse_bath,
};
