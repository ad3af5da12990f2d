/* Fuzz target "config": a caldaq configuration file (docs/configuration.md)
 * through cli_config_parse (daq/cli/cli_config.c): every value it accepts
 * is a terminated, non-empty string, the language vi or en, and every
 * failure says why. Seeds: tests/fuzz/corpus/config/. */
#include "fuzz_util.h"

#include <string.h>

#include "cli.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_cstr(data, size);
    if (text == NULL)
        return 0;
    struct cli_config *c = calloc(1, sizeof *c);
    if (c == NULL) {
        free(text);
        return 0;
    }
    struct cd_err err = {0};
    int rc = cli_config_parse(text, "/etc/caldaq/caldaq.yaml", c, &err);
    free(text);
    if (rc != 0 && err.code == 0)
        abort();
    for (int k = 0; rc == 0 && k < CFG_N; k++) {
        if (memchr(c->value[k], '\0', sizeof c->value[k]) == NULL)
            abort();
        if (c->value[k][0] != '\0' && c->from[k][0] == '\0')
            abort();
    }
    if (rc == 0 && c->value[CFG_LANG][0] != '\0' && strcmp(c->value[CFG_LANG], "vi") != 0 &&
        strcmp(c->value[CFG_LANG], "en") != 0)
        abort();
    free(c);
    return 0;
}
