/* Internals of the run store (daq/run*.c), shared by its files and by
 * nothing else. The contract is run.h; the format is docs/run-format.md.
 *
 *   run_data.c   the in-memory run (struct rs_data): growable tables, copies
 *   run_hash.c   canonical serialisation, section digests, manifest, audit hash
 *   run_h5.c     HDF5 types and error messages shared by the two below
 *   run_write.c  one struct rs_data -> one complete HDF5 file
 *   run_read.c   one HDF5 file -> struct rs_data (and its stored manifest)
 *   run.c        the writer: create, add, checkpoint (snapshot + rename), close,
 *                reopen, resume; the reading journal and the trace journal
 *   run_view.c   daq_run_open, daq_run_verify, the journal reader
 *   run_h5raw.c  checks of a file's bytes before HDF5 reads variable-length
 *                strings (attribute messages, global heap)
 *   run_guard.c  a file read in a child process with a time limit
 *
 * Rows are kept in memory exactly as they are stored in the file (fixed
 * strings, NUL-padded), so the writer and the checker hash the same bytes.
 */
#ifndef CALDAQ_RUN_INT_H
#define CALDAQ_RUN_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "run.h"

/* One row of /readings (a daq_reading with its status as text). */
struct rs_reading {
    double t;
    int32_t point;
    int32_t repetition;
    double nominal;
    double value;
    char unit[16];
    char status[16];
    char display[64];
    double resolution;
    char role[16];
    char error[64];
    /* issue 16: "" in runs made before (the item's instrument) */
    char side[12];
    char source[12];
    char who[64];
};

/* One row of /trace/index. */
struct rs_trace_rec {
    double t;               /* seconds since the trace started */
    char dir;               /* '>' '<' '!' */
    uint64_t offset;        /* into /trace/bytes */
    uint64_t length;
};

/* One dataset /results/vN. */
struct rs_result {
    int version;            /* N */
    char created[40];       /* ISO 8601 with offset */
    char engine[64];
    char *json;             /* owned */
};

/* Unit attributes as stored (the writer puts the schema's constants). */
struct rs_units {
    char env_t[64], env_temp[16], env_rh[16], env_p[16];
    char readings_t[64];
    char trace_t[64];
    char audit_t[64];
};

#define RS_UNIT_EPOCH "s since 1970-01-01T00:00:00Z"
#define RS_UNIT_TRACE "s since the trace started (attribute started of /trace)"

struct rs_data {
    struct daq_run_info info;
    char *profile;                      /* owned, never NULL once set up */
    struct daq_device device;
    struct rs_units units;

    struct daq_standard *standards;
    size_t n_standards, cap_standards;
    /* /standards has the item columns (role, nominal, mark): every file
     * written since they were added. Older files lack them; their hash
     * covers the columns they have, so they still verify. */
    bool standards_items;
    struct daq_env *env;
    size_t n_env, cap_env;
    struct rs_reading *readings;
    size_t n_readings, cap_readings;

    struct drv_trace_header trace_header;
    uint8_t *trace_bytes;
    size_t n_trace_bytes, cap_trace_bytes;
    struct rs_trace_rec *trace;
    size_t n_trace, cap_trace;

    struct rs_result *results;
    size_t n_results, cap_results;
    struct daq_audit_entry *audit;
    size_t n_audit, cap_audit;

    char content_sha256[65];            /* as stored (reader) or last written */
    char *manifest;                     /* as stored (reader) or last written; owned */
};

/* ------------------------------------------------------------ run_data.c */

void rs_data_init(struct rs_data *d);
void rs_data_free(struct rs_data *d);      /* the contents, not d */
/* Grow *p (of *cap elements of `size`) to hold `need`; 0 or CD_ERR_NOMEM. */
int rs_grow(void **p, size_t *cap, size_t need, size_t size);
int rs_add_trace(struct rs_data *d, double t, char dir, const uint8_t *buf, size_t len);
int rs_add_result(struct rs_data *d, int version, const char *created, const char *engine,
                  const char *json);
void rs_units_default(struct rs_units *u);

/* daq_reading <-> row. rs_reading_from fails on an unknown status enum. */
int rs_reading_from(const struct daq_reading *r, struct rs_reading *row);
/* Unknown status text gives DRV_STATUS_ERROR and returns -1. */
int rs_reading_to(const struct rs_reading *row, struct daq_reading *r);
/* "stable" ... -> enum; -1 when unknown. */
int rs_status_parse(const char *s);

/* Copy `src` into a fixed field, zero-padding the rest (the file keeps the
 * padding: it must not be garbage). */
void rs_copy(char *dst, size_t cap, const char *src);
#define RS_COPY(dst, src) rs_copy((dst), sizeof(dst), (src))

/* Time helpers: seconds since the epoch, and local ISO 8601 with offset. */
double rs_now(void);
void rs_iso8601(double t, char *buf, size_t cap);

/* ------------------------------------------------------------ run_hash.c */

struct rs_digest {
    char name[32];          /* "/", "/readings", "/results/v2", ... */
    uint8_t sha[32];
};

/* The section digests of `d` in manifest order; *out owned by the caller
 * (free). */
int rs_digests(const struct rs_data *d, struct rs_digest **out, size_t *n);
/* "HEX  NAME\n" per section; owned by the caller. */
char *rs_manifest_text(const struct rs_digest *dg, size_t n);
/* SHA-256 of `len` bytes as 64 lowercase hex digits. */
void rs_sha256_hex(const void *buf, size_t len, char out[65]);
void rs_hex(const uint8_t sha[32], char out[65]);
/* The hash of an audit entry (docs/run-format.md, "Audit chain"). */
void rs_audit_hash(const char *prev_sha256, int64_t seq, double t, const char *who,
                   const char *what, char out[65]);
/* Fill d->manifest and d->content_sha256 from the content. */
int rs_seal(struct rs_data *d);

/* ------------------------------------------------------------ run_write.c, run_read.c */

/* `d` (sealed) as a complete HDF5 file in memory: *image (owned by the
 * caller, free()) of *len bytes. HDF5 never touches the disk here (its core
 * driver without a backing store): the caller writes the bytes with plain
 * write(2), so that a full disk is an ordinary write error. (Written by
 * HDF5 itself, a full disk made H5Fclose fail and leave a half-closed file
 * that HDF5's exit handler closed again, crashing the program.) Errors
 * name `label` (the file the image is for) and the object. */
int rs_h5_image(const char *label, const struct rs_data *d, void **image, size_t *len,
                struct cd_err *err);
/* Read a run file. CD_ERR_IO / CD_ERR_NOT_FOUND when the file cannot be
 * opened as HDF5, CD_ERR_UNSUPPORTED for another schema, CD_ERR_PARSE when
 * an object is missing or malformed. */
int rs_h5_read(const char *path, struct rs_data *d, struct cd_err *err);

/* ------------------------------------------------------------ run_h5raw.c */

/* A file's bytes, for the checks HDF5 1.10 does not make before reading
 * a variable-length string (run_h5raw.c says which). Addresses are the
 * format's: relative to the base address; sizes of addresses and lengths
 * as the superblock says. */
struct rs_raw {
    int fd;
    uint64_t size;              /* of the file */
    uint64_t base;
    unsigned sizeof_addr, sizeof_size;
    uint8_t *heap;              /* the last global heap collection read */
    uint64_t heap_addr, heap_size;
};

/* Largest strings read: an attribute (the content manifest grows by a
 * line per results version: 1 MiB is ten thousand versions), a text
 * dataset (the profile, a results version). Anything larger is damage. */
#define RS_MAX_ATTR_BYTES (UINT64_C(1) << 20)
#define RS_MAX_TEXT_BYTES (UINT64_C(64) << 20)

/* The file the library has open as descriptor `fd` (not the path: a
 * session may rename a new snapshot over it while it is read). 0, or -1
 * (the checks are then skipped: the library says what is wrong). */
int rs_raw_open(struct rs_raw *r, int fd, uint64_t base, unsigned sizeof_addr,
                unsigned sizeof_size);
void rs_raw_close(struct rs_raw *r);
/* The results of the checks: 0 sound; RS_RAW_UNCHECKED for a layout the
 * checks do not read (the library reads it as it is); -1 damaged, with
 * `why` ("its string says it is 4294967295 bytes long, ..."). */
#define RS_RAW_UNCHECKED 1
/* Attribute `name` of the object whose header is at `header`: the message
 * whole, its value as long as its type and dataspace say, and for a
 * variable-length string the string: at most `max_len` bytes, an object
 * of that length in a sound global heap collection. */
int rs_raw_check_attr(struct rs_raw *r, uint64_t header, const char *name, uint64_t max_len,
                      char *why, size_t cap);
/* The variable-length string whose descriptor is at `addr` (the data of a
 * contiguous scalar dataset). */
int rs_raw_check_vstr(struct rs_raw *r, uint64_t addr, uint64_t max_len, char *why, size_t cap);

/* ------------------------------------------------------------ run_guard.c */

/* rs_h5_read in the reader's child process (struct daq_run_reader, run.h),
 * with its time limit: a crash or a hang in the library ends the child,
 * not the caller. CD_ERR_PARSE "PATH: damaged run file (the HDF5 library
 * crashed reading it: WHY)" when it died, CD_ERR_TIMEOUT "PATH: damaged
 * run file (reading it took longer than N s)" when it was killed;
 * otherwise what rs_h5_read returned. */
int rs_reader_read(daq_run_reader *r, const char *path, struct rs_data *d, struct cd_err *err);
/* In a process caldaq forked to read file after file: keep freed memory
 * for the next file instead of giving it back to the kernel (run_guard.c). */
void rs_keep_freed_memory(void);

/* ------------------------------------------------------------ run_view.c */

/* The reading lines of RUN.h5.journal beyond the `n_in_file` readings the
 * file holds, as rows (*out NULL when none; no journal is none). A torn last
 * line (no newline: the process died writing it) is ignored, said in `note`
 * and, when it is a reading's, counted in *torn (may be NULL). Lenient
 * (`strict` false, what daq_run_open reports): a journal that is not this
 * run's, or a malformed line, ends the reading with a note. Strict
 * (daq_run_resume, which takes the rows into the run): CD_ERR_PARSE naming
 * the line for a first line that is not the magic, a malformed line (an
 * unknown status included) or a reading that is not the next one;
 * CD_ERR_INVALID for another run's journal. */
int rs_journal_read(const char *journal_path, const char *run_id, size_t n_in_file, bool strict,
                    struct rs_reading **out, size_t *n, size_t *torn, char *note, size_t cap,
                    struct cd_err *err);
/* rs_journal_read with the audit entries too: the journal's audit lines
 * beyond the `n_audit_in_file` entries the file holds, in order, their
 * hashes not set (*audit NULL and *n_audit 0 when none; both may be NULL
 * not to have them). Strict, an entry that is not the next one is refused
 * (CD_ERR_PARSE naming the line) like a reading. */
int rs_journal_read_all(const char *journal_path, const char *run_id, size_t n_in_file,
                        size_t n_audit_in_file, bool strict, struct rs_reading **out, size_t *n,
                        struct daq_audit_entry **audit, size_t *n_audit, size_t *torn,
                        char *note, size_t cap, struct cd_err *err);
/* The lenient read as readings: the unfinished point of a run that was not
 * closed; `note` also says how many when there is nothing else to say, and
 * how many audit entries (notes, skipped points) wait in the journal. */
int rs_journal_load(const char *journal_path, const char *run_id, size_t n_in_file,
                    size_t n_audit_in_file, struct daq_reading **out, size_t *n, char *note,
                    size_t cap, struct cd_err *err);
/* One journal line for reading number `index` (without the newline is
 * never: the line ends with '\n'). Returns the length, or -1 when it does
 * not fit. */
int rs_journal_line(size_t index, const struct rs_reading *row, char *buf, size_t cap);

/* One journal line for an audit entry (seq, t, who, what: the hashes are
 * recomputed when it is taken back, the chain being the run's), ending
 * with '\n'. Returns the length, or -1 when it does not fit. */
int rs_journal_audit_line(const struct daq_audit_entry *a, char *buf, size_t cap);

#define RS_JOURNAL_MAGIC "# caldaq-journal 1"
/* The first word of an audit entry's line (a reading's is its index). */
#define RS_JOURNAL_AUDIT "audit"

/* One CSV field on f, quoted when it holds `sep`, a quote or a line break
 * (run_export.c; the --csv and the spreadsheet exports). */
void daq_csv_field(const char *s, char sep, FILE *f);

#endif
