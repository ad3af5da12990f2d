/* Serial port discovery (drivers/ports.c): the mapping from the symlinks
 * udev makes (/dev/serial/by-id, /dev/serial/by-path, /dev/caldaq) to the
 * ports they point to, checked on a scratch folder laid out like /dev with
 * regular files standing in for the device nodes; then the real listing on
 * this machine, which may have no serial port at all. */
#ifndef _XOPEN_SOURCE
#define _XOPEN_SOURCE 700 /* nftw, realpath */
#endif
#include <errno.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "ports.h"

/* A scratch "/dev": made with mkdtemp, removed whole by the teardown. */
struct scratch {
    char root[256];
};

static int scratch_setup(void **state)
{
    struct scratch *s = calloc(1, sizeof *s);
    if (s == NULL)
        return -1;
    const char *tmp = getenv("TMPDIR");
    snprintf(s->root, sizeof s->root, "%s/test_ports.XXXXXX", tmp != NULL ? tmp : "/tmp");
    if (mkdtemp(s->root) == NULL) {
        free(s);
        return -1;
    }
    *state = s;
    return 0;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static int scratch_teardown(void **state)
{
    struct scratch *s = *state;
    int rc = nftw(s->root, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(s);
    return rc == 0 ? 0 : -1;
}

/* root/<rel> written into buf. */
static const char *at(const struct scratch *s, const char *rel, char *buf, size_t cap)
{
    int n = snprintf(buf, cap, "%s/%s", s->root, rel);
    assert_true(n > 0 && (size_t)n < cap);
    return buf;
}

static void make_dir(const struct scratch *s, const char *rel)
{
    char path[512];
    assert_int_equal(mkdir(at(s, rel, path, sizeof path), 0755), 0);
}

static void make_file(const struct scratch *s, const char *rel)
{
    char path[512];
    FILE *f = fopen(at(s, rel, path, sizeof path), "w");
    assert_non_null(f);
    assert_int_equal(fclose(f), 0);
}

/* A symlink at root/<rel> holding `target` as given (relative or not). */
static void make_link(const struct scratch *s, const char *rel, const char *target)
{
    char path[512];
    assert_int_equal(symlink(target, at(s, rel, path, sizeof path)), 0);
}

static void set_port(const struct scratch *s, struct drv_port_info *p, const char *rel)
{
    memset(p, 0, sizeof *p);
    at(s, rel, p->path, sizeof p->path);
}

/* root/<rel> as a port field must show it. */
static void assert_link(const struct scratch *s, const char *field, const char *rel)
{
    char want[512];
    assert_string_equal(field, at(s, rel, want, sizeof want));
}

/* ------------------------------------------------------------ the mapping */

/* The layout udev gives two adapters: an FTDI with a serial number, named
 * by the lab (balance1) and by the shipped rules (by-serial/), and a CH340
 * without one, known by its USB socket only. */
static void test_links_map_to_their_ports(void **state)
{
    struct scratch *s = *state;
    make_file(s, "ttyFAKE0");
    make_file(s, "ttyFAKE1");
    make_file(s, "ttyNOLINK");
    make_dir(s, "serial");
    make_dir(s, "serial/by-id");
    make_dir(s, "serial/by-path");
    make_dir(s, "caldaq");
    make_dir(s, "caldaq/by-serial");
    make_dir(s, "caldaq/by-port");
    /* Relative targets, as udev writes them. */
    make_link(s, "serial/by-id/usb-FTDI_FT232R_USB_UART_A50285BI-if00-port0", "../../ttyFAKE0");
    make_link(s, "serial/by-id/usb-1a86_USB_Serial-if00-port0", "../../ttyFAKE1");
    make_link(s, "serial/by-path/pci-0000:00:14.0-usb-0:2:1.0-port0", "../../ttyFAKE0");
    make_link(s, "serial/by-path/pci-0000:00:14.0-usb-0:3:1.0-port0", "../../ttyFAKE1");
    make_link(s, "caldaq/by-serial/ftdi-A50285BI-if00", "../../ttyFAKE0");
    make_link(s, "caldaq/by-port/ch34x-pci-0000:00:14.0-usb-0:3:1.0", "../../ttyFAKE1");
    make_link(s, "caldaq/balance1", "../ttyFAKE0");
    /* An absolute target; a lab name after balance1 in byte order. */
    char abs0[512];
    make_link(s, "caldaq/zz-balance", at(s, "ttyFAKE0", abs0, sizeof abs0));
    /* Noise the scan must step over. */
    make_link(s, "caldaq/gone", "../ttyGONE");   /* dangling: adapter unplugged */
    make_link(s, "caldaq/loop", "loop");         /* points at itself */
    make_file(s, "serial/by-id/not-a-link");
    make_link(s, "serial/by-id/to-a-folder", "..");

    struct drv_port_info p[4];
    set_port(s, &p[0], "ttyFAKE0");
    set_port(s, &p[1], "ttyFAKE1");
    set_port(s, &p[2], "ttyNOLINK");
    set_port(s, &p[3], "ttyABSENT"); /* listed by sysfs, no node in /dev */
    strcpy(p[2].by_id, "stale");      /* fields are reset, not kept */

    struct cd_err err = {0};
    assert_int_equal(drv_ports_find_links(s->root, p, 4, &err), 0);
    assert_int_equal(err.code, 0);

    assert_link(s, p[0].by_id, "serial/by-id/usb-FTDI_FT232R_USB_UART_A50285BI-if00-port0");
    assert_link(s, p[0].by_path, "serial/by-path/pci-0000:00:14.0-usb-0:2:1.0-port0");
    /* The lab's own name wins over the automatic one, then byte order. */
    assert_link(s, p[0].caldaq_link, "caldaq/balance1");

    assert_link(s, p[1].by_id, "serial/by-id/usb-1a86_USB_Serial-if00-port0");
    assert_link(s, p[1].by_path, "serial/by-path/pci-0000:00:14.0-usb-0:3:1.0-port0");
    /* Only an automatic name: it is shown. */
    assert_link(s, p[1].caldaq_link, "caldaq/by-port/ch34x-pci-0000:00:14.0-usb-0:3:1.0");

    for (size_t i = 2; i < 4; i++) {
        assert_string_equal(p[i].by_id, "");
        assert_string_equal(p[i].by_path, "");
        assert_string_equal(p[i].caldaq_link, "");
    }
}

/* Two by-id links to one port (it happens when a serial number is not
 * unique): the first in byte order, whatever order readdir gives. */
static void test_several_links_pick_the_first(void **state)
{
    struct scratch *s = *state;
    make_file(s, "ttyUSB0");
    make_dir(s, "serial");
    make_dir(s, "serial/by-id");
    make_dir(s, "caldaq");
    make_dir(s, "caldaq/by-serial");
    make_link(s, "serial/by-id/usb-b", "../../ttyUSB0");
    make_link(s, "serial/by-id/usb-a", "../../ttyUSB0");
    make_link(s, "serial/by-id/usb-c", "../../ttyUSB0");
    make_link(s, "caldaq/by-serial/cp210x-2", "../../ttyUSB0");
    make_link(s, "caldaq/by-serial/cp210x-1", "../../ttyUSB0");

    struct drv_port_info p;
    set_port(s, &p, "ttyUSB0");
    struct cd_err err = {0};
    assert_int_equal(drv_ports_find_links(s->root, &p, 1, &err), 0);
    assert_link(s, p.by_id, "serial/by-id/usb-a");
    assert_link(s, p.caldaq_link, "caldaq/by-serial/cp210x-1");
    /* No serial/by-path folder at all: not an error, no name. */
    assert_string_equal(p.by_path, "");
}

/* A /dev without any of the folders (no adapter, no rules): no names. */
static void test_missing_folders_are_not_errors(void **state)
{
    struct scratch *s = *state;
    make_file(s, "ttyS0");
    make_file(s, "serial"); /* a file where a folder would be */
    struct drv_port_info p;
    set_port(s, &p, "ttyS0");
    struct cd_err err = {0};
    assert_int_equal(drv_ports_find_links(s->root, &p, 1, &err), 0);
    assert_string_equal(p.by_id, "");
    assert_string_equal(p.by_path, "");
    assert_string_equal(p.caldaq_link, "");

    /* A dev root that does not exist at all. */
    char none[512];
    assert_int_equal(drv_ports_find_links(at(s, "nothing-here", none, sizeof none), &p, 1,
                                          &err),
                     0);
}

/* A folder that exists but cannot be read is an error that names it. The
 * test runs as root too, where permissions do not stop opendir: a symlink
 * loop does (ELOOP). */
static void test_unreadable_folder_is_an_error(void **state)
{
    struct scratch *s = *state;
    make_file(s, "ttyUSB0");
    make_link(s, "caldaq", "caldaq");
    struct drv_port_info p;
    set_port(s, &p, "ttyUSB0");
    struct cd_err err = {0};
    assert_int_equal(drv_ports_find_links(s->root, &p, 1, &err), CD_ERR_IO);
    assert_int_equal(err.code, CD_ERR_IO);
    assert_non_null(strstr(err.msg, "/caldaq"));
    assert_non_null(strstr(err.msg, strerror(ELOOP)));
}

static void test_bad_arguments(void **state)
{
    (void)state;
    struct cd_err err = {0};
    struct drv_port_info p = {.path = "/dev/null"};
    assert_int_equal(drv_ports_find_links(NULL, &p, 1, &err), CD_ERR_INVALID);
    cd_err_clear(&err);
    assert_int_equal(drv_ports_find_links("/dev", NULL, 1, &err), CD_ERR_INVALID);
    cd_err_clear(&err);
    assert_int_equal(drv_ports_find_links("/dev", NULL, 0, &err), 0);

    struct drv_port_info *list = NULL;
    size_t n = 0;
    assert_int_equal(drv_ports_list_in(NULL, &list, &n, &err), CD_ERR_INVALID);
    assert_null(list);
    cd_err_clear(&err);
    assert_int_equal(drv_ports_list_in("/dev", NULL, &n, &err), CD_ERR_INVALID);
    drv_ports_free(NULL);
}

/* ------------------------------------------------------------ this machine */

/* The real listing works here, with or without serial ports, and every
 * entry is consistent. */
static void test_list_on_this_machine(void **state)
{
    (void)state;
    struct drv_port_info *p = NULL;
    size_t n = 99;
    struct cd_err err = {0};
    assert_int_equal(drv_ports_list(&p, &n, &err), 0);
    assert_int_equal(err.code, 0);
    if (n == 0)
        assert_null(p);
    for (size_t i = 0; i < n; i++) {
        print_message("  port %s  usb=%d  %04x:%04x  by-id=%s  caldaq=%s\n", p[i].path,
                      p[i].usb, p[i].usb_vid & 0xFFFF, p[i].usb_pid & 0xFFFF, p[i].by_id,
                      p[i].caldaq_link);
        assert_true(strncmp(p[i].path, "/dev/", 5) == 0);
        if (!p[i].usb) {
            assert_int_equal(p[i].usb_vid, -1);
            assert_int_equal(p[i].usb_pid, -1);
            assert_string_equal(p[i].serial, "");
        } else {
            assert_true(p[i].usb_vid >= -1 && p[i].usb_vid <= 0xFFFF);
        }
        if (i > 0)
            assert_true(strcmp(p[i - 1].path, p[i].path) != 0);
    }
    drv_ports_free(p);
}

/* drv_ports_list_in on a scratch /dev: with a real port on this machine,
 * a fake /dev/caldaq link to its node is found; without one, the scratch
 * links (to nothing the listing knows) change nothing. */
static void test_list_in_scratch_dev(void **state)
{
    struct scratch *s = *state;
    struct drv_port_info *real = NULL;
    size_t n_real = 0;
    struct cd_err err = {0};
    assert_int_equal(drv_ports_list(&real, &n_real, &err), 0);

    make_dir(s, "caldaq");
    make_file(s, "ttyFAKE0");
    make_link(s, "caldaq/fake", "../ttyFAKE0");
    char *node = n_real > 0 ? realpath(real[0].path, NULL) : NULL;
    if (node != NULL)
        make_link(s, "caldaq/balance1", node);

    struct drv_port_info *p = NULL;
    size_t n = 0;
    assert_int_equal(drv_ports_list_in(s->root, &p, &n, &err), 0);
    assert_int_equal(n, n_real);
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(p[i].path, real[i].path);
        assert_string_equal(p[i].by_id, ""); /* no serial/ folder in the scratch /dev */
        if (i == 0 && node != NULL)
            assert_link(s, p[i].caldaq_link, "caldaq/balance1");
        else
            assert_string_equal(p[i].caldaq_link, "");
    }
    if (node == NULL)
        print_message("  (no serial port here that resolves: only the empty case ran)\n");
    free(node);
    drv_ports_free(p);
    drv_ports_free(real);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_links_map_to_their_ports, scratch_setup,
                                        scratch_teardown),
        cmocka_unit_test_setup_teardown(test_several_links_pick_the_first, scratch_setup,
                                        scratch_teardown),
        cmocka_unit_test_setup_teardown(test_missing_folders_are_not_errors, scratch_setup,
                                        scratch_teardown),
        cmocka_unit_test_setup_teardown(test_unreadable_folder_is_an_error, scratch_setup,
                                        scratch_teardown),
        cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_list_on_this_machine),
        cmocka_unit_test_setup_teardown(test_list_in_scratch_dev, scratch_setup,
                                        scratch_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
