/* One language's compiled catalogue, read without the process's gettext
 * state (cd_i18n.h says why).
 *
 * The file is GNU gettext's MO format, as msgfmt writes it; its layout is
 * given in the GNU gettext manual, section 10.3 "The Format of GNU MO
 * Files" (gettext 0.21, the version Debian 12 ships):
 *
 *   offset  0  magic number 0x950412de, in the byte order of the writer
 *           4  file format revision (major revision 0 or 1)
 *           8  N, the number of strings
 *          12  O, offset of the table of original strings
 *          16  T, offset of the table of translated strings
 *          20  S, size of the hashing table      (not used here)
 *          24  H, offset of the hashing table    (not used here)
 *
 * Each table holds N pairs (length, offset) of 32-bit words; a string is
 * `length` bytes at `offset` followed by a NUL that the length does not
 * count. The originals are sorted, so a binary search finds a msgid. A msgid with a plural form is stored as
 * "msgid\0msgid_plural", and one with a context as "context\4msgid"; a
 * strcmp() lookup of a plain msgid matches the first and never the second,
 * which is what _() means. The empty msgid is the header.
 *
 * Every length and offset is checked against the file before it is used:
 * the catalogue is outside input (a damaged installation, a hand-edited
 * file), and a bad one must give a clear error, never a wild read. */
#include "cd_i18n.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef CD_LOCALEDIR
#define CD_LOCALEDIR "/usr/local/share/locale"
#endif

#define MO_MAGIC 0x950412deu
#define MO_MAGIC_SWAPPED 0xde120495u
#define MO_HEADER_SIZE 28u
/* The Vietnamese catalogue is some hundred kilobytes; anything near this
 * is not a catalogue of ours. */
#define MO_MAX_SIZE (32u << 20)

struct cd_catalog_entry {
    const char *msgid;
    const char *text;
};

struct cd_catalog {
    char lang[16];
    unsigned char *image;           /* the file, NULL for the identity */
    size_t count;
    struct cd_catalog_entry *entries;/* sorted as in the file */
};

static int identity_lang(const char *lang)
{
    return lang == NULL || lang[0] == '\0' || strcmp(lang, "en") == 0 || strncmp(lang, "en_", 3) == 0 ||
           strcmp(lang, "C") == 0 || strcmp(lang, "POSIX") == 0;
}

static int lang_valid(const char *lang)
{
    size_t n = strlen(lang);
    if (n == 0 || n >= sizeof ((struct cd_catalog *)0)->lang)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = lang[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '@' ||
              (c >= '0' && c <= '9')))
            return 0;
    }
    return 1;
}

static uint32_t word_at(const unsigned char *p, int swapped)
{
    uint32_t w;
    memcpy(&w, p, sizeof w);
    if (swapped)
        w = ((w & 0xffu) << 24) | ((w & 0xff00u) << 8) | ((w >> 8) & 0xff00u) | (w >> 24);
    return w;
}

/* The string of table entry `i`, checked to lie inside the image and to
 * end with its NUL. */
static int string_at(const unsigned char *image, size_t size, uint32_t table, uint32_t i,
                     int swapped, const char **out)
{
    uint64_t at = (uint64_t)table + 8u * (uint64_t)i;
    if (at + 8u > size)
        return -1;
    uint32_t len = word_at(image + at, swapped);
    uint32_t off = word_at(image + at + 4, swapped);
    if ((uint64_t)off + len + 1u > size || image[(size_t)off + len] != '\0')
        return -1;
    *out = (const char *)image + off;
    return 0;
}

static int compare_entries(const void *a, const void *b)
{
    const struct cd_catalog_entry *x = a, *y = b;
    return strcmp(x->msgid, y->msgid);
}

int cd_catalog_from_bytes(const void *data, size_t size, const char *lang, const char *origin,
                          struct cd_catalog **out, struct cd_err *err)
{
    *out = NULL;
    if (origin == NULL)
        origin = "catalogue";
    if (lang == NULL || !lang_valid(lang))
        return cd_fail(err, CD_ERR_INVALID, _("%s: '%s' is not a language name"), origin,
                       lang == NULL ? "" : lang);
    if (size < MO_HEADER_SIZE || size > MO_MAX_SIZE)
        return cd_fail(err, CD_ERR_PARSE,
                       _("%s: not a compiled message catalogue (%zu bytes)"), origin, size);
    const unsigned char *bytes = data;
    uint32_t magic;
    memcpy(&magic, bytes, sizeof magic);
    int swapped;
    if (magic == MO_MAGIC)
        swapped = 0;
    else if (magic == MO_MAGIC_SWAPPED)
        swapped = 1;
    else
        return cd_fail(err, CD_ERR_PARSE,
                       _("%s: not a compiled message catalogue (no MO magic number)"), origin);
    uint32_t revision = word_at(bytes + 4, swapped);
    if ((revision >> 16) > 1)
        return cd_fail(err, CD_ERR_UNSUPPORTED,
                       _("%s: message catalogue format revision %u is not supported"), origin,
                       (unsigned)(revision >> 16));
    uint32_t n = word_at(bytes + 8, swapped);
    uint32_t originals = word_at(bytes + 12, swapped);
    uint32_t translations = word_at(bytes + 16, swapped);
    if ((uint64_t)originals + 8u * (uint64_t)n > size ||
        (uint64_t)translations + 8u * (uint64_t)n > size)
        return cd_fail(err, CD_ERR_PARSE,
                       _("%s: message catalogue is cut short (%u strings do not fit in %zu bytes)"),
                       origin, (unsigned)n, size);

    struct cd_catalog *cat = calloc(1, sizeof *cat);
    unsigned char *image = malloc(size);
    struct cd_catalog_entry *entries = calloc(n == 0 ? 1 : n, sizeof *entries);
    if (cat == NULL || image == NULL || entries == NULL) {
        free(cat);
        free(image);
        free(entries);
        return cd_fail(err, CD_ERR_NOMEM, _("out of memory reading %s"), origin);
    }
    memcpy(image, bytes, size);
    for (uint32_t i = 0; i < n; i++) {
        if (string_at(image, size, originals, i, swapped, &entries[i].msgid) != 0 ||
            string_at(image, size, translations, i, swapped, &entries[i].text) != 0) {
            free(cat);
            free(image);
            free(entries);
            return cd_fail(err, CD_ERR_PARSE,
                           _("%s: message catalogue entry %u points outside the file"), origin,
                           (unsigned)i);
        }
    }
    /* msgfmt writes the originals sorted; sorting our own index by the
     * stored bytes keeps the binary search right whatever order a valid
     * file has (how msgfmt orders a msgid with a context against plain
     * ones was not checked: caldaq uses no contexts). */
    qsort(entries, n, sizeof *entries, compare_entries);
    snprintf(cat->lang, sizeof cat->lang, "%s", lang);
    cat->image = image;
    cat->count = n;
    cat->entries = entries;
    *out = cat;
    return 0;
}

static int read_whole(const char *path, unsigned char **data, size_t *size, struct cd_err *err)
{
    *data = NULL;
    *size = 0;
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return cd_fail(err, errno == ENOENT ? CD_ERR_NOT_FOUND : CD_ERR_IO,
                       _("cannot open the message catalogue %s: %s"), path, strerror(errno));
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < 0 ||
        (unsigned long long)st.st_size > MO_MAX_SIZE) {
        fclose(f);
        return cd_fail(err, CD_ERR_PARSE, _("%s: not a compiled message catalogue"), path);
    }
    size_t n = (size_t)st.st_size;
    unsigned char *buf = malloc(n == 0 ? 1 : n);
    if (buf == NULL) {
        fclose(f);
        return cd_fail(err, CD_ERR_NOMEM, _("out of memory reading %s"), path);
    }
    if (fread(buf, 1, n, f) != n) {
        int e = errno;
        fclose(f);
        free(buf);
        return cd_fail(err, CD_ERR_IO, _("cannot read the message catalogue %s: %s"), path,
                       strerror(e));
    }
    fclose(f);
    *data = buf;
    *size = n;
    return 0;
}

int cd_catalog_open_file(const char *path, const char *lang, struct cd_catalog **out,
                         struct cd_err *err)
{
    *out = NULL;
    unsigned char *data;
    size_t size;
    int rc = read_whole(path, &data, &size, err);
    if (rc != 0)
        return rc;
    rc = cd_catalog_from_bytes(data, size, lang, path, out, err);
    free(data);
    return rc;
}

int cd_catalog_open(const char *lang, struct cd_catalog **out, struct cd_err *err)
{
    *out = NULL;
    if (identity_lang(lang)) {
        struct cd_catalog *cat = calloc(1, sizeof *cat);
        if (cat == NULL)
            return cd_fail(err, CD_ERR_NOMEM, _("out of memory"));
        snprintf(cat->lang, sizeof cat->lang, "en");
        *out = cat;
        return 0;
    }
    if (!lang_valid(lang))
        return cd_fail(err, CD_ERR_INVALID, _("'%s' is not a language name"), lang);
    char dir[PATH_MAX], path[PATH_MAX + 64];
    int rc = cd_locale_dir(dir, sizeof dir);
    if (rc != 0)
        return cd_fail(err, rc, _("the folder of the translations is not known"));
    snprintf(path, sizeof path, "%s/%s/LC_MESSAGES/%s.mo", dir, lang, CD_TEXT_DOMAIN);
    return cd_catalog_open_file(path, lang, out, err);
}

const char *cd_pgettext(const char *key, const char *text)
{
    /* dgettext gives its argument back when there is no translation */
    const char *t = dgettext(CD_TEXT_DOMAIN, key);
    return t == key ? text : t;
}

const char *cd_pgettext2(const char *context, const char *text)
{
    char key[256];
    if ((size_t)snprintf(key, sizeof key, "%s\004%s", context, text) >= sizeof key)
        return text;
    const char *t = dgettext(CD_TEXT_DOMAIN, key);
    return t == key ? text : t;
}

const char *cd_catalog_text(const struct cd_catalog *cat, const char *msgid)
{
    if (cat == NULL || cat->entries == NULL || msgid == NULL || msgid[0] == '\0')
        return msgid;
    size_t lo = 0, hi = cat->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(cat->entries[mid].msgid, msgid);
        if (c == 0) {
            /* An empty msgstr means "not translated" to msgfmt's readers. */
            const char *t = cat->entries[mid].text;
            return t[0] != '\0' ? t : msgid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return msgid;
}

const char *cd_catalog_lang(const struct cd_catalog *cat)
{
    return cat == NULL ? "en" : cat->lang;
}

void cd_catalog_close(struct cd_catalog *cat)
{
    if (cat == NULL)
        return;
    free(cat->entries);
    free(cat->image);
    free(cat);
}

static int is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int cd_locale_dir(char *buf, size_t size)
{
    const char *env = getenv("CALDAQ_LOCALEDIR");
    if (env != NULL && env[0] != '\0') {
        if ((size_t)snprintf(buf, size, "%s", env) >= size)
            return CD_ERR_INVALID;
        return 0;
    }
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash != NULL) {
            *slash = '\0';
            char candidate[PATH_MAX + 16];
            snprintf(candidate, sizeof candidate, "%s/locale", exe);
            if (is_dir(candidate)) {
                if ((size_t)snprintf(buf, size, "%s", candidate) >= size)
                    return CD_ERR_INVALID;
                return 0;
            }
        }
    }
    if ((size_t)snprintf(buf, size, "%s", CD_LOCALEDIR) >= size)
        return CD_ERR_INVALID;
    return 0;
}
