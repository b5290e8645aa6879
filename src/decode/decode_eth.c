/* decode_eth.c — link layers: Ethernet II with 802.1Q/802.1ad VLAN tags, Linux cooked capture
 * (SLL and SLL2), BSD loopback (NULL/LOOP) and raw IP.
 *
 * Ethernet II (IEEE 802.3, RFC 894):     802.1Q / 802.1ad tag (after the MACs, repeatable):
 *   0      6      12     14                0      2           4
 *   | dst  | src  | type | payload ...     | TCI  | inner type |   TCI = PCP:3 DEI:1 VID:12
 * A type below 0x0600 is an 802.3 length (LLC/SNAP follows): not decoded further.
 * Tag types: 0x8100 (802.1Q), 0x88A8 (802.1ad QinQ), 0x9100 (legacy QinQ).
 *
 * Linux SLL (LINKTYPE_LINUX_SLL, 16 bytes):
 *   0 pkttype:2 | 2 arphrd:2 | 4 addrlen:2 | 6 addr:8 | 14 protocol:2 (EtherType)
 * Linux SLL2 (LINKTYPE_LINUX_SLL2, 20 bytes):
 *   0 protocol:2 | 2 reserved:2 | 4 ifindex:4 | 8 arphrd:2 | 10 pkttype:1 | 11 addrlen:1 | 12 addr:8
 * NULL / LOOP (4 bytes): the address family, host order for NULL (so either order on read),
 *   network order for LOOP. AF_INET = 2; AF_INET6 = 24 (NetBSD/OpenBSD), 28 (FreeBSD), 30 (macOS).
 * Raw: the packet starts with the IP header; the version nibble says which.
 */
#include "decode/decode_int.h"

enum {
    ET_IPV4 = 0x0800,
    ET_ARP = 0x0806,
    ET_VLAN = 0x8100,
    ET_IPV6 = 0x86DD,
    ET_PPPOE_DISCOVERY = 0x8863,
    ET_PPPOE_SESSION = 0x8864,
    ET_QINQ = 0x88A8,
    ET_QINQ_OLD = 0x9100,
};

/* One VLAN tag (r starts at the TCI). */
static int dec_vlan(vg_decoder_t *d, vg_packet_t *p, vg_rd_t r, unsigned depth)
{
    if (!vg_rd_has(&r, 4)) {
        vg_dec_invalid(d, p, VG_DEV_VLAN_HEADER_TOO_SMALL);
        return VG_DECODE_OK;
    }
    if (p->n_vlan >= VG_PKT_MAX_VLAN) {
        vg_dec_invalid(d, p, VG_DEV_VLAN_TOO_MANY_LAYERS);
        return VG_DECODE_OK;
    }
    p->vlan[p->n_vlan++] = vg_rd_be16(&r, 0) & 0x0FFF;
    if (p->n_vlan == 1)
        d->stats[VG_DS_VLAN]++;
    else
        d->stats[VG_DS_VLAN_QINQ]++;
    return vg_dec_ethertype(d, p, vg_rd_be16(&r, 2), vg_rd_from(&r, 4), depth, true);
}

int vg_dec_ethertype(vg_decoder_t *d, vg_packet_t *p, uint16_t type, vg_rd_t r, unsigned depth,
                     bool in_vlan)
{
    switch (type) {
    case ET_IPV4:
        return vg_dec_ipv4(d, p, r, depth);
    case ET_IPV6:
        return vg_dec_ipv6(d, p, r, depth);
    case ET_VLAN:
    case ET_QINQ:
    case ET_QINQ_OLD:
        return dec_vlan(d, p, r, depth);
    case ET_ARP:
    case ET_PPPOE_DISCOVERY:
        return VG_DECODE_OK;
    case ET_PPPOE_SESSION:
        return vg_dec_pppoe(d, p, r, depth);
    default:
        if (type < 0x0600) /* 802.3 length field: LLC frame */
            return VG_DECODE_OK;
        d->stats[VG_DS_UNKNOWN_ETHERTYPE]++;
        if (in_vlan)
            vg_dec_event(d, p, VG_DEV_VLAN_UNKNOWN_TYPE);
        return VG_DECODE_OK;
    }
}

int vg_dec_ethernet(vg_decoder_t *d, vg_packet_t *p, vg_rd_t r, unsigned depth)
{
    if (!vg_rd_has(&r, 14)) {
        vg_dec_invalid(d, p, VG_DEV_ETHERNET_PKT_TOO_SMALL);
        return VG_DECODE_OK;
    }
    d->stats[VG_DS_ETHERNET]++;
    uint16_t type = vg_rd_be16(&r, 12);
    return vg_dec_ethertype(d, p, type, vg_rd_from(&r, 14), depth, false);
}

int vg_dec_sll(vg_decoder_t *d, vg_packet_t *p, vg_rd_t r)
{
    if (!vg_rd_has(&r, 16)) {
        vg_dec_invalid(d, p, VG_DEV_SLL_PKT_TOO_SMALL);
        return VG_DECODE_OK;
    }
    d->stats[VG_DS_SLL]++;
    return vg_dec_ethertype(d, p, vg_rd_be16(&r, 14), vg_rd_from(&r, 16), 0, false);
}

int vg_dec_sll2(vg_decoder_t *d, vg_packet_t *p, vg_rd_t r)
{
    if (!vg_rd_has(&r, 20)) {
        vg_dec_invalid(d, p, VG_DEV_SLL_PKT_TOO_SMALL);
        return VG_DECODE_OK;
    }
    d->stats[VG_DS_SLL]++;
    return vg_dec_ethertype(d, p, vg_rd_be16(&r, 0), vg_rd_from(&r, 20), 0, false);
}

int vg_dec_null(vg_decoder_t *d, vg_packet_t *p, vg_rd_t r, bool network_order)
{
    if (!vg_rd_has(&r, 4)) {
        vg_dec_invalid(d, p, VG_DEV_LTNULL_PKT_TOO_SMALL);
        return VG_DECODE_OK;
    }
    d->stats[VG_DS_NULL]++;
    uint32_t fam = vg_rd_be32(&r, 0);
    /* NULL is in the capturing host's order: a big value means the other byte order. */
    if (!network_order && fam > 0xFFFF)
        fam = vg_rd_le32(&r, 0);
    vg_rd_t ip = vg_rd_from(&r, 4);
    switch (fam) {
    case 2:
        return vg_dec_ipv4(d, p, ip, 0);
    case 24:
    case 28:
    case 30:
        return vg_dec_ipv6(d, p, ip, 0);
    default:
        vg_dec_event(d, p, VG_DEV_LTNULL_UNSUPPORTED_TYPE);
        return VG_DECODE_OK;
    }
}

/* ---- PPP (RFC 1661) and PPPoE (RFC 2516) ----------------------------------------------------
 * PPP: [0xFF 0x03] (address and control, absent when compressed away) then the protocol, one byte
 * when its low bit is set (protocol field compression) else two; 0x0021 is IPv4, 0x0057 IPv6.
 * Other network and control protocols (VJ compression, LCP, IPCP, PAP, CHAP, ...) are not decoded
 * and flagged ppp.unsup_proto, a value that is no PPP protocol is ppp.wrong_type (Suricata's
 * events). Reached from link types 9 (PPP) and 50 (PPP in HDLC framing), PPPoE session frames
 * (ethertype 0x8864: version/type 0x11, code 0, session id, length, PPP protocol) and PPTP's GRE
 * version 1. */

static bool ppp_header(vg_rd_t r, size_t *off, uint16_t *proto)
{
    size_t o = 0;
    if (vg_rd_has(&r, 2) && vg_rd_u8(&r, 0) == 0xFF && vg_rd_u8(&r, 1) == 0x03)
        o = 2;
    if (!vg_rd_has(&r, o + 1))
        return false;
    uint8_t b = vg_rd_u8(&r, o);
    if (b & 1) {
        *proto = b;
        o += 1;
    } else {
        if (!vg_rd_has(&r, o + 2))
            return false;
        *proto = vg_rd_be16(&r, o);
        o += 2;
    }
    *off = o;
    return true;
}

size_t vg_dec_ppp_ip_offset(vg_rd_t r, int *ver)
{
    size_t off;
    uint16_t proto;
    if (!ppp_header(r, &off, &proto) || (proto != 0x0021 && proto != 0x0057))
        return 0;
    *ver = proto == 0x0021 ? 4 : 6;
    return off;
}

int vg_dec_ppp(vg_decoder_t *d, vg_packet_t *p, vg_rd_t r, unsigned depth)
{
    d->stats[VG_DS_PPP]++;
    size_t off;
    uint16_t proto;
    if (!ppp_header(r, &off, &proto)) {
        vg_dec_invalid(d, p, VG_DEV_PPP_PKT_TOO_SMALL);
        return VG_DECODE_OK;
    }
    vg_rd_t in = vg_rd_from(&r, off);
    switch (proto) {
    case 0x0021:
        return vg_dec_ipv4(d, p, in, depth);
    case 0x0057:
        return vg_dec_ipv6(d, p, in, depth);
    default:
        /* a PPP protocol number has an odd low byte and an even high byte (RFC 1661): other
         * network layers, their control protocols, LCP and authentication are valid, not
         * decoded */
        if ((proto & 0x0101) == 0x0001)
            vg_dec_event(d, p, VG_DEV_PPP_UNSUP_PROTO);
        else
            vg_dec_invalid(d, p, VG_DEV_PPP_WRONG_TYPE);
        return VG_DECODE_OK;
    }
}

int vg_dec_pppoe(vg_decoder_t *d, vg_packet_t *p, vg_rd_t r, unsigned depth)
{
    d->stats[VG_DS_PPPOE]++;
    if (!vg_rd_has(&r, 8)) {
        vg_dec_invalid(d, p, VG_DEV_PPPOE_PKT_TOO_SMALL);
        return VG_DECODE_OK;
    }
    if (vg_rd_u8(&r, 1) != 0) { /* session data carries code 0 */
        vg_dec_invalid(d, p, VG_DEV_PPPOE_WRONG_CODE);
        return VG_DECODE_OK;
    }
    size_t len = vg_rd_be16(&r, 4);
    vg_rd_t ppp = vg_rd_from(&r, 6);
    if (len < 2 || !vg_rd_has(&ppp, len)) {
        vg_dec_invalid(d, p, VG_DEV_PPPOE_PKT_TOO_SMALL);
        return VG_DECODE_OK;
    }
    ppp.len = len; /* Ethernet padding after the payload is not part of it */
    return vg_dec_ppp(d, p, ppp, depth);
}

int vg_dec_raw(vg_decoder_t *d, vg_packet_t *p, vg_rd_t r, int want_ver)
{
    d->stats[VG_DS_RAW]++;
    if (!vg_rd_has(&r, 1)) {
        vg_dec_invalid(d, p, VG_DEV_IPRAW_INVALID_IPV);
        return VG_DECODE_OK;
    }
    int ver = vg_rd_u8(&r, 0) >> 4;
    if ((want_ver && ver != want_ver) || (ver != 4 && ver != 6)) {
        vg_dec_invalid(d, p, VG_DEV_IPRAW_INVALID_IPV);
        return VG_DECODE_OK;
    }
    return ver == 4 ? vg_dec_ipv4(d, p, r, 0) : vg_dec_ipv6(d, p, r, 0);
}
