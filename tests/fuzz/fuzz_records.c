/* Fuzz target "records": what `caldaq records` reads from outside
 * (daq/records/): a certificate folder met by `caldaq records import` --
 * the certificate's JSON, whose fields go into the records -- and the
 * period of `records due --within`.
 *
 * The input is the certificate JSON (F-1.json); the harness writes it with
 * a manifest F-1.manifest.json listing it with its real SHA-256, as
 * `caldaq cert` does, so the import reads every field, and imports it into
 * a new in-memory SQLite database. An input whose first line begins with
 * '#' gives the rest of that line to the period parser first.
 * Seeds: certificates as `caldaq cert` writes them (tests/fuzz/corpus/). */
#include "fuzz_util.h"

#include "cert.h"
#include "records.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 0 && data[0] == '#') {
        const uint8_t *nl = memchr(data, '\n', size);
        size_t n = nl != NULL ? (size_t)(nl - data) : size;
        char *period = fuzz_cstr(data + 1, n - 1);
        int days = -1;
        struct cd_err err = {0};
        if (period != NULL) {
            int rc = rec_period_parse(period, "--within", &days, &err);
            if ((rc == 0) != (days >= 0 && days <= 36500) ||
                (rc != 0 && strncmp(err.msg, "--within: ", 10) != 0))
                abort();
        }
        free(period);
        data += nl != NULL ? n + 1 : size;
        size -= nl != NULL ? n + 1 : size;
    }
    const char *dir = fuzz_scratch_dir();
    if (dir == NULL)
        return 0;
    char json[4200], manifest[4200], sha[65], text[512];
    snprintf(json, sizeof json, "%s/F-1.json", dir);
    snprintf(manifest, sizeof manifest, "%s/F-1.manifest.json", dir);
    struct cd_err err = {0};
    if (fuzz_write_file(json, data, size) != 0 || cert_sha256_file(json, sha, &err) != 0)
        return 0;
    int n = snprintf(text, sizeof text,
                     "{\"schema\": \"caldaq-certificate-manifest/1\", \"number\": \"F-1\", "
                     "\"files\": {\"F-1.json\": \"%s\"}}\n",
                     sha);
    if (fuzz_write_file(manifest, (const uint8_t *)text, (size_t)n) != 0)
        return 0;
    rec_db *db = NULL;
    if (rec_open(":memory:", &db, &err) != 0)
        abort();
    const char *paths[] = {manifest};
    struct rec_import_stats st;
    int rc = rec_import(db, paths, 1, 1, "fuzz", NULL, NULL, &st, &err);
    /* a broken certificate is reported, never an error of the import */
    if (rc != 0 || st.certs_added + st.failed != 1)
        abort();
    if (st.certs_added == 1) {
        json_t *j = NULL;
        if (rec_show(db, "F-1", &j, &err) != 0 || j == NULL)
            abort();
        json_decref(j);
    }
    rec_close(db);
    return 0;
}
