/* ofp10_wire.h - OpenFlow 1.0 wire layout: packed structs and constants.
 *
 * Bottom layer of the 1.0 codec, from the OpenFlow 1.0.0 specification
 * (wire protocol 0x01). Fields are big-endian; each size is checked at
 * compile time. Every name carries an ofp10 prefix so that this file and
 * ofp13_wire.h can meet in one translation unit. Only ofp10_*.c include it. */
#ifndef MATFLOW_OFP10_WIRE_H
#define MATFLOW_OFP10_WIRE_H

#include <stdint.h>

typedef uint16_t be16;
typedef uint32_t be32;
typedef uint64_t be64;

#define OFP10_VERSION 0x01
#define OFP10_HEADER_LEN 8

#define OFP10_PACKED __attribute__((packed))
#define OFP10_ASSERT_SIZE(s, n) _Static_assert(sizeof(struct s) == (n), #s " size")

/* Message types (enum ofp_type, 1.0.0 section 5.1). */
enum ofp10_type {
    OFPT10_HELLO = 0,
    OFPT10_ERROR = 1,
    OFPT10_ECHO_REQUEST = 2,
    OFPT10_ECHO_REPLY = 3,
    OFPT10_VENDOR = 4,
    OFPT10_FEATURES_REQUEST = 5,
    OFPT10_FEATURES_REPLY = 6,
    OFPT10_GET_CONFIG_REQUEST = 7,
    OFPT10_GET_CONFIG_REPLY = 8,
    OFPT10_SET_CONFIG = 9,
    OFPT10_PACKET_IN = 10,
    OFPT10_FLOW_REMOVED = 11,
    OFPT10_PORT_STATUS = 12,
    OFPT10_PACKET_OUT = 13,
    OFPT10_FLOW_MOD = 14,
    OFPT10_PORT_MOD = 15,
    OFPT10_STATS_REQUEST = 16,
    OFPT10_STATS_REPLY = 17,
    OFPT10_BARRIER_REQUEST = 18,
    OFPT10_BARRIER_REPLY = 19,
    OFPT10_QUEUE_GET_CONFIG_REQUEST = 20,
    OFPT10_QUEUE_GET_CONFIG_REPLY = 21,
};

/* Port numbers are 16 bits; the reserved ones sit at the top. */
#define OFPP10_MAX 0xff00u
#define OFPP10_IN_PORT 0xfff8u
#define OFPP10_CONTROLLER 0xfffdu
#define OFPP10_NONE 0xffffu

struct ofp10_header {
    uint8_t version;
    uint8_t type;
    be16 length;
    be32 xid;
} OFP10_PACKED;
OFP10_ASSERT_SIZE(ofp10_header, 8);

struct ofp10_error_msg {
    struct ofp10_header header;
    be16 type;
    be16 code;
} OFP10_PACKED;
OFP10_ASSERT_SIZE(ofp10_error_msg, 12);

struct ofp10_vendor_header {
    struct ofp10_header header;
    be32 vendor;
} OFP10_PACKED;
OFP10_ASSERT_SIZE(ofp10_vendor_header, 12);

#define OFP10_ETH_ALEN 6
#define OFP10_MAX_PORT_NAME_LEN 16

/* Port config bits 1.0 shares with 1.3 (PORT_DOWN, NO_RECV, NO_FWD,
 * NO_PACKET_IN); NO_STP, NO_RECV_STP and NO_FLOOD have no 1.3 meaning. */
#define OFPPC10_SHARED (1u | 4u | 32u | 64u)
#define OFPPS10_LINK_DOWN 1u
#define OFPPS10_STP_MASK (3u << 8)
#define OFPPS10_STP_BLOCK (3u << 8)

struct ofp10_phy_port {
    be16 port_no;
    uint8_t hw_addr[OFP10_ETH_ALEN];
    char name[OFP10_MAX_PORT_NAME_LEN];
    be32 config;
    be32 state;
    be32 curr;
    be32 advertised;
    be32 supported;
    be32 peer;
} OFP10_PACKED;
OFP10_ASSERT_SIZE(ofp10_phy_port, 48);

/* Capabilities 1.0 shares with 1.3: FLOW, TABLE, PORT stats, IP_REASM,
 * QUEUE stats. (1.0 bit 3 is STP where 1.3 has GROUP_STATS.) */
#define OFPC10_SHARED (1u | 2u | 4u | 32u | 64u)

struct ofp10_switch_features {
    struct ofp10_header header;
    be64 datapath_id;
    be32 n_buffers;
    uint8_t n_tables;
    uint8_t pad[3];
    be32 capabilities;
    be32 actions; /* bitmap of supported OFPAT10_* */
} OFP10_PACKED;
OFP10_ASSERT_SIZE(ofp10_switch_features, 32);

struct ofp10_switch_config {
    struct ofp10_header header;
    be16 flags;
    be16 miss_send_len;
} OFP10_PACKED;
OFP10_ASSERT_SIZE(ofp10_switch_config, 12);

struct ofp10_port_status {
    struct ofp10_header header;
    uint8_t reason;
    uint8_t pad[7];
    struct ofp10_phy_port desc;
} OFP10_PACKED;
OFP10_ASSERT_SIZE(ofp10_port_status, 64);

/* The spec's struct is 20 bytes with its trailing alignment; the frame
 * starts at offset 18, which is what this packed head measures. */
struct ofp10_packet_in {
    struct ofp10_header header;
    be32 buffer_id;
    be16 total_len;
    be16 in_port;
    uint8_t reason;
    uint8_t pad;
} OFP10_PACKED;
OFP10_ASSERT_SIZE(ofp10_packet_in, 18);

/* Match (section 5.2.3): a fixed struct with a wildcard bitmap. */
enum ofp10_flow_wildcards {
    OFPFW10_IN_PORT = 1 << 0,
    OFPFW10_DL_VLAN = 1 << 1,
    OFPFW10_DL_SRC = 1 << 2,
    OFPFW10_DL_DST = 1 << 3,
    OFPFW10_DL_TYPE = 1 << 4,
    OFPFW10_NW_PROTO = 1 << 5,
    OFPFW10_TP_SRC = 1 << 6,
    OFPFW10_TP_DST = 1 << 7,
    OFPFW10_NW_SRC_SHIFT = 8, /* 6-bit count of wildcarded low bits */
    OFPFW10_NW_DST_SHIFT = 14,
    OFPFW10_DL_VLAN_PCP = 1 << 20,
    OFPFW10_NW_TOS = 1 << 21,
    OFPFW10_ALL = (1 << 22) - 1,
};
#define OFPFW10_NW_BITS_MASK 0x3fu
#define OFP10_VLAN_NONE 0xffffu

struct ofp10_match {
    be32 wildcards;
    be16 in_port;
    uint8_t dl_src[OFP10_ETH_ALEN];
    uint8_t dl_dst[OFP10_ETH_ALEN];
    be16 dl_vlan;
    uint8_t dl_vlan_pcp;
    uint8_t pad1[1];
    be16 dl_type;
    uint8_t nw_tos;
    uint8_t nw_proto; /* IP protocol, or the low 8 bits of the ARP opcode */
    uint8_t pad2[2];
    be32 nw_src;
    be32 nw_dst;
    be16 tp_src;
    be16 tp_dst;
} OFP10_PACKED;
OFP10_ASSERT_SIZE(ofp10_match, 40);

/* Actions (section 5.2.4). */
enum ofp10_action_type {
    OFPAT10_OUTPUT = 0,
    OFPAT10_SET_VLAN_VID = 1,
    OFPAT10_SET_VLAN_PCP = 2,
    OFPAT10_STRIP_VLAN = 3,
    OFPAT10_SET_DL_SRC = 4,
    OFPAT10_SET_DL_DST = 5,
    OFPAT10_SET_NW_SRC = 6,
    OFPAT10_SET_NW_DST = 7,
    OFPAT10_SET_NW_TOS = 8,
    OFPAT10_SET_TP_SRC = 9,
    OFPAT10_SET_TP_DST = 10,
    OFPAT10_ENQUEUE = 11,
    OFPAT10_VENDOR = 0xffff,
};

struct ofp10_action_header {
    be16 type;
    be16 len;
    uint8_t pad[4];
} OFP10_PACKED;
OFP10_ASSERT_SIZE(ofp10_action_header, 8);

struct ofp10_action_output {
    be16 type;
    be16 len;
    be16 port;
    be16 max_len;
} OFP10_PACKED;
OFP10_ASSERT_SIZE(ofp10_action_output, 8);

struct ofp10_action_vlan_vid {
    be16 type;
    be16 len;
    be16 vlan_vid;
    uint8_t pad[2];
} OFP10_PACKED;
OFP10_ASSERT_SIZE(ofp10_action_vlan_vid, 8);

struct ofp10_action_dl_addr {
    be16 type;
    be16 len;
    uint8_t dl_addr[OFP10_ETH_ALEN];
    uint8_t pad[6];
} OFP10_PACKED;
OFP10_ASSERT_SIZE(ofp10_action_dl_addr, 16);

struct ofp10_action_nw_addr {
    be16 type;
    be16 len;
    be32 nw_addr;
} OFP10_PACKED;
OFP10_ASSERT_SIZE(ofp10_action_nw_addr, 8);

struct ofp10_action_enqueue {
    be16 type;
    be16 len;
    be16 port;
    uint8_t pad[6];
    be32 queue_id;
} OFP10_PACKED;
OFP10_ASSERT_SIZE(ofp10_action_enqueue, 16);

struct ofp10_packet_out {
    struct ofp10_header header;
    be32 buffer_id;
    be16 in_port;
    be16 actions_len;
} OFP10_PACKED;
OFP10_ASSERT_SIZE(ofp10_packet_out, 16);

/* Flow-mod flags: SEND_FLOW_REM and CHECK_OVERLAP as in 1.3; bit 2 is
 * EMERG in 1.0 but RESET_COUNTS in 1.3. */
#define OFPFF10_EMERG 4u

struct ofp10_flow_mod {
    struct ofp10_header header;
    struct ofp10_match match;
    be64 cookie;
    be16 command;
    be16 idle_timeout;
    be16 hard_timeout;
    be16 priority;
    be32 buffer_id;
    be16 out_port;
    be16 flags;
} OFP10_PACKED;
OFP10_ASSERT_SIZE(ofp10_flow_mod, 72);

struct ofp10_flow_removed {
    struct ofp10_header header;
    struct ofp10_match match;
    be64 cookie;
    be16 priority;
    uint8_t reason;
    uint8_t pad[1];
    be32 duration_sec;
    be32 duration_nsec;
    be16 idle_timeout;
    uint8_t pad2[2];
    be64 packet_count;
    be64 byte_count;
} OFP10_PACKED;
OFP10_ASSERT_SIZE(ofp10_flow_removed, 88);

/* Error types (section 5.4.4); codes are listed in ofp10_err.c. */
enum ofp10_error_type {
    OFPET10_HELLO_FAILED = 0,
    OFPET10_BAD_REQUEST = 1,
    OFPET10_BAD_ACTION = 2,
    OFPET10_FLOW_MOD_FAILED = 3,
    OFPET10_PORT_MOD_FAILED = 4,
    OFPET10_QUEUE_OP_FAILED = 5,
};

/* Statistics (section 5.3.5): 1.0's name for multipart. */
enum ofp10_stats_type {
    OFPST10_DESC = 0,
    OFPST10_FLOW = 1,
    OFPST10_AGGREGATE = 2,
    OFPST10_TABLE = 3,
    OFPST10_PORT = 4,
    OFPST10_QUEUE = 5,
    OFPST10_VENDOR = 0xffff,
};

struct ofp10_stats_msg {
    struct ofp10_header header;
    be16 type;
    be16 flags;
} OFP10_PACKED;
OFP10_ASSERT_SIZE(ofp10_stats_msg, 12);

#define OFP10_DESC_STR_LEN 256
#define OFP10_SERIAL_NUM_LEN 32
struct ofp10_desc_stats {
    char mfr_desc[OFP10_DESC_STR_LEN];
    char hw_desc[OFP10_DESC_STR_LEN];
    char sw_desc[OFP10_DESC_STR_LEN];
    char serial_num[OFP10_SERIAL_NUM_LEN];
    char dp_desc[OFP10_DESC_STR_LEN];
} OFP10_PACKED;
OFP10_ASSERT_SIZE(ofp10_desc_stats, 1056);

struct ofp10_flow_stats_request {
    struct ofp10_match match;
    uint8_t table_id;
    uint8_t pad;
    be16 out_port;
} OFP10_PACKED;
OFP10_ASSERT_SIZE(ofp10_flow_stats_request, 44);

struct ofp10_flow_stats {
    be16 length;
    uint8_t table_id;
    uint8_t pad;
    struct ofp10_match match;
    be32 duration_sec;
    be32 duration_nsec;
    be16 priority;
    be16 idle_timeout;
    be16 hard_timeout;
    uint8_t pad2[6];
    be64 cookie;
    be64 packet_count;
    be64 byte_count;
} OFP10_PACKED;
OFP10_ASSERT_SIZE(ofp10_flow_stats, 88);

#endif
