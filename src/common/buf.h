/* buf.h — a growable byte buffer. The caller holds the vg_buf_t; its data pointer may move on
 * any append, so never keep a pointer into it across appends.
 * Not thread-safe; one owner at a time. */
#ifndef VG_COMMON_BUF_H
#define VG_COMMON_BUF_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct vg_buf {
    char *data;
    size_t len;
    size_t cap;
} vg_buf_t;

void vg_buf_init(vg_buf_t *b, size_t cap);
void vg_buf_fini(vg_buf_t *b);
/* Make room for n more bytes (aborts on OOM: buffers are bounded by their callers). */
void vg_buf_reserve(vg_buf_t *b, size_t n);

static inline void vg_buf_reset(vg_buf_t *b) { b->len = 0; }

static inline void vg_buf_append(vg_buf_t *b, const void *p, size_t n)
{
    if (n == 0)
        return;
    if (b->cap - b->len < n)
        vg_buf_reserve(b, n);
    memcpy(b->data + b->len, p, n);
    b->len += n;
}

static inline void vg_buf_putc(vg_buf_t *b, char c)
{
    if (b->cap == b->len)
        vg_buf_reserve(b, 1);
    b->data[b->len++] = c;
}

static inline void vg_buf_puts(vg_buf_t *b, const char *s) { vg_buf_append(b, s, strlen(s)); }

#endif
