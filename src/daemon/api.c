/* api.c - the control socket server (libevent bufferevents on a unix
 * socket). One request line, one JSON answer, close. */
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
#include <sys/un.h>
#include <unistd.h>

#include "app/mobility/mobility.h"
#include "util/log.h"

#define MOD "api"
#define API_MAX_REQUEST 256

struct api_server {
    struct mf_core *core;
    struct mob_app *mob; /* NULL without sites */
    struct evconnlistener *listener;
    char *path;
};

static void close_client(struct bufferevent *bev, void *arg)
{
    bufferevent_free(bev);
}

static void on_client_event(struct bufferevent *bev, short what, void *arg)
{
    if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT)) {
        bufferevent_free(bev);
    }
}

/* A request line is a command and its arguments, separated by spaces. */
/* `ping DPID`: a BARRIER_REQUEST to the switch, answered when its reply
 * arrives (the only request answered later). The client may go away first:
 * then the answer has nowhere to go and is dropped. */
struct pending_ping {
    struct bufferevent *client; /* NULL once the client went away */
    uint64_t dpid;
};

static void send_answer(struct bufferevent *bev, json_t *doc, struct api_server *api);

static void on_ping_done(struct mf_switch *sw, const struct sw_batch_result *r, void *arg)
{
    struct pending_ping *pp = arg;
    if (pp->client) {
        json_t *doc;
        char dpid[17];
        snprintf(dpid, sizeof dpid, "%016llx", (unsigned long long)pp->dpid);
        if (r->status == SW_BATCH_OK) {
            doc = json_pack("{s:s, s:s, s:f}", "dpid", dpid, "result", "barrier reply",
                            "rtt_ms", r->elapsed_us / 1000.0);
        } else {
            doc = json_pack("{s:s, s:s}", "dpid", dpid, "error", "switch went away");
        }
        bufferevent_setcb(pp->client, NULL, NULL, NULL, NULL);
        send_answer(pp->client, doc, NULL);
    }
    free(pp);
}

static void on_ping_client_event(struct bufferevent *bev, short what, void *arg)
{
    struct pending_ping *pp = arg;
    pp->client = NULL; /* the barrier reply will find nobody to tell */
    bufferevent_free(bev);
}

static json_t *start_ping(struct api_server *api, struct bufferevent *bev, const char *arg)
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
    struct pending_ping *pp = calloc(1, sizeof *pp);
    if (!pp) {
        return json_pack("{s:s}", "error", "out of memory");
    }
    pp->client = bev;
    pp->dpid = dpid;
    bufferevent_setcb(bev, NULL, NULL, on_ping_client_event, pp);
    sw_batch_commit(sw_batch_begin(sw), on_ping_done, pp);
    return NULL; /* answered by on_ping_done */
}

static json_t *answer(struct api_server *api, struct bufferevent *bev, char *line)
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
        return start_ping(api, bev, args[1]);
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

static void on_client_read(struct bufferevent *bev, void *arg)
{
    struct api_server *api = arg;
    struct evbuffer *in = bufferevent_get_input(bev);
    size_t n;
    char *line = evbuffer_readln(in, &n, EVBUFFER_EOL_LF);
    if (!line) {
        if (evbuffer_get_length(in) > API_MAX_REQUEST) {
            bufferevent_free(bev); /* not a request we could ever answer */
        }
        return;
    }
    bufferevent_disable(bev, EV_READ);
    json_t *doc = answer(api, bev, line);
    free(line);
    if (doc) {
        send_answer(bev, doc, api);
    }
}

/* Writes the answer and closes the connection once it is out. */
static void send_answer(struct bufferevent *bev, json_t *doc, struct api_server *api)
{
    char *text = json_dumps(doc, JSON_COMPACT | JSON_REAL_PRECISION(9));
    json_decref(doc);
    if (text) {
        evbuffer_add(bufferevent_get_output(bev), text, strlen(text));
        evbuffer_add(bufferevent_get_output(bev), "\n", 1);
        free(text);
    }
    bufferevent_setcb(bev, NULL, close_client, on_client_event, api);
    bufferevent_enable(bev, EV_WRITE);
}

static void on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int len,
                      void *arg)
{
    struct api_server *api = arg;
    struct bufferevent *bev =
        bufferevent_socket_new(evconnlistener_get_base(l), fd, BEV_OPT_CLOSE_ON_FREE);
    if (!bev) {
        close(fd);
        return;
    }
    struct timeval tv = {5, 0};
    bufferevent_set_timeouts(bev, &tv, &tv);
    bufferevent_setcb(bev, on_client_read, NULL, on_client_event, api);
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
    unlink(api->path);
    free(api->path);
    free(api);
}
