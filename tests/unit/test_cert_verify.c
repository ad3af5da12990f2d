/* Checking issued certificates (daq/cert/cert_sign.c, cert_issue.c), with
 * files forged the way an attacker would, signed with real keys: signature
 * files with a line changed, added, missing or reformatted; manifests that
 * name files outside their folder; certificate numbers that would leave
 * --out or be cut. Each case once passed, or was never looked at. */
#include <dirent.h>
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

#include "test_support.h"

#include "cert.h"

struct fx {
    char dir[256];
    char key[320], other[320];  /* two lab keys; .pub beside each */
};

static void path_in(const struct fx *f, const char *name, char *out, size_t cap)
{
    snprintf(out, cap, "%s/%s", f->dir, name);
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

static void read_text(const char *path, char *out, size_t cap)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    size_t n = fread(out, 1, cap - 1, f);
    out[n] = '\0';
    fclose(f);
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    if (f == NULL)
        return -1;
    const char *tmp = getenv("TMPDIR");
    snprintf(f->dir, sizeof f->dir, "%s/test_cert_verify.XXXXXX", tmp != NULL ? tmp : "/tmp");
    if (mkdtemp(f->dir) == NULL)
        return -1;
    struct cd_err err = {0};
    path_in(f, "lab.key", f->key, sizeof f->key);
    path_in(f, "other.key", f->other, sizeof f->other);
    if (cert_keygen(f->key, &err) != 0 || cert_keygen(f->other, &err) != 0)
        return -1;
    *state = f;
    return 0;
}

/* The scratch folder holds files only (a flat folder). */
static int teardown(void **state)
{
    struct fx *f = *state;
    DIR *d = opendir(f->dir);
    struct dirent *e;
    while (d != NULL && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char p[600];
        snprintf(p, sizeof p, "%s/%s", f->dir, e->d_name);
        unlink(p);
    }
    if (d != NULL)
        closedir(d);
    rmdir(f->dir);
    free(f);
    return 0;
}

/* A signed file NAME with some content. */
static void signed_file(const struct fx *f, const char *name, const char *key, char *path,
                        size_t cap)
{
    struct cd_err err = {0};
    path_in(f, name, path, cap);
    write_text(path, "%PDF-1.5 a certificate, as far as this test cares\n");
    if (cert_sign_file(path, key, &err) != 0)
        fail_msg("%s", err.msg);
}

static int verify(const char *path, struct cd_err *err)
{
    char report[8192];
    cd_err_clear(err);
    return cert_verify_file(path, NULL, NULL, report, sizeof report, err);
}

/* ------------------------------------------------------------ .sig lines */

static void test_sig_as_written_verifies(void **state)
{
    struct fx *f = *state;
    char path[512], signer[65] = "", report[8192], pub[400];
    struct cd_err err = {0};
    signed_file(f, "N.pdf", f->key, path, sizeof path);
    if (cert_verify_file(path, NULL, signer, report, sizeof report, &err) != 0)
        fail_msg("%s", err.msg);
    snprintf(pub, sizeof pub, "%s.pub", f->key);
    char pubtext[200];
    read_text(pub, pubtext, sizeof pubtext);
    pubtext[strcspn(pubtext, "\n")] = '\0';
    assert_string_equal(signer, pubtext);
    assert_non_null(strstr(report, "signature good"));
}

/* Rewrites line `line` (1-based) of PATH.sig with `text` (NULL: drops it),
 * or appends `text` when line is 4. */
static void edit_sig(const char *path, int line, const char *text)
{
    char sig[600], body[2048], out[4096] = "";
    snprintf(sig, sizeof sig, "%s.sig", path);
    read_text(sig, body, sizeof body);
    char *save = NULL;
    int i = 1;
    for (char *l = strtok_r(body, "\n", &save); l != NULL; l = strtok_r(NULL, "\n", &save), i++) {
        const char *use = i == line ? text : l;
        if (use != NULL) {
            strcat(out, use);
            strcat(out, "\n");
        }
    }
    if (line == 4) {
        strcat(out, text);
        strcat(out, "\n");
    }
    write_text(sig, out);
}

static void test_sig_sha256_line_is_checked(void **state)
{
    struct fx *f = *state;
    char path[512];
    struct cd_err err = {0};
    /* any text on the sha256 line once verified */
    signed_file(f, "N.pdf", f->key, path, sizeof path);
    edit_sig(path, 3, "sha256 hello");
    assert_int_equal(verify(path, &err), CD_ERR_PARSE);
    assert_non_null(strstr(err.msg, ".sig:3:"));
    assert_non_null(strstr(err.msg, "sha256"));
    /* a well-formed digest that is not the file's: the .sig was altered */
    signed_file(f, "N.pdf", f->key, path, sizeof path);
    edit_sig(path, 3, "sha256 0000000000000000000000000000000000000000000000000000000000000000");
    assert_int_equal(verify(path, &err), CD_ERR_INVALID);
    assert_non_null(strstr(err.msg, "sha256 line"));
    assert_non_null(strstr(err.msg, "altered"));
}

static void test_sig_every_line_is_checked(void **state)
{
    struct fx *f = *state;
    char path[512], sig[600], body[2048];
    struct cd_err err = {0};
    static const struct {
        int line;
        const char *text;
        const char *says;
    } cases[] = {
        {4, "comment anything at all", ".sig:4: not a caldaq signature file: an unknown line"},
        {4, "", ".sig:4:"},
        {3, NULL, ".sig:3:"},                       /* the sha256 line missing */
        {2, NULL, ".sig:2:"},                       /* the key missing */
        {1, "ed25519 00", ".sig:1:"},               /* a signature too short */
        {2, "public-key  ", ".sig:2:"},
        {1, "rsa 00", ".sig:1:"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        signed_file(f, "N.pdf", f->key, path, sizeof path);
        edit_sig(path, cases[i].line, cases[i].text);
        assert_int_equal(verify(path, &err), CD_ERR_PARSE);
        if (strstr(err.msg, cases[i].says) == NULL)
            fail_msg("case %zu: '%s' does not say '%s'", i, err.msg, cases[i].says);
    }
    /* the right lines, but reformatted: CRLF, upper-case hex, a trailing
     * space, no final newline, the lines swapped */
    const char *mangle[] = {"crlf", "upper", "space", "nonl", "swap"};
    for (size_t m = 0; m < sizeof mangle / sizeof mangle[0]; m++) {
        signed_file(f, "N.pdf", f->key, path, sizeof path);
        snprintf(sig, sizeof sig, "%s.sig", path);
        read_text(sig, body, sizeof body);
        char out[4096] = "";
        if (strcmp(mangle[m], "crlf") == 0) {
            size_t o = 0;
            for (const char *c = body; *c; c++) {
                if (*c == '\n')
                    out[o++] = '\r';
                out[o++] = *c;
            }
            out[o] = '\0';
        } else if (strcmp(mangle[m], "upper") == 0) {
            snprintf(out, sizeof out, "%s", body);
            char *sp = strchr(strchr(out, '\n') + 1, ' ') + 1; /* the public key */
            for (; *sp != '\n'; sp++)
                if (*sp >= 'a' && *sp <= 'f')
                    *sp = (char)(*sp - 'a' + 'A');
        } else if (strcmp(mangle[m], "space") == 0) {
            snprintf(out, sizeof out, "%s", body);
            char *nl = strchr(out, '\n');
            memmove(nl + 1, nl, strlen(nl) + 1);
            *nl = ' ';
        } else if (strcmp(mangle[m], "nonl") == 0) {
            snprintf(out, sizeof out, "%s", body);
            out[strlen(out) - 1] = '\0';
        } else {
            char *l2 = strchr(body, '\n') + 1;
            char *l3 = strchr(l2, '\n') + 1;
            snprintf(out, sizeof out, "%.*s%.*s%s", (int)(l3 - l2), l2, (int)(l2 - body), body,
                     l3);
        }
        write_text(sig, out);
        if (verify(path, &err) != CD_ERR_PARSE)
            fail_msg("%s: accepted (%s)", mangle[m], err.msg);
    }
    /* a huge signature file, and an empty one */
    signed_file(f, "N.pdf", f->key, path, sizeof path);
    snprintf(sig, sizeof sig, "%s.sig", path);
    FILE *big = fopen(sig, "ab");
    assert_non_null(big);
    for (int i = 0; i < 100000; i++)
        fputs("sha256 0123456789\n", big);
    fclose(big);
    assert_int_equal(verify(path, &err), CD_ERR_PARSE);
    write_text(sig, "");
    assert_int_equal(verify(path, &err), CD_ERR_PARSE);
}

/* ------------------------------------------------------------ numbers */

static void test_number_check(void **state)
{
    (void)state;
    static const char *const good[] = {"VD-HC-2026-0001", "KD-2026-15", "A", "a_b-9",
                                       "VD-HC-2026-192BD17F"};
    static const char *const bad[] = {"",        "../../../victim", "KĐ/2026/15", "a/b",
                                      "a\\b",    ".hidden",         "-rf",        "A-",
                                      "_A",      "A B",             "A.pdf",      "a..b",
                                      "KĐ-2026", "A\nB",            "A\x1b[31m",  "A:B"};
    struct cd_err err = {0};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        cd_err_clear(&err);
        if (cert_number_check(good[i], "n", CERT_NUMBER_MAX, &err) != 0)
            fail_msg("'%s' refused: %s", good[i], err.msg);
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cd_err_clear(&err);
        if (cert_number_check(bad[i], "n", CERT_NUMBER_MAX, &err) != CD_ERR_INVALID)
            fail_msg("'%s' accepted", bad[i]);
        assert_int_equal(strncmp(err.msg, "n ", 2), 0);
        assert_null(strchr(err.msg, '\x1b')); /* shown without the escape */
    }
    /* 63 bytes fit, 64 are refused: never cut */
    char n[80];
    memset(n, 'A', 63);
    n[63] = '\0';
    assert_int_equal(cert_number_check(n, "n", CERT_NUMBER_MAX, &err), 0);
    strcat(n, "B");
    cd_err_clear(&err);
    assert_int_equal(cert_number_check(n, "n", CERT_NUMBER_MAX, &err), CD_ERR_INVALID);
    assert_non_null(strstr(err.msg, "at most 63"));
}

/* ------------------------------------------------------------ manifests */

/* A certificate NUMBER in the scratch folder: NUMBER.pdf signed with
 * `file_key`, and a manifest listing `listed` (NULL: NUMBER.pdf) with the
 * PDF's SHA-256, signed with `manifest_key`. */
static void make_cert(const struct fx *f, const char *number, const char *file_key,
                      const char *manifest_key, const char *listed, char *manifest,
                      size_t cap)
{
    char name[128], pdf[512], sha[65];
    struct cd_err err = {0};
    snprintf(name, sizeof name, "%s.pdf", number);
    signed_file(f, name, file_key, pdf, sizeof pdf);
    if (cert_sha256_file(pdf, sha, &err) != 0)
        fail_msg("%s", err.msg);
    snprintf(name, sizeof name, "%s.manifest.json", number);
    path_in(f, name, manifest, cap);
    char text[2048];
    snprintf(text, sizeof text,
             "{\"schema\": \"caldaq-certificate-manifest/1\", \"number\": \"%s\", "
             "\"run_id\": \"x\", \"run_sha256\": \"%064d\", \"files\": {\"%s\": \"%s\"}}\n",
             number, 0, listed != NULL ? listed : strrchr(pdf, '/') + 1, sha);
    write_text(manifest, text);
    if (cert_sign_file(manifest, manifest_key, &err) != 0)
        fail_msg("%s", err.msg);
}

static int check(const char *path, const char *pub, struct cert_check_result *r, char *report,
                 size_t cap, struct cd_err *err)
{
    FILE *out = fmemopen(report, cap, "w");
    assert_non_null(out);
    cd_err_clear(err);
    int rc = cert_check(path, pub, NULL, out, r, err);
    fclose(out);
    return rc;
}

static void test_manifest_names_only_its_files(void **state)
{
    struct fx *f = *state;
    char manifest[512], report[16384], pub[400];
    struct cert_check_result r;
    struct cd_err err = {0};
    snprintf(pub, sizeof pub, "%s.pub", f->key);
    make_cert(f, "N-1", f->key, f->key, NULL, manifest, sizeof manifest);
    assert_int_equal(check(manifest, pub, &r, report, sizeof report, &err), 0);
    assert_int_equal(r.failures, 0);
    /* a signed manifest that sends the check to another file */
    make_cert(f, "N-2", f->key, f->key, "../../../etc/passwd", manifest, sizeof manifest);
    assert_int_equal(check(manifest, pub, &r, report, sizeof report, &err), 0);
    assert_int_equal(r.failures, 1);
    assert_non_null(strstr(report, "not a file of certificate N-2"));
    /* a manifest whose number is not a number */
    make_cert(f, "N-3", f->key, f->key, NULL, manifest, sizeof manifest);
    char text[2048];
    read_text(manifest, text, sizeof text);
    char *num = strstr(text, "\"N-3\"");
    assert_non_null(num);
    memcpy(num, "\"../\"", 5);
    write_text(manifest, text);
    if (cert_sign_file(manifest, f->key, &err) != 0)
        fail_msg("%s", err.msg);
    assert_int_equal(check(manifest, pub, &r, report, sizeof report, &err), CD_ERR_PARSE);
    assert_non_null(strstr(err.msg, "not a caldaq manifest"));
    /* signed manifests with nothing to check, or no run hash to check a
     * run against (a NULL once compared with strcmp) */
    static const struct {
        const char *text, *says;
    } empty[] = {
        {"{\"number\": \"N-4\", \"run_sha256\": \"%064d\", \"files\": {}}", "no files"},
        {"{\"number\": \"N-4\", \"run_sha256\": \"%064d\", \"files\": []}", "no files"},
        {"{\"number\": \"N-4\", \"files\": {\"N-4.pdf\": \"%064d\"}}", "no run_sha256"},
        {"{\"number\": 4, \"files\": {\"N-4.pdf\": \"%064d\"}}", "no number"},
    };
    path_in(f, "N-4.manifest.json", manifest, sizeof manifest);
    for (size_t i = 0; i < sizeof empty / sizeof empty[0]; i++) {
        snprintf(text, sizeof text, empty[i].text, 0);
        write_text(manifest, text);
        if (cert_sign_file(manifest, f->key, &err) != 0)
            fail_msg("%s", err.msg);
        FILE *out = fmemopen(report, sizeof report, "w");
        cd_err_clear(&err);
        assert_int_equal(cert_check(manifest, pub, manifest, out, &r, &err), CD_ERR_PARSE);
        fclose(out);
        if (strstr(err.msg, empty[i].says) == NULL)
            fail_msg("case %zu: '%s' does not say '%s'", i, err.msg, empty[i].says);
    }
}

/* ------------------------------------------------------------ trust */

static void read_pub(const char *key, char pub[65])
{
    char path[400], text[200];
    snprintf(path, sizeof path, "%s.pub", key);
    read_text(path, text, sizeof text);
    snprintf(pub, 65, "%.64s", text);
}

static void test_trust_is_said(void **state)
{
    struct fx *f = *state;
    char manifest[512], report[16384], pub[400], other_pub[400], hex[65];
    struct cert_check_result r;
    struct cd_err err = {0};
    snprintf(pub, sizeof pub, "%s.pub", f->key);
    snprintf(other_pub, sizeof other_pub, "%s.pub", f->other);
    read_pub(f->key, hex);
    make_cert(f, "N-1", f->key, f->key, NULL, manifest, sizeof manifest);
    /* no key given: intact, not trusted, the signer named in full */
    assert_int_equal(check(manifest, NULL, &r, report, sizeof report, &err), 0);
    assert_int_equal(r.failures, 0);
    assert_false(r.trusted);
    assert_string_equal(r.signer, hex);
    assert_non_null(strstr(report, "signed by a key caldaq was not told to trust"));
    assert_non_null(strstr(report, hex));
    /* the lab's key: trusted */
    assert_int_equal(check(manifest, pub, &r, report, sizeof report, &err), 0);
    assert_int_equal(r.failures, 0);
    assert_true(r.trusted);
    assert_non_null(strstr(report, "certificate N-1: intact"));
    /* another lab's key: refused at the manifest */
    assert_int_equal(check(manifest, other_pub, &r, report, sizeof report, &err),
                     CD_ERR_INVALID);
    assert_non_null(strstr(err.msg, "not the lab's key"));
    /* a public key file that is not one */
    char junk[512];
    path_in(f, "junk.pub", junk, sizeof junk);
    write_text(junk, "hello\n");
    assert_int_equal(check(manifest, junk, &r, report, sizeof report, &err), CD_ERR_PARSE);
}

/* A file re-signed by another key than the manifest's once passed when no
 * key was given: each file was checked against the key in its own .sig. */
static void test_one_signer_per_certificate(void **state)
{
    struct fx *f = *state;
    char manifest[512], report[16384], pub[400];
    struct cert_check_result r;
    struct cd_err err = {0};
    snprintf(pub, sizeof pub, "%s.pub", f->key);
    make_cert(f, "N-1", f->other, f->key, NULL, manifest, sizeof manifest);
    assert_int_equal(check(manifest, NULL, &r, report, sizeof report, &err), 0);
    assert_int_equal(r.failures, 1);
    assert_non_null(strstr(report, "N-1.pdf: FAILED: signed with key"));
    assert_non_null(strstr(report, "not the key that signed the manifest"));
    assert_non_null(strstr(report, "certificate N-1: NOT intact"));
    assert_int_equal(check(manifest, pub, &r, report, sizeof report, &err), 0);
    assert_int_equal(r.failures, 1);
    assert_non_null(strstr(report, "not the lab's key"));
}

int main(void)
{
    use_build_locale();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_sig_as_written_verifies, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sig_sha256_line_is_checked, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sig_every_line_is_checked, setup, teardown),
        cmocka_unit_test(test_number_check),
        cmocka_unit_test_setup_teardown(test_manifest_names_only_its_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_trust_is_said, setup, teardown),
        cmocka_unit_test_setup_teardown(test_one_signer_per_certificate, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
