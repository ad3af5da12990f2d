/* Canonical serialisation of a run and its hashes (docs/run-format.md,
 * "Hashes"). Every section is hashed on its own so that a check can say
 * which one changed; content_sha256 is the SHA-256 of the manifest that
 * lists the section digests.
 *
 * Encoding, the same everywhere:
 *   u64/i64  8 bytes, little-endian (two's complement)
 *   f64      the IEEE 754 binary64 bits as a u64; every NaN as 0x7FF8000000000000
 *   str      u64 byte length, then the UTF-8 bytes (no NUL)
 */
#include "run_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

/* SHA-256 fed through a small buffer: a run is hashed field by field, and
 * one libsodium call per 8-byte field cost more than the hashing itself. */
typedef struct {
    crypto_hash_sha256_state st;
    size_t n;
    uint8_t buf[4096];
} hstate;

static void h_init(hstate *h)
{
    crypto_hash_sha256_init(&h->st);
    h->n = 0;
}

static void h_raw(hstate *h, const void *p, size_t len)
{
    if (len >= sizeof h->buf) {
        crypto_hash_sha256_update(&h->st, h->buf, h->n);
        h->n = 0;
        crypto_hash_sha256_update(&h->st, p, len);
        return;
    }
    if (h->n + len > sizeof h->buf) {
        crypto_hash_sha256_update(&h->st, h->buf, h->n);
        h->n = 0;
    }
    memcpy(h->buf + h->n, p, len);
    h->n += len;
}

static void h_final(hstate *h, uint8_t out[32])
{
    crypto_hash_sha256_update(&h->st, h->buf, h->n);
    h->n = 0;
    crypto_hash_sha256_final(&h->st, out);
}

static void h_u64(hstate *h, uint64_t v)
{
    uint8_t b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (uint8_t)(v >> (8 * i));
    h_raw(h, b, 8);
}

static void h_i64(hstate *h, int64_t v)
{
    h_u64(h, (uint64_t)v);
}

static void h_f64(hstate *h, double v)
{
    uint64_t bits;
    if (isnan(v))
        bits = 0x7FF8000000000000ULL;
    else
        memcpy(&bits, &v, 8);
    h_u64(h, bits);
}

static void h_mem(hstate *h, const void *p, size_t n)
{
    h_u64(h, n);
    if (n > 0)
        h_raw(h, p, n);
}

/* A fixed field: the bytes up to the first NUL. */
#define H_STR(h, field) h_mem((h), (field), strnlen((field), sizeof(field)))

static void h_cstr(hstate *h, const char *s)
{
    h_mem(h, s, strlen(s));
}

/* name then value */
#define H_ATTR(h, name, field) (h_cstr((h), (name)), H_STR((h), (field)))

static void digest_root(const struct rs_data *d, uint8_t out[32])
{
    hstate h;
    h_init(&h);
    const struct daq_run_info *i = &d->info;
    h_cstr(&h, "schema");
    h_cstr(&h, DAQ_RUN_SCHEMA);
    H_ATTR(&h, "run_id", i->run_id);
    H_ATTR(&h, "started", i->started);
    H_ATTR(&h, "ended", i->ended);
    H_ATTR(&h, "status", i->status);
    H_ATTR(&h, "operator", i->operator_name);
    H_ATTR(&h, "lab", i->lab);
    H_ATTR(&h, "profile_name", i->profile_name);
    H_ATTR(&h, "profile_sha256", i->profile_sha256);
    H_ATTR(&h, "caldaq_version", i->caldaq_version);
    h_final(&h, out);
}

static void digest_device(const struct rs_data *d, uint8_t out[32])
{
    hstate h;
    h_init(&h);
    const struct daq_device *v = &d->device;
    H_ATTR(&h, "driver", v->driver);
    H_ATTR(&h, "port", v->port);
    H_ATTR(&h, "settings", v->settings);
    H_ATTR(&h, "manufacturer", v->id.manufacturer);
    H_ATTR(&h, "model", v->id.model);
    H_ATTR(&h, "serial", v->id.serial);
    H_ATTR(&h, "firmware", v->id.firmware);
    if (v->side[0] != '\0') /* issue 16: runs made before hash as they did */
        H_ATTR(&h, "side", v->side);
    h_final(&h, out);
}

static void digest_standards(const struct rs_data *d, uint8_t out[32])
{
    hstate h;
    h_init(&h);
    h_u64(&h, d->n_standards);
    for (size_t i = 0; i < d->n_standards; i++) {
        const struct daq_standard *s = &d->standards[i];
        H_STR(&h, s->id);
        H_STR(&h, s->certificate);
        h_f64(&h, s->value);
        h_f64(&h, s->u);
        h_f64(&h, s->k);
        H_STR(&h, s->unit);
        H_STR(&h, s->due_date);
        if (d->standards_items) {
            H_STR(&h, s->role);
            h_f64(&h, s->nominal);
            H_STR(&h, s->mark);
        }
    }
    h_final(&h, out);
}

static void digest_env(const struct rs_data *d, uint8_t out[32])
{
    hstate h;
    h_init(&h);
    H_ATTR(&h, "t_unit", d->units.env_t);
    H_ATTR(&h, "temp_c_unit", d->units.env_temp);
    H_ATTR(&h, "rh_pct_unit", d->units.env_rh);
    H_ATTR(&h, "p_hpa_unit", d->units.env_p);
    h_u64(&h, d->n_env);
    for (size_t i = 0; i < d->n_env; i++) {
        const struct daq_env *e = &d->env[i];
        h_f64(&h, e->t);
        h_f64(&h, e->temp_c);
        h_f64(&h, e->rh_pct);
        h_f64(&h, e->p_hpa);
        H_STR(&h, e->where);
    }
    h_final(&h, out);
}

static void digest_readings(const struct rs_data *d, uint8_t out[32])
{
    hstate h;
    h_init(&h);
    H_ATTR(&h, "t_unit", d->units.readings_t);
    h_u64(&h, d->n_readings);
    for (size_t i = 0; i < d->n_readings; i++) {
        const struct rs_reading *r = &d->readings[i];
        h_f64(&h, r->t);
        h_i64(&h, r->point);
        h_i64(&h, r->repetition);
        h_f64(&h, r->nominal);
        h_f64(&h, r->value);
        H_STR(&h, r->unit);
        H_STR(&h, r->status);
        H_STR(&h, r->display);
        h_f64(&h, r->resolution);
        H_STR(&h, r->role);
        H_STR(&h, r->error);
        /* the sides of issue 16, only when given: the hashes of runs made
         * before (which have none) stay as they were */
        if (r->side[0] != '\0' || r->source[0] != '\0' || r->who[0] != '\0') {
            H_STR(&h, r->side);
            H_STR(&h, r->source);
            H_STR(&h, r->who);
        }
    }
    h_final(&h, out);
}

static void digest_trace(const struct rs_data *d, uint8_t out[32])
{
    hstate h;
    h_init(&h);
    const struct drv_trace_header *t = &d->trace_header;
    H_ATTR(&h, "transport", t->transport);
    H_ATTR(&h, "port", t->port);
    H_ATTR(&h, "settings", t->settings);
    H_ATTR(&h, "driver", t->driver);
    H_ATTR(&h, "started", t->started);
    h_final(&h, out);
}

static void digest_trace_index(const struct rs_data *d, uint8_t out[32])
{
    hstate h;
    h_init(&h);
    H_ATTR(&h, "t_unit", d->units.trace_t);
    h_u64(&h, d->n_trace);
    for (size_t i = 0; i < d->n_trace; i++) {
        const struct rs_trace_rec *r = &d->trace[i];
        h_f64(&h, r->t);
        h_mem(&h, &r->dir, 1);
        h_u64(&h, r->offset);
        h_u64(&h, r->length);
    }
    h_final(&h, out);
}

static void digest_result(const struct rs_result *r, uint8_t out[32])
{
    hstate h;
    h_init(&h);
    h_i64(&h, r->version);
    H_STR(&h, r->created);
    H_STR(&h, r->engine);
    h_cstr(&h, r->json);
    h_final(&h, out);
}

static void digest_audit(const struct rs_data *d, uint8_t out[32])
{
    hstate h;
    h_init(&h);
    H_ATTR(&h, "t_unit", d->units.audit_t);
    h_u64(&h, d->n_audit);
    for (size_t i = 0; i < d->n_audit; i++) {
        const struct daq_audit_entry *a = &d->audit[i];
        h_i64(&h, a->seq);
        h_f64(&h, a->t);
        H_STR(&h, a->who);
        H_STR(&h, a->what);
        H_STR(&h, a->prev_sha256);
        H_STR(&h, a->sha256);
    }
    h_final(&h, out);
}

int rs_digests(const struct rs_data *d, struct rs_digest **out, size_t *n)
{
    size_t count = 9 + d->n_results + 1;
    struct rs_digest *dg = calloc(count, sizeof *dg);
    *out = NULL;
    *n = 0;
    if (dg == NULL)
        return CD_ERR_NOMEM;
    size_t k = 0;
#define SECTION(nm) (snprintf(dg[k].name, sizeof dg[k].name, "%s", (nm)), dg[k++].sha)
    digest_root(d, SECTION("/"));
    const char *profile = d->profile != NULL ? d->profile : "";
    crypto_hash_sha256(SECTION("/profile/text"), (const unsigned char *)profile, strlen(profile));
    digest_device(d, SECTION("/device"));
    digest_standards(d, SECTION("/standards"));
    digest_env(d, SECTION("/environment"));
    digest_readings(d, SECTION("/readings"));
    digest_trace(d, SECTION("/trace"));
    crypto_hash_sha256(SECTION("/trace/bytes"), d->trace_bytes, d->n_trace_bytes);
    digest_trace_index(d, SECTION("/trace/index"));
    for (size_t i = 0; i < d->n_results; i++) {
        snprintf(dg[k].name, sizeof dg[k].name, "/results/v%d", d->results[i].version);
        digest_result(&d->results[i], dg[k++].sha);
    }
    digest_audit(d, SECTION("/audit"));
#undef SECTION
    *out = dg;
    *n = k;
    return 0;
}

void rs_hex(const uint8_t sha[32], char out[65])
{
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < 32; i++) {
        out[2 * i] = digits[sha[i] >> 4];
        out[2 * i + 1] = digits[sha[i] & 15];
    }
    out[64] = '\0';
}

void rs_sha256_hex(const void *buf, size_t len, char out[65])
{
    uint8_t sha[32];
    crypto_hash_sha256(sha, buf, len);
    rs_hex(sha, out);
}

char *rs_manifest_text(const struct rs_digest *dg, size_t n)
{
    size_t cap = 1;
    for (size_t i = 0; i < n; i++)
        cap += 64 + 2 + strlen(dg[i].name) + 1;
    char *text = malloc(cap);
    if (text == NULL)
        return NULL;
    size_t len = 0;
    for (size_t i = 0; i < n; i++) {
        char hex[65];
        rs_hex(dg[i].sha, hex);
        len += (size_t)snprintf(text + len, cap - len, "%s  %s\n", hex, dg[i].name);
    }
    text[len] = '\0';
    return text;
}

void rs_audit_hash(const char *prev_sha256, int64_t seq, double t, const char *who,
                   const char *what, char out[65])
{
    hstate h;
    uint8_t sha[32];
    h_init(&h);
    h_cstr(&h, prev_sha256);
    h_i64(&h, seq);
    h_f64(&h, t);
    h_cstr(&h, who);
    h_cstr(&h, what);
    h_final(&h, sha);
    rs_hex(sha, out);
}

int rs_seal(struct rs_data *d)
{
    struct rs_digest *dg = NULL;
    size_t n = 0;
    if (rs_digests(d, &dg, &n) != 0)
        return CD_ERR_NOMEM;
    char *text = rs_manifest_text(dg, n);
    free(dg);
    if (text == NULL)
        return CD_ERR_NOMEM;
    free(d->manifest);
    d->manifest = text;
    rs_sha256_hex(text, strlen(text), d->content_sha256);
    return 0;
}
