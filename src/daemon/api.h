/* api.h - matflowd's control socket: a unix stream socket on which a client
 * writes one command line ("switches", "stats") and reads one JSON document
 * back; the daemon then closes the connection. matflowctl is its client. */
#ifndef MATFLOW_API_H
#define MATFLOW_API_H

#include <jansson.h>

struct event_base;
struct mf_core;
struct mob_app;
struct api_server;

/* Binds the socket at path (creating its directory, replacing a stale
 * socket, refusing if another daemon answers there). NULL on error, with
 * the reason on stderr. */
struct api_server *api_start(struct event_base *base, struct mf_core *core, struct mob_app *mob,
                             const char *path);
/* Closes and unlinks the socket. */
void api_stop(struct api_server *api);

/* The JSON answers (api_json.c); the caller owns the result. */
json_t *api_json_switches(struct mf_core *core);
json_t *api_json_stats(struct mf_core *core, struct mob_app *mob);

#endif
