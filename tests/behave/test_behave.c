/* test_behave.c — the behavioural detectors without the engine: observations in, alerts out.
 * HyperLogLog accuracy, window expiry, one alert per episode, thresholds (just below stays
 * silent), bounded tables under a flood of sources, and the pipe giving the same alerts however
 * observations are split between producers. */
#include "behave/behave_int.h"
#include "common/hash.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#define SEC VG_USEC_PER_SEC
#define T0 (1700000000ull * SEC)

typedef struct got {
    uint32_t sid[256];
    char detail[256][512];
    vg_addr_t src[256], dst[256];
    vg_time_t ts[256];
    size_t n;
} got_t;

static void collect(void *user, const vg_behave_alert_t *a)
{
    got_t *g = user;
    if (g->n == 256)
        return;
    g->sid[g->n] = a->sig->sid;
    size_t l = a->detail_len < 511 ? a->detail_len : 511;
    memcpy(g->detail[g->n], a->detail, l);
    g->detail[g->n][l] = 0;
    g->src[g->n] = a->src;
    g->dst[g->n] = a->dst;
    g->ts[g->n] = a->ts;
    g->n++;
}

static vg_addr_t v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
    vg_addr_t x;
    memset(&x, 0, sizeof x);
    x.b[0] = a;
    x.b[1] = b;
    x.b[2] = c;
    x.b[3] = d;
    return x;
}

static vg_behave_obs_t flow(vg_time_t ts, vg_addr_t src, vg_addr_t dst, uint16_t dp,
                            uint8_t proto)
{
    vg_behave_obs_t o;
    memset(&o, 0, sizeof o);
    o.kind = VG_BOBS_FLOW;
    o.ts = o.last = ts;
    o.src = src;
    o.dst = dst;
    o.sp = 40000;
    o.dp = dp;
    o.proto = proto;
    o.ip_ver = 4;
    o.pkts[0] = 1;
    o.bytes[0] = 60;
    if (proto == 6)
        o.tcp_flags[0] = 0x02;
    return o;
}

static vg_behave_t *mk(vg_behave_cfg_t *c, got_t *g)
{
    memset(g, 0, sizeof *g);
    return vg_behave_new(c, collect, NULL, g);
}

static size_t count_sid(const got_t *g, uint32_t sid)
{
    size_t n = 0;
    for (size_t i = 0; i < g->n; i++)
        n += g->sid[i] == sid;
    return n;
}

/* --- HyperLogLog --- */

static void test_hll_accuracy(void **st)
{
    (void)st;
    static const uint32_t ns[] = {1, 5, 10, 25, 50, 100, 1000, 10000, 100000};
    for (size_t k = 0; k < VG_ARRAY_LEN(ns); k++) {
        vg_hll_t h;
        vg_hll_clear(&h);
        for (uint32_t i = 0; i < ns[k]; i++) {
            vg_hll_add(&h, vg_hash_mix64(i + 12345));
            vg_hll_add(&h, vg_hash_mix64(i + 12345)); /* duplicates change nothing */
        }
        double est = vg_hll_count(&h), n = ns[k];
        double err = fabs(est - n) / n;
        /* linear counting is near exact for small sets; ~9% standard error above */
        double tol = n <= 100 ? 0.12 : 0.25;
        if (err > tol)
            fail_msg("n=%u: estimate %.0f (error %.2f > %.2f)", ns[k], est, err, tol);
    }
    vg_hll_t e;
    vg_hll_clear(&e);
    assert_int_equal(vg_hll_count(&e), 0);
}

/* --- scans --- */

static void scan_ports(vg_behave_t *b, vg_time_t t0, int n, int first_port, vg_time_t step)
{
    for (int i = 0; i < n; i++) {
        vg_behave_obs_t o = flow(t0 + (vg_time_t)i * step, v4(203, 0, 113, 5), v4(10, 0, 0, 20),
                                 (uint16_t)(first_port + i), 6);
        vg_behave_observe(b, &o, NULL);
    }
}

static void test_scan_threshold_and_episode(void **st)
{
    (void)st;
    vg_behave_cfg_t c;
    vg_behave_cfg_defaults(&c);
    got_t g;
    vg_behave_t *b = mk(&c, &g);
    scan_ports(b, T0, 15, 1000, SEC / 10);            /* below the threshold: silent */
    assert_int_equal(g.n, 0);
    vg_behave_free(b);

    b = mk(&c, &g);
    scan_ports(b, T0, 300, 1000, SEC / 100);           /* 300 ports in 3 s: one alert */
    assert_int_equal(count_sid(&g, 1001), 1);
    assert_int_equal(g.n, 1);
    assert_non_null(strstr(g.detail[0], "\"technique\":\"syn\""));
    scan_ports(b, T0 + 4 * SEC, 300, 2000, SEC / 100); /* same episode: no second alert */
    assert_int_equal(g.n, 1);
    scan_ports(b, T0 + 200 * SEC, 300, 3000, SEC / 100); /* after a quiet window: new episode */
    assert_int_equal(count_sid(&g, 1001), 2);
    vg_behave_free(b);
}

static void test_scan_window_expiry(void **st)
{
    (void)st;
    vg_behave_cfg_t c;
    vg_behave_cfg_defaults(&c);
    c.scan_slow_targets = 0; /* only the 60 s window */
    got_t g;
    vg_behave_t *b = mk(&c, &g);
    /* 20 ports, then 20 more 59 s later: 40 in one window → alert */
    scan_ports(b, T0, 20, 1000, SEC / 10);
    scan_ports(b, T0 + 59 * SEC, 20, 2000, SEC / 10);
    assert_int_equal(g.n, 1);
    vg_behave_free(b);
    /* the same with the second batch 90 s later: two windows of 20 → silent */
    b = mk(&c, &g);
    scan_ports(b, T0, 20, 1000, SEC / 10);
    scan_ports(b, T0 + 90 * SEC, 20, 2000, SEC / 10);
    assert_int_equal(g.n, 0);
    vg_behave_free(b);
}

static void test_scan_conversations_do_not_count(void **st)
{
    (void)st;
    vg_behave_cfg_t c;
    vg_behave_cfg_defaults(&c);
    got_t g;
    vg_behave_t *b = mk(&c, &g);
    /* a client talking to 200 servers with completed handshakes and data: not a scan */
    for (int i = 0; i < 200; i++) {
        vg_behave_obs_t o = flow(T0 + (vg_time_t)i * SEC / 10, v4(10, 0, 0, 5),
                                 v4(198, 51, 100, (uint8_t)i), 443, 6);
        o.flags = VG_BOBS_HANDSHAKE;
        o.tcp_flags[0] = 0x1a;
        o.pkts[0] = o.pkts[1] = 10;
        vg_behave_observe(b, &o, NULL);
    }
    assert_int_equal(g.n, 0);
    vg_behave_free(b);
}

static void invalid_probes(vg_behave_t *b, vg_time_t t0, const uint8_t *flags, int n)
{
    for (int i = 0; i < n; i++) {
        vg_behave_obs_t o = flow(t0 + (vg_time_t)i * SEC, v4(203, 0, 113, 9), v4(10, 0, 0, 21),
                                 (uint16_t)(3390 + i), 6);
        o.tcp_flags[0] = flags[i];
        o.tcp_flags[1] = 0x14; /* RST-ACK */
        o.pkts[1] = 1;
        vg_behave_observe(b, &o, NULL);
    }
}

static void test_scan_invalid_flags(void **st)
{
    (void)st;
    vg_behave_cfg_t c;
    vg_behave_cfg_defaults(&c);
    got_t g;
    /* SYN (only marks the source), then FIN, NULL, Xmas: the third invalid probe fires 1004 */
    static const uint8_t fire[] = {0x02, 0x01, 0x00, 0x29, 0x03};
    vg_behave_t *b = mk(&c, &g);
    invalid_probes(b, T0, fire, 4);
    assert_int_equal(g.n, 1);
    assert_int_equal(count_sid(&g, 1004), 1);
    assert_non_null(strstr(g.detail[0], "\"invalid_flags\":3"));
    invalid_probes(b, T0 + 10 * SEC, fire + 1, 4); /* same episode: no second alert */
    assert_int_equal(g.n, 1);
    vg_behave_free(b);
    /* valid flags (FIN+ACK, SYN) and two invalid ones: silent */
    static const uint8_t below[] = {0x02, 0x11, 0x01, 0x02, 0x29, 0x11};
    b = mk(&c, &g);
    invalid_probes(b, T0, below, 6);
    assert_int_equal(g.n, 0);
    vg_behave_free(b);
    /* the rule off */
    c.scan_invalid = 0;
    b = mk(&c, &g);
    invalid_probes(b, T0, fire, 5);
    assert_int_equal(g.n, 0);
    vg_behave_free(b);
}

/* --- brute force --- */

static void sessions(vg_behave_t *b, int n, vg_time_t gap, vg_time_t dur)
{
    for (int i = 0; i < n; i++) {
        vg_behave_obs_t o = flow(T0 + (vg_time_t)i * gap, v4(198, 51, 100, 7), v4(10, 0, 0, 22),
                                 22, 6);
        o.flags = VG_BOBS_HANDSHAKE;
        o.last = o.ts + dur;
        o.pkts[0] = 12;
        o.pkts[1] = 10;
        vg_behave_observe(b, &o, NULL);
    }
}

static void test_brute_force(void **st)
{
    (void)st;
    vg_behave_cfg_t c;
    vg_behave_cfg_defaults(&c);
    got_t g;
    vg_behave_t *b = mk(&c, &g);
    sessions(b, 9, 2 * SEC, 2 * SEC);
    assert_int_equal(g.n, 0); /* just below */
    vg_behave_free(b);
    b = mk(&c, &g);
    sessions(b, 40, 2 * SEC, 2 * SEC);
    assert_int_equal(count_sid(&g, 2001), 1); /* once per episode */
    vg_behave_free(b);
    b = mk(&c, &g);
    sessions(b, 40, 2 * SEC, 600 * SEC); /* long sessions are not attempts */
    assert_int_equal(g.n, 0);
    vg_behave_free(b);
}

/* --- floods --- */

static void test_flood_rate(void **st)
{
    (void)st;
    vg_behave_cfg_t c;
    vg_behave_cfg_defaults(&c);
    got_t g;
    vg_behave_t *b = mk(&c, &g);
    /* 6000 spoofed SYNs at 500/s: below flood.pps */
    for (uint32_t i = 0; i < 6000; i++) {
        vg_behave_obs_t o = flow(T0 + (vg_time_t)i * SEC / 500, v4(1, (uint8_t)(i >> 8),
                                 (uint8_t)i, 1), v4(10, 0, 0, 80), 80, 6);
        vg_behave_observe(b, &o, NULL);
    }
    assert_int_equal(count_sid(&g, 3001), 0);
    vg_behave_free(b);
    b = mk(&c, &g);
    for (uint32_t i = 0; i < 20000; i++) {
        vg_behave_obs_t o = flow(T0 + (vg_time_t)i * SEC / 5000, v4(1, (uint8_t)(i >> 8),
                                 (uint8_t)i, 1), v4(10, 0, 0, 80), 80, 6);
        vg_behave_observe(b, &o, NULL);
    }
    assert_int_equal(count_sid(&g, 3001), 1);
    assert_non_null(strstr(g.detail[0], "\"spoofable\":true"));
    vg_behave_free(b);
}

/* --- beaconing --- */

static void calls(vg_behave_t *b, int n, double period, double jitter)
{
    srand(7);
    vg_time_t t = T0;
    for (int i = 0; i < n; i++) {
        vg_behave_obs_t o = flow(t, v4(10, 0, 0, 30), v4(198, 51, 100, 50), 443, 6);
        o.flags = VG_BOBS_HANDSHAKE;
        o.pkts[1] = 3;
        vg_behave_observe(b, &o, NULL);
        double j = ((double)rand() / RAND_MAX * 2 - 1) * jitter;
        t += (vg_time_t)((period + j) * (double)SEC);
    }
}

static void test_beacon(void **st)
{
    (void)st;
    vg_behave_cfg_t c;
    vg_behave_cfg_defaults(&c);
    got_t g;
    vg_behave_t *b = mk(&c, &g);
    calls(b, 20, 300, 5);
    assert_int_equal(count_sid(&g, 4001), 1);
    if (!strstr(g.detail[0], "\"period\":29") && !strstr(g.detail[0], "\"period\":30"))
        fail_msg("period: %s", g.detail[0]);
    vg_behave_free(b);
    b = mk(&c, &g);
    calls(b, 20, 300, 150); /* ±50%: not regular */
    assert_int_equal(g.n, 0);
    vg_behave_free(b);
    b = mk(&c, &g);
    calls(b, 7, 300, 1); /* too few calls */
    assert_int_equal(g.n, 0);
    vg_behave_free(b);
}

/* --- DNS tunnels --- */

static void queries(vg_behave_t *b, int n, const char *fmt, uint16_t qtype, bool random_label)
{
    char names[256];
    for (int i = 0; i < n; i++) {
        char label[64];
        if (random_label)
            snprintf(label, sizeof label, "%016llx%016llx",
                     (unsigned long long)vg_hash_mix64((uint64_t)i + 1),
                     (unsigned long long)vg_hash_mix64((uint64_t)i + 99));
        else
            snprintf(label, sizeof label, "www");
        int len = snprintf(names, sizeof names, fmt, label);
        vg_behave_obs_t o;
        memset(&o, 0, sizeof o);
        o.kind = VG_BOBS_DNS;
        o.ts = o.last = T0 + (vg_time_t)i * SEC;
        o.src = v4(10, 0, 0, 40);
        o.dst = v4(10, 0, 0, 1);
        o.sp = 33000;
        o.dp = 53;
        o.proto = 17;
        o.ip_ver = 4;
        o.code = qtype;
        o.name_len = (uint8_t)len;
        o.name_off = 0;
        vg_behave_observe(b, &o, names);
    }
}

static void test_dns_tunnel(void **st)
{
    (void)st;
    vg_behave_cfg_t c;
    vg_behave_cfg_defaults(&c);
    got_t g;
    vg_behave_t *b = mk(&c, &g);
    queries(b, 50, "%s.t.tunnel.co.uk", 1, true);
    assert_int_equal(count_sid(&g, 5001), 1);
    /* three labels under a two-letter TLD with a usual second level */
    assert_non_null(strstr(g.detail[0], "\"domain\":\"tunnel.co.uk\""));
    vg_behave_free(b);
    b = mk(&c, &g);
    queries(b, 19, "%s.tunnel.example", 16, true); /* below dns-tunnel.queries */
    assert_int_equal(g.n, 0);
    vg_behave_free(b);
    b = mk(&c, &g);
    queries(b, 200, "%s.example.com", 1, false); /* the same short name again and again */
    assert_int_equal(g.n, 0);
    vg_behave_free(b);
    /* hashed hostnames of an ignored content network: silent; the same with the list emptied */
    b = mk(&c, &g);
    queries(b, 50, "%s.safeframe.googlesyndication.com", 1, true);
    assert_int_equal(g.n, 0);
    vg_behave_free(b);
    c.dns_ignore[0] = 0;
    b = mk(&c, &g);
    queries(b, 50, "%s.safeframe.googlesyndication.com", 1, true);
    assert_int_equal(count_sid(&g, 5001), 1);
    vg_behave_free(b);
}

/* --- exfiltration --- */

static void test_exfil(void **st)
{
    (void)st;
    vg_behave_cfg_t c;
    vg_behave_cfg_defaults(&c);
    c.exfil_bytes = 10u << 20;
    got_t g;
    vg_behave_t *b = mk(&c, &g);
    for (int i = 0; i < 30; i++) { /* 30 x 500 KB up, 10 KB down: 15 MB */
        vg_behave_obs_t o = flow(T0 + (vg_time_t)i * 10 * SEC, v4(10, 0, 0, 50),
                                 v4(198, 51, 100, 60), 443, 6);
        o.flags = VG_BOBS_HANDSHAKE;
        o.bytes[0] = 500000;
        o.bytes[1] = 10000;
        vg_behave_observe(b, &o, NULL);
    }
    assert_int_equal(count_sid(&g, 6001), 1);
    vg_behave_free(b);
    /* the same volume downloaded: silent; uploads balanced by downloads: silent */
    b = mk(&c, &g);
    for (int i = 0; i < 30; i++) {
        vg_behave_obs_t o = flow(T0 + (vg_time_t)i * 10 * SEC, v4(10, 0, 0, 50),
                                 v4(198, 51, 100, 60), 443, 6);
        o.flags = VG_BOBS_HANDSHAKE;
        o.bytes[0] = 500000;
        o.bytes[1] = 400000;
        vg_behave_observe(b, &o, NULL);
    }
    assert_int_equal(count_sid(&g, 6001), 0); /* (the 10 s rhythm is a beacon, 4001) */
    vg_behave_free(b);
}

/* --- bounded memory --- */

static void test_tables_bounded(void **st)
{
    (void)st;
    vg_behave_cfg_t c;
    vg_behave_cfg_defaults(&c);
    c.table_size = 1024;
    got_t g;
    vg_behave_t *b = mk(&c, &g);
    uint64_t mem = vg_behave_memory(b);
    for (uint32_t i = 0; i < 200000; i++) { /* 200k spoofed sources, two probes each */
        vg_behave_obs_t o = flow(T0 + i * 10, v4((uint8_t)(1 + (i >> 16)), (uint8_t)(i >> 8),
                                 (uint8_t)i, 9), v4(10, 0, (uint8_t)(i & 3), 80), 80, 6);
        vg_behave_observe(b, &o, NULL);
        o.dp = 81;
        vg_behave_observe(b, &o, NULL);
    }
    assert_int_equal(vg_behave_memory(b), mem); /* nothing grows */
    uint64_t v[BC_N];
    vg_behave_finish(b);
    vg_behave_stats_snapshot(b, v);
    assert_true(v[BC_EVICTIONS] > 100000);
    assert_int_equal(v[BC_OBS], 400000);
    assert_true(mem < 2u << 20);
    vg_behave_free(b);
}

/* --- the pipe: same alerts however the observations are split --- */

static void feed_pipe(unsigned producers, got_t *g)
{
    vg_behave_cfg_t c;
    vg_behave_cfg_defaults(&c);
    memset(g, 0, sizeof *g);
    vg_behave_t *b = vg_behave_new(&c, collect, NULL, g);
    vg_behave_pipe_t *p = vg_behave_pipe_start(b, producers, NULL, NULL);
    /* epochs of one second; within each, observations spread over producers by a hash of the
     * address pair, in a different order on each producer */
    for (int sec = 0; sec < 20; sec++) {
        for (int i = 0; i < 60; i++) {
            vg_behave_obs_t o = flow(T0 + (vg_time_t)sec * SEC + (vg_time_t)(59 - i) * 1000,
                                     v4(203, 0, 113, (uint8_t)(1 + i % 3)),
                                     v4(10, 0, (uint8_t)(i % 2), (uint8_t)(i % 40)),
                                     (uint16_t)(100 + sec * 60 + i), 6);
            unsigned prod = (unsigned)(vg_hash_bytes(&o.dst, 4, 1) % producers);
            vg_behave_pipe_add(p, prod, &o, NULL, 0);
        }
        for (unsigned k = 0; k < producers; k++)
            vg_behave_pipe_epoch(p, k);
    }
    for (unsigned k = 0; k < producers; k++)
        vg_behave_pipe_close(p, k);
    vg_behave_pipe_join(p);
    vg_behave_free(b);
}

static void test_pipe_deterministic(void **st)
{
    (void)st;
    static got_t g1, g3;
    feed_pipe(1, &g1);
    feed_pipe(3, &g3);
    assert_true(g1.n >= 3);
    assert_int_equal(g1.n, g3.n);
    for (size_t i = 0; i < g1.n; i++) {
        assert_int_equal(g1.sid[i], g3.sid[i]);
        assert_int_equal(g1.ts[i], g3.ts[i]);
        assert_memory_equal(&g1.src[i], &g3.src[i], sizeof(vg_addr_t));
        assert_memory_equal(&g1.dst[i], &g3.dst[i], sizeof(vg_addr_t));
        assert_string_equal(g1.detail[i], g3.detail[i]);
    }
}

/* The per-epoch caps: single-packet flows beyond theirs are dropped and counted, while flows of
 * real conversations still get in. */
static void test_pipe_caps(void **st)
{
    (void)st;
    vg_behave_cfg_t c;
    vg_behave_cfg_defaults(&c);
    c.max_epoch_single = 1024;
    got_t g;
    memset(&g, 0, sizeof g);
    vg_behave_t *b = vg_behave_new(&c, collect, NULL, &g);
    vg_behave_pipe_t *p = vg_behave_pipe_start(b, 1, NULL, NULL);
    for (uint32_t i = 0; i < 5000; i++) {
        vg_behave_obs_t o = flow(T0 + i, v4(1, (uint8_t)(i >> 8), (uint8_t)i, 1),
                                 v4(10, 0, 0, 80), 80, 6);
        vg_behave_pipe_add(p, 0, &o, NULL, 0);
    }
    for (uint32_t i = 0; i < 100; i++) {
        vg_behave_obs_t o = flow(T0 + i, v4(10, 0, 0, 5), v4(198, 51, 100, 1), 443, 6);
        o.pkts[0] = o.pkts[1] = 5;
        o.flags = VG_BOBS_HANDSHAKE;
        vg_behave_pipe_add(p, 0, &o, NULL, 0);
    }
    vg_behave_pipe_close(p, 0);
    vg_behave_pipe_join(p);
    uint64_t v[BC_N];
    vg_behave_stats_snapshot(b, v);
    assert_int_equal(v[BC_OBS], 1024 + 100);
    assert_int_equal(v[BC_OBS_DROPPED], 5000 - 1024);
    vg_behave_free(b);
}

static void test_config_ports(void **st)
{
    (void)st;
    vg_config_t *cfg = vg_config_new();
    char err[256];
    vg_behave_cfg_t c;
    assert_int_equal(vg_behave_cfg_load(&c, cfg, err, sizeof err), 0);
    assert_true(c.n_brute_ports > 5 && vg_behave_port_in(c.brute_ports, c.n_brute_ports, 22));
    assert_int_equal(vg_config_set(cfg, "behave.brute-force.ports", "22,abc", err, sizeof err), 0);
    assert_int_equal(vg_behave_cfg_load(&c, cfg, err, sizeof err), -1);
    assert_non_null(strstr(err, "behave.brute-force.ports"));
    vg_config_free(cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hll_accuracy),
        cmocka_unit_test(test_scan_threshold_and_episode),
        cmocka_unit_test(test_scan_window_expiry),
        cmocka_unit_test(test_scan_conversations_do_not_count),
        cmocka_unit_test(test_scan_invalid_flags),
        cmocka_unit_test(test_brute_force),
        cmocka_unit_test(test_flood_rate),
        cmocka_unit_test(test_beacon),
        cmocka_unit_test(test_dns_tunnel),
        cmocka_unit_test(test_exfil),
        cmocka_unit_test(test_tables_bounded),
        cmocka_unit_test(test_pipe_deterministic),
        cmocka_unit_test(test_pipe_caps),
        cmocka_unit_test(test_config_ports),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
