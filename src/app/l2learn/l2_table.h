/* l2_table.h - one switch's MAC -> port table for the learning application.
 *
 * A chained hash table with a cap: when full, learning a new MAC evicts the
 * one least recently learned or refreshed, so memory stays bounded whatever
 * source addresses a host forges. The hash is keyed with a per-table seed so
 * that chosen MACs cannot be aimed at one bucket. Entries do not age: a
 * host's flows name its source address, so a host that moves misses at its
 * new port and is re-learned there (see l2learn.h). */
#ifndef MATFLOW_L2_TABLE_H
#define MATFLOW_L2_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>

#include "util/eth_addr.h"

struct l2_entry {
    struct eth_addr mac;
    uint32_t port;
    struct l2_entry *hnext;
    TAILQ_ENTRY(l2_entry) lru; /* head: least recently learned */
};

struct l2_table {
    struct l2_entry **buckets;
    size_t n_buckets; /* a power of two */
    size_t n, max;
    uint64_t seed;
    TAILQ_HEAD(, l2_entry) lru;
};

enum l2_learn_result {
    L2_SAME,    /* already known at this port (refreshed) */
    L2_NEW,     /* added */
    L2_EVICTED, /* added in place of the least recently learned MAC */
    L2_MOVED,   /* known at another port: now at this one */
    L2_NOMEM,   /* not added: out of memory */
};

/* max >= 1 entries. */
void l2_table_init(struct l2_table *t, size_t max, uint64_t seed);
void l2_table_free(struct l2_table *t);
/* True and *port set if mac is known. */
bool l2_table_lookup(const struct l2_table *t, struct eth_addr mac, uint32_t *port);
/* Records mac at port; on L2_MOVED *old_port is where it was, on L2_EVICTED
 * *evicted is the MAC that made room. */
enum l2_learn_result l2_table_learn(struct l2_table *t, struct eth_addr mac, uint32_t port,
                                    uint32_t *old_port, struct eth_addr *evicted);
/* Forgets every MAC at port; returns how many. */
size_t l2_table_forget_port(struct l2_table *t, uint32_t port);

#endif
