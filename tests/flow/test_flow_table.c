/* Tests for flow/flow_table.c and flow/flow_id.c: direction, reversal on a SYN-ACK first,
 * timeouts in packet time, port reuse, eviction at the memcap, the identifiers, the echo
 * payload checks of ICMP echo flows, ICMP keys and ICMP errors joining the flow they quote. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "flow/flow.h"

typedef struct ended {
    int n;
    int reasons[3];
    vg_flow_t last;
} ended_t;

static void on_end(void *user, vg_flow_t *f, enum vg_flow_end_reason r)
{
    ended_t *e = user;
    e->n++;
    e->reasons[r]++;
    e->last = *f;
}

static vg_packet_t pkt(const char *src, uint16_t sp, const char *dst, uint16_t dp, uint8_t proto,
                       uint8_t flags, vg_time_t ts)
{
    vg_packet_t p;
    memset(&p, 0, sizeof p);
    p.ip_ver = strchr(src, ':') ? 6 : 4;
    inet_pton(p.ip_ver == 4 ? AF_INET : AF_INET6, src, p.src.b);
    inet_pton(p.ip_ver == 4 ? AF_INET : AF_INET6, dst, p.dst.b);
    p.sp = sp;
    p.dp = dp;
    p.proto = proto;
    p.tcp_flags = flags;
    p.ts = ts;
    p.wirelen = 60;
    return p;
}

static vg_flow_table_t *table(ended_t *e, uint64_t memcap)
{
    vg_flow_config_t cfg;
    vg_flow_config_defaults(&cfg);
    if (memcap)
        cfg.memcap = memcap;
    memset(e, 0, sizeof *e);
    return vg_flow_table_new(&cfg, on_end, e);
}

static void test_directions(void **state)
{
    (void)state;
    ended_t e;
    vg_flow_table_t *t = table(&e, 0);
    int dir;
    vg_packet_t a = pkt("10.0.0.1", 1234, "10.0.0.2", 80, 6, VG_TCP_SYN, 1000000);
    vg_flow_t *f = vg_flow_lookup(t, &a, &dir);
    assert_non_null(f);
    assert_int_equal(dir, 0);
    vg_packet_t b = pkt("10.0.0.2", 80, "10.0.0.1", 1234, 6, VG_TCP_SYN | VG_TCP_ACK, 1000100);
    vg_flow_t *g = vg_flow_lookup(t, &b, &dir);
    assert_ptr_equal(f, g);
    assert_int_equal(dir, 1);
    assert_int_equal(f->pkts[0], 1);
    assert_int_equal(f->pkts[1], 1);
    assert_int_equal(f->tcp_flags[1], VG_TCP_SYN | VG_TCP_ACK);
    /* another port is another flow */
    vg_packet_t c = pkt("10.0.0.1", 1235, "10.0.0.2", 80, 6, VG_TCP_SYN, 1000200);
    assert_ptr_not_equal(vg_flow_lookup(t, &c, &dir), f);
    /* same ports over UDP is another flow */
    vg_packet_t d = pkt("10.0.0.1", 1234, "10.0.0.2", 80, 17, 0, 1000300);
    assert_ptr_not_equal(vg_flow_lookup(t, &d, &dir), f);
    assert_int_equal(vg_flow_stats_values(t)[0], 3); /* flow.total */
    vg_flow_table_free(t);
    assert_int_equal(e.n, 3);
    assert_int_equal(e.reasons[VG_FLOW_END_SHUTDOWN], 3);
}

/* A SYN-ACK seen first: its receiver is the initiator with synack_reverses (stream.midstream, as
 * Suricata), else its sender is the flow's source like any first packet's */
static void test_synack_first_reverses(void **state)
{
    (void)state;
    ended_t e;
    vg_flow_config_t cfg;
    vg_flow_config_defaults(&cfg);
    cfg.synack_reverses = true;
    memset(&e, 0, sizeof e);
    vg_flow_table_t *t = vg_flow_table_new(&cfg, on_end, &e);
    int dir;
    vg_packet_t a = pkt("10.0.0.2", 80, "10.0.0.1", 1234, 6, VG_TCP_SYN | VG_TCP_ACK, 1000000);
    vg_flow_t *f = vg_flow_lookup(t, &a, &dir);
    assert_int_equal(dir, 1);
    assert_int_equal(f->port[0], 1234);
    assert_int_equal(f->port[1], 80);
    vg_flow_table_free(t);
    t = table(&e, 0); /* the default */
    f = vg_flow_lookup(t, &a, &dir);
    assert_int_equal(dir, 0);
    assert_int_equal(f->port[0], 80);
    vg_flow_table_free(t);
}

static void test_udp_established_and_timeout(void **state)
{
    (void)state;
    ended_t e;
    vg_flow_table_t *t = table(&e, 0);
    int dir;
    vg_packet_t q = pkt("10.0.0.1", 5353, "8.8.8.8", 53, 17, 0, 10 * 1000000ULL);
    vg_flow_t *f = vg_flow_lookup(t, &q, &dir);
    assert_int_equal(f->state, VG_FLOW_NEW);
    vg_packet_t r = pkt("8.8.8.8", 53, "10.0.0.1", 5353, 17, 0, 10 * 1000000ULL + 5000);
    vg_flow_lookup(t, &r, &dir);
    assert_int_equal(f->state, VG_FLOW_ESTABLISHED);
    /* established UDP times out after 300 s of packet time, not before */
    vg_flow_table_tick(t, 300 * 1000000ULL);
    assert_int_equal(e.n, 0);
    vg_flow_table_tick(t, 311 * 1000000ULL);
    assert_int_equal(e.n, 1);
    assert_int_equal(e.reasons[VG_FLOW_END_TIMEOUT], 1);
    assert_int_equal(e.last.pkts[0] + e.last.pkts[1], 2);
    /* a packet after the timeout without a tick starts a new flow and ends the old one */
    vg_packet_t a = pkt("10.0.0.1", 1, "10.0.0.9", 2, 17, 0, 400 * 1000000ULL);
    vg_flow_lookup(t, &a, &dir);
    vg_packet_t b = pkt("10.0.0.1", 1, "10.0.0.9", 2, 17, 0, 500 * 1000000ULL);
    vg_flow_t *g = vg_flow_lookup(t, &b, &dir);
    assert_int_equal(e.n, 2);
    assert_int_equal(g->pkts[0], 1);
    assert_int_equal(g->start, 500 * 1000000ULL);
    vg_flow_table_free(t);
}

static void test_tcp_port_reuse(void **state)
{
    (void)state;
    ended_t e;
    vg_flow_table_t *t = table(&e, 0);
    int dir;
    vg_packet_t a = pkt("10.0.0.1", 1234, "10.0.0.2", 80, 6, VG_TCP_SYN, 1000000);
    vg_flow_t *f = vg_flow_lookup(t, &a, &dir);
    vg_flow_set_state(t, f, VG_FLOW_CLOSED);
    vg_packet_t b = pkt("10.0.0.1", 1234, "10.0.0.2", 80, 6, VG_TCP_SYN, 2000000);
    f = vg_flow_lookup(t, &b, &dir);
    assert_int_equal(e.n, 1);
    assert_int_equal(f->pkts[0], 1);
    vg_flow_table_free(t);
}

static void test_memcap_eviction(void **state)
{
    (void)state;
    ended_t e;
    /* the smallest pool is one chunk of 4096 flows */
    vg_flow_table_t *t = table(&e, 1);
    int dir;
    char ip[32];
    for (int i = 0; i < 10000; i++) {
        snprintf(ip, sizeof ip, "1.2.%d.%d", i / 250, i % 250 + 1);
        vg_packet_t p = pkt(ip, 40000, "10.0.0.1", 80, 6, VG_TCP_SYN, 1000000 + (vg_time_t)i);
        assert_non_null(vg_flow_lookup(t, &p, &dir));
    }
    assert_int_equal(e.n, 10000 - 4096);
    assert_int_equal(e.reasons[VG_FLOW_END_FORCED], 10000 - 4096);
    /* the oldest went first: the last evicted is number 10000-4096-1 */
    assert_int_equal(e.last.start, 1000000 + 10000 - 4096 - 1);
    const uint64_t *st = vg_flow_stats_values(t);
    assert_int_equal(st[0], 10000); /* total */
    assert_int_equal(st[1], 4096);  /* active */
    vg_flow_table_free(t);
    assert_int_equal(e.n, 10000);
}

static void test_ids(void **state)
{
    (void)state;
    ended_t e;
    vg_flow_table_t *t = table(&e, 0);
    int dir;
    /* the Community ID specification's example */
    vg_packet_t a = pkt("128.232.110.120", 34855, "66.35.250.204", 80, 6, VG_TCP_SYN, 1000000);
    vg_flow_t *f = vg_flow_lookup(t, &a, &dir);
    char cid[64];
    vg_flow_community_id(f, 0, cid);
    assert_string_equal(cid, "1:LQU9qZlK+B5F3KDmev6m5PMibrg=");
    /* same id from the other direction's first packet */
    vg_packet_t b = pkt("66.35.250.204", 80, "128.232.110.120", 34855, 6, VG_TCP_ACK, 1000000);
    ended_t e2;
    vg_flow_table_t *t2 = table(&e2, 0);
    vg_flow_t *g = vg_flow_lookup(t2, &b, &dir);
    char cid2[64];
    vg_flow_community_id(g, 0, cid2);
    assert_string_equal(cid, cid2);
    /* flow_id: 51 bits, deterministic */
    assert_true(vg_flow_id(f) < (1ULL << 51));
    assert_int_equal(vg_flow_id(f), vg_flow_id(g));
    vg_flow_table_free(t);
    vg_flow_table_free(t2);
}

static vg_packet_t echo(const char *src, const char *dst, uint8_t type, uint16_t id,
                        const uint8_t *payload, uint32_t len, vg_time_t ts)
{
    vg_packet_t p = pkt(src, 0, dst, 0, 1, 0, ts);
    p.icmp_type = type;
    p.icmp_id = id;
    p.payload = payload;
    p.payload_len = len;
    return p;
}

/* Echo flows count replies that echo neither of the last two requests (a pipelined ping is not
 * counted) and changes of the request payload size. */
static void test_icmp_echo_checks(void **state)
{
    (void)state;
    ended_t e;
    vg_flow_table_t *t = table(&e, 0);
    uint8_t a[64], b[64], c[100];
    memset(a, 'a', sizeof a);
    memset(b, 'b', sizeof b);
    memset(c, 'c', sizeof c);
    int dir;
    vg_time_t ts = 1000000;
    vg_packet_t p = echo("10.0.0.1", "10.0.0.2", 8, 7, a, sizeof a, ts++);
    vg_flow_t *f = vg_flow_lookup(t, &p, &dir);
    p = echo("10.0.0.1", "10.0.0.2", 8, 7, b, sizeof b, ts++);     /* overtakes the reply */
    assert_ptr_equal(vg_flow_lookup(t, &p, &dir), f);
    p = echo("10.0.0.2", "10.0.0.1", 0, 7, a, sizeof a, ts++);     /* echo of the first */
    assert_ptr_equal(vg_flow_lookup(t, &p, &dir), f);
    assert_int_equal(dir, 1);
    p = echo("10.0.0.2", "10.0.0.1", 0, 7, b, sizeof b, ts++);     /* echo of the second */
    vg_flow_lookup(t, &p, &dir);
    assert_int_equal(f->echo_mismatch, 0);
    assert_int_equal(f->echo_size_changes, 0);
    p = echo("10.0.0.2", "10.0.0.1", 0, 7, c, 64, ts++);           /* data of its own */
    vg_flow_lookup(t, &p, &dir);
    assert_int_equal(f->echo_mismatch, 1);
    p = echo("10.0.0.1", "10.0.0.2", 8, 7, c, sizeof c, ts++);     /* another size */
    vg_flow_lookup(t, &p, &dir);
    assert_int_equal(f->echo_size_changes, 1);
    assert_int_equal(f->echo_mismatch, 1);
    /* a reply to a request that was never seen is not judged */
    p = echo("10.0.0.3", "10.0.0.4", 0, 9, c, sizeof c, ts++);
    vg_flow_t *g = vg_flow_lookup(t, &p, &dir);
    assert_ptr_not_equal(g, f);
    assert_int_equal(g->echo_mismatch, 0);
    vg_flow_table_free(t);
}

/* ICMP flows as Suricata 7 keys them: by type and the type answering it, not by echo id */
static void test_icmp_keys(void **state)
{
    (void)state;
    ended_t e;
    vg_flow_table_t *t = table(&e, 0);
    int dir;
    vg_time_t ts = 1000000;
    vg_packet_t p = echo("10.0.0.1", "10.0.0.2", 8, 1, NULL, 0, ts++);
    vg_flow_t *f = vg_flow_lookup(t, &p, &dir);
    assert_int_equal(f->icmp_id, 1);
    p = echo("10.0.0.1", "10.0.0.2", 8, 2, NULL, 0, ts++); /* another id: the same flow */
    assert_ptr_equal(vg_flow_lookup(t, &p, &dir), f);
    p = echo("10.0.0.2", "10.0.0.1", 0, 2, NULL, 0, ts++); /* the reply */
    assert_ptr_equal(vg_flow_lookup(t, &p, &dir), f);
    assert_int_equal(dir, 1);
    p = echo("10.0.0.2", "10.0.0.1", 8, 3, NULL, 0, ts++); /* a request the other way */
    vg_flow_t *g = vg_flow_lookup(t, &p, &dir);
    assert_ptr_not_equal(g, f);
    assert_int_equal(dir, 0);
    p = echo("10.0.0.1", "10.0.0.2", 13, 4, NULL, 0, ts++); /* timestamp */
    vg_flow_t *h = vg_flow_lookup(t, &p, &dir);
    assert_ptr_not_equal(h, f);
    p = echo("10.0.0.2", "10.0.0.1", 14, 4, NULL, 0, ts++); /* its reply */
    assert_ptr_equal(vg_flow_lookup(t, &p, &dir), h);
    p = echo("10.0.0.1", "10.0.0.2", 17, 5, NULL, 0, ts++); /* address mask: its own */
    vg_flow_t *m = vg_flow_lookup(t, &p, &dir);
    assert_ptr_not_equal(m, h);
    /* ICMPv6: the code is part of the key; errors are flows of their own */
    p = pkt("2001:db8::2", 0, "2001:db8::1", 0, 58, 0, ts++);
    p.icmp_type = 1;
    p.icmp_code = 4;
    vg_flow_t *u = vg_flow_lookup(t, &p, &dir);
    assert_non_null(u);
    p.icmp_code = 3;
    assert_ptr_not_equal(vg_flow_lookup(t, &p, &dir), u);
    vg_flow_table_free(t);
}

/* An ICMPv4 destination unreachable carrying the IPv4 + UDP header of a packet src:sp → dst:dp */
static vg_packet_t unreach(const char *from, const char *to, const char *src, uint16_t sp,
                           const char *dst, uint16_t dp, uint8_t type, uint8_t *buf,
                           vg_time_t ts)
{
    vg_packet_t p = pkt(from, 0, to, 0, 1, 0, ts);
    p.icmp_type = type;
    p.icmp_code = 3;
    memset(buf, 0, 28);
    buf[0] = 0x45;
    buf[9] = 17;
    inet_pton(AF_INET, src, buf + 12);
    inet_pton(AF_INET, dst, buf + 16);
    buf[20] = (uint8_t)(sp >> 8);
    buf[21] = (uint8_t)sp;
    buf[22] = (uint8_t)(dp >> 8);
    buf[23] = (uint8_t)dp;
    p.payload = buf;
    p.payload_len = 28;
    return p;
}

/* ICMPv4 errors, as Suricata 7: a destination unreachable joins the UDP/TCP flow it quotes (either
 * way round), as a packet of its sender's side, without making the flow established; no error
 * message ever starts a flow */
static void test_icmp_errors(void **state)
{
    (void)state;
    ended_t e;
    vg_flow_table_t *t = table(&e, 0);
    int dir;
    uint8_t buf[28];
    vg_time_t ts = 1000000;
    vg_packet_t p = pkt("10.0.0.1", 40000, "10.0.0.2", 53, 17, 0, ts++);
    vg_flow_t *f = vg_flow_lookup(t, &p, &dir);
    /* from the server: to_client */
    p = unreach("10.0.0.2", "10.0.0.1", "10.0.0.1", 40000, "10.0.0.2", 53, 3, buf, ts++);
    assert_int_equal(vg_flow_key_hash(&p), f->hash);
    assert_ptr_equal(vg_flow_lookup(t, &p, &dir), f);
    assert_int_equal(dir, 1);
    assert_int_equal(f->pkts[1], 1);
    assert_int_equal(f->icmp_errs[1], 1);
    assert_int_equal(f->state, VG_FLOW_NEW); /* not an answer that establishes it */
    /* from a router, about the same packet: to_client as well */
    p = unreach("10.9.9.9", "10.0.0.1", "10.0.0.1", 40000, "10.0.0.2", 53, 3, buf, ts++);
    assert_ptr_equal(vg_flow_lookup(t, &p, &dir), f);
    assert_int_equal(dir, 1);
    /* quoting a packet of the server's: the client sent it, to_server */
    p = unreach("10.0.0.1", "10.0.0.2", "10.0.0.2", 53, "10.0.0.1", 40000, 3, buf, ts++);
    assert_ptr_equal(vg_flow_lookup(t, &p, &dir), f);
    assert_int_equal(dir, 0);
    assert_int_equal(f->pkts[0], 2);
    uint64_t total = e.n;
    /* no flow quoted: none made; time exceeded (type 11) joins nothing */
    p = unreach("10.0.0.2", "10.0.0.5", "10.0.0.5", 1, "10.0.0.2", 53, 3, buf, ts++);
    assert_null(vg_flow_lookup(t, &p, &dir));
    p = unreach("10.9.9.9", "10.0.0.1", "10.0.0.1", 40000, "10.0.0.2", 53, 11, buf, ts++);
    assert_null(vg_flow_lookup(t, &p, &dir));
    assert_int_equal(f->pkts[1], 2);
    /* a truncated quote (no complete UDP header) joins nothing either */
    p = unreach("10.0.0.2", "10.0.0.1", "10.0.0.1", 40000, "10.0.0.2", 53, 3, buf, ts++);
    p.payload_len = 27;
    assert_null(vg_flow_lookup(t, &p, &dir));
    assert_int_equal(e.n, total);
    /* IGMP (like any protocol but TCP, UDP, ICMP, SCTP and ESP) has no flow, as in Suricata */
    p = pkt("10.0.0.1", 0, "224.0.0.22", 0, 2, 0, ts++);
    assert_null(vg_flow_lookup(t, &p, &dir));
    p = pkt("10.0.0.1", 0, "10.0.0.2", 0, 50, 0, ts++);
    assert_non_null(vg_flow_lookup(t, &p, &dir));
    vg_flow_table_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_directions),
        cmocka_unit_test(test_synack_first_reverses),
        cmocka_unit_test(test_udp_established_and_timeout),
        cmocka_unit_test(test_tcp_port_reuse),
        cmocka_unit_test(test_memcap_eviction),
        cmocka_unit_test(test_ids),
        cmocka_unit_test(test_icmp_echo_checks),
        cmocka_unit_test(test_icmp_keys),
        cmocka_unit_test(test_icmp_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
