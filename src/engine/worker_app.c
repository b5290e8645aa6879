/* worker_app.c — streams and application protocols inside a worker (see worker_app.h).
 *
 * Detection: the first bytes of each direction are kept (up to PROBE_MAX) and offered to
 * vg_app_detect() until a parser claims them or all decline. When one direction is detected the
 * parser gets the bytes kept so far for both directions, then everything that follows. If no
 * parser claims either direction, the flow's app_proto is "failed" and nothing more is kept.
 * Each direction also keeps its own result (dir_proto, for app-layer-protocol to_server /
 * to_client): the other direction's first bytes are still probed once the parser runs.
 * Logging: transactions are logged in id order once complete (or at flow end), then released.
 */
#include "engine/worker_app.h"
#include "engine/host_tags.h"
#include "engine/engine_behave.h"
#include "common/common.h"
#include "engine/engine_int.h"
#include "output/eve_file.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROBE_MAX 512

typedef struct app_flow {
    const vg_app_ops_t *ops;
    void *state;
    uint64_t next_log;
    uint64_t next_req;        /* next transaction whose request side is to be inspected */
    /* Transactions from ts_same_from up to next_req had their request inspected with the flow
     * established and the rules of generation ts_gen: their final inspection may say so
     * (VG_DIN_TS_DONE) and the engine skips the request-only rules then. */
    uint64_t ts_same_from;
    unsigned ts_gen;
    /* (transaction, rule) pairs that already alerted: a transaction is inspected when its
     * request is complete and again when it is complete, and alerts once per rule */
    struct { uint64_t tx; uint32_t rule; uint8_t dir; /* 0/1, 2 = either */ } *alerted;
    size_t n_alerted, cap_alerted;
    size_t mem;               /* the state's memuse when last asked, counted in app_memuse */
    bool failed;              /* no parser wants this flow */
    uint8_t proto_orig;       /* the protocol before an in-band upgrade (handover), else 0 */
    bool dead;                /* the parser gave up (parse error) */
    bool dir_failed[2];
    /* tag:session of an alert: the flow's later packets are logged as EVE "packet" events */
    uint8_t tag_metric;       /* VG_TAG_* (NONE: not tagged) */
    uint32_t tag_count;       /* packets, bytes or seconds the tag lasts */
    uint64_t tag_seen;        /* packets or bytes since the alert, the alerting packet included */
    vg_time_t tag_first;      /* the alerting packet's time */
    uint64_t tag_from;        /* pcap_cnt of the packet that alerted (not itself logged) */
    bool passed;              /* a pass rule matched a transaction: the flow is not inspected
                               * any more (Suricata's flow pass) */
    uint8_t pd_done;          /* bit dir: a packet of that direction was inspected with the
                               * protocol decided (VG_DIN_PROTO_DONE given once) */
    /* Each direction's own detection result (Suricata's alproto_ts/alproto_tc): the direction
     * that decided the flow's protocol, and the other one probed on its own first bytes while
     * the parser already runs (UNKNOWN until decided; FAILED when nothing claims it). */
    uint8_t dir_proto[2];
    uint8_t dir_pd_new;       /* bit dir: this direction's protocol was decided by the data of
                               * the packet being processed (VG_DIN_DIR_PROTO_DONE) */
    uint8_t data_roles;       /* bit role: the stream delivered data of that TCP role */
    uint16_t probe_len[2];
    int8_t first_dir;         /* the direction whose bytes came first (-1: none yet): its kept
                               * bytes are replayed first (FTP: the server's greeting) */
    uint8_t probe[2][PROBE_MAX];
    /* Raw-stream inspection, per TCP role (0 client, 1 server), as Suricata's IDS mode: the
     * delivered bytes from the role's raw progress on. A window of them (up to what the peer
     * acknowledged) is inspected when ready (raw_window), then consumed. */
    struct {
        vg_buf_t b;           /* bytes from stream offset off on (at most RAW_MAX) */
        uint64_t off;         /* stream offset of b.data[0]: the raw progress when pre is empty */
        vg_buf_t pre;         /* bytes before the last gap, not inspected yet (the peer
                               * acknowledged them, or the flow ends): inspected with the next
                               * window, as a window of their own */
        bool trigger;         /* the parser completed a transaction on this side */
        uint64_t gap;         /* bytes missing just before b.data[0] (after pre, if any), since
                               * the last window inspected: for alert payloads only */
        uint64_t trigger_at;  /* the parser asked for inspection up to this stream offset
                               * (end + 1; 0: not asked): ready once the peer acknowledged it */
    } raw[2];
    /* Bare application-protocol rules (VG_RULE_APP_BARE) see the protocol from the packet
     * Suricata in IDS mode would have decided it on: over TCP, the first packet of the other
     * role, on an established session, after the data that decided it (the packet whose ACK
     * lets Suricata parse that data); over UDP at once. */
    uint8_t detect_role;      /* the TCP role whose data decided the protocol */
    bool proto_visible;
} app_flow_t;

static app_flow_t *app_of(vg_flow_t *f)
{
    if (!f->app) {
        app_flow_t *a = vg_xcalloc(1, sizeof(app_flow_t));
        a->first_dir = -1;
        f->app = a;
    }
    return f->app;
}

/* An alert of a rule with tag:session: the flow's packets after this one are logged while the
 * tag lasts, counted as Suricata counts them: from the alerting packet on (its packet or its
 * bytes count, it is not logged itself), whole seconds of packet time. A new alert starts the
 * count again (Vigil keeps one tag per flow: the latest alert's). */
static void tag_flow(worker_t *w, vg_flow_t *f, const vg_rule_t *r)
{
    if (!w->run->log_packet)
        return;
    app_flow_t *a = app_of(f);
    const vg_packet_t *p = w->cur_pkt;
    a->tag_metric = r->tag_metric;
    a->tag_count = r->tag_metric == VG_TAG_PACKETS ? VG_MIN(r->tag_count, 256u) : r->tag_count;
    a->tag_seen = r->tag_metric == VG_TAG_PACKETS ? 1 : r->tag_metric == VG_TAG_BYTES && p
                                                            ? p->caplen : 0;
    a->tag_first = p ? p->ts : f->last;
    a->tag_from = p ? p->pcap_cnt : 0;
}

/* A packet of a tagged flow, after the one that alerted: log it while the tag lasts. */
static void tagged_packet(worker_t *w, vg_flow_t *f, app_flow_t *a, const vg_packet_t *p, int dir)
{
    if (p->pcap_cnt <= a->tag_from)
        return;
    if (tag_step(a->tag_metric, a->tag_count, &a->tag_seen, a->tag_first, p->ts, p->caplen)) {
        a->tag_metric = VG_TAG_NONE;
        return;
    }
    worker_ev_begin(w);
    vg_eve_tagged_packet(&w->jw, &w->run->eve, f, dir, p, wapp_app_proto_name(f));
    worker_ev_end(w);
    w->pkt_tag_logged = true;
}

static bool flow_passed(const vg_flow_t *f)
{
    const app_flow_t *a = f->app;
    return a && a->passed;
}

enum { A_FLOW = 0, A_TX = VG_APP_MAX, A_FAILED = 2 * VG_APP_MAX, A_FAILED_UDP, A_MEMUSE, A_MEMCAP,
       A_RAW_MEMUSE,
       A_RAW_DROPPED, A_N };
static const char *a_names[A_N];
static const char *a_sorted[A_N];
static size_t a_n;
static size_t a_map[A_N]; /* counter index -> position in the published table, or SIZE_MAX */
static vg_stats_table_t a_table;

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Built once at start (before threads), names live for the program. */
const vg_stats_table_t *wapp_stats_table(void)
{
    if (a_table.names)
        return &a_table;
    static char storage[A_N][48];
    for (int id = 1; id < VG_APP_FAILED; id++) {
        const char *n = vg_app_proto_name((enum vg_app_proto)id);
        snprintf(storage[A_FLOW + id], 48, "app_layer.flow.%s", n);
        snprintf(storage[A_TX + id], 48, "app_layer.tx.%s", n);
        a_names[A_FLOW + id] = storage[A_FLOW + id];
        a_names[A_TX + id] = storage[A_TX + id];
    }
    a_names[A_FAILED] = "app_layer.flow.failed_tcp";
    a_names[A_FAILED_UDP] = "app_layer.flow.failed_udp";
    a_names[A_MEMUSE] = "app_layer.memuse";          /* gauge */
    a_names[A_MEMCAP] = "app_layer.memcap_exceeded"; /* flows left unparsed */
    a_names[A_RAW_MEMUSE] = "detect.raw_stream.memuse";       /* gauge: bytes kept */
    a_names[A_RAW_DROPPED] = "detect.raw_stream.bytes_dropped"; /* never in a window */
    for (size_t i = 0; i < A_N; i++)
        if (a_names[i])
            a_sorted[a_n++] = a_names[i];
    qsort(a_sorted, a_n, sizeof *a_sorted, cmp_str);
    for (size_t i = 0; i < A_N; i++) {
        a_map[i] = SIZE_MAX;
        for (size_t k = 0; a_names[i] && k < a_n; k++)
            if (a_sorted[k] == a_names[i])
                a_map[i] = k;
    }
    a_table.names = a_sorted;
    a_table.n = a_n;
    return &a_table;
}

static void count(worker_t *w, size_t idx)
{
    if (a_map[idx] != SIZE_MAX)
        w->app_counters[a_map[idx]]++;
}

/* Brings the worker's app-layer memory total up to date with one state's own count. */
static void mem_refresh(worker_t *w, app_flow_t *a)
{
    if (!a->state || !a->ops->state_memuse)
        return;
    size_t m = a->ops->state_memuse(a->state);
    w->app_memuse = w->app_memuse - a->mem + m;
    a->mem = m;
    if (a_map[A_MEMUSE] != SIZE_MAX)
        w->app_counters[a_map[A_MEMUSE]] = w->app_memuse;
}


#define MULTI_MAX 16

/* detect_tx() modes: the request side only; the whole transaction; the whole transaction
 * whose request side was inspected already (with the same flow state and rules). */
enum { DETECT_REQUEST, DETECT_FULL, DETECT_FULL_TS_DONE };
/* The TCP session's byte counts for stream_size, when the flow has a tracked session. */
static void set_stream_size(vg_detect_input_t *in, const vg_flow_t *f)
{
    if (!f->tcp || !vg_stream_is_tracked(f->tcp))
        return;
    in->flow |= VG_DIN_STREAM_SIZE;
    in->stream_size[0] = vg_stream_size(f->tcp, VG_STREAM_CLIENT);
    in->stream_size[1] = vg_stream_size(f->tcp, VG_STREAM_SERVER);
}

static void detect_tx(worker_t *w, vg_flow_t *f, const vg_app_ops_t *o, void *tx, uint64_t id,
                      int mode);
static bool flow_established(const vg_flow_t *f);

/* The TCP role (0 initiator, 1 responder) of flow direction dir: they differ when the stream
 * stage found the flow the other way round (its first packet was the server's). */
static int role_of(const vg_flow_t *f, int dir)
{
    return f->tcp && vg_stream_is_reversed(f->tcp) ? !dir : dir;
}
static bool payload_encrypted(const vg_flow_t *f);

/* --- events --- */

static void app_anomaly(void *user, enum vg_app_proto proto, const char *event)
{
    worker_t *w = user;
    vg_flow_t *f = w->cur_flow;
    w->counters[W_ANOMALIES]++;
    if (!w->run->log_anomaly || !f)
        return;
    worker_ev_begin(w);
    vg_eve_begin_flow(&w->jw, &w->run->eve, "anomaly", w->cur_pkt ? w->cur_pkt->ts : f->last, f,
                      0, w->cur_pkt ? w->cur_pkt->pcap_cnt : 0, vg_app_proto_name(proto));
    vg_jw_key(&w->jw, "anomaly");
    vg_jw_obj_open(&w->jw);
    vg_jw_kv_str(&w->jw, "app_proto", vg_app_proto_name(proto));
    vg_jw_kv_str(&w->jw, "type", "applayer");
    vg_jw_kv_str(&w->jw, "event", event);
    vg_jw_kv_str(&w->jw, "layer", "proto_parser");
    vg_jw_obj_close(&w->jw);
    vg_jw_obj_close(&w->jw);
    worker_ev_end(w);
}

static void stream_event(void *user, uint16_t code)
{
    worker_t *w = user;
    vg_flow_t *f = w->cur_flow;
    w->counters[W_ANOMALIES]++;
    if (w->cur_pkt && w->n_sev < VG_ARRAY_LEN(w->sev)) /* for stream-event rules */
        w->sev[w->n_sev++] = code;
    if (!w->run->log_anomaly || !f)
        return;
    worker_ev_begin(w);
    vg_eve_begin_flow(&w->jw, &w->run->eve, "anomaly", w->cur_pkt ? w->cur_pkt->ts : f->last, f,
                      w->cur_dir, w->cur_pkt ? w->cur_pkt->pcap_cnt : 0, NULL);
    vg_jw_key(&w->jw, "anomaly");
    vg_jw_obj_open(&w->jw);
    vg_jw_kv_str(&w->jw, "type", "stream");
    vg_jw_kv_str(&w->jw, "event", vg_stream_event_name(code));
    vg_jw_obj_close(&w->jw);
    vg_jw_obj_close(&w->jw);
    worker_ev_end(w);
}

/* The transaction's files, one "fileinfo" event each, written when the transaction is. */
static void log_files(worker_t *w, vg_flow_t *f, const vg_app_ops_t *o, void *tx, uint64_t id,
                      bool flow_end)
{
    if (!o->tx_file)
        return;
    vg_app_file_t file;
    for (size_t i = 0; o->tx_file(tx, i, flow_end, &file); i++) {
        vg_eve_file_t e = {
            .flow = f,
            .ts = w->cur_pkt ? w->cur_pkt->ts : f->last,
            .pcap_cnt = w->cur_pkt ? w->cur_pkt->pcap_cnt : 0,
            .app_proto = o->name,
            .tx_id = id,
            .app_name = o->fileinfo_bare ? NULL : o->name,
            .log_tx = o->fileinfo_bare ? NULL : o->log_tx,
            .tx = tx,
            .file = &file,
        };
        worker_ev_begin(w);
        vg_eve_fileinfo(&w->jw, &w->run->eve, &e);
        worker_ev_end(w);
    }
}

static void log_txs(worker_t *w, vg_flow_t *f, app_flow_t *a, bool flow_end)
{
    const vg_app_ops_t *o = a->ops;
    if (!o || !a->state || !o->tx_count)
        return;
    uint64_t n = o->tx_count(a->state);
    uint64_t start = a->next_log;
    if (o->tx_side_done && w->detect) {
        if (a->next_req < a->next_log)
            a->next_req = a->next_log;
        while (a->next_req < n) {
            void *tx = o->tx_get(a->state, a->next_req);
            if (tx && !o->tx_side_done(tx, VG_DIR_TOSERVER))
                break;
            if (tx) {
                a->raw[VG_DIR_TOSERVER].trigger = true; /* as libhtp's request-complete callback */
                if (a->ts_gen != w->detect_gen || !flow_established(f)) {
                    a->ts_same_from = a->next_req + !flow_established(f);
                    a->ts_gen = w->detect_gen;
                }
                detect_tx(w, f, o, tx, a->next_req, DETECT_REQUEST);
            }
            a->next_req++;
        }
    }
    while (a->next_log < n) {
        void *tx = o->tx_get(a->state, a->next_log);
        if (tx) {
            if (!o->tx_complete(tx, flow_end))
                break;
            if (o->tx_side_done) /* HTTP: as libhtp's response-complete callback */
                a->raw[VG_DIR_TOCLIENT].trigger = true;
            detect_tx(w, f, o, tx, a->next_log,
                      o->tx_side_done && w->detect && a->next_log < a->next_req &&
                          a->next_log >= a->ts_same_from && a->ts_gen == w->detect_gen
                          ? DETECT_FULL_TS_DONE : DETECT_FULL);
            if (w->run->behave)
                engine_behave_tx(w, f, o, tx, w->cur_pkt ? w->cur_pkt->ts : f->last);
            if (w->run->log_app && o->log_tx) {
                worker_ev_begin(w);
                const char *ev = o->eve_name ? o->eve_name : o->name;
                vg_eve_begin_flow(&w->jw, &w->run->eve, ev,
                                  w->cur_pkt ? w->cur_pkt->ts : f->last, f,
                                  o->tx_dir ? o->tx_dir(tx) : VG_DIR_TOSERVER,
                                  w->cur_pkt ? w->cur_pkt->pcap_cnt : 0, NULL);
                vg_jw_kv_uint(&w->jw, "tx_id", a->next_log);
                vg_jw_key(&w->jw, ev);
                o->log_tx(tx, &w->jw);
                vg_jw_obj_close(&w->jw);
                worker_ev_end(w);
            }
            if (w->run->log_app)
                log_files(w, f, o, tx, a->next_log, flow_end);
            count(w, A_TX + o->id);
        }
        a->next_log++;
    }
    if (a->next_log > start && o->tx_release) {
        o->tx_release(a->state, a->next_log);
        mem_refresh(w, a);
    }
    if (a->next_log > start) { /* forget the alerts of transactions that are gone */
        size_t k = 0;
        for (size_t i = 0; i < a->n_alerted; i++)
            if (a->alerted[i].tx >= a->next_log)
                a->alerted[k++] = a->alerted[i];
        a->n_alerted = k;
    }
}

/* --- signatures --- */

static bool flow_established(const vg_flow_t *f)
{
    return f->state != VG_FLOW_NEW;
}

/* f->detect: the flow's variables, tagged with the engine generation they were sized for. A rule
 * reload renumbers flowbits and flowints: variables of an older generation are carried to the
 * current one by name when the flow is next inspected (w->fv_remap), those whose name the new
 * rules do not use are dropped. Only the last 8 generations are kept: a flow not inspected
 * across more reloads than that starts again empty. */
typedef struct flow_detect {
    vg_flowvars_t *fv;
    unsigned gen;
} flow_detect_t;

static void flow_detect_free(vg_flow_t *f)
{
    flow_detect_t *fd = f->detect;
    if (fd) {
        vg_flowvars_free(fd->fv);
        free(fd);
        f->detect = NULL;
    }
}

/* The flow's variables, or NULL while no rule has set one: they are made on demand
 * (flowvars_make, asked by the engine when a matching rule has flowbit/flowint actions). */
static vg_flowvars_t *flowvars_of(worker_t *w, vg_flow_t *f)
{
    flow_detect_t *fd = f->detect;
    if (fd && fd->gen != w->detect_gen) {
        const struct fv_remap *m = NULL;
        for (unsigned i = 0; i < w->n_fv_remap; i++)
            if (w->fv_remap[i].gen == fd->gen)
                m = &w->fv_remap[i];
        if (m && w->detect_engine && fd->fv->n_bits == m->n_bits && fd->fv->n_ints == m->n_ints) {
            vg_flowvars_t *n = vg_flowvars_remap(fd->fv, m->bits, m->ints,
                                                 vg_detect_engine_ruleset(w->detect_engine));
            vg_flowvars_free(fd->fv);
            fd->fv = n;
            fd->gen = w->detect_gen;
        } else {
            flow_detect_free(f);
            fd = NULL;
        }
    }
    return fd ? fd->fv : NULL;
}

/* vg_detect_fv_make_fn: the current flow's variables, made now. */
static vg_flowvars_t *flowvars_make(void *user)
{
    worker_t *w = user;
    vg_flow_t *f = w->cur_flow;
    if (!f || !w->detect_engine)
        return NULL;
    vg_flowvars_t *fv = flowvars_of(w, f);
    if (fv)
        return fv;
    const vg_ruleset_t *rs = vg_detect_engine_ruleset(w->detect_engine);
    if (!vg_ruleset_n_flowbits(rs) && !vg_ruleset_n_flowints(rs) &&
        !vg_ruleset_n_flow_thresholds(rs) && !vg_ruleset_n_capture_rules(rs))
        return NULL;
    flow_detect_t *fd = vg_xmalloc(sizeof *fd);
    fd->fv = vg_flowvars_new(rs);
    fd->gen = w->detect_gen;
    f->detect = fd;
    return fd->fv;
}

/* True when rule r already matched the transaction being inspected (its actions, threshold and
 * alert were handled then); records it otherwise. Asked by the engine (vg_detect_tx_seen_fn). */
static bool tx_already_matched(void *user, const vg_rule_t *r, int dir)
{
    worker_t *w = user;
    app_flow_t *a = w->cur_flow ? w->cur_flow->app : NULL;
    if (!w->cur_tx || !a)
        return false;
    /* a rule matching once per direction (VG_RULE_TX_PER_DIR) is recorded per direction */
    uint8_t d = (r->flags & VG_RULE_TX_PER_DIR) ? (uint8_t)(dir & 1) : 2;
    for (size_t i = 0; i < a->n_alerted; i++)
        if (a->alerted[i].tx == w->cur_tx_id && a->alerted[i].rule == r->id &&
            a->alerted[i].dir == d)
            return true;
    if (a->n_alerted == a->cap_alerted) {
        a->cap_alerted = a->cap_alerted ? 2 * a->cap_alerted : 8;
        a->alerted = vg_xrealloc(a->alerted, a->cap_alerted * sizeof(*a->alerted));
    }
    a->alerted[a->n_alerted].tx = w->cur_tx_id;
    a->alerted[a->n_alerted].dir = d;
    a->alerted[a->n_alerted++].rule = r->id;
    return false;
}

/* The payload an alert shows, as Suricata picks it: a match on the raw-stream window shows the
 * window ("stream": 1); a transaction match on TCP shows the stream bytes of its direction that
 * are still kept (else the packet's payload), also as "stream": 1; a packet match the packet's
 * payload. A window next to a gap shows the bytes before the gap, "[N bytes missing]" and the
 * window after it, as Suricata dumps the segments it holds. Partial: Suricata shows every
 * segment it still holds for the direction, Vigil the windows being inspected (or, for a
 * transaction, the bytes it keeps). */
static void alert_payload(worker_t *w, const vg_flow_t *f, int dir, vg_eve_alert_t *a)
{
    if (w->det_win && vg_detect_ctx_stream_match(w->detect)) {
        a->stream = true;
        if (!w->show_gap && !w->show_pre) {
            a->payload = w->det_win;
            a->payload_len = w->det_win_len;
            return;
        }
        vg_buf_t *s = &w->pay_show;
        vg_buf_reset(s);
        if (w->show_pre_len)
            vg_buf_append(s, w->show_pre, w->show_pre_len);
        if (w->show_gap) {
            char m[48];
            int k = snprintf(m, sizeof m, "[%llu bytes missing]",
                             (unsigned long long)w->show_gap);
            vg_buf_append(s, m, (size_t)k);
        }
        if (w->show_win_len)
            vg_buf_append(s, w->show_win, w->show_win_len);
        a->payload = (const uint8_t *)s->data;
        a->payload_len = s->len;
        return;
    }
    if (w->cur_tx && f && f->proto == 6) {
        a->stream = true;
        const app_flow_t *af = f->app;
        int role = role_of(f, dir);
        if (af && af->raw[role].b.len) {
            a->payload = (const uint8_t *)af->raw[role].b.data;
            a->payload_len = af->raw[role].b.len;
            return;
        }
    }
    if (w->det_pay) {
        a->payload = w->det_pay;
        a->payload_len = w->det_pay_len;
    } else if (w->cur_pkt && w->cur_pkt->payload && !(w->cur_pkt->flags & VG_PKT_INVALID) &&
               (w->cur_dir ? 1 : 0) == (dir ? 1 : 0)) {
        a->payload = w->cur_pkt->payload;
        a->payload_len = w->cur_pkt->payload_len;
    }
}

static void on_alert(void *user, const vg_rule_t *r, int dir)
{
    worker_t *w = user;
    vg_flow_t *f = w->cur_flow;
    if (r->action == VG_ACT_PASS) { /* a flow pass (transaction or IP-only rule): no alert */
        if (f)
            app_of(f)->passed = true;
        return;
    }
    w->counters[W_ALERTS]++;
    if (f)
        f->alerted = true;
    if (f && r->tag_metric != VG_TAG_NONE)
        tag_flow(w, f, r);
    if (w->run->host_tags && w->cur_pkt &&
        (r->host_tag[0].metric != VG_TAG_NONE || r->host_tag[1].metric != VG_TAG_NONE))
        host_tags_alert(w->run->host_tags, r, &w->cur_pkt->src, &w->cur_pkt->dst,
                        w->cur_pkt->ts);
    vg_eve_alert_t a = {
        .rule = r,
        .flow = f,
        .pkt = w->cur_pkt,
        .dir = dir,
        .ts = w->cur_pkt ? w->cur_pkt->ts : (f ? f->last : 0),
        .pcap_cnt = w->cur_pkt ? w->cur_pkt->pcap_cnt : 0,
        .app_proto = f ? wapp_app_proto_name(f) : NULL,
    };
    vg_attrib_result_t ar;
    const vg_packet_t *cp = w->cur_pkt;
    if (w->attrib && (f || (cp && cp->ip_ver))) { /* not for a packet that is not IP */
        vg_attrib_input_t ai;
        if (f && !(cp && cp->proto != f->proto)) {
            const vg_tcp_session_t *s = f->tcp;
            bool reversed = s && vg_stream_is_reversed(s);
            bool verified = s && vg_stream_handshake_complete(s) && !vg_stream_is_midstream(s);
            vg_attrib_input_from_flow(&ai, f, dir, reversed, verified);
        } else { /* no flow, or an ICMP error on the flow it quotes: the packet's own ends; its
                  * sender is on the flow's client side when it goes to_server */
            vg_attrib_input_from_packet(&ai, cp, f ? (dir == VG_DIR_TOSERVER) : -1);
        }
        vg_attrib_alert(w->attrib, &ai, r, &ar);
        a.attrib = w->run->opts->attrib;
        a.attrib_res = &ar;
    }
    if (w->cur_tx) {
        a.has_tx = true;
        a.tx_id = w->cur_tx_id;
        a.app_name = w->cur_ops->eve_name ? w->cur_ops->eve_name : w->cur_ops->name;
        a.log_tx = w->cur_ops->log_tx;
        a.tx = w->cur_tx;
    }
    if (f && wapp_traffic(w, f, &w->traffic)) {
        a.extra_key = "traffic";
        a.extra_json = (const char *)w->traffic.data;
        a.extra_len = w->traffic.len;
    }
    if (f && wapp_metadata(w, f, &w->metadata)) {
        a.metadata_json = (const char *)w->metadata.data;
        a.metadata_len = w->metadata.len;
    }
    if (w->run->eve.alert_payload || w->run->eve.alert_payload_printable)
        alert_payload(w, f, dir, &a);
    vg_evid_ref_t eref;
    bool eok = false;
    if (w->evid && f)
        eok = vg_evid_alert(w->evid, &f->evidence, vg_flow_id(f), a.pcap_cnt, &eref);
    else if (w->evid && cp) /* no flow: wapp_packet_noflow's packet */
        eok = vg_evid_packet_alert(w->evid, &w->noflow_evid, cp, &eref);
    if (eok) {
        a.evidence_file = eref.file;
        a.evidence_packet = eref.packet;
        a.evidence_bytes = eref.bytes;
        a.evidence_sha256 = eref.sha256;
    }
    worker_ev_begin(w);
    vg_eve_alert(&w->jw, &w->run->eve, &a);
    worker_ev_end(w);
    if (w->run->fast) {
        vg_buf_t *fb = &w->fast_line;
        vg_buf_reset(fb);
        vg_fast_alert(fb, &a);
        worker_fast_log(w, fb->data, fb->len);
    }
}

/* A header-only packet for transaction inspection, oriented for direction dir. */
/* The VG_DIN_* bits of the state keywords the parser answers (ftpbounce, ftpdata_command), for
 * transaction tx or (NULL) the state as it is. */
static uint32_t state_kw_bits(const vg_app_ops_t *o, const void *state, const void *tx,
                              const vg_flow_t *f)
{
    static const uint32_t bit[VG_APP_KW_MAX] = {
        [VG_APP_KW_FTPBOUNCE] = VG_DIN_FTPBOUNCE,
        [VG_APP_KW_FTPDATA_RETR] = VG_DIN_FTPDATA_RETR,
        [VG_APP_KW_FTPDATA_STOR] = VG_DIN_FTPDATA_STOR,
    };
    uint32_t b = 0;
    for (int k = 0; k < VG_APP_KW_MAX; k++)
        if (o->state_kw(state, tx, k, &f->addr[0]))
            b |= bit[k];
    return b;
}

static void tx_header(const vg_flow_t *f, int dir, vg_packet_t *h)
{
    memset(h, 0, sizeof *h);
    int s = dir ? 1 : 0;
    h->ip_ver = f->ip_ver;
    h->proto = f->proto;
    h->src = f->addr[s];
    h->dst = f->addr[1 - s];
    h->sp = f->port[s];
    h->dp = f->port[1 - s];
    h->n_vlan = f->n_vlan;
}

#define MULTI_MAX 16

static void detect_tx(worker_t *w, vg_flow_t *f, const vg_app_ops_t *o, void *tx, uint64_t id,
                      int mode)
{
    bool request_only = mode == DETECT_REQUEST;
    if (!w->detect || !o->get_buffer || flow_passed(f))
        return;
    vg_detect_input_t in[2];
    vg_packet_t hdr[2];
    memset(in, 0, sizeof in);
    for (int b = 0; b < VG_BUF_MAX; b++) {
        const uint8_t *d;
        size_t n;
        if (o->get_buffer(tx, (enum vg_app_buf)b, &d, &n)) {
            in[0].buf[b] = d ? d : (const uint8_t *)"";
            in[0].len[b] = (uint32_t)VG_MIN(n, UINT32_MAX);
        }
    }
    /* The protocol's multi-buffer (tls.certs, smtp file.data): every instance, up to
     * MULTI_MAX. */
    const uint8_t *mb[MULTI_MAX];
    uint32_t mlen[MULTI_MAX];
    if (o->get_buffer_multi) {
        uint32_t k = 0;
        const uint8_t *d;
        size_t n;
        while (k < MULTI_MAX && o->get_buffer_multi(tx, o->multi_buf, k, &d, &n)) {
            mb[k] = d ? d : (const uint8_t *)"";
            mlen[k++] = (uint32_t)VG_MIN(n, UINT32_MAX);
        }
        in[0].n_multi = k;
        in[0].multi_buf = (uint8_t)o->multi_buf;
        in[0].multi = mb;
        in[0].multi_len = mlen;
    }
    in[1] = in[0];
    /* Rules that mix a plain content with transaction buffers ("alert dns ... content:|..|;
     * dns.query; ...") see the payload of the packet that completed the transaction, in that
     * packet's direction (for DNS over UDP: the message itself). Over TCP that side also sees
     * its stream bytes that raw-stream inspection has not consumed yet, as Suricata matches such
     * a rule's payload part on the packet's raw stream: a content in an earlier segment of the
     * request or response than the one that completed it still counts. Not for encrypted data
     * (see payload_encrypted). */
    const vg_packet_t *cp = w->cur_pkt;
    const app_flow_t *fa = f->app;
    if (cp) {
        int pd = w->cur_dir ? 1 : 0;
        if (cp->payload && cp->payload_len && !(cp->flags & VG_PKT_INVALID)) {
            in[pd].buf[VG_DBUF_PAYLOAD] = cp->payload;
            in[pd].len[VG_DBUF_PAYLOAD] = cp->payload_len;
        }
        int role = role_of(f, pd);
        if (f->tcp && fa && fa->raw[role].b.len && !payload_encrypted(f)) {
            in[pd].stream = (const uint8_t *)fa->raw[role].b.data;
            in[pd].stream_len = (uint32_t)VG_MIN(fa->raw[role].b.len, UINT32_MAX);
        }
    }
    for (int d = 0; d < 2; d++) {
        tx_header(f, d, &hdr[d]);
        in[d].pkt = &hdr[d];
        in[d].app_proto = (uint8_t)f->app_proto;
        if (fa) {
            in[d].app_proto_orig = fa->proto_orig;
            in[d].dir_proto[0] = fa->dir_proto[0];
            in[d].dir_proto[1] = fa->dir_proto[1];
        }
        in[d].flow = VG_DIN_HAS_FLOW | (d ? VG_DIN_TOCLIENT : VG_DIN_TOSERVER) |
                     (flow_established(f) ? VG_DIN_ESTABLISHED : 0);
        if (fa && fa->state && o->state_kw)
            in[d].flow |= state_kw_bits(o, fa->state, tx, f);
        in[d].app_events = o->tx_events ? o->tx_events(tx) : 0;
        set_stream_size(&in[d], f);
    }
    if (mode == DETECT_FULL_TS_DONE && flow_established(f))
        in[0].flow |= VG_DIN_TS_DONE;
    w->cur_ops = o;
    w->cur_tx = tx;
    w->cur_tx_id = id;
    vg_detect_tx(w->detect, &in[0], request_only ? NULL : &in[1], flowvars_of(w, f),
                 w->cur_pkt ? w->cur_pkt->ts : f->last, on_alert, w);
    w->cur_tx = NULL;
    w->cur_ops = NULL;
}

/* Whether f's data is encrypted for good: from then on its packets are inspected without payload
 * or stream data, as Suricata 7 does by default (its TLS encryption-handling "default"; SSH after
 * the key exchange). Asked before a packet's data is parsed, so the packet that completes the
 * handshake (the last NEWKEYS, the first application-data record) is still inspected in full. */
static bool payload_encrypted(const vg_flow_t *f)
{
    const app_flow_t *a = f ? f->app : NULL;
    return a && a->state && a->ops && a->ops->payload_encrypted &&
           a->ops->payload_encrypted(a->state);
}

/* Whether direction dir's data has been seen as Suricata's IDS mode sees it: some of it
 * acknowledged by the peer (TCP with a tracked session; anything else at once). */
static bool pd_seen(const vg_flow_t *f, int dir)
{
    if (!f->tcp || !vg_stream_is_tracked(f->tcp))
        return true;
    int role = role_of(f, dir);
    const app_flow_t *a = f->app;
    return a && (a->data_roles & (1u << role)) && vg_stream_acked(f->tcp, role) > 0;
}

/* est: the flow counts as established for this packet. For TCP that is the state the packet
 * found, before the stream stage processed it (Suricata sets FLOW_PKT_ESTABLISHED before stream
 * processing): the ACK that completes the handshake is not yet "established". */
static void detect_packet(worker_t *w, vg_flow_t *f, const vg_packet_t *p, int dir, bool opaque,
                          bool est, const uint8_t *win, size_t win_len)
{
    if (f && flow_passed(f))
        return;
    /* The input (~600 bytes, mostly transaction buffers a packet never has) is zeroed once per
     * thread; every field a packet uses is assigned on every call. */
    static _Thread_local vg_detect_input_t in;
    in.pkt = p;
    bool pay = p->payload && !(p->flags & VG_PKT_INVALID) && !opaque && !w->pseudo &&
               !w->decoder_only;
    in.buf[VG_DBUF_PAYLOAD] = pay ? p->payload : NULL;
    in.len[VG_DBUF_PAYLOAD] = pay ? p->payload_len : 0;
    bool st = win && win_len && !opaque;
    in.stream = st ? win : NULL;
    in.stream_len = st ? (uint32_t)VG_MIN(win_len, UINT32_MAX) : 0;
    in.flow = (st ? VG_DIN_STREAM : 0) | (w->pseudo ? VG_DIN_PSEUDO : 0) |
              (w->decoder_only ? VG_DIN_DECODER : 0);
    in.stream_ev = w->sev;
    in.n_stream_ev = w->pseudo ? 0 : w->n_sev;
    if (pay && p->payload_len && p->proto == 6 && f && f->tcp && vg_stream_pkt_added(f->tcp))
        in.flow |= VG_DIN_STREAM_ADD;
    if (f)
        set_stream_size(&in, f);
    in.app_proto = in.app_proto_orig = 0;
    in.dir_proto[0] = in.dir_proto[1] = VG_APP_UNKNOWN;
    if (f && f->app && ((const app_flow_t *)f->app)->proto_visible)
        in.flow |= VG_DIN_PROTO_PRIOR;
    vg_flowvars_t *fv = NULL;
    if (f) {
        in.app_proto = (uint8_t)f->app_proto;
        in.flow |= VG_DIN_HAS_FLOW | (dir ? VG_DIN_TOCLIENT : VG_DIN_TOSERVER) |
                   (est ? VG_DIN_ESTABLISHED : 0) |
                   (f->iponly_dirs & (1u << dir) ? VG_DIN_IPONLY_DONE : 0);
        app_flow_t *a = f->app;
        /* Suricata's IDS mode parses (and detects the protocol of) a direction's bytes once the
         * peer acknowledged them: rules on the protocol alone see it decided for a TCP direction
         * from that direction's first packet after an ACK of its data; over UDP at once. */
        bool pd_wait = a && ((f->app_proto != VG_APP_UNKNOWN && !(a->pd_done & (1u << dir))) ||
                             (a->dir_pd_new & (1u << dir)));
        bool seen = pd_wait && pd_seen(f, dir); /* asked only while something waits for it */
        if (a && seen && f->app_proto != VG_APP_UNKNOWN && !(a->pd_done & (1u << dir))) {
            a->pd_done |= (uint8_t)(1u << dir);
            in.flow |= VG_DIN_PROTO_DONE;
        }
        if (a && a->state && a->ops->state_kw)
            in.flow |= state_kw_bits(a->ops, a->state, NULL, f);
        if (a) {
            in.app_proto_orig = a->proto_orig;
            in.dir_proto[0] = a->dir_proto[0];
            in.dir_proto[1] = a->dir_proto[1];
            if (seen && (a->dir_pd_new & (1u << dir))) { /* the other side's waits for its packet */
                in.flow |= VG_DIN_DIR_PROTO_DONE;
                a->dir_pd_new &= (uint8_t)~(1u << dir);
            }
        }
        fv = flowvars_of(w, f);
    }
    in.fv = fv;
    w->det_win = in.stream;
    w->det_win_len = in.stream_len;
    w->det_pay = in.buf[VG_DBUF_PAYLOAD];
    w->det_pay_len = in.len[VG_DBUF_PAYLOAD];
    vg_detect_packet(w->detect, &in, fv, dir, p->ts, on_alert, w);
    if (f && !w->pseudo) /* a direction's first packet had the IP-only rules (Suricata) */
        f->iponly_dirs |= (uint8_t)(1u << dir);
    w->det_win = w->det_pay = NULL;
    w->det_win_len = w->det_pay_len = 0;
    in.pkt = NULL; /* no pointer into this packet outlives the call */
    in.buf[VG_DBUF_PAYLOAD] = NULL;
    in.stream = NULL;
    in.fv = NULL;
}

/* --- raw-stream inspection --- */

/* Suricata's stream.reassembly.toserver/toclient-chunk-size (default 2560): with a parser on the
 * flow, a role's acknowledged bytes are inspected once at least this many wait. */
#define RAW_CHUNK 2560u
/* Bytes kept per role for raw inspection (the former per-packet stream chunk's bound); older
 * bytes are given up first and counted in detect.raw_stream.bytes_dropped. All roles of a worker
 * together keep at most its share of stream.memcap (raw_memcap); beyond, a role's window is
 * given up (counted likewise). */
#define RAW_MAX (1u << 20)

static void raw_gauge(worker_t *w)
{
    if (a_map[A_RAW_MEMUSE] != SIZE_MAX)
        w->app_counters[a_map[A_RAW_MEMUSE]] = w->raw_memuse;
}

static void raw_drop(worker_t *w, size_t n)
{
    if (n && a_map[A_RAW_DROPPED] != SIZE_MAX)
        w->app_counters[a_map[A_RAW_DROPPED]] += n;
}

/* Raw-stream buffers are not freed when a role's bytes are all inspected or its flow ends: up
 * to 64 of at most RAW_SPARE_MAX bytes (1 MB in all, common/spares.h) wait for the next role
 * that keeps bytes.
 * Growing each flow's buffer from 256 bytes by doubling, and freeing it at the flow's end, was
 * about 6% of a worker's samples on web traffic (perf). A role holds a buffer only while it has
 * bytes waiting, and one starts at RAW_FIRST bytes. The spares are outside raw_memuse, which
 * counts the bytes kept. */
#define RAW_SPARE_MAX (64u * 1024u)
#define RAW_SPARE_BYTES (1u << 20)
#define RAW_FIRST 4096u

static void raw_give(worker_t *w, vg_buf_t *b)
{
    if (!vg_spares_put(&w->raw_spares, b->data, b->cap))
        vg_buf_fini(b);
    vg_buf_init(b, 0);
}

static void raw_take(worker_t *w, vg_buf_t *b, size_t n)
{
    size_t cap;
    char *d = vg_spares_take(&w->raw_spares, &cap);
    if (d) {
        b->data = d;
        b->cap = cap;
        b->len = 0;
    }
    vg_buf_reserve(b, VG_MAX((size_t)RAW_FIRST, n));
}

/* The first n kept bytes of role are done with (inspected or given up). */
static void raw_consume(worker_t *w, app_flow_t *a, int role, size_t n)
{
    vg_buf_t *b = &a->raw[role].b;
    n = VG_MIN(n, b->len);
    memmove(b->data, b->data + n, b->len - n);
    b->len -= n;
    a->raw[role].off += n;
    if (n)
        a->raw[role].gap = 0;
    w->raw_memuse -= n;
    if (!b->len && b->cap) /* a role holds a buffer only while bytes wait in it */
        raw_give(w, b);
    raw_gauge(w);
}

/* Bytes of role delivered in order by the stream stage. */
static void raw_add(worker_t *w, app_flow_t *a, int role, const uint8_t *d, size_t n)
{
    vg_buf_t *b = &a->raw[role].b;
    if (w->raw_memcap && w->raw_memuse + n > w->raw_memcap) {
        /* over the worker's share of stream.memcap: this role's window is given up */
        raw_drop(w, b->len + n);
        raw_consume(w, a, role, b->len);
        a->raw[role].off += n;
        return;
    }
    if (b->len + n > RAW_MAX) {
        size_t over = b->len + n - RAW_MAX;
        size_t old = VG_MIN(over, b->len);
        raw_drop(w, over);
        raw_consume(w, a, role, old);
        a->raw[role].off += over - old; /* the rest of the excess comes from d */
        d += over - old;
        n -= over - old;
    }
    if (!b->cap)
        raw_take(w, b, n);
    vg_buf_append(b, d, n);
    w->raw_memuse += n;
    raw_gauge(w);
}

/* len bytes of role are lost: what waits before them becomes the role's pre-gap bytes,
 * inspected with its next window (as Suricata inspects up to a gap, then after it); bytes still
 * waiting before an earlier gap are given up then (counted). */
static void raw_gap(worker_t *w, app_flow_t *a, int role, size_t len)
{
    vg_buf_t *pre = &a->raw[role].pre, *b = &a->raw[role].b;
    /* consecutive gaps with nothing between them add up */
    a->raw[role].gap = (b->len ? 0 : a->raw[role].gap) + len;
    raw_drop(w, pre->len);
    w->raw_memuse -= pre->len;
    pre->len = 0;
    vg_buf_t t = *pre;
    *pre = *b;
    *b = t;
    a->raw[role].off += pre->len + len;
    raw_gauge(w);
}

/* The pre-gap bytes of role were inspected. */
static void raw_pre_done(worker_t *w, app_flow_t *a, int role)
{
    w->raw_memuse -= a->raw[role].pre.len;
    raw_give(w, &a->raw[role].pre);
    raw_gauge(w);
}

/* The raw window of role to inspect with a packet of that role, or 0 when it is not ready: the
 * kept bytes up to what the peer acknowledged (all of them at flow end). Ready as Suricata 7.0.10
 * behaves on generated captures (tests/e2e/test_read.py, cases raw_stream_*): at flow end; when
 * the parser completed a transaction on that side (HTTP request or response); once a FIN or RST
 * took the session out of ESTABLISHED; or when at least RAW_CHUNK acknowledged bytes wait.
 * A flow whose protocol detection failed is not ready sooner: Suricata gives up detection only
 * after much more data (its bail-out sizes), which is not modelled. */
static size_t raw_window(const vg_flow_t *f, const app_flow_t *a, int role, bool flow_end,
                         bool *pre_ready)
{
    const vg_buf_t *b = &a->raw[role].b;
    size_t pre = a->raw[role].pre.len;
    *pre_ready = false;
    if ((!b->len && !pre) || !f->tcp)
        return 0;
    *pre_ready = pre > 0;
    if (flow_end)
        return b->len;
    uint64_t acked = vg_stream_acked(f->tcp, role), off = a->raw[role].off;
    size_t n = acked > off ? (size_t)VG_MIN(acked - off, (uint64_t)b->len) : 0;
    bool asked = a->raw[role].trigger_at && acked + 1 >= a->raw[role].trigger_at;
    if (a->raw[role].trigger || asked || vg_stream_closing(f->tcp) || n + pre >= RAW_CHUNK)
        return n;
    *pre_ready = false;
    return 0;
}

/* Inspects role's ready windows (bytes before a gap, then the window after it) with packet p
 * (the flow-end pseudo packet when w->pseudo), then moves the raw progress past them. The first
 * inspection also sees p's payload; a second one (after a gap) only payload-list rules on the
 * window, so that header rules do not alert twice for one packet. Partial: a rule matching on
 * both sides of a gap alerts twice on that packet. */
static void raw_inspect(worker_t *w, vg_flow_t *f, app_flow_t *a, const vg_packet_t *p, int dir,
                        int role, bool opaque, bool est, bool flow_end)
{
    bool pre;
    size_t win = raw_window(f, a, role, flow_end, &pre);
    bool was_pseudo = w->pseudo;
    /* what an alert on these windows shows as its payload: both sides of the gap (Suricata
     * dumps the segments it holds, the gap as "[N bytes missing]") */
    w->show_pre = pre ? (const uint8_t *)a->raw[role].pre.data : NULL;
    w->show_pre_len = pre ? a->raw[role].pre.len : 0;
    w->show_gap = a->raw[role].gap;
    w->show_win = win ? (const uint8_t *)a->raw[role].b.data : NULL;
    w->show_win_len = win;
    if (pre) {
        detect_packet(w, f, p, dir, opaque, est, (const uint8_t *)a->raw[role].pre.data,
                      a->raw[role].pre.len);
        if (f->app != a)
            goto out;
        if (!win) {
            raw_pre_done(w, a, role);
            goto done;
        }
        w->pseudo = true;
    }
    detect_packet(w, f, p, dir, opaque, est, win ? (const uint8_t *)a->raw[role].b.data : NULL,
                  win);
    w->pseudo = was_pseudo;
    if (f->app != a)
        goto out;
    if (pre)
        raw_pre_done(w, a, role);
    if (win)
        raw_consume(w, a, role, win);
done:
    if (win || pre)
        a->raw[role].trigger = false;
    if (a->raw[role].trigger_at && a->raw[role].off + 1 >= a->raw[role].trigger_at)
        a->raw[role].trigger_at = 0; /* inspected up to where the parser asked */
out:
    w->show_pre = w->show_win = NULL;
    w->show_pre_len = w->show_win_len = 0;
    w->show_gap = 0;
}

/* --- feeding --- */

static void start_parser(worker_t *w, vg_flow_t *f, app_flow_t *a, enum vg_app_proto id)
{
    /* Over the cap, new flows get no parser (as Suricata's HTTP memcap refuses new state):
     * flows already parsed keep going, each within its own per-flow limits. */
    if (w->app_memcap && w->app_memuse >= w->app_memcap) {
        a->failed = true;
        count(w, A_MEMCAP);
        return;
    }
    a->ops = vg_app_ops(id);
    if (!a->ops || !a->ops->state_new) {
        a->failed = true;
        return;
    }
    a->state = a->ops->state_new(f->proto == 6);
    f->app_proto = (uint16_t)id;
    count(w, A_FLOW + id);
    mem_refresh(w, a);
}

/* --- expectations: data connections a parser announced (FTP's RETR/STOR) --- */

#define EXPECT_MAX 256                      /* per worker; the oldest goes first */
#define EXPECT_TIMEOUT (300 * VG_USEC_PER_SEC)

struct wapp_expect {
    vg_addr_t a, b;                         /* the announcing flow's addresses */
    uint64_t parent_id;                     /* and its flow_id */
    uint8_t ip_ver;
    vg_time_t when;
    vg_app_expect_t e;
};

/* Takes what a's parser announced since the last call. */
static void take_expectations(worker_t *w, vg_flow_t *f, app_flow_t *a)
{
    vg_app_expect_t e;
    while (a->state && a->ops->expect_take && a->ops->expect_take(a->state, &e)) {
        if (!w->expects)
            w->expects = vg_xcalloc(EXPECT_MAX, sizeof *w->expects);
        if (w->n_expects == EXPECT_MAX)
            memmove(w->expects, w->expects + 1, --w->n_expects * sizeof *w->expects);
        struct wapp_expect *x = &w->expects[w->n_expects++];
        x->a = f->addr[0];
        x->b = f->addr[1];
        x->ip_ver = f->ip_ver;
        x->parent_id = vg_flow_id(f);
        x->when = w->cur_pkt ? w->cur_pkt->ts : f->last;
        x->e = e;
    }
}

/* The expectation a new TCP flow fulfils (same two addresses, responder port), removed from the
 * table (the flow takes its parent's flow_id); expired ones are dropped on the way. */
static bool expectation_for(worker_t *w, vg_flow_t *f, vg_app_expect_t *out)
{
    vg_time_t now = w->cur_pkt ? w->cur_pkt->ts : f->last;
    bool found = false;
    uint32_t k = 0;
    for (uint32_t i = 0; i < w->n_expects; i++) {
        struct wapp_expect *x = &w->expects[i];
        if (now > x->when + EXPECT_TIMEOUT)
            continue;
        bool same = x->ip_ver == f->ip_ver &&
                    ((!memcmp(&x->a, &f->addr[0], sizeof x->a) &&
                      !memcmp(&x->b, &f->addr[1], sizeof x->b)) ||
                     (!memcmp(&x->a, &f->addr[1], sizeof x->a) &&
                      !memcmp(&x->b, &f->addr[0], sizeof x->b)));
        if (!found && same && x->e.dport == f->port[1]) {
            *out = x->e;
            f->parent_id = x->parent_id;
            found = true;
            continue;
        }
        w->expects[k++] = *x;
    }
    w->n_expects = k;
    return found;
}

static void log_txs(worker_t *w, vg_flow_t *f, app_flow_t *a, bool flow_end);

/* What each role kept and did not inspect yet: one last inspection without a packet (Suricata's
 * "stream (flow timeout)" pseudo packet), header fields from the flow. At flow end, and at a
 * protocol handover (the old protocol's bytes are inspected as that protocol's). */
static void raw_flush(worker_t *w, vg_flow_t *f, app_flow_t *a)
{
    const vg_packet_t *saved = w->cur_pkt;
    w->cur_pkt = NULL;
    for (int role = 0; role < 2 && w->detect && f->tcp && f->app == a; role++) {
        bool pre;
        if (!raw_window(f, a, role, true, &pre) && !pre)
            continue;
        int dir = vg_stream_is_reversed(f->tcp) ? !role : role;
        vg_packet_t ph;
        tx_header(f, dir, &ph);
        ph.ts = f->last;
        ph.tcp_flags = VG_TCP_ACK; /* as Suricata's pseudo packet */
        w->pseudo = true;
        raw_inspect(w, f, a, &ph, dir, role, false, flow_established(f), true);
        w->pseudo = false;
    }
    w->cur_pkt = saved;
}

/* The parser asked to hand the flow over to protocol id (app.h, handover): it is finished as at
 * flow end, its transactions are logged, and id's parser takes the bytes that follow. */
static void handover(worker_t *w, vg_flow_t *f, app_flow_t *a, enum vg_app_proto id)
{
    if (a->ops->end)
        a->ops->end(a->state, &w->actx);
    log_txs(w, f, a, true);
    /* The bytes kept so far are the old protocol's: inspected now, while the flow is still
     * that protocol (Suricata alerts on them as SMTP, at flow end, after a STARTTLS). */
    raw_flush(w, f, a);
    if (f->app != a || !a->state)
        return;
    a->proto_orig = (uint8_t)f->app_proto;
    a->ops->state_free(a->state);
    a->state = NULL;
    w->app_memuse -= a->mem;
    a->mem = 0;
    a->next_log = a->next_req = a->ts_same_from = 0;
    a->n_alerted = 0;
    a->pd_done = 0; /* rules on the protocol alone are judged again for the new one */
    start_parser(w, f, a, id);
}

static void feed(worker_t *w, vg_flow_t *f, app_flow_t *a, int dir, const uint8_t *d, size_t n)
{
    if (a->dead || !a->state || !n)
        return;
    w->actx.now = w->cur_pkt ? w->cur_pkt->ts : f->last;
    if (a->ops->parse(a->state, dir, d, n, &w->actx) == VG_APP_PARSE_ERROR)
        a->dead = true;
    mem_refresh(w, a);
    take_expectations(w, f, a);
    enum vg_app_proto to = a->ops->handover && !a->dead ? a->ops->handover(a->state)
                                                        : VG_APP_UNKNOWN;
    if (to != VG_APP_UNKNOWN && to != VG_APP_FAILED && to != f->app_proto)
        handover(w, f, a, to);
}


/* The direction's own protocol, once decided. */
static void set_dir_proto(app_flow_t *a, int dir, enum vg_app_proto id)
{
    if (a->dir_proto[dir] != VG_APP_UNKNOWN)
        return;
    a->dir_proto[dir] = (uint8_t)id;
    a->dir_pd_new |= (uint8_t)(1u << dir);
}

/* While the flow's parser runs: the first bytes of the direction that did not decide the
 * protocol are still probed for that direction's own protocol (app-layer-protocol with
 * to_server/to_client), as Suricata detects each direction. TCP only; bounded by PROBE_MAX. */
static void probe_kept(vg_flow_t *f, app_flow_t *a, int dir)
{
    enum vg_app_proto id = vg_app_detect(true, f->port[0], f->port[1], a->probe[dir],
                                         a->probe_len[dir], dir);
    if (id == VG_APP_UNKNOWN && a->probe_len[dir] < PROBE_MAX)
        return;
    set_dir_proto(a, dir, id == VG_APP_UNKNOWN ? VG_APP_FAILED : id);
}

static void probe_other_dir(vg_flow_t *f, app_flow_t *a, int dir, const uint8_t *d, size_t n)
{
    if (f->proto != 6 || a->dir_proto[dir] != VG_APP_UNKNOWN)
        return;
    size_t keep = VG_MIN(n, (size_t)(PROBE_MAX - a->probe_len[dir]));
    memcpy(a->probe[dir] + a->probe_len[dir], d, keep);
    a->probe_len[dir] = (uint16_t)(a->probe_len[dir] + keep);
    probe_kept(f, a, dir);
}

/* In-order bytes of one direction (TCP role dir, or the datagram direction for UDP). */
static void on_data(worker_t *w, vg_flow_t *f, int dir, const uint8_t *d, size_t n)
{
    app_flow_t *a = app_of(f);
    if (a->failed || a->dead)
        return;
    if (a->state) {
        probe_other_dir(f, a, dir, d, n);
        feed(w, f, a, dir, d, n);
        log_txs(w, f, a, false);
        return;
    }
    if (a->dir_failed[dir]) {
        /* no parser wants this direction's first bytes, but the other direction may still
         * decide the flow: keep them (bounded) so the parser gets them too (an FTP server's
         * multi-line greeting that came in several segments) */
        if (f->proto == 6) {
            size_t k = VG_MIN(n, (size_t)(PROBE_MAX - a->probe_len[dir]));
            memcpy(a->probe[dir] + a->probe_len[dir], d, k);
            a->probe_len[dir] = (uint16_t)(a->probe_len[dir] + k);
        }
        return;
    }
    if (a->first_dir < 0 && n)
        a->first_dir = (int8_t)dir;
    bool tcp = f->proto == 6;
    /* a data connection another flow announced: its protocol is known from the start */
    vg_app_expect_t ex;
    if (tcp && w->n_expects && !a->probe_len[0] && !a->probe_len[1] &&
        expectation_for(w, f, &ex)) {
        start_parser(w, f, a, (enum vg_app_proto)ex.proto);
        if (!a->state)
            return;
        if (a->ops->expect_init)
            a->ops->expect_init(a->state, &ex);
        set_dir_proto(a, dir, (enum vg_app_proto)ex.proto);
        feed(w, f, a, dir, d, n);
        log_txs(w, f, a, false);
        return;
    }
    size_t keep = VG_MIN(n, (size_t)(PROBE_MAX - a->probe_len[dir]));
    memcpy(a->probe[dir] + a->probe_len[dir], d, keep);
    a->probe_len[dir] = (uint16_t)(a->probe_len[dir] + keep);
    enum vg_app_proto id = vg_app_detect(tcp, f->port[0], f->port[1], a->probe[dir],
                                         a->probe_len[dir], dir);
    if (id == VG_APP_UNKNOWN && a->probe_len[dir] < PROBE_MAX && tcp)
        return; /* wait for more bytes */
    if (id == VG_APP_UNKNOWN || id == VG_APP_FAILED) {
        a->dir_failed[dir] = true;
        if (tcp)
            set_dir_proto(a, dir, VG_APP_FAILED);
        if (tcp && a->dir_failed[0] && a->dir_failed[1]) {
            a->failed = true;
            f->app_proto = VG_APP_FAILED;
            count(w, A_FAILED);
        }
        if (!tcp) { /* UDP: the first datagram decides, as Suricata's detection */
            a->failed = true;
            f->app_proto = VG_APP_FAILED;
            count(w, A_FAILED_UDP);
        }
        return;
    }
    start_parser(w, f, a, id);
    if (!a->state)
        return;
    a->detect_role = (uint8_t)dir;
    a->proto_visible = !tcp;
    set_dir_proto(a, dir, id);
    /* the other direction's kept bytes, if any, are probed for its own protocol */
    if (tcp && a->probe_len[!dir] && a->dir_proto[!dir] == VG_APP_UNKNOWN)
        probe_kept(f, a, !dir);
    /* Replay what was kept, the direction that sent first going first (a server's greeting
     * before the client's first command); how the two interleaved after that is not kept. */
    if (tcp) {
        int first = a->first_dir == !dir ? !dir : dir;
        for (int k = 0; k < 2; k++) {
            int d2 = k == 0 ? first : !first;
            if (d2 == dir) {
                /* the bytes beyond what the probe buffer holds come from this call */
                feed(w, f, a, dir, a->probe[dir], a->probe_len[dir] - keep);
                feed(w, f, a, dir, d, n);
            } else {
                feed(w, f, a, d2, a->probe[d2], a->probe_len[d2]);
            }
        }
    } else {
        feed(w, f, a, dir, d, n);
    }
    log_txs(w, f, a, false);
}

/* vg_app_ctx_t.raw_trigger: the bytes of role dir delivered so far are to be inspected once
 * acknowledged (raw_window). */
static void app_raw_trigger(void *user, int dir)
{
    worker_t *w = user;
    vg_flow_t *f = w->cur_flow;
    if (!f || !f->app || f->proto != 6 || (dir != 0 && dir != 1))
        return;
    app_flow_t *a = f->app;
    a->raw[dir].trigger_at = a->raw[dir].off + a->raw[dir].b.len + 1;
}

static void cb_data(void *user, int dir, const uint8_t *d, size_t n)
{
    worker_t *w = user;
    /* dir is the TCP role here: kept for that role's raw-stream inspection, up to where the
     * flow's data turns encrypted (as Suricata stops raw reassembly there; what was kept before
     * is still inspected at flow end) */
    if (n)
        app_of(w->cur_flow)->data_roles |= (uint8_t)(1u << (dir & 1));
    if (w->detect && !payload_encrypted(w->cur_flow))
        raw_add(w, app_of(w->cur_flow), dir, d, n);
    on_data(w, w->cur_flow, dir, d, n);
}

static void cb_gap(void *user, int dir, size_t len)
{
    worker_t *w = user;
    app_flow_t *a = w->cur_flow->app;
    if (w->detect && w->cur_flow->proto == 6)
        raw_gap(w, app_of(w->cur_flow), dir, len);
    a = w->cur_flow->app;
    if (a && a->state && a->ops->gap) {
        a->ops->gap(a->state, dir, len);
        mem_refresh(w, a);
    }
}

/* A TCP flow seen first midstream (stream.midstream) from a packet with data: whether that data
 * is a server's (an HTTP response, an SMTP greeting, ...) and no client's, so that its sender is
 * the server. Suricata reverses such a flow when protocol detection recognises the data only in
 * the other direction. */
bool wapp_server_first(const worker_t *w, const vg_flow_t *f, const vg_packet_t *p)
{
    if (!w->midstream || p->proto != 6 || !p->payload || !p->payload_len ||
        (p->flags & VG_PKT_INVALID) || (p->tcp_flags & (VG_TCP_SYN | VG_TCP_ACK)) != VG_TCP_ACK)
        return false;
    const uint8_t *d = p->payload;
    size_t n = p->payload_len;
    enum vg_app_proto c = vg_app_detect(true, f->port[0], f->port[1], d, n, VG_DIR_TOSERVER);
    if (c != VG_APP_UNKNOWN && c != VG_APP_FAILED)
        return false;
    enum vg_app_proto s = vg_app_detect(true, f->port[1], f->port[0], d, n, VG_DIR_TOCLIENT);
    return s != VG_APP_UNKNOWN && s != VG_APP_FAILED;
}

static const vg_stream_cb_t stream_cb = {cb_data, cb_gap, stream_event};

void wapp_init(worker_t *w)
{
    vg_stream_config_t sc;
    vg_stream_config_defaults(&sc);
    const vg_config_t *cfg = w->run->opts->cfg;
    sc.midstream = vg_config_bool(cfg, "stream.midstream");
    w->midstream = sc.midstream;
    sc.async_oneside = vg_config_bool(cfg, "stream.async-oneside");
    /* process-wide caps, an equal share per worker (see split_caps in engine.c) */
    unsigned nw = w->run->n_workers ? w->run->n_workers : 1;
    sc.memcap = vg_config_uint(cfg, "stream.memcap") / nw;
    sc.ssn_memcap = vg_config_uint(cfg, "stream.session-memcap") / nw;
    sc.reassembly_depth = (uint32_t)VG_MIN(vg_config_uint(cfg, "stream.reassembly.depth"), UINT32_MAX);
    w->stream = vg_stream_ctx_new(&sc);
    vg_spares_init(&w->raw_spares, RAW_SPARE_MAX, RAW_SPARE_BYTES);
    w->raw_memcap = sc.memcap;
    vg_app_config_defaults(&w->app_cfg);
    w->app_cfg.http_request_body_limit =
        (uint32_t)vg_config_uint(cfg, "app-layer.protocols.http.request-body-limit");
    w->app_cfg.http_response_body_limit =
        (uint32_t)vg_config_uint(cfg, "app-layer.protocols.http.response-body-limit");
    w->app_memcap = vg_config_uint(cfg, "app-layer.memcap") / nw;
    w->actx.anomaly = app_anomaly;
    w->actx.raw_trigger = app_raw_trigger;
    w->actx.user = w;
    w->actx.cfg = &w->app_cfg;
    w->app_counters = vg_xcalloc(wapp_stats_table()->n + 1, sizeof(uint64_t));
    if (w->run->opts->detect && w->run->opts->stage == VG_STAGE_ALL) {
        w->detect = vg_detect_ctx_new(w->run->opts->detect);
        vg_detect_ctx_set_tx_seen(w->detect, tx_already_matched);
        vg_detect_ctx_set_fv_make(w->detect, flowvars_make);
        w->detect_engine = w->run->opts->detect;
    }
    if (w->detect && w->run->opts->attrib)
        w->attrib = vg_attrib_ctx_new(w->run->opts->attrib);
    vg_buf_init(&w->fast_line, 256);
    vg_buf_init(&w->pay_show, 0);
}

static void fv_remap_clear(worker_t *w)
{
    for (unsigned i = 0; i < w->n_fv_remap; i++) {
        free(w->fv_remap[i].bits);
        free(w->fv_remap[i].ints);
    }
    w->n_fv_remap = 0;
}

/* At a swap from old to e (old still alive): the maps of earlier generations now lead to e's
 * ids, and old's own ids get a map. */
static void fv_remap_push(worker_t *w, const vg_detect_engine_t *old, const vg_detect_engine_t *e)
{
    if (!old || !e) {
        fv_remap_clear(w);
        return;
    }
    const vg_ruleset_t *ors = vg_detect_engine_ruleset(old), *nrs = vg_detect_engine_ruleset(e);
    uint32_t *tb = vg_ruleset_flowbit_map(ors, nrs), *ti = vg_ruleset_flowint_map(ors, nrs);
    for (unsigned i = 0; i < w->n_fv_remap; i++) {
        struct fv_remap *m = &w->fv_remap[i];
        for (uint32_t k = 0; k < m->n_bits; k++)
            m->bits[k] = m->bits[k] == VG_VAR_NONE ? VG_VAR_NONE : tb[m->bits[k]];
        for (uint32_t k = 0; k < m->n_ints; k++)
            m->ints[k] = m->ints[k] == VG_VAR_NONE ? VG_VAR_NONE : ti[m->ints[k]];
    }
    if (w->n_fv_remap == sizeof w->fv_remap / sizeof w->fv_remap[0]) { /* the oldest goes */
        free(w->fv_remap[0].bits);
        free(w->fv_remap[0].ints);
        memmove(w->fv_remap, w->fv_remap + 1, (w->n_fv_remap - 1) * sizeof w->fv_remap[0]);
        w->n_fv_remap--;
    }
    w->fv_remap[w->n_fv_remap++] = (struct fv_remap){
        .gen = w->detect_gen, .n_bits = vg_ruleset_n_flowbits(ors),
        .n_ints = vg_ruleset_n_flowints(ors), .bits = tb, .ints = ti};
}

void wapp_detect_swap(worker_t *w, unsigned gen)
{
    const vg_detect_engine_t *e = atomic_load_explicit(&w->run->detect_cur, memory_order_acquire);
    fv_remap_push(w, w->detect_engine, e);
    if (w->detect) { /* keep its counters: the stats are for the whole run */
        const vg_stats_table_t *t = vg_detect_stats_table();
        const uint64_t *v = vg_detect_stats_values(w->detect);
        if (!w->detect_base)
            w->detect_base = vg_xcalloc(t->n + 1, sizeof(uint64_t));
        for (size_t i = 0; i < t->n; i++)
            w->detect_base[i] += v[i];
        vg_detect_ctx_free(w->detect);
        w->detect = NULL;
    }
    if (e) {
        w->detect = vg_detect_ctx_new(e);
        vg_detect_ctx_set_tx_seen(w->detect, tx_already_matched);
        vg_detect_ctx_set_fv_make(w->detect, flowvars_make);
        if (!w->attrib && w->run->opts->attrib)
            w->attrib = vg_attrib_ctx_new(w->run->opts->attrib);
    }
    w->detect_engine = e;
    w->detect_gen = gen;
    atomic_store_explicit(&w->detect_ack, gen, memory_order_release);
}

void wapp_fini(worker_t *w)
{
    fv_remap_clear(w);
    vg_spares_fini(&w->raw_spares, NULL);
    vg_stream_ctx_free(w->stream);
    free(w->app_counters);
    vg_detect_ctx_free(w->detect);
    vg_attrib_ctx_free(w->attrib);
    vg_buf_fini(&w->fast_line);
    vg_buf_fini(&w->pay_show);
    free(w->expects);
    vg_buf_fini(&w->traffic);
    vg_buf_fini(&w->metadata);
}

void wapp_packet(worker_t *w, vg_flow_t *f, const vg_packet_t *p, int dir)
{
    w->cur_flow = f;
    w->cur_pkt = p;
    w->cur_dir = dir;
    w->n_sev = 0;
    bool opaque = w->detect && payload_encrypted(f);
    app_flow_t *ta = f->app;
    w->pkt_tag_logged = false;
    if (ta && ta->tag_metric != VG_TAG_NONE)
        tagged_packet(w, f, ta, p, dir);
    bool was_established = flow_established(f);
    int role = dir; /* the packet's TCP role (0 client, 1 server), once the stream has seen it */
    if (p->proto == 6) {
        if (!f->tcp)
            f->tcp = vg_stream_session_new(w->stream);
        if (f->tcp) {
            vg_stream_packet(w->stream, f->tcp, p, dir, &stream_cb, w);
            role = role_of(f, dir);
            app_flow_t *pa = f->app;
            if (pa && pa->state && !pa->dead && pa->ops->packet) {
                w->actx.now = p->ts;
                pa->ops->packet(pa->state, role, vg_stream_acked(f->tcp, !role), &w->actx);
                mem_refresh(w, pa);
                take_expectations(w, f, pa);
                log_txs(w, f, pa, false);
            }
            static const enum vg_flow_state map[] = {VG_FLOW_NEW, VG_FLOW_ESTABLISHED,
                                                     VG_FLOW_CLOSED};
            vg_flow_set_state(w->flows, f, map[vg_stream_timeout_class(f->tcp)]);
        }
    } else if (p->proto == 17 && !(p->flags & VG_PKT_INVALID)) {
        if (p->payload_len)
            on_data(w, f, dir, p->payload, p->payload_len);
        else if (p->l4 && !(p->flags & VG_PKT_FRAGMENT) && !app_of(f)->state)
            /* an empty first datagram decides too (no protocol claims it: failed), as Suricata's
             * detection; parsers get none. Not a fragment that was not reassembled (no UDP
             * header of its own: it says nothing, and needs no per-flow state) */
            on_data(w, f, dir, (const uint8_t *)"", 0);
    }
    app_flow_t *va = f->app;
    if (va && !va->proto_visible && va->state && f->tcp && flow_established(f) &&
        role != va->detect_role)
        va->proto_visible = true;
    if (w->detect) {
        bool est = p->proto == 6 ? was_established : flow_established(f);
        /* TCP on an established session: the raw window of the packet's role, if ready */
        app_flow_t *a = f->app;
        if (a && est && p->proto == 6 && !opaque)
            raw_inspect(w, f, a, p, dir, role, opaque, est, false);
        else
            detect_packet(w, f, p, dir, opaque, est, NULL, 0);
        /* tag:host: after detection, so that the alerting packet is the tag's first (not
         * logged); a packet the flow's own tag logged is not logged twice */
        if (w->run->host_tags && w->run->log_packet &&
            host_tags_packet(w->run->host_tags, &p->src, &p->dst, p->caplen, p->ts) &&
            !w->pkt_tag_logged) {
            worker_ev_begin(w);
            vg_eve_tagged_packet(&w->jw, &w->run->eve, f, dir, p, wapp_app_proto_name(f));
            worker_ev_end(w);
        }
    }
    w->cur_pkt = NULL;
    w->n_sev = 0;
}

void wapp_packet_noflow(worker_t *w, const vg_packet_t *p)
{
    if (!w->detect)
        return;
    w->cur_flow = NULL;
    w->cur_pkt = p;
    w->cur_dir = 0;
    w->noflow_evid = NULL;
    detect_packet(w, NULL, p, 0, false, false, NULL, 0);
    vg_evid_sealed_t sealed;
    if (w->noflow_evid && vg_evid_flow_end(w->evid, &w->noflow_evid, &sealed))
        worker_log_evidence(w, NULL, p, &sealed);
    w->cur_pkt = NULL;
}

void wapp_packet_decoder(worker_t *w, const vg_packet_t *p)
{
    if (!w->detect)
        return;
    w->decoder_only = true;
    wapp_packet_noflow(w, p);
    w->decoder_only = false;
}

void wapp_flow_end(worker_t *w, vg_flow_t *f)
{
    const vg_packet_t *saved = w->cur_pkt;
    vg_flow_t *saved_f = w->cur_flow;
    w->cur_pkt = NULL;
    w->cur_flow = f;
    if (f->tcp)
        vg_stream_flow_end(w->stream, f->tcp, &stream_cb, w);
    app_flow_t *a = f->app;
    w->proto_orig = a ? a->proto_orig : 0;
    if (a) {
        if (a->state && !a->dead && a->ops->end) {
            w->actx.now = f->last;
            a->ops->end(a->state, &w->actx);
            mem_refresh(w, a);
        }
        log_txs(w, f, a, true);
        raw_flush(w, f, a);
        for (int role = 0; role < 2; role++) {
            w->raw_memuse -= a->raw[role].b.len + a->raw[role].pre.len;
            raw_give(w, &a->raw[role].b);
            raw_give(w, &a->raw[role].pre);
        }
        raw_gauge(w);
        if (a->state && a->ops->state_free)
            a->ops->state_free(a->state);
        w->app_memuse -= a->mem;
        if (a_map[A_MEMUSE] != SIZE_MAX)
            w->app_counters[a_map[A_MEMUSE]] = w->app_memuse;
        free(a->alerted);
        free(a);
        f->app = NULL;
    }
    /* the traffic tags for the flow event, read after the last inspection, before the flow's
     * variables go */
    w->traffic_set = w->run->log_flow && wapp_traffic(w, f, &w->traffic);
    w->metadata_set = w->run->log_flow && wapp_metadata(w, f, &w->metadata);
    flow_detect_free(f);
    w->cur_pkt = saved;
    w->cur_flow = saved_f;
}

bool wapp_metadata(worker_t *w, vg_flow_t *f, vg_buf_t *out)
{
    vg_buf_reset(out);
    flow_detect_t *fd = f->detect;
    if (!fd || !fd->fv || !fd->fv->n_strs)
        return false;
    (void)w;
    vg_jw_t jw;
    vg_jw_init(&jw, out);
    vg_jw_obj_open(&jw);
    vg_jw_key(&jw, "flowvars");
    vg_jw_arr_open(&jw);
    for (uint32_t i = 0; i < fd->fv->n_strs; i++) {
        const struct vg_flow_str *s = &fd->fv->strs[i];
        vg_jw_obj_open(&jw);
        vg_jw_key(&jw, s->name);
        vg_jw_strn(&jw, s->val, s->len);
        vg_jw_obj_close(&jw);
    }
    vg_jw_arr_close(&jw);
    vg_jw_obj_close(&jw);
    return true;
}

/* Suricata's traffic tagging: flowbits named traffic/id/NAME and traffic/label/NAME that are
 * set on f, as {"id":[NAME...],"label":[NAME...]} in out. False (out empty) when none is set. */
bool wapp_traffic(worker_t *w, vg_flow_t *f, vg_buf_t *out)
{
    vg_buf_reset(out);
    flow_detect_t *fd = f->detect;
    if (!fd || !fd->fv || fd->gen != w->detect_gen || !w->detect_engine)
        return false;
    const vg_ruleset_t *rs = vg_detect_engine_ruleset(w->detect_engine);
    static const struct { const char *prefix, *key; } kinds[] = {
        {"traffic/id/", "id"}, {"traffic/label/", "label"}};
    vg_jw_t jw;
    vg_jw_init(&jw, out);
    bool any = false;
    for (size_t k = 0; k < VG_ARRAY_LEN(kinds); k++) {
        size_t pl = strlen(kinds[k].prefix);
        bool open = false;
        for (uint32_t id = 0; id < fd->fv->n_bits; id++) {
            const char *name = vg_ruleset_flowbit_name(rs, id);
            if (!name || strncmp(name, kinds[k].prefix, pl) || !vg_flowvars_isset(fd->fv, id))
                continue;
            if (!any)
                vg_jw_obj_open(&jw);
            any = true;
            if (!open) {
                vg_jw_key(&jw, kinds[k].key);
                vg_jw_arr_open(&jw);
                open = true;
            }
            vg_jw_str(&jw, name + pl);
        }
        if (open)
            vg_jw_arr_close(&jw);
    }
    if (any)
        vg_jw_obj_close(&jw);
    return any;
}

/* Called by the flow event writer before the session is freed. */
const char *wapp_app_proto_name(const vg_flow_t *f)
{
    if (f->app_proto == VG_APP_UNKNOWN)
        return NULL;
    return vg_app_proto_name((enum vg_app_proto)f->app_proto);
}

/* The ending flow's protocol before an in-band upgrade (EVE flow app_proto_orig), or NULL;
 * valid after wapp_flow_end, until the next one. */
const char *wapp_app_proto_orig_name(const struct worker *w)
{
    return w->proto_orig ? vg_app_proto_name((enum vg_app_proto)w->proto_orig) : NULL;
}

const char *wapp_tcp_state(const vg_flow_t *f)
{
    /* no TCP session (no SYN seen, midstream off): Suricata writes no state */
    if (!f->tcp || !strcmp(vg_stream_state_name(f->tcp), "none"))
        return NULL;
    return vg_stream_state_name(f->tcp);
}
