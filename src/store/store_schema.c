/* store_schema.c — the store's schema, its versions and the migrations between them.
 *
 * schema_version holds one row per applied version. A store made by a newer Vigil (a version
 * above VG_STORE_SCHEMA_VERSION) is refused, never written. Migrations run in one transaction
 * each, so a store is always at exactly one version. */
#include "store/store_int.h"

#include <stdio.h>
#include <string.h>

/* Version 1: runs, captures, signatures, incidents, alerts, flows. */
const char *const vg_store_schema_v1 =
    "CREATE TABLE schema_version(version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL,"
    " vigil_version TEXT NOT NULL);"
    "CREATE TABLE runs(id INTEGER PRIMARY KEY, sensor TEXT NOT NULL, vigil_version TEXT,"
    " logdir TEXT, started_at TEXT NOT NULL, finished_at TEXT,"
    " status TEXT NOT NULL CHECK(status IN ('running','complete','partial','failed','superseded')),"
    " superseded_by INTEGER, capture_set TEXT NOT NULL, first_ts INTEGER, last_ts INTEGER,"
    " packets INTEGER NOT NULL DEFAULT 0, bytes INTEGER NOT NULL DEFAULT 0,"
    " drops INTEGER NOT NULL DEFAULT 0, flows INTEGER NOT NULL DEFAULT 0,"
    " gaps INTEGER NOT NULL DEFAULT 0, rules_loaded INTEGER, rules_failed INTEGER,"
    " geo_dbs TEXT, incident_window INTEGER NOT NULL, stats TEXT);"
    "CREATE TABLE captures(id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL REFERENCES runs(id),"
    " path TEXT NOT NULL, sha256 TEXT NOT NULL, size INTEGER NOT NULL);"
    "CREATE INDEX captures_sha ON captures(sha256);"
    "CREATE TABLE signatures(id INTEGER PRIMARY KEY, gid INTEGER NOT NULL, sid INTEGER NOT NULL,"
    " rev INTEGER NOT NULL, msg TEXT NOT NULL, classtype TEXT, severity INTEGER, family TEXT NOT NULL,"
    " cves TEXT, UNIQUE(gid, sid, rev, msg));"
    "CREATE TABLE incidents(id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL, category TEXT NOT NULL,"
    " attacker_ip TEXT NOT NULL, victim_ip TEXT NOT NULL, family TEXT NOT NULL,"
    " start_ts INTEGER NOT NULL, end_ts INTEGER NOT NULL, alerts INTEGER NOT NULL,"
    " first_alert INTEGER NOT NULL, last_alert INTEGER NOT NULL);"
    "CREATE INDEX incidents_run ON incidents(run_id);"
    "CREATE TABLE alerts(id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL, ts INTEGER NOT NULL,"
    " sig_id INTEGER NOT NULL REFERENCES signatures(id), category TEXT NOT NULL,"
    " counted INTEGER NOT NULL, certainty TEXT, role_by TEXT, action TEXT, proto TEXT,"
    " app_proto TEXT, src_ip TEXT, src_port INTEGER, dest_ip TEXT, dest_port INTEGER,"
    " flow_id INTEGER, community_id TEXT,"
    " attacker_ip TEXT, attacker_port INTEGER, attacker_home INTEGER, attacker_country TEXT,"
    " attacker_asn INTEGER, attacker_org TEXT,"
    " victim_ip TEXT, victim_port INTEGER, victim_home INTEGER, victim_country TEXT,"
    " victim_asn INTEGER, victim_org TEXT, incident_id INTEGER);"
    "CREATE INDEX alerts_run ON alerts(run_id);"
    "CREATE INDEX alerts_ts ON alerts(ts);"
    "CREATE TABLE flows(id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL, flow_id INTEGER,"
    " start_ts INTEGER, end_ts INTEGER, proto TEXT, app_proto TEXT, src_ip TEXT, src_port INTEGER,"
    " dest_ip TEXT, dest_port INTEGER, pkts_toserver INTEGER, pkts_toclient INTEGER,"
    " bytes_toserver INTEGER, bytes_toclient INTEGER, state TEXT, reason TEXT,"
    " alerted INTEGER, community_id TEXT);"
    "CREATE INDEX flows_run ON flows(run_id);";

/* Version 2: an evidence reference on each alert (the evidence ledger, docs/STORE.md). */
static const char *const schema_v2 =
    "ALTER TABLE alerts ADD COLUMN evidence_ref TEXT;"
    "ALTER TABLE alerts ADD COLUMN evidence_sha256 TEXT;";

/* Version 3: aggregates kept at insert time for `vigil report` (docs/STORE.md, "Rollups").
 * alert_dims holds (at least once) each distinct combination of the alert columns the report groups and counts
 * by (country, ASN and organisation normalised as the report shows them); alert_rollup counts
 * the alerts of each (run, UTC day, combination, incident) with their first/last id and time.
 * The migration builds both from the alerts already stored. The day of an alert is
 * floor(trunc(ts / 1e6) / 86400): the day strftime() gives for ts/1000000. The index of
 * alerts by run is dropped: a run's alerts lie between the first and last alert ids of its
 * rollup cells. */
#define DAY_OF(ts) "((" ts ")/1000000 - ((((" ts ")/1000000) % 86400) + 86400) % 86400) / 86400"
static const char *const schema_v3 =
    "CREATE TABLE alert_dims(id INTEGER PRIMARY KEY, sig_id INTEGER NOT NULL, category TEXT NOT NULL,"
    " counted INTEGER NOT NULL, certainty TEXT, role_by TEXT, proto TEXT, app_proto TEXT,"
    " attacker_ip TEXT, attacker_home INTEGER, attacker_country TEXT NOT NULL,"
    " attacker_asn INTEGER NOT NULL, attacker_org TEXT NOT NULL, victim_ip TEXT,"
    " victim_port INTEGER, victim_home INTEGER);"
    "CREATE INDEX alert_dims_key ON alert_dims(attacker_ip, victim_ip, sig_id);" /* dropped below */
    "CREATE TABLE alert_rollup(run_id INTEGER NOT NULL, day INTEGER NOT NULL, dim INTEGER NOT NULL,"
    " incident_id INTEGER NOT NULL, alerts INTEGER NOT NULL, first_alert INTEGER NOT NULL,"
    " last_alert INTEGER NOT NULL, first_ts INTEGER NOT NULL, last_ts INTEGER NOT NULL,"
    " PRIMARY KEY(run_id, day, dim, incident_id)) WITHOUT ROWID;"
    "INSERT INTO alert_dims(sig_id, category, counted, certainty, role_by, proto, app_proto,"
    " attacker_ip, attacker_home, attacker_country, attacker_asn, attacker_org, victim_ip,"
    " victim_port, victim_home) SELECT DISTINCT sig_id, category, counted, certainty, role_by,"
    " proto, app_proto, attacker_ip, attacker_home, coalesce(nullif(attacker_country,''),'\?\?'),"
    " coalesce(attacker_asn,0), coalesce(attacker_org,''), victim_ip, victim_port, victim_home"
    " FROM alerts;"
    "INSERT INTO alert_rollup SELECT a.run_id, " DAY_OF("a.ts") ", d.id, coalesce(a.incident_id,0),"
    " count(*), min(a.id), max(a.id), min(a.ts), max(a.ts) FROM alerts a JOIN alert_dims d"
    " ON d.attacker_ip IS a.attacker_ip AND d.victim_ip IS a.victim_ip AND d.sig_id=a.sig_id"
    " AND d.category=a.category AND d.counted=a.counted AND d.certainty IS a.certainty"
    " AND d.role_by IS a.role_by AND d.proto IS a.proto AND d.app_proto IS a.app_proto"
    " AND d.attacker_home IS a.attacker_home"
    " AND d.attacker_country=coalesce(nullif(a.attacker_country,''),'\?\?')"
    " AND d.attacker_asn=coalesce(a.attacker_asn,0) AND d.attacker_org=coalesce(a.attacker_org,'')"
    " AND d.victim_port IS a.victim_port AND d.victim_home IS a.victim_home"
    " GROUP BY 1, 2, 3, 4;"
    "DROP INDEX alert_dims_key;"
    /* A run's alerts are found through its rollup cells (their id range); one index less to
     * keep on every insert. */
    "DROP INDEX IF EXISTS alerts_run;"
    /* Incidents continue across runs: those of ended runs are found by key and time. A run's
     * incidents enter the index at its end (keyed=1), in one go, not at every commit. */
    "ALTER TABLE incidents ADD COLUMN keyed INTEGER NOT NULL DEFAULT 0;"
    "UPDATE incidents SET keyed=1;"
    "CREATE INDEX incidents_key ON incidents(attacker_ip, victim_ip, category, family, end_ts)"
    " WHERE keyed=1;";

static const char *const migrations[VG_STORE_SCHEMA_VERSION + 1] = {
    [1] = NULL, /* vg_store_schema_v1 (not a constant expression) */
    [2] = schema_v2,
    [3] = schema_v3,
};

int vg_store_read_version(sqlite3 *db, int *version, char *err, size_t err_len)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db,
                                "SELECT count(*) FROM sqlite_master WHERE type='table' AND "
                                "name='schema_version'",
                                -1, &st, NULL);
    if (rc != SQLITE_OK || sqlite3_step(st) != SQLITE_ROW) {
        snprintf(err, err_len, "%s", sqlite3_errmsg(db));
        sqlite3_finalize(st);
        return -1;
    }
    int has = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    if (!has) {
        /* Tables but no version table: not a Vigil store. */
        if (sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_master", -1, &st, NULL) !=
                SQLITE_OK ||
            sqlite3_step(st) != SQLITE_ROW) {
            snprintf(err, err_len, "%s", sqlite3_errmsg(db));
            sqlite3_finalize(st);
            return -1;
        }
        int n = sqlite3_column_int(st, 0);
        sqlite3_finalize(st);
        if (n) {
            snprintf(err, err_len, "an SQLite database but not a Vigil store (no schema_version)");
            return -1;
        }
        *version = 0;
        return 0;
    }
    if (sqlite3_prepare_v2(db, "SELECT coalesce(max(version),0) FROM schema_version", -1, &st,
                           NULL) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW) {
        snprintf(err, err_len, "%s", sqlite3_errmsg(db));
        sqlite3_finalize(st);
        return -1;
    }
    *version = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return 0;
}

static int apply(sqlite3 *db, int version, const char *sql, char *err, size_t err_len)
{
    char *msg = NULL;
    if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, &msg) != SQLITE_OK)
        goto fail;
    /* Someone else may have migrated while we waited for the lock. */
    int cur;
    if (vg_store_read_version(db, &cur, err, err_len)) {
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
        return -1;
    }
    if (cur >= version) {
        if (sqlite3_exec(db, "COMMIT", NULL, NULL, &msg) != SQLITE_OK)
            goto fail;
        return 0;
    }
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
        goto fail_rb;
    char ins[256];
    snprintf(ins, sizeof ins,
             "INSERT INTO schema_version VALUES(%d, strftime('%%Y-%%m-%%dT%%H:%%M:%%SZ','now'), '%s')",
             version, VG_VERSION);
    if (sqlite3_exec(db, ins, NULL, NULL, &msg) != SQLITE_OK)
        goto fail_rb;
    if (sqlite3_exec(db, "COMMIT", NULL, NULL, &msg) != SQLITE_OK)
        goto fail_rb;
    return 0;
fail_rb:
    sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
fail:
    snprintf(err, err_len, "migration to schema %d failed: %s", version,
             msg ? msg : sqlite3_errmsg(db));
    sqlite3_free(msg);
    return -1;
}

int vg_store_migrate(sqlite3 *db, int from, int to, char *err, size_t err_len)
{
    for (int v = from + 1; v <= to; v++) {
        const char *sql = v == 1 ? vg_store_schema_v1 : migrations[v];
        if (apply(db, v, sql, err, err_len))
            return -1;
    }
    return 0;
}
