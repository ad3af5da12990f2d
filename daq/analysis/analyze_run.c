/* Analysing a run file (analyze_run.h). */
#include "analysis.h"
#include "cd_i18n.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef CALDAQ_VERSION
#define CALDAQ_VERSION "0.1.0"
#endif

/* The reference standard's certified items as the run recorded them: the
 * rows of /standards with the reference's role (or its id) and a nominal. */
struct run_reference {
    struct prof_standard std;
    struct prof_std_item *items;
};

static int reference_from_run(const struct daq_run_view *v, const struct prof_std_need *need,
                              struct run_reference *out, struct cd_err *err)
{
    out->items = calloc(v->n_standards + 1, sizeof *out->items);
    if (out->items == NULL)
        return cd_fail(err, CD_ERR_NOMEM, _("out of memory"));
    size_t n = 0;
    const struct daq_standard *first = NULL;
    for (size_t i = 0; i < v->n_standards; i++) {
        const struct daq_standard *s = &v->standards[i];
        bool mine = s->role[0] != '\0' ? strcmp(s->role, need->role) == 0
                                       : need->id[0] != '\0' && strcmp(s->id, need->id) == 0;
        if (!mine || !isfinite(s->nominal))
            continue;
        if (first != NULL && strcmp(first->id, s->id) != 0)
            return cd_fail(err, CD_ERR_INVALID,
                           _("the run records two standards for the role '%s' (%s and %s)"),
                           need->role, first->id, s->id);
        if (first == NULL)
            first = s;
        out->items[n++] = (struct prof_std_item){.nominal = s->nominal, .unit = s->unit,
                                                 .mark = s->mark, .value = s->value,
                                                 .U = s->u * s->k};
    }
    if (first == NULL)
        return cd_fail(err, CD_ERR_NOT_FOUND,
                       _("the run records no certified values for the '%s' standard: give the "
                       "register with --standards"),
                       need->role);
    out->std = (struct prof_standard){.id = first->id, .kind = need->kind,
                                      .certificate = first->certificate, .k = first->k,
                                      .n_items = n, .items = out->items};
    return 0;
}

/* The id of the standard the run used for `need`, else the profile's. */
static const char *used_id(const struct daq_run_view *v, const struct prof_std_need *need)
{
    for (size_t i = 0; i < v->n_standards; i++)
        if (strcmp(v->standards[i].role, need->role) == 0)
            return v->standards[i].id;
    return need->id;
}

static int analyse(const struct ana_file_opts *a, const struct daq_run_view *v,
                   const struct prof_profile *p, struct ana_result **res, struct cd_err *err)
{
    struct run_reference rr = {0};
    prof_standards *reg = NULL;
    const struct prof_standard *ref = NULL;
    struct cd_err missing = {0};
    int rc = 0;
    if (p->reference != NULL && p->reference->source == PROF_REF_CERTIFICATE) {
        if (a->standards_path != NULL) {
            if ((reg = prof_standards_load(a->standards_path, err)) == NULL)
                return err->code;
            const char *id = used_id(v, p->reference);
            if (id[0] == '\0')
                rc = cd_fail(err, CD_ERR_NOT_FOUND,
                             _("neither the run nor the profile names the '%s' standard"),
                             p->reference->role);
            else if ((ref = prof_standards_find(reg, id)) == NULL)
                rc = cd_fail(err, CD_ERR_NOT_FOUND, _("%s: no standard '%s' (the run's %s)"),
                             a->standards_path, id, p->reference->role);
        } else if (reference_from_run(v, p->reference, &rr, &missing) == 0) {
            ref = &rr.std;
        }
    }
    if (rc == 0) {
        struct ana_input in = {.profile = p, .readings = v->readings,
                               .n_readings = v->n_readings, .env = v->env, .n_env = v->n_env,
                               .reference = ref};
        rc = ana_run(&in, res, err);
        /* readings that do not fit the plan say more than a missing
         * reference, so the reference's absence is reported only when
         * the analysis gets as far as needing it */
        if (rc == CD_ERR_NOT_FOUND && missing.code != 0)
            *err = missing;
    }
    free(rr.items);
    prof_standards_free(reg);
    return rc;
}

static int store(const char *path, const struct ana_file_opts *a, const struct prof_profile *p,
                 json_t *doc, int *version, struct cd_err *err)
{
    char *text = json_dumps(doc, JSON_INDENT(1) | JSON_REAL_PRECISION(17));
    if (text == NULL)
        return cd_fail(err, CD_ERR_NOMEM, _("out of memory"));
    daq_run *run = NULL;
    int rc = daq_run_reopen(path, &run, err);
    if (rc == 0) {
        char engine[64], what[256];
        snprintf(engine, sizeof engine, "caldaq analyze %s", CALDAQ_VERSION);
        rc = daq_run_add_results(run, text, engine, version, err);
        snprintf(what, sizeof what, "analysis stored as results v%d: profile %s, verdict %s",
                 *version, p->name, json_string_value(json_object_get(doc, "verdict")));
        if (rc == 0)
            rc = daq_run_audit(run, a->operator_name, what, err);
        int rc2 = daq_run_close(run, NULL, rc == 0 ? err : NULL);
        if (rc == 0)
            rc = rc2;
    }
    free(text);
    return rc;
}


void ana_file_free(struct ana_file *f)
{
    if (f == NULL)
        return;
    json_decref(f->doc);
    ana_result_free(f->result);
    if (!f->profile_borrowed)
        prof_profile_free(f->profile);
    daq_run_view_free(f->view);
    *f = (struct ana_file){0};
}

int ana_file_run(const char *path, const struct ana_file_opts *o, struct ana_file *out,
                 struct cd_err *err)
{
    struct daq_run_view *v = NULL;
    if (daq_run_open(path, &v, err) != 0) {
        *out = (struct ana_file){0};
        return err->code;
    }
    return ana_file_run_view(path, v, o, out, err);
}

int ana_file_run_view(const char *path, struct daq_run_view *view, const struct ana_file_opts *o,
                      struct ana_file *out, struct cd_err *err)
{
    *out = (struct ana_file){0};
    snprintf(out->path, sizeof out->path, "%s", path);
    out->view = view;
    const struct daq_run_view *v = out->view;
    if (o->profile != NULL) {
        out->profile = (struct prof_profile *)o->profile;
        out->profile_borrowed = true;
    } else if (o->profile_path != NULL) {
        out->profile = prof_profile_load(o->profile_path, err);
    } else {
        char source[512];
        snprintf(source, sizeof source, "%s:/profile/text", path);
        struct cd_err why = {0};
        out->profile = prof_profile_load_string(v->profile_text, source, &why);
        if (out->profile == NULL)
            cd_fail(err, why.code,
                    _("the profile stored in the run (%s) cannot be used: %s; give one with "
                    "--profile"),
                    v->info.profile_name, why.msg);
    }
    int rc = out->profile == NULL ? err->code : 0;
    if (rc == 0)
        rc = analyse(o, v, out->profile, &out->result, err);
    if (rc == 0) {
        out->doc = ana_result_json(out->result, out->profile);
        if (out->doc == NULL) {
            rc = cd_fail(err, CD_ERR_NOMEM, _("out of memory"));
        } else {
            json_object_set_new(out->doc, "run_id", json_string(v->info.run_id));
            json_object_set_new(out->doc, "profile_source",
                                json_string(o->profile_path ? o->profile_path
                                                            : "stored in the run"));
            json_object_set_new(out->doc, "standards_source",
                                json_string(o->standards_path ? o->standards_path
                                                              : "stored in the run"));
        }
    }
    if (rc == 0 && o->write)
        rc = store(path, o, out->profile, out->doc, &out->version, err);
    if (rc != 0)
        ana_file_free(out);
    return rc;
}
