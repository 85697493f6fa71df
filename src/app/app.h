/* app.h - the hooks through which the core calls an application.
 *
 * An application (the mobility app, a learning switch, ...) is a struct of
 * function pointers and a private pointer. The core calls the hooks of every
 * added application, in order, for ready switches only. Hooks must not block;
 * they act through core.h (sw_send, batches). Any hook may be NULL. */
#ifndef MATFLOW_APP_H
#define MATFLOW_APP_H

#include "core/core.h"

struct mf_app {
    const char *name;
    void *priv;
    /* The switch finished its handshake; its ports are known. */
    void (*switch_up)(struct mf_app *app, struct mf_switch *sw);
    /* A ready switch disconnected (or was replaced by a newer connection). */
    void (*switch_down)(struct mf_app *app, struct mf_switch *sw);
    /* A Packet-In whose frame the packet layer accepted. */
    void (*packet_in)(struct mf_app *app, struct mf_switch *sw, const struct of_packet_in *pi,
                      const struct pkt_info *pkt);
    void (*port_status)(struct mf_app *app, struct mf_switch *sw, const struct of_port_status *ps);
    void (*flow_removed)(struct mf_app *app, struct mf_switch *sw,
                         const struct of_flow_removed *fr);
    /* A message the core does not handle itself (multipart replies to the
     * app's own requests, errors outside batches, experimenter). */
    void (*message)(struct mf_app *app, struct mf_switch *sw, const struct of_msg *msg);
};

#endif
