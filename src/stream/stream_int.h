/* stream_int.h — private to src/stream/: the session layout, the per-direction reassembly state
 * and the counters. Include only from src/stream/ (tests may include it to check invariants).
 *
 * Offsets: inside a direction every byte is named by its 64-bit stream offset, 0 being the first
 * data byte (ISN + 1). Sequence numbers are mapped to offsets relative to the next expected byte
 * with serial-number arithmetic (RFC 1982), so a wrapping 32-bit sequence space and streams longer
 * than 4 GiB need no special cases anywhere else.
 */
#ifndef VG_STREAM_STREAM_INT_H
#define VG_STREAM_STREAM_INT_H

#include "common/spares.h"
#include "stream/stream.h"

#include <stdbool.h>
#include <stdint.h>

/* Counters, in the order of the names table in stream_tcp.c. */
enum vg_stream_stat {
    ST_SESSIONS,
    ST_SSN_MEMCAP_DROP,
    ST_PSEUDO,
    ST_INVALID_CHECKSUM,
    ST_SYN,
    ST_SYNACK,
    ST_RST,
    ST_MIDSTREAM_PICKUPS,
    ST_PKT_ON_WRONG_THREAD,
    ST_SEGMENT_MEMCAP_DROP,
    ST_STREAM_DEPTH_REACHED,
    ST_REASSEMBLY_GAP,
    ST_OVERLAP,
    ST_OVERLAP_DIFF_DATA,
    ST_INSERT_DATA_NORMAL_FAIL,
    ST_ACK_UNSEEN_DATA,
    ST_MEMUSE,
    ST_REASSEMBLY_MEMUSE,
    ST_MAX,
};

/* Reassembly buffers given back are kept for the next direction that needs one (common/spares.h:
 * up to 64 per context, each at most this many bytes with its range list, this many in all;
 * outside stream.reassembly.memcap, which counts the buffers in use): a direction's buffer is
 * freed as soon as everything in it is acknowledged and delivered, so short flows took one
 * calloc and two reallocs per burst of data. */
#define VG_STREAM_SPARE_MAX (64u * 1024u)
#define VG_STREAM_SPARES_BYTES (512u * 1024u)

struct vg_stream_ctx {
    vg_stream_config_t cfg;
    uint64_t stats[ST_MAX];
    uint64_t ssn_memuse;   /* bytes of live sessions */
    uint64_t reasm_memuse; /* bytes of live reassembly buffers */
    vg_spares_t spares;    /* vg_stream_buf_t given back, with their data and ranges */
};

/* A byte range [start, end) of stream offsets. */
typedef struct vg_stream_range {
    uint64_t start, end;
} vg_stream_range_t;

/* Bytes a direction keeps. data[i] holds offset off + i. The ranges say which bytes are present:
 * sorted, disjoint and never adjacent (coalesced). Invariant, with next = the half's next_off:
 * every range starts after next, except possibly r[0] which may be the retained delivered bytes
 * [off, next) — then it ends exactly at next. */
typedef struct vg_stream_buf {
    uint64_t off;
    uint8_t *data;
    uint32_t cap;
    uint32_t n, rcap;
    vg_stream_range_t *r;
} vg_stream_buf_t;

/* One direction of a session (one TCP role). */
typedef struct vg_stream_half {
    uint64_t next_off;  /* next byte to deliver */
    uint64_t max_end;   /* end of the furthest accepted segment */
    uint64_t acked_off; /* bytes the peer acknowledged */
    uint64_t fin_off;   /* offset the FIN sits at (data end), when has_fin */
    uint32_t base_seq;  /* sequence number of offset 0 */
    uint32_t isn;       /* SYN's sequence number (when syn_seen) */
    vg_stream_buf_t *buf;
    uint8_t flags_seen;
    bool synced : 1;        /* base_seq is known */
    bool syn_seen : 1;
    bool has_fin : 1;
    bool fin_acked : 1;
    bool depth_reached : 1;
    bool done : 1;          /* no more data is accepted (flushed, RST) */
} vg_stream_half_t;

enum vg_stream_state {
    VG_TCP_NONE = 0,
    VG_TCP_SYN_SENT,
    VG_TCP_SYN_RECV,
    VG_TCP_ESTABLISHED,
    VG_TCP_FIN_WAIT1,
    VG_TCP_FIN_WAIT2,
    VG_TCP_TIME_WAIT,
    VG_TCP_LAST_ACK,
    VG_TCP_CLOSE_WAIT,
    VG_TCP_CLOSING,
    VG_TCP_CLOSED,
};

enum {
    SSN_REVERSED = 1u << 0,
    SSN_MIDSTREAM = 1u << 1,
    SSN_HANDSHAKE = 1u << 2,
    SSN_TRACKED = 1u << 3,
    SSN_ENDED = 1u << 4,
    SSN_4WHS = 1u << 5,      /* split handshake: the server answered the SYN with a SYN */
    SSN_PKT_ADDED = 1u << 6, /* the packet being processed gave data to reassembly */
    SSN_3WHS_CONFIRMED = 1u << 7, /* the server sent an ACK (no FIN) in established */
};

struct vg_tcp_session {
    vg_stream_half_t half[2]; /* by role: VG_STREAM_CLIENT, VG_STREAM_SERVER */
    uint8_t state;
    uint8_t flags;            /* SSN_* */
};

/* Where a call's output goes. */
typedef struct vg_stream_out {
    vg_stream_ctx_t *ctx;
    const vg_stream_cb_t *cb;
    void *user;
} vg_stream_out_t;

void vg_stream_event(const vg_stream_out_t *o, uint16_t code);

/* Offset of sequence number seq in half h (may be negative: before the stream start). */
static inline int64_t vg_stream_seq_off(const vg_stream_half_t *h, uint32_t seq)
{
    uint32_t next_seq = h->base_seq + (uint32_t)h->next_off;
    return (int64_t)h->next_off + (int32_t)(seq - next_seq);
}

/* --- stream_reasm.c --- */

/* Add a segment of role `dir` starting at offset start (may be negative), then deliver whatever
 * became contiguous. Applies depth, window and memory limits; reports overlaps. */
void vg_stream_reasm_segment(const vg_stream_out_t *o, vg_stream_half_t *h, int dir, int64_t start,
                             const uint8_t *data, uint32_t len);
/* The peer acknowledged everything before offset ack_off: release retained bytes, and declare
 * a gap for acknowledged bytes we never saw. */
void vg_stream_reasm_ack(const vg_stream_out_t *o, vg_stream_half_t *h, int dir, uint64_t ack_off);
/* No more data will come: deliver what is buffered (with gaps), stop accepting data. */
void vg_stream_reasm_flush(const vg_stream_out_t *o, vg_stream_half_t *h, int dir);
/* Free the half's buffer (no delivery). */
void vg_stream_reasm_free(vg_stream_ctx_t *ctx, vg_stream_half_t *h);
/* Frees the buffers kept for reuse (at the context's end). */
void vg_stream_reasm_spares_free(vg_stream_ctx_t *ctx);

#endif
