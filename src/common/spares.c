/* spares.c — see spares.h. */
#include "common/spares.h"

#include <stdlib.h>

void vg_spares_init(vg_spares_t *s, size_t max_one, size_t max_total)
{
    s->n = 0;
    s->bytes = 0;
    s->max_one = max_one;
    s->max_total = max_total;
}

bool vg_spares_put(vg_spares_t *s, void *p, size_t bytes)
{
    if (!p || s->n == VG_SPARES_N || bytes > s->max_one || s->bytes + bytes > s->max_total)
        return false;
    s->v[s->n].p = p;
    s->v[s->n].bytes = bytes;
    s->n++;
    s->bytes += bytes;
    return true;
}

void *vg_spares_take(vg_spares_t *s, size_t *bytes)
{
    if (!s->n)
        return NULL;
    s->n--;
    s->bytes -= s->v[s->n].bytes;
    *bytes = s->v[s->n].bytes;
    return s->v[s->n].p;
}

void vg_spares_fini(vg_spares_t *s, void (*destroy)(void *p))
{
    size_t bytes;
    void *p;
    while ((p = vg_spares_take(s, &bytes)) != NULL)
        (destroy ? destroy : free)(p);
}
