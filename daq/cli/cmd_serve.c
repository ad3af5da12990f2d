/* caldaq serve: the lab's web portal (daq/portal/, docs/portal.md).
 * Parses, starts the portal, waits for SIGINT or SIGTERM, stops it. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cd_i18n.h"
#include "cert.h"
#include "cli.h"
#include "portal.h"

static const char usage_text[] = N_(
    "usage: caldaq serve [--listen ADDR:PORT] [--records DB] [--lab LAB.yaml]\n"
    "       caldaq serve --hash-password < PASSWORD\n"
    "\n"
    "The lab's web portal, read-only: search of runs, certificates, items and\n"
    "customers; a run (its readings, error chart, audit trail, check); a\n"
    "certificate (status, files, what it replaces or what replaced it); the\n"
    "due list; the lab's standards; and the public verification page of a\n"
    "certificate, /verify/NUMBER, which its QR code opens (verify_url in\n"
    "LAB.yaml). Vietnamese or English by the browser's Accept-Language or ?lang=.\n"
    "\n"
    "  --listen ADDR:PORT  numeric address (default 127.0.0.1:8080; [::1]:8080;\n"
    "                      port 0: any free port, printed). Off loopback every page\n"
    "                      but /verify needs a login: portal: password_hash or\n"
    "                      tokens in LAB.yaml\n"
    "  --records DB        the records (a file or postgresql:// URL); default the\n"
    "                      records: of LAB.yaml\n"
    "  --lab LAB.yaml      the lab: its name, time zone, login, and KEY.pub (beside\n"
    "                      its signing key) to check the signature of a file sent\n"
    "  --hash-password     read a password from standard input, print the hash\n"
    "                      for portal: password_hash\n"
    "\n"
    "Stops cleanly on SIGINT or SIGTERM. tools/caldaq-serve.service runs it\n"
    "under systemd as an unprivileged user.\n");

static int hash_password(void)
{
    char line[1024];
    if (fgets(line, sizeof line, stdin) == NULL)
        return cli_usage_error("serve", "%s", _("--hash-password: no password on standard input"));
    line[strcspn(line, "\r\n")] = '\0';
    char hash[256];
    struct cd_err err = {0};
    int rc = portal_hash_password(line, hash, sizeof hash, &err);
    memset(line, 0, sizeof line);
    if (rc != 0)
        return cli_error("serve", "%s", cd_err_text(&err));
    printf("%s\n", hash);
    return 0;
}

int cmd_serve(int argc, char **argv)
{
    static const struct option opts[] = {{"listen", required_argument, NULL, 'L'},
                                         {"records", required_argument, NULL, 'r'},
                                         {"lab", required_argument, NULL, 'l'},
                                         {"hash-password", no_argument, NULL, 'H'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    struct portal_opts o = {0};
    bool hash = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'L': o.listen = optarg; break;
        case 'r': o.records = optarg; break;
        case 'l': o.lab_path = optarg; break;
        case 'H': hash = true; break;
        case 'h': fputs(_(usage_text), stdout); return 0;
        default: return cli_option_error("serve", c, argv);
        }
    }
    if (optind < argc)
        return cli_usage_error("serve", _("unexpected argument '%s'"), argv[optind]);
    if (hash)
        return hash_password();
    struct cd_err err = {0};
    struct cert_lab lab;
    if (o.lab_path != NULL) {
        if (cert_lab_load(o.lab_path, &lab, &err) != 0)
            return cli_error("serve", "%s", cd_err_text(&err));
        o.lab = &lab;
        if (o.records == NULL && lab.records[0] != '\0')
            o.records = lab.records;
    }
    if (o.records == NULL)
        return cli_usage_error("serve", "%s",
                               _("no records: give --records DB, or --lab with records:"));
    /* the signals are waited for here: blocked before the server's
     * threads start, so they inherit the mask and never take them */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    portal *p = NULL;
    if (portal_start(&o, &p, &err) != 0)
        return cli_error("serve", "%s", cd_err_text(&err));
    printf(_("listening on http://%s/ (%s)\n"), portal_address(p),
           portal_login_required(p) ? _("login required but for /verify")
                                    : _("loopback: no login"));
    if (geteuid() == 0)
        fprintf(stderr, "%s\n",
                _("caldaq serve: warning: running as root; the portal needs no privilege "
                  "(tools/caldaq-serve.service runs it as the user caldaq)"));
    if (!portal_vietnamese(p))
        fprintf(stderr, "%s\n",
                _("caldaq serve: warning: no Vietnamese catalogue (caldaq.mo; CALDAQ_LOCALEDIR): "
                  "the Vietnamese pages show the English texts"));
    fflush(stdout);
    int sig = 0;
    sigwait(&set, &sig);
    portal_stop(p);
    printf(_("stopped (%s)\n"), sig == SIGTERM ? "SIGTERM" : "SIGINT");
    return 0;
}
