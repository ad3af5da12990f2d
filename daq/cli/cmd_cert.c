/* caldaq cert RUN.h5 --out DIR: issue a calibration certificate (PDF, DCC
 * XML, JSON), signed with the lab's Ed25519 key; and the certificate side
 * of `caldaq verify`. docs/certificates.md. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cert.h"
#include "cli.h"
#include "run.h"

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
    /* the user's file, maybe damaged: read through the store's guard */
    struct daq_run_view *v = NULL;
    if (daq_run_open_guarded(a.run, cli_read_timeout(), &v, &err) != 0)
        return cli_error("cert", "%s", cd_err_text(&err));
    if (ana_file_run_view(a.run, v, &o, &f, &err) != 0)
        return cli_error("cert", "%s: %s", a.run, cd_err_text(&err));
    rc = cert_issue(&f, &lab, &a.job, a.out, a.format, a.langs, false, NULL, &err);
    ana_file_free(&f);
    cert_pdf_cleanup();
    return rc == 0 ? 0 : cli_error("cert", "%s", cd_err_text(&err));
}

int cmd_verify_cert(const char *path, const char *pub_path, const char *run_path)
{
    struct cd_err err = {0};
    struct cert_check_result r;
    if (cert_check(path, pub_path, run_path, stdout, &r, &err) != 0)
        return cli_error("verify", "%s", cd_err_text(&err));
    return r.failures ? 1 : 0;
}
