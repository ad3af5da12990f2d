/* caldaq standards check FILE: validate a reference standards register and
 * say which standards are in date. */
#include <getopt.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "prof.h"
#include "cd_i18n.h"

static const char usage_text[] = N_(
    "usage: caldaq standards check FILE [--on YYYY-MM-DD] [--json]\n"
    "\n"
    "Load and validate a reference standards register (weight sets, pressure\n"
    "references, calibrators, ...) and list each standard with its certificate,\n"
    "U and k, due date and the days left. Exits 1 when the file is invalid or\n"
    "when any standard is past its due date on the given day; the due date\n"
    "itself is the last day a standard may be used.\n"
    "\n"
    "  --on DATE   the day to check (default: today in Asia/Ho_Chi_Minh, the labs'\n"
    "              default time zone, whatever TZ says)\n"
    "  --json      machine-readable results on stdout\n"
    "\n"
    "Register format: docs/standards.md.\n");

struct std_args {
    const char *path;
    char on[11];
    bool json;
};

static int parse_args(int argc, char **argv, struct std_args *a)
{
    static const struct option opts[] = {
        {"on", required_argument, NULL, 'o'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    *a = (struct std_args){0};
    int rc = cli_action("standards", "check", _(usage_text), argc, argv);
    if (rc != 0)
        return rc;
    argc--;
    argv++;
    optind = 0;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case 'o':
            if (cli_date_option("standards", optarg, a->on) != 0)
                return 2;
            break;
        case 'j':
            a->json = true;
            break;
        case 'h':
            fputs(_(usage_text), stdout);
            return -1;
        case ':':
        default: return cli_option_error("standards", c, argv);
        }
    }
    if (optind != argc - 1)
        return cli_usage_error("standards", optind >= argc ? _("no register file given")
                                                           : _("give exactly one register file"));
    a->path = argv[optind];
    if (a->on[0] == '\0' && cd_today(a->on) != 0)
        return cli_error("standards", _("cannot tell today's date: give --on YYYY-MM-DD"));
    return 0;
}

/* The fewest decimals (at least `min`, at most 12) that show v as written:
 * 0.00001 -> 5, 100.00003 -> 5. */
static int decimals_of(double v, int min)
{
    for (int d = min; d < 12; d++) {
        double scale = pow(10.0, d);
        if (fabs(round(v * scale) / scale - v) <= 1e-9 * fabs(v))
            return d;
    }
    return 12;
}

static void print_text(const struct std_args *a, const prof_standards *reg, const long *left)
{
    size_t n = prof_standards_count(reg);
    printf(_("Reference standards register %s\n"), a->path);
    if (prof_standards_lab(reg)[0] != '\0')
        printf(_("Lab: %s\n"), prof_standards_lab(reg));
    printf(_("Checked on %s: %zu standard%s\n"), a->on, n, n == 1 ? "" : "s");
    for (size_t i = 0; i < n; i++) {
        const struct prof_standard *s = prof_standards_get(reg, i);
        printf("\n%s  %s", s->id, prof_std_kind_name(s->kind));
        if (s->class_name[0] != '\0')
            printf(_(", class %s"), s->class_name);
        printf("\n");
        if (s->description[0] != '\0')
            printf("  %s\n", s->description);
        printf(_("  certificate %s"), s->certificate);
        if (s->issued_by[0] != '\0')
            printf(" (%s)", s->issued_by);
        printf("\n  ");
        if (s->calibrated[0] != '\0')
            printf(_("calibrated %s, "), s->calibrated);
        printf(_("due %s: "), s->due);
        if (left[i] > 1)
            printf(_("%ld days left\n"), left[i]);
        else if (left[i] == 1)
            printf(_("1 day left\n"));
        else if (left[i] == 0)
            printf(_("due today (the last day of use)\n"));
        else
            printf(_("OVERDUE by %ld day%s: may not be used\n"), -left[i], left[i] == -1 ? "" : "s");
        printf("  k = %g\n", s->k);
        printf("    %-14s %-20s %s\n", "nominal", "value", "U");
        for (size_t j = 0; j < s->n_items; j++) {
            const struct prof_std_item *it = &s->items[j];
            /* U with two significant digits at least, the value to the
             * same decimal place or finer: 100.000030 g, U 0.000050 g. */
            int du = decimals_of(it->U, it->U >= 10 ? 0 : 1 - (int)floor(log10(it->U)));
            int dv = decimals_of(it->value, du);
            char nominal[64], value[64];
            snprintf(nominal, sizeof nominal, "%.10g %s%s", it->nominal, it->unit, it->mark);
            snprintf(value, sizeof value, "%.*f %s", dv, it->value, it->unit);
            printf("    %-14s %-20s %.*f %s\n", nominal, value, du, it->U, it->unit);
        }
    }
}

static json_t *json_register(const struct std_args *a, const prof_standards *reg,
                             const long *left, size_t overdue)
{
    json_t *list = json_array();
    json_t *late = json_array();
    for (size_t i = 0; i < prof_standards_count(reg); i++) {
        const struct prof_standard *s = prof_standards_get(reg, i);
        json_t *items = json_array();
        for (size_t j = 0; j < s->n_items; j++) {
            const struct prof_std_item *it = &s->items[j];
            json_array_append_new(
                items, json_pack("{s:o, s:s, s:s, s:o, s:o, s:o}", "nominal",
                                 cli_json_number(it->nominal), "unit", it->unit, "mark",
                                 it->mark, "value", cli_json_number(it->value), "U",
                                 cli_json_number(it->U), "u", cli_json_number(it->U / s->k)));
        }
        json_array_append_new(
            list,
            json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:s, s:I, s:b, s:o, s:o, s:i}", "id",
                      s->id, "kind", prof_std_kind_name(s->kind), "description", s->description,
                      "class", s->class_name, "certificate", s->certificate, "issued_by",
                      s->issued_by, "calibrated",
                      s->calibrated[0] ? json_string(s->calibrated) : json_null(), "due", s->due,
                      "days_left", (json_int_t)left[i], "in_date", left[i] >= 0, "k",
                      cli_json_number(s->k), "items", items, "line", s->line));
        if (left[i] < 0)
            json_array_append_new(late, json_string(s->id));
    }
    return json_pack("{s:s, s:s, s:b, s:s, s:b, s:o, s:o}", "file", a->path, "lab",
                     prof_standards_lab(reg), "example", prof_standards_example(reg), "on",
                     a->on, "ok", overdue == 0, "standards", list, "overdue", late);
}

int cmd_standards(int argc, char **argv)
{
    struct std_args a;
    int rc = parse_args(argc, argv, &a);
    if (rc != 0)
        return rc < 0 ? 0 : rc;

    struct cd_err err = {0};
    prof_standards *reg = prof_standards_load(a.path, &err);
    if (reg == NULL)
        return cli_error("standards", "%s", cd_err_text(&err));
    cli_example_note("standards", a.path, reg);
    size_t n = prof_standards_count(reg);
    long *left = calloc(n > 0 ? n : 1, sizeof *left);
    if (left == NULL) {
        prof_standards_free(reg);
        return cli_error("standards", _("out of memory"));
    }
    size_t overdue = 0;
    for (size_t i = 0; i < n; i++) {
        const struct prof_standard *s = prof_standards_get(reg, i);
        cd_err_clear(&err);
        if (prof_standard_days_left(s, a.on, &left[i], &err) != 0) {
            free(left);
            prof_standards_free(reg);
            return cli_error("standards", "%s", cd_err_text(&err));
        }
        if (left[i] < 0)
            overdue++;
    }
    int status = 0;
    if (a.json)
        status = cli_json_print(json_register(&a, reg, left, overdue));
    else
        print_text(&a, reg, left);
    fflush(stdout);
    for (size_t i = 0; i < n; i++) {
        cd_err_clear(&err);
        if (prof_standard_check_due(prof_standards_get(reg, i), a.on, &err) != 0) {
            status = cli_error("standards", _("%s:%d: %s (checked on %s)"), a.path,
                               prof_standards_get(reg, i)->line, cd_err_text(&err), a.on);
        }
    }
    if (overdue > 0)
        status = cli_error("standards", _("%zu of %zu standards past their due date on %s"),
                           overdue, n, a.on);
    free(left);
    prof_standards_free(reg);
    return status;
}
