/* Walking a folder of frame fixtures (the .bytes files of tests/fixtures/<driver>/),
 * shared by test_balances.c and test_indicators.c. Include after
 * <cmocka.h>. */
#ifndef CALDAQ_FIXTURE_DIR_H
#define CALDAQ_FIXTURE_DIR_H

#include <dirent.h>
#include <stdio.h>
#include <string.h>

#include "drv.h"

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
