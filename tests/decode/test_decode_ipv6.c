/* Tests for decode_ipv6.c: header checks and the extension header walk. */
#include "dtest.h"

/* IPv6 packet: ext headers (ext, elen bytes, first next header nh0) then UDP with 4 bytes. */
static size_t build(uint8_t *b, uint8_t nh0, const uint8_t *ext, size_t elen)
{
    uint8_t pl[256];
    if (elen)
        memcpy(pl, ext, elen);
    size_t ul = dt_udp(pl + elen, 1000, 2000, "wxyz", 4);
    size_t n = dt_ipv6(b, "2001:db8::1", "2001:db8::2", elen ? nh0 : 17, pl, elen + ul);
    dt_l4_csum(b, 6, b + 40 + elen, ul, 17, 6);
    return n;
}

static void test_basic(void **st)
{
    (void)st;
    vg_decoder_t *d = dt_new(true);
    uint8_t b[256];
    size_t n = build(b, 0, NULL, 0);
    b[0] = 0x6A;
    b[1] = 0xB0; /* traffic class 0xAB */
    vg_packet_t p;
    dt_decode(d, &p, b, n, DLT_RAW_);
    assert_int_equal(p.ip_ver, 6);
    assert_int_equal(p.ip_tos, 0xAB);
    assert_int_equal(p.proto, 17);
    assert_int_equal(p.sp, 1000);
    assert_int_equal(p.ttl, 64);
    assert_int_equal(p.n_events, 0);
    assert_int_equal(DT_FLAGS(p), 0);
    assert_int_equal(p.l3_len, n);
    assert_int_equal(p.src.b[0], 0x20);
    assert_int_equal(p.src.b[15], 1);
    assert_int_equal(dt_stat(d, "decoder.ipv6"), 1);
    vg_decoder_free(d);
}

static void test_header_errors(void **st)
{
    (void)st;
    vg_decoder_t *d = dt_new(true);
    uint8_t b[256], e[300];
    size_t n = build(b, 0, NULL, 0);
    vg_packet_t p;
    dt_decode(d, &p, b, 39, DLT_RAW_);
    assert_true(dt_has(&p, "ipv6.pkt_too_small"));
    assert_true(p.flags & VG_PKT_INVALID);
    dt_decode(d, &p, b, n - 1, DLT_RAW_);
    assert_true(dt_has(&p, "ipv6.trunc_pkt"));
    assert_int_equal(p.ip_ver, 0);
    size_t h = dt_eth(e, 0x86DD);
    memcpy(e + h, b, n);
    e[h] = 0x40;
    dt_decode(d, &p, e, h + n, DLT_EN10MB_);
    assert_true(dt_has(&p, "ipv6.wrong_ip_version"));
    vg_decoder_free(d);
}

static void test_ext_chain(void **st)
{
    (void)st;
    vg_decoder_t *d = dt_new(true);
    /* hop-by-hop (router alert + PadN) -> routing type 2 -> dst opts (home address) -> UDP */
    uint8_t ext[64] = {
        43, 0, 0x05, 2, 0, 0, 1, 0,          /* HBH: RA, PadN(0 data) */
        60, 2, 2, 1, 0, 0, 0, 0,             /* RH type 2, 24 bytes */
        0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0,
        17, 2, 0xC9, 16,                     /* DST: home address (16 bytes) + PadN 2 */
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        1, 2, 0, 0,
    };
    uint8_t b[256];
    size_t n = build(b, 0, ext, 56);
    vg_packet_t p;
    dt_decode(d, &p, b, n, DLT_RAW_);
    assert_int_equal(p.proto, 17);
    assert_int_equal(p.dp, 2000);
    assert_ptr_equal(p.l4, b + 96);
    assert_true(dt_has(&p, "ipv6.zero_len_padn"));
    assert_false(p.flags & VG_PKT_INVALID);
    assert_false(p.flags & VG_PKT_L4_CSUM_BAD);
    vg_decoder_free(d);
}

static void test_ext_anomalies(void **st)
{
    (void)st;
    vg_decoder_t *d = dt_new(true);
    uint8_t b[256];
    vg_packet_t p;

    const uint8_t rh0[8] = {17, 0, 0, 0, 0, 0, 0, 0};
    size_t n = build(b, 43, rh0, 8);
    dt_decode(d, &p, b, n, DLT_RAW_);
    assert_true(dt_has(&p, "ipv6.rh_type_0"));
    assert_int_equal(p.dp, 2000);

    const uint8_t two_hbh[16] = {0, 0, 1, 4, 0, 0, 0, 0, 17, 0, 1, 4, 0, 0, 0, 0};
    n = build(b, 0, two_hbh, 16);
    dt_decode(d, &p, b, n, DLT_RAW_);
    assert_true(dt_has(&p, "ipv6.exthdr_dupl_hh"));
    assert_true(dt_has(&p, "ipv6.hopopts_only_padding"));

    const uint8_t unk[8] = {17, 0, 0x3E, 2, 0, 0, 1, 0};
    n = build(b, 60, unk, 8);
    dt_decode(d, &p, b, n, DLT_RAW_);
    assert_true(dt_has(&p, "ipv6.dstopts_unknown_opt"));
    n = build(b, 0, unk, 8);
    dt_decode(d, &p, b, n, DLT_RAW_);
    assert_true(dt_has(&p, "ipv6.hopopts_unknown_opt"));

    const uint8_t badopt[8] = {17, 0, 0x05, 9, 0, 0, 0, 0};
    n = build(b, 0, badopt, 8);
    dt_decode(d, &p, b, n, DLT_RAW_);
    assert_true(dt_has(&p, "ipv6.exthdr_invalid_optlen"));
    assert_true(p.flags & VG_PKT_INVALID);

    const uint8_t longhdr[8] = {17, 4, 0, 0, 0, 0, 0, 0}; /* claims 40 bytes */
    n = build(b, 60, longhdr, 8);
    dt_decode(d, &p, b, n, DLT_RAW_);
    assert_true(dt_has(&p, "ipv6.trunc_exthdr"));
    assert_true(p.flags & VG_PKT_INVALID);
    assert_int_equal(p.ip_ver, 6);

    const uint8_t ah[16] = {17, 2, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0};
    n = build(b, 51, ah, 16);
    dt_decode(d, &p, b, n, DLT_RAW_);
    assert_true(dt_has(&p, "ipv6.exthdr_ah_res_not_null"));
    assert_int_equal(p.dp, 2000);

    const uint8_t atomic[8] = {17, 0, 0, 0, 0, 0, 0, 9};
    n = build(b, 44, atomic, 8);
    assert_int_equal(dt_decode(d, &p, b, n, DLT_RAW_), VG_DECODE_OK);
    assert_true(dt_has(&p, "ipv6.exthdr_useless_fh"));
    assert_int_equal(p.dp, 2000);
    assert_false(p.flags & VG_PKT_FRAGMENT);

    const uint8_t fh_res[8] = {17, 1, 0, 0, 0, 0, 0, 9};
    n = build(b, 44, fh_res, 8);
    dt_decode(d, &p, b, n, DLT_RAW_);
    assert_true(dt_has(&p, "ipv6.fh_non_zero_reserved_field"));

    const uint8_t unknown_nh[8] = {17, 0, 1, 4, 0, 0, 0, 0};
    n = build(b, 0, unknown_nh, 8);
    b[40] = 253; /* experimental protocol number after HBH */
    dt_decode(d, &p, b, n, DLT_RAW_);
    assert_true(dt_has(&p, "ipv6.unknown_next_header"));
    assert_int_equal(p.proto, 253);
    vg_decoder_free(d);
}

static void test_none_esp_icmpv4(void **st)
{
    (void)st;
    vg_decoder_t *d = dt_new(true);
    uint8_t b[256], pl[16] = {0};
    vg_packet_t p;
    size_t n = dt_ipv6(b, "::1", "::2", 59, pl, 0);
    dt_decode(d, &p, b, n, DLT_RAW_);
    assert_int_equal(p.n_events, 0);
    assert_int_equal(p.proto, 59);
    n = dt_ipv6(b, "::1", "::2", 59, pl, 8);
    dt_decode(d, &p, b, n, DLT_RAW_);
    assert_true(dt_has(&p, "ipv6.data_after_none_header"));
    n = dt_ipv6(b, "::1", "::2", 50, pl, 16);
    dt_decode(d, &p, b, n, DLT_RAW_);
    assert_int_equal(p.proto, 50);
    assert_int_equal(p.n_events, 0);
    assert_int_equal(p.l4_len, 16);
    n = dt_ipv6(b, "::1", "::2", 1, pl, 8);
    dt_decode(d, &p, b, n, DLT_RAW_);
    assert_true(dt_has(&p, "ipv6.icmpv4"));
    vg_decoder_free(d);
}

static void test_all_truncations(void **st)
{
    (void)st;
    vg_decoder_t *d = dt_new(true);
    const uint8_t ext[24] = {60, 0, 0x05, 2, 0, 0, 1, 0, 44, 0, 1, 0, 0, 0, 0, 0,
                             17, 0, 0, 0, 0, 0, 0, 9};
    uint8_t b[256];
    size_t n = build(b, 0, ext, 24);
    for (size_t k = 0; k <= n; k++) {
        uint8_t *copy = malloc(k ? k : 1);
        memcpy(copy, b, k);
        vg_packet_t p;
        dt_decode(d, &p, copy, k, DLT_RAW_);
        if (k < n)
            assert_true(p.flags & VG_PKT_INVALID);
        else
            assert_int_equal(p.dp, 2000);
        free(copy);
    }
    vg_decoder_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_basic),
        cmocka_unit_test(test_header_errors),
        cmocka_unit_test(test_ext_chain),
        cmocka_unit_test(test_ext_anomalies),
        cmocka_unit_test(test_none_esp_icmpv4),
        cmocka_unit_test(test_all_truncations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
