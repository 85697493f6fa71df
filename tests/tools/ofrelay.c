/* ofrelay.c - tools for scripts/bench-disruption.sh (issue 4, point 2).
 *
 * ofrelay relay --listen IP:PORT --upstream IP:PORT [--delay-ms D]
 *               [--delay-file F] [--trace FILE] [--fake N [--fake-count-file F]]
 *   A TCP relay between Open vSwitch bridges and matflowd that delays every
 *   OpenFlow message by D ms in each direction, keeping the order of each
 *   direction (a message leaves D ms after it was read, never before the
 *   one in front of it). SIGHUP re-reads the delay (a number of ms) from
 *   --delay-file. With D = 0 a message is written as soon as it is read.
 *   The whole message is read before it is queued, so the relay never cuts
 *   one; timers are libevent's precise (timerfd) ones.
 *
 *   --fake N: N emulated mobile nodes that exist only on the OpenFlow
 *   channel. Node i (0 <= i < N) has MAC 52:54:fb:00:HI:LO, home site
 *   h = i % 3 (dpid h + 1), k = i / 3, HoA 10.(h+1).(8 + k/250).(1 + k%250),
 *   hypervisor port 12; it moves to site (h + 1) % 3. SIGUSR1: every node
 *   sends an ARP "who has my gateway" as a Packet-In from its home switch
 *   (matflowd learns MAC -> HoA). SIGUSR2: every node arrives at its other
 *   site (one RARP Packet-In). matflowd's ARP probe for a fake node (a
 *   Packet-Out of an ARP request from 0.0.0.0) is taken out of the stream
 *   and answered by an ARP reply Packet-In 2 D later, as a guest would.
 *
 *   --trace FILE: one line per message (echo excepted):
 *     T DIR DPID TYPE XID LEN [INFO]
 *   T UNIX seconds (when read), DIR u (switch -> controller) or d, DPID as
 *   16 hex digits (0 before FEATURES_REPLY), TYPE the OpenFlow type number,
 *   INFO for Packet-In/Out: the frame's ethertype and source MAC.
 *
 * ofrelay floor --switch unix:PATH [--switch ...] --flows N [--rounds R]
 *               [--table T] [--probe-port P --probe-ip A.B.C.D]
 *   The floor: over one persistent OpenFlow 1.3 connection per bridge (its
 *   management socket, a service connection beside matflowd's), N
 *   flow-mods (ADDs shaped like matflow's rewrite rules, in a table no rule
 *   leads to) to every bridge at once, then a barrier to each; the time from
 *   the first byte sent to the last barrier reply, R rounds; then the same
 *   flows deleted (one DELETE by cookie + barrier, timed too). Also the echo
 *   round trip, and with --probe-port the ARP probe round trip matflowd
 *   depends on: a Packet-Out of "who has A.B.C.D?" (sender 0.0.0.0) to port
 *   P of the first bridge, until the host's ARP reply comes back as a
 *   Packet-In (the connection asks for Packet-Ins with SET_CONFIG). JSON on
 *   stdout, times in ms.
 *
 * ofrelay dpfloor --switch unix:PATH --dst A.B.C.D [--rounds R] [--gap-ms G]
 *   The data path's floor: R times, a drop rule for IPv4 to A.B.C.D at the
 *   top of table 0 + barrier, G ms, its removal + barrier, G ms; prints the
 *   wall time of every barrier reply, to set against probe arrivals. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "ofp/ofp_codec.h"
#include "pkt/pkt.h"

#define OFPT_FEATURES_REPLY 6
#define OFPT_PACKET_IN 10
#define OFPT_PACKET_OUT 13
#define OFPT_ECHO_REQUEST 2
#define OFPT_ECHO_REPLY 3
#define N_SITES 3

static double mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int parse_ipport(const char *s, struct sockaddr_in *sa)
{
    char host[64];
    const char *c = strrchr(s, ':');
    if (!c || (size_t)(c - s) >= sizeof host) {
        return -1;
    }
    memcpy(host, s, (size_t)(c - s));
    host[c - s] = 0;
    memset(sa, 0, sizeof *sa);
    sa->sin_family = AF_INET;
    sa->sin_port = htons((uint16_t)atoi(c + 1));
    return inet_pton(AF_INET, host, &sa->sin_addr) == 1 ? 0 : -1;
}

/* ================================================================ relay */

struct item {
    struct item *next;
    double deadline;
    size_t len;
    uint8_t data[];
};

struct pair;
struct dirq {
    struct pair *p;
    struct item *head, *tail;
    double last;
    struct event *timer;
    struct bufferevent *to;
};

struct pair {
    struct pair *next;
    struct bufferevent *sw, *ctl;
    struct dirq up, down; /* up: switch -> controller */
    uint64_t dpid;
    int id;
};

static struct {
    struct event_base *base;
    struct sockaddr_in upstream;
    double delay; /* seconds */
    const char *delay_file;
    const char *fake_count_file; /* how many fake nodes USR1/USR2 act on */
    FILE *trace;
    struct pair *pairs;
    int next_id;
    unsigned fake;
    unsigned long probes_answered, injected;
} R;

static void fake_mac(unsigned i, struct eth_addr *m)
{
    uint8_t b[6] = {0x52, 0x54, 0xfb, 0x00, (uint8_t)(i >> 8), (uint8_t)i};
    memcpy(m->b, b, 6);
}
static unsigned fake_home(unsigned i) { return i % N_SITES; }
static unsigned fake_away(unsigned i) { return (i % N_SITES + 1) % N_SITES; }
static uint32_t fake_hoa(unsigned i)
{
    unsigned h = fake_home(i), k = i / N_SITES;
    return (10u << 24) | ((h + 1) << 16) | ((8 + k / 250) << 8) | (1 + k % 250);
}
static long fake_by_hoa(uint32_t a)
{
    unsigned h = ((a >> 16) & 0xff) - 1, x = (a >> 8) & 0xff, y = a & 0xff;
    if ((a >> 24) != 10 || h >= N_SITES || x < 8 || y < 1 || y > 250) {
        return -1;
    }
    unsigned long k = (unsigned long)(x - 8) * 250 + (y - 1);
    unsigned long i = k * N_SITES + h;
    return i < R.fake ? (long)i : -1;
}

static void pair_free(struct pair *p)
{
    for (struct pair **pp = &R.pairs; *pp; pp = &(*pp)->next) {
        if (*pp == p) {
            *pp = p->next;
            break;
        }
    }
    struct dirq *qs[2] = {&p->up, &p->down};
    for (int k = 0; k < 2; k++) {
        struct item *it = qs[k]->head;
        while (it) {
            struct item *n = it->next;
            free(it);
            it = n;
        }
        event_free(qs[k]->timer);
    }
    bufferevent_free(p->sw);
    bufferevent_free(p->ctl);
    fprintf(stderr, "ofrelay: connection %d (dpid %016llx) closed\n", p->id,
            (unsigned long long)p->dpid);
    free(p);
}

static void q_arm(struct dirq *q)
{
    if (!q->head) {
        return;
    }
    double d = q->head->deadline - mono_now();
    if (d < 0) {
        d = 0;
    }
    struct timeval tv = {(time_t)d, (suseconds_t)((d - (time_t)d) * 1e6)};
    evtimer_add(q->timer, &tv);
}

static void q_flush(struct dirq *q)
{
    double now = mono_now();
    while (q->head && q->head->deadline <= now + 20e-6) {
        struct item *it = q->head;
        q->head = it->next;
        if (!q->head) {
            q->tail = NULL;
        }
        bufferevent_write(q->to, it->data, it->len);
        free(it);
    }
    q_arm(q);
}

static void q_timer_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    q_flush(arg);
}

/* Queues a copy of msg to leave after `delay` s, behind everything queued. */
static void q_push(struct dirq *q, const uint8_t *msg, size_t len, double delay)
{
    double now = mono_now();
    double dl = now + delay;
    if (dl < q->last) {
        dl = q->last;
    }
    q->last = dl;
    if (!q->head && dl <= now) {
        bufferevent_write(q->to, msg, len);
        return;
    }
    struct item *it = malloc(sizeof *it + len);
    if (!it) {
        abort();
    }
    it->next = NULL;
    it->deadline = dl;
    it->len = len;
    memcpy(it->data, msg, len);
    bool was_empty = !q->head;
    if (q->tail) {
        q->tail->next = it;
    } else {
        q->head = it;
    }
    q->tail = it;
    if (was_empty) {
        q_arm(q);
    }
}

static struct pair *pair_by_dpid(uint64_t dpid)
{
    for (struct pair *p = R.pairs; p; p = p->next) {
        if (p->dpid == dpid) {
            return p;
        }
    }
    return NULL;
}

static void trace_msg(const struct pair *p, char dir, const uint8_t *m, size_t len)
{
    if (!R.trace) {
        return;
    }
    uint8_t type = m[1];
    if (type == OFPT_ECHO_REQUEST || type == OFPT_ECHO_REPLY) {
        return;
    }
    fprintf(R.trace, "%.6f %c %016llx %u %u %zu", wall_now(), dir, (unsigned long long)p->dpid,
            type, of_msg_xid(m), len);
    if (type == OFPT_PACKET_IN || type == OFPT_PACKET_OUT) {
        struct of_msg om;
        if (of_decode(m, len, &om) == 0) {
            const uint8_t *d = type == OFPT_PACKET_IN ? om.u.packet_in.data : om.u.packet_out.data;
            size_t dl = type == OFPT_PACKET_IN ? om.u.packet_in.data_len : om.u.packet_out.data_len;
            if (d && dl >= 14) {
                fprintf(R.trace, " %02x%02x %02x:%02x:%02x:%02x:%02x:%02x", d[12], d[13], d[6],
                        d[7], d[8], d[9], d[10], d[11]);
            }
        }
    }
    fputc('\n', R.trace);
}

/* A Packet-In from switch p, as if the frame came in on in_port, sent
 * `delay` s from now on the switch -> controller stream. */
static void inject_packet_in(struct pair *p, uint32_t in_port, const uint8_t *frame, size_t len,
                             double delay)
{
    struct of_msg m;
    memset(&m, 0, sizeof m);
    m.kind = OF_PACKET_IN;
    m.xid = 0;
    struct of_packet_in *pi = &m.u.packet_in;
    pi->buffer_id = OFP_NO_BUFFER;
    pi->total_len = (uint16_t)len;
    pi->reason = 1;
    pi->table_id = 0;
    of_match_init(&pi->match);
    of_match_set_in_port(&pi->match, in_port);
    pi->data = frame;
    pi->data_len = len;
    struct obuf b;
    obuf_init(&b);
    if (of_encode(OF_VERSION_1_3, &m, &b) == 0) {
        trace_msg(p, 'i', b.data, b.len);
        q_push(&p->up, b.data, b.len, delay);
        R.injected++;
    }
    obuf_free(&b);
}

/* matflowd's ARP probe for a fake node: answer it, drop it. */
static bool intercept_packet_out(struct pair *p, const uint8_t *m, size_t len)
{
    if (!R.fake) {
        return false;
    }
    struct of_msg om;
    if (of_decode(m, len, &om) != 0 || !om.u.packet_out.data) {
        return false;
    }
    const struct of_packet_out *po = &om.u.packet_out;
    struct pkt_info pi;
    if (pkt_parse(po->data, po->data_len, &pi) != PKT_OK || pi.kind != PKT_KIND_ARP ||
        pi.arp.op != PKT_ARP_OP_REQUEST || pi.arp.spa != 0) {
        return false;
    }
    long n = fake_by_hoa(pi.arp.tpa);
    if (n < 0) {
        return false;
    }
    uint32_t port = 12;
    for (unsigned i = 0; i < po->actions.n; i++) {
        if (po->actions.a[i].type == OFAT_OUTPUT && po->actions.a[i].u.output.port <= OFPP_MAX) {
            port = po->actions.a[i].u.output.port;
        }
    }
    struct eth_addr mac;
    fake_mac((unsigned)n, &mac);
    uint8_t frame[64];
    size_t fl = pkt_build_arp(frame, sizeof frame, pi.src, mac, PKT_ARP_OP_REPLY, mac,
                              pi.arp.tpa, pi.arp.sha, pi.arp.spa);
    if (fl) {
        inject_packet_in(p, port, frame, fl, 2 * R.delay);
        R.probes_answered++;
    }
    return true;
}

static void relay_read(struct pair *p, struct bufferevent *from, struct dirq *q, char dir)
{
    struct evbuffer *in = bufferevent_get_input(from);
    for (;;) {
        uint8_t h[8];
        size_t avail = evbuffer_get_length(in);
        if (avail < 8) {
            return;
        }
        evbuffer_copyout(in, h, 8);
        size_t len = (size_t)h[2] << 8 | h[3];
        if (len < 8) {
            fprintf(stderr, "ofrelay: bad length %zu on connection %d\n", len, p->id);
            pair_free(p);
            return;
        }
        if (avail < len) {
            return;
        }
        uint8_t *m = evbuffer_pullup(in, (ssize_t)len);
        if (dir == 'u' && m[1] == OFPT_FEATURES_REPLY && len >= 16) {
            uint64_t d = 0;
            for (int i = 0; i < 8; i++) {
                d = d << 8 | m[8 + i];
            }
            if (p->dpid != d) {
                fprintf(stderr, "ofrelay: connection %d is dpid %016llx\n", p->id,
                        (unsigned long long)d);
            }
            p->dpid = d;
        }
        trace_msg(p, dir, m, len);
        if (!(dir == 'd' && m[1] == OFPT_PACKET_OUT && intercept_packet_out(p, m, len))) {
            q_push(q, m, len, R.delay);
        }
        evbuffer_drain(in, len);
    }
}

static void sw_read_cb(struct bufferevent *bev, void *arg)
{
    struct pair *p = arg;
    relay_read(p, bev, &p->up, 'u');
}
static void ctl_read_cb(struct bufferevent *bev, void *arg)
{
    struct pair *p = arg;
    relay_read(p, bev, &p->down, 'd');
}
static void event_cb(struct bufferevent *bev, short what, void *arg)
{
    struct pair *p = arg;
    if (what & BEV_EVENT_CONNECTED) {
        evutil_socket_t fd = bufferevent_getfd(bev);
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        return;
    }
    if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
        pair_free(p);
    }
}

static void accept_cb(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int slen,
                      void *arg)
{
    (void)l;
    (void)sa;
    (void)slen;
    (void)arg;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct pair *p = calloc(1, sizeof *p);
    if (!p) {
        abort();
    }
    p->id = ++R.next_id;
    p->sw = bufferevent_socket_new(R.base, fd, BEV_OPT_CLOSE_ON_FREE);
    p->ctl = bufferevent_socket_new(R.base, -1, BEV_OPT_CLOSE_ON_FREE);
    p->up.p = p->down.p = p;
    p->up.to = p->ctl;
    p->down.to = p->sw;
    p->up.timer = evtimer_new(R.base, q_timer_cb, &p->up);
    p->down.timer = evtimer_new(R.base, q_timer_cb, &p->down);
    bufferevent_setcb(p->sw, sw_read_cb, NULL, event_cb, p);
    bufferevent_setcb(p->ctl, ctl_read_cb, NULL, event_cb, p);
    p->next = R.pairs;
    R.pairs = p;
    if (bufferevent_socket_connect(p->ctl, (struct sockaddr *)&R.upstream, sizeof R.upstream) <
        0) {
        fprintf(stderr, "ofrelay: cannot connect upstream\n");
        pair_free(p);
        return;
    }
    bufferevent_enable(p->sw, EV_READ | EV_WRITE);
    bufferevent_enable(p->ctl, EV_READ | EV_WRITE);
    fprintf(stderr, "ofrelay: connection %d accepted\n", p->id);
}

static void read_delay_file(void)
{
    if (!R.delay_file) {
        return;
    }
    FILE *f = fopen(R.delay_file, "r");
    double ms;
    if (f && fscanf(f, "%lf", &ms) == 1 && ms >= 0) {
        R.delay = ms / 1000.0;
        printf("delay %.3f ms\n", ms);
        fflush(stdout);
    } else {
        fprintf(stderr, "ofrelay: cannot read a delay from %s\n", R.delay_file);
    }
    if (f) {
        fclose(f);
    }
}

/* How many of the fake nodes SIGUSR1/SIGUSR2 act on: the number in
 * --fake-count-file (at most --fake), else all of them. */
static unsigned fake_count(void)
{
    unsigned n = R.fake;
    FILE *f = R.fake_count_file ? fopen(R.fake_count_file, "r") : NULL;
    if (f) {
        unsigned v;
        if (fscanf(f, "%u", &v) == 1 && v < n) {
            n = v;
        }
        fclose(f);
    }
    return n;
}

static void fake_all(bool move)
{
    static const struct eth_addr bcast = {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};
    unsigned missing = 0, n = fake_count();
    for (unsigned i = 0; i < n; i++) {
        unsigned site = move ? fake_away(i) : fake_home(i);
        struct pair *p = pair_by_dpid(site + 1);
        if (!p) {
            missing++;
            continue;
        }
        struct eth_addr mac;
        fake_mac(i, &mac);
        uint8_t frame[64];
        size_t fl;
        if (move) {
            fl = pkt_build_rarp(frame, sizeof frame, mac);
        } else {
            uint32_t gw = (10u << 24) | ((site + 1) << 16) | 1;
            fl = pkt_build_arp(frame, sizeof frame, bcast, mac, PKT_ARP_OP_REQUEST, mac,
                               fake_hoa(i), (struct eth_addr){{0}}, gw);
        }
        if (fl) {
            inject_packet_in(p, 12, frame, fl, R.delay);
        }
    }
    printf("%s %u fake nodes (%u without their switch)\n", move ? "moved" : "learned",
           n - missing, missing);
    fflush(stdout);
}

static void signal_cb(evutil_socket_t sig, short what, void *arg)
{
    (void)what;
    (void)arg;
    if (sig == SIGHUP) {
        read_delay_file();
    } else if (sig == SIGUSR1) {
        fake_all(false);
    } else if (sig == SIGUSR2) {
        fake_all(true);
    } else {
        printf("stopping: %lu probes answered, %lu packet-ins injected\n", R.probes_answered,
               R.injected);
        fflush(stdout);
        event_base_loopbreak(R.base);
    }
}

static void trace_flush_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    (void)arg;
    if (R.trace) {
        fflush(R.trace);
    }
}

static int cmd_relay(int argc, char **argv)
{
    const char *listen_at = "127.0.0.1:6654", *up = "127.0.0.1:6653", *trace = NULL;
    double delay_ms = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v) {
            fprintf(stderr, "ofrelay: %s needs a value\n", a);
            return 2;
        }
        i++;
        if (!strcmp(a, "--listen")) {
            listen_at = v;
        } else if (!strcmp(a, "--upstream")) {
            up = v;
        } else if (!strcmp(a, "--delay-ms")) {
            delay_ms = atof(v);
        } else if (!strcmp(a, "--delay-file")) {
            R.delay_file = v;
        } else if (!strcmp(a, "--trace")) {
            trace = v;
        } else if (!strcmp(a, "--fake-count-file")) {
            R.fake_count_file = v;
        } else if (!strcmp(a, "--fake")) {
            R.fake = (unsigned)atoi(v);
            if (R.fake > 3 * 250 * 240) {
                fprintf(stderr, "ofrelay: at most %u fake nodes\n", 3 * 250 * 240);
                return 2;
            }
        } else {
            fprintf(stderr, "ofrelay: unknown option %s\n", a);
            return 2;
        }
    }
    R.delay = delay_ms / 1000.0;
    struct sockaddr_in la;
    if (parse_ipport(listen_at, &la) || parse_ipport(up, &R.upstream)) {
        fprintf(stderr, "ofrelay: bad address\n");
        return 2;
    }
    if (trace && !(R.trace = fopen(trace, "w"))) {
        perror(trace);
        return 1;
    }
    signal(SIGPIPE, SIG_IGN);
    struct event_config *cfg = event_config_new();
    event_config_set_flag(cfg, EVENT_BASE_FLAG_PRECISE_TIMER);
    R.base = event_base_new_with_config(cfg);
    event_config_free(cfg);
    struct evconnlistener *l =
        evconnlistener_new_bind(R.base, accept_cb, NULL, LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_FREE,
                                64, (struct sockaddr *)&la, sizeof la);
    if (!l) {
        perror("ofrelay: listen");
        return 1;
    }
    int sigs[] = {SIGHUP, SIGUSR1, SIGUSR2, SIGTERM, SIGINT};
    struct event *se[5];
    for (int i = 0; i < 5; i++) {
        se[i] = evsignal_new(R.base, sigs[i], signal_cb, NULL);
        evsignal_add(se[i], NULL);
    }
    struct event *tf = event_new(R.base, -1, EV_PERSIST, trace_flush_cb, NULL);
    struct timeval sec = {0, 200000};
    event_add(tf, &sec);
    printf("listening on %s, upstream %s, delay %.3f ms, %u fake nodes\n", listen_at, up,
           delay_ms, R.fake);
    fflush(stdout);
    event_base_dispatch(R.base);
    while (R.pairs) {
        pair_free(R.pairs);
    }
    if (R.trace) {
        fclose(R.trace);
    }
    for (int i = 0; i < 5; i++) {
        event_free(se[i]);
    }
    event_free(tf);
    evconnlistener_free(l);
    event_base_free(R.base);
    return 0;
}

/* ================================================================ floor */

struct ofconn {
    int fd;
    uint8_t buf[1 << 16];
    size_t have;
};

static int write_all(int fd, const uint8_t *p, size_t n)
{
    while (n) {
        ssize_t k = write(fd, p, n);
        if (k < 0) {
            if (errno == EINTR) {
                continue;
            }
            if (errno == EAGAIN) {
                struct pollfd pf = {fd, POLLOUT, 0};
                poll(&pf, 1, 1000);
                continue;
            }
            return -1;
        }
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

/* Next message of type `want` (any type if 0xff) within `ms` ms; copies it
 * into out (up to cap) and returns its length, 0 on timeout, -1 on error.
 * Answers echo requests on the way. */
static ssize_t read_msg(struct ofconn *c, uint8_t want, uint8_t *out, size_t cap, int ms)
{
    double end = mono_now() + ms / 1000.0;
    for (;;) {
        while (c->have >= 8) {
            size_t len = (size_t)c->buf[2] << 8 | c->buf[3];
            if (len < 8) {
                return -1;
            }
            if (c->have < len) {
                break;
            }
            uint8_t type = c->buf[1];
            ssize_t r = -2;
            if (type == OFPT_ECHO_REQUEST) {
                c->buf[1] = OFPT_ECHO_REPLY;
                write_all(c->fd, c->buf, len);
            } else if (want == 0xff || type == want) {
                memcpy(out, c->buf, len < cap ? len : cap);
                r = (ssize_t)len;
            }
            memmove(c->buf, c->buf + len, c->have - len);
            c->have -= len;
            if (r != -2) {
                return r;
            }
        }
        double left = end - mono_now();
        if (left <= 0) {
            return 0;
        }
        struct pollfd pf = {c->fd, POLLIN, 0};
        int n = poll(&pf, 1, (int)(left * 1000) + 1);
        if (n < 0 && errno != EINTR) {
            return -1;
        }
        if (n > 0) {
            ssize_t k = read(c->fd, c->buf + c->have, sizeof c->buf - c->have);
            if (k <= 0) {
                return -1;
            }
            c->have += (size_t)k;
        }
    }
}

static int encode(const struct of_msg *m, struct obuf *b)
{
    ofperr e = of_encode(OF_VERSION_1_3, m, b);
    if (e) {
        fprintf(stderr, "ofrelay: cannot encode %s\n", of_msg_kind_name(m->kind));
    }
    return e ? -1 : 0;
}

static void put_simple(struct obuf *b, enum of_msg_kind kind, uint32_t xid)
{
    struct of_msg m;
    memset(&m, 0, sizeof m);
    m.kind = kind;
    m.xid = xid;
    if (kind == OF_HELLO) {
        m.u.hello.has_bitmap = false;
    }
    encode(&m, b);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void print_stats(const char *name, double *v, int n, bool last)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    if (n == 0) {
        printf("  \"%s\": null%s\n", name, last ? "" : ",");
        return;
    }
#define PCT(p) v[(int)((n - 1) * (p) + 0.5)]
    printf("  \"%s\": {\"n\": %d, \"p50\": %.3f, \"p90\": %.3f, \"p99\": %.3f, \"max\": %.3f, "
           "\"min\": %.3f}%s\n",
           name, n, PCT(0.5) * 1e3, PCT(0.9) * 1e3, PCT(0.99) * 1e3, v[n - 1] * 1e3, v[0] * 1e3,
           last ? "" : ",");
#undef PCT
}

static int ofconn_open(struct ofconn *c, const char *target)
{
    memset(c, 0, sizeof *c);
    if (strncmp(target, "unix:", 5)) {
        fprintf(stderr, "ofrelay: only unix: targets (%s)\n", target);
        return -1;
    }
    struct sockaddr_un su = {.sun_family = AF_UNIX};
    snprintf(su.sun_path, sizeof su.sun_path, "%s", target + 5);
    c->fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&su, sizeof su) < 0) {
        perror(target);
        return -1;
    }
    struct obuf b;
    obuf_init(&b);
    put_simple(&b, OF_HELLO, 1);
    int rc = write_all(c->fd, b.data, b.len);
    obuf_free(&b);
    uint8_t tmp[256];
    if (rc || read_msg(c, 0 /* HELLO */, tmp, sizeof tmp, 2000) <= 0) {
        fprintf(stderr, "ofrelay: no HELLO from %s\n", target);
        return -1;
    }
    return 0;
}

static int cmd_floor(int argc, char **argv)
{
    const char *targets[16];
    int nt = 0, flows = 10, rounds = 20, table = 200, probe_port = 0;
    uint32_t probe_ip = 0;
    for (int i = 0; i + 1 < argc; i += 2) {
        const char *a = argv[i], *v = argv[i + 1];
        if (!strcmp(a, "--switch") && nt < 16) {
            targets[nt++] = v;
        } else if (!strcmp(a, "--flows")) {
            flows = atoi(v);
        } else if (!strcmp(a, "--rounds")) {
            rounds = atoi(v);
        } else if (!strcmp(a, "--table")) {
            table = atoi(v);
        } else if (!strcmp(a, "--probe-port")) {
            probe_port = atoi(v);
        } else if (!strcmp(a, "--probe-ip")) {
            struct in_addr ia;
            if (inet_pton(AF_INET, v, &ia) != 1) {
                return 2;
            }
            probe_ip = ntohl(ia.s_addr);
        } else {
            fprintf(stderr, "ofrelay floor: unknown option %s\n", a);
            return 2;
        }
    }
    if (nt == 0 || flows < 1 || rounds < 1) {
        fprintf(stderr, "ofrelay floor: --switch unix:PATH [--switch ...] --flows N\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    static struct ofconn conns[16];
    for (int i = 0; i < nt; i++) {
        if (ofconn_open(&conns[i], targets[i])) {
            return 1;
        }
    }
    /* The N flow-mods (the same for every bridge) + a barrier. */
    const uint64_t cookie = 0x464c4f4f52000000ull;
    struct obuf add, del;
    obuf_init(&add);
    obuf_init(&del);
    struct of_msg m;
    for (int j = 0; j < flows; j++) {
        memset(&m, 0, sizeof m);
        m.kind = OF_FLOW_MOD;
        m.xid = (uint32_t)(100 + j);
        struct of_flow_mod *fm = &m.u.flow_mod;
        of_flow_mod_init(fm, OFPFC_ADD);
        fm->cookie = cookie | (uint64_t)j;
        fm->table_id = (uint8_t)table;
        fm->priority = 30000;
        of_match_init(&fm->match);
        of_match_set_eth_type(&fm->match, 0x0800);
        uint32_t ip = (10u << 24) | (250u << 16) | (uint32_t)(j + 1);
        of_match_set_ipv4_dst(&fm->match, ip, 0xffffffffu);
        union of_field_value v;
        memset(&v, 0, sizeof v);
        v.u32 = ip ^ 0x00ff0000u;
        fm->insts.present = OFIB_APPLY_ACTIONS;
        of_actions_set_field(&fm->insts.apply, OFF_IPV4_DST, v);
        memset(&v, 0, sizeof v);
        v.mac = (struct eth_addr){{0x02, 0, 0, 0, 0x09, 0x01}};
        of_actions_set_field(&fm->insts.apply, OFF_ETH_DST, v);
        of_actions_output(&fm->insts.apply, 1, 0);
        if (encode(&m, &add)) {
            return 1;
        }
    }
    put_simple(&add, OF_BARRIER_REQUEST, 7);
    memset(&m, 0, sizeof m);
    m.kind = OF_FLOW_MOD;
    m.xid = 8;
    of_flow_mod_init(&m.u.flow_mod, OFPFC_DELETE);
    m.u.flow_mod.table_id = (uint8_t)table;
    m.u.flow_mod.cookie = cookie;
    m.u.flow_mod.cookie_mask = 0xffffffffff000000ull;
    of_match_init(&m.u.flow_mod.match);
    if (encode(&m, &del)) {
        return 1;
    }
    put_simple(&del, OF_BARRIER_REQUEST, 9);

    double *t_add = calloc((size_t)rounds, sizeof(double));
    double *t_del = calloc((size_t)rounds, sizeof(double));
    double *t_echo = calloc((size_t)rounds, sizeof(double));
    double *t_probe = calloc((size_t)rounds, sizeof(double));
    int n_probe = 0, n_err = 0;
    uint8_t tmp[2048];
    for (int r = 0; r < rounds; r++) {
        for (int pass = 0; pass < 2; pass++) {
            struct obuf *b = pass ? &del : &add;
            double t0 = mono_now();
            for (int i = 0; i < nt; i++) {
                if (write_all(conns[i].fd, b->data, b->len)) {
                    return 1;
                }
            }
            for (int i = 0; i < nt; i++) {
                for (;;) {
                    ssize_t k = read_msg(&conns[i], 0xff, tmp, sizeof tmp, 5000);
                    if (k <= 0) {
                        fprintf(stderr, "ofrelay floor: no barrier reply from %s\n", targets[i]);
                        return 1;
                    }
                    if (tmp[1] == 1 /* ERROR */) {
                        n_err++;
                    }
                    if (tmp[1] == 21 /* BARRIER_REPLY */) {
                        break;
                    }
                }
            }
            (pass ? t_del : t_add)[r] = mono_now() - t0;
        }
        struct obuf e;
        obuf_init(&e);
        put_simple(&e, OF_ECHO_REQUEST, 11);
        double t0 = mono_now();
        write_all(conns[0].fd, e.data, e.len);
        if (read_msg(&conns[0], OFPT_ECHO_REPLY, tmp, sizeof tmp, 2000) > 0) {
            t_echo[r] = mono_now() - t0;
        }
        obuf_free(&e);
    }
    if (probe_port && probe_ip) {
        /* Ask for Packet-Ins on this service connection. */
        struct obuf b;
        obuf_init(&b);
        memset(&m, 0, sizeof m);
        m.kind = OF_SET_CONFIG;
        m.xid = 12;
        m.u.config.miss_send_len = OFPCML_NO_BUFFER;
        encode(&m, &b);
        write_all(conns[0].fd, b.data, b.len);
        usleep(100000);
        struct eth_addr me = {{0x02, 0x46, 0x4c, 0x4f, 0x4f, 0x52}};
        static const struct eth_addr bc = {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};
        uint8_t frame[64];
        size_t fl = pkt_build_arp(frame, sizeof frame, bc, me, PKT_ARP_OP_REQUEST, me, 0,
                                  (struct eth_addr){{0}}, probe_ip);
        for (int r = 0; r < rounds; r++) {
            obuf_clear(&b);
            memset(&m, 0, sizeof m);
            m.kind = OF_PACKET_OUT;
            m.xid = (uint32_t)(1000 + r);
            m.u.packet_out.buffer_id = OFP_NO_BUFFER;
            m.u.packet_out.in_port = OFPP_CONTROLLER;
            of_actions_output(&m.u.packet_out.actions, (uint32_t)probe_port, 0);
            m.u.packet_out.data = frame;
            m.u.packet_out.data_len = fl;
            encode(&m, &b);
            double t0 = mono_now();
            write_all(conns[0].fd, b.data, b.len);
            while (mono_now() - t0 < 1.0) {
                ssize_t k = read_msg(&conns[0], OFPT_PACKET_IN, tmp, sizeof tmp, 1000);
                if (k <= 0) {
                    break;
                }
                struct of_msg pm;
                struct pkt_info pi;
                if (of_decode(tmp, (size_t)k, &pm) == 0 && pm.u.packet_in.data &&
                    pkt_parse(pm.u.packet_in.data, pm.u.packet_in.data_len, &pi) == PKT_OK &&
                    pi.kind == PKT_KIND_ARP && pi.arp.op == PKT_ARP_OP_REPLY &&
                    pi.arp.spa == probe_ip) {
                    t_probe[n_probe++] = mono_now() - t0;
                    break;
                }
            }
            usleep(20000);
        }
        obuf_free(&b);
    }
    printf("{\n  \"switches\": %d,\n  \"flows_per_switch\": %d,\n  \"rounds\": %d,\n"
           "  \"errors\": %d,\n",
           nt, flows, rounds, n_err);
    print_stats("flow_mods_barrier_ms", t_add, rounds, false);
    print_stats("delete_barrier_ms", t_del, rounds, false);
    print_stats("echo_ms", t_echo, rounds, false);
    print_stats("probe_packet_in_ms", t_probe, n_probe, true);
    printf("}\n");
    obuf_free(&add);
    obuf_free(&del);
    for (int i = 0; i < nt; i++) {
        close(conns[i].fd);
    }
    return 0;
}

/* The data path's own lag: how long after Open vSwitch answered the barrier
 * its datapath obeys the new rule. R rounds of: a drop rule for IPv4 to
 * --dst at the top of table 0 + barrier, G ms, its removal + barrier, G ms.
 * Prints the wall time of each barrier reply (JSON); the caller compares
 * them with the arrival times of probes it sends through the switch. */
static int cmd_dpfloor(int argc, char **argv)
{
    const char *target = NULL;
    int rounds = 20, gap_ms = 100;
    uint32_t dst = 0;
    for (int i = 0; i + 1 < argc; i += 2) {
        const char *a = argv[i], *v = argv[i + 1];
        struct in_addr ia;
        if (!strcmp(a, "--switch")) {
            target = v;
        } else if (!strcmp(a, "--rounds")) {
            rounds = atoi(v);
        } else if (!strcmp(a, "--gap-ms")) {
            gap_ms = atoi(v);
        } else if (!strcmp(a, "--dst") && inet_pton(AF_INET, v, &ia) == 1) {
            dst = ntohl(ia.s_addr);
        } else {
            fprintf(stderr, "ofrelay dpfloor: bad option %s %s\n", a, v);
            return 2;
        }
    }
    if (!target || !dst || rounds < 1 || rounds > 10000 || gap_ms < 1) {
        fprintf(stderr, "ofrelay dpfloor: --switch unix:PATH --dst A.B.C.D [--rounds R] "
                        "[--gap-ms G]\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    static struct ofconn conn;
    if (ofconn_open(&conn, target)) {
        return 1;
    }
    struct obuf msgs[2];
    for (int pass = 0; pass < 2; pass++) {
        struct of_msg m;
        memset(&m, 0, sizeof m);
        m.kind = OF_FLOW_MOD;
        m.xid = (uint32_t)(20 + pass);
        struct of_flow_mod *fm = &m.u.flow_mod;
        of_flow_mod_init(fm, pass ? OFPFC_DELETE_STRICT : OFPFC_ADD);
        fm->cookie = 0x4450464c4f4f5200ull; /* "DPFLOOR" */
        fm->table_id = 0;
        fm->priority = 65535;
        of_match_init(&fm->match);
        of_match_set_eth_type(&fm->match, 0x0800);
        of_match_set_ipv4_dst(&fm->match, dst, 0xffffffffu);
        obuf_init(&msgs[pass]);
        if (encode(&m, &msgs[pass])) {
            return 1;
        }
        put_simple(&msgs[pass], OF_BARRIER_REQUEST, (uint32_t)(30 + pass));
    }
    uint8_t tmp[2048];
    printf("{\n  \"rounds\": [");
    for (int r = 0; r < rounds; r++) {
        double at[2];
        for (int pass = 0; pass < 2; pass++) {
            if (write_all(conn.fd, msgs[pass].data, msgs[pass].len)) {
                return 1;
            }
            for (;;) {
                ssize_t k = read_msg(&conn, 0xff, tmp, sizeof tmp, 5000);
                if (k <= 0) {
                    fprintf(stderr, "ofrelay dpfloor: no barrier reply from %s\n", target);
                    return 1;
                }
                if (tmp[1] == 1 /* ERROR */) {
                    fprintf(stderr, "ofrelay dpfloor: the switch refused the rule\n");
                    return 1;
                }
                if (tmp[1] == 21 /* BARRIER_REPLY */) {
                    break;
                }
            }
            at[pass] = wall_now();
            usleep((useconds_t)gap_ms * 1000);
        }
        printf("%s\n    {\"blocked\": %.6f, \"unblocked\": %.6f}", r ? "," : "", at[0], at[1]);
        fflush(stdout);
    }
    printf("\n  ]\n}\n");
    obuf_free(&msgs[0]);
    obuf_free(&msgs[1]);
    close(conn.fd);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "dpfloor")) {
        return cmd_dpfloor(argc - 2, argv + 2);
    }
    if (argc >= 2 && !strcmp(argv[1], "relay")) {
        return cmd_relay(argc - 2, argv + 2);
    }
    if (argc >= 2 && !strcmp(argv[1], "floor")) {
        return cmd_floor(argc - 2, argv + 2);
    }
    fprintf(stderr, "usage: ofrelay relay|floor|dpfloor OPTIONS (see the top of tests/tools/ofrelay.c)\n");
    return 2;
}
