/* mob_binding.c - the binding table (HoA -> MAC, home, placement, epoch),
 * indexed by MAC and by HoA, and its rows on disk. */
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "app/mobility/mob_internal.h"
#include "util/log.h"

#define MOD "binding"

const char *mob_state_name(enum mob_state s)
{
    static const char *const names[] = {"home", "away", "updating", "degraded"};
    return (unsigned)s < 4 ? names[s] : "unknown";
}

struct mob_binding *mob_binding_by_mac(struct mob_app *m, struct eth_addr mac)
{
    struct mob_binding *b;
    HASH_FIND(hh_mac, m->by_mac, &mac, sizeof mac, b);
    return b;
}

struct mob_binding *mob_binding_by_hoa(struct mob_app *m, uint32_t hoa)
{
    struct mob_binding *b;
    HASH_FIND(hh_hoa, m->by_hoa, &hoa, sizeof hoa, b);
    return b;
}

struct mob_binding *mob_binding_add(struct mob_app *m, struct eth_addr mac, uint32_t hoa,
                                    unsigned home, uint32_t port)
{
    if (m->next_binding_id >= MOB_ID_MAX) {
        /* Cookies hold 24 bits of binding id; id 0 is the base rules'. */
        LOG_RL(LOG_ERROR, MOD, "binding table full (%u nodes): node not added", MOB_ID_MAX);
        return NULL;
    }
    struct mob_binding *b = calloc(1, sizeof *b);
    if (!b) {
        abort();
    }
    b->id = ++m->next_binding_id;
    b->mac = mac;
    b->hoa = hoa;
    b->home = home;
    b->site = home;
    b->port = port;
    b->moa = hoa;
    b->state = MOB_HOME;
    b->since = time_wall();
    HASH_ADD(hh_mac, m->by_mac, mac, sizeof b->mac, b);
    HASH_ADD(hh_hoa, m->by_hoa, hoa, sizeof b->hoa, b);
    return b;
}

void mob_binding_placement(const struct mob_binding *b, struct mob_placement *p)
{
    p->id = b->id;
    p->epoch = b->epoch;
    p->mac = b->mac;
    p->hoa = b->hoa;
    p->moa = b->moa;
    p->home = b->home;
    p->site = b->site;
    p->port = b->port;
}

bool mob_binding_persist(struct mob_app *m, const struct mob_binding *b, bool settles_move)
{
    if (!m->store) {
        return true;
    }
    struct mob_stored_binding row = {
        .id = b->id, .hoa = b->hoa, .mac = b->mac, .away = b->away, .port = b->port,
        .moa = b->moa, .epoch = b->epoch, .since = b->since,
    };
    snprintf(row.home, sizeof row.home, "%s", m->cfg->sites[b->home].name);
    snprintf(row.site, sizeof row.site, "%s", m->cfg->sites[b->site].name);
    return settles_move ? mob_store_put_settled(m->store, &row) : mob_store_put(m->store, &row);
}

int mob_site_index(const struct mob_app *m, uint64_t dpid)
{
    for (unsigned i = 0; i < m->cfg->n_sites; i++) {
        if (m->cfg->sites[i].dpid == dpid) {
            return (int)i;
        }
    }
    return -1;
}

int mob_site_index_by_name(const struct mob_app *m, const char *name)
{
    for (unsigned i = 0; i < m->cfg->n_sites; i++) {
        if (!strcmp(m->cfg->sites[i].name, name)) {
            return (int)i;
        }
    }
    return -1;
}

static void load_one(void *arg, const struct mob_stored_binding *row)
{
    struct mob_app *m = arg;
    /* Even a row skipped below keeps its id from being handed out again:
     * two bindings with one id would delete each other's rules. */
    if (row->id < MOB_ID_MAX && row->id > m->next_binding_id) {
        m->next_binding_id = row->id;
    }
    int home = mob_site_index_by_name(m, row->home);
    int site = mob_site_index_by_name(m, row->site);
    if (home < 0 || site < 0 || mob_binding_by_mac(m, row->mac) ||
        mob_binding_by_hoa(m, row->hoa)) {
        LOG_WRN(MOD, "stored binding %u names an unknown site or repeats a node: skipped",
                row->id);
        return;
    }
    if (row->id == 0 || row->id >= MOB_ID_MAX) {
        LOG_WRN(MOD, "stored binding with id %u out of range: skipped", row->id);
        return;
    }
    struct mob_binding *b = mob_binding_add(m, row->mac, row->hoa, (unsigned)home, row->port);
    if (!b) {
        return;
    }
    b->id = row->id;
    b->away = row->away;
    b->site = (unsigned)site;
    b->moa = row->moa;
    b->epoch = row->epoch;
    b->since = row->since;
    b->state = b->away ? MOB_AWAY : MOB_HOME;
    if (b->id > m->next_binding_id) {
        m->next_binding_id = b->id;
    }
    if (b->away && !mob_pool_take(m, b->site, b->moa)) {
        LOG_WRN(MOD, "stored binding %u: MoA outside the pool of site %s or taken twice", b->id,
                m->cfg->sites[site].name);
    }
}

void mob_bindings_load(struct mob_app *m)
{
    if (!m->store) {
        return;
    }
    int n = mob_store_load(m->store, load_one, m);
    LOG_INF(MOD, "%d binding(s) loaded from the database", n);
}

void mob_bindings_free(struct mob_app *m)
{
    struct mob_binding *b, *tmp;
    HASH_ITER(hh_hoa, m->by_hoa, b, tmp) {
        HASH_DELETE(hh_hoa, m->by_hoa, b);
        HASH_DELETE(hh_mac, m->by_mac, b);
        free(b);
    }
}

size_t mob_binding_table_bytes(const struct mob_app *m)
{
    if (!m->by_hoa) {
        return 0;
    }
    /* Each binding is one heap block (its usable size plus the allocator's
     * header); each index adds its bucket array and table header. */
    size_t n = HASH_CNT(hh_hoa, m->by_hoa);
    size_t block = malloc_usable_size(m->by_hoa) + sizeof(size_t);
    size_t index = sizeof(UT_hash_table) + m->by_hoa->hh_hoa.tbl->num_buckets * sizeof(UT_hash_bucket);
    index += sizeof(UT_hash_table) + m->by_mac->hh_mac.tbl->num_buckets * sizeof(UT_hash_bucket);
    return n * block + index;
}
