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

/* --- Reading a store: one interface, two back-ends --------------------------------------------
 *
 * `vigil report` and `vigil serve` read through a vg_store_reader_t: the SQLite store above, or
 * the central PostgreSQL database that `vigil collect` fills (its schema mirrors the tables the
 * report reads: runs, captures, signatures, alerts, incidents, alert_dims, alert_rollup;
 * docs/SCALE.md). Queries are written once, in SQL both engines accept, with a few macros for
 * what differs (vg_sql_translate); the back-end runs them and hands back typed cells. */

enum vg_rkind { VG_RK_NULL, VG_RK_INT, VG_RK_REAL, VG_RK_TEXT };

typedef struct vg_rcell {
    enum vg_rkind kind;
    int64_t i;
    double d;
    char *s;
} vg_rcell_t;

typedef enum vg_sql_dialect { VG_SQL_SQLITE, VG_SQL_PG } vg_sql_dialect_t;

/* The schema version of the PostgreSQL store the report reads (src/collect/schema.c). */
#define VG_STORE_PG_SCHEMA_VERSION 4

typedef struct vg_store_reader vg_store_reader_t;

/* Called once with vals NULL (the n column names), then once per result row with its values;
 * both valid during the call. A non-zero return stops the query and is returned by it. */
typedef int (*vg_store_row_fn)(void *ctx, size_t n, const char *const *names,
                               const vg_rcell_t *vals);

/* A reader over an open SQLite store connection (closed with the reader when own). */
vg_store_reader_t *vg_store_reader_sqlite(struct sqlite3 *db, bool own, const char *label);
/* A reader over PostgreSQL (libpq connection string or URI). NULL with a one-line reason
 * naming PostgreSQL in err: bad DSN, server down, authentication. */
vg_store_reader_t *vg_store_reader_pg(const char *dsn, char *err, size_t err_len);
void vg_store_reader_close(vg_store_reader_t *r); /* NULL is a no-op */
vg_sql_dialect_t vg_store_reader_dialect(const vg_store_reader_t *r);
/* "store PATH" / "postgresql DB@HOST": names the store in messages. */
const char *vg_store_reader_label(const vg_store_reader_t *r);
/* 0 when the store can be read by this vigil; -1 with a one-line reason (empty, not a Vigil
 * store, older or newer schema). */
int vg_store_reader_check(vg_store_reader_t *r, char *err, size_t err_len);
/* Runs statements written with the macros of vg_sql_translate. -1 with err. */
int vg_store_reader_exec(vg_store_reader_t *r, const char *sql, char *err, size_t err_len);
/* Runs one query (macros translated), calling fn for each row. -1 with err on an SQL error,
 * else fn's non-zero return, else 0. */
int vg_store_reader_query(vg_store_reader_t *r, const char *sql, vg_store_row_fn fn, void *ctx,
                          char *err, size_t err_len);
/* The same with bound parameters: sql has a `?` (outside literals) for each of params (INT,
 * TEXT or NULL cells), in order; vg_sql_translate numbers them ($1, $2, ...) for PostgreSQL. */
int vg_store_reader_query_p(vg_store_reader_t *r, const char *sql, const vg_rcell_t *params,
                            size_t n_params, vg_store_row_fn fn, void *ctx, char *err,
                            size_t err_len);
/* The first column of the first row as an integer (0 when none). -1 with err. */
int vg_store_reader_i64(vg_store_reader_t *r, const char *sql, int64_t *out, char *err,
                        size_t err_len);

/* The query builder's dialect hooks. sql uses, outside quoted literals:
 *   @M.table  a table of the store ("main." in SQLite);   @T.name  a temporary object
 *   @iso(us)  microseconds → "YYYY-MM-DDTHH:MM:SSZ";      @hour(us) @day(us) @month(us): buckets
 *   @list(x)  distinct non-NULL values, sorted, joined by ',' (NULL for none)
 *   @gconcat(x, sep)  values joined by sep;               @gconcat_distinct(x): by ','
 *   @greatest(a, b) @least(a, b)   scalar max / min;      @fmt(f, ...)  printf-style with %s
 *   @jeach(json_array, alias)  FROM item: alias.value for each element of a JSON array of text
 *   @csv_each(text, alias)     FROM item: alias.value for each item of a comma-separated list
 *   ?         a bound parameter (PostgreSQL: $1, $2, ... in order)
 * Returns a malloc'd string. */
char *vg_sql_translate(vg_sql_dialect_t d, const char *sql);
/* Appends s as an SQL string literal ('...' with quotes doubled; valid in both dialects). */
struct vg_buf;
void vg_sql_quote(struct vg_buf *b, const char *s);

#endif
