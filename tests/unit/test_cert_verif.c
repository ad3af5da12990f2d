/* The documents of a verification (daq/cert/cert_verif.c, issue 16): the
 * certificate of a passing verification (stamp, validity date from the
 * cycle), the notice of a failing one (no stamp, the points and checks
 * that failed), the record (every reading as typed), their JSON, and the
 * files issued, signed and checked like a calibration certificate's.
 *
 * The runs are real run files made with the store API as a typed session
 * makes them: the gauge's readings typed ("4,1", source operator, who), the
 * reference gauge's read from the instrument, the checklist's answers
 * (side check); then analysed by ana_file_run. The profile is a made-up
 * two-point dial gauge under ĐLVN 08:2011 (class 1.6, 0-16 bar: MPE
 * 0.256 bar); the reference's certificate (made up) corrects 4 bar by
 * +0.0008 bar and 8 bar by +0.0012 bar. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "test_support.h"

#include "cert.h"
#include "cert_priv.h"

static const char profile_text[] =
    "caldaq_profile: 1\n"
    "name: test-verification-gauge\n"
    "title:\n"
    "  en: \"Verification of a dial pressure gauge 0 – 16 bar\"\n"
    "  vi: \"Kiểm định áp kế kiểu lò xo 0 – 16 bar\"\n"
    "method: \"ĐLVN 08:2011, 6.3\"\n"
    "national_document: \"ĐLVN 08:2011 Áp kế kiểu lò xo – Quy trình kiểm định\"\n"
    "family: pressure\n"
    "kind: verification\n"
    "comparison: set-item\n"
    "instrument:\n"
    "  unit: bar\n"
    "  resolution: 0.1\n"
    "  tolerance: {form: en-837-1, class: 1.6, scale: [0, 16]}\n"
    "item:\n"
    "  read: typed\n"
    "  label: {en: \"pressure gauge\", vi: \"áp kế\"}\n"
    "  range: [0, 16]\n"
    "  resolution: 0.1\n"
    "reference:\n"
    "  read: instrument\n"
    "  driver: modbus\n"
    "  label: {en: \"reference pressure gauge\", vi: \"áp kế chuẩn\"}\n"
    "verification:\n"
    "  instrument_type: bourdon-pressure-gauge\n"
    "  checks:\n"
    "    - {stage: external, id: ext-working, clause: \"6.1\", vi: \"Áp kế hoạt động bình "
    "thường\", en: \"The gauge works normally\"}\n"
    "    - {stage: technical, id: tech-zero, clause: \"6.2\", vi: \"Kim chỉ thị trùng vạch 0\", "
    "en: \"The pointer rests at zero\"}\n"
    "standards:\n"
    "  - {role: reference, kind: pressure-reference, id: P-REF-DIG-01, reference_value: "
    "certificate}\n"
    "plan:\n"
    "  - test: error\n"
    "    points: [4, 8]\n"
    "    series: [up]\n"
    "    repeat: 1\n"
    "budget:\n"
    "  output: E\n"
    "  expression: \"p_ind + dp_read - p_ref\"\n"
    "  k: 2\n"
    "  inputs:\n"
    "    - {name: p_ind, label: \"indication\", value: mean, u: 0}\n"
    "    - {name: dp_read, label: \"reading by eye\", dist: rectangular, half_width: \"d / 2\"}\n"
    "    - {name: p_ref, label: \"reference\", value: ref, u: u_ref}\n"
    "decision_rule: simple\n";

static const char cycles_text[] =
    "caldaq_verification_cycles: 1\n"
    "source: \"made up for a test\"\n"
    "cycles:\n"
    "  - type: bourdon-pressure-gauge\n"
    "    en: \"Pressure gauge (Bourdon tube)\"\n"
    "    vi: \"Áp kế kiểu lò xo\"\n"
    "    months: 12\n"
    "    source: \"a test's table\"\n";

struct fx {
    char dir[256];
    char lab_path[320], key[320], pub[340], cycles[320];
    struct cert_lab lab;
};

static void path_in(const struct fx *f, const char *name, char *out, size_t cap)
{
    snprintf(out, cap, "%s/%s", f->dir, name);
}

static void write_text(const char *path, const char *text)
{
    FILE *o = fopen(path, "w");
    assert_non_null(o);
    fputs(text, o);
    assert_int_equal(fclose(o), 0);
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/caldaq-cert-verif-XXXXXX");
    if (f == NULL || mkdtemp(f->dir) == NULL)
        return -1;
    path_in(f, "lab.key", f->key, sizeof f->key);
    snprintf(f->pub, sizeof f->pub, "%s.pub", f->key);
    path_in(f, "cycles.yaml", f->cycles, sizeof f->cycles);
    path_in(f, "lab.yaml", f->lab_path, sizeof f->lab_path);
    struct cd_err err = {0};
    if (cert_keygen(f->key, &err) != 0)
        return -1;
    write_text(f->cycles, cycles_text);
    write_text(f->lab_path,
               "name: {en: \"Example verification body\", vi: \"Tổ chức kiểm định ví dụ\"}\n"
               "address: \"1 Đường Ví Dụ\"\ncity: \"Hà Nội\"\ncountry: VN\n"
               "email: lab@example.org\ncertificate_prefix: KD\n"
               "signing_key: lab.key\n"
               "traceability: {en: \"Traceable to national standards\", vi: \"Liên kết tới "
               "chuẩn quốc gia\"}\n"
               "signatories:\n  - {name: \"Trần Thị Bình\", title: {en: \"Head\", vi: "
               "\"Trưởng phòng\"}}\n");
    if (cert_lab_load(f->lab_path, &f->lab, &err) != 0) {
        fprintf(stderr, "%s\n", err.msg);
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    int rc = system(cmd);
    free(f);
    return rc == 0 ? 0 : -1;
}

static void must(int rc, const struct cd_err *err)
{
    if (rc != 0)
        fail_msg("%s", err->msg);
}

static void add(daq_run *run, int point, double nominal, const char *side, const char *source,
                const char *display, double value, const char *role)
{
    struct daq_reading r = {.t = 1795000100.0 + point, .point = point, .nominal = nominal};
    snprintf(r.role, sizeof r.role, "%s", role);
    snprintf(r.side, sizeof r.side, "%s", side);
    snprintf(r.source, sizeof r.source, "%s", source);
    if (strcmp(source, DAQ_SOURCE_OPERATOR) == 0)
        snprintf(r.who, sizeof r.who, "Nguyễn Văn An");
    r.r.value = value;
    r.r.status = DRV_STATUS_STABLE;
    snprintf(r.r.unit, sizeof r.r.unit, "%s", strcmp(side, DAQ_SIDE_CHECK) == 0 ? "" : "bar");
    snprintf(r.r.display, sizeof r.r.display, "%s", display);
    struct cd_err err = {0};
    must(daq_run_add_reading(run, &r, &err), &err);
}

/* A run of the test profile: the gauge typed as `at8` at 8 bar, the second
 * check answered `check2` (1 đạt, 0 không đạt). */
static void make_run(const char *path, const char *at8, double v8, int check2)
{
    struct cd_err err = {0};
    struct prof_profile *p = prof_profile_load_string(profile_text, "test", &err);
    if (p == NULL)
        fail_msg("profile: %s", err.msg);
    struct daq_run_info info = {0};
    snprintf(info.operator_name, sizeof info.operator_name, "Nguyễn Văn An");
    snprintf(info.lab, sizeof info.lab, "Tổ chức kiểm định ví dụ");
    snprintf(info.profile_name, sizeof info.profile_name, "%s", p->name);
    daq_run *run = NULL;
    must(daq_run_create(path, &info, profile_text, &run, &err), &err);
    struct daq_device dev = {0};
    snprintf(dev.driver, sizeof dev.driver, "modbus");
    snprintf(dev.port, sizeof dev.port, "tcp:127.0.0.1:1502");
    snprintf(dev.side, sizeof dev.side, DAQ_SIDE_REFERENCE);
    snprintf(dev.id.manufacturer, sizeof dev.id.manufacturer, "Keller");
    snprintf(dev.id.model, sizeof dev.id.model, "LEO5");
    snprintf(dev.id.serial, sizeof dev.id.serial, "K-77");
    must(daq_run_set_device(run, &dev, &err), &err);
    const double nominal[] = {4, 8}, value[] = {4.0008, 8.0012};
    for (int i = 0; i < 2; i++) {
        struct daq_standard s = {.value = value[i], .u = 0.005, .k = 2, .nominal = nominal[i]};
        snprintf(s.id, sizeof s.id, "P-REF-DIG-01");
        snprintf(s.certificate, sizeof s.certificate, "VD-AS-2026-0042");
        snprintf(s.unit, sizeof s.unit, "bar");
        snprintf(s.due_date, sizeof s.due_date, "2099-12-01");
        snprintf(s.role, sizeof s.role, "reference");
        must(daq_run_add_standard(run, &s, &err), &err);
    }
    struct daq_env e = {1795000000.0, 23.4, 55, 1008.2, "start"};
    must(daq_run_add_env(run, &e, &err), &err);
    /* the checklist first, as the procedure does */
    add(run, 0, 0, DAQ_SIDE_CHECK, DAQ_SOURCE_OPERATOR, "đạt", 1, p->verification.checks[0].id);
    add(run, 1, 0, DAQ_SIDE_CHECK, DAQ_SOURCE_OPERATOR, check2 ? "đạt" : "không đạt", check2,
        p->verification.checks[1].id);
    /* 4 bar: the gauge typed with a decimal comma, the reference read */
    add(run, 0, 4, DAQ_SIDE_ITEM, DAQ_SOURCE_OPERATOR, "4,1", 4.1, p->points[0].role);
    add(run, 0, 4, DAQ_SIDE_REFERENCE, DAQ_SOURCE_INSTRUMENT, "4.0005", 4.0005,
        p->points[0].role);
    must(daq_run_checkpoint(run, &err), &err);
    add(run, 1, 8, DAQ_SIDE_ITEM, DAQ_SOURCE_OPERATOR, at8, v8, p->points[1].role);
    add(run, 1, 8, DAQ_SIDE_REFERENCE, DAQ_SOURCE_INSTRUMENT, "8.0000", 8.0, p->points[1].role);
    must(daq_run_checkpoint(run, &err), &err);
    must(daq_run_close(run, "complete", &err), &err);
    prof_profile_free(p);
}

static void analyse(const char *path, struct ana_file *a)
{
    struct cd_err err = {0};
    struct ana_file_opts o = {0};
    if (ana_file_run(path, &o, a, &err) != 0)
        fail_msg("%s: %s", path, err.msg);
}

static struct cert_job job_with(const char *stamp, const char *cycles)
{
    return (struct cert_job){.customer = "Công ty Ví Dụ", .item_serial = "AK-2026-001",
                             .item_model = "Y-100", .item_manufacturer = "Wika",
                             .stamp = stamp, .cycles = cycles};
}

/* Make, analyse and build the documents of a run (make_run's arguments):
 * the analysis in *a (ana_file_free it). */
static struct cert_verif *build(struct fx *f, const char *name, const char *at8, double v8,
                                int check2, struct cert_job job, struct ana_file *a,
                                char warning[256])
{
    char run[400];
    path_in(f, name, run, sizeof run);
    make_run(run, at8, v8, check2);
    analyse(run, a);
    struct cert_verif *v = NULL;
    struct cd_err err = {0};
    must(cert_verif_build(a, &f->lab, &job, &v, warning, 256, &err), &err);
    return v;
}

static void test_pass(void **state)
{
    struct fx *f = *state;
    struct ana_file a;
    char warning[256];
    struct cd_err err = {0};
    struct cert_verif *v =
        build(f, "pass.h5", "8,0", 8.0, 1, job_with("T-123456", f->cycles), &a, warning);
    assert_true(v->passed);
    assert_string_equal(warning, "");
    assert_string_equal(v->stamp, "T-123456");
    /* the day of verification: the run ended today; valid for the 12
     * months of the cycle, less one day */
    struct cd_zone *z = NULL;
    char today[11], want[11];
    must(cd_zone_load(f->lab.time_zone, &z, &err), &err);
    must(cd_zone_today(z, today), &err);
    cd_zone_free(z);
    assert_string_equal(v->doc->calibrated, today);
    must(prof_validity_date(today, 12, want, &err), &err);
    assert_string_equal(v->valid_until, want);
    assert_int_equal(atoi(v->valid_until), atoi(today) + 1);
    assert_int_equal(v->cycle_months, 12);
    assert_string_equal(v->cycle_source, "a test's table");
    /* the points: as typed, error against the corrected reference */
    assert_int_equal(v->n_points, 2);
    assert_string_equal(v->points[0].item_text, "4,1");
    assert_string_equal(v->points[0].ref_text, "4.0005");
    assert_int_equal(v->points[0].dec, 4);
    assert_true(fabs(v->points[0].reference - 4.0013) < 1e-9);
    assert_true(fabs(v->points[0].error - 0.0987) < 1e-9);
    assert_true(fabs(v->points[0].mpe - 0.256) < 1e-9);
    assert_true(v->points[0].passed && v->points[1].passed);
    /* the checklist, the readings, the instrument */
    assert_int_equal(v->n_checks, 2);
    assert_string_equal(v->checks[1].id, "tech-zero");
    assert_string_equal(v->checks[1].stage, "technical");
    assert_string_equal(v->checks[1].answer, "đạt");
    assert_int_equal(v->n_readings, 6);
    assert_int_equal(v->n_typed, 2);
    assert_string_equal(v->range, "0 … 16 bar");
    assert_string_equal(v->accuracy, "1.6 (EN 837-1)");
    assert_string_equal(v->method, "set-item");
    assert_false(v->has_hysteresis); /* read up only */
    assert_string_equal(v->doc->item_model, "Y-100");          /* as stated */
    assert_string_equal(v->doc->item_manufacturer, "Wika");
    /* the run's instrument read the reference: not the item's identity */
    assert_string_equal(v->doc->item_serial, "");
    assert_string_equal(v->ref_instrument, "Keller LEO5 K-77 (modbus, tcp:127.0.0.1:1502)");

    struct cert_jb b = {.marks = false};
    json_t *j = cert_verif_json(v, false, &b);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "kind")), "verification");
    assert_string_equal(json_string_value(json_object_get(j, "document")), "certificate");
    assert_string_equal(json_string_value(json_object_get(j, "result")), "pass");
    assert_string_equal(json_string_value(json_object_get(j, "stamp")), "T-123456");
    assert_string_equal(json_string_value(json_object_get(j, "valid_until")), want);
    assert_string_equal(
        json_string_value(json_object_get(j, "national_document")),
        "ĐLVN 08:2011 Áp kế kiểu lò xo – Quy trình kiểm định");
    json_t *rds = json_object_get(j, "readings");
    assert_int_equal(json_array_size(rds), 4); /* the checklist is its own list */
    json_t *r0 = json_array_get(rds, 0);
    assert_string_equal(json_string_value(json_object_get(r0, "typed")), "4,1");
    assert_string_equal(json_string_value(json_object_get(r0, "source")), "operator");
    assert_string_equal(json_string_value(json_object_get(r0, "who")), "Nguyễn Văn An");
    json_t *r1 = json_array_get(rds, 1);
    assert_string_equal(json_string_value(json_object_get(r1, "source")), "instrument");
    assert_string_equal(json_string_value(json_object_get(r1, "displayed")), "4.0005");
    json_decref(j);
    cert_verif_free(v);
    ana_file_free(&a);
}

static void test_fail(void **state)
{
    struct fx *f = *state;
    struct ana_file a;
    char warning[256];
    /* 8.4 against 8.0012: E = 0.3988 bar > MPE 0.256 bar; no cycles table
     * needed: a failure has no validity date */
    struct cert_verif *v =
        build(f, "fail.h5", "8,4", 8.4, 1, job_with("T-999", NULL), &a, warning);
    assert_false(v->passed);
    assert_non_null(strstr(warning, "--stamp T-999 not used"));
    assert_string_equal(v->stamp, "");
    assert_string_equal(v->valid_until, "");
    assert_true(v->points[0].passed);
    assert_false(v->points[1].passed);
    assert_string_equal(v->points[1].item_text, "8,4");
    assert_true(fabs(v->points[1].error - 0.3988) < 1e-9);

    struct cert_jb b = {.marks = false};
    json_t *j = cert_verif_json(v, false, &b);
    assert_string_equal(json_string_value(json_object_get(j, "document")), "notice");
    assert_string_equal(json_string_value(json_object_get(j, "result")), "fail");
    assert_true(json_is_null(json_object_get(j, "stamp")));
    assert_true(json_is_null(json_object_get(j, "valid_until")));
    json_t *p1 = json_array_get(json_object_get(j, "points"), 1);
    assert_string_equal(json_string_value(json_object_get(p1, "result")), "fail");
    json_decref(j);
    cert_verif_free(v);
    ana_file_free(&a);
}

static void test_failed_check(void **state)
{
    struct fx *f = *state;
    struct ana_file a;
    char warning[256];
    struct cert_verif *v = build(f, "check.h5", "8,0", 8.0, 0, job_with(NULL, NULL), &a, warning);
    assert_false(v->passed);
    assert_true(v->points[0].passed && v->points[1].passed);
    assert_true(v->checks[0].passed);
    assert_false(v->checks[1].passed);
    assert_string_equal(v->checks[1].answer, "không đạt");
    cert_verif_free(v);
    ana_file_free(&a);
}

static void test_refusals(void **state)
{
    struct fx *f = *state;
    char run[400];
    path_in(f, "refuse.h5", run, sizeof run);
    make_run(run, "8,0", 8.0, 1);
    struct ana_file a;
    analyse(run, &a);
    struct cert_verif *v = NULL;
    char warning[256];
    struct cd_err err = {0};
    /* a passing verification without its stamp */
    struct cert_job job = job_with(NULL, f->cycles);
    assert_int_equal(cert_verif_build(&a, &f->lab, &job, &v, warning, sizeof warning, &err),
                     CD_ERR_INVALID);
    assert_null(v);
    assert_non_null(strstr(err.msg, "--stamp NUMBER"));
    /* nor its cycles: neither --cycles nor the lab's verification_cycles */
    cd_err_clear(&err);
    job = job_with("T-1", NULL);
    assert_int_equal(cert_verif_build(&a, &f->lab, &job, &v, warning, sizeof warning, &err),
                     CD_ERR_INVALID);
    assert_non_null(strstr(err.msg, "--cycles FILE"));
    assert_non_null(strstr(err.msg, "verification_cycles"));
    /* the lab's table, relative to the lab file */
    struct cert_lab lab = f->lab;
    snprintf(lab.verification_cycles, sizeof lab.verification_cycles, "%s", f->cycles);
    cd_err_clear(&err);
    must(cert_verif_build(&a, &lab, &job, &v, warning, sizeof warning, &err), &err);
    assert_int_equal(v->cycle_months, 12);
    cert_verif_free(v);
    v = NULL;
    /* an instrument type the table does not have */
    struct prof_profile *p = a.profile;
    const char *type = p->verification.instrument_type;
    p->verification.instrument_type = "sphygmomanometer";
    cd_err_clear(&err);
    assert_int_not_equal(cert_verif_build(&a, &f->lab, &(struct cert_job){.item_serial = "S",
                                                                           .stamp = "T-1",
                                                                           .cycles = f->cycles},
                                          &v, warning, sizeof warning, &err),
                         0);
    assert_non_null(strstr(err.msg, "sphygmomanometer"));
    p->verification.instrument_type = type;
    /* a stamp with a control character */
    cd_err_clear(&err);
    job = job_with("T\n1", f->cycles);
    assert_int_equal(cert_verif_build(&a, &f->lab, &job, &v, warning, sizeof warning, &err),
                     CD_ERR_INVALID);
    assert_non_null(strstr(err.msg, "control character"));
    /* dates: issued before the day of verification, in its words */
    cd_err_clear(&err);
    job = job_with("T-1", f->cycles);
    job.issued = "2000-01-01";
    assert_int_equal(cert_verif_build(&a, &f->lab, &job, &v, warning, sizeof warning, &err),
                     CD_ERR_INVALID);
    assert_non_null(strstr(err.msg, "is before the verification on"));
    ana_file_free(&a);
}

static bool exists(const char *dir, const char *number, const char *suffix)
{
    char path[700];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s%s", dir, number, suffix);
    return stat(path, &st) == 0 && st.st_size > 0;
}

static void test_issue(void **state)
{
    struct fx *f = *state;
    const char *names[] = {"issue-pass.h5", "issue-fail.h5"};
    for (int i = 0; i < 2; i++) {
        char run[400], out[400];
        path_in(f, names[i], run, sizeof run);
        snprintf(out, sizeof out, "%s/out-%d", f->dir, i);
        make_run(run, i == 0 ? "8,0" : "8,4", i == 0 ? 8.0 : 8.4, 1);
        struct ana_file a;
        analyse(run, &a);
        struct cert_job job = job_with(i == 0 ? "T-123456" : NULL, f->cycles);
        char number[64] = "";
        struct cd_err err = {0};
        must(cert_issue(&a, &f->lab, &job, out, "pdf,xml,json", "vi+en", true, number, &err),
             &err);
        ana_file_free(&a);
        assert_true(exists(out, number, ".pdf"));
        assert_true(exists(out, number, ".json"));
        assert_true(exists(out, number, "-record.pdf"));
        assert_true(exists(out, number, "-record.json"));
        assert_true(exists(out, number, ".manifest.json"));
        assert_false(exists(out, number, ".xml")); /* the DCC is for calibration */
        /* signed, in the manifest, checked like a calibration certificate */
        struct cert_check_result r;
        char report[420];
        snprintf(report, sizeof report, "%s/report.txt", out);
        FILE *rep = fopen(report, "w");
        must(cert_check(out, f->pub, run, rep, &r, &err), &err);
        fclose(rep);
        assert_int_equal(r.failures, 0);
        assert_true(r.trusted);
        /* the record's JSON: every reading, the typed text as typed */
        char rec[700];
        snprintf(rec, sizeof rec, "%s/%s-record.json", out, number);
        json_error_t je;
        json_t *j = json_load_file(rec, 0, &je);
        assert_non_null(j);
        assert_string_equal(json_string_value(json_object_get(j, "document")), "record");
        assert_int_equal(json_array_size(json_object_get(j, "readings")), 6);
        json_t *typed = json_array_get(json_object_get(j, "readings"), 4);
        assert_string_equal(json_string_value(json_object_get(typed, "typed")),
                            i == 0 ? "8,0" : "8,4");
        /* figures with their digits: 4 decimals, as the reference shows */
        json_decref(j);
        FILE *in = fopen(rec, "r");
        char buf[1 << 16];
        size_t n = fread(buf, 1, sizeof buf - 1, in);
        fclose(in);
        buf[n] = '\0';
        assert_non_null(strstr(buf, "\"error\": 0.0987"));
        /* the manifest says what it is */
        char man[700];
        snprintf(man, sizeof man, "%s/%s.manifest.json", out, number);
        json_t *m = json_load_file(man, 0, &je);
        assert_string_equal(json_string_value(json_object_get(m, "kind")), "verification");
        assert_string_equal(json_string_value(json_object_get(m, "document")),
                            i == 0 ? "certificate" : "notice");
        json_decref(m);
        /* a file named as a record: its manifest is found */
        char recpdf[700];
        snprintf(recpdf, sizeof recpdf, "%s/%s-record.pdf", out, number);
        rep = fopen(report, "w");
        must(cert_check(recpdf, f->pub, NULL, rep, &r, &err), &err);
        fclose(rep);
        assert_int_equal(r.failures, 0);
    }
    cert_pdf_cleanup();
}

int main(void)
{
    use_build_locale();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_pass, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fail, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed_check, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_issue, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
