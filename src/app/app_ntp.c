/* app_ntp.c — NTP recognised, not parsed: the flow's application protocol is "ntp" when its first
 * datagram, to UDP port 123, is an NTP version 3 or 4 message, as Suricata 7's NTP probe decides
 * it (the header's version field; 48 bytes at least). No transactions and no events (Suricata
 * has no NTP EVE record either); `alert ntp` payload rules and app-layer-protocol:ntp apply.
 */
#include "app/app.h"

static int ntp_probe(const uint8_t *d, size_t n, int dir)
{
    (void)dir;
    if (n < 48) /* a datagram is all there is: shorter is not an NTP message */
        return 0;
    unsigned version = (d[0] >> 3) & 7;
    return version == 3 || version == 4;
}

static const uint16_t ntp_ports[] = {123, 0};

const vg_app_ops_t vg_app_ntp_ops =
    VG_APP_RECOGNISED("ntp", VG_APP_NTP, false, true, ntp_ports, true, ntp_probe);
