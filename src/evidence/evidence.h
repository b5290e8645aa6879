/* evidence.h — the packets behind alerts: a small ring of each flow's latest packets, and on the
 * flow's first alert a pcap under LOGDIR/evidence/ with the ring and the rest of the flow.
 *
 * One vg_evid_ctx_t per worker thread (no locks). Per-flow state hangs off the flow (a void *
 * slot the worker passes in) and is freed by vg_evid_flow_end(). Memory: rings, per-flow state
 * and write buffers of one worker stay within cfg.memcap; ring buffers come from slabs of the
 * context. Before the slabs grow, the rings of closed flows (vg_evid_flow_closed) and then of
 * flows idle for cfg.ring_idle are taken back; at the memcap, the least recently active rings
 * are released (all counted).
 *
 * Files: "flow-<flow_id>.pcap", or "packet-<pcap_cnt>.pcap" for an alerted packet that has no
 * flow (a "-N" suffix when the name is taken, e.g. a second run into the
 * same log directory). Up to 16 files per worker stay open from creation to sealing; further
 * ones are opened, appended to and closed per flush, so descriptors stay bounded. A file is
 * sealed (written, closed, SHA-256 final) when its flow ends or when it
 * reaches the per-file cap; the caller then emits the "evidence" event that the ledger records.
 * See docs/EVIDENCE.md. */
#ifndef VG_EVIDENCE_EVIDENCE_H
#define VG_EVIDENCE_EVIDENCE_H

#include "common/stats.h"
#include "decode/packet.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct vg_evid_config {
    uint32_t ring_packets;  /* latest packets kept per flow before any alert (>= 1) */
    uint64_t memcap;        /* bytes of ring packets and write buffers, this worker */
    uint32_t fds_kept;      /* files of alerted flows kept open, this worker (0: 16); beyond,
                             * a file is opened for each append */
    uint32_t ring_idle;     /* seconds of packet time: a ring that got no packet for that long is
                             * released rather than taking new memory (0: only at the memcap) */
    uint64_t max_packets;   /* per file: the file is sealed when it holds this many packets */
    uint64_t max_bytes;     /* per file: ... or this many bytes */
    const char *dir;        /* LOGDIR/evidence (must exist) */
    /* The input capture files, when reading files (packets carry file_idx, file_off and
     * file_span: vg_capture_keep_offsets): a ring then keeps where each packet's record is in
     * its file instead of a copy of its bytes, and the first alert reads the ring's packets back
     * from there (the file must not change meanwhile: checked, and a packet that cannot be read
     * back is counted in evidence.reread_errors and logged). NULL, or ring_copy: copies (live
     * capture, where the packets are gone). Reassembled IP datagrams are always copied. */
    const char *const *files;
    size_t n_files;
    bool ring_copy;         /* evidence.ring-copy: copies even when files are given */
} vg_evid_config_t;

typedef struct vg_evid_ctx vg_evid_ctx_t;

/* Where an alert's packets are: file name (relative to the evidence directory) and the 1-based
 * index in it of the packet that raised the alert (0: not in the file, e.g. an alert at flow
 * end, or after the file reached its cap). */
typedef struct vg_evid_ref {
    char file[64];
    uint64_t packet;
    /* the file as it is at the alert: its first `bytes` bytes (already written to it: they never
     * change, the file only grows) have this SHA-256; bytes 0 when unknown (write error) */
    uint64_t bytes;
    char sha256[65];
} vg_evid_ref_t;

/* A sealed file, for the "evidence" event. */
typedef struct vg_evid_sealed {
    char file[64];
    char sha256[65];        /* hex */
    uint64_t size, packets;
    bool truncated;         /* the per-file cap was reached: later packets are not in it */
    uint64_t ring_dropped;  /* packets of this flow not kept because of the memcap */
    bool write_error;       /* the file could not be written completely (logged) */
} vg_evid_sealed_t;

vg_evid_ctx_t *vg_evid_ctx_new(const vg_evid_config_t *cfg);
void vg_evid_ctx_free(vg_evid_ctx_t *c);

/* Keeps packet p of the flow whose state is *slot (created on first use): into the ring, or
 * appended to the flow's file once it alerted. Returns true when this packet made the file reach
 * its cap: the file was sealed and *out describes it (emit the evidence event). */
bool vg_evid_packet(vg_evid_ctx_t *c, void **slot, const vg_packet_t *p, vg_evid_sealed_t *out);

/* An alert on the flow: on the first one the file is created and the ring written to it. What
 * the file holds so far is written out (so a crash cannot leave it shorter than ref->bytes).
 * pcap_cnt is the alerting packet's (0 when none). Returns false when there is no evidence for
 * this flow (no state: memcap, or the file could not be created — logged and counted). */
bool vg_evid_alert(vg_evid_ctx_t *c, void **slot, uint64_t flow_id, uint64_t pcap_cnt,
                   vg_evid_ref_t *ref);

/* An alert on packet p, which has no flow (an ICMP error that joined none, or the flow table's
 * memcap): the first call (*slot NULL) keeps p and creates "packet-<pcap_cnt>.pcap" holding it;
 * further alerts on the same packet name that file. The caller seals it with vg_evid_flow_end()
 * once the packet's detection is done. Returns false as vg_evid_alert() does. */
bool vg_evid_packet_alert(vg_evid_ctx_t *c, void **slot, const vg_packet_t *p,
                          vg_evid_ref_t *ref);

/* The flow closed (TCP: FIN both ways, or RST) and has not alerted: its ring stays (an alert at
 * the flow's end, e.g. on a transaction the close completed, still finds it) but goes to the
 * closed list, whose rings are the first memory taken back when a ring needs a buffer — before a
 * new slab and before the rings of active flows. Calling it again is harmless. */
void vg_evid_flow_closed(vg_evid_ctx_t *c, void **slot);

/* The flow ended: frees its state. Returns true when a file was sealed now (*out filled). */
bool vg_evid_flow_end(vg_evid_ctx_t *c, void **slot, vg_evid_sealed_t *out);

/* Bytes counted against the memcap (ring packets, buffers, per-flow state, and released ring
 * buffers kept for reuse), and the part of it flows hold — for tests. */
uint64_t vg_evid_mem_used(const vg_evid_ctx_t *c);
uint64_t vg_evid_mem_flows(const vg_evid_ctx_t *c);

const vg_stats_table_t *vg_evid_stats_table(void);
const uint64_t *vg_evid_stats_values(const vg_evid_ctx_t *c);

#endif
