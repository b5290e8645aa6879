/* Tests for decode_tunnel.c: GRE, VXLAN, IP-in-IP, layer limit. */
#include "dtest.h"

/* Inner IPv4/UDP packet 10.9.9.1:1111 -> 10.9.9.2:2222. */
static size_t inner4(uint8_t *b)
{
    uint8_t udp[32];
    size_t ul = dt_udp(udp, 1111, 2222, "in", 2);
    size_t n = dt_ipv4(b, 20, "10.9.9.1", "10.9.9.2", 17, 5, 0, udp, ul);
    dt_l4_csum(b, 4, b + 20, ul, 17, 6);
    return n;
}

static size_t inner6(uint8_t *b)
{
    uint8_t udp[32];
    size_t ul = dt_udp(udp, 1111, 2222, "in", 2);
    size_t n = dt_ipv6(b, "2001:db8::9", "2001:db8::a", 17, udp, ul);
    dt_l4_csum(b, 6, b + 40, ul, 17, 6);
    return n;
}

/* Outer IPv4 (1.1.1.1 -> 2.2.2.2) carrying proto with payload pl. */
static size_t outer4(uint8_t *b, uint8_t proto, const uint8_t *pl, size_t n)
{
    return dt_ipv4(b, 20, "1.1.1.1", "2.2.2.2", proto, 77, 0, pl, n);
}

static void check_inner(const vg_packet_t *p)
{
    assert_true(p->flags & VG_PKT_TUNNELLED);
    assert_false(p->flags & VG_PKT_INVALID);
    assert_int_equal(p->sp, 1111);
    assert_int_equal(p->dp, 2222);
    assert_int_equal(p->proto, 17);
    assert_int_equal(p->payload_len, 2);
}

static void test_gre_ipv4_ipv6(void **st)
{
    (void)st;
    vg_decoder_t *d = dt_new(true);
    uint8_t g[256], b[300];
    vg_packet_t p;
    /* plain GRE with IPv4 */
    memset(g, 0, 4);
    dt_put16(g + 2, 0x0800);
    size_t n = outer4(b, 47, g, 4 + inner4(g + 4));
    dt_decode(d, &p, b, n, DLT_RAW_);
    check_inner(&p);
    assert_int_equal(p.ip_ver, 4);
    assert_int_equal(p.src.b[0], 10);
    assert_ptr_equal(p.l3, b + 24);
    /* checksum + key + sequence, IPv6 inside */
    memset(g, 0, 16);
    g[0] = 0x80 | 0x20 | 0x10;
    dt_put16(g + 2, 0x86DD);
    n = outer4(b, 47, g, 16 + inner6(g + 16));
    dt_decode(d, &p, b, n, DLT_RAW_);
    check_inner(&p);
    assert_int_equal(p.ip_ver, 6);
    assert_int_equal(dt_stat(d, "decoder.gre"), 2);
    vg_decoder_free(d);
}

static void test_gre_teb_and_routing(void **st)
{
    (void)st;
    vg_decoder_t *d = dt_new(true);
    uint8_t g[256], b[300];
    vg_packet_t p;
    memset(g, 0, 4);
    dt_put16(g + 2, 0x6558);
    size_t e = dt_eth(g + 4, 0x0800);
    size_t n = outer4(b, 47, g, 4 + e + inner4(g + 4 + e));
    dt_decode(d, &p, b, n, DLT_RAW_);
    check_inner(&p);
    assert_int_equal(dt_stat(d, "decoder.ethernet"), 1);
    /* RFC 1701 routing: checksum/offset, one SRE of 4 bytes, then the terminator */
    memset(g, 0, 32);
    g[0] = 0x40;
    dt_put16(g + 2, 0x0800);
    dt_put16(g + 8, 0x0800);
    g[11] = 4;
    n = outer4(b, 47, g, 20 + inner4(g + 20));
    dt_decode(d, &p, b, n, DLT_RAW_);
    check_inner(&p);
    /* SRE running off the end */
    g[11] = 200;
    n = outer4(b, 47, g, 20 + inner4(g + 20));
    dt_decode(d, &p, b, n, DLT_RAW_);
    assert_true(dt_has(&p, "gre.version0_malformed_sre_hdr"));
    assert_false(p.flags & VG_PKT_TUNNELLED);
    vg_decoder_free(d);
}

static void test_gre_anomalies(void **st)
{
    (void)st;
    vg_decoder_t *d = dt_new(true);
    uint8_t g[64] = {0}, b[128];
    vg_packet_t p;
    size_t n = outer4(b, 47, g, 3);
    dt_decode(d, &p, b, n, DLT_RAW_);
    assert_true(dt_has(&p, "gre.pkt_too_small"));
    assert_true(p.flags & VG_PKT_INVALID);
    assert_int_equal(p.proto, 47);
    assert_int_equal(p.src.b[0], 1); /* outer addresses stay */

    struct { uint8_t b0, b1; const char *ev; size_t len; } cases[] = {
        {0x01, 0x00, "gre.version0_recur", 24},
        {0x00, 0x08, "gre.version0_flags", 24},
        {0x30, 0x00, "gre.version0_hdr_too_big", 8},
        {0x00, 0x02, "gre.wrong_version", 24},
        {0x80, 0x01, "gre.version1_chksum", 24},
        {0x00, 0x01, "gre.version1_no_key", 24},
        {0x20, 0x01, "gre.version1_wrong_protocol", 24},
    };
    for (unsigned i = 0; i < VG_ARRAY_LEN(cases); i++) {
        memset(g, 0, sizeof g);
        g[0] = cases[i].b0;
        g[1] = cases[i].b1;
        dt_put16(g + 2, 0x0800);
        n = outer4(b, 47, g, cases[i].len);
        dt_decode(d, &p, b, n, DLT_RAW_);
        assert_true(dt_has(&p, cases[i].ev));
    }
    /* valid PPTP header (key, sequence, acknowledgement) without payload: no event */
    memset(g, 0, sizeof g);
    g[0] = 0x30;
    g[1] = 0x81;
    dt_put16(g + 2, 0x880B);
    n = outer4(b, 47, g, 16);
    dt_decode(d, &p, b, n, DLT_RAW_);
    assert_int_equal(p.n_events, 0);
    /* ... with a payload that is no PPP frame */
    n = outer4(b, 47, g, 24);
    dt_decode(d, &p, b, n, DLT_RAW_);
    assert_true(dt_has(&p, "ppp.wrong_type"));
    vg_decoder_free(d);
}

/* PPP inside GRE: PPTP (version 1, PPP with address/control) and version 0 with protocol
 * 0x880B (compressed PPP protocol field) */
static void test_gre_ppp(void **st)
{
    (void)st;
    vg_decoder_t *d = dt_new(true);
    uint8_t g[256], b[300];
    vg_packet_t p;
    memset(g, 0, 20);
    g[0] = 0x30; /* key, sequence */
    g[1] = 0x01; /* version 1 */
    dt_put16(g + 2, 0x880B);
    const uint8_t ppp[] = {0xFF, 0x03, 0x00, 0x21};
    memcpy(g + 12, ppp, 4);
    size_t n = outer4(b, 47, g, 16 + inner4(g + 16));
    dt_decode(d, &p, b, n, DLT_RAW_);
    check_inner(&p);
    assert_int_equal(p.ip_ver, 4);
    assert_ptr_equal(p.l3, b + 20 + 16);
    memset(g, 0, 8);
    dt_put16(g + 2, 0x880B);
    g[4] = 0x57; /* IPv6, compressed */
    n = outer4(b, 47, g, 5 + inner6(g + 5));
    dt_decode(d, &p, b, n, DLT_RAW_);
    check_inner(&p);
    assert_int_equal(p.ip_ver, 6);
    assert_int_equal(dt_stat(d, "decoder.ppp"), 2);
    vg_decoder_free(d);
}

static size_t vxlan_pkt(uint8_t *b, uint8_t flags, uint16_t inner_type)
{
    uint8_t v[256] = {flags, 0, 0, 0, 0, 0, 0x2A, 0};
    size_t e = dt_eth(v + 8, inner_type);
    size_t in = inner4(v + 8 + e);
    uint8_t udp[300];
    size_t ul = dt_udp(udp, 40000, 4789, v, 8 + e + in);
    size_t n = dt_ipv4(b, 20, "1.1.1.1", "2.2.2.2", 17, 1, 0, udp, ul);
    return n;
}

static void test_vxlan(void **st)
{
    (void)st;
    vg_decoder_t *d = dt_new(true);
    uint8_t b[400];
    vg_packet_t p;
    size_t n = vxlan_pkt(b, 0x08, 0x0800);
    dt_decode(d, &p, b, n, DLT_RAW_);
    check_inner(&p);
    assert_int_equal(p.src.b[0], 10);
    assert_int_equal(dt_stat(d, "decoder.vxlan"), 1);
    assert_int_equal(dt_stat(d, "decoder.udp"), 2);
    /* the tunnel's own UDP flow starts at the outer IP header; the inner flow counts from the
     * inner IP header on, as Suricata's VXLAN pseudo packet (no inner Ethernet) */
    assert_int_equal(p.tun_l3, 1);
    assert_int_equal(p.tun_n_vlan, 0);
    assert_ptr_equal(p.data + p.tun_in - 1, p.l3);
    assert_int_equal(vg_pkt_flow_len(&p), p.l3_len);
    /* I flag clear: plain UDP on 4789 */
    n = vxlan_pkt(b, 0x00, 0x0800);
    dt_decode(d, &p, b, n, DLT_RAW_);
    assert_false(p.flags & VG_PKT_TUNNELLED);
    assert_int_equal(p.dp, 4789);
    assert_int_equal(p.tun_l3, 0);
    assert_int_equal(vg_pkt_flow_len(&p), p.caplen);
    /* unknown inner EtherType */
    n = vxlan_pkt(b, 0x08, 0x88CC);
    dt_decode(d, &p, b, n, DLT_RAW_);
    assert_true(dt_has(&p, "vxlan.unknown_payload_type"));
    assert_int_equal(p.dp, 4789);
    vg_decoder_free(d);
}

/* Geneve header (version 0, protocol type), the options given, then an inner IPv4 packet (behind
 * an Ethernet header when type is 0x6558), in UDP to dport. */
static size_t geneve_pkt(uint8_t *b, uint8_t ver_optlen, uint16_t type, const uint8_t *opts,
                         size_t n_opts, uint16_t dport)
{
    uint8_t g[300] = {ver_optlen, 0, (uint8_t)(type >> 8), (uint8_t)type, 0, 0, 0x2A, 0};
    if (n_opts)
        memcpy(g + 8, opts, n_opts);
    size_t o = 8 + n_opts;
    if (type == 0x6558)
        o += dt_eth(g + o, 0x0800);
    o += inner4(g + o);
    uint8_t udp[400];
    size_t ul = dt_udp(udp, 40000, dport, g, o);
    return dt_ipv4(b, 20, "1.1.1.1", "2.2.2.2", 17, 1, 0, udp, ul);
}

static void test_geneve(void **st)
{
    (void)st;
    vg_decoder_t *d = dt_new(true);
    uint8_t b[500];
    vg_packet_t p;
    /* inner Ethernet, no options */
    size_t n = geneve_pkt(b, 0x00, 0x6558, NULL, 0, 6081);
    dt_decode(d, &p, b, n, DLT_RAW_);
    check_inner(&p);
    assert_int_equal(p.tunnel, VG_TUN_GENEVE);
    assert_int_equal(p.tun_l3, 1);
    assert_int_equal(vg_pkt_flow_len(&p), 14 + p.l3_len); /* the inner Ethernet counts here */
    assert_int_equal(dt_stat(d, "decoder.geneve"), 1);
    assert_int_equal(dt_stat(d, "decoder.udp"), 2);
    /* inner IPv4 without Ethernet, behind two options (4 + 8 bytes: optlen 3 words) */
    const uint8_t opts[12] = {0x01, 0x02, 0x80, 0x00, 0x01, 0x03, 0x01, 0x01, 1, 2, 3, 4};
    n = geneve_pkt(b, 0x03, 0x0800, opts, sizeof opts, 6081);
    dt_decode(d, &p, b, n, DLT_RAW_);
    check_inner(&p);
    assert_int_equal(dt_stat(d, "decoder.geneve"), 2);
    /* options that overrun their space (the second claims 8 bytes of data, 4 are left): UDP */
    uint8_t bad[12];
    memcpy(bad, opts, sizeof bad);
    bad[7] = 0x02;
    n = geneve_pkt(b, 0x03, 0x0800, bad, sizeof bad, 6081);
    dt_decode(d, &p, b, n, DLT_RAW_);
    assert_false(p.flags & VG_PKT_TUNNELLED);
    assert_int_equal(p.dp, 6081);
    /* version 1, or another port: plain UDP */
    n = geneve_pkt(b, 0x40, 0x6558, NULL, 0, 6081);
    dt_decode(d, &p, b, n, DLT_RAW_);
    assert_false(p.flags & VG_PKT_TUNNELLED);
    n = geneve_pkt(b, 0x00, 0x6558, NULL, 0, 6082);
    dt_decode(d, &p, b, n, DLT_RAW_);
    assert_false(p.flags & VG_PKT_TUNNELLED);
    assert_int_equal(dt_stat(d, "decoder.geneve"), 2);
    /* an unknown protocol type: counted as Geneve, the event, the packet stays UDP */
    n = geneve_pkt(b, 0x00, 0x88CC, NULL, 0, 6081);
    dt_decode(d, &p, b, n, DLT_RAW_);
    assert_true(dt_has(&p, "geneve.unknown_payload_type"));
    assert_false(p.flags & VG_PKT_TUNNELLED);
    assert_int_equal(p.dp, 6081);
    vg_decoder_free(d);
}

/* An inner IPv6 packet after pre[0..npre) (an origin or authentication indication) in UDP
 * sport -> dport; cut: bytes taken off the end (a length that no longer fills the datagram). */
static size_t teredo_pkt(uint8_t *b, const uint8_t *pre, size_t npre, uint16_t sport,
                         uint16_t dport, size_t cut)
{
    uint8_t t[300];
    if (npre)
        memcpy(t, pre, npre);
    size_t n = npre + inner6(t + npre) - cut;
    uint8_t udp[400];
    size_t ul = dt_udp(udp, sport, dport, t, n);
    return dt_ipv4(b, 20, "1.1.1.1", "2.2.2.2", 17, 1, 0, udp, ul);
}

static void test_teredo(void **st)
{
    (void)st;
    vg_decoder_t *d = dt_new(true);
    uint8_t b[500];
    vg_packet_t p;
    /* bare IPv6, to the Teredo port and from it */
    size_t n = teredo_pkt(b, NULL, 0, 40000, 3544, 0);
    dt_decode(d, &p, b, n, DLT_RAW_);
    check_inner(&p);
    assert_int_equal(p.ip_ver, 6);
    assert_int_equal(p.tunnel, VG_TUN_TEREDO);
    n = teredo_pkt(b, NULL, 0, 3544, 40000, 0);
    dt_decode(d, &p, b, n, DLT_RAW_);
    check_inner(&p);
    /* behind an origin indication */
    const uint8_t origin[8] = {0, 0, 0x12, 0x34, 1, 2, 3, 4};
    n = teredo_pkt(b, origin, sizeof origin, 40000, 3544, 0);
    dt_decode(d, &p, b, n, DLT_RAW_);
    check_inner(&p);
    assert_int_equal(dt_stat(d, "decoder.teredo"), 3);
    /* not Teredo: an authentication indication, an IPv6 length that does not fill the
     * datagram, another port */
    const uint8_t auth[8] = {0, 1, 0, 0, 0, 0, 0, 0};
    n = teredo_pkt(b, auth, sizeof auth, 40000, 3544, 0);
    dt_decode(d, &p, b, n, DLT_RAW_);
    assert_false(p.flags & VG_PKT_TUNNELLED);
    assert_int_equal(p.dp, 3544);
    n = teredo_pkt(b, NULL, 0, 40000, 3544, 1);
    dt_decode(d, &p, b, n, DLT_RAW_);
    assert_false(p.flags & VG_PKT_TUNNELLED);
    n = teredo_pkt(b, NULL, 0, 40000, 3545, 0);
    dt_decode(d, &p, b, n, DLT_RAW_);
    assert_false(p.flags & VG_PKT_TUNNELLED);
    assert_int_equal(dt_stat(d, "decoder.teredo"), 3);
    vg_decoder_free(d);
}

static void test_ip_in_ip(void **st)
{
    (void)st;
    vg_decoder_t *d = dt_new(true);
    uint8_t in[128], b[256];
    vg_packet_t p;
    size_t n = outer4(b, 4, in, inner4(in));
    dt_decode(d, &p, b, n, DLT_RAW_);
    check_inner(&p);
    n = outer4(b, 41, in, inner6(in));
    dt_decode(d, &p, b, n, DLT_RAW_);
    check_inner(&p);
    assert_int_equal(p.ip_ver, 6);

    n = dt_ipv6(b, "::1", "::2", 4, in, inner4(in));
    dt_decode(d, &p, b, n, DLT_RAW_);
    check_inner(&p);
    assert_int_equal(p.ip_ver, 4);
    n = dt_ipv6(b, "::1", "::2", 41, in, inner6(in));
    dt_decode(d, &p, b, n, DLT_RAW_);
    check_inner(&p);
    assert_int_equal(dt_stat(d, "decoder.ipv4_in_ipv6"), 1);
    assert_int_equal(dt_stat(d, "decoder.ipv6_in_ipv6"), 1);

    n = dt_ipv6(b, "::1", "::2", 4, in, 10);
    dt_decode(d, &p, b, n, DLT_RAW_);
    assert_true(dt_has(&p, "ipv6.ipv4_in_ipv6_too_small"));
    inner6(in);
    n = dt_ipv6(b, "::1", "::2", 4, in, 40);
    dt_decode(d, &p, b, n, DLT_RAW_);
    assert_true(dt_has(&p, "ipv6.ipv4_in_ipv6_wrong_version"));
    n = dt_ipv6(b, "::1", "::2", 41, in, 20);
    dt_decode(d, &p, b, n, DLT_RAW_);
    assert_true(dt_has(&p, "ipv6.ipv6_in_ipv6_too_small"));
    inner4(in);
    n = dt_ipv6(b, "::1", "::2", 41, in, 40);
    dt_decode(d, &p, b, n, DLT_RAW_);
    assert_true(dt_has(&p, "ipv6.ipv6_in_ipv6_wrong_version"));
    assert_false(p.flags & VG_PKT_TUNNELLED);
    assert_int_equal(p.ip_ver, 6);
    vg_decoder_free(d);
}

static void test_too_many_layers(void **st)
{
    (void)st;
    vg_decoder_t *d = dt_new(true);
    /* 20 nested IPv4-in-IPv4 headers around a UDP packet, built inside out */
    static uint8_t b[2][2048];
    size_t n = inner4(b[0]);
    int cur = 0;
    for (int i = 0; i < 20; i++) {
        n = outer4(b[!cur], 4, b[cur], n);
        cur = !cur;
    }
    vg_packet_t p;
    dt_decode(d, &p, b[cur], n, DLT_RAW_);
    assert_true(dt_has(&p, "too_many_layers"));
    assert_true(p.flags & VG_PKT_INVALID);
    assert_int_equal(p.sp, 0);
    vg_decoder_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gre_ipv4_ipv6),
        cmocka_unit_test(test_gre_teb_and_routing),
        cmocka_unit_test(test_gre_anomalies),
        cmocka_unit_test(test_gre_ppp),
        cmocka_unit_test(test_vxlan),
        cmocka_unit_test(test_geneve),
        cmocka_unit_test(test_teredo),
        cmocka_unit_test(test_ip_in_ip),
        cmocka_unit_test(test_too_many_layers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
