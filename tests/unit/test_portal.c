/* The portal's parsers of what a request or LAB.yaml brings (daq/portal/,
 * daq/cert/cert_lab.c): the language from ?lang= and Accept-Language, the
 * --listen address, loopback, run ids, dates, file names, the HTML and URL
 * escaping of the pages, the password hash, the verification address a
 * QR code carries, and LAB.yaml's verify_url and portal: keys with bad
 * input naming the key and line. Run from the repository root. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "cert.h"
#include "portal.h"
#include "portal_int.h"

static void test_lang(void **state)
{
    (void)state;
    static const struct {
        const char *arg, *accept, *want;
    } cases[] = {
        {NULL, NULL, "en"},
        {"vi", NULL, "vi"},
        {"en", "vi", "en"},
        {"fr", "vi", "vi"},
        {"VI", NULL, "en"},                                  /* ?lang= exactly */
        {NULL, "vi-VN,vi;q=0.9,en-US;q=0.8,en;q=0.7", "vi"},
        {NULL, "en-US,en;q=0.9,vi;q=0.8", "en"},
        {NULL, "fr, en;q=0.3, vi;q=0.8", "vi"},
        {NULL, "fr", "en"},
        {NULL, "vie", "en"},                                 /* not a vi tag */
        {NULL, "envi", "en"},
        {NULL, "vi;q=0", "en"},                              /* not acceptable */
        {NULL, "vi;q=2, en;q=0.5", "en"},                    /* a weight past 1 is none */
        {NULL, "vi;q=abc", "en"},
        {NULL, ";;;,,,;q=", "en"},
        {NULL, "VI-vn", "vi"},
        {NULL, "", "en"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *got = portal_lang_pick(cases[i].arg, cases[i].accept);
        if (strcmp(got, cases[i].want) != 0)
            fail_msg("lang %s / '%s': %s, not %s", cases[i].arg ? cases[i].arg : "-",
                     cases[i].accept ? cases[i].accept : "-", got, cases[i].want);
    }
    /* a header longer than the server reads: English */
    char big[600];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    memcpy(big, "vi,", 3);
    assert_string_equal(portal_lang_pick(NULL, big), "en");
}

static void test_listen(void **state)
{
    (void)state;
    static const struct {
        const char *s, *host;
        bool v6;
    } good[] = {{"127.0.0.1:8080", "127.0.0.1", false}, {"0.0.0.0:0", "0.0.0.0", false},
                {"[::1]:8080", "::1", true},             {"[::]:65535", "::", true}};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        struct sockaddr_storage ss;
        bool v6 = !good[i].v6;
        char host[64];
        struct cd_err err = {0};
        assert_int_equal(portal_listen_parse(good[i].s, &ss, &v6, host, sizeof host, &err), 0);
        assert_string_equal(host, good[i].host);
        assert_true(v6 == good[i].v6);
    }
    static const char *const bad[] = {"", ":", "8080", "localhost:8080", "127.0.0.1",
                                      "127.0.0.1:", "127.0.0.1:65536", "127.0.0.1:-1",
                                      "127.0.0.1:80x", "::1:8080", "[::1]8080", "[::1:8080",
                                      "[]:80", "1.2.3.4.5:80", "[127.0.0.1]:80", "::1", "[::1]:", "127.0.0.1:99999999999999999999"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct sockaddr_storage ss;
        bool v6;
        char host[64];
        struct cd_err err = {0};
        if (portal_listen_parse(bad[i], &ss, &v6, host, sizeof host, &err) == 0)
            fail_msg("--listen '%s' accepted", bad[i]);
        assert_non_null(strstr(err.msg, "--listen"));
    }
}

static void test_loopback(void **state)
{
    (void)state;
    assert_true(portal_is_loopback("127.0.0.1"));
    assert_true(portal_is_loopback("127.255.0.9"));
    assert_true(portal_is_loopback("::1"));
    assert_true(portal_is_loopback("::ffff:127.0.0.1"));
    assert_false(portal_is_loopback("0.0.0.0"));
    assert_false(portal_is_loopback("::"));
    assert_false(portal_is_loopback("128.0.0.1"));
    assert_false(portal_is_loopback("10.0.0.1"));
    assert_false(portal_is_loopback("::ffff:10.0.0.1"));
    assert_false(portal_is_loopback("localhost"));
    assert_false(portal_is_loopback(""));
}

static void test_checks(void **state)
{
    (void)state;
    assert_true(portal_run_id_ok("1a8da009-e8a1-415b-b27d-c2c233aa2461"));
    static const char *const bad_ids[] = {"", "1a8da009e8a1415bb27dc2c233aa2461",
                                          "1A8DA009-E8A1-415B-B27D-C2C233AA2461",
                                          "1a8da009-e8a1-415b-b27d-c2c233aa246",
                                          "1a8da009-e8a1-415b-b27d-c2c233aa24612",
                                          "../../../../../../../../../etc/passw",
                                          "1a8da009-e8a1-415b-b27d-c2c233aa246'"};
    for (size_t i = 0; i < sizeof bad_ids / sizeof bad_ids[0]; i++)
        assert_false(portal_run_id_ok(bad_ids[i]));
    assert_true(portal_date_ok("2026-12-07"));
    assert_false(portal_date_ok("2026-1-07"));
    assert_false(portal_date_ok("2026/12/07"));
    assert_false(portal_date_ok("2026-12-07'"));
    assert_false(portal_date_ok(""));
    assert_true(portal_file_name_ok("C-1.pdf"));
    assert_true(portal_file_name_ok("C-1.manifest.json.sig"));
    static const char *const bad_names[] = {"", ".", "..", ".hidden", "a/b", "../C-1.pdf",
                                            "C 1.pdf", "C-1.pdf%00", "a\\b", "é.pdf"};
    for (size_t i = 0; i < sizeof bad_names / sizeof bad_names[0]; i++)
        if (portal_file_name_ok(bad_names[i]))
            fail_msg("file name '%s' accepted", bad_names[i]);
    char long_name[200];
    memset(long_name, 'a', sizeof long_name - 1);
    long_name[sizeof long_name - 1] = '\0';
    assert_false(portal_file_name_ok(long_name));
}

static void test_escape(void **state)
{
    (void)state;
    struct buf b = {0};
    buf_h(&b, "<script>alert('x')</script> & \"q\"");
    assert_string_equal(b.p, "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;");
    buf_free(&b);
    buf_h(&b, "Công ty");
    assert_string_equal(b.p, "Công ty");
    buf_free(&b);
    buf_u(&b, "C-1_a.b~ /?#&=%\"");
    assert_string_equal(b.p, "C-1_a.b~%20%2F%3F%23%26%3D%25%22");
    buf_free(&b);
    buf_f(&b, "%s", "");
    for (int i = 0; i < 2000; i++)
        buf_f(&b, "%04d", i);   /* past the small buffer and through reallocations */
    assert_int_equal(b.n, 8000);
    assert_int_equal(strncmp(b.p + 7996, "1999", 4), 0);
    buf_free(&b);
}

static void test_password(void **state)
{
    (void)state;
    char h1[256], h2[256];
    struct cd_err err = {0};
    assert_int_equal(portal_hash_password("correct horse", h1, sizeof h1, &err), 0);
    assert_int_equal(portal_hash_password("correct horse", h2, sizeof h2, &err), 0);
    assert_int_equal(strncmp(h1, "$argon2id$", 10), 0);
    assert_string_not_equal(h1, h2);   /* salted */
    assert_int_not_equal(portal_hash_password("short", h1, sizeof h1, &err), 0);
    assert_non_null(strstr(err.msg, "at least 8"));
    struct cd_err err2 = {0};
    assert_int_not_equal(portal_hash_password("long enough", h1, 16, &err2), 0);
}

/* LAB.yaml with `extra` appended, loaded; the error text in msg */
static int lab_with(const char *extra, struct cert_lab *lab, char *msg, size_t cap)
{
    char path[] = "/tmp/caldaq-test-portal-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *in = fopen("examples/lab-example.yaml", "r");
    assert_non_null(in);
    FILE *out = fdopen(fd, "w");
    char line[1024];
    while (fgets(line, sizeof line, in) != NULL)
        fputs(line, out);
    fclose(in);
    fputs(extra, out);
    fclose(out);
    struct cd_err err = {0};
    int rc = cert_lab_load(path, lab, &err);
    snprintf(msg, cap, "%s", err.msg);
    unlink(path);
    return rc;
}

static void test_lab_keys(void **state)
{
    (void)state;
    static struct cert_lab lab;
    char msg[512];
    assert_int_equal(lab_with("verify_url: \"https://lab.example.vn/verify/\"\nportal:\n"
                              "  password_hash: \"$argon2id$v=19$m=65536,t=2,p=1$x$y\"\n"
                              "  tokens: [0123456789abcdef0123456789abcdef]\n",
                              &lab, msg, sizeof msg),
                     0);
    assert_string_equal(lab.verify_url, "https://lab.example.vn/verify/");
    assert_int_equal(lab.n_portal_tokens, 1);
    char url[256];
    struct cd_err err = {0};
    assert_int_equal(cert_verify_url(&lab, "VD-HC-2026-0001", url, sizeof url, &err), 0);
    assert_string_equal(url, "https://lab.example.vn/verify/VD-HC-2026-0001");
    assert_int_equal(cert_verify_url(&lab, "A B/é", url, sizeof url, &err), 0);
    assert_string_equal(url, "https://lab.example.vn/verify/A%20B%2F%C3%A9");
    assert_int_not_equal(cert_verify_url(&lab, "VD-HC-2026-0001", url, 20, &err), 0);
    static const struct {
        const char *yaml, *says;
    } bad[] = {
        {"verify_url: \"ftp://lab/verify/\"\n", "verify_url"},
        {"verify_url: \"https://lab/verify/<script>\"\n", "verify_url"},
        {"verify_url: \"https://lab/ver ify/\"\n", "verify_url"},
        {"portal:\n  password_hash: plain\n", "password_hash"},
        {"portal:\n  tokens: short\n", "tokens"},
        {"portal:\n  tokens: [short]\n", "tokens"},
        {"portal:\n  tokens: [\"0123456789abcdef0123456789abcdef<\"]\n", "tokens"},
        {"portal:\n  password: x\n", "password"},
        {"portal:\n  tokens: [a0123456789abcdef0123456789abcdef, b0123456789abcdef0123456789abcdef, "
         "c0123456789abcdef0123456789abcdef, d0123456789abcdef0123456789abcdef, "
         "e0123456789abcdef0123456789abcdef, f0123456789abcdef0123456789abcdef, "
         "g0123456789abcdef0123456789abcdef, h0123456789abcdef0123456789abcdef, "
         "i0123456789abcdef0123456789abcdef]\n",
         "at most 8"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (lab_with(bad[i].yaml, &lab, msg, sizeof msg) == 0)
            fail_msg("accepted: %s", bad[i].yaml);
        if (strstr(msg, bad[i].says) == NULL || strstr(msg, "caldaq-test-portal") == NULL ||
            strchr(msg, ':') == NULL)
            fail_msg("'%s': the message '%s' does not name %s and the file", bad[i].yaml, msg,
                     bad[i].says);
    }
    /* none of the keys: the text QR of before */
    assert_int_equal(lab_with("", &lab, msg, sizeof msg), 0);
    assert_string_equal(lab.verify_url, "");
    assert_int_not_equal(cert_verify_url(&lab, "X", url, sizeof url, &err), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lang),     cmocka_unit_test(test_listen),
        cmocka_unit_test(test_loopback), cmocka_unit_test(test_checks),
        cmocka_unit_test(test_escape),   cmocka_unit_test(test_password),
        cmocka_unit_test(test_lab_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
