/* spares.h — a bounded stack of given-back allocations kept for reuse by one thread.
 *
 * Short-lived per-flow buffers (reassembly buffers, raw-stream windows) were freed at the end of
 * each burst or flow and allocated again by the next: glibc's paths for those sizes were a
 * measured part of a worker's time (bench/RESULTS.md, session 13). A context keeps up to
 * VG_SPARES_N of them, each at most max_one bytes and max_total in all; the latest given back is
 * taken first (its memory is the warmest). No locking: one owner. */
#ifndef VG_COMMON_SPARES_H
#define VG_COMMON_SPARES_H

#include <stdbool.h>
#include <stddef.h>

#define VG_SPARES_N 64u

typedef struct vg_spares {
    struct { void *p; size_t bytes; } v[VG_SPARES_N];
    unsigned n;
    size_t bytes;              /* of the ones kept */
    size_t max_one, max_total;
} vg_spares_t;

void vg_spares_init(vg_spares_t *s, size_t max_one, size_t max_total);
/* Keeps p (of `bytes` bytes) when the bounds allow: true. False: not kept, the caller frees it. */
bool vg_spares_put(vg_spares_t *s, void *p, size_t bytes);
/* The latest kept (*bytes set), or NULL when there is none. */
void *vg_spares_take(vg_spares_t *s, size_t *bytes);
/* Frees every one kept with destroy (free when NULL). */
void vg_spares_fini(vg_spares_t *s, void (*destroy)(void *p));

#endif
