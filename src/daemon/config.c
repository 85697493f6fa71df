/* config.c - the YAML configuration file (libyaml document API).
 *
 * Every error names file, line and column (1-based, as editors count) and
 * the reason; all errors of a file are reported, not just the first. */
#include "daemon/config.h"
#include "daemon/config_yaml.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "core/tls.h"

void config_init(struct config *c)
{
    memset(c, 0, sizeof *c);
    c->api_path = strdup(MATFLOW_DEFAULT_API);
    c->db_path = strdup(MATFLOW_DEFAULT_DB);
    c->mob = calloc(1, sizeof *c->mob);
    if (c->mob) {
        mob_guard_defaults(&c->mob->guard);
    }
    c->log_level = LOG_INFO;
    core_options_default(&c->core);
}

void config_clear_listen(struct config *c)
{
    for (unsigned i = 0; i < c->n_listen; i++) {
        free(c->listen[i]);
    }
    c->n_listen = 0;
    free(c->ssl_listen_where);
    c->ssl_listen_where = NULL;
}

void config_free(struct config *c)
{
    config_clear_listen(c);
    free(c->api_path);
    c->api_path = NULL;
    free(c->db_path);
    c->db_path = NULL;
    free(c->tls.private_key);
    free(c->tls.certificate);
    free(c->tls.ca_certificate);
    memset(&c->tls, 0, sizeof c->tls);
    free(c->mob);
    c->mob = NULL;
}

bool config_add_listen(struct config *c, const char *spec)
{
    if (c->n_listen >= CONFIG_MAX_LISTEN) {
        return false;
    }
    c->listen[c->n_listen++] = strdup(spec);
    return true;
}

void config_set_api(struct config *c, const char *path)
{
    free(c->api_path);
    c->api_path = strdup(path);
}

void config_set_path(char **slot, const char *path)
{
    free(*slot);
    *slot = strdup(path);
}

bool config_has_ssl_listener(const struct config *c)
{
    for (unsigned i = 0; i < c->n_listen; i++) {
        if (core_listen_spec_tls(c->listen[i])) {
            return true;
        }
    }
    return false;
}

bool config_check_tls(const struct config *c)
{
    const struct config_tls *t = &c->tls;
    char missing[256] = "";
    size_t n = 0;
    if (!t->private_key) {
        n += (size_t)snprintf(missing + n, sizeof missing - n,
                              "%s--tls-key (controller.tls.private_key)", n ? ", " : "");
    }
    if (!t->certificate) {
        n += (size_t)snprintf(missing + n, sizeof missing - n,
                              "%s--tls-cert (controller.tls.certificate)", n ? ", " : "");
    }
    if (!t->ca_certificate) {
        n += (size_t)snprintf(missing + n, sizeof missing - n,
                              "%s--tls-ca (controller.tls.ca_certificate)", n ? ", " : "");
    }
    const char *ssl = NULL;
    for (unsigned i = 0; i < c->n_listen && !ssl; i++) {
        ssl = core_listen_spec_tls(c->listen[i]) ? c->listen[i] : NULL;
    }
    bool none = !t->private_key && !t->certificate && !t->ca_certificate;
    if (n == 0 || (none && !ssl)) {
        return true;
    }
    if (ssl) {
        /* ssl_listen_where is set only while the list is the file's. */
        fprintf(stderr, "%s: listen address '%s' needs TLS settings; missing: %s\n",
                c->ssl_listen_where ? c->ssl_listen_where : "matflowd", ssl, missing);
    } else {
        fprintf(stderr, "matflowd: TLS settings go together; missing: %s\n", missing);
    }
    return false;
}

bool config_parse_seconds(const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (*s == '\0' || *end != '\0' || errno || !isfinite(v) || v <= 0 || v > 86400) {
        return false;
    }
    *out = v;
    return true;
}

bool config_parse_app(const char *s, enum config_app *out)
{
    if (!strcmp(s, "none")) {
        *out = CONFIG_APP_NONE;
    } else if (!strcmp(s, "learning")) {
        *out = CONFIG_APP_LEARNING;
    } else {
        return false;
    }
    return true;
}

/* One version name; 0 if unknown. */
static uint8_t version_of_name(const char *s, size_t len)
{
    for (uint8_t v = 1; v < 32; v++) {
        const char *name = core_version_name(v);
        if (name && strlen(name) == len && !strncmp(s, name, len)) {
            return v;
        }
    }
    return 0;
}

bool config_parse_versions(const char *s, uint32_t *out)
{
    uint32_t bits = 0;
    for (;;) {
        size_t len = strcspn(s, ",");
        uint8_t v = version_of_name(s, len);
        if (v == 0 || (bits >> v) & 1u) {
            return false;
        }
        bits |= 1u << v;
        if (s[len] == '\0') {
            break;
        }
        s += len + 1;
    }
    *out = bits;
    return true;
}

static bool parse_uint(const char *s, unsigned long long max, unsigned long long *out)
{
    char *end;
    errno = 0;
    if (*s == '-' || *s == '\0') {
        return false;
    }
    unsigned long long v = strtoull(s, &end, 10);
    if (*end != '\0' || errno || v == 0 || v > max) {
        return false;
    }
    *out = v;
    return true;
}

void error_at(struct loader *l, const yaml_node_t *n, const char *fmt, const char *arg)
{
    fprintf(stderr, "%s:%zu:%zu: ", l->path, n->start_mark.line + 1, n->start_mark.column + 1);
    fprintf(stderr, fmt, arg);
    fputc('\n', stderr);
    l->errors++;
}

const char *scalar(struct loader *l, const yaml_node_t *n, const char *key)
{
    if (n->type != YAML_SCALAR_NODE) {
        error_at(l, n, "'%s' must be a single value", key);
        return NULL;
    }
    return (const char *)n->data.scalar.value;
}

/* One listen address of the file (item: its node). */
static void load_listen_item(struct loader *l, yaml_node_t *item)
{
    const char *s = scalar(l, item, "listen");
    if (!s) {
        return;
    }
    bool seen = false;
    for (unsigned i = 0; i < l->c->n_listen && !seen; i++) {
        seen = !strcmp(l->c->listen[i], s);
    }
    if (strncmp(s, "tcp:", 4) != 0 && strncmp(s, "ssl:", 4) != 0) {
        error_at(l, item, "listen address '%s' must start with tcp: or ssl:", s);
    } else if (!core_listen_spec_valid(s)) {
        error_at(l, item, "bad listen address '%s' (expected tcp:PORT, tcp:ADDR:PORT, "
                 "tcp:[ADDR6]:PORT, or the same with ssl:)", s);
    } else if (seen) {
        error_at(l, item, "listen address '%s' given twice", s);
    } else if (!config_add_listen(l->c, s)) {
        error_at(l, item, "too many listen addresses (at most 16)%s", "");
    } else if (core_listen_spec_tls(s) && !l->c->ssl_listen_where) {
        /* Whether TLS settings come with it is known only once the flags
         * are read too (config_check_tls): remember where it was. */
        char where[64];
        snprintf(where, sizeof where, ":%zu:%zu", item->start_mark.line + 1,
                 item->start_mark.column + 1);
        size_t len = strlen(l->path) + strlen(where) + 1;
        l->c->ssl_listen_where = malloc(len);
        if (l->c->ssl_listen_where) {
            snprintf(l->c->ssl_listen_where, len, "%s%s", l->path, where);
        }
    }
}

static void load_listen(struct loader *l, yaml_node_t *v)
{
    config_clear_listen(l->c);
    if (v->type == YAML_SCALAR_NODE) {
        load_listen_item(l, v);
        return;
    }
    if (v->type != YAML_SEQUENCE_NODE) {
        error_at(l, v, "'%s' must be an address or a list of addresses", "listen");
        return;
    }
    for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top;
         it++) {
        load_listen_item(l, yaml_document_get_node(l->doc, *it));
    }
}

/* controller.tls: the nodes of its values (once given, even if wrong), for
 * errors that point at them. */
struct tls_nodes {
    yaml_node_t *private_key, *certificate, *ca_certificate;
};

static void load_tls_key(struct loader *l, const char *key, yaml_node_t *v)
{
    struct tls_nodes *tn = l->ctx;
    struct config_tls *t = &l->c->tls;
    char **slot;
    yaml_node_t **node;
    if (!strcmp(key, "private_key")) {
        slot = &t->private_key;
        node = &tn->private_key;
    } else if (!strcmp(key, "certificate")) {
        slot = &t->certificate;
        node = &tn->certificate;
    } else if (!strcmp(key, "ca_certificate")) {
        slot = &t->ca_certificate;
        node = &tn->ca_certificate;
    } else {
        error_at(l, v, "unknown key 'controller.tls.%s' (expected: private_key, certificate, "
                 "ca_certificate)", key);
        return;
    }
    *node = v;
    const char *s = scalar(l, v, key);
    if (s && s[0] != '/') {
        char msg[512]; /* error_at takes one argument: key and value go in msg */
        snprintf(msg, sizeof msg, "controller.tls.%s must be an absolute path, not '%s'", key, s);
        error_at(l, v, "%s", msg);
    } else if (s) {
        config_set_path(slot, s);
    }
}

/* Loads the three files as the daemon will, so that --check-config finds a
 * missing file, a key without its certificate or an empty CA file. */
static void check_tls_files(struct loader *l, yaml_node_t *map, const struct tls_nodes *tn)
{
    const struct config_tls *t = &l->c->tls;
    struct tls_files f = {t->private_key, t->certificate, t->ca_certificate};
    enum tls_file bad;
    char err[512];
    struct tls_ctx *ctx = tls_ctx_create(&f, &bad, err, sizeof err);
    if (ctx) {
        tls_ctx_free(ctx);
        return;
    }
    yaml_node_t *at = bad == TLS_FILE_KEY    ? tn->private_key
                      : bad == TLS_FILE_CERT ? tn->certificate
                      : bad == TLS_FILE_CA   ? tn->ca_certificate
                                             : map;
    error_at(l, at, "controller.tls: %s", err);
}

static void load_tls(struct loader *l, yaml_node_t *v)
{
    struct tls_nodes tn = {NULL, NULL, NULL};
    void *saved = l->ctx;
    unsigned errors = l->errors;
    l->ctx = &tn;
    load_mapping(l, v, "controller.tls", load_tls_key);
    l->ctx = saved;
    if (v->type != YAML_MAPPING_NODE) {
        return; /* load_mapping said so */
    }
    char missing[64] = "";
    size_t n = 0;
    const char *names[] = {"private_key", "certificate", "ca_certificate"};
    const yaml_node_t *given[] = {tn.private_key, tn.certificate, tn.ca_certificate};
    for (unsigned i = 0; i < 3; i++) {
        if (!given[i]) {
            n += (size_t)snprintf(missing + n, sizeof missing - n, "%s%s", n ? ", " : "",
                                  names[i]);
        }
    }
    if (n > 0) {
        error_at(l, v, "controller.tls needs private_key, certificate and ca_certificate; "
                 "missing: %s", missing);
    } else if (l->errors == errors) {
        check_tls_files(l, v, &tn);
    }
}

/* "1.3", "1.0,1.3" or a list of versions. */
static void load_versions(struct loader *l, yaml_node_t *v)
{
    if (v->type == YAML_SCALAR_NODE) {
        const char *s = (const char *)v->data.scalar.value;
        if (!config_parse_versions(s, &l->c->core.versions)) {
            error_at(l, v, "openflow_versions must be 1.0, 1.3 or a list of them, not '%s'", s);
        }
        return;
    }
    if (v->type != YAML_SEQUENCE_NODE) {
        error_at(l, v, "'%s' must be a version or a list of versions", "openflow_versions");
        return;
    }
    uint32_t bits = 0;
    unsigned bad = 0;
    for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top;
         it++) {
        yaml_node_t *item = yaml_document_get_node(l->doc, *it);
        const char *s = scalar(l, item, "openflow_versions");
        uint32_t one;
        if (!s) {
            bad++;
        } else if (!config_parse_versions(s, &one) || (one & (one - 1)) != 0) {
            error_at(l, item, "each of openflow_versions must be 1.0 or 1.3, not '%s'", s);
            bad++;
        } else if (bits & one) {
            error_at(l, item, "OpenFlow version '%s' given twice", s);
            bad++;
        } else {
            bits |= one;
        }
    }
    if (bits == 0 && bad == 0) {
        error_at(l, v, "'%s' must name at least one version", "openflow_versions");
    }
    if (bits != 0) {
        l->c->core.versions = bits;
    }
}

static void load_controller_key(struct loader *l, const char *key, yaml_node_t *v)
{
    struct config *c = l->c;
    if (!strcmp(key, "listen")) {
        load_listen(l, v);
        return;
    }
    if (!strcmp(key, "openflow_versions")) {
        load_versions(l, v);
        return;
    }
    if (!strcmp(key, "tls")) {
        load_tls(l, v);
        return;
    }
    const char *s = scalar(l, v, key);
    if (!s) {
        return;
    }
    unsigned long long u;
    if (!strcmp(key, "api")) {
        if (s[0] != '/') {
            error_at(l, v, "api must be an absolute path, not '%s'", s);
        } else {
            config_set_api(c, s);
        }
    } else if (!strcmp(key, "database")) {
        if (s[0] != '/') {
            error_at(l, v, "database must be an absolute path, not '%s'", s);
        } else {
            free(c->db_path);
            c->db_path = strdup(s);
        }
    } else if (!strcmp(key, "durability")) {
        if (!strcmp(s, "crash")) {
            c->db_sync_full = false;
        } else if (!strcmp(s, "power")) {
            c->db_sync_full = true;
        } else {
            error_at(l, v, "durability must be crash or power, not '%s'", s);
        }
    } else if (!strcmp(key, "log_level")) {
        if (!log_level_parse(s, &c->log_level)) {
            error_at(l, v, "log_level must be debug, info, warn or error, not '%s'", s);
        }
    } else if (!strcmp(key, "application")) {
        if (!config_parse_app(s, &c->app)) {
            error_at(l, v, "application must be none or learning, not '%s'", s);
        }
    } else if (!strcmp(key, "echo_interval")) {
        if (!config_parse_seconds(s, &c->core.echo_interval_s)) {
            error_at(l, v, "echo_interval must be a positive number of seconds, not '%s'", s);
        }
    } else if (!strcmp(key, "barrier_timeout")) {
        if (!config_parse_seconds(s, &c->core.barrier_timeout_s)) {
            error_at(l, v, "barrier_timeout must be a positive number of seconds, not '%s'", s);
        }
    } else if (!strcmp(key, "handshake_timeout")) {
        if (!config_parse_seconds(s, &c->core.handshake_timeout_s)) {
            error_at(l, v, "handshake_timeout must be a positive number of seconds, not '%s'", s);
        }
    } else if (!strcmp(key, "echo_misses")) {
        if (!parse_uint(s, 100, &u)) {
            error_at(l, v, "echo_misses must be an integer from 1 to 100, not '%s'", s);
        } else {
            c->core.echo_misses = (unsigned)u;
        }
    } else if (!strcmp(key, "max_queue_bytes")) {
        if (!parse_uint(s, 1ull << 32, &u) || u < 65536) {
            error_at(l, v, "max_queue_bytes must be an integer from 65536 to 2^32, not '%s'", s);
        } else {
            c->core.max_queue_bytes = (size_t)u;
        }
    } else {
        error_at(l, v, "unknown key 'controller.%s'", key);
    }
}

void load_mapping(struct loader *l, yaml_node_t *map, const char *where,
                         void (*each)(struct loader *, const char *, yaml_node_t *))
{
    if (map->type != YAML_MAPPING_NODE) {
        error_at(l, map, "'%s' must be a mapping of keys to values", where);
        return;
    }
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
         p++) {
        yaml_node_t *k = yaml_document_get_node(l->doc, p->key);
        yaml_node_t *v = yaml_document_get_node(l->doc, p->value);
        if (k->type != YAML_SCALAR_NODE) {
            error_at(l, k, "keys of '%s' must be plain names", where);
            continue;
        }
        bool repeated = false;
        for (yaml_node_pair_t *q = map->data.mapping.pairs.start; q < p && !repeated; q++) {
            yaml_node_t *qk = yaml_document_get_node(l->doc, q->key);
            repeated = qk->type == YAML_SCALAR_NODE &&
                       !strcmp((const char *)qk->data.scalar.value,
                               (const char *)k->data.scalar.value);
        }
        if (repeated) {
            /* YAML keeps the last one silently; a typo must not. */
            error_at(l, k, "key '%s' given twice", (const char *)k->data.scalar.value);
            continue;
        }
        each(l, (const char *)k->data.scalar.value, v);
    }
}

static void load_top_key(struct loader *l, const char *key, yaml_node_t *v)
{
    if (!strcmp(key, "controller")) {
        load_mapping(l, v, "controller", load_controller_key);
    } else if (!strcmp(key, "sites")) {
        config_load_sites(l, v);
    } else if (!strcmp(key, "mobile_nodes")) {
        config_load_nodes(l, v);
    } else if (!strcmp(key, "mobility")) {
        config_load_mobility(l, v);
    } else {
        error_at(l, v, "unknown top-level key '%s' (expected: controller, sites, mobile_nodes, "
                 "mobility)", key);
    }
}

bool config_load(struct config *c, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "%s: cannot open: %s\n", path, strerror(errno));
        return false;
    }
    yaml_parser_t parser;
    yaml_document_t doc;
    yaml_parser_initialize(&parser);
    yaml_parser_set_input_file(&parser, f);
    struct loader l = {path, &doc, c, 0, NULL, 0};
    if (!yaml_parser_load(&parser, &doc)) {
        fprintf(stderr, "%s:%zu:%zu: %s\n", path, parser.problem_mark.line + 1,
                parser.problem_mark.column + 1, parser.problem ? parser.problem : "syntax error");
        yaml_parser_delete(&parser);
        fclose(f);
        return false;
    }
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    if (root) { /* an empty file is a valid, empty configuration */
        load_mapping(&l, root, "the file", load_top_key);
    }
    if (l.errors == 0) {
        l.errors += mob_config_validate(c->mob, path);
    }
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    fclose(f);
    return l.errors == 0;
}

bool config_settle_forwarding(struct config *c)
{
    bool learning = c->app == CONFIG_APP_LEARNING;
    for (unsigned i = 0; i < c->mob->n_sites; i++) {
        uint8_t f = c->site_forwarding[i];
        bool site_learns = f == CONFIG_FORWARD_LEARNING || (f == 0 && c->app == CONFIG_APP_LEARNING);
        c->mob->sites[i].forward_table = site_learns ? CONFIG_LEARNING_TABLE_BEHIND_MOBILITY : 0;
        learning |= site_learns;
    }
    return learning;
}
