/* Tests for detect/detect_engine.c: grouping, candidate selection (prefilter, address index,
 * port pre-check), evaluation order with flowbits, pass rules, one alert per rule and
 * transaction, thresholds. Inputs are built by hand; no capture needed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect/detect_engine.h"

typedef struct hits {
    uint32_t sid[32];
    int dir[32];
    int n;
} hits_t;

static void on_alert(void *user, const vg_rule_t *r, int dir)
{
    hits_t *h = user;
    if (h->n < 32) {
        h->sid[h->n] = r->sid;
        h->dir[h->n++] = dir;
    }
}

static vg_detect_engine_t *engine(const char *rules)
{
    vg_ruleset_t *rs = vg_ruleset_new();
    assert_true(vg_ruleset_load_str(rs, rules, "test.rules") > 0);
    assert_int_equal(vg_ruleset_n_failed(rs) + vg_ruleset_n_skipped(rs), 0);
    return vg_detect_engine_new(rs, NULL);
}

static vg_packet_t tcp_pkt(const char *src, uint16_t sp, const char *dst, uint16_t dp,
                           const char *payload)
{
    vg_packet_t p;
    memset(&p, 0, sizeof p);
    p.ip_ver = 4;
    p.proto = 6;
    inet_pton(AF_INET, src, p.src.b);
    inet_pton(AF_INET, dst, p.dst.b);
    p.sp = sp;
    p.dp = dp;
    p.tcp_flags = 0x18;
    p.payload = (const uint8_t *)payload;
    p.payload_len = (uint32_t)strlen(payload);
    return p;
}

static void run_pkt_fv_at(vg_detect_ctx_t *c, const vg_packet_t *p, vg_flowvars_t *fv, hits_t *h,
                          vg_time_t now)
{
    vg_detect_input_t in;
    memset(&in, 0, sizeof in);
    in.pkt = p;
    in.buf[VG_DBUF_PAYLOAD] = p->payload;
    in.len[VG_DBUF_PAYLOAD] = p->payload_len;
    in.flow = VG_DIN_HAS_FLOW | VG_DIN_ESTABLISHED | VG_DIN_TOSERVER;
    vg_detect_packet(c, &in, fv, 0, now, on_alert, h);
}

static void run_pkt(vg_detect_ctx_t *c, const vg_packet_t *p, vg_flowvars_t *fv, hits_t *h)
{
    run_pkt_fv_at(c, p, fv, h, 1000000);
}

static void test_payload_ports_and_order(void **state)
{
    (void)state;
    vg_detect_engine_t *e = engine(
        "alert tcp any any -> any 80 (msg:\"a\"; content:\"attack\"; sid:10;)\n"
        "alert tcp any any -> any 8080 (msg:\"b\"; content:\"attack\"; sid:11;)\n"
        "alert tcp any any -> any any (msg:\"c\"; content:\"nothing-here\"; sid:12;)\n"
        "alert tcp any any -> any any (msg:\"check\"; flowbits:isset,seen; content:\"attack\"; sid:20;)\n"
        "alert tcp any any -> any any (msg:\"set\"; content:\"att\"; flowbits:set,seen; flowbits:noalert; sid:21;)\n");
    vg_detect_ctx_t *c = vg_detect_ctx_new(e);
    vg_flowvars_t *fv = vg_flowvars_new(vg_detect_engine_ruleset(e));
    hits_t h = {0};
    vg_packet_t p = tcp_pkt("10.0.0.1", 1234, "10.0.0.2", 80, "GET /attack HTTP/1.0");
    run_pkt(c, &p, fv, &h);
    /* sid 21 (setter, noalert) runs before 20 (reader) in the same packet, so 20 fires; readers
     * are ordered before rules without flowbits; 11 is for another port; 12's pattern is absent */
    assert_int_equal(h.n, 2);
    assert_int_equal(h.sid[0], 20);
    assert_int_equal(h.sid[1], 10);
    vg_flowvars_free(fv);
    vg_detect_ctx_free(c);
    vg_detect_engine_free(e);
}

/* Payload prefilters are split by destination port, source port and flow direction (and
 * header-only rules are indexed by port): each rule must still fire exactly where its header
 * and flow keywords say, whichever prefilter it sits in. */
static void test_split_prefilters(void **state)
{
    (void)state;
    vg_detect_engine_t *e = engine(
        "alert tcp any any -> any 445 (msg:\"dport\"; flow:to_server; content:\"smbattack\"; sid:1;)\n"
        "alert tcp any any -> any [139,445] (msg:\"dport list\"; content:\"smbattack\"; sid:2;)\n"
        "alert tcp any 80 -> any any (msg:\"sport\"; flow:to_client; content:\"smbattack\"; sid:3;)\n"
        "alert tcp any any -> any any (msg:\"to client\"; flow:to_client; content:\"smbattack\"; sid:4;)\n"
        "alert tcp any any -> any any (msg:\"to server\"; flow:to_server; content:\"smbattack\"; sid:5;)\n"
        "alert tcp any any -> any any (msg:\"any dir\"; content:\"smbattack\"; sid:6;)\n"
        "alert tcp any any <> any 445 (msg:\"bidir\"; content:\"smbattack\"; sid:7;)\n"
        "alert tcp any any -> any 22 (msg:\"hdr only\"; flags:S; sid:8;)\n");
    vg_detect_ctx_t *c = vg_detect_ctx_new(e);
    struct { const char *src; uint16_t sp; const char *dst; uint16_t dp; uint32_t dir;
             uint32_t want; } cases[] = {
        /* to-server packet to 445: 1, 2, 5, 6, 7 */
        {"10.0.0.1", 1234, "10.0.0.2", 445, VG_DIN_TOSERVER, 1u << 1 | 1u << 2 | 1u << 5 | 1u << 6 | 1u << 7},
        /* to-server to 139: 2, 5, 6 */
        {"10.0.0.1", 1234, "10.0.0.2", 139, VG_DIN_TOSERVER, 1u << 2 | 1u << 5 | 1u << 6},
        /* to-client from 80: 3, 4, 6 */
        {"10.0.0.2", 80, "10.0.0.1", 1234, VG_DIN_TOCLIENT, 1u << 3 | 1u << 4 | 1u << 6},
        /* to-client from 445: 4, 6, 7 (bidirectional header) */
        {"10.0.0.2", 445, "10.0.0.1", 1234, VG_DIN_TOCLIENT, 1u << 4 | 1u << 6 | 1u << 7},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        vg_packet_t p = tcp_pkt(cases[k].src, cases[k].sp, cases[k].dst, cases[k].dp,
                                "xx smbattack xx");
        vg_detect_input_t in;
        memset(&in, 0, sizeof in);
        in.pkt = &p;
        in.buf[VG_DBUF_PAYLOAD] = p.payload;
        in.len[VG_DBUF_PAYLOAD] = p.payload_len;
        in.flow = VG_DIN_HAS_FLOW | VG_DIN_ESTABLISHED | cases[k].dir;
        hits_t h = {0};
        vg_detect_packet(c, &in, NULL, cases[k].dir == VG_DIN_TOCLIENT, 1000000, on_alert, &h);
        uint32_t got = 0;
        for (int i = 0; i < h.n; i++)
            got |= 1u << h.sid[i];
        assert_int_equal(got, cases[k].want);
    }
    /* the header-only rule through the port index: a SYN to 22 only */
    vg_packet_t syn = tcp_pkt("10.0.0.1", 1234, "10.0.0.2", 22, "");
    syn.tcp_flags = 0x02;
    hits_t h = {0};
    run_pkt(c, &syn, NULL, &h);
    assert_int_equal(h.n, 1);
    assert_int_equal(h.sid[0], 8);
    syn.dp = 23;
    h.n = 0;
    run_pkt(c, &syn, NULL, &h);
    assert_int_equal(h.n, 0);
    vg_detect_ctx_free(c);
    vg_detect_engine_free(e);
}

/* Address classes of the direction prefilters: whatever the addresses (home/outside, both
 * ways, IPv6), the engine raises exactly the rules the reference evaluator matches. */
/* A TCP payload that went into the stream (VG_DIN_STREAM_ADD) is inspected only by the rules
 * that require the packet (dsize, no_stream, a content anchored by depth/offset); the others see
 * its bytes in a raw-stream window. The slot's packet database must find exactly those: the
 * anchored rule and the dsize rule on the payload alone, before a window is ready and beside
 * one, and the other rules only in the window. */
static void test_packet_and_stream_prefilters(void **state)
{
    (void)state;
    vg_detect_engine_t *e = engine(
        "alert tcp any any -> any 80 (msg:\"anchored\"; content:\"GET\"; depth:3; sid:1;)\n"
        "alert tcp any any -> any 80 (msg:\"stream\"; content:\"evilpath\"; sid:2;)\n"
        "alert tcp any any -> any 80 (msg:\"dsize\"; dsize:>10; content:\"evil\"; sid:3;)\n"
        "alert tcp any any -> any any (msg:\"any port, stream\"; content:\"evilpath\"; sid:4;)\n"
        "alert tcp any any -> any any (msg:\"any port, anchored\"; content:\"GET /e\"; depth:6; sid:5;)\n");
    vg_detect_ctx_t *c = vg_detect_ctx_new(e);
    vg_packet_t p = tcp_pkt("10.0.0.1", 1234, "10.0.0.2", 80, "GET /evilpath HTTP/1.0");
    static const char win[] = "POST /x HTTP/1.0\r\n\r\nGET /evilpath HTTP/1.0";
    for (int mode = 0; mode < 3; mode++) { /* not added; added, no window; added, window */
        vg_detect_input_t in;
        memset(&in, 0, sizeof in);
        in.pkt = &p;
        in.buf[VG_DBUF_PAYLOAD] = p.payload;
        in.len[VG_DBUF_PAYLOAD] = p.payload_len;
        in.flow = VG_DIN_HAS_FLOW | VG_DIN_ESTABLISHED | VG_DIN_TOSERVER |
                  (mode ? VG_DIN_STREAM_ADD : 0);
        if (mode == 2) {
            in.stream = (const uint8_t *)win;
            in.stream_len = sizeof win - 1;
            in.flow |= VG_DIN_STREAM;
        }
        hits_t h = {0};
        vg_detect_packet(c, &in, NULL, 0, 1000000, on_alert, &h);
        uint32_t got = 0;
        for (int i = 0; i < h.n; i++)
            got |= 1u << h.sid[i];
        static const uint32_t want[3] = {
            1u << 1 | 1u << 2 | 1u << 3 | 1u << 4 | 1u << 5, /* every rule on the payload */
            1u << 1 | 1u << 3 | 1u << 5,                     /* only the packet-bound ones */
            1u << 1 | 1u << 2 | 1u << 3 | 1u << 4 | 1u << 5, /* the others in the window */
        };
        if (got != want[mode])
            fail_msg("mode %d: alerts 0x%x, want 0x%x", mode, got, want[mode]);
        assert_int_equal(h.n, __builtin_popcount(want[mode]));
    }
    vg_detect_ctx_free(c);
    vg_detect_engine_free(e);
}

static void test_address_classes(void **state)
{
    (void)state;
    const char *rules =
        "alert tcp $HOME_NET any -> $EXTERNAL_NET any (msg:\"out\"; content:\"classmark\"; sid:1;)\n"
        "alert tcp $EXTERNAL_NET any -> $HOME_NET any (msg:\"in\"; content:\"classmark\"; sid:2;)\n"
        "alert tcp any any -> any any (msg:\"any\"; content:\"classmark\"; sid:3;)\n"
        "alert tcp $HOME_NET any <> $EXTERNAL_NET any (msg:\"bidir\"; content:\"classmark\"; sid:4;)\n"
        "alert tcp $HOME_NET any -> $HOME_NET any (msg:\"internal\"; content:\"classmark\"; sid:5;)\n"
        "alert tcp [198.51.100.0/24,10.9.0.0/16] any -> any any (msg:\"list\"; content:\"classmark\"; sid:6;)\n"
        "alert tcp $EXTERNAL_NET any -> $EXTERNAL_NET any (msg:\"outside\"; flow:to_server; content:\"classmark\"; sid:7;)\n";
    vg_detect_engine_t *e = engine(rules);
    vg_detect_ctx_t *c = vg_detect_ctx_new(e);
    vg_detect_thread_t *t = vg_detect_thread_new();
    const vg_ruleset_t *rs = vg_detect_engine_ruleset(e);
    static const char *const addrs[] = {"10.0.0.1", "192.168.1.5", "10.9.1.1", "198.51.100.7",
                                        "203.0.113.9", "2001:db8::1", "fe80::1"};
    int n_addr = (int)(sizeof addrs / sizeof addrs[0]), checked = 0;
    for (int a = 0; a < n_addr; a++)
        for (int b = 0; b < n_addr; b++) {
            if (a == b || (strchr(addrs[a], ':') != NULL) != (strchr(addrs[b], ':') != NULL))
                continue;
            for (int dir = 0; dir < 2; dir++) {
                vg_packet_t p = tcp_pkt("0.0.0.0", 1234, "0.0.0.0", 80, "xx classmark xx");
                bool v6 = strchr(addrs[a], ':') != NULL;
                p.ip_ver = v6 ? 6 : 4;
                inet_pton(v6 ? AF_INET6 : AF_INET, addrs[a], p.src.b);
                inet_pton(v6 ? AF_INET6 : AF_INET, addrs[b], p.dst.b);
                vg_detect_input_t in;
                memset(&in, 0, sizeof in);
                in.pkt = &p;
                in.buf[VG_DBUF_PAYLOAD] = p.payload;
                in.len[VG_DBUF_PAYLOAD] = p.payload_len;
                in.flow = VG_DIN_HAS_FLOW | VG_DIN_ESTABLISHED |
                          (dir ? VG_DIN_TOCLIENT : VG_DIN_TOSERVER);
                hits_t h = {0};
                vg_detect_packet(c, &in, NULL, dir, 1000000, on_alert, &h);
                uint32_t got = 0, want = 0;
                for (int i = 0; i < h.n; i++)
                    got |= 1u << h.sid[i];
                for (uint32_t i = 0; i < vg_ruleset_count(rs); i++)
                    if (vg_detect_eval_rule(t, vg_ruleset_rule(rs, i), &in))
                        want |= 1u << vg_ruleset_rule(rs, i)->sid;
                assert_int_equal(got, want);
                checked += want != 0;
            }
        }
    assert_true(checked > 20); /* the cases do match something */
    vg_detect_thread_free(t);
    vg_detect_ctx_free(c);
    vg_detect_engine_free(e);
}

/* The /16 tables behind the address index (ET's reputation lists: tens of thousands of
 * segments) and the address classes: a list of more than BY16_MIN_SEG segments, ranges that
 * start, end and straddle /16 boundaries, and a $HOME_NET with ranges smaller than a /16, against
 * the reference evaluator for addresses at, just before and just after every range end. */
static void test_address_tables(void **state)
{
    (void)state;
    char list[8192] = "";
    size_t o = 0;
    uint32_t ends[600];
    int n_ends = 0;
    for (int i = 0; i < 150; i++) { /* /32s, /30s and /28s over a few /16s */
        uint32_t base = (203u << 24 | 0u << 16) + (uint32_t)(i % 3) * 65536u + (uint32_t)i * 97u;
        int bits = 32 - 2 * (i % 3);
        o += (size_t)snprintf(list + o, sizeof list - o, "%s%u.%u.%u.%u/%d", i ? "," : "",
                              base >> 24, base >> 16 & 255, base >> 8 & 255, base & 255, bits);
        ends[n_ends++] = base & ~((1u << (32 - bits)) - 1);
        ends[n_ends++] = (base | ((1u << (32 - bits)) - 1));
    }
    /* ranges across /16 boundaries (and ending just before one) */
    o += (size_t)snprintf(list + o, sizeof list - o, ",198.18.255.128/25,198.19.0.0/17,100.64.0.0/10");
    static const uint32_t more[] = {0xC612FF80u, 0xC613FFFFu, 0xC6130000u, 0xC6137FFFu,
                                    0x64400000u, 0x647FFFFFu};
    for (size_t i = 0; i < sizeof more / sizeof more[0]; i++)
        ends[n_ends++] = more[i];
    char *rules = malloc(20000);
    assert_non_null(rules);
    snprintf(rules, 20000,
             "alert ip [%s] any -> any any (msg:\"src listed\"; sid:1;)\n"
             "alert ip any any -> [%s] any (msg:\"dst listed\"; sid:2;)\n"
             "alert tcp $HOME_NET any -> $EXTERNAL_NET any (msg:\"out\"; content:\"tblmark\"; sid:3;)\n"
             "alert tcp $EXTERNAL_NET any -> $HOME_NET any (msg:\"in\"; content:\"tblmark\"; sid:4;)\n"
             "alert tcp $HOME_NET any -> $HOME_NET any (msg:\"internal\"; content:\"tblmark\"; sid:5;)\n",
             list, list);
    vg_ruleset_t *rs = vg_ruleset_new();
    assert_int_equal(vg_ruleset_set_var(rs, "HOME_NET",
                                        "[203.0.0.0/24,203.1.0.128/25,198.19.0.7,100.64.0.0/10]"),
                     0);
    assert_int_equal(vg_ruleset_set_var(rs, "EXTERNAL_NET", "!$HOME_NET"), 0);
    assert_int_equal(vg_ruleset_load_str(rs, rules, "test.rules"), 5);
    free(rules);
    vg_detect_engine_t *e = vg_detect_engine_new(rs, NULL);
    vg_detect_ctx_t *c = vg_detect_ctx_new(e);
    vg_detect_thread_t *t = vg_detect_thread_new();
    uint32_t probes[2000];
    int n_probes = 0;
    for (int i = 0; i < n_ends; i++)
        for (int d = -1; d <= 1; d++)
            probes[n_probes++] = ends[i] + (uint32_t)d;
    probes[n_probes++] = 0;
    probes[n_probes++] = 0xFFFFFFFFu;
    probes[n_probes++] = 0x0A000001u;
    uint32_t seen = 0;
    for (int i = 0; i < n_probes; i++) {
        for (int swap = 0; swap < 4; swap++) { /* a far probe and the next one, both ways */
            uint32_t other = probes[swap < 2 ? (i * 7 + 3) % n_probes : (i + 1) % n_probes];
            uint32_t s = swap & 1 ? other : probes[i], d = swap & 1 ? probes[i] : other;
            vg_packet_t p = tcp_pkt("0.0.0.0", 1234, "0.0.0.0", 80, "a tblmark b");
            for (int k = 0; k < 4; k++) {
                p.src.b[k] = (uint8_t)(s >> (24 - 8 * k));
                p.dst.b[k] = (uint8_t)(d >> (24 - 8 * k));
            }
            vg_detect_input_t in;
            memset(&in, 0, sizeof in);
            in.pkt = &p;
            in.buf[VG_DBUF_PAYLOAD] = p.payload;
            in.len[VG_DBUF_PAYLOAD] = p.payload_len;
            in.flow = VG_DIN_HAS_FLOW | VG_DIN_ESTABLISHED | VG_DIN_TOSERVER;
            hits_t h = {0};
            vg_detect_packet(c, &in, NULL, 0, 1000000, on_alert, &h);
            uint32_t got = 0, want = 0;
            for (int k = 0; k < h.n; k++)
                got |= 1u << h.sid[k];
            for (uint32_t k = 0; k < vg_ruleset_count(rs); k++)
                if (vg_detect_eval_rule(t, vg_ruleset_rule(rs, k), &in))
                    want |= 1u << vg_ruleset_rule(rs, k)->sid;
            assert_int_equal(got, want);
            seen |= want;
        }
    }
    assert_int_equal(seen, 0x3Eu); /* every rule matched some probe */
    vg_detect_thread_free(t);
    vg_detect_ctx_free(c);
    vg_detect_engine_free(e);
}

/* Transaction scans are memoised per context (same slot and bytes: the stored result). URIs
 * drawn from a small alphabet repeat often, and many differ in one byte at the same length;
 * each inspection must give what the reference evaluator gives, and the memo must be used. */
static void test_tx_scan_memo(void **state)
{
    (void)state;
    vg_detect_engine_t *e = engine(
        "alert http any any -> any any (msg:\"a\"; flow:to_server; http.uri; content:\"/ab\"; sid:1;)\n"
        "alert http any any -> any any (msg:\"b\"; http.uri; content:\"ba\"; content:\"c\"; distance:0; sid:2;)\n"
        "alert http any any -> any any (msg:\"c\"; http.uri; content:\"/cc\"; endswith; sid:3;)\n"
        "alert http any any -> any any (msg:\"d\"; http.user_agent; content:\"bot\"; sid:4;)\n"
        "alert http any any -> any any (msg:\"e\"; http.uri; content:\"aaaa\"; http.user_agent; content:\"x\"; sid:5;)\n");
    const vg_ruleset_t *rs = vg_detect_engine_ruleset(e);
    vg_detect_ctx_t *c = vg_detect_ctx_new(e);
    vg_detect_thread_t *t = vg_detect_thread_new();
    vg_packet_t ts = tcp_pkt("10.0.0.1", 1234, "10.0.0.2", 80, "");
    static const char *const uas[] = {"curl", "a bot", "x", "botx"};
    char uri[400];
    uint32_t rnd = 12345, seen = 0;
    for (int tx = 0; tx < 3000; tx++) {
        rnd = rnd * 1103515245u + 12345u;
        /* short URIs over "/abc" (many repeats), now and then one longer than the memo keeps */
        size_t len = (rnd >> 16) % 53 == 0 ? 300 : 1 + (rnd >> 20) % 5;
        for (size_t i = 0; i < len; i++) {
            rnd = rnd * 1103515245u + 12345u;
            uri[i] = "/abc"[(rnd >> 16) & 3];
        }
        vg_detect_input_t in;
        memset(&in, 0, sizeof in);
        in.buf[VG_BUF_HTTP_URI] = (const uint8_t *)uri;
        in.len[VG_BUF_HTTP_URI] = (uint32_t)len;
        const char *ua = uas[(rnd >> 24) & 3];
        in.buf[VG_BUF_HTTP_USER_AGENT] = (const uint8_t *)ua;
        in.len[VG_BUF_HTTP_USER_AGENT] = (uint32_t)strlen(ua);
        in.pkt = &ts;
        in.app_proto = VG_APP_HTTP;
        in.flow = VG_DIN_HAS_FLOW | VG_DIN_ESTABLISHED | VG_DIN_TOSERVER;
        hits_t h = {0};
        vg_detect_tx(c, &in, NULL, NULL, 1000000, on_alert, &h);
        uint32_t got = 0, want = 0;
        for (int k = 0; k < h.n; k++)
            got |= 1u << h.sid[k];
        for (uint32_t k = 0; k < vg_ruleset_count(rs); k++)
            if (vg_detect_eval_rule(t, vg_ruleset_rule(rs, k), &in))
                want |= 1u << vg_ruleset_rule(rs, k)->sid;
        assert_int_equal(got, want);
        seen |= want;
    }
    assert_int_equal(seen, 0x3Eu); /* every rule matched some request */
    const vg_stats_table_t *st = vg_detect_stats_table();
    const uint64_t *v = vg_detect_stats_values(c);
    uint64_t memo_hits = 0;
    for (size_t k = 0; k < st->n; k++)
        if (!strcmp(st->names[k], "detect.scan_memo_hits"))
            memo_hits = v[k];
    assert_true(memo_hits > 1000); /* 3000 requests, a few hundred distinct URIs */
    vg_detect_thread_free(t);
    vg_detect_ctx_free(c);
    vg_detect_engine_free(e);
}

/* Flow variables made on demand: a flow without any is inspected with fv NULL; the engine asks
 * fv_make only when a matching rule has flowbit/flowint actions, and later rules of the same
 * packet and later packets see what was set. */
static vg_flowvars_t *made_fv;
static int n_made;
static vg_flowvars_t *make_fv(void *user)
{
    (void)user;
    n_made++;
    return made_fv;
}

static void test_flowvars_on_demand(void **state)
{
    (void)state;
    vg_detect_engine_t *e = engine(
        "alert tcp any any -> any any (msg:\"set\"; content:\"login\"; flowbits:set,seen; flowbits:noalert; sid:1;)\n"
        "alert tcp any any -> any any (msg:\"same packet\"; content:\"login\"; flowbits:isset,seen; sid:2;)\n"
        "alert tcp any any -> any any (msg:\"later\"; content:\"data\"; flowbits:isset,seen; sid:3;)\n"
        "alert tcp any any -> any any (msg:\"plain\"; content:\"data\"; sid:4;)\n");
    vg_detect_ctx_t *c = vg_detect_ctx_new(e);
    vg_detect_ctx_set_fv_make(c, make_fv);
    made_fv = vg_flowvars_new(vg_detect_engine_ruleset(e));
    n_made = 0;
    hits_t h = {0};
    vg_packet_t p1 = tcp_pkt("10.0.0.1", 1, "10.0.0.2", 2, "data");
    run_pkt(c, &p1, NULL, &h); /* no action rule matches: nothing is made */
    assert_int_equal(n_made, 0);
    assert_int_equal(h.n, 1);
    assert_int_equal(h.sid[0], 4);
    vg_packet_t p2 = tcp_pkt("10.0.0.1", 1, "10.0.0.2", 2, "login");
    h.n = 0;
    run_pkt(c, &p2, NULL, &h);
    assert_int_equal(n_made, 1);
    assert_int_equal(h.n, 1); /* the flowbit set by sid 1 is seen by sid 2 in the same packet */
    assert_int_equal(h.sid[0], 2);
    assert_true(vg_flowvars_isset(made_fv, 0));
    h.n = 0;
    run_pkt(c, &p1, made_fv, &h); /* the flow now has its variables */
    assert_int_equal(n_made, 1);
    assert_int_equal(h.n, 2);
    vg_flowvars_free(made_fv);
    vg_detect_ctx_free(c);
    vg_detect_engine_free(e);
}

static void test_pass_stops(void **state)
{
    (void)state;
    vg_detect_engine_t *e = engine(
        "pass tcp 10.0.0.1 any -> any any (msg:\"trusted\"; sid:1;)\n"
        "alert tcp any any -> any any (msg:\"x\"; content:\"attack\"; sid:2;)\n");
    vg_detect_ctx_t *c = vg_detect_ctx_new(e);
    hits_t h = {0};
    vg_packet_t p = tcp_pkt("10.0.0.1", 1, "10.0.0.2", 2, "attack");
    run_pkt(c, &p, NULL, &h);
    /* no alert; the pass (an IP-only rule: its action applies to the flow) is handed over */
    assert_int_equal(h.n, 1);
    assert_int_equal(h.sid[0], 1);
    vg_packet_t q = tcp_pkt("10.0.0.9", 1, "10.0.0.2", 2, "attack");
    run_pkt(c, &q, NULL, &h);
    assert_int_equal(h.n, 2);
    assert_int_equal(h.sid[1], 2);
    vg_detect_ctx_free(c);
    vg_detect_engine_free(e);
    /* a packet rule's pass (no window, no application protocol) stays the packet's own */
    e = engine("pass tcp 10.0.0.1 any -> any any (msg:\"trusted\"; dsize:>0; sid:1;)\n"
               "alert tcp any any -> any any (msg:\"x\"; content:\"attack\"; sid:2;)\n");
    c = vg_detect_ctx_new(e);
    h.n = 0;
    run_pkt(c, &p, NULL, &h);
    assert_int_equal(h.n, 0);
    vg_detect_ctx_free(c);
    vg_detect_engine_free(e);
}

static void test_address_index(void **state)
{
    (void)state;
    /* header-only reputation-style rules go through the address index */
    vg_detect_engine_t *e = engine(
        "alert ip [192.0.2.1,192.0.2.64/26,198.51.100.7] any -> $HOME_NET any (msg:\"listed\"; sid:100;)\n"
        "alert ip $HOME_NET any -> [203.0.113.0/24] any (msg:\"to listed\"; sid:101;)\n"
        "alert tcp [2001:db8::1] any -> $HOME_NET any (msg:\"v6 only\"; sid:102;)\n");
    vg_detect_ctx_t *c = vg_detect_ctx_new(e);
    static const struct { const char *src, *dst; uint32_t sid; } cases[] = {
        {"192.0.2.1", "10.0.0.5", 100}, {"192.0.2.70", "10.0.0.5", 100},
        {"198.51.100.7", "10.0.0.5", 100}, {"192.0.2.2", "10.0.0.5", 0},
        {"192.0.2.1", "8.8.8.8", 0}, {"10.0.0.5", "203.0.113.9", 101},
        {"10.0.0.5", "203.0.114.9", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        hits_t h = {0};
        vg_packet_t p = tcp_pkt(cases[i].src, 1, cases[i].dst, 2, "");
        run_pkt(c, &p, NULL, &h);
        if (cases[i].sid) {
            assert_int_equal(h.n, 1);
            assert_int_equal(h.sid[0], cases[i].sid);
        } else {
            assert_int_equal(h.n, 0);
        }
    }
    vg_detect_ctx_free(c);
    vg_detect_engine_free(e);
}

static void test_tx_once_and_direction(void **state)
{
    (void)state;
    vg_detect_engine_t *e = engine(
        "alert http any any -> any any (msg:\"uri\"; http.uri; content:\"/admin\"; sid:1;)\n"
        "alert http any any -> any any (msg:\"resp\"; flow:to_client; http.stat_code; content:\"500\"; sid:2;)\n"
        "alert http any any -> any any (msg:\"host\"; http.host; content:\"other\"; sid:3;)\n");
    vg_detect_ctx_t *c = vg_detect_ctx_new(e);
    vg_packet_t ts = tcp_pkt("10.0.0.1", 1234, "10.0.0.2", 80, "");
    vg_packet_t tc = tcp_pkt("10.0.0.2", 80, "10.0.0.1", 1234, "");
    vg_detect_input_t in[2];
    memset(in, 0, sizeof in);
    in[0].buf[VG_BUF_HTTP_URI] = (const uint8_t *)"/admin/login";
    in[0].len[VG_BUF_HTTP_URI] = 12;
    in[0].buf[VG_BUF_HTTP_STAT_CODE] = (const uint8_t *)"500";
    in[0].len[VG_BUF_HTTP_STAT_CODE] = 3;
    in[0].buf[VG_BUF_HTTP_HOST] = (const uint8_t *)"example.com";
    in[0].len[VG_BUF_HTTP_HOST] = 11;
    in[1] = in[0];
    for (int d = 0; d < 2; d++) {
        in[d].pkt = d ? &tc : &ts;
        in[d].app_proto = VG_APP_HTTP;
        in[d].flow = VG_DIN_HAS_FLOW | VG_DIN_ESTABLISHED | (d ? VG_DIN_TOCLIENT : VG_DIN_TOSERVER);
    }
    hits_t h = {0};
    vg_detect_tx(c, &in[0], &in[1], NULL, 1000000, on_alert, &h);
    /* sid 1 matches both orientations (no direction keyword) but alerts once, to_server;
     * sid 2 only to_client; sid 3 not at all */
    assert_int_equal(h.n, 2);
    assert_int_equal(h.sid[0], 1);
    assert_int_equal(h.dir[0], 0);
    assert_int_equal(h.sid[1], 2);
    assert_int_equal(h.dir[1], 1);
    /* another transaction alerts again */
    vg_detect_tx(c, &in[0], &in[1], NULL, 1000000, on_alert, &h);
    assert_int_equal(h.n, 4);
    /* a DNS transaction does not run HTTP rules */
    in[0].app_proto = in[1].app_proto = VG_APP_DNS;
    vg_detect_tx(c, &in[0], &in[1], NULL, 1000000, on_alert, &h);
    assert_int_equal(h.n, 4);
    vg_detect_ctx_free(c);
    vg_detect_engine_free(e);
}

/* tx_seen for the test below: the sids that matched the current transaction */
static uint32_t seen_sids[8];
static int n_seen;
static bool seen_fn(void *user, const vg_rule_t *r, int dir)
{
    (void)user;
    (void)dir;
    for (int i = 0; i < n_seen; i++)
        if (seen_sids[i] == r->sid)
            return true;
    seen_sids[n_seen++] = r->sid;
    return false;
}

/* A transaction inspected twice (request complete, then with the response): a rule that matched
 * the first time applies its flowint action and counts towards its threshold once, and alerts
 * once. */
static void test_tx_inspected_twice(void **state)
{
    (void)state;
    vg_detect_engine_t *e = engine(
        "alert http any any -> any any (msg:\"cnt\"; http.uri; content:\"/c\"; flowint:n,+,1; noalert; sid:1;)\n"
        "alert http any any -> any any (msg:\"thr\"; http.uri; content:\"/c\"; threshold:type threshold, track by_src, count 2, seconds 60; sid:2;)\n");
    vg_detect_ctx_t *c = vg_detect_ctx_new(e);
    vg_detect_ctx_set_tx_seen(c, seen_fn);
    vg_flowvars_t *fv = vg_flowvars_new(vg_detect_engine_ruleset(e));
    vg_packet_t ts = tcp_pkt("10.0.0.1", 1234, "10.0.0.2", 80, "");
    vg_packet_t tc = tcp_pkt("10.0.0.2", 80, "10.0.0.1", 1234, "");
    vg_detect_input_t in[2];
    memset(in, 0, sizeof in);
    in[0].buf[VG_BUF_HTTP_URI] = (const uint8_t *)"/c";
    in[0].len[VG_BUF_HTTP_URI] = 2;
    in[1] = in[0];
    for (int d = 0; d < 2; d++) {
        in[d].pkt = d ? &tc : &ts;
        in[d].app_proto = VG_APP_HTTP;
        in[d].flow = VG_DIN_HAS_FLOW | VG_DIN_ESTABLISHED | (d ? VG_DIN_TOCLIENT : VG_DIN_TOSERVER);
    }
    hits_t h = {0};
    for (int tx = 0; tx < 2; tx++) {
        n_seen = 0; /* a new transaction */
        vg_detect_tx(c, &in[0], NULL, fv, 1000000, on_alert, &h);
        vg_detect_tx(c, &in[0], &in[1], fv, 1000000, on_alert, &h);
    }
    assert_int_equal(fv->ints[0], 2);    /* one +1 per transaction */
    assert_int_equal(h.n, 1);            /* threshold: the 2nd transaction's match is the 2nd */
    assert_int_equal(h.sid[0], 2);
    vg_flowvars_free(fv);
    vg_detect_ctx_free(c);
    vg_detect_engine_free(e);
}

static uint64_t stat_of(vg_detect_ctx_t *c, const char *name)
{
    const vg_stats_table_t *t = vg_detect_stats_table();
    for (size_t i = 0; i < t->n; i++)
        if (!strcmp(t->names[i], name))
            return vg_detect_stats_values(c)[i];
    fail_msg("no stat %s", name);
    return 0;
}

static uint64_t n_evals(vg_detect_ctx_t *c) { return stat_of(c, "detect.evals"); }

/* VG_DIN_TS_DONE on the final inspection: rules that see only request buffers are not verified
 * to-server again (they cannot give another result), while rules with a response buffer, a
 * buffer that may come from the response (cookie), or a flowbit condition (the bit may have been
 * set in between) still are; to_server rules are never verified on the to-client side. */
static void test_tx_ts_done(void **state)
{
    (void)state;
    vg_detect_engine_t *e = engine(
        "alert http any any -> any any (msg:\"uri\"; flow:to_server; http.uri; content:\"/x\"; sid:1;)\n"
        "alert http any any -> any any (msg:\"uri+code\"; http.uri; content:\"/x\"; http.stat_code; content:\"200\"; sid:2;)\n"
        "alert http any any -> any any (msg:\"cookie\"; flow:to_server; http.cookie; content:\"id=\"; sid:3;)\n"
        "alert http any any -> any any (msg:\"bit\"; flow:to_server; flowbits:isset,b; http.uri; content:\"/x\"; sid:4;)\n"
        "alert http any any -> any any (msg:\"uri2\"; flow:to_server; http.uri; content:\"/x\"; fast_pattern; content:\"nomatch\"; sid:5;)\n");
    vg_detect_ctx_t *c = vg_detect_ctx_new(e);
    vg_detect_ctx_set_tx_seen(c, seen_fn);
    vg_flowvars_t *fv = vg_flowvars_new(vg_detect_engine_ruleset(e));
    vg_packet_t ts = tcp_pkt("10.0.0.1", 1234, "10.0.0.2", 80, "");
    vg_packet_t tc = tcp_pkt("10.0.0.2", 80, "10.0.0.1", 1234, "");
    vg_detect_input_t in[2];
    memset(in, 0, sizeof in);
    in[0].buf[VG_BUF_HTTP_URI] = (const uint8_t *)"/x/nomatc";
    in[0].len[VG_BUF_HTTP_URI] = 9;
    for (int d = 0; d < 2; d++) {
        in[d].pkt = d ? &tc : &ts;
        in[d].app_proto = VG_APP_HTTP;
        in[d].flow = VG_DIN_HAS_FLOW | VG_DIN_ESTABLISHED | (d ? VG_DIN_TOCLIENT : VG_DIN_TOSERVER);
    }
    hits_t h = {0};
    n_seen = 0;
    /* request: sid 1 alerts; 2 lacks its status, 3 its cookie, 4 its bit */
    vg_detect_tx(c, &in[0], NULL, fv, 1000000, on_alert, &h);
    assert_int_equal(h.n, 1);
    assert_int_equal(h.sid[0], 1);
    /* then the response, with a Set-Cookie, after something set the bit */
    vg_flowvars_set(fv, 0, true);
    in[0].buf[VG_BUF_HTTP_STAT_CODE] = (const uint8_t *)"200";
    in[0].len[VG_BUF_HTTP_STAT_CODE] = 3;
    in[0].buf[VG_BUF_HTTP_COOKIE] = (const uint8_t *)"id=1";
    in[0].len[VG_BUF_HTTP_COOKIE] = 4;
    vg_detect_input_t full[2] = {in[0], in[0]};
    full[1].pkt = &tc;
    full[1].flow = in[1].flow;
    full[0].flow |= VG_DIN_TS_DONE;
    uint64_t ev0 = n_evals(c);
    vg_detect_tx(c, &full[0], &full[1], fv, 1000000, on_alert, &h);
    assert_int_equal(h.n, 4); /* in evaluation order: the flowbit reader first, to-server */
    assert_int_equal(h.sid[1], 4);
    assert_int_equal(h.sid[2], 3);
    assert_int_equal(h.sid[3], 2);
    /* verified: 3 and 4 to-server; 2 (no direction, a response buffer) to-client only, as
     * Suricata inspects response buffers. Not verified: 1 (already matched), 5 (request only,
     * to_server), and nothing to_server on the to-client side. */
    assert_int_equal(n_evals(c) - ev0, 3);
    /* without the flag, every to-server candidate (1 to 5) is verified again */
    n_seen = 0;
    vg_detect_tx(c, &in[0], NULL, fv, 1000000, on_alert, &h);
    assert_int_equal(h.n, 7); /* 1, 4, 3 again; not 2, a to-client rule */
    ev0 = n_evals(c);
    full[0].flow &= ~(uint32_t)VG_DIN_TS_DONE;
    vg_detect_tx(c, &full[0], &full[1], fv, 1000000, on_alert, &h);
    assert_int_equal(n_evals(c) - ev0, 5);
    assert_int_equal(h.n, 8);
    vg_flowvars_free(fv);
    vg_detect_ctx_free(c);
    vg_detect_engine_free(e);
}

/* A multi-buffer (tls.certs): the rule matches when all its contents match within one
 * instance, never across two; the prefilter scans every instance. */
static void test_multi_buffer(void **state)
{
    (void)state;
    vg_detect_engine_t *e = engine(
        "alert tls any any -> any any (msg:\"one cert\"; tls.certs; content:\"evil\"; content:\"corp\"; distance:0; sid:1;)\n"
        "alert tls any any -> any any (msg:\"split\"; tls.certs; content:\"alpha\"; content:\"omega\"; sid:2;)\n"
        "alert tls any any -> any any (msg:\"sni\"; tls.sni; content:\"x.test\"; sid:3;)\n");
    vg_detect_ctx_t *c = vg_detect_ctx_new(e);
    vg_packet_t tc = tcp_pkt("10.0.0.2", 443, "10.0.0.1", 1234, "");
    const uint8_t *certs[3] = {(const uint8_t *)"alpha-leaf", (const uint8_t *)"omega-mid",
                               (const uint8_t *)"root evil corp"};
    const uint32_t lens[3] = {10, 9, 14};
    vg_detect_input_t in;
    memset(&in, 0, sizeof in);
    in.pkt = &tc;
    in.app_proto = VG_APP_TLS;
    in.flow = VG_DIN_HAS_FLOW | VG_DIN_ESTABLISHED | VG_DIN_TOCLIENT;
    in.buf[VG_BUF_TLS_CERTS] = certs[0];
    in.len[VG_BUF_TLS_CERTS] = lens[0];
    in.buf[VG_BUF_TLS_SNI] = (const uint8_t *)"x.test";
    in.len[VG_BUF_TLS_SNI] = 6;
    in.n_multi = 3;
    in.multi_buf = VG_BUF_TLS_CERTS;
    in.multi = certs;
    in.multi_len = lens;
    hits_t h = {0};
    vg_detect_tx(c, &in, NULL, NULL, 1000000, on_alert, &h);
    /* sid 1: both contents in the third certificate; sid 2: "alpha" and "omega" are in two
     * different certificates, so no match; sid 3 is not a multi-buffer rule */
    assert_int_equal(h.n, 2);
    assert_int_equal(h.sid[0] + h.sid[1], 1 + 3);
    assert_true(h.sid[0] != 2 && h.sid[1] != 2);
    /* only the first instance: sid 1 no longer matches */
    in.n_multi = 1;
    h.n = 0;
    vg_detect_tx(c, &in, NULL, NULL, 1000000, on_alert, &h);
    assert_int_equal(h.n, 1);
    assert_int_equal(h.sid[0], 3);
    vg_detect_ctx_free(c);
    vg_detect_engine_free(e);
}

static void test_threshold_limit(void **state)
{
    (void)state;
    vg_detect_engine_t *e = engine(
        "alert tcp any any -> any any (msg:\"lim\"; content:\"x\"; threshold:type limit, track by_src, count 2, seconds 60; sid:5;)\n");
    vg_detect_ctx_t *c = vg_detect_ctx_new(e);
    hits_t h = {0};
    vg_packet_t p = tcp_pkt("10.0.0.1", 1, "10.0.0.2", 2, "xx");
    for (int i = 0; i < 5; i++)
        run_pkt(c, &p, NULL, &h);
    assert_int_equal(h.n, 2);
    const uint64_t *st = vg_detect_stats_values(c);
    assert_int_equal(st[0], 2); /* detect.alert */
    vg_detect_ctx_free(c);
    vg_detect_engine_free(e);
}

/* detection_filter unique_on: one 8 KiB port map per tracked entry, shown as the engine's
 * detect.thresholds.bitmap_memuse (summed over contexts: each counts what its calls changed). */
static void test_threshold_bitmap_memuse(void **state)
{
    (void)state;
    vg_detect_engine_t *e = engine(
        "alert tcp any any -> any any (msg:\"df\"; content:\"x\"; detection_filter:track by_src, count 2, seconds 60, unique_on dst_port; sid:7;)\n");
    vg_detect_ctx_t *c1 = vg_detect_ctx_new(e), *c2 = vg_detect_ctx_new(e);
    hits_t h = {0};
    vg_packet_t p1 = tcp_pkt("10.0.0.1", 1, "10.0.0.2", 2, "xx");
    vg_packet_t p2 = tcp_pkt("10.0.0.3", 1, "10.0.0.2", 3, "xx");
    assert_int_equal(stat_of(c1, "detect.thresholds.bitmap_memuse"), 0);
    run_pkt(c1, &p1, NULL, &h);
    run_pkt(c2, &p2, NULL, &h);
    run_pkt(c2, &p1, NULL, &h); /* the same tracked source again: no new map */
    assert_int_equal(stat_of(c1, "detect.thresholds.bitmap_memuse") +
                         stat_of(c2, "detect.thresholds.bitmap_memuse"),
                     2 * 8192);
    vg_detect_ctx_free(c1);
    vg_detect_ctx_free(c2);
    vg_detect_engine_free(e);
}

static uint32_t bit_id(const vg_ruleset_t *rs, const char *name)
{
    for (uint32_t i = 0; i < vg_ruleset_n_flowbits(rs); i++)
        if (!strcmp(vg_ruleset_flowbit_name(rs, i), name))
            return i;
    fail_msg("no flowbit %s", name);
    return 0;
}

/* Rule reload: flow variables carried to the new set by name (ids differ), names it does not use
 * dropped; threshold windows carried for a sid kept with the same threshold, not for one whose
 * threshold changed. */
static void test_reload_carry(void **state)
{
    (void)state;
    vg_detect_engine_t *e1 = engine(
        "alert tcp any any -> any any (msg:\"a\"; content:\"a\"; flowbits:set,fa; flowint:n,+,1; sid:1;)\n"
        "alert tcp any any -> any any (msg:\"b\"; content:\"b\"; flowbits:set,fb; sid:2;)\n"
        "alert tcp any any -> any any (msg:\"lim\"; content:\"x\"; threshold:type limit, track by_src, count 2, seconds 60; sid:5;)\n"
        "alert tcp any any -> any any (msg:\"chg\"; content:\"x\"; threshold:type limit, track by_src, count 2, seconds 60; sid:6;)\n");
    vg_detect_engine_t *e2 = engine(
        "alert tcp any any -> any any (msg:\"z\"; content:\"z\"; flowbits:set,fz; flowbits:set,fy; flowint:m,+,1; sid:9;)\n"
        "alert tcp any any -> any any (msg:\"b\"; content:\"b\"; flowbits:isset,fb; flowint:n,>,3; sid:2;)\n"
        "alert tcp any any -> any any (msg:\"lim\"; content:\"x\"; threshold:type limit, track by_src, count 2, seconds 60; sid:5;)\n"
        "alert tcp any any -> any any (msg:\"chg\"; content:\"x\"; threshold:type limit, track by_src, count 3, seconds 60; sid:6;)\n");
    const vg_ruleset_t *r1 = vg_detect_engine_ruleset(e1), *r2 = vg_detect_engine_ruleset(e2);
    assert_int_not_equal(bit_id(r1, "fb"), bit_id(r2, "fb")); /* renumbered */
    vg_flowvars_t *fv1 = vg_flowvars_new(r1);
    vg_flowvars_set(fv1, bit_id(r1, "fa"), true);
    vg_flowvars_set(fv1, bit_id(r1, "fb"), true);
    fv1->ints[0] = 7; /* n, the only flowint of set 1 */
    fv1->int_set[0] |= 1;
    uint32_t *bm = vg_ruleset_flowbit_map(r1, r2), *im = vg_ruleset_flowint_map(r1, r2);
    assert_int_equal(bm[bit_id(r1, "fa")], VG_VAR_NONE);
    vg_flowvars_t *fv2 = vg_flowvars_remap(fv1, bm, im, r2);
    assert_true(vg_flowvars_isset(fv2, bit_id(r2, "fb")));
    assert_false(vg_flowvars_isset(fv2, bit_id(r2, "fz")));
    assert_int_equal(fv2->n_ints, 2);
    assert_int_equal(fv2->ints[im[0]], 7);
    assert_true(fv2->int_set[0] >> im[0] & 1);
    assert_false(fv2->int_set[0] >> (1 - im[0]) & 1); /* m: not set */
    free(bm);
    free(im);
    /* sid 5 and 6 reach their limit of 2 under e1 */
    vg_detect_ctx_t *c1 = vg_detect_ctx_new(e1);
    hits_t h = {0};
    vg_packet_t p = tcp_pkt("10.0.0.1", 1, "10.0.0.2", 2, "x");
    run_pkt(c1, &p, NULL, &h);
    run_pkt(c1, &p, NULL, &h);
    assert_int_equal(h.n, 4);
    assert_int_equal(vg_detect_engine_inherit(e2, e1), 1); /* sid 5 only: 6 changed */
    vg_detect_ctx_t *c2 = vg_detect_ctx_new(e2);
    h.n = 0;
    run_pkt(c2, &p, NULL, &h);
    /* sid 5 stays over its limit; sid 6 (count 3 now) starts again */
    assert_int_equal(h.n, 1);
    assert_int_equal(h.sid[0], 6);
    /* the flowint carried makes sid 2 (n > 3, fb set) fire under e2 */
    vg_packet_t pb = tcp_pkt("10.0.0.1", 1, "10.0.0.2", 2, "b");
    h.n = 0;
    run_pkt(c2, &pb, fv2, &h);
    assert_int_equal(h.n, 1);
    assert_int_equal(h.sid[0], 2);
    vg_flowvars_free(fv1);
    vg_flowvars_free(fv2);
    vg_detect_ctx_free(c1);
    vg_detect_ctx_free(c2);
    vg_detect_engine_free(e1);
    vg_detect_engine_free(e2);
}

/* xbits: per host and per address pair, for the whole engine (any context), with expiry in
 * packet time; set keeps an unexpired bit's expiry; rules that set run before rules that check
 * on the same packet; a reload keeps bits the new rules still name. */
static void run_pkt_at(vg_detect_ctx_t *c, const vg_packet_t *p, hits_t *h, uint64_t sec)
{
    run_pkt_fv_at(c, p, NULL, h, sec * 1000000 + 123);
}

static int fired(const hits_t *h, uint32_t sid)
{
    int n = 0;
    for (int i = 0; i < h->n; i++)
        n += h->sid[i] == sid;
    return n;
}

static void test_xbits(void **state)
{
    (void)state;
    const char *rules =
        "alert tcp any any -> any any (msg:\"chk src\"; content:\"CHK\"; xbits:isset,b,track ip_src; sid:2;)\n"
        "alert tcp any any -> any any (msg:\"not src\"; content:\"NOT\"; xbits:isnotset,b,track ip_src; sid:3;)\n"
        "alert tcp any any -> any any (msg:\"set src\"; content:\"SET\"; xbits:set,b,track ip_src,expire 10; sid:1;)\n"
        "alert tcp any any -> any any (msg:\"unset\"; content:\"UNS\"; xbits:unset,b,track ip_src; sid:4;)\n"
        "alert tcp any any -> any any (msg:\"set pair\"; content:\"SPAIR\"; xbits:set,b,track ip_pair,expire 5; sid:5;)\n"
        "alert tcp any any -> any any (msg:\"chk pair\"; content:\"CPAIR\"; xbits:isset,b,track ip_pair; sid:6;)\n"
        "alert tcp any any -> any any (msg:\"chk dst\"; content:\"CDST\"; xbits:isset,b,track ip_dst; sid:7;)\n"
        "alert tcp any any -> any any (msg:\"tog\"; content:\"TGL\"; xbits:toggle,t,track ip_src; xbits:noalert; sid:8;)\n"
        "alert tcp any any -> any any (msg:\"chk tog\"; content:\"CTOG\"; xbits:isset,t,track ip_src; sid:9;)\n";
    vg_detect_engine_t *e = engine(rules);
    vg_detect_ctx_t *c1 = vg_detect_ctx_new(e), *c2 = vg_detect_ctx_new(e);
    hits_t h = {0};
    vg_packet_t a_set = tcp_pkt("10.0.0.1", 1, "10.0.0.9", 80, "SET");
    vg_packet_t a_chk = tcp_pkt("10.0.0.1", 2, "10.0.0.9", 80, "CHK NOT");
    vg_packet_t b_chk = tcp_pkt("10.0.0.2", 3, "10.0.0.9", 80, "CHK NOT");
    vg_packet_t srv_dst = tcp_pkt("10.0.0.9", 80, "10.0.0.1", 4, "CDST");
    run_pkt_at(c1, &a_set, &h, 100);            /* b on 10.0.0.1 up to second 110 */
    h.n = 0;
    run_pkt_at(c2, &a_chk, &h, 102);            /* another context (worker) sees it */
    assert_int_equal(fired(&h, 2), 1);
    assert_int_equal(fired(&h, 3), 0);
    h.n = 0;
    run_pkt_at(c2, &b_chk, &h, 102);            /* another host does not */
    assert_int_equal(fired(&h, 2), 0);
    assert_int_equal(fired(&h, 3), 1);
    h.n = 0;
    run_pkt_at(c1, &srv_dst, &h, 103);          /* ip_dst of the reply is the host with the bit */
    assert_int_equal(fired(&h, 7), 1);
    h.n = 0;
    run_pkt_at(c1, &a_set, &h, 105);            /* set again: the expiry stays at 110 */
    run_pkt_at(c1, &a_chk, &h, 110);            /* the expiry second itself is still set */
    assert_int_equal(fired(&h, 2), 1);
    h.n = 0;
    run_pkt_at(c1, &a_chk, &h, 111);            /* expired */
    assert_int_equal(fired(&h, 2), 0);
    assert_int_equal(fired(&h, 3), 1);
    h.n = 0;
    run_pkt_at(c1, &a_set, &h, 120);            /* set afresh, then unset */
    vg_packet_t a_uns = tcp_pkt("10.0.0.1", 5, "10.0.0.9", 80, "UNS");
    run_pkt_at(c1, &a_uns, &h, 121);
    h.n = 0;
    run_pkt_at(c1, &a_chk, &h, 122);
    assert_int_equal(fired(&h, 2), 0);
    /* one packet that sets and checks: the setting rule runs first */
    vg_packet_t c_both = tcp_pkt("10.0.0.3", 6, "10.0.0.9", 80, "CHK SET");
    h.n = 0;
    run_pkt_at(c1, &c_both, &h, 130);
    assert_int_equal(fired(&h, 1), 1);
    assert_int_equal(fired(&h, 2), 1);
    /* pairs: either direction; the host bit of the same name is another bit */
    vg_packet_t p_set = tcp_pkt("10.0.0.4", 7, "10.0.0.9", 80, "SPAIR");
    vg_packet_t p_rev = tcp_pkt("10.0.0.9", 80, "10.0.0.4", 7, "CPAIR CHK");
    vg_packet_t p_other = tcp_pkt("10.0.0.9", 80, "10.0.0.5", 7, "CPAIR");
    run_pkt_at(c1, &p_set, &h, 140);
    h.n = 0;
    run_pkt_at(c2, &p_rev, &h, 145);
    assert_int_equal(fired(&h, 6), 1);
    assert_int_equal(fired(&h, 2), 0);
    h.n = 0;
    run_pkt_at(c2, &p_other, &h, 145);
    assert_int_equal(fired(&h, 6), 0);
    h.n = 0;
    run_pkt_at(c2, &p_rev, &h, 146);
    assert_int_equal(fired(&h, 6), 0);
    /* toggle on, then off */
    vg_packet_t tog = tcp_pkt("10.0.0.6", 8, "10.0.0.9", 80, "TGL");
    vg_packet_t ctog = tcp_pkt("10.0.0.6", 8, "10.0.0.9", 80, "CTOG");
    h.n = 0;
    run_pkt_at(c1, &tog, &h, 150);
    assert_int_equal(h.n, 0); /* noalert */
    run_pkt_at(c1, &ctog, &h, 151);
    assert_int_equal(fired(&h, 9), 1);
    run_pkt_at(c1, &tog, &h, 152);
    h.n = 0;
    run_pkt_at(c1, &ctog, &h, 153);
    assert_int_equal(fired(&h, 9), 0);
    /* a reload: the new rules name host bit b (kept) but not t */
    run_pkt_at(c1, &a_set, &h, 200);
    run_pkt_at(c1, &tog, &h, 200);
    vg_detect_engine_t *e2 = engine(
        "alert tcp any any -> any any (msg:\"x\"; content:\"CTOG\"; xbits:isset,t2,track ip_src; sid:19;)\n"
        "alert tcp any any -> any any (msg:\"chk src\"; content:\"CHK\"; xbits:isset,b,track ip_src; sid:12;)\n");
    /* host bit b of 10.0.0.1 and of 10.0.0.3 (expired, carried as it is); not the pair bit b,
     * not t */
    assert_int_equal(vg_detect_engine_inherit(e2, e), 2);
    vg_detect_ctx_t *c3 = vg_detect_ctx_new(e2);
    h.n = 0;
    run_pkt_at(c3, &a_chk, &h, 201);
    assert_int_equal(fired(&h, 12), 1);
    vg_detect_ctx_free(c3);
    vg_detect_engine_free(e2);
    vg_detect_ctx_free(c1);
    vg_detect_ctx_free(c2);
    vg_detect_engine_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_payload_ports_and_order),
        cmocka_unit_test(test_pass_stops),
        cmocka_unit_test(test_address_index),
        cmocka_unit_test(test_tx_once_and_direction),
        cmocka_unit_test(test_multi_buffer),
        cmocka_unit_test(test_split_prefilters),
        cmocka_unit_test(test_packet_and_stream_prefilters),
        cmocka_unit_test(test_threshold_limit),
        cmocka_unit_test(test_threshold_bitmap_memuse),
        cmocka_unit_test(test_reload_carry),
        cmocka_unit_test(test_xbits),
        cmocka_unit_test(test_tx_inspected_twice),
        cmocka_unit_test(test_tx_ts_done),
        cmocka_unit_test(test_address_classes),
        cmocka_unit_test(test_address_tables),
        cmocka_unit_test(test_tx_scan_memo),
        cmocka_unit_test(test_flowvars_on_demand),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
