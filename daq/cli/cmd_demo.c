/* caldaq demo: what caldaq does with no hardware. Two uncertainty
 * examples (GUM H.1, JCGM 101 9.3), then a complete calibration of a
 * simulated Mettler Toledo balance, class II, by the shipped EURAMET cg-18
 * profile: the session engine of `caldaq session`, in batch mode (or the
 * technician's view with --interactive), ending with the verdict table
 * and the paths of the run file and its results. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cd_i18n.h"
#include "cli.h"
#include "session.h"
#include "cd_i18n.h"

static const char usage_text[] = N_(
    "usage: caldaq demo [--out DIR] [--interactive] [--lang vi|en]\n"
    "\n"
    "A tour with no hardware: the GUM H.1 uncertainty budget, the JCGM 101 9.3\n"
    "Monte Carlo example, then a complete calibration of a simulated class II\n"
    "balance (220 g) by the EURAMET cg-18 profile, into a run file in DIR (default\n"
    "./caldaq-demo), ending with the verdict table. The reference weights are the\n"
    "example register's (profiles/standards/example-lab.yaml: made up, its dates\n"
    "follow today, so it is always in date).\n"
    "\n"
    "  --interactive   the technician's view: a prompt before each point (Enter\n"
    "                  places the load on the simulated balance), live readings\n"
    "  --lang vi|en    language of the session (default: from LANG)\n"
    "\n"
    "Exit status as caldaq session (0: the calibration completed).\n");

/* GUM H.1, the end gauge (the same as examples/gauge-block.yaml). */
static const char gauge_block[] =
    "title: End gauge calibration, GUM H.1\n"
    "measurand: {name: l, unit: nm}\n"
    "model: \"ls + d - ls*(dalpha*(theta_bar + Delta) + alpha_s*dtheta)\"\n"
    "inputs:\n"
    "  - {name: ls, value: 50000623.6, u: 25, dof: 18, unit: nm}\n"
    "  - {name: d, value: 215, u: 9.7, dof: 25, unit: nm}\n"
    "  - {name: alpha_s, value: 11.5e-6, dist: rectangular, half_width: 2e-6}\n"
    "  - {name: dalpha, value: 0, dist: rectangular, half_width: 1e-6, dof: 50}\n"
    "  - {name: theta_bar, value: -0.1, u: 0.2}\n"
    "  - {name: Delta, value: 0, dist: arcsine, half_width: 0.5}\n"
    "  - {name: dtheta, value: 0, dist: rectangular, half_width: 0.05, dof: 2}\n"
    "coverage: 0.99\n";

/* JCGM 101 9.3, the mass calibration (examples/mass-calibration.yaml). */
static const char mass_calibration[] =
    "title: Mass calibration, JCGM 101 9.3\n"
    "measurand: {name: dm, unit: mg}\n"
    "model: \"(mRc + dmRc)*(1 + (rho_a - rho_a0)*(1/rho_W - 1/rho_R)) - m_nom\"\n"
    "constants: {rho_a0: 1.2, m_nom: 100000}\n"
    "inputs:\n"
    "  - {name: mRc, value: 100000, u: 0.050, unit: mg}\n"
    "  - {name: dmRc, value: 1.234, u: 0.020, unit: mg}\n"
    "  - {name: rho_a, value: 1.20, dist: rectangular, half_width: 0.10, unit: kg/m3}\n"
    "  - {name: rho_W, value: 8000, dist: rectangular, half_width: 1000, unit: kg/m3}\n"
    "  - {name: rho_R, value: 8000, dist: rectangular, half_width: 50, unit: kg/m3}\n"
    "coverage: 0.95\n";

static int write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (f == NULL)
        return -1;
    int bad = fputs(text, f) == EOF;
    return fclose(f) != 0 || bad ? -1 : 0;
}

/* Ctrl-C or SIGTERM: the session stops at the next reading, saying how to
 * resume, and the demo removes its temporary folder before it exits. */
static volatile sig_atomic_t demo_interrupted;

static void on_demo_signal(int sig)
{
    (void)sig;
    demo_interrupted = 1;
}

/* Run this program with `args` in a child and wait; its exit status. */
static int run_self(char *const args[])
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        execv("/proc/self/exe", args);
        _exit(127);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int wait_for(const char *path)
{
    for (int i = 0; i < 200; i++) {
        struct stat st;
        if (stat(path, &st) == 0)
            return 0;
        struct timespec ts = {0, 25000000};
        nanosleep(&ts, NULL);
    }
    return -1;
}

int cmd_demo(int argc, char **argv)
{
    static const struct option opts[] = {{"out", required_argument, NULL, 'o'},
                                         {"interactive", no_argument, NULL, 'i'},
                                         {"lang", required_argument, NULL, 'l'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *out = "caldaq-demo";
    bool interactive = false;
    enum lang lang = lang_from_environment();
    optind = 0;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case 'o': out = optarg; break;
        case 'i': interactive = true; break;
        case 'l':
            if (lang_parse(optarg, &lang) != 0)
                return cli_usage_error("demo", _("--lang takes vi or en, not '%s'"), optarg);
            break;
        case 'h': fputs(_(usage_text), stdout); return 0;
        case ':':
        default: return cli_option_error("demo", c, argv);
        }
    }
    if (optind != argc)
        return cli_usage_error("demo", _("unexpected argument '%s'"), argv[optind]);
    char profile[4096], example[4096];
    if (cli_find_data("profiles/balance-cg18-class-ii.yaml", profile, sizeof profile) != 0 ||
        cli_find_data("profiles/standards/example-lab.yaml", example, sizeof example) != 0)
        return cli_error("demo", _("cannot find the shipped profiles (set CALDAQ_DATA to the "
                                 "folder that holds profiles/)"));
    if (mkdir(out, 0775) < 0 && errno != EEXIST)
        return cli_error("demo", "%s: %s", out, strerror(errno));

    /* in $TMPDIR when it names a folder short enough for the simulator's
     * control socket (a Unix socket's path holds 107 bytes), else /tmp */
    const char *base = getenv("TMPDIR");
    if (base == NULL || base[0] == '\0' || strlen(base) > 60)
        base = "/tmp";
    char tmp[96];
    snprintf(tmp, sizeof tmp, "%s/caldaq-demo.XXXXXX", base);
    if (mkdtemp(tmp) == NULL)
        return cli_error("demo", _("cannot make a temporary folder in %s: %s"), base, strerror(errno));
    struct sigaction sa = {.sa_handler = on_demo_signal};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    char model[128], mass[128], port[128], control[128];
    snprintf(model, sizeof model, "%s/gauge-block.yaml", tmp);
    snprintf(mass, sizeof mass, "%s/mass-calibration.yaml", tmp);
    snprintf(port, sizeof port, "%s/balance", tmp);
    snprintf(control, sizeof control, "%s/control", tmp);
    int status = 0;
    if (write_text(model, gauge_block) != 0 || write_text(mass, mass_calibration) != 0)
        status = cli_error("demo", _("%s: cannot write the examples"), tmp);

    if (status == 0)
        printf(_("== 1. Uncertainty budget: end gauge calibration (JCGM 100 H.1)\n\n"));
    char *gum[] = {"caldaq", "gum", model, NULL};
    if (status == 0 && (run_self(gum) != 0 || demo_interrupted))
        status = 1;
    printf(_("\n== 2. Monte Carlo: mass calibration (JCGM 101 9.3)\n\n"));
    char *mcm[] = {"caldaq", "gum", mass, "--mcm", "auto", NULL};
    if (status == 0 && (run_self(mcm) != 0 || demo_interrupted))
        status = 1;

    printf(_("\n== 3. Calibration of a simulated balance, class II, 220 g (EURAMET cg-18)\n\n"));
    pid_t sim = -1;
    if (status == 0) {
        fflush(stdout);
        sim = fork();
        if (sim == 0) {
            /* its own process group: Ctrl-C at the terminal stops the
             * session, which then ends the simulator itself */
            setpgid(0, 0);
            int null = open("/dev/null", O_RDWR);
            if (null >= 0) {
                dup2(null, 0);
                dup2(null, 1);
                dup2(null, 2);
            }
            char *args[] = {"caldaq", "sim", "mtsics", "--port-link", port, "--control",
                            control, "--settle", "0.3", "--noise", "0.0004", "--resolution",
                            "0.001", "--capacity", "220.5", "--seed", "7", NULL};
            execv("/proc/self/exe", args);
            _exit(127);
        }
        if (sim < 0 || wait_for(port) != 0 || wait_for(control) != 0)
            status = cli_error("demo", _("the simulated balance did not start"));
    }
    if (status == 0) {
        struct ses_config cfg = {.profile_path = profile, .standards_path = example,
                                 .driver = "mtsics", .port = port, .out_dir = out,
                                 .operator_name = "demo", .dut_serial = "DEMO-0001",
                                 .env = {20.5, 45, 1013}, .have_env = true,
                                 .sim_control = control, .lang = lang};
        struct ses_term term = {.lang = lang, .in = stdin, .out = stdout};
        struct ses_ui ui;
        if (interactive)
            ses_ui_terminal(&term, &ui);
        else
            ses_ui_batch(&term, &ui);
        struct ses_outcome o;
        term.interrupted = &demo_interrupted;
        ses_run(&cfg, &ui, &demo_interrupted, &o);
        status = ses_report(&term, &cfg, &o, "demo");
        if (status == 0)
            printf(_("\nrun file: %s\nresults: stored in it as version %d (caldaq analyze %s; "
                   "caldaq show, export, trace, verify)\n"),
                   o.run_path, o.analysis.version, o.run_path);
        else if (o.run_path[0] != '\0')
            printf(_("\nThe demo's simulated balance stops with the demo. To finish this run, "
                     "start one and resume against it:\n"
                     "  caldaq sim mtsics --port-link /tmp/balance --control /tmp/balance.ctl "
                     "--capacity 220.5 --resolution 0.001 &\n"
                     "  caldaq session --resume %s --port /tmp/balance --batch --sim-control "
                     "/tmp/balance.ctl --standards %s\n"),
                   o.run_path, example);
        ses_outcome_free(&o);
    }
    if (sim > 0) {
        kill(sim, SIGTERM);
        waitpid(sim, NULL, 0);
    }
    unlink(model);
    unlink(mass);
    unlink(port);    /* the simulator's, should it not have removed them */
    unlink(control);
    if (rmdir(tmp) != 0)
        fprintf(stderr, "caldaq demo: %s: %s\n", tmp, strerror(errno));
    return demo_interrupted && status == 0 ? 3 : status;
}
