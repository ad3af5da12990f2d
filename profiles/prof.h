/* caldaq profiles: what a calibration is checked against.
 *
 * This header is the whole contract of the profiles module. It holds the
 * tolerance forms - pure functions that turn "an instrument of this kind, at
 * this reading or load" into a maximum permissible error (MPE), with no I/O,
 * allocation or global mutable state - and the reference standards register
 * (loaded from YAML, errors naming file:line). The profile loader will add
 * its section and fill these structures.
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

#endif
