/* The "xk3190" driver: Yaohua XK3190 weighing indicators (A9, A12, A23P,
 * A26 ...) in a continuous output mode: the 02h frame of "tf=0", the WG
 * line, or the ww line (drivers/parsers/xk3190.c has the formats and their
 * sources). Nothing is sent: a reading is the newest complete frame of the
 * stream (drivers/stream.c). The frames carry no motion flag, so stability
 * is the window criterion (stable_n, stable_band, stable_s). The 02h frame
 * has no unit: option unit= (default kg). identify() gives the options
 * manufacturer= (default "Yaohua"), model= (default "XK3190") and serial=.
 *
 * Default serial settings 9600 8N1 (the A9's usual 9600 baud per the
 * "Serial Reader for Great Scale XK-3190-A9" project; 8N1 is **M**). */
#include "drv_priv.h"

#include <stdio.h>

static int start(drv_dev *d, struct cd_err *err)
{
    (void)err;
    struct drv_indicator *st = d->state;
    if (st->unit[0] == '\0')
        snprintf(st->unit, sizeof st->unit, "kg");
    drv_indicator_start(d, "Yaohua", "XK3190");
    return 0;
}

static int read_weight(drv_dev *d, struct drv_reading *out, struct cd_err *err)
{
    return drv_indicator_read(d, &drv_parser_xk3190, "XK3190", out, err);
}

const struct drv_ops drv_xk3190 = {
    .name = "xk3190",
    .summary = "Yaohua XK3190 weighing indicators, continuous output",
    .default_serial = "9600,8N1",
    .stability_flag = false,
    .state_size = sizeof(struct drv_indicator),
    .option = drv_indicator_option,
    .start = start,
    .identify = drv_indicator_identify,
    .read = read_weight,
};
