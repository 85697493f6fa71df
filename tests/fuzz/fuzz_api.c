/* fuzz_api.c - libFuzzer target for the control socket's request line
 * (src/daemon/api.c and what it calls: the JSON views, `ping`,
 * `migrate NODE SITE`). The input, up to its first newline, is one request
 * line as matflowctl (or anyone who can open the socket) writes it; it is
 * answered by api_answer(), as the socket does, by a daemon set up once:
 * the reference testbed's three sites (examples/testbed.yaml) with their
 * gateway MACs given, so that `migrate` goes as far as it can without a
 * switch, and two registered mobile nodes. No switch is connected and no
 * database is open.
 *
 * Every request must get a JSON object back (never NULL: a client must
 * not hang) that serialises; nothing may leak or overrun. The event loop
 * runs once between inputs, so that announcement timers may fire. */
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "app/mobility/mobility.h"
#include "core/core.h"
#include "daemon/api.h"
#include "daemon/config.h"
#include "util/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char config_yaml[] =
    "controller:\n"
    "  log_level: error\n"
    "sites:\n"
    "  - {name: site1, dpid: 1, prefix: 10.1.0.0/24, gateway: 10.1.0.1,\n"
    "     gateway_mac: '02:00:00:00:01:01', uplinks: [1], hypervisor_ports: [10, 11, 12],\n"
    "     moa_pool: 10.1.0.200-10.1.0.249}\n"
    "  - {name: site2, dpid: 2, prefix: 10.2.0.0/24, gateway: 10.2.0.1,\n"
    "     gateway_mac: '02:00:00:00:02:01', uplinks: [1], hypervisor_ports: [10, 11, 12],\n"
    "     moa_pool: 10.2.0.200-10.2.0.249, forwarding: learning}\n"
    "  - {name: site3, dpid: 3, prefix: 10.3.0.0/24, gateway: 10.3.0.1,\n"
    "     uplinks: [1], hypervisor_ports: [10, 11, 12], moa_pool: 10.3.0.200-10.3.0.201}\n"
    "mobile_nodes:\n"
    "  - {mac: '52:54:00:12:34:56', hoa: 10.1.0.10}\n"
    "  - {mac: '52:54:00:00:00:02', hoa: 10.2.0.10}\n";

static struct daemon {
    struct config cfg;
    struct event_base *base;
    struct mf_core *core;
    struct mob_app *mob;
    struct api_server *api;
    char dir[64], sock[96];
} d;

static void die(const char *what)
{
    fprintf(stderr, "fuzz_api: %s\n", what);
    abort();
}

/* In the order of matflowd's main(). */
static void daemon_stop(void)
{
    api_stop(d.api);
    core_destroy(d.core);
    mobility_destroy(d.mob);
    event_base_free(d.base);
    config_free(&d.cfg);
    rmdir(d.dir);
}

static void daemon_start(void)
{
    int fd = memfd_create("fuzz_api.yaml", 0);
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    if (fd < 0 || write(fd, config_yaml, strlen(config_yaml)) != (ssize_t)strlen(config_yaml)) {
        die("cannot write the configuration");
    }
    config_init(&d.cfg);
    if (!config_load(&d.cfg, path)) {
        die("configuration refused");
    }
    close(fd);
    config_settle_forwarding(&d.cfg);
    log_set_level(d.cfg.log_level);
    snprintf(d.dir, sizeof d.dir, "/tmp/fuzz_api-XXXXXX");
    if (!mkdtemp(d.dir)) {
        die("mkdtemp");
    }
    snprintf(d.sock, sizeof d.sock, "%s/api.sock", d.dir);
    d.base = event_base_new();
    d.core = d.base ? core_create(d.base, &d.cfg.core) : NULL;
    d.mob = d.core ? mobility_create(d.core, d.base, d.cfg.mob, NULL) : NULL;
    if (!d.mob) {
        die("cannot start the core and the mobility application");
    }
    core_add_app(d.core, mobility_as_app(d.mob));
    d.api = api_start(d.base, d.core, d.mob, d.sock);
    if (!d.api) {
        die("cannot start the api");
    }
    atexit(daemon_stop);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!d.api) {
        daemon_start();
    }
    /* One line, as evbuffer_readln(EVBUFFER_EOL_LF) hands it over: up to
     * the first LF, NUL bytes and a CR included. */
    const uint8_t *lf = memchr(data, '\n', size);
    size_t n = lf ? (size_t)(lf - data) : size;
    char *line = malloc(n + 1);
    memcpy(line, data, n);
    line[n] = '\0';
    json_t *doc = api_answer(d.api, NULL, line);
    free(line);
    if (!json_is_object(doc)) {
        die("a request got no JSON object back");
    }
    char *text = json_dumps(doc, JSON_COMPACT | JSON_REAL_PRECISION(9));
    if (!text) {
        die("an answer does not serialise");
    }
    free(text);
    json_decref(doc);
    event_base_loop(d.base, EVLOOP_NONBLOCK);
    return 0;
}
