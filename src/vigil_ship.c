/* vigil_ship.c — the Redis shipping sink in `vigil read` and `vigil live` (docs/SCALE.md). */
#include "vigil_ship.h"
#include "common/log.h"

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
    const char *sensor = vg_config_str(cfg, "sensor-name");
    if (!sensor) {
        if (gethostname(host, sizeof host - 1) != 0)
            snprintf(host, sizeof host, "unknown");
        sensor = host;
    }
    vg_ship_opts_t o = {
        .url = url,
        .stream = vg_config_str(cfg, "outputs.redis.stream"),
        .sensor = sensor,
        .spool_dir = dir,
        .spool_max = vg_config_uint(cfg, "outputs.redis.spool-size"),
        .segment_max = vg_config_uint(cfg, "outputs.redis.segment-size"),
        .timeout_ms = (unsigned)vg_config_uint(cfg, "outputs.redis.timeout"),
        .drain_ms = (unsigned)vg_config_uint(cfg, "outputs.redis.drain-timeout"),
    };
    vg_ship_t *s = vg_ship_open(&o, err, sizeof err);
    if (!s)
        vg_log(VG_LOG_ERROR, "%s", err);
    return s;
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
               "), %" PRIu64 " sent, %" PRIu64 " waiting in the spool, committed up to %" PRIu64
               "\n", st.spooled, st.first_seq, st.last_seq, st.sent, st.unsent, st.committed);
    if (st.dropped)
        vg_log(VG_LOG_WARN, "redis: %" PRIu64 " events were not shipped: the spool was full "
               "(outputs.redis.spool-size)", st.dropped);
    else if (st.unsent)
        vg_log(VG_LOG_WARN, "redis: %" PRIu64 " events wait in the spool for Redis; the next "
               "run sends them", st.unsent);
}
