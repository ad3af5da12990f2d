/* One language's catalogue read on its own (common/cd_i18n.c): catalogues
 * made here byte by byte in the GNU MO layout (the gettext manual, 10.3),
 * looked up; damaged ones refused with the file named; the compiled
 * Vietnamese catalogue of the build found where the program looks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "cd_i18n.h"

struct pair {
    const char *msgid;  /* may hold a NUL (a plural pair): length given */
    size_t id_len;
    const char *text;
    size_t text_len;
};

#define P(id, tx) {id, sizeof id - 1, tx, sizeof tx - 1}

static void put_word(unsigned char *p, uint32_t w, int swapped)
{
    if (swapped)
        w = ((w & 0xffu) << 24) | ((w & 0xff00u) << 8) | ((w >> 8) & 0xff00u) | (w >> 24);
    memcpy(p, &w, 4);
}

/* A catalogue of `n` pairs, originals in the order given. */
static size_t make_mo(unsigned char *buf, size_t cap, const struct pair *pairs, uint32_t n,
                      int swapped)
{
    uint32_t orig = 28, trans = orig + 8 * n, strings = trans + 8 * n;
    size_t at = strings;
    memset(buf, 0, cap);
    put_word(buf, 0x950412deu, swapped);
    put_word(buf + 4, 0, swapped);
    put_word(buf + 8, n, swapped);
    put_word(buf + 12, orig, swapped);
    put_word(buf + 16, trans, swapped);
    for (uint32_t i = 0; i < n; i++) {
        assert_true(at + pairs[i].id_len + pairs[i].text_len + 2 < cap);
        put_word(buf + orig + 8 * i, (uint32_t)pairs[i].id_len, swapped);
        put_word(buf + orig + 8 * i + 4, (uint32_t)at, swapped);
        memcpy(buf + at, pairs[i].msgid, pairs[i].id_len);
        at += pairs[i].id_len + 1;
        put_word(buf + trans + 8 * i, (uint32_t)pairs[i].text_len, swapped);
        put_word(buf + trans + 8 * i + 4, (uint32_t)at, swapped);
        memcpy(buf + at, pairs[i].text, pairs[i].text_len);
        at += pairs[i].text_len + 1;
    }
    return at;
}

static const struct pair sample[] = {
    P("", "Content-Type: text/plain; charset=UTF-8\n"),
    P("%zu readings", "%zu số chỉ"),
    P("Not measured", "Không đo"),
    P("one file\0%zu files", "%zu tệp"),
    P("untranslated", ""),
    P("zero point", "điểm không"),
};

static void test_lookup(void **state)
{
    (void)state;
    unsigned char buf[2048];
    for (int swapped = 0; swapped < 2; swapped++) {
        size_t n = make_mo(buf, sizeof buf, sample, 6, swapped);
        struct cd_catalog *cat;
        struct cd_err err = {0};
        assert_int_equal(cd_catalog_from_bytes(buf, n, "vi", "sample.mo", &cat, &err), 0);
        assert_string_equal(cd_catalog_lang(cat), "vi");
        assert_string_equal(cd_catalog_text(cat, "Not measured"), "Không đo");
        assert_string_equal(cd_catalog_text(cat, "%zu readings"), "%zu số chỉ");
        assert_string_equal(cd_catalog_text(cat, "zero point"), "điểm không");
        assert_string_equal(cd_catalog_text(cat, "one file"), "%zu tệp");
        /* An empty msgstr is "not translated": the English stays. */
        assert_string_equal(cd_catalog_text(cat, "untranslated"), "untranslated");
        assert_string_equal(cd_catalog_text(cat, "not in the catalogue"), "not in the catalogue");
        assert_string_equal(cd_catalog_text(cat, ""), "");
        /* A prefix of a msgid is a different msgid. */
        assert_string_equal(cd_catalog_text(cat, "Not"), "Not");
        cd_catalog_close(cat);
    }
}

static void test_unsorted_file_still_found(void **state)
{
    (void)state;
    const struct pair reversed[] = {P("zero point", "điểm không"), P("Not measured", "Không đo"),
                                    P("", "Content-Type: text/plain; charset=UTF-8\n")};
    unsigned char buf[1024];
    size_t n = make_mo(buf, sizeof buf, reversed, 3, 0);
    struct cd_catalog *cat;
    assert_int_equal(cd_catalog_from_bytes(buf, n, "vi", "r.mo", &cat, NULL), 0);
    assert_string_equal(cd_catalog_text(cat, "Not measured"), "Không đo");
    assert_string_equal(cd_catalog_text(cat, "zero point"), "điểm không");
    cd_catalog_close(cat);
}

static void test_identity(void **state)
{
    (void)state;
    const char *names[] = {"en", "en_GB", "C", "POSIX", ""};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        struct cd_catalog *cat = NULL;
        assert_int_equal(cd_catalog_open(names[i], &cat, NULL), 0);
        assert_non_null(cat);
        assert_string_equal(cd_catalog_lang(cat), "en");
        assert_string_equal(cd_catalog_text(cat, "Not measured"), "Not measured");
        cd_catalog_close(cat);
    }
    assert_string_equal(cd_catalog_text(NULL, "Not measured"), "Not measured");
    cd_catalog_close(NULL);
}

static void expect_refused(const unsigned char *buf, size_t n, int code, const char *words)
{
    struct cd_catalog *cat = (struct cd_catalog *)1;
    struct cd_err err = {0};
    assert_int_equal(cd_catalog_from_bytes(buf, n, "vi", "bad.mo", &cat, &err), code);
    assert_null(cat);
    assert_non_null(strstr(err.msg, "bad.mo"));
    assert_non_null(strstr(err.msg, words));
}

static void test_damaged(void **state)
{
    (void)state;
    unsigned char buf[2048], bad[2048];
    size_t n = make_mo(buf, sizeof buf, sample, 6, 0);

    expect_refused(buf, 10, CD_ERR_PARSE, "not a compiled message catalogue");
    memcpy(bad, buf, n);
    bad[0] ^= 0xff;
    expect_refused(bad, n, CD_ERR_PARSE, "magic");
    memcpy(bad, buf, n);
    put_word(bad + 4, 7u << 16, 0);
    expect_refused(bad, n, CD_ERR_UNSUPPORTED, "revision 7");
    /* More strings than the file holds. */
    memcpy(bad, buf, n);
    put_word(bad + 8, 100000, 0);
    expect_refused(bad, n, CD_ERR_PARSE, "cut short");
    /* A string running past the end, and one without its NUL. */
    memcpy(bad, buf, n);
    put_word(bad + 28 + 8 * 2, 5000, 0);
    expect_refused(bad, n, CD_ERR_PARSE, "entry 2");
    memcpy(bad, buf, n);
    uint32_t off;
    memcpy(&off, bad + 28 + 8 * 2 + 4, 4);
    bad[off + strlen("Not measured")] = 'x';
    expect_refused(bad, n, CD_ERR_PARSE, "entry 2");
    /* Cut anywhere: refused or read, never a wild read (ASan watches). */
    for (size_t cut = 0; cut < n; cut++) {
        struct cd_catalog *cat = NULL;
        if (cd_catalog_from_bytes(buf, cut, "vi", "cut.mo", &cat, NULL) == 0)
            cd_catalog_close(cat);
    }

    struct cd_catalog *cat = (struct cd_catalog *)1;
    struct cd_err err = {0};
    assert_int_equal(cd_catalog_from_bytes(buf, n, "../etc", "x.mo", &cat, &err), CD_ERR_INVALID);
    assert_null(cat);
}

static void test_files(void **state)
{
    (void)state;
    char dir[] = "/tmp/caldaq-i18n-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char sub[256], path[300];
    snprintf(sub, sizeof sub, "%s/vi", dir);
    assert_int_equal(mkdir(sub, 0755), 0);
    snprintf(sub, sizeof sub, "%s/vi/LC_MESSAGES", dir);
    assert_int_equal(mkdir(sub, 0755), 0);
    snprintf(path, sizeof path, "%s/caldaq.mo", sub);

    char *saved = getenv("CALDAQ_LOCALEDIR") ? strdup(getenv("CALDAQ_LOCALEDIR")) : NULL;
    setenv("CALDAQ_LOCALEDIR", dir, 1);
    char where[512];
    assert_int_equal(cd_locale_dir(where, sizeof where), 0);
    assert_string_equal(where, dir);

    struct cd_catalog *cat = NULL;
    struct cd_err err = {0};
    assert_int_equal(cd_catalog_open("vi", &cat, &err), CD_ERR_NOT_FOUND);
    assert_non_null(strstr(err.msg, path));

    unsigned char buf[2048];
    size_t n = make_mo(buf, sizeof buf, sample, 6, 0);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(buf, 1, n, f), n);
    fclose(f);
    assert_int_equal(cd_catalog_open("vi", &cat, NULL), 0);
    assert_string_equal(cd_catalog_text(cat, "Not measured"), "Không đo");
    cd_catalog_close(cat);
    err = (struct cd_err){0};
    assert_int_equal(cd_catalog_open("vi/../..", &cat, &err), CD_ERR_INVALID);

    unlink(path);
    snprintf(sub, sizeof sub, "%s/vi/LC_MESSAGES", dir);
    rmdir(sub);
    snprintf(sub, sizeof sub, "%s/vi", dir);
    rmdir(sub);
    rmdir(dir);
    if (saved != NULL) {
        setenv("CALDAQ_LOCALEDIR", saved, 1);
        free(saved);
    } else {
        unsetenv("CALDAQ_LOCALEDIR");
    }
}

/* Catalogues msgfmt made (tests/fuzz/corpus/catalog/, from a .po with a
 * plural and a context; one little-endian, one with --endianness=big). */
static void test_msgfmt_files(void **state)
{
    (void)state;
    const char *files[] = {"tests/fuzz/corpus/catalog/plural-context.mo",
                           "tests/fuzz/corpus/catalog/big-endian.mo"};
    for (size_t i = 0; i < 2; i++) {
        struct cd_catalog *cat = NULL;
        struct cd_err err = {0};
        if (cd_catalog_open_file(files[i], "vi", &cat, &err) != 0)
            fail_msg("%s", err.msg);
        assert_string_equal(cd_catalog_text(cat, "Not measured"), "Không đo");
        /* The plain msgid, not the one with the context "unit". */
        assert_string_equal(cd_catalog_text(cat, "zero point"), "điểm không");
        assert_string_equal(cd_catalog_text(cat, "one file"), "%zu tệp");
        cd_catalog_close(cat);
    }
}

/* The build's own Vietnamese catalogue (make test points CALDAQ_LOCALEDIR
 * at build/locale): it opens and translates what cd_i18n.c itself says. */
static void test_build_catalogue(void **state)
{
    (void)state;
    const char *dir = getenv("CALDAQ_LOCALEDIR");
    if (dir == NULL || dir[0] == '\0')
        fail_msg("CALDAQ_LOCALEDIR is not set: run through make test or make unit");
    struct cd_catalog *cat = NULL;
    struct cd_err err = {0};
    if (cd_catalog_open("vi", &cat, &err) != 0)
        fail_msg("%s", err.msg);
    const char *vi = cd_catalog_text(cat, "out of memory");
    assert_string_not_equal(vi, "out of memory");
    cd_catalog_close(cat);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lookup),
        cmocka_unit_test(test_unsorted_file_still_found),
        cmocka_unit_test(test_identity),
        cmocka_unit_test(test_damaged),
        cmocka_unit_test(test_files),
        cmocka_unit_test(test_msgfmt_files),
        cmocka_unit_test(test_build_catalogue),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
