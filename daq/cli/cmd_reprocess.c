/* caldaq reprocess: re-analyse archived runs in batch (docs/scaling.md).
 * The engine is daq/reprocess/; this file parses the options, shows the
 * progress and prints the summary. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cert.h"
#include "cli.h"
#include "reprocess.h"
#include "cd_i18n.h"

static const char usage_text[] = N_(
    "usage: caldaq reprocess PATH... --out DIR [-j N] [--shard I/N] [--profile P]\n"
    "                        [--standards REG] [--standard ID --revised FILE]\n"
    "                        [--write-back [--records DB]] [--cert --lab LAB.yaml] [--json]\n"
    "       caldaq reprocess --merge DIR... --out DIR [--json]\n"
    "\n"
    "Re-analyse every run file (*.h5) found under the PATHs and summarise, per run:\n"
    "run id, item, date, profile, the verdict stored in the run and the new one, and\n"
    "the largest change in any error and in any U. The runs are never modified\n"
    "unless --write-back is given (then a new results version and an audit entry).\n"
    "New results go to DIR/results.jsonl (a line per run), the summary to\n"
    "DIR/summary.csv and DIR/summary.json. A run that fails to load is reported, and the batch goes on.\n"
    "A damaged run file is read in a separate process given CALDAQ_READ_TIMEOUT\n"
    "seconds (30 by default): if the HDF5 library crashes or hangs on it, the run is\n"
    "listed as failed and the batch finishes.\n"
    "An interrupted batch started again with the same DIR does not redo finished runs.\n"
    "\n"
    "  -j N              worker processes (default 1)\n"
    "  --shard I/N       only the I-th of N shares of the sorted run list (for a\n"
    "                    cluster: one shard per job, then --merge)\n"
    "  --profile P       analyse with this profile instead of each run's own\n"
    "  --standards REG   reference values from this register instead of each run's\n"
    "  --standard ID --revised FILE\n"
    "                    impact analysis: only the runs that used standard ID,\n"
    "                    re-analysed with its values from the revised register FILE\n"
    "  --write-back      store the new results in each run (new version + audit)\n"
    "  --records DB      with --write-back: record each run anew in the lab's records\n"
    "                    (default: records: of --lab LAB.yaml)\n"
    "  --cert            issue certificates under DIR/certs/RUNID (needs --lab)\n"
    "  --merge DIR...    combine the summaries of several shards into --out\n"
    "  --json            print the summary as JSON instead of a short report\n"
    "\n"
    "A progress bar with the rate and the time left is shown on a terminal.\n"
    "Exit status: 0 when every run was re-analysed, 1 when some failed (listed),\n"
    "2 usage error.\n");

struct rp_args {
    struct rp_options o;
    bool json, merge;
};

static int parse_args(int argc, char **argv, struct rp_args *a)
{
    static const struct option opts[] = {
        {"out", required_argument, NULL, 'o'},       {"jobs", required_argument, NULL, 'j'},
        {"shard", required_argument, NULL, 's'},     {"profile", required_argument, NULL, 'p'},
        {"standards", required_argument, NULL, 'S'}, {"standard", required_argument, NULL, 'i'},
        {"revised", required_argument, NULL, 'r'},   {"write-back", no_argument, NULL, 'w'},
        {"cert", no_argument, NULL, 'c'},            {"lab", required_argument, NULL, 'L'},
        {"records", required_argument, NULL, 'R'},
        {"json", no_argument, NULL, 'J'},            {"merge", no_argument, NULL, 'm'},
        {"help", no_argument, NULL, 'h'},            {NULL, 0, NULL, 0},
    };
    memset(a, 0, sizeof *a);
    a->o.jobs = 1;
    a->o.shard_i = a->o.shard_n = 1;
    optind = 0;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":hj:", opts, NULL)) != -1) {
        switch (c) {
        case 'o': a->o.out = optarg; break;
        case 'p': a->o.profile = optarg; break;
        case 'S': a->o.standards = optarg; break;
        case 'i': a->o.standard_id = optarg; break;
        case 'r': a->o.revised = optarg; break;
        case 'w': a->o.write_back = true; break;
        case 'c': a->o.cert = true; break;
        case 'L': a->o.lab = optarg; break;
        case 'R': a->o.records = optarg; break;
        case 'J': a->json = true; break;
        case 'm': a->merge = true; break;
        case 'j':
            if (cli_parse_size(optarg, &a->o.jobs) != 0 || a->o.jobs == 0 || a->o.jobs > 256)
                return cli_usage_error("reprocess", _("-j takes 1 to 256, not '%s'"), optarg);
            break;
        case 's': {
            char slash;
            if (sscanf(optarg, "%llu/%llu%c", &a->o.shard_i, &a->o.shard_n, &slash) != 2 ||
                a->o.shard_n == 0 || a->o.shard_i == 0 || a->o.shard_i > a->o.shard_n)
                return cli_usage_error("reprocess", _("--shard takes I/N with 1 <= I <= N, not '%s'"),
                                       optarg);
            break;
        }
        case 'h': fputs(_(usage_text), stdout); return -1;
        default: return cli_option_error("reprocess", c, argv);
        }
    }
    a->o.paths = (const char *const *)argv + optind;
    a->o.n_paths = argc - optind;
    if (a->o.out == NULL || a->o.n_paths == 0)
        return cli_usage_error("reprocess", _("give PATH... and --out DIR"));
    if ((a->o.standard_id == NULL) != (a->o.revised == NULL))
        return cli_usage_error("reprocess", _("--standard ID and --revised FILE go together"));
    if (a->o.revised != NULL && a->o.standards != NULL)
        return cli_usage_error("reprocess", _("--standards and --revised exclude each other"));
    if (a->o.cert && a->o.lab == NULL)
        return cli_usage_error("reprocess", _("--cert needs --lab LAB.yaml"));
    if (a->o.records != NULL && !a->o.write_back)
        return cli_usage_error("reprocess", _("--records goes with --write-back"));
    return 0;
}

struct rp_view {
    bool json;
    const char *out;
    double t0;                  /* when the workers started */
    bool drew;                  /* a progress bar is on the screen */
};

static double monotonic_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void on_start(void *ctx, size_t todo, size_t skipped)
{
    struct rp_view *w = ctx;
    (void)todo;
    if (skipped > 0 && !w->json)
        fprintf(stderr, _("caldaq reprocess: %zu runs already done in %s (resumed)\n"), skipped,
                w->out);
    w->t0 = monotonic_s();
}

static void progress(void *ctx, size_t done, size_t total)
{
    struct rp_view *w = ctx;
    w->drew = true;
    double dt = monotonic_s() - w->t0;
    double rate = dt > 0 ? (double)done / dt : 0;
    int width = 30, fill = total ? (int)((double)width * (double)done / (double)total) : width;
    fprintf(stderr, _("\r[%.*s%*s] %zu/%zu  %.0f runs/s  %.0f s left "), fill,
            "##############################", width - fill, "", done, total, rate,
            rate > 0 ? (double)(total - done) / rate : 0.0);
    fflush(stderr);
}


int cmd_reprocess(int argc, char **argv)
{
    struct rp_args a;
    int rc = parse_args(argc, argv, &a);
    if (rc != 0)
        return rc < 0 ? 0 : rc;
    struct cd_err err = {0};
    struct rp_totals t;
    FILE *report = a.json ? NULL : stdout;
    if (a.merge) {
        rc = rp_summary_write(a.o.out, a.o.paths, a.o.n_paths, report, &t, &err);
    } else {
        if (a.o.cert)
            cli_key_warning("reprocess", a.o.lab);
        struct cert_lab lab;
        if (a.o.write_back && a.o.records == NULL && a.o.lab != NULL) {
            if (cert_lab_load(a.o.lab, &lab, &err) != 0)
                return cli_error("reprocess", _("--lab: %s"), cd_err_text(&err));
            a.o.records = lab.records[0] != '\0' ? lab.records : NULL;
        }
        struct rp_view view = {.json = a.json, .out = a.o.out};
        a.o.on_start = on_start;
        a.o.on_progress = isatty(2) ? progress : NULL;
        a.o.ctx = &view;
        a.o.read_timeout_s = cli_read_timeout();
        rc = rp_run(&a.o, report, &t, &err);
        if (view.drew)
            fputc('\n', stderr);
    }
    if (rc != 0)
        return cli_error("reprocess", "%s", cd_err_text(&err));
    if (a.json) {
        char jpath[4200];
        snprintf(jpath, sizeof jpath, "%s/summary.json", a.o.out);
        FILE *f = fopen(jpath, "r");
        int ch;
        while (f != NULL && (ch = getc(f)) != EOF)
            putchar(ch);
        if (f != NULL)
            fclose(f);
    } else {
        printf(_("%zu runs: %zu re-analysed, %zu verdicts changed, %zu not affected, %zu failed\n"),
               t.runs, t.reanalysed, t.verdicts_changed, t.not_affected, t.failed);
        printf(_("summary: %s/summary.csv, %s/summary.json\n"), a.o.out, a.o.out);
    }
    if (t.workers_restarted > 0 && !a.json)
        fprintf(stderr, _("caldaq reprocess: %zu worker(s) died on a run (listed as failed) and "
                        "were replaced\n"), t.workers_restarted);
    if (t.bad_workers > 0)
        return cli_error("reprocess", _("%zu worker(s) stopped early; run the same command again "
                                      "to finish (finished runs are kept)"),
                         t.bad_workers);
    return t.failed != 0 ? 1 : 0;
}
