#include "cd_yaml.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int cd_yaml_line(const yaml_node_t *n)
{
    return n != NULL ? (int)n->start_mark.line + 1 : 0;
}

int cd_yaml_fail(const struct cd_yaml_doc *y, const yaml_node_t *n, int code, const char *fmt,
                 ...)
{
    char what[CD_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    if (n != NULL)
        return cd_fail(y->err, code, "%s:%d: %s", y->source, cd_yaml_line(n), what);
    return cd_fail(y->err, code, "%s: %s", y->source, what);
}

yaml_node_t *cd_yaml_node(const struct cd_yaml_doc *y, int id)
{
    return yaml_document_get_node(y->doc, id);
}

const char *cd_yaml_scalar(const yaml_node_t *n)
{
    return n != NULL && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

yaml_node_t *cd_yaml_get(const struct cd_yaml_doc *y, yaml_node_t *map, const char *key)
{
    if (map == NULL || map->type != YAML_MAPPING_NODE)
        return NULL;
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
         p++) {
        const char *k = cd_yaml_scalar(cd_yaml_node(y, p->key));
        if (k != NULL && strcmp(k, key) == 0)
            return cd_yaml_node(y, p->value);
    }
    return NULL;
}
