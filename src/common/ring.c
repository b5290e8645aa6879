/* ring.c — SPSC pointer ring. Head and tail are free-running counters on separate cache lines;
 * the slow path (full or empty) falls back to a mutex and condition variable, with a short spin
 * first because hand-offs are usually only microseconds apart. */
#include "common/ring.h"
#include "common/common.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>

struct vg_ring {
    _Alignas(64) atomic_size_t head; /* next slot to write (producer) */
    _Alignas(64) atomic_size_t tail; /* next slot to read (consumer) */
    _Alignas(64) size_t mask;
    void **slots;
    atomic_bool closed;
    atomic_int waiters;
    pthread_mutex_t mu;
    pthread_cond_t cv;
};

vg_ring_t *vg_ring_new(size_t cap)
{
    size_t c = 2;
    while (c < cap)
        c <<= 1;
    vg_ring_t *r = aligned_alloc(64, sizeof *r);
    if (!r)
        abort();
    atomic_init(&r->head, 0);
    atomic_init(&r->tail, 0);
    r->mask = c - 1;
    r->slots = vg_xcalloc(c, sizeof(void *));
    atomic_init(&r->closed, false);
    atomic_init(&r->waiters, 0);
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->cv, NULL);
    return r;
}

void vg_ring_free(vg_ring_t *r)
{
    if (!r)
        return;
    pthread_mutex_destroy(&r->mu);
    pthread_cond_destroy(&r->cv);
    free(r->slots);
    free(r);
}

static void wake(vg_ring_t *r)
{
    if (atomic_load_explicit(&r->waiters, memory_order_seq_cst) > 0) {
        pthread_mutex_lock(&r->mu);
        pthread_cond_broadcast(&r->cv);
        pthread_mutex_unlock(&r->mu);
    }
}

bool vg_ring_try_push(vg_ring_t *r, void *item)
{
    size_t h = atomic_load_explicit(&r->head, memory_order_relaxed);
    size_t t = atomic_load_explicit(&r->tail, memory_order_acquire);
    if (h - t > r->mask)
        return false;
    r->slots[h & r->mask] = item;
    atomic_store_explicit(&r->head, h + 1, memory_order_seq_cst);
    wake(r);
    return true;
}

/* Wait until cond() holds, spinning briefly and then sleeping. */
static void wait_for(vg_ring_t *r, bool (*cond)(vg_ring_t *))
{
    for (int i = 0; i < 200; i++) {
        if (cond(r))
            return;
        sched_yield();
    }
    pthread_mutex_lock(&r->mu);
    atomic_fetch_add(&r->waiters, 1);
    while (!cond(r)) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 2000000; /* re-check every 2 ms: guards against a missed wake-up */
        if (ts.tv_nsec >= 1000000000) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000;
        }
        pthread_cond_timedwait(&r->cv, &r->mu, &ts);
    }
    atomic_fetch_sub(&r->waiters, 1);
    pthread_mutex_unlock(&r->mu);
}

static bool has_room(vg_ring_t *r)
{
    return atomic_load(&r->head) - atomic_load(&r->tail) <= r->mask;
}

static bool has_item_or_closed(vg_ring_t *r)
{
    return atomic_load(&r->head) != atomic_load(&r->tail) || atomic_load(&r->closed);
}

void vg_ring_push(vg_ring_t *r, void *item)
{
    while (!vg_ring_try_push(r, item))
        wait_for(r, has_room);
}

void *vg_ring_try_pop(vg_ring_t *r)
{
    size_t t = atomic_load_explicit(&r->tail, memory_order_relaxed);
    size_t h = atomic_load_explicit(&r->head, memory_order_acquire);
    if (h == t)
        return NULL;
    void *item = r->slots[t & r->mask];
    atomic_store_explicit(&r->tail, t + 1, memory_order_seq_cst);
    wake(r);
    return item;
}

void *vg_ring_pop(vg_ring_t *r)
{
    for (;;) {
        void *item = vg_ring_try_pop(r);
        if (item)
            return item;
        if (atomic_load(&r->closed) && atomic_load(&r->head) == atomic_load(&r->tail))
            return NULL;
        wait_for(r, has_item_or_closed);
    }
}

void vg_ring_close(vg_ring_t *r)
{
    atomic_store(&r->closed, true);
    pthread_mutex_lock(&r->mu);
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
}

bool vg_ring_is_closed_and_empty(vg_ring_t *r)
{
    return atomic_load(&r->closed) && atomic_load(&r->head) == atomic_load(&r->tail);
}
