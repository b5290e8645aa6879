/* test_app_dns.c — DNS parser: UDP and TCP messages built here byte by byte, the EVE v3 output
 * checked through jansson, and hostile inputs (loops, truncation, long names) under ASan. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "app/app.h"
#include "apptest.h"

/* ---- message builder -------------------------------------------------------------------- */

typedef struct mb {
    uint8_t b[4096];
    size_t n;
} mb_t;

static void u8(mb_t *m, unsigned v) { m->b[m->n++] = (uint8_t)v; }
static void u16(mb_t *m, unsigned v) { u8(m, v >> 8); u8(m, v & 0xFF); }
static void u32(mb_t *m, uint32_t v) { u16(m, v >> 16); u16(m, v & 0xFFFF); }
static void raw(mb_t *m, const void *p, size_t n) { memcpy(m->b + m->n, p, n); m->n += n; }

/* "www.example.com" as labels with a terminating zero. */
static void name(mb_t *m, const char *s)
{
    while (*s) {
        const char *dot = strchr(s, '.');
        size_t l = dot ? (size_t)(dot - s) : strlen(s);
        u8(m, (unsigned)l);
        raw(m, s, l);
        s += l + (dot ? 1 : 0);
    }
    u8(m, 0);
}

static void ptr(mb_t *m, unsigned off) { u16(m, 0xC000 | off); }

static void hdr(mb_t *m, unsigned id, unsigned flags, unsigned qd, unsigned an, unsigned ns,
                unsigned ar)
{
    m->n = 0;
    u16(m, id); u16(m, flags); u16(m, qd); u16(m, an); u16(m, ns); u16(m, ar);
}

/* RR header after the name; returns the offset of rdlength to patch. */
static size_t rr(mb_t *m, unsigned type, uint32_t ttl)
{
    u16(m, type); u16(m, 1); u32(m, ttl);
    size_t at = m->n;
    u16(m, 0);
    return at;
}

static void rdlen_fix(mb_t *m, size_t at)
{
    size_t l = m->n - at - 2;
    m->b[at] = (uint8_t)(l >> 8);
    m->b[at + 1] = (uint8_t)l;
}

/* ---- harness ----------------------------------------------------------------------------- */

static int setup(void **st)
{
    (void)st;
    apptest_setup(VG_APP_DNS);
    return 0;
}

static const vg_app_ops_t *ops(void) { return vg_app_ops(VG_APP_DNS); }

static const char *jstr(json_t *j, const char *path)
{
    json_t *v = json_object_get(j, path);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static json_t *jat(json_t *j, const char *arr, size_t i)
{
    return json_array_get(json_object_get(j, arr), i);
}

static void *parse_udp(void *s, int dir, const mb_t *m)
{
    assert_int_equal(ops()->parse(s, dir, m->b, m->n, &apptest.ctx), VG_APP_PARSE_OK);
    uint64_t n = ops()->tx_count(s);
    return n ? ops()->tx_get(s, n - 1) : NULL;
}

/* ---- messages used by several tests ------------------------------------------------------ */

static void query_a(mb_t *m, unsigned id, const char *qname)
{
    hdr(m, id, 0x0100, 1, 0, 0, 0);
    name(m, qname);
    u16(m, 1); u16(m, 1);
}

/* Response: www.example.com CNAME web.example.com, web A, web AAAA; SOA in authority;
 * OPT and an A for ns1 in additionals. Names compressed. */
static void response_full(mb_t *m)
{
    hdr(m, 0x1234, 0x8180, 1, 3, 1, 2);
    name(m, "www.example.com"); /* at 12; "example.com" at 16 */
    u16(m, 1); u16(m, 1);
    ptr(m, 12);
    size_t at = rr(m, 5, 300);
    size_t web = m->n;
    u8(m, 3); raw(m, "web", 3); ptr(m, 16);
    rdlen_fix(m, at);
    ptr(m, (unsigned)web);
    at = rr(m, 1, 60);
    raw(m, "\x5d\xb8\xd8\x22", 4);
    rdlen_fix(m, at);
    ptr(m, (unsigned)web);
    at = rr(m, 28, 60);
    raw(m, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01", 16);
    rdlen_fix(m, at);
    ptr(m, 16);
    at = rr(m, 6, 3600);
    size_t ns1 = m->n;
    u8(m, 3); raw(m, "ns1", 3); ptr(m, 16);
    u8(m, 10); raw(m, "hostmaster", 10); ptr(m, 16);
    u32(m, 2024010101); u32(m, 7200); u32(m, 3600); u32(m, 1209600); u32(m, 300);
    rdlen_fix(m, at);
    u8(m, 0); u16(m, 41); u16(m, 1232); u32(m, 0); u16(m, 0); /* OPT */
    ptr(m, (unsigned)ns1);
    at = rr(m, 1, 60);
    raw(m, "\x0a\0\0\x01", 4);
    rdlen_fix(m, at);
}

/* ---- tests ------------------------------------------------------------------------------- */

static void test_udp_query(void **s_)
{
    (void)s_;
    mb_t m;
    query_a(&m, 28390, "code.msdn.microsoft.com");
    void *s = ops()->state_new(false);
    void *tx = parse_udp(s, VG_DIR_TOSERVER, &m);
    assert_non_null(tx);
    assert_true(ops()->tx_complete(tx, false));
    json_t *j = apptest_log_json(tx);
    assert_int_equal(json_integer_value(json_object_get(j, "version")), 3);
    assert_string_equal(jstr(j, "type"), "request");
    assert_int_equal(json_integer_value(json_object_get(j, "id")), 28390);
    assert_int_equal(json_integer_value(json_object_get(j, "tx_id")), 0);
    assert_string_equal(jstr(j, "flags"), "100");
    assert_true(json_is_true(json_object_get(j, "rd")));
    assert_null(json_object_get(j, "qr"));
    assert_int_equal(json_integer_value(json_object_get(j, "opcode")), 0);
    assert_string_equal(jstr(j, "rcode"), "NOERROR");
    assert_string_equal(jstr(jat(j, "queries", 0), "rrname"), "code.msdn.microsoft.com");
    assert_string_equal(jstr(jat(j, "queries", 0), "rrtype"), "A");
    assert_null(json_object_get(j, "answers"));
    json_decref(j);
    const uint8_t *d;
    size_t n;
    assert_true(ops()->get_buffer(tx, VG_BUF_DNS_QUERY, &d, &n));
    assert_int_equal(n, strlen("code.msdn.microsoft.com"));
    assert_memory_equal(d, "code.msdn.microsoft.com", n);
    assert_false(ops()->get_buffer(tx, VG_BUF_TLS_SNI, &d, &n));
    assert_int_equal(apptest.n_events, 0);
    ops()->state_free(s);
}

static void test_udp_response_sections(void **s_)
{
    (void)s_;
    mb_t m;
    response_full(&m);
    void *s = ops()->state_new(false);
    json_t *j = apptest_log_json(parse_udp(s, VG_DIR_TOCLIENT, &m));
    assert_int_equal(apptest.n_events, 0);
    assert_string_equal(jstr(j, "type"), "response");
    assert_string_equal(jstr(j, "flags"), "8180");
    assert_true(json_is_true(json_object_get(j, "qr")));
    assert_true(json_is_true(json_object_get(j, "ra")));
    assert_null(json_object_get(j, "aa"));
    json_t *a0 = jat(j, "answers", 0), *a1 = jat(j, "answers", 1), *a2 = jat(j, "answers", 2);
    assert_string_equal(jstr(a0, "rrname"), "www.example.com");
    assert_string_equal(jstr(a0, "rrtype"), "CNAME");
    assert_string_equal(jstr(a0, "rdata"), "web.example.com");
    assert_int_equal(json_integer_value(json_object_get(a0, "ttl")), 300);
    assert_string_equal(jstr(a1, "rrname"), "web.example.com");
    assert_string_equal(jstr(a1, "rdata"), "93.184.216.34");
    assert_string_equal(jstr(a2, "rrtype"), "AAAA");
    assert_string_equal(jstr(a2, "rdata"), "2001:0db8:0000:0000:0000:0000:0000:0001");
    json_t *soa = json_object_get(jat(j, "authorities", 0), "soa");
    assert_string_equal(jstr(jat(j, "authorities", 0), "rrtype"), "SOA");
    assert_string_equal(jstr(soa, "mname"), "ns1.example.com");
    assert_string_equal(jstr(soa, "rname"), "hostmaster.example.com");
    assert_int_equal(json_integer_value(json_object_get(soa, "serial")), 2024010101);
    assert_int_equal(json_integer_value(json_object_get(soa, "minimum")), 300);
    /* OPT is skipped: the only additional is ns1's A. */
    assert_int_equal(json_array_size(json_object_get(j, "additionals")), 1);
    assert_string_equal(jstr(jat(j, "additionals", 0), "rrname"), "ns1.example.com");
    assert_string_equal(jstr(jat(j, "additionals", 0), "rdata"), "10.0.0.1");
    json_decref(j);
    /* Responses do not feed dns.query. */
    const uint8_t *d;
    size_t n;
    assert_false(ops()->get_buffer(ops()->tx_get(s, 0), VG_BUF_DNS_QUERY, &d, &n));
    ops()->state_free(s);
}

static void test_other_rdata(void **s_)
{
    (void)s_;
    mb_t m;
    hdr(&m, 7, 0x8580, 1, 8, 0, 0);
    name(&m, "example.org");
    u16(&m, 255); u16(&m, 1);
    ptr(&m, 12); size_t at = rr(&m, 15, 10); u16(&m, 10); u8(&m, 4); raw(&m, "mail", 4);
    ptr(&m, 12); rdlen_fix(&m, at);
    ptr(&m, 12); at = rr(&m, 16, 10); u8(&m, 5); raw(&m, "v=spf", 5); u8(&m, 3); raw(&m, " -a", 3);
    rdlen_fix(&m, at);
    ptr(&m, 12); at = rr(&m, 33, 10); u16(&m, 1); u16(&m, 5); u16(&m, 5060); name(&m, "sip.example.org");
    rdlen_fix(&m, at);
    ptr(&m, 12); at = rr(&m, 12, 10); ptr(&m, 12); rdlen_fix(&m, at);
    ptr(&m, 12); at = rr(&m, 10, 10); raw(&m, "ab\0c", 4); rdlen_fix(&m, at);
    ptr(&m, 12); at = rr(&m, 44, 10); u8(&m, 4); u8(&m, 2); raw(&m, "\xde\xad\xbe\xef", 4);
    rdlen_fix(&m, at);
    ptr(&m, 12); at = rr(&m, 65, 10); u16(&m, 1); u8(&m, 0); u16(&m, 1); u16(&m, 3);
    raw(&m, "\x02h2", 3); rdlen_fix(&m, at);
    ptr(&m, 12); at = rr(&m, 4242, 10); raw(&m, "xyz", 3); rdlen_fix(&m, at);
    void *s = ops()->state_new(false);
    json_t *j = apptest_log_json(parse_udp(s, VG_DIR_TOCLIENT, &m));
    assert_int_equal(apptest.n_events, 0);
    assert_true(json_is_true(json_object_get(j, "aa")));
    assert_string_equal(jstr(jat(j, "queries", 0), "rrtype"), "ANY");
    assert_string_equal(jstr(jat(j, "answers", 0), "rrtype"), "MX");
    assert_string_equal(jstr(jat(j, "answers", 0), "rdata"), "mail.example.org");
    assert_string_equal(jstr(jat(j, "answers", 1), "rdata"), "v=spf -a");
    json_t *srv = json_object_get(jat(j, "answers", 2), "srv");
    assert_int_equal(json_integer_value(json_object_get(srv, "port")), 5060);
    assert_int_equal(json_integer_value(json_object_get(srv, "weight")), 5);
    assert_string_equal(jstr(srv, "name"), "sip.example.org");
    assert_string_equal(jstr(jat(j, "answers", 3), "rdata"), "example.org");
    json_t *nul = json_object_get(jat(j, "answers", 4), "rdata");
    assert_int_equal(json_string_length(nul), 4);
    assert_memory_equal(json_string_value(nul), "ab\0c", 4);
    json_t *fp = json_object_get(jat(j, "answers", 5), "sshfp");
    assert_string_equal(jstr(fp, "fingerprint"), "de:ad:be:ef");
    assert_int_equal(json_integer_value(json_object_get(fp, "algo")), 4);
    json_t *svcb = json_object_get(jat(j, "answers", 6), "svcb");
    assert_string_equal(jstr(jat(j, "answers", 6), "rrtype"), "HTTPS");
    assert_int_equal(json_integer_value(json_object_get(svcb, "priority")), 1);
    assert_string_equal(jstr(svcb, "target"), "");
    assert_string_equal(jstr(jat(j, "answers", 7), "rrtype"), "4242");
    assert_null(json_object_get(jat(j, "answers", 7), "rdata"));
    json_decref(j);
    ops()->state_free(s);
}

static void test_compression_loop(void **s_)
{
    (void)s_;
    mb_t m;
    /* The question name is a pointer to itself. */
    hdr(&m, 1, 0x0100, 1, 0, 0, 0);
    ptr(&m, 12);
    u16(&m, 1); u16(&m, 1);
    void *s = ops()->state_new(false);
    void *tx = parse_udp(s, VG_DIR_TOSERVER, &m);
    assert_true(apptest_saw("INFINITE_LOOP"));
    json_t *j = apptest_log_json(tx);
    assert_string_equal(jstr(jat(j, "queries", 0), "rrname"), "");
    assert_string_equal(jstr(jat(j, "queries", 0), "rrtype"), "A");
    json_decref(j);
    /* Two labels pointing at each other, with text in between. */
    apptest.n_events = 0;
    hdr(&m, 2, 0x0100, 1, 0, 0, 0);
    u8(&m, 1); raw(&m, "a", 1); ptr(&m, 16);   /* 12: "a" then -> 16 */
    u8(&m, 1); raw(&m, "b", 1); ptr(&m, 12);   /* 16: "b" then -> 12 */
    u16(&m, 1); u16(&m, 1);
    tx = parse_udp(s, VG_DIR_TOSERVER, &m);
    assert_non_null(tx);
    assert_true(apptest_saw("INFINITE_LOOP") || apptest_saw("NAME_TOO_LONG") || apptest_saw("MALFORMED_DATA"));
    ops()->state_free(s);
}

static void test_pointer_out_of_bounds(void **s_)
{
    (void)s_;
    mb_t m;
    hdr(&m, 3, 0x0100, 1, 0, 0, 0);
    ptr(&m, 0x3FFF);
    u16(&m, 1); u16(&m, 1);
    void *s = ops()->state_new(false);
    void *tx = parse_udp(s, VG_DIR_TOSERVER, &m);
    assert_true(apptest_saw("MALFORMED_DATA"));
    json_t *j = apptest_log_json(tx);
    assert_null(json_object_get(j, "queries"));
    json_decref(j);
    ops()->state_free(s);
}

static void test_name_too_long(void **s_)
{
    (void)s_;
    mb_t m;
    hdr(&m, 4, 0x0100, 1, 0, 0, 0);
    for (int i = 0; i < 5; i++) { /* 5 x 64 = 320 wire bytes */
        u8(&m, 63);
        memset(m.b + m.n, 'a' + i, 63);
        m.n += 63;
    }
    u8(&m, 0);
    u16(&m, 28); u16(&m, 1);
    void *s = ops()->state_new(false);
    void *tx = parse_udp(s, VG_DIR_TOSERVER, &m);
    assert_true(apptest_saw("NAME_TOO_LONG"));
    assert_false(apptest_saw("MALFORMED_DATA"));
    json_t *j = apptest_log_json(tx);
    const char *q = jstr(jat(j, "queries", 0), "rrname");
    assert_true(strlen(q) <= 253);
    assert_string_equal(jstr(jat(j, "queries", 0), "rrtype"), "AAAA"); /* parsing went on */
    json_decref(j);
    ops()->state_free(s);
}

static void test_bad_label_and_truncation(void **s_)
{
    (void)s_;
    mb_t m;
    void *s = ops()->state_new(false);
    hdr(&m, 5, 0x0100, 1, 0, 0, 0);
    u8(&m, 0x45); raw(&m, "abcde", 5); u8(&m, 0); u16(&m, 1); u16(&m, 1);
    parse_udp(s, VG_DIR_TOSERVER, &m);
    assert_true(apptest_saw("MALFORMED_DATA"));

    /* Answer whose rdlength runs past the end: the question is kept. */
    apptest.n_events = 0;
    hdr(&m, 6, 0x8180, 1, 2, 0, 0);
    name(&m, "a.b"); u16(&m, 1); u16(&m, 1);
    ptr(&m, 12); size_t at = rr(&m, 1, 1); raw(&m, "\1\2\3\4", 4); rdlen_fix(&m, at);
    ptr(&m, 12); rr(&m, 1, 1); m.b[m.n - 1] = 200; raw(&m, "\1\2", 2);
    json_t *j = apptest_log_json(parse_udp(s, VG_DIR_TOCLIENT, &m));
    assert_true(apptest_saw("MALFORMED_DATA"));
    assert_string_equal(jstr(jat(j, "queries", 0), "rrname"), "a.b");
    assert_int_equal(json_array_size(json_object_get(j, "answers")), 1);
    json_decref(j);

    /* A record with a 5-byte rdata: anomaly, the record is logged without rdata. */
    apptest.n_events = 0;
    hdr(&m, 7, 0x8180, 0, 1, 0, 0);
    name(&m, "x"); at = rr(&m, 1, 1); raw(&m, "\1\2\3\4\5", 5); rdlen_fix(&m, at);
    j = apptest_log_json(parse_udp(s, VG_DIR_TOCLIENT, &m));
    assert_true(apptest_saw("MALFORMED_DATA"));
    assert_null(json_object_get(jat(j, "answers", 0), "rdata"));
    json_decref(j);

    /* Authority truncated. */
    apptest.n_events = 0;
    hdr(&m, 8, 0x8180, 0, 0, 1, 0);
    name(&m, "x"); u16(&m, 6);
    parse_udp(s, VG_DIR_TOCLIENT, &m);
    assert_true(apptest_saw("INVALID_AUTHORITIES"));

    /* Too short for a header: no transaction. */
    apptest.n_events = 0;
    uint64_t before = ops()->tx_count(s);
    assert_int_equal(ops()->parse(s, VG_DIR_TOSERVER, (const uint8_t *)"\1\2\3", 3, &apptest.ctx),
                     VG_APP_PARSE_OK);
    assert_int_equal(ops()->tx_count(s), before);
    assert_true(apptest_saw("MALFORMED_DATA"));
    ops()->state_free(s);
}

static void test_direction_and_z(void **s_)
{
    (void)s_;
    mb_t m;
    void *s = ops()->state_new(false);
    query_a(&m, 9, "x.y");
    parse_udp(s, VG_DIR_TOCLIENT, &m);
    assert_true(apptest_saw("NOT_A_RESPONSE"));
    response_full(&m);
    parse_udp(s, VG_DIR_TOSERVER, &m);
    assert_true(apptest_saw("NOT_A_REQUEST"));
    query_a(&m, 10, "x.y");
    m.b[3] |= 0x40;
    json_t *j = apptest_log_json(parse_udp(s, VG_DIR_TOSERVER, &m));
    assert_true(apptest_saw("Z_FLAG_SET"));
    assert_true(json_is_true(json_object_get(j, "z")));
    json_decref(j);
    /* opcode and rcode */
    hdr(&m, 11, 0x8000 | (2 << 11) | 3, 0, 0, 0, 0);
    j = apptest_log_json(parse_udp(s, VG_DIR_TOCLIENT, &m));
    assert_int_equal(json_integer_value(json_object_get(j, "opcode")), 2);
    assert_string_equal(jstr(j, "rcode"), "NXDOMAIN");
    json_decref(j);
    hdr(&m, 12, 0x800d, 0, 0, 0, 0);
    j = apptest_log_json(parse_udp(s, VG_DIR_TOCLIENT, &m));
    assert_string_equal(jstr(j, "rcode"), "13");
    json_decref(j);
    ops()->state_free(s);
}

/* Two framed messages: whole, then byte by byte, then in odd chunks: same logs. */
static void test_tcp_framing(void **s_)
{
    (void)s_;
    mb_t q, r;
    query_a(&q, 0x1234, "www.example.com");
    response_full(&r);
    uint8_t stream[8192];
    size_t n = 0;
    stream[n++] = (uint8_t)(q.n >> 8); stream[n++] = (uint8_t)q.n;
    memcpy(stream + n, q.b, q.n); n += q.n;
    stream[n++] = 0; stream[n++] = 0; /* empty message: skipped */
    stream[n++] = (uint8_t)(r.n >> 8); stream[n++] = (uint8_t)r.n;
    memcpy(stream + n, r.b, r.n); n += r.n;

    char *ref[2] = {NULL, NULL};
    size_t steps[] = {n, 1, 7, 13};
    for (size_t k = 0; k < VG_ARRAY_LEN(steps); k++) {
        void *s = ops()->state_new(true);
        for (size_t off = 0; off < n; off += steps[k]) {
            size_t len = VG_MIN(steps[k], n - off);
            assert_int_equal(ops()->parse(s, VG_DIR_TOSERVER, stream + off, len, &apptest.ctx),
                             VG_APP_PARSE_OK);
        }
        assert_int_equal(ops()->tx_count(s), 2);
        for (int t = 0; t < 2; t++) {
            char *got = apptest_log_str(ops()->tx_get(s, (uint64_t)t));
            if (!ref[t])
                ref[t] = got;
            else {
                assert_string_equal(got, ref[t]);
                free(got);
            }
        }
        ops()->state_free(s);
    }
    assert_non_null(strstr(ref[0], "\"rrname\":\"www.example.com\""));
    assert_non_null(strstr(ref[1], "\"tx_id\":1"));
    free(ref[0]);
    free(ref[1]);
    /* A truncated message at flow end stays buffered and is freed with the state. */
    void *s = ops()->state_new(true);
    ops()->parse(s, VG_DIR_TOCLIENT, stream, 10, &apptest.ctx);
    assert_int_equal(ops()->tx_count(s), 0);
    ops()->gap(s, VG_DIR_TOCLIENT, 100);
    ops()->state_free(s);
}

static void test_release_and_flood(void **s_)
{
    (void)s_;
    mb_t m;
    void *s = ops()->state_new(false);
    for (int i = 0; i < 3; i++) {
        query_a(&m, (unsigned)i, "a.b");
        parse_udp(s, VG_DIR_TOSERVER, &m);
    }
    assert_int_equal(ops()->tx_count(s), 3);
    ops()->tx_release(s, 2);
    assert_null(ops()->tx_get(s, 0));
    assert_null(ops()->tx_get(s, 1));
    assert_non_null(ops()->tx_get(s, 2));
    assert_null(ops()->tx_get(s, 3));
    ops()->state_free(s);

    apptest.cfg.max_tx_per_flow = 2;
    s = ops()->state_new(false);
    for (int i = 0; i < 4; i++) {
        query_a(&m, (unsigned)i, "a.b");
        ops()->parse(s, VG_DIR_TOSERVER, m.b, m.n, &apptest.ctx);
    }
    assert_int_equal(ops()->tx_count(s), 2);
    assert_true(apptest_saw("FLOODED"));
    ops()->tx_release(s, 2);
    ops()->parse(s, VG_DIR_TOSERVER, m.b, m.n, &apptest.ctx);
    assert_int_equal(ops()->tx_count(s), 3);
    ops()->state_free(s);
}

static void test_probe(void **s_)
{
    (void)s_;
    mb_t m;
    query_a(&m, 1, "example.com");
    assert_int_equal(ops()->probe(m.b, m.n, VG_DIR_TOSERVER), 1);
    assert_int_equal(ops()->probe(m.b, 5, VG_DIR_TOSERVER), -1);
    uint8_t tcp[600];
    tcp[0] = 0; tcp[1] = (uint8_t)m.n;
    memcpy(tcp + 2, m.b, m.n);
    assert_int_equal(ops()->probe(tcp, m.n + 2, VG_DIR_TOSERVER), 1);
    const char *http = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    assert_int_equal(ops()->probe((const uint8_t *)http, strlen(http), VG_DIR_TOSERVER), 0);
    assert_int_equal(vg_app_detect(false, 40000, 53, m.b, m.n, VG_DIR_TOSERVER), VG_APP_DNS);
}

/* Random mutations of a valid response and random garbage: nothing may crash or leak, and the
 * log must stay valid JSON. */
static void test_fuzz(void **s_)
{
    (void)s_;
    mb_t base, m;
    response_full(&base);
    srand(1234);
    apptest.ctx.anomaly = NULL;
    for (int it = 0; it < 20000; it++) {
        m = base;
        int muts = 1 + rand() % 4;
        for (int k = 0; k < muts; k++)
            m.b[rand() % m.n] = (uint8_t)rand();
        if (it % 3 == 0)
            m.n = (size_t)rand() % (base.n + 1);
        bool tcp = it % 2;
        void *s = ops()->state_new(tcp);
        if (tcp) {
            uint8_t fr[4200];
            fr[0] = (uint8_t)(m.n >> 8); fr[1] = (uint8_t)m.n;
            memcpy(fr + 2, m.b, m.n);
            for (size_t off = 0; off < m.n + 2; off += 3)
                ops()->parse(s, it % 4 == 1, fr + off, VG_MIN(3, m.n + 2 - off), &apptest.ctx);
        } else {
            ops()->parse(s, it % 4 == 0, m.b, m.n, &apptest.ctx);
        }
        for (uint64_t t = 0; t < ops()->tx_count(s); t++)
            json_decref(apptest_log_json(ops()->tx_get(s, t)));
        ops()->state_free(s);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_udp_query, setup),
        cmocka_unit_test_setup(test_udp_response_sections, setup),
        cmocka_unit_test_setup(test_other_rdata, setup),
        cmocka_unit_test_setup(test_compression_loop, setup),
        cmocka_unit_test_setup(test_pointer_out_of_bounds, setup),
        cmocka_unit_test_setup(test_name_too_long, setup),
        cmocka_unit_test_setup(test_bad_label_and_truncation, setup),
        cmocka_unit_test_setup(test_direction_and_z, setup),
        cmocka_unit_test_setup(test_tcp_framing, setup),
        cmocka_unit_test_setup(test_release_and_flood, setup),
        cmocka_unit_test_setup(test_probe, setup),
        cmocka_unit_test_setup(test_fuzz, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
