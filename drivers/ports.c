#ifndef _XOPEN_SOURCE
#define _XOPEN_SOURCE 700 /* realpath */
#endif
/* Serial port discovery (drivers/ports.h): libserialport lists the ports and
 * their USB identity; the stable names are the symlinks udev made under
 * /dev/serial/by-id, /dev/serial/by-path and /dev/caldaq (udev/README),
 * matched to a port by resolving both to the same device node. */
#include "ports.h"
#include "cd_i18n.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libserialport.h>

/* Where the kernel lists tty devices (sysfs); what libserialport reads. */
#define SYSFS_TTY "/sys/class/tty"

/* ------------------------------------------------------------ strings */

/* Copy `src` (NULL: "") into dst, cut at a UTF-8 character boundary so that
 * a long USB string never ends in half a character. */
static void copy_text(char *dst, size_t cap, const char *src)
{
    if (src == NULL)
        src = "";
    size_t len = strlen(src);
    if (len >= cap) {
        len = cap - 1;
        /* Step back over continuation bytes (10xxxxxx) to the lead byte,
         * and drop that too: its character no longer fits. */
        while (len > 0 && ((unsigned char)src[len] & 0xC0) == 0x80)
            len--;
    }
    memcpy(dst, src, len);
    dst[len] = '\0';
}

/* Natural order, so that ttyUSB2 comes before ttyUSB10. */
static int natural_cmp(const char *a, const char *b)
{
    while (*a != '\0' && *b != '\0') {
        if (isdigit((unsigned char)*a) && isdigit((unsigned char)*b)) {
            while (*a == '0')
                a++;
            while (*b == '0')
                b++;
            size_t la = 0, lb = 0;
            while (isdigit((unsigned char)a[la]))
                la++;
            while (isdigit((unsigned char)b[lb]))
                lb++;
            if (la != lb)
                return la < lb ? -1 : 1;
            int c = strncmp(a, b, la);
            if (c != 0)
                return c;
            a += la;
            b += lb;
            continue;
        }
        if (*a != *b)
            return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
        a++;
        b++;
    }
    return (*a != '\0') - (*b != '\0');
}

static int port_cmp(const void *pa, const void *pb)
{
    const struct drv_port_info *a = pa, *b = pb;
    int c = natural_cmp(a->path, b->path);
    return c != 0 ? c : strcmp(a->path, b->path);
}

/* ------------------------------------------------------------ symlinks */

/* Which field of drv_port_info a folder of links fills. */
enum link_kind { LINK_BY_ID, LINK_BY_PATH, LINK_CALDAQ };

/* The ports with their device nodes resolved once. */
struct link_scan {
    struct drv_port_info *ports;
    char **real;             /* realpath of each port's path, NULL if none */
    int *caldaq_depth;       /* depth of the caldaq link kept so far */
    size_t n;
};

/* Keep `link` for port i if it is better than what the port has: for
 * /dev/caldaq a name at the top (a lab's own) before one in a subfolder
 * (the automatic ones), then the first in byte order, so that the result
 * does not depend on the order readdir returns. */
static void offer_link(struct link_scan *s, size_t i, enum link_kind kind, const char *link,
                       int depth)
{
    struct drv_port_info *p = &s->ports[i];
    char *field = kind == LINK_BY_ID ? p->by_id
                  : kind == LINK_BY_PATH ? p->by_path
                                         : p->caldaq_link;
    size_t cap = kind == LINK_BY_ID ? sizeof p->by_id
                 : kind == LINK_BY_PATH ? sizeof p->by_path
                                        : sizeof p->caldaq_link;
    if (strlen(link) >= cap)
        return; /* would be cut: a wrong name is worse than none */
    bool better = field[0] == '\0';
    if (!better && kind == LINK_CALDAQ && depth != s->caldaq_depth[i])
        better = depth < s->caldaq_depth[i];
    else if (!better)
        better = strcmp(link, field) < 0;
    if (!better)
        return;
    memcpy(field, link, strlen(link) + 1);
    if (kind == LINK_CALDAQ)
        s->caldaq_depth[i] = depth;
}

/* Look at every entry of `dir`: symlinks that resolve to a port's device
 * node are offered to that port; with depth 0 and LINK_CALDAQ, real
 * subfolders (by-serial/, by-port/) are looked into as well. */
static int scan_dir(struct link_scan *s, const char *dir, enum link_kind kind, int depth,
                    struct cd_err *err)
{
    DIR *d = opendir(dir);
    if (d == NULL) {
        if (errno == ENOENT || errno == ENOTDIR)
            return 0; /* no adapter plugged in, or no caldaq rules installed */
        return cd_fail(err, CD_ERR_IO, _("read %s: %s"), dir, strerror(errno));
    }
    int rc = 0;
    for (;;) {
        errno = 0;
        struct dirent *e = readdir(d);
        if (e == NULL) {
            if (errno != 0)
                rc = cd_fail(err, CD_ERR_IO, _("read %s: %s"), dir, strerror(errno));
            break;
        }
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char link[1024];
        int len = snprintf(link, sizeof link, "%s/%s", dir, e->d_name);
        if (len < 0 || (size_t)len >= sizeof link)
            continue;
        struct stat st;
        if (lstat(link, &st) != 0)
            continue; /* removed while we looked (adapter unplugged) */
        if (S_ISDIR(st.st_mode)) {
            if (kind == LINK_CALDAQ && depth == 0) {
                rc = scan_dir(s, link, kind, depth + 1, err);
                if (rc != 0)
                    break;
            }
            continue;
        }
        if (!S_ISLNK(st.st_mode))
            continue;
        char *target = realpath(link, NULL);
        if (target == NULL)
            continue; /* dangling: its device is gone */
        for (size_t i = 0; i < s->n; i++)
            if (s->real[i] != NULL && strcmp(s->real[i], target) == 0)
                offer_link(s, i, kind, link, depth);
        free(target);
    }
    closedir(d);
    return rc;
}

int drv_ports_find_links(const char *dev_root, struct drv_port_info *p, size_t n,
                         struct cd_err *err)
{
    if (dev_root == NULL || (p == NULL && n > 0))
        return cd_fail(err, CD_ERR_INVALID, _("find port links: no folder or no ports given"));
    if (n == 0)
        return 0;
    struct link_scan s = {.ports = p, .n = n};
    s.real = calloc(n, sizeof *s.real);
    s.caldaq_depth = calloc(n, sizeof *s.caldaq_depth);
    int rc = 0;
    if (s.real == NULL || s.caldaq_depth == NULL) {
        rc = cd_fail(err, CD_ERR_NOMEM, _("find port links: out of memory"));
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        p[i].by_id[0] = p[i].by_path[0] = p[i].caldaq_link[0] = '\0';
        /* A node that does not resolve (listed by sysfs, not in /dev) has
         * no links to find. */
        s.real[i] = realpath(p[i].path, NULL);
    }
    static const struct {
        const char *sub;
        enum link_kind kind;
    } dirs[] = {
        {"serial/by-id", LINK_BY_ID},
        {"serial/by-path", LINK_BY_PATH},
        {"caldaq", LINK_CALDAQ},
    };
    for (size_t k = 0; k < sizeof dirs / sizeof dirs[0] && rc == 0; k++) {
        char dir[1024];
        int len = snprintf(dir, sizeof dir, "%s/%s", dev_root, dirs[k].sub);
        if (len < 0 || (size_t)len >= sizeof dir) {
            rc = cd_fail(err, CD_ERR_INVALID, _("find port links: folder name too long: %s"),
                         dev_root);
            break;
        }
        rc = scan_dir(&s, dir, dirs[k].kind, 0, err);
    }
done:
    if (s.real != NULL)
        for (size_t i = 0; i < n; i++)
            free(s.real[i]);
    free(s.real);
    free(s.caldaq_depth);
    return rc;
}

/* ------------------------------------------------------------ listing */

/* libserialport's failure as a message: the OS's words for SP_ERR_FAIL. */
static int sp_failure(enum sp_return r, const char *what, struct cd_err *err)
{
    switch (r) {
    case SP_ERR_FAIL: {
        char *msg = sp_last_error_message();
        int rc = cd_fail(err, CD_ERR_IO, "%s: %s", what, msg != NULL ? msg : "system error");
        if (msg != NULL)
            sp_free_error_message(msg);
        return rc;
    }
    case SP_ERR_MEM:
        return cd_fail(err, CD_ERR_NOMEM, _("%s: out of memory"), what);
    case SP_ERR_SUPP:
        return cd_fail(err, CD_ERR_UNSUPPORTED, _("%s: not supported on this system"), what);
    default:
        return cd_fail(err, CD_ERR_INVALID, _("%s: libserialport error %d"), what, (int)r);
    }
}

static void fill_info(const struct sp_port *sp, struct drv_port_info *p)
{
    memset(p, 0, sizeof *p);
    copy_text(p->path, sizeof p->path, sp_get_port_name(sp));
    copy_text(p->description, sizeof p->description, sp_get_port_description(sp));
    p->usb_vid = p->usb_pid = -1;
    p->usb = sp_get_port_transport(sp) == SP_TRANSPORT_USB;
    if (!p->usb)
        return;
    int vid = -1, pid = -1;
    if (sp_get_port_usb_vid_pid(sp, &vid, &pid) == SP_OK) {
        p->usb_vid = vid;
        p->usb_pid = pid;
    }
    copy_text(p->manufacturer, sizeof p->manufacturer, sp_get_port_usb_manufacturer(sp));
    copy_text(p->product, sizeof p->product, sp_get_port_usb_product(sp));
    copy_text(p->serial, sizeof p->serial, sp_get_port_usb_serial(sp));
}

int drv_ports_list_in(const char *dev_root, struct drv_port_info **out, size_t *n,
                      struct cd_err *err)
{
    if (out == NULL || n == NULL || dev_root == NULL)
        return cd_fail(err, CD_ERR_INVALID, _("list serial ports: missing argument"));
    *out = NULL;
    *n = 0;
    /* libserialport lists the tty class of sysfs. A system that shows no
     * sysfs (a chroot, a container without /sys) has no port anyone could
     * open through it either: that is an empty list, not a failure. */
    if (access(SYSFS_TTY, F_OK) != 0 && errno == ENOENT)
        return 0;
    struct sp_port **list = NULL;
    enum sp_return r = sp_list_ports(&list);
    if (r != SP_OK)
        return sp_failure(r, "list serial ports", err);
    size_t count = 0;
    while (list[count] != NULL)
        count++;
    if (count == 0) {
        sp_free_port_list(list);
        return 0;
    }
    struct drv_port_info *p = calloc(count, sizeof *p);
    if (p == NULL) {
        sp_free_port_list(list);
        return cd_fail(err, CD_ERR_NOMEM, _("list serial ports: out of memory"));
    }
    for (size_t i = 0; i < count; i++)
        fill_info(list[i], &p[i]);
    sp_free_port_list(list);
    qsort(p, count, sizeof *p, port_cmp);

    int rc = drv_ports_find_links(dev_root, p, count, err);
    if (rc != 0) {
        free(p);
        return rc;
    }
    *out = p;
    *n = count;
    return 0;
}

int drv_ports_list(struct drv_port_info **out, size_t *n, struct cd_err *err)
{
    return drv_ports_list_in("/dev", out, n, err);
}

void drv_ports_free(struct drv_port_info *p)
{
    free(p);
}
