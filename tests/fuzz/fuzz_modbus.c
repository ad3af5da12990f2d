/* Fuzz target "modbus": a register map and one Modbus reply frame, as
 * `caldaq decode --driver modbus [options]` and the modbus driver take them
 * (drivers/parsers/modbus.c, modbus_map.c, drivers/decode.c).
 *
 * Input: the map options on the first line, separated by spaces
 * ("preset=keller order=CDAB"; an empty line: no map, the pure parser),
 * then '\n', then the frame bytes (an RTU frame or a TCP ADU). Input with no
 * '\n' is all options (the map parser alone). Seeds: the pairs
 * tests/fixtures/modbus/<case>.map + <case>.bytes. */
#include "fuzz_parser.h"

#include "parsers/modbus_map.h"

#define MAX_OPTIONS 16

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nl = memchr(data, '\n', size);
    size_t text_len = nl != NULL ? (size_t)(nl - data) : size;
    char *text = fuzz_cstr(data, text_len);
    if (text == NULL)
        return 0;
    const char *options[MAX_OPTIONS + 1];
    size_t n = 0;
    char *save = NULL;
    for (char *tok = strtok_r(text, " ", &save); tok != NULL && n < MAX_OPTIONS;
         tok = strtok_r(NULL, " ", &save))
        options[n++] = tok;
    options[n] = NULL;

    if (nl != NULL) {
        const uint8_t *frame = nl + 1;
        size_t len = size - text_len - 1;
        struct drv_reading r;
        struct cd_err err = {0};
        int rc = drv_decode("modbus", options, frame, len, &r, &err);
        fuzz_check_reading(rc, &r, &err);
    }

    /* The map on its own: options, check, span, describe. */
    struct modbus_map m;
    struct cd_err err = {0};
    modbus_map_init(&m);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        char *eq = strchr(options[i], '=');
        if (eq == NULL)
            break;
        *eq = '\0';
        rc = modbus_map_option(&m, options[i], eq + 1, &err);
        *eq = '=';
    }
    if (rc == 0 && modbus_map_check(&m, &err) == 0) {
        int first = 0, count = 0;
        if (modbus_map_span(&m, &first, &count, &err) == 0) {
            if (count <= 0 || count > 125)
                abort(); /* one read request holds at most 125 registers */
            uint16_t regs[125];
            for (int i = 0; i < count; i++)
                regs[i] = (uint16_t)(0x3F9E + i * 0x0419);
            struct drv_reading r;
            struct cd_err e2 = {0};
            int rc2 = modbus_map_decode(&m, regs, (size_t)count, &r, &e2);
            fuzz_check_reading(rc2, &r, &e2);
        }
        char desc[256];
        modbus_map_describe(&m, desc, sizeof desc);
        if (memchr(desc, '\0', sizeof desc) == NULL)
            abort();
    }
    free(text);
    return 0;
}
