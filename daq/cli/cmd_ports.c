/* caldaq ports: list serial ports with their USB identity and stable names. */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "drv.h"
#include "cd_i18n.h"

static const char usage_text[] = N_(
    "usage: caldaq ports [--json]\n"
    "\n"
    "List the serial ports of this computer: the device, the USB vendor and\n"
    "product ids of the adapter, its maker and serial number, and the stable\n"
    "names that point to it (/dev/caldaq/..., /dev/serial/by-id/...).\n"
    "\n"
    "Give --port a stable name: it stays the same when the adapter is plugged\n"
    "into another USB socket or the adapters are plugged in another order,\n"
    "whereas /dev/ttyUSB0 may become /dev/ttyUSB1. Names under /dev/caldaq come\n"
    "from the udev rules shipped in udev/ (see udev/README).\n"
    "\n"
    "  --json   an array of objects on stdout: path, description, usb, vid, pid\n"
    "           (4 hex digits), manufacturer, product, serial, by_id, by_path,\n"
    "           caldaq (null when absent) and accessible (whether this user may\n"
    "           open the port)\n");

static int parse_args(int argc, char **argv, bool *json)
{
    static const struct option opts[] = {
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    *json = false;
    optind = 0;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case 'j':
            *json = true;
            break;
        case 'h':
            fputs(_(usage_text), stdout);
            return -1;
        default:
            return cli_usage_error("ports", _("unknown option '%s'"), argv[optind - 1]);
        }
    }
    if (optind < argc)
        return cli_usage_error("ports", _("takes no arguments, not '%s'"), argv[optind]);
    return 0;
}

/* Whether this user may open the port for reading and writing: 0, or the
 * errno of access() (EACCES: usually not in the dialout group). */
static int access_error(const struct drv_port_info *p)
{
    return access(p->path, R_OK | W_OK) == 0 ? 0 : errno;
}

/* "FTDI FT232R USB UART": maker and product, the maker once; for a port
 * that is not USB, libserialport's description. */
static void adapter_name(const struct drv_port_info *p, char *buf, size_t cap)
{
    const char *m = p->manufacturer, *prod = p->product;
    if (!p->usb || (m[0] == '\0' && prod[0] == '\0'))
        snprintf(buf, cap, "%s", p->description);
    else if (m[0] == '\0' || strncmp(prod, m, strlen(m)) == 0)
        snprintf(buf, cap, "%s", prod);
    else if (prod[0] == '\0')
        snprintf(buf, cap, "%s", m);
    else
        snprintf(buf, cap, "%s %s", m, prod);
}

static void vid_pid(const struct drv_port_info *p, char *buf, size_t cap)
{
    if (p->usb_vid >= 0 && p->usb_pid >= 0)
        snprintf(buf, cap, "%04x:%04x", (unsigned)p->usb_vid & 0xFFFFu,
                 (unsigned)p->usb_pid & 0xFFFFu);
    else
        snprintf(buf, cap, "-");
}

/* ------------------------------------------------------------ text output */

/* Characters on screen, not bytes: UTF-8 continuation bytes take no column. */
static size_t text_width(const char *s)
{
    size_t w = 0;
    for (; *s != '\0'; s++)
        if (((unsigned char)*s & 0xC0) != 0x80)
            w++;
    return w;
}

static void print_cell(const char *s, size_t width)
{
    const char *text = s[0] != '\0' ? s : "-";
    fputs(text, stdout);
    for (size_t w = text_width(text); w < width; w++)
        putchar(' ');
}

static void max_width(size_t *w, const char *s)
{
    size_t n = s[0] != '\0' ? text_width(s) : 1;
    if (n > *w)
        *w = n;
}

static void print_none(void)
{
    printf(_("No serial ports found.\n"
           "\n"
           "  - Plug the adapter in and run 'caldaq ports' again; 'sudo dmesg | tail' shows\n"
           "    whether the kernel saw it (look for ttyUSB or ttyACM).\n"
           "  - On Ubuntu 22.04 and Linux Mint, brltty takes CH340 and CP210x adapters away\n"
           "    (dmesg: \"interface 0 claimed by ch341 while 'brltty' sets config\"):\n"
           "    remove it with 'sudo apt remove brltty'.\n"
           "  - Opening a port needs the dialout group: 'sudo usermod -aG dialout $USER',\n"
           "    then log out and in again.\n"
           "  - Stable names under /dev/caldaq come from udev/60-caldaq.rules: see\n"
           "    udev/README for installing it and naming your own adapters.\n"));
}

static void print_text(const struct drv_port_info *p, size_t n)
{
    if (n == 0) {
        print_none();
        return;
    }
    char (*adapter)[260] = calloc(n, sizeof *adapter);
    char (*ids)[24] = calloc(n, sizeof *ids);
    if (adapter == NULL || ids == NULL) {
        free(adapter);
        free(ids);
        /* Plain listing: still useful when the table cannot be laid out. */
        for (size_t i = 0; i < n; i++)
            printf("%s\n", p[i].path);
        return;
    }
    size_t w_path = strlen("PORT"), w_ids = strlen("VID:PID"), w_adapter = strlen("ADAPTER"),
           w_serial = strlen("SERIAL");
    for (size_t i = 0; i < n; i++) {
        adapter_name(&p[i], adapter[i], sizeof adapter[i]);
        vid_pid(&p[i], ids[i], sizeof ids[i]);
        max_width(&w_path, p[i].path);
        max_width(&w_ids, ids[i]);
        max_width(&w_adapter, adapter[i]);
        max_width(&w_serial, p[i].serial);
    }
    size_t no_caldaq = 0, no_access = 0;
    print_cell("PORT", w_path + 2);
    print_cell("VID:PID", w_ids + 2);
    print_cell("ADAPTER", w_adapter + 2);
    print_cell("SERIAL", w_serial + 2);
    printf(_("CALDAQ NAME\n"));
    for (size_t i = 0; i < n; i++) {
        int acc = access_error(&p[i]);
        print_cell(p[i].path, w_path + 2);
        print_cell(ids[i], w_ids + 2);
        print_cell(adapter[i], w_adapter + 2);
        print_cell(p[i].serial, w_serial + 2);
        print_cell(p[i].caldaq_link, 0);
        if (acc == 0)
            printf("\n");
        else if (acc == EACCES || acc == EPERM)
            printf(_("  (no permission)\n"));
        else
            printf("  (%s)\n", strerror(acc));
        if (p[i].by_id[0] != '\0')
            printf(_("%*s  by-id:   %s\n"), (int)w_path, "", p[i].by_id);
        if (p[i].by_path[0] != '\0')
            printf(_("%*s  by-path: %s\n"), (int)w_path, "", p[i].by_path);
        if (p[i].usb && p[i].caldaq_link[0] == '\0')
            no_caldaq++;
        if (acc == EACCES || acc == EPERM)
            no_access++;
    }
    if (no_access > 0)
        printf(_("\n%zu port%s cannot be opened by this user: 'sudo usermod -aG dialout $USER',\n"
               "then log out and in again.\n"),
               no_access, no_access == 1 ? "" : "s");
    if (no_caldaq > 0)
        printf(_("\n%zu USB adapter%s no /dev/caldaq name: install udev/60-caldaq.rules, or\n"
               "name your own adapters (udev/README). Meanwhile the by-id name is stable.\n"),
               no_caldaq, no_caldaq == 1 ? " has" : "s have");
    free(adapter);
    free(ids);
}

/* ------------------------------------------------------------ JSON output */

/* A JSON string, or null for "". Bytes that are not UTF-8 (a badly made
 * USB descriptor) become '?', since JSON text must be UTF-8. */
static json_t *json_text(const char *s)
{
    if (s[0] == '\0')
        return json_null();
    json_t *j = json_string(s);
    if (j != NULL)
        return j;
    char *copy = strdup(s);
    if (copy == NULL)
        return NULL;
    for (char *c = copy; *c != '\0'; c++)
        if ((unsigned char)*c >= 0x80)
            *c = '?';
    j = json_string(copy);
    free(copy);
    return j;
}

static json_t *json_hex16(int v)
{
    if (v < 0)
        return json_null();
    char buf[16];
    snprintf(buf, sizeof buf, "%04x", (unsigned)v & 0xFFFFu);
    return json_string(buf);
}

static json_t *json_ports(const struct drv_port_info *p, size_t n)
{
    json_t *arr = json_array();
    if (arr == NULL)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        json_t *o = json_object();
        if (o == NULL || json_array_append_new(arr, o) != 0) {
            json_decref(arr);
            return NULL;
        }
        int bad = 0;
        bad |= json_object_set_new(o, "path", json_string(p[i].path));
        bad |= json_object_set_new(o, "description", json_text(p[i].description));
        bad |= json_object_set_new(o, "usb", json_boolean(p[i].usb));
        bad |= json_object_set_new(o, "vid", json_hex16(p[i].usb_vid));
        bad |= json_object_set_new(o, "pid", json_hex16(p[i].usb_pid));
        bad |= json_object_set_new(o, "manufacturer", json_text(p[i].manufacturer));
        bad |= json_object_set_new(o, "product", json_text(p[i].product));
        bad |= json_object_set_new(o, "serial", json_text(p[i].serial));
        bad |= json_object_set_new(o, "by_id", json_text(p[i].by_id));
        bad |= json_object_set_new(o, "by_path", json_text(p[i].by_path));
        bad |= json_object_set_new(o, "caldaq", json_text(p[i].caldaq_link));
        bad |= json_object_set_new(o, "accessible", json_boolean(access_error(&p[i]) == 0));
        if (bad != 0) {
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

/* ------------------------------------------------------------ command */

int cmd_ports(int argc, char **argv)
{
    bool json;
    int rc = parse_args(argc, argv, &json);
    if (rc != 0)
        return rc < 0 ? 0 : rc;

    struct cd_err err = {0};
    struct drv_port_info *ports = NULL;
    size_t n = 0;
    if (drv_ports_list(&ports, &n, &err) != 0)
        return cli_error("ports", "%s", cd_err_text(&err));
    int status = 0;
    if (json) {
        json_t *root = json_ports(ports, n);
        status = root != NULL ? cli_json_print(root) : cli_error("ports", _("out of memory"));
    } else {
        print_text(ports, n);
    }
    drv_ports_free(ports);
    return status;
}
