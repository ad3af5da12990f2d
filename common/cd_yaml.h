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

/* "a list", "a mapping" or "a value", for messages. */
const char *cd_yaml_type_name(const yaml_node_t *n);
/* `map` must be a mapping whose keys are all in `known` (NULL-terminated),
 * each at most once: a misspelt key is an error (CD_ERR_PARSE naming the
 * line and the known keys), not silently ignored. `what` names the mapping
 * in messages. */
int cd_yaml_check_keys(const struct cd_yaml_doc *y, yaml_node_t *map, const char *what,
                       const char *const *known);
/* A finite number. YAML's .nan and .inf are recognised so that they are
 * refused as values (CD_ERR_INVALID) rather than as text (CD_ERR_PARSE). */
int cd_yaml_number(const struct cd_yaml_doc *y, const yaml_node_t *n, const char *what,
                   double *out);
/* Parse one YAML document from a file or a string into *doc (the caller
 * deletes it with yaml_document_delete on success). Syntax errors name
 * `source` and the line; a quote or bracket left open is reported at the
 * line where it opened. */
int cd_yaml_load_file(const char *path, yaml_document_t *doc, struct cd_err *err);
/* The whole of a text file, NUL-terminated (the caller frees it); a NUL
 * byte inside is an error naming its line. */
int cd_yaml_read_file(const char *path, char **text, struct cd_err *err);
int cd_yaml_load_string(const char *text, const char *source, yaml_document_t *doc,
                        struct cd_err *err);

#endif
