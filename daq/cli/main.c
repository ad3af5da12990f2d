/* caldaq: one program, subcommands in the style of git. */
#include <limits.h>
#include <stdbool.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cd.h"
#include "cli.h"
#include "cd_i18n.h"

#ifndef CALDAQ_VERSION
#define CALDAQ_VERSION "0.1.0"
#endif

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} commands[] = {
    {"gum", cmd_gum, N_("evaluate an uncertainty model file (JCGM 100 / JCGM 101)")},
    {"fit", cmd_fit, N_("calibration curve by least squares, with uncertainty")},
    {"ports", cmd_ports, N_("list serial ports with USB vendor/product/serial and stable names")},
    {"read", cmd_read, N_("identify an instrument and print readings")},
    {"decode", cmd_decode, N_("decode raw instrument output from stdin, one reading a line")},
    {"acquire", cmd_acquire, N_("read an instrument at a list of test points into a run file")},
    {"show", cmd_show, N_("a readable summary of a run file")},
    {"export", cmd_export, N_("a run's readings (and with --json all of it) as CSV or JSON")},
    {"trace", cmd_trace, N_("the conversation recorded in a run as a replayable trace")},
    {"verify", cmd_verify, N_("check a run file for alteration (content hashes, audit chain)")},
    {"sim", cmd_sim, N_("a simulated instrument (or a recorded trace) on a pty or TCP port")},
    {"standards", cmd_standards, N_("check a reference standards register: certificates, due dates")},
    {"profile", cmd_profile, N_("check a calibration profile (procedure, plan, budget, standards)")},
    {"session", cmd_session, N_("run a calibration: prompts at the bench, or --batch")},
    {"replay", cmd_replay, N_("run a calibration against a recorded trace")},
    {"reprocess", cmd_reprocess, N_("re-analyse archived runs in batch: summary, impact of a revised standard")},
    {"cert", cmd_cert, N_("issue a signed calibration certificate: PDF, DCC XML, JSON")},
    {"records", cmd_records, N_("the lab's records: search, show, due, import, open-data export")},
    {"analyze", cmd_analyze, N_("results of a run against its profile: errors, U, verdicts")},
    {"demo", cmd_demo, N_("a tour with no hardware: uncertainty examples and a simulated balance")},
    {"raw", cmd_raw, N_("send bytes to an instrument, print every byte back, record a trace")},
    {"serve", cmd_serve, N_("the lab's web portal and the public verification of certificates")},
};

static void usage(FILE *f)
{
    fprintf(f, _("usage: caldaq COMMAND [ARGS...]\n\ncommands:\n"));
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, _(commands[i].summary));
    fprintf(f, _("\nEvery command has --help. caldaq --version prints the version.\n"));
}

/* "vi" or "en" for a language or locale name (vi, vi_VN.UTF-8, en_GB);
 * NULL for anything else. */
static const char *lang_name(const char *v)
{
    if (v == NULL)
        return NULL;
    for (int i = 0; i < 2; i++) {
        const char *l = i == 0 ? "vi" : "en";
        if (strncasecmp(v, l, 2) == 0 && (v[2] == '\0' || strchr("_-.@:", v[2]) != NULL))
            return l;
    }
    return NULL;
}

/* Commands whose own --lang means more than the language of the messages
 * (cert: the languages of the documents, vi+en) or that record it (the
 * session's language is in the run): they parse --lang themselves, and
 * main() only reads it. */
static bool keeps_lang(const char *command)
{
    static const char *const own[] = {"cert", "session", "demo", "replay"};
    for (size_t i = 0; i < sizeof own / sizeof own[0]; i++)
        if (command != NULL && strcmp(command, own[i]) == 0)
            return true;
    return false;
}

/* The language of the messages (docs/i18n.md): --lang anywhere before
 * "--" (before the command, or after it), else the first of LANGUAGE,
 * LC_ALL, LC_MESSAGES, LANG that is set: Vietnamese when it begins with
 * "vi", else English. --lang is taken out of argv unless the command
 * parses it itself. A value that is neither is left in *bad (the
 * language then comes from the environment, to say so in it). 0, or 2
 * after a usage error. */
static int choose_lang(int *argc, char **argv, const char **out, const char **bad,
                       const char **bad_command, bool *typed)
{
    const char *given = NULL, *command = NULL;
    int w = 1;
    bool rest = false;
    for (int r = 1; r < *argc; r++) {
        char *a = argv[r];
        const char *value = NULL;
        int used = 0;
        if (!rest && strcmp(a, "--") == 0)
            rest = true;
        else if (!rest && strcmp(a, "--lang") == 0) {
            if (r + 1 >= *argc) {
                *bad = ""; /* said in main(), in the environment's language */
                break;
            }
            value = argv[r + 1];
            used = 2;
        } else if (!rest && strncmp(a, "--lang=", 7) == 0) {
            value = a + 7;
            used = 1;
        }
        if (used == 0) {
            /* --config FILE before the command: FILE is not the command */
            if (!rest && command == NULL && strcmp(a, "--config") == 0 && r + 1 < *argc) {
                argv[w++] = a;
                argv[w++] = argv[++r];
                continue;
            }
            if (command == NULL && a[0] != '-')
                command = a;
            argv[w++] = a;
            continue;
        }
        const char *l = lang_name(value);
        bool own = command != NULL && keeps_lang(command);
        /* a command that parses --lang itself reports a bad value itself
         * (cert --lang vi+en names the documents' languages) */
        if (l == NULL && !own) {
            *bad = value;
            *bad_command = command;
        }
        if (l != NULL)
            given = l;
        if (own) {
            for (int k = 0; k < used; k++)
                argv[w++] = argv[r + k];
        }
        r += used - 1;
    }
    *argc = w;
    argv[w] = NULL;
    *typed = given != NULL;
    if (given == NULL) {
        static const char *const vars[] = {"LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"};
        for (size_t i = 0; i < sizeof vars / sizeof vars[0] && given == NULL; i++) {
            const char *v = getenv(vars[i]);
            if (v != NULL && v[0] != '\0')
                given = lang_name(v) != NULL ? lang_name(v) : "en";
        }
    }
    *out = given != NULL ? given : "en";
    return 0;
}

/* Messages in `lang` through gettext. glibc reads LANGUAGE only when the
 * locale of the messages is not "C": Vietnamese takes the user's locale
 * when the system has it, else C.UTF-8. LC_NUMERIC is never set: printf
 * and strtod keep the decimal point in data (docs/i18n.md). */
static void set_lang(const char *lang)
{
    setenv("LANGUAGE", lang, 1);
    if (strcmp(lang, "vi") == 0) {
        int cats[] = {LC_CTYPE, LC_MESSAGES};
        for (size_t i = 0; i < 2; i++) {
            const char *got = setlocale(cats[i], "");
            if (got == NULL || strcmp(got, "C") == 0 || strcmp(got, "POSIX") == 0)
                setlocale(cats[i], "C.UTF-8");
        }
    }
    char dir[PATH_MAX];
    if (cd_locale_dir(dir, sizeof dir) == 0)
        bindtextdomain(CD_TEXT_DOMAIN, dir);
    bind_textdomain_codeset(CD_TEXT_DOMAIN, "UTF-8");
    textdomain(CD_TEXT_DOMAIN);
}

/* The command named in argv[1], once the configuration files' options are
 * in argv: the language they name, help, version, the TZ check, then the
 * command itself. */
static int dispatch(int argc, char **argv, const char *lang, bool lang_typed)
{
    /* A configuration file's lang: (docs/configuration.md) comes after a
     * typed --lang and before the environment: the messages follow it too,
     * not only the commands that read --lang themselves. */
    const char *config_lang = NULL, *config_bad = NULL, *config_bad_command = NULL;
    bool config_typed = false;
    if (choose_lang(&argc, argv, &config_lang, &config_bad, &config_bad_command, &config_typed) != 0)
        return 2;
    if (!lang_typed && config_typed && strcmp(config_lang, lang) != 0)
        set_lang(config_lang);
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
                _("caldaq: %s\n(unset TZ to use the system's zone, or name one such as "
                "TZ=Asia/Ho_Chi_Minh)\n"),
                err.msg);
        return 2;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(commands[i].name, name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, _("caldaq: '%s' is not a caldaq command\n"), name);
    usage(stderr);
    return 2;
}

int main(int argc, char **argv)
{
    const char *lang = "en", *bad = NULL, *bad_command = NULL;
    bool lang_typed = false;
    if (choose_lang(&argc, argv, &lang, &bad, &bad_command, &lang_typed) != 0)
        return 2;
    set_lang(lang);
    if (bad != NULL && bad[0] == '\0') {
        fprintf(stderr, _("caldaq: --lang needs a value (vi or en)\n"));
        return 2;
    }
    if (bad != NULL) {
        fprintf(stderr, _("caldaq: --lang takes vi or en, not '%s'\n"), bad);
        if (bad_command != NULL)
            fprintf(stderr, _("Try 'caldaq %s --help'.\n"), bad_command);
        return 2;
    }
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    char **typed_argv = argv;
    int config_rc = cli_config_apply(&argc, &argv);
    if (config_rc != 0)
        return config_rc;
    int rc = dispatch(argc, argv, lang, lang_typed);
    if (argv != typed_argv)
        free(argv); /* the vector the configuration's options were put in */
    return rc;
}
