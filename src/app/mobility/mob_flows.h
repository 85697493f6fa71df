/* mob_flows.h - the rules the mobility application puts in each switch.
 *
 * Pure functions: given the sites and one binding, they produce the flow-mods
 * one switch needs; nothing here sends anything. The update engine sends them
 * in the order that never breaks traffic (receiving side, then sending side,
 * then cleanup of the previous epoch), and reconciliation after a restart
 * compares a switch's flows with them.
 *
 * Pipeline (OpenFlow 1.3, hybrid switch with NORMAL):
 *   table 0  RARP -> controller; ARP -> controller + NORMAL; ARP answers the
 *            data plane depends on (built with set_field, per known asker);
 *            IPv4 to any site prefix -> metadata 1 ("behind an OFS"); goto 1
 *   table 1  per-binding source translation; miss -> goto 2
 *   table 2  per-binding destination translation; miss -> NORMAL
 * Rules per switch: O(sites) base rules + O(bindings away).
 *
 * "NORMAL" above is the site's forward_table (mob_config.h) when that is
 * set: every rule that would output to NORMAL (ARP and RARP after the
 * controller's copy, table 2's rewrites and its miss) goes to that table
 * instead, where an L2-learning application forwards.
 *
 * OpenFlow 1.0 switches get a one-table rule set from mob_flows10.h; the
 * update engine and reconciliation pick the planner by the version a
 * switch negotiated (mob_planner_for). */
#ifndef MATFLOW_MOB_FLOWS_H
#define MATFLOW_MOB_FLOWS_H

#include "app/mobility/mob_config.h"
#include "ofp/ofp_msg.h"

/* Cookie: 0x4d46 ("MF") | role (4 bits) | binding id (24) | epoch (20). */
#define MOB_COOKIE_TAG 0x4d46ull
enum mob_role {
    MOB_ROLE_BASE = 1,
    MOB_ROLE_RECEIVING = 2,
    MOB_ROLE_SENDING = 3,
    MOB_ROLE_RETURN = 4, /* temporary, after a node came home */
};
#define MOB_ID_MAX 0xffffffu
#define MOB_EPOCH_MASK 0xfffffu

uint64_t mob_cookie(enum mob_role role, uint32_t id, uint32_t epoch);
/* Partial masks over the layout. The update engine deletes by exact cookie
 * only (mob_flows_remove_exact says why); these name groups of rules for
 * reading flows back and for tests.
 * The cookie mask that selects every rule of (id, epoch) whatever its role. */
#define MOB_COOKIE_MASK_BINDING_EPOCH 0xffff0fffffffffffull
/* ... every rule of a role of a binding, any epoch. */
#define MOB_COOKIE_MASK_ROLE_BINDING 0xfffffffffff00000ull
/* ... every rule matflow owns. */
#define MOB_COOKIE_MASK_TAG 0xffff000000000000ull
bool mob_cookie_is_ours(uint64_t cookie);
enum mob_role mob_cookie_role(uint64_t cookie);
uint32_t mob_cookie_id(uint64_t cookie);
uint32_t mob_cookie_epoch(uint64_t cookie);

/* The MAC matflow uses as the sender of its own ARP probes. */
extern const struct eth_addr mob_controller_mac;

/* What a site's switch needs to know at run time beyond its configuration. */
struct mob_site_state {
    const struct mob_site *cfg;
    bool gw_mac_known;
    struct eth_addr gw_mac;
};

struct mob_topology {
    struct mob_site_state sites[MOB_MAX_SITES];
    unsigned n_sites;
};

/* A binding as the planner sees it: where the node lives now. */
struct mob_placement {
    uint32_t id, epoch;
    struct eth_addr mac;
    uint32_t hoa, moa;
    unsigned home, site; /* indexes into the topology */
    uint32_t port;       /* at `site` */
};

typedef void mob_emit_fn(void *arg, const struct of_flow_mod *fm);

/* Base rules of the switch of site `s` (role BASE, id 0, epoch 0). */
void mob_flows_base(const struct mob_topology *t, unsigned s, mob_emit_fn *emit, void *arg);
/* Receiving side of a placement at switch `s`: delivery of the MoA at the
 * node's site, MoA -> HoA source translation everywhere, proxy ARP for the
 * MoA. Harmless before the node arrives, so it may go out with the probe. */
void mob_flows_receiving(const struct mob_topology *t, unsigned s, const struct mob_placement *p,
                         mob_emit_fn *emit, void *arg);
/* Sending side at switch `s`: HoA -> MoA rewrites towards the node, the
 * node's own outgoing rewrites at its site, the home site's hairpin for legacy
 * correspondents and its proxy ARP for the HoA. */
void mob_flows_sending(const struct mob_topology *t, unsigned s, const struct mob_placement *p,
                       mob_emit_fn *emit, void *arg);
/* After a node came home: for a while, its frames addressed to a foreign
 * gateway's MAC (entries its ARP cache got while away) go to the home
 * gateway, which routes them on. Rules at the home switch, with a hard
 * timeout. */
#define MOB_RETURN_RULE_SECONDS 120
void mob_flows_return_home(const struct mob_topology *t, unsigned s,
                           const struct mob_placement *p, mob_emit_fn *emit, void *arg);

/* True if every gateway MAC the placement's rules need is known. */
bool mob_flows_ready(const struct mob_topology *t, const struct mob_placement *p);

/* A DELETE of every rule whose cookie matches (cookie & mask), any table.
 * Only a full mask (UINT64_MAX) is cheap on Open vSwitch (see
 * mob_flows_remove_exact); partial masks are for deliberately broad
 * deletes (everything of ours, at reconciliation). */
void mob_flows_delete(struct of_flow_mod *fm, uint64_t cookie, uint64_t mask);

/* ---- One planner per OpenFlow version --------------------------------- */

typedef void mob_plan_fn(const struct mob_topology *t, unsigned s,
                         const struct mob_placement *p, mob_emit_fn *emit, void *arg);

/* The rules of one wire version. Both planners give the same cookies (role,
 * binding, epoch) for the same placement, so the update engine's
 * bookkeeping is the same; what differs is how old rules can be removed. */
struct mob_planner {
    const char *name; /* "OpenFlow 1.3", for logs */
    /* True if flow-mod deletes and flow-stats requests can select by
     * cookie (1.3). Without (1.0), rules are removed one by one with
     * DELETE_STRICT after the planner generated them again
     * (mob_flows_remove_strict), and flow stats are filtered here. */
    bool cookie_filters;
    void (*base)(const struct mob_topology *t, unsigned s, mob_emit_fn *emit, void *arg);
    mob_plan_fn *receiving;
    mob_plan_fn *sending;
    mob_plan_fn *return_home;
};

extern const struct mob_planner mob_planner_of13; /* mob_flows.c */
extern const struct mob_planner mob_planner_of10; /* mob_flows10.c */

/* The planner for a switch's negotiated wire version: 1.0's for
 * OF_VERSION_1_0, 1.3's for anything else. */
const struct mob_planner *mob_planner_for(uint8_t version);

/* ---- Removing a placement's rules --------------------------------------
 *
 * The planners are pure, so the rules an earlier placement put in a switch
 * can be generated again and removed exactly: by their cookies where the
 * switch filters deletes by cookie, by priority and match where it cannot.
 * Nothing is ever removed by a partial cookie mask in the steady state. */

/* Which of a placement's rule sets a removal generates again. */
enum mob_part {
    MOB_PART_RECEIVING = 1,
    MOB_PART_SENDING = 2,
    MOB_PART_RETURN = 4,
};

/* Rules to take out of one switch: the `parts` of every placement in `old`,
 * each with the epoch it was installed with (its cookie), except what a
 * placement in `keep` still needs. The exception matters most for
 * DELETE_STRICT, which selects by priority and match alone: the newer
 * epoch's ADD replaced such a rule in place (same match, new cookie). */
struct mob_removal {
    const struct mob_placement *old;
    unsigned n_old;
    unsigned parts; /* enum mob_part bits */
    const struct mob_placement *keep;
    unsigned n_keep;
};

/* Emits one DELETE_STRICT (no cookie mask) per distinct rule to remove, in
 * the order the planner generates them. Pure, like the planners. */
void mob_flows_remove_strict(const struct mob_planner *pl, const struct mob_topology *t,
                             unsigned s, const struct mob_removal *r, mob_emit_fn *emit,
                             void *arg);

/* ---- Removing rules by exact cookie (mob_flows_remove.c) --------------- */

/* Emits one DELETE (any table, no match, cookie_mask all ones) per distinct
 * cookie that the `parts` of the placements in `old` give at switch `s`,
 * in the order the planner generates them; a cookie that a receiving or
 * sending rule of a placement in `keep` carries is never deleted. Open
 * vSwitch finds the rules of an exact cookie in its cookie index; a
 * partial mask makes it walk every rule of every table. Pure. */
void mob_flows_remove_exact(const struct mob_planner *pl, const struct mob_topology *t,
                            unsigned s, const struct mob_removal *r, mob_emit_fn *emit,
                            void *arg);

/* The removal a switch of planner `pl` can do: by exact cookie where it
 * filters deletes by cookie (1.3), else by DELETE_STRICT (1.0). Every
 * delete the update engine sends goes through here. */
void mob_flows_remove(const struct mob_planner *pl, const struct mob_topology *t, unsigned s,
                      const struct mob_removal *r, mob_emit_fn *emit, void *arg);

#endif
