/* ring.h — a bounded single-producer single-consumer queue of pointers.
 *
 * Used to hand packet batches from the reader to a worker, and event blocks from a worker to the
 * output thread. Lock-free on the fast path; a blocked side sleeps on a condition variable so an
 * idle pipeline costs no CPU. Exactly one producer thread and one consumer thread per ring.
 */
#ifndef VG_COMMON_RING_H
#define VG_COMMON_RING_H

#include <stdbool.h>
#include <stddef.h>

typedef struct vg_ring vg_ring_t;

/* cap is rounded up to a power of two. */
vg_ring_t *vg_ring_new(size_t cap);
void vg_ring_free(vg_ring_t *r);

/* A consumer that has to sleep in vg_ring_pop() is woken when n items are queued (or the ring is
 * closed, or after a 2 ms timeout with at least one item) instead of at the first item: fewer
 * wake-ups when the producer is the slower side. Default 1. Set before use. */
void vg_ring_set_wake_at(vg_ring_t *r, size_t n);

/* Producer: enqueue, waiting while full. */
void vg_ring_push(vg_ring_t *r, void *item);
/* Producer: enqueue without waiting; false when full. */
bool vg_ring_try_push(vg_ring_t *r, void *item);
/* Consumer: dequeue, waiting while empty. Returns NULL only after vg_ring_close() and empty. */
void *vg_ring_pop(vg_ring_t *r);
/* Consumer: dequeue without waiting; NULL when empty. */
void *vg_ring_try_pop(vg_ring_t *r);
/* Producer: no more items will come; wakes a waiting consumer. */
void vg_ring_close(vg_ring_t *r);
bool vg_ring_is_closed_and_empty(vg_ring_t *r);

#endif
