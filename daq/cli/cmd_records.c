/* caldaq records search|show|due|import|export: the lab's records
 * (daq/records/, docs/records.md). Parses, calls the records, prints. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cert.h"
#include "cli.h"
#include "records.h"
#include "cd_i18n.h"

static const char usage_text[] = N_(
    "usage: caldaq records search TEXT [--customer C] [--serial S] [--from D] [--to D]\n"
    "                             [--verdict V] [--limit N] [--json]\n"
    "       caldaq records show NUMBER|RUN [--json]\n"
    "       caldaq records due [--within 30d] [--json]\n"
    "       caldaq records import PATH... [-j N]\n"
    "       caldaq records export --open-data DIR\n"
    "  each with [--records DB] [--lab LAB.yaml]\n"
    "\n"
    "The lab's records (ISO/IEC 17025 7.5, 7.8.8): customers, items, the lab's\n"
    "standards, runs, certificates (valid, amended, withdrawn) and an event log.\n"
    "DB is a file (SQLite, made when missing) or a postgresql:// URL shared by\n"
    "several benches; without --records, the records: of LAB.yaml.\n"
    "\n"
    "  search TEXT        certificates and runs whose number, customer, item,\n"
    "                     procedure or run id holds TEXT (\"\" for all); --from and\n"
    "                     --to (YYYY-MM-DD) bound the date of issue or of the run\n"
    "  show NUMBER|RUN    a certificate (its files, what it replaced or what\n"
    "                     replaced it, its events) or a run (id or path)\n"
    "  due                customer items whose certificate runs out within the\n"
    "                     period (30d, 6w; default 30d), and the lab's standards\n"
    "  import PATH...     index run files (*.h5), issued certificates (folders with\n"
    "                     NUMBER.manifest.json) and standards registers (*.yaml);\n"
    "                     importing again changes nothing, a file changed since it\n"
    "                     was recorded is reported (status 1); -j N: N processes\n"
    "                     read the runs (default 1)\n"
    "  export --open-data DIR  certificates.csv/.json, standards.csv/.json and\n"
    "                     schema.json (caldaq-open-data/1), no personal data unless\n"
    "                     LAB.yaml's open_data_include names it\n");

struct records_args {
    const char *action, *records, *lab, *open_data;
    struct rec_search q;
    const char *within;
    bool json;
    unsigned long long jobs;
    int first_arg, argc;
    char **argv;
};

static int date_arg(const char *what, const char *value, const char **out)
{
    long day;
    if (prof_date_parse(value, &day, NULL) != 0)
        return cli_usage_error("records", _("%s takes a calendar date YYYY-MM-DD, not '%.40s'"), what,
                               value);
    *out = value;
    return 0;
}

static int parse_args(int argc, char **argv, struct records_args *a)
{
    static const struct option opts[] = {
        {"records", required_argument, NULL, 'R'}, {"lab", required_argument, NULL, 'L'},
        {"customer", required_argument, NULL, 'c'}, {"serial", required_argument, NULL, 's'},
        {"from", required_argument, NULL, 'f'},     {"to", required_argument, NULL, 't'},
        {"verdict", required_argument, NULL, 'v'},  {"limit", required_argument, NULL, 'n'},
        {"within", required_argument, NULL, 'w'},   {"open-data", required_argument, NULL, 'o'},
        {"json", no_argument, NULL, 'J'},           {"help", no_argument, NULL, 'h'},
        {"jobs", required_argument, NULL, 'j'},
        {NULL, 0, NULL, 0},
    };
    memset(a, 0, sizeof *a);
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        if (argc < 2)
            return cli_usage_error("records", _("no action given (search, show, due, import, export)"));
        fputs(_(usage_text), stdout);
        return -1;
    }
    a->action = argv[1];
    static const char *const actions[] = {"search", "show", "due", "import", "export", NULL};
    bool known = false;
    for (size_t i = 0; actions[i] != NULL; i++)
        known |= strcmp(a->action, actions[i]) == 0;
    if (!known)
        return cli_usage_error("records",
                               _("unknown action '%.40s' (search, show, due, import, export)"),
                               a->action);
    optind = 2;
    opterr = 0;
    int c;
    unsigned long long limit = 0;
    a->jobs = 1;
    while ((c = getopt_long(argc, argv, ":hj:", opts, NULL)) != -1) {
        int rc = 0;
        switch (c) {
        case 'R': a->records = optarg; break;
        case 'L': a->lab = optarg; break;
        case 'c': a->q.customer = optarg; break;
        case 's': a->q.serial = optarg; break;
        case 'v': a->q.verdict = optarg; break;
        case 'f': rc = date_arg("--from", optarg, &a->q.from); break;
        case 't': rc = date_arg("--to", optarg, &a->q.to); break;
        case 'n':
            if (cli_parse_size(optarg, &limit) != 0 || limit == 0 || limit > 100000)
                return cli_usage_error("records", _("--limit takes 1 to 100000, not '%.40s'"),
                                       optarg);
            a->q.limit = (size_t)limit;
            break;
        case 'w': a->within = optarg; break;
        case 'o': a->open_data = optarg; break;
        case 'J': a->json = true; break;
        case 'j':
            if (cli_parse_size(optarg, &a->jobs) != 0 || a->jobs == 0 ||
                a->jobs > REC_IMPORT_JOBS_MAX)
                return cli_usage_error("records", _("-j takes 1 to %d, not '%.40s'"),
                                       REC_IMPORT_JOBS_MAX, optarg);
            break;
        case 'h': fputs(_(usage_text), stdout); return -1;
        default: return cli_option_error("records", c, argv);
        }
        if (rc != 0)
            return rc;
    }
    a->first_arg = optind;
    a->argc = argc;
    a->argv = argv;
    int nargs = argc - optind;
    if (strcmp(a->action, "search") == 0 && nargs != 1)
        return cli_usage_error("records", _("search takes one TEXT (\"\" for everything)"));
    if (strcmp(a->action, "show") == 0 && nargs != 1)
        return cli_usage_error("records", _("show takes one certificate number or run"));
    if ((strcmp(a->action, "due") == 0 || strcmp(a->action, "export") == 0) && nargs != 0)
        return cli_usage_error("records", _("%s takes no argument ('%.40s')"), a->action,
                               argv[optind]);
    if (strcmp(a->action, "import") == 0 && nargs == 0)
        return cli_usage_error("records", _("import takes one or more paths"));
    if (strcmp(a->action, "export") == 0 && a->open_data == NULL)
        return cli_usage_error("records", _("export takes --open-data DIR"));
    if (strcmp(a->action, "search") == 0)
        a->q.text = argv[optind];
    return 0;
}

/* Import: the problems, one a line on stderr (what was added is counted in
 * the summary: an archive is thousands of runs). */
static void report_line(void *ctx, const char *path, const char *what)
{
    (void)ctx;
    if (strcmp(what, "added") != 0)
        fprintf(stderr, _("caldaq records: %s: %s\n"), path, what);
}

static int print_json_or(json_t *r, bool json, void (*table)(FILE *, const json_t *))
{
    if (json)
        return cli_json_print(r) != 0;   /* takes r */
    table(stdout, r);
    json_decref(r);
    return 0;
}

int cmd_records(int argc, char **argv)
{
    struct records_args a;
    int rc = parse_args(argc, argv, &a);
    if (rc != 0)
        return rc < 0 ? 0 : rc;
    struct cd_err err = {0};
    struct cert_lab lab;
    bool have_lab = a.lab != NULL;
    if (have_lab && cert_lab_load(a.lab, &lab, &err) != 0)
        return cli_error("records", _("--lab: %s"), cd_err_text(&err));
    const char *where = a.records != NULL ? a.records : have_lab ? lab.records : "";
    if (where[0] == '\0')
        return cli_usage_error("records",
                               _("no records: give --records DB (a file or a postgresql:// URL) or "
                               "--lab LAB.yaml with records:"));
    int within = 30;
    if (a.within != NULL && rec_period_parse(a.within, "--within", &within, &err) != 0)
        return cli_usage_error("records", "%s", err.msg);
    /* today in the lab's zone, or the default zone without a lab */
    char today[11];
    struct cd_zone *zone = NULL;
    if (have_lab ? (cd_zone_load(lab.time_zone, &zone, &err) != 0 ||
                    cd_zone_today(zone, today) != 0)
                 : cd_today(today) != 0) {
        cd_zone_free(zone);
        return cli_error("records", _("cannot tell today's date"));
    }
    cd_zone_free(zone);
    rec_db *db = NULL;
    if (rec_open(where, &db, &err) != 0)
        return cli_error("records", "%s", cd_err_text(&err));
    json_t *r = NULL;
    int status = 0;
    if (strcmp(a.action, "search") == 0) {
        rc = rec_search(db, &a.q, &r, &err);
        if (rc == 0)
            status = print_json_or(r, a.json, rec_print_search);
    } else if (strcmp(a.action, "show") == 0) {
        rc = rec_show(db, a.argv[a.first_arg], &r, &err);
        if (rc == 0)
            status = print_json_or(r, a.json, rec_print_show);
    } else if (strcmp(a.action, "due") == 0) {
        rc = rec_due(db, today, within, &r, &err);
        if (rc == 0)
            status = print_json_or(r, a.json, rec_print_due);
    } else if (strcmp(a.action, "import") == 0) {
        struct rec_import_stats st;
        rc = rec_import(db, (const char *const *)a.argv + a.first_arg,
                        (size_t)(a.argc - a.first_arg), (unsigned)a.jobs, cli_user(),
                        report_line, NULL, &st, &err);
        if (rc == 0) {
            printf(_("imported: %zu runs added, %zu already recorded; %zu certificates added, %zu "
                   "already recorded; %zu standards; %zu changed since recorded, %zu unreadable\n"),
                   st.runs_added, st.runs_known, st.certs_added, st.certs_known, st.standards,
                   st.changed, st.failed);
            status = st.changed > 0 || st.failed > 0;
        }
    } else {
        const char *inc[4];
        struct rec_open_data o = {.lab = have_lab ? lab.name_en : "", .include = inc};
        for (size_t i = 0; have_lab && i < lab.n_open_data_include; i++)
            inc[o.n_include++] = lab.open_data_include[i];
        rc = rec_export_open_data(db, a.open_data, &o, &err);
        if (rc == 0)
            printf(_("%s: certificates.csv, certificates.json, standards.csv, standards.json, "
                   "schema.json (%s)\n"),
                   a.open_data, REC_OPEN_DATA_SCHEMA);
    }
    rec_close(db);
    if (rc != 0)
        return cli_error("records", "%s", cd_err_text(&err));
    return status;
}
