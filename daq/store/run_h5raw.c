/* The bytes of an HDF5 file read by hand, to check what HDF5 1.10 reads
 * without checking: attribute messages and the global heap, where
 * variable-length strings live (issue 14: 22 crashes and a 180 s spin in
 * 300 damaged runs, all in the library reading them).
 *
 * A variable-length string is stored as a descriptor -- its length (4
 * bytes), the address of a global heap collection and an object index (4
 * bytes) -- in the attribute message or the dataset's data; the bytes are
 * an object of that collection. HDF5 1.10.8 trusts all of it:
 *   - H5T__conv_vlen allocates and clears the descriptor's length (a length
 *     of 0xFFFFFFFF clears 4 GB: the spin), then H5HG_read copies the heap
 *     object's own size into that buffer (a larger object overflows it);
 *   - H5HG_read takes the index without checking it against the collection
 *     (asserts only, compiled out): a wrong index reads a pointer that is
 *     not there;
 *   - the collection's loader steps from object to object by their sizes
 *     without bounds, and a free-space object of size 0 never advances.
 * These checks walk the same structures from the file first. Format:
 * "HDF5 File Format Specification Version 3.0", sections III.E (global
 * heap), IV.A.1 (object headers, versions 1 and 2), IV.A.2.d (dataspace),
 * IV.A.2.f (datatype), IV.A.2.m (attribute), IV.A.2.q (continuation).
 *
 * What this file does not know (an attribute in dense storage, a shared
 * datatype, a variable-length sequence) it leaves unchecked: it must never
 * refuse a sound file the library reads, only a damaged one it would read
 * badly. It includes no HDF5 header: the library gives the addresses
 * (run_read.c), this file reads bytes. */
#include "run_int.h"
#include "cd_i18n.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Object header chunks followed before giving up: a continuation loop in a
 * damaged file would otherwise go round for ever. Files written by caldaq
 * have two or three. */
#define MAX_CHUNKS 64
/* Elements of one attribute whose strings are checked: caldaq's are
 * scalars. */
#define MAX_ELEMENTS 4096
#define UNDEF_ADDR UINT64_MAX

int rs_raw_open(struct rs_raw *r, int fd, uint64_t base, unsigned sizeof_addr,
                unsigned sizeof_size)
{
    memset(r, 0, sizeof *r);
    r->fd = -1;
    if (sizeof_addr < 2 || sizeof_addr > 8 || sizeof_size < 2 || sizeof_size > 8)
        return -1;
    struct stat st;
    if (fstat(fd, &st) != 0)
        return -1;
    /* our own descriptor of the same open file: pread never moves the
     * library's offset */
    r->fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (r->fd < 0)
        return -1;
    r->size = (uint64_t)st.st_size;
    r->base = base;
    r->sizeof_addr = sizeof_addr;
    r->sizeof_size = sizeof_size;
    r->heap_addr = UNDEF_ADDR;
    return 0;
}

void rs_raw_close(struct rs_raw *r)
{
    if (r == NULL)
        return;
    if (r->fd >= 0)
        close(r->fd);
    free(r->heap);
    r->fd = -1;
    r->heap = NULL;
}

/* `len` bytes at file address `addr` (relative to the base address); -1
 * when they are not all inside the file. */
static int read_at(const struct rs_raw *r, uint64_t addr, void *buf, size_t len)
{
    if (addr > r->size || r->base > r->size - addr || len > r->size - addr - r->base)
        return -1;
    size_t got = 0;
    while (got < len) {
        ssize_t n = pread(r->fd, (char *)buf + got, len - got, (off_t)(r->base + addr + got));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        got += (size_t)n;
    }
    return 0;
}

/* Little-endian unsigned of n bytes (the format's byte order). */
static uint64_t le(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = n; i > 0; i--)
        v = v << 8 | p[i - 1];
    return v;
}

/* An address of n bytes, all ones meaning "undefined". */
static uint64_t le_addr(const uint8_t *p, unsigned n)
{
    uint64_t v = le(p, n);
    if (n < 8 && v == (UINT64_C(1) << (8 * n)) - 1)
        return UNDEF_ADDR;
    return v;
}

static uint64_t align8(uint64_t x)
{
    return (x + 7) & ~(uint64_t)7;
}

/* ------------------------------------------------------------ global heap */

/* Load the collection at `addr` into r->heap and check every object in it
 * the way the library's loader steps through them: each object inside the
 * collection, the free space last and reaching its end. 0, or -1 with
 * `why`. One collection is kept: a run's strings share two or three. */
static int load_heap(struct rs_raw *r, uint64_t addr, char *why, size_t cap)
{
    if (r->heap != NULL && r->heap_addr == addr)
        return 0;
    const unsigned ss = r->sizeof_size;
    const uint64_t head = 8 + ss, objhdr = 8 + ss;
    uint8_t hdr[16];
    if (read_at(r, addr, hdr, head) != 0) {
        snprintf(why, cap, _("its global heap at %llu lies outside the file"),
                 (unsigned long long)addr);
        return -1;
    }
    if (memcmp(hdr, "GCOL", 4) != 0 || hdr[4] != 1) {
        snprintf(why, cap, _("no global heap at %llu (its signature is damaged)"),
                 (unsigned long long)addr);
        return -1;
    }
    uint64_t size = le(hdr + 8, ss);
    if (size < head + objhdr || size > r->size) {
        snprintf(why, cap, _("the global heap at %llu says it holds %llu bytes"),
                 (unsigned long long)addr, (unsigned long long)size);
        return -1;
    }
    uint8_t *h = malloc((size_t)size);
    if (h == NULL || read_at(r, addr, h, (size_t)size) != 0) {
        free(h);
        snprintf(why, cap, _("the global heap at %llu (%llu bytes) runs past the end of the file"),
                 (unsigned long long)addr, (unsigned long long)size);
        return -1;
    }
    uint64_t p = head;
    while (p + objhdr <= size) {
        unsigned idx = (unsigned)le(h + p, 2);
        uint64_t osize = le(h + p + 8, ss);
        if (idx == 0) {
            /* free space: the rest of the collection, last */
            if (osize != size - p) {
                snprintf(why, cap,
                         _("the global heap at %llu is damaged (its free space says %llu bytes "
                         "where %llu are left)"),
                         (unsigned long long)addr, (unsigned long long)osize,
                         (unsigned long long)(size - p));
                free(h);
                return -1;
            }
            break;
        }
        if (osize > size || objhdr + align8(osize) > size - p) {
            snprintf(why, cap,
                     _("the global heap at %llu is damaged (object %u of %llu bytes runs past "
                     "its end)"),
                     (unsigned long long)addr, idx, (unsigned long long)osize);
            free(h);
            return -1;
        }
        p += objhdr + align8(osize);
    }
    free(r->heap);
    r->heap = h;
    r->heap_size = size;
    r->heap_addr = addr;
    return 0;
}

/* The size of object `idx` of the collection at `addr`. */
static int heap_object(struct rs_raw *r, uint64_t addr, uint64_t idx, uint64_t *size, char *why,
                       size_t cap)
{
    if (load_heap(r, addr, why, cap) != 0)
        return -1;
    const unsigned ss = r->sizeof_size;
    const uint64_t objhdr = 8 + ss;
    for (uint64_t p = 8 + ss; p + objhdr <= r->heap_size;) {
        unsigned i = (unsigned)le(r->heap + p, 2);
        uint64_t osize = le(r->heap + p + 8, ss);
        if (i == 0)
            break;
        if (i == idx) {
            *size = osize;
            return 0;
        }
        p += objhdr + align8(osize);
    }
    snprintf(why, cap, _("its string is object %llu of the global heap at %llu, which has none"),
             (unsigned long long)idx, (unsigned long long)addr);
    return -1;
}

/* One descriptor of a variable-length string: length, collection, index. */
static int check_descriptor(struct rs_raw *r, const uint8_t *d, uint64_t max_len, char *why,
                            size_t cap)
{
    const unsigned sa = r->sizeof_addr;
    uint64_t len = le(d, 4);
    uint64_t addr = le_addr(d + 4, sa);
    uint64_t idx = le(d + 4 + sa, 4);
    if (addr == 0 || addr == UNDEF_ADDR) {
        /* no heap object: a null string, which has no length */
        if (len != 0) {
            snprintf(why, cap, _("its string of %llu bytes has no heap object"),
                     (unsigned long long)len);
            return -1;
        }
        return 0;
    }
    if (len > max_len) {
        snprintf(why, cap, _("its string says it is %llu bytes long (at most %llu make sense)"),
                 (unsigned long long)len, (unsigned long long)max_len);
        return -1;
    }
    uint64_t size = 0;
    if (heap_object(r, addr, idx, &size, why, cap) != 0)
        return -1;
    if (size != len) {
        snprintf(why, cap,
                 _("its string says it is %llu bytes long, its heap object holds %llu"),
                 (unsigned long long)len, (unsigned long long)size);
        return -1;
    }
    return 0;
}

int rs_raw_check_vstr(struct rs_raw *r, uint64_t addr, uint64_t max_len, char *why, size_t cap)
{
    uint8_t d[16];
    if (read_at(r, addr, d, 4 + r->sizeof_addr + 4) != 0) {
        snprintf(why, cap, _("its data at %llu lies outside the file"), (unsigned long long)addr);
        return -1;
    }
    return check_descriptor(r, d, max_len, why, cap);
}

/* ------------------------------------------------------------ attributes */

/* Elements of a dataspace message (IV.A.2.d), or -1 when it is malformed. */
static int64_t dataspace_elements(const uint8_t *ds, uint64_t len, unsigned ss)
{
    if (len < 4)
        return -1;
    unsigned version = ds[0], rank = ds[1];
    uint64_t at;
    if (version == 1) {
        at = 8;
    } else if (version == 2) {
        if (ds[3] == 2)
            return 0; /* null dataspace */
        at = 4;
    } else {
        return -1;
    }
    if (rank > 32 || at + (uint64_t)rank * ss > len)
        return -1;
    uint64_t n = 1;
    for (unsigned i = 0; i < rank; i++) {
        uint64_t d = le(ds + at + (uint64_t)i * ss, ss);
        if (d != 0 && n > INT64_MAX / d)
            return -1;
        n *= d;
    }
    return (int64_t)n;
}

/* One attribute message (IV.A.2.m) whose name is `name`: RS_RAW_OTHER when
 * it has another name, else the result of the checks. */
#define RS_RAW_OTHER 2
static int check_attr_msg(struct rs_raw *r, const uint8_t *m, uint64_t len, const char *name,
                          uint64_t max_len, char *why, size_t cap)
{
    if (len < 8) {
        snprintf(why, cap, _("its attribute message is cut short"));
        return -1;
    }
    unsigned version = m[0], flags = m[1];
    uint64_t name_size = le(m + 2, 2), dt_size = le(m + 4, 2), ds_size = le(m + 6, 2);
    uint64_t at;
    bool pad = false;
    if (version == 1) {
        at = 8;
        pad = true;
        flags = 0;
    } else if (version == 2) {
        at = 8;
    } else if (version == 3) {
        at = 9;
    } else {
        snprintf(why, cap, _("an attribute message has version %u (1 to 3 exist)"), version);
        return -1;
    }
    uint64_t name_at = at;
    uint64_t dt_at = name_at + (pad ? align8(name_size) : name_size);
    uint64_t ds_at = dt_at + (pad ? align8(dt_size) : dt_size);
    uint64_t data_at = ds_at + (pad ? align8(ds_size) : ds_size);
    if (name_size == 0 || data_at > len) {
        snprintf(why, cap, _("an attribute message is damaged (its parts run past its end)"));
        return -1;
    }
    size_t want = strlen(name) + 1;
    if (name_size != want || memcmp(m + name_at, name, want) != 0)
        return RS_RAW_OTHER;
    if (flags & 0x3)
        return RS_RAW_UNCHECKED; /* shared datatype or dataspace: elsewhere */
    if (dt_size < 8) {
        snprintf(why, cap, _("its datatype is cut short"));
        return -1;
    }
    const uint8_t *dt = m + dt_at;
    unsigned cls = dt[0] & 0x0f;
    uint64_t type_size = le(dt + 4, 4);
    int64_t elements = dataspace_elements(m + ds_at, ds_size, r->sizeof_size);
    if (elements < 0) {
        snprintf(why, cap, _("its dataspace is damaged"));
        return -1;
    }
    bool vstring = cls == 9 && (dt[1] & 0x0f) == 1;
    uint64_t stored = cls == 9 ? 4 + r->sizeof_addr + 4 : type_size;
    uint64_t data_len = len - data_at;
    if (stored != 0 && (uint64_t)elements > data_len / stored) {
        snprintf(why, cap, _("its value needs %llu x %llu bytes, its message holds %llu"),
                 (unsigned long long)elements, (unsigned long long)stored,
                 (unsigned long long)data_len);
        return -1;
    }
    if (!vstring)
        return 0;
    /* The base type follows (a datatype message of its own): the library
     * allocates length x its size, so a damaged size of 0xFFFF0001 makes
     * a 4-byte string 16 GB. A string's characters are bytes. */
    if (dt_size < 16 || le(dt + 8 + 4, 4) != 1) {
        snprintf(why, cap, _("its string's characters are %llu bytes each (a byte makes sense)"),
                 dt_size < 16 ? 0ULL : (unsigned long long)le(dt + 8 + 4, 4));
        return -1;
    }
    if (elements > MAX_ELEMENTS)
        return RS_RAW_UNCHECKED;
    for (int64_t i = 0; i < elements; i++)
        if (check_descriptor(r, m + data_at + (uint64_t)i * stored, max_len, why, cap) != 0)
            return -1;
    return 0;
}

struct chunk {
    uint64_t addr, len;     /* the messages of the chunk */
};

/* Messages of one chunk: version 1 (type 2 bytes, size 2, flags 1,
 * reserved 3) or 2 (type 1, size 2, flags 1, creation order 2 when the
 * header tracks it). Continuations are queued; the attribute `name` is
 * checked when met. */
static int walk_chunk(struct rs_raw *r, const struct chunk *c, int version, bool crt_order,
                      const char *name, uint64_t max_len, struct chunk *queue, size_t *n_queue,
                      char *why, size_t cap)
{
    if (c->len > r->size) {
        snprintf(why, cap, _("its object header says a chunk of %llu bytes"),
                 (unsigned long long)c->len);
        return -1;
    }
    uint8_t *b = malloc(c->len > 0 ? (size_t)c->len : 1);
    if (b == NULL || read_at(r, c->addr, b, (size_t)c->len) != 0) {
        free(b);
        snprintf(why, cap, _("its object header runs past the end of the file"));
        return -1;
    }
    const uint64_t mh = version == 1 ? 8 : (crt_order ? 6 : 4);
    int rc = RS_RAW_OTHER;
    for (uint64_t p = 0; p + mh <= c->len;) {
        unsigned type = version == 1 ? (unsigned)le(b + p, 2) : b[p];
        uint64_t size = version == 1 ? le(b + p + 2, 2) : le(b + p + 1, 2);
        if (size > c->len - p - mh) {
            snprintf(why, cap, _("its object header is damaged (message type %u of %llu bytes "
                     "runs past its chunk)"), type, (unsigned long long)size);
            rc = -1;
            break;
        }
        const uint8_t *m = b + p + mh;
        if (type == 0x10) { /* continuation: address, length */
            const unsigned sa = r->sizeof_addr, ss = r->sizeof_size;
            if (size < sa + ss || *n_queue == MAX_CHUNKS) {
                snprintf(why, cap, _("its object header is damaged (a continuation %s)"),
                         *n_queue == MAX_CHUNKS ? "loop" : "cut short");
                rc = -1;
                break;
            }
            queue[(*n_queue)++] = (struct chunk){le_addr(m, sa), le(m + sa, ss)};
        } else if (type == 0x0C) {
            int a = check_attr_msg(r, m, size, name, max_len, why, cap);
            if (a != RS_RAW_OTHER) {
                rc = a;
                break;
            }
        }
        p += mh + size;
    }
    free(b);
    return rc;
}

int rs_raw_check_attr(struct rs_raw *r, uint64_t header, const char *name, uint64_t max_len,
                      char *why, size_t cap)
{
    uint8_t pre[40]; /* the longest version 2 prefix: 6 + 16 + 4 + 8 bytes */
    if (read_at(r, header, pre, 16) != 0) {
        snprintf(why, cap, _("its object header lies outside the file"));
        return -1;
    }
    struct chunk queue[MAX_CHUNKS];
    size_t n_queue = 0;
    int version;
    bool crt_order = false;
    if (pre[0] == 1) {
        version = 1;
        queue[n_queue++] = (struct chunk){header + 16, le(pre + 8, 4)};
    } else if (memcmp(pre, "OHDR", 4) == 0 && pre[4] == 2) {
        version = 2;
        unsigned flags = pre[5];
        crt_order = flags & 0x04;
        uint64_t at = 6 + ((flags & 0x20) ? 16 : 0) + ((flags & 0x10) ? 4 : 0);
        unsigned width = 1u << (flags & 0x3);
        if (read_at(r, header, pre, (size_t)(at + width)) != 0) {
            snprintf(why, cap, _("its object header lies outside the file"));
            return -1;
        }
        queue[n_queue++] = (struct chunk){header + at + width, le(pre + at, width)};
    } else {
        snprintf(why, cap, _("its object header is damaged (version %u)"), pre[0]);
        return -1;
    }
    for (size_t i = 0; i < n_queue; i++) {
        struct chunk c = queue[i];
        if (version == 2 && i > 0) {
            /* "OCHK", the messages, a checksum */
            uint8_t sig[4];
            if (c.len < 8 || read_at(r, c.addr, sig, 4) != 0 || memcmp(sig, "OCHK", 4) != 0) {
                snprintf(why, cap, _("its object header is damaged (a continuation chunk)"));
                return -1;
            }
            c.addr += 4;
            c.len -= 8;
        }
        int rc = walk_chunk(r, &c, version, crt_order, name, max_len, queue, &n_queue, why, cap);
        if (rc != RS_RAW_OTHER)
            return rc;
    }
    /* Not in the header: in dense storage (a fractal heap, which this file
     * does not read), or a layout it does not know; the library found the
     * attribute, so it is left to the library. */
    return RS_RAW_UNCHECKED;
}
