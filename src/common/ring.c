/* ring.c — SPSC pointer ring. Head and tail are free-running counters on separate cache lines;
 * the slow path (full or empty) falls back to a mutex and condition variable, with a short busy
 * spin first because hand-offs are often only microseconds apart. */
#include "common/ring.h"
#include "common/common.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

struct vg_ring {
    _Alignas(64) atomic_size_t head; /* next slot to write (producer) */
    _Alignas(64) atomic_size_t tail; /* next slot to read (consumer) */
    _Alignas(64) size_t mask;
    void **slots;
    atomic_bool closed;
    atomic_int waiters;
    size_t wake_at;      /* a sleeping consumer wants this many items (see ring.h) */
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
    r->wake_at = 1;
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

void vg_ring_set_wake_at(vg_ring_t *r, size_t n)
{
    r->wake_at = n < 1 ? 1 : n > r->mask + 1 ? r->mask + 1 : n;
}

static inline size_t count(vg_ring_t *r)
{
    return atomic_load(&r->head) - atomic_load(&r->tail);
}

/* After a push: wake a sleeping consumer once enough items are queued; after a pop: wake a
 * sleeping producer (the ring has room again). Both sides sleep on the same condition variable
 * and re-check their own condition. */
static void wake(vg_ring_t *r, bool pushed)
{
    if (atomic_load_explicit(&r->waiters, memory_order_seq_cst) > 0 &&
        (!pushed || count(r) >= r->wake_at)) {
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
    wake(r, true);
    return true;
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

/* Wait until cond() holds: a short busy spin (a hand-off is often microseconds away), then sleep.
 * No sched_yield loop: with more threads than cores (reader + workers + output on 2 cores) a
 * yielding waiter kept stealing time slices from the threads it was waiting for (58 k context
 * switches for a 0.3 s run with 2 workers). */
static void wait_for(vg_ring_t *r, bool (*cond)(vg_ring_t *), bool (*fallback)(vg_ring_t *))
{
    for (int i = 0; i < 64; i++) {
        if (cond(r))
            return;
        cpu_relax();
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
        if (pthread_cond_timedwait(&r->cv, &r->mu, &ts) != 0 && fallback && fallback(r))
            break;
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

/* A sleeping consumer waits for wake_at items so that a producer slower than its consumer wakes
 * it once per wake_at items, not per item; after a timed-out wait any item will do. */
static bool has_enough_or_closed(vg_ring_t *r)
{
    return count(r) >= r->wake_at || atomic_load(&r->closed);
}

void vg_ring_push(vg_ring_t *r, void *item)
{
    while (!vg_ring_try_push(r, item))
        wait_for(r, has_room, NULL);
}

void *vg_ring_try_pop(vg_ring_t *r)
{
    size_t t = atomic_load_explicit(&r->tail, memory_order_relaxed);
    size_t h = atomic_load_explicit(&r->head, memory_order_acquire);
    if (h == t)
        return NULL;
    void *item = r->slots[t & r->mask];
    atomic_store_explicit(&r->tail, t + 1, memory_order_seq_cst);
    wake(r, false);
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
        wait_for(r, has_enough_or_closed, has_item_or_closed);
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
