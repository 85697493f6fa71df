/* mob_internal.h - the mobility application's state, shared by its files:
 * mobility.c (hooks), mob_binding.c (the table), mob_update.c (the binding
 * update), mob_admit.c (how many updates send at once), mob_tx.c (many
 * updates' rules in one batch per switch), mob_probe.c (the ARP probe's
 * tries), mob_arp.c (ARP frames and answers), mob_pool.c (MoA pools),
 * mob_reconcile.c (switches that (re)connect), mob_json.c (API views). */
#ifndef MATFLOW_MOB_INTERNAL_H
#define MATFLOW_MOB_INTERNAL_H

#include <uthash.h>

#include "app/app.h"
#include "app/mobility/mob_flows.h"
#include "app/mobility/mob_store.h"
#include "app/mobility/mobility.h"

struct event;
struct event_base;

enum mob_state { MOB_HOME, MOB_AWAY, MOB_UPDATING, MOB_DEGRADED };
const char *mob_state_name(enum mob_state s);

/* The steps of a binding update, in the order they normally happen. */
#define MOB_STEPS(X)                        \
    X(TRIGGER, "trigger")                   \
    X(PROBE_OUT, "probe_out")               \
    X(ADMITTED, "admitted")                 \
    X(RECEIVING_OUT, "receiving_out")       \
    X(RECEIVING_BARRIER, "receiving_barrier") \
    X(PROBE_REPLY, "probe_reply")           \
    X(PROBE_UNANSWERED, "probe_unanswered") \
    X(SENDING_OUT, "sending_out")           \
    X(SENDING_BARRIER, "sending_barrier")   \
    X(SWITCHED, "switched")                 \
    X(OLD_PROBE_OUT, "old_location_probe_out") \
    X(OLD_SILENT, "old_location_silent")    \
    X(OLD_ANSWERED, "old_location_answered") \
    X(RETRY, "retry")                       \
    X(PERSISTED, "persisted")               \
    X(COMPLETE, "complete")                 \
    X(CLEANUP_OUT, "cleanup_out")           \
    X(CLEANUP_BARRIER, "cleanup_barrier")   \
    X(FAILED, "failed")

enum mob_step {
#define MOB_STEP_ENUM(name, str) MOB_STEP_##name,
    MOB_STEPS(MOB_STEP_ENUM)
#undef MOB_STEP_ENUM
};
const char *mob_step_name(enum mob_step s);

#define MOB_MAX_EVENTS 64
struct mob_event {
    enum mob_step step;
    uint64_t t_us; /* since the trigger */
    uint64_t dpid; /* for per-switch steps, else 0 */
};

/* One binding update, from trigger to cleanup; kept afterwards as a record
 * for `matflowctl events`. */
struct mob_update {
    struct mob_app *app;
    struct mob_binding *b;
    uint32_t id;        /* update number, for the API */
    uint32_t hoa;
    uint32_t epoch;
    unsigned site;      /* destination site index */
    uint32_t port;
    uint32_t moa;
    bool to_home;
    bool announced;     /* receiving side installed by `migrate` */
    bool probe_answered;
    bool probe_unanswered; /* every try went unanswered (announced arrival) */
    bool aborted;       /* superseded by a newer update */
    bool failed;
    bool complete;
    bool receiving_done;
    int phase;          /* enum in mob_update.c */
    char trigger[16];   /* "rarp", "garp", "migrate" */
    char why[160];      /* failure or degradation reason */
    unsigned pending;   /* batches of the current phase not yet confirmed */
    unsigned refs;      /* batch callbacks outstanding + 1 while live */
    unsigned probe_tries;
    bool probe_over;     /* answered, given up or moot: no more tries */
    unsigned switch_errors; /* OFPT_ERRORs received for this update's rules */
    unsigned switch_lost;   /* switches that never confirmed a phase's rules */
    /* The old location's chance to answer (mob_oldcheck.c): the move is
     * persisted only once it stayed silent. */
    uint8_t old_check;      /* enum mob_old_check */
    bool switched;          /* every sending barrier in: waits for the check */
    unsigned old_check_site;
    uint32_t old_check_port;
    unsigned old_check_tries;
    struct event *old_check_timer;
    /* The move on disk until it settles (mob_resume.c). */
    uint8_t intent;         /* enum mob_intent */
    bool move_row;          /* the database may hold a move row for the node */
    struct event *probe_timer;    /* the next try (mob_probe.c) */
    struct event *announce_timer; /* `migrate`: the node must arrive in time */
    /* Admission (mob_admit.c): an update sends flow-mods only while it
     * holds one of the app's slots; the others wait in FIFO order. */
    uint8_t admit; /* enum mob_admit_state */
    bool ever_admitted;
    struct mob_update *next_queued;
    /* An announced arrival's sending side goes out before the probe is
     * answered; the update then waits for the answer in the app's list
     * (holding a reference), beyond its completion if need be. */
    struct mob_update *next_awaiting;
    bool awaiting_probe;
    uint64_t t0_us;
    double wall_start;
    struct mob_event events[MOB_MAX_EVENTS];
    unsigned n_events;
    unsigned events_dropped; /* per-switch steps beyond the timeline's room */
    /* MoAs of superseded attempts: switches may still use them until this
     * update's senders replace their rules (complete) or its rollback
     * removes them, so they go back to the pool only then. */
#define MOB_MAX_HELD_MOAS 8
    struct {
        unsigned site;
        uint32_t moa;
    } held[MOB_MAX_HELD_MOAS];
    unsigned n_held;
    /* What the node had before: its rules are removed by the cleanup. */
    bool old_away;
    unsigned old_site;
    uint32_t old_moa, old_epoch;
    /* Where superseded attempts placed the node (site, MoA, epoch): their
     * rules are removed by generating them again (mob_flows_remove), by
     * exact cookie (1.3) or by priority and match (1.0). Beyond the room,
     * the update's switches are reconciled after the cleanup instead. */
#define MOB_MAX_STALE 8
    struct {
        unsigned site;
        uint32_t moa, epoch;
    } stale[MOB_MAX_STALE];
    unsigned n_stale;
    bool stale_overflow;
};

/* One node. Kept small (sizeof is 160 bytes on x86-64): a controller may
 * hold 100,000 of them, and the memory per binding is a published figure. */
struct mob_binding {
    UT_hash_handle hh_mac, hh_hoa;
    struct mob_update *upd; /* in flight, or NULL */
    double since;
    uint32_t id;
    uint32_t hoa;
    /* The committed placement (what the switches have, sender side too). */
    uint32_t moa;
    uint32_t port;
    uint32_t epoch;
    uint16_t home; /* site indexes: MOB_MAX_SITES fits */
    uint16_t site;
    struct eth_addr mac;
    uint8_t state; /* enum mob_state */
    bool away;
};
_Static_assert(MOB_MAX_SITES <= UINT16_MAX, "site indexes are stored in 16 bits");

struct mob_pool {
    uint32_t first, n;
    uint8_t *used; /* one byte per address */
    uint32_t n_used;
};

#define MOB_HISTORY 64

/* A switch being reconciled: its flows, as read back. */
struct mob_sw {
    uint64_t dpid;
    unsigned site;
    uint32_t request_xid;
    bool full;               /* binding rules too, not only base rules */
    bool overflow;           /* more flows than the bound: rewrite, not compare */
    struct of_flow_stats *got;
    size_t n_got, cap_got;
    UT_hash_handle hh;
};

/* Whether a site's switch holds what it should (`matflowctl sites`). */
enum mob_sync_state { MOB_SYNC_DOWN, MOB_SYNC_RECONCILING, MOB_SYNC_IN_SYNC, MOB_SYNC_LAGGING };
struct mob_site_sync {
    uint8_t state;           /* enum mob_sync_state */
    bool compared;           /* reconciling: the difference went out */
    char why[72];            /* what made it lag or go down */
    double since;            /* wall clock of the last change */
    double last_check;       /* lagging: when it was last read back */
    uint32_t updates_missed; /* moves whose rules it did not get in time */
};
const char *mob_sync_state_name(enum mob_sync_state s);

struct mob_app {
    struct mf_app app;
    struct mf_core *core;
    struct event_base *base;
    const struct mob_config *cfg;
    struct mob_store *store;
    struct mob_topology topo;
    struct mob_pool pools[MOB_MAX_SITES];
    struct mob_binding *by_mac, *by_hoa;
    uint32_t next_binding_id;
    uint32_t next_update_id;
    struct mob_update *history[MOB_HISTORY]; /* finished updates, ring */
    unsigned history_next;
    struct mob_update *awaiting; /* announced arrivals whose probe is out */
    /* Admission control (mob_admit.c). */
    unsigned max_active;       /* slots: updates sending flow-mods at once */
    unsigned n_active;
    struct mob_update *queue_head, *queue_tail; /* waiting for a slot, FIFO */
    unsigned n_queued;
    bool admitting;            /* mob_admit_release is handing out slots */
    /* Open batches, one per site switch, flushed together (mob_tx.c). */
    struct mob_tx *tx_by_site[MOB_MAX_SITES];
    struct mob_tx *tx_open;    /* the open ones, a list */
    struct event *tx_flush;
    uint64_t counters[MOB_N_COUNTERS];
    struct mob_sw *reconciling; /* uthash by dpid */
    struct event *tick;
    /* Defences (mob_guard.c): recent movers and per-port buckets. */
    struct mob_moves *moves;
    struct mob_bucket *buckets, *bucket_overflow;
    struct mob_site_sync sync[MOB_MAX_SITES];
    struct mob_retry *retries; /* pending re-sends (mob_retry.c) */
    /* Moves to write to disk, after this turn's messages (mob_resume.c). */
    struct mob_update **intents;
    unsigned n_intents, cap_intents;
    struct event *intent_flush;
    /* Moves a crash interrupted, resumed once their site is in sync. */
    struct mob_stored_move *resume;
    unsigned n_resume;
};

/* mob_binding.c */
struct mob_binding *mob_binding_by_mac(struct mob_app *m, struct eth_addr mac);
struct mob_binding *mob_binding_by_hoa(struct mob_app *m, uint32_t hoa);
struct mob_binding *mob_binding_add(struct mob_app *m, struct eth_addr mac, uint32_t hoa,
                                    unsigned home, uint32_t port);
void mob_binding_placement(const struct mob_binding *b, struct mob_placement *p);
/* Writes the binding; with settles_move, its stored move goes in the same
 * transaction (mob_resume.c). */
bool mob_binding_persist(struct mob_app *m, const struct mob_binding *b, bool settles_move);
void mob_bindings_free(struct mob_app *m);
/* What the table occupies on the heap: the bindings and both indexes. */
size_t mob_binding_table_bytes(const struct mob_app *m);
void mob_bindings_load(struct mob_app *m);
int mob_site_index(const struct mob_app *m, uint64_t dpid);
int mob_site_index_by_name(const struct mob_app *m, const char *name);

/* mob_pool.c */
void mob_pools_init(struct mob_app *m);
void mob_pools_free(struct mob_app *m);
uint32_t mob_pool_alloc(struct mob_app *m, unsigned site); /* 0 if exhausted */
bool mob_pool_take(struct mob_app *m, unsigned site, uint32_t addr);
void mob_pool_release(struct mob_app *m, unsigned site, uint32_t addr);

/* mob_update.c */
/* A mob_emit_fn that appends each flow-mod to a batch. */
struct mob_emit_batch {
    struct sw_batch *batch;
    unsigned n;
};
void mob_emit_into_batch(void *arg, const struct of_flow_mod *fm);
/* References on an update: batches and timers that may still call back
 * hold one; the last unref moves a finished update to the history. */
void mob_update_ref(struct mob_update *u);
void mob_update_unref(struct mob_update *u);
/* Called by mob_admit.c when a queued update gets its slot. */
void mob_update_admitted(struct mob_update *u);
/* Called by mob_probe.c when every try went unanswered. */
void mob_update_probe_exhausted(struct mob_update *u);
void mob_update_start(struct mob_app *m, struct mob_binding *b, unsigned site, uint32_t port,
                      const char *trigger);
void mob_update_probe_reply(struct mob_app *m, struct mob_binding *b, unsigned site,
                            uint32_t port);
void mob_update_event(struct mob_update *u, enum mob_step step, uint64_t dpid);
/* True once the update's sending side went out (or it completed). */
bool mob_update_sending_started(const struct mob_update *u);
void mob_updates_free(struct mob_app *m);

/* mob_admit.c - at most max_active updates send flow-mods at once. */
enum mob_admit_state { MOB_ADMIT_NONE, MOB_ADMIT_QUEUED, MOB_ADMIT_ACTIVE, MOB_ADMIT_DONE };
/* Measured: docs/MOBILITY.md, "Many moves at once". */
#define MOB_ADMIT_DEFAULT 2048
/* True if `u` holds a slot now and may send; false if it waits at the
 * end of the queue: mob_update_admitted(u) runs when its turn comes. */
bool mob_admit(struct mob_update *u);
/* `u` gives its slot back (or leaves the queue): it finished, or waits for
 * something outside the controller. The longest-waiting updates get the
 * free slots. Idempotent. */
void mob_admit_release(struct mob_update *u);
/* A newer update of the same node takes over the slot (or the place in
 * the queue) of the one it supersedes: a node that moves on does not
 * wait behind others again, and the count of updates sending is kept. */
void mob_admit_transfer(struct mob_update *from, struct mob_update *to);
/* At shutdown: frees the updates still waiting (nothing refers to them). */
void mob_admit_free(struct mob_app *m);

/* mob_tx.c - the rules of many updates to one switch share one batch. */
struct mob_tx;
/* Opens (or joins) the switch's batch: flow-mods emitted into `e` with
 * mob_emit_into_batch go in it until mob_tx_end. */
void mob_tx_begin(struct mob_app *m, struct mf_switch *sw, unsigned site,
                  struct mob_emit_batch *e);
/* Ends this caller's share: cb(sw, result, arg, tag) runs once, on the
 * barrier reply that follows the batch (or its failure), with a result
 * that covers this share's messages only (n_msgs, errors with indexes
 * into the share). */
typedef void mob_tx_cb(struct mf_switch *sw, const struct sw_batch_result *r, void *arg,
                       int tag);
void mob_tx_end(struct mob_app *m, unsigned site, struct mob_emit_batch *e, mob_tx_cb *cb,
                void *arg, int tag);
/* Sends the switch's open batch now (before a message that must not
 * overtake it), or every open batch. */
void mob_tx_flush_site(struct mob_app *m, unsigned site);
void mob_tx_flush_all(struct mob_app *m);
void mob_tx_init(struct mob_app *m);
void mob_tx_free(struct mob_app *m);

/* mob_probe.c - the ARP probe's tries, each timed from its departure. */
#define MOB_PROBE_INTERVAL_MS 300
#define MOB_PROBE_TRIES 4
/* Sends the first try (a binding update just started, or an announced
 * node arrived). */
void mob_probe_start(struct mob_update *u);
/* No more tries: answered, given up, superseded, failed. */
void mob_probe_stop(struct mob_update *u);

/* mob_oldcheck.c - while a move's rules go out, the node's old location is
 * probed: a node that answers there has not moved. */
enum mob_old_check { MOB_OLD_NONE, MOB_OLD_PENDING, MOB_OLD_SILENT, MOB_OLD_ANSWERED };
/* Starts the check if it is configured and the old location is known. */
void mob_oldcheck_start(struct mob_update *u);
void mob_oldcheck_stop(struct mob_update *u);
/* True if an answer from (site, port) is the old location's: handled. */
bool mob_oldcheck_answer(struct mob_update *u, unsigned site, uint32_t port);
/* Called by mob_oldcheck.c with the outcome. */
void mob_update_old_location_silent(struct mob_update *u);
void mob_update_old_location_answered(struct mob_update *u);

/* mob_arp.c */
/* The probe frame: "who has HoA?" from 0.0.0.0 to the node's MAC. Returns
 * its length (0 if `cap` is too small). */
size_t mob_arp_build_probe(uint8_t *frame, size_t cap, struct eth_addr mac, uint32_t hoa);
void mob_arp_ask_gateways(struct mob_app *m, struct mf_switch *sw, unsigned site);
void mob_arp_tell_home_gateway(struct mob_app *m, struct mf_switch *sw, uint32_t port,
                               const struct mob_binding *b);
/* Handles an ARP Packet-In: gateway replies, probe replies, gratuitous ARPs
 * (a move), nodes seen at home, and the requests the controller answers. */
void mob_arp_packet_in(struct mob_app *m, struct mf_switch *sw, unsigned site, uint32_t in_port,
                       const struct pkt_info *pkt);

/* mob_guard.c - per-port rate limit and damping (docs/SECURITY.md). */
struct mob_moves;
struct mob_bucket;
/* False (counted, logged) if the port sent more RARP/ARP than it may. */
bool mob_guard_admit_packet(struct mob_app *m, unsigned site, uint32_t port);
/* False (counted, logged) if the node moved too often lately. */
bool mob_guard_allow_move(struct mob_app *m, const struct mob_binding *b);
/* A move of `b` started: it counts against the node from now on. */
void mob_guard_note_move(struct mob_app *m, const struct mob_binding *b);
/* Forgets what no longer counts; on the app's tick. */
void mob_guard_tick(struct mob_app *m);
void mob_guard_free(struct mob_app *m);

/* mob_resume.c - a move is on disk from its start to its end; one a crash
 * interrupted is resumed (probed again at the port it announced itself on)
 * when the daemon is back. */
enum mob_intent { MOB_INTENT_NONE, MOB_INTENT_QUEUED, MOB_INTENT_WRITTEN };
/* The update started a move at a known port: written soon. */
void mob_intent_note(struct mob_update *u);
/* The update failed: its move is forgotten. (Completion goes through
 * mob_binding_persist(..., true).) */
void mob_intent_drop(struct mob_update *u);
void mob_resume_init(struct mob_app *m);
/* Starts the interrupted moves whose destination is ready. */
void mob_resume_try(struct mob_app *m);
void mob_resume_free(struct mob_app *m);

/* mob_retry.c - re-sends of a phase's rules to a switch that refused them
 * or did not confirm them, with a doubling wait. */
struct mob_retry;
/* In `delay_s`, mob_update_resend(u, site, tag) runs (u is referenced
 * until then). */
void mob_retry_schedule(struct mob_update *u, unsigned site, int tag, double delay_s);
void mob_retries_free(struct mob_app *m);
void mob_update_resend(struct mob_update *u, unsigned site, int tag);

/* mob_reconcile.c */
/* Sets a site's sync state (logged when it changes). */
void mob_sync_set(struct mob_app *m, unsigned site, enum mob_sync_state state, const char *why);
/* Reads back the lagging switches now and then (on the app's tick). */
void mob_recheck_lagging(struct mob_app *m);
/* True if updates may send to the site's switch: connected and, if it is
 * being reconciled, its difference already sent (later rules follow it). */
bool mob_sync_may_send(const struct mob_app *m, unsigned site);
void mob_reconcile_start(struct mob_app *m, struct mf_switch *sw, unsigned site);
void mob_reconcile_message(struct mob_app *m, struct mf_switch *sw, const struct of_msg *msg);
void mob_reconcile_switch_down(struct mob_app *m, struct mf_switch *sw);
void mob_reconcile_free(struct mob_app *m);
bool mob_gateways_known(const struct mob_app *m);
/* Emits every rule the switch of `site` should hold now, as the planner of
 * its OpenFlow version writes them. */
void mob_expected_flows(struct mob_app *m, unsigned site, const struct mob_planner *pl,
                        mob_emit_fn *emit, void *arg);
/* Re-sends every binding's rules to every switch (a gateway MAC changed). */
void mob_refresh_all(struct mob_app *m);

static inline void mob_count(struct mob_app *m, enum mob_counter c)
{
    m->counters[c]++;
}

#endif
