/* store_fixture.h — EVE lines as `vigil read` writes them, for the store and report tests. */
#ifndef VG_TESTS_STORE_FIXTURE_H
#define VG_TESTS_STORE_FIXTURE_H

#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef struct fx_alert {
    int64_t t;                 /* seconds after 2024-01-01T00:00:00Z */
    int sid;
    const char *msg, *category, *certainty, *role_by;
    const char *att, *att_cc, *vic, *vic_cc;
    int att_home, vic_home;
    unsigned att_asn;
    const char *att_org;
    int dport;
    const char *proto;
    const char *metadata;      /* JSON object text or NULL */
    const char *evidence;      /* JSON value text or NULL */
} fx_alert_t;

/* 2024-01-01T00:00:00Z */
#define FX_T0 1704067200LL

static inline int fx_alert_line(char *out, size_t n, const fx_alert_t *a)
{
    time_t t = (time_t)(FX_T0 + a->t);
    struct tm tm;
    gmtime_r(&t, &tm);
    char ts[64];
    strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S.000000+0000", &tm);
    const char *cat = a->category ? a->category : "exploitation-attempt";
    bool counted = strcmp(cat, "policy-info") != 0;
    const char *src = a->att, *dst = a->vic;
    char asn[160] = "";
    if (a->att_asn)
        snprintf(asn, sizeof asn, ",\"asn\":%u,\"as_org\":\"%s\"", a->att_asn,
                 a->att_org ? a->att_org : "");
    return snprintf(
        out, n,
        "{\"timestamp\":\"%s\",\"flow_id\":%d,\"event_type\":\"alert\",\"src_ip\":\"%s\","
        "\"src_port\":40000,\"dest_ip\":\"%s\",\"dest_port\":%d,\"proto\":\"%s\","
        "\"community_id\":\"1:test%d\",\"alert\":{\"action\":\"allowed\",\"gid\":1,"
        "\"signature_id\":%d,\"rev\":1,\"signature\":\"%s\",\"category\":\"Test\",\"severity\":1%s%s},"
        "\"vigil\":{\"category\":\"%s\",\"counted\":%s,\"certainty\":\"%s\",\"role_by\":\"%s\","
        "\"attacker\":{\"ip\":\"%s\",\"port\":40000,\"home\":%s,\"verified\":true,\"country\":\"%s\"%s},"
        "\"victim\":{\"ip\":\"%s\",\"port\":%d,\"home\":%s,\"verified\":true,\"country\":\"%s\"},"
        "\"geo_db\":[]}%s%s}",
        ts, 1000 + a->sid, src, dst, a->dport ? a->dport : 80, a->proto ? a->proto : "TCP", a->sid,
        a->sid, a->msg ? a->msg : "TEST alert", a->metadata ? ",\"metadata\":" : "",
        a->metadata ? a->metadata : "", cat, counted ? "true" : "false",
        a->certainty ? a->certainty : "verified", a->role_by ? a->role_by : "direction", a->att,
        a->att_home ? "true" : "false", a->att_cc ? a->att_cc : "??", asn, a->vic,
        a->dport ? a->dport : 80, a->vic_home ? "true" : "false", a->vic_cc ? a->vic_cc : "??",
        a->evidence ? ",\"evidence\":" : "", a->evidence ? a->evidence : "");
}

static char fx_dirs[64][40];
static int fx_n_dirs;

static void fx_cleanup(void)
{
    static const char *const names[] = {"vigil.db", "vigil.db-wal", "vigil.db-shm",
                                        "vigil.db-journal"};
    char p[4200]; /* sized for any path gcc -O2 can imagine in fx_dirs */
    for (int i = 0; i < fx_n_dirs; i++) {
        for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
            snprintf(p, sizeof p, "%.39s/%.20s", fx_dirs[i], names[k]);
            unlink(p);
        }
        rmdir(fx_dirs[i]);
    }
}

/* A store in a fresh temporary directory (removed at exit); path written into out. */
static inline void fx_tmp_store(char *out, size_t n)
{
    char dir[] = "/tmp/vigil-store-test-XXXXXX";
    if (!mkdtemp(dir))
        abort();
    if (fx_n_dirs == 0)
        atexit(fx_cleanup);
    if (fx_n_dirs < 64)
        snprintf(fx_dirs[fx_n_dirs++], sizeof fx_dirs[0], "%s", dir);
    snprintf(out, n, "%s/vigil.db", dir);
}

static inline int64_t fx_begin(vg_store_t *s, const char *sha_seed, uint64_t window_s)
{
    vg_store_capture_t cap = {.path = "test.pcap", .size = 1};
    snprintf(cap.sha256, sizeof cap.sha256, "%064d", 0);
    memcpy(cap.sha256, sha_seed, strlen(sha_seed) < 64 ? strlen(sha_seed) : 64);
    const char *geo[] = {"test-geo 2024-01-01"};
    vg_store_run_info_t ri = {.sensor = "s1", .logdir = "/tmp", .captures = &cap, .n_captures = 1,
                              .rules_loaded = 10, .rules_failed = 1, .geo_dbs = geo,
                              .n_geo_dbs = 1, .incident_window_s = window_s,
                              .flows = VG_STORE_FLOWS_ALERTED};
    char err[256];
    return vg_store_begin_run(s, &ri, err, sizeof err);
}

static inline int fx_feed(vg_store_t *s, const fx_alert_t *a)
{
    char line[4096];
    int n = fx_alert_line(line, sizeof line, a);
    return vg_store_sink_event(s, line, (size_t)n);
}

static inline int fx_end(vg_store_t *s, vg_store_run_summary_t *sum)
{
    vg_store_run_end_t e = {.packets = 1000, .bytes = 100000, .first_ts = (uint64_t)FX_T0 * 1000000,
                            .last_ts = (uint64_t)(FX_T0 + 7200) * 1000000};
    char err[256];
    return vg_store_end_run(s, &e, sum, err, sizeof err);
}

#endif
