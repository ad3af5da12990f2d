/* Serial settings as users and trace headers write them: "9600,8N1",
 * "1200 7O1 rtscts". */
#include "drv.h"
#include "cd_i18n.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const struct {
    const char *name;
    enum drv_flow flow;
} flows[] = {
    {"none", DRV_FLOW_NONE},       {"rtscts", DRV_FLOW_RTSCTS}, {"xonxoff", DRV_FLOW_XONXOFF},
    {"dtrdsr", DRV_FLOW_DTRDSR},   {"rts/cts", DRV_FLOW_RTSCTS}, {"xon/xoff", DRV_FLOW_XONXOFF},
    {"dtr/dsr", DRV_FLOW_DTRDSR},
};

static const char parity_letters[] = "NOEMS";

int drv_serial_settings_parse(const char *text, struct drv_serial_settings *out,
                              struct cd_err *err)
{
    struct drv_serial_settings s = {.baud = 9600, .data_bits = 8, .parity = DRV_PARITY_NONE,
                                    .stop_bits = 1, .flow = DRV_FLOW_NONE};
    char buf[128];
    if (text == NULL || strlen(text) >= sizeof buf)
        return cd_fail(err, CD_ERR_INVALID, _("serial settings missing or too long"));
    snprintf(buf, sizeof buf, "%s", text);
    int field = 0;
    char *save = NULL;
    for (char *tok = strtok_r(buf, ", \t", &save); tok != NULL;
         tok = strtok_r(NULL, ", \t", &save), field++) {
        if (field == 0) {
            char *end = NULL;
            long baud = strtol(tok, &end, 10);
            if (end == tok || *end != '\0' || baud < 50 || baud > 4000000)
                return cd_fail(err, CD_ERR_INVALID,
                               _("serial settings \"%s\": '%s' is not a baud rate"), text, tok);
            s.baud = (int)baud;
        } else if (field == 1) {
            const char *p = strchr(parity_letters, toupper((unsigned char)tok[1]));
            if (strlen(tok) != 3 || tok[0] < '5' || tok[0] > '8' || tok[1] == '\0' || p == NULL ||
                (tok[2] != '1' && tok[2] != '2'))
                return cd_fail(err, CD_ERR_INVALID,
                               _("serial settings \"%s\": '%s' is not a frame such as 8N1 or 7E2 "
                               "(data bits 5-8, parity N/O/E/M/S, stop bits 1-2)"),
                               text, tok);
            s.data_bits = tok[0] - '0';
            s.parity = (enum drv_parity)(p - parity_letters);
            s.stop_bits = tok[2] - '0';
        } else if (field == 2) {
            size_t i;
            for (i = 0; i < sizeof flows / sizeof flows[0]; i++)
                if (strcasecmp(flows[i].name, tok) == 0)
                    break;
            if (i == sizeof flows / sizeof flows[0])
                return cd_fail(err, CD_ERR_INVALID,
                               _("serial settings \"%s\": unknown flow control '%s' (none, "
                               "rtscts, xonxoff, dtrdsr)"),
                               text, tok);
            s.flow = flows[i].flow;
        } else {
            return cd_fail(err, CD_ERR_INVALID,
                           _("serial settings \"%s\": expected BAUD,FRAME[,FLOW] such as "
                           "9600,8N1 or 1200,7O1,rtscts"),
                           text);
        }
    }
    if (field == 0)
        return cd_fail(err, CD_ERR_INVALID, _("serial settings are empty"));
    *out = s;
    return 0;
}

void drv_serial_settings_format(const struct drv_serial_settings *s, char *buf, size_t cap)
{
    static const char *const flow_names[] = {"", " rtscts", " xonxoff", " dtrdsr"};
    snprintf(buf, cap, "%d %d%c%d%s", s->baud, s->data_bits, parity_letters[s->parity],
             s->stop_bits, flow_names[s->flow]);
}
