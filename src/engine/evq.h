/* evq.h (engine-internal) — blocks of formatted event lines travelling from workers to the output
 * thread. Blocks are large (hundreds of events), so one mutex for the whole queue costs nothing
 * measurable; the number of blocks is bounded, which is back-pressure on workers when the disk is
 * slower than the traffic. */
#ifndef VG_ENGINE_EVQ_H
#define VG_ENGINE_EVQ_H

#include "common/buf.h"

#include <pthread.h>
#include <stdbool.h>

typedef struct evblock {
    struct evblock *next;
    vg_buf_t buf;
    unsigned n_events;
} evblock_t;

typedef struct evq {
    pthread_mutex_t mu;
    pthread_cond_t cv_full;  /* signalled when a block is queued or producers finish */
    pthread_cond_t cv_free;  /* signalled when a block is returned */
    evblock_t *head, *tail;  /* queued for output */
    evblock_t *free;
    unsigned n_alloc, max_blocks, producers;
} evq_t;

void evq_init(evq_t *q, unsigned max_blocks, unsigned producers);
void evq_fini(evq_t *q);
evblock_t *evq_get_free(evq_t *q);         /* waits when all blocks are in flight */
void evq_submit(evq_t *q, evblock_t *b);
void evq_producer_done(evq_t *q);
/* Output side: next queued block, waiting up to timeout_ms; NULL on timeout or when all
 * producers are done and nothing is queued (*finished set then). */
evblock_t *evq_next(evq_t *q, int timeout_ms, bool *finished);
void evq_release(evq_t *q, evblock_t *b);

#endif
