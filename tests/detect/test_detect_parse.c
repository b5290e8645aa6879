/* test_rule_parse.c — the rule parser: header syntax (lists, negation, nesting, ranges,
 * variables), option lexing (escapes, |hex|), keyword parsing, diagnostics with file:line:col,
 * classification.config and threshold.config. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "app/app.h"
#include "decode/decode.h"
#include "detect/detect.h"
#include "stream/stream.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

static vg_ruleset_t *rs;

static int setup(void **st) { (void)st; rs = vg_ruleset_new(); return 0; }
static int teardown(void **st) { (void)st; vg_ruleset_free(rs); rs = NULL; return 0; }

static const vg_rule_t *parse(const char *txt) { return vg_ruleset_add_rule(rs, txt, "t.rules", 7); }

static const vg_rule_diag_t *last_diag(void)
{
    uint32_t n = vg_ruleset_n_diags(rs);
    return n ? vg_ruleset_diag(rs, n - 1) : NULL;
}

static vg_addr_t a4(const char *s)
{
    vg_addr_t a;
    memset(&a, 0, sizeof(a));
    assert_int_equal(inet_pton(AF_INET, s, a.b), 1);
    return a;
}

static bool in4(const vg_addr_set_t *set, const char *ip)
{
    vg_addr_t a = a4(ip);
    return vg_addr_set_match(set, &a, 4);
}

static void test_header_vars(void **st)
{
    (void)st;
    const vg_rule_t *r = parse("alert tcp $HOME_NET any -> $EXTERNAL_NET $HTTP_PORTS "
                               "(msg:\"x\"; sid:1; rev:2;)");
    assert_non_null(r);
    assert_int_equal(r->action, VG_ACT_ALERT);
    assert_int_equal(r->l4, VG_L4_TCP);
    assert_int_equal(r->sid, 1);
    assert_int_equal(r->rev, 2);
    assert_true(in4(r->src, "192.168.1.1"));
    assert_true(in4(r->src, "172.31.255.255"));
    assert_false(in4(r->src, "8.8.8.8"));
    assert_true(in4(r->dst, "8.8.8.8"));
    assert_false(in4(r->dst, "10.1.2.3"));
    assert_true(r->sp->any);
    assert_true(vg_port_set_match(r->dp, 80));
    assert_false(vg_port_set_match(r->dp, 81));
}

static void test_header_lists_nesting(void **st)
{
    (void)st;
    const vg_rule_t *r = parse("alert udp [1.2.3.0/24,![1.2.3.4,1.2.3.5]] [1:100,!50,200:] <> "
                               "![10.0.0.0/8, 192.168.0.0/16] [!1024:,80] (sid:2;)");
    assert_non_null(r);
    assert_true(r->flags & VG_RULE_BIDIR);
    assert_true(in4(r->src, "1.2.3.1"));
    assert_false(in4(r->src, "1.2.3.4"));
    assert_false(in4(r->src, "1.2.3.5"));
    assert_true(in4(r->src, "1.2.3.6"));
    assert_false(in4(r->src, "1.2.4.1"));
    assert_true(vg_port_set_match(r->sp, 49));
    assert_false(vg_port_set_match(r->sp, 50));
    assert_false(vg_port_set_match(r->sp, 150));
    assert_true(vg_port_set_match(r->sp, 65535));
    assert_false(in4(r->dst, "10.9.9.9"));
    assert_true(in4(r->dst, "11.0.0.1"));
    /* positives minus negations: [!1024:,80] is just 80 */
    assert_false(vg_port_set_match(r->dp, 1023));
    assert_true(vg_port_set_match(r->dp, 80));
    assert_false(vg_port_set_match(r->dp, 1024));
    /* ranges a: and :b */
    r = parse("alert tcp any :1023 -> any 1024: (sid:3;)");
    assert_non_null(r);
    assert_true(vg_port_set_match(r->sp, 0) && vg_port_set_match(r->sp, 1023));
    assert_false(vg_port_set_match(r->sp, 1024));
    assert_true(vg_port_set_match(r->dp, 65535));
    assert_false(vg_port_set_match(r->dp, 1023));
}

static void test_header_ipv6(void **st)
{
    (void)st;
    const vg_rule_t *r = parse("alert ip [2001:db8::/32,!2001:db8::1] any -> any any (sid:4;)");
    assert_non_null(r);
    vg_addr_t a;
    memset(&a, 0, sizeof(a));
    inet_pton(AF_INET6, "2001:db8::2", a.b);
    assert_true(vg_addr_set_match(r->src, &a, 6));
    inet_pton(AF_INET6, "2001:db8::1", a.b);
    assert_false(vg_addr_set_match(r->src, &a, 6));
    inet_pton(AF_INET6, "2001:db9::1", a.b);
    assert_false(vg_addr_set_match(r->src, &a, 6));
    assert_false(in4(r->src, "1.2.3.4"));
}

static void test_var_override(void **st)
{
    (void)st;
    assert_int_equal(vg_ruleset_set_var_assign(rs, "HOME_NET=[10.0.0.0/8]"), 0);
    const vg_rule_t *r = parse("alert tcp $EXTERNAL_NET any -> $HOME_NET any (sid:5;)");
    assert_non_null(r);
    assert_true(in4(r->src, "192.168.1.1"));
    assert_false(in4(r->src, "10.1.1.1"));
    assert_true(in4(r->dst, "10.1.1.1"));
    assert_string_equal(vg_ruleset_get_var(rs, "HOME_NET"), "[10.0.0.0/8]");
    assert_string_equal(vg_ruleset_get_var(rs, "FILE_DATA_PORTS"), "[$HTTP_PORTS,110,143]");
}

static void test_header_errors(void **st)
{
    (void)st;
    assert_null(parse("alert tcp $NOPE any -> any any (sid:6;)"));
    const vg_rule_diag_t *d = last_diag();
    assert_int_equal(d->kind, VG_DIAG_FAILED);
    assert_int_equal(d->line, 7);
    assert_int_equal(d->col, 11);
    assert_int_equal(d->sid, 6);
    assert_non_null(strstr(d->detail, "undefined variable $NOPE"));
    assert_null(parse("alert tcp [1.2.3.4,!1.2.3.4] any -> any any (sid:7;)"));
    assert_non_null(strstr(last_diag()->detail, "matches nothing"));
    assert_null(parse("alert tcp any any => any any (sid:8;)"));
    assert_int_equal(last_diag()->col, 19);
    assert_null(parse("alert nfs any any -> any any (sid:9;)"));
    assert_int_equal(last_diag()->kind, VG_DIAG_SKIPPED);
    assert_non_null(strstr(last_diag()->reason, "nfs"));
    assert_null(parse("bogus tcp any any -> any any (sid:10;)"));
    assert_null(parse("alert tcp any 70000 -> any any (sid:11;)"));
    assert_int_equal(vg_ruleset_n_failed(rs), 5);
    assert_int_equal(vg_ruleset_n_skipped(rs), 1);
}

static const vg_content_t *content(const vg_rule_t *r, uint32_t list, uint32_t i)
{
    assert_true(list < r->n_lists);
    assert_true(i < r->lists[list].n_sm);
    assert_int_equal(r->lists[list].sm[i].type, VG_SM_CONTENT);
    return &r->lists[list].sm[i].u.content;
}

static void test_content_escapes_hex(void **st)
{
    (void)st;
    const vg_rule_t *r = parse("alert tcp any any -> any any (content:\"a\\;b|20 41|c\\\"\\\\|0d0a|\"; "
                               "nocase; content:!\"x\"; msg:\"m \\\"q\\\" \\; ok\"; sid:12;)");
    assert_non_null(r);
    const vg_content_t *c = content(r, 0, 0);
    assert_int_equal(c->len, 10);
    assert_memory_equal(c->pat, "a;b Ac\"\\\r\n", 10);
    assert_true(c->flags & VG_CT_NOCASE);
    assert_true(content(r, 0, 1)->flags & VG_CT_NEGATED);
    assert_string_equal(r->msg, "m \"q\" ; ok");
    assert_null(parse("alert tcp any any -> any any (content:\"a\\x\"; sid:13;)"));
    assert_non_null(strstr(last_diag()->detail, "invalid escape"));
    assert_int_equal(last_diag()->col, 31);
    assert_null(parse("alert tcp any any -> any any (content:\"|4|\"; sid:14;)"));
    assert_null(parse("alert tcp any any -> any any (content:\"|zz|\"; sid:15;)"));
    assert_null(parse("alert tcp any any -> any any (content:noquote; sid:16;)"));
}

static void test_content_modifiers(void **st)
{
    (void)st;
    const vg_rule_t *r = parse("alert tcp any any -> any any (content:\"ab\"; offset:2; depth:4; "
                               "content:\"cd\"; distance:-1; within:5; content:\"ef\"; startswith; "
                               "content:\"gh\"; endswith; fast_pattern:1,1; rawbytes; sid:17;)");
    assert_non_null(r);
    const vg_content_t *c = content(r, 0, 0);
    assert_int_equal(c->offset, 2);
    assert_int_equal(c->depth, 4);
    assert_true((c->flags & (VG_CT_OFFSET | VG_CT_DEPTH)) == (VG_CT_OFFSET | VG_CT_DEPTH));
    assert_true(c->flags & VG_CT_RETRY_NEXT); /* next content has within */
    c = content(r, 0, 1);
    assert_int_equal(c->distance, -1);
    assert_int_equal(c->within, 5);
    c = content(r, 0, 2);
    assert_true(c->flags & VG_CT_STARTSWITH);
    assert_int_equal(c->depth, 2);
    c = content(r, 0, 3);
    assert_true(c->flags & VG_CT_ENDSWITH && c->flags & VG_CT_FP_CHOP);
    assert_int_equal(c->fp_off, 1);
    assert_true(r->flags & VG_RULE_HAS_FP);
    /* invalid combinations */
    assert_null(parse("alert tcp any any -> any any (content:\"ab\"; depth:1; sid:18;)"));
    assert_null(parse("alert tcp any any -> any any (content:\"ab\"; distance:0; depth:4; sid:19;)"));
    assert_null(parse("alert tcp any any -> any any (content:\"ab\"; within:1; sid:20;)"));
    assert_null(parse("alert tcp any any -> any any (content:\"a\"; fast_pattern; content:\"b\"; "
                      "fast_pattern; sid:21;)"));
    assert_null(parse("alert tcp any any -> any any (nocase; sid:22;)"));
    assert_null(parse("alert tcp any any -> any any (content:\"a\"; startswith; offset:1; sid:23;)"));
    r = parse("alert tcp any any -> any any (content:\"abc\"; fast_pattern:only; sid:24;)");
    assert_non_null(r);
    assert_true(content(r, 0, 0)->flags & VG_CT_FP_ONLY);
}

static void test_sticky_and_legacy(void **st)
{
    (void)st;
    const vg_rule_t *r = parse("alert http any any -> any any (flow:established,to_server; "
                               "content:\"GET\"; http_method; content:\"/a\"; http_uri; "
                               "uricontent:\"/b\"; http.host; content:\"x.com\"; "
                               "pkt_data; content:\"raw\"; sid:25;)");
    assert_non_null(r);
    assert_int_equal(r->app_proto, VG_APP_HTTP);
    assert_int_equal(r->n_lists, 4);
    int seen = 0;
    for (uint32_t i = 0; i < r->n_lists; i++) {
        const vg_rule_list_t *l = &r->lists[i];
        if (l->buf == VG_BUF_HTTP_METHOD) seen |= 1;
        if (l->buf == VG_BUF_HTTP_URI) { seen |= 2; assert_int_equal(l->n_sm, 2); }
        if (l->buf == VG_BUF_HTTP_HOST) seen |= 4;
        if (l->buf == VG_DBUF_PAYLOAD) seen |= 8;
    }
    assert_int_equal(seen, 15);
    assert_int_equal(r->flow, VG_RFLOW_ESTABLISHED | VG_RFLOW_TOSERVER);
    /* a legacy modifier inside a sticky buffer is an error */
    assert_null(parse("alert http any any -> any any (http.uri; content:\"a\"; http_uri; sid:26;)"));
    /* transforms, and the direction of http.header / file.data */
    r = parse("alert dns any any -> any any (dns.query; dotprefix; to_lowercase; "
              "content:\".evil.com\"; endswith; sid:27;)");
    assert_non_null(r);
    assert_int_equal(r->lists[0].buf, VG_BUF_DNS_QUERY);
    assert_int_equal(r->lists[0].n_xform, 2);
    assert_int_equal(r->lists[0].xform[0].type, VG_XF_DOTPREFIX);
    r = parse("alert http any any -> any any (flow:to_client; http.header; content:\"a\"; "
              "file_data; content:\"b\"; sid:28;)");
    assert_non_null(r);
    assert_int_equal(r->lists[0].buf, VG_BUF_HTTP_RESPONSE_HEADER);
    assert_int_equal(r->lists[1].buf, VG_BUF_HTTP_RESPONSE_BODY);
    assert_false(r->lists[1].flags & VG_LIST_ALT_BUF);
    r = parse("alert http any any -> any any (http.header; content:\"a\"; sid:29;)");
    assert_non_null(r);
    assert_true(r->lists[0].flags & VG_LIST_ALT_BUF);
    assert_int_equal(r->lists[0].alt_buf, VG_BUF_HTTP_RESPONSE_HEADER);
    /* file.data without a direction as http.header: the request side, its to-client twin the
     * response (before session 12 the two were the other way round) */
    r = parse("alert http any any -> any any (file_data; content:\"a\"; sid:9129;)");
    assert_non_null(r);
    assert_int_equal(r->lists[0].buf, VG_BUF_HTTP_REQUEST_BODY);
    assert_true(r->lists[0].flags & VG_LIST_ALT_BUF);
    assert_int_equal(r->lists[0].alt_buf, VG_BUF_HTTP_RESPONSE_BODY);
    r = parse("alert http any any -> any any (flow:to_server; file_data; content:\"a\"; sid:9130;)");
    assert_non_null(r);
    assert_int_equal(r->lists[0].buf, VG_BUF_HTTP_REQUEST_BODY);
    assert_false(r->lists[0].flags & VG_LIST_ALT_BUF);
    assert_null(parse("alert tcp any any -> any any (dotprefix; content:\"a\"; sid:30;)"));
    r = parse("alert http any any -> any any (http.uri; xor:\"0102\"; content:\"a\"; sid:31;)");
    assert_non_null(r);
    assert_int_equal(r->lists[0].xform[0].key_len, 2);
    /* a sticky buffer that gets no match keyword is an error, as in Suricata 7 ("setup buffer
     * but didn't add matches to it"): at the rule's end, before another buffer (the same one
     * again included), before pkt_data, and with only transforms; the column is the buffer's */
    static const char *const unused[] = {
        "alert http any any -> any any (msg:\"x\"; http.uri; sid:32;)",
        "alert http any any -> any any (msg:\"x\"; content:\"a\"; http.uri; sid:33;)",
        "alert http any any -> any any (msg:\"x\"; http.uri; content:\"a\"; http.host; sid:34;)",
        "alert http any any -> any any (msg:\"x\"; http.uri; http.uri; content:\"a\"; sid:35;)",
        "alert http any any -> any any (msg:\"x\"; http.uri; pkt_data; content:\"a\"; sid:36;)",
        "alert http any any -> any any (msg:\"x\"; http.uri; to_lowercase; sid:37;)",
    };
    for (size_t i = 0; i < sizeof unused / sizeof *unused; i++) {
        assert_null(parse(unused[i]));
        const vg_rule_diag_t *d = last_diag();
        assert_non_null(d);
        assert_int_equal(d->sid, 32 + i);
        assert_non_null(strstr(d->detail, "has no match keyword"));
        const char *kw = strstr(unused[i], i == 2 ? "http.host" : "http.uri");
        assert_int_equal(d->col, (uint32_t)(kw - unused[i]) + 1);
    }
    /* ... while any match keyword, bsize included, makes it used */
    assert_non_null(parse("alert http any any -> any any (http.uri; bsize:3; sid:38;)"));
    assert_non_null(parse("alert http any any -> any any (http.uri; content:\"a\"; http.host; "
                          "pcre:\"/b/\"; pkt_data; sid:39;)"));
}

static void test_pcre_parse(void **st)
{
    (void)st;
    const vg_rule_t *r = parse("alert http any any -> any any (content:\"x\"; http_uri; "
                               "pcre:\"/^\\/a\\;b/Ui\"; pcre:!\"/y/R\"; sid:32;)");
    assert_non_null(r);
    const vg_rule_list_t *l = &r->lists[0];
    assert_int_equal(l->buf, VG_BUF_HTTP_URI);
    assert_int_equal(l->n_sm, 3);
    assert_int_equal(l->sm[1].type, VG_SM_PCRE);
    assert_true(l->sm[1].u.pcre.flags & VG_PCRE_RELATIVE_NEXT);
    assert_true(l->sm[2].u.pcre.flags & VG_PCRE_NEGATED);
    assert_true(l->sm[2].u.pcre.flags & VG_PCRE_RELATIVE);
    assert_null(parse("alert tcp any any -> any any (pcre:\"/a/K\"; sid:33;)"));
    assert_non_null(strstr(last_diag()->detail, "unknown pcre modifier 'K'"));
    assert_null(parse("alert tcp any any -> any any (pcre:\"/a(/\"; sid:34;)"));
    assert_non_null(strstr(last_diag()->detail, "pcre compile error"));
    assert_null(parse("alert tcp any any -> any any (pcre:\"/(?P<pkt_x>a)/\"; sid:35;)"));
    assert_int_equal(last_diag()->kind, VG_DIAG_SKIPPED);
    assert_null(parse("alert http any any -> any any (http.uri; pcre:\"/a/H\"; sid:36;)"));
}

static void test_byte_parse(void **st)
{
    (void)st;
    const vg_rule_t *r = parse("alert tcp any any -> any any (content:\"x\"; "
                               "byte_test:2,!>,0x10,1,relative,little,bitmask 0x0ff0; "
                               "byte_jump:4,0,relative,multiplier 2,align,post_offset -3; "
                               "byte_extract:2,0,len,relative,string,hex; "
                               "byte_math:bytes 1,offset 0,oper +,rvalue len,result sum,relative; "
                               "isdataat:!sum,relative; content:\"y\"; distance:len; sid:37;)");
    assert_non_null(r);
    const vg_sm_t *sm = r->lists[0].sm;
    assert_int_equal(r->lists[0].n_sm, 7);
    assert_int_equal(sm[1].type, VG_SM_BYTE_TEST);
    assert_int_equal(sm[1].u.byte.nbytes, 2);
    assert_int_equal(sm[1].u.byte.op, VG_BOP_GT);
    assert_true(sm[1].u.byte.flags & VG_BYTE_NEGOP);
    assert_true(sm[1].u.byte.flags & VG_BYTE_LITTLE);
    assert_int_equal(sm[1].u.byte.value, 16);
    assert_int_equal(sm[1].u.byte.bitmask_shift, 4);
    assert_int_equal(sm[2].u.byte.multiplier, 2);
    assert_int_equal(sm[2].u.byte.post_offset, -3);
    assert_int_equal(sm[3].u.byte.base, 16);
    assert_int_equal(sm[3].u.byte.slot, 0);
    assert_true(sm[4].u.byte.flags & VG_BYTE_VALUE_VAR);
    assert_int_equal(sm[4].u.byte.slot, 1);
    assert_true(sm[5].u.isdataat.flags & VG_ISDATAAT_VAR);
    assert_true(sm[6].u.content.flags & VG_CT_DISTANCE_VAR);
    assert_true(sm[0].u.content.flags & VG_CT_RETRY_NEXT);
    assert_int_equal(r->n_byte_vars, 2);
    assert_null(parse("alert tcp any any -> any any (byte_test:9,=,1,0; sid:38;)"));
    assert_null(parse("alert tcp any any -> any any (byte_test:2,=,1,0,hex; sid:39;)"));
    assert_null(parse("alert tcp any any -> any any (byte_jump:2,0,from_end,from_beginning; sid:40;)"));
    assert_null(parse("alert tcp any any -> any any (content:\"a\"; distance:nope; sid:41;)"));
    assert_null(parse("alert tcp any any -> any any (byte_math:bytes 1,offset 0,oper %,rvalue 1,"
                      "result r; sid:42;)"));
    assert_null(parse("alert tcp any any -> any any (byte_test:2,=,1,0,dce; sid:43;)"));
    assert_int_equal(last_diag()->kind, VG_DIAG_SKIPPED);
}

static void test_xbits_parse(void **st)
{
    (void)st;
    const vg_rule_t *r = parse("alert tcp any any -> any any (msg:\"x\"; content:\"a\"; "
                               "xbits:set, ET.x, track ip_pair, expire 15; "
                               "xbits:isset,ET.x,track ip_src; xbits:toggle,y,track ip_dst,expire 9; "
                               "sid:60;)");
    assert_non_null(r);
    assert_int_equal(r->n_xbits, 3);
    assert_int_equal(r->xbits[0].cmd, VG_FB_SET);
    assert_int_equal(r->xbits[0].track, VG_XB_IPPAIR);
    assert_int_equal(r->xbits[0].expire, 15);
    assert_int_equal(r->xbits[1].cmd, VG_FB_ISSET);
    assert_int_equal(r->xbits[1].track, VG_XB_IPSRC);
    assert_int_equal(r->xbits[1].expire, 30); /* Suricata's default */
    /* the same name tracked per host and per pair are two different bits */
    assert_int_not_equal(r->xbits[0].id, r->xbits[1].id);
    assert_string_equal(vg_ruleset_xbit_name(rs, r->xbits[0].id), "p:ET.x");
    assert_string_equal(vg_ruleset_xbit_name(rs, r->xbits[1].id), "h:ET.x");
    assert_int_equal(r->xbits[2].track, VG_XB_IPDST);
    r = parse("alert tcp any any -> any any (content:\"a\"; xbits:noalert; sid:61;)");
    assert_non_null(r);
    assert_true(r->flags & VG_RULE_NOALERT);
    static const char *bad[] = {
        "xbits:set,a",                          /* the track is required */
        "xbits:set,a,track ip_source",
        "xbits:set,a,track ip_src,expire 0",
        "xbits:set,a,track ip_src,expire -1",
        "xbits:set,a,track ip_src,expire 5x",
        "xbits:set,a,track ip_src,expire 5,more",
        "xbits:set,a,track ip_src,after 5",
        "xbits:frob,a,track ip_src",
        "xbits:set,,track ip_src",
        "xbits:noalert,a",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char txt[256];
        snprintf(txt, sizeof txt, "alert tcp any any -> any any (content:\"a\"; %s; sid:%zu;)",
                 bad[i], 70 + i);
        assert_null(parse(txt));
        assert_int_equal(last_diag()->kind, VG_DIAG_FAILED);
    }
}

static void test_misc_keywords(void **st)
{
    (void)st;
    const vg_rule_t *r = parse("alert tcp any any -> any any (msg:\"m\"; dsize:>10; ttl:<5; "
                               "flags:SA+,12; itype:8; window:!1024; ip_proto:!udp; "
                               "flowbits:isset,a|b; flowbits:set,c; flowbits:noalert; "
                               "flowint:cnt,+,1; flowint:cnt,>,3; "
                               "threshold:type limit, track by_src, count 2, seconds 60; "
                               "target:dest_ip; classtype:trojan-activity; priority:2; "
                               "reference:url,example.com/x; metadata:a b, c d; metadata:e f; "
                               "gid:3; sid:44;)");
    assert_non_null(r);
    assert_int_equal(r->n_pm, 6);
    assert_int_equal(r->pm[0].type, VG_PM_DSIZE);
    assert_int_equal(r->pm[0].cmp.mode, VG_CMP_GT);
    assert_int_equal(r->pm[2].bits, VG_TCP_SYN | VG_TCP_ACK);
    assert_int_equal(r->pm[2].bits_mode, VG_BITS_PLUS);
    assert_int_equal(r->pm[2].mask, VG_TCP_CWR | VG_TCP_ECE);
    assert_int_equal(r->pm[4].cmp.mode, VG_CMP_NE);
    assert_int_equal(r->pm[5].cmp.a, 17);
    assert_int_equal(r->n_flowbits, 2);
    assert_int_equal(r->flowbits[0].n, 2);
    assert_string_equal(vg_ruleset_flowbit_name(rs, r->flowbits[0].ids[1]), "b");
    assert_true(r->flags & VG_RULE_NOALERT);
    assert_false(vg_detect_should_alert(r));
    assert_int_equal(r->n_flowints, 2);
    assert_int_equal(r->threshold.type, VG_THR_LIMIT);
    assert_int_equal(r->threshold.count, 2);
    assert_true(r->flags & VG_RULE_TARGET_DST);
    assert_int_equal(r->priority, 2);
    assert_int_equal(r->gid, 3);
    assert_string_equal(r->refs[0].system, "url");
    assert_string_equal(r->metadata, "a b, c d, e f");
    /* unknown and unsupported keywords skip the rule with a reason */
    assert_null(parse("alert tcp any any -> any any (foo:bar; sid:45;)"));
    assert_int_equal(last_diag()->kind, VG_DIAG_SKIPPED);
    assert_string_equal(last_diag()->reason, "unsupported keyword 'foo'");
    r = parse("alert tcp any any -> any any (tag:host,10,packets,src; tag:host,300,packets; "
              "sid:46;)");
    assert_non_null(r);
    assert_int_equal(r->host_tag[0].metric, VG_TAG_PACKETS);
    assert_int_equal(r->host_tag[0].count, 10);
    assert_int_equal(r->host_tag[1].count, 256); /* dst by default; packets capped at 256 */
    assert_null(parse("alert tcp any any -> any any (tag:host,10,packets,both; sid:47;)"));
    assert_int_equal(last_diag()->kind, VG_DIAG_FAILED);
    r = parse("alert tcp any any -> any any (tag:session,10,seconds; sid:146;)");
    assert_non_null(r);
    assert_int_equal(r->tag_metric, VG_TAG_SECONDS);
    assert_int_equal(r->tag_count, 10);
    r = parse("alert tcp any any -> any any (tag:session; sid:147;)");
    assert_int_equal(r->tag_metric, VG_TAG_PACKETS);
    assert_int_equal(r->tag_count, 256);
    assert_null(parse("alert tcp any any -> any any (tag:session,10; sid:148;)"));
    assert_int_equal(last_diag()->kind, VG_DIAG_FAILED);
    assert_null(parse("alert tcp any any -> any any (tag:session,10,packets,src; sid:149;)"));
    assert_null(parse("alert tcp any any -> any any (tag:flow; sid:150;)"));
    assert_null(parse("alert tcp any any -> any any (flow:to_server,to_client; sid:47;)"));
    assert_null(parse("alert tcp any any -> any any (msg:\"no sid\";)"));
    assert_null(parse("alert tcp any any -> any any (sid:48)"));
    assert_null(parse("alert udp any any -> any any (flags:S; sid:49;)"));
    /* the same gid and sid twice: a higher rev replaces the first in its place, an equal or
     * lower one is refused; another gid is another rule */
    uint32_t n0 = vg_ruleset_count(rs);
    const vg_rule_t *d1 = parse("alert tcp any any -> any any (msg:\"one\"; sid:60; rev:1;)");
    assert_non_null(d1);
    const vg_rule_t *d2 = parse("alert tcp any any -> any any (msg:\"two\"; sid:60; rev:2;)");
    assert_non_null(d2);
    assert_int_equal(vg_ruleset_count(rs), n0 + 1);
    assert_int_equal(d2->id, d1->id);
    assert_ptr_equal(vg_ruleset_rule(rs, d2->id), d2);
    assert_int_equal(last_diag()->kind, VG_DIAG_SKIPPED);
    assert_string_equal(last_diag()->reason, "replaced by a higher rev");
    assert_null(parse("alert tcp any any -> any any (msg:\"three\"; sid:60; rev:2;)"));
    assert_int_equal(last_diag()->kind, VG_DIAG_FAILED);
    assert_string_equal(last_diag()->reason, "duplicate signature");
    assert_non_null(parse("alert tcp any any -> any any (msg:\"gid 3\"; gid:3; sid:60;)"));
    assert_int_equal(vg_ruleset_count(rs), n0 + 2);
    /* stream_size: side, operator, number */
    r = parse("alert tcp any any -> any any (stream_size:server,<,5; stream_size:either, >= ,10; "
              "stream_size:client,=,7; sid:50;)");
    assert_non_null(r);
    assert_int_equal(r->n_pm, 3);
    assert_int_equal(r->pm[0].type, VG_PM_STREAM_SIZE);
    assert_int_equal(r->pm[0].bits, VG_SSZ_SERVER);
    assert_int_equal(r->pm[0].cmp.mode, VG_CMP_LT);
    assert_int_equal(r->pm[0].cmp.a, 5);
    assert_int_equal(r->pm[1].bits, VG_SSZ_EITHER);
    assert_int_equal(r->pm[1].cmp.mode, VG_CMP_GE);
    assert_int_equal(r->pm[2].cmp.mode, VG_CMP_EQ);
    assert_int_equal(r->pm[2].cmp.a, 7);
    static const char *const bad_ss[] = {"stream_size:server,<;", "stream_size:up,<,5;",
                                         "stream_size:server,=<,5;", "stream_size:server,<,x;",
                                         "stream_size:server,<,5,6;"};
    for (size_t i = 0; i < VG_ARRAY_LEN(bad_ss); i++) {
        char txt[160];
        snprintf(txt, sizeof txt, "alert tcp any any -> any any (%s sid:51;)", bad_ss[i]);
        assert_null(parse(txt));
        assert_int_equal(last_diag()->kind, VG_DIAG_FAILED);
        assert_non_null(strstr(last_diag()->reason, "stream_size"));
    }
}

/* ftp rules and ftpbounce (which makes a rule an FTP rule, as in Suricata) */
static void test_ftp_keywords(void **st)
{
    (void)st;
    const vg_rule_t *r = parse("alert ftp any any -> any any (content:\"SITE\"; sid:70;)");
    assert_non_null(r);
    assert_int_equal(r->app_proto, VG_APP_FTP);
    assert_int_equal(r->l4, VG_L4_TCP);
    r = parse("alert tcp any any -> any 21 (content:\"PORT\"; ftpbounce; sid:71;)");
    assert_non_null(r);
    assert_int_equal(r->app_proto, VG_APP_FTP);
    assert_int_equal(r->n_pm, 1);
    assert_int_equal(r->pm[0].type, VG_PM_FTPBOUNCE);
    assert_non_null(parse("alert ftp any any -> any any (ftpbounce; sid:72;)"));
    assert_null(parse("alert http any any -> any any (ftpbounce; sid:73;)"));
    assert_int_equal(last_diag()->kind, VG_DIAG_FAILED);
    assert_null(parse("alert tcp any any -> any any (ftpbounce:1; sid:74;)"));
    r = parse("alert tcp any any -> any any (app-layer-protocol:ftp; sid:75;)");
    assert_non_null(r);
    assert_int_equal(r->pm[0].cmp.a, VG_APP_FTP);
    r = parse("alert ftp-data any any -> any any (content:\"x\"; sid:76;)");
    assert_non_null(r);
    assert_int_equal(r->app_proto, VG_APP_FTP_DATA);
    r = parse("alert tcp any any -> any any (ftpdata_command:stor; sid:77;)");
    assert_non_null(r);
    assert_int_equal(r->app_proto, VG_APP_FTP_DATA);
    assert_int_equal(r->pm[0].type, VG_PM_FTPDATA_CMD);
    assert_int_equal(r->pm[0].bits, 1);
    r = parse("alert ftp-data any any -> any any (ftpdata_command: retr ; sid:78;)");
    assert_non_null(r);
    assert_int_equal(r->pm[0].bits, 0);
    assert_null(parse("alert tcp any any -> any any (ftpdata_command:RETR; sid:79;)"));
    assert_int_equal(last_diag()->kind, VG_DIAG_FAILED);
    assert_null(parse("alert tcp any any -> any any (ftpdata_command:list; sid:80;)"));
    assert_null(parse("alert ftp any any -> any any (ftpdata_command:retr; sid:81;)"));
    assert_null(parse("alert tcp any any -> any any (ftpdata_command; sid:82;)"));
}

/* app-layer-event: an HTTP transaction event makes the rule an HTTP rule; protocols without
 * per-transaction events and events Vigil never raises are skipped with the reason */
static void test_app_layer_event(void **st)
{
    (void)st;
    const vg_rule_t *r = parse("alert tcp any any -> any any (app-layer-event:"
                               "http.invalid_transfer_encoding_value_in_request; sid:90;)");
    assert_non_null(r);
    assert_int_equal(r->app_proto, VG_APP_HTTP);
    assert_int_equal(r->n_pm, 1);
    assert_int_equal(r->pm[0].type, VG_PM_APP_EVENT);
    const vg_app_ops_t *o = vg_app_ops(VG_APP_HTTP);
    assert_int_equal(r->pm[0].cmp.a,
                     vg_app_event_id(o, "INVALID_TRANSFER_ENCODING_VALUE_IN_REQUEST"));
    assert_true(r->flags & VG_RULE_TX_PER_DIR); /* nothing else: inspected both ways */
    r = parse("alert http any any -> any any (app-layer-event:HTTP.Missing_Host_Header; "
              "http.method; content:\"GET\"; sid:91;)");
    assert_non_null(r);
    assert_false(r->flags & VG_RULE_TX_PER_DIR); /* the buffer's side decides */
    assert_null(parse("alert http any any -> any any (app-layer-event:http.double_encoded_uri; "
                      "sid:92;)"));
    assert_int_equal(last_diag()->kind, VG_DIAG_SKIPPED);
    assert_non_null(strstr(last_diag()->reason, "never raises"));
    assert_null(parse("alert dns any any -> any any (app-layer-event:dns.malformed_data; "
                      "sid:93;)"));
    assert_int_equal(last_diag()->kind, VG_DIAG_SKIPPED);
    assert_null(parse("alert tcp any any -> any any (app-layer-event:applayer.mismatch_protocol_"
                      "both_directions; sid:94;)"));
    assert_int_equal(last_diag()->kind, VG_DIAG_SKIPPED);
    assert_null(parse("alert tls any any -> any any (app-layer-event:http.missing_host_header; "
                      "sid:95;)"));
    assert_int_equal(last_diag()->kind, VG_DIAG_FAILED);
    assert_null(parse("alert http any any -> any any (app-layer-event:missing_host_header; "
                      "sid:96;)"));
    assert_int_equal(last_diag()->kind, VG_DIAG_FAILED);
    assert_null(parse("alert http any any -> any any (app-layer-event:!http.missing_host_header;"
                      " sid:97;)"));
    assert_int_equal(last_diag()->kind, VG_DIAG_FAILED);
}

/* decode-event, the checksum keywords, the ipv4/ipv6 protocols (as Suricata 7.0.10 parses them) */
static void test_decoder_keywords(void **st)
{
    (void)st;
    const vg_rule_t *r = parse("alert pkthdr any any -> any any (decode-event:ipv4.trunc_pkt; "
                               "sid:120;)");
    assert_non_null(r);
    assert_true(r->flags & VG_RULE_DECODE_EV);
    assert_int_equal(r->n_pm, 1);
    assert_int_equal(r->pm[0].type, VG_PM_DECODE_EVENT);
    assert_int_equal(r->pm[0].cmp.a, vg_decode_event_by_name("ipv4.trunc_pkt"));
    assert_false(r->flags & VG_RULE_IP_ONLY);
    /* the prefix is Suricata's own (it adds it): an unknown event there, an error here */
    assert_null(parse("alert pkthdr any any -> any any (decode-event:decoder.ipv4.trunc_pkt; "
                      "sid:121;)"));
    assert_int_equal(last_diag()->kind, VG_DIAG_FAILED);
    /* a layer Vigil does not decode: skipped with the reason */
    assert_null(parse("alert pkthdr any any -> any any (decode-event:mpls.bad_label_reserved; "
                      "sid:122;)"));
    assert_int_equal(last_diag()->kind, VG_DIAG_SKIPPED);
    assert_non_null(strstr(last_diag()->reason, "never raises"));
    assert_null(parse("alert pkthdr any any -> any any (decode-event:!ipv4.trunc_pkt; sid:123;)"));
    assert_int_equal(last_diag()->kind, VG_DIAG_FAILED);
    r = parse("alert tcp any any -> any any (tcpv4-csum:invalid; sid:124;)");
    assert_non_null(r);
    assert_int_equal(r->pm[0].type, VG_PM_CSUM);
    assert_int_equal(r->pm[0].bits, VG_CSUM_TCPV4);
    assert_int_equal(r->pm[0].bits_mode, 0);
    r = parse("alert ip any any -> any any (ipv4-csum:valid; sid:125;)");
    assert_non_null(r);
    assert_int_equal(r->pm[0].bits, VG_CSUM_IPV4);
    assert_int_equal(r->pm[0].bits_mode, 1);
    assert_null(parse("alert tcp any any -> any any (tcpv4-csum:\"valid\"; sid:126;)"));
    assert_null(parse("alert tcp any any -> any any (udpv6-csum:maybe; sid:127;)"));
    r = parse("alert ipv6 any any -> any any (msg:\"x\"; sid:128;)");
    assert_non_null(r);
    assert_int_equal(r->l4, VG_L4_ANY);
    assert_int_equal(r->n_pm, 1);
    assert_int_equal(r->pm[0].type, VG_PM_IP_VER);
    assert_int_equal(r->pm[0].cmp.a, 6);
    r = parse("alert ip4 any any -> any any (ttl:3; sid:129;)");
    assert_non_null(r);
    assert_int_equal(r->n_pm, 2);
    assert_int_equal(r->pm[0].cmp.a, 4);
    r = parse("alert tcp any any -> any any (stream-event:rst_invalid_ack; sid:130;)");
    assert_non_null(r);
    assert_true(r->flags & VG_RULE_STREAM_EV);
    assert_int_equal(r->pm[0].type, VG_PM_STREAM_EVENT);
    assert_int_equal(r->pm[0].cmp.a, vg_stream_event_by_name("stream.rst_invalid_ack"));
    assert_true(r->pm[0].cmp.a != 0);
    assert_null(parse("alert tcp any any -> any any (stream-event:stream.rst_invalid_ack; "
                      "sid:131;)"));
    assert_int_equal(last_diag()->kind, VG_DIAG_FAILED);
    assert_null(parse("alert tcp any any -> any any (stream-event:closewait_invalid_ack; "
                      "sid:132;)"));
    assert_int_equal(last_diag()->kind, VG_DIAG_SKIPPED);
    assert_non_null(strstr(last_diag()->reason, "never raises"));
}

static void test_load_str_lines(void **st)
{
    (void)st;
    const char *txt = "# comment\n"
                      "\n"
                      "alert tcp any any -> any any (msg:\"a\"; sid:50;)\n"
                      "#alert tcp any any -> any any (msg:\"disabled\"; sid:51;)\n"
                      "alert tcp any any -> any any (msg:\"b\"; \\\n"
                      "   content:\"x\"; sid:52;)\n"
                      "alert tcp any any -> any any (msg:\"c\"; content:\"x\"; depth:0; sid:53;)\n";
    assert_int_equal(vg_ruleset_load_str(rs, txt, "f.rules"), 2);
    assert_int_equal(vg_ruleset_count(rs), 2);
    assert_int_equal(vg_ruleset_rule(rs, 1)->line, 5);
    const vg_rule_diag_t *d = last_diag();
    assert_string_equal(d->file, "f.rules");
    assert_int_equal(d->line, 7);
    assert_int_equal(d->col, 53);
    assert_int_equal(d->sid, 53);
}

static void test_classification(void **st)
{
    (void)st;
    int bad = -1;
    int n = vg_ruleset_load_classification_str(
        rs, "# c\nconfig classification: trojan-activity,A Network Trojan was detected, 1\n"
            "config classification: misc-activity,Misc activity,3\nconfig classification: broken\n",
        &bad);
    assert_int_equal(n, 2);
    assert_int_equal(bad, 1);
    int prio = 0;
    assert_string_equal(vg_ruleset_class_desc(rs, "trojan-activity", &prio),
                        "A Network Trojan was detected");
    assert_int_equal(prio, 1);
    const vg_rule_t *r = parse("alert tcp any any -> any any (classtype:trojan-activity; sid:54;)");
    assert_non_null(r);
    assert_int_equal(r->priority, 1);
    assert_string_equal(r->class_desc, "A Network Trojan was detected");
    assert_null(parse("alert tcp any any -> any any (classtype:nope; sid:55;)"));
}

static void test_threshold_config(void **st)
{
    (void)st;
    int bad = -1;
    int n = vg_ruleset_load_threshold_str(
        rs, "threshold gen_id 1, sig_id 60, type both, track by_dst, count 5, seconds 30\n"
            "suppress gen_id 1, sig_id 61, track by_src, ip [10.0.0.0/8]\n"
            "suppress gen_id 1, sig_id 62\n"
            "event_filter gen_id 1, sig_id 0, type limit, track by_src, count 1, seconds 10\n"
            "rate_filter gen_id 1, sig_id 63, track by_rule, count 1, seconds 1, new_action drop, "
            "timeout 5\n",
        &bad);
    assert_int_equal(n, 4);
    assert_int_equal(bad, 1);
    const vg_rule_t *r60 = parse("alert tcp any any -> any any (sid:60; threshold:type limit, "
                                 "track by_src, count 1, seconds 1;)");
    const vg_rule_t *r61 = parse("alert tcp any any -> any any (sid:61;)");
    const vg_rule_t *r62 = parse("alert tcp any any -> any any (sid:62;)");
    assert_non_null(r60);
    vg_threshold_t t = vg_ruleset_threshold(rs, r60);
    assert_int_equal(t.type, VG_THR_BOTH);
    assert_int_equal(t.count, 5);
    t = vg_ruleset_threshold(rs, r61); /* the sid 0 event_filter applies */
    assert_int_equal(t.type, VG_THR_LIMIT);
    vg_packet_t p;
    memset(&p, 0, sizeof(p));
    p.ip_ver = 4;
    p.src = a4("10.1.1.1");
    p.dst = a4("8.8.8.8");
    assert_true(vg_ruleset_is_suppressed(rs, r61, &p));
    p.src = a4("11.1.1.1");
    assert_false(vg_ruleset_is_suppressed(rs, r61, &p));
    assert_true(vg_ruleset_is_suppressed(rs, r62, &p));
    assert_false(vg_ruleset_is_suppressed(rs, r60, &p));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_header_vars, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ftp_keywords, setup, teardown),
        cmocka_unit_test_setup_teardown(test_app_layer_event, setup, teardown),
        cmocka_unit_test_setup_teardown(test_decoder_keywords, setup, teardown),
        cmocka_unit_test_setup_teardown(test_header_lists_nesting, setup, teardown),
        cmocka_unit_test_setup_teardown(test_header_ipv6, setup, teardown),
        cmocka_unit_test_setup_teardown(test_var_override, setup, teardown),
        cmocka_unit_test_setup_teardown(test_header_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_content_escapes_hex, setup, teardown),
        cmocka_unit_test_setup_teardown(test_content_modifiers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sticky_and_legacy, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pcre_parse, setup, teardown),
        cmocka_unit_test_setup_teardown(test_byte_parse, setup, teardown),
        cmocka_unit_test_setup_teardown(test_misc_keywords, setup, teardown),
        cmocka_unit_test_setup_teardown(test_xbits_parse, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_str_lines, setup, teardown),
        cmocka_unit_test_setup_teardown(test_classification, setup, teardown),
        cmocka_unit_test_setup_teardown(test_threshold_config, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
