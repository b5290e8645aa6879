/* Tests for defrag.c (through vg_decode_packet): IPv4/IPv6 reassembly in and out of order,
 * duplicates and overlaps (first wins), timeouts, memcap, tracker and fragment limits. */
#include "dtest.h"

#include "decode/decode_int.h"

#define DLEN 3008 /* UDP datagram: 8-byte header + 3000 bytes */

static uint8_t dgram4[DLEN], dgram6[DLEN];

/* The UDP datagram 10.0.0.1:5000 -> 10.0.0.2:6000 (or the IPv6 pair) with a valid checksum. */
static void make_dgrams(void)
{
    static uint8_t full[DLEN + 40];
    uint8_t pl[3000];
    for (int i = 0; i < 3000; i++)
        pl[i] = (uint8_t)(i * 7 + 3);
    dt_udp(dgram4, 5000, 6000, pl, 3000);
    dt_ipv4(full, 20, "10.0.0.1", "10.0.0.2", 17, 1, 0, dgram4, DLEN);
    dt_l4_csum(full, 4, full + 20, DLEN, 17, 6);
    memcpy(dgram4, full + 20, DLEN);
    dt_udp(dgram6, 5000, 6000, pl, 3000);
    dt_ipv6(full, "2001:db8::1", "2001:db8::2", 17, dgram6, DLEN);
    dt_l4_csum(full, 6, full + 40, DLEN, 17, 6);
    memcpy(dgram6, full + 40, DLEN);
}

static size_t frag4(uint8_t *b, uint16_t id, uint16_t vlan, uint32_t off, bool mf,
                    const uint8_t *data, size_t len)
{
    size_t e = 0;
    if (vlan) {
        e = dt_eth(b, 0x8100);
        dt_put16(b + 14, vlan);
        dt_put16(b + 16, 0x0800);
        e = 18;
    } else {
        e = dt_eth(b, 0x0800);
    }
    uint16_t fo = (uint16_t)((mf ? 0x2000 : 0) | (off / 8));
    return e + dt_ipv4(b + e, 20, "10.0.0.1", "10.0.0.2", 17, id, fo, data, len);
}

static int send4(vg_decoder_t *d, vg_packet_t *p, uint8_t *b, uint16_t id, uint32_t off,
                 uint32_t len, bool mf, vg_time_t ts)
{
    size_t n = frag4(b, id, 0, off, mf, dgram4 + off, len);
    return dt_decode_ts(d, p, b, n, DLT_EN10MB_, ts);
}

static void check_done4(const vg_decoder_t *d, const vg_packet_t *p)
{
    assert_true(p->flags & VG_PKT_REASSEMBLED);
    assert_false(p->flags & VG_PKT_FRAGMENT);
    assert_false(p->flags & (VG_PKT_L4_CSUM_BAD | VG_PKT_IPV4_CSUM_BAD | VG_PKT_INVALID));
    assert_int_equal(p->ip_ver, 4);
    assert_int_equal(p->sp, 5000);
    assert_int_equal(p->dp, 6000);
    assert_int_equal(p->l3_len, 20 + DLEN);
    assert_int_equal(p->payload_len, 3000);
    assert_memory_equal(p->l4, dgram4, DLEN);
    assert_int_equal(p->caplen, 14 + 20 + DLEN);
    assert_ptr_equal(p->l3, p->data + 14);
    assert_int_equal(p->data[12], 0x08); /* the Ethernet header came along */
    assert_int_equal(p->l3[6] & 0x3F, 0);
    assert_int_equal(vg_defrag_trackers_in_use(d->defrag), 0);
    assert_int_equal(vg_defrag_bytes_in_use(d->defrag), 0);
}

static void test_v4_in_order(void **st)
{
    (void)st;
    vg_decoder_t *d = dt_new(true);
    uint8_t b[2000];
    vg_packet_t p;
    assert_int_equal(send4(d, &p, b, 7, 0, 1480, true, 1), VG_DECODE_HELD);
    assert_true(p.flags & VG_PKT_FRAGMENT);
    assert_int_equal(p.sp, 0);
    assert_int_equal(p.ip_ver, 4);
    assert_int_equal(send4(d, &p, b, 7, 1480, 1480, true, 2), VG_DECODE_HELD);
    assert_int_equal(send4(d, &p, b, 7, 2960, 48, false, 3), VG_DECODE_OK);
    check_done4(d, &p);
    assert_int_equal(p.n_events, 0);
    assert_int_equal(dt_stat(d, "defrag.ipv4.fragments"), 3);
    assert_int_equal(dt_stat(d, "defrag.ipv4.reassembled"), 1);
    vg_decoder_free(d);
}

static void test_v4_out_of_order(void **st)
{
    (void)st;
    const uint32_t offs[3] = {0, 1480, 2960}, lens[3] = {1480, 1480, 48};
    const int orders[4][3] = {{2, 1, 0}, {1, 2, 0}, {2, 0, 1}, {0, 2, 1}};
    for (int o = 0; o < 4; o++) {
        vg_decoder_t *d = dt_new(true);
        uint8_t b[2000];
        vg_packet_t p;
        int r = 0;
        for (int i = 0; i < 3; i++) {
            int k = orders[o][i];
            r = send4(d, &p, b, 9, offs[k], lens[k], k != 2, (vg_time_t)i);
            if (i < 2)
                assert_int_equal(r, VG_DECODE_HELD);
        }
        assert_int_equal(r, VG_DECODE_OK);
        check_done4(d, &p);
        vg_decoder_free(d);
    }
}

static void test_v4_duplicate(void **st)
{
    (void)st;
    vg_decoder_t *d = dt_new(true);
    uint8_t b[2000];
    vg_packet_t p;
    send4(d, &p, b, 7, 0, 1480, true, 1);
    assert_int_equal(send4(d, &p, b, 7, 0, 1480, true, 2), VG_DECODE_HELD);
    assert_true(dt_has(&p, "ipv4.frag_overlap"));
    send4(d, &p, b, 7, 1480, 1480, true, 3);
    send4(d, &p, b, 7, 2960, 48, false, 4);
    check_done4(d, &p);
    assert_int_equal(dt_stat(d, "decoder.event.ipv4.frag_overlap"), 1);
    vg_decoder_free(d);
}

/* First wins: an overlapping later fragment never replaces bytes already received, whether it
 * starts before, inside or after the earlier one. */
static void test_v4_overlap_first_wins(void **st)
{
    (void)st;
    vg_decoder_t *d = dt_new(false);
    uint8_t b[2000], x[64], y[64], z[64];
    memset(x, 'A', sizeof x);
    memset(y, 'B', sizeof y);
    memset(z, 'C', sizeof z);
    vg_packet_t p;
    /* A: [16,40); B: [8,32) (starts before A); C: [0,24) (covers B's start); D: [32,48) last */
    size_t n = frag4(b, 3, 0, 16, true, x, 24);
    assert_int_equal(dt_decode(d, &p, b, n, DLT_EN10MB_), VG_DECODE_HELD);
    n = frag4(b, 3, 0, 8, true, y, 24);
    assert_int_equal(dt_decode(d, &p, b, n, DLT_EN10MB_), VG_DECODE_HELD);
    assert_true(dt_has(&p, "ipv4.frag_overlap"));
    n = frag4(b, 3, 0, 0, true, z, 24);
    assert_int_equal(dt_decode(d, &p, b, n, DLT_EN10MB_), VG_DECODE_HELD);
    assert_true(dt_has(&p, "ipv4.frag_overlap"));
    memset(z, 'D', sizeof z);
    n = frag4(b, 3, 0, 32, false, z, 16);
    assert_int_equal(dt_decode(d, &p, b, n, DLT_EN10MB_), VG_DECODE_OK);
    assert_true(dt_has(&p, "ipv4.frag_overlap"));
    assert_true(p.flags & VG_PKT_REASSEMBLED);
    const uint8_t *data = p.l3 + 20;
    assert_int_equal(p.l3_len, 68);
    for (int i = 0; i < 48; i++) {
        char want = i < 8 ? 'C' : i < 16 ? 'B' : i < 40 ? 'A' : 'D';
        assert_int_equal(data[i], want);
    }
    /* header fixed up: total length, no MF, valid checksum */
    assert_int_equal(p.l3[2] << 8 | p.l3[3], 68);
    assert_int_equal(pkt_cksum(p.l3, 20, 0), 0);
    vg_decoder_free(d);
}

static void test_v4_conflicting_end(void **st)
{
    (void)st;
    vg_decoder_t *d = dt_new(true);
    uint8_t b[2000];
    vg_packet_t p;
    send4(d, &p, b, 7, 2960, 48, false, 1);
    /* a second "last" fragment ending elsewhere, and data past the end */
    size_t n = frag4(b, 7, 0, 2960, false, dgram4 + 2960, 40);
    dt_decode(d, &p, b, n, DLT_EN10MB_);
    assert_true(dt_has(&p, "ipv4.frag_overlap"));
    n = frag4(b, 7, 0, 3000, true, dgram4, 16);
    dt_decode(d, &p, b, n, DLT_EN10MB_);
    assert_true(dt_has(&p, "ipv4.frag_overlap"));
    send4(d, &p, b, 7, 0, 1480, true, 2);
    assert_int_equal(send4(d, &p, b, 7, 1480, 1480, true, 3), VG_DECODE_OK);
    check_done4(d, &p);
    vg_decoder_free(d);
}

static void test_v4_keys_separate(void **st)
{
    (void)st;
    vg_decoder_t *d = dt_new(true);
    uint8_t b[2000];
    vg_packet_t p;
    send4(d, &p, b, 7, 0, 1480, true, 1);
    send4(d, &p, b, 8, 1480, 1480, true, 1); /* other id */
    size_t n = frag4(b, 7, 99, 2960, false, dgram4 + 2960, 48); /* other VLAN */
    assert_int_equal(dt_decode(d, &p, b, n, DLT_EN10MB_), VG_DECODE_HELD);
    assert_int_equal(vg_defrag_trackers_in_use(d->defrag), 3);
    vg_decoder_free(d);
}

static void test_v4_timeout(void **st)
{
    (void)st;
    vg_decoder_t *d = dt_new(true);
    uint8_t b[2000];
    vg_packet_t p;
    const vg_time_t s = VG_USEC_PER_SEC;
    send4(d, &p, b, 7, 0, 1480, true, 1 * s);
    send4(d, &p, b, 8, 0, 1480, true, 30 * s);
    vg_decode_tick(d, 40 * s);
    assert_int_equal(vg_defrag_trackers_in_use(d->defrag), 2);
    vg_decode_tick(d, 61 * s);
    assert_int_equal(vg_defrag_trackers_in_use(d->defrag), 1);
    assert_int_equal(dt_stat(d, "defrag.ipv4.timeouts"), 1);
    /* a late fragment of the expired-but-not-yet-ticked datagram 8 starts over */
    send4(d, &p, b, 8, 1480, 1480, true, 100 * s);
    assert_int_equal(send4(d, &p, b, 8, 2960, 48, false, 100 * s), VG_DECODE_HELD);
    assert_int_equal(dt_stat(d, "defrag.ipv4.timeouts"), 2);
    vg_decode_tick(d, 1000 * s);
    assert_int_equal(vg_defrag_trackers_in_use(d->defrag), 0);
    assert_int_equal(vg_defrag_bytes_in_use(d->defrag), 0);
    vg_decoder_free(d);
}

static void test_memcap(void **st)
{
    (void)st;
    vg_decode_config_t cfg;
    vg_decode_config_defaults(&cfg);
    cfg.defrag_memcap = 100000; /* a few 32 KiB slabs */
    vg_decoder_t *d = vg_decoder_new(&cfg);
    uint8_t b[2000];
    vg_packet_t p;
    for (uint16_t id = 0; id < 200; id++)
        send4(d, &p, b, id, 0, 1480, true, 1);
    assert_true(dt_stat(d, "defrag.memcap_exceeded") > 0);
    assert_true(dt_has(&p, "ipv4.frag_ignored"));
    assert_false(p.flags & VG_PKT_REASSEMBLED);
    assert_true(vg_defrag_bytes_in_use(d->defrag) <= cfg.defrag_memcap);
    vg_decode_tick(d, 1000 * VG_USEC_PER_SEC);
    /* memory is reusable once released */
    send4(d, &p, b, 7, 0, 1480, true, 2000 * VG_USEC_PER_SEC);
    send4(d, &p, b, 7, 1480, 1480, true, 2000 * VG_USEC_PER_SEC);
    send4(d, &p, b, 7, 2960, 48, false, 2000 * VG_USEC_PER_SEC);
    check_done4(d, &p);
    vg_decoder_free(d);
}

static void test_max_trackers(void **st)
{
    (void)st;
    vg_decode_config_t cfg;
    vg_decode_config_defaults(&cfg);
    cfg.defrag_max_trackers = 2;
    vg_decoder_t *d = vg_decoder_new(&cfg);
    uint8_t b[2000];
    vg_packet_t p;
    send4(d, &p, b, 1, 0, 1480, true, 1);
    send4(d, &p, b, 2, 0, 1480, true, 1);
    assert_int_equal(send4(d, &p, b, 3, 0, 1480, true, 1), VG_DECODE_OK);
    assert_true(dt_has(&p, "ipv4.frag_ignored"));
    assert_true(p.flags & VG_PKT_FRAGMENT);
    assert_int_equal(dt_stat(d, "defrag.max_trackers_reached"), 1);
    vg_decoder_free(d);
}

static void test_max_frags_and_too_large(void **st)
{
    (void)st;
    vg_decoder_t *d = dt_new(true);
    uint8_t b[2000];
    vg_packet_t p;
    /* 8192 fragments of a datagram are kept; the 8193rd and later are dropped. One byte at each
     * of the 8189 offsets a datagram has, then fragments of 2 bytes that each add one more. */
    static const uint8_t two[2] = {0x41, 0x42};
    for (uint32_t i = 0; i < 8200; i++) {
        size_t n = frag4(b, 5, 0, (i % 8189) * 8, true, two, i < 8189 ? 1 : 2);
        dt_decode_ts(d, &p, b, n, DLT_EN10MB_, 1);
    }
    assert_int_equal(dt_stat(d, "defrag.max_frag_hits"), 8200 - 8192);
    assert_true(dt_has(&p, "ipv4.frag_ignored"));

    size_t n = frag4(b, 6, 0, 65528, false, dgram4, 100);
    dt_decode(d, &p, b, n, DLT_EN10MB_);
    assert_true(dt_has(&p, "ipv4.frag_pkt_too_large"));
    assert_true(p.flags & VG_PKT_INVALID);
    vg_decoder_free(d);
}

/* ---- IPv6 ---- */

static size_t frag6(uint8_t *b, uint32_t id, uint32_t off, bool mf, size_t len, bool hbh)
{
    uint8_t pl[2000];
    size_t k = 0;
    if (hbh) {
        const uint8_t h[8] = {44, 0, 1, 4, 0, 0, 0, 0};
        memcpy(pl, h, 8);
        k = 8;
    }
    pl[k] = 17;
    pl[k + 1] = 0;
    dt_put16(pl + k + 2, (uint16_t)(off | (mf ? 1 : 0)));
    dt_put32(pl + k + 4, id);
    memcpy(pl + k + 8, off + len <= DLEN ? dgram6 + off : dgram6, len);
    size_t e = dt_eth(b, 0x86DD);
    return e + dt_ipv6(b + e, "2001:db8::1", "2001:db8::2", hbh ? 0 : 44, pl, k + 8 + len);
}

static void test_v6_reassembly(void **st)
{
    (void)st;
    for (int hbh = 0; hbh < 2; hbh++) {
        vg_decoder_t *d = dt_new(true);
        uint8_t b[2000];
        vg_packet_t p;
        size_t n = frag6(b, 0x11223344, 1448, true, 1448, hbh);
        assert_int_equal(dt_decode(d, &p, b, n, DLT_EN10MB_), VG_DECODE_HELD);
        assert_int_equal(p.ip_id, 0x3344);
        n = frag6(b, 0x11223344, 2896, false, DLEN - 2896, hbh);
        assert_int_equal(dt_decode(d, &p, b, n, DLT_EN10MB_), VG_DECODE_HELD);
        n = frag6(b, 0x11223344, 0, true, 1448, hbh);
        assert_int_equal(dt_decode(d, &p, b, n, DLT_EN10MB_), VG_DECODE_OK);
        assert_true(p.flags & VG_PKT_REASSEMBLED);
        assert_false(p.flags & (VG_PKT_INVALID | VG_PKT_L4_CSUM_BAD | VG_PKT_FRAGMENT));
        assert_int_equal(p.ip_ver, 6);
        assert_int_equal(p.proto, 17);
        assert_int_equal(p.dp, 6000);
        assert_int_equal(p.payload_len, 3000);
        assert_int_equal(p.l3_len, 40 + (hbh ? 8 : 0) + DLEN);
        assert_memory_equal(p.l4, dgram6, DLEN);
        assert_int_equal(p.n_events, hbh ? 1 : 0); /* hbh: only padding */
        assert_int_equal(dt_stat(d, "defrag.ipv6.reassembled"), 1);
        assert_int_equal(dt_stat(d, "defrag.ipv6.fragments"), 3);
        vg_decoder_free(d);
    }
}

static void test_v6_anomalies(void **st)
{
    (void)st;
    vg_decoder_t *d = dt_new(true);
    uint8_t b[2000];
    vg_packet_t p;
    size_t n = frag6(b, 1, 0, true, 100, false); /* not a multiple of 8 */
    dt_decode(d, &p, b, n, DLT_EN10MB_);
    assert_true(dt_has(&p, "ipv6.frag_invalid_length"));
    assert_true(p.flags & VG_PKT_INVALID);
    n = frag6(b, 2, 0, true, 96, false);
    dt_decode(d, &p, b, n, DLT_EN10MB_);
    n = frag6(b, 2, 48, true, 96, false);
    dt_decode(d, &p, b, n, DLT_EN10MB_);
    assert_true(dt_has(&p, "ipv6.frag_overlap"));
    n = frag6(b, 3, 65528, false, 64, false);
    dt_decode(d, &p, b, n, DLT_EN10MB_);
    assert_true(dt_has(&p, "ipv6.frag_pkt_too_large"));
    vg_decode_tick(d, 1000 * VG_USEC_PER_SEC);
    assert_int_equal(dt_stat(d, "defrag.ipv6.timeouts"), 1);
    vg_decoder_free(d);
}

/* A fragmented inner packet inside GRE: reassembled, still tunnelled, Ethernet+outer kept. */
static void test_tunnelled_fragments(void **st)
{
    (void)st;
    vg_decoder_t *d = dt_new(true);
    uint8_t in[2000], g[2100], b[2200];
    vg_packet_t p;
    const uint32_t offs[3] = {0, 1480, 2960}, lens[3] = {1480, 1480, 48};
    int r = 0;
    for (int i = 0; i < 3; i++) {
        size_t il = dt_ipv4(in, 20, "10.0.0.1", "10.0.0.2", 17, 4,
                            (uint16_t)((i < 2 ? 0x2000 : 0) | offs[i] / 8), dgram4 + offs[i],
                            lens[i]);
        memset(g, 0, 4);
        dt_put16(g + 2, 0x0800);
        memcpy(g + 4, in, il);
        size_t e = dt_eth(b, 0x0800);
        size_t n = e + dt_ipv4(b + e, 20, "1.1.1.1", "2.2.2.2", 47, 1, 0, g, 4 + il);
        r = dt_decode(d, &p, b, n, DLT_EN10MB_);
    }
    assert_int_equal(r, VG_DECODE_OK);
    assert_true(p.flags & VG_PKT_REASSEMBLED);
    assert_true(p.flags & VG_PKT_TUNNELLED);
    assert_int_equal(p.dp, 6000);
    assert_ptr_equal(p.l3, p.data + 14 + 20 + 4);
    assert_int_equal(p.linktype, DLT_EN10MB_);
    vg_decoder_free(d);
}

int main(void)
{
    make_dgrams();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_v4_in_order),
        cmocka_unit_test(test_v4_out_of_order),
        cmocka_unit_test(test_v4_duplicate),
        cmocka_unit_test(test_v4_overlap_first_wins),
        cmocka_unit_test(test_v4_conflicting_end),
        cmocka_unit_test(test_v4_keys_separate),
        cmocka_unit_test(test_v4_timeout),
        cmocka_unit_test(test_memcap),
        cmocka_unit_test(test_max_trackers),
        cmocka_unit_test(test_max_frags_and_too_large),
        cmocka_unit_test(test_v6_reassembly),
        cmocka_unit_test(test_v6_anomalies),
        cmocka_unit_test(test_tunnelled_fragments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
