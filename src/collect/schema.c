/* schema.c — the PostgreSQL schema and its migrations (docs/SCALE.md has the tables).
 *
 * vigil_schema holds the version; each migration runs in one transaction under an advisory
 * lock, so collectors starting together migrate once. A database from a newer vigil is refused.
 */
#include "collect/collect.h"
#include "collect/collect_int.h"
#include "common/common.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const MIGRATIONS[] = {
    /* 1: events partitioned by day; per-sensor progress; the alert rollup */
    "CREATE TABLE events ("
    "  ts timestamptz NOT NULL,"
    "  sensor text NOT NULL,"
    "  seq bigint NOT NULL,"
    "  event_type text NOT NULL,"
    "  src_ip inet, src_port integer, dest_ip inet, dest_port integer, proto text,"
    "  signature_id bigint, signature text, category text, severity integer,"
    "  vigil_category text, counted boolean,"
    "  attacker_ip inet, attacker_country text, victim_country text,"
    "  event jsonb NOT NULL,"
    /* the partition key must be in a unique key; an event's ts never changes, so this is
     * unique on (sensor, seq) */
    "  UNIQUE (sensor, seq, ts)"
    ") PARTITION BY RANGE (ts);"
    "CREATE INDEX events_ts ON events (ts);"
    "CREATE INDEX events_alerts ON events (sensor, ts) WHERE event_type = 'alert';"
    /* committed: every seq <= committed is in events (or expired); ranges: committed runs
     * above it not yet joined to it (collectors commit batches out of order) */
    "CREATE TABLE sensors ("
    "  sensor text PRIMARY KEY,"
    "  committed bigint NOT NULL DEFAULT 0,"
    "  events bigint NOT NULL DEFAULT 0,"
    "  last_commit timestamptz);"
    "CREATE TABLE sensor_ranges ("
    "  sensor text NOT NULL REFERENCES sensors(sensor),"
    "  lo bigint NOT NULL, hi bigint NOT NULL,"
    "  PRIMARY KEY (sensor, lo));"
    "CREATE TABLE alert_daily ("
    "  day date NOT NULL, sensor text NOT NULL, signature_id bigint NOT NULL,"
    "  signature text NOT NULL, category text NOT NULL, vigil_category text NOT NULL,"
    "  attacker_country text NOT NULL, alerts bigint NOT NULL, counted bigint NOT NULL,"
    "  PRIMARY KEY (day, sensor, signature_id, signature, category, vigil_category,"
    "               attacker_country));",
    /* 2: cheaper ingest. The whole event is kept as json (validated text, stored as sent)
     * rather than jsonb (parsed into a binary tree on every insert: half of PostgreSQL's CPU
     * per event); the columns above carry what is queried. ts is indexed with BRIN: events
     * arrive in about time order, and a BRIN index costs next to nothing to keep. */
    "ALTER TABLE events ALTER COLUMN event TYPE json USING event::json;"
    "DROP INDEX events_ts;"
    "CREATE INDEX events_ts ON events USING brin (ts);",
    /* 3: what `vigil report --pg` reads, in the SQLite store's shape (docs/SCALE.md, "What the
     * report reads"): alerts with the store's columns, signatures, incidents, and the rollup
     * cells alert_dims / alert_rollup, kept by the collector in each batch's transaction
     * (derive.c). Each sensor is the report's "run" (runs is a view over sensors: until
     * schema 4 the sensors ship no run records). Text compares bytewise (COLLATE "C"), as in
     * SQLite. Alerts already stored are derived by the migration (vg_collect_migrate). */
    "ALTER TABLE sensors ADD COLUMN id bigserial UNIQUE, ADD COLUMN first_ts bigint,"
    "  ADD COLUMN last_ts bigint, ADD COLUMN incident_window bigint NOT NULL DEFAULT 3600;"
    "CREATE TABLE signatures (id bigserial PRIMARY KEY, gid bigint NOT NULL, sid bigint NOT NULL,"
    "  rev bigint NOT NULL, msg text COLLATE \"C\" NOT NULL, classtype text COLLATE \"C\","
    "  severity integer, family text COLLATE \"C\" NOT NULL, cves text COLLATE \"C\","
    "  UNIQUE (gid, sid, rev, msg));"
    "CREATE TABLE alerts (id bigint PRIMARY KEY, run_id bigint NOT NULL,"
    "  sensor text NOT NULL, seq bigint NOT NULL, ts bigint NOT NULL, sig_id bigint NOT NULL,"
    "  category text COLLATE \"C\" NOT NULL, counted integer NOT NULL,"
    "  certainty text COLLATE \"C\", role_by text COLLATE \"C\", action text COLLATE \"C\","
    "  proto text COLLATE \"C\", app_proto text COLLATE \"C\", src_ip text COLLATE \"C\","
    "  src_port bigint, dest_ip text COLLATE \"C\", dest_port bigint, flow_id bigint,"
    "  community_id text COLLATE \"C\", attacker_ip text COLLATE \"C\", attacker_port bigint,"
    "  attacker_home integer, attacker_country text COLLATE \"C\", attacker_asn bigint,"
    "  attacker_org text COLLATE \"C\", victim_ip text COLLATE \"C\", victim_port bigint,"
    "  victim_home integer, victim_country text COLLATE \"C\", victim_asn bigint,"
    "  victim_org text COLLATE \"C\", incident_id bigint,"
    "  evidence_ref text COLLATE \"C\", evidence_sha256 text COLLATE \"C\","
    "  UNIQUE (sensor, seq));"
    "CREATE INDEX alerts_ts ON alerts (ts);"
    "CREATE TABLE incidents (id bigint PRIMARY KEY, run_id bigint NOT NULL,"
    "  category text COLLATE \"C\" NOT NULL, attacker_ip text COLLATE \"C\" NOT NULL,"
    "  victim_ip text COLLATE \"C\" NOT NULL, family text COLLATE \"C\" NOT NULL,"
    "  start_ts bigint NOT NULL, end_ts bigint NOT NULL, alerts bigint NOT NULL,"
    "  first_alert bigint NOT NULL, last_alert bigint NOT NULL);"
    "CREATE INDEX incidents_key ON incidents (category, attacker_ip, victim_ip, family, end_ts);"
    "CREATE TABLE alert_dims (id bigserial PRIMARY KEY, sig_id bigint NOT NULL,"
    "  category text COLLATE \"C\" NOT NULL, counted integer NOT NULL,"
    "  certainty text COLLATE \"C\", role_by text COLLATE \"C\", proto text COLLATE \"C\","
    "  app_proto text COLLATE \"C\", attacker_ip text COLLATE \"C\", attacker_home integer,"
    "  attacker_country text COLLATE \"C\" NOT NULL, attacker_asn bigint NOT NULL,"
    "  attacker_org text COLLATE \"C\" NOT NULL, victim_ip text COLLATE \"C\","
    "  victim_port bigint, victim_home integer);"
    "CREATE TABLE alert_rollup (run_id bigint NOT NULL, day bigint NOT NULL, dim bigint NOT NULL,"
    "  incident_id bigint NOT NULL, alerts bigint NOT NULL, first_alert bigint NOT NULL,"
    "  last_alert bigint NOT NULL, first_ts bigint NOT NULL, last_ts bigint NOT NULL,"
    "  PRIMARY KEY (run_id, day, dim, incident_id));"
    /* the sensors shipped no run records (packets, captures, rules) before schema 4 */
    "CREATE TABLE captures (id bigserial PRIMARY KEY, run_id bigint NOT NULL,"
    "  path text COLLATE \"C\" NOT NULL, sha256 text COLLATE \"C\" NOT NULL, size bigint NOT NULL);"
    "CREATE VIEW runs AS SELECT id, sensor COLLATE \"C\" AS sensor, NULL::text AS vigil_version,"
    "  NULL::text AS logdir, NULL::text AS started_at, NULL::text AS finished_at,"
    "  'complete'::text AS status, NULL::bigint AS superseded_by, ''::text AS capture_set,"
    "  first_ts, last_ts, 0::bigint AS packets, 0::bigint AS bytes, 0::bigint AS drops,"
    "  0::bigint AS flows, 0::bigint AS gaps, NULL::integer AS rules_loaded,"
    "  NULL::integer AS rules_failed, NULL::text AS geo_dbs, incident_window, NULL::text AS stats"
    "  FROM sensors;"
    "UPDATE sensors s SET first_ts = x.lo, last_ts = x.hi FROM (SELECT sensor,"
    "  (extract(epoch FROM min(ts)) * 1000000)::bigint AS lo,"
    "  (extract(epoch FROM max(ts)) * 1000000)::bigint AS hi FROM events GROUP BY sensor) x"
    "  WHERE x.sensor = s.sensor;",
    /* 4: the sensors' run records (start and end of each `vigil read`/`live` run, shipped in
     * the sensor's sequence as events of type vigil_run; docs/SCALE.md "Run records"). A run is
     * the sensor's events from its start record to its end record: alerts carry its id, so the
     * report's runs, captures, packets, drops, rules and geo databases are the sensors' own,
     * and the rerun rule supersedes an earlier run of a sensor with the same capture set
     * (derive.c, vg_collect_run_record). Run ids come from the sensors' id sequence, so the
     * sensor's own id stays free for its events shipped without run records (an older sensor,
     * a store from before this version): those form one run per sensor as in schema 3
     * (sensors.unrecorded), shown by the runs view with the sensor's event span. */
    "DROP VIEW runs;"
    "CREATE TABLE run_records (id bigint PRIMARY KEY DEFAULT nextval('sensors_id_seq'),"
    "  sensor text COLLATE \"C\" NOT NULL, start_seq bigint NOT NULL, end_seq bigint,"
    "  vigil_version text COLLATE \"C\", logdir text COLLATE \"C\","
    "  started_at text COLLATE \"C\", finished_at text COLLATE \"C\","
    "  status text COLLATE \"C\" NOT NULL, superseded_by bigint,"
    "  capture_set text COLLATE \"C\" NOT NULL DEFAULT '', first_ts bigint, last_ts bigint,"
    "  packets bigint NOT NULL DEFAULT 0, bytes bigint NOT NULL DEFAULT 0,"
    "  drops bigint NOT NULL DEFAULT 0, flows bigint NOT NULL DEFAULT 0,"
    "  gaps bigint NOT NULL DEFAULT 0, rules_loaded integer, rules_failed integer,"
    "  geo_dbs text COLLATE \"C\", stats text COLLATE \"C\","
    "  UNIQUE (sensor, start_seq));"
    "CREATE INDEX captures_run ON captures (run_id);"
    "ALTER TABLE sensors ADD COLUMN unrecorded boolean NOT NULL DEFAULT false;"
    "UPDATE sensors SET unrecorded = true;"
    /* a number or a string of a run record, NULL when absent or of another type */
    "CREATE FUNCTION vigil_jint(j json, k text) RETURNS bigint LANGUAGE sql IMMUTABLE AS"
    "  $$ SELECT CASE WHEN json_typeof(j->k) = 'number' AND abs((j->>k)::numeric) < 9e18"
    "  THEN trunc((j->>k)::numeric)::bigint END $$;"
    "CREATE FUNCTION vigil_jtext(j json, k text) RETURNS text LANGUAGE sql IMMUTABLE AS"
    "  $$ SELECT CASE WHEN json_typeof(j->k) = 'string' THEN j->>k END $$;"
    "CREATE VIEW runs AS SELECT r.id, r.sensor, r.vigil_version, r.logdir, r.started_at,"
    "  r.finished_at, r.status, r.superseded_by, r.capture_set, r.first_ts, r.last_ts,"
    "  r.packets, r.bytes, r.drops, r.flows, r.gaps, r.rules_loaded, r.rules_failed,"
    "  r.geo_dbs, s.incident_window, r.stats"
    "  FROM run_records r JOIN sensors s ON s.sensor = r.sensor"
    " UNION ALL SELECT id, sensor COLLATE \"C\", NULL, NULL, NULL, NULL, 'complete', NULL, '',"
    "  first_ts, last_ts, 0, 0, 0, 0, 0, NULL, NULL, NULL, incident_window, NULL"
    "  FROM sensors s WHERE s.unrecorded"
    "  OR NOT EXISTS (SELECT 1 FROM run_records r WHERE r.sensor = s.sensor);",
};
#define N_MIGRATIONS (sizeof MIGRATIONS / sizeof MIGRATIONS[0])
_Static_assert(N_MIGRATIONS == VG_COLLECT_SCHEMA_VERSION, "one migration per schema version");

static int exec_ok(PGconn *pg, const char *sql, char *err, size_t err_len)
{
    PGresult *r = PQexec(pg, sql);
    ExecStatusType t = PQresultStatus(r);
    if (t != PGRES_COMMAND_OK && t != PGRES_TUPLES_OK) {
        snprintf(err, err_len, "postgresql: %s", PQresultErrorMessage(r));
        size_t n = strlen(err);
        while (n && err[n - 1] == '\n')
            err[--n] = '\0';
        PQclear(r);
        return -1;
    }
    PQclear(r);
    return 0;
}

/* Schema 3 for a store that has alerts already: each is derived as the collector would have,
 * sensor by sensor in sequence order (in the migration's transaction). */
static int backfill_v3(PGconn *pg, char *err, size_t err_len)
{
    if (exec_ok(pg, "CREATE TEMP TABLE IF NOT EXISTS rstage (LIKE alert_rollup) ON COMMIT DROP;"
                    "DECLARE vg_backfill NO SCROLL CURSOR FOR SELECT e.sensor, e.seq, s.id,"
                    " e.event::text FROM events e JOIN sensors s ON s.sensor = e.sensor"
                    " WHERE e.event_type = 'alert' ORDER BY e.sensor, e.seq",
                err, err_len))
        return -1;
    vg_derive_cache_t *dc = vg_derive_cache_new();
    int rc = 0;
    for (;;) {
        PGresult *r = PQexec(pg, "FETCH 5000 FROM vg_backfill");
        if (PQresultStatus(r) != PGRES_TUPLES_OK) {
            snprintf(err, err_len, "postgresql: %s", PQresultErrorMessage(r));
            PQclear(r);
            rc = -1;
            break;
        }
        int n = PQntuples(r);
        if (!n) {
            PQclear(r);
            break;
        }
        vg_derive_in_t *in = vg_xcalloc((size_t)n, sizeof *in);
        for (int i = 0; i < n; i++)
            in[i] = (vg_derive_in_t){.sensor = PQgetvalue(r, i, 0),
                                     .seq = strtoull(PQgetvalue(r, i, 1), NULL, 10),
                                     .run = strtoll(PQgetvalue(r, i, 2), NULL, 10),
                                     .raw = PQgetvalue(r, i, 3),
                                     .len = (size_t)PQgetlength(r, i, 3)};
        rc = vg_collect_derive(pg, dc, in, (size_t)n, VG_COLLECT_INCIDENT_WINDOW_US, err, err_len);
        free(in);
        PQclear(r);
        if (rc)
            break;
    }
    vg_derive_cache_free(dc);
    if (!rc)
        rc = exec_ok(pg, "CLOSE vg_backfill", err, err_len);
    return rc;
}

int vg_collect_migrate(PGconn *pg, char *err, size_t err_len)
{
    if (exec_ok(pg, "BEGIN; SELECT pg_advisory_xact_lock(7341200);"
                    "CREATE TABLE IF NOT EXISTS vigil_schema (version integer NOT NULL);",
                err, err_len))
        goto fail;
    PGresult *r = PQexec(pg, "SELECT coalesce(max(version), 0) FROM vigil_schema");
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        snprintf(err, err_len, "postgresql: %s", PQresultErrorMessage(r));
        PQclear(r);
        goto fail;
    }
    int v = atoi(PQgetvalue(r, 0, 0));
    PQclear(r);
    if (v > VG_COLLECT_SCHEMA_VERSION) {
        snprintf(err, err_len,
                 "postgresql: the database has schema version %d, newer than this vigil's %d: "
                 "use a newer vigil", v, VG_COLLECT_SCHEMA_VERSION);
        goto fail;
    }
    for (int i = v; i < VG_COLLECT_SCHEMA_VERSION; i++) {
        char sql[128];
        if (exec_ok(pg, MIGRATIONS[i], err, err_len))
            goto fail;
        if (i + 1 == 3 && backfill_v3(pg, err, err_len))
            goto fail;
        snprintf(sql, sizeof sql, "DELETE FROM vigil_schema; INSERT INTO vigil_schema VALUES (%d)",
                 i + 1);
        if (exec_ok(pg, sql, err, err_len))
            goto fail;
    }
    return exec_ok(pg, "COMMIT", err, err_len);
fail:
    PQclear(PQexec(pg, "ROLLBACK"));
    return -1;
}
