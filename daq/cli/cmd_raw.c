/* caldaq raw: talk to an instrument by hand, seeing every byte, and record
 * the conversation as a trace. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "drv.h"
#include "cd_i18n.h"

static const char usage_text[] = N_(
    "usage: caldaq raw --port PORT [--serial 9600,8N1] [--record FILE] [--driver NAME]\n"
    "                  [--timeout-ms N] [--lines N]\n"
    "\n"
    "Send what stdin says to an instrument and print every byte that comes back.\n"
    "Each stdin line is bytes to send, with C escapes: SI\\r\\n  or  \"\\x1bP\\r\\n\".\n"
    "After each one, up to --lines reply lines (default 1) are awaited for\n"
    "--timeout-ms (default 1000). A line 'wait MS' just listens for MS ms.\n"
    "Output: > \"sent\" and < \"received\" lines, the same notation as trace files.\n"
    "\n"
    "  --port PORT      /dev/ttyUSB0, /dev/serial/by-id/..., /dev/caldaq/NAME or tcp:HOST:PORT\n"
    "  --serial S       BAUD,FRAME[,FLOW], e.g. 9600,8N1 or 1200,7O1,rtscts (default 9600,8N1)\n"
    "  --record FILE    write the conversation as a caldaq trace\n"
    "  --driver NAME    the driver named in the trace header\n");

struct raw_args {
    const char *port;
    const char *serial;
    const char *record;
    const char *driver;
    int timeout_ms;
    int lines;
};

static int parse_args(int argc, char **argv, struct raw_args *a)
{
    static const struct option opts[] = {
        {"port", required_argument, NULL, 'p'},       {"serial", required_argument, NULL, 's'},
        {"record", required_argument, NULL, 'r'},     {"driver", required_argument, NULL, 'd'},
        {"timeout-ms", required_argument, NULL, 't'}, {"lines", required_argument, NULL, 'l'},
        {"help", no_argument, NULL, 'h'},             {NULL, 0, NULL, 0},
    };
    *a = (struct raw_args){.serial = "9600,8N1", .timeout_ms = 1000, .lines = 1};
    optind = 0;
    opterr = 0;
    int c;
    unsigned long long v;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case 'p': a->port = optarg; break;
        case 's': a->serial = optarg; break;
        case 'r': a->record = optarg; break;
        case 'd': a->driver = optarg; break;
        case 't':
            if (cli_parse_size(optarg, &v) != 0 || v > 600000)
                return cli_usage_error("raw", _("--timeout-ms takes 0 to 600000, not '%s'"), optarg);
            a->timeout_ms = (int)v;
            break;
        case 'l':
            if (cli_parse_size(optarg, &v) != 0 || v > 100000)
                return cli_usage_error("raw", _("--lines takes a count, not '%s'"), optarg);
            a->lines = (int)v;
            break;
        case 'h': fputs(_(usage_text), stdout); return -1;
        case ':':
        default: return cli_option_error("raw", c, argv);
        }
    }
    if (optind != argc)
        return cli_usage_error("raw", _("unexpected argument '%s'"), argv[optind]);
    if (a->port == NULL)
        return cli_usage_error("raw", _("--port is required"));
    return 0;
}

/* A stdin line as bytes: quoted with C escapes, or bare (escapes work and a
 * bare '"' is itself). */
static int line_bytes(const char *line, uint8_t *out, size_t cap, struct cd_err *err)
{
    if (line[0] == '"')
        return drv_unescape(&line, out, cap, 1, err);
    char quoted[2048];
    size_t n = 0;
    quoted[n++] = '"';
    for (const char *p = line; *p != '\0' && n + 3 < sizeof quoted; p++) {
        if (*p == '"')
            quoted[n++] = '\\';
        quoted[n++] = *p;
    }
    quoted[n++] = '"';
    quoted[n] = '\0';
    const char *q = quoted;
    return drv_unescape(&q, out, cap, 1, err);
}

static void print_bytes(char dir, const uint8_t *b, size_t n)
{
    char text[8192];
    drv_escape(b, n, text, sizeof text);
    printf("%c \"%s\"\n", dir, text);
    fflush(stdout);
}

/* Listen up to timeout_ms for `lines` line ends (LF, CR LF, or CR alone
 * as the milliK ends its lines); print what comes. */
static int listen(drv_transport *t, int lines, int timeout_ms, struct cd_err *err)
{
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    int seen = 0;
    bool after_cr = false;
    for (;;) {
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        int left = timeout_ms - (int)((now.tv_sec - start.tv_sec) * 1000 +
                                      (now.tv_nsec - start.tv_nsec) / 1000000);
        if (left <= 0 || (lines > 0 && seen >= lines))
            return 0;
        uint8_t buf[1024];
        int n = drv_transport_read(t, buf, sizeof buf, left, err);
        if (n < 0)
            return n;
        if (n == 0)
            return 0;
        print_bytes('<', buf, (size_t)n);
        for (int i = 0; i < n; i++) {
            seen += buf[i] == '\r' || (buf[i] == '\n' && !after_cr);
            after_cr = buf[i] == '\r';
        }
    }
}

int cmd_raw(int argc, char **argv)
{
    struct raw_args a;
    int rc = parse_args(argc, argv, &a);
    if (rc != 0)
        return rc < 0 ? 0 : rc;
    struct cd_err err = {0};
    drv_transport *t = NULL;
    if (drv_transport_open(a.port, a.serial, &t, &err) != 0)
        return cli_error("raw", "%s", cd_err_text(&err));
    struct drv_trace_writer *w = NULL;
    if (a.record != NULL) {
        struct drv_trace_header h = {0};
        bool tcp = strncmp(a.port, "tcp:", 4) == 0;
        snprintf(h.transport, sizeof h.transport, "%s", tcp ? "tcp" : "serial");
        snprintf(h.port, sizeof h.port, "%s", a.port);
        if (!tcp) {
            struct drv_serial_settings s;
            drv_serial_settings_parse(a.serial, &s, NULL);
            drv_serial_settings_format(&s, h.settings, sizeof h.settings);
        }
        if (a.driver != NULL)
            snprintf(h.driver, sizeof h.driver, "%s", a.driver);
        w = drv_trace_writer_create(a.record, &h, &err);
        if (w == NULL) {
            drv_transport_close(t);
            return cli_error("raw", "%s", cd_err_text(&err));
        }
        drv_transport_record(t, w);
    }
    int status = 0;
    char line[2048];
    int lineno = 0;
    while (status == 0 && fgets(line, sizeof line, stdin) != NULL) {
        lineno++;
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] == '\0' || line[0] == '#')
            continue;
        if (strncmp(line, "wait ", 5) == 0) {
            if (listen(t, 0, atoi(line + 5), &err) != 0)
                status = cli_error("raw", "%s", cd_err_text(&err));
            continue;
        }
        uint8_t bytes[2048];
        int n = line_bytes(line, bytes, sizeof bytes, &err);
        if (n < 0) {
            status = cli_error("raw", _("stdin line %d: %s"), lineno, cd_err_text(&err));
            break;
        }
        print_bytes('>', bytes, (size_t)n);
        if (drv_transport_write(t, bytes, (size_t)n, 2000, &err) != 0 ||
            listen(t, a.lines, a.timeout_ms, &err) != 0)
            status = cli_error("raw", "%s", cd_err_text(&err));
    }
    drv_transport_close(t); /* flushes the last received bytes into the trace */
    if (drv_trace_writer_close(w, &err) != 0 && status == 0)
        status = cli_error("raw", "%s: %s", a.record, cd_err_text(&err));
    return status;
}
