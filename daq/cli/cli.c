#include "cli.h"

#include "cd_i18n.h"
#include "cert.h"
#include "drv.h"
#include "prof.h"
#include "run.h"
#include "cd_i18n.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

int cli_error(const char *sub, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, _("caldaq %s: "), sub);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return 1;
}

int cli_usage_error(const char *sub, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, _("caldaq %s: "), sub);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, _("\nTry 'caldaq %s --help'.\n"), sub);
    va_end(ap);
    return 2;
}

int cli_option_error(const char *sub, int c, char **argv)
{
    if (c == ':')
        return cli_usage_error(sub, _("%s needs a value"), argv[optind - 1]);
    return cli_usage_error(sub, _("unknown option '%s'"), argv[optind - 1]);
}

json_t *cli_json_number(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

json_t *cli_json_matrix(const double *m, size_t n)
{
    json_t *rows = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *row = json_array();
        for (size_t j = 0; j < n; j++)
            json_array_append_new(row, cli_json_number(m[i * n + j]));
        json_array_append_new(rows, row);
    }
    return rows;
}

int cli_json_print(json_t *root)
{
    if (root == NULL)
        return 1;
    int rc = json_dumpf(root, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(17));
    json_decref(root);
    fputc('\n', stdout);
    return rc == 0 ? 0 : 1;
}

int cli_parse_double(const char *s, double *out)
{
    char *end = NULL;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end != '\0' || errno == ERANGE || !isfinite(v))
        return -1;
    *out = v;
    return 0;
}

int cli_parse_size(const char *s, unsigned long long *out)
{
    char *end = NULL;
    if (s[0] == '-' || s[0] == '\0')
        return -1;
    errno = 0;
    /* Accept 1e6 style as well as plain integers. */
    double d = strtod(s, &end);
    if (end == s || *end != '\0' || errno == ERANGE || !(d >= 0) || d > 1e15 || d != floor(d))
        return -1;
    *out = (unsigned long long)d;
    return 0;
}

unsigned cli_read_timeout(void)
{
    unsigned long long s = 0;
    const char *env = getenv("CALDAQ_READ_TIMEOUT");
    if (env == NULL || cli_parse_size(env, &s) != 0 || s == 0 || s > 3600)
        return DAQ_RUN_READ_TIMEOUT_S;
    return (unsigned)s;
}

json_t *cli_json_reading(const struct drv_reading *r)
{
    json_t *o = json_pack("{s:o, s:s, s:s, s:s}", "value", cli_json_number(r->value), "unit",
                          r->unit, "status", drv_status_name(r->status), "display", r->display);
    if (r->resolution > 0)
        json_object_set_new(o, "resolution", json_real(r->resolution));
    if (r->t > 0)
        json_object_set_new(o, "t", json_real(r->t));
    if (r->error[0] != '\0')
        json_object_set_new(o, "error", json_string(r->error));
    return o;
}

void cli_print_reading(const struct drv_reading *r)
{
    if (r->status == DRV_STATUS_OVERLOAD || r->status == DRV_STATUS_UNDERLOAD)
        printf("%-10s %s\n", drv_status_name(r->status), r->display);
    else if (r->status == DRV_STATUS_ERROR)
        printf("%-10s %s\n", "error", r->error);
    else
        printf("%-10s %s %s\n", drv_status_name(r->status), r->display, r->unit);
}

int cli_json_print_line(json_t *root)
{
    if (root == NULL)
        return 1;
    int rc = json_dumpf(root, stdout, JSON_COMPACT | JSON_REAL_PRECISION(17));
    json_decref(root);
    fputc('\n', stdout);
    return rc == 0 ? 0 : 1;
}

int cli_action(const char *sub, const char *action, const char *usage, int argc, char **argv)
{
    if (argc < 2)
        return cli_usage_error(sub, _("no action given (caldaq %s %s FILE)"), sub, action);
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(usage, stdout);
        return -1;
    }
    if (strcmp(argv[1], action) != 0)
        return cli_usage_error(sub, _("unknown action '%s' (the action is %s)"), argv[1], action);
    return 0;
}

int cli_date_option(const char *sub, const char *value, char out[11])
{
    long day;
    if (prof_date_parse(value, &day, NULL) != 0)
        return cli_usage_error(sub, _("--on takes a calendar date YYYY-MM-DD, not '%s'"), value);
    memcpy(out, value, 11);
    return 0;
}

int cli_env_option(const char *sub, const char *value, double env[3])
{
    char buf[128];
    snprintf(buf, sizeof buf, "%s", value);
    env[0] = env[1] = env[2] = NAN;
    char *save = NULL;
    int k = 0;
    for (char *tok = strtok_r(buf, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save), k++)
        if (k > 2 || cli_parse_double(tok, &env[k]) != 0)
            return cli_usage_error(sub, _("--env takes TEMP_C,RH_PCT[,P_HPA], not '%s'"), value);
    if (k < 2 || !(env[1] >= 0 && env[1] <= 100) || !(env[0] >= -50 && env[0] <= 100) ||
        (k == 3 && !(env[2] > 0)))
        return cli_usage_error(sub, _("--env: temperature in degC, humidity 0-100 %%RH and "
                                    "pressure in hPa, such as 20.5,45,1013"));
    return 0;
}

#ifndef CALDAQ_DATADIR
#define CALDAQ_DATADIR "/usr/local/share/caldaq"
#endif

int cli_find_data(const char *rel, char *buf, size_t cap)
{
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = '\0';
    char *slash = strrchr(exe, '/');
    if (slash != NULL)
        *slash = '\0'; /* the program's folder */
    /* The order of docs/packaging.md: $CALDAQ_DATA; the checkout a program
     * built in it runs from (build/caldaq, build/asan/caldaq: the checkout
     * is the folder one or two above, and holds profiles/prof.h);
     * share/caldaq beside the program's bin/ (the same as DATADIR once
     * installed, and right for a tree installed with DESTDIR or moved); the
     * data folder the program was built for (DATADIR, /usr/share/caldaq in
     * the Debian package), for a BINDIR elsewhere. */
    char up1[4200], up2[4200], share[4200], mark[4300];
    const char *bases[4] = {getenv("CALDAQ_DATA"), NULL, NULL, CALDAQ_DATADIR};
    if (exe[0] != '\0') {
        snprintf(up1, sizeof up1, "%s/..", exe);
        snprintf(up2, sizeof up2, "%s/../..", exe);
        snprintf(share, sizeof share, "%s/../share/caldaq", exe);
        const char *ups[2] = {up1, up2};
        for (size_t i = 0; i < 2; i++) {
            snprintf(mark, sizeof mark, "%s/profiles/prof.h", ups[i]);
            if (access(mark, R_OK) == 0) {
                bases[1] = ups[i];
                break;
            }
        }
        bases[2] = share;
    }
    for (size_t i = 0; i < 4; i++) {
        if (bases[i] == NULL || bases[i][0] == '\0')
            continue;
        snprintf(buf, cap, "%s/%s", bases[i], rel);
        if (access(buf, R_OK) == 0)
            return 0;
    }
    return -1;
}

int cli_session_option(const char *sub, int c, const char *value, struct ses_config *cfg,
                       const char **opts, int *n, int max)
{
    switch (c) {
    case 'd':
        cfg->driver = value;
        return 0;
    case 'o':
        cfg->out_dir = value;
        return 0;
    case 'S':
        cfg->standards_path = value;
        return 0;
    case 'e':
        if (cli_env_option(sub, value, cfg->env) != 0)
            return 2;
        cfg->have_env = true;
        return 0;
    case 'l':
        if (lang_parse(value, &cfg->lang) != 0)
            return cli_usage_error(sub, _("--lang takes vi or en, not '%s'"), value);
        return 0;
    case 'R':
        cfg->records = value;
        return 0;
    case 'x':
        if (strchr(value, '=') == NULL || *n == max)
            return cli_usage_error(sub, _("--set takes KEY=VALUE, not '%s'"), value);
        opts[(*n)++] = value;
        return 0;
    default:
        return -1;
    }
}

int cli_reference_option(const char *sub, int c, const char *value, struct ses_config *cfg,
                         const char **ref_opts, int *n, int max)
{
    switch (c) {
    case CLI_OPT_REF_PORT: cfg->ref_port = value; return 0;
    case 'Q': cfg->ref_driver = value; return 0;
    case 'J': cfg->ref_serial = value; return 0;
    case 'T': cfg->typed_path = value; return 0;
    case 'K': cfg->ref_sim_control = value; return 0;
    case 'X':
        if (strchr(value, '=') == NULL || *n == max)
            return cli_usage_error(sub, _("--ref-set takes KEY=VALUE, not '%s'"), value);
        ref_opts[(*n)++] = value;
        cfg->ref_opts = ref_opts;
        return 0;
    default:
        return -1;
    }
}

int cli_open_typed(const char *sub, const struct ses_config *cfg, struct ses_term *t)
{
    if (cfg->typed_path == NULL)
        return 0;
    t->typed = fopen(cfg->typed_path, "r");
    if (t->typed == NULL)
        return cli_error(sub, _("--typed %s: %s"), cfg->typed_path, strerror(errno));
    t->typed_path = cfg->typed_path;
    return 0;
}

int cli_lab_option(const char *sub, const char *value, struct cli_lab *out)
{
    memset(out, 0, sizeof *out);
    size_t n = strlen(value);
    bool file = (n > 5 && strcmp(value + n - 5, ".yaml") == 0) ||
                (n > 4 && strcmp(value + n - 4, ".yml") == 0);
    if (!file) {
        snprintf(out->name, sizeof out->name, "%s", value);
        return 0;
    }
    struct cert_lab lab;
    struct cd_err err = {0};
    struct cd_zone *zone = NULL;
    if (cert_lab_load(value, &lab, &err) != 0 || cd_zone_load(lab.time_zone, &zone, &err) != 0)
        return cli_error(sub, _("--lab: %s"), cd_err_text(&err));
    int rc = cd_zone_today(zone, out->today);
    cd_zone_free(zone);
    if (rc != 0)
        return cli_error(sub, _("cannot tell today's date in %s"), lab.time_zone);
    snprintf(out->name, sizeof out->name, "%s", lab.name_vi);
    snprintf(out->records, sizeof out->records, "%s", lab.records);
    out->vi_decimal_point = lab.decimal_sep_vi == CD_DECSEP_POINT;
    return 0;
}

const char *cli_user(void)
{
    const char *u = getenv("USER");
    return u != NULL && u[0] != '\0' ? u : "caldaq";
}

void cli_key_warning(const char *sub, const char *lab_path)
{
    struct cert_lab lab;
    struct cd_err err = {0};
    char warning[9000];
    if (cert_lab_load(lab_path, &lab, &err) == 0 &&
        cert_key_check(lab.key, warning, sizeof warning, &err) == 0 && warning[0] != '\0')
        fprintf(stderr, _("caldaq %s: warning: %s\n"), sub, warning);
}

void cli_example_note(const char *sub, const char *path, const prof_standards *reg)
{
    if (!prof_standards_example(reg))
        return;
    fprintf(stderr, "caldaq %s: ", sub);
    fprintf(stderr,
            _("note: %s is the shipped example register: its certificates are made up and "
              "its dates follow today's. Copy it, enter your own certificates and give it "
              "with --standards (docs/standards.md).\n"),
            path);
}

int cli_out_dir(const char *sub, const char *dir)
{
    char path[4096];
    if (dir == NULL || dir[0] == '\0')
        return 0;
    if (snprintf(path, sizeof path, "%s", dir) >= (int)sizeof path)
        return cli_error(sub, _("--out %s: the folder name is too long"), dir);
    struct stat st;
    for (char *p = path + 1;; p++) {
        bool end = *p == '\0';
        if (!end && *p != '/')
            continue;
        *p = '\0';
        if (mkdir(path, 0775) != 0) {
            if (errno != EEXIST)
                return cli_error(sub, _("--out %s: cannot create the folder %s: %s"), dir, path,
                                 strerror(errno));
            if (stat(path, &st) == 0 && !S_ISDIR(st.st_mode))
                return cli_error(sub, _("--out %s: %s is a file, not a folder"), dir, path);
        }
        if (end)
            break;
        *p = '/';
    }
    if (access(dir, W_OK | X_OK) != 0)
        return cli_error(sub, _("--out %s: the folder cannot be written to (%s)"), dir,
                         strerror(errno));
    return 0;
}
