/* The `caldaq` command: one function per subcommand, each taking the
 * arguments after the subcommand name (argv[0] is the subcommand). They
 * return the process exit status: 0 success, 1 failure, 2 usage error. */
#ifndef CALDAQ_CLI_H
#define CALDAQ_CLI_H

#include <stdio.h>

#include <jansson.h>

#include "drv.h"
#include "session.h"

int cmd_gum(int argc, char **argv);
int cmd_fit(int argc, char **argv);
int cmd_raw(int argc, char **argv);
int cmd_ports(int argc, char **argv);
int cmd_sim(int argc, char **argv);
int cmd_read(int argc, char **argv);
int cmd_decode(int argc, char **argv);
int cmd_acquire(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_trace(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_standards(int argc, char **argv);
int cmd_demo(int argc, char **argv);
int cmd_profile(int argc, char **argv);
int cmd_analyze(int argc, char **argv);
int cmd_session(int argc, char **argv);
int cmd_replay(int argc, char **argv);
int cmd_cert(int argc, char **argv);
int cmd_reprocess(int argc, char **argv);
int cmd_records(int argc, char **argv);
int cmd_serve(int argc, char **argv);
/* `caldaq verify` of a certificate (cmd_cert.c). */
/* `caldaq verify CERTIFICATE [--pub KEY.pub | --lab LAB.yaml] [--run RUN.h5]`
 * (argv as cmd_verify got it): 0 intact and signed by the trusted key, 1
 * altered, 2 usage, 3 intact but signed by a key caldaq was not told to
 * trust. */
int cmd_verify_cert(int argc, char **argv);

/* Print `msg` to stderr as "caldaq SUB: msg" and return 1. */
int cli_error(const char *sub, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Print a usage error and the hint to run --help; return 2. */
int cli_usage_error(const char *sub, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* getopt_long's ':' (a missing value) or '?' (an unknown option) for the
 * option just read, as a usage error; returns 2. */
int cli_option_error(const char *sub, int c, char **argv);

/* A JSON number, or null when not finite (JSON has no Inf/NaN). */
json_t *cli_json_number(double v);
/* An n x n row-major matrix as a JSON array of rows. */
json_t *cli_json_matrix(const double *m, size_t n);
/* Dump `root` to stdout with a trailing newline and release it; 0 or 1. */
int cli_json_print(json_t *root);

/* Dump `root` compactly on one line of stdout; 0 or 1. */
int cli_json_print_line(json_t *root);
/* A reading as {"value", "unit", "status", "display", ...}, and as text. */
json_t *cli_json_reading(const struct drv_reading *r);
void cli_print_reading(const struct drv_reading *r);

/* Parse a whole string as a finite double / an unsigned integer; 0 on success. */
int cli_parse_double(const char *s, double *out);
/* `caldaq SUB ACTION ...` (e.g. `standards check`): 0 when argv[1] is
 * `action`; -1 after printing `usage` for --help; 2 after a usage error. */
int cli_action(const char *sub, const char *action, const char *usage, int argc, char **argv);
/* A file shipped with caldaq (e.g. "profiles/balance-cg18-class-ii.yaml"):
 * looked up under $CALDAQ_DATA, the checkout when the program runs from its
 * build tree (build/caldaq, build/asan/caldaq), ../share/caldaq beside the
 * program's folder, then the DATADIR it was built for (-DCALDAQ_DATADIR:
 * PREFIX/share/caldaq, /usr/share/caldaq in the Debian package)
 * (docs/packaging.md). 0 with the path in buf, -1 when not found. */
int cli_find_data(const char *rel, char *buf, size_t cap);
/* --env TEMP_C,RH_PCT[,P_HPA]: 0 with env[] filled (P NAN when not
 * given); 2 after a usage error naming `sub`. */
int cli_env_option(const char *sub, const char *value, double env[3]);
/* The value of an --on option: a calendar date YYYY-MM-DD into `out`;
 * 2 after a usage error. */
int cli_date_option(const char *sub, const char *value, char out[11]);
int cli_parse_size(const char *s, unsigned long long *out);
/* Seconds a command gives the reading of one run file a user named
 * (daq_run_open_guarded): $CALDAQ_READ_TIMEOUT (1 to 3600), else
 * DAQ_RUN_READ_TIMEOUT_S. */
unsigned cli_read_timeout(void);

/* A warning on stderr when the secret key of LAB.yaml `lab_path` can be
 * read by others than its owner (as ssh refuses such keys; here the
 * certificates are still issued). Silent when it cannot tell: loading the
 * lab or signing says what is wrong. */
void cli_key_warning(const char *sub, const char *lab_path);
/* Say once on stderr that `path` is the shipped example register (made-up
 * certificates, dates that follow today) when `reg` is marked example. */
/* --out DIR: made with its parents (like mkdir -p, mode 0775 less the
 * umask) when it does not exist, so a session never meets a missing folder
 * when it writes its run. 0, or 1 after a plain sentence on stderr. */
int cli_out_dir(const char *sub, const char *dir);
/* The configuration files (docs/configuration.md, daq/cli/cli_config.c):
 * takes --config FILE out of argv and puts the values the command uses as
 * options right after its name, before what was typed (which wins). 0, or
 * the exit status after a message naming FILE:LINE. When it puts options
 * in, *argv is a new vector in one allocation: free(*argv) when done. */
int cli_config_apply(int *argc, char ***argv);
/* One configuration file's text: each key it gives replaces c's (lab,
 * standards, records resolved against `path`'s folder). 0, or the error
 * naming PATH:LINE. */
enum { CFG_LAB, CFG_STANDARDS, CFG_RECORDS, CFG_LANG, CFG_OUT, CFG_N };
struct cli_config {
    char value[CFG_N][4096];
    char from[CFG_N][4200]; /* FILE:LINE the value came from */
};
int cli_config_parse(const char *text, const char *path, struct cli_config *c,
                     struct cd_err *err);
void cli_example_note(const char *sub, const char *path, const prof_standards *reg);

/* --lab of session, replay and acquire: the lab's LAB.yaml (a value
 * ending in .yaml or .yml; docs/certificates.md), whose name is recorded
 * in the run and whose time_zone decides which day "today" is for the
 * standards' due dates; or, as before, the lab's name alone (the day is
 * then today in CD_ZONE_DEFAULT, as without --lab). 0 with `name` and
 * `today` filled (`today` "" for a name alone), or 1 after a message. */
struct cli_lab {
    char name[256];
    char today[11];
    char records[4096];     /* the LAB.yaml's records: ("" when none) */
    bool vi_decimal_point;  /* the LAB.yaml's decimal_separator: point */
};
int cli_lab_option(const char *sub, const char *value, struct cli_lab *out);

/* Who is at the keyboard, for audit entries and the records' event log:
 * $USER, else "caldaq". */
const char *cli_user(void);

/* The options sessions, replay and the demo share, by their getopt
 * letters: d --driver, o --out, S --standards, e --env, l --lang,
 * R --records, x --set (into opts[*n], at most max). 0 when taken, 2 after a usage
 * error, -1 when `c` is not one of them. */
int cli_session_option(const char *sub, int c, const char *value, struct ses_config *cfg,
                       const char **opts, int *n, int max);
/* The options of a reference instrument and of readings typed in batch
 * (issue 16), shared the same way: CLI_OPT_REF_PORT --ref-port (a code of
 * its own: 'R' is --records), Q --ref-driver, J --ref-serial, X --ref-set
 * (into ref_opts[*n], at most max), T --typed, K --ref-sim-control. */
#define CLI_OPT_REF_PORT 0x100
int cli_reference_option(const char *sub, int c, const char *value, struct ses_config *cfg,
                         const char **ref_opts, int *n, int max);
/* getopt_long rows for them, to copy into a command's table. */
#define CLI_REFERENCE_OPTIONS                                                                  \
    {"ref-port", required_argument, NULL, CLI_OPT_REF_PORT},                                   \
        {"ref-driver", required_argument, NULL, 'Q'},                                          \
        {"ref-serial", required_argument, NULL, 'J'}, {"ref-set", required_argument, NULL, 'X'}, \
        {"typed", required_argument, NULL, 'T'}, {"ref-sim-control", required_argument, NULL, 'K'}
/* Open cfg->typed_path into t (batch); 0, or 1 after saying why. */
int cli_open_typed(const char *sub, const struct ses_config *cfg, struct ses_term *t);

#endif
