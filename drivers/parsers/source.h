/* Private to drivers/: the replies of the sources caldaq sets and waits on
 * (issue 19, docs/sources.md). Pure, no I/O. */
#ifndef CALDAQ_PARSERS_SOURCE_H
#define CALDAQ_PARSERS_SOURCE_H

#include <stddef.h>

/* A Druck PACE reply line: an optional echoed header (":SENS:PRES:INL")
 * then one or two numbers separated by a comma, ending in LF (CR LF
 * allowed): ":SENS:PRES:INL 10.00012, 1". The header (upper case, "" when
 * none) into `header`, the numbers into v[0..*n). 0, or -1 when the line is
 * not of that form (no line end, bytes that are not text, not numbers,
 * more than two of them). */
int pace_reply(const char *line, size_t len, char *header, size_t hcap, double v[2], size_t *n);

/* A Hart/Fluke bath reply line "<key>: <number> <unit>" (`t: 55.60 C`,
 * `set: 150.00 C`), ending in LF (CR LF allowed): key (lower case) into
 * `key`, the number as written into `text`, its value into *v, the unit
 * letter ('C' or 'F') into *unit. 0, or -1 when it is not of that form. */
int bath_reply(const char *line, size_t len, char *key, size_t kcap, char *text, size_t tcap,
               double *v, char *unit);

#endif
