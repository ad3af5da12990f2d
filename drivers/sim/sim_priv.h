/* The simulator core's private interface (drivers/sim/): what a simulated
 * protocol ("mtsics", "sbi", "aandd", "scpi", "modbus", "fluke-ttr", "fluke-1529",
 * "millik") sees of the core in
 * drivers/sim/sim.c. Public contract: drv.h, "Instrument simulators";
 * user documentation: docs/simulators.md.
 *
 * Shape (libsigrok-style): a protocol is one const `struct sim_protocol`
 * table entry; the core owns the instrument model (loads, noise, drift,
 * settling, zero/tare), the byte loop (poll() on the host fd, the control
 * fd and one timer), the generic faults, and the control commands. A
 * protocol only (1) says where a request ends in the bytes received so far
 * and (2) turns one complete request into reply bytes, reading the model
 * through sim_read() below. Nothing here prints or keeps global state; all
 * state lives in the drv_sim (protocol state in a zeroed block of
 * `state_size` bytes the core allocates).
 *
 * Threads: every function here is called from the thread that runs
 * drv_sim_serve (or drv_sim_control), never concurrently.
 */
#ifndef CALDAQ_SIM_PRIV_H
#define CALDAQ_SIM_PRIV_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "drv.h"

/* ------------------------------------------------------------------ */
/* Reply buffer                                                        */

#define SIM_OUT_MAX 2048 /* the most a protocol may produce for one event */

struct sim_out {
    uint8_t buf[SIM_OUT_MAX];
    size_t len;
};

/* Append bytes / formatted text; 0, or CD_ERR_NOMEM when it does not fit
 * (nothing is appended then). */
int sim_out_bytes(struct sim_out *o, const void *p, size_t n);
int sim_out_printf(struct sim_out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ------------------------------------------------------------------ */
/* The instrument model: what a protocol reads                         */

/* The "true value" as the instrument would display it now. Take one with
 * sim_read(); each call draws fresh noise (readings a host takes one after
 * the other differ the way real ones do). */
struct sim_reading {
    double value;       /* indicated NET value in `unit`: load, plus the
                         * settling transient, plus drift, plus Gaussian
                         * noise, minus zero offset and tare, ROUNDED to
                         * `resolution`. In overload it is the capacity;
                         * in underload the (negative) reading itself. */
    double gross;       /* the same without the tare subtracted (rounded) */
    double tare;        /* the tare in force (0: none), rounded */
    double resolution;  /* display step (option resolution=) */
    int decimals;       /* digits after the point `resolution` implies:
                         * 0.01 -> 2, 0.005 -> 3, 1 -> 0 */
    const char *unit;   /* option unit= ("g", "V", "bar"); owned by the sim */
    double capacity;    /* option capacity= (0: none) */
    bool stable;        /* the settling transient is inside the stability
                         * band (see docs/simulators.md "settling") */
    bool overload;      /* the load on the pan is above capacity */
    bool underload;     /* the load is negative (pan removed) */
    double load;        /* the script's current load / set-point, exact,
                         * without noise, drift or transient (for tests and
                         * protocols that need the set-point) */
};

/* Take a reading now. Never fails. */
void sim_read(drv_sim *s, struct sim_reading *r);

/* Model operations a protocol may perform (front-panel keys, remote
 * commands). Each works on the settled noise-free gross value. */
/* Zero: the current gross becomes 0. 0 done; +1 refused, above the zero
 * range (option zero_range=, default 2 % of capacity); -1 refused, below
 * it. Clears the tare as real balances do. */
int sim_zero(drv_sim *s);
/* Tare: the current gross becomes the tare (net 0). 0 done; +1 refused
 * (overload); -1 refused (gross not positive, or underload). */
int sim_tare(drv_sim *s);
void sim_tare_set(drv_sim *s, double tare);  /* preset tare (MT-SICS TA) */
void sim_tare_clear(drv_sim *s);
/* Set the load / set-point (starts a settling transient). */
void sim_load_set(drv_sim *s, double load);

/* Identification (options model=, serial=, firmware=, with the protocol's
 * `defaults`). Strings owned by the sim. */
struct sim_ident {
    const char *model;
    const char *serial;
    const char *firmware;
};
void sim_ident(const drv_sim *s, struct sim_ident *out);

/* Seconds on the monotonic clock since the simulator was made. */
double sim_now(const drv_sim *s);

/* Option stable_timeout_s= (default 10): how long a "stable weight"
 * command (MT-SICS S, A&D S) waits before it gives up. */
double sim_stable_timeout_s(const drv_sim *s);

/* Option stream_ms= (default 200): the period of repeated output (MT-SICS
 * and A&D SIR, SBI auto-print), as balances update their display. */
int sim_stream_ms(const drv_sim *s);

/* True while serving a socket (Modbus TCP framing), false on a pty. */
bool sim_on_socket(const drv_sim *s);

/* ------------------------------------------------------------------ */
/* Timer                                                               */

/* One timer per simulator for the protocol's own use (MT-SICS SIR, waiting
 * for stability, SBI auto-print). It fires once, delay_ms from now, by
 * calling the protocol's `timer`; set it again from there to repeat.
 * Setting replaces any pending time; clearing cancels. The core clears it
 * when a new connection starts (drv_sim_serve entry). */
void sim_timer_set(drv_sim *s, int delay_ms);
void sim_timer_clear(drv_sim *s);
bool sim_timer_pending(const drv_sim *s);

/* ------------------------------------------------------------------ */
/* Faults                                                              */

/* The core injects the generic faults itself, the same for every
 * protocol, on the bytes a protocol produced:
 *   garbage_every=N    every Nth reply is preceded by garbage bytes
 *   truncate_every=N   every Nth reply is cut short (no line end)
 *   delay_ms=D         every reply to a request is sent D ms late
 *   silent_after=N     requests after the Nth get no reply at all
 *   disconnect_after=N the connection is closed after the Nth request
 *                      (its reply is sent first)
 * and for one more it asks the protocol:
 *   error_every=N      every Nth request arrives with req->inject_error
 *                      set: the protocol answers with ITS OWN error reply
 *                      (MT-SICS ET, SBI Err, A&D EC,E00, SCPI error queue;
 *                      Modbus: an exception response of the helper's
 *                      choosing) instead of executing the request.
 * Counters are per drv_sim_serve call (per connection), 1-based.
 *
 * Protocol-only faults (Modbus exception codes, bad CRC) are options the
 * protocol accepts through its `option` function and injects itself in
 * `handle`, using req->n to count ("every Nth request"). */

/* ------------------------------------------------------------------ */
/* A protocol                                                          */

struct sim_request {
    const uint8_t *data;  /* the whole request as framed (terminator too) */
    size_t len;
    unsigned long n;      /* 1 for the first request of this connection */
    bool inject_error;    /* error_every fault: answer with an error */
};

/* Framing results for `frame` besides a positive request length. */
#define SIM_FRAME_MORE 0  /* no complete request yet: wait for more bytes */

struct sim_protocol {
    const char *name;                /* "mtsics": as on the command line */
    const char *summary;             /* one line for `caldaq sim --help` */
    /* "key=value" options applied before the user's (unit, capacity,
     * loads, resolution, model, ...). NULL-terminated; NULL for none. */
    const char *const *defaults;
    size_t state_size;               /* private state, zeroed by the core */

    /* Optional: a protocol-specific option ("sbi_format=22", Modbus
     * "exception_every=3"). Called for keys the core does not know, at
     * drv_sim_new and for the control command "set KEY=VALUE". Return 0,
     * CD_ERR_NOT_FOUND (not a key of this protocol: the core reports it),
     * or another negative cd_code with a message in err. */
    int (*option)(drv_sim *s, void *st, const char *key, const char *value,
                  struct cd_err *err);

    /* Optional: a new connection starts (drv_sim_serve entry). */
    void (*reset)(drv_sim *s, void *st);

    /* Where does the first request end in buf[0..len)? Return its length
     * (> 0, at most len), SIM_FRAME_MORE (0) to wait for more bytes, or a
     * negative -k to drop k leading bytes (noise before a frame).
     * NULL means sim_frame_line (below). The core keeps up to 4096
     * unframed bytes; beyond that, and after `idle_flush_ms` of silence
     * with an incomplete request (0: never), it drops them. */
    long (*frame)(drv_sim *s, void *st, const uint8_t *buf, size_t len);
    int idle_flush_ms;

    /* One complete request in, the reply appended to `out` (leave it
     * empty for no reply). Faults are applied by the core afterwards.
     * Return 0, or a negative cd_code to end drv_sim_serve with an error
     * (only for real failures, never for bad requests). */
    int (*handle)(drv_sim *s, void *st, const struct sim_request *req, struct sim_out *out,
                  struct cd_err *err);

    /* Optional: the timer fired (see sim_timer_set); append unrequested
     * bytes to `out` (a repeated reading, a late stable weight). */
    int (*timer)(drv_sim *s, void *st, struct sim_out *out, struct cd_err *err);

    /* The instrument sends by itself (continuous output): the core arms the
     * timer for the first frame at each connection and drops what the host
     * sends (`frame` and `handle` are not called, and may be NULL); `timer`
     * sends a frame and sets the timer again (sim_stream_period). Each
     * output of `timer` counts as a request for silent_after,
     * disconnect_after and error_every (sim_stream_inject_error says when to
     * spoil a frame). */
    bool streams;
    /* Optional: the protocol's own state for the control command "status"
     * (a source's set point, output, vent), appended after "; ". */
    void (*describe)(drv_sim *s, void *st, char *buf, size_t cap);
};

/* stream_ms, at least 10 ms: the period of a streaming protocol's frames. */
int sim_stream_period(const drv_sim *s);

/* For a streaming protocol inside `timer`: error_every asks for this
 * frame to be sent damaged (a checksum error). */
bool sim_stream_inject_error(const drv_sim *s);

/* The default framing for ASCII protocols: a request is everything up to
 * and including the first LF or CR, and a CR LF pair counts as one end.
 * Empty lines are dropped (a lone CR or LF returns -1). */
long sim_frame_line(drv_sim *s, void *st, const uint8_t *buf, size_t len);

/* A request's text without its line end, copied into `line` (NUL-
 * terminated, truncated to cap-1); returns its length. */
size_t sim_request_text(const struct sim_request *req, char *line, size_t cap);

/* Parse a whole string as a double / a non-negative integer; 0 on success
 * (for protocols' options). */
int sim_parse_double(const char *s, double *out);
int sim_parse_ulong(const char *s, unsigned long *out);

/* ------------------------------------------------------------------ */
/* The protocols                                                       */

extern const struct sim_protocol sim_protocol_mtsics;  /* drivers/sim/mtsics.c */
extern const struct sim_protocol sim_protocol_sbi;     /* drivers/sim/sbi.c */
extern const struct sim_protocol sim_protocol_aandd;   /* drivers/sim/aandd.c */
extern const struct sim_protocol sim_protocol_scpi;    /* drivers/sim/scpi.c */
extern const struct sim_protocol sim_protocol_fluke_ttr;  /* drivers/sim/fluke_ttr.c */
extern const struct sim_protocol sim_protocol_fluke_1529; /* drivers/sim/fluke_1529.c */
extern const struct sim_protocol sim_protocol_millik;     /* drivers/sim/millik.c */

/* For the thermometer readouts (drivers/sim/thermo.c): the model's value
 * is a temperature in degC; this is it in a Hart unit letter - C, F, K,
 * or O, the resistance of a Pt100 with the IEC 60751 coefficients (R0 100
 * ohm, A 3.9083e-3, B -5.775e-7, C -4.183e-12; **M**). */
double sim_thermo_in(double t_c, char letter);

extern const struct sim_protocol sim_protocol_toledo_cont; /* drivers/sim/toledo_cont.c */
extern const struct sim_protocol sim_protocol_xk3190;  /* drivers/sim/xk3190.c */
/* Defined by drivers/sim/modbus.c; listed in sim.c's `protocols` table
 * once that file exists (see the marked line there). */
extern const struct sim_protocol sim_protocol_modbus;
/* The sources (drivers/sim/source.c): Druck PACE and a Hart/Fluke bath. */
extern const struct sim_protocol sim_protocol_pace, sim_protocol_bath;

#endif
