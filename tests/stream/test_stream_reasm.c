/* test_stream_reasm.c — reassembly: ordering, retransmissions, overlaps, wrap-around, gaps,
 * depth and memory limits, and hostile segment patterns. */
#include "stream_harness.h"
#include "stream/stream_int.h"

#define CI 1000u /* client ISN: data offset k is at sequence CI + 1 + k */
#define SI 5000u

static void cseg(harness_t *h, uint32_t off, const char *data)
{
    h_send(h, C2S, F_PA, CI + 1 + off, SI + 1, data);
}

static void setup(harness_t *h, const vg_stream_config_t *cfg)
{
    h_init(h, cfg);
    h_handshake(h, CI, SI);
}

static void test_in_order(void **state)
{
    harness_t h;
    setup(&h, NULL);
    cseg(&h, 0, "hello ");
    assert_string_equal(h_out(&h, 0), "hello ");
    cseg(&h, 6, "world");
    assert_string_equal(h_out(&h, 0), "hello world");
    assert_int_equal(h.data_calls[0], 2);
    assert_int_equal(h.n_events, 0);
    h_fini(&h);
}

static void test_out_of_order(void **state)
{
    harness_t h;
    setup(&h, NULL);
    cseg(&h, 8, "IJ");
    cseg(&h, 4, "EFGH");
    assert_int_equal(h.out[0].len, 0); /* nothing until the hole at 0 fills */
    cseg(&h, 2, "CD");
    assert_int_equal(h.out[0].len, 0);
    cseg(&h, 0, "AB");
    assert_string_equal(h_out(&h, 0), "ABCDEFGHIJ");
    assert_int_equal(h.data_calls[0], 1); /* coalesced into one delivery */
    cseg(&h, 10, "K");
    assert_string_equal(h_out(&h, 0), "ABCDEFGHIJK");
    assert_int_equal(h_stat(&h, "tcp.overlap"), 0);
    assert_int_equal(h.n_events, 0);
    h_fini(&h);
}

static void test_retransmission_same(void **state)
{
    harness_t h;
    setup(&h, NULL);
    cseg(&h, 0, "abcdef");
    cseg(&h, 0, "abcdef");
    cseg(&h, 2, "cd");
    assert_string_equal(h_out(&h, 0), "abcdef");
    assert_int_equal(h_stat(&h, "tcp.overlap"), 2);
    assert_int_equal(h_stat(&h, "tcp.overlap_diff_data"), 0);
    assert_false(h_has_event(&h, "stream.reassembly_overlap_different_data"));
    assert_int_equal(h_count_event(&h, "stream.pkt_retransmission"), 2);
    /* Once acknowledged, the retained bytes are dropped; a late copy is still ignored. */
    h_send(&h, S2C, F_A, SI + 1, CI + 7, NULL);
    assert_int_equal(h_stat(&h, "tcp.reassembly_memuse"), 0);
    cseg(&h, 0, "abcdef");
    assert_string_equal(h_out(&h, 0), "abcdef");
    h_fini(&h);
}

static void test_retransmission_different(void **state)
{
    harness_t h;
    setup(&h, NULL);
    cseg(&h, 0, "abcdef");
    cseg(&h, 1, "XY");
    assert_string_equal(h_out(&h, 0), "abcdef");
    assert_int_equal(h_stat(&h, "tcp.overlap_diff_data"), 1);
    assert_true(h_has_event(&h, "stream.reassembly_overlap_different_data"));
    /* Partly old (different) and partly new: the new part is delivered. */
    cseg(&h, 4, "ZZgh");
    assert_string_equal(h_out(&h, 0), "abcdefgh");
    assert_int_equal(h_stat(&h, "tcp.overlap_diff_data"), 2);
    h_fini(&h);
}

/* Overlaps against buffered out-of-order data. The stream is 30 bytes; "orig" holds bytes
 * [10, 20) first (so it sits behind a hole at [0, 10)), then the case's segment arrives, then the
 * hole and the tail are filled with the true bytes. First data wins everywhere. */
typedef struct overlap_case {
    const char *name;
    uint32_t off;
    uint32_t len;
    bool differ;
} overlap_case_t;

static const char TRUTH[] = "0123456789abcdefghijKLMNOPQRST";

static void run_overlap(const overlap_case_t *c)
{
    harness_t h;
    setup(&h, NULL);
    char seg[32];
    memcpy(seg, TRUTH + c->off, c->len);
    seg[c->len] = '\0';
    if (c->differ)
        for (uint32_t i = 0; i < c->len; i++)
            seg[i] = 'x';
    char orig[11];
    memcpy(orig, TRUTH + 10, 10);
    orig[10] = '\0';
    cseg(&h, 10, orig);
    cseg(&h, c->off, seg);
    assert_int_equal(h.out[0].len, 0);
    assert_int_equal(h_stat(&h, "tcp.overlap"), 1);
    assert_int_equal(h_stat(&h, "tcp.overlap_diff_data"), c->differ ? 1 : 0);
    assert_int_equal(h_has_event(&h, "stream.reassembly_overlap_different_data"), c->differ);
    /* Fill with the truth, one byte at a time, from the end (worst order). */
    for (int i = 29; i >= 0; i--) {
        char b[2] = {TRUTH[i], 0};
        cseg(&h, (uint32_t)i, b);
    }
    /* The bytes of orig always win; the case's bytes win where they came first. */
    char want[31];
    memcpy(want, TRUTH, 31);
    for (uint32_t i = c->off; i < c->off + c->len; i++)
        if (i < 10 || i >= 20)
            want[i] = seg[i - c->off];
    assert_string_equal(h_out(&h, 0), want);
    h_fini(&h);
}

static void test_overlap_cases(void **state)
{
    static const overlap_case_t cases[] = {
        {"before (starts before, ends inside)", 5, 10, false},
        {"before, different", 5, 10, true},
        {"after (starts inside, ends after)", 15, 10, false},
        {"after, different", 15, 10, true},
        {"inside", 12, 6, false},
        {"inside, different", 12, 6, true},
        {"exact", 10, 10, false},
        {"exact, different", 10, 10, true},
        {"covering", 5, 20, false},
        {"covering, different", 5, 20, true},
        {"same start, longer", 10, 15, true},
        {"same end, earlier start", 3, 17, true},
    };
    for (size_t i = 0; i < VG_ARRAY_LEN(cases); i++) {
        print_message("overlap case: %s\n", cases[i].name);
        run_overlap(&cases[i]);
    }
}

static void test_overlap_spanning_several(void **state)
{
    harness_t h;
    setup(&h, NULL);
    cseg(&h, 2, "cc");
    cseg(&h, 6, "gg");
    cseg(&h, 10, "kk");
    /* Covers three buffered ranges and the holes between them; the holes take the new bytes. */
    cseg(&h, 1, "BCDEFGHIJKLM");
    cseg(&h, 0, "A");
    assert_string_equal(h_out(&h, 0), "ABccEFggIJkkM");
    assert_int_equal(h_stat(&h, "tcp.overlap_diff_data"), 1);
    h_fini(&h);
}

static void test_seq_wraparound(void **state)
{
    harness_t h;
    h_init(&h, NULL);
    uint32_t ci = 0xFFFFFFF8u;
    h_handshake(&h, ci, SI);
    /* offsets 0..15 span sequence numbers 0xFFFFFFF9 .. 0x00000008 */
    h_send(&h, C2S, F_PA, ci + 1 + 10, SI + 1, "klmnop");   /* after the wrap */
    h_send(&h, C2S, F_PA, ci + 1, SI + 1, "abcd");          /* before it */
    h_send(&h, C2S, F_PA, ci + 1 + 4, SI + 1, "efghij");    /* across it */
    assert_string_equal(h_out(&h, 0), "abcdefghijklmnop");
    h_send(&h, C2S, F_PA, ci + 1 + 4, SI + 1, "efghij");    /* retransmitted across it */
    assert_string_equal(h_out(&h, 0), "abcdefghijklmnop");
    /* The server acknowledges past the wrap: all is released, no false gap. */
    h_send(&h, S2C, F_A, SI + 1, ci + 1 + 16, NULL);
    assert_int_equal(h.gaps[0], 0);
    assert_int_equal(h_stat(&h, "tcp.reassembly_memuse"), 0);
    assert_int_equal(h_count_event(&h, "stream.reassembly_overlap_different_data"), 0);
    h_fini(&h);
}

static void test_gap_on_ack(void **state)
{
    harness_t h;
    setup(&h, NULL);
    cseg(&h, 0, "abc");
    cseg(&h, 6, "ghi");
    /* The server acknowledges up to offset 9: "def" was lost by the capture. */
    h_send(&h, S2C, F_A, SI + 1, CI + 1 + 9, NULL);
    assert_string_equal(h_out(&h, 0), "abc###ghi");
    assert_int_equal(h.gaps[0], 1);
    assert_int_equal(h.gap_bytes[0], 3);
    assert_int_equal(h_stat(&h, "tcp.reassembly_gap"), 1);
    assert_int_equal(h_stat(&h, "tcp.ack_unseen_data"), 1);
    /* Acknowledged bytes beyond anything seen: a gap, then data continues after it. */
    h_send(&h, S2C, F_A, SI + 1, CI + 1 + 12, NULL);
    cseg(&h, 12, "mno");
    assert_string_equal(h_out(&h, 0), "abc###ghi###mno");
    /* The lost bytes showing up late are old news. */
    cseg(&h, 3, "def");
    assert_string_equal(h_out(&h, 0), "abc###ghi###mno");
    h_fini(&h);
}

static void test_gap_at_flow_end(void **state)
{
    harness_t h;
    setup(&h, NULL);
    cseg(&h, 0, "ab");
    cseg(&h, 4, "ef");
    cseg(&h, 10, "kl");
    h_send(&h, S2C, F_PA, SI + 1 + 3, CI + 1, "DEF"); /* server lost its first 3 bytes */
    h_end(&h);
    assert_string_equal(h_out(&h, 0), "ab##ef####kl");
    assert_string_equal(h_out(&h, 1), "###DEF");
    assert_int_equal(h.gaps[0], 2);
    assert_int_equal(h_stat(&h, "tcp.reassembly_memuse"), 0);
    /* Ended: nothing more comes out. */
    cseg(&h, 12, "zz");
    h_end(&h);
    assert_string_equal(h_out(&h, 0), "ab##ef####kl");
    h_fini(&h);
}

static void test_out_of_window(void **state)
{
    vg_stream_config_t cfg;
    vg_stream_config_defaults(&cfg);
    cfg.window_limit = 1000;
    cfg.reassembly_depth = 0; /* else the depth would drop it first */
    harness_t h;
    setup(&h, &cfg);
    cseg(&h, 0, "a");
    h_send(&h, C2S, F_PA, CI + 1 + 0x40000000u, SI + 1, "far");
    assert_true(h_has_event(&h, "stream.est_packet_out_of_window"));
    assert_true(h_stat(&h, "tcp.reassembly_memuse") < 8192); /* only the retained "a" */
    h_end(&h);
    assert_string_equal(h_out(&h, 0), "a");
    h_fini(&h);
}

static void test_depth(void **state)
{
    vg_stream_config_t cfg;
    vg_stream_config_defaults(&cfg);
    cfg.reassembly_depth = 10;
    harness_t h;
    setup(&h, &cfg);
    cseg(&h, 0, "0123");
    cseg(&h, 8, "89abcd"); /* clipped to the depth while buffered */
    cseg(&h, 4, "4567");
    assert_string_equal(h_out(&h, 0), "0123456789");
    assert_int_equal(h_stat(&h, "tcp.stream_depth_reached"), 1);
    cseg(&h, 14, "more");
    h_send(&h, S2C, F_A, SI + 1, CI + 1 + 100, NULL);
    h_end(&h);
    assert_string_equal(h_out(&h, 0), "0123456789");
    assert_int_equal(h.gaps[0], 0);
    assert_int_equal(h_stat(&h, "tcp.stream_depth_reached"), 1);
    /* The other direction has its own depth. */
    h_send(&h, S2C, F_PA, SI + 1, CI + 1, "server says");
    assert_int_equal(h.out[1].len, 0); /* ended: nothing after flow end */
    h_fini(&h);
}

static void test_depth_per_direction(void **state)
{
    vg_stream_config_t cfg;
    vg_stream_config_defaults(&cfg);
    cfg.reassembly_depth = 4;
    harness_t h;
    setup(&h, &cfg);
    cseg(&h, 0, "abcdef");
    h_send(&h, S2C, F_PA, SI + 1, CI + 7, "uvwxyz");
    assert_string_equal(h_out(&h, 0), "abcd");
    assert_string_equal(h_out(&h, 1), "uvwx");
    assert_int_equal(h_stat(&h, "tcp.stream_depth_reached"), 2);
    assert_int_equal(h_stat(&h, "tcp.reassembly_memuse"), 0);
    h_fini(&h);
}

static void test_memcap(void **state)
{
    vg_stream_config_t cfg;
    vg_stream_config_defaults(&cfg);
    cfg.memcap = 4096;
    harness_t h;
    setup(&h, &cfg);
    static uint8_t big[3000];
    memset(big, 'q', sizeof big);
    /* Out of order and larger than what the memcap leaves: dropped and counted. */
    h_sendn(&h, C2S, F_PA, CI + 1 + 5000, SI + 1, big, sizeof big);
    h_sendn(&h, C2S, F_PA, CI + 1 + 9000, SI + 1, big, sizeof big);
    assert_true(h_stat(&h, "tcp.segment_memcap_drop") >= 1);
    assert_true(h_stat(&h, "tcp.reassembly_memuse") <= 4096);
    /* In-order data still flows, straight from the packet. */
    for (uint32_t i = 0; i < 4; i++)
        h_sendn(&h, C2S, F_PA, CI + 1 + i * 1000, SI + 1, big, 1000);
    assert_int_equal(h.out[0].len, 4000);
    assert_true(h_stat(&h, "tcp.reassembly_memuse") <= 4096);
    h_end(&h);
    assert_int_equal(h_stat(&h, "tcp.reassembly_memuse"), 0);
    assert_true(h.gaps[0] >= 1);
    h_fini(&h);
}

static void test_keepalive(void **state)
{
    harness_t h;
    setup(&h, NULL);
    cseg(&h, 0, "abc");
    cseg(&h, 2, "\xff"); /* keep-alive: last byte again, garbage content */
    assert_string_equal(h_out(&h, 0), "abc");
    assert_int_equal(h.n_events, 0);
    assert_int_equal(h_stat(&h, "tcp.overlap"), 0);
    h_fini(&h);
}

static void test_before_stream_start(void **state)
{
    vg_stream_config_t cfg;
    vg_stream_config_defaults(&cfg);
    cfg.midstream = true;
    harness_t h;
    h_init(&h, &cfg);
    h_send(&h, C2S, F_PA, 2000, 9000, "cdef");
    h_send(&h, C2S, F_PA, 1998, 9000, "abcdefgh"); /* starts before the pickup point */
    assert_string_equal(h_out(&h, 0), "cdefgh");
    assert_true(h_has_event(&h, "stream.reassembly_segment_before_base_seq"));
    h_fini(&h);
}

/* Many 1-byte segments, every other byte, in reverse order: the range array is bounded, extra
 * segments are refused (counted), memory stays bounded, and the end flushes with gaps. */
static void test_storm_bounded(void **state)
{
    vg_stream_config_t cfg;
    vg_stream_config_defaults(&cfg);
    cfg.max_ranges = 64;
    harness_t h;
    setup(&h, &cfg);
    for (int i = 40000; i > 0; i -= 2)
        cseg(&h, (uint32_t)i, "z");
    assert_true(h_stat(&h, "tcp.insert_data_normal_fail") > 0);
    assert_true(h_stat(&h, "tcp.reassembly_memuse") < 256 * 1024);
    cseg(&h, 0, "a");
    assert_string_equal(h_out(&h, 0), "a");
    h_end(&h);
    assert_int_equal(h_stat(&h, "tcp.reassembly_memuse"), 0);
    h_fini(&h);
}

/* Many tiny segments must cost linear time: in order without ACKs (retention grows, then gives
 * way at the window limit), and in reverse order (one coalesced range that keeps growing). */
static void test_many_small_segments(void **state)
{
    enum { N = 200000 };
    harness_t h;
    setup(&h, NULL);
    for (uint32_t i = 0; i < N; i++)
        cseg(&h, i, "x");
    assert_int_equal(h.out[0].len, N);
    assert_true(h_stat(&h, "tcp.reassembly_memuse") <= 2u * (1u << 20) + 4096);
    h_fini(&h);

    setup(&h, NULL);
    for (uint32_t i = N - 1; i > 0; i--)
        h_send(&h, S2C, F_PA, SI + 1 + i, CI + 1, "y");
    assert_int_equal(h.out[1].len, 0);
    h_send(&h, S2C, F_PA, SI + 1, CI + 1, "Y");
    assert_int_equal(h.out[1].len, N);
    assert_int_equal(h.data_calls[1], 1);
    assert_int_equal(h.out[1].data[0], 'Y');
    h_fini(&h);
}

/* Property: any mix of reordered, duplicated and overlapping segments carrying the true bytes
 * reassembles to exactly the stream, and memory is all returned. */
static uint32_t rng_next(uint32_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 17;
    *x ^= *x << 5;
    return *x;
}

/* Buffers given back are reused by the next direction that needs one (stream_int.h): a reused
 * buffer carries the bytes of its previous flow, which must never show through; the memory
 * counted is only what flows use; and the memcap still holds when a reused buffer is larger
 * than what it leaves. */
static void test_buffer_reuse(void **state)
{
    (void)state;
    harness_t h;
    h_init(&h, NULL);
    static uint8_t seg[1400];
    for (int flow = 0; flow < 40; flow++) {
        if (flow) { /* a new session in the same context */
            vg_stream_session_free(h.ctx, h.s);
            h.s = vg_stream_session_new(h.ctx);
            h.out[0].len = h.out[1].len = 0;
            h.gaps[0] = h.gaps[1] = 0;
        }
        h_handshake(&h, CI, SI);
        /* out of order, so the data waits in a buffer; each flow's own byte value, and the
         * hole before it filled last: its bytes must be this flow's, not the last one's */
        size_t n = 500 + (size_t)flow * 300; /* buffers of growing sizes */
        memset(seg, 'A' + flow % 26, sizeof seg);
        for (size_t off = 100; off < n; off += 100)
            h_sendn(&h, C2S, F_PA, CI + 1 + (uint32_t)off, SI + 1, seg,
                    VG_MIN((size_t)100, n - off));
        assert_true(h_stat(&h, "tcp.reassembly_memuse") > 0);
        h_sendn(&h, C2S, F_PA, CI + 1, SI + 1, seg, 100);
        assert_int_equal(h.out[0].len, n);
        for (size_t i = 0; i < n; i++)
            assert_int_equal(h.out[0].data[i], 'A' + flow % 26);
        h_end(&h);
        assert_int_equal(h.gaps[0], 0);
        assert_int_equal(h_stat(&h, "tcp.reassembly_memuse"), 0);
    }
    assert_true(h.ctx->spares.n > 0 && h.ctx->spares.bytes <= VG_STREAM_SPARES_BYTES);
    h_fini(&h);

    /* a reused buffer larger than the memcap leaves is not used: a fresh one is */
    h_init(&h, NULL);
    h_handshake(&h, CI, SI);
    for (uint32_t off = 1400; off < 30000; off += 1400)
        h_sendn(&h, C2S, F_PA, CI + 1 + off, SI + 1, seg, 1400);
    h_end(&h); /* the hole at 0 stays: a gap, then the ~32 KB buffer goes back */
    assert_int_equal(h_stat(&h, "tcp.reassembly_memuse"), 0);
    assert_int_equal(h.ctx->spares.n, 1);
    assert_true(h.ctx->spares.bytes > 32768);
    vg_stream_session_free(h.ctx, h.s);
    h.s = vg_stream_session_new(h.ctx);
    h.out[0].len = 0;
    h.ctx->cfg.memcap = 8192;
    h_handshake(&h, CI, SI);
    memset(seg, 'z', sizeof seg);
    h_sendn(&h, C2S, F_PA, CI + 1 + 100, SI + 1, seg, 1000);
    assert_int_equal(h.ctx->spares.n, 0); /* given up, not kept */
    uint64_t used = h_stat(&h, "tcp.reassembly_memuse");
    assert_true(used > 0 && used <= 8192);
    h_sendn(&h, C2S, F_PA, CI + 1, SI + 1, seg, 100);
    assert_int_equal(h.out[0].len, 1100);
    assert_int_equal(h.out[0].data[1099], 'z');
    h_fini(&h);
}

static void test_random_segments(void **state)
{
    enum { LEN = 20000 };
    static uint8_t truth[LEN];
    uint32_t rng = 0x12345u;
    for (size_t i = 0; i < LEN; i++)
        truth[i] = (uint8_t)rng_next(&rng);
    for (int round = 0; round < 20; round++) {
        harness_t h;
        h_init(&h, NULL);
        uint32_t ci = rng_next(&rng); /* random ISN: some rounds wrap */
        if (round == 0)
            ci = 0xFFFFF000u;
        h_handshake(&h, ci, SI);
        for (int n = 0; n < 3000; n++) {
            uint32_t off = rng_next(&rng) % LEN;
            uint32_t len = 1 + rng_next(&rng) % 64;
            if (off + len > LEN)
                len = LEN - off;
            h_sendn(&h, C2S, F_PA, ci + 1 + off, SI + 1, truth + off, len);
        }
        for (uint32_t off = 0; off < LEN; off += 1400) /* fill whatever is missing */
            h_sendn(&h, C2S, F_PA, ci + 1 + off, SI + 1, truth + off, VG_MIN(1400u, LEN - off));
        assert_int_equal(h.out[0].len, LEN);
        assert_memory_equal(h.out[0].data, truth, LEN);
        assert_int_equal(h.gaps[0], 0);
        assert_int_equal(h_stat(&h, "tcp.overlap_diff_data"), 0);
        h_end(&h);
        assert_int_equal(h_stat(&h, "tcp.reassembly_memuse"), 0);
        h_fini(&h);
    }
}

/* Property: hostile random input (random bytes, offsets near and far, random ACKs, FINs and RSTs,
 * both directions, tight limits) never breaks the invariants: each direction's output (data plus
 * gaps) is exactly its next offset, memory stays under the cap, and all of it comes back. */
static void hostile_round(const vg_stream_config_t *cfg, uint32_t *rng, const uint8_t *junk,
                          uint32_t junk_len)
{
    harness_t h;
    setup(&h, cfg);
    for (int n = 0; n < 4000; n++) {
        uint32_t r = rng_next(rng);
        int dir = (r >> 8) & 1;
        uint32_t base = dir ? SI + 1 : CI + 1, peer = dir ? CI + 1 : SI + 1;
        /* Mostly near the direction's current position (back or ahead), sometimes anywhere. */
        uint32_t next = (uint32_t)h.s->half[dir].next_off;
        uint32_t off = (r & 7) ? next - VG_MIN(next, 3000u) + rng_next(rng) % 30000
                               : rng_next(rng);
        uint32_t len = rng_next(rng) % junk_len;
        uint32_t jo = rng_next(rng) % (junk_len - len + 1);
        uint32_t peer_next = (uint32_t)h.s->half[!dir].next_off;
        uint32_t ack = peer + peer_next + ((r & 0x30) == 0x30 ? rng_next(rng) % 4000 : 0);
        uint8_t fl = F_PA;
        if ((r & 0xFF0000) == 0xFF0000)
            fl |= F_F;
        if (n > 3900 && (r & 0x3F00) == 0x3F00)
            fl = F_R | F_A;
        h_sendn(&h, dir, fl, base + off, ack, junk + jo, len);
        assert_true(!cfg->memcap || h_stat(&h, "tcp.reassembly_memuse") <= cfg->memcap);
        for (int role = 0; role < 2; role++)
            assert_int_equal(h.data_bytes[role] + h.gap_bytes[role], h.s->half[role].next_off);
    }
    if (getenv("STREAM_TEST_VERBOSE"))
        print_message("data %zu/%zu gaps %zu/%zu overlaps %lu diff %lu memdrop %lu full %lu\n",
                      h.data_bytes[0], h.data_bytes[1], h.gap_bytes[0], h.gap_bytes[1],
                      (unsigned long)h_stat(&h, "tcp.overlap"),
                      (unsigned long)h_stat(&h, "tcp.overlap_diff_data"),
                      (unsigned long)h_stat(&h, "tcp.segment_memcap_drop"),
                      (unsigned long)h_stat(&h, "tcp.insert_data_normal_fail"));
    h_end(&h);
    for (int role = 0; role < 2; role++)
        assert_int_equal(h.data_bytes[role] + h.gap_bytes[role], h.s->half[role].next_off);
    assert_int_equal(h_stat(&h, "tcp.reassembly_memuse"), 0);
    h_fini(&h);
}

static void test_random_hostile(void **state)
{
    uint32_t rng = 0xBEEFu;
    static uint8_t junk[2048];
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = (uint8_t)rng_next(&rng);
    for (int round = 0; round < 24; round++) {
        vg_stream_config_t cfg;
        vg_stream_config_defaults(&cfg);
        switch (round % 4) {
        case 0: cfg.memcap = 256 * 1024; cfg.max_ranges = 128; cfg.reassembly_depth = 0; break;
        case 1: cfg.memcap = 8192; cfg.max_ranges = 4; cfg.window_limit = 4096; break;
        case 2: cfg.reassembly_depth = 5000; cfg.window_limit = 70000; break;
        default: cfg.memcap = 0; cfg.max_ranges = 1; cfg.reassembly_depth = 0; break;
        }
        hostile_round(&cfg, &rng, junk, sizeof junk);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_in_order),
        cmocka_unit_test(test_out_of_order),
        cmocka_unit_test(test_retransmission_same),
        cmocka_unit_test(test_retransmission_different),
        cmocka_unit_test(test_overlap_cases),
        cmocka_unit_test(test_overlap_spanning_several),
        cmocka_unit_test(test_seq_wraparound),
        cmocka_unit_test(test_gap_on_ack),
        cmocka_unit_test(test_gap_at_flow_end),
        cmocka_unit_test(test_out_of_window),
        cmocka_unit_test(test_depth),
        cmocka_unit_test(test_depth_per_direction),
        cmocka_unit_test(test_memcap),
        cmocka_unit_test(test_keepalive),
        cmocka_unit_test(test_before_stream_start),
        cmocka_unit_test(test_storm_bounded),
        cmocka_unit_test(test_many_small_segments),
        cmocka_unit_test(test_buffer_reuse),
        cmocka_unit_test(test_random_segments),
        cmocka_unit_test(test_random_hostile),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
