/* The lab's web portal (`caldaq serve`, docs/portal.md): plain
 * server-rendered pages, Vietnamese or English per request, over the
 * records (daq/records/) and the issued certificates (daq/cert/): search,
 * a run, a certificate and its files, the due list, the lab's standards,
 * and the public verification of a certificate (`/verify/NUMBER`, what its
 * QR code opens) with the check of a file someone holds. HTTP through
 * libmicrohttpd (a pool of threads, connection limits per address and in
 * all, an idle timeout, a memory limit per connection); read-only but for
 * the verification upload, which is held in memory and never written.
 * Private to daq/. */
#ifndef CALDAQ_PORTAL_H
#define CALDAQ_PORTAL_H

#include <stdbool.h>
#include <stddef.h>

#include "cd.h"
#include "cert.h"

/* Limits; every one has its default when 0. */
#define PORTAL_LISTEN_DEFAULT "127.0.0.1:8080"
#define PORTAL_UPLOAD_MAX (8u * 1024 * 1024)   /* a file sent to /verify */
#define PORTAL_THREADS 4
#define PORTAL_CONNECTIONS 1000                /* at once, in all */
#define PORTAL_PER_IP 128                      /* at once, from one address */
#define PORTAL_TIMEOUT_S 10                    /* an idle connection is closed */
#define PORTAL_QUERY_MAX 256                   /* a search string, in bytes */

struct portal_opts {
    const char *listen;             /* "ADDR:PORT", "[ADDR]:PORT"; NULL: PORTAL_LISTEN_DEFAULT;
                                     * port 0: one the system picks (portal_address says) */
    const char *records;            /* a file or a postgresql:// URL (required) */
    const struct cert_lab *lab;     /* NULL: no lab file (no login, no key for uploads) */
    const char *lab_path;
    unsigned threads, connections, per_ip, timeout_s;
    size_t upload_max;
};

typedef struct portal portal;

/* Open the records (one connection per thread) and the catalogues, and
 * listen. Refused when the address is not loopback and the lab file gives
 * no way to log in (portal: password_hash or tokens). Threads are started:
 * block the signals the caller waits for before calling. */
int portal_start(const struct portal_opts *o, portal **out, struct cd_err *err);
/* "127.0.0.1:8080", "[::1]:41234": the address as bound. */
const char *portal_address(const portal *p);
/* Whether pages other than /verify and /static need a login. */
bool portal_login_required(const portal *p);
/* Whether the Vietnamese catalogue was found (else the Vietnamese pages
 * show the English texts). */
bool portal_vietnamese(const portal *p);
/* Stop listening, finish the requests under way, free. NULL: nothing. */
void portal_stop(portal *p);

/* Whether a numeric address is loopback: 127.0.0.0/8 (RFC 1122 3.2.1.3)
 * or ::1 (RFC 4291 2.5.3), also as ::ffff:127.x.y.z. */
bool portal_is_loopback(const char *addr);

/* A password as the lab file's portal: password_hash holds it (libsodium's
 * crypto_pwhash_str, Argon2id, interactive limits). */
int portal_hash_password(const char *password, char *out, size_t cap, struct cd_err *err);

#endif
