/* The portal's page builder: a byte buffer, HTML and URL escaping, the
 * frame of every page (head, navigation, language switch), the stylesheet,
 * the checks of request parameters, and the pool of records connections
 * the pages take one of. */
#include "portal_int.h"

#include <stdarg.h>
#include <strings.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void buf_add(struct buf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->n + n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (p == NULL) {
            b->oom = true;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = '\0';
}

void buf_s(struct buf *b, const char *s)
{
    buf_add(b, s, strlen(s));
}

void buf_f(struct buf *b, const char *fmt, ...)
{
    char small[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n < sizeof small) {
        buf_add(b, small, (size_t)n);
        return;
    }
    char *big = malloc((size_t)n + 1);
    if (big == NULL) {
        b->oom = true;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    buf_add(b, big, (size_t)n);
    free(big);
}

void buf_h(struct buf *b, const char *s)
{
    if (s == NULL)
        return;
    const char *run = s;
    for (const char *p = s; *p; p++) {
        const char *e = NULL;
        switch (*p) {
        case '&': e = "&amp;"; break;
        case '<': e = "&lt;"; break;
        case '>': e = "&gt;"; break;
        case '"': e = "&quot;"; break;
        case '\'': e = "&#39;"; break;
        default: continue;
        }
        buf_add(b, run, (size_t)(p - run));
        buf_s(b, e);
        run = p + 1;
    }
    buf_s(b, run);
}

void buf_u(struct buf *b, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; p != NULL && *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            strchr("-._~", *p) != NULL)
            buf_add(b, (const char *)p, 1);
        else
            buf_f(b, "%%%02X", *p);
    }
}

void buf_free(struct buf *b)
{
    free(b->p);
    *b = (struct buf){0};
}

rec_db *portal_db_take(struct portal *p)
{
    pthread_mutex_lock(&p->db_lock);
    for (;;) {
        for (size_t i = 0; i < p->n_db; i++)
            if (!p->db_busy[i]) {
                p->db_busy[i] = true;
                pthread_mutex_unlock(&p->db_lock);
                return p->db[i];
            }
        pthread_cond_wait(&p->db_free, &p->db_lock);
    }
}

void portal_db_give(struct portal *p, rec_db *db)
{
    pthread_mutex_lock(&p->db_lock);
    for (size_t i = 0; i < p->n_db; i++)
        if (p->db[i] == db)
            p->db_busy[i] = false;
    pthread_cond_signal(&p->db_free);
    pthread_mutex_unlock(&p->db_lock);
}

const char *tr(const struct req *r, const char *msgid)
{
    return cd_catalog_text(r->cat, msgid);
}

bool portal_run_id_ok(const char *s)
{
    if (strlen(s) != 36)
        return false;
    for (int i = 0; i < 36; i++) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? s[i] != '-' : !((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    }
    return true;
}

bool portal_date_ok(const char *s)
{
    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return false;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
            return false;
    return true;
}

const char *portal_lang_pick(const char *arg, const char *accept)
{
    if (arg != NULL && (strcmp(arg, "vi") == 0 || strcmp(arg, "en") == 0))
        return strcmp(arg, "vi") == 0 ? "vi" : "en";
    if (accept == NULL || strlen(accept) > 512)
        return "en";
    double best = 0;
    const char *pick = "en";
    for (const char *p = accept; *p;) {
        while (*p == ' ' || *p == ',')
            p++;
        const char *tag = p;
        while (*p && *p != ',' && *p != ';' && *p != ' ')
            p++;
        size_t n = (size_t)(p - tag);
        /* the weight: ";q=" and a number from 0 to 1 (RFC 9110 12.4.2);
         * anything else in the parameters is passed over */
        double w = 1;
        while (*p && *p != ',') {
            if (strncmp(p, ";q=", 3) == 0) {
                char *end;
                w = strtod(p + 3, &end);
                if (end == p + 3 || !(w >= 0 && w <= 1))
                    w = 0;
                p = end > p ? end : p + 1;
                continue;
            }
            p++;
        }
        bool vi = n >= 2 && strncasecmp(tag, "vi", 2) == 0 && (n == 2 || tag[2] == '-');
        bool en = n >= 2 && strncasecmp(tag, "en", 2) == 0 && (n == 2 || tag[2] == '-');
        if ((vi || en) && w > best) {
            best = w;
            pick = vi ? "vi" : "en";
        }
    }
    return pick;
}

bool portal_file_name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 120 || s[0] == '.')
        return false;
    for (const char *p = s; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '-' || *p == '_' || *p == '.'))
            return false;
    return true;
}

void page_begin(const struct req *r, struct buf *b, const char *title)
{
    buf_f(b, "<!DOCTYPE html>\n<html lang=\"%s\">\n<head>\n<meta charset=\"utf-8\">\n", r->lang);
    buf_s(b, "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>");
    buf_h(b, title);
    buf_s(b, " — caldaq</title>\n<link rel=\"stylesheet\" href=\"/static/style.css\">\n"
             "</head>\n<body>\n<header>\n<div class=\"lab\">");
    if (r->p->has_lab)
        buf_h(b, strcmp(r->lang, "vi") == 0 ? r->p->lab.name_vi : r->p->lab.name_en);
    else
        buf_s(b, "caldaq");
    buf_s(b, "</div>\n<nav>");
    /* the pages a visitor without a login may not open are still listed:
     * the server asks for the login when they are opened */
    buf_f(b, "<a href=\"/?lang=%s\">%s</a> ", r->lang, tr(r, N_("Search")));
    buf_f(b, "<a href=\"/due?lang=%s\">%s</a> ", r->lang, tr(r, N_("Due list")));
    buf_f(b, "<a href=\"/standards?lang=%s\">%s</a> ", r->lang, tr(r, N_("Standards")));
    buf_f(b, "<a href=\"/verify?lang=%s\">%s</a>", r->lang, tr(r, N_("Verify a certificate")));
    /* the switch: this page in the other language */
    const char *other = strcmp(r->lang, "vi") == 0 ? "en" : "vi";
    buf_s(b, " <span class=\"lang\"><a hreflang=\"");
    buf_s(b, other);
    buf_s(b, "\" href=\"");
    buf_h(b, r->url);
    buf_f(b, "?lang=%s\">%s</a></span>", other,
          strcmp(other, "vi") == 0 ? "Tiếng Việt" : "English");
    buf_s(b, "</nav>\n</header>\n<main>\n<h1>");
    buf_h(b, title);
    buf_s(b, "</h1>\n");
}

void page_end(const struct req *r, struct buf *b)
{
    buf_f(b, "</main>\n<footer>caldaq — %s</footer>\n</body>\n</html>\n",
          tr(r, N_("the lab's records, read-only")));
}

const char portal_css[] =
    "body{font-family:'DejaVu Sans',sans-serif;margin:0;color:#222;background:#fff}\n"
    "header{background:#12355b;color:#fff;padding:.6em 1em}\n"
    "header a{color:#fff;margin-right:1em}\n"
    ".lab{font-weight:bold;font-size:1.1em}\n"
    ".lang{float:right}\n"
    "main{padding:1em;max-width:70em}\n"
    "table{border-collapse:collapse;margin:.5em 0 1em}\n"
    "th,td{border:1px solid #bbb;padding:.2em .5em;text-align:left;vertical-align:top}\n"
    "th{background:#eef}\n"
    "td.num{text-align:right;font-variant-numeric:tabular-nums}\n"
    ".status{font-weight:bold;padding:.1em .4em}\n"
    ".valid,.genuine{background:#d4f4d4}\n"
    ".amended{background:#fff1c4}\n"
    ".withdrawn,.bad{background:#f8d0d0}\n"
    ".hash{font-family:monospace;font-size:.85em;word-break:break-all}\n"
    "footer{color:#777;font-size:.8em;padding:1em}\n"
    "svg{max-width:100%;height:auto;border:1px solid #ddd}\n";
