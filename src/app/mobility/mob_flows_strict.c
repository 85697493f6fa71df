/* mob_flows_strict.c - taking a placement's rules out of a switch that
 * cannot select flows by cookie (OpenFlow 1.0: a delete has no cookie
 * mask). The planners are pure, so the rules a placement produced are
 * generated again and each one is deleted by its priority and match.
 *
 * A DELETE_STRICT that names a kept rule's priority and match would take
 * the kept rule: the newer epoch's ADD replaced the old rule in place
 * (same match, same priority, new cookie). Such rules are skipped, which a
 * set of (priority, match) keys decides; the same set makes each DELETE go
 * out once when two old placements share a rule. */
#include <stdlib.h>
#include <string.h>
#include <uthash.h>

#include "app/mobility/mob_flows.h"

/* Priority, field bits and each present field's value (and mask) in its
 * own width: equal keys mean equal rules for a DELETE_STRICT, whatever
 * bytes the unused parts of a field's union hold. */
#define KEY_MAX (2 + 4 + 4 + OFF_N_FIELDS * 16)

struct key_item {
    UT_hash_handle hh;
    unsigned len;
    uint8_t key[KEY_MAX];
};

static void put_value(uint8_t *k, unsigned *len, enum of_field f, const union of_field_value *v)
{
    unsigned width = of_field_width(f);
    switch (width) {
    case 1:
        k[(*len)++] = v->u8;
        return;
    case 2:
        memcpy(k + *len, &v->u16, 2);
        break;
    case 4:
        memcpy(k + *len, &v->u32, 4);
        break;
    case 8:
        memcpy(k + *len, &v->u64, 8);
        break;
    default:
        memcpy(k + *len, v->mac.b, 6);
        width = 6;
        break;
    }
    *len += width;
}

static void make_key(const struct of_flow_mod *fm, struct key_item *it)
{
    const struct of_match *m = &fm->match;
    unsigned len;
    memcpy(it->key, &fm->priority, 2);
    memcpy(it->key + 2, &m->present, 4);
    memcpy(it->key + 6, &m->masked, 4);
    len = 10;
    for (unsigned f = 0; f < OFF_N_FIELDS; f++) {
        if (of_match_has(m, f)) {
            put_value(it->key, &len, f, &m->value[f]);
            if (m->masked & (1u << f)) {
                put_value(it->key, &len, f, &m->mask[f]);
            }
        }
    }
    it->len = len;
}

struct removal {
    struct key_item *seen; /* kept rules, then rules already deleted */
    mob_emit_fn *emit;
    void *arg;
};

/* Adds the rule's key; returns false if it was there already. */
static bool remember(struct removal *r, const struct of_flow_mod *fm)
{
    struct key_item *it = malloc(sizeof *it);
    if (!it) {
        abort(); /* as every allocation of the application */
    }
    make_key(fm, it);
    struct key_item *found;
    HASH_FIND(hh, r->seen, it->key, it->len, found);
    if (found) {
        free(it);
        return false;
    }
    HASH_ADD_KEYPTR(hh, r->seen, it->key, it->len, it);
    return true;
}

static void keep_rule(void *arg, const struct of_flow_mod *fm)
{
    remember(arg, fm);
}

static void remove_rule(void *arg, const struct of_flow_mod *fm)
{
    struct removal *r = arg;
    if (!remember(r, fm)) {
        return;
    }
    struct of_flow_mod del;
    of_flow_mod_init(&del, OFPFC_DELETE_STRICT);
    del.table_id = fm->table_id;
    del.priority = fm->priority;
    del.match = fm->match;
    /* Not a filter without a mask (1.0 has none); it names the rule in a
     * capture of the channel. */
    del.cookie = fm->cookie;
    r->emit(r->arg, &del);
}

void mob_flows_remove_strict(const struct mob_planner *pl, const struct mob_topology *t,
                             unsigned s, const struct mob_removal *rm, mob_emit_fn *emit,
                             void *arg)
{
    struct removal r = {NULL, emit, arg};
    for (unsigned i = 0; i < rm->n_keep; i++) {
        pl->receiving(t, s, &rm->keep[i], keep_rule, &r);
        pl->sending(t, s, &rm->keep[i], keep_rule, &r);
    }
    for (unsigned i = 0; i < rm->n_old; i++) {
        const struct mob_placement *p = &rm->old[i];
        if (rm->parts & MOB_PART_RECEIVING) {
            pl->receiving(t, s, p, remove_rule, &r);
        }
        if (rm->parts & MOB_PART_SENDING) {
            pl->sending(t, s, p, remove_rule, &r);
        }
        if (rm->parts & MOB_PART_RETURN) {
            pl->return_home(t, s, p, remove_rule, &r);
        }
    }
    struct key_item *it, *tmp;
    HASH_ITER(hh, r.seen, it, tmp) {
        HASH_DELETE(hh, r.seen, it);
        free(it);
    }
}
