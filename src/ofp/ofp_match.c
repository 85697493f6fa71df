/* ofp_match.c - the version-independent match: field table, setters,
 * prerequisite checks and comparison. */
#include "ofp/ofp_msg.h"

#include <string.h>

struct field_info {
    const char *name;
    unsigned width;
    bool maskable;
};

static const struct field_info fields[OFF_N_FIELDS] = {
#define OF_FIELD_INFO(name, width, maskable) [OFF_##name] = {#name, width, maskable},
    OF_MATCH_FIELDS(OF_FIELD_INFO)
#undef OF_FIELD_INFO
};

const char *of_field_name(enum of_field f)
{
    return (unsigned)f < OFF_N_FIELDS ? fields[f].name : "UNKNOWN";
}

unsigned of_field_width(enum of_field f)
{
    return (unsigned)f < OFF_N_FIELDS ? fields[f].width : 0;
}

bool of_field_maskable(enum of_field f)
{
    return (unsigned)f < OFF_N_FIELDS && fields[f].maskable;
}

void of_match_init(struct of_match *m)
{
    memset(m, 0, sizeof *m);
}

void of_match_set(struct of_match *m, enum of_field f, union of_field_value v)
{
    m->present |= 1u << f;
    m->masked &= ~(1u << f);
    m->value[f] = v;
    memset(&m->mask[f], 0, sizeof m->mask[f]);
}

void of_match_set_masked(struct of_match *m, enum of_field f, union of_field_value v,
                         union of_field_value mask)
{
    m->present |= 1u << f;
    m->masked |= 1u << f;
    m->value[f] = v;
    m->mask[f] = mask;
}

bool of_match_has(const struct of_match *m, enum of_field f)
{
    return (m->present & (1u << f)) != 0;
}

void of_match_set_in_port(struct of_match *m, uint32_t port)
{
    of_match_set(m, OFF_IN_PORT, (union of_field_value){.u32 = port});
}

void of_match_set_eth_type(struct of_match *m, uint16_t eth_type)
{
    of_match_set(m, OFF_ETH_TYPE, (union of_field_value){.u16 = eth_type});
}

void of_match_set_eth_src(struct of_match *m, struct eth_addr a)
{
    of_match_set(m, OFF_ETH_SRC, (union of_field_value){.mac = a});
}

void of_match_set_eth_dst(struct of_match *m, struct eth_addr a)
{
    of_match_set(m, OFF_ETH_DST, (union of_field_value){.mac = a});
}

static void set_u32_maybe_masked(struct of_match *m, enum of_field f, uint32_t v, uint32_t mask)
{
    if (mask == UINT32_MAX) {
        of_match_set(m, f, (union of_field_value){.u32 = v});
    } else {
        of_match_set_masked(m, f, (union of_field_value){.u32 = v & mask},
                            (union of_field_value){.u32 = mask});
    }
}

void of_match_set_ipv4_src(struct of_match *m, uint32_t addr, uint32_t mask)
{
    set_u32_maybe_masked(m, OFF_IPV4_SRC, addr, mask);
}

void of_match_set_ipv4_dst(struct of_match *m, uint32_t addr, uint32_t mask)
{
    set_u32_maybe_masked(m, OFF_IPV4_DST, addr, mask);
}

void of_match_set_metadata(struct of_match *m, uint64_t value, uint64_t mask)
{
    if (mask == UINT64_MAX) {
        of_match_set(m, OFF_METADATA, (union of_field_value){.u64 = value});
    } else {
        of_match_set_masked(m, OFF_METADATA, (union of_field_value){.u64 = value & mask},
                            (union of_field_value){.u64 = mask});
    }
}

/* The eth_type a field needs before it may be matched; 0 if none. ARP
 * fields accept RARP too, as RARP shares the ARP layout. */
static bool prereq_ok(const struct of_match *m, enum of_field f)
{
    bool has_type = of_match_has(m, OFF_ETH_TYPE);
    uint16_t type = m->value[OFF_ETH_TYPE].u16;
    switch (f) {
    case OFF_IP_PROTO:
        return has_type && (type == 0x0800 || type == 0x86dd);
    case OFF_IPV4_SRC:
    case OFF_IPV4_DST:
        return has_type && type == 0x0800;
    case OFF_ARP_OP:
    case OFF_ARP_SPA:
    case OFF_ARP_TPA:
    case OFF_ARP_SHA:
    case OFF_ARP_THA:
        return has_type && (type == 0x0806 || type == 0x8035);
    default:
        return true;
    }
}

/* True if the value has a 1-bit where its mask has a 0: a switch refuses
 * such a match (OFPBMC_BAD_WILDCARDS), so we neither send nor accept one. */
static bool value_outside_mask(enum of_field f, const union of_field_value *v,
                               const union of_field_value *mask)
{
    switch (fields[f].width) {
    case 1:
        return (v->u8 & ~mask->u8) != 0;
    case 2:
        return (v->u16 & ~mask->u16) != 0;
    case 4:
        return (v->u32 & ~mask->u32) != 0;
    case 8:
        return (v->u64 & ~mask->u64) != 0;
    default:
        for (unsigned i = 0; i < 6; i++) {
            if (v->mac.b[i] & ~mask->mac.b[i]) {
                return true;
            }
        }
        return false;
    }
}

ofperr of_match_validate(const struct of_match *m)
{
    if (m->masked & ~m->present) {
        return OFPERR_MATCH_BAD_MASK;
    }
    for (unsigned f = 0; f < OFF_N_FIELDS; f++) {
        if (!of_match_has(m, f)) {
            continue;
        }
        if ((m->masked & (1u << f)) && !fields[f].maskable) {
            return OFPERR_MATCH_BAD_MASK;
        }
        if ((m->masked & (1u << f)) && value_outside_mask(f, &m->value[f], &m->mask[f])) {
            return OFPERR_MATCH_BAD_WILDCARDS;
        }
        if (!prereq_ok(m, f)) {
            return OFPERR_MATCH_BAD_PREREQ;
        }
    }
    return 0;
}

/* Compares the `width` meaningful bytes of two values: the union may hold
 * garbage in the bytes a narrower member leaves untouched. */
static bool value_equal(enum of_field f, const union of_field_value *a,
                        const union of_field_value *b)
{
    switch (fields[f].width) {
    case 1:
        return a->u8 == b->u8;
    case 2:
        return a->u16 == b->u16;
    case 4:
        return a->u32 == b->u32;
    case 8:
        return a->u64 == b->u64;
    default:
        return eth_addr_equal(a->mac, b->mac);
    }
}

bool of_match_equal(const struct of_match *a, const struct of_match *b)
{
    if (a->present != b->present || a->masked != b->masked || a->n_other != b->n_other) {
        return false;
    }
    for (unsigned f = 0; f < OFF_N_FIELDS; f++) {
        if (!of_match_has(a, f)) {
            continue;
        }
        if (!value_equal(f, &a->value[f], &b->value[f])) {
            return false;
        }
        if ((a->masked & (1u << f)) && !value_equal(f, &a->mask[f], &b->mask[f])) {
            return false;
        }
    }
    return true;
}
