/* engine_behave.h (engine-internal) — glue between the workers, the behave thread and the output
 * queue (engine_behave.c). Everything is a no-op when run->behave is NULL (behave.enabled false
 * or a partial --stage). */
#ifndef VG_ENGINE_ENGINE_BEHAVE_H
#define VG_ENGINE_ENGINE_BEHAVE_H

#include "engine/engine_int.h"
#include "behave/behave.h"

/* Reads the behave.* keys; *out stays NULL when the detectors are off. -1: bad configuration
 * (err says why). */
int engine_behave_new(run_t *r, engine_behave_t **out, char *err, size_t err_len);
/* Starts the behave thread (a producer of r->evq) before the workers. */
void engine_behave_start(engine_behave_t *eb, unsigned n_workers);
/* After the workers finished: waits for the behave thread's last alerts. */
void engine_behave_join(engine_behave_t *eb);
void engine_behave_free(engine_behave_t *eb);
uint64_t engine_behave_alerts(const engine_behave_t *eb);
/* Adds the detectors' counters into a merged stats sum. */
void engine_behave_stats(const engine_behave_t *eb, const stats_merge_t *sm, uint64_t *sum);

/* Worker side. */
void engine_behave_flow(worker_t *w, const vg_flow_t *f);
void engine_behave_tx(worker_t *w, const vg_flow_t *f, const vg_app_ops_t *ops, void *tx,
                      vg_time_t ts);
void engine_behave_epoch(worker_t *w);
void engine_behave_close(worker_t *w);

#endif
