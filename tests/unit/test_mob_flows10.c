/* test_mob_flows10.c - the mobility rules for OpenFlow 1.0 switches
 * (src/app/mobility/mob_flows10.c) and their removal without a cookie
 * filter (mob_flows_strict.c).
 *
 *  - The rules: one table, nothing 1.0 cannot say (every rule encodes with
 *    of_encode(OF_VERSION_1_0) and reads back equal, as reconciliation
 *    compares them), the same cookies as the 1.3 planner, no two rules of
 *    a switch tied on priority for one packet.
 *  - Removal: the DELETE_STRICTs the update engine sends on 1.0 take out
 *    exactly the old placement's rules and never one the newer epoch
 *    replaced in place.
 *  - The rules at work, with 1.0 semantics: a single table where the
 *    highest priority wins, hosts with ARP caches that drop IP packets not
 *    addressed to them, a legacy router, and a controller that answers the
 *    ARP requests the rules hand it (as mob_arp.c does for 1.0). CN <-> MN
 *    after a move, between two moved nodes, during each step of an update,
 *    and after a return home.
 *  - The same with a datapath cache in each switch, as Open vSwitch's
 *    megaflows: a decision is reused for every packet that agrees on the
 *    fields the lookup examined, until the switch revalidates its cache,
 *    which it does after, not before, it answers the barrier behind a
 *    rule. No packet may reach a host with a MoA source in that window. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/mobility/mob_flows10.h"
#include "ofp/ofp_codec.h"
#include "util/obuf.h"

#include "assert_ofperr.h"

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))
#define N_SITES 3
#define LEGACY N_SITES
#define UPLINK 1u

static const struct eth_addr gw_mac[N_SITES + 1] = {
    {{0x02, 0x00, 0x00, 0x00, 0x01, 0x01}},
    {{0x02, 0x00, 0x00, 0x00, 0x02, 0x01}},
    {{0x02, 0x00, 0x00, 0x00, 0x03, 0x01}},
    {{0x02, 0x00, 0x00, 0x00, 0x04, 0x01}}, /* the router on the legacy network */
};
static const struct eth_addr mac_a = {{0x52, 0x54, 0x00, 0x12, 0x34, 0x56}};
static const struct eth_addr mac_b = {{0x52, 0x54, 0x00, 0xab, 0xcd, 0xef}};
static const struct eth_addr bcast = {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};

static struct mob_config cfg;
static struct mob_topology topo;
static const struct mob_planner *pl10 = &mob_planner_of10;

static uint32_t site_gw(int s)
{
    return s == LEGACY ? IP(10, 4, 0, 1) : IP(10, s + 1, 0, 1);
}

/* The testbed of examples/testbed.yaml: site i is 10.(i+1).0.0/24, gateway
 * .1, uplink 1, hypervisor ports 10-12, pool .200-.249. */
static int setup(void **state)
{
    memset(&cfg, 0, sizeof cfg);
    memset(&topo, 0, sizeof topo);
    cfg.n_sites = topo.n_sites = N_SITES;
    for (unsigned i = 0; i < N_SITES; i++) {
        struct mob_site *s = &cfg.sites[i];
        snprintf(s->name, sizeof s->name, "site%u", i + 1);
        s->dpid = i + 1;
        s->prefix = IP(10, i + 1, 0, 0);
        s->prefix_len = 24;
        s->gateway = site_gw((int)i);
        s->uplinks[0] = UPLINK;
        s->n_uplinks = 1;
        for (unsigned k = 0; k < 3; k++) {
            s->hypervisor_ports[k] = 10 + k;
        }
        s->n_hypervisor_ports = 3;
        s->pool_first = IP(10, i + 1, 0, 200);
        s->pool_last = IP(10, i + 1, 0, 249);
        s->line = 10 + 8 * i;
        topo.sites[i] = (struct mob_site_state){s, true, gw_mac[i]};
    }
    assert_int_equal(mob_config_validate(&cfg, "testbed"), 0);
    return 0;
}

static struct mob_placement place(uint32_t id, uint32_t epoch, struct eth_addr mac, uint32_t hoa,
                                  unsigned home, unsigned site, uint32_t moa)
{
    return (struct mob_placement){id, epoch, mac, hoa, moa, home, site, 10};
}

/* Node A: binding 1, home site `home` (.10), MoA .200 of its site. */
static struct mob_placement place_a(unsigned home, unsigned site, uint32_t epoch)
{
    return place(1, epoch, mac_a, IP(10, home + 1, 0, 10), home, site, IP(10, site + 1, 0, 200));
}

/* Node B: binding 2, .11 at home, MoA .201. */
static struct mob_placement place_b(unsigned home, unsigned site, uint32_t epoch)
{
    return place(2, epoch, mac_b, IP(10, home + 1, 0, 11), home, site, IP(10, site + 1, 0, 201));
}

/* ---- Rule lists ------------------------------------------------------- */

#define MAX_RULES 128
struct rules {
    unsigned n;
    struct of_flow_mod fm[MAX_RULES];
};

static struct rules *rules_new(void)
{
    struct rules *r = calloc(1, sizeof *r);
    assert_non_null(r);
    return r;
}

static void collect(void *arg, const struct of_flow_mod *fm)
{
    struct rules *r = arg;
    assert_true(r->n < MAX_RULES);
    r->fm[r->n++] = *fm;
}

enum part { RECEIVING, SENDING, RETURN };

static void plan(const struct mob_planner *pl, struct rules *r, enum part w, unsigned s,
                 const struct mob_placement *p)
{
    void (*fn[])(const struct mob_topology *, unsigned, const struct mob_placement *,
                 mob_emit_fn *, void *) = {pl->receiving, pl->sending, pl->return_home};
    fn[w](&topo, s, p, collect, r);
}

static const char *describe(const struct of_flow_mod *fm)
{
    static char bufs[4][512];
    static unsigned next;
    char *buf = bufs[next++ % 4];
    size_t len = (size_t)snprintf(buf, 512, "cmd=%u prio=%u cookie=%#llx match(", fm->command,
                                  fm->priority, (unsigned long long)fm->cookie);
    for (unsigned f = 0; f < OFF_N_FIELDS && len < 400; f++) {
        if (of_match_has(&fm->match, f)) {
            len += (size_t)snprintf(buf + len, 512 - len, "%s=%#llx ", of_field_name(f),
                                    (unsigned long long)fm->match.value[f].u64);
        }
    }
    snprintf(buf + len, 512 - len, ") %u actions", fm->insts.apply.n);
    return buf;
}

/* Same table, priority and match: an ADD of one replaces the other, a
 * DELETE_STRICT of one takes the other. */
static bool same_slot(const struct of_flow_mod *a, const struct of_flow_mod *b)
{
    return a->table_id == b->table_id && a->priority == b->priority &&
           of_match_equal(&a->match, &b->match);
}

static bool same_rule(const struct of_flow_mod *a, const struct of_flow_mod *b)
{
    return same_slot(a, b) && a->command == b->command && a->cookie == b->cookie &&
           a->idle_timeout == b->idle_timeout && a->hard_timeout == b->hard_timeout &&
           of_instructions_equal(&a->insts, &b->insts);
}

/* ---- The rules themselves --------------------------------------------- */

static void test_planner_for(void **state)
{
    assert_ptr_equal(mob_planner_for(OF_VERSION_1_0), &mob_planner_of10);
    assert_ptr_equal(mob_planner_for(OF_VERSION_1_3), &mob_planner_of13);
    assert_ptr_equal(mob_planner_for(0), &mob_planner_of13);
    assert_false(mob_planner_of10.cookie_filters);
    assert_true(mob_planner_of13.cookie_filters);
}

/* The pool .200-.249 as address blocks: .200/29 .208/28 .224/28 .240/29
 * .248/31. */
#define POOL_BLOCKS 5

static void test_base_rules(void **state)
{
    struct rules *r = rules_new();
    pl10->base(&topo, 1, collect, r);
    assert_int_equal(r->n, 3 + N_SITES * POOL_BLOCKS);
    const uint16_t types[] = {0x8035, 0x0806};
    for (unsigned i = 0; i < 2; i++) {
        const struct of_flow_mod *fm = &r->fm[i];
        assert_int_equal(fm->match.present, 1u << OFF_ETH_TYPE);
        assert_int_equal(fm->match.value[OFF_ETH_TYPE].u16, types[i]);
        assert_int_equal(fm->insts.apply.n, 2);
        assert_int_equal(fm->insts.apply.a[0].u.output.port, OFPP_CONTROLLER);
        assert_int_equal(fm->insts.apply.a[0].u.output.max_len, OFPCML_NO_BUFFER);
        assert_int_equal(fm->insts.apply.a[1].u.output.port, OFPP_NORMAL);
    }
    /* Every MoA pool's sources, exactly, by a rule that does what the
     * miss rule does (NORMAL) below every rule of a binding. */
    for (unsigned i = 0; i < N_SITES; i++) {
        for (uint32_t a = IP(10, i + 1, 0, 190); a <= IP(10, i + 1, 0, 255); a++) {
            unsigned covering = 0;
            for (unsigned k = 2; k < r->n - 1; k++) {
                const struct of_flow_mod *fm = &r->fm[k];
                assert_int_equal(fm->priority, 1);
                assert_int_equal(fm->match.present, 1u << OFF_ETH_TYPE | 1u << OFF_IPV4_SRC);
                assert_int_equal(fm->match.value[OFF_ETH_TYPE].u16, 0x0800);
                assert_int_equal(fm->insts.apply.n, 1);
                assert_int_equal(fm->insts.apply.a[0].u.output.port, OFPP_NORMAL);
                uint32_t mask = fm->match.mask[OFF_IPV4_SRC].u32;
                covering += (a & mask) == fm->match.value[OFF_IPV4_SRC].u32;
            }
            bool pooled = a >= cfg.sites[i].pool_first && a <= cfg.sites[i].pool_last;
            assert_int_equal(covering, pooled ? 1 : 0);
        }
    }
    /* A 1.0 table miss would go to the controller: the last rule is one. */
    const struct of_flow_mod *miss = &r->fm[r->n - 1];
    assert_int_equal(miss->priority, 0);
    assert_int_equal(miss->match.present, 0);
    assert_int_equal(miss->insts.apply.a[0].u.output.port, OFPP_NORMAL);
    for (unsigned i = 0; i < r->n; i++) {
        assert_int_equal(r->fm[i].cookie, mob_cookie(MOB_ROLE_BASE, 0, 0));
    }
    /* The learning table of a 1.3 switch means nothing to a 1.0 one. */
    cfg.sites[1].forward_table = 3;
    struct rules *again = rules_new();
    pl10->base(&topo, 1, collect, again);
    assert_int_equal(again->n, r->n);
    for (unsigned i = 0; i < r->n; i++) {
        assert_true(same_rule(&again->fm[i], &r->fm[i]));
    }
    free(r);
    free(again);
}

/* Encodes as 1.0, decodes, and checks the switch would hold what we sent;
 * then the same through a 1.0 flow stats reply, as reconciliation reads. */
static void assert_encodes_10(const struct of_flow_mod *fm)
{
    static struct of_msg msg, back;
    memset(&msg, 0, sizeof msg);
    msg.kind = OF_FLOW_MOD;
    msg.xid = 7;
    msg.u.flow_mod = *fm;
    struct obuf b = OBUF_INITIALIZER;
    ofperr err = of_encode(OF_VERSION_1_0, &msg, &b);
    if (err) {
        fail_msg("cannot encode as 1.0: %s: %s", describe(fm), ofperr_name(err));
    }
    assert_int_equal(b.data[0], OF_VERSION_1_0);
    assert_ofperr(of_decode(b.data, b.len, &back), 0);
    if (fm->command == OFPFC_ADD && !same_rule(&back.u.flow_mod, fm)) {
        fail_msg("1.0 round trip changed %s into %s", describe(fm), describe(&back.u.flow_mod));
    }
    obuf_free(&b);
    if (fm->command != OFPFC_ADD) {
        return;
    }
    struct of_flow_stats fs = {.table_id = fm->table_id, .priority = fm->priority,
                               .hard_timeout = fm->hard_timeout, .cookie = fm->cookie,
                               .match = fm->match, .insts = fm->insts};
    memset(&msg, 0, sizeof msg);
    msg.kind = OF_MULTIPART_REPLY;
    msg.u.mp_reply.mp_type = OFMP_FLOW;
    msg.u.mp_reply.flows = &fs;
    msg.u.mp_reply.n_flows = 1;
    b = (struct obuf)OBUF_INITIALIZER;
    assert_ofperr(of_encode(OF_VERSION_1_0, &msg, &b), 0);
    assert_ofperr(of_decode(b.data, b.len, &back), 0);
    struct of_mp_cursor cur;
    struct of_flow_stats got;
    of_mp_cursor_init(&cur, &back.u.mp_reply);
    assert_true(of_mp_next_flow(&cur, &got));
    assert_true(got.table_id == fm->table_id && got.priority == fm->priority &&
                got.cookie == fm->cookie && of_match_equal(&got.match, &fm->match) &&
                of_instructions_equal(&got.insts, &fm->insts));
    obuf_free(&b);
}

static void check_rule_10(const struct of_flow_mod *fm, enum mob_role role, uint32_t id,
                          uint32_t epoch)
{
    assert_encodes_10(fm);
    assert_int_equal(fm->table_id, 0);
    assert_int_equal(fm->insts.present, OFIB_APPLY_ACTIONS); /* no goto, no metadata */
    assert_false(of_match_has(&fm->match, OFF_METADATA));
    assert_int_equal(fm->idle_timeout, 0);
    assert_int_equal(fm->hard_timeout, role == MOB_ROLE_RETURN ? MOB_RETURN_RULE_SECONDS : 0);
    assert_int_equal(mob_cookie_role(fm->cookie), role);
    assert_int_equal(mob_cookie_id(fm->cookie), id);
    assert_int_equal(mob_cookie_epoch(fm->cookie), epoch);
    bool outputs = false;
    for (unsigned i = 0; i < fm->insts.apply.n; i++) {
        const struct of_action *a = &fm->insts.apply.a[i];
        if (a->type == OFAT_OUTPUT) {
            outputs = true;
            /* NORMAL, the hairpin, or the controller: nothing else. */
            assert_true(a->u.output.port == OFPP_NORMAL || a->u.output.port == OFPP_IN_PORT ||
                        a->u.output.port == OFPP_CONTROLLER);
        } else {
            assert_int_equal(a->type, OFAT_SET_FIELD);
            enum of_field f = a->u.set_field.field;
            assert_true(f == OFF_ETH_SRC || f == OFF_ETH_DST || f == OFF_IPV4_SRC ||
                        f == OFF_IPV4_DST);
        }
    }
    assert_true(outputs);
    if (of_match_has(&fm->match, OFF_ARP_TPA)) {
        /* ARP requests are answered by the controller, never flooded. */
        assert_int_equal(fm->insts.apply.n, 1);
        assert_int_equal(fm->insts.apply.a[0].u.output.port, OFPP_CONTROLLER);
    }
}

/* Every rule of every placement at every switch, and the base and return
 * rules: 1.0 can say them all, and reads them back as sent. */
static void test_every_rule_encodes_as_10(void **state)
{
    struct rules *r = rules_new();
    for (unsigned s = 0; s < N_SITES; s++) {
        r->n = 0;
        pl10->base(&topo, s, collect, r);
        for (unsigned i = 0; i < r->n; i++) {
            check_rule_10(&r->fm[i], MOB_ROLE_BASE, 0, 0);
        }
        for (unsigned home = 0; home < N_SITES; home++) {
            for (unsigned site = 0; site < N_SITES; site++) {
                struct mob_placement p = place_a(home, site, 5);
                const enum mob_role roles[] = {MOB_ROLE_RECEIVING, MOB_ROLE_SENDING,
                                               MOB_ROLE_RETURN};
                for (int w = RECEIVING; w <= RETURN; w++) {
                    r->n = 0;
                    plan(pl10, r, (enum part)w, s, &p);
                    /* Nothing for a node at home, but the return rules. */
                    assert_true((r->n == 0) == (w == RETURN ? home != site || s != home
                                                            : home == site));
                    for (unsigned i = 0; i < r->n; i++) {
                        check_rule_10(&r->fm[i], roles[w], 1, 5);
                    }
                }
            }
        }
    }
    free(r);
}

/* The 1.0 rules of a placement carry exactly the cookies the 1.3 rules do,
 * so every role, binding and epoch the update engine and reconciliation
 * track exists on both. */
static void test_same_cookies_as_13(void **state)
{
    struct rules *a = rules_new(), *b = rules_new();
    for (unsigned home = 0; home < N_SITES; home++) {
        for (unsigned site = 0; site < N_SITES; site++) {
            struct mob_placement p = place_a(home, site, 9);
            for (unsigned s = 0; s < N_SITES; s++) {
                for (int w = RECEIVING; w <= RETURN; w++) {
                    a->n = b->n = 0;
                    plan(pl10, a, (enum part)w, s, &p);
                    plan(&mob_planner_of13, b, (enum part)w, s, &p);
                    assert_int_equal(a->n > 0, b->n > 0);
                    for (unsigned i = 0; i < a->n; i++) {
                        assert_int_equal(a->fm[i].cookie, b->fm[0].cookie);
                    }
                }
            }
        }
    }
    free(a);
    free(b);
}

/* Per switch: 3 base rules and one per block of each MoA pool; for a node, 1 rule everywhere (source MoA),
 * 2 more at its site on the receiving side; on the sending side one per
 * site prefix + 3 at its site, 1 elsewhere, + 1 per uplink + 1 at home. */
static void test_rule_counts(void **state)
{
    struct rules *r = rules_new();
    struct mob_placement p = place_a(0, 1, 1);
    const unsigned recv[N_SITES] = {1, 3, 1}, send[N_SITES] = {3, N_SITES + 3, 1};
    for (unsigned s = 0; s < N_SITES; s++) {
        r->n = 0;
        plan(pl10, r, RECEIVING, s, &p);
        assert_int_equal(r->n, recv[s]);
        r->n = 0;
        plan(pl10, r, SENDING, s, &p);
        assert_int_equal(r->n, send[s]);
    }
    free(r);
}

static bool field_bits_agree(enum of_field f, const struct of_match *a, const struct of_match *b)
{
    uint64_t va = a->value[f].u64, vb = b->value[f].u64, ma = UINT64_MAX, mb = UINT64_MAX;
    if (of_field_width(f) == 6) {
        va = vb = 0;
        memcpy(&va, a->value[f].mac.b, 6);
        memcpy(&vb, b->value[f].mac.b, 6);
    } else if (of_field_width(f) == 4) {
        va = a->value[f].u32;
        vb = b->value[f].u32;
        ma = (a->masked >> f) & 1 ? a->mask[f].u32 : UINT32_MAX;
        mb = (b->masked >> f) & 1 ? b->mask[f].u32 : UINT32_MAX;
    } else if (of_field_width(f) == 2) {
        va = a->value[f].u16;
        vb = b->value[f].u16;
    }
    return ((va ^ vb) & ma & mb) == 0;
}

static bool matches_overlap(const struct of_match *a, const struct of_match *b)
{
    for (unsigned f = 0; f < OFF_N_FIELDS; f++) {
        if (of_match_has(a, f) && of_match_has(b, f) && !field_bits_agree(f, a, b)) {
            return false;
        }
    }
    return true;
}

/* One table: no packet may match two rules of one priority (the switch
 * would pick either), for two nodes at every pair of placements, both
 * sides of each, with the base rules. Identical slots across roles would
 * also make a DELETE_STRICT of one role take the other. */
static void test_no_ties(void **state)
{
    struct rules *all = rules_new();
    for (unsigned ha = 0; ha < N_SITES; ha++) {
        for (unsigned sa = 0; sa < N_SITES; sa++) {
            for (unsigned hb = 0; hb < N_SITES; hb++) {
                for (unsigned sb = 0; sb < N_SITES; sb++) {
                    if (ha == sa || hb == sb) {
                        continue;
                    }
                    struct mob_placement a = place_a(ha, sa, 3), b = place_b(hb, sb, 3);
                    struct mob_placement home_c = place(3, 2, (struct eth_addr){{2, 0, 0, 0, 0,
                                                       9}}, IP(10, 1, 0, 12), 0, 0,
                                                       IP(10, 1, 0, 12));
                    for (unsigned s = 0; s < N_SITES; s++) {
                        all->n = 0;
                        pl10->base(&topo, s, collect, all);
                        plan(pl10, all, RECEIVING, s, &a);
                        plan(pl10, all, SENDING, s, &a);
                        plan(pl10, all, RECEIVING, s, &b);
                        plan(pl10, all, SENDING, s, &b);
                        plan(pl10, all, RETURN, s, &home_c);
                        for (unsigned i = 0; i < all->n; i++) {
                            for (unsigned j = i + 1; j < all->n; j++) {
                                const struct of_flow_mod *x = &all->fm[i], *y = &all->fm[j];
                                if (x->priority == y->priority &&
                                    matches_overlap(&x->match, &y->match)) {
                                    fail_msg("site%u: tie\n  %s\n  %s", s + 1, describe(x),
                                             describe(y));
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    free(all);
}

/* A newer epoch of the same placement changes only cookies, so its ADDs
 * replace the older rules in place. */
static void test_epochs_differ_only_in_cookies(void **state)
{
    struct rules *a = rules_new(), *b = rules_new();
    for (unsigned site = 1; site < N_SITES; site++) {
        struct mob_placement p = place_a(0, site, 8), q = place_a(0, site, 9);
        for (unsigned s = 0; s < N_SITES; s++) {
            for (int w = RECEIVING; w <= SENDING; w++) {
                a->n = b->n = 0;
                plan(pl10, a, (enum part)w, s, &p);
                plan(pl10, b, (enum part)w, s, &q);
                assert_int_equal(a->n, b->n);
                for (unsigned i = 0; i < a->n; i++) {
                    assert_int_equal(mob_cookie_epoch(b->fm[i].cookie), 9);
                    b->fm[i].cookie = a->fm[i].cookie;
                    assert_true(same_rule(&a->fm[i], &b->fm[i]));
                }
            }
        }
    }
    free(a);
    free(b);
}

/* ---- A switch with one table ------------------------------------------ */

#define MAX_FLOWS 128
struct table {
    unsigned n;
    struct of_flow_mod fm[MAX_FLOWS];
};

/* ADD replaces the rule in its slot; DELETE_STRICT removes the rule in its
 * slot whatever its cookie (1.0 has no cookie filter). */
static void table_apply(void *arg, const struct of_flow_mod *fm)
{
    struct table *t = arg;
    assert_true(fm->command == OFPFC_ADD || fm->command == OFPFC_DELETE_STRICT);
    assert_int_equal(fm->cookie_mask, 0);
    for (unsigned i = 0; i < t->n; i++) {
        if (same_slot(&t->fm[i], fm)) {
            if (fm->command == OFPFC_ADD) {
                t->fm[i] = *fm;
            } else {
                t->fm[i] = t->fm[--t->n];
            }
            return;
        }
    }
    if (fm->command == OFPFC_ADD) {
        assert_true(t->n < MAX_FLOWS);
        t->fm[t->n++] = *fm;
    }
}

/* The table holds exactly these rules, cookies included. */
static void assert_table_is(const struct table *t, const struct rules *want, const char *what)
{
    bool used[MAX_FLOWS] = {false};
    for (unsigned i = 0; i < want->n; i++) {
        bool found = false;
        for (unsigned j = 0; j < t->n && !found; j++) {
            if (!used[j] && same_rule(&t->fm[j], &want->fm[i])) {
                used[j] = found = true;
            }
        }
        if (!found) {
            fail_msg("%s: missing %s", what, describe(&want->fm[i]));
        }
    }
    for (unsigned j = 0; j < t->n; j++) {
        if (!used[j]) {
            fail_msg("%s: left over %s", what, describe(&t->fm[j]));
        }
    }
}

struct frame {
    uint32_t in_port;
    struct eth_addr src, dst;
    uint16_t type;
    uint32_t nw_src, nw_dst; /* IPv4 addresses, or ARP spa/tpa */
    uint16_t arp_op;
    struct eth_addr sha;
};

static bool frame_get(const struct frame *f, enum of_field fld, union of_field_value *v)
{
    memset(v, 0, sizeof *v);
    bool ip = f->type == 0x0800, arp = f->type == 0x0806;
    switch (fld) {
    case OFF_IN_PORT:
        v->u32 = f->in_port;
        return true;
    case OFF_ETH_DST:
        v->mac = f->dst;
        return true;
    case OFF_ETH_SRC:
        v->mac = f->src;
        return true;
    case OFF_ETH_TYPE:
        v->u16 = f->type;
        return true;
    case OFF_IPV4_SRC:
    case OFF_ARP_SPA:
        v->u32 = f->nw_src;
        return fld == OFF_IPV4_SRC ? ip : arp;
    case OFF_IPV4_DST:
    case OFF_ARP_TPA:
        v->u32 = f->nw_dst;
        return fld == OFF_IPV4_DST ? ip : arp;
    case OFF_ARP_OP:
        v->u16 = f->arp_op;
        return arp;
    default:
        return false;
    }
}

static bool rule_matches(const struct of_flow_mod *fm, const struct frame *f)
{
    for (unsigned fld = 0; fld < OFF_N_FIELDS; fld++) {
        if (!of_match_has(&fm->match, fld)) {
            continue;
        }
        struct of_match one;
        union of_field_value v;
        if (!frame_get(f, fld, &v)) {
            return false;
        }
        of_match_init(&one);
        of_match_set(&one, fld, v);
        if (!field_bits_agree(fld, &one, &fm->match)) {
            return false;
        }
    }
    return true;
}

#define MAX_OUT 4
struct outputs {
    unsigned n;
    uint32_t port[MAX_OUT];
    struct frame f[MAX_OUT];
};

#define MAX_ARP 8
struct host {
    char name[8];
    struct eth_addr mac;
    uint32_t ip, gw;
    int site; /* LEGACY for the legacy network */
    uint32_t port;
    unsigned n_arp;
    uint32_t arp_ip[MAX_ARP];
    struct eth_addr arp_mac[MAX_ARP];
};

#define MAX_HOSTS 8
#define MAX_NODES 4
struct net {
    struct table sw[N_SITES];
    struct host hosts[MAX_HOSTS];
    unsigned n_hosts;
    /* What the controller knows: committed placements of nodes away, and
     * one update in flight (receiving side out; sending side too once
     * `sending`). */
    struct mob_placement away[MAX_NODES];
    unsigned n_away;
    bool moving, sending;
    struct mob_placement move;
    bool controller_down;
    bool caching; /* each switch keeps a datapath cache (below) */
    struct dp_cache *cache; /* one per switch, while caching */
    char trace[2048];
    size_t trace_len;
};

static void trace(struct net *n, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void trace(struct net *n, const char *fmt, ...)
{
    if (n->trace_len >= sizeof n->trace) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(n->trace + n->trace_len, sizeof n->trace - n->trace_len, fmt, ap);
    va_end(ap);
    n->trace_len += k > 0 ? (size_t)k : 0;
}

/* ---- A datapath cache ------------------------------------------------- *
 *
 * As Open vSwitch's megaflows: the first packet of a kind is looked up in
 * the table, and the decision is kept for every later packet that agrees
 * with it on the fields the lookup examined: the ingress port, the MACs
 * (NORMAL learns and forwards by them), and every field, under its mask,
 * of each rule that could have beaten the winner (a priority not below
 * its own; all rules for a miss). Open vSwitch's prefix tries examine
 * fewer address bits than that, but still enough to tell whether an
 * address lies in a rule's prefix. The switch revalidates its cache some
 * time after a rule changes (net_revalidate): the barrier does not wait. */

#define MAX_CACHED 128
struct cached {
    struct frame key;
    uint32_t fields;            /* bit f: field f examined */
    uint32_t src_mask, dst_mask; /* the bits examined of the addresses */
    bool hit_rule;
    struct of_flow_mod rule;    /* the decision, as the rule was then */
};
struct dp_cache {
    unsigned n;
    struct cached e[MAX_CACHED];
};

static uint32_t field_mask32(const struct of_match *m, enum of_field f)
{
    return (m->masked >> f) & 1 ? m->mask[f].u32 : UINT32_MAX;
}

static void examine(struct cached *c, const struct of_flow_mod *fm)
{
    for (unsigned fld = 0; fld < OFF_N_FIELDS; fld++) {
        if (!of_match_has(&fm->match, fld)) {
            continue;
        }
        c->fields |= 1u << fld;
        if (fld == OFF_IPV4_SRC || fld == OFF_ARP_SPA) {
            c->src_mask |= field_mask32(&fm->match, fld);
        } else if (fld == OFF_IPV4_DST || fld == OFF_ARP_TPA) {
            c->dst_mask |= field_mask32(&fm->match, fld);
        }
    }
}

static bool cache_hits(const struct cached *c, const struct frame *f)
{
    for (unsigned fld = 0; fld < OFF_N_FIELDS; fld++) {
        if (!((c->fields >> fld) & 1)) {
            continue;
        }
        union of_field_value a, b;
        bool has_a = frame_get(f, fld, &a), has_b = frame_get(&c->key, fld, &b);
        if (has_a != has_b) {
            return false;
        }
        if (!has_a) {
            continue;
        }
        uint32_t mask = fld == OFF_IPV4_SRC || fld == OFF_ARP_SPA   ? c->src_mask
                        : fld == OFF_IPV4_DST || fld == OFF_ARP_TPA ? c->dst_mask
                                                                    : UINT32_MAX;
        if (of_field_width(fld) == 4 ? ((a.u32 ^ b.u32) & mask) != 0
                                     : memcmp(&a, &b, sizeof a) != 0) {
            return false;
        }
    }
    return true;
}

static void cache_put(struct net *n, unsigned s, const struct frame *f,
                      const struct of_flow_mod *best)
{
    struct dp_cache *dc = &n->cache[s];
    assert_true(dc->n < MAX_CACHED);
    struct cached *c = &dc->e[dc->n++];
    memset(c, 0, sizeof *c);
    c->key = *f;
    c->fields = 1u << OFF_IN_PORT | 1u << OFF_ETH_SRC | 1u << OFF_ETH_DST | 1u << OFF_ETH_TYPE;
    const struct table *t = &n->sw[s];
    for (unsigned i = 0; i < t->n; i++) {
        if (!best || t->fm[i].priority >= best->priority) {
            examine(c, &t->fm[i]);
        }
    }
    c->hit_rule = best != NULL;
    if (best) {
        c->rule = *best;
    }
}

/* The switches revalidate their caches: every decision is made again. */
static void net_revalidate(struct net *n)
{
    for (unsigned s = 0; n->caching && s < N_SITES; s++) {
        n->cache[s].n = 0;
    }
}

static void net_cache_on(struct net *n)
{
    n->cache = calloc(N_SITES, sizeof *n->cache);
    assert_non_null(n->cache);
    n->caching = true;
}

static void net_free(struct net *n)
{
    free(n->cache);
    free(n);
}

/* One table: the highest priority wins; a tie fails the test. With a
 * cache, a cached decision wins over the table. */
static void lookup(struct net *n, unsigned s, struct frame f, struct outputs *o)
{
    const struct table *t = &n->sw[s];
    const struct of_flow_mod *best = NULL;
    o->n = 0;
    const struct cached *hit = NULL;
    for (unsigned i = 0; n->caching && i < n->cache[s].n && !hit; i++) {
        hit = cache_hits(&n->cache[s].e[i], &f) ? &n->cache[s].e[i] : NULL;
    }
    if (hit) {
        best = hit->hit_rule ? &hit->rule : NULL;
        trace(n, " (cached)");
    }
    for (unsigned i = 0; !hit && i < t->n; i++) {
        const struct of_flow_mod *fm = &t->fm[i];
        if (!rule_matches(fm, &f)) {
            continue;
        }
        if (best && fm->priority == best->priority) {
            fail_msg("site%u: a frame matches two rules of priority %u\n  %s\n  %s\ntrace: %s",
                     s + 1, fm->priority, describe(best), describe(fm), n->trace);
        }
        if (!best || fm->priority > best->priority) {
            best = fm;
        }
    }
    if (n->caching && !hit) {
        cache_put(n, s, &f, best);
    }
    if (!best) {
        trace(n, " s%u: miss", s + 1); /* a 1.0 miss goes to the controller */
        return;
    }
    trace(n, " s%u/%u", s + 1, best->priority);
    for (unsigned i = 0; i < best->insts.apply.n; i++) {
        const struct of_action *a = &best->insts.apply.a[i];
        if (a->type == OFAT_OUTPUT) {
            assert_true(o->n < MAX_OUT);
            o->port[o->n] = a->u.output.port;
            o->f[o->n++] = f;
            continue;
        }
        union of_field_value old;
        /* A rewrite of a field the packet lacks is a bug of the planner. */
        assert_true(frame_get(&f, a->u.set_field.field, &old));
        const union of_field_value *v = &a->u.set_field.value;
        switch (a->u.set_field.field) {
        case OFF_ETH_SRC:
            f.src = v->mac;
            break;
        case OFF_ETH_DST:
            f.dst = v->mac;
            break;
        case OFF_IPV4_SRC:
            f.nw_src = v->u32;
            break;
        case OFF_IPV4_DST:
            f.nw_dst = v->u32;
            break;
        default:
            fail_msg("1.0 cannot rewrite %s", of_field_name(a->u.set_field.field));
        }
    }
}

static bool in_24(uint32_t a, uint32_t b)
{
    return (a & 0xffffff00u) == (b & 0xffffff00u);
}

static struct host *host_where(struct net *n, int site, uint32_t ip, const struct eth_addr *mac)
{
    for (unsigned i = 0; i < n->n_hosts; i++) {
        struct host *h = &n->hosts[i];
        if (h->site == site && (mac ? eth_addr_equal(h->mac, *mac) : h->ip == ip)) {
            return h;
        }
    }
    return NULL;
}

static struct host *host_named(struct net *n, const char *name)
{
    for (unsigned i = 0; i < n->n_hosts; i++) {
        if (!strcmp(n->hosts[i].name, name)) {
            return &n->hosts[i];
        }
    }
    fail_msg("no host %s", name);
    return NULL;
}

/* Where the switches deliver a node (mob_arp.c delivered_at): its update's
 * site once the sending side is out, else its committed site; -1 home. */
static int delivered_at(const struct net *n, const struct mob_placement *p, bool committed)
{
    if (n->moving && n->sending && n->move.id == p->id) {
        return n->move.site == n->move.home ? -1 : (int)n->move.site;
    }
    return committed ? (int)p->site : -1;
}

static const struct mob_placement *node_of(const struct net *n, struct eth_addr mac,
                                           uint32_t hoa, bool *committed)
{
    for (unsigned i = 0; i < n->n_away; i++) {
        if (eth_addr_equal(n->away[i].mac, mac) || n->away[i].hoa == hoa) {
            *committed = true;
            return &n->away[i];
        }
    }
    *committed = false;
    if (n->moving && (eth_addr_equal(n->move.mac, mac) || n->move.hoa == hoa)) {
        return &n->move;
    }
    return NULL;
}

/* The controller's answer to a request a 1.0 switch sent it, as
 * mob_arp.c's answer_of10() gives it. */
static bool controller_answer(struct net *n, unsigned s, const struct frame *req,
                              struct eth_addr *out)
{
    if (n->controller_down) {
        return false;
    }
    for (unsigned i = 0; i < n->n_away + n->moving; i++) {
        const struct mob_placement *p = i < n->n_away ? &n->away[i] : &n->move;
        if (p->site == s && p->site != p->home && p->moa == req->nw_dst &&
            !eth_addr_equal(req->sha, p->mac)) {
            *out = p->mac;
            return true;
        }
    }
    bool committed;
    const struct mob_placement *t = node_of(n, (struct eth_addr){{0}}, req->nw_dst, &committed);
    int at = t ? delivered_at(n, t, committed) : -1;
    if (t && at >= 0 && t->home == s && (unsigned)at != s && !eth_addr_equal(req->sha, t->mac)) {
        *out = t->mac;
        return true;
    }
    const struct mob_placement *a = node_of(n, req->sha, 0, &committed);
    if (a && delivered_at(n, a, committed) == (int)s && req->nw_src == a->hoa &&
        in_24(req->nw_dst, cfg.sites[a->home].prefix)) {
        *out = gw_mac[s];
        return true;
    }
    return false;
}

/* An ARP request entering switch s; the MAC it resolves to, if any. */
static bool arp_on_site(struct net *n, unsigned s, uint32_t in_port, struct eth_addr mac,
                        uint32_t ip, uint32_t tpa, struct eth_addr *out)
{
    struct frame req = {.in_port = in_port, .src = mac, .dst = bcast, .type = 0x0806,
                        .arp_op = 1, .sha = mac, .nw_src = ip, .nw_dst = tpa};
    struct outputs o;
    trace(n, " [arp %#x?", tpa);
    lookup(n, s, req, &o);
    unsigned answers = 0;
    struct eth_addr ans[2 * MAX_OUT];
    for (unsigned i = 0; i < o.n; i++) {
        if (o.port[i] == OFPP_CONTROLLER) {
            answers += controller_answer(n, s, &req, &ans[answers]);
        } else if (o.port[i] == OFPP_NORMAL) {
            /* Flooded on the segment: the router and the owner answer. */
            if (in_port != UPLINK && tpa == site_gw((int)s)) {
                ans[answers++] = gw_mac[s];
            }
            struct host *h = host_where(n, (int)s, tpa, NULL);
            if (h && h->port != in_port) {
                ans[answers++] = h->mac;
            }
        } else {
            fail_msg("ARP request sent to port %#x", o.port[i]);
        }
    }
    for (unsigned i = 1; i < answers; i++) {
        if (!eth_addr_equal(ans[0], ans[i])) {
            fail_msg("two different ARP answers for %#x at site%u; trace: %s", tpa, s + 1,
                     n->trace);
        }
    }
    trace(n, answers ? " ok]" : " none]");
    if (answers) {
        *out = ans[0];
    }
    return answers > 0;
}

struct delivery {
    const struct host *to;
    struct frame f;
};

static void router_in(struct net *n, int link, struct frame f, int depth, struct delivery *d);

/* A host takes a frame for its MAC, and keeps an IP packet only if it is
 * addressed to it (it does not forward). */
static void host_in(struct net *n, struct host *h, struct frame f, struct delivery *d)
{
    if (!eth_addr_equal(f.dst, h->mac)) {
        trace(n, " %s: not its MAC", h->name);
    } else if (f.nw_dst != h->ip) {
        trace(n, " %s drops a packet for %#x", h->name, f.nw_dst);
    } else {
        trace(n, " -> %s", h->name);
        d->to = h;
        d->f = f;
    }
}

static void switch_in(struct net *n, unsigned s, struct frame f, int depth, struct delivery *d)
{
    struct outputs o;
    lookup(n, s, f, &o);
    if (o.n != 1) {
        if (o.n > 1) {
            fail_msg("an IP frame went out %u times at site%u; trace: %s", o.n, s + 1, n->trace);
        }
        return;
    }
    struct frame g = o.f[0];
    uint32_t port = o.port[0];
    if (port == OFPP_IN_PORT) {
        port = f.in_port;
    } else if (port == OFPP_NORMAL) {
        struct host *h = host_where(n, (int)s, 0, &g.dst);
        port = eth_addr_equal(g.dst, gw_mac[s]) ? UPLINK : h ? h->port : 0;
        if (port == 0 || port == f.in_port) {
            trace(n, " s%u: NORMAL has nowhere to send it", s + 1);
            return;
        }
    } else {
        fail_msg("IP frame to port %#x", port);
    }
    if (port == UPLINK) {
        router_in(n, (int)s, g, depth + 1, d);
        return;
    }
    for (unsigned i = 0; i < n->n_hosts; i++) {
        if (n->hosts[i].site == (int)s && n->hosts[i].port == port) {
            host_in(n, &n->hosts[i], g, d);
            return;
        }
    }
    trace(n, " s%u: nobody on port %u", s + 1, port);
}

static void router_in(struct net *n, int link, struct frame f, int depth, struct delivery *d)
{
    if (depth > 6) {
        fail_msg("routing loop; trace: %s", n->trace);
    }
    if (!eth_addr_equal(f.dst, gw_mac[link])) {
        trace(n, " router: not its MAC");
        return;
    }
    int out = -1;
    for (int i = 0; i <= LEGACY; i++) {
        out = in_24(f.nw_dst, site_gw(i)) ? i : out;
    }
    if (out < 0) {
        trace(n, " router: no route");
        return;
    }
    trace(n, " router(%d->%d)", link + 1, out + 1);
    f.src = gw_mac[out];
    if (out == LEGACY) {
        struct host *h = host_where(n, LEGACY, f.nw_dst, NULL);
        if (h) {
            f.dst = h->mac;
            host_in(n, h, f, d);
        }
        return;
    }
    if (arp_on_site(n, (unsigned)out, UPLINK, gw_mac[out], site_gw(out), f.nw_dst, &f.dst)) {
        f.in_port = UPLINK;
        switch_in(n, (unsigned)out, f, depth, d);
    }
}

static bool host_resolve(struct net *n, struct host *h, uint32_t ip, struct eth_addr *mac)
{
    for (unsigned i = 0; i < h->n_arp; i++) {
        if (h->arp_ip[i] == ip) {
            *mac = h->arp_mac[i];
            return true;
        }
    }
    bool ok;
    if (h->site == LEGACY) {
        struct host *o = host_where(n, LEGACY, ip, NULL);
        *mac = o ? o->mac : gw_mac[LEGACY];
        ok = true;
    } else {
        ok = arp_on_site(n, (unsigned)h->site, h->port, h->mac, h->ip, ip, mac);
    }
    if (ok && h->n_arp < MAX_ARP) {
        h->arp_ip[h->n_arp] = ip;
        h->arp_mac[h->n_arp++] = *mac;
    }
    return ok;
}

static struct delivery send_ip(struct net *n, struct host *from, uint32_t to_ip)
{
    struct delivery d = {NULL, {0}};
    n->trace_len = 0;
    n->trace[0] = '\0';
    trace(n, "%s->%#x:", from->name, to_ip);
    struct eth_addr mac;
    if (!host_resolve(n, from, in_24(from->ip, to_ip) ? to_ip : from->gw, &mac)) {
        return d;
    }
    struct frame f = {.in_port = from->port, .src = from->mac, .dst = mac, .type = 0x0800,
                      .nw_src = from->ip, .nw_dst = to_ip};
    if (from->site == LEGACY) {
        router_in(n, LEGACY, f, 0, &d);
    } else {
        switch_in(n, (unsigned)from->site, f, 0, &d);
    }
    return d;
}

/* Delivered, with both hosts' own addresses. */
static void expect_path(struct net *n, const char *from, const char *to)
{
    struct host *a = host_named(n, from), *b = host_named(n, to);
    struct delivery d = send_ip(n, a, b->ip);
    if (d.to != b || d.f.nw_src != a->ip) {
        fail_msg("%s -> %s not delivered as %s -> %s (got %s, src %#x)\ntrace: %s", from, to,
                 from, to, d.to ? d.to->name : "nothing", d.f.nw_src, n->trace);
    }
}

/* Lost at worst, never delivered to another host or with a MoA source.
 * Returns true if delivered. */
static bool safe_path(struct net *n, const char *from, const char *to)
{
    struct host *a = host_named(n, from), *b = host_named(n, to);
    struct delivery d = send_ip(n, a, b->ip);
    if (d.to && (d.to != b || d.f.nw_src != a->ip)) {
        fail_msg("%s -> %s delivered wrong (to %s, src %#x)\ntrace: %s", from, to, d.to->name,
                 d.f.nw_src, n->trace);
    }
    return d.to != NULL;
}

static struct host *add_host(struct net *n, const char *name, struct eth_addr mac, uint32_t ip,
                             int site, uint32_t port)
{
    assert_true(n->n_hosts < MAX_HOSTS);
    struct host *h = &n->hosts[n->n_hosts++];
    memset(h, 0, sizeof *h);
    snprintf(h->name, sizeof h->name, "%s", name);
    h->mac = mac;
    h->ip = ip;
    h->gw = (ip & 0xffffff00u) | 1;
    h->site = site;
    h->port = port;
    return h;
}

static const char *const cns[] = {"cn1", "cn2", "cn3", "legacy"};

/* The testbed with the 1.0 base rules and a correspondent on every net. */
static struct net *net_new(void)
{
    struct net *n = calloc(1, sizeof *n);
    assert_non_null(n);
    for (unsigned s = 0; s < N_SITES; s++) {
        pl10->base(&topo, s, table_apply, &n->sw[s]);
        add_host(n, cns[s], (struct eth_addr){{0x52, 0x54, 0, 0xc0, 0, (uint8_t)(s + 1)}},
                 IP(10, s + 1, 0, 20), (int)s, 11);
    }
    add_host(n, "legacy", (struct eth_addr){{0x52, 0x54, 0, 0xc0, 0, 4}}, IP(10, 4, 0, 20),
             LEGACY, 0);
    return n;
}

static void install(struct net *n, enum part w, const struct mob_placement *p, unsigned mask)
{
    mob_plan_fn *fn[] = {pl10->receiving, pl10->sending, pl10->return_home};
    for (unsigned s = 0; s < N_SITES; s++) {
        if (mask & (1u << s)) {
            fn[w](&topo, s, p, table_apply, &n->sw[s]);
        }
    }
}

/* What the update engine sends a 1.0 switch to remove rules. */
static void remove_strict(struct net *n, const struct mob_placement *old, unsigned n_old,
                          unsigned parts, const struct mob_placement *keep, unsigned n_keep,
                          unsigned mask)
{
    struct mob_removal r = {old, n_old, parts, keep, n_keep};
    for (unsigned s = 0; s < N_SITES; s++) {
        if (mask & (1u << s)) {
            mob_flows_remove_strict(pl10, &topo, s, &r, table_apply, &n->sw[s]);
        }
    }
}

#define ALL_PARTS (MOB_PART_RECEIVING | MOB_PART_SENDING | MOB_PART_RETURN)

static void net_commit(struct net *n, const struct mob_placement *p)
{
    n->moving = n->sending = false;
    for (unsigned i = 0; i < n->n_away; i++) {
        if (n->away[i].id == p->id) {
            if (p->site == p->home) {
                n->away[i] = n->away[--n->n_away];
            } else {
                n->away[i] = *p;
            }
            return;
        }
    }
    if (p->site != p->home) {
        assert_true(n->n_away < MAX_NODES);
        n->away[n->n_away++] = *p;
    }
}

/* Installs a whole move on every switch and commits it. */
static void move_to(struct net *n, const struct mob_placement *p)
{
    install(n, RECEIVING, p, 7);
    install(n, SENDING, p, 7);
    net_commit(n, p);
}

static void move_host(struct host *h, unsigned site, uint32_t port)
{
    h->site = (int)site;
    h->port = port;
}

static void host_learn(struct host *h, uint32_t ip, struct eth_addr mac)
{
    for (unsigned i = 0; i < h->n_arp; i++) {
        if (h->arp_ip[i] == ip) {
            h->arp_mac[i] = mac;
            return;
        }
    }
    assert_true(h->n_arp < MAX_ARP);
    h->arp_ip[h->n_arp] = ip;
    h->arp_mac[h->n_arp++] = mac;
}

static void expect_all_paths(struct net *n, const char *node)
{
    for (unsigned i = 0; i < 4; i++) {
        expect_path(n, node, cns[i]);
        expect_path(n, cns[i], node);
    }
}

static void expect_cns_unaffected(struct net *n)
{
    for (unsigned i = 0; i < 4; i++) {
        for (unsigned j = 0; j < 4; j++) {
            if (i != j) {
                expect_path(n, cns[i], cns[j]);
            }
        }
    }
}

/* Switch s holds exactly the base rules and these placements' rules. */
static void expect_tables(struct net *n, const struct mob_placement *ps, unsigned n_ps)
{
    struct rules *w = rules_new();
    for (unsigned s = 0; s < N_SITES; s++) {
        w->n = 0;
        pl10->base(&topo, s, collect, w);
        for (unsigned i = 0; i < n_ps; i++) {
            plan(pl10, w, RECEIVING, s, &ps[i]);
            plan(pl10, w, SENDING, s, &ps[i]);
        }
        char what[32];
        snprintf(what, sizeof what, "site%u", s + 1);
        assert_table_is(&n->sw[s], w, what);
    }
    free(w);
}

/* ---- Removal without a cookie filter ---------------------------------- */

/* The DELETE_STRICTs: 1.0 can send them, one per rule, none for a rule
 * the newer placement holds in the same slot. */
static void test_remove_strict_messages(void **state)
{
    struct rules *got = rules_new(), *old = rules_new(), *keep = rules_new();
    struct mob_placement p2 = place_a(0, 1, 1), p3 = place_a(0, 2, 2);
    struct mob_removal r = {&p2, 1, ALL_PARTS, &p3, 1};
    for (unsigned s = 0; s < N_SITES; s++) {
        got->n = old->n = keep->n = 0;
        mob_flows_remove_strict(pl10, &topo, s, &r, collect, got);
        plan(pl10, old, RECEIVING, s, &p2);
        plan(pl10, old, SENDING, s, &p2);
        plan(pl10, keep, RECEIVING, s, &p3);
        plan(pl10, keep, SENDING, s, &p3);
        unsigned expected = 0;
        for (unsigned i = 0; i < old->n; i++) {
            bool kept = false;
            for (unsigned j = 0; j < keep->n; j++) {
                kept |= same_slot(&old->fm[i], &keep->fm[j]);
            }
            if (kept) {
                continue;
            }
            assert_true(expected < got->n);
            const struct of_flow_mod *d = &got->fm[expected++];
            assert_int_equal(d->command, OFPFC_DELETE_STRICT);
            assert_int_equal(d->cookie_mask, 0);
            assert_int_equal(d->out_port, OFPP_ANY);
            assert_true(same_slot(d, &old->fm[i]));
            assert_int_equal(d->insts.present, 0);
            assert_encodes_10(d);
        }
        assert_int_equal(got->n, expected);
    }
    /* At the old site the node's HoA was delivered locally; the new epoch
     * forwards it from the same slot: that DELETE must not go out. */
    got->n = 0;
    mob_flows_remove_strict(pl10, &topo, 1, &r, collect, got);
    for (unsigned i = 0; i < got->n; i++) {
        assert_false(of_match_has(&got->fm[i].match, OFF_IPV4_DST) &&
                     got->fm[i].match.value[OFF_IPV4_DST].u32 == p2.hoa);
    }
    /* Two old placements that share rules (the home site's): once each. */
    struct mob_placement olds[] = {p2, p3};
    struct mob_removal both = {olds, 2, ALL_PARTS, NULL, 0};
    got->n = 0;
    mob_flows_remove_strict(pl10, &topo, 0, &both, collect, got);
    for (unsigned i = 0; i < got->n; i++) {
        for (unsigned j = i + 1; j < got->n; j++) {
            assert_false(same_slot(&got->fm[i], &got->fm[j]));
        }
    }
    free(got);
    free(old);
    free(keep);
}

/* ---- The rules at work ------------------------------------------------ */

static void test_dataplane_base_only(void **state)
{
    struct net *n = net_new();
    add_host(n, "a", mac_a, IP(10, 1, 0, 10), 0, 10);
    expect_cns_unaffected(n);
    expect_all_paths(n, "a");
    free(n);
}

/* After a move, every correspondent and the node, both ways, with a cold
 * ARP cache and with the one it brought from home. */
static void test_dataplane_away(void **state)
{
    const unsigned moves[][2] = {{0, 1}, {0, 2}, {1, 0}, {2, 1}};
    for (unsigned k = 0; k < 4; k++) {
        for (int warm = 0; warm < 2; warm++) {
            struct net *n = net_new();
            struct mob_placement p = place_a(moves[k][0], moves[k][1], 1);
            struct host *a = add_host(n, "a", mac_a, p.hoa, (int)p.home, 10);
            if (warm) {
                expect_all_paths(n, "a");
            }
            move_to(n, &p);
            move_host(a, p.site, 10);
            expect_all_paths(n, "a");
            expect_cns_unaffected(n);
            free(n);
        }
    }
}

/* Two moved nodes, at different sites and at the same one: delivered both
 * ways with their HoAs (on 1.0 the sender's HoA stays the source). */
static void test_dataplane_two_moved_nodes(void **state)
{
    const unsigned combos[][4] = {{0, 1, 0, 2}, {0, 1, 2, 0}, {1, 2, 0, 1},
                                  {0, 2, 2, 1}, {0, 1, 0, 1}, {0, 1, 2, 1}};
    for (unsigned k = 0; k < 6; k++) {
        struct net *n = net_new();
        struct mob_placement pa = place_a(combos[k][0], combos[k][1], 1);
        struct mob_placement pb = place_b(combos[k][2], combos[k][3], 1);
        add_host(n, "a", mac_a, pa.hoa, (int)pa.site, 10);
        add_host(n, "b", mac_b, pb.hoa, (int)pb.site, 12);
        move_to(n, &pa);
        move_to(n, &pb);
        expect_path(n, "a", "b");
        expect_path(n, "b", "a");
        expect_all_paths(n, "a");
        expect_all_paths(n, "b");
        expect_cns_unaffected(n);
        free(n);
    }
}

/* 1.0 cannot answer ARP in the switch: with the controller away, what is
 * cached keeps working, what must be asked waits for the controller. */
static void test_dataplane_controller_away(void **state)
{
    struct net *n = net_new();
    struct mob_placement p = place_a(0, 1, 1);
    add_host(n, "a", mac_a, p.hoa, 1, 10);
    move_to(n, &p);
    n->controller_down = true;
    assert_false(safe_path(n, "a", "cn3")); /* its home gateway: nobody answers */
    assert_false(safe_path(n, "cn3", "a")); /* the router asks for the MoA */
    n->controller_down = false;
    expect_path(n, "a", "cn3");
    n->controller_down = true;
    expect_path(n, "a", "cn3"); /* the node's cache */
    assert_false(safe_path(n, "cn3", "a")); /* the router caches nothing here */
    free(n);
}

/* Node A away at site2 talks to everyone, then comes home: the update
 * engine removes its sending side, then the rest, with DELETE_STRICT. */
static struct host *return_home_warm(struct net *n, unsigned order)
{
    struct mob_placement p = place_a(0, 1, 1), home = place_a(0, 0, 2);
    struct host *a = add_host(n, "a", mac_a, p.hoa, 1, 10);
    move_to(n, &p);
    expect_all_paths(n, "a");
    move_host(a, 0, 10);
    n->moving = n->sending = true;
    n->move = home;
    remove_strict(n, &p, 1, MOB_PART_SENDING, NULL, 0, order);
    for (unsigned i = 0; i < 4; i++) {
        safe_path(n, "a", cns[i]);
        safe_path(n, cns[i], "a");
    }
    remove_strict(n, &p, 1, MOB_PART_SENDING, NULL, 0, 7 & ~order);
    net_commit(n, &home);
    remove_strict(n, &p, 1, ALL_PARTS, NULL, 0, 7);
    expect_tables(n, NULL, 0);
    return a;
}

static void test_dataplane_home_again(void **state)
{
    for (unsigned order = 0; order < 8; order++) {
        struct net *n = net_new();
        struct host *a = return_home_warm(n, order);
        /* Its cache still names site2's router for the home gateway until
         * the controller's gratuitous reply (mob_arp_tell_home_gateway). */
        host_learn(a, IP(10, 1, 0, 1), gw_mac[0]);
        for (unsigned i = 0; i < 4; i++) {
            if (i != 0) {
                expect_path(n, "a", cns[i]);
            }
            expect_path(n, cns[i], "a");
        }
        /* Its home neighbour resolved to site2's gateway while away: the
         * return rules at home send those frames to the home gateway. */
        assert_false(safe_path(n, "a", "cn1"));
        struct mob_placement home = place_a(0, 0, 2);
        install(n, RETURN, &home, 7);
        expect_path(n, "a", "cn1");
        expect_cns_unaffected(n);
        /* Moving away again removes them (its cleanup's old placement is
         * the home one). */
        struct mob_placement p3 = place_a(0, 2, 3);
        move_to(n, &p3);
        remove_strict(n, &home, 1, ALL_PARTS, &p3, 1, 7);
        expect_tables(n, &p3, 1);
        free(n);
    }
}

/* A first move, step by step: the receiving side alone changes nothing;
 * senders switched in any order of switches lose packets at worst; then
 * everything flows. Another moved node (B at site3) talks to A all along:
 * its packets with a MoA source towards A's HoA are the ones 1.0 cannot
 * translate twice, and they must be lost, not delivered wrong. */
static void test_update_order_first_move(void **state)
{
    for (int warm = 0; warm < 2; warm++) {
        for (unsigned mask = 0; mask < 8; mask++) {
            struct net *n = net_new();
            struct mob_placement p = place_a(0, 1, 1), pb = place_b(1, 2, 1);
            struct host *a = add_host(n, "a", mac_a, p.hoa, 0, 10);
            add_host(n, "b", mac_b, pb.hoa, 2, 12);
            move_to(n, &pb);
            if (warm) {
                expect_all_paths(n, "a");
                expect_path(n, "a", "b");
                expect_path(n, "b", "a");
            }
            n->moving = true;
            n->move = p;
            install(n, RECEIVING, &p, 7);
            expect_all_paths(n, "a");
            expect_path(n, "b", "a");
            move_host(a, 1, 10);
            n->sending = true;
            install(n, SENDING, &p, mask);
            for (unsigned i = 0; i < 4; i++) {
                safe_path(n, "a", cns[i]);
                safe_path(n, cns[i], "a");
            }
            safe_path(n, "a", "b");
            safe_path(n, "b", "a");
            install(n, SENDING, &p, 7 & ~mask);
            net_commit(n, &p);
            expect_all_paths(n, "a");
            expect_path(n, "a", "b");
            expect_path(n, "b", "a");
            /* Cleanup: the home placement left nothing to remove. */
            struct mob_placement home = place_a(0, 0, 0);
            remove_strict(n, &home, 1, ALL_PARTS, &p, 1, 7);
            struct mob_placement both[] = {pb, p};
            expect_tables(n, both, 2);
            free(n);
        }
    }
}

/* A second move (site2 -> site3): the new rules replace the old in place
 * in any order; the cleanup's DELETE_STRICTs leave exactly the new epoch,
 * as a fresh install would, and take nothing the new epoch needs. */
static void test_update_order_second_move(void **state)
{
    for (unsigned mask = 0; mask < 8; mask++) {
        struct net *n = net_new();
        struct mob_placement p1 = place_a(0, 1, 1), p2 = place_a(0, 2, 2);
        struct host *a = add_host(n, "a", mac_a, p1.hoa, 1, 10);
        move_to(n, &p1);
        expect_all_paths(n, "a");
        n->moving = true;
        n->move = p2;
        install(n, RECEIVING, &p2, 7);
        expect_all_paths(n, "a");
        move_host(a, 2, 12);
        n->sending = true;
        install(n, SENDING, &p2, mask);
        for (unsigned i = 0; i < 4; i++) {
            safe_path(n, "a", cns[i]);
            safe_path(n, cns[i], "a");
        }
        install(n, SENDING, &p2, 7 & ~mask);
        net_commit(n, &p2);
        expect_all_paths(n, "a");
        remove_strict(n, &p1, 1, ALL_PARTS, &p2, 1, mask);
        expect_all_paths(n, "a");
        remove_strict(n, &p1, 1, ALL_PARTS, &p2, 1, 7 & ~mask);
        expect_tables(n, &p2, 1);
        expect_all_paths(n, "a");
        expect_cns_unaffected(n);
        free(n);
    }
}

/* Superseded attempts: committed at home; an attempt to site2 got its
 * receiving side and part of its sending side out, then a move to site3
 * won. Its cleanup lists both older placements; only site3's rules stay.
 * And a failed attempt's rollback: its rules go, the committed ones are
 * written again, and the switches hold what they held before. */
static void test_superseded_and_rollback(void **state)
{
    struct net *n = net_new();
    struct mob_placement home = place_a(0, 0, 0), p2 = place_a(0, 1, 1), p3 = place_a(0, 2, 2);
    struct host *a = add_host(n, "a", mac_a, p2.hoa, 0, 10);
    install(n, RECEIVING, &p2, 7);
    install(n, SENDING, &p2, 5);
    install(n, RECEIVING, &p3, 7);
    install(n, SENDING, &p3, 7);
    move_host(a, 2, 10);
    net_commit(n, &p3);
    struct mob_placement olds[] = {home, p2};
    remove_strict(n, olds, 2, ALL_PARTS, &p3, 1, 7);
    expect_tables(n, &p3, 1);
    expect_all_paths(n, "a");

    /* An attempt to site2 that fails half-way: rolled back to site3. */
    struct mob_placement p4 = place_a(0, 1, 3);
    install(n, RECEIVING, &p4, 7);
    install(n, SENDING, &p4, 3);
    remove_strict(n, &p4, 1, MOB_PART_RECEIVING | MOB_PART_SENDING, &p3, 1, 7);
    install(n, RECEIVING, &p3, 7);
    install(n, SENDING, &p3, 7);
    expect_tables(n, &p3, 1);
    expect_all_paths(n, "a");
    expect_cns_unaffected(n);
    free(n);
}

/* ---- With the switches' datapath caches -------------------------------- */

/* The reset seen on the testbed (tests/integration/test_mobility_of10.sh):
 * the node talks to every correspondent and the switches cache those
 * flows; then it moves. The receiving side is confirmed by barrier, but
 * no cache is revalidated yet; the sending side goes out in any order of
 * switches. Until the caches are revalidated packets may be lost, but none
 * may reach a host with the node's MoA as source: the CN's switch once
 * reused the cached "router -> CN: NORMAL" for the node's first packets
 * from its MoA, and the CN reset the connection. */
static void test_cached_flows_during_a_move(void **state)
{
    for (unsigned mask = 0; mask < 8; mask++) {
        struct net *n = net_new();
        net_cache_on(n);
        struct mob_placement p = place_a(0, 1, 1);
        struct host *a = add_host(n, "a", mac_a, p.hoa, 0, 10);
        expect_all_paths(n, "a");
        expect_cns_unaffected(n);
        n->moving = true;
        n->move = p;
        install(n, RECEIVING, &p, 7);
        expect_all_paths(n, "a");
        move_host(a, 1, 10);
        n->sending = true;
        install(n, SENDING, &p, mask);
        for (unsigned i = 0; i < 4; i++) {
            safe_path(n, "a", cns[i]);
            safe_path(n, cns[i], "a");
        }
        install(n, SENDING, &p, 7 & ~mask);
        for (unsigned i = 0; i < 4; i++) {
            safe_path(n, "a", cns[i]);
            safe_path(n, cns[i], "a");
        }
        net_commit(n, &p);
        net_revalidate(n);
        expect_all_paths(n, "a");
        expect_cns_unaffected(n);
        net_free(n);
    }
}

/* Node A away at site2 talks to everyone (cached); node B moves from its
 * home site2 to site3, each side in any order of switches, and its old
 * rules go: A's traffic is delivered right at every step, cached or not. */
static void test_cached_flows_other_node_moves(void **state)
{
    for (unsigned mask = 0; mask < 8; mask++) {
        struct net *n = net_new();
        net_cache_on(n);
        struct mob_placement pa = place_a(0, 1, 1), pb = place_b(1, 2, 1);
        struct mob_placement b_home = place_b(1, 1, 0);
        add_host(n, "a", mac_a, pa.hoa, 1, 10);
        struct host *b = add_host(n, "b", mac_b, pb.hoa, 1, 12);
        move_to(n, &pa);
        expect_all_paths(n, "a");
        expect_all_paths(n, "b");
        n->moving = true;
        n->move = pb;
        install(n, RECEIVING, &pb, mask);
        expect_all_paths(n, "a");
        install(n, RECEIVING, &pb, 7 & ~mask);
        expect_all_paths(n, "a");
        move_host(b, 2, 10);
        n->sending = true;
        install(n, SENDING, &pb, mask);
        expect_all_paths(n, "a");
        install(n, SENDING, &pb, 7 & ~mask);
        expect_all_paths(n, "a");
        net_commit(n, &pb);
        remove_strict(n, &b_home, 1, ALL_PARTS, &pb, 1, mask);
        expect_all_paths(n, "a");
        remove_strict(n, &b_home, 1, ALL_PARTS, &pb, 1, 7 & ~mask);
        expect_all_paths(n, "a");
        net_revalidate(n);
        expect_all_paths(n, "a");
        expect_all_paths(n, "b");
        expect_path(n, "a", "b");
        expect_path(n, "b", "a");
        net_free(n);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_planner_for, setup),
        cmocka_unit_test_setup(test_base_rules, setup),
        cmocka_unit_test_setup(test_every_rule_encodes_as_10, setup),
        cmocka_unit_test_setup(test_same_cookies_as_13, setup),
        cmocka_unit_test_setup(test_rule_counts, setup),
        cmocka_unit_test_setup(test_no_ties, setup),
        cmocka_unit_test_setup(test_epochs_differ_only_in_cookies, setup),
        cmocka_unit_test_setup(test_remove_strict_messages, setup),
        cmocka_unit_test_setup(test_dataplane_base_only, setup),
        cmocka_unit_test_setup(test_dataplane_away, setup),
        cmocka_unit_test_setup(test_dataplane_two_moved_nodes, setup),
        cmocka_unit_test_setup(test_dataplane_controller_away, setup),
        cmocka_unit_test_setup(test_dataplane_home_again, setup),
        cmocka_unit_test_setup(test_update_order_first_move, setup),
        cmocka_unit_test_setup(test_update_order_second_move, setup),
        cmocka_unit_test_setup(test_superseded_and_rollback, setup),
        cmocka_unit_test_setup(test_cached_flows_during_a_move, setup),
        cmocka_unit_test_setup(test_cached_flows_other_node_moves, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
