/* obuf.h - growable output buffer and bounds-checked input cursor.
 *
 * The codec writes messages into an obuf and reads them through an rbuf.
 * Neither knows OpenFlow. obuf grows with realloc and aborts on exhaustion
 * (a daemon that cannot allocate 64 KiB has no better move). rbuf never
 * reads outside [p, p + len): every pull returns NULL when too little is
 * left, and the caller turns that into a protocol error. */
#ifndef MATFLOW_OBUF_H
#define MATFLOW_OBUF_H

#include <stddef.h>
#include <stdint.h>

struct obuf {
    uint8_t *data;
    size_t len;
    size_t cap;
};

#define OBUF_INITIALIZER {NULL, 0, 0}

void obuf_init(struct obuf *b);
void obuf_free(struct obuf *b);
void obuf_clear(struct obuf *b);
/* Appends n bytes and returns them for the caller to fill; valid until the
 * next append (which may move the data). */
void *obuf_put_uninit(struct obuf *b, size_t n);
void *obuf_put_zeros(struct obuf *b, size_t n);
void obuf_put(struct obuf *b, const void *p, size_t n);
void obuf_put_u8(struct obuf *b, uint8_t v);
void obuf_put_be16(struct obuf *b, uint16_t v);
void obuf_put_be32(struct obuf *b, uint32_t v);
void obuf_put_be64(struct obuf *b, uint64_t v);
/* Appends zeros until (len - start) is a multiple of 8. */
void obuf_pad8_from(struct obuf *b, size_t start);
/* Writes a big-endian value at an offset already in the buffer. */
void obuf_set_be16(struct obuf *b, size_t off, uint16_t v);

struct rbuf {
    const uint8_t *p;
    size_t len;
};

static inline struct rbuf rbuf_make(const void *p, size_t len)
{
    struct rbuf r = {(const uint8_t *)p, len};
    return r;
}

/* Takes n bytes off the front; NULL (and nothing taken) if fewer remain. */
const void *rbuf_pull(struct rbuf *r, size_t n);
/* The first n bytes without taking them; NULL if fewer remain. */
const void *rbuf_peek(const struct rbuf *r, size_t n);

#endif
