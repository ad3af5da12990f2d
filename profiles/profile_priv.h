/* What a loaded profile owns besides its public face. Private to profiles/. */
#ifndef CALDAQ_PROFILE_PRIV_H
#define CALDAQ_PROFILE_PRIV_H

#include "prof.h"

struct prof_owned {
    struct prof_profile pub;    /* first: a profile pointer is a prof_owned pointer */
    void **pool;                /* every string and array the profile owns */
    size_t n_pool, cap_pool;
    unc_formula **formulas;
    size_t n_formulas, cap_formulas;
};

#endif
