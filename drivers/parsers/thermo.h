/* Private to drivers/: pieces shared by the reference-thermometer parsers
 * (fluke-ttr, fluke-1529, millik; docs/temperature.md). Pure, no I/O. */
#ifndef CALDAQ_PARSERS_THERMO_H
#define CALDAQ_PARSERS_THERMO_H

#include <stddef.h>

#include "drv.h"

/* The unit as caldaq writes it for a Hart unit letter: 'C' -> "°C" (the
 * project's temperature unit, UTF-8), 'F' -> "°F", 'K' -> "K", 'O' -> "Ω"
 * (ohms). Either case. NULL for any other letter. */
const char *thermo_unit(char letter);

/* A Hart labelled reading in [b, e) (trimmed):
 *   LABEL ':' blanks NUMBER blank UNIT [blank hh:mm:ss [blank yyyy-mm-dd]]
 * LABEL is 1-8 letters or digits ("t", "r", a channel "1"..."4"), UNIT one
 * of C F K O. Fills label (NUL-terminated, cap >= 9), the number's text
 * [*nb, *ne) and *unit_letter. 0, or -1 when the text has another shape. */
int thermo_labelled(const char *b, const char *e, char *label, size_t cap, const char **nb,
                    const char **ne, char *unit_letter);

/* A valid reading from the number text [nb, ne) (SCPI numeric syntax,
 * scpi_number) in `unit` ("" when the reply does not say): value,
 * display as sent, resolution from its digits, status stable (none of
 * these readouts flags stability: drv_read_stable judges). 0 or -1. */
int thermo_reading(const char *nb, const char *ne, const char *unit, struct drv_reading *out);

/* An error reply of the kind "Error: Invalid range" (milliK) or "Err..."
 * (Hart readouts, **M**) in [b, e): status error, the text in out->error
 * and out->display. 1 when it is one, else 0. */
int thermo_error_text(const char *b, const char *e, struct drv_reading *out);

#endif
