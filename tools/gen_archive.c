/* gen_archive: a synthetic archive of complete run files, for benchmarks
 * and tests of batch reprocessing (tools/gen-archive wraps it).
 *
 *   gen_archive N DIR [--seed S] [--corrupt K] [--checkpoint end|point]
 *                     [--root REPO]
 *
 * Each run is what a session would leave: one of the four shipped profiles
 * (balance class II, balance class III, pressure, DMM; in turn, the order
 * within each block of four shuffled by the seed), a Vietnamese operator,
 * a lab, a start date in 2019-2026, a made-up instrument, the standards of
 * tests/traces/standards.yaml recorded with ses_record_standards, the
 * environment at start and end, every plan point's `repeat` stable
 * readings (the reference value plus a simulated instrument error, rounded
 * to the resolution), closed "complete", then analysed with results v1
 * stored (ana_file_run, operator "gen-archive").
 *
 * The instrument error, per run: a smooth linearity error (at most about
 * half the MPE) and noise (6 % of the MPE, 3 % for the DMM); 85 % of runs
 * stop there ("nominal"), 10 % get one result point off by 1.2-2 MPE
 * ("fault"), 5 % one point close to its limit ("marginal": 0.8-0.95 MPE,
 * 0.6-0.75 MPE for the DMM whose guard band takes U off the limit).
 *
 * Files go to DIR/YYYY/MM/RUNID.h5 (YYYY/MM of the start). Everything is
 * drawn from the seed and the run's index, so the same N and seed give the
 * same archive except the run ids and the times the store stamps itself
 * (ended, audit, results). --corrupt K adds K broken .h5 files among the
 * runs: alternately the first half of the bytes of a run, and random bytes.
 *
 * The run store fsyncs the journal at every reading and the file at every
 * checkpoint; by default the run is checkpointed only at its close
 * (--checkpoint point: after every plan point, as a session does).
 */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "analysis.h"
#include "prof.h"
#include "run.h"
#include "session.h"

/* ------------------------------------------------------------ random */

struct rng {
    uint64_t s;
};

static uint64_t rng_next(struct rng *r) /* splitmix64 */
{
    uint64_t z = (r->s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static double rng_unit(struct rng *r) /* [0, 1) */
{
    return (double)(rng_next(r) >> 11) * 0x1.0p-53;
}

static double rng_uniform(struct rng *r, double a, double b)
{
    return a + (b - a) * rng_unit(r);
}

static unsigned rng_below(struct rng *r, unsigned n)
{
    return (unsigned)(rng_unit(r) * n);
}

static double rng_normal(struct rng *r)
{
    double u1 = rng_unit(r), u2 = rng_unit(r);
    if (u1 < 1e-300)
        u1 = 1e-300;
    return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

static struct rng rng_for(uint64_t seed, uint64_t index, uint64_t stream)
{
    struct rng r = {seed * 0xD1B54A32D192ED03ULL ^ (index + 1) * 0x9E3779B97F4A7C15ULL ^
                    stream * 0xA24BAED4963EE407ULL};
    rng_next(&r);
    return r;
}

/* ------------------------------------------------------------ data */

static const char *const PROFILES[4] = {
    "profiles/balance-cg18-class-ii.yaml",
    "profiles/balance-cg18-class-iii.yaml",
    "profiles/pressure-dkd-r6-1.yaml",
    "profiles/dmm-dcv-6half.yaml",
};
static const char *const REGISTER = "tests/traces/standards.yaml";

static const char *const OPERATORS[] = {
    "Nguyễn Văn An",   "Trần Thị Bích Ngọc", "Lê Minh Châu",   "Phạm Quốc Dũng",
    "Hoàng Thị Hương", "Võ Thanh Tùng",      "Đặng Ngọc Lan", "Bùi Đức Thắng",
};
static const char *const LABS[] = {
    "Phòng Hiệu chuẩn Khối lượng – Trung tâm Đo lường (ví dụ)",
    "Phòng Hiệu chuẩn Áp suất – Trung tâm Đo lường (ví dụ)",
    "Phòng Hiệu chuẩn Điện – Trung tâm Đo lường (ví dụ)",
};

struct model {
    const char *driver, *manufacturer, *model, *serial_fmt, *settings, *port;
};

static const struct model BALANCE_II[] = {
    {"mtsics", "Mettler Toledo", "XS204", "B%07u", "9600 8N1", "/dev/ttyUSB0"},
    {"sbi", "Sartorius", "BP221S", "%08u", "1200 7O1", "/dev/ttyUSB0"},
    {"aandd", "A&D", "GR-202", "T%07u", "2400 7E1", "/dev/ttyUSB0"},
};
static const struct model BALANCE_III[] = {
    {"mtsics", "Mettler Toledo", "ICS425s-6", "B%07u", "9600 8N1", "/dev/ttyUSB0"},
    {"sbi", "Sartorius", "Signum SIWSDCP-6", "%08u", "1200 7O1", "/dev/ttyUSB0"},
    {"aandd", "A&D", "SK-5001WP", "T%07u", "2400 7E1", "/dev/ttyUSB0"},
};
static const struct model PRESSURE[] = {
    {"modbus", "Keller", "LEO 5", "%06u", "9600 8N1", "/dev/ttyUSB1"},
    {"modbus", "WIKA", "CPG1500", "1A%08u", "19200 8E1", "/dev/ttyUSB1"},
    {"modbus", "Druck", "DPI 620 Genii", "%07u", "9600 8N1", "/dev/ttyUSB1"},
};
static const struct model DMM[] = {
    {"scpi", "Keysight Technologies", "34461A", "MY5%07u", "9600 8N2", "/dev/ttyUSB0"},
    {"scpi", "Agilent Technologies", "34401A", "MY4%07u", "9600 8N2", "/dev/ttyUSB0"},
    {"scpi", "Keysight Technologies", "34465A", "MY6%07u", "9600 8N2", "/dev/ttyUSB0"},
};
static const char *const FIRMWARE[] = {"1.04", "2.11", "3.00-02", "A.02.17"};

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

enum scenario { SC_NOMINAL, SC_FAULT, SC_MARGINAL, SC_COUNT };
static const char *const SCENARIO_NAME[SC_COUNT] = {"nominal", "fault", "marginal"};

struct loaded {
    struct prof_profile *p;
    const struct prof_standard *ref; /* the reference's standard, NULL: nominal */
};

/* ------------------------------------------------------------ helpers */

static void die(const char *what, const struct cd_err *err)
{
    fprintf(stderr, "gen-archive: %s: %s\n", what, err != NULL ? cd_err_text(err) : "");
    exit(1);
}

static int mkdirs(const char *path)
{
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0777) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return mkdir(buf, 0777) != 0 && errno != EEXIST ? -1 : 0;
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int decimals_of(double res)
{
    if (!(res > 0))
        return 6;
    int d = (int)ceil(-log10(res) - 1e-9);
    return d < 0 ? 0 : d;
}

/* The value as the instrument shows it at resolution `res`. */
static void displayed(double x, double res, struct drv_reading *r)
{
    double v = res > 0 ? round(x / res) * res : x;
    int dec = decimals_of(res);
    char buf[64];
    snprintf(buf, sizeof buf, "%.*f", dec, v);
    if (strspn(buf, "-0.") == strlen(buf) && buf[0] == '-') /* "-0.000" */
        memmove(buf, buf + 1, strlen(buf));
    snprintf(r->display, sizeof r->display, "%s", buf);
    r->value = strtod(buf, NULL);
    r->resolution = res;
}

/* A start time: a working day between 2019-01-01 and 2026-12-31, 07:30 to
 * 16:00, Vietnam time (+07:00). */
static double start_time(struct rng *r, char *iso, size_t cap, int *year, int *month)
{
    struct tm a = {.tm_year = 119, .tm_mon = 0, .tm_mday = 1};
    struct tm b = {.tm_year = 126, .tm_mon = 11, .tm_mday = 31};
    time_t ta = timegm(&a), tb = timegm(&b);
    long days = (long)((tb - ta) / 86400) + 1;
    time_t day;
    struct tm tm;
    do {
        day = ta + (time_t)rng_below(r, (unsigned)days) * 86400;
        gmtime_r(&day, &tm);
    } while (tm.tm_wday == 0); /* no Sundays */
    time_t local = day + 27000 + (time_t)rng_below(r, 30600); /* 07:30 + up to 8.5 h */
    gmtime_r(&local, &tm);
    strftime(iso, cap, "%Y-%m-%dT%H:%M:%S+07:00", &tm);
    *year = tm.tm_year + 1900;
    *month = tm.tm_mon + 1;
    return (double)local - 7 * 3600.0;
}

/* ------------------------------------------------------------ one run */

struct result {
    char path[4096];
    const char *family;
    enum scenario sc;
    char verdict[32];
    long long bytes;
};

/* The result points a fault or marginal error can go to: error-test
 * points with a nonzero nominal (the first series stands for the point). */
static size_t pick_target(const struct prof_profile *p, struct rng *r)
{
    size_t cand[256], n = 0;
    for (size_t i = 0; i < p->n_points && n < N_OF(cand); i++) {
        const struct prof_plan_point *pt = &p->points[i];
        if (pt->test == PROF_TEST_ERROR && pt->series == 0 && pt->nominal != 0)
            cand[n++] = i;
    }
    return n > 0 ? cand[rng_below(r, (unsigned)n)] : 0;
}

static void one_run(const char *dir, uint64_t seed, size_t index, int profile_i,
                    const struct loaded *L, const prof_standards *reg, bool ckpt_per_point,
                    struct result *out)
{
    const struct prof_profile *p = L->p;
    struct rng r = rng_for(seed, index, 1);
    struct cd_err err = {0};

    /* the run's circumstances */
    struct daq_run_info info = {0};
    int year, month;
    double t = start_time(&r, info.started, sizeof info.started, &year, &month);
    snprintf(info.operator_name, sizeof info.operator_name, "%s",
             OPERATORS[rng_below(&r, N_OF(OPERATORS))]);
    snprintf(info.lab, sizeof info.lab, "%s",
             LABS[p->family == PROF_FAMILY_BALANCE    ? 0
                  : p->family == PROF_FAMILY_PRESSURE ? 1
                                                      : 2]);
    snprintf(info.profile_name, sizeof info.profile_name, "%s", p->name);

    const struct model *models = profile_i == 0   ? BALANCE_II
                                 : profile_i == 1 ? BALANCE_III
                                 : profile_i == 2 ? PRESSURE
                                                  : DMM;
    const struct model *m = &models[rng_below(&r, 3)];
    struct daq_device dev = {0};
    snprintf(dev.driver, sizeof dev.driver, "%s", m->driver);
    snprintf(dev.port, sizeof dev.port, "%s", m->port);
    snprintf(dev.settings, sizeof dev.settings, "%s", m->settings);
    snprintf(dev.id.manufacturer, sizeof dev.id.manufacturer, "%s", m->manufacturer);
    snprintf(dev.id.model, sizeof dev.id.model, "%s", m->model);
    snprintf(dev.id.serial, sizeof dev.id.serial, m->serial_fmt, 1000000u + rng_below(&r, 8999999u));
    snprintf(dev.id.firmware, sizeof dev.id.firmware, "%s", FIRMWARE[rng_below(&r, N_OF(FIRMWARE))]);

    /* the instrument's error: linearity a x + b 4x(1-x) over the scale, in
     * MPEs of each point, plus noise; a fault or a marginal point */
    double u = rng_unit(&r);
    enum scenario sc = u < 0.10 ? SC_FAULT : u < 0.15 ? SC_MARGINAL : SC_NOMINAL;
    bool dmm = p->family == PROF_FAMILY_DMM;
    double a = rng_uniform(&r, -0.25, 0.25), b = rng_uniform(&r, -0.25, 0.25);
    double noise = dmm ? 0.03 : 0.06;
    double hyst = rng_uniform(&r, 0, 0.08); /* down series above up, in MPEs */
    double span = 0;
    for (size_t i = 0; i < p->n_points; i++)
        span = fmax(span, fabs(p->points[i].nominal));
    size_t target = sc != SC_NOMINAL ? pick_target(p, &r) : (size_t)-1;
    double sign = rng_unit(&r) < 0.5 ? -1 : 1;
    double extra = sc == SC_FAULT      ? rng_uniform(&r, 1.2, 2.0)
                   : dmm               ? rng_uniform(&r, 0.6, 0.75)
                   : sc == SC_MARGINAL ? rng_uniform(&r, 0.8, 0.95)
                                       : 0;
    double ecc[8];
    for (size_t i = 0; i < N_OF(ecc); i++)
        ecc[i] = rng_uniform(&r, -0.15, 0.15);

    /* a temporary name until the store has made the run id */
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s/%04d/%02d", dir, year, month);
    if (mkdirs(tmp) != 0) {
        fprintf(stderr, "gen-archive: cannot create %s: %s\n", tmp, strerror(errno));
        exit(1);
    }
    snprintf(tmp + strlen(tmp), sizeof tmp - strlen(tmp), "/.gen-%zu-%d.h5", index, (int)getpid());
    daq_run *run = NULL;
    if (daq_run_create(tmp, &info, p->text, &run, &err) != 0)
        die(tmp, &err);
    char run_id[37];
    snprintf(run_id, sizeof run_id, "%s", daq_run_get_info(run)->run_id);
    if (daq_run_set_device(run, &dev, &err) != 0 || ses_record_standards(run, p, reg, &err) != 0)
        die(tmp, &err);
    char what[256];
    if (sc == SC_NOMINAL)
        snprintf(what, sizeof what, "synthetic run by gen-archive (seed %llu, run %zu, %s)",
                 (unsigned long long)seed, index, SCENARIO_NAME[sc]);
    else
        snprintf(what, sizeof what,
                 "synthetic run by gen-archive (seed %llu, run %zu, %s: error %.2f MPE at "
                 "%.10g %s)",
                 (unsigned long long)seed, index, SCENARIO_NAME[sc], sign * extra,
                 p->points[target].nominal, p->unit);
    if (daq_run_audit(run, "gen-archive", what, &err) != 0)
        die(tmp, &err);

    struct daq_env env = {.t = t, .temp_c = round(rng_uniform(&r, 18, 26) * 10) / 10,
                          .rh_pct = round(rng_uniform(&r, 35, 70) * 10) / 10, .p_hpa = NAN};
    snprintf(env.where, sizeof env.where, "start");
    if (daq_run_add_env(run, &env, &err) != 0)
        die(tmp, &err);
    t += rng_uniform(&r, 60, 300);

    double target_nominal = target != (size_t)-1 ? p->points[target].nominal : NAN;
    size_t target_group = target != (size_t)-1 ? p->points[target].group : 0;
    for (size_t i = 0; i < p->n_points; i++) {
        const struct prof_plan_point *pt = &p->points[i];
        double low, high;
        struct prof_reference ref;
        if (prof_point_limits(p, pt, &low, &high, &err) != 0 ||
            prof_point_reference(p, pt, L->ref, &ref, &err) != 0)
            die(p->name, &err);
        double mpe = high;
        double res = pt->resolution > 0 ? pt->resolution : p->resolution;
        double x = span > 0 ? fabs(pt->nominal) / span : 0;
        double e = (a * x + b * 4 * x * (1 - x)) * mpe;
        if (pt->test == PROF_TEST_ERROR && pt->direction == PROF_DIR_DOWN)
            e += hyst * mpe;
        if (pt->test == PROF_TEST_ECCENTRICITY)
            e += ecc[pt->index % N_OF(ecc)] * mpe;
        bool off = pt->test == PROF_TEST_ERROR && pt->group == target_group &&
                   pt->nominal == target_nominal;
        if (off)
            e = sign * extra * mpe;
        for (unsigned k = 0; k < pt->repeat; k++) {
            struct daq_reading rd = {.t = t, .point = (int32_t)pt->index,
                                     .repetition = (int32_t)k, .nominal = pt->nominal};
            snprintf(rd.role, sizeof rd.role, "%s", pt->role);
            double v = ref.value + e + noise * mpe * rng_normal(&r);
            /* a fault must show as one at the display's resolution, a
             * marginal point must not cross its limit by rounding */
            displayed(v, res, &rd.r);
            if (off && sc == SC_FAULT && fabs(rd.r.value - ref.value) <= mpe)
                displayed(ref.value + sign * (mpe + res), res, &rd.r);
            if (off && sc == SC_MARGINAL && fabs(rd.r.value - ref.value) > mpe)
                displayed(ref.value, res, &rd.r);
            snprintf(rd.r.unit, sizeof rd.r.unit, "%s", p->unit);
            rd.r.status = DRV_STATUS_STABLE;
            rd.r.t = t;
            if (daq_run_add_reading(run, &rd, &err) != 0)
                die(tmp, &err);
            t += rng_uniform(&r, 5, 15);
        }
        snprintf(what, sizeof what, "point %zu (%s %.10g %s) finished", i + 1, pt->role,
                 pt->nominal, p->unit);
        if (daq_run_audit(run, info.operator_name, what, &err) != 0)
            die(tmp, &err);
        if (ckpt_per_point && daq_run_checkpoint(run, &err) != 0)
            die(tmp, &err);
        t += rng_uniform(&r, 30, 120);
    }
    env.t = t;
    env.temp_c = round(fmin(26, fmax(18, env.temp_c + rng_uniform(&r, -0.8, 0.8))) * 10) / 10;
    env.rh_pct = round(fmin(70, fmax(35, env.rh_pct + rng_uniform(&r, -4, 4))) * 10) / 10;
    snprintf(env.where, sizeof env.where, "end");
    if (daq_run_add_env(run, &env, &err) != 0)
        die(tmp, &err);
    if (daq_run_close(run, "complete", &err) != 0)
        die(tmp, &err);

    /* under its run id, then analysed: results v1 */
    snprintf(out->path, sizeof out->path, "%s/%04d/%02d/%s.h5", dir, year, month, run_id);
    if (rename(tmp, out->path) != 0) {
        fprintf(stderr, "gen-archive: rename %s: %s\n", tmp, strerror(errno));
        exit(1);
    }
    struct ana_file_opts o = {.write = true, .operator_name = "gen-archive"};
    struct ana_file f = {0};
    if (ana_file_run(out->path, &o, &f, &err) != 0)
        die(out->path, &err);
    snprintf(out->verdict, sizeof out->verdict, "%s", ana_overall_name(f.result));
    ana_file_free(&f);
    struct stat st;
    out->bytes = stat(out->path, &st) == 0 ? (long long)st.st_size : 0;
    out->family = prof_family_name(p->family);
    out->sc = sc;
}

/* ------------------------------------------------------------ corrupt */

static void fake_uuid(struct rng *r, char out[37])
{
    uint64_t h = rng_next(r), l = rng_next(r);
    snprintf(out, 37, "%08x-%04x-4%03x-%04x-%012llx", (unsigned)(h >> 32),
             (unsigned)(h >> 16) & 0xffff, (unsigned)h & 0xfff,
             0x8000 | ((unsigned)(l >> 48) & 0x3fff), (unsigned long long)(l & 0xffffffffffffULL));
}

/* A broken file beside run `src`: its first half (truncated) or garbage. */
static void corrupt_file(const char *src, bool truncated, struct rng *r, char *made, size_t cap)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", src);
    char *slash = strrchr(dir, '/');
    if (slash != NULL)
        *slash = '\0';
    char id[37];
    fake_uuid(r, id);
    snprintf(made, cap, "%s/%s.h5", dir, id);
    unsigned char *buf = NULL;
    size_t n = 0;
    if (truncated) {
        FILE *f = fopen(src, "rb");
        struct stat st;
        if (f == NULL || fstat(fileno(f), &st) != 0) {
            fprintf(stderr, "gen-archive: %s: %s\n", src, strerror(errno));
            exit(1);
        }
        n = (size_t)st.st_size / 2;
        buf = malloc(n + 1);
        if (buf == NULL || fread(buf, 1, n, f) != n) {
            fprintf(stderr, "gen-archive: cannot read %s\n", src);
            exit(1);
        }
        fclose(f);
    } else {
        n = 4096 + rng_below(r, 60000);
        buf = malloc(n);
        if (buf == NULL)
            exit(1);
        for (size_t i = 0; i < n; i++)
            buf[i] = (unsigned char)(rng_next(r) >> 56);
    }
    FILE *f = fopen(made, "wb");
    if (f == NULL || fwrite(buf, 1, n, f) != n || fclose(f) != 0) {
        fprintf(stderr, "gen-archive: cannot write %s\n", made);
        exit(1);
    }
    free(buf);
}

/* ------------------------------------------------------------ main */

static void usage(FILE *f)
{
    fprintf(f, "usage: gen-archive N DIR [--seed S] [--corrupt K] [--checkpoint end|point] "
               "[--root REPO]\n"
               "Writes N complete synthetic runs (results v1 stored) to DIR/YYYY/MM/RUNID.h5;\n"
               "--corrupt K adds K broken .h5 files (half a run's bytes, or garbage);\n"
               "--checkpoint point checkpoints after every plan point (default: at close);\n"
               "--root: the repository, for profiles/ and tests/traces/standards.yaml "
               "(default .).\n");
}

static bool parse_count(const char *s, unsigned long long *out)
{
    char *end;
    errno = 0;
    *out = strtoull(s, &end, 10);
    return s[0] != '\0' && s[0] != '-' && *end == '\0' && errno == 0;
}

int main(int argc, char **argv)
{
    unsigned long long n = 0, seed = 1, corrupt = 0;
    const char *dir = NULL, *root = ".";
    bool have_n = false, per_point = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(a, "--seed") == 0 && v != NULL && parse_count(v, &seed)) {
            i++;
        } else if (strcmp(a, "--corrupt") == 0 && v != NULL && parse_count(v, &corrupt)) {
            i++;
        } else if (strcmp(a, "--root") == 0 && v != NULL) {
            root = v;
            i++;
        } else if (strcmp(a, "--checkpoint") == 0 && v != NULL &&
                   (strcmp(v, "end") == 0 || strcmp(v, "point") == 0)) {
            per_point = strcmp(v, "point") == 0;
            i++;
        } else if (a[0] != '-' && !have_n && parse_count(a, &n)) {
            have_n = true;
        } else if (a[0] != '-' && dir == NULL) {
            dir = a;
        } else {
            usage(stderr);
            return 2;
        }
    }
    if (!have_n || dir == NULL || (corrupt > 0 && n == 0)) {
        usage(stderr);
        return 2;
    }
    if (mkdirs(dir) != 0) {
        fprintf(stderr, "gen-archive: cannot create %s: %s\n", dir, strerror(errno));
        return 1;
    }

    struct cd_err err = {0};
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", root, REGISTER);
    prof_standards *reg = prof_standards_load(path, &err);
    if (reg == NULL)
        die(path, &err);
    struct loaded L[4];
    for (int i = 0; i < 4; i++) {
        snprintf(path, sizeof path, "%s/%s", root, PROFILES[i]);
        L[i].p = prof_profile_load(path, &err);
        if (L[i].p == NULL)
            die(path, &err);
        const struct prof_std_need *need = L[i].p->reference;
        L[i].ref = need != NULL && need->source == PROF_REF_CERTIFICATE
                       ? prof_standards_find(reg, need->id)
                       : NULL;
        if (need != NULL && need->source == PROF_REF_CERTIFICATE && L[i].ref == NULL)
            die(need->id, NULL);
    }

    /* which runs get a broken neighbour */
    struct rng cr = rng_for(seed, 0, 3);
    size_t *corrupt_at = calloc(corrupt + 1, sizeof *corrupt_at);
    for (unsigned long long k = 0; k < corrupt; k++)
        corrupt_at[k] = rng_below(&cr, (unsigned)n);

    long long bytes = 0;
    unsigned long long fam[4] = {0}, sc[SC_COUNT] = {0};
    const char *verdicts[8] = {0};
    unsigned long long vcount[8] = {0};
    int perm[4] = {0, 1, 2, 3};
    unsigned long long made_corrupt = 0, n_trunc = 0, n_garbage = 0;
    double t0 = now_s();
    for (unsigned long long i = 0; i < n; i++) {
        if (i % 4 == 0) { /* a shuffled block of the four profiles */
            struct rng pr = rng_for(seed, i / 4, 2);
            for (int j = 3; j > 0; j--) {
                int k = (int)rng_below(&pr, (unsigned)j + 1), x = perm[j];
                perm[j] = perm[k];
                perm[k] = x;
            }
        }
        int pi = perm[i % 4];
        struct result res = {0};
        one_run(dir, seed, i, pi, &L[pi], reg, per_point, &res);
        bytes += res.bytes;
        fam[pi]++;
        sc[res.sc]++;
        size_t v = 0;
        while (v < 8 && verdicts[v] != NULL && strcmp(verdicts[v], res.verdict) != 0)
            v++;
        if (v < 8) {
            if (verdicts[v] == NULL)
                verdicts[v] = strdup(res.verdict);
            vcount[v]++;
        }
        for (unsigned long long k = 0; k < corrupt; k++) {
            if (corrupt_at[k] != i)
                continue;
            char made[4096 + 64];
            bool trunc = k % 2 == 0;
            corrupt_file(res.path, trunc, &cr, made, sizeof made);
            struct stat st;
            bytes += stat(made, &st) == 0 ? (long long)st.st_size : 0;
            made_corrupt++;
            trunc ? n_trunc++ : n_garbage++;
            printf("corrupt: %s (%s)\n", made,
                   trunc ? "truncated: first half of a run's bytes" : "garbage bytes");
        }
        if ((i + 1) % 1000 == 0 || i + 1 == n) {
            double s = now_s() - t0;
            printf("%s%llu runs (balance-ii %llu, balance-iii %llu, pressure %llu, dmm %llu); "
                   "verdicts:",
                   i + 1 == n ? "done: " : "", i + 1, fam[0], fam[1], fam[2], fam[3]);
            for (size_t j = 0; j < 8 && verdicts[j] != NULL; j++)
                printf(" %s %llu", verdicts[j], vcount[j]);
            printf("; scenarios: %s %llu, %s %llu, %s %llu", SCENARIO_NAME[0], sc[0],
                   SCENARIO_NAME[1], sc[1], SCENARIO_NAME[2], sc[2]);
            if (i + 1 == n && made_corrupt > 0)
                printf("; corrupt files %llu (truncated %llu, garbage %llu)", made_corrupt,
                       n_trunc, n_garbage);
            printf("; %lld bytes; %.1f s (%.1f runs/s); checkpoint %s\n", bytes, s,
                   s > 0 ? (double)(i + 1) / s : 0.0, per_point ? "per point" : "at close");
            fflush(stdout);
        }
    }
    if (n == 0)
        printf("done: 0 runs\n");
    for (int i = 0; i < 4; i++)
        prof_profile_free(L[i].p);
    prof_standards_free(reg);
    free(corrupt_at);
    for (size_t j = 0; j < 8; j++)
        free((void *)verdicts[j]);
    return 0;
}
