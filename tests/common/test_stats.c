/* Tests for common/stats.c (dotted names nested into objects) and common/ring.c (SPSC order
 * and close semantics across threads). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <jansson.h>
#include <pthread.h>
#include <stdint.h>

#include "common/ring.h"
#include "common/stats.h"
#include "common/timefmt.h"

static void test_nesting(void **state)
{
    (void)state;
    static const char *const names[] = {"decoder.event.ipv4.trunc_pkt", "decoder.event.tcp.x",
                                        "decoder.pkts", "flow.end.state.new", "flow.total", "top"};
    static const uint64_t vals[] = {1, 2, 3, 4, 5, 6};
    vg_stats_table_t t = {names, 6};
    vg_buf_t b;
    vg_buf_init(&b, 0);
    vg_jw_t w;
    vg_jw_init(&w, &b);
    vg_jw_obj_open(&w);
    vg_stats_write(&w, &t, vals);
    vg_jw_obj_close(&w);
    json_error_t e;
    json_t *j = json_loadb(b.data, b.len, 0, &e);
    assert_non_null(j);
    json_t *dec = json_object_get(j, "decoder");
    assert_int_equal(json_integer_value(json_object_get(dec, "pkts")), 3);
    json_t *ev = json_object_get(dec, "event");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(ev, "ipv4"), "trunc_pkt")), 1);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(ev, "tcp"), "x")), 2);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "flow"), "total")), 5);
    assert_int_equal(json_integer_value(json_object_get(j, "top")), 6);
    json_decref(j);
    vg_buf_fini(&b);
}

static void test_timefmt(void **state)
{
    (void)state;
    char s[VG_TIME_STR_LEN];
    vg_time_set_utc(1);
    size_t n = vg_time_format(1695017621532140ULL, s);
    assert_string_equal(s, "2023-09-18T06:13:41.532140+0000");
    assert_int_equal(n, 31);
    vg_time_format(1695017621000001ULL, s); /* same second, cached prefix */
    assert_string_equal(s, "2023-09-18T06:13:41.000001+0000");
}

#define N_ITEMS 200000

static void *producer(void *arg)
{
    vg_ring_t *r = arg;
    for (uintptr_t i = 1; i <= N_ITEMS; i++)
        vg_ring_push(r, (void *)i);
    vg_ring_close(r);
    return NULL;
}

static void test_ring(void **state)
{
    (void)state;
    vg_ring_t *r = vg_ring_new(8);
    pthread_t th;
    pthread_create(&th, NULL, producer, r);
    uintptr_t expect = 1;
    void *item;
    while ((item = vg_ring_pop(r)) != NULL) {
        assert_int_equal((uintptr_t)item, expect);
        expect++;
    }
    assert_int_equal(expect, N_ITEMS + 1);
    pthread_join(th, NULL);
    assert_true(vg_ring_is_closed_and_empty(r));
    assert_null(vg_ring_try_pop(r));
    vg_ring_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nesting),
        cmocka_unit_test(test_timefmt),
        cmocka_unit_test(test_ring),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
