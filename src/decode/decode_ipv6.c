/* decode_ipv6.c — IPv6 (RFC 8200) and its extension headers.
 *
 *   0      4          12                 16          24          31
 *   | ver:4 | class:8 | flow label:20                                |
 *   | payload length:16                  | next hdr:8 | hop limit:8  |
 *   | source address:128 (bytes 8..23)                               |
 *   | destination address:128 (bytes 24..39)                         |
 *
 * Extension headers walked (next header values):
 *   0 Hop-by-Hop, 60 Destination Options: nh:8 len:8 (8-octet units, not counting the first 8),
 *      then TLV options: Pad1 (type 0, one byte), PadN (1), others type:8 len:8 data
 *   43 Routing: nh:8 len:8 type:8 segments left:8 ... (type 0 deprecated by RFC 5095)
 *   44 Fragment (8 bytes): nh:8 reserved:8 offset:13 res:2 M:1 identification:32
 *   51 AH (RFC 4302): nh:8 len:8 (4-octet units minus 2) reserved:16 ...: skipped
 *   135 Mobility, 139 HIP, 140 Shim6: generic nh:8 len:8 layout, skipped
 *   50 ESP: stops the walk (encrypted); 59 No Next Header: stops (data after it is an anomaly)
 * Checks: 40 bytes captured (ipv6.pkt_too_small), version 6 (ipv6.wrong_ip_version), payload
 * length captured (ipv6.trunc_pkt), each extension header complete (ipv6.trunc_exthdr).
 */
#include "decode/decode_int.h"

#include <string.h>

enum {
    NH_HOP = 0,
    NH_ROUTING = 43,
    NH_FRAGMENT = 44,
    NH_ESP = 50,
    NH_AH = 51,
    NH_NONE = 59,
    NH_DSTOPTS = 60,
    NH_MOBILITY = 135,
    NH_HIP = 139,
    NH_SHIM6 = 140,
};

/* Option types defined for Hop-by-Hop / Destination Options (IANA ipv6-parameters). */
static bool opt_known(uint8_t t)
{
    switch (t) {
    case 0x04: /* tunnel encapsulation limit */
    case 0x05: /* router alert */
    case 0x07: /* CALIPSO */
    case 0x08: /* SMF_DPD */
    case 0x26: /* quick-start */
    case 0x63: /* RPL */
    case 0x6D: /* MPL */
    case 0x8B: /* ILNP nonce */
    case 0x8C: /* line-identification */
    case 0xC2: /* jumbo payload */
    case 0xC9: /* home address */
    case 0xEE: /* IPv6 DFF */
        return true;
    default:
        return false;
    }
}

/* TLV options of a Hop-by-Hop or Destination Options header occupying r[2, hl). */
static void dec_opts(vg_decoder_t *d, vg_packet_t *p, const vg_rd_t *r, size_t hl, bool hop)
{
    bool only_padding = true;
    size_t o = 2;
    while (o < hl) {
        uint8_t t = vg_rd_u8(r, o);
        if (t == 0) {
            o++;
            continue;
        }
        if (o + 2 > hl || o + 2 + vg_rd_u8(r, o + 1) > hl) {
            vg_dec_invalid(d, p, VG_DEV_IPV6_EXTHDR_INVALID_OPTLEN);
            return;
        }
        uint8_t len = vg_rd_u8(r, o + 1);
        if (t == 1) {
            if (len == 0)
                vg_dec_event(d, p, VG_DEV_IPV6_EXTHDR_ZERO_LEN_PADN);
        } else {
            only_padding = false;
            if (!opt_known(t))
                vg_dec_event(d, p, hop ? VG_DEV_IPV6_HOPOPTS_UNKNOWN_OPT
                                       : VG_DEV_IPV6_DSTOPTS_UNKNOWN_OPT);
        }
        o += 2 + (size_t)len;
    }
    if (only_padding)
        vg_dec_event(d, p, hop ? VG_DEV_IPV6_HOPOPTS_ONLY_PADDING : VG_DEV_IPV6_DSTOPTS_ONLY_PADDING);
}

static bool l4_known(uint8_t nh)
{
    return nh == 6 || nh == 17 || nh == 58 || nh == 1 || nh == 47 || nh == 4 || nh == 41 ||
           nh == 132 /* SCTP */ || nh == 103 /* PIM */ || nh == 112 /* VRRP */;
}

static int dec_fragment(vg_decoder_t *d, vg_packet_t *p, const vg_rd_t *ip, size_t off,
                        size_t nh_off, unsigned depth)
{
    uint16_t fo = vg_rd_be16(ip, off + 2);
    uint32_t id = vg_rd_be32(ip, off + 4);
    p->ip_id = (uint16_t)id;
    p->flags |= VG_PKT_FRAGMENT;
    if (d->reasm_used) {
        vg_dec_event(d, p, VG_DEV_IPV6_FRAG_IGNORED);
        return VG_DECODE_OK;
    }
    vg_frag_in_t f = {
        .ver = 6,
        .proto = vg_rd_u8(ip, off),
        .id = id,
        .off = fo & 0xFFF8,
        .more = (fo & 1) != 0,
        .data = ip->p + off + 8,
        .len = (uint32_t)(ip->len - off - 8),
        .hdr = ip->p,
        .hdr_len = (uint32_t)off,
        .nh_off = (uint32_t)nh_off,
    };
    size_t at = vg_dec_reasm_offset(p, ip->p), out_len = 0;
    switch (vg_defrag_insert(d, p, &f, d->reasm_buf + at, VG_REASM_BUF_LEN - at, &out_len)) {
    case VG_FRAG_HELD:
        return VG_DECODE_HELD;
    case VG_FRAG_DONE:
        return vg_dec_reassembled(d, p, ip->p, out_len, depth);
    default:
        return VG_DECODE_OK;
    }
}

typedef struct seen {
    uint8_t hh, rh, fh, dh, ah, eh;
} seen_t;

/* Walks the extension header chain starting with next header nh at offset 40. */
static int dec_chain(vg_decoder_t *d, vg_packet_t *p, const vg_rd_t *ip, unsigned depth)
{
    seen_t seen = {0};
    size_t off = 40, nh_off = 6;
    uint8_t nh = vg_rd_u8(ip, 6);
    for (;;) {
        vg_rd_t r = vg_rd_from(ip, off);
        size_t hl;
        switch (nh) {
        case NH_HOP:
        case NH_DSTOPTS:
        case NH_ROUTING:
        case NH_MOBILITY:
        case NH_HIP:
        case NH_SHIM6:
            if (!vg_rd_has(&r, 2) || !vg_rd_has(&r, ((size_t)vg_rd_u8(&r, 1) + 1) * 8)) {
                vg_dec_invalid(d, p, VG_DEV_IPV6_TRUNC_EXTHDR);
                return VG_DECODE_OK;
            }
            hl = ((size_t)vg_rd_u8(&r, 1) + 1) * 8;
            if (nh == NH_HOP) {
                if (seen.hh++)
                    vg_dec_event(d, p, VG_DEV_IPV6_EXTHDR_DUPL_HH);
                dec_opts(d, p, &r, hl, true);
            } else if (nh == NH_DSTOPTS) {
                if (seen.dh++ >= 2) /* allowed before and after a routing header */
                    vg_dec_event(d, p, VG_DEV_IPV6_EXTHDR_DUPL_DH);
                dec_opts(d, p, &r, hl, false);
            } else if (nh == NH_ROUTING) {
                if (seen.rh++)
                    vg_dec_event(d, p, VG_DEV_IPV6_EXTHDR_DUPL_RH);
                if (vg_rd_u8(&r, 2) == 0)
                    vg_dec_event(d, p, VG_DEV_IPV6_EXTHDR_RH_TYPE_0);
            }
            break;
        case NH_AH:
            if (!vg_rd_has(&r, 2) || !vg_rd_has(&r, ((size_t)vg_rd_u8(&r, 1) + 2) * 4) ||
                !vg_rd_has(&r, 8)) {
                vg_dec_invalid(d, p, VG_DEV_IPV6_TRUNC_EXTHDR);
                return VG_DECODE_OK;
            }
            hl = ((size_t)vg_rd_u8(&r, 1) + 2) * 4;
            if (seen.ah++)
                vg_dec_event(d, p, VG_DEV_IPV6_EXTHDR_DUPL_AH);
            if (vg_rd_be16(&r, 2) != 0)
                vg_dec_event(d, p, VG_DEV_IPV6_EXTHDR_AH_RES_NOT_NULL);
            break;
        case NH_FRAGMENT:
            if (!vg_rd_has(&r, 8)) {
                vg_dec_invalid(d, p, VG_DEV_IPV6_TRUNC_EXTHDR);
                return VG_DECODE_OK;
            }
            if (seen.fh++)
                vg_dec_event(d, p, VG_DEV_IPV6_EXTHDR_DUPL_FH);
            if (vg_rd_u8(&r, 1) != 0 || (vg_rd_be16(&r, 2) & 0x0006) != 0)
                vg_dec_event(d, p, VG_DEV_IPV6_FH_NON_ZERO_RES_FIELD);
            if ((vg_rd_be16(&r, 2) & 0xFFF9) != 0 && seen.fh == 1)
                return dec_fragment(d, p, ip, off, nh_off, depth);
            /* offset 0 and no M: an atomic fragment (RFC 6946), decode what follows */
            if ((vg_rd_be16(&r, 2) & 0xFFF9) == 0)
                vg_dec_event(d, p, VG_DEV_IPV6_EXTHDR_USELESS_FH);
            hl = 8;
            break;
        case NH_ESP:
            if (seen.eh++)
                vg_dec_event(d, p, VG_DEV_IPV6_EXTHDR_DUPL_EH);
            p->proto = NH_ESP;
            p->l4 = r.p;
            p->l4_len = (uint32_t)r.len;
            return VG_DECODE_OK;
        case NH_NONE:
            if (r.len > 0)
                vg_dec_event(d, p, VG_DEV_IPV6_DATA_AFTER_NONE_HEADER);
            p->proto = NH_NONE;
            return VG_DECODE_OK;
        default:
            if (!l4_known(nh))
                vg_dec_event(d, p, VG_DEV_IPV6_UNKNOWN_NEXT_HEADER);
            return vg_dec_l4(d, p, nh, r, depth);
        }
        nh_off = off;
        nh = vg_rd_u8(&r, 0);
        off += hl;
    }
}

int vg_dec_ipv6(vg_decoder_t *d, vg_packet_t *p, vg_rd_t r, unsigned depth)
{
    if (!vg_rd_has(&r, 40)) {
        vg_dec_invalid(d, p, VG_DEV_IPV6_PKT_TOO_SMALL);
        return VG_DECODE_OK;
    }
    if (vg_rd_u8(&r, 0) >> 4 != 6) {
        vg_dec_invalid(d, p, VG_DEV_IPV6_WRONG_IP_VER);
        return VG_DECODE_OK;
    }
    size_t tot = 40 + (size_t)vg_rd_be16(&r, 4);
    if (!vg_rd_has(&r, tot)) {
        vg_dec_invalid(d, p, VG_DEV_IPV6_TRUNC_PKT);
        return VG_DECODE_OK;
    }
    r = vg_rd_head(&r, tot);
    d->stats[VG_DS_IPV6]++;

    if (d->in_tunnel) {
        p->flags |= VG_PKT_TUNNELLED;
        p->tunnel = d->tunnel;
    }
    vg_dec_reset_l4(p);
    p->ip_ver = 6;
    p->ip_tos = (uint8_t)(vg_rd_be16(&r, 0) >> 4);
    p->ip_id = 0;
    p->ttl = vg_rd_u8(&r, 7);
    p->proto = vg_rd_u8(&r, 6);
    vg_rd_copy(&r, 8, p->src.b, 16);
    vg_rd_copy(&r, 24, p->dst.b, 16);
    p->l3 = r.p;
    p->l3_len = (uint32_t)tot;
    return dec_chain(d, p, &r, depth);
}
