/* store.h — the embedded event store: an SQLite database (WAL) of alerts, incidents, alerted
 * flows and run metadata, fed from the output thread as a sink, read by `vigil report`.
 *
 * One store may collect many runs (`vigil read --store PATH`). A run is 'running' while it is
 * written and becomes 'complete' (or 'partial' when a capture was damaged) only in the
 * transaction that ends it, so a crashed run is never counted. Rerun rule: a run whose set of
 * captures (by SHA-256 of their content) equals that of an earlier counted run supersedes it: the
 * earlier run's rows are deleted in that same final transaction and the earlier run is kept as
 * 'superseded' (docs/STORE.md).
 *
 * The writer also keeps the report's rollups (alert_dims, alert_rollup: alerts counted per run,
 * UTC day, combination of report columns and incident) and continues incidents of earlier ended
 * runs (docs/STORE.md, "Rollups" and "Incidents across runs").
 *
 * Threads: a vg_store_t has one owner at a time (the output thread during a run). Not
 * thread-safe. Schema and units: docs/STORE.md.
 */
#ifndef VG_STORE_STORE_H
#define VG_STORE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VG_STORE_SCHEMA_VERSION 3

typedef struct vg_store vg_store_t;
struct sqlite3;

enum vg_store_flows { VG_STORE_FLOWS_NONE = 0, VG_STORE_FLOWS_ALERTED, VG_STORE_FLOWS_ALL };

/* Opens (creating when missing and create is true) and migrates to VG_STORE_SCHEMA_VERSION.
 * NULL with a one-line reason naming the file in err: newer schema, locked, not a database. */
vg_store_t *vg_store_open(const char *path, bool create, char *err, size_t err_len);
void vg_store_close(vg_store_t *s); /* NULL is a no-op; rolls back an open transaction */
struct sqlite3 *vg_store_db(vg_store_t *s);
const char *vg_store_path(const vg_store_t *s);
/* Highest applied schema version (0: none). */
int vg_store_schema_version(vg_store_t *s);

/* A capture of the run (content hash: vg_store_sha256_file). */
typedef struct vg_store_capture {
    const char *path;
    char sha256[65];
    uint64_t size;
} vg_store_capture_t;

typedef struct vg_store_run_info {
    const char *sensor;                  /* sensor-name, else the host name */
    const char *logdir;
    const vg_store_capture_t *captures;  /* may be given at vg_store_end_run instead */
    size_t n_captures;
    uint32_t rules_loaded, rules_failed;
    const char *const *geo_dbs;          /* "NAME BUILD" labels */
    size_t n_geo_dbs;
    uint64_t incident_window_s;          /* store.incident-window */
    enum vg_store_flows flows;           /* store.flows */
    uint32_t batch_rows;                 /* commit early when this many rows wait (0: 20000) */
} vg_store_run_info_t;

/* Starts a run (its row, status 'running'). Returns the run id, -1 on error (err). */
int64_t vg_store_begin_run(vg_store_t *s, const vg_store_run_info_t *ri, char *err, size_t err_len);

/* Sink functions (engine.h vg_sink_t): one EVE line; make everything so far durable. Errors are
 * logged with the store path and the SQLite message; non-zero then. */
int vg_store_sink_event(void *s, const char *line, size_t len);
int vg_store_sink_commit(void *s, bool final);

typedef struct vg_store_run_end {
    /* The captures, when they were not known at vg_store_begin_run (hashed during the run). */
    const vg_store_capture_t *captures;
    size_t n_captures;
    uint64_t packets, bytes;
    uint64_t first_ts, last_ts;          /* packet time, microseconds since the epoch */
    int capture_errors;
    bool failed;                          /* the run did not finish (sink or write error) */
} vg_store_run_end_t;

typedef struct vg_store_run_summary {
    int64_t run_id;
    int64_t superseded_run;               /* 0: none */
    uint64_t alerts, incidents, flows;    /* rows this run stored (incidents: new ones) */
    uint64_t incidents_continued;         /* incidents of earlier runs this run's alerts continued */
    uint64_t lines_skipped;               /* EVE lines the store could not use (logged) */
    bool overlap_warning;                 /* shares some (not all) captures with a counted run */
} vg_store_run_summary_t;

/* Ends the run in one transaction: run totals, status, rerun rule. */
int vg_store_end_run(vg_store_t *s, const vg_store_run_end_t *e, vg_store_run_summary_t *out,
                     char *err, size_t err_len);

/* SHA-256 of a file's content as 64 hex digits. -1 with err on a read error. */
int vg_store_sha256_file(const char *path, char out[65], uint64_t *size, char *err, size_t err_len);

/* "2023-11-14T22:13:35.003000+0000" (also 'Z', "+00:00", no fraction, a date alone) →
 * microseconds since the epoch (UTC). false when not a timestamp. */
bool vg_store_parse_time(const char *s, size_t n, int64_t *us);

/* Signature family of an alert: metadata malware_family / signature_family first value when
 * given, else the message without trailing variant markers (" M2", " 3", "(Inbound)",
 * "- 2"). Writes at most outlen-1 bytes. */
void vg_store_family(const char *msg, const char *meta_family, char *out, size_t outlen);

#endif
