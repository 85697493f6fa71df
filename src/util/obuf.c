/* obuf.c - growable output buffer and bounds-checked input cursor. */
#include "util/obuf.h"

#include <endian.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void obuf_init(struct obuf *b)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

void obuf_free(struct obuf *b)
{
    free(b->data);
    obuf_init(b);
}

void obuf_clear(struct obuf *b)
{
    b->len = 0;
}

void *obuf_put_uninit(struct obuf *b, size_t n)
{
    if (n > b->cap - b->len) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap - b->len < n) {
            cap *= 2;
        }
        uint8_t *d = realloc(b->data, cap);
        if (!d) {
            fprintf(stderr, "obuf: out of memory (%zu bytes)\n", cap);
            abort();
        }
        b->data = d;
        b->cap = cap;
    }
    void *p = b->data + b->len;
    b->len += n;
    return p;
}

void *obuf_put_zeros(struct obuf *b, size_t n)
{
    void *p = obuf_put_uninit(b, n);
    memset(p, 0, n);
    return p;
}

void obuf_put(struct obuf *b, const void *p, size_t n)
{
    if (n) {
        memcpy(obuf_put_uninit(b, n), p, n);
    }
}

void obuf_put_u8(struct obuf *b, uint8_t v)
{
    obuf_put(b, &v, 1);
}

void obuf_put_be16(struct obuf *b, uint16_t v)
{
    v = htobe16(v);
    obuf_put(b, &v, 2);
}

void obuf_put_be32(struct obuf *b, uint32_t v)
{
    v = htobe32(v);
    obuf_put(b, &v, 4);
}

void obuf_put_be64(struct obuf *b, uint64_t v)
{
    v = htobe64(v);
    obuf_put(b, &v, 8);
}

void obuf_pad8_from(struct obuf *b, size_t start)
{
    size_t used = (b->len - start) % 8;
    if (used) {
        obuf_put_zeros(b, 8 - used);
    }
}

void obuf_set_be16(struct obuf *b, size_t off, uint16_t v)
{
    v = htobe16(v);
    memcpy(b->data + off, &v, 2);
}

const void *rbuf_pull(struct rbuf *r, size_t n)
{
    if (n > r->len) {
        return NULL;
    }
    const void *p = r->p;
    r->p += n;
    r->len -= n;
    return p;
}

const void *rbuf_peek(const struct rbuf *r, size_t n)
{
    return n <= r->len ? r->p : NULL;
}
