/* HDF5 types and error messages of the run store. */
#include "run_h5.h"
#include "cd_i18n.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void rs_h5_close(hid_t id)
{
    if (id < 0)
        return;
    switch (H5Iget_type(id)) {
    case H5I_FILE: H5Fclose(id); break;
    case H5I_GROUP: H5Gclose(id); break;
    case H5I_DATASET: H5Dclose(id); break;
    case H5I_ATTR: H5Aclose(id); break;
    case H5I_DATATYPE: H5Tclose(id); break;
    case H5I_DATASPACE: H5Sclose(id); break;
    case H5I_GENPROP_LST: H5Pclose(id); break;
    default: break;
    }
}

hid_t rs_h5_fapl(void)
{
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (fapl < 0)
        return -1;
    herr_t rc = H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG);
#if H5_VERSION_GE(1, 12, 1) || (H5_VERS_MAJOR == 1 && H5_VERS_MINOR == 10 && H5_VERS_RELEASE >= 7)
    if (rc >= 0)
        rc = H5Pset_file_locking(fapl, 1, 1);
#endif
    if (rc < 0) {
        H5Pclose(fapl);
        return -1;
    }
    return fapl;
}

struct why {
    char text[200];
};

static herr_t innermost(unsigned n, const H5E_error2_t *e, void *data)
{
    struct why *w = data;
    if (n == 0) {
        char minor[96] = "";
        H5Eget_msg(e->min_num, NULL, minor, sizeof minor);
        if (e->desc != NULL && e->desc[0] != '\0')
            snprintf(w->text, sizeof w->text, "%s%s%s", e->desc, minor[0] ? ": " : "", minor);
        else
            snprintf(w->text, sizeof w->text, "%s", minor);
    }
    return 0;
}

int rs_h5_fail(struct cd_err *err, int code, const char *file, const char *object,
               const char *what)
{
    struct why w = {""};
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, innermost, &w);
    H5Eclear2(H5E_DEFAULT);
    /* The library's own text ("unable to open file: name = ..., errno = 2,
     * ..., o_flags = 242") is for its developers: a user is told the
     * system's reason when the library names one, else nothing more. */
    const char *e = strstr(w.text, "errno = ");
    int n = e != NULL ? atoi(e + 8) : 0;
    if (n > 0)
        return cd_fail(err, code, _("%s: %s: cannot %s: %s"), file, object, what, strerror(n));
    return cd_fail(err, code, _("%s: %s: cannot %s"), file, object, what);
}

/* A fixed-length, NUL-terminated UTF-8 string of `size` bytes. */
static hid_t fixed_str(size_t size, H5T_str_t pad)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    if (t < 0)
        return -1;
    if (H5Tset_size(t, size) < 0 || H5Tset_strpad(t, pad) < 0 ||
        H5Tset_cset(t, H5T_CSET_UTF8) < 0) {
        H5Tclose(t);
        return -1;
    }
    return t;
}

/* Insert a fixed string member; the string type is closed here. */
static int insert_str(hid_t compound, const char *name, size_t offset, size_t size, H5T_str_t pad)
{
    hid_t s = fixed_str(size, pad);
    if (s < 0)
        return -1;
    herr_t rc = H5Tinsert(compound, name, offset, s);
    H5Tclose(s);
    return rc < 0 ? -1 : 0;
}

#define NT H5T_STR_NULLTERM
#define INS_STR(c, type, field)                                                                  \
    insert_str((c), #field, HOFFSET(type, field), sizeof(((type *)0)->field), NT)
#define INS(c, type, field, h5type) H5Tinsert((c), #field, HOFFSET(type, field), (h5type))

static hid_t make_standard(void)
{
    hid_t c = H5Tcreate(H5T_COMPOUND, sizeof(struct daq_standard));
    if (c < 0)
        return -1;
    if (INS_STR(c, struct daq_standard, id) < 0 ||
        INS_STR(c, struct daq_standard, certificate) < 0 ||
        INS(c, struct daq_standard, value, H5T_NATIVE_DOUBLE) < 0 ||
        INS(c, struct daq_standard, u, H5T_NATIVE_DOUBLE) < 0 ||
        INS(c, struct daq_standard, k, H5T_NATIVE_DOUBLE) < 0 ||
        INS_STR(c, struct daq_standard, unit) < 0 ||
        INS_STR(c, struct daq_standard, due_date) < 0 ||
        INS_STR(c, struct daq_standard, role) < 0 ||
        INS(c, struct daq_standard, nominal, H5T_NATIVE_DOUBLE) < 0 ||
        INS_STR(c, struct daq_standard, mark) < 0) {
        H5Tclose(c);
        return -1;
    }
    return c;
}

static hid_t make_env(void)
{
    hid_t c = H5Tcreate(H5T_COMPOUND, sizeof(struct daq_env));
    if (c < 0)
        return -1;
    if (INS(c, struct daq_env, t, H5T_NATIVE_DOUBLE) < 0 ||
        INS(c, struct daq_env, temp_c, H5T_NATIVE_DOUBLE) < 0 ||
        INS(c, struct daq_env, rh_pct, H5T_NATIVE_DOUBLE) < 0 ||
        INS(c, struct daq_env, p_hpa, H5T_NATIVE_DOUBLE) < 0 ||
        INS_STR(c, struct daq_env, where) < 0) {
        H5Tclose(c);
        return -1;
    }
    return c;
}

static hid_t make_reading(void)
{
    hid_t c = H5Tcreate(H5T_COMPOUND, sizeof(struct rs_reading));
    if (c < 0)
        return -1;
    if (INS(c, struct rs_reading, t, H5T_NATIVE_DOUBLE) < 0 ||
        INS(c, struct rs_reading, point, H5T_NATIVE_INT32) < 0 ||
        INS(c, struct rs_reading, repetition, H5T_NATIVE_INT32) < 0 ||
        INS(c, struct rs_reading, nominal, H5T_NATIVE_DOUBLE) < 0 ||
        INS(c, struct rs_reading, value, H5T_NATIVE_DOUBLE) < 0 ||
        INS_STR(c, struct rs_reading, unit) < 0 || INS_STR(c, struct rs_reading, status) < 0 ||
        INS_STR(c, struct rs_reading, display) < 0 ||
        INS(c, struct rs_reading, resolution, H5T_NATIVE_DOUBLE) < 0 ||
        INS_STR(c, struct rs_reading, role) < 0 || INS_STR(c, struct rs_reading, error) < 0 ||
        INS_STR(c, struct rs_reading, side) < 0 || INS_STR(c, struct rs_reading, source) < 0 ||
        INS_STR(c, struct rs_reading, who) < 0) {
        H5Tclose(c);
        return -1;
    }
    return c;
}

static hid_t make_trace_rec(void)
{
    hid_t c = H5Tcreate(H5T_COMPOUND, sizeof(struct rs_trace_rec));
    if (c < 0)
        return -1;
    if (INS(c, struct rs_trace_rec, t, H5T_NATIVE_DOUBLE) < 0 ||
        insert_str(c, "dir", HOFFSET(struct rs_trace_rec, dir), 1, H5T_STR_NULLPAD) < 0 ||
        INS(c, struct rs_trace_rec, offset, H5T_NATIVE_UINT64) < 0 ||
        INS(c, struct rs_trace_rec, length, H5T_NATIVE_UINT64) < 0) {
        H5Tclose(c);
        return -1;
    }
    return c;
}

static hid_t make_audit(void)
{
    hid_t c = H5Tcreate(H5T_COMPOUND, sizeof(struct daq_audit_entry));
    if (c < 0)
        return -1;
    if (INS(c, struct daq_audit_entry, seq, H5T_NATIVE_INT64) < 0 ||
        INS(c, struct daq_audit_entry, t, H5T_NATIVE_DOUBLE) < 0 ||
        INS_STR(c, struct daq_audit_entry, who) < 0 ||
        INS_STR(c, struct daq_audit_entry, what) < 0 ||
        INS_STR(c, struct daq_audit_entry, prev_sha256) < 0 ||
        INS_STR(c, struct daq_audit_entry, sha256) < 0) {
        H5Tclose(c);
        return -1;
    }
    return c;
}

void rs_h5_types_free(struct rs_h5_types *t)
{
    hid_t *ids[] = {&t->vstr, &t->standard, &t->env, &t->reading, &t->trace_rec, &t->audit};
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        if (*ids[i] >= 0)
            H5Tclose(*ids[i]);
        *ids[i] = -1;
    }
}

int rs_h5_types_new(struct rs_h5_types *t, struct cd_err *err)
{
    /* Errors are read from the stack and reported through cd_err: HDF5
     * must not print them. */
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    t->vstr = H5Tcopy(H5T_C_S1);
    if (t->vstr >= 0 && (H5Tset_size(t->vstr, H5T_VARIABLE) < 0 ||
                         H5Tset_cset(t->vstr, H5T_CSET_UTF8) < 0)) {
        H5Tclose(t->vstr);
        t->vstr = -1;
    }
    t->standard = make_standard();
    t->env = make_env();
    t->reading = make_reading();
    t->trace_rec = make_trace_rec();
    t->audit = make_audit();
    if (t->vstr < 0 || t->standard < 0 || t->env < 0 || t->reading < 0 || t->trace_rec < 0 ||
        t->audit < 0) {
        rs_h5_types_free(t);
        return rs_h5_fail(err, CD_ERR_IO, "run file", "datatypes", _("build the HDF5 types"));
    }
    return 0;
}

bool rs_h5_has_member(hid_t ds, const char *name)
{
    hid_t t = H5Dget_type(ds);
    if (t < 0)
        return false;
    bool has = H5Tget_class(t) == H5T_COMPOUND && H5Tget_member_index(t, name) >= 0;
    H5Tclose(t);
    return has;
}
