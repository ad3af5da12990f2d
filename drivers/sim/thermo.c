/* Shared by the thermometer-readout simulators (sim_priv.h). */
#include "sim_priv.h"

#include <ctype.h>

double sim_thermo_in(double t, char letter)
{
    switch (toupper((unsigned char)letter)) {
    case 'F': return t * 9.0 / 5.0 + 32.0;
    case 'K': return t + 273.15;
    case 'O': {
        /* Pt100, IEC 60751 (the simulator's probe; uncertainty/cvd.c is
         * the library's conversion and is not a dependency of drivers/) */
        double w = 1 + 3.9083e-3 * t - 5.775e-7 * t * t;
        if (t < 0)
            w += -4.183e-12 * (t - 100) * t * t * t;
        return 100.0 * w;
    }
    default: return t;
    }
}
