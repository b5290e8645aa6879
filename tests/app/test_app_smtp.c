/* test_app_smtp.c — the SMTP parser: commands and replies into transactions, the EVE smtp and
 * email objects, MIME decoding (base64, quoted-printable, nesting) into attachment files and
 * file.data, DATA/BDAT/STARTTLS, gaps, flow end, any chunking, and mutated input. */
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
#include "common/buf.h"
#include "common/json.h"

static int n_triggers;

static void on_trigger(void *user, int dir)
{
    (void)user;
    assert_int_equal(dir, VG_DIR_TOSERVER);
    n_triggers++;
}

static int setup(void **st)
{
    (void)st;
    apptest_setup(VG_APP_SMTP);
    apptest.ctx.raw_trigger = on_trigger;
    n_triggers = 0;
    return 0;
}

static const vg_app_ops_t *ops(void) { return vg_app_ops(VG_APP_SMTP); }

static void feed(void *s, int dir, const void *p, size_t n, size_t step)
{
    const uint8_t *b = p;
    for (size_t off = 0; off < n; off += step)
        assert_int_equal(ops()->parse(s, dir, b + off, VG_MIN(step, n - off), &apptest.ctx),
                         VG_APP_PARSE_OK);
}

static void cli(void *s, const char *t, size_t step)
{
    feed(s, VG_DIR_TOSERVER, t, strlen(t), step);
}

static void srv(void *s, const char *t, size_t step)
{
    feed(s, VG_DIR_TOCLIENT, t, strlen(t), step);
}

/* The event object as the worker writes it: {"smtp": ..., "email": ...}. */
static json_t *event_json(void *tx)
{
    vg_buf_t b;
    vg_jw_t w;
    vg_buf_init(&b, 256);
    vg_jw_init(&w, &b);
    vg_jw_obj_open(&w);
    vg_jw_key(&w, "smtp");
    ops()->log_tx(tx, &w);
    vg_jw_obj_close(&w);
    json_error_t err;
    json_t *j = json_loadb(b.data, b.len, JSON_ALLOW_NUL, &err);
    if (!j)
        fail_msg("bad JSON: %.*s (%s)", (int)b.len, b.data, err.text);
    vg_buf_fini(&b);
    return j;
}

static const char *jstr(json_t *j, const char *obj, const char *k)
{
    json_t *v = json_object_get(json_object_get(j, obj), k);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static const char *jarr(json_t *j, const char *obj, const char *k, size_t i)
{
    json_t *v = json_array_get(json_object_get(json_object_get(j, obj), k), i);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static size_t jarr_n(json_t *j, const char *obj, const char *k)
{
    return json_array_size(json_object_get(json_object_get(j, obj), k));
}

/* The attachment: binary bytes including NUL, CR LF and a '.' at a line start. */
static const uint8_t att[] = {'M', 'Z', 0, 1, 2, '\r', '\n', '.', '.', 'x', 0xff, 0xfe, 'e', 'n',
                              'd', 0};

/* Base64 of in, with line breaks in the middle of quanta (the decoder carries them over). */
static void b64(const uint8_t *in, size_t n, char *out)
{
    static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t o = 0, c = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0) |
                     (i + 2 < n ? in[i + 2] : 0);
        char q[4] = {t[v >> 18 & 63], t[v >> 12 & 63], i + 1 < n ? t[v >> 6 & 63] : '=',
                     i + 2 < n ? t[v & 63] : '='};
        for (int k = 0; k < 4; k++) {
            out[o++] = q[k];
            if (++c == 6 || c == 17) {
                out[o++] = '\r';
                out[o++] = '\n';
            }
        }
    }
    out[o] = '\0';
}

static char msg[4096];

static const char *mail(void)
{
    char enc[256];
    b64(att, sizeof att, enc);
    snprintf(msg, sizeof msg,
             "From: Alice <alice@example.org>\r\n"
             "To: Bob <bob@example.com>,  carol@example.com\r\n"
             "Cc: dave@example.net\r\n"
             "Subject: report\r\n"
             "Content-Type: multipart/mixed;\r\n\tboundary=\"=_outer\"\r\n"
             "\r\n"
             "preamble\r\n"
             "--=_outer\r\n"
             "Content-Type: text/plain\r\n"
             "Content-Transfer-Encoding: quoted-printable\r\n"
             "\r\n"
             "caf=C3=A9 soft=\r\n"
             "..stuffed\r\n"
             "--=_outer\r\n"
             "Content-Type: application/octet-stream; name=\"ignored.bin\"\r\n"
             "Content-Disposition: attachment; filename=\"report.bin\"\r\n"
             "Content-Transfer-Encoding: base64\r\n"
             "\r\n"
             "%s\r\n"
             "--=_outer--\r\n"
             "epilogue\r\n"
             ".\r\n",
             enc);
    return msg;
}

static void session(void *s, size_t step)
{
    srv(s, "220 mx.example.com ESMTP\r\n", step);
    cli(s, "EHLO client.example.org\r\n", step);
    srv(s, "250-mx.example.com\r\n250-PIPELINING\r\n250 8BITMIME\r\n", step);
    cli(s, "MAIL FROM:<alice@example.org> SIZE=100\r\nRCPT TO:<bob@example.com>\r\n"
           "RCPT TO: <carol@example.com>\r\nDATA\r\n", step);
    srv(s, "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n250 2.1.5 Ok\r\n354 go ahead\r\n", step);
    cli(s, mail(), step);
}

static void test_session(void **s_)
{
    (void)s_;
    const size_t steps[] = {1, 3, 7, 100000};
    for (size_t k = 0; k < 4; k++) {
        setup(NULL);
        void *s = ops()->state_new(true);
        session(s, steps[k]);
        assert_int_equal(ops()->tx_count(s), 1);
        void *tx = ops()->tx_get(s, 0);
        assert_non_null(tx);
        assert_false(ops()->tx_complete(tx, false)); /* complete at the reply */
        assert_int_equal(n_triggers, 1); /* raw inspection asked as the attachment closed */
        srv(s, "250 2.0.0 Ok: queued\r\n", steps[k]);
        assert_true(ops()->tx_complete(tx, false));
        json_t *j = event_json(tx);
        assert_string_equal(jstr(j, "smtp", "helo"), "client.example.org");
        /* up to the first space, as Suricata */
        assert_string_equal(jstr(j, "smtp", "mail_from"), "<alice@example.org>");
        assert_int_equal(jarr_n(j, "smtp", "rcpt_to"), 2);
        assert_string_equal(jarr(j, "smtp", "rcpt_to", 0), "<bob@example.com>");
        assert_string_equal(jarr(j, "smtp", "rcpt_to", 1), "<carol@example.com>");
        assert_string_equal(jstr(j, "email", "status"), "PARSE_DONE");
        assert_string_equal(jstr(j, "email", "from"), "Alice <alice@example.org>");
        assert_int_equal(jarr_n(j, "email", "to"), 2);
        assert_string_equal(jarr(j, "email", "to", 0), "Bob <bob@example.com>");
        assert_string_equal(jarr(j, "email", "to", 1), "carol@example.com");
        assert_string_equal(jarr(j, "email", "cc", 0), "dave@example.net");
        assert_int_equal(jarr_n(j, "email", "attachment"), 1);
        assert_string_equal(jarr(j, "email", "attachment", 0), "report.bin");
        json_decref(j);
        /* the attachment, decoded, is the file and file.data */
        vg_app_file_t f;
        assert_true(ops()->tx_file(tx, 0, false, &f));
        assert_false(ops()->tx_file(tx, 1, false, &f));
        assert_int_equal(f.name_len, 10);
        assert_memory_equal(f.name, "report.bin", 10);
        assert_int_equal(f.state, VG_APP_FILE_CLOSED);
        assert_int_equal(f.size, sizeof att);
        assert_int_equal(f.dir, VG_DIR_TOSERVER);
        const uint8_t *d;
        size_t n;
        assert_true(ops()->get_buffer(tx, VG_BUF_SMTP_FILE_DATA, &d, &n));
        assert_int_equal(n, sizeof att);
        assert_memory_equal(d, att, sizeof att);
        assert_false(ops()->get_buffer(tx, VG_BUF_HTTP_URI, &d, &n));
        /* the next command opens the next transaction */
        cli(s, "QUIT\r\n", steps[k]);
        assert_int_equal(ops()->tx_count(s), 2);
        void *tx1 = ops()->tx_get(s, 1);
        assert_false(ops()->tx_complete(tx1, false));
        assert_true(ops()->tx_complete(tx1, true));
        j = event_json(tx1);
        assert_string_equal(jstr(j, "smtp", "helo"), "client.example.org");
        assert_null(json_object_get(j, "email"));
        assert_null(jstr(j, "smtp", "mail_from"));
        json_decref(j);
        ops()->tx_release(s, 1);
        assert_null(ops()->tx_get(s, 0));
        assert_non_null(ops()->tx_get(s, 1));
        assert_true(ops()->state_memuse(s) > 0);
        assert_int_equal(apptest.n_events, 0);
        ops()->state_free(s);
    }
}

/* A message that is one quoted-printable attachment (no multipart), dot-stuffed. */
static void test_single_part_qp(void **s_)
{
    (void)s_;
    void *s = ops()->state_new(true);
    srv(s, "220 x\r\n", 1000);
    cli(s, "HELO a\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n", 1000);
    srv(s, "250 ok\r\n250 ok\r\n250 ok\r\n354 go\r\n", 1000);
    cli(s, "Subject: x\r\nContent-Disposition: attachment; filename=a.txt\r\n"
           "Content-Transfer-Encoding: Quoted-Printable\r\n\r\n"
           "l=C3=A9ne one=\r\n..two\r\nthree =3D\r\n.\r\n", 5);
    srv(s, "250 queued\r\n", 1000);
    void *tx = ops()->tx_get(s, 0);
    assert_true(ops()->tx_complete(tx, false));
    const uint8_t *d;
    size_t n;
    assert_true(ops()->get_buffer(tx, VG_BUF_SMTP_FILE_DATA, &d, &n));
    /* the line break before the "." ends the message's last line: it is content */
    const char *want = "l\xc3\xa9ne one.two\r\nthree =\r\n";
    assert_int_equal(n, strlen(want));
    assert_memory_equal(d, want, n);
    vg_app_file_t f;
    assert_true(ops()->tx_file(tx, 0, false, &f));
    assert_memory_equal(f.name, "a.txt", 5);
    json_t *j = event_json(tx);
    /* the message itself is the file: Suricata lists only parts as attachments */
    assert_null(json_object_get(json_object_get(j, "email"), "attachment"));
    assert_null(jstr(j, "email", "from"));
    json_decref(j);
    ops()->state_free(s);
}

/* multipart/alternative inside multipart/mixed, two attachments, the text parts not files. */
static void test_nested(void **s_)
{
    (void)s_;
    void *s = ops()->state_new(true);
    cli(s, "EHLO a\r\nDATA\r\n", 1000);
    srv(s, "220 x\r\n250 a\r\n354 go\r\n", 1000);
    cli(s, "Content-Type: multipart/mixed; boundary=OUT\r\n\r\n"
           "--OUT\r\nContent-Type: multipart/alternative; boundary=\"IN\"\r\n\r\n"
           "--IN\r\nContent-Type: text/plain\r\n\r\nplain\r\n"
           "--IN\r\nContent-Type: text/html\r\n\r\n<b>html</b>\r\n--IN--\r\n"
           "--OUT\r\nContent-Type: text/plain; name=one.txt\r\n\r\nfirst\r\nline2\r\n"
           "--OUT\r\nContent-Disposition: attachment; filename=\"two;2.txt\"\r\n"
           "Content-Transfer-Encoding: base64\r\n\r\nc2Vj\r\nb25k\r\n--OUT--\r\n.\r\n", 4);
    srv(s, "250 ok\r\n", 1000);
    void *tx = ops()->tx_get(s, 0);
    assert_true(ops()->tx_complete(tx, false));
    vg_app_file_t f;
    assert_true(ops()->tx_file(tx, 0, false, &f));
    assert_memory_equal(f.name, "one.txt", 7);
    assert_int_equal(f.data_len, 12);
    assert_memory_equal(f.data, "first\r\nline2", 12);
    assert_true(ops()->tx_file(tx, 1, false, &f));
    assert_int_equal(f.name_len, 9);
    assert_memory_equal(f.name, "two;2.txt", 9);
    assert_int_equal(f.data_len, 6);
    assert_memory_equal(f.data, "second", 6);
    assert_false(ops()->tx_file(tx, 2, false, &f));
    const uint8_t *d;
    size_t n;
    assert_true(ops()->get_buffer_multi(tx, VG_BUF_SMTP_FILE_DATA, 1, &d, &n));
    assert_memory_equal(d, "second", 6);
    assert_false(ops()->get_buffer_multi(tx, VG_BUF_SMTP_FILE_DATA, 2, &d, &n));
    assert_int_equal(ops()->multi_buf, VG_BUF_SMTP_FILE_DATA);
    ops()->state_free(s);
}

static void test_data_rejected(void **s_)
{
    (void)s_;
    void *s = ops()->state_new(true);
    srv(s, "220 x\r\n", 1000);
    cli(s, "EHLO a\r\nMAIL FROM:<a@b>\r\nDATA\r\n", 1000);
    srv(s, "250 a\r\n250 ok\r\n554 no valid recipients\r\n", 1000);
    assert_true(apptest_saw("DATA_COMMAND_REJECTED"));
    cli(s, "RCPT TO:<x@y>\r\n", 1000); /* a command again, not message data */
    void *tx = ops()->tx_get(s, 0);
    json_t *j = event_json(tx);
    assert_string_equal(jarr(j, "smtp", "rcpt_to", 0), "<x@y>");
    assert_string_equal(jstr(j, "email", "status"), "HEADER_READY"); /* as Suricata */
    json_decref(j);
    assert_false(ops()->tx_complete(tx, false));
    ops()->state_free(s);
}

static void test_starttls(void **s_)
{
    (void)s_;
    void *s = ops()->state_new(true);
    srv(s, "220 x\r\n", 1000);
    cli(s, "EHLO a\r\nSTARTTLS\r\n", 1000);
    srv(s, "250 a\r\n454 not now\r\n", 1000);
    assert_true(apptest_saw("TLS_REJECTED"));
    assert_int_equal(ops()->handover(s), VG_APP_UNKNOWN);
    cli(s, "STARTTLS\r\n", 1000);
    assert_int_equal(ops()->handover(s), VG_APP_UNKNOWN);
    srv(s, "220 ready\r\n", 1000);
    assert_int_equal(ops()->handover(s), VG_APP_TLS); /* the worker hands the flow to TLS */
    /* what follows is TLS, not SMTP (if the bytes reach this parser at all) */
    cli(s, "\x16\x03\x01\x00\x05MAIL FROM:<x@y>\r\nDATA\r\n", 1000);
    srv(s, "garbage\r\n", 1000);
    assert_false(apptest_saw("INVALID_REPLY"));
    json_t *j = event_json(ops()->tx_get(s, 0));
    assert_null(jstr(j, "smtp", "mail_from"));
    json_decref(j);
    assert_int_equal(ops()->tx_count(s), 1);
    ops()->state_free(s);
}

/* BDAT chunks are skipped as Suricata 7.0.10 skips them: not decoded, not taken for commands,
 * the transaction open to flow end. */
static void test_bdat(void **s_)
{
    (void)s_;
    void *s = ops()->state_new(true);
    srv(s, "220 x\r\n", 1000);
    const char *part1 = "Content-Disposition: attachment; filename=b.bin\r\n\r\nDATA\r\n.\r\n";
    const char *part2 = "RCPT TO:<no@x>\r\nend";
    char buf[512];
    snprintf(buf, sizeof buf, "EHLO a\r\nMAIL FROM:<a@b>\r\nBDAT %zu\r\n%sBDAT %zu LAST\r\n%s"
             "RCPT TO:<yes@x>\r\n", strlen(part1), part1, strlen(part2), part2);
    cli(s, buf, 3);
    srv(s, "250 a\r\n250 ok\r\n250 chunk\r\n250 last\r\n250 rcpt\r\n", 1000);
    assert_int_equal(ops()->tx_count(s), 1);
    void *tx = ops()->tx_get(s, 0);
    assert_false(ops()->tx_complete(tx, false));
    assert_int_equal(n_triggers, 0);
    vg_app_file_t f;
    assert_false(ops()->tx_file(tx, 0, false, &f));
    json_t *j = event_json(tx);
    assert_int_equal(jarr_n(j, "smtp", "rcpt_to"), 1);
    assert_string_equal(jarr(j, "smtp", "rcpt_to", 0), "<yes@x>");
    assert_null(json_object_get(j, "email"));
    json_decref(j);
    assert_int_equal(apptest.n_events, 0);
    ops()->state_free(s);
}

/* RSET ends the transaction at its reply; the next MAIL FROM opens another. */
static void test_rset(void **s_)
{
    (void)s_;
    void *s = ops()->state_new(true);
    srv(s, "220 x\r\n", 1000);
    cli(s, "EHLO a\r\nMAIL FROM:<first@x>\r\nRSET\r\n", 1000);
    void *tx = ops()->tx_get(s, 0);
    srv(s, "250 a\r\n250 ok\r\n", 1000);
    assert_false(ops()->tx_complete(tx, false));
    srv(s, "250 reset\r\n", 1000);
    assert_true(ops()->tx_complete(tx, false));
    cli(s, "MAIL FROM:<second@x>\r\n", 1000);
    assert_int_equal(ops()->tx_count(s), 2);
    json_t *j = event_json(ops()->tx_get(s, 1));
    assert_string_equal(jstr(j, "smtp", "mail_from"), "<second@x>");
    json_decref(j);
    /* pipelined: the commands after RSET, or after the end of a message, before their replies
     * belong to the next transaction */
    cli(s, "RSET\r\nMAIL FROM:<third@x>\r\nDATA\r\n", 1000);
    assert_int_equal(ops()->tx_count(s), 3);
    srv(s, "250 ok\r\n250 reset\r\n250 ok\r\n354 go\r\n", 1000);
    assert_true(ops()->tx_complete(ops()->tx_get(s, 1), false));
    cli(s, "Subject: x\r\n\r\nbody\r\n.\r\nMAIL FROM:<fourth@x>\r\n", 1000);
    assert_int_equal(ops()->tx_count(s), 4);
    assert_false(ops()->tx_complete(ops()->tx_get(s, 2), false));
    srv(s, "250 queued\r\n", 1000);
    assert_true(ops()->tx_complete(ops()->tx_get(s, 2), false));
    assert_false(ops()->tx_complete(ops()->tx_get(s, 3), false));
    j = event_json(ops()->tx_get(s, 2));
    assert_string_equal(jstr(j, "smtp", "mail_from"), "<third@x>");
    assert_string_equal(jstr(j, "email", "status"), "PARSE_DONE");
    json_decref(j);
    j = event_json(ops()->tx_get(s, 3));
    assert_string_equal(jstr(j, "smtp", "mail_from"), "<fourth@x>");
    json_decref(j);
    ops()->state_free(s);
}

static void test_flow_end_and_gap(void **s_)
{
    (void)s_;
    void *s = ops()->state_new(true);
    cli(s, "EHLO a\r\nDATA\r\n", 1000);
    srv(s, "220 x\r\n250 a\r\n354 go\r\n", 1000);
    cli(s, "Content-Disposition: attachment; filename=c.bin\r\n\r\nabc\r\n", 1000);
    void *tx = ops()->tx_get(s, 0);
    ops()->gap(s, VG_DIR_TOSERVER, 100);
    cli(s, "lost\r\n", 1000);
    ops()->end(s, &apptest.ctx);
    assert_true(ops()->tx_complete(tx, true));
    vg_app_file_t f;
    assert_true(ops()->tx_file(tx, 0, true, &f));
    assert_true(f.gaps);
    assert_int_equal(f.state, VG_APP_FILE_TRUNCATED);
    assert_int_equal(f.data_len, 3); /* nothing decoded after the gap */
    json_t *j = event_json(tx);
    assert_string_equal(jstr(j, "email", "status"), "BODY_STARTED");
    json_decref(j);
    ops()->state_free(s);
}

/* Checked against Suricata 7.0.10 on real captures: a header value is cut at 2,000 bytes
 * (not counting its name), a part the flow's end cut short is a TRUNCATED file with its
 * unfinished last line decoded, and it is not listed in email.attachment. */
static void test_real_capture_rules(void **s_)
{
    (void)s_;
    void *s = ops()->state_new(true);
    cli(s, "EHLO a\r\nDATA\r\n", 1000);
    srv(s, "220 x\r\n250 a\r\n354 go\r\n", 1000);
    char to[2600];
    size_t o = (size_t)snprintf(to, sizeof to, "To: ");
    for (int i = 0; o + 12 < sizeof to - 4; i++)
        o += (size_t)snprintf(to + o, sizeof to - o, "%s%08d@x", i ? ", " : "", i);
    snprintf(to + o, sizeof to - o, "\r\n");
    cli(s, to, 333);
    cli(s, "Content-Type: multipart/mixed; boundary=B\r\n\r\n--B\r\n"
           "Content-Disposition: attachment; filename=cut.bin\r\n"
           "Content-Transfer-Encoding: base64\r\n\r\nQUJD\r\nREVG", 1000);
    assert_true(apptest_saw("MIME_LONG_HEADER_VALUE"));
    ops()->end(s, &apptest.ctx);
    void *tx = ops()->tx_get(s, 0);
    json_t *j = event_json(tx);
    size_t n = jarr_n(j, "email", "to");
    assert_true(n > 100);
    /* the entries fill exactly 2,000 bytes of value: 12 bytes each with ", ", the last cut */
    size_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += strlen(jarr(j, "email", "to", i)) + (i ? 2 : 0);
    assert_int_equal(total, 2000);
    assert_null(json_object_get(json_object_get(j, "email"), "attachment"));
    assert_string_equal(jstr(j, "email", "status"), "BODY_STARTED");
    json_decref(j);
    vg_app_file_t f;
    assert_true(ops()->tx_file(tx, 0, true, &f));
    assert_int_equal(f.state, VG_APP_FILE_TRUNCATED);
    assert_int_equal(f.size, 6);
    assert_memory_equal(f.data, "ABCDEF", 6);
    ops()->state_free(s);
}

/* As Suricata 7.0.10: a mail without attachments asks for no raw inspection; command arguments
 * end at a space; quoted-printable keeps its last line break, 7bit drops it. */
static void test_suricata_details(void **s_)
{
    (void)s_;
    void *s = ops()->state_new(true);
    srv(s, "220 x\r\n", 1000);
    cli(s, "HELO  host.example extra\r\nMAIL FROM:  <a@b> SIZE=10\r\nRCPT TO:<c@d> NOTIFY=NEVER\r\n"
           "DATA\r\n", 1000);
    srv(s, "250 a\r\n250 ok\r\n250 ok\r\n354 go\r\n", 1000);
    cli(s, "Subject: plain\r\n\r\nno attachment\r\n.\r\n", 1000);
    srv(s, "250 queued\r\n", 1000);
    assert_int_equal(n_triggers, 0);
    json_t *j = event_json(ops()->tx_get(s, 0));
    assert_string_equal(jstr(j, "smtp", "helo"), "host.example");
    assert_string_equal(jstr(j, "smtp", "mail_from"), "<a@b>");
    assert_string_equal(jarr(j, "smtp", "rcpt_to", 0), "<c@d>");
    json_decref(j);
    cli(s, "MAIL FROM:<e@f>\r\nDATA\r\n", 1000);
    srv(s, "250 ok\r\n354 go\r\n", 1000);
    cli(s, "Content-Type: multipart/mixed; boundary=B\r\n\r\n"
           "--B\r\nContent-Disposition: attachment; filename=q\r\n"
           "Content-Transfer-Encoding: quoted-printable\r\n\r\nabc\r\ndef\r\n"
           "--B\r\nContent-Disposition: attachment; filename=r\r\n\r\nabc\r\ndef\r\n--B--\r\n.\r\n",
        7);
    assert_int_equal(n_triggers, 2); /* one per attachment closed */
    void *tx = ops()->tx_get(s, 1);
    vg_app_file_t f;
    assert_true(ops()->tx_file(tx, 0, false, &f));
    assert_int_equal(f.size, 10);
    assert_memory_equal(f.data, "abc\r\ndef\r\n", 10);
    assert_true(ops()->tx_file(tx, 1, false, &f));
    assert_int_equal(f.size, 8);
    assert_memory_equal(f.data, "abc\r\ndef", 8);
    ops()->state_free(s);
}

/* email.url as Suricata 7.0.10 writes it by default (compared on generated mails): http://
 * URLs of text parts (and of a message without a type), scheme stripped, lowercased, cut at
 * a delimiter, unique per entity, each entity's newest first; the message's own come with
 * has_ipv6_url/has_ipv4_url/has_exe_url. Attachments and non-text parts are not searched. */
static json_t *one_mail(const char *body)
{
    void *s = ops()->state_new(true);
    srv(s, "220 x\r\n", 1000);
    cli(s, "EHLO a\r\nDATA\r\n", 1000);
    srv(s, "250 a\r\n354 go\r\n", 1000);
    cli(s, body, 9);
    cli(s, ".\r\n", 1000);
    json_t *j = event_json(ops()->tx_get(s, 0));
    ops()->state_free(s);
    return j;
}

static void test_urls(void **s_)
{
    (void)s_;
    json_t *j = one_mail("Subject: x\r\n\r\nsee http://noctype.example/a here\r\n");
    assert_int_equal(jarr_n(j, "email", "url"), 1);
    assert_string_equal(jarr(j, "email", "url", 0), "noctype.example/a");
    assert_true(json_is_false(json_object_get(json_object_get(j, "email"), "has_exe_url")));
    json_decref(j);
    j = one_mail("Content-Type: text/plain\r\n\r\nHTTP://Upper.Example/B x http://dup.example "
                 "http://dup.example\r\nhttp://dup.example\r\nhttp:// empty\r\n"
                 "<a href=\"http://1.2.3.4/x.exe\">https://no.example/</a>\r\n");
    assert_int_equal(jarr_n(j, "email", "url"), 3);
    assert_string_equal(jarr(j, "email", "url", 0), "1.2.3.4/x.exe");
    assert_string_equal(jarr(j, "email", "url", 1), "dup.example");
    assert_string_equal(jarr(j, "email", "url", 2), "upper.example/b");
    json_t *e = json_object_get(j, "email");
    assert_true(json_is_true(json_object_get(e, "has_ipv4_url")));
    assert_true(json_is_false(json_object_get(e, "has_ipv6_url")));
    assert_true(json_is_true(json_object_get(e, "has_exe_url")));
    json_decref(j);
    j = one_mail("Content-Type: multipart/mixed; boundary=B\r\n\r\npre http://pre.example/\r\n"
                 "--B\r\nContent-Type: text/plain\r\n\r\n"
                 "http://one.example/ http://x.example/a]b\r\n"
                 "--B\r\nContent-Type: text/plain\r\n\r\nhttp://one.example/\r\n"
                 "--B\r\nContent-Disposition: attachment; filename=t.txt\r\n\r\n"
                 "http://att.example/\r\n"
                 "--B\r\nContent-Type: application/octet-stream\r\n\r\nhttp://octet.example/\r\n"
                 "--B\r\nContent-Type: text/html\r\nContent-Transfer-Encoding: base64\r\n\r\n"
                 "aHR0cDovL2I2NC5leGFtcGxlL3AgeA0K\r\n--B--\r\n");
    assert_int_equal(jarr_n(j, "email", "url"), 4);
    assert_string_equal(jarr(j, "email", "url", 0), "x.example/a");
    assert_string_equal(jarr(j, "email", "url", 1), "one.example/");
    assert_string_equal(jarr(j, "email", "url", 2), "one.example/");
    assert_string_equal(jarr(j, "email", "url", 3), "b64.example/p");
    assert_null(json_object_get(json_object_get(j, "email"), "has_exe_url"));
    json_decref(j);
}

static void test_anomalies(void **s_)
{
    (void)s_;
    void *s = ops()->state_new(true);
    srv(s, "220 x\r\n", 1000);
    char line[700];
    memset(line, 'A', sizeof line);
    memcpy(line, "NOOP ", 5);
    line[sizeof line - 3] = '\r';
    line[sizeof line - 2] = '\n';
    line[sizeof line - 1] = '\0';
    cli(s, line, 64);
    assert_true(apptest_saw("MAX_COMMAND_LINE_LEN_EXCEEDED"));
    srv(s, "hello\r\n", 1000);
    assert_true(apptest_saw("INVALID_REPLY"));
    srv(s, "250 ok\r\n250 extra\r\n", 1000);
    assert_true(apptest_saw("UNABLE_TO_MATCH_REPLY_WITH_REQUEST"));
    cli(s, "DATA\r\n", 1000);
    srv(s, "354 go\r\n", 1000);
    cli(s, "Content-Disposition: attachment; filename=x\r\nContent-Transfer-Encoding: base64\r\n"
           "\r\nQU*JD\r\n.\r\n", 1000);
    assert_true(apptest_saw("MIME_INVALID_BASE64"));
    const uint8_t *d;
    size_t n;
    assert_true(ops()->get_buffer(ops()->tx_get(s, 0), VG_BUF_SMTP_FILE_DATA, &d, &n));
    assert_int_equal(n, 3);
    assert_memory_equal(d, "ABC", 3); /* the bad character skipped */
    ops()->state_free(s);
}

static void test_probe(void **s_)
{
    (void)s_;
    const vg_app_ops_t *o = ops();
    assert_int_equal(o->probe((const uint8_t *)"EHLO x\r\n", 8, VG_DIR_TOSERVER), 1);
    assert_int_equal(o->probe((const uint8_t *)"helo", 4, VG_DIR_TOSERVER), 1);
    assert_int_equal(o->probe((const uint8_t *)"QUIT\r\n", 6, VG_DIR_TOSERVER), 1);
    assert_int_equal(o->probe((const uint8_t *)"EH", 2, VG_DIR_TOSERVER), -1);
    assert_int_equal(o->probe((const uint8_t *)"", 0, VG_DIR_TOSERVER), -1);
    assert_int_equal(o->probe((const uint8_t *)"USER bob\r\n", 10, VG_DIR_TOSERVER), 0);
    assert_int_equal(o->probe((const uint8_t *)"EHLX", 4, VG_DIR_TOSERVER), 0);
    /* the greeting alone does not decide (as Suricata: FTP greets with 220 too) */
    assert_int_equal(o->probe((const uint8_t *)"220 mx ESMTP\r\n", 14, VG_DIR_TOCLIENT), 0);
    assert_int_equal(vg_app_detect(true, 40000, 2525, (const uint8_t *)"EHLO a\r\n", 8,
                                   VG_DIR_TOSERVER),
                     VG_APP_SMTP);
    assert_ptr_equal(vg_app_ops_by_name("smtp"), o);
}

static void test_fuzz(void **s_)
{
    (void)s_;
    char base[4096];
    setup(NULL);
    snprintf(base, sizeof base, "%s", mail());
    size_t bn = strlen(base);
    srand(11);
    apptest.ctx.anomaly = NULL;
    for (int it = 0; it < 3000; it++) {
        char m[4096];
        memcpy(m, base, bn);
        int muts = 1 + rand() % 8;
        for (int k = 0; k < muts; k++)
            m[rand() % (int)bn] = (char)(rand() % 4 ? "-\r\n=.:;\"A"[rand() % 9] : rand());
        void *s = ops()->state_new(true);
        srv(s, "220 x\r\n", 1000);
        cli(s, "EHLO a\r\nMAIL FROM:<a@b>\r\nDATA\r\n", 1000);
        srv(s, "250 a\r\n250 b\r\n354 c\r\n", 1000);
        size_t off = 0;
        while (off < bn) {
            size_t k = VG_MIN(1 + (size_t)rand() % 64, bn - off);
            if (rand() % 50 == 0)
                ops()->gap(s, rand() % 2, k);
            else
                ops()->parse(s, rand() % 10 ? VG_DIR_TOSERVER : VG_DIR_TOCLIENT,
                             (const uint8_t *)m + off, k, &apptest.ctx);
            off += k;
        }
        ops()->end(s, &apptest.ctx);
        for (uint64_t i = 0; i < ops()->tx_count(s); i++) {
            void *tx = ops()->tx_get(s, i);
            json_decref(event_json(tx));
            vg_app_file_t f;
            for (size_t fi = 0; ops()->tx_file(tx, fi, true, &f); fi++)
                assert_true(f.data_len <= f.size);
        }
        ops()->state_free(s);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_session, setup),
        cmocka_unit_test_setup(test_single_part_qp, setup),
        cmocka_unit_test_setup(test_nested, setup),
        cmocka_unit_test_setup(test_data_rejected, setup),
        cmocka_unit_test_setup(test_starttls, setup),
        cmocka_unit_test_setup(test_bdat, setup),
        cmocka_unit_test_setup(test_rset, setup),
        cmocka_unit_test_setup(test_flow_end_and_gap, setup),
        cmocka_unit_test_setup(test_real_capture_rules, setup),
        cmocka_unit_test_setup(test_suricata_details, setup),
        cmocka_unit_test_setup(test_urls, setup),
        cmocka_unit_test_setup(test_anomalies, setup),
        cmocka_unit_test_setup(test_probe, setup),
        cmocka_unit_test_setup(test_fuzz, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
