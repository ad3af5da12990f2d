/* HDF5 pieces shared by run_write.c and run_read.c (internal to the run
 * store). The only header of caldaq that includes hdf5.h. */
#ifndef CALDAQ_RUN_H5_H
#define CALDAQ_RUN_H5_H

#include <stdbool.h>

#include <hdf5.h>

#include "run_int.h"

/* The compound and string types of a run file, in memory layout. The file
 * types are packed copies (rs_h5_types_file). */
struct rs_h5_types {
    hid_t vstr;             /* variable-length UTF-8 string */
    hid_t standard;         /* struct daq_standard */
    hid_t env;              /* struct daq_env */
    hid_t reading;          /* struct rs_reading */
    hid_t trace_rec;        /* struct rs_trace_rec */
    hid_t audit;            /* struct daq_audit_entry */
};

/* Silence HDF5's printing (the error stack is read by rs_h5_fail), build
 * the types. 0 or CD_ERR_IO. */
int rs_h5_types_new(struct rs_h5_types *t, struct cd_err *err);
void rs_h5_types_free(struct rs_h5_types *t);

/* cd_fail(err, code, "FILE: OBJECT: cannot WHAT (HDF5: why)") with the
 * innermost message of HDF5's error stack, which it then clears. */
int rs_h5_fail(struct cd_err *err, int code, const char *file, const char *object,
               const char *what);

/* A file access property list: strong close (closing the file closes what
 * is left open), and HDF5's file locks used where the file system has them
 * but not required (some network file systems, where archives live, lack
 * them). -1 on failure. */
hid_t rs_h5_fapl(void);

/* Close an id of any kind if valid (H5Fclose, H5Dclose, ...). */
void rs_h5_close(hid_t id);
/* Whether the compound type of dataset `ds` has a member called `name`. */
bool rs_h5_has_member(hid_t ds, const char *name);

#endif
