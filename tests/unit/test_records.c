/* The lab's records (daq/records/): the parsers of what users type (a
 * period, the database), and on both engines -- SQLite in a temporary
 * file and a real PostgreSQL server (tests/peers/postgres starts a
 * throwaway cluster) -- the schema and its append-only event log, the
 * certificate lifecycle (ISO/IEC 17025 7.8.8), hostile search strings up
 * to 1 MiB handled as data, and four writers at once losing nothing.
 * Run from the repository root. */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "test_support.h"

#include "records.h"
#include "records_int.h"

/* ------------------------------------------------------------ parsers */

static void test_period(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        int days;
    } good[] = {{"30d", 30}, {"6w", 42}, {"0", 0}, {"30", 30}, {"36500d", 36500}, {"1w", 7}};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        int days = -1;
        struct cd_err err = {0};
        assert_int_equal(rec_period_parse(good[i].text, "--within", &days, &err), 0);
        assert_int_equal(days, good[i].days);
    }
    static const char *const bad[] = {"",    "d",      "30x",  "-1",     "3.5d", "36501d",
                                      "5215w", "30dd", " 30d", "30 d",  "99999999999999999999d",
                                      "w",   "30D"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int days = -1;
        struct cd_err err = {0};
        assert_int_equal(rec_period_parse(bad[i], "--within", &days, &err), CD_ERR_INVALID);
        if (strncmp(err.msg, "--within: ", 10) != 0)
            fail_msg("'%s': the message does not name the field: %s", bad[i], err.msg);
        assert_int_equal(days, -1);
    }
}

static void test_date_add(void **state)
{
    (void)state;
    char out[11];
    assert_int_equal(rec_date_add("2026-12-07", 30, out), 0);
    assert_string_equal(out, "2027-01-06");
    assert_int_equal(rec_date_add("2024-02-28", 1, out), 0);
    assert_string_equal(out, "2024-02-29");
    assert_int_equal(rec_date_add("2023-02-28", 1, out), 0);
    assert_string_equal(out, "2023-03-01");
    assert_int_equal(rec_date_add("2026-01-01", 0, out), 0);
    assert_string_equal(out, "2026-01-01");
    assert_int_equal(rec_date_add("2026-13-01", 1, out), -1);
    assert_int_equal(rec_date_add("today", 1, out), -1);
}

static void test_open_bad(void **state)
{
    (void)state;
    static const char *const bad[] = {"", "http://example.org/db", "mysql://db/x",
                                      "sqlite:///tmp/x.db"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        rec_db *db = NULL;
        struct cd_err err = {0};
        assert_int_not_equal(rec_open(bad[i], &db, &err), 0);
        assert_null(db);
        if (strncmp(err.msg, "--records: ", 11) != 0)
            fail_msg("'%s': the message does not name the field: %s", bad[i], err.msg);
    }
    char *longer = malloc(5000);
    memset(longer, 'a', 4999);
    longer[4999] = '\0';
    rec_db *db = NULL;
    struct cd_err err = {0};
    assert_int_equal(rec_open(longer, &db, &err), CD_ERR_INVALID);
    assert_non_null(strstr(err.msg, "--records: longer than"));
    free(longer);
    /* a folder is no database file */
    cd_err_clear(&err);
    assert_int_equal(rec_open("tests", &db, &err), CD_ERR_IO);
    /* no server there */
    cd_err_clear(&err);
    assert_int_equal(rec_open("postgresql:///x?host=/nonexistent-caldaq", &db, &err), CD_ERR_IO);
    assert_non_null(strstr(err.msg, "cannot connect to PostgreSQL"));
}

/* ------------------------------------------------------------ both engines */

struct engine {
    const char *name;
    char pg_dir[256];         /* the cluster's folder (PostgreSQL) */
    char pg_base[512];        /* its URL, without the database */
    int pg_status;            /* of tests/peers/postgres start: 77 not installed */
    int n;                    /* databases made so far */
    char tmpdir[64];
};

static struct engine lite = {.name = "sqlite"}, pg = {.name = "postgresql"};

static int setup_engines(void **state)
{
    (void)state;
    snprintf(lite.tmpdir, sizeof lite.tmpdir, "/tmp/caldaq-rec.XXXXXX");
    if (mkdtemp(lite.tmpdir) == NULL)
        return -1;
    FILE *p = popen("tests/peers/postgres start", "r");
    if (p == NULL)
        return -1;
    char url[600] = "";
    if (fgets(pg.pg_dir, sizeof pg.pg_dir, p) == NULL || fgets(url, sizeof url, p) == NULL)
        pg.pg_dir[0] = '\0';
    int st = pclose(p);
    pg.pg_status = WIFEXITED(st) ? WEXITSTATUS(st) : 1;
    pg.pg_dir[strcspn(pg.pg_dir, "\n")] = '\0';
    url[strcspn(url, "\n")] = '\0';
    /* postgresql:///postgres?host=DIR&user=caldaq: the database varies */
    const char *q = strchr(url, '?');
    snprintf(pg.pg_base, sizeof pg.pg_base, "%s", q != NULL ? q : "");
    return 0;
}

static int teardown_engines(void **state)
{
    (void)state;
    char cmd[700];
    if (pg.pg_dir[0] != '\0') {
        snprintf(cmd, sizeof cmd, "tests/peers/postgres stop '%s'", pg.pg_dir);
        if (system(cmd) != 0)
            fprintf(stderr, "could not stop the test cluster %s\n", pg.pg_dir);
    }
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", lite.tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

/* A fresh, empty database of engine `e` (its address in `where`). */
static rec_db *fresh(struct engine *e, char *where, size_t cap)
{
    struct cd_err err = {0};
    rec_db *db = NULL;
    e->n++;
    if (e == &lite) {
        snprintf(where, cap, "%s/records-%d.db", lite.tmpdir, e->n);
    } else {
        require_peer(pg.pg_status == 0 && pg.pg_base[0] != '\0', "a PostgreSQL server",
                     "postgresql");
        char admin[700];
        snprintf(admin, sizeof admin, "postgresql:///postgres%s", pg.pg_base);
        if (rec_open(admin, &db, &err) != 0)
            fail_msg("%s", err.msg);
        char sql[64];
        snprintf(sql, sizeof sql, "CREATE DATABASE t%d", e->n);
        if (db_exec(db, sql, NULL, 0, NULL, &err) != 0)
            fail_msg("%s", err.msg);
        rec_close(db);
        snprintf(where, cap, "postgresql:///t%d%s", e->n, pg.pg_base);
    }
    if (rec_open(where, &db, &err) != 0)
        fail_msg("%s: %s", where, err.msg);
    return db;
}

/* A run as the store would read it back, made by hand. */
struct fake_run {
    struct daq_run_view v;
    struct daq_standard std;
    char *results[1];
};

static void fake_run(struct fake_run *f, int i, const char *serial)
{
    memset(f, 0, sizeof *f);
    snprintf(f->v.info.run_id, sizeof f->v.info.run_id, "00000000-0000-4000-8000-%012d", i);
    snprintf(f->v.info.started, sizeof f->v.info.started, "2026-%02d-10T09:00:00+07:00",
             1 + i % 12);
    snprintf(f->v.info.ended, sizeof f->v.info.ended, "2026-%02d-10T10:00:00+07:00", 1 + i % 12);
    snprintf(f->v.info.status, sizeof f->v.info.status, "complete");
    snprintf(f->v.info.operator_name, sizeof f->v.info.operator_name, "Nguyễn Văn An");
    snprintf(f->v.info.lab, sizeof f->v.info.lab, "Lab");
    snprintf(f->v.info.profile_name, sizeof f->v.info.profile_name, "balance-cg18-class-ii");
    snprintf(f->v.device.driver, sizeof f->v.device.driver, "mtsics");
    snprintf(f->v.device.id.manufacturer, sizeof f->v.device.id.manufacturer, "Mettler Toledo");
    snprintf(f->v.device.id.model, sizeof f->v.device.id.model, "XS204");
    snprintf(f->v.device.id.serial, sizeof f->v.device.id.serial, "%s", serial);
    snprintf(f->std.id, sizeof f->std.id, "W-E2-01");
    snprintf(f->std.certificate, sizeof f->std.certificate, "VD-KL-2025-0412");
    snprintf(f->std.due_date, sizeof f->std.due_date, "2099-03-10");
    f->v.standards = &f->std;
    f->v.n_standards = 1;
    f->results[0] = (char *)"{\"verdict\": \"pass\"}";
    f->v.results = f->results;
    f->v.n_results = 1;
}

static void note_run(rec_db *db, int i, const char *serial)
{
    struct fake_run f;
    fake_run(&f, i, serial);
    char path[64], sha[65];
    snprintf(path, sizeof path, "/archive/run-%d.h5", i);
    memset(sha, 'a' + i % 6, 64);
    sha[64] = '\0';
    struct cd_err err = {0};
    if (rec_run_note_hashed(db, path, &f.v, sha, NULL, "test", &err) != 0)
        fail_msg("run %d: %s", i, err.msg);
}

static struct rec_cert cert_of(const char *number, int run, const char *customer,
                               const char *replaces, const char *reason)
{
    static char run_id[37];
    static const char *const names[] = {"X.pdf"};
    static const char *const shas[] = {
        "0000000000000000000000000000000000000000000000000000000000000000"};
    snprintf(run_id, sizeof run_id, "00000000-0000-4000-8000-%012d", run);
    return (struct rec_cert){.number = number, .run_id = run_id, .issued = "2026-12-01",
                             .calibrated = "2026-11-30", .signatory = "Nguyễn Văn An",
                             .procedure = "balance-cg18-class-ii", .verdict = "pass",
                             .valid_until = "2027-01-01", .customer = customer,
                             .item_type = "balance", .manufacturer = "Mettler Toledo",
                             .model = "XS204", .serial = "SN-1", .replaces = replaces,
                             .reason = reason, .folder = "/certs", .n_files = 1,
                             .file_names = names, .file_sha256 = shas};
}

static int count(rec_db *db, const char *sql)
{
    struct db_rows r;
    struct cd_err err = {0};
    if (db_exec(db, sql, NULL, 0, &r, &err) != 0)
        fail_msg("%s", err.msg);
    int n = atoi(db_cell(&r, 0, 0));
    db_rows_free(&r);
    return n;
}

static void schema_and_log(struct engine *e)
{
    char where[700];
    rec_db *db = fresh(e, where, sizeof where);
    assert_int_equal(count(db, "SELECT max(version) FROM schema_version"), rec_schema_version());
    rec_close(db);
    /* opened again: no migration twice */
    struct cd_err err = {0};
    assert_int_equal(rec_open(where, &db, &err), 0);
    assert_int_equal(count(db, "SELECT count(*) FROM schema_version"), rec_schema_version());
    note_run(db, 1, "SN-1");
    int events = count(db, "SELECT count(*) FROM events");
    assert_true(events >= 2);
    /* ISO/IEC 17025 7.5: the log is append-only, on either engine */
    assert_int_not_equal(db_exec(db, "UPDATE events SET who = 'someone else'", NULL, 0, NULL, &err), 0);
    assert_non_null(strstr(err.msg, "append-only"));
    cd_err_clear(&err);
    assert_int_not_equal(db_exec(db, "DELETE FROM events", NULL, 0, NULL, &err), 0);
    assert_int_equal(count(db, "SELECT count(*) FROM events"), events);
    assert_string_equal(rec_backend(db), e->name);
    rec_close(db);
}

static void lifecycle(struct engine *e)
{
    char where[700];
    rec_db *db = fresh(e, where, sizeof where);
    note_run(db, 1, "SN-1");
    struct cd_err err = {0};
    char status[16];
    assert_int_equal(rec_cert_reserve(db, "A-1", NULL, "test", &err), 0);
    struct rec_cert c = cert_of("A-1", 1, "Công ty A", NULL, NULL);
    assert_int_equal(rec_cert_issued(db, &c, "test", &err), 0);
    assert_int_equal(rec_cert_status(db, "A-1", status, &err), 0);
    assert_string_equal(status, "valid");
    /* never issued twice */
    assert_int_equal(rec_cert_reserve(db, "A-1", NULL, "test", &err), CD_ERR_INVALID);
    assert_non_null(strstr(err.msg, "certificate A-1 exists in the records (valid)"));
    /* an amendment of something not there, or not valid */
    cd_err_clear(&err);
    assert_int_equal(rec_cert_reserve(db, "B-1", "NONE-1", "test", &err), CD_ERR_NOT_FOUND);
    cd_err_clear(&err);
    assert_int_equal(rec_cert_status(db, "B-1", status, &err), CD_ERR_NOT_FOUND);
    /* amended: the old names the new */
    cd_err_clear(&err);
    assert_int_equal(rec_cert_reserve(db, "A-1-A1", "A-1", "test", &err), 0);
    c = cert_of("A-1-A1", 1, "Công ty A", "A-1", "wrong customer");
    c.valid_until = NULL;   /* kept from the certificate it replaces */
    assert_int_equal(rec_cert_issued(db, &c, "test", &err), 0);
    json_t *j = NULL;
    assert_int_equal(rec_show(db, "A-1", &j, &err), 0);
    json_t *old = json_object_get(j, "certificate");
    assert_string_equal(json_string_value(json_object_get(old, "status")), "amended");
    assert_string_equal(json_string_value(json_object_get(old, "replaced_by")), "A-1-A1");
    assert_string_equal(json_string_value(json_object_get(old, "reason")), "wrong customer");
    json_decref(j);
    assert_int_equal(rec_show(db, "A-1-A1", &j, &err), 0);
    old = json_object_get(j, "certificate");
    assert_string_equal(json_string_value(json_object_get(old, "valid_until")), "2027-01-01");
    assert_string_equal(json_string_value(json_object_get(old, "replaces")), "A-1");
    json_decref(j);
    assert_int_equal(rec_cert_reserve(db, "A-1-A2", "A-1", "test", &err), CD_ERR_INVALID);
    assert_non_null(strstr(err.msg, "the certificate is amended"));
    /* withdrawn */
    cd_err_clear(&err);
    char run_path[4096];
    assert_int_equal(rec_cert_withdraw(db, "A-1-A1", "returned", "test", run_path, &err), 0);
    assert_string_equal(run_path, "/archive/run-1.h5");
    assert_int_equal(rec_cert_status(db, "A-1-A1", status, &err), 0);
    assert_string_equal(status, "withdrawn");
    assert_int_equal(rec_cert_withdraw(db, "A-1-A1", "again", "test", NULL, &err),
                     CD_ERR_INVALID);
    /* a reservation given back frees the number, the attempt stays in the log */
    cd_err_clear(&err);
    assert_int_equal(rec_cert_reserve(db, "C-1", NULL, "test", &err), 0);
    assert_int_equal(rec_cert_abandon(db, "C-1", "disk full", "test", &err), 0);
    assert_int_equal(rec_cert_reserve(db, "C-1", NULL, "test", &err), 0);
    assert_int_equal(count(db, "SELECT count(*) FROM events WHERE subject = 'C-1' AND kind = "
                               "'certificate not issued'"),
                     1);
    /* due: the withdrawn and the amended fall out */
    assert_int_equal(rec_due(db, "2026-12-20", 30, &j, &err), 0);
    assert_int_equal(json_array_size(json_object_get(j, "items")), 0);
    json_decref(j);
    rec_close(db);
}

static void hostile(struct engine *e)
{
    char where[700];
    rec_db *db = fresh(e, where, sizeof where);
    note_run(db, 1, "SN-1");
    static const char *const customers[] = {"O'Brien; DROP TABLE runs; --", "100% Cân",
                                            "a_b\\c", "\" OR 1=1 --"};
    struct cd_err err = {0};
    for (int i = 0; i < 4; i++) {
        char number[16];
        snprintf(number, sizeof number, "H-%d", i);
        struct rec_cert c = cert_of(number, 1, customers[i], NULL, NULL);
        assert_int_equal(rec_cert_issued(db, &c, "test", &err), 0);
    }
    /* each found by itself: no character is a wildcard */
    for (int i = 0; i < 4; i++) {
        json_t *j = NULL;
        struct rec_search q = {.text = customers[i]};
        assert_int_equal(rec_search(db, &q, &j, &err), 0);
        json_t *certs = json_object_get(j, "certificates");
        if (json_array_size(certs) != 1)
            fail_msg("'%s': %zu certificates", customers[i], json_array_size(certs));
        json_decref(j);
    }
    static const char *const nothing[] = {"%", "_", "'", "';", "SELECT", "%%", "\\%"};
    for (size_t i = 0; i < sizeof nothing / sizeof nothing[0]; i++) {
        json_t *j = NULL;
        struct rec_search q = {.text = "", .customer = nothing[i], .serial = nothing[i]};
        assert_int_equal(rec_search(db, &q, &j, &err), 0);
        size_t n = json_array_size(json_object_get(j, "certificates"));
        /* '%' is in "100% Cân", '_' in "a_b\c", ' in O'Brien, ... but no
         * serial holds them */
        assert_int_equal(n, 0);
        json_decref(j);
    }
    /* 1 MiB of quotes and percent signs: data */
    char *big = malloc(REC_TEXT_MAX + 2);
    for (size_t i = 0; i < REC_TEXT_MAX; i++)
        big[i] = "'%;_\""[i % 5];
    big[REC_TEXT_MAX] = '\0';
    json_t *j = NULL;
    struct rec_search q = {.text = big, .customer = big};
    assert_int_equal(rec_search(db, &q, &j, &err), 0);
    assert_int_equal(json_array_size(json_object_get(j, "certificates")), 0);
    assert_int_equal(json_array_size(json_object_get(j, "runs")), 0);
    json_decref(j);
    assert_int_equal(rec_show(db, big, &j, &err), CD_ERR_NOT_FOUND);
    assert_true(strlen(err.msg) < 200);
    /* one byte more is refused, naming what */
    big[REC_TEXT_MAX] = 'x';
    big[REC_TEXT_MAX + 1] = '\0';
    cd_err_clear(&err);
    q.customer = NULL;
    assert_int_equal(rec_search(db, &q, &j, &err), CD_ERR_INVALID);
    assert_non_null(strstr(err.msg, "search text: longer than"));
    free(big);
    assert_int_equal(count(db, "SELECT count(*) FROM runs"), 1);
    assert_int_equal(count(db, "SELECT count(*) FROM certificates"), 4);
    rec_close(db);
}

/* Four processes at once, each recording 40 runs and racing for one
 * certificate number: every run is there, and exactly one took it. */
#define WRITERS 4
#define RUNS_EACH 40
static void writers(struct engine *e)
{
    char where[700];
    rec_db *db = fresh(e, where, sizeof where);
    pid_t kids[WRITERS];
    for (int k = 0; k < WRITERS; k++) {
        kids[k] = fork();
        assert_true(kids[k] >= 0);
        if (kids[k] == 0) {
            rec_db *mine = NULL;
            struct cd_err err = {0};
            if (rec_open(where, &mine, &err) != 0)
                _exit(10);
            int took = rec_cert_reserve(mine, "RACE-1", NULL, "test", &err) == 0;
            for (int i = 0; i < RUNS_EACH; i++) {
                struct fake_run f;
                /* shared items: every writer records runs of the same serials */
                char serial[16];
                snprintf(serial, sizeof serial, "SN-%d", i % 5);
                fake_run(&f, k * 1000 + i, serial);
                char path[64], sha[65];
                snprintf(path, sizeof path, "/archive/run-%d.h5", k * 1000 + i);
                memset(sha, 'b', 64);
                sha[64] = '\0';
                if (rec_run_note_hashed(mine, path, &f.v, sha, NULL, "writer", &err) != 0) {
                    fprintf(stderr, "writer %d run %d: %s\n", k, i, err.msg);
                    _exit(11);
                }
            }
            rec_close(mine);
            _exit(took ? 0 : 1);
        }
    }
    int took = 0;
    for (int k = 0; k < WRITERS; k++) {
        int st = wait_child(kids[k], 120000, "a writer");
        assert_true(WIFEXITED(st));
        if (WEXITSTATUS(st) > 1)
            fail_msg("writer %d failed (status %d)", k, WEXITSTATUS(st));
        took += WEXITSTATUS(st) == 0;
    }
    assert_int_equal(took, 1);
    assert_int_equal(count(db, "SELECT count(*) FROM runs"), WRITERS * RUNS_EACH);
    assert_int_equal(count(db, "SELECT count(*) FROM items"), 5);
    assert_int_equal(count(db, "SELECT count(*) FROM run_standards"), WRITERS * RUNS_EACH);
    assert_int_equal(count(db, "SELECT count(*) FROM events WHERE kind = 'run recorded'"),
                     WRITERS * RUNS_EACH);
    rec_close(db);
}

static void test_schema_sqlite(void **s) { (void)s; schema_and_log(&lite); }
static void test_schema_pg(void **s) { (void)s; schema_and_log(&pg); }
static void test_lifecycle_sqlite(void **s) { (void)s; lifecycle(&lite); }
static void test_lifecycle_pg(void **s) { (void)s; lifecycle(&pg); }
static void test_hostile_sqlite(void **s) { (void)s; hostile(&lite); }
static void test_hostile_pg(void **s) { (void)s; hostile(&pg); }
static void test_writers_sqlite(void **s) { (void)s; writers(&lite); }
static void test_writers_pg(void **s) { (void)s; writers(&pg); }

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_period),           cmocka_unit_test(test_date_add),
        cmocka_unit_test(test_open_bad),         cmocka_unit_test(test_schema_sqlite),
        cmocka_unit_test(test_schema_pg),        cmocka_unit_test(test_lifecycle_sqlite),
        cmocka_unit_test(test_lifecycle_pg),     cmocka_unit_test(test_hostile_sqlite),
        cmocka_unit_test(test_hostile_pg),       cmocka_unit_test(test_writers_sqlite),
        cmocka_unit_test(test_writers_pg),
    };
    return cmocka_run_group_tests(tests, setup_engines, teardown_engines);
}
