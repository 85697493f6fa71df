/* bench_main.c - matflow-bench's flags, its event-loop helper and main(). */
#include <arpa/inet.h>
#include <event2/event.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "bench/bench.h"
#include "util/log.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: matflow-bench [OPTIONS]\n"
            "       matflow-bench --cbench throughput|latency --connect HOST:PORT [OPTIONS]\n"
            "Emulated OpenFlow 1.3 switches that drive matflowd's binding updates and\n"
            "time them (see issue 4); or, with --cbench, emulated switches that measure\n"
            "any learning-switch controller the way cbench does.\n\n"
            "  --switches N        emulated switches, dpid 1..N (1-10000; default 3);\n"
            "                      the first min(N, 64) are the sites of the config\n"
            "  --bindings M        nodes moved away during set-up, their rules on every\n"
            "                      switch (default 0)\n"
            "  --moves K           measured moves of one node between two sites, one\n"
            "                      after the other (default 20)\n"
            "  --mass K            K more nodes moving at once, after the moves (default 0)\n"
            "  --delay-ms D        every answer of a switch leaves D ms after its request\n"
            "  --window W          set-up moves in flight at once (default 64)\n"
            "  --timeout S         seconds a phase may take (default 60)\n"
            "  --matflowd PATH     start this matflowd with a generated config\n"
            "                      (default build/bin/matflowd, when --controller is absent)\n"
            "  --controller tcp:ADDR:PORT  use a running matflowd instead (its config\n"
            "                      from --write-config); needs --api\n"
            "  --api PATH          that matflowd's control socket\n"
            "  --pid PID           that matflowd's process, for CPU and memory figures\n"
            "  --workdir DIR       config, database, socket and log (default a new\n"
            "                      directory in /tmp, removed at the end unless --keep)\n"
            "  --keep              keep the work directory\n"
            "  --write-config FILE write the YAML for N switches (listening on the port\n"
            "                      of --controller, else 6653) and exit\n"
            "  --durability D      crash (default) or power: matflowd's\n"
            "                      controller.durability, for the price of FULL syncs\n"
            "  --flood RATE[:KIND] while the moves run, one other site floods matflowd\n"
            "                      with RATE Packet-Ins/s from one hypervisor port\n"
            "                      (0: the same timeline, nothing sent); KIND rarp\n"
            "                      (default), arp (gratuitous) or mixed; half carry\n"
            "                      the MAC of a node at that site, half random MACs\n"
            "  --flood-warmup S    seconds of flood before the first move (default 1)\n"
            "  --trigger-rate R    matflowd's mobility.trigger_rate (RARP/ARP per second\n"
            "                      per port, burst 2 R); default 0, off: the emulated\n"
            "                      moves come from one port far faster than real ones\n"
            "  --json              print the report as JSON\n"
            "cbench mode:\n"
            "  --cbench MODE       throughput: every switch keeps its connection full of\n"
            "                      Packet-Ins; latency: one Packet-In in flight per switch\n"
            "  --connect HOST:PORT the controller (IPv4 address; any OpenFlow controller\n"
            "                      running an L2-learning switch)\n"
            "  --of-version V      1.3 (default) or 1.0\n"
            "  --macs H            hosts (source MACs) per switch (default 1000)\n"
            "  --warmup S          seconds before the measured window (default 1)\n"
            "  --duration S        seconds measured (default 5)\n"
            "  --pid PID           the controller's process, for its CPU share\n"
            "  --out FILE          also write the JSON report to FILE\n"
            "  --quiet             no progress lines on stderr\n"
            "  --help\n");
}

enum { O_SWITCHES = 256, O_BINDINGS, O_MOVES, O_MASS, O_DELAY, O_WINDOW, O_TIMEOUT, O_MATFLOWD,
       O_CONTROLLER, O_API, O_PID, O_WORKDIR, O_KEEP, O_WRITE_CONFIG, O_JSON, O_OUT, O_QUIET,
       O_HELP, O_CBENCH, O_CONNECT, O_OF_VERSION, O_MACS, O_WARMUP, O_DURATION, O_DURABILITY,
       O_FLOOD, O_FLOOD_WARMUP, O_TRIGGER_RATE };

static const struct option options[] = {
    {"switches", required_argument, NULL, O_SWITCHES},
    {"bindings", required_argument, NULL, O_BINDINGS},
    {"moves", required_argument, NULL, O_MOVES},
    {"mass", required_argument, NULL, O_MASS},
    {"delay-ms", required_argument, NULL, O_DELAY},
    {"durability", required_argument, NULL, O_DURABILITY},
    {"flood", required_argument, NULL, O_FLOOD},
    {"flood-warmup", required_argument, NULL, O_FLOOD_WARMUP},
    {"trigger-rate", required_argument, NULL, O_TRIGGER_RATE},
    {"window", required_argument, NULL, O_WINDOW},
    {"timeout", required_argument, NULL, O_TIMEOUT},
    {"matflowd", required_argument, NULL, O_MATFLOWD},
    {"controller", required_argument, NULL, O_CONTROLLER},
    {"api", required_argument, NULL, O_API},
    {"pid", required_argument, NULL, O_PID},
    {"workdir", required_argument, NULL, O_WORKDIR},
    {"keep", no_argument, NULL, O_KEEP},
    {"write-config", required_argument, NULL, O_WRITE_CONFIG},
    {"json", no_argument, NULL, O_JSON},
    {"out", required_argument, NULL, O_OUT},
    {"quiet", no_argument, NULL, O_QUIET},
    {"help", no_argument, NULL, O_HELP},
    {"cbench", required_argument, NULL, O_CBENCH},
    {"connect", required_argument, NULL, O_CONNECT},
    {"of-version", required_argument, NULL, O_OF_VERSION},
    {"macs", required_argument, NULL, O_MACS},
    {"warmup", required_argument, NULL, O_WARMUP},
    {"duration", required_argument, NULL, O_DURATION},
    {NULL, 0, NULL, 0},
};

double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void bench_log(const struct bench *b, const char *fmt, ...)
{
    if (b->o.quiet) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "matflow-bench: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
}

static void on_wakeup(evutil_socket_t fd, short what, void *arg)
{
}

bool bench_run_until(struct bench *b, bool (*done)(struct bench *, void *), void *arg,
                     double timeout_s)
{
    double deadline = bench_now() + timeout_s;
    /* A periodic timer bounds each blocking pass of the loop. */
    struct event *tick = event_new(b->base, -1, EV_PERSIST, on_wakeup, NULL);
    struct timeval tv = {0, 50000};
    event_add(tick, &tv);
    bool ok = true;
    while (!done(b, arg)) {
        if (bench_now() > deadline) {
            ok = false;
            break;
        }
        event_base_loop(b->base, EVLOOP_ONCE);
    }
    event_free(tick);
    return ok;
}

static bool parse_uint(const char *s, unsigned lo, unsigned hi, unsigned *out)
{
    char *end;
    unsigned long v = strtoul(s, &end, 10);
    if (*s == '\0' || *end != '\0' || v < lo || v > hi) {
        return false;
    }
    *out = (unsigned)v;
    return true;
}

static bool parse_controller(const char *spec, struct sockaddr_in *sa)
{
    char host[64];
    unsigned port;
    if (strncmp(spec, "tcp:", 4) != 0 || sscanf(spec + 4, "%63[^:]:%u", host, &port) != 2 ||
        port == 0 || port > 65535) {
        return false;
    }
    memset(sa, 0, sizeof *sa);
    sa->sin_family = AF_INET;
    sa->sin_port = htons((uint16_t)port);
    return inet_pton(AF_INET, host, &sa->sin_addr) == 1;
}

static bool parse_seconds(const char *s, double lo, double hi, double *out)
{
    char *end;
    double v = strtod(s, &end);
    if (*s == '\0' || *end != '\0' || !(v >= lo && v <= hi)) {
        return false;
    }
    *out = v;
    return true;
}

static int bad(const char *opt, const char *val)
{
    fprintf(stderr, "matflow-bench: bad value '%s' for %s\n", val, opt);
    usage(stderr);
    return 2;
}

/* Returns -1 to run, else an exit status. */
static int parse_args(int argc, char **argv, struct bench_opts *o)
{
    *o = (struct bench_opts){.switches = 3, .moves = 20, .window = 64, .timeout_s = 60,
                             .of_version = OF_VERSION_1_3, .macs = 1000, .warmup_s = 1,
                             .duration_s = 5, .flood_warmup_s = 1};
    unsigned switches_given = 0;
    int opt;
    unsigned u;
    while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
        switch (opt) {
        case O_SWITCHES:
            if (!parse_uint(optarg, 1, BENCH_MAX_SWITCHES, &o->switches)) {
                return bad("--switches", optarg);
            }
            switches_given = 1;
            break;
        case O_BINDINGS:
            if (!parse_uint(optarg, 0, 1000000, &o->bindings)) {
                return bad("--bindings", optarg);
            }
            break;
        case O_MOVES:
            if (!parse_uint(optarg, 0, 1000000, &o->moves)) {
                return bad("--moves", optarg);
            }
            break;
        case O_MASS:
            if (!parse_uint(optarg, 0, 1000000, &o->mass)) {
                return bad("--mass", optarg);
            }
            break;
        case O_DELAY:
            if (!parse_uint(optarg, 0, 10000, &u)) {
                return bad("--delay-ms", optarg);
            }
            o->delay_ms = u;
            break;
        case O_DURABILITY:
            if (strcmp(optarg, "crash") && strcmp(optarg, "power")) {
                return bad("--durability", optarg);
            }
            o->durable_power = !strcmp(optarg, "power");
            break;
        case O_FLOOD:
            if (!bench_flood_parse(optarg, o)) {
                return bad("--flood", optarg);
            }
            break;
        case O_TRIGGER_RATE:
            if (!parse_uint(optarg, 0, 1000000, &u)) {
                return bad("--trigger-rate", optarg);
            }
            o->trigger_rate = u;
            break;
        case O_FLOOD_WARMUP:
            if (!parse_seconds(optarg, 0, 3600, &o->flood_warmup_s)) {
                return bad("--flood-warmup", optarg);
            }
            break;
        case O_WINDOW:
            if (!parse_uint(optarg, 1, 100000, &o->window)) {
                return bad("--window", optarg);
            }
            break;
        case O_TIMEOUT:
            if (!parse_uint(optarg, 1, 86400, &u)) {
                return bad("--timeout", optarg);
            }
            o->timeout_s = u;
            break;
        case O_MATFLOWD: o->matflowd = optarg; break;
        case O_CONTROLLER: o->controller = optarg; break;
        case O_API: o->api = optarg; break;
        case O_PID:
            if (!parse_uint(optarg, 1, 1u << 30, &u)) {
                return bad("--pid", optarg);
            }
            o->pid = (int)u;
            break;
        case O_WORKDIR: o->workdir = optarg; break;
        case O_KEEP: o->keep = true; break;
        case O_WRITE_CONFIG: o->write_config = optarg; break;
        case O_JSON: o->json = true; break;
        case O_OUT: o->out_json = optarg; break;
        case O_QUIET: o->quiet = true; break;
        case O_HELP: usage(stdout); return 0;
        case O_CBENCH:
            if (!strcmp(optarg, "throughput")) {
                o->cb_mode = BENCH_CB_THROUGHPUT;
            } else if (!strcmp(optarg, "latency")) {
                o->cb_mode = BENCH_CB_LATENCY;
            } else {
                return bad("--cbench", optarg);
            }
            break;
        case O_CONNECT: o->connect = optarg; break;
        case O_OF_VERSION:
            if (strcmp(optarg, "1.3") && strcmp(optarg, "1.0")) {
                return bad("--of-version", optarg);
            }
            o->of_version = !strcmp(optarg, "1.0") ? OF_VERSION_1_0 : OF_VERSION_1_3;
            break;
        case O_MACS:
            if (!parse_uint(optarg, 2, 1u << 24, &o->macs)) {
                return bad("--macs", optarg);
            }
            break;
        case O_WARMUP:
            if (!parse_seconds(optarg, 0, 3600, &o->warmup_s)) {
                return bad("--warmup", optarg);
            }
            break;
        case O_DURATION:
            if (!parse_seconds(optarg, 0.1, 3600, &o->duration_s)) {
                return bad("--duration", optarg);
            }
            break;
        default: usage(stderr); return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "matflow-bench: unexpected argument '%s'\n", argv[optind]);
        return 2;
    }
    if (o->cb_mode != BENCH_CB_OFF) {
        if (!o->connect || o->controller || o->matflowd || o->write_config || o->flood) {
            fprintf(stderr, "matflow-bench: --cbench needs --connect HOST:PORT and neither "
                    "--controller, --matflowd, --write-config nor --flood\n");
            return 2;
        }
        if (!switches_given) {
            o->switches = 16; /* cbench's default */
        }
        return -1;
    }
    if (o->connect || o->of_version != OF_VERSION_1_3) {
        fprintf(stderr, "matflow-bench: --connect and --of-version are for --cbench\n");
        return 2;
    }
    if (o->controller && o->matflowd) {
        fprintf(stderr, "matflow-bench: --controller and --matflowd exclude each other\n");
        return 2;
    }
    if (o->controller && !o->api && !o->write_config) {
        fprintf(stderr, "matflow-bench: --controller needs --api (the daemon's socket)\n");
        return 2;
    }
    if (!o->controller && !o->matflowd) {
        o->matflowd = "build/bin/matflowd";
    }
    return -1;
}

/* One descriptor per switch, and a few more. Root may raise the hard limit
 * too, which a shell's default (often 1024 or 4096) needs for 10,000. */
static void raise_fd_limit(unsigned switches)
{
    struct rlimit rl;
    rlim_t need = (rlim_t)switches + 64;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
        return;
    }
    if (rl.rlim_max < need) {
        struct rlimit up = {need, need};
        if (setrlimit(RLIMIT_NOFILE, &up) == 0) {
            return;
        }
    }
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    if (rl.rlim_cur < need) {
        fprintf(stderr, "matflow-bench: only %llu descriptors for %u switches\n",
                (unsigned long long)rl.rlim_cur, switches);
    }
}

int main(int argc, char **argv)
{
    static struct bench b; /* large: two struct of_msg */
    int rc = parse_args(argc, argv, &b.o);
    if (rc >= 0) {
        return rc;
    }
    if (b.o.controller && !parse_controller(b.o.controller, &b.ctrl)) {
        return bad("--controller", b.o.controller);
    }
    if (b.o.connect) {
        char spec[128];
        snprintf(spec, sizeof spec, "tcp:%s", b.o.connect);
        if (!parse_controller(spec, &b.ctrl)) {
            return bad("--connect", b.o.connect);
        }
    }
    if (b.o.write_config) {
        uint16_t port = b.o.controller ? ntohs(b.ctrl.sin_port) : 6653;
        b.n_sw = b.o.switches;
        bench_sites_init(&b, b.n_sw < BENCH_MAX_SITES ? b.n_sw : BENCH_MAX_SITES, 0);
        snprintf(b.api_path, sizeof b.api_path, "/run/matflow/matflowd.sock");
        snprintf(b.db_path, sizeof b.db_path, "/var/lib/matflow/bench.db");
        return bench_write_config(&b, b.o.write_config, port) ? 0 : 1;
    }
    signal(SIGPIPE, SIG_IGN);
    raise_fd_limit(b.o.switches);
    log_set_level(LOG_WARN);
    /* --delay-ms needs timers finer than epoll's milliseconds. */
    struct event_config *ec = event_config_new();
    if (ec) {
        event_config_set_flag(ec, EVENT_BASE_FLAG_PRECISE_TIMER);
        b.base = event_base_new_with_config(ec);
        event_config_free(ec);
    }
    if (!b.base) {
        fprintf(stderr, "matflow-bench: cannot start the event loop\n");
        return 1;
    }
    rc = b.o.cb_mode != BENCH_CB_OFF ? bench_cbench_run(&b) : bench_scenario_run(&b);
    event_base_free(b.base);
    return rc;
}
