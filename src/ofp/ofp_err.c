/* ofp_err.c - names of OpenFlow errors, for logs and counters. */
#include "ofp/ofp_err.h"

#include <stdio.h>

const char *ofperr_name(ofperr e)
{
    switch (e) {
#define OFPERR_CASE(name, type, code) \
    case OFPERR_##name:               \
        return #name;
        OFPERR_LIST(OFPERR_CASE)
#undef OFPERR_CASE
    default: {
        static char buf[48];
        snprintf(buf, sizeof buf, "type=%u code=%u", OFPERR_TYPE(e), OFPERR_CODE(e));
        return buf;
    }
    }
}

const char *ofp_error_type_name(uint16_t type)
{
    static const char *const names[] = {
        "HELLO_FAILED",       "BAD_REQUEST",         "BAD_ACTION",
        "BAD_INSTRUCTION",    "BAD_MATCH",           "FLOW_MOD_FAILED",
        "GROUP_MOD_FAILED",   "PORT_MOD_FAILED",     "TABLE_MOD_FAILED",
        "QUEUE_OP_FAILED",    "SWITCH_CONFIG_FAILED", "ROLE_REQUEST_FAILED",
        "METER_MOD_FAILED",   "TABLE_FEATURES_FAILED",
    };
    if (type < sizeof names / sizeof names[0]) {
        return names[type];
    }
    return type == 0xffff ? "EXPERIMENTER" : "UNKNOWN";
}
