/* l2_table.c - the MAC table: chained hash, LRU list, cap. */
#include "app/l2learn/l2_table.h"

#include <stdlib.h>

#define L2_MIN_BUCKETS 64

void l2_table_init(struct l2_table *t, size_t max, uint64_t seed)
{
    t->buckets = NULL;
    t->n_buckets = 0;
    t->n = 0;
    t->max = max ? max : 1;
    t->seed = seed;
    TAILQ_INIT(&t->lru);
}

void l2_table_free(struct l2_table *t)
{
    struct l2_entry *e;
    while ((e = TAILQ_FIRST(&t->lru))) {
        TAILQ_REMOVE(&t->lru, e, lru);
        free(e);
    }
    free(t->buckets);
    t->buckets = NULL;
    t->n_buckets = 0;
    t->n = 0;
}

static size_t bucket_of(const struct l2_table *t, struct eth_addr mac)
{
    uint64_t x = 0;
    for (int i = 0; i < 6; i++) {
        x = x << 8 | mac.b[i];
    }
    /* A keyed bijective mix (the MurmurHash3 finaliser): low bits depend on
     * every input bit, and without the seed collisions cannot be chosen. */
    x ^= t->seed;
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    x ^= x >> 33;
    return (size_t)x & (t->n_buckets - 1);
}

static struct l2_entry **find_slot(const struct l2_table *t, struct eth_addr mac)
{
    if (!t->n_buckets) {
        return NULL;
    }
    struct l2_entry **p = &t->buckets[bucket_of(t, mac)];
    while (*p && !eth_addr_equal((*p)->mac, mac)) {
        p = &(*p)->hnext;
    }
    return p;
}

bool l2_table_lookup(const struct l2_table *t, struct eth_addr mac, uint32_t *port)
{
    struct l2_entry **p = find_slot(t, mac);
    if (!p || !*p) {
        return false;
    }
    *port = (*p)->port;
    return true;
}

/* Keeps the load at most one entry per bucket; false only on ENOMEM (the
 * table then stays as it was and still works, just with longer chains). */
static bool grow(struct l2_table *t)
{
    size_t nb = t->n_buckets ? t->n_buckets * 2 : L2_MIN_BUCKETS;
    struct l2_entry **b = calloc(nb, sizeof *b);
    if (!b) {
        return t->n_buckets != 0;
    }
    struct l2_entry **old = t->buckets;
    t->buckets = b;
    t->n_buckets = nb;
    struct l2_entry *e;
    TAILQ_FOREACH(e, &t->lru, lru) {
        size_t i = bucket_of(t, e->mac);
        e->hnext = b[i];
        b[i] = e;
    }
    free(old);
    return true;
}

static void unlink_hash(struct l2_table *t, struct l2_entry *e)
{
    struct l2_entry **p = find_slot(t, e->mac);
    *p = e->hnext;
}

enum l2_learn_result l2_table_learn(struct l2_table *t, struct eth_addr mac, uint32_t port,
                                    uint32_t *old_port, struct eth_addr *evicted)
{
    struct l2_entry **p = find_slot(t, mac);
    if (p && *p) {
        struct l2_entry *e = *p;
        TAILQ_REMOVE(&t->lru, e, lru);
        TAILQ_INSERT_TAIL(&t->lru, e, lru);
        if (e->port == port) {
            return L2_SAME;
        }
        *old_port = e->port;
        e->port = port;
        return L2_MOVED;
    }
    enum l2_learn_result r = L2_NEW;
    struct l2_entry *e;
    if (t->n >= t->max) {
        /* Full: the entry least recently learned makes room, and is reused. */
        e = TAILQ_FIRST(&t->lru);
        TAILQ_REMOVE(&t->lru, e, lru);
        unlink_hash(t, e);
        *evicted = e->mac;
        t->n--;
        r = L2_EVICTED;
    } else {
        if ((t->n >= t->n_buckets || !t->n_buckets) && !grow(t)) {
            return L2_NOMEM;
        }
        e = malloc(sizeof *e);
        if (!e) {
            return L2_NOMEM;
        }
    }
    e->mac = mac;
    e->port = port;
    size_t i = bucket_of(t, mac);
    e->hnext = t->buckets[i];
    t->buckets[i] = e;
    TAILQ_INSERT_TAIL(&t->lru, e, lru);
    t->n++;
    return r;
}

size_t l2_table_forget_port(struct l2_table *t, uint32_t port)
{
    size_t n = 0;
    struct l2_entry *e = TAILQ_FIRST(&t->lru);
    while (e) {
        struct l2_entry *next = TAILQ_NEXT(e, lru);
        if (e->port == port) {
            TAILQ_REMOVE(&t->lru, e, lru);
            unlink_hash(t, e);
            free(e);
            t->n--;
            n++;
        }
        e = next;
    }
    return n;
}
