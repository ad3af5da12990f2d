/* The session engine (session.h): profile and standards checked, run file
 * made (or resumed), instrument opened and identified, the plan walked
 * point by point through the UI's callbacks, every finished point made
 * safe on disk, and at the end the analysis stored in the run. */
#include "session.h"

#include "cd_i18n.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cd_i18n.h"
#include "records.h"
#include "cd_i18n.h"


#ifndef CALDAQ_VERSION
#define CALDAQ_VERSION "0.1.0"
#endif

const char *ses_default_driver(enum prof_family family)
{
    switch (family) {
    case PROF_FAMILY_BALANCE:
        return "mtsics";
    case PROF_FAMILY_DMM:
        return "scpi";
    case PROF_FAMILY_PRESSURE:
        return "modbus";
    default: /* temperature: thermometer readouts come with issue 19 */
        return NULL;
    }
}

/* ------------------------------------------------------------ texts */

static void fmt_value(double v, char *buf, size_t cap)
{
    snprintf(buf, cap, "%.10g", v);
}

const char *ses_side_label(enum lang lang, const struct prof_profile *p, bool reference)
{
    const struct prof_side *side = reference ? &p->ref : &p->item;
    const char *label = lang == LANG_VI ? side->label_vi : side->label_en;
    if (label != NULL && label[0] != '\0')
        return label;
    return msg_text(lang, reference ? M_REF_DEFAULT : M_ITEM_DEFAULT);
}

void ses_instruction(enum lang lang, enum cd_decsep vi_sep, const struct prof_profile *p,
                     const struct prof_plan_point *pt, unsigned reading, char *buf, size_t cap)
{
    char v[48], range[48];
    fmt_value(pt->nominal, v, sizeof v);
    fmt_value(pt->range, range, sizeof range);
    if (p->comparison == PROF_METHOD_SET_ITEM && pt->nominal != 0) {
        /* the item is brought to the nominal (a dial's pointer on its mark),
         * the reference read */
        snprintf(buf, cap, msg_text(lang, M_SET_ITEM), ses_side_label(lang, p, false), v,
                 prof_reference_unit(p));
        return;
    }
    if (p->family == PROF_FAMILY_TEMPERATURE) {
        snprintf(buf, cap, msg_text(lang, M_BATH), v, prof_reference_unit(p));
        return;
    }
    switch (p->family) {
    case PROF_FAMILY_BALANCE:
        if (pt->test == PROF_TEST_REPEATABILITY) {
            snprintf(buf, cap, msg_text(lang, M_REPEAT_LOAD), v, p->unit, reading, pt->repeat);
        } else if (pt->test == PROF_TEST_ECCENTRICITY) {
            snprintf(buf, cap, msg_text(lang, M_ECC_POSITION), v, p->unit,
                     msg_position(lang, pt->position));
        } else if (pt->nominal == 0) {
            snprintf(buf, cap, "%s", msg_text(lang, M_REMOVE_LOAD));
        } else if (pt->n_weights > 1) {
            char pieces[256] = "";
            for (size_t i = 0; i < pt->n_weights; i++) {
                size_t len = strlen(pieces);
                snprintf(pieces + len, sizeof pieces - len, "%s%.10g %s", i ? " + " : "",
                         pt->weights[i], p->unit);
            }
            snprintf(buf, cap, msg_text(lang, M_PLACE_PIECES), v, p->unit, pieces);
        } else {
            snprintf(buf, cap, msg_text(lang, M_PLACE_LOAD), v, p->unit);
        }
        break;
    case PROF_FAMILY_PRESSURE:
        if (pt->nominal == 0)
            snprintf(buf, cap, "%s", msg_text(lang, M_VENT));
        else
            snprintf(buf, cap,
                     msg_text(lang, pt->direction == PROF_DIR_DOWN ? M_PRESSURE_DOWN
                                                                    : M_PRESSURE_UP),
                     v, p->unit);
        break;
    default:
        snprintf(buf, cap, msg_text(lang, M_SET_CALIBRATOR), v, p->unit, range, p->unit);
        break;
    }
    /* Vietnamese writes 0,5 bar (docs/i18n.md) */
    if (lang == LANG_VI)
        cd_decimal_sep(buf, vi_sep);
}

static enum msg verdict_word(enum unc_verdict v)
{
    switch (v) {
    case UNC_PASS:
        return M_PASS;
    case UNC_CONDITIONAL_PASS:
        return M_CONDITIONAL_PASS;
    case UNC_CONDITIONAL_FAIL:
        return M_CONDITIONAL_FAIL;
    default:
        return M_FAIL;
    }
}

static enum msg verdict_msg(const struct ana_result *r)
{
    return r->complete ? verdict_word(r->verdict) : M_INCOMPLETE;
}

static enum msg point_msg(const struct ana_point *pt)
{
    return pt->measured ? verdict_word(pt->decision.verdict) : M_NOT_MEASURED;
}

void ses_print_results(FILE *f, enum lang lang, enum cd_decsep vi_sep, const struct ana_file *a)
{
    const struct ana_result *r = a->result;
    const struct prof_profile *p = a->profile;
    fputc('\n', f);
    msg_pad(f, msg_text(lang, M_COL_NOMINAL), 14, 1);
    fputc(' ', f);
    msg_pad(f, msg_text(lang, M_COL_MEAN), 16, 1);
    fputc(' ', f);
    msg_pad(f, msg_text(lang, M_COL_ERROR), 12, 1);
    fprintf(f, " %11s %6s %11s  %s\n", "U", "k", "MPE", msg_text(lang, M_COL_VERDICT));
    for (size_t i = 0; i < r->n_points; i++) {
        const struct ana_point *pt = &r->points[i];
        char nominal[40];
        snprintf(nominal, sizeof nominal, "%.10g %s", pt->nominal, prof_reference_unit(p));
        double mpe = fmax(fabs(pt->low), fabs(pt->high));
        char line[256];
        if (pt->measured)
            snprintf(line, sizeof line, "%14s %16.10g %12.4g %11.4g %6.3f %11.4g  %s\n", nominal,
                     pt->stats[PROF_STAT_MEAN], pt->error, pt->U, pt->k, mpe,
                     msg_text(lang, point_msg(pt)));
        else
            snprintf(line, sizeof line, "%14s %16s %12s %11s %6s %11.4g  %s\n", nominal, "-", "-",
                     "-", "-", mpe, msg_text(lang, M_NOT_MEASURED));
        fputs(lang == LANG_VI ? cd_decimal_sep(line, vi_sep) : line, f);
    }
    fprintf(f, msg_text(lang, M_VERDICT), msg_text(lang, verdict_msg(r)));
}

/* ------------------------------------------------------------ the run */

struct session {
    const struct ses_config *c;
    const struct ses_ui *ui;
    const volatile int *interrupted;
    struct ses_outcome *out;
    struct prof_profile *p;
    daq_run *run;
    drv_dev *dev;               /* the item's instrument; NULL when it is read by eye */
    drv_dev *ref_dev;           /* the reference's instrument; NULL unless it is read by one */
    drv_dev *src_dev;           /* the source set before each point (issue 19); NULL: by hand */
    /* the reference instrument's conversation when the item's instrument
     * has the run's trace: RUN.h5.ref.trace beside the run */
    struct drv_trace_writer *ref_tw;
    char ref_trace_path[4200];
    /* the source's conversation (issue 19): RUN.h5.source.trace beside
     * the run; its replies' times are the clock of the set-and-wait */
    struct drv_trace_writer *src_tw;
    char src_trace_path[4200];
    bool item_instr, item_typed, ref_instr, ref_typed;
    unsigned *have;             /* readings per point so far (of every side read) */
    unsigned *have_item, *have_ref; /* per side, while counting a resumed run */
    bool *checked;              /* verification: checks answered (a resumed run's too) */
    char cycle_name[256];       /* verification: the instrument type's cycle, for the screen */
    int cycle_months;
    const char *who;
    /* the device as opened: the options the session added to the user's */
    double range, band;         /* NAN when not set by the session */
    bool flag;                  /* the instrument reports stability itself */
    /* a resumed run: the driver and serial settings it was measured with */
    char rec_driver[32], rec_serial[64];
    /* a call into the run store failed: the session stopped because the run
     * file could not be written (a full disk), whatever the error code */
    bool store_failed;
    /* nothing written yet (daq_run_create_begin or daq_run_resume_begin):
     * the checks, the instrument, then the first checkpoint writes it */
    bool pending;
    /* a resumed run that records no reference standards although its
     * profile names them: interrupted before they were saved (by a caldaq
     * that saved them only with the first finished point) */
    bool lacks_standards;
};

/* The result `rc` of a call into the run store, noted when it failed: a
 * failure to write the run is not the instrument's, and the technician is
 * told to make room on the disk rather than to check the cable. */
static int stored(struct session *s, int rc)
{
    if (rc != 0)
        s->store_failed = true;
    return rc;
}

static bool user_sets(const struct ses_config *c, const char *key)
{
    size_t len = strlen(key);
    for (const char *const *o = c->driver_opts; o != NULL && *o != NULL; o++)
        if (strncmp(*o, key, len) == 0 && (*o)[len] == '=')
            return true;
    return false;
}

/* What the point needs of the device that the user did not fix: the DMM
 * range of its group, and for instruments without a stability flag a
 * stability band (the display of a meter in exponent form implies no step
 * of its own): a tenth of the MPE at the point, at least two resolution
 * steps; a reading steadier than that is steady for the verdict. */
static void wanted(const struct session *s, const struct prof_plan_point *pt, double *range,
                   double *band)
{
    *range = s->p->family == PROF_FAMILY_DMM && isfinite(pt->range) && !user_sets(s->c, "range")
                 ? pt->range
                 : NAN;
    double low, high;
    struct cd_err ignore = {0};
    double mpe = prof_point_limits(s->p, pt, &low, &high, &ignore) == 0
                     ? fmax(fabs(low), fabs(high))
                     : 0;
    *band = !s->flag && pt->resolution > 0 && !user_sets(s->c, "stable_band")
                ? fmax(2 * pt->resolution, mpe / 10)
                : NAN;
}

static const char *driver_of(const struct session *s)
{
    return s->c->driver != NULL  ? s->c->driver
           : s->rec_driver[0]    ? s->rec_driver
           : s->p->item.driver != NULL && s->p->item.driver[0] ? s->p->item.driver
                                 : ses_default_driver(s->p->family);
}

/* The source's wait, the profile's unless the session replaces it. */
static double source_stable_s(const struct session *s)
{
    return s->c->source_stable_s > 0 ? s->c->source_stable_s : s->p->set_source.stable_for_s;
}

static double source_timeout_s(const struct session *s)
{
    return s->c->source_timeout_s > 0 ? s->c->source_timeout_s : s->p->set_source.timeout_s;
}

static const char *serial_of(const struct session *s)
{
    return s->c->serial != NULL ? s->c->serial : s->rec_serial[0] ? s->rec_serial : NULL;
}

static int open_device(struct session *s, double range, double band, struct cd_err *err)
{
    const struct ses_config *c = s->c;
    const char *driver = driver_of(s);
    const char *opts[64];
    char extra[2][64];
    size_t n = 0;
    for (const char *const *o = c->driver_opts; o != NULL && *o != NULL && n < 60; o++)
        opts[n++] = *o;
    if (isfinite(range)) {
        snprintf(extra[0], sizeof extra[0], "range=%.10g", range);
        opts[n++] = extra[0];
    }
    if (isfinite(band)) {
        snprintf(extra[1], sizeof extra[1], "stable_band=%.10g", band);
        opts[n++] = extra[1];
    }
    opts[n] = NULL;
    drv_close(s->dev);
    s->dev = NULL;
    int rc = drv_open(driver, c->port, serial_of(s), opts, daq_run_trace_writer(s->run), &s->dev,
                      err);
    if (rc == 0) {
        s->range = range;
        s->band = band;
        s->flag = drv_has_stability_flag(s->dev);
    }
    return rc;
}

/* Reopen the device when the point needs another range or band. */
static int fit_device(struct session *s, const struct prof_plan_point *pt, struct cd_err *err)
{
    double range, band;
    wanted(s, pt, &range, &band);
    bool same = (isnan(range) ? isnan(s->range) : range == s->range) &&
                (isnan(band) ? isnan(s->band) : band == s->band);
    if (same)
        return 0;
    char what[160];
    snprintf(what, sizeof what, "instrument set up for test point %zu: range %g, stability band %g",
             pt->index + 1, range, band);
    int rc = open_device(s, range, band, err);
    return rc == 0 ? stored(s, daq_run_audit(s->run, s->who, what, err)) : rc;
}

static void say(struct session *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void say(struct session *s, const char *fmt, ...)
{
    if (s->ui->say == NULL)
        return;
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    s->ui->say(s->ui->ctx, buf);
}

/* One channel of the profile's thermo-hygrometer: opened, read, closed.
 * Its bytes are not in the run's trace, which is the instrument's own
 * conversation (a replay plays it back). */
static int read_sensor(const struct prof_environment *e, const char *const *opts, double *v,
                       struct cd_err *err)
{
    drv_dev *d = NULL;
    struct drv_reading r;
    int rc = drv_open("modbus", e->port, e->serial[0] ? e->serial : NULL, opts, NULL, &d, err);
    if (rc == 0)
        rc = drv_read(d, &r, err);
    drv_close(d);
    if (rc == 0 && !isfinite(r.value))
        rc = cd_fail(err, CD_ERR_DEVICE, "%s", drv_status_name(r.status));
    *v = rc == 0 ? r.value : NAN;
    return rc;
}

/* The conditions at `where`: --env, else the profile's sensor, else asked
 * at the bench; nothing recorded when none gives them ("not measured"). */
static int record_env(struct session *s, const char *where, struct cd_err *err)
{
    struct daq_env e = {.temp_c = NAN, .rh_pct = NAN, .p_hpa = NAN};
    const struct prof_environment *pe = &s->p->environment;
    bool have = false;
    if (s->c->have_env) {
        e.temp_c = s->c->env[0];
        e.rh_pct = s->c->env[1];
        e.p_hpa = s->c->env[2];
        have = true;
    } else if (pe->sensor) {
        struct cd_err why = {0};
        if (read_sensor(pe, pe->temperature, &e.temp_c, &why) == 0 &&
            read_sensor(pe, pe->humidity, &e.rh_pct, &why) == 0) {
            have = true;
        } else {
            say(s, msg_text(s->c->lang, M_SENSOR_FAILED), why.msg);
            char what[CD_ERR_MSG_MAX + 64];
            snprintf(what, sizeof what, "thermo-hygrometer failed at %s: %s", where, why.msg);
            int rc = stored(s, daq_run_audit(s->run, s->who, what, err));
            if (rc != 0)
                return rc;
        }
    } else if (s->ui->ask_env != NULL) {
        double env[3];
        int asked = s->ui->ask_env(s->ui->ctx, where, env);
        if (asked == -2 || *s->interrupted)
            return cd_fail(err, CD_ERR_CANCELLED, _("stopped by the operator"));
        if (asked == 0) {
            e.temp_c = env[0];
            e.rh_pct = env[1];
            e.p_hpa = env[2];
            have = true;
        }
    }
    if (!have)
        return 0;
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    e.t = (double)now.tv_sec + 1e-9 * (double)now.tv_nsec;
    snprintf(e.where, sizeof e.where, "%s", where);
    if (strcmp(where, "start") == 0) {
        char env[128];
        snprintf(env, sizeof env, msg_text(s->c->lang, M_ENV), e.temp_c, e.rh_pct);
        say(s, "%s", s->c->lang == LANG_VI ? cd_decimal_sep(env, ses_vi_sep(s->c->vi_decimal_point)) : env);
    }
    return stored(s, daq_run_add_env(s->run, &e, err));
}

/* A new run file in the output directory, with the standards recorded. */
static int new_run(struct session *s, const prof_standards *reg, struct cd_err *err)
{
    const struct ses_config *c = s->c;
    struct daq_run_info info = {0};
    ses_now_iso(info.started, sizeof info.started);
    snprintf(info.operator_name, sizeof info.operator_name, "%s", s->who);
    snprintf(info.lab, sizeof info.lab, "%s", c->lab != NULL ? c->lab : "");
    snprintf(info.profile_name, sizeof info.profile_name, "%s", s->p->name);
    snprintf(info.caldaq_version, sizeof info.caldaq_version, "%s", CALDAQ_VERSION);
    char stamp[32];
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
    snprintf(s->out->run_path, sizeof s->out->run_path, "%s/%s-%s-%d.h5",
             c->out_dir != NULL ? c->out_dir : ".", s->p->name, stamp, (int)getpid());
    /* Nothing on disk until the instrument has answered: the first snapshot
     * then holds the profile, the standards and the device. */
    int rc = stored(s, daq_run_create_begin(s->out->run_path, &info, s->p->text, &s->run, err));
    if (rc != 0)
        s->out->run_path[0] = '\0'; /* none was made */
    s->pending = rc == 0;
    if (rc == 0)
        rc = stored(s, ses_record_standards(s->run, s->p, reg, err));
    return rc;
}

/* Ask an instrument who it is (one that cannot say is no error) and tell
 * the technician with `said`. */
static int identify(struct session *s, drv_dev *d, enum msg said, struct drv_identity *id,
                    struct cd_err *err)
{
    int rc = drv_identify(d, id, err);
    if (rc == CD_ERR_UNSUPPORTED) {
        cd_err_clear(err);
        rc = 0;
    }
    if (rc == 0)
        say(s, msg_text(s->c->lang, said), id->manufacturer, id->model,
            id->serial[0] ? id->serial : "-");
    return rc;
}

/* Open and identify the reference instrument (issue 16): on the run's
 * trace when the item is read by eye (the run's device is then the
 * reference's), else on its own trace file beside the run. */
static int open_reference(struct session *s, bool resumed, struct cd_err *err)
{
    const struct ses_config *c = s->c;
    const struct daq_device *recorded = daq_run_get_device(s->run);
    bool on_run_trace = !s->item_instr;
    const char *driver = c->ref_driver != NULL      ? c->ref_driver
                         : on_run_trace && recorded->driver[0] ? recorded->driver
                         : s->p->ref.driver[0]       ? s->p->ref.driver
                                                     : ses_default_driver(s->p->family);
    const char *serial = c->ref_serial != NULL ? c->ref_serial
                         : on_run_trace && recorded->settings[0] ? recorded->settings
                                                                  : NULL;
    if (c->ref_port == NULL)
        return cd_fail(err, CD_ERR_INVALID,
                       _("profile %s reads the reference with an instrument: give its port with "
                       "--ref-port"),
                       s->p->name);
    if (driver == NULL)
        return cd_fail(err, CD_ERR_INVALID,
                       _("profile %s names no driver for the reference instrument: give one with "
                       "--ref-driver"),
                       s->p->name);
    const char *opts[64];
    size_t n = 0;
    for (const char *const *o = c->ref_opts; o != NULL && *o != NULL && n < 62; o++)
        opts[n++] = *o;
    opts[n] = NULL;
    struct drv_trace_writer *tw = daq_run_trace_writer(s->run);
    if (!on_run_trace) {
        struct drv_trace_header h = {0};
        snprintf(h.driver, sizeof h.driver, "%s", driver);
        snprintf(h.port, sizeof h.port, "%s", c->ref_port);
        snprintf(h.settings, sizeof h.settings, "%s", serial != NULL ? serial : "");
        snprintf(s->ref_trace_path, sizeof s->ref_trace_path, "%s.ref%s.trace", s->out->run_path,
                 resumed ? ".resumed" : "");
        s->ref_tw = drv_trace_writer_create(s->ref_trace_path, &h, err);
        if (s->ref_tw == NULL)
            return err->code != 0 ? err->code : CD_ERR_IO;
        tw = s->ref_tw;
    }
    int rc = drv_open(driver, c->ref_port, serial, opts, tw, &s->ref_dev, err);
    struct daq_device dev = {0};
    if (rc == 0)
        rc = identify(s, s->ref_dev, M_REF_INSTRUMENT, &dev.id, err);
    if (rc != 0)
        return rc;
    char what[512];
    snprintf(what, sizeof what, "reference instrument %.40s %.40s serial %.40s on %.100s (driver %.20s)%s%.200s",
             dev.id.manufacturer, dev.id.model, dev.id.serial[0] ? dev.id.serial : "-",
             c->ref_port, driver, on_run_trace ? "" : "; its conversation in ",
             on_run_trace ? "" : s->ref_trace_path);
    rc = stored(s, daq_run_audit(s->run, s->who, what, err));
    if (rc != 0 || !on_run_trace || (resumed && recorded->driver[0] != '\0'))
        return rc;
    snprintf(dev.driver, sizeof dev.driver, "%s", driver);
    snprintf(dev.port, sizeof dev.port, "%s", c->ref_port);
    snprintf(dev.settings, sizeof dev.settings, "%s", serial != NULL ? serial : "");
    snprintf(dev.side, sizeof dev.side, "%s", DAQ_SIDE_REFERENCE);
    return stored(s, daq_run_set_device(s->run, &dev, err));
}

/* Open and identify the instrument; for a new run record it. */
static int open_instrument(struct session *s, bool resumed, struct cd_err *err)
{
    const struct ses_config *c = s->c;
    if (!s->item_instr) {
        /* the item is read by eye: what the technician says of it */
        if (!resumed && c->dut_serial != NULL) {
            char what[512];
            snprintf(what, sizeof what, "item serial as stated: %s (read by eye: no interface)",
                     c->dut_serial);
            int rc = stored(s, daq_run_audit(s->run, s->who, what, err));
            if (rc != 0)
                return rc;
        }
        return s->ref_instr ? open_reference(s, resumed, err) : 0;
    }
    if (c->port == NULL)
        return cd_fail(err, CD_ERR_INVALID,
                       _("profile %s reads the item with its instrument: give its port with --port"),
                       s->p->name);
    const char *driver = driver_of(s);
    /* opened as the user said first: whether it reports stability decides
     * the rest; the first point's needs are met when it is measured */
    s->range = s->band = NAN;
    s->flag = true;
    int rc = open_device(s, NAN, NAN, err);
    struct daq_device dev = {0};
    if (rc == 0)
        rc = identify(s, s->dev, M_INSTRUMENT, &dev.id, err);
    if (rc != 0)
        return rc;
    char what[512]; /* an audit entry keeps 255 bytes: cut there if need be */
    if (resumed && daq_run_get_device(s->run)->driver[0] != '\0') {
        snprintf(what, sizeof what, "session resumed with instrument %s %s serial %s on %s",
                 dev.id.manufacturer, dev.id.model, dev.id.serial, c->port);
        return stored(s, daq_run_audit(s->run, s->who, what, err));
    }
    if (resumed) {
        /* A run interrupted before its first point was saved, by a caldaq
         * that saved the device only then: recorded now, said so. */
        snprintf(what, sizeof what,
                 "session resumed with instrument %s %s serial %s on %s; recorded as the "
                 "run's device, which the run lacked (interrupted before it was saved)",
                 dev.id.manufacturer, dev.id.model, dev.id.serial, c->port);
        int rc2 = stored(s, daq_run_audit(s->run, s->who, what, err));
        if (rc2 != 0)
            return rc2;
    }
    snprintf(dev.driver, sizeof dev.driver, "%s", driver);
    snprintf(dev.port, sizeof dev.port, "%s", c->port);
    snprintf(dev.settings, sizeof dev.settings, "%s", serial_of(s) != NULL ? serial_of(s) : "");
    rc = stored(s, daq_run_set_device(s->run, &dev, err));
    if (rc == 0 && c->dut_serial != NULL) {
        snprintf(what, sizeof what, "item serial as stated: %s (the instrument reports %s)",
                 c->dut_serial, dev.id.serial[0] ? dev.id.serial : "none");
        rc = stored(s, daq_run_audit(s->run, s->who, what, err));
    }
    if (rc == 0 && s->ref_instr)
        rc = open_reference(s, resumed, err);
    return rc;
}

/* The source the profile names (issue 19), on --source-port: opened,
 * identified, said and recorded in the run's log. Without --source-port
 * the points are set by hand, as before; --source-port for a profile
 * without a source: section is refused (no band to wait for). */
static int open_source(struct session *s, struct cd_err *err)
{
    const struct ses_config *c = s->c;
    const struct prof_source *ps = &s->p->set_source;
    if (c->source_port == NULL) {
        if (ps->given)
            say(s, msg_text(c->lang, M_SOURCE_MANUAL), ps->driver);
        return 0;
    }
    if (!ps->given)
        return cd_fail(err, CD_ERR_INVALID,
                       _("--source-port: profile %s names no source (a source: section with "
                       "driver and band, docs/profiles.md)"),
                       s->p->name);
    const char *driver = c->source_driver != NULL ? c->source_driver : ps->driver;
    /* every byte both ways recorded, so an unattended session replays */
    struct drv_trace_header h = {0};
    snprintf(h.driver, sizeof h.driver, "%s", driver);
    snprintf(h.port, sizeof h.port, "%s", c->source_port);
    snprintf(h.transport, sizeof h.transport, "%s",
             strncmp(c->source_port, "tcp:", 4) == 0 ? "tcp" : "serial");
    snprintf(h.settings, sizeof h.settings, "%s", c->source_serial != NULL ? c->source_serial : "");
    snprintf(s->src_trace_path, sizeof s->src_trace_path, "%s.source%s.trace", s->out->run_path,
             c->resume_path != NULL ? ".resumed" : "");
    s->src_tw = drv_trace_writer_create(s->src_trace_path, &h, err);
    if (s->src_tw == NULL)
        return err->code != 0 ? err->code : CD_ERR_IO;
    int rc = drv_open(driver, c->source_port, c->source_serial, c->source_opts, s->src_tw,
                      &s->src_dev, err);
    if (rc == 0 && !drv_is_source(s->src_dev))
        rc = cd_fail(err, CD_ERR_INVALID, _("--source-driver %s is not a source (pace, bath)"),
                     driver);
    struct drv_identity id;
    if (rc == 0)
        rc = identify(s, s->src_dev, M_SOURCE_INSTRUMENT, &id, err);
    if (rc != 0)
        return rc;
    char what[768];
    snprintf(what, sizeof what,
             "source %.40s %.40s serial %.40s on %.100s (driver %.20s): each point set and waited "
             "on within ±%g %s for %g s, timeout %g s",
             id.manufacturer, id.model, id.serial[0] ? id.serial : "-", c->source_port, driver,
             ps->band, s->p->unit, source_stable_s(s), source_timeout_s(s));
    rc = stored(s, daq_run_audit(s->run, s->who, what, err));
    if (rc != 0)
        return rc;
    snprintf(what, sizeof what, "source: stability judged on %s; its conversation in %.200s",
             s->ref_dev != NULL ? "the reference instrument's readings"
                                : "its own reading (no reference instrument)",
             s->src_trace_path);
    if (s->ref_dev == NULL)
        say(s, "%s\n", _("No reference instrument: the source's own reading decides when a point "
                         "is stable"));
    else
        say(s, "%s\n", _("The reference instrument's readings decide when a point is stable"));
    return stored(s, daq_run_audit(s->run, s->who, what, err));
}

/* The live set-and-wait's clock: the time of the source's last reply as
 * its trace records it, which a replay of that trace gives back. */
static double source_trace_clock(void *ctx)
{
    return drv_trace_writer_last_reply(ctx);
}

/* Set the source to the point and wait until it is there (issue 19);
 * the set point and the stability reached go to the run's log. */
static int source_step(struct session *s, const struct prof_plan_point *pt, struct cd_err *err)
{
    struct ses_source_wait w;
    const struct prof_source *ps = &s->p->set_source;
    struct ses_clock clock = {.now = s->c->source_clock, .ctx = s->c->source_clock_ctx};
    if (clock.now == NULL) {
        clock.now = source_trace_clock;
        clock.ctx = s->src_tw;
    }
    int rc = ses_source_settle(s->src_dev, s->ref_dev, &clock, s->p, pt, ps->band,
                               source_stable_s(s),
                               source_timeout_s(s), s->c->source_poll_ms, s->ui, s->interrupted,
                               &w, err);
    char what[400];
    if (rc == 0)
        snprintf(what, sizeof what,
                 "point %zu: source set to %.10g %s; within ±%g %s for %.1f s after %.1f s "
                 "(actual %s %s%s%.60s%s%.16s)",
                 pt->index + 1, pt->nominal, s->p->unit, ps->band, s->p->unit, w.stable_s,
                 w.elapsed_s, w.actual_text, s->p->unit,
                 w.on_reference ? "; the reference stable, last read " : "",
                 w.on_reference ? w.ref_text : "", w.on_reference ? " " : "",
                 w.on_reference ? w.ref_unit : "");
    else
        snprintf(what, sizeof what, "point %zu: source set to %.10g %s; not settled: %.250s",
                 pt->index + 1, pt->nominal, s->p->unit, err->msg);
    struct cd_err aerr = {0};
    int arc = stored(s, daq_run_audit(s->run, s->who, what, rc == 0 ? err : &aerr));
    if (rc == CD_ERR_TIMEOUT)
        s->out->source_not_settled = true;
    return rc != 0 ? rc : arc;
}

/* The end of a session with a source: its safe state, said, in the log. */
static void source_safe(struct session *s)
{
    char said[200];
    struct cd_err serr = {0};
    bool vent = strcmp(drv_dev_driver(s->src_dev), "pace") == 0;
    char what[320];
    if (drv_source_safe(s->src_dev, said, sizeof said, &serr) == 0) {
        char sp[48];
        fmt_value(s->p->points[s->out->point].nominal, sp, sizeof sp);
        if (vent)
            say(s, "%s", msg_text(s->c->lang, M_SOURCE_VENTED));
        else
            say(s, msg_text(s->c->lang, M_SOURCE_LEFT), sp, s->p->unit);
        snprintf(what, sizeof what, "source put in its safe state: %.200s", said);
    } else {
        snprintf(what, sizeof what, "source could not be put in its safe state: %.200s",
                 serr.msg);
        say(s, "%s\n", what);
    }
    if (s->run != NULL && !s->pending) {
        struct cd_err aerr = {0};
        daq_run_audit(s->run, s->who, what, &aerr);
    }
}

/* Unstable readings on the way to a stable one: stored, and shown. */
struct on_the_way {
    struct session *s;
    struct daq_reading template;
    int rc;
    struct cd_err err;
};

static bool seen(const struct drv_reading *r, void *ctx)
{
    struct on_the_way *w = ctx;
    if (w->s->ui->reading != NULL)
        w->s->ui->reading(w->s->ui->ctx, w->s->p, r, false);
    if (w->rc != 0)
        return false;
    struct daq_reading rd = w->template;
    rd.r = *r;
    rd.t = r->t;
    w->rc = daq_run_add_reading(w->s->run, &rd, &w->err);
    return w->rc == 0 && !*w->s->interrupted;
}

/* Copy `src` into `dst` (cap bytes with the NUL), cutting at a character
 * boundary of UTF-8 so that a long Vietnamese note stays valid text. */
static void utf8_copy(char *dst, size_t cap, const char *src)
{
    size_t n = strlen(src);
    if (n >= cap) {
        n = cap - 1;
        while (n > 0 && ((unsigned char)src[n] & 0xC0) == 0x80)
            n--;
    }
    memcpy(dst, src, n);
    dst[n] = '\0';
}

static bool instrument_fault(int code)
{
    return code == CD_ERR_TIMEOUT || code == CD_ERR_UNSTABLE || code == CD_ERR_DISCONNECTED ||
           code == CD_ERR_PROTOCOL || code == CD_ERR_DEVICE || code == CD_ERR_IO;
}

/* What a reading without a value means: an overloaded balance sends its
 * status and no number (MT-SICS "S +"), and "overload ()" told nobody
 * anything (issue 14). */
static const char *no_value_why(enum drv_status st)
{
    switch (st) {
    case DRV_STATUS_OVERLOAD: return _("the load is above the instrument's capacity");
    case DRV_STATUS_UNDERLOAD: return _("the load is below the instrument's range");
    case DRV_STATUS_ERROR: return _("the instrument reports an error");
    default: return _("the instrument sent no number");
    }
}

/* Whether the run is a calibration as caldaq made them before issue 16:
 * one instrument, the item's, and a certified reference. Its readings keep
 * an empty side, so such runs are written exactly as before. */
static bool classic(const struct session *s)
{
    return s->item_instr && !s->ref_instr && !s->ref_typed;
}

/* One stable reading of an instrument for `side`. */
static int read_instrument(struct session *s, drv_dev *dev, const char *side,
                           const struct prof_plan_point *pt, unsigned repetition,
                           struct cd_err *err)
{
    int timeout = s->c->stable_timeout_ms > 0 ? s->c->stable_timeout_ms : 30000;
    struct daq_reading rd = {.point = (int32_t)pt->index, .repetition = (int32_t)repetition,
                             .nominal = pt->nominal};
    snprintf(rd.role, sizeof rd.role, "%s", pt->role);
    snprintf(rd.side, sizeof rd.side, "%s", side);
    struct on_the_way way = {.s = s, .template = rd};
    int rc = drv_read_stable_each(dev, NULL, timeout, seen, &way, &rd.r, err);
    if (rc == 0 && way.rc != 0)
        rc = stored(s, cd_fail(err, way.rc, "%s", way.err.msg));
    if (rc != 0)
        return rc;
    rd.t = rd.r.t;
    if ((rc = stored(s, daq_run_add_reading(s->run, &rd, err))) != 0)
        return rc;
    bool counted = rd.r.status == DRV_STATUS_STABLE && isfinite(rd.r.value);
    if (s->ui->reading != NULL)
        s->ui->reading(s->ui->ctx, s->p, &rd.r, counted);
    const char *whose = strcmp(side, DAQ_SIDE_REFERENCE) == 0 ? _("the reference instrument")
                                                               : _("the instrument");
    if (!counted && rd.r.display[0] != '\0')
        return cd_fail(err, CD_ERR_DEVICE, _("%s shows %s (%s) at %.10g %s"), whose,
                       drv_status_name(rd.r.status), rd.r.display, pt->nominal, prof_reference_unit(s->p));
    if (!counted)
        return cd_fail(err, CD_ERR_DEVICE, _("%s shows %s at %.10g %s, with no value: %s"), whose,
                       drv_status_name(rd.r.status), pt->nominal, prof_reference_unit(s->p),
                       no_value_why(rd.r.status));
    return 0;
}

static double now_seconds(void)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    return (double)now.tv_sec + 1e-9 * (double)now.tv_nsec;
}

/* One reading read by eye and typed for the item or the reference: asked
 * until it is a number the side allows (each refusal and its reason in the
 * run's log: nothing typed is lost), then journalled, and only then the
 * screen says it is saved. */
static int read_typed(struct session *s, bool reference, const struct prof_plan_point *pt,
                      unsigned repetition, struct cd_err *err)
{
    const struct prof_profile *p = s->p;
    const struct prof_side *side = reference ? &p->ref : &p->item;
    enum lang lang = s->c->lang;
    if (s->ui->ask_typed == NULL)
        return cd_fail(err, CD_ERR_INVALID,
                       _("profile %s has readings read by eye, and this session cannot ask for "
                       "them (in batch mode give them with --typed FILE)"),
                       p->name);
    double low, high, mpe = NAN;
    if (prof_point_limits(p, pt, &low, &high, NULL) == 0)
        mpe = fmax(fabs(low), fabs(high));
    const char *what = ses_side_label(lang, p, reference);
    const char *why = NULL;
    char reason[512], text[128], entry[400];
    for (;;) {
        if (*s->interrupted)
            return cd_fail(err, CD_ERR_INVALID, _("interrupted"));
        text[0] = '\0';
        enum ses_action a = s->ui->ask_typed(s->ui->ctx, p, pt, what, why, text, sizeof text);
        if (a == SES_ABORT || *s->interrupted)
            return cd_fail(err, CD_ERR_CANCELLED, _("stopped by the operator at test point %zu"),
                           pt->index + 1);
        text[strcspn(text, "\r\n")] = '\0';
        double v;
        int rc;
        bool refused = ses_typed_value(lang, side, reference ? 0 : pt->resolution, p->unit, text,
                                       &v, reason, sizeof reason) != 0;
        if (!refused && ses_typed_far(lang, side, v, pt->nominal, mpe, p->unit, reason,
                                      sizeof reason)) {
            refused = s->ui->confirm_typed == NULL || !s->ui->confirm_typed(s->ui->ctx, reason);
            if (!refused) {
                snprintf(entry, sizeof entry, "point %zu: %.40s confirmed by %.40s: %.150s",
                         pt->index + 1, text, s->who, reason);
                if ((rc = stored(s, daq_run_audit(s->run, s->who, entry, err))) != 0)
                    return rc;
            }
        }
        if (refused) {
            snprintf(entry, sizeof entry, "point %zu: entry '%.40s' for the %s refused: %.150s",
                     pt->index + 1, text, reference ? "reference" : "item", reason);
            if ((rc = stored(s, daq_run_audit(s->run, s->who, entry, err))) != 0)
                return rc;
            why = reason;
            continue;
        }
        struct daq_reading rd = {.point = (int32_t)pt->index, .repetition = (int32_t)repetition,
                                 .nominal = pt->nominal, .t = now_seconds()};
        snprintf(rd.role, sizeof rd.role, "%s", pt->role);
        snprintf(rd.side, sizeof rd.side, "%s", reference ? DAQ_SIDE_REFERENCE : DAQ_SIDE_ITEM);
        snprintf(rd.source, sizeof rd.source, "%s", DAQ_SOURCE_OPERATOR);
        utf8_copy(rd.who, sizeof rd.who, s->who);
        rd.r.t = rd.t;
        rd.r.value = v;
        rd.r.status = DRV_STATUS_STABLE;
        snprintf(rd.r.unit, sizeof rd.r.unit, "%s", reference ? prof_reference_unit(p) : p->unit);
        snprintf(rd.r.display, sizeof rd.r.display, "%s", text);
        rd.r.resolution = side->resolution > 0 ? side->resolution : reference ? 0 : pt->resolution;
        /* in the journal (synced) before the screen says so */
        if ((rc = stored(s, daq_run_add_reading(s->run, &rd, err))) != 0)
            return rc;
        snprintf(entry, sizeof entry, "point %zu: %s read by eye, typed by %.60s: '%s' = %.10g %s",
                 pt->index + 1, reference ? "reference" : "item", s->who, text, v, p->unit);
        if ((rc = stored(s, daq_run_audit(s->run, s->who, entry, err))) != 0)
            return rc;
        if (s->ui->recorded != NULL)
            s->ui->recorded(s->ui->ctx, SES_REC_TYPED);
        return 0;
    }
}

/* Take the point's remaining readings: each of them one reading of every
 * side that is read, instruments first (at the moment the technician said
 * ready), then what is read by eye. */
static int measure(struct session *s, const struct prof_plan_point *pt, unsigned remaining,
                   struct cd_err *err)
{
    const char *item_side = classic(s) ? "" : DAQ_SIDE_ITEM;
    for (unsigned k = 0; k < remaining; k++) {
        if (*s->interrupted)
            return cd_fail(err, CD_ERR_INVALID, _("interrupted"));
        if (k > 0 && pt->test == PROF_TEST_REPEATABILITY && s->ui->before_point != NULL &&
            s->src_dev == NULL) {
            enum ses_action a = s->ui->before_point(s->ui->ctx, s->p, pt, remaining - k);
            if (a == SES_ABORT)
                return cd_fail(err, CD_ERR_CANCELLED, _("stopped by the operator"));
        }
        unsigned rep = s->have[pt->index];
        int rc = 0;
        if (rc == 0 && s->item_instr)
            rc = read_instrument(s, s->dev, item_side, pt, rep, err);
        if (rc == 0 && s->ref_instr)
            rc = read_instrument(s, s->ref_dev, DAQ_SIDE_REFERENCE, pt, rep, err);
        if (rc == 0 && s->item_typed)
            rc = read_typed(s, false, pt, rep, err);
        if (rc == 0 && s->ref_typed)
            rc = read_typed(s, true, pt, rep, err);
        if (rc != 0)
            return rc;
        s->have[pt->index]++;
    }
    return 0;
}

/* The checklist of a verification (external, then technical inspection,
 * in the profile's order), each check not yet answered asked until the
 * answer is đạt or không đạt. A không đạt ends the verification: the
 * instrument fails and the metrological test is not carried out. */
static int run_checks(struct session *s, bool *failed, struct cd_err *err)
{
    const struct prof_verification *v = &s->p->verification;
    enum lang lang = s->c->lang;
    *failed = false;
    enum prof_check_stage stage = PROF_CHECK_UNSET;
    for (size_t i = 0; i < v->n_checks; i++) {
        const struct prof_check *c = &v->checks[i];
        if (s->checked[i])
            continue;
        if (s->ui->ask_check == NULL)
            return cd_fail(err, CD_ERR_INVALID,
                           _("profile %s has a checklist, and this session cannot ask it (in "
                           "batch mode give the answers with --typed FILE)"),
                           s->p->name);
        if (c->stage != stage) {
            stage = c->stage;
            say(s, "\n%s\n",
                msg_text(lang, stage == PROF_CHECK_EXTERNAL ? M_CHECK_STAGE_EXTERNAL
                                                            : M_CHECK_STAGE_TECHNICAL));
        }
        const char *why = NULL;
        char reason[256], text[128];
        int answer;
        for (;;) {
            text[0] = '\0';
            if (*s->interrupted ||
                s->ui->ask_check(s->ui->ctx, c, why, text, sizeof text) == SES_ABORT ||
                *s->interrupted)
                return cd_fail(err, CD_ERR_CANCELLED, _("stopped by the operator at check %s"),
                               c->id);
            text[strcspn(text, "\r\n")] = '\0';
            if ((answer = ses_check_answer(text)) >= 0)
                break;
            snprintf(reason, sizeof reason, msg_text(lang, M_CHECK_ANSWER_BAD), text);
            why = reason;
        }
        struct daq_reading rd = {.point = (int32_t)i, .t = now_seconds()};
        snprintf(rd.role, sizeof rd.role, "%s", c->id);
        snprintf(rd.side, sizeof rd.side, "%s", DAQ_SIDE_CHECK);
        snprintf(rd.source, sizeof rd.source, "%s", DAQ_SOURCE_OPERATOR);
        utf8_copy(rd.who, sizeof rd.who, s->who);
        rd.r.t = rd.t;
        rd.r.value = answer;
        rd.r.status = DRV_STATUS_STABLE;
        utf8_copy(rd.r.display, sizeof rd.r.display, text);
        int rc = stored(s, daq_run_add_reading(s->run, &rd, err));
        char entry[400];
        snprintf(entry, sizeof entry, "check %s answered by %.60s: '%.40s' (%s)", c->id, s->who,
                 text, answer ? "pass" : "fail");
        if (rc == 0)
            rc = stored(s, daq_run_audit(s->run, s->who, entry, err));
        if (rc != 0)
            return rc;
        s->checked[i] = true;
        if (s->ui->recorded != NULL)
            s->ui->recorded(s->ui->ctx, SES_REC_CHECK);
        if (answer == 0) {
            say(s, msg_text(lang, M_CHECK_FAILED_STOP),
                lang == LANG_VI ? c->text_vi : c->text_en);
            *failed = true;
            return 0;
        }
    }
    return 0;
}

static int walk(struct session *s, struct cd_err *err)
{
    const struct prof_profile *p = s->p;
    if (p->kind == PROF_KIND_VERIFICATION) {
        bool failed = false;
        int rc = run_checks(s, &failed, err);
        if (rc != 0 || failed)
            return rc; /* a failed check decides: no metrological test */
    }
    for (size_t i = 0; i < p->n_points; i++) {
        const struct prof_plan_point *pt = &p->points[i];
        s->out->point = i;
        if (s->have[i] >= pt->repeat)
            continue;
        for (;;) {
            unsigned remaining = pt->repeat - s->have[i];
            /* a source makes the point: nobody is asked (unattended) */
            enum ses_action a = s->ui->before_point != NULL && s->src_dev == NULL
                                    ? s->ui->before_point(s->ui->ctx, p, pt, remaining)
                                    : SES_GO;
            if (a == SES_ABORT || *s->interrupted)
                return cd_fail(err, CD_ERR_CANCELLED, _("stopped by the operator at test point %zu"),
                               i + 1);
            char what[160];
            if (a == SES_SKIP) {
                snprintf(what, sizeof what, "point %zu (%s %.10g %s) skipped by the operator",
                         i + 1, pt->role, pt->nominal, prof_reference_unit(p));
                /* in the journal (synced) before the screen says so */
                int rc = stored(s, daq_run_audit(s->run, s->who, what, err));
                if (rc != 0)
                    return rc;
                if (s->ui->recorded != NULL)
                    s->ui->recorded(s->ui->ctx, SES_REC_SKIPPED);
                break;
            }
            const char *controls[] = {s->c->sim_control, s->c->ref_sim_control};
            for (size_t k = 0; k < 2; k++) {
                int rc = controls[k] != NULL ? ses_present_load(controls[k], pt->nominal, err) : 0;
                if (rc != 0)
                    return rc;
            }
            int rc = s->src_dev != NULL ? source_step(s, pt, err) : 0;
            if (rc == 0 && s->item_instr)
                rc = fit_device(s, pt, err);
            if (rc == 0)
                rc = measure(s, pt, remaining, err);
            if (rc != 0)
                return rc;
            snprintf(what, sizeof what, "point %zu (%s %.10g %s) finished", i + 1, pt->role,
                     pt->nominal, prof_reference_unit(p));
            if ((p->environment.per_point && (rc = record_env(s, "point", err)) != 0) ||
                (rc = stored(s, daq_run_audit(s->run, s->who, what, err))) != 0 ||
                (rc = stored(s, daq_run_checkpoint(s->run, err))) != 0)
                return rc;
            do {
                char note[512] = "";
                a = s->ui->after_point != NULL && s->src_dev == NULL
                        ? s->ui->after_point(s->ui->ctx, p, pt, s->have[i], s->out->run_path,
                                             note, sizeof note)
                        : SES_GO;
                if (note[0] == '\0')
                    continue;
                char text[48 + SES_NOTE_MAX];
                int head = snprintf(text, 48, "note at point %zu: ", i + 1);
                utf8_copy(text + head, SES_NOTE_MAX + 1, note);
                /* in the journal (synced) before the screen says so */
                if ((rc = stored(s, daq_run_audit(s->run, s->who, text, err))) != 0)
                    return rc;
                if (s->ui->recorded != NULL)
                    s->ui->recorded(s->ui->ctx, strlen(note) > SES_NOTE_MAX ? SES_REC_NOTE_CUT
                                                                            : SES_REC_NOTE);
            } while (a == SES_NOTE);
            if (a == SES_ABORT)
                return cd_fail(err, CD_ERR_CANCELLED, _("stopped by the operator after test point %zu"),
                               i + 1);
            if (a != SES_REPEAT)
                break;
            snprintf(what, sizeof what, "point %zu measured again at the operator's request",
                     i + 1);
            if ((rc = stored(s, daq_run_audit(s->run, s->who, what, err))) != 0)
                return rc;
            s->have[i] = 0;
        }
    }
    return 0;
}

/* A resumed run without a register: the standards it recorded must still
 * be in date (the register itself may have moved since). */
static int recorded_standards_in_date(const daq_run *run, const char *today_arg,
                                      struct cd_err *err)
{
    char now[11];
    const char *today = today_arg;
    if (today == NULL) {
        if (cd_today(now) != 0)
            return cd_fail(err, CD_ERR_INVALID, _("cannot tell today's date"));
        today = now;
    }
    long t, due;
    if (prof_date_parse(today, &t, err) != 0)
        return err->code;
    size_t n = 0;
    const struct daq_standard *st = daq_run_standards(run, &n);
    for (size_t i = 0; i < n; i++) {
        if (st[i].due_date[0] == '\0' || prof_date_parse(st[i].due_date, &due, NULL) != 0)
            continue;
        if (due < t)
            return cd_fail(err, CD_ERR_INVALID,
                           _("reference %s (certificate %s) was due for calibration on %s; it may "
                           "not be used after that date"),
                           st[i].id, st[i].certificate, st[i].due_date);
    }
    return 0;
}

/* Whether the profile names a standard the register gives (what
 * ses_record_standards records). */
static bool names_standards(const struct prof_profile *p)
{
    for (size_t i = 0; i < p->n_needs; i++)
        if (p->needs[i].id[0] != '\0')
            return true;
    return false;
}

/* The standards of a resumed run: checked in date (the register's when one
 * is given, else those recorded). A run that records none although its
 * profile names some was interrupted before they were saved: they come
 * from the register (--standards, else the profile's), checked today, and
 * are recorded before the resume is written (add_lacking_standards). */
static int resumed_standards(struct session *s, prof_standards **reg, struct cd_err *err)
{
    size_t n = 0;
    daq_run_standards(s->run, &n);
    s->lacks_standards = n == 0 && names_standards(s->p);
    if (!s->lacks_standards)
        return s->c->standards_path == NULL
                   ? recorded_standards_in_date(s->run, s->c->today, err)
                   : ses_load_standards(s->c->standards_path, s->p, s->c->today, reg, err);
    struct cd_err why = {0};
    int rc = ses_load_standards(s->c->standards_path, s->p, s->c->today, reg, &why);
    if (rc == 0 && *reg == NULL)
        rc = cd_fail(&why, CD_ERR_NOT_FOUND, _("the profile names no register"));
    if (rc != 0)
        return cd_fail(err, rc,
                       _("the run records no reference standards (its session was interrupted "
                       "before they were saved) and they cannot be taken from the register: "
                       "%s; give the register that was used with --standards"),
                       why.msg);
    return 0;
}

static int add_lacking_standards(struct session *s, const prof_standards *reg,
                                 struct cd_err *err)
{
    if (!s->lacks_standards)
        return 0;
    int rc = stored(s, ses_record_standards(s->run, s->p, reg, err));
    if (rc != 0)
        return rc;
    char what[512];
    snprintf(what, sizeof what,
             "reference standards recorded at the resume from %.160s (the run lacked them: "
             "interrupted before they were saved)",
             s->c->standards_path != NULL ? s->c->standards_path : s->p->register_path);
    return stored(s, daq_run_audit(s->run, s->who, what, err));
}

/* The point (1-based) an audit entry says the operator skipped, as walk()
 * writes it ("point 5 (error-up 100 g) skipped by the operator"); 0 when it
 * says something else. */
static size_t skipped_point(const char *what)
{
    static const char tail[] = ") skipped by the operator";
    size_t point = 0;
    int n = 0;
    size_t len = strlen(what), lt = sizeof tail - 1;
    if (sscanf(what, "point %zu (%n", &point, &n) != 1 || n == 0 || len < lt ||
        strcmp(what + len - lt, tail) != 0)
        return 0;
    return point;
}

/* Points already measured in a resumed run, and those the operator skipped
 * (taken as done: a skip is the technician's decision, recorded, and stays
 * so when the session is resumed). */
static void count_done(struct session *s)
{
    size_t n = 0;
    const struct daq_reading *rd = daq_run_readings(s->run, &n);
    bool ref_read = s->ref_instr || s->ref_typed;
    for (size_t k = 0; k < n; k++) {
        int32_t i = rd[k].point;
        if (daq_reading_is(&rd[k], DAQ_SIDE_CHECK)) {
            /* an answer given is the technician's, kept as given */
            if (i >= 0 && (size_t)i < s->p->verification.n_checks)
                s->checked[i] = true;
            continue;
        }
        if (i < 0 || (size_t)i >= s->p->n_points || rd[k].r.status != DRV_STATUS_STABLE ||
            !isfinite(rd[k].r.value))
            continue;
        unsigned *have = daq_reading_is(&rd[k], DAQ_SIDE_REFERENCE) ? s->have_ref : s->have_item;
        if (have[i] < s->p->points[i].repeat)
            have[i]++;
    }
    /* a repetition is done once every side read has its reading: a
     * reference read before the kill is read again with the item's */
    for (size_t i = 0; i < s->p->n_points; i++)
        s->have[i] = ref_read && s->have_ref[i] < s->have_item[i] ? s->have_ref[i]
                                                                  : s->have_item[i];
    const struct daq_audit_entry *log = daq_run_audit_log(s->run, &n);
    for (size_t k = 0; k < n; k++) {
        size_t point = skipped_point(log[k].what);
        if (point >= 1 && point <= s->p->n_points)
            s->have[point - 1] = s->p->points[point - 1].repeat;
    }
}

/* What a verification needs before a run file exists (issue 16): its
 * reference standard from the register, good enough for the MPE (ĐLVN
 * procedures: U of the reference at most a third of the MPE, or the
 * profile's ratio), and its instrument type in the verification cycles
 * table (the validity of the certificate comes from it). */
static int verification_ready(struct session *s, const prof_standards *reg, struct cd_err *err)
{
    const struct prof_profile *p = s->p;
    if (p->kind != PROF_KIND_VERIFICATION)
        return 0;
    const struct prof_standard *ref =
        reg != NULL && p->reference != NULL && p->reference->id[0] != '\0'
            ? prof_standards_find(reg, p->reference->id)
            : NULL;
    if (ref == NULL)
        return cd_fail(err, CD_ERR_INVALID,
                       _("verification profile %s needs its reference standard from the register "
                       "(a standards entry with role reference and an id)"),
                       p->name);
    int rc = prof_check_reference_ratio(p, ref, err);
    if (rc != 0)
        return rc;
    prof_cycles *cycles = prof_cycles_load(p->verification.cycles_path, err);
    if (cycles == NULL)
        return err->code != 0 ? err->code : CD_ERR_IO;
    const struct prof_cycle *cy = prof_cycles_find(cycles, p->verification.instrument_type, err);
    if (cy != NULL) {
        snprintf(s->cycle_name, sizeof s->cycle_name, "%s",
                 s->c->lang == LANG_VI ? cy->name_vi : cy->name_en);
        s->cycle_months = cy->months;
    }
    prof_cycles_free(cycles);
    return cy != NULL ? 0 : err->code;
}

static enum ses_status fail_with(struct session *s, enum ses_status status)
{
    s->out->status = status;
    return status;
}

/* 5. The run into the lab's records (ISO/IEC 17025 7.5). The run file is
 * the record and is safe on disk whatever happens here: a failure is said
 * to the technician, and `caldaq records import` records the run later. */
static void note_in_records(const struct ses_config *c, const struct ses_ui *ui,
                            const char *run_path, const prof_standards *reg, const char *who)
{
    struct cd_err err = {0};
    rec_db *db = NULL;
    struct daq_run_view *v = NULL;
    /* this process wrote the file: read it directly (no guard, which forks) */
    int rc = rec_open(c->records, &db, &err);
    if (rc == 0)
        rc = daq_run_open(run_path, &v, &err);
    if (rc == 0)
        rc = rec_run_note(db, run_path, v, NULL, who, &err);
    /* the register the session checked: the lab's list of standards stays current */
    if (rc == 0 && reg != NULL)
        rc = rec_standards_note(db, reg, who, NULL, &err);
    daq_run_view_free(v);
    rec_close(db);
    char line[CD_ERR_MSG_MAX + 200];
    if (rc != 0)
        snprintf(line, sizeof line,
                 _("Not recorded in the lab's records (%s); `caldaq records "
                                      "import` records the run later."),
                 err.msg);
    else
        snprintf(line, sizeof line, "%s",
                 _("Recorded in the lab's records."));
    if (ui->say != NULL)
        ui->say(ui->ctx, line);
}

enum ses_status ses_run(const struct ses_config *c, const struct ses_ui *ui,
                        volatile int *interrupted, struct ses_outcome *out)
{
    memset(out, 0, sizeof *out);
    struct cd_err *err = &out->err;
    static const volatile int never = 0;
    struct session s = {.c = c, .ui = ui, .interrupted = interrupted ? interrupted : &never,
                        .out = out};
    s.who = c->operator_name != NULL ? c->operator_name
            : getenv("USER") != NULL ? getenv("USER")
                                     : "operator";
    prof_standards *reg = NULL;
    bool resumed = c->resume_path != NULL;
    enum ses_status status = SES_COMPLETE;
    /* 1. the profile, the standards, the run file */
    if (resumed) {
        snprintf(out->run_path, sizeof out->run_path, "%s", c->resume_path);
        struct daq_run_view *v = NULL;
        if (daq_run_open(c->resume_path, &v, err) == 0) {
            /* the item's instrument as recorded (a run whose device is the
             * reference's records it for open_reference) */
            if (v->device.side[0] == '\0' || strcmp(v->device.side, DAQ_SIDE_ITEM) == 0) {
                snprintf(s.rec_driver, sizeof s.rec_driver, "%s", v->device.driver);
                snprintf(s.rec_serial, sizeof s.rec_serial, "%s", v->device.settings);
            }
            daq_run_view_free(v);
        }
        cd_err_clear(err);
        /* Nothing is written until every check has passed and the
         * instrument has answered: a refused resume leaves the files as
         * they were. */
        if (daq_run_resume_begin(c->resume_path, &s.run, err) != 0)
            return fail_with(&s, SES_BAD_INPUT);
        s.pending = true;
        char source[4200];
        snprintf(source, sizeof source, "%s:/profile/text", c->resume_path);
        s.p = prof_profile_load_string(daq_run_profile_text(s.run), source, err);
    } else {
        s.p = prof_profile_load(c->profile_path, err);
    }
    if (s.p == NULL ||
        (resumed ? resumed_standards(&s, &reg, err)
                 : ses_load_standards(c->standards_path, s.p, c->today, &reg, err)) != 0 ||
        (s.have = calloc(s.p->n_points + 1, sizeof *s.have)) == NULL ||
        (s.have_item = calloc(s.p->n_points + 1, sizeof *s.have_item)) == NULL ||
        (s.have_ref = calloc(s.p->n_points + 1, sizeof *s.have_ref)) == NULL ||
        (s.checked = calloc(s.p->verification.n_checks + 1, sizeof *s.checked)) == NULL ||
        (!resumed && verification_ready(&s, reg, err) != 0)) {
        if (err->code == 0)
            cd_fail(err, CD_ERR_NOMEM, _("out of memory"));
        status = SES_BAD_INPUT;
        goto done;
    }
    s.item_instr = s.p->item.read == PROF_READ_INSTRUMENT || s.p->item.read == PROF_READ_UNSET;
    s.item_typed = s.p->item.read == PROF_READ_TYPED;
    s.ref_instr = s.p->ref.read == PROF_READ_INSTRUMENT;
    s.ref_typed = s.p->ref.read == PROF_READ_TYPED;
    /* the ports the profile needs: a usage error, before anything is said
     * or written (a gauge read by eye has no port) */
    if ((s.item_instr && c->port == NULL) || (s.ref_instr && c->ref_port == NULL)) {
        cd_fail(err, CD_ERR_INVALID,
                s.item_instr && c->port == NULL
                    ? _("profile %s reads the item with its instrument: give its port with --port")
                    : _("profile %s reads the reference with an instrument: give its port with "
                      "--ref-port"),
                s.p->name);
        status = SES_USAGE;
        goto done;
    }
    say(&s, msg_text(c->lang, s.p->kind == PROF_KIND_VERIFICATION ? M_VERIFICATION_START
                                                                   : M_SESSION_START),
        c->lang == LANG_VI ? s.p->title_vi : s.p->title_en,
        c->dut_serial != NULL ? c->dut_serial : "-");
    if (prof_standards_example(reg))
        say(&s, _("Note: %s is the shipped example register: its certificates are made up "
                  "and its dates follow today's. Copy it, enter your own certificates and "
                  "give it with --standards (docs/standards.md).\n"),
            c->standards_path != NULL ? c->standards_path : s.p->register_path);
    if (reg != NULL) {
        for (size_t i = 0; i < s.p->n_needs; i++) {
            const struct prof_standard *st =
                s.p->needs[i].id[0] ? prof_standards_find(reg, s.p->needs[i].id) : NULL;
            if (st != NULL)
                say(&s, msg_text(c->lang, M_STANDARD_OK), st->id, st->certificate, st->due);
        }
    }
    if (s.cycle_months > 0)
        say(&s, msg_text(c->lang, M_CYCLE), s.cycle_name, s.cycle_months);
    if (!resumed && new_run(&s, reg, err) != 0) {
        status = s.store_failed ? SES_INSTRUMENT : SES_BAD_INPUT;
        goto done;
    }
    if (resumed)
        count_done(&s);
    /* 2. the instrument; then the run written with everything a
     * certificate needs (profile, standards, device) before any point */
    if (open_instrument(&s, resumed, err) != 0) {
        status = SES_INSTRUMENT;
        goto done;
    }
    if (open_source(&s, err) != 0) {
        status = err->code == CD_ERR_INVALID ? SES_USAGE : SES_INSTRUMENT;
        goto done;
    }
    if (add_lacking_standards(&s, reg, err) != 0 ||
        stored(&s, daq_run_checkpoint(s.run, err)) != 0) {
        status = SES_INSTRUMENT;
        goto done;
    }
    s.pending = false;
    if (!resumed) {
        if (!c->have_env && !s.p->environment.sensor && ui->ask_env == NULL)
            say(&s, "%s", msg_text(c->lang, M_ENV_NOT_MEASURED));
        if (record_env(&s, "start", err) != 0) {
            status = s.store_failed ? SES_INSTRUMENT : SES_BAD_INPUT;
            goto done;
        }
    } else {
        size_t first = 0;
        while (first < s.p->n_points && s.have[first] >= s.p->points[first].repeat)
            first++;
        say(&s, msg_text(c->lang, M_RESUMED), first + 1, s.p->n_points);
    }
    /* 3. the plan */
    if (walk(&s, err) != 0) {
        status = s.store_failed      ? SES_INSTRUMENT
                 : *s.interrupted    ? SES_ABORTED
                 : instrument_fault(err->code) ? SES_INSTRUMENT
                 : err->code == CD_ERR_CANCELLED ? SES_ABORTED
                                                 : SES_INSTRUMENT;
        goto done;
    }
    if (record_env(&s, "end", err) != 0)
        status = s.store_failed ? SES_INSTRUMENT : SES_BAD_INPUT;

done:
    if (s.src_dev != NULL) {
        /* whatever the end: the source safe (vented, or left at its set
         * point), said and in the run's log */
        source_safe(&s);
        drv_close(s.src_dev);
    }
    if (s.src_tw != NULL) {
        struct cd_err terr = {0};
        if (drv_trace_writer_close(s.src_tw, &terr) != 0 && status == SES_COMPLETE) {
            *err = terr;
            status = SES_INSTRUMENT;
        }
        if (s.out->run_path[0] == '\0')
            unlink(s.src_trace_path); /* no run was made: nothing to keep it for */
    }
    drv_close(s.dev); /* the last bytes received go into the run's trace */
    drv_close(s.ref_dev);
    if (s.ref_tw != NULL) {
        struct cd_err terr = {0};
        if (drv_trace_writer_close(s.ref_tw, &terr) != 0 && status == SES_COMPLETE) {
            *err = terr;
            status = SES_INSTRUMENT;
        }
        if (s.out->run_path[0] == '\0')
            unlink(s.ref_trace_path); /* no run was made: nothing to keep it for */
    }
    if (s.run != NULL && s.pending) {
        /* Refused (profile, standards, instrument) before anything was
         * written: a new run leaves nothing behind, a resumed one is as it
         * was. */
        daq_run_abandon(s.run);
        s.run = NULL;
        if (!resumed)
            out->run_path[0] = '\0';
    }
    if (s.run != NULL) {
        struct cd_err cerr = {0};
        if (status != SES_COMPLETE) {
            char what[CD_ERR_MSG_MAX + 32];
            snprintf(what, sizeof what, "session ended: %s", err->msg);
            daq_run_audit(s.run, s.who, what, &cerr);
        } else {
            daq_run_audit(s.run, s.who, "session complete", &cerr);
        }
        size_t n_readings = 0;
        daq_run_readings(s.run, &n_readings);
        bool nothing = status == SES_INSTRUMENT && !resumed && n_readings == 0;
        /* A close that fails leaves the last snapshot (in-progress) and the
         * journals: resumable. It matters only when it was to say
         * "complete"; otherwise the session's own error is the story. */
        if (daq_run_close(s.run, status == SES_COMPLETE ? "complete" : "aborted", &cerr) != 0 &&
            status == SES_COMPLETE) {
            *err = cerr;
            s.store_failed = true;
            status = SES_INSTRUMENT;
        }
        /* An instrument that never answered leaves no run behind. */
        if (nothing) {
            char journal[4200];
            unlink(out->run_path);
            snprintf(journal, sizeof journal, "%s.journal", out->run_path);
            unlink(journal);
            out->run_path[0] = '\0';
        }
    }
    /* 4. the results */
    if (status == SES_COMPLETE) {
        struct ana_file_opts o = {.write = true, .operator_name = s.who};
        if (ana_file_run(out->run_path, &o, &out->analysis, err) != 0) {
            /* CD_ERR_IO: the run was read, analysed, and could not be
             * written back (the analysis itself fails otherwise) */
            out->results_not_stored = err->code == CD_ERR_IO;
            status = out->results_not_stored ? SES_INSTRUMENT : SES_BAD_INPUT;
        }
    }
    out->run_not_written = s.store_failed && status == SES_INSTRUMENT;
    if (c->records != NULL && c->records[0] != '\0' && out->run_path[0] != '\0' &&
        !out->run_not_written)
        note_in_records(c, ui, out->run_path, reg, s.who);
    free(s.have);
    free(s.have_item);
    free(s.have_ref);
    free(s.checked);
    prof_standards_free(reg);
    prof_profile_free(s.p);
    out->status = status;
    return status;
}

void ses_outcome_free(struct ses_outcome *o)
{
    if (o != NULL)
        ana_file_free(&o->analysis);
}
