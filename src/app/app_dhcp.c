/* app_dhcp.c — DHCP recognised, not parsed: the flow's application protocol is "dhcp" when its
 * first datagram, to UDP port 67 or 68, is a BOOTP message (op 1 or 2) carrying the DHCP magic
 * cookie, as Suricata 7 decides it. No transactions and no `dhcp` events (Suricata logs DHCP
 * only with its dhcp output enabled; Vigil has no DHCP parser); `alert dhcp` payload rules and
 * app-layer-protocol:dhcp apply.
 *
 *   op:8 htype:8 hlen:8 hops:8 | xid:32 | secs:16 flags:16 | ciaddr yiaddr siaddr giaddr |
 *   chaddr:16 bytes | sname:64 | file:128 | magic cookie 63 82 53 63 (offset 236) | options
 */
#include "app/app.h"

static int dhcp_probe(const uint8_t *d, size_t n, int dir)
{
    (void)dir;
    if (n < 240) /* a datagram is all there is */
        return 0;
    if (d[0] != 1 && d[0] != 2)
        return 0;
    return d[236] == 0x63 && d[237] == 0x82 && d[238] == 0x53 && d[239] == 0x63;
}

static const uint16_t dhcp_ports[] = {67, 68, 0};

const vg_app_ops_t vg_app_dhcp_ops =
    VG_APP_RECOGNISED("dhcp", VG_APP_DHCP, false, true, dhcp_ports, true, dhcp_probe);
