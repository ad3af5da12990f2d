/* Readings read by eye and typed (session.h, issue 16): the text checked
 * before it becomes a reading, and a checklist's answers. Pure functions:
 * the engine asks, these judge, the run keeps the text exactly as typed. */
#include "session.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Decimal places of a step written as a decimal: 0.1 -> 1, 0.05 -> 2,
 * 1 -> 0, 2.5 -> 1. Up to 9 places. */
static int step_decimals(double step)
{
    for (int d = 0; d <= 9; d++) {
        double scaled = step * pow(10, d);
        if (fabs(scaled - round(scaled)) <= 1e-9 * fmax(1, fabs(scaled)))
            return d;
    }
    return 9;
}

int ses_typed_value(enum lang l, const struct prof_side *side, double resolution,
                    const char *unit, const char *text, double *value, char *why, size_t cap)
{
    *value = NAN;
    /* leading and trailing blanks are the keyboard's, not the reading's */
    while (*text == ' ' || *text == '\t')
        text++;
    size_t len = strlen(text);
    while (len > 0 && (text[len - 1] == ' ' || text[len - 1] == '\t'))
        len--;
    /* [+-]digits[(.|,)digits]: no exponent, no thousands separator, no
     * unit; a decimal comma as Vietnamese writes it, or a point */
    char norm[64];
    size_t i = 0, digits = 0, decimals = 0;
    bool sep = false;
    bool ok = len > 0 && len < sizeof norm;
    if (ok && (text[0] == '-' || text[0] == '+'))
        norm[i] = text[i], i++;
    for (; ok && i < len; i++) {
        char c = text[i];
        if (isdigit((unsigned char)c)) {
            norm[i] = c;
            digits++;
            decimals += sep;
        } else if ((c == '.' || c == ',') && !sep) {
            norm[i] = '.';
            sep = true;
        } else {
            ok = false;
        }
    }
    if (!ok || digits == 0 || (sep && decimals == 0)) {
        snprintf(why, cap, msg_text(l, M_TYPED_NOT_NUMBER), len < 40 ? text : "…");
        return -1;
    }
    norm[i] = '\0';
    double v = strtod(norm, NULL);
    char shown[64];
    snprintf(shown, sizeof shown, "%.*s", (int)len, text);
    double step = side->resolution > 0 ? side->resolution : resolution;
    if (step > 0) {
        /* no more digits than the resolution allows, and on its steps (a
         * dial read to half a division of 0.5 takes 10,25 but not 10,3) */
        double q = v / step;
        if ((int)decimals > step_decimals(step) ||
            fabs(q - round(q)) > 1e-6 * fmax(1, fabs(q))) {
            char st[32];
            snprintf(st, sizeof st, "%.10g", step);
            snprintf(why, cap, msg_text(l, M_TYPED_DIGITS), shown, st, unit);
            return -1;
        }
    }
    if ((isfinite(side->low) && v < side->low) || (isfinite(side->high) && v > side->high)) {
        char lo[32], hi[32];
        snprintf(lo, sizeof lo, "%.10g", side->low);
        snprintf(hi, sizeof hi, "%.10g", side->high);
        snprintf(why, cap, msg_text(l, M_TYPED_RANGE), shown, lo, hi, unit);
        return -1;
    }
    *value = v;
    return 0;
}

bool ses_typed_far(enum lang l, const struct prof_side *side, double value, double nominal,
                   double mpe, const char *unit, char *why, size_t cap)
{
    double n = side->confirm_beyond_mpe;
    if (!(n > 0) || !(mpe > 0) || fabs(value - nominal) <= n * mpe)
        return false;
    char v[32], nom[32], times[32];
    snprintf(v, sizeof v, "%.10g", value);
    snprintf(nom, sizeof nom, "%.10g", nominal);
    snprintf(times, sizeof times, "%.10g", n);
    snprintf(why, cap, msg_text(l, M_TYPED_FAR), v, unit, nom, unit, times);
    return true;
}

/* Lower-case ASCII of `s` with Vietnamese letters of the two answers
 * folded to ASCII ("Đạt" -> "dat", "Không đạt" -> "khong dat"), blanks
 * squeezed. */
static void fold_answer(const char *s, char *out, size_t cap)
{
    static const struct {
        const char *utf8;
        char ascii;
    } fold[] = {{"đ", 'd'}, {"Đ", 'd'}, {"ạ", 'a'}, {"Ạ", 'a'}, {"ô", 'o'}, {"Ô", 'o'}};
    size_t n = 0;
    while (*s != '\0' && n + 1 < cap) {
        bool folded = false;
        for (size_t k = 0; k < sizeof fold / sizeof fold[0]; k++) {
            size_t fl = strlen(fold[k].utf8);
            if (strncmp(s, fold[k].utf8, fl) == 0) {
                out[n++] = fold[k].ascii;
                s += fl;
                folded = true;
                break;
            }
        }
        if (folded)
            continue;
        unsigned char c = (unsigned char)*s++;
        if (c == ' ' || c == '\t') {
            if (n > 0 && out[n - 1] != ' ')
                out[n++] = ' ';
            continue;
        }
        out[n++] = (char)tolower(c);
    }
    while (n > 0 && out[n - 1] == ' ')
        n--;
    out[n] = '\0';
}

int ses_typed_line(const char *line, char *key, size_t kcap, char *value, size_t vcap,
                   bool *confirm)
{
    *confirm = false;
    key[0] = value[0] = '\0';
    while (*line == ' ' || *line == '\t')
        line++;
    size_t len = strcspn(line, "\r\n");
    if (len == 0 || line[0] == '#')
        return 0;
    const char *comma = memchr(line, ',', len);
    if (comma == NULL || comma == line)
        return -1;
    size_t kl = (size_t)(comma - line), vl = len - kl - 1;
    while (kl > 0 && (line[kl - 1] == ' ' || line[kl - 1] == '\t'))
        kl--;
    /* ",confirm" after the value keeps a value far from the nominal, as a
     * technician answering "yes, that is what it shows" */
    static const char mark[] = ",confirm";
    size_t ml = sizeof mark - 1;
    if (vl >= ml && strncmp(comma + 1 + vl - ml, mark, ml) == 0) {
        *confirm = true;
        vl -= ml;
    }
    if (kl == 0 || kl >= kcap || vl >= vcap || memchr(line, '\0', len) != NULL)
        return -1;
    memcpy(key, line, kl);
    key[kl] = '\0';
    memcpy(value, comma + 1, vl);
    value[vl] = '\0';
    return 1;
}

int ses_check_answer(const char *text)
{
    char a[64];
    fold_answer(text, a, sizeof a);
    static const char *const pass[] = {"d", "dat", "pass", "p", "y", "yes", "1", "c", "co"};
    static const char *const fail[] = {"k", "khong dat", "kd", "fail", "f", "n", "no", "0"};
    for (size_t i = 0; i < sizeof pass / sizeof pass[0]; i++)
        if (strcmp(a, pass[i]) == 0)
            return 1;
    for (size_t i = 0; i < sizeof fail / sizeof fail[0]; i++)
        if (strcmp(a, fail[i]) == 0)
            return 0;
    return -1;
}
