/* mob_flows10.h - the mobility rules for OpenFlow 1.0 switches: one table,
 * no metadata, no goto, no set_field on ARP fields, NORMAL forwarding.
 *
 * The 1.3 pipeline (mob_flows.h) flattened. A packet gets at most one
 * rule, so the priority order decides which of a source and a destination
 * rewrite wins where 1.3 would apply both:
 *
 *   40000  RARP -> controller + NORMAL                              base
 *   35000  ARP requests the controller answers: the MoA (any asker) at
 *          the node's site; the HoA at its home; the node asking for an
 *          address of its home prefix (its home gateway included)
 *   32000  source MoA -> HoA, NORMAL (every switch)            receiving
 *   31000  home site hairpin for legacy correspondents           sending
 *   30000  ARP -> controller + NORMAL                               base
 *   30000  destination: MoA -> HoA delivery at the node's site; HoA
 *          delivered locally at its site; HoA -> MoA elsewhere
 *   29500  the node's own packets to a site prefix: source HoA -> MoA
 *          (one rule per site prefix: no "behind an OFS" metadata)
 *   29000  the node's own packets to anywhere else: source kept
 *   26000  a node home again: frames for a foreign gateway's MAC go to
 *          the home gateway (hard timeout)                        return
 *       0  NORMAL                                                   base
 *
 * Destination rules beat the moved sender's source rewrite: a packet from
 * one moved node to another keeps the sender's HoA as its source (as on
 * the path to a legacy correspondent) and is delivered by the destination
 * rules alone. No switch then sees a packet that needs both rewrites at
 * once, so no rule for a pair of bindings is needed (such a rule would
 * belong to two bindings and two epochs, which cookies cannot say). The
 * source MoA -> HoA rule beats every destination rule: a packet that still
 * carries a MoA source towards a moved node (only while an update is half
 * out) is then lost, never delivered with a MoA. docs/MOBILITY.md,
 * "OpenFlow 1.0", lists what this costs.
 *
 * Rules per switch: 3 base rules + O(bindings away), plus O(sites) for each
 * node at this switch's site. */
#ifndef MATFLOW_MOB_FLOWS10_H
#define MATFLOW_MOB_FLOWS10_H

#include "app/mobility/mob_flows.h"

void mob_flows10_base(const struct mob_topology *t, unsigned s, mob_emit_fn *emit, void *arg);
void mob_flows10_receiving(const struct mob_topology *t, unsigned s,
                           const struct mob_placement *p, mob_emit_fn *emit, void *arg);
void mob_flows10_sending(const struct mob_topology *t, unsigned s,
                         const struct mob_placement *p, mob_emit_fn *emit, void *arg);
void mob_flows10_return_home(const struct mob_topology *t, unsigned s,
                             const struct mob_placement *p, mob_emit_fn *emit, void *arg);

#endif
