/* decode_csum.c — Internet checksum (RFC 1071) for IPv4 headers and TCP/UDP/ICMP(v6) with the
 * IPv4 (RFC 793 §3.1) or IPv6 (RFC 8200 §8.1) pseudo-header.
 *
 * Sums are accumulated big-endian 16 bits at a time into 32 bits and folded at the end; callers
 * add the pseudo-header sum first. A header whose stored checksum is included folds to 0 when
 * valid. The decoder checks them when checksum validation is on; vg_decode_csum_valid() answers
 * the checksum keywords of rules whatever that setting.
 */
#include "decode/decode_int.h"

uint32_t vg_csum_add(uint32_t sum, const uint8_t *b, size_t n)
{
    uint64_t s = sum;
    while (n >= 2) {
        s += (uint32_t)(b[0] << 8 | b[1]);
        b += 2;
        n -= 2;
    }
    if (n)
        s += (uint32_t)(b[0] << 8);
    while (s >> 32)
        s = (s & 0xFFFFFFFFu) + (s >> 32);
    s = (s & 0xFFFF) + (s >> 16);
    s = (s & 0xFFFF) + (s >> 16);
    return (uint32_t)s;
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
    if (k == VG_CSUM_IPV4) {
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
    if (proto == 17 && ver == 4 && n >= 8 && p->l4[6] == 0 && p->l4[7] == 0)
        return -1;
    uint32_t init = proto == 1 ? 0 : vg_csum_pseudo(p, proto, p->l4_len);
    return vg_csum_fold(vg_csum_add(init, p->l4, n)) == 0;
}
