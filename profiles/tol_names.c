/* The names a profile uses for tolerance forms, mass units, OIML classes
 * and ASME grades, both ways (prof.h). Apart from tolerance.c so that the
 * forms (tol_oiml.c) can name a class in a message without calling back
 * into the dispatcher. */
#include "prof.h"
#include "cd_i18n.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const char *const kind_names[] = {
    [PROF_TOL_OIML_R76] = "oiml-r76",   [PROF_TOL_OIML_R111] = "oiml-r111",
    [PROF_TOL_EN837] = "en-837-1",      [PROF_TOL_ASME_B40] = "asme-b40.100",
    [PROF_TOL_DMM] = "dmm",             [PROF_TOL_PIECEWISE] = "piecewise",
};
static const char *const unit_names[] = {
    [PROF_MASS_MG] = "mg", [PROF_MASS_G] = "g", [PROF_MASS_KG] = "kg", [PROF_MASS_T] = "t",
};
static const char *const r76_names[] = {
    [PROF_R76_I] = "I", [PROF_R76_II] = "II", [PROF_R76_III] = "III", [PROF_R76_IIII] = "IIII",
};
static const char *const r111_names[] = {
    [PROF_R111_E1] = "E1", [PROF_R111_E2] = "E2", [PROF_R111_F1] = "F1", [PROF_R111_F2] = "F2",
    [PROF_R111_M1] = "M1", [PROF_R111_M2] = "M2", [PROF_R111_M3] = "M3",
};
static const char *const asme_names[] = {
    [PROF_ASME_4A] = "4A", [PROF_ASME_3A] = "3A", [PROF_ASME_2A] = "2A", [PROF_ASME_1A] = "1A",
    [PROF_ASME_A] = "A",   [PROF_ASME_B] = "B",   [PROF_ASME_C] = "C",   [PROF_ASME_D] = "D",
};

/* Index 0 of every table is the _UNSET value and has no name. */
static const char *name_of(const char *const *names, size_t n, int v)
{
    if (v <= 0 || (size_t)v >= n)
        return "?";
    return names[v];
}

static int parse_name(const char *what, const char *const *names, size_t n, const char *name,
                      int *out, struct cd_err *err)
{
    if (name == NULL)
        return cd_fail(err, CD_ERR_INVALID, _("no %s given"), what);
    for (size_t i = 1; i < n; i++) {
        if (strcasecmp(names[i], name) == 0) {
            *out = (int)i;
            return 0;
        }
    }
    char list[128] = "";
    size_t used = 0;
    for (size_t i = 1; i < n && used < sizeof list; i++) {
        int w = snprintf(list + used, sizeof list - used, "%s%s", i > 1 ? ", " : "", names[i]);
        if (w < 0)
            break;
        used += (size_t)w;
    }
    return cd_fail(err, CD_ERR_INVALID, _("unknown %s \"%s\": expected one of %s"), what, name, list);
}

#define NAME_FUNCS(fn_name, fn_parse, type, names, what)                          \
    const char *fn_name(type v)                                                   \
    {                                                                             \
        return name_of(names, COUNT(names), (int)v);                              \
    }                                                                             \
    int fn_parse(const char *name, type *out, struct cd_err *err)                 \
    {                                                                             \
        int v = 0;                                                                \
        if (out == NULL)                                                          \
            return cd_fail(err, CD_ERR_INVALID, _("no place for the parsed %s"), _(what)); \
        int rc = parse_name(_(what), names, COUNT(names), name, &v, err);         \
        if (rc != 0)                                                              \
            return rc;                                                            \
        *out = (type)v;                                                           \
        return 0;                                                                 \
    }

NAME_FUNCS(prof_tol_kind_name, prof_tol_kind_parse, enum prof_tol_kind, kind_names,
           N_("tolerance form"))
NAME_FUNCS(prof_mass_unit_name, prof_mass_unit_parse, enum prof_mass_unit, unit_names,
           N_("mass unit"))
NAME_FUNCS(prof_r76_class_name, prof_r76_class_parse, enum prof_r76_class, r76_names,
           N_("OIML R76 accuracy class"))
NAME_FUNCS(prof_r111_class_name, prof_r111_class_parse, enum prof_r111_class, r111_names,
           N_("OIML R111 weight class"))
NAME_FUNCS(prof_asme_grade_name, prof_asme_grade_parse, enum prof_asme_grade, asme_names,
           N_("ASME B40.100 grade"))

/* Issue 16's names, as a profile writes them. */
const char *prof_kind_name(enum prof_kind k)
{
    return k == PROF_KIND_VERIFICATION ? "verification" : "calibration";
}

const char *prof_read_name(enum prof_read r)
{
    switch (r) {
    case PROF_READ_INSTRUMENT: return "instrument";
    case PROF_READ_TYPED: return "typed";
    case PROF_READ_CERTIFIED: return "certified";
    default: return "?";
    }
}

const char *prof_method_name(enum prof_method m)
{
    switch (m) {
    case PROF_METHOD_SET_ITEM: return "set-item";
    case PROF_METHOD_SET_REFERENCE: return "set-reference";
    default: return "?";
    }
}

const char *prof_check_stage_name(enum prof_check_stage s)
{
    switch (s) {
    case PROF_CHECK_EXTERNAL: return "external";
    case PROF_CHECK_TECHNICAL: return "technical";
    default: return "?";
    }
}
