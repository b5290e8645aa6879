/* stream_tcp.c — the TCP session state machine, the context and the counters.
 *
 * Each packet is dispatched on the session state (Suricata's states and names). The handshake
 * states validate SYN / SYN-ACK / ACK against each other and report the anomalies Suricata
 * reports; from "established" on, every packet's payload goes to reassembly (stream_reasm.c) at
 * the offset its sequence number maps to, its ACK tells the other direction what the peer has
 * received, and FINs walk the close states. See docs/STREAM.md for the diagram and the policies.
 */
#include "stream/stream_int.h"

#include <stdlib.h>

static const char *const stat_names[] = {
    "tcp.sessions",
    "tcp.ssn_memcap_drop",
    "tcp.pseudo",
    "tcp.invalid_checksum",
    "tcp.syn",
    "tcp.synack",
    "tcp.rst",
    "tcp.midstream_pickups",
    "tcp.pkt_on_wrong_thread",
    "tcp.segment_memcap_drop",
    "tcp.stream_depth_reached",
    "tcp.reassembly_gap",
    "tcp.overlap",
    "tcp.overlap_diff_data",
    "tcp.insert_data_normal_fail",
    "tcp.ack_unseen_data",
    "tcp.memuse",
    "tcp.reassembly_memuse",
};
_Static_assert(VG_ARRAY_LEN(stat_names) == ST_MAX, "stat_names matches enum vg_stream_stat");

static const vg_stats_table_t stats_table = {stat_names, ST_MAX};

static const char *const state_names[] = {
    [VG_TCP_NONE] = "none",           [VG_TCP_SYN_SENT] = "syn_sent",
    [VG_TCP_SYN_RECV] = "syn_recv",   [VG_TCP_ESTABLISHED] = "established",
    [VG_TCP_FIN_WAIT1] = "fin_wait1", [VG_TCP_FIN_WAIT2] = "fin_wait2",
    [VG_TCP_TIME_WAIT] = "time_wait", [VG_TCP_LAST_ACK] = "last_ack",
    [VG_TCP_CLOSE_WAIT] = "close_wait", [VG_TCP_CLOSING] = "closing",
    [VG_TCP_CLOSED] = "closed",
};

#define SYNACK (VG_TCP_SYN | VG_TCP_ACK)

/* ------------------------------------------------------------------ context and sessions */

void vg_stream_config_defaults(vg_stream_config_t *cfg)
{
    *cfg = (vg_stream_config_t){
        .midstream = false,
        .async_oneside = false,
        .reassembly_depth = 1u << 20,
        .window_limit = 1u << 20,
        .max_ranges = 512,
        .memcap = 64ull << 20,
        .ssn_memcap = 32ull << 20,
    };
}

vg_stream_ctx_t *vg_stream_ctx_new(const vg_stream_config_t *cfg)
{
    vg_stream_ctx_t *ctx = vg_xcalloc(1, sizeof *ctx);
    if (cfg)
        ctx->cfg = *cfg;
    else
        vg_stream_config_defaults(&ctx->cfg);
    if (ctx->cfg.window_limit == 0)
        ctx->cfg.window_limit = 1u << 20;
    vg_spares_init(&ctx->spares, VG_STREAM_SPARE_MAX, VG_STREAM_SPARES_BYTES);
    return ctx;
}

void vg_stream_ctx_free(vg_stream_ctx_t *ctx)
{
    if (!ctx)
        return;
    vg_stream_reasm_spares_free(ctx);
    free(ctx);
}

vg_tcp_session_t *vg_stream_session_new(vg_stream_ctx_t *ctx)
{
    uint64_t cap = ctx->cfg.ssn_memcap;
    vg_tcp_session_t *s = NULL;
    if (cap == 0 || ctx->ssn_memuse + sizeof *s <= cap)
        s = calloc(1, sizeof *s);
    if (!s) {
        ctx->stats[ST_SSN_MEMCAP_DROP]++;
        return NULL;
    }
    ctx->ssn_memuse += sizeof *s;
    ctx->stats[ST_MEMUSE] = ctx->ssn_memuse;
    return s;
}

void vg_stream_session_free(vg_stream_ctx_t *ctx, vg_tcp_session_t *s)
{
    if (!s)
        return;
    vg_stream_reasm_free(ctx, &s->half[0]);
    vg_stream_reasm_free(ctx, &s->half[1]);
    ctx->ssn_memuse -= sizeof *s;
    ctx->stats[ST_MEMUSE] = ctx->ssn_memuse;
    free(s);
}

#define VG_SE_NAME_(n) "stream." #n,
static const char *const se_names[VG_SE_MAX] = {NULL, VG_STREAM_EVENT_LIST(VG_SE_NAME_)};
#undef VG_SE_NAME_

const char *vg_stream_event_name(uint16_t code)
{
    return code < VG_SE_MAX ? se_names[code] : NULL;
}

uint16_t vg_stream_event_by_name(const char *name)
{
    const char *bare = strncmp(name, "stream.", 7) ? name : name + 7;
    for (uint16_t c = 1; c < VG_SE_MAX; c++)
        if (!strcmp(se_names[c] + 7, bare))
            return c;
    return 0;
}

void vg_stream_event(const vg_stream_out_t *o, uint16_t code)
{
    if (o->cb && o->cb->event)
        o->cb->event(o->user, code);
}

/* ------------------------------------------------------------------ helpers */

static void half_sync(vg_stream_half_t *h, uint32_t base_seq)
{
    h->base_seq = base_seq;
    h->next_off = 0;
    h->synced = true;
}

static void half_syn(vg_stream_half_t *h, uint32_t isn)
{
    h->isn = isn;
    h->syn_seen = true;
    half_sync(h, isn + 1);
}

static void start_tracking(const vg_stream_out_t *o, vg_tcp_session_t *s, uint8_t state,
                           bool midstream)
{
    s->state = state;
    s->flags |= SSN_TRACKED | (midstream ? SSN_MIDSTREAM : 0);
    o->ctx->stats[ST_SESSIONS]++;
    if (midstream)
        o->ctx->stats[ST_MIDSTREAM_PICKUPS]++;
}

/* The connection is over (RST): what is buffered will never be completed. */
static void close_session(const vg_stream_out_t *o, vg_tcp_session_t *s)
{
    vg_stream_reasm_flush(o, &s->half[VG_STREAM_CLIENT], VG_STREAM_CLIENT);
    vg_stream_reasm_flush(o, &s->half[VG_STREAM_SERVER], VG_STREAM_SERVER);
    s->state = VG_TCP_CLOSED;
}

static int role_of(const vg_tcp_session_t *s, int dir)
{
    return (dir & 1) ^ ((s->flags & SSN_REVERSED) ? 1 : 0);
}

/* ------------------------------------------------------------------ established and closing */

/* The ACK of a packet sent by `role` tells what the peer direction has been received up to. */
static void on_ack(const vg_stream_out_t *o, vg_tcp_session_t *s, int role, uint32_t ack)
{
    vg_stream_half_t *peer = &s->half[!role];
    if (!peer->synced)
        return;
    int64_t a = vg_stream_seq_off(peer, ack);
    if (a < 0)
        return;
    if (peer->has_fin && (uint64_t)a > peer->fin_off)
        peer->fin_acked = true;
    vg_stream_reasm_ack(o, peer, !role, (uint64_t)a);
}

static void on_fin(vg_stream_half_t *h, int64_t fin_off)
{
    if (fin_off < 0 || h->has_fin)
        return;
    h->has_fin = true;
    h->fin_off = VG_MAX((uint64_t)fin_off, h->next_off);
}

/* Close states, as Suricata names them: the client closing first goes through fin_wait1/2, the
 * server closing first through close_wait/last_ack. */
/* The close states are named as Suricata names them, from the server's side: a FIN from the
 * client first is close_wait (then last_ack, closed), a FIN from the server first fin_wait1
 * (then fin_wait2 or closing, time_wait, closed). */
static void advance_close(vg_tcp_session_t *s, int role, bool fin_now)
{
    const vg_stream_half_t *c = &s->half[VG_STREAM_CLIENT], *sv = &s->half[VG_STREAM_SERVER];
    bool from_client = role == VG_STREAM_CLIENT;
    switch (s->state) {
    case VG_TCP_ESTABLISHED:
        if (fin_now)
            s->state = from_client ? VG_TCP_CLOSE_WAIT : VG_TCP_FIN_WAIT1;
        break;
    case VG_TCP_FIN_WAIT1:
        if (from_client && fin_now)
            s->state = sv->fin_acked ? VG_TCP_TIME_WAIT : VG_TCP_CLOSING;
        else if (from_client && sv->fin_acked)
            s->state = VG_TCP_FIN_WAIT2;
        break;
    case VG_TCP_FIN_WAIT2:
        if (from_client && fin_now)
            s->state = VG_TCP_TIME_WAIT;
        break;
    case VG_TCP_CLOSING:
        if (sv->fin_acked)
            s->state = VG_TCP_TIME_WAIT;
        break;
    case VG_TCP_CLOSE_WAIT:
        if (!from_client && fin_now)
            s->state = VG_TCP_LAST_ACK;
        break;
    case VG_TCP_LAST_ACK:
        if (sv->fin_acked)
            s->state = VG_TCP_CLOSED;
        break;
    default:
        break;
    }
    if (s->state == VG_TCP_TIME_WAIT && c->fin_acked && sv->fin_acked)
        s->state = VG_TCP_CLOSED;
}

/* A RST whose ack Vigil rejects: Suricata's ack validation raises pkt_invalid_ack, then its RST
 * check rst_invalid_ack. (Suricata judges the ack of other packets too, raising pkt_invalid_ack
 * and the state's own *_invalid_ack event; Vigil does not: partial.) */
static void rst_invalid_ack(const vg_stream_out_t *o)
{
    vg_stream_event(o, VG_SE_pkt_invalid_ack);
    vg_stream_event(o, VG_SE_rst_invalid_ack);
}

/* RST: accepted unless it acknowledges data the peer never sent (a blind reset guess). */
static void on_rst(const vg_stream_out_t *o, vg_tcp_session_t *s, const vg_packet_t *p, int role)
{
    const vg_stream_half_t *peer = &s->half[!role];
    if ((p->tcp_flags & VG_TCP_ACK) && peer->synced) {
        int64_t a = vg_stream_seq_off(peer, p->tcp_ack);
        if (a < 0 || (uint64_t)a > VG_MAX(peer->max_end, peer->next_off) + 1) {
            rst_invalid_ack(o);
            return;
        }
    }
    close_session(o, s);
}

static void syn_in_session(const vg_stream_out_t *o, const vg_tcp_session_t *s,
                           const vg_packet_t *p, int role)
{
    const vg_stream_half_t *c = &s->half[VG_STREAM_CLIENT], *sv = &s->half[VG_STREAM_SERVER];
    bool synack = (p->tcp_flags & SYNACK) == SYNACK;
    uint16_t ev;
    if (s->state != VG_TCP_ESTABLISHED)
        ev = VG_SE_shutdown_syn_resend;
    else if (role == VG_STREAM_CLIENT)
        ev = synack ? VG_SE_est_synack_toserver
             : (!c->syn_seen || p->tcp_seq == c->isn) ? VG_SE_est_syn_resend
                                                      : VG_SE_est_syn_resend_diff_seq;
    else if (!synack)
        ev = VG_SE_est_syn_toclient;
    /* a server's SYN-ACK, in Suricata's order: an ack other than the server's last ack, a
     * sequence number other than its ISN, else a resend — an event only once the server has
     * sent an ACK in the session (Suricata's 3WHS_CONFIRMED): before, a SYN-ACK resent because
     * the client's ACK was lost is normal */
    else if (c->syn_seen && p->tcp_ack != (uint32_t)(c->base_seq + c->acked_off))
        ev = VG_SE_est_synack_resend_with_different_ack;
    else if (sv->syn_seen && p->tcp_seq != sv->isn)
        ev = VG_SE_est_synack_resend_with_diff_seq;
    else if (s->flags & SSN_3WHS_CONFIRMED)
        ev = VG_SE_est_synack_resend;
    else
        return;
    vg_stream_event(o, ev);
}

static void handle_established(const vg_stream_out_t *o, vg_tcp_session_t *s,
                               const vg_packet_t *p, int role)
{
    uint8_t fl = p->tcp_flags;
    if (fl & VG_TCP_RST) {
        on_rst(o, s, p, role);
        return;
    }
    if (fl & VG_TCP_SYN) {
        syn_in_session(o, s, p, role);
        return;
    }
    if (role == VG_STREAM_SERVER && (fl & VG_TCP_ACK) && !(fl & VG_TCP_FIN))
        s->flags |= SSN_3WHS_CONFIRMED; /* the server's first ACK in the session (Suricata) */
    vg_stream_half_t *h = &s->half[role];
    if (!h->synced)
        half_sync(h, p->tcp_seq);
    int64_t off = vg_stream_seq_off(h, p->tcp_seq);
    if (p->payload_len && p->payload)
    {
        vg_stream_reasm_segment(o, h, role, off, p->payload, p->payload_len);
        s->flags |= SSN_PKT_ADDED;
    }
    if (fl & VG_TCP_ACK)
        on_ack(o, s, role, p->tcp_ack);
    if (fl & VG_TCP_FIN)
        on_fin(h, off + p->payload_len);
    advance_close(s, role, (fl & VG_TCP_FIN) != 0);
}

/* ------------------------------------------------------------------ handshake */

static void handle_none(const vg_stream_out_t *o, vg_tcp_session_t *s, const vg_packet_t *p,
                        int dir)
{
    const vg_stream_config_t *cfg = &o->ctx->cfg;
    uint8_t fl = p->tcp_flags;
    if (fl & VG_TCP_RST) {
        vg_stream_event(o, VG_SE_rst_but_no_session);
        return;
    }
    if ((fl & SYNACK) == VG_TCP_SYN) {
        /* The SYN's sender is the client, whichever side the flow thinks started. */
        if (dir == 1)
            s->flags |= SSN_REVERSED;
        half_syn(&s->half[VG_STREAM_CLIENT], p->tcp_seq);
        start_tracking(o, s, VG_TCP_SYN_SENT, false);
        /* TCP Fast Open: data on the SYN is the stream's first bytes (ISN+1 on), as Suricata
         * queues it; the SYN-ACK may then acknowledge it. */
        if (p->payload_len && p->payload) {
            vg_stream_reasm_segment(o, &s->half[VG_STREAM_CLIENT], VG_STREAM_CLIENT, 0,
                                    p->payload, p->payload_len);
            s->flags |= SSN_PKT_ADDED;
        }
        return;
    }
    if ((fl & SYNACK) == SYNACK) {
        if (!cfg->midstream && !cfg->async_oneside)
            return;
        if (dir == 0)
            s->flags |= SSN_REVERSED;
        half_syn(&s->half[VG_STREAM_SERVER], p->tcp_seq);
        half_sync(&s->half[VG_STREAM_CLIENT], p->tcp_ack);
        start_tracking(o, s, VG_TCP_SYN_RECV, true);
        return;
    }
    if (fl & VG_TCP_FIN)
        vg_stream_event(o, VG_SE_fin_but_no_session);
    if (!(fl & VG_TCP_ACK) || !cfg->midstream)
        return;
    /* Midstream: the flow's view of who started is all we have. */
    half_sync(&s->half[dir], p->tcp_seq);
    half_sync(&s->half[!dir], p->tcp_ack);
    start_tracking(o, s, VG_TCP_ESTABLISHED, true);
    handle_established(o, s, p, dir);
}

/* Whether `seq` is where the client's SYN ends: ISN+1, or with TCP Fast Open also after the
 * SYN's data (what a SYN-ACK acknowledges, and where the client's next segment starts). */
static bool at_syn_end(const vg_stream_half_t *c, uint32_t seq)
{
    int64_t off = vg_stream_seq_off(c, seq);
    return off == 0 || (off > 0 && (uint64_t)off == VG_MAX(c->max_end, c->next_off));
}

static void handle_syn_sent(const vg_stream_out_t *o, vg_tcp_session_t *s, const vg_packet_t *p,
                            int role)
{
    vg_stream_half_t *c = &s->half[VG_STREAM_CLIENT];
    uint8_t fl = p->tcp_flags;
    if (fl & VG_TCP_RST) {
        /* As Suricata 7 handles a RST here: the server's must acknowledge the SYN (ISN+1), or
         * it is invalid and ignored. The client's is invalid when it acknowledges something
         * other than ISN+1 (nothing came from the server to acknowledge); a valid one closes
         * the session only in the form some stacks abort a connect (sequence number the ISN,
         * window 0, ack ISN+1) and is otherwise ignored: the session stays in syn_sent. */
        if (role == VG_STREAM_SERVER) {
            /* Suricata's RST check (its default, BSD, policy) also wants the sequence number
             * the server's next one: none is known yet (0), unless the server sent a SYN */
            const vg_stream_half_t *sv = &s->half[VG_STREAM_SERVER];
            uint32_t next = sv->syn_seen ? sv->isn + 1 : 0;
            if ((fl & VG_TCP_ACK) && p->tcp_ack != c->isn + 1)
                rst_invalid_ack(o);
            else if (p->tcp_seq == next)
                close_session(o, s);
        } else if ((fl & VG_TCP_ACK) && p->tcp_ack != 0 && p->tcp_ack != c->isn + 1) {
            rst_invalid_ack(o);
        } else if (p->tcp_seq == c->isn && p->tcp_win == 0 && p->tcp_ack == c->isn + 1) {
            close_session(o, s);
        }
        return;
    }
    if (role == VG_STREAM_CLIENT) {
        if ((fl & SYNACK) == SYNACK && (s->flags & SSN_4WHS)) {
            /* split handshake, step 3: the client's SYN-ACK to the server's SYN */
            const vg_stream_half_t *sv = &s->half[VG_STREAM_SERVER];
            if (p->tcp_ack != sv->isn + 1)
                vg_stream_event(o, VG_SE_4whs_synack_with_wrong_ack);
            else if (p->tcp_seq != c->isn)
                vg_stream_event(o, VG_SE_4whs_synack_with_wrong_syn);
            else
                s->state = VG_TCP_SYN_RECV;
        } else if ((fl & SYNACK) == SYNACK) {
            vg_stream_event(o, VG_SE_3whs_synack_in_wrong_direction);
        } else if (fl & VG_TCP_SYN) {
            /* a new attempt: follow the latest ISN, unless data of the first SYN (TCP Fast
             * Open) was delivered already — it cannot be taken back */
            if (p->tcp_seq != c->isn && c->next_off == 0 && !c->buf)
                half_syn(c, p->tcp_seq);
        } else if ((fl & VG_TCP_ACK) && o->ctx->cfg.async_oneside) {
            half_sync(&s->half[VG_STREAM_SERVER], p->tcp_ack);
            s->state = VG_TCP_ESTABLISHED;
            handle_established(o, s, p, role);
        }
        return;
    }
    if ((fl & SYNACK) == VG_TCP_SYN) {
        /* The server answers the SYN with a SYN of its own: a split handshake (SYN, SYN,
         * SYN-ACK from the client, ACK from the server), as Suricata follows it ("4WHS"); the
         * roles stay as the first SYN set them. */
        half_syn(&s->half[VG_STREAM_SERVER], p->tcp_seq);
        s->flags |= SSN_4WHS;
        return;
    }
    if ((fl & SYNACK) != SYNACK)
        return; /* server data before its SYN-ACK: ignored */
    int64_t acked = vg_stream_seq_off(c, p->tcp_ack);
    if (!at_syn_end(c, p->tcp_ack)) {
        vg_stream_event(o, VG_SE_3whs_synack_with_wrong_ack);
        return;
    }
    half_syn(&s->half[VG_STREAM_SERVER], p->tcp_seq);
    s->state = VG_TCP_SYN_RECV;
    s->flags &= (uint8_t)~SSN_4WHS; /* a SYN-ACK after all: the 3-way handshake goes on */
    if (acked > 0)
        vg_stream_reasm_ack(o, c, VG_STREAM_CLIENT, (uint64_t)acked);
}

static void syn_recv_from_server(const vg_stream_out_t *o, vg_tcp_session_t *s,
                                 const vg_packet_t *p)
{
    const vg_stream_half_t *c = &s->half[VG_STREAM_CLIENT], *sv = &s->half[VG_STREAM_SERVER];
    uint8_t fl = p->tcp_flags;
    if ((fl & SYNACK) == SYNACK) {
        if (p->tcp_seq != sv->isn)
            vg_stream_event(o, VG_SE_3whs_synack_resend_with_diff_seq);
        else if (!at_syn_end(c, p->tcp_ack))
            vg_stream_event(o, VG_SE_3whs_synack_resend_with_different_ack);
    } else if (fl & VG_TCP_SYN) {
        vg_stream_event(o, VG_SE_3whs_syn_toclient_on_syn_recv);
    } else if (fl & VG_TCP_ACK) {
        vg_stream_event(o, VG_SE_3whs_ack_in_wrong_dir);
    }
}

static void handle_syn_recv(const vg_stream_out_t *o, vg_tcp_session_t *s, const vg_packet_t *p,
                            int role)
{
    vg_stream_half_t *c = &s->half[VG_STREAM_CLIENT], *sv = &s->half[VG_STREAM_SERVER];
    uint8_t fl = p->tcp_flags;
    if (fl & VG_TCP_RST) {
        on_rst(o, s, p, role);
        return;
    }
    if (s->flags & SSN_4WHS) {
        /* split handshake, step 4: the server's ACK of the client's SYN-ACK */
        if (role != VG_STREAM_SERVER || (fl & VG_TCP_SYN) || !(fl & VG_TCP_ACK))
            return;
        if (!at_syn_end(c, p->tcp_ack)) {
            vg_stream_event(o, VG_SE_4whs_invalid_ack);
            return;
        }
        if (p->tcp_seq != sv->base_seq) {
            vg_stream_event(o, VG_SE_4whs_wrong_seq);
            return;
        }
        s->state = VG_TCP_ESTABLISHED;
        s->flags |= SSN_HANDSHAKE;
        handle_established(o, s, p, role);
        return;
    }
    if (role == VG_STREAM_SERVER) {
        syn_recv_from_server(o, s, p);
        return;
    }
    if ((fl & SYNACK) == SYNACK) {
        vg_stream_event(o, VG_SE_3whs_synack_toserver_on_syn_recv);
        return;
    }
    if (fl & VG_TCP_SYN) {
        if (c->syn_seen && p->tcp_seq != c->isn)
            vg_stream_event(o, VG_SE_3whs_syn_resend_diff_seq_on_syn_recv);
        return;
    }
    if (!(fl & VG_TCP_ACK))
        return;
    bool ack_ok = p->tcp_ack == sv->isn + 1;
    bool seq_ok = at_syn_end(c, p->tcp_seq);
    if (!ack_ok) {
        vg_stream_event(o, seq_ok ? VG_SE_3whs_right_seq_wrong_ack_evasion
                                  : VG_SE_3whs_wrong_seq_wrong_ack);
        return;
    }
    s->state = VG_TCP_ESTABLISHED;
    if (c->syn_seen && !(s->flags & SSN_MIDSTREAM))
        s->flags |= SSN_HANDSHAKE;
    handle_established(o, s, p, role);
}

/* ------------------------------------------------------------------ entry points */

static void count_flags(vg_stream_ctx_t *ctx, uint8_t fl)
{
    if ((fl & SYNACK) == VG_TCP_SYN)
        ctx->stats[ST_SYN]++;
    else if ((fl & SYNACK) == SYNACK)
        ctx->stats[ST_SYNACK]++;
    if (fl & VG_TCP_RST)
        ctx->stats[ST_RST]++;
}

void vg_stream_packet(vg_stream_ctx_t *ctx, vg_tcp_session_t *s, const vg_packet_t *p, int dir,
                      const vg_stream_cb_t *cb, void *user)
{
    if (s)
        s->flags &= (uint8_t)~SSN_PKT_ADDED;
    if (!s || p->proto != 6 || (p->flags & (VG_PKT_INVALID | VG_PKT_FRAGMENT)))
        return;
    if (p->flags & VG_PKT_L4_CSUM_BAD) {
        ctx->stats[ST_INVALID_CHECKSUM]++;
        return;
    }
    dir &= 1;
    const vg_stream_out_t o = {ctx, cb, user};
    uint8_t fl = p->tcp_flags;
    count_flags(ctx, fl);
    if (!(s->flags & SSN_ENDED)) {
        if (!(fl & (VG_TCP_ACK | VG_TCP_RST)) && p->tcp_ack != 0)
            vg_stream_event(&o, VG_SE_pkt_broken_ack);
        switch (s->state) {
        case VG_TCP_NONE:
            handle_none(&o, s, p, dir);
            break;
        case VG_TCP_SYN_SENT:
            handle_syn_sent(&o, s, p, role_of(s, dir));
            break;
        case VG_TCP_SYN_RECV:
            handle_syn_recv(&o, s, p, role_of(s, dir));
            break;
        case VG_TCP_CLOSED:
            break;
        default:
            handle_established(&o, s, p, role_of(s, dir));
            break;
        }
    }
    s->half[role_of(s, dir)].flags_seen |= fl;
}

void vg_stream_flow_end(vg_stream_ctx_t *ctx, vg_tcp_session_t *s, const vg_stream_cb_t *cb,
                        void *user)
{
    if (!s || (s->flags & SSN_ENDED))
        return;
    const vg_stream_out_t o = {ctx, cb, user};
    if (s->flags & SSN_TRACKED) {
        vg_stream_reasm_flush(&o, &s->half[VG_STREAM_CLIENT], VG_STREAM_CLIENT);
        vg_stream_reasm_flush(&o, &s->half[VG_STREAM_SERVER], VG_STREAM_SERVER);
    }
    s->flags |= SSN_ENDED;
}

/* ------------------------------------------------------------------ queries */

bool vg_stream_handshake_complete(const vg_tcp_session_t *s)
{
    return (s->flags & SSN_HANDSHAKE) != 0;
}

bool vg_stream_is_midstream(const vg_tcp_session_t *s)
{
    return (s->flags & SSN_MIDSTREAM) != 0;
}

bool vg_stream_is_reversed(const vg_tcp_session_t *s)
{
    return (s->flags & SSN_REVERSED) != 0;
}

bool vg_stream_is_tracked(const vg_tcp_session_t *s)
{
    return (s->flags & SSN_TRACKED) != 0;
}

const char *vg_stream_state_name(const vg_tcp_session_t *s)
{
    return s->state < VG_ARRAY_LEN(state_names) ? state_names[s->state] : "none";
}

uint8_t vg_stream_tcp_flags(const vg_tcp_session_t *s, int dir)
{
    return s->half[dir & 1].flags_seen;
}

uint64_t vg_stream_size(const vg_tcp_session_t *s, int dir)
{
    const vg_stream_half_t *h = &s->half[dir & 1];
    return h->synced ? h->next_off + 1 + (h->has_fin && h->fin_acked) : 0;
}

enum vg_stream_timeout_class vg_stream_timeout_class(const vg_tcp_session_t *s)
{
    switch (s->state) {
    case VG_TCP_NONE:
    case VG_TCP_SYN_SENT:
    case VG_TCP_SYN_RECV:
        return VG_STREAM_TIMEOUT_NEW;
    case VG_TCP_LAST_ACK:
    case VG_TCP_TIME_WAIT:
    case VG_TCP_CLOSED:
        return VG_STREAM_TIMEOUT_CLOSED;
    default:
        return VG_STREAM_TIMEOUT_ESTABLISHED;
    }
}

const vg_stats_table_t *vg_stream_stats_table(void)
{
    return &stats_table;
}

const uint64_t *vg_stream_stats_values(const vg_stream_ctx_t *ctx)
{
    return ctx->stats;
}

uint64_t vg_stream_acked(const vg_tcp_session_t *s, int role)
{
    return s->half[role & 1].acked_off;
}

bool vg_stream_closing(const vg_tcp_session_t *s)
{
    return s->state > VG_TCP_ESTABLISHED;
}

bool vg_stream_pkt_added(const vg_tcp_session_t *s)
{
    return s->flags & SSN_PKT_ADDED;
}
