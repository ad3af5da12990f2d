/* caldaq cert RUN.h5 --out DIR: issue a calibration certificate (PDF, DCC
 * XML, JSON), signed with the lab's Ed25519 key; and the certificate side
 * of `caldaq verify`. docs/certificates.md. */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cert.h"
#include "cli.h"

static const char usage_text[] =
    "usage: caldaq cert RUN.h5 --out DIR --lab LAB.yaml [--format pdf,xml,json]\n"
    "                   [--lang vi+en|vi|en] [--customer NAME] [--customer-address A]\n"
    "                   [--received YYYY-MM-DD] [--issued YYYY-MM-DD] [--number N]\n"
    "                   [--place laboratory|customer] [--signatory N] [--item-serial S]\n"
    "       caldaq cert --keygen KEY\n"
    "\n"
    "Issue the calibration certificate of a complete run: the results of the\n"
    "run's analysis with U, k and the verdicts by the profile's decision rule, the\n"
    "reference standards, the conditions, the item as the instrument identified\n"
    "itself. Written as NUMBER.pdf (bilingual by default, a chart of errors with\n"
    "the MPE envelope, the budget of the worst point, a QR code), NUMBER.xml (PTB's\n"
    "DCC 3.1.2) and NUMBER.json, each signed with the lab's Ed25519 key\n"
    "(FILE.sig), with NUMBER.manifest.json binding their SHA-256 and the run's.\n"
    "`caldaq verify DIR` (or any of the files) checks them.\n"
    "\n"
    "  --lab LAB.yaml     the laboratory: name, address, accreditation, numbering,\n"
    "                     signatories, logo, signing key (docs/certificates.md)\n"
    "  --number N         the certificate number (default PREFIX-YEAR-<run id>)\n"
    "  --signatory N      who authorises it: the N-th of the lab's signatories (1)\n"
    "  --item-serial S    the item's serial number as stated (when the instrument reports\n"
    "                     none, or to record the customer's number)\n"
    "  --keygen KEY       make a lab key pair KEY and KEY.pub (never overwrites)\n";

struct cert_args {
    const char *run, *out, *lab, *format, *langs, *keygen;
    struct cert_job job;
    char received[11], issued[11];
};

static int parse_args(int argc, char **argv, struct cert_args *a)
{
    static const struct option opts[] = {
        {"out", required_argument, NULL, 'o'},      {"lab", required_argument, NULL, 'L'},
        {"format", required_argument, NULL, 'f'},   {"lang", required_argument, NULL, 'l'},
        {"customer", required_argument, NULL, 'c'}, {"customer-address", required_argument, NULL, 'A'},
        {"received", required_argument, NULL, 'r'}, {"issued", required_argument, NULL, 'i'},
        {"number", required_argument, NULL, 'n'},   {"place", required_argument, NULL, 'p'},
        {"signatory", required_argument, NULL, 's'}, {"keygen", required_argument, NULL, 'k'},
        {"item-serial", required_argument, NULL, 'I'},
        {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0},
    };
    memset(a, 0, sizeof *a);
    a->format = "pdf,xml,json";
    a->langs = "vi+en";
    optind = 0;
    opterr = 0;
    int c;
    unsigned long long sig = 1;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case 'o': a->out = optarg; break;
        case 'L': a->lab = optarg; break;
        case 'f': a->format = optarg; break;
        case 'c': a->job.customer = optarg; break;
        case 'A': a->job.customer_address = optarg; break;
        case 'n': a->job.number = optarg; break;
        case 'k': a->keygen = optarg; break;
        case 'I': a->job.item_serial = optarg; break;
        case 'l':
            if (strcmp(optarg, "vi+en") != 0 && strcmp(optarg, "vi") != 0 &&
                strcmp(optarg, "en") != 0)
                return cli_usage_error("cert", "--lang takes vi+en, vi or en, not '%s'", optarg);
            a->langs = optarg;
            break;
        case 'r':
            if (cli_date_option("cert", optarg, a->received) != 0)
                return 2;
            a->job.received = a->received;
            break;
        case 'i':
            if (cli_date_option("cert", optarg, a->issued) != 0)
                return 2;
            a->job.issued = a->issued;
            break;
        case 'p':
            if (strcmp(optarg, "laboratory") != 0 && strcmp(optarg, "customer") != 0)
                return cli_usage_error("cert", "--place takes laboratory or customer");
            a->job.place = optarg;
            break;
        case 's':
            if (cli_parse_size(optarg, &sig) != 0 || sig == 0)
                return cli_usage_error("cert", "--signatory takes 1, 2, ...");
            break;
        case 'h': fputs(usage_text, stdout); return -1;
        default: return cli_option_error("cert", c, argv);
        }
    }
    a->job.signatory = (size_t)(sig - 1);
    if (a->keygen != NULL)
        return optind == argc ? 0 : cli_usage_error("cert", "--keygen takes no run file");
    if (optind != argc - 1)
        return cli_usage_error("cert", "give exactly one run file");
    a->run = argv[optind];
    if (a->out == NULL || a->lab == NULL)
        return cli_usage_error("cert", "--out and --lab are required");
    for (const char *f = a->format; *f;) {
        size_t n = strcspn(f, ",");
        if (!((n == 3 && (strncmp(f, "pdf", 3) == 0 || strncmp(f, "xml", 3) == 0)) ||
              (n == 4 && strncmp(f, "json", 4) == 0)))
            return cli_usage_error("cert", "--format takes pdf, xml and json, comma-separated");
        f += n + (f[n] == ',');
    }
    return 0;
}

bool cert_format_wants(const char *format, const char *kind)
{
    size_t n = strlen(kind);
    for (const char *f = format; *f;) {
        size_t m = strcspn(f, ",");
        if (m == n && strncmp(f, kind, n) == 0)
            return true;
        f += m + (f[m] == ',');
    }
    return false;
}

int cert_issue(const struct ana_file *f, const struct cert_lab *lab, const struct cert_job *job,
               const char *out_dir, const char *format, const char *langs, bool quiet,
               char number[64], struct cd_err *err)
{
    if (mkdir(out_dir, 0775) != 0 && errno != EEXIST)
        return cd_fail(err, CD_ERR_IO, "%s: %s", out_dir, strerror(errno));
    const char *run_path = f->view != NULL ? f->path : "";
    struct cert_doc *d = NULL;
    int rc = cert_doc_build(run_path, f, lab, job, &d, err);
    char path[3][4400], xml_sha[65] = "", qr[512];
    const char *kinds[3] = {"xml", "json", "pdf"};
    json_t *manifest = json_object(), *files = json_object();
    for (int i = 0; rc == 0 && i < 3; i++) {
        if (!cert_format_wants(format, kinds[i]))
            continue;
        snprintf(path[i], sizeof path[i], "%s/%s.%s", out_dir, d->number, kinds[i]);
        if (i == 0) {
            rc = cert_write_xml(d, langs, path[i], err);
        } else if (i == 1) {
            json_t *j = cert_json(d);
            if (j != NULL && xml_sha[0] != '\0')
                json_object_set_new(j, "xml_sha256", json_string(xml_sha));
            rc = j == NULL || json_dump_file(j, path[i], JSON_INDENT(2) |
                                                           JSON_REAL_PRECISION(17)) != 0
                     ? cd_fail(err, CD_ERR_IO, "%s: cannot write", path[i])
                     : 0;
            json_decref(j);
        } else {
            snprintf(qr, sizeof qr, "caldaq certificate %s\nrun sha256 %s\nxml sha256 %s",
                     d->number, d->run_sha256, xml_sha[0] ? xml_sha : "-");
            rc = cert_write_pdf(d, langs, qr, path[i], err);
        }
        char sha[65];
        if (rc == 0)
            rc = cert_sha256_file(path[i], sha, err);
        if (rc == 0 && i == 0)
            memcpy(xml_sha, sha, sizeof sha);
        if (rc == 0)
            rc = cert_sign_file(path[i], lab->key, err);
        if (rc == 0) {
            const char *base = strrchr(path[i], '/') + 1;
            json_object_set_new(files, base, json_string(sha));
            if (!quiet)
                printf("%s (signed: %s.sig)\n", path[i], path[i]);
        }
    }
    if (rc == 0) {
        char mpath[4400];
        snprintf(mpath, sizeof mpath, "%s/%s.manifest.json", out_dir, d->number);
        json_object_set_new(manifest, "schema", json_string("caldaq-certificate-manifest/1"));
        json_object_set_new(manifest, "number", json_string(d->number));
        json_object_set_new(manifest, "run_id", json_string(d->run_id));
        json_object_set_new(manifest, "run_sha256", json_string(d->run_sha256));
        json_object_set_new(manifest, "files", json_incref(files));
        rc = json_dump_file(manifest, mpath, JSON_INDENT(2)) != 0
                 ? cd_fail(err, CD_ERR_IO, "%s: cannot write", mpath)
                 : cert_sign_file(mpath, lab->key, err);
        if (rc == 0 && !quiet)
            printf("%s (signed)\ncertificate %s: verdict %s\n", mpath, d->number, d->verdict);
        if (rc == 0 && number != NULL)
            snprintf(number, 64, "%s", d->number);
    }
    json_decref(files);
    json_decref(manifest);
    cert_doc_free(d);
    return rc;
}

int cmd_cert(int argc, char **argv)
{
    struct cert_args a;
    int rc = parse_args(argc, argv, &a);
    if (rc != 0)
        return rc < 0 ? 0 : rc;
    struct cd_err err = {0};
    if (a.keygen != NULL) {
        if (cert_keygen(a.keygen, &err) != 0)
            return cli_error("cert", "%s", cd_err_text(&err));
        printf("key pair: %s (secret, keep it safe) and %s.pub (give it to anyone who checks "
               "certificates)\n",
               a.keygen, a.keygen);
        return 0;
    }
    struct cert_lab lab;
    if (cert_lab_load(a.lab, &lab, &err) != 0)
        return cli_error("cert", "%s", cd_err_text(&err));
    struct ana_file_opts o = {0};
    struct ana_file f;
    if (ana_file_run(a.run, &o, &f, &err) != 0)
        return cli_error("cert", "%s: %s", a.run, cd_err_text(&err));
    rc = cert_issue(&f, &lab, &a.job, a.out, a.format, a.langs, false, NULL, &err);
    ana_file_free(&f);
    cert_pdf_cleanup();
    return rc == 0 ? 0 : cli_error("cert", "%s", cd_err_text(&err));
}

/* ------------------------------------------------------------ verify */

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
    snprintf(out, cap, "%.*s.manifest.json", (int)(dot - path), path);
    return stat(out, &st) == 0 ? 0 : -1;
}

int cmd_verify_cert(const char *path, const char *pub_path, const char *run_path)
{
    struct cd_err err = {0};
    char manifest[4400], report[8192];
    if (find_manifest(path, manifest, sizeof manifest) != 0)
        return cli_error("verify", "%s: not an HDF5 file (a run) nor a caldaq certificate (no "
                                   "NUMBER.manifest.json beside it)",
                         path);
    char pub[256] = "";
    if (pub_path != NULL) {
        FILE *f = fopen(pub_path, "r");
        if (f == NULL || fgets(pub, sizeof pub, f) == NULL) {
            if (f != NULL)
                fclose(f);
            return cli_error("verify", "%s: cannot read the lab's public key", pub_path);
        }
        fclose(f);
        pub[strcspn(pub, "\r\n")] = '\0';
    }
    int bad = 0;
    if (cert_verify_file(manifest, pub_path ? pub : NULL, report, sizeof report, &err) != 0) {
        fprintf(stderr, "caldaq verify: %s\n", err.msg);
        return 1;
    }
    printf("%s\n", report);
    json_error_t je;
    json_t *m = json_load_file(manifest, 0, &je);
    if (m == NULL)
        return cli_error("verify", "%s:%d: %s", manifest, je.line, je.text);
    char dir[4400];
    snprintf(dir, sizeof dir, "%s", manifest);
    char *slash = strrchr(dir, '/');
    if (slash != NULL)
        *slash = '\0';
    else
        snprintf(dir, sizeof dir, ".");
    const char *name;
    json_t *sha;
    json_object_foreach(json_object_get(m, "files"), name, sha)
    {
        char file[4800], now[65] = "";
        snprintf(file, sizeof file, "%s/%s", dir, name);
        cd_err_clear(&err);
        if (cert_verify_file(file, pub_path ? pub : NULL, report, sizeof report, &err) != 0) {
            printf("%s: FAILED: %s\n", name, err.msg);
            bad++;
            continue;
        }
        /* The manifest is signed, but not necessarily by caldaq cert: a
         * hash that is not text is a failure, not a NULL to compare. */
        const char *want = json_string_value(sha);
        if (cert_sha256_file(file, now, &err) != 0 || want == NULL || strcmp(now, want) != 0) {
            printf("%s: FAILED: sha256 %s, the manifest says %s\n", name, now,
                   want != NULL ? want : "no sha256");
            bad++;
            continue;
        }
        printf("%s\n", report);
    }
    if (run_path != NULL) {
        char now[65];
        const char *want = json_string_value(json_object_get(m, "run_sha256"));
        cd_err_clear(&err);
        if (cert_sha256_file(run_path, now, &err) != 0) {
            printf("%s: FAILED: %s\n", run_path, err.msg);
            bad++;
        } else if (want == NULL) {
            printf("%s: FAILED: the manifest records no run_sha256\n", run_path);
            bad++;
        } else if (strcmp(now, want) != 0) {
            printf("%s: FAILED: the run file differs from the one certified (sha256 %s, the "
                   "certificate says %s)\n",
                   run_path, now, want);
            bad++;
        } else {
            printf("%s: the run certified (sha256 %s)\n", run_path, now);
        }
    }
    const char *number = json_string_value(json_object_get(m, "number"));
    if (number == NULL) {
        printf("%s: FAILED: the manifest records no certificate number\n", manifest);
        bad++;
    }
    printf("certificate %s: %s\n", number != NULL ? number : "(no number)",
           bad ? "NOT intact" : "intact");
    json_decref(m);
    return bad ? 1 : 0;
}
