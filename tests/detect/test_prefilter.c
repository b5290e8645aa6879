/* test_prefilter.c — the Hyperscan prefilter: fast-pattern choice (fast_pattern, chop, longest,
 * nocase), always-rules (negated-only, no content, transforms, other buffers), ordering and
 * dedupe of candidates, shared thread scratch, the disk cache (round trip, corrupt files), and a
 * differential test against the reference evaluator: on random rules and payloads the prefilter
 * never drops a rule that vg_detect_eval_rule() matches. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "detect/detect.h"
#include "detect/prefilter.h"
#include "detect/prefilter_int.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAXR 1024

#define DFX_OWN_SETUP
#include "detect_fixture.h"

static vg_prefilter_scratch_t *sc;

static int setup(void **st)
{
    (void)st;
    dfx_open();
    sc = vg_prefilter_scratch_new();
    return 0;
}

static int teardown(void **st)
{
    (void)st;
    vg_prefilter_scratch_free(sc);
    dfx_close();
    return 0;
}

/* Adds "alert <proto> any any -> any any (opts sid:N;)"; returns its index in rs. */
static uint32_t add_proto(const char *proto, const char *opts)
{
    if (!try_rule(proto, opts))
        fail_msg("rule did not load: %s: %s", opts, last_diag()->detail);
    return vg_ruleset_count(rs) - 1;
}
#define ADD(opts) add_proto("tcp", opts)
#define ADDH(opts) add_proto("http", opts)

static const vg_rule_t *rules_of(vg_ruleset_t *set, const vg_rule_t **arr)
{
    for (uint32_t i = 0; i < vg_ruleset_count(set); i++)
        arr[i] = vg_ruleset_rule(set, i);
    return arr[0];
}

static vg_prefilter_t *build_set(vg_ruleset_t *set, int buf, const char *cache)
{
    static const vg_rule_t *arr[MAXR];
    rules_of(set, arr);
    char err[256] = "";
    vg_prefilter_t *pf = vg_prefilter_build(arr, vg_ruleset_count(set), buf, cache, err,
                                            sizeof(err));
    if (!pf)
        fail_msg("build failed: %s", err);
    return pf;
}
#define BUILD(buf) build_set(rs, buf, NULL)

static size_t scan(const vg_prefilter_t *pf, const char *s, uint32_t *out)
{
    return vg_prefilter_scan(pf, sc, (const uint8_t *)s, strlen(s), out, MAXR);
}

/* Candidates of s must be exactly the -1 terminated list. */
static void expect(const vg_prefilter_t *pf, const char *s, ...)
{
    uint32_t out[MAXR];
    size_t n = scan(pf, s, out);
    va_list ap;
    va_start(ap, s);
    size_t k = 0;
    for (int v = va_arg(ap, int); v >= 0; v = va_arg(ap, int), k++) {
        if (k >= n || out[k] != (uint32_t)v)
            fail_msg("data '%s': candidate %zu is %d, want %d (got %zu)", s, k,
                     k < n ? (int)out[k] : -1, v, n);
    }
    va_end(ap);
    if (k != n)
        fail_msg("data '%s': %zu candidates, want %zu", s, n, k);
}

static void test_basic_and_nocase(void **st)
{
    (void)st;
    ADD("content:\"abc\";");               /* 0 */
    ADD("content:\"xyz\";");               /* 1 */
    ADD("content:\"abc\"; offset:3;");     /* 2: same literal, window irrelevant */
    ADD("content:\"AbC\"; nocase;");       /* 3 */
    ADD("content:\"ABC\";");               /* 4 */
    ADD("content:\"|00 ff|q\";");          /* 5: binary */
    vg_prefilter_t *pf = BUILD(VG_DBUF_PAYLOAD);
    assert_int_equal(vg_prefilter_n_patterns(pf), 6);
    assert_int_equal(vg_prefilter_n_always(pf), 0);
    assert_int_equal(vg_pf_n_unique(pf), 5); /* "abc" twice */
    expect(pf, "--abc--", 0, 2, 3, -1);
    expect(pf, "xyz abc", 0, 1, 2, 3, -1);
    expect(pf, "aBc", 3, -1);
    expect(pf, "ABC", 3, 4, -1);
    expect(pf, "nothing here", -1);
    expect(pf, "", -1);
    uint32_t out[8];
    assert_int_equal(vg_prefilter_scan(pf, sc, (const uint8_t *)"\x00\xffq", 3, out, 8), 1);
    assert_int_equal(out[0], 5);
    assert_int_equal(vg_prefilter_scan(pf, sc, (const uint8_t *)"\x00\xffQ", 3, out, 8), 0);
    vg_prefilter_free(pf);
}

static void test_fast_pattern_choice(void **st)
{
    (void)st;
    ADD("content:\"longerpattern\"; content:\"ab\"; fast_pattern;");  /* 0: fp "ab" */
    ADD("content:\"ab\"; content:\"longest\";");                      /* 1: longest */
    ADD("content:\"abcdefgh\"; fast_pattern:2,3;");                   /* 2: chop "cde" */
    ADD("content:\"zzzz\"; fast_pattern:only;");                      /* 3: fp only */
    ADD("content:\"uvwxyz\"; content:!\"qq\";");                      /* 4: negated skipped */
    ADD("content:\"MiXeD\"; nocase; fast_pattern:1,3;");              /* 5: chop + nocase */
    vg_prefilter_t *pf = BUILD(VG_DBUF_PAYLOAD);
    assert_int_equal(vg_prefilter_n_always(pf), 0);
    expect(pf, "ab", 0, -1);
    expect(pf, "longerpattern", -1);
    expect(pf, "longest", 1, -1);
    expect(pf, "xxcdexx", 2, -1);
    expect(pf, "xbxdefgh", -1);
    expect(pf, "zzzz", 3, -1);
    expect(pf, "uvwxyz", 4, -1);
    expect(pf, "qq", -1);
    expect(pf, "iXE", 5, -1);
    expect(pf, "IXE", 5, -1);
    expect(pf, "MiX", -1);

    vg_pf_pattern_t p;
    assert_true(vg_pf_pick_pattern(vg_ruleset_rule(rs, 2), VG_DBUF_PAYLOAD, &p));
    assert_int_equal(p.len, 3);
    assert_memory_equal(p.pat, "cde", 3);
    assert_false(p.caseless);
    assert_true(vg_pf_pick_pattern(vg_ruleset_rule(rs, 5), VG_DBUF_PAYLOAD, &p));
    assert_true(p.caseless);
    vg_prefilter_free(pf);
}

static void test_always_rules(void **st)
{
    (void)st;
    ADD("content:!\"abc\";");                         /* 0: negated only */
    ADD("pcre:\"/a+b/\";");                           /* 1: no content */
    ADD("dsize:>5;");                                 /* 2: no list at all */
    ADD("content:\"abc\";");                          /* 3 */
    ADDH("http.uri; content:\"abc\";");               /* 4: other buffer */
    ADD("content:!\"q\"; content:\"def\"; distance:0;"); /* 5: positive one used */
    vg_prefilter_t *pf = BUILD(VG_DBUF_PAYLOAD);
    assert_int_equal(vg_prefilter_n_patterns(pf), 2);
    assert_int_equal(vg_prefilter_n_always(pf), 4);
    expect(pf, "zzz", 0, 1, 2, 4, -1);
    expect(pf, "abc", 0, 1, 2, 3, 4, -1);
    expect(pf, "def", 0, 1, 2, 4, 5, -1);
    expect(pf, "", 0, 1, 2, 4, -1);
    uint32_t out[8];
    assert_int_equal(vg_prefilter_scan(pf, sc, NULL, 0, out, 8), 4);
    vg_prefilter_free(pf);
}

static void test_transforms(void **st)
{
    (void)st;
    ADDH("http.uri; url_decode; content:\"/a b\";");        /* 0: always */
    ADDH("http.uri; strip_whitespace; content:\"ab\";");    /* 1: always */
    ADDH("http.uri; to_lowercase; content:\"abc\";");       /* 2: caseless "abc" */
    ADDH("http.uri; to_uppercase; content:\"XY\";");        /* 3: caseless "xy" */
    /* 4: a transformed list and a plain one on the same buffer: the plain one is used */
    ADDH("http.uri; content:\"plain\"; http.uri; url_decode; content:\"dec\";");
    ADDH("http.uri; content:\"xyz\";");                     /* 5 */
    ADDH("http.uri; dotprefix; content:\".evil.com\"; endswith;");  /* 6: "evil.com" */
    ADDH("http.uri; dotprefix; content:\".\";");             /* 7: nothing left: always */
    ADDH("http.uri; dotprefix; content:\".x\"; fast_pattern:0,1;"); /* 8: "": always */
    vg_prefilter_t *pf = BUILD(VG_BUF_HTTP_URI);
    assert_int_equal(vg_prefilter_n_always(pf), 4);
    assert_int_equal(vg_prefilter_n_patterns(pf), 5);
    vg_pf_pattern_t p;
    assert_true(vg_pf_pick_pattern(vg_ruleset_rule(rs, 6), VG_BUF_HTTP_URI, &p));
    assert_int_equal(p.len, 8);
    assert_memory_equal(p.pat, "evil.com", 8);
    expect(pf, "/index", 0, 1, 7, 8, -1);
    expect(pf, "/ABC", 0, 1, 2, 7, 8, -1);
    expect(pf, "/xy", 0, 1, 3, 7, 8, -1);
    expect(pf, "/plain/dec", 0, 1, 4, 7, 8, -1);
    expect(pf, "/dec", 0, 1, 7, 8, -1);
    expect(pf, "/XYZ", 0, 1, 3, 7, 8, -1);
    expect(pf, "evil.com", 0, 1, 6, 7, 8, -1);
    vg_prefilter_free(pf);
}

static void test_alt_buffer(void **st)
{
    (void)st;
    ADDH("http.header; content:\"X-Foo\";");                      /* 0: request + response */
    ADDH("flow:to_server; http.header; content:\"X-Bar\";");      /* 1: request only */
    ADDH("flow:to_client; http.header; content:\"X-Baz\";");      /* 2: response only */
    vg_prefilter_t *req = BUILD(VG_BUF_HTTP_HEADER);
    vg_prefilter_t *resp = BUILD(VG_BUF_HTTP_RESPONSE_HEADER);
    expect(req, "X-Foo: 1\r\nX-Bar: 2\r\nX-Baz: 3\r\n", 0, 1, 2, -1);
    assert_int_equal(vg_prefilter_n_always(req), 1);
    assert_int_equal(vg_prefilter_n_always(resp), 1);
    expect(resp, "X-Foo: 1\r\n", 0, 1, -1);
    expect(resp, "X-Baz: 1\r\n", 1, 2, -1);
    vg_prefilter_free(req);
    vg_prefilter_free(resp);
}

/* Many rules sharing and overlapping patterns: strictly ascending, no duplicates, exactly the
 * rules whose literal occurs (checked with memmem), through both sort paths. */
static void test_dedupe_and_order(void **st)
{
    (void)st;
    static const char *pats[] = { "a", "ab", "abc", "b", "bc", "zz", "abcabc", "c" };
    const size_t np = sizeof(pats) / sizeof(pats[0]);
    char opts[64];
    for (uint32_t i = 0; i < 400; i++) {
        snprintf(opts, sizeof(opts), "content:\"%s\";", pats[(i * 7 + i / 3) % np]);
        ADD(opts);
    }
    vg_prefilter_t *pf = BUILD(VG_DBUF_PAYLOAD);
    assert_int_equal(vg_pf_n_unique(pf), np);
    static const char *data[] = { "abcabcabc", "zz", "cccc", "xbx", "", "q", "zzabcabc" };
    for (size_t d = 0; d < sizeof(data) / sizeof(data[0]); d++) {
        uint32_t out[MAXR];
        size_t n = scan(pf, data[d], out);
        size_t k = 0;
        for (uint32_t i = 0; i < 400; i++) {
            const char *p = pats[(i * 7 + i / 3) % np];
            if (!memmem(data[d], strlen(data[d]), p, strlen(p)))
                continue;
            assert_true(k < n);
            assert_int_equal(out[k], i);
            k++;
        }
        assert_int_equal(k, n);
    }
    vg_prefilter_free(pf);
}

static void test_empty_and_scratch_sharing(void **st)
{
    (void)st;
    vg_prefilter_t *none = vg_prefilter_build(NULL, 0, VG_DBUF_PAYLOAD, NULL, NULL, 0);
    assert_non_null(none);
    assert_int_equal(vg_prefilter_n_patterns(none), 0);
    expect(none, "abc", -1);
    char err[128];
    assert_null(vg_prefilter_build(NULL, 0, VG_DBUF_MAX, NULL, err, sizeof(err)));
    assert_true(err[0] != 0);

    /* one scratch made before the builds serves a small and a large database alternately */
    vg_prefilter_scratch_t *s2 = vg_prefilter_scratch_new();
    ADD("content:\"one\";");
    vg_prefilter_t *small = BUILD(VG_DBUF_PAYLOAD);
    vg_ruleset_t *big = vg_ruleset_new();
    char txt[256];
    for (int i = 0; i < 300; i++) {
        snprintf(txt, sizeof(txt), "alert tcp any any -> any any (content:\"p%dq%d\"; sid:%d;)",
                 i * 31, i, i + 1);
        assert_non_null(vg_ruleset_add_rule(big, txt, "t", 1));
    }
    vg_prefilter_t *large = build_set(big, VG_DBUF_PAYLOAD, NULL);
    uint32_t out[MAXR];
    for (int round = 0; round < 3; round++) {
        assert_int_equal(vg_prefilter_scan(small, s2, (const uint8_t *)"xoney", 5, out, MAXR), 1);
        assert_int_equal(vg_prefilter_scan(large, s2, (const uint8_t *)"p310q10", 7, out, MAXR),
                         1);
        assert_int_equal(out[0], 10);
    }
    vg_prefilter_free(small);
    vg_prefilter_free(large);
    vg_prefilter_free(none);
    vg_ruleset_free(big);
    vg_prefilter_scratch_free(s2);
}

/* ---- disk cache ---- */

static int list_hsdb(const char *dir, char *name, size_t name_len)
{
    DIR *d = opendir(dir);
    int n = 0;
    if (!d)
        return -1;
    for (struct dirent *e; (e = readdir(d));) {
        size_t l = strlen(e->d_name);
        if (l > 5 && strcmp(e->d_name + l - 5, ".hsdb") == 0) {
            n++;
            snprintf(name, name_len, "%s/%s", dir, e->d_name);
        } else if (e->d_name[0] != '.') {
            n += 1000; /* leftover temporary file */
        }
    }
    closedir(d);
    return n;
}

static void scan_all(const vg_prefilter_t *pf, const char **data, size_t nd, uint32_t *counts,
                     uint32_t (*out)[MAXR])
{
    for (size_t i = 0; i < nd; i++)
        counts[i] = (uint32_t)scan(pf, data[i], out[i]);
}

static void rewrite(const char *path, const void *bytes, size_t n, off_t at)
{
    int fd = open(path, O_WRONLY);
    assert_true(fd >= 0);
    assert_int_equal(pwrite(fd, bytes, n, at), (ssize_t)n);
    close(fd);
}

static void test_cache_roundtrip(void **st)
{
    (void)st;
    char base[] = "/tmp/vg_pf_cacheXXXXXX";
    assert_non_null(mkdtemp(base));
    char dir[128], file[512];
    snprintf(dir, sizeof(dir), "%s/a/b", base); /* created on demand */
    ADD("content:\"GET\"; content:\"/admin\"; fast_pattern;");
    ADD("content:\"passwd\"; nocase;");
    ADD("content:!\"x\";");
    ADD("content:\"abcdef\"; fast_pattern:1,2;");
    static const char *data[] = { "GET /admin", "/etc/PASSWD", "xbcx", "", "nothing" };
    const size_t nd = 5;
    uint32_t ref_n[5], n2[5], ref[5][MAXR], got[5][MAXR];
    vg_prefilter_t *pf = BUILD(VG_DBUF_PAYLOAD);
    scan_all(pf, data, nd, ref_n, ref);
    vg_prefilter_free(pf);

    pf = build_set(rs, VG_DBUF_PAYLOAD, dir); /* compiles, stores */
    assert_int_equal(list_hsdb(dir, file, sizeof(file)), 1);
    struct stat st1, st2;
    assert_int_equal(stat(file, &st1), 0);
    assert_int_equal(st1.st_mode & 0777, 0644);
    vg_prefilter_free(pf);

    pf = build_set(rs, VG_DBUF_PAYLOAD, dir); /* loads: the file is not rewritten */
    assert_int_equal(stat(file, &st2), 0);
    assert_int_equal(st1.st_ino, st2.st_ino);
    scan_all(pf, data, nd, n2, got);
    for (size_t i = 0; i < nd; i++) {
        assert_int_equal(ref_n[i], n2[i]);
        assert_memory_equal(ref[i], got[i], ref_n[i] * sizeof(uint32_t));
    }
    vg_prefilter_free(pf);

    /* the key covers the buffer id, the case flag and the bytes */
    vg_pf_pattern_t kp = { .pat = (const uint8_t *)"abc", .len = 3, .caseless = false };
    uint8_t k1[VG_PF_KEY_LEN], k2[VG_PF_KEY_LEN];
    assert_true(vg_pf_cache_key(&kp, 1, VG_DBUF_PAYLOAD, k1));
    assert_true(vg_pf_cache_key(&kp, 1, VG_BUF_HTTP_URI, k2));
    assert_memory_not_equal(k1, k2, VG_PF_KEY_LEN);
    kp.caseless = true;
    assert_true(vg_pf_cache_key(&kp, 1, VG_DBUF_PAYLOAD, k2));
    assert_memory_not_equal(k1, k2, VG_PF_KEY_LEN);
    char other[512];

    /* corruptions: bad magic, byte flips in the database, truncation — each ignored, results
     * unchanged, and the file replaced by a valid one (new inode, loads afterwards) */
    for (int kind = 0; kind < 4; kind++) {
        assert_int_equal(stat(file, &st1), 0);
        if (kind == 0) {
            rewrite(file, "JUNKJUNK", 8, 0);
        } else if (kind == 1) {
            uint8_t b = 0x5a;
            rewrite(file, &b, 1, st1.st_size / 2);
        } else if (kind == 2) {
            uint8_t b[4] = { 0xde, 0xad, 0xbe, 0xef };
            rewrite(file, b, 4, st1.st_size - 4);
        } else {
            assert_int_equal(truncate(file, st1.st_size - 17), 0);
        }
        pf = build_set(rs, VG_DBUF_PAYLOAD, dir);
        scan_all(pf, data, nd, n2, got);
        for (size_t i = 0; i < nd; i++) {
            assert_int_equal(ref_n[i], n2[i]);
            assert_memory_equal(ref[i], got[i], ref_n[i] * sizeof(uint32_t));
        }
        vg_prefilter_free(pf);
        assert_int_equal(stat(file, &st2), 0);
        if (st1.st_ino == st2.st_ino)
            fail_msg("corruption %d was not detected", kind);
        assert_int_equal(list_hsdb(dir, other, sizeof(other)), 1);
    }
    pf = build_set(rs, VG_DBUF_PAYLOAD, dir);
    assert_int_equal(stat(file, &st1), 0);
    assert_int_equal(st1.st_ino, st2.st_ino);
    vg_prefilter_free(pf);

    unlink(file);
    snprintf(file, sizeof(file), "%s/a/b", base);
    rmdir(file);
    snprintf(file, sizeof(file), "%s/a", base);
    rmdir(file);
    assert_int_equal(rmdir(base), 0);
}

static void test_cache_dir_unusable(void **st)
{
    (void)st;
    ADD("content:\"abc\";");
    /* a cache path that cannot be a directory: building still works */
    vg_prefilter_t *pf = build_set(rs, VG_DBUF_PAYLOAD, "/dev/null/cache");
    expect(pf, "abc", 0, -1);
    vg_prefilter_free(pf);
}

/* ---- differential: prefilter + evaluator == evaluator ---- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint32_t rnd(uint32_t n)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)((rng_state >> 11) % n);
}

static const char alpha[] = "abcAB d.";

static void rand_word(char *w, uint32_t len)
{
    for (uint32_t i = 0; i < len; i++)
        w[i] = alpha[rnd(sizeof(alpha) - 1)];
    w[len] = 0;
}

/* One random content with modifiers (may be invalid: the parser then rejects the rule). */
static size_t rand_content(char *o, size_t cap, bool first, bool *fp_used)
{
    char w[8];
    uint32_t len = 1 + rnd(4);
    rand_word(w, len);
    bool neg = rnd(5) == 0;
    size_t n = (size_t)snprintf(o, cap, "content:%s\"%s\"; ", neg ? "!" : "", w);
    if (rnd(4) == 0)
        n += (size_t)snprintf(o + n, cap - n, "nocase; ");
    uint32_t pos = rnd(first ? 3 : 5);
    if (pos == 1) {
        if (rnd(2))
            n += (size_t)snprintf(o + n, cap - n, "offset:%u; ", rnd(6));
        if (rnd(2))
            n += (size_t)snprintf(o + n, cap - n, "depth:%u; ", len + rnd(8));
    } else if (pos == 2 && rnd(3) == 0) {
        n += (size_t)snprintf(o + n, cap - n, rnd(2) ? "startswith; " : "endswith; ");
    } else if (pos >= 3) {
        if (rnd(3))
            n += (size_t)snprintf(o + n, cap - n, "distance:%d; ", (int)rnd(8) - 3);
        if (rnd(2))
            n += (size_t)snprintf(o + n, cap - n, "within:%u; ", len + rnd(6));
    }
    if (!*fp_used && !neg && rnd(6) == 0) {
        *fp_used = true;
        if (len > 1 && rnd(2))
            n += (size_t)snprintf(o + n, cap - n, "fast_pattern:%u,%u; ", 1u, len - 1);
        else
            n += (size_t)snprintf(o + n, cap - n, "fast_pattern; ");
    }
    return n;
}

/* A rule with 1-3 contents, sometimes isdataat or a pcre, on the payload or (http) on
 * http.uri with an optional transform. */
static void rand_rule(char *txt, size_t cap, uint32_t sid, bool http)
{
    static const char *xf[] = { "", "", "", "to_lowercase; ", "to_uppercase; ",
                                "strip_whitespace; ", "compress_whitespace; ", "dotprefix; ",
                                "dotprefix; to_lowercase; ", "dotprefix; dotprefix; " };
    char opts[1024];
    size_t n = 0;
    if (http)
        n += (size_t)snprintf(opts + n, sizeof(opts) - n, "http.uri; %s",
                              xf[rnd(sizeof(xf) / sizeof(xf[0]))]);
    bool fp = false;
    uint32_t nc = 1 + rnd(3);
    for (uint32_t i = 0; i < nc; i++)
        n += rand_content(opts + n, sizeof(opts) - n, i == 0, &fp);
    if (rnd(8) == 0)
        n += (size_t)snprintf(opts + n, sizeof(opts) - n, "isdataat:%u,relative; ", rnd(3));
    if (rnd(12) == 0)
        n += (size_t)snprintf(opts + n, sizeof(opts) - n, "pcre:\"/a[bB]/R\"; ");
    snprintf(txt, cap, "alert %s any any -> any any (%ssid:%u;)", http ? "http" : "tcp", opts,
             sid);
}

static void differential(bool http, uint32_t rounds, uint32_t nrules, uint32_t npay)
{
    uint64_t n_true = 0, n_cand = 0, n_pairs = 0;
    for (uint32_t round = 0; round < rounds; round++) {
        vg_ruleset_t *set = vg_ruleset_new();
        char txt[1200];
        for (uint32_t i = 0; vg_ruleset_count(set) < nrules && i < nrules * 20; i++) {
            rand_rule(txt, sizeof(txt), i + 1, http);
            vg_ruleset_add_rule(set, txt, "rand", i + 1);
        }
        uint32_t nr = vg_ruleset_count(set);
        assert_true(nr > nrules / 2);
        int buf = http ? VG_BUF_HTTP_URI : VG_DBUF_PAYLOAD;
        vg_prefilter_t *pf = build_set(set, buf, NULL);
        for (uint32_t p = 0; p < npay; p++) {
            char data[64];
            uint32_t len = rnd(40);
            rand_word(data, len);
            vg_detect_input_t in;
            memset(&in, 0, sizeof(in));
            in.buf[buf] = (const uint8_t *)data;
            in.len[buf] = len;
            in.app_proto = http ? VG_APP_HTTP : 0;
            uint32_t cand[MAXR];
            size_t nc = vg_prefilter_scan(pf, sc, (const uint8_t *)data, len, cand, MAXR);
            for (size_t k = 1; k < nc; k++)
                assert_true(cand[k - 1] < cand[k]);
            size_t k = 0;
            for (uint32_t r = 0; r < nr; r++) {
                bool is_cand = k < nc && cand[k] == r;
                k += is_cand;
                bool truth = vg_detect_eval_rule(th, vg_ruleset_rule(set, r), &in);
                if (truth && !is_cand)
                    fail_msg("prefilter lost rule %s on data '%s'",
                             vg_ruleset_rule(set, r)->text, data);
                n_true += truth;
            }
            assert_int_equal(k, nc);
            n_cand += nc;
            n_pairs += nr;
        }
        vg_prefilter_free(pf);
        vg_ruleset_free(set);
    }
    /* the test means something only if rules match and the prefilter prunes */
    assert_true(n_true > n_pairs / 50);
    assert_true(n_cand < n_pairs * 9 / 10);
    print_message("differential %s: %llu rule evaluations, %llu true, %llu candidates\n",
                  http ? "http.uri" : "payload", (unsigned long long)n_pairs,
                  (unsigned long long)n_true, (unsigned long long)n_cand);
}

static void test_differential_payload(void **st)
{
    (void)st;
    rng_state = 0x1234567u;
    differential(false, 8, 150, 600);
}

static void test_differential_http_transforms(void **st)
{
    (void)st;
    rng_state = 0x7654321u;
    differential(true, 6, 150, 600);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_basic_and_nocase, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fast_pattern_choice, setup, teardown),
        cmocka_unit_test_setup_teardown(test_always_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(test_transforms, setup, teardown),
        cmocka_unit_test_setup_teardown(test_alt_buffer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dedupe_and_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_empty_and_scratch_sharing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cache_roundtrip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cache_dir_unusable, setup, teardown),
        cmocka_unit_test_setup_teardown(test_differential_payload, setup, teardown),
        cmocka_unit_test_setup_teardown(test_differential_http_transforms, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
