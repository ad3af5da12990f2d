/* Reading YAML documents (libyaml's document API) with errors that name
 * the file and line: the helpers every caldaq loader of YAML files shares
 * (model files, standards registers, profiles). Internal to caldaq: not
 * installed, and no public header includes it. */
#ifndef CALDAQ_CD_YAML_H
#define CALDAQ_CD_YAML_H

#include <yaml.h>

#include "cd.h"

struct cd_yaml_doc {
    yaml_document_t *doc;
    const char *source;     /* the file name in messages */
    struct cd_err *err;
};

/* 1-based line of a node, 0 for NULL. */
int cd_yaml_line(const yaml_node_t *n);
/* Report "SOURCE:LINE: message" (or "SOURCE: message" for a NULL node) and
 * return `code`. */
int cd_yaml_fail(const struct cd_yaml_doc *y, const yaml_node_t *n, int code, const char *fmt,
                 ...) __attribute__((format(printf, 4, 5)));
yaml_node_t *cd_yaml_node(const struct cd_yaml_doc *y, int id);
/* The text of a scalar node; NULL for other nodes and NULL. */
const char *cd_yaml_scalar(const yaml_node_t *n);
/* The value of `key` in a mapping; NULL when absent or not a mapping. */
yaml_node_t *cd_yaml_get(const struct cd_yaml_doc *y, yaml_node_t *map, const char *key);

#endif
