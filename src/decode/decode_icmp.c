/* decode_icmp.c — ICMP (RFC 792) and ICMPv6 (RFC 4443).
 *
 *   0        8        16               31
 *   | type:8 | code:8 | checksum:16     |
 *   | rest of header:32                |   echo / timestamp / info / mask: id:16 seq:16
 *   | data ...                         |   errors: the offending IP header + 8 bytes
 * Checks: 8 bytes (icmpv4.pkt_too_small / icmpv6.pkt_too_small), type and code known
 * (unknown_type / unknown_code, events only), the IP header quoted by an error message
 * (icmpv4.ipv4_trunc_pkt, icmpv4.ipv4_unknown_ver; icmpv6.ipv6_trunc_pkt,
 * icmpv6.ipv6_unknown_version), MLD sent with hop limit 1 (RFC 2710 / 3810). ICMPv4's checksum
 * covers the message; ICMPv6's also the IPv6 pseudo-header.
 */
#include "decode/decode_int.h"

/* Largest valid code for ICMPv4 types 0..18, -1 for unassigned/deprecated types. */
static const int8_t icmp4_max_code[19] = {
    [0] = 0,  [1] = -1, [2] = -1, [3] = 15, [4] = 0,  [5] = 3,  [6] = -1,
    [7] = -1, [8] = 0,  [9] = 16, [10] = 0, [11] = 1, [12] = 2, [13] = 0,
    [14] = 0, [15] = 0, [16] = 0, [17] = 0, [18] = 0,
};

static bool icmp4_is_error(uint8_t t) { return t == 3 || t == 4 || t == 5 || t == 11 || t == 12; }

static bool icmp4_has_id(uint8_t t) { return t == 0 || t == 8 || (t >= 13 && t <= 18); }

static void set_common(vg_packet_t *p, const vg_rd_t *r)
{
    p->icmp_type = vg_rd_u8(r, 0);
    p->icmp_code = vg_rd_u8(r, 1);
    vg_rd_t pl = vg_rd_from(r, 8);
    p->payload = pl.p;
    p->payload_len = (uint32_t)pl.len;
}

void vg_dec_icmpv4(vg_decoder_t *d, vg_packet_t *p, vg_rd_t r)
{
    if (!vg_rd_has(&r, 8)) {
        vg_dec_invalid(d, p, VG_DEV_ICMPV4_PKT_TOO_SMALL);
        return;
    }
    d->stats[VG_DS_ICMPV4]++;
    set_common(p, &r);
    uint8_t t = p->icmp_type, c = p->icmp_code;
    if (t >= VG_ARRAY_LEN(icmp4_max_code) || icmp4_max_code[t] < 0) {
        vg_dec_event(d, p, VG_DEV_ICMPV4_UNKNOWN_TYPE);
    } else {
        bool ok = t == 9 ? (c == 0 || c == 16) : c <= icmp4_max_code[t];
        if (!ok)
            vg_dec_event(d, p, VG_DEV_ICMPV4_UNKNOWN_CODE);
        if (icmp4_has_id(t)) {
            p->icmp_id = vg_rd_be16(&r, 4);
            p->icmp_seq = vg_rd_be16(&r, 6);
        }
        if (icmp4_is_error(t)) {
            vg_rd_t in = vg_rd_from(&r, 8);
            if (!vg_rd_has(&in, 20))
                vg_dec_event(d, p, VG_DEV_ICMPV4_IPV4_TRUNC_PKT);
            else if (vg_rd_u8(&in, 0) >> 4 != 4)
                vg_dec_event(d, p, VG_DEV_ICMPV4_IPV4_UNKNOWN_VER);
        }
    }
    vg_dec_l4_csum(d, p, &r, 0, VG_DS_CSUM_ICMPV4);
}

bool vg_icmp4_quote(const vg_packet_t *p, vg_icmp_quote_t *q)
{
    if (p->ip_ver != 4 || p->proto != 1 || p->icmp_type != 3 || (p->flags & VG_PKT_INVALID) ||
        !p->payload)
        return false;
    vg_rd_t r = vg_rd_make(p->payload, p->payload_len); /* the quoted packet */
    if (!vg_rd_has(&r, 20) || vg_rd_u8(&r, 0) >> 4 != 4)
        return false;
    uint8_t proto = vg_rd_u8(&r, 9);
    size_t need = proto == 6 ? 20 : proto == 17 ? 8 : 0;
    if (!need || !vg_rd_has(&r, 20 + need)) /* the L4 header right after 20 bytes, as Suricata */
        return false;
    memset(q, 0, sizeof *q);
    vg_rd_copy(&r, 12, q->src.b, 4);
    vg_rd_copy(&r, 16, q->dst.b, 4);
    q->sp = vg_rd_be16(&r, 20);
    q->dp = vg_rd_be16(&r, 22);
    q->proto = proto;
    return true;
}

/* ICMPv6 type classes (IANA icmpv6-parameters). */
static uint16_t icmp6_type_event(uint8_t t)
{
    if ((t >= 1 && t <= 4) || (t >= 128 && t <= 161))
        return VG_DEV_NONE;
    if (t == 100 || t == 101 || t == 200 || t == 201)
        return VG_DEV_ICMPV6_EXPERIMENTATION_TYPE;
    if (t == 0 || t == 127 || t == 255)
        return VG_DEV_ICMPV6_UNKNOWN_TYPE;
    return VG_DEV_ICMPV6_UNASSIGNED_TYPE;
}

static bool icmp6_code_ok(uint8_t t, uint8_t c)
{
    switch (t) {
    case 1:
        return c <= 8;
    case 3:
        return c <= 1;
    case 4:
        return c <= 10;
    case 2:
    case 128:
    case 129:
    case 130:
    case 131:
    case 132:
    case 133:
    case 134:
    case 135:
    case 136:
    case 137:
    case 143:
        return c == 0;
    default:
        return true;
    }
}

void vg_dec_icmpv6(vg_decoder_t *d, vg_packet_t *p, vg_rd_t r)
{
    if (!vg_rd_has(&r, 8)) {
        vg_dec_invalid(d, p, VG_DEV_ICMPV6_PKT_TOO_SMALL);
        return;
    }
    d->stats[VG_DS_ICMPV6]++;
    set_common(p, &r);
    uint8_t t = p->icmp_type;
    uint16_t ev = icmp6_type_event(t);
    if (ev != VG_DEV_NONE)
        vg_dec_event(d, p, ev);
    else if (!icmp6_code_ok(t, p->icmp_code))
        vg_dec_event(d, p, VG_DEV_ICMPV6_UNKNOWN_CODE);
    if (t == 128 || t == 129) {
        p->icmp_id = vg_rd_be16(&r, 4);
        p->icmp_seq = vg_rd_be16(&r, 6);
    }
    if ((t >= 130 && t <= 132) || t == 143) {
        if (p->ttl != 1)
            vg_dec_event(d, p, VG_DEV_ICMPV6_MLD_MESSAGE_WITH_INVALID_HL);
    }
    if (t >= 1 && t <= 4) {
        vg_rd_t in = vg_rd_from(&r, 8);
        if (!vg_rd_has(&in, 40))
            vg_dec_event(d, p, VG_DEV_ICMPV6_IPV6_TRUNC_PKT);
        else if (vg_rd_u8(&in, 0) >> 4 != 6)
            vg_dec_event(d, p, VG_DEV_ICMPV6_IPV6_UNKNOWN_VER);
    }
    vg_dec_l4_csum(d, p, &r, 58, VG_DS_CSUM_ICMPV6);
}
