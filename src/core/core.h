/* core.h - the OpenFlow channel and switch core.
 *
 * Accepts switch connections, negotiates OpenFlow 1.0 or 1.3, runs the
 * handshake (HELLO -> FEATURES -> DESC and, in 1.3, PORT_DESC -> ready),
 * keeps each switch's port table, answers and sends echoes, and hands ready
 * switches' events to the applications through the hooks of app/app.h. It
 * knows nothing of what the applications do. Single-threaded, non-blocking,
 * on one libevent base. Every message to a switch is encoded in the version
 * agreed with it (sw_info.version). */
#ifndef MATFLOW_CORE_H
#define MATFLOW_CORE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>

#include "ofp/ofp_msg.h"
#include "pkt/pkt.h"

struct event_base;
struct mf_core;
struct mf_switch;
struct mf_app;
struct tls_files;

/* Why the core refused a message or dropped a connection: every reason an
 * operator can read in `matflowctl stats`. The codec's errors come first. */
#define CORE_REJECT_REASONS(X)                    \
    X(FRAME_LENGTH, "frame_length")               \
    X(HELLO_FAILED, "hello_failed")               \
    X(UNEXPECTED_HELLO, "unexpected_hello")       \
    X(UNEXPECTED_MESSAGE, "unexpected_message")   \
    X(HANDSHAKE_TIMEOUT, "handshake_timeout")     \
    X(ECHO_TIMEOUT, "echo_timeout")               \
    X(QUEUE_FULL, "queue_full")                   \
    X(DPID_CONFLICT, "dpid_conflict")             \
    X(BARRIER_TIMEOUT, "barrier_timeout")         \
    X(TLS_HANDSHAKE, "tls_handshake")             \
    X(PORT_TABLE_FULL, "port_table_full")         \
    X(OTHER_CODEC_ERROR, "other_codec_error")

enum core_reject {
#define CORE_REJECT_OFPERR(name, type, code) CORE_REJECT_OFP_##name,
    OFPERR_LIST(CORE_REJECT_OFPERR)
#undef CORE_REJECT_OFPERR
#define CORE_REJECT_ENUM(name, str) CORE_REJECT_##name,
    CORE_REJECT_REASONS(CORE_REJECT_ENUM)
#undef CORE_REJECT_ENUM
    CORE_N_REJECT
};

const char *core_reject_name(enum core_reject r);

struct core_stats {
    uint64_t connections_total;
    uint64_t messages_in;
    uint64_t messages_out;
    uint64_t packet_ins;
    uint64_t rejected[CORE_N_REJECT];
};

/* The OpenFlow versions the core can speak, as a HELLO version bitmap
 * (bit v set = wire version v offered). */
#define CORE_VERSIONS_ALL ((1u << OF_VERSION_1_0) | (1u << OF_VERSION_1_3))

struct core_options {
    uint32_t versions;          /* offered in HELLO: a non-empty subset of
                                   CORE_VERSIONS_ALL */
    double echo_interval_s;     /* idle time before we send an echo */
    unsigned echo_misses;       /* unanswered echoes before the drop */
    double handshake_timeout_s; /* accept -> ready */
    size_t max_queue_bytes;     /* per-switch output bound */
    double barrier_timeout_s;   /* a batch's barrier unanswered this long
                                   fails it (SW_BATCH_TIMEOUT) */
};

void core_options_default(struct core_options *o);

/* The version both sides will speak (OpenFlow 1.3.5, 6.3.1): with a bitmap
 * in both HELLOs, the highest version in both; otherwise the lower of the
 * two header versions, which must be one of ours. `ours` is our bitmap (our
 * header carries its highest version). Returns 0 when there is none. */
uint8_t core_negotiate_version(uint32_t ours, const struct of_hello *peer, uint8_t peer_header);
/* "1.0" or "1.3" for a version in CORE_VERSIONS_ALL, else NULL. */
const char *core_version_name(uint8_t version);

/* NULL if out of memory or if opts->versions is empty or names a version
 * outside CORE_VERSIONS_ALL. */
struct mf_core *core_create(struct event_base *base, const struct core_options *opts);
void core_destroy(struct mf_core *core);

/* True if spec is a listen address core_listen() can parse. */
bool core_listen_spec_valid(const char *spec);
/* True if spec is a valid `ssl:` listen address (it needs core_set_tls). */
bool core_listen_spec_tls(const char *spec);

/* Loads matflowd's private key and certificate and the CA that signs the
 * switches' certificates (core/tls.h), for `ssl:` listeners; once, before
 * them. The files are read now, not kept open. On error returns -1 and
 * writes a reason naming the file into err[errlen]. */
int core_set_tls(struct mf_core *core, const struct tls_files *f, char *err, size_t errlen);

/* Listens on "tcp:PORT", "tcp:ADDR:PORT" or "tcp:[ADDR6]:PORT", or the
 * same with "ssl:" (TLS; core_set_tls first). On error returns -1 and
 * writes a reason into err[errlen]. */
int core_listen(struct mf_core *core, const char *spec, char *err, size_t errlen);

/* Adds an application; hooks run in the order apps were added. */
void core_add_app(struct mf_core *core, struct mf_app *app);

const struct core_stats *core_get_stats(const struct mf_core *core);

/* ---- Switches ------------------------------------------------------------ */

enum sw_state {
    SW_HELLO_WAIT,    /* our HELLO sent, waiting for theirs */
    SW_FEATURES_WAIT, /* FEATURES_REQUEST sent */
    SW_CONFLICT_WAIT, /* dpid held by a live switch: probing it */
    SW_PORTS_WAIT,    /* DESC and (1.3) PORT_DESC requested; a 1.0 switch
                         gave its ports in FEATURES_REPLY */
    SW_READY,
};
const char *sw_state_name(enum sw_state s);

/* A port of a switch, kept current from PORT_DESC (1.0: FEATURES_REPLY)
 * and PORT_STATUS. At most CORE_MAX_PORTS per switch (Open vSwitch has at
 * most 65280): a port beyond them is ignored and counted port_table_full. */
#define CORE_MAX_PORTS 65536u
struct sw_port_info {
    struct of_port port;
};

/* Read-only view of a switch for the CLI and the applications. */
struct sw_info {
    uint64_t dpid;
    bool has_dpid;
    enum sw_state state;
    uint8_t version;        /* the wire version of the connection: agreed
                               once past SW_HELLO_WAIT (before: our HELLO's) */
    char address[64];
    double connected_since; /* wall clock, seconds */
    uint64_t msgs_in, msgs_out, errors_in, errors_out;
    struct of_desc desc;
    struct of_features features;
};

const struct sw_info *sw_get_info(const struct mf_switch *sw);
/* Iterates ports in port-number order into a caller array; returns the
 * number of ports (which may exceed max: then only max were written). */
size_t sw_get_ports(const struct mf_switch *sw, struct of_port *out, size_t max);
/* The ready switch with this dpid, or NULL. */
struct mf_switch *core_find_switch(struct mf_core *core, uint64_t dpid);
/* Calls fn for every connection, ready or not. */
void core_foreach_switch(struct mf_core *core, void (*fn)(struct mf_switch *, void *), void *arg);
size_t core_n_switches(const struct mf_core *core, bool ready_only);

/* Sends one message now (xid 0 means: allocate one). Returns the xid used,
 * or 0 if the switch is not connected or its output queue is full. */
uint32_t sw_send(struct mf_switch *sw, struct of_msg *msg);

/* ---- Batches: N messages + a barrier, one completion -------------------- */

struct sw_batch_error {
    unsigned index; /* position of the message in the batch */
    uint16_t type, code;
};

enum sw_batch_status {
    SW_BATCH_OK,           /* barrier reply in, no errors */
    SW_BATCH_ERRORS,       /* barrier reply in, some messages were refused */
    SW_BATCH_DISCONNECTED, /* the switch went away before the barrier reply */
    SW_BATCH_REFUSED,      /* never sent: encode error or output queue full */
    SW_BATCH_TIMEOUT,      /* no barrier reply within barrier_timeout; the
                              switch is dropped after CORE_BARRIER_MISSES of
                              these in a row */
};
/* Batches in a row whose barrier went unanswered before the switch is
 * dropped as unresponsive (and reconciled when it returns). */
#define CORE_BARRIER_MISSES 3

struct sw_batch_result {
    enum sw_batch_status status;
    unsigned n_msgs;
    unsigned n_errors;
    const struct sw_batch_error *errors;
    uint64_t elapsed_us; /* commit -> barrier reply */
};

typedef void sw_batch_cb(struct mf_switch *sw, const struct sw_batch_result *r, void *arg);

struct sw_batch;
struct sw_batch *sw_batch_begin(struct mf_switch *sw);
/* Encodes msg into the batch (its xid is assigned by the batch). Returns
 * false if the codec refused it; the batch then completes as REFUSED. */
bool sw_batch_add(struct sw_batch *b, const struct of_msg *msg);
/* Sends everything plus a BARRIER_REQUEST; cb runs exactly once, possibly
 * before this returns (REFUSED). Takes ownership of b. */
void sw_batch_commit(struct sw_batch *b, sw_batch_cb *cb, void *arg);

#endif
