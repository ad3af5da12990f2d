/* Acquisition with no prompts (session.h): an instrument read at a list of
 * test points, or a profile's plan, into a run file. The building block of
 * sessions: every reading is stored (unstable and zero readings included),
 * the raw conversation is recorded, and every finished point is safe on
 * disk before the next begins. */
#include "session.h"
#include "cd_i18n.h"

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifndef CALDAQ_VERSION
#define CALDAQ_VERSION "0.1.0"
#endif

/* One test point as acquire walks it. */
struct acq_point {
    double nominal;
    const char *role;
    unsigned long long repeat;
};

/* The acquisition plan as stored in the run: what was asked, so the run's
 * profile hash identifies it. */
static void describe_plan(const struct ses_acquire *a, char *buf, size_t cap)
{
    size_t n = (size_t)snprintf(buf, cap,
                                "# caldaq acquire plan\nprocedure: acquire\ndriver: %s\n"
                                "repeat: %llu\nstable: %s\npoints: [",
                                a->driver, a->repeat, a->stable ? "true" : "false");
    for (size_t i = 0; i < a->n_points && n < cap; i++)
        n += (size_t)snprintf(buf + n, cap - n, "%s%.10g", i ? ", " : "", a->points[i]);
    if (n < cap)
        n += (size_t)snprintf(buf + n, cap - n, "]\noptions: [");
    for (size_t i = 0; i < a->n_opts && n < cap; i++)
        n += (size_t)snprintf(buf + n, cap - n, "%s\"%s\"", i ? ", " : "", a->opts[i]);
    if (n < cap)
        snprintf(buf + n, cap - n, "]\n");
}

static int record_env(daq_run *run, const struct ses_acquire *a, const char *where,
                      struct cd_err *err)
{
    if (!a->have_env)
        return 0;
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    struct daq_env e = {.t = (double)now.tv_sec + 1e-9 * (double)now.tv_nsec, .temp_c = a->env[0], .rh_pct = a->env[1],
                        .p_hpa = a->env[2]};
    snprintf(e.where, sizeof e.where, "%s", where);
    return daq_run_add_env(run, &e, err);
}

/* Every reading is stored: the unstable ones read while waiting for a
 * stable one too, with the point, repetition and role they belong to. */
struct on_the_way {
    daq_run *run;
    const volatile sig_atomic_t *interrupted;
    struct daq_reading template;
    int rc;
    struct cd_err err;
};

static bool store_unstable(const struct drv_reading *r, void *ctx)
{
    struct on_the_way *w = ctx;
    if (w->rc != 0)
        return false;
    struct daq_reading rd = w->template;
    rd.r = *r;
    rd.t = r->t;
    w->rc = daq_run_add_reading(w->run, &rd, &w->err);
    return w->rc == 0 && !*w->interrupted;
}

static int acquire_points(const struct ses_acquire *a, const struct acq_point *pts, size_t n,
                          drv_dev *d, daq_run *run, struct cd_err *err)
{
    for (size_t p = 0; p < n; p++) {
        if (a->sim_control != NULL && ses_present_load(a->sim_control, pts[p].nominal, err) != 0)
            return err->code;
        for (unsigned long long k = 0; k < pts[p].repeat; k++) {
            if (*a->interrupted)
                return cd_fail(err, CD_ERR_INVALID, _("interrupted"));
            struct daq_reading rd = {.point = (int32_t)p, .repetition = (int32_t)k,
                                     .nominal = pts[p].nominal};
            snprintf(rd.role, sizeof rd.role, "%s", pts[p].role);
            struct on_the_way way = {.run = run, .interrupted = a->interrupted, .template = rd};
            int rc = a->stable ? drv_read_stable_each(d, NULL, 30000, store_unstable, &way,
                                                      &rd.r, err)
                               : drv_read(d, &rd.r, err);
            if (rc == 0 && way.rc != 0)
                rc = cd_fail(err, way.rc, "%s", way.err.msg);
            if (rc != 0)
                return rc;
            rd.t = rd.r.t;
            if ((rc = daq_run_add_reading(run, &rd, err)) != 0)
                return rc;
        }
        char what[96];
        snprintf(what, sizeof what, "point %zu (%.10g) finished", p, pts[p].nominal);
        int rc = daq_run_audit(run, "caldaq acquire", what, err);
        if (rc == 0)
            rc = daq_run_checkpoint(run, err);
        if (rc != 0)
            return rc;
        /* Told only once the point is safe on disk. */
        if (a->on_point != NULL)
            a->on_point(a->ctx, p, pts[p].nominal, pts[p].repeat);
    }
    return 0;
}

/* The points to walk: the profile's plan, or --points with --repeat. */
static struct acq_point *plan_points(const struct ses_acquire *a, const struct prof_profile *p,
                                     size_t *n)
{
    *n = p != NULL ? p->n_points : a->n_points;
    struct acq_point *pts = calloc(*n ? *n : 1, sizeof *pts);
    for (size_t i = 0; pts != NULL && i < *n; i++) {
        if (p != NULL)
            pts[i] = (struct acq_point){p->points[i].nominal, p->points[i].role,
                                        p->points[i].repeat};
        else
            pts[i] = (struct acq_point){a->points[i], a->points[i] == 0 ? "zero" : "load",
                                        a->repeat};
    }
    return pts;
}

int ses_acquire_run(const struct ses_acquire *a, struct ses_acquire_result *res,
                    struct cd_err *err)
{
    memset(res, 0, sizeof *res);
    res->end = "aborted";
    struct daq_run_info info = {0};
    ses_now_iso(info.started, sizeof info.started);
    const char *who = a->operator_name != NULL ? a->operator_name : getenv("USER");
    snprintf(info.operator_name, sizeof info.operator_name, "%s", who != NULL ? who : "unknown");
    snprintf(info.lab, sizeof info.lab, "%s", a->lab != NULL ? a->lab : "");
    snprintf(info.profile_name, sizeof info.profile_name, "acquire");
    snprintf(info.caldaq_version, sizeof info.caldaq_version, "%s", CALDAQ_VERSION);
    char plan[8192];
    describe_plan(a, plan, sizeof plan);
    struct prof_profile *profile = NULL;
    prof_standards *reg = NULL;
    if (a->profile_path != NULL) {
        if ((profile = prof_profile_load(a->profile_path, err)) == NULL)
            return err != NULL ? err->code : CD_ERR_INVALID;
        int rc = ses_load_standards(a->standards_path, profile, a->today, &reg, err);
        if (rc != 0) {
            prof_profile_free(profile);
            return rc;
        }
        snprintf(info.profile_name, sizeof info.profile_name, "%s", profile->name);
    }
    size_t n_pts = 0;
    struct acq_point *pts = plan_points(a, profile, &n_pts);
    if (pts == NULL || *a->interrupted) {
        prof_standards_free(reg);
        prof_profile_free(profile);
        free(pts);
        return pts == NULL ? cd_fail(err, CD_ERR_NOMEM, _("out of memory"))
                           : cd_fail(err, CD_ERR_INVALID, _("interrupted"));
    }

    char stamp[32];
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
    snprintf(res->path, sizeof res->path, "%s/run-%s-%d.h5", a->out_dir, stamp, (int)getpid());
    /* The file is written once the instrument has answered, so that its
     * first snapshot holds the standards and the device as well. */
    daq_run *run = NULL;
    int rc = daq_run_create_begin(res->path, &info, profile != NULL ? profile->text : plan, &run,
                                  err);
    if (rc == 0)
        rc = ses_record_standards(run, profile, reg, err);
    prof_standards_free(reg);
    if (rc != 0) {
        daq_run_abandon(run);
        free(pts);
        prof_profile_free(profile);
        return rc;
    }

    drv_dev *d = NULL;
    rc = drv_open(a->driver, a->port, a->serial, a->opts, daq_run_trace_writer(run), &d, err);
    struct daq_device dev = {0};
    if (rc == 0)
        rc = drv_identify(d, &dev.id, err);
    if (rc == CD_ERR_UNSUPPORTED) {
        cd_err_clear(err);
        rc = 0;
    }
    if (rc == 0) {
        snprintf(dev.driver, sizeof dev.driver, "%s", a->driver);
        snprintf(dev.port, sizeof dev.port, "%s", a->port);
        snprintf(dev.settings, sizeof dev.settings, "%s", a->serial != NULL ? a->serial : "");
        rc = daq_run_set_device(run, &dev, err);
    }
    if (rc == 0)
        rc = daq_run_checkpoint(run, err);
    if (rc == 0)
        rc = record_env(run, a, "start", err);
    if (rc == 0)
        rc = acquire_points(a, pts, n_pts, d, run, err);
    if (rc == 0)
        rc = record_env(run, a, "end", err);
    drv_close(d); /* the last received bytes go into the run's trace */
    if (rc != 0) {
        struct cd_err ignore = {0};
        daq_run_audit(run, "caldaq acquire", cd_err_text(err), &ignore);
    } else {
        res->end = "complete";
        daq_run_audit(run, "caldaq acquire", "run complete", err);
    }
    res->created = true;
    /* A close that fails (a full disk) leaves the last snapshot, which says
     * in-progress: say what the file says. */
    if (daq_run_close(run, res->end, &res->close_err) != 0)
        res->end = "in-progress";
    free(pts);
    prof_profile_free(profile);
    return rc;
}
