/* Analysis: a run's readings evaluated against a profile. Per result point
 * (each nominal value of an error test, all its series together) the mean
 * indication, the error with its GUM budget, U, k, nu_eff, the MPE and the
 * verdict by the profile's decision rule; the repeatability and
 * eccentricity tests; and the overall verdict. Private to daq/: pure
 * computation, no files (cmd_analyze.c reads and writes runs). */
#ifndef CALDAQ_ANALYSIS_H
#define CALDAQ_ANALYSIS_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "cd.h"
#include "prof.h"
#include "run.h"
#include "unc.h"

#define ANA_SCHEMA "caldaq-analysis/1"

struct ana_budget_row {
    char name[64];
    char label[128];
    char label_vi[128];         /* the profile's Vietnamese label, "" when none */
    char source[192];           /* the clause the profile cites, "" when none */
    char source_vi[256];        /* its Vietnamese, "" when the profile gives none */
    double x, u, dof, c, contribution, share; /* as unc_budget_row */
};

struct ana_point {
    size_t group;               /* plan entry, 0-based */
    const struct prof_plan_point *first; /* the plan point of its first series */
    double nominal;
    double range;               /* NAN unless DMM */
    bool measured;              /* false: no usable reading (the run ended before it) */
    size_t n;                   /* stable readings used, all series */
    double stats[PROF_STAT_COUNT];
    double error, u, nu_eff, k, p, U;
    double low, high;           /* permissible error limits (-MPE, +MPE) */
    /* a curve profile: x the reference's value (curve x_unit), y the
     * budget's value (the item's indication at x) and fit the curve at x;
     * error is then the residual y - fit, u and U those of y */
    double x, y, fit;
    struct unc_decision decision;
    size_t n_rows;
    struct ana_budget_row *rows;
};

struct ana_position {
    char name[32];
    double indication;          /* mean of its readings */
    double deviation;           /* indication - centre */
};

/* One answer of a verification checklist (the run's check readings; the
 * last answer of a check counts). */
struct ana_check {
    const struct prof_check *check;  /* the profile's */
    bool answered;
    bool passed;                /* đạt */
    char answer[64];            /* as typed */
    char who[64];
    double t;
};

struct ana_result {
    size_t n_points;
    struct ana_point *points;
    bool has_repeatability;
    double rep_load, rep_mean, rep_s;
    size_t rep_n;
    bool has_eccentricity;
    double ecc_load, ecc_max;
    size_t n_positions;
    struct ana_position *positions;
    double env[3];              /* mean temp_c, rh_pct, p_hpa; NAN when not measured */
    /* the air density (profiles with air_density): from env
     * by OIML R111-1 (E.3-1), or the profile's estimate when not measured */
    bool has_air;
    struct prof_air_density air;
    size_t n_ignored;           /* readings not used: unstable, overload, error */
    size_t n_superseded;        /* stable readings of a repeated point before its last `repeat` */
    bool complete;              /* every result point measured */
    enum unc_verdict verdict;   /* the worst verdict of the measured points */
    /* a verification (profile kind verification): the checklist, and the
     * procedure's decision: every check đạt and every measured point's
     * |error| within the MPE (simple acceptance, whatever the profile's
     * rule); `verdict` is then UNC_PASS or UNC_FAIL */
    bool verification;
    size_t n_checks;
    struct ana_check *checks;   /* one per profile check, in its order */
    bool checks_passed;         /* every check answered đạt */
    size_t n_typed;             /* readings typed by the operator (both sides) */
    /* a PRT calibrated as a curve (profile `curve:`): the weighted fit of
     * the points' y against x (uncertainty/fit.c), its CVD coefficients
     * with their covariance (unc_cvd_from_fit) and the coverage factor of
     * their U */
    bool has_curve;
    struct unc_fit fit;
    struct unc_cvd_fit cvd;
    double curve_k;
};

struct ana_input {
    const struct prof_profile *profile;
    const struct daq_reading *readings;
    size_t n_readings;
    const struct daq_env *env;
    size_t n_env;
    /* the reference standard's certified values; NULL when the profile's
     * reference is nominal */
    const struct prof_standard *reference;
};

/* Readings must belong to the profile's plan: reading.point indexes it,
 * with the plan's role and nominal; anything else fails naming the reading
 * (the run was recorded with another profile). Only stable, finite
 * readings count; the others (unstable, overload, error) are counted in
 * n_ignored. A stable reading in another unit than the profile's fails,
 * naming it: the instrument is set up wrongly. A point with more stable
 * readings than its `repeat` (measured again) uses its last `repeat`; the
 * earlier ones are counted in n_superseded. A curve profile needs at least
 * four measured points (three coefficients and a degree of freedom). */
int ana_run(const struct ana_input *in, struct ana_result **out, struct cd_err *err);
void ana_result_free(struct ana_result *r);

/* The result as JSON (schema ANA_SCHEMA, docs/profiles.md), stored as a
 * results version of the run. NULL when out of memory. */
json_t *ana_result_json(const struct ana_result *r, const struct prof_profile *p);

/* The result as the technician reads it: one line per point and the
 * overall verdict, in the language of the messages; `vi`: that language is
 * Vietnamese, so the profile's own texts (its method) are shown in it. */
void ana_result_print(FILE *f, const struct ana_result *r, const struct prof_profile *p,
                      bool vi);

/* "pass", ..., or "incomplete" when points are missing. */
const char *ana_overall_name(const struct ana_result *r);

/* Analysing a run file: its profile (stored, or another), the reference
 * values (stored in the run, or from a register), the analysis, and with
 * `write` a new results version in the run with an audit entry. What
 * `caldaq analyze`, sessions, certificates and reprocessing share. */

struct ana_file_opts {
    const char *profile_path;   /* NULL: the profile stored in the run */
    /* a profile already loaded, used instead of loading one (borrowed: a
     * batch passes the one it parsed for runs of the same profile text) */
    const struct prof_profile *profile;
    const char *standards_path; /* NULL: the reference values stored in the run */
    bool write;                 /* store the results as a new version */
    const char *operator_name;  /* for the audit entry */
};

struct ana_file {
    char path[4096];            /* the run file */
    struct daq_run_view *view;
    struct prof_profile *profile;
    bool profile_borrowed;      /* from ana_file_opts.profile: not freed */
    struct ana_result *result;
    json_t *doc;                /* the results as stored (ANA_SCHEMA + run_id, sources) */
    int version;                /* with write: the results version */
};

int ana_file_run(const char *path, const struct ana_file_opts *o, struct ana_file *out,
                 struct cd_err *err);
/* The same for a run already open: `view` (from daq_run_open) is taken
 * over by *out, also on failure. */
int ana_file_run_view(const char *path, struct daq_run_view *view, const struct ana_file_opts *o,
                      struct ana_file *out, struct cd_err *err);
void ana_file_free(struct ana_file *f);

#endif
