/* handshake.c - from TCP accept to a ready switch: version negotiation
 * (OpenFlow 1.0 or 1.3), FEATURES, the dpid registry (and who wins when two
 * connections claim one dpid), DESC and, in 1.3, PORT_DESC (1.0 switches
 * list their ports in FEATURES_REPLY); and the port table kept afterwards. */
#include "core/core_internal.h"

#include <event2/event.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"

#define MOD "switch"

static void on_handshake_timeout(evutil_socket_t fd, short what, void *arg)
{
    struct mf_switch *sw = arg;
    if (sw->info.state == SW_READY) {
        return;
    }
    core_count_reject(sw->core, CORE_REJECT_HANDSHAKE_TIMEOUT);
    LOG_WRN(MOD, "%s: handshake not complete after %.1f s (state %s), closing", sw->info.address,
            sw->core->opts.handshake_timeout_s, sw_state_name(sw->info.state));
    channel_close(sw, false);
}

static uint8_t highest_version(uint32_t bitmap)
{
    return (uint8_t)(31 - __builtin_clz(bitmap)); /* bitmap != 0 */
}

uint8_t core_negotiate_version(uint32_t ours, const struct of_hello *peer, uint8_t peer_header)
{
    ours &= CORE_VERSIONS_ALL;
    if (ours == 0) {
        return 0;
    }
    /* The spec asks for bitmaps on both sides; ours is left out only when
     * we offer 1.0 alone, and then the peer's bitmap still says best what
     * it can do (a bitmap without 1.0 must fail, whatever its header). */
    if (peer->has_bitmap) {
        uint32_t common = ours & peer->version_bitmap;
        return common ? highest_version(common) : 0;
    }
    uint8_t our_header = highest_version(ours);
    uint8_t v = peer_header < our_header ? peer_header : our_header;
    return (ours >> v) & 1u ? v : 0;
}

void handshake_start(struct mf_switch *sw)
{
    uint32_t ours = sw->core->opts.versions;
    struct of_msg m = {.kind = OF_HELLO};
    /* Our header carries our highest version. A 1.0 HELLO has no body in
     * 1.0 (receivers ignore one), so the bitmap goes only with 1.3. */
    sw->info.version = highest_version(ours);
    m.u.hello.has_bitmap = ours != 1u << OF_VERSION_1_0;
    m.u.hello.version_bitmap = ours;
    sw_send(sw, &m);
    double t = sw->core->opts.handshake_timeout_s;
    struct timeval tv = {(time_t)t, (suseconds_t)((t - (time_t)t) * 1e6)};
    sw->handshake_timer = event_new(sw->core->base, -1, 0, on_handshake_timeout, sw);
    event_add(sw->handshake_timer, &tv);
}

/* Refuses the peer's HELLO: the spec asks for an ASCII explanation, in the
 * lower of the two header versions so that the peer can read it. OFPT_ERROR
 * has one layout and HELLO_FAILED/INCOMPATIBLE one number in every version,
 * so 1.1 and 1.2 (which the codec does not write) get 1.3's bytes with
 * their version byte. */
static void hello_failed(struct mf_switch *sw, const uint8_t *raw, const char *why)
{
    uint8_t ours = sw->info.version, peer = raw[0];
    uint8_t v = peer < ours && peer > 0 ? peer : ours;
    uint8_t enc = v == OF_VERSION_1_0 ? OF_VERSION_1_0 : OF_VERSION_1_3;
    core_count_reject(sw->core, CORE_REJECT_HELLO_FAILED);
    LOG_RL(LOG_WARN, MOD, "%s: version negotiation failed: %s", sw->info.address, why);
    struct of_msg m = {.kind = OF_ERROR, .xid = of_msg_xid(raw)};
    m.u.error.type = OFPET_HELLO_FAILED;
    m.u.error.code = 0; /* OFPHFC_INCOMPATIBLE */
    m.u.error.data = (const uint8_t *)why;
    m.u.error.data_len = strlen(why);
    struct obuf *tx = &sw->core->tx;
    obuf_clear(tx);
    if (of_encode(enc, &m, tx) == 0) {
        tx->data[0] = v;
        sw->info.errors_out++;
        channel_send_raw(sw, tx->data, tx->len);
    }
    channel_close(sw, true);
}

/* "matflow speaks OpenFlow 1.0 (0x01) and 1.3 (0x04) only" for our set. */
static void describe_versions(uint32_t ours, char *buf, size_t size)
{
    size_t n = (size_t)snprintf(buf, size, "no common version: matflow speaks OpenFlow");
    const char *sep = " ";
    for (uint8_t v = 0; v < 32 && n < size; v++) {
        if ((ours >> v) & 1u && core_version_name(v)) {
            n += (size_t)snprintf(buf + n, size - n, "%s%s (0x%02x)", sep, core_version_name(v), v);
            sep = " and ";
        }
    }
    if (n < size) {
        snprintf(buf + n, size - n, " only");
    }
}

static void on_hello(struct mf_switch *sw, const uint8_t *raw, size_t len)
{
    struct of_msg m;
    if (of_decode(raw, len, &m) != 0) {
        hello_failed(sw, raw, "malformed HELLO");
        return;
    }
    uint32_t ours = sw->core->opts.versions;
    uint8_t v = core_negotiate_version(ours, &m.u.hello, raw[0]);
    if (v == 0) {
        char why[128];
        describe_versions(ours, why, sizeof why);
        hello_failed(sw, raw, why);
        return;
    }
    sw->info.version = v;
    sw->info.state = SW_FEATURES_WAIT;
    LOG_DBG(MOD, "%s: OpenFlow %s agreed", sw->info.address, core_version_name(v));
    struct of_msg fr = {.kind = OF_FEATURES_REQUEST};
    sw_send(sw, &fr);
}

void handshake_first_message(struct mf_switch *sw, const uint8_t *raw, size_t len)
{
    if (raw[1] != 0 /* OFPT_HELLO in every version */) {
        hello_failed(sw, raw, "first message is not HELLO");
        return;
    }
    on_hello(sw, raw, len);
}

/* Continues after FEATURES once the dpid is ours. SET_CONFIG asks for
 * whole frames (1.3: 0xffff = no buffering; 1.0 has no such value, and
 * 0xffff bytes covers any frame; a 1.0 switch that buffers anyway gives a
 * buffer_id, which Packet-Outs then name). DESC is a multipart request in
 * 1.3 and a STATS request in 1.0 (the codec writes either); only 1.3 asks
 * for ports apart, 1.0 gave them in FEATURES_REPLY. */
static void request_config_and_ports(struct mf_switch *sw)
{
    struct mf_core *core = sw->core;
    HASH_ADD(hh, core->by_dpid, info.dpid, sizeof(uint64_t), sw);
    sw->info.state = SW_PORTS_WAIT;
    struct of_msg m = {.kind = OF_SET_CONFIG};
    m.u.config.flags = 0;
    m.u.config.miss_send_len = OFPCML_NO_BUFFER;
    sw_send(sw, &m);
    struct of_msg d = {.kind = OF_MULTIPART_REQUEST};
    d.u.mp_request.mp_type = OFMP_DESC;
    sw_send(sw, &d);
    if (sw->info.version == OF_VERSION_1_0) {
        return;
    }
    struct of_msg p = {.kind = OF_MULTIPART_REQUEST};
    p.u.mp_request.mp_type = OFMP_PORT_DESC;
    sw_send(sw, &p);
}

static void on_conflict_timeout(evutil_socket_t fd, short what, void *arg)
{
    struct mf_switch *sw = arg;
    struct mf_switch *old = sw->holder;
    if (!old) {
        return;
    }
    LOG_WRN(MOD, "dpid %016llx taken over by %s: previous connection %s did not answer",
            (unsigned long long)sw->info.dpid, sw->info.address, old->info.address);
    core_count_reject(sw->core, CORE_REJECT_ECHO_TIMEOUT);
    channel_close(old, false); /* handshake_on_close(old) lets us continue */
}

/* Tells a connection refused for claiming a dpid why (OFPET_HELLO_FAILED /
 * OFPHFC_EPERM with an ASCII reason, which a switch logs), then closes it
 * once that is written. */
static void refuse_claim(struct mf_switch *sw, const char *holder_address)
{
    char why[128];
    snprintf(why, sizeof why, "datapath id %016llx is in use by a live connection (%s)",
             (unsigned long long)sw->info.dpid, holder_address);
    struct of_msg m = {.kind = OF_ERROR};
    m.u.error.type = OFPET_HELLO_FAILED;
    m.u.error.code = 1; /* OFPHFC_EPERM */
    m.u.error.data = (const uint8_t *)why;
    m.u.error.data_len = strlen(why);
    sw->info.errors_out++;
    sw_send(sw, &m);
    channel_close(sw, true);
}

/* A second connection claims a registered dpid. The holder gets an echo:
 * if it answers, the newcomer is refused; if not, the newcomer takes over.
 * An impostor can thus never evict a live switch. Every claim is counted
 * (dpid_conflict) whatever its outcome; a takeover also counts the
 * holder's echo_timeout. */
static void challenge_holder(struct mf_switch *sw, struct mf_switch *old)
{
    core_count_reject(sw->core, CORE_REJECT_DPID_CONFLICT);
    if (old->challenger) {
        LOG_RL(LOG_WARN, MOD, "refused connection from %s claiming dpid %016llx (already "
               "being checked)", sw->info.address, (unsigned long long)sw->info.dpid);
        refuse_claim(sw, old->info.address);
        return;
    }
    LOG_RL(LOG_INFO, MOD, "connection from %s claims dpid %016llx, held by %s: asking the "
           "holder", sw->info.address, (unsigned long long)sw->info.dpid, old->info.address);
    sw->info.state = SW_CONFLICT_WAIT;
    sw->holder = old;
    old->challenger = sw;
    double t = sw->core->opts.echo_interval_s;
    struct timeval tv = {(time_t)t, (suseconds_t)((t - (time_t)t) * 1e6)};
    sw->conflict_timer = event_new(sw->core->base, -1, 0, on_conflict_timeout, sw);
    event_add(sw->conflict_timer, &tv);
    /* Last: a holder whose output queue is full is closed by this send,
     * and handshake_on_close(old) then hands the dpid to sw at once. */
    struct of_msg echo = {.kind = OF_ECHO_REQUEST};
    old->probe_xid = sw_send(old, &echo);
}

void handshake_echo_reply(struct mf_switch *sw, uint32_t xid)
{
    struct mf_switch *newcomer = sw->challenger;
    if (!newcomer || xid != sw->probe_xid) {
        return;
    }
    sw->challenger = NULL;
    newcomer->holder = NULL;
    LOG_RL(LOG_WARN, MOD, "refused connection from %s claiming dpid %016llx: held by %s, "
           "which answers", newcomer->info.address, (unsigned long long)sw->info.dpid,
           sw->info.address);
    refuse_claim(newcomer, sw->info.address);
}

/* A 1.0 FEATURES_REPLY carries the ports (validated by the codec): they
 * are applied as the PORT_DESC reply they stand for. */
static void ports_apply_features(struct mf_switch *sw, const struct of_features *f)
{
    struct of_multipart_reply r = {.mp_type = OFMP_PORT_DESC, .version = sw->info.version,
                                   .body = f->port_body, .body_len = f->port_body_len};
    sw->ports_partial = false;
    ports_apply_desc(sw, &r);
}

static void on_features(struct mf_switch *sw, const struct of_features *f)
{
    if (sw->info.version == OF_VERSION_1_0) {
        ports_apply_features(sw, f);
    }
    /* The kept copy must not point into the message, freed after this. */
    sw->info.features = *f;
    sw->info.features.port_body = NULL;
    sw->info.features.port_body_len = 0;
    sw->info.features.ports = NULL;
    sw->info.features.n_ports = 0;
    sw->info.dpid = f->datapath_id;
    sw->info.has_dpid = true;
    struct mf_switch *old;
    uint64_t dpid = f->datapath_id;
    HASH_FIND(hh, sw->core->by_dpid, &dpid, sizeof dpid, old);
    if (old) {
        challenge_holder(sw, old);
        return;
    }
    request_config_and_ports(sw);
}

static void become_ready(struct mf_switch *sw)
{
    sw->info.state = SW_READY;
    event_del(sw->handshake_timer);
    LOG_INF(MOD, "switch %016llx ready: %s, OpenFlow %s, %u ports, %s %s",
            (unsigned long long)sw->info.dpid, sw->info.address,
            core_version_name(sw->info.version), HASH_COUNT(sw->ports), sw->info.desc.mfr_desc,
            sw->info.desc.sw_desc);
    for (unsigned i = 0; i < sw->core->n_apps; i++) {
        struct mf_app *app = sw->core->apps[i];
        if (app->switch_up && !sw->closed) {
            app->switch_up(app, sw);
        }
    }
}

bool handshake_message(struct mf_switch *sw, const struct of_msg *msg, const uint8_t *raw,
                       size_t len)
{
    switch (sw->info.state) {
    case SW_FEATURES_WAIT:
        if (msg->kind == OF_FEATURES_REPLY) {
            on_features(sw, &msg->u.features);
            return true;
        }
        return false;
    case SW_PORTS_WAIT:
        if (msg->kind == OF_MULTIPART_REPLY && msg->u.mp_reply.mp_type == OFMP_DESC) {
            sw->info.desc = msg->u.mp_reply.desc;
            if (sw->info.version == OF_VERSION_1_0) {
                become_ready(sw); /* the ports came with FEATURES_REPLY */
            }
            return true;
        }
        if (msg->kind == OF_MULTIPART_REPLY && msg->u.mp_reply.mp_type == OFMP_PORT_DESC) {
            ports_apply_desc(sw, &msg->u.mp_reply);
            if (!(msg->u.mp_reply.flags & OFPMPF_MORE)) {
                become_ready(sw);
            }
            return true;
        }
        return false;
    default:
        return false;
    }
}

void handshake_on_close(struct mf_switch *sw)
{
    struct mf_core *core = sw->core;
    bool was_ready = sw->info.state == SW_READY;
    if (sw->holder) { /* we were the challenger */
        sw->holder->challenger = NULL;
        sw->holder = NULL;
    }
    struct mf_switch *reg = NULL;
    if (sw->info.has_dpid) {
        HASH_FIND(hh, core->by_dpid, &sw->info.dpid, sizeof(uint64_t), reg);
    }
    if (reg == sw) {
        HASH_DELETE(hh, core->by_dpid, sw);
        LOG_INF(MOD, "switch %016llx disconnected (%s)", (unsigned long long)sw->info.dpid,
                sw->info.address);
        if (was_ready) {
            dispatch_switch_down(sw);
        }
    }
    struct mf_switch *next = sw->challenger;
    if (next) { /* the holder is gone: the newcomer takes the dpid */
        sw->challenger = NULL;
        next->holder = NULL;
        if (next->conflict_timer) {
            event_del(next->conflict_timer);
        }
        request_config_and_ports(next);
    }
}

/* ---- Ports ---------------------------------------------------------------- */

static void port_upsert(struct mf_switch *sw, const struct of_port *p)
{
    struct sw_port *sp;
    HASH_FIND(hh, sw->ports, &p->port_no, sizeof(uint32_t), sp);
    if (!sp && HASH_COUNT(sw->ports) >= CORE_MAX_PORTS) {
        /* More ports than any switch has (Open vSwitch: 65280): a switch
         * inventing port numbers must not grow our memory without end. */
        core_count_reject(sw->core, CORE_REJECT_PORT_TABLE_FULL);
        LOG_RL(LOG_WARN, MOD, "switch %016llx: port table full (%u ports): port %u ignored",
               (unsigned long long)sw->info.dpid, CORE_MAX_PORTS, p->port_no);
        return;
    }
    if (!sp) {
        sp = calloc(1, sizeof *sp);
        if (!sp) {
            return;
        }
        sp->port_no = p->port_no;
        HASH_ADD(hh, sw->ports, port_no, sizeof(uint32_t), sp);
    }
    sp->port = *p;
}

void ports_apply_desc(struct mf_switch *sw, const struct of_multipart_reply *r)
{
    if (!sw->ports_partial) {
        ports_free(sw); /* a fresh description replaces the table */
    }
    sw->ports_partial = (r->flags & OFPMPF_MORE) != 0;
    struct of_mp_cursor c;
    struct of_port p;
    of_mp_cursor_init(&c, r);
    while (of_mp_next_port(&c, &p)) {
        port_upsert(sw, &p);
    }
}

void ports_apply_status(struct mf_switch *sw, const struct of_port_status *ps)
{
    static const char *const reasons[] = {"added", "deleted", "modified"};
    const struct of_port *p = &ps->port;
    /* Rate-limited: a flapping link, or a switch sending PORT_STATUS in a
     * loop, must not fill the disk. */
    LOG_RL(LOG_INFO, MOD, "switch %016llx port %u (%s) %s", (unsigned long long)sw->info.dpid,
           p->port_no, p->name, ps->reason < 3 ? reasons[ps->reason] : "changed");
    if (ps->reason == OFPPR_DELETE) {
        struct sw_port *sp;
        HASH_FIND(hh, sw->ports, &p->port_no, sizeof(uint32_t), sp);
        if (sp) {
            HASH_DELETE(hh, sw->ports, sp);
            free(sp);
        }
        return;
    }
    port_upsert(sw, p);
}

void ports_free(struct mf_switch *sw)
{
    struct sw_port *sp, *tmp;
    HASH_ITER(hh, sw->ports, sp, tmp) {
        HASH_DELETE(hh, sw->ports, sp);
        free(sp);
    }
}
