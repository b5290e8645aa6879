/* decode_udp.c — UDP (RFC 768), with VXLAN detection on port 4789, Geneve on port 6081 and
 * Teredo from or to port 3544 (the IANA ports, which Suricata's default configuration also
 * uses).
 *
 *   0                16               31
 *   | source port:16 | dest port:16    |
 *   | length:16      | checksum:16     |   length includes this 8-byte header
 * Checks, as Suricata 7.0.10: 8 bytes (udp.hlen_too_small), length >= 8 (udp.len_invalid),
 * length not beyond the IP payload (udp.pkt_too_small). A length short of the IP payload is
 * accepted, the datagram being its first `length` bytes (Suricata retired udp.hlen_invalid).
 * Checksum 0 means "none" over IPv4; over IPv6 it is always verified.
 */
#include "decode/decode_int.h"

#define VXLAN_PORT 4789
#define GENEVE_PORT 6081
#define TEREDO_PORT 3544

int vg_dec_udp(vg_decoder_t *d, vg_packet_t *p, vg_rd_t r, unsigned depth)
{
    if (!vg_rd_has(&r, 8)) {
        vg_dec_invalid(d, p, VG_DEV_UDP_HLEN_TOO_SMALL);
        return VG_DECODE_OK;
    }
    size_t ulen = vg_rd_be16(&r, 4);
    if (ulen < 8) {
        vg_dec_invalid(d, p, VG_DEV_UDP_LEN_INVALID);
        return VG_DECODE_OK;
    }
    if (ulen > r.len) {
        vg_dec_invalid(d, p, VG_DEV_UDP_PKT_TOO_SMALL);
        return VG_DECODE_OK;
    }
    r.len = ulen; /* bytes after the datagram (padding) are not its payload */
    p->l4_len = (uint32_t)ulen;
    d->stats[VG_DS_UDP]++;
    p->sp = vg_rd_be16(&r, 0);
    p->dp = vg_rd_be16(&r, 2);
    vg_rd_t pl = vg_rd_from(&r, 8);
    p->payload = pl.p;
    p->payload_len = (uint32_t)pl.len;
    uint16_t stored = vg_rd_be16(&r, 6);
    if (stored != 0 || p->ip_ver == 6) /* 0 over IPv4: no checksum sent */
        vg_dec_l4_csum(d, p, &r, 17, VG_DS_CSUM_UDP);
    /* VXLAN (RFC 7348): 8-byte header whose flags have the I bit (0x08) set. */
    if (p->dp == VXLAN_PORT && vg_rd_has(&pl, 8) && (vg_rd_u8(&pl, 0) & 0x08))
        return vg_dec_vxlan(d, p, pl, depth);
    /* Geneve (RFC 8926): version 0, its options within the datagram; anything else to that port
     * is plain UDP, as Suricata decides */
    if (p->dp == GENEVE_PORT && vg_dec_is_geneve(pl))
        return vg_dec_geneve(d, p, pl, depth);
    /* Teredo (RFC 4380): an IPv6 packet that fills the datagram, after an optional origin
     * indication; anything else is plain UDP */
    if (p->sp == TEREDO_PORT || p->dp == TEREDO_PORT)
        vg_dec_teredo(d, p, pl, depth);
    return VG_DECODE_OK;
}
