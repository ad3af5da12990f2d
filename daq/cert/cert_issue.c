/* Issuing a certificate from an analysed run (every format from one
 * document model, each file signed, a manifest binding their hashes and
 * the run's), and checking an issued one (cert.h, docs/certificates.md).
 * Shared by `caldaq cert`, `caldaq verify` and batch reprocessing. */
#include "cert.h"
#include "cert_priv.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cert_records.h"
#include "cd_i18n.h"

int cert_issue(const struct ana_file *f, const struct cert_lab *lab, const struct cert_job *job,
               const char *out_dir, const char *format, const char *langs, bool quiet,
               char number[64], struct cd_err *err)
{
    if (mkdir(out_dir, 0775) != 0 && errno != EEXIST)
        return cd_fail(err, CD_ERR_IO, "%s: %s", out_dir, strerror(errno));
    /* a legal verification has its own documents (cert_verif.c) */
    if (f->profile != NULL && f->profile->kind == PROF_KIND_VERIFICATION)
        return cert_verif_issue(f, lab, job, out_dir, format, langs, quiet, number, err);
    const char *run_path = f->view != NULL ? f->path : "";
    struct cert_doc *d = NULL;
    struct cert_job j = *job;
    struct cert_life life;
    int rc = cert_life_open(&life, &j, out_dir, err);
    if (rc == 0)
        rc = cert_doc_build(run_path, f, lab, &j, &d, err);
    /* the documents' Vietnamese, whatever the process's language: one
     * catalogue for every format (the JSON is always bilingual) */
    struct cd_catalog *vi = NULL;
    if (rc == 0 && (rc = cd_catalog_open("vi", &vi, err)) == 0)
        d->vi = vi;
    bool begun = rc == 0 && (rc = cert_life_begin(&life, &j, d, out_dir, err)) == 0;
    char path[3][4400], xml_sha[65] = "", qr[512];
    const char *kinds[3] = {"xml", "json", "pdf"};
    json_t *files = json_object();
    for (int i = 0; rc == 0 && i < 3; i++) {
        if (!cert_format_wants(format, kinds[i]))
            continue;
        snprintf(path[i], sizeof path[i], "%s/%s.%s", out_dir, d->number, kinds[i]);
        if (i == 0) {
            rc = cert_write_xml(d, langs, path[i], err);
        } else if (i == 1) {
            rc = cert_write_json(d, xml_sha, path[i], err);
        } else {
            /* with verify_url, the address of the public verification page
             * (a phone opens it); else the text QR */
            if (lab->verify_url[0] != '\0')
                rc = cert_verify_url(lab, d->number, qr, sizeof qr, err);
            else
                snprintf(qr, sizeof qr, "caldaq certificate %s\nrun sha256 %s\nxml sha256 %s",
                         d->number, d->run_sha256, xml_sha[0] ? xml_sha : "-");
            if (rc == 0)
                rc = cert_write_pdf(d, langs, qr, path[i], err);
        }
        if (rc == 0 && i == 0)
            rc = cert_sha256_file(path[i], xml_sha, err);
        if (rc == 0)
            rc = cert_issue_sign(path[i], lab, files, quiet, err);
    }
    if (rc == 0)
        rc = cert_manifest_write(out_dir, d, files, NULL, lab, quiet, err);
    if (rc == 0 && !quiet)
        printf(_("certificate %s: verdict %s\n"), d->number,
               d->verdict[0] != '\0' ? _(d->verdict) : d->verdict);
    if (rc == 0 && number != NULL)
        snprintf(number, 64, "%s", d->number);
    if (begun)
        rc = cert_life_end(&life, &j, f, d, out_dir, files, rc, err);
    cert_life_close(&life);
    json_decref(files);
    cert_doc_free(d);
    cd_catalog_close(vi);
    return rc;
}

/* ------------------------------------------------------------ checking */


/* The manifest of `path`: itself, the one in a folder, or NUMBER.manifest.json
 * beside a certificate file NUMBER.pdf / .xml / .json. */
static int find_manifest(const char *path, char *out, size_t cap)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return -1;
    if (S_ISDIR(st.st_mode)) {
        DIR *dir = opendir(path);
        struct dirent *e;
        int found = -1;
        while (dir != NULL && (e = readdir(dir)) != NULL) {
            size_t n = strlen(e->d_name);
            if (n > 14 && strcmp(e->d_name + n - 14, ".manifest.json") == 0) {
                snprintf(out, cap, "%s/%s", path, e->d_name);
                found = 0;
            }
        }
        if (dir != NULL)
            closedir(dir);
        return found;
    }
    size_t n = strlen(path);
    if (n > 14 && strcmp(path + n - 14, ".manifest.json") == 0) {
        snprintf(out, cap, "%s", path);
        return 0;
    }
    const char *dot = strrchr(path, '.');
    if (dot == NULL)
        return -1;
    /* a verification record, NUMBER-record.pdf / .json (cert_verif.c) */
    size_t stem = (size_t)(dot - path);
    if (stem > 7 && strncmp(dot - 7, "-record", 7) == 0)
        stem -= 7;
    snprintf(out, cap, "%.*s.manifest.json", (int)stem, path);
    return stat(out, &st) == 0 ? 0 : -1;
}

/* A public key file as cert_keygen writes it: 64 hex digits on the first
 * line, returned in lower case (what a .sig holds). */
static int read_pub(const char *path, char pub[65], struct cd_err *err)
{
    char line[256] = "";
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return cd_fail(err, CD_ERR_IO, _("%s: cannot read the lab's public key: %s"), path,
                       strerror(errno));
    bool got = fgets(line, sizeof line, f) != NULL;
    fclose(f);
    line[strcspn(line, "\r\n")] = '\0';
    bool ok = got && strlen(line) == 64;
    for (size_t i = 0; ok && i < 64; i++) {
        char c = line[i];
        if (c >= 'A' && c <= 'F')
            c = (char)(c - 'A' + 'a');
        ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
        pub[i] = c;
    }
    pub[64] = '\0';
    return ok ? 0
              : cd_fail(err, CD_ERR_PARSE,
                        _("%s: not an Ed25519 public key (64 hex digits, as caldaq cert --keygen "
                        "writes KEY.pub)"),
                        path);
}

int cert_check(const char *path, const char *pub_path, const char *run_path, FILE *report_to,
               struct cert_check_result *out, struct cd_err *err_out)
{
    struct cd_err err = {0};
    memset(out, 0, sizeof *out);
    char manifest[4400], report[8192];
    if (find_manifest(path, manifest, sizeof manifest) != 0)
        return cd_fail(err_out, CD_ERR_NOT_FOUND,
                       _("%s: not an HDF5 file (a run) nor a caldaq certificate (no "
                       "NUMBER.manifest.json beside it)"),
                       path);
    char pub[65] = "", signer[65] = "";
    if (pub_path != NULL && read_pub(pub_path, pub, err_out) != 0)
        return err_out != NULL ? err_out->code : CD_ERR_INVALID;
    int rc = cert_verify_file(manifest, pub_path ? pub : NULL, signer, report, sizeof report,
                              &err);
    if (rc != 0)
        return cd_fail(err_out, rc, "%s", err.msg);
    fprintf(report_to, "%s\n", report);
    json_error_t je;
    json_t *m = json_load_file(manifest, 0, &je);
    if (m == NULL)
        return cd_fail(err_out, CD_ERR_PARSE, "%s:%d: %s", manifest, je.line, je.text);
    char dir[4400];
    snprintf(dir, sizeof dir, "%s", manifest);
    char *slash = strrchr(dir, '/');
    if (slash != NULL)
        *slash = '\0';
    else
        snprintf(dir, sizeof dir, ".");
    /* The manifest names the files to read: only NUMBER.pdf, .xml and .json
     * beside it (and a verification's record, NUMBER-record.pdf and .json),
     * so that a forged manifest cannot send the check to files elsewhere
     * ("../../etc/shadow"). */
    const char *number = json_string_value(json_object_get(m, "number"));
    const char *run_sha = json_string_value(json_object_get(m, "run_sha256"));
    json_t *files = json_object_get(m, "files");
    const char *why = number == NULL ? "no number"
                      : cert_number_check(number, "the manifest's number", CERT_NUMBER_MAX,
                                          &err) != 0
                          ? err.msg
                      : !json_is_object(files) || json_object_size(files) == 0
                          ? "no files"
                      : run_sha == NULL || strlen(run_sha) != 64 ? "no run_sha256"
                                                                 : NULL;
    if (why != NULL) {
        rc = cd_fail(err_out, CD_ERR_PARSE, _("%s: not a caldaq manifest: %s"), manifest, why);
        json_decref(m);
        return rc;
    }
    int bad = 0;
    const char *name;
    json_t *sha;
    json_object_foreach(files, name, sha)
    {
        char file[4800], now[65];
        size_t nl = strlen(number);
        const char *tail = strncmp(name, number, nl) == 0 ? name + nl : "";
        if (strncmp(tail, "-record.", 8) == 0)
            tail += 7;
        if ((strcmp(tail, ".pdf") != 0 && strcmp(tail, ".xml") != 0 &&
             strcmp(tail, ".json") != 0) ||
            (tail != name + nl && strcmp(tail, ".xml") == 0) || !json_is_string(sha)) {
            fprintf(report_to, _("%.200s: FAILED: not a file of certificate %s (NUMBER.pdf, .xml "
                    "or .json, NUMBER-record.pdf or .json, with its sha256)\n"), name, number);
            bad++;
            continue;
        }
        snprintf(file, sizeof file, "%s/%s", dir, name);
        cd_err_clear(&err);
        char file_signer[65] = "";
        if (cert_verify_file(file, pub_path ? pub : NULL, file_signer, report, sizeof report,
                             &err) != 0) {
            fprintf(report_to, _("%s: FAILED: %s\n"), name, err.msg);
            bad++;
            continue;
        }
        /* Without a trusted key, at least one signer for the whole
         * certificate: a file re-signed by someone else is not part of it. */
        if (strcmp(file_signer, signer) != 0) {
            fprintf(report_to,
                    _("%s: FAILED: signed with key %.16s…, not the key that signed the manifest "
                    "%.16s…\n"),
                    name, file_signer, signer);
            bad++;
            continue;
        }
        if (cert_sha256_file(file, now, &err) != 0 ||
            strcmp(now, json_string_value(sha)) != 0) {
            fprintf(report_to, _("%s: FAILED: sha256 %s, the manifest says %s\n"), name, now,
                    json_string_value(sha));
            bad++;
            continue;
        }
        fprintf(report_to, "%s\n", report);
    }
    if (run_path != NULL) {
        char now[65];
        cd_err_clear(&err);
        if (cert_sha256_file(run_path, now, &err) != 0) {
            fprintf(report_to, _("%s: FAILED: %s\n"), run_path, err.msg);
            bad++;
        } else if (strcmp(now, run_sha) != 0) {
            fprintf(report_to,
                    _("%s: FAILED: the run file differs from the one certified (sha256 %s, the "
                    "certificate says %s)\n"),
                    run_path, now, run_sha);
            bad++;
        } else {
            fprintf(report_to, _("%s: the run certified (sha256 %s)\n"), run_path, now);
        }
    }
    snprintf(out->number, sizeof out->number, "%s", number);
    memcpy(out->signer, signer, sizeof out->signer);
    out->failures = bad;
    out->trusted = pub_path != NULL;
    if (bad)
        fprintf(report_to, _("certificate %s: NOT intact\n"), number);
    else if (out->trusted)
        fprintf(report_to, _("certificate %s: intact\n"), number);
    else
        fprintf(report_to,
                _("certificate %s: NOT trusted: signed by a key caldaq was not told to trust: %s "
                "(the files are as that key signed them; --pub KEY.pub or --lab LAB.yaml says "
                "whether it is the lab's)\n"),
                number, signer);
    json_decref(m);
    return 0;
}

/* A file name a certificate's record may list: no folder, nothing hidden. */
static bool plain_name(const char *name)
{
    return name[0] != '\0' && name[0] != '.' && strchr(name, '/') == NULL &&
           strlen(name) < 128;
}

int cert_check_upload(const char *folder, const json_t *files, const void *data, size_t len,
                      const char *pub_path, struct cert_upload_check *out, struct cd_err *err)
{
    memset(out, 0, sizeof *out);
    char pub[65] = "";
    if (pub_path != NULL && read_pub(pub_path, pub, err) != 0)
        return err->code;
    cert_sha256_bytes(data, len, out->sha256);
    const char *name;
    json_t *sha;
    /* which issued file these bytes are, by their SHA-256 */
    json_object_foreach((json_t *)files, name, sha) {
        const char *h = json_string_value(sha);
        if (h != NULL && plain_name(name) && strcmp(h, out->sha256) == 0) {
            snprintf(out->name, sizeof out->name, "%s", name);
            out->issued = true;
            break;
        }
    }
    /* the signature issued beside that file; bytes that are no issued
     * file are tried against each file's signature (a changed file fails
     * them all, and each failure is the same sentence) */
    json_object_foreach((json_t *)files, name, sha) {
        if (!plain_name(name) || (out->issued && strcmp(name, out->name) != 0))
            continue;
        size_t n = strlen(name);
        if (n > 4 && strcmp(name + n - 4, ".sig") == 0)
            continue;
        char sig[4400];
        if ((size_t)snprintf(sig, sizeof sig, "%s/%s.sig", folder, name) >= sizeof sig)
            continue;
        struct cd_err why = {0};
        char signer[65] = "";
        if (cert_verify_bytes(name, data, len, sig, NULL, signer, &why) == 0) {
            out->signature_ok = true;
            out->trusted = pub_path != NULL && strcmp(signer, pub) == 0;
            out->detail[0] = '\0';
            break;
        }
        if (out->detail[0] == '\0')
            snprintf(out->detail, sizeof out->detail, "%s", why.msg);
    }
    return 0;
}
