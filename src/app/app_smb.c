/* app_smb.c — SMB recognised, not parsed: the flow's application protocol is "smb" when its
 * first bytes are an SMB message in a NetBIOS session record, so that `alert smb` rules (in ET
 * Open: 36 rules, all on the payload with content, none with an smb.* buffer) and
 * app-layer-protocol:smb apply, as in Suricata. There are no SMB transactions, no `smb` EVE
 * events and no smb.* keywords (rules using them are still skipped with a reason): that would
 * take an SMB1/SMB2/SMB3 parser (docs/APP_DNS_TLS_SSH.md, "Recognised only").
 *
 * Recognition, after Suricata's SMB probe: a NetBIOS session service record (RFC 1002) is
 *   | type:8 | flags:7 length:17 | (4 bytes), type 0x00 a session message; the message is SMB
 *   when it starts with 0xFF (SMB1), 0xFE (SMB2/3) or 0xFD (SMB3 transform) then "SMB". A first
 *   record of another NetBIOS type (session request on port 139, keep-alive) is allowed when
 *   the record after it is such a session message; a short one (under 256 bytes) asks for more.
 */
#include "app/app.h"

#include <string.h>

/* 1: an NBSS header of a known type at d; 0: not one. *len: the record's payload length. */
static int nbss(const uint8_t *d, size_t n, uint32_t *len)
{
    if (n < 4)
        return -1;
    uint8_t t = d[0];
    if ((t != 0x00 && (t < 0x81 || t > 0x85)) || (d[1] & 0xFE))
        return 0;
    *len = (uint32_t)(d[1] & 1) << 16 | (uint32_t)d[2] << 8 | d[3];
    return 1;
}

static int smb_magic(const uint8_t *d, size_t n)
{
    if (n < 8)
        return -1;
    return d[0] == 0x00 && (d[4] == 0xFF || d[4] == 0xFE || d[4] == 0xFD) &&
           !memcmp(d + 5, "SMB", 3);
}

static int smb_probe(const uint8_t *d, size_t n, int dir)
{
    (void)dir;
    uint32_t len;
    int h = nbss(d, n, &len);
    if (h <= 0)
        return h;
    if (d[0] == 0x00)
        return smb_magic(d, n);
    if (n >= 4 + (size_t)len + 8) /* another NetBIOS record first: the next one decides */
        return smb_magic(d + 4 + len, n - 4 - len) == 1;
    return len < 256 ? -1 : 0;
}

static const uint16_t smb_ports[] = {139, 445, 0};

const vg_app_ops_t vg_app_smb_ops =
    VG_APP_RECOGNISED("smb", VG_APP_SMB, true, false, smb_ports, false, smb_probe);
