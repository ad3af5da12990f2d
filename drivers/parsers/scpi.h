/* Private to drivers/: the pieces of SCPI replies the "scpi" driver needs
 * besides readings (drv_parser_scpi). Pure, no I/O. */
#ifndef CALDAQ_PARSERS_SCPI_H
#define CALDAQ_PARSERS_SCPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cd.h"

/* An error-queue entry as SYST:ERR? answers it, `<code>,"<text>"` with
 * its line end or without: `-113,"Undefined header"`, `+0,"No error"`.
 * Returns 1 and sets *code and text (the whole entry as sent, trimmed, at
 * most cap-1 bytes) when the line has that form, else 0. */
int scpi_error_entry(const char *line, size_t len, int *code, char *text, size_t cap);

/* Shared by the SCPI-like text parsers (scpi, fluke-ttr, fluke-1529,
 * millik): one reply line as it came, checked and trimmed. The line must
 * end in LF, or in CR when `cr_ends` (instruments that end lines in CR
 * alone: the milliK, a Hart readout with LF=OFF); before that only
 * printable ASCII, tabs and one CR before the LF. Sets [*b, *e) to the
 * text without its end and surrounding blanks (never empty). 0, or
 * CD_ERR_PROTOCOL quoting the bytes, the message prefixed by `driver`. */
int scpi_text_line(const uint8_t *frame, size_t len, bool cr_ends, const char *driver,
                   const char **b, const char **e, struct cd_err *err);
/* SCPI numeric text (NR1/NR2/NR3) making up all of [b, e), converted.
 * 0, or -1 when it is not such a number, does not fit a double, or is
 * one no instrument sends (beyond 1E+38 in size, non-zero below 1E-40). */
int scpi_number(const char *b, const char *e, double *out);

#endif
