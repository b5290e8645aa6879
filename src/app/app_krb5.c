/* app_krb5.c — Kerberos 5 recognised, not parsed: the flow's application protocol is "krb5"
 * on port 88 when its first message is a Kerberos message (so app_proto, app-layer-protocol
 * and `alert krb5` payload rules agree with Suricata on Active Directory traffic). No
 * transactions, no `krb5` EVE events, no krb5_* keywords (rules using them are skipped with the
 * keyword as the reason).
 *
 * Recognition, after Suricata's Kerberos probe: a DER element of the APPLICATION class with a
 * tag of at most 30 (AS-REQ 10 ... KRB-ERROR 30), holding a SEQUENCE whose first element starts
 * with the DER encoding of the protocol version, INTEGER 5 (02 01 05). Over TCP the message is
 * preceded by its 4-byte length (RFC 4120, 7.2.2).
 */
#include "app/app.h"


/* Length of the DER header (identifier and length octets) at d, 0 when malformed or short;
 * *cls_tag receives the identifier octet. Only the low-tag-number form is accepted (Kerberos
 * application tags are all below 31). */
static size_t der_header(const uint8_t *d, size_t n, uint8_t *ident)
{
    if (n < 2 || (d[0] & 0x1F) == 0x1F)
        return 0;
    *ident = d[0];
    if (d[1] < 0x80)
        return 2;
    size_t k = d[1] & 0x7F;
    if (k == 0 || k > 4 || n < 2 + k)
        return 0;
    return 2 + k;
}

static int krb5_message(const uint8_t *d, size_t n)
{
    uint8_t id;
    size_t h = der_header(d, n, &id);
    if (!h)
        return n < 8 ? -1 : 0;
    if ((id & 0xC0) != 0x40 || (id & 0x1F) > 30) /* APPLICATION class, tag <= 30 */
        return 0;
    if (n < h + 1)
        return -1;
    if (d[h] != 0x30) /* a SEQUENCE */
        return 0;
    size_t h2 = der_header(d + h, n - h, &id);
    if (!h2)
        return -1;
    const uint8_t *r = d + h + h2;
    size_t m = n - h - h2;
    if (m <= 5) /* the first element's header, then INTEGER 5 */
        return -1;
    return r[2] == 2 && r[3] == 1 && r[4] == 5;
}

static int krb5_probe_udp(const uint8_t *d, size_t n, int dir)
{
    (void)dir;
    int r = krb5_message(d, n);
    return r < 0 ? 0 : r; /* a datagram is all there is */
}

static int krb5_probe_tcp(const uint8_t *d, size_t n, int dir)
{
    (void)dir;
    if (n < 4)
        return -1;
    if (d[0] & 0x80) /* the record length's reserved high bit */
        return 0;
    return krb5_message(d + 4, n - 4);
}

static int krb5_probe(const uint8_t *d, size_t n, int dir)
{
    /* the framework probes with one function for both transports: a TCP record starts with
     * its length (first byte 0 for any message under 16 MB), a datagram with the DER tag */
    if (n && (d[0] & 0xC0) == 0x40)
        return krb5_probe_udp(d, n, dir);
    return krb5_probe_tcp(d, n, dir);
}

static const uint16_t krb5_ports[] = {88, 0};

const vg_app_ops_t vg_app_krb5_ops =
    VG_APP_RECOGNISED("krb5", VG_APP_KRB5, true, true, krb5_ports, true, krb5_probe);
