/* bench.h - matflow-bench: emulated OpenFlow 1.3 switches that load a
 * matflowd and time its binding updates; and, in cbench mode
 * (bench_cbench.c), emulated 1.3 or 1.0 switches that measure how fast any
 * learning-switch controller answers Packet-Ins.
 *
 * One process, one libevent loop. The scenario (bench_scenario.c) is
 * written as straight-line code: it injects Packet-Ins, then runs the loop
 * until a condition holds (bench_run_until). The emulated switches
 * (bench_switch.c) answer the controller like a switch would; what they
 * receive is attributed to the emulated nodes (bench_track.c), which is how
 * the generator decides that an update has reached every switch. */
#ifndef MATFLOW_BENCH_H
#define MATFLOW_BENCH_H

#include <jansson.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "app/mobility/mob_config.h"
#include "ofp/ofp_msg.h"
#include "util/eth_addr.h"
#include "util/obuf.h"

struct event_base;
struct event;
struct bufferevent;

/* At most this many sites: the mobility application's own limit; switches
 * beyond it are connected but get no rules. */
#define BENCH_MAX_SITES MOB_MAX_SITES
#define BENCH_MAX_SWITCHES 10000
#define BENCH_UPLINK 1
#define BENCH_HV_FIRST 10
#define BENCH_HV_PORTS 3
#define BENCH_HOA_FIRST 256u /* a site's first HoA: .0.x is left to the gateway */

enum bench_cb_mode { BENCH_CB_OFF, BENCH_CB_THROUGHPUT, BENCH_CB_LATENCY };
/* --flood RATE[:KIND] (bench_flood.c): what the flooding port sends. */
enum bench_flood_kind { BENCH_FLOOD_RARP, BENCH_FLOOD_ARP, BENCH_FLOOD_MIXED };

struct bench_opts {
    unsigned switches;     /* N */
    unsigned bindings;     /* M: nodes away, rules everywhere, before measuring */
    unsigned moves;        /* K sequential measured moves of one node */
    unsigned mass;         /* K nodes moving at once */
    double delay_ms;       /* before each answer of an emulated switch */
    unsigned window;       /* set-up moves in flight at once */
    double timeout_s;      /* per phase */
    bool durable_power;    /* controller.durability: power (else crash) */
    unsigned trigger_rate; /* mobility.trigger_rate (0: off) */
    const char *controller;   /* tcp:ADDR:PORT of a running matflowd */
    const char *matflowd;     /* start this matflowd ourselves */
    const char *api;          /* control socket (external matflowd) */
    int pid;                  /* external matflowd, for CPU and memory */
    const char *workdir;
    const char *out_json;     /* also write the JSON report here */
    const char *write_config; /* only write the YAML for N switches */
    /* --flood (bench_flood.c): one site floods during the moves; a rate of
     * 0 keeps the flood's timeline (warm-up, counters) without sending. */
    bool flood;
    unsigned flood_rate;      /* Packet-Ins per second */
    enum bench_flood_kind flood_kind;
    double flood_warmup_s;    /* flooding before the mover's first move */
    /* cbench mode (bench_cbench.c) */
    enum bench_cb_mode cb_mode;
    const char *connect;      /* HOST:PORT of any OpenFlow controller */
    uint8_t of_version;       /* the one version the switches offer */
    unsigned macs;            /* hosts (source MACs) per switch */
    double warmup_s, duration_s;
    bool json;                /* print JSON instead of text */
    bool keep;                /* keep the work directory */
    bool quiet;
};

/* One answer held back by --delay-ms (bench_switch.c). */
struct bench_delayed;

/* A (node, phase) pair seen in a flow-mod since the switch's last barrier. */
enum bench_attr_kind { BENCH_ATTR_SENDING, BENCH_ATTR_CLEANUP };
struct bench_attr {
    uint32_t node;
    uint8_t kind;
};

struct bench_switch {
    struct bench *b;
    unsigned idx;
    uint64_t dpid;
    int site; /* index into the generated sites, or -1 */
    struct bufferevent *bev;
    bool connecting, connected, handshaken, reconciled, closed;
    uint64_t flow_mods, flow_mods_add, flow_mods_delete, barriers, packet_outs, errors_in;
    uint64_t packet_ins;
    struct bench_attr *attr;
    size_t n_attr, cap_attr;
    struct bench_delayed *dq_head, *dq_tail;
    struct event *dq_timer;
    struct bench_cb_sw *cb; /* cbench mode only */
};

/* A mobile node as the generator sees it, and one move being timed. */
struct bench_node {
    struct eth_addr mac;
    uint32_t hoa;
    unsigned home, site; /* site indexes: home, and where it is now */
    uint32_t port;
    uint32_t binding_id; /* from cookies; 0 until seen */
    bool tracking;
    bool sent_done, clean_done;
    double t0, t_probe, t_sent, t_clean;
    uint8_t *seen; /* 2 bits per switch: sending, cleanup */
    unsigned n_sent, n_clean;
    uint32_t epoch; /* the newest epoch seen in its ADDs while tracking */
};

struct bench {
    struct bench_opts o;
    struct event_base *base;
    struct sockaddr_in ctrl;
    struct bench_switch *sw;
    unsigned n_sw;
    unsigned n_sites;      /* site switches: min(N, BENCH_MAX_SITES) */
    unsigned site_host_bits; /* 32 - the sites' prefix length */
    struct bench_node *nodes;
    unsigned n_nodes;
    uint32_t *id_to_node;  /* binding id -> node index + 1 */
    size_t id_cap;
    struct obuf tx;
    struct of_msg in, out; /* a few KiB each: one of each, reused */
    /* Progress counters the scenario waits on. */
    unsigned n_started, n_connected, n_handshaken, n_reconciled, n_closed, n_lost_early;
    unsigned n_sent_done, n_clean_done, n_probes;
    uint64_t n_rarps; /* RARPs injected for the nodes' moves (not the flood's) */
    unsigned n_clean_unseen; /* cleanups taken as done after a grace time */
    uint32_t *await_clean;   /* nodes whose sending side is done, FIFO */
    size_t await_head, await_tail, await_cap;
    uint64_t flow_mods;
    uint64_t unattributed_deletes, probes_unknown, errors_in, version_refused, undecodable;
    struct bench_cbench *cb; /* cbench mode only */
    struct bench_flood *flood; /* --flood only */
    /* The daemon we started, if any. */
    pid_t daemon_pid;
    pid_t stat_pid; /* whose /proc we read: ours or --pid */
    char workdir[256], cfg_path[300], db_path[300], api_path[300], log_path[300];
    bool own_workdir;
    json_t *report;
};

/* bench_main.c */
double bench_now(void);
void bench_log(const struct bench *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Runs the loop until done(b, arg) holds or timeout_s passes; false on timeout. */
bool bench_run_until(struct bench *b, bool (*done)(struct bench *, void *), void *arg,
                     double timeout_s);

/* bench_switch.c */
/* Answers the port list: the site ports, or cbench's host ports. */
size_t bench_switch_ports(const struct bench_switch *sw, struct of_port *out, size_t cap);
bool bench_switches_start(struct bench *b);
void bench_switches_stop(struct bench *b);
/* Sends a Packet-In now (a trigger) or as an answer (held by --delay-ms). */
void bench_send_packet_in(struct bench_switch *sw, uint32_t in_port, const uint8_t *frame,
                          size_t len, bool answer);

/* bench_track.c */
void bench_nodes_init(struct bench *b, unsigned n);
void bench_nodes_free(struct bench *b);
/* The node whose HoA this is, or -1. */
long bench_node_by_hoa(const struct bench *b, uint32_t hoa);
/* What a flow-mod received at `sw` says about the nodes. */
void bench_track_flow_mod(struct bench *b, struct bench_switch *sw, const struct of_flow_mod *fm);
/* The barrier that follows those flow-mods was answered at time t. */
void bench_track_barrier(struct bench *b, unsigned sw_idx, const struct bench_attr *attr,
                         size_t n_attr, double t);
void bench_track_begin(struct bench *b, uint32_t node);
/* Takes the cleanup of a node as done once its sending side has been done
 * for a grace time with no cleanup seen: matflowd may remove the previous
 * epoch's rules with one exact-cookie delete per rule, only where it had
 * rules, so a switch may get none. Called while waiting for cleanups. */
void bench_track_sweep(struct bench *b, double now);
void bench_track_end(struct bench *b, uint32_t node);

/* bench_inject.c */
void bench_inject_learn(struct bench *b, uint32_t node);
void bench_inject_rarp(struct bench *b, uint32_t node, unsigned site);
/* A PACKET_OUT reached `sw`: answer an ARP probe as the guest would. */
void bench_inject_packet_out(struct bench *b, struct bench_switch *sw,
                             const struct of_packet_out *po);

/* bench_daemon.c */
bool bench_write_config(const struct bench *b, const char *path, uint16_t port);
bool bench_daemon_start(struct bench *b);
void bench_daemon_stop(struct bench *b);
/* utime + stime of a process (its threads included) in seconds; negative
 * when unknown. */
double bench_proc_cpu(pid_t pid);
double bench_daemon_cpu(const struct bench *b);
/* VmRSS in KiB; negative when unknown. */
long bench_daemon_rss_kib(const struct bench *b);
/* The daemon's memory: RSS and its anonymous part from /proc, the heap in
 * use by its own account (`stats` process.heap_in_use_bytes) and its
 * binding table (mobility.binding_table_bytes). Each negative when unknown. */
struct bench_mem {
    long rss_kib, anon_kib;
    long long heap, table;
};
void bench_daemon_mem(const struct bench *b, struct bench_mem *m);
/* Counts log lines at WARN/ERROR level. */
unsigned bench_daemon_log_problems(const struct bench *b, json_t *samples);
/* matflowd's own "complete in X ms" log lines for one HoA, by epoch. */
size_t bench_daemon_log_completions(const struct bench *b, uint32_t hoa, double *ms_by_epoch,
                                    size_t n_epochs);

/* bench_api.c */
json_t *bench_api(const struct bench *b, const char *cmd);
/* The mobility counter `name` from `stats`, or -1. */
long long bench_api_counter(const struct bench *b, const char *name);

/* bench_stats.c */
struct bench_series {
    double *v;
    size_t n, cap;
};
void bench_series_add(struct bench_series *s, double v);
void bench_series_free(struct bench_series *s);
/* p50, p90, p99, max, mean, count as a JSON object (milliseconds in). */
json_t *bench_series_json(struct bench_series *s);
void bench_print_report(const struct bench *b, const json_t *report);

/* bench_scenario.c */
int bench_scenario_run(struct bench *b);

/* bench_flood.c: --flood. The flooding site is one the mover never visits
 * (bench_flood_check refuses sizes without one); bench_flood_start floods
 * for the warm-up and returns with the flood running, bench_flood_stop
 * ends it (again: a no-op), bench_flood_report waits for matflowd to read
 * what was sent and adds "flood" to the report. */
/* Parses RATE[:KIND] into o (KIND rarp, the default, arp or mixed). */
bool bench_flood_parse(const char *spec, struct bench_opts *o);
bool bench_flood_check(const struct bench *b);
void bench_flood_params(const struct bench *b, json_t *params);
bool bench_flood_start(struct bench *b);
void bench_flood_stop(struct bench *b);
void bench_flood_report(struct bench *b, json_t *report);
void bench_flood_free(struct bench *b);
void bench_flood_print(const json_t *report);

/* bench_cbench.c: the run, and what the emulated switches hand it. */
#define BENCH_CB_PORTS 4 /* host ports 1..4 of every cbench switch */
int bench_cbench_run(struct bench *b);
void bench_cbench_flow_mod(struct bench_switch *sw, const struct of_flow_mod *fm);
void bench_cbench_packet_out(struct bench_switch *sw, const struct of_packet_out *po);
/* The connection's output buffer drained below its low-water mark. */
void bench_cbench_writable(struct bench_switch *sw);

/* Addresses of the generated network (bench_daemon.c). Site i is
 * 10.0.0.0 + ((i + 1) << site_host_bits): a /16 each up to 255 sites
 * (10.(i+1).0.0/16), smaller beyond (a /18 each for 1000 sites), larger
 * when a /16 cannot hold a site's share of n_nodes. The gateway is .1; HoAs
 * are [256, quarter) of the site, the MoA pool the third quarter (one
 * aligned block: matflowd installs a rule per block of every pool). */
void bench_sites_init(struct bench *b, unsigned n_sites, unsigned n_nodes);
uint32_t bench_site_prefix(const struct bench *b, unsigned site);
uint32_t bench_site_gateway(const struct bench *b, unsigned site);
struct eth_addr bench_site_gateway_mac(unsigned site);
/* Nodes one site can be home to, and the node's HoA. */
uint32_t bench_site_capacity(const struct bench *b);
uint32_t bench_node_hoa(const struct bench *b, uint32_t node, unsigned *home);

#endif
