/* Integrity of certificates: SHA-256 of files, Ed25519 key pairs and
 * detached signatures (libsodium). A signature file PATH.sig holds three
 * lines: "ed25519 SIGNATURE", "public-key KEY", "sha256 DIGEST" (hex). */
#include "cert.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

static int read_all(const char *path, unsigned char **buf, size_t *len, struct cd_err *err)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return cd_fail(err, CD_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    size_t cap = 1 << 16, n = 0;
    unsigned char *b = malloc(cap);
    size_t got;
    while (b != NULL && (got = fread(b + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            unsigned char *nb = realloc(b, cap *= 2);
            if (nb == NULL) {
                free(b);
                b = NULL;
            } else {
                b = nb;
            }
        }
    }
    bool bad = ferror(f);
    fclose(f);
    if (b == NULL)
        return cd_fail(err, CD_ERR_NOMEM, "out of memory");
    if (bad) {
        free(b);
        return cd_fail(err, CD_ERR_IO, "%s: read error", path);
    }
    *buf = b;
    *len = n;
    return 0;
}

int cert_sha256_file(const char *path, char hex[65], struct cd_err *err)
{
    unsigned char *buf;
    size_t len;
    int rc = read_all(path, &buf, &len, err);
    if (rc != 0)
        return rc;
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, buf, len);
    free(buf);
    sodium_bin2hex(hex, 65, h, sizeof h);
    return 0;
}

int cert_keygen(const char *key_path, struct cd_err *err)
{
    if (sodium_init() < 0)
        return cd_fail(err, CD_ERR_INVALID, "libsodium could not start");
    unsigned char pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
    crypto_sign_keypair(pk, sk);
    char skh[2 * sizeof sk + 1], pkh[2 * sizeof pk + 1];
    sodium_bin2hex(skh, sizeof skh, sk, sizeof sk);
    sodium_bin2hex(pkh, sizeof pkh, pk, sizeof pk);
    sodium_memzero(sk, sizeof sk);
    int fd = open(key_path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0)
        return cd_fail(err, CD_ERR_IO, "%s: %s (an existing key is never overwritten)", key_path,
                       strerror(errno));
    bool bad = dprintf(fd, "%s\n", skh) < 0;
    bad |= close(fd) != 0;
    sodium_memzero(skh, sizeof skh);
    char pub[4200];
    snprintf(pub, sizeof pub, "%s.pub", key_path);
    FILE *f = fopen(pub, "w");
    if (bad || f == NULL)
        return cd_fail(err, CD_ERR_IO, "%s: cannot write the key pair", key_path);
    fprintf(f, "%s\n", pkh);
    return fclose(f) == 0 ? 0 : cd_fail(err, CD_ERR_IO, "%s: write error", pub);
}

static int load_secret(const char *path, unsigned char sk[crypto_sign_SECRETKEYBYTES],
                       struct cd_err *err)
{
    unsigned char *buf;
    size_t len;
    int rc = read_all(path, &buf, &len, err);
    if (rc != 0)
        return rc;
    size_t got = 0;
    rc = sodium_hex2bin(sk, crypto_sign_SECRETKEYBYTES, (const char *)buf, len, " \r\n", &got,
                        NULL) == 0 && got == crypto_sign_SECRETKEYBYTES
             ? 0
             : cd_fail(err, CD_ERR_INVALID,
                       "%s: not an Ed25519 secret key (128 hex digits; caldaq cert --keygen "
                       "makes one)",
                       path);
    sodium_memzero(buf, len);
    free(buf);
    return rc;
}

int cert_sign_file(const char *path, const char *key_path, struct cd_err *err)
{
    if (sodium_init() < 0)
        return cd_fail(err, CD_ERR_INVALID, "libsodium could not start");
    unsigned char sk[crypto_sign_SECRETKEYBYTES];
    int rc = load_secret(key_path, sk, err);
    if (rc != 0)
        return rc;
    unsigned char *buf;
    size_t len;
    if ((rc = read_all(path, &buf, &len, err)) != 0) {
        sodium_memzero(sk, sizeof sk);
        return rc;
    }
    unsigned char sig[crypto_sign_BYTES], pk[crypto_sign_PUBLICKEYBYTES],
        h[crypto_hash_sha256_BYTES];
    crypto_sign_detached(sig, NULL, buf, len, sk);
    crypto_sign_ed25519_sk_to_pk(pk, sk);
    crypto_hash_sha256(h, buf, len);
    sodium_memzero(sk, sizeof sk);
    free(buf);
    char sigh[2 * sizeof sig + 1], pkh[2 * sizeof pk + 1], hh[65];
    sodium_bin2hex(sigh, sizeof sigh, sig, sizeof sig);
    sodium_bin2hex(pkh, sizeof pkh, pk, sizeof pk);
    sodium_bin2hex(hh, sizeof hh, h, sizeof h);
    char out[4200];
    snprintf(out, sizeof out, "%s.sig", path);
    FILE *f = fopen(out, "w");
    if (f == NULL)
        return cd_fail(err, CD_ERR_IO, "%s: %s", out, strerror(errno));
    fprintf(f, "ed25519 %s\npublic-key %s\nsha256 %s\n", sigh, pkh, hh);
    return fclose(f) == 0 ? 0 : cd_fail(err, CD_ERR_IO, "%s: write error", out);
}

int cert_verify_file(const char *path, const char *expected_pub_hex, char *report, size_t cap,
                     struct cd_err *err)
{
    if (sodium_init() < 0)
        return cd_fail(err, CD_ERR_INVALID, "libsodium could not start");
    char sigpath[4200], line[3][256] = {{0}};
    snprintf(sigpath, sizeof sigpath, "%s.sig", path);
    FILE *f = fopen(sigpath, "r");
    if (f == NULL)
        return cd_fail(err, CD_ERR_NOT_FOUND, "%s: no signature (%s): not issued by caldaq cert",
                       path, sigpath);
    for (int i = 0; i < 3 && fgets(line[i], sizeof line[i], f) != NULL; i++)
        line[i][strcspn(line[i], "\n")] = '\0';
    fclose(f);
    unsigned char sig[crypto_sign_BYTES], pk[crypto_sign_PUBLICKEYBYTES];
    size_t n1 = 0, n2 = 0;
    if (strncmp(line[0], "ed25519 ", 8) != 0 || strncmp(line[1], "public-key ", 11) != 0 ||
        strncmp(line[2], "sha256 ", 7) != 0 ||
        sodium_hex2bin(sig, sizeof sig, line[0] + 8, strlen(line[0] + 8), NULL, &n1, NULL) != 0 ||
        sodium_hex2bin(pk, sizeof pk, line[1] + 11, strlen(line[1] + 11), NULL, &n2, NULL) != 0 ||
        n1 != sizeof sig || n2 != sizeof pk)
        return cd_fail(err, CD_ERR_PARSE, "%s: not a caldaq signature file", sigpath);
    if (expected_pub_hex != NULL && strcmp(expected_pub_hex, line[1] + 11) != 0)
        return cd_fail(err, CD_ERR_INVALID,
                       "%s: signed with key %.16s…, not the lab's key %.16s…", path,
                       line[1] + 11, expected_pub_hex);
    unsigned char *buf;
    size_t len;
    int rc = read_all(path, &buf, &len, err);
    if (rc != 0)
        return rc;
    unsigned char h[crypto_hash_sha256_BYTES];
    char hh[65];
    crypto_hash_sha256(h, buf, len);
    sodium_bin2hex(hh, sizeof hh, h, sizeof h);
    int ok = crypto_sign_verify_detached(sig, buf, len, pk);
    free(buf);
    if (ok != 0)
        return cd_fail(err, CD_ERR_INVALID,
                       "%s: the signature does not match: the file was changed after it was "
                       "signed (sha256 now %s, signed %s)",
                       path, hh, line[2] + 7);
    snprintf(report, cap, "%s: signature good (Ed25519 key %.16s…), sha256 %s", path,
             line[1] + 11, hh);
    return 0;
}
