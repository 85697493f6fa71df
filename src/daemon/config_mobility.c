/* config_mobility.c - the `mobility` section: the defences and the fault
 * handling of the mobility application (docs/CONFIG.md). Every key may be
 * 0 to turn its mechanism off. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/config_yaml.h"

/* A number from 0 to max: 0 turns the setting off. */
static bool parse_number(const char *s, double max, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (*s == '\0' || *end != '\0' || errno || !isfinite(v) || v < 0 || v > max) {
        return false;
    }
    *out = v;
    return true;
}

static bool parse_count(const char *s, unsigned max, unsigned *out)
{
    double v;
    if (!parse_number(s, max, &v) || v != floor(v)) {
        return false;
    }
    *out = (unsigned)v;
    return true;
}

static void load_mobility_key(struct loader *l, const char *key, yaml_node_t *v)
{
    struct mob_guard *g = &l->c->mob->guard;
    const char *s = scalar(l, v, key);
    if (!s) {
        return;
    }
    bool ok;
    const char *expect;
    if (!strcmp(key, "damping_moves")) {
        ok = parse_count(s, 64, &g->damping_moves);
        expect = "damping_moves must be an integer from 0 (off) to 64, not '%s'";
    } else if (!strcmp(key, "damping_window")) {
        ok = parse_number(s, 86400, &g->damping_window_s) && g->damping_window_s > 0;
        expect = "damping_window must be a number of seconds above 0, at most 86400, not '%s'";
    } else if (!strcmp(key, "trigger_rate")) {
        ok = parse_number(s, 1e6, &g->trigger_rate);
        expect = "trigger_rate must be packets per second from 0 (off) to 1000000, not '%s'";
    } else if (!strcmp(key, "trigger_burst")) {
        ok = parse_count(s, 1000000, &g->trigger_burst) && g->trigger_burst > 0;
        expect = "trigger_burst must be an integer from 1 to 1000000, not '%s'";
    } else if (!strcmp(key, "old_location_check")) {
        ok = parse_number(s, 10, &g->old_location_check_s);
        expect = "old_location_check must be seconds from 0 (off) to 10, not '%s'";
    } else if (!strcmp(key, "retries")) {
        ok = parse_count(s, 10, &g->retries);
        expect = "retries must be an integer from 0 to 10, not '%s'";
    } else if (!strcmp(key, "retry_backoff")) {
        ok = parse_number(s, 60, &g->retry_backoff_s) && g->retry_backoff_s > 0;
        expect = "retry_backoff must be a number of seconds above 0, at most 60, not '%s'";
    } else {
        error_at(l, v, "unknown key 'mobility.%s' (expected: damping_moves, damping_window, "
                 "trigger_rate, trigger_burst, old_location_check, retries, retry_backoff)", key);
        return;
    }
    if (!ok) {
        error_at(l, v, expect, s);
    }
}

void config_load_mobility(struct loader *l, yaml_node_t *v)
{
    load_mapping(l, v, "mobility", load_mobility_key);
}
