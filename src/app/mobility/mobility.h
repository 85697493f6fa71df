/* mobility.h - the mobility application: keeps a VM reachable at its home
 * address (HoA) after it moves to another site, by having the switches
 * rewrite HoA <-> MoA (an address of the new site). Created by the daemon,
 * added to the core as an application (app.h), asked by the API. */
#ifndef MATFLOW_MOBILITY_H
#define MATFLOW_MOBILITY_H

#include <jansson.h>
#include <stdbool.h>

#include "app/mobility/mob_config.h"

struct event_base;
struct mf_core;
struct mf_app;
struct mob_app;
struct mob_store;

/* Counters of what the application saw and refused: name, printable name. */
#define MOB_COUNTERS(X)                                  \
    X(RARP_IN, "rarp_in")                                \
    X(GARP_IN, "garp_in")                                \
    X(UPDATES_STARTED, "updates_started")                \
    X(UPDATES_COMPLETE, "updates_complete")              \
    X(UPDATES_FAILED, "updates_failed")                  \
    X(UPDATES_SUPERSEDED, "updates_superseded")          \
    X(UPDATES_QUEUED, "updates_queued")                  \
    X(HOSTS_LEARNED, "hosts_learned")                    \
    X(ARP_ANSWERED, "arp_answered")                      \
    X(REJECT_NOT_HYPERVISOR_PORT, "reject_not_hypervisor_port") \
    X(REJECT_UNKNOWN_MAC, "reject_unknown_mac")          \
    X(REJECT_UNKNOWN_SWITCH, "reject_unknown_switch")    \
    X(REJECT_HOA_CONFLICT, "reject_hoa_conflict")        \
    X(REJECT_STALE_REPLY, "reject_stale_reply")          \
    X(REJECT_POOL_EXHAUSTED, "reject_pool_exhausted")    \
    X(REJECT_GATEWAY_UNKNOWN, "reject_gateway_unknown")  \
    X(DUPLICATE_ANNOUNCEMENT, "duplicate_announcement")  \
    X(PROBE_TIMEOUT, "probe_timeout")                    \
    X(ARRIVAL_UNCONFIRMED, "arrival_unconfirmed")        \
    X(SWITCH_ERRORS, "switch_errors")                    \
    X(FLOWS_ADDED_ON_RECONCILE, "flows_added_on_reconcile") \
    X(FLOWS_REMOVED_ON_RECONCILE, "flows_removed_on_reconcile") \
    X(FLOWS_KEPT_ON_RECONCILE, "flows_kept_on_reconcile") \
    X(REJECT_RATE_LIMITED, "reject_rate_limited")        \
    X(REJECT_DAMPED, "reject_damped")                    \
    X(REJECT_PROBE_REPLY_WRONG_MAC, "reject_probe_reply_wrong_mac") \
    X(OLD_LOCATION_CHECKS, "old_location_checks")        \
    X(REJECT_OLD_LOCATION_ANSWERS, "reject_old_location_answers") \
    X(RETRIES, "retries")                                \
    X(UPDATES_DEGRADED, "updates_degraded")              \
    X(UPDATES_RESUMED, "updates_resumed")

enum mob_counter {
#define MOB_COUNTER_ENUM(name, str) MOB_C_##name,
    MOB_COUNTERS(MOB_COUNTER_ENUM)
#undef MOB_COUNTER_ENUM
    MOB_N_COUNTERS
};

/* Takes nothing over: cfg and store must outlive the app. store may be
 * NULL (nothing persisted: tests). Stored bindings are loaded at once. */
struct mob_app *mobility_create(struct mf_core *core, struct event_base *base,
                                const struct mob_config *cfg, struct mob_store *store);
void mobility_destroy(struct mob_app *m);
struct mf_app *mobility_as_app(struct mob_app *m);

/* API views (mob_json.c); the caller owns the result. */
json_t *mobility_json_bindings(struct mob_app *m);
json_t *mobility_json_sites(struct mob_app *m);
json_t *mobility_json_events(struct mob_app *m);
json_t *mobility_json_counters(struct mob_app *m);
/* Pre-announces a move of the node (MAC or HoA text) to a site: allocates
 * the MoA and installs the receiving side. Returns a JSON answer with
 * "error" set on refusal. */
json_t *mobility_migrate(struct mob_app *m, const char *node, const char *site);

#endif
