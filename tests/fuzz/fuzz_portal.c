/* Fuzz target "portal": what a request brings to caldaq serve
 * (daq/portal/): the input's lines are a ?lang= value, an Accept-Language
 * header, a --listen address, and a name checked as a run id, a date and a
 * file name of a certificate; the whole input is also escaped for HTML and
 * for a URL. The guarantees: a language is "vi" or "en"; a listen address
 * accepted has a host that is numeric and NUL-terminated; a name accepted
 * as a file name holds no '/' and does not begin with '.'; the escaped
 * HTML holds none of < > " ' and every & begins an entity; the escaped URL
 * only unreserved characters and %XX. */
#include "fuzz_util.h"

#include <sys/socket.h>

#include "portal_int.h"

static char *line_of(char **p)
{
    char *s = *p, *nl = strchr(s, '\n');
    if (nl != NULL) {
        *nl = '\0';
        *p = nl + 1;
    } else {
        *p = s + strlen(s);
    }
    return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_cstr(data, size);
    if (text == NULL)
        return 0;
    char *p = text;
    char *arg = line_of(&p), *accept = line_of(&p), *listen = line_of(&p), *name = line_of(&p);
    const char *lang = portal_lang_pick(arg, accept);
    if (strcmp(lang, "vi") != 0 && strcmp(lang, "en") != 0)
        abort();
    struct sockaddr_storage ss;
    bool v6;
    char host[64];
    struct cd_err err = {0};
    if (portal_listen_parse(listen, &ss, &v6, host, sizeof host, &err) == 0) {
        if (memchr(host, '\0', sizeof host) == NULL || host[0] == '\0')
            abort();
        (void)portal_is_loopback(host);
    } else if (err.code == 0) {
        abort();
    }
    if (portal_file_name_ok(name) && (strchr(name, '/') != NULL || name[0] == '.'))
        abort();
    if (portal_run_id_ok(name) && strlen(name) != 36)
        abort();
    if (portal_date_ok(name) && strlen(name) != 10)
        abort();
    struct buf b = {0};
    buf_h(&b, text);
    for (size_t i = 0; b.p != NULL && i < b.n; i++) {
        if (strchr("<>\"'", b.p[i]) != NULL)
            abort();
        if (b.p[i] == '&' && strncmp(b.p + i, "&amp;", 5) != 0 && strncmp(b.p + i, "&lt;", 4) != 0 &&
            strncmp(b.p + i, "&gt;", 4) != 0 && strncmp(b.p + i, "&quot;", 6) != 0 &&
            strncmp(b.p + i, "&#39;", 5) != 0)
            abort();
    }
    buf_free(&b);
    buf_u(&b, text);
    for (size_t i = 0; b.p != NULL && i < b.n; i++) {
        char c = b.p[i];
        bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                     strchr("-._~%", c) != NULL;
        if (!plain)
            abort();
    }
    buf_free(&b);
    free(text);
    return 0;
}
