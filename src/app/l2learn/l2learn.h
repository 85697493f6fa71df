/* l2learn.h - L2-learning forwarding for switches without NORMAL.
 *
 * Per switch: learn MAC -> port from the source of every Packet-In; forward
 * a frame whose destination is known with a flow and a Packet-Out, flood
 * the rest. Built only from the version-independent messages (ofp_msg.h),
 * one table, no metadata, so that an OpenFlow 1.0 switch can run it too.
 *
 * Flows match in_port + eth_src + eth_dst. Naming the source port and
 * address means that a host that moves misses at its new port (its first
 * frame there reaches us), so the move is always seen, even onto a port
 * that already carries other hosts' traffic to the same destination (a
 * trunk, or the tap a migrated VM lands on); with eth_dst alone, or
 * in_port + eth_dst, the old flows would keep forwarding its frames and
 * hide the move. The price is one flow per (port, source, destination)
 * in use, which idle_timeout bounds. On a move, every flow of ours naming
 * the MAC (as source or destination) is deleted, with a barrier before
 * the new flow so that no switch may reorder the two.
 *
 * Cookies: L2L_COOKIE_TAG in the top 16 bits, disjoint from the mobility
 * application's 0x4d46.
 *
 * Whose Packet-Ins: only table misses of the app's own table (its
 * table-miss flow, or no flow at all), never a Packet-In that another
 * application's rule asked for (the mobility application's ARP and RARP
 * copies in table 0 when learning sits behind it in table 3), which that
 * application handles; see is_ours() in l2learn.c.
 *
 * OpenFlow 1.0 (one table, deletes that cannot filter by cookie): the app
 * owns the switch, or stays off it when another application is in front
 * (table_of below). At switch up it deletes every flow; it installs no
 * table-miss flow, since a 1.0 switch sends what misses to the controller
 * by itself; deletes name the MAC or port by match alone. */
#ifndef MATFLOW_L2LEARN_H
#define MATFLOW_L2LEARN_H

#include <stddef.h>
#include <stdint.h>

struct mf_app;
struct mf_switch;
struct l2learn;

#define L2L_COOKIE_TAG 0x4c32ull /* "L2" */
#define L2L_COOKIE (L2L_COOKIE_TAG << 48)
#define L2L_COOKIE_MASK 0xffff000000000000ull

struct l2learn_options {
    uint8_t table_id;       /* the table the app owns (0 when alone) */
    uint16_t priority;      /* of learned flows; the table-miss is 0 */
    uint16_t idle_timeout;  /* seconds, of learned flows */
    size_t max_macs;        /* per switch; beyond, the oldest is evicted */
    /* The table the app owns on one switch, when switches differ (another
     * application in front of it on some of them); NULL: table_id on
     * every switch. Asked once, at switch up. An OpenFlow 1.0 switch has
     * one table and deletes without a cookie filter, so it cannot be
     * shared: the app takes it whole when this says 0, and leaves it
     * alone (Packet-Ins counted as foreign) when this names another. */
    uint8_t (*table_of)(const struct mf_switch *sw, void *arg);
#define L2L_TABLE_NONE 0xff /* from table_of: stay off this switch */
    void *table_of_arg;
};

void l2learn_options_default(struct l2learn_options *o);

/* What the application did and refused: name, printable name. */
#define L2L_COUNTERS(X)                                   \
    X(PACKET_INS, "packet_ins")                           \
    X(LEARNED, "learned")                                 \
    X(MOVED, "moved")                                     \
    X(EVICTED, "evicted")                                 \
    X(FLOWS_ADDED, "flows_added")                         \
    X(FORWARDED, "forwarded")                             \
    X(FLOODED, "flooded")                                 \
    X(DROPPED_SAME_PORT, "dropped_same_port")             \
    X(DROPPED_LINK_LOCAL, "dropped_link_local")           \
    X(REJECT_BAD_SOURCE, "reject_bad_source")             \
    X(REJECT_NO_IN_PORT, "reject_no_in_port")             \
    X(IGNORED_FOREIGN, "ignored_foreign")                 \
    X(NOMEM, "nomem")                                     \
    X(SEND_FAILED, "send_failed")                         \
    X(SWITCH_ERRORS, "switch_errors")

enum l2l_counter {
#define L2L_COUNTER_ENUM(name, str) L2L_C_##name,
    L2L_COUNTERS(L2L_COUNTER_ENUM)
#undef L2L_COUNTER_ENUM
    L2L_N_COUNTERS
};

struct l2learn_counters {
    uint64_t c[L2L_N_COUNTERS];
};

const char *l2l_counter_name(enum l2l_counter c);

struct l2learn *l2learn_create(const struct l2learn_options *o);
void l2learn_destroy(struct l2learn *l);
struct mf_app *l2learn_as_app(struct l2learn *l);
const struct l2learn_counters *l2learn_get_counters(const struct l2learn *l);
/* MACs known on a switch (0 for an unknown switch), and in total. */
size_t l2learn_n_macs(const struct l2learn *l, const struct mf_switch *sw);
size_t l2learn_n_macs_total(const struct l2learn *l);

#endif
