/* The HDF5 run store (daq/store/run.h, docs/run-format.md): a run written with
 * checkpoints reads back field for field; the trace keeps every byte value;
 * tampering with readings, trace bytes, results or the audit log is found
 * and named; a run is never overwritten; a run killed without close opens
 * as in-progress with every checkpointed reading and reports the journal;
 * resumed, it gets the journal's readings and trace back and finishes.
 *
 * `test_run --write-sample PATH` writes the sample run used here to PATH,
 * and PATH.recorded.trace, a copy of the trace journal as the recorder
 * wrote it just before the run was closed, and exits
 * (tests/e2e/runfile.sh reads them with caldaq and h5py). */
#define _DEFAULT_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <hdf5.h>

#include "run.h"
#include "run_int.h" /* rs_audit_hash: forging an entry as an attacker would */
#include "test_support.h"

#define POINTS 5
#define REPS 20
#define N_READINGS (POINTS * REPS)

static char tmpdir[256];

static void path_in(char *buf, size_t cap, const char *name)
{
    snprintf(buf, cap, "%s/%s", tmpdir, name);
}

/* ------------------------------------------------------------ the sample */

static const char profile_text[] =
    "# balance calibration, OIML R 76 class II, 200 g\n"
    "name: balance-200g\n"
    "points: [0, 50, 100, 150, 200]\n"
    "repetitions: 20\n"
    "unit: g\n";

static void sample_info(struct daq_run_info *info)
{
    memset(info, 0, sizeof *info);
    snprintf(info->operator_name, sizeof info->operator_name, "Nguyễn Văn An");
    snprintf(info->lab, sizeof info->lab, "Trung tâm Khoa học–Công nghệ");
    snprintf(info->profile_name, sizeof info->profile_name, "balance-200g");
}

static void sample_device(struct daq_device *dev)
{
    memset(dev, 0, sizeof *dev);
    snprintf(dev->driver, sizeof dev->driver, "mtsics");
    snprintf(dev->port, sizeof dev->port, "/dev/ttyUSB0");
    snprintf(dev->settings, sizeof dev->settings, "9600 8N1");
    snprintf(dev->id.manufacturer, sizeof dev->id.manufacturer, "Mettler Toledo");
    snprintf(dev->id.model, sizeof dev->id.model, "XPR205");
    snprintf(dev->id.serial, sizeof dev->id.serial, "B712345678");
    snprintf(dev->id.firmware, sizeof dev->id.firmware, "1.2.3");
}

/* Certified items of weight sets (role, nominal, a mark on the second 50 g
 * piece), and a whole standard (nominal NAN, no role given). */
static const struct daq_standard sample_standards[] = {
    {"E2-50g", "VMI-2025-0142", 50.000012, 0.000015, 2, "g", "2027-03-31", "weights", 50, ""},
    {"E2-100g", "VMI-2025-0143", 99.999981, 0.000025, 2, "g", "2027-03-31", "weights", 100, ""},
    {"E2-200g", "VMI-2025-0144", 200.000040, 0.000050, 2.1, "g", "2026-12-15", "weights", 200, ""},
    {"E2-50g", "VMI-2025-0142", 49.999995, 0.000015, 2, "g", "2027-03-31", "weights", 50, "*"},
    {"TH-03", "VMI-2025-0311", 0.05, 0.1, 2, "degC", "2027-01-20", "", NAN, ""},
};
#define N_STANDARDS (sizeof sample_standards / sizeof sample_standards[0])

/* A standards row as written, field for field (NAN nominal stays NAN). */
static void same_standard(const struct daq_standard *got, const struct daq_standard *want)
{
    assert_string_equal(got->id, want->id);
    assert_string_equal(got->certificate, want->certificate);
    assert_true(got->value == want->value && got->u == want->u && got->k == want->k);
    assert_string_equal(got->unit, want->unit);
    assert_string_equal(got->due_date, want->due_date);
    assert_string_equal(got->role, want->role);
    if (isnan(want->nominal))
        assert_true(isnan(got->nominal));
    else
        assert_true(got->nominal == want->nominal);
    assert_string_equal(got->mark, want->mark);
}

static void sample_reading(int i, struct daq_reading *r)
{
    int p = i / REPS, rep = i % REPS;
    memset(r, 0, sizeof *r);
    r->t = 1795000000.0 + 2.5 * i + 0.125;
    r->point = p;
    r->repetition = rep;
    r->nominal = 50.0 * p;
    snprintf(r->role, sizeof r->role, "%s", p == 0 ? "zero" : "load");
    r->r.value = r->nominal + 0.001 * (rep % 7) - 0.003;
    snprintf(r->r.unit, sizeof r->r.unit, "g");
    r->r.status = rep == 0 ? DRV_STATUS_UNSTABLE : DRV_STATUS_STABLE;
    snprintf(r->r.display, sizeof r->r.display, "%.3f", r->r.value);
    r->r.resolution = 0.001;
    r->r.t = r->t;
    if (p == 4 && rep == REPS - 1) {
        r->r.status = DRV_STATUS_OVERLOAD;
        r->r.value = NAN;
        snprintf(r->r.display, sizeof r->r.display, "+OL \"quoted\"\t\\");
        r->r.resolution = 0;
    }
    if (p == 3 && rep == REPS - 2) {
        r->r.status = DRV_STATUS_ERROR;
        r->r.value = NAN;
        r->r.display[0] = '\0';
        snprintf(r->r.error, sizeof r->r.error, "EL: logical error");
    }
}

/* Every byte value in one record, then a plausible exchange per point. */
static void sample_trace(struct drv_trace_writer *w, int point)
{
    if (point == 0) {
        uint8_t all[256];
        for (int b = 0; b < 256; b++)
            all[b] = (uint8_t)b;
        assert_int_equal(drv_trace_writer_bytes(w, DRV_DIR_INSTR, 0.001, all, sizeof all, NULL),
                         0);
    }
    char reply[32];
    snprintf(reply, sizeof reply, "S S %10.2f g\r\n", 50.0 * point);
    assert_int_equal(drv_trace_writer_bytes(w, DRV_DIR_HOST, 0.5 + point, (const uint8_t *)"SI\r\n",
                                            4, NULL),
                     0);
    assert_int_equal(drv_trace_writer_bytes(w, DRV_DIR_INSTR, 0.58 + point,
                                            (const uint8_t *)reply, strlen(reply), NULL),
                     0);
    if (point == POINTS - 1)
        assert_int_equal(drv_trace_writer_event(w, 9.75, "timeout", NULL), 0);
}

static const char result_v1[] = "{\"engine\": \"gum\", \"U\": 0.00023, \"verdict\": \"pass\"}";
static const char result_v2[] = "{\"engine\": \"gum\", \"U\": 0.00021, \"verdict\": \"pass\", "
                                "\"note\": \"re-evaluated with the new certificate\"}";

/* Write the sample: `points` test points, checkpointed; with `close`
 * false, the run is left as a killed process leaves it. */
static int copy_file(const char *from, const char *to)
{
    FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
    int rc = in != NULL && out != NULL ? 0 : -1;
    char buf[4096];
    size_t n;
    while (rc == 0 && (n = fread(buf, 1, sizeof buf, in)) > 0)
        rc = fwrite(buf, 1, n, out) == n ? 0 : -1;
    if (in != NULL)
        fclose(in);
    if (out != NULL && fclose(out) != 0)
        rc = -1;
    return rc;
}

/* Keep a copy of the trace journal when the run is about to close. */
static const char *keep_trace_copy;
/* The `started` the sample run is created with ("": now). */
static char sample_started[40];

static int write_sample(const char *path, int points, bool close, int extra_readings,
                        char run_id[37], struct cd_err *err)
{
    struct daq_run_info info;
    sample_info(&info);
    snprintf(info.started, sizeof info.started, "%s", sample_started);
    daq_run *run = NULL;
    int rc = daq_run_create(path, &info, profile_text, &run, err);
    if (rc != 0)
        return rc;
    if (run_id != NULL)
        snprintf(run_id, 37, "%s", daq_run_get_info(run)->run_id);
    struct daq_device dev;
    sample_device(&dev);
    rc = daq_run_set_device(run, &dev, err);
    for (size_t i = 0; rc == 0 && i < N_STANDARDS; i++)
        rc = daq_run_add_standard(run, &sample_standards[i], err);
    struct daq_env e0 = {1795000000.0, 20.1, 45.5, 1012.25, "start"};
    if (rc == 0)
        rc = daq_run_add_env(run, &e0, err);
    struct drv_trace_writer *w = daq_run_trace_writer(run);
    if (w == NULL && rc == 0)
        rc = cd_fail(err, CD_ERR_INVALID, "no trace writer");
    for (int p = 0; rc == 0 && p < points; p++) {
        sample_trace(w, p);
        for (int k = 0; rc == 0 && k < REPS; k++) {
            struct daq_reading r;
            sample_reading(p * REPS + k, &r);
            rc = daq_run_add_reading(run, &r, err);
        }
        if (rc == 0)
            rc = daq_run_checkpoint(run, err);
    }
    if (rc == 0 && extra_readings > 0)
        sample_trace(w, points); /* the unfinished point's conversation */
    for (int k = 0; rc == 0 && k < extra_readings; k++) {
        struct daq_reading r;
        sample_reading(points * REPS + k, &r);
        rc = daq_run_add_reading(run, &r, err);
    }
    if (!close)
        return rc; /* abandoned on purpose: the caller _exits */
    struct daq_env e1 = {1795000300.0, 20.4, 46.0, NAN, "end"};
    int v = 0;
    if (rc == 0)
        rc = daq_run_add_env(run, &e1, err);
    if (rc == 0)
        rc = daq_run_add_results(run, result_v1, "caldaq-gum 0.1", &v, err);
    if (rc == 0 && v != 1)
        rc = cd_fail(err, CD_ERR_INVALID, "first results version %d", v);
    if (rc == 0)
        rc = daq_run_audit(run, "Trần Thị Bình", "reviewed the readings of point 3", err);
    if (rc == 0)
        rc = daq_run_add_results(run, result_v2, "caldaq-gum 0.2", &v, err);
    if (rc == 0 && v != 2)
        rc = cd_fail(err, CD_ERR_INVALID, "second results version %d", v);
    if (rc == 0)
        rc = daq_run_audit(run, "Nguyễn Văn An", "approved", err);
    if (rc == 0 && keep_trace_copy != NULL) {
        char journal[600];
        snprintf(journal, sizeof journal, "%s.trace", path);
        if (copy_file(journal, keep_trace_copy) != 0)
            rc = cd_fail(err, CD_ERR_IO, "cannot copy %s", journal);
    }
    int rc2 = daq_run_close(run, rc == 0 ? "complete" : "aborted", err);
    return rc != 0 ? rc : rc2;
}

/* ------------------------------------------------------------ helpers */

static void must(int rc, const struct cd_err *err)
{
    if (rc != 0)
        fail_msg("%s", cd_err_text(err));
}

static void fresh_sample(char *path, size_t cap, const char *name)
{
    path_in(path, cap, name);
    unlink(path);
    struct cd_err err = {0};
    must(write_sample(path, POINTS, true, 0, NULL, &err), &err);
}

static bool exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static void same_double(double a, double b)
{
    if (isnan(a) || isnan(b))
        assert_true(isnan(a) && isnan(b));
    else
        assert_true(a == b);
}

/* ------------------------------------------------------------ round trip */

static void test_round_trip(void **state)
{
    (void)state;
    char path[512];
    path_in(path, sizeof path, "round.h5");
    struct cd_err err = {0};
    char run_id[37];
    must(write_sample(path, POINTS, true, 0, run_id, &err), &err);
    char side[600];
    snprintf(side, sizeof side, "%s.journal", path);
    assert_false(exists(side));
    snprintf(side, sizeof side, "%s.trace", path);
    assert_false(exists(side));
    snprintf(side, sizeof side, "%s.tmp", path);
    assert_false(exists(side));

    struct daq_run_view *v = NULL;
    must(daq_run_open(path, &v, &err), &err);
    assert_string_equal(v->info.run_id, run_id);
    assert_int_equal(strlen(run_id), 36);
    assert_true(run_id[14] == '4'); /* UUID version 4 */
    assert_string_equal(v->info.status, "complete");
    assert_true(strlen(v->info.started) >= 25);
    assert_true(strlen(v->info.ended) >= 25);
    assert_string_equal(v->info.operator_name, "Nguyễn Văn An");
    assert_string_equal(v->info.lab, "Trung tâm Khoa học–Công nghệ");
    assert_string_equal(v->info.profile_name, "balance-200g");
    assert_string_equal(v->info.caldaq_version, "0.1.0");
    assert_string_equal(v->profile_text, profile_text);
    assert_int_equal(strlen(v->content_sha256), 64);

    struct daq_device dev;
    sample_device(&dev);
    assert_memory_equal(&v->device, &dev, sizeof dev);

    assert_int_equal(v->n_standards, N_STANDARDS);
    for (size_t i = 0; i < N_STANDARDS; i++)
        same_standard(&v->standards[i], &sample_standards[i]);
    assert_int_equal(v->n_env, 2);
    assert_true(v->env[0].temp_c == 20.1 && v->env[0].p_hpa == 1012.25);
    assert_string_equal(v->env[1].where, "end");
    assert_true(isnan(v->env[1].p_hpa));

    assert_int_equal(v->n_readings, N_READINGS);
    for (int i = 0; i < N_READINGS; i++) {
        struct daq_reading want;
        sample_reading(i, &want);
        const struct daq_reading *got = &v->readings[i];
        assert_true(got->t == want.t);
        assert_int_equal(got->point, want.point);
        assert_int_equal(got->repetition, want.repetition);
        assert_true(got->nominal == want.nominal);
        assert_string_equal(got->role, want.role);
        same_double(got->r.value, want.r.value);
        assert_string_equal(got->r.unit, want.r.unit);
        assert_int_equal(got->r.status, want.r.status);
        assert_string_equal(got->r.display, want.r.display);
        assert_true(got->r.resolution == want.r.resolution);
        assert_string_equal(got->r.error, want.r.error);
        assert_true(got->r.t == want.r.t);
    }

    /* The trace: 256 byte values, then SI / reply per point, the event. */
    const struct drv_trace *t = v->trace;
    assert_non_null(t);
    assert_int_equal(t->n, 1 + 2 * POINTS + 1);
    assert_int_equal(t->records[0].len, 256);
    for (int b = 0; b < 256; b++)
        assert_int_equal(t->records[0].data[b], b);
    assert_int_equal(t->records[0].dir, DRV_DIR_INSTR);
    assert_true(t->records[0].t == 0.001);
    assert_int_equal(t->records[1].dir, DRV_DIR_HOST);
    assert_memory_equal(t->records[1].data, "SI\r\n", 4);
    assert_int_equal(t->records[2].len, 18);
    assert_memory_equal(t->records[2].data, "S S       0.00 g\r\n", 18);
    assert_memory_equal(t->records[2 * POINTS].data, "S S     200.00 g\r\n", 18);
    assert_int_equal(t->records[t->n - 1].dir, DRV_DIR_EVENT);
    assert_string_equal((const char *)t->records[t->n - 1].data, "timeout");
    assert_string_equal(t->header.driver, "mtsics");
    assert_string_equal(t->header.port, "/dev/ttyUSB0");
    assert_string_equal(t->header.settings, "9600 8N1");
    assert_string_equal(t->header.transport, "serial");
    assert_string_equal(t->header.started, v->info.started);
    assert_int_equal(daq_run_view_trace_bytes(v), 256 + POINTS * (4 + 18) + 7);

    assert_int_equal(v->n_results, 2);
    assert_string_equal(v->results[0], result_v1);
    assert_string_equal(v->results[1], result_v2);
    assert_string_equal(daq_run_view_result_engine(v, 0), "caldaq-gum 0.1");
    assert_string_equal(daq_run_view_result_engine(v, 1), "caldaq-gum 0.2");
    assert_true(strlen(daq_run_view_result_created(v, 1)) >= 25);
    assert_null(daq_run_view_result_engine(v, 2));

    /* created, results v1, review, results v2, approval, closed */
    assert_int_equal(v->n_audit, 6);
    assert_string_equal(v->audit[2].who, "Trần Thị Bình");
    assert_string_equal(v->audit[2].what, "reviewed the readings of point 3");
    assert_string_equal(v->audit[5].what, "run closed: complete");
    assert_true(strncmp(v->audit[0].what, "run created", 11) == 0);
    assert_true(strncmp(v->audit[1].what, "results v1 added", 16) == 0);
    for (size_t i = 0; i < v->n_audit; i++) {
        assert_int_equal(v->audit[i].seq, (int64_t)i + 1);
        if (i > 0)
            assert_string_equal(v->audit[i].prev_sha256, v->audit[i - 1].sha256);
    }
    size_t n_pending = 99;
    const char *note = NULL;
    daq_run_view_pending(v, &n_pending, &note);
    assert_int_equal(n_pending, 0);
    assert_string_equal(note, "");
    daq_run_view_free(v);

    char report[1024];
    assert_int_equal(daq_run_verify(path, report, sizeof report, &err), 0);
    assert_string_equal(report, "intact");
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char *text = NULL;
    size_t cap = 0;
    FILE *m = open_memstream(&text, &cap);
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        fwrite(buf, 1, n, m);
    fclose(f);
    fclose(m);
    *len = cap;
    return text;
}

/* The record lines of a trace text (header lines dropped). */
static char *records_of(const char *text)
{
    char *out = calloc(1, strlen(text) + 1);
    size_t n = 0;
    for (const char *p = text; *p != '\0';) {
        const char *eol = strchr(p, '\n');
        size_t len = eol != NULL ? (size_t)(eol - p) + 1 : strlen(p);
        if (*p != '#') {
            memcpy(out + n, p, len);
            n += len;
        }
        p += len;
    }
    return out;
}

/* What `caldaq trace` writes has the records the recorder wrote, byte for
 * byte (and a header completed from /device). */
static void test_trace_identical(void **state)
{
    (void)state;
    char path[512], copy[600];
    path_in(path, sizeof path, "trace.h5");
    unlink(path);
    snprintf(copy, sizeof copy, "%s.recorded.trace", path);
    keep_trace_copy = copy;
    struct cd_err err = {0};
    int rc = write_sample(path, POINTS, true, 0, NULL, &err);
    keep_trace_copy = NULL;
    must(rc, &err);
    size_t len;
    char *recorded = slurp(copy, &len);

    struct daq_run_view *v = NULL;
    must(daq_run_open(path, &v, &err), &err);
    char *text = NULL;
    size_t tlen = 0;
    FILE *m = open_memstream(&text, &tlen);
    struct drv_trace_writer *w = drv_trace_writer_new(m, &v->trace->header, &err);
    assert_non_null(w);
    for (size_t i = 0; i < v->trace->n; i++) {
        const struct drv_trace_record *r = &v->trace->records[i];
        if (r->dir == DRV_DIR_EVENT)
            must(drv_trace_writer_event(w, r->t, (const char *)r->data, &err), &err);
        else
            must(drv_trace_writer_bytes(w, r->dir, r->t, r->data, r->len, &err), &err);
    }
    must(drv_trace_writer_close(w, &err), &err);
    fclose(m);
    char *a = records_of(recorded), *b = records_of(text);
    assert_true(strlen(a) > 1000);
    assert_string_equal(a, b);
    /* The header says what /device says; started is the run's. */
    assert_non_null(strstr(text, "# driver: mtsics\n# started: "));
    assert_non_null(strstr(text, v->info.started));
    /* And it parses back to the same records. */
    struct drv_trace *t = NULL;
    must(drv_trace_parse(text, tlen, "rewritten", &t, &err), &err);
    assert_int_equal(t->n, v->trace->n);
    for (size_t i = 0; i < t->n; i++) {
        assert_int_equal(t->records[i].len, v->trace->records[i].len);
        assert_memory_equal(t->records[i].data, v->trace->records[i].data, t->records[i].len);
        assert_int_equal(t->records[i].line, v->trace->records[i].line);
    }
    drv_trace_free(t);
    free(a);
    free(b);
    free(text);
    free(recorded);
    daq_run_view_free(v);
}

/* The profile's SHA-256 is that of its text (sha256sum of the same bytes). */
static void test_profile_hash(void **state)
{
    (void)state;
    char path[512];
    fresh_sample(path, sizeof path, "profile.h5");
    struct daq_run_view *v = NULL;
    struct cd_err err = {0};
    must(daq_run_open(path, &v, &err), &err);
    char txt[600];
    path_in(txt, sizeof txt, "profile.yaml");
    FILE *f = fopen(txt, "w");
    fputs(profile_text, f);
    fclose(f);
    char cmd[1400];
    snprintf(cmd, sizeof cmd, "sha256sum '%s'", txt);
    FILE *p = popen(cmd, "r");
    char out[128] = "";
    assert_non_null(fgets(out, sizeof out, p));
    pclose(p);
    out[64] = '\0';
    assert_string_equal(v->info.profile_sha256, out);
    daq_run_view_free(v);
}

/* ------------------------------------------------------------ tampering */

static hid_t open_rw(const char *path)
{
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    assert_true(f >= 0);
    return f;
}

/* Flip the lowest bit of element `row` of the double field `field` of a
 * compound dataset. */
static void flip_double_field(const char *path, const char *dataset, const char *field,
                              hsize_t row)
{
    hid_t f = open_rw(path);
    hid_t ds = H5Dopen2(f, dataset, H5P_DEFAULT);
    hid_t mt = H5Tcreate(H5T_COMPOUND, sizeof(double));
    H5Tinsert(mt, field, 0, H5T_NATIVE_DOUBLE);
    hid_t fs = H5Dget_space(ds);
    hsize_t one = 1;
    H5Sselect_hyperslab(fs, H5S_SELECT_SET, &row, NULL, &one, NULL);
    hid_t ms = H5Screate_simple(1, &one, NULL);
    double x;
    assert_true(H5Dread(ds, mt, ms, fs, H5P_DEFAULT, &x) >= 0);
    uint64_t bits;
    memcpy(&bits, &x, 8);
    bits ^= 1;
    memcpy(&x, &bits, 8);
    assert_true(H5Dwrite(ds, mt, ms, fs, H5P_DEFAULT, &x) >= 0);
    H5Sclose(ms);
    H5Sclose(fs);
    H5Tclose(mt);
    H5Dclose(ds);
    assert_true(H5Fclose(f) >= 0);
}

static void expect_finding(const char *path, const char *object, const char *text)
{
    struct cd_err err = {0};
    char report[2048];
    int rc = daq_run_verify(path, report, sizeof report, &err);
    assert_int_equal(rc, CD_ERR_INVALID);
    if (strstr(report, text) == NULL)
        fail_msg("report \"%s\" does not say \"%s\"", report, text);
    struct daq_run_finding *a = NULL;
    size_t n = 0;
    cd_err_clear(&err);
    assert_int_equal(daq_run_check(path, &a, &n, &err), CD_ERR_INVALID);
    bool found = false;
    for (size_t i = 0; i < n; i++)
        found = found || strcmp(a[i].object, object) == 0;
    if (!found)
        fail_msg("no finding about %s in \"%s\"", object, report);
    free(a);
}

static void test_tamper_reading(void **state)
{
    (void)state;
    char path[512];
    fresh_sample(path, sizeof path, "tamper-reading.h5");
    flip_double_field(path, "/readings", "value", 42);
    expect_finding(path, "/readings", "content hash mismatch: /readings changed");
    /* Nothing else is blamed. */
    char report[2048];
    struct cd_err err = {0};
    daq_run_verify(path, report, sizeof report, &err);
    assert_string_equal(report, "content hash mismatch: /readings changed");
}

/* Overwrite the fixed string field `field` of element `row` of a compound
 * dataset with `text`. */
static void set_string_field(const char *path, const char *dataset, const char *field,
                             hsize_t row, const char *text)
{
    hid_t f = open_rw(path);
    hid_t ds = H5Dopen2(f, dataset, H5P_DEFAULT);
    hid_t ft = H5Dget_type(ds);
    int idx = H5Tget_member_index(ft, field);
    assert_true(idx >= 0);
    hid_t st = H5Tget_member_type(ft, (unsigned)idx);
    size_t size = H5Tget_size(st);
    char buf[256] = "";
    assert_true(size < sizeof buf);
    snprintf(buf, size, "%s", text);
    hid_t mt = H5Tcreate(H5T_COMPOUND, size);
    H5Tinsert(mt, field, 0, st);
    hid_t fs = H5Dget_space(ds);
    hsize_t one = 1;
    H5Sselect_hyperslab(fs, H5S_SELECT_SET, &row, NULL, &one, NULL);
    hid_t ms = H5Screate_simple(1, &one, NULL);
    assert_true(H5Dwrite(ds, mt, ms, fs, H5P_DEFAULT, buf) >= 0);
    H5Sclose(ms);
    H5Sclose(fs);
    H5Tclose(mt);
    H5Tclose(st);
    H5Tclose(ft);
    H5Dclose(ds);
    assert_true(H5Fclose(f) >= 0);
}

/* role, nominal and mark of a standards row are covered by the content hash. */
static void test_tamper_standards(void **state)
{
    (void)state;
    const struct {
        const char *field;
        hsize_t row;
        const char *text; /* NULL: flip the double */
    } edits[] = {
        {"nominal", 1, NULL},
        {"role", 4, "weights"},
        {"mark", 3, ""},
    };
    for (size_t i = 0; i < sizeof edits / sizeof edits[0]; i++) {
        char path[512], name[64];
        snprintf(name, sizeof name, "tamper-standards-%s.h5", edits[i].field);
        fresh_sample(path, sizeof path, name);
        if (edits[i].text == NULL)
            flip_double_field(path, "/standards", edits[i].field, edits[i].row);
        else
            set_string_field(path, "/standards", edits[i].field, edits[i].row, edits[i].text);
        char report[2048];
        struct cd_err err = {0};
        assert_int_equal(daq_run_verify(path, report, sizeof report, &err), CD_ERR_INVALID);
        assert_string_equal(report, "content hash mismatch: /standards changed");
        expect_finding(path, "/standards", "content hash mismatch: /standards changed");
    }
}

static void test_tamper_trace(void **state)
{
    (void)state;
    char path[512];
    fresh_sample(path, sizeof path, "tamper-trace.h5");
    hid_t f = open_rw(path);
    hid_t ds = H5Dopen2(f, "/trace/bytes", H5P_DEFAULT);
    hid_t fs = H5Dget_space(ds);
    hsize_t at = 100, one = 1;
    H5Sselect_hyperslab(fs, H5S_SELECT_SET, &at, NULL, &one, NULL);
    hid_t ms = H5Screate_simple(1, &one, NULL);
    uint8_t b;
    assert_true(H5Dread(ds, H5T_NATIVE_UINT8, ms, fs, H5P_DEFAULT, &b) >= 0);
    assert_int_equal(b, 100 - 0); /* the 256-value record starts the bytes */
    b ^= 0x20;
    assert_true(H5Dwrite(ds, H5T_NATIVE_UINT8, ms, fs, H5P_DEFAULT, &b) >= 0);
    H5Sclose(ms);
    H5Sclose(fs);
    H5Dclose(ds);
    H5Fclose(f);
    expect_finding(path, "/trace/bytes", "content hash mismatch: /trace/bytes changed");
}

static void rewrite_text(const char *path, const char *dataset, char from, char to)
{
    hid_t f = open_rw(path);
    hid_t ds = H5Dopen2(f, dataset, H5P_DEFAULT);
    hid_t vs = H5Tcopy(H5T_C_S1);
    H5Tset_size(vs, H5T_VARIABLE);
    H5Tset_cset(vs, H5T_CSET_UTF8);
    char *text = NULL;
    assert_true(H5Dread(ds, vs, H5S_ALL, H5S_ALL, H5P_DEFAULT, &text) >= 0);
    char *copy = strdup(text);
    hid_t sp = H5Dget_space(ds);
    H5Dvlen_reclaim(vs, sp, H5P_DEFAULT, &text);
    char *c = strchr(copy, from);
    assert_non_null(c);
    *c = to;
    const char *w = copy;
    assert_true(H5Dwrite(ds, vs, H5S_ALL, H5S_ALL, H5P_DEFAULT, &w) >= 0);
    free(copy);
    H5Sclose(sp);
    H5Tclose(vs);
    H5Dclose(ds);
    H5Fclose(f);
}

static void test_tamper_results(void **state)
{
    (void)state;
    char path[512];
    fresh_sample(path, sizeof path, "tamper-results.h5");
    rewrite_text(path, "/results/v1", '3', '2'); /* "U": 0.00023 -> 0.00022 */
    expect_finding(path, "/results/v1", "content hash mismatch: /results/v1 changed");
}

/* The audit table through a compound that matches struct daq_audit_entry. */
static hid_t audit_type(void)
{
    hid_t t = H5Tcreate(H5T_COMPOUND, sizeof(struct daq_audit_entry));
    H5Tinsert(t, "seq", HOFFSET(struct daq_audit_entry, seq), H5T_NATIVE_INT64);
    H5Tinsert(t, "t", HOFFSET(struct daq_audit_entry, t), H5T_NATIVE_DOUBLE);
    struct {
        const char *name;
        size_t off, size;
    } s[] = {
        {"who", offsetof(struct daq_audit_entry, who), 64},
        {"what", offsetof(struct daq_audit_entry, what), 256},
        {"prev_sha256", offsetof(struct daq_audit_entry, prev_sha256), 65},
        {"sha256", offsetof(struct daq_audit_entry, sha256), 65},
    };
    for (int i = 0; i < 4; i++) {
        hid_t st = H5Tcopy(H5T_C_S1);
        H5Tset_size(st, s[i].size);
        H5Tset_cset(st, H5T_CSET_UTF8); /* HDF5 converts no ASCII <-> UTF-8 */
        H5Tinsert(t, s[i].name, s[i].off, st);
        H5Tclose(st);
    }
    return t;
}

static void audit_rewrite(const char *path, size_t drop, const char *new_what)
{
    hid_t f = open_rw(path);
    hid_t ds = H5Dopen2(f, "/audit", H5P_DEFAULT);
    hid_t t = audit_type();
    hid_t sp = H5Dget_space(ds);
    hsize_t n = (hsize_t)H5Sget_simple_extent_npoints(sp);
    struct daq_audit_entry *a = calloc(n, sizeof *a);
    assert_true(H5Dread(ds, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, a) >= 0);
    if (new_what != NULL) {
        snprintf(a[drop].what, sizeof a[drop].what, "%s", new_what);
    } else {
        memmove(&a[drop], &a[drop + 1], (n - drop - 1) * sizeof *a);
        n--;
        assert_true(H5Dset_extent(ds, &n) >= 0);
    }
    assert_true(H5Dwrite(ds, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, a) >= 0);
    free(a);
    H5Sclose(sp);
    H5Tclose(t);
    H5Dclose(ds);
    assert_true(H5Fclose(f) >= 0);
}

static void test_tamper_audit_edit(void **state)
{
    (void)state;
    char path[512];
    fresh_sample(path, sizeof path, "tamper-audit-edit.h5");
    audit_rewrite(path, 2, "nothing to see here");
    expect_finding(path, "/audit", "audit entry 3 broken: its sha256 does not match");
    expect_finding(path, "/audit", "content hash mismatch: /audit changed");
}

static void test_tamper_audit_remove(void **state)
{
    (void)state;
    char path[512];
    fresh_sample(path, sizeof path, "tamper-audit-remove.h5");
    audit_rewrite(path, 1, NULL);
    expect_finding(path, "/audit", "audit entry 2 removed");
}

/* A forger who edits an entry and recomputes its own hash (the definition
 * is public) still breaks the chain at the next entry. */
static void test_tamper_audit_rehashed(void **state)
{
    (void)state;
    char path[512];
    fresh_sample(path, sizeof path, "tamper-audit-rehash.h5");
    hid_t f = open_rw(path);
    hid_t ds = H5Dopen2(f, "/audit", H5P_DEFAULT);
    hid_t t = audit_type();
    struct daq_audit_entry a[6];
    assert_true(H5Dread(ds, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, a) >= 0);
    snprintf(a[2].what, sizeof a[2].what, "approved everything");
    rs_audit_hash(a[2].prev_sha256, a[2].seq, a[2].t, a[2].who, a[2].what, a[2].sha256);
    assert_true(H5Dwrite(ds, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, a) >= 0);
    H5Tclose(t);
    H5Dclose(ds);
    H5Fclose(f);
    expect_finding(path, "/audit", "audit entry 4 broken: prev_sha256 is not the hash of entry 3");
    struct daq_run_finding *fnd = NULL;
    size_t n = 0;
    struct cd_err err = {0};
    daq_run_check(path, &fnd, &n, &err);
    for (size_t i = 0; i < n; i++)
        assert_null(strstr(fnd[i].text, "entry 3 broken"));
    free(fnd);
}

/* ------------------------------------------------------------ refusals, errors */

static void test_refuse_overwrite(void **state)
{
    (void)state;
    char path[512];
    fresh_sample(path, sizeof path, "keep.h5");
    struct stat before, after;
    assert_int_equal(stat(path, &before), 0);
    struct daq_run_info info;
    sample_info(&info);
    daq_run *run = NULL;
    struct cd_err err = {0};
    assert_int_equal(daq_run_create(path, &info, profile_text, &run, &err), CD_ERR_INVALID);
    assert_null(run);
    assert_non_null(strstr(err.msg, "already exists"));
    assert_int_equal(stat(path, &after), 0);
    assert_true(before.st_ino == after.st_ino && before.st_size == after.st_size &&
                before.st_mtime == after.st_mtime);
    char report[256];
    cd_err_clear(&err);
    assert_int_equal(daq_run_verify(path, report, sizeof report, &err), 0);
}

static void test_errors(void **state)
{
    (void)state;
    struct cd_err err = {0};
    struct daq_run_view *v = NULL;
    char path[512];

    path_in(path, sizeof path, "missing.h5");
    assert_int_equal(daq_run_open(path, &v, &err), CD_ERR_NOT_FOUND);
    assert_non_null(strstr(err.msg, "missing.h5"));

    path_in(path, sizeof path, "text.h5");
    FILE *f = fopen(path, "w");
    fputs("not hdf5\n", f);
    fclose(f);
    cd_err_clear(&err);
    assert_int_equal(daq_run_open(path, &v, &err), CD_ERR_UNSUPPORTED);
    assert_non_null(strstr(err.msg, "not an HDF5 file"));

    /* An HDF5 file that is not a run. */
    path_in(path, sizeof path, "other.h5");
    hid_t h = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    H5Fclose(h);
    cd_err_clear(&err);
    assert_int_equal(daq_run_open(path, &v, &err), CD_ERR_UNSUPPORTED);
    assert_non_null(strstr(err.msg, "not a caldaq run"));
    cd_err_clear(&err);
    char report[256];
    assert_int_equal(daq_run_verify(path, report, sizeof report, &err), CD_ERR_UNSUPPORTED);

    /* A run with an object removed: open names it, verify reports it. */
    fresh_sample(path, sizeof path, "no-audit.h5");
    h = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    assert_true(H5Ldelete(h, "/audit", H5P_DEFAULT) >= 0);
    H5Fclose(h);
    cd_err_clear(&err);
    assert_int_equal(daq_run_open(path, &v, &err), CD_ERR_PARSE);
    assert_non_null(strstr(err.msg, "/audit"));
    expect_finding(path, "file", "/audit");

    /* A table whose header claims more rows than the file could hold (found
     * by tests/fuzz/fuzz_runfile.c): refused as damaged, not read into a
     * terabyte allocation or reported as "out of memory". */
    fresh_sample(path, sizeof path, "huge-extent.h5");
    h = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    hid_t ds = H5Dopen2(h, "/readings", H5P_DEFAULT);
    hsize_t huge[1] = {(hsize_t)1 << 40};
    assert_true(H5Dset_extent(ds, huge) >= 0);
    H5Dclose(ds);
    H5Fclose(h);
    cd_err_clear(&err);
    assert_int_equal(daq_run_open(path, &v, &err), CD_ERR_PARSE);
    assert_non_null(strstr(err.msg, "/readings"));
    assert_non_null(strstr(err.msg, "damaged"));

    /* A folder that does not exist. */
    struct daq_run_info info;
    sample_info(&info);
    daq_run *run = NULL;
    cd_err_clear(&err);
    path_in(path, sizeof path, "no/such/dir/run.h5");
    assert_int_equal(daq_run_create(path, &info, "", &run, &err), CD_ERR_IO);
    assert_non_null(strstr(err.msg, "run.h5.tmp"));

    /* Bad arguments on a live run. */
    path_in(path, sizeof path, "args.h5");
    unlink(path);
    cd_err_clear(&err);
    must(daq_run_create(path, &info, profile_text, &run, &err), &err);
    assert_int_equal(daq_run_add_results(run, "{not json", "x", NULL, &err), CD_ERR_PARSE);
    cd_err_clear(&err);
    /* A long text (an error message) is cut, at a character boundary. */
    char long_what[400] = "";
    while (strlen(long_what) < 380)
        strcat(long_what, "Tiếng Việt ");
    must(daq_run_audit(run, "me", long_what, &err), &err);
    assert_int_equal(daq_run_audit(run, "", "empty who", &err), CD_ERR_INVALID);
    cd_err_clear(&err);
    struct daq_standard s = {"W1", "C1", 1, 0.1, 2, "g", "31/12/2027", "weights", 1, ""};
    assert_int_equal(daq_run_add_standard(run, &s, &err), CD_ERR_INVALID);
    cd_err_clear(&err);
    struct daq_reading r;
    sample_reading(0, &r);
    r.r.status = (enum drv_status)42;
    assert_int_equal(daq_run_add_reading(run, &r, &err), CD_ERR_INVALID);
    cd_err_clear(&err);
    assert_int_equal(daq_run_close(run, "finished", &err), CD_ERR_INVALID);
    /* The handle is gone, the file says in-progress. */
    cd_err_clear(&err);
    must(daq_run_open(path, &v, &err), &err);
    assert_string_equal(v->info.status, "in-progress");
    daq_run_view_free(v);

    /* What a checkpoint wrote: the cut entry, valid UTF-8, ending "...". */
    path_in(path, sizeof path, "cut.h5");
    unlink(path);
    must(daq_run_create(path, &info, profile_text, &run, &err), &err);
    must(daq_run_audit(run, "me", long_what, &err), &err);
    must(daq_run_close(run, "aborted", &err), &err);
    must(daq_run_open(path, &v, &err), &err);
    assert_string_equal(v->info.status, "aborted");
    const char *w = v->audit[1].what;
    size_t wl = strlen(w);
    assert_true(wl <= 255 && wl > 240);
    assert_string_equal(w + wl - 3, "...");
    assert_memory_equal(w, long_what, wl - 3);
    assert_true(((unsigned char)long_what[wl - 3] & 0xC0) != 0x80);
    daq_run_view_free(v);
    assert_int_equal(daq_run_close(NULL, "complete", &err), 0);
}

/* ------------------------------------------------------------ crashes */

/* A child writes 3 points with checkpoints and 7 readings of a fourth, then
 * dies without closing. */
static void test_abandoned_run(void **state)
{
    (void)state;
    char path[512];
    path_in(path, sizeof path, "abandoned.h5");
    unlink(path);
    char id_path[600];
    snprintf(id_path, sizeof id_path, "%s.id", path);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct cd_err err = {0};
        char run_id[37];
        int rc = write_sample(path, 3, false, 7, run_id, &err);
        FILE *f = fopen(id_path, "w");
        if (f != NULL) {
            fputs(run_id, f);
            fclose(f);
        }
        _exit(rc == 0 ? 0 : 1);
    }
    int status;
    status = wait_child(pid, 30000, "the child process");
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    char want_id[64] = "";
    FILE *f = fopen(id_path, "r");
    assert_non_null(fgets(want_id, sizeof want_id, f));
    fclose(f);

    struct daq_run_view *v = NULL;
    struct cd_err err = {0};
    must(daq_run_open(path, &v, &err), &err);
    assert_string_equal(v->info.run_id, want_id);
    assert_string_equal(v->info.status, "in-progress");
    assert_string_equal(v->info.ended, "");
    assert_int_equal(v->n_readings, 3 * REPS);
    for (int i = 0; i < 3 * REPS; i++) {
        struct daq_reading want;
        sample_reading(i, &want);
        same_double(v->readings[i].r.value, want.r.value);
        assert_int_equal(v->readings[i].point, want.point);
    }
    /* The trace of the checkpointed points is in the file. */
    assert_int_equal(v->trace->n, 1 + 2 * 3);
    size_t n = 0;
    const char *note = NULL;
    const struct daq_reading *pend = daq_run_view_pending(v, &n, &note);
    assert_int_equal(n, 7);
    for (int k = 0; k < 7; k++) {
        struct daq_reading want;
        sample_reading(3 * REPS + k, &want);
        assert_true(pend[k].t == want.t);
        assert_int_equal(pend[k].point, 3);
        assert_int_equal(pend[k].repetition, k);
        same_double(pend[k].r.value, want.r.value);
        assert_string_equal(pend[k].r.display, want.r.display);
        assert_int_equal(pend[k].r.status, want.r.status);
        assert_string_equal(pend[k].role, want.role);
    }
    assert_non_null(strstr(note, "7 readings of an unfinished test point"));
    daq_run_view_free(v);
    char report[256];
    assert_int_equal(daq_run_verify(path, report, sizeof report, &err), 0);

    /* A torn last journal line (killed mid-write) is ignored and said. */
    char jpath[600];
    snprintf(jpath, sizeof jpath, "%s.journal", path);
    int fd = open(jpath, O_WRONLY | O_APPEND);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "67 1795000167.625 3 7 150", 25), 25);
    close(fd);
    must(daq_run_open(path, &v, &err), &err);
    daq_run_view_pending(v, &n, &note);
    assert_int_equal(n, 7);
    assert_non_null(strstr(note, "incomplete"));
    daq_run_view_free(v);

    /* A journal of another run is not taken for this one's. */
    f = fopen(jpath, "w");
    fprintf(f, "# caldaq-journal 1 00000000-0000-4000-8000-000000000000\n");
    fclose(f);
    must(daq_run_open(path, &v, &err), &err);
    daq_run_view_pending(v, &n, &note);
    assert_int_equal(n, 0);
    assert_non_null(strstr(note, "another run"));
    daq_run_view_free(v);
}

/* Killed at arbitrary moments (SIGKILL while checkpointing as fast as it
 * can): the file always opens, verifies, says in-progress and holds whole
 * points only. */
static void test_killed_anywhere(void **state)
{
    (void)state;
    for (int round = 0; round < 6; round++) {
        char path[512], name[64];
        snprintf(name, sizeof name, "killed-%d.h5", round);
        path_in(path, sizeof path, name);
        unlink(path);
        int pfd[2];
        assert_int_equal(pipe(pfd), 0);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            close(pfd[0]);
            struct daq_run_info info;
            sample_info(&info);
            daq_run *run = NULL;
            if (daq_run_create(path, &info, profile_text, &run, NULL) != 0)
                _exit(1);
            if (write(pfd[1], "x", 1) != 1)
                _exit(1);
            for (int p = 0;; p++) {
                for (int k = 0; k < 5; k++) {
                    struct daq_reading r;
                    sample_reading(k, &r);
                    r.point = p;
                    r.repetition = k;
                    daq_run_add_reading(run, &r, NULL);
                }
                daq_run_checkpoint(run, NULL);
            }
        }
        close(pfd[1]);
        char c;
        ssize_t got = read(pfd[0], &c, 1);
        close(pfd[0]);
        struct timespec ts = {0, 20000000L + 15000000L * round};
        nanosleep(&ts, NULL);
        kill(pid, SIGKILL); /* before any assertion: never leave it running */
        int status;
        status = wait_child(pid, 30000, "the child process");
        assert_int_equal(got, 1);
        assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
        struct daq_run_view *v = NULL;
        struct cd_err err = {0};
        must(daq_run_open(path, &v, &err), &err);
        assert_string_equal(v->info.status, "in-progress");
        assert_int_equal(v->n_readings % 5, 0);
        for (size_t i = 0; i < v->n_readings; i++)
            assert_int_equal(v->readings[i].point, (int)(i / 5));
        daq_run_view_free(v);
        char report[512];
        if (daq_run_verify(path, report, sizeof report, &err) != 0)
            fail_msg("round %d: %s", round, report);
    }
}

/* `caldaq show` during an acquisition: a reader opening the run while the
 * writer checkpoints always gets a whole snapshot that verifies. */
static void test_read_while_writing(void **state)
{
    (void)state;
    char path[512];
    path_in(path, sizeof path, "live.h5");
    unlink(path);
    int pfd[2];
    assert_int_equal(pipe(pfd), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(pfd[0]);
        struct daq_run_info info;
        sample_info(&info);
        daq_run *run = NULL;
        if (daq_run_create(path, &info, profile_text, &run, NULL) != 0)
            _exit(1);
        if (write(pfd[1], "x", 1) != 1)
            _exit(1);
        for (int p = 0;; p++) {
            for (int k = 0; k < 5; k++) {
                struct daq_reading r;
                sample_reading(k, &r);
                r.point = p;
                daq_run_add_reading(run, &r, NULL);
            }
            daq_run_checkpoint(run, NULL);
        }
    }
    close(pfd[1]);
    char c;
    ssize_t got = read(pfd[0], &c, 1);
    close(pfd[0]);
    int failures = 0;
    size_t last = 0;
    char msg[600] = "";
    for (int k = 0; k < 40 && got == 1; k++) {
        struct daq_run_view *v = NULL;
        struct cd_err err = {0};
        char report[512];
        if (daq_run_open(path, &v, &err) != 0 ||
            daq_run_verify(path, report, sizeof report, &err) != 0) {
            failures++;
            snprintf(msg, sizeof msg, "%s", cd_err_text(&err));
        } else {
            assert_true(v->n_readings >= last);
            last = v->n_readings;
        }
        daq_run_view_free(v);
        struct timespec ts = {0, 2000000L};
        nanosleep(&ts, NULL);
    }
    kill(pid, SIGKILL);
    wait_child(pid, 30000, "the child process");
    assert_int_equal(got, 1);
    if (failures > 0)
        fail_msg("%d of 40 reads failed: %s", failures, msg);
    assert_true(last > 0);
}

/* ------------------------------------------------------------ reopen */

/* The stored manifest of a run, "HEX  NAME\n" per section. */
static char *manifest_of(const char *path)
{
    struct rs_data d;
    struct cd_err err = {0};
    must(rs_h5_read(path, &d, &err), &err);
    char *m = strdup(d.manifest);
    rs_data_free(&d);
    assert_non_null(m);
    return m;
}

/* `after` holds every line of `before` except the /audit one, plus the
 * /audit line and a new /results/v3 line. */
static void manifest_grew(const char *before, const char *after)
{
    char *b = strdup(before);
    assert_non_null(b);
    size_t n_before = 0;
    for (char *save = NULL, *line = strtok_r(b, "\n", &save); line != NULL;
         line = strtok_r(NULL, "\n", &save)) {
        n_before++;
        if (strcmp(line + 66, "/audit") == 0) {
            assert_null(strstr(after, line)); /* the log changed */
            continue;
        }
        if (strstr(after, line) == NULL)
            fail_msg("section changed by reopen: %s", line + 66);
    }
    free(b);
    size_t n_after = 0;
    for (const char *c = after; *c != '\0'; c++)
        n_after += *c == '\n';
    assert_int_equal(n_after, n_before + 1);
    assert_non_null(strstr(after, "  /results/v3\n"));
    assert_null(strstr(before, "  /results/v3\n"));
}

static void test_reopen(void **state)
{
    (void)state;
    char path[512];
    fresh_sample(path, sizeof path, "reopen.h5");
    struct cd_err err = {0};
    struct daq_run_view *v0 = NULL;
    must(daq_run_open(path, &v0, &err), &err);
    char *m0 = manifest_of(path);

    daq_run *run = NULL;
    must(daq_run_reopen(path, &run, &err), &err);
    assert_non_null(run);
    assert_null(daq_run_trace_writer(run));
    /* What was measured stays as measured. */
    struct daq_reading r;
    sample_reading(0, &r);
    assert_int_equal(daq_run_add_reading(run, &r, &err), CD_ERR_INVALID);
    assert_non_null(strstr(err.msg, "cannot add a reading to a reopened complete run"));
    cd_err_clear(&err);
    struct daq_env e = {1795000900.0, 21.0, 40.0, NAN, "end"};
    assert_int_equal(daq_run_add_env(run, &e, &err), CD_ERR_INVALID);
    cd_err_clear(&err);
    assert_int_equal(daq_run_add_standard(run, &sample_standards[0], &err), CD_ERR_INVALID);
    cd_err_clear(&err);
    struct daq_device dev;
    sample_device(&dev);
    assert_int_equal(daq_run_set_device(run, &dev, &err), CD_ERR_INVALID);
    cd_err_clear(&err);
    /* Nothing is written before the close. */
    char *m_mid = manifest_of(path);
    assert_string_equal(m_mid, m0);
    free(m_mid);

    static const char result_v3[] = "{\"engine\": \"gum\", \"U\": 0.00020, \"verdict\": \"pass\"}";
    int ver = 0;
    must(daq_run_add_results(run, result_v3, "caldaq-gum 0.3", &ver, &err), &err);
    assert_int_equal(ver, 3);
    must(daq_run_audit(run, "Trần Thị Bình", "re-evaluated with certificate VMI-2026-0007", &err),
         &err);
    must(daq_run_close(run, NULL, &err), &err);
    char tmp[600];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    assert_false(exists(tmp));

    char report[1024];
    assert_int_equal(daq_run_verify(path, report, sizeof report, &err), 0);
    assert_string_equal(report, "intact");
    char *m1 = manifest_of(path);
    manifest_grew(m0, m1); /* readings, trace, results v1 v2, root ... unchanged */

    struct daq_run_view *v1 = NULL;
    must(daq_run_open(path, &v1, &err), &err);
    assert_string_equal(v1->info.status, "complete");
    assert_string_equal(v1->info.ended, v0->info.ended);
    assert_string_equal(v1->info.run_id, v0->info.run_id);
    assert_int_equal(v1->n_results, 3);
    assert_string_equal(v1->results[0], result_v1);
    assert_string_equal(v1->results[1], result_v2);
    assert_string_equal(v1->results[2], result_v3);
    assert_string_equal(daq_run_view_result_created(v1, 0), daq_run_view_result_created(v0, 0));
    assert_string_equal(daq_run_view_result_engine(v1, 2), "caldaq-gum 0.3");
    assert_int_equal(v1->n_readings, v0->n_readings);
    for (size_t i = 0; i < v0->n_readings; i++) {
        same_double(v1->readings[i].t, v0->readings[i].t);
        same_double(v1->readings[i].r.value, v0->readings[i].r.value);
        assert_string_equal(v1->readings[i].r.display, v0->readings[i].r.display);
        assert_int_equal(v1->readings[i].r.status, v0->readings[i].r.status);
    }
    assert_int_equal(v1->trace->n, v0->trace->n);
    for (size_t i = 0; i < v0->trace->n; i++) {
        assert_int_equal(v1->trace->records[i].len, v0->trace->records[i].len);
        assert_memory_equal(v1->trace->records[i].data, v0->trace->records[i].data,
                            v0->trace->records[i].len);
    }
    assert_int_equal(v1->n_env, v0->n_env);
    assert_int_equal(v1->n_standards, v0->n_standards);
    for (size_t i = 0; i < v0->n_standards; i++)
        same_standard(&v1->standards[i], &sample_standards[i]);
    /* The audit log: the old entries, then reopen, v3, the review, close. */
    assert_int_equal(v1->n_audit, v0->n_audit + 4);
    for (size_t i = 0; i < v0->n_audit; i++)
        assert_string_equal(v1->audit[i].sha256, v0->audit[i].sha256);
    assert_string_equal(v1->audit[v0->n_audit].what, "run reopened by caldaq");
    assert_string_equal(v1->audit[v0->n_audit].who, "caldaq");
    assert_string_equal(v1->audit[v0->n_audit + 1].what, "results v3 added (engine caldaq-gum 0.3)");
    assert_string_equal(v1->audit[v0->n_audit + 3].what, "reopened run closed: complete");
    daq_run_view_free(v0);
    daq_run_view_free(v1);
    free(m0);
    free(m1);

    /* Again, and a status change is refused with the file untouched. */
    must(daq_run_reopen(path, &run, &err), &err);
    m0 = manifest_of(path);
    assert_int_equal(daq_run_close(run, "aborted", &err), CD_ERR_INVALID);
    assert_non_null(strstr(err.msg, "keeps its status"));
    cd_err_clear(&err);
    m1 = manifest_of(path);
    assert_string_equal(m0, m1);
    free(m0);
    free(m1);
    must(daq_run_reopen(path, &run, &err), &err);
    must(daq_run_close(run, "complete", &err), &err);
    assert_int_equal(daq_run_verify(path, report, sizeof report, &err), 0);
}

static void test_reopen_refused(void **state)
{
    (void)state;
    char path[512];
    struct cd_err err = {0};
    daq_run *run = (daq_run *)&err; /* must come back NULL */

    /* Missing. */
    path_in(path, sizeof path, "reopen-missing.h5");
    unlink(path);
    assert_int_equal(daq_run_reopen(path, &run, &err), CD_ERR_NOT_FOUND);
    assert_null(run);
    assert_false(exists(path));
    cd_err_clear(&err);

    /* Tampered. */
    fresh_sample(path, sizeof path, "reopen-tampered.h5");
    flip_double_field(path, "/readings", "value", 42);
    assert_int_equal(daq_run_reopen(path, &run, &err), CD_ERR_INVALID);
    assert_null(run);
    assert_non_null(strstr(err.msg, "fails verification"));
    assert_non_null(strstr(err.msg, "/readings changed"));
    cd_err_clear(&err);

    /* In progress: a session is writing it. */
    path_in(path, sizeof path, "reopen-live.h5");
    unlink(path);
    struct daq_run_info info;
    sample_info(&info);
    daq_run *live = NULL;
    must(daq_run_create(path, &info, profile_text, &live, &err), &err);
    struct daq_reading r;
    sample_reading(0, &r);
    must(daq_run_add_reading(live, &r, &err), &err);
    must(daq_run_checkpoint(live, &err), &err);
    char *m0 = manifest_of(path);
    assert_int_equal(daq_run_reopen(path, &run, &err), CD_ERR_INVALID);
    assert_null(run);
    assert_non_null(strstr(err.msg, "in-progress"));
    assert_non_null(strstr(err.msg, "resume"));
    cd_err_clear(&err);
    char *m1 = manifest_of(path);
    assert_string_equal(m0, m1);
    free(m0);
    free(m1);
    must(daq_run_close(live, "complete", &err), &err);
    char report[256];
    assert_int_equal(daq_run_verify(path, report, sizeof report, &err), 0);
}

/* ------------------------------------------------------------ resume */

static void side_path(char *buf, size_t cap, const char *path, const char *suffix)
{
    snprintf(buf, cap, "%s%s", path, suffix);
}

/* A child writes `points` checkpointed points and `extra` readings of the
 * next one with its trace, then dies without closing: a crashed session. */
static void crashed_run(const char *path, int points, int extra, char run_id[37])
{
    char side[600];
    unlink(path);
    side_path(side, sizeof side, path, ".journal");
    unlink(side);
    side_path(side, sizeof side, path, ".trace");
    unlink(side);
    int pfd[2];
    assert_int_equal(pipe(pfd), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(pfd[0]);
        struct cd_err err = {0};
        char id[37] = "";
        int rc = write_sample(path, points, false, extra, id, &err);
        if (write(pfd[1], id, sizeof id) != (ssize_t)sizeof id)
            _exit(2);
        _exit(rc == 0 ? 0 : 1); /* the handle is never closed */
    }
    close(pfd[1]);
    char id[37] = "";
    ssize_t got = read(pfd[0], id, sizeof id);
    close(pfd[0]);
    int status;
    status = wait_child(pid, 30000, "the child process");
    assert_int_equal(got, (ssize_t)sizeof id);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    if (run_id != NULL)
        memcpy(run_id, id, sizeof id);
}

/* Reading `got` is sample reading i, field for field. */
static void same_reading(const struct daq_reading *got, int i)
{
    struct daq_reading want;
    sample_reading(i, &want);
    assert_true(got->t == want.t);
    assert_int_equal(got->point, want.point);
    assert_int_equal(got->repetition, want.repetition);
    assert_true(got->nominal == want.nominal);
    assert_string_equal(got->role, want.role);
    same_double(got->r.value, want.r.value);
    assert_string_equal(got->r.unit, want.r.unit);
    assert_int_equal(got->r.status, want.r.status);
    assert_string_equal(got->r.display, want.r.display);
    assert_true(got->r.resolution == want.r.resolution);
    assert_string_equal(got->r.error, want.r.error);
}

/* The rest of the sample after reading `from`: each new point's trace,
 * a checkpoint per finished point, then close "complete". */
static void finish_sample(daq_run *run, int from)
{
    struct cd_err err = {0};
    struct drv_trace_writer *w = daq_run_trace_writer(run);
    assert_non_null(w);
    for (int i = from; i < N_READINGS; i++) {
        if (i % REPS == 0)
            sample_trace(w, i / REPS);
        struct daq_reading r;
        sample_reading(i, &r);
        must(daq_run_add_reading(run, &r, &err), &err);
        if (i % REPS == REPS - 1)
            must(daq_run_checkpoint(run, &err), &err);
    }
    must(daq_run_close(run, "complete", &err), &err);
}

/* A closed run: intact, complete, every sample reading, the journals gone,
 * its trace in non-decreasing time (so `caldaq trace` output parses). */
static struct daq_run_view *check_finished(const char *path)
{
    struct cd_err err = {0};
    char report[1024], side[600];
    assert_int_equal(daq_run_verify(path, report, sizeof report, &err), 0);
    assert_string_equal(report, "intact");
    side_path(side, sizeof side, path, ".journal");
    assert_false(exists(side));
    side_path(side, sizeof side, path, ".trace");
    assert_false(exists(side));
    side_path(side, sizeof side, path, ".trace.tmp");
    assert_false(exists(side));
    struct daq_run_view *v = NULL;
    must(daq_run_open(path, &v, &err), &err);
    assert_string_equal(v->info.status, "complete");
    assert_true(strlen(v->info.ended) >= 25);
    assert_int_equal(v->n_readings, N_READINGS);
    for (int i = 0; i < N_READINGS; i++)
        same_reading(&v->readings[i], i);
    for (size_t i = 1; i < v->trace->n; i++)
        if (v->trace->records[i].t < v->trace->records[i - 1].t)
            fail_msg("trace record %zu at %.6f s goes back before %.6f s", i,
                     v->trace->records[i].t, v->trace->records[i - 1].t);
    return v;
}

/* The last audit entry's what (and who). */
static void last_audit(const char *path, const char *who, const char *what)
{
    struct daq_run_view *v = NULL;
    struct cd_err err = {0};
    must(daq_run_open(path, &v, &err), &err);
    assert_true(v->n_audit > 0);
    assert_string_equal(v->audit[v->n_audit - 1].who, who);
    assert_string_equal(v->audit[v->n_audit - 1].what, what);
    daq_run_view_free(v);
}

static bool is_record(const struct drv_trace_record *r, enum drv_dir dir, const char *bytes)
{
    return r->dir == dir && r->len == strlen(bytes) && memcmp(r->data, bytes, r->len) == 0;
}

/* Killed after 2 points and 2 readings of the third: resumed, the 2
 * journalled readings and the unfinished point's trace are recovered, the
 * rest is measured, the run closes complete and intact. */
static void test_resume_crashed(void **state)
{
    (void)state;
    char path[512], side[600];
    path_in(path, sizeof path, "resume.h5");
    /* Created an hour ago: the resumed session's trace continues at about
     * 3600 s (the pause shows). */
    rs_iso8601(rs_now() - 3600, sample_started, sizeof sample_started);
    char run_id[37];
    crashed_run(path, 2, 2, run_id);
    sample_started[0] = '\0';

    struct cd_err err = {0};
    struct daq_run_view *v = NULL;
    must(daq_run_open(path, &v, &err), &err);
    assert_string_equal(v->info.status, "in-progress");
    assert_int_equal(v->n_readings, 2 * REPS);
    assert_int_equal(v->trace->n, 1 + 2 * 2);
    size_t n = 0;
    const char *note = NULL;
    daq_run_view_pending(v, &n, &note);
    assert_int_equal(n, 2);
    size_t n_audit0 = v->n_audit;
    daq_run_view_free(v);

    daq_run *run = NULL;
    must(daq_run_resume(path, &run, &err), &err);
    assert_non_null(run);
    const struct daq_run_info *info = daq_run_get_info(run);
    assert_string_equal(info->run_id, run_id);
    assert_string_equal(info->status, "in-progress");
    assert_string_equal(info->ended, "");
    assert_string_equal(info->operator_name, "Nguyễn Văn An");
    assert_string_equal(daq_run_profile_text(run), profile_text);
    size_t ns = 0;
    const struct daq_standard *st = daq_run_standards(run, &ns);
    assert_int_equal(ns, N_STANDARDS);
    for (size_t i = 0; i < ns; i++)
        same_standard(&st[i], &sample_standards[i]);
    const struct daq_reading *rd = daq_run_readings(run, &n);
    assert_int_equal(n, 2 * REPS + 2);
    for (size_t i = 0; i < n; i++)
        same_reading(&rd[i], (int)i);

    /* In the file at once: the recovered readings and trace, the status,
     * the audit entry; the journal starts again. */
    must(daq_run_open(path, &v, &err), &err);
    assert_string_equal(v->info.status, "in-progress");
    assert_string_equal(v->info.ended, "");
    assert_int_equal(v->n_readings, 2 * REPS + 2);
    same_reading(&v->readings[2 * REPS + 1], 2 * REPS + 1);
    daq_run_view_pending(v, &n, &note);
    assert_int_equal(n, 0);
    assert_int_equal(v->n_audit, n_audit0 + 1);
    assert_string_equal(v->audit[n_audit0].who, "caldaq");
    assert_string_equal(v->audit[n_audit0].what,
                        "run resumed by caldaq (2 readings recovered from the journal; 2 trace "
                        "records recovered)");
    assert_int_equal(v->trace->n, 1 + 2 * 3);
    assert_true(is_record(&v->trace->records[5], DRV_DIR_HOST, "SI\r\n"));
    assert_true(v->trace->records[5].t == 2.5);
    assert_true(is_record(&v->trace->records[6], DRV_DIR_INSTR, "S S     100.00 g\r\n"));
    assert_true(v->trace->records[6].t == 2.58);
    daq_run_view_free(v);
    char report[512];
    assert_int_equal(daq_run_verify(path, report, sizeof report, &err), 0);
    side_path(side, sizeof side, path, ".trace");
    size_t len;
    char *tj = slurp(side, &len);
    assert_non_null(strstr(tj, "\n# run-records-before: 7\n# run-time-offset: "));
    free(tj);

    /* A reading the session had not yet put in the file when it read them
     * is there the next time. */
    struct daq_reading r;
    sample_reading(2 * REPS + 2, &r);
    must(daq_run_add_reading(run, &r, &err), &err);
    rd = daq_run_readings(run, &n);
    assert_int_equal(n, 2 * REPS + 3);
    same_reading(&rd[n - 1], 2 * REPS + 2);
    finish_sample(run, 2 * REPS + 3);

    v = check_finished(path);
    assert_string_equal(v->info.run_id, run_id);
    /* created, resumed, closed */
    assert_int_equal(v->n_audit, n_audit0 + 2);
    assert_string_equal(v->audit[v->n_audit - 1].what, "run closed: complete");
    /* The old records as they were, then the resumed session's, moved to
     * the run's time base: recorded at 3.5 s after the resume, stored at
     * about 3600 s + 3.5 s after the run started. */
    assert_int_equal(v->trace->n, 1 + 2 * 3 + 2 * 2 + 1);
    assert_true(v->trace->records[0].t == 0.001);
    assert_true(v->trace->records[6].t == 2.58);
    assert_true(is_record(&v->trace->records[7], DRV_DIR_HOST, "SI\r\n"));
    double t7 = v->trace->records[7].t;
    if (!(t7 > 3600 + 3.5 - 1 && t7 < 3600 + 3.5 + 120))
        fail_msg("first resumed record at %.6f s", t7);
    assert_true(fabs(v->trace->records[8].t - t7 - 0.08) < 1e-6);
    assert_int_equal(v->trace->records[v->trace->n - 1].dir, DRV_DIR_EVENT);
    /* The trace header is the run's, not the resumed journal's. */
    assert_string_equal(v->trace->header.started, v->info.started);
    assert_string_equal(v->trace->header.driver, "mtsics");
    daq_run_view_free(v);
}

/* A resumed session that crashes too: the second resume recovers what
 * the first one's journals hold beyond its last checkpoint. */
static void test_resume_crash_again(void **state)
{
    (void)state;
    char path[512];
    path_in(path, sizeof path, "resume-again.h5");
    crashed_run(path, 1, 3, NULL); /* trace: 3 records of point 0, 2 of point 1 */
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        daq_run *run = NULL;
        if (daq_run_resume(path, &run, NULL) != 0)
            _exit(1);
        struct drv_trace_writer *w = daq_run_trace_writer(run);
        if (w == NULL || drv_trace_writer_bytes(w, DRV_DIR_HOST, 0.1, (const uint8_t *)"A\r\n",
                                                3, NULL) != 0)
            _exit(2);
        for (int i = REPS + 3; i < 2 * REPS; i++) {
            struct daq_reading r;
            sample_reading(i, &r);
            if (daq_run_add_reading(run, &r, NULL) != 0)
                _exit(3);
        }
        if (daq_run_checkpoint(run, NULL) != 0 ||
            drv_trace_writer_bytes(w, DRV_DIR_INSTR, 0.2, (const uint8_t *)"B\r\n", 3, NULL) != 0)
            _exit(4);
        for (int i = 2 * REPS; i < 2 * REPS + 2; i++) {
            struct daq_reading r;
            sample_reading(i, &r);
            if (daq_run_add_reading(run, &r, NULL) != 0)
                _exit(5);
        }
        _exit(0); /* crashed again */
    }
    int status;
    status = wait_child(pid, 30000, "the child process");
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);

    struct cd_err err = {0};
    struct daq_run_view *v = NULL;
    must(daq_run_open(path, &v, &err), &err);
    assert_string_equal(v->info.status, "in-progress");
    assert_int_equal(v->n_readings, 2 * REPS);
    assert_int_equal(v->trace->n, 3 + 2 + 1);
    daq_run_view_free(v);

    daq_run *run = NULL;
    must(daq_run_resume(path, &run, &err), &err);
    size_t n = 0;
    const struct daq_reading *rd = daq_run_readings(run, &n);
    assert_int_equal(n, 2 * REPS + 2);
    for (size_t i = 0; i < n; i++)
        same_reading(&rd[i], (int)i);
    last_audit(path, "caldaq",
               "run resumed by caldaq (2 readings recovered from the journal; 1 trace record "
               "recovered)");
    finish_sample(run, 2 * REPS + 2);

    v = check_finished(path);
    const struct drv_trace *t = v->trace;
    assert_int_equal(t->n, 3 + 2 + 2 + 2 * 2 + 1); /* points 0, 1; A, B; 3, 4 */
    assert_true(is_record(&t->records[4], DRV_DIR_INSTR, "S S      50.00 g\r\n"));
    assert_true(is_record(&t->records[5], DRV_DIR_HOST, "A\r\n"));
    assert_true(is_record(&t->records[6], DRV_DIR_INSTR, "B\r\n"));
    /* Both records of the first resumed session have its offset. */
    assert_true(t->records[5].t >= t->records[4].t);
    assert_true(fabs(t->records[6].t - t->records[5].t - 0.1) < 1e-6);
    assert_true(t->records[7].t >= t->records[6].t);
    int resumed = 0;
    for (size_t i = 0; i < v->n_audit; i++)
        resumed += strncmp(v->audit[i].what, "run resumed by caldaq (", 23) == 0;
    assert_int_equal(resumed, 2);
    daq_run_view_free(v);
}

/* The last journal line cut by the crash: ignored, and said. */
static void test_resume_torn(void **state)
{
    (void)state;
    char path[512], jpath[600];
    path_in(path, sizeof path, "resume-torn.h5");
    crashed_run(path, 2, 2, NULL);
    side_path(jpath, sizeof jpath, path, ".journal");
    struct stat st;
    assert_int_equal(stat(jpath, &st), 0);
    assert_int_equal(truncate(jpath, st.st_size - 5), 0);

    struct cd_err err = {0};
    daq_run *run = NULL;
    must(daq_run_resume(path, &run, &err), &err);
    size_t n = 0;
    const struct daq_reading *rd = daq_run_readings(run, &n);
    assert_int_equal(n, 2 * REPS + 1);
    same_reading(&rd[n - 1], 2 * REPS);
    last_audit(path, "caldaq",
               "run resumed by caldaq (1 reading recovered from the journal, 1 torn line "
               "ignored; 2 trace records recovered)");
    finish_sample(run, 2 * REPS + 1); /* the torn one measured again */
    daq_run_view_free(check_finished(path));
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
}

/* A journal that is damaged other than at its end is refused, the line
 * named, and nothing is changed. */
static void test_resume_bad_journal(void **state)
{
    (void)state;
    char path[512], jpath[600];
    path_in(path, sizeof path, "resume-garbage.h5");
    char run_id[37];
    crashed_run(path, 2, 2, run_id);
    side_path(jpath, sizeof jpath, path, ".journal");
    size_t len;
    char *good = slurp(jpath, &len);
    /* header, reading 40, reading 41 */
    char *line2 = strchr(good, '\n') + 1;
    char *line3 = strchr(line2, '\n') + 1;
    assert_true(strncmp(line2, "40 ", 3) == 0 && strncmp(line3, "41 ", 3) == 0);
    char *m0 = manifest_of(path);

    struct {
        const char *what;
        int code;
        const char *says;
    } cases[] = {
        {"garbage", CD_ERR_PARSE, ".journal:3: malformed line"},
        {"status", CD_ERR_PARSE, ".journal:3: malformed line"},
        {"gap", CD_ERR_PARSE, ".journal:2: reading 41 where reading 40 comes next"},
        {"other run", CD_ERR_INVALID, ".journal:1: belongs to another run"},
        {"no magic", CD_ERR_PARSE, ".journal:1: not a caldaq journal"},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        char bad[4096];
        size_t l1 = (size_t)(line2 - good), l2 = (size_t)(line3 - line2);
        if (strcmp(cases[c].what, "garbage") == 0)
            snprintf(bad, sizeof bad, "%.*sthis is not a reading\n%s", (int)(l1 + l2), good,
                     line3);
        else if (strcmp(cases[c].what, "status") == 0)
            snprintf(bad, sizeof bad, "%.*s%.*s", (int)(l1 + l2), good,
                     (int)strlen(line3), line3);
        else if (strcmp(cases[c].what, "gap") == 0)
            snprintf(bad, sizeof bad, "%.*s%s", (int)l1, good, line3);
        else if (strcmp(cases[c].what, "other run") == 0)
            snprintf(bad, sizeof bad,
                     "# caldaq-journal 1 00000000-0000-4000-8000-000000000000\n%s", line2);
        else
            snprintf(bad, sizeof bad, "# caldaq-journal 9 %s\n%s", run_id, line2);
        if (strcmp(cases[c].what, "status") == 0) {
            char *s = strstr(bad + l1 + l2, " stable ");
            assert_non_null(s);
            memcpy(s, " steady ", 8);
        }
        write_text(jpath, bad);
        struct cd_err err = {0};
        daq_run *run = (daq_run *)&err;
        assert_int_equal(daq_run_resume(path, &run, &err), cases[c].code);
        assert_null(run);
        if (strstr(err.msg, cases[c].says) == NULL)
            fail_msg("%s: \"%s\" does not say \"%s\"", cases[c].what, err.msg, cases[c].says);
        char *m1 = manifest_of(path);
        assert_string_equal(m1, m0);
        free(m1);
        char *after = slurp(jpath, &len);
        assert_string_equal(after, bad);
        free(after);
    }

    /* Repaired, it resumes. */
    write_text(jpath, good);
    struct cd_err err = {0};
    daq_run *run = NULL;
    must(daq_run_resume(path, &run, &err), &err);
    size_t n = 0;
    daq_run_readings(run, &n);
    assert_int_equal(n, 2 * REPS + 2);
    finish_sample(run, 2 * REPS + 2);
    daq_run_view_free(check_finished(path));
    free(m0);
    free(good);
}

/* Closed "aborted" (the technician stopped): resumed and finished. */
static void test_resume_aborted(void **state)
{
    (void)state;
    char path[512];
    path_in(path, sizeof path, "resume-aborted.h5");
    unlink(path);
    struct cd_err err = {0};
    struct daq_run_info info;
    sample_info(&info);
    daq_run *run = NULL;
    must(daq_run_create(path, &info, profile_text, &run, &err), &err);
    struct daq_device dev;
    sample_device(&dev);
    must(daq_run_set_device(run, &dev, &err), &err);
    sample_trace(daq_run_trace_writer(run), 0);
    for (int i = 0; i < REPS + 5; i++) {
        struct daq_reading r;
        sample_reading(i, &r);
        must(daq_run_add_reading(run, &r, &err), &err);
        if (i == REPS - 1)
            must(daq_run_checkpoint(run, &err), &err);
    }
    must(daq_run_close(run, "aborted", &err), &err);

    must(daq_run_resume(path, &run, &err), &err);
    assert_string_equal(daq_run_get_info(run)->status, "in-progress");
    assert_string_equal(daq_run_get_info(run)->ended, "");
    size_t n = 0;
    const struct daq_reading *rd = daq_run_readings(run, &n);
    assert_int_equal(n, REPS + 5); /* the close put them in the file */
    same_reading(&rd[n - 1], REPS + 4);
    struct daq_run_view *v = NULL;
    must(daq_run_open(path, &v, &err), &err);
    assert_string_equal(v->info.status, "in-progress");
    assert_string_equal(v->info.ended, "");
    daq_run_view_free(v);
    last_audit(path, "caldaq", "run resumed by caldaq (0 readings recovered from the journal)");
    finish_sample(run, REPS + 5);

    v = check_finished(path);
    const char *want[] = {"run closed: aborted", "run resumed by caldaq (0 readings recovered "
                                                 "from the journal)",
                          "run closed: complete"};
    assert_int_equal(v->n_audit, 4);
    assert_true(strncmp(v->audit[0].what, "run created", 11) == 0);
    for (size_t i = 0; i < 3; i++)
        assert_string_equal(v->audit[i + 1].what, want[i]);
    assert_int_equal(v->trace->n, 3 + 2 * 3 + 1); /* point 0, then 2, 3, 4 */
    daq_run_view_free(v);
}

static void test_resume_refused(void **state)
{
    (void)state;
    char path[512], jpath[600];
    struct cd_err err = {0};
    daq_run *run = (daq_run *)&err; /* must come back NULL */

    /* Missing: nothing made beside it. */
    path_in(path, sizeof path, "resume-missing.h5");
    side_path(jpath, sizeof jpath, path, ".journal");
    assert_int_equal(daq_run_resume(path, &run, &err), CD_ERR_NOT_FOUND);
    assert_null(run);
    assert_false(exists(path));
    assert_false(exists(jpath));
    cd_err_clear(&err);

    /* Complete: left as it was. */
    fresh_sample(path, sizeof path, "resume-complete.h5");
    side_path(jpath, sizeof jpath, path, ".journal");
    char *m0 = manifest_of(path);
    run = (daq_run *)&err;
    assert_int_equal(daq_run_resume(path, &run, &err), CD_ERR_INVALID);
    assert_null(run);
    assert_non_null(strstr(err.msg, "the run is complete; nothing to resume"));
    cd_err_clear(&err);
    assert_false(exists(jpath));
    char *m1 = manifest_of(path);
    assert_string_equal(m0, m1);
    free(m0);
    free(m1);

    /* Tampered: a reading changed in the snapshot of a crashed run. */
    path_in(path, sizeof path, "resume-tampered.h5");
    side_path(jpath, sizeof jpath, path, ".journal");
    crashed_run(path, 2, 2, NULL);
    size_t len;
    char *j0 = slurp(jpath, &len);
    flip_double_field(path, "/readings", "value", 7);
    run = (daq_run *)&err;
    assert_int_equal(daq_run_resume(path, &run, &err), CD_ERR_INVALID);
    assert_null(run);
    assert_non_null(strstr(err.msg, "fails verification"));
    assert_non_null(strstr(err.msg, "content hash mismatch: /readings changed"));
    cd_err_clear(&err);
    char *j1 = slurp(jpath, &len);
    assert_string_equal(j0, j1); /* the journal keeps its readings */
    free(j0);
    free(j1);

    /* A session still writing it. */
    path_in(path, sizeof path, "resume-live.h5");
    unlink(path);
    struct daq_run_info info;
    sample_info(&info);
    daq_run *live = NULL;
    must(daq_run_create(path, &info, profile_text, &live, &err), &err);
    struct daq_reading r;
    sample_reading(0, &r);
    must(daq_run_add_reading(live, &r, &err), &err);
    must(daq_run_checkpoint(live, &err), &err);
    sample_reading(1, &r);
    must(daq_run_add_reading(live, &r, &err), &err);
    run = (daq_run *)&err;
    assert_int_equal(daq_run_resume(path, &run, &err), CD_ERR_INVALID);
    assert_null(run);
    assert_non_null(strstr(err.msg, "a session is still writing this run"));
    cd_err_clear(&err);
    /* The live session goes on undisturbed. */
    sample_reading(2, &r);
    must(daq_run_add_reading(live, &r, &err), &err);
    must(daq_run_close(live, "complete", &err), &err);
    struct daq_run_view *v = NULL;
    must(daq_run_open(path, &v, &err), &err);
    assert_int_equal(v->n_readings, 3);
    assert_int_equal(v->n_audit, 2);
    daq_run_view_free(v);
    char report[256];
    assert_int_equal(daq_run_verify(path, report, sizeof report, &err), 0);
}

/* daq_run_create_begin: no RUN.h5 until the first checkpoint, which then
 * holds what was added before it (standards, device); abandoned before it,
 * nothing is left; a reading first puts the file in place. */
static void test_create_begin(void **state)
{
    (void)state;
    char path[512], jpath[600], tpath[600];
    struct cd_err err = {0};
    struct daq_run_info info;
    sample_info(&info);

    path_in(path, sizeof path, "begin-abandoned.h5");
    side_path(jpath, sizeof jpath, path, ".journal");
    side_path(tpath, sizeof tpath, path, ".trace");
    daq_run *run = NULL;
    must(daq_run_create_begin(path, &info, profile_text, &run, &err), &err);
    assert_false(exists(path));
    assert_true(exists(jpath) && exists(tpath));
    must(daq_run_add_standard(run, &sample_standards[0], &err), &err);
    daq_run_abandon(run);
    assert_false(exists(path) || exists(jpath) || exists(tpath));

    path_in(path, sizeof path, "begin.h5");
    must(daq_run_create_begin(path, &info, profile_text, &run, &err), &err);
    for (size_t i = 0; i < N_STANDARDS; i++)
        must(daq_run_add_standard(run, &sample_standards[i], &err), &err);
    struct daq_device dev;
    sample_device(&dev);
    must(daq_run_set_device(run, &dev, &err), &err);
    assert_string_equal(daq_run_get_device(run)->id.serial, dev.id.serial);
    sample_trace(daq_run_trace_writer(run), 0);
    assert_false(exists(path));
    must(daq_run_checkpoint(run, &err), &err);
    struct daq_run_view *v = NULL;
    must(daq_run_open(path, &v, &err), &err);
    assert_string_equal(v->info.status, "in-progress");
    assert_int_equal(v->n_standards, N_STANDARDS);
    assert_string_equal(v->device.id.manufacturer, dev.id.manufacturer);
    assert_int_equal(v->trace->n, 3);
    assert_int_equal(v->n_readings, 0);
    daq_run_view_free(v);
    /* Taken once: a second begin on the same path is refused. */
    daq_run *again = (daq_run *)&err;
    assert_int_equal(daq_run_create_begin(path, &info, profile_text, &again, &err),
                     CD_ERR_INVALID);
    assert_null(again);
    cd_err_clear(&err);
    must(daq_run_close(run, "aborted", &err), &err);

    /* A reading before any checkpoint: the first snapshot is written for
     * it, so that the journalled reading has a run to be recovered into. */
    path_in(path, sizeof path, "begin-reading.h5");
    side_path(jpath, sizeof jpath, path, ".journal");
    must(daq_run_create_begin(path, &info, profile_text, &run, &err), &err);
    struct daq_reading r;
    sample_reading(0, &r);
    must(daq_run_add_reading(run, &r, &err), &err);
    assert_true(exists(path));
    must(daq_run_open(path, &v, &err), &err);
    size_t n = 0;
    daq_run_view_pending(v, &n, NULL);
    assert_int_equal(n, 1);
    daq_run_view_free(v);
    daq_run_abandon(run); /* as if killed: the run and its journal stay */
    assert_true(exists(path) && exists(jpath));
}

/* daq_run_resume_begin: nothing written; abandoned, the files are as they
 * were; checkpointed, it is daq_run_resume. */
static void test_resume_begin(void **state)
{
    (void)state;
    char path[512], jpath[600], tpath[600], ttmp[600];
    path_in(path, sizeof path, "resume-begin.h5");
    crashed_run(path, 2, 2, NULL);
    side_path(jpath, sizeof jpath, path, ".journal");
    side_path(tpath, sizeof tpath, path, ".trace");
    side_path(ttmp, sizeof ttmp, path, ".trace.tmp");
    size_t l0, lj, lt;
    char *f0 = slurp(path, &l0), *j0 = slurp(jpath, &lj), *t0 = slurp(tpath, &lt);

    struct cd_err err = {0};
    daq_run *run = NULL;
    must(daq_run_resume_begin(path, &run, &err), &err);
    size_t n = 0;
    daq_run_readings(run, &n);
    assert_int_equal(n, 2 * REPS + 2);
    assert_true(exists(ttmp));
    /* locked meanwhile */
    daq_run *other = (daq_run *)&err;
    assert_int_equal(daq_run_resume_begin(path, &other, &err), CD_ERR_INVALID);
    assert_null(other);
    cd_err_clear(&err);
    daq_run_abandon(run);
    size_t l1;
    char *f1 = slurp(path, &l1), *j1 = slurp(jpath, &l1), *t1 = slurp(tpath, &l1);
    assert_true(l0 > 0);
    assert_memory_equal(f0, f1, l0);
    assert_string_equal(j0, j1);
    assert_string_equal(t0, t1);
    assert_false(exists(ttmp));
    free(f1);
    free(j1);
    free(t1);

    must(daq_run_resume_begin(path, &run, &err), &err);
    must(daq_run_checkpoint(run, &err), &err);
    assert_false(exists(ttmp));
    last_audit(path, "caldaq",
               "run resumed by caldaq (2 readings recovered from the journal; 2 trace records "
               "recovered)");
    finish_sample(run, 2 * REPS + 2);
    daq_run_view_free(check_finished(path));
    free(f0);
    free(j0);
    free(t0);
}

/* Audit entries (an operator's note, a skipped point) are journalled when
 * they are made: a run killed before the next checkpoint gets them back on
 * resume, in order, the chain intact; a gap in them is refused. */
static void test_resume_audit(void **state)
{
    (void)state;
    char path[512], jpath[600];
    path_in(path, sizeof path, "resume-audit.h5");
    side_path(jpath, sizeof jpath, path, ".journal");
    unlink(path);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct daq_run_info info;
        sample_info(&info);
        daq_run *run = NULL;
        if (daq_run_create(path, &info, profile_text, &run, NULL) != 0)
            _exit(1);
        struct daq_reading r;
        sample_reading(0, &r);
        if (daq_run_add_reading(run, &r, NULL) != 0 || daq_run_checkpoint(run, NULL) != 0 ||
            daq_run_audit(run, "Nguyễn Văn An", "note at point 1: \"kẹp\", 21,3 °C", NULL) != 0)
            _exit(2);
        sample_reading(1, &r);
        if (daq_run_add_reading(run, &r, NULL) != 0 ||
            daq_run_audit(run, "Nguyễn Văn An", "point 2 (load 50 g) skipped by the operator",
                          NULL) != 0)
            _exit(3);
        _exit(0); /* killed: never closed */
    }
    int status;
    status = wait_child(pid, 30000, "the child process");
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);

    struct cd_err err = {0};
    struct daq_run_view *v = NULL;
    must(daq_run_open(path, &v, &err), &err);
    assert_int_equal(v->n_audit, 1); /* the snapshot has only "run created" */
    const char *note = NULL;
    size_t n = 0;
    daq_run_view_pending(v, &n, &note);
    assert_int_equal(n, 1);
    assert_non_null(strstr(note, "2 audit entries not in the file"));
    daq_run_view_free(v);

    /* A gap in the journalled entries is a lost line: refused. */
    size_t len;
    char *good = slurp(jpath, &len);
    char *bad = strdup(good);
    char *seq2 = strstr(bad, "\naudit 2 ");
    assert_non_null(seq2);
    seq2[7] = '7';
    write_text(jpath, bad);
    daq_run *run = (daq_run *)&err;
    assert_int_equal(daq_run_resume(path, &run, &err), CD_ERR_PARSE);
    assert_null(run);
    assert_non_null(strstr(err.msg, "log entry 7 where log entry 2 comes next"));
    cd_err_clear(&err);
    write_text(jpath, good);

    must(daq_run_resume(path, &run, &err), &err);
    const struct daq_audit_entry *log = daq_run_audit_log(run, &n);
    assert_int_equal(n, 4);
    assert_string_equal(log[1].what, "note at point 1: \"kẹp\", 21,3 °C");
    assert_string_equal(log[1].who, "Nguyễn Văn An");
    assert_string_equal(log[2].what, "point 2 (load 50 g) skipped by the operator");
    assert_true(log[1].t <= log[2].t);
    assert_string_equal(log[3].what, "run resumed by caldaq (1 reading recovered from the "
                                     "journal; 2 audit entries recovered)");
    must(daq_run_close(run, "aborted", &err), &err);
    char report[512];
    assert_int_equal(daq_run_verify(path, report, sizeof report, &err), 0);
    free(good);
    free(bad);
}

/* Two writers of one finished run: the second waits for the first (the
 * run's lock), and gives up after its wait naming the holder; once the
 * first has closed, the second adds the next version, not the same one. */
static void test_reopen_lock(void **state)
{
    (void)state;
    char path[512], lock[600];
    fresh_sample(path, sizeof path, "reopen-lock.h5");
    side_path(lock, sizeof lock, path, ".lock");
    int pfd[2];
    assert_int_equal(pipe(pfd), 0);
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        /* The first writer: holds the run for 1.5 s, adds a version. */
        close(pfd[0]);
        daq_run *a = NULL;
        int v = 0;
        if (daq_run_reopen(path, &a, NULL) != 0)
            _exit(1);
        if (write(pfd[1], "x", 1) != 1)
            _exit(2);
        struct timespec nap = {1, 500 * 1000 * 1000};
        nanosleep(&nap, NULL);
        if (daq_run_add_results(a, "{\"by\": \"a\"}", "test", &v, NULL) != 0)
            _exit(3);
        _exit(daq_run_close(a, NULL, NULL) == 0 ? 0 : 4);
    }
    close(pfd[1]);
    char c;
    ssize_t got = read(pfd[0], &c, 1);
    close(pfd[0]);
    if (got != 1) {
        kill(child, SIGKILL);
        wait_child(child, 30000, "the child process");
        fail_msg("the first writer did not take the run");
    }
    assert_true(exists(lock));

    struct cd_err err = {0};
    daq_run *b = (daq_run *)&err;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(daq_run_reopen_wait(path, 300, &b, &err), CD_ERR_TIMEOUT);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double waited = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    assert_true(waited >= 0.29 && waited < 5);
    assert_null(b);
    char pid[32];
    snprintf(pid, sizeof pid, "pid %ld, ", (long)child);
    if (strstr(err.msg, "another caldaq is writing to this run") == NULL ||
        strstr(err.msg, pid) == NULL || strstr(err.msg, "test_run") == NULL)
        fail_msg("the message does not name the holder: %s", err.msg);
    cd_err_clear(&err);

    /* Waiting long enough: the first finishes, the second adds after it. */
    must(daq_run_reopen_wait(path, 20000, &b, &err), &err);
    int status;
    status = wait_child(child, 30000, "the child process");
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    int v2 = 0;
    must(daq_run_add_results(b, "{\"by\": \"b\"}", "test", &v2, &err), &err);
    must(daq_run_close(b, NULL, &err), &err);
    assert_false(exists(lock));
    struct daq_run_view *view = NULL;
    must(daq_run_open(path, &view, &err), &err);
    assert_int_equal((int)view->n_results, v2);
    assert_true(v2 >= 2);
    assert_non_null(strstr(view->results[v2 - 2], "\"a\""));
    assert_non_null(strstr(view->results[v2 - 1], "\"b\""));
    daq_run_view_free(view);
    char report[256];
    assert_int_equal(daq_run_verify(path, report, sizeof report, &err), 0);
}

/* ------------------------------------------------------------ main */

static int setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "%s/caldaq-run.XXXXXX",
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

int main(int argc, char **argv)
{
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    if (argc == 3 && strcmp(argv[1], "--write-sample") == 0) {
        struct cd_err err = {0};
        char copy[600];
        snprintf(copy, sizeof copy, "%s.recorded.trace", argv[2]);
        keep_trace_copy = copy;
        if (write_sample(argv[2], POINTS, true, 0, NULL, &err) != 0) {
            fprintf(stderr, "test_run: %s\n", cd_err_text(&err));
            return 1;
        }
        return 0;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_profile_hash),
        cmocka_unit_test(test_trace_identical),
        cmocka_unit_test(test_tamper_reading),
        cmocka_unit_test(test_tamper_standards),
        cmocka_unit_test(test_tamper_trace),
        cmocka_unit_test(test_tamper_results),
        cmocka_unit_test(test_tamper_audit_edit),
        cmocka_unit_test(test_tamper_audit_remove),
        cmocka_unit_test(test_tamper_audit_rehashed),
        cmocka_unit_test(test_refuse_overwrite),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_abandoned_run),
        cmocka_unit_test(test_killed_anywhere),
        cmocka_unit_test(test_read_while_writing),
        cmocka_unit_test(test_reopen),
        cmocka_unit_test(test_reopen_refused),
        cmocka_unit_test(test_resume_crashed),
        cmocka_unit_test(test_resume_crash_again),
        cmocka_unit_test(test_resume_torn),
        cmocka_unit_test(test_resume_bad_journal),
        cmocka_unit_test(test_resume_aborted),
        cmocka_unit_test(test_resume_refused),
        cmocka_unit_test(test_create_begin),
        cmocka_unit_test(test_resume_begin),
        cmocka_unit_test(test_resume_audit),
        cmocka_unit_test(test_reopen_lock),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
