/* vigil_store.c — the store in `vigil read`: run description, sink, end of run, summary. */
#include "vigil_store.h"
#include "vigil_ship.h"
#include "attrib/attrib.h"
#include "common/common.h"
#include "common/log.h"
#include "detect/detect.h"
#include "detect/detect_engine.h"
#include "report/report.h"
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <sqlite3.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

struct vigil_store_run {
    vg_store_t *st;
    char path[4096];
    /* The captures' SHA-256 (rerun rule) is computed by a thread while the run goes on. */
    vg_store_capture_t *caps;
    size_t n_caps;
    pthread_t hasher;
    bool hashing;
    char hash_err[1024]; /* "" when every file was hashed */
    int64_t run_id;
};

static void *hash_main(void *arg)
{
    vigil_store_run_t *r = arg;
    /* Idle priority: the hash (SHA-256 of every capture, ~2 GB/s) only takes CPU time the
     * pipeline leaves, instead of an equal share of it; the run's end waits for it (then there
     * is nothing else to run). Best effort: without it the hash runs at normal priority. */
    struct sched_param sp = {0};
    (void)pthread_setschedparam(pthread_self(), SCHED_IDLE, &sp);
    for (size_t i = 0; i < r->n_caps; i++)
        if (vg_store_sha256_file(r->caps[i].path, r->caps[i].sha256, &r->caps[i].size, r->hash_err,
                                 sizeof r->hash_err))
            break;
    return NULL;
}

vigil_store_run_t *vigil_store_start(const vg_config_t *cfg, const char *path, const char *logdir,
                                     const char *const *files, size_t n_files,
                                     const struct vg_detect_engine *detect,
                                     const struct vg_attrib *attrib, bool *disabled)
{
    *disabled = false;
    if (!path && !vg_config_bool(cfg, "store.enabled")) {
        *disabled = true;
        return NULL;
    }
    const char *fl = vg_config_str(cfg, "store.flows");
    enum vg_store_flows flows;
    if (!strcmp(fl, "all"))
        flows = VG_STORE_FLOWS_ALL;
    else if (!strcmp(fl, "alerted"))
        flows = VG_STORE_FLOWS_ALERTED;
    else if (!strcmp(fl, "none"))
        flows = VG_STORE_FLOWS_NONE;
    else {
        vg_log(VG_LOG_ERROR, "store.flows expects all, alerted or none, got '%s'", fl);
        return NULL;
    }
    vigil_store_run_t *r = vg_xcalloc(1, sizeof *r);
    if (!path)
        path = vg_config_str(cfg, "store.path");
    if (path)
        snprintf(r->path, sizeof r->path, "%s", path);
    else {
        if (mkdir(logdir, 0755) != 0 && errno != EEXIST) {
            vg_log(VG_LOG_ERROR, "%s: cannot create log directory: %s", logdir, strerror(errno));
            free(r);
            return NULL;
        }
        snprintf(r->path, sizeof r->path, "%s/vigil.db", logdir);
    }
    char err[1024];
    r->st = vg_store_open(r->path, true, err, sizeof err);
    if (!r->st) {
        vg_log(VG_LOG_ERROR, "%s", err);
        free(r);
        return NULL;
    }
    char host[256] = "";
    const char *sensor = vigil_sensor_name(cfg, host, sizeof host);
    const char *geo[64];
    size_t n_geo = 0;
    if (attrib)
        for (size_t i = 0; i < vg_attrib_n_dbs(attrib) && n_geo < 64; i++)
            geo[n_geo++] = vg_attrib_db_label(attrib, i);
    uint32_t loaded = 0, failed = 0;
    if (detect) {
        const vg_ruleset_t *rs = vg_detect_engine_ruleset(detect);
        loaded = vg_ruleset_count(rs);
        failed = vg_ruleset_n_failed(rs);
    }
    vg_store_run_info_t ri = {
        .sensor = sensor,
        .logdir = logdir,
        .rules_loaded = loaded,
        .rules_failed = failed,
        .geo_dbs = geo,
        .n_geo_dbs = n_geo,
        .incident_window_s = vg_config_uint(cfg, "store.incident-window"),
        .flows = flows,
    };
    int64_t id = vg_store_begin_run(r->st, &ri, err, sizeof err);
    if (id < 0) {
        vg_log(VG_LOG_ERROR, "%s", err);
        vg_store_close(r->st);
        free(r);
        return NULL;
    }
    r->run_id = id;
    r->caps = vg_xcalloc(n_files + 1, sizeof *r->caps);
    r->n_caps = n_files;
    for (size_t i = 0; i < n_files; i++)
        r->caps[i].path = files[i];
    r->hashing = pthread_create(&r->hasher, NULL, hash_main, r) == 0;
    if (!r->hashing)
        hash_main(r);
    return r;
}

/* The run's row (and captures) as a shipped run record: one JSON line in the shape the collector
 * reads (src/collect/schema.c, migration 4; docs/SCALE.md "Run records"). */
static char *run_record(sqlite3 *db, int64_t run_id, const char *phase)
{
    char ts[48];
    vigil_runrec_now(ts, sizeof ts);
    sqlite3_stmt *st = NULL;
    char *out = NULL;
    if (sqlite3_prepare_v2(
            db,
            "SELECT json_object('timestamp', ?2, 'event_type', 'vigil_run', 'vigil_run',"
            " json_object('phase', ?3, 'sensor', sensor, 'vigil_version', vigil_version,"
            " 'logdir', logdir, 'started_at', started_at, 'finished_at', finished_at,"
            " 'status', status, 'capture_set', capture_set, 'first_ts', first_ts,"
            " 'last_ts', last_ts, 'packets', packets, 'bytes', bytes, 'drops', drops,"
            " 'flows', flows, 'gaps', gaps, 'rules_loaded', rules_loaded,"
            " 'rules_failed', rules_failed, 'geo_dbs', json(coalesce(geo_dbs, '[]')),"
            " 'incident_window', incident_window, 'stats', json(stats),"
            " 'captures', (SELECT json_group_array(json_object('path', path, 'sha256', sha256,"
            " 'size', size)) FROM captures WHERE run_id = r.id)))"
            " FROM runs r WHERE id = ?1",
            -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_int64(st, 1, run_id);
        sqlite3_bind_text(st, 2, ts, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 3, phase, -1, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
            out = vg_xstrdup((const char *)sqlite3_column_text(st, 0));
    }
    if (!out)
        vg_log(VG_LOG_WARN, "store: the run record to ship could not be read: %s",
               sqlite3_errmsg(db));
    sqlite3_finalize(st);
    return out;
}

char *vigil_store_run_record(vigil_store_run_t *r)
{
    return run_record(vg_store_db(r->st), r->run_id, "start");
}

void vigil_runrec_now(char *out, size_t n)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    struct tm tm;
    gmtime_r(&t.tv_sec, &tm);
    size_t k = strftime(out, n, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + k, n - k, ".%06ld+0000", t.tv_nsec / 1000);
}

vg_sink_t vigil_store_sink(vigil_store_run_t *r)
{
    return (vg_sink_t){.name = "store", .ctx = r->st, .event = vg_store_sink_event,
                       .commit = vg_store_sink_commit};
}

int vigil_store_finish(vigil_store_run_t *r, const vg_run_result_t *res, int engine_rc, bool quiet,
                       char **end_record)
{
    if (r->hashing)
        pthread_join(r->hasher, NULL);
    bool hashed = !r->hash_err[0];
    if (!hashed)
        vg_log(VG_LOG_WARN, "store: %s; the run is stored without its captures' hashes, so a "
               "rerun of them will not be recognised", r->hash_err);
    vg_store_run_end_t e = {
        .captures = hashed ? r->caps : NULL,
        .n_captures = hashed ? r->n_caps : 0,
        .packets = res->packets,
        .bytes = res->bytes,
        .first_ts = res->first_ts,
        .last_ts = res->last_ts,
        .capture_errors = res->capture_errors,
        .failed = engine_rc < 0,
    };
    vg_store_run_summary_t sum;
    char err[1024];
    int rc = 0;
    if (vg_store_end_run(r->st, &e, &sum, err, sizeof err)) {
        vg_log(VG_LOG_ERROR, "%s", err);
        rc = -1;
    } else {
        if (sum.superseded_run)
            vg_log(VG_LOG_INFO,
                   "store: these captures were already in %s (run %lld); this run replaces it",
                   r->path, (long long)sum.superseded_run);
        if (sum.lines_skipped)
            vg_log(VG_LOG_WARN, "store: %llu event line(s) could not be stored (the first are "
                   "named above); eve.json has them", (unsigned long long)sum.lines_skipped);
        if (sum.overlap_warning)
            vg_log(VG_LOG_WARN,
                   "store: some (not all) of these captures are also in an earlier run of %s; "
                   "their alerts are counted twice in reports (docs/STORE.md)", r->path);
        if (!quiet && engine_rc >= 0) {
            printf("vigil: store %s: run %lld, %llu alerts in %llu incidents, %llu flows\n",
                   r->path, (long long)sum.run_id, (unsigned long long)sum.alerts,
                   (unsigned long long)sum.incidents, (unsigned long long)sum.flows);
            vg_report_print_run_summary(vg_store_db(r->st), sum.run_id, stdout);
        }
    }
    /* the row as the store ended it (complete, partial or failed) */
    if (end_record)
        *end_record = run_record(vg_store_db(r->st), r->run_id, "end");
    vg_store_close(r->st);
    free(r->caps);
    free(r);
    return rc;
}

void vigil_store_path(const char *store, const char *logdir, char *out, size_t n)
{
    struct stat sb;
    if (store && stat(store, &sb) == 0 && S_ISDIR(sb.st_mode)) {
        logdir = store;
        store = NULL;
    }
    if (store)
        snprintf(out, n, "%s", store);
    else
        snprintf(out, n, "%s/vigil.db", logdir ? logdir : ".");
}
