/* Serial port discovery: every serial port libserialport sees, with its USB
 * identity and the stable names udev made for it (/dev/serial/by-id,
 * /dev/serial/by-path, /dev/caldaq; see udev/README).
 *
 * The public part is in drv.h; this private header holds the test seams.
 */
#ifndef CALDAQ_DRV_PORTS_H
#define CALDAQ_DRV_PORTS_H

#include <stdbool.h>
#include <stddef.h>

#include "drv.h"

/* ---------------------------------------------- test seams (stay here) */

/* drv_ports_list with the symlink folders looked for under `dev_root`
 * instead of "/dev" ("<dev_root>/serial/by-id", ".../serial/by-path",
 * "<dev_root>/caldaq"). */
int drv_ports_list_in(const char *dev_root, struct drv_port_info **out, size_t *n,
                      struct cd_err *err);

/* Fill by_id, by_path and caldaq_link of p[0..n-1] (whose `path` is set)
 * from the symlinks under `dev_root`. A missing folder is not an error; an
 * unreadable one is. Links whose target does not exist are skipped. */
int drv_ports_find_links(const char *dev_root, struct drv_port_info *p, size_t n,
                         struct cd_err *err);

#endif
