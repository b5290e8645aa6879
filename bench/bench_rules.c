/* bench_rules.c — vigil-bench-rules: prefilter build and scan cost on a real rule set.
 *
 *   vigil-bench-rules [--cache DIR] [--msgs N] [--rounds N] [--group first|best] FILE.rules...
 *
 * Loads the rules, groups them by the buffer of their first non-payload list (else payload;
 * --group best: the buffer of their best content — fast_pattern, else the longest positive one,
 * untransformed preferred — as the engine assigns them; rules without any inspection list are
 * counted and left out), builds one prefilter per group
 * three times — without a cache (pure compile), into an empty cache (compile + store: a first
 * start) and from the filled cache (a restart) — and scans synthetic HTTP-request-like messages
 * with every group's prefilter. Prints one table row per group and the totals.
 */
#include "detect/detect.h"
#include "detect/prefilter.h"
#include "detect/prefilter_int.h"

#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *buf_name(int b)
{
    static const char *names[VG_DBUF_MAX] = {
        [VG_BUF_HTTP_URI] = "http.uri", [VG_BUF_HTTP_URI_RAW] = "http.uri.raw",
        [VG_BUF_HTTP_METHOD] = "http.method", [VG_BUF_HTTP_HOST] = "http.host",
        [VG_BUF_HTTP_HOST_RAW] = "http.host.raw", [VG_BUF_HTTP_USER_AGENT] = "http.user_agent",
        [VG_BUF_HTTP_HEADER] = "http.header", [VG_BUF_HTTP_HEADER_RAW] = "http.header.raw",
        [VG_BUF_HTTP_HEADER_NAMES] = "http.header_names", [VG_BUF_HTTP_COOKIE] = "http.cookie",
        [VG_BUF_HTTP_CONTENT_TYPE] = "http.content_type",
        [VG_BUF_HTTP_CONTENT_LEN] = "http.content_len", [VG_BUF_HTTP_REFERER] = "http.referer",
        [VG_BUF_HTTP_REQUEST_LINE] = "http.request_line",
        [VG_BUF_HTTP_REQUEST_BODY] = "http.request_body", [VG_BUF_HTTP_PROTOCOL] = "http.protocol",
        [VG_BUF_HTTP_START] = "http.start", [VG_BUF_HTTP_STAT_CODE] = "http.stat_code",
        [VG_BUF_HTTP_STAT_MSG] = "http.stat_msg",
        [VG_BUF_HTTP_RESPONSE_LINE] = "http.response_line",
        [VG_BUF_HTTP_RESPONSE_HEADER] = "http.response_header",
        [VG_BUF_HTTP_RESPONSE_HEADER_RAW] = "http.response_header.raw",
        [VG_BUF_HTTP_RESPONSE_BODY] = "http.response_body", [VG_BUF_HTTP_SERVER] = "http.server",
        [VG_BUF_HTTP_LOCATION] = "http.location", [VG_BUF_DNS_QUERY] = "dns.query",
        [VG_BUF_TLS_SNI] = "tls.sni", [VG_BUF_TLS_CERT_SUBJECT] = "tls.cert_subject",
        [VG_BUF_TLS_CERT_ISSUER] = "tls.cert_issuer", [VG_BUF_TLS_CERT_SERIAL] = "tls.cert_serial",
        [VG_BUF_TLS_CERT_FINGERPRINT] = "tls.cert_fingerprint",
        [VG_BUF_TLS_VERSION] = "tls.version", [VG_BUF_JA3_HASH] = "ja3.hash",
        [VG_BUF_JA3_STRING] = "ja3.string", [VG_BUF_JA3S_HASH] = "ja3s.hash",
        [VG_BUF_JA3S_STRING] = "ja3s.string", [VG_BUF_JA4_HASH] = "ja4.hash",
        [VG_BUF_SSH_PROTO] = "ssh.proto", [VG_BUF_SSH_SOFTWARE] = "ssh.software",
        [VG_DBUF_PAYLOAD] = "payload",
    };
    return b >= 0 && b < VG_DBUF_MAX && names[b] ? names[b] : "?";
}

/* The group of r: its first non-payload list's buffer, else payload, else -1 (no lists). */
static int group_of(const vg_rule_t *r)
{
    for (uint32_t i = 0; i < r->n_lists; i++)
        if (r->lists[i].buf != VG_DBUF_PAYLOAD)
            return r->lists[i].buf;
    return r->n_lists ? VG_DBUF_PAYLOAD : -1;
}

/* The engine's assignment: the list holding the fast_pattern content, else the longest
 * positive content, lists under transforms last; -1 without lists. */
static int group_best(const vg_rule_t *r)
{
    int best = r->n_lists ? r->lists[0].buf : -1;
    long best_score = -1;
    for (uint32_t i = 0; i < r->n_lists; i++) {
        const vg_rule_list_t *l = &r->lists[i];
        for (uint32_t k = 0; k < l->n_sm; k++) {
            const vg_content_t *c = &l->sm[k].u.content;
            if (l->sm[k].type != VG_SM_CONTENT || (c->flags & VG_CT_NEGATED))
                continue;
            long score = (long)c->len + ((c->flags & VG_CT_FAST_PATTERN) ? 100000 : 0) -
                         (l->n_xform ? 50000 : 0);
            if (score > best_score) {
                best_score = score;
                best = l->buf;
            }
        }
    }
    return best;
}

typedef struct group {
    const vg_rule_t **rules;
    size_t n;
    vg_prefilter_t *pf;
    double t_nocache, t_cold, t_warm, t_scan;
    uint64_t cand;
} group_t;

/* ---- synthetic HTTP-like messages ---- */

static const char *words[] = {
    "index", "login", "admin", "api", "v1", "user", "images", "static", "js", "css", "search",
    "wp-content", "upload", "download", "update", "cart", "product", "news", "blog", "account",
    "session", "config", "data", "files", "media", "assets", "cdn", "home", "about", "help",
};
#define NWORDS (sizeof(words) / sizeof(words[0]))

static uint64_t rng = 88172645463325252ull;
static uint32_t rnd(uint32_t n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)((rng >> 11) % n);
}

static size_t make_msg(char *o, size_t cap)
{
    static const char *ua[] = {
        ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
         "Chrome/120.0 Safari/537.36"),
        "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
        "curl/8.4.0", "python-requests/2.31.0",
    };
    static const char *ext[] = { ".php", ".html", ".js", ".png", "/", ".aspx" };
    return (size_t)snprintf(
        o, cap,
        "%s /%s/%s/%s%s?id=%u&q=%s HTTP/1.1\r\nHost: www.%s%u.com\r\nUser-Agent: %s\r\n"
        "Accept: text/html,application/xhtml+xml,*/*;q=0.8\r\nAccept-Language: en-US,en;q=0.5\r\n"
        "Accept-Encoding: gzip, deflate\r\nConnection: keep-alive\r\nCookie: sid=%08x%08x; "
        "pref=%s\r\nReferer: http://www.%s.com/%s\r\n\r\n",
        rnd(4) ? "GET" : "POST", words[rnd(NWORDS)], words[rnd(NWORDS)], words[rnd(NWORDS)],
        ext[rnd(6)], rnd(100000), words[rnd(NWORDS)], words[rnd(NWORDS)], rnd(1000),
        ua[rnd(4)], rnd(UINT32_MAX), rnd(UINT32_MAX), words[rnd(NWORDS)], words[rnd(NWORDS)],
        words[rnd(NWORDS)]);
}

/* ---- phases ---- */

static double build_all(group_t *g, int ng, const char *cache, int phase)
{
    double total = 0;
    for (int b = 0; b < ng; b++) {
        if (!g[b].n)
            continue;
        vg_prefilter_free(g[b].pf);
        char err[256] = "";
        double t0 = now_s();
        g[b].pf = vg_prefilter_build(g[b].rules, g[b].n, b, cache, err, sizeof(err));
        double dt = now_s() - t0;
        if (!g[b].pf)
            fprintf(stderr, "%s: build failed: %s\n", buf_name(b), err);
        *(phase == 0 ? &g[b].t_nocache : phase == 1 ? &g[b].t_cold : &g[b].t_warm) = dt;
        total += dt;
    }
    return total;
}

static void scan_all(group_t *g, int ng, char **msgs, const size_t *lens, size_t nm, int rounds)
{
    vg_prefilter_scratch_t *s = vg_prefilter_scratch_new();
    size_t maxn = 1;
    for (int b = 0; b < ng; b++)
        maxn = g[b].n > maxn ? g[b].n : maxn;
    uint32_t *out = malloc(maxn * sizeof(*out));
    for (int b = 0; b < ng; b++) {
        if (!g[b].pf)
            continue;
        vg_prefilter_scan(g[b].pf, s, (const uint8_t *)msgs[0], lens[0], out, maxn); /* warm */
        double t0 = now_s();
        for (int r = 0; r < rounds; r++)
            for (size_t i = 0; i < nm; i++)
                g[b].cand += vg_prefilter_scan(g[b].pf, s, (const uint8_t *)msgs[i], lens[i], out,
                                               maxn);
        g[b].t_scan = now_s() - t0;
    }
    free(out);
    vg_prefilter_scratch_free(s);
}

/* Removes the *.hsdb files of dir (only those: --cache may name a folder with other files). */
static void rm_cache(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    char p[4096];
    for (struct dirent *e; (e = readdir(d));) {
        size_t l = strlen(e->d_name);
        if (l < 6 || strcmp(e->d_name + l - 5, ".hsdb") != 0)
            continue;
        snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
        unlink(p);
    }
    closedir(d);
}

static void report(group_t *g, int ng, size_t nm, int rounds, size_t bytes, uint32_t n_nolist)
{
    printf("%-26s %6s %6s %6s %6s %9s %9s %9s %9s %10s\n", "group", "rules", "pats", "uniq",
           "always", "compile", "cold", "warm", "scan MB/s", "cand/msg");
    size_t tr = 0, tp = 0, tu = 0, ta = 0;
    double tn = 0, tc = 0, tw = 0, ts = 0;
    for (int b = 0; b < ng; b++) {
        if (!g[b].n || !g[b].pf)
            continue;
        size_t p = vg_prefilter_n_patterns(g[b].pf), a = vg_prefilter_n_always(g[b].pf);
        size_t u = vg_pf_n_unique(g[b].pf);
        double mbs = (double)bytes * rounds / 1e6 / g[b].t_scan;
        printf("%-26s %6zu %6zu %6zu %6zu %8.3fs %8.3fs %8.3fs %9.0f %10.2f\n", buf_name(b),
               g[b].n, p, u, a, g[b].t_nocache, g[b].t_cold, g[b].t_warm, mbs,
               (double)g[b].cand / ((double)nm * rounds));
        tr += g[b].n, tp += p, tu += u, ta += a;
        tn += g[b].t_nocache, tc += g[b].t_cold, tw += g[b].t_warm, ts += g[b].t_scan;
    }
    printf("%-26s %6zu %6zu %6zu %6zu %8.3fs %8.3fs %8.3fs %9.0f\n", "TOTAL", tr, tp, tu, ta, tn,
           tc, tw, (double)bytes * rounds / 1e6 / ts);
    printf("rules without any inspection list (not prefiltered): %u\n", n_nolist);
    printf("scan: %zu messages x %d rounds, %.1f MB per round; every group scans every "
           "message (TOTAL MB/s = all groups in turn)\n", nm, rounds, (double)bytes / 1e6);
}

int main(int argc, char **argv)
{
    const char *cache = NULL;
    size_t nm = 20000;
    int rounds = 3, a = 1;
    bool by_best = false;
    for (; a < argc && strncmp(argv[a], "--", 2) == 0; a += 2) {
        if (a + 1 >= argc)
            break;
        if (!strcmp(argv[a], "--cache"))
            cache = argv[a + 1];
        else if (!strcmp(argv[a], "--msgs"))
            nm = strtoul(argv[a + 1], NULL, 10);
        else if (!strcmp(argv[a], "--rounds"))
            rounds = atoi(argv[a + 1]);
        else if (!strcmp(argv[a], "--group"))
            by_best = !strcmp(argv[a + 1], "best");
    }
    if (a >= argc || nm == 0 || rounds <= 0) {
        fprintf(stderr, "usage: %s [--cache DIR] [--msgs N] [--rounds N] [--group first|best] "
                "FILE.rules...\n",
                argv[0]);
        return 2;
    }
    char tmpl[] = "/tmp/vigil-bench-rules-XXXXXX";
    if (!cache && !(cache = mkdtemp(tmpl))) {
        perror("mkdtemp");
        return 1;
    }
    rm_cache(cache);

    vg_ruleset_t *rs = vg_ruleset_new();
    double t0 = now_s();
    for (; a < argc; a++) {
        char err[256];
        if (vg_ruleset_load_file(rs, argv[a], err, sizeof(err)) < 0)
            fprintf(stderr, "%s\n", err);
    }
    uint32_t nr = vg_ruleset_count(rs);
    printf("loaded %u rules (%u skipped, %u failed) in %.2f s\n", nr, vg_ruleset_n_skipped(rs),
           vg_ruleset_n_failed(rs), now_s() - t0);

    group_t g[VG_DBUF_MAX];
    memset(g, 0, sizeof(g));
    uint32_t n_nolist = 0;
    for (uint32_t i = 0; i < nr; i++) {
        const vg_rule_t *r = vg_ruleset_rule(rs, i);
        int b = by_best ? group_best(r) : group_of(r);
        if (b < 0) {
            n_nolist++;
            continue;
        }
        g[b].rules = realloc(g[b].rules, (g[b].n + 1) * sizeof(*g[b].rules));
        g[b].rules[g[b].n++] = r;
    }
    double tn = build_all(g, VG_DBUF_MAX, NULL, 0);
    double tc = build_all(g, VG_DBUF_MAX, cache, 1);
    double tw = build_all(g, VG_DBUF_MAX, cache, 2);
    printf("build: compile %.2f s, cold (compile + store) %.2f s, warm (from cache) %.2f s\n",
           tn, tc, tw);

    char **msgs = malloc(nm * sizeof(*msgs));
    size_t *lens = malloc(nm * sizeof(*lens)), bytes = 0;
    for (size_t i = 0; i < nm; i++) {
        msgs[i] = malloc(1024);
        lens[i] = make_msg(msgs[i], 1024);
        bytes += lens[i];
    }
    scan_all(g, VG_DBUF_MAX, msgs, lens, nm, rounds);
    report(g, VG_DBUF_MAX, nm, rounds, bytes, n_nolist);

    for (size_t i = 0; i < nm; i++)
        free(msgs[i]);
    free(msgs);
    free(lens);
    for (int b = 0; b < VG_DBUF_MAX; b++) {
        vg_prefilter_free(g[b].pf);
        free(g[b].rules);
    }
    vg_ruleset_free(rs);
    if (cache == tmpl) {
        rm_cache(cache);
        rmdir(cache);
    }
    return 0;
}
