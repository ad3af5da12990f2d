/* Fuzz target "trace": a trace file (docs/trace-format.md) through the
 * reader of drivers/trace.c, as `caldaq replay` and the run store read it;
 * then every record's bytes escaped and read back, which must give the same
 * bytes (the writer and the reader agree), and the header's serial settings
 * (drivers/serial_settings.c) parsed, formatted and parsed again.
 * Seeds: the .trace files of tests/traces/. */
#include "fuzz_util.h"

#include "drv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct drv_trace *t = NULL;
    struct cd_err err = {0};
    int rc = drv_trace_parse((const char *)data, size, "fuzz.trace", &t, &err);
    if (rc != 0) {
        if (t != NULL || err.code == 0 || memchr(err.msg, '\0', sizeof err.msg) == NULL)
            abort();
        return 0;
    }
    /* The header's serial settings, as `caldaq replay` takes them: what
     * parses must format and parse back to the same settings. */
    struct drv_serial_settings ss, back2;
    struct cd_err e1 = {0};
    if (t->header.settings[0] != '\0' &&
        drv_serial_settings_parse(t->header.settings, &ss, &e1) == 0) {
        char text[64];
        drv_serial_settings_format(&ss, text, sizeof text);
        if (drv_serial_settings_parse(text, &back2, &e1) != 0 || back2.baud != ss.baud ||
            back2.data_bits != ss.data_bits || back2.parity != ss.parity ||
            back2.stop_bits != ss.stop_bits || back2.flow != ss.flow)
            abort();
    }
    size_t cap = 0;
    char *esc = NULL;
    uint8_t *back = NULL;
    for (size_t i = 0; i < t->n; i++) {
        const struct drv_trace_record *r = &t->records[i];
        if (r->dir != DRV_DIR_HOST && r->dir != DRV_DIR_INSTR && r->dir != DRV_DIR_EVENT)
            abort();
        if (r->dir == DRV_DIR_EVENT)
            continue;
        size_t need = drv_escape(r->data, r->len, NULL, 0) + 3;
        if (need > cap) {
            char *ne = realloc(esc, need);
            uint8_t *nb = ne == NULL ? NULL : realloc(back, need);
            if (ne != NULL)
                esc = ne;
            if (nb == NULL)
                break;
            back = nb;
            cap = need;
        }
        esc[0] = '"';
        size_t n = drv_escape(r->data, r->len, esc + 1, cap - 1);
        esc[n + 1] = '"';
        esc[n + 2] = '\0';
        const char *p = esc;
        struct cd_err e2 = {0};
        int got = drv_unescape(&p, back, cap, 1, &e2);
        if (got < 0 || (size_t)got != r->len || (r->len > 0 && memcmp(back, r->data, r->len) != 0))
            abort();
    }
    free(esc);
    free(back);
    drv_trace_free(t);
    return 0;
}
