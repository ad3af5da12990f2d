/* Serial ports before they are opened: is the path one, and is another
 * program using it. Private to drivers/ (transport_serial.c, modbus.c,
 * transport.c).
 *
 * Two programs on one port each take the other's replies, so a port is
 * locked while caldaq has it open, the way serial tools have done it for
 * decades: a lock file /run/lock/LCK..NAME holding the PID (port_lock.c
 * says where each rule comes from). A lock whose process is gone, or whose
 * PID now belongs to a process that does not have the port open, is stale
 * and is taken over, so a crash never leaves a port locked.
 *
 * Within one process a port may be opened again while it is open (a
 * Modbus gauge and a thermo-hygrometer on one RS-485 bus, read in turn):
 * the second opener shares the lock and only the first removes it. */
#ifndef CALDAQ_PORT_LOCK_H
#define CALDAQ_PORT_LOCK_H

#include "drv.h"

struct drv_port_lock;

/* Whether `device` (the resolved path of `port`, as the user wrote it) is
 * a terminal device: CD_ERR_NOT_FOUND when it does not exist, CD_ERR_IO (as
 * opening it as a port would give) when it is a file, a folder or a device
 * of another kind (/dev/null), each with a message that says which. A
 * device whose kind cannot be told (no /sys) passes. */
int drv_port_check(const char *port, const char *device, struct cd_err *err);

/* Take the lock of `device`. *out is set to a lock to release (possibly one
 * without a file: when the lock folder cannot be written to, an existing
 * lock is still respected). CD_ERR_IO with the holder named ("PORT is in use
 * by caldaq session (pid 1234)") when another live process holds it. */
int drv_port_lock(const char *port, const char *device, struct drv_port_lock **out,
                  struct cd_err *err);
/* Removes the lock file if this lock made it. NULL does nothing. */
void drv_port_unlock(struct drv_port_lock *l);

/* For an open() that failed with EBUSY (another program put the port in
 * exclusive mode): the message, naming the holder when a lock file does. */
int drv_port_busy(const char *port, const char *device, struct cd_err *err);

/* The transport releases `l` after its backend has closed the port. */
void drv_transport_hold_lock(drv_transport *t, struct drv_port_lock *l);

#endif
