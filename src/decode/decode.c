/* decode.c — the decode stage's entry points: decoder lifetime, per-packet dispatch on the link
 * type, the reader thread's worker hash, and the rewrite of a packet to a reassembled datagram.
 *
 * Link types handled (pcap LINKTYPE_* numbers, see https://www.tcpdump.org/linktypes.html):
 *   1 EN10MB (decode_eth.c), 12/14/101 RAW, 228 IPV4, 229 IPV6, 113 LINUX_SLL, 276 LINUX_SLL2,
 *   0 NULL and 108 LOOP (BSD loopback; 4-byte address family, host or network order),
 *   9 PPP and 50 PPP_HDLC (decode_eth.c; PPPoE is an ethertype there).
 * Anything else is counted in decoder.pkts/bytes and left undecoded (ip_ver 0).
 */
#include "decode/decode_int.h"

#include "common/hash.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

enum {
    LT_NULL = 0,
    LT_EN10MB = 1,
    LT_PPP = 9,
    LT_PPP_HDLC = 50,
    LT_RAW = 12,
    LT_RAW_OPENBSD = 14,
    LT_RAW_101 = 101,
    LT_LOOP = 108,
    LT_SLL = 113,
    LT_IPV4 = 228,
    LT_IPV6 = 229,
    LT_SLL2 = 276,
};

void vg_decode_config_defaults(vg_decode_config_t *cfg)
{
    cfg->checksum_validate = true;
    cfg->defrag_memcap = 32u * 1024 * 1024; /* Suricata's defrag.memcap default */
    cfg->defrag_max_trackers = 65535;       /* Suricata's defrag.trackers default */
    cfg->defrag_timeout_s = 60;             /* Suricata's defrag.timeout default */
}

vg_decoder_t *vg_decoder_new(const vg_decode_config_t *cfg)
{
    vg_decoder_t *d = vg_xcalloc(1, sizeof *d);
    vg_decode_config_t def;
    vg_decode_config_defaults(&def);
    d->cfg = cfg ? *cfg : def;
    /* Zero limits mean "not configured", not "nothing allowed". */
    if (!d->cfg.defrag_memcap)
        d->cfg.defrag_memcap = def.defrag_memcap;
    if (!d->cfg.defrag_max_trackers)
        d->cfg.defrag_max_trackers = def.defrag_max_trackers;
    if (!d->cfg.defrag_timeout_s)
        d->cfg.defrag_timeout_s = def.defrag_timeout_s;
    d->reasm_buf = vg_xmalloc(VG_REASM_BUF_LEN);
    d->defrag = vg_defrag_new(&d->cfg);
    return d;
}

void vg_decoder_free(vg_decoder_t *d)
{
    if (!d)
        return;
    vg_defrag_free(d->defrag);
    free(d->reasm_buf);
    free(d);
}

const uint64_t *vg_decode_stats_values(vg_decoder_t *d)
{
    d->stats[VG_DS_DEFRAG_MEMUSE] = d->defrag ? vg_defrag_memuse(d->defrag) : 0;
    d->stats[VG_DS_DEFRAG_TRACKERS] = d->defrag ? vg_defrag_trackers_in_use(d->defrag) : 0;
    return d->stats;
}

void vg_decode_tick(vg_decoder_t *d, vg_time_t now) { vg_defrag_expire(d, now); }

bool vg_dec_too_deep(vg_decoder_t *d, vg_packet_t *p, unsigned depth)
{
    if (depth + 1 < VG_DECODE_MAX_LAYERS)
        return false;
    vg_dec_invalid(d, p, VG_DEV_GENERIC_TOO_MANY_LAYERS);
    return true;
}

void vg_dec_reset_l4(vg_packet_t *p)
{
    p->sp = p->dp = 0;
    p->l4 = p->payload = NULL;
    p->l4_len = p->payload_len = 0;
    p->tcp_seq = p->tcp_ack = 0;
    p->tcp_win = 0;
    p->tcp_flags = 0;
    p->tcp_wscale = 0xFF;
    p->tcp_mss = 0;
    p->tcp_sack_permitted = 0;
    p->tcp_has_ts = 0;
    p->tcp_tsval = p->tcp_tsecr = 0;
    p->icmp_type = p->icmp_code = 0;
    p->icmp_id = p->icmp_seq = 0;
}

/* Everything decode fills, from `flags` to the end of the struct, is reset per packet. */
static void reset_decoded(vg_packet_t *p)
{
    memset(&p->flags, 0, sizeof *p - offsetof(vg_packet_t, flags));
    p->tcp_wscale = 0xFF;
}

enum vg_decode_result vg_decode_packet(vg_decoder_t *d, vg_packet_t *p)
{
    reset_decoded(p);
    d->in_tunnel = false;
    d->reasm_used = false;
    d->stats[VG_DS_PKTS]++;
    d->stats[VG_DS_BYTES] += p->caplen;
    if (p->caplen > d->stats[VG_DS_MAX_PKT_SIZE])
        d->stats[VG_DS_MAX_PKT_SIZE] = p->caplen;

    vg_rd_t r = vg_rd_make(p->data, p->caplen);
    int res = VG_DECODE_OK;
    switch (p->linktype) {
    case LT_EN10MB:
        res = vg_dec_ethernet(d, p, r, 0);
        break;
    case LT_RAW:
    case LT_RAW_OPENBSD:
    case LT_RAW_101:
        res = vg_dec_raw(d, p, r, 0);
        break;
    case LT_IPV4:
        res = vg_dec_raw(d, p, r, 4);
        break;
    case LT_IPV6:
        res = vg_dec_raw(d, p, r, 6);
        break;
    case LT_SLL:
        res = vg_dec_sll(d, p, r);
        break;
    case LT_SLL2:
        res = vg_dec_sll2(d, p, r);
        break;
    case LT_NULL:
        res = vg_dec_null(d, p, r, false);
        break;
    case LT_PPP:
    case LT_PPP_HDLC:
        res = vg_dec_ppp(d, p, r, 0);
        break;
    case LT_LOOP:
        res = vg_dec_null(d, p, r, true);
        break;
    default:
        break;
    }
    if (p->flags & VG_PKT_INVALID)
        d->stats[VG_DS_INVALID]++;
    return (enum vg_decode_result)res;
}

size_t vg_dec_reasm_offset(const vg_packet_t *p, const uint8_t *frag_l3)
{
    size_t prefix = (size_t)(frag_l3 - p->data);
    return prefix <= VG_REASM_PREFIX_MAX ? prefix : 0;
}

int vg_dec_reassembled(vg_decoder_t *d, vg_packet_t *p, const uint8_t *frag_l3, size_t len,
                       unsigned depth)
{
    size_t prefix = (size_t)(frag_l3 - p->data);
    uint8_t *buf = d->reasm_buf;
    if (prefix == vg_dec_reasm_offset(p, frag_l3)) {
        memcpy(buf, p->data, prefix); /* the datagram already sits at buf + prefix */
    } else {
        /* Too much encapsulation to keep: present the datagram as raw IP. */
        prefix = 0;
        p->linktype = LT_RAW;
        p->tun_in = p->tun_l3 = 0; /* offsets into the headers not kept */
    }
    d->reasm_used = true;
    p->data = buf;
    p->caplen = p->wirelen = (uint32_t)(prefix + len);
    p->flags = (p->flags & ~(uint32_t)VG_PKT_FRAGMENT) | VG_PKT_REASSEMBLED;
    vg_rd_t r = vg_rd_make(buf + prefix, len);
    return (buf[prefix] >> 4) == 6 ? vg_dec_ipv6(d, p, r, depth) : vg_dec_ipv4(d, p, r, depth);
}

/* ---- worker hash ---------------------------------------------------------------------------
 * A cut-down walk of the link layer to the first IP header: Ethernet (+ up to 2 VLAN tags), SLL,
 * SLL2, NULL/LOOP, raw. Symmetric because the two address hashes are added. */

static uint64_t hash_ip(vg_rd_t r, uint64_t seed)
{
    uint8_t v = vg_rd_u8(&r, 0) >> 4;
    uint64_t h;
    if (v == 4 && vg_rd_has(&r, 20)) {
        uint64_t a = vg_rd_be32(&r, 12), b = vg_rd_be32(&r, 16);
        /* An ICMP destination unreachable (not a fragment) goes with the pair it quotes, which
         * is the flow it joins (vg_icmp4_quote; this test accepts a superset: a quote the flow
         * stage refuses just gets no flow, wherever it is). */
        size_t ihl = (size_t)(vg_rd_u8(&r, 0) & 0x0F) * 4;
        if (vg_rd_u8(&r, 9) == 1 && ihl >= 20 && (vg_rd_be16(&r, 6) & 0x3FFF) == 0 &&
            vg_rd_has(&r, ihl + 8 + 20) && vg_rd_u8(&r, ihl) == 3 &&
            vg_rd_u8(&r, ihl + 8) >> 4 == 4) {
            a = vg_rd_be32(&r, ihl + 8 + 12);
            b = vg_rd_be32(&r, ihl + 8 + 16);
        }
        h = vg_hash_mix64(a ^ seed) + vg_hash_mix64(b ^ seed);
    } else if (v == 6 && vg_rd_has(&r, 40)) {
        h = vg_hash_bytes(r.p + 8, 16, seed) + vg_hash_bytes(r.p + 24, 16, seed);
    } else {
        return 0;
    }
    return h ? h : 1;
}

static uint64_t hash_ppp(vg_rd_t r, uint64_t seed)
{
    int ver;
    size_t off = vg_dec_ppp_ip_offset(r, &ver);
    return off ? hash_ip(vg_rd_from(&r, off), seed) : 0;
}

static uint64_t hash_ethertype(vg_rd_t r, uint16_t type, uint64_t seed)
{
    for (int i = 0; i < VG_PKT_MAX_VLAN + 1; i++) {
        if (type == 0x0800 || type == 0x86DD)
            return hash_ip(r, seed);
        if (type == 0x8864) /* PPPoE session */
            return vg_rd_has(&r, 8) ? hash_ppp(vg_rd_from(&r, 6), seed) : 0;
        if ((type != 0x8100 && type != 0x88A8 && type != 0x9100) || !vg_rd_has(&r, 4))
            return 0;
        seed = seed * 31 + (vg_rd_be16(&r, 0) & 0x0FFF);
        type = vg_rd_be16(&r, 2);
        r = vg_rd_from(&r, 4);
    }
    return 0;
}

uint64_t vg_decode_worker_hash(const vg_packet_t *p)
{
    vg_rd_t r = vg_rd_make(p->data, p->caplen);
    const uint64_t seed = 0x5bd1e995u;
    uint32_t fam;
    switch (p->linktype) {
    case LT_EN10MB:
        if (!vg_rd_has(&r, 14))
            return 0;
        return hash_ethertype(vg_rd_from(&r, 14), vg_rd_be16(&r, 12), seed);
    case LT_SLL:
        if (!vg_rd_has(&r, 16))
            return 0;
        return hash_ethertype(vg_rd_from(&r, 16), vg_rd_be16(&r, 14), seed);
    case LT_SLL2:
        if (!vg_rd_has(&r, 20))
            return 0;
        return hash_ethertype(vg_rd_from(&r, 20), vg_rd_be16(&r, 0), seed);
    case LT_NULL:
    case LT_LOOP:
        if (!vg_rd_has(&r, 4))
            return 0;
        fam = vg_rd_be32(&r, 0);
        if (fam > 0xFFFF)
            fam = vg_rd_le32(&r, 0);
        if (fam != 2 && fam != 24 && fam != 28 && fam != 30)
            return 0;
        return hash_ip(vg_rd_from(&r, 4), seed);
    case LT_RAW:
    case LT_RAW_OPENBSD:
    case LT_RAW_101:
    case LT_IPV4:
    case LT_IPV6:
        return hash_ip(r, seed);
    case LT_PPP:
    case LT_PPP_HDLC:
        return hash_ppp(r, seed);
    default:
        return 0;
    }
}
