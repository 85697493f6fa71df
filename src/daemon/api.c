/* api.c - the control socket server (libevent bufferevents on a unix
 * socket). One request line, one JSON answer, close. The server keeps a
 * list of its open clients: api_stop() closes them all, and a pending
 * `ping` whose client is gone answers nobody. */
#include "daemon/api.h"

#include <errno.h>
#include "core/core.h"
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/queue.h>
#include <sys/un.h>
#include <unistd.h>

#include "app/mobility/mobility.h"
#include "util/log.h"

#define MOD "api"
#define API_MAX_REQUEST 256

/* One connected client, from accept to close. Every client is on its
 * server's list, so that api_stop() can close the ones still open. */
struct api_client {
    struct api_server *api;
    struct bufferevent *bev;
    struct pending_ping *ping; /* a `ping` waiting for its barrier reply */
    LIST_ENTRY(api_client) node;
};

struct api_server {
    struct mf_core *core;
    struct mob_app *mob; /* NULL without sites */
    struct evconnlistener *listener;
    char *path;
    LIST_HEAD(, api_client) clients;
};

/* `ping DPID`: a BARRIER_REQUEST to the switch, answered when its reply
 * arrives (the only request answered later). The client may go away first
 * (or the daemon stop): then the answer has nowhere to go and is dropped.
 * Owned by the batch: freed in on_ping_done, which runs exactly once. */
struct pending_ping {
    struct api_client *client; /* NULL once the client went away */
    uint64_t dpid;
};

/* Closes the connection and frees the client; a ping it waits for stays
 * with its batch and answers nobody. */
static void client_free(struct api_client *c)
{
    if (c->ping) {
        c->ping->client = NULL;
    }
    LIST_REMOVE(c, node);
    bufferevent_free(c->bev);
    free(c);
}

static void on_client_written(struct bufferevent *bev, void *arg)
{
    client_free(arg); /* the whole answer is out */
}

static void on_client_event(struct bufferevent *bev, short what, void *arg)
{
    if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT)) {
        client_free(arg);
    }
}

/* Writes the answer (takes ownership of doc) and closes the connection
 * once it is out. */
static void send_answer(struct api_client *c, json_t *doc)
{
    char *text = json_dumps(doc, JSON_COMPACT | JSON_REAL_PRECISION(9));
    json_decref(doc);
    struct evbuffer *out = bufferevent_get_output(c->bev);
    if (text) {
        evbuffer_add(out, text, strlen(text));
        free(text);
    } else {
        evbuffer_add_printf(out, "{\"error\":\"out of memory\"}");
    }
    evbuffer_add(out, "\n", 1);
    bufferevent_setcb(c->bev, NULL, on_client_written, on_client_event, c);
    bufferevent_enable(c->bev, EV_WRITE);
}

static void on_ping_done(struct mf_switch *sw, const struct sw_batch_result *r, void *arg)
{
    struct pending_ping *pp = arg;
    struct api_client *c = pp->client;
    if (c) {
        json_t *doc;
        char dpid[17];
        snprintf(dpid, sizeof dpid, "%016llx", (unsigned long long)pp->dpid);
        if (r->status == SW_BATCH_OK) {
            doc = json_pack("{s:s, s:s, s:f}", "dpid", dpid, "result", "barrier reply",
                            "rtt_ms", r->elapsed_us / 1000.0);
        } else {
            doc = json_pack("{s:s, s:s}", "dpid", dpid, "error", "switch went away");
        }
        c->ping = NULL;
        send_answer(c, doc);
    }
    free(pp);
}

static json_t *start_ping(struct api_server *api, struct api_client *c, const char *arg)
{
    char *end;
    errno = 0;
    unsigned long long dpid = strtoull(arg, &end, 16);
    if (*arg == '\0' || *end != '\0' || errno) {
        return json_pack("{s:s}", "error", "ping needs a dpid (hex, as matflowctl switches shows)");
    }
    struct mf_switch *sw = core_find_switch(api->core, dpid);
    if (!sw) {
        return json_pack("{s:s}", "error", "no ready switch has that dpid");
    }
    if (!c) {
        return json_pack("{s:s}", "error", "ping needs a connected client");
    }
    struct pending_ping *pp = calloc(1, sizeof *pp);
    if (!pp) {
        return json_pack("{s:s}", "error", "out of memory");
    }
    pp->client = c;
    pp->dpid = dpid;
    c->ping = pp;
    /* Only a close is watched meanwhile (the request is read). */
    bufferevent_setcb(c->bev, NULL, NULL, on_client_event, c);
    sw_batch_commit(sw_batch_begin(sw), on_ping_done, pp); /* may answer at once */
    return NULL;
}

/* A request line is a command and its arguments, separated by spaces. */
static json_t *dispatch(struct api_server *api, struct api_client *c, char *line)
{
    char *args[4] = {NULL};
    unsigned n = 0;
    for (char *save = NULL, *w = strtok_r(line, " ", &save); w && n < 4;
         w = strtok_r(NULL, " ", &save)) {
        args[n++] = w;
    }
    const char *cmd = n ? args[0] : "";
    if (!strcmp(cmd, "switches") && n == 1) {
        return api_json_switches(api->core);
    }
    if (!strcmp(cmd, "stats") && n == 1) {
        return api_json_stats(api->core, api->mob);
    }
    if (!strcmp(cmd, "ping") && n == 2) {
        return start_ping(api, c, args[1]);
    }
    bool mobility_cmd = !strcmp(cmd, "bindings") || !strcmp(cmd, "sites") ||
                        !strcmp(cmd, "events") || !strcmp(cmd, "migrate");
    if (mobility_cmd && !api->mob) {
        return json_pack("{s:s}", "error", "no sites configured: the mobility application is off");
    }
    if (!strcmp(cmd, "bindings") && n == 1) {
        return mobility_json_bindings(api->mob);
    }
    if (!strcmp(cmd, "sites") && n == 1) {
        return mobility_json_sites(api->mob);
    }
    if (!strcmp(cmd, "events") && n == 1) {
        return mobility_json_events(api->mob);
    }
    if (!strcmp(cmd, "migrate") && n == 3) {
        return mobility_migrate(api->mob, args[1], args[2]);
    }
    return json_pack("{s:s}", "error", "unknown command or wrong arguments");
}

json_t *api_answer(struct api_server *api, struct api_client *c, char *line)
{
    json_t *doc = dispatch(api, c, line);
    if (!doc && !(c && c->ping)) {
        /* A builder failed (out of memory, text jansson refused): the
         * client gets an answer all the same, not a hang. */
        LOG_ERR(MOD, "no answer could be built for a request");
        doc = json_pack("{s:s}", "error", "internal error: no answer could be built");
    }
    return doc;
}

static void on_client_read(struct bufferevent *bev, void *arg)
{
    struct api_client *c = arg;
    struct evbuffer *in = bufferevent_get_input(bev);
    size_t n;
    char *line = evbuffer_readln(in, &n, EVBUFFER_EOL_LF);
    if (!line) {
        if (evbuffer_get_length(in) > API_MAX_REQUEST) {
            client_free(c); /* not a request we could ever answer */
        }
        return;
    }
    bufferevent_disable(bev, EV_READ);
    json_t *doc = api_answer(c->api, c, line);
    free(line);
    if (doc) {
        send_answer(c, doc);
    }
}

static void on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int len,
                      void *arg)
{
    struct api_server *api = arg;
    struct api_client *c = calloc(1, sizeof *c);
    struct bufferevent *bev =
        c ? bufferevent_socket_new(evconnlistener_get_base(l), fd, BEV_OPT_CLOSE_ON_FREE) : NULL;
    if (!bev) {
        free(c);
        close(fd);
        return;
    }
    c->api = api;
    c->bev = bev;
    LIST_INSERT_HEAD(&api->clients, c, node);
    struct timeval tv = {5, 0};
    bufferevent_set_timeouts(bev, &tv, &tv);
    bufferevent_setcb(bev, on_client_read, NULL, on_client_event, c);
    bufferevent_enable(bev, EV_READ | EV_WRITE);
}

/* True if a daemon answers on the socket at path. */
static bool socket_in_use(const struct sockaddr_un *sun)
{
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0) {
        return false;
    }
    bool used = connect(fd, (const struct sockaddr *)sun, sizeof *sun) == 0;
    close(fd);
    return used;
}

static void make_parent_dir(const char *path)
{
    char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash && slash != dir) {
        *slash = '\0';
        mkdir(dir, 0755); /* one level, as /run/matflow; errors show at bind */
    }
}

struct api_server *api_start(struct event_base *base, struct mf_core *core, struct mob_app *mob,
                             const char *path)
{
    struct sockaddr_un sun;
    memset(&sun, 0, sizeof sun);
    sun.sun_family = AF_UNIX;
    if (strlen(path) >= sizeof sun.sun_path) {
        fprintf(stderr, "matflowd: api socket path too long: %s\n", path);
        return NULL;
    }
    strcpy(sun.sun_path, path);
    if (socket_in_use(&sun)) {
        fprintf(stderr, "matflowd: another daemon answers on %s\n", path);
        return NULL;
    }
    make_parent_dir(path);
    unlink(path); /* a stale socket of a daemon that died */
    struct api_server *api = calloc(1, sizeof *api);
    if (!api) {
        return NULL;
    }
    api->core = core;
    api->mob = mob;
    api->path = strdup(path);
    LIST_INIT(&api->clients);
    api->listener = evconnlistener_new_bind(base, on_accept, api, LEV_OPT_CLOSE_ON_FREE, 64,
                                            (struct sockaddr *)&sun, sizeof sun);
    if (!api->listener) {
        fprintf(stderr, "matflowd: cannot listen on %s: %s\n", path, strerror(errno));
        free(api->path);
        free(api);
        return NULL;
    }
    chmod(path, 0660); /* root and the matflow group only: the API can steer traffic */
    LOG_INF(MOD, "api on %s", path);
    return api;
}

void api_stop(struct api_server *api)
{
    if (!api) {
        return;
    }
    evconnlistener_free(api->listener);
    while (!LIST_EMPTY(&api->clients)) {
        client_free(LIST_FIRST(&api->clients)); /* answers not yet out are lost */
    }
    unlink(api->path);
    free(api->path);
    free(api);
}
