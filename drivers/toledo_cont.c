/* The "toledo-cont" driver: weighing indicators sending the Mettler Toledo
 * standard continuous output (drivers/parsers/toledo_cont.c has the format
 * and its sources). Nothing is sent to the indicator: a reading is the
 * newest complete frame of the stream (drivers/stream.c). The frames carry
 * a motion bit, so the driver has a stability flag. The stream says nothing
 * of the indicator's identity: identify() gives the options manufacturer=
 * (default "Mettler Toledo"), model= and serial=.
 *
 * Default serial settings 9600 7E1 (**M**: Toledo terminals leave the
 * factory at 9600 baud, 7 data bits, even parity as remembered; the sources
 * used for the format do not give the default); give --serial otherwise. */
#include "drv_priv.h"
#include "parsers/indicators.h"

#include <stdio.h>
#include <string.h>

#define NAME "Toledo"

struct tc_state {
    struct drv_identity id;
    struct drv_stream stream;
};

static int option(drv_dev *d, const char *key, const char *value, struct cd_err *err)
{
    struct tc_state *st = d->state;
    return drv_identity_option(&st->id, key, value, err);
}

static int start(drv_dev *d, struct cd_err *err)
{
    (void)err;
    struct tc_state *st = d->state;
    if (st->id.manufacturer[0] == '\0')
        snprintf(st->id.manufacturer, sizeof st->id.manufacturer, "Mettler Toledo");
    drv_transport_record_split(d->t, IND_STX);   /* one trace record per frame */
    drv_transport_discard(d->t);                 /* output from before we opened */
    st->stream.len = 0;
    st->stream.gone = (struct cd_err){0};
    return 0;
}

static int identify(drv_dev *d, struct drv_identity *out, struct cd_err *err)
{
    (void)err;
    const struct tc_state *st = d->state;
    *out = st->id;
    return 0;
}

static int read_weight(drv_dev *d, struct drv_reading *out, struct cd_err *err)
{
    struct tc_state *st = d->state;
    return drv_stream_read(d, &st->stream, &drv_parser_toledo_cont, NAME, out, err);
}

const struct drv_ops drv_toledo_cont = {
    .name = "toledo-cont",
    .summary = "weighing indicators, Mettler Toledo continuous output",
    .default_serial = "9600,7E1",
    .stability_flag = true,
    .state_size = sizeof(struct tc_state),
    .option = option,
    .start = start,
    .identify = identify,
    .read = read_weight,
};
