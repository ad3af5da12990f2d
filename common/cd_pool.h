/* A pool of heap blocks freed together: what a loaded file (a register, a
 * profile) owns. Internal to caldaq, not installed. */
#ifndef CALDAQ_CD_POOL_H
#define CALDAQ_CD_POOL_H

#include <stddef.h>

struct cd_pool {
    void **items;
    size_t n, cap;
};

/* Hand `p` to the pool and return it; NULL stays NULL. When the pool
 * cannot grow, `p` is freed and NULL returned, so callers test once. */
void *cd_pool_keep(struct cd_pool *pool, void *p);
/* Free every block and the pool's own array; the pool is then empty. */
void cd_pool_free(struct cd_pool *pool);

#endif
