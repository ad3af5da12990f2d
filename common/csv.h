/* A small reader of numeric CSV files: the (x, y[, u_y]) points that
 * `caldaq fit` takes.
 *
 * Format: fields separated by ',' (or ';' or a tab, when the first content
 * line uses that instead); lines starting with '#' and blank lines are
 * skipped; CRLF and a UTF-8 BOM are accepted; a last line without a newline
 * is accepted. An optional first row of names (every field non-numeric) is
 * a header: columns named x, y and u (or u_y) are picked by name, case
 * insensitive; otherwise the first columns are x, y and, when there are three,
 * u_y. Every row must have as many fields as the header (or the first row).
 *
 * Errors name FILE:LINE and what is wrong:
 *   CD_ERR_NOT_FOUND  the file does not exist
 *   CD_ERR_IO         it cannot be opened or read
 *   CD_ERR_PARSE      a non-numeric or empty field, a wrong number of fields,
 *                     an unusable header, an empty file or no data rows
 *   CD_ERR_INVALID    a number that is not finite (nan, inf), out of the
 *                     range of a double (1e999), or u_y <= 0
 *   CD_ERR_NOMEM      out of memory
 */
#ifndef CALDAQ_CSV_H
#define CALDAQ_CSV_H

#include <stddef.h>

#include "cd.h"

struct csv_xy {
    size_t n;               /* data rows, >= 1 after a successful read */
    double *x;              /* owned; csv_xy_free releases */
    double *y;              /* owned */
    double *u_y;            /* owned; NULL when the file has no u_y column */
};

/* Read `path` ("-" for standard input, named "stdin" in messages) into
 * `out`, which the caller releases with csv_xy_free. On failure `out` is
 * left empty (nothing to free) and the error is returned. */
int csv_read_xy(const char *path, struct csv_xy *out, struct cd_err *err);

/* Parse `len` bytes of `text` (NUL bytes are data, not terminators);
 * `name` stands for the file in messages. */
int csv_parse_xy(const char *text, size_t len, const char *name, struct csv_xy *out,
                 struct cd_err *err);

/* Release the arrays and empty `t`; NULL does nothing. */
void csv_xy_free(struct csv_xy *t);

#endif
