/* Tests for decode_eth.c and the link-type dispatch / worker hash in decode.c. */
#include "dtest.h"

static size_t tcp_pkt(uint8_t *out, const char *s, const char *dd, uint16_t vlan, int no_eth)
{
    pkt_spec_t sp = {.src = s, .dst = dd, .sp = 1234, .dp = 80, .proto = 6, .tcp_flags = 0x02,
                     .seq = 7, .vlan = vlan, .no_eth = no_eth};
    return pkt_build(&sp, out, 2048);
}

static void test_ethernet_ipv4_tcp(void **st)
{
    (void)st;
    vg_decoder_t *d = dt_new(true);
    uint8_t b[2048];
    size_t n = tcp_pkt(b, "10.0.0.1", "10.0.0.2", 0, 0);
    vg_packet_t p;
    assert_int_equal(dt_decode(d, &p, b, n, DLT_EN10MB_), VG_DECODE_OK);
    assert_int_equal(p.ip_ver, 4);
    assert_int_equal(p.proto, 6);
    assert_int_equal(p.sp, 1234);
    assert_int_equal(p.dp, 80);
    assert_int_equal(p.n_events, 0);
    assert_int_equal(DT_FLAGS(p), 0);
    assert_ptr_equal(p.l3, b + 14);
    assert_ptr_equal(p.l4, b + 34);
    assert_int_equal(p.l3_len, 40);
    assert_int_equal(p.n_vlan, 0);
    assert_int_equal(p.src.b[0], 10);
    assert_int_equal(p.src.b[3], 1);
    assert_int_equal(p.src.b[4], 0);
    assert_int_equal(dt_stat(d, "decoder.ethernet"), 1);
    assert_int_equal(dt_stat(d, "decoder.ipv4"), 1);
    assert_int_equal(dt_stat(d, "decoder.tcp"), 1);
    assert_int_equal(dt_stat(d, "decoder.pkts"), 1);
    assert_int_equal(dt_stat(d, "decoder.bytes"), n);
    assert_int_equal(dt_stat(d, "decoder.max_pkt_size"), n);
    vg_decoder_free(d);
}

static void test_ethernet_padding_trimmed(void **st)
{
    (void)st;
    vg_decoder_t *d = dt_new(true);
    uint8_t b[2048];
    pkt_spec_t sp = {.src = "10.0.0.1", .dst = "10.0.0.2", .sp = 1, .dp = 2, .proto = 17};
    size_t n = pkt_build(&sp, b, sizeof b);
    memset(b + n, 0xAA, 18); /* Ethernet minimum-frame padding */
    vg_packet_t p;
    dt_decode(d, &p, b, n + 18, DLT_EN10MB_);
    assert_int_equal(p.n_events, 0);
    assert_int_equal(p.l3_len, 28);
    assert_int_equal(p.payload_len, 0);
    assert_int_equal(DT_FLAGS(p), 0);
    vg_decoder_free(d);
}

static void test_ethernet_too_small(void **st)
{
    (void)st;
    vg_decoder_t *d = dt_new(true);
    uint8_t b[13] = {0};
    vg_packet_t p;
    for (size_t n = 0; n < 14; n++) {
        dt_decode(d, &p, b, n, DLT_EN10MB_);
        assert_true(dt_has(&p, "ethernet.pkt_too_small"));
        assert_true(p.flags & VG_PKT_INVALID);
        assert_int_equal(p.ip_ver, 0);
    }
    assert_int_equal(dt_stat(d, "decoder.event.ethernet.pkt_too_small"), 14);
    assert_int_equal(dt_stat(d, "decoder.invalid"), 14);
    vg_decoder_free(d);
}

static void test_vlan_single(void **st)
{
    (void)st;
    vg_decoder_t *d = dt_new(true);
    uint8_t b[2048];
    size_t n = tcp_pkt(b, "10.0.0.1", "10.0.0.2", 0x2123, 0); /* PCP bits above the id */
    vg_packet_t p;
    dt_decode(d, &p, b, n, DLT_EN10MB_);
    assert_int_equal(p.n_vlan, 1);
    assert_int_equal(p.vlan[0], 0x123);
    assert_int_equal(p.proto, 6);
    assert_int_equal(p.n_events, 0);
    assert_int_equal(dt_stat(d, "decoder.vlan"), 1);
    assert_int_equal(dt_stat(d, "decoder.vlan_qinq"), 0);
    vg_decoder_free(d);
}

/* Ethernet + tags (outer first) + IPv4/TCP from pkt_build. */
static size_t qinq_pkt(uint8_t *b, const uint16_t *types, const uint16_t *ids, int n_tags)
{
    uint8_t ip[256];
    size_t iplen = tcp_pkt(ip, "10.0.0.1", "10.0.0.2", 0, 1);
    size_t n = 12;
    memset(b, 0, 12);
    for (int i = 0; i < n_tags; i++) {
        dt_put16(b + n, types[i]);
        dt_put16(b + n + 2, ids[i]);
        n += 4;
    }
    dt_put16(b + n, 0x0800);
    n += 2;
    memcpy(b + n, ip, iplen);
    return n + iplen;
}

static void test_vlan_qinq(void **st)
{
    (void)st;
    static const uint16_t outer[] = {0x88A8, 0x9100};
    for (int k = 0; k < 2; k++) {
        vg_decoder_t *d = dt_new(true);
        uint8_t b[512];
        uint16_t types[2] = {outer[k], 0x8100}, ids[2] = {100, 200};
        size_t n = qinq_pkt(b, types, ids, 2);
        vg_packet_t p;
        dt_decode(d, &p, b, n, DLT_EN10MB_);
        assert_int_equal(p.n_vlan, 2);
        assert_int_equal(p.vlan[0], 100);
        assert_int_equal(p.vlan[1], 200);
        assert_int_equal(p.proto, 6);
        assert_int_equal(p.n_events, 0);
        assert_int_equal(dt_stat(d, "decoder.vlan"), 1);
        assert_int_equal(dt_stat(d, "decoder.vlan_qinq"), 1);
        vg_decoder_free(d);
    }
}

static void test_vlan_too_many(void **st)
{
    (void)st;
    vg_decoder_t *d = dt_new(true);
    uint8_t b[512];
    uint16_t types[3] = {0x88A8, 0x8100, 0x8100}, ids[3] = {1, 2, 3};
    size_t n = qinq_pkt(b, types, ids, 3);
    vg_packet_t p;
    dt_decode(d, &p, b, n, DLT_EN10MB_);
    assert_true(dt_has(&p, "vlan.too_many_layers"));
    assert_true(p.flags & VG_PKT_INVALID);
    assert_int_equal(p.n_vlan, 2);
    assert_int_equal(p.ip_ver, 0);
    vg_decoder_free(d);
}

static void test_vlan_truncated_and_unknown(void **st)
{
    (void)st;
    vg_decoder_t *d = dt_new(true);
    uint8_t b[64] = {0};
    dt_put16(b + 12, 0x8100);
    vg_packet_t p;
    dt_decode(d, &p, b, 16, DLT_EN10MB_);
    assert_true(dt_has(&p, "vlan.header_too_small"));
    assert_true(p.flags & VG_PKT_INVALID);

    dt_put16(b + 14, 5);
    dt_put16(b + 16, 0x1234);
    dt_decode(d, &p, b, 40, DLT_EN10MB_);
    assert_true(dt_has(&p, "vlan.unknown_type"));
    assert_int_equal(dt_stat(d, "decoder.unknown_ethertype"), 1);

    /* ARP behind a tag is fine, and so is an 802.3 length field */
    dt_put16(b + 16, 0x0806);
    dt_decode(d, &p, b, 40, DLT_EN10MB_);
    assert_int_equal(p.n_events, 0);
    dt_put16(b + 12, 0x0040);
    dt_decode(d, &p, b, 40, DLT_EN10MB_);
    assert_int_equal(p.n_events, 0);
    vg_decoder_free(d);
}

static void test_raw_link_types(void **st)
{
    (void)st;
    vg_decoder_t *d = dt_new(true);
    uint8_t b4[256], b6[256];
    size_t n4 = tcp_pkt(b4, "10.0.0.1", "10.0.0.2", 0, 1);
    size_t n6 = tcp_pkt(b6, "2001:db8::1", "2001:db8::2", 0, 1);
    vg_packet_t p;
    const int raws[] = {DLT_RAW_, DLT_RAW101_, 14};
    for (unsigned i = 0; i < 3; i++) {
        dt_decode(d, &p, b4, n4, raws[i]);
        assert_int_equal(p.ip_ver, 4);
        assert_int_equal(p.proto, 6);
        dt_decode(d, &p, b6, n6, raws[i]);
        assert_int_equal(p.ip_ver, 6);
        assert_int_equal(p.dp, 80);
    }
    dt_decode(d, &p, b4, n4, DLT_IPV4_);
    assert_int_equal(p.ip_ver, 4);
    dt_decode(d, &p, b6, n6, DLT_IPV6_);
    assert_int_equal(p.ip_ver, 6);
    dt_decode(d, &p, b6, n6, DLT_IPV4_);
    assert_true(dt_has(&p, "ipraw.invalid_ip_version"));
    assert_int_equal(p.ip_ver, 0);
    uint8_t junk[4] = {0x55, 0, 0, 0};
    dt_decode(d, &p, junk, 4, DLT_RAW_);
    assert_true(dt_has(&p, "ipraw.invalid_ip_version"));
    dt_decode(d, &p, junk, 0, DLT_RAW_);
    assert_true(dt_has(&p, "ipraw.invalid_ip_version"));
    assert_int_equal(dt_stat(d, "decoder.raw"), 11);
    vg_decoder_free(d);
}

static void test_sll_and_sll2(void **st)
{
    (void)st;
    vg_decoder_t *d = dt_new(true);
    uint8_t ip[256], b[300];
    size_t n = tcp_pkt(ip, "10.0.0.1", "10.0.0.2", 0, 1);
    memset(b, 0, 16);
    dt_put16(b + 14, 0x0800);
    memcpy(b + 16, ip, n);
    vg_packet_t p;
    dt_decode(d, &p, b, 16 + n, DLT_SLL_);
    assert_int_equal(p.ip_ver, 4);
    assert_int_equal(p.dp, 80);
    dt_decode(d, &p, b, 15, DLT_SLL_);
    assert_true(dt_has(&p, "sll.pkt_too_small"));

    memset(b, 0, 20);
    dt_put16(b, 0x0800);
    memcpy(b + 20, ip, n);
    dt_decode(d, &p, b, 20 + n, DLT_SLL2_);
    assert_int_equal(p.ip_ver, 4);
    assert_int_equal(p.dp, 80);
    assert_ptr_equal(p.l3, b + 20);
    dt_decode(d, &p, b, 19, DLT_SLL2_);
    assert_true(dt_has(&p, "sll.pkt_too_small"));
    assert_int_equal(dt_stat(d, "decoder.sll"), 2);
    vg_decoder_free(d);
}

static void test_null_and_loop(void **st)
{
    (void)st;
    vg_decoder_t *d = dt_new(true);
    uint8_t ip4[256], ip6[256], b[300];
    size_t n4 = tcp_pkt(ip4, "10.0.0.1", "10.0.0.2", 0, 1);
    size_t n6 = tcp_pkt(ip6, "::1", "::1", 0, 1);
    vg_packet_t p;
    /* NULL: host order, either endianness */
    uint8_t le2[4] = {2, 0, 0, 0}, be2[4] = {0, 0, 0, 2};
    memcpy(b, le2, 4);
    memcpy(b + 4, ip4, n4);
    dt_decode(d, &p, b, 4 + n4, DLT_NULL_);
    assert_int_equal(p.ip_ver, 4);
    memcpy(b, be2, 4);
    dt_decode(d, &p, b, 4 + n4, DLT_NULL_);
    assert_int_equal(p.ip_ver, 4);
    dt_decode(d, &p, b, 4 + n4, DLT_LOOP_);
    assert_int_equal(p.ip_ver, 4);
    const uint32_t v6fams[] = {24, 28, 30};
    for (unsigned i = 0; i < 3; i++) {
        memset(b, 0, 4);
        b[0] = (uint8_t)v6fams[i];
        memcpy(b + 4, ip6, n6);
        dt_decode(d, &p, b, 4 + n6, DLT_NULL_);
        assert_int_equal(p.ip_ver, 6);
        dt_put32(b, v6fams[i]);
        dt_decode(d, &p, b, 4 + n6, DLT_LOOP_);
        assert_int_equal(p.ip_ver, 6);
        assert_int_equal(p.dp, 80);
    }
    dt_put32(b, 7);
    dt_decode(d, &p, b, 4 + n6, DLT_LOOP_);
    assert_true(dt_has(&p, "ltnull.unsupported_type"));
    assert_int_equal(p.ip_ver, 0);
    dt_decode(d, &p, b, 3, DLT_NULL_);
    assert_true(dt_has(&p, "ltnull.pkt_too_small"));
    assert_true(p.flags & VG_PKT_INVALID);
    vg_decoder_free(d);
}

static uint64_t hash_of(const uint8_t *b, size_t n, int lt);

/* PPP as a link type (with and without address/control, compressed protocol), inside PPPoE
 * session frames and inside GRE; its events; the worker hash sees through it. */
static void test_ppp_and_pppoe(void **st)
{
    (void)st;
    vg_decoder_t *d = dt_new(true);
    uint8_t ip4[256], ip6[256], b[400];
    size_t n4 = tcp_pkt(ip4, "10.0.0.1", "10.0.0.2", 0, 1);
    size_t n6 = tcp_pkt(ip6, "2001:db8::1", "2001:db8::2", 0, 1);
    vg_packet_t p;
    const uint8_t h4[] = {0xFF, 0x03, 0x00, 0x21}, h6[] = {0x00, 0x57}, hc[] = {0x21};
    memcpy(b, h4, 4);
    memcpy(b + 4, ip4, n4);
    dt_decode(d, &p, b, 4 + n4, 9);
    assert_int_equal(p.ip_ver, 4);
    assert_int_equal(p.dp, 80);
    assert_ptr_equal(p.l3, b + 4);
    assert_int_equal(p.n_events, 0);
    uint64_t h_ppp = hash_of(b, 4 + n4, 9);
    assert_int_not_equal(h_ppp, 0);
    assert_int_equal(h_ppp, hash_of(ip4, n4, DLT_RAW_));
    memcpy(b, h6, 2);
    memcpy(b + 2, ip6, n6);
    dt_decode(d, &p, b, 2 + n6, 50);
    assert_int_equal(p.ip_ver, 6);
    memcpy(b, hc, 1);
    memcpy(b + 1, ip4, n4);
    dt_decode(d, &p, b, 1 + n4, 9);
    assert_int_equal(p.ip_ver, 4);
    /* LCP: valid, not decoded; 0x0020 is no PPP protocol; one byte of header only */
    const uint8_t lcp[] = {0xFF, 0x03, 0xC0, 0x21, 0x01, 0x01, 0x00, 0x04};
    dt_decode(d, &p, lcp, sizeof lcp, 9);
    assert_true(dt_has(&p, "ppp.unsup_proto"));
    assert_false(p.flags & VG_PKT_INVALID);
    const uint8_t bad[] = {0x00, 0x20, 0x45};
    dt_decode(d, &p, bad, sizeof bad, 9);
    assert_true(dt_has(&p, "ppp.wrong_type"));
    assert_true(p.flags & VG_PKT_INVALID);
    dt_decode(d, &p, h4, 2, 9);
    assert_true(dt_has(&p, "ppp.pkt_too_small"));
    assert_int_equal(dt_stat(d, "decoder.ppp"), 6);
    /* PPPoE session in Ethernet: ver/type 0x11, code 0, session, length, PPP protocol */
    memset(b, 0, 14);
    dt_put16(b + 12, 0x8864);
    const uint8_t pe[] = {0x11, 0x00, 0x12, 0x34};
    memcpy(b + 14, pe, 4);
    dt_put16(b + 18, (uint16_t)(2 + n4));
    dt_put16(b + 20, 0x0021);
    memcpy(b + 22, ip4, n4);
    memset(b + 22 + n4, 0xAA, 6); /* Ethernet padding beyond the PPPoE length */
    dt_decode(d, &p, b, 22 + n4 + 6, DLT_EN10MB_);
    assert_int_equal(p.ip_ver, 4);
    assert_int_equal(p.l3_len, n4);
    assert_int_equal(p.n_events, 0);
    assert_int_equal(hash_of(b, 22 + n4, DLT_EN10MB_), h_ppp);
    b[15] = 0x09; /* a discovery code on the session ethertype */
    dt_decode(d, &p, b, 22 + n4, DLT_EN10MB_);
    assert_true(dt_has(&p, "pppoe.wrong_code"));
    b[15] = 0;
    dt_put16(b + 18, (uint16_t)(200 + n4)); /* longer than the frame */
    dt_decode(d, &p, b, 22 + n4, DLT_EN10MB_);
    assert_true(dt_has(&p, "pppoe.pkt_too_small"));
    dt_put16(b + 12, 0x8863); /* discovery: not decoded, no event */
    dt_decode(d, &p, b, 22 + n4, DLT_EN10MB_);
    assert_int_equal(p.ip_ver, 0);
    assert_int_equal(p.n_events, 0);
    assert_int_equal(dt_stat(d, "decoder.pppoe"), 3);
    vg_decoder_free(d);
}

static void test_unknown_linktype(void **st)
{
    (void)st;
    vg_decoder_t *d = dt_new(true);
    uint8_t b[64] = {0x45};
    vg_packet_t p;
    assert_int_equal(dt_decode(d, &p, b, sizeof b, 147), VG_DECODE_OK);
    assert_int_equal(p.ip_ver, 0);
    assert_int_equal(p.n_events, 0);
    assert_int_equal(dt_stat(d, "decoder.pkts"), 1);
    vg_decoder_free(d);
}

static void test_reset_between_packets(void **st)
{
    (void)st;
    vg_decoder_t *d = dt_new(true);
    uint8_t b[2048];
    size_t n = tcp_pkt(b, "10.0.0.1", "10.0.0.2", 7, 0);
    vg_packet_t p;
    dt_decode(d, &p, b, 10, DLT_EN10MB_);
    assert_int_equal(p.n_events, 1);
    /* decode again into the same struct without clearing it: nothing must leak */
    p.data = b;
    p.caplen = p.wirelen = (uint32_t)n;
    vg_decode_packet(d, &p);
    assert_int_equal(p.n_events, 0);
    assert_int_equal(DT_FLAGS(p), 0);
    assert_int_equal(p.n_vlan, 1);
    assert_int_equal(p.tcp_wscale, 0xFF);
    vg_decoder_free(d);
}

static uint64_t hash_of(const uint8_t *b, size_t n, int lt)
{
    vg_packet_t p;
    memset(&p, 0, sizeof p);
    p.data = b;
    p.caplen = (uint32_t)n;
    p.linktype = lt;
    return vg_decode_worker_hash(&p);
}

static void test_worker_hash(void **st)
{
    (void)st;
    uint8_t a[2048], r[2048], o[2048], v[2048], s[2048], six[2048], six_r[2048];
    size_t na = tcp_pkt(a, "10.0.0.1", "10.0.0.2", 0, 0);
    size_t nr = tcp_pkt(r, "10.0.0.2", "10.0.0.1", 0, 0);
    size_t no = tcp_pkt(o, "10.0.0.3", "10.0.0.2", 0, 0);
    size_t nv = tcp_pkt(v, "10.0.0.1", "10.0.0.2", 42, 0);
    size_t ns = tcp_pkt(s, "10.0.0.1", "10.0.0.2", 0, 1);
    size_t n6 = tcp_pkt(six, "2001:db8::1", "2001:db8::2", 0, 0);
    size_t n6r = tcp_pkt(six_r, "2001:db8::2", "2001:db8::1", 0, 0);
    uint64_t ha = hash_of(a, na, DLT_EN10MB_);
    assert_int_not_equal(ha, 0);
    assert_int_equal(ha, hash_of(r, nr, DLT_EN10MB_));
    assert_int_not_equal(ha, hash_of(o, no, DLT_EN10MB_));
    assert_int_not_equal(ha, hash_of(v, nv, DLT_EN10MB_));
    assert_int_equal(ha, hash_of(s, ns, DLT_RAW_));
    assert_int_equal(hash_of(six, n6, DLT_EN10MB_), hash_of(six_r, n6r, DLT_EN10MB_));
    assert_int_not_equal(hash_of(six, n6, DLT_EN10MB_), 0);
    /* ports don't matter (fragments carry none) */
    a[14 + 20] ^= 0x55;
    assert_int_equal(ha, hash_of(a, na, DLT_EN10MB_));
    /* non-IP and truncated: 0 */
    uint8_t arp[60] = {0};
    dt_put16(arp + 12, 0x0806);
    assert_int_equal(hash_of(arp, sizeof arp, DLT_EN10MB_), 0);
    assert_int_equal(hash_of(a, 20, DLT_EN10MB_), 0);
    assert_int_equal(hash_of(a, 0, DLT_EN10MB_), 0);
    assert_int_equal(hash_of(a, na, 9999), 0);
    /* SLL, SLL2, NULL */
    uint8_t b[2048];
    memset(b, 0, 20);
    dt_put16(b + 14, 0x0800);
    memcpy(b + 16, s, ns);
    assert_int_equal(hash_of(b, 16 + ns, DLT_SLL_), ha);
    memset(b, 0, 20);
    dt_put16(b, 0x0800);
    memcpy(b + 20, s, ns);
    assert_int_equal(hash_of(b, 20 + ns, DLT_SLL2_), ha);
    memset(b, 0, 4);
    b[0] = 2;
    memcpy(b + 4, s, ns);
    assert_int_equal(hash_of(b, 4 + ns, DLT_NULL_), ha);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ethernet_ipv4_tcp),
        cmocka_unit_test(test_ethernet_padding_trimmed),
        cmocka_unit_test(test_ethernet_too_small),
        cmocka_unit_test(test_vlan_single),
        cmocka_unit_test(test_vlan_qinq),
        cmocka_unit_test(test_vlan_too_many),
        cmocka_unit_test(test_vlan_truncated_and_unknown),
        cmocka_unit_test(test_raw_link_types),
        cmocka_unit_test(test_sll_and_sll2),
        cmocka_unit_test(test_null_and_loop),
        cmocka_unit_test(test_ppp_and_pppoe),
        cmocka_unit_test(test_unknown_linktype),
        cmocka_unit_test(test_reset_between_packets),
        cmocka_unit_test(test_worker_hash),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
