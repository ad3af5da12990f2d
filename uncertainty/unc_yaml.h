/* YAML pieces of the engine's file format that other caldaq loaders share
 * (profiles carry a decision rule the way model files do). Internal: not
 * installed; built on common/cd_yaml.h. */
#ifndef CALDAQ_UNC_YAML_H
#define CALDAQ_UNC_YAML_H

#include "cd_yaml.h"
#include "unc.h"

/* decision_rule: NAME | {rule: NAME, r: R}. A NULL node leaves the
 * default: simple acceptance, r = 1. Errors name the line. */
int unc_yaml_decision_rule(const struct cd_yaml_doc *y, yaml_node_t *n,
                           struct unc_decision_rule *rule);

#endif
