/* test_spares.c — the bounded stack of given-back allocations (common/spares.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>

#include "common/spares.h"

static int destroyed;
static void count_free(void *p)
{
    destroyed++;
    free(p);
}

static void test_bounds_and_order(void **state)
{
    (void)state;
    vg_spares_t s;
    vg_spares_init(&s, 100, 250);
    void *a = malloc(100), *b = malloc(100), *big = malloc(101), *c = malloc(60);
    assert_false(vg_spares_put(&s, NULL, 10));  /* nothing to keep */
    assert_false(vg_spares_put(&s, big, 101));  /* over max_one: the caller frees it */
    free(big);
    assert_true(vg_spares_put(&s, a, 100));
    assert_true(vg_spares_put(&s, b, 100));
    assert_false(vg_spares_put(&s, c, 60));     /* 260 > max_total */
    assert_int_equal(s.n, 2);
    assert_int_equal(s.bytes, 200);
    size_t n = 0;
    assert_ptr_equal(vg_spares_take(&s, &n), b); /* the latest first */
    assert_int_equal(n, 100);
    assert_int_equal(s.bytes, 100);
    assert_true(vg_spares_put(&s, c, 60));
    assert_ptr_equal(vg_spares_take(&s, &n), c);
    assert_int_equal(n, 60);
    assert_ptr_equal(vg_spares_take(&s, &n), a);
    assert_null(vg_spares_take(&s, &n));
    assert_int_equal(s.bytes, 0);
    free(a);
    free(b);
    free(c);
}

static void test_count_bound_and_fini(void **state)
{
    (void)state;
    vg_spares_t s;
    vg_spares_init(&s, 16, 1 << 20);
    for (unsigned i = 0; i < VG_SPARES_N; i++)
        assert_true(vg_spares_put(&s, malloc(16), 16));
    void *one_more = malloc(16);
    assert_false(vg_spares_put(&s, one_more, 16)); /* VG_SPARES_N kept at most */
    free(one_more);
    destroyed = 0;
    vg_spares_fini(&s, count_free);
    assert_int_equal(destroyed, VG_SPARES_N);
    assert_int_equal(s.n, 0);
    assert_int_equal(s.bytes, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bounds_and_order),
        cmocka_unit_test(test_count_bound_and_fini),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
