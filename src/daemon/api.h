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
struct api_client;

/* Binds the socket at path (creating its directory, replacing a stale
 * socket, refusing if another daemon answers there). NULL on error, with
 * the reason on stderr. */
struct api_server *api_start(struct event_base *base, struct mf_core *core, struct mob_app *mob,
                             const char *path);
/* Closes every client still connected (their answers are lost; a ping
 * still waiting for its barrier reply then answers nobody when the core
 * fails its batch), closes and unlinks the socket, frees api. */
void api_stop(struct api_server *api);

/* Answers one request line (without its newline; modified in place) as
 * the socket does: a JSON document the caller owns, always, except for a
 * `ping DPID` to a ready switch from a client, which returns NULL and
 * answers `client` when the barrier reply comes. With client NULL (the
 * fuzz target, tests/fuzz/fuzz_api.c) such a ping is refused. */
json_t *api_answer(struct api_server *api, struct api_client *client, char *line);

/* The JSON answers (api_json.c); the caller owns the result. */
json_t *api_json_switches(struct mf_core *core);
json_t *api_json_stats(struct mf_core *core, struct mob_app *mob);

#endif
