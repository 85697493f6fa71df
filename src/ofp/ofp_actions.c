/* ofp_actions.c - version-independent actions, instructions and flow-mod
 * helpers: building lists and comparing them. */
#include "ofp/ofp_msg.h"

#include <string.h>

static struct of_action *append(struct of_action_list *l, enum of_action_type type)
{
    if (l->n >= OF_MAX_ACTIONS) {
        return NULL;
    }
    struct of_action *a = &l->a[l->n++];
    memset(a, 0, sizeof *a);
    a->type = type;
    return a;
}

bool of_actions_output(struct of_action_list *l, uint32_t port, uint16_t max_len)
{
    struct of_action *a = append(l, OFAT_OUTPUT);
    if (a) {
        a->u.output.port = port;
        a->u.output.max_len = max_len;
    }
    return a != NULL;
}

bool of_actions_set_field(struct of_action_list *l, enum of_field f, union of_field_value v)
{
    struct of_action *a = append(l, OFAT_SET_FIELD);
    if (a) {
        a->u.set_field.field = f;
        a->u.set_field.value = v;
    }
    return a != NULL;
}

bool of_actions_push_vlan(struct of_action_list *l, uint16_t ethertype)
{
    struct of_action *a = append(l, OFAT_PUSH_VLAN);
    if (a) {
        a->u.push_vlan_ethertype = ethertype;
    }
    return a != NULL;
}

bool of_actions_pop_vlan(struct of_action_list *l)
{
    return append(l, OFAT_POP_VLAN) != NULL;
}

static bool action_equal(const struct of_action *x, const struct of_action *y)
{
    if (x->type != y->type) {
        return false;
    }
    switch (x->type) {
    case OFAT_OUTPUT:
        return x->u.output.port == y->u.output.port &&
               (x->u.output.port != OFPP_CONTROLLER ||
                x->u.output.max_len == y->u.output.max_len);
    case OFAT_SET_FIELD: {
        if (x->u.set_field.field != y->u.set_field.field) {
            return false;
        }
        struct of_match mx, my;
        of_match_init(&mx);
        of_match_init(&my);
        of_match_set(&mx, x->u.set_field.field, x->u.set_field.value);
        of_match_set(&my, y->u.set_field.field, y->u.set_field.value);
        return of_match_equal(&mx, &my);
    }
    case OFAT_PUSH_VLAN:
        return x->u.push_vlan_ethertype == y->u.push_vlan_ethertype;
    case OFAT_GROUP:
        return x->u.group_id == y->u.group_id;
    case OFAT_POP_VLAN:
    case OFAT_DEC_NW_TTL:
        return true;
    }
    return false;
}

bool of_actions_equal(const struct of_action_list *a, const struct of_action_list *b)
{
    if (a->n != b->n || a->n_other != b->n_other) {
        return false;
    }
    for (unsigned i = 0; i < a->n; i++) {
        if (!action_equal(&a->a[i], &b->a[i])) {
            return false;
        }
    }
    return true;
}

bool of_instructions_equal(const struct of_instructions *a, const struct of_instructions *b)
{
    if (a->present != b->present) {
        return false;
    }
    if ((a->present & OFIB_GOTO_TABLE) && a->goto_table != b->goto_table) {
        return false;
    }
    if ((a->present & OFIB_WRITE_METADATA) &&
        (a->metadata != b->metadata || a->metadata_mask != b->metadata_mask)) {
        return false;
    }
    if ((a->present & OFIB_APPLY_ACTIONS) && !of_actions_equal(&a->apply, &b->apply)) {
        return false;
    }
    if ((a->present & OFIB_WRITE_ACTIONS) && !of_actions_equal(&a->write, &b->write)) {
        return false;
    }
    return true;
}

void of_flow_mod_init(struct of_flow_mod *fm, uint8_t command)
{
    memset(fm, 0, sizeof *fm);
    fm->command = command;
    fm->buffer_id = OFP_NO_BUFFER;
    fm->out_port = OFPP_ANY;
    fm->out_group = OFPG_ANY;
    of_match_init(&fm->match);
}

const char *of_msg_kind_name(enum of_msg_kind kind)
{
    static const char *const names[] = {
#define OF_KIND_NAME(name, str) str,
        OF_MSG_KINDS(OF_KIND_NAME)
#undef OF_KIND_NAME
    };
    return (unsigned)kind < OF_N_KINDS ? names[kind] : "UNKNOWN";
}
