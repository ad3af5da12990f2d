/* A calibration session: a profile's plan walked against an instrument
 * into a run file, then analysed. The engine is the same for the
 * technician at the bench (prompts, live readings), for scripts and CI
 * (--batch), for `caldaq replay` and for `caldaq demo`: only the ses_ui
 * differs. Private to daq/. */
#ifndef CALDAQ_SESSION_H
#define CALDAQ_SESSION_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "analysis.h"
#include "drv.h"
#include "messages.h"
#include "prof.h"
#include "run.h"

/* Exit status of `caldaq session`, `replay` and `demo` (documented in
 * their --help). */
enum ses_status {
    SES_COMPLETE = 0,       /* every point done (or skipped); verdict printed and stored */
    SES_BAD_INPUT = 1,      /* profile, register, run file or a standard past its due date */
    SES_USAGE = 2,          /* the command line */
    SES_ABORTED = 3,        /* the technician stopped, or Ctrl-C */
    SES_INSTRUMENT = 4,     /* the instrument could not be opened, or failed mid-session;
                             * or the run file could not be written (a full disk): see
                             * ses_outcome.run_not_written */
};

/* Notes longer than this many bytes are cut, at a character boundary, to
 * fit an audit entry of the run. */
#define SES_NOTE_MAX 180

struct ses_config {
    const char *profile_path;     /* a new session; NULL when resuming */
    const char *resume_path;      /* resume this run instead */
    const char *standards_path;   /* NULL: the profile's register */
    const char *driver;           /* NULL: the family's (balance mtsics, dmm scpi, pressure modbus) */
    const char *port;
    const char *serial;           /* NULL: the driver's default */
    const char *const *driver_opts;
    const char *out_dir;          /* where a new run file goes */
    const char *dut_serial;       /* the item's serial as the customer states it */
    const char *operator_name;
    const char *lab;
    double env[3];                /* temp_c, rh_pct, p_hpa; NAN: not measured */
    bool have_env;
    const char *sim_control;      /* ask a simulator to present each load (batch, demo) */
    int stable_timeout_ms;        /* 0: 30000 */
    const char *today;            /* YYYY-MM-DD for the due-date check; NULL: today in
                                     CD_ZONE_DEFAULT (cd_today); the CLI passes the lab's */
    enum lang lang;               /* of what the engine says through ui->say */
    /* the lab writes Vietnamese numbers with a decimal point (LAB.yaml
     * decimal_separator: point); the comma otherwise (docs/i18n.md) */
    bool vi_decimal_point;
    /* the reference instrument, for a profile whose reference is read by
     * one (issue 16): its port, driver (NULL: the profile's), serial
     * settings (NULL: the driver's) and driver options KEY=VALUE */
    const char *ref_port;
    const char *ref_driver;
    const char *ref_serial;
    const char *const *ref_opts;
    const char *ref_sim_control;  /* batch, tests: the reference simulator's control socket */
    /* batch: the file of readings read by eye and checklist answers
     * (the CLI opens it into ses_term.typed); NULL: none */
    const char *typed_path;
    const char *records;          /* the lab's records (a file or postgresql:// URL; NULL:
                                     none): the run is recorded there when it ends */
    /* a source caldaq sets and waits on before each point (issue 19,
     * docs/sources.md): its port (NULL: the points are set by hand), its
     * driver (NULL: the profile's source: driver), serial settings and
     * driver options KEY=VALUE; and, for tests and impatient benches, the
     * profile's stable_for_s and timeout_s replaced (0: the profile's),
     * the source read every poll_ms (0: 500) */
    const char *source_port;
    const char *source_driver;
    const char *source_serial;
    const char *const *source_opts;
    double source_stable_s;
    double source_timeout_s;
    int source_poll_ms;
    /* replay (ses_replay): the clock of the source's set-and-wait, the
     * recorded time of the source trace's last reply; NULL: the live
     * session's own recorder (docs/sources.md, "Recorded and replayed") */
    double (*source_clock)(void *ctx);
    void *source_clock_ctx;
};

struct ses_ui;

/* Where a source is on its way to a point (ses_ui.source_wait). */
#define SES_TREND_MAX 8
struct ses_source_wait {
    double setpoint;              /* the nominal the source was set to */
    double actual;                /* as last read */
    char actual_text[64];         /* ... as the source wrote it */
    char unit[16];                /* the profile's */
    double band;                  /* +- band around the set point */
    double stable_for_s;          /* how long it must stay inside */
    double stable_s;              /* how long it has been inside (0 when outside) */
    double elapsed_s, timeout_s;
    double trend[SES_TREND_MAX];  /* the last values read, oldest first */
    size_t n_trend;
    bool done;                    /* the last call for the point: stable */
    /* the wait watches the reference instrument (a session with one):
     * stable_s is then how long its readings have stayed within a
     * +-band window, the source's own actual within +-band of the set
     * point besides; false: the source's own reading decides */
    bool on_reference;
    double ref_value;             /* the reference's last reading (NAN: none valid) */
    char ref_text[64];            /* ... as the instrument displayed it */
    char ref_unit[16];
};

/* The clock a set-and-wait decides on: `now` gives seconds on any fixed
 * base; NULL `now`: the monotonic clock. */
struct ses_clock {
    double (*now)(void *ctx);
    void *ctx;
};

/* Set `dev` (a source) to the point's nominal and wait until its actual
 * value has stayed within +-band for stable_for_s (every wait bounded by
 * timeout_s), reading it every poll_ms and telling `ui->source_wait`.
 * With `ref` (the reference instrument, may be NULL) read after the
 * source at every poll, stability is the reference's: its readings have
 * stayed within a window +-band wide for stable_for_s, and the source's
 * actual is within +-band of the set point. Time is `clock` read after
 * each source reading (elapsed from the first).
 * CD_ERR_TIMEOUT naming the point, the set point and the last actual
 * value when it does not settle; CD_ERR_INVALID "stopped by the operator"
 * when *interrupted becomes set. *w holds where it got. */
int ses_source_settle(drv_dev *dev, drv_dev *ref, const struct ses_clock *clock,
                      const struct prof_profile *p, const struct prof_plan_point *pt,
                      double band, double stable_for_s, double timeout_s, int poll_ms,
                      const struct ses_ui *ui, const volatile int *interrupted,
                      struct ses_source_wait *w, struct cd_err *err);
/* The trend of w as a sparkline of block characters (UTF-8) in buf. */
void ses_trend_text(const struct ses_source_wait *w, char *buf, size_t cap);

enum ses_action {
    SES_GO,                       /* measure the point / go on */
    SES_SKIP,                     /* leave the point out (recorded) */
    SES_REPEAT,                   /* measure the point again */
    SES_ABORT,                    /* stop the session */
    SES_NOTE,                     /* after a point: save the note, then ask again */
};

/* What the engine has made safe on disk (journalled) at the operator's
 * word: only then is the technician told (ses_ui.recorded). */
enum ses_record {
    SES_REC_SKIPPED,              /* the point is left out, in the run's log */
    SES_REC_NOTE,                 /* the note is in the run's log */
    SES_REC_NOTE_CUT,             /* ... cut to SES_NOTE_MAX bytes */
    SES_REC_TYPED,                /* a typed reading is in the run (journalled) */
    SES_REC_CHECK,                /* a checklist answer is in the run */
};

struct ses_ui {
    void *ctx;
    /* Before point `pt` (index pt->index of n): say what to do, wait for
     * the technician. `remaining` readings are still to take (fewer than
     * pt->repeat when a resumed point was half done). */
    enum ses_action (*before_point)(void *ctx, const struct prof_profile *p,
                                    const struct prof_plan_point *pt, unsigned remaining);
    /* Every reading as it arrives; `counted` when it is one of the point's
     * readings (stable), otherwise one seen while settling. */
    void (*reading)(void *ctx, const struct prof_profile *p, const struct drv_reading *r,
                    bool counted);
    /* The point is safe on disk. SES_GO, SES_REPEAT or SES_ABORT; or
     * SES_NOTE with a note for the run's log in `note`: the engine saves
     * it, says so through `recorded`, and calls after_point again. */
    enum ses_action (*after_point)(void *ctx, const struct prof_profile *p,
                                   const struct prof_plan_point *pt, size_t saved,
                                   const char *run_path, char *note, size_t cap);
    /* Lines for the technician (instrument identity, standards, ...). */
    void (*say)(void *ctx, const char *text);
    /* The operator's skip or note is safe on disk (may be NULL): a screen
     * that says "saved" says it here, never before. */
    void (*recorded)(void *ctx, enum ses_record what);
    /* Ask for the environmental conditions at `where` ("start", "end",
     * "point") when neither --env nor a sensor gives them: 0 with env[]
     * (temp_c, rh_pct, p_hpa, NAN where not given), -1 for "not measured".
     * NULL: never asked (batch). */
    int (*ask_env)(void *ctx, const char *where, double env[3]);
    /* A reading read by eye (issue 16): the text as the technician typed
     * it into `text`, for `what` ("áp kế") at `pt`. `why` is NULL the
     * first time, else the reason the last entry was refused (say it, ask
     * again). SES_GO or SES_ABORT. NULL: the profile cannot be run. */
    enum ses_action (*ask_typed)(void *ctx, const struct prof_profile *p,
                                 const struct prof_plan_point *pt, const char *what,
                                 const char *why, char *text, size_t cap);
    /* A typed value far from the nominal (`why` says how far): true to keep
     * it, false to type it again. NULL: never kept. */
    bool (*confirm_typed)(void *ctx, const char *why);
    /* A checklist item of a verification: the answer as typed (đạt /
     * không đạt, judged by ses_check_answer) into `text`; `why` as for
     * ask_typed. SES_GO or SES_ABORT. */
    enum ses_action (*ask_check)(void *ctx, const struct prof_check *c, const char *why,
                                 char *text, size_t cap);
    /* A source is on its way to point `pt` (issue 19): called after each
     * reading of it, the last time with w->done. NULL: nothing shown. */
    void (*source_wait)(void *ctx, const struct prof_profile *p, const struct prof_plan_point *pt,
                        const struct ses_source_wait *w);
};

struct ses_outcome {
    enum ses_status status;
    char run_path[4096];          /* "" when no run file was made */
    size_t point;                 /* the point being measured when it stopped */
    struct cd_err err;            /* what went wrong */
    /* SES_INSTRUMENT because the run store failed (the disk is full or
     * failing), not the instrument: the last snapshot holds every finished
     * point and the run can be resumed once the disk has room */
    bool run_not_written;
    /* SES_INSTRUMENT with the run complete on disk but its results not
     * stored (`caldaq analyze RUN --write` stores them) */
    bool results_not_stored;
    /* SES_INSTRUMENT because the source did not settle at the point (its
     * safe state taken, the run resumable) */
    bool source_not_settled;
    struct ana_file analysis;     /* when complete: the results, stored as a version */
};

/* Run a session. Always fills *out; returns out->status. */
enum ses_status ses_run(const struct ses_config *c, const struct ses_ui *ui,
                        volatile int *interrupted, struct ses_outcome *out);
void ses_outcome_free(struct ses_outcome *o);

/* Run the session against a recorded trace that plays the instrument: the
 * trace's driver (unless c names one) and serial settings; c->port is set
 * to the pty or loopback port the trace is played on (valid during the
 * call only). With `ref_t` (RUN.h5.ref.trace, may be NULL) the reference
 * instrument's conversation is played too (c->ref_port), with `src_t`
 * (RUN.h5.source.trace) the source's (c->source_port; its recorded reply
 * times are the set-and-wait's clock). A divergence from any trace is the
 * outcome's error, with the trace line. 0 when the session ran (its end in *o); an error when the
 * replay could not be set up. */
int ses_replay(const struct drv_trace *t, const struct drv_trace *ref_t,
               const struct drv_trace *src_t, struct ses_config *c, const struct ses_ui *ui,
               bool fast, struct ses_outcome *o, struct cd_err *err);

/* The technician's instruction for a point, in `lang`: "Đặt quả cân 200 g
 * lên đĩa cân", "Raise the pressure to 10 bar (increasing)", ...; in
 * Vietnamese with the decimal sign `vi_sep` (docs/i18n.md). */
void ses_instruction(enum lang lang, enum cd_decsep vi_sep, const struct prof_profile *p,
                     const struct prof_plan_point *pt, unsigned reading, char *buf, size_t cap);

/* What the technician reads on the item's side (reference false) or the
 * reference's: the profile's label in `lang` ("áp kế"), else a generic
 * word. */
const char *ses_side_label(enum lang lang, const struct prof_profile *p, bool reference);

/* The decimal sign of a Vietnamese screen: the comma, or the point when
 * the lab says so. */
static inline enum cd_decsep ses_vi_sep(bool vi_decimal_point)
{
    return vi_decimal_point ? CD_DECSEP_POINT : CD_DECSEP_COMMA;
}

/* The verdict table in `lang` (nominal, indication, error, U, MPE, verdict)
 * and the overall verdict; in Vietnamese with the decimal sign `vi_sep`. */
void ses_print_results(FILE *f, enum lang lang, enum cd_decsep vi_sep, const struct ana_file *a);

/* Ask the simulator listening on the control socket `path` to present
 * `load` (caldaq sim --control). */
int ses_present_load(const char *path, double load, struct cd_err *err);
/* Now as ISO 8601 with the local offset, 2026-11-22T09:30:00+07:00. */
void ses_now_iso(char *buf, size_t cap);
/* The register a profile uses (`standards_path`, else the profile's own;
 * *reg_out NULL when neither), with every named standard checked on
 * `today` (NULL: today): present, right kind, in date, certifying the
 * plan's loads. */
int ses_load_standards(const char *standards_path, const struct prof_profile *p,
                       const char *today, prof_standards **reg_out, struct cd_err *err);
/* Record the profile's standards in the run: the reference's certified
 * items one row each, every other standard one row. */
int ses_record_standards(daq_run *run, const struct prof_profile *p, const prof_standards *reg,
                         struct cd_err *err);

/* ---- typed readings and checklists (typed.c) ---- */

/* The value of `text` as typed for `side` of a profile working in `unit`:
 * digits with a decimal point or a decimal comma ("10,2" and "10.2" are
 * 10.2), an optional sign, blanks around ignored; no more decimals than
 * the side's resolution (or `resolution` when the side gives none) allows,
 * on its steps; inside the side's range. 0, or -1 with the reason in `l`
 * in `why`. */
int ses_typed_value(enum lang l, const struct prof_side *side, double resolution,
                    const char *unit, const char *text, double *value, char *why, size_t cap);
/* Whether `value` is so far from `nominal` (more than the side's
 * confirm_beyond_mpe times `mpe`) that the technician must confirm it;
 * `why` then says so in `l`. */
bool ses_typed_far(enum lang l, const struct prof_side *side, double value, double nominal,
                   double mpe, const char *unit, char *why, size_t cap);
/* One line of a --typed file: "NOMINAL,VALUE AS TYPED[,confirm]" or
 * "CHECK-ID,ANSWER", split at the first comma (the value keeps a decimal
 * comma: "10,10,2" is 10,2 at point 10). 1 with key and value, 0 for a
 * blank or comment (#) line, -1 for a line that is neither (no comma,
 * nothing before it, a field too long). */
int ses_typed_line(const char *line, char *key, size_t kcap, char *value, size_t vcap,
                   bool *confirm);
/* A checklist answer: 1 for đạt (d, dat, đạt, pass, p, y, 1), 0 for không
 * đạt (k, khong dat, không đạt, fail, f, n, 0), -1 for anything else. */
int ses_check_answer(const char *text);

/* The driver a family uses when none is named. */
const char *ses_default_driver(enum prof_family family);

/* ---- the terminal and batch faces of a session ---- */

struct ses_term {
    enum lang lang;
    bool vi_decimal_point;      /* as ses_config's: the point on a Vietnamese screen */
    FILE *in;                   /* the technician's answers */
    FILE *out;                  /* prompts, readings, the verdict table */
    size_t last_point;          /* batch: the point last announced, + 1 */
    bool noted;                 /* terminal: a note was just saved; the menu comes again */
    int live_width;             /* terminal: characters on the live reading line now */
    /* set by the caller's Ctrl-C handler: a question being asked ends as
     * an abort (NULL: never) */
    const volatile int *interrupted;
    /* batch: readings read by eye, one a line "NOMINAL,VALUE AS TYPED"
     * (",confirm" after it keeps a value far from the nominal), and
     * checklist answers "CHECK-ID,ANSWER" (--typed FILE); NULL: none */
    FILE *typed;
    const char *typed_path;
    int typed_line;
    bool typed_confirm;         /* the line just given ended with ",confirm" */
    char last_typed[160];       /* terminal: what the last typed entry said, for "saved" */
};

/* The command that resumes `run` with the session's own options (port,
 * driver, serial, standards, --set options), quoted for a shell. */
void ses_resume_command(const struct ses_config *c, const char *run, char *buf, size_t cap);

/* Prompts with Enter / s(kip) / a(bort) before each point; after it,
 * Enter / r(epeat) / n(ote) / a(bort); a live reading while it settles. */
void ses_ui_terminal(struct ses_term *t, struct ses_ui *ui);
/* No questions: one line per point and its readings. */
void ses_ui_batch(struct ses_term *t, struct ses_ui *ui);
/* Tell the technician how it ended (verdict table, or what to do next);
 * `who` is the command ("session", "replay", "demo": only a session is
 * told how to resume). Returns the exit status. */
int ses_report(struct ses_term *t, const struct ses_config *c, const struct ses_outcome *o,
               const char *who);

/* ---- acquisition with no prompts (`caldaq acquire`) ---- */

struct ses_acquire {
    const char *driver, *port, *serial;
    const char *const *opts;    /* driver options KEY=VALUE, NULL-terminated */
    size_t n_opts;
    const char *out_dir, *operator_name, *lab;
    const char *sim_control;    /* present each load through this simulator socket */
    const char *profile_path;   /* walk this profile's plan; NULL: points */
    const char *standards_path; /* with a profile: the register (NULL: its own) */
    const char *today;          /* YYYY-MM-DD for the due dates (NULL: cd_today()) */
    const double *points;       /* without a profile: nominal values ... */
    size_t n_points;
    unsigned long long repeat;  /* ... each read this many times */
    bool stable;                /* wait for a stable reading each time */
    double env[3];              /* temp_c, rh_pct, p_hpa (NAN: not given) */
    bool have_env;              /* recorded at the start and the end */
    /* set by the caller's signal handler: the run ends as aborted */
    const volatile sig_atomic_t *interrupted;
    /* told once each point is safe on disk (may be NULL) */
    void (*on_point)(void *ctx, size_t point, double nominal, unsigned long long readings);
    void *ctx;
};

struct ses_acquire_result {
    bool created;               /* a run file exists at path */
    char path[4096];
    const char *end;            /* "complete" or "aborted"; "in-progress" when the close
                                 * failed (the last snapshot says so) */
    struct cd_err close_err;    /* closing the run failed (code 0: it did not) */
};

/* Read the points into a new run file in a->out_dir. Errors before the run
 * exists leave no file; after, the run is closed as aborted with the error
 * in its audit log. */
int ses_acquire_run(const struct ses_acquire *a, struct ses_acquire_result *res,
                    struct cd_err *err);

#endif
