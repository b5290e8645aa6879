/* test_app_recognised.c — protocols Vigil recognises without parsing them (app_smb.c,
 * app_dcerpc.c, app_krb5.c, app_ntp.c, app_dhcp.c, app_sip.c, app_telnet.c): what their first
 * bytes must look like, through vg_app_detect() as the worker calls it, and that they make no
 * transactions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "app/app.h"

#include <string.h>

#define C VG_DIR_TOSERVER
#define U8(s) ((const uint8_t *)(s))

static enum vg_app_proto det(uint16_t dp, const void *d, size_t n)
{
    return vg_app_detect(true, 40000, dp, d, n, C);
}

static void test_smb(void **st)
{
    (void)st;
    /* NBSS session message, then SMB2 negotiate ("\xfeSMB"), SMB1 ("\xffSMB"), on any port */
    static const uint8_t smb2[] = {0, 0, 0, 0x44, 0xfe, 'S', 'M', 'B', 0x40, 0};
    static const uint8_t smb1[] = {0, 0, 0, 0x2f, 0xff, 'S', 'M', 'B', 0x72, 0};
    assert_int_equal(det(445, smb2, sizeof smb2), VG_APP_SMB);
    assert_int_equal(det(8445, smb1, sizeof smb1), VG_APP_SMB);
    /* too short to tell: undecided; not SMB after the NBSS header: another protocol or failed */
    assert_int_equal(det(445, smb2, 6), VG_APP_UNKNOWN);
    static const uint8_t notsmb[] = {0, 0, 0, 0x44, 0xfe, 'S', 'M', 'X', 0x40, 0};
    assert_int_not_equal(det(445, notsmb, sizeof notsmb), VG_APP_SMB);
    /* a NetBIOS session request (port 139) first: the next record decides */
    uint8_t req[4 + 68 + 10];
    memset(req, 0x20, sizeof req);
    req[0] = 0x81, req[1] = 0, req[2] = 0, req[3] = 68;
    memcpy(req + 72, smb1, sizeof smb1);
    assert_int_equal(det(139, req, sizeof req), VG_APP_SMB);
    assert_int_equal(det(139, req, 72), VG_APP_UNKNOWN); /* the session request alone */
    req[72 + 5] = 'X';
    assert_int_not_equal(det(139, req, sizeof req), VG_APP_SMB);
    /* reserved NBSS flag bits set: not NetBIOS */
    uint8_t bad[sizeof smb2];
    memcpy(bad, smb2, sizeof bad);
    bad[1] = 0x02;
    assert_int_not_equal(det(445, bad, sizeof bad), VG_APP_SMB);
}

static void test_dcerpc(void **st)
{
    (void)st;
    /* bind: version 5.0, type 11, little-endian ASCII IEEE data representation */
    static const uint8_t bind[16] = {5, 0, 11, 3, 0x10, 0, 0, 0, 0x48, 0, 0, 0, 1, 0, 0, 0};
    assert_int_equal(det(135, bind, sizeof bind), VG_APP_DCERPC);
    assert_int_equal(det(49667, bind, sizeof bind), VG_APP_DCERPC);
    assert_int_equal(det(135, bind, 10), VG_APP_UNKNOWN);
    uint8_t v4[16];
    memcpy(v4, bind, sizeof v4);
    v4[1] = 1; /* minor version 1: Suricata's probe takes 5.0 only */
    assert_int_not_equal(det(135, v4, sizeof v4), VG_APP_DCERPC);
    memcpy(v4, bind, sizeof v4);
    v4[4] = 0x20; /* an unknown integer/character format */
    assert_int_not_equal(det(135, v4, sizeof v4), VG_APP_DCERPC);
}

static void test_krb5(void **st)
{
    (void)st;
    /* AS-REQ: [APPLICATION 10] { SEQUENCE { [1] { INTEGER 5 } ... } } */
    static const uint8_t asreq[] = {0x6a, 0x81, 0x20, 0x30, 0x81, 0x1d, 0xa1, 0x03, 0x02, 0x01,
                                    0x05, 0xa2, 0x03, 0x02, 0x01, 0x0a};
    assert_int_equal(vg_app_detect(false, 40000, 88, asreq, sizeof asreq, C), VG_APP_KRB5);
    /* only on port 88 (as Suricata's detection ports) */
    assert_int_not_equal(vg_app_detect(false, 40000, 89, asreq, sizeof asreq, C), VG_APP_KRB5);
    /* over TCP after the 4-byte record length */
    uint8_t tcp[4 + sizeof asreq] = {0, 0, 0, 0x23};
    memcpy(tcp + 4, asreq, sizeof asreq);
    assert_int_equal(det(88, tcp, sizeof tcp), VG_APP_KRB5);
    assert_int_equal(det(88, tcp, 6), VG_APP_UNKNOWN);
    /* version 4, or a universal-class element: not Kerberos 5 */
    uint8_t v4[sizeof asreq];
    memcpy(v4, asreq, sizeof v4);
    v4[10] = 4;
    assert_int_not_equal(vg_app_detect(false, 40000, 88, v4, sizeof v4, C), VG_APP_KRB5);
    memcpy(v4, asreq, sizeof v4);
    v4[0] = 0x30;
    assert_int_not_equal(vg_app_detect(false, 40000, 88, v4, sizeof v4, C), VG_APP_KRB5);
}

/* NTP: a datagram of 48 bytes or more to port 123 whose version is 3 or 4 (Suricata's probe) */
static void test_ntp(void **st)
{
    (void)st;
    uint8_t m[48] = {0x23}; /* LI 0, version 4, mode 3 (client) */
    assert_int_equal(vg_app_detect(false, 50796, 123, m, sizeof m, C), VG_APP_NTP);
    m[0] = 0x1b; /* version 3 */
    assert_int_equal(vg_app_detect(false, 50796, 123, m, sizeof m, C), VG_APP_NTP);
    m[0] = 0x13; /* version 2 */
    assert_int_equal(vg_app_detect(false, 50796, 123, m, sizeof m, C), VG_APP_FAILED);
    m[0] = 0x23;
    assert_int_equal(vg_app_detect(false, 50796, 123, m, 47, C), VG_APP_FAILED);
    /* only the server's port counts: from port 123 to another port, it is not NTP */
    assert_int_equal(vg_app_detect(false, 123, 50796, m, sizeof m, C), VG_APP_FAILED);
    assert_int_equal(vg_app_detect(true, 50796, 123, m, sizeof m, C), VG_APP_FAILED); /* UDP */
}

/* DHCP: a BOOTP message with the magic cookie to port 67 or 68 (Suricata's probe) */
static void test_dhcp(void **st)
{
    (void)st;
    uint8_t m[300] = {1, 1, 6, 0};
    m[236] = 0x63, m[237] = 0x82, m[238] = 0x53, m[239] = 0x63;
    assert_int_equal(vg_app_detect(false, 68, 67, m, sizeof m, C), VG_APP_DHCP);
    m[0] = 2; /* a server's reply, broadcast to the client port */
    assert_int_equal(vg_app_detect(false, 67, 68, m, sizeof m, C), VG_APP_DHCP);
    m[0] = 3;
    assert_int_equal(vg_app_detect(false, 68, 67, m, sizeof m, C), VG_APP_FAILED);
    m[0] = 1;
    m[239] = 0;
    assert_int_equal(vg_app_detect(false, 68, 67, m, sizeof m, C), VG_APP_FAILED);
    m[239] = 0x63;
    assert_int_equal(vg_app_detect(false, 68, 6767, m, sizeof m, C), VG_APP_FAILED);
}

/* SIP on UDP 5060: a request line of a known method ending in SIP/2.0, or a status line; Telnet on
 * TCP 23: an IAC command first */
static void test_sip_telnet(void **st)
{
    (void)st;
    static const char reg[] = "REGISTER sip:188.40.96.200 SIP/2.0\r\nVia: SIP/2.0/UDP x\r\n\r\n";
    assert_int_equal(vg_app_detect(false, 4040, 5060, U8(reg), sizeof reg - 1, C), VG_APP_SIP);
    static const char ok[] = "SIP/2.0 200 OK\r\n\r\n";
    assert_int_equal(vg_app_detect(false, 4040, 5060, U8(ok), sizeof ok - 1, C), VG_APP_SIP);
    static const char bad[] = "REGISTER sip:x HTTP/1.1\r\n\r\n";
    assert_int_equal(vg_app_detect(false, 4040, 5060, U8(bad), sizeof bad - 1, C), VG_APP_FAILED);
    assert_int_equal(vg_app_detect(false, 4040, 5061, U8(reg), sizeof reg - 1, C), VG_APP_FAILED);
    static const uint8_t iac[] = {0xff, 0xfd, 0x03, 0xff, 0xfb, 0x18};
    assert_int_equal(vg_app_detect(true, 1550, 23, iac, sizeof iac, C), VG_APP_TELNET);
    assert_int_equal(vg_app_detect(true, 1550, 2323, iac, sizeof iac, C), VG_APP_FAILED);
    assert_int_equal(vg_app_detect(true, 1550, 23, U8("login: "), 7, C), VG_APP_FAILED);
}

/* A port-bound protocol is probed on the flow's server port only: a DNS response from port 53
 * to a victim's port (reflection) is not DNS, a query to port 53 is (Suricata 7.0.10's
 * decisions on the same datagrams) */
static void test_server_port_only(void **st)
{
    (void)st;
    static const uint8_t q[] = {0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 7, 'e', 'x',
                                'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0, 0, 1, 0, 1};
    assert_int_equal(vg_app_detect(false, 5353, 53, q, sizeof q, C), VG_APP_DNS);
    assert_int_equal(vg_app_detect(false, 53, 22, q, sizeof q, C), VG_APP_FAILED);
    assert_int_equal(vg_app_detect(false, 53, 53, q, sizeof q, C), VG_APP_DNS);
}

static void test_no_transactions(void **st)
{
    (void)st;
    const enum vg_app_proto ids[] = {VG_APP_SMB, VG_APP_DCERPC, VG_APP_KRB5, VG_APP_NTP,
                                     VG_APP_DHCP, VG_APP_SIP, VG_APP_TELNET};
    for (size_t i = 0; i < VG_ARRAY_LEN(ids); i++) {
        const vg_app_ops_t *o = vg_app_ops(ids[i]);
        assert_non_null(o);
        assert_null(o->tx_count);
        assert_null(o->log_tx);
        void *s = o->state_new(true);
        assert_int_equal(o->parse(s, C, (const uint8_t *)"anything", 8, NULL), VG_APP_PARSE_OK);
        o->state_free(s);
    }
    assert_string_equal(vg_app_proto_name(VG_APP_SMB), "smb");
    assert_string_equal(vg_app_proto_name(VG_APP_DCERPC), "dcerpc");
    assert_string_equal(vg_app_proto_name(VG_APP_NTP), "ntp");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_smb),
        cmocka_unit_test(test_dcerpc),
        cmocka_unit_test(test_krb5),
        cmocka_unit_test(test_ntp),
        cmocka_unit_test(test_dhcp),
        cmocka_unit_test(test_sip_telnet),
        cmocka_unit_test(test_server_port_only),
        cmocka_unit_test(test_no_transactions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
