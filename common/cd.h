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

/* Today's local date as YYYY-MM-DD into out[11]; 0, or -1 when the clock
 * says nothing. */
int cd_today(char out[11]);

#endif
