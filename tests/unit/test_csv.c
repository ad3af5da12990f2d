/* The numeric CSV reader of `caldaq fit` (common/csv.c): bad input first, each
 * error checked for its code and for FILE:LINE in the message, then the
 * forms of good input it promises to accept. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

/* The Makefile links unit tests against the libraries only, and daq/ has
 * none (its objects include main): compile the reader into this test. */
#include "csv.h"

#define MAX_FILES 8

/* A scratch directory made with mkdtemp and the files written into it. */
struct scratch {
    char dir[256];
    char paths[MAX_FILES][512];
    size_t n;
};

static int scratch_setup(void **state)
{
    struct scratch *s = calloc(1, sizeof *s);
    if (s == NULL)
        return -1;
    const char *tmp = getenv("TMPDIR");
    snprintf(s->dir, sizeof s->dir, "%s/test_csv.XXXXXX", tmp != NULL ? tmp : "/tmp");
    if (mkdtemp(s->dir) == NULL) {
        free(s);
        return -1;
    }
    *state = s;
    return 0;
}

static int scratch_teardown(void **state)
{
    struct scratch *s = *state;
    int rc = 0;
    for (size_t i = 0; i < s->n; i++)
        if (unlink(s->paths[i]) != 0)
            rc = -1;
    if (rmdir(s->dir) != 0)
        rc = -1;
    free(s);
    return rc;
}

/* Write `len` bytes (NULs included) to a new file; returns its path. */
static const char *write_file(struct scratch *s, const char *name, const char *bytes, size_t len)
{
    assert_true(s->n < MAX_FILES);
    /* Formatted apart, then copied: GCC's -Wrestrict cannot tell the
     * struct's two arrays apart. */
    char built[sizeof s->paths[0]];
    snprintf(built, sizeof built, "%s/%s", s->dir, name);
    char *path = s->paths[s->n];
    memcpy(path, built, sizeof built);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    s->n++;
    assert_int_equal(fwrite(bytes, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
    return path;
}

#define WRITE(s, name, literal) write_file((s), (name), (literal), sizeof(literal) - 1)

/* Read `path` expecting failure `code` at `line`: the message must start
 * with "PATH:LINE:" and contain `needle`. */
static void expect_error(const char *path, int code, size_t line, const char *needle)
{
    struct csv_xy t;
    struct cd_err err = {0};
    int rc = csv_read_xy(path, &t, &err);
    if (rc != code)
        fail_msg("%s: expected code %d, got %d (%s)", path, code, rc, cd_err_text(&err));
    assert_int_equal(err.code, code);
    char where[600];
    snprintf(where, sizeof where, "%s:%zu: ", path, line);
    if (strncmp(err.msg, where, strlen(where)) != 0)
        fail_msg("message \"%s\" does not start with \"%s\"", err.msg, where);
    if (strstr(err.msg, needle) == NULL)
        fail_msg("message \"%s\" lacks \"%s\"", err.msg, needle);
    /* A failed read leaves nothing to free. */
    assert_int_equal(t.n, 0);
    assert_null(t.x);
    assert_null(t.y);
    assert_null(t.u_y);
}

/* ------------------------------------------------------------------ */
/* Bad input                                                           */

static void garbage_bytes(void **state)
{
    static const char bytes[] = "x,y\n1.5,2.25\n\xff\xfe\x00\x01,3\n4,5\n";
    const char *p = write_file(*state, "garbage.csv", bytes, sizeof bytes - 1);
    expect_error(p, CD_ERR_PARSE, 3, "'\\xFF\\xFE\\x00\\x01' is not a number");
}

/* Garbage on the first line is not taken for a header of odd names. */
static void garbage_first_line(void **state)
{
    static const char bytes[] = "\xff\xff\xff,\x00\n1,2\n";
    const char *p = write_file(*state, "garbage1.csv", bytes, sizeof bytes - 1);
    expect_error(p, CD_ERR_PARSE, 1, "field 1 (x): '\\xFF\\xFF\\xFF' is not a number");
}

static void truncated_line(void **state)
{
    /* Cut off after the separator, with no newline: the y field is gone. */
    const char *p = WRITE(*state, "truncated.csv", "x,y\n1,2\n# last row cut:\n3,");
    expect_error(p, CD_ERR_PARSE, 4, "field 2 (y) is empty");
}

static void nan_rejected(void **state)
{
    const char *p = WRITE(*state, "nan.csv", "x,y\n1,2\n2,nan\n");
    expect_error(p, CD_ERR_INVALID, 3, "'nan' is not finite");
}

static void inf_rejected(void **state)
{
    const char *p = WRITE(*state, "inf.csv", "-Infinity,2\n");
    expect_error(p, CD_ERR_INVALID, 1, "'-Infinity' is not finite");
}

static void out_of_range(void **state)
{
    const char *p = WRITE(*state, "range.csv", "1,2\r\n1e999,3\r\n");
    expect_error(p, CD_ERR_INVALID, 2, "'1e999' is out of the range");
}

static void wrong_number_of_fields(void **state)
{
    const char *p = WRITE(*state, "fields.csv", "x,y\n\n1,2\n3,4,5\n");
    expect_error(p, CD_ERR_PARSE, 4, "3 fields, expected 2");
}

static void missing_field(void **state)
{
    const char *p = WRITE(*state, "missing.csv", "x,y,u\n1,2,0.1\n3,4\n");
    expect_error(p, CD_ERR_PARSE, 3, "2 fields, expected 3");
    const char *q = WRITE(*state, "empty-field.csv", "x,y,u\n1,2,0.1\n3,,0.1\n");
    expect_error(q, CD_ERR_PARSE, 3, "field 2 (y) is empty");
}

static void empty_file(void **state)
{
    const char *p = write_file(*state, "empty.csv", "", 0);
    expect_error(p, CD_ERR_PARSE, 1, "empty file");
    const char *q = WRITE(*state, "comments.csv", "# nothing here\n\n# still nothing\n");
    expect_error(q, CD_ERR_PARSE, 3, "no data rows");
}

static void header_only(void **state)
{
    const char *p = WRITE(*state, "header.csv", "x,y\n");
    expect_error(p, CD_ERR_PARSE, 1, "no data rows after the header on line 1");
}

static void u_not_positive(void **state)
{
    const char *p = WRITE(*state, "u.csv", "1,2,0.5\n2,3,0\n");
    expect_error(p, CD_ERR_INVALID, 2, "must be positive");
}

static void not_a_number_is_quoted(void **state)
{
    /* A ';' file with decimal commas gets a hint. */
    const char *p = WRITE(*state, "comma.csv", "x;y\n1,5;2\n");
    expect_error(p, CD_ERR_PARSE, 2, "'1,5' is not a number (decimal comma?");
    const char *q = WRITE(*state, "hex.csv", "1,2\n0x10,3\n");
    expect_error(q, CD_ERR_PARSE, 2, "'0x10' is not a number");
}

static void header_problems(void **state)
{
    const char *p = WRITE(*state, "twice.csv", "x,y,X\n1,2,3\n");
    expect_error(p, CD_ERR_PARSE, 1, "column x named twice");
    const char *q = WRITE(*state, "noy.csv", "x,b\n1,2\n");
    expect_error(q, CD_ERR_PARSE, 1, "names column x but no column y");
    const char *r = WRITE(*state, "four.csv", "a,b,c,d\n1,2,3,4\n");
    expect_error(r, CD_ERR_PARSE, 1, "4 fields; expected 2 (x,y) or 3");
}

static void missing_file(void **state)
{
    struct scratch *s = *state;
    char path[512];
    snprintf(path, sizeof path, "%s/no-such.csv", s->dir);
    struct csv_xy t;
    struct cd_err err = {0};
    assert_int_equal(csv_read_xy(path, &t, &err), CD_ERR_NOT_FOUND);
    assert_non_null(strstr(err.msg, path));
    assert_non_null(strstr(err.msg, "No such file"));
    cd_err_clear(&err);
    assert_int_equal(csv_read_xy(s->dir, &t, &err), CD_ERR_IO);
}

/* ------------------------------------------------------------------ */
/* Good input                                                          */

static void check_column(const double *got, const double *want, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (got[i] != want[i])
            fail_msg("value %zu: got %.17g, want %.17g", i, got[i], want[i]);
}

static void read_ok(const char *path, struct csv_xy *t)
{
    struct cd_err err = {0};
    int rc = csv_read_xy(path, t, &err);
    if (rc != 0)
        fail_msg("%s", cd_err_text(&err));
}

static void accepts_bom_crlf_comments_no_final_newline(void **state)
{
    const char *p = WRITE(*state, "good.csv",
                          "\xEF\xBB\xBF# JCGM 100 H.3, first rows\r\n"
                          "t,b\r\n"
                          "  21.521 , -0.171\r\n"
                          "\r\n"
                          "# a comment between rows\r\n"
                          "22.012,-0.169");
    struct csv_xy t;
    read_ok(p, &t);
    const double x[] = {21.521, 22.012};
    const double y[] = {-0.171, -0.169};
    assert_int_equal(t.n, 2);
    check_column(t.x, x, 2);
    check_column(t.y, y, 2);
    assert_null(t.u_y);
    csv_xy_free(&t);
    assert_null(t.x);
    csv_xy_free(NULL);
}

static void named_columns_in_any_order(void **state)
{
    const char *p = WRITE(*state, "named.csv", "U_Y;note;Y;x\n0.01;5;2.385;1\n0.02;6;4.77;2\n");
    struct csv_xy t;
    read_ok(p, &t);
    const double x[] = {1, 2};
    const double y[] = {2.385, 4.77};
    const double u[] = {0.01, 0.02};
    assert_int_equal(t.n, 2);
    check_column(t.x, x, 2);
    check_column(t.y, y, 2);
    assert_non_null(t.u_y);
    check_column(t.u_y, u, 2);
    csv_xy_free(&t);
}

static void tabs_and_three_columns_without_header(void **state)
{
    const char *p = WRITE(*state, "tabs.tsv", "1.5\t2.5\t0.1\n\"2.5\"\t3.5\t0.2\n");
    struct csv_xy t;
    read_ok(p, &t);
    const double x[] = {1.5, 2.5};
    const double u[] = {0.1, 0.2};
    assert_int_equal(t.n, 2);
    check_column(t.x, x, 2);
    check_column(t.u_y, u, 2);
    csv_xy_free(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(garbage_bytes, scratch_setup, scratch_teardown),
        cmocka_unit_test_setup_teardown(garbage_first_line, scratch_setup, scratch_teardown),
        cmocka_unit_test_setup_teardown(truncated_line, scratch_setup, scratch_teardown),
        cmocka_unit_test_setup_teardown(nan_rejected, scratch_setup, scratch_teardown),
        cmocka_unit_test_setup_teardown(inf_rejected, scratch_setup, scratch_teardown),
        cmocka_unit_test_setup_teardown(out_of_range, scratch_setup, scratch_teardown),
        cmocka_unit_test_setup_teardown(wrong_number_of_fields, scratch_setup, scratch_teardown),
        cmocka_unit_test_setup_teardown(missing_field, scratch_setup, scratch_teardown),
        cmocka_unit_test_setup_teardown(empty_file, scratch_setup, scratch_teardown),
        cmocka_unit_test_setup_teardown(header_only, scratch_setup, scratch_teardown),
        cmocka_unit_test_setup_teardown(u_not_positive, scratch_setup, scratch_teardown),
        cmocka_unit_test_setup_teardown(not_a_number_is_quoted, scratch_setup, scratch_teardown),
        cmocka_unit_test_setup_teardown(header_problems, scratch_setup, scratch_teardown),
        cmocka_unit_test_setup_teardown(missing_file, scratch_setup, scratch_teardown),
        cmocka_unit_test_setup_teardown(accepts_bom_crlf_comments_no_final_newline,
                                        scratch_setup, scratch_teardown),
        cmocka_unit_test_setup_teardown(named_columns_in_any_order, scratch_setup,
                                        scratch_teardown),
        cmocka_unit_test_setup_teardown(tabs_and_three_columns_without_header, scratch_setup,
                                        scratch_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
