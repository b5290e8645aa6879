/* collect.h — `vigil collect`: Redis stream → PostgreSQL (docs/SCALE.md).
 *
 * Reads the stream with a consumer group (XREADGROUP), turns each batch into one PostgreSQL
 * transaction (rows not already committed — per-sensor marks read under row locks — COPY'd into
 * the events table, with a staging table and INSERT ... ON CONFLICT DO NOTHING as the fall-back
 * when the unique key refuses one; the committed mark; the alert rollup), and only after COMMIT
 * XACKs the
 * entries and publishes each sensor's committed mark in the hash "<stream>:committed" (the
 * sensors trim their spools up to it). Entries another collector left pending longer than
 * claim_ms are taken over with XAUTOCLAIM. A malformed entry goes to "<stream>:dead" with the
 * reason and is acknowledged; the rest of the batch flows on.
 */
#ifndef VG_COLLECT_COLLECT_H
#define VG_COLLECT_COLLECT_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

typedef struct vg_collect_opts {
    const char *redis_url;
    const char *pg_dsn;
    const char *stream;      /* default "vigil:events" */
    const char *group;       /* default "vigil-collect" */
    const char *consumer;    /* default HOST-PID */
    unsigned batch;          /* stream entries per read and transaction (default 100; a
                                sensor's entry carries up to VG_SHIP_ENTRY_EVENTS events) */
    unsigned block_ms;       /* XREADGROUP BLOCK (default 1000) */
    unsigned claim_ms;       /* pending this long: claimed from its consumer (default 30000) */
    unsigned retention_days; /* 0: keep everything; else drop day partitions older */
    unsigned idle_exit_s;    /* 0: run until *stop; else return after this long with nothing */
    unsigned incident_window_s; /* the report tables' incidents (derive.c); 0: 3600 */
    unsigned threads;        /* collector threads, each a consumer "<consumer>/<k>" with its own
                                connections (0 or 1: one, named <consumer>) */
    const atomic_int *stop;
} vg_collect_opts_t;

typedef struct vg_collect_stats {
    uint64_t batches, entries, events, inserted, duplicates, expired, dead, claimed;
} vg_collect_stats_t;

/* Returns 0 when stopped (or idle), -1 with err when it could not start (bad URL or DSN,
 * authentication, a database schema newer than this program). Connection losses later are
 * retried. */
int vg_collect_run(const vg_collect_opts_t *o, vg_collect_stats_t *st, char *err, size_t err_len);

/* Schema (schema.c): brings the database to the current version. -1 with err. */
typedef struct pg_conn PGconn;
#define VG_COLLECT_SCHEMA_VERSION 4 /* = VG_STORE_PG_SCHEMA_VERSION (store.h) */
/* Incidents (derive.c): the SQLite store's default store.incident-window. */
#define VG_COLLECT_INCIDENT_WINDOW_US (3600LL * 1000000)
int vg_collect_migrate(PGconn *pg, char *err, size_t err_len);

/* "2023-11-14T22:13:20.000407+0000" (also Z, +HH:MM) → microseconds since 1970 UTC. -1 when
 * malformed. */
int vg_collect_parse_ts(const char *s, int64_t *us);

#endif
