/* Time zones (common/cd_zone.c, cd_date.c): the offset of every zone below
 * at instants from 1900 to 2100 and at each of its transitions against
 * glibc's localtime_r (which the test, not the library, may point at a
 * zone with TZ); POSIX rules likewise; names that are not zones refused
 * with a reason, hostile and broken TZif files refused without a crash;
 * today's date in the default zone; ISO 8601 stamps as dates in a zone. */
/* tm_gmtoff, glibc's offset to compare with, is a BSD and GNU field */
#define _DEFAULT_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "cd.h"

static long glibc_utoff(long long t)
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (localtime_r(&tt, &tm) == NULL)
        fail_msg("localtime_r(%lld)", t);
    return tm.tm_gmtoff;
}

static void set_tz(const char *tz)
{
    setenv("TZ", tz, 1);
    tzset();
}

/* cd_zone_utoff against glibc at `n` instants every `step` seconds from
 * `from`, and one second either side of each instant where glibc changes. */
static void compare(const char *name, const struct cd_zone *z, long long from, long long step,
                    long n)
{
    long prev = glibc_utoff(from);
    for (long i = 0; i < n; i++) {
        long long t = from + i * step;
        long want = glibc_utoff(t);
        long got = cd_zone_utoff(z, t);
        if (got != want)
            fail_msg("%s at %lld: %ld, glibc %ld", name, t, got, want);
        if (want != prev) {
            /* the change lies in (t - step, t]: find it and look at both sides */
            long long lo = t - step, hi = t;
            while (hi - lo > 1) {
                long long mid = lo + (hi - lo) / 2;
                if (glibc_utoff(mid) == want)
                    hi = mid;
                else
                    lo = mid;
            }
            if (cd_zone_utoff(z, lo) != glibc_utoff(lo) || cd_zone_utoff(z, hi) != want)
                fail_msg("%s at the change %lld: %ld/%ld, glibc %ld/%ld", name, hi,
                         cd_zone_utoff(z, lo), cd_zone_utoff(z, hi), glibc_utoff(lo), want);
        }
        prev = want;
    }
}

static void test_zones_match_glibc(void **state)
{
    (void)state;
    static const char *const zones[] = {
        "Asia/Ho_Chi_Minh", "UTC",           "Europe/Berlin",  "America/New_York",
        "Australia/Sydney", "Pacific/Chatham", "Asia/Kolkata", "America/St_Johns",
        "Africa/Casablanca", "Pacific/Kiritimati", "Etc/GMT+12", "America/Sao_Paulo",
        "Europe/Dublin",    "America/Nuuk",  "Antarctica/Troll", "Asia/Tehran",
    };
    const long long y1900 = -2208988800LL, y2100 = 4102444800LL;
    for (size_t i = 0; i < sizeof zones / sizeof zones[0]; i++) {
        char path[256];
        snprintf(path, sizeof path, "/usr/share/zoneinfo/%s", zones[i]);
        if (access(path, R_OK) != 0)
            fail_msg("%s: the tz database lacks it (tzdata is a dependency)", path);
        struct cd_zone *z = NULL;
        struct cd_err err = {0};
        if (cd_zone_load(zones[i], &z, &err) != 0)
            fail_msg("%s: %s", zones[i], err.msg);
        assert_string_equal(cd_zone_name(z), zones[i]);
        set_tz(zones[i]);
        /* every 6 h 7 min over two centuries: both sides of the last
         * transition, where the footer's rule takes over */
        compare(zones[i], z, y1900, 6 * 3600 + 7 * 60, (long)((y2100 - y1900) / (6 * 3600 + 420)));
        cd_zone_free(z);
    }
}

static void test_posix_rules_match_glibc(void **state)
{
    (void)state;
    static const char *const rules[] = {
        "<+07>-7",
        "UTC0",
        "EST5EDT",                          /* no rule: the US one */
        "EST5EDT,M3.2.0,M11.1.0",
        "CET-1CEST,M3.5.0,M10.5.0/3",
        "AEST-10AEDT,M10.1.0,M4.1.0/3",     /* southern: DST across new year */
        "NZST-12NZDT,M9.5.0,M4.1.0/3",
        "IST-1GMT0,M10.5.0,M3.5.0/1",       /* Dublin: "daylight" time in winter */
        "<-03>3<-02>,M3.5.0/-2,M10.5.0/-1", /* negative rule times (RFC 8536) */
        "<+0330>-3:30",
        "XXX3YYY,J60,J300/1:30:15",
        "XXX-5:45YYY-6:45,59,300",
    };
    for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++) {
        struct cd_zone *z = NULL;
        struct cd_err err = {0};
        if (cd_zone_load(rules[i], &z, &err) != 0)
            fail_msg("%s: %s", rules[i], err.msg);
        set_tz(rules[i]);
        /* 1972 to 2060: rules only, glibc applies them to every year */
        compare(rules[i], z, 63072000LL, 5 * 3600 + 11 * 60, 150000);
        cd_zone_free(z);
    }
}

/* RFC 8536 3.3.1: a rule from January 1 00:00 to December 31 24:00 plus
 * the saving is daylight time all year (zic writes permanent DST so).
 * glibc takes the UTC year's rule and says standard time in the first
 * hours of each year, so this one is checked against the RFC. */
static void test_all_year_daylight_time(void **state)
{
    (void)state;
    struct cd_zone *z = NULL;
    struct cd_err err = {0};
    assert_int_equal(cd_zone_load("EST5EDT,0/0,J365/25", &z, &err), 0);
    for (long long t = 63072000LL - 86400; t < 2000000000LL; t += 3600 * 7 + 60)
        if (cd_zone_utoff(z, t) != -4 * 3600)
            fail_msg("at %lld: %ld", t, cd_zone_utoff(z, t));
    /* and at each new year, UTC and local */
    for (long long y = 1971; y < 2060; y++) {
        long long jan1 = cd_days_from_civil(y, 1, 1) * 86400;
        for (long long d = -6 * 3600; d <= 6 * 3600; d += 1800)
            assert_int_equal(cd_zone_utoff(z, jan1 + d), -4 * 3600);
    }
    cd_zone_free(z);
}

static void test_names_that_are_not_zones(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "Asia/Hanoi_Typo", "Foo/Bar", "../../etc/passwd", "Asia/../../../etc/passwd",
        "Asia",            "ICT",     "GMT+",             "<+07",
        "EST5EDT,M13.1.0,M11.1.0", "EST5EDT,M3.2.0", "CET-1CEST,M3.5.0,M10.5.0/3x",
        "UTC0 ",           "/etc/passwd", "/nonexistent/zone", ":UTC0", "",
        ":",               "EST99",   "Asia/Ho_Chi_Minh/",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct cd_zone *z = NULL;
        struct cd_err err = {0};
        if (cd_zone_load(bad[i], &z, &err) != CD_ERR_INVALID)
            fail_msg("'%s' taken as a zone", bad[i]);
        assert_null(z);
        assert_true(err.msg[0] != '\0');
    }
    struct cd_zone *z = NULL;
    struct cd_err err = {0};
    assert_int_equal(cd_zone_load("Foo/Bar", &z, &err), CD_ERR_INVALID);
    assert_non_null(strstr(err.msg, "time zone 'Foo/Bar': no such zone"));
    /* the default, by NULL */
    assert_int_equal(cd_zone_load(NULL, &z, &err), 0);
    assert_string_equal(cd_zone_name(z), CD_ZONE_DEFAULT);
    assert_int_equal(cd_zone_utoff(z, 1796000000LL), 7 * 3600);
    cd_zone_free(z);
}

/* Broken and hostile TZif files: refused with the reason, never a crash
 * (run under ASan with make SANITIZE=1). */
static void test_broken_tzif_files(void **state)
{
    (void)state;
    FILE *f = fopen("/usr/share/zoneinfo/Europe/Berlin", "rb");
    assert_non_null(f);
    static unsigned char real[65536];
    size_t n = fread(real, 1, sizeof real, f);
    fclose(f);
    assert_true(n > 100);
    char dir[] = "/tmp/test_zone.XXXXXX", path[64];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/zone", dir);
    srand(14);
    int refused = 0;
    for (int round = 0; round < 2000; round++) {
        static unsigned char b[65536];
        memcpy(b, real, n);
        size_t len = n;
        if (round % 3 == 0) {
            len = (size_t)rand() % n;              /* cut short */
        } else {
            for (int k = 0; k < 1 + round % 8; k++) /* bytes changed */
                b[(size_t)rand() % n] = (unsigned char)rand();
        }
        f = fopen(path, "wb");
        assert_non_null(f);
        fwrite(b, 1, len, f);
        fclose(f);
        struct cd_zone *z = NULL;
        struct cd_err err = {0};
        if (cd_zone_load(path, &z, &err) == 0) {
            /* a change the format cannot see: the zone still answers */
            for (long long t = -4000000000LL; t < 5000000000LL; t += 86400LL * 97)
                (void)cd_zone_utoff(z, t);
            cd_zone_free(z);
        } else {
            assert_non_null(strstr(err.msg, "is not a time zone file"));
            refused++;
        }
    }
    assert_true(refused > 600);
    /* counts that claim more than the file holds */
    memcpy(real + 32, "\x7f\xff\xff\xff", 4);
    f = fopen(path, "wb");
    fwrite(real, 1, n, f);
    fclose(f);
    struct cd_zone *z = NULL;
    struct cd_err err = {0};
    assert_int_equal(cd_zone_load(path, &z, &err), CD_ERR_INVALID);
    unlink(path);
    rmdir(dir);
}

static void test_tz_variable(void **state)
{
    (void)state;
    static const char *const good[] = {"", ":", "Asia/Ho_Chi_Minh", ":Asia/Ho_Chi_Minh", "UTC",
                                       "UTC0", "<+07>-7", "/usr/share/zoneinfo/Europe/Berlin",
                                       ":/usr/share/zoneinfo/UTC", NULL};
    static const char *const bad[] = {"Foo/Bar", "Asia/Hanoi_Typo", "ICT", "../../etc/passwd",
                                      ":UTC0"};
    struct cd_err err = {0};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        cd_err_clear(&err);
        if (cd_tz_check(good[i], NULL, &err) != 0)
            fail_msg("TZ='%s' refused: %s", good[i] ? good[i] : "(unset)", err.msg);
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cd_err_clear(&err);
        if (cd_tz_check(bad[i], NULL, &err) != CD_ERR_INVALID)
            fail_msg("TZ='%s' accepted", bad[i]);
        char want[64];
        snprintf(want, sizeof want, "TZ=%s: ", bad[i]);
        assert_int_equal(strncmp(err.msg, want, strlen(want)), 0);
    }
    /* TZDIR moves the database, as for glibc; the built-in default zone
     * is not offered for TZ, where glibc would take UTC instead */
    char dir[] = "/tmp/test_zone.XXXXXX";
    assert_non_null(mkdtemp(dir));
    cd_err_clear(&err);
    assert_int_equal(cd_tz_check("Asia/Ho_Chi_Minh", dir, &err), CD_ERR_INVALID);
    rmdir(dir);
}

static void test_dates_in_a_zone(void **state)
{
    (void)state;
    struct cd_zone *hcm = NULL, *utc = NULL, *west = NULL;
    struct cd_err err = {0};
    assert_int_equal(cd_zone_load("Asia/Ho_Chi_Minh", &hcm, &err), 0);
    assert_int_equal(cd_zone_load("UTC", &utc, &err), 0);
    assert_int_equal(cd_zone_load("Etc/GMT+12", &west, &err), 0);
    static const struct {
        const char *stamp;
        const char *hcm, *utc, *west;
    } cases[] = {
        {"2026-12-07T16:59:59+00:00", "2026-12-07", "2026-12-07", "2026-12-07"},
        {"2026-12-07T17:00:00Z", "2026-12-08", "2026-12-07", "2026-12-07"},
        {"2026-12-08T00:30:00+07:00", "2026-12-08", "2026-12-07", "2026-12-07"},
        {"2026-12-07T11:59:59.250-0000", "2026-12-07", "2026-12-07", "2026-12-06"},
        {"2024-02-29T23:00:00-05:00", "2024-03-01", "2024-03-01", "2024-02-29"},
        {"1999-12-31T23:59:59+14:00", "1999-12-31", "1999-12-31", "1999-12-30"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        long long t;
        char d[11];
        if (cd_iso8601_epoch(cases[i].stamp, &t) != 0)
            fail_msg("%s not read", cases[i].stamp);
        cd_zone_date(hcm, t, d);
        assert_string_equal(d, cases[i].hcm);
        cd_zone_date(utc, t, d);
        assert_string_equal(d, cases[i].utc);
        cd_zone_date(west, t, d);
        assert_string_equal(d, cases[i].west);
    }
    static const char *const not_stamps[] = {"2026-12-07T17:00:00", "2026-12-07", "",
                                             "2026-13-07T17:00:00Z", "2026-12-07T17:00:00+7",
                                             "2026-12-07T17:00:00Zjunk", "garbage"};
    for (size_t i = 0; i < sizeof not_stamps / sizeof not_stamps[0]; i++) {
        long long t;
        if (cd_iso8601_epoch(not_stamps[i], &t) == 0)
            fail_msg("'%s' read as a time stamp", not_stamps[i]);
    }
    /* today: in the default zone whatever TZ says */
    set_tz("Etc/GMT+12");
    char before[11], today[11], after[11];
    time_t now = time(NULL);
    cd_zone_date(hcm, (long long)now, before);
    assert_int_equal(cd_today(today), 0);
    cd_zone_date(hcm, (long long)time(NULL), after);
    assert_true(strcmp(today, before) == 0 || strcmp(today, after) == 0);
    set_tz("Asia/Ho_Chi_Minh");
    struct tm tm;
    localtime_r(&now, &tm);
    char glibc[16];
    strftime(glibc, sizeof glibc, "%Y-%m-%d", &tm);
    assert_string_equal(glibc, before);
    cd_zone_free(hcm);
    cd_zone_free(utc);
    cd_zone_free(west);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_zones_match_glibc),
        cmocka_unit_test(test_posix_rules_match_glibc),
        cmocka_unit_test(test_all_year_daylight_time),
        cmocka_unit_test(test_names_that_are_not_zones),
        cmocka_unit_test(test_broken_tzif_files),
        cmocka_unit_test(test_tz_variable),
        cmocka_unit_test(test_dates_in_a_zone),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
