/* test_report.c — `vigil report`'s model on a store with known attackers, countries, categories
 * and victims: each table's numbers, the filters, an empty period, and the four renderings
 * carrying the same cells. */
#include "../store/store_fixture.h"
#include "report/report.h"
#include "store/store_int.h"

#include <jansson.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

static char g_path[256];

#define A(...) (fx_alert_t){__VA_ARGS__}

/* Run 1 (sensor s1, day 1) and run 2 (sensor s2, day 2). */
static void build_store(void)
{
    fx_tmp_store(g_path, sizeof g_path);
    char err[256];
    vg_store_t *s = vg_store_open(g_path, true, err, sizeof err);
    assert_non_null(s);
    assert_true(fx_begin(s, "01", 3600) > 0);
    const fx_alert_t run1[] = {
        /* command and control: NL controls 3 hosts with 2 servers, BR 1 host */
        A(.t = 100, .sid = 10, .msg = "TEST C2 beacon", .category = "command-and-control", .role_by = "c2",
          .att = "198.51.100.1", .att_cc = "NL", .att_asn = 64501, .att_org = "NL-Net", .vic = "10.0.0.1", .vic_home = 1),
        A(.t = 200, .sid = 10, .msg = "TEST C2 beacon", .category = "command-and-control", .role_by = "c2",
          .att = "198.51.100.1", .att_cc = "NL", .att_asn = 64501, .att_org = "NL-Net", .vic = "10.0.0.2", .vic_home = 1),
        A(.t = 300, .sid = 10, .msg = "TEST C2 beacon", .category = "command-and-control", .role_by = "c2",
          .att = "198.51.100.2", .att_cc = "NL", .att_asn = 64501, .att_org = "NL-Net", .vic = "10.0.0.3", .vic_home = 1),
        A(.t = 400, .sid = 11, .msg = "TEST C2 other", .category = "command-and-control", .role_by = "c2",
          .att = "203.0.113.5", .att_cc = "BR", .att_asn = 64502, .att_org = "BR-Net", .vic = "10.0.0.1", .vic_home = 1),
        /* exploitation: one attacker, three alerts of one incident, with a CVE */
        A(.t = 1000, .sid = 100, .msg = "TEST Log4j M1", .category = "exploitation-attempt",
          .att = "192.0.2.10", .att_cc = "US", .att_asn = 64500, .att_org = "Ex", .vic = "10.0.0.5", .vic_home = 1,
          .metadata = "{\"cve\":[\"CVE_2021_44228\"]}"),
        A(.t = 1010, .sid = 100, .msg = "TEST Log4j M1", .category = "exploitation-attempt",
          .att = "192.0.2.10", .att_cc = "US", .att_asn = 64500, .att_org = "Ex", .vic = "10.0.0.5", .vic_home = 1,
          .metadata = "{\"cve\":[\"CVE_2021_44228\"]}"),
        A(.t = 1020, .sid = 100, .msg = "TEST Log4j M1", .category = "exploitation-attempt",
          .att = "192.0.2.10", .att_cc = "US", .att_asn = 64500, .att_org = "Ex", .vic = "10.0.0.5", .vic_home = 1,
          .metadata = "{\"cve\":[\"CVE_2021_44228\"]}"),
        A(.t = 1100, .sid = 101, .msg = "TEST SQLi", .category = "exploitation-attempt",
          .att = "192.0.2.11", .att_cc = "US", .att_asn = 64500, .att_org = "Ex", .vic = "10.0.0.6", .vic_home = 1),
        A(.t = 1200, .sid = 101, .msg = "TEST SQLi", .category = "exploitation-attempt",
          .att = "100.64.0.1", .vic = "10.0.0.5", .vic_home = 1),
        /* web shell */
        A(.t = 1300, .sid = 200, .msg = "TEST webshell </script><!-- <b>", .category = "webshell-backdoor",
          .att = "192.0.2.20", .att_cc = "DE", .vic = "10.0.0.7", .vic_home = 1),
        /* scanning: four hosts, four ports */
        A(.t = 2000, .sid = 300, .msg = "TEST scan", .category = "scanning", .att = "192.0.2.30", .att_cc = "CN", .vic = "10.0.0.1", .vic_home = 1, .dport = 22),
        A(.t = 2001, .sid = 300, .msg = "TEST scan", .category = "scanning", .att = "192.0.2.30", .att_cc = "CN", .vic = "10.0.0.2", .vic_home = 1, .dport = 23),
        A(.t = 2002, .sid = 300, .msg = "TEST scan", .category = "scanning", .att = "192.0.2.30", .att_cc = "CN", .vic = "10.0.0.3", .vic_home = 1, .dport = 80),
        A(.t = 2003, .sid = 300, .msg = "TEST scan", .category = "scanning", .att = "192.0.2.30", .att_cc = "CN", .vic = "10.0.0.4", .vic_home = 1, .dport = 443),
        /* denial of service: five spoofable sources in BR */
        A(.t = 3000, .sid = 400, .msg = "TEST flood", .category = "denial-of-service", .certainty = "spoofable", .att = "203.0.113.100", .att_cc = "BR", .vic = "10.0.0.53", .vic_home = 1, .proto = "UDP", .dport = 53),
        A(.t = 3001, .sid = 400, .msg = "TEST flood", .category = "denial-of-service", .certainty = "spoofable", .att = "203.0.113.101", .att_cc = "BR", .vic = "10.0.0.53", .vic_home = 1, .proto = "UDP", .dport = 53),
        A(.t = 3002, .sid = 400, .msg = "TEST flood", .category = "denial-of-service", .certainty = "spoofable", .att = "203.0.113.102", .att_cc = "BR", .vic = "10.0.0.53", .vic_home = 1, .proto = "UDP", .dport = 53),
        A(.t = 3003, .sid = 400, .msg = "TEST flood", .category = "denial-of-service", .certainty = "spoofable", .att = "203.0.113.103", .att_cc = "BR", .vic = "10.0.0.53", .vic_home = 1, .proto = "UDP", .dport = 53),
        A(.t = 3004, .sid = 400, .msg = "TEST flood", .category = "denial-of-service", .certainty = "spoofable", .att = "203.0.113.104", .att_cc = "BR", .vic = "10.0.0.53", .vic_home = 1, .proto = "UDP", .dport = 53),
        /* policy: not an attack */
        A(.t = 3500, .sid = 500, .msg = "TEST policy", .category = "policy-info", .att = "10.0.0.9", .att_home = 1, .vic = "8.8.8.8", .vic_cc = "US"),
    };
    for (size_t i = 0; i < sizeof run1 / sizeof run1[0]; i++)
        assert_int_equal(fx_feed(s, &run1[i]), 0);
    assert_int_equal(vg_store_sink_commit(s, true), 0);
    vg_store_run_summary_t sum;
    assert_int_equal(fx_end(s, &sum), 0);
    vg_store_close(s);

    s = vg_store_open(g_path, false, err, sizeof err);
    vg_store_capture_t cap = {.path = "day2.pcap", .size = 1};
    memset(cap.sha256, '2', 64);
    vg_store_run_info_t ri = {.sensor = "s2", .captures = &cap, .n_captures = 1, .incident_window_s = 3600};
    assert_true(vg_store_begin_run(s, &ri, err, sizeof err) > 0);
    for (int i = 0; i < 2; i++) {
        fx_alert_t a = A(.t = 86400 + 100 + i, .sid = 300, .msg = "TEST scan", .category = "scanning",
                         .att = "192.0.2.30", .att_cc = "CN", .vic = "10.0.1.1", .vic_home = 1, .dport = 22 + i);
        assert_int_equal(fx_feed(s, &a), 0);
    }
    vg_store_run_end_t e = {.packets = 10, .first_ts = (uint64_t)(FX_T0 + 86400) * 1000000,
                            .last_ts = (uint64_t)(FX_T0 + 86400 + 200) * 1000000};
    assert_int_equal(vg_store_end_run(s, &e, &sum, err, sizeof err), 0);
    vg_store_close(s);
}

static vg_report_t *build(const vg_report_filter_t *f)
{
    char err[512];
    vg_store_t *s = vg_store_open(g_path, false, err, sizeof err);
    assert_non_null(s);
    vg_report_t *r = vg_report_build(vg_store_db(s), f, err, sizeof err);
    if (!r)
        fail_msg("%s", err);
    vg_store_close(s);
    return r;
}

/* The row of t whose column kcol has the text key; NULL when none. */
static const vg_rrow_t *row_of(const vg_rtable_t *t, const char *kcol, const char *key)
{
    int k = vg_report_col(t, kcol);
    assert_true(k >= 0);
    char buf[512];
    for (size_t i = 0; i < t->n_rows; i++) {
        vg_report_cell_text(&t->rows[i].cells[k], buf, sizeof buf);
        if (!strcmp(buf, key))
            return &t->rows[i];
    }
    return NULL;
}

static const char *cell(const vg_report_t *r, const char *table, const char *kcol, const char *key,
                        const char *col)
{
    static char buf[8][512];
    static int slot;
    const vg_rtable_t *t = vg_report_table(r, table);
    assert_non_null(t);
    const vg_rrow_t *row = row_of(t, kcol, key);
    if (!row)
        fail_msg("table %s has no row %s=%s", table, kcol, key);
    int c = vg_report_col(t, col);
    if (c < 0)
        fail_msg("table %s has no column %s", table, col);
    char *b = buf[slot++ % 8];
    vg_report_cell_text(&row->cells[c], b, 512);
    return b;
}

static void test_overview_and_totals(void **st)
{
    (void)st;
    vg_report_filter_t f = {0};
    vg_report_t *r = build(&f);
    assert_false(r->empty);
    assert_string_equal(cell(r, "overview", "metric", "runs", "value"), "2");
    assert_string_equal(cell(r, "overview", "metric", "sensors", "value"), "2");
    assert_string_equal(cell(r, "overview", "metric", "alerts", "value"), "22");
    assert_string_equal(cell(r, "overview", "metric", "attack_alerts", "value"), "21");
    assert_string_equal(cell(r, "overview", "metric", "packets", "value"), "1010");
    assert_string_equal(cell(r, "overview", "metric", "rules_loaded", "value"), "10");
    assert_string_equal(cell(r, "overview", "metric", "rules_failed", "value"), "1");
    assert_string_equal(cell(r, "overview", "metric", "geo_databases", "value"), "test-geo 2024-01-01");
    /* run 1: 2 h of packet time; run 2: 200 s */
    assert_string_equal(cell(r, "overview", "metric", "capture_hours", "value"), "2.0556");
    /* external attackers: 198.51.100.1/.2, 203.0.113.5, 192.0.2.10/.11/.20/.30, 100.64.0.1,
     * 203.0.113.100..104 = 13; without a country: 100.64.0.1 */
    assert_string_equal(cell(r, "overview", "metric", "external_attackers", "value"), "13");
    assert_string_equal(cell(r, "overview", "metric", "unattributable_share", "value"), "0.0769");
    /* incidents: c2 4 (different victims/attackers), log4j 1, sqli 2, webshell 1, scan 4 + 1
     * (run 2: one victim, two ports, 1 s apart), flood 5 */
    assert_string_equal(cell(r, "overview", "metric", "incidents", "value"), "18");
    /* C2 victims 10.0.0.1-3 and the web shell's 10.0.0.7; controllers .1, .2 and 203.0.113.5 */
    assert_string_equal(cell(r, "overview", "metric", "compromised_hosts", "value"), "4");
    assert_string_equal(cell(r, "overview", "metric", "external_controllers", "value"), "3");

    assert_string_equal(cell(r, "categories", "category", "command-and-control", "alerts"), "4");
    assert_string_equal(cell(r, "categories", "category", "exploitation-attempt", "alerts"), "5");
    assert_string_equal(cell(r, "categories", "category", "exploitation-attempt", "incidents"), "3");
    assert_string_equal(cell(r, "categories", "category", "scanning", "alerts"), "6");
    assert_string_equal(cell(r, "categories", "category", "scanning", "victims"), "5");
    assert_string_equal(cell(r, "categories", "category", "denial-of-service", "spoofable_share"), "1");
    assert_string_equal(cell(r, "categories", "category", "policy-info", "counted"), "0");
    vg_report_free(r);
}

static void test_origins(void **st)
{
    (void)st;
    vg_report_filter_t f = {0};
    vg_report_t *r = build(&f);
    assert_string_equal(cell(r, "origins_country", "country", "NL", "alerts"), "3");
    assert_string_equal(cell(r, "origins_country", "country", "NL", "attackers"), "2");
    assert_string_equal(cell(r, "origins_country", "country", "NL", "victims"), "3");
    assert_string_equal(cell(r, "origins_country", "country", "NL", "verified_share"), "1");
    assert_string_equal(cell(r, "origins_country", "country", "BR", "alerts"), "6");
    assert_string_equal(cell(r, "origins_country", "country", "BR", "attackers"), "6");
    assert_string_equal(cell(r, "origins_country", "country", "BR", "spoofable_share"), "0.8333");
    assert_string_equal(cell(r, "origins_country", "country", "BR", "share"), "0.2857"); /* 6/21 */
    assert_string_equal(cell(r, "origins_country", "country", "BR", "flag"), "spoofable");
    assert_string_equal(cell(r, "origins_country", "country", "NL", "flag"), "");
    assert_string_equal(cell(r, "origins_country", "country", "??", "attackers"), "1");
    /* policy-info (internal origin) is not an attack: no "home" row */
    assert_null(row_of(vg_report_table(r, "origins_country"), "country", "home"));
    assert_string_equal(cell(r, "origins_asn", "asn", "64500", "alerts"), "4");
    assert_string_equal(cell(r, "origins_asn", "asn", "64500", "attackers"), "2");
    assert_string_equal(cell(r, "origins_asn", "asn", "64500", "org"), "Ex");
    assert_string_equal(cell(r, "origins_asn", "asn", "64501", "victims"), "3");
    vg_report_free(r);
}

static void test_c2_and_statements(void **st)
{
    (void)st;
    vg_report_filter_t f = {0};
    vg_report_t *r = build(&f);
    assert_string_equal(cell(r, "c2_countries", "country", "NL", "controllers"), "2");
    assert_string_equal(cell(r, "c2_countries", "country", "NL", "internal_hosts"), "3");
    assert_string_equal(cell(r, "c2_countries", "country", "BR", "internal_hosts"), "1");
    assert_string_equal(cell(r, "c2_countries", "country", "BR", "hosts"), "10.0.0.1");
    assert_string_equal(cell(r, "c2_controllers", "controller", "198.51.100.1", "internal_hosts"), "2");
    assert_string_equal(cell(r, "statements", "country", "NL", "statement"),
                        "2 control server(s) in NL contacted 3 host(s) in our networks");
    assert_non_null(row_of(vg_report_table(r, "statements"), "statement",
                           "1 address(es) in DE planted or used backdoors on 1 of our hosts"));
    assert_non_null(row_of(vg_report_table(r, "statements"), "statement",
                           "1 address(es) in an unknown country attempted exploits against 1 of our hosts"));
    vg_report_free(r);
}

static void test_targets_exploits_scans_dos_attackers(void **st)
{
    (void)st;
    vg_report_filter_t f = {0};
    vg_report_t *r = build(&f);
    assert_string_equal(cell(r, "targets_hosts", "host", "10.0.0.5", "alerts"), "4");
    assert_string_equal(cell(r, "targets_hosts", "host", "10.0.0.5", "attackers"), "2");
    assert_string_equal(cell(r, "targets_hosts", "host", "10.0.0.1", "categories"),
                        "command-and-control,scanning");
    assert_string_equal(cell(r, "targets_services", "port", "53", "hosts"), "1");
    assert_string_equal(cell(r, "targets_services", "port", "53", "attackers"), "5");
    assert_string_equal(cell(r, "exploit_signatures", "sid", "100", "alerts"), "3");
    assert_string_equal(cell(r, "exploit_signatures", "sid", "100", "incidents"), "1");
    assert_string_equal(cell(r, "exploit_signatures", "sid", "100", "cves"), "CVE-2021-44228");
    assert_string_equal(cell(r, "exploit_signatures", "sid", "200", "category"), "webshell-backdoor");
    assert_string_equal(cell(r, "exploit_cves", "cve", "CVE-2021-44228", "alerts"), "3");
    assert_string_equal(cell(r, "exploit_cves", "cve", "CVE-2021-44228", "victims"), "1");
    assert_int_equal(vg_report_table(r, "exploit_cves")->n_rows, 1);
    assert_string_equal(cell(r, "scanning", "scanner", "192.0.2.30", "hosts"), "5");
    assert_string_equal(cell(r, "scanning", "scanner", "192.0.2.30", "ports"), "4");
    assert_string_equal(cell(r, "scanning", "scanner", "192.0.2.30", "incidents"), "5");
    assert_string_equal(cell(r, "scanning_ports", "port", "22", "alerts"), "2");
    assert_string_equal(cell(r, "scanning_ports", "port", "22", "hosts"), "2");
    assert_string_equal(cell(r, "scanning_ports", "port", "443", "scanners"), "1");
    assert_string_equal(cell(r, "scanning", "scanner", "192.0.2.30", "alerts"), "6");
    assert_string_equal(cell(r, "dos", "target", "10.0.0.53", "sources"), "5");
    assert_string_equal(cell(r, "dos", "target", "10.0.0.53", "spoofable_share"), "1");
    assert_string_equal(cell(r, "dos", "target", "10.0.0.53", "source_countries"), "BR");
    /* top attacker: the scanner (5 incidents) */
    const vg_rtable_t *t = vg_report_table(r, "top_attackers");
    char b[64];
    vg_report_cell_text(&t->rows[0].cells[vg_report_col(t, "attacker")], b, sizeof b);
    assert_string_equal(b, "192.0.2.30");
    vg_report_free(r);
}

static void test_timeline(void **st)
{
    (void)st;
    vg_report_filter_t f = {0};
    vg_report_t *r = build(&f);
    /* 1 day + a bit: hourly buckets */
    assert_string_equal(cell(r, "timeline", "bucket", "2024-01-02T00:00:00Z", "alerts"), "2");
    const vg_rtable_t *t = vg_report_table(r, "timeline");
    int64_t sum = 0;
    for (size_t i = 0; i < t->n_rows; i++)
        sum += t->rows[i].cells[vg_report_col(t, "alerts")].i;
    assert_int_equal(sum, 21);
    vg_report_free(r);
}

/* Beyond 92 days the timeline counts months. */
static void test_timeline_months(void **st)
{
    (void)st;
    char path[256], err[256];
    fx_tmp_store(path, sizeof path);
    vg_store_t *s = vg_store_open(path, true, err, sizeof err);
    assert_true(fx_begin(s, "77", 3600) > 0);
    const int64_t days[] = {0, 1, 40, 100};
    for (size_t i = 0; i < 4; i++) {
        fx_alert_t a = {.t = days[i] * 86400, .sid = 1, .category = "scanning",
                        .att = "192.0.2.1", .vic = "10.0.0.1", .vic_home = 1};
        assert_int_equal(fx_feed(s, &a), 0);
    }
    vg_store_run_summary_t sum;
    assert_int_equal(fx_end(s, &sum), 0);
    vg_report_filter_t f = {.tables = "timeline"};
    vg_report_t *r = vg_report_build(vg_store_db(s), &f, err, sizeof err);
    assert_non_null(r);
    assert_int_equal(r->n_tables, 1);
    const vg_rtable_t *t = vg_report_table(r, "timeline");
    assert_string_equal(t->unit, "alerts per month (UTC)");
    assert_int_equal(t->n_rows, 3);
    assert_string_equal(cell(r, "timeline", "bucket", "2024-01", "alerts"), "2");
    assert_string_equal(cell(r, "timeline", "bucket", "2024-02", "alerts"), "1");
    assert_string_equal(cell(r, "timeline", "bucket", "2024-04", "alerts"), "1");
    vg_buf_t h;
    vg_buf_init(&h, 1 << 14);
    vg_report_render(r, VG_REPORT_HTML, &h);
    vg_buf_putc(&h, '\0');
    /* the chart is drawn by the page's script (web/charts.js): here only its placeholder */
    if (strstr(h.data, "<script"))
        assert_non_null(strstr(h.data, "<figure class=\"chart\" data-chart=\"series\" data-table=\"timeline\">"));
    else
        assert_non_null(strstr(h.data, "built without the chart package"));
    vg_buf_fini(&h);
    vg_report_free(r);
    vg_store_close(s);
}

static void test_evidence_index(void **st)
{
    (void)st;
    vg_report_filter_t f = {0};
    vg_report_t *r = build(&f);
    const vg_rtable_t *ev = vg_report_table(r, "evidence");
    assert_non_null(ev);
    int ic = vg_report_col(ev, "alert");
    /* every evidence id of every row is in the index */
    for (size_t i = 0; i < r->n_tables; i++)
        for (size_t k = 0; k < r->tables[i].n_rows; k++) {
            int64_t ids[2] = {r->tables[i].rows[k].ev_first, r->tables[i].rows[k].ev_last};
            for (int j = 0; j < 2; j++) {
                if (!ids[j])
                    continue;
                bool found = false;
                for (size_t e = 0; e < ev->n_rows && !found; e++)
                    found = ev->rows[e].cells[ic].i == ids[j];
                if (!found)
                    fail_msg("table %s row %zu: alert %lld not in the evidence index",
                             r->tables[i].id, k, (long long)ids[j]);
            }
        }
    /* the scanner's row points at its first (run 1) and last (run 2) alert */
    const vg_rrow_t *row = row_of(vg_report_table(r, "scanning"), "scanner", "192.0.2.30");
    char b[64];
    snprintf(b, sizeof b, "%lld", (long long)row->ev_last);
    assert_string_equal(cell(r, "evidence", "alert", b, "run"), "2");
    assert_string_equal(cell(r, "evidence", "alert", b, "signature"), "TEST scan");
    vg_report_free(r);
}

static void test_filters_and_empty(void **st)
{
    (void)st;
    vg_report_filter_t f = {.sensor = "s2"};
    vg_report_t *r = build(&f);
    assert_string_equal(cell(r, "overview", "metric", "alerts", "value"), "2");
    assert_string_equal(cell(r, "overview", "metric", "runs", "value"), "1");
    vg_report_free(r);

    f = (vg_report_filter_t){.country = "NL"};
    r = build(&f);
    assert_int_equal(vg_report_table(r, "origins_country")->n_rows, 1);
    assert_string_equal(cell(r, "overview", "metric", "alerts", "value"), "3");
    vg_report_free(r);

    f = (vg_report_filter_t){.category = "scanning"};
    r = build(&f);
    assert_string_equal(cell(r, "overview", "metric", "alerts", "value"), "6");
    vg_report_free(r);

    /* day 1 only: [T0, T0+1 day) */
    f = (vg_report_filter_t){.has_from = true, .from_us = FX_T0 * 1000000, .has_to = true,
                             .to_us = (FX_T0 + 86400) * 1000000};
    r = build(&f);
    assert_string_equal(cell(r, "overview", "metric", "alerts", "value"), "20");
    assert_string_equal(cell(r, "overview", "metric", "runs", "value"), "1");
    vg_report_free(r);

    f = (vg_report_filter_t){.has_from = true, .from_us = (FX_T0 + 365 * 86400LL) * 1000000};
    r = build(&f);
    assert_true(r->empty);
    assert_string_equal(cell(r, "overview", "metric", "alerts", "value"), "0");
    vg_buf_t b;
    vg_buf_init(&b, 1024);
    vg_report_render(r, VG_REPORT_MD, &b);
    vg_buf_putc(&b, '\0');
    assert_non_null(strstr(b.data, "Nothing in this period"));
    vg_buf_fini(&b);
    vg_report_free(r);

    /* SQL in a filter value is only a value */
    f = (vg_report_filter_t){.sensor = "x' OR '1'='1"};
    r = build(&f);
    assert_string_equal(cell(r, "overview", "metric", "alerts", "value"), "0");
    vg_report_free(r);
}

/* JSON, CSV, Markdown and HTML carry the same cells. */
static void test_formats_agree(void **st)
{
    (void)st;
    vg_report_filter_t f = {0};
    vg_report_t *r = build(&f);
    vg_buf_t j, c, m, h;
    vg_buf_init(&j, 1 << 16);
    vg_buf_init(&c, 1 << 16);
    vg_buf_init(&m, 1 << 16);
    vg_buf_init(&h, 1 << 16);
    vg_report_render(r, VG_REPORT_JSON, &j);
    vg_report_render(r, VG_REPORT_CSV, &c);
    vg_report_render(r, VG_REPORT_MD, &m);
    vg_report_render(r, VG_REPORT_HTML, &h);
    vg_buf_putc(&c, '\0');
    vg_buf_putc(&m, '\0');
    vg_buf_putc(&h, '\0');
    json_error_t je;
    json_t *doc = json_loadb(j.data, j.len, 0, &je);
    if (!doc)
        fail_msg("JSON report does not parse: %s (line %d)", je.text, je.line);
    json_t *tables = json_object_get(doc, "tables");
    assert_int_equal(json_object_size(tables), r->n_tables);
    char txt[1024], line[4096];
    for (size_t i = 0; i < r->n_tables; i++) {
        const vg_rtable_t *t = &r->tables[i];
        json_t *rows = json_object_get(json_object_get(tables, t->id), "rows");
        assert_int_equal(json_array_size(rows), t->n_rows);
        size_t csv_rows = 0;
        char pfx[64];
        snprintf(pfx, sizeof pfx, "\r\n%s,", t->id);
        for (const char *p = c.data; (p = strstr(p, pfx)) != NULL; p++)
            csv_rows++;
        assert_int_equal(csv_rows, t->n_rows);
        for (size_t k = 0; k < t->n_rows; k++) {
            json_t *jr = json_array_get(rows, k);
            for (size_t col = 0; col < t->n_cols; col++) {
                vg_report_cell_text(&t->rows[k].cells[col], txt, sizeof txt);
                json_t *v = json_object_get(jr, t->cols[col]);
                char jt[1024];
                if (json_is_integer(v))
                    snprintf(jt, sizeof jt, "%lld", (long long)json_integer_value(v));
                else if (json_is_real(v))
                    snprintf(jt, sizeof jt, "%s", txt); /* checked below via the raw text */
                else if (json_is_string(v))
                    snprintf(jt, sizeof jt, "%s", json_string_value(v));
                else
                    snprintf(jt, sizeof jt, "%s", "");
                assert_string_equal(jt, txt);
                if (json_is_real(v))
                    assert_true(fabs(json_real_value(v) - t->rows[k].cells[col].d) < 1e-4);
            }
        }
    }
    /* a whole row in CSV and in Markdown */
    const vg_rtable_t *t = vg_report_table(r, "origins_country");
    const vg_rrow_t *br = row_of(t, "country", "BR");
    size_t off = 0;
    off += (size_t)snprintf(line + off, sizeof line - off, "origins_country");
    for (size_t col = 0; col < t->n_cols; col++) {
        vg_report_cell_text(&br->cells[col], txt, sizeof txt);
        bool q = strchr(txt, ',') != NULL;
        off += (size_t)snprintf(line + off, sizeof line - off, q ? ",\"%s\"" : ",%s", txt);
    }
    assert_non_null(strstr(c.data, line));
    assert_non_null(strstr(m.data, "| BR | 6 | 0.2857 | 6 | 6 | 2 | 0.1667 | 0.8333 | spoofable |"));
    assert_non_null(strstr(h.data, "<td>BR</td><td class=\"n\">6</td><td class=\"n\">0.2857</td><td class=\"n\">6</td>"));
    /* HTML: self-contained (nothing is loaded from elsewhere), with the map; the bar and time
     * charts are placeholders drawn on opening by the inlined chart code from the report's JSON
     * document, which the page carries ('<' escaped) — or, in a build without uPlot, none */
    assert_null(strstr(h.data, " src="));
    assert_null(strstr(h.data, "<link"));
    assert_null(strstr(h.data, "url("));
    assert_non_null(strstr(h.data, "data-chart=\"map\""));
    if (strstr(h.data, "<script")) {
        assert_non_null(strstr(h.data, "data-chart=\"series\""));
        assert_non_null(strstr(h.data, "data-chart=\"bars\""));
        assert_non_null(strstr(h.data, "<noscript>"));
        vg_buf_t e;
        vg_buf_init(&e, j.len + 64);
        vg_buf_puts(&e, "<script type=\"application/json\" id=\"vigil-report\">");
        for (size_t k = 0; k < j.len; k++) {
            if (j.data[k] == '<')
                vg_buf_puts(&e, "\\u003c");
            else
                vg_buf_putc(&e, j.data[k]);
        }
        vg_buf_puts(&e, "</script>");
        vg_buf_putc(&e, '\0');
        assert_non_null(strstr(e.data, "TEST webshell \\u003c/script>\\u003c!-- \\u003cb>"));
        assert_non_null(strstr(h.data, e.data));
        vg_buf_fini(&e);
        /* four scripts (the document, uPlot, charts.js, the call), each closed once: the
         * signature "TEST webshell </script><!-- <b>" does not close or open one */
        int closes = 0;
        for (const char *p = h.data; (p = strstr(p, "</script")) != NULL; p++)
            closes++;
        assert_int_equal(closes, 4);
    } else {
        assert_non_null(strstr(h.data, "built without the chart package"));
        assert_null(strstr(h.data, "data-chart=\"bars\""));
    }
    json_decref(doc);
    vg_buf_fini(&j);
    vg_buf_fini(&c);
    vg_buf_fini(&m);
    vg_buf_fini(&h);
    vg_report_free(r);
}

static int setup(void **st)
{
    (void)st;
    build_store();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_overview_and_totals),
        cmocka_unit_test(test_origins),
        cmocka_unit_test(test_c2_and_statements),
        cmocka_unit_test(test_targets_exploits_scans_dos_attackers),
        cmocka_unit_test(test_timeline),
        cmocka_unit_test(test_timeline_months),
        cmocka_unit_test(test_evidence_index),
        cmocka_unit_test(test_filters_and_empty),
        cmocka_unit_test(test_formats_agree),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
