/* Damaged run files (issue 14, section 3): the store's checks refuse them in
 * the process, naming the object; the guarded reads (a child process with a
 * time limit) survive what the checks cannot catch and give the same view
 * of a sound file as a read in the process.
 *
 * The damaged files are tests/fixtures/runs/damaged/ (its README says how
 * each was made and what it did before the fix); run from the repository
 * root, as `make unit` does. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <math.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "run.h"

#define FIXTURES "tests/fixtures/runs/damaged/"

static char tmpdir[256];

static void path_in(char *buf, size_t cap, const char *name)
{
    snprintf(buf, cap, "%s/%s", tmpdir, name);
}

static void must(int rc, const struct cd_err *err)
{
    if (rc != 0)
        fail_msg("%s", cd_err_text(err));
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* What each fixture is refused with: the object and the words that say
 * why. The last one crashes the library before caldaq can check anything
 * (inside H5Dopen2): only the guard reads it, so `in_process` is false. */
static const struct {
    const char *file, *object, *why;
    bool in_process;
} damaged[] = {
    {"crash-heap-object-size.h5", "/profile/text", "runs past its end", true},
    {"crash-heap-object-junk.h5", "attribute schema", "runs past its end", true},
    {"hang-heap-free-space.h5", "attribute schema", "its free space says 0 bytes", true},
    {"hang-string-length.h5", "attribute firmware", "3086321394 bytes long", true},
    {"hang-char-size.h5", "attribute driver", "characters are 4294901761 bytes", true},
    {"crash-record-offset.h5", "/standards", "record type is damaged", true},
    {"crash-chunk-dims.h5", "", "the HDF5 library crashed reading it", false},
};
#define N_DAMAGED (sizeof damaged / sizeof damaged[0])

static void expect_text(const char *msg, const char *path, const char *object, const char *why)
{
    if (strstr(msg, path) == NULL || strstr(msg, object) == NULL || strstr(msg, why) == NULL)
        fail_msg("\"%s\" does not name %s, %s and say \"%s\"", msg, path, object, why);
}

/* In the process: refused as damage naming the object, quickly (before
 * the fix these crashed or spun; a regression hangs this test, which is
 * why the e2e test runs the same files under `timeout`). */
static void test_checks_refuse(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_DAMAGED; i++) {
        if (!damaged[i].in_process)
            continue;
        char path[512];
        snprintf(path, sizeof path, FIXTURES "%s", damaged[i].file);
        struct cd_err err = {0};
        struct daq_run_view *v = NULL;
        double t0 = now_s();
        assert_int_equal(daq_run_open(path, &v, &err), CD_ERR_PARSE);
        assert_null(v);
        expect_text(err.msg, path, damaged[i].object, damaged[i].why);
        assert_non_null(strstr(err.msg, "damaged"));
        assert_true(now_s() - t0 < 2.0);
        /* verify: a finding about the file, not an error */
        struct daq_run_finding *f = NULL;
        size_t n = 0;
        cd_err_clear(&err);
        assert_int_equal(daq_run_check(path, &f, &n, &err), CD_ERR_INVALID);
        assert_int_equal(n, 1);
        assert_string_equal(f[0].object, "file");
        expect_text(f[0].text, path, damaged[i].object, damaged[i].why);
        free(f);
    }
}

/* Through the guard: every fixture, the crasher included, is an error
 * naming the file; the command that asked goes on. */
static void test_guard_survives(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_DAMAGED; i++) {
        char path[512];
        snprintf(path, sizeof path, FIXTURES "%s", damaged[i].file);
        struct cd_err err = {0};
        struct daq_run_view *v = NULL;
        assert_int_equal(daq_run_open_guarded(path, 10, &v, &err), CD_ERR_PARSE);
        assert_null(v);
        expect_text(err.msg, path, damaged[i].object, damaged[i].why);
        struct daq_run_finding *f = NULL;
        size_t n = 0;
        cd_err_clear(&err);
        assert_int_equal(daq_run_check_guarded(path, 10, &f, &n, &err), CD_ERR_INVALID);
        assert_int_equal(n, 1);
        assert_string_equal(f[0].object, "file");
        expect_text(f[0].text, path, damaged[i].object, damaged[i].why);
        free(f);
    }
}

/* A read that never ends: a FIFO nobody writes blocks the child's open,
 * as a spinning library would. Killed at the limit, said so. */
static void test_guard_time_limit(void **state)
{
    (void)state;
    char path[512];
    path_in(path, sizeof path, "fifo.h5");
    assert_int_equal(mkfifo(path, 0600), 0);
    struct cd_err err = {0};
    struct daq_run_view *v = NULL;
    double t0 = now_s();
    assert_int_equal(daq_run_open_guarded(path, 1, &v, &err), CD_ERR_TIMEOUT);
    double took = now_s() - t0;
    assert_null(v);
    expect_text(err.msg, path, "damaged run file", "reading it took longer than 1 s");
    assert_true(took >= 0.9 && took < 5.0);
    cd_err_clear(&err);
    struct daq_run_finding *f = NULL;
    size_t n = 0;
    assert_int_equal(daq_run_check_guarded(path, 1, &f, &n, &err), CD_ERR_TIMEOUT);
    assert_null(f);
    unlink(path);
}

/* Errors that are not damage come back as they are. */
static void test_guard_passes_errors(void **state)
{
    (void)state;
    char path[512];
    path_in(path, sizeof path, "missing.h5");
    struct cd_err err = {0};
    struct daq_run_view *v = NULL;
    assert_int_equal(daq_run_open_guarded(path, 0, &v, &err), CD_ERR_NOT_FOUND);
    path_in(path, sizeof path, "text.h5");
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("not hdf5\n", f);
    fclose(f);
    cd_err_clear(&err);
    assert_int_equal(daq_run_open_guarded(path, 0, &v, &err), CD_ERR_UNSUPPORTED);
    assert_non_null(strstr(err.msg, "not an HDF5 file"));
}

/* A sound run: the guarded view is the view read in the process, field by
 * field, and it verifies through the guard. */
static void write_run(const char *path)
{
    struct cd_err err = {0};
    struct daq_run_info info = {0};
    snprintf(info.operator_name, sizeof info.operator_name, "Nguyễn Văn An");
    snprintf(info.profile_name, sizeof info.profile_name, "balance-200g");
    daq_run *run = NULL;
    must(daq_run_create(path, &info, "name: balance-200g\npoints: [0, 100]\n", &run, &err), &err);
    struct daq_device dev = {.driver = "mtsics", .port = "/dev/ttyUSB0", .settings = "9600 8N1"};
    snprintf(dev.id.model, sizeof dev.id.model, "XPE205");
    must(daq_run_set_device(run, &dev, &err), &err);
    struct daq_standard s = {.id = "W-E2-01", .certificate = "VD-1", .value = 100.00003,
                             .u = 0.00001, .k = 2, .unit = "g", .due_date = "2099-01-01",
                             .role = "weights", .nominal = 100, .mark = ""};
    must(daq_run_add_standard(run, &s, &err), &err);
    struct daq_env e = {1795000000.0, 20.1, 45.5, NAN, "start"};
    must(daq_run_add_env(run, &e, &err), &err);
    struct drv_trace_writer *w = daq_run_trace_writer(run);
    assert_non_null(w);
    for (int i = 0; i < 40; i++) {
        assert_int_equal(drv_trace_writer_bytes(w, DRV_DIR_HOST, 0.5 * i,
                                                (const uint8_t *)"SI\r\n", 4, NULL),
                         0);
        struct daq_reading r = {.t = 1795000000.0 + i, .point = i / 20, .repetition = i % 20,
                                .nominal = 100.0 * (i / 20), .role = "load"};
        r.r.value = r.nominal + 0.001 * (i % 3);
        r.r.status = DRV_STATUS_STABLE;
        r.r.resolution = 0.001;
        snprintf(r.r.unit, sizeof r.r.unit, "g");
        snprintf(r.r.display, sizeof r.r.display, "%.3f", r.r.value);
        must(daq_run_add_reading(run, &r, &err), &err);
        if (i % 20 == 19)
            must(daq_run_checkpoint(run, &err), &err);
    }
    int version = 0;
    must(daq_run_add_results(run, "{\"verdict\": \"pass\"}", "caldaq-gum 0.1", &version, &err),
         &err);
    must(daq_run_audit(run, "Trần Thị Bình", "approved", &err), &err);
    must(daq_run_close(run, "complete", &err), &err);
}

static void test_guard_same_view(void **state)
{
    (void)state;
    char path[512];
    path_in(path, sizeof path, "sound.h5");
    write_run(path);
    struct cd_err err = {0};
    struct daq_run_view *a = NULL, *b = NULL;
    must(daq_run_open(path, &a, &err), &err);
    must(daq_run_open_guarded(path, 0, &b, &err), &err);
    assert_memory_equal(&a->info, &b->info, sizeof a->info);
    assert_memory_equal(&a->device, &b->device, sizeof a->device);
    assert_string_equal(a->profile_text, b->profile_text);
    assert_string_equal(a->content_sha256, b->content_sha256);
    assert_int_equal(a->n_standards, b->n_standards);
    assert_memory_equal(a->standards, b->standards, a->n_standards * sizeof *a->standards);
    assert_int_equal(a->n_env, b->n_env);
    assert_memory_equal(a->env, b->env, a->n_env * sizeof *a->env);
    assert_int_equal(a->n_readings, 40);
    assert_int_equal(b->n_readings, 40);
    assert_memory_equal(a->readings, b->readings, a->n_readings * sizeof *a->readings);
    assert_int_equal(a->n_audit, b->n_audit);
    assert_memory_equal(a->audit, b->audit, a->n_audit * sizeof *a->audit);
    assert_int_equal(a->n_results, 1);
    assert_int_equal(b->n_results, 1);
    assert_string_equal(a->results[0], b->results[0]);
    assert_string_equal(daq_run_view_result_engine(a, 0), daq_run_view_result_engine(b, 0));
    assert_int_equal(a->trace->n, 40);
    assert_int_equal(b->trace->n, 40);
    assert_int_equal(daq_run_view_trace_bytes(a), daq_run_view_trace_bytes(b));
    for (size_t i = 0; i < a->trace->n; i++) {
        assert_int_equal(a->trace->records[i].len, b->trace->records[i].len);
        assert_memory_equal(a->trace->records[i].data, b->trace->records[i].data,
                            a->trace->records[i].len);
    }
    daq_run_view_free(a);
    daq_run_view_free(b);
    struct daq_run_finding *f = NULL;
    size_t n = 1;
    must(daq_run_check_guarded(path, 0, &f, &n, &err), &err);
    assert_int_equal(n, 0);
    free(f);
}

static int setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "%s/caldaq-damaged.XXXXXX",
             getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
    return mkdtemp(tmpdir) != NULL ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_checks_refuse),
        cmocka_unit_test(test_guard_survives),
        cmocka_unit_test(test_guard_time_limit),
        cmocka_unit_test(test_guard_passes_errors),
        cmocka_unit_test(test_guard_same_view),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
