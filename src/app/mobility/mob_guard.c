/* mob_guard.c - two defences against triggers sent in numbers
 * (docs/SECURITY.md):
 *
 *  - a token bucket per switch port on RARP and ARP Packet-Ins: a port
 *    that floods is cut down to trigger_rate per second (after a burst of
 *    trigger_burst), so the other ports' moves keep their latency;
 *  - damping: a node that moved damping_moves times within the last
 *    damping_window seconds may not move again until the oldest of those
 *    moves is older than the window. A real migration does not repeat
 *    itself every few seconds; a MAC that does is replayed or fought over.
 *
 * Both tables hold only what is recent: a bucket that has refilled and a
 * node whose moves are all older than the window are forgotten on the
 * app's tick, so their memory follows the traffic, not the bindings. */
#include <stdlib.h>
#include <string.h>

#include "app/mobility/mob_internal.h"
#include "util/log.h"

#define MOD "guard"
/* A bound on the buckets: a switch cannot make us keep more than this many
 * (its port numbers are its own choice). Beyond it, every port without a
 * bucket of its own shares one overflow bucket. */
#define MOB_MAX_BUCKETS 65536

struct mob_bucket {
    uint64_t key; /* site << 32 | port */
    double tokens;
    uint64_t last_us;
    UT_hash_handle hh;
};

struct mob_moves {
    uint32_t binding_id;
    unsigned n;        /* moves recorded, at most damping_moves */
    unsigned oldest;   /* index of the oldest in the ring */
    UT_hash_handle hh;
    uint64_t t_us[];   /* ring of the last n move times */
};

static void refill(const struct mob_guard *g, struct mob_bucket *bk, uint64_t now)
{
    bk->tokens += (double)(now - bk->last_us) / 1e6 * g->trigger_rate;
    if (bk->tokens > g->trigger_burst) {
        bk->tokens = g->trigger_burst;
    }
    bk->last_us = now;
}

static bool take_token(const struct mob_guard *g, struct mob_bucket *bk, uint64_t now)
{
    refill(g, bk, now);
    if (bk->tokens < 1.0) {
        return false;
    }
    bk->tokens -= 1.0;
    return true;
}

bool mob_guard_admit_packet(struct mob_app *m, unsigned site, uint32_t port)
{
    const struct mob_guard *g = &m->cfg->guard;
    if (g->trigger_rate <= 0) {
        return true;
    }
    uint64_t key = (uint64_t)site << 32 | port;
    uint64_t now = time_usec();
    struct mob_bucket *bk;
    HASH_FIND(hh, m->buckets, &key, sizeof key, bk);
    if (!bk) {
        bool full = HASH_CNT(hh, m->buckets) >= MOB_MAX_BUCKETS;
        bk = full ? m->bucket_overflow : NULL;
        if (!bk) {
            bk = calloc(1, sizeof *bk);
            if (!bk) {
                abort();
            }
            bk->key = key;
            bk->tokens = g->trigger_burst;
            bk->last_us = now;
            if (full) {
                m->bucket_overflow = bk;
            } else {
                HASH_ADD(hh, m->buckets, key, sizeof bk->key, bk);
            }
        }
    }
    if (take_token(g, bk, now)) {
        return true;
    }
    mob_count(m, MOB_C_REJECT_RATE_LIMITED);
    LOG_RL(LOG_WARN, MOD, "site %s port %u: more than %.0f RARP/ARP packets per second: "
           "dropped", m->cfg->sites[site].name, port, g->trigger_rate);
    return false;
}

/* Moves older than the window no longer count. */
static void forget_old(const struct mob_guard *g, struct mob_moves *mv, uint64_t now)
{
    uint64_t window_us = (uint64_t)(g->damping_window_s * 1e6);
    while (mv->n && now - mv->t_us[mv->oldest] >= window_us) {
        mv->oldest = (mv->oldest + 1) % g->damping_moves;
        mv->n--;
    }
}

bool mob_guard_allow_move(struct mob_app *m, const struct mob_binding *b)
{
    const struct mob_guard *g = &m->cfg->guard;
    if (g->damping_moves == 0) {
        return true;
    }
    struct mob_moves *mv;
    HASH_FIND(hh, m->moves, &b->id, sizeof b->id, mv);
    if (!mv) {
        return true;
    }
    forget_old(g, mv, time_usec());
    if (mv->n < g->damping_moves) {
        return true;
    }
    mob_count(m, MOB_C_REJECT_DAMPED);
    LOG_RL(LOG_WARN, MOD, "%u.%u.%u.%u (" ETH_ADDR_FMT ") moved %u times in %.0f s: "
           "further moves are refused for now", b->hoa >> 24, (b->hoa >> 16) & 0xff,
           (b->hoa >> 8) & 0xff, b->hoa & 0xff, ETH_ADDR_ARGS(b->mac), mv->n,
           g->damping_window_s);
    return false;
}

void mob_guard_note_move(struct mob_app *m, const struct mob_binding *b)
{
    const struct mob_guard *g = &m->cfg->guard;
    if (g->damping_moves == 0) {
        return;
    }
    uint64_t now = time_usec();
    struct mob_moves *mv;
    HASH_FIND(hh, m->moves, &b->id, sizeof b->id, mv);
    if (!mv) {
        mv = calloc(1, sizeof *mv + g->damping_moves * sizeof mv->t_us[0]);
        if (!mv) {
            abort();
        }
        mv->binding_id = b->id;
        HASH_ADD(hh, m->moves, binding_id, sizeof mv->binding_id, mv);
    }
    forget_old(g, mv, now);
    if (mv->n == g->damping_moves) { /* only after an operator's move */
        mv->oldest = (mv->oldest + 1) % g->damping_moves;
        mv->n--;
    }
    mv->t_us[(mv->oldest + mv->n) % g->damping_moves] = now;
    mv->n++;
}

void mob_guard_tick(struct mob_app *m)
{
    const struct mob_guard *g = &m->cfg->guard;
    uint64_t now = time_usec();
    struct mob_moves *mv, *tmp_mv;
    HASH_ITER(hh, m->moves, mv, tmp_mv) {
        forget_old(g, mv, now);
        if (mv->n == 0) {
            HASH_DEL(m->moves, mv);
            free(mv);
        }
    }
    struct mob_bucket *bk, *tmp_bk;
    HASH_ITER(hh, m->buckets, bk, tmp_bk) {
        refill(g, bk, now);
        if (bk->tokens >= g->trigger_burst) {
            HASH_DEL(m->buckets, bk);
            free(bk);
        }
    }
}

void mob_guard_free(struct mob_app *m)
{
    struct mob_moves *mv, *tmp_mv;
    HASH_ITER(hh, m->moves, mv, tmp_mv) {
        HASH_DEL(m->moves, mv);
        free(mv);
    }
    struct mob_bucket *bk, *tmp_bk;
    HASH_ITER(hh, m->buckets, bk, tmp_bk) {
        HASH_DEL(m->buckets, bk);
        free(bk);
    }
    free(m->bucket_overflow);
    m->bucket_overflow = NULL;
}
