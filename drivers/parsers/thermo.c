/* Shared pieces of the reference-thermometer parsers (thermo.h). */
#include "thermo.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "drv_priv.h"
#include "scpi.h"

const char *thermo_unit(char letter)
{
    switch (toupper((unsigned char)letter)) {
    case 'C': return "\xC2\xB0" "C";
    case 'F': return "\xC2\xB0" "F";
    case 'K': return "K";
    case 'O': return "\xCE\xA9";
    default: return NULL;
    }
}

static const char *blanks(const char *p, const char *e)
{
    while (p < e && (*p == ' ' || *p == '\t'))
        p++;
    return p;
}

/* "dd:dd:dd" or "dddd-dd-dd" at p ('d' a digit, else itself); the end of
 * the match or NULL. */
static const char *pattern(const char *p, const char *e, const char *pat)
{
    for (; *pat != '\0'; pat++, p++) {
        if (p >= e)
            return NULL;
        if (*pat == 'd' ? !isdigit((unsigned char)*p) : *p != *pat)
            return NULL;
    }
    return p;
}

int thermo_labelled(const char *b, const char *e, char *label, size_t cap, const char **nb,
                    const char **ne, char *unit_letter)
{
    const char *p = b;
    size_t nl = 0;
    while (p < e && isalnum((unsigned char)*p) && nl < 8) {
        p++;
        nl++;
    }
    if (nl == 0 || p >= e || *p != ':' || cap <= nl)
        return -1;
    memcpy(label, b, nl);
    label[nl] = '\0';
    p = blanks(p + 1, e);
    *nb = p;
    while (p < e && *p != ' ' && *p != '\t')
        p++;
    *ne = p;
    if (*ne == *nb)
        return -1;
    const char *u = blanks(p, e);
    if (u == p || u >= e || thermo_unit(*u) == NULL)
        return -1;
    *unit_letter = (char)toupper((unsigned char)*u);
    p = u + 1;
    if (p == e)
        return 0;
    if (*p != ' ' && *p != '\t')
        return -1;
    p = blanks(p, e);
    if ((p = pattern(p, e, "dd:dd:dd")) == NULL)
        return -1;
    if (p == e)
        return 0;
    p = blanks(p, e);
    if ((p = pattern(p, e, "dddd-dd-dd")) == NULL)
        return -1;
    return p == e ? 0 : -1;
}

int thermo_reading(const char *nb, const char *ne, const char *unit, struct drv_reading *out)
{
    double v;
    size_t n = (size_t)(ne - nb);
    if (n >= sizeof out->display || scpi_number(nb, ne, &v) != 0 || fabs(v) >= 1e36)
        return -1;
    memcpy(out->display, nb, n);
    out->display[n] = '\0';
    snprintf(out->unit, sizeof out->unit, "%s", unit);
    out->value = v;
    out->status = DRV_STATUS_STABLE;
    out->resolution = drv_display_resolution(out->display);
    return 0;
}

int thermo_error_text(const char *b, const char *e, struct drv_reading *out)
{
    size_t n = (size_t)(e - b);
    if (n < 3 || strncasecmp(b, "err", 3) != 0)
        return 0;
    out->status = DRV_STATUS_ERROR;
    out->value = NAN;
    drv_copy_trimmed(out->error, sizeof out->error, b, n);
    drv_copy_trimmed(out->display, sizeof out->display, b, n);
    return 1;
}
