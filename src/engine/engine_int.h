/* engine_int.h — private to src/engine: batches, workers and the run. */
#ifndef VG_ENGINE_ENGINE_INT_H
#define VG_ENGINE_ENGINE_INT_H

#include "common/config.h"
#include "common/spares.h"
#include "common/json.h"
#include "common/ring.h"
#include "common/stats.h"
#include "decode/decode.h"
#include "engine/engine.h"
#include "engine/evq.h"
#include "flow/flow.h"
#include "output/output.h"
#include "stream/stream.h"
#include "app/app.h"
#include "common/buf.h"
#include "attrib/attrib.h"
#include "detect/detect_engine.h"
#include "evidence/evidence.h"

#include <pthread.h>
#include <stdio.h>
#include <stdatomic.h>

#define BATCH_PKTS 256
#define BATCH_BYTES (512 * 1024)
#define BATCHES_PER_WORKER 16
#define EVBLOCK_FLUSH (192 * 1024)

typedef struct pkt_slot {
    vg_time_t ts;
    uint64_t pcap_cnt;
    uint32_t caplen, wirelen, off;
    int linktype;
    uint16_t file_idx;
    uint32_t file_span;      /* vg_packet_t's: where the record is in its file (evidence) */
    uint64_t file_off;
} pkt_slot_t;

typedef struct batch {
    uint32_t n, used;
    bool has_tick;
    unsigned gen;            /* rule engine generation for these packets (reload.c) */
    vg_time_t tick;          /* after the packets: expire flows at this packet time */
    pkt_slot_t p[BATCH_PKTS];
    uint8_t data[BATCH_BYTES];
} batch_t;

/* Worker-side counters of the engine itself. */
enum { W_EVENTS, W_ANOMALIES, W_ALERTS, W_FLOW_EVENTS, W_N };

struct run;
typedef struct engine_behave engine_behave_t; /* engine_behave.h */

typedef struct worker {
    unsigned id;
    struct run *run;
    pthread_t th;
    vg_ring_t *in;           /* batches from the reader */
    vg_ring_t *back;         /* empty batches back to the reader */
    vg_decoder_t *dec;
    vg_flow_table_t *flows;
    vg_stream_ctx_t *stream;
    vg_app_config_t app_cfg;
    vg_app_ctx_t actx;
    uint64_t *app_counters;  /* wapp_stats_table() order */
    uint64_t app_memuse;     /* bytes held by this worker's parser states (state_memuse) */
    uint64_t app_memcap;     /* this worker's share of app-layer.memcap; 0 = none */
    /* data connections announced by this worker's flows (FTP), waiting for their flow; a flow
     * and its data connection share an address pair, hence a worker (worker_app.c) */
    struct wapp_expect *expects;
    uint32_t n_expects;
    /* what is being processed, for events raised from callbacks */
    vg_flow_t *cur_flow;
    const vg_packet_t *cur_pkt;
    int cur_dir;
    /* signature matching */
    vg_detect_ctx_t *detect;
    const vg_detect_engine_t *detect_engine; /* the engine detect was made for */
    unsigned detect_gen;                     /* its generation (reload.c) */
    atomic_uint detect_ack;                  /* detect_gen, published for the reader */
    uint64_t *detect_base;                   /* counters of contexts freed by reloads */
    /* flowbit/flowint ids of earlier generations mapped to the current one (worker_app.c) */
    struct fv_remap { unsigned gen; uint32_t n_bits, n_ints, *bits, *ints; } fv_remap[8];
    unsigned n_fv_remap;
    vg_attrib_ctx_t *attrib;      /* NULL without attribution */
    vg_evid_ctx_t *evid;          /* NULL without evidence capture */
    /* wapp_packet_noflow: the evidence of the flowless packet being inspected (its alerts' file,
     * sealed when its detection is done; an alert without a flow comes only from there) */
    void *noflow_evid;
    uint64_t raw_memuse;     /* bytes kept for raw-stream inspection (worker_app.c) */
    uint64_t raw_memcap;     /* bound of raw_memuse: this worker's share of stream.memcap */
    vg_spares_t raw_spares;  /* raw-stream buffers given back, empty (worker_app.c raw_give) */
    bool pseudo;             /* detect_packet: the flow-end window inspection, no packet */
    bool decoder_only;       /* detect_packet: wapp_packet_decoder's inspection (VG_DIN_DECODER) */
    uint16_t sev[8];         /* the stream events raised on the packet being processed (codes) */
    uint32_t n_sev;
    bool midstream;          /* stream.midstream */
    bool pkt_tag_logged;     /* the flow's tag:session logged the packet being processed */
    /* what detect_packet gave the engine, for the alerts' payload fields (valid during it) */
    const uint8_t *det_win, *det_pay;
    size_t det_win_len, det_pay_len;
    /* raw_inspect: the pre-gap bytes, the gap and the window, and the payload made of them */
    const uint8_t *show_pre, *show_win;
    size_t show_pre_len, show_win_len;
    uint64_t show_gap;
    vg_buf_t pay_show;
    vg_buf_t fast_line;      /* scratch for one fast.log line */
    vg_buf_t traffic;        /* scratch: the "traffic" object of an alert or flow event */
    bool traffic_set;        /* wapp_flow_end left the ending flow's object in traffic */
    vg_buf_t metadata;       /* scratch: the "metadata" object (flow variables) likewise */
    bool metadata_set;
    uint8_t proto_orig;      /* wapp_flow_end: the ending flow's protocol before an in-band
                              * upgrade (SMTP STARTTLS), 0 when none */
    const vg_app_ops_t *cur_ops; /* transaction being inspected (alerts log its object) */
    void *cur_tx;
    uint64_t cur_tx_id;
    evblock_t *cur;
    vg_jw_t jw;
    vg_buf_t line;
    vg_time_t now;
    uint64_t counters[W_N];
    /* published once per batch for the progress line (read by the reader thread) */
    atomic_ullong prog_flows, prog_alerts;
    /* direct capture (run.direct): what this worker read, published for the main thread */
    atomic_ullong rx_packets, rx_bytes, rx_last_ts;
    vg_time_t rx_first_ts;   /* read after join */
    /* stats snapshot for the output thread's periodic stats */
    pthread_mutex_t snap_mu;
    uint64_t *snap;
    unsigned snap_epoch;
} worker_t;

/* The merged counter table: every stage's names, sorted, with a map from each stage's index. */
enum { SRC_DECODE, SRC_FLOW, SRC_STREAM, SRC_APP, SRC_DETECT, SRC_EVIDENCE, SRC_BEHAVE, SRC_N };
typedef struct stats_merge {
    const char **names;
    size_t n;
    vg_stats_table_t table;
    const vg_stats_table_t *src[SRC_N];
    size_t *map[SRC_N];
} stats_merge_t;

typedef struct run {
    const vg_run_opts_t *opts;
    vg_decode_config_t dec_cfg;
    vg_flow_config_t flow_cfg;
    vg_eve_opts_t eve;
    bool log_flow, log_anomaly, log_stats, log_app, log_packet;
    /* evidence capture (src/evidence): on when evidence.enabled and detection runs */
    bool evidence;
    vg_evid_config_t evid_cfg;
    char evid_dir[4096];
    const char **evid_files;      /* evid_cfg.files (the capture's names) */
    /* fast.log: alerts are rare, so workers append under a mutex through stdio buffering */
    FILE *fast;
    pthread_mutex_t fast_mu;
    unsigned n_workers;
    worker_t *workers;
    evq_t evq;
    struct host_tags *host_tags; /* tag:host, when detection is on (host_tags.h) */
    stats_merge_t sm;
    atomic_uint stats_epoch;  /* bumped by the output thread to ask workers for a snapshot */
    atomic_ullong last_ts;    /* latest packet time read */
    atomic_ullong packets, bytes;
    engine_behave_t *behave;  /* behavioural detectors, NULL when off */
    /* live capture: workers hand their event blocks over at each tick (else a quiet link keeps
     * events back); kernel counters, summed over interfaces, published by the reader */
    bool live;
    /* direct capture: each worker reads its own part of the capture (its sockets in the fanout
     * groups, capture/capture.h) in place; no reader thread, no batches */
    bool direct;
    struct vg_capture *cap;
    atomic_uint workers_done;
    atomic_ullong k_packets, k_drops;
    size_t n_ifs;                       /* the same per interface */
    struct run_if {
        const char *name;
        atomic_ullong packets, drops;
        atomic_ullong sk_packets[64], sk_drops[64]; /* direct capture: per worker's socket */
    } *ifs;
    double prog_t;                      /* live progress line: the last draw (reader only) */
    uint64_t prog_pk, prog_bytes;
    /* rule reload: the engine workers should use, and its generation */
    _Atomic(const vg_detect_engine_t *) detect_cur;
    atomic_uint detect_gen;
} run_t;

/* reload.c, engine side (reader and output threads) */
void reload_attach(vg_reloader_t *rl, const vg_detect_engine_t *initial);
void reload_detach(vg_reloader_t *rl);
bool reload_has_pending(const vg_reloader_t *rl);
const vg_detect_engine_t *reload_take(vg_reloader_t *rl);
void reload_moved(vg_reloader_t *rl);
void reload_write_stats(vg_reloader_t *rl, vg_jw_t *jw);
/* worker_app.c: move the worker to run->detect_cur (at a batch boundary). */
void wapp_detect_swap(worker_t *w, unsigned gen);

/* Event lines from a worker: begin opens a JSON writer on the current block, end terminates the
 * line and hands full blocks to the output thread. */
void worker_ev_begin(worker_t *w);
void worker_ev_end(worker_t *w);
/* Append a fast.log line (no-op when fast.log is off). */
void worker_fast_log(worker_t *w, const char *line, size_t len);
/* The "evidence" event of a sealed file: of flow f, or (f NULL) of the flowless packet p. */
void worker_log_evidence(worker_t *w, const vg_flow_t *f, const vg_packet_t *p,
                         const vg_evid_sealed_t *s);

int worker_start(run_t *r, worker_t *w, unsigned id);
void worker_join(worker_t *w);
void worker_fini(worker_t *w);
/* Fills out (r->sm.n values) with this worker's counters (worker thread only, or after join). */
void worker_collect(const worker_t *w, uint64_t *out);

#endif
