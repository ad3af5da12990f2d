/* Integrity of certificates: SHA-256 of files, Ed25519 key pairs and
 * detached signatures (libsodium). A signature file PATH.sig holds three
 * lines: "ed25519 SIGNATURE", "public-key KEY", "sha256 DIGEST" (lower-case
 * hex, each ended by a newline, nothing else); a check reads every line.
 * And the files of a certificate as issued: which formats, each file
 * signed into the list of the manifest, the manifest written and signed
 * (shared by calibration certificates and verification documents). */
#include "cert.h"
#include "cert_priv.h"

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

FILE *cert_file_create(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, CERT_FILE_MODE);
    if (fd < 0)
        return NULL;
    FILE *f = fchmod(fd, CERT_FILE_MODE) == 0 ? fdopen(fd, "wb") : NULL;
    if (f == NULL) {
        int e = errno;
        close(fd);
        errno = e;
    }
    return f;
}

int cert_key_check(const char *key_path, char *warning, size_t cap, struct cd_err *err)
{
    struct stat st;
    warning[0] = '\0';
    if (stat(key_path, &st) != 0)
        return cd_fail(err, CD_ERR_IO, "%s: %s", key_path, strerror(errno));
    if ((st.st_mode & 077) != 0)
        snprintf(warning, cap,
                 "the lab's secret key %s can be %s by %s (mode %04o): anyone who can read it "
                 "can sign certificates in the lab's name; chmod 600 %s",
                 key_path, (st.st_mode & 022) != 0 ? "read or written" : "read",
                 (st.st_mode & 007) != 0 ? "other users" : "its group",
                 (unsigned)(st.st_mode & 07777), key_path);
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
    FILE *f = cert_file_create(out);
    if (f == NULL)
        return cd_fail(err, CD_ERR_IO, "%s: %s", out, strerror(errno));
    fprintf(f, "ed25519 %s\npublic-key %s\nsha256 %s\n", sigh, pkh, hh);
    return fclose(f) == 0 ? 0 : cd_fail(err, CD_ERR_IO, "%s: write error", out);
}

/* Whether s[0..n) is exactly n lower-case hex digits, as sodium_bin2hex
 * writes them. */
static bool lower_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return true;
}

/* PATH.sig read exactly as cert_sign_file writes it: three lines, in this
 * order, each a keyword, one space and lower-case hex of the right length,
 * each ended by a newline, nothing after. Every line is checked, so any
 * text that is not a caldaq signature fails here and names its line: an
 * unknown line, a missing one, a CR, a space too many. */
#define SIG_LINES 3
static int read_sig(const char *sigpath, char hex[SIG_LINES][129], struct cd_err *err)
{
    static const struct {
        const char *key;
        size_t digits;
    } want[SIG_LINES] = {{"ed25519", 2 * crypto_sign_BYTES},
                         {"public-key", 2 * crypto_sign_PUBLICKEYBYTES},
                         {"sha256", 2 * crypto_hash_sha256_BYTES}};
    FILE *f = fopen(sigpath, "rb");
    if (f == NULL)
        return cd_fail(err, CD_ERR_NOT_FOUND, "%s: %s", sigpath, strerror(errno));
    char buf[512];
    size_t len = fread(buf, 1, sizeof buf - 1, f);
    bool bad = ferror(f) != 0;
    fclose(f);
    if (bad)
        return cd_fail(err, CD_ERR_IO, "%s: read error", sigpath);
    buf[len] = '\0';
    if (strlen(buf) != len)
        return cd_fail(err, CD_ERR_PARSE, "%s: not a caldaq signature file (a NUL byte)",
                       sigpath);
    const char *p = buf;
    for (int i = 0; i < SIG_LINES; i++) {
        const char *nl = strchr(p, '\n');
        size_t n = nl != NULL ? (size_t)(nl - p) : strlen(p);
        size_t kn = strlen(want[i].key);
        if (n != kn + 1 + want[i].digits || strncmp(p, want[i].key, kn) != 0 || p[kn] != ' ' ||
            !lower_hex(p + kn + 1, want[i].digits) || nl == NULL)
            return cd_fail(err, CD_ERR_PARSE,
                           "%s:%d: not a caldaq signature file: the line must be '%s' and %zu "
                           "lower-case hex digits, ended by a newline, found '%.*s'",
                           sigpath, i + 1, want[i].key, want[i].digits, (int)(n > 40 ? 40 : n),
                           p);
        memcpy(hex[i], p + kn + 1, want[i].digits);
        hex[i][want[i].digits] = '\0';
        p = nl + 1;
    }
    if (*p != '\0')
        return cd_fail(err, CD_ERR_PARSE,
                       "%s:%d: not a caldaq signature file: an unknown line after the three "
                       "(ed25519, public-key, sha256)",
                       sigpath, SIG_LINES + 1);
    return 0;
}

/* `buf` (the bytes of `path`, or of a copy of it sent by someone) against
 * the signature file `sigpath`: the lines, the signer (`expected_pub_hex`
 * when given), the Ed25519 signature and the sha256 line. `hh` gets the
 * bytes' SHA-256. */
static int verify_bytes(const char *path, const unsigned char *buf, size_t len,
                        const char *sigpath, const char *expected_pub_hex, char signer[65],
                        char hh[65], struct cd_err *err)
{
    char hex[SIG_LINES][129];
    int rc = read_sig(sigpath, hex, err);
    if (rc != 0)
        return rc;
    const char *sig_hex = hex[0], *pk_hex = hex[1], *sha_line = hex[2];
    if (signer != NULL)
        memcpy(signer, pk_hex, 65);
    unsigned char sig[crypto_sign_BYTES], pk[crypto_sign_PUBLICKEYBYTES];
    sodium_hex2bin(sig, sizeof sig, sig_hex, strlen(sig_hex), NULL, NULL, NULL);
    sodium_hex2bin(pk, sizeof pk, pk_hex, strlen(pk_hex), NULL, NULL, NULL);
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, buf, len);
    sodium_bin2hex(hh, 65, h, sizeof h);
    if (expected_pub_hex != NULL && strcmp(expected_pub_hex, pk_hex) != 0)
        return cd_fail(err, CD_ERR_INVALID,
                       "%s: signed with key %.16s…, not the lab's key %.16s…", path, pk_hex,
                       expected_pub_hex);
    if (crypto_sign_verify_detached(sig, buf, len, pk) != 0)
        return cd_fail(err, CD_ERR_INVALID,
                       "%s: the signature does not match: the file was changed after it was "
                       "signed (sha256 now %s, signed %s)",
                       path, hh, sha_line);
    /* The signature covers the file's bytes, not this line; the line is
     * there for people and tools that compare hashes, so it must be true. */
    if (strcmp(sha_line, hh) != 0)
        return cd_fail(err, CD_ERR_INVALID,
                       "%s: the signature file's sha256 line (%s) is not the file's SHA-256 "
                       "(%s): the signature file was altered",
                       path, sha_line, hh);
    return 0;
}

int cert_verify_file(const char *path, const char *expected_pub_hex, char signer[65],
                     char *report, size_t cap, struct cd_err *err)
{
    if (sodium_init() < 0)
        return cd_fail(err, CD_ERR_INVALID, "libsodium could not start");
    char sigpath[4200];
    snprintf(sigpath, sizeof sigpath, "%s.sig", path);
    if (access(sigpath, F_OK) != 0)
        return cd_fail(err, CD_ERR_NOT_FOUND, "%s: no signature (%s): not issued by caldaq cert",
                       path, sigpath);
    char pk_hex[65] = "", hh[65];
    /* the signature file first: a file that is no caldaq signature is
     * named before the (maybe large) file is read */
    char hex[SIG_LINES][129];
    int rc = read_sig(sigpath, hex, err);
    if (rc != 0)
        return rc;
    unsigned char *buf;
    size_t len;
    rc = read_all(path, &buf, &len, err);
    if (rc != 0)
        return rc;
    rc = verify_bytes(path, buf, len, sigpath, expected_pub_hex, pk_hex, hh, err);
    free(buf);
    if (signer != NULL && pk_hex[0] != '\0')
        memcpy(signer, pk_hex, 65);
    if (rc != 0)
        return rc;
    snprintf(report, cap, "%s: signature good (Ed25519 key %.16s…), sha256 %s", path, pk_hex,
             hh);
    return 0;
}

int cert_verify_bytes(const char *name, const void *data, size_t len, const char *sig_path,
                      const char *expected_pub_hex, char signer[65], struct cd_err *err)
{
    if (sodium_init() < 0)
        return cd_fail(err, CD_ERR_INVALID, "libsodium could not start");
    char hh[65];
    return verify_bytes(name, data, len, sig_path, expected_pub_hex, signer, hh, err);
}

void cert_sha256_bytes(const void *data, size_t len, char hex[65])
{
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, data, len);
    sodium_bin2hex(hex, 65, h, sizeof h);
}

/* ------------------------------------------------------------ a certificate's files */

/* json_dump_file, with the certificate files' mode. */
static int dump_json(const json_t *j, const char *path, size_t flags)
{
    FILE *f = cert_file_create(path);
    if (f == NULL)
        return -1;
    int rc = json_dumpf(j, f, flags);
    if (fclose(f) != 0)
        rc = -1;
    return rc;
}

int cert_issue_sign(const char *path, const struct cert_lab *lab, json_t *files, bool quiet,
                    struct cd_err *err)
{
    char sha[65];
    int rc = cert_sha256_file(path, sha, err);
    if (rc == 0)
        rc = cert_sign_file(path, lab->key, err);
    if (rc != 0)
        return rc;
    const char *slash = strrchr(path, '/');
    json_object_set_new(files, slash != NULL ? slash + 1 : path, json_string(sha));
    if (!quiet)
        printf("%s (signed: %s.sig)\n", path, path);
    return 0;
}

int cert_manifest_write(const char *out_dir, const struct cert_doc *d, json_t *files,
                        json_t *extra, const struct cert_lab *lab, bool quiet,
                        struct cd_err *err)
{
    char mpath[4400];
    snprintf(mpath, sizeof mpath, "%s/%s.manifest.json", out_dir, d->number);
    json_t *manifest = json_object();
    json_object_set_new(manifest, "schema", json_string("caldaq-certificate-manifest/1"));
    json_object_set_new(manifest, "number", json_string(d->number));
    json_object_set_new(manifest, "run_id", json_string(d->run_id));
    json_object_set_new(manifest, "run_sha256", json_string(d->run_sha256));
    if (extra != NULL)
        json_object_update(manifest, extra);
    json_object_set_new(manifest, "files", json_incref(files));
    int rc = dump_json(manifest, mpath, JSON_INDENT(2)) != 0
                 ? cd_fail(err, CD_ERR_IO, "%s: cannot write", mpath)
                 : cert_sign_file(mpath, lab->key, err);
    json_decref(manifest);
    if (rc == 0 && !quiet)
        printf("%s (signed)\n", mpath);
    return rc;
}

bool cert_format_wants(const char *format, const char *kind)
{
    size_t n = strlen(kind);
    for (const char *f = format; *f;) {
        size_t m = strcspn(f, ",");
        if (m == n && strncmp(f, kind, n) == 0)
            return true;
        f += m + (f[m] == ',');
    }
    return false;
}
