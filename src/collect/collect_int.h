/* collect_int.h — the collector's internals shared by its files. */
#ifndef VG_COLLECT_COLLECT_INT_H
#define VG_COLLECT_COLLECT_INT_H

#include "collect/collect.h"
#include "common/buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Appends s escaped for COPY's text format (backslash, tab, newline, carriage return). */
void vg_collect_copy_text(vg_buf_t *b, const char *s, size_t n);

/* derive.c: the report's tables (alerts, signatures, incidents, alert_dims, alert_rollup)
 * from the alert events of a batch, in its transaction. */
typedef struct vg_derive_in {
    const char *sensor;
    uint64_t seq;
    int64_t run;        /* the run's id (run_records, or the sensor's for events without) */
    const char *raw;    /* the EVE line */
    size_t len;
} vg_derive_in_t;

typedef struct vg_derive_cache vg_derive_cache_t; /* signature and dimension ids, per connection */
vg_derive_cache_t *vg_derive_cache_new(void);
/* After a rollback: ids cached in it may not exist. */
void vg_derive_cache_clear(vg_derive_cache_t *dc);
void vg_derive_cache_free(vg_derive_cache_t *dc);

/* in: alert events in the order they are to be counted (a sensor's in sequence order); rows
 * that are not alerts the store keeps are passed over. Needs the temporary tables rstage (made
 * by vg_derive_prepare). -1 with err. */
int vg_collect_derive(PGconn *pg, vg_derive_cache_t *dc, const vg_derive_in_t *in, size_t n,
                      int64_t window_us, char *err, size_t err_len);
/* A run record of the sensor (event_type vigil_run, seq its number; schema 4): a start record
 * opens a run (*run its id, *unrecorded false); an end record ends *run, records its totals and
 * captures and applies the rerun rule (or, when *unrecorded — its start never seen — is its own
 * run). Records of another phase are passed over. -1 with err. */
int vg_collect_run_record(PGconn *pg, const char *sensor, uint64_t seq, const char *raw,
                          size_t len, int64_t *run, bool *unrecorded, char *err, size_t err_len);
/* The session's temporary table (once per connection). */
#define VG_DERIVE_PREPARE "CREATE TEMP TABLE rstage (LIKE alert_rollup) ON COMMIT DELETE ROWS"

#endif
