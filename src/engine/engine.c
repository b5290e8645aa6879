/* engine.c — run set-up, the reader loop, the output thread, stats and progress. */
#include "engine/engine_int.h"
#include "engine/host_tags.h"
#include "engine/worker_app.h"
#include "engine/engine_behave.h"
#include "capture/capture.h"
#include "common/common.h"
#include "common/log.h"
#include "common/timefmt.h"

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static double now_wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* --- merged stats table --- */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static size_t find_name(const stats_merge_t *sm, const char *name)
{
    const char **hit = bsearch(&name, sm->names, sm->n, sizeof *sm->names, cmp_str);
    return (size_t)(hit - sm->names);
}

/* Sorting the dotted names keeps every prefix group contiguous (what vg_stats_write needs) and
 * lets two stages share a section ("tcp.*" from decode and stream). */
static void stats_merge_init(stats_merge_t *sm)
{
    sm->src[SRC_DECODE] = vg_decode_stats_table();
    sm->src[SRC_FLOW] = vg_flow_stats_table();
    sm->src[SRC_STREAM] = vg_stream_stats_table();
    sm->src[SRC_APP] = wapp_stats_table();
    sm->src[SRC_DETECT] = vg_detect_stats_table();
    sm->src[SRC_EVIDENCE] = vg_evid_stats_table();
    sm->src[SRC_BEHAVE] = vg_behave_stats_table();
    size_t total = 0;
    for (int t = 0; t < SRC_N; t++)
        total += sm->src[t]->n;
    sm->names = vg_xcalloc(total + 1, sizeof *sm->names);
    size_t n = 0;
    for (int t = 0; t < SRC_N; t++)
        for (size_t i = 0; i < sm->src[t]->n; i++)
            sm->names[n++] = sm->src[t]->names[i];
    qsort(sm->names, n, sizeof *sm->names, cmp_str);
    size_t u = 0;
    for (size_t i = 0; i < n; i++)
        if (u == 0 || strcmp(sm->names[u - 1], sm->names[i]) != 0)
            sm->names[u++] = sm->names[i];
    sm->n = u;
    sm->table.names = sm->names;
    sm->table.n = u;
    for (int t = 0; t < SRC_N; t++) {
        sm->map[t] = vg_xcalloc(sm->src[t]->n + 1, sizeof(size_t));
        for (size_t i = 0; i < sm->src[t]->n; i++)
            sm->map[t][i] = find_name(sm, sm->src[t]->names[i]);
    }
}

static void stats_merge_fini(stats_merge_t *sm)
{
    free(sm->names);
    for (int t = 0; t < SRC_N; t++)
        free(sm->map[t]);
}

/* --- output thread --- */

typedef struct out_ctx {
    run_t *run;
    int fd;
    double start_wall;
    int write_error;
    uint64_t events;
    bool *sink_failed;      /* per sink: failed once, no more calls */
    const char *failed_sink;
    uint64_t unsynced;      /* evidence: eve.json bytes written since the last writeback start */
} out_ctx_t;

/* With evidence on, the ledger's checkpoints make the file system durable (syncfs), eve.json
 * included (`vigil verify` checks the alerts against it). Starting eve.json's writeback every
 * few MB, without waiting for it, lets the disk work while the run goes on, so that the final
 * checkpoint waits only for the tail. */
#define EVE_WRITEBACK_EVERY (8u << 20)

static void eve_writeback(out_ctx_t *o, size_t n)
{
    if (!o->run->evidence || o->fd < 0)
        return;
    o->unsynced += n;
    if (o->unsynced < EVE_WRITEBACK_EVERY)
        return;
    o->unsynced = 0;
    (void)sync_file_range(o->fd, 0, 0, SYNC_FILE_RANGE_WRITE); /* a hint: errors change nothing */
}

static void sink_fail(out_ctx_t *o, size_t i)
{
    const vg_sink_t *s = &o->run->opts->sinks[i];
    o->sink_failed[i] = true;
    if (!o->failed_sink)
        o->failed_sink = s->name;
    vg_log(VG_LOG_ERROR, "output %s failed; the run goes on without it", s->name);
}

/* Hand every line of data (complete lines) to the sinks, then ask them to commit. */
static void feed_sinks(out_ctx_t *o, const char *data, size_t len, bool commit, bool final)
{
    const vg_run_opts_t *ro = o->run->opts;
    for (size_t i = 0; i < ro->n_sinks; i++) {
        const vg_sink_t *s = &ro->sinks[i];
        if (o->sink_failed[i])
            continue;
        const char *p = data, *end = data + len;
        while (p < end) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
            if (n && s->event(s->ctx, p, n) != 0) {
                sink_fail(o, i);
                break;
            }
            p += n + 1;
        }
        if (!o->sink_failed[i] && commit && s->commit && s->commit(s->ctx, final) != 0)
            sink_fail(o, i);
    }
}

/* Resident memory of the process now and at its peak (VmRSS / VmHWM, Linux), in bytes; false
 * where /proc is not available. The peak is what the memory caps are meant to bound. */
static bool read_rss(uint64_t *rss, uint64_t *peak)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return false;
    char line[256];
    int got = 0;
    unsigned long long v;
    while (fgets(line, sizeof line, f)) {
        if (sscanf(line, "VmRSS: %llu kB", &v) == 1) {
            *rss = (uint64_t)v << 10;
            got |= 1;
        } else if (sscanf(line, "VmHWM: %llu kB", &v) == 1) {
            *peak = (uint64_t)v << 10;
            got |= 2;
        }
    }
    fclose(f);
    return got == 3;
}

/* The counters with detect.engines[] / detect.reloads[] (Suricata's place for reloads) and
 * detect.tag_host (the process-wide host tags) inside the "detect" object: the sorted table is
 * written in three parts around the detect.* names. */
static void write_counters_with_engines(vg_jw_t *jw, run_t *r, const uint64_t *sum)
{
    const stats_merge_t *sm = &r->sm;
    size_t a = 0, b;
    while (a < sm->n && strncmp(sm->names[a], "detect.", 7) < 0)
        a++;
    for (b = a; b < sm->n && strncmp(sm->names[b], "detect.", 7) == 0; b++)
        ;
    const char **inner = vg_xcalloc(b - a + 1, sizeof *inner);
    for (size_t i = a; i < b; i++)
        inner[i - a] = sm->names[i] + 7;
    vg_stats_table_t head = {sm->names, a}, mid = {inner, b - a}, tail = {sm->names + b, sm->n - b};
    vg_stats_write(jw, &head, sum);
    vg_jw_key(jw, "detect");
    vg_jw_obj_open(jw);
    vg_stats_write(jw, &mid, sum + a);
    if (r->opts->reload)
        reload_write_stats(r->opts->reload, jw);
    if (r->host_tags) {
        uint64_t active, evictions, dropped;
        host_tags_stats(r->host_tags, &active, &evictions, &dropped);
        vg_jw_key(jw, "tag_host");
        vg_jw_obj_open(jw);
        vg_jw_kv_uint(jw, "active", active);
        vg_jw_kv_uint(jw, "evictions", evictions);
        vg_jw_kv_uint(jw, "dropped", dropped);
        vg_jw_obj_close(jw);
    }
    vg_jw_obj_close(jw);
    vg_stats_write(jw, &tail, sum + b);
    free(inner);
}

/* Sum the workers' latest snapshots (final == true: after they all finished). */
static void write_stats(out_ctx_t *o, bool final)
{
    run_t *r = o->run;
    if (!r->log_stats || o->fd < 0) {
        if (final)
            feed_sinks(o, "", 0, true, true);
        return;
    }
    uint64_t *sum = vg_xcalloc(r->sm.n ? r->sm.n : 1, sizeof(uint64_t));
    for (unsigned i = 0; i < r->n_workers; i++) {
        worker_t *w = &r->workers[i];
        pthread_mutex_lock(&w->snap_mu);
        for (size_t k = 0; k < r->sm.n; k++)
            sum[k] += w->snap[k];
        pthread_mutex_unlock(&w->snap_mu);
    }
    engine_behave_stats(r->behave, &r->sm, sum);
    vg_buf_t b;
    vg_buf_init(&b, 8192);
    vg_jw_t jw;
    vg_jw_init(&jw, &b);
    char ts[VG_TIME_STR_LEN];
    vg_time_t t = atomic_load(&r->last_ts);
    size_t tn = vg_time_format(t, ts);
    vg_jw_obj_open(&jw);
    vg_jw_key(&jw, "timestamp");
    vg_jw_strn(&jw, ts, tn);
    vg_jw_kv_str(&jw, "event_type", "stats");
    if (r->eve.sensor_name)
        vg_jw_kv_str(&jw, "host", r->eve.sensor_name);
    vg_jw_key(&jw, "stats");
    vg_jw_obj_open(&jw);
    vg_jw_kv_uint(&jw, "uptime", (uint64_t)(now_wall() - o->start_wall));
    vg_jw_kv_bool(&jw, "final", final);
    if (r->opts->reload || r->host_tags)
        write_counters_with_engines(&jw, r, sum);
    else
        vg_stats_write(&jw, &r->sm.table, sum);
    if (r->live) { /* Suricata's names; no other stage counts under "capture" */
        vg_jw_key(&jw, "capture");
        vg_jw_obj_open(&jw);
        vg_jw_kv_uint(&jw, "kernel_packets", atomic_load(&r->k_packets));
        vg_jw_kv_uint(&jw, "kernel_drops", atomic_load(&r->k_drops));
        vg_jw_key(&jw, "interfaces");
        vg_jw_arr_open(&jw);
        for (size_t i = 0; i < r->n_ifs; i++) {
            vg_jw_obj_open(&jw);
            vg_jw_kv_str(&jw, "name", r->ifs[i].name);
            vg_jw_kv_uint(&jw, "kernel_packets", atomic_load(&r->ifs[i].packets));
            vg_jw_kv_uint(&jw, "kernel_drops", atomic_load(&r->ifs[i].drops));
            if (r->direct && r->n_workers > 1) { /* the fanout group: one socket per worker */
                vg_jw_key(&jw, "sockets");
                vg_jw_arr_open(&jw);
                for (unsigned k = 0; k < r->n_workers; k++) {
                    vg_jw_obj_open(&jw);
                    vg_jw_kv_uint(&jw, "kernel_packets", atomic_load(&r->ifs[i].sk_packets[k]));
                    vg_jw_kv_uint(&jw, "kernel_drops", atomic_load(&r->ifs[i].sk_drops[k]));
                    vg_jw_obj_close(&jw);
                }
                vg_jw_arr_close(&jw);
            }
            vg_jw_obj_close(&jw);
        }
        vg_jw_arr_close(&jw);
        vg_jw_obj_close(&jw);
    }
    uint64_t rss, peak;
    if (read_rss(&rss, &peak)) {
        vg_jw_key(&jw, "memory");
        vg_jw_obj_open(&jw);
        vg_jw_kv_uint(&jw, "rss", rss);
        vg_jw_kv_uint(&jw, "rss_peak", peak);
        vg_jw_obj_close(&jw);
    }
    for (size_t i = 0; i < r->opts->n_sinks; i++)
        if (r->opts->sinks[i].stats)
            r->opts->sinks[i].stats(r->opts->sinks[i].ctx, &jw);
    vg_jw_obj_close(&jw);
    vg_jw_obj_close(&jw);
    vg_buf_putc(&b, '\n');
    if (vg_write_all(o->fd, b.data, b.len))
        o->write_error = errno;
    feed_sinks(o, b.data, b.len, true, final);
    o->events++;
    vg_buf_fini(&b);
    free(sum);
}

static void *output_main(void *arg)
{
    out_ctx_t *o = arg;
    run_t *r = o->run;
    pthread_setname_np(pthread_self(), "vg-output");
    uint64_t interval = vg_config_uint(r->opts->cfg, "stats.interval");
    double next_stats = o->start_wall + (double)(interval ? interval : 8);
    for (;;) {
        bool finished;
        evblock_t *b = evq_next(&r->evq, 200, &finished);
        if (b) {
            if (o->fd >= 0 && !o->write_error && vg_write_all(o->fd, b->buf.data, b->buf.len))
                o->write_error = errno;
            eve_writeback(o, b->buf.len);
            feed_sinks(o, b->buf.data, b->buf.len, true, false);
            o->events += b->n_events;
            evq_release(&r->evq, b);
        }
        if (finished)
            break;
        if (interval && now_wall() >= next_stats) {
            /* Ask for fresh snapshots; they arrive with the workers' next batches. */
            atomic_fetch_add(&r->stats_epoch, 1);
            write_stats(o, false);
            next_stats = now_wall() + (double)interval;
        }
    }
    return NULL;
}

/* --- reader --- */

static void progress_line(const vg_capture_t *cap, run_t *r, double t0, bool done)
{
    double el = now_wall() - t0;
    uint64_t tot = vg_capture_total_bytes(cap), got = vg_capture_bytes_done(cap);
    uint64_t pk = atomic_load(&r->packets), flows = 0, alerts = 0;
    for (unsigned i = 0; i < r->n_workers; i++) {
        flows += atomic_load_explicit(&r->workers[i].prog_flows, memory_order_relaxed);
        alerts += atomic_load_explicit(&r->workers[i].prog_alerts, memory_order_relaxed);
    }
    alerts += engine_behave_alerts(r->behave);
    if (r->live) { /* rates over the last interval: a sensor runs for months */
        uint64_t kp = atomic_load(&r->k_packets), kd = atomic_load(&r->k_drops);
        uint64_t by = atomic_load(&r->bytes);
        double now = now_wall(), dt = now - (r->prog_t > 0 ? r->prog_t : t0);
        fprintf(stderr,
                "\r\033[K%llu pkts  %llu kernel drops (%.2f%%)  %.0f pkt/s  %.1f Mbit/s  "
                "%llu flows  %llu alerts%s",
                (unsigned long long)pk, (unsigned long long)kd,
                kp ? 100.0 * (double)kd / (double)kp : 0.0,
                dt > 0 ? (double)(pk - r->prog_pk) / dt : 0.0,
                dt > 0 ? (double)(by - r->prog_bytes) * 8 / dt / 1e6 : 0.0,
                (unsigned long long)flows, (unsigned long long)alerts, done ? "\n" : "");
        r->prog_t = now;
        r->prog_pk = pk;
        r->prog_bytes = by;
        return;
    }
    double pct = tot ? 100.0 * (double)got / (double)tot : 100.0;
    fprintf(stderr,
            "\r\033[K%5.1f%%  %.1f/%.1f MB  %llu pkts  %.0f kpkt/s  %.1f Mbit/s  %llu flows  "
            "%llu alerts%s",
            done ? 100.0 : pct, (double)got / 1e6, (double)tot / 1e6, (unsigned long long)pk,
            el > 0 ? (double)pk / el / 1e3 : 0.0,
            el > 0 ? (double)atomic_load(&r->bytes) * 8 / el / 1e6 : 0.0,
            (unsigned long long)flows, (unsigned long long)alerts, done ? "\n" : "");
}

typedef struct reader {
    run_t *run;
    batch_t **cur;         /* current batch per worker */
    vg_time_t tick_sec;    /* packet-time second of the last tick */
} reader_t;

static batch_t *reader_batch(reader_t *rd, unsigned wi)
{
    if (!rd->cur[wi]) {
        batch_t *b = vg_ring_pop(rd->run->workers[wi].back);
        b->n = b->used = 0;
        b->has_tick = false;
        /* a batch is begun and ended on one side of a rule swap (reader_reload) */
        b->gen = atomic_load_explicit(&rd->run->detect_gen, memory_order_relaxed);
        rd->cur[wi] = b;
    }
    return rd->cur[wi];
}

static void reader_push(reader_t *rd, unsigned wi)
{
    if (rd->cur[wi]) {
        vg_ring_push(rd->run->workers[wi].in, rd->cur[wi]);
        rd->cur[wi] = NULL;
    }
}

/* At each new second of packet time every worker gets a tick at the same point of its packet
 * sequence, so flow timeouts do not depend on how traffic is split between workers. */
static void reader_tick(reader_t *rd, vg_time_t ts)
{
    for (unsigned i = 0; i < rd->run->n_workers; i++) {
        batch_t *b = reader_batch(rd, i);
        b->has_tick = true;
        b->tick = ts;
        reader_push(rd, i);
    }
}

/* Live, quiet link: the wall clock stands in for packet time, so flows still time out. Kernel
 * timestamps are wall clock too, so the two agree. */
static void reader_idle(reader_t *rd)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    vg_time_t now = (vg_time_t)ts.tv_sec * VG_USEC_PER_SEC + (vg_time_t)(ts.tv_nsec / 1000);
    vg_time_t sec = now / VG_USEC_PER_SEC;
    if (sec > rd->tick_sec && now > atomic_load(&rd->run->last_ts)) {
        reader_tick(rd, now);
        rd->tick_sec = sec;
        atomic_store(&rd->run->last_ts, now);
    }
}

/* Rule reload, between packets: publish an offered engine; once every worker acknowledged it,
 * let the old one go. Workers switch at the first batch that carries the new generation. */
static void reader_reload(reader_t *rd, unsigned *swapping)
{
    run_t *r = rd->run;
    vg_reloader_t *rl = r->opts->reload;
    if (*swapping) {
        for (unsigned i = 0; i < r->n_workers; i++)
            if (atomic_load_explicit(&r->workers[i].detect_ack, memory_order_acquire) != *swapping)
                return;
        reload_moved(rl);
        *swapping = 0;
    }
    if (!reload_has_pending(rl))
        return;
    const vg_detect_engine_t *e = reload_take(rl);
    if (!e)
        return;
    /* Batches begun before the swap go with the old engine; the next ones carry the new
     * generation, so the switch falls exactly between two packets read. */
    for (unsigned i = 0; i < r->n_workers; i++)
        reader_push(rd, i);
    unsigned g = atomic_load(&r->detect_gen) + 1;
    atomic_store_explicit(&r->detect_cur, e, memory_order_release);
    atomic_store_explicit(&r->detect_gen, g, memory_order_release);
    *swapping = g;
}

static void kernel_stats(vg_capture_t *cap, run_t *r)
{
    uint64_t kp = 0, kd = 0;
    for (size_t i = 0; i < vg_capture_n_ifaces(cap); i++) {
        uint64_t p, d;
        vg_capture_kernel_stats(cap, i, &p, &d);
        for (unsigned k = 0; r->direct && k < r->n_workers; k++) {
            uint64_t sp, sd;
            vg_capture_socket_stats(cap, i, k, &sp, &sd);
            atomic_store(&r->ifs[i].sk_packets[k], sp);
            atomic_store(&r->ifs[i].sk_drops[k], sd);
        }
        atomic_store(&r->ifs[i].packets, p);
        atomic_store(&r->ifs[i].drops, d);
        kp += p;
        kd += d;
    }
    atomic_store(&r->k_packets, kp);
    atomic_store(&r->k_drops, kd);
}

static void reader_add(reader_t *rd, const vg_packet_t *p)
{
    run_t *r = rd->run;
    vg_time_t sec = p->ts / VG_USEC_PER_SEC;
    if (sec > rd->tick_sec) {
        if (rd->tick_sec)
            reader_tick(rd, p->ts);
        rd->tick_sec = sec;
    }
    unsigned wi = r->n_workers > 1 ? (unsigned)(vg_decode_worker_hash(p) % r->n_workers) : 0;
    batch_t *b = reader_batch(rd, wi);
    uint32_t len = p->caplen > BATCH_BYTES ? BATCH_BYTES : p->caplen;
    if (b->n == BATCH_PKTS || BATCH_BYTES - b->used < len) {
        reader_push(rd, wi);
        b = reader_batch(rd, wi);
    }
    pkt_slot_t *s = &b->p[b->n++];
    s->ts = p->ts;
    s->pcap_cnt = p->pcap_cnt;
    s->caplen = len;
    s->wirelen = p->wirelen;
    s->linktype = p->linktype;
    s->file_idx = p->file_idx;
    s->file_span = p->file_span;
    s->file_off = p->file_off;
    s->off = b->used;
    memcpy(b->data + b->used, p->data, len);
    b->used += (len + 7u) & ~7u;
    if (b->used > BATCH_BYTES)
        b->used = BATCH_BYTES;
}

static unsigned default_workers(const vg_config_t *cfg)
{
    unsigned n = (unsigned)vg_config_uint(cfg, "runmode.workers");
    if (n)
        return n;
    long c = sysconf(_SC_NPROCESSORS_ONLN);
    return c > 0 ? (unsigned)c : 1;
}

unsigned vg_engine_workers(const vg_run_opts_t *o)
{
    unsigned n = o->workers ? o->workers : default_workers(o->cfg);
    return n > 64 ? 64 : n;
}

/* Direct capture: the workers' read counters into the run's (progress line, stats time). */
static void direct_collect(run_t *r)
{
    uint64_t pk = 0, by = 0, last = 0;
    for (unsigned i = 0; i < r->n_workers; i++) {
        worker_t *w = &r->workers[i];
        pk += atomic_load_explicit(&w->rx_packets, memory_order_relaxed);
        by += atomic_load_explicit(&w->rx_bytes, memory_order_relaxed);
        last = VG_MAX(last, (uint64_t)atomic_load_explicit(&w->rx_last_ts, memory_order_relaxed));
    }
    atomic_store(&r->packets, pk);
    atomic_store(&r->bytes, by);
    if (last > atomic_load(&r->last_ts))
        atomic_store(&r->last_ts, last);
}

/* Direct capture: the workers read; this thread stops the capture, hands rule sets over, reads
 * the kernel counters and draws the progress line until every worker has drained its rings. */
static void direct_main(run_t *r, reader_t *rd, vg_capture_t *cap, bool can_reload,
                        unsigned *swapping, double t0)
{
    const vg_run_opts_t *o = r->opts;
    bool stopping = false;
    double last_draw = t0, last_kstats = t0;
    while (atomic_load(&r->workers_done) < r->n_workers) {
        if (o->stop && atomic_load_explicit(o->stop, memory_order_relaxed) && !stopping) {
            vg_capture_stop(cap);
            stopping = true;
        }
        if (can_reload && (*swapping || reload_has_pending(o->reload)))
            reader_reload(rd, swapping);
        direct_collect(r);
        double now = now_wall();
        if (now - last_kstats > 1.0) {
            kernel_stats(cap, r);
            last_kstats = now;
        }
        if (o->progress && now - last_draw > 0.25) {
            progress_line(cap, r, t0, false);
            last_draw = now;
        }
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    direct_collect(r);
}

/* Memory caps are for the whole process, as in Suricata's configuration: each worker gets an
 * equal share (it owns its tables; sharing one budget would cost a lock per allocation). */
static uint64_t share(uint64_t total, unsigned n, uint64_t floor)
{
    uint64_t v = total / (n ? n : 1);
    return v < floor && total >= floor ? floor : v;
}

/* Open evidence files each worker keeps: a quarter of the descriptor limit (raised to its hard
 * limit first) shared by the workers, 16 to 1,024 each. With fewer, flows that alerted and are
 * still open were reopened for every append (two system calls and a path lookup each; 1.8 per
 * alerted flow in bench/evidence.sh at 16). */
static uint32_t evidence_fds(unsigned workers)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return 16;
    if (rl.rlim_cur < rl.rlim_max) {
        struct rlimit up = {rl.rlim_max, rl.rlim_max};
        if (setrlimit(RLIMIT_NOFILE, &up) == 0)
            rl = up;
    }
    uint64_t per = (uint64_t)(rl.rlim_cur == RLIM_INFINITY ? 4096 : rl.rlim_cur) / 4 /
                   (workers ? workers : 1);
    return (uint32_t)(per < 16 ? 16 : per > 1024 ? 1024 : per);
}

static void split_caps(run_t *r)
{
    unsigned n = r->n_workers;
    r->flow_cfg.memcap = share(r->flow_cfg.memcap, n, 1u << 20);
    r->dec_cfg.defrag_memcap = share(r->dec_cfg.defrag_memcap, n, 64u << 10);
    r->dec_cfg.defrag_max_trackers = (uint32_t)share(r->dec_cfg.defrag_max_trackers, n, 64);
    r->evid_cfg.memcap = share(r->evid_cfg.memcap, n, 1u << 20);
    r->evid_cfg.fds_kept = r->evidence ? evidence_fds(n) : 0;
}

static void run_config(run_t *r, const vg_config_t *cfg)
{
    vg_decode_config_defaults(&r->dec_cfg);
    r->dec_cfg.checksum_validate = vg_config_bool(cfg, "capture.checksum-validation");
    r->dec_cfg.defrag_memcap = vg_config_uint(cfg, "defrag.memcap");
    r->dec_cfg.defrag_max_trackers = (uint32_t)vg_config_uint(cfg, "defrag.trackers");
    r->dec_cfg.defrag_timeout_s = (uint32_t)vg_config_uint(cfg, "defrag.timeout");
    vg_flow_config_defaults(&r->flow_cfg);
    r->flow_cfg.memcap = vg_config_uint(cfg, "flow.memcap");
    r->flow_cfg.synack_reverses = vg_config_bool(cfg, "stream.midstream");
    static const char *const kinds[] = {"tcp", "udp", "icmp", "default"};
    static const char *const states[] = {"new", "established", "closed"};
    for (int k = 0; k < 4; k++) {
        for (int s = 0; s < 3; s++) {
            char key[64];
            snprintf(key, sizeof key, "flow.timeouts.%s.%s", kinds[k], states[s]);
            uint64_t v = vg_config_uint(cfg, key);
            if (v || vg_config_str(cfg, key))
                r->flow_cfg.timeout[k][s] = (uint32_t)v;
            else if (s == 2)
                r->flow_cfg.timeout[k][s] = r->flow_cfg.timeout[k][0];
        }
    }
    r->eve.community_id = true;
    r->eve.community_id_seed = 0;
    r->eve.sensor_name = vg_config_str(cfg, "sensor-name");
    r->eve.alert_packet = vg_config_bool(cfg, "outputs.eve.types.alert.packet");
    r->eve.ethernet = vg_config_bool(cfg, "outputs.eve.ethernet");
    r->eve.alert_payload = vg_config_bool(cfg, "outputs.eve.types.alert.payload");
    r->eve.alert_payload_printable = vg_config_bool(cfg, "outputs.eve.types.alert.payload-printable");
    r->eve.payload_buffer_size =
        (uint32_t)VG_MIN(vg_config_uint(cfg, "outputs.eve.types.alert.payload-buffer-size"),
                         UINT32_MAX);
    r->log_flow = vg_config_bool(cfg, "outputs.eve.types.flow");
    r->log_anomaly = vg_config_bool(cfg, "outputs.eve.types.anomaly");
    r->log_stats = vg_config_bool(cfg, "outputs.eve.types.stats");
    r->log_app = vg_config_bool(cfg, "outputs.eve.types.app");
    r->log_packet = vg_config_bool(cfg, "outputs.eve.types.packet");
    r->evidence = vg_config_bool(cfg, "evidence.enabled") && r->opts->detect &&
                  r->opts->stage == VG_STAGE_ALL;
    snprintf(r->evid_dir, sizeof r->evid_dir, "%s/evidence", r->opts->logdir);
    r->evid_cfg = (vg_evid_config_t){
        .ring_packets = (uint32_t)VG_MIN(vg_config_uint(cfg, "evidence.ring-packets"), 4096),
        .memcap = vg_config_uint(cfg, "evidence.memcap"),
        .ring_idle = (uint32_t)VG_MIN(vg_config_uint(cfg, "evidence.ring-idle"), 86400),
        .max_packets = vg_config_uint(cfg, "evidence.max-packets"),
        .max_bytes = vg_config_uint(cfg, "evidence.max-bytes"),
        .dir = r->evid_dir,
        .ring_copy = vg_config_bool(cfg, "evidence.ring-copy"),
    };
    pthread_mutex_init(&r->fast_mu, NULL);
}

static int open_eve(const vg_run_opts_t *o, char *err, size_t err_len)
{
    if (!vg_config_bool(o->cfg, "outputs.eve.enabled"))
        return -2;
    if (mkdir(o->logdir, 0755) != 0 && errno != EEXIST) {
        snprintf(err, err_len, "%s: cannot create log directory: %s", o->logdir, strerror(errno));
        return -1;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", o->logdir, vg_config_str(o->cfg, "outputs.eve.filename"));
    int fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) {
        snprintf(err, err_len, "%s: %s", path, strerror(errno));
        return fd;
    }
    /* A run killed mid-write leaves a partial last line: end it, or this run's first event
     * would be glued to it (and lost to every reader, the evidence ledger's check included). */
    struct stat st;
    char last;
    if (fstat(fd, &st) == 0 && st.st_size > 0 && pread(fd, &last, 1, st.st_size - 1) == 1 &&
        last != '\n') {
        vg_log(VG_LOG_WARN, "%s: the last line is incomplete (an interrupted run); it is ended "
               "there and this run's events start on a new line", path);
        if (write(fd, "\n", 1) != 1)
            vg_log(VG_LOG_WARN, "%s: %s", path, strerror(errno));
    }
    return fd;
}

/* Stream windows, HTTP bodies and per-flow state are allocated and freed at a high rate in sizes
 * of a few KB to ~128 KB. glibc's defaults return freed memory at the heap top to the kernel and
 * serve the larger ones with mmap, so the same pages were faulted in again and again (page faults
 * were ~10% of a full run). Keep freed memory in the process instead. */
static void tune_malloc(void)
{
    mallopt(M_MMAP_THRESHOLD, 1 << 20); /* big tables still come as fresh zero pages */
    mallopt(M_TRIM_THRESHOLD, 256 << 20);
    mallopt(M_TOP_PAD, 16 << 20);
}

int vg_engine_run_files(const vg_run_opts_t *o, const char *const *files, size_t n_files,
                        vg_run_result_t *res, char *err, size_t err_len)
{
    memset(res, 0, sizeof *res);
    vg_capture_t *cap = vg_capture_open_files(files, n_files, err, err_len);
    if (!cap)
        return -1;
    int rc = vg_engine_run_capture(o, cap, res, err, err_len);
    vg_capture_free(cap);
    return rc;
}

int vg_engine_run_capture(const vg_run_opts_t *o, vg_capture_t *cap, vg_run_result_t *res,
                          char *err, size_t err_len)
{
    memset(res, 0, sizeof *res);
    tune_malloc();
    int fd = open_eve(o, err, err_len);
    if (fd == -1)
        return -1;
    run_t *r = vg_xcalloc(1, sizeof *r);
    r->opts = o;
    r->live = vg_capture_is_live(cap);
    r->n_ifs = vg_capture_n_ifaces(cap);
    r->ifs = vg_xcalloc(r->n_ifs + 1, sizeof *r->ifs);
    for (size_t i = 0; i < r->n_ifs; i++)
        r->ifs[i].name = vg_capture_iface_name(cap, i);
    run_config(r, o->cfg);
    r->n_workers = vg_engine_workers(o);
    r->cap = cap;
    r->direct = vg_capture_n_parts(cap) > 0;
    if (r->direct && vg_capture_n_parts(cap) != r->n_workers) {
        snprintf(err, err_len, "the capture has %u parts for %u workers",
                 vg_capture_n_parts(cap), r->n_workers);
        if (fd >= 0)
            close(fd);
        free(r->ifs);
        free(r);
        return -1;
    }
    split_caps(r);
    if (r->evidence && mkdir(r->evid_dir, 0755) != 0 && errno != EEXIST) {
        snprintf(err, err_len, "%s: cannot create directory: %s", r->evid_dir, strerror(errno));
        if (fd >= 0)
            close(fd);
        free(r->ifs);
        free(r);
        return -1; /* the capture stays the caller's */
    }
    if (engine_behave_new(r, &r->behave, err, err_len) != 0) {
        free(r->ifs);
        free(r);
        if (fd >= 0)
            close(fd);
        return -1;
    }
    /* Reading files, evidence rings keep where each packet is in its file instead of a copy
     * (read back at the flow's first alert; src/evidence). */
    if (r->evidence && !r->live && !r->evid_cfg.ring_copy && vg_capture_n_files(cap) &&
        vg_capture_n_files(cap) <= 65536 /* file_idx is 16 bits */) {
        r->evid_cfg.n_files = vg_capture_n_files(cap);
        r->evid_files = vg_xcalloc(r->evid_cfg.n_files, sizeof *r->evid_files);
        for (size_t i = 0; i < r->evid_cfg.n_files; i++)
            r->evid_files[i] = vg_capture_file_name(cap, (uint16_t)i);
        r->evid_cfg.files = r->evid_files;
        vg_capture_keep_offsets(cap, true);
    }
    stats_merge_init(&r->sm);
    evq_init(&r->evq, 16 + 4 * r->n_workers, r->n_workers + (r->behave ? 1 : 0));
    if (o->detect) /* zeroed pages: memory only once tags are set */
        r->host_tags = host_tags_new(16384);
    if (r->behave)
        engine_behave_start(r->behave, r->n_workers);
    if (o->detect && vg_config_bool(o->cfg, "outputs.fast.enabled")) {
        char fpath[4096];
        snprintf(fpath, sizeof fpath, "%s/fast.log", o->logdir);
        r->fast = fopen(fpath, "a");
        if (!r->fast)
            vg_log(VG_LOG_WARN, "%s: %s; fast.log is off", fpath, strerror(errno));
    }
    r->workers = vg_xcalloc(r->n_workers, sizeof(worker_t));
    for (unsigned i = 0; i < r->n_workers; i++)
        if (worker_start(r, &r->workers[i], i) != 0) {
            vg_log(VG_LOG_ERROR, "cannot start worker thread %u", i);
            abort();
        }
    out_ctx_t oc = {.run = r, .fd = fd < 0 ? -1 : fd, .start_wall = now_wall(),
                    .sink_failed = vg_xcalloc(o->n_sinks + 1, sizeof(bool))};
    pthread_t out_th;
    pthread_create(&out_th, NULL, output_main, &oc);

    reader_t rd = {.run = r, .cur = vg_xcalloc(r->n_workers, sizeof(batch_t *))};
    double t0 = now_wall(), last_draw = t0, last_kstats = t0;
    vg_packet_t p;
    uint64_t n_read = 0, bytes_read = 0;
    int rc = 0;
    bool stopping = false;
    unsigned swapping = 0; /* generation being handed to the workers */
    bool can_reload = o->reload && o->detect && o->stage == VG_STAGE_ALL;
    if (o->reload)
        reload_attach(o->reload, can_reload ? o->detect : NULL);
    atomic_store(&r->detect_cur, o->detect);
    if (r->direct)
        direct_main(r, &rd, cap, can_reload, &swapping, t0);
    for (; !r->direct;) {
        if (o->stop && atomic_load_explicit(o->stop, memory_order_relaxed) && !stopping) {
            vg_capture_stop(cap);
            stopping = true;
        }
        if (can_reload && (swapping || reload_has_pending(o->reload)))
            reader_reload(&rd, &swapping);
        enum vg_capture_result cr = vg_capture_next(cap, &p);
        if (cr == VG_CAPTURE_END)
            break;
        if (cr == VG_CAPTURE_IDLE) {
            reader_idle(&rd);
            double now = now_wall();
            kernel_stats(cap, r);
            last_kstats = now;
            if (o->progress && now - last_draw > 0.25) {
                progress_line(cap, r, t0, false);
                last_draw = now;
            }
            continue;
        }
        if (cr == VG_CAPTURE_ERROR) {
            if (o->progress)
                fputc('\n', stderr);
            vg_log(VG_LOG_ERROR, "%s", vg_capture_error(cap));
            res->capture_errors++;
            rc = 1;
            continue; /* go on with the next file */
        }
        if (!res->first_ts || p.ts < res->first_ts)
            res->first_ts = p.ts;
        if (p.ts > res->last_ts)
            res->last_ts = p.ts;
        /* this thread is their only writer: plain stores, not a locked add per packet */
        atomic_store_explicit(&r->last_ts, res->last_ts, memory_order_relaxed);
        atomic_store_explicit(&r->packets, ++n_read, memory_order_relaxed);
        atomic_store_explicit(&r->bytes, bytes_read += p.wirelen, memory_order_relaxed);
        if (o->stage != VG_STAGE_READ)
            reader_add(&rd, &p);
        /* live: look at the clock often enough for a slow link (kernel counters, progress) */
        if ((p.pcap_cnt & (r->live ? 63 : 4095)) == 0 && (o->progress || r->live)) {
            double now = now_wall();
            if (r->live && now - last_kstats > 1.0) {
                kernel_stats(cap, r);
                last_kstats = now;
            }
            if (o->progress && now - last_draw > 0.25) {
                progress_line(cap, r, t0, false);
                last_draw = now;
            }
        }
    }
    if (r->live)
        kernel_stats(cap, r);
    for (unsigned i = 0; i < r->n_workers; i++) {
        reader_push(&rd, i);
        vg_ring_close(r->workers[i].in);
    }
    for (unsigned i = 0; i < r->n_workers; i++)
        worker_join(&r->workers[i]);
    if (r->behave)
        engine_behave_join(r->behave);
    if (swapping) /* the workers are gone: nobody uses the old engine */
        reload_moved(o->reload);
    if (r->direct) {
        direct_collect(r);
        for (unsigned i = 0; i < r->n_workers; i++) {
            worker_t *w = &r->workers[i];
            if (w->rx_first_ts && (!res->first_ts || w->rx_first_ts < res->first_ts))
                res->first_ts = w->rx_first_ts;
            res->last_ts = VG_MAX(res->last_ts, (uint64_t)atomic_load(&w->rx_last_ts));
        }
    }
    pthread_join(out_th, NULL);
    write_stats(&oc, true);
    if (o->progress)
        progress_line(cap, r, t0, true);

    res->packets = atomic_load(&r->packets);
    res->bytes = atomic_load(&r->bytes);
    res->events = oc.events;
    res->kernel_packets = atomic_load(&r->k_packets);
    res->kernel_drops = atomic_load(&r->k_drops);
    for (unsigned i = 0; i < r->n_workers; i++) {
        res->flows += r->workers[i].counters[W_FLOW_EVENTS];
        res->anomalies += r->workers[i].counters[W_ANOMALIES];
        res->alerts += r->workers[i].counters[W_ALERTS];
    }
    res->alerts += engine_behave_alerts(r->behave);
    res->seconds = now_wall() - t0;
    if (oc.write_error) {
        snprintf(err, err_len, "%s: write error: %s", o->logdir, strerror(oc.write_error));
        vg_log(VG_LOG_ERROR, "%s", err);
        rc = -1;
    } else if (oc.failed_sink) {
        snprintf(err, err_len, "output %s failed (see above); eve.json is complete", oc.failed_sink);
        rc = -1;
    }
    free(oc.sink_failed);
    if (o->reload)
        reload_detach(o->reload);
    if (fd >= 0 && fsync(fd) != 0 && errno != EINVAL)
        vg_log(VG_LOG_WARN, "fsync of eve.json failed: %s", strerror(errno));
    if (fd >= 0)
        close(fd);
    for (unsigned i = 0; i < r->n_workers; i++)
        worker_fini(&r->workers[i]);
    if (r->fast && fclose(r->fast) != 0)
        vg_log(VG_LOG_ERROR, "fast.log: write error: %s", strerror(errno));
    pthread_mutex_destroy(&r->fast_mu);
    free(r->workers);
    engine_behave_free(r->behave);
    free(rd.cur);
    evq_fini(&r->evq);
    host_tags_free(r->host_tags);
    stats_merge_fini(&r->sm);
    free(r->evid_files);
    free(r->ifs);
    free(r);
    return rc;
}
