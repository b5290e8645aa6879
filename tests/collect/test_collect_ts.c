/* The collector's EVE timestamp parser: offsets, fractions, and what it refuses. */
#include "collect/collect.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

static void test_ts(void **state)
{
    (void)state;
    int64_t us;
    assert_int_equal(vg_collect_parse_ts("1970-01-01T00:00:00+0000", &us), 0);
    assert_int_equal(us, 0);
    assert_int_equal(vg_collect_parse_ts("2023-11-14T22:13:20.000407+0000", &us), 0);
    assert_int_equal(us, 1700000000000407LL);
    assert_int_equal(vg_collect_parse_ts("2023-11-14T23:13:20.5+01:00", &us), 0);
    assert_int_equal(us, 1700000000500000LL);
    assert_int_equal(vg_collect_parse_ts("2023-11-14T17:13:20Z", &us), 0);
    assert_int_equal(us, 1699982000000000LL);
    assert_int_equal(vg_collect_parse_ts("2024-02-29T00:00:00-0130", &us), 0);
    assert_int_equal(us, (1709164800LL + 5400) * 1000000);
    const char *bad[] = {"", "2023-11-14", "2023-11-14T22:13:20", "2023-13-14T22:13:20Z",
                         "2023-11-14T22:13:20.+0000", "2023-11-14T22:13:20+00", "x",
                         "2023-11-14T22:13:20Zjunk", "1969-12-31T23:59:59Z"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(vg_collect_parse_ts(bad[i], &us), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_ts)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
