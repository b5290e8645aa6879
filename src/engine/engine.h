/* engine.h — the running pipeline: a reader thread, worker threads and one output thread.
 *
 *   reader ──batches──▶ worker 0..N-1 ──event blocks──▶ output ──▶ LOGDIR/eve.json
 *
 * The reader reads captures and sends each packet, copied once into a batch, to the worker that
 * owns its outermost IP pair (vg_decode_worker_hash). A live capture with parts (AF_PACKET
 * fanout) has no reader: worker k reads part k in place (capture/capture.h), the main thread
 * only stops, reloads and counts. Each worker decodes, tracks flows, streams
 * and application protocols for its share, and formats events into blocks of JSON lines. The
 * output thread writes blocks in arrival order and the periodic stats.
 *
 * Determinism: timeouts run on packet time only, and the reader delivers a time tick to every
 * worker at the same position relative to each worker's packets (at each new second of packet
 * time), so the set of events does not depend on the number of workers (their order in the file
 * does). Emergency eviction under a full flow table is the exception: it depends on each worker's
 * share (documented in docs/ARCHITECTURE.md).
 */
#ifndef VG_ENGINE_ENGINE_H
#define VG_ENGINE_ENGINE_H

#include "common/config.h"

struct vg_detect_engine;
struct vg_attrib;
struct vg_jw;

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Rule reload under traffic (reload.c). A control thread builds a new signature engine beside
 * the running one and offers it; the engine hands it to the workers between batches (each makes
 * its thread context for it at its next batch) and frees the old engine once every worker has
 * moved. Every attempt, failed ones too, is listed in the stats events (detect.engines[] for the
 * engine in use, detect.reloads[] for the attempts). Flowbits and flowints of open flows carry
 * over by name, threshold windows for the rules kept with the same threshold. */
typedef struct vg_reloader vg_reloader_t;
vg_reloader_t *vg_reloader_new(void);
/* After the run: frees the engines it was given. */
void vg_reloader_free(vg_reloader_t *rl);
/* Offers e (ownership passes) and waits up to timeout_ms for every worker to use it. Returns 0
 * (in use), 1 (offered, not every worker moved yet), -1 (no run with detection: e freed); msg
 * says which, with the rule counts. Thread-safe. */
int vg_reloader_offer(vg_reloader_t *rl, struct vg_detect_engine *e, int timeout_ms, char *msg,
                      size_t msg_len);
/* Records a reload that failed (the running rules stay). */
void vg_reloader_failed(vg_reloader_t *rl, const char *why);

/* How far down the pipeline packets go (for benchmarks; normal runs use VG_STAGE_ALL). */
enum vg_stage {
    VG_STAGE_ALL = 0,
    VG_STAGE_READ,   /* the reader reads the captures; nothing is dispatched */
    VG_STAGE_DECODE, /* workers decode (and log decode anomalies) */
    VG_STAGE_FLOW,   /* + flow tracking and flow events; no stream, app layer or detection */
};

/* A consumer of the event stream beside eve.json (the event store, the evidence ledger, ...).
 * Its functions run on the output thread, in the order events are written to eve.json, so a
 * sink sees exactly the lines of eve.json, each once. */
typedef struct vg_sink {
    const char *name;                 /* for error messages */
    void *ctx;
    /* One event line (a complete JSON object, no newline). Non-zero: the sink failed; the run
     * goes on without it and ends with an error naming it. */
    int (*event)(void *ctx, const char *line, size_t len);
    /* Called after each block of events and once at the end (final == true): make everything
     * given so far durable. Non-zero: failed, as above. May be NULL. */
    int (*commit)(void *ctx, bool final);
    /* Optional: writes the sink's own gauges (members of the stats object, e.g. "ship": {...})
     * into every stats event. May be NULL. */
    void (*stats)(void *ctx, struct vg_jw *jw);
} vg_sink_t;

typedef struct vg_run_opts {
    const vg_config_t *cfg;
    const char *logdir;
    unsigned workers;       /* 0: one per core */
    bool progress;          /* draw the progress line on stderr */
    enum vg_stage stage;
    const struct vg_detect_engine *detect; /* NULL: no signature matching */
    const struct vg_attrib *attrib;        /* NULL: no attribution on alerts */
    const vg_sink_t *sinks;                /* consumers beside eve.json, in this order */
    size_t n_sinks;
    /* Live runs: when *stop becomes non-zero (set by a signal handler: a lock-free atomic),
     * capture stops, the rings are drained and every flow ends with reason "shutdown". NULL:
     * run to the end of the input. */
    const atomic_int *stop;
    /* Live runs: where new rule sets come from (NULL: no reload). */
    vg_reloader_t *reload;
} vg_run_opts_t;

typedef struct vg_run_result {
    uint64_t packets, bytes, flows, events, anomalies, alerts;
    uint64_t first_ts, last_ts;
    int capture_errors;     /* damaged files (the run is partial) */
    uint64_t kernel_packets, kernel_drops; /* live: the sockets' counters, all interfaces */
    double seconds;
} vg_run_result_t;

/* The number of worker threads a run with these options has (o->workers, else
 * runmode.workers, else one per core; at most 64). */
unsigned vg_engine_workers(const vg_run_opts_t *o);

/* Runs the pipeline over the files. Returns 0 when everything was read, 1 when a file was
 * damaged (partial run; the error was printed), -1 when the run could not start (err says why). */
int vg_engine_run_files(const vg_run_opts_t *o, const char *const *files, size_t n_files,
                        vg_run_result_t *res, char *err, size_t err_len);

/* Runs the pipeline over an opened capture (files or interfaces, capture/capture.h); the capture
 * stays the caller's. Live captures run until *o->stop; a quiet link still advances time (a
 * housekeeping tick each second of wall clock), kernel counters go into the stats events as
 * capture.kernel_packets / capture.kernel_drops. A live capture with parts (fanout) is read by
 * the workers themselves, worker k reading part k: it must have vg_engine_workers(o) parts.
 * Returns as vg_engine_run_files. */
struct vg_capture;
int vg_engine_run_capture(const vg_run_opts_t *o, struct vg_capture *cap, vg_run_result_t *res,
                          char *err, size_t err_len);

#endif
