/* core.c - the core object: options, listeners (TCP and TLS), applications,
 * the switch list and registry, statistics. */
#include "core/core_internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "core/tls.h"
#include "util/log.h"

#define MOD "core"

void core_options_default(struct core_options *o)
{
    o->versions = CORE_VERSIONS_ALL;
    o->echo_interval_s = 5.0;
    o->echo_misses = 3;
    o->handshake_timeout_s = 10.0;
    o->max_queue_bytes = 16u << 20;
    o->barrier_timeout_s = 10.0;
}

static void reap(evutil_socket_t fd, short what, void *arg)
{
    struct mf_core *core = arg;
    struct mf_switch *sw;
    while ((sw = TAILQ_FIRST(&core->dead))) {
        TAILQ_REMOVE(&core->dead, sw, dead_node);
        channel_free(sw);
    }
}

struct mf_core *core_create(struct event_base *base, const struct core_options *opts)
{
    if ((opts->versions & CORE_VERSIONS_ALL) == 0 || (opts->versions & ~CORE_VERSIONS_ALL)) {
        return NULL; /* the daemon's configuration checks this first */
    }
    struct mf_core *core = calloc(1, sizeof *core);
    if (!core) {
        return NULL;
    }
    core->base = base;
    core->opts = *opts;
    TAILQ_INIT(&core->all);
    TAILQ_INIT(&core->flushing);
    TAILQ_INIT(&core->dead);
    core->reaper = event_new(base, -1, 0, reap, core);
    obuf_init(&core->tx);
    return core;
}

void core_destroy(struct mf_core *core)
{
    for (unsigned i = 0; i < core->n_listeners; i++) {
        evconnlistener_free(core->listeners[i]);
    }
    struct mf_switch *sw;
    while ((sw = TAILQ_FIRST(&core->all))) {
        channel_close(sw, false);
    }
    while ((sw = TAILQ_FIRST(&core->flushing))) { /* their last words are lost */
        TAILQ_REMOVE(&core->flushing, sw, dead_node);
        TAILQ_INSERT_TAIL(&core->dead, sw, dead_node);
    }
    reap(-1, 0, core);
    event_free(core->reaper);
    obuf_free(&core->tx);
    tls_ctx_free(core->tls);
    free(core);
}

/* "ADDR:PORT" or "[ADDR6]:PORT" into address[len]. */
static void format_peer(const struct sockaddr *sa, char *address, size_t len)
{
    char host[INET6_ADDRSTRLEN] = "?";
    unsigned port = 0;
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;
        inet_ntop(AF_INET, &sin->sin_addr, host, sizeof host);
        port = ntohs(sin->sin_port);
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;
        inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof host);
        port = ntohs(sin6->sin6_port);
    }
    snprintf(address, len, sa->sa_family == AF_INET6 ? "[%s]:%u" : "%s:%u", host, port);
}

static void on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int len,
                      void *arg)
{
    char address[80];
    format_peer(sa, address, sizeof address);
    channel_accept(arg, fd, address);
}

static void on_accept_tls(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
                          int len, void *arg)
{
    char address[80];
    format_peer(sa, address, sizeof address);
    channel_accept_tls(arg, fd, address);
}

static void on_accept_error(struct evconnlistener *l, void *arg)
{
    /* EMFILE and friends: log and carry on; the listener retries. */
    LOG_RL(LOG_ERROR, MOD, "accept failed: %s", strerror(errno));
}

/* Parses "KIND:PORT", "KIND:ADDR:PORT" or "KIND:[ADDR6]:PORT", KIND being
 * tcp or ssl (*tls set for ssl). */
static int parse_listen_spec(const char *spec, struct sockaddr_storage *ss, socklen_t *len,
                             bool *tls)
{
    if (strncmp(spec, "tcp:", 4) != 0 && strncmp(spec, "ssl:", 4) != 0) {
        return -1;
    }
    *tls = spec[0] == 's';
    const char *rest = spec + 4;
    char host[INET6_ADDRSTRLEN + 2] = "0.0.0.0";
    const char *port_s = rest;
    const char *colon = strrchr(rest, ':');
    if (colon) {
        size_t hl = (size_t)(colon - rest);
        if (hl == 0 || hl >= sizeof host) {
            return -1;
        }
        memcpy(host, rest, hl);
        host[hl] = '\0';
        port_s = colon + 1;
    }
    char *end;
    errno = 0;
    long port = strtol(port_s, &end, 10);
    if (*port_s == '\0' || *end != '\0' || errno || port < 1 || port > 65535) {
        return -1;
    }
    memset(ss, 0, sizeof *ss);
    size_t hl = strlen(host);
    if (host[0] == '[' && hl > 2 && host[hl - 1] == ']') {
        host[hl - 1] = '\0';
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons((uint16_t)port);
        *len = sizeof *s6;
        return inet_pton(AF_INET6, host + 1, &s6->sin6_addr) == 1 ? 0 : -1;
    }
    struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
    s4->sin_family = AF_INET;
    s4->sin_port = htons((uint16_t)port);
    *len = sizeof *s4;
    return inet_pton(AF_INET, host, &s4->sin_addr) == 1 ? 0 : -1;
}

bool core_listen_spec_valid(const char *spec)
{
    struct sockaddr_storage ss;
    socklen_t len;
    bool tls;
    return parse_listen_spec(spec, &ss, &len, &tls) == 0;
}

bool core_listen_spec_tls(const char *spec)
{
    struct sockaddr_storage ss;
    socklen_t len;
    bool tls = false;
    return parse_listen_spec(spec, &ss, &len, &tls) == 0 && tls;
}

int core_set_tls(struct mf_core *core, const struct tls_files *f, char *err, size_t errlen)
{
    if (core->tls) {
        snprintf(err, errlen, "TLS settings already loaded");
        return -1;
    }
    core->tls = tls_ctx_create(f, NULL, err, errlen);
    return core->tls ? 0 : -1;
}

int core_listen(struct mf_core *core, const char *spec, char *err, size_t errlen)
{
    struct sockaddr_storage ss;
    socklen_t len;
    bool tls;
    if (parse_listen_spec(spec, &ss, &len, &tls) != 0) {
        snprintf(err, errlen,
                 "bad listen address '%s' (expected tcp:[ADDR:]PORT or ssl:[ADDR:]PORT)", spec);
        return -1;
    }
    if (tls && !core->tls) {
        snprintf(err, errlen, "listen address '%s' needs TLS settings (private key, "
                 "certificate, CA certificate)", spec);
        return -1;
    }
    if (core->n_listeners >= sizeof core->listeners / sizeof core->listeners[0]) {
        snprintf(err, errlen, "too many listeners");
        return -1;
    }
    struct evconnlistener *l = evconnlistener_new_bind(
        core->base, tls ? on_accept_tls : on_accept, core,
        LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, 1024, (struct sockaddr *)&ss, (int)len);
    if (!l) {
        snprintf(err, errlen, "cannot listen on %s: %s", spec, strerror(errno));
        return -1;
    }
    evconnlistener_set_error_cb(l, on_accept_error);
    core->listeners[core->n_listeners++] = l;
    LOG_INF(MOD, "listening on %s", spec);
    return 0;
}

void core_add_app(struct mf_core *core, struct mf_app *app)
{
    if (core->n_apps < CORE_MAX_APPS) {
        core->apps[core->n_apps++] = app;
    }
}

const struct core_stats *core_get_stats(const struct mf_core *core)
{
    return &core->stats;
}

const char *core_reject_name(enum core_reject r)
{
    static const char *const names[] = {
#define CORE_NAME_OFPERR(name, type, code) #name,
        OFPERR_LIST(CORE_NAME_OFPERR)
#undef CORE_NAME_OFPERR
#define CORE_NAME(name, str) str,
        CORE_REJECT_REASONS(CORE_NAME)
#undef CORE_NAME
    };
    return (unsigned)r < CORE_N_REJECT ? names[r] : "unknown";
}

enum core_reject core_reject_of_ofperr(ofperr err)
{
    switch (err) {
#define CORE_CASE(name, type, code) \
    case OFPERR_##name:             \
        return CORE_REJECT_OFP_##name;
        OFPERR_LIST(CORE_CASE)
#undef CORE_CASE
    default:
        return CORE_REJECT_OTHER_CODEC_ERROR;
    }
}

void core_count_reject(struct mf_core *core, enum core_reject r)
{
    if ((unsigned)r < CORE_N_REJECT) {
        core->stats.rejected[r]++;
    }
}

const char *sw_state_name(enum sw_state s)
{
    static const char *const names[] = {"hello_wait", "features_wait", "conflict_wait",
                                        "ports_wait", "ready"};
    return (unsigned)s < sizeof names / sizeof names[0] ? names[s] : "unknown";
}

const char *core_version_name(uint8_t version)
{
    switch (version) {
    case OF_VERSION_1_0:
        return "1.0";
    case OF_VERSION_1_3:
        return "1.3";
    default:
        return NULL;
    }
}

const struct sw_info *sw_get_info(const struct mf_switch *sw)
{
    return &sw->info;
}

static int by_port_no(const struct sw_port *a, const struct sw_port *b)
{
    return a->port_no < b->port_no ? -1 : a->port_no > b->port_no;
}

size_t sw_get_ports(const struct mf_switch *sw, struct of_port *out, size_t max)
{
    struct mf_switch *msw = (struct mf_switch *)sw; /* sorting reorders, not changes */
    HASH_SORT(msw->ports, by_port_no);
    size_t n = 0;
    for (struct sw_port *sp = sw->ports; sp; sp = sp->hh.next, n++) {
        if (n < max) {
            out[n] = sp->port;
        }
    }
    return n;
}

struct mf_switch *core_find_switch(struct mf_core *core, uint64_t dpid)
{
    struct mf_switch *sw;
    HASH_FIND(hh, core->by_dpid, &dpid, sizeof dpid, sw);
    return sw && sw->info.state == SW_READY ? sw : NULL;
}

void core_foreach_switch(struct mf_core *core, void (*fn)(struct mf_switch *, void *), void *arg)
{
    struct mf_switch *sw, *next;
    for (sw = TAILQ_FIRST(&core->all); sw; sw = next) {
        next = TAILQ_NEXT(sw, all_node); /* fn may close sw */
        fn(sw, arg);
    }
}

size_t core_n_switches(const struct mf_core *core, bool ready_only)
{
    size_t n = 0;
    const struct mf_switch *sw;
    TAILQ_FOREACH(sw, &core->all, all_node) {
        n += !ready_only || sw->info.state == SW_READY;
    }
    return n;
}
