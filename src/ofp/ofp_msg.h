/* ofp_msg.h - version-independent OpenFlow messages.
 *
 * Upper layer of the codec: the plain C structs the channel core and the
 * applications build and read. The wire version is a parameter of
 * of_encode()/of_decode() (ofp_codec.h), never a field the application has
 * to reason about; numbers that the versions share (port numbers, flow-mod
 * commands, error types) use their OpenFlow 1.3 values.
 *
 * Ownership: decoded messages never allocate. Variable-length payloads
 * (packet data, error data, multipart bodies) point into the buffer that was
 * decoded and are valid only as long as that buffer is. */
#ifndef MATFLOW_OFP_MSG_H
#define MATFLOW_OFP_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ofp/ofp_err.h"
#include "util/eth_addr.h"

/* Wire versions matflow can speak. */
#define OF_VERSION_1_0 0x01
#define OF_VERSION_1_3 0x04

/* Reserved port numbers (OpenFlow 1.3 values). */
#define OFPP_MAX 0xffffff00u
#define OFPP_IN_PORT 0xfffffff8u
#define OFPP_TABLE 0xfffffff9u
#define OFPP_NORMAL 0xfffffffau
#define OFPP_FLOOD 0xfffffffbu
#define OFPP_ALL 0xfffffffcu
#define OFPP_CONTROLLER 0xfffffffdu
#define OFPP_LOCAL 0xfffffffeu
#define OFPP_ANY 0xffffffffu

#define OFPG_ANY 0xffffffffu
#define OFP_NO_BUFFER 0xffffffffu
#define OFPCML_NO_BUFFER 0xffffu
#define OFPTT_ALL 0xff
#define OFPVID_PRESENT 0x1000

/* Every message kind matflow understands: enum name, printable name. */
#define OF_MSG_KINDS(X)                           \
    X(HELLO, "HELLO")                             \
    X(ERROR, "ERROR")                             \
    X(ECHO_REQUEST, "ECHO_REQUEST")               \
    X(ECHO_REPLY, "ECHO_REPLY")                   \
    X(EXPERIMENTER, "EXPERIMENTER")               \
    X(FEATURES_REQUEST, "FEATURES_REQUEST")       \
    X(FEATURES_REPLY, "FEATURES_REPLY")           \
    X(GET_CONFIG_REQUEST, "GET_CONFIG_REQUEST")   \
    X(GET_CONFIG_REPLY, "GET_CONFIG_REPLY")       \
    X(SET_CONFIG, "SET_CONFIG")                   \
    X(PACKET_IN, "PACKET_IN")                     \
    X(FLOW_REMOVED, "FLOW_REMOVED")               \
    X(PORT_STATUS, "PORT_STATUS")                 \
    X(PACKET_OUT, "PACKET_OUT")                   \
    X(FLOW_MOD, "FLOW_MOD")                       \
    X(MULTIPART_REQUEST, "MULTIPART_REQUEST")     \
    X(MULTIPART_REPLY, "MULTIPART_REPLY")         \
    X(BARRIER_REQUEST, "BARRIER_REQUEST")         \
    X(BARRIER_REPLY, "BARRIER_REPLY")             \
    X(ROLE_REQUEST, "ROLE_REQUEST")               \
    X(ROLE_REPLY, "ROLE_REPLY")

enum of_msg_kind {
#define OF_KIND_ENUM(name, str) OF_##name,
    OF_MSG_KINDS(OF_KIND_ENUM)
#undef OF_KIND_ENUM
    OF_N_KINDS
};

const char *of_msg_kind_name(enum of_msg_kind kind);

/* ---- Match ------------------------------------------------------------ */

/* Match fields: enum name, value width in bytes, maskable. */
#define OF_MATCH_FIELDS(X)          \
    X(IN_PORT, 4, false)            \
    X(METADATA, 8, true)            \
    X(ETH_DST, 6, true)             \
    X(ETH_SRC, 6, true)             \
    X(ETH_TYPE, 2, false)           \
    X(VLAN_VID, 2, true)            \
    X(IP_PROTO, 1, false)           \
    X(IPV4_SRC, 4, true)            \
    X(IPV4_DST, 4, true)            \
    X(ARP_OP, 2, false)             \
    X(ARP_SPA, 4, true)             \
    X(ARP_TPA, 4, true)             \
    X(ARP_SHA, 6, true)             \
    X(ARP_THA, 6, true)

enum of_field {
#define OF_FIELD_ENUM(name, width, maskable) OFF_##name,
    OF_MATCH_FIELDS(OF_FIELD_ENUM)
#undef OF_FIELD_ENUM
    OFF_N_FIELDS
};

const char *of_field_name(enum of_field f);
unsigned of_field_width(enum of_field f);
bool of_field_maskable(enum of_field f);

/* One field's value; which member is used follows the field's width.
 * Integers are in host byte order. */
union of_field_value {
    uint8_t u8;
    uint16_t u16;
    uint32_t u32;
    uint64_t u64;
    struct eth_addr mac;
};

/* A match: a set of fields, each exact or masked. A field absent from
 * `present` is wildcarded. */
struct of_match {
    uint32_t present; /* bit (1 << enum of_field) */
    uint32_t masked;  /* subset of present that carries a mask */
    union of_field_value value[OFF_N_FIELDS];
    union of_field_value mask[OFF_N_FIELDS];
    /* Decoded OXMs of fields outside enum of_field (valid TLVs we do not
     * interpret); a match that has any cannot be re-encoded faithfully. */
    uint16_t n_other;
};

void of_match_init(struct of_match *m);
void of_match_set(struct of_match *m, enum of_field f, union of_field_value v);
void of_match_set_masked(struct of_match *m, enum of_field f, union of_field_value v,
                         union of_field_value mask);
bool of_match_has(const struct of_match *m, enum of_field f);
/* Convenience setters. */
void of_match_set_in_port(struct of_match *m, uint32_t port);
void of_match_set_eth_type(struct of_match *m, uint16_t eth_type);
void of_match_set_eth_src(struct of_match *m, struct eth_addr a);
void of_match_set_eth_dst(struct of_match *m, struct eth_addr a);
void of_match_set_ipv4_src(struct of_match *m, uint32_t addr, uint32_t mask);
void of_match_set_ipv4_dst(struct of_match *m, uint32_t addr, uint32_t mask);
void of_match_set_metadata(struct of_match *m, uint64_t value, uint64_t mask);
/* Checks the OpenFlow prerequisites (ipv4 needs eth_type 0x0800, ...) and
 * that masked values have no bit outside their mask. */
ofperr of_match_validate(const struct of_match *m);
bool of_match_equal(const struct of_match *a, const struct of_match *b);

/* ---- Actions ---------------------------------------------------------- */

enum of_action_type {
    OFAT_OUTPUT,
    OFAT_SET_FIELD,
    OFAT_PUSH_VLAN,
    OFAT_POP_VLAN,
    OFAT_GROUP,
    OFAT_DEC_NW_TTL,
};

struct of_action {
    enum of_action_type type;
    union {
        struct {
            uint32_t port;
            uint16_t max_len; /* bytes to send when port is CONTROLLER */
        } output;
        struct {
            enum of_field field;
            union of_field_value value;
        } set_field;
        uint16_t push_vlan_ethertype;
        uint32_t group_id;
    } u;
};

#define OF_MAX_ACTIONS 32
struct of_action_list {
    unsigned n;
    struct of_action a[OF_MAX_ACTIONS];
    /* Decoded actions of valid length that matflow does not model (for
     * example an experimenter action in a flow another controller set). */
    uint16_t n_other;
};

/* Appends one action; returns false if the list is full. */
bool of_actions_output(struct of_action_list *l, uint32_t port, uint16_t max_len);
bool of_actions_set_field(struct of_action_list *l, enum of_field f, union of_field_value v);
bool of_actions_push_vlan(struct of_action_list *l, uint16_t ethertype);
bool of_actions_pop_vlan(struct of_action_list *l);
bool of_actions_equal(const struct of_action_list *a, const struct of_action_list *b);

/* ---- Instructions ----------------------------------------------------- */

/* OpenFlow allows each instruction type at most once per flow; so do we. */
enum of_inst_bit {
    OFIB_GOTO_TABLE = 1 << 0,
    OFIB_WRITE_METADATA = 1 << 1,
    OFIB_WRITE_ACTIONS = 1 << 2,
    OFIB_APPLY_ACTIONS = 1 << 3,
    OFIB_CLEAR_ACTIONS = 1 << 4,
};

struct of_instructions {
    uint32_t present; /* enum of_inst_bit */
    uint8_t goto_table;
    uint64_t metadata, metadata_mask;
    struct of_action_list apply;
    struct of_action_list write;
};

bool of_instructions_equal(const struct of_instructions *a, const struct of_instructions *b);

/* ---- Messages --------------------------------------------------------- */

struct of_hello {
    bool has_bitmap;
    uint32_t version_bitmap; /* bit v set = version v offered */
};

struct of_error {
    uint16_t type, code;
    uint16_t exp_type;     /* only when type == 0xffff */
    uint32_t experimenter; /* only when type == 0xffff */
    const uint8_t *data;   /* usually the start of the refused message */
    size_t data_len;
};

struct of_echo {
    const uint8_t *data;
    size_t data_len;
};

struct of_experimenter {
    uint32_t experimenter, exp_type;
    const uint8_t *data;
    size_t data_len;
};

struct of_features {
    uint64_t datapath_id;
    uint32_t n_buffers;
    uint8_t n_tables;
    uint8_t auxiliary_id;
    uint32_t capabilities;
    /* OpenFlow 1.0 only (1.3 asks for ports with PORT_DESC): the ports a
     * 1.0 FEATURES_REPLY carries. Decoding sets `port_body` to their wire
     * form, validated, inside the decoded buffer (like every payload); walk
     * them as the OFMP_PORT_DESC reply of that version they are: an
     * of_multipart_reply with mp_type OFMP_PORT_DESC, version, body and
     * body_len taken from here, then of_mp_cursor_init()/of_mp_next_port().
     * Encoding (fake switches, tests) writes `ports`. Empty in 1.3. */
    const uint8_t *port_body;
    size_t port_body_len;
    const struct of_port *ports;
    size_t n_ports;
};

struct of_switch_config {
    uint16_t flags;
    uint16_t miss_send_len;
};

struct of_packet_in {
    uint32_t buffer_id;
    uint16_t total_len;
    uint8_t reason;
    uint8_t table_id;
    uint64_t cookie;
    struct of_match match;
    const uint8_t *data;
    size_t data_len;
};

struct of_flow_removed {
    uint64_t cookie;
    uint16_t priority;
    uint8_t reason;
    uint8_t table_id;
    uint32_t duration_sec, duration_nsec;
    uint16_t idle_timeout, hard_timeout;
    uint64_t packet_count, byte_count;
    struct of_match match;
};

struct of_port {
    uint32_t port_no;
    struct eth_addr hw_addr;
    char name[17]; /* NUL-terminated copy of the 16-byte wire field */
    uint32_t config, state;
    uint32_t curr, advertised, supported, peer;
    uint32_t curr_speed, max_speed;
};

enum of_port_reason { OFPPR_ADD = 0, OFPPR_DELETE = 1, OFPPR_MODIFY = 2 };
#define OFPPC_PORT_DOWN 1u
#define OFPPS_LINK_DOWN 1u

struct of_port_status {
    uint8_t reason;
    struct of_port port;
};

struct of_packet_out {
    uint32_t buffer_id;
    uint32_t in_port;
    struct of_action_list actions;
    const uint8_t *data;
    size_t data_len;
};

enum of_flow_mod_command {
    OFPFC_ADD = 0,
    OFPFC_MODIFY = 1,
    OFPFC_MODIFY_STRICT = 2,
    OFPFC_DELETE = 3,
    OFPFC_DELETE_STRICT = 4,
};
#define OFPFF_SEND_FLOW_REM 1u
#define OFPFF_CHECK_OVERLAP 2u
#define OFPFF_RESET_COUNTS 4u

struct of_flow_mod {
    uint64_t cookie, cookie_mask;
    uint8_t table_id;
    uint8_t command;
    uint16_t idle_timeout, hard_timeout;
    uint16_t priority;
    uint32_t buffer_id;
    uint32_t out_port, out_group;
    uint16_t flags;
    struct of_match match;
    struct of_instructions insts;
};

/* Fills the fields an ADD usually wants: no buffer, out_port/group ANY. */
void of_flow_mod_init(struct of_flow_mod *fm, uint8_t command);

enum of_mp_type {
    OFMP_DESC = 0,
    OFMP_FLOW = 1,
    OFMP_TABLE_FEATURES = 12,
    OFMP_PORT_DESC = 13,
};
#define OFPMPF_MORE 1u

struct of_flow_stats_request {
    uint8_t table_id;
    uint32_t out_port, out_group;
    uint64_t cookie, cookie_mask;
    struct of_match match;
};

struct of_multipart_request {
    uint16_t mp_type; /* enum of_mp_type */
    uint16_t flags;
    struct of_flow_stats_request flow; /* OFMP_FLOW only */
};

struct of_desc {
    char mfr_desc[257], hw_desc[257], sw_desc[257], serial_num[33], dp_desc[257];
};

/* One entry of a flow stats reply. */
struct of_flow_stats {
    uint8_t table_id;
    uint32_t duration_sec, duration_nsec;
    uint16_t priority, idle_timeout, hard_timeout, flags;
    uint64_t cookie, packet_count, byte_count;
    struct of_match match;
    struct of_instructions insts;
};

/* One entry of a table features reply; properties are checked, not kept. */
struct of_table_features {
    uint8_t table_id;
    char name[33];
    uint64_t metadata_match, metadata_write;
    uint32_t config, max_entries;
    unsigned n_props;
};

/* A multipart reply. `body` holds the entries in wire form, already
 * validated by of_decode(); walk them with of_mp_next_*() (ofp_codec.h).
 * For OFMP_DESC the decoded description is in `desc`. */
struct of_multipart_reply {
    uint16_t mp_type;
    uint16_t flags;
    uint8_t version;
    const uint8_t *body;
    size_t body_len;
    struct of_desc desc;
    /* Encoding only (fake switches, tests): the entries to write. */
    const struct of_port *ports;
    size_t n_ports;
    const struct of_flow_stats *flows;
    size_t n_flows;
    const struct of_table_features *tables;
    size_t n_tables;
};

enum of_controller_role {
    OFPCR_ROLE_NOCHANGE = 0,
    OFPCR_ROLE_EQUAL = 1,
    OFPCR_ROLE_MASTER = 2,
    OFPCR_ROLE_SLAVE = 3,
};

struct of_role {
    uint32_t role;
    uint64_t generation_id;
};

/* A message of any kind. Large members (flow mods, packet-ins) make this
 * a few KiB: keep one per connection or on the stack, not per flow. */
struct of_msg {
    enum of_msg_kind kind;
    uint8_t version; /* wire version it was decoded from */
    uint32_t xid;
    union {
        struct of_hello hello;
        struct of_error error;
        struct of_echo echo;
        struct of_experimenter experimenter;
        struct of_features features;
        struct of_switch_config config;
        struct of_packet_in packet_in;
        struct of_flow_removed flow_removed;
        struct of_port_status port_status;
        struct of_packet_out packet_out;
        struct of_flow_mod flow_mod;
        struct of_multipart_request mp_request;
        struct of_multipart_reply mp_reply;
        struct of_role role;
    } u;
};

#endif
