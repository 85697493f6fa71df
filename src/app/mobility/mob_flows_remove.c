/* mob_flows_remove.c - taking a placement's rules out of a switch that
 * filters deletes by cookie (OpenFlow 1.3), one exact cookie at a time.
 *
 * Why exact: Open vSwitch indexes its rules by cookie, but uses the index
 * only for a cookie_mask of all ones (ofproto.c, collect_rules_loose). Any
 * other mask makes it walk every rule of every table, so with 50,000 rules
 * per bridge a handful of "this binding, this epoch, any role" deletes
 * cost seconds and the barrier behind them times out. A cookie names
 * (role, binding, epoch); which roles a placement has at a switch is what
 * the planner emits there, so the placement's rules are generated again
 * (the planners are pure) and only their cookies are kept.
 *
 * A cookie carried by a kept placement is never deleted: an exact-cookie
 * delete of it would take rules still needed. The update engine never
 * asks for that (a kept placement has the newer epoch), so this is a
 * guard, not a path. */
#include <stdlib.h>

#include "app/mobility/mob_flows.h"

/* Distinct cookies, in the order first seen. A removal names a few
 * placements with a few roles each, so a list searched from the start is
 * enough; it grows as needed. */
struct cookie_set {
    uint64_t *v;
    size_t n, cap;
};

static bool cookie_set_has(const struct cookie_set *c, uint64_t cookie)
{
    for (size_t i = 0; i < c->n; i++) {
        if (c->v[i] == cookie) {
            return true;
        }
    }
    return false;
}

static void cookie_set_add(struct cookie_set *c, uint64_t cookie)
{
    if (cookie_set_has(c, cookie)) {
        return;
    }
    if (c->n == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 8;
        c->v = realloc(c->v, c->cap * sizeof *c->v);
        if (!c->v) {
            abort(); /* as every allocation of the application */
        }
    }
    c->v[c->n++] = cookie;
}

static void note_cookie(void *arg, const struct of_flow_mod *fm)
{
    cookie_set_add(arg, fm->cookie);
}

void mob_flows_remove_exact(const struct mob_planner *pl, const struct mob_topology *t,
                            unsigned s, const struct mob_removal *r, mob_emit_fn *emit,
                            void *arg)
{
    struct cookie_set keep = {NULL, 0, 0}, old = {NULL, 0, 0};
    for (unsigned i = 0; i < r->n_keep; i++) {
        pl->receiving(t, s, &r->keep[i], note_cookie, &keep);
        pl->sending(t, s, &r->keep[i], note_cookie, &keep);
    }
    for (unsigned i = 0; i < r->n_old; i++) {
        const struct mob_placement *p = &r->old[i];
        if (r->parts & MOB_PART_RECEIVING) {
            pl->receiving(t, s, p, note_cookie, &old);
        }
        if (r->parts & MOB_PART_SENDING) {
            pl->sending(t, s, p, note_cookie, &old);
        }
        if (r->parts & MOB_PART_RETURN) {
            pl->return_home(t, s, p, note_cookie, &old);
        }
    }
    for (size_t i = 0; i < old.n; i++) {
        if (!cookie_set_has(&keep, old.v[i])) {
            struct of_flow_mod del;
            mob_flows_delete(&del, old.v[i], UINT64_MAX);
            emit(arg, &del);
        }
    }
    free(keep.v);
    free(old.v);
}

void mob_flows_remove(const struct mob_planner *pl, const struct mob_topology *t, unsigned s,
                      const struct mob_removal *r, mob_emit_fn *emit, void *arg)
{
    if (pl->cookie_filters) {
        mob_flows_remove_exact(pl, t, s, r, emit, arg);
    } else {
        mob_flows_remove_strict(pl, t, s, r, emit, arg);
    }
}
