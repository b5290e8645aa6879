/* The collector's event scanner (src/collect/evscan.c): the columns it takes, escapes, what it
 * refuses, and agreement with jansson on what is valid JSON. */
#include "collect/evscan.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* allocations of one test, freed at its end */
static void *blocks[4096];
static size_t n_blocks;
static void *talloc(size_t n)
{
    assert_true(n_blocks < 4096);
    return blocks[n_blocks++] = malloc(n);
}
static void tfree(void)
{
    while (n_blocks)
        free(blocks[--n_blocks]);
}

static const char *scan(const char *json, ev_cols_t *c)
{
    return vg_evscan(json, strlen(json), c, talloc);
}

static const char ALERT[] =
    "{\"timestamp\":\"2023-11-14T22:13:20.000407+0000\",\"flow_id\":1,\"event_type\":\"alert\","
    "\"src_ip\":\"203.0.113.5\",\"src_port\":40000,\"dest_ip\":\"10.0.0.20\",\"dest_port\":80,"
    "\"proto\":\"TCP\",\"alert\":{\"action\":\"allowed\",\"gid\":1,\"signature_id\":2019401,"
    "\"rev\":3,\"signature\":\"ET SCAN \\\"quoted\\\" caf\\u00e9 \\ud83d\\ude00\","
    "\"category\":\"Attempted Information Leak\",\"severity\":2,\"metadata\":{\"a\":[1,2.5e3,"
    "null,true,false,{\"x\":[]}]}},\"vigil\":{\"category\":\"scanning\",\"counted\":true,"
    "\"attacker\":{\"ip\":\"203.0.113.5\",\"country\":\"NL\",\"verified\":false},"
    "\"victim\":{\"ip\":\"10.0.0.20\",\"country\":\"??\"}}}";

static void test_columns(void **state)
{
    (void)state;
    ev_cols_t c;
    assert_null(scan(ALERT, &c));
    assert_string_equal(ev_str(&c, EV_TIMESTAMP), "2023-11-14T22:13:20.000407+0000");
    assert_string_equal(ev_str(&c, EV_EVENT_TYPE), "alert");
    assert_string_equal(ev_str(&c, EV_SRC_IP), "203.0.113.5");
    assert_int_equal(c.v[EV_SRC_PORT].type, EVV_INT);
    assert_int_equal(c.v[EV_SRC_PORT].i, 40000);
    assert_int_equal(c.v[EV_DEST_PORT].i, 80);
    assert_string_equal(ev_str(&c, EV_PROTO), "TCP");
    assert_int_equal(c.v[EV_SIG_ID].i, 2019401);
    assert_string_equal(ev_str(&c, EV_SIGNATURE), "ET SCAN \"quoted\" caf\xc3\xa9 \xf0\x9f\x98\x80");
    assert_string_equal(ev_str(&c, EV_CATEGORY), "Attempted Information Leak");
    assert_int_equal(c.v[EV_SEVERITY].i, 2);
    assert_string_equal(ev_str(&c, EV_VG_CATEGORY), "scanning");
    assert_int_equal(c.v[EV_COUNTED].type, EVV_TRUE);
    assert_string_equal(ev_str(&c, EV_ATT_IP), "203.0.113.5");
    assert_string_equal(ev_str(&c, EV_ATT_COUNTRY), "NL");
    assert_string_equal(ev_str(&c, EV_VIC_COUNTRY), "??");
    /* a flow: no alert fields; "alert" of another type; a port that is not an integer */
    assert_null(scan("{\"timestamp\":\"t\",\"event_type\":\"flow\",\"src_port\":1.5,"
                     "\"dest_port\":\"80\",\"alert\":[1],\"vigil\":{\"counted\":1}}", &c));
    assert_int_equal(c.v[EV_SRC_PORT].type, EVV_OTHER);
    assert_int_equal(c.v[EV_DEST_PORT].type, EVV_STR);
    assert_int_equal(c.v[EV_SIG_ID].type, EVV_ABSENT);
    assert_int_equal(c.v[EV_COUNTED].type, EVV_INT);
    assert_null(ev_str(&c, EV_SRC_IP));
    /* integers beyond int64 are kept as text, not as a column */
    assert_null(scan("{\"src_port\":99999999999999999999,\"dest_port\":-9223372036854775808}", &c));
    assert_int_equal(c.v[EV_SRC_PORT].type, EVV_OTHER);
    assert_int_equal(c.v[EV_DEST_PORT].type, EVV_INT);
    assert_true(c.v[EV_DEST_PORT].i == INT64_MIN);
    /* an escaped key is the same key */
    assert_null(scan("{\"\\u0073rc_ip\":\"1.2.3.4\"}", &c));
    assert_string_equal(ev_str(&c, EV_SRC_IP), "1.2.3.4");
    /* keys repeated where Vigil does not read are stored as sent */
    assert_null(scan("{\"flow\":{\"a\":1,\"a\":2},\"x\":1,\"x\":2}", &c));
    tfree();
}

static void test_refused(void **state)
{
    (void)state;
    const char *bad[] = {
        "", "[]", "\"x\"", "{", "{\"a\"}", "{\"a\":}", "{\"a\":1,}", "{\"a\":[1,]}", "{a:1}",
        "{\"a\":01}", "{\"a\":1.}", "{\"a\":-}", "{\"a\":1e}", "{\"a\":.5}", "{\"a\":tru}",
        "{\"a\":\"\x01\"}", "{\"a\":\"\\x\"}", "{\"a\":\"\\u12g4\"}", "{\"a\":\"abc}",
        "{\"a\":1} x", "{\"a\":1}{}", "{\"a\":\"\xff\"}", "{\"a\":\"\xc0\xaf\"}",
        "{\"src_ip\":\"a\",\"src_ip\":\"b\"}", "{\"alert\":{\"signature\":\"a\",\"signature\":1}}",
        "{\"signature\":1,\"vigil\":{},\"vigil\":{}}",
        "{\"src_ip\":\"\\u0000\"}", "{\"src_ip\":\"\\ud800\"}", "{\"src_ip\":\"\\udc00x\"}",
    };
    ev_cols_t c;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *why = scan(bad[i], &c);
        if (!why)
            fail_msg("accepted: %s", bad[i]);
    }
    /* a NUL byte inside */
    assert_non_null(vg_evscan("{\"a\":\"x\0y\"}", 11, &c, talloc));
    /* nesting: 512 levels are fine, 513 are not */
    char deep[2 * 520 + 16];
    for (int depth = 511; depth <= 512; depth++) {
        size_t k = 0;
        deep[k++] = '{';
        deep[k++] = '"';
        deep[k++] = 'a';
        deep[k++] = '"';
        deep[k++] = ':';
        for (int i = 0; i < depth; i++)
            deep[k++] = '[';
        for (int i = 0; i < depth; i++)
            deep[k++] = ']';
        deep[k++] = '}';
        deep[k] = '\0';
        const char *why = scan(deep, &c);
        if (depth == 511)
            assert_null(why);
        else
            assert_non_null(why);
    }
    tfree();
}

/* Every mutation of a real event that jansson refuses is refused too, and what jansson accepts
 * (duplicates aside: jansson is asked to accept them) the scanner accepts, with the same
 * columns. */
static void test_agrees_with_jansson(void **state)
{
    (void)state;
    srand(7);
    size_t n = strlen(ALERT);
    char *m = malloc(n + 2);
    unsigned checked = 0;
    for (int round = 0; round < 20000; round++) {
        memcpy(m, ALERT, n + 1);
        size_t len = n;
        int edits = 1 + rand() % 3;
        for (int e = 0; e < edits && len > 0; e++) {
            size_t at = (size_t)rand() % len;
            const char pool[] = "{}[],:\"\\ 0123456789.eE+-tfnul\x01\x7f";
            switch (rand() % 3) {
            case 0: m[at] = pool[rand() % (sizeof pool - 1)]; break;
            case 1: memmove(m + at, m + at + 1, len - at); len--; break;
            default: len = at; m[len] = '\0';
            }
        }
        json_error_t je;
        json_t *j = json_loadb(m, len, 0, &je);
        ev_cols_t c;
        const char *why = vg_evscan(m, len, &c, talloc);
        if (j && !json_is_object(j)) {
            assert_non_null(why);
        } else if (j) {
            if (why)
                fail_msg("refused (%s) what jansson reads: %.*s", why, (int)len, m);
            json_t *sig = json_object_get(json_object_get(j, "alert"), "signature_id");
            if (json_is_integer(sig) && c.v[EV_SIG_ID].type == EVV_INT)
                assert_true(json_integer_value(sig) == c.v[EV_SIG_ID].i);
            else
                assert_int_not_equal(c.v[EV_SIG_ID].type, EVV_INT);
            checked++;
        } else if (!why && !strstr(m, "\\u")) {
            fail_msg("accepted what jansson refuses (%s): %.*s", je.text, (int)len, m);
        }
        json_decref(j);
        tfree();
    }
    assert_true(checked > 100);
    free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_columns),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_agrees_with_jansson),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
