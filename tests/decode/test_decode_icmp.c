/* Tests for decode_icmp.c: ICMPv4 and ICMPv6 types, codes, quoted headers, checksums. */
#include "dtest.h"

static size_t icmp4(uint8_t *b, uint8_t type, uint8_t code, const uint8_t *rest, size_t rlen)
{
    uint8_t m[128] = {type, code, 0, 0, 0x12, 0x34, 0x00, 0x07};
    if (rlen)
        memcpy(m + 8, rest, rlen);
    dt_put16(m + 2, pkt_cksum(m, 8 + rlen, 0));
    return dt_ipv4(b, 20, "10.0.0.1", "10.0.0.2", 1, 1, 0, m, 8 + rlen);
}

static size_t icmp6(uint8_t *b, uint8_t type, uint8_t code, const uint8_t *rest, size_t rlen,
                    uint8_t hl)
{
    uint8_t m[128] = {type, code, 0, 0, 0xAB, 0xCD, 0x00, 0x02};
    if (rlen)
        memcpy(m + 8, rest, rlen);
    size_t n = dt_ipv6(b, "fe80::1", "fe80::2", 58, m, 8 + rlen);
    b[7] = hl;
    dt_l4_csum(b, 6, b + 40, 8 + rlen, 58, 2);
    return n;
}

static void test_icmpv4_echo(void **st)
{
    (void)st;
    vg_decoder_t *d = dt_new(true);
    uint8_t b[256];
    vg_packet_t p;
    size_t n = icmp4(b, 8, 0, (const uint8_t *)"ping", 4);
    dt_decode(d, &p, b, n, DLT_RAW_);
    assert_int_equal(p.proto, 1);
    assert_int_equal(p.icmp_type, 8);
    assert_int_equal(p.icmp_code, 0);
    assert_int_equal(p.icmp_id, 0x1234);
    assert_int_equal(p.icmp_seq, 7);
    assert_int_equal(p.sp, 0);
    assert_int_equal(p.payload_len, 4);
    assert_int_equal(DT_FLAGS(p), 0);
    assert_int_equal(p.n_events, 0);
    assert_int_equal(dt_stat(d, "decoder.icmpv4"), 1);
    b[n - 1] ^= 1;
    dt_decode(d, &p, b, n, DLT_RAW_);
    assert_true(p.flags & VG_PKT_L4_CSUM_BAD);
    assert_int_equal(dt_stat(d, "decoder.invalid_checksum.icmpv4"), 1);
    vg_decoder_free(d);
}

static void test_icmpv4_anomalies(void **st)
{
    (void)st;
    vg_decoder_t *d = dt_new(true);
    uint8_t b[256], in[28];
    vg_packet_t p;
    size_t n = icmp4(b, 42, 0, NULL, 0);
    dt_decode(d, &p, b, n, DLT_RAW_);
    assert_true(dt_has(&p, "icmpv4.unknown_type"));
    assert_false(p.flags & VG_PKT_INVALID);
    n = icmp4(b, 0, 3, NULL, 0);
    dt_decode(d, &p, b, n, DLT_RAW_);
    assert_true(dt_has(&p, "icmpv4.unknown_code"));
    n = icmp4(b, 3, 3, in, 10); /* quoted header truncated */
    dt_decode(d, &p, b, n, DLT_RAW_);
    assert_true(dt_has(&p, "icmpv4.ipv4_trunc_pkt"));
    memset(in, 0, sizeof in);
    in[0] = 0x65;
    n = icmp4(b, 11, 0, in, 28);
    dt_decode(d, &p, b, n, DLT_RAW_);
    assert_true(dt_has(&p, "icmpv4.ipv4_unknown_ver"));
    in[0] = 0x45;
    n = icmp4(b, 3, 1, in, 28);
    dt_decode(d, &p, b, n, DLT_RAW_);
    assert_int_equal(p.n_events, 0);
    uint8_t small[4] = {8, 0, 0, 0};
    n = dt_ipv4(b, 20, "1.1.1.1", "2.2.2.2", 1, 1, 0, small, 4);
    dt_decode(d, &p, b, n, DLT_RAW_);
    assert_true(dt_has(&p, "icmpv4.pkt_too_small"));
    assert_true(p.flags & VG_PKT_INVALID);
    vg_decoder_free(d);
}

static void test_icmpv6(void **st)
{
    (void)st;
    vg_decoder_t *d = dt_new(true);
    uint8_t b[256], in[48] = {0};
    vg_packet_t p;
    size_t n = icmp6(b, 128, 0, NULL, 0, 64);
    dt_decode(d, &p, b, n, DLT_RAW_);
    assert_int_equal(p.proto, 58);
    assert_int_equal(p.icmp_type, 128);
    assert_int_equal(p.icmp_id, 0xABCD);
    assert_int_equal(p.icmp_seq, 2);
    assert_int_equal(DT_FLAGS(p), 0);
    assert_int_equal(p.n_events, 0);
    b[n - 1] ^= 1;
    dt_decode(d, &p, b, n, DLT_RAW_);
    assert_true(p.flags & VG_PKT_L4_CSUM_BAD);

    n = icmp6(b, 131, 0, in, 16, 1); /* MLD report, hop limit 1: fine */
    dt_decode(d, &p, b, n, DLT_RAW_);
    assert_int_equal(p.n_events, 0);
    n = icmp6(b, 131, 0, in, 16, 64);
    dt_decode(d, &p, b, n, DLT_RAW_);
    assert_true(dt_has(&p, "icmpv6.mld_message_with_invalid_hl"));
    n = icmp6(b, 50, 0, NULL, 0, 64);
    dt_decode(d, &p, b, n, DLT_RAW_);
    assert_true(dt_has(&p, "icmpv6.unassigned_type"));
    n = icmp6(b, 200, 0, NULL, 0, 64);
    dt_decode(d, &p, b, n, DLT_RAW_);
    assert_true(dt_has(&p, "icmpv6.experimentation_type"));
    n = icmp6(b, 0, 0, NULL, 0, 64);
    dt_decode(d, &p, b, n, DLT_RAW_);
    assert_true(dt_has(&p, "icmpv6.unknown_type"));
    n = icmp6(b, 129, 1, NULL, 0, 64);
    dt_decode(d, &p, b, n, DLT_RAW_);
    assert_true(dt_has(&p, "icmpv6.unknown_code"));
    n = icmp6(b, 1, 4, in, 20, 64);
    dt_decode(d, &p, b, n, DLT_RAW_);
    assert_true(dt_has(&p, "icmpv6.ipv6_trunc_pkt"));
    in[0] = 0x45;
    n = icmp6(b, 2, 0, in, 48, 64);
    dt_decode(d, &p, b, n, DLT_RAW_);
    assert_true(dt_has(&p, "icmpv6.ipv6_unknown_version"));
    in[0] = 0x60;
    n = icmp6(b, 3, 0, in, 48, 64);
    dt_decode(d, &p, b, n, DLT_RAW_);
    assert_int_equal(p.n_events, 0);
    uint8_t small[4] = {128, 0, 0, 0};
    n = dt_ipv6(b, "::1", "::2", 58, small, 4);
    dt_decode(d, &p, b, n, DLT_RAW_);
    assert_true(dt_has(&p, "icmpv6.pkt_too_small"));
    assert_true(p.flags & VG_PKT_INVALID);
    assert_true(dt_stat(d, "decoder.icmpv6") >= 9);
    vg_decoder_free(d);
}

/* The connection a destination unreachable quotes (vg_icmp4_quote), and the reader's worker hash:
 * the error goes to the worker of that connection */
static void test_icmpv4_quote(void **st)
{
    (void)st;
    vg_decoder_t *d = dt_new(false);
    uint8_t q[64], u[16], b[256], e[256];
    vg_packet_t p, orig;
    /* the quoted datagram 10.0.0.2:5353 -> 10.0.0.1:53, as on the wire */
    size_t un = dt_udp(u, 5353, 53, "x", 1);
    size_t qn = dt_ipv4(q, 20, "10.0.0.2", "10.0.0.1", 17, 9, 0, u, un);
    dt_decode(d, &orig, q, qn, DLT_RAW_);
    size_t n = icmp4(b, 3, 3, q, 28); /* from 10.0.0.1 to 10.0.0.2: header + 8 bytes quoted */
    dt_decode(d, &p, b, n, DLT_RAW_);
    vg_icmp_quote_t qt;
    assert_true(vg_icmp4_quote(&p, &qt));
    assert_int_equal(qt.proto, 17);
    assert_int_equal(qt.sp, 5353);
    assert_int_equal(qt.dp, 53);
    assert_memory_equal(qt.src.b, orig.src.b, 16);
    assert_memory_equal(qt.dst.b, orig.dst.b, 16);
    assert_int_equal(vg_decode_worker_hash(&p), vg_decode_worker_hash(&orig));
    /* a time exceeded message quotes too, but only type 3 joins a flow */
    n = icmp4(e, 11, 0, q, 28);
    dt_decode(d, &p, e, n, DLT_RAW_);
    assert_false(vg_icmp4_quote(&p, &qt));
    /* TCP needs its whole 20-byte header quoted (Suricata's rule), UDP 8 bytes */
    uint8_t t[20] = {0x13, 0x88, 0x00, 0x50};
    qn = dt_ipv4(q, 20, "10.0.0.2", "10.0.0.1", 6, 9, 0, t, sizeof t);
    n = icmp4(b, 3, 1, q, 28);
    dt_decode(d, &p, b, n, DLT_RAW_);
    assert_false(vg_icmp4_quote(&p, &qt));
    n = icmp4(b, 3, 1, q, 40);
    dt_decode(d, &p, b, n, DLT_RAW_);
    assert_true(vg_icmp4_quote(&p, &qt));
    assert_int_equal(qt.proto, 6);
    assert_int_equal(qt.sp, 5000);
    assert_int_equal(qt.dp, 80);
    /* not IPv4 inside */
    q[0] = 0x65;
    n = icmp4(b, 3, 1, q, 40);
    dt_decode(d, &p, b, n, DLT_RAW_);
    assert_false(vg_icmp4_quote(&p, &qt));
    vg_decoder_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_icmpv4_echo),
        cmocka_unit_test(test_icmpv4_anomalies),
        cmocka_unit_test(test_icmpv6),
        cmocka_unit_test(test_icmpv4_quote),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
