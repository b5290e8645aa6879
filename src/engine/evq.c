/* evq.c — bounded queue of event blocks (see evq.h). */
#include "engine/evq.h"
#include "common/common.h"

#include <stdlib.h>
#include <time.h>

#define BLOCK_CAP (256 * 1024)

void evq_init(evq_t *q, unsigned max_blocks, unsigned producers)
{
    pthread_mutex_init(&q->mu, NULL);
    pthread_cond_init(&q->cv_full, NULL);
    pthread_cond_init(&q->cv_free, NULL);
    q->head = q->tail = q->free = NULL;
    q->n_alloc = 0;
    q->max_blocks = max_blocks;
    q->producers = producers;
}

static void free_list(evblock_t *b)
{
    while (b) {
        evblock_t *n = b->next;
        vg_buf_fini(&b->buf);
        free(b);
        b = n;
    }
}

void evq_fini(evq_t *q)
{
    free_list(q->head);
    free_list(q->free);
    pthread_mutex_destroy(&q->mu);
    pthread_cond_destroy(&q->cv_full);
    pthread_cond_destroy(&q->cv_free);
}

evblock_t *evq_get_free(evq_t *q)
{
    pthread_mutex_lock(&q->mu);
    while (!q->free && q->n_alloc >= q->max_blocks)
        pthread_cond_wait(&q->cv_free, &q->mu);
    evblock_t *b = q->free;
    if (b) {
        q->free = b->next;
    } else {
        q->n_alloc++;
        b = vg_xcalloc(1, sizeof *b);
        vg_buf_init(&b->buf, BLOCK_CAP);
    }
    pthread_mutex_unlock(&q->mu);
    b->next = NULL;
    b->buf.len = 0;
    b->n_events = 0;
    return b;
}

void evq_submit(evq_t *q, evblock_t *b)
{
    pthread_mutex_lock(&q->mu);
    b->next = NULL;
    if (q->tail)
        q->tail->next = b;
    else
        q->head = b;
    q->tail = b;
    pthread_cond_signal(&q->cv_full);
    pthread_mutex_unlock(&q->mu);
}

void evq_producer_done(evq_t *q)
{
    pthread_mutex_lock(&q->mu);
    q->producers--;
    pthread_cond_broadcast(&q->cv_full);
    pthread_mutex_unlock(&q->mu);
}

evblock_t *evq_next(evq_t *q, int timeout_ms, bool *finished)
{
    *finished = false;
    pthread_mutex_lock(&q->mu);
    if (!q->head && q->producers > 0) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += timeout_ms / 1000;
        ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        while (!q->head && q->producers > 0)
            if (pthread_cond_timedwait(&q->cv_full, &q->mu, &ts) != 0)
                break;
    }
    evblock_t *b = q->head;
    if (b) {
        q->head = b->next;
        if (!q->head)
            q->tail = NULL;
    } else if (q->producers == 0) {
        *finished = true;
    }
    pthread_mutex_unlock(&q->mu);
    return b;
}

void evq_release(evq_t *q, evblock_t *b)
{
    pthread_mutex_lock(&q->mu);
    b->next = q->free;
    q->free = b;
    pthread_cond_signal(&q->cv_free);
    pthread_mutex_unlock(&q->mu);
}
