/* buf.c — growable byte buffer. */
#include "common/buf.h"
#include "common/common.h"

#include <stdlib.h>

void vg_buf_init(vg_buf_t *b, size_t cap)
{
    b->data = cap ? vg_xmalloc(cap) : NULL;
    b->len = 0;
    b->cap = cap;
}

void vg_buf_fini(vg_buf_t *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

void vg_buf_reserve(vg_buf_t *b, size_t n)
{
    if (b->cap - b->len >= n)
        return;
    size_t cap = b->cap ? b->cap : 256;
    while (cap - b->len < n)
        cap *= 2;
    b->data = vg_xrealloc(b->data, cap);
    b->cap = cap;
}
