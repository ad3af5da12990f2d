/* Fuzz target "typed": what a technician types and what a --typed file
 * holds (daq/session/typed.c): a line split into its fields, the value
 * judged against a side with a range and a resolution, the checklist
 * answer. The guarantees of session.h checked: a value accepted is finite
 * and inside the range, a refusal says why, fields are NUL-terminated. */
#include "fuzz_util.h"

#include <math.h>
#include <string.h>

#include "session.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char line[600];
    if (size >= sizeof line)
        size = sizeof line - 1;
    memcpy(line, data, size);
    line[size] = '\0';
    char key[64], value[256];
    bool confirm = false;
    int got = ses_typed_line(line, key, sizeof key, value, sizeof value, &confirm);
    if (got < -1 || got > 1)
        abort();
    const char *text = got == 1 ? value : line;
    if (got == 1 && (strlen(key) >= sizeof key || key[0] == '\0'))
        abort();
    static const struct prof_side side = {.read = PROF_READ_TYPED, .low = -1, .high = 250,
                                          .resolution = 0.05, .confirm_beyond_mpe = 5};
    for (int l = 0; l < 2; l++) {
        double v;
        char why[256] = "";
        int rc = ses_typed_value(l ? LANG_VI : LANG_EN, &side, 0, "bar", text, &v, why,
                                 sizeof why);
        if (rc == 0 && !(isfinite(v) && v >= -1 && v <= 250))
            abort();
        if (rc != 0 && (why[0] == '\0' || !isnan(v)))
            abort();
        if (rc == 0)
            ses_typed_far(LANG_VI, &side, v, 10, 0.1, "bar", why, sizeof why);
    }
    int a = ses_check_answer(text);
    if (a < -1 || a > 1)
        abort();
    return 0;
}
