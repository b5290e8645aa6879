/* app_dcerpc.c — DCE/RPC over TCP recognised, not parsed: the flow's application protocol is
 * "dcerpc" when its first bytes are a connection-oriented DCE/RPC header, so that `alert dcerpc`
 * rules on the payload and app-layer-protocol:dcerpc apply, as in Suricata (where a dcerpc rule
 * also applies to SMB flows, which carry DCE/RPC over named pipes: eval_rule.c does the same).
 * No transactions, no `dcerpc` EVE events, no dce_iface/dce_opnum/dce_stub_data keywords
 * (rules using them are still skipped with a reason).
 *
 * Recognition, after Suricata's DCE/RPC probe: the 16-byte common header
 *   | rpc_vers:8 = 5 | rpc_vers_minor:8 = 0 | ptype:8 | flags:8 | drep:32 | frag_length:16 |
 *   | auth_length:16 | call_id:32 |
 * with a data representation whose integer and character formats are known (drep[0] & 0xEE
 * zero, floating point format drep[1] at most 3).
 */
#include "app/app.h"


static int dcerpc_probe(const uint8_t *d, size_t n, int dir)
{
    (void)dir;
    if (n < 2)
        return -1;
    if (d[0] != 5 || d[1] != 0)
        return 0;
    if (n < 16)
        return -1;
    return (d[4] & 0xEE) == 0 && d[5] <= 3;
}

static const uint16_t dcerpc_ports[] = {135, 0};

const vg_app_ops_t vg_app_dcerpc_ops =
    VG_APP_RECOGNISED("dcerpc", VG_APP_DCERPC, true, false, dcerpc_ports, false, dcerpc_probe);
