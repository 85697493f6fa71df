/* pkt.h - the packet layer: reads and writes the few frames matflow looks
 * inside (Ethernet with at most one 802.1Q tag, ARP, RARP, IPv4 headers).
 *
 * It sits between the OpenFlow codec, which hands over Packet-In data as
 * plain bytes, and the mobility application, which only ever sees the
 * decoded `struct pkt_info`. It knows nothing of OpenFlow or of bindings.
 * Parsing never reads outside the frame it is given and never allocates;
 * every refusal has a reason of its own and a counter an operator can read.
 * Multi-byte fields in the decoded structs are in host byte order. */
#ifndef MATFLOW_PKT_H
#define MATFLOW_PKT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/eth_addr.h"

#define PKT_ETH_HDR_LEN 14
#define PKT_VLAN_TAG_LEN 4
#define PKT_ARP_LEN 28          /* Ethernet/IPv4 ARP and RARP bodies */
#define PKT_IPV4_MIN_HDR 20
#define PKT_IPV4_MAX_HDR 60
#define PKT_ETH_MIN_FRAME 60    /* minimum Ethernet frame without FCS */

#define PKT_ETH_TYPE_IPV4 0x0800
#define PKT_ETH_TYPE_ARP 0x0806
#define PKT_ETH_TYPE_RARP 0x8035
#define PKT_ETH_TYPE_VLAN 0x8100
#define PKT_ETH_TYPE_QINQ 0x88a8

#define PKT_ARP_HTYPE_ETH 1
#define PKT_ARP_OP_REQUEST 1
#define PKT_ARP_OP_REPLY 2
#define PKT_RARP_OP_REQUEST 3   /* what QEMU announces after a migration */
#define PKT_RARP_OP_REPLY 4

/* Every reason a frame is refused: enum suffix, then the name an operator
 * reads in counters and logs. ARP and RARP have separate sets because a
 * broken RARP is a missed migration while a broken ARP is a missed probe
 * reply or host sighting: the operator must tell them apart. */
#define PKT_REJECT_REASONS(X)                                              \
    X(ETH_TRUNCATED, "eth_truncated")           /* < 14 bytes */           \
    X(VLAN_TRUNCATED, "vlan_truncated")         /* 0x8100 but < 18 */      \
    X(VLAN_NESTED, "vlan_nested")               /* a second tag inside */  \
    X(ARP_TRUNCATED, "arp_truncated")                                      \
    X(ARP_BAD_HTYPE, "arp_bad_htype")           /* not Ethernet (1) */     \
    X(ARP_BAD_PTYPE, "arp_bad_ptype")           /* not IPv4 (0x0800) */    \
    X(ARP_BAD_LENGTHS, "arp_bad_lengths")       /* hlen != 6 or plen != 4 */ \
    X(ARP_BAD_OP, "arp_bad_op")                 /* op not 1..4 */          \
    X(ARP_OP_IS_RARP, "arp_op_is_rarp")         /* op 3/4 under 0x0806 */  \
    X(RARP_TRUNCATED, "rarp_truncated")                                    \
    X(RARP_BAD_HTYPE, "rarp_bad_htype")                                    \
    X(RARP_BAD_PTYPE, "rarp_bad_ptype")                                    \
    X(RARP_BAD_LENGTHS, "rarp_bad_lengths")                                \
    X(RARP_BAD_OP, "rarp_bad_op")               /* op not 1..4 */          \
    X(RARP_OP_IS_ARP, "rarp_op_is_arp")         /* op 1/2 under 0x8035 */  \
    X(IPV4_TRUNCATED, "ipv4_truncated")         /* < 20 bytes */           \
    X(IPV4_BAD_VERSION, "ipv4_bad_version")                                \
    X(IPV4_BAD_IHL, "ipv4_bad_ihl")             /* IHL < 5 */              \
    X(IPV4_OPTIONS_TRUNCATED, "ipv4_options_truncated") /* IHL*4 > bytes */ \
    X(IPV4_BAD_TOTAL_LEN, "ipv4_bad_total_len") /* total_len < IHL*4 */    \
    X(IPV4_PAYLOAD_TRUNCATED, "ipv4_payload_truncated") /* > bytes */      \
    X(IPV4_BAD_CHECKSUM, "ipv4_bad_checksum")

enum pkt_reject {
    PKT_OK = 0,
#define PKT_REJECT_ENUM_(NAME, STR) PKT_REJECT_##NAME,
    PKT_REJECT_REASONS(PKT_REJECT_ENUM_)
#undef PKT_REJECT_ENUM_
    PKT_N_REJECT
};

/* "ok" for PKT_OK, the snake_case name of a reason, "unknown" otherwise.
 * Never NULL; the string is static. */
const char *pkt_reject_name(enum pkt_reject r);

enum pkt_kind { PKT_KIND_OTHER, PKT_KIND_ARP, PKT_KIND_RARP, PKT_KIND_IPV4 };

/* "other", "arp", "rarp", "ipv4"; "unknown" for anything else. */
const char *pkt_kind_name(enum pkt_kind k);

/* An Ethernet/IPv4 ARP or RARP body. Addresses in host order. */
struct pkt_arp {
    uint16_t op;
    struct eth_addr sha, tha;
    uint32_t spa, tpa;
};

/* An IPv4 header, host order. `options` and `payload` point into the
 * parsed frame and are valid as long as it is. `frag` is the raw flags and
 * fragment offset word. Bytes after total_len (Ethernet padding) are not
 * part of the payload. */
struct pkt_ipv4 {
    uint8_t hdr_len;            /* IHL * 4: 20..60 */
    uint8_t tos, ttl, proto;
    uint16_t total_len, id, frag;
    uint32_t src, dst;
    const uint8_t *options;     /* hdr_len - 20 bytes; NULL when none */
    const uint8_t *payload;
    size_t payload_len;         /* total_len - hdr_len */
};

/* A decoded frame. `eth_type` is the one after the VLAN tag, if any.
 * `l3` points just after the Ethernet header (and tag) into the parsed
 * frame, `l3_len` is everything up to the end of the frame, padding
 * included. Only the member matching `kind` is filled in. */
struct pkt_info {
    struct eth_addr dst, src;
    bool has_vlan;
    uint16_t vlan_tci;
    uint16_t eth_type;
    enum pkt_kind kind;
    struct pkt_arp arp;
    struct pkt_ipv4 ip;
    const uint8_t *l3;
    size_t l3_len;
};

/* Parses `len` bytes at `frame`; never reads outside [frame, frame + len).
 * Returns PKT_OK or the reason the frame is refused. Pointers in `*out`
 * point into `frame`. `*out` is zeroed first, so after a refusal it holds
 * whatever was decoded before the failing field (useful for logging the
 * MACs of a bad sender). Other ethertypes are PKT_OK with PKT_KIND_OTHER.
 * Pure: counts nothing (see pkt_parse_counted). */
enum pkt_reject pkt_parse(const uint8_t *frame, size_t len, struct pkt_info *out);

/* pkt_parse, then pkt_count_reject on refusal: what a Packet-In handler
 * calls, so no refused frame goes uncounted. */
enum pkt_reject pkt_parse_counted(const uint8_t *frame, size_t len,
                                  struct pkt_info *out);

/* An ARP (not RARP) request or reply announcing its own address:
 * spa == tpa and spa != 0 (an RFC 5227 probe, spa 0, is not one). */
bool pkt_arp_is_gratuitous(const struct pkt_info *pi);

/* Counters of refusals by reason, process-wide (the daemon is single
 * threaded). Counting PKT_OK or an out-of-range value does nothing, and
 * reading them gives 0. */
void pkt_count_reject(enum pkt_reject r);
uint64_t pkt_reject_count(enum pkt_reject r);
uint64_t pkt_reject_total(void);
void pkt_reset_counters(void);

/* Builders write a frame into `buf` (`cap` bytes) and return its length,
 * or 0 when `cap` is too small or the request describes a frame pkt_parse
 * would refuse; on 0, `buf` is untouched. `buf` must not overlap the
 * bytes the request points into. Frames are zero-padded to 60 bytes (64
 * when tagged, so that a switch popping the tag still sends 60). */

/* Rebuilds a frame from decoded fields: Ethernet (+ tag when has_vlan),
 * then by `kind`: ARP (0x0806) or RARP (0x8035) from `arp`; IPv4 from `ip`
 * (hdr_len 20..60 and a multiple of 4, options copied from ip.options,
 * total_len and checksum computed, payload copied); OTHER copies `l3_len`
 * bytes of `l3` under `eth_type`. */
size_t pkt_build(uint8_t *buf, size_t cap, const struct pkt_info *pi);

/* An untagged Ethernet/IPv4 ARP frame; spa and tpa in host order. */
size_t pkt_build_arp(uint8_t *buf, size_t cap, struct eth_addr eth_dst,
                     struct eth_addr eth_src, uint16_t op,
                     struct eth_addr sha, uint32_t spa,
                     struct eth_addr tha, uint32_t tpa);

/* Exactly QEMU's post-migration announcement: broadcast destination,
 * source `mac`, ethertype 0x8035, op 3, sha = tha = mac, spa = tpa = 0,
 * 60 bytes. */
size_t pkt_build_rarp(uint8_t *buf, size_t cap, struct eth_addr mac);

/* The Internet checksum (RFC 1071) of `n` bytes: the value to store in a
 * header whose checksum field is zero; 0 when verifying a correct one. */
uint16_t pkt_inet_checksum(const void *p, size_t n);

#endif
