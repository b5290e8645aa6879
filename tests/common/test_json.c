/* Tests for common/json.c: the streaming writer must always produce valid JSON with the right
 * separators and escapes; checked by parsing the output with jansson. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "common/common.h"
#include "common/json.h"

static json_t *parse(vg_buf_t *b)
{
    json_error_t e;
    json_t *j = json_loadb(b->data, b->len, JSON_ALLOW_NUL, &e);
    if (!j)
        print_error("invalid JSON: %s: %.*s\n", e.text, (int)b->len, b->data);
    return j;
}

/* vg_u64_dec against printf: every edge of the digit count (powers of ten and one less), both
 * ends of the range, and random values of every bit length. */
static void check_dec(uint64_t v)
{
    char want[32], got[21];
    int wn = snprintf(want, sizeof want, "%llu", (unsigned long long)v);
    size_t n = vg_u64_dec(v, got);
    got[n] = 0;
    assert_int_equal(n, (size_t)wn);
    assert_int_equal(vg_u64_digits(v), (size_t)wn);
    assert_string_equal(got, want);
}

static void test_u64_dec(void **state)
{
    (void)state;
    check_dec(0);
    check_dec(UINT64_MAX);
    for (uint64_t p = 1, k = 0; k < 20; k++, p *= 10) {
        check_dec(p);
        check_dec(p - 1);
        check_dec(p + 1);
        if (p <= UINT64_MAX / 10)
            check_dec(p * 10 - 1);
    }
    uint64_t x = 0x9e3779b97f4a7c15ull;
    for (int i = 0; i < 200000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        check_dec(x >> (i % 64)); /* every bit length */
    }
}

static void test_nested(void **state)
{
    (void)state;
    vg_buf_t b;
    vg_buf_init(&b, 16);
    vg_jw_t w;
    vg_jw_init(&w, &b);
    vg_jw_obj_open(&w);
    vg_jw_kv_str(&w, "a", "x");
    vg_jw_kv_uint(&w, "n", 9223372036854775807ULL);
    vg_jw_kv_int(&w, "neg", -42);
    vg_jw_key(&w, "arr");
    vg_jw_arr_open(&w);
    vg_jw_uint(&w, 1);
    vg_jw_obj_open(&w);
    vg_jw_kv_bool(&w, "t", true);
    vg_jw_obj_close(&w);
    vg_jw_arr_open(&w);
    vg_jw_arr_close(&w);
    vg_jw_null(&w);
    vg_jw_arr_close(&w);
    vg_jw_key(&w, "empty");
    vg_jw_obj_open(&w);
    vg_jw_obj_close(&w);
    vg_jw_obj_close(&w);
    json_t *j = parse(&b);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "a")), "x");
    assert_int_equal(json_integer_value(json_object_get(j, "neg")), -42);
    json_t *arr = json_object_get(j, "arr");
    assert_int_equal(json_array_size(arr), 4);
    assert_true(json_is_true(json_object_get(json_array_get(arr, 1), "t")));
    assert_true(json_is_null(json_array_get(arr, 3)));
    assert_int_equal(json_object_size(json_object_get(j, "empty")), 0);
    json_decref(j);
    vg_buf_fini(&b);
}

static void test_escapes(void **state)
{
    (void)state;
    /* quotes, backslash, control bytes, valid UTF-8, invalid bytes, NUL inside */
    static const char in[] = "q\"b\\n\n\t\x01\x7f caf\xc3\xa9 bad\xff\xc3 end\0x";
    vg_buf_t b;
    vg_buf_init(&b, 0);
    vg_jw_t w;
    vg_jw_init(&w, &b);
    vg_jw_obj_open(&w);
    vg_jw_key(&w, "s");
    vg_jw_strn(&w, in, sizeof in - 1);
    vg_jw_obj_close(&w);
    json_t *j = parse(&b);
    assert_non_null(j);
    const char *s = json_string_value(json_object_get(j, "s"));
    assert_non_null(s);
    assert_true(strncmp(s, "q\"b\\n\n\t\x01\x7f caf\xc3\xa9 bad\xc3\xbf\xc3\x83", 23) == 0);
    assert_int_equal(json_string_length(json_object_get(j, "s")), 29);
    assert_memory_equal(json_string_value(json_object_get(j, "s")) + 23, " end\0x", 6);
    json_decref(j);
    vg_buf_fini(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_u64_dec),
        cmocka_unit_test(test_nested),
        cmocka_unit_test(test_escapes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
