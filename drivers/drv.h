/* caldaq drivers module: transports (serial, TCP, pseudo-terminals), the
 * recorded trace format, trace replay, and instrument simulators.
 *
 * Every byte caldaq exchanges with an instrument goes through a
 * drv_transport, which can tee it into a trace; any trace can be played
 * back as the instrument. No libserialport or libmodbus type appears here:
 * their errors become struct cd_err messages inside this module.
 *
 * Ownership: whoever calls _open/_new/_load calls the matching _close/_free
 * (NULL allowed). Strings passed in are copied. No function prints.
 */
#ifndef CALDAQ_DRV_H
#define CALDAQ_DRV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cd.h"

/* ------------------------------------------------------------------ */
/* Serial settings                                                     */

enum drv_parity { DRV_PARITY_NONE, DRV_PARITY_ODD, DRV_PARITY_EVEN, DRV_PARITY_MARK,
                  DRV_PARITY_SPACE };
enum drv_flow { DRV_FLOW_NONE, DRV_FLOW_RTSCTS, DRV_FLOW_XONXOFF, DRV_FLOW_DTRDSR };

struct drv_serial_settings {
    int baud;
    int data_bits;          /* 5..8 */
    enum drv_parity parity;
    int stop_bits;          /* 1 or 2 */
    enum drv_flow flow;
};

/* "9600,8N1", "1200,7O1,rtscts", "9600 8N2 dtrdsr" (comma or space). */
int drv_serial_settings_parse(const char *text, struct drv_serial_settings *out,
                              struct cd_err *err);
/* "9600 8N1" or "9600 8N1 rtscts", as in trace headers. */
void drv_serial_settings_format(const struct drv_serial_settings *s, char *buf, size_t cap);

/* ------------------------------------------------------------------ */
/* Transports                                                          */

struct drv_trace_writer;

/* The backend of a transport: one const table per kind. read() waits up to
 * timeout_ms for the first byte, then returns what is available: the
 * count, 0 on timeout, or a negative cd_code (CD_ERR_DISCONNECTED when the
 * other side went away). write() writes everything or fails. */
struct drv_transport_ops {
    const char *kind;       /* "serial", "tcp", "fd" */
    int (*read)(void *ctx, uint8_t *buf, size_t cap, int timeout_ms, struct cd_err *err);
    int (*write)(void *ctx, const uint8_t *buf, size_t len, int timeout_ms, struct cd_err *err);
    void (*close)(void *ctx);
};

typedef struct drv_transport drv_transport;

/* A port as users type it: a device path (/dev/ttyUSB0, /dev/serial/by-id/...,
 * /dev/caldaq/balance1) opened with `serial` settings (NULL: 9600 8N1), or
 * "tcp:HOST:PORT". */
int drv_transport_open(const char *port, const char *serial, drv_transport **out,
                       struct cd_err *err);
int drv_transport_open_serial(const char *path, const struct drv_serial_settings *s,
                              drv_transport **out, struct cd_err *err);
int drv_transport_open_tcp(const char *host, int port, int timeout_ms, drv_transport **out,
                           struct cd_err *err);
/* Wrap a file descriptor (a socket, a pty master); the transport owns it. */
int drv_transport_open_fd(int fd, const char *name, drv_transport **out, struct cd_err *err);
/* Any backend (used by the Modbus layer and tests). `ctx` is owned. */
int drv_transport_new(const struct drv_transport_ops *ops, void *ctx, const char *name,
                      drv_transport **out, struct cd_err *err);
void drv_transport_close(drv_transport *t);

const char *drv_transport_name(const drv_transport *t);  /* the port as opened */
const char *drv_transport_kind(const drv_transport *t);  /* "serial", "tcp", ... */

int drv_transport_write(drv_transport *t, const void *buf, size_t len, int timeout_ms,
                        struct cd_err *err);
/* Bytes as they come: count, 0 on timeout, or a negative cd_code. */
int drv_transport_read(drv_transport *t, uint8_t *buf, size_t cap, int timeout_ms,
                       struct cd_err *err);
/* One line up to and including `eol` (usually '\n'), NUL-terminated in buf;
 * bytes after it stay buffered for the next read. Returns the length,
 * CD_ERR_TIMEOUT (what arrived stays buffered), CD_ERR_PROTOCOL when the
 * line does not fit in cap, or another negative cd_code. */
int drv_transport_read_line(drv_transport *t, char *buf, size_t cap, char eol, int timeout_ms,
                  struct cd_err *err);
/* Drop buffered and pending input. */
void drv_transport_discard(drv_transport *t);
/* Received bytes are recorded a line at a time (a record ends after LF);
 * with `start` >= 0 a record also begins at each byte `start` (STX-framed
 * continuous output that has no LF). -1 (the default): LF only. */
void drv_transport_record_split(drv_transport *t, int start);
/* Between drv_transport_batch(t, true) and (t, false) every byte received
 * is recorded with the time of the first read that returned any: one
 * reading of an instrument that sends by itself (drivers/stream.c), however
 * many reads it took, so a replay paced by the host's reads gives each
 * reading what it got (docs/trace-format.md). drv_transport_discard is one
 * such batch by itself. */
void drv_transport_batch(drv_transport *t, bool on);

/* Tee every byte written and read into `w` (NULL stops). The transport does
 * not own the writer. Received bytes become one record per line. */
void drv_transport_record(drv_transport *t, struct drv_trace_writer *w);

/* ------------------------------------------------------------------ */
/* Traces (format: DESIGN.md, docs/trace-format.md)                    */

enum drv_dir {
    DRV_DIR_HOST = '>',     /* host to instrument */
    DRV_DIR_INSTR = '<',    /* instrument to host */
    DRV_DIR_EVENT = '!',
};

struct drv_trace_header {
    char transport[16];     /* "serial" | "tcp" */
    char port[256];
    char settings[64];      /* "9600 8N1" */
    char driver[32];
    char started[40];       /* ISO 8601 with offset */
};

struct drv_trace_record {
    double t;               /* seconds since start */
    enum drv_dir dir;
    const uint8_t *data;    /* bytes, or the event name (NUL-terminated) */
    size_t len;
    int line;               /* line in the trace file */
};

struct drv_trace {
    struct drv_trace_header header;
    size_t n;
    struct drv_trace_record *records;
    /* private: storage of the bytes */
    uint8_t *pool;
};

int drv_trace_load(const char *path, struct drv_trace **out, struct cd_err *err);
/* `source` names the text in messages. */
int drv_trace_parse(const char *text, size_t len, const char *source, struct drv_trace **out,
                    struct cd_err *err);
void drv_trace_free(struct drv_trace *t);

/* Escape bytes as in a trace record (C escapes, printable ASCII as itself),
 * without the quotes. Returns the length it needs (like snprintf). */
size_t drv_escape(const uint8_t *buf, size_t len, char *out, size_t cap);
/* Parse a double-quoted escaped string at *p (advanced past it) into out;
 * returns the byte count or a negative cd_code with a message naming the
 * column, counted from col0 for the opening quote. */
int drv_unescape(const char **p, uint8_t *out, size_t cap, int col0, struct cd_err *err);

struct drv_trace_writer;
/* Write to `f` (not closed by the writer) or to a new file at `path`. */
struct drv_trace_writer *drv_trace_writer_new(FILE *f, const struct drv_trace_header *h,
                                              struct cd_err *err);
struct drv_trace_writer *drv_trace_writer_create(const char *path,
                                                 const struct drv_trace_header *h,
                                                 struct cd_err *err);
/* Seconds since the writer started (monotonic clock). */
double drv_trace_writer_now(const struct drv_trace_writer *w);
/* The time of the last `<` record written, exactly as a reader of the trace
 * parses it back (the clock a set-and-wait decides on, so a replay decides
 * the same: docs/sources.md); NAN before the first one or for NULL. */
double drv_trace_writer_last_reply(const struct drv_trace_writer *w);
int drv_trace_writer_bytes(struct drv_trace_writer *w, enum drv_dir dir, double t,
                           const uint8_t *buf, size_t len, struct cd_err *err);
int drv_trace_writer_event(struct drv_trace_writer *w, double t, const char *event,
                           struct cd_err *err);
/* Flush, close the file if the writer opened it, free. 0 or the first error. */
int drv_trace_writer_close(struct drv_trace_writer *w, struct cd_err *err);

/* ------------------------------------------------------------------ */
/* Pseudo-terminals                                                    */

struct drv_pty {
    int master;             /* the instrument side */
    int slave;              /* kept open so the master never sees a hang-up
                             * before the host opens the port; -1 once closed */
    char path[128];         /* the slave device the host opens */
    char link[512];         /* symlink made to it, "" when none */
};

/* A raw pty pair; with `link` non-NULL a symlink at that path points to the
 * slave (replacing a stale symlink, never a regular file). */
int drv_pty_open(struct drv_pty *p, const char *link, struct cd_err *err);
void drv_pty_close(struct drv_pty *p);   /* removes the symlink */

/* ------------------------------------------------------------------ */
/* Replay: play a trace as the instrument                               */

struct drv_replay_opts {
    double speed;           /* delays divided by speed; default 1 */
    bool fast;              /* no delays */
    int host_timeout_ms;    /* how long to wait for host bytes the trace
                             * expects; default 10000 */
    /* when set, called with the recorded time of every `<` record just
     * before its bytes are sent (a session's trace clock, docs/sources.md) */
    void (*replying)(void *ctx, double t);
    void *replying_ctx;
};

struct drv_replay_stats {
    size_t records;         /* records played */
    size_t bytes_host;      /* bytes the host wrote that matched */
    size_t bytes_instr;     /* bytes sent as the instrument */
};

/* Play `t` on `fd` (a pty master or a connected socket) as the instrument:
 * host writes are compared with the next `>` bytes (chunk boundaries do not
 * matter), `<` bytes are sent after their recorded delay, `! disconnect`
 * closes fd and ends, `! timeout` stays silent. On divergence: CD_ERR_PROTOCOL
 * with the trace line and both byte strings. `peer_fd` is the pty slave the
 * caller holds open (-1 for a socket): through it replay waits until the
 * host has read every byte before it closes. Closes fd in all cases. */
int drv_replay(const struct drv_trace *t, int fd, int peer_fd, const struct drv_replay_opts *o,
               struct drv_replay_stats *stats, struct cd_err *err);

/* ------------------------------------------------------------------ */
/* Serial port discovery (drivers/ports.c, udev/README)                 */

/* One serial port. Strings are NUL-terminated, "" when unknown or absent. */
struct drv_port_info {
    char path[256];          /* the device node: /dev/ttyUSB0 */
    char description[256];   /* libserialport's one-line description */
    bool usb;                /* a USB adapter (the fields below are set) */
    int usb_vid, usb_pid;    /* -1 when unknown */
    char manufacturer[128];
    char product[128];
    char serial[128];        /* the adapter's USB serial number */
    char by_id[512];         /* /dev/serial/by-id/... pointing to path */
    char by_path[512];       /* /dev/serial/by-path/... pointing to path */
    /* The /dev/caldaq name to give to --port: a lab's own name
     * (/dev/caldaq/balance1) before the automatic ones
     * (/dev/caldaq/by-serial/..., /dev/caldaq/by-port/...). */
    char caldaq_link[512];
};

/* Every serial port on this machine, sorted by path. *out (owned by the
 * caller, free with drv_ports_free) is NULL when there are none, which is
 * not an error. */
int drv_ports_list(struct drv_port_info **out, size_t *n, struct cd_err *err);
void drv_ports_free(struct drv_port_info *p);

/* ------------------------------------------------------------------ */
/* Instrument drivers (docs/drivers.md)                                 */

enum drv_status {
    DRV_STATUS_STABLE,
    DRV_STATUS_UNSTABLE,
    DRV_STATUS_OVERLOAD,
    DRV_STATUS_UNDERLOAD,
    DRV_STATUS_ERROR,
};

/* "stable", "unstable", "overload", "underload", "error" (run files, JSON). */
const char *drv_status_name(enum drv_status s);

struct drv_reading {
    double value;           /* NAN for overload, underload and error */
    char unit[16];          /* as the instrument wrote it: "g", "kg", "V", "bar" */
    enum drv_status status;
    double t;               /* when it arrived, seconds since the epoch; 0 when decoded */
    char display[64];       /* the value exactly as displayed: "-12.345", "+1.00001230E+01" */
    double resolution;      /* the display step the string implies (0.001 for "-12.345");
                             * 0 when the string does not show one */
    char error[64];         /* the instrument's error text for DRV_STATUS_ERROR */
};

struct drv_identity {
    char manufacturer[64];
    char model[64];
    char serial[64];
    char firmware[64];
};

/* Pure frame parsers, shared by drivers, simulators' tests and `caldaq
 * decode`: one frame (a line including its CR LF, or a Modbus reply) in, a
 * reading out; no I/O. Replies that are not readings (acknowledgements,
 * identification) give CD_ERR_PROTOCOL; an instrument error reply gives a
 * reading with DRV_STATUS_ERROR. */
struct drv_parser {
    const char *driver;     /* "mtsics", "sbi", "aandd", "scpi", "modbus", "fluke-ttr", ... */
    const char *summary;
    int (*parse)(const uint8_t *frame, size_t len, struct drv_reading *out,
                 struct cd_err *err);
    /* Continuous-output instruments (toledo-cont, xk3190), NULL for the
     * others: where the first frame in buf[0..len) lies. 1: a frame of
     * *flen bytes after *skip bytes of noise; 0: no complete frame yet, and
     * the first *skip bytes can never begin one (drop them). `eof`: no more
     * bytes will come (a file), so a frame is not held back waiting for
     * what may follow it. A frame found may still fail parse (a checksum
     * error). */
    int (*next)(const uint8_t *buf, size_t len, bool eof, size_t *skip, size_t *flen);
};
const struct drv_parser *drv_parser_find(const char *driver);
/* One frame through the driver's parser; for "modbus" the options
 * ("preset=keller", "order=CDAB", ...) give the register map. */
int drv_decode(const char *driver, const char *const *options, const uint8_t *frame, size_t len,
               struct drv_reading *out, struct cd_err *err);

typedef struct drv_dev drv_dev;

/* The drivers: "mtsics", "sbi", "aandd", "scpi", "modbus", "fluke-ttr",
 * "fluke-1529", "millik", "toledo-cont", "xk3190", "pace", "bath"
 * (docs/drivers.md). */
const char *const *drv_names(void);
/* A NULL-terminated list of names (drv_names(), drv_sim_names()) as text,
 * "mtsics, sbi, ...", for messages: the one place the lists are spelt. */
void drv_names_text(const char *const *names, char *buf, size_t cap);

/* Open `port` (as for drv_transport_open; NULL `serial` takes the driver's
 * usual settings) for `driver`. `options`: NULL-terminated "key=value"
 * (docs/drivers.md: Modbus register maps and presets, the DMM function and
 * range, the stability criterion, timeouts). With `rec` non-NULL every byte
 * is recorded (the writer is not owned). The instrument is put in the
 * state the driver needs (e.g. SCPI remote mode and configuration). */
int drv_open(const char *driver, const char *port, const char *serial,
             const char *const *options, struct drv_trace_writer *rec, drv_dev **out,
             struct cd_err *err);
void drv_close(drv_dev *d);
const char *drv_dev_driver(const drv_dev *d);

int drv_identify(drv_dev *d, struct drv_identity *out, struct cd_err *err);
/* One reading as the instrument gives it now (stable or not). Device error
 * replies give CD_ERR_DEVICE with the instrument's message; garbage gives
 * CD_ERR_PROTOCOL with the bytes; silence CD_ERR_TIMEOUT. */
int drv_read(drv_dev *d, struct drv_reading *out, struct cd_err *err);
/* Zero and tare where the instrument has them; CD_ERR_UNSUPPORTED otherwise. */
int drv_zero(drv_dev *d, struct cd_err *err);
int drv_tare(drv_dev *d, struct cd_err *err);

/* Stability for instruments without a flag of their own: the last n
 * readings lie within `band` (max - min, in the reading's unit) and span at
 * least `seconds`. Instruments with a flag use the flag. */
struct drv_stability {
    int n;                  /* default 5 */
    double band;            /* default 0: two display steps */
    double seconds;         /* default 2 */
};
/* Read until a stable reading (by the instrument's flag or `crit`), or
 * until timeout_ms: CD_ERR_UNSTABLE then (the instrument answered, its
 * reading never settled), with the last reading in *out; CD_ERR_CANCELLED
 * when the caller's callback (drv_read_stable_each) said stop.
 * Overload and underload are returned at once (they do not settle). */
int drv_read_stable(drv_dev *d, const struct drv_stability *crit, int timeout_ms,
                    struct drv_reading *out, struct cd_err *err);
/* drv_read_stable, calling `seen` with every reading taken on the way that
 * was not the answer (the unstable ones), so a session can store them. An
 * instrument with a flag is asked again every 100 ms while unstable. When
 * `seen` returns false the wait stops (the technician pressed Ctrl-C):
 * CD_ERR_CANCELLED "stopped while waiting for a stable reading". */
typedef bool (*drv_reading_fn)(const struct drv_reading *r, void *ctx);
int drv_read_stable_each(drv_dev *d, const struct drv_stability *crit, int timeout_ms,
                         drv_reading_fn seen, void *ctx, struct drv_reading *out,
                         struct cd_err *err);
/* Whether the driver's instruments report stability themselves. */
bool drv_has_stability_flag(const drv_dev *d);

/* ------------------------------------------------------------------ */
/* Sources caldaq sets and waits on (issue 19, docs/sources.md)          */

/* A source ("pace", "bath") is opened with drv_open like any instrument;
 * drv_read gives its actual value. Besides it can be set, read as a
 * source, and put in its safe state. */
struct drv_source_reading {
    double setpoint;        /* as the source reports it; NAN when it cannot say */
    double actual;          /* the controlled value now (pressure, bath temperature) */
    int in_limits;          /* the source's own in-limits flag 1 / 0; -1: it has none */
    char unit[16];
    char display[64];       /* the actual value as the source wrote it */
    double t;               /* seconds since the epoch */
};

/* Whether the driver is a source's (drv_source_* work on it). */
bool drv_is_source(const drv_dev *d);
/* Set the source to `value` (in the unit its readings have) and make it
 * control there (PACE: output on). CD_ERR_UNSUPPORTED for an instrument
 * that is not a source. */
int drv_source_set(drv_dev *d, double value, struct cd_err *err);
int drv_source_read(drv_dev *d, struct drv_source_reading *out, struct cd_err *err);
/* Put the source in its safe state (PACE: vent; a bath: left at its set
 * point, nothing sent). `said` (may be NULL) tells what was done, in
 * English, for the run's log. */
int drv_source_safe(drv_dev *d, char *said, size_t cap, struct cd_err *err);

/* ------------------------------------------------------------------ */
/* Modbus RTU / TCP through libmodbus                                   */

typedef struct drv_modbus drv_modbus;

/* `port` as for drv_transport_open ("tcp:HOST:PORT" is Modbus TCP, a device
 * path is RTU with `serial` settings: parity N/E/O, no flow control, else
 * CD_ERR_UNSUPPORTED). With `rec` non-NULL every RTU frame or TCP ADU is
 * recorded (the writer is not owned). timeout_ms <= 0 means 1000 ms. One
 * drv_modbus is used from one thread at a time. */
int drv_modbus_open(const char *port, const char *serial, int unit_id, int timeout_ms,
                    struct drv_trace_writer *rec, drv_modbus **out, struct cd_err *err);
/* function 3 (holding) or 4 (input registers); count <= 125. Device
 * exceptions give CD_ERR_DEVICE with the exception's name. */
int drv_modbus_read_registers(drv_modbus *m, int function, int address, int count,
                              uint16_t *out, struct cd_err *err);
int drv_modbus_write_register(drv_modbus *m, int address, uint16_t value, struct cd_err *err);
/* Function 16: `count` (1..123) registers from `address`. */
int drv_modbus_write_registers(drv_modbus *m, int address, int count, const uint16_t *values,
                               struct cd_err *err);
void drv_modbus_close(drv_modbus *m);

/* ------------------------------------------------------------------ */
/* Instrument simulators (docs/simulators.md)                           */

typedef struct drv_sim drv_sim;

/* The simulated instruments: the drivers' names (drv_names). */
const char *const *drv_sim_names(void);
/* `options`: NULL-terminated "key=value" strings (loads, noise, faults, ...). */
int drv_sim_new(const char *driver, const char *const *options, drv_sim **out,
                struct cd_err *err);
/* Serve the host on `fd` (a pty master, or a socket for Modbus TCP) until
 * the host closes a socket, the simulator disconnects (fault), or a
 * "quit" control command. `control_fd` (-1: none) carries control lines
 * ("next", "load 200", ...); replies to them are written back to it.
 * Returns 0 when the connection ended, 1 after "quit", or a negative
 * cd_code. */
int drv_sim_serve(drv_sim *s, int fd, int control_fd, struct cd_err *err);
/* One control command; a short reply (no newline) in `reply`. Only "quit"
 * may be sent from another thread than the one serving. */
int drv_sim_control(drv_sim *s, const char *command, char *reply, size_t cap,
                    struct cd_err *err);
void drv_sim_free(drv_sim *s);

/* Where a simulator or a trace replay is hosted (drivers/sim/host.c). */
struct drv_sim_host {
    const char *link;           /* a pty: a symlink here to it (NULL: none) */
    int tcp_port;               /* -1: a pty; else 127.0.0.1:PORT (0: any free) */
    int control_fd;             /* control lines for drv_sim_serve (-1: none) */
    int stop_fd;                /* becomes readable when the host must stop (-1: never) */
    /* told the pty path (when there is no link) or the port chosen for
     * tcp_port 0, each time it changes (may be NULL) */
    void (*announce)(void *ctx, const char *where);
    void *ctx;
};
/* Serve `sim` until "quit", a stop, or an error: on a pty, opened again
 * after a disconnect fault; on TCP, one connection after another. */
int drv_sim_host_run(drv_sim *sim, const struct drv_sim_host *h, struct cd_err *err);
/* Play `t` once as the instrument on a pty or the first TCP connection. */
int drv_replay_host_run(const struct drv_trace *t, const struct drv_sim_host *h,
                        const struct drv_replay_opts *o, struct drv_replay_stats *stats,
                        struct cd_err *err);
/* A unix socket listening at `path` for control connections (a stale
 * socket there is replaced; any other file is refused). The fd, or a
 * negative cd_code. */
int drv_sim_control_listen(const char *path, struct cd_err *err);

#endif
