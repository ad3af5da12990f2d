/* Private to profiles/: the per-form functions behind prof_mpe_at().
 * tolerance.c (the dispatcher) calls tol_oiml.c and tol_dmm.c, never the
 * other way; what the forms share is inline here, so the calls point one
 * way. */
#ifndef CALDAQ_TOL_PRIV_H
#define CALDAQ_TOL_PRIV_H

#include <math.h>
#include <stdbool.h>

#include "prof.h"

/* |a - b| <= rel * |b|: for matching decimal values given by a profile
 * (a nominal value, a range, a class) against the ones in our tables. */
static inline bool tol_same(double a, double b, double rel)
{
    return fabs(a - b) <= rel * fabs(b);
}

/* tol_oiml.c */
double tol_mg_per_unit(enum prof_mass_unit unit); /* 0 when unknown */
int tol_r76_mpe(const struct prof_r76 *s, double load, double *mpe, struct cd_err *err);
void tol_r76_edges(const struct prof_r76 *s, double edges[2]); /* checked s only */
int tol_r111_check(const struct prof_r111 *s, struct cd_err *err);
int tol_r111_mpe(const struct prof_r111 *s, double nominal, double *mpe, struct cd_err *err);

/* tol_dmm.c */
int tol_dmm_check(const struct prof_dmm *s, struct cd_err *err);
int tol_dmm_mpe(const struct prof_dmm *s, double reading, double *mpe, struct cd_err *err);

#endif
