/* Read a run file into memory. Members of compound datasets are matched by
 * name (HDF5 converts), so a file with extra fields or another field order
 * still reads; a missing object or attribute is an error naming it.
 *
 * The file may be damaged (a bad disk, a bad copy, an attacker), and HDF5
 * 1.10 trusts much of what it reads. Before each read the sizes are
 * checked against what a run can hold and against the file's own size
 * (types, dataspaces, string lengths, rows, links: an absurd one is
 * damage, named), and variable-length strings are checked in the file's
 * bytes first (run_h5raw.c). What remains is caught by reading in a child
 * process (run_guard.c). */
#include "run_h5.h"
#include "cd_i18n.h"

#include <errno.h>
#include <stdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct rctx {
    const char *path;
    const struct rs_h5_types *ty;
    struct cd_err *err;
    uint64_t file_size;         /* what no size in the file can exceed */
    struct rs_raw *raw;         /* NULL: the byte checks are skipped */
};

/* Objects inside an opened file: a failure means the file is damaged or
 * not a run (CD_ERR_PARSE), not that it could not be opened. */
static int fail(struct rctx *c, const char *object, const char *what)
{
    return rs_h5_fail(c->err, CD_ERR_PARSE, c->path, object, what);
}

static int nomem(struct rctx *c)
{
    return cd_fail(c->err, CD_ERR_NOMEM, _("%s: out of memory"), c->path);
}

static int damaged(struct rctx *c, const char *object, const char *what, const char *why)
{
    return cd_fail(c->err, CD_ERR_PARSE, _("%s: %s%s%s: damaged: %s"), c->path, object,
                   what[0] ? ": " : "", what, why);
}

/* The address of the object header of `obj`, for the byte checks. */
static bool header_addr(hid_t obj, uint64_t *addr)
{
#if H5_VERSION_GE(1, 12, 0)
    H5O_info2_t oi;
    haddr_t a;
    if (H5Oget_info3(obj, &oi, H5O_INFO_BASIC) < 0 ||
        H5VLnative_token_to_addr(obj, oi.token, &a) < 0) {
        H5Eclear2(H5E_DEFAULT);
        return false;
    }
    *addr = a;
#else
    H5O_info_t oi;
    if (H5Oget_info2(obj, &oi, H5O_INFO_BASIC) < 0) {
        H5Eclear2(H5E_DEFAULT);
        return false;
    }
    *addr = oi.addr;
#endif
    return true;
}

/* Attribute `name` of `obj` checked in the file's bytes before the library
 * reads it (rs_raw_check_attr); 0 when sound or not checkable. */
static int check_attr_bytes(struct rctx *c, hid_t obj, const char *objname, const char *name)
{
    uint64_t addr;
    if (c->raw == NULL || !header_addr(obj, &addr))
        return 0;
    char why[200] = "", what[96];
    if (rs_raw_check_attr(c->raw, addr, name, RS_MAX_ATTR_BYTES, why, sizeof why) >= 0)
        return 0;
    snprintf(what, sizeof what, _("attribute %s"), name);
    return damaged(c, objname, what, why);
}

/* A scalar string attribute, variable or fixed length; *out owned. */
static int attr_string(struct rctx *c, hid_t obj, const char *objname, const char *name,
                       char **out)
{
    *out = NULL;
    htri_t exists = H5Aexists(obj, name);
    if (exists <= 0) {
        H5Eclear2(H5E_DEFAULT);
        return cd_fail(c->err, CD_ERR_PARSE, _("%s: %s: attribute %s is missing"), c->path,
                       objname, name);
    }
    char what[96];
    snprintf(what, sizeof what, _("read attribute %s"), name);
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
    hid_t ft = a < 0 ? -1 : H5Aget_type(a);
    hid_t sp = a < 0 ? -1 : H5Aget_space(a);
    int rc = 0;
    if (ft < 0 || sp < 0) {
        rc = fail(c, objname, what);
    } else if (H5Tget_class(ft) != H5T_STRING || H5Sget_simple_extent_npoints(sp) != 1) {
        rc = cd_fail(c->err, CD_ERR_PARSE, _("%s: %s: attribute %s is not a single string"),
                     c->path, objname, name);
    } else if ((rc = check_attr_bytes(c, obj, objname, name)) != 0) {
        /* said */
    } else if (H5Tis_variable_str(ft) > 0) {
        char *p = NULL;
        if (H5Aread(a, c->ty->vstr, &p) < 0) {
            rc = fail(c, objname, what);
        } else {
            *out = strdup(p != NULL ? p : "");
            H5Dvlen_reclaim(c->ty->vstr, sp, H5P_DEFAULT, &p);
            if (*out == NULL)
                rc = nomem(c);
        }
    } else {
        size_t size = H5Tget_size(ft);
        char *buf = NULL;
        if (size == 0 || size > RS_MAX_ATTR_BYTES || size > c->file_size) {
            char why[96], label[80];
            snprintf(why, sizeof why, _("its string type is %zu bytes long"), size);
            snprintf(label, sizeof label, _("attribute %s"), name);
            rc = damaged(c, objname, label, why);
        } else if ((buf = calloc(1, size + 1)) == NULL) {
            rc = nomem(c);
        } else if (H5Aread(a, ft, buf) < 0) {
            free(buf);
            rc = fail(c, objname, what);
        } else {
            *out = buf;
        }
    }
    rs_h5_close(sp);
    rs_h5_close(ft);
    rs_h5_close(a);
    return rc;
}

/* Into a fixed field (truncated to fit). */
#define ATTR_INTO(c, obj, objname, name, field)                                                  \
    attr_into((c), (obj), (objname), (name), (field), sizeof(field))

static int attr_into(struct rctx *c, hid_t obj, const char *objname, const char *name,
                     char *field, size_t cap)
{
    char *s = NULL;
    int rc = attr_string(c, obj, objname, name, &s);
    if (rc == 0)
        rs_copy(field, cap, s);
    free(s);
    return rc;
}

/* A scalar string dataset (the profile text, a result); *out owned. */
static int text_dataset(struct rctx *c, hid_t loc, const char *name, const char *objname,
                        char **out, hid_t *ds_out)
{
    *out = NULL;
    hid_t ds = H5Dopen2(loc, name, H5P_DEFAULT);
    if (ds < 0)
        return fail(c, objname, _("open"));
    hid_t ft = H5Dget_type(ds);
    hid_t sp = H5Dget_space(ds);
    int rc = 0;
    if (ft < 0 || sp < 0) {
        rc = fail(c, objname, _("read"));
    } else if (H5Tget_class(ft) != H5T_STRING || H5Sget_simple_extent_npoints(sp) != 1) {
        rc = cd_fail(c->err, CD_ERR_PARSE, _("%s: %s is not a single string"), c->path, objname);
    } else if (H5Tis_variable_str(ft) > 0) {
        char *p = NULL;
        /* the string's descriptor is the dataset's data when contiguous
         * (how caldaq writes it); another layout is left unchecked */
        haddr_t at = H5Dget_offset(ds);
        char why[200] = "";
        H5Eclear2(H5E_DEFAULT);
        if (c->raw != NULL && at != HADDR_UNDEF &&
            rs_raw_check_vstr(c->raw, at, RS_MAX_TEXT_BYTES, why, sizeof why) < 0) {
            rc = damaged(c, objname, "", why);
        } else if (H5Dread(ds, c->ty->vstr, H5S_ALL, H5S_ALL, H5P_DEFAULT, &p) < 0) {
            rc = fail(c, objname, _("read"));
        } else {
            *out = strdup(p != NULL ? p : "");
            H5Dvlen_reclaim(c->ty->vstr, sp, H5P_DEFAULT, &p);
            if (*out == NULL)
                rc = nomem(c);
        }
    } else {
        size_t size = H5Tget_size(ft);
        char *buf = NULL;
        if (size == 0 || size > RS_MAX_TEXT_BYTES || size > c->file_size) {
            char why[96];
            snprintf(why, sizeof why, _("its string type is %zu bytes long"), size);
            rc = damaged(c, objname, "", why);
        } else if ((buf = calloc(1, size + 1)) == NULL)
            rc = nomem(c);
        else if (H5Dread(ds, ft, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0)
            rc = fail(c, objname, _("read"));
        if (rc == 0)
            *out = buf;
        else
            free(buf);
    }
    rs_h5_close(sp);
    rs_h5_close(ft);
    if (rc != 0 || ds_out == NULL)
        H5Dclose(ds);
    else
        *ds_out = ds;
    return rc;
}

/* Whether the members of a compound file type lie inside its records:
 * the library converts each member from its offset without checking (a
 * damaged offset made H5T__conv_struct_opt copy from outside the buffer).
 * `why` says which member. */
static bool compound_damaged(hid_t ft, size_t size, char *why, size_t cap)
{
    if (H5Tget_class(ft) != H5T_COMPOUND)
        return false;
    int n = H5Tget_nmembers(ft);
    if (n < 0) {
        H5Eclear2(H5E_DEFAULT);
        snprintf(why, cap, "its record type cannot be read");
        return true;
    }
    for (int i = 0; i < n; i++) {
        size_t off = H5Tget_member_offset(ft, (unsigned)i);
        hid_t mt = H5Tget_member_type(ft, (unsigned)i);
        size_t msize = mt < 0 ? 0 : H5Tget_size(mt);
        rs_h5_close(mt);
        if (mt < 0 || msize == 0 || off > size || msize > size - off) {
            H5Eclear2(H5E_DEFAULT);
            snprintf(why, cap,
                     "its record type is damaged (member %d: %zu bytes at offset %zu of a "
                     "%zu-byte record)",
                     i, msize, off, size);
            return true;
        }
    }
    return false;
}

/* A 1-D dataset of rows of `memtype`, opened (returned in *ds_out for its
 * attributes, or closed when ds_out is NULL). */
static int table(struct rctx *c, hid_t loc, const char *name, const char *objname, hid_t memtype,
                 size_t rowsize, void **rows, size_t *n, size_t *cap, hid_t *ds_out)
{
    hid_t ds = H5Dopen2(loc, name, H5P_DEFAULT);
    if (ds < 0)
        return fail(c, objname, _("open"));
    hid_t sp = H5Dget_space(ds);
    hid_t ft = H5Dget_type(ds);
    hid_t dcpl = H5Dget_create_plist(ds);
    int rc = 0;
    char why[160];
    hssize_t count = sp < 0 ? -1 : H5Sget_simple_extent_npoints(sp);
    size_t fsize = ft < 0 ? 0 : H5Tget_size(ft);
    /* Rows of an unfiltered table are all in the file; a filter (none
     * written by caldaq, but h5repack can add deflate) compresses at most
     * about 1000:1. More rows than that is a damaged dataspace, which
     * would otherwise be allocated and read. */
    int filters = dcpl < 0 ? 0 : H5Pget_nfilters(dcpl);
    uint64_t room = c->file_size * (filters != 0 ? 1024 : 1);
    if (count < 0 || ft < 0) {
        rc = fail(c, objname, _("read the size of"));
    } else if (H5Sget_simple_extent_ndims(sp) != 1) {
        rc = cd_fail(c->err, CD_ERR_PARSE, _("%s: %s is not a one-dimensional table"), c->path,
                     objname);
    } else if (H5Tget_class(ft) != H5Tget_class(memtype) || fsize == 0) {
        rc = cd_fail(c->err, CD_ERR_PARSE, _("%s: %s is not a table of %s"), c->path, objname,
                     H5Tget_class(memtype) == H5T_COMPOUND ? "records" : "bytes");
    } else if (compound_damaged(ft, fsize, why, sizeof why)) {
        rc = damaged(c, objname, "", why);
    } else if ((uint64_t)count > room / fsize) {
        snprintf(why, sizeof why, "it says %lld rows of %zu bytes, more than the file (%llu "
                 "bytes) holds", (long long)count, fsize, (unsigned long long)c->file_size);
        rc = damaged(c, objname, "", why);
    } else {
        size_t k = (size_t)count;
        void *buf = calloc(k > 0 ? k : 1, rowsize);
        if (buf == NULL) {
            rc = nomem(c);
        } else if (k > 0 && H5Dread(ds, memtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0) {
            free(buf);
            rc = fail(c, objname, _("read"));
        } else {
            free(*rows);
            *rows = buf;
            *n = k;
            if (cap != NULL)
                *cap = k > 0 ? k : 1;
        }
    }
    rs_h5_close(dcpl);
    rs_h5_close(ft);
    rs_h5_close(sp);
    if (rc != 0 || ds_out == NULL)
        H5Dclose(ds);
    else
        *ds_out = ds;
    return rc;
}

static int open_group(struct rctx *c, hid_t loc, const char *name, const char *objname, hid_t *g)
{
    *g = H5Gopen2(loc, name, H5P_DEFAULT);
    return *g < 0 ? fail(c, objname, _("open")) : 0;
}

static int read_root(struct rctx *c, hid_t f, struct rs_data *d)
{
    struct daq_run_info *i = &d->info;
    const char *o = "/";
    char *schema = NULL;
    struct cd_err why = {0};
    struct rctx quiet = *c;
    quiet.err = &why;
    /* A schema that is there but cannot be read is a damaged run, not
     * another kind of file. */
    htri_t has = H5Aexists(f, "schema");
    H5Eclear2(H5E_DEFAULT);
    int rc = attr_string(has > 0 ? c : &quiet, f, o, "schema", &schema);
    if (rc != 0 && has > 0)
        return rc;
    if (rc != 0)
        return cd_fail(c->err, CD_ERR_UNSUPPORTED, _("%s: not a caldaq run (%s)"), c->path,
                       why.msg);
    if (strcmp(schema, DAQ_RUN_SCHEMA) != 0)
        rc = cd_fail(c->err, CD_ERR_UNSUPPORTED,
                     _("%s: schema \"%.64s\" is not supported (this caldaq reads %s)"),
                     c->path, schema, DAQ_RUN_SCHEMA);
    free(schema);
    if (rc != 0)
        return rc;
    if (ATTR_INTO(c, f, o, "run_id", i->run_id) != 0 ||
        ATTR_INTO(c, f, o, "started", i->started) != 0 ||
        ATTR_INTO(c, f, o, "ended", i->ended) != 0 ||
        ATTR_INTO(c, f, o, "status", i->status) != 0 ||
        ATTR_INTO(c, f, o, "operator", i->operator_name) != 0 ||
        ATTR_INTO(c, f, o, "lab", i->lab) != 0 ||
        ATTR_INTO(c, f, o, "profile_name", i->profile_name) != 0 ||
        ATTR_INTO(c, f, o, "profile_sha256", i->profile_sha256) != 0 ||
        ATTR_INTO(c, f, o, "caldaq_version", i->caldaq_version) != 0 ||
        ATTR_INTO(c, f, o, "content_sha256", d->content_sha256) != 0)
        return CD_ERR_PARSE;
    return attr_string(c, f, o, "content_manifest", &d->manifest);
}

static int read_device(struct rctx *c, hid_t f, struct rs_data *d)
{
    hid_t g;
    int rc = open_group(c, f, "device", "/device", &g);
    if (rc != 0)
        return rc;
    struct daq_device *v = &d->device;
    const char *o = "/device";
    if (ATTR_INTO(c, g, o, "driver", v->driver) != 0 ||
        ATTR_INTO(c, g, o, "port", v->port) != 0 ||
        ATTR_INTO(c, g, o, "settings", v->settings) != 0 ||
        ATTR_INTO(c, g, o, "manufacturer", v->id.manufacturer) != 0 ||
        ATTR_INTO(c, g, o, "model", v->id.model) != 0 ||
        ATTR_INTO(c, g, o, "serial", v->id.serial) != 0 ||
        ATTR_INTO(c, g, o, "firmware", v->id.firmware) != 0 ||
        /* issue 16; absent in runs made before */
        (H5Aexists(g, "side") > 0 && ATTR_INTO(c, g, o, "side", v->side) != 0))
        rc = CD_ERR_PARSE;
    H5Gclose(g);
    return rc;
}

static int read_tables(struct rctx *c, hid_t f, struct rs_data *d)
{
    const struct rs_h5_types *ty = c->ty;
    struct rs_units *u = &d->units;
    hid_t ds;
    int rc = table(c, f, "standards", "/standards", ty->standard, sizeof *d->standards,
                   (void **)&d->standards, &d->n_standards, &d->cap_standards, &ds);
    if (rc == 0) {
        d->standards_items = rs_h5_has_member(ds, "nominal");
        for (size_t i = 0; i < d->n_standards && !d->standards_items; i++)
            d->standards[i].nominal = NAN;
        H5Dclose(ds);
    }
    if (rc == 0)
        rc = table(c, f, "environment", "/environment", ty->env, sizeof *d->env,
                   (void **)&d->env, &d->n_env, &d->cap_env, &ds);
    if (rc != 0)
        return rc;
    const char *o = "/environment";
    if (ATTR_INTO(c, ds, o, "t_unit", u->env_t) != 0 ||
        ATTR_INTO(c, ds, o, "temp_c_unit", u->env_temp) != 0 ||
        ATTR_INTO(c, ds, o, "rh_pct_unit", u->env_rh) != 0 ||
        ATTR_INTO(c, ds, o, "p_hpa_unit", u->env_p) != 0)
        rc = CD_ERR_PARSE;
    H5Dclose(ds);
    if (rc != 0)
        return rc;

    rc = table(c, f, "readings", "/readings", ty->reading, sizeof *d->readings,
               (void **)&d->readings, &d->n_readings, &d->cap_readings, &ds);
    if (rc != 0)
        return rc;
    rc = ATTR_INTO(c, ds, "/readings", "t_unit", u->readings_t);
    H5Dclose(ds);
    if (rc != 0)
        return rc;

    rc = table(c, f, "audit", "/audit", ty->audit, sizeof *d->audit, (void **)&d->audit,
               &d->n_audit, &d->cap_audit, &ds);
    if (rc != 0)
        return rc;
    rc = ATTR_INTO(c, ds, "/audit", "t_unit", u->audit_t);
    H5Dclose(ds);
    return rc;
}

static int read_trace(struct rctx *c, hid_t f, struct rs_data *d)
{
    hid_t g, ds;
    int rc = open_group(c, f, "trace", "/trace", &g);
    if (rc != 0)
        return rc;
    struct drv_trace_header *h = &d->trace_header;
    const char *o = "/trace";
    if (ATTR_INTO(c, g, o, "transport", h->transport) != 0 ||
        ATTR_INTO(c, g, o, "port", h->port) != 0 ||
        ATTR_INTO(c, g, o, "settings", h->settings) != 0 ||
        ATTR_INTO(c, g, o, "driver", h->driver) != 0 ||
        ATTR_INTO(c, g, o, "started", h->started) != 0)
        rc = CD_ERR_PARSE;
    if (rc == 0)
        rc = table(c, g, "bytes", "/trace/bytes", H5T_NATIVE_UINT8, 1, (void **)&d->trace_bytes,
                   &d->n_trace_bytes, &d->cap_trace_bytes, NULL);
    if (rc == 0)
        rc = table(c, g, "index", "/trace/index", c->ty->trace_rec, sizeof *d->trace,
                   (void **)&d->trace, &d->n_trace, &d->cap_trace, &ds);
    if (rc == 0) {
        rc = ATTR_INTO(c, ds, "/trace/index", "t_unit", d->units.trace_t);
        H5Dclose(ds);
    }
    H5Gclose(g);
    return rc;
}

/* "v12" -> 12; 0 when the name is not a result version. */
static int version_of(const char *name)
{
    if (name[0] != 'v' || name[1] < '1' || name[1] > '9')
        return 0;
    long v = 0;
    for (const char *p = name + 1; *p != '\0'; p++) {
        if (*p < '0' || *p > '9' || v > 100000000)
            return 0;
        v = v * 10 + (*p - '0');
    }
    return (int)v;
}

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

static int read_results(struct rctx *c, hid_t f, struct rs_data *d)
{
    hid_t g;
    int rc = open_group(c, f, "results", "/results", &g);
    if (rc != 0)
        return rc;
    H5G_info_t gi;
    if (H5Gget_info(g, &gi) < 0) {
        rc = fail(c, "/results", _("list"));
        H5Gclose(g);
        return rc;
    }
    /* a link costs the file far more than 32 bytes (a name, an entry, an
     * object header): more is a damaged count, not results */
    if (gi.nlinks > c->file_size / 32) {
        char why[96];
        snprintf(why, sizeof why, "it says %llu results versions",
                 (unsigned long long)gi.nlinks);
        H5Gclose(g);
        return damaged(c, "/results", "", why);
    }
    int *versions = calloc(gi.nlinks > 0 ? gi.nlinks : 1, sizeof *versions);
    if (versions == NULL) {
        H5Gclose(g);
        return nomem(c);
    }
    for (hsize_t i = 0; rc == 0 && i < gi.nlinks; i++) {
        char name[64];
        ssize_t l = H5Lget_name_by_idx(g, ".", H5_INDEX_NAME, H5_ITER_INC, i, name, sizeof name,
                                       H5P_DEFAULT);
        if (l < 0) {
            rc = fail(c, "/results", _("list"));
        } else if ((size_t)l >= sizeof name || (versions[i] = version_of(name)) == 0) {
            rc = cd_fail(c->err, CD_ERR_PARSE,
                         _("%s: /results/%s is not a result version (v1, v2, ...)"), c->path, name);
        }
    }
    if (rc == 0)
        qsort(versions, gi.nlinks, sizeof *versions, cmp_int);
    for (hsize_t i = 0; rc == 0 && i < gi.nlinks; i++) {
        char name[32], objname[48];
        snprintf(name, sizeof name, "v%d", versions[i]);
        snprintf(objname, sizeof objname, "/results/%s", name);
        char *json = NULL;
        hid_t ds;
        rc = text_dataset(c, g, name, objname, &json, &ds);
        if (rc != 0)
            break;
        struct rs_result r = {.version = versions[i], .json = json};
        if (ATTR_INTO(c, ds, objname, "created", r.created) != 0 ||
            ATTR_INTO(c, ds, objname, "engine", r.engine) != 0)
            rc = CD_ERR_PARSE;
        H5Dclose(ds);
        if (rc == 0 && rs_add_result(d, r.version, r.created, r.engine, json) != 0)
            rc = nomem(c);
        free(json);
    }
    free(versions);
    H5Gclose(g);
    return rc;
}

/* Every index row must point inside /trace/bytes. */
static int validate_trace(const char *path, const struct rs_data *d, struct cd_err *err)
{
    for (size_t i = 0; i < d->n_trace; i++) {
        const struct rs_trace_rec *r = &d->trace[i];
        if (r->dir != '>' && r->dir != '<' && r->dir != '!')
            return cd_fail(err, CD_ERR_PARSE,
                           _("%s: /trace/index row %zu: direction 0x%02X is not '>', '<' or '!'"),
                           path, i, (unsigned char)r->dir);
        if (r->offset > d->n_trace_bytes || r->length > d->n_trace_bytes - r->offset)
            return cd_fail(err, CD_ERR_PARSE,
                           _("%s: /trace/index row %zu: bytes %llu+%llu lie outside /trace/bytes "
                           "(%zu bytes)"),
                           path, i, (unsigned long long)r->offset, (unsigned long long)r->length,
                           d->n_trace_bytes);
    }
    return 0;
}

int rs_h5_read(const char *path, struct rs_data *d, struct cd_err *err)
{
    rs_data_init(d);
    if (access(path, F_OK) != 0)
        return cd_fail(err, errno == ENOENT ? CD_ERR_NOT_FOUND : CD_ERR_IO, "%s: %s", path,
                       strerror(errno));
    struct rs_h5_types ty;
    int rc = rs_h5_types_new(&ty, err);
    if (rc != 0)
        return rc;
    struct stat st;
    struct rctx c = {.path = path, .ty = &ty, .err = err,
                     .file_size = stat(path, &st) == 0 ? (unsigned long long)st.st_size : 0};
    htri_t is = H5Fis_hdf5(path);
    if (is <= 0) {
        H5Eclear2(H5E_DEFAULT);
        rs_h5_types_free(&ty);
        if (is == 0)
            return cd_fail(err, CD_ERR_UNSUPPORTED, _("%s: not an HDF5 file (not a caldaq run)"),
                           path);
        return cd_fail(err, CD_ERR_IO, _("%s: cannot read"), path);
    }
    hid_t fapl = rs_h5_fapl();
    hid_t f = fapl < 0 ? -1 : H5Fopen(path, H5F_ACC_RDONLY, fapl);
    if (f < 0) {
        rc = rs_h5_fail(err, CD_ERR_IO, path, "/", _("open the file"));
        rs_h5_close(fapl);
        rs_h5_types_free(&ty);
        return rc;
    }
    rs_h5_close(fapl);
    hsize_t file_size = 0;
    H5Fget_filesize(f, &file_size);
    c.file_size = file_size;
    /* The byte checks read the file the library has open (its POSIX
     * descriptor, the default sec2 driver's), with the superblock's sizes
     * and base address. */
    struct rs_raw raw;
    hid_t fcpl = H5Fget_create_plist(f);
    hid_t fapl_now = H5Fget_access_plist(f);
    size_t sizeof_addr = 0, sizeof_size = 0;
    hsize_t userblock = 0;
    int *fd = NULL;
    if (fcpl >= 0 && fapl_now >= 0 && H5Pget_driver(fapl_now) == H5FD_SEC2 &&
        H5Fget_vfd_handle(f, fapl_now, (void **)&fd) >= 0 && fd != NULL &&
        H5Pget_sizes(fcpl, &sizeof_addr, &sizeof_size) >= 0 &&
        H5Pget_userblock(fcpl, &userblock) >= 0 &&
        rs_raw_open(&raw, *fd, userblock, (unsigned)sizeof_addr, (unsigned)sizeof_size) == 0)
        c.raw = &raw;
    rs_h5_close(fapl_now);
    rs_h5_close(fcpl);
    H5Eclear2(H5E_DEFAULT);
    rc = read_root(&c, f, d);
    if (rc == 0) {
        hid_t ds;
        rc = text_dataset(&c, f, "profile/text", "/profile/text", &d->profile, &ds);
        if (rc == 0)
            H5Dclose(ds);
    }
    if (rc == 0)
        rc = read_device(&c, f, d);
    if (rc == 0)
        rc = read_tables(&c, f, d);
    if (rc == 0)
        rc = read_trace(&c, f, d);
    if (rc == 0)
        rc = read_results(&c, f, d);
    rs_raw_close(c.raw);
    H5Fclose(f);
    H5Eclear2(H5E_DEFAULT);
    rs_h5_types_free(&ty);
    if (rc == 0)
        rc = validate_trace(path, d, err);
    if (rc != 0)
        rs_data_free(d);
    return rc;
}
