/* matflowctl - asks a running matflowd about its switches and counters
 * through the control socket, and prints the answer as text or JSON. */
#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define DEFAULT_API "/run/matflow/matflowd.sock"
#define MAX_ANSWER (64u << 20)

static void usage(FILE *f)
{
    fprintf(f,
            "usage: matflowctl [--api PATH] [--json] COMMAND\n\n"
            "commands:\n"
            "  switches            connected switches: dpid, address, OpenFlow version,\n"
            "                      ports, counters\n"
            "  stats               counters, refused messages and frames by reason\n"
            "  ping DPID           a BARRIER_REQUEST to the switch; prints the round trip\n"
            "  sites               sites: prefix, gateway, switch, MoA pool use\n"
            "  bindings            mobile nodes: HoA, MAC, site, port, MoA, epoch, state\n"
            "  events              binding updates with their timelines (ms, from the trigger)\n"
            "  migrate NODE SITE   announce that NODE (MAC or HoA) moves to SITE:\n"
            "                      its MoA and receiving rules are ready before it arrives\n\n"
            "  --api PATH   matflowd's control socket (default %s)\n"
            "  --json       print the daemon's JSON instead of text\n",
            DEFAULT_API);
}

static const char *str(json_t *o, const char *key);
static long long num(json_t *o, const char *key);

/* Sends one command and returns the whole answer (malloc'd), or NULL. */
static char *ask(const char *path, const char *cmd)
{
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof sun.sun_path) {
        fprintf(stderr, "matflowctl: socket path too long: %s\n", path);
        return NULL;
    }
    strcpy(sun.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof sun) != 0) {
        fprintf(stderr, "matflowctl: cannot reach matflowd at %s: %s\n", path, strerror(errno));
        if (fd >= 0) {
            close(fd);
        }
        return NULL;
    }
    struct timeval tv = {10, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char line[256];
    int n = snprintf(line, sizeof line, "%s\n", cmd);
    if (n < 0 || (size_t)n >= sizeof line) {
        fprintf(stderr, "matflowctl: request too long\n");
        close(fd);
        return NULL;
    }
    if (write(fd, line, (size_t)n) != n) {
        fprintf(stderr, "matflowctl: write to %s failed: %s\n", path, strerror(errno));
        close(fd);
        return NULL;
    }
    size_t len = 0, cap = 65536;
    char *buf = malloc(cap);
    for (;;) {
        if (!buf) {
            close(fd);
            return NULL;
        }
        ssize_t r = read(fd, buf + len, cap - len - 1);
        if (r < 0) {
            fprintf(stderr, "matflowctl: read from %s failed: %s\n", path, strerror(errno));
            free(buf);
            close(fd);
            return NULL;
        }
        if (r == 0) {
            break;
        }
        len += (size_t)r;
        if (cap - len < 2) {
            if (cap >= MAX_ANSWER) {
                break;
            }
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
            }
            buf = nb;
            cap *= 2;
        }
    }
    close(fd);
    buf[len] = '\0';
    return buf;
}

static void print_bindings(json_t *doc)
{
    printf("%-15s  %-17s  %-8s  %-8s  %4s  %-15s  %5s  %-8s  %s\n", "HOA", "MAC", "HOME", "SITE",
           "PORT", "MOA", "EPOCH", "STATE", "SINCE");
    size_t i;
    json_t *b;
    json_array_foreach(json_object_get(doc, "bindings"), i, b) {
        printf("%-15s  %-17s  %-8s  %-8s  %4lld  %-15s  %5lld  %-8s  %s\n", str(b, "hoa"),
               str(b, "mac"), str(b, "home"), str(b, "site"), num(b, "port"), str(b, "moa"),
               num(b, "epoch"), str(b, "state"), str(b, "since"));
    }
}

/* The SWITCH column says whether the site's switch holds what it should:
 * in_sync, reconciling (being read and corrected), lagging (why follows)
 * or down. */
static void print_sites(json_t *doc)
{
    printf("%-8s  %-16s  %-18s  %-15s  %-17s  %-11s  %s\n", "SITE", "DPID", "PREFIX", "GATEWAY",
           "GATEWAY MAC", "SWITCH", "MOA POOL");
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(doc, "sites"), i, s) {
        const char *gw = json_string_value(json_object_get(s, "gateway_mac"));
        const char *why = str(s, "sync_why");
        printf("%-8s  %-16s  %-18s  %-15s  %-17s  %-11s  %lld/%lld used, %lld node(s) here\n",
               str(s, "name"), str(s, "dpid"), str(s, "prefix"), str(s, "gateway"),
               gw ? gw : "(learning)", str(s, "sync"), num(s, "pool_used"),
               num(s, "pool_size"), num(s, "nodes_here"));
        if (why[0] || num(s, "updates_missed")) {
            printf("          %s since %s: %s%s%lld update(s) missed\n", str(s, "sync"),
                   json_is_string(json_object_get(s, "sync_since")) ? str(s, "sync_since")
                                                                     : "start",
                   why, why[0] ? "; " : "", num(s, "updates_missed"));
        }
    }
}

static void print_events(json_t *doc)
{
    size_t i, j;
    json_t *u, *e;
    json_array_foreach(json_object_get(doc, "updates"), i, u) {
        const char *state = json_is_true(json_object_get(u, "complete"))    ? "complete"
                            : json_is_true(json_object_get(u, "failed"))    ? "failed"
                            : json_is_true(json_object_get(u, "superseded")) ? "superseded"
                                                                             : "in progress";
        printf("update %lld: %s -> %s as %s (epoch %lld, %s), started %s, %s%s%s\n",
               num(u, "id"), str(u, "hoa"), str(u, "to"), str(u, "moa"), num(u, "epoch"),
               str(u, "trigger"), str(u, "start"), state, *str(u, "why") ? ": " : "",
               str(u, "why"));
        json_array_foreach(json_object_get(u, "events"), j, e) {
            printf("  %10.3f ms  %-18s %s\n", num(e, "t_us") / 1000.0, str(e, "step"),
                   str(e, "dpid"));
        }
    }
}

static const char *str(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

static long long num(json_t *o, const char *key)
{
    return (long long)json_integer_value(json_object_get(o, key));
}

static void print_ports(json_t *ports)
{
    size_t i;
    json_t *p;
    printf("    ports:");
    json_array_foreach(ports, i, p) {
        long long no = num(p, "port_no");
        bool up = json_is_true(json_object_get(p, "link_up")) &&
                  json_is_true(json_object_get(p, "admin_up"));
        if (no == 0xfffffffeLL) {
            printf(" LOCAL(%s%s)", str(p, "name"), up ? "" : ",down");
        } else {
            printf(" %lld(%s%s)", no, str(p, "name"), up ? "" : ",down");
        }
    }
    printf("\n");
}

static void print_switches(json_t *doc)
{
    json_t *list = json_object_get(doc, "switches");
    printf("%-16s  %-21s  %-13s  %-3s  %5s  %-20s  %8s  %8s  %6s\n", "DPID", "ADDRESS", "STATE",
           "OF", "PORTS", "CONNECTED SINCE", "MSGS IN", "MSGS OUT", "ERRORS");
    size_t i;
    json_t *s;
    json_array_foreach(list, i, s) {
        printf("%-16s  %-21s  %-13s  %-3s  %5lld  %-20s  %8lld  %8lld  %6lld\n",
               *str(s, "dpid") ? str(s, "dpid") : "-", str(s, "address"), str(s, "state"),
               *str(s, "version") ? str(s, "version") : "-", num(s, "n_ports"),
               str(s, "connected_since"), num(s, "msgs_in"),
               num(s, "msgs_out"), num(s, "errors_in") + num(s, "errors_out"));
        print_ports(json_object_get(s, "ports"));
    }
    printf("%zu switch connection(s)\n", json_array_size(list));
}

static void print_counters(const char *title, json_t *o)
{
    const char *key;
    json_t *v;
    printf("%s:\n", title);
    json_object_foreach(o, key, v) {
        if (json_integer_value(v)) {
            printf("  %-28s %lld\n", key, (long long)json_integer_value(v));
        }
    }
}

static void print_reasons(const char *title, json_t *o)
{
    const char *key;
    json_t *v;
    long long total = 0;
    json_object_foreach(o, key, v) {
        total += (long long)json_integer_value(v);
    }
    printf("%s: %lld%s\n", title, total, total ? " (--json lists every reason)" : "");
    json_object_foreach(o, key, v) {
        if (json_integer_value(v)) {
            printf("  %-28s %lld\n", key, (long long)json_integer_value(v));
        }
    }
}

static void print_stats(json_t *doc)
{
    const char *keys[] = {"switches_connected", "connections_open", "connections_total",
                          "messages_in", "messages_out", "packet_ins"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        printf("%-22s %lld\n", keys[i], num(doc, keys[i]));
    }
    print_reasons("rejected messages", json_object_get(doc, "rejected_messages"));
    print_reasons("rejected frames", json_object_get(doc, "rejected_frames"));
    if (json_object_get(doc, "mobility")) {
        print_counters("mobility (non-zero counters; --json lists all)",
                       json_object_get(doc, "mobility"));
    }
}

static bool is_command(const char *s)
{
    static const char *const cmds[] = {"switches", "stats", "sites", "bindings", "events",
                                       "migrate", "ping"};
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        if (!strcmp(s, cmds[i])) {
            return true;
        }
    }
    return false;
}

/* Arguments travel on one request line: no spaces, nothing odd, short. */
static bool valid_word(const char *s)
{
    size_t n = strlen(s);
    return n > 0 && n < 64 && strspn(s, "0123456789abcdefABCDEF:.-_"
                                        "ghijklmnopqrstuvwxyzGHIJKLMNOPQRSTUVWXYZ") == n;
}

int main(int argc, char **argv)
{
    const char *api = DEFAULT_API, *cmd = NULL, *args[2] = {NULL, NULL};
    unsigned n_args = 0;
    bool as_json = false;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json")) {
            as_json = true;
        } else if (!strcmp(argv[i], "--api") && i + 1 < argc && argv[i + 1][0]) {
            api = argv[++i];
        } else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return 0;
        } else if (argv[i][0] != '-' && !cmd && is_command(argv[i])) {
            cmd = argv[i];
        } else if (cmd && n_args < (strcmp(cmd, "migrate") ? !strcmp(cmd, "ping") : 2) &&
                   argv[i][0] != '-' && valid_word(argv[i])) {
            args[n_args++] = argv[i];
        } else {
            fprintf(stderr, "matflowctl: unexpected argument '%s'\n", argv[i]);
            usage(stderr);
            return 2;
        }
    }
    if (!cmd) {
        fprintf(stderr, "matflowctl: no command given\n");
        usage(stderr);
        return 2;
    }
    if (!strcmp(cmd, "migrate") && n_args != 2) {
        fprintf(stderr, "matflowctl: migrate needs NODE (MAC or HoA) and SITE\n");
        usage(stderr);
        return 2;
    }
    if (!strcmp(cmd, "ping") && n_args != 1) {
        fprintf(stderr, "matflowctl: ping needs a DPID\n");
        usage(stderr);
        return 2;
    }
    char request[200];
    snprintf(request, sizeof request, "%s%s%s%s%s", cmd, n_args ? " " : "", n_args ? args[0] : "",
             n_args > 1 ? " " : "", n_args > 1 ? args[1] : "");
    char *answer = ask(api, request);
    if (!answer) {
        return 1;
    }
    json_error_t jerr;
    json_t *doc = json_loads(answer, 0, &jerr);
    free(answer);
    if (!doc) {
        fprintf(stderr, "matflowctl: unreadable answer from matflowd: %s\n", jerr.text);
        return 1;
    }
    if (json_object_get(doc, "error")) {
        fprintf(stderr, "matflowd: %s\n", str(doc, "error"));
        json_decref(doc);
        return 1;
    }
    if (as_json) {
        json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
        printf("\n");
    } else if (!strcmp(cmd, "switches")) {
        print_switches(doc);
    } else if (!strcmp(cmd, "stats")) {
        print_stats(doc);
    } else if (!strcmp(cmd, "bindings")) {
        print_bindings(doc);
    } else if (!strcmp(cmd, "sites")) {
        print_sites(doc);
    } else if (!strcmp(cmd, "events")) {
        print_events(doc);
    } else if (!strcmp(cmd, "ping")) {
        printf("switch %s: barrier reply in %.3f ms\n", str(doc, "dpid"),
               json_real_value(json_object_get(doc, "rtt_ms")));
    } else {
        printf("%s: MoA %s, epoch %lld\n", str(doc, "result"), str(doc, "moa"), num(doc, "epoch"));
    }
    json_decref(doc);
    return 0;
}
