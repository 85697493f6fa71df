/* mob_config.c - cross-checks of the sites and static mobile nodes. */
#include "app/mobility/mob_config.h"

#include <stdio.h>
#include <string.h>

#define IP_FMT "%u.%u.%u.%u"
#define IP_ARGS(a) (a) >> 24, ((a) >> 16) & 0xff, ((a) >> 8) & 0xff, (a) & 0xff

static bool in_prefix(const struct mob_site *s, uint32_t addr)
{
    return (addr & mob_prefix_mask(s->prefix_len)) == s->prefix;
}

static unsigned check_site(const struct mob_site *s, const char *file)
{
    unsigned errors = 0;
    if (!in_prefix(s, s->gateway)) {
        fprintf(stderr, "%s:%u: site %s: gateway " IP_FMT " is outside its prefix\n", file,
                s->line, s->name, IP_ARGS(s->gateway));
        errors++;
    }
    if (s->pool_first > s->pool_last || !in_prefix(s, s->pool_first) ||
        !in_prefix(s, s->pool_last)) {
        fprintf(stderr, "%s:%u: site %s: the MoA pool must be a range inside the prefix\n",
                file, s->line, s->name);
        errors++;
    } else if (s->pool_first == s->prefix ||
               s->pool_last == (s->prefix | ~mob_prefix_mask(s->prefix_len))) {
        fprintf(stderr, "%s:%u: site %s: the MoA pool holds the network or broadcast address\n",
                file, s->line, s->name);
        errors++;
    } else if (s->gateway >= s->pool_first && s->gateway <= s->pool_last) {
        fprintf(stderr, "%s:%u: site %s: the MoA pool holds the gateway address\n", file,
                s->line, s->name);
        errors++;
    }
    if (s->n_uplinks == 0) {
        fprintf(stderr, "%s:%u: site %s: needs at least one uplink port\n", file, s->line,
                s->name);
        errors++;
    }
    if (s->forward_table != 0 &&
        (s->forward_table < MOB_FIRST_FREE_TABLE || s->forward_table > MOB_LAST_TABLE)) {
        fprintf(stderr,
                "%s:%u: site %s: forward_table %u: tables 0-%u hold the mobility rules; "
                "forward to a table from %u to %u, or 0 for NORMAL\n",
                file, s->line, s->name, s->forward_table, MOB_FIRST_FREE_TABLE - 1,
                MOB_FIRST_FREE_TABLE, MOB_LAST_TABLE);
        errors++;
    }
    for (unsigned i = 0; i < s->n_uplinks; i++) {
        if (mob_site_is_hypervisor_port(s, s->uplinks[i])) {
            fprintf(stderr, "%s:%u: site %s: port %u is both uplink and hypervisor port\n",
                    file, s->line, s->name, s->uplinks[i]);
            errors++;
        }
    }
    return errors;
}

unsigned mob_config_validate(const struct mob_config *c, const char *file)
{
    unsigned errors = 0;
    for (unsigned i = 0; i < c->n_sites; i++) {
        const struct mob_site *a = &c->sites[i];
        errors += check_site(a, file);
        for (unsigned j = 0; j < i; j++) {
            const struct mob_site *b = &c->sites[j];
            uint32_t m = mob_prefix_mask(a->prefix_len < b->prefix_len ? a->prefix_len
                                                                       : b->prefix_len);
            const char *what = !strcmp(a->name, b->name) ? "has the name of"
                               : a->dpid == b->dpid  ? "has the dpid of"
                               : (a->prefix & m) == (b->prefix & m) ? "overlaps the prefix of"
                                                                    : NULL;
            if (what) {
                fprintf(stderr, "%s:%u: site %s %s site %s (line %u)\n", file, a->line, a->name,
                        what, b->name, b->line);
                errors++;
            }
        }
    }
    for (unsigned i = 0; i < c->n_nodes; i++) {
        const struct mob_static_node *n = &c->nodes[i];
        const struct mob_site *home = mob_site_of_addr(c, n->hoa);
        if (!home) {
            fprintf(stderr, "%s:%u: mobile node " IP_FMT " is in no site's prefix\n", file,
                    n->line, IP_ARGS(n->hoa));
            errors++;
        } else if (n->hoa == home->gateway ||
                   (n->hoa >= home->pool_first && n->hoa <= home->pool_last)) {
            fprintf(stderr, "%s:%u: mobile node " IP_FMT " is the gateway or in the MoA pool\n",
                    file, n->line, IP_ARGS(n->hoa));
            errors++;
        }
        for (unsigned j = 0; j < i; j++) {
            if (eth_addr_equal(n->mac, c->nodes[j].mac) || n->hoa == c->nodes[j].hoa) {
                fprintf(stderr, "%s:%u: mobile node repeats the MAC or HoA of line %u\n", file,
                        n->line, c->nodes[j].line);
                errors++;
            }
        }
    }
    return errors;
}

const struct mob_site *mob_site_of_addr(const struct mob_config *c, uint32_t addr)
{
    for (unsigned i = 0; i < c->n_sites; i++) {
        if (in_prefix(&c->sites[i], addr)) {
            return &c->sites[i];
        }
    }
    return NULL;
}

const struct mob_site *mob_site_of_dpid(const struct mob_config *c, uint64_t dpid)
{
    for (unsigned i = 0; i < c->n_sites; i++) {
        if (c->sites[i].dpid == dpid) {
            return &c->sites[i];
        }
    }
    return NULL;
}

static bool port_in(const uint32_t *ports, unsigned n, uint32_t port)
{
    for (unsigned i = 0; i < n; i++) {
        if (ports[i] == port) {
            return true;
        }
    }
    return false;
}

bool mob_site_is_uplink(const struct mob_site *s, uint32_t port)
{
    return port_in(s->uplinks, s->n_uplinks, port);
}

bool mob_site_is_hypervisor_port(const struct mob_site *s, uint32_t port)
{
    return port_in(s->hypervisor_ports, s->n_hypervisor_ports, port);
}

void mob_guard_defaults(struct mob_guard *g)
{
    /* docs/SECURITY.md and docs/OPERATIONS.md say why these values. */
    *g = (struct mob_guard){
        .damping_moves = 5,
        .damping_window_s = 180,
        .trigger_rate = 200,
        .trigger_burst = 1000,
        .old_location_check_s = 0.3,
        .retries = 3,
        .retry_backoff_s = 0.1,
    };
}
