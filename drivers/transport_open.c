/* Opening a port by the name a technician gives (drv.h): "tcp:HOST:PORT"
 * goes to the socket transport (transport_fd.c), anything else to the
 * serial transport (transport_serial.c, which itself hands a pty to the
 * descriptor transport). Kept apart so that the calls point one way:
 * transport_open -> transport_serial -> transport_fd -> transport. */
#include "drv.h"
#include "cd_i18n.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "tcp:HOST:PORT" or a serial device path. */
int drv_transport_open(const char *port, const char *serial, drv_transport **out,
                       struct cd_err *err)
{
    *out = NULL;
    if (strncmp(port, "tcp:", 4) == 0) {
        const char *hostport = port + 4;
        const char *colon = strrchr(hostport, ':');
        char *end = NULL;
        long p = colon != NULL ? strtol(colon + 1, &end, 10) : 0;
        if (colon == NULL || colon == hostport || end == colon + 1 || *end != '\0' || p <= 0 ||
            p > 65535)
            return cd_fail(err, CD_ERR_INVALID, _("%s: write a TCP port as tcp:HOST:PORT"), port);
        char host[256];
        snprintf(host, sizeof host, "%.*s", (int)(colon - hostport), hostport);
        return drv_transport_open_tcp(host, (int)p, 5000, out, err);
    }
    struct drv_serial_settings s;
    int rc = drv_serial_settings_parse(serial != NULL ? serial : "9600,8N1", &s, err);
    if (rc != 0)
        return rc;
    return drv_transport_open_serial(port, &s, out, err);
}
