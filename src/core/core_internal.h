/* core_internal.h - the structs shared by the files of src/core/.
 *
 * channel.c moves bytes (framing, output bound, echo, close) over a
 * bufferevent, plain or TLS (tls.c makes the latter), handshake.c runs
 * negotiation and the dpid registry, dispatch.c handles messages of ready
 * switches, batch.c ties errors and barriers to batches. */
#ifndef MATFLOW_CORE_INTERNAL_H
#define MATFLOW_CORE_INTERNAL_H

#include <sys/queue.h>
#include <uthash.h>

#include "app/app.h"
#include "core/core.h"
#include "ofp/ofp_codec.h"
#include "util/obuf.h"

struct bufferevent;
struct event;
struct tls_ctx;

#define CORE_MAX_APPS 8

struct sw_port {
    uint32_t port_no;
    struct of_port port;
    UT_hash_handle hh;
};

TAILQ_HEAD(sw_batch_list, sw_batch);

struct mf_switch {
    struct mf_core *core;
    struct sw_info info;
    struct bufferevent *bev;
    struct event *echo_timer;
    struct event *handshake_timer;
    struct event *conflict_timer;
    uint64_t last_rx_ms;
    unsigned echo_outstanding;
    uint32_t next_xid;
    bool closed;
    bool tls;                  /* accepted on an ssl: listener */
    bool tls_up;               /* its TLS handshake is done */
    bool ports_partial;        /* a PORT_DESC reply with MORE set is in */
    struct sw_port *ports;     /* uthash by port_no */
    struct mf_switch *challenger; /* a newer connection claiming our dpid */
    struct mf_switch *holder;     /* while SW_CONFLICT_WAIT: the one we challenge */
    uint32_t probe_xid;           /* echo sent to check we are alive */
    struct sw_batch_list batches; /* committed, waiting for the barrier */
    unsigned barrier_misses;      /* batches in a row that timed out */
    UT_hash_handle hh;         /* registry by dpid */
    TAILQ_ENTRY(mf_switch) all_node;
    TAILQ_ENTRY(mf_switch) dead_node; /* in flushing or dead */
};

TAILQ_HEAD(mf_switch_list, mf_switch);

struct mf_core {
    struct event_base *base;
    struct core_options opts;
    struct core_stats stats;
    struct mf_switch *by_dpid;   /* uthash: registered switches */
    struct mf_switch_list all;   /* every open connection */
    struct mf_switch_list flushing; /* closed, writing a last error */
    struct mf_switch_list dead;  /* closed, freed by the reaper */
    struct event *reaper;
    struct mf_app *apps[CORE_MAX_APPS];
    unsigned n_apps;
    struct evconnlistener *listeners[16];
    unsigned n_listeners;
    struct tls_ctx *tls;         /* for ssl: listeners; NULL without them */
    struct obuf tx;              /* scratch for encoding */
};

/* channel.c */
/* A new connection on socket fd (the channel owns it from here on), plain
 * or, for channel_accept_tls, TLS with core->tls. */
void channel_accept(struct mf_core *core, int fd, const char *address);
void channel_accept_tls(struct mf_core *core, int fd, const char *address);
/* Appends raw bytes to the output, within the bound. False if refused. */
bool channel_send_raw(struct mf_switch *sw, const void *data, size_t len);
uint32_t channel_next_xid(struct mf_switch *sw);
/* Closes the connection; `flush` first writes out what is queued (an
 * OFPT_ERROR explaining the close). Safe to call from any callback. */
void channel_close(struct mf_switch *sw, bool flush);
/* Sends an OFPT_ERROR answering msg and counts it. */
void channel_reply_error(struct mf_switch *sw, ofperr err, const uint8_t *msg, size_t len);
void core_count_reject(struct mf_core *core, enum core_reject r);
enum core_reject core_reject_of_ofperr(ofperr err);
void channel_free(struct mf_switch *sw);

/* handshake.c */
void handshake_start(struct mf_switch *sw);
/* The first message of a connection: must be a HELLO we can agree with. */
void handshake_first_message(struct mf_switch *sw, const uint8_t *raw, size_t len);
/* Handles a message while not ready; true if it consumed it. */
bool handshake_message(struct mf_switch *sw, const struct of_msg *msg, const uint8_t *raw,
                       size_t len);
void handshake_on_close(struct mf_switch *sw);
void handshake_echo_reply(struct mf_switch *sw, uint32_t xid);
void ports_apply_desc(struct mf_switch *sw, const struct of_multipart_reply *r);
void ports_apply_status(struct mf_switch *sw, const struct of_port_status *ps);
void ports_free(struct mf_switch *sw);

/* dispatch.c */
void dispatch_message(struct mf_switch *sw, const uint8_t *raw, size_t len);
void dispatch_switch_down(struct mf_switch *sw);

/* batch.c */
bool batch_on_error(struct mf_switch *sw, uint32_t xid, const struct of_error *e);
bool batch_on_barrier_reply(struct mf_switch *sw, uint32_t xid);
void batch_fail_all(struct mf_switch *sw);


#endif
