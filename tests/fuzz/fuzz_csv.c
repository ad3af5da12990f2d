/* Fuzz target "csv": the numeric CSV reader of `caldaq fit` (daq/csv.c),
 * with the guarantees of csv.h checked. Seeds: tests/fixtures/fit/. */
#include "fuzz_util.h"

#include <math.h>

#include "csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct csv_xy t;
    struct cd_err err = {0};
    int rc = csv_parse_xy((const char *)data, size, "fuzz.csv", &t, &err);
    if (rc != 0) {
        if (t.n != 0 || t.x != NULL || t.y != NULL || t.u_y != NULL || err.code == 0)
            abort();
        return 0;
    }
    if (t.n == 0 || t.x == NULL || t.y == NULL)
        abort();
    for (size_t i = 0; i < t.n; i++) {
        if (!isfinite(t.x[i]) || !isfinite(t.y[i]) || (t.u_y != NULL && !(t.u_y[i] > 0)))
            abort();
    }
    csv_xy_free(&t);
    return 0;
}
