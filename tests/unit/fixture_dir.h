/* Frame fixtures (the .bytes files of tests/fixtures/<driver>/ and their .expect):
 * shared by test_balances.c and test_indicators.c. Include after
 * <cmocka.h>. */
#ifndef CALDAQ_FIXTURE_DIR_H
#define CALDAQ_FIXTURE_DIR_H

#include <dirent.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "drv.h"

static inline size_t fixture_read(const char *path, uint8_t *buf, size_t cap)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        fail_msg("cannot open %s (run from the repository root)", path);
    size_t n = fread(buf, 1, cap, f);
    fclose(f);
    return n;
}

/* The parser's result (rc, r, err) for bytes_path against the .expect JSON
 * beside it: a reading {"value", "unit", "status", "display"[, "error"]},
 * or {"error": fragment} for a CD_ERR_PROTOCOL refusal. True for a
 * reading. */
static inline bool fixture_expect(const char *bytes_path, int rc, const struct drv_reading *r,
                                  const struct cd_err *err)
{
    char expect_path[512];
    snprintf(expect_path, sizeof expect_path, "%.*s.expect",
             (int)(strlen(bytes_path) - strlen(".bytes")), bytes_path);
    json_error_t je;
    json_t *exp = json_load_file(expect_path, 0, &je);
    if (exp == NULL)
        fail_msg("%s: %s", expect_path, je.text);
    json_t *status = json_object_get(exp, "status");
    json_t *error = json_object_get(exp, "error");
    if (status == NULL) {
        /* a protocol error whose message contains the expected text */
        if (rc != CD_ERR_PROTOCOL || err->code != CD_ERR_PROTOCOL)
            fail_msg("%s: expected CD_ERR_PROTOCOL, got %d (%s)", bytes_path, rc, err->msg);
        if (strstr(err->msg, json_string_value(error)) == NULL)
            fail_msg("%s: message \"%s\" lacks \"%s\"", bytes_path, err->msg,
                     json_string_value(error));
        assert_true(isnan(r->value));
        json_decref(exp);
        return false;
    }
    if (rc != 0)
        fail_msg("%s: %s", bytes_path, err->msg);
    if (strcmp(drv_status_name(r->status), json_string_value(status)) != 0)
        fail_msg("%s: status %s, expected %s", bytes_path, drv_status_name(r->status),
                 json_string_value(status));
    json_t *v = json_object_get(exp, "value");
    if (json_is_null(v)) {
        if (!isnan(r->value))
            fail_msg("%s: value %g, expected none", bytes_path, r->value);
    } else {
        double want = json_number_value(v);
        if (!(fabs(r->value - want) <= 1e-12 * fabs(want)))
            fail_msg("%s: value %.17g, expected %.17g", bytes_path, r->value, want);
    }
    const char *unit = json_string_value(json_object_get(exp, "unit"));
    const char *display = json_string_value(json_object_get(exp, "display"));
    if (strcmp(r->unit, unit) != 0 || strcmp(r->display, display) != 0)
        fail_msg("%s: unit \"%s\" display \"%s\", expected \"%s\" \"%s\"", bytes_path, r->unit,
                 r->display, unit, display);
    const char *etext = error != NULL ? json_string_value(error) : "";
    if (strcmp(r->error, etext) != 0)
        fail_msg("%s: error \"%s\", expected \"%s\"", bytes_path, r->error, etext);
    json_decref(exp);
    return true;
}

/* check(p, path) for every .bytes file of tests/fixtures/<driver>/; fails the test
 * when there are fewer than at_least. */
static inline void fixture_dir_each(const char *driver, size_t at_least,
                                    void (*check)(const struct drv_parser *p, const char *path))
{
    const struct drv_parser *p = drv_parser_find(driver);
    assert_non_null(p);
    assert_string_equal(p->driver, driver);
    char dir[256];
    snprintf(dir, sizeof dir, "tests/fixtures/%s", driver);
    DIR *dh = opendir(dir);
    if (dh == NULL)
        fail_msg("no %s (run from the repository root)", dir);
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(dh)) != NULL) {
        size_t len = strlen(e->d_name);
        if (len < 7 || strcmp(e->d_name + len - 6, ".bytes") != 0)
            continue;
        char path[512];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        check(p, path);
        n++;
    }
    closedir(dh);
    if (n < at_least)
        fail_msg("%s: %zu fixtures, expected at least %zu", dir, n, at_least);
}

#endif
