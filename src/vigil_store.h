/* vigil_store.h — `vigil read`'s use of the event store: open it, describe the run, feed it as a
 * sink, end the run and print the run's picture (src/store, src/report). */
#ifndef VG_VIGIL_STORE_H
#define VG_VIGIL_STORE_H

#include "common/config.h"
#include "engine/engine.h"

#include <stdbool.h>

struct vg_detect_engine;
struct vg_attrib;
typedef struct vigil_store_run vigil_store_run_t;

/* Opens the store (path, else store.path, else LOGDIR/vigil.db) and records the run. NULL with
 * *disabled true when store.enabled is false; NULL with *disabled false on an error (printed). */
vigil_store_run_t *vigil_store_start(const vg_config_t *cfg, const char *path, const char *logdir,
                                     const char *const *files, size_t n_files,
                                     const struct vg_detect_engine *detect,
                                     const struct vg_attrib *attrib, bool *disabled);
vg_sink_t vigil_store_sink(vigil_store_run_t *r);
/* The store file that `vigil report`/`serve` read: STORE (a directory counts as a LOGDIR), else
 * LOGDIR/vigil.db, else ./vigil.db. */
void vigil_store_path(const char *store, const char *logdir, char *out, size_t n);
/* Ends the run (engine_rc as vg_engine_run_files returned) and, unless quiet, prints the run's
 * picture. Returns 0, or -1 when the store failed (printed). Frees r. */
int vigil_store_finish(vigil_store_run_t *r, const vg_run_result_t *res, int engine_rc, bool quiet,
                       char **end_record);
/* Run records shipped to Redis (docs/SCALE.md, "Run records"): the run's row of the store as one
 * JSON line {"timestamp", "event_type": "vigil_run", "vigil_run": {"phase": "start"|"end", the
 * columns of `runs`, "captures": [...]}}; malloc'd, NULL when it cannot be read (logged).
 * vigil_store_run_record gives the start record; vigil_store_finish the end record (end_record
 * may be NULL). */
char *vigil_store_run_record(vigil_store_run_t *r);
/* The wall clock as an EVE timestamp in UTC ("2026-12-07T04:00:00.123456+0000"). */
void vigil_runrec_now(char *out, size_t n);

#endif
