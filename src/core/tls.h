/* tls.h - TLS for the OpenFlow channel (`ssl:` listeners): OpenSSL through
 * libevent's bufferevent_openssl.
 *
 * Only the transport changes: tls_accept() hands channel.c a bufferevent,
 * and framing, the output bound, echoes, timeouts and the reaper work on it
 * exactly as on a TCP one. Authentication is mutual: matflowd shows its
 * certificate, and a switch must show one that the configured CA signed
 * (TLS 1.2 or later), or the handshake fails and the connection is closed.
 * This file knows nothing of switches; channel.c counts and logs. */
#ifndef MATFLOW_TLS_H
#define MATFLOW_TLS_H

#include <stddef.h>

struct bufferevent;
struct event_base;
struct tls_ctx;

/* The three PEM files; paths as given (the caller checks their form). */
struct tls_files {
    const char *private_key;    /* matflowd's key, unencrypted */
    const char *certificate;    /* matflowd's certificate (a chain may follow) */
    const char *ca_certificate; /* the CA(s) that sign switch certificates */
};

/* Which file a tls_ctx_create() failure is about. */
enum tls_file {
    TLS_FILE_NONE, /* none in particular (out of memory) */
    TLS_FILE_KEY,
    TLS_FILE_CERT,
    TLS_FILE_CA,
};

/* Loads the three files into a server context: the key must be readable
 * without a passphrase and match the certificate; the CA file must hold at
 * least one certificate. On failure returns NULL, sets *bad (if not NULL)
 * and writes the reason (OpenSSL's, or the system's) into err[errlen]. */
struct tls_ctx *tls_ctx_create(const struct tls_files *f, enum tls_file *bad, char *err,
                               size_t errlen);
void tls_ctx_free(struct tls_ctx *t);

/* A server-side TLS bufferevent on the accepted socket fd, handshake
 * pending: it reports BEV_EVENT_CONNECTED once the handshake is done, and
 * BEV_EVENT_ERROR or BEV_EVENT_EOF if it fails. Owns fd (and closes it on
 * free); on failure returns NULL and fd is closed. */
struct bufferevent *tls_accept(struct tls_ctx *t, struct event_base *base, int fd);

/* After BEV_EVENT_CONNECTED: "TLSv1.3 TLS_AES_256_GCM_SHA384, peer CN=..."
 * into buf[len]. */
void tls_describe(struct bufferevent *bev, char *buf, size_t len);

/* After a failed handshake: OpenSSL's reasons, the certificate check's
 * result if that failed, or "closed by the peer" into buf[len]. Call once,
 * from the event callback: it consumes the errors the bufferevent kept. */
void tls_failure_reason(struct bufferevent *bev, char *buf, size_t len);

/* After a failed handshake: reads and drops what the peer has already
 * sent (at most a few records' worth), so that closing the socket sends a
 * FIN after OpenSSL's alert rather than a reset that may destroy it: the
 * switch's log then says why (e.g. "unknown ca"). */
void tls_discard_input(struct bufferevent *bev);

/* Before freeing a connection whose handshake completed: one try at
 * sending close_notify (libevent does not), so that the switch sees an
 * orderly close rather than an "unexpected eof". Never blocks. */
void tls_close_notify(struct bufferevent *bev);

#endif
