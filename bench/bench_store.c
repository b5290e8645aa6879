/* bench_store.c — the event store's insert rate as the output thread drives it, and
 * `vigil report`'s time over the resulting store, in every format.
 *
 *   vigil-bench-store --alerts N --store PATH [--block 256] [--attackers 20000] [--victims 2000]
 *                     [--distinct] [--no-report] [--emit FILE]
 *
 * Default traffic: campaigns (16 attackers active at a time, each hitting 4 victims with one
 * rule, spread over a year); --distinct: random attacker, victim and rule for every alert, so
 * nearly every alert opens its own incident (the store's worst case).
 *
 * Alert lines are made in advance, a block at a time, in the shape `vigil read` writes them
 * (with the attribution object); only the sink calls (event per line, commit per block) are
 * timed. Then the report model is built and rendered once per format, timed. Figures: bench/
 * RESULTS.md. --emit FILE also writes the alert lines there, one per line (bench/report_pg.py
 * ships the same alerts to PostgreSQL). */
#include "report/report.h"
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t rng = 88172645463325252ull;
static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static bool g_distinct;

static const char *const cats[] = {"exploitation-attempt", "scanning", "command-and-control",
                                   "denial-of-service", "brute-force", "webshell-backdoor",
                                   "malware-infection", "policy-info"};
static const char *const ccs[] = {"CN", "US", "RU", "NL", "BR", "DE", "IN", "VN", "KR", "??"};

static int make_line(char *out, size_t n, uint64_t i, uint64_t n_alerts, unsigned attackers,
                     unsigned victims)
{
    /* 10 million alerts a year (one every 3.15 s) from 2024-01-01, in alert order */
    (void)n_alerts;
    int64_t t = 1704067200LL + (int64_t)(i * 3153600ull / 1000000ull);
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    char ts[40];
    strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
    uint64_t r = next();
    unsigned a, v, c, sid;
    if (g_distinct) { /* worst case: (almost) every alert its own incident */
        a = (unsigned)(r % attackers);
        v = (unsigned)((r >> 20) % victims);
        c = (unsigned)((r >> 40) % 8);
        sid = 2000000 + (unsigned)((r >> 44) % 200);
    } else { /* campaigns: 16 attackers active at a time, each on 4 victims with one rule */
        a = (unsigned)((i / 2000 + (r % 16)) % attackers);
        v = (unsigned)((a * 7u + (unsigned)((r >> 20) % 4)) % victims);
        c = a % 8;
        sid = 2000000 + a % 200;
    }
    const char *cc = ccs[a % 10];
    bool spoof = c == 3;
    return snprintf(
        out, n,
        "{\"timestamp\":\"%s.%06u+0000\",\"flow_id\":%llu,\"event_type\":\"alert\","
        "\"src_ip\":\"198.%u.%u.%u\",\"src_port\":%u,\"dest_ip\":\"10.%u.%u.%u\",\"dest_port\":%u,"
        "\"proto\":\"%s\",\"community_id\":\"1:%016llx=\",\"alert\":{\"action\":\"allowed\","
        "\"gid\":1,\"signature_id\":%u,\"rev\":1,\"signature\":\"ET BENCH rule %u%s\","
        "\"category\":\"A Network Trojan was detected\",\"severity\":1,\"metadata\":"
        "{\"created_at\":[\"2024_01_01\"],\"signature_severity\":[\"Major\"]%s}},"
        "\"vigil\":{\"category\":\"%s\",\"counted\":%s,\"certainty\":\"%s\",\"role_by\":\"direction\","
        "\"attacker\":{\"ip\":\"198.%u.%u.%u\",\"port\":%u,\"home\":false,\"verified\":%s,"
        "\"country\":\"%s\",\"asn\":%u,\"as_org\":\"Bench AS %u\"},\"victim\":{\"ip\":\"10.%u.%u.%u\","
        "\"port\":%u,\"home\":true,\"verified\":%s,\"country\":\"??\"},\"geo_db\":[\"bench 2024-01-01\"]},"
        "\"app_proto\":\"http\",\"direction\":\"to_server\",\"flow\":{\"pkts_toserver\":3,"
        "\"pkts_toclient\":1,\"bytes_toserver\":295,\"bytes_toclient\":54,\"start\":\"%s.000000+0000\"}}",
        ts, (unsigned)(r % 1000000), (unsigned long long)(r >> 13), (a >> 16) & 255, (a >> 8) & 255,
        a & 255, 1024 + (unsigned)(r % 60000), (v >> 16) & 255, (v >> 8) & 255, v & 255,
        c == 1 ? 22 : 80, spoof ? "UDP" : "TCP", (unsigned long long)r, sid, sid,
        sid % 3 ? " M1" : "", sid % 7 ? "" : ",\"cve\":[\"CVE_2021_44228\"]", cats[c],
        c == 7 ? "false" : "true", spoof ? "spoofable" : "verified", (a >> 16) & 255,
        (a >> 8) & 255, a & 255, 1024 + (unsigned)(r % 60000), spoof ? "false" : "true", cc,
        64500 + a % 500, a % 500, (v >> 16) & 255, (v >> 8) & 255, v & 255, c == 1 ? 22 : 80,
        spoof ? "false" : "true", ts);
}

int main(int argc, char **argv)
{
    uint64_t n = 1000000;
    unsigned block = 256, attackers = 20000, victims = 2000;
    const char *path = NULL;
    FILE *emit = NULL;
    bool report = true;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--alerts") && i + 1 < argc)
            n = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--store") && i + 1 < argc)
            path = argv[++i];
        else if (!strcmp(argv[i], "--block") && i + 1 < argc)
            block = (unsigned)atoi(argv[++i]);
        else if (!strcmp(argv[i], "--attackers") && i + 1 < argc)
            attackers = (unsigned)atoi(argv[++i]);
        else if (!strcmp(argv[i], "--victims") && i + 1 < argc)
            victims = (unsigned)atoi(argv[++i]);
        else if (!strcmp(argv[i], "--distinct"))
            g_distinct = true;
        else if (!strcmp(argv[i], "--no-report"))
            report = false;
        else if (!strcmp(argv[i], "--emit") && i + 1 < argc && !emit) {
            if (!(emit = fopen(argv[++i], "w"))) {
                perror(argv[i]);
                return 2;
            }
        }
        else {
            fprintf(stderr, "usage: vigil-bench-store --alerts N --store PATH [--block B] "
                            "[--attackers A] [--victims V] [--distinct] [--no-report] "
                            "[--emit FILE]\n");
            return 2;
        }
    }
    if (!path || !block || !attackers || !victims) {
        fprintf(stderr, "vigil-bench-store: --store PATH is required\n");
        return 2;
    }
    char err[1024];
    if (n) {
        char p2[4200];
        unlink(path);
        snprintf(p2, sizeof p2, "%s-wal", path);
        unlink(p2);
        snprintf(p2, sizeof p2, "%s-shm", path);
        unlink(p2);
        vg_store_t *s = vg_store_open(path, true, err, sizeof err);
        if (!s) {
            fprintf(stderr, "%s\n", err);
            return 1;
        }
        vg_store_capture_t cap = {.path = "bench.pcap", .size = n};
        memset(cap.sha256, 'b', 64);
        const char *geo[] = {"bench 2024-01-01"};
        vg_store_run_info_t ri = {.sensor = "bench", .captures = &cap, .n_captures = 1,
                                  .rules_loaded = 200, .geo_dbs = geo, .n_geo_dbs = 1,
                                  .incident_window_s = 3600, .flows = VG_STORE_FLOWS_ALERTED};
        if (vg_store_begin_run(s, &ri, err, sizeof err) < 0) {
            fprintf(stderr, "%s\n", err);
            return 1;
        }
        char *lines = malloc((size_t)block * 2048);
        size_t *len = malloc(block * sizeof *len);
        double t_sink = 0, c_sink = 0, t_all0 = now();
        for (uint64_t i = 0; i < n; i += block) {
            unsigned m = (unsigned)(n - i < block ? n - i : block);
            for (unsigned k = 0; k < m; k++)
                len[k] = (size_t)make_line(lines + (size_t)k * 2048, 2048, i + k, n, attackers, victims);
            for (unsigned k = 0; emit && k < m; k++)
                fprintf(emit, "%.*s\n", (int)len[k], lines + (size_t)k * 2048);
            double t0 = now(), c0 = cpu();
            for (unsigned k = 0; k < m; k++)
                if (vg_store_sink_event(s, lines + (size_t)k * 2048, len[k])) {
                    fprintf(stderr, "sink failed at alert %llu\n", (unsigned long long)(i + k));
                    return 1;
                }
            if (vg_store_sink_commit(s, i + m >= n)) {
                fprintf(stderr, "commit failed\n");
                return 1;
            }
            t_sink += now() - t0;
            c_sink += cpu() - c0;
            if (isatty(2) && (i / block) % 400 == 0)
                fprintf(stderr, "\r%llu alerts", (unsigned long long)i);
        }
        vg_store_run_end_t e = {.packets = n * 10, .first_ts = 1704067200ull * 1000000,
                                .last_ts = (1704067200ull + n * 3153600ull / 1000000ull) * 1000000};
        vg_store_run_summary_t sum;
        double t0 = now();
        if (vg_store_end_run(s, &e, &sum, err, sizeof err)) {
            fprintf(stderr, "%s\n", err);
            return 1;
        }
        vg_store_close(s);
        double t_end = now() - t0;
        struct stat sb;
        stat(path, &sb);
        printf("insert: %llu alerts, %llu incidents in %.2f s of sink time (%.0f alerts/s), "
               "%.2f s of CPU (%.0f alerts per CPU-second); end of run %.2f s; wall %.2f s with "
               "line generation; store %.0f MB (%.0f B/alert)\n",
               (unsigned long long)sum.alerts, (unsigned long long)sum.incidents, t_sink,
               (double)n / t_sink, c_sink, (double)n / c_sink, t_end, now() - t_all0, (double)sb.st_size / 1e6,
               (double)sb.st_size / (double)n);
        free(lines);
        free(len);
        if (emit && fclose(emit)) {
            perror("--emit");
            return 1;
        }
    }
    if (report) {
        static const char *const names[] = {"json", "md", "csv", "html"};
        static const enum vg_report_format fmts[] = {VG_REPORT_JSON, VG_REPORT_MD, VG_REPORT_CSV,
                                                     VG_REPORT_HTML};
        for (int f = 0; f < 4; f++) {
            double t0 = now(), c0 = cpu();
            vg_store_t *s = vg_store_open(path, false, err, sizeof err);
            if (!s) {
                fprintf(stderr, "%s\n", err);
                return 1;
            }
            vg_report_filter_t flt = {.store_label = path};
            vg_report_t *r = vg_report_build(vg_store_db(s), &flt, err, sizeof err);
            if (!r) {
                fprintf(stderr, "%s\n", err);
                return 1;
            }
            double t1 = now();
            vg_buf_t b;
            vg_buf_init(&b, 1 << 20);
            vg_report_render(r, fmts[f], &b);
            double t2 = now();
            printf("report %-4s: %.2f s wall, %.2f s CPU (model %.2f s, render %.3f s, %zu bytes)\n",
                   names[f], t2 - t0, cpu() - c0, t1 - t0, t2 - t1, b.len);
            vg_buf_fini(&b);
            vg_report_free(r);
            vg_store_close(s);
        }
    }
    return 0;
}
