/* pktdelay.c - a delaying Ethernet forwarder between two interfaces, the
 * stand-in for a wide-area link in scripts/bench-disruption.sh (these
 * kernels have no netem).
 *
 *   pktdelay IFACE_A IFACE_B DELAY_MS [DELAY_FILE]
 *
 * Every frame received on one interface leaves the other DELAY_MS later
 * (0: at once), in the order it came, each direction on its own. SIGHUP
 * re-reads the delay (ms) from DELAY_FILE; frames already queued keep the
 * time they were given, and none leaves before the one in front of it. Raw
 * AF_PACKET sockets, our own transmissions ignored; libevent's precise
 * timers. At most PKTDELAY_QUEUE_MAX frames wait per direction; beyond, a
 * frame is dropped and counted (a link that is full). SIGTERM / SIGINT
 * print the counts and exit 0. The interfaces should have offloads off
 * (the testbed does that for every veth), so frames are never larger than
 * the MTU plus headers. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>

#define PKTDELAY_FRAME_MAX 9216
#define PKTDELAY_QUEUE_MAX 65536

#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING 23
#endif

struct frame {
    TAILQ_ENTRY(frame) link;
    struct timeval due;
    size_t len;
    unsigned char data[];
};
TAILQ_HEAD(frame_queue, frame);

/* One direction: frames read from `in_fd` wait in `queue`, then go to
 * `out_fd`. */
struct direction {
    const char *name;
    int in_fd, out_fd;
    struct frame_queue queue;
    size_t queued;
    struct event *readable, *timer;
    unsigned long long forwarded, dropped_full, send_errors;
};

static struct timeval delay_tv;
static struct event_base *base;

static int open_port(const char *ifname)
{
    unsigned idx = if_nametoindex(ifname);
    if (!idx) {
        fprintf(stderr, "pktdelay: no interface %s\n", ifname);
        return -1;
    }
    int fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(ETH_P_ALL));
    if (fd < 0) {
        perror("pktdelay: socket(AF_PACKET)");
        return -1;
    }
    struct sockaddr_ll sll = {.sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL),
                              .sll_ifindex = (int)idx};
    int one = 1;
    struct packet_mreq mr = {.mr_ifindex = (int)idx, .mr_type = PACKET_MR_PROMISC};
    if (bind(fd, (struct sockaddr *)&sll, sizeof sll) < 0 ||
        setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof mr) < 0 ||
        setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one) < 0) {
        fprintf(stderr, "pktdelay: %s: %s\n", ifname, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

static void arm_timer(struct direction *d)
{
    struct frame *f = TAILQ_FIRST(&d->queue);
    if (!f) {
        return;
    }
    struct timeval now, wait = {0, 0};
    evutil_gettimeofday(&now, NULL);
    if (timercmp(&f->due, &now, >)) {
        timersub(&f->due, &now, &wait);
    }
    evtimer_add(d->timer, &wait);
}

static void send_due(evutil_socket_t fd, short what, void *arg)
{
    struct direction *d = arg;
    struct timeval now;
    evutil_gettimeofday(&now, NULL);
    struct frame *f;
    while ((f = TAILQ_FIRST(&d->queue)) && !timercmp(&f->due, &now, >)) {
        TAILQ_REMOVE(&d->queue, f, link);
        d->queued--;
        if (send(d->out_fd, f->data, f->len, 0) == (ssize_t)f->len) {
            d->forwarded++;
        } else {
            d->send_errors++;
        }
        free(f);
    }
    arm_timer(d);
}

static void read_frames(evutil_socket_t fd, short what, void *arg)
{
    struct direction *d = arg;
    unsigned char buf[PKTDELAY_FRAME_MAX];
    for (;;) {
        ssize_t n = recv(d->in_fd, buf, sizeof buf, 0);
        if (n <= 0) {
            return; /* EAGAIN: drained */
        }
        if (d->queued >= PKTDELAY_QUEUE_MAX) {
            d->dropped_full++;
            continue;
        }
        struct frame *f = malloc(sizeof *f + (size_t)n);
        if (!f) {
            d->dropped_full++;
            continue;
        }
        f->len = (size_t)n;
        memcpy(f->data, buf, (size_t)n);
        struct timeval now;
        evutil_gettimeofday(&now, NULL);
        timeradd(&now, &delay_tv, &f->due);
        bool was_empty = TAILQ_EMPTY(&d->queue);
        TAILQ_INSERT_TAIL(&d->queue, f, link);
        d->queued++;
        if (was_empty) {
            arm_timer(d);
        }
    }
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    event_base_loopexit(base, NULL);
}

/* Parses a delay in ms (0 to 10 s) into delay_tv; false if it is not one. */
static bool set_delay(const char *text)
{
    char *end;
    double ms = strtod(text, &end);
    while (*end == '\n' || *end == ' ') {
        end++;
    }
    if (end == text || *end || !(ms >= 0 && ms <= 10000)) {
        return false;
    }
    long us = (long)(ms * 1000 + 0.5);
    delay_tv.tv_sec = us / 1000000;
    delay_tv.tv_usec = us % 1000000;
    return true;
}

static const char *delay_file;

static void on_hangup(evutil_socket_t sig, short what, void *arg)
{
    char text[32] = "";
    FILE *f = fopen(delay_file, "r");
    if (!f || !fgets(text, sizeof text, f) || !set_delay(text)) {
        printf("pktdelay: %s: no delay in ms there; keeping the old one\n", delay_file);
    } else {
        printf("pktdelay: delay now %ld.%03ld ms each way\n",
               (long)delay_tv.tv_sec * 1000 + (long)delay_tv.tv_usec / 1000,
               (long)delay_tv.tv_usec % 1000);
    }
    if (f) {
        fclose(f);
    }
    fflush(stdout);
}

int main(int argc, char **argv)
{
    if (argc != 4 && argc != 5) {
        fprintf(stderr, "usage: pktdelay IFACE_A IFACE_B DELAY_MS [DELAY_FILE]\n");
        return 2;
    }
    if (!set_delay(argv[3])) {
        fprintf(stderr, "pktdelay: bad delay '%s' (ms, 0 to 10000)\n", argv[3]);
        return 2;
    }
    delay_file = argc == 5 ? argv[4] : NULL;

    int fd_a = open_port(argv[1]), fd_b = open_port(argv[2]);
    if (fd_a < 0 || fd_b < 0) {
        return 1;
    }
    struct event_config *cfg = event_config_new();
    event_config_set_flag(cfg, EVENT_BASE_FLAG_PRECISE_TIMER);
    base = event_base_new_with_config(cfg);
    event_config_free(cfg);
    if (!base) {
        fprintf(stderr, "pktdelay: no event base\n");
        return 1;
    }
    struct direction dirs[2] = {
        {.name = "a->b", .in_fd = fd_a, .out_fd = fd_b},
        {.name = "b->a", .in_fd = fd_b, .out_fd = fd_a},
    };
    for (int i = 0; i < 2; i++) {
        struct direction *d = &dirs[i];
        TAILQ_INIT(&d->queue);
        d->readable = event_new(base, d->in_fd, EV_READ | EV_PERSIST, read_frames, d);
        d->timer = evtimer_new(base, send_due, d);
        if (!d->readable || !d->timer || event_add(d->readable, NULL) < 0) {
            fprintf(stderr, "pktdelay: event set-up failed\n");
            return 1;
        }
    }
    struct event *term = evsignal_new(base, SIGTERM, on_signal, NULL);
    struct event *intr = evsignal_new(base, SIGINT, on_signal, NULL);
    struct event *hup = delay_file ? evsignal_new(base, SIGHUP, on_hangup, NULL) : NULL;
    evsignal_add(term, NULL);
    evsignal_add(intr, NULL);
    if (hup) {
        evsignal_add(hup, NULL);
    } else {
        signal(SIGHUP, SIG_IGN);
    }
    printf("pktdelay: %s <-> %s, %s ms each way\n", argv[1], argv[2], argv[3]);
    fflush(stdout);
    event_base_dispatch(base);
    for (int i = 0; i < 2; i++) {
        struct direction *d = &dirs[i];
        printf("pktdelay: %s forwarded %llu, dropped (queue full) %llu, send errors %llu, "
               "still queued %zu\n",
               d->name, d->forwarded, d->dropped_full, d->send_errors, d->queued);
        struct frame *f;
        while ((f = TAILQ_FIRST(&d->queue))) {
            TAILQ_REMOVE(&d->queue, f, link);
            free(f);
        }
        event_free(d->readable);
        event_free(d->timer);
    }
    event_free(term);
    event_free(intr);
    if (hup) {
        event_free(hup);
    }
    event_base_free(base);
    close(fd_a);
    close(fd_b);
    return 0;
}
