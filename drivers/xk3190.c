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
#include "parsers/indicators.h"

#include <stdio.h>
#include <string.h>

#define NAME "XK3190"

struct xk_state {
    struct drv_identity id;
    char unit[16];
    struct drv_stream stream;
};

static int option(drv_dev *d, const char *key, const char *value, struct cd_err *err)
{
    struct xk_state *st = d->state;
    if (strcmp(key, "unit") == 0) {
        if (value[0] == '\0' || strlen(value) >= sizeof st->unit)
            return cd_fail(err, CD_ERR_INVALID, "xk3190: option unit=%s: 1 to %zu characters",
                           value, sizeof st->unit - 1);
        snprintf(st->unit, sizeof st->unit, "%s", value);
        return 0;
    }
    return drv_identity_option(&st->id, key, value, err);
}

static int start(drv_dev *d, struct cd_err *err)
{
    (void)err;
    struct xk_state *st = d->state;
    if (st->id.manufacturer[0] == '\0')
        snprintf(st->id.manufacturer, sizeof st->id.manufacturer, "Yaohua");
    if (st->id.model[0] == '\0')
        snprintf(st->id.model, sizeof st->id.model, "XK3190");
    if (st->unit[0] == '\0')
        snprintf(st->unit, sizeof st->unit, "kg");
    drv_transport_record_split(d->t, IND_STX);
    drv_transport_discard(d->t);
    st->stream.len = 0;
    st->stream.gone = (struct cd_err){0};
    return 0;
}

static int identify(drv_dev *d, struct drv_identity *out, struct cd_err *err)
{
    (void)err;
    const struct xk_state *st = d->state;
    *out = st->id;
    return 0;
}

static int read_weight(drv_dev *d, struct drv_reading *out, struct cd_err *err)
{
    struct xk_state *st = d->state;
    int rc = drv_stream_read(d, &st->stream, &drv_parser_xk3190, NAME, out, err);
    if (rc == 0 && out->unit[0] == '\0' && out->status != DRV_STATUS_ERROR)
        snprintf(out->unit, sizeof out->unit, "%s", st->unit);
    return rc;
}

const struct drv_ops drv_xk3190 = {
    .name = "xk3190",
    .summary = "Yaohua XK3190 weighing indicators, continuous output",
    .default_serial = "9600,8N1",
    .stability_flag = false,
    .state_size = sizeof(struct xk_state),
    .option = option,
    .start = start,
    .identify = identify,
    .read = read_weight,
};
