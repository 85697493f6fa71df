/* ofp_err.h - OpenFlow error type/code pairs as one value.
 *
 * The codec reports why it refused a message as an `ofperr`: 0 means success,
 * anything else names an OFPT_ERROR (type, code) that can be sent back to the
 * peer as is. Type and code numbers are those of OpenFlow 1.3, which the
 * abstract layer uses for every version. */
#ifndef MATFLOW_OFP_ERR_H
#define MATFLOW_OFP_ERR_H

#include <stdint.h>

typedef uint32_t ofperr;

/* type + 1 keeps (HELLO_FAILED, INCOMPATIBLE) = (0, 0) distinct from success. */
#define OFPERR_MAKE(type, code) ((((uint32_t)(type) + 1u) << 16) | (uint16_t)(code))
#define OFPERR_TYPE(e) ((uint16_t)(((e) >> 16) - 1u))
#define OFPERR_CODE(e) ((uint16_t)((e) & 0xffff))

enum ofp_error_type {
    OFPET_HELLO_FAILED = 0,
    OFPET_BAD_REQUEST = 1,
    OFPET_BAD_ACTION = 2,
    OFPET_BAD_INSTRUCTION = 3,
    OFPET_BAD_MATCH = 4,
    OFPET_FLOW_MOD_FAILED = 5,
    OFPET_GROUP_MOD_FAILED = 6,
    OFPET_PORT_MOD_FAILED = 7,
    OFPET_TABLE_MOD_FAILED = 8,
    OFPET_QUEUE_OP_FAILED = 9,
    OFPET_SWITCH_CONFIG_FAILED = 10,
    OFPET_ROLE_REQUEST_FAILED = 11,
    OFPET_METER_MOD_FAILED = 12,
    OFPET_TABLE_FEATURES_FAILED = 13,
};

/* Every error the codec and the channel can raise: name, type, code. */
#define OFPERR_LIST(X)                                          \
    X(HELLO_INCOMPATIBLE, OFPET_HELLO_FAILED, 0)                \
    X(BAD_VERSION, OFPET_BAD_REQUEST, 0)                        \
    X(BAD_TYPE, OFPET_BAD_REQUEST, 1)                           \
    X(BAD_MULTIPART, OFPET_BAD_REQUEST, 2)                      \
    X(BAD_EXPERIMENTER, OFPET_BAD_REQUEST, 3)                   \
    X(BAD_LEN, OFPET_BAD_REQUEST, 6)                            \
    X(BAD_TABLE_ID, OFPET_BAD_REQUEST, 9)                       \
    X(BAD_PORT, OFPET_BAD_REQUEST, 11)                          \
    X(BAD_PACKET, OFPET_BAD_REQUEST, 12)                        \
    X(ACTION_BAD_TYPE, OFPET_BAD_ACTION, 0)                     \
    X(ACTION_BAD_LEN, OFPET_BAD_ACTION, 1)                      \
    X(ACTION_BAD_OUT_PORT, OFPET_BAD_ACTION, 4)                 \
    X(ACTION_BAD_ARGUMENT, OFPET_BAD_ACTION, 5)                 \
    X(ACTION_TOO_MANY, OFPET_BAD_ACTION, 7)                     \
    X(ACTION_BAD_SET_TYPE, OFPET_BAD_ACTION, 13)                \
    X(ACTION_BAD_SET_LEN, OFPET_BAD_ACTION, 14)                 \
    X(ACTION_BAD_SET_ARGUMENT, OFPET_BAD_ACTION, 15)            \
    X(INST_UNKNOWN, OFPET_BAD_INSTRUCTION, 0)                   \
    X(INST_UNSUP, OFPET_BAD_INSTRUCTION, 1)                     \
    X(INST_BAD_LEN, OFPET_BAD_INSTRUCTION, 7)                   \
    X(MATCH_BAD_TYPE, OFPET_BAD_MATCH, 0)                       \
    X(MATCH_BAD_LEN, OFPET_BAD_MATCH, 1)                        \
    X(MATCH_BAD_WILDCARDS, OFPET_BAD_MATCH, 5)                  \
    X(MATCH_BAD_FIELD, OFPET_BAD_MATCH, 6)                      \
    X(MATCH_BAD_VALUE, OFPET_BAD_MATCH, 7)                      \
    X(MATCH_BAD_MASK, OFPET_BAD_MATCH, 8)                       \
    X(MATCH_BAD_PREREQ, OFPET_BAD_MATCH, 9)                     \
    X(MATCH_DUP_FIELD, OFPET_BAD_MATCH, 10)                     \
    X(FLOW_MOD_BAD_COMMAND, OFPET_FLOW_MOD_FAILED, 6)           \
    X(CONFIG_BAD_LEN, OFPET_SWITCH_CONFIG_FAILED, 1)

enum {
#define OFPERR_ENUM(name, type, code) OFPERR_##name = OFPERR_MAKE(type, code),
    OFPERR_LIST(OFPERR_ENUM)
#undef OFPERR_ENUM
};

/* "OFPBRC_BAD_LEN"-style name for an error we know, else "type=T code=C"
 * written into a static buffer (not thread-safe; the daemon has one thread). */
const char *ofperr_name(ofperr e);
const char *ofp_error_type_name(uint16_t type);

#endif
