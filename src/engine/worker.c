/* worker.c — one worker thread: decode, flow tracking and event formatting for its share of the
 * traffic. Everything here is single-threaded per worker; the only shared things are the event
 * queue and the stats snapshot (both behind their own mutexes). */
#include "engine/engine_int.h"
#include "engine/worker_app.h"
#include "engine/engine_behave.h"
#include "capture/capture.h"
#include "common/common.h"
#include "common/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* --- event lines --- */

void worker_ev_begin(worker_t *w)
{
    if (!w->cur)
        w->cur = evq_get_free(&w->run->evq);
    vg_jw_init(&w->jw, &w->cur->buf);
}

void worker_ev_end(worker_t *w)
{
    vg_buf_putc(&w->cur->buf, '\n');
    w->cur->n_events++;
    w->counters[W_EVENTS]++;
    if (w->cur->buf.len >= EVBLOCK_FLUSH) {
        evq_submit(&w->run->evq, w->cur);
        w->cur = NULL;
    }
}

/* The "evidence" event: a flow's (or a flowless packet's) evidence file is complete (written,
 * closed, hashed); the ledger records it when the output thread reaches this line. */
void worker_log_evidence(worker_t *w, const vg_flow_t *f, const vg_packet_t *p,
                         const vg_evid_sealed_t *s)
{
    worker_ev_begin(w);
    if (f)
        vg_eve_begin_flow(&w->jw, &w->run->eve, "evidence",
                          w->cur_pkt ? w->cur_pkt->ts : f->last, f, 0, 0, NULL);
    else
        vg_eve_begin_packet(&w->jw, &w->run->eve, "evidence", p);
    vg_jw_key(&w->jw, "evidence");
    vg_jw_obj_open(&w->jw);
    vg_jw_kv_str(&w->jw, "file", s->file);
    vg_jw_kv_str(&w->jw, "sha256", s->sha256);
    vg_jw_kv_uint(&w->jw, "size", s->size);
    vg_jw_kv_uint(&w->jw, "packets", s->packets);
    vg_jw_kv_bool(&w->jw, "truncated", s->truncated);
    if (s->ring_dropped)
        vg_jw_kv_uint(&w->jw, "ring_dropped", s->ring_dropped);
    if (s->write_error)
        vg_jw_kv_bool(&w->jw, "write_error", true);
    vg_jw_obj_close(&w->jw);
    vg_jw_obj_close(&w->jw);
    worker_ev_end(w);
}

static void on_flow_end(void *user, vg_flow_t *f, enum vg_flow_end_reason reason)
{
    worker_t *w = user;
    wapp_flow_end(w, f); /* leaves the flow's traffic tags in w->traffic (w->traffic_set) */
    bool traffic = w->traffic_set, metadata = w->metadata_set;
    vg_evid_sealed_t sealed;
    if (w->evid && vg_evid_flow_end(w->evid, &f->evidence, &sealed))
        worker_log_evidence(w, f, NULL, &sealed);
    if (w->run->behave && !f->tunnel)
        engine_behave_flow(w, f);
    if (w->run->log_flow) {
        worker_ev_begin(w);
        vg_eve_flow(&w->jw, &w->run->eve, f, reason, wapp_app_proto_name(f),
                    wapp_app_proto_orig_name(w), wapp_tcp_state(f),
                    traffic ? (const char *)w->traffic.data : NULL, traffic ? w->traffic.len : 0,
                    metadata ? (const char *)w->metadata.data : NULL,
                    metadata ? w->metadata.len : 0);
        worker_ev_end(w);
        w->counters[W_FLOW_EVENTS]++;
    }
    if (f->tcp) {
        vg_stream_session_free(w->stream, f->tcp);
        f->tcp = NULL;
    }
}

/* --- packets --- */

static void log_decode_anomalies(worker_t *w, const vg_packet_t *p)
{
    char name[96];
    for (uint8_t i = 0; i < p->n_events; i++) {
        w->counters[W_ANOMALIES]++;
        if (!w->run->log_anomaly)
            continue;
        snprintf(name, sizeof name, "decoder.%s", vg_decode_event_name(p->events[i]));
        worker_ev_begin(w);
        vg_eve_anomaly_packet(&w->jw, &w->run->eve, p, "decode", name);
        worker_ev_end(w);
    }
}

/* Whether a decoded packet goes on to the flow table (and what it would look up). An invalid
 * packet (malformed header) gets no flow, as in Suricata: its addresses or ports cannot be
 * trusted. It was counted and logged as an anomaly. */
static bool wants_flow(const worker_t *w, const vg_packet_t *p, enum vg_decode_result dr)
{
    return dr != VG_DECODE_HELD && !(p->flags & VG_PKT_INVALID) &&
           w->run->opts->stage != VG_STAGE_DECODE && (p->ip_ver == 4 || p->ip_ver == 6);
}

/* A packet that came through a UDP tunnel (VXLAN, Geneve, Teredo) also counts in the tunnel's
 * own UDP flow, as Suricata keeps it (a flow event with app_proto "failed"). Only counted: the
 * outer packet is not inspected by the rules (Suricata inspects it as a packet of its own;
 * docs/DECODE.md), nor seen by the behavioural detectors (a mirror tunnel is not a flood). Its
 * header was checked by the decoder on the way in. */
static void tunnel_flow(worker_t *w, const vg_packet_t *p)
{
    const uint8_t *ip = p->data + p->tun_l3 - 1;
    size_t n = p->caplen - (size_t)(p->tun_l3 - 1);
    vg_packet_t o;
    memset(&o, 0, sizeof o);
    size_t l4;
    if (n >= 20 && ip[0] >> 4 == 4) {
        o.ip_ver = 4;
        memcpy(o.src.b, ip + 12, 4);
        memcpy(o.dst.b, ip + 16, 4);
        l4 = (size_t)(ip[0] & 0x0F) * 4;
    } else if (n >= 40 && ip[0] >> 4 == 6 && ip[6] == 17) {
        o.ip_ver = 6;
        memcpy(o.src.b, ip + 8, 16);
        memcpy(o.dst.b, ip + 24, 16);
        l4 = 40;
    } else {
        return; /* an IPv6 extension header before the UDP header: not followed here */
    }
    if (l4 < 20 || n < l4 + 8)
        return;
    o.proto = 17;
    o.sp = (uint16_t)(ip[l4] << 8 | ip[l4 + 1]);
    o.dp = (uint16_t)(ip[l4 + 2] << 8 | ip[l4 + 3]);
    o.ts = p->ts;
    o.pcap_cnt = p->pcap_cnt;
    o.wirelen = p->wirelen;
    o.caplen = p->caplen; /* the whole frame counts in the tunnel's flow */
    o.n_vlan = p->tun_n_vlan;
    memcpy(o.vlan, p->vlan, sizeof o.vlan[0] * p->tun_n_vlan);
    int dir;
    vg_flow_t *f = vg_flow_lookup_hash(w->flows, &o, vg_flow_key_hash(&o), &dir);
    if (f) {
        f->tunnel = true;
        f->app_proto = VG_APP_FAILED;
    }
}

/* Everything after decoding; hash is vg_flow_key_hash(p) when wants_flow(). */
static void process_decoded(worker_t *w, vg_packet_t *p, enum vg_decode_result dr, uint32_t hash)
{
    log_decode_anomalies(w, p);
    if (!wants_flow(w, p, dr)) {
        if (p->n_events && w->run->opts->stage == VG_STAGE_ALL)
            wapp_packet_decoder(w, p);
        return;
    }
    if (p->tun_l3)
        tunnel_flow(w, p);
    int dir;
    vg_flow_t *f = vg_flow_lookup_hash(w->flows, p, hash, &dir);
    if (!f) { /* an ICMP error that joined no flow, or no memory: still inspected, as Suricata */
        if (w->run->opts->stage != VG_STAGE_FLOW)
            wapp_packet_noflow(w, p);
        return;
    }
    if (dir == 0 && f->pkts[0] == 1 && !f->pkts[1] && !f->tcp && p->proto == f->proto &&
        wapp_server_first(w, f, p)) {
        vg_flow_swap(w->flows, f); /* the first packet is the server's: it is to_client */
        dir = 1;
    }
    vg_evid_sealed_t sealed;
    if (w->evid && vg_evid_packet(w->evid, &f->evidence, p, &sealed))
        worker_log_evidence(w, f, NULL, &sealed);
    if (w->run->opts->stage != VG_STAGE_FLOW)
        wapp_packet(w, f, p, dir);
    if (w->evid && f->state == VG_FLOW_CLOSED)
        vg_evid_flow_closed(w->evid, &f->evidence);
}

static void process_packet(worker_t *w, vg_packet_t *p)
{
    enum vg_decode_result dr = vg_decode_packet(w->dec, p);
    process_decoded(w, p, dr, wants_flow(w, p, dr) ? vg_flow_key_hash(p) : 0);
}

/* A batch, decoded AHEAD packets ahead of the rest of the processing so that the flow table's
 * cache lines for a packet can be fetched while the packets before it are processed: its bucket
 * when it is decoded, the bucket's first flow AHEAD/2 packets later, the second AHEAD/4 packets
 * before its lookup (vg_flow_prefetch). Decoding needs nothing from
 * the later stages, and each packet's anomalies and flow work are still done in packet order, so
 * the events are the same, in the same order. One exception: a reassembled IP datagram lives in
 * the decoder's buffer until its next call, so decoding stops there until it was processed. */
#define AHEAD 8
#define RING (2 * AHEAD) /* a power of two > AHEAD */

static void process_batch(worker_t *w, const batch_t *b)
{
    struct ahead {
        vg_packet_t p;
        enum vg_decode_result dr;
        bool flow;
        uint32_t hash;
    } q[RING];
    uint32_t n = b->n, dec = 0, hold = UINT32_MAX; /* hold: a reassembled packet's index */
    for (uint32_t i = 0; i < n; i++) {
        while (dec < n && dec < i + AHEAD && hold == UINT32_MAX) {
            const pkt_slot_t *s = &b->p[dec];
            struct ahead *a = &q[dec % RING];
            memset(&a->p, 0, sizeof a->p);
            a->p.ts = s->ts;
            a->p.pcap_cnt = s->pcap_cnt;
            a->p.data = b->data + s->off;
            a->p.caplen = s->caplen;
            a->p.wirelen = s->wirelen;
            a->p.linktype = s->linktype;
            a->p.file_idx = s->file_idx;
            a->p.file_span = s->file_span;
            a->p.file_off = s->file_off;
            a->dr = vg_decode_packet(w->dec, &a->p);
            a->flow = wants_flow(w, &a->p, a->dr);
            if (a->flow) {
                a->hash = vg_flow_key_hash(&a->p);
                vg_flow_prefetch(w->flows, a->hash, 0);
            }
            if (a->p.flags & VG_PKT_REASSEMBLED)
                hold = dec;
            dec++;
        }
        for (int step = 1; step <= 2; step++) {
            uint32_t k = i + (AHEAD >> step);
            if (k < dec && q[k % RING].flow)
                vg_flow_prefetch(w->flows, q[k % RING].hash, step);
        }
        struct ahead *a = &q[i % RING];
        if (a->p.ts > w->now)
            w->now = a->p.ts;
        process_decoded(w, &a->p, a->dr, a->hash);
        if (hold == i)
            hold = UINT32_MAX;
    }
}

static void snapshot_if_asked(worker_t *w)
{
    unsigned e = atomic_load_explicit(&w->run->stats_epoch, memory_order_relaxed);
    if (e == w->snap_epoch)
        return;
    pthread_mutex_lock(&w->snap_mu);
    worker_collect(w, w->snap);
    w->snap_epoch = e;
    pthread_mutex_unlock(&w->snap_mu);
}

/* Time moves to t (packet time, or the wall clock on a quiet link): flows and fragments time
 * out; live, the events so far go to the output thread. */
static void worker_tick(worker_t *w, vg_time_t t)
{
    if (t > w->now)
        w->now = t;
    vg_flow_table_tick(w->flows, t);
    vg_decode_tick(w->dec, t);
    if (w->run->behave)
        engine_behave_epoch(w);
    if (w->run->live && w->cur && w->cur->buf.len) {
        evq_submit(&w->run->evq, w->cur);
        w->cur = NULL;
    }
}

static void worker_publish(worker_t *w)
{
    snapshot_if_asked(w);
    atomic_store_explicit(&w->prog_flows, w->counters[W_FLOW_EVENTS], memory_order_relaxed);
    atomic_store_explicit(&w->prog_alerts, w->counters[W_ALERTS], memory_order_relaxed);
}

/* Direct capture: this worker reads its own sockets (part w->id of the capture) in place. Rule
 * sets are picked up between two packets. Time ticks at each new second of this worker's packet
 * time and, on a quiet link, of the wall clock (kernel timestamps are wall clock too). */
static void worker_direct(worker_t *w)
{
    run_t *r = w->run;
    vg_time_t tick_sec = 0, last = 0;
    uint64_t n = 0, bytes = 0;
    vg_packet_t p;
    for (;;) {
        unsigned g = atomic_load_explicit(&r->detect_gen, memory_order_acquire);
        if (g != w->detect_gen)
            wapp_detect_swap(w, g);
        enum vg_capture_result cr = vg_capture_next_part(r->cap, w->id, &p);
        if (cr == VG_CAPTURE_END)
            break;
        if (cr != VG_CAPTURE_OK) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            vg_time_t now = (vg_time_t)ts.tv_sec * VG_USEC_PER_SEC + (vg_time_t)(ts.tv_nsec / 1000);
            if (now / VG_USEC_PER_SEC > tick_sec && now > w->now) {
                worker_tick(w, now);
                tick_sec = now / VG_USEC_PER_SEC;
            }
            worker_publish(w);
            continue;
        }
        vg_time_t sec = p.ts / VG_USEC_PER_SEC;
        if (sec > tick_sec) {
            if (tick_sec)
                worker_tick(w, p.ts);
            tick_sec = sec;
        }
        if (!w->rx_first_ts || p.ts < w->rx_first_ts)
            w->rx_first_ts = p.ts;
        last = VG_MAX(last, p.ts);
        if (p.ts > w->now)
            w->now = p.ts;
        n++;
        bytes += p.wirelen;
        if (r->opts->stage != VG_STAGE_READ)
            process_packet(w, &p);
        if ((n & 63) == 0) {
            atomic_store_explicit(&w->rx_packets, n, memory_order_relaxed);
            atomic_store_explicit(&w->rx_bytes, bytes, memory_order_relaxed);
            atomic_store_explicit(&w->rx_last_ts, last, memory_order_relaxed);
            worker_publish(w);
        }
    }
    atomic_store(&w->rx_packets, n);
    atomic_store(&w->rx_bytes, bytes);
    atomic_store(&w->rx_last_ts, last);
}

static void *worker_main(void *arg)
{
    worker_t *w = arg;
    char name[16];
    snprintf(name, sizeof name, "vg-worker%u", w->id);
    pthread_setname_np(pthread_self(), name);
    if (w->run->direct)
        worker_direct(w);
    batch_t *b;
    while (!w->run->direct && (b = vg_ring_pop(w->in)) != NULL) {
        if (b->gen != w->detect_gen) /* a rule reload: switch between batches */
            wapp_detect_swap(w, b->gen);
        process_batch(w, b);
        if (b->has_tick)
            worker_tick(w, b->tick);
        vg_ring_push(w->back, b);
        worker_publish(w);
    }
    /* End of input: every remaining flow ends with reason "shutdown", as Suricata does. */
    vg_flow_table_flush(w->flows, VG_FLOW_END_SHUTDOWN);
    if (w->run->behave)
        engine_behave_close(w);
    if (w->cur && w->cur->buf.len) {
        evq_submit(&w->run->evq, w->cur);
        w->cur = NULL;
    }
    pthread_mutex_lock(&w->snap_mu);
    worker_collect(w, w->snap);
    pthread_mutex_unlock(&w->snap_mu);
    evq_producer_done(&w->run->evq);
    atomic_fetch_add(&w->run->workers_done, 1);
    return NULL;
}

void worker_collect(const worker_t *w, uint64_t *out)
{
    const stats_merge_t *sm = &w->run->sm;
    memset(out, 0, sm->n * sizeof *out);
    const uint64_t *vals[SRC_N] = {
        [SRC_DECODE] = vg_decode_stats_values(w->dec),
        [SRC_FLOW] = vg_flow_stats_values(w->flows),
        [SRC_STREAM] = vg_stream_stats_values(w->stream),
        [SRC_APP] = w->app_counters,
        [SRC_DETECT] = w->detect ? vg_detect_stats_values(w->detect) : NULL,
        [SRC_EVIDENCE] = w->evid ? vg_evid_stats_values(w->evid) : NULL,
        [SRC_BEHAVE] = NULL, /* the behave thread's, added by the output side */
    };
    for (int s = 0; s < SRC_N; s++)
        for (size_t i = 0; vals[s] && i < sm->src[s]->n; i++)
            out[sm->map[s][i]] += vals[s][i];
    for (size_t i = 0; w->detect_base && i < sm->src[SRC_DETECT]->n; i++)
        out[sm->map[SRC_DETECT][i]] += w->detect_base[i];
}

void worker_fast_log(worker_t *w, const char *line, size_t len)
{
    run_t *r = w->run;
    if (!r->fast)
        return;
    pthread_mutex_lock(&r->fast_mu);
    fwrite(line, 1, len, r->fast);
    pthread_mutex_unlock(&r->fast_mu);
}

int worker_start(run_t *r, worker_t *w, unsigned id)
{
    memset(w, 0, sizeof *w);
    w->id = id;
    w->run = r;
    w->in = vg_ring_new(BATCHES_PER_WORKER * 2);
    w->back = vg_ring_new(BATCHES_PER_WORKER * 2);
    for (int i = 0; i < BATCHES_PER_WORKER; i++)
        vg_ring_push(w->back, vg_xmalloc(sizeof(batch_t)));
    /* The reader sleeps on this ring when the worker has all batches: wake it for a burst of
     * half of them rather than one at a time (one futex wake and context switch per batch). */
    vg_ring_set_wake_at(w->back, BATCHES_PER_WORKER / 2);
    /* The same the other way: when the reader is the slower side (decode and flow stages) the
     * worker empties its ring and sleeps; waking it per batch cost the reader a futex call and
     * the worker a context switch every 256 packets. A sleeping worker waits for 4 batches (at
     * most 2 ms: the ring's timed wait then takes any batch, so a slow live link still flows). */
    vg_ring_set_wake_at(w->in, BATCHES_PER_WORKER / 4);
    w->dec = vg_decoder_new(&r->dec_cfg);
    w->flows = vg_flow_table_new(&r->flow_cfg, on_flow_end, w);
    wapp_init(w);
    if (r->evidence)
        w->evid = vg_evid_ctx_new(&r->evid_cfg);
    w->snap = vg_xcalloc(r->sm.n ? r->sm.n : 1, sizeof(uint64_t));
    pthread_mutex_init(&w->snap_mu, NULL);
    return pthread_create(&w->th, NULL, worker_main, w);
}

void worker_join(worker_t *w) { pthread_join(w->th, NULL); }

void worker_fini(worker_t *w)
{
    batch_t *b;
    while ((b = vg_ring_try_pop(w->back)) != NULL)
        free(b);
    while ((b = vg_ring_try_pop(w->in)) != NULL)
        free(b);
    vg_ring_free(w->in);
    vg_ring_free(w->back);
    vg_flow_table_free(w->flows);
    vg_evid_ctx_free(w->evid);
    wapp_fini(w);
    vg_decoder_free(w->dec);
    pthread_mutex_destroy(&w->snap_mu);
    free(w->snap);
    free(w->detect_base);
}
