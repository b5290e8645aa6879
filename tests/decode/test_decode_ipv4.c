/* Tests for decode_ipv4.c: header checks, options, checksum, L4 dispatch. */
#include "dtest.h"

/* Raw IPv4 + UDP(8 bytes) with options opts (olen, multiple of 4). */
static size_t build(uint8_t *b, const uint8_t *opts, size_t olen)
{
    uint8_t udp[16];
    size_t ul = dt_udp(udp, 53, 53, "abcd", 4);
    if (olen)
        memcpy(b + 20, opts, olen);
    size_t n = dt_ipv4(b, 20 + olen, "192.168.1.1", "192.168.1.2", 17, 0x1234, 0x4000, udp, ul);
    dt_l4_csum(b, 4, b + 20 + olen, ul, 17, 6);
    return n;
}

static void test_basic_fields(void **st)
{
    (void)st;
    vg_decoder_t *d = dt_new(true);
    uint8_t b[128];
    size_t n = build(b, NULL, 0);
    b[1] = 0x28;
    dt_put16(b + 10, 0);
    dt_put16(b + 10, pkt_cksum(b, 20, 0));
    vg_packet_t p;
    assert_int_equal(dt_decode(d, &p, b, n, DLT_RAW_), VG_DECODE_OK);
    assert_int_equal(p.ip_ver, 4);
    assert_int_equal(p.ip_id, 0x1234);
    assert_int_equal(p.ip_tos, 0x28);
    assert_int_equal(p.ttl, 64);
    assert_int_equal(p.proto, 17);
    assert_int_equal(p.sp, 53);
    assert_int_equal(p.payload_len, 4);
    assert_memory_equal(p.payload, "abcd", 4);
    assert_int_equal(p.l4_len, 12);
    assert_int_equal(DT_FLAGS(p), 0);
    assert_int_equal(p.n_events, 0);
    uint8_t a[16] = {192, 168, 1, 2};
    assert_memory_equal(p.dst.b, a, 16);
    vg_decoder_free(d);
}

static void test_header_errors(void **st)
{
    (void)st;
    vg_decoder_t *d = dt_new(true);
    uint8_t b[128];
    vg_packet_t p;
    size_t n = build(b, NULL, 0);

    dt_decode(d, &p, b, 19, DLT_EN10MB_ + 11); /* raw, 19 bytes */
    assert_true(dt_has(&p, "ipv4.pkt_too_small"));
    assert_true(p.flags & VG_PKT_INVALID);
    assert_int_equal(p.ip_ver, 0);

    b[0] = 0x55;
    dt_decode(d, &p, b, n, DLT_IPV4_);
    assert_true(dt_has(&p, "ipraw.invalid_ip_version"));
    /* via an Ethernet type 0x0800 the version check is IPv4's own */
    uint8_t e[200];
    size_t h = dt_eth(e, 0x0800);
    memcpy(e + h, b, n);
    dt_decode(d, &p, e, h + n, DLT_EN10MB_);
    assert_true(dt_has(&p, "ipv4.wrong_ip_version"));

    n = build(b, NULL, 0);
    b[0] = 0x44; /* ihl 4 */
    dt_decode(d, &p, b, n, DLT_RAW_);
    assert_true(dt_has(&p, "ipv4.hlen_too_small"));
    assert_true(p.flags & VG_PKT_INVALID);

    n = build(b, NULL, 0);
    dt_put16(b + 2, 19);
    dt_decode(d, &p, b, n, DLT_RAW_);
    assert_true(dt_has(&p, "ipv4.iplen_smaller_than_hlen"));

    n = build(b, NULL, 0);
    b[0] = 0x4F; /* 60-byte header, only 32 bytes there */
    dt_decode(d, &p, b, n, DLT_RAW_);
    assert_true(dt_has(&p, "ipv4.iplen_smaller_than_hlen") || dt_has(&p, "ipv4.trunc_pkt"));

    n = build(b, NULL, 0);
    dt_decode(d, &p, b, n - 1, DLT_RAW_);
    assert_true(dt_has(&p, "ipv4.trunc_pkt"));
    assert_true(p.flags & VG_PKT_INVALID);
    assert_int_equal(p.sp, 0);
    assert_int_equal(dt_stat(d, "decoder.event.ipv4.trunc_pkt"), 1);
    vg_decoder_free(d);
}

static void test_options(void **st)
{
    (void)st;
    vg_decoder_t *d = dt_new(true);
    uint8_t b[128];
    vg_packet_t p;
    /* router alert (148, len 4) + NOP + EOL padding: fine */
    const uint8_t ra[8] = {148, 4, 0, 0, 1, 0, 0, 0};
    size_t n = build(b, ra, 8);
    dt_decode(d, &p, b, n, DLT_RAW_);
    assert_int_equal(p.n_events, 0);
    assert_int_equal(p.sp, 53);
    assert_ptr_equal(p.l4, b + 28);

    /* record route with a valid length (3 + 4*1) */
    const uint8_t rr[8] = {7, 7, 4, 0, 0, 0, 0, 0};
    n = build(b, rr, 8);
    dt_decode(d, &p, b, n, DLT_RAW_);
    assert_int_equal(p.n_events, 0);

    const uint8_t unknown[4] = {0x9e, 4, 0, 0};
    n = build(b, unknown, 4);
    dt_decode(d, &p, b, n, DLT_RAW_);
    assert_true(dt_has(&p, "ipv4.opt_unknown"));
    assert_false(p.flags & VG_PKT_INVALID);

    const uint8_t dup[8] = {148, 4, 0, 0, 148, 4, 0, 0};
    n = build(b, dup, 8);
    dt_decode(d, &p, b, n, DLT_RAW_);
    assert_true(dt_has(&p, "ipv4.opt_duplicate"));

    const uint8_t badlen[4] = {148, 1, 0, 0};
    n = build(b, badlen, 4);
    dt_decode(d, &p, b, n, DLT_RAW_);
    assert_true(dt_has(&p, "ipv4.opt_invalid_len"));
    assert_true(p.flags & VG_PKT_INVALID);

    const uint8_t wronglen[4] = {136, 3, 0, 0}; /* stream id must be 4 */
    n = build(b, wronglen, 4);
    dt_decode(d, &p, b, n, DLT_RAW_);
    assert_true(dt_has(&p, "ipv4.opt_invalid_len"));

    const uint8_t overrun[4] = {1, 130, 11, 0};
    n = build(b, overrun, 4);
    dt_decode(d, &p, b, n, DLT_RAW_);
    assert_true(dt_has(&p, "ipv4.opt_malformed"));

    const uint8_t nolen[4] = {1, 1, 1, 68};
    n = build(b, nolen, 4);
    dt_decode(d, &p, b, n, DLT_RAW_);
    assert_true(dt_has(&p, "ipv4.opt_invalid"));
    vg_decoder_free(d);
}

static void test_checksum(void **st)
{
    (void)st;
    uint8_t b[128];
    size_t n = build(b, NULL, 0);
    b[10] ^= 0xFF;
    vg_packet_t p;
    vg_decoder_t *d = dt_new(true);
    dt_decode(d, &p, b, n, DLT_RAW_);
    assert_true(p.flags & VG_PKT_IPV4_CSUM_BAD);
    assert_false(p.flags & VG_PKT_INVALID); /* as Suricata: not an anomaly event */
    assert_int_equal(p.n_events, 0);
    assert_int_equal(p.sp, 53);
    assert_int_equal(dt_stat(d, "decoder.invalid_checksum.ipv4"), 1);
    vg_decoder_free(d);
    d = dt_new(false);
    dt_decode(d, &p, b, n, DLT_RAW_);
    assert_false(p.flags & VG_PKT_IPV4_CSUM_BAD);
    assert_int_equal(dt_stat(d, "decoder.invalid_checksum.ipv4"), 0);
    vg_decoder_free(d);
}

static void test_icmpv6_in_ipv4_and_other_protos(void **st)
{
    (void)st;
    vg_decoder_t *d = dt_new(true);
    uint8_t b[128], pl[8] = {128, 0, 0, 0, 0, 1, 0, 1};
    vg_packet_t p;
    size_t n = dt_ipv4(b, 20, "1.1.1.1", "2.2.2.2", 58, 1, 0, pl, 8);
    dt_decode(d, &p, b, n, DLT_RAW_);
    assert_true(dt_has(&p, "ipv4.icmpv6"));
    assert_true(p.flags & VG_PKT_INVALID);
    n = dt_ipv4(b, 20, "1.1.1.1", "2.2.2.2", 132, 1, 0, pl, 8); /* SCTP: not decoded */
    dt_decode(d, &p, b, n, DLT_RAW_);
    assert_int_equal(p.n_events, 0);
    assert_int_equal(p.proto, 132);
    assert_ptr_equal(p.l4, b + 20);
    assert_int_equal(p.l4_len, 8);
    vg_decoder_free(d);
}

/* Every prefix of a valid packet decodes without reading past caplen (ASan watches). */
static void test_all_truncations(void **st)
{
    (void)st;
    vg_decoder_t *d = dt_new(true);
    const uint8_t opts[8] = {148, 4, 0, 0, 7, 3, 4, 0};
    uint8_t b[128];
    size_t n = build(b, opts, 8);
    for (size_t k = 0; k <= n; k++) {
        uint8_t *copy = malloc(k ? k : 1);
        memcpy(copy, b, k);
        vg_packet_t p;
        dt_decode(d, &p, copy, k, DLT_RAW_);
        if (k < n)
            assert_true(p.flags & VG_PKT_INVALID);
        free(copy);
    }
    vg_decoder_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_basic_fields),
        cmocka_unit_test(test_header_errors),
        cmocka_unit_test(test_options),
        cmocka_unit_test(test_checksum),
        cmocka_unit_test(test_icmpv6_in_ipv4_and_other_protos),
        cmocka_unit_test(test_all_truncations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
