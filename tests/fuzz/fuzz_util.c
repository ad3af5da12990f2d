/* The scratch folder of fuzz_util.h. */
#include "fuzz_util.h"

#include <dirent.h>
#include <unistd.h>

static char scratch[4096];

static void scratch_remove(void)
{
    DIR *d = opendir(scratch);
    struct dirent *e;
    char path[8192];
    while (d != NULL && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", scratch, e->d_name);
        unlink(path);
    }
    if (d != NULL)
        closedir(d);
    rmdir(scratch);
}

const char *fuzz_scratch_dir(void)
{
    if (scratch[0] != '\0')
        return scratch;
    const char *tmp = getenv("TMPDIR");
    if (tmp == NULL || tmp[0] == '\0')
        tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf(scratch, sizeof scratch, "%s/caldaq-fuzz-XXXXXX", tmp);
    if (mkdtemp(scratch) == NULL) {
        scratch[0] = '\0';
        return NULL;
    }
    atexit(scratch_remove);
    return scratch;
}
