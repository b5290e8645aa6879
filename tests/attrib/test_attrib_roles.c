/* test_attrib_roles.c — attacker/victim roles, certainty and categories, case by case, as listed
 * in docs/ATTRIBUTION.md. Home networks are Suricata's default HOME_NET unless a test sets one. */
#include "test_attrib_common.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

typedef struct fx {
    vg_attrib_t *a;
    vg_attrib_ctx_t *c;
} fx_t;

static int setup(void **st)
{
    static fx_t f;
    const char *none[] = {tmp_write(0, "16777216,16777471,AU\n")};
    vg_attrib_opts_t o = {.dbs = none, .n_dbs = 1};
    char err[256];
    f.a = vg_attrib_new(&o, err, sizeof err);
    if (!f.a)
        return -1;
    f.c = vg_attrib_ctx_new(f.a);
    *st = &f;
    return 0;
}

static int teardown(void **st)
{
    fx_t *f = *st;
    vg_attrib_ctx_free(f->c);
    vg_attrib_free(f->a);
    return 0;
}

static vg_attrib_input_t input(const char *src, uint16_t sp, const char *dst, uint16_t dp,
                               uint8_t proto, int src_is_client, bool hs)
{
    vg_attrib_input_t in = {0};
    in.ip_ver = (uint8_t)addr_of(src, &in.src);
    addr_of(dst, &in.dst);
    in.sp = sp, in.dp = dp, in.proto = proto;
    in.src_is_client = (int8_t)src_is_client;
    in.handshake_complete = hs;
    return in;
}

static void assert_ip(const vg_attrib_end_t *e, const char *ip)
{
    vg_addr_t x;
    addr_of(ip, &x);
    if (memcmp(&x, &e->ip, sizeof x)) {
        char got[48];
        vg_addr_format(&e->ip, e->ip_ver, got);
        fail_msg("expected %s, got %s", ip, got);
    }
}

/* Inbound exploit over a completed handshake: the external client is the attacker, verified. */
static void test_inbound_exploit_verified(void **st)
{
    fx_t *f = *st;
    vg_attrib_input_t in = input("1.0.0.5", 40000, "192.168.1.10", 80, 6, 1, true);
    vg_attrib_result_t r;
    vg_attrib_alert_fields(f->c, &in, "ET WEB_SERVER Possible SQL Injection", "web-application-attack",
                           NULL, 0, &r);
    assert_int_equal(r.category, VG_CAT_EXPLOIT);
    assert_true(r.counted);
    assert_ip(&r.attacker, "1.0.0.5");
    assert_int_equal(r.attacker.port, 40000);
    assert_ip(&r.victim, "192.168.1.10");
    assert_true(r.attacker.verified);
    assert_false(r.attacker.is_home);
    assert_true(r.victim.is_home);
    assert_string_equal(r.attacker.geo.country, "AU");
    assert_string_equal(r.victim.geo.country, "??");
    assert_int_equal(r.role_by, VG_ROLE_BY_DIRECTION);
}

/* Spoofed-source UDP flood: attacker is the sender, spoofable. */
static void test_udp_flood_spoofable(void **st)
{
    fx_t *f = *st;
    vg_attrib_input_t in = input("198.51.100.7", 1234, "10.0.0.5", 53, 17, 1, false);
    vg_attrib_result_t r;
    vg_attrib_alert_fields(f->c, &in, "ET DOS Possible DNS flood", "attempted-dos", NULL, 0, &r);
    assert_int_equal(r.category, VG_CAT_DOS);
    assert_ip(&r.attacker, "198.51.100.7");
    assert_false(r.attacker.verified);
    assert_false(r.victim.verified);
}

/* Bare SYN scan and midstream pickup: TCP but no completed handshake, so spoofable. */
static void test_syn_and_midstream_spoofable(void **st)
{
    fx_t *f = *st;
    vg_flow_t fl = {0};
    addr_of("1.0.0.9", &fl.addr[0]);
    addr_of("10.1.1.1", &fl.addr[1]);
    fl.port[0] = 5555, fl.port[1] = 22, fl.ip_ver = 4, fl.proto = 6;
    vg_attrib_input_t in;
    vg_attrib_input_from_flow(&in, &fl, 0, false, false);
    vg_attrib_result_t r;
    vg_attrib_alert_fields(f->c, &in, "ET SCAN Potential SSH Scan", "attempted-recon", NULL, 0, &r);
    assert_int_equal(r.category, VG_CAT_SCAN);
    assert_ip(&r.attacker, "1.0.0.9");
    assert_false(r.attacker.verified);
    /* the same flow once the handshake completed */
    vg_attrib_input_from_flow(&in, &fl, 0, false, true);
    vg_attrib_alert_fields(f->c, &in, "ET SCAN Potential SSH Scan", "attempted-recon", NULL, 0, &r);
    assert_true(r.attacker.verified);
    /* a UDP flow never is */
    fl.proto = 17;
    vg_attrib_input_from_flow(&in, &fl, 0, false, true);
    assert_false(in.handshake_complete);
}

/* C2 check-in from an internal host: attacker = the external controller, victim = internal host,
 * whichever direction the alerted packet went. */
static void test_c2_checkin(void **st)
{
    fx_t *f = *st;
    const char *msg = "ET MALWARE Win32/Foo CnC Checkin";
    vg_attrib_input_t in = input("192.168.1.20", 50000, "1.0.0.77", 443, 6, 1, true);
    vg_attrib_result_t r;
    vg_attrib_alert_fields(f->c, &in, msg, "command-and-control", NULL, 0, &r);
    assert_int_equal(r.category, VG_CAT_C2);
    assert_int_equal(r.role_by, VG_ROLE_BY_C2);
    assert_ip(&r.attacker, "1.0.0.77");
    assert_int_equal(r.attacker.port, 443);
    assert_ip(&r.victim, "192.168.1.20");
    assert_true(r.attacker.verified); /* the host connected to it: the address is real */
    /* the controller's reply (to_client) */
    in = input("1.0.0.77", 443, "192.168.1.20", 50000, 6, 0, true);
    vg_attrib_alert_fields(f->c, &in, msg, "trojan-activity", NULL, 0, &r);
    assert_int_equal(r.category, VG_CAT_C2); /* "CnC" in the message */
    assert_ip(&r.attacker, "1.0.0.77");
    /* neither end at home: the check-in sender is the infected host */
    in = input("5.5.5.5", 50000, "1.0.0.77", 443, 6, 1, true);
    vg_attrib_alert_fields(f->c, &in, msg, NULL, NULL, 0, &r);
    assert_ip(&r.attacker, "1.0.0.77");
    assert_ip(&r.victim, "5.5.5.5");
}

/* Exfiltration: the external receiver is the attacker. */
static void test_exfiltration(void **st)
{
    fx_t *f = *st;
    vg_attrib_input_t in = input("10.0.0.8", 40001, "1.0.0.200", 80, 6, 1, true);
    vg_attrib_result_t r;
    vg_attrib_alert_fields(f->c, &in, "ET MALWARE Stealer Data Exfiltration via POST",
                           "trojan-activity", NULL, 0, &r);
    assert_true(r.exfil);
    assert_int_equal(r.role_by, VG_ROLE_BY_EXFIL);
    assert_int_equal(r.category, VG_CAT_MALWARE);
    assert_ip(&r.attacker, "1.0.0.200");
    assert_ip(&r.victim, "10.0.0.8");
    /* by metadata, and with the receiver's acknowledgement as the alerted packet */
    in = input("1.0.0.200", 80, "10.0.0.8", 40001, 6, 0, true);
    vg_attrib_alert_fields(f->c, &in, "ET POLICY Upload", "policy-violation",
                           "mitre_tactic_name Exfiltration, created_at 2024_01_01", 0, &r);
    assert_true(r.exfil);
    assert_ip(&r.attacker, "1.0.0.200");
    assert_false(r.counted); /* policy-info: roles but not an attack */
}

/* target: overrides every other rule. */
static void test_target_keyword(void **st)
{
    fx_t *f = *st;
    vg_attrib_input_t in = input("1.0.0.5", 40000, "192.168.1.10", 80, 6, 1, true);
    vg_attrib_result_t r;
    vg_attrib_alert_fields(f->c, &in, "ET WEB_SERVER x", "web-application-attack", NULL,
                           VG_RULE_TARGET_SRC, &r);
    assert_int_equal(r.role_by, VG_ROLE_BY_TARGET);
    assert_ip(&r.victim, "1.0.0.5");
    assert_ip(&r.attacker, "192.168.1.10");
    /* a C2 rule with target:dest_ip: the destination is the victim even though it is external */
    vg_rule_t rule = {.msg = "ET MALWARE Foo CnC", .classtype = "command-and-control",
                      .flags = VG_RULE_TARGET_DST};
    in = input("192.168.1.20", 5000, "1.0.0.77", 443, 6, 1, true);
    vg_attrib_alert(f->c, &in, &rule, &r);
    assert_ip(&r.victim, "1.0.0.77");
    assert_ip(&r.attacker, "192.168.1.20");
}

/* Compromise evidence in a response: the responding (internal) server is the victim. */
static void test_attack_response(void **st)
{
    fx_t *f = *st;
    vg_attrib_input_t in = input("192.168.1.10", 80, "1.0.0.5", 40000, 6, 0, true);
    vg_attrib_result_t r;
    vg_attrib_alert_fields(f->c, &in, "ET ATTACK_RESPONSE id check returned root", "bad-unknown",
                           NULL, 0, &r);
    assert_int_equal(r.category, VG_CAT_WEBSHELL);
    assert_int_equal(r.role_by, VG_ROLE_BY_RESPONSE);
    assert_ip(&r.attacker, "1.0.0.5");
    assert_ip(&r.victim, "192.168.1.10");
}

/* Reputation: the listed (external) address is the attacker, also for outbound traffic. */
static void test_reputation_outbound(void **st)
{
    fx_t *f = *st;
    vg_attrib_input_t in = input("172.16.0.3", 40000, "1.0.0.66", 25, 6, 1, false);
    vg_attrib_result_t r;
    vg_attrib_alert_fields(f->c, &in, "ET DROP Spamhaus DROP Listed Traffic Inbound group 1",
                           "misc-attack", NULL, 0, &r);
    assert_int_equal(r.category, VG_CAT_REPUTATION);
    assert_int_equal(r.role_by, VG_ROLE_BY_EXTERNAL);
    assert_ip(&r.attacker, "1.0.0.66");
    assert_false(r.attacker.verified);
}

/* Flow helper: direction and reversed sessions. */
static void test_input_from_flow(void **st)
{
    (void)st;
    vg_flow_t fl = {0};
    addr_of("1.1.1.1", &fl.addr[0]);
    addr_of("2.2.2.2", &fl.addr[1]);
    fl.port[0] = 1000, fl.port[1] = 80, fl.ip_ver = 4, fl.proto = 6;
    vg_attrib_input_t in;
    vg_attrib_input_from_flow(&in, &fl, 1, false, true);
    assert_int_equal(in.sp, 80);
    assert_int_equal(in.src_is_client, 0);
    assert_true(in.handshake_complete);
    vg_attrib_input_from_flow(&in, &fl, 1, true, true); /* initiator was the server */
    assert_int_equal(in.src_is_client, 1);
}

/* The category memo (per context) answers for the rule text, not for where it is stored: the
 * same buffers rewritten with another rule's text (a reloaded rule set reusing memory) are
 * classified afresh, and repeated alerts of one rule keep their answer. */
static void test_category_memo(void **st)
{
    fx_t *f = *st;
    vg_attrib_input_t in = input("1.0.0.5", 40000, "10.0.0.1", 80, 6, 1, true);
    vg_attrib_result_t r;
    char msg[64], meta[96];
    for (int round = 0; round < 3; round++) {
        strcpy(msg, "ET POLICY something");
        strcpy(meta, "mitre_tactic_name Exfiltration, created_at 2024");
        vg_attrib_alert_fields(f->c, &in, msg, NULL, meta, 0, &r);
        assert_true(r.exfil);
        strcpy(msg, "ET SCAN something");
        strcpy(meta, "mitre_tactic_name Reconnaissance, created_at 2024");
        vg_attrib_alert_fields(f->c, &in, msg, NULL, meta, 0, &r);
        assert_false(r.exfil);
        assert_int_equal(r.category, VG_CAT_SCAN);
    }
}

static void test_categories(void **st)
{
    fx_t *f = *st;
    const struct { const char *msg, *ct, *md; enum vg_attrib_cat want; } c[] = {
        {"ET TOR Known Tor Exit Node Traffic group 1", "misc-attack", NULL, VG_CAT_REPUTATION},
        {"ET CINS Active Threat Intelligence Poor Reputation IP", "misc-attack", NULL,
         VG_CAT_REPUTATION},
        {"ET COMPROMISED Known Compromised or Hostile Host", "misc-attack", NULL, VG_CAT_REPUTATION},
        {"ET 3CORESEC Poor Reputation IP", "misc-attack", NULL, VG_CAT_REPUTATION},
        {"ET CNC Feodo Tracker Reported CnC Server", "trojan-activity", NULL, VG_CAT_REPUTATION},
        {"ET WEB_SERVER WebShell Generic - wget", "web-application-attack", NULL, VG_CAT_WEBSHELL},
        {"ET MALWARE Foo Checkin", "trojan-activity", NULL, VG_CAT_MALWARE},
        {"ET MALWARE Foo Checkin", "trojan-activity",
         "attack_target Client_Endpoint, mitre_tactic_name Command_And_Control", VG_CAT_C2},
        {"ET INFO something", "domain-c2", NULL, VG_CAT_C2},
        {"ET SCAN Rapid POP3 Connections - Possible Brute Force Attack", "misc-activity", NULL,
         VG_CAT_BRUTE_FORCE},
        {"ET SCAN NMAP -sS window 1024", "attempted-recon", NULL, VG_CAT_SCAN},
        {"ET PHISHING Successful Generic Phish", "credential-theft", NULL, VG_CAT_PHISHING},
        {"GPL ATTACK x", "attempted-admin", NULL, VG_CAT_EXPLOIT},
        {"ET EXPLOIT Apache log4j RCE", "attempted-admin", NULL, VG_CAT_EXPLOIT},
        {"ET DOS Possible NTP DDoS", "attempted-dos", NULL, VG_CAT_DOS},
        {"ET POLICY curl User-Agent", "policy-violation", NULL, VG_CAT_POLICY},
        {"ET INFO Observed DNS Query to .cloud TLD", "bad-unknown", NULL, VG_CAT_POLICY},
        {"local rule", NULL, NULL, VG_CAT_POLICY},
        {NULL, NULL, NULL, VG_CAT_POLICY},
    };
    for (size_t i = 0; i < VG_ARRAY_LEN(c); i++) {
        enum vg_attrib_cat got = vg_attrib_category(f->a, c[i].msg, c[i].ct, c[i].md);
        if (got != c[i].want)
            fail_msg("case %zu '%s': got %s want %s", i, c[i].msg ? c[i].msg : "(null)",
                     vg_attrib_cat_name(got), vg_attrib_cat_name(c[i].want));
    }
    assert_false(vg_attrib_cat_counted(VG_CAT_POLICY));
    assert_int_equal(vg_attrib_cat_parse("scanning"), VG_CAT_SCAN);
    assert_int_equal(vg_attrib_cat_parse("nope"), -1);
}

/* User rows from attribution.categories-file come first; bad rows name FILE:LINE. */
static void test_categories_file(void **st)
{
    (void)st;
    const char *cf = tmp_write(3, "# override\n"
                                  "malware-infection  msg-prefix  ET HUNTING Suspicious\n"
                                  "policy-info        classtype   trojan-activity\n"
                                  "exfiltration       msg-contains  to pastebin\n");
    vg_attrib_opts_t o = {.categories_file = cf, .dbs = (const char *[]){tmp_write(4, "1,2,AU\n")},
                          .n_dbs = 1};
    char err[256];
    vg_attrib_t *a = vg_attrib_new(&o, err, sizeof err);
    if (!a)
        fail_msg("%s", err);
    assert_int_equal(vg_attrib_category(a, "ET HUNTING Suspicious thing", "bad-unknown", NULL),
                     VG_CAT_MALWARE);
    assert_int_equal(vg_attrib_category(a, "ET MALWARE x", "trojan-activity", NULL), VG_CAT_POLICY);
    assert_true(vg_attrib_is_exfil(a, "Upload to Pastebin", NULL));
    vg_attrib_free(a);

    o.categories_file = tmp_write(3, "bogus-cat msg-prefix X\n");
    assert_null(vg_attrib_new(&o, err, sizeof err));
    assert_non_null(strstr(err, ":1: unknown category 'bogus-cat'"));
    o.categories_file = tmp_write(3, "\nscanning regex X\n");
    assert_null(vg_attrib_new(&o, err, sizeof err));
    assert_non_null(strstr(err, ":2: unknown field 'regex'"));
}

/* HOME_NET from variables, with negation and nesting. */
static void test_home_net(void **st)
{
    (void)st;
    const char *names[] = {"HOME_NET", "LAB", "DMZ"};
    const char *values[] = {"[$LAB,!$DMZ,2001:db8::/32]", "[10.0.0.0/8]", "10.9.0.0/16"};
    vg_attrib_opts_t o = {.home_net = values[0], .var_names = names, .var_values = values,
                          .n_vars = 3, .dbs = (const char *[]){tmp_write(4, "1,2,AU\n")},
                          .n_dbs = 1};
    char err[256];
    vg_attrib_t *a = vg_attrib_new(&o, err, sizeof err);
    assert_non_null(a);
    vg_addr_t x;
    int v;
    v = addr_of("10.1.2.3", &x);
    assert_true(vg_attrib_is_home(a, &x, v));
    v = addr_of("10.9.2.3", &x);
    assert_false(vg_attrib_is_home(a, &x, v));
    v = addr_of("192.168.1.1", &x);
    assert_false(vg_attrib_is_home(a, &x, v));
    v = addr_of("2001:db8:1::1", &x);
    assert_true(vg_attrib_is_home(a, &x, v));
    vg_attrib_free(a);
    o.home_net = "[10.0.0.0/8,$NOPE]";
    assert_null(vg_attrib_new(&o, err, sizeof err));
    assert_non_null(strstr(err, "unknown variable"));
    o.home_net = "[10.0.0.0/33]";
    assert_null(vg_attrib_new(&o, err, sizeof err));
    assert_non_null(strstr(err, "bad prefix length"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_inbound_exploit_verified),
        cmocka_unit_test(test_category_memo),
        cmocka_unit_test(test_udp_flood_spoofable),
        cmocka_unit_test(test_syn_and_midstream_spoofable),
        cmocka_unit_test(test_c2_checkin),
        cmocka_unit_test(test_exfiltration),
        cmocka_unit_test(test_target_keyword),
        cmocka_unit_test(test_attack_response),
        cmocka_unit_test(test_reputation_outbound),
        cmocka_unit_test(test_input_from_flow),
        cmocka_unit_test(test_categories),
        cmocka_unit_test(test_categories_file),
        cmocka_unit_test(test_home_net),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
