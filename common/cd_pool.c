#include "cd_pool.h"

#include <stdlib.h>

void *cd_pool_keep(struct cd_pool *pool, void *p)
{
    if (p == NULL)
        return NULL;
    if (pool->n == pool->cap) {
        size_t cap = pool->cap ? 2 * pool->cap : 32;
        void **items = realloc(pool->items, cap * sizeof *items);
        if (items == NULL) {
            free(p);
            return NULL;
        }
        pool->items = items;
        pool->cap = cap;
    }
    pool->items[pool->n++] = p;
    return p;
}

void cd_pool_free(struct cd_pool *pool)
{
    for (size_t i = 0; i < pool->n; i++)
        free(pool->items[i]);
    free(pool->items);
    *pool = (struct cd_pool){0};
}
