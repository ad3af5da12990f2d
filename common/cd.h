/* caldaq common base: the one error type every module reports through.
 *
 * Conventions (see docs/ARCHITECTURE.md):
 *   - functions that can fail return 0 or a negative enum cd_code;
 *   - they take a last `struct cd_err *err` (NULL allowed) that receives a
 *     message the caller can show; the first failure is kept, so a cleanup
 *     error never hides the cause;
 *   - library code never prints, exits or aborts.
 */
#ifndef CALDAQ_CD_H
#define CALDAQ_CD_H

#include <stddef.h>

enum cd_code {
    CD_OK = 0,
    CD_ERR_NOMEM = -1,       /* out of memory */
    CD_ERR_INVALID = -2,     /* invalid argument or value */
    CD_ERR_PARSE = -3,       /* malformed input text (file, line) */
    CD_ERR_IO = -4,          /* reading or writing failed */
    CD_ERR_NUMERIC = -5,     /* a computation failed (singular, non-finite) */
    CD_ERR_UNSUPPORTED = -6, /* valid, but not something caldaq does */
    CD_ERR_NOT_FOUND = -7,   /* a named thing does not exist */
    CD_ERR_TIMEOUT = -8,     /* the other side did not answer in time */
    CD_ERR_DISCONNECTED = -9,/* the other side went away */
    CD_ERR_PROTOCOL = -10,   /* bytes that break the protocol (garbage, divergence) */
    CD_ERR_DEVICE = -11,     /* the instrument reported an error */
    CD_ERR_UNSTABLE = -12,   /* the instrument answered but its reading never settled */
    CD_ERR_CANCELLED = -13,  /* the operator stopped it (a key, not a signal) */
};

#define CD_ERR_MSG_MAX 512

struct cd_err {
    int code;                /* 0 until the first failure */
    char msg[CD_ERR_MSG_MAX];/* no trailing newline */
};

/* Record a failure (unless one is already recorded) and return `code`. */
int cd_fail(struct cd_err *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Forget any recorded failure. */
void cd_err_clear(struct cd_err *err);

/* A short text for a code, e.g. "invalid value". */
const char *cd_strerror(int code);

/* The message, or the code's text when no message was recorded. */
const char *cd_err_text(const struct cd_err *err);

/* ---- time zones and dates (cd_zone.c, cd_date.c) ----
 * The lab's dates (a standard's due date, a certificate's dates) are
 * decided in the lab's time zone, read from the tz database
 * (/usr/share/zoneinfo, TZif files) or given as a POSIX TZ rule, without
 * touching TZ or calling tzset(): nothing here changes process state. */

/* The zone of a lab that names none (LAB.yaml's time_zone). Known without
 * the tz database too (UTC+7 since 1975). */
#define CD_ZONE_DEFAULT "Asia/Ho_Chi_Minh"

struct cd_zone;

/* A zone by name: "Asia/Ho_Chi_Minh" (a file under /usr/share/zoneinfo;
 * no "." or ".." parts), an absolute path to a TZif file, or a POSIX TZ
 * rule ("<+07>-7", "CET-1CEST,M3.5.0,M10.5.0/3"); NULL: CD_ZONE_DEFAULT.
 * CD_ERR_INVALID saying why a name is not a zone (no such zone, not a
 * TZif file, a rule that does not parse). */
int cd_zone_load(const char *name, struct cd_zone **out, struct cd_err *err);
void cd_zone_free(struct cd_zone *z);
const char *cd_zone_name(const struct cd_zone *z);
/* Seconds east of UTC in zone z at UTC second t. */
long cd_zone_utoff(const struct cd_zone *z, long long t);
/* The date YYYY-MM-DD in zone z at UTC second t. */
void cd_zone_date(const struct cd_zone *z, long long t, char out[11]);
/* Today's date in zone z (NULL: CD_ZONE_DEFAULT); 0, or -1 when the clock
 * or the zone says nothing. */
int cd_zone_today(const struct cd_zone *z, char out[11]);
/* Whether the value of the TZ environment variable is a zone glibc will
 * read as meant ("", ":" and a readable zone or rule), relative names
 * under `tzdir` (the TZDIR variable; NULL: /usr/share/zoneinfo). glibc
 * takes UTC for anything else without a word. 0, or CD_ERR_INVALID
 * beginning "TZ=VALUE: ". */
int cd_tz_check(const char *tz, const char *tzdir, struct cd_err *err);

/* Days since 1970-01-01 of a (proleptic Gregorian) calendar date. */
long long cd_days_from_civil(long long y, unsigned m, unsigned d);
/* An ISO 8601 time stamp with its offset (2026-11-22T09:30:00+07:00, Z,
 * +0700, fractions of a second) as UTC seconds; -1 when it is not one, or
 * has no offset. */
int cd_iso8601_epoch(const char *s, long long *t);

/* Today's date in the default lab zone (CD_ZONE_DEFAULT), whatever the
 * process's TZ: for callers that know no lab. 0, or -1 when the clock says
 * nothing. */
int cd_today(char out[11]);

/* ---- decimal separator (cd_numfmt.c, docs/i18n.md) ----
 * Vietnamese writes 21,5 where English writes 21.5 (TCVN 7870-1, like ISO
 * 80000-1, allows both; Vietnamese certificates use the comma). The choice
 * is made where a text is shown to a person — the screen in Vietnamese, a
 * Vietnamese certificate — never in data: JSON, CSV, HDF5 attributes and
 * traces keep the point, and LC_NUMERIC is never changed (printf and strtod
 * keep the point in the whole program). */
enum cd_decsep {
    CD_DECSEP_POINT,
    CD_DECSEP_COMMA,
};

/* "comma" or "point" (a lab file's decimal_separator); CD_ERR_INVALID
 * naming the value otherwise. */
int cd_decsep_parse(const char *text, enum cd_decsep *out, struct cd_err *err);
/* The separator a text in language `lang` uses unless the lab says
 * otherwise: the comma for Vietnamese ("vi", "vi_VN..."), else the point. */
enum cd_decsep cd_decsep_default(const char *lang);
/* `value` with `decimals` places (printf "%.*f") and separator `sep` into
 * buf (always terminated); the length printf would give. */
int cd_format_decimal(char *buf, size_t size, double value, int decimals, enum cd_decsep sep);
/* Rewrite in place, in a text already printed with the point, each point
 * that stands between two digits as `sep` ("21.5 °C" -> "21,5 °C"); a point
 * with no digit on either side (a sentence's full stop, "run.h5") stays.
 * For texts of numbers and units only: a version such as 1.2.3 would
 * change too. Returns s. */
char *cd_decimal_sep(char *s, enum cd_decsep sep);

#endif
