/* decode_csum.c — Internet checksum (RFC 1071) for IPv4 headers and TCP/UDP/ICMP(v6) with the
 * IPv4 (RFC 793 §3.1) or IPv6 (RFC 8200 §8.1) pseudo-header.
 *
 * Sums are accumulated big-endian 16 bits at a time into 32 bits and folded at the end; callers
 * add the pseudo-header sum first. A header whose stored checksum is included folds to 0 when
 * valid. Only called when checksum validation is on and the packet is complete.
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
