/* Fuzz target "catalog": a compiled message catalogue read on its own
 * (common/cd_i18n.c, the GNU MO layout). The guarantees of cd_i18n.h
 * checked: a refused image gives no catalogue and a message; an accepted
 * one answers every lookup with a NUL-terminated text, its msgid when
 * untranslated. Seeds: tests/fuzz/corpus/catalog/. */
#include "fuzz_util.h"

#include <string.h>

#include "cd_i18n.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cd_catalog *cat = NULL;
    struct cd_err err = {0};
    int rc = cd_catalog_from_bytes(data, size, "vi", "fuzz.mo", &cat, &err);
    if (rc != 0) {
        if (cat != NULL || err.code == 0 || strstr(err.msg, "fuzz.mo") == NULL)
            abort();
        return 0;
    }
    if (cat == NULL)
        abort();
    static const char *probes[] = {"", "Not measured", "out of memory", "%zu readings",
                                   "zero point", "\xff"};
    for (size_t i = 0; i < sizeof probes / sizeof probes[0]; i++) {
        const char *t = cd_catalog_text(cat, probes[i]);
        if (t == NULL || strlen(t) > size)
            if (t != probes[i])
                abort();
    }
    cd_catalog_close(cat);
    return 0;
}
