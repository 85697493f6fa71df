/* main.c - matflowd: reads settings, starts the core and the control
 * socket, runs the event loop until SIGTERM or SIGINT. */
#include <event2/event.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "app/l2learn/l2learn.h"
#include "app/mobility/mob_store.h"
#include "app/mobility/mobility.h"
#include "core/core.h"
#include "core/tls.h"
#include "daemon/api.h"
#include "daemon/config.h"
#include "util/log.h"

#define MATFLOW_VERSION "0.1.0"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: matflowd [OPTIONS]\n"
            "OpenFlow controller that keeps VMs reachable across IP networks.\n\n"
            "  --listen tcp:[ADDR:]PORT  accept switches here (repeatable; IPv6 as\n"
            "                            tcp:[ADDR6]:PORT; ssl:... for TLS, which\n"
            "                            needs the three --tls-* files;\n"
            "                            default %s)\n"
            "  --tls-key PATH            matflowd's private key (PEM, absolute path)\n"
            "  --tls-cert PATH           matflowd's certificate (PEM)\n"
            "  --tls-ca PATH             CA certificate that signs the switches'\n"
            "                            certificates (PEM); switches must show one\n"
            "  --api PATH                control socket for matflowctl (absolute)\n"
            "                            (default %s)\n"
            "  --config FILE             YAML configuration (see docs/CONFIG.md)\n"
            "  --app none|learning       forwarding application: none (the switches\n"
            "                            use NORMAL; default) or learning (L2 learning\n"
            "                            for switches without NORMAL; with sites, in\n"
            "                            table 3 of the sites' switches)\n"
            "  --openflow VERSIONS       OpenFlow versions to offer: 1.0, 1.3 or 1.0,1.3\n"
            "                            (default 1.0,1.3)\n"
            "  --database PATH           bindings store, SQLite (default %s)\n"
            "  --check-config FILE       validate FILE, print every error, and exit\n"
            "  --log-level LEVEL         debug, info, warn or error (default info)\n"
            "  --echo-interval SECONDS   idle time before an echo request (default 5)\n"
            "  --echo-misses N           unanswered echoes before a drop (default 3)\n"
            "  --handshake-timeout SECONDS  accept to ready (default 10)\n"
            "  --help, --version\n\n"
            "Command-line options override the configuration file.\n",
            MATFLOW_DEFAULT_LISTEN, MATFLOW_DEFAULT_API, MATFLOW_DEFAULT_DB);
}

enum { OPT_LISTEN = 256, OPT_API, OPT_DB, OPT_CONFIG, OPT_CHECK, OPT_LOG, OPT_ECHO, OPT_MISSES,
       OPT_HANDSHAKE, OPT_APP, OPT_OPENFLOW, OPT_TLS_KEY, OPT_TLS_CERT, OPT_TLS_CA, OPT_HELP,
       OPT_VERSION };

static const struct option options[] = {
    {"listen", required_argument, NULL, OPT_LISTEN},
    {"api", required_argument, NULL, OPT_API},
    {"database", required_argument, NULL, OPT_DB},
    {"config", required_argument, NULL, OPT_CONFIG},
    {"check-config", required_argument, NULL, OPT_CHECK},
    {"log-level", required_argument, NULL, OPT_LOG},
    {"echo-interval", required_argument, NULL, OPT_ECHO},
    {"echo-misses", required_argument, NULL, OPT_MISSES},
    {"handshake-timeout", required_argument, NULL, OPT_HANDSHAKE},
    {"app", required_argument, NULL, OPT_APP},
    {"openflow", required_argument, NULL, OPT_OPENFLOW},
    {"tls-key", required_argument, NULL, OPT_TLS_KEY},
    {"tls-cert", required_argument, NULL, OPT_TLS_CERT},
    {"tls-ca", required_argument, NULL, OPT_TLS_CA},
    {"help", no_argument, NULL, OPT_HELP},
    {"version", no_argument, NULL, OPT_VERSION},
    {NULL, 0, NULL, 0},
};

static int bad_arg(const char *opt, const char *val, const char *want)
{
    fprintf(stderr, "matflowd: bad value '%s' for %s: %s\n", val, opt, want);
    usage(stderr);
    return 2;
}

/* Settings: defaults, then the file, then the command line. The file is
 * found in a first pass so that its values come before the flags. */
static int parse_args(int argc, char **argv, struct config *c)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        bool check = !strcmp(a, "--check-config");
        if ((check || !strcmp(a, "--config")) && i + 1 < argc) {
            if (!config_load(c, argv[i + 1])) {
                fprintf(stderr, "matflowd: %s: configuration refused\n", argv[i + 1]);
                return 1;
            }
            if (check) {
                if (!config_check_tls(c)) {
                    fprintf(stderr, "matflowd: %s: configuration refused\n", argv[i + 1]);
                    return 1;
                }
                printf("%s: OK\n", argv[i + 1]);
                return 0;
            }
        }
    }
    bool cli_listen = false;
    int opt;
    while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
        switch (opt) {
        case OPT_LISTEN:
            if (!cli_listen) {
                config_clear_listen(c); /* flags replace the file's list */
                cli_listen = true;
            }
            if (!core_listen_spec_valid(optarg) || !config_add_listen(c, optarg)) {
                return bad_arg("--listen", optarg,
                               "expected tcp:PORT, tcp:ADDR:PORT, or the same with ssl:");
            }
            break;
        case OPT_TLS_KEY:
        case OPT_TLS_CERT:
        case OPT_TLS_CA:
            if (optarg[0] != '/') {
                return bad_arg(opt == OPT_TLS_KEY    ? "--tls-key"
                               : opt == OPT_TLS_CERT ? "--tls-cert"
                                                     : "--tls-ca",
                               optarg, "expected an absolute path");
            }
            config_set_path(opt == OPT_TLS_KEY    ? &c->tls.private_key
                            : opt == OPT_TLS_CERT ? &c->tls.certificate
                                                  : &c->tls.ca_certificate,
                            optarg);
            break;
        case OPT_API:
            if (optarg[0] != '/') {
                return bad_arg("--api", optarg, "expected an absolute path");
            }
            config_set_api(c, optarg);
            break;
        case OPT_DB:
            if (optarg[0] != '/') {
                return bad_arg("--database", optarg, "expected an absolute path");
            }
            free(c->db_path);
            c->db_path = strdup(optarg);
            break;
        case OPT_CONFIG:
        case OPT_CHECK:
            break; /* read in the first pass */
        case OPT_LOG:
            if (!log_level_parse(optarg, &c->log_level)) {
                return bad_arg("--log-level", optarg, "expected debug, info, warn or error");
            }
            break;
        case OPT_ECHO:
            if (!config_parse_seconds(optarg, &c->core.echo_interval_s)) {
                return bad_arg("--echo-interval", optarg, "expected seconds > 0");
            }
            break;
        case OPT_HANDSHAKE:
            if (!config_parse_seconds(optarg, &c->core.handshake_timeout_s)) {
                return bad_arg("--handshake-timeout", optarg, "expected seconds > 0");
            }
            break;
        case OPT_MISSES: {
            char *end;
            long v = strtol(optarg, &end, 10);
            if (*optarg == '\0' || *end != '\0' || v < 1 || v > 100) {
                return bad_arg("--echo-misses", optarg, "expected an integer from 1 to 100");
            }
            c->core.echo_misses = (unsigned)v;
            break;
        }
        case OPT_APP:
            if (!config_parse_app(optarg, &c->app)) {
                return bad_arg("--app", optarg, "expected none or learning");
            }
            break;
        case OPT_OPENFLOW:
            if (!config_parse_versions(optarg, &c->core.versions)) {
                return bad_arg("--openflow", optarg, "expected 1.0, 1.3 or 1.0,1.3");
            }
            break;
        case OPT_HELP:
            usage(stdout);
            return 0;
        case OPT_VERSION:
            printf("matflowd %s\n", MATFLOW_VERSION);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "matflowd: unexpected argument '%s'\n", argv[optind]);
        usage(stderr);
        return 2;
    }
    if (c->n_listen == 0) {
        config_add_listen(c, MATFLOW_DEFAULT_LISTEN);
    }
    if (!config_check_tls(c)) {
        return 1;
    }
    return -1; /* run */
}

static void on_hup(evutil_socket_t sig, short what, void *arg)
{
    /* No reload yet: a HUP (logrotate, a closed terminal) must not kill us. */
    LOG_WRN("main", "SIGHUP ignored: matflowd has no reload; restart it to apply a new config");
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    LOG_INF("main", "signal %d: shutting down", (int)sig);
    event_base_loopexit(arg, NULL);
}

/* With sites, the learning application sits behind the mobility
 * application's tables on the switches of the sites that forward by
 * learning, and stays off those that use NORMAL; it owns table 0 of every
 * other switch when it is the controller's application. */
static uint8_t learning_table_of(const struct mf_switch *sw, void *arg)
{
    const struct config *cfg = arg;
    const struct mob_site *site = mob_site_of_dpid(cfg->mob, sw_get_info(sw)->dpid);
    if (site) {
        return site->forward_table ? site->forward_table : L2L_TABLE_NONE;
    }
    return cfg->app == CONFIG_APP_LEARNING ? 0 : L2L_TABLE_NONE;
}

/* Loads the TLS files before any listener opens, so that a bad file stops
 * the start with nothing half-open. 0 or 1 (refused). */
static int start_tls(struct mf_core *core, const struct config *cfg)
{
    if (!config_has_ssl_listener(cfg)) {
        if (cfg->tls.private_key) {
            LOG_WRN("main", "TLS settings given but no ssl: listener: they are not used");
        }
        return 0;
    }
    struct tls_files f = {cfg->tls.private_key, cfg->tls.certificate, cfg->tls.ca_certificate};
    char err[512];
    if (core_set_tls(core, &f, err, sizeof err) != 0) {
        fprintf(stderr, "matflowd: TLS: %s\n", err);
        return 1;
    }
    LOG_INF("main", "TLS: certificate %s, switch CA %s", f.certificate, f.ca_certificate);
    return 0;
}

/* Thousands of switches need thousands of descriptors. */
static void raise_fd_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

int main(int argc, char **argv)
{
    struct config cfg;
    config_init(&cfg);
    int rc = parse_args(argc, argv, &cfg);
    if (rc >= 0) {
        config_free(&cfg);
        return rc;
    }
    log_set_level(cfg.log_level);
    signal(SIGPIPE, SIG_IGN);
    raise_fd_limit();

    struct event_base *base = event_base_new();
    struct mf_core *core = base ? core_create(base, &cfg.core) : NULL;
    if (!core) {
        fprintf(stderr, "matflowd: cannot start the event loop\n");
        return 1;
    }
    /* Signals are caught from here on: a SIGTERM that arrives while we set
     * up (a supervisor stopping us early) still ends the loop cleanly. */
    struct event *term = evsignal_new(base, SIGTERM, on_signal, base);
    struct event *intr = evsignal_new(base, SIGINT, on_signal, base);
    struct event *hup = evsignal_new(base, SIGHUP, on_hup, base);
    event_add(term, NULL);
    event_add(intr, NULL);
    event_add(hup, NULL);
    rc = start_tls(core, &cfg);
    for (unsigned i = 0; i < cfg.n_listen && rc == 0; i++) {
        char err[256];
        if (core_listen(core, cfg.listen[i], err, sizeof err) != 0) {
            fprintf(stderr, "matflowd: %s\n", err);
            rc = 1;
        }
    }
    /* The mobility application runs when sites are configured. */
    struct mob_store *store = NULL;
    struct mob_app *mob = NULL;
    bool learning_wanted = config_settle_forwarding(&cfg);
    if (rc == 0 && cfg.mob->n_sites > 0) {
        store = mob_store_open(cfg.db_path, cfg.db_sync_full);
        if (store) {
            LOG_INF("main", "bindings in %s (they survive a crash of matflowd%s)", cfg.db_path,
                    mob_store_survives_power_loss(store) ? " and a power loss" : "");
        }
        mob = store ? mobility_create(core, base, cfg.mob, store) : NULL;
        if (mob) {
            core_add_app(core, mobility_as_app(mob));
        } else {
            rc = 1;
        }
    }
    struct l2learn *learning = NULL;
    if (rc == 0 && learning_wanted) {
        struct l2learn_options lo;
        l2learn_options_default(&lo);
        if (mob) {
            lo.table_of = learning_table_of;
            lo.table_of_arg = &cfg;
        }
        learning = l2learn_create(&lo);
        if (learning) {
            if (mob) {
                unsigned n = 0;
                for (unsigned i = 0; i < cfg.mob->n_sites; i++) {
                    n += cfg.mob->sites[i].forward_table != 0;
                }
                LOG_INF("main", "forwarding application: learning, in table %u of the switches "
                        "of %u site(s) (behind mobility; the other sites use NORMAL)%s",
                        (unsigned)CONFIG_LEARNING_TABLE_BEHIND_MOBILITY, n,
                        cfg.app == CONFIG_APP_LEARNING ? " and table 0 of every other switch" : "");
            } else {
                LOG_INF("main", "forwarding application: learning (table 0)");
            }
            core_add_app(core, l2learn_as_app(learning));
        } else {
            rc = 1;
        }
    }
    struct api_server *api = rc == 0 ? api_start(base, core, mob, cfg.api_path) : NULL;
    if (rc == 0 && !api) {
        rc = 1;
    }
    if (rc == 0) {
        LOG_INF("main", "matflowd %s running", MATFLOW_VERSION);
        event_base_dispatch(base);
    }
    event_free(term);
    event_free(intr);
    event_free(hup);
    api_stop(api);
    core_destroy(core); /* completes pending batches before the app goes */
    mobility_destroy(mob);
    l2learn_destroy(learning);
    mob_store_close(store);
    event_base_free(base);
    config_free(&cfg);
    return rc;
}
