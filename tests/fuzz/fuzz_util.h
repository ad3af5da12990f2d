/* Helpers shared by the fuzz harnesses (tests/fuzz/fuzz_*.c, docs/fuzzing.md).
 *
 * Each harness defines LLVMFuzzerTestOneInput and is built twice: with
 * clang's libFuzzer (`make fuzz`) and with replay_main.c (`make fuzz-replay`,
 * part of `make test`), which feeds it every saved input. A harness must
 * free everything it allocates (LeakSanitizer runs under both). */
#ifndef CALDAQ_FUZZ_UTIL_H
#define CALDAQ_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The input as a NUL-terminated string (malloc'd, NULL when out of
 * memory): text loaders take C strings, and a NUL inside the input simply
 * ends the text early, as it would for a file read with fgets. */
static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (s == NULL)
        return NULL;
    if (size > 0)
        memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

/* Known and open (issue 14, section 3): the derivatives the law of
 * propagation takes of a chain of '^' grow so fast that `a^a^...^a` with
 * 40 levels (120 bytes) needs half a gigabyte, 60 levels gigabytes; the
 * parser's depth limit (200) does not stop that. The model and profile
 * targets skip inputs with more than this many '^' so that the fuzzer does
 * not stop on that one finding again and again; remove the filter when
 * the engine bounds the size of derivatives. */
#define FUZZ_MAX_POW 16

static inline int fuzz_too_many_pow(const uint8_t *data, size_t size)
{
    size_t n = 0;
    for (size_t i = 0; i < size; i++)
        n += data[i] == '^';
    return n > FUZZ_MAX_POW;
}

/* Write `size` bytes to `path` as a new file. 0 or -1. (Not truncated
 * in place: ext4 flushes a file truncated and rewritten when it is closed,
 * which made the path-only targets wait on the disk at every input.) */
static inline int fuzz_write_file(const char *path, const uint8_t *data, size_t size)
{
    unlink(path);
    FILE *f = fopen(path, "wb");
    if (f == NULL)
        return -1;
    size_t put = size > 0 ? fwrite(data, 1, size, f) : 0;
    int bad = put != size;
    bad |= fclose(f) != 0;
    return bad ? -1 : 0;
}

/* A per-process scratch folder for loaders that only take a path
 * (mkdtemp under $TMPDIR, else /dev/shm when there is one, else /tmp;
 * created on first use, removed at exit).
 * NULL when it cannot be made. The harness program is single-threaded, so
 * the static here is test-harness state, not library state. */
const char *fuzz_scratch_dir(void);

#endif
