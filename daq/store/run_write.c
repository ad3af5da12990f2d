/* One complete run file built from memory (a snapshot), as bytes: the
 * caller writes them to RUN.h5.tmp and renames; this file only knows HDF5. */
#include "run_h5.h"
#include "cd_i18n.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct wctx {
    const char *path;
    const struct rs_h5_types *ty;
    struct cd_err *err;
};

static int fail(struct wctx *c, const char *object, const char *what)
{
    return rs_h5_fail(c->err, CD_ERR_IO, c->path, object, what);
}

/* A transfer property list whose type-conversion buffer fits `bytes`:
 * HDF5's default allocates and clears 1 MiB per H5Dwrite, which was most of
 * the CPU time of a snapshot. */
static hid_t xfer(size_t bytes)
{
    size_t size = bytes < 4096 ? 4096 : bytes > (1u << 20) ? (1u << 20) : bytes;
    hid_t dxpl = H5Pcreate(H5P_DATASET_XFER);
    if (dxpl >= 0 && H5Pset_buffer(dxpl, size, NULL, NULL) < 0) {
        H5Pclose(dxpl);
        return -1;
    }
    return dxpl;
}

/* A scalar variable-length UTF-8 string attribute. */
static int attr_str(struct wctx *c, hid_t obj, const char *objname, const char *name,
                    const char *value)
{
    const char *v = value != NULL ? value : "";
    hid_t sp = H5Screate(H5S_SCALAR);
    hid_t a = sp < 0 ? -1 : H5Acreate2(obj, name, c->ty->vstr, sp, H5P_DEFAULT, H5P_DEFAULT);
    herr_t rc = a < 0 ? -1 : H5Awrite(a, c->ty->vstr, &v);
    if (rc >= 0) {
        rc = H5Aclose(a);
        a = -1;
    }
    int code = 0;
    if (rc < 0) {
        /* Report before any other HDF5 call: each one clears the stack. */
        char obj_attr[160];
        snprintf(obj_attr, sizeof obj_attr, "%s attribute %s", objname, name);
        code = fail(c, obj_attr, _("write"));
    }
    rs_h5_close(a);
    rs_h5_close(sp);
    return code;
}

/* A fixed field as an attribute (up to its NUL). */
#define ATTR_FIELD(c, obj, objname, name, field)                                                 \
    attr_str_n((c), (obj), (objname), (name), (field), sizeof(field))

static int attr_str_n(struct wctx *c, hid_t obj, const char *objname, const char *name,
                      const char *field, size_t cap)
{
    char buf[512];
    size_t n = strnlen(field, cap);
    if (n >= sizeof buf)
        n = sizeof buf - 1;
    memcpy(buf, field, n);
    buf[n] = '\0';
    return attr_str(c, obj, objname, name, buf);
}

/* A scalar variable-length string dataset. */
static int text_dataset(struct wctx *c, hid_t loc, const char *name, const char *objname,
                        const char *text, hid_t *out)
{
    const char *v = text != NULL ? text : "";
    hid_t sp = H5Screate(H5S_SCALAR);
    hid_t ds = sp < 0 ? -1
                      : H5Dcreate2(loc, name, c->ty->vstr, sp, H5P_DEFAULT, H5P_DEFAULT,
                                   H5P_DEFAULT);
    hid_t dxpl = xfer(0);
    herr_t rc = ds < 0 || dxpl < 0 ? -1 : H5Dwrite(ds, c->ty->vstr, H5S_ALL, H5S_ALL, dxpl, &v);
    int code = rc < 0 ? fail(c, objname, ds < 0 ? "create" : "write") : 0;
    if (dxpl >= 0)
        H5Pclose(dxpl);
    if (sp >= 0)
        H5Sclose(sp);
    if (code != 0) {
        if (ds >= 0)
            H5Dclose(ds);
        return code;
    }
    *out = ds;
    return 0;
}

static hsize_t clamp(size_t n, hsize_t lo, hsize_t hi)
{
    hsize_t v = (hsize_t)n;
    return v < lo ? lo : v > hi ? hi : v;
}

/* A chunked, extendable 1-D dataset of `n` rows of `memtype` (stored
 * packed). The dataset is returned open for its attributes. */
static int table(struct wctx *c, hid_t loc, const char *name, const char *objname, hid_t memtype,
                 const void *rows, size_t n, hsize_t chunk, hid_t *out)
{
    hsize_t dims[1] = {(hsize_t)n};
    hsize_t maxdims[1] = {H5S_UNLIMITED};
    hsize_t cdims[1] = {chunk};
    hid_t ft = H5Tcopy(memtype);
    if (ft >= 0 && H5Tget_class(ft) == H5T_COMPOUND && H5Tpack(ft) < 0) {
        H5Tclose(ft);
        ft = -1;
    }
    hid_t sp = H5Screate_simple(1, dims, maxdims);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    hid_t ds = -1;
    const char *what = "create";
    /* Every element is written at once: no fill values first. */
    if (ft >= 0 && sp >= 0 && dcpl >= 0 && H5Pset_chunk(dcpl, 1, cdims) >= 0 &&
        H5Pset_fill_time(dcpl, H5D_FILL_TIME_NEVER) >= 0)
        ds = H5Dcreate2(loc, name, ft, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    herr_t rc = ds < 0 ? -1 : 0;
    if (rc == 0 && n > 0) {
        what = "write";
        size_t row = H5Tget_size(memtype);
        hid_t dxpl = xfer(n * (row + row / 2));
        rc = dxpl < 0 ? -1 : H5Dwrite(ds, memtype, H5S_ALL, H5S_ALL, dxpl, rows);
        if (rc < 0) {
            int code = fail(c, objname, what);
            rs_h5_close(dxpl);
            rs_h5_close(dcpl);
            rs_h5_close(sp);
            rs_h5_close(ft);
            H5Dclose(ds);
            return code;
        }
        H5Pclose(dxpl);
    }
    int code = rc < 0 ? fail(c, objname, what) : 0;
    if (dcpl >= 0)
        H5Pclose(dcpl);
    if (sp >= 0)
        H5Sclose(sp);
    if (ft >= 0)
        H5Tclose(ft);
    if (code != 0) {
        if (ds >= 0)
            H5Dclose(ds);
        return code;
    }
    *out = ds;
    return 0;
}

static int close_obj(struct wctx *c, hid_t id, const char *objname)
{
    herr_t rc = H5Iget_type(id) == H5I_GROUP ? H5Gclose(id) : H5Dclose(id);
    return rc < 0 ? fail(c, objname, _("close")) : 0;
}

static int group(struct wctx *c, hid_t loc, const char *name, const char *objname, hid_t *out)
{
    *out = H5Gcreate2(loc, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    return *out < 0 ? fail(c, objname, _("create")) : 0;
}

static int write_root(struct wctx *c, hid_t f, const struct rs_data *d)
{
    const struct daq_run_info *i = &d->info;
    const char *o = "/";
    if (attr_str(c, f, o, "schema", DAQ_RUN_SCHEMA) != 0 ||
        ATTR_FIELD(c, f, o, "run_id", i->run_id) != 0 ||
        ATTR_FIELD(c, f, o, "started", i->started) != 0 ||
        ATTR_FIELD(c, f, o, "ended", i->ended) != 0 ||
        ATTR_FIELD(c, f, o, "status", i->status) != 0 ||
        ATTR_FIELD(c, f, o, "operator", i->operator_name) != 0 ||
        ATTR_FIELD(c, f, o, "lab", i->lab) != 0 ||
        ATTR_FIELD(c, f, o, "profile_name", i->profile_name) != 0 ||
        ATTR_FIELD(c, f, o, "profile_sha256", i->profile_sha256) != 0 ||
        ATTR_FIELD(c, f, o, "caldaq_version", i->caldaq_version) != 0 ||
        ATTR_FIELD(c, f, o, "content_sha256", d->content_sha256) != 0 ||
        attr_str(c, f, o, "content_manifest", d->manifest) != 0)
        return CD_ERR_IO;
    return 0;
}

static int write_profile(struct wctx *c, hid_t f, const struct rs_data *d)
{
    hid_t g, ds;
    int rc = group(c, f, "profile", "/profile", &g);
    if (rc != 0)
        return rc;
    rc = text_dataset(c, g, "text", "/profile/text", d->profile, &ds);
    if (rc == 0)
        rc = close_obj(c, ds, "/profile/text");
    int rc2 = close_obj(c, g, "/profile");
    return rc != 0 ? rc : rc2;
}

static int write_device(struct wctx *c, hid_t f, const struct rs_data *d)
{
    hid_t g;
    int rc = group(c, f, "device", "/device", &g);
    if (rc != 0)
        return rc;
    const struct daq_device *v = &d->device;
    const char *o = "/device";
    if (ATTR_FIELD(c, g, o, "driver", v->driver) != 0 ||
        ATTR_FIELD(c, g, o, "port", v->port) != 0 ||
        ATTR_FIELD(c, g, o, "settings", v->settings) != 0 ||
        ATTR_FIELD(c, g, o, "manufacturer", v->id.manufacturer) != 0 ||
        ATTR_FIELD(c, g, o, "model", v->id.model) != 0 ||
        ATTR_FIELD(c, g, o, "serial", v->id.serial) != 0 ||
        ATTR_FIELD(c, g, o, "firmware", v->id.firmware) != 0 ||
        (v->side[0] != '\0' && ATTR_FIELD(c, g, o, "side", v->side) != 0))
        rc = CD_ERR_IO;
    int rc2 = close_obj(c, g, o);
    return rc != 0 ? rc : rc2;
}

static int write_tables(struct wctx *c, hid_t f, const struct rs_data *d)
{
    const struct rs_h5_types *ty = c->ty;
    const struct rs_units *u = &d->units;
    hid_t ds;
    int rc = table(c, f, "standards", "/standards", ty->standard, d->standards, d->n_standards,
                   clamp(d->n_standards, 8, 64), &ds);
    if (rc != 0)
        return rc;
    if ((rc = close_obj(c, ds, "/standards")) != 0)
        return rc;

    rc = table(c, f, "environment", "/environment", ty->env, d->env, d->n_env,
               clamp(d->n_env, 8, 256), &ds);
    if (rc != 0)
        return rc;
    const char *o = "/environment";
    if (ATTR_FIELD(c, ds, o, "t_unit", u->env_t) != 0 ||
        ATTR_FIELD(c, ds, o, "temp_c_unit", u->env_temp) != 0 ||
        ATTR_FIELD(c, ds, o, "rh_pct_unit", u->env_rh) != 0 ||
        ATTR_FIELD(c, ds, o, "p_hpa_unit", u->env_p) != 0)
        rc = CD_ERR_IO;
    int rc2 = close_obj(c, ds, o);
    if (rc != 0 || rc2 != 0)
        return rc != 0 ? rc : rc2;

    rc = table(c, f, "readings", "/readings", ty->reading, d->readings, d->n_readings,
               clamp(d->n_readings, 16, 512), &ds);
    if (rc != 0)
        return rc;
    rc = ATTR_FIELD(c, ds, "/readings", "t_unit", u->readings_t);
    rc2 = close_obj(c, ds, "/readings");
    if (rc != 0 || rc2 != 0)
        return rc != 0 ? rc : rc2;

    rc = table(c, f, "audit", "/audit", ty->audit, d->audit, d->n_audit, clamp(d->n_audit, 8, 256),
               &ds);
    if (rc != 0)
        return rc;
    rc = ATTR_FIELD(c, ds, "/audit", "t_unit", u->audit_t);
    rc2 = close_obj(c, ds, "/audit");
    return rc != 0 ? rc : rc2;
}

static int write_trace(struct wctx *c, hid_t f, const struct rs_data *d)
{
    hid_t g, ds;
    int rc = group(c, f, "trace", "/trace", &g);
    if (rc != 0)
        return rc;
    const struct drv_trace_header *h = &d->trace_header;
    const char *o = "/trace";
    if (ATTR_FIELD(c, g, o, "transport", h->transport) != 0 ||
        ATTR_FIELD(c, g, o, "port", h->port) != 0 ||
        ATTR_FIELD(c, g, o, "settings", h->settings) != 0 ||
        ATTR_FIELD(c, g, o, "driver", h->driver) != 0 ||
        ATTR_FIELD(c, g, o, "started", h->started) != 0)
        rc = CD_ERR_IO;
    if (rc == 0)
        rc = table(c, g, "bytes", "/trace/bytes", H5T_NATIVE_UINT8, d->trace_bytes,
                   d->n_trace_bytes, clamp(d->n_trace_bytes, 1024, 65536), &ds);
    if (rc == 0)
        rc = close_obj(c, ds, "/trace/bytes");
    if (rc == 0)
        rc = table(c, g, "index", "/trace/index", c->ty->trace_rec, d->trace, d->n_trace,
                   clamp(d->n_trace, 16, 1024), &ds);
    if (rc == 0) {
        rc = ATTR_FIELD(c, ds, "/trace/index", "t_unit", d->units.trace_t);
        int rc2 = close_obj(c, ds, "/trace/index");
        if (rc == 0)
            rc = rc2;
    }
    int rc3 = close_obj(c, g, o);
    return rc != 0 ? rc : rc3;
}

static int write_results(struct wctx *c, hid_t f, const struct rs_data *d)
{
    hid_t g;
    int rc = group(c, f, "results", "/results", &g);
    for (size_t i = 0; rc == 0 && i < d->n_results; i++) {
        const struct rs_result *r = &d->results[i];
        char name[32], objname[48];
        snprintf(name, sizeof name, "v%d", r->version);
        snprintf(objname, sizeof objname, "/results/%s", name);
        hid_t ds;
        rc = text_dataset(c, g, name, objname, r->json, &ds);
        if (rc != 0)
            break;
        if (ATTR_FIELD(c, ds, objname, "created", r->created) != 0 ||
            ATTR_FIELD(c, ds, objname, "engine", r->engine) != 0)
            rc = CD_ERR_IO;
        int rc2 = close_obj(c, ds, objname);
        if (rc == 0)
            rc = rc2;
    }
    if (g >= 0) {
        int rc2 = close_obj(c, g, "/results");
        if (rc == 0)
            rc = rc2;
    }
    return rc;
}

/* How much the core driver grows its buffer by: about the size of the file,
 * so that a snapshot takes a few reallocations, not hundreds. */
static size_t image_increment(const struct rs_data *d)
{
    size_t est = 64 * 1024 + d->n_readings * sizeof *d->readings + d->n_trace_bytes +
                 d->n_trace * sizeof *d->trace + d->n_audit * sizeof *d->audit +
                 strlen(d->profile != NULL ? d->profile : "");
    for (size_t i = 0; i < d->n_results; i++)
        est += strlen(d->results[i].json) + 256;
    return est;
}

int rs_h5_image(const char *label, const struct rs_data *d, void **image, size_t *len,
                struct cd_err *err)
{
    *image = NULL;
    *len = 0;
    struct rs_h5_types ty;
    int rc = rs_h5_types_new(&ty, err);
    if (rc != 0)
        return rc;
    struct wctx c = {.path = label, .ty = &ty, .err = err};
    /* The core driver without a backing store: the file is built in memory
     * and nothing here touches the disk. */
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (fapl < 0 || H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG) < 0 ||
        H5Pset_fapl_core(fapl, image_increment(d), 0) < 0) {
        rc = fail(&c, "/", _("set up the file access"));
        rs_h5_close(fapl);
        rs_h5_types_free(&ty);
        return rc;
    }
    hid_t f = H5Fcreate(label, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
    H5Pclose(fapl);
    if (f < 0) {
        rc = fail(&c, "/", _("create the file"));
        rs_h5_types_free(&ty);
        return rc;
    }
    rc = write_root(&c, f, d);
    if (rc == 0)
        rc = write_profile(&c, f, d);
    if (rc == 0)
        rc = write_device(&c, f, d);
    if (rc == 0)
        rc = write_tables(&c, f, d);
    if (rc == 0)
        rc = write_trace(&c, f, d);
    if (rc == 0)
        rc = write_results(&c, f, d);
    /* The image of the file as a close would leave it: flushed first (the
     * image is what the driver holds, and the metadata cache is not in it
     * until a flush), then asked once for its size, once for the bytes. */
    if (rc == 0 && H5Fflush(f, H5F_SCOPE_LOCAL) < 0)
        rc = fail(&c, "/", _("flush the file"));
    ssize_t size = rc == 0 ? H5Fget_file_image(f, NULL, 0) : -1;
    void *buf = size > 0 ? malloc((size_t)size) : NULL;
    if (rc == 0 && size <= 0)
        rc = fail(&c, "/", _("take the image of the file"));
    else if (rc == 0 && buf == NULL)
        rc = cd_fail(err, CD_ERR_NOMEM, _("%s: out of memory for a %zd-byte snapshot"), label,
                     size);
    else if (rc == 0 && H5Fget_file_image(f, buf, (size_t)size) != size)
        rc = fail(&c, "/", _("take the image of the file"));
    /* In memory a close has nothing to write, so it cannot leave a
     * half-closed file behind for HDF5's exit handler. */
    if (H5Fclose(f) < 0 && rc == 0)
        rc = fail(&c, "/", _("close the file"));
    rs_h5_types_free(&ty);
    if (rc != 0) {
        free(buf);
        return rc;
    }
    *image = buf;
    *len = (size_t)size;
    return 0;
}
