/* caldaq read: identify an instrument and print readings. */
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "drv.h"
#include "cd_i18n.h"

static const char usage_text[] = N_(
    "usage: caldaq read --driver NAME --port PORT [--serial S] [--count N] [--stable]\n"
    "                   [--interval-ms N] [--preset NAME] [--register A] [--type T]\n"
    "                   [--order O] [--function F] [--unit-id N] [--set KEY=VALUE]...\n"
    "                   [--record FILE] [--json]\n"
    "\n"
    "Identify an instrument and print readings.\n"
    "\n"
    "  --driver NAME     mtsics, sbi, aandd, scpi, modbus, fluke-ttr, fluke-1529, millik, toledo-cont, xk3190, pace or bath\n"
    "                    (docs/drivers.md)\n"
    "  --port PORT       /dev/ttyUSB0, /dev/serial/by-id/..., /dev/caldaq/NAME or tcp:HOST:PORT\n"
    "  --serial S        BAUD,FRAME[,FLOW], e.g. 9600,8N1 (default: the driver's usual)\n"
    "  --count N         readings to take (default 1)\n"
    "  --stable          wait for each reading to be stable (the instrument's flag, or\n"
    "                    the window criterion for instruments without one)\n"
    "  --interval-ms N   pause between readings (default 0)\n"
    "  --zero, --tare    zero or tare the instrument first\n"
    "  --record FILE     record every byte as a caldaq trace\n"
    "  Modbus: --preset keller|keller-tob1|keller-int32|generic|lobaro-v1, or --register A\n"
    "          --type int16|uint16|int32|uint32|float32\n"
    "          --order ABCD|CDAB|BADC|DCBA --function 3|4 --unit-id N\n"
    "          (more map keys: scale=, dp_register=, unit=, unit_register=)\n"
    "  --set KEY=VALUE   any driver option (docs/drivers.md), e.g. func=VOLT:DC range=10\n"
    "  --json            one JSON object per line: the identity, then each reading\n");

#define MAX_OPTS 64

struct read_args {
    const char *driver;
    const char *port;
    const char *serial;
    const char *record;
    unsigned long long count;
    unsigned long long interval_ms;
    bool stable;
    bool zero;
    bool tare;
    bool json;
    const char *opts[MAX_OPTS + 1];
    char owned[MAX_OPTS][128];
    int n_opts;
};

static int add_opt(struct read_args *a, const char *key, const char *value)
{
    if (a->n_opts == MAX_OPTS)
        return cli_usage_error("read", _("too many options"));
    if (key != NULL)
        snprintf(a->owned[a->n_opts], sizeof a->owned[0], "%s=%s", key, value);
    else
        snprintf(a->owned[a->n_opts], sizeof a->owned[0], "%s", value);
    a->opts[a->n_opts] = a->owned[a->n_opts];
    a->n_opts++;
    a->opts[a->n_opts] = NULL;
    return 0;
}

static int parse_args(int argc, char **argv, struct read_args *a)
{
    enum { O_PRESET = 256, O_REGISTER, O_TYPE, O_ORDER, O_FUNCTION, O_UNIT_ID, O_INTERVAL,
           O_ZERO, O_TARE };
    static const struct option opts[] = {
        {"driver", required_argument, NULL, 'd'},   {"port", required_argument, NULL, 'p'},
        {"serial", required_argument, NULL, 's'},   {"count", required_argument, NULL, 'n'},
        {"stable", no_argument, NULL, 'S'},         {"record", required_argument, NULL, 'r'},
        {"set", required_argument, NULL, 'o'},      {"json", no_argument, NULL, 'j'},
        {"preset", required_argument, NULL, O_PRESET},
        {"register", required_argument, NULL, O_REGISTER},
        {"type", required_argument, NULL, O_TYPE},  {"order", required_argument, NULL, O_ORDER},
        {"function", required_argument, NULL, O_FUNCTION},
        {"unit-id", required_argument, NULL, O_UNIT_ID},
        {"interval-ms", required_argument, NULL, O_INTERVAL},
        {"zero", no_argument, NULL, O_ZERO},        {"tare", no_argument, NULL, O_TARE},
        {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0},
    };
    memset(a, 0, sizeof *a);
    a->count = 1;
    optind = 0;
    opterr = 0;
    int c;
    int rc = 0;
    while (rc == 0 && (c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case 'd': a->driver = optarg; break;
        case 'p': a->port = optarg; break;
        case 's': a->serial = optarg; break;
        case 'r': a->record = optarg; break;
        case 'S': a->stable = true; break;
        case 'j': a->json = true; break;
        case O_ZERO: a->zero = true; break;
        case O_TARE: a->tare = true; break;
        case 'n':
            if (cli_parse_size(optarg, &a->count) != 0 || a->count == 0)
                return cli_usage_error("read", _("--count takes a positive number, not '%s'"),
                                       optarg);
            break;
        case O_INTERVAL:
            if (cli_parse_size(optarg, &a->interval_ms) != 0 || a->interval_ms > 86400000)
                return cli_usage_error("read", _("--interval-ms takes milliseconds, not '%s'"),
                                       optarg);
            break;
        case 'o':
            if (strchr(optarg, '=') == NULL)
                return cli_usage_error("read", _("--set takes KEY=VALUE, not '%s'"), optarg);
            rc = add_opt(a, NULL, optarg);
            break;
        case O_PRESET: rc = add_opt(a, "preset", optarg); break;
        case O_REGISTER: rc = add_opt(a, "register", optarg); break;
        case O_TYPE: rc = add_opt(a, "type", optarg); break;
        case O_ORDER: rc = add_opt(a, "order", optarg); break;
        case O_FUNCTION: rc = add_opt(a, "function", optarg); break;
        case O_UNIT_ID: rc = add_opt(a, "unit_id", optarg); break;
        case 'h': fputs(_(usage_text), stdout); return -1;
        case ':':
        default: return cli_option_error("read", c, argv);
        }
    }
    if (rc != 0)
        return rc;
    if (optind != argc)
        return cli_usage_error("read", _("unexpected argument '%s'"), argv[optind]);
    if (a->driver == NULL) {
        char known[256];
        drv_names_text(drv_names(), known, sizeof known);
        return cli_usage_error("read", _("--driver is required (%s)"), known);
    }
    if (a->port == NULL)
        return cli_usage_error("read", _("--port is required"));
    return 0;
}

static void pause_ms(unsigned long long ms)
{
    struct timespec ts = {.tv_sec = (time_t)(ms / 1000), .tv_nsec = (long)(ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

static struct drv_trace_writer *open_record(const struct read_args *a, struct cd_err *err)
{
    struct drv_trace_header h = {0};
    bool tcp = strncmp(a->port, "tcp:", 4) == 0;
    snprintf(h.transport, sizeof h.transport, "%s", tcp ? "tcp" : "serial");
    snprintf(h.port, sizeof h.port, "%s", a->port);
    snprintf(h.driver, sizeof h.driver, "%s", a->driver);
    struct drv_serial_settings s;
    if (!tcp && a->serial != NULL && drv_serial_settings_parse(a->serial, &s, NULL) == 0)
        drv_serial_settings_format(&s, h.settings, sizeof h.settings);
    return drv_trace_writer_create(a->record, &h, err);
}

int cmd_read(int argc, char **argv)
{
    struct read_args a;
    int rc = parse_args(argc, argv, &a);
    if (rc != 0)
        return rc < 0 ? 0 : rc;
    struct cd_err err = {0};
    struct drv_trace_writer *w = NULL;
    if (a.record != NULL && (w = open_record(&a, &err)) == NULL)
        return cli_error("read", "%s", cd_err_text(&err));
    drv_dev *d = NULL;
    int status = 0;
    if (drv_open(a.driver, a.port, a.serial, a.opts, w, &d, &err) != 0) {
        status = cli_error("read", "%s", cd_err_text(&err));
        goto done;
    }
    struct drv_identity id;
    if (drv_identify(d, &id, &err) != 0) {
        /* Not every instrument identifies itself; say so and carry on. */
        if (err.code != CD_ERR_UNSUPPORTED) {
            status = cli_error("read", "%s", cd_err_text(&err));
            goto done;
        }
        fprintf(stderr, _("caldaq read: %s\n"), cd_err_text(&err));
        cd_err_clear(&err);
    }
    if (a.json)
        cli_json_print_line(json_pack("{s:s, s:s, s:s, s:s, s:s}", "driver", a.driver,
                                      "manufacturer", id.manufacturer, "model", id.model,
                                      "serial", id.serial, "firmware", id.firmware));
    else
        printf(_("%s %s, serial %s, firmware %s\n"), id.manufacturer[0] ? id.manufacturer : "?",
               id.model[0] ? id.model : "?", id.serial[0] ? id.serial : "?",
               id.firmware[0] ? id.firmware : "?");
    if ((a.zero && drv_zero(d, &err) != 0) || (a.tare && drv_tare(d, &err) != 0)) {
        status = cli_error("read", "%s", cd_err_text(&err));
        goto done;
    }
    for (unsigned long long i = 0; i < a.count; i++) {
        struct drv_reading r;
        rc = a.stable ? drv_read_stable(d, NULL, 30000, &r, &err) : drv_read(d, &r, &err);
        if (rc != 0) {
            status = cli_error("read", _("reading %llu: %s"), i + 1, cd_err_text(&err));
            break;
        }
        if (a.json)
            cli_json_print_line(cli_json_reading(&r));
        else
            cli_print_reading(&r);
        fflush(stdout);
        if (a.interval_ms > 0 && i + 1 < a.count)
            pause_ms(a.interval_ms);
    }
done:
    drv_close(d); /* flushes the last received bytes into the trace */
    if (drv_trace_writer_close(w, &err) != 0 && status == 0)
        status = cli_error("read", "%s: %s", a.record, cd_err_text(&err));
    return status;
}
