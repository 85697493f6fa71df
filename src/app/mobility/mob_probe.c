/* mob_probe.c - the ARP probe of a binding update: up to MOB_PROBE_TRIES
 * tries, MOB_PROBE_INTERVAL_MS apart.
 *
 * The interval is counted from when the switch confirmed it sent a try,
 * not from when the controller queued it. Each try is a Packet-Out closed
 * by a barrier of its own, and the next try's timer starts on that barrier's
 * reply: OpenFlow has the switch process its connection in order, so by
 * then the probe has left the switch's port. When a mass migration puts
 * many updates' rules on a connection, a probe queued behind them is late
 * by however long the switch takes to get through them; a deadline counted
 * from the queueing would fail nodes that did answer, just late. Counted
 * from the departure, only a node that stays silent for the whole interval
 * fails. The probe is sent as a batch of its own at once, so it also goes
 * ahead of the rules still waiting in the switch's open batch (mob_tx.c).
 *
 * A try whose switch is not connected counts as sent: a node whose site
 * stays away fails after the same number of tries. */
#include <event2/event.h>
#include <stdlib.h>
#include <string.h>

#include "app/mobility/mob_internal.h"

static void arm(struct mob_update *u)
{
    struct timeval tv = {0, MOB_PROBE_INTERVAL_MS * 1000};
    event_add(u->probe_timer, &tv);
}

/* The barrier behind a try: the probe left (or the switch went away, in
 * which case it may not have). Either way the interval starts now. */
static void try_left(struct mf_switch *sw, const struct sw_batch_result *r, void *arg)
{
    struct mob_update *u = arg;
    if (!u->probe_over && !u->probe_answered && !u->aborted && !u->failed) {
        arm(u);
    }
    mob_update_unref(u);
}

static void send_try(struct mob_update *u)
{
    struct mob_app *m = u->app;
    u->probe_tries++;
    struct mf_switch *sw = core_find_switch(m->core, m->cfg->sites[u->site].dpid);
    uint8_t frame[64];
    size_t len = mob_arp_build_probe(frame, sizeof frame, u->b->mac, u->b->hoa);
    if (!sw || !len) {
        arm(u);
        return;
    }
    static struct of_msg msg; /* a few KiB: not on the stack */
    memset(&msg, 0, sizeof msg);
    msg.kind = OF_PACKET_OUT;
    msg.u.packet_out.buffer_id = OFP_NO_BUFFER;
    msg.u.packet_out.in_port = OFPP_CONTROLLER;
    of_actions_output(&msg.u.packet_out.actions, u->port ? u->port : OFPP_FLOOD, 0);
    msg.u.packet_out.data = frame;
    msg.u.packet_out.data_len = len;
    struct sw_batch *b = sw_batch_begin(sw);
    sw_batch_add(b, &msg);
    if (u->probe_tries == 1) {
        mob_update_event(u, MOB_STEP_PROBE_OUT, sw_get_info(sw)->dpid);
    }
    mob_update_ref(u);
    sw_batch_commit(b, try_left, u);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    struct mob_update *u = arg;
    if (u->probe_over || u->probe_answered || u->aborted || u->failed) {
        return;
    }
    if (u->probe_tries >= MOB_PROBE_TRIES) {
        u->probe_over = true;
        mob_update_probe_exhausted(u);
        return;
    }
    send_try(u);
}

void mob_probe_start(struct mob_update *u)
{
    if (!u->probe_timer) {
        u->probe_timer = event_new(u->app->base, -1, 0, on_timer, u);
        if (!u->probe_timer) {
            abort();
        }
    }
    u->probe_tries = 0;
    u->probe_over = false;
    send_try(u);
}

void mob_probe_stop(struct mob_update *u)
{
    u->probe_over = true;
    if (u->probe_timer) {
        event_del(u->probe_timer);
    }
}
