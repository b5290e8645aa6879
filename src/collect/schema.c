/* schema.c — the PostgreSQL schema and its migrations (docs/SCALE.md has the tables).
 *
 * vigil_schema holds the version; each migration runs in one transaction under an advisory
 * lock, so collectors starting together migrate once. A database from a newer vigil is refused.
 */
#include "collect/collect.h"

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
