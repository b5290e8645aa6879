/* decode_int.h — private to src/decode/: the decoder context, counters, and the layer entry
 * points that the per-layer files call on each other.
 *
 * Every layer function takes the decoder, the packet being filled, a reader over the bytes of its
 * layer (from its header to the end of what was captured, or trimmed to the enclosing IP packet)
 * and the encapsulation depth, and returns a vg_decode_result (HELD only comes from defrag).
 */
#ifndef VG_DECODE_DECODE_INT_H
#define VG_DECODE_DECODE_INT_H

#include "decode/decode.h"
#include "decode/decode_reader.h"

/* Encapsulation steps (VLAN tags excluded) before "decoder.too_many_layers"; Suricata's default
 * decoder.max-layers is 16. */
#define VG_DECODE_MAX_LAYERS 16

/* Room kept in front of a reassembled datagram for the link-layer (and tunnel) bytes of the
 * fragment that completed it, so p->data stays decodable with p->linktype. */
#define VG_REASM_PREFIX_MAX 1024
#define VG_REASM_BUF_LEN (VG_REASM_PREFIX_MAX + 65536 + 64)

/* Counters, in table order (decode_events.c holds the names). */
enum vg_dstat {
    VG_DS_PKTS,
    VG_DS_BYTES,
    VG_DS_INVALID,
    VG_DS_IPV4,
    VG_DS_IPV6,
    VG_DS_ETHERNET,
    VG_DS_RAW,
    VG_DS_NULL,
    VG_DS_SLL,
    VG_DS_PPP,
    VG_DS_PPPOE,
    VG_DS_TCP,
    VG_DS_UDP,
    VG_DS_ICMPV4,
    VG_DS_ICMPV6,
    VG_DS_GRE,
    VG_DS_VLAN,
    VG_DS_VLAN_QINQ,
    VG_DS_VXLAN,
    VG_DS_GENEVE,
    VG_DS_TEREDO,
    VG_DS_IPV4_IN_IPV6,
    VG_DS_IPV6_IN_IPV6,
    VG_DS_UNKNOWN_ETHERTYPE,
    VG_DS_MAX_PKT_SIZE,
    VG_DS_CSUM_IPV4,
    VG_DS_CSUM_TCP,
    VG_DS_CSUM_UDP,
    VG_DS_CSUM_ICMPV4,
    VG_DS_CSUM_ICMPV6,
    VG_DS_EVENT_BASE, /* decoder.event.<name> for codes 1..VG_DEV_COUNT-1 */
    VG_DS_DEFRAG_IPV4_FRAGMENTS = VG_DS_EVENT_BASE + VG_DEV_COUNT - 1,
    VG_DS_DEFRAG_IPV4_REASSEMBLED,
    VG_DS_DEFRAG_IPV4_TIMEOUTS,
    VG_DS_DEFRAG_IPV6_FRAGMENTS,
    VG_DS_DEFRAG_IPV6_REASSEMBLED,
    VG_DS_DEFRAG_IPV6_TIMEOUTS,
    VG_DS_DEFRAG_MAX_FRAG_HITS,
    VG_DS_DEFRAG_MAX_TRACKERS_REACHED,
    VG_DS_DEFRAG_MEMCAP_EXCEEDED,
    VG_DS_DEFRAG_MEMUSE,   /* gauge: bytes of fragment blocks held (counted against the memcap) */
    VG_DS_DEFRAG_TRACKERS, /* gauge: datagrams in reassembly (against defrag.trackers) */
    VG_DS_COUNT
};

typedef struct vg_defrag vg_defrag_t;

struct vg_decoder {
    vg_decode_config_t cfg;
    uint64_t stats[VG_DS_COUNT];
    vg_defrag_t *defrag;
    uint8_t *reasm_buf; /* VG_REASM_BUF_LEN bytes: the last reassembled packet */
    /* per-packet scratch */
    bool in_tunnel;  /* decoding the payload of a GRE/VXLAN/IP-in-IP layer */
    uint8_t tunnel;  /* VG_TUN_* of the innermost such layer entered */
    bool reasm_used; /* reasm_buf already holds this packet's datagram */
};

/* Records an anomaly on the packet (kept once per packet, at most VG_PKT_MAX_EVENTS) and counts it
 * (once per packet). */
static inline void vg_dec_event(vg_decoder_t *d, vg_packet_t *p, uint16_t code)
{
    for (unsigned i = 0; i < p->n_events; i++)
        if (p->events[i] == code)
            return;
    d->stats[VG_DS_EVENT_BASE + code - 1]++;
    if (p->n_events < VG_PKT_MAX_EVENTS)
        p->events[p->n_events++] = code;
}

/* Same, for anomalies after which the packet's L3/L4 fields can't be trusted. */
static inline void vg_dec_invalid(vg_decoder_t *d, vg_packet_t *p, uint16_t code)
{
    vg_dec_event(d, p, code);
    p->flags |= VG_PKT_INVALID;
}

/* Layers. */
int vg_dec_ethernet(vg_decoder_t *d, vg_packet_t *p, vg_rd_t r, unsigned depth);
/* Dispatch on an EtherType (after Ethernet, VLAN, SLL, GRE). in_vlan: raise vlan.unknown_type. */
int vg_dec_ethertype(vg_decoder_t *d, vg_packet_t *p, uint16_t type, vg_rd_t r, unsigned depth,
                     bool in_vlan);
int vg_dec_sll(vg_decoder_t *d, vg_packet_t *p, vg_rd_t r);
int vg_dec_sll2(vg_decoder_t *d, vg_packet_t *p, vg_rd_t r);
int vg_dec_null(vg_decoder_t *d, vg_packet_t *p, vg_rd_t r, bool network_order);
/* PPP from its address/control bytes (optional) or protocol field; PPPoE session frames. */
int vg_dec_ppp(vg_decoder_t *d, vg_packet_t *p, vg_rd_t r, unsigned depth);
int vg_dec_pppoe(vg_decoder_t *d, vg_packet_t *p, vg_rd_t r, unsigned depth);
/* Offset of the IP header in a PPP frame and its version (4/6), or 0 (worker hash). */
size_t vg_dec_ppp_ip_offset(vg_rd_t r, int *ver);
int vg_dec_raw(vg_decoder_t *d, vg_packet_t *p, vg_rd_t r, int want_ver);

int vg_dec_ipv4(vg_decoder_t *d, vg_packet_t *p, vg_rd_t r, unsigned depth);
int vg_dec_ipv6(vg_decoder_t *d, vg_packet_t *p, vg_rd_t r, unsigned depth);
/* Decodes the L4 (or tunnel) header for protocol proto of the IP packet already set in p. */
int vg_dec_l4(vg_decoder_t *d, vg_packet_t *p, uint8_t proto, vg_rd_t r, unsigned depth);

void vg_dec_tcp(vg_decoder_t *d, vg_packet_t *p, vg_rd_t r);
int vg_dec_udp(vg_decoder_t *d, vg_packet_t *p, vg_rd_t r, unsigned depth);
void vg_dec_icmpv4(vg_decoder_t *d, vg_packet_t *p, vg_rd_t r);
void vg_dec_icmpv6(vg_decoder_t *d, vg_packet_t *p, vg_rd_t r);
int vg_dec_gre(vg_decoder_t *d, vg_packet_t *p, vg_rd_t r, unsigned depth);
int vg_dec_vxlan(vg_decoder_t *d, vg_packet_t *p, vg_rd_t r, unsigned depth);
bool vg_dec_is_geneve(vg_rd_t r);
int vg_dec_geneve(vg_decoder_t *d, vg_packet_t *p, vg_rd_t r, unsigned depth);
bool vg_dec_teredo(vg_decoder_t *d, vg_packet_t *p, vg_rd_t r, unsigned depth);
/* IP-in-IP: inner_ver 4 or 6 inside an outer IP packet. */
int vg_dec_ipip(vg_decoder_t *d, vg_packet_t *p, int inner_ver, vg_rd_t r, unsigned depth);

/* True (and the event raised) when one more encapsulation step would exceed the limit. */
bool vg_dec_too_deep(vg_decoder_t *d, vg_packet_t *p, unsigned depth);
/* Clears the L4 fields (before an inner IP header takes over the packet). */
void vg_dec_reset_l4(vg_packet_t *p);

/* Checksums (decode_csum.c). Sums are 32-bit one's-complement accumulators. */
uint32_t vg_csum_add(uint32_t sum, const uint8_t *b, size_t n);
/* The decoder's L4 checksum check (TCP, UDP, ICMP, ICMPv6) when validation is on: over r, with
 * the pseudo-header of pseudo_proto (0: none, ICMPv4); a bad sum sets VG_PKT_L4_CSUM_BAD and
 * counts in stats[stat]. When r is p's whole L4 datagram it marks VG_PKT_L4_CSUM_DONE, and the
 * checksum keywords reuse the result. */
void vg_dec_l4_csum(vg_decoder_t *d, vg_packet_t *p, const vg_rd_t *r, uint8_t pseudo_proto,
                    int stat);
uint16_t vg_csum_fold(uint32_t sum); /* folded and complemented: 0 means a valid checksum */
/* Pseudo-header sum for the IP packet in p (p->ip_ver, src, dst). */
uint32_t vg_csum_pseudo(const vg_packet_t *p, uint8_t proto, uint32_t l4_len);

/* Fragment reassembly (defrag.c). */
typedef struct vg_frag_in {
    uint8_t ver;               /* 4 or 6 */
    uint8_t proto;             /* IPv4 protocol (part of the key); IPv6: next header after the FH */
    uint32_t id;               /* IPv4 id or IPv6 fragment id */
    uint32_t off;              /* byte offset of data in the datagram's fragmentable part */
    bool more;                 /* MF */
    const uint8_t *data;       /* fragment bytes (borrowed) */
    uint32_t len;
    const uint8_t *hdr;        /* unfragmentable part: IPv4 header / IPv6 header + ext headers */
    uint32_t hdr_len;          /*   before the fragment header */
    uint32_t nh_off;           /* IPv6: offset in hdr of the next-header byte naming the FH */
} vg_frag_in_t;

enum vg_frag_result {
    VG_FRAG_HELD,    /* stored, datagram not complete */
    VG_FRAG_DROPPED, /* not stored (limits, malformed); events/counters already raised */
    VG_FRAG_DONE,    /* datagram complete: written to out */
};

vg_defrag_t *vg_defrag_new(const vg_decode_config_t *cfg);
void vg_defrag_free(vg_defrag_t *df);
/* Stores a fragment of the packet p (key: p->src/dst/vlan + f). On DONE, the reassembled IP
 * packet (header fixed up) is written to out (cap bytes) and its length to *out_len. */
enum vg_frag_result vg_defrag_insert(vg_decoder_t *d, vg_packet_t *p, const vg_frag_in_t *f,
                                     uint8_t *out, size_t cap, size_t *out_len);
void vg_defrag_expire(vg_decoder_t *d, vg_time_t now);
/* Trackers and bytes currently held (for tests and docs). */
size_t vg_defrag_trackers_in_use(const vg_defrag_t *df);
size_t vg_defrag_memuse(const vg_defrag_t *df);
size_t vg_defrag_bytes_in_use(const vg_defrag_t *df);

/* Where in d->reasm_buf a datagram reassembled from the fragment at frag_l3 (inside p->data)
 * is written: after a copy of the bytes before it, when they fit in VG_REASM_PREFIX_MAX. */
size_t vg_dec_reasm_offset(const vg_packet_t *p, const uint8_t *frag_l3);
/* Rewrites p to the reassembled datagram in out (len bytes, at d->reasm_buf + prefix) and
 * decodes it. l3 is the start of the fragment's IP header in the original p->data. */
int vg_dec_reassembled(vg_decoder_t *d, vg_packet_t *p, const uint8_t *frag_l3, size_t len,
                       unsigned depth);

#endif
