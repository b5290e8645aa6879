/* test_store.c — the event store: schema and version table, migration from schema 1, refusal of
 * newer/foreign/garbage files, batched commits as the durability point, incident windowing,
 * alert columns (roles, geo, evidence), the rerun rule, time and family parsing. */
#include "store_fixture.h"
#include "store/store_int.h"
#include "store/store_json.h"

#include <sys/stat.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

static int64_t q1(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int64_t v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

static char *qs(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    const unsigned char *t = sqlite3_column_text(st, 0);
    char *v = strdup(t ? (const char *)t : "(null)");
    sqlite3_finalize(st);
    return v;
}

static void test_schema_created(void **st)
{
    (void)st;
    char path[256], err[256];
    fx_tmp_store(path, sizeof path);
    vg_store_t *s = vg_store_open(path, true, err, sizeof err);
    assert_non_null(s);
    assert_int_equal(vg_store_schema_version(s), VG_STORE_SCHEMA_VERSION);
    sqlite3 *db = vg_store_db(s);
    assert_int_equal(q1(db, "SELECT count(*) FROM schema_version"), VG_STORE_SCHEMA_VERSION);
    char *jm = qs(db, "PRAGMA journal_mode");
    assert_string_equal(jm, "wal");
    free(jm);
    const char *tables[] = {"runs", "captures", "signatures", "incidents", "alerts", "flows"};
    for (size_t i = 0; i < 6; i++) {
        char q[128];
        snprintf(q, sizeof q, "SELECT count(*) FROM sqlite_master WHERE type='table' AND name='%s'",
                 tables[i]);
        assert_int_equal(q1(db, q), 1);
    }
    vg_store_close(s);
    /* reopening neither fails nor re-applies anything */
    s = vg_store_open(path, false, err, sizeof err);
    assert_non_null(s);
    assert_int_equal(q1(vg_store_db(s), "SELECT count(*) FROM schema_version"),
                     VG_STORE_SCHEMA_VERSION);
    vg_store_close(s);
}

static void test_migration_from_v1(void **st)
{
    (void)st;
    char path[256], err[256];
    fx_tmp_store(path, sizeof path);
    sqlite3 *db = vg_store_open_db(path, true, false, err, sizeof err);
    assert_non_null(db);
    assert_int_equal(vg_store_migrate(db, 0, 1, err, sizeof err), 0);
    /* a schema-1 store with one run and one alert */
    assert_int_equal(sqlite3_exec(db,
        "INSERT INTO runs(id,sensor,started_at,status,capture_set,incident_window) VALUES(1,'old','x','complete','abc',60);"
        "INSERT INTO signatures(id,gid,sid,rev,msg,family) VALUES(1,1,7,1,'OLD','OLD');"
        "INSERT INTO alerts(run_id,ts,sig_id,category,counted,attacker_ip,victim_ip) VALUES(1,5,1,'scanning',1,'1.2.3.4','10.0.0.1');",
        NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    vg_store_t *s = vg_store_open(path, false, err, sizeof err);
    assert_non_null(s);
    assert_int_equal(vg_store_schema_version(s), VG_STORE_SCHEMA_VERSION);
    db = vg_store_db(s);
    assert_int_equal(q1(db, "SELECT count(*) FROM alerts WHERE attacker_ip='1.2.3.4' AND evidence_ref IS NULL"), 1);
    assert_int_equal(q1(db, "SELECT count(*) FROM pragma_table_info('alerts') WHERE name IN ('evidence_ref','evidence_sha256')"), 2);
    /* version 3 built the rollups of the alerts already there (country, ASN, organisation
     * normalised; no incident id → 0) */
    assert_int_equal(q1(db, "SELECT count(*) FROM alert_dims WHERE attacker_ip='1.2.3.4' AND "
                            "attacker_country='\?\?' AND attacker_asn=0 AND attacker_org=''"), 1);
    assert_int_equal(q1(db, "SELECT count(*) FROM alert_rollup r JOIN alert_dims d ON d.id=r.dim "
                            "WHERE r.run_id=1 AND r.day=0 AND r.incident_id=0 AND r.alerts=1 AND "
                            "r.first_ts=5 AND d.victim_ip='10.0.0.1'"), 1);
    vg_store_close(s);
}

static void test_refusals(void **st)
{
    (void)st;
    char path[256], err[512];
    /* newer schema */
    fx_tmp_store(path, sizeof path);
    vg_store_t *s = vg_store_open(path, true, err, sizeof err);
    assert_non_null(s);
    assert_int_equal(sqlite3_exec(vg_store_db(s), "INSERT INTO schema_version VALUES(99,'x','9.9')",
                                  NULL, NULL, NULL), SQLITE_OK);
    vg_store_close(s);
    assert_null(vg_store_open(path, false, err, sizeof err));
    assert_non_null(strstr(err, "newer"));
    assert_non_null(strstr(err, "99"));
    /* a text file */
    fx_tmp_store(path, sizeof path);
    FILE *f = fopen(path, "w");
    fputs("this is not a database, just some text that is long enough to look like a header....\n", f);
    fclose(f);
    assert_null(vg_store_open(path, false, err, sizeof err));
    assert_non_null(strstr(err, "not an SQLite database"));
    /* another application's database */
    fx_tmp_store(path, sizeof path);
    sqlite3 *db;
    sqlite3_open(path, &db);
    sqlite3_exec(db, "CREATE TABLE t(x)", NULL, NULL, NULL);
    sqlite3_close(db);
    assert_null(vg_store_open(path, false, err, sizeof err));
    assert_non_null(strstr(err, "not a Vigil store"));
    /* an empty file: refused and left as it was */
    fx_tmp_store(path, sizeof path);
    fclose(fopen(path, "w"));
    assert_null(vg_store_open(path, false, err, sizeof err));
    assert_non_null(strstr(err, "not a Vigil store"));
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_size, 0);
    /* missing, not created */
    fx_tmp_store(path, sizeof path);
    assert_null(vg_store_open(path, false, err, sizeof err));
    assert_non_null(strstr(err, "no such store"));
}

static void test_batch_commit(void **st)
{
    (void)st;
    char path[256], err[256];
    fx_tmp_store(path, sizeof path);
    vg_store_t *s = vg_store_open(path, true, err, sizeof err);
    assert_true(fx_begin(s, "aa", 3600) > 0);
    sqlite3 *other;
    assert_int_equal(sqlite3_open(path, &other), SQLITE_OK);
    for (int i = 0; i < 50; i++) {
        fx_alert_t a = {.t = i, .sid = 1, .att = "198.51.100.1", .vic = "10.0.0.1", .vic_home = 1};
        assert_int_equal(fx_feed(s, &a), 0);
    }
    /* not committed yet: another reader sees nothing */
    assert_int_equal(q1(other, "SELECT count(*) FROM alerts"), 0);
    assert_int_equal(vg_store_sink_commit(s, false), 0);
    assert_int_equal(q1(other, "SELECT count(*) FROM alerts"), 50);
    /* the run is not counted until it ends */
    assert_int_equal(q1(other, "SELECT count(*) FROM runs WHERE status='running'"), 1);
    vg_store_run_summary_t sum;
    assert_int_equal(fx_end(s, &sum), 0);
    assert_int_equal(sum.alerts, 50);
    assert_int_equal(q1(other, "SELECT count(*) FROM runs WHERE status='complete'"), 1);
    sqlite3_close(other);
    vg_store_close(s);
}

static void test_early_commit_at_batch_size(void **st)
{
    (void)st;
    char path[256], err[256];
    fx_tmp_store(path, sizeof path);
    vg_store_t *s = vg_store_open(path, true, err, sizeof err);
    vg_store_capture_t cap = {.path = "x", .size = 1};
    memset(cap.sha256, 'b', 64);
    vg_store_run_info_t ri = {.sensor = "s", .captures = &cap, .n_captures = 1,
                              .incident_window_s = 60, .batch_rows = 10};
    assert_true(vg_store_begin_run(s, &ri, err, sizeof err) > 0);
    sqlite3 *other;
    sqlite3_open(path, &other);
    for (int i = 0; i < 25; i++) {
        fx_alert_t a = {.t = i * 1000, .sid = 1, .att = "198.51.100.1", .vic = "10.0.0.1"};
        assert_int_equal(fx_feed(s, &a), 0);
    }
    /* rows + incidents reach 10 several times: some, not all, are visible */
    int64_t seen = q1(other, "SELECT count(*) FROM alerts");
    assert_true(seen > 0 && seen < 25);
    assert_int_equal(vg_store_sink_commit(s, true), 0);
    assert_int_equal(q1(other, "SELECT count(*) FROM alerts"), 25);
    sqlite3_close(other);
    vg_store_close(s);
}

static void test_incident_window(void **st)
{
    (void)st;
    char path[256], err[256];
    fx_tmp_store(path, sizeof path);
    vg_store_t *s = vg_store_open(path, true, err, sizeof err);
    assert_true(fx_begin(s, "cc", 600) > 0);
    /* same key at 0, 100, 50 (out of order), 650 (within 600 of 100), 1300 (gap 650 > 600) →
     * 2 incidents (4 + 1); another victim → its own incident; another family (message) → its
     * own incident. Only the latest incident of a key stays open (an alert older than it by
     * more than the window starts a new one). */
    int64_t times[] = {0, 100, 50, 650, 1300};
    for (size_t i = 0; i < 5; i++) {
        fx_alert_t a = {.t = times[i], .sid = 1, .msg = "TEST Exploit Foo M1",
                        .att = "198.51.100.1", .vic = "10.0.0.1", .vic_home = 1};
        assert_int_equal(fx_feed(s, &a), 0);
        if (times[i] == 650) {
            /* M2 variant: the same family as M1 → joins the first incident */
            fx_alert_t c = {.t = 20, .sid = 2, .msg = "TEST Exploit Foo M2",
                            .att = "198.51.100.1", .vic = "10.0.0.1", .vic_home = 1};
            assert_int_equal(fx_feed(s, &c), 0);
        }
    }
    fx_alert_t b = {.t = 10, .sid = 1, .msg = "TEST Exploit Foo M1", .att = "198.51.100.1",
                    .vic = "10.0.0.2", .vic_home = 1};
    assert_int_equal(fx_feed(s, &b), 0);
    fx_alert_t d = {.t = 30, .sid = 3, .msg = "TEST Exploit Bar", .att = "198.51.100.1",
                    .vic = "10.0.0.1", .vic_home = 1};
    assert_int_equal(fx_feed(s, &d), 0);
    vg_store_run_summary_t sum;
    assert_int_equal(vg_store_sink_commit(s, true), 0);
    assert_int_equal(fx_end(s, &sum), 0);
    assert_int_equal(sum.incidents, 4);
    sqlite3 *db = vg_store_db(s);
    assert_int_equal(q1(db, "SELECT count(*) FROM incidents"), 4);
    /* first incident: alerts at 0, 100, 650, 50 and the M2 at 20 */
    assert_int_equal(q1(db, "SELECT alerts FROM incidents WHERE victim_ip='10.0.0.1' AND family='TEST Exploit Foo' ORDER BY start_ts LIMIT 1"), 5);
    assert_int_equal(q1(db, "SELECT (end_ts-start_ts)/1000000 FROM incidents WHERE victim_ip='10.0.0.1' AND family='TEST Exploit Foo' ORDER BY start_ts LIMIT 1"), 650);
    assert_int_equal(q1(db, "SELECT alerts FROM incidents WHERE victim_ip='10.0.0.1' AND family='TEST Exploit Foo' ORDER BY start_ts DESC LIMIT 1"), 1);
    /* every alert points at an incident whose count includes it */
    assert_int_equal(q1(db, "SELECT count(*) FROM alerts a LEFT JOIN incidents i ON i.id=a.incident_id WHERE i.id IS NULL"), 0);
    assert_int_equal(q1(db, "SELECT sum(alerts) FROM incidents"), q1(db, "SELECT count(*) FROM alerts"));
    assert_int_equal(q1(db, "SELECT count(*) FROM incidents i WHERE alerts <> (SELECT count(*) FROM alerts a WHERE a.incident_id=i.id)"), 0);
    vg_store_close(s);
}


/* Every incident's row agrees with the alerts that carry its id (count, first/last time and
 * id), and every alert's incident exists. */
static void check_incidents(sqlite3 *db)
{
    assert_int_equal(q1(db, "SELECT count(*) FROM alerts a LEFT JOIN incidents i ON i.id=a.incident_id WHERE i.id IS NULL"), 0);
    assert_int_equal(q1(db, "SELECT count(*) FROM incidents i JOIN (SELECT incident_id, count(*) AS n,"
                            " min(ts) AS t0, max(ts) AS t1, min(id) AS a0, max(id) AS a1 FROM alerts GROUP BY"
                            " incident_id) g ON g.incident_id=i.id WHERE i.alerts<>g.n OR i.start_ts<>g.t0 OR"
                            " i.end_ts<>g.t1 OR i.first_alert<>g.a0 OR i.last_alert<>g.a1"), 0);
    assert_int_equal(q1(db, "SELECT count(*) FROM incidents WHERE id NOT IN (SELECT incident_id FROM alerts)"), 0);
}

static void feed_run_k(const char *path, const char *seed, const int64_t *t, const char *const *vic,
                       size_t n, vg_store_run_summary_t *sum)
{
    char err[256];
    vg_store_t *s = vg_store_open(path, true, err, sizeof err);
    assert_non_null(s);
    assert_true(fx_begin(s, seed, 600) > 0);
    for (size_t i = 0; i < n; i++) {
        fx_alert_t a = {.t = t[i], .sid = 1, .msg = "TEST Exploit Foo", .att = "198.51.100.1",
                        .vic = vic[i], .vic_home = 1};
        assert_int_equal(fx_feed(s, &a), 0);
    }
    /* not final, as the engine's last commit may be: the run's end writes what waits */
    assert_int_equal(vg_store_sink_commit(s, false), 0);
    vg_store_run_end_t e = {.packets = 10, .first_ts = (uint64_t)FX_T0 * 1000000,
                            .last_ts = (uint64_t)(FX_T0 + 6000) * 1000000};
    assert_int_equal(vg_store_end_run(s, &e, sum, err, sizeof err), 0);
    vg_store_close(s);
}

/* Incidents continue across runs: a later run's alert within the window of an earlier counted
 * run's incident of the same key joins it; a rerun that supersedes the earlier run leaves every
 * incident counted from the alerts that remain. */
static void test_incidents_across_runs(void **st)
{
    (void)st;
    char path[256];
    fx_tmp_store(path, sizeof path);
    vg_store_run_summary_t sum;
    const char *k1 = "10.0.0.1", *k2 = "10.0.0.2";
    /* run 1: key 1 at 0 and 100, key 2 at 0 */
    feed_run_k(path, "a1", (int64_t[]){0, 100, 0}, (const char *[]){k1, k1, k2}, 3, &sum);
    assert_int_equal(sum.incidents, 2);
    assert_int_equal(sum.incidents_continued, 0);
    /* run 2 (another capture): key 1 at 500 continues run 1's incident (within 600 of 100);
     * key 1 at 5000 and key 2 at 2000 are past the window: new incidents */
    feed_run_k(path, "b2", (int64_t[]){500, 5000, 2000}, (const char *[]){k1, k1, k2}, 3, &sum);
    assert_int_equal(sum.incidents, 2);
    assert_int_equal(sum.incidents_continued, 1);
    char err[256];
    vg_store_t *s = vg_store_open(path, false, err, sizeof err);
    sqlite3 *db = vg_store_db(s);
    assert_int_equal(q1(db, "SELECT count(*) FROM incidents"), 4);
    assert_int_equal(q1(db, "SELECT alerts FROM incidents WHERE victim_ip='10.0.0.1' ORDER BY start_ts LIMIT 1"), 3);
    assert_int_equal(q1(db, "SELECT count(DISTINCT run_id) FROM alerts WHERE incident_id=(SELECT id FROM incidents WHERE victim_ip='10.0.0.1' ORDER BY start_ts LIMIT 1)"), 2);
    check_incidents(db);
    vg_store_close(s);
    /* run 3 reruns run 1's capture: run 1 is superseded; the incident run 2 continued keeps
     * run 2's alert and gets run 3's, the key-2 incident of run 1 goes on with run 3's alert */
    feed_run_k(path, "a1", (int64_t[]){0, 100, 0}, (const char *[]){k1, k1, k2}, 3, &sum);
    assert_int_equal(sum.superseded_run, 1);
    s = vg_store_open(path, false, err, sizeof err);
    db = vg_store_db(s);
    assert_int_equal(q1(db, "SELECT count(*) FROM alerts WHERE run_id=1"), 0);
    assert_int_equal(q1(db, "SELECT count(*) FROM incidents WHERE run_id=1"), 0);
    assert_int_equal(q1(db, "SELECT count(*) FROM incidents"), 4);
    assert_int_equal(q1(db, "SELECT alerts FROM incidents WHERE victim_ip='10.0.0.1' ORDER BY start_ts LIMIT 1"), 3);
    assert_int_equal(q1(db, "SELECT (end_ts - start_ts)/1000000 FROM incidents WHERE victim_ip='10.0.0.1' ORDER BY start_ts LIMIT 1"), 500);
    check_incidents(db);
    vg_store_close(s);
    /* run 4 reruns run 2's capture: the shared incident now holds runs 3 and 4 */
    feed_run_k(path, "b2", (int64_t[]){500, 5000, 2000}, (const char *[]){k1, k1, k2}, 3, &sum);
    assert_int_equal(sum.superseded_run, 2);
    s = vg_store_open(path, false, err, sizeof err);
    db = vg_store_db(s);
    assert_int_equal(q1(db, "SELECT count(*) FROM incidents"), 4);
    assert_int_equal(q1(db, "SELECT count(*) FROM alerts"), 6);
    check_incidents(db);
    vg_store_close(s);
}

static void test_alert_columns(void **st)
{
    (void)st;
    char path[256], err[256];
    fx_tmp_store(path, sizeof path);
    vg_store_t *s = vg_store_open(path, true, err, sizeof err);
    assert_true(fx_begin(s, "dd", 60) > 0);
    fx_alert_t a = {.t = 1, .sid = 42, .msg = "ET EXPLOIT Log4j RCE (CVE-2021-44228)",
                    .category = "command-and-control", .certainty = "spoofable", .role_by = "c2",
                    .att = "203.0.113.9", .att_cc = "NL", .att_asn = 64500, .att_org = "Example AS",
                    .vic = "10.1.1.1", .vic_home = 1, .dport = 443,
                    .metadata = "{\"cve\":[\"CVE_2021_45046\"],\"malware_family\":[\"Cobalt\"]}",
                    .evidence = "{\"ref\":\"pcap/000001.pcap#3\",\"sha256\":\"abcd\"}"};
    assert_int_equal(fx_feed(s, &a), 0);
    fx_alert_t b = {.t = 2, .sid = 43, .att = "203.0.113.10", .vic = "10.1.1.2",
                    .evidence = "{\"something\":1}"};
    assert_int_equal(fx_feed(s, &b), 0);
    /* lines the store does not keep or cannot read: no failure, counted */
    const char *junk = "{\"timestamp\":\"2024-01-01T00:00:00+0000\",\"event_type\":\"http\"}";
    assert_int_equal(vg_store_sink_event(s, junk, strlen(junk)), 0);
    const char *bad = "{\"event_type\":\"alert\", broken";
    assert_int_equal(vg_store_sink_event(s, bad, strlen(bad)), 0);
    vg_store_run_summary_t sum;
    assert_int_equal(fx_end(s, &sum), 0);
    assert_int_equal(sum.alerts, 2);
    assert_int_equal(sum.lines_skipped, 1);
    sqlite3 *db = vg_store_db(s);
    char *v;
    v = qs(db, "SELECT attacker_ip||'|'||attacker_country||'|'||attacker_asn||'|'||attacker_org||'|'||attacker_home||'|'||victim_ip||'|'||victim_home||'|'||victim_port||'|'||certainty||'|'||role_by||'|'||category FROM alerts WHERE id=1");
    assert_string_equal(v, "203.0.113.9|NL|64500|Example AS|0|10.1.1.1|1|443|spoofable|c2|command-and-control");
    free(v);
    v = qs(db, "SELECT evidence_ref||'|'||evidence_sha256 FROM alerts WHERE id=1");
    assert_string_equal(v, "pcap/000001.pcap#3|abcd");
    free(v);
    v = qs(db, "SELECT evidence_ref FROM alerts WHERE id=2");
    assert_string_equal(v, "{\"something\":1}");
    free(v);
    v = qs(db, "SELECT cves||'|'||family FROM signatures WHERE sid=42");
    assert_string_equal(v, "CVE-2021-44228,CVE-2021-45046|Cobalt");
    free(v);
    assert_int_equal(q1(db, "SELECT ts FROM alerts WHERE id=1"), (FX_T0 + 1) * 1000000);
    v = qs(db, "SELECT community_id||'|'||flow_id FROM alerts WHERE id=1");
    assert_string_equal(v, "1:test42|1042");
    free(v);
    vg_store_close(s);
}

static void test_rerun_rule(void **st)
{
    (void)st;
    char path[256], err[256];
    fx_tmp_store(path, sizeof path);
    vg_store_run_summary_t sum;
    for (int run = 0; run < 3; run++) {
        vg_store_t *s = vg_store_open(path, true, err, sizeof err);
        assert_non_null(s);
        /* runs 0 and 2: capture "ee"; run 1: capture "ff" */
        assert_true(fx_begin(s, run == 1 ? "ff" : "ee", 60) > 0);
        for (int i = 0; i < 3 + run; i++) {
            fx_alert_t a = {.t = i * 100, .sid = 1, .att = "198.51.100.1", .vic = "10.0.0.1"};
            assert_int_equal(fx_feed(s, &a), 0);
        }
        assert_int_equal(vg_store_sink_commit(s, true), 0);
        assert_int_equal(fx_end(s, &sum), 0);
        assert_int_equal(sum.superseded_run, run == 2 ? 1 : 0);
        vg_store_close(s);
    }
    vg_store_t *s = vg_store_open(path, false, err, sizeof err);
    sqlite3 *db = vg_store_db(s);
    assert_int_equal(q1(db, "SELECT count(*) FROM alerts"), 4 + 5);
    assert_int_equal(q1(db, "SELECT count(*) FROM alerts WHERE run_id=1"), 0);
    assert_int_equal(q1(db, "SELECT count(*) FROM incidents WHERE run_id=1"), 0);
    char *v = qs(db, "SELECT group_concat(status||':'||coalesce(superseded_by,''), ',') FROM (SELECT * FROM runs ORDER BY id)");
    assert_string_equal(v, "superseded:3,complete:,complete:");
    free(v);
    vg_store_close(s);
}

/* The capture set does not depend on the order of the files, a file named twice counts once,
 * and captures may be given at the end of the run (hashed while it ran). */
static void test_capture_set(void **st)
{
    (void)st;
    char path[256], err[256];
    fx_tmp_store(path, sizeof path);
    vg_store_capture_t x = {.path = "x.pcap", .size = 1}, y = {.path = "y.pcap", .size = 2};
    memset(x.sha256, 'a', 64);
    memset(y.sha256, 'c', 64);
    vg_store_capture_t sets[3][3] = {{x, y}, {y, x, y}, {y}};
    size_t ns[3] = {2, 3, 1};
    vg_store_run_summary_t sum;
    for (int run = 0; run < 3; run++) {
        vg_store_t *s = vg_store_open(path, true, err, sizeof err);
        vg_store_run_info_t ri = {.sensor = "s", .incident_window_s = 60};
        if (run != 1) {
            ri.captures = sets[run];
            ri.n_captures = ns[run];
        }
        assert_true(vg_store_begin_run(s, &ri, err, sizeof err) > 0);
        fx_alert_t a = {.t = 1, .sid = 1, .att = "198.51.100.1", .vic = "10.0.0.1"};
        assert_int_equal(fx_feed(s, &a), 0);
        vg_store_run_end_t e = {.packets = 1};
        if (run == 1) {
            e.captures = sets[1];
            e.n_captures = ns[1];
        }
        assert_int_equal(vg_store_end_run(s, &e, &sum, err, sizeof err), 0);
        /* run 2 (y, y, x at the end) supersedes run 1 (x, y); run 3 (y alone) overlaps run 2 */
        assert_int_equal(sum.superseded_run, run == 1 ? 1 : 0);
        assert_int_equal(sum.overlap_warning, run == 2);
        vg_store_close(s);
    }
}

static void test_failed_run_not_counted(void **st)
{
    (void)st;
    char path[256], err[256];
    fx_tmp_store(path, sizeof path);
    vg_store_t *s = vg_store_open(path, true, err, sizeof err);
    assert_true(fx_begin(s, "99", 60) > 0);
    fx_alert_t a = {.t = 1, .sid = 1, .att = "198.51.100.1", .vic = "10.0.0.1"};
    assert_int_equal(fx_feed(s, &a), 0);
    assert_int_equal(vg_store_sink_commit(s, true), 0);
    vg_store_run_end_t e = {.failed = true};
    vg_store_run_summary_t sum;
    assert_int_equal(vg_store_end_run(s, &e, &sum, err, sizeof err), 0);
    assert_int_equal(q1(vg_store_db(s), "SELECT count(*) FROM runs WHERE status='failed'"), 1);
    vg_store_close(s);
}

static void test_parse_time(void **st)
{
    (void)st;
    int64_t us;
    const char *t = "2024-01-01T00:00:01.250000+0000";
    assert_true(vg_store_parse_time(t, strlen(t), &us));
    assert_int_equal(us, (FX_T0 + 1) * 1000000 + 250000);
    t = "2024-01-01T02:00:01.250000+0200"; /* local time two hours ahead: the same instant */
    assert_true(vg_store_parse_time(t, strlen(t), &us));
    assert_int_equal(us, (FX_T0 + 1) * 1000000 + 250000);
    t = "2024-01-01T00:00:01Z";
    assert_true(vg_store_parse_time(t, strlen(t), &us));
    assert_int_equal(us, (FX_T0 + 1) * 1000000);
    t = "2024-03-01";
    assert_true(vg_store_parse_time(t, strlen(t), &us));
    assert_int_equal(us, (FX_T0 + (31 + 29) * 86400LL) * 1000000); /* 2024 is a leap year */
    const char *bad[] = {"2024-13-01", "yesterday", "2024-01-01T25:00:00Z", "2024-01-01T00:00:00+",
                         "2024-01-01T00:00:00.Z", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_false(vg_store_parse_time(bad[i], strlen(bad[i]), &us));
}

static void test_family(void **st)
{
    (void)st;
    char f[128];
    vg_store_family("ET EXPLOIT Apache Struts RCE M2", NULL, f, sizeof f);
    assert_string_equal(f, "ET EXPLOIT Apache Struts RCE");
    vg_store_family("ET TROJAN Foo CnC Checkin (Outbound) 3", NULL, f, sizeof f);
    assert_string_equal(f, "ET TROJAN Foo CnC Checkin");
    vg_store_family("ET SCAN Nmap - 2", NULL, f, sizeof f);
    assert_string_equal(f, "ET SCAN Nmap");
    vg_store_family("12345", NULL, f, sizeof f);
    assert_string_equal(f, "12345"); /* one word is kept */
    vg_store_family("anything M1", "Emotet", f, sizeof f);
    assert_string_equal(f, "Emotet");
}

static void test_flat_json(void **st)
{
    (void)st;
    static vg_sjson_t j;
    const char *l = "{\"a\":1,\"s\":\"x\\\"y\\u00e9\\ud83d\\ude00\\n\",\"o\":{\"b\":true,\"c\":{\"d\":-5,"
                    "\"deep\":{\"z\":1}},\"arr\":[1,{\"q\":2},\"]\"]},\"n\":null}";
    assert_int_equal(vg_sjson_parse(&j, l, strlen(l)), 0);
    int64_t v;
    assert_true(vg_sjson_int(&j, "a", &v));
    assert_int_equal(v, 1);
    assert_string_equal(vg_sjson_str(&j, "s"), "x\"y\xc3\xa9\xf0\x9f\x98\x80\n");
    assert_int_equal(vg_sjson_bool(&j, "o.b"), 1);
    assert_true(vg_sjson_int(&j, "o.c.d", &v));
    assert_int_equal(v, -5);
    assert_non_null(vg_sjson_get(&j, "o.c.deep"));      /* third level: kept whole */
    assert_null(vg_sjson_get(&j, "o.c.deep.z"));        /* not entered */
    assert_int_equal(vg_sjson_get(&j, "o.arr")->type, 'a');
    assert_null(vg_sjson_get(&j, "o.arr.q"));
    assert_int_equal(vg_sjson_get(&j, "n")->type, 'z');
    assert_null(vg_sjson_str(&j, "a"));                  /* not a string */
    assert_null(vg_sjson_get(&j, "missing"));
    const char *bad[] = {"", "[]", "{", "{\"a\":}", "{\"a\":1,}", "{\"a\":tru}", "{\"a\":\"x}",
                         "{\"a\":1} x", "{\"a\" 1}", "{\"a\":[1,2}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(vg_sjson_parse(&j, bad[i], strlen(bad[i])), -1);
    /* strings are scanned eight bytes at a time: an escaped quote, a backslash, a control
     * character (refused) or a non-ASCII byte at every offset of a long string */
    for (int at = 0; at < 24; at++) {
        char line[128], want[64];
        for (int kind = 0; kind < 4; kind++) {
            static const char *const ins[] = {"\\\"", "\\\\", "\x01", "\xc3\xa9"};
            static const char *const out[] = {"\"", "\\", "", "\xc3\xa9"};
            int n = snprintf(line, sizeof line, "{\"k\":\"%.*s%s%.*s\",\"z\":7}", at,
                             "abcdefghijklmnopqrstuvwxyz", ins[kind], 24 - at, "ABCDEFGHIJKLMNOPQRSTUVWX");
            int rc = vg_sjson_parse(&j, line, (size_t)n);
            if (kind == 2) {
                assert_int_equal(rc, -1);
                continue;
            }
            assert_int_equal(rc, 0);
            snprintf(want, sizeof want, "%.*s%s%.*s", at, "abcdefghijklmnopqrstuvwxyz", out[kind],
                     24 - at, "ABCDEFGHIJKLMNOPQRSTUVWX");
            assert_string_equal(vg_sjson_str(&j, "k"), want);
            assert_true(vg_sjson_int(&j, "z", &v));
            assert_int_equal(v, 7);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_schema_created),
        cmocka_unit_test(test_migration_from_v1),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_batch_commit),
        cmocka_unit_test(test_early_commit_at_batch_size),
        cmocka_unit_test(test_incident_window),
        cmocka_unit_test(test_incidents_across_runs),
        cmocka_unit_test(test_alert_columns),
        cmocka_unit_test(test_rerun_rule),
        cmocka_unit_test(test_capture_set),
        cmocka_unit_test(test_failed_run_not_counted),
        cmocka_unit_test(test_parse_time),
        cmocka_unit_test(test_family),
        cmocka_unit_test(test_flat_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
