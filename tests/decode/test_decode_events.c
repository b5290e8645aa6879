/* Tests for decode_events.c: event names, lookups and the counter table layout. */
#include "dtest.h"

static void test_names(void **st)
{
    (void)st;
    assert_null(vg_decode_event_name(0));
    assert_null(vg_decode_event_name(VG_DEV_COUNT));
    assert_string_equal(vg_decode_event_name(VG_DEV_IPV4_TRUNC_PKT), "ipv4.trunc_pkt");
    assert_int_equal(vg_decode_event_by_name("ipv4.trunc_pkt"), VG_DEV_IPV4_TRUNC_PKT);
    assert_int_equal(vg_decode_event_by_name("decoder.ipv4.trunc_pkt"), VG_DEV_IPV4_TRUNC_PKT);
    assert_int_equal(vg_decode_event_by_name("nope"), 0);
    assert_int_equal(vg_decode_event_by_name(NULL), 0);
    for (uint16_t c = 1; c < VG_DEV_COUNT; c++) {
        const char *n = vg_decode_event_name(c);
        assert_non_null(n);
        assert_int_equal(vg_decode_event_by_name(n), c); /* unique */
    }
}

/* Prefix of name up to its k-th dot (k = 1: "decoder"). */
static size_t prefix_len(const char *s, int k)
{
    size_t i = 0;
    for (; s[i]; i++)
        if (s[i] == '.' && --k == 0)
            return i;
    return i;
}

static void test_stats_table(void **st)
{
    (void)st;
    const vg_stats_table_t *t = vg_decode_stats_table();
    assert_true(t->n > (size_t)VG_DEV_COUNT);
    for (size_t i = 0; i < t->n; i++) {
        assert_non_null(t->names[i]);
        for (size_t j = i + 1; j < t->n; j++)
            assert_string_not_equal(t->names[i], t->names[j]);
    }
    /* names sharing a prefix are contiguous, at every depth (common/stats.h) */
    for (int depth = 1; depth <= 3; depth++) {
        for (size_t i = 0; i < t->n; i++) {
            size_t li = prefix_len(t->names[i], depth);
            if (t->names[i][li] == '\0')
                continue; /* a leaf at this depth */
            bool left = false;
            for (size_t j = i + 1; j < t->n; j++) {
                size_t lj = prefix_len(t->names[j], depth);
                bool same = lj == li && t->names[j][lj] == '.' &&
                            memcmp(t->names[i], t->names[j], li) == 0;
                if (!same)
                    left = true;
                else if (left)
                    fail_msg("%s not contiguous with %s", t->names[j], t->names[i]);
            }
        }
    }
    vg_decoder_t *d = dt_new(true);
    assert_int_equal(dt_stat(d, "decoder.event.ipv4.trunc_pkt"), 0);
    assert_int_equal(dt_stat(d, "defrag.memcap_exceeded"), 0);
    assert_int_equal(dt_stat(d, "decoder.event.too_many_layers"), 0);
    vg_decoder_free(d);
}

/* More than VG_PKT_MAX_EVENTS anomalies: 8 kept, all counted; repeats kept once. */
static void test_event_cap(void **st)
{
    (void)st;
    vg_decoder_t *d = dt_new(true);
    /* IPv6 with many hop-by-hop headers with unknown options, then many dst headers, ... */
    uint8_t b[512], pl[400];
    size_t k = 0;
    const uint8_t nhs[] = {0, 60, 60, 60, 43, 43, 51, 51, 44, 44};
    for (unsigned i = 0; i < VG_ARRAY_LEN(nhs); i++) {
        uint8_t next = i + 1 < VG_ARRAY_LEN(nhs) ? nhs[i + 1] : 59;
        memset(pl + k, 0, 8);
        pl[k] = next;
        if (nhs[i] == 0 || nhs[i] == 60) {
            pl[k + 2] = 0x3E; /* unknown option */
            pl[k + 3] = 4;
        }
        if (nhs[i] == 51)
            pl[k + 1] = 0; /* AH length 8 */
        if (nhs[i] == 51)
            pl[k + 2] = 1; /* reserved not zero */
        k += 8;
    }
    size_t n = dt_ipv6(b, "::1", "::2", 0, pl, k);
    vg_packet_t p;
    dt_decode(d, &p, b, n, DLT_RAW_);
    assert_true(p.n_events <= VG_PKT_MAX_EVENTS);
    for (unsigned i = 0; i < p.n_events; i++)
        for (unsigned j = i + 1; j < p.n_events; j++)
            assert_int_not_equal(p.events[i], p.events[j]);
    assert_int_equal(dt_stat(d, "decoder.event.ipv6.hopopts_unknown_opt"), 1);
    vg_decoder_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_stats_table),
        cmocka_unit_test(test_event_cap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
