/* ofp13_wire.h - OpenFlow 1.3 wire layout: packed structs and constants.
 *
 * Bottom layer of the codec. Every struct here is exactly the byte layout of
 * the OpenFlow 1.3.5 specification, with big-endian fields (be16/be32/be64
 * are plain integers that hold network byte order). Each size is checked at
 * compile time. Nothing above src/ofp/ includes this file: applications see
 * only the version-independent structs of ofp_msg.h. */
#ifndef MATFLOW_OFP13_WIRE_H
#define MATFLOW_OFP13_WIRE_H

#include <stdint.h>

typedef uint16_t be16;
typedef uint32_t be32;
typedef uint64_t be64;

#define OFP13_VERSION 0x04
#define OFP_HEADER_LEN 8
#define OFP_MAX_MSG_LEN 65535

#define OFP_PACKED __attribute__((packed))
#define OFP_ASSERT_SIZE(s, n) _Static_assert(sizeof(struct s) == (n), #s " size")

/* Wire message types (ofp_type, OpenFlow 1.3 section 7.1). */
enum ofp13_type {
    OFPT13_HELLO = 0,
    OFPT13_ERROR = 1,
    OFPT13_ECHO_REQUEST = 2,
    OFPT13_ECHO_REPLY = 3,
    OFPT13_EXPERIMENTER = 4,
    OFPT13_FEATURES_REQUEST = 5,
    OFPT13_FEATURES_REPLY = 6,
    OFPT13_GET_CONFIG_REQUEST = 7,
    OFPT13_GET_CONFIG_REPLY = 8,
    OFPT13_SET_CONFIG = 9,
    OFPT13_PACKET_IN = 10,
    OFPT13_FLOW_REMOVED = 11,
    OFPT13_PORT_STATUS = 12,
    OFPT13_PACKET_OUT = 13,
    OFPT13_FLOW_MOD = 14,
    OFPT13_GROUP_MOD = 15,
    OFPT13_PORT_MOD = 16,
    OFPT13_TABLE_MOD = 17,
    OFPT13_MULTIPART_REQUEST = 18,
    OFPT13_MULTIPART_REPLY = 19,
    OFPT13_BARRIER_REQUEST = 20,
    OFPT13_BARRIER_REPLY = 21,
    OFPT13_QUEUE_GET_CONFIG_REQUEST = 22,
    OFPT13_QUEUE_GET_CONFIG_REPLY = 23,
    OFPT13_ROLE_REQUEST = 24,
    OFPT13_ROLE_REPLY = 25,
    OFPT13_GET_ASYNC_REQUEST = 26,
    OFPT13_GET_ASYNC_REPLY = 27,
    OFPT13_SET_ASYNC = 28,
    OFPT13_METER_MOD = 29,
};

struct ofp_header {
    uint8_t version;
    uint8_t type;
    be16 length;
    be32 xid;
} OFP_PACKED;
OFP_ASSERT_SIZE(ofp_header, 8);

/* HELLO elements. */
#define OFPHET_VERSIONBITMAP 1
struct ofp_hello_elem_header {
    be16 type;
    be16 length;
} OFP_PACKED;
OFP_ASSERT_SIZE(ofp_hello_elem_header, 4);

struct ofp_error_msg {
    struct ofp_header header;
    be16 type;
    be16 code;
} OFP_PACKED;
OFP_ASSERT_SIZE(ofp_error_msg, 12);

#define OFPET13_EXPERIMENTER 0xffff
struct ofp_error_experimenter_msg {
    struct ofp_header header;
    be16 type;
    be16 exp_type;
    be32 experimenter;
} OFP_PACKED;
OFP_ASSERT_SIZE(ofp_error_experimenter_msg, 16);

struct ofp_experimenter_header {
    struct ofp_header header;
    be32 experimenter;
    be32 exp_type;
} OFP_PACKED;
OFP_ASSERT_SIZE(ofp_experimenter_header, 16);

struct ofp_switch_features {
    struct ofp_header header;
    be64 datapath_id;
    be32 n_buffers;
    uint8_t n_tables;
    uint8_t auxiliary_id;
    uint8_t pad[2];
    be32 capabilities;
    be32 reserved;
} OFP_PACKED;
OFP_ASSERT_SIZE(ofp_switch_features, 32);

struct ofp_switch_config {
    struct ofp_header header;
    be16 flags;
    be16 miss_send_len;
} OFP_PACKED;
OFP_ASSERT_SIZE(ofp_switch_config, 12);

#define OFP_ETH_ALEN 6
#define OFP_MAX_PORT_NAME_LEN 16
struct ofp_port {
    be32 port_no;
    uint8_t pad[4];
    uint8_t hw_addr[OFP_ETH_ALEN];
    uint8_t pad2[2];
    char name[OFP_MAX_PORT_NAME_LEN];
    be32 config;
    be32 state;
    be32 curr;
    be32 advertised;
    be32 supported;
    be32 peer;
    be32 curr_speed;
    be32 max_speed;
} OFP_PACKED;
OFP_ASSERT_SIZE(ofp_port, 64);

struct ofp_port_status {
    struct ofp_header header;
    uint8_t reason;
    uint8_t pad[7];
    struct ofp_port desc;
} OFP_PACKED;
OFP_ASSERT_SIZE(ofp_port_status, 80);

/* The fixed head of ofp_match; OXM TLVs follow, then padding to 8. */
#define OFPMT_OXM 1
struct ofp_match {
    be16 type;
    be16 length; /* header + OXMs, excluding padding */
} OFP_PACKED;
OFP_ASSERT_SIZE(ofp_match, 4);
#define OFP_MATCH_MIN_LEN 8 /* 4-byte head padded to 8 */

#define OFPXMC_OPENFLOW_BASIC 0x8000
#define OXM_HEADER_LEN 4

/* OpenFlow-basic OXM field numbers (section 7.2.3.7). */
enum ofp13_oxm_field {
    OFPXMT_IN_PORT = 0,
    OFPXMT_IN_PHY_PORT = 1,
    OFPXMT_METADATA = 2,
    OFPXMT_ETH_DST = 3,
    OFPXMT_ETH_SRC = 4,
    OFPXMT_ETH_TYPE = 5,
    OFPXMT_VLAN_VID = 6,
    OFPXMT_VLAN_PCP = 7,
    OFPXMT_IP_DSCP = 8,
    OFPXMT_IP_ECN = 9,
    OFPXMT_IP_PROTO = 10,
    OFPXMT_IPV4_SRC = 11,
    OFPXMT_IPV4_DST = 12,
    OFPXMT_ARP_OP = 21,
    OFPXMT_ARP_SPA = 22,
    OFPXMT_ARP_TPA = 23,
    OFPXMT_ARP_SHA = 24,
    OFPXMT_ARP_THA = 25,
};

/* The fixed part of a PACKET_IN before its match. */
struct ofp_packet_in_head {
    struct ofp_header header;
    be32 buffer_id;
    be16 total_len;
    uint8_t reason;
    uint8_t table_id;
    be64 cookie;
} OFP_PACKED;
OFP_ASSERT_SIZE(ofp_packet_in_head, 24);
#define OFP_PACKET_IN_MIN_LEN (24 + OFP_MATCH_MIN_LEN + 2)

struct ofp_flow_removed_head {
    struct ofp_header header;
    be64 cookie;
    be16 priority;
    uint8_t reason;
    uint8_t table_id;
    be32 duration_sec;
    be32 duration_nsec;
    be16 idle_timeout;
    be16 hard_timeout;
    be64 packet_count;
    be64 byte_count;
} OFP_PACKED;
OFP_ASSERT_SIZE(ofp_flow_removed_head, 48);

struct ofp_packet_out {
    struct ofp_header header;
    be32 buffer_id;
    be32 in_port;
    be16 actions_len;
    uint8_t pad[6];
} OFP_PACKED;
OFP_ASSERT_SIZE(ofp_packet_out, 24);

struct ofp_flow_mod_head {
    struct ofp_header header;
    be64 cookie;
    be64 cookie_mask;
    uint8_t table_id;
    uint8_t command;
    be16 idle_timeout;
    be16 hard_timeout;
    be16 priority;
    be32 buffer_id;
    be32 out_port;
    be32 out_group;
    be16 flags;
    uint8_t pad[2];
} OFP_PACKED;
OFP_ASSERT_SIZE(ofp_flow_mod_head, 48);

/* Instructions (section 7.2.4). */
enum ofp13_instruction_type {
    OFPIT_GOTO_TABLE = 1,
    OFPIT_WRITE_METADATA = 2,
    OFPIT_WRITE_ACTIONS = 3,
    OFPIT_APPLY_ACTIONS = 4,
    OFPIT_CLEAR_ACTIONS = 5,
    OFPIT_METER = 6,
    OFPIT_EXPERIMENTER = 0xffff,
};

struct ofp_instruction {
    be16 type;
    be16 len;
} OFP_PACKED;
OFP_ASSERT_SIZE(ofp_instruction, 4);

struct ofp_instruction_goto_table {
    be16 type;
    be16 len;
    uint8_t table_id;
    uint8_t pad[3];
} OFP_PACKED;
OFP_ASSERT_SIZE(ofp_instruction_goto_table, 8);

struct ofp_instruction_write_metadata {
    be16 type;
    be16 len;
    uint8_t pad[4];
    be64 metadata;
    be64 metadata_mask;
} OFP_PACKED;
OFP_ASSERT_SIZE(ofp_instruction_write_metadata, 24);

struct ofp_instruction_actions {
    be16 type;
    be16 len;
    uint8_t pad[4];
} OFP_PACKED;
OFP_ASSERT_SIZE(ofp_instruction_actions, 8);

struct ofp_instruction_meter {
    be16 type;
    be16 len;
    be32 meter_id;
} OFP_PACKED;
OFP_ASSERT_SIZE(ofp_instruction_meter, 8);

/* Actions (section 7.2.5). */
enum ofp13_action_type {
    OFPAT13_OUTPUT = 0,
    OFPAT13_COPY_TTL_OUT = 11,
    OFPAT13_COPY_TTL_IN = 12,
    OFPAT13_SET_MPLS_TTL = 15,
    OFPAT13_DEC_MPLS_TTL = 16,
    OFPAT13_PUSH_VLAN = 17,
    OFPAT13_POP_VLAN = 18,
    OFPAT13_PUSH_MPLS = 19,
    OFPAT13_POP_MPLS = 20,
    OFPAT13_SET_QUEUE = 21,
    OFPAT13_GROUP = 22,
    OFPAT13_SET_NW_TTL = 23,
    OFPAT13_DEC_NW_TTL = 24,
    OFPAT13_SET_FIELD = 25,
    OFPAT13_PUSH_PBB = 26,
    OFPAT13_POP_PBB = 27,
    OFPAT13_EXPERIMENTER = 0xffff,
};

struct ofp_action_header {
    be16 type;
    be16 len;
} OFP_PACKED;
OFP_ASSERT_SIZE(ofp_action_header, 4);

struct ofp_action_output {
    be16 type;
    be16 len;
    be32 port;
    be16 max_len;
    uint8_t pad[6];
} OFP_PACKED;
OFP_ASSERT_SIZE(ofp_action_output, 16);

struct ofp_action_push {
    be16 type;
    be16 len;
    be16 ethertype;
    uint8_t pad[2];
} OFP_PACKED;
OFP_ASSERT_SIZE(ofp_action_push, 8);

struct ofp_action_pop_vlan {
    be16 type;
    be16 len;
    uint8_t pad[4];
} OFP_PACKED;
OFP_ASSERT_SIZE(ofp_action_pop_vlan, 8);

/* set_field: type, len, then one OXM TLV, padded to a multiple of 8. */
#define OFP_ACTION_SET_FIELD_HEAD_LEN 4

/* Multipart (section 7.3.5). */
enum ofp13_multipart_type {
    OFPMP13_DESC = 0,
    OFPMP13_FLOW = 1,
    OFPMP13_AGGREGATE = 2,
    OFPMP13_TABLE = 3,
    OFPMP13_PORT_STATS = 4,
    OFPMP13_QUEUE = 5,
    OFPMP13_GROUP = 6,
    OFPMP13_GROUP_DESC = 7,
    OFPMP13_GROUP_FEATURES = 8,
    OFPMP13_METER = 9,
    OFPMP13_METER_CONFIG = 10,
    OFPMP13_METER_FEATURES = 11,
    OFPMP13_TABLE_FEATURES = 12,
    OFPMP13_PORT_DESC = 13,
    OFPMP13_EXPERIMENTER = 0xffff,
};

struct ofp_multipart_head {
    struct ofp_header header;
    be16 type;
    be16 flags;
    uint8_t pad[4];
} OFP_PACKED;
OFP_ASSERT_SIZE(ofp_multipart_head, 16);

#define DESC_STR_LEN 256
#define SERIAL_NUM_LEN 32
struct ofp_desc {
    char mfr_desc[DESC_STR_LEN];
    char hw_desc[DESC_STR_LEN];
    char sw_desc[DESC_STR_LEN];
    char serial_num[SERIAL_NUM_LEN];
    char dp_desc[DESC_STR_LEN];
} OFP_PACKED;
OFP_ASSERT_SIZE(ofp_desc, 1056);

struct ofp_flow_stats_request_head {
    uint8_t table_id;
    uint8_t pad[3];
    be32 out_port;
    be32 out_group;
    uint8_t pad2[4];
    be64 cookie;
    be64 cookie_mask;
} OFP_PACKED;
OFP_ASSERT_SIZE(ofp_flow_stats_request_head, 32);

struct ofp_flow_stats_head {
    be16 length;
    uint8_t table_id;
    uint8_t pad;
    be32 duration_sec;
    be32 duration_nsec;
    be16 priority;
    be16 idle_timeout;
    be16 hard_timeout;
    be16 flags;
    uint8_t pad2[4];
    be64 cookie;
    be64 packet_count;
    be64 byte_count;
} OFP_PACKED;
OFP_ASSERT_SIZE(ofp_flow_stats_head, 48);

#define OFP_MAX_TABLE_NAME_LEN 32
struct ofp_table_features {
    be16 length;
    uint8_t table_id;
    uint8_t pad[5];
    char name[OFP_MAX_TABLE_NAME_LEN];
    be64 metadata_match;
    be64 metadata_write;
    be32 config;
    be32 max_entries;
} OFP_PACKED;
OFP_ASSERT_SIZE(ofp_table_features, 64);

struct ofp_table_feature_prop_header {
    be16 type;
    be16 length;
} OFP_PACKED;
OFP_ASSERT_SIZE(ofp_table_feature_prop_header, 4);

struct ofp_role_request {
    struct ofp_header header;
    be32 role;
    uint8_t pad[4];
    be64 generation_id;
} OFP_PACKED;
OFP_ASSERT_SIZE(ofp_role_request, 24);

#endif
