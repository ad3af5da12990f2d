/* Decoding one frame with a driver's parser, with the driver's options
 * where they matter (a Modbus register map). Used by `caldaq decode`. */
#include "drv.h"

#include <stdio.h>
#include <string.h>

#include "drv_priv.h"
#include "parsers/modbus_map.h"
#include "cd_i18n.h"

int drv_decode(const char *driver, const char *const *options, const uint8_t *frame, size_t len,
               struct drv_reading *out, struct cd_err *err)
{
    memset(out, 0, sizeof *out);
    const struct drv_parser *p = drv_parser_find(driver);
    if (p == NULL) {
        char known[256];
        drv_names_text(drv_names(), known, sizeof known);
        return cd_fail(err, CD_ERR_NOT_FOUND, _("no driver '%s' (known: %s)"), driver, known);
    }
    if (strcmp(driver, "modbus") != 0) {
        if (options != NULL && options[0] != NULL)
            return cd_fail(err, CD_ERR_INVALID, _("%s: decoding takes no options ('%s')"), driver,
                           options[0]);
        return p->parse(frame, len, out, err);
    }
    if (options == NULL || options[0] == NULL)
        return p->parse(frame, len, out, err);
    struct modbus_map map;
    modbus_map_init(&map);
    for (const char *const *o = options; *o != NULL; o++) {
        const char *eq = strchr(*o, '=');
        char key[64];
        if (eq == NULL)
            return cd_fail(err, CD_ERR_INVALID, _("modbus: option '%s' is not KEY=VALUE"), *o);
        snprintf(key, sizeof key, "%.*s", (int)(eq - *o), *o);
        int rc = modbus_map_option(&map, key, eq + 1, err);
        if (rc == CD_ERR_NOT_FOUND)
            return cd_fail(err, CD_ERR_INVALID, _("modbus: unknown map option '%s'"), key);
        if (rc != 0)
            return rc;
    }
    int rc = modbus_map_check(&map, err);
    if (rc != 0)
        return rc;
    return modbus_map_decode_frame(&map, frame, len, out, err);
}
