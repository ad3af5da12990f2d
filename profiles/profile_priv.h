/* What a loaded profile owns besides its public face. Private to profiles/. */
#ifndef CALDAQ_PROFILE_PRIV_H
#define CALDAQ_PROFILE_PRIV_H

#include <stdbool.h>

#include "cd_pool.h"
#include "prof.h"

struct prof_owned {
    struct prof_profile pub;    /* first: a profile pointer is a prof_owned pointer */
    struct cd_pool pool;        /* every string and array the profile owns */
    unc_formula **formulas;
    size_t n_formulas, cap_formulas;
    bool uses_mpe_ref;          /* a budget formula names mpe_ref: compute class MPEs */
};

#endif
