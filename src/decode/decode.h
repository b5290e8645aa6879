/* decode.h — from captured bytes to decoded headers (L2 to L4), with IP fragment reassembly.
 *
 * One vg_decoder_t per worker thread (it owns the fragment reassembly state and the counters).
 * Decoding never fails: malformed or truncated headers are recorded as anomaly events on the
 * packet (p->events) and in the counters, and the packet is still passed on with what could be
 * decoded. Anomaly names follow Suricata's ("ipv4.trunc_pkt" is written in EVE as
 * "decoder.ipv4.trunc_pkt" and counted as stats "decoder.event.ipv4.trunc_pkt").
 */
#ifndef VG_DECODE_DECODE_H
#define VG_DECODE_DECODE_H

#include "common/stats.h"
#include "decode/decode_events.h"
#include "decode/packet.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct vg_decode_config {
    bool checksum_validate;     /* -k all (true) / -k none (false) */
    uint64_t defrag_memcap;     /* bytes held for fragment reassembly in total, per decoder */
    uint32_t defrag_max_trackers;
    uint32_t defrag_timeout_s;  /* packet time after which an incomplete datagram is dropped */
} vg_decode_config_t;

void vg_decode_config_defaults(vg_decode_config_t *cfg);

typedef struct vg_decoder vg_decoder_t;

vg_decoder_t *vg_decoder_new(const vg_decode_config_t *cfg);
void vg_decoder_free(vg_decoder_t *d);

enum vg_decode_result {
    VG_DECODE_OK = 0,   /* headers decoded (possibly with anomalies recorded) */
    VG_DECODE_HELD = 1, /* an IP fragment was stored; no L4 for this packet */
};

/* Decodes p->data per p->linktype. When a fragment completes a datagram, p is rewritten to the
 * reassembled packet (flag VG_PKT_REASSEMBLED), whose bytes are owned by d and valid until the
 * next call. */
enum vg_decode_result vg_decode_packet(vg_decoder_t *d, vg_packet_t *p);

/* Expire incomplete fragment trackers older than the timeout at packet time now. */
void vg_decode_tick(vg_decoder_t *d, vg_time_t now);

/* Counters: one table for all decoders (same names in every thread), values per decoder. */
const vg_stats_table_t *vg_decode_stats_table(void);
/* The counters, indexed as vg_decode_stats_names(); the gauges (defrag.memuse, defrag.trackers)
 * are refreshed by this call, so call it from the decoder's own thread. */
const uint64_t *vg_decode_stats_values(vg_decoder_t *d);

/* The anomaly event name for a code in p->events, e.g. "ipv4.trunc_pkt". */
const char *vg_decode_event_name(uint16_t code);

/* The code for an event name ("ipv4.trunc_pkt", also accepted with the "decoder." prefix);
 * VG_DEV_NONE (0) when unknown. Linear scan: for setup (rule parsing), not per packet. */
uint16_t vg_decode_event_by_name(const char *name);

/* The checksums Suricata's checksum keywords ask about (ipv4-csum, tcpv4-csum, ...). */
enum vg_csum_kind {
    VG_CSUM_IPV4, VG_CSUM_TCPV4, VG_CSUM_TCPV6, VG_CSUM_UDPV4, VG_CSUM_UDPV6, VG_CSUM_ICMPV4,
    VG_CSUM_ICMPV6,
};

/* Is the packet's checksum of kind k valid? 1 valid, 0 invalid, -1 the packet has none of that
 * kind (another IP version or protocol, a header that could not be decoded, a reassembled
 * datagram — Suricata's pseudo packet —, a UDPv4 checksum of 0: "not used"). Computed from the
 * bytes captured, whatever checksum validation (-k) is set to, as Suricata's keywords do. */
int vg_decode_csum_valid(const vg_packet_t *p, enum vg_csum_kind k);

/* The connection an ICMPv4 destination-unreachable message (type 3) quotes, as Suricata 7 reads
 * it to join the error to that connection's flow: the quoted IPv4 header (taken as 20 bytes
 * long, options or not, as Suricata does) and a complete TCP header (20 bytes) or UDP header (8)
 * after it. src/sp are the quoted packet's sender, i.e. usually the receiver of the error. */
typedef struct vg_icmp_quote {
    vg_addr_t src, dst;
    uint16_t sp, dp;
    uint8_t proto;         /* 6 or 17 */
} vg_icmp_quote_t;

/* ICMPv4 error messages (3, 4, 5, 11, 12): Suricata creates no flow for them. */
static inline bool vg_icmp4_is_error(uint8_t type)
{
    return type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
}

/* Fills *q and returns true when p is a valid (not VG_PKT_INVALID) ICMPv4 type 3 message whose
 * quoted packet is IPv4 with a complete TCP or UDP header. */
bool vg_icmp4_quote(const vg_packet_t *p, vg_icmp_quote_t *q);

/* Minimal parse used by the reader thread to pick a worker: the outermost IP pair (src, dst) of
 * the packet, hashed symmetrically with the VLAN ids. Fragments of one datagram and both
 * directions of a flow land on the same worker; so does an ICMPv4 destination-unreachable
 * message, hashed on the pair it quotes, with the flow it belongs to (vg_icmp4_quote). Returns 0
 * for non-IP packets. */
uint64_t vg_decode_worker_hash(const vg_packet_t *p);

#endif
