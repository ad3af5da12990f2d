/* YAML pieces shared with other loaders (unc_yaml.h). */
#include "unc_yaml.h"
#include "cd_i18n.h"

int unc_yaml_decision_rule(const struct cd_yaml_doc *y, yaml_node_t *n,
                           struct unc_decision_rule *rule)
{
    static const char *const keys[] = {"rule", "r", NULL};
    *rule = (struct unc_decision_rule){.rule = UNC_RULE_SIMPLE, .r = 1.0};
    if (n == NULL)
        return 0;
    yaml_node_t *name = n;
    int rc;
    if (n->type == YAML_MAPPING_NODE) {
        if ((rc = cd_yaml_check_keys(y, n, "decision_rule", keys)) != 0)
            return rc;
        name = cd_yaml_get(y, n, "rule");
        if (name == NULL)
            return cd_yaml_fail(y, n, CD_ERR_PARSE,
                                _("decision_rule: rule is missing (simple, guard-band or "
                                "non-binary)"));
        yaml_node_t *rv = cd_yaml_get(y, n, "r");
        if (rv != NULL && (rc = cd_yaml_number(y, rv, "decision_rule r", &rule->r)) != 0)
            return rc;
        if (!(rule->r >= 0))
            return cd_yaml_fail(y, rv, CD_ERR_INVALID, _("decision_rule r must not be negative"));
    }
    if (cd_yaml_scalar(name) == NULL)
        return cd_yaml_fail(y, n, CD_ERR_PARSE,
                       _("decision_rule: simple, guard-band or non-binary (or {rule: guard-band, "
                       "r: 1})"));
    struct cd_err why = {0};
    if (unc_rule_parse(cd_yaml_scalar(name), &rule->rule, &why) != 0)
        return cd_yaml_fail(y, name, CD_ERR_PARSE, "%s", why.msg);
    return 0;
}

