/* Fuzz target "lab": LAB.yaml, the laboratory of `caldaq cert`
 * (daq/cert_lab.c). cert_lab_load takes only a path (paths in the file are
 * resolved against its folder), so the input is written to a scratch file.
 * Seeds: examples/lab-example.yaml and variants. */
#include "fuzz_util.h"

#include "cert.h"

#define TERMINATED(field) (memchr((field), '\0', sizeof(field)) != NULL)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *dir = fuzz_scratch_dir();
    if (dir == NULL)
        return 0;
    char path[4200];
    snprintf(path, sizeof path, "%s/LAB.yaml", dir);
    if (fuzz_write_file(path, data, size) != 0)
        return 0;
    struct cert_lab *lab = malloc(sizeof *lab);
    if (lab == NULL)
        return 0;
    struct cd_err err = {0};
    int rc = cert_lab_load(path, lab, &err);
    if (rc != 0 && err.code == 0)
        abort();
    if (rc == 0) {
        if (!TERMINATED(lab->name_en) || !TERMINATED(lab->name_vi) || !TERMINATED(lab->address) ||
            !TERMINATED(lab->city) || !TERMINATED(lab->country) || !TERMINATED(lab->email) ||
            !TERMINATED(lab->phone) || !TERMINATED(lab->accreditation) ||
            !TERMINATED(lab->number_prefix) || !TERMINATED(lab->logo) ||
            !TERMINATED(lab->key) || !TERMINATED(lab->traceability_en) ||
            !TERMINATED(lab->traceability_vi) || !TERMINATED(lab->records) ||
            lab->n_open_data_include > 4 || lab->n_signatories == 0 ||
            lab->n_signatories > sizeof lab->signatories / sizeof lab->signatories[0] ||
            !TERMINATED(lab->verify_url) || !TERMINATED(lab->portal_password_hash) ||
            lab->n_portal_tokens > sizeof lab->portal_tokens / sizeof lab->portal_tokens[0])
            abort();
        for (size_t i = 0; i < lab->n_portal_tokens; i++)
            if (strlen(lab->portal_tokens[i]) < 32)
                abort();
        /* the address a QR code carries: made or refused, never cut */
        char url[700];
        struct cd_err uerr = {0};
        if (cert_verify_url(lab, "VD-HC-2026-0001", url, sizeof url, &uerr) == 0 &&
            strstr(url, "VD-HC-2026-0001") == NULL)
            abort();
    }
    free(lab);
    return 0;
}
