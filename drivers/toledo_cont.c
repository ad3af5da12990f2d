/* The "toledo-cont" driver: weighing indicators sending the Mettler Toledo
 * standard continuous output (drivers/parsers/toledo_cont.c has the format
 * and its sources). Nothing is sent to the indicator: a reading is the
 * newest complete frame of the stream (drivers/stream.c). The frames carry
 * a motion bit, so the driver has a stability flag. The stream says nothing
 * of the indicator's identity: identify() gives the options manufacturer=
 * (default "Mettler Toledo"), model= and serial=; unit= is used for frames
 * whose SWC says "no units".
 *
 * Default serial settings 9600 7E1 (**M**: Toledo terminals leave the
 * factory at 9600 baud, 7 data bits, even parity as remembered; the sources
 * used for the format do not give the default); give --serial otherwise. */
#include "drv_priv.h"

static int start(drv_dev *d, struct cd_err *err)
{
    (void)err;
    drv_indicator_start(d, "Mettler Toledo", "");
    return 0;
}

static int read_weight(drv_dev *d, struct drv_reading *out, struct cd_err *err)
{
    return drv_indicator_read(d, &drv_parser_toledo_cont, "Toledo", out, err);
}

const struct drv_ops drv_toledo_cont = {
    .name = "toledo-cont",
    .summary = "weighing indicators, Mettler Toledo continuous output",
    .default_serial = "9600,7E1",
    .stability_flag = true,
    .state_size = sizeof(struct drv_indicator),
    .option = drv_indicator_option,
    .start = start,
    .identify = drv_indicator_identify,
    .read = read_weight,
};
