/* test_mob_flows.c - the mobility rule planner (src/app/mobility/mob_flows.c).
 *
 * Two kinds of checks:
 *  - the rules themselves, against the contract (notes/daemon-spec.md, last
 *    section), written out here by hand: exact rule sets per switch and per
 *    role for the 3-site testbed, cookies, encodability, and the invariants
 *    the update order relies on (receiving rules never rewrite HoA -> MoA,
 *    epochs differ only in cookies, nothing depends on the node's port, two
 *    bindings never share or overlap a rule);
 *  - the rules at work: a small data plane (three switch pipelines, hosts
 *    with ARP caches, the legacy router) carries packets between the moved
 *    node and correspondents on every site and on the legacy network, during
 *    and after each phase of an update.
 *
 * The simulation found two planner bugs (two moved nodes at one site; a
 * node home again with foreign gateway MACs in its ARP cache); their tests
 * stay as regression tests. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/mobility/mob_flows.h"
#include "ofp/ofp_codec.h"
#include "util/obuf.h"

#include "assert_ofperr.h"

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))
#define N_SITES 3
#define UPLINK 1u
#define T_CLASSIFY 0
#define T_SOURCE 1
#define T_DEST 2

/* Site i of the testbed (examples/testbed.yaml) is 10.(i+1).0.0/24, gateway
 * .1, uplink 1, hypervisor ports 10-12, pool .200-.249. */
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

static uint32_t site_gw(unsigned s)
{
    return IP(10, s + 1, 0, 1);
}

static void build_testbed(void)
{
    memset(&cfg, 0, sizeof cfg);
    memset(&topo, 0, sizeof topo);
    cfg.n_sites = N_SITES;
    for (unsigned i = 0; i < N_SITES; i++) {
        struct mob_site *s = &cfg.sites[i];
        snprintf(s->name, sizeof s->name, "site%u", i + 1);
        s->dpid = i + 1;
        s->prefix = IP(10, i + 1, 0, 0);
        s->prefix_len = 24;
        s->gateway = site_gw(i);
        s->uplinks[0] = UPLINK;
        s->n_uplinks = 1;
        s->hypervisor_ports[0] = 10;
        s->hypervisor_ports[1] = 11;
        s->hypervisor_ports[2] = 12;
        s->n_hypervisor_ports = 3;
        s->pool_first = IP(10, i + 1, 0, 200);
        s->pool_last = IP(10, i + 1, 0, 249);
        s->line = 10 + 8 * i;
        topo.sites[i] = (struct mob_site_state){s, true, gw_mac[i]};
    }
    topo.n_sites = N_SITES;
}

static int setup(void **state)
{
    build_testbed();
    assert_int_equal(mob_config_validate(&cfg, "testbed"), 0);
    return 0;
}

static struct mob_placement place(uint32_t id, uint32_t epoch, struct eth_addr mac, uint32_t hoa,
                                  unsigned home, unsigned site, uint32_t moa)
{
    return (struct mob_placement){id, epoch, mac, hoa, moa, home, site, 10};
}

/* Node A: home site1, 10.1.0.10; its MoA is .200 of wherever it is. */
static struct mob_placement place_a(unsigned home, unsigned site, uint32_t epoch)
{
    return place(1, epoch, mac_a, IP(10, home + 1, 0, 10), home, site, IP(10, site + 1, 0, 200));
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

enum which { BASE, RECEIVING, SENDING, RETURN };

static void plan(struct rules *r, enum which w, unsigned s, const struct mob_placement *p)
{
    r->n = 0;
    switch (w) {
    case BASE:
        mob_flows_base(&topo, s, collect, r);
        break;
    case RECEIVING:
        mob_flows_receiving(&topo, s, p, collect, r);
        break;
    case SENDING:
        mob_flows_sending(&topo, s, p, collect, r);
        break;
    case RETURN:
        mob_flows_return_home(&topo, s, p, collect, r);
        break;
    }
}

/* ---- Printing a rule, for failure messages ---------------------------- */

static size_t put_value(char *buf, size_t n, enum of_field f, const union of_field_value *v)
{
    switch (of_field_width(f)) {
    case 1:
        return (size_t)snprintf(buf, n, "%#x", v->u8);
    case 2:
        return (size_t)snprintf(buf, n, "%#x", v->u16);
    case 4:
        if (f == OFF_IPV4_SRC || f == OFF_IPV4_DST || f == OFF_ARP_SPA || f == OFF_ARP_TPA) {
            return (size_t)snprintf(buf, n, "%u.%u.%u.%u", v->u32 >> 24, (v->u32 >> 16) & 0xff,
                                    (v->u32 >> 8) & 0xff, v->u32 & 0xff);
        }
        return (size_t)snprintf(buf, n, "%#x", v->u32);
    case 8:
        return (size_t)snprintf(buf, n, "%#llx", (unsigned long long)v->u64);
    default:
        return (size_t)snprintf(buf, n, ETH_ADDR_FMT, ETH_ADDR_ARGS(v->mac));
    }
}

#define APPEND(...)                                                        \
    do {                                                                   \
        if (len < n) {                                                     \
            len += (size_t)snprintf(buf + len, n - len, __VA_ARGS__);      \
        }                                                                  \
    } while (0)

static void describe_actions(const struct of_action_list *l, char *buf, size_t n)
{
    size_t len = 0;
    for (unsigned i = 0; i < l->n; i++) {
        const struct of_action *a = &l->a[i];
        if (a->type == OFAT_SET_FIELD) {
            APPEND("%s%s=", i ? "," : "", of_field_name(a->u.set_field.field));
            if (len < n) {
                len += put_value(buf + len, n - len, a->u.set_field.field, &a->u.set_field.value);
            }
        } else if (a->type == OFAT_OUTPUT) {
            uint32_t p = a->u.output.port;
            APPEND("%soutput:%s", i ? "," : "",
                   p == OFPP_NORMAL       ? "NORMAL"
                   : p == OFPP_IN_PORT    ? "IN_PORT"
                   : p == OFPP_CONTROLLER ? "CONTROLLER"
                                          : "port");
            if (p < OFPP_MAX) {
                APPEND("%u", p);
            }
        } else {
            APPEND("%saction%d", i ? "," : "", (int)a->type);
        }
    }
}

static const char *describe(const struct of_flow_mod *fm)
{
    static char bufs[4][1024];
    static unsigned next;
    char *buf = bufs[next++ % 4];
    size_t n = sizeof bufs[0], len = 0;
    APPEND("cmd=%u table=%u prio=%u cookie=%#llx/%#llx match(", fm->command, fm->table_id,
           fm->priority, (unsigned long long)fm->cookie, (unsigned long long)fm->cookie_mask);
    for (unsigned f = 0; f < OFF_N_FIELDS; f++) {
        if (!of_match_has(&fm->match, f)) {
            continue;
        }
        APPEND("%s=", of_field_name(f));
        if (len < n) {
            len += put_value(buf + len, n - len, f, &fm->match.value[f]);
        }
        if (fm->match.masked & (1u << f)) {
            APPEND("/");
            if (len < n) {
                len += put_value(buf + len, n - len, f, &fm->match.mask[f]);
            }
        }
        APPEND(" ");
    }
    APPEND(") insts(");
    if (fm->insts.present & OFIB_APPLY_ACTIONS) {
        APPEND("apply[");
        if (len < n) {
            describe_actions(&fm->insts.apply, buf + len, n - len);
            len += strlen(buf + len);
        }
        APPEND("] ");
    }
    if (fm->insts.present & OFIB_WRITE_METADATA) {
        APPEND("meta=%#llx/%#llx ", (unsigned long long)fm->insts.metadata,
               (unsigned long long)fm->insts.metadata_mask);
    }
    if (fm->insts.present & OFIB_GOTO_TABLE) {
        APPEND("goto:%u", fm->insts.goto_table);
    }
    APPEND(")");
    return buf;
}

/* ---- Comparing rules -------------------------------------------------- */

/* Set-fields between two outputs act on different fields; their order
 * means nothing, so both sides are compared with each run sorted. */
static void normalize_actions(struct of_action_list *l)
{
    for (unsigned i = 1; i < l->n; i++) {
        for (unsigned j = i; j > 0; j--) {
            struct of_action *x = &l->a[j - 1], *y = &l->a[j];
            if (x->type != OFAT_SET_FIELD || y->type != OFAT_SET_FIELD ||
                x->u.set_field.field <= y->u.set_field.field) {
                break;
            }
            struct of_action t = *x;
            *x = *y;
            *y = t;
        }
    }
}

static bool same_rule(const struct of_flow_mod *a, const struct of_flow_mod *b)
{
    if (a->command != b->command || a->table_id != b->table_id ||
        a->priority != b->priority || a->cookie != b->cookie ||
        a->cookie_mask != b->cookie_mask || a->idle_timeout != b->idle_timeout ||
        a->hard_timeout != b->hard_timeout || a->flags != b->flags ||
        a->buffer_id != b->buffer_id || a->out_port != b->out_port ||
        a->out_group != b->out_group || !of_match_equal(&a->match, &b->match)) {
        return false;
    }
    struct of_instructions x = a->insts, y = b->insts;
    normalize_actions(&x.apply);
    normalize_actions(&y.apply);
    return of_instructions_equal(&x, &y);
}

/* Every wanted rule emitted exactly once, nothing else. */
static void assert_rules_equal(const struct rules *got, const struct rules *want,
                               const char *what)
{
    bool used[MAX_RULES] = {false};
    bool ok = got->n == want->n;
    char msg[8192];
    size_t len = 0, n = sizeof msg;
    char *buf = msg;
    APPEND("%s: got %u rules, want %u\n", what, got->n, want->n);
    for (unsigned i = 0; i < want->n; i++) {
        bool found = false;
        for (unsigned j = 0; j < got->n && !found; j++) {
            if (!used[j] && same_rule(&got->fm[j], &want->fm[i])) {
                used[j] = found = true;
            }
        }
        if (!found) {
            ok = false;
            APPEND("  missing:    %s\n", describe(&want->fm[i]));
        }
    }
    for (unsigned j = 0; j < got->n; j++) {
        if (!used[j]) {
            ok = false;
            APPEND("  unexpected: %s\n", describe(&got->fm[j]));
        }
    }
    if (!ok) {
        fail_msg("%s", msg);
    }
}

/* ---- The contract's rules, written out -------------------------------- */

static struct of_flow_mod *want(struct rules *w, uint8_t table, uint16_t prio, uint64_t cookie)
{
    assert_true(w->n < MAX_RULES);
    struct of_flow_mod *fm = &w->fm[w->n++];
    of_flow_mod_init(fm, OFPFC_ADD);
    fm->table_id = table;
    fm->priority = prio;
    fm->cookie = cookie;
    return fm;
}

static void w_set(struct of_flow_mod *fm, enum of_field f, union of_field_value v)
{
    fm->insts.present |= OFIB_APPLY_ACTIONS;
    assert_true(of_actions_set_field(&fm->insts.apply, f, v));
}

static void w_set32(struct of_flow_mod *fm, enum of_field f, uint32_t v)
{
    w_set(fm, f, (union of_field_value){.u32 = v});
}

static void w_setmac(struct of_flow_mod *fm, enum of_field f, struct eth_addr v)
{
    w_set(fm, f, (union of_field_value){.mac = v});
}

static void w_output(struct of_flow_mod *fm, uint32_t port)
{
    fm->insts.present |= OFIB_APPLY_ACTIONS;
    /* The controller answers ARP from the packet: it needs all of it. */
    assert_true(of_actions_output(&fm->insts.apply, port,
                                  port == OFPP_CONTROLLER ? OFPCML_NO_BUFFER : 0));
}

static void w_goto(struct of_flow_mod *fm, uint8_t table)
{
    fm->insts.present |= OFIB_GOTO_TABLE;
    fm->insts.goto_table = table;
}

static void w_arp_request(struct of_flow_mod *fm, uint32_t tpa)
{
    of_match_set_eth_type(&fm->match, 0x0806);
    of_match_set(&fm->match, OFF_ARP_OP, (union of_field_value){.u16 = 1});
    of_match_set(&fm->match, OFF_ARP_TPA, (union of_field_value){.u32 = tpa});
}

/* "tpa is-at answer", built in the switch for one known asker. */
static void want_arp_answer(struct rules *w, uint64_t cookie, uint32_t in_port,
                            struct eth_addr asker_mac, uint32_t asker_ip, uint32_t tpa,
                            struct eth_addr answer)
{
    struct of_flow_mod *fm = want(w, T_CLASSIFY, 36000, cookie);
    if (in_port != OFPP_ANY) {
        of_match_set_in_port(&fm->match, in_port);
    }
    of_match_set_eth_src(&fm->match, asker_mac);
    w_arp_request(fm, tpa);
    w_setmac(fm, OFF_ETH_DST, asker_mac);
    w_setmac(fm, OFF_ETH_SRC, answer);
    w_set(fm, OFF_ARP_OP, (union of_field_value){.u16 = 2});
    w_setmac(fm, OFF_ARP_SHA, answer);
    w_set32(fm, OFF_ARP_SPA, tpa);
    w_setmac(fm, OFF_ARP_THA, asker_mac);
    w_set32(fm, OFF_ARP_TPA, asker_ip);
    w_output(fm, OFPP_IN_PORT);
}

#define BASE_RULES (2 + N_SITES + 5 * N_SITES + 3)

static void want_base(struct rules *w)
{
    uint64_t c = mob_cookie(MOB_ROLE_BASE, 0, 0);
    struct of_flow_mod *fm = want(w, T_CLASSIFY, 40000, c);
    of_match_set_eth_type(&fm->match, 0x8035);
    w_output(fm, OFPP_CONTROLLER);
    w_output(fm, OFPP_NORMAL);
    fm = want(w, T_CLASSIFY, 30000, c);
    of_match_set_eth_type(&fm->match, 0x0806);
    w_output(fm, OFPP_CONTROLLER);
    w_output(fm, OFPP_NORMAL);
    for (unsigned i = 0; i < topo.n_sites; i++) {
        fm = want(w, T_CLASSIFY, 20000, c);
        of_match_set_eth_type(&fm->match, 0x0800);
        of_match_set_ipv4_dst(&fm->match, cfg.sites[i].prefix, 0xffffff00u);
        fm->insts.present |= OFIB_WRITE_METADATA;
        fm->insts.metadata = 1;
        fm->insts.metadata_mask = 1;
        w_goto(fm, T_SOURCE);
    }
    /* Table 1 looks at every source in a MoA pool (.200-.249: .200/29
     * .208/28 .224/28 .240/29 .248/31), so that a switch's datapath cache
     * never applies a decision made for another source to a MoA. */
    static const struct {
        uint8_t first, len;
    } blocks[] = {{200, 29}, {208, 28}, {224, 28}, {240, 29}, {248, 31}};
    for (unsigned i = 0; i < topo.n_sites; i++) {
        for (unsigned k = 0; k < sizeof blocks / sizeof blocks[0]; k++) {
            fm = want(w, T_SOURCE, 1, c);
            of_match_set_eth_type(&fm->match, 0x0800);
            of_match_set_ipv4_src(&fm->match, cfg.sites[i].prefix | blocks[k].first,
                                  UINT32_MAX << (32 - blocks[k].len));
            w_goto(fm, T_DEST);
        }
    }
    w_goto(want(w, T_CLASSIFY, 0, c), T_SOURCE);
    w_goto(want(w, T_SOURCE, 0, c), T_DEST);
    w_output(want(w, T_DEST, 0, c), OFPP_NORMAL);
}

static void want_receiving(struct rules *w, unsigned s, const struct mob_placement *p)
{
    uint64_t c = mob_cookie(MOB_ROLE_RECEIVING, p->id, p->epoch);
    /* every switch: t1 prio 30000 ip,nw_src=M -> set nw_src=H, goto 2 */
    struct of_flow_mod *fm = want(w, T_SOURCE, 30000, c);
    of_match_set_eth_type(&fm->match, 0x0800);
    of_match_set_ipv4_src(&fm->match, p->moa, UINT32_MAX);
    w_set32(fm, OFF_IPV4_SRC, p->hoa);
    w_goto(fm, T_DEST);
    if (s != p->site) {
        return;
    }
    /* switch c: t2 prio 30000 ip,nw_dst=M -> nw_dst=H, eth_dst=mac, NORMAL */
    fm = want(w, T_DEST, 30000, c);
    of_match_set_eth_type(&fm->match, 0x0800);
    of_match_set_ipv4_dst(&fm->match, p->moa, UINT32_MAX);
    w_set32(fm, OFF_IPV4_DST, p->hoa);
    w_setmac(fm, OFF_ETH_DST, p->mac);
    w_output(fm, OFPP_NORMAL);
    /* switch c: the router asks for M on each uplink */
    for (unsigned i = 0; i < cfg.sites[s].n_uplinks; i++) {
        want_arp_answer(w, c, cfg.sites[s].uplinks[i], topo.sites[s].gw_mac, site_gw(s), p->moa,
                        p->mac);
    }
}

static void want_sending(struct rules *w, unsigned s, const struct mob_placement *p)
{
    uint64_t c = mob_cookie(MOB_ROLE_SENDING, p->id, p->epoch);
    const struct mob_site *home = &cfg.sites[p->home];
    struct of_flow_mod *fm;
    if (s == p->site) {
        /* A node here is not "behind an OFS": its packets keep their
         * sources (a second moved node here talking to it). */
        fm = want(w, T_CLASSIFY, 25000, c);
        of_match_set_eth_type(&fm->match, 0x0800);
        of_match_set_ipv4_dst(&fm->match, p->hoa, UINT32_MAX);
        fm->insts.present |= OFIB_GOTO_TABLE;
        fm->insts.goto_table = T_SOURCE;
        fm = want(w, T_SOURCE, 29500, c);
        of_match_set_eth_type(&fm->match, 0x0800);
        of_match_set_eth_src(&fm->match, p->mac);
        of_match_set_ipv4_src(&fm->match, p->hoa, UINT32_MAX);
        of_match_set_metadata(&fm->match, 1, 1);
        w_set32(fm, OFF_IPV4_SRC, p->moa);
        w_setmac(fm, OFF_ETH_DST, topo.sites[s].gw_mac);
        w_goto(fm, T_DEST);

        fm = want(w, T_SOURCE, 29000, c);
        of_match_set_eth_type(&fm->match, 0x0800);
        of_match_set_eth_src(&fm->match, p->mac);
        of_match_set_ipv4_src(&fm->match, p->hoa, UINT32_MAX);
        w_setmac(fm, OFF_ETH_DST, topo.sites[s].gw_mac);
        w_goto(fm, T_DEST);

        fm = want(w, T_DEST, 30000, c);
        of_match_set_eth_type(&fm->match, 0x0800);
        of_match_set_ipv4_dst(&fm->match, p->hoa, UINT32_MAX);
        w_setmac(fm, OFF_ETH_DST, p->mac);
        w_output(fm, OFPP_NORMAL);

        want_arp_answer(w, c, OFPP_ANY, p->mac, p->hoa, home->gateway, topo.sites[s].gw_mac);

        fm = want(w, T_CLASSIFY, 35000, c);
        of_match_set_eth_src(&fm->match, p->mac);
        of_match_set_eth_type(&fm->match, 0x0806);
        of_match_set(&fm->match, OFF_ARP_OP, (union of_field_value){.u16 = 1});
        of_match_set_masked(&fm->match, OFF_ARP_TPA, (union of_field_value){.u32 = home->prefix},
                            (union of_field_value){.u32 = 0xffffff00u});
        w_output(fm, OFPP_CONTROLLER);
        return;
    }
    fm = want(w, T_DEST, 30000, c);
    of_match_set_eth_type(&fm->match, 0x0800);
    of_match_set_ipv4_dst(&fm->match, p->hoa, UINT32_MAX);
    w_set32(fm, OFF_IPV4_DST, p->moa);
    w_setmac(fm, OFF_ETH_DST, topo.sites[s].gw_mac);
    w_output(fm, OFPP_NORMAL);
    if (s != p->home) {
        return;
    }
    for (unsigned i = 0; i < home->n_uplinks; i++) {
        uint32_t up = home->uplinks[i];
        want_arp_answer(w, c, up, topo.sites[s].gw_mac, home->gateway, p->hoa, p->mac);
        fm = want(w, T_DEST, 31000, c);
        of_match_set_in_port(&fm->match, up);
        of_match_set_eth_type(&fm->match, 0x0800);
        of_match_set_ipv4_dst(&fm->match, p->hoa, UINT32_MAX);
        w_set32(fm, OFF_IPV4_DST, p->moa);
        w_setmac(fm, OFF_ETH_SRC, p->mac);
        w_setmac(fm, OFF_ETH_DST, topo.sites[s].gw_mac);
        w_output(fm, OFPP_IN_PORT);
    }
    fm = want(w, T_CLASSIFY, 35000, c);
    w_arp_request(fm, p->hoa);
    w_output(fm, OFPP_CONTROLLER);
}

/* Checks every role of one placement at every switch against the contract,
 * and the rule counts the brief gives per switch. */
static void check_placement(const struct mob_placement *p, const unsigned n_recv[N_SITES],
                            const unsigned n_send[N_SITES])
{
    struct rules *got = rules_new(), *w = rules_new();
    char what[96];
    for (unsigned s = 0; s < N_SITES; s++) {
        plan(got, RECEIVING, s, p);
        assert_int_equal(got->n, n_recv[s]);
        w->n = 0;
        want_receiving(w, s, p);
        snprintf(what, sizeof what, "receiving at site%u (home site%u, at site%u)", s + 1,
                 p->home + 1, p->site + 1);
        assert_rules_equal(got, w, what);

        plan(got, SENDING, s, p);
        assert_int_equal(got->n, n_send[s]);
        w->n = 0;
        want_sending(w, s, p);
        snprintf(what, sizeof what, "sending at site%u (home site%u, at site%u)", s + 1,
                 p->home + 1, p->site + 1);
        assert_rules_equal(got, w, what);
    }
    free(got);
    free(w);
}

/* ---- Cookies ---------------------------------------------------------- */

static void test_cookie_layout(void **state)
{
    uint64_t c = mob_cookie(MOB_ROLE_SENDING, 0x123456, 0xabcde);
    assert_int_equal(c, 0x4d463123456abcdeull);
    assert_true(mob_cookie_is_ours(c));
    assert_int_equal(mob_cookie_role(c), MOB_ROLE_SENDING);
    assert_int_equal(mob_cookie_id(c), 0x123456);
    assert_int_equal(mob_cookie_epoch(c), 0xabcde);

    assert_int_equal(mob_cookie(MOB_ROLE_BASE, 0, 0), 0x4d46100000000000ull);
    assert_int_equal(mob_cookie(MOB_ROLE_RECEIVING, 1, 1), 0x4d46200000100001ull);
    /* Out-of-range fields are cut to their width, never spill over. */
    c = mob_cookie(MOB_ROLE_RECEIVING, MOB_ID_MAX, MOB_EPOCH_MASK);
    assert_int_equal(mob_cookie_id(c), MOB_ID_MAX);
    assert_int_equal(mob_cookie_epoch(c), MOB_EPOCH_MASK);
    assert_int_equal(mob_cookie_role(c), MOB_ROLE_RECEIVING);
    c = mob_cookie(MOB_ROLE_SENDING, 6, 0x100001);
    assert_int_equal(mob_cookie_epoch(c), 1);
    assert_int_equal(mob_cookie_id(c), 6);
    assert_int_equal(mob_cookie_role(c), MOB_ROLE_SENDING);
    c = mob_cookie(MOB_ROLE_SENDING, 0x7ffffff, 0);
    assert_true(mob_cookie_is_ours(c));
    assert_int_equal(mob_cookie_role(c), MOB_ROLE_SENDING);
    assert_int_equal(mob_cookie_id(c), MOB_ID_MAX);

    /* Cookies other controllers (or ovs-ofctl) use are not ours. */
    assert_false(mob_cookie_is_ours(0));
    assert_false(mob_cookie_is_ours(0x4d47000000000000ull));
    assert_false(mob_cookie_is_ours(0x004d460000000000ull));
    assert_false(mob_cookie_is_ours(UINT64_MAX));
}

static void test_cookie_masks(void **state)
{
    uint64_t m = MOB_COOKIE_MASK_BINDING_EPOCH;
    /* (id, epoch) whatever the role. */
    for (int r = MOB_ROLE_BASE; r <= MOB_ROLE_SENDING; r++) {
        assert_int_equal(mob_cookie(r, 5, 9) & m, mob_cookie(0, 5, 9) & m);
    }
    assert_int_not_equal(mob_cookie(MOB_ROLE_SENDING, 5, 10) & m, mob_cookie(0, 5, 9) & m);
    assert_int_not_equal(mob_cookie(MOB_ROLE_SENDING, 6, 9) & m, mob_cookie(0, 5, 9) & m);
    /* role + binding, any epoch. */
    m = MOB_COOKIE_MASK_ROLE_BINDING;
    assert_int_equal(mob_cookie(MOB_ROLE_SENDING, 5, 1) & m,
                     mob_cookie(MOB_ROLE_SENDING, 5, MOB_EPOCH_MASK) & m);
    assert_int_not_equal(mob_cookie(MOB_ROLE_RECEIVING, 5, 1) & m,
                         mob_cookie(MOB_ROLE_SENDING, 5, 1) & m);
    assert_int_not_equal(mob_cookie(MOB_ROLE_SENDING, 4, 1) & m,
                         mob_cookie(MOB_ROLE_SENDING, 5, 1) & m);
    /* everything ours. */
    m = MOB_COOKIE_MASK_TAG;
    assert_int_equal(mob_cookie(MOB_ROLE_BASE, 0, 0) & m, MOB_COOKIE_TAG << 48);
    assert_int_equal(mob_cookie(MOB_ROLE_SENDING, MOB_ID_MAX, 3) & m, MOB_COOKIE_TAG << 48);
    assert_int_not_equal(0x1234000000000000ull & m, MOB_COOKIE_TAG << 48);
}

/* ---- Base rules ------------------------------------------------------- */

static void test_base_rules(void **state)
{
    struct rules *got = rules_new(), *w = rules_new();
    want_base(w);
    for (unsigned s = 0; s < N_SITES; s++) {
        plan(got, BASE, s, NULL);
        /* RARP, ARP, one prefix rule per site, five pool blocks per site,
         * three table misses. */
        assert_int_equal(got->n, BASE_RULES);
        assert_rules_equal(got, w, "base rules");
        for (unsigned i = 0; i < got->n; i++) {
            assert_int_equal(mob_cookie_role(got->fm[i].cookie), MOB_ROLE_BASE);
            assert_int_equal(mob_cookie_id(got->fm[i].cookie), 0);
            assert_int_equal(mob_cookie_epoch(got->fm[i].cookie), 0);
        }
    }
    /* The base rules do not depend on the gateway MACs (they go out
     * before any gateway is known). */
    for (unsigned s = 0; s < N_SITES; s++) {
        topo.sites[s].gw_mac_known = false;
        memset(&topo.sites[s].gw_mac, 0, sizeof topo.sites[s].gw_mac);
    }
    plan(got, BASE, 1, NULL);
    assert_rules_equal(got, w, "base rules, gateway MACs unknown");
    free(got);
    free(w);
}

/* ---- Rule sets per placement ------------------------------------------ */

static void test_away_at_site2(void **state)
{
    struct mob_placement p = place_a(0, 1, 1);
    const unsigned n_recv[N_SITES] = {1, 3, 1}, n_send[N_SITES] = {4, 6, 1};
    check_placement(&p, n_recv, n_send);
}

static void test_away_at_site3(void **state)
{
    struct mob_placement p = place_a(0, 2, 7);
    const unsigned n_recv[N_SITES] = {1, 1, 3}, n_send[N_SITES] = {4, 1, 6};
    check_placement(&p, n_recv, n_send);
}

/* The home site's part moves with the home: homes at site2 and site3. */
static void test_home_site_variants(void **state)
{
    struct mob_placement p = place_a(1, 0, 2);
    const unsigned r1[N_SITES] = {3, 1, 1}, s1[N_SITES] = {6, 4, 1};
    check_placement(&p, r1, s1);
    p = place_a(2, 1, 3);
    const unsigned r2[N_SITES] = {1, 3, 1}, s2[N_SITES] = {1, 6, 4};
    check_placement(&p, r2, s2);
    p = place_a(1, 2, 4);
    const unsigned r3[N_SITES] = {1, 1, 3}, s3[N_SITES] = {1, 4, 6};
    check_placement(&p, r3, s3);
}

/* A site with two uplinks: one ARP answer (and at home one hairpin) per
 * uplink, each bound to its port. */
static void test_two_uplinks(void **state)
{
    cfg.sites[0].uplinks[1] = 2;
    cfg.sites[0].n_uplinks = 2;
    cfg.sites[1].uplinks[1] = 3;
    cfg.sites[1].n_uplinks = 2;
    assert_int_equal(mob_config_validate(&cfg, "testbed"), 0);
    struct mob_placement p = place_a(0, 1, 1);
    const unsigned n_recv[N_SITES] = {1, 4, 1}, n_send[N_SITES] = {6, 6, 1};
    check_placement(&p, n_recv, n_send);
}

/* ---- Invariants over every placement ---------------------------------- */

static void assert_encodes(const struct of_flow_mod *fm)
{
    static struct of_msg msg, back;
    memset(&msg, 0, sizeof msg);
    msg.kind = OF_FLOW_MOD;
    msg.xid = 42;
    msg.u.flow_mod = *fm;
    struct obuf b = OBUF_INITIALIZER;
    ofperr err = of_encode(OF_VERSION_1_3, &msg, &b);
    if (err) {
        fail_msg("cannot encode %s: %s", describe(fm), ofperr_name(err));
    }
    assert_ofperr(of_decode(b.data, b.len, &back), 0);
    assert_int_equal(back.kind, OF_FLOW_MOD);
    /* What reconciliation reads back must compare equal to what was sent. */
    if (!same_rule(&back.u.flow_mod, fm)) {
        fail_msg("round trip changed %s into %s", describe(fm), describe(&back.u.flow_mod));
    }
    obuf_free(&b);
}

/* True if an action list writes `value` into an IPv4 address field. */
static bool rewrites_ip_to(const struct of_flow_mod *fm, uint32_t value)
{
    const struct of_action_list *l = &fm->insts.apply;
    for (unsigned i = 0; (fm->insts.present & OFIB_APPLY_ACTIONS) && i < l->n; i++) {
        const struct of_action *a = &l->a[i];
        if (a->type == OFAT_SET_FIELD &&
            (a->u.set_field.field == OFF_IPV4_SRC || a->u.set_field.field == OFF_IPV4_DST) &&
            a->u.set_field.value.u32 == value) {
            return true;
        }
    }
    return false;
}

static bool sets_field(const struct of_flow_mod *fm, enum of_field f)
{
    const struct of_action_list *l = &fm->insts.apply;
    for (unsigned i = 0; (fm->insts.present & OFIB_APPLY_ACTIONS) && i < l->n; i++) {
        if (l->a[i].type == OFAT_SET_FIELD && l->a[i].u.set_field.field == f) {
            return true;
        }
    }
    return false;
}

static void check_well_formed(const struct of_flow_mod *fm, enum mob_role role, uint32_t id,
                              uint32_t epoch)
{
    assert_ofperr(of_match_validate(&fm->match), 0);
    assert_encodes(fm);
    assert_int_equal(fm->command, OFPFC_ADD);
    assert_true(fm->table_id <= T_DEST);
    assert_int_equal(fm->buffer_id, OFP_NO_BUFFER);
    /* Rules must outlive a controller restart: no timeouts. */
    assert_int_equal(fm->idle_timeout, 0);
    assert_int_equal(fm->hard_timeout, 0);
    assert_true(mob_cookie_is_ours(fm->cookie));
    assert_int_equal(mob_cookie_role(fm->cookie), role);
    assert_int_equal(mob_cookie_id(fm->cookie), id);
    assert_int_equal(mob_cookie_epoch(fm->cookie), epoch);
    /* A pipeline only goes forward; the last table forwards itself. */
    if (fm->insts.present & OFIB_GOTO_TABLE) {
        assert_true(fm->insts.goto_table > fm->table_id);
        assert_true(fm->insts.goto_table <= T_DEST);
    } else {
        bool outputs = false;
        for (unsigned i = 0; i < fm->insts.apply.n; i++) {
            outputs |= fm->insts.apply.a[i].type == OFAT_OUTPUT;
        }
        assert_true(outputs);
    }
    /* Only table 0 may match ARP; it never goes further. */
    if (of_match_has(&fm->match, OFF_ARP_OP)) {
        assert_int_equal(fm->table_id, T_CLASSIFY);
    }
    /* Only these ports may appear: uplinks, never a hypervisor port. */
    if (of_match_has(&fm->match, OFF_IN_PORT)) {
        uint32_t port = fm->match.value[OFF_IN_PORT].u32;
        bool uplink = false;
        for (unsigned s = 0; s < N_SITES; s++) {
            uplink |= mob_site_is_uplink(&cfg.sites[s], port);
        }
        assert_true(uplink);
    }
}

static void test_every_rule_well_formed(void **state)
{
    struct rules *r = rules_new();
    for (unsigned s = 0; s < N_SITES; s++) {
        plan(r, BASE, s, NULL);
        for (unsigned i = 0; i < r->n; i++) {
            check_well_formed(&r->fm[i], MOB_ROLE_BASE, 0, 0);
        }
    }
    for (unsigned home = 0; home < N_SITES; home++) {
        for (unsigned site = 0; site < N_SITES; site++) {
            if (home == site) {
                continue;
            }
            struct mob_placement p = place(0xabcdef, 0x12345, mac_b,
                                           IP(10, home + 1, 0, 33), home, site,
                                           IP(10, site + 1, 0, 249));
            for (unsigned s = 0; s < N_SITES; s++) {
                plan(r, RECEIVING, s, &p);
                for (unsigned i = 0; i < r->n; i++) {
                    check_well_formed(&r->fm[i], MOB_ROLE_RECEIVING, p.id, p.epoch);
                }
                plan(r, SENDING, s, &p);
                for (unsigned i = 0; i < r->n; i++) {
                    check_well_formed(&r->fm[i], MOB_ROLE_SENDING, p.id, p.epoch);
                }
            }
        }
    }
    free(r);
}

/* The update order is only safe if the receiving side cannot send anything
 * to a MoA: it translates MoA -> HoA or delivers, nothing else. The sending
 * side is what switches traffic over: every switch gets a HoA -> MoA
 * rewrite (source at the node's site, destination elsewhere), and nothing
 * in it translates back. */
static void test_roles_rewrite_one_way(void **state)
{
    struct rules *r = rules_new();
    for (unsigned home = 0; home < N_SITES; home++) {
        for (unsigned site = 0; site < N_SITES; site++) {
            if (home == site) {
                continue;
            }
            struct mob_placement p = place_a(home, site, 5);
            for (unsigned s = 0; s < N_SITES; s++) {
                plan(r, RECEIVING, s, &p);
                for (unsigned i = 0; i < r->n; i++) {
                    const struct of_flow_mod *fm = &r->fm[i];
                    assert_false(rewrites_ip_to(fm, p.moa));
                    /* Every IP rewrite of the receiving side yields the HoA. */
                    if (sets_field(fm, OFF_IPV4_SRC) || sets_field(fm, OFF_IPV4_DST)) {
                        assert_true(rewrites_ip_to(fm, p.hoa));
                    }
                    /* Receiving rules only concern packets to or from the MoA. */
                    const struct of_match *m = &fm->match;
                    assert_true((of_match_has(m, OFF_IPV4_SRC) &&
                                 m->value[OFF_IPV4_SRC].u32 == p.moa) ||
                                (of_match_has(m, OFF_IPV4_DST) &&
                                 m->value[OFF_IPV4_DST].u32 == p.moa) ||
                                (of_match_has(m, OFF_ARP_TPA) &&
                                 m->value[OFF_ARP_TPA].u32 == p.moa));
                }
                plan(r, SENDING, s, &p);
                bool to_moa = false;
                for (unsigned i = 0; i < r->n; i++) {
                    const struct of_flow_mod *fm = &r->fm[i];
                    assert_false(rewrites_ip_to(fm, p.hoa));
                    if (rewrites_ip_to(fm, p.moa)) {
                        to_moa = true;
                        /* Source at the node's site, destination elsewhere. */
                        assert_true(sets_field(fm, s == p.site ? OFF_IPV4_SRC : OFF_IPV4_DST));
                        assert_false(sets_field(fm, s == p.site ? OFF_IPV4_DST : OFF_IPV4_SRC));
                    }
                }
                assert_true(to_moa);
            }
        }
    }
    /* The base rules rewrite nothing. */
    for (unsigned s = 0; s < N_SITES; s++) {
        plan(r, BASE, s, NULL);
        for (unsigned i = 0; i < r->n; i++) {
            for (unsigned j = 0; j < r->fm[i].insts.apply.n; j++) {
                assert_int_equal(r->fm[i].insts.apply.a[j].type, OFAT_OUTPUT);
            }
        }
    }
    free(r);
}

/* At the node's site, packets to the HoA are delivered there, untranslated,
 * to the node's MAC; the MoA is delivered there as the HoA. */
static void test_site_delivers_locally(void **state)
{
    struct rules *r = rules_new();
    struct mob_placement p = place_a(0, 2, 1);
    plan(r, SENDING, 2, &p);
    unsigned found = 0;
    for (unsigned i = 0; i < r->n; i++) {
        const struct of_flow_mod *fm = &r->fm[i];
        if (fm->table_id == T_DEST && of_match_has(&fm->match, OFF_IPV4_DST) &&
            fm->match.value[OFF_IPV4_DST].u32 == p.hoa) {
            found++;
            assert_false(of_match_has(&fm->match, OFF_IN_PORT));
            assert_false(sets_field(fm, OFF_IPV4_DST));
            assert_int_equal(fm->insts.apply.n, 2);
            assert_int_equal(fm->insts.apply.a[0].u.set_field.field, OFF_ETH_DST);
            assert_memory_equal(&fm->insts.apply.a[0].u.set_field.value.mac, &mac_a, 6);
            assert_int_equal(fm->insts.apply.a[1].type, OFAT_OUTPUT);
            assert_int_equal(fm->insts.apply.a[1].u.output.port, OFPP_NORMAL);
        }
    }
    assert_int_equal(found, 1);
    plan(r, RECEIVING, 2, &p);
    found = 0;
    for (unsigned i = 0; i < r->n; i++) {
        const struct of_flow_mod *fm = &r->fm[i];
        if (fm->table_id == T_DEST) {
            found++;
            assert_true(rewrites_ip_to(fm, p.hoa));
            assert_true(sets_field(fm, OFF_ETH_DST));
        }
    }
    assert_int_equal(found, 1);
    free(r);
}

/* A field's value as bytes, whatever its width. */
static void value_bytes(enum of_field f, const union of_field_value *v, uint8_t out[8])
{
    memset(out, 0, 8);
    switch (of_field_width(f)) {
    case 1:
        out[0] = v->u8;
        break;
    case 2:
        memcpy(out, &v->u16, 2);
        break;
    case 4:
        memcpy(out, &v->u32, 4);
        break;
    case 8:
        memcpy(out, &v->u64, 8);
        break;
    default:
        memcpy(out, v->mac.b, 6);
        break;
    }
}

/* Two matches overlap if some packet matches both: every field both
 * constrain agrees on the bits both masks keep. */
static bool value_bits_agree(enum of_field f, const struct of_match *a, const struct of_match *b)
{
    uint8_t va[8], vb[8], ma[8], mb[8];
    value_bytes(f, &a->value[f], va);
    value_bytes(f, &b->value[f], vb);
    memset(ma, 0xff, sizeof ma);
    memset(mb, 0xff, sizeof mb);
    if ((a->masked >> f) & 1) {
        value_bytes(f, &a->mask[f], ma);
    }
    if ((b->masked >> f) & 1) {
        value_bytes(f, &b->mask[f], mb);
    }
    for (unsigned i = 0; i < 8; i++) {
        if ((va[i] ^ vb[i]) & ma[i] & mb[i]) {
            return false;
        }
    }
    return true;
}

static bool matches_overlap(const struct of_match *a, const struct of_match *b)
{
    for (unsigned f = 0; f < OFF_N_FIELDS; f++) {
        if (of_match_has(a, f) && of_match_has(b, f) && !value_bits_agree(f, a, b)) {
            return false;
        }
    }
    return true;
}

static uint32_t ip_of(const struct of_match *m, enum of_field f)
{
    return of_match_has(m, f) && !((m->masked >> f) & 1) ? m->value[f].u32 : 0;
}

/* Two bindings at every pair of placements (including the same site):
 * no rule of one names the other's addresses, and no two rules of a
 * switch share a table and priority while some packet matches both (the
 * switch would pick either, or an ADD of one would replace the other). */
static void test_bindings_independent(void **state)
{
    struct rules *ra = rules_new(), *rb = rules_new(), *all = rules_new();
    for (unsigned ha = 0; ha < N_SITES; ha++) {
        for (unsigned sa = 0; sa < N_SITES; sa++) {
            for (unsigned hb = 0; hb < N_SITES; hb++) {
                for (unsigned sb = 0; sb < N_SITES; sb++) {
                    if (ha == sa || hb == sb) {
                        continue;
                    }
                    struct mob_placement a = place(1, 3, mac_a, IP(10, ha + 1, 0, 10), ha, sa,
                                                   IP(10, sa + 1, 0, 200));
                    struct mob_placement b = place(2, 3, mac_b, IP(10, hb + 1, 0, 11), hb, sb,
                                                   IP(10, sb + 1, 0, 201));
                    for (unsigned s = 0; s < N_SITES; s++) {
                        all->n = 0;
                        plan(ra, BASE, s, NULL);
                        for (unsigned i = 0; i < ra->n; i++) {
                            collect(all, &ra->fm[i]);
                        }
                        for (int w = RECEIVING; w <= SENDING; w++) {
                            plan(ra, (enum which)w, s, &a);
                            plan(rb, (enum which)w, s, &b);
                            for (unsigned i = 0; i < ra->n; i++) {
                                const struct of_match *m = &ra->fm[i].match;
                                uint32_t ips[] = {ip_of(m, OFF_IPV4_SRC), ip_of(m, OFF_IPV4_DST),
                                                  ip_of(m, OFF_ARP_TPA)};
                                for (unsigned k = 0; k < 3; k++) {
                                    assert_int_not_equal(ips[k], b.moa);
                                    assert_int_not_equal(ips[k], b.hoa);
                                }
                                assert_false(rewrites_ip_to(&ra->fm[i], b.moa));
                                assert_false(rewrites_ip_to(&ra->fm[i], b.hoa));
                                collect(all, &ra->fm[i]);
                            }
                            for (unsigned i = 0; i < rb->n; i++) {
                                collect(all, &rb->fm[i]);
                            }
                        }
                        for (unsigned i = 0; i < all->n; i++) {
                            for (unsigned j = i + 1; j < all->n; j++) {
                                const struct of_flow_mod *x = &all->fm[i], *y = &all->fm[j];
                                if (x->table_id == y->table_id && x->priority == y->priority &&
                                    matches_overlap(&x->match, &y->match)) {
                                    fail_msg("site%u (A home %u at %u, B home %u at %u): "
                                             "overlapping rules\n  %s\n  %s",
                                             s + 1, ha + 1, sa + 1, hb + 1, sb + 1,
                                             describe(x), describe(y));
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    free(ra);
    free(rb);
    free(all);
}

/* A new epoch of the same placement changes only cookies: its ADDs replace
 * the old rules in place (same table, priority and match), with no moment
 * in which a switch has neither. */
static void test_epochs_differ_only_in_cookies(void **state)
{
    struct rules *a = rules_new(), *b = rules_new();
    for (unsigned site = 1; site < N_SITES; site++) {
        struct mob_placement p = place_a(0, site, 8), q = place_a(0, site, 9);
        for (unsigned s = 0; s < N_SITES; s++) {
            for (int w = RECEIVING; w <= SENDING; w++) {
                plan(a, (enum which)w, s, &p);
                plan(b, (enum which)w, s, &q);
                assert_int_equal(a->n, b->n);
                for (unsigned i = 0; i < a->n; i++) {
                    assert_int_equal(mob_cookie_epoch(a->fm[i].cookie), 8);
                    assert_int_equal(mob_cookie_epoch(b->fm[i].cookie), 9);
                    assert_int_equal(a->fm[i].cookie & ~(uint64_t)MOB_EPOCH_MASK,
                                     b->fm[i].cookie & ~(uint64_t)MOB_EPOCH_MASK);
                    b->fm[i].cookie = a->fm[i].cookie;
                    if (!same_rule(&a->fm[i], &b->fm[i])) {
                        fail_msg("epochs 8 and 9 differ beyond the cookie:\n  %s\n  %s",
                                 describe(&a->fm[i]), describe(&b->fm[i]));
                    }
                }
            }
        }
    }
    /* The epoch wraps at 20 bits without touching the binding id. */
    struct mob_placement p = place_a(0, 1, MOB_EPOCH_MASK);
    plan(a, SENDING, 1, &p);
    assert_int_equal(mob_cookie_epoch(a->fm[0].cookie), MOB_EPOCH_MASK);
    assert_int_equal(mob_cookie_id(a->fm[0].cookie), 1);
    free(a);
    free(b);
}

/* A pre-announced move has no port yet (0); the probe's port comes later.
 * The rules must be the same for every port, or the later ones would not
 * replace the earlier. */
static void test_rules_ignore_port(void **state)
{
    struct rules *a = rules_new(), *b = rules_new();
    const uint32_t ports[] = {10, 11, 12, 99};
    for (unsigned site = 1; site < N_SITES; site++) {
        struct mob_placement p0 = place_a(0, site, 4);
        p0.port = 0;
        for (unsigned k = 0; k < 4; k++) {
            struct mob_placement pk = p0;
            pk.port = ports[k];
            for (unsigned s = 0; s < N_SITES; s++) {
                for (int w = RECEIVING; w <= SENDING; w++) {
                    plan(a, (enum which)w, s, &p0);
                    plan(b, (enum which)w, s, &pk);
                    assert_rules_equal(b, a, "same placement, another port");
                    for (unsigned i = 0; i < b->n; i++) {
                        const struct of_match *m = &b->fm[i].match;
                        assert_true(!of_match_has(m, OFF_IN_PORT) ||
                                    m->value[OFF_IN_PORT].u32 == UPLINK);
                    }
                }
            }
        }
    }
    free(a);
    free(b);
}

static void test_flows_ready(void **state)
{
    struct mob_placement p = place_a(0, 1, 1);
    assert_true(mob_flows_ready(&topo, &p));
    for (unsigned s = 0; s < N_SITES; s++) {
        topo.sites[s].gw_mac_known = false;
        assert_false(mob_flows_ready(&topo, &p));
        topo.sites[s].gw_mac_known = true;
    }
    p.site = N_SITES;
    assert_false(mob_flows_ready(&topo, &p));
    p = place_a(0, 1, 1);
    p.home = N_SITES;
    assert_false(mob_flows_ready(&topo, &p));
}

/* Selection by cookie, as a switch does it for a non-strict DELETE. */
static bool selects(const struct of_flow_mod *del, const struct of_flow_mod *fm)
{
    return (del->table_id == OFPTT_ALL || del->table_id == fm->table_id) &&
           (fm->cookie & del->cookie_mask) == (del->cookie & del->cookie_mask);
}

static void test_delete_by_cookie(void **state)
{
    struct of_flow_mod del;
    mob_flows_delete(&del, mob_cookie(0, 1, 8), MOB_COOKIE_MASK_BINDING_EPOCH);
    assert_int_equal(del.command, OFPFC_DELETE);
    assert_int_equal(del.table_id, OFPTT_ALL);
    assert_int_equal(del.cookie, mob_cookie(0, 1, 8));
    assert_int_equal(del.cookie_mask, MOB_COOKIE_MASK_BINDING_EPOCH);
    assert_int_equal(del.out_port, OFPP_ANY);
    assert_int_equal(del.out_group, OFPG_ANY);
    assert_int_equal(del.match.present, 0);
    assert_int_equal(del.insts.present, 0);
    assert_ofperr(of_match_validate(&del.match), 0);
    assert_encodes(&del);

    /* What each delete the update engine sends takes from a switch that
     * holds the base rules, binding 1 at epochs 8 and 9, binding 2 at 8. */
    struct rules *r = rules_new(), *all = rules_new();
    struct mob_placement a8 = place_a(0, 1, 8), a9 = place_a(0, 2, 9);
    struct mob_placement b8 = place(2, 8, mac_b, IP(10, 1, 0, 11), 0, 2, IP(10, 3, 0, 201));
    for (unsigned s = 0; s < N_SITES; s++) {
        all->n = 0;
        plan(r, BASE, s, NULL);
        for (unsigned i = 0; i < r->n; i++) {
            collect(all, &r->fm[i]);
        }
        const struct mob_placement *ps[] = {&a8, &a9, &b8};
        for (unsigned k = 0; k < 3; k++) {
            for (int w = RECEIVING; w <= SENDING; w++) {
                plan(r, (enum which)w, s, ps[k]);
                for (unsigned i = 0; i < r->n; i++) {
                    collect(all, &r->fm[i]);
                }
            }
        }
        struct of_flow_mod cleanup, stop_sending, all_of_a, everything;
        mob_flows_delete(&cleanup, mob_cookie(0, 1, 8), MOB_COOKIE_MASK_BINDING_EPOCH);
        mob_flows_delete(&stop_sending, mob_cookie(MOB_ROLE_SENDING, 1, 0),
                         MOB_COOKIE_MASK_ROLE_BINDING);
        mob_flows_delete(&all_of_a, mob_cookie(0, 1, 0), 0xffff0ffffff00000ull);
        mob_flows_delete(&everything, MOB_COOKIE_TAG << 48, MOB_COOKIE_MASK_TAG);
        for (unsigned i = 0; i < all->n; i++) {
            const struct of_flow_mod *fm = &all->fm[i];
            uint64_t c = fm->cookie;
            bool is_a = mob_cookie_role(c) != MOB_ROLE_BASE && mob_cookie_id(c) == 1;
            assert_int_equal(selects(&cleanup, fm), is_a && mob_cookie_epoch(c) == 8);
            assert_int_equal(selects(&stop_sending, fm),
                             is_a && mob_cookie_role(c) == MOB_ROLE_SENDING);
            assert_int_equal(selects(&all_of_a, fm), is_a);
            assert_true(selects(&everything, fm));
        }
    }
    free(r);
    free(all);
}

/* ---- A small data plane ----------------------------------------------- *
 * Three switches running the planner's rules (tables, priorities, masks,
 * set_field, metadata, goto, NORMAL/IN_PORT/CONTROLLER), hosts that ARP
 * for their next hop and keep an ARP cache, a controller that answers the
 * requests the rules hand it (as mob_arp.c does), and the legacy router
 * that routes between the sites and the legacy network 10.4.0.0/24. A
 * frame nobody takes is lost; an equal-priority tie in a table fails the
 * test, as the switch's choice would be arbitrary. */

#define MAX_FLOWS 128
#define LEGACY N_SITES
#define LEARNING_TABLE 3 /* where forward_table sends packets (test_forward_table) */

struct flow_table {
    unsigned n;
    struct of_flow_mod fm[MAX_FLOWS];
};

struct frame {
    uint32_t in_port;
    struct eth_addr src, dst;
    uint16_t type;
    uint32_t nw_src, nw_dst;
    uint16_t arp_op;
    struct eth_addr sha, tha;
    uint32_t spa, tpa;
    uint64_t metadata;
};

#define MAX_ARP 8
struct host {
    char name[8];
    struct eth_addr mac;
    uint32_t ip, gw; /* its own configuration: a /24 and its gateway */
    int site;        /* switch it hangs on, LEGACY for the legacy network */
    uint32_t port;
    unsigned n_arp;
    uint32_t arp_ip[MAX_ARP];
    struct eth_addr arp_mac[MAX_ARP];
};

#define MAX_HOSTS 8
struct net {
    struct flow_table sw[N_SITES];
    struct host hosts[MAX_HOSTS];
    unsigned n_hosts;
    /* What the controller believes: committed bindings away from home. */
    struct mob_placement away[4];
    unsigned n_away;
    bool controller_down; /* a restart, a cut channel: nobody answers */
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
    if (k > 0) {
        n->trace_len += (size_t)k;
    }
}

static void table_apply(void *arg, const struct of_flow_mod *fm)
{
    struct flow_table *t = arg;
    if (fm->command == OFPFC_ADD) {
        /* Same table, priority and match: the new rule replaces the old. */
        for (unsigned i = 0; i < t->n; i++) {
            if (t->fm[i].table_id == fm->table_id && t->fm[i].priority == fm->priority &&
                of_match_equal(&t->fm[i].match, &fm->match)) {
                t->fm[i] = *fm;
                return;
            }
        }
        assert_true(t->n < MAX_FLOWS);
        t->fm[t->n++] = *fm;
        return;
    }
    assert_int_equal(fm->command, OFPFC_DELETE);
    assert_int_equal(fm->match.present, 0);
    unsigned k = 0;
    for (unsigned i = 0; i < t->n; i++) {
        if (!selects(fm, &t->fm[i])) {
            t->fm[k++] = t->fm[i];
        }
    }
    t->n = k;
}

static bool frame_get(const struct frame *f, enum of_field fld, union of_field_value *v)
{
    memset(v, 0, sizeof *v);
    bool ip = f->type == 0x0800, arp = f->type == 0x0806 || f->type == 0x8035;
    switch (fld) {
    case OFF_IN_PORT:
        v->u32 = f->in_port;
        return true;
    case OFF_METADATA:
        v->u64 = f->metadata;
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
        v->u32 = f->nw_src;
        return ip;
    case OFF_IPV4_DST:
        v->u32 = f->nw_dst;
        return ip;
    case OFF_ARP_OP:
        v->u16 = f->arp_op;
        return arp;
    case OFF_ARP_SPA:
        v->u32 = f->spa;
        return arp;
    case OFF_ARP_TPA:
        v->u32 = f->tpa;
        return arp;
    case OFF_ARP_SHA:
        v->mac = f->sha;
        return arp;
    case OFF_ARP_THA:
        v->mac = f->tha;
        return arp;
    default:
        return false; /* no VLAN, no IP protocol in these frames */
    }
}

static void frame_set(struct frame *f, enum of_field fld, union of_field_value v)
{
    union of_field_value old;
    /* OpenFlow refuses a set_field whose prerequisites the packet lacks. */
    assert_true(frame_get(f, fld, &old));
    switch (fld) {
    case OFF_ETH_DST:
        f->dst = v.mac;
        break;
    case OFF_ETH_SRC:
        f->src = v.mac;
        break;
    case OFF_IPV4_SRC:
        f->nw_src = v.u32;
        break;
    case OFF_IPV4_DST:
        f->nw_dst = v.u32;
        break;
    case OFF_ARP_OP:
        f->arp_op = v.u16;
        break;
    case OFF_ARP_SPA:
        f->spa = v.u32;
        break;
    case OFF_ARP_TPA:
        f->tpa = v.u32;
        break;
    case OFF_ARP_SHA:
        f->sha = v.mac;
        break;
    case OFF_ARP_THA:
        f->tha = v.mac;
        break;
    default:
        fail_msg("set_field of %s", of_field_name(fld));
    }
}

static bool rule_matches(const struct of_flow_mod *fm, const struct frame *f)
{
    for (unsigned fld = 0; fld < OFF_N_FIELDS; fld++) {
        if (!of_match_has(&fm->match, fld)) {
            continue;
        }
        union of_field_value v;
        if (!frame_get(f, fld, &v)) {
            return false;
        }
        struct of_match one;
        of_match_init(&one);
        of_match_set(&one, fld, v);
        if (!value_bits_agree(fld, &one, &fm->match)) {
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

static void pipeline(struct net *n, unsigned s, struct frame f, struct outputs *o)
{
    const struct flow_table *t = &n->sw[s];
    o->n = 0;
    uint8_t table = 0;
    for (int steps = 0; steps < 4; steps++) {
        if (table == LEARNING_TABLE) {
            /* The L2-learning application's table: it knows every MAC here,
             * so it forwards as NORMAL would. */
            trace(n, " s%u:t%u learning", s + 1, table);
            assert_true(o->n < MAX_OUT);
            o->port[o->n] = OFPP_NORMAL;
            o->f[o->n++] = f;
            return;
        }
        const struct of_flow_mod *best = NULL;
        for (unsigned i = 0; i < t->n; i++) {
            const struct of_flow_mod *fm = &t->fm[i];
            if (fm->table_id != table || !rule_matches(fm, &f)) {
                continue;
            }
            if (best && fm->priority == best->priority) {
                fail_msg("site%u table %u: a frame matches two rules of priority %u:\n  %s\n  "
                         "%s\ntrace: %s", s + 1, table, fm->priority, describe(best),
                         describe(fm), n->trace);
            }
            if (!best || fm->priority > best->priority) {
                best = fm;
            }
        }
        if (!best) {
            trace(n, " s%u:t%u miss-drop", s + 1, table);
            return;
        }
        trace(n, " s%u:t%u/%u", s + 1, table, best->priority);
        const struct of_action_list *l = &best->insts.apply;
        for (unsigned i = 0; (best->insts.present & OFIB_APPLY_ACTIONS) && i < l->n; i++) {
            const struct of_action *a = &l->a[i];
            if (a->type == OFAT_SET_FIELD) {
                frame_set(&f, a->u.set_field.field, a->u.set_field.value);
            } else {
                assert_int_equal(a->type, OFAT_OUTPUT);
                assert_true(o->n < MAX_OUT);
                o->port[o->n] = a->u.output.port;
                o->f[o->n++] = f;
            }
        }
        if (best->insts.present & OFIB_WRITE_METADATA) {
            f.metadata = (f.metadata & ~best->insts.metadata_mask) |
                         (best->insts.metadata & best->insts.metadata_mask);
        }
        if (!(best->insts.present & OFIB_GOTO_TABLE)) {
            return;
        }
        table = best->insts.goto_table;
    }
    fail_msg("pipeline loops");
}

static struct host *host_at(struct net *n, int site, uint32_t ip)
{
    for (unsigned i = 0; i < n->n_hosts; i++) {
        if (n->hosts[i].site == site && n->hosts[i].ip == ip) {
            return &n->hosts[i];
        }
    }
    return NULL;
}

static struct host *host_by_mac(struct net *n, int site, struct eth_addr mac)
{
    for (unsigned i = 0; i < n->n_hosts; i++) {
        if (n->hosts[i].site == site && eth_addr_equal(n->hosts[i].mac, mac)) {
            return &n->hosts[i];
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

static bool in_24(uint32_t a, uint32_t b)
{
    return (a & 0xffffff00u) == (b & 0xffffff00u);
}

static uint32_t router_ip(int link)
{
    return link == LEGACY ? IP(10, 4, 0, 1) : site_gw((unsigned)link);
}

/* The controller's answer to a request the switch sent it only, as
 * mob_arp.c answer_request() gives it from its committed bindings. */
static bool controller_answer(struct net *n, unsigned s, const struct frame *req,
                              struct eth_addr *out)
{
    if (n->controller_down) {
        return false;
    }
    for (unsigned i = 0; i < n->n_away; i++) {
        const struct mob_placement *p = &n->away[i];
        if (p->hoa == req->tpa && p->home == s && p->site != s &&
            !eth_addr_equal(req->sha, p->mac)) {
            *out = p->mac;
            return true;
        }
    }
    for (unsigned i = 0; i < n->n_away; i++) {
        const struct mob_placement *p = &n->away[i];
        if (eth_addr_equal(p->mac, req->sha) && p->site == s && req->spa == p->hoa &&
            in_24(req->tpa, cfg.sites[p->home].prefix)) {
            *out = gw_mac[s];
            return true;
        }
    }
    return false;
}

/* An ARP request entering switch s; returns the MAC it resolves to. */
static bool arp_on_site(struct net *n, unsigned s, uint32_t in_port, struct eth_addr mac,
                        uint32_t ip, uint32_t tpa, struct eth_addr *out)
{
    struct frame req = {.in_port = in_port, .src = mac, .dst = bcast, .type = 0x0806,
                        .arp_op = 1, .sha = mac, .spa = ip, .tpa = tpa};
    struct outputs o;
    trace(n, " [arp %u.%u.%u.%u?", tpa >> 24, (tpa >> 16) & 0xff, (tpa >> 8) & 0xff, tpa & 0xff);
    pipeline(n, s, req, &o);
    unsigned answers = 0;
    struct eth_addr ans[MAX_OUT + 2];
    for (unsigned i = 0; i < o.n; i++) {
        const struct frame *f = &o.f[i];
        if (o.port[i] == OFPP_IN_PORT) {
            /* Built by the switch: it must be a reply to this asker. */
            assert_int_equal(f->arp_op, 2);
            assert_memory_equal(&f->dst, &mac, 6);
            assert_memory_equal(&f->tha, &mac, 6);
            assert_int_equal(f->tpa, ip);
            assert_int_equal(f->spa, tpa);
            assert_memory_equal(&f->src, &f->sha, 6);
            ans[answers++] = f->sha;
        } else if (o.port[i] == OFPP_CONTROLLER) {
            if (controller_answer(n, s, &req, &ans[answers])) {
                answers++;
            }
        } else if (o.port[i] == OFPP_NORMAL) {
            /* Flooded on the segment: the router and the owner answer. */
            if (in_port != UPLINK && tpa == site_gw(s)) {
                ans[answers++] = gw_mac[s];
            }
            struct host *h = host_at(n, (int)s, tpa);
            if (h && h->port != in_port) {
                ans[answers++] = h->mac;
            }
        } else {
            fail_msg("ARP request sent to port %u", o.port[i]);
        }
    }
    for (unsigned i = 1; i < answers; i++) {
        if (!eth_addr_equal(ans[0], ans[i])) {
            fail_msg("two different ARP answers for %#x at site%u; trace: %s", tpa, s + 1,
                     n->trace);
        }
    }
    if (answers) {
        *out = ans[0];
        trace(n, " " ETH_ADDR_FMT "]", ETH_ADDR_ARGS(ans[0]));
    } else {
        trace(n, " none]");
    }
    return answers > 0;
}

struct delivery {
    const struct host *to;
    struct frame f;
};

static void router_in(struct net *n, int link, struct frame f, int depth, struct delivery *d);

static void host_in(struct net *n, struct host *h, struct frame f, struct delivery *d)
{
    if (!eth_addr_equal(f.dst, h->mac)) {
        trace(n, " %s ignores a frame for another MAC", h->name);
        return;
    }
    trace(n, " -> %s", h->name);
    d->to = h;
    d->f = f;
}

static void switch_in(struct net *n, unsigned s, struct frame f, int depth, struct delivery *d)
{
    struct outputs o;
    pipeline(n, s, f, &o);
    if (o.n > 1) {
        fail_msg("an IP frame went out %u times at site%u; trace: %s", o.n, s + 1, n->trace);
    }
    if (o.n == 0) {
        return;
    }
    struct frame g = o.f[0];
    uint32_t port = o.port[0];
    if (port == OFPP_IN_PORT) {
        port = f.in_port;
    } else if (port == OFPP_NORMAL) {
        /* The switch's MAC table: the router behind the uplink, and hosts. */
        struct host *h = host_by_mac(n, (int)s, g.dst);
        if (eth_addr_equal(g.dst, gw_mac[s])) {
            port = UPLINK;
        } else if (h) {
            port = h->port;
        } else {
            trace(n, " s%u: unknown MAC " ETH_ADDR_FMT ", lost", s + 1, ETH_ADDR_ARGS(g.dst));
            return;
        }
        if (port == f.in_port) {
            trace(n, " s%u: NORMAL back to the in_port, lost", s + 1);
            return;
        }
    } else if (port >= OFPP_MAX) {
        trace(n, " s%u: IP frame to reserved port %#x, lost", s + 1, port);
        return;
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
    trace(n, " s%u: port %u has nobody, lost", s + 1, port);
}

static void router_in(struct net *n, int link, struct frame f, int depth, struct delivery *d)
{
    if (depth > 6) {
        fail_msg("routing loop; trace: %s", n->trace);
    }
    if (!eth_addr_equal(f.dst, gw_mac[link])) {
        trace(n, " router drops a frame not addressed to it");
        return;
    }
    int out = -1;
    for (int i = 0; i <= LEGACY; i++) {
        if (in_24(f.nw_dst, router_ip(i))) {
            out = i;
        }
    }
    if (out < 0) {
        trace(n, " router: no route, lost");
        return;
    }
    trace(n, " router(%d->%d)", link + 1, out + 1);
    struct eth_addr next;
    if (out == LEGACY) {
        struct host *h = host_at(n, LEGACY, f.nw_dst);
        if (!h) {
            trace(n, " no legacy host, lost");
            return;
        }
        next = h->mac;
    } else if (!arp_on_site(n, (unsigned)out, UPLINK, gw_mac[out], router_ip(out), f.nw_dst,
                            &next)) {
        return;
    }
    f.src = gw_mac[out];
    f.dst = next;
    f.metadata = 0;
    if (out == LEGACY) {
        host_in(n, host_at(n, LEGACY, f.nw_dst), f, d);
    } else {
        f.in_port = UPLINK;
        switch_in(n, (unsigned)out, f, depth, d);
    }
}

static bool host_resolve(struct net *n, struct host *h, uint32_t ip, struct eth_addr *mac)
{
    for (unsigned i = 0; i < h->n_arp; i++) {
        if (h->arp_ip[i] == ip) {
            *mac = h->arp_mac[i];
            trace(n, " [cached " ETH_ADDR_FMT "]", ETH_ADDR_ARGS(*mac));
            return true;
        }
    }
    bool ok;
    if (h->site == LEGACY) {
        struct host *o = host_at(n, LEGACY, ip);
        ok = ip == router_ip(LEGACY) || o;
        if (ok) {
            *mac = o ? o->mac : gw_mac[LEGACY];
        }
    } else {
        ok = arp_on_site(n, (unsigned)h->site, h->port, h->mac, h->ip, ip, mac);
    }
    if (ok && h->n_arp < MAX_ARP) {
        h->arp_ip[h->n_arp] = ip;
        h->arp_mac[h->n_arp++] = *mac;
    }
    return ok;
}

/* Host `from` sends one IPv4 packet to address `to_ip`. */
static struct delivery send_ip(struct net *n, struct host *from, uint32_t to_ip)
{
    struct delivery d = {NULL, {0}};
    n->trace_len = 0;
    n->trace[0] = '\0';
    trace(n, "%s->%u.%u.%u.%u:", from->name, to_ip >> 24, (to_ip >> 16) & 0xff,
          (to_ip >> 8) & 0xff, to_ip & 0xff);
    uint32_t next_hop = in_24(from->ip, to_ip) ? to_ip : from->gw;
    struct eth_addr mac;
    if (!host_resolve(n, from, next_hop, &mac)) {
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

/* The packet reaches `to`, with both hosts' own addresses. */
static void expect_path(struct net *n, const char *from, const char *to)
{
    struct host *a = host_named(n, from), *b = host_named(n, to);
    struct delivery d = send_ip(n, a, b->ip);
    if (d.to != b || d.f.nw_src != a->ip || d.f.nw_dst != b->ip) {
        fail_msg("%s -> %s not delivered as %s -> %s (got %s, src %#x dst %#x)\ntrace: %s", from,
                 to, from, to, d.to ? d.to->name : "nothing", d.f.nw_src, d.f.nw_dst, n->trace);
    }
}

/* During an update a packet may be lost, never delivered wrong: to another
 * host, or with a MoA where a HoA belongs. Returns true if delivered. */
static bool safe_path(struct net *n, const char *from, const char *to)
{
    struct host *a = host_named(n, from), *b = host_named(n, to);
    struct delivery d = send_ip(n, a, b->ip);
    if (!d.to) {
        return false;
    }
    if (d.to != b || d.f.nw_src != a->ip || d.f.nw_dst != b->ip) {
        fail_msg("%s -> %s delivered wrong (to %s, src %#x dst %#x)\ntrace: %s", from, to,
                 d.to->name, d.f.nw_src, d.f.nw_dst, n->trace);
    }
    return true;
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

/* The testbed with its base rules and a correspondent on every network. */
static struct net *net_new(void)
{
    struct net *n = calloc(1, sizeof *n);
    assert_non_null(n);
    for (unsigned s = 0; s < N_SITES; s++) {
        mob_flows_base(&topo, s, table_apply, &n->sw[s]);
        struct eth_addr mac = {{0x52, 0x54, 0x00, 0xc0, 0x00, (uint8_t)(s + 1)}};
        char name[8];
        snprintf(name, sizeof name, "cn%u", s + 1);
        add_host(n, name, mac, IP(10, s + 1, 0, 20), (int)s, 11);
    }
    add_host(n, "legacy", (struct eth_addr){{0x52, 0x54, 0x00, 0xc0, 0x00, 0x04}},
             IP(10, 4, 0, 20), LEGACY, 0);
    return n;
}

static void install(struct net *n, enum which w, const struct mob_placement *p, unsigned mask)
{
    for (unsigned s = 0; s < N_SITES; s++) {
        if (mask & (1u << s)) {
            if (w == RECEIVING) {
                mob_flows_receiving(&topo, s, p, table_apply, &n->sw[s]);
            } else if (w == RETURN) {
                mob_flows_return_home(&topo, s, p, table_apply, &n->sw[s]);
            } else {
                mob_flows_sending(&topo, s, p, table_apply, &n->sw[s]);
            }
        }
    }
}

/* Applied to a switch, each message of a removal must be a DELETE that
 * Open vSwitch serves from its cookie index: one exact cookie (mask all
 * ones), any table, no match; never a base rule's cookie. */
static void apply_exact_delete(void *arg, const struct of_flow_mod *fm)
{
    assert_int_equal(fm->command, OFPFC_DELETE);
    assert_true(fm->cookie_mask == UINT64_MAX);
    assert_int_equal(fm->table_id, OFPTT_ALL);
    assert_int_equal(fm->match.present, 0);
    assert_true(mob_cookie_is_ours(fm->cookie));
    assert_int_not_equal(mob_cookie_role(fm->cookie), MOB_ROLE_BASE);
    table_apply(arg, fm);
}

/* A removal at the switches of sw_mask, as the update engine sends it to
 * OpenFlow 1.3 switches (mob_flows_remove). */
static void remove_rules(struct net *n, const struct mob_placement *old, unsigned n_old,
                         unsigned parts, const struct mob_placement *keep, unsigned n_keep,
                         unsigned sw_mask)
{
    struct mob_removal r = {old, n_old, parts, keep, n_keep};
    for (unsigned s = 0; s < N_SITES; s++) {
        if (sw_mask & (1u << s)) {
            mob_flows_remove(&mob_planner_of13, &topo, s, &r, apply_exact_delete, &n->sw[s]);
        }
    }
}

#define ALL_PARTS (MOB_PART_RECEIVING | MOB_PART_SENDING | MOB_PART_RETURN)

/* Every switch holds exactly its base rules, the receiving and sending
 * rules of the placements in `ps`, and the return rules of `ret` (if not
 * NULL): nothing an earlier epoch left, nothing a later one needs gone. */
static void expect_tables(struct net *n, const struct mob_placement *ps, unsigned k,
                          const struct mob_placement *ret, const char *what)
{
    for (unsigned s = 0; s < N_SITES; s++) {
        struct rules *w = rules_new(), *got = rules_new();
        mob_flows_base(&topo, s, collect, w);
        for (unsigned i = 0; i < k; i++) {
            mob_flows_receiving(&topo, s, &ps[i], collect, w);
            mob_flows_sending(&topo, s, &ps[i], collect, w);
        }
        if (ret) {
            mob_flows_return_home(&topo, s, ret, collect, w);
        }
        for (unsigned i = 0; i < n->sw[s].n; i++) {
            collect(got, &n->sw[s].fm[i]);
        }
        assert_rules_equal(got, w, what);
        free(got);
        free(w);
    }
}

static const char *const cns[] = {"cn1", "cn2", "cn3", "legacy"};

/* Every correspondent reaches the node and back. */
static void expect_all_paths(struct net *n, const char *node)
{
    for (unsigned i = 0; i < 4; i++) {
        expect_path(n, node, cns[i]);
        expect_path(n, cns[i], node);
    }
}

/* Correspondents among themselves are not disturbed by the rules. */
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

static void net_commit(struct net *n, const struct mob_placement *p)
{
    for (unsigned i = 0; i < n->n_away; i++) {
        if (n->away[i].id == p->id) {
            n->away[i] = *p;
            return;
        }
    }
    assert_true(n->n_away < 4);
    n->away[n->n_away++] = *p;
}

static void net_forget(struct net *n, uint32_t id)
{
    for (unsigned i = 0; i < n->n_away; i++) {
        if (n->away[i].id == id) {
            n->away[i] = n->away[--n->n_away];
            return;
        }
    }
}

static void move_host(struct host *h, unsigned site, uint32_t port)
{
    h->site = (int)site;
    h->port = port;
}

/* Without any binding the base pipeline is plain routing and switching. */
static void test_dataplane_base_only(void **state)
{
    struct net *n = net_new();
    add_host(n, "a", mac_a, IP(10, 1, 0, 10), 0, 10);
    expect_cns_unaffected(n);
    expect_all_paths(n, "a");
    free(n);
}

/* The node at a foreign site, every correspondent, both directions; with a
 * cold ARP cache and with the one it brought from home (a live-migrated VM
 * keeps its cache: its gateway's MAC is the home router's). */
static void check_away(unsigned home, unsigned site)
{
    for (int warm = 0; warm < 2; warm++) {
        struct net *n = net_new();
        struct mob_placement p = place_a(home, site, 1);
        struct host *a = add_host(n, "a", mac_a, p.hoa, (int)home, 10);
        if (warm) {
            expect_all_paths(n, "a");
        }
        install(n, RECEIVING, &p, 7);
        install(n, SENDING, &p, 7);
        net_commit(n, &p);
        move_host(a, site, 10);
        expect_all_paths(n, "a");
        expect_cns_unaffected(n);
        free(n);
    }
}

static void test_dataplane_away(void **state)
{
    check_away(0, 1);
    check_away(0, 2);
    check_away(1, 0);
    check_away(2, 1);
}

/* Two moved nodes at different sites talk to each other (both MoA
 * translations on one packet: source in table 1, destination in table 2). */
static void test_dataplane_two_nodes(void **state)
{
    const unsigned combos[][4] = {{0, 1, 0, 2}, {0, 1, 2, 0}, {1, 2, 0, 1}, {0, 2, 2, 1}};
    for (unsigned k = 0; k < 4; k++) {
        struct net *n = net_new();
        struct mob_placement pa = place_a(combos[k][0], combos[k][1], 1);
        struct mob_placement pb = place(2, 1, mac_b, IP(10, combos[k][2] + 1, 0, 11),
                                        combos[k][2], combos[k][3],
                                        IP(10, combos[k][3] + 1, 0, 201));
        add_host(n, "a", mac_a, pa.hoa, (int)pa.site, 10);
        add_host(n, "b", mac_b, pb.hoa, (int)pb.site, 12);
        install(n, RECEIVING, &pa, 7);
        install(n, SENDING, &pa, 7);
        install(n, RECEIVING, &pb, 7);
        install(n, SENDING, &pb, 7);
        net_commit(n, &pa);
        net_commit(n, &pb);
        expect_path(n, "a", "b");
        expect_path(n, "b", "a");
        expect_all_paths(n, "a");
        expect_all_paths(n, "b");
        free(n);
    }
}

/* While the controller is away, the answers the data plane depends on come
 * from the switches: the router finds the node by its MoA at its site and
 * by its HoA at home, and the node finds its home gateway. Only what needs
 * the controller (a home-prefix host's address) waits for it, so a node
 * and a router with empty ARP caches still reach every other network. */
static void test_dataplane_controller_away(void **state)
{
    for (unsigned site = 1; site < N_SITES; site++) {
        struct net *n = net_new();
        struct mob_placement p = place_a(0, site, 1);
        add_host(n, "a", mac_a, p.hoa, (int)site, 10);
        install(n, RECEIVING, &p, 7);
        install(n, SENDING, &p, 7);
        net_commit(n, &p);
        n->controller_down = true;
        for (unsigned i = 1; i < 4; i++) {
            expect_path(n, "a", cns[i]);
            expect_path(n, cns[i], "a");
        }
        /* cn1 and the node have never resolved each other: that waits. */
        assert_false(safe_path(n, "a", "cn1"));
        assert_false(safe_path(n, "cn1", "a"));
        /* Caches filled while the controller was there keep working. */
        n->controller_down = false;
        expect_path(n, "a", "cn1");
        expect_path(n, "cn1", "a");
        n->controller_down = true;
        expect_all_paths(n, "a");
        free(n);
    }
}

/* Sets (or replaces) an entry of a host's ARP cache. */
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

/* Node A away at site2 talks to everyone (filling its ARP cache there),
 * then comes home; its binding's rules are removed as mob_update.c does. */
static struct host *return_home_warm(struct net *n)
{
    struct mob_placement p = place_a(0, 1, 1);
    struct host *a = add_host(n, "a", mac_a, p.hoa, 1, 10);
    install(n, RECEIVING, &p, 7);
    install(n, SENDING, &p, 7);
    net_commit(n, &p);
    expect_all_paths(n, "a");
    move_host(a, 0, 10);
    remove_rules(n, &p, 1, MOB_PART_SENDING, NULL, 0, 7);
    remove_rules(n, &p, 1, ALL_PARTS, NULL, 0, 7);
    net_forget(n, 1);
    return a;
}

/* Home again with the cache from abroad: its gateway entry names site2's
 * router, so nothing leaves the site until the controller's unsolicited
 * reply ("10.1.0.1 is-at" the home gateway, mob_arp_tell_home_gateway)
 * corrects it; then the other networks are reachable, and every
 * correspondent reaches the node. */
static void test_dataplane_home_again(void **state)
{
    struct net *n = net_new();
    struct host *a = return_home_warm(n);
    for (unsigned i = 1; i < 4; i++) {
        assert_false(safe_path(n, "a", cns[i]));
    }
    host_learn(a, IP(10, 1, 0, 1), gw_mac[0]);
    for (unsigned i = 1; i < 4; i++) {
        expect_path(n, "a", cns[i]);
    }
    for (unsigned i = 0; i < 4; i++) {
        expect_path(n, cns[i], "a");
    }
    expect_cns_unaffected(n);
    free(n);
}

/* Was a bug (mob_flows.c, sending_at_site): two nodes away at the same
 * site. A's packet to B's HoA matches A's table-1 rule (prio 29500: the
 * destination is behind an OFS) and leaves with source MoA(A); table 2 then
 * delivers it locally through B's rule (prio 30000 nw_dst=HoA(B) ->
 * eth_dst=mac(B), NORMAL), so it never passes a switch's MoA -> HoA source
 * translation again: B sees MoA(A) instead of HoA(A). */
static void test_dataplane_same_site(void **state)
{
    const unsigned homes[][2] = {{0, 0}, {0, 2}};
    for (unsigned k = 0; k < 2; k++) {
        struct net *n = net_new();
        struct mob_placement pa = place_a(homes[k][0], 1, 1);
        struct mob_placement pb = place(2, 1, mac_b, IP(10, homes[k][1] + 1, 0, 11),
                                        homes[k][1], 1, IP(10, 2, 0, 201));
        add_host(n, "a", mac_a, pa.hoa, 1, 10);
        add_host(n, "b", mac_b, pb.hoa, 1, 12);
        install(n, RECEIVING, &pa, 7);
        install(n, SENDING, &pa, 7);
        install(n, RECEIVING, &pb, 7);
        install(n, SENDING, &pb, 7);
        net_commit(n, &pa);
        net_commit(n, &pb);
        expect_path(n, "a", "b");
        expect_path(n, "b", "a");
        free(n);
    }
}

/* KNOWN ISSUE (the return home, "nothing for a node at home"): the node
 * comes home with the ARP cache it filled abroad, where every home-prefix
 * host resolved to the foreign gateway's MAC (the controller's proxy answer
 * at that site). The controller now refreshes the gateway's entry
 * (mob_arp_tell_home_gateway), but not those: at home no rule re-addresses
 * the frames, so the node's traffic to its home-site neighbours is lost
 * until its ARP entries expire (tens of seconds on Linux). */
static void test_dataplane_home_again_neighbours(void **state)
{
    struct net *n = net_new();
    struct host *a = return_home_warm(n);
    host_learn(a, IP(10, 1, 0, 1), gw_mac[0]);
    /* The temporary rules at home send its frames for a foreign gateway's
     * MAC to the home gateway, which routes them to the neighbour. */
    struct mob_placement home = place_a(0, 0, 2);
    install(n, RETURN, &home, 7);
    expect_path(n, "a", "cn1");
    free(n);
}

/* The update order, step by step, for a first move (home -> site2): the
 * receiving side alone changes nothing for a node at home; with it in
 * place, switching the senders over in any order loses packets at worst
 * and never delivers a MoA to a host; once all are switched everything
 * flows. Both ARP caches of the node. */
static void test_update_order_first_move(void **state)
{
    for (int warm = 0; warm < 2; warm++) {
        for (unsigned mask = 0; mask < 8; mask++) {
            struct net *n = net_new();
            struct mob_placement p = place_a(0, 1, 1);
            struct host *a = add_host(n, "a", mac_a, p.hoa, 0, 10);
            if (warm) {
                expect_all_paths(n, "a");
            }
            install(n, RECEIVING, &p, 7);
            expect_all_paths(n, "a"); /* harmless before the move */
            expect_cns_unaffected(n);
            move_host(a, 1, 10);
            install(n, SENDING, &p, mask);
            for (unsigned i = 0; i < 4; i++) {
                safe_path(n, "a", cns[i]);
                safe_path(n, cns[i], "a");
            }
            expect_cns_unaffected(n);
            install(n, SENDING, &p, 7 & ~mask);
            net_commit(n, &p);
            expect_all_paths(n, "a");
            free(n);
        }
    }
}

/* A second move (site2 -> site3, epoch 2): the old epoch's rules stay until
 * the cleanup; the new sending rules replace the old ones in place, in any
 * order of switches; after the cleanup only epoch 2 is left. */
static void test_update_order_second_move(void **state)
{
    for (unsigned mask = 0; mask < 8; mask++) {
        struct net *n = net_new();
        struct mob_placement p1 = place_a(0, 1, 1), p2 = place_a(0, 2, 2);
        struct host *a = add_host(n, "a", mac_a, p1.hoa, 1, 10);
        install(n, RECEIVING, &p1, 7);
        install(n, SENDING, &p1, 7);
        net_commit(n, &p1);
        expect_all_paths(n, "a"); /* fills the node's cache at site2 */
        install(n, RECEIVING, &p2, 7);
        expect_all_paths(n, "a");
        move_host(a, 2, 12);
        install(n, SENDING, &p2, mask);
        for (unsigned i = 0; i < 4; i++) {
            safe_path(n, "a", cns[i]);
            safe_path(n, cns[i], "a");
        }
        install(n, SENDING, &p2, 7 & ~mask);
        net_commit(n, &p2);
        expect_all_paths(n, "a");
        expect_cns_unaffected(n);
        /* Cleanup of epoch 1, by exact cookies, switch by switch: nothing
         * of it is left, and nothing it removes was still needed. */
        remove_rules(n, &p1, 1, ALL_PARTS, &p2, 1, mask);
        expect_all_paths(n, "a");
        remove_rules(n, &p1, 1, ALL_PARTS, &p2, 1, 7 & ~mask);
        for (unsigned s = 0; s < N_SITES; s++) {
            for (unsigned i = 0; i < n->sw[s].n; i++) {
                assert_int_not_equal(mob_cookie_epoch(n->sw[s].fm[i].cookie), 1);
            }
        }
        /* The switches hold exactly base + epoch 2, as a fresh install. */
        expect_tables(n, &p2, 1, NULL, "after cleanup");
        expect_all_paths(n, "a");
        free(n);
    }
}

/* The return home: the sending side goes first (any order of switches),
 * then everything of the binding; the switches are left with the base rules
 * only. The node's ARP cache is cold here (see the known issue above). */
static void test_update_order_return_home(void **state)
{
    for (unsigned mask = 0; mask < 8; mask++) {
        struct net *n = net_new();
        struct mob_placement p = place_a(0, 2, 3);
        struct host *a = add_host(n, "a", mac_a, p.hoa, 2, 10);
        install(n, RECEIVING, &p, 7);
        install(n, SENDING, &p, 7);
        net_commit(n, &p);
        expect_all_paths(n, "a");
        move_host(a, 0, 12);
        a->n_arp = 0;
        remove_rules(n, &p, 1, MOB_PART_SENDING, NULL, 0, mask);
        for (unsigned i = 0; i < 4; i++) {
            safe_path(n, "a", cns[i]);
            safe_path(n, cns[i], "a");
        }
        remove_rules(n, &p, 1, MOB_PART_SENDING, NULL, 0, 7 & ~mask);
        net_forget(n, 1);
        expect_all_paths(n, "a");
        remove_rules(n, &p, 1, ALL_PARTS, NULL, 0, 7);
        for (unsigned s = 0; s < N_SITES; s++) {
            assert_int_equal(n->sw[s].n, BASE_RULES);
            for (unsigned i = 0; i < n->sw[s].n; i++) {
                assert_int_equal(mob_cookie_role(n->sw[s].fm[i].cookie), MOB_ROLE_BASE);
            }
        }
        expect_all_paths(n, "a");
        expect_cns_unaffected(n);
        free(n);
    }
}

/* ---- Removal by exact cookie (mob_flows_remove.c) ---------------------- */

/* The messages themselves: at each switch one DELETE per (role, epoch)
 * that the old placements have there, in the planner's order, each with
 * the full cookie mask; a cookie of a kept placement never; and on 1.0
 * the same removal is DELETE_STRICT without a cookie mask. */
static void test_remove_exact_messages(void **state)
{
    struct mob_placement home0 = place_a(0, 0, 0), p1 = place_a(0, 1, 1);
    struct mob_placement p2 = place(1, 2, mac_a, IP(10, 1, 0, 10), 0, 2, IP(10, 3, 0, 201));
    struct mob_placement p3 = place_a(0, 2, 3);
    struct mob_placement olds[] = {home0, p1, p2};
    struct mob_removal r = {olds, 3, ALL_PARTS, &p3, 1};
    struct rules *got = rules_new();
    for (unsigned s = 0; s < N_SITES; s++) {
        got->n = 0;
        mob_flows_remove(&mob_planner_of13, &topo, s, &r, collect, got);
        /* The return rules of epoch 0 live at home only; every switch has
         * a receiving and a sending rule of each placement away. */
        uint64_t want[5];
        unsigned k = 0;
        if (s == 0) {
            want[k++] = mob_cookie(MOB_ROLE_RETURN, 1, 0);
        }
        want[k++] = mob_cookie(MOB_ROLE_RECEIVING, 1, 1);
        want[k++] = mob_cookie(MOB_ROLE_SENDING, 1, 1);
        want[k++] = mob_cookie(MOB_ROLE_RECEIVING, 1, 2);
        want[k++] = mob_cookie(MOB_ROLE_SENDING, 1, 2);
        assert_int_equal(got->n, k);
        for (unsigned i = 0; i < k; i++) {
            const struct of_flow_mod *fm = &got->fm[i];
            assert_int_equal(fm->command, OFPFC_DELETE);
            assert_true(fm->cookie == want[i]);
            assert_true(fm->cookie_mask == UINT64_MAX);
            assert_int_equal(fm->table_id, OFPTT_ALL);
            assert_int_equal(fm->match.present, 0);
            assert_int_equal(fm->insts.present, 0);
            assert_encodes(fm);
        }
    }

    /* Only the parts asked for. */
    struct mob_removal senders = {olds, 3, MOB_PART_SENDING, NULL, 0};
    got->n = 0;
    mob_flows_remove(&mob_planner_of13, &topo, 0, &senders, collect, got);
    assert_int_equal(got->n, 2);
    assert_true(got->fm[0].cookie == mob_cookie(MOB_ROLE_SENDING, 1, 1));
    assert_true(got->fm[1].cookie == mob_cookie(MOB_ROLE_SENDING, 1, 2));

    /* Two old placements of one epoch (a rule set listed twice): one
     * delete per cookie. A placement both old and kept: nothing. */
    struct mob_placement twice[] = {p1, p1};
    struct mob_removal dup = {twice, 2, ALL_PARTS, NULL, 0};
    got->n = 0;
    mob_flows_remove(&mob_planner_of13, &topo, 1, &dup, collect, got);
    assert_int_equal(got->n, 2);
    struct mob_removal kept = {&p1, 1, ALL_PARTS, &p1, 1};
    got->n = 0;
    mob_flows_remove(&mob_planner_of13, &topo, 1, &kept, collect, got);
    assert_int_equal(got->n, 0);

    /* 1.0: DELETE_STRICT per rule, no cookie filter. */
    got->n = 0;
    mob_flows_remove(&mob_planner_of10, &topo, 1, &senders, collect, got);
    assert_true(got->n > 2);
    for (unsigned i = 0; i < got->n; i++) {
        assert_int_equal(got->fm[i].command, OFPFC_DELETE_STRICT);
        assert_true(got->fm[i].cookie_mask == 0);
    }
    free(got);
}

/* Another node (B) is away with the same epoch numbers as A's, so that a
 * delete selecting by epoch, or by role, would take its rules too. */
static struct mob_placement place_b(uint32_t epoch)
{
    return place(2, epoch, mac_b, IP(10, 1, 0, 11), 0, 2, IP(10, 3, 0, 202));
}

/* Ping-pong: A is committed at site2 (epoch 1); a move to site3 (epoch 2)
 * got its receiving side and part of its sending side out, then a newer
 * trigger won (epoch 3): back at site2 with the same MoA (its rules
 * replace epoch 1's in place) or at site3 with another MoA. The cleanup
 * lists the committed placement and the superseded one; switch by switch,
 * it removes exactly their rules: the switches then hold the base rules,
 * B's and epoch 3's, and every path works throughout. */
static void test_cleanup_after_superseded(void **state)
{
    struct mob_placement p1 = place_a(0, 1, 1), p2 = place_a(0, 2, 2), pb = place_b(1);
    struct mob_placement winners[] = {
        place_a(0, 1, 3),
        place(1, 3, mac_a, IP(10, 1, 0, 10), 0, 2, IP(10, 3, 0, 201)),
    };
    for (unsigned w = 0; w < 2; w++) {
        for (unsigned mask = 0; mask < 8; mask++) {
            struct net *n = net_new();
            struct mob_placement p3 = winners[w];
            struct host *a = add_host(n, "a", mac_a, p1.hoa, 1, 10);
            add_host(n, "b", mac_b, pb.hoa, 2, 12);
            install(n, RECEIVING, &pb, 7);
            install(n, SENDING, &pb, 7);
            net_commit(n, &pb);
            install(n, RECEIVING, &p1, 7);
            install(n, SENDING, &p1, 7);
            net_commit(n, &p1);
            install(n, RECEIVING, &p2, 7);
            install(n, SENDING, &p2, 5); /* superseded half-way */
            install(n, RECEIVING, &p3, 7);
            move_host(a, p3.site, 10);
            install(n, SENDING, &p3, 7);
            net_commit(n, &p3);
            expect_all_paths(n, "a");
            struct mob_placement olds[] = {p1, p2};
            remove_rules(n, olds, 2, ALL_PARTS, &p3, 1, mask);
            expect_all_paths(n, "a");
            remove_rules(n, olds, 2, ALL_PARTS, &p3, 1, 7 & ~mask);
            struct mob_placement left[] = {pb, p3};
            expect_tables(n, left, 2, NULL, "after the cleanup");
            expect_all_paths(n, "a");
            expect_all_paths(n, "b");
            expect_path(n, "a", "b");
            expect_path(n, "b", "a");
            expect_cns_unaffected(n);
            free(n);
        }
    }
}

/* A failed attempt (epoch 2, to site3, its sending side out at some
 * switches) is rolled back as mob_update.c does it: its rules go by exact
 * cookie, the committed placement's rules are written again in the same
 * batch (the attempt's ADDs replaced some of them in place). The switches
 * hold what they held before the attempt; B is untouched. */
static void test_rollback_exact(void **state)
{
    for (unsigned mask = 0; mask < 8; mask++) {
        struct net *n = net_new();
        struct mob_placement p1 = place_a(0, 1, 1), p2 = place_a(0, 2, 2), pb = place_b(2);
        add_host(n, "a", mac_a, p1.hoa, 1, 10);
        add_host(n, "b", mac_b, pb.hoa, 2, 12);
        install(n, RECEIVING, &pb, 7);
        install(n, SENDING, &pb, 7);
        net_commit(n, &pb);
        install(n, RECEIVING, &p1, 7);
        install(n, SENDING, &p1, 7);
        net_commit(n, &p1);
        install(n, RECEIVING, &p2, 7);
        install(n, SENDING, &p2, mask);
        remove_rules(n, &p2, 1, MOB_PART_RECEIVING | MOB_PART_SENDING, &p1, 1, 7);
        install(n, RECEIVING, &p1, 7);
        install(n, SENDING, &p1, 7);
        struct mob_placement left[] = {pb, p1};
        expect_tables(n, left, 2, NULL, "after the rollback");
        expect_all_paths(n, "a");
        expect_all_paths(n, "b");
        free(n);
    }
}

/* A return home that superseded a move in flight: the sending rules of
 * the committed placement and of the attempt go first (switch by switch),
 * then everything else of both; the switches keep B's rules. The return
 * rules then installed (epoch 3) go with the next move's cleanup. */
static void test_return_home_exact(void **state)
{
    for (unsigned mask = 0; mask < 8; mask++) {
        struct net *n = net_new();
        struct mob_placement p1 = place_a(0, 1, 1), p2 = place_a(0, 2, 2), pb = place_b(1);
        struct mob_placement home3 = place_a(0, 0, 3), p4 = place_a(0, 2, 4);
        struct host *a = add_host(n, "a", mac_a, p1.hoa, 1, 10);
        add_host(n, "b", mac_b, pb.hoa, 2, 12);
        install(n, RECEIVING, &pb, 7);
        install(n, SENDING, &pb, 7);
        net_commit(n, &pb);
        install(n, RECEIVING, &p1, 7);
        install(n, SENDING, &p1, 7);
        net_commit(n, &p1);
        install(n, RECEIVING, &p2, 7);
        install(n, SENDING, &p2, 2);
        move_host(a, 0, 12);
        a->n_arp = 0;
        struct mob_placement olds[] = {p1, p2};
        remove_rules(n, olds, 2, MOB_PART_SENDING, NULL, 0, mask);
        for (unsigned i = 0; i < 4; i++) {
            safe_path(n, "a", cns[i]);
            safe_path(n, cns[i], "a");
        }
        remove_rules(n, olds, 2, MOB_PART_SENDING, NULL, 0, 7 & ~mask);
        net_forget(n, 1);
        expect_all_paths(n, "a");
        remove_rules(n, olds, 2, ALL_PARTS, NULL, 0, 7);
        expect_tables(n, &pb, 1, NULL, "home again");
        install(n, RETURN, &home3, 7);
        expect_tables(n, &pb, 1, &home3, "home again, return rules");
        expect_all_paths(n, "a");

        /* The next move away: its cleanup takes the return rules. */
        install(n, RECEIVING, &p4, 7);
        move_host(a, 2, 10);
        install(n, SENDING, &p4, 7);
        net_commit(n, &p4);
        remove_rules(n, &home3, 1, ALL_PARTS, &p4, 1, 7);
        struct mob_placement left[] = {pb, p4};
        expect_tables(n, left, 2, NULL, "away again");
        expect_all_paths(n, "a");
        expect_all_paths(n, "b");
        free(n);
    }
}

/* ---- Learning behind mobility (forward_table) ------------------------- */

static int setup_learning(void **state)
{
    setup(state);
    for (unsigned s = 0; s < N_SITES; s++) {
        cfg.sites[s].forward_table = LEARNING_TABLE;
    }
    assert_int_equal(mob_config_validate(&cfg, "testbed"), 0);
    return 0;
}

/* A rule as it reads with forward_table: every output to NORMAL becomes a
 * goto to the learning table; nothing else changes. */
static void to_learning(struct of_flow_mod *fm)
{
    struct of_action_list *l = &fm->insts.apply;
    unsigned k = 0;
    bool normal = false;
    for (unsigned i = 0; i < l->n; i++) {
        if (l->a[i].type == OFAT_OUTPUT && l->a[i].u.output.port == OFPP_NORMAL) {
            normal = true;
        } else {
            l->a[k++] = l->a[i];
        }
    }
    l->n = k;
    if (normal) {
        assert_false(fm->insts.present & OFIB_GOTO_TABLE);
        fm->insts.present |= OFIB_GOTO_TABLE;
        fm->insts.goto_table = LEARNING_TABLE;
        if (k == 0) {
            fm->insts.present &= ~(uint32_t)OFIB_APPLY_ACTIONS;
        }
    }
}

/* Every rule of every placement at every switch, with forward_table set:
 * the NORMAL rule set with each NORMAL turned into goto 3 (table 2's miss,
 * ARP's and RARP's "controller + NORMAL" included), encodable as 1.3; with
 * it unset, no rule names table 3. */
static void test_forward_table_rules(void **state)
{
    struct rules *normal = rules_new(), *learning = rules_new();
    unsigned gotos = 0;
    for (unsigned s = 0; s < N_SITES; s++) {
        for (unsigned home = 0; home < N_SITES; home++) {
            for (unsigned site = 0; site < N_SITES; site++) {
                struct mob_placement p = place_a(home, site, 4);
                for (int w = BASE; w <= RETURN; w++) {
                    for (unsigned k = 0; k < N_SITES; k++) {
                        cfg.sites[k].forward_table = 0;
                    }
                    plan(normal, (enum which)w, s, &p);
                    for (unsigned i = 0; i < normal->n; i++) {
                        assert_false((normal->fm[i].insts.present & OFIB_GOTO_TABLE) &&
                                     normal->fm[i].insts.goto_table == LEARNING_TABLE);
                        to_learning(&normal->fm[i]);
                    }
                    cfg.sites[s].forward_table = LEARNING_TABLE;
                    plan(learning, (enum which)w, s, &p);
                    assert_rules_equal(learning, normal, "forward_table 3");
                    for (unsigned i = 0; i < learning->n; i++) {
                        assert_encodes(&learning->fm[i]);
                        gotos += (learning->fm[i].insts.present & OFIB_GOTO_TABLE) &&
                                 learning->fm[i].insts.goto_table == LEARNING_TABLE;
                    }
                }
            }
        }
    }
    assert_true(gotos > 0);
    /* The base rules by name: RARP and ARP copy to the controller, then
     * the learning table; table 2's miss goes there too. */
    cfg.sites[0].forward_table = LEARNING_TABLE;
    plan(learning, BASE, 0, NULL);
    unsigned seen = 0;
    for (unsigned i = 0; i < learning->n; i++) {
        const struct of_flow_mod *fm = &learning->fm[i];
        if (of_match_has(&fm->match, OFF_ETH_TYPE) &&
            (fm->match.value[OFF_ETH_TYPE].u16 == 0x0806 ||
             fm->match.value[OFF_ETH_TYPE].u16 == 0x8035)) {
            assert_int_equal(fm->insts.apply.n, 1);
            assert_int_equal(fm->insts.apply.a[0].u.output.port, OFPP_CONTROLLER);
            assert_int_equal(fm->insts.goto_table, LEARNING_TABLE);
            seen++;
        } else if (fm->table_id == T_DEST) {
            assert_int_equal(fm->insts.present, OFIB_GOTO_TABLE);
            assert_int_equal(fm->insts.goto_table, LEARNING_TABLE);
            seen++;
        }
    }
    assert_int_equal(seen, 3);
    free(normal);
    free(learning);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_cookie_layout, setup),
        cmocka_unit_test_setup(test_cookie_masks, setup),
        cmocka_unit_test_setup(test_base_rules, setup),
        cmocka_unit_test_setup(test_away_at_site2, setup),
        cmocka_unit_test_setup(test_away_at_site3, setup),
        cmocka_unit_test_setup(test_home_site_variants, setup),
        cmocka_unit_test_setup(test_two_uplinks, setup),
        cmocka_unit_test_setup(test_every_rule_well_formed, setup),
        cmocka_unit_test_setup(test_roles_rewrite_one_way, setup),
        cmocka_unit_test_setup(test_site_delivers_locally, setup),
        cmocka_unit_test_setup(test_bindings_independent, setup),
        cmocka_unit_test_setup(test_epochs_differ_only_in_cookies, setup),
        cmocka_unit_test_setup(test_rules_ignore_port, setup),
        cmocka_unit_test_setup(test_flows_ready, setup),
        cmocka_unit_test_setup(test_delete_by_cookie, setup),
        cmocka_unit_test_setup(test_dataplane_base_only, setup),
        cmocka_unit_test_setup(test_dataplane_away, setup),
        cmocka_unit_test_setup(test_dataplane_two_nodes, setup),
        cmocka_unit_test_setup(test_dataplane_controller_away, setup),
        cmocka_unit_test_setup(test_dataplane_home_again, setup),
        cmocka_unit_test_setup(test_dataplane_same_site, setup),
        cmocka_unit_test_setup(test_dataplane_home_again_neighbours, setup),
        cmocka_unit_test_setup(test_update_order_first_move, setup),
        cmocka_unit_test_setup(test_update_order_second_move, setup),
        cmocka_unit_test_setup(test_update_order_return_home, setup),
        cmocka_unit_test_setup(test_remove_exact_messages, setup),
        cmocka_unit_test_setup(test_cleanup_after_superseded, setup),
        cmocka_unit_test_setup(test_rollback_exact, setup),
        cmocka_unit_test_setup(test_return_home_exact, setup),
        cmocka_unit_test_setup(test_forward_table_rules, setup),
        /* The same traffic with a learning table behind the rules. */
        cmocka_unit_test_setup(test_dataplane_away, setup_learning),
        cmocka_unit_test_setup(test_dataplane_two_nodes, setup_learning),
        cmocka_unit_test_setup(test_dataplane_same_site, setup_learning),
        cmocka_unit_test_setup(test_dataplane_home_again, setup_learning),
        cmocka_unit_test_setup(test_update_order_first_move, setup_learning),
        cmocka_unit_test_setup(test_update_order_second_move, setup_learning),
        cmocka_unit_test_setup(test_cleanup_after_superseded, setup_learning),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
