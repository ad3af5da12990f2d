/* Private to drivers/: the pieces of SCPI replies the "scpi" driver needs
 * besides readings (drv_parser_scpi). Pure, no I/O. */
#ifndef CALDAQ_PARSERS_SCPI_H
#define CALDAQ_PARSERS_SCPI_H

#include <stddef.h>

/* An error-queue entry as SYST:ERR? answers it, `<code>,"<text>"` with
 * its line end or without: `-113,"Undefined header"`, `+0,"No error"`.
 * Returns 1 and sets *code and text (the whole entry as sent, trimmed, at
 * most cap-1 bytes) when the line has that form, else 0. */
int scpi_error_entry(const char *line, size_t len, int *code, char *text, size_t cap);

#endif
