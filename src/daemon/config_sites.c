/* config_sites.c - the `sites` and `mobile_nodes` sections of the
 * configuration file, read into a struct mob_config. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/config_yaml.h"

enum { SITE_NAME = 1, SITE_DPID = 2, SITE_PREFIX = 4, SITE_GATEWAY = 8, SITE_UPLINKS = 16,
       SITE_POOL = 32 };
static const char *const site_required[] = {"name", "dpid", "prefix", "gateway", "uplinks",
                                            "moa_pool"};

static bool parse_ipv4(const char *s, uint32_t *out)
{
    struct in_addr a;
    if (inet_pton(AF_INET, s, &a) != 1) {
        return false;
    }
    *out = ntohl(a.s_addr);
    return true;
}

static bool parse_prefix(const char *s, uint32_t *addr, uint32_t *len)
{
    char buf[32];
    const char *slash = strchr(s, '/');
    if (!slash || (size_t)(slash - s) >= sizeof buf) {
        return false;
    }
    memcpy(buf, s, (size_t)(slash - s));
    buf[slash - s] = '\0';
    char *end;
    long n = strtol(slash + 1, &end, 10);
    if (*end != '\0' || slash[1] == '\0' || n < 1 || n > 30 || !parse_ipv4(buf, addr)) {
        return false;
    }
    *len = (uint32_t)n;
    return (*addr & ~mob_prefix_mask(*len)) == 0;
}

/* A dpid as an integer (1, 0x1) or 16 hex digits, as OVS prints it. */
static bool parse_dpid(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    int base = strlen(s) == 16 ? 16 : 0;
    if (*s == '-' || *s == '\0') {
        return false;
    }
    unsigned long long v = strtoull(s, &end, base);
    if (*end != '\0' || errno) {
        return false;
    }
    *out = v;
    return true;
}

static bool parse_pool(const char *s, uint32_t *first, uint32_t *last)
{
    char a[32];
    const char *dash = strchr(s, '-');
    if (!dash || (size_t)(dash - s) >= sizeof a) {
        return false;
    }
    memcpy(a, s, (size_t)(dash - s));
    a[dash - s] = '\0';
    return parse_ipv4(a, first) && parse_ipv4(dash + 1, last);
}

static void load_ports(struct loader *l, yaml_node_t *v, const char *key, uint32_t *ports,
                       unsigned *n)
{
    *n = 0;
    if (v->type != YAML_SEQUENCE_NODE) {
        error_at(l, v, "'%s' must be a list of port numbers, e.g. [1, 2]", key);
        return;
    }
    for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top;
         it++) {
        yaml_node_t *item = yaml_document_get_node(l->doc, *it);
        const char *s = scalar(l, item, key);
        char *end;
        errno = 0;
        unsigned long p = s ? strtoul(s, &end, 10) : 0;
        if (!s) {
            continue;
        }
        if (*s == '\0' || *s == '-' || *end != '\0' || errno || p < 1 || p > 0xffffff00ul) {
            error_at(l, item, "port number expected (1 to 4294967040), not '%s'", s);
        } else if (*n >= MOB_MAX_PORTS) {
            error_at(l, item, "too many ports in '%s' (at most 64)", key);
        } else {
            ports[(*n)++] = (uint32_t)p;
        }
    }
}

static void load_site_key(struct loader *l, const char *key, yaml_node_t *v)
{
    struct mob_site *site = l->ctx;
    if (!strcmp(key, "uplinks")) {
        l->seen |= SITE_UPLINKS;
        load_ports(l, v, key, site->uplinks, &site->n_uplinks);
        return;
    }
    if (!strcmp(key, "hypervisor_ports")) {
        load_ports(l, v, key, site->hypervisor_ports, &site->n_hypervisor_ports);
        return;
    }
    const char *s = scalar(l, v, key);
    if (!s) {
        return;
    }
    if (!strcmp(key, "name")) {
        l->seen |= SITE_NAME;
        if (*s == '\0' || strlen(s) >= MOB_NAME_LEN || strspn(s, "abcdefghijklmnopqrstuvwxyz"
                                                                 "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                                                 "0123456789-_.") != strlen(s)) {
            error_at(l, v, "site name '%s' must be 1-31 letters, digits, '-', '_' or '.'", s);
        } else {
            strcpy(site->name, s);
        }
    } else if (!strcmp(key, "dpid")) {
        l->seen |= SITE_DPID;
        if (!parse_dpid(s, &site->dpid)) {
            error_at(l, v, "dpid must be an integer or 16 hex digits, not '%s'", s);
        }
    } else if (!strcmp(key, "prefix")) {
        l->seen |= SITE_PREFIX;
        if (!parse_prefix(s, &site->prefix, &site->prefix_len)) {
            error_at(l, v, "prefix must be ADDRESS/LENGTH (length 1-30, no host bits), not '%s'",
                     s);
        }
    } else if (!strcmp(key, "gateway")) {
        l->seen |= SITE_GATEWAY;
        if (!parse_ipv4(s, &site->gateway)) {
            error_at(l, v, "gateway must be an IPv4 address, not '%s'", s);
        }
    } else if (!strcmp(key, "gateway_mac")) {
        if (!eth_addr_parse(s, &site->gateway_mac) || eth_addr_is_multicast(site->gateway_mac)) {
            error_at(l, v, "gateway_mac must be a unicast MAC address, not '%s'", s);
        } else {
            site->has_gateway_mac = true;
        }
    } else if (!strcmp(key, "forwarding")) {
        unsigned i = (unsigned)(site - l->c->mob->sites);
        if (!strcmp(s, "normal")) {
            l->c->site_forwarding[i] = CONFIG_FORWARD_NORMAL;
        } else if (!strcmp(s, "learning")) {
            l->c->site_forwarding[i] = CONFIG_FORWARD_LEARNING;
        } else {
            error_at(l, v, "forwarding must be normal or learning, not '%s'", s);
        }
    } else if (!strcmp(key, "moa_pool")) {
        l->seen |= SITE_POOL;
        if (!parse_pool(s, &site->pool_first, &site->pool_last)) {
            error_at(l, v, "moa_pool must be FIRST-LAST addresses, not '%s'", s);
        }
    } else {
        error_at(l, v, "unknown key 'sites[].%s'", key);
    }
}

void config_load_sites(struct loader *l, yaml_node_t *v)
{
    struct mob_config *mc = l->c->mob;
    if (v->type != YAML_SEQUENCE_NODE) {
        error_at(l, v, "'%s' must be a list of sites", "sites");
        return;
    }
    for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top;
         it++) {
        yaml_node_t *item = yaml_document_get_node(l->doc, *it);
        if (mc->n_sites >= MOB_MAX_SITES) {
            error_at(l, item, "too many sites (at most %s)", "4096");
            return;
        }
        struct mob_site *site = &mc->sites[mc->n_sites++];
        memset(site, 0, sizeof *site);
        site->line = (unsigned)item->start_mark.line + 1;
        l->ctx = site;
        l->seen = 0;
        load_mapping(l, item, "sites[]", load_site_key);
        for (unsigned b = 0; b < sizeof site_required / sizeof site_required[0]; b++) {
            if (item->type == YAML_MAPPING_NODE && !(l->seen & (1u << b))) {
                error_at(l, item, "site lacks the required key '%s'", site_required[b]);
            }
        }
    }
}

static void load_node_key(struct loader *l, const char *key, yaml_node_t *v)
{
    struct mob_static_node *n = l->ctx;
    const char *s = scalar(l, v, key);
    if (!s) {
        return;
    }
    if (!strcmp(key, "mac")) {
        l->seen |= 1;
        if (!eth_addr_parse(s, &n->mac) || eth_addr_is_multicast(n->mac) ||
            eth_addr_is_zero(n->mac)) {
            error_at(l, v, "mac must be a unicast MAC address, not '%s'", s);
        }
    } else if (!strcmp(key, "hoa")) {
        l->seen |= 2;
        if (!parse_ipv4(s, &n->hoa)) {
            error_at(l, v, "hoa must be an IPv4 address, not '%s'", s);
        }
    } else {
        error_at(l, v, "unknown key 'mobile_nodes[].%s'", key);
    }
}

void config_load_nodes(struct loader *l, yaml_node_t *v)
{
    struct mob_config *mc = l->c->mob;
    if (v->type != YAML_SEQUENCE_NODE) {
        error_at(l, v, "'%s' must be a list of {mac, hoa}", "mobile_nodes");
        return;
    }
    for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top;
         it++) {
        yaml_node_t *item = yaml_document_get_node(l->doc, *it);
        if (mc->n_nodes >= MOB_MAX_STATIC_NODES) {
            error_at(l, item, "too many mobile nodes (at most %s)", "1024");
            return;
        }
        struct mob_static_node *n = &mc->nodes[mc->n_nodes++];
        memset(n, 0, sizeof *n);
        n->line = (unsigned)item->start_mark.line + 1;
        l->ctx = n;
        l->seen = 0;
        load_mapping(l, item, "mobile_nodes[]", load_node_key);
        if (item->type == YAML_MAPPING_NODE && l->seen != 3) {
            error_at(l, item, "a mobile node needs both '%s'", "mac and hoa");
        }
    }
}
