/* The decimal separator of numbers shown to a person (cd.h). */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cd.h"
#include "cd_i18n.h"

int cd_decsep_parse(const char *text, enum cd_decsep *out, struct cd_err *err)
{
    if (text != NULL && strcmp(text, "comma") == 0) {
        *out = CD_DECSEP_COMMA;
        return 0;
    }
    if (text != NULL && strcmp(text, "point") == 0) {
        *out = CD_DECSEP_POINT;
        return 0;
    }
    return cd_fail(err, CD_ERR_INVALID, _("decimal_separator: '%s' is neither comma nor point"),
                   text != NULL ? text : "");
}

enum cd_decsep cd_decsep_default(const char *lang)
{
    return lang != NULL && strncasecmp(lang, "vi", 2) == 0 &&
                   (lang[2] == '\0' || strchr("_-.@+", lang[2]) != NULL)
               ? CD_DECSEP_COMMA
               : CD_DECSEP_POINT;
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

char *cd_decimal_sep(char *s, enum cd_decsep sep)
{
    if (sep != CD_DECSEP_COMMA || s == NULL)
        return s;
    for (char *c = s; *c != '\0'; c++)
        if (*c == '.' && c > s && is_digit(c[-1]) && is_digit(c[1]))
            *c = ',';
    return s;
}

int cd_format_decimal(char *buf, size_t size, double value, int decimals, enum cd_decsep sep)
{
    if (decimals < 0)
        decimals = 0;
    int n = snprintf(buf, size, "%.*f", decimals, value);
    if (size > 0)
        cd_decimal_sep(buf, sep);
    return n;
}
