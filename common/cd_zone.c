/* Time zones read from the tz database (cd.h): the TZif files of
 * /usr/share/zoneinfo (RFC 8536) and POSIX TZ rules (the footer of a TZif
 * file, or a rule given as the zone). The lab's dates (standards due,
 * certificates) are decided in the lab's zone whatever the process's TZ,
 * and without setting TZ and calling tzset(): those change the whole
 * process (a library must not), and glibc silently takes UTC for a zone it
 * cannot read, which is how a mistyped zone moved due dates by 7 hours. */
#include "cd.h"
#include "cd_i18n.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ZONEINFO "/usr/share/zoneinfo"
/* The largest zone in the database is a few kB; a bound for hostile files. */
#define TZIF_MAX (256 * 1024)
#define TRANS_MAX 100000

/* One end of daylight saving time in a POSIX rule: Jn (1..365, no Feb 29),
 * n (0..365) or Mm.w.d, at `secs` local time. */
struct rule_date {
    char kind;              /* 'J', 'n', 'M' */
    int a, b, c;            /* n; or month, week, weekday */
    long secs;
};

struct posix_tz {
    long std_off, dst_off;  /* seconds east of UTC */
    bool has_dst;
    struct rule_date start, end;
};

struct cd_zone {
    char name[256];
    size_t n_trans;
    long long *trans;       /* UTC seconds, ascending */
    unsigned char *idx;     /* the type from trans[i] on */
    size_t n_types;
    long utoff[256];
    bool has_rule;          /* after the last transition (or always) */
    struct posix_tz rule;
};

/* ------------------------------------------------------------ calendar */

static long long floor_div(long long a, long long b)
{
    long long q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
 * days_from_civil). */
long long cd_days_from_civil(long long y, unsigned m, unsigned d)
{
    y -= m <= 2;
    long long era = floor_div(y, 400);
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (long long)doe - 719468;
}

static void civil_from_days(long long z, long long *y, unsigned *m, unsigned *d)
{
    z += 719468;
    long long era = floor_div(z, 146097);
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (long long)yoe + era * 400 + (*m <= 2);
}

static bool leap(long long y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* ------------------------------------------------------------ POSIX rules */

static bool is_alpha(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* An unsigned number of 1 to `max_digits` digits. */
static bool number(const char **pp, int max_digits, long *out)
{
    const char *p = *pp;
    long v = 0;
    int n = 0;
    while (is_digit(*p) && n < max_digits) {
        v = v * 10 + (*p++ - '0');
        n++;
    }
    if (n == 0 || is_digit(*p))
        return false;
    *pp = p;
    *out = v;
    return true;
}

/* std or dst: three or more letters, or <...> of letters, digits, + and -. */
static bool zone_abbr(const char **pp)
{
    const char *p = *pp, *s;
    if (*p == '<') {
        s = ++p;
        while (is_alpha(*p) || is_digit(*p) || *p == '+' || *p == '-')
            p++;
        if (*p != '>' || p - s < 3)
            return false;
        *pp = p + 1;
        return true;
    }
    s = p;
    while (is_alpha(*p))
        p++;
    if (p - s < 3)
        return false;
    *pp = p;
    return true;
}

/* [+-]hh[:mm[:ss]] with hh up to max_h: seconds. */
static bool hms(const char **pp, long max_h, long *out)
{
    const char *p = *pp;
    long sign = 1, h, m = 0, s = 0;
    if (*p == '+' || *p == '-')
        sign = *p++ == '-' ? -1 : 1;
    if (!number(&p, 3, &h) || h > max_h)
        return false;
    if (*p == ':') {
        p++;
        if (!number(&p, 2, &m) || m > 59)
            return false;
        if (*p == ':') {
            p++;
            if (!number(&p, 2, &s) || s > 59)
                return false;
        }
    }
    *pp = p;
    *out = sign * (h * 3600 + m * 60 + s);
    return true;
}

static bool rule_date(const char **pp, struct rule_date *r)
{
    const char *p = *pp;
    long a, b, c;
    if (*p == 'J') {
        p++;
        if (!number(&p, 3, &a) || a < 1 || a > 365)
            return false;
        *r = (struct rule_date){.kind = 'J', .a = (int)a};
    } else if (*p == 'M') {
        p++;
        if (!number(&p, 2, &a) || a < 1 || a > 12 || *p++ != '.' || !number(&p, 1, &b) ||
            b < 1 || b > 5 || *p++ != '.' || !number(&p, 1, &c) || c > 6)
            return false;
        *r = (struct rule_date){.kind = 'M', .a = (int)a, .b = (int)b, .c = (int)c};
    } else {
        if (!number(&p, 3, &a) || a > 365)
            return false;
        *r = (struct rule_date){.kind = 'n', .a = (int)a};
    }
    r->secs = 7200;
    /* RFC 8536 3.3.1: the time may be negative and up to 167 hours */
    if (*p == '/') {
        p++;
        if (!hms(&p, 167, &r->secs))
            return false;
    }
    *pp = p;
    return true;
}

/* A POSIX TZ rule (POSIX.1-2017 8.3, with RFC 8536's extensions). */
static bool posix_parse(const char *s, struct posix_tz *r)
{
    const char *p = s;
    long off;
    memset(r, 0, sizeof *r);
    if (!zone_abbr(&p) || !hms(&p, 24, &off))
        return false;
    r->std_off = -off; /* POSIX counts west of Greenwich */
    if (*p == '\0')
        return true;
    if (!zone_abbr(&p))
        return false;
    r->has_dst = true;
    r->dst_off = r->std_off + 3600;
    if (*p != '\0' && *p != ',') {
        if (!hms(&p, 24, &off))
            return false;
        r->dst_off = -off;
    }
    if (*p == '\0') {
        /* no rule: glibc's default, the US rule */
        r->start = (struct rule_date){.kind = 'M', .a = 3, .b = 2, .c = 0, .secs = 7200};
        r->end = (struct rule_date){.kind = 'M', .a = 11, .b = 1, .c = 0, .secs = 7200};
        return true;
    }
    if (*p++ != ',' || !rule_date(&p, &r->start) || *p++ != ',' || !rule_date(&p, &r->end))
        return false;
    return *p == '\0';
}

/* The day (since the epoch) a rule date falls on in year y. */
static long long rule_day(const struct rule_date *r, long long y)
{
    long long jan1 = cd_days_from_civil(y, 1, 1);
    if (r->kind == 'J')
        return jan1 + r->a - 1 + (leap(y) && r->a >= 60);
    if (r->kind == 'n')
        return jan1 + r->a;
    long long first = cd_days_from_civil(y, (unsigned)r->a, 1);
    long long next = r->a == 12 ? cd_days_from_civil(y + 1, 1, 1)
                                : cd_days_from_civil(y, (unsigned)r->a + 1, 1);
    long long wd = ((first + 4) % 7 + 7) % 7; /* 1970-01-01 was a Thursday */
    long long day = first + (r->c - wd + 7) % 7 + 7LL * (r->b - 1);
    while (day >= next)
        day -= 7;
    return day;
}

static long posix_utoff(const struct posix_tz *r, long long t)
{
    if (!r->has_dst)
        return r->std_off;
    long long y;
    unsigned m, d;
    civil_from_days(floor_div(t + r->std_off, 86400), &y, &m, &d);
    /* the start is given in standard time, the end in daylight time */
    long long start = rule_day(&r->start, y) * 86400 + r->start.secs - r->std_off;
    long long end = rule_day(&r->end, y) * 86400 + r->end.secs - r->dst_off;
    bool dst = start <= end ? (t >= start && t < end) : !(t >= end && t < start);
    return dst ? r->dst_off : r->std_off;
}

/* ------------------------------------------------------------ TZif */

static unsigned long be32(const unsigned char *p)
{
    return (unsigned long)p[0] << 24 | (unsigned long)p[1] << 16 | (unsigned long)p[2] << 8 |
           p[3];
}

static long long be64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return (long long)v;
}

struct tzif_header {
    int version;
    unsigned long isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt;
};

static const char *header(const unsigned char *p, size_t len, struct tzif_header *h)
{
    if (len < 44 || memcmp(p, "TZif", 4) != 0)
        return _("no TZif header");
    h->version = p[4] == 0 ? 1 : p[4] - '0';
    if (h->version < 1 || h->version > 9)
        return _("an unknown TZif version");
    h->isutcnt = be32(p + 20);
    h->isstdcnt = be32(p + 24);
    h->leapcnt = be32(p + 28);
    h->timecnt = be32(p + 32);
    h->typecnt = be32(p + 36);
    h->charcnt = be32(p + 40);
    if (h->typecnt == 0 || h->typecnt > 256 || h->timecnt > TRANS_MAX || h->charcnt > 65536 ||
        h->leapcnt > 65536 || (h->isutcnt != 0 && h->isutcnt != h->typecnt) ||
        (h->isstdcnt != 0 && h->isstdcnt != h->typecnt))
        return _("counts out of range");
    return NULL;
}

static size_t block_size(const struct tzif_header *h, size_t tsize)
{
    return h->timecnt * tsize + h->timecnt + h->typecnt * 6 + h->charcnt +
           h->leapcnt * (tsize + 4) + h->isstdcnt + h->isutcnt;
}

/* The zone from a TZif file's bytes: the 64-bit block and the footer rule
 * when the version has them, the 32-bit block otherwise. NULL, or what is
 * wrong. */
static const char *tzif_parse(const unsigned char *buf, size_t len, struct cd_zone *z)
{
    struct tzif_header h;
    const char *why = header(buf, len, &h);
    if (why != NULL)
        return why;
    size_t tsize = 4, off = 44;
    if (block_size(&h, 4) > len - 44)
        return _("the file is cut short");
    if (h.version >= 2) {
        off = 44 + block_size(&h, 4);
        if ((why = header(buf + off, len - off, &h)) != NULL)
            return why;
        off += 44;
        tsize = 8;
        if (block_size(&h, 8) > len - off)
            return _("the file is cut short");
    }
    const unsigned char *p = buf + off;
    z->n_trans = h.timecnt;
    z->trans = calloc(h.timecnt + 1, sizeof *z->trans);
    z->idx = calloc(h.timecnt + 1, 1);
    if (z->trans == NULL || z->idx == NULL)
        return _("out of memory");
    for (size_t i = 0; i < h.timecnt; i++, p += tsize) {
        z->trans[i] = tsize == 8 ? be64(p) : (long long)(int32_t)be32(p);
        if (i > 0 && z->trans[i] <= z->trans[i - 1])
            return _("transitions out of order");
    }
    for (size_t i = 0; i < h.timecnt; i++, p++) {
        if (*p >= h.typecnt)
            return _("a transition to a type that does not exist");
        z->idx[i] = *p;
    }
    z->n_types = h.typecnt;
    for (size_t i = 0; i < h.typecnt; i++, p += 6) {
        long u = (long)(int32_t)be32(p);
        /* RFC 8536: utoff in [-89999, 93599]; -2^31 is invalid */
        if (u < -89999 || u > 93599 || p[4] > 1 || p[5] >= h.charcnt + (h.charcnt == 0))
            return _("a time type out of range");
        z->utoff[i] = u;
    }
    if (h.version >= 2) {
        const unsigned char *foot = buf + off + block_size(&h, 8), *end = buf + len;
        if (foot >= end || *foot != '\n')
            return _("no footer");
        const unsigned char *nl = memchr(foot + 1, '\n', (size_t)(end - foot - 1));
        if (nl == NULL || nl - foot - 1 >= 256)
            return _("the footer is not ended");
        char rule[256];
        memcpy(rule, foot + 1, (size_t)(nl - foot - 1));
        rule[nl - foot - 1] = '\0';
        if (rule[0] != '\0') {
            if (!posix_parse(rule, &z->rule))
                return _("the footer is not a POSIX TZ rule");
            z->has_rule = true;
        }
    }
    return NULL;
}

/* ------------------------------------------------------------ loading */

void cd_zone_free(struct cd_zone *z)
{
    if (z == NULL)
        return;
    free(z->trans);
    free(z->idx);
    free(z);
}

const char *cd_zone_name(const struct cd_zone *z)
{
    return z->name;
}

/* A name under the database: parts of letters, digits, '_', '-', '+' and
 * '.', none of them "." or "..", so a name cannot leave the folder. */
static bool safe_name(const char *n)
{
    if (*n == '\0' || *n == '/')
        return false;
    for (const char *part = n; *part;) {
        size_t len = strcspn(part, "/");
        if (len == 0 || (len == 1 && part[0] == '.') ||
            (len == 2 && part[0] == '.' && part[1] == '.'))
            return false;
        for (size_t i = 0; i < len; i++) {
            char c = part[i];
            if (!is_alpha(c) && !is_digit(c) && c != '_' && c != '-' && c != '+' && c != '.')
                return false;
        }
        part += len + (part[len] == '/');
    }
    return true;
}

/* Vietnam has kept UTC+7 since 1975: the default zone without tzdata. */
#define DEFAULT_RULE "<+07>-7"

/* `name` as glibc reads TZ: ":" then a file, or a file, else a POSIX
 * rule; relative files under `dir`. `fallback`: the default zone from
 * its rule when the database lacks it (the lab's setting; not for TZ,
 * where glibc would take UTC instead). */
static int zone_load(const char *name, const char *dir, bool fallback, struct cd_zone **out,
                     struct cd_err *err)
{
    *out = NULL;
    struct cd_zone *z = calloc(1, sizeof *z);
    if (z == NULL)
        return cd_fail(err, CD_ERR_NOMEM, _("out of memory"));
    const char *n = name[0] == ':' ? name + 1 : name;
    snprintf(z->name, sizeof z->name, "%s", n);
    if (strlen(n) >= 200) {
        cd_zone_free(z);
        return cd_fail(err, CD_ERR_INVALID, _("time zone '%.40s...': too long to be a zone"), n);
    }
    char path[512] = "";
    if (n[0] == '/')
        snprintf(path, sizeof path, "%s", n);
    else if (safe_name(n))
        snprintf(path, sizeof path, "%s/%s", dir, n);
    FILE *f = path[0] != '\0' ? fopen(path, "rb") : NULL;
    int open_errno = errno;
    if (f != NULL) {
        unsigned char *buf = malloc(TZIF_MAX + 1);
        size_t len = buf != NULL ? fread(buf, 1, TZIF_MAX + 1, f) : 0;
        int read_errno = ferror(f) ? errno : 0;
        fclose(f);
        const char *why = buf == NULL                ? _("out of memory")
                          : read_errno != 0          ? strerror(read_errno)
                          : len > TZIF_MAX           ? _("larger than any zone")
                                                     : tzif_parse(buf, len, z);
        free(buf);
        if (why != NULL) {
            int rc = cd_fail(err, CD_ERR_INVALID,
                             _("time zone '%s': %s is not a time zone file of the tz database "
                             "(%s)"),
                             n, path, why);
            cd_zone_free(z);
            return rc;
        }
        *out = z;
        return 0;
    }
    if (name[0] != ':' && posix_parse(n, &z->rule)) {
        z->has_rule = true;
        *out = z;
        return 0;
    }
    if (fallback && strcmp(n, CD_ZONE_DEFAULT) == 0 && posix_parse(DEFAULT_RULE, &z->rule)) {
        z->has_rule = true;
        *out = z;
        return 0;
    }
    int rc;
    if (path[0] != '\0' && open_errno != ENOENT && open_errno != ENOTDIR)
        rc = cd_fail(err, CD_ERR_INVALID, _("time zone '%s': %s: %s"), n, path,
                     strerror(open_errno));
    else
        rc = cd_fail(err, CD_ERR_INVALID,
                     _("time zone '%s': no such zone in %s, and not a POSIX TZ rule such as "
                     "<+07>-7 (zones are named like Asia/Ho_Chi_Minh, Europe/Berlin, UTC)"),
                     n, dir);
    cd_zone_free(z);
    return rc;
}

int cd_zone_load(const char *name, struct cd_zone **out, struct cd_err *err)
{
    if (name == NULL)
        name = CD_ZONE_DEFAULT;
    if (name[0] == '\0' || (name[0] == ':' && name[1] == '\0')) {
        *out = NULL;
        return cd_fail(err, CD_ERR_INVALID, _("the time zone is empty (the default is %s)"),
                       CD_ZONE_DEFAULT);
    }
    return zone_load(name, ZONEINFO, true, out, err);
}

int cd_tz_check(const char *tz, const char *tzdir, struct cd_err *err)
{
    /* POSIX: empty is UTC; ":" alone is the system's own choice */
    if (tz == NULL || tz[0] == '\0' || (tz[0] == ':' && tz[1] == '\0'))
        return 0;
    struct cd_zone *z = NULL;
    struct cd_err e = {0};
    int rc = zone_load(tz, tzdir != NULL && tzdir[0] != '\0' ? tzdir : ZONEINFO, false, &z, &e);
    cd_zone_free(z);
    return rc == 0 ? 0 : cd_fail(err, rc, _("TZ=%.200s: %s"), tz, e.msg);
}

/* ------------------------------------------------------------ dates */

long cd_zone_utoff(const struct cd_zone *z, long long t)
{
    size_t n = z->n_trans;
    if (n == 0 || t >= z->trans[n - 1]) {
        if (z->has_rule)
            return posix_utoff(&z->rule, t);
        if (n == 0)
            return z->utoff[0];
    }
    if (t < z->trans[0])
        return z->utoff[0]; /* RFC 8536: time type 0 before the first transition */
    size_t lo = 0, hi = n - 1; /* the last transition at or before t */
    while (lo < hi) {
        size_t mid = lo + (hi - lo + 1) / 2;
        if (z->trans[mid] <= t)
            lo = mid;
        else
            hi = mid - 1;
    }
    return z->utoff[z->idx[lo]];
}

void cd_zone_date(const struct cd_zone *z, long long t, char out[11])
{
    long long y;
    unsigned m, d;
    civil_from_days(floor_div(t + cd_zone_utoff(z, t), 86400), &y, &m, &d);
    char buf[64];
    snprintf(buf, sizeof buf, "%04lld-%02u-%02u", y, m, d);
    memcpy(out, buf, 10); /* years 0 to 9999: what YYYY-MM-DD can say */
    out[10] = '\0';
}

int cd_zone_today(const struct cd_zone *z, char out[11])
{
    time_t now = time(NULL);
    if (now == (time_t)-1)
        return -1;
    struct cd_zone *own = NULL;
    if (z == NULL && cd_zone_load(NULL, &own, NULL) != 0)
        return -1;
    cd_zone_date(z != NULL ? z : own, (long long)now, out);
    cd_zone_free(own);
    return 0;
}
