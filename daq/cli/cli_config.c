/* The configuration file (docs/configuration.md): the lab file, the
 * standards register, the records database, the language and the output
 * folder a bench always uses, so that a technician types
 * `caldaq session --profile P --port P` and nothing else. Read, in order,
 * from $CALDAQ_SYSCONFDIR/caldaq/caldaq.yaml (default /etc), then
 * $XDG_CONFIG_HOME/caldaq/caldaq.yaml (default ~/.config), then the file
 * --config names; a later file's key replaces an earlier one's, and an
 * option on the command line replaces them all. The values become options
 * placed before the command's own, so every command parses them the way it
 * parses what is typed. */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <yaml.h>

#include "cd_i18n.h"
#include "cd_yaml.h"

static const char *const cfg_keys[] = {"lab", "standards", "records", "lang", "out", NULL};
static const char *const cfg_options[] = {"--lab", "--standards", "--records", "--lang", "--out"};

/* Which keys each command takes (as its options of the same name). */
static const struct {
    const char *command;
    bool takes[CFG_N];
} uses[] = {
    {"session", {true, true, true, true, true}},
    {"replay", {true, true, true, true, true}},
    {"acquire", {true, true, false, false, true}},
    {"cert", {true, false, true, true, false}},
    {"analyze", {false, true, false, false, false}},
};

/* A relative path in a config file is relative to the file's folder (a
 * records URL is left as it is). */
static void resolve(const char *file, const char *value, char *out, size_t cap)
{
    const char *slash = strrchr(file, '/');
    if (value[0] == '/' || strstr(value, "://") != NULL || slash == NULL)
        snprintf(out, cap, "%s", value);
    else
        snprintf(out, cap, "%.*s/%s", (int)(slash - file), file, value);
}

int cli_config_parse(const char *text, const char *path, struct cli_config *c,
                     struct cd_err *err)
{
    yaml_document_t doc;
    if (cd_yaml_load_string(text, path, &doc, err) != 0)
        return err->code;
    struct cd_yaml_doc y = {.doc = &doc, .source = path, .err = err};
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    int rc = 0;
    if (root == NULL)
        goto done; /* an empty file sets nothing */
    if ((rc = cd_yaml_check_keys(&y, root, _("the configuration"), cfg_keys)) != 0)
        goto done;
    for (int k = 0; k < CFG_N; k++) {
        yaml_node_t *n = cd_yaml_get(&y, root, cfg_keys[k]);
        if (n == NULL)
            continue;
        const char *v = cd_yaml_scalar(n);
        if (v == NULL || v[0] == '\0') {
            rc = cd_yaml_fail(&y, n, CD_ERR_PARSE, _("%s must be a file name or a value, not %s"),
                              cfg_keys[k], v == NULL ? cd_yaml_type_name(n) : _("empty"));
            goto done;
        }
        if (k == CFG_LANG && strcmp(v, "vi") != 0 && strcmp(v, "en") != 0) {
            rc = cd_yaml_fail(&y, n, CD_ERR_INVALID, _("lang must be vi or en, not '%s'"), v);
            goto done;
        }
        /* files named relative to the configuration file's folder; the
         * lab may be just its name; out is relative to where caldaq runs */
        bool is_path = k != CFG_LANG && k != CFG_OUT &&
                       !(k == CFG_LAB && strstr(v, ".yaml") == NULL && strstr(v, ".yml") == NULL);
        if (is_path)
            resolve(path, v, c->value[k], sizeof c->value[k]);
        else
            snprintf(c->value[k], sizeof c->value[k], "%s", v);
        snprintf(c->from[k], sizeof c->from[k], "%s:%d", path, cd_yaml_line(n));
    }
done:
    yaml_document_delete(&doc);
    return rc;
}

/* One of the configuration files: none is fine unless --config named it. */
static int read_if_there(const char *path, bool must, struct cli_config *c, struct cd_err *err)
{
    if (!must && access(path, F_OK) != 0)
        return 0;
    char *text = NULL;
    if (cd_yaml_read_file(path, &text, err) != 0)
        return err->code;
    int rc = cli_config_parse(text, path, c, err);
    free(text);
    return rc;
}

int cli_config_apply(int *argc, char ***argv)
{
    /* --config FILE (or --config=FILE) anywhere before "--": taken out */
    const char *explicit_path = NULL;
    int n = *argc;
    char **v = *argv;
    for (int i = 1; i < n; i++) {
        if (strcmp(v[i], "--") == 0)
            break;
        int take = 0;
        if (strcmp(v[i], "--config") == 0) {
            if (i + 1 >= n) {
                fprintf(stderr, "caldaq: %s\n", _("--config needs a file"));
                return 2;
            }
            explicit_path = v[i + 1];
            take = 2;
        } else if (strncmp(v[i], "--config=", 9) == 0) {
            explicit_path = v[i] + 9;
            take = 1;
        }
        if (take > 0) {
            memmove(&v[i], &v[i + take], (size_t)(n - i - take + 1) * sizeof *v);
            n -= take;
            i--;
        }
    }
    *argc = n;
    if (n < 2)
        return 0;
    size_t which = sizeof uses / sizeof uses[0];
    for (size_t i = 0; i < sizeof uses / sizeof uses[0]; i++)
        if (strcmp(uses[i].command, v[1]) == 0)
            which = i;
    if (which == sizeof uses / sizeof uses[0]) {
        if (explicit_path != NULL) {
            fprintf(stderr, "caldaq: ");
            fprintf(stderr, _("--config: caldaq %s takes nothing from a configuration file "
                              "(docs/configuration.md)\n"),
                    v[1]);
            return 2;
        }
        return 0;
    }
    for (int i = 2; i < n; i++)
        if (strcmp(v[i], "--help") == 0 || strcmp(v[i], "-h") == 0)
            return 0;

    struct cli_config *c = calloc(1, sizeof *c);
    if (c == NULL) {
        fprintf(stderr, "caldaq: out of memory\n");
        return 1;
    }
    char sys[4096], user[4096];
    const char *etc = getenv("CALDAQ_SYSCONFDIR");
    snprintf(sys, sizeof sys, "%s/caldaq/caldaq.yaml", etc != NULL && etc[0] ? etc : "/etc");
    const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
    if (xdg != NULL && xdg[0] == '/')
        snprintf(user, sizeof user, "%s/caldaq/caldaq.yaml", xdg);
    else if (home != NULL && home[0] != '\0')
        snprintf(user, sizeof user, "%s/.config/caldaq/caldaq.yaml", home);
    else
        user[0] = '\0';
    struct cd_err err = {0};
    int rc = read_if_there(sys, false, c, &err);
    if (rc == 0 && user[0] != '\0')
        rc = read_if_there(user, false, c, &err);
    if (rc == 0 && explicit_path != NULL)
        rc = read_if_there(explicit_path, true, c, &err);
    if (rc != 0) {
        fprintf(stderr, "caldaq %s: %s\n", v[1], cd_err_text(&err));
        free(c);
        return 1;
    }
    /* the values as options right after the command's name: what is typed
     * comes later and wins */
    int add = 0;
    for (int k = 0; k < CFG_N; k++)
        if (uses[which].takes[k] && c->value[k][0] != '\0')
            add += 2;
    if (add == 0) {
        free(c);
        return 0;
    }
    /* one block: the new vector, then the values it points at, so that
     * the caller frees it with one free() */
    size_t text = 0;
    for (int k = 0; k < CFG_N; k++)
        if (uses[which].takes[k] && c->value[k][0] != '\0')
            text += strlen(c->value[k]) + 1;
    size_t slots = (size_t)(n + add + 1);
    char **out = calloc(1, slots * sizeof *out + text);
    if (out == NULL) {
        free(c);
        fprintf(stderr, "caldaq: out of memory\n");
        return 1;
    }
    int m = 0;
    char *values = (char *)(out + slots);
    out[m++] = v[0];
    out[m++] = v[1];
    for (int k = 0; k < CFG_N; k++) {
        if (!uses[which].takes[k] || c->value[k][0] == '\0')
            continue;
        size_t len = strlen(c->value[k]) + 1;
        memcpy(values, c->value[k], len);
        out[m++] = (char *)cfg_options[k];
        out[m++] = values;
        values += len;
    }
    for (int i = 2; i < n; i++)
        out[m++] = v[i];
    out[m] = NULL;
    free(c);
    *argc = m;
    *argv = out; /* the caller frees it (one block) when it is not the one it gave */
    return 0;
}
