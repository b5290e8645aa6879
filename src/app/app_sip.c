/* app_sip.c — SIP recognised, not parsed: the flow's application protocol is "sip" when its first
 * datagram, to UDP port 5060, is a SIP request line ("REGISTER sip:... SIP/2.0", one of the
 * methods RFC 3261 and its extensions define) or a status line ("SIP/2.0 200 OK"), as Suricata
 * 7's SIP probes decide it. No transactions, no `sip` events and no sip.* keywords (rules using
 * them are skipped with the keyword as the reason): a SIP parser would replace this file.
 */
#include "app/app.h"

#include <string.h>

static const char *const methods[] = {
    "INVITE", "ACK", "BYE", "CANCEL", "REGISTER", "OPTIONS", "PRACK", "SUBSCRIBE", "NOTIFY",
    "PUBLISH", "INFO", "REFER", "MESSAGE", "UPDATE",
};

/* 1 when d holds a whole first line that ends in " SIP/2.0" (a request) */
static int request_line(const uint8_t *d, size_t n, size_t ml)
{
    const uint8_t *eol = memchr(d, '\n', n);
    if (!eol)
        return 0; /* a datagram is all there is */
    size_t e = (size_t)(eol - d);
    if (e && d[e - 1] == '\r')
        e--;
    return e > ml + 8 && memcmp(d + e - 8, " SIP/2.0", 8) == 0;
}

static int sip_probe(const uint8_t *d, size_t n, int dir)
{
    (void)dir;
    if (n >= 8 && memcmp(d, "SIP/2.0 ", 8) == 0)
        return 1;
    for (size_t i = 0; i < VG_ARRAY_LEN(methods); i++) {
        size_t ml = strlen(methods[i]);
        if (n > ml && memcmp(d, methods[i], ml) == 0 && d[ml] == ' ')
            return request_line(d, n, ml);
    }
    return 0;
}

static const uint16_t sip_ports[] = {5060, 0};

const vg_app_ops_t vg_app_sip_ops =
    VG_APP_RECOGNISED("sip", VG_APP_SIP, false, true, sip_ports, true, sip_probe);
