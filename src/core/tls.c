/* tls.c - the server side of TLS OpenFlow channels: one SSL_CTX built from
 * three PEM files, one SSL per accepted connection inside a libevent
 * bufferevent, and the words that explain a failed handshake. */
#include "core/tls.h"

#include <errno.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/util.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

struct tls_ctx {
    SSL_CTX *ssl;
};

/* Appends to buf[len] (NUL-terminated, holding *used bytes), truncating. */
static void append(char *buf, size_t len, size_t *used, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void append(char *buf, size_t len, size_t *used, const char *fmt, ...)
{
    if (*used + 1 >= len) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf + *used, len - *used, fmt, ap);
    va_end(ap);
    if (n > 0) {
        *used += (size_t)n < len - *used ? (size_t)n : len - *used - 1;
    }
}

/* The first reason OpenSSL queued (the most specific one: later entries
 * are the callers' "PEM lib" and the like); empties the queue. */
static const char *first_openssl_reason(void)
{
    unsigned long e = ERR_peek_error();
    const char *r = e ? ERR_reason_error_string(e) : NULL;
    ERR_clear_error();
    return r ? r : "no reason given";
}

/* Fails a passphrase prompt: matflowd starts unattended, and OpenSSL's
 * default would block on the terminal. Notes that a passphrase was asked. */
static int no_passphrase(char *buf, int size, int rwflag, void *asked)
{
    *(bool *)asked = true;
    return -1;
}

/* Checks that path opens, so that a missing file is named as such rather
 * than by OpenSSL's generic "system lib". */
static bool opens(const char *path, char *err, size_t errlen)
{
    FILE *fp = fopen(path, "r");
    if (!fp) {
        snprintf(err, errlen, "cannot open '%s': %s", path, strerror(errno));
        return false;
    }
    fclose(fp);
    return true;
}

static EVP_PKEY *load_key(const char *path, char *err, size_t errlen)
{
    FILE *fp = fopen(path, "r");
    if (!fp) {
        snprintf(err, errlen, "cannot open '%s': %s", path, strerror(errno));
        return NULL;
    }
    bool asked = false;
    EVP_PKEY *key = PEM_read_PrivateKey(fp, NULL, no_passphrase, &asked);
    fclose(fp);
    if (!key && asked) {
        ERR_clear_error();
        snprintf(err, errlen, "'%s' is encrypted: matflowd needs a key without a passphrase",
                 path);
    } else if (!key) {
        snprintf(err, errlen, "'%s' holds no PEM private key (%s)", path,
                 first_openssl_reason());
    }
    return key;
}

/* The certificate (a chain may follow it) and the key that must match it. */
static enum tls_file use_identity(SSL_CTX *ctx, const struct tls_files *f, char *err,
                                  size_t errlen)
{
    if (!opens(f->certificate, err, errlen)) {
        return TLS_FILE_CERT;
    }
    if (SSL_CTX_use_certificate_chain_file(ctx, f->certificate) != 1) {
        snprintf(err, errlen, "'%s' holds no usable PEM certificate (%s)", f->certificate,
                 first_openssl_reason());
        return TLS_FILE_CERT;
    }
    EVP_PKEY *key = load_key(f->private_key, err, errlen);
    if (!key) {
        return TLS_FILE_KEY;
    }
    enum tls_file bad = TLS_FILE_NONE;
    if (X509_check_private_key(SSL_CTX_get0_certificate(ctx), key) != 1) {
        ERR_clear_error();
        snprintf(err, errlen, "private key '%s' does not match certificate '%s'",
                 f->private_key, f->certificate);
        bad = TLS_FILE_KEY;
    } else if (SSL_CTX_use_PrivateKey(ctx, key) != 1) {
        snprintf(err, errlen, "private key '%s' refused (%s)", f->private_key,
                 first_openssl_reason());
        bad = TLS_FILE_KEY;
    }
    EVP_PKEY_free(key); /* the context holds its own reference */
    return bad;
}

/* The CAs a switch certificate must chain to; their names also go in the
 * CertificateRequest, so that a switch with several certificates picks
 * the right one. */
static enum tls_file use_ca(SSL_CTX *ctx, const char *path, char *err, size_t errlen)
{
    if (!opens(path, err, errlen)) {
        return TLS_FILE_CA;
    }
    STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(path);
    if (!names || SSL_CTX_load_verify_locations(ctx, path, NULL) != 1) {
        snprintf(err, errlen, "'%s' holds no usable PEM CA certificate (%s)", path,
                 first_openssl_reason());
        sk_X509_NAME_pop_free(names, X509_NAME_free);
        return TLS_FILE_CA;
    }
    SSL_CTX_set_client_CA_list(ctx, names); /* takes names */
    return TLS_FILE_NONE;
}

struct tls_ctx *tls_ctx_create(const struct tls_files *f, enum tls_file *bad, char *err,
                               size_t errlen)
{
    enum tls_file which = TLS_FILE_NONE;
    struct tls_ctx *t = calloc(1, sizeof *t);
    SSL_CTX *ctx = t ? SSL_CTX_new(TLS_server_method()) : NULL;
    if (!ctx) {
        snprintf(err, errlen, "cannot make a TLS context (out of memory)");
        free(t);
        ERR_clear_error();
        if (bad) {
            *bad = TLS_FILE_NONE;
        }
        return NULL;
    }
    /* TLS 1.2 and later only; no renegotiation (a peer could make us redo
     * the expensive part at will); no session resumption, so that every
     * connection shows and has checked a certificate. */
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_TICKET |
                                 SSL_OP_CIPHER_SERVER_PREFERENCE);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_num_tickets(ctx, 0);
    /* Idle switches are the common case: give their buffers back. */
    SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
    which = use_identity(ctx, f, err, errlen);
    if (which == TLS_FILE_NONE) {
        which = use_ca(ctx, f->ca_certificate, err, errlen);
    }
    if (bad) {
        *bad = which;
    }
    if (which != TLS_FILE_NONE) {
        SSL_CTX_free(ctx);
        free(t);
        return NULL;
    }
    t->ssl = ctx;
    return t;
}

void tls_ctx_free(struct tls_ctx *t)
{
    if (t) {
        SSL_CTX_free(t->ssl); /* live connections hold their own reference */
        free(t);
    }
}

struct bufferevent *tls_accept(struct tls_ctx *t, struct event_base *base, int fd)
{
    SSL *ssl = SSL_new(t->ssl);
    if (!ssl) {
        ERR_clear_error();
        evutil_closesocket(fd);
        return NULL;
    }
    /* With CLOSE_ON_FREE the bufferevent frees ssl and closes fd. On
     * failure libevent 2.1 has freed ssl already, but not closed fd. */
    struct bufferevent *bev = bufferevent_openssl_socket_new(base, fd, ssl,
                                                             BUFFEREVENT_SSL_ACCEPTING,
                                                             BEV_OPT_CLOSE_ON_FREE);
    if (!bev) {
        evutil_closesocket(fd);
        return NULL;
    }
    /* OpenFlow frames carry their own lengths, so a truncation attack
     * cannot shorten a message into another: a peer that drops the TCP
     * connection without close_notify simply closed it. */
    bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
    return bev;
}

static X509 *peer_certificate(SSL *ssl)
{
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
    return SSL_get0_peer_certificate(ssl);
#else
    X509 *x = SSL_get_peer_certificate(ssl);
    X509_free(x); /* the session keeps its own reference */
    return x;
#endif
}

void tls_describe(struct bufferevent *bev, char *buf, size_t len)
{
    SSL *ssl = bufferevent_openssl_get_ssl(bev);
    size_t used = 0;
    buf[0] = '\0';
    if (!ssl) {
        return;
    }
    append(buf, len, &used, "%s %s", SSL_get_version(ssl), SSL_get_cipher_name(ssl));
    X509 *peer = peer_certificate(ssl);
    char cn[128];
    if (peer && X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, cn,
                                          sizeof cn) > 0) {
        append(buf, len, &used, ", peer CN=%s", cn);
    }
}

void tls_failure_reason(struct bufferevent *bev, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    /* libevent keeps the last few of OpenSSL's errors; they come out
     * newest first. */
    unsigned long e;
    while ((e = bufferevent_get_openssl_error(bev)) != 0) {
        const char *r = ERR_reason_error_string(e);
        if (r) {
            append(buf, len, &used, "%s%s", used ? "; " : "", r);
        }
    }
    SSL *ssl = bufferevent_openssl_get_ssl(bev);
    long v = ssl ? SSL_get_verify_result(ssl) : X509_V_OK;
    if (v != X509_V_OK) {
        append(buf, len, &used, "%scertificate: %s", used ? "; " : "",
               X509_verify_cert_error_string(v));
    }
    if (used == 0) {
        append(buf, len, &used, "the peer closed the connection or the socket failed");
    }
    ERR_clear_error();
}

void tls_discard_input(struct bufferevent *bev)
{
    evutil_socket_t fd = bufferevent_getfd(bev);
    char sink[4096];
    /* Bounded: a peer that keeps sending gets its reset after 64 KiB. */
    for (int i = 0; fd >= 0 && i < 16; i++) {
        if (recv(fd, sink, sizeof sink, MSG_DONTWAIT) <= 0) {
            break;
        }
    }
}

void tls_close_notify(struct bufferevent *bev)
{
    SSL *ssl = bufferevent_openssl_get_ssl(bev);
    if (ssl && SSL_is_init_finished(ssl)) {
        SSL_shutdown(ssl); /* 0 (sent), or -1 if the socket is full: no retry */
        ERR_clear_error();
    }
}
