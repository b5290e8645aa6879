/* test_detect_base64.c — base64_decode / base64_data: the decoder (Suricata 7's relaxed mode,
 * vectors checked against 7.0.10 in e2e_read_base64), the keyword's value syntax and the
 * rule-level errors and skips, the evaluation (offset, relative, bytes, the decoded bytes as a
 * fresh buffer, no retry, sticky buffers) and the prefilter never using a decoded content. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "detect/detect.h"
#include "detect/prefilter_int.h"

#include <stdio.h>
#include <string.h>

/* private to src/detect (eval_int.h, which needs PCRE2's width macro) */
uint32_t vg_detect_base64_decode(const uint8_t *in, uint32_t n, uint8_t *out);

#include "detect_fixture.h"

static bool P(const char *opts, const char *data)
{
    return on_buf(rule(opts), VG_DBUF_PAYLOAD, data);
}

/* ---- the decoder ---- */

static void dec(const char *in, const char *want, uint32_t want_len)
{
    uint8_t out[128];
    uint32_t n = vg_detect_base64_decode((const uint8_t *)in, (uint32_t)strlen(in), out);
    if (n != want_len || memcmp(out, want, n) != 0)
        fail_msg("decoding \"%s\": %u bytes, wanted %u", in, n, want_len);
}
#define DEC(in, want) dec(in, want, sizeof(want) - 1)

static void test_decoder(void **st)
{
    (void)st;
    DEC("", "");
    DEC("Zg==", "f");
    DEC("Zm8=", "fo");
    DEC("Zm9v", "foo");
    DEC("Zm9vYmFy", "foobar");
    DEC("SGVsbG8gV29ybGQ=", "Hello World");
    /* padding counts as zero digits and decoding goes on after it */
    DEC("Zg==Zm8=", "ffo");
    DEC("SGVsbG8=SGVs", "HelloHel");
    DEC("====", "");
    /* an incomplete last group at the end: one byte less than its characters */
    DEC("SGVsb", "Hel");
    DEC("SGVsbG", "Hell");
    DEC("SGVsbG8", "Hello");
    DEC("Zg=", "f\0");
    /* an invalid character (whitespace too) ends the input; a group it cuts gives
     * max(1, characters - 1) bytes */
    DEC("SGVs bG8g", "Hel");
    DEC("QUJD\r\nREVG", "ABC");
    DEC("SGVsbG8*V29y", "Hello");
    DEC("SGVsb*", "Hel\x6c");
    DEC("SGVsbG*", "Hel\x6c");
    DEC("S*", "H");
    DEC("SGV=*", "He");
    DEC("*SGVs", "");
    DEC("SGVs\x80", "Hel");
}

/* ---- the keyword's value ---- */

static void test_value_syntax(void **st)
{
    (void)st;
    const vg_rule_t *r = rule("base64_decode; base64_data; content:\"x\";");
    assert_int_equal(r->lists[0].sm[0].type, VG_SM_BASE64_DECODE);
    assert_int_equal(r->lists[0].sm[0].u.b64.bytes, 65535);
    assert_int_equal(r->lists[0].sm[0].u.b64.offset, 0);
    assert_false(r->lists[0].sm[0].u.b64.relative);
    assert_int_equal(r->lists[0].sm[1].type, VG_SM_BASE64_DATA);
    assert_int_equal(r->lists[0].n_sm, 3);
    static const struct { const char *v; uint16_t bytes; uint32_t off; bool rel; } ok[] = {
        {"bytes 1", 1, 0, false},
        {"offset 9", 65535, 9, false},
        {"relative", 65535, 0, true},
        {"bytes 1, offset 2, relative", 1, 2, true},
        {"bytes 100 offset 9 relative", 100, 9, true},       /* commas are optional */
        {"offset 0,relative", 65535, 0, true},
        {"bytes 0", 65535, 0, false},                        /* 0: the default */
        {"bytes 65535, offset 4294967295", 65535, 4294967295u, false},
        {"relative, foo", 65535, 0, true},                   /* the rest is not looked at */
        {"bytes  20 ,  offset 9", 20, 0, false},             /* ... even an offset after " ," */
    };
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        char o[160];
        snprintf(o, sizeof o, "base64_decode:%s; base64_data; content:\"x\";", ok[i].v);
        r = rule(o);
        const vg_b64_t *b = &r->lists[0].sm[0].u.b64;
        assert_int_equal(b->bytes, ok[i].bytes);
        assert_int_equal(b->offset, ok[i].off);
        assert_int_equal(b->relative, ok[i].rel);
    }
    static const char *const bad[] = {
        "offset 2, bytes 1",    /* order is bytes, offset, relative */
        "bytes 70000",          /* 16 bits */
        "offset 4294967296",
        "BYTES 10",
        "bytes -1",
        "bytes",
        "relatve",
        "byts 1, offset 2",
        ",relative",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char o[160];
        snprintf(o, sizeof o, "base64_decode:%s; base64_data; content:\"x\";", bad[i]);
        assert_null(try_rule("tcp", o));
        assert_int_equal(last_diag()->kind, VG_DIAG_FAILED);
        assert_non_null(strstr(last_diag()->detail, "base64_decode"));
    }
}

/* ---- rule-level errors and skips ---- */

static void expect_diag(const char *opts, int kind, const char *needle)
{
    assert_null(try_rule("tcp", opts));
    assert_int_equal(last_diag()->kind, kind);
    if (!strstr(last_diag()->detail, needle) && !strstr(last_diag()->reason, needle))
        fail_msg("%s: %s (wanted '%s')", opts, last_diag()->detail, needle);
}

static void test_rule_errors(void **st)
{
    (void)st;
    /* errors, as in Suricata 7.0.10 */
    expect_diag("base64_data; content:\"x\";", VG_DIAG_FAILED, "without a preceding");
    expect_diag("base64_decode; base64_data; content:\"x\"; base64_data; content:\"y\";",
                VG_DIAG_FAILED, "without a preceding");
    expect_diag("base64_decode; base64_data; content:\"x\"; http.uri; content:\"y\";",
                VG_DIAG_FAILED, "cannot be reset");
    expect_diag("base64_decode; base64_data; content:\"x\"; http_uri;", VG_DIAG_FAILED,
                "sticky");
    expect_diag("base64_decode; base64_data; to_lowercase; content:\"x\";", VG_DIAG_FAILED,
                "transform");
    expect_diag("base64_decode; base64_data; nocase;", VG_DIAG_FAILED, "preceding content");
    expect_diag("base64_data:1; content:\"x\";", VG_DIAG_FAILED, "takes no value");
    /* valid for Suricata, but it would not inspect part of what is written: skipped */
    expect_diag("base64_decode; content:\"x\"; base64_data; content:\"y\";", VG_DIAG_SKIPPED,
                "between base64_decode and base64_data");
    expect_diag("base64_decode; base64_data; content:\"x\"; pkt_data; content:\"y\";",
                VG_DIAG_SKIPPED, "pkt_data after base64_data");
    expect_diag("base64_decode; base64_decode; base64_data; content:\"x\";", VG_DIAG_SKIPPED,
                "more than one base64_decode");
    expect_diag("base64_decode; base64_data; content:\"x\"; base64_decode; base64_data;",
                VG_DIAG_SKIPPED, "more than one base64_decode");
    /* in a sticky buffer, and in the list of the previous keyword's legacy buffer */
    const vg_rule_t *r = rule("http.request_body; content:\"a=\"; base64_decode:relative; "
                              "base64_data; content:\"x\";");
    assert_int_equal(r->n_lists, 1);
    assert_int_equal(r->lists[0].buf, VG_BUF_HTTP_REQUEST_BODY);
    assert_int_equal(r->lists[0].n_sm, 4);
    r = rule("content:\"a=\"; http_uri; base64_decode:relative; base64_data; content:\"x\";");
    assert_int_equal(r->n_lists, 1);
    assert_int_equal(r->lists[0].buf, VG_BUF_HTTP_URI);
    /* another buffer between base64_decode and base64_data is a list of its own */
    r = rule("base64_decode; http.uri; content:\"u\"; base64_data; content:\"x\";");
    assert_int_equal(r->n_lists, 2);
}

/* ---- evaluation ---- */

static void test_eval(void **st)
{
    (void)st;
    assert_true(P("base64_decode; base64_data; content:\"Hello World\";", "SGVsbG8gV29ybGQ="));
    assert_false(P("base64_decode; base64_data; content:\"Hello World\";", "xSGVsbG8gV29ybGQ="));
    /* no base64_data, or nothing after it: never a match (Suricata) */
    assert_false(P("base64_decode;", "SGVsbG8gV29ybGQ="));
    assert_false(P("base64_decode; base64_data;", "SGVsbG8gV29ybGQ="));
    /* relative to the previous match; offset counted from there */
    assert_true(P("content:\"AUTH:\"; base64_decode:relative; base64_data; content:\"Hello\"; "
                  "startswith;", "xxxxAUTH:SGVsbG8gV29ybGQ="));
    assert_true(P("content:\"xxxx\"; base64_decode:offset 5,relative; base64_data; "
                  "content:\"Hello\"; startswith;", "xxxxAUTH:SGVsbG8gV29ybGQ="));
    assert_false(P("content:\"xxxx\"; base64_decode:offset 4,relative; base64_data; "
                   "content:\"Hello\";", "xxxxAUTH:SGVsbG8gV29ybGQ="));
    /* without relative, offset is from the buffer's start, whatever matched before */
    assert_true(P("content:\"AUTH\"; base64_decode:offset 9; base64_data; content:\"World\";",
                  "xxxxAUTH:SGVsbG8gV29ybGQ="));
    /* an offset at or past the end: no match */
    assert_false(P("base64_decode:offset 3; base64_data; content:!\"x\";", "abc"));
    assert_true(P("base64_decode:offset 2; base64_data; content:!\"x\";", "abQUJD"));
    /* bytes limits the input: 4 characters give 3 bytes, 6 give 4 */
    assert_true(P("base64_decode:bytes 4; base64_data; content:\"Hel\"; isdataat:!3;",
                  "SGVsbG8gV29ybGQ="));
    assert_true(P("base64_decode:bytes 6; base64_data; content:\"Hell\"; isdataat:!4;",
                  "SGVsbG8gV29ybGQ="));
    /* the decoded bytes are a buffer of their own: absolute and relative positions start at
     * their beginning (Suricata >= 7.0.15; suricata-verify bug-7842-01) */
    assert_true(P("content:\"'\"; base64_decode:relative; base64_data; content:\"Hel\"; "
                  "within:3;", "AAAA'SGVsbG8gV29ybGQ="));
    assert_true(P("content:\"'\"; base64_decode:relative; base64_data; content:\"Hello\"; "
                  "depth:5; content:\"World\"; distance:1; within:5;", "AAAA'SGVsbG8gV29ybGQ="));
    /* byte_test, pcre (relative too), isdataat on the decoded bytes */
    assert_true(P("base64_decode; base64_data; byte_test:2,=,16,0; content:\"ABCD\"; "
                  "distance:0;", "ABBBQUJDRA=="));
    assert_true(P("base64_decode; base64_data; content:\"Hello\"; pcre:\"/^\\s+World$/R\";",
                  "SGVsbG8gV29ybGQ="));
    assert_false(P("base64_decode; base64_data; content:\"Hello\"; pcre:\"/^World/R\";",
                   "SGVsbG8gV29ybGQ="));
    /* a failure after base64_decode does not retry the content before it */
    assert_false(P("content:\"A:\"; base64_decode:relative; base64_data; content:\"Hello\";",
                   "A:!!!! A:SGVsbG8="));
    assert_true(P("content:\"A:\"; distance:5; base64_decode:relative; base64_data; "
                  "content:\"Hello\";", "A:!!!! A:SGVsbG8="));
    /* nothing decoded: no match, even for a negated content */
    assert_false(P("base64_decode; base64_data; content:!\"x\";", "*abc"));
    /* in a sticky buffer */
    const vg_rule_t *r = rule("http.request_body; content:\"SAMLResponse=\"; startswith; "
                              "base64_decode:relative; base64_data; content:\"getruntime\"; "
                              "nocase;");
    assert_true(on_buf(r, VG_BUF_HTTP_REQUEST_BODY, "SAMLResponse=LmdldFJ1bnRpbWUo"));
    assert_false(on_buf(r, VG_DBUF_PAYLOAD, "SAMLResponse=LmdldFJ1bnRpbWUo"));
    /* the other lists of the rule must still match */
    r = rule("http.uri; content:\"/x\"; http.request_body; base64_decode; base64_data; "
             "content:\"Hel\";");
    vg_detect_input_t in;
    memset(&in, 0, sizeof(in));
    in.buf[VG_BUF_HTTP_REQUEST_BODY] = (const uint8_t *)"SGVs";
    in.len[VG_BUF_HTTP_REQUEST_BODY] = 4;
    assert_false(vg_detect_eval_rule(th, r, &in));
    in.buf[VG_BUF_HTTP_URI] = (const uint8_t *)"/x";
    in.len[VG_BUF_HTTP_URI] = 2;
    assert_true(vg_detect_eval_rule(th, r, &in));
}

/* The prefilter takes a pattern from before base64_decode only, even when a decoded content is
 * longer or marked fast_pattern (Suricata accepts fast_pattern there and does not use it). */
static void test_prefilter_pattern(void **st)
{
    (void)st;
    const vg_rule_t *r = rule("content:\"AUTH\"; base64_decode:relative; base64_data; "
                              "content:\"a much longer decoded pattern\"; fast_pattern;");
    vg_pf_pattern_t p;
    assert_true(vg_pf_pick_pattern(r, VG_DBUF_PAYLOAD, &p));
    assert_int_equal(p.len, 4);
    assert_memory_equal(p.pat, "AUTH", 4);
    r = rule("base64_decode; base64_data; content:\"decoded\";");
    assert_false(vg_pf_pick_pattern(r, VG_DBUF_PAYLOAD, &p)); /* an always-rule */
    /* and a decoded content's depth does not make the rule packet-bound */
    r = rule("content:\"AUTH\"; base64_decode:relative; base64_data; content:\"x\"; depth:1;");
    assert_false(r->flags & VG_RULE_REQ_PACKET);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decoder),
        cmocka_unit_test_setup_teardown(test_value_syntax, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rule_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_eval, setup, teardown),
        cmocka_unit_test_setup_teardown(test_prefilter_pattern, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
