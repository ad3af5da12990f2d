/* Serial ports before they are opened. Private to drivers/
 * (transport_serial.c, modbus.c). */
#ifndef CALDAQ_PORT_LOCK_H
#define CALDAQ_PORT_LOCK_H

#include "drv.h"

/* Whether `device` (the resolved path of `port`, as the user wrote it) is
 * a terminal device: CD_ERR_NOT_FOUND when it does not exist, CD_ERR_IO (as
 * opening it as a port would give) when it is a file, a folder or a device
 * of another kind (/dev/null), each with a message that says which. A
 * device whose kind cannot be told (no /sys) passes. */
int drv_port_check(const char *port, const char *device, struct cd_err *err);

#endif
