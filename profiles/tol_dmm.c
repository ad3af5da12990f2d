/* Multimeter tolerances: +-(% of reading + % of range), from a shipped
 * specification table or from two percentages a profile gives.
 *
 * The 34401A table is protocols.md 4.4. Its full-scale sums reproduce the
 * 1-year limits of the 34401A service guide's gain verification table
 * (8.5 uV, 47 uV, 400 uV, 5.1 mV, 55 mV [S36]); tests/unit/test_tolerance.c
 * checks that. Overrange: the user's guide autoranges up "at >120% of
 * range" (manualshive.com/en/manual/hp/34401a/162633?page=62), hence 20 %;
 * that the 1000 V range has no overrange is from memory of the data sheet
 * (not confirmed), and 0 % is the stricter choice.
 */
#include "prof.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <strings.h>

#include "tol_priv.h"
#include "cd_i18n.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const struct prof_dmm_row rows_34401a_dcv_1y[] = {
    {0.1, 0.0050, 0.0035, 20},
    {1, 0.0040, 0.0007, 20},
    {10, 0.0035, 0.0005, 20},
    {100, 0.0045, 0.0006, 20},
    {1000, 0.0045, 0.0010, 0},
};

const struct prof_dmm_table prof_dmm_34401a_dcv_1y = {
    .name = "34401a-dcv-1y",
    .title = "HP/Agilent 34401A DC voltage, 1 year, 23 +- 5 degC",
    .unit = "V",
    .n_rows = COUNT(rows_34401a_dcv_1y),
    .rows = rows_34401a_dcv_1y,
};

static const struct prof_dmm_table *const dmm_tables[] = {
    &prof_dmm_34401a_dcv_1y,
};

int prof_dmm_table_find(const char *name, const struct prof_dmm_table **out,
                        struct cd_err *err)
{
    if (name == NULL || out == NULL)
        return cd_fail(err, CD_ERR_INVALID, _("prof_dmm_table_find: no name or no result"));
    for (size_t i = 0; i < COUNT(dmm_tables); i++) {
        if (strcasecmp(dmm_tables[i]->name, name) == 0) {
            *out = dmm_tables[i];
            return 0;
        }
    }
    return cd_fail(err, CD_ERR_NOT_FOUND,
                   _("no multimeter specification table called \"%s\"; caldaq has: %s"), name,
                   prof_dmm_34401a_dcv_1y.name);
}

static int check_row(const char *where, const struct prof_dmm_row *r, struct cd_err *err)
{
    if (!(isfinite(r->pct_reading) && r->pct_reading >= 0))
        return cd_fail(err, CD_ERR_INVALID,
                       _("%s: the %% of reading must be a number >= 0, got %.15g"), where,
                       r->pct_reading);
    if (!(isfinite(r->pct_range) && r->pct_range >= 0))
        return cd_fail(err, CD_ERR_INVALID,
                       _("%s: the %% of range must be a number >= 0, got %.15g"), where,
                       r->pct_range);
    if (r->pct_reading == 0 && r->pct_range == 0)
        return cd_fail(err, CD_ERR_INVALID,
                       _("%s: %% of reading and %% of range are both 0: no tolerance at all"),
                       where);
    if (!(isfinite(r->overrange_pct) && r->overrange_pct >= 0))
        return cd_fail(err, CD_ERR_INVALID,
                       _("%s: the overrange must be a number >= 0 (%%), got %.15g"), where,
                       r->overrange_pct);
    return 0;
}

/* The row that applies, validated; *unit is "" for the generic form. */
static int resolve(const struct prof_dmm *s, struct prof_dmm_row *row, const char **unit,
                   struct cd_err *err)
{
    *unit = "";
    if (!(isfinite(s->range) && s->range > 0))
        return cd_fail(err, CD_ERR_INVALID,
                       _("multimeter: the range must be a positive number, got %.15g"), s->range);
    if (s->table == NULL) {
        *row = (struct prof_dmm_row){s->range, s->pct_reading, s->pct_range, s->overrange_pct};
        return check_row("multimeter", row, err);
    }

    const struct prof_dmm_table *t = s->table;
    const char *name = t->name != NULL ? t->name : "?";
    if (s->pct_reading != 0 || s->pct_range != 0 || s->overrange_pct != 0)
        return cd_fail(err, CD_ERR_INVALID,
                       _("multimeter: give either the specification table %s or the "
                       "percentages, not both"),
                       name);
    if (t->rows == NULL || t->n_rows == 0)
        return cd_fail(err, CD_ERR_INVALID, _("multimeter table %s has no ranges"), name);
    *unit = t->unit != NULL ? t->unit : "";
    for (size_t i = 0; i < t->n_rows; i++) {
        if (tol_same(s->range, t->rows[i].range, 1e-9)) {
            *row = t->rows[i];
            char where[96];
            snprintf(where, sizeof where, _("multimeter table %s, %.15g %s range"), name,
                     row->range, *unit);
            return check_row(where, row, err);
        }
    }
    char list[160] = "";
    size_t used = 0;
    for (size_t i = 0; i < t->n_rows && used < sizeof list; i++) {
        int w = snprintf(list + used, sizeof list - used, "%s%.15g", i > 0 ? ", " : "",
                         t->rows[i].range);
        if (w < 0)
            break;
        used += (size_t)w;
    }
    return cd_fail(err, CD_ERR_INVALID,
                   _("multimeter table %s has no %.15g %s range; its ranges are %s %s"), name,
                   s->range, *unit, list, *unit);
}

int tol_dmm_check(const struct prof_dmm *s, struct cd_err *err)
{
    struct prof_dmm_row row;
    const char *unit = "";
    return resolve(s, &row, &unit, err);
}

int tol_dmm_mpe(const struct prof_dmm *s, double reading, double *mpe, struct cd_err *err)
{
    struct prof_dmm_row row;
    const char *unit = "";
    int rc = resolve(s, &row, &unit, err);
    if (rc != 0)
        return rc;
    if (isnan(reading))
        return cd_fail(err, CD_ERR_INVALID, _("multimeter: the reading is not a number"));
    double limit = row.range * (1 + row.overrange_pct / 100);
    const char *sp = unit[0] != '\0' ? " " : "";
    if (!(fabs(reading) <= limit * (1 + 1e-12)))
        return cd_fail(err, CD_ERR_INVALID,
                       _("multimeter: reading %.15g%s%s is beyond the %.15g%s%s range (accepted "
                       "up to +-%.15g%s%s)"),
                       reading, sp, unit, row.range, sp, unit, limit, sp, unit);
    *mpe = row.pct_reading / 100 * fabs(reading) + row.pct_range / 100 * row.range;
    return 0;
}
