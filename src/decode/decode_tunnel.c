/* decode_tunnel.c — encapsulations: GRE, VXLAN, Geneve, Teredo, IP-in-IP.
 *
 * The packet keeps a single set of L3/L4 fields: an inner IP header that decodes overwrites the
 * outer one's (addresses, ports, l3/l4, proto) and sets VG_PKT_TUNNELLED. Suricata instead makes a
 * pseudo-packet per inner layer; we don't. Each step adds one layer; past VG_DECODE_MAX_LAYERS the
 * packet gets "too_many_layers".
 *
 * GRE (RFC 2784/2890, version 0; RFC 1701 routing):
 *   0 | C R K S s recur:3 | A flags:4 ver:3 | protocol type:16 |
 *     [checksum:16 offset:16 if C or R] [key:32 if K] [sequence:32 if S] [SREs if R]
 *   Payloads: 0x0800 IPv4, 0x86DD IPv6, 0x6558 transparent Ethernet bridging, 0x880B PPP.
 * GRE version 1 (PPTP, RFC 2637): header checked (key required, protocol 0x880B), then its PPP
 *   payload decoded (decode_eth.c) when the packet carries one.
 * VXLAN (RFC 7348), UDP port 4789: | flags:8 (I=0x08) | reserved:24 | VNI:24 | reserved:8 |
 *   followed by an Ethernet frame.
 * Geneve (RFC 8926), UDP port 6081:
 *   | ver:2 optlen:6 | O C rsvd:6 | protocol type:16 | VNI:24 | reserved:8 | options (optlen*4) |
 *   each option | class:16 | type:8 | rsvd:3 len:5 | data (len*4) |; the payload after the
 *   options is an Ethernet frame (0x6558) or what its EtherType says.
 * Teredo (RFC 4380), UDP port 3544 either way: [origin indication: 0x0000, port:16,
 *   address:32] then an IPv6 packet whose payload length fills the datagram exactly. Teredo has
 *   no magic number, so a datagram is taken for Teredo only when it looks like that (and not
 *   with hop limit 0, nor a hop-by-hop header with less than 8 bytes behind it); an
 *   authentication indication (0x0001: qualification, no tunnelled packet) is plain UDP.
 * IP-in-IP: IPv4 protocol 4 / IPv6 next header 4 (IPv4 inside), protocol 41 (IPv6 inside)
 *   (RFC 2003, RFC 2473, RFC 4213).
 */
#include "decode/decode_int.h"

/* Entering a tunnel whose payload starts at `in`: the packet's encapsulation, where the payload
 * starts (the inner flow counts the bytes from there, as Suricata's pseudo packet holds them),
 * and for the outermost UDP tunnel where its IP header is (the tunnel's own flow). */
static void enter(vg_decoder_t *d, vg_packet_t *p, uint8_t tun, const vg_rd_t *in)
{
    d->in_tunnel = true;
    d->tunnel = tun;
    size_t off = (size_t)(in->p - p->data);
    p->tun_in = off < UINT16_MAX ? (uint16_t)(off + 1) : 0;
    if ((tun == VG_TUN_VXLAN || tun == VG_TUN_GENEVE || tun == VG_TUN_TEREDO) && !p->tun_l3 &&
        p->l3 && p->proto == 17 && (size_t)(p->l3 - p->data) < UINT16_MAX) {
        p->tun_l3 = (uint16_t)(p->l3 - p->data + 1);
        p->tun_n_vlan = p->n_vlan;
    }
}

enum {
    GRE_C = 0x80, GRE_R = 0x40, GRE_K = 0x20, GRE_S = 0x10, GRE_SSR = 0x08, GRE_RECUR = 0x07,
    GRE1_A = 0x80, GRE_FLAGS = 0x78, GRE_VER = 0x07,
};

/* Source route entries (RFC 1701): af:16 offset:8 length:8 data, ending with af 0 length 0.
 * Returns the header length after them, or 0 when malformed. */
static size_t gre_sre_end(const vg_rd_t *r, size_t off)
{
    for (;;) {
        if (!vg_rd_has(r, off + 4))
            return 0;
        uint16_t af = vg_rd_be16(r, off);
        uint8_t len = vg_rd_u8(r, off + 3);
        off += 4 + (size_t)len;
        if (af == 0 && len == 0)
            return off;
        if (!vg_rd_has(r, off))
            return 0;
    }
}

static int gre_v1(vg_decoder_t *d, vg_packet_t *p, const vg_rd_t *r, unsigned depth)
{
    uint8_t b0 = vg_rd_u8(r, 0), b1 = vg_rd_u8(r, 1);
    uint16_t ev = VG_DEV_NONE;
    if (b0 & GRE_C)
        ev = VG_DEV_GRE_VERSION1_CHKSUM;
    else if (b0 & GRE_R)
        ev = VG_DEV_GRE_VERSION1_ROUTE;
    else if (b0 & GRE_SSR)
        ev = VG_DEV_GRE_VERSION1_SSR;
    else if (b0 & GRE_RECUR)
        ev = VG_DEV_GRE_VERSION1_RECUR;
    else if (b1 & GRE_FLAGS)
        ev = VG_DEV_GRE_VERSION1_FLAGS;
    else if (!(b0 & GRE_K))
        ev = VG_DEV_GRE_VERSION1_NO_KEY;
    else if (vg_rd_be16(r, 2) != 0x880B)
        ev = VG_DEV_GRE_VERSION1_WRONG_PROTOCOL;
    else if (!vg_rd_has(r, 8 + ((b0 & GRE_S) ? 4 : 0) + ((b1 & GRE1_A) ? 4 : 0)))
        ev = VG_DEV_GRE_VERSION1_HDR_TOO_BIG;
    if (ev != VG_DEV_NONE) {
        vg_dec_invalid(d, p, ev);
        return VG_DECODE_OK;
    }
    vg_rd_t ppp = vg_rd_from(r, 8 + ((b0 & GRE_S) ? 4 : 0) + ((b1 & GRE1_A) ? 4 : 0));
    if (!vg_rd_has(&ppp, 1) || vg_dec_too_deep(d, p, depth))
        return VG_DECODE_OK; /* an acknowledgement without payload */
    enter(d, p, VG_TUN_GRE, &ppp);
    return vg_dec_ppp(d, p, ppp, depth + 1);
}

int vg_dec_gre(vg_decoder_t *d, vg_packet_t *p, vg_rd_t r, unsigned depth)
{
    if (!vg_rd_has(&r, 4)) {
        vg_dec_invalid(d, p, VG_DEV_GRE_PKT_TOO_SMALL);
        return VG_DECODE_OK;
    }
    d->stats[VG_DS_GRE]++;
    uint8_t b0 = vg_rd_u8(&r, 0), b1 = vg_rd_u8(&r, 1);
    uint8_t ver = b1 & GRE_VER;
    if (ver == 1)
        return gre_v1(d, p, &r, depth);
    if (ver != 0) {
        vg_dec_invalid(d, p, VG_DEV_GRE_WRONG_VERSION);
        return VG_DECODE_OK;
    }
    if (b0 & GRE_RECUR) {
        vg_dec_invalid(d, p, VG_DEV_GRE_VERSION0_RECUR);
        return VG_DECODE_OK;
    }
    if (b1 & 0xF8) {
        vg_dec_invalid(d, p, VG_DEV_GRE_VERSION0_FLAGS);
        return VG_DECODE_OK;
    }
    size_t hl = 4 + ((b0 & (GRE_C | GRE_R)) ? 4 : 0) + ((b0 & GRE_K) ? 4 : 0) +
                ((b0 & GRE_S) ? 4 : 0);
    if (!vg_rd_has(&r, hl)) {
        vg_dec_invalid(d, p, VG_DEV_GRE_VERSION0_HDR_TOO_BIG);
        return VG_DECODE_OK;
    }
    if (b0 & GRE_R) {
        hl = gre_sre_end(&r, hl);
        if (!hl) {
            vg_dec_invalid(d, p, VG_DEV_GRE_VERSION0_MALFORMED_SRE_HDR);
            return VG_DECODE_OK;
        }
    }
    vg_rd_t in = vg_rd_from(&r, hl);
    uint16_t type = vg_rd_be16(&r, 2);
    if (type != 0x0800 && type != 0x86DD && type != 0x6558 && type != 0x880B)
        return VG_DECODE_OK;
    if (vg_dec_too_deep(d, p, depth))
        return VG_DECODE_OK;
    enter(d, p, VG_TUN_GRE, &in);
    if (type == 0x6558)
        return vg_dec_ethernet(d, p, in, depth + 1);
    if (type == 0x880B)
        return vg_dec_ppp(d, p, in, depth + 1);
    return vg_dec_ethertype(d, p, type, in, depth + 1, false);
}

int vg_dec_vxlan(vg_decoder_t *d, vg_packet_t *p, vg_rd_t r, unsigned depth)
{
    if (vg_dec_too_deep(d, p, depth))
        return VG_DECODE_OK;
    d->stats[VG_DS_VXLAN]++;
    vg_rd_t eth = vg_rd_from(&r, 8);
    if (vg_rd_has(&eth, 14)) {
        uint16_t t = vg_rd_be16(&eth, 12);
        if (t != 0x0800 && t != 0x86DD && t != 0x0806 && t != 0x8100 && t != 0x88A8)
            vg_dec_event(d, p, VG_DEV_VXLAN_UNKNOWN_PAYLOAD_TYPE);
    }
    /* Suricata's VXLAN pseudo packet starts after the inner Ethernet header (at the IP header
     * or a VLAN tag): the inner flow counts its bytes from there */
    vg_rd_t after_eth = vg_rd_from(&eth, 14);
    enter(d, p, VG_TUN_VXLAN, &after_eth);
    return vg_dec_ethernet(d, p, eth, depth + 1);
}

bool vg_dec_is_geneve(vg_rd_t r)
{
    if (!vg_rd_has(&r, 8) || vg_rd_u8(&r, 0) >> 6 != 0)
        return false;
    size_t end = 8 + (size_t)(vg_rd_u8(&r, 0) & 0x3F) * 4;
    if (!vg_rd_has(&r, end))
        return false;
    for (size_t off = 8; off < end;) { /* the options must fill their space exactly */
        if (off + 4 > end)
            return false;
        off += 4 + (size_t)(vg_rd_u8(&r, off + 3) & 0x1F) * 4;
        if (off > end)
            return false;
    }
    return true;
}

/* r: a Geneve header vg_dec_is_geneve() accepted. */
int vg_dec_geneve(vg_decoder_t *d, vg_packet_t *p, vg_rd_t r, unsigned depth)
{
    if (vg_dec_too_deep(d, p, depth))
        return VG_DECODE_OK;
    d->stats[VG_DS_GENEVE]++;
    uint16_t type = vg_rd_be16(&r, 2);
    vg_rd_t in = vg_rd_from(&r, 8 + (size_t)(vg_rd_u8(&r, 0) & 0x3F) * 4);
    if (type != 0x6558 && type != 0x0800 && type != 0x86DD && type != 0x0806 && type != 0x8100 &&
        type != 0x88A8) {
        vg_dec_event(d, p, VG_DEV_GENEVE_UNKNOWN_PAYLOAD_TYPE);
        return VG_DECODE_OK;
    }
    enter(d, p, VG_TUN_GENEVE, &in);
    if (type == 0x6558)
        return vg_dec_ethernet(d, p, in, depth + 1);
    return vg_dec_ethertype(d, p, type, in, depth + 1, false);
}

/* Returns whether r was taken for Teredo (and decoded). */
bool vg_dec_teredo(vg_decoder_t *d, vg_packet_t *p, vg_rd_t r, unsigned depth)
{
    size_t off = 0;
    if (vg_rd_has(&r, 2) && vg_rd_u8(&r, 0) == 0) {
        if (vg_rd_u8(&r, 1) != 0)
            return false;
        off = 8; /* origin indication */
    }
    vg_rd_t in = vg_rd_from(&r, off);
    if (!vg_rd_has(&in, 40) || vg_rd_u8(&in, 0) >> 4 != 6 || vg_rd_u8(&in, 7) == 0)
        return false;
    size_t plen = vg_rd_be16(&in, 4);
    if ((vg_rd_u8(&in, 6) == 0 && plen < 8) || in.len != 40 + plen)
        return false;
    if (vg_dec_too_deep(d, p, depth))
        return true;
    d->stats[VG_DS_TEREDO]++;
    enter(d, p, VG_TUN_TEREDO, &in);
    vg_dec_ipv6(d, p, in, depth + 1);
    return true;
}

int vg_dec_ipip(vg_decoder_t *d, vg_packet_t *p, int inner_ver, vg_rd_t r, unsigned depth)
{
    if (vg_dec_too_deep(d, p, depth))
        return VG_DECODE_OK;
    if (p->ip_ver == 6) { /* outer IPv6: Suricata's ipv4_in_ipv6 / ipv6_in_ipv6 checks */
        size_t min = inner_ver == 4 ? 20 : 40;
        bool v4 = inner_ver == 4;
        d->stats[v4 ? VG_DS_IPV4_IN_IPV6 : VG_DS_IPV6_IN_IPV6]++;
        if (!vg_rd_has(&r, min)) {
            vg_dec_invalid(d, p, v4 ? VG_DEV_IPV4_IN_IPV6_PKT_TOO_SMALL
                                    : VG_DEV_IPV6_IN_IPV6_PKT_TOO_SMALL);
            return VG_DECODE_OK;
        }
        if (vg_rd_u8(&r, 0) >> 4 != inner_ver) {
            vg_dec_invalid(d, p, v4 ? VG_DEV_IPV4_IN_IPV6_WRONG_IP_VER
                                    : VG_DEV_IPV6_IN_IPV6_WRONG_IP_VER);
            return VG_DECODE_OK;
        }
    }
    enter(d, p, (uint8_t)(p->ip_ver == 6 ? VG_TUN_IPV6 : VG_TUN_IPV4), &r);
    return inner_ver == 4 ? vg_dec_ipv4(d, p, r, depth + 1) : vg_dec_ipv6(d, p, r, depth + 1);
}
