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

void config_init(struct config *c)
{
    memset(c, 0, sizeof *c);
    c->api_path = strdup(MATFLOW_DEFAULT_API);
    c->db_path = strdup(MATFLOW_DEFAULT_DB);
    c->mob = calloc(1, sizeof *c->mob);
    c->log_level = LOG_INFO;
    core_options_default(&c->core);
}

void config_clear_listen(struct config *c)
{
    for (unsigned i = 0; i < c->n_listen; i++) {
        free(c->listen[i]);
    }
    c->n_listen = 0;
}

void config_free(struct config *c)
{
    config_clear_listen(c);
    free(c->api_path);
    c->api_path = NULL;
    free(c->db_path);
    c->db_path = NULL;
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

static void load_listen(struct loader *l, yaml_node_t *v)
{
    config_clear_listen(l->c);
    if (v->type == YAML_SCALAR_NODE) {
        config_add_listen(l->c, (const char *)v->data.scalar.value);
        return;
    }
    if (v->type != YAML_SEQUENCE_NODE) {
        error_at(l, v, "'%s' must be an address or a list of addresses", "listen");
        return;
    }
    for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top;
         it++) {
        yaml_node_t *item = yaml_document_get_node(l->doc, *it);
        const char *s = scalar(l, item, "listen");
        bool seen = false;
        for (unsigned i = 0; s && i < l->c->n_listen && !seen; i++) {
            seen = !strcmp(l->c->listen[i], s);
        }
        if (s && strncmp(s, "tcp:", 4) != 0) {
            error_at(l, item, "listen address '%s' must start with tcp:", s);
        } else if (s && !core_listen_spec_valid(s)) {
            error_at(l, item, "bad listen address '%s' (expected tcp:PORT or tcp:ADDR:PORT)", s);
        } else if (seen) {
            error_at(l, item, "listen address '%s' given twice", s);
        } else if (s && !config_add_listen(l->c, s)) {
            error_at(l, item, "too many listen addresses (at most 16)%s", "");
        }
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
    } else {
        error_at(l, v, "unknown top-level key '%s' (expected: controller, sites, mobile_nodes)",
                 key);
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
