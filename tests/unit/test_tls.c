/* test_tls.c - TLS channels (core/tls.c and its use in channel.c): the
 * three files and every way they can be wrong, listen addresses, and the
 * channel core over TLS through a socketpair, with an OpenSSL client in
 * the same thread: a switch with a certificate from our CA gets our HELLO
 * and is answered; one from another CA, one without a certificate, a
 * cleartext client and a silent one are counted and closed. The PKI is
 * made here, with OpenSSL, in a temporary directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <event2/event.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/core_internal.h"
#include "core/tls.h"
#include "util/log.h"

static char dir[64];

/* PATH(name): a file of the test's PKI directory. */
static const char *path_of(const char *name)
{
    static char bufs[8][128];
    static unsigned next;
    char *b = bufs[next++ % 8];
    snprintf(b, sizeof bufs[0], "%s/%s", dir, name);
    return b;
}

static X509 *make_cert(const char *cn, EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key)
{
    static long serial = 1;
    X509 *x = X509_new();
    assert_non_null(x);
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
    X509_gmtime_adj(X509_getm_notBefore(x), -60);
    X509_gmtime_adj(X509_getm_notAfter(x), 3600);
    X509_set_pubkey(x, key);
    X509_NAME *name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
    X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name);
    if (!issuer) { /* a CA */
        X509V3_CTX v3;
        X509V3_set_ctx_nodb(&v3);
        X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
        X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &v3, NID_basic_constraints,
                                                "critical,CA:TRUE");
        assert_non_null(e);
        X509_add_ext(x, e, -1);
        X509_EXTENSION_free(e);
    }
    assert_true(X509_sign(x, issuer_key ? issuer_key : key, EVP_sha256()) > 0);
    return x;
}

static void write_pem(const char *name, EVP_PKEY *key, X509 *cert, const char *pass)
{
    FILE *f = fopen(path_of(name), "w");
    assert_non_null(f);
    if (key) {
        assert_int_equal(PEM_write_PrivateKey(f, key, pass ? EVP_aes_256_cbc() : NULL, NULL, 0,
                                              NULL, (void *)pass),
                         1);
    } else {
        assert_int_equal(PEM_write_X509(f, cert), 1);
    }
    fclose(f);
}

/* ca / rogueca sign controller, switch and rogue. */
static int make_pki(void **state)
{
    signal(SIGPIPE, SIG_IGN); /* as matflowd: a peer gone is an error, not a death */
    log_set_level(LOG_ERROR);
    snprintf(dir, sizeof dir, "/tmp/mf-test-tls.XXXXXX");
    assert_non_null(mkdtemp(dir));
    EVP_PKEY *ca_key = EVP_EC_gen("P-256"), *rca_key = EVP_EC_gen("P-256");
    X509 *ca = make_cert("test ca", ca_key, NULL, NULL);
    X509 *rca = make_cert("rogue ca", rca_key, NULL, NULL);
    write_pem("ca.crt", NULL, ca, NULL);
    static const char *const leaves[] = {"controller", "switch", "rogue"};
    for (unsigned i = 0; i < 3; i++) {
        EVP_PKEY *k = EVP_EC_gen("P-256");
        bool rogue = i == 2;
        X509 *x = make_cert(leaves[i], k, rogue ? rca : ca, rogue ? rca_key : ca_key);
        char name[64];
        snprintf(name, sizeof name, "%s.key", leaves[i]);
        write_pem(name, k, NULL, NULL);
        snprintf(name, sizeof name, "%s.crt", leaves[i]);
        write_pem(name, NULL, x, NULL);
        if (i == 0) {
            write_pem("encrypted.key", k, NULL, "secret");
        }
        X509_free(x);
        EVP_PKEY_free(k);
    }
    X509_free(ca);
    X509_free(rca);
    EVP_PKEY_free(ca_key);
    EVP_PKEY_free(rca_key);
    return 0;
}

static int remove_pki(void **state)
{
    static const char *const files[] = {"ca.crt", "controller.key", "controller.crt",
                                        "switch.key", "switch.crt", "rogue.key", "rogue.crt",
                                        "encrypted.key"};
    for (unsigned i = 0; i < sizeof files / sizeof files[0]; i++) {
        unlink(path_of(files[i]));
    }
    rmdir(dir);
    return 0;
}

static struct tls_files good_files(void)
{
    return (struct tls_files){path_of("controller.key"), path_of("controller.crt"),
                              path_of("ca.crt")};
}

/* Expects tls_ctx_create to fail on f, about file `want`, saying `words`. */
static void expect_refused(struct tls_files f, enum tls_file want, const char *words)
{
    enum tls_file bad = TLS_FILE_NONE;
    char err[512] = "";
    assert_null(tls_ctx_create(&f, &bad, err, sizeof err));
    assert_int_equal(bad, want);
    if (!strstr(err, words)) {
        fail_msg("error '%s' lacks '%s'", err, words);
    }
    assert_int_equal(ERR_peek_error(), 0); /* nothing left for the next user */
}

static void test_files_good(void **state)
{
    struct tls_files f = good_files();
    enum tls_file bad = TLS_FILE_CA;
    char err[256] = "";
    struct tls_ctx *t = tls_ctx_create(&f, &bad, err, sizeof err);
    assert_non_null(t);
    assert_int_equal(bad, TLS_FILE_NONE);
    tls_ctx_free(t);
}

static void test_files_wrong(void **state)
{
    struct tls_files f = good_files();
    f.certificate = path_of("missing.crt");
    expect_refused(f, TLS_FILE_CERT, "No such file or directory");
    f = good_files();
    f.private_key = path_of("missing.key");
    expect_refused(f, TLS_FILE_KEY, "No such file or directory");
    f = good_files();
    f.private_key = path_of("switch.key"); /* another certificate's key */
    expect_refused(f, TLS_FILE_KEY, "does not match certificate");
    f = good_files();
    f.private_key = path_of("encrypted.key");
    expect_refused(f, TLS_FILE_KEY, "is encrypted");
    f = good_files();
    f.private_key = path_of("controller.crt");
    expect_refused(f, TLS_FILE_KEY, "holds no PEM private key");
    f = good_files();
    f.certificate = path_of("controller.key");
    expect_refused(f, TLS_FILE_CERT, "holds no usable PEM certificate");
    f = good_files();
    f.ca_certificate = path_of("controller.key");
    expect_refused(f, TLS_FILE_CA, "holds no usable PEM CA certificate");
    f = good_files();
    f.ca_certificate = dir; /* a directory */
    expect_refused(f, TLS_FILE_CA, "CA certificate");
}

static void test_listen_specs(void **state)
{
    assert_true(core_listen_spec_valid("ssl:6653"));
    assert_true(core_listen_spec_valid("ssl:127.0.0.1:6653"));
    assert_true(core_listen_spec_valid("ssl:[::1]:6653"));
    assert_true(core_listen_spec_tls("ssl:[::1]:6653"));
    assert_false(core_listen_spec_tls("tcp:6653"));
    assert_true(core_listen_spec_valid("tcp:6653"));
    static const char *const bad[] = {"ssl:", "ssl:0", "ssl:65536", "tls:6653", "ssl:x:1",
                                      "ssl::1", "SSL:6653", "ssl:[::1]", "ssl:6653 "};
    for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (core_listen_spec_valid(bad[i]) || core_listen_spec_tls(bad[i])) {
            fail_msg("'%s' accepted", bad[i]);
        }
    }
    /* Without TLS settings an ssl: listener is refused before any bind. */
    struct event_base *base = event_base_new();
    struct core_options o;
    core_options_default(&o);
    struct mf_core *core = core_create(base, &o);
    char err[256] = "";
    assert_int_equal(core_listen(core, "ssl:127.0.0.1:1", err, sizeof err), -1);
    assert_non_null(strstr(err, "needs TLS settings"));
    struct tls_files f = good_files();
    assert_int_equal(core_set_tls(core, &f, err, sizeof err), 0);
    assert_int_equal(core_set_tls(core, &f, err, sizeof err), -1); /* once */
    core_destroy(core);
    event_base_free(base);
}

/* ---- the channel over TLS ------------------------------------------------ */

struct conn {
    struct event_base *base;
    struct mf_core *core;
    int fd; /* the switch's end */
    SSL_CTX *cctx;
    SSL *ssl;
};

static void pump(struct conn *c, int ms)
{
    uint64_t end = time_msec() + (uint64_t)ms;
    do {
        event_base_loop(c->base, EVLOOP_NONBLOCK);
        usleep(1000);
    } while (time_msec() < end);
}

static void conn_open(struct conn *c, double handshake_timeout_s)
{
    memset(c, 0, sizeof *c);
    c->base = event_base_new();
    struct core_options o;
    core_options_default(&o);
    o.handshake_timeout_s = handshake_timeout_s;
    c->core = core_create(c->base, &o);
    struct tls_files f = good_files();
    char err[256];
    assert_int_equal(core_set_tls(c->core, &f, err, sizeof err), 0);
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    evutil_make_socket_nonblocking(sv[0]);
    evutil_make_socket_nonblocking(sv[1]);
    c->fd = sv[1];
    channel_accept_tls(c->core, sv[0], "test:1");
}

static void conn_close(struct conn *c)
{
    SSL_free(c->ssl);
    SSL_CTX_free(c->cctx);
    close(c->fd);
    core_destroy(c->core);
    event_base_free(c->base);
}

/* A TLS client on c->fd with certificate NAME (or none); true if its
 * handshake completes (in TLS 1.3 before the server has judged it). */
static bool client_handshake(struct conn *c, const char *name)
{
    c->cctx = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_verify(c->cctx, SSL_VERIFY_PEER, NULL);
    assert_int_equal(SSL_CTX_load_verify_locations(c->cctx, path_of("ca.crt"), NULL), 1);
    if (name) {
        char crt[64], key[64];
        snprintf(crt, sizeof crt, "%s.crt", name);
        snprintf(key, sizeof key, "%s.key", name);
        assert_int_equal(SSL_CTX_use_certificate_file(c->cctx, path_of(crt), SSL_FILETYPE_PEM), 1);
        assert_int_equal(SSL_CTX_use_PrivateKey_file(c->cctx, path_of(key), SSL_FILETYPE_PEM), 1);
    }
    c->ssl = SSL_new(c->cctx);
    SSL_set_fd(c->ssl, c->fd);
    uint64_t end = time_msec() + 2000;
    while (time_msec() < end) {
        int r = SSL_connect(c->ssl);
        if (r == 1) {
            return true;
        }
        int e = SSL_get_error(c->ssl, r);
        if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
            break;
        }
        pump(c, 1);
    }
    ERR_clear_error();
    return false;
}

/* Reads one OpenFlow message through TLS into buf; its length, or 0. */
static size_t client_read_msg(struct conn *c, uint8_t *buf, size_t size)
{
    size_t have = 0;
    uint64_t end = time_msec() + 2000;
    while (time_msec() < end) {
        if (have >= 8) {
            size_t len = (size_t)buf[2] << 8 | buf[3];
            if (len >= 8 && len <= size && have >= len) {
                return len;
            }
        }
        int r = SSL_read(c->ssl, buf + have, (int)(size - have));
        if (r > 0) {
            have += (size_t)r;
            continue;
        }
        int e = SSL_get_error(c->ssl, r);
        if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
            break;
        }
        pump(c, 1);
    }
    ERR_clear_error();
    return 0;
}

static uint64_t rejected(struct conn *c, enum core_reject r)
{
    return core_get_stats(c->core)->rejected[r];
}

static void test_switch_with_our_ca(void **state)
{
    struct conn c;
    conn_open(&c, 5);
    assert_true(client_handshake(&c, "switch"));
    uint8_t msg[256];
    size_t len = client_read_msg(&c, msg, sizeof msg);
    assert_true(len >= 8);
    assert_int_equal(msg[0], OF_VERSION_1_3); /* our HELLO, sent before the handshake */
    assert_int_equal(msg[1], 0);
    static const uint8_t hello[] = {4, 0, 0, 8, 0, 0, 0, 1};
    assert_int_equal(SSL_write(c.ssl, hello, sizeof hello), (int)sizeof hello);
    len = client_read_msg(&c, msg, sizeof msg);
    assert_int_equal(len, 8);
    assert_int_equal(msg[1], 5); /* FEATURES_REQUEST: the channel runs as over TCP */
    struct mf_switch *sw = TAILQ_FIRST(&c.core->all);
    assert_non_null(sw);
    assert_true(sw->tls && sw->tls_up);
    assert_int_equal(rejected(&c, CORE_REJECT_TLS_HANDSHAKE), 0);
    conn_close(&c);
}

/* The client offers `name`'s certificate (or none): refused and counted. */
static void expect_tls_refusal(const char *name)
{
    struct conn c;
    conn_open(&c, 5);
    client_handshake(&c, name); /* TLS 1.3: may complete on the client's side */
    pump(&c, 50);
    uint8_t msg[64];
    assert_int_equal(client_read_msg(&c, msg, sizeof msg), 0);
    assert_int_equal(rejected(&c, CORE_REJECT_TLS_HANDSHAKE), 1);
    assert_int_equal(core_n_switches(c.core, false), 0);
    assert_int_equal(core_get_stats(c.core)->messages_in, 0);
    conn_close(&c);
}

static void test_switch_with_rogue_ca(void **state)
{
    expect_tls_refusal("rogue");
}

static void test_switch_without_certificate(void **state)
{
    expect_tls_refusal(NULL);
}

static void test_cleartext_client(void **state)
{
    struct conn c;
    conn_open(&c, 5);
    static const uint8_t hello[] = {4, 0, 0, 8, 0, 0, 0, 1};
    assert_int_equal(write(c.fd, hello, sizeof hello), (ssize_t)sizeof hello);
    pump(&c, 50);
    assert_int_equal(rejected(&c, CORE_REJECT_TLS_HANDSHAKE), 1);
    assert_int_equal(core_n_switches(c.core, false), 0);
    /* What came back, if anything, is a TLS alert, never our cleartext HELLO. */
    uint8_t back[64];
    ssize_t n = read(c.fd, back, sizeof back);
    if (n > 0) {
        assert_int_equal(back[0], 21); /* TLS record type: alert */
    }
    conn_close(&c);
}

static void test_silent_client(void **state)
{
    struct conn c;
    conn_open(&c, 0.1);
    pump(&c, 250);
    assert_int_equal(rejected(&c, CORE_REJECT_HANDSHAKE_TIMEOUT), 1);
    assert_int_equal(rejected(&c, CORE_REJECT_TLS_HANDSHAKE), 0);
    assert_int_equal(core_n_switches(c.core, false), 0);
    conn_close(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_files_good),
        cmocka_unit_test(test_files_wrong),
        cmocka_unit_test(test_listen_specs),
        cmocka_unit_test(test_switch_with_our_ca),
        cmocka_unit_test(test_switch_with_rogue_ca),
        cmocka_unit_test(test_switch_without_certificate),
        cmocka_unit_test(test_cleartext_client),
        cmocka_unit_test(test_silent_client),
    };
    return cmocka_run_group_tests(tests, make_pki, remove_pki);
}
