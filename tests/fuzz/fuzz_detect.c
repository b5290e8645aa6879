/* fuzz_detect.c — detection itself, not only the rule parser (fuzz_rules): rules loaded and
 * compiled into an engine (Hyperscan prefilters included), then hostile buffers inspected by the
 * engine's packet and transaction paths and by the reference evaluator, rule by rule. What the
 * payload side can reach — content, pcre, byte_test/jump/extract/math, base64, isdataat, dsize,
 * transforms, the header keywords — runs over bytes of every length and value.
 *
 * Input: [flags][app_proto][sp:2][dp:2][rules text NUL][chunk]... with chunk = [buf][len:2][bytes]:
 * buf % VG_DBUF_MAX names the buffer (VG_DBUF_PAYLOAD the packet payload), a later chunk for
 * the same buffer replaces it. flags bit 0: to client; bit 1: established; bit 2: IPv6;
 * bit 3: the payload is also the raw-stream window; bit 4: UDP instead of TCP. The rules text
 * is at most 8 rules (one per line, the rest ignored) so that compiling stays fast; the engine
 * of the previous input is kept while its rules text is the same (the fuzzer mostly mutates the
 * buffers). PCRE2 JIT is off (its machine code is PCRE2's, not ours). FUZZ_DETECT_VERBOSE=1
 * prints, per input, the rules loaded, the alerts and the rules the reference evaluator matched
 * (to check that the seeds reach what they are meant to).
 *
 * No check of the alerts here: the engine and the reference evaluator may legitimately differ
 * on rules with side effects (flowbits, thresholds) in one call; their agreement on plain rules
 * is tests/detect/test_detect_engine.c's differential test. This harness is for crashes, leaks
 * and undefined behaviour.
 */
#include "fuzz_common.h"

#include "common/log.h"
#include "decode/packet.h"
#include "detect/detect.h"
#include "detect/detect_engine.h"

#define MAX_RULES 8

static void on_alert(void *user, const vg_rule_t *r, int dir)
{
    (void)dir;
    unsigned *n = user;
    if (!r)
        abort();
    (*n)++;
}

static vg_flowvars_t *fv_cur;
static vg_flowvars_t *fv_make(void *user)
{
    (void)user;
    return fv_cur;
}

static struct {
    char *text;
    vg_detect_engine_t *e;
    vg_detect_ctx_t *c;
    vg_detect_thread_t *t;
} cache;

/* The engine for rules text `text` (NUL-terminated, at most MAX_RULES lines), NULL when no rule
 * loads. */
static bool engine_for(const char *text)
{
    if (cache.text && !strcmp(cache.text, text))
        return cache.e != NULL;
    if (cache.c)
        vg_detect_ctx_free(cache.c);
    if (cache.e)
        vg_detect_engine_free(cache.e);
    free(cache.text);
    cache.c = NULL;
    cache.e = NULL;
    cache.text = strdup(text);
    vg_ruleset_t *rs = vg_ruleset_new();
    vg_ruleset_set_pcre_jit(rs, false);
    if (vg_ruleset_load_str(rs, text, "fuzz.rules") <= 0) {
        vg_ruleset_free(rs);
        return false;
    }
    cache.e = vg_detect_engine_new(rs, NULL);
    cache.c = vg_detect_ctx_new(cache.e);
    vg_detect_ctx_set_fv_make(cache.c, fv_make);
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool init;
    if (!init) {
        vg_log_set_level(VG_LOG_ERROR);
        cache.t = vg_detect_thread_new();
        init = true;
    }
    fz_t f = {data, size};
    uint8_t flags = fz_u8(&f), proto = fz_u8(&f);
    uint16_t sp = fz_u16(&f), dp = fz_u16(&f);
    const uint8_t *nul = memchr(f.p, 0, f.n);
    size_t tlen = nul ? (size_t)(nul - f.p) : f.n;
    /* the first MAX_RULES lines */
    size_t keep = 0;
    for (int lines = 0; keep < tlen && lines < MAX_RULES; lines++) {
        const uint8_t *e = memchr(f.p + keep, '\n', tlen - keep);
        keep = e ? (size_t)(e - f.p) + 1 : tlen;
    }
    char *text = malloc(keep + 1);
    if (!text)
        abort();
    memcpy(text, f.p, keep);
    text[keep] = 0;
    f.p += tlen;
    f.n -= tlen;
    if (nul) {
        f.p++;
        f.n--;
    }
    bool ok = engine_for(text);
    free(text);
    if (!ok)
        return 0;

    /* buffers: heap copies of exactly their length (see fz_dup) */
    uint8_t *own[VG_DBUF_MAX] = {0};
    vg_detect_input_t in;
    memset(&in, 0, sizeof in);
    for (int k = 0; k < 16 && fz_more(&f); k++) {
        unsigned b = fz_u8(&f) % VG_DBUF_MAX;
        size_t got;
        const uint8_t *d = fz_take(&f, fz_u16(&f), &got);
        free(own[b]);
        own[b] = fz_dup(d, got);
        in.buf[b] = own[b];
        in.len[b] = (uint32_t)got;
    }

    vg_packet_t p;
    memset(&p, 0, sizeof p);
    p.ip_ver = (flags & 4) ? 6 : 4;
    p.proto = (flags & 16) ? 17 : 6;
    p.src.b[0] = 10; /* 10.0.0.1 and 192.168.0.2 (IPv6: 0a00:0001::1 and c0a8:0002::2) */
    p.src.b[3] = p.src.b[15] = 1;
    p.dst.b[0] = 192;
    p.dst.b[1] = 168;
    p.dst.b[3] = p.dst.b[15] = 2;
    p.sp = sp;
    p.dp = dp;
    p.ttl = 64;
    p.tcp_flags = (flags & 16) ? 0 : 0x18;
    p.tcp_win = 512;
    p.payload = in.buf[VG_DBUF_PAYLOAD];
    p.payload_len = in.len[VG_DBUF_PAYLOAD];
    p.caplen = p.wirelen = 40 + p.payload_len;
    in.pkt = &p;
    int dir = flags & 1;
    in.flow = VG_DIN_HAS_FLOW | (dir ? VG_DIN_TOCLIENT : VG_DIN_TOSERVER) |
              ((flags & 2) ? VG_DIN_ESTABLISHED : 0);
    if ((flags & 8) && in.buf[VG_DBUF_PAYLOAD]) {
        in.flow |= VG_DIN_STREAM;
        in.stream = in.buf[VG_DBUF_PAYLOAD];
        in.stream_len = in.len[VG_DBUF_PAYLOAD];
    }
    in.app_proto = (uint8_t)(proto % VG_APP_MAX);
    in.dir_proto[0] = in.dir_proto[1] = in.app_proto;

    const vg_ruleset_t *rs = vg_detect_engine_ruleset(cache.e);
    fv_cur = vg_flowvars_new(rs);
    in.fv = fv_cur;
    unsigned alerts = 0;
    vg_detect_packet(cache.c, &in, fv_cur, dir, 1000000, on_alert, &alerts);
    vg_detect_input_t tc = in;
    tc.flow = (in.flow & ~(uint32_t)VG_DIN_TOSERVER) | VG_DIN_TOCLIENT;
    vg_detect_tx(cache.c, &in, &tc, fv_cur, 1000000, on_alert, &alerts);
    for (uint32_t i = 0; i < vg_ruleset_count(rs); i++)
        (void)vg_detect_eval_rule(cache.t, vg_ruleset_rule(rs, i), &in);
    static int verbose = -1; /* FUZZ_DETECT_VERBOSE=1: what each input reached (seed checks) */
    if (verbose < 0)
        verbose = getenv("FUZZ_DETECT_VERBOSE") != NULL;
    if (verbose) {
        unsigned ref = 0;
        for (uint32_t i = 0; i < vg_ruleset_count(rs); i++)
            ref += vg_detect_eval_rule(cache.t, vg_ruleset_rule(rs, i), &in);
        fprintf(stderr, "fuzz_detect: %u rules, %u alerts (packet and tx), %u rules matching\n",
                vg_ruleset_count(rs), alerts, ref);
    }
    vg_flowvars_free(fv_cur);
    fv_cur = NULL;
    for (int b = 0; b < VG_DBUF_MAX; b++)
        free(own[b]);
    return 0;
}
