/* decode_csum.c — Internet checksum (RFC 1071) for IPv4 headers and TCP/UDP/ICMP(v6) with the
 * IPv4 (RFC 793 §3.1) or IPv6 (RFC 8200 §8.1) pseudo-header.
 *
 * vg_csum_add() returns a 32-bit one's complement sum in network order (see there for how it
 * adds); callers add the pseudo-header sum first and fold at the end. A header whose stored
 * checksum is included folds to 0 when valid. The decoder checks them when checksum validation
 * is on and marks what it checked (VG_PKT_*_CSUM_DONE); vg_decode_csum_valid() answers the
 * checksum keywords of rules whatever that setting, from those marks when they cover exactly
 * what it would compute.
 */
#include "decode/decode_int.h"

#include <string.h>

/* The one's complement sum is the same whatever the byte order it is added in, byte-swapped
 * (RFC 1071 §2(B)): the bytes are added as host-order 32-bit words into 64 bits, folded to 16,
 * and swapped back to network order on little-endian hosts. A quarter of the steps of adding
 * 16-bit big-endian words one by one (8 bytes a step), which measured +10% of a run with the checksum keywords
 * (bench/RESULTS.md, session 11). */
uint32_t vg_csum_add(uint32_t sum, const uint8_t *b, size_t n)
{
    uint64_t s = 0;
    while (n >= 8) {
        uint64_t v;
        memcpy(&v, b, 8);
        s += (v & 0xFFFFFFFFu) + (v >> 32);
        b += 8;
        n -= 8;
    }
    if (n >= 4) {
        uint32_t v;
        memcpy(&v, b, 4);
        s += v;
        b += 4;
        n -= 4;
    }
    if (n >= 2) {
        uint16_t v;
        memcpy(&v, b, 2);
        s += v;
        b += 2;
        n -= 2;
    }
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (n) /* the high byte of a big-endian word: the low byte in host order */
        s += b[0];
#else
    if (n)
        s += (uint32_t)b[0] << 8;
#endif
    /* each step above adds less than 2^33, so s cannot wrap for any packet */
    s = (s & 0xFFFFFFFFu) + (s >> 32);
    s = (s & 0xFFFFFFFFu) + (s >> 32);
    s = (s & 0xFFFF) + (s >> 16);
    s = (s & 0xFFFF) + (s >> 16);
    s = (s & 0xFFFF) + (s >> 16);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    s = (uint16_t)((s >> 8) | (s << 8));
#endif
    uint64_t t = (uint64_t)sum + s;
    t = (t & 0xFFFFFFFFu) + (t >> 32);
    return (uint32_t)t;
}

void vg_dec_l4_csum(vg_decoder_t *d, vg_packet_t *p, const vg_rd_t *r, uint8_t pseudo_proto,
                    int stat)
{
    if (!d->cfg.checksum_validate)
        return;
    if (r->p == p->l4 && r->len == p->l4_len)
        p->flags |= VG_PKT_L4_CSUM_DONE;
    uint32_t init = pseudo_proto ? vg_csum_pseudo(p, pseudo_proto, (uint32_t)r->len) : 0;
    if (vg_csum_fold(vg_csum_add(init, r->p, r->len)) != 0) {
        p->flags |= VG_PKT_L4_CSUM_BAD;
        d->stats[stat]++;
    }
}

uint16_t vg_csum_fold(uint32_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xFFFF) + (sum >> 16);
    return (uint16_t)~sum;
}

uint32_t vg_csum_pseudo(const vg_packet_t *p, uint8_t proto, uint32_t l4_len)
{
    size_t alen = p->ip_ver == 6 ? 16 : 4;
    uint32_t s = vg_csum_add(0, p->src.b, alen);
    s = vg_csum_add(s, p->dst.b, alen);
    return s + proto + (l4_len >> 16) + (l4_len & 0xFFFF);
}

/* The L4 bytes of p that were captured (the checksum of a cut packet is then invalid, as
 * Suricata computes it over what it has). */
static size_t l4_avail(const vg_packet_t *p)
{
    size_t n = p->l4_len, cap = (size_t)(p->data + p->caplen - p->l4);
    return n < cap ? n : cap;
}

int vg_decode_csum_valid(const vg_packet_t *p, enum vg_csum_kind k)
{
    if (!p->l3 || (p->flags & (VG_PKT_REASSEMBLED | VG_PKT_INVALID | VG_PKT_FRAGMENT)))
        return -1;
    int ver = (k == VG_CSUM_TCPV6 || k == VG_CSUM_UDPV6 || k == VG_CSUM_ICMPV6) ? 6 : 4;
    if (p->ip_ver != ver)
        return -1;
    /* the decoder's own result, when it checked this header (not tunnelled: its flags are
     * then of the outer headers as well) */
    bool mine = !(p->flags & VG_PKT_TUNNELLED);
    if (k == VG_CSUM_IPV4) {
        if (mine && (p->flags & VG_PKT_IPV4_CSUM_DONE))
            return !(p->flags & VG_PKT_IPV4_CSUM_BAD);
        size_t hlen = (size_t)(p->l3[0] & 0x0F) * 4;
        if (hlen < 20 || hlen > p->l3_len || hlen > (size_t)(p->data + p->caplen - p->l3))
            return -1;
        return vg_csum_fold(vg_csum_add(0, p->l3, hlen)) == 0;
    }
    uint8_t proto = (k == VG_CSUM_TCPV4 || k == VG_CSUM_TCPV6)   ? 6
                    : (k == VG_CSUM_UDPV4 || k == VG_CSUM_UDPV6) ? 17
                    : k == VG_CSUM_ICMPV4                        ? 1
                                                                 : 58;
    if (p->proto != proto || !p->l4)
        return -1;
    size_t n = l4_avail(p);
    if (mine && (p->flags & VG_PKT_L4_CSUM_DONE) && n == p->l4_len)
        return !(p->flags & VG_PKT_L4_CSUM_BAD);
    if (proto == 17 && ver == 4 && n >= 8 && p->l4[6] == 0 && p->l4[7] == 0)
        return -1;
    uint32_t init = proto == 1 ? 0 : vg_csum_pseudo(p, proto, p->l4_len);
    return vg_csum_fold(vg_csum_add(init, p->l4, n)) == 0;
}
