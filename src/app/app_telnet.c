/* app_telnet.c — Telnet recognised, not parsed: the flow's application protocol is "telnet" when
 * the first bytes of either direction, on TCP port 23, start with a Telnet command (IAC, 255,
 * then a command byte from 240 to 254: the option negotiation every Telnet client and server
 * begins with), as Suricata 7 decides it on the corpus's Telnet capture. Partial: a Telnet
 * session that starts with plain text (no negotiation) stays "failed" here. No transactions and
 * no `telnet` events.
 */
#include "app/app.h"

static int telnet_probe(const uint8_t *d, size_t n, int dir)
{
    (void)dir;
    if (n < 2)
        return n && d[0] == 0xFF ? -1 : 0;
    return d[0] == 0xFF && d[1] >= 0xF0 && d[1] != 0xFF;
}

static const uint16_t telnet_ports[] = {23, 0};

const vg_app_ops_t vg_app_telnet_ops =
    VG_APP_RECOGNISED("telnet", VG_APP_TELNET, true, false, telnet_ports, true, telnet_probe);
