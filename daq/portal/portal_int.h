/* Private to daq/portal/: what the server (portal.c), the pages
 * (portal_pages.c), the chart (portal_svg.c) and the page builder
 * (portal_html.c) share. */
#ifndef CALDAQ_PORTAL_INT_H
#define CALDAQ_PORTAL_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "cd_i18n.h"
#include "portal.h"
#include "records.h"
#include "run.h"

/* ---------------------------------------------------------------- text */

/* A growing byte buffer; after a failed allocation it keeps what it had
 * and says so (oom), so a page is never sent cut. */
struct buf {
    char *p;
    size_t n, cap;
    bool oom;
};
void buf_add(struct buf *b, const char *s, size_t n);
void buf_s(struct buf *b, const char *s);
void buf_f(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* s as HTML text or attribute value: & < > " ' escaped (HTML 5, 13.1.2.6;
 * from memory: the five characters OWASP's cheat sheet names). */
void buf_h(struct buf *b, const char *s);
/* s as one component of a URL, percent-encoded but for RFC 3986's
 * unreserved characters. */
void buf_u(struct buf *b, const char *s);
void buf_free(struct buf *b);

/* ---------------------------------------------------------------- server */

#define PORTAL_DB_MAX 16

struct portal {
    struct MHD_Daemon *d;
    char address[96];
    bool login;
    bool has_lab;
    struct cert_lab lab;
    char pub_path[4200];            /* the lab's KEY.pub, "" when none */
    char zone[128];
    size_t upload_max;
    /* the records: one connection per thread of the pool */
    pthread_mutex_t db_lock;
    pthread_cond_t db_free;
    size_t n_db;
    rec_db *db[PORTAL_DB_MAX];
    bool db_busy[PORTAL_DB_MAX];
    /* run files are read by one child process (the store's guard), one
     * request at a time */
    pthread_mutex_t run_lock;
    daq_run_reader *reader;
    /* the Vietnamese catalogue; English is the msgids */
    struct cd_catalog *vi;
    /* credentials seen good (their SHA-256), so that the slow password
     * hash is paid once per password, not per request */
    pthread_mutex_t auth_lock;
    unsigned char good[8][32];
    size_t n_good, next_good;
};

/* One request as the pages see it. */
struct req {
    struct portal *p;
    struct MHD_Connection *c;
    const struct cd_catalog *cat;   /* NULL: English */
    const char *lang;               /* "vi" or "en" */
    const char *url;
};

/* The text of `msgid` in the request's language. */
const char *tr(const struct req *r, const char *msgid) __attribute__((format_arg(2)));

/* A reply: status, body, type; or a file to send (fd >= 0). */
struct reply {
    unsigned status;
    struct buf body;
    const char *type;               /* NULL: text/html; charset=utf-8 */
    int fd;                         /* a file to send, -1 none */
    size_t fd_size;
    char disposition[200];          /* Content-Disposition, "" none */
    bool cache;                     /* may be cached (static files) */
};

/* A records connection for the request's thread (waits for a free one). */
rec_db *portal_db_take(struct portal *p);
void portal_db_give(struct portal *p, rec_db *db);

/* ---------------------------------------------------------------- pages */

/* Each writes its page (or an error page) into rep. `q`: the query
 * parameters already read from the request by the server. */
void page_index(const struct req *r, struct reply *rep);
void page_search(const struct req *r, const char *text, const char *from, const char *to,
                 struct reply *rep);
void page_run(const struct req *r, const char *run_id, struct reply *rep);
void page_cert(const struct req *r, const char *number, struct reply *rep);
void page_cert_file(const struct req *r, const char *number, const char *name,
                    struct reply *rep);
void page_due(const struct req *r, const char *within, struct reply *rep);
void page_standards(const struct req *r, struct reply *rep);
/* /verify/NUMBER; with `data` (a file sent, `len` bytes) the result of its
 * check; `too_big` when the file sent was over the limit. */
void page_verify(const struct req *r, const char *number, const void *data, size_t len,
                 bool sent, struct reply *rep);
void page_error(const struct req *r, unsigned status, const char *what, struct reply *rep);

/* The page around a body: head, the navigation with the language switch,
 * and the end. */
void page_begin(const struct req *r, struct buf *b, const char *title);
void page_end(const struct req *r, struct buf *b);

/* The stylesheet (/static/style.css). */
extern const char portal_css[];

/* ---------------------------------------------------------------- chart */

/* The error chart of a run's results (the analysis JSON, caldaq-analysis/1):
 * each measured point's error with its +-U bar, and the +-MPE envelope
 * through the points of each plan group, as SVG into b. Nothing when
 * there is no measured point. */
void portal_svg_chart(const struct req *r, const json_t *results, struct buf *b);

/* ---------------------------------------------------------------- checks */

/* A run id: a UUID as the store writes it (8-4-4-4-12 lower-case hex). */
bool portal_run_id_ok(const char *s);
/* YYYY-MM-DD, digits only. */
bool portal_date_ok(const char *s);
/* A file name a certificate's record may list: letters, digits, '-', '_',
 * '.', not beginning with '.', at most 120 bytes. */
bool portal_file_name_ok(const char *s);
/* The language of a request: `arg` (?lang=) when "vi" or "en", else the
 * first of vi and en in `accept` (Accept-Language, RFC 9110 12.5.4) by its
 * weight q, else "en". Either may be NULL. A static string. */
const char *portal_lang_pick(const char *arg, const char *accept);
/* "ADDR:PORT" or "[ADDR6]:PORT", numeric, port 0..65535, into a socket
 * address; `host` gets ADDR. CD_ERR_INVALID naming --listen otherwise. */
struct sockaddr_storage;
int portal_listen_parse(const char *s, struct sockaddr_storage *ss, bool *v6, char *host,
                        size_t host_cap, struct cd_err *err);

#endif
