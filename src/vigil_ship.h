/* vigil_ship.h — `vigil read`/`live`'s use of src/ship: configure the Redis shipping sink and
 * print what it did at the end. */
#ifndef VG_VIGIL_SHIP_H
#define VG_VIGIL_SHIP_H

#include "common/config.h"
#include "engine/engine.h"
#include "ship/ship.h"

#include <stdbool.h>

/* NULL with *disabled true when shipping is off (no --redis, outputs.redis.enabled false);
 * NULL with *disabled false on an error (printed). url: --redis, or NULL. */
vg_ship_t *vigil_ship_start(const vg_config_t *cfg, const char *url, const char *logdir,
                            bool *disabled);
/* The sensor's name: sensor-name, else the host name (written into host, n bytes). */
const char *vigil_sensor_name(const vg_config_t *cfg, char *host, size_t n);
/* Prints the shipping summary (unless quiet; always when events were dropped) and closes. */
void vigil_ship_finish(vg_ship_t *s, bool quiet);

/* The shipping sink for the engine: as vg_ship_sink_*, but the engine's final commit does not
 * wait for the drain (the run's end record follows it). */
vg_sink_t vigil_ship_sink(vg_ship_t *s);
/* Appends a run record (docs/SCALE.md, "Run records") to the spool under the next sequence
 * number. Called on the main thread only while the engine does not run (before it starts, after
 * it ended). end: then makes the spool durable and waits for the drain (the run's end). */
void vigil_ship_record(vg_ship_t *s, const char *record, bool end);
/* A ledger checkpoint entry (evidence/ledger.h hook, on the output thread) shipped as an event
 * {"timestamp", "event_type": "vigil_ledger", "vigil_ledger": ENTRY}; ctx is the vg_ship_t. */
void vigil_ship_ledger_checkpoint(void *ctx, const char *entry, size_t len);
/* A run record without a store (store.enabled=false): what the run itself knows (partial:
 * no captures, rules, geo databases, drops or stats). res NULL: the start record. */
char *vigil_ship_basic_record(const char *phase, const char *sensor, const char *logdir,
                              const vg_run_result_t *res, int engine_rc);

#endif
