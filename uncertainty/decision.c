/* Decision rules for statements of conformity (ILAC-G8:09/2019) and the
 * specific probability of false accept (JCGM 106:2012 7.4), for a normal
 * measurand or, with finite degrees of freedom, a scaled and shifted t
 * (JCGM 101 6.4.9.7).
 *
 * Boundary conventions, the same for every rule:
 *   - every limit is inclusive: a result exactly on a tolerance limit is
 *     inside the tolerance, a result exactly on an acceptance limit is inside
 *     the acceptance zone;
 *   - a rule is a comparison of y with a few points (low, high, low +- w,
 *     high +- w) computed once in double precision; accept_low/accept_high
 *     report the points used, so a caller testing a tie compares with those.
 *   - one-sided tolerances: an infinite limit never moves and never makes a
 *     result fail.
 * With r = 1 and U = 2u, a result exactly on the acceptance limit of a
 * one-sided tolerance has PFA = Q(2) = 2.28 %, so the inclusive convention
 * keeps ILAC-G8's "PFA < 2.5 %" true at the tie.
 */
#include "unc.h"
#include "cd_i18n.h"

#include <math.h>
#include <stddef.h>
#include <strings.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>

static int check_tolerance(double low, double high, struct cd_err *err)
{
    if (isnan(low))
        return cd_fail(err, CD_ERR_INVALID, _("tolerance lower limit is not a number"));
    if (isnan(high))
        return cd_fail(err, CD_ERR_INVALID, _("tolerance upper limit is not a number"));
    if (low == INFINITY)
        return cd_fail(err, CD_ERR_INVALID,
                       _("tolerance lower limit cannot be +infinity: give a finite value, "
                       "or -infinity for a tolerance with only an upper limit"));
    if (high == -INFINITY)
        return cd_fail(err, CD_ERR_INVALID,
                       _("tolerance upper limit cannot be -infinity: give a finite value, "
                       "or +infinity for a tolerance with only a lower limit"));
    if (isinf(low) && isinf(high))
        return cd_fail(err, CD_ERR_INVALID,
                       _("the tolerance has no limits: give a lower limit, an upper limit "
                       "or both"));
    if (low == high)
        return cd_fail(err, CD_ERR_INVALID,
                       _("tolerance lower and upper limits are both %.15g: the lower limit "
                       "must be below the upper limit"),
                       low);
    if (low > high)
        return cd_fail(err, CD_ERR_INVALID,
                       _("tolerance lower limit %.15g is above the upper limit %.15g"), low,
                       high);
    return 0;
}

static int check_uncertainty(const char *what, double v, struct cd_err *err)
{
    if (isnan(v))
        return cd_fail(err, CD_ERR_INVALID, _("%s is not a number"), what);
    if (v < 0)
        return cd_fail(err, CD_ERR_INVALID, _("%s %.15g is negative"), what, v);
    if (isinf(v))
        return cd_fail(err, CD_ERR_INVALID, _("%s is infinite"), what);
    return 0;
}

/* The t-distribution is used with floor(nu) degrees of freedom, as for k
 * (GUM G.4.1 note); beyond this the normal is the same to 1e-7. */
#define NU_NORMAL 1e7

/* JCGM 106 7.4: the probability that the true value lies outside the
 * tolerance, p_c = 1 - pfa, for the PDF of the measurand given y, u and nu:
 * N(y, u^2) for infinite nu, else the scaled and shifted t-distribution
 * t_nu(y, u^2) that JCGM 101 6.4.9.7 assigns to a GUM result (x, u, nu):
 * location y, scale u, distribution function F_nu((x - y) / u). Each tail is
 * computed on its own side (P below, Q above) so a small tail keeps its
 * relative precision instead of vanishing in 1 - P. */
static double false_accept(double y, double u, double nu, double low, double high)
{
    if (u == 0)
        return (y >= low && y <= high) ? 0.0 : 1.0;
    double below = 0.0;
    double above = 0.0;
    if (isinf(nu)) {
        if (isfinite(low))
            below = gsl_cdf_ugaussian_P((low - y) / u);
        if (isfinite(high))
            above = gsl_cdf_ugaussian_Q((high - y) / u);
    } else {
        if (isfinite(low))
            below = gsl_cdf_tdist_P((low - y) / u, nu);
        if (isfinite(high))
            above = gsl_cdf_tdist_Q((high - y) / u, nu);
    }
    double pfa = below + above;
    return pfa > 1.0 ? 1.0 : pfa;
}

int unc_decide(const struct unc_decision_rule *rule, double y, double u, double U, double low,
               double high, struct unc_decision *out, struct cd_err *err)
{
    return unc_decide_dof(rule, y, u, U, INFINITY, low, high, out, err);
}

int unc_decide_dof(const struct unc_decision_rule *rule, double y, double u, double U,
                   double nu, double low, double high, struct unc_decision *out,
                   struct cd_err *err)
{
    if (rule == NULL)
        return cd_fail(err, CD_ERR_INVALID, _("no decision rule given"));
    if (out == NULL)
        return cd_fail(err, CD_ERR_INVALID, _("no place to store the decision"));
    if (rule->rule != UNC_RULE_SIMPLE && rule->rule != UNC_RULE_GUARD_BAND &&
        rule->rule != UNC_RULE_NON_BINARY)
        return cd_fail(err, CD_ERR_INVALID,
                       _("unknown decision rule %d: use simple, guard-band or non-binary"),
                       (int)rule->rule);
    int rc = check_tolerance(low, high, err);
    if (rc != 0)
        return rc;
    if (isnan(y))
        return cd_fail(err, CD_ERR_INVALID, _("the measured value is not a number"));
    if (isinf(y))
        return cd_fail(err, CD_ERR_INVALID, _("the measured value is infinite"));
    rc = check_uncertainty(_("standard uncertainty u"), u, err);
    if (rc != 0)
        return rc;
    rc = check_uncertainty(_("expanded uncertainty U"), U, err);
    if (rc != 0)
        return rc;
    if (isnan(nu))
        return cd_fail(err, CD_ERR_INVALID, _("degrees of freedom are not a number"));
    if (nu < 1)
        return cd_fail(err, CD_ERR_INVALID,
                       _("degrees of freedom %.15g are below 1: no t-distribution to compute "
                       "a probability with"),
                       nu);
    /* floor(nu), as for k; a t beyond NU_NORMAL is the normal. */
    double dof = nu > NU_NORMAL ? INFINITY : floor(nu);

    /* w: the guard band, ILAC-G8 4.2.2 (r U) and 4.2.3 (U); 0 for 4.2.1. */
    double w = 0.0;
    if (rule->rule == UNC_RULE_GUARD_BAND) {
        rc = check_uncertainty(_("guard band factor r"), rule->r, err);
        if (rc != 0)
            return rc;
        w = rule->r * U;
        if (isinf(w))
            return cd_fail(err, CD_ERR_INVALID,
                           _("guard band r U = %.15g x %.15g is too large to compute"), rule->r,
                           U);
    } else if (rule->rule == UNC_RULE_NON_BINARY) {
        w = U;
    }

    gsl_set_error_handler_off();

    /* Only finite limits move. If 2w > high - low the acceptance zone is
     * empty: accept_low > accept_high is reported as computed and no result
     * can pass (guard band: every result fails; non-binary: the best verdict
     * is a conditional pass). That is a verdict, not an error. */
    double accept_low = isfinite(low) ? low + w : low;
    double accept_high = isfinite(high) ? high - w : high;
    bool in_zone = y >= accept_low && y <= accept_high;
    bool in_tolerance = y >= low && y <= high;

    enum unc_verdict verdict;
    switch (rule->rule) {
    case UNC_RULE_NON_BINARY:
        /* ILAC-G8 figure 7: where does y +- U lie? A limit is inside, so an
         * interval that just touches a limit from outside reaches inside. */
        if (in_zone)
            verdict = UNC_PASS; /* y +- U wholly inside */
        else if (in_tolerance)
            verdict = UNC_CONDITIONAL_PASS; /* y inside, y +- U crosses a limit */
        else if (y >= low - U && y <= high + U)
            verdict = UNC_CONDITIONAL_FAIL; /* y outside, y +- U reaches inside */
        else
            verdict = UNC_FAIL; /* y +- U wholly outside */
        break;
    case UNC_RULE_SIMPLE:
    case UNC_RULE_GUARD_BAND:
    default:
        verdict = in_zone ? UNC_PASS : UNC_FAIL;
        break;
    }

    out->verdict = verdict;
    out->accept_low = accept_low;
    out->accept_high = accept_high;
    out->pfa = false_accept(y, u, dof, low, high);
    out->pfa_pdf = isinf(dof) ? UNC_PDF_NORMAL : UNC_PDF_STUDENT_T;
    out->pfa_dof = dof;
    return 0;
}

const char *unc_pdf_name(enum unc_pdf d)
{
    switch (d) {
    case UNC_PDF_NORMAL: return "normal";
    case UNC_PDF_STUDENT_T: return "t";
    }
    return "unknown distribution";
}

const char *unc_verdict_name(enum unc_verdict v)
{
    switch (v) {
    case UNC_PASS: return N_("pass");
    case UNC_CONDITIONAL_PASS: return N_("conditional pass");
    case UNC_CONDITIONAL_FAIL: return N_("conditional fail");
    case UNC_FAIL: return N_("fail");
    }
    return "unknown verdict";
}

const char *unc_rule_name(enum unc_rule r)
{
    switch (r) {
    case UNC_RULE_SIMPLE: return "simple";
    case UNC_RULE_GUARD_BAND: return "guard-band";
    case UNC_RULE_NON_BINARY: return "non-binary";
    }
    return "unknown rule";
}

static const struct {
    const char *name;
    enum unc_rule rule;
} rule_names[] = {
    {"simple", UNC_RULE_SIMPLE},
    {"simple-acceptance", UNC_RULE_SIMPLE},
    {"guard-band", UNC_RULE_GUARD_BAND},
    {"guard_band", UNC_RULE_GUARD_BAND},
    {"guarded", UNC_RULE_GUARD_BAND},
    {"non-binary", UNC_RULE_NON_BINARY},
    {"non_binary", UNC_RULE_NON_BINARY},
};

/* Names are matched without regard to case ("Guard-Band" is accepted). */
int unc_rule_parse(const char *name, enum unc_rule *out, struct cd_err *err)
{
    if (name == NULL)
        return cd_fail(err, CD_ERR_INVALID,
                       _("no decision rule named: use simple, guard-band or non-binary"));
    for (size_t i = 0; i < sizeof rule_names / sizeof rule_names[0]; i++) {
        if (strcasecmp(name, rule_names[i].name) == 0) {
            if (out != NULL)
                *out = rule_names[i].rule;
            return 0;
        }
    }
    return cd_fail(err, CD_ERR_INVALID,
                   _("unknown decision rule \"%.64s\": use simple, guard-band or non-binary"),
                   name);
}
