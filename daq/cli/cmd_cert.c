/* caldaq cert RUN.h5 --out DIR: issue a calibration certificate (PDF, DCC
 * XML, JSON), signed with the lab's Ed25519 key; and the certificate side
 * of `caldaq verify`. docs/certificates.md. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cert.h"
#include "cli.h"
#include "run.h"
#include "cd_i18n.h"

static const char usage_text[] = N_(
    "usage: caldaq cert RUN.h5 --out DIR --lab LAB.yaml [--format pdf,xml,json]\n"
    "                   [--lang vi+en|vi|en] [--customer NAME] [--customer-address A]\n"
    "                   [--received YYYY-MM-DD] [--issued YYYY-MM-DD] [--number N]\n"
    "                   [--place laboratory|customer] [--signatory N] [--item-serial S]\n"
    "                   [--stamp NUMBER] [--cycles FILE] [--item-model M]\n"
    "                   [--item-manufacturer M]\n"
    "                   [--records DB] [--valid-until YYYY-MM-DD]\n"
    "                   [--amend NUMBER --reason TEXT] [--json]\n"
    "       caldaq cert --withdraw NUMBER --reason TEXT [--records DB | --lab LAB.yaml]\n"
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
    "  --number N         the certificate number (default PREFIX-YEAR-<run id>): at\n"
    "                     most 63 of A-Z a-z 0-9 - _, beginning and ending with a\n"
    "                     letter or digit; it names the files (no '/': KD-2026-15)\n"
    "  --signatory N      who authorises it: the N-th of the lab's signatories (1)\n"
    "  --item-serial S    the item's serial number as stated (when the instrument reports\n"
    "                     none, or to record the customer's number)\n"
    "  --item-model M, --item-manufacturer M\n"
    "                     the item's model and manufacturer as stated, when the\n"
    "                     instrument reports none (one read by eye)\n"
    "  --keygen KEY       make a lab key pair KEY and KEY.pub (never overwrites)\n"
    "\n"
    "A run of a verification profile (kind: verification) gets, instead, the\n"
    "verification certificate when it passed or the notice of failure when it\n"
    "failed (NUMBER.pdf, NUMBER.json), and the verification record with every\n"
    "reading as typed (NUMBER-record.pdf, NUMBER-record.json); no DCC XML\n"
    "(docs/verification.md, \"Documents\").\n"
    "  --stamp NUMBER     the stamp or seal number (số tem / số niêm phong) put on\n"
    "                     the instrument: required when the verification passed,\n"
    "                     not used (with a warning) when it failed\n"
    "  --cycles FILE      the verification cycles table for the validity date\n"
    "                     (default: LAB.yaml's verification_cycles)\n"
    "\n"
    "A number is never issued twice (ISO/IEC 17025 7.8.8): a certificate already\n"
    "issued in DIR, or held by the lab's records, is refused. Every issue is an\n"
    "audit entry in the run.\n"
    "  --records DB       the lab's records (a file, or a postgresql:// URL; default:\n"
    "                     records: in LAB.yaml): the certificate is recorded there\n"
    "  --amend NUMBER     issue a certificate replacing NUMBER, stating so and\n"
    "                     --reason on every format; NUMBER becomes \"amended\" in\n"
    "                     the records (default number: NUMBER-A1, -A2, ...)\n"
    "  --withdraw NUMBER  mark NUMBER withdrawn in the records, with --reason\n"
    "  --valid-until D    the date the item falls due, as agreed with the customer\n"
    "                     (recorded for `caldaq records due`)\n"
    "  --json             print what was issued as JSON: number, folder, manifest,\n"
    "                     and the manifest's content (each file's SHA-256, the run's\n"
    "                     id and SHA-256)\n"
    "\n"
    "caldaq verify DIR|FILE [--pub KEY.pub | --lab LAB.yaml] [--run RUN.h5] [--json]\n"
    "checks an issued certificate; --json gives number, intact, failures, signer,\n"
    "trusted and the report's lines.\n");

struct cert_args {
    const char *run, *out, *lab, *format, *langs, *keygen, *withdraw;
    bool json;
    struct cert_job job;
    char received[11], issued[11], valid_until[11];
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
        {"stamp", required_argument, NULL, 'S'},    {"cycles", required_argument, NULL, 'C'},
        {"item-model", required_argument, NULL, 'M'},
        {"item-manufacturer", required_argument, NULL, 'F'},
        {"records", required_argument, NULL, 'R'},  {"amend", required_argument, NULL, 'a'},
        {"withdraw", required_argument, NULL, 'w'}, {"reason", required_argument, NULL, 'y'},
        {"valid-until", required_argument, NULL, 'v'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0},
    };
    memset(a, 0, sizeof *a);
    a->format = "pdf,xml,json";
    a->langs = "vi+en";
    optind = 0;
    opterr = 0;
    int c;
    unsigned long long sig = 1;
    struct cd_err err = {0};
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case 'o': a->out = optarg; break;
        case 'L': a->lab = optarg; break;
        case 'f': a->format = optarg; break;
        case 'c': a->job.customer = optarg; break;
        case 'A': a->job.customer_address = optarg; break;
        case 'n':
            if (cert_number_check(optarg, "--number", CERT_NUMBER_MAX, &err) != 0)
                return cli_usage_error("cert", "%s", err.msg);
            a->job.number = optarg;
            break;
        case 'k': a->keygen = optarg; break;
        case 'R': a->job.records = optarg; break;
        case 'a':
        case 'w':
            if (cert_number_check(optarg, c == 'a' ? "--amend" : "--withdraw", CERT_NUMBER_MAX,
                                  &err) != 0)
                return cli_usage_error("cert", "%s", err.msg);
            *(c == 'a' ? &a->job.amends : &a->withdraw) = optarg;
            break;
        case 'y':
            if (optarg[0] == '\0' || strlen(optarg) > 500)
                return cli_usage_error("cert", _("--reason: from 1 to 500 bytes of text"));
            a->job.reason = optarg;
            break;
        case 'v':
            if (cli_date_option("cert", optarg, a->valid_until) != 0)
                return 2;
            a->job.valid_until = a->valid_until;
            break;
        case 'j': a->json = true; break;
        case 'I': a->job.item_serial = optarg; break;
        case 'S': a->job.stamp = optarg; break;
        case 'C': a->job.cycles = optarg; break;
        case 'M': a->job.item_model = optarg; break;
        case 'F': a->job.item_manufacturer = optarg; break;
        case 'l':
            if (strcmp(optarg, "vi+en") != 0 && strcmp(optarg, "vi") != 0 &&
                strcmp(optarg, "en") != 0)
                return cli_usage_error("cert", _("--lang takes vi+en, vi or en, not '%s'"), optarg);
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
                return cli_usage_error("cert", _("--place takes laboratory or customer"));
            a->job.place = optarg;
            break;
        case 's':
            if (cli_parse_size(optarg, &sig) != 0 || sig == 0)
                return cli_usage_error("cert", _("--signatory takes 1, 2, ..."));
            break;
        case 'h': fputs(_(usage_text), stdout); return -1;
        default: return cli_option_error("cert", c, argv);
        }
    }
    a->job.signatory = (size_t)(sig - 1);
    if ((a->job.amends != NULL || a->withdraw != NULL) && a->job.reason == NULL)
        return cli_usage_error("cert", _("--%s takes --reason TEXT (ISO/IEC 17025 7.8.8)"),
                               a->withdraw != NULL ? "withdraw" : "amend");
    if (a->withdraw != NULL)
        return optind == argc && a->job.amends == NULL
                   ? 0
                   : cli_usage_error("cert", _("--withdraw takes no run file and no --amend"));
    if (a->keygen != NULL)
        return optind == argc ? 0 : cli_usage_error("cert", _("--keygen takes no run file"));
    if (optind != argc - 1)
        return cli_usage_error("cert", _("give exactly one run file"));
    a->run = argv[optind];
    if (a->out == NULL || a->lab == NULL)
        return cli_usage_error("cert", _("--out and --lab are required"));
    for (const char *f = a->format; *f;) {
        size_t n = strcspn(f, ",");
        if (!((n == 3 && (strncmp(f, "pdf", 3) == 0 || strncmp(f, "xml", 3) == 0)) ||
              (n == 4 && strncmp(f, "json", 4) == 0)))
            return cli_usage_error("cert", _("--format takes pdf, xml and json, comma-separated"));
        f += n + (f[n] == ',');
    }
    return 0;
}

/* --json: the certificate just issued, as its signed manifest says. */
static int issued_json(const char *out, const char *number)
{
    char manifest[4200];
    snprintf(manifest, sizeof manifest, "%s/%s.manifest.json", out, number);
    json_error_t jerr;
    json_t *m = json_load_file(manifest, 0, &jerr);
    if (m == NULL)
        return cli_error("cert", "%s:%d: %s", manifest, jerr.line, jerr.text);
    return cli_json_print(json_pack("{s:s, s:s, s:s, s:o}", "number", number, "folder", out,
                                    "manifest", manifest, "content", m));
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
        printf(_("key pair: %s (secret, keep it safe) and %s.pub (give it to anyone who checks "
               "certificates)\n"),
               a.keygen, a.keygen);
        return 0;
    }
    struct cert_lab lab;
    if (a.withdraw != NULL) {
        if (a.lab != NULL && cert_lab_load(a.lab, &lab, &err) != 0)
            return cli_error("cert", "%s", cd_err_text(&err));
        const char *records = a.job.records != NULL ? a.job.records
                              : a.lab != NULL      ? lab.records
                                                   : NULL;
        if (cert_withdraw(records, a.withdraw, a.job.reason, cli_user(), &err) != 0)
            return cli_error("cert", "%s", cd_err_text(&err));
        printf(_("certificate %s: withdrawn\n"), a.withdraw);
        return 0;
    }
    if (cert_lab_load(a.lab, &lab, &err) != 0)
        return cli_error("cert", "%s", cd_err_text(&err));
    cli_key_warning("cert", a.lab);
    if (a.job.records == NULL && lab.records[0] != '\0')
        a.job.records = lab.records;
    a.job.audit = true;
    struct ana_file_opts o = {0};
    struct ana_file f;
    /* the user's file, maybe damaged: read through the store's guard */
    struct daq_run_view *v = NULL;
    if (daq_run_open_guarded(a.run, cli_read_timeout(), &v, &err) != 0)
        return cli_error("cert", "%s", cd_err_text(&err));
    if (ana_file_run_view(a.run, v, &o, &f, &err) != 0)
        return cli_error("cert", "%s: %s", a.run, cd_err_text(&err));
    if (f.profile->kind != PROF_KIND_VERIFICATION && (a.job.stamp != NULL || a.job.cycles != NULL)) {
        rc = cli_usage_error("cert",
                             _("--stamp and --cycles are for a verification; %s is a calibration "
                             "run (profile %s)"),
                             a.run, f.profile->name);
        ana_file_free(&f);
        return rc;
    }
    char number[64] = "";
    rc = cert_issue(&f, &lab, &a.job, a.out, a.format, a.langs, a.json, number, &err);
    ana_file_free(&f);
    cert_pdf_cleanup();
    if (rc != 0)
        return cli_error("cert", "%s", cd_err_text(&err));
    return a.json ? issued_json(a.out, number) : 0;
}

/* The key `caldaq verify` trusts: --pub KEY.pub, else the public half of
 * the signing key LAB.yaml names (KEY.pub beside it, as --keygen makes
 * it: the secret key itself is never read to verify). NULL in *pub when
 * neither was given. 0, or the exit status after a message. */
static int trusted_key(const char *pub_arg, const char *lab_path, char *pub, size_t cap,
                       const char **pub_out)
{
    *pub_out = pub_arg;
    if (pub_arg != NULL || lab_path == NULL)
        return 0;
    struct cert_lab lab;
    struct cd_err err = {0};
    if (cert_lab_load(lab_path, &lab, &err) != 0)
        return cli_error("verify", "%s", cd_err_text(&err));
    if ((size_t)snprintf(pub, cap, "%s.pub", lab.key) >= cap || access(pub, R_OK) != 0)
        return cli_error("verify",
                         _("%s: the lab's signing key %s has no %s.pub beside it: give the lab's "
                         "public key with --pub KEY.pub"),
                         lab_path, lab.key, lab.key);
    *pub_out = pub;
    return 0;
}

int cmd_verify_cert(int argc, char **argv)
{
    static const struct option opts[] = {{"pub", required_argument, NULL, 'p'},
                                         {"lab", required_argument, NULL, 'L'},
                                         {"run", required_argument, NULL, 'r'},
                                         {"json", no_argument, NULL, 'j'},
                                         {NULL, 0, NULL, 0}};
    const char *pub_arg = NULL, *lab_path = NULL, *run = NULL;
    bool json = false;
    optind = 0;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
        if (c == 'p')
            pub_arg = optarg;
        else if (c == 'L')
            lab_path = optarg;
        else if (c == 'r')
            run = optarg;
        else if (c == 'j')
            json = true;
        else
            return cli_option_error("verify", c, argv);
    }
    if (optind != argc - 1)
        return optind == argc ? cli_usage_error("verify", _("no certificate given"))
                              : cli_usage_error("verify", _("unexpected argument '%s'"),
                                                argv[optind + 1]);
    if (pub_arg != NULL && lab_path != NULL)
        return cli_usage_error("verify", _("give --pub or --lab, not both"));
    char pub_buf[4200];
    const char *pub = NULL;
    int rc = trusted_key(pub_arg, lab_path, pub_buf, sizeof pub_buf, &pub);
    if (rc != 0)
        return rc;
    struct cd_err err = {0};
    struct cert_check_result r;
    char *report = NULL;
    size_t report_len = 0;
    FILE *to = json ? open_memstream(&report, &report_len) : stdout;
    if (to == NULL)
        return cli_error("verify", "out of memory");
    rc = cert_check(argv[optind], pub, run, to, &r, &err);
    if (json)
        fclose(to);
    if (rc != 0) {
        free(report);
        return cli_error("verify", "%s", cd_err_text(&err));
    }
    if (json) {
        json_t *lines = json_array();
        for (char *line = report, *next; line != NULL && *line; line = next) {
            next = strchr(line, '\n');
            if (next != NULL)
                *next++ = '\0';
            json_array_append_new(lines, json_string(line));
        }
        free(report);
        if (cli_json_print(json_pack("{s:s, s:s, s:b, s:i, s:s, s:b, s:o}", "path",
                                     argv[optind], "number", r.number, "intact",
                                     r.failures == 0, "failures", r.failures, "signer", r.signer,
                                     "trusted", r.trusted, "report", lines)) != 0)
            return 1;
    }
    if (r.failures)
        return 1;
    if (!r.trusted) {
        /* Intact as signed, but by whom: a forger's certificate is intact
         * under the forger's key. A status of its own, so scripts that only
         * test for 0 do not take it as the lab's. */
        cli_error("verify",
                  _("signed by a key caldaq was not told to trust: %s (give the lab's key with "
                  "--pub KEY.pub or --lab LAB.yaml)"),
                  r.signer);
        return 3;
    }
    return 0;
}
