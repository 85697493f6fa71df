/* bench_inject.c - the frames the emulated guests send, as Packet-Ins: an
 * ARP at home (so matflowd learns the node), QEMU's RARP after a migration,
 * and the guest's answer to matflowd's ARP probe. */
#include <string.h>

#include "bench/bench.h"
#include "pkt/pkt.h"

static const struct eth_addr broadcast = {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};

/* "Who has my gateway?" from the node's HoA on its hypervisor port. */
void bench_inject_learn(struct bench *b, uint32_t node)
{
    const struct bench_node *nd = &b->nodes[node];
    uint8_t frame[64];
    size_t len = pkt_build_arp(frame, sizeof frame, broadcast, nd->mac, PKT_ARP_OP_REQUEST,
                               nd->mac, nd->hoa, (struct eth_addr){{0}},
                               bench_site_gateway(b, nd->home));
    if (len) {
        bench_send_packet_in(&b->sw[nd->home], nd->port, frame, len, false);
    }
}

/* The node arrives at `site`: QEMU's announcement, sent once (matflowd
 * counts the other four as duplicates). */
void bench_inject_rarp(struct bench *b, uint32_t node, unsigned site)
{
    struct bench_node *nd = &b->nodes[node];
    uint8_t frame[64];
    size_t len = pkt_build_rarp(frame, sizeof frame, nd->mac);
    nd->site = site;
    nd->t0 = bench_now();
    b->n_rarps++;
    if (len) {
        bench_send_packet_in(&b->sw[site], nd->port, frame, len, false);
    }
}

static uint32_t output_port(const struct of_packet_out *po)
{
    for (unsigned i = 0; i < po->actions.n; i++) {
        if (po->actions.a[i].type == OFAT_OUTPUT) {
            return po->actions.a[i].u.output.port;
        }
    }
    return 0;
}

/* matflowd's probe: an ARP request for the HoA from 0.0.0.0, sent to the
 * node's port. The guest, if it is here, answers from its MAC. */
void bench_inject_packet_out(struct bench *b, struct bench_switch *sw,
                             const struct of_packet_out *po)
{
    struct pkt_info pi;
    if (!po->data || pkt_parse(po->data, po->data_len, &pi) != PKT_OK ||
        pi.kind != PKT_KIND_ARP || pi.arp.op != PKT_ARP_OP_REQUEST || pi.arp.spa != 0) {
        return; /* answers matflowd sends to guests need none */
    }
    long n = bench_node_by_hoa(b, pi.arp.tpa);
    if (n < 0 || (int)b->nodes[n].site != sw->site) {
        b->probes_unknown++;
        return;
    }
    struct bench_node *nd = &b->nodes[n];
    uint32_t port = output_port(po);
    if (port == 0 || port > OFPP_MAX) {
        port = nd->port;
    }
    uint8_t frame[64];
    size_t len = pkt_build_arp(frame, sizeof frame, pi.src, nd->mac, PKT_ARP_OP_REPLY, nd->mac,
                               nd->hoa, pi.arp.sha, pi.arp.spa);
    if (!len) {
        return;
    }
    bench_send_packet_in(sw, port, frame, len, true);
    if (nd->tracking && nd->t_probe == 0) {
        nd->t_probe = bench_now() + b->o.delay_ms / 1000.0; /* when it leaves */
    }
    b->n_probes++;
}
