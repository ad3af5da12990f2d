/* caldaq: one program, subcommands in the style of git. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cd.h"
#include "cli.h"

#ifndef CALDAQ_VERSION
#define CALDAQ_VERSION "0.1.0"
#endif

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} commands[] = {
    {"gum", cmd_gum, "evaluate an uncertainty model file (JCGM 100 / JCGM 101)"},
    {"fit", cmd_fit, "calibration curve by least squares, with uncertainty"},
    {"ports", cmd_ports, "list serial ports with USB vendor/product/serial and stable names"},
    {"read", cmd_read, "identify an instrument and print readings"},
    {"decode", cmd_decode, "decode raw instrument output from stdin, one reading a line"},
    {"acquire", cmd_acquire, "read an instrument at a list of test points into a run file"},
    {"show", cmd_show, "a readable summary of a run file"},
    {"export", cmd_export, "a run's readings (and with --json all of it) as CSV or JSON"},
    {"trace", cmd_trace, "the conversation recorded in a run as a replayable trace"},
    {"verify", cmd_verify, "check a run file for alteration (content hashes, audit chain)"},
    {"sim", cmd_sim, "a simulated instrument (or a recorded trace) on a pty or TCP port"},
    {"standards", cmd_standards, "check a reference standards register: certificates, due dates"},
    {"profile", cmd_profile, "check a calibration profile (procedure, plan, budget, standards)"},
    {"session", cmd_session, "run a calibration: prompts at the bench, or --batch"},
    {"replay", cmd_replay, "run a calibration against a recorded trace"},
    {"reprocess", cmd_reprocess, "re-analyse archived runs in batch: summary, impact of a revised standard"},
    {"cert", cmd_cert, "issue a signed calibration certificate: PDF, DCC XML, JSON"},
    {"serve", cmd_serve, "the lab's web portal and the public verification of certificates"},
    {"records", cmd_records, "the lab's records: search, show, due, import, open-data export"},
    {"analyze", cmd_analyze, "results of a run against its profile: errors, U, verdicts"},
    {"demo", cmd_demo, "a tour with no hardware: uncertainty examples and a simulated balance"},
    {"raw", cmd_raw, "send bytes to an instrument, print every byte back, record a trace"},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: caldaq COMMAND [ARGS...]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\nEvery command has --help. caldaq --version prints the version.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    int config_rc = cli_config_apply(&argc, &argv);
    if (config_rc != 0)
        return config_rc;
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *name = argv[1];
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 || strcmp(name, "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(name, "--version") == 0) {
        printf("caldaq %s\n", CALDAQ_VERSION);
        return 0;
    }
    /* glibc reads a TZ it does not understand as UTC without a word: time
     * stamps and every date derived from them would be off by the lab's
     * offset. Refused once, here, for every command that would use it. */
    struct cd_err err = {0};
    if (cd_tz_check(getenv("TZ"), getenv("TZDIR"), &err) != 0) {
        fprintf(stderr,
                "caldaq: %s\n(unset TZ to use the system's zone, or name one such as "
                "TZ=Asia/Ho_Chi_Minh)\n",
                err.msg);
        return 2;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(commands[i].name, name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "caldaq: '%s' is not a caldaq command\n", name);
    usage(stderr);
    return 2;
}
