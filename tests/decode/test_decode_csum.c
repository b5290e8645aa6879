/* test_decode_csum.c — the Internet checksum (src/decode/decode_csum.c): the word-wise sum
 * against a plain 16-bit big-endian sum on random data of every length and alignment, and the
 * checksum keywords' answer (vg_decode_csum_valid) the same whether or not the decoder checked
 * the packet first (it then reuses the decoder's result). */
#include "dtest.h"

#include "decode/decode_int.h"

/* The textbook sum (RFC 1071 §4.1): 16-bit big-endian words, end-around carry, folded. */
static uint16_t ref_fold(uint32_t init, const uint8_t *b, size_t n)
{
    uint64_t s = init;
    for (size_t i = 0; i + 1 < n; i += 2)
        s += (uint32_t)(b[i] << 8 | b[i + 1]);
    if (n & 1)
        s += (uint32_t)(b[n - 1] << 8);
    while (s >> 16)
        s = (s & 0xFFFF) + (s >> 16);
    return (uint16_t)~s;
}

static void test_rfc1071_example(void **state)
{
    (void)state;
    /* RFC 1071 §3: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2 */
    static const uint8_t b[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
    assert_int_equal(vg_csum_fold(vg_csum_add(0, b, sizeof b)), (uint16_t)~0xddf2);
    /* odd length: the last byte is the high byte of a word */
    assert_int_equal(vg_csum_fold(vg_csum_add(0, b, 7)), ref_fold(0, b, 7));
    assert_int_equal(vg_csum_fold(vg_csum_add(0, b, 1)), (uint16_t)~0x0000);
    assert_int_equal(vg_csum_fold(vg_csum_add(0, b + 2, 1)), (uint16_t)~0xf200);
    assert_int_equal(vg_csum_fold(vg_csum_add(0, b, 0)), 0xFFFF);
}

static void test_against_reference(void **state)
{
    (void)state;
    static uint8_t buf[2048 + 8];
    unsigned seed = 12345;
    for (int it = 0; it < 20000; it++) {
        size_t n = (size_t)(rand_r(&seed) % 1600);
        size_t a = (size_t)(rand_r(&seed) % 8);
        int kind = rand_r(&seed) % 4; /* random, all zero, all 0xFF, sparse */
        for (size_t i = 0; i < n; i++)
            buf[a + i] = kind == 0   ? (uint8_t)rand_r(&seed)
                         : kind == 1 ? 0
                         : kind == 2 ? 0xFF
                                     : (rand_r(&seed) % 16 == 0 ? (uint8_t)rand_r(&seed) : 0);
        uint32_t init = it % 3 == 0 ? 0 : (uint32_t)rand_r(&seed) % (1u << 20);
        uint16_t want = ref_fold(init, buf + a, n);
        uint16_t got = vg_csum_fold(vg_csum_add(init, buf + a, n));
        if (want != got)
            fail_msg("length %zu, offset %zu, kind %d, init %u: %04x, want %04x", n, a, kind,
                     init, got, want);
        /* in two parts, the first of even length, as the pseudo-header is added */
        size_t h = (n / 2) & ~(size_t)1;
        uint32_t part = vg_csum_add(vg_csum_add(init, buf + a, h), buf + a + h, n - h);
        assert_int_equal(vg_csum_fold(part), want);
    }
}

/* A TCP/IPv4 packet with correct checksums and a payload of plen bytes; returns its length. */
static size_t tcp4(uint8_t *b, size_t plen)
{
    uint8_t t[20 + 1500];
    memset(t, 0, 20);
    dt_put16(t, 40000);
    dt_put16(t + 2, 80);
    dt_put32(t + 4, 1000);
    t[12] = 0x50;
    t[13] = 0x18;
    dt_put16(t + 14, 512);
    for (size_t i = 0; i < plen; i++)
        t[20 + i] = (uint8_t)(i * 7 + 1);
    size_t n = dt_ipv4(b, 20, "10.0.0.1", "10.0.0.2", 6, 7, 0, t, 20 + plen);
    dt_l4_csum(b, 4, b + 20, 20 + plen, 6, 16);
    return n;
}

/* vg_decode_csum_valid's answer for each kind, decoded with and without validation. */
static void both(const uint8_t *b, size_t n, size_t caplen, int want_ip, int want_tcp)
{
    for (int csum = 0; csum < 2; csum++) {
        vg_decoder_t *d = dt_new(csum);
        vg_packet_t p;
        memset(&p, 0, sizeof p);
        p.data = b;
        p.caplen = (uint32_t)caplen;
        p.wirelen = (uint32_t)n;
        p.linktype = DLT_RAW_;
        p.ts = 1000000;
        vg_decode_packet(d, &p);
        if (csum && want_ip >= 0)
            assert_int_equal(p.flags & (VG_PKT_IPV4_CSUM_DONE | VG_PKT_L4_CSUM_DONE),
                             VG_PKT_IPV4_CSUM_DONE | VG_PKT_L4_CSUM_DONE);
        else
            assert_false(p.flags & (VG_PKT_IPV4_CSUM_DONE | VG_PKT_L4_CSUM_DONE));
        assert_int_equal(vg_decode_csum_valid(&p, VG_CSUM_IPV4), want_ip);
        assert_int_equal(vg_decode_csum_valid(&p, VG_CSUM_TCPV4), want_tcp);
        assert_int_equal(vg_decode_csum_valid(&p, VG_CSUM_UDPV4), -1);
        vg_decoder_free(d);
    }
}

static void test_keyword_reuses_decoder(void **state)
{
    (void)state;
    uint8_t b[1600];
    size_t n = tcp4(b, 333);
    both(b, n, n, 1, 1);
    b[n - 5] ^= 0x40; /* payload changed: TCP invalid, IP valid */
    both(b, n, n, 1, 0);
    b[n - 5] ^= 0x40;
    b[10] ^= 0x01; /* IP header checksum changed */
    both(b, n, n, 0, 1);
    b[10] ^= 0x01;
    /* cut by the snap length: an invalid packet (ipv4.trunc_pkt), which the keywords do not
     * apply to */
    both(b, n, n - 100, -1, -1);
    n = tcp4(b, 0); /* header only, odd and even lengths around it */
    both(b, n, n, 1, 1);
    n = tcp4(b, 1);
    both(b, n, n, 1, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc1071_example),
        cmocka_unit_test(test_against_reference),
        cmocka_unit_test(test_keyword_reuses_decoder),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
