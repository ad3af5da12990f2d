/* caldaq demo: what caldaq does today with no hardware. An uncertainty
 * budget (GUM H.1, built in), then a simulated Mettler Toledo balance
 * started from this same program, read at three loads into a run file that
 * is shown and verified. Guided calibrations with verdicts come with
 * sessions. */
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

#include "cli.h"

static const char usage_text[] =
    "usage: caldaq demo [--out DIR]\n"
    "\n"
    "A tour with no hardware: the GUM H.1 uncertainty budget, the JCGM 101 9.3\n"
    "Monte Carlo example, then a simulated balance read at 0, 100 and 200 g into a\n"
    "run file in DIR (default ./caldaq-demo), shown and verified.\n";

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
    static const struct option opts[] = {
        {"out", required_argument, NULL, 'o'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    const char *out = "caldaq-demo";
    optind = 0;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case 'o': out = optarg; break;
        case 'h': fputs(usage_text, stdout); return 0;
        case ':':
        default: return cli_option_error("demo", c, argv);
        }
    }
    if (optind != argc)
        return cli_usage_error("demo", "unexpected argument '%s'", argv[optind]);
    if (mkdir(out, 0775) < 0 && errno != EEXIST)
        return cli_error("demo", "%s: %s", out, strerror(errno));

    char tmp[] = "/tmp/caldaq-demo.XXXXXX";
    if (mkdtemp(tmp) == NULL)
        return cli_error("demo", "cannot make a temporary folder: %s", strerror(errno));
    char model[64], mass[64], port[64], control[64], listing[64];
    snprintf(model, sizeof model, "%s/gauge-block.yaml", tmp);
    snprintf(mass, sizeof mass, "%s/mass-calibration.yaml", tmp);
    snprintf(port, sizeof port, "%s/balance", tmp);
    snprintf(control, sizeof control, "%s/control", tmp);
    snprintf(listing, sizeof listing, "%s/run", tmp);
    if (write_text(model, gauge_block) != 0 || write_text(mass, mass_calibration) != 0)
        return cli_error("demo", "%s: cannot write the example models", tmp);

    printf("== 1. Uncertainty budget: end gauge calibration (JCGM 100 H.1)\n\n");
    char *gum[] = {"caldaq", "gum", model, NULL};
    int status = run_self(gum) == 0 ? 0 : 1;
    printf("\n== 2. Monte Carlo: mass calibration (JCGM 101 9.3)\n\n");
    char *mcm[] = {"caldaq", "gum", mass, "--mcm", "auto", NULL};
    if (status == 0 && run_self(mcm) != 0)
        status = 1;

    printf("\n== 3. A simulated balance read at 0, 100 and 200 g into a run file\n\n");
    pid_t sim = -1;
    if (status == 0) {
        sim = fork();
        if (sim == 0) {
            int null = open("/dev/null", O_RDWR);
            if (null >= 0) {
                dup2(null, 0);
                dup2(null, 1);
                dup2(null, 2);
            }
            char *args[] = {"caldaq", "sim", "mtsics", "--port-link", port, "--control",
                            control, "--settle", "0.3", "--noise", "0.00005", "--resolution",
                            "0.0001", "--seed", "7", NULL};
            execv("/proc/self/exe", args);
            _exit(127);
        }
        if (sim < 0 || wait_for(port) != 0 || wait_for(control) != 0)
            status = cli_error("demo", "the simulated balance did not start");
    }
    char run[4096] = "";
    if (status == 0) {
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0) {
            FILE *l = freopen(listing, "w", stdout);
            (void)l;
            char *args[] = {"caldaq", "acquire", "--driver", "mtsics", "--port", port,
                            "--points", "0,100,200", "--repeat", "3", "--stable",
                            "--sim-control", control, "--env", "20.5,45,1013", "--operator",
                            "demo", "--out", (char *)out, NULL};
            execv("/proc/self/exe", args);
            _exit(127);
        }
        int st = 0;
        while (pid > 0 && waitpid(pid, &st, 0) < 0 && errno == EINTR)
            ;
        FILE *l = fopen(listing, "r");
        char line[4096];
        while (l != NULL && fgets(line, sizeof line, l) != NULL) {
            char *tag = strstr(line, ".h5 (complete)");
            if (tag != NULL) {
                tag[3] = '\0';
                snprintf(run, sizeof run, "%s", line);
            }
        }
        if (l != NULL)
            fclose(l);
        if (pid < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0 || run[0] == '\0')
            status = cli_error("demo", "the acquisition did not complete");
    }
    if (sim > 0) {
        kill(sim, SIGTERM);
        waitpid(sim, NULL, 0);
    }
    if (status == 0) {
        char *show[] = {"caldaq", "show", run, NULL};
        char *verify[] = {"caldaq", "verify", run, NULL};
        if (run_self(show) != 0 || run_self(verify) != 0)
            status = 1;
        else
            printf("\nrun file: %s (caldaq export, caldaq trace, h5dump or h5py read it)\n", run);
    }
    unlink(model);
    unlink(mass);
    unlink(listing);
    rmdir(tmp);
    return status;
}
