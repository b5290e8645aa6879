/* test_app_ftp.c — the FTP parser: detection patterns, command/reply pairing (greetings,
 * pipelining, preliminary and multi-line replies, unsolicited lines until the client's next
 * packet), command matching, data ports (PORT, EPRT, PASV, EPSV), RETR/STOR without a port,
 * long lines, AUTH TLS, chunked feeding, gaps and the EVE object. Expected EVE objects are what
 * Suricata 7.0.10 logs for the same exchanges (e2e_read_ftp checks whole captures). */
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
    apptest_setup(VG_APP_FTP);
    return 0;
}

static const vg_app_ops_t *ops(void) { return vg_app_ops(VG_APP_FTP); }

enum { C = VG_DIR_TOSERVER, S = VG_DIR_TOCLIENT };

/* Feeds text in pieces of step bytes; returns the last result. */
static int feed_step(void *s, int dir, const char *t, size_t step)
{
    size_t n = strlen(t);
    int r = VG_APP_PARSE_OK;
    for (size_t off = 0; off < n && r == VG_APP_PARSE_OK; off += step)
        r = ops()->parse(s, dir, (const uint8_t *)t + off, VG_MIN(step, n - off), &apptest.ctx);
    return r;
}

/* One packet: its data (may be empty), then the packet hook acknowledging everything the
 * other side sent, as the worker does. */
static void pkt(void *s, int dir, const char *t)
{
    if (*t)
        assert_int_equal(feed_step(s, dir, t, strlen(t)), VG_APP_PARSE_OK);
    ops()->packet(s, dir, UINT64_MAX, &apptest.ctx);
}

/* A pure ACK of role dir: the other side's bytes are parsed. */
static void ack(void *s, int dir) { pkt(s, dir, ""); }

/* The EVE object of transaction id, compact, keys in log order. */
static char *tx_json(void *s, uint64_t id)
{
    void *tx = ops()->tx_get(s, id);
    assert_non_null(tx);
    return apptest_log_str(tx);
}

static void expect_tx(void *s, uint64_t id, const char *want)
{
    char *got = tx_json(s, id);
    if (strcmp(got, want) != 0)
        fail_msg("tx %llu:\n got  %s\n want %s", (unsigned long long)id, got, want);
    free(got);
}

static void test_probe(void **st)
{
    (void)st;
    const struct { const char *d; int dir; int want; } cases[] = {
        {"USER anonymous\r\n", C, 1}, {"user bob\r\n", C, 1}, {"PASS x\r\n", C, 1},
        {"PORT 1,2,3,4,5,6\r\n", C, 1}, {"FEAT\r\n", C, 1}, {"feat", C, 1},
        {"US", C, -1}, {"USER", C, -1}, {"FEA", C, -1},
        {"EHLO x\r\n", C, 0}, {"GET / HTTP/1.1\r\n", C, 0}, {"USERX\r\n", C, 0},
        {"220 (vsFTPd 3.0.3)\r\n", S, 1}, {"220 (", S, 1}, {"220", S, -1},
        {"220 ProFTPD Server\r\n", S, 0},           /* SMTP greets with 220 too */
        {"220 mail.example.com ESMTP\r\n", S, 0}, {"USER x\r\n", S, 0},
    };
    for (size_t i = 0; i < VG_ARRAY_LEN(cases); i++) {
        int r = ops()->probe((const uint8_t *)cases[i].d, strlen(cases[i].d), cases[i].dir);
        if (r != cases[i].want)
            fail_msg("probe \"%s\" dir %d: %d, wanted %d", cases[i].d, cases[i].dir, r,
                     cases[i].want);
    }
    /* the registry picks FTP over the others on any port, and nothing for an SMTP greeting */
    const uint8_t u[] = "USER a\r\n", g[] = "220 mail ESMTP\r\n";
    assert_int_equal(vg_app_detect(true, 40000, 9999, u, sizeof u - 1, C), VG_APP_FTP);
    assert_int_not_equal(vg_app_detect(true, 40000, 21, g, sizeof g - 1, S), VG_APP_FTP);
}

static void test_session(void **st)
{
    (void)st;
    size_t steps[] = {4096, 1, 3, 7};
    for (size_t k = 0; k < VG_ARRAY_LEN(steps); k++) {
        void *s = ops()->state_new(true);
        size_t step = steps[k];
        const char *const script[][2] = {
            {"S", "220 ProFTPD Server\r\n"}, {"C", "USER anonymous\r\n"},
            {"S", "331 send password\r\n"}, {"C", "PASS guest@\r\n"}, {"S", "230 ok\r\n"},
            {"C", "SYST\r\n"}, {"S", "215 UNIX Type: L8\r\n"},
            {"C", "FEAT\r\n"}, {"S", "211-Features:\r\n MDTM\r\n211 End\r\n"},
            {"C", "PASV\r\n"}, {"S", "227 Entering Passive Mode (10,2,2,2,195,80).\r\n"},
            {"C", "LIST\r\n"}, {"S", "150 Opening\r\n"}, {"S", "226 Transfer complete\r\n"},
            {"C", "PORT 10,1,1,1,4,1\r\n"}, {"S", "200 PORT ok\r\n"},
            {"C", "RETR secret.txt\r\n"}, {"S", "150 Opening\r\n226 done\r\n"},
            {"C", "EPSV\r\n"}, {"S", "229 Entering Extended Passive Mode (|||50000|)\r\n"},
            {"C", "STOR up.txt\r\n"}, {"S", "150 Ok\r\n"}, {"S", "226 Ok\r\n"},
            {"C", "EPRT |1|10.1.1.1|5001|\r\n"}, {"S", "200 EPRT ok\r\n"},
            {"C", "site exec /bin/sh\r\n"}, {"S", "500 no\r\n"},
            {"C", "QUIT\r\n"}, {"S", "221 Goodbye.\r\n"}, {"C", ""},
        };
        for (size_t i = 0; i < VG_ARRAY_LEN(script); i++) {
            int dir = script[i][0][0] == 'C' ? C : S;
            if (*script[i][1])
                assert_int_equal(feed_step(s, dir, script[i][1], step), VG_APP_PARSE_OK);
            ops()->packet(s, dir, UINT64_MAX, &apptest.ctx);
        }
        assert_int_equal(ops()->tx_count(s), 14);
        for (uint64_t i = 0; i < 14; i++)
            assert_true(ops()->tx_complete(ops()->tx_get(s, i), false));
        expect_tx(s, 0, "{\"completion_code\":[\"220\"],\"reply\":[\"ProFTPD Server\"],"
                        "\"reply_received\":\"yes\",\"reply_truncated\":false}");
        expect_tx(s, 1, "{\"command\":\"USER\",\"command_data\":\"anonymous\","
                        "\"command_truncated\":false,\"completion_code\":[\"331\"],"
                        "\"reply\":[\"send password\"],\"reply_received\":\"yes\","
                        "\"reply_truncated\":false}");
        expect_tx(s, 3, "{\"command\":\"SYST\",\"completion_code\":[\"215\"],\"reply\":"
                        "[\"UNIX Type: L8\"],\"reply_received\":\"yes\",\"reply_truncated\":false}");
        /* FEAT is not a command Suricata knows: its reply is a commandless transaction; the
         * lines of one packet join the transaction its first line completed */
        expect_tx(s, 4, "{\"completion_code\":[\"211\",\"211\"],\"reply\":[\"Features:\","
                        "\" MDTM\",\"End\"],\"reply_received\":\"yes\",\"reply_truncated\":false}");
        expect_tx(s, 5, "{\"command\":\"PASV\",\"completion_code\":[\"227\"],\"reply\":"
                        "[\"Entering Passive Mode (10,2,2,2,195,80).\"],\"dynamic_port\":50000,"
                        "\"reply_received\":\"yes\",\"reply_truncated\":false}");
        expect_tx(s, 6, "{\"command\":\"LIST\",\"completion_code\":[\"150\",\"226\"],\"reply\":"
                        "[\"Opening\",\"Transfer complete\"],\"reply_received\":\"yes\","
                        "\"reply_truncated\":false}");
        expect_tx(s, 7, "{\"command\":\"PORT\",\"command_data\":\"10,1,1,1,4,1\","
                        "\"command_truncated\":false,\"completion_code\":[\"200\"],\"reply\":"
                        "[\"PORT ok\"],\"dynamic_port\":1025,\"mode\":\"active\","
                        "\"reply_received\":\"yes\",\"reply_truncated\":false}");
        expect_tx(s, 9, "{\"command\":\"EPSV\",\"completion_code\":[\"229\"],\"reply\":"
                        "[\"Entering Extended Passive Mode (|||50000|)\"],\"dynamic_port\":50000,"
                        "\"reply_received\":\"yes\",\"reply_truncated\":false}");
        expect_tx(s, 11, "{\"command\":\"EPRT\",\"command_data\":\"|1|10.1.1.1|5001|\","
                         "\"command_truncated\":false,\"completion_code\":[\"200\"],\"reply\":"
                         "[\"EPRT ok\"],\"dynamic_port\":5001,\"mode\":\"active\","
                         "\"reply_received\":\"yes\",\"reply_truncated\":false}");
        expect_tx(s, 12, "{\"command\":\"SITE\",\"command_data\":\"exec /bin/sh\","
                         "\"command_truncated\":false,\"completion_code\":[\"500\"],\"reply\":"
                         "[\"no\"],\"reply_received\":\"yes\",\"reply_truncated\":false}");
        ops()->state_free(s);
    }
}

/* Bytes are parsed once the peer acknowledged them: server lines acknowledged together join the
 * transaction the first of them completed; lines acknowledged by a later client packet (a pure
 * ACK too) make a commandless transaction. */
static void test_batches(void **st)
{
    (void)st;
    void *s = ops()->state_new(true);
    pkt(s, S, "220-a\r\n");
    pkt(s, S, "220 b\r\n");
    pkt(s, C, "USER a\r\n");              /* acknowledges the whole greeting */
    assert_int_equal(ops()->tx_count(s), 1); /* USER waits for the server's acknowledgement */
    assert_true(ops()->tx_complete(ops()->tx_get(s, 0), false));
    pkt(s, S, "331 x\r\n");
    assert_int_equal(ops()->tx_count(s), 2);
    assert_false(ops()->tx_complete(ops()->tx_get(s, 1), false));
    assert_true(ops()->tx_complete(ops()->tx_get(s, 1), true)); /* the flow ended */
    pkt(s, S, "hello\r\n");
    ack(s, C);                              /* "331 x" and "hello" in one batch: one transaction */
    assert_true(ops()->tx_complete(ops()->tx_get(s, 1), false));
    pkt(s, S, "200 extra\r\n");
    ack(s, C);                              /* a later batch: a new, commandless transaction */
    assert_int_equal(ops()->tx_count(s), 3);
    expect_tx(s, 0, "{\"completion_code\":[\"220\",\"220\"],\"reply\":[\"a\",\"b\"],"
                    "\"reply_received\":\"yes\",\"reply_truncated\":false}");
    expect_tx(s, 1, "{\"command\":\"USER\",\"command_data\":\"a\",\"command_truncated\":false,"
                    "\"completion_code\":[\"331\"],\"reply\":[\"x\",\"hello\"],"
                    "\"reply_received\":\"yes\",\"reply_truncated\":false}");
    expect_tx(s, 2, "{\"completion_code\":[\"200\"],\"reply\":[\"extra\"],"
                    "\"reply_received\":\"yes\",\"reply_truncated\":false}");
    /* released transactions are gone, ids go on */
    ops()->tx_release(s, 2);
    assert_null(ops()->tx_get(s, 1));
    assert_non_null(ops()->tx_get(s, 2));
    pkt(s, C, "NOOP\r\n");
    ack(s, S);
    assert_int_equal(ops()->tx_count(s), 4);
    ops()->state_free(s);

    /* a multi-line reply in two segments that the client acknowledges one at a time (as in a
     * real FEAT exchange): two transactions, as Suricata logs them */
    s = ops()->state_new(true);
    pkt(s, S, "220 hi\r\n");                       /* stream offsets 0..8 */
    pkt(s, C, "FEAT\r\n");
    assert_int_equal(feed_step(s, S, "211-Features:\r\n", 64), VG_APP_PARSE_OK); /* 8..23 */
    assert_int_equal(feed_step(s, S, " EPRT\r\n211 End\r\n", 64), VG_APP_PARSE_OK);
    ops()->packet(s, C, 23, &apptest.ctx);
    ops()->packet(s, C, 40, &apptest.ctx);
    assert_int_equal(ops()->tx_count(s), 3);
    expect_tx(s, 1, "{\"completion_code\":[\"211\"],\"reply\":[\"Features:\"],"
                    "\"reply_received\":\"yes\",\"reply_truncated\":false}");
    expect_tx(s, 2, "{\"completion_code\":[\"211\"],\"reply\":[\" EPRT\",\"End\"],"
                    "\"reply_received\":\"yes\",\"reply_truncated\":false}");
    /* what is never acknowledged is parsed at flow end */
    assert_int_equal(feed_step(s, C, "QUIT\r\n", 64), VG_APP_PARSE_OK);
    assert_int_equal(ops()->tx_count(s), 3);
    ops()->end(s, &apptest.ctx);
    assert_int_equal(ops()->tx_count(s), 4);
    assert_true(ops()->tx_complete(ops()->tx_get(s, 3), true));
    ops()->state_free(s);
}

/* Pipelined commands take their replies in order; an unknown command's reply is commandless
 * (and, as in Suricata, so is the transaction it lands in). */
static void test_pipelining_and_unknown(void **st)
{
    (void)st;
    void *s = ops()->state_new(true);
    pkt(s, C, "USER a\r\nPASS b\r\n");
    pkt(s, S, "331 x\r\n");
    pkt(s, S, "230 y\r\n");
    pkt(s, C, "FOO bar\r\n");
    pkt(s, S, "500 no\r\n");
    ack(s, C);
    assert_int_equal(ops()->tx_count(s), 3);
    expect_tx(s, 1, "{\"command\":\"PASS\",\"command_data\":\"b\",\"command_truncated\":false,"
                    "\"completion_code\":[\"230\"],\"reply\":[\"y\"],\"reply_received\":\"yes\","
                    "\"reply_truncated\":false}");
    expect_tx(s, 2, "{\"completion_code\":[\"500\"],\"reply\":[\"no\"],"
                    "\"reply_received\":\"yes\",\"reply_truncated\":false}");
    ops()->state_free(s);
}

/* Commands are found anywhere in the line, case-insensitively, the one ending first; the data
 * is counted from the line's start; trailing whitespace is not logged. */
static void test_command_matching(void **st)
{
    (void)st;
    const struct { const char *line, *want; } cases[] = {
        {"list\r\n", "{\"command\":\"LIST\""},
        {"LISTX foo\r\n", "{\"command\":\"LIST\",\"command_data\":\" foo\""},
        {"XCWD y\r\n", "{\"command\":\"CWD\",\"command_data\":\" y\""},
        {"xyz MKD z\r\n", "{\"command\":\"MKD\",\"command_data\":\"MKD z\""},
        {"NOOPUSER\r\n", "{\"command\":\"NOOP\",\"command_data\":\"SER\""},
        {"CWD dir   \r\n", "{\"command\":\"CWD\",\"command_data\":\"dir\""},
        {"NOOP\n", "{\"command\":\"NOOP\",\"reply_received\":\"no\""},
        {"auth tls\r\n", "{\"command\":\"AUTH TLS\",\"reply_received\":\"no\""},
    };
    for (size_t i = 0; i < VG_ARRAY_LEN(cases); i++) {
        void *s = ops()->state_new(true);
        pkt(s, C, cases[i].line);
        ack(s, S);
        assert_int_equal(ops()->tx_count(s), 1);
        char *j = tx_json(s, 0);
        if (strncmp(j, cases[i].want, strlen(cases[i].want)) != 0)
            fail_msg("\"%s\": %s", cases[i].line, j);
        free(j);
        ops()->state_free(s);
    }
}

/* Data ports: what parses, what does not; RETR/STOR need one and use it up. */
static void test_ports(void **st)
{
    (void)st;
    void *s = ops()->state_new(true);
    pkt(s, C, "Port 10,9,9,9,0,21\r\n");      /* Suricata's parser wants PORT in capitals */
    pkt(s, S, "200 ok\r\n");
    pkt(s, C, "PORT 10,9,9,9,4,300\r\n");
    pkt(s, S, "200 ok\r\n");
    pkt(s, C, "PASV\r\n");
    pkt(s, S, "227 Entering Passive Mode (10,2,2,2,300,1)\r\n");
    pkt(s, C, "EPRT |2|::1|5002|\r\n");
    pkt(s, S, "200 ok\r\n");
    ack(s, C);
    expect_tx(s, 0, "{\"command\":\"PORT\",\"command_data\":\"10,9,9,9,0,21\","
                    "\"command_truncated\":false,\"mode\":\"passive\",\"reply_received\":\"yes\","
                    "\"reply_truncated\":false}");
    expect_tx(s, 2, "{\"command\":\"PASV\",\"completion_code\":[\"227\"],\"reply\":"
                    "[\"Entering Passive Mode (10,2,2,2,300,1)\"],\"reply_received\":\"yes\","
                    "\"reply_truncated\":false}");
    expect_tx(s, 3, "{\"command\":\"EPRT\",\"command_data\":\"|2|::1|5002|\","
                    "\"command_truncated\":false,\"completion_code\":[\"200\"],\"reply\":[\"ok\"],"
                    "\"dynamic_port\":5002,\"mode\":\"active\",\"reply_received\":\"yes\","
                    "\"reply_truncated\":false}");
    /* the EPRT port is used by one RETR; a second one has none: parsing stops there */
    pkt(s, C, "RETR a\r\n");
    pkt(s, S, "150 ok\r\n226 ok\r\n");
    pkt(s, C, "RETR b\r\n");
    ack(s, S); /* the server acknowledges RETR b: parsing stops */
    assert_int_equal(feed_step(s, S, "550 no\r\n", 64), VG_APP_PARSE_ERROR);
    assert_int_equal(ops()->tx_count(s), 6);
    expect_tx(s, 5, "{\"command\":\"RETR\",\"command_data\":\"b\",\"command_truncated\":false,"
                    "\"reply_received\":\"no\",\"reply_truncated\":false}");
    ops()->state_free(s);
    /* STOR without any port: the same */
    s = ops()->state_new(true);
    pkt(s, C, "STOR x\r\n");
    ack(s, S);
    assert_int_equal(feed_step(s, C, "NOOP\r\n", 64), VG_APP_PARSE_ERROR);
    ops()->state_free(s);
}

/* Lines are kept up to 4096 bytes: the rest is dropped, flagged and raised as an anomaly. */
static void test_long_lines(void **st)
{
    (void)st;
    void *s = ops()->state_new(true);
    char *big = malloc(5000);
    memcpy(big, "PASV ", 5);
    memset(big + 5, 'A', 4990);
    memcpy(big + 4995, "\r\n", 3);
    pkt(s, C, big);
    ack(s, S);
    assert_true(apptest_saw("request_command_too_long"));
    memcpy(big, "227 ", 4);
    pkt(s, S, big);
    ack(s, C);
    assert_true(apptest_saw("response_command_too_long"));
    json_t *j = apptest_log_json(ops()->tx_get(s, 0));
    assert_int_equal(strlen(json_string_value(json_object_get(j, "command_data"))), 4091);
    assert_true(json_is_true(json_object_get(j, "command_truncated")));
    assert_true(json_is_true(json_object_get(j, "reply_truncated")));
    assert_int_equal(strlen(json_string_value(json_array_get(json_object_get(j, "reply"), 0))),
                     4092);
    json_decref(j);
    /* one byte under the limit is not truncated */
    memcpy(big, "PASS ", 5);
    memset(big + 5, 'B', 4085);
    memcpy(big + 4090, "\r\n", 3);
    pkt(s, C, big);
    ack(s, S);
    j = apptest_log_json(ops()->tx_get(s, 1));
    assert_true(json_is_false(json_object_get(j, "command_truncated")));
    json_decref(j);
    free(big);
    ops()->state_free(s);
    /* a server that never stops talking and a client that never acknowledges: what waits is
     * bounded (parsed in batches past 256 KiB), and so is every transaction's reply text */
    s = ops()->state_new(true);
    pkt(s, C, "STAT\r\n");
    ack(s, S);
    char line[4001];
    memset(line, 'x', 3998);
    memcpy(line + 3998, "\r\n", 3);
    uint64_t next = 0;
    for (int i = 0; i < 400; i++) {
        assert_int_equal(feed_step(s, S, line, 4000), VG_APP_PARSE_OK);
        while (next < ops()->tx_count(s) && ops()->tx_complete(ops()->tx_get(s, next), false))
            next++;
        ops()->tx_release(s, next); /* as the worker logs and releases */
        assert_true(ops()->state_memuse(s) < 700 * 1024);
    }
    assert_true(ops()->tx_count(s) > 2);
    ops()->state_free(s);
}

/* AUTH TLS accepted: the rest is encrypted and not parsed. */
static void test_auth_tls(void **st)
{
    (void)st;
    void *s = ops()->state_new(true);
    pkt(s, C, "AUTH TLS\r\n");
    ack(s, S);
    assert_false(ops()->payload_encrypted(s));
    pkt(s, S, "234 go ahead\r\n");
    ack(s, C);
    assert_true(ops()->payload_encrypted(s));
    pkt(s, C, "\x16\x03\x01\x00\x05USER x\r\n");
    ack(s, S);
    assert_int_equal(ops()->tx_count(s), 1);
    /* refused: plain FTP goes on */
    void *s2 = ops()->state_new(true);
    pkt(s2, C, "AUTH TLS\r\n");
    pkt(s2, S, "504 no\r\n");
    pkt(s2, C, "USER x\r\n");
    ack(s2, S);
    assert_false(ops()->payload_encrypted(s2));
    assert_int_equal(ops()->tx_count(s2), 2);
    ops()->state_free(s);
    ops()->state_free(s2);
}

/* A gap stops parsing; hostile bytes never crash and keep the memory bounded. */
static void test_gap_and_garbage(void **st)
{
    (void)st;
    void *s = ops()->state_new(true);
    pkt(s, C, "USER a\r\n");
    ops()->gap(s, S, 100);
    assert_int_equal(feed_step(s, S, "331 x\r\n", 64), VG_APP_PARSE_ERROR);
    ops()->state_free(s);
    s = ops()->state_new(true);
    uint8_t junk[3000];
    uint32_t x = 12345;
    for (int round = 0; round < 200; round++) {
        for (size_t i = 0; i < sizeof junk; i++) {
            x = x * 1103515245u + 12345u;
            junk[i] = (uint8_t)(x >> 16);
            if (junk[i] % 17 == 0)
                junk[i] = '\n';
        }
        int dir = round & 1;
        if (ops()->parse(s, dir, junk, sizeof junk, &apptest.ctx) != VG_APP_PARSE_OK)
            break;
        ops()->packet(s, dir, (round % 3) ? UINT64_MAX : 100, &apptest.ctx);
        uint64_t n = ops()->tx_count(s);
        for (uint64_t i = 0; i < n; i++) {
            void *tx = ops()->tx_get(s, i);
            if (tx)
                json_decref(apptest_log_json(tx));
        }
        ops()->tx_release(s, n);
    }
    assert_true(ops()->state_memuse(s) < 64 * 1024);
    ops()->state_free(s);
}

/* ftpbounce: the PORT address against the client's first four address bytes. */
static void test_ftpbounce(void **st)
{
    (void)st;
    vg_addr_t cli;
    memset(&cli, 0, sizeof cli);
    cli.b[0] = 10, cli.b[1] = 1, cli.b[2] = 1, cli.b[3] = 1;
    const struct { const char *line; bool want; } cases[] = {
        {"PORT 10,9,9,9,4,1\r\n", true},
        {"PORT 10,1,1,1,4,1\r\n", false},
        {"port 10,9,9,9,4,1\r\n", true},       /* any case: the command is found so */
        {"PORT 10 ,9 ,9,9,4,1\r\n", true},     /* spaces before commas */
        {"PORT 10 , 9 ,9,9,4,1\r\n", false},   /* ... not after them (as Suricata) */
        {"PORT 10,1,1,1\r\n", false},          /* the fourth number needs a comma after it */
        {"PORT 1000,9,9,9,4,1\r\n", false},    /* four digits end the check */
        {"PORT 257,9,9,9,4,1\r\n", false},     /* over 256 */
        {"PORT 10,1;1,1,4,1\r\n", false},
        {"PORT 1,2\r\n", false},               /* too short */
    };
    for (size_t i = 0; i < VG_ARRAY_LEN(cases); i++) {
        void *s = ops()->state_new(true);
        pkt(s, C, cases[i].line);
        ack(s, S);
        bool got = ops()->state_kw(s, NULL, VG_APP_KW_FTPBOUNCE, &cli);
        if (got != cases[i].want)
            fail_msg("\"%s\": %d", cases[i].line, got);
        /* the PORT transaction says the same; a later command ends the state's answer */
        assert_int_equal(ops()->state_kw(s, ops()->tx_get(s, 0), VG_APP_KW_FTPBOUNCE, &cli),
                         cases[i].want);
        pkt(s, C, "NOOP\r\n");
        ack(s, S);
        assert_false(ops()->state_kw(s, NULL, VG_APP_KW_FTPBOUNCE, &cli));
        assert_int_equal(ops()->state_kw(s, ops()->tx_get(s, 0), VG_APP_KW_FTPBOUNCE, &cli),
                         cases[i].want);
        assert_false(ops()->state_kw(s, ops()->tx_get(s, 1), VG_APP_KW_FTPBOUNCE, &cli));
        ops()->state_free(s);
    }
}

/* RETR/STOR with a negotiated port announce a data connection (the expectation): its port, the
 * direction its data goes (in its own terms: from its initiator or not) and the file name. */
static void test_expectations(void **st)
{
    (void)st;
    const struct { const char *setup, *reply, *cmd; uint16_t port; int dir; } cases[] = {
        {"PASV\r\n", "227 Entering Passive Mode (10,2,2,2,195,80)\r\n", "RETR a.pdf\r\n",
         50000, VG_DIR_TOCLIENT},
        {"EPSV\r\n", "229 Entering Extended Passive Mode (|||6000|)\r\n", "STOR b.txt\r\n",
         6000, VG_DIR_TOSERVER},
        {"PORT 10,1,1,1,4,1\r\n", "200 ok\r\n", "STOR c\r\n", 1025, VG_DIR_TOCLIENT},
        {"EPRT |1|10.1.1.1|5001|\r\n", "200 ok\r\n", "RETR d\r\n", 5001, VG_DIR_TOSERVER},
    };
    for (size_t i = 0; i < VG_ARRAY_LEN(cases); i++) {
        void *s = ops()->state_new(true);
        vg_app_expect_t e;
        pkt(s, C, cases[i].setup);
        pkt(s, S, cases[i].reply);
        pkt(s, C, cases[i].cmd);
        assert_false(ops()->expect_take(s, &e)); /* not before the server acknowledged it */
        ack(s, S);
        assert_true(ops()->expect_take(s, &e));
        assert_false(ops()->expect_take(s, &e));
        assert_int_equal(e.dport, cases[i].port);
        assert_int_equal(e.proto, VG_APP_FTP_DATA);
        assert_int_equal(e.dir, cases[i].dir);
        size_t nl = strlen(cases[i].cmd) - 7; /* "RETR " and CR LF */
        assert_int_equal(e.len, 1 + nl);
        assert_int_equal(e.data[0], cases[i].cmd[0] == 'R' ? 0 : 1);
        assert_memory_equal(e.data + 1, cases[i].cmd + 5, nl);
        ops()->state_free(s);
    }

    /* the data connection's parser: the announced direction's bytes are the file */
    const vg_app_ops_t *d = vg_app_ops(VG_APP_FTP_DATA);
    assert_non_null(d);
    assert_null(d->probe); /* never detected on its own */
    assert_string_equal(d->eve_name, "ftp_data");
    void *s = d->state_new(true);
    assert_int_equal(d->parse(s, VG_DIR_TOCLIENT, (const uint8_t *)"x", 1, &apptest.ctx),
                     VG_APP_PARSE_ERROR); /* no expectation: nothing to parse */
    d->state_free(s);
    s = d->state_new(true);
    vg_app_expect_t e = {.dport = 50000, .proto = VG_APP_FTP_DATA, .dir = VG_DIR_TOCLIENT,
                         .len = 6, .data = {0, 'a', '.', 'p', 'd', 'f'}};
    d->expect_init(s, &e);
    assert_int_equal(d->parse(s, VG_DIR_TOCLIENT, (const uint8_t *)"%PDF-1", 6, &apptest.ctx),
                     VG_APP_PARSE_OK);
    assert_int_equal(d->parse(s, VG_DIR_TOSERVER, (const uint8_t *)"junk", 4, &apptest.ctx),
                     VG_APP_PARSE_OK);
    assert_int_equal(d->tx_count(s), 1);
    void *tx = d->tx_get(s, 0);
    assert_false(d->tx_complete(tx, false));
    vg_app_file_t f;
    assert_true(d->tx_file(tx, 0, true, &f));
    assert_false(d->tx_file(tx, 1, true, &f));
    assert_int_equal(f.size, 6);
    assert_int_equal(f.dir, VG_DIR_TOCLIENT);
    assert_int_equal(f.state, VG_APP_FILE_CLOSED);
    assert_int_equal(f.name_len, 5);
    assert_memory_equal(f.name, "a.pdf", 5);
    vg_buf_t b;
    vg_jw_t w;
    vg_buf_init(&b, 64);
    vg_jw_init(&w, &b);
    d->log_tx(tx, &w);
    assert_int_equal(b.len, strlen("{\"filename\":\"a.pdf\",\"command\":\"RETR\"}"));
    assert_memory_equal(b.data, "{\"filename\":\"a.pdf\",\"command\":\"RETR\"}", b.len);
    vg_buf_fini(&b);
    /* ftpdata_command: the announcing command */
    assert_true(d->state_kw(s, NULL, VG_APP_KW_FTPDATA_RETR, NULL));
    assert_false(d->state_kw(s, NULL, VG_APP_KW_FTPDATA_STOR, NULL));
    assert_false(d->state_kw(s, NULL, VG_APP_KW_FTPBOUNCE, NULL));
    d->state_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_probe, setup),
        cmocka_unit_test_setup(test_session, setup),
        cmocka_unit_test_setup(test_batches, setup),
        cmocka_unit_test_setup(test_pipelining_and_unknown, setup),
        cmocka_unit_test_setup(test_command_matching, setup),
        cmocka_unit_test_setup(test_ports, setup),
        cmocka_unit_test_setup(test_long_lines, setup),
        cmocka_unit_test_setup(test_auth_tls, setup),
        cmocka_unit_test_setup(test_gap_and_garbage, setup),
        cmocka_unit_test_setup(test_ftpbounce, setup),
        cmocka_unit_test_setup(test_expectations, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
