/* Profiles: the shipped procedures load with the plan and constants they
 * state and pass the standards check against their register; every broken
 * profile under tests/fixtures/profiles/bad/ fails with a message naming
 * the file and the right line; an expired reference and a load that no
 * certified piece makes fail the standards check. Run from the repository
 * root. */
#include <dirent.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "prof.h"
#include "prof_support.h"

#define BAD "tests/fixtures/profiles/bad"
#define EXPIRED "tests/fixtures/profiles/expired/"
#define MISSING "tests/fixtures/profiles/missing-piece/"
/* a day on which every standard of the example register is in date
 * (W-E2-01 is due on 2026-03-10) */
#define TODAY "2026-01-15"

/* The standards check on `today` passes. */
static void check_standards_ok(const struct prof_profile *p, const char *today)
{
    prof_standards *reg = load_register(p);
    struct cd_err err = {0};
    if (prof_profile_check_standards(p, reg, today, &err) != 0)
        fail_msg("%s on %s: %s", p->source, today, err.msg);
    prof_standards_free(reg);
}

static size_t constant_index(const struct prof_profile *p, const char *name)
{
    for (size_t i = 0; i < p->n_constants; i++)
        if (strcmp(p->constant_names[i], name) == 0)
            return i;
    fail_msg("%s: no constant '%s'", p->source, name);
    return 0;
}

static size_t count_role(const struct prof_profile *p, const char *role)
{
    size_t n = 0;
    for (size_t i = 0; i < p->n_points; i++)
        n += strcmp(p->points[i].role, role) == 0;
    return n;
}

/* ------------------------------------------------------------ shipped */

static void test_balance_class_ii(void **state)
{
    (void)state;
    struct prof_profile *p = load_ok("profiles/balance-cg18-class-ii.yaml");
    assert_string_equal(p->source, "profiles/balance-cg18-class-ii.yaml");
    assert_string_equal(p->name, "balance-cg18-class-ii");
    assert_int_equal(p->family, PROF_FAMILY_BALANCE);
    assert_string_equal(p->unit, "g");
    assert_true(p->resolution == 0.001);
    assert_string_equal(p->register_path, "profiles/standards/example-lab.yaml");
    assert_int_equal(p->tolerance.kind, PROF_TOL_OIML_R76);
    assert_int_equal(p->tolerance.r76.accuracy_class, PROF_R76_II);
    assert_true(p->tolerance.r76.max == 220);

    /* repeatability, 5 eccentricity positions, 7 points up */
    assert_int_equal(p->n_points, 13);
    assert_int_equal(p->n_groups, 3);
    assert_int_equal(p->points[0].test, PROF_TEST_REPEATABILITY);
    assert_string_equal(p->points[0].role, "repeatability");
    assert_true(p->points[0].nominal == 100);
    assert_int_equal(p->points[0].repeat, 6);
    assert_string_equal(p->points[1].position, "centre");
    assert_string_equal(p->points[5].position, "right");
    assert_int_equal(count_role(p, "eccentricity"), 5);
    assert_int_equal(count_role(p, "error-up"), 7);
    assert_int_equal(count_role(p, "error-down"), 0);
    const struct prof_plan_point *pt = &p->points[10]; /* {at: 150, weights: [100, 50]} */
    assert_true(pt->nominal == 150);
    assert_int_equal(pt->n_weights, 2);
    assert_true(pt->weights[0] == 100 && pt->weights[1] == 50);
    assert_true(p->points[12].nominal == 220);
    for (size_t i = 0; i < p->n_points; i++)
        assert_int_equal(p->points[i].index, i);

    assert_int_equal(p->n_needs, 1);
    assert_ptr_equal(p->reference, &p->needs[0]);
    assert_string_equal(p->reference->role, "weights");
    assert_string_equal(p->reference->id, "W-E2-01");
    assert_int_equal(p->reference->source, PROF_REF_CERTIFICATE);
    assert_int_equal(p->reference->weight_class, PROF_R111_E2);

    /* issue 15 section 4: the buoyancy from the air and weight densities
     * (constants rho_w, u_rho_w instead of buoyancy_rel) and a convection
     * line (conv_rel): 4 constants, were 2; 9 budget inputs, were 8 */
    assert_int_equal(p->n_constants, 4);
    assert_true(p->points[0].constants[constant_index(p, "drift_rel")] == 2.0e-7);
    assert_true(p->points[0].constants[constant_index(p, "rho_w")] == 7950);
    assert_true(p->points[0].constants[constant_index(p, "conv_rel")] == 1.0e-7);
    assert_string_equal(p->budget.output, "E");
    assert_int_equal(p->budget.n_inputs, 9);
    assert_true(p->air.given);
    assert_true(p->air.estimate == 1.2);
    assert_true(p->air.u_estimate == 0.07);
    assert_true(p->air.u_temp_c == 0.3);
    assert_int_equal(p->rule.rule, UNC_RULE_SIMPLE);

    check_standards_ok(p, TODAY);
    prof_profile_free(p);
    prof_profile_free(NULL);
}

static void test_balance_class_iii(void **state)
{
    (void)state;
    struct prof_profile *p = load_ok("profiles/balance-cg18-class-iii.yaml");
    assert_string_equal(p->name, "balance-cg18-class-iii");
    assert_int_equal(p->family, PROF_FAMILY_BALANCE);
    assert_int_equal(p->tolerance.r76.accuracy_class, PROF_R76_III);
    /* repeatability, 5 eccentricity positions, 7 points up and 7 down */
    assert_int_equal(p->n_points, 20);
    assert_int_equal(count_role(p, "error-up"), 7);
    assert_int_equal(count_role(p, "error-down"), 7);
    assert_int_equal(p->points[0].n_weights, 2); /* load 3000 = 2000 + 1000 */
    assert_string_equal(p->points[12].role, "error-up");
    assert_true(p->points[12].nominal == 6000);
    assert_string_equal(p->points[13].role, "error-down");
    assert_int_equal(p->points[13].direction, PROF_DIR_DOWN);
    assert_int_equal(p->points[13].series, 1);
    assert_true(p->points[13].nominal == 6000);
    assert_int_equal(p->points[13].n_weights, 2);
    assert_true(p->points[19].nominal == 0);
    assert_string_equal(p->reference->id, "W-M1-01");
    assert_int_equal(p->reference->weight_class, PROF_R111_M1);
    /* the register's M1 set is certified in kg, the profile works in g */
    check_standards_ok(p, TODAY);
    prof_profile_free(p);
}

static void test_pressure(void **state)
{
    (void)state;
    struct prof_profile *p = load_ok("profiles/pressure-dkd-r6-1.yaml");
    assert_string_equal(p->name, "pressure-dkd-r6-1");
    assert_int_equal(p->family, PROF_FAMILY_PRESSURE);
    assert_string_equal(p->unit, "bar");
    assert_int_equal(p->tolerance.kind, PROF_TOL_EN837);
    /* issue 15 section 4: the height difference (dh, u_dh) and the media's
     * densities, the atmosphere and g: 6 constants, were 0 */
    assert_int_equal(p->n_constants, 6);
    assert_true(p->points[0].constants[constant_index(p, "dh")] == 0.20);
    /* nine points, up, down, up */
    assert_int_equal(p->n_points, 27);
    assert_int_equal(count_role(p, "error-up"), 18);
    assert_int_equal(count_role(p, "error-down"), 9);
    assert_string_equal(p->points[8].role, "error-up");
    assert_true(p->points[8].nominal == 20);
    /* point 9: the first of the down series, at 20 bar */
    const struct prof_plan_point *pt = &p->points[9];
    assert_int_equal(pt->index, 9);
    assert_int_equal(pt->test, PROF_TEST_ERROR);
    assert_string_equal(pt->role, "error-down");
    assert_int_equal(pt->direction, PROF_DIR_DOWN);
    assert_int_equal(pt->series, 1);
    assert_true(pt->nominal == 20);
    assert_true(p->points[17].nominal == 0);
    assert_string_equal(p->points[18].role, "error-up");
    assert_int_equal(p->points[18].series, 2);
    assert_true(p->points[18].nominal == 0);
    assert_int_equal(p->points[26].line, p->points[8].line);
    assert_int_equal(p->reference->source, PROF_REF_CERTIFICATE);
    assert_string_equal(p->reference->id, "P-REF-01");
    assert_true(p->budget.coverage.k == 2);
    /* issue 16: a profile that says nothing of kind, comparison and sides
     * is a calibration that sets the reference, reads the item's instrument
     * and takes the reference from the certificate */
    assert_int_equal(p->kind, PROF_KIND_CALIBRATION);
    assert_int_equal(p->comparison, PROF_METHOD_SET_REFERENCE);
    assert_int_equal(p->item.read, PROF_READ_INSTRUMENT);
    assert_int_equal(p->ref.read, PROF_READ_CERTIFIED);
    assert_string_equal(p->item.driver, "");
    assert_true(isnan(p->item.low) && isnan(p->item.high));
    assert_true(p->item.resolution == 0 && p->item.confirm_beyond_mpe == 0);
    assert_string_equal(p->verification.instrument_type, "");
    assert_int_equal(p->verification.n_checks, 0);
    check_standards_ok(p, TODAY);
    prof_profile_free(p);
}

static void test_dmm(void **state)
{
    (void)state;
    struct prof_profile *p = load_ok("profiles/dmm-dcv-6half.yaml");
    assert_string_equal(p->name, "dmm-dcv-6half");
    assert_int_equal(p->family, PROF_FAMILY_DMM);
    assert_string_equal(p->unit, "V");
    assert_int_equal(p->tolerance.kind, PROF_TOL_DMM);
    assert_non_null(p->tolerance.dmm.table);
    assert_int_equal(p->n_points, 13);
    assert_int_equal(p->n_groups, 4);
    assert_int_equal(count_role(p, "error-up"), 13);
    /* issue 15 section 4: the calibrator's drift (cal_drift_ppm_yr,
     * cal_interval_yr) and the thermal EMF (emf): 5 constants, were 2 */
    assert_int_equal(p->n_constants, 5);
    size_t ppm = constant_index(p, "cal_ppm"), floor_ = constant_index(p, "cal_floor");
    size_t emf = constant_index(p, "emf");
    assert_true(p->points[0].constants[emf] == 0.0000003); /* the 100 mV range */
    assert_true(p->points[12].constants[emf] == 0);

    /* the 10 V group: its points carry range 10 and the group's constants */
    static const double ten_v[] = {-10, 1, 5, 10};
    size_t n10 = 0;
    for (size_t i = 0; i < p->n_points; i++) {
        const struct prof_plan_point *pt = &p->points[i];
        if (pt->group != 2)
            continue;
        assert_true(n10 < 4);
        assert_true(pt->range == 10);
        assert_true(pt->nominal == ten_v[n10]);
        assert_true(pt->resolution == 0.00001);
        assert_int_equal(pt->repeat, 5);
        assert_true(pt->constants[ppm] == 4);
        assert_true(pt->constants[floor_] == 0.0000025);
        n10++;
    }
    assert_int_equal(n10, 4);
    /* other groups keep their own values */
    assert_true(p->points[0].range == 0.1);
    assert_true(p->points[0].constants[ppm] == 8);
    assert_true(p->points[12].range == 100);
    assert_true(p->points[12].constants[ppm] == 6);

    assert_int_equal(p->reference->source, PROF_REF_NOMINAL);
    assert_string_equal(p->reference->id, "DPC-01");
    assert_int_equal(p->rule.rule, UNC_RULE_GUARD_BAND);
    check_standards_ok(p, TODAY);
    prof_profile_free(p);
}

/* Every budget line of every shipped procedure cites where it comes from
 * (issue 15 section 4), and a line that cites EURAMET cg-18 or DKD-R 6-1,
 * whose texts could not be checked here, says "from memory". */
static void test_budget_sources(void **state)
{
    (void)state;
    static const char *const files[] = {
        "profiles/balance-cg18-class-ii.yaml", "profiles/balance-cg18-class-iii.yaml",
        "profiles/pressure-dkd-r6-1.yaml", "profiles/dmm-dcv-6half.yaml",
        /* issue 16: the shipped verification procedures */
        "profiles/verification-dial-gauge-dlvn08.yaml", "profiles/verification-nawi-r76.yaml",
        "profiles/verification-sphygmomanometer.yaml",
        "profiles/verification-clinical-thermometer.yaml"};
    for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
        struct prof_profile *p = load_ok(files[f]);
        for (size_t i = 0; i < p->budget.n_inputs; i++) {
            const struct prof_budget_input *in = &p->budget.inputs[i];
            if (in->source == NULL || in->source[0] == '\0')
                fail_msg("%s: budget input '%s' cites no source", files[f], in->name);
            bool unchecked = strstr(in->source, "cg-18") != NULL ||
                             strstr(in->source, "DKD-R 6-1") != NULL;
            if (unchecked && strstr(in->source, "from memory") == NULL)
                fail_msg("%s: budget input '%s' cites \"%s\" without saying it is from memory",
                         files[f], in->name, in->source);
        }
        prof_profile_free(p);
    }
}

/* OIML R111-1 E.3-1, with figures worked out by python3 with mpmath at 40
 * digits as a calculator (not caldaq):
 *   t = 20.5 degC, hr = 45 %, p = 1013.0 hPa, T = 293.65 K,
 *   e = exp(0.061 x 20.5) = 3.492088565,
 *   rho = (0.34848 x 1013.0 - 0.009 x 45 x e) / 293.65 = 1.1973299646894296 kg/m3
 *   derivatives: d/dp = 0.34848/T = 1.18672e-3, d/dhr = -0.009 e/T = -1.07028e-4,
 *   d/dt = -(0.009 x 0.061 x 45 e + rho)/T = -4.3712e-3;
 *   u(t) = 0.3 degC, u(hr) = 3 %, u(p) = 1 hPa, formula 2e-4 relative:
 *   u = sqrt((2e-4 rho)^2 + (1.18672e-3)^2 + (3.21084e-4)^2 + (1.31136e-3)^2)
 *     = 1.8133955699591039e-03 kg/m3
 *   t = 25 degC, hr = 70 %, p = 950 hPa, T = 298.15 K, same sensors:
 *   rho = 1.1006575869573597 kg/m3, u = 1.7998347978557771e-03 kg/m3.
 * Cross-check: the CIPM-2007 approximation (masscor's "CIMP.approx",
 * coefficients 0.009024 and 0.0612) gives 1.1972972813356306 at the first
 * conditions, 2.7e-5 relative away. */
static void test_air_density(void **state)
{
    (void)state;
    struct prof_air air = {.given = true, .u_temp_c = 0.3, .u_rh_pct = 3, .u_p_hpa = 1,
                           .estimate = 1.2, .u_estimate = 0.07};
    struct prof_air_density d;
    struct cd_err err = {0};
    assert_int_equal(prof_air_density(&air, 20.5, 45, 1013.0, &d, &err), 0);
    assert_true(d.measured);
    assert_true(fabs(d.rho - 1.1973299646894296) <= 1e-12 * 1.2);
    assert_true(fabs(d.u - 1.8133955699591039e-03) <= 1e-9 * 1.8e-3);
    assert_true(fabs(d.rho - 1.1972972813356306) / d.rho < 5e-5);
    assert_int_equal(prof_air_density(&air, 25, 70, 950, &d, &err), 0);
    assert_true(fabs(d.rho - 1.1006575869573597) <= 1e-12 * 1.1);
    assert_true(fabs(d.u - 1.7998347978557771e-03) <= 1e-9 * 1.8e-3);
    /* not measured (any of the three): the profile's estimate, said so */
    assert_int_equal(prof_air_density(&air, 20.5, NAN, 1013.0, &d, &err), 0);
    assert_false(d.measured);
    assert_true(d.rho == 1.2 && d.u == 0.07);
    /* a pressure in kPa by mistake gives no density of air */
    assert_int_not_equal(prof_air_density(&air, 20.5, 45, -101.3, &d, &err), 0);
    assert_non_null(strstr(err.msg, "not a density"));
    struct prof_air none = {0};
    err = (struct cd_err){0};
    assert_int_not_equal(prof_air_density(&none, 20.5, 45, 1013.0, &d, &err), 0);
}

/* ------------------------------------------------------------ bad files */

/* The files whose expectation cannot be their first line: line 0 means
 * the message names the file only ("FILE: ..."). */
static const struct {
    const char *file;
    int line;
    const char *fragment;
} special[] = {
    {"empty.yaml", 0, "the file is empty"},
    {"garbage.yaml", 3, "the file contains a NUL byte"},
};

/* The whole file; *len its size (it may hold NUL bytes). */
static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        fail_msg("%s: cannot open", path);
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap + 1);
    assert_non_null(buf);
    size_t got;
    while ((got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            cap *= 2;
            buf = realloc(buf, cap + 1);
            assert_non_null(buf);
        }
    }
    fclose(f);
    buf[n] = '\0';
    *len = n;
    return buf;
}

/* "# expect: LINE: FRAGMENT" on the first line, or the table above. */
static bool expectation(const char *name, const char *text, int *line, char *fragment,
                        size_t cap)
{
    static const char tag[] = "# expect: ";
    if (strncmp(text, tag, sizeof tag - 1) == 0) {
        const char *s = text + sizeof tag - 1;
        char *end;
        long v = strtol(s, &end, 10);
        if (end == s || strncmp(end, ": ", 2) != 0 || v <= 0)
            return false;
        *line = (int)v;
        s = end + 2;
        size_t n = strcspn(s, "\r\n");
        if (n == 0 || n >= cap)
            return false;
        memcpy(fragment, s, n);
        fragment[n] = '\0';
        return true;
    }
    for (size_t i = 0; i < sizeof special / sizeof special[0]; i++) {
        if (strcmp(special[i].file, name) == 0) {
            *line = special[i].line;
            snprintf(fragment, cap, "%s", special[i].fragment);
            return true;
        }
    }
    return false;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The fixture names, sorted; the caller frees each and the array. */
static char **bad_files(size_t *count)
{
    DIR *d = opendir(BAD);
    if (d == NULL)
        fail_msg("cannot open %s", BAD);
    size_t n = 0, cap = 64;
    char **names = malloc(cap * sizeof *names);
    assert_non_null(names);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        if (n == cap) {
            cap *= 2;
            names = realloc(names, cap * sizeof *names);
            assert_non_null(names);
        }
        names[n] = strdup(e->d_name);
        assert_non_null(names[n]);
        n++;
    }
    closedir(d);
    qsort(names, n, sizeof *names, compare_names);
    *count = n;
    return names;
}

static void free_names(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

static void test_bad_profiles(void **state)
{
    (void)state;
    size_t n = 0, failures = 0;
    char **names = bad_files(&n);
    for (size_t i = 0; i < n; i++) {
        char path[512], where[600], fragment[256];
        snprintf(path, sizeof path, BAD "/%s", names[i]);
        size_t len;
        char *text = read_all(path, &len);
        int line = 0;
        bool known = expectation(names[i], text, &line, fragment, sizeof fragment);
        free(text);
        if (!known) {
            print_error("%s: no '# expect: LINE: FRAGMENT' first line and not in the table\n",
                        path);
            failures++;
            continue;
        }
        if (line > 0)
            snprintf(where, sizeof where, "%s:%d: ", path, line);
        else
            snprintf(where, sizeof where, "%s: ", path);
        struct cd_err err = {0};
        struct prof_profile *p = prof_profile_load(path, &err);
        if (p != NULL) {
            prof_profile_free(p);
            print_error("%s: loaded although it should not\n", path);
            failures++;
        } else if (err.code >= 0) {
            print_error("%s: failed with code %d: %s\n", path, err.code, err.msg);
            failures++;
        } else if (strncmp(err.msg, where, strlen(where)) != 0) {
            print_error("%s: message \"%s\" does not start with \"%s\"\n", path, err.msg, where);
            failures++;
        } else if (strstr(err.msg, fragment) == NULL) {
            print_error("%s: message \"%s\" lacks \"%s\"\n", path, err.msg, fragment);
            failures++;
        }
    }
    free_names(names, n);
    if (n < 20)
        fail_msg("only %zu fixtures in %s, expected at least 20", n, BAD);
    if (failures > 0)
        fail_msg("%zu of %zu broken profiles not reported as expected", failures, n);
}

/* The same files as strings: no crash, and the outcome of the file load
 * (whether a fixture should load is test_bad_profiles' question): no
 * profile and, unless the file holds a NUL byte, which a string cannot,
 * the same message. */
static void test_bad_strings(void **state)
{
    (void)state;
    size_t n = 0;
    char **names = bad_files(&n);
    for (size_t i = 0; i < n; i++) {
        char path[512];
        snprintf(path, sizeof path, BAD "/%s", names[i]);
        size_t len;
        char *text = read_all(path, &len);
        struct cd_err err = {0}, ferr = {0};
        struct prof_profile *p = prof_profile_load_string(text, path, &err);
        struct prof_profile *f = prof_profile_load(path, &ferr);
        bool both = p != NULL && f != NULL;
        prof_profile_free(p);
        prof_profile_free(f);
        if (both) {
            free(text);
            continue;
        }
        if (p != NULL && strlen(text) == len)
            fail_msg("%s: loads from a string, not from the file (%s)", path, ferr.msg);
        if (p == NULL && (err.msg[0] == '\0' || err.code >= 0))
            fail_msg("%s: no error from the string load (code %d)", path, err.code);
        if (strlen(text) == len && strcmp(err.msg, ferr.msg) != 0)
            fail_msg("%s: the string load says \"%s\", the file load \"%s\"", path, err.msg,
                     ferr.msg);
        free(text);
    }
    free_names(names, n);

    struct cd_err err = {0};
    assert_null(prof_profile_load_string(NULL, "x.yaml", &err));
    assert_int_equal(err.code, CD_ERR_INVALID);
    cd_err_clear(&err);
    assert_null(prof_profile_load_string("", NULL, &err));
    assert_string_equal(err.msg, "profile: the file is empty");
    cd_err_clear(&err);
    assert_null(prof_profile_load(BAD "/does-not-exist.yaml", &err));
    assert_int_equal(err.code, CD_ERR_IO);
    assert_non_null(strstr(err.msg, "does-not-exist.yaml: cannot open"));
    cd_err_clear(&err);
    assert_null(prof_profile_load(NULL, &err));
    assert_int_equal(err.code, CD_ERR_INVALID);
}

/* ------------------------------------------------------------ standards */

static void test_expired_reference(void **state)
{
    (void)state;
    struct prof_profile *p = load_ok(EXPIRED "profile.yaml");
    assert_string_equal(p->register_path, EXPIRED "register.yaml");
    prof_standards *reg = load_register(p);
    struct cd_err err = {0};

    assert_int_equal(prof_profile_check_standards(p, reg, "2026-11-22", &err), CD_ERR_INVALID);
    /* the profile file and the line of the standards entry */
    const char *where = EXPIRED "profile.yaml:17: ";
    if (strncmp(err.msg, where, strlen(where)) != 0)
        fail_msg("\"%s\" does not start with \"%s\"", err.msg, where);
    assert_non_null(strstr(err.msg, "W-T-01"));
    assert_non_null(strstr(err.msg, "T-KL-2025-0007"));
    assert_non_null(strstr(err.msg, "2026-03-10"));
    cd_err_clear(&err);

    /* the due date is the last day of use */
    if (prof_profile_check_standards(p, reg, "2026-03-10", &err) != 0)
        fail_msg("%s", err.msg);
    assert_int_equal(prof_profile_check_standards(p, reg, "2026-03-11", &err), CD_ERR_INVALID);
    cd_err_clear(&err);

    /* a malformed session date is refused, not taken as in date */
    assert_true(prof_profile_check_standards(p, reg, "22/11/2026", &err) < 0);
    prof_standards_free(reg);
    prof_profile_free(p);
}

static void test_missing_piece(void **state)
{
    (void)state;
    struct prof_profile *p = load_ok(MISSING "profile.yaml");
    prof_standards *reg = load_register(p);
    struct cd_err err = {0};

    assert_int_equal(prof_profile_check_standards(p, reg, TODAY, &err), CD_ERR_NOT_FOUND);
    /* the line of the 70 g point */
    const char *where = MISSING "profile.yaml:25: ";
    if (strncmp(err.msg, where, strlen(where)) != 0)
        fail_msg("\"%s\" does not start with \"%s\"", err.msg, where);
    assert_non_null(strstr(err.msg, "70 g"));
    assert_non_null(strstr(err.msg, "W-T-02"));
    assert_non_null(strstr(err.msg, "T-KL-2025-0008"));
    prof_standards_free(reg);

    /* saying which pieces make the load fixes it */
    size_t len;
    char *text = read_all(MISSING "profile.yaml", &len);
    char *at = strstr(text, "      - 70\n");
    assert_non_null(at);
    const char *fix = "      - {at: 70, weights: [50, 20]}\n";
    char *fixed = malloc(len + strlen(fix) + 1);
    assert_non_null(fixed);
    snprintf(fixed, len + strlen(fix) + 1, "%.*s%s%s", (int)(at - text), text, fix,
             at + strlen("      - 70\n"));
    struct prof_profile *q = prof_profile_load_string(fixed, MISSING "profile.yaml", &err);
    if (q == NULL)
        fail_msg("%s", err.msg);
    reg = load_register(q);
    if (prof_profile_check_standards(q, reg, TODAY, &err) != 0)
        fail_msg("%s", err.msg);
    prof_standards_free(reg);
    prof_profile_free(q);
    free(fixed);
    free(text);
    prof_profile_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_balance_class_ii),  cmocka_unit_test(test_balance_class_iii),
        cmocka_unit_test(test_pressure),          cmocka_unit_test(test_dmm),
        cmocka_unit_test(test_bad_profiles),      cmocka_unit_test(test_bad_strings),
        cmocka_unit_test(test_budget_sources),    cmocka_unit_test(test_air_density),
        cmocka_unit_test(test_expired_reference), cmocka_unit_test(test_missing_piece),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
