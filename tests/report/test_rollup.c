/* test_rollup.c — the report's rollups (schema 3) against the raw alerts.
 *
 * Generated stores (several runs, random attackers, countries — some empty —, categories,
 * certainties, ports, signatures with and without CVEs, alerts out of time order, random commit
 * blocks, a rerun that supersedes an earlier run, a failed run) and, for many filters (periods
 * on and off day boundaries, a period inside one day, only --from or --to, category, country,
 * sensor, combinations), the report built from the rollups must be the same JSON document, byte
 * for byte, as the one built by scanning every alert. The rollup tables themselves must equal
 * the aggregation of the alerts, also after the v3 migration rebuilds them. */
#include "../store/store_fixture.h"
#include "report/report.h"
#include "store/store_int.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

static uint64_t g_rng;
static uint64_t rnd(void)
{
    g_rng ^= g_rng << 13;
    g_rng ^= g_rng >> 7;
    g_rng ^= g_rng << 17;
    return g_rng;
}
static unsigned pick(unsigned n) { return (unsigned)(rnd() % n); }

static const char *const cats[] = {"exploitation-attempt", "scanning", "command-and-control",
                                   "denial-of-service", "webshell-backdoor", "malware-infection",
                                   "policy-info", "brute-force"};
static const char *const ccs[] = {"CN", "US", "NL", "BR", "", "??", "DE"};
static const char *const certs[] = {"verified", "spoofable", "unverified"};

/* One run of n alerts over days [day0, day0 + days), sensor and capture seed given. */
static void feed_run(const char *path, const char *sensor, const char *seed, int day0, int days,
                     int n, bool fail)
{
    char err[256];
    vg_store_t *s = vg_store_open(path, true, err, sizeof err);
    if (!s)
        fail_msg("%s", err);
    vg_store_capture_t cap = {.path = "gen.pcap", .size = 1};
    snprintf(cap.sha256, sizeof cap.sha256, "%064d", 0);
    memcpy(cap.sha256, seed, strlen(seed));
    vg_store_run_info_t ri = {.sensor = sensor, .captures = &cap, .n_captures = 1,
                              .incident_window_s = 1800, .flows = VG_STORE_FLOWS_ALERTED};
    assert_true(vg_store_begin_run(s, &ri, err, sizeof err) > 0);
    char att[32], vic[32], msg[64], meta[64];
    int64_t t = (int64_t)day0 * 86400;
    for (int i = 0; i < n; i++) {
        /* mostly forward in time, sometimes a little back (several workers) */
        t += (int64_t)pick((unsigned)(2 * 86400 * days / n + 1));
        int64_t ta = t - (pick(8) == 0 ? pick(900) : 0);
        if (ta > (int64_t)(day0 + days) * 86400 - 1)
            ta = (int64_t)(day0 + days) * 86400 - 1;
        unsigned a = pick(40), v = pick(12), c = a % 8, sid = 100 + pick(12);
        if (pick(5) == 0)
            c = pick(8);
        snprintf(att, sizeof att, a < 4 ? "10.0.9.%u" : "198.51.%u.1", a);
        snprintf(vic, sizeof vic, v < 10 ? "10.0.0.%u" : "8.8.%u.8", v);
        snprintf(msg, sizeof msg, "GEN rule %u%s", sid, sid % 3 ? " M1" : "");
        snprintf(meta, sizeof meta, "{\"cve\":[\"CVE_2021_%u\"]}", 40000 + sid % 4);
        fx_alert_t al = {.t = ta, .sid = (int)sid, .msg = msg, .category = cats[c],
                         .certainty = certs[pick(3)], .role_by = pick(9) == 0 ? "c2" : "direction",
                         .att = att, .att_cc = ccs[(a + (pick(10) == 0)) % 7], .vic = vic,
                         .att_home = a < 4, .vic_home = v < 10, .att_asn = a % 5 ? 64500 + a % 7 : 0,
                         .att_org = a % 2 ? "Org A" : "Org B",
                         .dport = (int)(pick(4) == 0 ? 22 + pick(3) : 80),
                         .proto = c == 3 ? "UDP" : "TCP", .metadata = sid % 4 == 0 ? meta : NULL};
        t = t < ta ? ta : t;
        assert_int_equal(fx_feed(s, &al), 0);
        if (pick(40) == 0)
            assert_int_equal(vg_store_sink_commit(s, false), 0);
    }
    assert_int_equal(vg_store_sink_commit(s, true), 0);
    vg_store_run_end_t e = {.packets = 1000, .first_ts = (uint64_t)(FX_T0 + day0 * 86400) * 1000000,
                            .last_ts = (uint64_t)(FX_T0 + (day0 + days) * 86400) * 1000000,
                            .failed = fail};
    vg_store_run_summary_t sum;
    assert_int_equal(vg_store_end_run(s, &e, &sum, err, sizeof err), 0);
    vg_store_close(s);
}

/* Rows of the query where the rollups and the alerts disagree (0: identical). */
#define ALERT_CELLS                                                                                 \
    "SELECT a.run_id, (a.ts/1000000 - (((a.ts/1000000) % 86400) + 86400) % 86400) / 86400 AS day,"  \
    " a.sig_id, a.category, a.counted, a.certainty, a.role_by, a.proto, a.app_proto, a.attacker_ip," \
    " a.attacker_home, coalesce(nullif(a.attacker_country,''),'\?\?'), coalesce(a.attacker_asn,0),"  \
    " coalesce(a.attacker_org,''), a.victim_ip, a.victim_port, a.victim_home,"                      \
    " coalesce(a.incident_id,0), count(*), min(a.id), max(a.id), min(a.ts), max(a.ts)"              \
    " FROM alerts a GROUP BY 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18"
#define ROLLUP_CELLS                                                                                \
    "SELECT r.run_id, r.day, d.sig_id, d.category, d.counted, d.certainty, d.role_by, d.proto,"      \
    " d.app_proto, d.attacker_ip, d.attacker_home, d.attacker_country, d.attacker_asn,"             \
    " d.attacker_org, d.victim_ip, d.victim_port, d.victim_home, r.incident_id, sum(r.alerts),"     \
    " min(r.first_alert), max(r.last_alert), min(r.first_ts), max(r.last_ts)"                       \
    " FROM alert_rollup r JOIN alert_dims d ON d.id=r.dim GROUP BY 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18"

static int64_t q1(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        fail_msg("%s: %s", sql, sqlite3_errmsg(db));
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int64_t v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

static void check_rollup_tables(sqlite3 *db)
{
    assert_true(q1(db, "SELECT count(*) FROM alerts") > 0);
    assert_int_equal(q1(db, "SELECT count(*) FROM (" ALERT_CELLS " EXCEPT " ROLLUP_CELLS ")"), 0);
    assert_int_equal(q1(db, "SELECT count(*) FROM (" ROLLUP_CELLS " EXCEPT " ALERT_CELLS ")"), 0);
    assert_int_equal(q1(db, "SELECT coalesce(sum(alerts),0) FROM alert_rollup"),
                     q1(db, "SELECT count(*) FROM alerts"));
    /* incidents continued across runs and recounted after the rerun hold their alerts */
    assert_int_equal(q1(db, "SELECT count(*) FROM incidents i LEFT JOIN (SELECT incident_id, count(*) AS n"
                            " FROM alerts GROUP BY incident_id) g ON g.incident_id=i.id"
                            " WHERE g.n IS NULL OR g.n<>i.alerts"), 0);
    assert_true(q1(db, "SELECT count(*) FROM (SELECT incident_id FROM alerts GROUP BY incident_id"
                       " HAVING count(DISTINCT run_id) > 1)") > 0);
}

static char *render(sqlite3 *db, const vg_report_filter_t *f, bool scan)
{
    vg_report_filter_t g = *f;
    g.scan = scan;
    char err[512];
    vg_report_t *r = vg_report_build(db, &g, err, sizeof err);
    if (!r)
        fail_msg("%s", err);
    snprintf(r->generated_at, sizeof r->generated_at, "%s", "fixed");
    vg_buf_t b;
    vg_buf_init(&b, 1 << 16);
    vg_report_render(r, VG_REPORT_JSON, &b);
    vg_buf_putc(&b, '\0');
    vg_report_free(r);
    return b.data;
}

static int64_t at(int day, int64_t sec) { return (FX_T0 + day * 86400LL + sec) * 1000000LL; }

static void compare_reports(sqlite3 *db)
{
    static const char *const cat_f[] = {NULL, "scanning", "command-and-control", "policy-info"};
    static const char *const cc_f[] = {NULL, "CN", "\?\?", "NL"};
    static const char *const sensor_f[] = {NULL, "s1", "s2"};
    struct {
        bool has_from, has_to;
        int64_t from, to;
    } periods[] = {
        {false, false, 0, 0},
        {true, true, at(1, 0), at(4, 0)},                     /* whole days */
        {true, true, at(1, 3600 + 17), at(4, 50000)},         /* partial first and last day */
        {true, true, at(2, 100), at(2, 80000)},               /* inside one day */
        {true, true, at(2, 86399), at(3, 1)},                 /* across midnight, 2 s */
        {true, false, 0, 0},                                  /* --from only (set below) */
        {false, true, 0, at(3, 43210)},                       /* --to only */
        {true, true, at(0, 0) + 1, at(6, 0) - 1},             /* one microsecond inside */
        {true, true, 5000000, 86400000000LL + 3},             /* 1970: the scan path */
        {true, true, INT64_MIN, INT64_MAX},                   /* extremes: no overflow */
        {true, false, INT64_MAX - 5, 0},
    };
    periods[5].from = at(2, 7 * 3600 + 1);
    int n = 0;
    for (size_t p = 0; p < sizeof periods / sizeof periods[0]; p++)
        for (size_t c = 0; c < 4; c++)
            for (size_t k = 0; k < 4; k++)
                for (size_t s = 0; s < 3; s++) {
                    /* every period alone and with each filter; pairs of filters for two periods */
                    int nf = (c > 0) + (k > 0) + (s > 0);
                    if (nf > 2 || (nf == 2 && p != 0 && p != 2))
                        continue;
                    vg_report_filter_t f = {.has_from = periods[p].has_from,
                                            .has_to = periods[p].has_to,
                                            .from_us = periods[p].from, .to_us = periods[p].to,
                                            .category = cat_f[c], .country = cc_f[k],
                                            .sensor = sensor_f[s], .top = 7, .store_label = "x"};
                    char *a = render(db, &f, false), *b = render(db, &f, true);
                    if (strcmp(a, b))
                        fail_msg("period %zu category %s country %s sensor %s:\nrollup %s\nscan   %s", p,
                                 cat_f[c] ? cat_f[c] : "-", cc_f[k] ? cc_f[k] : "-",
                                 sensor_f[s] ? sensor_f[s] : "-", a, b);
                    free(a);
                    free(b);
                    n++;
                }
    assert_true(n > 40);
    /* the ASN, target and signature filters (the dashboard's drill-down), alone and with a
     * category, over a cut period and the whole store */
    const struct {
        bool has_asn;
        int64_t asn;
        const char *target;
        int64_t sid;
    } more[] = {{true, 0, NULL, 0},      {true, 64501, NULL, 0}, {false, 0, "10.0.0.3", 0},
                {false, 0, "8.8.11.8", 0}, {false, 0, NULL, 105},  {true, 64503, "10.0.0.1", 0},
                {false, 0, "10.0.0.7", 104}};
    for (size_t m = 0; m < sizeof more / sizeof more[0]; m++)
        for (size_t p = 0; p < 3; p += 2)
            for (size_t c = 0; c < 2; c++) {
                vg_report_filter_t f = {.has_from = periods[p].has_from,
                                        .has_to = periods[p].has_to, .from_us = periods[p].from,
                                        .to_us = periods[p].to, .category = cat_f[c],
                                        .has_asn = more[m].has_asn, .asn = more[m].asn,
                                        .target = more[m].target, .sid = more[m].sid, .top = 7,
                                        .store_label = "x"};
                char *a = render(db, &f, false), *b = render(db, &f, true);
                if (strcmp(a, b))
                    fail_msg("filter %zu period %zu category %s:\nrollup %s\nscan   %s", m, p,
                             cat_f[c] ? cat_f[c] : "-", a, b);
                /* the filter is written in the document */
                assert_non_null(strstr(a, more[m].target ? "\"target\"" :
                                          more[m].sid ? "\"sid\"" : "\"asn\""));
                free(a);
                free(b);
            }
}

static void gen_store(char *path, size_t n, uint64_t seed)
{
    g_rng = seed;
    fx_tmp_store(path, n);
    feed_run(path, "s1", "aa", 0, 3, 900, false);
    feed_run(path, "s2", "bb", 2, 4, 1200, false);
    feed_run(path, "s1", "cc", 1, 2, 300, true);  /* failed: not counted, rollups kept */
    feed_run(path, "s2", "dd", 4, 2, 500, false);
    feed_run(path, "s1", "aa", 0, 3, 700, false); /* rerun of the first capture set */
}

static void test_rollups_equal_alerts_and_reports_equal_scan(void **st)
{
    (void)st;
    static const uint64_t seeds[] = {88172645463325252ull, 0x9E3779B97F4A7C15ull};
    for (size_t i = 0; i < sizeof seeds / sizeof seeds[0]; i++) {
        char path[256], err[256];
        gen_store(path, sizeof path, seeds[i]);
        vg_store_t *s = vg_store_open(path, false, err, sizeof err);
        assert_non_null(s);
        sqlite3 *db = vg_store_db(s);
        /* the rerun replaced run 1: its alerts and its rollups are gone */
        assert_int_equal(q1(db, "SELECT count(*) FROM runs WHERE id=1 AND status='superseded'"), 1);
        assert_int_equal(q1(db, "SELECT count(*) FROM alert_rollup WHERE run_id=1"), 0);
        assert_int_equal(q1(db, "SELECT count(*) FROM alerts WHERE run_id=1"), 0);
        assert_true(q1(db, "SELECT count(*) FROM alert_rollup WHERE run_id=5") > 0);
        /* the rollups are much smaller than the alerts only when alerts repeat; here they at
         * least exist for every counted run */
        assert_int_equal(q1(db, "SELECT count(DISTINCT run_id) FROM alert_rollup"), 4);
        check_rollup_tables(db);
        compare_reports(db);
        vg_store_close(s);
    }
}

/* A schema-2 store (rollups removed) gets them back from the v3 migration, equal to the ones
 * the writer kept. */
static void test_migration_builds_rollups(void **st)
{
    (void)st;
    char path[256], err[256];
    gen_store(path, sizeof path, 4242);
    sqlite3 *db = vg_store_open_db(path, false, false, err, sizeof err);
    assert_non_null(db);
    char *before = render(db, &(vg_report_filter_t){.top = 10, .store_label = "x"}, false);
    int64_t cells = q1(db, "SELECT count(*) FROM alert_rollup");
    assert_int_equal(sqlite3_exec(db, "DROP TABLE alert_rollup; DROP TABLE alert_dims;"
                                      "CREATE INDEX alerts_run ON alerts(run_id); DROP INDEX incidents_key;"
                                      "ALTER TABLE incidents DROP COLUMN keyed;"
                                      "DELETE FROM schema_version WHERE version=3", NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    vg_store_t *s = vg_store_open(path, false, err, sizeof err);
    if (!s)
        fail_msg("%s", err);
    db = vg_store_db(s);
    assert_int_equal(vg_store_schema_version(s), 3);
    assert_int_equal(q1(db, "SELECT count(*) FROM sqlite_master WHERE name='alerts_run'"), 0);
    /* the writer may hold an equal combination twice (cache eviction), the migration never */
    assert_true(q1(db, "SELECT count(*) FROM alert_rollup") <= cells);
    check_rollup_tables(db);
    char *after = render(db, &(vg_report_filter_t){.top = 10, .store_label = "x"}, false);
    assert_string_equal(before, after);
    free(before);
    free(after);
    vg_store_close(s);
}

/* Alerts on both sides of a midnight, a period cut inside both days: only the alerts inside
 * count (known numbers, not only agreement between the two paths). */
static void test_edge_days_exact(void **st)
{
    (void)st;
    char path[256], err[256];
    fx_tmp_store(path, sizeof path);
    vg_store_t *s = vg_store_open(path, true, err, sizeof err);
    assert_true(fx_begin(s, "ee", 3600) > 0);
    const int64_t ts[] = {86400 - 30, 86400 - 10, 86400 - 1, 86400, 86400 + 5, 86400 + 20,
                          2 * 86400 + 3, 3 * 86400 - 2};
    for (size_t i = 0; i < sizeof ts / sizeof ts[0]; i++) {
        char att[32];
        snprintf(att, sizeof att, "192.0.2.%zu", i);
        fx_alert_t a = {.t = ts[i], .sid = 7, .msg = "EDGE", .category = "scanning", .att = att,
                        .att_cc = "CN", .vic = "10.0.0.1", .vic_home = 1};
        assert_int_equal(fx_feed(s, &a), 0);
    }
    assert_int_equal(vg_store_sink_commit(s, true), 0);
    vg_store_run_summary_t sum;
    vg_store_run_end_t e = {.packets = 8, .first_ts = (uint64_t)at(0, 0), .last_ts = (uint64_t)at(3, 0)};
    assert_int_equal(vg_store_end_run(s, &e, &sum, err, sizeof err), 0);
    vg_store_close(s);
    s = vg_store_open(path, false, err, sizeof err);
    sqlite3 *db = vg_store_db(s);
    /* [day 0 23:59:50, day 2 00:00:10): the alerts at 23:59:50 and 23:59:59 of day 0, the
     * three of day 1 (a whole day: from the rollups) and the one at 00:00:03 of day 2 */
    vg_report_filter_t f = {.has_from = true, .has_to = true, .from_us = at(0, 86400 - 10),
                            .to_us = at(2, 10), .store_label = "x"};
    for (int scan = 0; scan < 2; scan++) {
        f.scan = scan;
        vg_report_t *r = vg_report_build(db, &f, err, sizeof err);
        assert_non_null(r);
        const vg_rtable_t *t = vg_report_table(r, "categories");
        assert_int_equal(t->n_rows, 1);
        assert_int_equal(t->rows[0].cells[vg_report_col(t, "alerts")].i, 6);
        assert_int_equal(t->rows[0].cells[vg_report_col(t, "attackers")].i, 6);
        vg_report_free(r);
    }
    vg_store_close(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rollups_equal_alerts_and_reports_equal_scan),
        cmocka_unit_test(test_migration_builds_rollups),
        cmocka_unit_test(test_edge_days_exact),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
