/* caldaq profiles: what a calibration is checked against.
 *
 * This header is the whole contract of the profiles module. It holds the
 * tolerance forms - pure functions that turn "an instrument of this kind, at
 * this reading or load" into a maximum permissible error (MPE), with no I/O,
 * allocation or global mutable state - and the reference standards register
 * (loaded from YAML, errors naming file:line), and the profiles themselves:
 * a procedure as data (instrument class, test plan, uncertainty budget bound
 * to the statistics of each test point, decision rule, required standards).
 *
 * Conventions (docs/ARCHITECTURE.md): functions that can fail return 0 or a
 * negative enum cd_code and fill `err` (NULL allowed, first failure kept).
 * Every enum starts with an _UNSET value 0, so a zeroed or half-filled
 * structure is rejected with a message instead of meaning something.
 *
 * Sources, units and boundary conventions of every form: docs/tolerances.md.
 */
#ifndef CALDAQ_PROF_H
#define CALDAQ_PROF_H

#include <stdbool.h>
#include <stddef.h>

#include "cd.h"
#include "unc.h"

/* ------------------------------------------------------------------ */
/* Tolerance forms                                                     */

enum prof_tol_kind {
    PROF_TOL_UNSET = 0,
    PROF_TOL_OIML_R76,   /* non-automatic weighing instruments, by load in e */
    PROF_TOL_OIML_R111,  /* weights, by class and nominal value */
    PROF_TOL_EN837,      /* Bourdon pressure gauges: class % of span */
    PROF_TOL_ASME_B40,   /* pressure gauges: ASME B40.100 grade, % of span */
    PROF_TOL_DMM,        /* +-(% of reading + % of range) */
    PROF_TOL_PIECEWISE,  /* a table of (x, mpe) breakpoints */
};

/* Mass units for the two OIML forms; the class limits of R76 are stated in
 * grams and milligrams, so the unit of e must be known. */
enum prof_mass_unit {
    PROF_MASS_UNSET = 0,
    PROF_MASS_MG,
    PROF_MASS_G,
    PROF_MASS_KG,
    PROF_MASS_T,
};

/* --- OIML R76-1 (2006): non-automatic weighing instruments ---------- */

enum prof_r76_class {
    PROF_R76_UNSET = 0,
    PROF_R76_I,      /* special accuracy */
    PROF_R76_II,     /* high accuracy */
    PROF_R76_III,    /* medium accuracy */
    PROF_R76_IIII,   /* ordinary accuracy */
};

/* A single-interval instrument. e, d, max, min and the loads passed to
 * prof_mpe_at() are all in `unit`; the MPE comes back in `unit` too.
 *
 * MPE (R76-1 Table 6), load m counted in e: 0.5 e, 1 e or 1.5 e, each band
 * excluding its lower bound ("500 e < m <= 2 000 e"); a load within
 * 1e-6 e of a band edge counts as on the edge, so decimal loads such as
 * 0.05 kg with e = 0.000001 kg are not pushed into the next band by binary
 * rounding. In service the MPE is twice that (R76-1 3.5.2).
 * Loads must be 0 <= m <= Max (same 1e-6 e allowance); loads below Min are
 * accepted, as calibration procedures load from zero.
 *
 * The instrument must satisfy the class limits of R76-1 Table 3 (checked on
 * every call, see prof_r76_check()). Multi-interval and multiple-range
 * instruments are not supported. */
struct prof_r76 {
    enum prof_r76_class accuracy_class;
    enum prof_mass_unit unit;
    double e;            /* verification scale interval, 1, 2 or 5 x 10^k */
    double d;            /* actual scale interval (d <= e); 0: same as e */
    double max;          /* maximum capacity Max */
    double min;          /* minimum capacity Min; 0: not stated, not checked */
    bool in_service;     /* false: initial verification; true: in service (x2) */
};

/* The class limits of R76-1 Table 3: e of the form 1, 2 or 5 x 10^k, e at
 * least the class's smallest interval, n = Max/e within the class's bounds
 * (for the e row the instrument falls in), Min at least the class's factor
 * times d (R76-1 3.4.3 states Min in d; with d not given, e is used), and
 * 0 < d <= e, Min <= Max. Fails with CD_ERR_INVALID naming the violated
 * limit, e.g. "OIML R76 class III: n = Max/e = 20000 is above the class
 * limit 10000". */
int prof_r76_check(const struct prof_r76 *s, struct cd_err *err);

/* --- OIML R111-1 (2004): weights ----------------------------------- */

enum prof_r111_class {
    PROF_R111_UNSET = 0,
    PROF_R111_E1,
    PROF_R111_E2,
    PROF_R111_F1,
    PROF_R111_F2,
    PROF_R111_M1,
    PROF_R111_M2,
    PROF_R111_M3,
};

/* The value passed to prof_mpe_at() is the weight's nominal value in
 * `unit`; the MPE comes back in `unit`. Supported nominal values (the rows
 * caldaq ships, from R111-1 Table 1): 1 g, 10 g, 100 g, 1 kg, 10 kg, 20 kg.
 * Any other nominal value fails with CD_ERR_UNSUPPORTED; classes M1-2 and
 * M2-3 are not supported. */
struct prof_r111 {
    enum prof_r111_class weight_class;
    enum prof_mass_unit unit;
};

/* --- Pressure gauges ----------------------------------------------- */

/* The scale of a gauge: readings from `low` to `high` (both inclusive), in
 * the gauge's pressure unit. span = high - low. Compound scales (low < 0)
 * are fine. Readings outside the scale fail. */
struct prof_scale {
    double low;
    double high;
};

/* EN 837-1: MPE = class % of span, the same over the whole scale.
 * class_pct is one of 0.1, 0.25, 0.6, 1, 1.6, 2.5, 4. */
struct prof_en837 {
    double class_pct;
    struct prof_scale scale;
};

enum prof_asme_grade {
    PROF_ASME_UNSET = 0,
    PROF_ASME_4A,    /* 0.1 % of span, whole scale */
    PROF_ASME_3A,    /* 0.25 % */
    PROF_ASME_2A,    /* 0.5 % */
    PROF_ASME_1A,    /* 1 % */
    PROF_ASME_A,     /* 2 % first quarter, 1 % middle half, 2 % last quarter */
    PROF_ASME_B,     /* 3 / 2 / 3 % */
    PROF_ASME_C,     /* 4 / 3 / 4 % */
    PROF_ASME_D,     /* 5 %, whole scale */
};

/* ASME B40.100 grades. For A, B and C the middle half is the closed
 * interval from 25 % to 75 % of span: a reading exactly on a quarter mark
 * gets the tighter middle-half limit (docs/tolerances.md says why, and what
 * could not be confirmed). */
struct prof_asme {
    enum prof_asme_grade grade;
    struct prof_scale scale;
};

/* --- Digital multimeters: +-(% of reading + % of range) ------------- */

/* One row of a specification table: a range and its percentages. Readings
 * are accepted up to |reading| <= range * (1 + overrange_pct / 100). */
struct prof_dmm_row {
    double range;
    double pct_reading;
    double pct_range;
    double overrange_pct;
};

struct prof_dmm_table {
    const char *name;    /* the name a profile uses, e.g. "34401a-dcv-1y" */
    const char *title;   /* for certificates and messages */
    const char *unit;    /* of range and readings, e.g. "V" */
    size_t n_rows;
    const struct prof_dmm_row *rows;
};

/* HP/Agilent 34401A DC voltage, 1 year, 23 +- 5 degC (outside that band the
 * temperature coefficient must be added: not done here). */
extern const struct prof_dmm_table prof_dmm_34401a_dcv_1y;

/* The shipped table called `name` (case-insensitive); CD_ERR_NOT_FOUND
 * listing the known names otherwise. *out points to static const data. */
int prof_dmm_table_find(const char *name, const struct prof_dmm_table **out,
                        struct cd_err *err);

/* Either a shipped table (table != NULL: the row whose range equals
 * `range`; the percentages below must then be 0) or the generic form, where
 * the profile gives the two percentages and the overrange allowance.
 * MPE = pct_reading/100 * |reading| + pct_range/100 * range. */
struct prof_dmm {
    const struct prof_dmm_table *table; /* borrowed; NULL: generic form */
    double range;
    double pct_reading;   /* generic form only */
    double pct_range;     /* generic form only */
    double overrange_pct; /* generic form only; 0: readings up to the range */
};

/* --- Piecewise tables ---------------------------------------------- */

enum prof_interp {
    PROF_INTERP_UNSET = 0,
    /* mpe(x) = mpe_i for x_{i-1} < x <= x_i, and mpe_0 at x = x_0: each
     * breakpoint's MPE holds up to and including its x, excluding the
     * previous breakpoint (the convention of OIML R76-1 Table 6). */
    PROF_INTERP_STEP,
    /* straight lines between neighbouring breakpoints */
    PROF_INTERP_LINEAR,
};

struct prof_point {
    double x;
    double mpe;          /* > 0 */
};

/* At least two breakpoints, x strictly increasing. x outside
 * [x_0, x_last] fails (no extrapolation). An x within 1e-9 of the table's
 * width (x_last - x_0) of a breakpoint counts as on it. */
struct prof_piecewise {
    enum prof_interp interp;
    size_t n_points;
    const struct prof_point *points; /* borrowed: must outlive every call */
};

/* --- One tolerance, any form --------------------------------------- */

struct prof_tolerance {
    enum prof_tol_kind kind;
    union {
        struct prof_r76 r76;
        struct prof_r111 r111;
        struct prof_en837 en837;
        struct prof_asme asme;
        struct prof_dmm dmm;
        struct prof_piecewise piecewise;
    };
};

/* Validate the form's parameters (everything that does not depend on the
 * reading), e.g. a profile loader calls this once per tolerance. */
int prof_tolerance_check(const struct prof_tolerance *t, struct cd_err *err);

/* The maximum permissible error at `x` as a positive half-width, in the unit
 * of x: x is the applied load (R76), the nominal value (R111), the pressure
 * (EN 837-1, ASME) or the reading (DMM, piecewise). Validates the form on
 * every call. On failure *mpe is set to NAN. */
int prof_mpe_at(const struct prof_tolerance *t, double x, double *mpe, struct cd_err *err);

/* The permissible error as limits: low <= error <= high, in the unit of x,
 * ready for unc_decide(). Every form shipped so far is symmetric (low =
 * -mpe, high = +mpe: ASME grades A-C change the width with the position on
 * the scale, not the sign); an asymmetric form would be added here, and
 * callers that use limits need not change. On failure both are NAN. */
int prof_limits_at(const struct prof_tolerance *t, double x, double *low, double *high,
                   struct cd_err *err);

/* Where the MPE of `t` steps or changes slope inside (x0, x1), increasing,
 * at most `cap` of them in xs, their number in *n: the band edges of OIML
 * R76-1 Table 6 (class II with e = 0.01 g: 50 g and 200 g), the quarter
 * marks of ASME grades A-C, 0 for a DMM's % of |reading|, the breakpoints
 * of a piecewise table; none for EN 837-1 and R111. Between two breaks the
 * MPE is constant or linear, so an envelope drawn from the MPE just inside
 * each end is exact. */
int prof_tolerance_breaks(const struct prof_tolerance *t, double x0, double x1, double *xs,
                          size_t cap, size_t *n, struct cd_err *err);

/* Names as a profile writes them: "oiml-r76", "I".."IIII", "E1".."M3",
 * "4A".."D", "mg".."t". Unknown values give "?". */
const char *prof_tol_kind_name(enum prof_tol_kind kind);
const char *prof_mass_unit_name(enum prof_mass_unit unit);
const char *prof_r76_class_name(enum prof_r76_class c);
const char *prof_r111_class_name(enum prof_r111_class c);
const char *prof_asme_grade_name(enum prof_asme_grade g);

/* The reverse, case-insensitive; CD_ERR_INVALID listing the accepted names
 * otherwise. */
int prof_tol_kind_parse(const char *name, enum prof_tol_kind *out, struct cd_err *err);
int prof_mass_unit_parse(const char *name, enum prof_mass_unit *out, struct cd_err *err);
int prof_r76_class_parse(const char *name, enum prof_r76_class *out, struct cd_err *err);
int prof_r111_class_parse(const char *name, enum prof_r111_class *out, struct cd_err *err);
int prof_asme_grade_parse(const char *name, enum prof_asme_grade *out, struct cd_err *err);

/* ------------------------------------------------------------------ */
/* Reference standards register                                        */

/* The lab's register of reference standards (weight sets, pressure
 * references, calibrators, ...) with the figures of their calibration
 * certificates, loaded from one YAML file per lab. Format and rules:
 * docs/standards.md. A session looks its references up here and refuses
 * any that is past its due date (prof_standard_check_due()). */

enum prof_std_kind {
    PROF_STD_UNSET = 0,
    PROF_STD_WEIGHT_SET,          /* "weight-set" */
    PROF_STD_PRESSURE_REFERENCE,  /* "pressure-reference" */
    PROF_STD_CALIBRATOR,          /* "calibrator" */
    PROF_STD_THERMOMETER,         /* "thermometer" */
    PROF_STD_HYGROMETER,          /* "hygrometer" */
    PROF_STD_OTHER,               /* "other" */
};

/* One certified value: at `nominal` (in `unit`) the certificate gives
 * `value` (for weights the conventional mass) with expanded uncertainty U
 * at the standard's coverage factor k, both in `unit`. The correction is
 * value - nominal. Units are kept as written (no conversion): a weight set
 * may mix mg and g. Two items with the same nominal and unit (the 2 g and
 * 2 g* pieces of a 1-2-2-5 set) must carry different marks. */
struct prof_std_item {
    double nominal;      /* > 0 for weight sets */
    const char *unit;    /* non-empty, e.g. "g", "mg", "V", "bar" */
    const char *mark;    /* "" when not given, e.g. "*" or "•" */
    double value;        /* finite */
    double U;            /* > 0, finite */
    int line;            /* line of the item in the register file */
};

/* Dates are calendar dates "YYYY-MM-DD" (proleptic Gregorian). The *_day
 * fields count days from 1970-01-01 (prof_date_parse()). Strings are UTF-8
 * kept exactly as written; absent optional strings are "". All pointers
 * are owned by the register. */
struct prof_standard {
    const char *id;                   /* unique in the register, no spaces */
    enum prof_std_kind kind;
    const char *description;
    const char *class_name;           /* as written ("E2", "0.01 %"), or "" */
    enum prof_r111_class weight_class;/* weight sets (required there); else UNSET */
    const char *certificate;          /* certificate number */
    const char *issued_by;
    char calibrated[11];              /* "" when not given */
    char due[11];                     /* the last day the standard may be used */
    long calibrated_day;              /* meaningful when calibrated[0] != '\0' */
    long due_day;
    double k;                         /* coverage factor of every U, > 0 */
    size_t n_items;                   /* >= 1 */
    const struct prof_std_item *items;
    int line;                         /* line of the entry in the register file */
};

typedef struct prof_standards prof_standards;

/* Load and validate a register. Every error names the file and line
 * ("lab.yaml:12: standard 'W-E2-01': k = 0 must be positive"): YAML syntax
 * errors, wrong types and unknown keys give CD_ERR_PARSE; values that break
 * a rule (dates, k, U, duplicates) CD_ERR_INVALID; an unreadable file
 * CD_ERR_IO. Returns NULL on failure. The caller owns the result and
 * releases it with prof_standards_free(). */
prof_standards *prof_standards_load(const char *path, struct cd_err *err);
/* The same from text; `source` (NULL: "standards") names it in messages. */
prof_standards *prof_standards_load_string(const char *text, const char *source,
                                           struct cd_err *err);
void prof_standards_free(prof_standards *reg);

/* The lab's name ("" when not given), the number of standards, the i-th
 * (NULL when out of range), the one called `id` (exact, case-sensitive;
 * NULL when absent). Pointers live as long as the register. */
const char *prof_standards_lab(const prof_standards *reg);
/* True for a register marked `example: true` (the shipped
 * profiles/standards/example-lab.yaml): its figures are made up and its
 * dates may be written relative to today ("today - 9 months"), resolved at
 * load time with cd_today(), so the example stays in date whenever it is
 * tried. Commands that use one say so once (docs/standards.md). */
bool prof_standards_example(const prof_standards *reg);
size_t prof_standards_count(const prof_standards *reg);
const struct prof_standard *prof_standards_get(const prof_standards *reg, size_t i);
const struct prof_standard *prof_standards_find(const prof_standards *reg, const char *id);

/* The certified item at exactly `nominal` (within 1e-9 relative) in
 * exactly `unit` (case-sensitive: "mg" is not "Mg"); `mark` NULL matches
 * any mark, but then two matching items fail as ambiguous. No unit
 * conversion and, for weight sets, no combination of pieces: a nominal not
 * on the certificate fails with CD_ERR_NOT_FOUND. *out borrows from `s`. */
int prof_standard_item_find(const struct prof_standard *s, double nominal, const char *unit,
                            const char *mark, const struct prof_std_item **out,
                            struct cd_err *err);

/* A "YYYY-MM-DD" calendar date as days from 1970-01-01; CD_ERR_INVALID for
 * anything else ("2026-02-30", "2026-3-1", trailing text). */
int prof_date_parse(const char *iso, long *day, struct cd_err *err);
/* A date of an example register relative to `today_iso`: "today",
 * "today + N days|months|years", "today - N ..." (a month later than 31
 * March is 30 April). Writes "YYYY-MM-DD" to out; CD_ERR_INVALID for
 * anything else. */
int prof_date_relative(const char *text, const char *today_iso, char out[11],
                       struct cd_err *err);

/* Days from `today_iso` to the due date: 0 on the due date, negative once
 * past it. */
int prof_standard_days_left(const struct prof_standard *s, const char *today_iso, long *days,
                            struct cd_err *err);

/* 0 when `s` may be used on `today_iso`: the due date is the last day of
 * use, so the check passes up to and including it. After it: CD_ERR_INVALID,
 * "reference W-E2-01 (certificate VMI-KL-2025-0412) was due for calibration
 * on 2026-03-10; it may not be used after that date". A malformed today is
 * CD_ERR_INVALID too. */
int prof_standard_check_due(const struct prof_standard *s, const char *today_iso,
                            struct cd_err *err);

/* "weight-set", ...; "?" when unknown. The reverse is case-insensitive and
 * fails with CD_ERR_INVALID listing the accepted names. */
const char *prof_std_kind_name(enum prof_std_kind kind);
int prof_std_kind_parse(const char *name, enum prof_std_kind *out, struct cd_err *err);


/* ------------------------------------------------------------------ */
/* Profiles: a calibration procedure as data                           */

/* Format, rules and the shipped procedures: docs/profiles.md. A profile
 * says what is measured (the instrument's unit, resolution and tolerance),
 * in which order (the plan, flattened into test points), how the
 * uncertainty is evaluated (a GUM model whose inputs are formulas over the
 * statistics of a test point), how conformity is decided, and which
 * reference standards the procedure needs. */

enum prof_family {
    PROF_FAMILY_UNSET = 0,
    PROF_FAMILY_BALANCE,     /* "balance" */
    PROF_FAMILY_PRESSURE,    /* "pressure" */
    PROF_FAMILY_DMM,         /* "dmm" */
    PROF_FAMILY_TEMPERATURE, /* "temperature": thermometers compared in a bath */
};

enum prof_test {
    PROF_TEST_UNSET = 0,
    PROF_TEST_REPEATABILITY, /* one load, read `repeat` times */
    PROF_TEST_ECCENTRICITY,  /* one load at several positions on the pan */
    PROF_TEST_ERROR,         /* errors of indication at each point, per series */
};

enum prof_direction {
    PROF_DIR_UNSET = 0,
    PROF_DIR_UP,             /* increasing load / pressure */
    PROF_DIR_DOWN,
};

/* Where the reference value of a test point comes from. */
enum prof_ref_source {
    PROF_REF_UNSET = 0,
    /* the certified values of the standard's items ("certificate"): for a
     * weight set the sum over the pieces that make the load, each piece
     * used once; otherwise the item at the nominal value. A nominal of 0
     * has reference 0 with no uncertainty (no weight on the pan, a gauge
     * vented to atmosphere). */
    PROF_REF_CERTIFICATE,
    /* the nominal value ("nominal"); its uncertainty is then whatever the
     * budget states (a class MPE, a calibrator specification). */
    PROF_REF_NOMINAL,
};

/* A reference standard the procedure needs. */
struct prof_std_need {
    const char *role;                 /* "weights", "reference", ...: unique */
    enum prof_std_kind kind;
    const char *id;                   /* the register's id to use, "" when the session picks */
    enum prof_ref_source source;      /* UNSET: not the reference of the error test */
    enum prof_r111_class weight_class;/* weights used at class (mpe_ref); UNSET when not stated */
    int line;
};

/* One test point: what a session asks for and what the run records
 * (reading.point = index, reading.role = role, reading.nominal = nominal). */
struct prof_plan_point {
    size_t index;                     /* position in the plan */
    size_t group;                     /* the plan entry it comes from, 0-based */
    enum prof_test test;
    const char *role;                 /* "repeatability", "eccentricity", "error-up", "error-down" */
    double nominal;                   /* load, pressure or set value, in the instrument's unit */
    double range;                     /* DMM range of the group; NAN when not given */
    double resolution;                /* d of the group (its own or the instrument's); 0: as displayed */
    int series;                       /* error test: 0-based series; otherwise 0 */
    enum prof_direction direction;    /* error test; otherwise UNSET */
    const char *position;             /* eccentricity: "centre", ...; otherwise "" */
    unsigned repeat;                  /* readings to take, >= 1 */
    size_t n_weights;                 /* pieces that make the load; 0: one piece of the nominal */
    const double *weights;            /* their nominal values */
    const double *constants;          /* the profile's constants with the group's overrides */
    int line;
};

/* The statistics of a test point a budget formula may name (besides the
 * profile's constants). Computed by the analysis from the run; NAN when
 * not available for that point (e.g. temp_c when not measured), and a
 * formula using a NAN value fails naming it. docs/profiles.md defines each. */
enum prof_stat {
    PROF_STAT_NOMINAL,      /* nominal value of the point */
    PROF_STAT_MEAN,         /* mean indication over every series */
    PROF_STAT_S,            /* experimental standard deviation of those readings (0 for one) */
    PROF_STAT_N,            /* number of readings */
    PROF_STAT_D,            /* resolution as displayed */
    PROF_STAT_REF,          /* reference value */
    PROF_STAT_U_REF,        /* its standard uncertainty (sum over pieces, correlated) */
    PROF_STAT_MPE_REF,      /* class MPE of the reference (sum over pieces) */
    PROF_STAT_S_REP,        /* s of the repeatability test */
    PROF_STAT_N_REP,        /* its number of readings */
    PROF_STAT_ECC_MAX,      /* largest |I_i - I_centre| of the eccentricity test */
    PROF_STAT_ECC_LOAD,     /* its load */
    PROF_STAT_MEAN_UP,      /* mean of the up series */
    PROF_STAT_MEAN_DOWN,    /* mean of the down series */
    PROF_STAT_HYSTERESIS,   /* mean |down_i - up_i| over series pairs */
    PROF_STAT_B_REP,        /* repeatability between series of one direction */
    PROF_STAT_F0,           /* zero deviation: spread of the readings at nominal 0 */
    PROF_STAT_RANGE,        /* DMM range */
    PROF_STAT_MPE,          /* the instrument's MPE at the point */
    PROF_STAT_TEMP_C,       /* environment, mean over the run */
    PROF_STAT_RH_PCT,
    PROF_STAT_P_HPA,
    PROF_STAT_N_PER_SERIES, /* readings per series: n over the series measured at the point */
    PROF_STAT_RHO_A,        /* air density in kg/m3 (prof_air_density); needs air_density */
    PROF_STAT_U_RHO_A,      /* its standard uncertainty in kg/m3 */
    PROF_STAT_COUNT
};

/* "nominal", "mean", ...; NULL out of range. */
const char *prof_stat_name(enum prof_stat s);

/* One input of the budget: like a model file's input, with formulas over
 * the statistics for its numbers. NULL formula: not given. */
struct prof_budget_input {
    const char *name;
    const char *label;                /* "" when not given */
    const char *label_vi;             /* label: {en: ..., vi: ...}; "" when not given */
    enum unc_dist dist;
    const unc_formula *value;         /* NULL: 0 */
    const unc_formula *u;             /* NORMAL, STUDENT_T */
    const unc_formula *half_width;    /* RECTANGULAR, TRIANGULAR, ARCSINE, TRAPEZOIDAL */
    double beta;                      /* TRAPEZOIDAL */
    const unc_formula *dof;           /* NULL: infinite */
    const char *source;               /* the clause the line comes from, "" when not given */
    const char *source_vi;            /* source: {en: ..., vi: ...}; "" when not given */
    int line;
};

struct prof_budget {
    const char *output;               /* the error's name, e.g. "E" */
    const char *expression;           /* over the input names */
    size_t n_inputs;
    const struct prof_budget_input *inputs;
    struct unc_coverage coverage;
    int line;                         /* of the expression */
};

/* The air density a buoyancy correction needs (air_density in a profile,
 * docs/profiles.md): computed from the conditions the run
 * recorded, with the standard uncertainties of the lab's sensors, or the
 * profile's estimate when the run did not measure them. */
struct prof_air {
    bool given;                       /* the profile has an air_density section */
    double u_temp_c;                  /* standard uncertainty of the temperature, degC */
    double u_rh_pct;                  /* of the relative humidity, %RH */
    double u_p_hpa;                   /* of the air pressure, hPa */
    double estimate;                  /* kg/m3, when the conditions were not measured */
    double u_estimate;                /* its standard uncertainty, kg/m3 */
};

/* The air density and where it came from. */
struct prof_air_density {
    bool measured;                    /* from the run's conditions; false: the estimate */
    double rho;                       /* kg/m3 */
    double u;                         /* standard uncertainty, kg/m3 */
};

/* OIML R111-1:2004 E.3, equation (E.3-1), the approximation of the CIPM
 * formula for the density of moist air:
 *     rho_a = (0.34848 p - 0.009 hr exp(0.061 t)) / (273.15 + t)
 * with p in hPa, hr in %, t in degC, rho_a in kg/m3. Its standard
 * uncertainty combines the formula's own relative uncertainty (2e-4, R111
 * E.3; from memory) with the sensors' (`air`) through the partial
 * derivatives of (E.3-1) (GUM 5.1.2). Any of t, hr, p NAN (not measured):
 * the estimate and its uncertainty, measured = false. CD_ERR_INVALID for
 * an air section that is not given or conditions that give no density. */
int prof_air_density(const struct prof_air *air, double temp_c, double rh_pct, double p_hpa,
                     struct prof_air_density *out, struct cd_err *err);

/* Environmental conditions: recorded at the start and the end of a
 * session, and at each point with per_point. With a sensor they are read
 * from a Modbus thermo-hygrometer: two channels on one port, each given by
 * the modbus driver's options (docs/drivers-dmm-modbus.md), e.g.
 * {"register=0", "type=int16", "scale=0.1", "function=4", NULL}. */
struct prof_environment {
    bool per_point;
    bool sensor;
    const char *port;                 /* "" without a sensor */
    const char *serial;               /* "" for the driver's default */
    const char *const *temperature;   /* NULL-terminated driver options, degC */
    const char *const *humidity;      /* the same, %RH */
};

/* A source caldaq sets and waits on (issue 19, docs/sources.md): before
 * each point the session sets it to the nominal, then waits until the
 * actual value has stayed within +-band of it for stable_for_s seconds,
 * giving up after timeout_s. `source:` in the profile. */
struct prof_source {
    bool given;                       /* the profile has a source: section */
    const char *driver;               /* "pace", "bath" ("" when not given) */
    double band;                      /* in the profile's unit, > 0 */
    double stable_for_s;              /* > 0, default 30 */
    double timeout_s;                 /* > stable_for_s, default 600 */
};

/* ---- two sides of a test point, and verification (issue 16) ---- */

/* Calibration (hiệu chuẩn) or legal verification (kiểm định). */
enum prof_kind {
    PROF_KIND_UNSET = 0,
    PROF_KIND_CALIBRATION,   /* "calibration" (the default) */
    PROF_KIND_VERIFICATION,  /* "verification": a ĐLVN procedure, docs/verification.md */
};

/* How a side of the test point is read. */
enum prof_read {
    PROF_READ_UNSET = 0,
    PROF_READ_INSTRUMENT,    /* "instrument": a driver on its own port */
    PROF_READ_TYPED,         /* "typed": read by eye and typed by the technician */
    PROF_READ_CERTIFIED,     /* "certified" (reference only): the standard's certified value
                              * or the nominal at the point (reference_value of the need),
                              * as calibrations have always done */
};

/* Which side is brought to the nominal value. */
enum prof_method {
    PROF_METHOD_UNSET = 0,
    PROF_METHOD_SET_REFERENCE, /* "set-reference": the reference is set (a weight, a
                                * calibrator), the item is read: the default */
    PROF_METHOD_SET_ITEM,      /* "set-item": the item's pointer is brought to the nominal
                                * mark, the reference is read (dial gauges, ĐLVN 08:2011) */
};

/* One side (item or reference). */
struct prof_side {
    enum prof_read read;
    const char *driver;       /* instrument: the driver used unless the session names one; "" */
    const char *label_en;     /* what the technician reads: "pressure gauge"; "" */
    const char *label_vi;     /* "áp kế"; "" */
    /* typed: the values accepted (inclusive; NAN: the plan's nominals bound nothing), the
     * smallest step typed (a value with more decimals than it allows is refused; 0: any),
     * and how far from the nominal, in MPEs at the point, a value may be before the
     * technician must confirm it (0: never asked) */
    double low, high;
    double resolution;
    double confirm_beyond_mpe;
    int line;
};

enum prof_check_stage {
    PROF_CHECK_UNSET = 0,
    PROF_CHECK_EXTERNAL,      /* "external": kiểm tra bên ngoài */
    PROF_CHECK_TECHNICAL,     /* "technical": kiểm tra kỹ thuật */
};

/* One item of a verification procedure's checklist, answered đạt / không đạt. */
struct prof_check {
    enum prof_check_stage stage;
    const char *id;           /* unique in the profile, [a-z0-9-] */
    const char *text_en, *text_vi;
    const char *clause;       /* the procedure's clause, "" when not given */
    int line;
};

struct prof_verification {
    const char *instrument_type;  /* key of the cycles table (verification-cycles.yaml) */
    const char *cycles_path;      /* the table, resolved against the profile's folder
                                   * (default "verification-cycles.yaml" beside it) */
    /* the reference must be good enough: at every point MPE >= ratio x U_ref (U at the
     * standard's k); default 3 ("one third of the MPE") */
    double reference_ratio;
    const char *ratio_source;     /* where the ratio comes from; "" when the default */
    size_t n_checks;
    const struct prof_check *checks;
};

/* A PRT calibrated as a curve (`curve:`, docs/profiles.md): the item's
 * indication (instrument unit, ohm) against the reference's value at each
 * point (x_unit, degC) fitted by weighted least squares, the budget of a
 * point giving the resistance and its u. */
enum prof_curve_form {
    PROF_CURVE_NONE = 0,
    PROF_CURVE_CVD,          /* R = R0 (1 + A t + B t^2), t >= 0 degC */
};

struct prof_curve {
    enum prof_curve_form form;        /* NONE: the profile has no curve */
    const char *x_unit;               /* the reference's unit: "\xC2\xB0" "C" */
    int line;
};

struct prof_profile {
    const char *source;               /* the file name given to the loader */
    const char *text;                 /* the YAML text as loaded (stored in runs) */
    const char *name;
    const char *title_en, *title_vi;
    const char *method;               /* the normative reference */
    const char *national_document;    /* the ĐLVN document for the same instrument, or a note */
    /* their Vietnamese (method: {en: ..., vi: ...}); "" when not given: the
     * documents show the one text in both languages */
    const char *method_vi, *national_document_vi;
    const char *register_path;        /* default standards register, resolved against the
                                       * profile's directory; "" when not given */
    enum prof_family family;
    const char *unit;                 /* of indications, nominals and errors */
    double resolution;                /* > 0; 0: as displayed by the instrument */
    struct prof_tolerance tolerance;  /* DMM: the range comes from each point */
    struct unc_decision_rule rule;
    size_t n_needs;
    const struct prof_std_need *needs;
    const struct prof_std_need *reference; /* the need with a source, or NULL */
    size_t n_constants;
    const char *const *constant_names;
    size_t n_points;
    const struct prof_plan_point *points;
    size_t n_groups;
    struct prof_budget budget;
    struct prof_environment environment;
    struct prof_source set_source;    /* issue 19: set and wait before each point (source:) */
    struct prof_air air;              /* the air density, for buoyancy (balances) */
    enum prof_kind kind;              /* CALIBRATION unless the profile says verification */
    enum prof_method comparison;      /* `comparison:` SET_REFERENCE unless the profile says
                                       * set-item (`method:` is the normative reference) */
    struct prof_side item;            /* default: read INSTRUMENT */
    struct prof_side ref;             /* default: read CERTIFIED */
    struct prof_verification verification; /* kind VERIFICATION only */
    struct prof_curve curve;          /* form NONE unless the profile has `curve:` */
};

/* The unit of the reference side: the curve's x unit, else the
 * instrument's. */
const char *prof_reference_unit(const struct prof_profile *p);

/* Load and validate a profile: YAML syntax, keys and types (CD_ERR_PARSE),
 * values and rules (CD_ERR_INVALID), all naming file:line; formulas are
 * parsed against the statistics and constants, and the budget is built
 * once with trial values, so an unknown name anywhere fails at load.
 * NULL on failure; free with prof_profile_free(). */
struct prof_profile *prof_profile_load(const char *path, struct cd_err *err);
struct prof_profile *prof_profile_load_string(const char *text, const char *source,
                                              struct cd_err *err);
void prof_profile_free(struct prof_profile *p);

/* Check the profile against a register on `today_iso`: every need with an
 * id exists, has the right kind, is in date (prof_standard_check_due), and
 * for a certificate reference, has an item for every piece the plan uses
 * (a reference that is read too: its reading is corrected there). For a
 * verification also: the reference ratio (prof_check_reference_ratio) of
 * the reference standard when the profile names it (the cycles table is
 * prof_profile_check_cycles'). Errors name the profile's line and the
 * register's entry. */
int prof_profile_check_standards(const struct prof_profile *p, const prof_standards *reg,
                                 const char *today_iso, struct cd_err *err);
/* A verification profile's instrument type is in its cycles table
 * (verification.cycles_path), or no validity date can be given; checked by
 * `caldaq profile check` and before a verification starts, not with the
 * standards (a resumed run's stored profile goes through that check, and
 * the table lives beside the profile, not in the run). Calibration
 * profiles pass. */
int prof_profile_check_cycles(const struct prof_profile *p, struct cd_err *err);

/* The budget of `pt` as a prepared model: every input formula evaluated
 * with `stats` (PROF_STAT_COUNT values, NAN where unavailable) and the
 * point's constants. Errors name the point and the input. */
int prof_budget_model(const struct prof_profile *p, const struct prof_plan_point *pt,
                      const double *stats, unc_model **out, struct cd_err *err);

/* The MPE (as limits) of the instrument at `pt`: the tolerance at the
 * nominal value, with the point's range for DMM tables. */
int prof_point_limits(const struct prof_profile *p, const struct prof_plan_point *pt,
                      double *low, double *high, struct cd_err *err);

/* The reference of a test point, from standard `s` (NULL for a nominal
 * reference): value, standard uncertainty and class MPE (NAN when the
 * profile states no class), in the profile's unit. Certificate values:
 * each piece of the load (pt->weights, or the nominal as one piece) is an
 * item of `s` not used before for this point, in the profile's unit or a
 * mass unit converted to it; the pieces' uncertainties add linearly (the
 * certificate values of one set are correlated). Fails naming the point
 * and the missing piece. */
struct prof_reference {
    double value;
    double u;
    double mpe;
};
int prof_point_reference(const struct prof_profile *p, const struct prof_plan_point *pt,
                         const struct prof_standard *s, struct prof_reference *out,
                         struct cd_err *err);

/* The reference is good enough for a verification (docs/verification.md):
 * at every point of the plan MPE >= reference_ratio x U, U the expanded
 * uncertainty of the reference standard `s` at the point's nominal (the
 * certified item there: prof_point_reference's u times the standard's k).
 * CD_ERR_INVALID naming the first point that fails, with both figures:
 * "reference P-REF-01: U = 0.08 bar at 10 bar is more than 1/3 of the MPE
 * 0.16 bar (ĐLVN 08:2011 ...)". A reference that is read (instrument or
 * typed) with no certified item at a point's nominal counts with the
 * largest U of its items in the profile's unit (conservative,
 * docs/verification.md). Calibration profiles always pass; a verification
 * with s NULL fails. */
int prof_check_reference_ratio(const struct prof_profile *p, const struct prof_standard *s,
                               struct cd_err *err);

/* The verification cycles table (profiles/verification-cycles.yaml, after
 * Thông tư 23/2013/TT-BKHCN as amended): per instrument type the cycle in
 * months, its names and its source. Errors name file:line. */
struct prof_cycle {
    const char *type;         /* "bourdon-pressure-gauge", ... */
    const char *name_en, *name_vi;
    int months;               /* > 0 */
    const char *source;       /* the legal text and entry; "(from memory)" marks what is */
    int line;
};
typedef struct prof_cycles prof_cycles;
prof_cycles *prof_cycles_load(const char *path, struct cd_err *err);
prof_cycles *prof_cycles_load_string(const char *text, const char *source, struct cd_err *err);
void prof_cycles_free(prof_cycles *c);
/* The entry for `type`; NULL when absent (CD_ERR_NOT_FOUND in err, naming
 * the table and the types it has). */
const struct prof_cycle *prof_cycles_find(const prof_cycles *c, const char *type,
                                          struct cd_err *err);
/* The last day a verification made on `verified` (YYYY-MM-DD) stays valid
 * with a cycle of `months`: the same day `months` later, less one day (a
 * day that does not exist in the target month counts as that month's last
 * day, then less one). "2026-12-07" + 12 -> "2027-12-06". */
int prof_validity_date(const char *verified, int months, char out[11], struct cd_err *err);

const char *prof_kind_name(enum prof_kind k);
const char *prof_read_name(enum prof_read r);
const char *prof_method_name(enum prof_method m);
const char *prof_check_stage_name(enum prof_check_stage s);

const char *prof_family_name(enum prof_family f);
const char *prof_test_name(enum prof_test t);

#endif
