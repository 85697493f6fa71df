/* ofp10_err.c - OpenFlow 1.0 error numbers and the abstract (1.3) ones.
 *
 * 1.0 has six error types: HELLO_FAILED, BAD_REQUEST and BAD_ACTION share
 * their numbers and first nine codes with 1.3; FLOW_MOD_FAILED (3),
 * PORT_MOD_FAILED (4) and QUEUE_OP_FAILED (5) are 1.3's types 5, 7 and 9,
 * with FLOW_MOD_FAILED's codes in another order. Decoding maps 1.0 numbers
 * to 1.3 ones (unknown pairs pass unchanged); encoding maps back, choosing
 * the nearest 1.0 error for the 1.3 errors 1.0 lacks (match, instruction,
 * table and group errors): a length problem stays BAD_REQUEST/BAD_LEN, a
 * flow 1.0 cannot hold is FLOW_MOD_FAILED/UNSUPPORTED, a request 1.0 does
 * not have is BAD_REQUEST/BAD_TYPE, anything else BAD_REQUEST/EPERM. */
#include "ofp/ofp10.h"

/* 1.0 codes of OFPET_FLOW_MOD_FAILED. */
enum {
    FMFC10_ALL_TABLES_FULL = 0,
    FMFC10_OVERLAP = 1,
    FMFC10_EPERM = 2,
    FMFC10_BAD_EMERG_TIMEOUT = 3,
    FMFC10_BAD_COMMAND = 4,
    FMFC10_UNSUPPORTED = 5,
};
/* 1.3 code of each 1.0 FLOW_MOD_FAILED code, by 1.0 code. */
static const uint16_t fmfc13_of_10[] = {
    [FMFC10_ALL_TABLES_FULL] = 1,   /* TABLE_FULL */
    [FMFC10_OVERLAP] = 3,           /* OVERLAP */
    [FMFC10_EPERM] = 4,             /* EPERM */
    [FMFC10_BAD_EMERG_TIMEOUT] = 5, /* BAD_TIMEOUT */
    [FMFC10_BAD_COMMAND] = 6,       /* BAD_COMMAND */
    [FMFC10_UNSUPPORTED] = 0,       /* UNKNOWN */
};
/* 1.0 code of each 1.3 FLOW_MOD_FAILED code (UNKNOWN, TABLE_FULL,
 * BAD_TABLE_ID, OVERLAP, EPERM, BAD_TIMEOUT, BAD_COMMAND, BAD_FLAGS). */
static const uint16_t fmfc10_of_13[] = {
    FMFC10_UNSUPPORTED, FMFC10_ALL_TABLES_FULL, FMFC10_UNSUPPORTED, FMFC10_OVERLAP,
    FMFC10_EPERM,       FMFC10_BAD_EMERG_TIMEOUT, FMFC10_BAD_COMMAND, FMFC10_UNSUPPORTED,
};

enum { BRC10_BAD_TYPE = 1, BRC10_EPERM = 5, BRC10_BAD_LEN = 6, BRC10_LAST = 8 };
enum { BAC10_BAD_TYPE = 0, BAC10_BAD_LEN = 1, BAC10_BAD_OUT_PORT = 4, BAC10_BAD_ARGUMENT = 5,
       BAC10_LAST = 8 };

void ofp10_error_to_abstract(uint16_t type, uint16_t code, uint16_t *atype, uint16_t *acode)
{
    *atype = type;
    *acode = code;
    switch (type) {
    case OFPET10_FLOW_MOD_FAILED:
        *atype = OFPET_FLOW_MOD_FAILED;
        if (code < sizeof fmfc13_of_10 / sizeof fmfc13_of_10[0]) {
            *acode = fmfc13_of_10[code];
        }
        break;
    case OFPET10_PORT_MOD_FAILED:
        *atype = OFPET_PORT_MOD_FAILED;
        break;
    case OFPET10_QUEUE_OP_FAILED:
        *atype = OFPET_QUEUE_OP_FAILED;
        break;
    default: /* HELLO_FAILED, BAD_REQUEST, BAD_ACTION: the same numbers */
        break;
    }
}

static void set(uint16_t *type, uint16_t *code, uint16_t t, uint16_t c)
{
    *type = t;
    *code = c;
}

static void bad_action(uint16_t acode, uint16_t *type, uint16_t *code)
{
    switch (acode) {
    case 9: /* BAD_OUT_GROUP */
        set(type, code, OFPET10_BAD_ACTION, BAC10_BAD_OUT_PORT);
        break;
    case 11: /* UNSUPPORTED_ORDER: exactly 1.0's FLOW_MOD_FAILED/UNSUPPORTED */
        set(type, code, OFPET10_FLOW_MOD_FAILED, FMFC10_UNSUPPORTED);
        break;
    case 13: /* BAD_SET_TYPE */
        set(type, code, OFPET10_BAD_ACTION, BAC10_BAD_TYPE);
        break;
    case 14: /* BAD_SET_LEN */
        set(type, code, OFPET10_BAD_ACTION, BAC10_BAD_LEN);
        break;
    default: /* MATCH_INCONSISTENT, BAD_TAG, BAD_SET_ARGUMENT, ... */
        set(type, code, OFPET10_BAD_ACTION, acode <= BAC10_LAST ? acode : BAC10_BAD_ARGUMENT);
        break;
    }
}

ofperr ofp10_error_from_abstract(uint16_t atype, uint16_t acode, uint16_t *type, uint16_t *code)
{
    switch (atype) {
    case OFPET_HELLO_FAILED:
        set(type, code, OFPET10_HELLO_FAILED, acode);
        return 0;
    case OFPET_BAD_REQUEST:
        if (acode <= BRC10_LAST) {
            set(type, code, OFPET10_BAD_REQUEST, acode);
        } else if (acode == 9) { /* BAD_TABLE_ID */
            set(type, code, OFPET10_FLOW_MOD_FAILED, FMFC10_UNSUPPORTED);
        } else {
            set(type, code, OFPET10_BAD_REQUEST, BRC10_EPERM);
        }
        return 0;
    case OFPET_BAD_ACTION:
        bad_action(acode, type, code);
        return 0;
    case OFPET_BAD_INSTRUCTION:
    case OFPET_BAD_MATCH:
        /* INST_BAD_LEN is 7, MATCH_BAD_LEN is 1. */
        if ((atype == OFPET_BAD_INSTRUCTION && acode == 7) ||
            (atype == OFPET_BAD_MATCH && acode == 1)) {
            set(type, code, OFPET10_BAD_REQUEST, BRC10_BAD_LEN);
        } else {
            set(type, code, OFPET10_FLOW_MOD_FAILED, FMFC10_UNSUPPORTED);
        }
        return 0;
    case OFPET_FLOW_MOD_FAILED:
        set(type, code, OFPET10_FLOW_MOD_FAILED,
            acode < sizeof fmfc10_of_13 / sizeof fmfc10_of_13[0] ? fmfc10_of_13[acode]
                                                                 : FMFC10_UNSUPPORTED);
        return 0;
    case OFPET_PORT_MOD_FAILED:
        if (acode <= 1) { /* BAD_PORT, BAD_HW_ADDR */
            set(type, code, OFPET10_PORT_MOD_FAILED, acode);
        } else {
            set(type, code, OFPET10_BAD_REQUEST, BRC10_EPERM);
        }
        return 0;
    case OFPET_QUEUE_OP_FAILED:
        set(type, code, OFPET10_QUEUE_OP_FAILED, acode);
        return 0;
    case OFPET_SWITCH_CONFIG_FAILED:
        set(type, code, OFPET10_BAD_REQUEST, acode == 1 ? BRC10_BAD_LEN : BRC10_EPERM);
        return 0;
    case 0xffff:
        return OFPERR_BAD_EXPERIMENTER; /* 1.0 has no experimenter errors */
    default: /* group, table, role, meter, table features: no such request */
        set(type, code, OFPET10_BAD_REQUEST, BRC10_BAD_TYPE);
        return 0;
    }
}
