/* stream.h — TCP session tracking and stream reassembly.
 *
 * Callers: the worker's flow stage, once per TCP packet of a flow, in capture order. The stream
 * stage follows the TCP state machine of the session, puts each direction's payload back in
 * sequence order and hands the in-order bytes to a callback (normally the app layer) as soon as
 * they are contiguous. It does not wait for the receiver's ACK before delivering: Vigil mostly
 * reads capture files and a data packet is usually followed by its ACK anyway, so waiting would
 * only add latency and buffering. The price is that data is delivered before we know whether the
 * receiver accepted it; overlapping retransmissions cannot change bytes already delivered (see the
 * overlap policy in docs/STREAM.md: first data wins, differences are reported).
 *
 * Threads: a vg_stream_ctx_t belongs to one worker thread, and so do the sessions created from it.
 * Nothing here locks. The config is copied at vg_stream_ctx_new().
 *
 * Directions: every `dir` handed *in* is the flow's direction (0 = packet from the flow initiator,
 * 1 = from the responder; the same values as app.h's VG_DIR_TOSERVER / VG_DIR_TOCLIENT). Every
 * `dir` handed *out* (callbacks, per-direction queries) is the TCP role: 0 = bytes sent by the TCP
 * client (the side that sent the SYN), 1 = by the TCP server. The two differ only when the session
 * is "reversed" (vg_stream_is_reversed): the flow initiator turned out to be the server, e.g. a
 * capture that starts with the SYN-ACK. Callers that print src/dst should then swap them, as
 * Suricata swaps such flows.
 *
 * Memory: a session is small (about 130 bytes); reassembly buffers are allocated only when a
 * direction has to keep bytes (out-of-order data, or delivered data the peer has not acknowledged
 * yet, kept to detect retransmissions that differ) and are freed once nothing needs them. All
 * buffer memory of a context counts against cfg.memcap, all session memory against cfg.ssn_memcap.
 */
#ifndef VG_STREAM_STREAM_H
#define VG_STREAM_STREAM_H

#include "common/stats.h"
#include "decode/packet.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Roles in callbacks and queries (numerically equal to VG_DIR_TOSERVER / VG_DIR_TOCLIENT). */
enum { VG_STREAM_CLIENT = 0, VG_STREAM_SERVER = 1 };

typedef struct vg_stream_config {
    /* Pick up sessions whose start we did not see (no SYN, or first packet a SYN-ACK). When
     * false, a session is tracked only from a client SYN, as Suricata with midstream off. */
    bool midstream;
    /* Accept a session where only the client side is visible (SYN, then client ACK/data without
     * a SYN-ACK), as Suricata's stream.async-oneside. */
    bool async_oneside;
    /* Bytes per direction that are reassembled and delivered (stream offsets, gaps included);
     * 0 = unlimited. Default 1 MiB, Suricata's reassembly.depth. */
    uint32_t reassembly_depth;
    /* How far beyond the next expected byte a segment may reach and still be buffered. Segments
     * starting further out are dropped (event stream.est_packet_out_of_window). Default 1 MiB. */
    uint32_t window_limit;
    /* Distinct byte ranges (after coalescing adjacent/overlapping ones) buffered per direction.
     * Bounds the bookkeeping of out-of-order storms. Default 512. */
    uint32_t max_ranges;
    /* Total bytes of reassembly buffers per context (all sessions of one worker). Default 64 MiB.
     * 0 = unlimited. */
    uint64_t memcap;
    /* Total bytes of session structures per context. Default 32 MiB. 0 = unlimited. */
    uint64_t ssn_memcap;
} vg_stream_config_t;

/* Fill *cfg with the defaults above. */
void vg_stream_config_defaults(vg_stream_config_t *cfg);

/* Callbacks of vg_stream_packet / vg_stream_flow_end. Any may be NULL. `dir` is the TCP role.
 * Pointers passed to them are borrowed until the callback returns. Callbacks must not call back
 * into the stream stage for the same session. */
typedef struct vg_stream_cb {
    /* In-order bytes of one direction, each byte exactly once, as soon as contiguous. */
    void (*data)(void *user, int dir, const uint8_t *data, size_t len);
    /* `len` bytes of this direction were lost (never seen, dropped by a limit, or not resent
     * before the peer acknowledged them / the flow ended). The next data follows the gap. */
    void (*gap)(void *user, int dir, size_t len);
    /* A stream anomaly: an enum vg_stream_event code (vg_stream_event_name() gives Suricata's
     * name, "stream.3whs_synack_with_wrong_ack"). */
    void (*event)(void *user, uint16_t code);
} vg_stream_cb_t;

/* Every stream event the stage raises (Suricata's names, without their "stream." prefix). Codes:
 * enum vg_stream_event, 1 + the index in this list; 0 is none. */
#define VG_STREAM_EVENT_LIST(X)                                                                   \
    X(3whs_ack_in_wrong_dir) X(3whs_right_seq_wrong_ack_evasion)                                  \
    X(3whs_syn_resend_diff_seq_on_syn_recv) X(3whs_syn_toclient_on_syn_recv)                      \
    X(3whs_synack_in_wrong_direction) X(3whs_synack_resend_with_different_ack)                    \
    X(3whs_synack_resend_with_diff_seq) X(3whs_synack_toserver_on_syn_recv)                       \
    X(3whs_synack_with_wrong_ack) X(3whs_wrong_seq_wrong_ack) X(4whs_invalid_ack)                 \
    X(4whs_synack_with_wrong_ack) X(4whs_synack_with_wrong_syn) X(4whs_wrong_seq)                 \
    X(est_packet_out_of_window) X(est_syn_resend) X(est_syn_resend_diff_seq) X(est_syn_toclient)  \
    X(est_synack_resend) X(est_synack_resend_with_different_ack)                                  \
    X(est_synack_resend_with_diff_seq) X(est_synack_toserver) X(fin_but_no_session)               \
    X(pkt_broken_ack) X(pkt_invalid_ack) X(pkt_retransmission) X(reassembly_overlap_different_data)                  \
    X(reassembly_segment_before_base_seq) X(reassembly_seq_gap) X(rst_but_no_session)             \
    X(rst_invalid_ack) X(shutdown_syn_resend)

#define VG_SE_ENUM_(n) VG_SE_##n,
enum vg_stream_event { VG_SE_NONE, VG_STREAM_EVENT_LIST(VG_SE_ENUM_) VG_SE_MAX };
#undef VG_SE_ENUM_

/* Suricata's name of a stream event code, with its "stream." prefix (NULL for none). */
const char *vg_stream_event_name(uint16_t code);
/* The code of a stream event by name, with the "stream." prefix or without it; 0 when the stage
 * never raises it. Linear: for rule parsing. */
uint16_t vg_stream_event_by_name(const char *name);

typedef struct vg_stream_ctx vg_stream_ctx_t;
typedef struct vg_tcp_session vg_tcp_session_t;

/* One context per worker thread: config copy, memory accounting, counters.
 * cfg NULL = defaults. Aborts on OOM (start-up path). */
vg_stream_ctx_t *vg_stream_ctx_new(const vg_stream_config_t *cfg);
/* Free the context. All its sessions must have been freed first. NULL is a no-op. */
void vg_stream_ctx_free(vg_stream_ctx_t *ctx);

/* A new, empty session (state "none"). Returns NULL when cfg.ssn_memcap would be exceeded or
 * allocation fails (counted in tcp.ssn_memcap_drop); the flow then goes untracked. */
vg_tcp_session_t *vg_stream_session_new(vg_stream_ctx_t *ctx);
/* Free a session and its buffers without delivering anything (see vg_stream_flow_end).
 * NULL is a no-op. */
void vg_stream_session_free(vg_stream_ctx_t *ctx, vg_tcp_session_t *s);

/* Process one TCP packet of the session. dir is the flow direction (see top). Packets that are
 * not TCP, are marked VG_PKT_INVALID, or have a bad TCP checksum (VG_PKT_L4_CSUM_BAD, counted in
 * tcp.invalid_checksum) are ignored. May call cb several times. */
void vg_stream_packet(vg_stream_ctx_t *ctx, vg_tcp_session_t *s, const vg_packet_t *p, int dir,
                      const vg_stream_cb_t *cb, void *user);

/* The flow is ending (timeout, eviction, shutdown): deliver whatever is buffered in both
 * directions, with gaps for holes, then drop the buffers. Further packets are ignored. */
void vg_stream_flow_end(vg_stream_ctx_t *ctx, vg_tcp_session_t *s, const vg_stream_cb_t *cb,
                        void *user);

/* --- queries (s may not be NULL) --- */

/* Bytes of TCP role `role` (VG_STREAM_CLIENT/SERVER) the peer has acknowledged: the stream offset
 * just past the last acknowledged byte (a FIN's sequence number may be counted in it). Raw-stream
 * inspection reads up to here, as Suricata's IDS mode reads up to the last ACK. */
uint64_t vg_stream_acked(const vg_tcp_session_t *s, int role);
/* The last packet given to vg_stream_packet() had its payload taken into reassembly (Suricata's
 * PKT_STREAM_ADD): not when it was ignored (bad checksum, untracked or ended session, ...). */
bool vg_stream_pkt_added(const vg_tcp_session_t *s);
/* A FIN or RST took the session out of ESTABLISHED (any closing state, or closed): Suricata
 * inspects the raw stream at every packet then, whatever its size. */
bool vg_stream_closing(const vg_tcp_session_t *s);

/* Client SYN, server SYN-ACK acknowledging it, and client ACK acknowledging the SYN-ACK were
 * all seen, in that order. False for midstream pickups. */
bool vg_stream_handshake_complete(const vg_tcp_session_t *s);
/* The session was picked up without seeing the client's SYN. */
bool vg_stream_is_midstream(const vg_tcp_session_t *s);
/* The flow initiator is the TCP server (roles are swapped relative to flow directions). */
bool vg_stream_is_reversed(const vg_tcp_session_t *s);
/* The session is being tracked (a SYN or a midstream pickup started it). */
bool vg_stream_is_tracked(const vg_tcp_session_t *s);
/* Suricata's tcp.state name: "none", "syn_sent", "syn_recv", "established", "fin_wait1",
 * "fin_wait2", "time_wait", "last_ack", "close_wait", "closing", "closed". Static string. */
const char *vg_stream_state_name(const vg_tcp_session_t *s);
/* OR of the TCP flags of all packets sent by role dir (for EVE tcp_flags_ts / tcp_flags_tc). */
uint8_t vg_stream_tcp_flags(const vg_tcp_session_t *s, int dir);
/* Bytes role dir has sent so far, as Suricata's stream_size keyword counts them: its next
 * expected sequence number minus its ISN, so the SYN counts as one, only in-order data counts,
 * and a FIN counts as one once the peer has acknowledged it (as measured against Suricata
 * 7.0.10). 0 while the role's sequence numbers are unknown. */
uint64_t vg_stream_size(const vg_tcp_session_t *s, int dir);

/* Which flow timeout applies, from the TCP state (as Suricata maps tcp states to flow states). */
enum vg_stream_timeout_class {
    VG_STREAM_TIMEOUT_NEW = 0,     /* none, syn_sent, syn_recv */
    VG_STREAM_TIMEOUT_ESTABLISHED, /* established, fin_wait1/2, closing, close_wait */
    VG_STREAM_TIMEOUT_CLOSED,      /* last_ack, time_wait, closed */
};
enum vg_stream_timeout_class vg_stream_timeout_class(const vg_tcp_session_t *s);

/* --- counters --- */

/* The counter names ("tcp.sessions", ...), immutable, in the order of vg_stream_stats_values. */
const vg_stats_table_t *vg_stream_stats_table(void);
/* The context's counter values; borrowed, live (valid until vg_stream_ctx_free). The memuse
 * entries are gauges (current bytes), the rest are monotonic. */
const uint64_t *vg_stream_stats_values(const vg_stream_ctx_t *ctx);

#endif
