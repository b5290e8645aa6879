/* stream_reasm.c — per-direction reassembly: put segments in offset order, deliver in-order
 * bytes at once, keep what cannot be delivered yet, and declare gaps.
 *
 * Workload: most directions receive their bytes in order and the peer acknowledges them a packet
 * or two later; a few see reordering or loss; hostile ones send storms of tiny, overlapping or
 * far-ahead segments. So:
 *  - A direction holds no buffer at all until it has to keep a byte, and drops it again once all
 *    it holds is delivered and acknowledged.
 *  - The buffer is one contiguous window of bytes starting at offset `off`, plus a sorted array of
 *    the byte ranges present in it. Ranges are coalesced on insert, so reordered traffic that
 *    eventually fills in collapses back to one range; the array's length is capped
 *    (cfg.max_ranges) so a storm of disjoint 1-byte segments costs at most a binary search and a
 *    short memmove per segment, never a quadratic walk.
 *  - Delivered bytes the peer has not acknowledged yet stay in the window ("retained") so that a
 *    retransmission can be compared with what was delivered. Retention is the first thing given
 *    up under pressure (window limit, memcap): it only serves to report differing overlaps.
 *  - The window slides forward only when it must grow; a slide moves at most the live bytes and
 *    the capacity doubles when it grows, so each byte is copied O(1) times amortised.
 *
 * Overlap policy: first data wins. Bytes already present (buffered or delivered) are never
 * replaced; a later segment only fills holes. An overlap is counted (tcp.overlap) and, if the
 * bytes differ, reported (tcp.overlap_diff_data, stream.reassembly_overlap_different_data).
 */
#include "stream/stream_int.h"

#include <stdlib.h>
#include <string.h>

#define BUF_MIN_CAP 2048u
#define RANGES_MIN 4u

enum store_result { STORE_OK, STORE_MEMCAP, STORE_FULL };

static void account(vg_stream_ctx_t *ctx, int64_t delta)
{
    ctx->reasm_memuse += (uint64_t)delta;
    ctx->stats[ST_REASSEMBLY_MEMUSE] = ctx->reasm_memuse;
}

static bool memcap_allows(const vg_stream_ctx_t *ctx, uint64_t add)
{
    return ctx->cfg.memcap == 0 || ctx->reasm_memuse + add <= ctx->cfg.memcap;
}

static uint64_t buf_bytes(const vg_stream_buf_t *b)
{
    return b->cap + (uint64_t)b->rcap * sizeof(vg_stream_range_t) + sizeof *b;
}

static void buf_destroy(void *p)
{
    vg_stream_buf_t *b = p;
    free(b->data);
    free(b->r);
    free(b);
}

void vg_stream_reasm_free(vg_stream_ctx_t *ctx, vg_stream_half_t *h)
{
    vg_stream_buf_t *b = h->buf;
    if (!b)
        return;
    account(ctx, -(int64_t)buf_bytes(b));
    h->buf = NULL;
    if (!vg_spares_put(&ctx->spares, b, buf_bytes(b))) /* kept: data and ranges with it */
        buf_destroy(b);
}

void vg_stream_reasm_spares_free(vg_stream_ctx_t *ctx)
{
    vg_spares_fini(&ctx->spares, buf_destroy);
}

static vg_stream_buf_t *buf_get(vg_stream_ctx_t *ctx, vg_stream_half_t *h)
{
    if (h->buf)
        return h->buf;
    size_t kept;
    vg_stream_buf_t *b = vg_spares_take(&ctx->spares, &kept);
    if (b) { /* kept == buf_bytes(b) */
        if (memcap_allows(ctx, buf_bytes(b))) {
            b->off = h->next_off;
            b->n = 0;
            account(ctx, (int64_t)buf_bytes(b));
            h->buf = b;
            return b;
        }
        buf_destroy(b); /* too large for what the memcap leaves: a fresh one may fit */
    }
    if (!memcap_allows(ctx, sizeof(vg_stream_buf_t)))
        return NULL;
    b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    b->off = h->next_off;
    account(ctx, sizeof *b);
    h->buf = b;
    return b;
}

/* Index of the first range whose end is >= x (n when none). */
static uint32_t range_lower_bound(const vg_stream_buf_t *b, uint64_t x)
{
    uint32_t lo = 0, hi = b->n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (b->r[mid].end < x)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Forget bytes before x (x <= the half's next_off), moving the rest to the front. */
static void buf_release(vg_stream_buf_t *b, uint64_t x)
{
    if (x <= b->off)
        return;
    uint64_t hi = b->n ? b->r[b->n - 1].end : b->off;
    if (hi > x)
        memmove(b->data, b->data + (x - b->off), hi - x);
    uint32_t i = 0;
    while (i < b->n && b->r[i].end <= x)
        i++;
    if (i) {
        memmove(b->r, b->r + i, (b->n - i) * sizeof *b->r);
        b->n -= i;
    }
    if (b->n && b->r[0].start < x)
        b->r[0].start = x;
    b->off = x;
}

static bool buf_grow(vg_stream_ctx_t *ctx, vg_stream_buf_t *b, uint64_t need, bool generous)
{
    uint64_t cap = b->cap ? b->cap : BUF_MIN_CAP / 2;
    while (cap < (generous ? 2 * need : need))
        cap *= 2;
    if (cap > UINT32_MAX || !memcap_allows(ctx, cap - b->cap))
        return false;
    uint8_t *d = realloc(b->data, cap);
    if (!d)
        return false;
    account(ctx, (int64_t)(cap - b->cap));
    b->data = d;
    b->cap = (uint32_t)cap;
    return true;
}

/* Make data[] reach offset end, sliding and growing as needed. Retained bytes go first. */
static bool buf_reserve(vg_stream_ctx_t *ctx, vg_stream_half_t *h, vg_stream_buf_t *b,
                        uint64_t end)
{
    if (end - b->off <= b->cap)
        return true;
    buf_release(b, VG_MIN(h->acked_off, h->next_off));
    if (end - b->off > ctx->cfg.window_limit)
        buf_release(b, h->next_off);
    if (end - b->off <= b->cap)
        return true;
    if (buf_grow(ctx, b, end - b->off, true) || buf_grow(ctx, b, end - b->off, false))
        return true;
    buf_release(b, h->next_off);
    return end - b->off <= b->cap || buf_grow(ctx, b, end - b->off, false);
}

static bool ranges_reserve(vg_stream_ctx_t *ctx, vg_stream_buf_t *b)
{
    if (b->n < b->rcap)
        return true;
    uint32_t max = VG_MAX(ctx->cfg.max_ranges, 1u);
    if (b->rcap >= max)
        return false;
    uint32_t rcap = VG_MIN(VG_MAX(b->rcap * 2, RANGES_MIN), max);
    uint64_t add = (uint64_t)(rcap - b->rcap) * sizeof *b->r;
    if (!memcap_allows(ctx, add))
        return false;
    vg_stream_range_t *r = realloc(b->r, rcap * sizeof *r);
    if (!r)
        return false;
    account(ctx, (int64_t)add);
    b->r = r;
    b->rcap = rcap;
    return true;
}

/* Would [s, e) need a range of its own (touches no existing range)? */
static bool range_needs_slot(const vg_stream_buf_t *b, uint64_t s, uint64_t e)
{
    uint32_t i = range_lower_bound(b, s);
    return i == b->n || b->r[i].start > e;
}

/* Add [s, e), merging every range it overlaps or touches. Needs a free slot if range_needs_slot. */
static void range_add(vg_stream_buf_t *b, uint64_t s, uint64_t e)
{
    uint32_t i = range_lower_bound(b, s);
    uint32_t j = i;
    while (j < b->n && b->r[j].start <= e)
        j++;
    if (i == j) {
        memmove(b->r + i + 1, b->r + i, (b->n - i) * sizeof *b->r);
        b->r[i] = (vg_stream_range_t){s, e};
        b->n++;
        return;
    }
    b->r[i].start = VG_MIN(s, b->r[i].start);
    b->r[i].end = VG_MAX(e, b->r[j - 1].end);
    memmove(b->r + i + 1, b->r + j, (b->n - j) * sizeof *b->r);
    b->n -= j - i - 1;
}

/* Walk [s, e) against the bytes present: compare overlapping parts, and when `copy`, fill the
 * absent parts from data (which holds offset s at data[0]). First data wins. */
static void seg_merge(vg_stream_buf_t *b, uint64_t s, uint64_t e, const uint8_t *data, bool copy,
                      bool *overlap, bool *diff)
{
    uint64_t pos = s;
    for (uint32_t i = range_lower_bound(b, s + 1); i < b->n && b->r[i].start < e; i++) {
        const vg_stream_range_t *r = &b->r[i];
        if (pos < r->start && copy)
            memcpy(b->data + (pos - b->off), data + (pos - s), r->start - pos);
        uint64_t os = VG_MAX(pos, r->start), oe = VG_MIN(e, r->end);
        *overlap = true;
        if (memcmp(b->data + (os - b->off), data + (os - s), oe - os) != 0)
            *diff = true;
        pos = oe;
    }
    if (pos < e && copy)
        memcpy(b->data + (pos - b->off), data + (pos - s), e - pos);
}

static void check_depth(const vg_stream_out_t *o, vg_stream_half_t *h)
{
    uint32_t depth = o->ctx->cfg.reassembly_depth;
    if (depth && h->next_off >= depth && !h->depth_reached) {
        h->depth_reached = true;
        o->ctx->stats[ST_STREAM_DEPTH_REACHED]++;
        vg_stream_reasm_free(o->ctx, h);
    }
}

static void emit_data(const vg_stream_out_t *o, int dir, const uint8_t *p, uint64_t len)
{
    if (len && o->cb && o->cb->data)
        o->cb->data(o->user, dir, p, (size_t)len);
}

/* Deliver the range that continues at next_off, if any. Coalescing means there is at most one. */
static void deliver(const vg_stream_out_t *o, vg_stream_half_t *h, int dir)
{
    vg_stream_buf_t *b = h->buf;
    if (!b || h->depth_reached)
        return;
    uint32_t i = (b->n && b->r[0].end <= h->next_off) ? 1 : 0;
    if (i >= b->n || b->r[i].start > h->next_off)
        return;
    uint64_t from = h->next_off;
    h->next_off = b->r[i].end;
    emit_data(o, dir, b->data + (from - b->off), h->next_off - from);
    check_depth(o, h);
}

/* Memory for [s, e) could not be had: deliver straight from the packet if it is next in line. */
static void deliver_direct(const vg_stream_out_t *o, vg_stream_half_t *h, int dir, uint64_t s,
                           uint64_t e, const uint8_t *data)
{
    vg_stream_buf_t *b = h->buf;
    if (b) {
        uint32_t i = range_lower_bound(b, s + 1);
        if (i < b->n && b->r[i].start < e)
            e = b->r[i].start;
    }
    h->next_off = e;
    emit_data(o, dir, data, e - s);
    if (h->buf)
        buf_release(h->buf, h->next_off);
    check_depth(o, h);
}

static enum store_result store(const vg_stream_out_t *o, vg_stream_half_t *h, uint64_t s,
                               uint64_t e, const uint8_t *data, bool *overlap, bool *diff)
{
    vg_stream_buf_t *b = buf_get(o->ctx, h);
    if (!b || !buf_reserve(o->ctx, h, b, e))
        return STORE_MEMCAP;
    if (range_needs_slot(b, s, e) && !ranges_reserve(o->ctx, b))
        return STORE_FULL;
    seg_merge(b, s, e, data, true, overlap, diff);
    range_add(b, s, e);
    return STORE_OK;
}

static void count_overlap(const vg_stream_out_t *o, bool overlap, bool diff)
{
    if (overlap)
        o->ctx->stats[ST_OVERLAP]++;
    if (diff) {
        o->ctx->stats[ST_OVERLAP_DIFF_DATA]++;
        vg_stream_event(o, VG_SE_reassembly_overlap_different_data);
    }
}

/* Clip [*s, *e) to the stream start, the depth, the FIN and the window. False: nothing left. */
static bool clip_segment(const vg_stream_out_t *o, const vg_stream_half_t *h, int64_t start,
                         uint64_t len, uint64_t *s, uint64_t *e)
{
    int64_t end = start + (int64_t)len;
    if (start < 0)
        vg_stream_event(o, VG_SE_reassembly_segment_before_base_seq);
    if (end <= 0)
        return false;
    *s = start < 0 ? 0 : (uint64_t)start;
    *e = (uint64_t)end;
    uint32_t depth = o->ctx->cfg.reassembly_depth;
    if (depth && *e > depth)
        *e = depth;
    if (h->has_fin && *e > h->fin_off)
        *e = h->fin_off;
    uint64_t lim = h->next_off + o->ctx->cfg.window_limit;
    if (*s >= lim && *s < *e) {
        vg_stream_event(o, VG_SE_est_packet_out_of_window);
        return false;
    }
    *e = VG_MIN(*e, lim);
    return *s < *e;
}

void vg_stream_reasm_segment(const vg_stream_out_t *o, vg_stream_half_t *h, int dir, int64_t start,
                             const uint8_t *data, uint32_t len)
{
    uint64_t s, e;
    if (h->done || h->depth_reached || len == 0)
        return;
    /* A keep-alive repeats the last delivered byte, often with garbage: not a retransmission. */
    if (len == 1 && start + 1 == (int64_t)h->next_off)
        return;
    if (!clip_segment(o, h, start, len, &s, &e))
        return;
    data += (uint64_t)((int64_t)s - start);
    bool overlap = false, diff = false;
    if (s < h->next_off) {
        if (h->buf)
            seg_merge(h->buf, s, VG_MIN(e, h->next_off), data, false, &overlap, &diff);
        if (e <= h->next_off) {
            count_overlap(o, overlap, diff);
            if (!diff)
                vg_stream_event(o, VG_SE_pkt_retransmission);
            return;
        }
        data += h->next_off - s;
        s = h->next_off;
    }
    h->max_end = VG_MAX(h->max_end, e);
    enum store_result r = store(o, h, s, e, data, &overlap, &diff);
    count_overlap(o, overlap, diff);
    if (r != STORE_OK) {
        if (s == h->next_off) {
            deliver_direct(o, h, dir, s, e, data);
        } else {
            o->ctx->stats[r == STORE_MEMCAP ? ST_SEGMENT_MEMCAP_DROP : ST_INSERT_DATA_NORMAL_FAIL]++;
            return;
        }
    }
    deliver(o, h, dir);
}

/* Declare everything up to `to` that is not buffered as lost, delivering buffered ranges in
 * between. */
static void gap_to(const vg_stream_out_t *o, vg_stream_half_t *h, int dir, uint64_t to)
{
    uint32_t depth = o->ctx->cfg.reassembly_depth;
    if (depth && to > depth)
        to = depth;
    while (!h->depth_reached && h->next_off < to) {
        uint64_t before = h->next_off;
        vg_stream_buf_t *b = h->buf;
        uint64_t g = to;
        if (b) {
            uint32_t i = range_lower_bound(b, h->next_off + 1);
            if (i < b->n)
                g = VG_MIN(g, b->r[i].start);
        }
        if (g > h->next_off) {
            uint64_t len = g - h->next_off;
            h->next_off = g;
            o->ctx->stats[ST_REASSEMBLY_GAP]++;
            vg_stream_event(o, VG_SE_reassembly_seq_gap);
            if (o->cb && o->cb->gap)
                o->cb->gap(o->user, dir, (size_t)len);
            if (h->buf)
                buf_release(h->buf, h->next_off);
            check_depth(o, h);
        }
        deliver(o, h, dir);
        if (h->next_off == before)
            break; /* cannot happen with the range invariant; never spin on hostile state */
    }
}

static bool nothing_pending(const vg_stream_half_t *h)
{
    const vg_stream_buf_t *b = h->buf;
    return b->n == 0 || (b->n == 1 && b->r[0].end <= h->next_off);
}

void vg_stream_reasm_ack(const vg_stream_out_t *o, vg_stream_half_t *h, int dir, uint64_t ack_off)
{
    if (ack_off > h->acked_off)
        h->acked_off = ack_off;
    if (h->done || h->depth_reached)
        return;
    uint64_t data_end = ack_off;
    if (h->has_fin && data_end > h->fin_off)
        data_end = h->fin_off;
    if (data_end > h->next_off) {
        o->ctx->stats[ST_ACK_UNSEEN_DATA]++;
        gap_to(o, h, dir, data_end);
    }
    if (h->buf && h->acked_off >= h->next_off && nothing_pending(h))
        vg_stream_reasm_free(o->ctx, h);
}

void vg_stream_reasm_flush(const vg_stream_out_t *o, vg_stream_half_t *h, int dir)
{
    if (h->done)
        return;
    uint64_t target = h->max_end;
    if (h->has_fin)
        target = VG_MAX(target, h->fin_off);
    gap_to(o, h, dir, target);
    h->done = true;
    vg_stream_reasm_free(o->ctx, h);
}
