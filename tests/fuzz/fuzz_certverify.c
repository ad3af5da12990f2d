/* Fuzz target "certverify": the certificate side of `caldaq verify`
 * (daq/cert/cert_issue.c cert_check, daq/cert/cert_sign.c cert_verify_file): the
 * signature files and the manifest an attacker can hand over.
 *
 * Two kinds of input:
 *   - "sig:" then the text of a .sig file: the signature of a fixed, valid
 *     manifest, checked without a trusted key (so any key in it is tried).
 *   - anything else: a manifest (NUMBER.manifest.json). The harness signs it
 *     with its own key, as a forger with a key of their own could (verify
 *     without --pub trusts whichever key signed), beside a certificate file
 *     C.json that is signed too, and verifies it with the lab's public key
 *     and with C.json as the run, so the manifest's fields are all read.
 * Files live in a scratch folder; what verify prints goes to /dev/null.
 * Seeds: manifests as `caldaq cert` writes them (tests/fuzz/corpus/). */
#include "fuzz_util.h"

#include <sodium.h>

#include "cert.h"

static const char cert_text[] = "{\"certificate\": \"FUZZ-2026-0001\"}\n";

/* The manifest of the "sig:" inputs: valid, naming C.json. */
static const char fixed_manifest[] =
    "{\"number\": \"FUZZ-2026-0001\", \"files\": {\"C.json\": "
    "\"0000000000000000000000000000000000000000000000000000000000000000\"}, "
    "\"run_sha256\": \"00\"}\n";

struct scratch {
    char dir[4096];
    char key[4200], pub[4200], cert[4200], manifest[4200], sig[4200];
    FILE *null;
};

/* The key pair (from a fixed seed, so runs repeat) and the signed C.json,
 * made once per process. */
static const struct scratch *setup(void)
{
    static struct scratch s;
    static int state; /* 0 not yet, 1 ready, -1 failed */
    if (state != 0)
        return state > 0 ? &s : NULL;
    state = -1;
    const char *dir = fuzz_scratch_dir();
    if (dir == NULL || sodium_init() < 0)
        return NULL;
    snprintf(s.dir, sizeof s.dir, "%s", dir);
    snprintf(s.key, sizeof s.key, "%s/lab.key", dir);
    snprintf(s.pub, sizeof s.pub, "%s/lab.key.pub", dir);
    snprintf(s.cert, sizeof s.cert, "%s/C.json", dir);
    snprintf(s.manifest, sizeof s.manifest, "%s/FUZZ.manifest.json", dir);
    snprintf(s.sig, sizeof s.sig, "%s/FUZZ.manifest.json.sig", dir);
    unsigned char seed[crypto_sign_SEEDBYTES], pk[crypto_sign_PUBLICKEYBYTES],
        sk[crypto_sign_SECRETKEYBYTES];
    memset(seed, 0x42, sizeof seed);
    crypto_sign_seed_keypair(pk, sk, seed);
    char skh[2 * sizeof sk + 2], pkh[2 * sizeof pk + 2];
    sodium_bin2hex(skh, sizeof skh, sk, sizeof sk);
    sodium_bin2hex(pkh, sizeof pkh, pk, sizeof pk);
    strcat(skh, "\n");
    strcat(pkh, "\n");
    struct cd_err err = {0};
    if (fuzz_write_file(s.key, (const uint8_t *)skh, strlen(skh)) != 0 ||
        fuzz_write_file(s.pub, (const uint8_t *)pkh, strlen(pkh)) != 0 ||
        fuzz_write_file(s.cert, (const uint8_t *)cert_text, strlen(cert_text)) != 0 ||
        cert_sign_file(s.cert, s.key, &err) != 0)
        return NULL;
    if ((s.null = fopen("/dev/null", "w")) == NULL)
        return NULL;
    state = 1;
    return &s;
}

/* The engine of `caldaq verify` for certificates; its report goes to
 * /dev/null, off the fuzzer's output. */
static int verify_quietly(const struct scratch *s, const char *pub, const char *run)
{
    struct cert_check_result r;
    struct cd_err err = {0};
    int rc = cert_check(s->manifest, pub, run, s->null, &r, &err);
    fflush(s->null);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const struct scratch *s = setup();
    if (s == NULL)
        return 0;
    if (size >= 4 && memcmp(data, "sig:", 4) == 0) {
        if (fuzz_write_file(s->manifest, (const uint8_t *)fixed_manifest,
                            strlen(fixed_manifest)) != 0 ||
            fuzz_write_file(s->sig, data + 4, size - 4) != 0)
            return 0;
        verify_quietly(s, NULL, NULL);
        char report[512];
        struct cd_err err = {0};
        (void)cert_verify_file(s->manifest, NULL, NULL, report, sizeof report, &err);
        return 0;
    }
    struct cd_err err = {0};
    if (fuzz_write_file(s->manifest, data, size) != 0 ||
        cert_sign_file(s->manifest, s->key, &err) != 0)
        return 0;
    verify_quietly(s, s->pub, s->cert);
    return 0;
}
