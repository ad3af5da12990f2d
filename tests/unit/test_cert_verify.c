/* The certificate side of `caldaq verify` (daq/cmd_cert.c cmd_verify_cert)
 * against manifests that are signed but not as caldaq cert writes them:
 * verify without --pub trusts whichever key signed, so anyone can hand over
 * such a manifest. Each must be reported as not intact (status 1), never
 * crash. Found by tests/fuzz/fuzz_certverify.c; the inputs are kept in
 * tests/fuzz/regressions/certverify/. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cert.h"
#include "cli.h"

static char dir[256], key[300], cert[300], manifest[300];

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

static int group_setup(void **state)
{
    (void)state;
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/test_cert_verify.XXXXXX", tmp != NULL ? tmp : "/tmp");
    if (mkdtemp(dir) == NULL)
        return -1;
    snprintf(key, sizeof key, "%s/forger.key", dir);
    snprintf(cert, sizeof cert, "%s/C.json", dir);
    snprintf(manifest, sizeof manifest, "%s/X.manifest.json", dir);
    struct cd_err err = {0};
    if (cert_keygen(key, &err) != 0)
        return -1;
    FILE *f = fopen(cert, "w");
    if (f == NULL)
        return -1;
    fputs("{\"certificate\": \"X\"}\n", f);
    fclose(f);
    return cert_sign_file(cert, key, &err);
}

static int group_teardown(void **state)
{
    (void)state;
    const char *names[] = {"forger.key", "forger.key.pub", "C.json", "C.json.sig",
                           "X.manifest.json", "X.manifest.json.sig"};
    char path[400];
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        unlink(path);
    }
    rmdir(dir);
    return 0;
}

/* Sign `text` as the manifest and verify it with C.json as the run. */
static int verify_manifest(const char *text)
{
    write_text(manifest, text);
    struct cd_err err = {0};
    assert_int_equal(cert_sign_file(manifest, key, &err), 0);
    /* verify prints its report, FAILED lines included: keep them out of
     * the test log, where they would read as test failures. */
    fflush(stdout);
    FILE *null = fopen("/dev/null", "w"), *out = stdout;
    assert_non_null(null);
    stdout = null;
    int rc = cmd_verify_cert(manifest, NULL, cert);
    stdout = out;
    fclose(null);
    return rc;
}

static void test_manifest_without_run_sha256(void **state)
{
    (void)state;
    assert_int_equal(verify_manifest("{\"number\": \"X\", \"files\": {}}"), 1);
}

static void test_manifest_file_hash_not_text(void **state)
{
    (void)state;
    assert_int_equal(verify_manifest("{\"number\": \"X\", \"run_sha256\": \"00\", "
                                     "\"files\": {\"C.json\": 1}}"),
                     1);
}

static void test_manifest_without_number(void **state)
{
    (void)state;
    assert_int_equal(verify_manifest("{\"files\": {\"C.json\": null}, \"run_sha256\": []}"), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_manifest_without_run_sha256),
        cmocka_unit_test(test_manifest_file_hash_not_text),
        cmocka_unit_test(test_manifest_without_number),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
