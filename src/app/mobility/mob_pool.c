/* mob_pool.c - MoA pools: one byte per address of each site's range. */
#include <stdlib.h>

#include "app/mobility/mob_internal.h"

void mob_pools_init(struct mob_app *m)
{
    for (unsigned i = 0; i < m->cfg->n_sites; i++) {
        const struct mob_site *s = &m->cfg->sites[i];
        struct mob_pool *p = &m->pools[i];
        p->first = s->pool_first;
        p->n = s->pool_last - s->pool_first + 1;
        p->used = calloc(p->n, 1);
        if (!p->used) {
            abort();
        }
    }
}

void mob_pools_free(struct mob_app *m)
{
    for (unsigned i = 0; i < m->cfg->n_sites; i++) {
        free(m->pools[i].used);
        m->pools[i].used = NULL;
    }
}

uint32_t mob_pool_alloc(struct mob_app *m, unsigned site)
{
    struct mob_pool *p = &m->pools[site];
    for (uint32_t i = 0; i < p->n; i++) {
        if (!p->used[i]) {
            p->used[i] = 1;
            p->n_used++;
            return p->first + i;
        }
    }
    return 0;
}

bool mob_pool_take(struct mob_app *m, unsigned site, uint32_t addr)
{
    struct mob_pool *p = &m->pools[site];
    if (addr < p->first || addr - p->first >= p->n || p->used[addr - p->first]) {
        return false;
    }
    p->used[addr - p->first] = 1;
    p->n_used++;
    return true;
}

void mob_pool_release(struct mob_app *m, unsigned site, uint32_t addr)
{
    struct mob_pool *p = &m->pools[site];
    if (addr >= p->first && addr - p->first < p->n && p->used[addr - p->first]) {
        p->used[addr - p->first] = 0;
        p->n_used--;
    }
}
