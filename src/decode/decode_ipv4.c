/* decode_ipv4.c — IPv4 (RFC 791) with options, header checksum and fragment hand-off, plus the
 * L4 dispatch shared with IPv6.
 *
 *   0        4        8                16   19                      31
 *   | ver:4  | ihl:4  | tos:8          | total length:16                |
 *   | identification:16                | flags:3 | fragment offset:13   |   flags: rsv DF MF
 *   | ttl:8           | protocol:8     | header checksum:16             |
 *   | source address:32                                                 |
 *   | destination address:32                                            |
 *   | options (ihl*4 - 20 bytes): EOL(0), NOP(1), or type:8 len:8 data  |
 *
 * Checks, in Suricata's order: 20 bytes captured (ipv4.pkt_too_small), version 4
 * (ipv4.wrong_ip_version), ihl >= 5 (ipv4.hlen_too_small), total length >= header
 * (ipv4.iplen_smaller_than_hlen), total length captured (ipv4.trunc_pkt). Each of those makes the
 * packet invalid and stops decoding at this layer. Bytes after the total length (Ethernet padding)
 * are ignored.
 */
#include "decode/decode_int.h"

#include <string.h>

enum {
    OPT_EOL = 0,
    OPT_NOP = 1,
    OPT_QS = 25,
    OPT_TS = 68,
    OPT_RR = 7,
    OPT_SEC = 130,
    OPT_LSRR = 131,
    OPT_ESEC = 133,
    OPT_CIPSO = 134,
    OPT_SID = 136,
    OPT_SSRR = 137,
    OPT_RTRALT = 148,
};

/* Index of a known option for duplicate detection, -1 when unknown. */
static int opt_index(uint8_t t)
{
    static const uint8_t known[] = {OPT_QS, OPT_TS, OPT_RR, OPT_SEC, OPT_LSRR,
                                    OPT_ESEC, OPT_CIPSO, OPT_SID, OPT_SSRR, OPT_RTRALT};
    for (unsigned i = 0; i < sizeof known; i++)
        if (known[i] == t)
            return (int)i;
    return -1;
}

/* Whether a known option's length is acceptable (RFC 791, 1108, 1393, 2113, 4782). */
static bool opt_len_ok(uint8_t t, uint8_t len)
{
    switch (t) {
    case OPT_RR:
    case OPT_LSRR:
    case OPT_SSRR:
        return len >= 3 && (len - 3) % 4 == 0;
    case OPT_TS:
        return len >= 4 && len % 4 == 0;
    case OPT_QS:
        return len == 8;
    case OPT_SID:
    case OPT_RTRALT:
        return len == 4;
    case OPT_CIPSO:
        return len >= 6;
    default:
        return len >= 3;
    }
}

/* Options are the bytes [20, hlen) of the header in r. */
static void dec_options(vg_decoder_t *d, vg_packet_t *p, const vg_rd_t *r, size_t hlen)
{
    uint32_t seen = 0;
    size_t off = 20;
    while (off < hlen) {
        uint8_t t = vg_rd_u8(r, off);
        if (t == OPT_EOL)
            return;
        if (t == OPT_NOP) {
            off++;
            continue;
        }
        if (off + 1 >= hlen) {
            vg_dec_invalid(d, p, VG_DEV_IPV4_OPT_INVALID);
            return;
        }
        uint8_t len = vg_rd_u8(r, off + 1);
        if (len < 2) {
            vg_dec_invalid(d, p, VG_DEV_IPV4_OPT_INVALID_LEN);
            return;
        }
        if (off + len > hlen) {
            vg_dec_invalid(d, p, VG_DEV_IPV4_OPT_MALFORMED);
            return;
        }
        int idx = opt_index(t);
        if (idx < 0) {
            vg_dec_event(d, p, VG_DEV_IPV4_OPT_UNKNOWN);
        } else {
            if (seen & (1u << idx))
                vg_dec_event(d, p, VG_DEV_IPV4_OPT_DUPLICATE);
            seen |= 1u << idx;
            if (!opt_len_ok(t, len)) {
                vg_dec_invalid(d, p, VG_DEV_IPV4_OPT_INVALID_LEN);
                return;
            }
        }
        off += len;
    }
}

static int dec_fragment(vg_decoder_t *d, vg_packet_t *p, vg_rd_t r, size_t hlen, unsigned depth)
{
    uint16_t fo = vg_rd_be16(&r, 6);
    p->flags |= VG_PKT_FRAGMENT;
    if (d->reasm_used) { /* a fragment inside a reassembled datagram: one reassembly per packet */
        vg_dec_event(d, p, VG_DEV_IPV4_FRAG_IGNORED);
        return VG_DECODE_OK;
    }
    vg_frag_in_t f = {
        .ver = 4,
        .proto = p->proto,
        .id = p->ip_id,
        .off = (uint32_t)(fo & 0x1FFF) * 8,
        .more = (fo & 0x2000) != 0,
        .data = r.p + hlen,
        .len = (uint32_t)(r.len - hlen),
        .hdr = r.p,
        .hdr_len = (uint32_t)hlen,
    };
    size_t at = vg_dec_reasm_offset(p, r.p), out_len = 0;
    switch (vg_defrag_insert(d, p, &f, d->reasm_buf + at, VG_REASM_BUF_LEN - at, &out_len)) {
    case VG_FRAG_HELD:
        return VG_DECODE_HELD;
    case VG_FRAG_DONE:
        return vg_dec_reassembled(d, p, r.p, out_len, depth);
    default:
        return VG_DECODE_OK;
    }
}

int vg_dec_ipv4(vg_decoder_t *d, vg_packet_t *p, vg_rd_t r, unsigned depth)
{
    if (!vg_rd_has(&r, 20)) {
        vg_dec_invalid(d, p, VG_DEV_IPV4_PKT_TOO_SMALL);
        return VG_DECODE_OK;
    }
    uint8_t vhl = vg_rd_u8(&r, 0);
    if (vhl >> 4 != 4) {
        vg_dec_invalid(d, p, VG_DEV_IPV4_WRONG_IP_VER);
        return VG_DECODE_OK;
    }
    size_t hlen = (size_t)(vhl & 0x0F) * 4;
    size_t tot = vg_rd_be16(&r, 2);
    if (hlen < 20) {
        vg_dec_invalid(d, p, VG_DEV_IPV4_HLEN_TOO_SMALL);
        return VG_DECODE_OK;
    }
    if (tot < hlen) {
        vg_dec_invalid(d, p, VG_DEV_IPV4_IPLEN_SMALLER_THAN_HLEN);
        return VG_DECODE_OK;
    }
    if (!vg_rd_has(&r, tot)) {
        vg_dec_invalid(d, p, VG_DEV_IPV4_TRUNC_PKT);
        return VG_DECODE_OK;
    }
    r = vg_rd_head(&r, tot);
    d->stats[VG_DS_IPV4]++;

    /* This header now describes the packet (innermost so far). */
    if (d->in_tunnel) {
        p->flags |= VG_PKT_TUNNELLED;
        p->tunnel = d->tunnel;
    }
    vg_dec_reset_l4(p);
    p->ip_ver = 4;
    p->ip_tos = vg_rd_u8(&r, 1);
    p->ip_id = vg_rd_be16(&r, 4);
    p->ttl = vg_rd_u8(&r, 8);
    p->proto = vg_rd_u8(&r, 9);
    memset(&p->src, 0, sizeof p->src);
    memset(&p->dst, 0, sizeof p->dst);
    vg_rd_copy(&r, 12, p->src.b, 4);
    vg_rd_copy(&r, 16, p->dst.b, 4);
    p->l3 = r.p;
    p->l3_len = (uint32_t)tot;

    if (hlen > 20)
        dec_options(d, p, &r, hlen);
    if (d->cfg.checksum_validate) {
        p->flags |= VG_PKT_IPV4_CSUM_DONE;
        if (vg_csum_fold(vg_csum_add(0, r.p, hlen)) != 0) {
            p->flags |= VG_PKT_IPV4_CSUM_BAD;
            d->stats[VG_DS_CSUM_IPV4]++;
        }
    }
    if (vg_rd_be16(&r, 6) & 0x3FFF) /* MF or a fragment offset */
        return dec_fragment(d, p, r, hlen, depth);
    return vg_dec_l4(d, p, p->proto, vg_rd_from(&r, hlen), depth);
}

int vg_dec_l4(vg_decoder_t *d, vg_packet_t *p, uint8_t proto, vg_rd_t r, unsigned depth)
{
    p->proto = proto;
    p->l4 = r.p;
    p->l4_len = (uint32_t)r.len;
    switch (proto) {
    case 6:
        vg_dec_tcp(d, p, r);
        return VG_DECODE_OK;
    case 17:
        return vg_dec_udp(d, p, r, depth);
    case 1:
        if (p->ip_ver == 6) {
            vg_dec_invalid(d, p, VG_DEV_IPV6_WITH_ICMPV4);
            return VG_DECODE_OK;
        }
        vg_dec_icmpv4(d, p, r);
        return VG_DECODE_OK;
    case 58:
        if (p->ip_ver == 4) {
            vg_dec_invalid(d, p, VG_DEV_IPV4_WITH_ICMPV6);
            return VG_DECODE_OK;
        }
        vg_dec_icmpv6(d, p, r);
        return VG_DECODE_OK;
    case 47:
        return vg_dec_gre(d, p, r, depth);
    case 4:
        return vg_dec_ipip(d, p, 4, r, depth);
    case 41:
        return vg_dec_ipip(d, p, 6, r, depth);
    default:
        return VG_DECODE_OK;
    }
}
