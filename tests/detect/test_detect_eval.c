/* test_eval.c — the reference evaluator, keyword by keyword, against Suricata's semantics:
 * content windows, relative matching with retries, pcre flags and limits, byte_*, isdataat,
 * bsize/dsize/urilen, transforms, header and packet keywords, flow variables, thresholds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "detect/detect.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect_fixture.h"

/* payload-only evaluation (no packet header) */
static bool pay(const char *opts, const char *data, size_t n)
{
    return on_buf_n(rule(opts), VG_DBUF_PAYLOAD, data, n);
}
#define P(opts, s) pay(opts, s, sizeof(s) - 1)

static bool buf(const char *opts, int b, const char *data)
{
    return on_buf(rule(opts), b, data);
}

static void test_content_basic(void **st)
{
    (void)st;
    assert_true(P("content:\"abc\";", "xxabcxx"));
    assert_false(P("content:\"ABC\";", "xxabcxx"));
    assert_true(P("content:\"ABC\"; nocase;", "xxabcxx"));
    assert_true(P("content:\"|00 01|z\";", "a\x00\x01z"));
    assert_true(P("content:!\"zzz\";", "abc"));
    assert_false(P("content:!\"abc\";", "xabc"));
    assert_false(P("content:\"abc\";", ""));
}

static void test_content_depth_offset(void **st)
{
    (void)st;
    assert_true(P("content:\"abc\"; depth:3;", "abcd"));
    assert_false(P("content:\"abc\"; depth:3;", "xabc"));
    /* depth counts from offset (Suricata stores offset+depth) */
    assert_true(P("content:\"abc\"; offset:2; depth:3;", "xxabc"));
    assert_false(P("content:\"abc\"; offset:2; depth:3;", "xxxabc"));
    assert_false(P("content:\"abc\"; offset:1;", "abcx"));
    assert_true(P("content:\"ab\"; startswith;", "abx"));
    assert_false(P("content:\"ab\"; startswith;", "xab"));
    assert_true(P("content:\"ab\"; endswith;", "xxab"));
    assert_false(P("content:\"ab\"; endswith;", "abx"));
    /* endswith looks at later occurrences */
    assert_true(P("content:\"ab\"; endswith;", "abxab"));
    /* negated content with depth: absent within the window matches */
    assert_true(P("content:!\"ab\"; depth:3;", "xxxab"));
    assert_false(P("content:!\"ab\"; depth:3;", "xab"));
}

static void test_content_relative(void **st)
{
    (void)st;
    assert_true(P("content:\"a\"; content:\"c\"; distance:1;", "abc"));
    assert_false(P("content:\"a\"; content:\"c\"; distance:2;", "abc"));
    assert_true(P("content:\"a\"; content:\"b\"; within:1;", "ab"));
    assert_false(P("content:\"a\"; content:\"c\"; within:1;", "abc"));
    assert_true(P("content:\"a\"; content:\"c\"; distance:1; within:1;", "abc"));
    /* negative distance looks back */
    assert_true(P("content:\"bc\"; content:\"ab\"; distance:-3; within:2;", "abc"));
    /* retry: the first "a" fails the within, the second succeeds */
    assert_true(P("content:\"a\"; content:\"b\"; within:1;", "axxab"));
    /* three-level retry */
    assert_true(P("content:\"a\"; content:\"b\"; within:1; content:\"c\"; within:1;",
                  "abxabyabc"));
    assert_false(P("content:\"a\"; content:\"b\"; within:1; content:\"c\"; within:1;",
                   "abxabyab"));
    /* relative negated content */
    assert_true(P("content:\"a\"; content:!\"b\"; within:1;", "ac"));
    assert_false(P("content:\"a\"; content:!\"b\"; within:1;", "ab"));
    /* relative + endswith */
    assert_true(P("content:\"a\"; content:\"z\"; distance:0; endswith;", "a-z-z"));
    /* relative to the last match, not the first */
    assert_false(P("content:\"x\"; content:\"y\"; content:\"x\"; distance:0; within:1;", "xyz"));
}

static void test_isdataat(void **st)
{
    (void)st;
    assert_true(P("isdataat:3;", "abcd"));
    assert_false(P("isdataat:4;", "abcd"));
    assert_true(P("isdataat:!4;", "abcd"));
    assert_true(P("content:\"ab\"; isdataat:2,relative;", "abcd"));
    assert_false(P("content:\"ab\"; isdataat:3,relative;", "abcd"));
    assert_true(P("content:\"ab\"; isdataat:!1,relative;", "xab"));
    /* relative isdataat retries the content */
    assert_true(P("content:\"ab\"; isdataat:3,relative;", "abxabcde"));
}

static void test_pcre_eval(void **st)
{
    (void)st;
    assert_true(P("pcre:\"/a.c/\";", "xxabcxx"));
    assert_false(P("pcre:\"/A.C/\";", "xxabcxx"));
    assert_true(P("pcre:\"/A.C/i\";", "xxabcxx"));
    assert_false(P("pcre:\"/^abc/\";", "xabc"));
    assert_true(P("pcre:!\"/zzz/\";", "abc"));
    assert_false(P("pcre:!\"/abc/\";", "xabc"));
    assert_true(P("pcre:\"/a\\nb/s\";", "a\nb"));
    assert_true(P("pcre:\"/^b/m\";", "a\nb"));
    /* relative: anchored at the end of the previous match */
    assert_true(P("content:\"GET \"; pcre:\"/^\\/x/R\";", "GET /x"));
    assert_false(P("content:\"GET \"; pcre:\"/^\\/x/R\";", "GET  /x"));
    /* pcre followed by a relative content: retried at the next pcre match */
    assert_true(P("pcre:\"/a\\d/\"; content:\"z\"; within:1;", "a1xa2z"));
    assert_false(P("pcre:\"/a\\d/\"; content:\"z\"; within:1;", "a1xa2y"));
    /* content followed by a relative pcre: the content is retried */
    assert_true(P("content:\"k=\"; pcre:\"/^\\d+/R\";", "k=x k=12"));
}

static void test_pcre_limits(void **st)
{
    (void)st;
    char data[64];
    memset(data, 'a', sizeof(data));
    data[sizeof(data) - 1] = 'c';
    assert_false(pay("pcre:\"/(a+)+$/\";", data, sizeof(data)));
    const vg_detect_counters_t *c = vg_detect_thread_counters(th);
    assert_true(c->pcre_limit_hits >= 1);
    assert_true(c->pcre_calls >= 1);
}

static void test_byte_test(void **st)
{
    (void)st;
    assert_true(P("byte_test:2,=,258,0;", "\x01\x02"));
    assert_true(P("byte_test:2,=,513,0,little;", "\x01\x02"));
    assert_true(P("byte_test:2,>,257,0;", "\x01\x02"));
    assert_false(P("byte_test:2,<,258,0;", "\x01\x02"));
    assert_true(P("byte_test:2,!=,1,0;", "\x01\x02"));
    assert_true(P("byte_test:1,&,2,1;", "\x00\x02"));
    assert_false(P("byte_test:3,=,0,0;", "\x01\x02"));       /* beyond the buffer */
    assert_true(P("byte_test:3,=,123,0,string,dec;", "123x"));
    assert_true(P("byte_test:2,=,255,0,string,hex;", "ffx"));
    assert_true(P("byte_test:0,=,0,0,string,dec;", "0"));      /* nbytes 0: all digits */
    assert_false(P("byte_test:2,=,1,0,string,dec;", "xx"));
    assert_true(P("byte_test:2,=,15,0,bitmask 0x0f00;", "\x0f\xff"));
    assert_true(P("content:\"L\"; byte_test:1,=,7,0,relative;", "xL\x07"));
    assert_false(P("content:\"L\"; byte_test:1,=,7,1,relative;", "xL\x07"));
    /* relative byte_test retries the content */
    assert_true(P("content:\"L\"; byte_test:1,=,7,0,relative;", "L\x01L\x07"));
}

static void test_byte_jump_extract_math(void **st)
{
    (void)st;
    /* jump over a 2-byte length then match */
    assert_true(P("byte_jump:1,0; content:\"Z\"; within:1;", "\x02xxZ"));
    assert_false(P("byte_jump:1,0; content:\"Z\"; within:1;", "\x01xxZ"));
    assert_true(P("byte_jump:1,0,multiplier 2; content:\"Z\"; within:1;", "\x01xxZ"));
    assert_true(P("byte_jump:1,0,align; content:\"Z\"; within:1;", "\x01xxxxZ"));
    assert_true(P("byte_jump:1,0,from_beginning; content:\"Z\"; within:1;", "\x02xZ"));
    assert_true(P("byte_jump:1,0,post_offset 1; content:\"Z\"; within:1;", "\x01xxZ"));
    assert_true(P("byte_jump:0,0,from_end,post_offset -1; content:\"Z\"; within:1;", "abcZ"));
    assert_false(P("byte_jump:1,0;", "\x09xx"));               /* beyond the end */
    assert_true(P("byte_jump:1,0;", "\x02xx"));                 /* exactly at the end */
    assert_true(P("byte_jump:2,0,string,dec; content:\"Z\"; within:1;", "03abcZ"));
    /* byte_extract feeds depth / distance / byte_test */
    assert_true(P("byte_extract:1,0,n; content:\"Z\"; distance:n; within:1;", "\x02xxZ"));
    assert_false(P("byte_extract:1,0,n; content:\"Z\"; distance:n; within:1;", "\x01xxZ"));
    assert_true(P("byte_extract:1,0,n; content:\"ab\"; depth:n;", "\x03" "ab"));
    assert_false(P("byte_extract:1,0,n; content:\"ab\"; depth:n;", "\x01" "ab"));
    assert_true(P("byte_extract:1,0,n; byte_test:1,=,n,0,relative;", "\x05\x05"));
    assert_true(P("byte_extract:1,0,n,multiplier 2; byte_test:1,=,n,1;", "\x02\x04"));
    assert_true(P("byte_extract:2,0,n,string,dec; isdataat:!n,relative;", "05abc"));
    /* byte_math */
    assert_true(P("byte_math:bytes 1,offset 0,oper +,rvalue 3,result s; byte_test:1,=,s,1;",
                  "\x02\x05"));
    assert_true(P("byte_math:bytes 1,offset 0,oper <<,rvalue 2,result s; byte_test:1,=,s,1;",
                  "\x02\x08"));
    assert_false(P("byte_math:bytes 1,offset 0,oper /,rvalue 0,result s;", "\x02"));
}

static void test_sizes(void **st)
{
    (void)st;
    assert_true(buf("http.uri; bsize:3;", VG_BUF_HTTP_URI, "/ab"));
    assert_false(buf("http.uri; bsize:>3;", VG_BUF_HTTP_URI, "/ab"));
    assert_true(buf("http.uri; bsize:2<>5;", VG_BUF_HTTP_URI, "/ab"));
    assert_true(buf("http.uri; content:\"/a\"; bsize:<=10;", VG_BUF_HTTP_URI, "/ab"));
    assert_true(buf("urilen:3;", VG_BUF_HTTP_URI, "/ab"));
    assert_false(buf("urilen:>3;", VG_BUF_HTTP_URI, "/ab"));
    assert_false(buf("urilen:3,raw;", VG_BUF_HTTP_URI, "/ab")); /* raw buffer absent */
    /* dsize needs the packet */
    const vg_rule_t *r = rule("dsize:4;");
    vg_packet_t p;
    memset(&p, 0, sizeof(p));
    p.ip_ver = 4;
    p.proto = 6;
    p.payload_len = 4;
    vg_detect_input_t in;
    memset(&in, 0, sizeof(in));
    in.pkt = &p;
    assert_true(vg_detect_eval_rule(th, r, &in));
    p.payload_len = 5;
    assert_false(vg_detect_eval_rule(th, r, &in));
}

static void test_transforms(void **st)
{
    (void)st;
    assert_true(buf("dns.query; dotprefix; content:\".evil.com\"; endswith;", VG_BUF_DNS_QUERY,
                    "evil.com"));
    assert_true(buf("dns.query; dotprefix; content:\".evil.com\"; endswith;", VG_BUF_DNS_QUERY,
                    "a.evil.com"));
    assert_false(buf("dns.query; dotprefix; content:\".evil.com\"; endswith;", VG_BUF_DNS_QUERY,
                     "notevil.com"));
    assert_true(buf("http.uri; to_lowercase; content:\"abc\";", VG_BUF_HTTP_URI, "/ABC"));
    assert_true(buf("http.uri; to_uppercase; content:\"ABC\";", VG_BUF_HTTP_URI, "/abc"));
    assert_true(buf("http.uri; strip_whitespace; content:\"abc\";", VG_BUF_HTTP_URI, "a b\tc"));
    assert_true(buf("http.uri; compress_whitespace; content:\"a b\";", VG_BUF_HTTP_URI, "a   b"));
    assert_true(buf("http.uri; url_decode; content:\"/a b?\";", VG_BUF_HTTP_URI, "/a+b%3F"));
    assert_true(buf("http.uri; url_decode; content:\"%zz\";", VG_BUF_HTTP_URI, "%zz"));
    /* md5("abc") = 900150983cd24fb0d6963f7d28e17f72 */
    assert_true(buf("http.uri; to_md5; content:\"|90 01 50 98 3c d2 4f b0 d6 96 3f 7d 28 e1 7f 72|\";"
                    " bsize:16;", VG_BUF_HTTP_URI, "abc"));
    assert_true(buf("http.uri; xor:\"01\"; content:\"``\";", VG_BUF_HTTP_URI, "aa"));
    /* transforms stack in order */
    assert_true(buf("http.host; strip_whitespace; dotprefix; content:\".ab\"; bsize:3;",
                    VG_BUF_HTTP_HOST, " a b"));
}

static void test_app_buffers(void **st)
{
    (void)st;
    assert_true(buf("content:\"/adm\"; http_uri; nocase;", VG_BUF_HTTP_URI, "/ADMIN"));
    assert_true(buf("http.uri; content:\"/adm\"; nocase;", VG_BUF_HTTP_URI, "/ADMIN"));
    assert_true(buf("pcre:\"/^\\/adm/Ui\";", VG_BUF_HTTP_URI, "/ADMIN"));
    assert_false(buf("http.uri; content:\"x\";", VG_BUF_HTTP_HOST, "x"));
    /* http.header without a direction also inspects the response headers */
    assert_true(buf("http.header; content:\"Server: x\";", VG_BUF_HTTP_RESPONSE_HEADER,
                    "Server: x\r\n"));
    assert_true(buf("file_data; content:\"MZ\";", VG_BUF_HTTP_RESPONSE_BODY, "MZ\x90"));
    assert_true(buf("file_data; content:\"MZ\";", VG_BUF_HTTP_REQUEST_BODY, "MZ\x90"));
    /* ... each direction its own side's body: the response in the to-client pass, the request
     * in the to-server pass, so that the alert has the direction of the match */
    {
        const vg_rule_t *fr = rule("file_data; content:\"MZ\";");
        vg_detect_input_t fi;
        memset(&fi, 0, sizeof(fi));
        fi.buf[VG_BUF_HTTP_RESPONSE_BODY] = (const uint8_t *)"MZ\x90";
        fi.len[VG_BUF_HTTP_RESPONSE_BODY] = 3;
        fi.flow = VG_DIN_HAS_FLOW | VG_DIN_ESTABLISHED | VG_DIN_TOCLIENT;
        assert_true(vg_detect_eval_rule(th, fr, &fi));
        fi.flow = VG_DIN_HAS_FLOW | VG_DIN_ESTABLISHED | VG_DIN_TOSERVER;
        assert_false(vg_detect_eval_rule(th, fr, &fi));
        fi.buf[VG_BUF_HTTP_REQUEST_BODY] = (const uint8_t *)"MZ";
        fi.len[VG_BUF_HTTP_REQUEST_BODY] = 2;
        assert_true(vg_detect_eval_rule(th, fr, &fi));
    }
    /* legacy tls.issuerdn / tls.subject: substring of the certificate field, negatable */
    assert_true(buf("tls.issuerdn:\"O=Stamus\";", VG_BUF_TLS_CERT_ISSUER, "C=FR, O=Stamus, CN=x"));
    assert_false(buf("tls.issuerdn:\"o=stamus\";", VG_BUF_TLS_CERT_ISSUER, "C=FR, O=Stamus"));
    assert_false(buf("tls.issuerdn:!\"O=Stamus\";", VG_BUF_TLS_CERT_ISSUER, "C=FR, O=Stamus"));
    assert_true(buf("tls.subject:!\"CN=evil\";", VG_BUF_TLS_CERT_SUBJECT, "CN=good"));
    assert_false(buf("tls.subject:\"CN=good\";", VG_BUF_TLS_CERT_ISSUER, "CN=good"));
    /* it leaves the payload as the target of the next content */
    {
        const vg_rule_t *lr = rule("tls.subject:\"CN=a\"; content:\"hi\";");
        vg_detect_input_t li;
        memset(&li, 0, sizeof(li));
        li.buf[VG_BUF_TLS_CERT_SUBJECT] = (const uint8_t *)"CN=a hi";
        li.len[VG_BUF_TLS_CERT_SUBJECT] = 7;
        li.buf[VG_DBUF_PAYLOAD] = (const uint8_t *)"xx";
        li.len[VG_DBUF_PAYLOAD] = 2;
        assert_false(vg_detect_eval_rule(th, lr, &li));
        li.buf[VG_DBUF_PAYLOAD] = (const uint8_t *)"hi";
        assert_true(vg_detect_eval_rule(th, lr, &li));
    }
    /* lists are ANDed */
    const vg_rule_t *r = rule("http.method; content:\"POST\"; http.uri; content:\"/x\";");
    vg_detect_input_t in;
    memset(&in, 0, sizeof(in));
    in.buf[VG_BUF_HTTP_METHOD] = (const uint8_t *)"POST";
    in.len[VG_BUF_HTTP_METHOD] = 4;
    assert_false(vg_detect_eval_rule(th, r, &in));
    in.buf[VG_BUF_HTTP_URI] = (const uint8_t *)"/x";
    in.len[VG_BUF_HTTP_URI] = 2;
    assert_true(vg_detect_eval_rule(th, r, &in));
}

static vg_packet_t mkpkt(const char *src, uint16_t sp, const char *dst, uint16_t dp)
{
    vg_packet_t p;
    memset(&p, 0, sizeof(p));
    p.ip_ver = 4;
    p.proto = 6;
    inet_pton(AF_INET, src, p.src.b);
    inet_pton(AF_INET, dst, p.dst.b);
    p.sp = sp;
    p.dp = dp;
    p.ttl = 64;
    p.tcp_flags = VG_TCP_SYN | VG_TCP_ACK;
    return p;
}

static void test_header_and_packet(void **st)
{
    (void)st;
    const vg_rule_t *r = vg_ruleset_add_rule(
        rs, "alert tcp $HOME_NET any -> $EXTERNAL_NET 80 (flags:SA; ttl:64; sid:900;)", "t", 1);
    assert_non_null(r);
    vg_packet_t p = mkpkt("192.168.1.2", 1234, "8.8.8.8", 80);
    vg_detect_input_t in;
    memset(&in, 0, sizeof(in));
    in.pkt = &p;
    assert_true(vg_detect_eval_rule(th, r, &in));
    p.dp = 81;
    assert_false(vg_detect_eval_rule(th, r, &in));
    p = mkpkt("8.8.8.8", 80, "192.168.1.2", 1234); /* reverse: not bidirectional */
    assert_false(vg_detect_eval_rule(th, r, &in));
    p = mkpkt("192.168.1.2", 1234, "8.8.8.8", 80);
    p.tcp_flags = VG_TCP_SYN;
    assert_false(vg_detect_eval_rule(th, r, &in));
    r = vg_ruleset_add_rule(rs, "alert tcp 10.0.0.1 any <> 10.0.0.2 22 (flags:S+; sid:901;)", "t", 1);
    p = mkpkt("10.0.0.2", 22, "10.0.0.1", 5555);
    p.tcp_flags = VG_TCP_SYN | VG_TCP_ECE;
    assert_true(vg_detect_eval_rule(th, r, &in));
    p.proto = 17;
    assert_false(vg_detect_eval_rule(th, r, &in));
    r = vg_ruleset_add_rule(rs, "alert icmp any any -> any any (itype:8; icode:0; sid:902;)", "t", 1);
    p = mkpkt("1.1.1.1", 0, "2.2.2.2", 0);
    p.proto = 1;
    p.icmp_type = 8;
    assert_true(vg_detect_eval_rule(th, r, &in));
    p.icmp_type = 0;
    assert_false(vg_detect_eval_rule(th, r, &in));
}

static void test_flow_and_flowvars(void **st)
{
    (void)st;
    const vg_rule_t *setter = rule("flow:established,to_server; content:\"login\"; "
                                   "flowbits:set,auth; flowbits:noalert; flowint:n,+,1;");
    const vg_rule_t *checker = rule("flowbits:isset,other|auth; flowint:n,>=,2; content:\"x\";");
    vg_flowvars_t *fv = vg_flowvars_new(rs);
    vg_detect_input_t in;
    memset(&in, 0, sizeof(in));
    in.buf[VG_DBUF_PAYLOAD] = (const uint8_t *)"login x";
    in.len[VG_DBUF_PAYLOAD] = 7;
    in.fv = fv;
    assert_false(vg_detect_eval_rule(th, setter, &in)); /* not established */
    in.flow = VG_DIN_HAS_FLOW | VG_DIN_ESTABLISHED | VG_DIN_TOSERVER;
    assert_true(vg_detect_eval_rule(th, setter, &in));
    assert_false(vg_detect_should_alert(setter));
    assert_false(vg_detect_eval_rule(th, checker, &in));
    vg_detect_apply_actions(setter, fv);
    assert_false(vg_detect_eval_rule(th, checker, &in)); /* n == 1 */
    vg_detect_apply_actions(setter, fv);
    assert_true(vg_detect_eval_rule(th, checker, &in));
    in.flow = VG_DIN_HAS_FLOW | VG_DIN_ESTABLISHED | VG_DIN_TOCLIENT;
    assert_false(vg_detect_eval_rule(th, setter, &in));
    const vg_rule_t *unset = rule("flowbits:isnotset,auth;");
    assert_false(vg_detect_eval_rule(th, unset, &in));
    vg_flowvars_free(fv);
}

static void test_threshold_table(void **st)
{
    (void)st;
    const vg_rule_t *r = rule("threshold:type limit, track by_src, count 2, seconds 10;");
    vg_threshold_table_t *t = vg_threshold_table_new(128);
    vg_packet_t a = mkpkt("1.1.1.1", 1, "2.2.2.2", 2), b = mkpkt("1.1.1.9", 1, "2.2.2.2", 2);
    vg_threshold_t thr = vg_ruleset_threshold(rs, r);
    vg_time_t s = VG_USEC_PER_SEC;
    assert_true(vg_threshold_check(t, r, &thr, &a, 1 * s));
    assert_true(vg_threshold_check(t, r, &thr, &a, 2 * s));
    assert_false(vg_threshold_check(t, r, &thr, &a, 3 * s));
    assert_true(vg_threshold_check(t, r, &thr, &b, 3 * s));  /* another source */
    assert_true(vg_threshold_check(t, r, &thr, &a, 20 * s)); /* new window */
    vg_threshold_t every3 = {VG_THR_THRESHOLD, VG_TRACK_RULE, 3, 60, 0, 0};
    const vg_rule_t *r2 = rule("content:\"q\";");
    assert_false(vg_threshold_check(t, r2, &every3, &a, s));
    assert_false(vg_threshold_check(t, r2, &every3, &a, s));
    assert_true(vg_threshold_check(t, r2, &every3, &a, s));
    assert_false(vg_threshold_check(t, r2, &every3, &a, s));
    vg_threshold_t df = {VG_THR_DETECTION, VG_TRACK_DST, 2, 60, 0, 0};
    const vg_rule_t *r3 = rule("content:\"w\";");
    assert_false(vg_threshold_check(t, r3, &df, &a, s));
    assert_false(vg_threshold_check(t, r3, &df, &a, s));
    assert_true(vg_threshold_check(t, r3, &df, &a, s));
    assert_true(vg_threshold_check(t, r3, &df, &a, s));
    vg_threshold_t both = {VG_THR_BOTH, VG_TRACK_SRC, 2, 60, 0, 0};
    const vg_rule_t *r4 = rule("content:\"v\";");
    assert_false(vg_threshold_check(t, r4, &both, &a, s));
    assert_true(vg_threshold_check(t, r4, &both, &a, s));
    assert_false(vg_threshold_check(t, r4, &both, &a, s));
    vg_threshold_table_free(t);
}

/* detection_filter unique_on (Suricata 9): distinct ports, not matches, open the filter */
static void test_threshold_unique_on(void **st)
{
    (void)st;
    const vg_rule_t *r = rule("detection_filter:track by_dst, count 1, seconds 60, "
                              "unique_on dst_port;");
    vg_threshold_t thr = vg_ruleset_threshold(rs, r);
    assert_int_equal(thr.unique_on, VG_UNIQUE_DST_PORT);
    vg_threshold_table_t *t = vg_threshold_table_new(128);
    vg_packet_t p80 = mkpkt("3.3.3.3", 12345, "1.1.1.1", 80);
    vg_packet_t p81 = mkpkt("3.3.3.3", 12345, "1.1.1.1", 81);
    vg_time_t s = VG_USEC_PER_SEC;
    assert_false(vg_threshold_check(t, r, &thr, &p80, s));
    assert_false(vg_threshold_check(t, r, &thr, &p80, 2 * s)); /* the same port: not counted */
    assert_true(vg_threshold_check(t, r, &thr, &p81, 3 * s));  /* two distinct ports > 1 */
    assert_true(vg_threshold_check(t, r, &thr, &p80, 4 * s));  /* open for this window */
    assert_false(vg_threshold_check(t, r, &thr, &p81, 100 * s)); /* a new window */
    assert_int_equal(vg_threshold_table_bitmap_memuse(t), 8192);
    assert_int_equal(vg_threshold_table_bitmap_fails(t), 0);
    /* by source port */
    const vg_rule_t *r2 = rule("detection_filter:track by_src, count 2, seconds 60, "
                               "unique_on src_port;");
    vg_threshold_t t2 = vg_ruleset_threshold(rs, r2);
    vg_packet_t a = mkpkt("10.0.0.1", 2000, "2.2.2.2", 80), b = mkpkt("10.0.0.1", 2001, "2.2.2.2", 80);
    assert_false(vg_threshold_check(t, r2, &t2, &a, s));
    assert_false(vg_threshold_check(t, r2, &t2, &a, s));
    assert_false(vg_threshold_check(t, r2, &t2, &b, s));
    vg_threshold_table_free(t);
    /* port maps are capped per table: beyond the cap a match counts as a new port, counted */
    t = vg_threshold_table_new(65536);
    uint32_t fails_expected = 0;
    for (uint32_t i = 0; i < 2100; i++) {
        char dst[32];
        snprintf(dst, sizeof dst, "10.%u.%u.1", i >> 8, i & 255);
        vg_packet_t q = mkpkt("3.3.3.3", 1, dst, 80);
        assert_false(vg_threshold_check(t, r, &thr, &q, s));
        fails_expected += i >= 2048;
    }
    assert_int_equal(vg_threshold_table_bitmap_memuse(t), 2048 * 8192);
    assert_int_equal(vg_threshold_table_bitmap_fails(t), fails_expected);
    vg_threshold_table_free(t);
    /* not with by_flow, not for threshold:, and only src_port/dst_port */
    assert_null(vg_ruleset_add_rule(rs, "alert ip any any -> any any (detection_filter:track "
                                        "by_flow, count 1, seconds 5, unique_on dst_port; "
                                        "sid:996;)", "t", 1));
    assert_null(vg_ruleset_add_rule(rs, "alert ip any any -> any any (threshold:type limit, "
                                        "track by_src, count 1, seconds 5, unique_on dst_port; "
                                        "sid:997;)", "t", 1));
    assert_null(vg_ruleset_add_rule(rs, "alert ip any any -> any any (detection_filter:track "
                                        "by_src, count 1, seconds 5, unique_on proto; "
                                        "sid:998;)", "t", 1));
}

/* Three rules that must not load, each with its diagnostic; returns the first one's index. */
static size_t assert_rejected(const char *a, const char *b, const char *c)
{
    size_t d0 = vg_ruleset_n_diags(rs);
    assert_null(vg_ruleset_add_rule(rs, a, "t", 1));
    assert_null(vg_ruleset_add_rule(rs, b, "t", 1));
    assert_null(vg_ruleset_add_rule(rs, c, "t", 1));
    assert_int_equal(vg_ruleset_n_diags(rs), d0 + 3);
    return d0;
}

/* app-layer-protocol: the flow's decided protocol; alone in a rule it is judged only on the
 * packet that decides it (VG_DIN_PROTO_DONE), as Suricata's protocol-detection-only rules */
static void test_app_layer_protocol(void **st)
{
    (void)st;
    vg_detect_input_t in;
    memset(&in, 0, sizeof in);
    const vg_rule_t *neg = rule("app-layer-protocol:!http;");
    const vg_rule_t *tls = rule("app-layer-protocol:tls,final;");
    in.flow = VG_DIN_PROTO_DONE;
    in.app_proto = VG_APP_UNKNOWN; /* undecided: neither the name nor its negation */
    assert_false(vg_detect_eval_rule(th, neg, &in));
    assert_false(vg_detect_eval_rule(th, tls, &in));
    in.app_proto = VG_APP_TLS;
    assert_true(vg_detect_eval_rule(th, neg, &in));
    assert_true(vg_detect_eval_rule(th, tls, &in));
    in.app_proto = VG_APP_HTTP;
    assert_false(vg_detect_eval_rule(th, neg, &in));
    assert_false(vg_detect_eval_rule(th, tls, &in));
    in.app_proto = VG_APP_TLS;
    in.flow = 0; /* a later packet of the flow: a PD-only rule is not judged again */
    assert_false(vg_detect_eval_rule(th, neg, &in));
    /* with something to inspect, it is an ordinary condition on every packet */
    const vg_rule_t *c = rule("app-layer-protocol:failed; content:\"xy\";");
    in.app_proto = VG_APP_FAILED;
    in.buf[VG_DBUF_PAYLOAD] = (const uint8_t *)"axyb";
    in.len[VG_DBUF_PAYLOAD] = 4;
    assert_true(vg_detect_eval_rule(th, c, &in));
    in.app_proto = VG_APP_DNS;
    assert_false(vg_detect_eval_rule(th, c, &in));
    /* per direction: each direction's own detection, judged when that direction's protocol is
     * decided (VG_DIN_DIR_PROTO_DONE) */
    const vg_rule_t *pd = rule("app-layer-protocol:http1,to_server; app-layer-protocol:ssh,"
                               "to_client;");
    assert_true(pd->flags & VG_RULE_PD_DIR);
    memset(&in, 0, sizeof in);
    in.app_proto = VG_APP_HTTP;
    in.dir_proto[0] = VG_APP_HTTP;
    in.flow = VG_DIN_PROTO_DONE | VG_DIN_DIR_PROTO_DONE;
    assert_false(vg_detect_eval_rule(th, pd, &in)); /* to-client side not decided yet */
    in.dir_proto[1] = VG_APP_SSH;
    assert_true(vg_detect_eval_rule(th, pd, &in));
    in.flow = VG_DIN_PROTO_DONE; /* not the packet that decided a direction */
    assert_false(vg_detect_eval_rule(th, pd, &in));
    in.flow = VG_DIN_DIR_PROTO_DONE;
    in.dir_proto[1] = VG_APP_HTTP;
    assert_false(vg_detect_eval_rule(th, pd, &in));
    /* dcerpc (recognised only) also matches SMB flows, as Suricata's AppProtoEquals: the
     * keyword and the rule protocol */
    const vg_rule_t *dk = vg_ruleset_add_rule(rs, "alert tcp any any -> any any "
                                                  "(app-layer-protocol:dcerpc; sid:990;)", "t", 1);
    const vg_rule_t *dr = vg_ruleset_add_rule(rs, "alert dcerpc any any -> any any "
                                                  "(content:\"abc\"; sid:991;)", "t", 1);
    const vg_rule_t *sr = vg_ruleset_add_rule(rs, "alert smb any any -> any any "
                                                  "(content:\"abc\"; sid:992;)", "t", 1);
    assert_non_null(dk);
    assert_non_null(dr);
    assert_non_null(sr);
    memset(&in, 0, sizeof in);
    in.buf[VG_DBUF_PAYLOAD] = (const uint8_t *)"xabcx";
    in.len[VG_DBUF_PAYLOAD] = 5;
    in.flow = VG_DIN_PROTO_DONE; /* the packet the flow's protocol was decided on */
    const enum vg_app_proto flows[] = {VG_APP_SMB, VG_APP_DCERPC, VG_APP_HTTP};
    const bool want[3][3] = {{true, true, true}, {true, true, false}, {false, false, false}};
    for (int f = 0; f < 3; f++) {
        in.app_proto = (uint8_t)flows[f];
        assert_int_equal(vg_detect_eval_rule(th, dk, &in), want[f][0]);
        assert_int_equal(vg_detect_eval_rule(th, dr, &in), want[f][1]);
        assert_int_equal(vg_detect_eval_rule(th, sr, &in), want[f][2]);
    }
    /* protocols Vigil does not detect, unknown modes and an empty name skip the rule */
    size_t d0 = assert_rejected("alert tcp any any -> any any (app-layer-protocol:!nfs; sid:993;)",
                                "alert tcp any any -> any any (app-layer-protocol:,to_server; "
                                "sid:994;)",
                                "alert tcp any any -> any any (app-layer-protocol:http,sideways; "
                                "sid:995;)");
    assert_non_null(strstr(vg_ruleset_diag(rs, d0)->detail, "nfs"));
}

/* ssl_version: the inspected direction's side; listed versions match, and with negated ones
 * every other known version matches too; an unknown side matches nothing */
static void test_ssl_version(void **st)
{
    (void)st;
    const vg_rule_t *not3 = rule("ssl_version:!sslv3;");
    const vg_rule_t *mix = rule("ssl_version:!tls1.3,tls1.2;");
    const vg_rule_t *t10 = rule("ssl_version:tls1.0;");
    const vg_rule_t *t1011 = rule("ssl_version:TLS1.0, tls1.1;");
    const vg_rule_t *not10 = rule("ssl_version:!tls1.0;");
    assert_non_null(not3);
    assert_int_equal(not3->app_proto, VG_APP_TLS);
    assert_true(not3->flags & VG_RULE_TX_PER_DIR);
    static const uint8_t tls10[2] = {3, 1}, tls13[2] = {3, 4}, ssl3[2] = {3, 0},
                         d28[2] = {0x7f, 28}, odd[2] = {9, 9};
    vg_detect_input_t in;
    memset(&in, 0, sizeof in);
    in.app_proto = VG_APP_TLS;
    in.flow = VG_DIN_HAS_FLOW | VG_DIN_TOSERVER;
    assert_false(vg_detect_eval_rule(th, not3, &in)); /* no version known */
    in.buf[VG_BUF_TLS_CLIENT_VERSION] = tls10;
    in.len[VG_BUF_TLS_CLIENT_VERSION] = 2;
    in.buf[VG_BUF_TLS_SERVER_VERSION] = tls13;
    in.len[VG_BUF_TLS_SERVER_VERSION] = 2;
    assert_true(vg_detect_eval_rule(th, not3, &in));
    assert_true(vg_detect_eval_rule(th, mix, &in));
    assert_true(vg_detect_eval_rule(th, t10, &in));
    assert_true(vg_detect_eval_rule(th, t1011, &in));
    assert_false(vg_detect_eval_rule(th, not10, &in));
    in.flow = VG_DIN_HAS_FLOW | VG_DIN_TOCLIENT; /* the server's side: TLS 1.3 */
    assert_true(vg_detect_eval_rule(th, not3, &in));
    assert_false(vg_detect_eval_rule(th, mix, &in));
    assert_false(vg_detect_eval_rule(th, t10, &in));
    assert_true(vg_detect_eval_rule(th, not10, &in));
    in.buf[VG_BUF_TLS_SERVER_VERSION] = d28; /* a 1.3 draft is 1.3 */
    assert_false(vg_detect_eval_rule(th, mix, &in));
    in.buf[VG_BUF_TLS_SERVER_VERSION] = ssl3;
    assert_false(vg_detect_eval_rule(th, not3, &in));
    assert_true(vg_detect_eval_rule(th, mix, &in));
    in.buf[VG_BUF_TLS_SERVER_VERSION] = odd;
    assert_false(vg_detect_eval_rule(th, not10, &in));
    in.app_proto = VG_APP_HTTP;
    in.buf[VG_BUF_TLS_SERVER_VERSION] = tls13;
    assert_false(vg_detect_eval_rule(th, not10, &in));
    /* bad values are syntax errors */
    assert_rejected("alert tcp any any -> any any (ssl_version:tls2.0; sid:980;)",
                    "alert tcp any any -> any any (ssl_version:tls1.2,!tls1.2; sid:981;)",
                    "alert http any any -> any any (ssl_version:tls1.2; sid:982;)");
}

/* pcre captures into flow variables: named groups flow_NAME and the `, flow:NAME` list; stored
 * by vg_detect_apply_captures() after the rule matched, replaced by a later match, kept across a
 * rule reload (by name) */
static void test_pcre_flowvars(void **st)
{
    (void)st;
    const vg_rule_t *named = rule("pcre:\"/UA: (?P<flow_ua>[a-z]+)/\";");
    const vg_rule_t *listed = rule("pcre:\"/^(\\w+)\\/(\\d+\\.\\d+)/, flow:key,flow:value\";");
    assert_true(named->flags & VG_RULE_CAPTURES);
    assert_true(listed->flags & VG_RULE_CAPTURES);
    assert_true(vg_ruleset_n_capture_rules(rs) >= 2);
    vg_flowvars_t *fv = vg_flowvars_new(rs);
    vg_detect_input_t in;
    memset(&in, 0, sizeof in);
    in.buf[VG_DBUF_PAYLOAD] = (const uint8_t *)"xx UA: curl yy";
    in.len[VG_DBUF_PAYLOAD] = 14;
    assert_true(vg_detect_eval_rule(th, named, &in));
    vg_detect_apply_captures(th, fv);
    const struct vg_flow_str *s = vg_flowvars_get_str(fv, "ua");
    assert_non_null(s);
    assert_int_equal(s->len, 4);
    assert_memory_equal(s->val, "curl", 4);
    /* a rule that does not match leaves nothing to store */
    in.buf[VG_DBUF_PAYLOAD] = (const uint8_t *)"nothing";
    in.len[VG_DBUF_PAYLOAD] = 7;
    assert_false(vg_detect_eval_rule(th, listed, &in));
    vg_detect_apply_captures(th, fv);
    assert_int_equal(fv->n_strs, 1);
    in.buf[VG_DBUF_PAYLOAD] = (const uint8_t *)"Mozilla/5.0 (X11)";
    in.len[VG_DBUF_PAYLOAD] = 17;
    assert_true(vg_detect_eval_rule(th, listed, &in));
    vg_detect_apply_captures(th, fv);
    assert_int_equal(fv->n_strs, 3);
    assert_string_equal(fv->strs[1].name, "key");
    assert_memory_equal(fv->strs[1].val, "Mozilla", 7);
    assert_string_equal(fv->strs[2].name, "value");
    assert_memory_equal(fv->strs[2].val, "5.0", 3);
    vg_flowvars_set_str(fv, "ua", (const uint8_t *)"wget", 4); /* replaced in place */
    assert_int_equal(fv->n_strs, 3);
    assert_memory_equal(fv->strs[0].val, "wget", 4);
    uint32_t *bm = vg_ruleset_flowbit_map(rs, rs), *im = vg_ruleset_flowint_map(rs, rs);
    vg_flowvars_t *n = vg_flowvars_remap(fv, bm, im, rs);
    assert_int_equal(n->n_strs, 3);
    assert_memory_equal(vg_flowvars_get_str(n, "value")->val, "5.0", 3);
    free(bm);
    free(im);
    vg_flowvars_free(n);
    /* long captures are kept up to VG_FLOWVAR_MAX_LEN bytes; a pcre retried many times (the
     * relative content after it fails) keeps its scratch bounded */
    size_t big = 100000;
    uint8_t *a = malloc(big + 2);
    memset(a, 'a', big);
    const vg_rule_t *retry =
        rule("pcre:\"/(?P<flow_run>a{1000,})/\"; content:\"zz\"; distance:0;");
    in.buf[VG_DBUF_PAYLOAD] = a;
    in.len[VG_DBUF_PAYLOAD] = (uint32_t)big;
    assert_false(vg_detect_eval_rule(th, retry, &in));
    memcpy(a + big, "zz", 2);
    in.len[VG_DBUF_PAYLOAD] = (uint32_t)big + 2;
    assert_true(vg_detect_eval_rule(th, retry, &in));
    vg_detect_apply_captures(th, fv);
    assert_int_equal(vg_flowvars_get_str(fv, "run")->len, VG_FLOWVAR_MAX_LEN);
    free(a);
    vg_flowvars_free(fv);
    /* packet/alert variables are not implemented; more names than groups is an error */
    assert_rejected("alert tcp any any -> any any (pcre:\"/(?P<pkt_x>a)/\"; sid:970;)",
                    "alert tcp any any -> any any (pcre:\"/(a)/, pkt:x\"; sid:971;)",
                    "alert tcp any any -> any any (pcre:\"/(a)/, flow:x,flow:y\"; sid:972;)");
}

/* track by_flow: counted in each flow's variables; backoff alerts at count, count*m, ... */
static void test_threshold_by_flow_and_backoff(void **st)
{
    (void)st;
    const vg_rule_t *r = rule("threshold:type backoff, track by_flow, count 3, multiplier 2;");
    assert_non_null(r);
    vg_threshold_t thr = vg_ruleset_threshold(rs, r);
    assert_int_equal(thr.type, VG_THR_BACKOFF);
    assert_int_equal(thr.track, VG_TRACK_FLOW);
    assert_true(vg_ruleset_n_flow_thresholds(rs) >= 1);
    vg_flowvars_t *f1 = vg_flowvars_new(rs), *f2 = vg_flowvars_new(rs);
    vg_time_t s = VG_USEC_PER_SEC;
    char got[64] = {0};
    for (int i = 1; i <= 50; i++)
        got[i] = vg_threshold_check_flow(f1, r, &thr, i * s) ? 'A' : '.';
    for (int i = 1; i <= 50; i++)
        if (got[i] != ((i == 3 || i == 6 || i == 12 || i == 24 || i == 48) ? 'A' : '.'))
            fail_msg("backoff: match %d gave %c", i, got[i]);
    /* another flow counts on its own */
    assert_false(vg_threshold_check_flow(f2, r, &thr, s));
    assert_false(vg_threshold_check_flow(f2, r, &thr, s));
    assert_true(vg_threshold_check_flow(f2, r, &thr, s));
    /* detection_filter by_flow: from the (count+1)-th match of the flow in the window */
    const vg_rule_t *d = rule("detection_filter:track by_flow, count 2, seconds 60;");
    vg_threshold_t dt = vg_ruleset_threshold(rs, d);
    assert_false(vg_threshold_check_flow(f1, d, &dt, s));
    assert_false(vg_threshold_check_flow(f1, d, &dt, s));
    assert_true(vg_threshold_check_flow(f1, d, &dt, 2 * s));
    assert_false(vg_threshold_check_flow(f1, d, &dt, 100 * s)); /* a new window */
    assert_true(vg_threshold_check_flow(NULL, d, &dt, s));       /* no flow: not thresholded */
    vg_flowvars_free(f1);
    vg_flowvars_free(f2);
    /* bad backoff forms are syntax errors */
    assert_null(vg_ruleset_add_rule(rs, "alert ip any any -> any any (threshold:type backoff, "
                                        "track by_flow, count 1; sid:990;)", "t", 1));
    assert_null(vg_ruleset_add_rule(rs, "alert ip any any -> any any (threshold:type backoff, "
                                        "track by_flow, count 1, multiplier 2, seconds 5; "
                                        "sid:991;)", "t", 1));
    assert_null(vg_ruleset_add_rule(rs, "alert ip any any -> any any (threshold:type limit, "
                                        "track by_src, count 1, seconds 5, multiplier 2; "
                                        "sid:992;)", "t", 1));
}

static void test_stream_and_pkt(void **st)
{
    (void)st;
    vg_detect_input_t in;
    memset(&in, 0, sizeof(in));
    in.buf[VG_DBUF_PAYLOAD] = (const uint8_t *)"cd";
    in.len[VG_DBUF_PAYLOAD] = 2;
    in.stream = (const uint8_t *)"abcd";
    in.stream_len = 4;
    assert_true(vg_detect_eval_rule(th, rule("content:\"bc\";"), &in));
    assert_false(vg_detect_eval_rule(th, rule("flow:no_stream; content:\"bc\";"), &in));
    const vg_rule_t *r = vg_ruleset_add_rule(rs, "alert tcp-pkt any any -> any any "
                                                 "(content:\"bc\"; sid:950;)", "t", 1);
    assert_false(vg_detect_eval_rule(th, r, &in));
    r = vg_ruleset_add_rule(rs, "alert tcp-stream any any -> any any (content:\"bc\"; sid:951;)",
                            "t", 1);
    assert_true(vg_detect_eval_rule(th, r, &in));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_content_basic, setup, teardown),
        cmocka_unit_test_setup_teardown(test_content_depth_offset, setup, teardown),
        cmocka_unit_test_setup_teardown(test_content_relative, setup, teardown),
        cmocka_unit_test_setup_teardown(test_isdataat, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pcre_eval, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pcre_limits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_byte_test, setup, teardown),
        cmocka_unit_test_setup_teardown(test_byte_jump_extract_math, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sizes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_transforms, setup, teardown),
        cmocka_unit_test_setup_teardown(test_app_buffers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_header_and_packet, setup, teardown),
        cmocka_unit_test_setup_teardown(test_flow_and_flowvars, setup, teardown),
        cmocka_unit_test_setup_teardown(test_threshold_table, setup, teardown),
        cmocka_unit_test_setup_teardown(test_threshold_by_flow_and_backoff, setup, teardown),
        cmocka_unit_test_setup_teardown(test_app_layer_protocol, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ssl_version, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pcre_flowvars, setup, teardown),
        cmocka_unit_test_setup_teardown(test_threshold_unique_on, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stream_and_pkt, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
