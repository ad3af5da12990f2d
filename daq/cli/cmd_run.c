/* The commands that read run files (docs/run-format.md):
 *   caldaq show RUN.h5                 a readable summary
 *   caldaq export RUN.h5 --csv|--json  the readings (and with --json the rest)
 *   caldaq trace RUN.h5 [--out FILE]   the recorded conversation as a trace
 *   caldaq verify RUN.h5 [--json]      content hash and audit chain
 * The file is the user's, and may be damaged: each is read through the
 * store's guard (daq_run_open_guarded), so that a crash or a hang of the
 * HDF5 library on it is an error naming the file, not the command's end.
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cert.h"
#include "cli.h"
#include "run.h"
#include "cd_i18n.h"


/* ------------------------------------------------------------ arguments */

enum { OPT_CSV = 1, OPT_JSON = 2, OPT_OUT = 4, OPT_SHEET = 8 };

struct run_args {
    const char *path;
    bool csv, json, excel, results;
    const char *out;
    const char *lab;
};

/* RUN.h5 plus the options in `allowed`. -1 after --help, 2 on a usage error. */
static int parse_run_args(const char *sub, const char *usage, int allowed, int argc, char **argv,
                          struct run_args *a)
{
    static const struct option opts[] = {
        {"csv", no_argument, NULL, 'c'},
        {"json", no_argument, NULL, 'j'},
        {"out", required_argument, NULL, 'o'},
        {"excel", no_argument, NULL, 'x'},
        {"results", no_argument, NULL, 'r'},
        {"lab", required_argument, NULL, 'L'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    *a = (struct run_args){0};
    optind = 0;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":ho:", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            if (!(allowed & OPT_CSV))
                return cli_usage_error(sub, _("unknown option '--csv'"));
            a->csv = true;
            break;
        case 'j':
            if (!(allowed & OPT_JSON))
                return cli_usage_error(sub, _("unknown option '--json'"));
            a->json = true;
            break;
        case 'x':
        case 'r':
        case 'L':
            if (!(allowed & OPT_SHEET))
                return cli_usage_error(sub, "unknown option '%s'", argv[optind - 1]);
            if (c == 'x')
                a->excel = true;
            else if (c == 'r')
                a->results = true;
            else
                a->lab = optarg;
            break;
        case 'o':
            if (!(allowed & OPT_OUT))
                return cli_usage_error(sub, _("unknown option '%s'"), argv[optind - 1]);
            a->out = optarg;
            break;
        case 'h':
            fputs(usage, stdout);
            return -1;
        case ':':
        default: return cli_option_error(sub, c, argv);
        }
    }
    if (optind >= argc)
        return cli_usage_error(sub, _("no run file given"));
    if (optind != argc - 1)
        return cli_usage_error(sub, _("give exactly one run file"));
    a->path = argv[optind];
    return 0;
}

/* ------------------------------------------------------------ formatting */

static void fmt_time(char *buf, size_t cap, double t)
{
    if (!(t > 0) || !isfinite(t)) {
        snprintf(buf, cap, "-");
        return;
    }
    time_t s = (time_t)floor(t);
    struct tm tm;
    localtime_r(&s, &tm);
    char z[8];
    strftime(buf, cap, "%Y-%m-%dT%H:%M:%S", &tm);
    strftime(z, sizeof z, "%z", &tm);
    size_t l = strlen(buf);
    snprintf(buf + l, cap - l, "%.3s:%.2s", z, z + 3);
}

/* Decimals a display step implies (0.001 -> 3), for means one more. */
static int decimals_of(double resolution)
{
    if (!(resolution > 0) || !isfinite(resolution))
        return -1;
    int d = (int)ceil(-log10(resolution) - 1e-9);
    return d < 0 ? 0 : d > 12 ? 12 : d;
}

static void print_value(double v, int decimals)
{
    if (isnan(v))
        printf("%14s", "-");
    else if (decimals < 0)
        printf("%14.8g", v);
    else
        printf("%14.*f", decimals, v);
}

/* ------------------------------------------------------------ show */

static const char show_usage[] = N_(
    "usage: caldaq show RUN.h5 [--json]\n"
    "\n"
    "A readable summary of a run file: identity, status and times, operator, profile,\n"
    "the device under test, the reference standards and their due dates, environmental\n"
    "conditions, the readings of each test point (count, mean and spread of the stable\n"
    "readings), the raw trace, the result versions, the audit log, readings of an\n"
    "unfinished point left in RUN.h5.journal, and whether the content verifies.\n"
    "\n"
    "Exit status 0 when the file could be read, whatever the integrity check says\n"
    "(caldaq verify gives that verdict as its exit status); 1 when it could not,\n"
    "a damaged file included (read in a separate process, given CALDAQ_READ_TIMEOUT\n"
    "seconds, 30 by default).\n"
    "  --json   the summary as one JSON document: file, run, device, counts, results\n"
    "           (version, created, engine, verdict), integrity (intact, findings)\n"
    "The whole run, machine-readable: caldaq export RUN.h5 --json. Format:\n"
    "docs/run-format.md.\n");

/* A table heading in the language of the messages, each cell padded to its
 * width on screen (msg_pad counts characters, not bytes: "danh định");
 * negative widths align left, 0 ends the line. */
static void heading(const char *const *cells, const int *widths, size_t n)
{
    fputs("  ", stdout);
    for (size_t i = 0; i < n; i++) {
        /* one-letter symbols (u, k, n, s) and max-min stay as they are */
        const char *c = strlen(cells[i]) > 1 && strchr(cells[i], '-') == NULL ? _(cells[i]) : cells[i];
        if (widths[i] == 0)
            fputs(c, stdout);
        else
            msg_pad(stdout, c, widths[i] < 0 ? -widths[i] : widths[i], widths[i] > 0);
        fputs(i + 1 < n ? " " : "\n", stdout);
    }
}

static void show_standards(const struct daq_run_view *v)
{
    printf(_("\nreference standards (%zu)\n"), v->n_standards);
    if (v->n_standards == 0)
        return;
    static const char *const std_head[] = {N_("id"),    N_("certificate"), N_("role"), N_("nominal"),
                                           N_("mark"),  N_("value"),       "u",        "k",
                                           N_("unit"),  N_("due")};
    static const int std_w[] = {-16, -18, -10, 12, -4, 16, 12, 5, -6, 0};
    heading(std_head, std_w, sizeof std_w / sizeof std_w[0]);
    char run_day[11] = "";
    snprintf(run_day, sizeof run_day, "%.10s", v->info.started);
    for (size_t i = 0; i < v->n_standards; i++) {
        const struct daq_standard *s = &v->standards[i];
        bool overdue = s->due_date[0] != '\0' && strlen(run_day) == 10 &&
                       strcmp(s->due_date, run_day) < 0;
        char nominal[32] = "-"; /* the whole standard */
        if (!isnan(s->nominal))
            snprintf(nominal, sizeof nominal, "%.10g", s->nominal);
        printf("  %-16s %-18s %-10s %12s %-4s %16.10g %12.4g %5.3g %-6s %s%s\n", s->id,
               s->certificate, s->role[0] ? s->role : "-", nominal, s->mark[0] ? s->mark : "-",
               s->value, s->u, s->k, s->unit, s->due_date[0] ? s->due_date : "-",
               overdue ? _("  OVERDUE at the time of the run") : "");
    }
}

static void show_env(const struct daq_run_view *v)
{
    printf(_("\nenvironment (%zu)\n"), v->n_env);
    if (v->n_env == 0)
        return;
    static const char *const env_head[] = {N_("where"), N_("time"), "temp/degC", "RH/%", "p/hPa"};
    static const int env_w[] = {-8, -25, 9, 8, 9};
    heading(env_head, env_w, sizeof env_w / sizeof env_w[0]);
    for (size_t i = 0; i < v->n_env; i++) {
        const struct daq_env *e = &v->env[i];
        char t[40];
        fmt_time(t, sizeof t, e->t);
        printf("  %-8s %-25s", e->where, t);
        const double x[3] = {e->temp_c, e->rh_pct, e->p_hpa};
        const int w[3] = {9, 8, 9};
        for (int k = 0; k < 3; k++) {
            if (isnan(x[k]))
                printf(" %*s", w[k], "-");
            else
                printf(" %*.2f", w[k], x[k]);
        }
        printf("\n");
    }
}

/* Readings ordered by test point, then as taken. */
struct point_key {
    int side;                   /* the checklist, the item, the reference (issue 16) */
    int32_t point;
    size_t index;
};

static int side_rank(const struct daq_reading *r)
{
    return daq_reading_is(r, DAQ_SIDE_CHECK) ? 0 : daq_reading_is(r, DAQ_SIDE_REFERENCE) ? 2 : 1;
}

static int by_point(const void *a, const void *b)
{
    const struct point_key *x = a, *y = b;
    if (x->side != y->side)
        return x->side < y->side ? -1 : 1;
    if (x->point != y->point)
        return x->point < y->point ? -1 : 1;
    return (x->index > y->index) - (x->index < y->index);
}

/* One line per test point: count, and mean, standard deviation and range of
 * the stable readings. */
static void show_point(const struct daq_reading *rs, const struct point_key *idx, size_t count,
                       bool sides)
{
    const struct daq_reading *first = &rs[idx[0].index];
    size_t stable = 0, others[5] = {0};
    double sum = 0, lo = INFINITY, hi = -INFINITY, res = 0;
    for (size_t k = 0; k < count; k++) {
        const struct daq_reading *r = &rs[idx[k].index];
        if (r->r.status == DRV_STATUS_STABLE && isfinite(r->r.value)) {
            stable++;
            sum += r->r.value;
            lo = fmin(lo, r->r.value);
            hi = fmax(hi, r->r.value);
            if (r->r.resolution > res)
                res = r->r.resolution;
        } else if ((unsigned)r->r.status < 5) {
            others[r->r.status]++;
        }
    }
    double mean = stable > 0 ? sum / (double)stable : NAN;
    double ss = 0;
    for (size_t k = 0; k < count && stable > 1; k++) {
        const struct daq_reading *r = &rs[idx[k].index];
        if (r->r.status == DRV_STATUS_STABLE && isfinite(r->r.value))
            ss += (r->r.value - mean) * (r->r.value - mean);
    }
    double s = stable > 1 ? sqrt(ss / (double)(stable - 1)) : NAN;
    int dec = decimals_of(res);
    if (sides)
        printf("  %-9s", first->side[0] ? first->side : DAQ_SIDE_ITEM);
    printf("  %5d %-14s %12.8g %5zu %6zu", (int)first->point, first->role, first->nominal, count,
           stable);
    print_value(mean, dec < 0 ? -1 : dec + 1);
    print_value(s, dec < 0 ? -1 : dec + 1);
    print_value(stable > 0 ? hi - lo : NAN, dec);
    printf("  %-5s", first->r.unit);
    const char *sep = " ";
    for (int st = DRV_STATUS_UNSTABLE; st <= DRV_STATUS_ERROR; st++) {
        if (others[st] > 0) {
            printf("%s%zu %s", sep, others[st], drv_status_name((enum drv_status)st));
            sep = ", ";
        }
    }
    printf("\n");
}

static void show_readings(const struct daq_run_view *v)
{
    size_t n = v->n_readings;
    printf(_("\nreadings (%zu)\n"), n);
    if (n == 0)
        return;
    struct point_key *idx = malloc(n * sizeof *idx);
    if (idx == NULL)
        return;
    /* a run with sides (a reference read, readings typed, a checklist)
     * shows them in a column of their own */
    bool sides = false;
    for (size_t i = 0; i < n; i++) {
        idx[i] = (struct point_key){side_rank(&v->readings[i]), v->readings[i].point, i};
        sides |= v->readings[i].side[0] != '\0';
    }
    qsort(idx, n, sizeof *idx, by_point);
    if (sides)
        printf("  %-9s", "side");
    static const char *const rd_head[] = {N_("point"), N_("role"), N_("nominal"), "n",
                                          N_("stable"), N_("mean"), "s",          "max-min ",
                                          N_("unit"),   N_("others")};
    static const int rd_w[] = {5, -14, 12, 5, 6, 14, 14, 15, -5, 0};
    heading(rd_head, rd_w, sizeof rd_w / sizeof rd_w[0]);
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && idx[j].point == idx[i].point && idx[j].side == idx[i].side)
            j++;
        show_point(v->readings, idx + i, j - i, sides);
        i = j;
    }
    free(idx);
}

static void show_trace(const struct daq_run_view *v)
{
    const struct drv_trace *t = v->trace;
    size_t host = 0, instr = 0, events = 0;
    for (size_t i = 0; t != NULL && i < t->n; i++) {
        if (t->records[i].dir == DRV_DIR_HOST)
            host++;
        else if (t->records[i].dir == DRV_DIR_INSTR)
            instr++;
        else
            events++;
    }
    printf(_("\ntrace      %zu bytes in %zu records (%zu sent, %zu received, %zu events)"),
           daq_run_view_trace_bytes(v), t != NULL ? t->n : 0, host, instr, events);
    if (t != NULL && t->n > 0)
        printf(", %.3f s", t->records[t->n - 1].t);
    printf("\n");
    if (t != NULL && (t->header.transport[0] || t->header.port[0]))
        printf(_("           %s %s%s%s, driver %s\n"), t->header.transport, t->header.port,
               t->header.settings[0] ? " " : "", t->header.settings,
               t->header.driver[0] ? t->header.driver : "-");
}

static void show_results_audit(const struct daq_run_view *v)
{
    printf(_("\nresults (%zu version%s)\n"), v->n_results, v->n_results == 1 ? "" : "s");
    for (size_t i = 0; i < v->n_results; i++)
        printf(_("  v%-3zu %-25s %-20s %zu bytes of JSON\n"), i + 1,
               daq_run_view_result_created(v, i), daq_run_view_result_engine(v, i),
               strlen(v->results[i]));
    printf(_("\naudit log (%zu entr%s)\n"), v->n_audit, v->n_audit == 1 ? "y" : "ies");
    for (size_t i = 0; i < v->n_audit; i++) {
        const struct daq_audit_entry *a = &v->audit[i];
        char t[40];
        fmt_time(t, sizeof t, a->t);
        printf("  %3lld  %-25s  %s: %s\n", (long long)a->seq, t, a->who, a->what);
    }
}

/* show --json: the summary as one document (the whole run is export --json). */
static int show_json(const char *path, const struct daq_run_view *v)
{
    const struct daq_run_info *i = &v->info;
    const struct daq_device *d = &v->device;
    json_t *results = json_array();
    for (size_t k = 0; k < v->n_results; k++) {
        json_t *doc = json_loads(v->results[k], 0, NULL);
        json_t *verdict = json_object_get(doc, "verdict");
        json_array_append_new(
            results, json_pack("{s:I, s:s, s:s, s:o}", "version", (json_int_t)(k + 1), "created",
                               daq_run_view_result_created(v, k), "engine",
                               daq_run_view_result_engine(v, k),
                               "verdict", verdict != NULL ? json_incref(verdict) : json_null()));
        json_decref(doc);
    }
    size_t n_pending = 0;
    daq_run_view_pending(v, &n_pending, NULL);
    struct daq_run_finding *f = NULL;
    size_t nf = 0;
    struct cd_err err = {0};
    int rc = daq_run_check_guarded(path, cli_read_timeout(), &f, &nf, &err);
    json_t *findings = json_array();
    for (size_t k = 0; k < nf; k++)
        json_array_append_new(findings, json_string(f[k].text));
    free(f);
    json_t *root = json_object();
    json_object_set_new(root, "file", json_string(path));
    json_object_set_new(
        root, "run",
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "run_id", i->run_id, "status",
                  i->status, "started", i->started, "ended", i->ended, "operator",
                  i->operator_name, "lab", i->lab, "profile", i->profile_name, "profile_sha256",
                  i->profile_sha256, "caldaq_version", i->caldaq_version));
    json_object_set_new(root, "device",
                        json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "manufacturer",
                                  d->id.manufacturer, "model", d->id.model, "serial",
                                  d->id.serial, "firmware", d->id.firmware, "driver", d->driver,
                                  "port", d->port, "settings", d->settings));
    json_object_set_new(root, "counts",
                        json_pack("{s:I, s:I, s:I, s:I, s:I}", "standards",
                                  (json_int_t)v->n_standards, "environment",
                                  (json_int_t)v->n_env, "readings", (json_int_t)v->n_readings,
                                  "pending", (json_int_t)n_pending, "audit",
                                  (json_int_t)v->n_audit));
    json_object_set_new(root, "results", results);
    json_object_set_new(
        root, "integrity",
        json_pack("{s:o, s:s, s:o, s:o}", "intact",
                  rc == 0 ? json_true() : rc == CD_ERR_INVALID ? json_false() : json_null(),
                  "content_sha256", v->content_sha256, "findings", findings, "error",
                  rc == 0 || rc == CD_ERR_INVALID ? json_null() : json_string(cd_err_text(&err))));
    return cli_json_print(root);
}

int cmd_show(int argc, char **argv)
{
    struct run_args a;
    int rc = parse_run_args("show", _(show_usage), OPT_JSON, argc, argv, &a);
    if (rc != 0)
        return rc < 0 ? 0 : rc;
    struct cd_err err = {0};
    struct daq_run_view *v = NULL;
    if (daq_run_open_guarded(a.path, cli_read_timeout(), &v, &err) != 0)
        return cli_error("show", "%s", cd_err_text(&err));
    if (a.json) {
        rc = show_json(a.path, v);
        daq_run_view_free(v);
        return rc;
    }
    const struct daq_run_info *i = &v->info;
    printf(_("run        %s\n"), i->run_id);
    printf(_("status     %s\n"), i->status);
    printf(_("started    %s\n"), i->started);
    printf(_("ended      %s\n"), i->ended[0] ? i->ended : "-");
    printf(_("operator   %s\n"), i->operator_name[0] ? i->operator_name : "-");
    if (i->lab[0])
        printf(_("lab        %s\n"), i->lab);
    printf(_("profile    %s  sha256 %s\n"), i->profile_name[0] ? i->profile_name : "-",
           i->profile_sha256);
    printf(_("written by caldaq %s, format %s\n"), i->caldaq_version, DAQ_RUN_SCHEMA);
    const struct daq_device *d = &v->device;
    printf(_("\ndevice     %s %s"), d->id.manufacturer[0] ? d->id.manufacturer : "-",
           d->id.model[0] ? d->id.model : "-");
    if (d->id.serial[0])
        printf(_(", serial %s"), d->id.serial);
    if (d->id.firmware[0])
        printf(_(", firmware %s"), d->id.firmware);
    printf(_("\n           driver %s on %s%s%s\n"), d->driver[0] ? d->driver : "-",
           d->port[0] ? d->port : "-", d->settings[0] ? ", " : "", d->settings);
    show_standards(v);
    show_env(v);
    show_readings(v);
    size_t n_pending = 0;
    const char *note = "";
    daq_run_view_pending(v, &n_pending, &note);
    if (note[0] != '\0')
        printf(_("  journal: %s\n"), note);
    show_trace(v);
    show_results_audit(v);

    struct daq_run_finding *f = NULL;
    size_t nf = 0;
    cd_err_clear(&err);
    rc = daq_run_check_guarded(a.path, cli_read_timeout(), &f, &nf, &err);
    if (rc == 0)
        printf(_("\nintegrity  intact (content sha256 %s)\n"), v->content_sha256);
    else if (rc == CD_ERR_INVALID) {
        printf(_("\nintegrity  NOT INTACT (caldaq verify %s)\n"), a.path);
        for (size_t k = 0; k < nf; k++)
            printf("           %s\n", f[k].text);
    } else {
        printf(_("\nintegrity  not checked: %s\n"), cd_err_text(&err));
    }
    free(f);
    daq_run_view_free(v);
    return 0;
}

/* ------------------------------------------------------------ export */

static const char export_usage[] = N_(
    "usage: caldaq export RUN.h5 --csv|--json|--excel [--results] [--lab LAB.yaml]\n"
    "\n"
    "Write a run's readings on stdout, every reading (unstable, zero and error\n"
    "readings included) in the order they were taken.\n"
    "\n"
    "  --csv    one row per reading: t,point,repetition,role,nominal,value,unit,status,\n"
    "           display,resolution,error (t in seconds since 1970-01-01T00:00:00Z; numbers\n"
    "           in their shortest exact form; an empty value where the instrument gave none)\n"
    "  --json   {\"schema\", \"run\", \"profile\", \"device\", \"standards\",\n"
    "           \"environment\", \"readings\", \"pending\", \"trace\", \"results\", \"audit\"}:\n"
    "           the whole run but the trace bytes (caldaq trace); numbers that are not\n"
    "           finite are null; each result version is embedded as JSON; \"pending\" holds\n"
    "           readings of an unfinished point found in RUN.h5.journal\n"
    "  --excel  the --csv rows for a spreadsheet: UTF-8 with a byte order mark, ';'\n"
    "           between fields, a decimal comma, the time as local date and time in the\n"
    "           lab's zone (--lab LAB.yaml, default Asia/Ho_Chi_Minh)\n"
    "  --results  the results table of the latest results version instead of the\n"
    "           readings (point, group, nominal, unit, indication, reference, error, U,\n"
    "           k, mpe, verdict), with --csv or --excel\n"
    "\n"
    "Format of the file: docs/run-format.md.\n");

int cmd_export(int argc, char **argv)
{
    struct run_args a;
    int rc = parse_run_args("export", _(export_usage), OPT_CSV | OPT_JSON | OPT_SHEET, argc, argv,
                            &a);
    if (rc != 0)
        return rc < 0 ? 0 : rc;
    if ((int)a.csv + (int)a.json + (int)a.excel != 1)
        return cli_usage_error("export", _("give one of --csv, --json and --excel"));
    if (a.results && a.json)
        return cli_usage_error("export", _("--results goes with --csv or --excel (--json holds "
                                         "every results version already)"));
    if (a.lab != NULL && !a.excel)
        return cli_usage_error("export", _("--lab goes with --excel (its time zone)"));
    struct cd_err err = {0};
    struct cd_zone *zone = NULL;
    struct cert_lab lab;
    if (a.excel && ((a.lab != NULL && cert_lab_load(a.lab, &lab, &err) != 0) ||
                    cd_zone_load(a.lab != NULL ? lab.time_zone : NULL, &zone, &err) != 0))
        return cli_error("export", "%s", cd_err_text(&err));
    struct daq_run_view *v = NULL;
    if (daq_run_open_guarded(a.path, cli_read_timeout(), &v, &err) != 0) {
        cd_zone_free(zone);
        return cli_error("export", "%s", cd_err_text(&err));
    }
    struct daq_sheet_style st = a.excel
                                    ? (struct daq_sheet_style){';', true, true, zone}
                                    : (struct daq_sheet_style){',', false, false, NULL};
    if (a.results) {
        if (daq_run_view_write_results_sheet(v, &st, stdout, &err) != 0)
            rc = cli_error("export", "%s: %s", a.path, cd_err_text(&err));
    } else if (a.excel) {
        daq_run_view_write_sheet(v, &st, stdout);
    } else if (a.csv) {
        daq_run_view_write_csv(v, stdout);
    } else {
        rc = cli_json_print(daq_run_view_json(v));
    }
    daq_run_view_free(v);
    cd_zone_free(zone);
    if (fflush(stdout) != 0 || ferror(stdout))
        return cli_error("export", _("writing to stdout failed"));
    return rc;
}

/* ------------------------------------------------------------ trace */

static const char trace_usage[] = N_(
    "usage: caldaq trace RUN.h5 [--out FILE]\n"
    "\n"
    "Write the conversation recorded in a run as a replayable trace (# caldaq-trace 1,\n"
    "docs/trace-format.md) on stdout or to FILE: every record as it was recorded, the\n"
    "header from the run. Play it with caldaq sim --trace FILE.\n");

int cmd_trace(int argc, char **argv)
{
    struct run_args a;
    int rc = parse_run_args("trace", _(trace_usage), OPT_OUT, argc, argv, &a);
    if (rc != 0)
        return rc < 0 ? 0 : rc;
    struct cd_err err = {0};
    struct daq_run_view *v = NULL;
    if (daq_run_open_guarded(a.path, cli_read_timeout(), &v, &err) != 0)
        return cli_error("trace", "%s", cd_err_text(&err));
    const struct drv_trace *t = v->trace;
    struct drv_trace_header h = t->header;
    if (h.started[0] == '\0')
        snprintf(h.started, sizeof h.started, "%s", v->info.started);
    struct drv_trace_writer *w = a.out != NULL ? drv_trace_writer_create(a.out, &h, &err)
                                               : drv_trace_writer_new(stdout, &h, &err);
    if (w == NULL) {
        daq_run_view_free(v);
        return cli_error("trace", "%s", cd_err_text(&err));
    }
    for (size_t i = 0; rc == 0 && i < t->n; i++) {
        const struct drv_trace_record *r = &t->records[i];
        if (r->dir == DRV_DIR_EVENT)
            rc = drv_trace_writer_event(w, r->t, (const char *)r->data, &err);
        else
            rc = drv_trace_writer_bytes(w, r->dir, r->t, r->data, r->len, &err);
    }
    if (drv_trace_writer_close(w, &err) != 0 && rc == 0)
        rc = CD_ERR_IO;
    daq_run_view_free(v);
    if (rc != 0)
        return cli_error("trace", "%s: %s", a.out != NULL ? a.out : "stdout", cd_err_text(&err));
    return 0;
}

/* ------------------------------------------------------------ verify */

static const char verify_usage[] = N_(
    "usage: caldaq verify RUN.h5 [--json]\n"
    "       caldaq verify CERTIFICATE [--pub LAB_KEY.pub | --lab LAB.yaml] [--run RUN.h5]\n"
    "                     [--json]\n"
    "\n"
    "Check a run file for alteration: every section of its content against the digests\n"
    "recorded when it was written (content_manifest, content_sha256), and the audit\n"
    "log's hash chain. Prints \"intact\", or each thing that differs: a section whose\n"
    "content changed, an audit entry whose hash is broken, an audit entry removed.\n"
    "\n"
    "  --json   {\"file\", \"intact\", \"content_sha256\",\n"
    "            \"findings\": [{\"object\", \"text\"}]}\n"
    "\n"
    "A certificate (a folder from caldaq cert, or any of its files): every line of\n"
    "each FILE.sig, the Ed25519 signature of the manifest and of each file, each\n"
    "file's SHA-256 against the manifest; with --run, that the run file is the one\n"
    "certified. Says exactly which file differs. Who signed it:\n"
    "  --pub KEY.pub      the lab's public key: every file must be signed by it\n"
    "  --lab LAB.yaml     the same with the public half of LAB.yaml's signing_key\n"
    "                     (KEY.pub beside it)\n"
    "Without either, caldaq trusts no key: an intact certificate exits 3 and names\n"
    "the key that signed it.\n"
    "  --json             {\"path\", \"number\", \"intact\", \"failures\", \"signer\",\n"
    "                      \"trusted\", \"report\": [lines]}, the same exit status\n"
    "\n"
    "A damaged file is reported as such, never a crash: the file is read in a\n"
    "separate process, given CALDAQ_READ_TIMEOUT seconds (30 by default).\n"
    "\n"
    "Exit status: 0 intact (a certificate: and signed by the key of --pub or --lab),\n"
    "1 altered, damaged or unreadable (a certificate: or signed by another key than\n"
    "that one), 2 usage error,\n"
    "3 a certificate intact but signed by a key caldaq was not told to trust (no --pub\n"
    "or --lab given).\n"
    "A run file's hashes detect changes; they do not prove who wrote the file\n"
    "(docs/run-format.md).\n");

/* Whether `path` is an HDF5 file (its signature at offset 0). */
static bool is_hdf5(const char *path)
{
    static const unsigned char magic[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
    unsigned char head[8] = {0};
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return true; /* let the run reader say what is wrong */
    size_t got = fread(head, 1, sizeof head, f);
    fclose(f);
    return got == sizeof head && memcmp(head, magic, sizeof magic) == 0;
}

/* A certificate rather than a run: a first argument that is not an HDF5
 * file, or an option only certificates take. */
static bool verify_wants_cert(int argc, char **argv)
{
    if (argc >= 2 && argv[1][0] != '-')
        return !is_hdf5(argv[1]);
    for (int i = 1; i < argc; i++)
        for (const char *o = "--pub\0--lab\0--run\0"; *o; o += strlen(o) + 1)
            if (strncmp(argv[i], o, strlen(o)) == 0 &&
                (argv[i][strlen(o)] == '\0' || argv[i][strlen(o)] == '='))
                return true;
    return false;
}

int cmd_verify(int argc, char **argv)
{
    if (verify_wants_cert(argc, argv))
        return cmd_verify_cert(argc, argv);
    struct run_args a;
    int rc = parse_run_args("verify", _(verify_usage), OPT_JSON, argc, argv, &a);
    if (rc != 0)
        return rc < 0 ? 0 : rc;
    struct cd_err err = {0};
    struct daq_run_finding *f = NULL;
    size_t n = 0;
    rc = daq_run_check_guarded(a.path, cli_read_timeout(), &f, &n, &err);
    if (rc != 0 && rc != CD_ERR_INVALID)
        return cli_error("verify", "%s", cd_err_text(&err));
    /* The stored hash and the audit count, for the record (not from a
     * file the check could not read: it would only fail again). */
    struct daq_run_view *v = NULL;
    struct cd_err verr = {0};
    bool unreadable = n > 0 && strcmp(f[0].object, "file") == 0;
    if (unreadable || daq_run_open_guarded(a.path, cli_read_timeout(), &v, &verr) != 0)
        v = NULL;
    if (a.json) {
        json_t *arr = json_array();
        for (size_t i = 0; i < n; i++)
            json_array_append_new(arr, json_pack("{s:s, s:s}", "object", f[i].object, "text",
                                                 f[i].text));
        json_t *root = json_pack("{s:s, s:b, s:o, s:o}", "file", a.path, "intact", n == 0,
                                 "content_sha256",
                                 v != NULL ? json_string(v->content_sha256) : json_null(),
                                 "findings", arr);
        if (cli_json_print(root) != 0)
            rc = CD_ERR_IO;
    } else if (n == 0) {
        printf(_("%s: intact"), a.path);
        if (v != NULL)
            printf(_(" (content sha256 %s, %zu audit entr%s, status %s)"), v->content_sha256,
                   v->n_audit, v->n_audit == 1 ? "y" : "ies", v->info.status);
        printf("\n");
    } else {
        printf(_("%s: NOT intact\n"), a.path);
        for (size_t i = 0; i < n; i++)
            printf("  %s\n", f[i].text);
    }
    daq_run_view_free(v);
    free(f);
    return n == 0 && rc == 0 ? 0 : 1;
}
