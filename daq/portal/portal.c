/* The portal's server: libmicrohttpd with a pool of threads polling with
 * epoll (or poll), limits on connections in all and per address, an idle
 * timeout (a client that stops sending is dropped: slowloris), a memory
 * limit per connection (a request line or headers past it are refused by
 * the library with 414/431), the upload to /verify through the library's
 * POST processor with a size cap; the login off loopback; the language of
 * each request; the security headers of every reply. The routes and the
 * rules: docs/portal.md. */
#define _GNU_SOURCE   /* NI_MAXHOST, getnameinfo flags in netdb.h */
#include "portal_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>
#include <sodium.h>

/* Content-Security-Policy (CSP Level 3): nothing runs, nothing is framed,
 * forms only post here; the stylesheet from here. */
#define CSP "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; " \
            "frame-ancestors 'none'; base-uri 'none'"

/* ---------------------------------------------------------------- helpers */

bool portal_is_loopback(const char *addr)
{
    struct in_addr a4;
    struct in6_addr a6;
    if (inet_pton(AF_INET, addr, &a4) == 1)
        return (ntohl(a4.s_addr) >> 24) == 127;
    if (inet_pton(AF_INET6, addr, &a6) == 1) {
        if (IN6_IS_ADDR_LOOPBACK(&a6))
            return true;
        return IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127;
    }
    return false;
}

int portal_hash_password(const char *password, char *out, size_t cap, struct cd_err *err)
{
    if (sodium_init() < 0)
        return cd_fail(err, CD_ERR_INVALID, "libsodium could not start");
    if (cap < crypto_pwhash_STRBYTES)
        return cd_fail(err, CD_ERR_INVALID, "password hash: buffer too small");
    if (strlen(password) < 8)
        return cd_fail(err, CD_ERR_INVALID, _("the password: at least 8 characters"));
    if (crypto_pwhash_str(out, password, strlen(password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
        return cd_fail(err, CD_ERR_NOMEM, _("the password hash: out of memory"));
    return 0;
}

int portal_listen_parse(const char *s, struct sockaddr_storage *ss, bool *v6, char *host,
                        size_t host_cap, struct cd_err *err)
{
    const char *colon = strrchr(s, ':');
    const char *h = s;
    size_t hn;
    bool bracket = s[0] == '[';
    if (bracket) {
        const char *close = strchr(s, ']');
        if (close == NULL || close[1] != ':')
            goto bad;
        h = s + 1;
        hn = (size_t)(close - h);
        colon = close + 1;
    } else {
        if (colon == NULL)
            goto bad;
        hn = (size_t)(colon - s);
        if (memchr(s, ':', hn) != NULL)   /* an IPv6 address goes in brackets */
            goto bad;
    }
    if (hn == 0 || hn >= host_cap)
        goto bad;
    memcpy(host, h, hn);
    host[hn] = '\0';
    char *end;
    errno = 0;
    long port = strtol(colon + 1, &end, 10);
    if (colon[1] == '\0' || *end != '\0' || errno != 0 || port < 0 || port > 65535)
        goto bad;
    memset(ss, 0, sizeof *ss);
    struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
    if (!bracket && inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
        a4->sin_family = AF_INET;
        a4->sin_port = htons((uint16_t)port);
        *v6 = false;
        return 0;
    }
    if (bracket && inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((uint16_t)port);
        *v6 = true;
        return 0;
    }
bad:
    return cd_fail(err, CD_ERR_INVALID,
                   _("--listen: '%.80s' is not ADDR:PORT with a numeric address (127.0.0.1:8080, "
                     "[::1]:8080, 0.0.0.0:8080)"),
                   s);
}

/* The URL and its arguments percent-decoded (RFC 3986 2.1), but for %00:
 * a NUL would end the text the handler sees and hide what follows it
 * ("/verify/%00/../x" would read as "/verify/"), so it stays "%00" and the
 * parameter is refused as any other bad character. */
static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

static size_t unescape(void *cls, struct MHD_Connection *c, char *s)
{
    (void)cls, (void)c;
    char *w = s;
    for (const char *r = s; *r;) {
        int hi = r[0] == '%' ? hexval(r[1]) : -1, lo = hi >= 0 ? hexval(r[2]) : -1;
        if (lo >= 0 && (hi | lo) != 0) {
            *w++ = (char)(hi * 16 + lo);
            r += 3;
        } else {
            *w++ = *r++;
        }
    }
    *w = '\0';
    return (size_t)(w - s);
}

/* ---------------------------------------------------------------- language */

/* The language of a request (portal_lang_pick). */
static const char *pick_lang(struct MHD_Connection *c)
{
    return portal_lang_pick(MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "lang"),
                            MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Accept-Language"));
}

/* ---------------------------------------------------------------- login */

/* Whether the request carries a login the lab file accepts: a bearer
 * token (RFC 6750 2.1), or HTTP Basic (RFC 7617) whose password matches
 * portal: password_hash (any user name). */
static bool logged_in(struct portal *p, struct MHD_Connection *c)
{
    const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
    if (auth == NULL || strlen(auth) > 1024)
        return false;
    if (strncmp(auth, "Bearer ", 7) == 0) {
        const char *t = auth + 7;
        unsigned char h[32], k[32];
        crypto_hash_sha256(h, (const unsigned char *)t, strlen(t));
        bool ok = false;
        for (size_t i = 0; i < p->lab.n_portal_tokens; i++) {
            const char *tok = p->lab.portal_tokens[i];
            crypto_hash_sha256(k, (const unsigned char *)tok, strlen(tok));
            ok |= sodium_memcmp(h, k, sizeof h) == 0;   /* constant time */
        }
        return ok;
    }
    if (p->lab.portal_password_hash[0] == '\0')
        return false;
    char *pass = NULL;
    char *user = MHD_basic_auth_get_username_password(c, &pass);
    bool ok = false;
    if (user != NULL && pass != NULL) {
        unsigned char h[32];
        crypto_hash_sha256(h, (const unsigned char *)pass, strlen(pass));
        pthread_mutex_lock(&p->auth_lock);
        for (size_t i = 0; i < p->n_good && !ok; i++)
            ok = sodium_memcmp(p->good[i], h, sizeof h) == 0;
        pthread_mutex_unlock(&p->auth_lock);
        if (!ok && crypto_pwhash_str_verify(p->lab.portal_password_hash, pass, strlen(pass)) == 0) {
            ok = true;
            pthread_mutex_lock(&p->auth_lock);
            memcpy(p->good[p->next_good], h, sizeof h);
            p->next_good = (p->next_good + 1) % 8;
            if (p->n_good < 8)
                p->n_good++;
            pthread_mutex_unlock(&p->auth_lock);
        }
        sodium_memzero(h, sizeof h);
    }
    if (pass != NULL) {
        sodium_memzero(pass, strlen(pass));
        MHD_free(pass);
    }
    if (user != NULL)
        MHD_free(user);
    return ok;
}

/* ---------------------------------------------------------------- replies */

static enum MHD_Result send_reply(struct MHD_Connection *c, struct reply *rep, bool auth_fail)
{
    struct MHD_Response *resp;
    if (rep->fd >= 0) {
        resp = MHD_create_response_from_fd(rep->fd_size, rep->fd);
        if (resp == NULL)
            close(rep->fd);
        rep->fd = -1;
    } else {
        if (rep->body.oom) {
            buf_free(&rep->body);
            rep->status = MHD_HTTP_INTERNAL_SERVER_ERROR;
            buf_s(&rep->body, "out of memory\n");
            rep->type = "text/plain; charset=utf-8";
        }
        resp = MHD_create_response_from_buffer(rep->body.n, rep->body.p ? rep->body.p : "",
                                               MHD_RESPMEM_MUST_COPY);
    }
    buf_free(&rep->body);
    if (resp == NULL)
        return MHD_NO;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                            rep->type ? rep->type : "text/html; charset=utf-8");
    MHD_add_response_header(resp, "Content-Security-Policy", CSP);
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "X-Frame-Options", "DENY");
    MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(resp, "Cross-Origin-Opener-Policy", "same-origin");
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL,
                            rep->cache ? "public, max-age=3600" : "no-store");
    if (rep->disposition[0] != '\0')
        MHD_add_response_header(resp, "Content-Disposition", rep->disposition);
    enum MHD_Result r = auth_fail ? MHD_queue_basic_auth_fail_response(c, "caldaq", resp)
                                  : MHD_queue_response(c, rep->status, resp);
    MHD_destroy_response(resp);
    return r;
}

static enum MHD_Result simple(struct MHD_Connection *c, const struct req *r, unsigned status,
                              const char *what)
{
    struct reply rep = {.fd = -1};
    page_error(r, status, what, &rep);
    return send_reply(c, &rep, false);
}

/* ---------------------------------------------------------------- upload */

/* The mark of a GET seen once (its address only). */
static const char first_call = 0;
/* ... and one whose body was dropped. */
static const char body_seen = 0;

struct upload {
    struct MHD_PostProcessor *pp;
    struct buf file;
    bool sent;          /* a "file" part came */
    bool too_big;
    size_t other;       /* bytes of other fields (bounded too) */
    size_t max;
};

static enum MHD_Result upload_part(void *cls, enum MHD_ValueKind kind, const char *key,
                                   const char *filename, const char *content_type,
                                   const char *transfer_encoding, const char *data, uint64_t off,
                                   size_t size)
{
    (void)kind, (void)filename, (void)content_type, (void)transfer_encoding, (void)off;
    struct upload *u = cls;
    if (strcmp(key, "file") != 0) {
        u->other += size;
        return u->other <= 4096 ? MHD_YES : MHD_NO;
    }
    u->sent = true;
    if (u->file.n + size > u->max) {
        u->too_big = true;
        return MHD_NO;
    }
    if (size > 0)
        buf_add(&u->file, data, size);
    return MHD_YES;
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
    (void)cls, (void)c, (void)toe;
    struct upload *u = *con_cls;
    if (u == NULL || *con_cls == (void *)&first_call || *con_cls == (void *)&body_seen)
        return;
    if (u->pp != NULL)
        MHD_destroy_post_processor(u->pp);
    buf_free(&u->file);
    free(u);
    *con_cls = NULL;
}

/* ---------------------------------------------------------------- routes */

/* The part of `url` after `prefix`, or NULL when url does not begin with it. */
static const char *after(const char *url, const char *prefix)
{
    size_t n = strlen(prefix);
    return strncmp(url, prefix, n) == 0 ? url + n : NULL;
}

/* A query parameter, NULL when absent; *bad when longer than `max`. */
static const char *arg(struct MHD_Connection *c, const char *key, size_t max, bool *bad)
{
    const char *v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, key);
    if (v != NULL && strlen(v) > max)
        *bad = true;
    return v;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
                               const char *method, const char *version,
                               const char *upload_data, size_t *upload_data_size, void **con_cls)
{
    (void)version;
    struct portal *p = cls;
    const char *lang = pick_lang(c);
    struct req r = {.p = p,
                    .c = c,
                    .cat = strcmp(lang, "vi") == 0 ? p->vi : NULL,
                    .lang = lang,
                    .url = url};
    bool get = strcmp(method, MHD_HTTP_METHOD_GET) == 0 ||
               strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
    bool post = strcmp(method, MHD_HTTP_METHOD_POST) == 0;
    const char *vnum = after(url, "/verify/");

    /* the upload: the body through the POST processor, capped */
    if (post && vnum != NULL) {
        struct upload *u = *con_cls;
        if (u == NULL) {
            const char *len = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                          MHD_HTTP_HEADER_CONTENT_LENGTH);
            if (len != NULL && strtoull(len, NULL, 10) > p->upload_max + 65536)
                return simple(c, &r, MHD_HTTP_CONTENT_TOO_LARGE,
                              tr(&r, N_("The file is larger than the portal accepts.")));
            u = calloc(1, sizeof *u);
            if (u == NULL)
                return MHD_NO;
            *con_cls = u;
            u->max = p->upload_max;
            u->pp = MHD_create_post_processor(c, 16 * 1024, upload_part, u);
            if (u->pp == NULL)
                return simple(c, &r, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE,
                              tr(&r, N_("Send the file as a form (multipart/form-data).")));
            return MHD_YES;
        }
        if (*upload_data_size != 0) {
            /* past the cap the rest is read and dropped, so the refusal
             * reaches a client that is still sending */
            if (!u->too_big)
                (void)MHD_post_process(u->pp, upload_data, *upload_data_size);
            *upload_data_size = 0;
            return MHD_YES;
        }
        if (u->too_big || u->file.n > p->upload_max)
            return simple(c, &r, MHD_HTTP_CONTENT_TOO_LARGE,
                          tr(&r, N_("The file is larger than the portal accepts.")));
        if (u->file.oom)
            return MHD_NO;
        struct reply rep = {.fd = -1};
        page_verify(&r, vnum, u->file.p ? u->file.p : "", u->file.n, u->sent, &rep);
        return send_reply(c, &rep, false);
    }
    /* a GET answered on the library's second call, once the request is
     * read whole: answered on the first, the connection cannot be kept
     * alive (the library cannot tell that no body follows) */
    if (get && *con_cls == NULL) {
        *con_cls = (void *)&first_call;
        return MHD_YES;
    }
    if (*con_cls == NULL && !get) {
        /* anything else that may carry a body: refused at once */
        return simple(c, &r, MHD_HTTP_METHOD_NOT_ALLOWED,
                      tr(&r, N_("This server only reads: GET, and POST to /verify/NUMBER.")));
    }
    if (!get)
        return MHD_NO;
    if (*upload_data_size != 0) {
        /* a GET with a body: read and dropped (bounded by the idle
         * timeout), then refused */
        *upload_data_size = 0;
        *con_cls = (void *)&body_seen;
        return MHD_YES;
    }
    if (*con_cls == (void *)&body_seen)
        return simple(c, &r, MHD_HTTP_BAD_REQUEST,
                      tr(&r, N_("This request carries a body; only the upload to /verify/NUMBER "
                                "may.")));

    struct reply rep = {.fd = -1};
    /* public: the stylesheet and verification */
    if (strcmp(url, "/static/style.css") == 0) {
        rep.status = MHD_HTTP_OK;
        rep.type = "text/css; charset=utf-8";
        rep.cache = true;
        buf_s(&rep.body, portal_css);
        return send_reply(c, &rep, false);
    }
    if (strcmp(url, "/verify") == 0 || strcmp(url, "/verify/") == 0) {
        bool bad = false;
        const char *n = arg(c, "number", CERT_NUMBER_MAX, &bad);
        if (n != NULL && n[0] != '\0' && !bad) {
            struct cd_err e = {0};
            if (cert_number_check(n, "number", CERT_NUMBER_MAX, &e) != 0)
                return simple(c, &r, MHD_HTTP_BAD_REQUEST,
                              tr(&r, N_("That is not a certificate number.")));
            /* a redirect to the page of that number (the number is plain) */
            struct MHD_Response *resp =
                MHD_create_response_from_buffer(0, "", MHD_RESPMEM_PERSISTENT);
            char loc[128];
            snprintf(loc, sizeof loc, "/verify/%s?lang=%s", n, lang);
            MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION, loc);
            MHD_add_response_header(resp, "Content-Security-Policy", CSP);
            MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
            MHD_add_response_header(resp, "X-Frame-Options", "DENY");
            MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
            enum MHD_Result res = MHD_queue_response(c, MHD_HTTP_SEE_OTHER, resp);
            MHD_destroy_response(resp);
            return res;
        }
        if (bad)
            return simple(c, &r, MHD_HTTP_BAD_REQUEST,
                          tr(&r, N_("That is not a certificate number.")));
        page_verify(&r, NULL, NULL, 0, false, &rep);
        return send_reply(c, &rep, false);
    }
    if (vnum != NULL) {
        page_verify(&r, vnum, NULL, 0, false, &rep);
        return send_reply(c, &rep, false);
    }
    /* the rest needs a login off loopback */
    if (p->login && !logged_in(p, c)) {
        page_error(&r, MHD_HTTP_UNAUTHORIZED, tr(&r, N_("Log in to see the lab's records.")),
                   &rep);
        return send_reply(c, &rep, true);
    }
    const char *rest;
    bool bad = false;
    if (strcmp(url, "/") == 0) {
        page_index(&r, &rep);
    } else if (strcmp(url, "/search") == 0) {
        const char *q = arg(c, "q", PORTAL_QUERY_MAX, &bad);
        const char *from = arg(c, "from", 10, &bad), *to = arg(c, "to", 10, &bad);
        if (from != NULL && from[0] == '\0')
            from = NULL;
        if (to != NULL && to[0] == '\0')
            to = NULL;
        if (bad || (from != NULL && !portal_date_ok(from)) || (to != NULL && !portal_date_ok(to)))
            page_error(&r, MHD_HTTP_BAD_REQUEST,
                       tr(&r, N_("A search is at most 256 bytes; dates are YYYY-MM-DD.")), &rep);
        else
            page_search(&r, q ? q : "", from, to, &rep);
    } else if ((rest = after(url, "/run/")) != NULL) {
        if (!portal_run_id_ok(rest))
            page_error(&r, MHD_HTTP_BAD_REQUEST, tr(&r, N_("That is not a run id.")), &rep);
        else
            page_run(&r, rest, &rep);
    } else if ((rest = after(url, "/cert/")) != NULL) {
        char number[CERT_NUMBER_MAX + 1];
        const char *slash = strchr(rest, '/');
        size_t n = slash ? (size_t)(slash - rest) : strlen(rest);
        struct cd_err e = {0};
        if (n > CERT_NUMBER_MAX || (memcpy(number, rest, n), number[n] = '\0',
                                    cert_number_check(number, "number", CERT_NUMBER_MAX, &e)) != 0)
            page_error(&r, MHD_HTTP_BAD_REQUEST, tr(&r, N_("That is not a certificate number.")),
                       &rep);
        else if (slash == NULL)
            page_cert(&r, number, &rep);
        else
            page_cert_file(&r, number, slash + 1, &rep);
    } else if (strcmp(url, "/due") == 0) {
        const char *w = arg(c, "within", 16, &bad);
        if (bad)
            page_error(&r, MHD_HTTP_BAD_REQUEST, tr(&r, N_("That is not a period.")), &rep);
        else
            page_due(&r, w, &rep);
    } else if (strcmp(url, "/standards") == 0) {
        page_standards(&r, &rep);
    } else {
        page_error(&r, MHD_HTTP_NOT_FOUND, tr(&r, N_("No such page.")), &rep);
    }
    return send_reply(c, &rep, false);
}

/* ---------------------------------------------------------------- start, stop */

int portal_start(const struct portal_opts *o, portal **out, struct cd_err *err)
{
    *out = NULL;
    if (sodium_init() < 0)
        return cd_fail(err, CD_ERR_INVALID, "libsodium could not start");
    struct sockaddr_storage ss;
    bool v6 = false;
    char host[64];
    int rc = portal_listen_parse(o->listen ? o->listen : PORTAL_LISTEN_DEFAULT, &ss, &v6, host,
                          sizeof host, err);
    if (rc != 0)
        return rc;
    struct portal *p = calloc(1, sizeof *p);
    if (p == NULL)
        return cd_fail(err, CD_ERR_NOMEM, "out of memory");
    pthread_mutex_init(&p->db_lock, NULL);
    pthread_cond_init(&p->db_free, NULL);
    pthread_mutex_init(&p->run_lock, NULL);
    pthread_mutex_init(&p->auth_lock, NULL);
    p->upload_max = o->upload_max ? o->upload_max : PORTAL_UPLOAD_MAX;
    snprintf(p->zone, sizeof p->zone, "%s", CD_ZONE_DEFAULT);
    if (o->lab != NULL) {
        p->has_lab = true;
        p->lab = *o->lab;
        snprintf(p->zone, sizeof p->zone, "%s", o->lab->time_zone);
        char pub[4200];
        if ((size_t)snprintf(pub, sizeof pub, "%s.pub", o->lab->key) < sizeof pub &&
            access(pub, R_OK) == 0)
            snprintf(p->pub_path, sizeof p->pub_path, "%s", pub);
    }
    p->login = !portal_is_loopback(host);
    if (p->login && (!p->has_lab || (p->lab.portal_password_hash[0] == '\0' &&
                                     p->lab.n_portal_tokens == 0))) {
        portal_stop(p);
        return cd_fail(err, CD_ERR_INVALID,
                       _("--listen %s is not loopback: the pages need a login, and the lab file "
                         "gives none (portal: password_hash from caldaq serve --hash-password, "
                         "or tokens)"),
                       host);
    }
    unsigned threads = o->threads ? o->threads : PORTAL_THREADS;
    if (threads > PORTAL_DB_MAX)
        threads = PORTAL_DB_MAX;
    /* the records must be there: the portal only reads them */
    if (strstr(o->records, "://") == NULL && access(o->records, R_OK) != 0) {
        int e = errno;
        portal_stop(p);
        return cd_fail(err, CD_ERR_NOT_FOUND, "%s: %s", o->records, strerror(e));
    }
    for (unsigned i = 0; i < threads; i++) {
        if ((rc = rec_open(o->records, &p->db[i], err)) != 0) {
            portal_stop(p);
            return rc;
        }
        p->n_db++;
    }
    p->reader = daq_run_reader_new(0);
    /* the Vietnamese catalogue: caldaq.mo in the locale directory; none
     * there means Vietnamese pages show the English texts */
    struct cd_err cerr = {0};
    if (cd_catalog_open("vi", &p->vi, &cerr) != 0)
        p->vi = NULL;
    unsigned flags = MHD_USE_AUTO_INTERNAL_THREAD | (v6 ? MHD_USE_IPv6 : 0);
    unsigned conns = o->connections ? o->connections : PORTAL_CONNECTIONS;
    unsigned per_ip = o->per_ip ? o->per_ip : PORTAL_PER_IP;
    unsigned timeout = o->timeout_s ? o->timeout_s : PORTAL_TIMEOUT_S;
    p->d = MHD_start_daemon(flags, 0, NULL, NULL, handler, p,
                            MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
                            MHD_OPTION_THREAD_POOL_SIZE, threads,
                            MHD_OPTION_CONNECTION_LIMIT, conns,
                            MHD_OPTION_PER_IP_CONNECTION_LIMIT, per_ip,
                            MHD_OPTION_CONNECTION_TIMEOUT, timeout,
                            MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024),
                            MHD_OPTION_NOTIFY_COMPLETED, completed, p,
                            MHD_OPTION_UNESCAPE_CALLBACK, unescape, p,
                            MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024u,
                            MHD_OPTION_END);
    if (p->d == NULL) {
        int e = errno;
        portal_stop(p);
        return cd_fail(err, CD_ERR_IO, _("cannot listen on %s: %s"),
                       o->listen ? o->listen : PORTAL_LISTEN_DEFAULT, strerror(e));
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(p->d, MHD_DAEMON_INFO_BIND_PORT);
    unsigned port = info != NULL ? info->port : 0;
    snprintf(p->address, sizeof p->address, v6 ? "[%s]:%u" : "%s:%u", host, port);
    *out = p;
    return 0;
}

const char *portal_address(const portal *p)
{
    return p->address;
}

bool portal_login_required(const portal *p)
{
    return p->login;
}

bool portal_vietnamese(const portal *p)
{
    return p->vi != NULL;
}

void portal_stop(portal *p)
{
    if (p == NULL)
        return;
    if (p->d != NULL)
        MHD_stop_daemon(p->d);
    for (size_t i = 0; i < p->n_db; i++)
        rec_close(p->db[i]);
    daq_run_reader_free(p->reader);
    cd_catalog_close(p->vi);
    pthread_mutex_destroy(&p->db_lock);
    pthread_cond_destroy(&p->db_free);
    pthread_mutex_destroy(&p->run_lock);
    pthread_mutex_destroy(&p->auth_lock);
    sodium_memzero(p->good, sizeof p->good);
    free(p);
}
