/* decode_reader.h — bounds-checked reads of wire bytes (STYLE.md rule 3).
 *
 * A vg_rd_t is a borrowed view (pointer, length) of the captured bytes of one layer. Decoders
 * first test vg_rd_has(r, n) to decide whether a header is complete (that decision is what raises
 * anomaly events), then read fields with the accessors below. The accessors check bounds
 * themselves and return 0 for bytes outside the view, so a decoder bug can give a wrong value but
 * never an out-of-bounds read. All multi-byte reads are big-endian (network order) unless named
 * _le, and are alignment-safe.
 */
#ifndef VG_DECODE_DECODE_READER_H
#define VG_DECODE_DECODE_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct vg_rd {
    const uint8_t *p;
    size_t len;
} vg_rd_t;

static inline vg_rd_t vg_rd_make(const uint8_t *p, size_t len)
{
    vg_rd_t r = {p, p ? len : 0};
    return r;
}

static inline bool vg_rd_has(const vg_rd_t *r, size_t n) { return n <= r->len; }

static inline uint8_t vg_rd_u8(const vg_rd_t *r, size_t off)
{
    return off < r->len ? r->p[off] : 0;
}

static inline uint16_t vg_rd_be16(const vg_rd_t *r, size_t off)
{
    if (off > r->len || r->len - off < 2)
        return 0;
    return (uint16_t)(r->p[off] << 8 | r->p[off + 1]);
}

static inline uint32_t vg_rd_be32(const vg_rd_t *r, size_t off)
{
    if (off > r->len || r->len - off < 4)
        return 0;
    const uint8_t *b = r->p + off;
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static inline uint32_t vg_rd_le32(const vg_rd_t *r, size_t off)
{
    if (off > r->len || r->len - off < 4)
        return 0;
    const uint8_t *b = r->p + off;
    return (uint32_t)b[3] << 24 | (uint32_t)b[2] << 16 | (uint32_t)b[1] << 8 | b[0];
}

/* The view from off to the end (empty when off is past the end). */
static inline vg_rd_t vg_rd_from(const vg_rd_t *r, size_t off)
{
    if (off >= r->len) {
        vg_rd_t e = {r->p ? r->p + r->len : NULL, 0};
        return e;
    }
    vg_rd_t s = {r->p + off, r->len - off};
    return s;
}

/* The first n bytes of the view (all of it when n is larger). */
static inline vg_rd_t vg_rd_head(const vg_rd_t *r, size_t n)
{
    vg_rd_t s = {r->p, n < r->len ? n : r->len};
    return s;
}

/* Copies n bytes at off into out; false (and nothing copied) when they are not all there. */
static inline bool vg_rd_copy(const vg_rd_t *r, size_t off, void *out, size_t n)
{
    if (off > r->len || r->len - off < n)
        return false;
    if (n)
        memcpy(out, r->p + off, n);
    return true;
}

#endif
