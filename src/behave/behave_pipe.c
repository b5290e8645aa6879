/* behave_pipe.c — observations from the workers to the one behave thread, epoch by epoch.
 *
 * Each producer (worker) fills its current epoch; at each tick it closes the epoch into its
 * queue (at most one closed epoch waits; a producer further ahead waits, so memory stays bounded
 * and a slow behave thread slows the workers rather than growing queues). The behave thread
 * takes epoch k of every producer, sorts the union (vg_behave_obs_cmp) and feeds the detectors,
 * so the order they see does not depend on how traffic was split between workers. Every worker
 * gets the same ticks from the reader, so all producers have the same number of epochs.
 */
#include "behave/behave_int.h"
#include "common/log.h"

#include <pthread.h>
#include <stdlib.h>

#define QUEUE_MAX 1

typedef struct epoch {
    vg_behave_obs_t *o;
    size_t n, cap;
    size_t n_single;        /* single-packet flows among them */
    char *names;
    size_t nlen, ncap;
    uint64_t dropped;
    bool final;
    struct epoch *next;
} epoch_t;

typedef struct producer {
    epoch_t *cur;
    epoch_t *head, *tail;   /* closed epochs, oldest first */
    size_t qlen;
    epoch_t *free;
    bool closed;
} producer_t;

typedef struct ref {
    const vg_behave_obs_t *o;
    const char *names;
} ref_t;

struct vg_behave_pipe {
    vg_behave_t *b;
    unsigned n;
    producer_t *p;
    size_t cap_per_epoch;   /* observations per producer epoch */
    size_t cap_single;      /* of which single-packet flows */
    pthread_mutex_t mu;
    pthread_cond_t data, space;
    pthread_t th;
    void (*done)(void *user);
    void *user;
    _Atomic uint64_t dropped;
    ref_t *refs;
    size_t refs_cap;
};

void vg_behave_epoch_done(vg_behave_t *b, uint64_t dropped); /* behave.c */

static epoch_t *epoch_new(void) { return vg_xcalloc(1, sizeof(epoch_t)); }

static void epoch_free(epoch_t *e)
{
    if (!e)
        return;
    free(e->o);
    free(e->names);
    free(e);
}

static int ref_cmp(const void *x, const void *y)
{
    const ref_t *a = x, *b = y;
    return vg_behave_obs_cmp(a->o, a->names, b->o, b->names);
}

static void *behave_main(void *arg)
{
    vg_behave_pipe_t *p = arg;
    pthread_setname_np(pthread_self(), "vg-behave");
    epoch_t **ep = vg_xcalloc(p->n, sizeof *ep);
    for (;;) {
        pthread_mutex_lock(&p->mu);
        bool all_final = true;
        for (unsigned i = 0; i < p->n; i++) {
            producer_t *q = &p->p[i];
            while (!q->head && !q->closed)
                pthread_cond_wait(&p->data, &p->mu);
            ep[i] = q->head;
            if (q->head) {
                q->head = q->head->next;
                if (!q->head)
                    q->tail = NULL;
                q->qlen--;
                all_final &= ep[i]->final;
            }
        }
        pthread_cond_broadcast(&p->space);
        pthread_mutex_unlock(&p->mu);
        size_t total = 0;
        uint64_t dropped = 0;
        for (unsigned i = 0; i < p->n; i++)
            if (ep[i]) {
                total += ep[i]->n;
                dropped += ep[i]->dropped;
            }
        if (total > p->refs_cap) {
            p->refs_cap = total + total / 2;
            free(p->refs);
            p->refs = vg_xmalloc(p->refs_cap * sizeof *p->refs);
        }
        size_t k = 0;
        for (unsigned i = 0; i < p->n; i++)
            for (size_t j = 0; ep[i] && j < ep[i]->n; j++)
                p->refs[k++] = (ref_t){&ep[i]->o[j], ep[i]->names};
        if (total)
            qsort(p->refs, total, sizeof *p->refs, ref_cmp);
        for (size_t j = 0; j < total; j++) {
            if (j + 8 < total)
                vg_behave_prefetch(p->b, p->refs[j + 8].o);
            vg_behave_observe(p->b, p->refs[j].o, p->refs[j].names);
        }
        vg_behave_epoch_done(p->b, dropped);
        pthread_mutex_lock(&p->mu);
        for (unsigned i = 0; i < p->n; i++)
            if (ep[i]) {
                ep[i]->n = ep[i]->nlen = ep[i]->n_single = 0;
                ep[i]->dropped = 0;
                ep[i]->final = false;
                ep[i]->next = p->p[i].free;
                p->p[i].free = ep[i];
            }
        pthread_mutex_unlock(&p->mu);
        if (all_final)
            break;
    }
    free(ep);
    vg_behave_finish(p->b);
    if (p->done)
        p->done(p->user);
    return NULL;
}

vg_behave_pipe_t *vg_behave_pipe_start(vg_behave_t *b, unsigned n_producers,
                                       void (*done)(void *user), void *user)
{
    vg_behave_pipe_t *p = vg_xcalloc(1, sizeof *p);
    p->b = b;
    p->n = n_producers ? n_producers : 1;
    p->p = vg_xcalloc(p->n, sizeof *p->p);
    for (unsigned i = 0; i < p->n; i++)
        p->p[i].cur = epoch_new();
    uint64_t cap = b->cfg.max_epoch_obs / p->n;
    p->cap_per_epoch = cap < 1024 ? 1024 : (size_t)cap;
    cap = b->cfg.max_epoch_single / p->n;
    p->cap_single = cap < 1024 ? 1024 : (size_t)cap;
    p->done = done;
    p->user = user;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->data, NULL);
    pthread_cond_init(&p->space, NULL);
    if (pthread_create(&p->th, NULL, behave_main, p) != 0) {
        vg_log(VG_LOG_ERROR, "cannot start the behave thread");
        abort();
    }
    return p;
}

void vg_behave_pipe_add(vg_behave_pipe_t *p, unsigned prod, const vg_behave_obs_t *o,
                        const char *name, size_t name_len)
{
    epoch_t *e = p->p[prod].cur;
    /* A flood of spoofed packets makes one flow per packet: those flows have their own, lower
     * cap, so they cannot crowd out real conversations nor hold much memory. */
    bool single = o->kind == VG_BOBS_FLOW && o->pkts[0] + o->pkts[1] <= 1;
    if (e->n == p->cap_per_epoch || (single && e->n_single == p->cap_single)) {
        e->dropped++;
        atomic_fetch_add_explicit(&p->dropped, 1, memory_order_relaxed);
        return;
    }
    if (e->n == e->cap) {
        e->cap = e->cap ? 2 * e->cap : 256;
        if (e->cap > p->cap_per_epoch)
            e->cap = p->cap_per_epoch;
        e->o = vg_xrealloc(e->o, e->cap * sizeof *e->o);
    }
    e->n_single += single;
    vg_behave_obs_t *d = &e->o[e->n++];
    *d = *o;
    d->name_len = 0;
    d->name_off = 0;
    if (name && name_len) {
        if (name_len > 255)
            name_len = 255;
        if (e->nlen + name_len > e->ncap) {
            e->ncap = (e->nlen + name_len) * 2 + 1024;
            e->names = vg_xrealloc(e->names, e->ncap);
        }
        memcpy(e->names + e->nlen, name, name_len);
        d->name_off = (uint32_t)e->nlen;
        d->name_len = (uint8_t)name_len;
        e->nlen += name_len;
    }
}

static void close_epoch(vg_behave_pipe_t *p, unsigned prod, bool final)
{
    producer_t *q = &p->p[prod];
    pthread_mutex_lock(&p->mu);
    while (q->qlen >= QUEUE_MAX)
        pthread_cond_wait(&p->space, &p->mu);
    epoch_t *e = q->cur;
    e->final = final;
    e->next = NULL;
    if (q->tail)
        q->tail->next = e;
    else
        q->head = e;
    q->tail = e;
    q->qlen++;
    if (final) {
        q->closed = true;
        q->cur = NULL;
    } else if (q->free) {
        q->cur = q->free;
        q->free = q->free->next;
    } else {
        q->cur = NULL;
    }
    pthread_cond_broadcast(&p->data);
    pthread_mutex_unlock(&p->mu);
    if (!final && !q->cur)
        q->cur = epoch_new();
}

void vg_behave_pipe_epoch(vg_behave_pipe_t *p, unsigned prod) { close_epoch(p, prod, false); }

void vg_behave_pipe_close(vg_behave_pipe_t *p, unsigned prod) { close_epoch(p, prod, true); }

void vg_behave_pipe_join(vg_behave_pipe_t *p)
{
    if (!p)
        return;
    pthread_join(p->th, NULL);
    for (unsigned i = 0; i < p->n; i++) {
        epoch_free(p->p[i].cur);
        for (epoch_t *e = p->p[i].head, *nx; e; e = nx) {
            nx = e->next;
            epoch_free(e);
        }
        for (epoch_t *e = p->p[i].free, *nx; e; e = nx) {
            nx = e->next;
            epoch_free(e);
        }
    }
    free(p->p);
    free(p->refs);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->data);
    pthread_cond_destroy(&p->space);
    free(p);
}

uint64_t vg_behave_pipe_dropped(const vg_behave_pipe_t *p)
{
    return atomic_load_explicit(&p->dropped, memory_order_relaxed);
}
