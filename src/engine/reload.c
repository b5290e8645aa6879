/* reload.c — rule reload under traffic: the hand-over of a new signature engine to running
 * workers, and the record of every attempt for the stats events.
 *
 * The caller (a control thread) builds the new engine beside the running one and offers it. The
 * reader thread takes it between packets (reload_take), publishes it with a new generation
 * number (run_t.detect_cur / detect_gen); each worker, at the start of its next batch, makes its
 * own thread context for it and acknowledges the generation. When every worker has, the old
 * engine has no user left and is freed (reload_moved). One swap is in flight at a time: a
 * second offer waits in `pending` until the first completes.
 *
 * What carries over: threshold/detection_filter windows of rules in both sets with the same
 * threshold (vg_detect_engine_inherit, here at the hand-over), and flowbits/flowints of open
 * flows by name (worker_app.c, when a worker next touches the flow).
 */
#include "engine/engine_int.h"
#include "common/common.h"
#include "common/timefmt.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define N_RECORDS 32

typedef struct reload_rec {
    vg_time_t when;          /* wall clock */
    unsigned id;             /* engine id (0: the one started with); failed: 0 */
    bool ok;
    uint32_t loaded, failed;
    char why[200];
} reload_rec_t;

struct vg_reloader {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    atomic_bool has_pending;
    vg_detect_engine_t *pending;       /* offered, not taken yet (owned) */
    uint32_t pending_loaded, pending_failed;
    const vg_detect_engine_t *current; /* in use (or being moved to) */
    bool current_owned;                /* false: the run's initial engine (the caller's) */
    const vg_detect_engine_t *retired; /* still used by some worker */
    bool retired_owned;
    bool attached;                     /* a run with detection is going on */
    unsigned next_id, current_id, moved_id;
    reload_rec_t cur_rec;              /* the engine in use, for detect.engines[] */
    reload_rec_t recs[N_RECORDS];      /* attempts, oldest first once full */
    size_t n_recs, head;
};

static vg_time_t wall_usec(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (vg_time_t)ts.tv_sec * VG_USEC_PER_SEC + (vg_time_t)(ts.tv_nsec / 1000);
}

static void counts(const vg_detect_engine_t *e, uint32_t *loaded, uint32_t *failed)
{
    const vg_ruleset_t *rs = e ? vg_detect_engine_ruleset(e) : NULL;
    *loaded = rs ? vg_ruleset_count(rs) : 0;
    *failed = rs ? vg_ruleset_n_failed(rs) : 0;
}

static void add_rec(vg_reloader_t *rl, const reload_rec_t *r)
{
    rl->recs[(rl->head + rl->n_recs) % N_RECORDS] = *r;
    if (rl->n_recs < N_RECORDS)
        rl->n_recs++;
    else
        rl->head = (rl->head + 1) % N_RECORDS;
}

vg_reloader_t *vg_reloader_new(void)
{
    vg_reloader_t *rl = vg_xcalloc(1, sizeof *rl);
    pthread_mutex_init(&rl->mu, NULL);
    pthread_cond_init(&rl->cv, NULL);
    return rl;
}

void vg_reloader_free(vg_reloader_t *rl)
{
    if (!rl)
        return;
    if (rl->pending)
        vg_detect_engine_free(rl->pending);
    if (rl->retired_owned)
        vg_detect_engine_free((vg_detect_engine_t *)rl->retired);
    if (rl->current_owned)
        vg_detect_engine_free((vg_detect_engine_t *)rl->current);
    pthread_mutex_destroy(&rl->mu);
    pthread_cond_destroy(&rl->cv);
    free(rl);
}

int vg_reloader_offer(vg_reloader_t *rl, vg_detect_engine_t *e, int timeout_ms, char *msg,
                      size_t msg_len)
{
    pthread_mutex_lock(&rl->mu);
    if (!rl->attached) {
        pthread_mutex_unlock(&rl->mu);
        vg_detect_engine_free(e);
        snprintf(msg, msg_len, "no running engine with signature matching to reload");
        return -1;
    }
    if (rl->pending) /* an earlier offer not taken yet: this one replaces it */
        vg_detect_engine_free(rl->pending);
    rl->pending = e;
    counts(e, &rl->pending_loaded, &rl->pending_failed);
    unsigned id = ++rl->next_id;
    atomic_store(&rl->has_pending, true);
    struct timespec dl;
    clock_gettime(CLOCK_REALTIME, &dl);
    dl.tv_sec += timeout_ms / 1000;
    dl.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (dl.tv_nsec >= 1000000000L) {
        dl.tv_sec++;
        dl.tv_nsec -= 1000000000L;
    }
    int rc = 0;
    while (rl->attached && rl->moved_id < id)
        if (pthread_cond_timedwait(&rl->cv, &rl->mu, &dl) != 0)
            break;
    if (rl->moved_id >= id)
        snprintf(msg, msg_len, "engine %u in use by every worker: %u rules loaded, %u failed", id,
                 rl->cur_rec.loaded, rl->cur_rec.failed);
    else {
        snprintf(msg, msg_len, "engine %u offered; not every worker has moved to it yet", id);
        rc = 1;
    }
    pthread_mutex_unlock(&rl->mu);
    return rc;
}

void vg_reloader_failed(vg_reloader_t *rl, const char *why)
{
    reload_rec_t r = {.when = wall_usec(), .ok = false};
    snprintf(r.why, sizeof r.why, "%s", why);
    pthread_mutex_lock(&rl->mu);
    add_rec(rl, &r);
    pthread_mutex_unlock(&rl->mu);
}

/* --- engine side --- */

void reload_attach(vg_reloader_t *rl, const vg_detect_engine_t *initial)
{
    pthread_mutex_lock(&rl->mu);
    rl->attached = initial != NULL;
    rl->current = initial;
    rl->current_owned = false;
    rl->cur_rec = (reload_rec_t){.when = wall_usec(), .id = 0, .ok = true};
    counts(initial, &rl->cur_rec.loaded, &rl->cur_rec.failed);
    pthread_mutex_unlock(&rl->mu);
}

void reload_detach(vg_reloader_t *rl)
{
    pthread_mutex_lock(&rl->mu);
    rl->attached = false;
    pthread_cond_broadcast(&rl->cv);
    pthread_mutex_unlock(&rl->mu);
}

bool reload_has_pending(const vg_reloader_t *rl)
{
    return atomic_load_explicit(&rl->has_pending, memory_order_relaxed);
}

const vg_detect_engine_t *reload_take(vg_reloader_t *rl)
{
    pthread_mutex_lock(&rl->mu);
    const vg_detect_engine_t *e = NULL;
    if (rl->pending && !rl->retired) {
        /* Threshold windows of the rules kept go on (Suricata keeps them across a reload
         * too). A match counted by a worker between this copy and its switch to the new
         * engine (in direct capture at most one packet per worker) stays in the old table. */
        if (rl->current)
            vg_detect_engine_inherit(rl->pending, rl->current);
        rl->retired = rl->current;
        rl->retired_owned = rl->current_owned;
        e = rl->current = rl->pending;
        rl->current_owned = true;
        rl->current_id = rl->next_id;
        rl->pending = NULL;
        atomic_store(&rl->has_pending, false);
        rl->cur_rec = (reload_rec_t){.when = wall_usec(), .id = rl->current_id, .ok = true,
                                     .loaded = rl->pending_loaded, .failed = rl->pending_failed};
        add_rec(rl, &rl->cur_rec);
    }
    pthread_mutex_unlock(&rl->mu);
    return e;
}

void reload_moved(vg_reloader_t *rl)
{
    pthread_mutex_lock(&rl->mu);
    if (rl->retired_owned)
        vg_detect_engine_free((vg_detect_engine_t *)rl->retired);
    rl->retired = NULL;
    rl->retired_owned = false;
    rl->moved_id = rl->current_id;
    pthread_cond_broadcast(&rl->cv);
    pthread_mutex_unlock(&rl->mu);
}

static void write_rec(vg_jw_t *jw, const reload_rec_t *r, bool engine)
{
    char ts[VG_TIME_STR_LEN];
    size_t tn = vg_time_format(r->when, ts);
    vg_jw_obj_open(jw);
    if (engine || r->ok)
        vg_jw_kv_uint(jw, "id", r->id);
    vg_jw_key(jw, engine ? "last_reload" : "time");
    vg_jw_strn(jw, ts, tn);
    if (!engine)
        vg_jw_kv_bool(jw, "ok", r->ok);
    if (r->ok) {
        vg_jw_kv_uint(jw, "rules_loaded", r->loaded);
        vg_jw_kv_uint(jw, "rules_failed", r->failed);
    } else {
        vg_jw_kv_str(jw, "error", r->why);
    }
    vg_jw_obj_close(jw);
}

void reload_write_stats(vg_reloader_t *rl, vg_jw_t *jw)
{
    pthread_mutex_lock(&rl->mu);
    vg_jw_key(jw, "engines");
    vg_jw_arr_open(jw);
    write_rec(jw, &rl->cur_rec, true);
    vg_jw_arr_close(jw);
    vg_jw_key(jw, "reloads");
    vg_jw_arr_open(jw);
    for (size_t i = 0; i < rl->n_recs; i++)
        write_rec(jw, &rl->recs[(rl->head + i) % N_RECORDS], false);
    vg_jw_arr_close(jw);
    pthread_mutex_unlock(&rl->mu);
}
