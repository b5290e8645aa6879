/* fuzz_web.c — `vigil serve`'s request handling: routing, query parameters, cursors, the token
 * and login form, the evidence paths, over real HTTP on loopback.
 *
 * Two servers (src/web) are started once per process on 127.0.0.1 with free ports over a store
 * made in a private directory: one without a token, one with the token "fuzz-token". The store
 * is filled once at start through the store's own writer (vg_store_begin_run, the EVE sink,
 * vg_store_end_run), from generated EVE lines (populate()): two complete runs of two sensors,
 * a failed one and one left running, 300 alerts spread over ten days, categories, countries,
 * ASNs, certainties, IPv4 and IPv6 ends, incidents, flows, and evidence references whose files
 * are verified, changed, unsealed, missing or not in the ledger — so the alerts, incidents and
 * evidence endpoints, their filters, cursors and pages reach rows. Each
 * input is [selector][raw bytes of an HTTP request]: the bytes are written to a new connection to
 * the server the selector picks, and its first answer is read whole (an incomplete request gets
 * none: 150 ms). Invariants:
 * the server answers a well-formed status request after every input (it neither died nor hung),
 * and every answer starts like an HTTP response when there is one. Crashes and sanitizer reports
 * in the server's threads stop the fuzzer as usual.
 */
#include "fuzz_common.h"

#include "common/buf.h"
#include "common/log.h"
#include "store/store.h"
#include "web/web.h"

#include <arpa/inet.h>
#include <sqlite3.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static char dir[64], path[128];
static vg_web_t *srv[2];

#define N_EVFILES 5 /* evidence/flow-N.pcap, N = 1..5; see populate() */

static void cleanup(void)
{
    for (int i = 0; i < 2; i++)
        vg_web_stop(srv[i]);
    static const char *const names[] = {
        "vigil.db", "vigil.db-wal", "vigil.db-shm", "evidence/ledger.jsonl",
        "evidence/flow-1.pcap", "evidence/flow-2.pcap", "evidence/flow-3.pcap",
        "evidence/flow-4.pcap", "evidence/flow-5.pcap", "evidence", ""};
    char p[192];
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        snprintf(p, sizeof p, "%s/%s", dir, names[i]);
        if (remove(p) != 0 && errno != ENOENT)
            (void)rmdir(p);
    }
}

static void put_file(const char *name, const char *text)
{
    char p[192];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    if (!f || fputs(text, f) < 0 || fclose(f) != 0)
        abort();
}

/* The run's evidence directory: flow-1 sealed with its right hash (verified), flow-2 sealed with
 * another file's hash (changed), flow-3 named by an alert entry only (unsealed), flow-4 named but
 * absent (missing), flow-5 present but not in the ledger. */
static void write_evidence(void)
{
    char p[192], sha[65], line[512], err[256];
    snprintf(p, sizeof p, "%s/evidence", dir);
    if (mkdir(p, 0700) && errno != EEXIST)
        abort();
    static const char *const body[] = {"pcap one\n", "pcap two\n", "pcap three\n", NULL,
                                       "pcap five\n"};
    for (int i = 0; i < N_EVFILES; i++) {
        if (!body[i])
            continue;
        snprintf(p, sizeof p, "evidence/flow-%d.pcap", i + 1);
        put_file(p, body[i]);
    }
    vg_buf_t led;
    vg_buf_init(&led, 2048);
    for (int i = 1; i <= 4; i++) {
        snprintf(line, sizeof line, "{\"seq\":%d,\"type\":\"alert\",\"file\":\"flow-%d.pcap\"}\n",
                 i, i);
        vg_buf_puts(&led, line);
    }
    for (int i = 1; i <= 2; i++) {
        uint64_t size;
        snprintf(p, sizeof p, "%s/evidence/flow-%d.pcap", dir, i == 2 ? 5 : 1);
        if (vg_store_sha256_file(p, sha, &size, err, sizeof err))
            abort();
        snprintf(line, sizeof line, "{\"seq\":%d,\"type\":\"evidence\",\"file\":\"flow-%d.pcap\","
                 "\"sha256\":\"%s\",\"size\":%llu}\n", 4 + i, i, sha, (unsigned long long)size);
        vg_buf_puts(&led, line);
    }
    vg_buf_putc(&led, '\0');
    put_file("evidence/ledger.jsonl", led.data);
    vg_buf_fini(&led);
}

/* One run through the store's writer: n alerts (and a flow per alert) made from i0 on. */
static void store_run(vg_store_t *st, const char *sensor, int i0, int n, bool failed, bool end)
{
    static const char *const cats[] = {"exploitation-attempt", "scanning", "brute-force",
                                       "command-and-control", "policy-info", "denial-of-service"};
    static const char *const cc[] = {"CN", "RU", "US", "DE", NULL};
    static const char *const cert[] = {"verified", "spoofable", "inferred"};
    char err[512];
    vg_store_run_info_t ri = {.sensor = sensor, .logdir = dir, .rules_loaded = 10,
                              .incident_window_s = 3600, .flows = VG_STORE_FLOWS_ALL,
                              .batch_rows = 64};
    if (vg_store_begin_run(st, &ri, err, sizeof err) < 0) {
        fprintf(stderr, "fuzz_web: %s\n", err);
        abort();
    }
    for (int i = i0; i < i0 + n; i++) {
        /* ten days from 2023-11-14, a few alerts per attacker so incidents group them */
        long long ts = 1699920000LL + (long long)i * 2880;
        time_t t = (time_t)ts;
        struct tm tm;
        gmtime_r(&t, &tm);
        char when[40], att[48], vic[48], country[32], ev[48];
        strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S.000000+0000", &tm);
        if (i % 7 == 3)
            snprintf(att, sizeof att, "2001:db8::%x", i / 4 + 1);
        else
            snprintf(att, sizeof att, "203.0.113.%d", i / 4 % 250 + 1);
        snprintf(vic, sizeof vic, "10.0.%d.%d", i % 3, i % 5 + 1);
        const char *c = cc[i % 5];
        if (c)
            snprintf(country, sizeof country, ",\"country\":\"%s\"", c);
        else
            country[0] = '\0';
        ev[0] = '\0';
        if (i % 3 == 0)
            snprintf(ev, sizeof ev, ",\"evidence\":\"flow-%d.pcap\"", i / 3 % (N_EVFILES + 1) + 1);
        char line[2048];
        int len = snprintf(
            line, sizeof line,
            "{\"timestamp\":\"%s\",\"flow_id\":%d,\"event_type\":\"alert\",\"src_ip\":\"%s\","
            "\"src_port\":%d,\"dest_ip\":\"%s\",\"dest_port\":%d,\"proto\":\"TCP\","
            "\"app_proto\":\"http\",\"community_id\":\"1:fuzz%d\",\"alert\":{\"action\":\"allowed\","
            "\"gid\":1,\"signature_id\":%d,\"rev\":1,\"signature\":\"FUZZ rule %d CVE-2021-%d\","
            "\"category\":\"Attempted Administrator Privilege Gain\",\"severity\":%d},"
            "\"vigil\":{\"category\":\"%s\",\"counted\":%s,\"certainty\":\"%s\","
            "\"role_by\":\"rule\",\"attacker\":{\"ip\":\"%s\",\"port\":%d,\"home\":false%s,"
            "\"asn\":%d,\"as_org\":\"Org %d\"},\"victim\":{\"ip\":\"%s\",\"port\":80,"
            "\"home\":true}}%s}\n",
            when, 1000 + i, att, 40000 + i, vic, 80, i, 2000000 + i % 9, i % 9, 40000 + i % 9,
            1 + i % 3, cats[i % 6], i % 6 == 4 ? "false" : "true", cert[i % 3], att, 40000 + i,
            country, 64500 + i % 4, i % 4, vic, ev);
        if (vg_store_sink_event(st, line, (size_t)len))
            abort();
        len = snprintf(line, sizeof line,
                       "{\"timestamp\":\"%s\",\"flow_id\":%d,\"event_type\":\"flow\","
                       "\"src_ip\":\"%s\",\"src_port\":%d,\"dest_ip\":\"%s\",\"dest_port\":80,"
                       "\"proto\":\"TCP\",\"app_proto\":\"http\",\"flow\":{\"pkts_toserver\":%d,"
                       "\"pkts_toclient\":3,\"bytes_toserver\":%d,\"bytes_toclient\":300,"
                       "\"start\":\"%s\",\"end\":\"%s\",\"state\":\"closed\",\"reason\":\"timeout\","
                       "\"alerted\":true}}\n",
                       when, 1000 + i, att, 40000 + i, vic, 4 + i % 5, 400 + i, when, when);
        if (vg_store_sink_event(st, line, (size_t)len))
            abort();
        if (i % 50 == 49 && vg_store_sink_commit(st, false))
            abort();
    }
    if (vg_store_sink_commit(st, end))
        abort();
    if (!end)
        return; /* left 'running': the API must not count it */
    char cap[64];
    snprintf(cap, sizeof cap, "fuzz-%s-%d.pcap", sensor, i0);
    vg_store_capture_t c = {.path = cap, .size = (uint64_t)n};
    snprintf(c.sha256, sizeof c.sha256, "%064x", i0 + 1);
    vg_store_run_end_t e = {.captures = &c, .n_captures = 1, .packets = (uint64_t)n * 9,
                            .bytes = (uint64_t)n * 900, .first_ts = 1699920000000000ULL,
                            .last_ts = 1699920000000000ULL + (uint64_t)n * 2880000000ULL,
                            .failed = failed};
    vg_store_run_summary_t sum;
    if (vg_store_end_run(st, &e, &sum, err, sizeof err)) {
        fprintf(stderr, "fuzz_web: %s\n", err);
        abort();
    }
}

/* Fills the store: 200 alerts of sensor-a (complete), 100 of sensor-b (complete), 20 of a
 * failed run and 20 of a run still running (neither counted by the API). */
static void populate(vg_store_t *st)
{
    write_evidence();
    store_run(st, "sensor-a", 0, 200, false, true);
    store_run(st, "sensor-b", 200, 100, false, true);
    store_run(st, "sensor-a", 300, 20, true, true);
    store_run(st, "sensor-c", 320, 20, false, false);
    /* the writer must have taken every line: a harness over a store emptier than it thinks
     * would measure nothing */
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(vg_store_db(st), "SELECT (SELECT count(*) FROM alerts),"
                           " (SELECT count(*) FROM incidents), (SELECT count(*) FROM flows),"
                           " (SELECT count(*) FROM alerts WHERE evidence_ref IS NOT NULL)",
                           -1, &q, NULL) != SQLITE_OK || sqlite3_step(q) != SQLITE_ROW)
        abort();
    if (sqlite3_column_int(q, 0) != 340 || sqlite3_column_int(q, 1) < 20 ||
        sqlite3_column_int(q, 2) != 340 || sqlite3_column_int(q, 3) < 100) {
        fprintf(stderr, "fuzz_web: the store holds %d alerts, %d incidents, %d flows, %d with "
                "evidence\n", sqlite3_column_int(q, 0), sqlite3_column_int(q, 1),
                sqlite3_column_int(q, 2), sqlite3_column_int(q, 3));
        abort();
    }
    sqlite3_finalize(q);
}

static void setup(void)
{
    vg_log_set_level(VG_LOG_ERROR);
    signal(SIGPIPE, SIG_IGN);
    snprintf(dir, sizeof dir, "/tmp/vigil-fuzz-web-%d", (int)getpid());
    if (mkdir(dir, 0700) && errno != EEXIST)
        abort();
    snprintf(path, sizeof path, "%s/vigil.db", dir);
    char err[512];
    vg_store_t *st = vg_store_open(path, true, err, sizeof err);
    if (!st) {
        fprintf(stderr, "fuzz_web: %s\n", err);
        abort();
    }
    populate(st);
    vg_store_close(st);
    for (int i = 0; i < 2; i++) {
        vg_web_opts_t o = {.store_path = path, .store_label = path, .logdir = dir,
                           .addr = "127.0.0.1", .token = i ? "fuzz-token" : NULL,
                           .threads = 2, .timeout_s = 2};
        srv[i] = vg_web_start(&o, err, sizeof err);
        if (!srv[i]) {
            fprintf(stderr, "fuzz_web: %s\n", err);
            abort();
        }
    }
    atexit(cleanup);
}

/* True once out holds a whole first response: headers and Content-Length bytes of body, or a
 * chunked body's last chunk. */
static bool first_response_done(const char *out, size_t got)
{
    const char *end = strstr(out, "\r\n\r\n");
    if (!end)
        return false;
    size_t hdr = (size_t)(end - out) + 4;
    const char *cl = strcasestr(out, "\r\nContent-Length:");
    if (cl && cl < end)
        return got >= hdr + strtoull(cl + 17, NULL, 10);
    const char *te = strcasestr(out, "\r\nTransfer-Encoding: chunked");
    if (te && te < end)
        return strstr(out + hdr, "\r\n0\r\n\r\n") || !strncmp(out + hdr, "0\r\n\r\n", 5);
    return false;
}

/* A connected socket to the server, -1 (errno set) when none could be made. libFuzzer's -timeout
 * timer (SIGALRM) can interrupt connect(), which is then never restarted (signal(7)): a new
 * socket is tried then, a few times. */
static int connect_to(uint16_t port, long wait_ms)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct timeval tv = {wait_ms / 1000, (wait_ms % 1000) * 1000};
    for (int attempt = 0; attempt < 5; attempt++) {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        if (fd < 0)
            return -1;
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0)
            return fd;
        int e = errno;
        close(fd);
        errno = e;
        if (e != EINTR)
            return -1;
    }
    return -1;
}

/* Sends req on a new connection; reads the answer into out (NUL-terminated, truncated). Returns
 * the bytes read, -1 when the connection could not be made. Calls interrupted by a signal (see
 * connect_to) are repeated. */
static ssize_t exchange(uint16_t port, const uint8_t *req, size_t n, char *out, size_t cap,
                        long wait_ms)
{
    out[0] = '\0';
    int fd = connect_to(port, wait_ms);
    if (fd < 0)
        return -1;
    size_t off = 0;
    while (off < n) {
        ssize_t w = send(fd, req + off, n - off, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break; /* the server may refuse early (oversized): fine */
        off += (size_t)w;
    }
    shutdown(fd, SHUT_WR);
    size_t got = 0;
    for (;;) {
        char buf[4096];
        ssize_t r = recv(fd, buf, sizeof buf, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        size_t k = (size_t)r < cap - 1 - got ? (size_t)r : cap - 1 - got;
        memcpy(out + got, buf, k);
        got += k;
        out[got] = '\0';
        if (first_response_done(out, got))
            break; /* a kept-alive connection would otherwise wait for the idle timeout */
    }
    out[got] = '\0';
    close(fd);
    return (ssize_t)got;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool ready;
    if (!ready) {
        setup();
        ready = true;
    }
    if (size < 1)
        return 0;
    int which = data[0] & 1;
    static char ans[1 << 16];
    /* an incomplete request gets no answer: wait briefly for one */
    ssize_t n = exchange(vg_web_port(srv[which]), data + 1, size - 1, ans, sizeof ans, 150);
    if (n < 0) { /* the server stopped accepting connections */
        fprintf(stderr, "fuzz_web: cannot connect: %s\n", strerror(errno));
        abort();
    }
    if (n > 0 && strncmp(ans, "HTTP/1.", 7) != 0)
        abort(); /* something that is not an HTTP response */
    static const char ok[] = "GET /api/v1/status HTTP/1.0\r\nAuthorization: Bearer fuzz-token\r\n\r\n";
    n = exchange(vg_web_port(srv[which]), (const uint8_t *)ok, sizeof ok - 1, ans, sizeof ans, 3000);
    if (n <= 0 || (strncmp(ans, "HTTP/1.0 200", 12) != 0 && strncmp(ans, "HTTP/1.1 200", 12) != 0)) {
        fprintf(stderr, "fuzz_web: the server no longer answers a status request: %s\n",
                n < 0 ? strerror(errno) : n == 0 ? "no answer within 3 s" : ans);
        abort();
    }
    return 0;
}
