/* test_detect_asn1.c — the asn1 keyword: its option grammar and errors (Suricata 7's), the BER
 * walk's edge cases (each checked against Suricata 7.0.10 on UDP payloads, see e2e_read_asn1
 * and docs/RULES.md), and the rule level: the packet payload decoded after the lists, relative
 * to where the payload match ended, whatever sticky buffer comes before. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "detect/rule_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect_fixture.h"

/* ---- options ---- */

static vg_asn1_t parse_ok(const char *v)
{
    vg_asn1_t a;
    char err[256];
    if (!vg_parse_asn1(v, &a, err, sizeof err))
        fail_msg("\"%s\" did not parse: %s", v, err);
    return a;
}

static void parse_bad(const char *v)
{
    vg_asn1_t a;
    char err[256] = "";
    if (vg_parse_asn1(v, &a, err, sizeof err))
        fail_msg("\"%s\" parsed", v);
    assert_true(err[0] != 0);
}

static void test_options(void **st)
{
    (void)st;
    vg_asn1_t a = parse_ok("bitstring_overflow");
    assert_int_equal(a.flags, VG_ASN1_BITSTRING_OVERFLOW);
    a = parse_ok("double_overflow, bitstring_overflow, relative_offset 54, oversize_length 2048");
    assert_int_equal(a.flags, VG_ASN1_DOUBLE_OVERFLOW | VG_ASN1_BITSTRING_OVERFLOW |
                                  VG_ASN1_RELATIVE | VG_ASN1_OVERSIZE);
    assert_int_equal(a.relative_offset, 54);
    assert_int_equal(a.oversize_length, 2048);
    a = parse_ok("oversize_length 1024 absolute_offset 10");
    assert_int_equal(a.flags, VG_ASN1_OVERSIZE | VG_ASN1_ABSOLUTE);
    assert_int_equal(a.absolute_offset, 10);
    a = parse_ok("\n\t double_overflow, oversize_length 4294967295 relative_offset -65535,\n "
                 "bitstring_overflow");
    assert_int_equal(a.oversize_length, 4294967295u);
    assert_int_equal(a.relative_offset, -65535);
    assert_int_equal(parse_ok("absolute_offset 65535").absolute_offset, 65535);
    assert_int_equal(parse_ok("relative_offset 65535").relative_offset, 65535);
    assert_int_equal(parse_ok("oversize_length 0").flags, VG_ASN1_OVERSIZE);
    assert_int_equal(parse_ok("bitstring_overflow,").flags, VG_ASN1_BITSTRING_OVERFLOW);
    assert_int_equal(parse_ok("oversize_length\t 7").oversize_length, 7);
    /* both offsets: accepted (the absolute one wins when matching) */
    a = parse_ok("absolute_offset 1, relative_offset 2");
    assert_int_equal(a.flags, VG_ASN1_ABSOLUTE | VG_ASN1_RELATIVE);
    /* options glued together in the grammar's order: only the first one counts (Suricata) */
    assert_int_equal(parse_ok("bitstring_overflowdouble_overflow").flags,
                     VG_ASN1_BITSTRING_OVERFLOW);
}

static void test_option_errors(void **st)
{
    (void)st;
    parse_bad("");
    parse_bad(" ");
    parse_bad("foo");
    parse_bad("oversize_length 1024, some_other_param 360");
    parse_bad("oversize_length 1024,,");
    parse_bad("bitstring_overflow, ");          /* a separator with nothing after it */
    parse_bad("bitstring_overflowabsolute_offset");
    parse_bad("oversize_length");
    parse_bad("oversize_length -1");
    parse_bad("oversize_length 4294967296");
    parse_bad("absolute_offset 65536");
    parse_bad("absolute_offset -1");
    parse_bad("relative_offset 65536");
    parse_bad("relative_offset -65536");
    parse_bad("relative_offset +5");
    parse_bad("relative_offset - 5");
    parse_bad("oversize_length 10 foo");

    /* at the rule level: errors, not skips; a quoted value is refused as Suricata does */
    assert_null(try_rule("udp", "asn1:;"));
    assert_null(try_rule("udp", "asn1;"));
    assert_null(try_rule("udp", "asn1:\"bitstring_overflow\";"));
    assert_null(try_rule("udp", "asn1:bitstring_overflow, nope;"));
    assert_int_equal(last_diag()->kind, VG_DIAG_FAILED);
    assert_non_null(try_rule("udp", "asn1:bitstring_overflow;"));
}

/* ---- the walk ---- */

static size_t unhex(const char *h, uint8_t *out)
{
    size_t n = 0;
    for (; h[0] && h[1]; h += 2) {
        while (*h == ' ')
            h++;
        unsigned v;
        if (sscanf(h, "%2x", &v) != 1)
            break;
        out[n++] = (uint8_t)v;
    }
    return n;
}

static bool M(const char *opts, const char *hex)
{
    static uint8_t buf[70000];
    size_t n = unhex(hex, buf);
    vg_asn1_t a = parse_ok(opts);
    return vg_asn1_match(&a, buf, (uint32_t)n, 0);
}

#define B "030110" /* a BIT STRING with 16 unused bits of 8 */

static void test_checks(void **st)
{
    (void)st;
    assert_true(M("bitstring_overflow", "030110"));
    assert_true(M("bitstring_overflow", "03010f"));
    assert_false(M("bitstring_overflow", "030107"));
    assert_false(M("bitstring_overflow", "03020110"));   /* 1 unused bit of 8 */
    assert_true(M("bitstring_overflow", "030211ff"));    /* 17 of 16 */
    assert_false(M("double_overflow", B));
    assert_false(M("oversize_length 0", "0500"));
    assert_true(M("oversize_length 0", "0401ff"));
    assert_false(M("oversize_length 1", "0401ff"));
    /* a class other than universal is no BIT STRING; only its length is looked at */
    assert_false(M("bitstring_overflow", "830110"));
    assert_true(M("oversize_length 2", "a003" B));
    assert_false(M("bitstring_overflow", "a003" B));     /* its content is opaque */
    assert_false(M("bitstring_overflow", "f003" B));     /* private too */
}

static void test_double_overflow(void **st)
{
    (void)st;
    char h[2 * 300 + 16];
    strcpy(h, "09820101");
    for (int i = 0; i < 257; i++)
        strcat(h, "05");
    assert_true(M("double_overflow", h));
    h[8] = '4'; /* first content byte 0x45: binary encoding */
    assert_false(M("double_overflow", h));
    strcpy(h, "09820100");
    for (int i = 0; i < 256; i++)
        strcat(h, "05");
    assert_false(M("double_overflow", h)); /* 256 bytes: not over */
}

static void test_walk_edges(void **st)
{
    (void)st;
    assert_false(M("bitstring_overflow", "0302ff"));              /* truncated */
    assert_false(M("bitstring_overflow", "03"));
    assert_false(M("bitstring_overflow", "0300" B));              /* empty BIT STRING */
    assert_false(M("bitstring_overflow", "2301ff" B));            /* constructed BIT STRING */
    assert_true(M("bitstring_overflow", "0500" B));               /* next object checked */
    assert_false(M("bitstring_overflow", "0100" B));              /* bad BOOLEAN stops */
    assert_true(M("bitstring_overflow", "2101ff" B));             /* constructed BOOLEAN ok */
    assert_true(M("bitstring_overflow", "0501ff" B));             /* NULL with content ok */
    assert_true(M("bitstring_overflow", "0001ff" B));             /* so is end-of-contents */
    /* SEQUENCE: definite children stop at the first that does not decode */
    assert_true(M("bitstring_overflow", "3003" B));
    assert_false(M("bitstring_overflow", "3005" "0100" B));
    assert_false(M("bitstring_overflow", "3003" "0500" B));       /* B past its end */
    assert_false(M("bitstring_overflow", "1003" B));              /* primitive SEQUENCE */
    /* indefinite lengths */
    assert_true(M("bitstring_overflow", "3080" B "0000"));
    assert_false(M("bitstring_overflow", "3080" B));              /* no end */
    assert_false(M("bitstring_overflow", "3080" "0100" B "0000"));  /* bad child fails it */
    assert_true(M("bitstring_overflow", "3080" "4000" B));        /* any class ends it */
    assert_false(M("bitstring_overflow", "3080" "0002" "0000" B)); /* a non-empty one does not */
    assert_false(M("bitstring_overflow", "0480" "0000" B));       /* primitive indefinite */
    assert_true(M("bitstring_overflow", "a080" "0000" B));
    assert_false(M("bitstring_overflow", "a080" B "0000"));
    assert_false(M("oversize_length 2", "6080" "0401ff" "0000")); /* indefinite: never oversize */
    assert_true(M("bitstring_overflow", "6080" "0000" B));
    /* lengths and tags */
    assert_false(M("bitstring_overflow", "04ff" B));
    assert_true(M("bitstring_overflow", "0489" "000000000000000001" "41" B));
    assert_false(M("bitstring_overflow", "0485" "0100000000" B)); /* over 32 bits */
    assert_true(M("bitstring_overflow", "1f8101" "02" "0000" B));  /* long-form tag 129 */
    assert_true(M("bitstring_overflow", "1f8080808101" "00" B));   /* five continuation bytes */
    assert_false(M("bitstring_overflow", "1f808080808101" "00" B)); /* six */
    assert_false(M("bitstring_overflow", "1f"));
    /* per-type content checks */
    assert_false(M("bitstring_overflow", "0c02c328" B));            /* invalid UTF-8 */
    assert_true(M("bitstring_overflow", "0c02c3a4" B));
    assert_false(M("bitstring_overflow", "1302417e" B));            /* '~' not printable */
    assert_false(M("bitstring_overflow", "12023141" B));            /* 'A' not numeric */
    assert_false(M("bitstring_overflow", "160180" B));              /* not IA5 */
    assert_false(M("bitstring_overflow", "1a02410a" B));            /* not visible */
    assert_false(M("bitstring_overflow", "1e03414243" B));          /* odd BMPString */
    assert_false(M("bitstring_overflow", "1e04d800dc00" B));        /* surrogates */
    assert_true(M("bitstring_overflow", "0a0500ffffffff" B));       /* ENUMERATED: 32 bits */
    assert_false(M("bitstring_overflow", "0a050100000000" B));
    assert_true(M("bitstring_overflow", "0600" B));                 /* OIDs unchecked */
    assert_true(M("bitstring_overflow", "2403" B B));               /* constructed OCTET STRING */
    assert_false(M("bitstring_overflow", "2c0141" B));              /* constructed UTF8String */
    assert_false(M("bitstring_overflow", "2a0101" B));              /* constructed ENUMERATED */
    assert_true(M("bitstring_overflow", "09024141" B));             /* unknown tag: skipped */
}

static void test_times(void **st)
{
    (void)st;
    static const struct { const char *s; bool ok; } utc[] = {
        {"9105062345Z", true}, {"910506234540Z", true}, {"910506234540+0100", true},
        {"910506234540-0130", true}, {"910230234540Z", true}, {"0000062345Z", true},
        {"910506234540+2400", true}, {"910506234540", false}, {"9105062345+0130", false},
        {"911306234540Z", false}, {"910532234540Z", false}, {"910506244540Z", false},
        {"910506236040Z", false}, {"910506234560Z", false}, {"910506234540Zx", false},
        {"910506234540.5Z", false}, {"91050623454Z", false}, {"123", false}, {"", false},
    };
    for (size_t i = 0; i < sizeof(utc) / sizeof(utc[0]); i++) {
        char h[128];
        int n = snprintf(h, sizeof h, "17%02zx", strlen(utc[i].s));
        for (const char *c = utc[i].s; *c; c++)
            n += snprintf(h + n, sizeof h - (size_t)n, "%02x", (unsigned char)*c);
        strcat(h, B);
        if (M("bitstring_overflow", h) != utc[i].ok)
            fail_msg("UTCTime \"%s\": wanted %s", utc[i].s, utc[i].ok ? "valid" : "invalid");
    }
    static const struct { const char *s; bool ok; } gen[] = {
        {"20210506234540Z", true}, {"202105062345Z", true}, {"20210506234540", true},
        {"20210506234540.123Z", true}, {"20210506234540,5Z", true}, {"20210506234540.Z", true},
        {"20210506234540.1234", true}, {"20210506234540+0100", true},
        {"20210506234540.12+0100", true}, {"20210006234540Z", true},
        {"20211506234540Z", false}, {"202105062345", false}, {"2021050623Z", false},
        {"202105062345+0100", false}, {"20210506234540.1111Z", false},
        {"20210506234540.11111", false}, {"20210506234540.", false},
        {"20210506234540+01", false}, {"20210506234560Z", false}, {"201", false}, {"", false},
    };
    for (size_t i = 0; i < sizeof(gen) / sizeof(gen[0]); i++) {
        char h[128];
        int n = snprintf(h, sizeof h, "18%02zx", strlen(gen[i].s));
        for (const char *c = gen[i].s; *c; c++)
            n += snprintf(h + n, sizeof h - (size_t)n, "%02x", (unsigned char)*c);
        strcat(h, B);
        if (M("bitstring_overflow", h) != gen[i].ok)
            fail_msg("GeneralizedTime \"%s\": wanted %s", gen[i].s,
                     gen[i].ok ? "valid" : "invalid");
    }
}

static void test_limits(void **st)
{
    (void)st;
    /* 256 objects at most: the 257th makes the whole payload no match */
    char *h = malloc(2 * 4 * 300 + 64);
    h[0] = 0;
    for (int i = 0; i < 255; i++)
        strcat(h, "0500");
    strcat(h, B);
    assert_true(M("bitstring_overflow", h));
    strcpy(h, "0500");
    for (int i = 0; i < 255; i++)
        strcat(h, "0500");
    strcat(h, B);
    assert_false(M("bitstring_overflow", h));
    strcpy(h, B);
    for (int i = 0; i < 255; i++)
        strcat(h, "0500");
    assert_true(M("bitstring_overflow", h));
    strcat(h, "ff"); /* a 257th object, even broken, is one too many */
    assert_false(M("bitstring_overflow", h));
    /* nesting: objects 49 levels deep are decoded, 50 are not */
    for (int depth = 48; depth <= 51; depth++) {
        h[0] = 0;
        for (int i = 0; i < depth; i++)
            strcat(h, "3080");
        strcat(h, B);
        for (int i = 0; i < depth; i++)
            strcat(h, "0000");
        if (M("bitstring_overflow", h) != (depth < 50))
            fail_msg("depth %d", depth);
    }
    free(h);
}

static void test_offsets(void **st)
{
    (void)st;
    uint8_t p[] = {0x41, 0x41, 0x03, 0x01, 0xff};
    vg_asn1_t a = parse_ok("bitstring_overflow");
    assert_false(vg_asn1_match(&a, p, sizeof p, 2)); /* no offset option: from 0 */
    a = parse_ok("bitstring_overflow, absolute_offset 2");
    assert_true(vg_asn1_match(&a, p, sizeof p, 0));
    a = parse_ok("bitstring_overflow, absolute_offset 5");
    assert_false(vg_asn1_match(&a, p, sizeof p, 0));  /* at the end */
    a = parse_ok("bitstring_overflow, relative_offset 0");
    assert_true(vg_asn1_match(&a, p, sizeof p, 2));
    assert_false(vg_asn1_match(&a, p, sizeof p, 1));
    a = parse_ok("bitstring_overflow, relative_offset -2");
    assert_true(vg_asn1_match(&a, p, sizeof p, 4));
    assert_false(vg_asn1_match(&a, p, sizeof p, 1));  /* before the payload */
    a = parse_ok("relative_offset 0, bitstring_overflow, absolute_offset 2");
    assert_true(vg_asn1_match(&a, p, sizeof p, 0));   /* absolute wins */
    assert_false(vg_asn1_match(&a, p, 0, 0));
    assert_false(vg_asn1_match(&a, NULL, 5, 0));
}

/* ---- rule level ---- */

static bool P(const char *opts, const char *data, size_t n)
{
    return on_buf_n(rule(opts), VG_DBUF_PAYLOAD, data, n);
}

static void test_rule_level(void **st)
{
    (void)st;
    const char pl[] = "AA\x03\x01\xff";
    assert_true(P("content:\"AA\"; asn1:bitstring_overflow, relative_offset 0;", pl, 5));
    assert_false(P("content:\"AA\"; asn1:bitstring_overflow, relative_offset 1;", pl, 5));
    assert_true(P("asn1:bitstring_overflow, absolute_offset 2;", pl, 5));
    assert_false(P("asn1:bitstring_overflow;", pl, 5));
    /* asn1 before the content: still judged after it, from where it ended */
    assert_true(P("asn1:bitstring_overflow, relative_offset 0; content:\"AA\";", pl, 5));
    /* after a sticky buffer: the payload is decoded, relative to the payload match */
    const vg_rule_t *r = rule("content:\"AA\"; http.uri; content:\"x\"; "
                              "asn1:bitstring_overflow, relative_offset 0;");
    vg_detect_input_t in;
    memset(&in, 0, sizeof(in));
    in.buf[VG_DBUF_PAYLOAD] = (const uint8_t *)pl;
    in.len[VG_DBUF_PAYLOAD] = 5;
    in.buf[VG_BUF_HTTP_URI] = (const uint8_t *)"x";
    in.len[VG_BUF_HTTP_URI] = 1;
    assert_true(vg_detect_eval_rule(th, r, &in));
    /* the content's last occurrence is not retried for asn1 (Suricata's packet match list
     * runs once, after the payload matched at its first place) */
    const char two[] = "AA\x05\x00" "AA\x03\x01\xff";
    assert_false(P("content:\"AA\"; asn1:bitstring_overflow, relative_offset 0;", two, 9));
    /* no payload: no match */
    assert_false(P("asn1:oversize_length 0;", "", 0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_options, setup, teardown),
        cmocka_unit_test_setup_teardown(test_option_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_checks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_double_overflow, setup, teardown),
        cmocka_unit_test_setup_teardown(test_walk_edges, setup, teardown),
        cmocka_unit_test_setup_teardown(test_times, setup, teardown),
        cmocka_unit_test_setup_teardown(test_limits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_offsets, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rule_level, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
