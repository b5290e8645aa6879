/* Tests for decode_udp.c: lengths and checksum rules. VXLAN is in test_decode_tunnel.c. */
#include "dtest.h"

static size_t build(uint8_t *b, int v6, bool csum)
{
    uint8_t udp[64];
    size_t ul = dt_udp(udp, 5353, 53, "query", 5);
    size_t n = v6 ? dt_ipv6(b, "fe80::1", "ff02::fb", 17, udp, ul)
                  : dt_ipv4(b, 20, "10.0.0.1", "10.0.0.2", 17, 1, 0, udp, ul);
    if (csum)
        dt_l4_csum(b, v6 ? 6 : 4, b + (v6 ? 40 : 20), ul, 17, 6);
    return n;
}

static void test_fields(void **st)
{
    (void)st;
    vg_decoder_t *d = dt_new(true);
    uint8_t b[128];
    vg_packet_t p;
    for (int v6 = 0; v6 < 2; v6++) {
        size_t n = build(b, v6, true);
        dt_decode(d, &p, b, n, DLT_RAW_);
        assert_int_equal(p.sp, 5353);
        assert_int_equal(p.dp, 53);
        assert_int_equal(p.payload_len, 5);
        assert_memory_equal(p.payload, "query", 5);
        assert_int_equal(DT_FLAGS(p), 0);
        assert_int_equal(p.n_events, 0);
    }
    assert_int_equal(dt_stat(d, "decoder.udp"), 2);
    vg_decoder_free(d);
}

static void test_lengths(void **st)
{
    (void)st;
    vg_decoder_t *d = dt_new(false);
    uint8_t b[128];
    vg_packet_t p;
    uint8_t tiny[7] = {0};
    size_t n = dt_ipv4(b, 20, "1.1.1.1", "2.2.2.2", 17, 1, 0, tiny, 7);
    dt_decode(d, &p, b, n, DLT_RAW_);
    assert_true(dt_has(&p, "udp.hlen_too_small")); /* as Suricata 7.0.10 names them */
    assert_true(p.flags & VG_PKT_INVALID);

    n = build(b, 0, false);
    dt_put16(b + 24, 7);
    dt_decode(d, &p, b, n, DLT_RAW_);
    assert_true(dt_has(&p, "udp.len_invalid"));
    assert_true(p.flags & VG_PKT_INVALID);

    n = build(b, 0, false);
    dt_put16(b + 24, 14);
    dt_decode(d, &p, b, n, DLT_RAW_);
    assert_true(dt_has(&p, "udp.pkt_too_small"));

    /* a length short of the IP payload: the datagram is its first 12 bytes (what follows is
     * padding), no event, as Suricata 7.0.10 (its udp.hlen_invalid is retired) */
    n = build(b, 0, false);
    dt_put16(b + 24, 12);
    dt_decode(d, &p, b, n, DLT_RAW_);
    assert_int_equal(p.n_events, 0);
    assert_false(p.flags & VG_PKT_INVALID);
    assert_int_equal(p.sp, 5353);
    assert_int_equal(p.payload_len, 4);
    assert_memory_equal(p.payload, "quer", 4);
    assert_int_equal(p.l4_len, 12);
    vg_decoder_free(d);
}

static void test_checksum_rules(void **st)
{
    (void)st;
    vg_decoder_t *d = dt_new(true);
    uint8_t b[128];
    vg_packet_t p;
    size_t n = build(b, 0, false); /* IPv4, checksum 0: none */
    dt_decode(d, &p, b, n, DLT_RAW_);
    assert_false(p.flags & VG_PKT_L4_CSUM_BAD);
    n = build(b, 1, false); /* IPv6, checksum 0: invalid */
    dt_decode(d, &p, b, n, DLT_RAW_);
    assert_true(p.flags & VG_PKT_L4_CSUM_BAD);
    n = build(b, 0, true);
    b[n - 1] ^= 0x20;
    dt_decode(d, &p, b, n, DLT_RAW_);
    assert_true(p.flags & VG_PKT_L4_CSUM_BAD);
    assert_int_equal(p.n_events, 0);
    assert_int_equal(dt_stat(d, "decoder.invalid_checksum.udp"), 2);
    vg_decoder_free(d);
    d = dt_new(false);
    dt_decode(d, &p, b, n, DLT_RAW_);
    assert_false(p.flags & VG_PKT_L4_CSUM_BAD);
    /* the checksum keywords' answer does not depend on validation being on */
    assert_int_equal(vg_decode_csum_valid(&p, VG_CSUM_UDPV4), 0);
    assert_int_equal(vg_decode_csum_valid(&p, VG_CSUM_IPV4), 1);
    assert_int_equal(vg_decode_csum_valid(&p, VG_CSUM_UDPV6), -1);  /* another IP version */
    assert_int_equal(vg_decode_csum_valid(&p, VG_CSUM_TCPV4), -1);  /* another protocol */
    b[n - 1] ^= 0x20; /* the byte flipped back: valid */
    dt_decode(d, &p, b, n, DLT_RAW_);
    assert_int_equal(vg_decode_csum_valid(&p, VG_CSUM_UDPV4), 1);
    n = build(b, 0, false); /* IPv4, checksum 0: none */
    dt_decode(d, &p, b, n, DLT_RAW_);
    assert_int_equal(vg_decode_csum_valid(&p, VG_CSUM_UDPV4), -1);
    n = build(b, 1, false); /* IPv6, checksum 0: invalid */
    dt_decode(d, &p, b, n, DLT_RAW_);
    assert_int_equal(vg_decode_csum_valid(&p, VG_CSUM_UDPV6), 0);
    n = build(b, 1, true);
    dt_decode(d, &p, b, n, DLT_RAW_);
    assert_int_equal(vg_decode_csum_valid(&p, VG_CSUM_UDPV6), 1);
    vg_decoder_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fields),
        cmocka_unit_test(test_lengths),
        cmocka_unit_test(test_checksum_rules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
