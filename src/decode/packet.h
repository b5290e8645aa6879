/* packet.h — the packet as it moves through the pipeline.
 *
 * The capture stage fills the first block (time, bytes, link type, number); decode fills the
 * rest in place, pointing into `data` (never copying, except that a reassembled IP datagram
 * lives in a buffer owned by the decoder context). Flow, stream, app and detect read it.
 *
 * Lifetime: a vg_packet_t and everything it points to are borrowed by each stage for the duration
 * of one worker's processing of that packet; anything kept longer must be copied.
 */
#ifndef VG_DECODE_PACKET_H
#define VG_DECODE_PACKET_H

#include "common/common.h"

#include <stdint.h>

#define VG_PKT_MAX_EVENTS 8
#define VG_PKT_MAX_VLAN 2

/* p->tunnel: what the innermost IP header was decapsulated from (EVE alerts' pkt_src, as
 * Suricata names the pseudo packet it makes for each inner layer) */
enum { VG_TUN_NONE, VG_TUN_GRE, VG_TUN_VXLAN, VG_TUN_IPV4, VG_TUN_IPV6, VG_TUN_GENEVE,
       VG_TUN_TEREDO };

/* p->flags */
enum {
    VG_PKT_IPV4_CSUM_BAD = 1u << 0,
    VG_PKT_L4_CSUM_BAD = 1u << 1,
    VG_PKT_REASSEMBLED = 1u << 2, /* data/l3 point to a reassembled IP datagram */
    VG_PKT_TUNNELLED = 1u << 3,   /* addresses/ports are of the inner packet (GRE, VXLAN, IP-in-IP) */
    VG_PKT_FRAGMENT = 1u << 4,    /* an IP fragment held for reassembly: no L4 yet */
    VG_PKT_INVALID = 1u << 5,     /* a header was malformed; l4 fields are not trustworthy */
    /* the decoder computed the checksum (-k all): VG_PKT_*_CSUM_BAD then says whether it was
     * valid (vg_decode_csum_valid reuses it) */
    VG_PKT_IPV4_CSUM_DONE = 1u << 6,
    VG_PKT_L4_CSUM_DONE = 1u << 7,
};

/* TCP flag bits as on the wire (byte 13). */
enum {
    VG_TCP_FIN = 0x01, VG_TCP_SYN = 0x02, VG_TCP_RST = 0x04, VG_TCP_PSH = 0x08,
    VG_TCP_ACK = 0x10, VG_TCP_URG = 0x20, VG_TCP_ECE = 0x40, VG_TCP_CWR = 0x80,
};

typedef struct vg_packet {
    /* --- filled by capture --- */
    vg_time_t ts;          /* packet time (microseconds since epoch) */
    uint64_t pcap_cnt;     /* 1-based packet number in the run, across files (Suricata's pcap_cnt) */
    const uint8_t *data;   /* the captured bytes */
    uint32_t caplen;       /* bytes captured */
    uint32_t wirelen;      /* length on the wire */
    int linktype;          /* DLT_* of the capture */
    uint16_t file_idx;     /* which input file (index into the run's file list) */
    uint32_t file_span;    /* with vg_capture_keep_offsets(): the packet's record is within
                            * [file_off, file_off + file_span) of that file (pcapng: possibly
                            * after blocks that are not packets); 0: not known (live capture) */
    uint64_t file_off;

    /* --- filled by decode --- */
    uint32_t flags;        /* VG_PKT_* */
    uint8_t ip_ver;        /* 0 when no IP header was decoded, else 4 or 6 (innermost) */
    uint8_t proto;         /* L4 protocol number (IPPROTO_*) of the innermost IP packet */
    uint8_t n_vlan;
    uint8_t ttl;           /* IPv4 TTL or IPv6 hop limit */
    uint16_t vlan[VG_PKT_MAX_VLAN];
    uint16_t ip_id;        /* IPv4 identification (IPv6: low 16 bits of fragment id, if any) */
    uint8_t ip_tos;
    uint8_t tunnel;        /* VG_TUN_*: the encapsulation the innermost IP header came out of */
    uint8_t tun_n_vlan;    /* with tun_l3: the VLAN ids (of vlan[]) outside that tunnel */
    uint16_t tun_in;       /* 1 + offset in data where the innermost tunnel's payload starts (its
                            * Ethernet or IP header), 0 when not tunnelled: see vg_pkt_flow_len */
    uint16_t tun_l3;       /* 1 + offset in data of the IP header of the outermost UDP tunnel
                            * (VXLAN, Geneve, Teredo) the packet came through, 0 when none: the
                            * tunnel's own UDP flow is kept too, as Suricata keeps it */
    vg_addr_t src, dst;
    uint16_t sp, dp;       /* TCP/UDP ports; ICMP: 0 (see icmp_type/icmp_code) */

    const uint8_t *l3;     /* innermost IP header */
    uint32_t l3_len;       /* bytes from l3 to the end of the IP packet (trimmed to its total length) */
    const uint8_t *l4;     /* L4 header */
    uint32_t l4_len;       /* bytes from l4 to the end of the IP packet */
    const uint8_t *payload;/* L4 payload */
    uint32_t payload_len;

    /* TCP */
    uint32_t tcp_seq, tcp_ack;
    uint16_t tcp_win;
    uint8_t tcp_flags;
    uint8_t tcp_wscale;        /* window scale option value, 0xFF when absent */
    uint16_t tcp_mss;          /* 0 when absent */
    uint8_t tcp_sack_permitted;
    uint8_t tcp_has_ts;
    uint32_t tcp_tsval, tcp_tsecr;

    /* ICMP / ICMPv6 */
    uint8_t icmp_type, icmp_code;
    uint16_t icmp_id, icmp_seq;

    /* Anomalies seen while decoding this packet (codes from decode.h), in order; at most
     * VG_PKT_MAX_EVENTS are kept, the rest are still counted. */
    uint8_t n_events;
    uint16_t events[VG_PKT_MAX_EVENTS];
} vg_packet_t;

/* The bytes a packet counts for in its flow, as Suricata counts them (its packet length): the
 * bytes captured (not the length on the wire: a frame check sequence or a snapshot length the
 * capture left out is not counted), or for a packet that came out of a tunnel what Suricata's
 * pseudo packet holds, from the innermost tunnel's payload (an inner Ethernet header included)
 * to the end of the inner IP packet. */
static inline uint32_t vg_pkt_flow_len(const vg_packet_t *p)
{
    if (p->tun_in && p->l3 && p->l3 >= p->data + p->tun_in - 1)
        return (uint32_t)(p->l3 + p->l3_len - (p->data + p->tun_in - 1));
    return p->caplen;
}

#endif
