/* config.h - matflowd's settings: defaults, the YAML file, the command
 * line, in that order of precedence. */
#ifndef MATFLOW_CONFIG_H
#define MATFLOW_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "app/mobility/mob_config.h"
#include "core/core.h"
#include "util/log.h"

#define CONFIG_MAX_LISTEN 16
#define MATFLOW_DEFAULT_API "/run/matflow/matflowd.sock"
#define MATFLOW_DEFAULT_LISTEN "tcp:0.0.0.0:6653"
#define MATFLOW_DEFAULT_DB "/var/lib/matflow/state.db"

/* The forwarding application (controller.application, --app). The mobility
 * application runs whenever sites are configured, whatever this says. */
enum config_app {
    CONFIG_APP_NONE,     /* the switches forward by themselves (NORMAL) */
    CONFIG_APP_LEARNING, /* L2 learning, for switches without NORMAL */
};

/* The table the learning application owns on a site's switch when the
 * mobility application runs in front of it (its tables are 0-2): what its
 * rules forward goes there instead of to NORMAL. On other switches, and
 * without sites, learning owns table 0. */
#define CONFIG_LEARNING_TABLE_BEHIND_MOBILITY 3

/* controller.tls / --tls-key, --tls-cert, --tls-ca: what `ssl:` listeners
 * need (absolute paths; NULL if not given). All three or none. */
struct config_tls {
    char *private_key;
    char *certificate;
    char *ca_certificate;
};

struct config {
    char *listen[CONFIG_MAX_LISTEN];
    unsigned n_listen;
    char *ssl_listen_where; /* "FILE:LINE:COLUMN" of the file's first ssl:
                               listen address, for config_check_tls */
    struct config_tls tls;
    char *api_path;
    char *db_path;
    /* durability: crash (a committed binding survives a crash of matflowd:
     * SQLite synchronous=NORMAL) or power (also a power loss: FULL). */
    bool db_sync_full;
    struct mob_config *mob; /* sites and static mobile nodes */
    enum log_level log_level;
    struct core_options core;
    enum config_app app;
    /* sites[i].forwarding as written: 0 not given (controller.application
     * decides), else CONFIG_FORWARD_NORMAL or CONFIG_FORWARD_LEARNING. */
    uint8_t site_forwarding[MOB_MAX_SITES];
};
#define CONFIG_FORWARD_NORMAL 1
#define CONFIG_FORWARD_LEARNING 2

/* Settles each site's forwarding (its own `forwarding`, else the
 * application's) into cfg->mob->sites[i].forward_table; true if some site,
 * or the application, needs the learning application. */
bool config_settle_forwarding(struct config *c);

void config_init(struct config *c);
void config_free(struct config *c);
/* Replaces the listen list with one entry / appends one. False if full. */
bool config_add_listen(struct config *c, const char *spec);
void config_clear_listen(struct config *c);
void config_set_api(struct config *c, const char *path);
/* Replaces one of c->tls's paths (slot points into c->tls). */
void config_set_path(char **slot, const char *path);

/* True if some listen address is `ssl:`. */
bool config_has_ssl_listener(const struct config *c);
/* The settings as a whole, once file and flags are in: TLS paths all three
 * or none, and all three if there is an `ssl:` listener. Prints every
 * problem to stderr (at the file's line and column where it came from the
 * file); false if any. */
bool config_check_tls(const struct config *c);

/* Reads a YAML file into c. On failure returns false and prints every
 * error as "FILE:LINE:COLUMN: reason" to stderr; c may be partly set. */
bool config_load(struct config *c, const char *path);

/* Parses "none" or "learning"; false if neither. */
bool config_parse_app(const char *s, enum config_app *out);
/* Parses OpenFlow versions "1.0", "1.3" or both, comma-separated ("1.0,1.3")
 * into a HELLO bitmap; false if empty, unknown or repeated. */
bool config_parse_versions(const char *s, uint32_t *out);

/* Parses a positive number of seconds ("5", "0.3"); false if not one. */
bool config_parse_seconds(const char *s, double *out);

#endif
