/* The body shared by the frame-parser harnesses (fuzz_mtsics.c, ...): one
 * frame through the driver's pure parser, as `caldaq decode` and the
 * drivers give it, and the contract of drv.h checked on what comes out. */
#ifndef CALDAQ_FUZZ_PARSER_H
#define CALDAQ_FUZZ_PARSER_H

#include "fuzz_util.h"

#include <math.h>

#include "drv.h"

/* A field the parser filled must be a C string inside its array. */
#define FUZZ_TERMINATED(field) (memchr((field), '\0', sizeof(field)) != NULL)

static inline void fuzz_check_reading(int rc, const struct drv_reading *r,
                                      const struct cd_err *err)
{
    if (!FUZZ_TERMINATED(r->unit) || !FUZZ_TERMINATED(r->display) ||
        !FUZZ_TERMINATED(r->error) || !FUZZ_TERMINATED(err->msg))
        abort();
    /* A refusal always says why. (err->code may differ from rc: the first
     * failure is kept, cd.h.) */
    if (rc > 0 || (rc < 0 && err->code == 0))
        abort();
    if (rc != 0)
        return;
    if (r->status > DRV_STATUS_ERROR)
        abort();
    /* A valid reading has a finite value (drv.h: NAN only for overload,
     * underload and error). */
    if ((r->status == DRV_STATUS_STABLE || r->status == DRV_STATUS_UNSTABLE) &&
        !isfinite(r->value))
        abort();
    if (!(r->resolution >= 0))
        abort();
}

static inline int fuzz_parser(const char *driver, const uint8_t *data, size_t size)
{
    struct drv_reading r;
    struct cd_err err = {0};
    int rc = drv_decode(driver, NULL, data, size, &r, &err);
    fuzz_check_reading(rc, &r, &err);
    return 0;
}

/* A continuous stream (toledo-cont, xk3190): the framer moves forward,
 * stays inside the buffer, and every frame it finds goes through parse. */
static inline int fuzz_stream(const char *driver, const uint8_t *data, size_t size)
{
    const struct drv_parser *p = drv_parser_find(driver);
    if (p == NULL || p->next == NULL)
        abort();
    for (int eof = 0; eof <= 1; eof++) {
        size_t off = 0;
        while (off < size) {
            size_t skip = (size_t)-1, flen = 0;
            int found = p->next(data + off, size - off, eof, &skip, &flen);
            if (skip > size - off)
                abort();
            off += skip;
            if (found != 1)
                break;
            if (flen == 0 || flen > size - off)
                abort();
            struct drv_reading r;
            struct cd_err err = {0};
            int rc = p->parse(data + off, flen, &r, &err);
            fuzz_check_reading(rc, &r, &err);
            off += flen;
        }
    }
    return 0;
}

#endif
