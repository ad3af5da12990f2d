/* LAB.yaml: the laboratory's details for its certificates
 * (docs/certificates.md), read with the shared YAML helpers so every error
 * names the file and line. */
#include "cert.h"

#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cd_i18n.h"
#include "cd_yaml.h"

struct reader {
    struct cd_yaml_doc y;
};

#define FAIL(n, code, ...) cd_yaml_fail(&r->y, (n), (code), __VA_ARGS__)

static int text(struct reader *r, yaml_node_t *map, const char *key, bool required, char *out,
                size_t cap)
{
    yaml_node_t *n = cd_yaml_get(&r->y, map, key);
    if (n == NULL) {
        if (required)
            return FAIL(map, CD_ERR_PARSE, "%s is missing", key);
        out[0] = '\0';
        return 0;
    }
    const char *s = cd_yaml_scalar(n);
    if (s == NULL || (required && s[0] == '\0'))
        return FAIL(n, CD_ERR_PARSE, "%s must be text", key);
    if (strlen(s) >= cap)
        return FAIL(n, CD_ERR_INVALID, "%s is longer than %zu bytes", key, cap - 1);
    memcpy(out, s, strlen(s) + 1);
    return 0;
}

/* {en: ..., vi: ...} */
static int bilingual(struct reader *r, yaml_node_t *map, const char *key, bool required,
                     char *en, char *vi, size_t cap)
{
    static const char *const keys[] = {"en", "vi", NULL};
    yaml_node_t *n = cd_yaml_get(&r->y, map, key);
    if (n == NULL) {
        if (required)
            return FAIL(map, CD_ERR_PARSE, "%s is missing ({en: ..., vi: ...})", key);
        en[0] = vi[0] = '\0';
        return 0;
    }
    int rc = cd_yaml_check_keys(&r->y, n, key, keys);
    if (rc == 0)
        rc = text(r, n, "en", true, en, cap);
    if (rc == 0)
        rc = text(r, n, "vi", true, vi, cap);
    return rc;
}

/* A path in LAB.yaml is relative to the file's folder. */
static void resolve(const char *lab_path, char *path, size_t cap)
{
    if (path[0] == '\0' || path[0] == '/')
        return;
    char copy[4096], rel[4096];
    snprintf(copy, sizeof copy, "%s", lab_path);
    snprintf(rel, sizeof rel, "%s", path);
    const char *dir = dirname(copy);
    if (strlen(dir) + strlen(rel) + 2 <= cap) {
        memcpy(path, dir, strlen(dir));
        path[strlen(dir)] = '/';
        memcpy(path + strlen(dir) + 1, rel, strlen(rel) + 1);
    }
}

/* Characters a URL may hold as it is (RFC 3986 2.2 and 2.3): no space,
 * quote, angle bracket or control character, so the address can be
 * printed into a QR code and a page without escaping. */
static bool url_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           strchr("-._~:/?#[]@!$&'()*+,;=%", c) != NULL;
}

/* A bearer token: 32 to 128 of the characters of RFC 6750 2.1's b64token
 * that need no escaping. */
static bool token_ok(const char *t)
{
    size_t n = strlen(t);
    if (n < 32 || n > 128)
        return false;
    for (const char *p = t; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              strchr("-._~+/", *p) != NULL))
            return false;
    return true;
}

/* verify_url and portal: {password_hash, tokens} (docs/portal.md). */
static int portal_keys(struct reader *r, yaml_node_t *root, struct cert_lab *out)
{
    static const char *const keys[] = {"password_hash", "tokens", NULL};
    int rc = text(r, root, "verify_url", false, out->verify_url, sizeof out->verify_url);
    yaml_node_t *u = cd_yaml_get(&r->y, root, "verify_url");
    if (rc == 0 && u != NULL) {
        const char *s = out->verify_url;
        bool ok = strncmp(s, "https://", 8) == 0 || strncmp(s, "http://", 7) == 0;
        for (const char *p = s; ok && *p; p++)
            ok = url_char(*p);
        if (!ok)
            return FAIL(u, CD_ERR_INVALID,
                        _("verify_url: an http:// or https:// address such as "
                          "https://lab.example.vn/verify/, without spaces or quotes"));
    }
    yaml_node_t *pt = rc == 0 ? cd_yaml_get(&r->y, root, "portal") : NULL;
    if (pt == NULL)
        return rc;
    if ((rc = cd_yaml_check_keys(&r->y, pt, "portal", keys)) != 0)
        return rc;
    rc = text(r, pt, "password_hash", false, out->portal_password_hash,
              sizeof out->portal_password_hash);
    yaml_node_t *h = cd_yaml_get(&r->y, pt, "password_hash");
    if (rc == 0 && h != NULL && strncmp(out->portal_password_hash, "$argon2id$", 10) != 0 &&
        strncmp(out->portal_password_hash, "$argon2i$", 9) != 0)
        return FAIL(h, CD_ERR_INVALID,
                    _("portal: password_hash: a libsodium password hash ($argon2id$...), as "
                      "caldaq serve --hash-password prints it"));
    yaml_node_t *tk = rc == 0 ? cd_yaml_get(&r->y, pt, "tokens") : NULL;
    if (tk != NULL && tk->type != YAML_SEQUENCE_NODE)
        return FAIL(tk, CD_ERR_PARSE, _("portal: tokens: a list of tokens"));
    for (yaml_node_item_t *it = tk != NULL ? tk->data.sequence.items.start : NULL;
         rc == 0 && it != NULL && it < tk->data.sequence.items.top; it++) {
        yaml_node_t *t = cd_yaml_node(&r->y, *it);
        const char *s = cd_yaml_scalar(t);
        if (out->n_portal_tokens == sizeof out->portal_tokens / sizeof out->portal_tokens[0])
            return FAIL(t, CD_ERR_INVALID, _("portal: tokens: at most 8"));
        if (s == NULL || !token_ok(s))
            return FAIL(t, CD_ERR_INVALID,
                        _("portal: tokens: each 32 to 128 letters, digits or -._~+/ "
                          "(openssl rand -hex 32 makes one)"));
        snprintf(out->portal_tokens[out->n_portal_tokens++], sizeof out->portal_tokens[0], "%s",
                 s);
    }
    return rc;
}

int cert_verify_url(const struct cert_lab *lab, const char *number, char *out, size_t cap,
                    struct cd_err *err)
{
    if (lab->verify_url[0] == '\0')
        return cd_fail(err, CD_ERR_INVALID, _("the lab file has no verify_url"));
    /* percent-encode whatever is not unreserved (RFC 3986 2.3); numbers
     * checked by cert_number_check have nothing to encode */
    size_t n = (size_t)snprintf(out, cap, "%s", lab->verify_url);
    for (const unsigned char *p = (const unsigned char *)number; *p && n < cap; p++) {
        bool plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                     (*p >= '0' && *p <= '9') || strchr("-._~", *p) != NULL;
        n += (size_t)(plain ? snprintf(out + n, cap - n, "%c", *p)
                            : snprintf(out + n, cap - n, "%%%02X", *p));
    }
    if (n >= cap)
        return cd_fail(err, CD_ERR_INVALID, _("verify_url: the address of %s is too long"),
                       number);
    return 0;
}

int cert_lab_load(const char *path, struct cert_lab *out, struct cd_err *err)
{
    static const char *const keys[] = {"name",   "address",       "city",  "country",
                                       "email",  "phone",         "accreditation",
                                       "certificate_prefix",      "logo",  "signing_key",
                                       "traceability",            "signatories",
                                       "time_zone", "verification_cycles", "records",
                                       "open_data_include", "verify_url", "portal", NULL};
    static const char *const sig_keys[] = {"name", "title", NULL};
    memset(out, 0, sizeof *out);
    struct cd_err prefix_err = {0};
    yaml_document_t doc;
    if (cd_yaml_load_file(path, &doc, err) != 0)
        return err->code;
    struct reader rr = {.y = {.doc = &doc, .source = path, .err = err}};
    struct reader *r = &rr;
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    int rc = root == NULL ? FAIL(NULL, CD_ERR_PARSE, "the file is empty")
                          : cd_yaml_check_keys(&r->y, root, "lab", keys);
    if (rc == 0)
        rc = bilingual(r, root, "name", true, out->name_en, out->name_vi, sizeof out->name_en);
    if (rc == 0)
        rc = text(r, root, "address", true, out->address, sizeof out->address);
    if (rc == 0)
        rc = text(r, root, "city", true, out->city, sizeof out->city);
    if (rc == 0)
        rc = text(r, root, "country", true, out->country, sizeof out->country);
    if (rc == 0 && (strlen(out->country) != 2 || out->country[0] < 'A' || out->country[0] > 'Z' ||
                    out->country[1] < 'A' || out->country[1] > 'Z'))
        rc = FAIL(cd_yaml_get(&r->y, root, "country"), CD_ERR_INVALID,
                  "country: an ISO 3166-1 code of two capital letters, such as VN");
    if (rc == 0)
        rc = text(r, root, "email", true, out->email, sizeof out->email);
    if (rc == 0)
        rc = text(r, root, "phone", false, out->phone, sizeof out->phone);
    if (rc == 0)
        rc = text(r, root, "accreditation", false, out->accreditation, sizeof out->accreditation);
    if (rc == 0)
        rc = text(r, root, "certificate_prefix", true, out->number_prefix,
                  sizeof out->number_prefix);
    /* The prefix begins every number, and numbers name files. */
    if (rc == 0 && cert_number_check(out->number_prefix, "certificate_prefix",
                                      sizeof out->number_prefix - 1, &prefix_err) != 0)
        rc = FAIL(cd_yaml_get(&r->y, root, "certificate_prefix"), CD_ERR_INVALID, "%s",
                  prefix_err.msg);
    if (rc == 0)
        rc = text(r, root, "time_zone", false, out->time_zone, sizeof out->time_zone);
    /* The zone the lab's dates are decided in: read now, so that a
     * mistyped zone is refused with its line, not taken as UTC later. */
    yaml_node_t *tz = rc == 0 ? cd_yaml_get(&r->y, root, "time_zone") : NULL;
    if (rc == 0 && tz != NULL && out->time_zone[0] == '\0')
        rc = FAIL(tz, CD_ERR_INVALID, "time_zone is empty: leave it out for %s",
                  CD_ZONE_DEFAULT);
    if (rc == 0 && tz == NULL)
        snprintf(out->time_zone, sizeof out->time_zone, "%s", CD_ZONE_DEFAULT);
    if (rc == 0) {
        struct cd_zone *zone = NULL;
        struct cd_err zerr = {0};
        if (cd_zone_load(out->time_zone, &zone, &zerr) != 0)
            rc = FAIL(tz != NULL ? tz : root, CD_ERR_INVALID, "time_zone: %s", zerr.msg);
        cd_zone_free(zone);
    }
    if (rc == 0)
        rc = text(r, root, "logo", false, out->logo, sizeof out->logo);
    if (rc == 0)
        rc = text(r, root, "signing_key", true, out->key, sizeof out->key);
    if (rc == 0)
        rc = text(r, root, "verification_cycles", false, out->verification_cycles,
                  sizeof out->verification_cycles);
    if (rc == 0)
        rc = bilingual(r, root, "traceability", true, out->traceability_en,
                       out->traceability_vi, sizeof out->traceability_en);
    yaml_node_t *sigs = rc == 0 ? cd_yaml_get(&r->y, root, "signatories") : NULL;
    if (rc == 0 && (sigs == NULL || sigs->type != YAML_SEQUENCE_NODE ||
                    sigs->data.sequence.items.top == sigs->data.sequence.items.start))
        rc = FAIL(sigs != NULL ? sigs : root, CD_ERR_PARSE,
                  "signatories: a list of at least one {name: ..., title: {en: ..., vi: ...}}");
    for (yaml_node_item_t *it = sigs != NULL ? sigs->data.sequence.items.start : NULL;
         rc == 0 && it < sigs->data.sequence.items.top; it++) {
        yaml_node_t *s = cd_yaml_node(&r->y, *it);
        if (out->n_signatories == sizeof out->signatories / sizeof out->signatories[0]) {
            rc = FAIL(s, CD_ERR_UNSUPPORTED, "signatories: at most 4");
            break;
        }
        struct cert_signatory *sg = &out->signatories[out->n_signatories];
        if ((rc = cd_yaml_check_keys(&r->y, s, "signatory", sig_keys)) == 0 &&
            (rc = text(r, s, "name", true, sg->name, sizeof sg->name)) == 0 &&
            (rc = bilingual(r, s, "title", true, sg->title_en, sg->title_vi,
                            sizeof sg->title_en)) == 0)
            out->n_signatories++;
    }
    /* the lab's records (daq/records/): a file or a postgresql:// URL */
    if (rc == 0)
        rc = text(r, root, "records", false, out->records, sizeof out->records);
    yaml_node_t *inc = rc == 0 ? cd_yaml_get(&r->y, root, "open_data_include") : NULL;
    if (inc != NULL && inc->type != YAML_SEQUENCE_NODE)
        rc = FAIL(inc, CD_ERR_PARSE, "open_data_include: a list of field names ([customer])");
    for (yaml_node_item_t *it = inc != NULL && rc == 0 ? inc->data.sequence.items.start : NULL;
         it != NULL && rc == 0 && it < inc->data.sequence.items.top; it++) {
        yaml_node_t *f = cd_yaml_node(&r->y, *it);
        const char *s = cd_yaml_scalar(f);
        if (out->n_open_data_include == sizeof out->open_data_include /
                                            sizeof out->open_data_include[0] ||
            s == NULL || strlen(s) >= sizeof out->open_data_include[0])
            rc = FAIL(f, CD_ERR_INVALID, "open_data_include: at most 4 field names");
        else
            snprintf(out->open_data_include[out->n_open_data_include++],
                     sizeof out->open_data_include[0], "%s", s);
    }
    if (rc == 0)
        rc = portal_keys(r, root, out);
    yaml_document_delete(&doc);
    if (rc != 0)
        return rc;
    if (strstr(out->records, "://") == NULL)
        resolve(path, out->records, sizeof out->records);
    resolve(path, out->logo, sizeof out->logo);
    resolve(path, out->key, sizeof out->key);
    resolve(path, out->verification_cycles, sizeof out->verification_cycles);
    return 0;
}
