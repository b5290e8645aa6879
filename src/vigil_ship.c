/* vigil_ship.c — the Redis shipping sink in `vigil read` and `vigil live` (docs/SCALE.md). */
#include "vigil_ship.h"
#include "common/buf.h"
#include "common/json.h"
#include "common/log.h"
#include "vigil_store.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <errno.h>
#include <unistd.h>

vg_ship_t *vigil_ship_start(const vg_config_t *cfg, const char *url, const char *logdir,
                            bool *disabled)
{
    *disabled = false;
    if (!url && !vg_config_bool(cfg, "outputs.redis.enabled")) {
        *disabled = true;
        return NULL;
    }
    if (!url)
        url = vg_config_str(cfg, "outputs.redis.url");
    char spool[4096], host[256] = "", err[1024];
    const char *dir = vg_config_str(cfg, "outputs.redis.spool-dir");
    if (!dir) {
        if (mkdir(logdir, 0755) != 0 && errno != EEXIST) {
            vg_log(VG_LOG_ERROR, "%s: cannot create log directory: %s", logdir, strerror(errno));
            return NULL;
        }
        snprintf(spool, sizeof spool, "%s/ship", logdir);
        dir = spool;
    }
    const char *sensor = vigil_sensor_name(cfg, host, sizeof host);
    vg_ship_opts_t o = {
        .url = url,
        .stream = vg_config_str(cfg, "outputs.redis.stream"),
        .sensor = sensor,
        .spool_dir = dir,
        .spool_max = vg_config_uint(cfg, "outputs.redis.spool-size"),
        .segment_max = vg_config_uint(cfg, "outputs.redis.segment-size"),
        .handoff_max = vg_config_uint(cfg, "outputs.redis.handoff-size"),
        .timeout_ms = (unsigned)vg_config_uint(cfg, "outputs.redis.timeout"),
        .drain_ms = (unsigned)vg_config_uint(cfg, "outputs.redis.drain-timeout"),
    };
    vg_ship_t *s = vg_ship_open(&o, err, sizeof err);
    if (!s)
        vg_log(VG_LOG_ERROR, "%s", err);
    return s;
}

const char *vigil_sensor_name(const vg_config_t *cfg, char *host, size_t n)
{
    const char *sensor = vg_config_str(cfg, "sensor-name");
    if (sensor)
        return sensor;
    if (gethostname(host, n - 1) != 0)
        snprintf(host, n, "unknown");
    host[n - 1] = '\0';
    return host;
}

void vigil_ship_finish(vg_ship_t *s, bool quiet)
{
    if (!s)
        return;
    vg_ship_stats_t st;
    vg_ship_get_stats(s, &st);
    vg_ship_close(s);
    if (!quiet)
        printf("vigil: redis: %" PRIu64 " events spooled (sequence %" PRIu64 "-%" PRIu64
               "), %" PRIu64 " sent (%" PRIu64 " read back from the spool), %" PRIu64
               " waiting in the spool, committed up to %" PRIu64 "\n", st.spooled, st.first_seq,
               st.last_seq, st.sent, st.read_back, st.unsent, st.committed);
    if (st.dropped)
        vg_log(VG_LOG_WARN, "redis: %" PRIu64 " events were not shipped: the spool was full "
               "(outputs.redis.spool-size)", st.dropped);
    else if (st.unsent)
        vg_log(VG_LOG_WARN, "redis: %" PRIu64 " events wait in the spool for Redis; the next "
               "run sends them", st.unsent);
}

/* The engine's final commit does not wait for Redis: the run's end record comes after it, and
 * vigil_ship_record(.., true) then waits (once) for the spool to drain. */
static int commit_nodrain(void *ctx, bool final)
{
    (void)final;
    return vg_ship_sink_commit(ctx, false);
}

vg_sink_t vigil_ship_sink(vg_ship_t *s)
{
    return (vg_sink_t){"redis", s, vg_ship_sink_event, commit_nodrain, vg_ship_sink_stats};
}

void vigil_ship_record(vg_ship_t *s, const char *record, bool end)
{
    if (!s)
        return;
    if (record)
        vg_ship_record(s, record, strlen(record));
    if (end)
        vg_ship_sink_commit(s, true);
}

/* {"timestamp": now, "event_type": TYPE, "TYPE": ... (the caller writes the value) */
static void record_open(vg_buf_t *b, vg_jw_t *w, const char *type, size_t cap, char *ts)
{
    vigil_runrec_now(ts, 48);
    vg_buf_init(b, cap);
    vg_jw_init(w, b);
    vg_jw_obj_open(w);
    vg_jw_kv_str(w, "timestamp", ts);
    vg_jw_kv_str(w, "event_type", type);
    vg_jw_key(w, type);
}

void vigil_ship_ledger_checkpoint(void *ctx, const char *entry, size_t len)
{
    char ts[48];
    vg_buf_t b;
    vg_jw_t w;
    record_open(&b, &w, "vigil_ledger", len + 128, ts);
    vg_jw_raw(&w, entry, len);
    vg_jw_obj_close(&w);
    vg_ship_sink_event(ctx, b.data, b.len);
    vg_buf_fini(&b);
}

char *vigil_ship_basic_record(const char *phase, const char *sensor, const char *logdir,
                              const vg_run_result_t *res, int engine_rc)
{
    char ts[48];
    vg_buf_t b;
    vg_jw_t w;
    record_open(&b, &w, "vigil_run", 512, ts);
    vg_jw_obj_open(&w);
    vg_jw_kv_str(&w, "phase", phase);
    vg_jw_kv_str(&w, "sensor", sensor);
    vg_jw_kv_str(&w, "vigil_version", VG_VERSION);
    vg_jw_kv_str(&w, "logdir", logdir ? logdir : "");
    if (res) {
        vg_jw_kv_str(&w, "finished_at", ts);
        vg_jw_kv_str(&w, "status", engine_rc < 0 ? "failed" : res->capture_errors ? "partial"
                                                                                : "complete");
        vg_jw_kv_uint(&w, "packets", res->packets);
        vg_jw_kv_uint(&w, "bytes", res->bytes);
        vg_jw_kv_uint(&w, "flows", res->flows);
        if (res->first_ts) {
            vg_jw_kv_uint(&w, "first_ts", res->first_ts);
            vg_jw_kv_uint(&w, "last_ts", res->last_ts);
        }
    } else {
        vg_jw_kv_str(&w, "started_at", ts);
        vg_jw_kv_str(&w, "status", "running");
    }
    vg_jw_obj_close(&w);
    vg_jw_obj_close(&w);
    vg_buf_putc(&b, '\0');
    return b.data;
}
