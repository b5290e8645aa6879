/* test_app_ssh.c — SSH banners and key-exchange packet framing, including long and invalid
 * banners, chunked feeding and mutated input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "app/app.h"
#include "apptest.h"

static int setup(void **st)
{
    (void)st;
    apptest_setup(VG_APP_SSH);
    return 0;
}

static const vg_app_ops_t *ops(void) { return vg_app_ops(VG_APP_SSH); }

static const char *jpath(json_t *j, const char *side, const char *k)
{
    json_t *v = json_object_get(json_object_get(j, side), k);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static void feed(void *s, int dir, const void *p, size_t n, size_t step)
{
    const uint8_t *b = p;
    for (size_t off = 0; off < n; off += step)
        assert_int_equal(ops()->parse(s, dir, b + off, VG_MIN(step, n - off), &apptest.ctx),
                         VG_APP_PARSE_OK);
}

/* A plaintext binary packet: length, padding length, message number, body, padding. */
static size_t packet(uint8_t *out, unsigned msg, size_t body, size_t pad)
{
    size_t len = 1 + 1 + body + pad;
    out[0] = (uint8_t)(len >> 24); out[1] = (uint8_t)(len >> 16);
    out[2] = (uint8_t)(len >> 8); out[3] = (uint8_t)len;
    out[4] = (uint8_t)pad;
    out[5] = (uint8_t)msg;
    memset(out + 6, 0x42, body + pad);
    return 4 + len;
}

typedef struct stream {
    uint8_t b[4096];
    size_t n;
} stream_t;

static void build(stream_t *s, const char *banner)
{
    s->n = strlen(banner);
    memcpy(s->b, banner, s->n);
    s->n += packet(s->b + s->n, 20, 300, 6);   /* KEXINIT */
    s->n += packet(s->b + s->n, 30, 100, 4);   /* KEX_ECDH_INIT / REPLY */
    s->n += packet(s->b + s->n, 21, 0, 10);    /* NEWKEYS */
    memset(s->b + s->n, 0xEE, 200);            /* encrypted from here */
    s->n += 200;
}

static void test_banners(void **s_)
{
    (void)s_;
    stream_t c, sv;
    build(&c, "SSH-2.0-OpenSSH_8.9p1 Ubuntu-3\r\n");
    build(&sv, "Welcome to the box\r\nSSH-1.99-OpenSSH_3.1p1\r\n");
    char *ref = NULL;
    size_t steps[] = {4096, 1, 2, 5, 77};
    for (size_t k = 0; k < VG_ARRAY_LEN(steps); k++) {
        void *s = ops()->state_new(true);
        feed(s, VG_DIR_TOSERVER, c.b, c.n, steps[k]);
        assert_false(ops()->payload_encrypted(s)); /* only the client's NEWKEYS so far */
        assert_int_equal(ops()->tx_count(s), 1);
        void *tx = ops()->tx_get(s, 0);
        assert_false(ops()->tx_complete(tx, false));
        assert_true(ops()->tx_complete(tx, true));
        feed(s, VG_DIR_TOCLIENT, sv.b, sv.n, steps[k]);
        assert_true(ops()->tx_complete(tx, false));
        assert_true(ops()->payload_encrypted(s)); /* both sides sent NEWKEYS */
        char *got = apptest_log_str(tx);
        if (!ref)
            ref = got;
        else {
            assert_string_equal(got, ref);
            free(got);
        }
        ops()->state_free(s);
    }
    json_t *j = json_loads(ref, 0, NULL);
    assert_string_equal(jpath(j, "client", "proto_version"), "2.0");
    assert_string_equal(jpath(j, "client", "software_version"), "OpenSSH_8.9p1");
    assert_string_equal(jpath(j, "server", "proto_version"), "1.99");
    assert_string_equal(jpath(j, "server", "software_version"), "OpenSSH_3.1p1");
    json_decref(j);
    free(ref);
    assert_int_equal(apptest.n_events, 0);
}

static void test_buffers(void **s_)
{
    (void)s_;
    void *s = ops()->state_new(true);
    feed(s, VG_DIR_TOCLIENT, "SSH-2.0-dropbear_2022.83\r\n", 26, 26);
    void *tx = ops()->tx_get(s, 0);
    const uint8_t *d;
    size_t n;
    /* each side's banner in its own buffers: the client's, then the server's (_TC) */
    assert_false(ops()->get_buffer(tx, VG_BUF_SSH_SOFTWARE, &d, &n));
    assert_true(ops()->get_buffer(tx, VG_BUF_SSH_SOFTWARE_TC, &d, &n));
    assert_int_equal(n, strlen("dropbear_2022.83"));
    assert_memory_equal(d, "dropbear_2022.83", n);
    feed(s, VG_DIR_TOSERVER, "SSH-1.99-PuTTY_Release_0.78\n", 28, 28);
    assert_true(ops()->get_buffer(tx, VG_BUF_SSH_SOFTWARE, &d, &n));
    assert_memory_equal(d, "PuTTY_Release_0.78", n);
    assert_true(ops()->get_buffer(tx, VG_BUF_SSH_PROTO, &d, &n));
    assert_int_equal(n, 4);
    assert_memory_equal(d, "1.99", 4);
    assert_true(ops()->get_buffer(tx, VG_BUF_SSH_PROTO_TC, &d, &n));
    assert_int_equal(n, 3);
    assert_memory_equal(d, "2.0", 3);
    assert_true(ops()->get_buffer(tx, VG_BUF_SSH_SOFTWARE_TC, &d, &n));
    assert_memory_equal(d, "dropbear_2022.83", n);
    assert_false(ops()->get_buffer(tx, VG_BUF_TLS_SNI, &d, &n));
    json_t *j = apptest_log_json(tx);
    assert_null(json_object_get(json_object_get(j, "client"), "comment"));
    json_decref(j);
    ops()->tx_release(s, 1);
    assert_null(ops()->tx_get(s, 0));
    feed(s, VG_DIR_TOSERVER, "more", 4, 4);
    assert_int_equal(ops()->tx_count(s), 1);
    ops()->state_free(s);
}

static void test_long_banner(void **s_)
{
    (void)s_;
    char line[1200];
    strcpy(line, "SSH-2.0-");
    memset(line + 8, 'A', 1000);
    strcpy(line + 1008, " tail\r\n");
    stream_t c;
    build(&c, line);
    char *ref = NULL;
    size_t steps[] = {4096, 1, 13};
    for (size_t k = 0; k < VG_ARRAY_LEN(steps); k++) {
        apptest.n_events = 0;
        void *s = ops()->state_new(true);
        feed(s, VG_DIR_TOSERVER, c.b, c.n, steps[k]);
        assert_true(apptest_saw("LONG_BANNER"));
        assert_false(apptest_saw("INVALID_RECORD_LENGTH")); /* the rest of the line was skipped */
        char *got = apptest_log_str(ops()->tx_get(s, 0));
        if (!ref)
            ref = got;
        else {
            assert_string_equal(got, ref);
            free(got);
        }
        ops()->state_free(s);
    }
    json_t *j = json_loads(ref, 0, NULL);
    assert_int_equal(strlen(jpath(j, "client", "software_version")), 255 - 8);
    json_decref(j);
    free(ref);
}

static void test_invalid(void **s_)
{
    (void)s_;
    void *s = ops()->state_new(true);
    feed(s, VG_DIR_TOSERVER, "hello there\r\nSSH-2.0-x\r\n", 24, 24);
    assert_true(apptest_saw("INVALID_BANNER"));
    json_t *j = apptest_log_json(ops()->tx_get(s, 0));
    assert_null(json_object_get(j, "client"));
    json_decref(j);
    ops()->state_free(s);

    apptest.n_events = 0;
    s = ops()->state_new(true);
    feed(s, VG_DIR_TOCLIENT, "SSH-2.0\r\n", 9, 1);
    assert_true(apptest_saw("INVALID_BANNER"));
    ops()->state_free(s);

    /* Endless pre-banner lines from a "server". */
    apptest.n_events = 0;
    s = ops()->state_new(true);
    for (int i = 0; i < 100; i++)
        feed(s, VG_DIR_TOCLIENT, "noise\n", 6, 6);
    assert_true(apptest_saw("INVALID_BANNER"));
    ops()->state_free(s);

    /* Packet with an absurd length. */
    apptest.n_events = 0;
    s = ops()->state_new(true);
    feed(s, VG_DIR_TOSERVER, "SSH-2.0-x\r\n\xff\xff\xff\xff\x04\x14", 17, 17);
    assert_true(apptest_saw("INVALID_RECORD_LENGTH"));
    feed(s, VG_DIR_TOSERVER, "anything", 8, 8);
    ops()->gap(s, VG_DIR_TOCLIENT, 5);
    ops()->state_free(s);
}

static void test_probe(void **s_)
{
    (void)s_;
    assert_int_equal(ops()->probe((const uint8_t *)"SSH-2.0-x\r\n", 11, VG_DIR_TOSERVER), 1);
    assert_int_equal(ops()->probe((const uint8_t *)"SS", 2, VG_DIR_TOSERVER), -1);
    assert_int_equal(ops()->probe((const uint8_t *)"GET /", 5, VG_DIR_TOSERVER), 0);
    assert_int_equal(vg_app_detect(true, 50000, 2222, (const uint8_t *)"SSH-2.0-x\r\n", 11,
                                   VG_DIR_TOSERVER), VG_APP_SSH);
}

static void test_fuzz(void **s_)
{
    (void)s_;
    stream_t base, m;
    build(&base, "SSH-2.0-OpenSSH_9.6\r\n");
    srand(7);
    apptest.ctx.anomaly = NULL;
    for (int it = 0; it < 5000; it++) {
        m = base;
        int muts = 1 + rand() % 5;
        for (int k = 0; k < muts; k++)
            m.b[rand() % 40 + (rand() % 2 ? 0 : rand() % (int)m.n / 2)] = (uint8_t)rand();
        void *s = ops()->state_new(true);
        size_t off = 0;
        while (off < m.n) {
            size_t r = 1 + (size_t)rand() % 64, k = VG_MIN(r, m.n - off);
            ops()->parse(s, it % 2, m.b + off, k, &apptest.ctx);
            off += k;
        }
        if (ops()->tx_get(s, 0))
            json_decref(apptest_log_json(ops()->tx_get(s, 0)));
        ops()->state_free(s);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_banners, setup),
        cmocka_unit_test_setup(test_buffers, setup),
        cmocka_unit_test_setup(test_long_banner, setup),
        cmocka_unit_test_setup(test_invalid, setup),
        cmocka_unit_test_setup(test_probe, setup),
        cmocka_unit_test_setup(test_fuzz, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
