/* What the profile tests share: a profile or its register loaded, the test
 * failed with the loader's message otherwise. Include after <cmocka.h> and
 * "prof.h". */
#ifndef CALDAQ_PROF_SUPPORT_H
#define CALDAQ_PROF_SUPPORT_H

static inline struct prof_profile *load_ok(const char *path)
{
    struct cd_err err = {0};
    struct prof_profile *p = prof_profile_load(path, &err);
    if (p == NULL)
        fail_msg("%s", err.msg);
    return p;
}

/* The register the profile names (it must name one). */
static inline prof_standards *load_register(const struct prof_profile *p)
{
    assert_non_null(p->register_path);
    assert_true(p->register_path[0] != '\0');
    struct cd_err err = {0};
    prof_standards *reg = prof_standards_load(p->register_path, &err);
    if (reg == NULL)
        fail_msg("%s", err.msg);
    return reg;
}

#endif
