/* mob_oldcheck.c - a move is only believed once the old location is silent.
 *
 * A RARP or gratuitous ARP with a node's MAC can be sent by anybody on a
 * hypervisor port. As host-move defences in switches do, the controller
 * asks the node's committed location (its old switch and port) "who has
 * HoA?" at the moment the move starts: two tries, at the start and half
 * way through old_location_check. The check runs in parallel with the
 * move's rules, so the data plane is not delayed; the move is persisted and
 * reported complete only once the old location stayed silent. A migrated
 * VM's source is paused before the destination announces it, so a real
 * migration never answers. If the old location answers, the node is still
 * there: the move is rolled back (the binding returns to where it was) and
 * an alarm is logged and counted. */
#include <event2/event.h>
#include <stdlib.h>
#include <string.h>

#include "app/mobility/mob_internal.h"
#include "util/log.h"

#define MOD "mobility"
#define OLD_CHECK_TRIES 2

static void send_try(struct mob_update *u)
{
    struct mob_app *m = u->app;
    u->old_check_tries++;
    struct mf_switch *sw = core_find_switch(m->core, m->cfg->sites[u->old_check_site].dpid);
    uint8_t frame[64];
    size_t len = mob_arp_build_probe(frame, sizeof frame, u->b->mac, u->b->hoa);
    if (!sw || !len) {
        return; /* its switch is away: it cannot answer through it either */
    }
    static struct of_msg msg; /* a few KiB: not on the stack */
    memset(&msg, 0, sizeof msg);
    msg.kind = OF_PACKET_OUT;
    msg.u.packet_out.buffer_id = OFP_NO_BUFFER;
    msg.u.packet_out.in_port = OFPP_CONTROLLER;
    of_actions_output(&msg.u.packet_out.actions, u->old_check_port, 0);
    msg.u.packet_out.data = frame;
    msg.u.packet_out.data_len = len;
    /* A batch of its own: ahead of the rules waiting in the open batch. */
    struct sw_batch *b = sw_batch_begin(sw);
    sw_batch_add(b, &msg);
    sw_batch_commit(b, NULL, NULL);
    if (u->old_check_tries == 1) {
        mob_update_event(u, MOB_STEP_OLD_PROBE_OUT, sw_get_info(sw)->dpid);
    }
}

static void arm(struct mob_update *u)
{
    double half = u->app->cfg->guard.old_location_check_s / OLD_CHECK_TRIES;
    struct timeval tv = {(time_t)half, (suseconds_t)((half - (time_t)half) * 1e6)};
    event_add(u->old_check_timer, &tv);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    struct mob_update *u = arg;
    if (u->old_check != MOB_OLD_PENDING) {
        return;
    }
    if (u->old_check_tries < OLD_CHECK_TRIES) {
        send_try(u);
        arm(u);
        return;
    }
    u->old_check = MOB_OLD_SILENT;
    mob_update_event(u, MOB_STEP_OLD_SILENT, 0);
    mob_update_old_location_silent(u);
}

void mob_oldcheck_start(struct mob_update *u)
{
    struct mob_app *m = u->app;
    const struct mob_binding *b = u->b;
    /* Nothing to ask when the old location is unknown (a node never seen
     * on a port) or is where the node arrives. */
    if (m->cfg->guard.old_location_check_s <= 0 || b->port == 0 || b->site == u->site ||
        u->old_check != MOB_OLD_NONE) {
        return;
    }
    if (!u->old_check_timer) {
        u->old_check_timer = event_new(m->base, -1, 0, on_timer, u);
        if (!u->old_check_timer) {
            abort();
        }
    }
    u->old_check = MOB_OLD_PENDING;
    u->old_check_site = b->site;
    u->old_check_port = b->port;
    u->old_check_tries = 0;
    mob_count(m, MOB_C_OLD_LOCATION_CHECKS);
    send_try(u);
    arm(u);
}

void mob_oldcheck_stop(struct mob_update *u)
{
    if (u->old_check_timer) {
        event_del(u->old_check_timer);
    }
    if (u->old_check == MOB_OLD_PENDING) {
        u->old_check = MOB_OLD_NONE;
    }
}

bool mob_oldcheck_answer(struct mob_update *u, unsigned site, uint32_t port)
{
    if (u->old_check != MOB_OLD_PENDING || site != u->old_check_site ||
        port != u->old_check_port) {
        return false;
    }
    event_del(u->old_check_timer);
    u->old_check = MOB_OLD_ANSWERED;
    mob_update_event(u, MOB_STEP_OLD_ANSWERED, u->app->cfg->sites[site].dpid);
    mob_update_old_location_answered(u);
    return true;
}
