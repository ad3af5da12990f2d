/* Numeric CSV for `caldaq fit`: the contract is in csv.h.
 *
 * The whole file is read into memory first: calibration data are small, and
 * parsing a buffer with its length lets NUL bytes be reported as the garbage
 * they are instead of silently ending a line as fgets would.
 */
#include "csv.h"
#include "cd_i18n.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Longest field we try as a number; longer ones are not numbers anyone
 * typed, and a fixed buffer keeps strtod away from the unterminated text. */
#define CSV_NUMBER_MAX 128
/* How much of a bad field a message quotes. */
#define CSV_QUOTE_MAX 40

enum csv_role { ROLE_NONE, ROLE_X, ROLE_Y, ROLE_U };

static const char *role_name(enum csv_role r)
{
    switch (r) {
    case ROLE_X: return "x";
    case ROLE_Y: return "y";
    case ROLE_U: return "u_y";
    default: return "unused";
    }
}

struct span {
    const char *p;
    size_t len;
};

/* Walks the buffer line by line, counting lines from 1. */
struct cursor {
    const char *text;
    size_t len;
    size_t pos;
    size_t line;            /* number of the line last returned */
};

/* What the header (or the first data row) fixed for all rows. */
struct layout {
    char sep;
    size_t n_fields;
    size_t col[4];          /* indexed by enum csv_role; meaningful when has[] */
    bool has[4];
    size_t defined_on;      /* line that fixed the layout */
    bool header;
};

/* The points read so far. */
struct points {
    size_t n, cap;
    double *x, *y, *u;
};

enum num_kind { NUM_OK, NUM_EMPTY, NUM_NOT_NUMBER, NUM_NOT_FINITE, NUM_RANGE, NUM_TOO_LONG };

static bool next_line(struct cursor *c, struct span *out)
{
    if (c->pos >= c->len)
        return false;
    const char *start = c->text + c->pos;
    size_t rest = c->len - c->pos;
    const char *nl = memchr(start, '\n', rest);
    size_t n = nl != NULL ? (size_t)(nl - start) : rest;
    c->pos += nl != NULL ? n + 1 : n;
    c->line++;
    if (n > 0 && start[n - 1] == '\r')
        n--;
    out->p = start;
    out->len = n;
    return true;
}

static bool is_blank(char ch)
{
    return ch == ' ' || ch == '\t';
}

static struct span trim_blanks(struct span s, char sep)
{
    /* A tab separator is data, not padding. */
    while (s.len > 0 && is_blank(s.p[0]) && s.p[0] != sep) {
        s.p++;
        s.len--;
    }
    while (s.len > 0 && is_blank(s.p[s.len - 1]) && s.p[s.len - 1] != sep)
        s.len--;
    return s;
}

static struct span trim(struct span s, char sep)
{
    s = trim_blanks(s, sep);
    /* Spreadsheets quote fields; a quoted number is still a number. */
    if (s.len >= 2 && s.p[0] == '"' && s.p[s.len - 1] == '"') {
        s.p++;
        s.len -= 2;
    }
    return s;
}

static bool is_skipped(struct span line)
{
    struct span t = trim_blanks(line, '\0');
    return t.len == 0 || t.p[0] == '#';
}

static char detect_separator(struct span line)
{
    /* ';' first: a ';' file often holds decimal commas, which must then be
     * reported as such rather than split into extra fields. */
    if (memchr(line.p, ';', line.len) != NULL)
        return ';';
    if (memchr(line.p, '\t', line.len) != NULL)
        return '\t';
    return ',';
}

static size_t count_fields(struct span line, char sep)
{
    size_t n = 1;
    for (size_t i = 0; i < line.len; i++)
        if (line.p[i] == sep)
            n++;
    return n;
}

/* The field after `*rest` up to the next separator; advances `*rest`. */
static struct span take_field(struct span *rest, char sep)
{
    const char *end = memchr(rest->p, sep, rest->len);
    size_t n = end != NULL ? (size_t)(end - rest->p) : rest->len;
    struct span f = {rest->p, n};
    size_t used = end != NULL ? n + 1 : n;
    rest->p += used;
    rest->len -= used;
    return trim(f, sep);
}

/* Quote a field for a message: printable ASCII as is, the rest as \xHH, so
 * that NUL and 0xFF bytes are visible and the terminal is left alone. */
static const char *quote(struct span f, char *buf, size_t size)
{
    size_t o = 0;
    buf[o++] = '\'';
    for (size_t i = 0; i < f.len && o + 8 < size; i++) {
        unsigned char ch = (unsigned char)f.p[i];
        if (i == CSV_QUOTE_MAX) {
            o += (size_t)snprintf(buf + o, size - o, "...");
            break;
        }
        if (ch == '\'' || ch == '\\')
            o += (size_t)snprintf(buf + o, size - o, "\\%c", ch);
        else if (ch >= 0x20 && ch < 0x7f)
            buf[o++] = (char)ch;
        else
            o += (size_t)snprintf(buf + o, size - o, "\\x%02X", ch);
    }
    buf[o++] = '\'';
    buf[o] = '\0';
    return buf;
}

static bool is_number_char(char ch)
{
    return isdigit((unsigned char)ch) || ch == '.' || ch == 'e' || ch == 'E' || ch == '+'
           || ch == '-';
}

/* "nan", "inf", "infinity" with an optional sign, any case: strtod would
 * take them, and they are numbers, just not finite ones. */
static bool is_non_finite_word(struct span f)
{
    if (f.len > 0 && (f.p[0] == '+' || f.p[0] == '-')) {
        f.p++;
        f.len--;
    }
    static const char *const words[] = {"nan", "inf", "infinity"};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (f.len == strlen(words[i]) && strncasecmp(f.p, words[i], f.len) == 0)
            return true;
    return false;
}

static enum num_kind parse_number(struct span f, double *out)
{
    if (f.len == 0)
        return NUM_EMPTY;
    if (is_non_finite_word(f))
        return NUM_NOT_FINITE;
    /* Decimal only: strtod would also take hex floats and locale forms. */
    bool digit = false;
    for (size_t i = 0; i < f.len; i++) {
        if (!is_number_char(f.p[i]))
            return NUM_NOT_NUMBER;
        digit = digit || isdigit((unsigned char)f.p[i]);
    }
    /* Made of a number's characters but too long to be one anyone typed
     * (a 1 MB field was called "not a number"): say so, with its length. */
    if (f.len >= CSV_NUMBER_MAX)
        return digit ? NUM_TOO_LONG : NUM_NOT_NUMBER;
    char buf[CSV_NUMBER_MAX];
    memcpy(buf, f.p, f.len);
    buf[f.len] = '\0';
    char *end = NULL;
    errno = 0;
    double v = strtod(buf, &end);
    if (end == buf || *end != '\0')
        return NUM_NOT_NUMBER;
    /* Overflow (1e999) and underflow (1e-999) alike: the value written is
     * not the value we would use. */
    if (errno == ERANGE || !isfinite(v))
        return NUM_RANGE;
    *out = v;
    return NUM_OK;
}

/* Valid UTF-8 without control characters: a column name, possibly in
 * Vietnamese, and not a run of garbage bytes that should be reported. */
static bool looks_like_name(struct span f)
{
    size_t i = 0;
    while (i < f.len) {
        unsigned char ch = (unsigned char)f.p[i];
        size_t extra = ch < 0x80 ? 0 : (ch & 0xE0) == 0xC0 ? 1 : (ch & 0xF0) == 0xE0 ? 2
                     : (ch & 0xF8) == 0xF0 ? 3 : 4;
        if (extra == 4 || (ch < 0x20 && ch != '\t') || ch == 0x7f || (ch >= 0x80 && ch < 0xC2))
            return false;
        if (extra > f.len - i - 1)
            return false;
        for (size_t k = 1; k <= extra; k++)
            if (((unsigned char)f.p[i + k] & 0xC0) != 0x80)
                return false;
        i += extra + 1;
    }
    return true;
}

static bool is_header(struct span line, char sep)
{
    struct span rest = line;
    bool named = false;
    for (size_t i = 0, n = count_fields(line, sep); i < n; i++) {
        double ignored;
        struct span f = take_field(&rest, sep);
        enum num_kind k = parse_number(f, &ignored);
        if (k == NUM_NOT_NUMBER && !looks_like_name(f))
            return false;   /* garbage: let the row parser report it */
        if (k == NUM_NOT_NUMBER)
            named = true;
        else if (k != NUM_EMPTY)
            return false;   /* a number (even nan) makes it a data row */
    }
    return named;
}

static enum csv_role role_of_name(struct span name)
{
    static const struct {
        const char *name;
        enum csv_role role;
    } names[] = {{"x", ROLE_X}, {"y", ROLE_Y}, {"u", ROLE_U}, {"u_y", ROLE_U}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (name.len == strlen(names[i].name)
            && strncasecmp(name.p, names[i].name, name.len) == 0)
            return names[i].role;
    return ROLE_NONE;
}

static int layout_from_names(struct layout *lo, struct span line, const char *file,
                             struct cd_err *err)
{
    struct span rest = line;
    for (size_t i = 0; i < lo->n_fields; i++) {
        struct span f = take_field(&rest, lo->sep);
        enum csv_role r = role_of_name(f);
        if (r == ROLE_NONE)
            continue;
        if (lo->has[r])
            return cd_fail(err, CD_ERR_PARSE, _("%s:%zu: column %s named twice (fields %zu and %zu)"),
                           file, lo->defined_on, role_name(r), lo->col[r] + 1, i + 1);
        lo->has[r] = true;
        lo->col[r] = i;
    }
    if (lo->has[ROLE_X] != lo->has[ROLE_Y])
        return cd_fail(err, CD_ERR_PARSE, _("%s:%zu: the header names column %s but no column %s"),
                       file, lo->defined_on, lo->has[ROLE_X] ? "x" : "y",
                       lo->has[ROLE_X] ? "y" : "x");
    return 0;
}

/* Without x and y names: the first two columns, and u_y when there is a
 * third. More columns would be a guess. */
static int layout_by_position(struct layout *lo, const char *file, struct cd_err *err)
{
    if (lo->n_fields < 2 || lo->n_fields > 3)
        return cd_fail(err, CD_ERR_PARSE,
                       _("%s:%zu: %zu field%s; expected 2 (x,y) or 3 (x,y,u_y), or a header "
                       "naming the x, y and u columns"),
                       file, lo->defined_on, lo->n_fields, lo->n_fields == 1 ? "" : "s");
    memset(lo->has, 0, sizeof lo->has);
    lo->has[ROLE_X] = lo->has[ROLE_Y] = true;
    lo->col[ROLE_X] = 0;
    lo->col[ROLE_Y] = 1;
    if (lo->n_fields == 3) {
        lo->has[ROLE_U] = true;
        lo->col[ROLE_U] = 2;
    }
    return 0;
}

static int layout_init(struct layout *lo, struct span first, size_t line, const char *file,
                       struct cd_err *err)
{
    memset(lo, 0, sizeof *lo);
    lo->sep = detect_separator(first);
    lo->n_fields = count_fields(first, lo->sep);
    lo->defined_on = line;
    lo->header = is_header(first, lo->sep);
    if (lo->header) {
        int rc = layout_from_names(lo, first, file, err);
        if (rc != 0)
            return rc;
        if (lo->has[ROLE_X])
            return 0;
    }
    return layout_by_position(lo, file, err);
}

static enum csv_role role_of_column(const struct layout *lo, size_t col)
{
    for (int r = ROLE_X; r <= ROLE_U; r++)
        if (lo->has[r] && lo->col[r] == col)
            return (enum csv_role)r;
    return ROLE_NONE;
}

static const char *separator_name(char sep)
{
    return sep == ';' ? "';'" : sep == '\t' ? "tab" : "','";
}

static int number_error(enum num_kind k, struct span f, char sep, const char *file, size_t line,
                        size_t col, enum csv_role r, struct cd_err *err)
{
    char q[4 * CSV_QUOTE_MAX + 16];
    switch (k) {
    case NUM_EMPTY:
        return cd_fail(err, CD_ERR_PARSE, _("%s:%zu: field %zu (%s) is empty"), file, line, col + 1,
                       role_name(r));
    case NUM_NOT_FINITE:
        return cd_fail(err, CD_ERR_INVALID, _("%s:%zu: field %zu (%s): %s is not finite"), file,
                       line, col + 1, role_name(r), quote(f, q, sizeof q));
    case NUM_RANGE:
        return cd_fail(err, CD_ERR_INVALID,
                       _("%s:%zu: field %zu (%s): %s is out of the range of a double"), file, line,
                       col + 1, role_name(r), quote(f, q, sizeof q));
    case NUM_TOO_LONG:
        return cd_fail(err, CD_ERR_INVALID,
                       _("%s:%zu: field %zu (%s): a number of %zu characters is too long (at most "
                       "%d): %s"),
                       file, line, col + 1, role_name(r), f.len, CSV_NUMBER_MAX - 1,
                       quote(f, q, sizeof q));
    default:
        return cd_fail(err, CD_ERR_PARSE, _("%s:%zu: field %zu (%s): %s is not a number%s"), file,
                       line, col + 1, role_name(r), quote(f, q, sizeof q),
                       sep == ';' && memchr(f.p, ',', f.len) != NULL
                           ? _(" (decimal comma? write a point)") : "");
    }
}

static int points_push(struct points *pts, double x, double y, double u, struct cd_err *err)
{
    if (pts->n == pts->cap) {
        size_t cap = pts->cap == 0 ? 64 : pts->cap * 2;
        double *nx = realloc(pts->x, cap * sizeof *nx);
        if (nx != NULL)
            pts->x = nx;
        double *ny = realloc(pts->y, cap * sizeof *ny);
        if (ny != NULL)
            pts->y = ny;
        double *nu = realloc(pts->u, cap * sizeof *nu);
        if (nu != NULL)
            pts->u = nu;
        if (nx == NULL || ny == NULL || nu == NULL)
            return cd_fail(err, CD_ERR_NOMEM, _("out of memory after %zu rows"), pts->n);
        pts->cap = cap;
    }
    pts->x[pts->n] = x;
    pts->y[pts->n] = y;
    pts->u[pts->n] = u;
    pts->n++;
    return 0;
}

static int parse_row(const struct layout *lo, struct span line, size_t lineno, const char *file,
                     struct points *pts, struct cd_err *err)
{
    size_t n = count_fields(line, lo->sep);
    if (n != lo->n_fields)
        return cd_fail(err, CD_ERR_PARSE, _("%s:%zu: %zu field%s, expected %zu as in the %s on line %zu "
                       "(separator %s)"), file, lineno, n, n == 1 ? "" : "s", lo->n_fields,
                       lo->header ? _("header") : _("first row"), lo->defined_on,
                       separator_name(lo->sep));
    double v[4] = {0, 0, 0, NAN};
    struct span rest = line;
    for (size_t col = 0; col < n; col++) {
        struct span f = take_field(&rest, lo->sep);
        enum csv_role r = role_of_column(lo, col);
        if (r == ROLE_NONE)
            continue;
        enum num_kind k = parse_number(f, &v[r]);
        if (k != NUM_OK)
            return number_error(k, f, lo->sep, file, lineno, col, r, err);
        /* Checked here, where the line is known, not later by point index. */
        if (r == ROLE_U && !(v[r] > 0))
            return cd_fail(err, CD_ERR_INVALID, _("%s:%zu: field %zu (u_y): u_y = %g must be "
                           "positive"), file, lineno, col + 1, v[r]);
    }
    return points_push(pts, v[ROLE_X], v[ROLE_Y], v[ROLE_U], err);
}

static int no_data_error(const struct layout *lo, bool have_layout, size_t last_line,
                         const char *file, struct cd_err *err)
{
    size_t line = last_line > 0 ? last_line : 1;
    if (!have_layout && last_line == 0)
        return cd_fail(err, CD_ERR_PARSE, _("%s:%zu: empty file, no data rows"), file, line);
    if (!have_layout)
        return cd_fail(err, CD_ERR_PARSE, _("%s:%zu: no data rows, only comments and blank lines"),
                       file, line);
    return cd_fail(err, CD_ERR_PARSE, _("%s:%zu: no data rows after the header on line %zu"), file,
                   line, lo->defined_on);
}

static void points_free(struct points *pts)
{
    free(pts->x);
    free(pts->y);
    free(pts->u);
    memset(pts, 0, sizeof *pts);
}

static int parse_lines(struct cursor *c, const char *file, struct points *pts, bool *has_u,
                       struct cd_err *err)
{
    struct layout lo = {0};
    bool have_layout = false;
    struct span line;
    while (next_line(c, &line)) {
        if (is_skipped(line))
            continue;
        if (!have_layout) {
            int rc = layout_init(&lo, line, c->line, file, err);
            if (rc != 0)
                return rc;
            have_layout = true;
            if (lo.header)
                continue;
        }
        int rc = parse_row(&lo, line, c->line, file, pts, err);
        if (rc != 0)
            return rc;
    }
    if (pts->n == 0)
        return no_data_error(&lo, have_layout, c->line, file, err);
    *has_u = lo.has[ROLE_U];
    return 0;
}

int csv_parse_xy(const char *text, size_t len, const char *name, struct csv_xy *out,
                 struct cd_err *err)
{
    if (out == NULL)
        return cd_fail(err, CD_ERR_INVALID, _("csv: no place for the result"));
    memset(out, 0, sizeof *out);
    if (text == NULL && len > 0)
        return cd_fail(err, CD_ERR_INVALID, _("csv: no text given"));
    const char *file = name != NULL ? name : "csv";
    struct cursor c = {text, len, 0, 0};
    static const char bom[] = "\xEF\xBB\xBF";
    if (len >= 3 && memcmp(text, bom, 3) == 0)
        c.pos = 3;

    struct points pts = {0};
    bool has_u = false;
    int rc = parse_lines(&c, file, &pts, &has_u, err);
    if (rc != 0) {
        points_free(&pts);
        return rc;
    }
    out->n = pts.n;
    out->x = pts.x;
    out->y = pts.y;
    if (has_u)
        out->u_y = pts.u;
    else
        free(pts.u);
    return 0;
}

/* Read all of `f` into a heap buffer (owned by the caller). */
static int slurp(FILE *f, const char *name, char **text, size_t *len, struct cd_err *err)
{
    size_t cap = 0;
    size_t n = 0;
    char *buf = NULL;
    for (;;) {
        if (n == cap) {
            size_t ncap = cap == 0 ? 65536 : cap * 2;
            char *nbuf = realloc(buf, ncap);
            if (nbuf == NULL) {
                free(buf);
                return cd_fail(err, CD_ERR_NOMEM, _("%s: out of memory after %zu bytes"), name, n);
            }
            buf = nbuf;
            cap = ncap;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got > 0)
            continue;
        if (ferror(f)) {
            int e = errno;
            free(buf);
            return cd_fail(err, CD_ERR_IO, _("read %s: %s"), name, strerror(e));
        }
        break;
    }
    *text = buf;
    *len = n;
    return 0;
}

int csv_read_xy(const char *path, struct csv_xy *out, struct cd_err *err)
{
    if (out == NULL || path == NULL)
        return cd_fail(err, CD_ERR_INVALID, _("csv: no file or no place for the result"));
    memset(out, 0, sizeof *out);
    bool from_stdin = strcmp(path, "-") == 0;
    const char *name = from_stdin ? "stdin" : path;
    FILE *f = from_stdin ? stdin : fopen(path, "rb");
    if (f == NULL) {
        int e = errno;
        return cd_fail(err, e == ENOENT ? CD_ERR_NOT_FOUND : CD_ERR_IO, _("cannot open %s: %s"),
                       path, strerror(e));
    }
    char *text = NULL;
    size_t len = 0;
    int rc = slurp(f, name, &text, &len, err);
    if (!from_stdin)
        fclose(f);
    if (rc != 0)
        return rc;
    rc = csv_parse_xy(text, len, name, out, err);
    free(text);
    return rc;
}

void csv_xy_free(struct csv_xy *t)
{
    if (t == NULL)
        return;
    free(t->x);
    free(t->y);
    free(t->u_y);
    memset(t, 0, sizeof *t);
}
