/* Tests for decode_tcp.c: fields, options, malformed headers, checksum. */
#include "dtest.h"

/* IPv4 + TCP with options opts (olen, multiple of 4) and payload "hello". */
static size_t build(uint8_t *b, const uint8_t *opts, size_t olen, int v6)
{
    uint8_t tcp[128] = {0};
    dt_put16(tcp, 40000);
    dt_put16(tcp + 2, 443);
    dt_put32(tcp + 4, 0x01020304);
    dt_put32(tcp + 8, 0x0A0B0C0D);
    tcp[12] = (uint8_t)(((20 + olen) / 4) << 4);
    tcp[13] = 0x12;
    dt_put16(tcp + 14, 29200);
    if (olen)
        memcpy(tcp + 20, opts, olen);
    memcpy(tcp + 20 + olen, "hello", 5);
    size_t tl = 20 + olen + 5;
    size_t n = v6 ? dt_ipv6(b, "2001:db8::1", "2001:db8::2", 6, tcp, tl)
                  : dt_ipv4(b, 20, "10.1.1.1", "10.2.2.2", 6, 9, 0x4000, tcp, tl);
    size_t hl = v6 ? 40 : 20;
    dt_l4_csum(b, v6 ? 6 : 4, b + hl, tl, 6, 16);
    return n;
}

static void test_fields_and_options(void **st)
{
    (void)st;
    vg_decoder_t *d = dt_new(true);
    const uint8_t opts[20] = {2, 4, 0x05, 0xB4, 4, 2, 8, 10, 0, 0, 0, 7, 0, 0, 0, 9, 1, 3, 3, 7};
    uint8_t b[256];
    for (int v6 = 0; v6 < 2; v6++) {
        size_t n = build(b, opts, 20, v6);
        vg_packet_t p;
        dt_decode(d, &p, b, n, DLT_RAW_);
        assert_int_equal(p.n_events, 0);
        assert_int_equal(DT_FLAGS(p), 0);
        assert_int_equal(p.sp, 40000);
        assert_int_equal(p.dp, 443);
        assert_int_equal(p.tcp_seq, 0x01020304);
        assert_int_equal(p.tcp_ack, 0x0A0B0C0D);
        assert_int_equal(p.tcp_flags, VG_TCP_SYN | VG_TCP_ACK);
        assert_int_equal(p.tcp_win, 29200);
        assert_int_equal(p.tcp_mss, 1460);
        assert_int_equal(p.tcp_sack_permitted, 1);
        assert_int_equal(p.tcp_has_ts, 1);
        assert_int_equal(p.tcp_tsval, 7);
        assert_int_equal(p.tcp_tsecr, 9);
        assert_int_equal(p.tcp_wscale, 7);
        assert_int_equal(p.payload_len, 5);
        assert_memory_equal(p.payload, "hello", 5);
    }
    assert_int_equal(dt_stat(d, "decoder.tcp"), 2);
    vg_decoder_free(d);
}

static void test_no_options_defaults(void **st)
{
    (void)st;
    vg_decoder_t *d = dt_new(true);
    uint8_t b[256];
    size_t n = build(b, NULL, 0, 0);
    vg_packet_t p;
    dt_decode(d, &p, b, n, DLT_RAW_);
    assert_int_equal(p.tcp_wscale, 0xFF);
    assert_int_equal(p.tcp_mss, 0);
    assert_int_equal(p.tcp_has_ts, 0);
    vg_decoder_free(d);
}

static void test_option_anomalies(void **st)
{
    (void)st;
    vg_decoder_t *d = dt_new(true);
    uint8_t b[256];
    vg_packet_t p;
    const uint8_t overrun[4] = {1, 8, 10, 0};
    size_t n = build(b, overrun, 4, 0);
    dt_decode(d, &p, b, n, DLT_RAW_);
    assert_true(dt_has(&p, "tcp.invalid_optlen"));
    assert_true(p.flags & VG_PKT_INVALID);
    const uint8_t zero[4] = {3, 0, 0, 0};
    n = build(b, zero, 4, 0);
    dt_decode(d, &p, b, n, DLT_RAW_);
    assert_true(dt_has(&p, "tcp.invalid_optlen"));
    const uint8_t last[4] = {1, 1, 1, 2}; /* kind without a length byte */
    n = build(b, last, 4, 0);
    dt_decode(d, &p, b, n, DLT_RAW_);
    assert_true(dt_has(&p, "tcp.invalid_optlen"));
    const uint8_t wrong[4] = {2, 3, 5, 1};
    n = build(b, wrong, 4, 0);
    dt_decode(d, &p, b, n, DLT_RAW_);
    assert_true(dt_has(&p, "tcp.opt_invalid_len"));
    assert_false(p.flags & VG_PKT_INVALID);
    assert_int_equal(p.tcp_mss, 0);
    const uint8_t dup[8] = {2, 4, 1, 0, 2, 4, 2, 0};
    n = build(b, dup, 8, 0);
    dt_decode(d, &p, b, n, DLT_RAW_);
    assert_true(dt_has(&p, "tcp.opt_duplicate"));
    vg_decoder_free(d);
}

static void test_header_errors(void **st)
{
    (void)st;
    vg_decoder_t *d = dt_new(true);
    uint8_t b[256];
    vg_packet_t p;
    uint8_t small[19] = {0};
    size_t n = dt_ipv4(b, 20, "1.1.1.1", "2.2.2.2", 6, 1, 0, small, sizeof small);
    dt_decode(d, &p, b, n, DLT_RAW_);
    assert_true(dt_has(&p, "tcp.pkt_too_small"));
    assert_true(p.flags & VG_PKT_INVALID);
    assert_int_equal(p.proto, 6);
    assert_int_equal(p.ip_ver, 4);

    n = build(b, NULL, 0, 0);
    b[20 + 12] = 0x40;
    dt_decode(d, &p, b, n, DLT_RAW_);
    assert_true(dt_has(&p, "tcp.hlen_too_small"));

    n = build(b, NULL, 0, 0);
    b[20 + 12] = 0xF0; /* 60-byte header in 25 bytes */
    dt_decode(d, &p, b, n, DLT_RAW_);
    assert_true(dt_has(&p, "tcp.pkt_too_small"));
    assert_int_equal(p.sp, 0);
    vg_decoder_free(d);
}

static void test_checksum(void **st)
{
    (void)st;
    uint8_t b[256];
    vg_packet_t p;
    for (int v6 = 0; v6 < 2; v6++) {
        size_t n = build(b, NULL, 0, v6);
        b[n - 1] ^= 1;
        vg_decoder_t *d = dt_new(true);
        dt_decode(d, &p, b, n, DLT_RAW_);
        assert_true(p.flags & VG_PKT_L4_CSUM_BAD);
        assert_int_equal(p.n_events, 0);
        assert_int_equal(p.dp, 443);
        assert_int_equal(dt_stat(d, "decoder.invalid_checksum.tcp"), 1);
        vg_decoder_free(d);
        d = dt_new(false);
        dt_decode(d, &p, b, n, DLT_RAW_);
        assert_false(p.flags & VG_PKT_L4_CSUM_BAD);
        vg_decoder_free(d);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fields_and_options),
        cmocka_unit_test(test_no_options_defaults),
        cmocka_unit_test(test_option_anomalies),
        cmocka_unit_test(test_header_errors),
        cmocka_unit_test(test_checksum),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
