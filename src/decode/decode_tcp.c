/* decode_tcp.c — TCP header and options (RFC 9293; options RFC 7323, RFC 2018).
 *
 *   0                16               31
 *   | source port:16 | dest port:16    |
 *   | sequence number:32               |
 *   | acknowledgment number:32         |
 *   | off:4 rsv:4 | flags:8 | window:16 |   off = header length in 32-bit words
 *   | checksum:16    | urgent ptr:16   |
 *   | options (off*4 - 20 bytes)       |
 * Options: 0 EOL, 1 NOP, else kind:8 len:8 data. Kept: 2 MSS (len 4), 3 window scale (len 3),
 * 4 SACK permitted (len 2), 5 SACK (len 2+8n), 8 timestamps (len 10).
 * Checks: 20 bytes (tcp.pkt_too_small), off >= 5 (tcp.hlen_too_small), the header captured
 * (tcp.pkt_too_small), each option inside the header (tcp.invalid_optlen); a known option with a
 * wrong length is tcp.opt_invalid_len and a repeated one tcp.opt_duplicate (both keep decoding).
 */
#include "decode/decode_int.h"

enum { OPT_EOL = 0, OPT_NOP = 1, OPT_MSS = 2, OPT_WS = 3, OPT_SACKOK = 4, OPT_SACK = 5, OPT_TS = 8 };

static bool opt_len_ok(uint8_t kind, uint8_t len)
{
    switch (kind) {
    case OPT_MSS:
        return len == 4;
    case OPT_WS:
        return len == 3;
    case OPT_SACKOK:
        return len == 2;
    case OPT_SACK:
        return len >= 10 && (len - 2) % 8 == 0;
    case OPT_TS:
        return len == 10;
    default:
        return true;
    }
}

static void apply_opt(vg_packet_t *p, const vg_rd_t *r, size_t o, uint8_t kind)
{
    switch (kind) {
    case OPT_MSS:
        p->tcp_mss = vg_rd_be16(r, o + 2);
        break;
    case OPT_WS:
        p->tcp_wscale = vg_rd_u8(r, o + 2);
        break;
    case OPT_SACKOK:
        p->tcp_sack_permitted = 1;
        break;
    case OPT_TS:
        p->tcp_has_ts = 1;
        p->tcp_tsval = vg_rd_be32(r, o + 2);
        p->tcp_tsecr = vg_rd_be32(r, o + 6);
        break;
    default:
        break;
    }
}

static void dec_options(vg_decoder_t *d, vg_packet_t *p, const vg_rd_t *r, size_t hlen)
{
    uint32_t seen = 0;
    size_t o = 20;
    while (o < hlen) {
        uint8_t kind = vg_rd_u8(r, o);
        if (kind == OPT_EOL)
            return;
        if (kind == OPT_NOP) {
            o++;
            continue;
        }
        uint8_t len = o + 1 < hlen ? vg_rd_u8(r, o + 1) : 0;
        if (len < 2 || o + len > hlen) {
            vg_dec_invalid(d, p, VG_DEV_TCP_INVALID_OPTLEN);
            return;
        }
        if (kind < 32) {
            if (seen & (1u << kind))
                vg_dec_event(d, p, VG_DEV_TCP_OPT_DUPLICATE);
            seen |= 1u << kind;
        }
        if (opt_len_ok(kind, len))
            apply_opt(p, r, o, kind);
        else
            vg_dec_event(d, p, VG_DEV_TCP_OPT_INVALID_LEN);
        o += len;
    }
}

void vg_dec_tcp(vg_decoder_t *d, vg_packet_t *p, vg_rd_t r)
{
    if (!vg_rd_has(&r, 20)) {
        vg_dec_invalid(d, p, VG_DEV_TCP_PKT_TOO_SMALL);
        return;
    }
    size_t hlen = (size_t)(vg_rd_u8(&r, 12) >> 4) * 4;
    if (hlen < 20) {
        vg_dec_invalid(d, p, VG_DEV_TCP_HLEN_TOO_SMALL);
        return;
    }
    if (!vg_rd_has(&r, hlen)) {
        vg_dec_invalid(d, p, VG_DEV_TCP_PKT_TOO_SMALL);
        return;
    }
    d->stats[VG_DS_TCP]++;
    p->sp = vg_rd_be16(&r, 0);
    p->dp = vg_rd_be16(&r, 2);
    p->tcp_seq = vg_rd_be32(&r, 4);
    p->tcp_ack = vg_rd_be32(&r, 8);
    p->tcp_flags = vg_rd_u8(&r, 13);
    p->tcp_win = vg_rd_be16(&r, 14);
    if (hlen > 20)
        dec_options(d, p, &r, hlen);
    vg_rd_t pl = vg_rd_from(&r, hlen);
    p->payload = pl.p;
    p->payload_len = (uint32_t)pl.len;
    vg_dec_l4_csum(d, p, &r, 6, VG_DS_CSUM_TCP);
}
