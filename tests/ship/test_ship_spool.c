/* The shipping spool (src/ship): numbering that survives reopening and a torn tail, the size
 * bound, redis:// URLs. Redis is pointed at a closed loopback port, so nothing is sent. */
#include "ship/ship.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

static char dir[256];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/vigil-ship-test.XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static vg_ship_t *open_spool(uint64_t max)
{
    vg_ship_opts_t o = {.url = "redis://127.0.0.1:1", .stream = "s", .sensor = "t",
                        .spool_dir = dir, .spool_max = max, .timeout_ms = 100, .drain_ms = 0};
    char err[512];
    vg_ship_t *s = vg_ship_open(&o, err, sizeof err);
    if (!s)
        fail_msg("%s", err);
    return s;
}

static void put(vg_ship_t *s, const char *ev)
{
    assert_int_equal(vg_ship_sink_event(s, ev, strlen(ev)), 0);
}

static char *slurp(const char *name)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "r");
    assert_non_null(f);
    static char buf[65536];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static void test_numbering(void **state)
{
    (void)state;
    vg_ship_t *s = open_spool(1 << 20);
    put(s, "{\"a\":1}");
    put(s, "{\"a\":2}");
    assert_int_equal(vg_ship_sink_commit(s, false), 0);
    put(s, "{\"a\":3}");
    assert_int_equal(vg_ship_sink_commit(s, true), 0);
    vg_ship_stats_t st;
    vg_ship_get_stats(s, &st);
    assert_int_equal(st.first_seq, 1);
    assert_int_equal(st.last_seq, 3);
    assert_int_equal(st.unsent, 3);
    assert_false(st.connected);
    vg_ship_close(s);
    /* a crash in the middle of writing entry 4 */
    char p[512];
    snprintf(p, sizeof p, "%s/seg-00000000000000000001.log", dir);
    FILE *f = fopen(p, "a");
    fputs("4\t{\"a\":", f);
    fclose(f);
    s = open_spool(1 << 20);
    put(s, "{\"b\":4}");
    assert_int_equal(vg_ship_sink_commit(s, true), 0);
    vg_ship_get_stats(s, &st);
    assert_int_equal(st.first_seq, 4);
    vg_ship_close(s);
    assert_string_equal(slurp("seg-00000000000000000001.log"),
                        "1\t{\"a\":1}\n2\t{\"a\":2}\n3\t{\"a\":3}\n4\t{\"b\":4}\n");
    /* a second sensor on the same spool is refused while the first runs */
    s = open_spool(1 << 20);
    vg_ship_opts_t o = {.url = "redis://127.0.0.1:1", .stream = "s", .sensor = "t",
                        .spool_dir = dir, .spool_max = 1 << 20, .timeout_ms = 100};
    char err[512];
    assert_null(vg_ship_open(&o, err, sizeof err));
    assert_non_null(strstr(err, "in use"));
    vg_ship_close(s);
}

static void test_state_only(void **state)
{
    (void)state;
    /* everything was committed and trimmed: the state file carries the numbering on */
    char p[512];
    snprintf(p, sizeof p, "%s/state", dir);
    FILE *f = fopen(p, "w");
    fputs("trimmed 41\n", f);
    fclose(f);
    vg_ship_t *s = open_spool(1 << 20);
    put(s, "{}");
    vg_ship_stats_t st;
    vg_ship_get_stats(s, &st);
    assert_int_equal(st.first_seq, 42);
    vg_ship_close(s);
    f = fopen(p, "w");
    fputs("garbage\n", f);
    fclose(f);
    vg_ship_opts_t o = {.url = "redis://127.0.0.1:1", .stream = "s", .sensor = "t",
                        .spool_dir = dir, .spool_max = 1 << 20, .timeout_ms = 100};
    char err[512];
    assert_null(vg_ship_open(&o, err, sizeof err));
    assert_non_null(strstr(err, "damaged"));
}

static void test_full(void **state)
{
    (void)state;
    vg_ship_t *s = open_spool(1000);
    char ev[120];
    memset(ev, 'x', sizeof ev - 1);
    ev[0] = '"';
    ev[sizeof ev - 2] = '"';
    ev[sizeof ev - 1] = '\0';
    for (int i = 0; i < 20; i++) {
        put(s, ev);
        assert_int_equal(vg_ship_sink_commit(s, false), 0);
    }
    vg_ship_stats_t st;
    vg_ship_get_stats(s, &st);
    assert_true(st.spooled > 0 && st.spooled < 20);
    assert_int_equal(st.spooled + st.dropped, 20);
    assert_true(st.spool_bytes <= 1000);
    assert_int_equal(st.last_seq, st.spooled); /* dropped events take no number */
    vg_ship_close(s);
}

static void test_url(void **state)
{
    (void)state;
    vg_redis_url_t u;
    char err[256];
    assert_int_equal(vg_redis_url_parse("redis://127.0.0.1", &u, err, sizeof err), 0);
    assert_string_equal(u.host, "127.0.0.1");
    assert_int_equal(u.port, 6379);
    assert_int_equal(vg_redis_url_parse("redis://:pw@localhost:7000/3", &u, err, sizeof err), 0);
    assert_string_equal(u.host, "localhost");
    assert_string_equal(u.password, "pw");
    assert_int_equal(u.port, 7000);
    assert_int_equal(u.db, 3);
    const char *bad[] = {"http://x", "redis://", "redis://h:0", "redis://h:99999", "redis://h:1x",
                         "redis://h/abc", "127.0.0.1:6379"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(vg_redis_url_parse(bad[i], &u, err, sizeof err), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_numbering, setup, teardown),
        cmocka_unit_test_setup_teardown(test_state_only, setup, teardown),
        cmocka_unit_test_setup_teardown(test_full, setup, teardown),
        cmocka_unit_test(test_url),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
