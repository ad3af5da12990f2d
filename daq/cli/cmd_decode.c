/* caldaq decode: raw instrument output from stdin, decoded frame by frame
 * with the same parsers the drivers use. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "drv.h"
#include "cd_i18n.h"

static const char usage_text[] = N_(
    "usage: caldaq decode --driver NAME [--preset NAME] [--order O] [--set KEY=VALUE]...\n"
    "                     [--tcp] [--json]\n"
    "\n"
    "Decode raw instrument output read from stdin: one reading a line (for Modbus,\n"
    "one RTU reply frame after another; for the continuous output of toledo-cont and\n"
    "xk3190 one frame after another, bytes between frames reported as noise). Every\n"
    "frame gives a reading\n"
    "{\"value\", \"unit\", \"status\", \"display\"} or, when it cannot be decoded, an error\n"
    "record {\"error\", \"offset\"} with its byte offset in the input; the exit status\n"
    "is 1 when any frame was undecodable.\n"
    "\n"
    "  --driver NAME   mtsics, sbi, aandd, scpi, modbus, fluke-ttr, fluke-1529, millik, toledo-cont, xk3190, pace or bath\n"
    "                  (docs/drivers.md)\n"
    "  --json          one JSON object a line\n"
    "  Modbus frames are decoded through a register map: --preset keller|generic,\n"
    "  --order ABCD|CDAB|BADC|DCBA, or --set KEY=VALUE (docs/drivers-dmm-modbus.md);\n"
    "  without one, two registers are a float32 ABCD and one an int16. Frames are RTU\n"
    "  replies, or Modbus TCP ADUs with --tcp.\n");

#define MAX_INPUT (64u << 20)

static uint8_t *read_all(FILE *f, size_t *len)
{
    size_t cap = 1 << 16, n = 0;
    uint8_t *buf = malloc(cap);
    while (buf != NULL) {
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
        if (n == cap) {
            if (cap >= MAX_INPUT) {
                free(buf);
                return NULL;
            }
            uint8_t *bigger = realloc(buf, cap * 2);
            if (bigger == NULL) {
                free(buf);
                return NULL;
            }
            buf = bigger;
            cap *= 2;
        }
    }
    *len = n;
    return buf;
}

/* Where the frame starting at buf ends: after the LF for line protocols;
 * for Modbus RTU by the reply's own length (exception 5 bytes, write echo
 * 8, read 3 + byte count + 2). Returns the frame length (the rest when
 * incomplete). */
static size_t frame_length(const char *driver, bool tcp, const uint8_t *buf, size_t left)
{
    if (strcmp(driver, "modbus") == 0 && tcp) {
        /* MBAP: transaction, protocol, length of what follows (unit + PDU) */
        size_t n = left < 6 ? left : (size_t)6 + ((size_t)buf[4] << 8 | buf[5]);
        return n < left ? n : left;
    }
    if (strcmp(driver, "modbus") == 0) {
        if (left < 3)
            return left;
        uint8_t fc = buf[1];
        size_t n;
        if (fc & 0x80)
            n = 5;                        /* exception */
        else if (fc == 5 || fc == 6 || fc == 15 || fc == 16)
            n = 8;                        /* echo of the request */
        else
            n = (size_t)3 + buf[2] + 2;   /* read: byte count, data, CRC */
        return n < left ? n : left;
    }
    /* The thermometer readouts may end lines in CR alone (the milliK, a
     * Hart readout with LF=OFF): there a CR not followed by LF ends one. */
    bool cr_ends = strcmp(driver, "millik") == 0 || strcmp(driver, "fluke-ttr") == 0 ||
                   strcmp(driver, "fluke-1529") == 0;
    for (size_t i = 0; i < left; i++) {
        if (buf[i] == '\n' || (cr_ends && buf[i] == '\r' && (i + 1 == left || buf[i + 1] != '\n')))
            return i + 1;
    }
    return left;
}

int cmd_decode(int argc, char **argv)
{
    static const struct option opts[] = {
        {"driver", required_argument, NULL, 'd'}, {"json", no_argument, NULL, 'j'},
        {"preset", required_argument, NULL, 'P'}, {"order", required_argument, NULL, 'O'},
        {"set", required_argument, NULL, 's'},    {"tcp", no_argument, NULL, 'T'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *driver = NULL;
    bool json = false;
    bool tcp = false;
    enum { MAX_OPTS = 32 };
    char owned[MAX_OPTS][96];
    const char *options[MAX_OPTS + 1] = {NULL};
    int n_opts = 0;
    optind = 0;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case 'd': driver = optarg; break;
        case 'j': json = true; break;
        case 'T': tcp = true; break;
        case 'P':
        case 'O':
        case 's':
            if (n_opts == MAX_OPTS || (c == 's' && strchr(optarg, '=') == NULL))
                return cli_usage_error("decode", _("--set takes KEY=VALUE, not '%s'"), optarg);
            snprintf(owned[n_opts], sizeof owned[0], "%s%s", c == 'P' ? "preset=" :
                     c == 'O' ? "order=" : "", optarg);
            options[n_opts] = owned[n_opts];
            n_opts++;
            break;
        case 'h': fputs(_(usage_text), stdout); return 0;
        case ':':
        default: return cli_option_error("decode", c, argv);
        }
    }
    if (optind != argc)
        return cli_usage_error("decode", _("unexpected argument '%s'"), argv[optind]);
    char known[256];
    drv_names_text(drv_names(), known, sizeof known);
    if (driver == NULL)
        return cli_usage_error("decode", _("--driver is required (%s)"), known);
    if (drv_parser_find(driver) == NULL)
        return cli_usage_error("decode", _("no driver '%s' (%s)"), driver, known);
    size_t len = 0;
    uint8_t *input = read_all(stdin, &len);
    if (input == NULL)
        return cli_error("decode", _("cannot read stdin (out of memory, or over 64 MiB)"));
    size_t errors = 0;
    const struct drv_parser *parser = drv_parser_find(driver);
    for (size_t off = 0; off < len;) {
        size_t n = 0;
        if (parser->next != NULL) {
            /* a continuous stream: frames found by the parser, noise between */
            size_t skip = 0;
            int found = parser->next(input + off, len - off, true, &skip, &n);
            if (skip > 0) {
                errors++;
                char what[96];
                snprintf(what, sizeof what,
                         skip == 1 ? _("%s: %zu byte that begins no frame skipped")
                                   : _("%s: %zu bytes that begin no frame skipped"),
                         driver, skip);
                if (json)
                    cli_json_print_line(json_pack("{s:s, s:I}", "error", what, "offset",
                                                  (json_int_t)off));
                else
                    printf(_("offset %zu: %s\n"), off, what);
                off += skip;
            }
            if (found != 1)
                break;
        } else {
            n = frame_length(driver, tcp, input + off, len - off);
        }
        struct drv_reading r;
        memset(&r, 0, sizeof r);
        struct cd_err err = {0};
        if (drv_decode(driver, options, input + off, n, &r, &err) != 0) {
            errors++;
            if (json)
                cli_json_print_line(json_pack("{s:s, s:I}", "error", cd_err_text(&err), "offset",
                                              (json_int_t)off));
            else
                printf(_("offset %zu: %s\n"), off, cd_err_text(&err));
        } else if (json) {
            cli_json_print_line(cli_json_reading(&r));
        } else {
            cli_print_reading(&r);
        }
        off += n;
    }
    free(input);
    fflush(stdout);
    if (errors > 0)
        return cli_error("decode", _("%zu frame%s could not be decoded"), errors,
                         errors == 1 ? "" : "s");
    return 0;
}
