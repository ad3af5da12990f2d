/* What an instrument driver sees of the device layer (drivers/device.c).
 * Private to drivers/. A driver is one const struct drv_ops (STYLE.md:
 * libsigrok's sr_dev_driver); slots left NULL mean "not supported". */
#ifndef CALDAQ_DRV_PRIV_H
#define CALDAQ_DRV_PRIV_H

#include "drv.h"

struct drv_ops {
    const char *name;               /* "mtsics": the --driver name */
    const char *summary;
    const char *default_serial;     /* "9600,8N1" */
    bool stability_flag;            /* the instrument says stable/unstable itself */
    bool uses_modbus;               /* talks through drv_modbus, not a drv_transport */
    size_t state_size;              /* zeroed block the layer allocates (d->state) */
    /* Take the driver's options ("key=value"); CD_ERR_NOT_FOUND for keys
     * that are not the driver's (the layer then reports them as unknown). */
    int (*option)(drv_dev *d, const char *key, const char *value, struct cd_err *err);
    /* After the port is open: bring the instrument into the state the
     * driver needs (remote mode, configuration). May be NULL. */
    int (*start)(drv_dev *d, struct cd_err *err);
    int (*identify)(drv_dev *d, struct drv_identity *out, struct cd_err *err);
    int (*read)(drv_dev *d, struct drv_reading *out, struct cd_err *err);
    int (*zero)(drv_dev *d, struct cd_err *err);
    int (*tare)(drv_dev *d, struct cd_err *err);
    /* Before the port closes (e.g. SCPI back to local). May be NULL. */
    void (*stop)(drv_dev *d);
    /* Sources only (drv.h, "Sources"); NULL for instruments that only read. */
    int (*source_set)(drv_dev *d, double value, struct cd_err *err);
    int (*source_read)(drv_dev *d, struct drv_source_reading *out, struct cd_err *err);
    int (*source_safe)(drv_dev *d, char *said, size_t cap, struct cd_err *err);
};

struct drv_dev {
    const struct drv_ops *ops;
    drv_transport *t;               /* serial / TCP instruments */
    drv_modbus *mb;                 /* Modbus instruments */
    void *state;                    /* the driver's own, state_size bytes */
    int timeout_ms;                 /* reply timeout (option timeout_ms=) */
    char eol;                       /* where reply lines end: '\n' unless the
                                     * driver's start says '\r' (the milliK) */
    struct drv_stability stability; /* options stable_n=, stable_band=, stable_s= */
};

/* An instrument's error reply as CD_ERR_DEVICE with the meaning `p` gives
 * it; bytes `p` does not read as an error: CD_ERR_PROTOCOL ("what"). */
int drv_device_error(const struct drv_parser *p, const char *name, const char *what,
                     const uint8_t *b, size_t n, struct cd_err *err);

/* Helpers for line protocols. */
/* Write `cmd` (bytes as given, with its line end). */
int drv_send(drv_dev *d, const char *cmd, struct cd_err *err);
/* One reply line (up to d->eol, normally LF; CR LF kept) into buf; the
 * timeout is d->timeout_ms. */
int drv_reply(drv_dev *d, char *buf, size_t cap, struct cd_err *err);
/* drv_send then drv_reply. */
int drv_query(drv_dev *d, const char *cmd, char *buf, size_t cap, struct cd_err *err);
/* Whether a line answers the command just sent; may keep what it decoded. */
enum drv_verdict { DRV_SKIP, DRV_TAKE };
typedef enum drv_verdict (*drv_classify_fn)(const uint8_t *line, size_t n, void *ctx);
/* Read reply lines until `classify` takes one: line (NUL-terminated) holds
 * it from *start for *len bytes. Lines that do not answer are skipped, and
 * noise glued to the front of a reply (bytes that are not text) is cut
 * off, so a stray or damaged line does not lose the reading; only when no
 * answer comes within timeout_ms does it fail - CD_ERR_PROTOCOL quoting the
 * first skipped line, or CD_ERR_TIMEOUT. `name` prefixes messages. */
int drv_await_reply(drv_dev *d, const char *name, const char *cmd, int timeout_ms,
                    drv_classify_fn classify, void *ctx, char *line, size_t cap, size_t *start,
                    size_t *len, struct cd_err *err);
/* A classifier that takes the first line `parser` reads, into `r`. */
struct drv_parsed {
    const struct drv_parser *parser;
    struct drv_reading r;
};
enum drv_verdict drv_classify_parsed(const uint8_t *line, size_t n, void *ctx);
/* Seconds since the epoch, for drv_reading.t. */
double drv_now(void);
/* The display step a number as written implies: "12.345" -> 0.001,
 * "+1.00001230E+01" -> 1e-7, "120" -> 1. 0 when there is no digit. */
double drv_display_resolution(const char *display);
/* Copy `n` bytes of `src` into dst (cap bytes) as text, trimming spaces. */
void drv_copy_trimmed(char *dst, size_t cap, const char *src, size_t n);
/* A CD_ERR_PROTOCOL failure quoting the bytes escaped. */
int drv_bad_reply(struct cd_err *err, const char *driver, const char *what, const uint8_t *buf,
                  size_t len);

/* A *IDN? reply, manufacturer,model,serial,firmware (the 4th takes the
 * rest), into `out`; CD_ERR_PROTOCOL prefixed by `name` otherwise. */
int drv_idn_parse(const char *line, size_t n, const char *name, struct drv_identity *out,
                  struct cd_err *err);
/* A classifier for drv_await_reply taking the first *IDN?-shaped line
 * (three commas, text) - echoes and stray readings are skipped. */
enum drv_verdict drv_classify_idn(const uint8_t *line, size_t n, void *ctx);

/* A SCPI query that failed with rc (`first` holding its message): the
 * instrument's own error from SYST:ERR?, if it has one, as CD_ERR_DEVICE
 * "NAME: QUERY failed (...); the WHO reports -102,..."; else the failure
 * as it was (drivers/scpi.c). */
int drv_scpi_query_failed(drv_dev *d, const char *name, const char *who, const char *query,
                          int rc, const struct cd_err *first, struct cd_err *err);

/* Reference thermometers (drivers/thermo.c). Send `cmd` (with its line
 * end) and take the first reply line `p` reads as a reading - echoes and
 * stray lines are skipped; with `bare_only` also readings that carry a unit
 * of their own (periodic output lines). An error reply is CD_ERR_DEVICE
 * naming the command; a reading without a unit gets `unit`. */
int drv_thermo_query(drv_dev *d, const struct drv_parser *p, const char *cmd, const char *unit,
                     bool bare_only, struct drv_reading *out, struct cd_err *err);
/* *IDN? sent as `cmd`; the reply's four fields. */
int drv_thermo_identify(drv_dev *d, const char *name, const char *cmd, struct drv_identity *out,
                        struct cd_err *err);
/* A unit option: C, F, K or O (either case) -> its letter, else
 * CD_ERR_INVALID naming the driver. */
int drv_thermo_unit_option(const char *name, const char *value, bool ohms, char *letter,
                           struct cd_err *err);

/* Continuous-output instruments (drivers/stream.c): the bytes received
 * and not yet framed, kept between reads. */
#define DRV_STREAM_BUF 2048
struct drv_stream {
    uint8_t buf[DRV_STREAM_BUF];
    size_t len;
    struct cd_err gone;             /* the port failed after a frame was taken:
                                     * the next read reports it (code != 0) */
};
/* The newest complete frame `p` reads in the stream: what is waiting is
 * taken without waiting; when it holds no valid frame, bytes are awaited
 * up to d->timeout_ms. Noise and refused frames (checksum errors) are
 * skipped; only when no valid frame comes in time does it fail:
 * CD_ERR_PROTOCOL naming what was refused (the last refusal, or the first
 * noise bytes), CD_ERR_TIMEOUT for silence or a partial frame,
 * CD_ERR_DISCONNECTED when the port went away (a frame received before
 * that is still returned). `name` prefixes messages. */
int drv_stream_read(drv_dev *d, struct drv_stream *s, const struct drv_parser *p,
                    const char *name, struct drv_reading *out, struct cd_err *err);
/* The state of a continuous-output driver (toledo-cont, xk3190): the
 * identity from options (the stream cannot tell it), the unit for frames
 * that have none, and the stream. */
struct drv_indicator {
    struct drv_identity id;
    char unit[16];
    struct drv_stream stream;
};
/* Options manufacturer=, model=, serial=, unit=; CD_ERR_NOT_FOUND for others. */
int drv_indicator_option(drv_dev *d, const char *key, const char *value, struct cd_err *err);
/* After opening: the defaults where no option gave one, input discarded,
 * one trace record per STX-started frame. */
void drv_indicator_start(drv_dev *d, const char *manufacturer, const char *model);
int drv_indicator_identify(drv_dev *d, struct drv_identity *out, struct cd_err *err);
/* drv_stream_read, and the unit option on a frame without one. */
int drv_indicator_read(drv_dev *d, const struct drv_parser *p, const char *name,
                       struct drv_reading *out, struct cd_err *err);

extern const struct drv_ops drv_mtsics, drv_sbi, drv_aandd, drv_scpi, drv_modbus_gauge,
    drv_fluke_ttr, drv_fluke_1529, drv_millik, drv_toledo_cont, drv_xk3190;
extern const struct drv_parser drv_parser_mtsics, drv_parser_sbi, drv_parser_aandd,
    drv_parser_scpi, drv_parser_modbus, drv_parser_fluke_ttr, drv_parser_fluke_1529,
    drv_parser_millik, drv_parser_toledo_cont, drv_parser_xk3190;
/* sources (drivers/source.c, drivers/parsers/source.c) */
extern const struct drv_ops drv_pace, drv_bath;
extern const struct drv_parser drv_parser_pace, drv_parser_bath;

#endif
