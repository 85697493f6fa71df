/* api_json.c - the JSON documents matflowctl shows: switches and stats. */
#include "daemon/api.h"

#include <malloc.h>
#include <string.h>
#include <sys/resource.h>

#include <stdio.h>
#include <stdlib.h>

#include "app/mobility/mobility.h"
#include "core/core.h"
#include "pkt/pkt.h"
#include "util/log.h"

static json_t *port_json(const struct of_port *p)
{
    char mac[ETH_ADDR_STRLEN];
    snprintf(mac, sizeof mac, ETH_ADDR_FMT, ETH_ADDR_ARGS(p->hw_addr));
    return json_pack("{s:I, s:s, s:s, s:b, s:b, s:I}", "port_no", (json_int_t)p->port_no, "name",
                     p->name, "hw_addr", mac, "link_up", !(p->state & OFPPS_LINK_DOWN),
                     "admin_up", !(p->config & OFPPC_PORT_DOWN), "curr_speed_kbps",
                     (json_int_t)p->curr_speed);
}

static void add_switch(struct mf_switch *sw, void *arg)
{
    json_t *list = arg;
    const struct sw_info *in = sw_get_info(sw);
    size_t n = sw_get_ports(sw, NULL, 0);
    struct of_port *ports = calloc(n ? n : 1, sizeof *ports);
    json_t *pj = json_array();
    if (ports) {
        sw_get_ports(sw, ports, n);
        for (size_t i = 0; i < n; i++) {
            json_array_append_new(pj, port_json(&ports[i]));
        }
        free(ports);
    }
    char dpid[17] = "", since[32];
    if (in->has_dpid) {
        snprintf(dpid, sizeof dpid, "%016llx", (unsigned long long)in->dpid);
    }
    time_iso8601(in->connected_since, since);
    /* The negotiated OpenFlow version; null while none is agreed yet. */
    const char *version = in->state == SW_HELLO_WAIT ? NULL : core_version_name(in->version);
    json_t *o = json_pack(
        "{s:s, s:s, s:s?, s:s, s:s, s:f, s:I, s:o, s:I, s:I, s:I, s:I, s:s, s:s, s:s, s:I}",
        "dpid", dpid, "address", in->address, "version", version, "state",
        sw_state_name(in->state), "connected_since", since, "uptime_s",
        time_wall() - in->connected_since, "n_ports", (json_int_t)n, "ports", pj, "msgs_in",
        (json_int_t)in->msgs_in, "msgs_out", (json_int_t)in->msgs_out, "errors_in",
        (json_int_t)in->errors_in, "errors_out", (json_int_t)in->errors_out, "mfr_desc",
        in->desc.mfr_desc, "hw_desc", in->desc.hw_desc, "sw_desc", in->desc.sw_desc, "n_tables",
        (json_int_t)in->features.n_tables);
    if (o) {
        json_array_append_new(list, o);
    }
}

json_t *api_json_switches(struct mf_core *core)
{
    json_t *list = json_array();
    core_foreach_switch(core, add_switch, list);
    return json_pack("{s:o}", "switches", list);
}

/* The daemon's own accounting of what it costs: CPU time since it started
 * and the heap it holds now (the benchmarks divide these by the work). */
static json_t *process_json(void)
{
    struct rusage ru;
    memset(&ru, 0, sizeof ru);
    getrusage(RUSAGE_SELF, &ru);
    struct mallinfo2 mi = mallinfo2();
    return json_pack("{s:f, s:f, s:I, s:I}", "cpu_user_s",
                     (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6, "cpu_system_s",
                     (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6, "max_rss_kib",
                     (json_int_t)ru.ru_maxrss, "heap_in_use_bytes",
                     (json_int_t)(mi.uordblks + mi.hblkhd));
}

json_t *api_json_stats(struct mf_core *core, struct mob_app *mob)
{
    const struct core_stats *st = core_get_stats(core);
    json_t *msgs = json_object(), *frames = json_object();
    for (unsigned r = 0; r < CORE_N_REJECT; r++) {
        char name[64];
        snprintf(name, sizeof name, "%s", core_reject_name(r));
        for (char *p = name; *p; p++) {
            *p = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
        }
        json_object_set_new(msgs, name, json_integer((json_int_t)st->rejected[r]));
    }
    for (unsigned r = 1; r < PKT_N_REJECT; r++) {
        json_object_set_new(frames, pkt_reject_name(r),
                            json_integer((json_int_t)pkt_reject_count(r)));
    }
    json_t *doc = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:o, s:o}", "switches_connected",
                     (json_int_t)core_n_switches(core, true), "connections_open",
                     (json_int_t)core_n_switches(core, false), "connections_total",
                     (json_int_t)st->connections_total, "messages_in",
                     (json_int_t)st->messages_in, "messages_out", (json_int_t)st->messages_out,
                     "packet_ins", (json_int_t)st->packet_ins, "rejected_messages", msgs,
                     "rejected_frames", frames);
    json_object_set_new(doc, "process", process_json());
    if (mob) {
        json_object_set_new(doc, "mobility", mobility_json_counters(mob));
    }
    return doc;
}
