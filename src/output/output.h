/* output.h — EVE JSON records, written field by field into a vg_jw_t (no document tree).
 *
 * Field names are exactly Suricata's, so EveBox, Filebeat, Wazuh or Splunk read Vigil's eve.json
 * unchanged. Each function writes one complete JSON object (one event); the caller adds the
 * newline and hands the line to the output thread. Thread-safe (no shared state); one writer per
 * thread.
 */
#ifndef VG_OUTPUT_OUTPUT_H
#define VG_OUTPUT_OUTPUT_H

#include "common/json.h"
#include "decode/packet.h"
#include "attrib/attrib.h"
#include "detect/rule.h"
#include "flow/flow.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct vg_eve_opts {
    bool community_id;      /* add community_id to flow-linked events (default true) */
    uint16_t community_id_seed;
    const char *sensor_name;/* "host" field when set */
    bool alert_packet;      /* alerts carry "packet" (base64) and "packet_info" (default false) */
    bool ethernet;          /* alerts on Ethernet carry "ether" {src_mac, dest_mac} (false) */
    bool alert_payload;     /* alerts carry "payload" (base64) and "stream" (false) */
    bool alert_payload_printable; /* ... "payload_printable" (false) */
    uint32_t payload_buffer_size; /* bytes of a stream payload logged (Suricata: 4 KiB) */
} vg_eve_opts_t;

/* "packet": p's bytes in base64 (a reassembled datagram: the link header of the packet that
 * completed it, then the datagram) and "packet_info": {linktype, linktype_name}. */
void vg_eve_packet_fields(vg_jw_t *w, const vg_packet_t *p);
/* "ether": {src_mac, dest_mac} of p's Ethernet header; nothing for other link types. */
void vg_eve_ether(vg_jw_t *w, const vg_packet_t *p);

/* Opens the event object and writes the common header for an event tied to a flow:
 * timestamp, flow_id, [pcap_cnt], event_type, vlan, addresses/ports oriented by dir
 * (VG_DIR_TOSERVER: src = initiator), proto, community_id, [app_proto].
 * The object stays open: the caller adds its members and calls vg_jw_obj_close(). */
void vg_eve_begin_flow(vg_jw_t *w, const vg_eve_opts_t *o, const char *event_type, vg_time_t ts,
                       const vg_flow_t *f, int dir, uint64_t pcap_cnt, const char *app_proto);

/* Same for an event tied to a packet only (no flow, e.g. a decode anomaly of a non-IP packet). */
void vg_eve_begin_packet(vg_jw_t *w, const vg_eve_opts_t *o, const char *event_type,
                         const vg_packet_t *p);
/* The same with the flow_id of f (may be NULL) and pkt_src given: for a packet of another
 * protocol than its flow's (an ICMP error that joined the TCP/UDP flow it quotes), described by
 * its own header as Suricata does. */
void vg_eve_begin_packet_in(vg_jw_t *w, const vg_eve_opts_t *o, const char *event_type,
                            const vg_packet_t *p, const vg_flow_t *f, const char *pkt_src);

/* The complete EVE "flow" event of a flow that ended. tcp_state may be NULL for non-TCP. */
/* app_proto_orig: the protocol before an in-band upgrade (Suricata's app_proto_orig), or NULL.
 * traffic: the JSON text of the "traffic" object (Suricata's traffic/id/ and traffic/label/
 * flowbits), or NULL; metadata: that of the "metadata" object (flow variables), or NULL. */
void vg_eve_flow(vg_jw_t *w, const vg_eve_opts_t *o, const vg_flow_t *f,
                 enum vg_flow_end_reason reason, const char *app_proto,
                 const char *app_proto_orig, const char *tcp_state, const char *traffic,
                 size_t traffic_len, const char *metadata, size_t metadata_len);

/* A "packet" event: a packet of a flow tagged by an alert's `tag:session` (Suricata's tagged
 * packets), the captured bytes in base64 with the link type. */
void vg_eve_tagged_packet(vg_jw_t *w, const vg_eve_opts_t *o, const vg_flow_t *f, int dir,
                          const vg_packet_t *p, const char *app_proto);

/* An "anomaly" event: type "decode", "stream" or "applayer"; event as Suricata names it. */
void vg_eve_anomaly_packet(vg_jw_t *w, const vg_eve_opts_t *o, const vg_packet_t *p,
                           const char *type, const char *event);

/* One alert, as the worker knows it. */
typedef struct vg_eve_alert {
    const vg_rule_t *rule;
    const vg_flow_t *flow;      /* NULL for a packet without a flow (then pkt is used) */
    const vg_packet_t *pkt;
    int dir;                    /* direction of the inspected data: 0 client→server */
    vg_time_t ts;
    uint64_t pcap_cnt;
    const char *app_proto;      /* flow's app_proto name or NULL */
    /* the transaction whose buffers matched, logged under its protocol's key */
    bool has_tx;
    uint64_t tx_id;
    const char *app_name;
    void (*log_tx)(void *tx, vg_jw_t *w);
    void *tx;
    /* Vigil's attribution ("vigil" object), when attrib is set */
    const vg_attrib_t *attrib;
    const vg_attrib_result_t *attrib_res;
    /* evidence pcap of the flow (relative to LOGDIR/evidence) and the 1-based index in it of
     * the alerting packet (0: none), when evidence capture is on */
    const char *evidence_file;
    uint64_t evidence_packet;
    uint64_t evidence_bytes;        /* the file's first bytes as of the alert (0: unknown)... */
    const char *evidence_sha256;    /* ...and their SHA-256 */
    /* an extra member written after the rest (the behavioural detectors' "behave" object,
     * the flow's "traffic" object): extra_json is the JSON text of one value */
    const char *extra_key;
    const char *extra_json;
    size_t extra_len;
    /* the flow's "metadata" object (flow variables set by pcre captures), JSON text or NULL */
    const char *metadata_json;
    size_t metadata_len;
    /* what the alert's payload fields show: the raw-stream bytes the rule matched (stream true)
     * or the packet's payload; NULL: none */
    const uint8_t *payload;
    size_t payload_len;
    bool stream;
} vg_eve_alert_t;

/* The EVE "alert" event (a complete object). */
void vg_eve_alert(vg_jw_t *w, const vg_eve_opts_t *o, const vg_eve_alert_t *a);
/* The fast.log line of the same alert, appended to b. */
void vg_fast_alert(vg_buf_t *b, const vg_eve_alert_t *a);

/* Suricata's protocol names: "TCP", "UDP", "ICMP", "IPv6-ICMP", or the number as a string. */
const char *vg_eve_proto_name(uint8_t proto, char tmp[8]);

#endif
