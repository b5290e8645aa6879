/* prefilter.c — the Hyperscan prefilter: one literal database per rule group and buffer kind,
 * scanned once per buffer; the rules whose fast pattern occurs (plus the "always" rules) are the
 * candidates the engine verifies with vg_detect_eval_rule().
 *
 * Build. Each rule contributes at most one literal, chosen from its lists on the buffer that
 * are untransformed or only under case mappings / dotprefix (see vg_pf_pick_pattern()). Identical literals (same bytes after case folding for caseless
 * ones, same flags) are compiled once: Hyperscan ids are *pattern* indices and a CSR table maps
 * a pattern to the rules that chose it. ET Open has many rules sharing a pattern, so this cuts
 * compile time and the callbacks per scan (one per distinct pattern, HS_FLAG_SINGLEMATCH).
 *
 * Scan. Because every rule owns exactly one pattern and each pattern reports once, the rules
 * collected in the callback are already distinct; they are sorted (insertion sort when few, a
 * bitmap walk when many) and merged with the sorted always-list. Any Hyperscan error fails open:
 * every rule is reported, since a prefilter may report too many rules but never too few.
 *
 * Scratch. Hyperscan needs a scratch sized for every database it is used with. A process-wide
 * prototype scratch is grown (under a mutex) by each build and stamped with a generation; a
 * thread's scratch older than the prefilter it scans re-clones the prototype first — the same
 * scheme as Suricata's util-mpm-hs.c. After start-up the check is one integer compare.
 *
 * Disk cache (prefilter_cache.c): compiled databases are stored under cache_dir keyed by a
 * SHA-256 of the Hyperscan version, the buffer id and the pattern table.
 */
#include "detect/prefilter.h"
#include "detect/prefilter_int.h"

#include <hs/hs.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct vg_prefilter {
    hs_database_t *db;         /* NULL when no rule has a pattern */
    uint32_t n_rules;          /* n of the build */
    uint32_t n_pat_rules;      /* rules with a fast pattern */
    uint32_t n_always;
    uint32_t n_uniq;           /* distinct literals compiled */
    uint32_t *always;          /* sorted rule indices */
    uint32_t *map_off;         /* n_uniq + 1: rules of pattern p are map_rules[off[p]..off[p+1]) */
    uint32_t *map_rules;       /* n_pat_rules, ascending within a pattern */
    uint64_t gen;              /* prototype-scratch generation that covers db */
};

struct vg_prefilter_scratch {
    hs_scratch_t *hs;
    uint64_t gen;              /* prototype generation cloned */
    uint32_t *hits;            /* rule indices collected by the callback */
    uint64_t *bits;            /* sorting bitmap, all zero between scans */
    size_t cap_rules;          /* capacity of hits (rules); bits has cap_rules/64+1 words */
};

/* ---- process-wide prototype scratch ---- */

static pthread_mutex_t g_proto_mu = PTHREAD_MUTEX_INITIALIZER;
static hs_scratch_t *g_proto;
static uint64_t g_proto_gen;

/* Grows the prototype for db; returns its new generation, or 0 on failure. */
static uint64_t proto_grow(const hs_database_t *db)
{
    pthread_mutex_lock(&g_proto_mu);
    uint64_t gen = 0;
    if (hs_alloc_scratch(db, &g_proto) == HS_SUCCESS)
        gen = ++g_proto_gen;
    pthread_mutex_unlock(&g_proto_mu);
    return gen;
}

static bool scratch_refresh(vg_prefilter_scratch_t *s)
{
    pthread_mutex_lock(&g_proto_mu);
    hs_scratch_t *fresh = NULL;
    bool ok = g_proto && hs_clone_scratch(g_proto, &fresh) == HS_SUCCESS;
    if (ok) {
        hs_free_scratch(s->hs);
        s->hs = fresh;
        s->gen = g_proto_gen;
    }
    pthread_mutex_unlock(&g_proto_mu);
    return ok;
}

/* ---- fast-pattern choice ---- */

static bool list_on(const vg_rule_list_t *l, int buf)
{
    return l->buf == buf || ((l->flags & VG_LIST_ALT_BUF) && l->alt_buf == buf);
}

/* How a list's transforms relate its contents to the raw buffer. Case mappings keep every byte
 * in place, so a content occurs in the raw data case-insensitively. dotprefix puts a '.' in
 * front (and commutes with case mappings): a content that matched partly inside those dots
 * still has the rest, after its first leading dots (at most one per dotprefix), in the raw data.
 * Any other transform (url_decode, whitespace, hashes, xor) moves or rewrites bytes, so the
 * list is unusable. */
typedef struct xf_view {
    bool caseless;
    uint32_t dots;
} xf_view_t;

static bool list_usable(const vg_rule_list_t *l, xf_view_t *v)
{
    v->caseless = false;
    v->dots = 0;
    for (uint8_t i = 0; i < l->n_xform; i++) {
        switch (l->xform[i].type) {
        case VG_XF_TO_LOWERCASE:
        case VG_XF_TO_UPPERCASE:
        case VG_XF_HEADER_LOWERCASE:
            v->caseless = true;
            break;
        case VG_XF_DOTPREFIX:
            v->dots++;
            break;
        default:
            return false;
        }
    }
    return true;
}

/* The part of c that must occur in the raw buffer: its fast_pattern:x,y chop if any, without
 * the leading dots a dotprefix may have supplied. False when nothing is left. */
static bool content_window(const vg_content_t *c, const xf_view_t *v, vg_pf_pattern_t *out)
{
    uint32_t s = 0, e = c->len;
    if ((c->flags & VG_CT_FAST_PATTERN) && (c->flags & VG_CT_FP_CHOP) && c->fp_len > 0 &&
        (uint32_t)c->fp_off + c->fp_len <= c->len) {
        s = c->fp_off;
        e = s + c->fp_len;
    }
    uint32_t dots = 0;
    while (dots < v->dots && dots < c->len && c->pat[dots] == '.')
        dots++;
    if (s < dots)
        s = dots;
    if (s >= e)
        return false;
    out->pat = c->pat + s;
    out->len = e - s;
    out->caseless = v->caseless || (c->flags & VG_CT_NOCASE);
    return true;
}

/* One rule's literal on buf: the non-negated content marked fast_pattern (chopped by
 * fast_pattern:x,y), else the longest non-negated content (first of equal length), from the
 * lists on buf whose transforms allow it. Every positive content must occur in the buffer for
 * its list to match, so any of them is a sound prefilter; the choice only affects
 * selectivity. False: the rule is an "always" rule. */
bool vg_pf_pick_pattern(const vg_rule_t *r, int buf, vg_pf_pattern_t *out)
{
    bool found = false, found_fp = false;
    for (uint32_t li = 0; li < r->n_lists; li++) {
        const vg_rule_list_t *l = &r->lists[li];
        xf_view_t v;
        if (!list_on(l, buf) || !list_usable(l, &v))
            continue;
        for (uint32_t k = 0; k < l->n_sm; k++) {
            const vg_content_t *c = &l->sm[k].u.content;
            vg_pf_pattern_t p;
            if (l->sm[k].type == VG_SM_BASE64_DECODE)
                break; /* contents after it inspect the decoded bytes, not buf */
            if (l->sm[k].type != VG_SM_CONTENT || (c->flags & VG_CT_NEGATED) ||
                !content_window(c, &v, &p))
                continue;
            bool fp = c->flags & VG_CT_FAST_PATTERN;
            if (!found || (fp && !found_fp) || (fp == found_fp && p.len > out->len)) {
                *out = p;
                found = true;
                found_fp = fp;
            }
        }
    }
    return found;
}

/* ---- build ---- */

typedef struct pf_entry {
    const uint8_t *pat;  /* folded to lower case for caseless entries (in the build's blob) */
    uint32_t len;
    uint32_t rule;
    bool caseless;
} pf_entry_t;

static int entry_cmp(const void *a, const void *b)
{
    const pf_entry_t *x = a, *y = b;
    if (x->caseless != y->caseless)
        return x->caseless ? 1 : -1;
    if (x->len != y->len)
        return x->len < y->len ? -1 : 1;
    int c = memcmp(x->pat, y->pat, x->len);
    if (c)
        return c;
    return x->rule < y->rule ? -1 : x->rule > y->rule;
}

static bool entry_same(const pf_entry_t *x, const pf_entry_t *y)
{
    return x->caseless == y->caseless && x->len == y->len && memcmp(x->pat, y->pat, x->len) == 0;
}

static uint8_t ascii_lower(uint8_t c)
{
    return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c;
}

/* Collects the entries, folding caseless literals into *blob so identical ones dedupe. */
static uint32_t collect(vg_prefilter_t *pf, const vg_rule_t *const *rules, uint32_t n, int buf,
                        pf_entry_t *ents, uint8_t **blob)
{
    vg_pf_pattern_t *pp = vg_xmalloc((n ? n : 1) * sizeof(*pp));
    bool *has = vg_xcalloc(n ? n : 1, sizeof(*has));
    size_t total = 0;
    for (uint32_t i = 0; i < n; i++) {
        has[i] = vg_pf_pick_pattern(rules[i], buf, &pp[i]);
        total += has[i] && pp[i].caseless ? pp[i].len : 0;
    }
    *blob = vg_xmalloc(total ? total : 1);
    size_t used = 0;
    uint32_t ne = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (!has[i]) {
            pf->always[pf->n_always++] = i;
            continue;
        }
        pf_entry_t *e = &ents[ne++];
        *e = (pf_entry_t){ .pat = pp[i].pat, .len = pp[i].len, .rule = i,
                           .caseless = pp[i].caseless };
        if (e->caseless) {
            for (uint32_t k = 0; k < e->len; k++)
                (*blob)[used + k] = ascii_lower(pp[i].pat[k]);
            e->pat = *blob + used;
            used += e->len;
        }
    }
    free(pp);
    free(has);
    return ne;
}

/* Sorted entries → distinct patterns (written to pats) and the pattern → rules table. */
static void make_table(vg_prefilter_t *pf, const pf_entry_t *ents, uint32_t ne,
                       vg_pf_pattern_t *pats)
{
    pf->map_off = vg_xmalloc(((size_t)ne + 1) * sizeof(*pf->map_off));
    pf->map_rules = vg_xmalloc((ne ? ne : 1) * sizeof(*pf->map_rules));
    uint32_t np = 0;
    for (uint32_t i = 0; i < ne; i++) {
        if (i == 0 || !entry_same(&ents[i - 1], &ents[i])) {
            pf->map_off[np] = i;
            pats[np++] = (vg_pf_pattern_t){ .pat = ents[i].pat, .len = ents[i].len,
                                            .caseless = ents[i].caseless };
        }
        pf->map_rules[i] = ents[i].rule;
    }
    pf->map_off[np] = ne;
    pf->n_uniq = np;
    pf->n_pat_rules = ne;
}

static hs_database_t *compile(const vg_pf_pattern_t *pats, uint32_t np, char *err,
                              size_t err_len)
{
    const char **expr = vg_xmalloc(np * sizeof(*expr));
    unsigned *flags = vg_xmalloc(np * sizeof(*flags));
    unsigned *ids = vg_xmalloc(np * sizeof(*ids));
    size_t *lens = vg_xmalloc(np * sizeof(*lens));
    for (uint32_t i = 0; i < np; i++) {
        expr[i] = (const char *)pats[i].pat;
        lens[i] = pats[i].len;
        ids[i] = i;
        flags[i] = HS_FLAG_SINGLEMATCH | (pats[i].caseless ? HS_FLAG_CASELESS : 0);
    }
    hs_database_t *db = NULL;
    hs_compile_error_t *ce = NULL;
    if (hs_compile_lit_multi(expr, flags, ids, lens, np, HS_MODE_BLOCK, NULL, &db, &ce) !=
        HS_SUCCESS) {
        snprintf(err, err_len, "hyperscan: %s (pattern %d)", ce ? ce->message : "compile failed",
                 ce ? ce->expression : -1);
        hs_free_compile_error(ce);
        db = NULL;
    }
    free(expr);
    free(flags);
    free(ids);
    free(lens);
    return db;
}

static bool build_db(vg_prefilter_t *pf, const vg_pf_pattern_t *pats, int buf,
                     const char *cache_dir, char *err, size_t err_len)
{
    uint8_t key[VG_PF_KEY_LEN];
    if (cache_dir && !vg_pf_cache_key(pats, pf->n_uniq, buf, key))
        cache_dir = NULL;
    if (cache_dir)
        pf->db = vg_pf_cache_load(cache_dir, key);
    if (!pf->db) {
        pf->db = compile(pats, pf->n_uniq, err, err_len);
        if (!pf->db)
            return false;
        if (cache_dir)
            vg_pf_cache_store(cache_dir, key, pf->db);
    }
    pf->gen = proto_grow(pf->db);
    if (!pf->gen) {
        snprintf(err, err_len, "hyperscan: cannot allocate scratch");
        return false;
    }
    return true;
}

vg_prefilter_t *vg_prefilter_build(const vg_rule_t *const *rules, size_t n, int buf,
                                   const char *cache_dir, char *err, size_t err_len)
{
    char dummy[8];
    if (!err || !err_len) {
        err = dummy;
        err_len = sizeof(dummy);
    }
    err[0] = 0;
    if (buf < 0 || buf >= VG_DBUF_MAX || n > UINT32_MAX / 2 || (n && !rules)) {
        snprintf(err, err_len, "prefilter: invalid arguments (buf %d, %zu rules)", buf, n);
        return NULL;
    }
    vg_prefilter_t *pf = vg_xcalloc(1, sizeof(*pf));
    pf->n_rules = (uint32_t)n;
    pf->always = vg_xmalloc((n ? n : 1) * sizeof(*pf->always));
    pf_entry_t *ents = vg_xmalloc((n ? n : 1) * sizeof(*ents));
    uint8_t *blob = NULL;
    uint32_t ne = collect(pf, rules, (uint32_t)n, buf, ents, &blob);
    qsort(ents, ne, sizeof(*ents), entry_cmp);
    vg_pf_pattern_t *pats = vg_xmalloc((ne ? ne : 1) * sizeof(*pats));
    make_table(pf, ents, ne, pats);
    bool ok = pf->n_uniq == 0 || build_db(pf, pats, buf, cache_dir, err, err_len);
    free(pats);
    free(ents);
    free(blob);
    if (!ok) {
        vg_prefilter_free(pf);
        return NULL;
    }
    return pf;
}

void vg_prefilter_free(vg_prefilter_t *pf)
{
    if (!pf)
        return;
    hs_free_database(pf->db);
    free(pf->always);
    free(pf->map_off);
    free(pf->map_rules);
    free(pf);
}

size_t vg_prefilter_n_patterns(const vg_prefilter_t *pf) { return pf ? pf->n_pat_rules : 0; }
size_t vg_prefilter_n_always(const vg_prefilter_t *pf) { return pf ? pf->n_always : 0; }
size_t vg_pf_n_unique(const vg_prefilter_t *pf) { return pf ? pf->n_uniq : 0; }

/* ---- scratch ---- */

vg_prefilter_scratch_t *vg_prefilter_scratch_new(void)
{
    return vg_xcalloc(1, sizeof(vg_prefilter_scratch_t));
}

void vg_prefilter_scratch_free(vg_prefilter_scratch_t *s)
{
    if (!s)
        return;
    hs_free_scratch(s->hs);
    free(s->hits);
    free(s->bits);
    free(s);
}

/* Capacity for n rules; grows only while the first packets see the largest group. */
static void scratch_reserve(vg_prefilter_scratch_t *s, size_t n)
{
    if (n <= s->cap_rules)
        return;
    size_t words_old = s->cap_rules / 64 + 1, words = n / 64 + 1;
    s->hits = vg_xrealloc(s->hits, n * sizeof(*s->hits));
    s->bits = vg_xrealloc(s->bits, words * sizeof(*s->bits));
    memset(s->bits + (s->cap_rules ? words_old : 0), 0,
           (words - (s->cap_rules ? words_old : 0)) * sizeof(*s->bits));
    s->cap_rules = n;
}

/* ---- scan ---- */

typedef struct scan_ctx {
    const vg_prefilter_t *pf;
    uint32_t *hits;
    uint32_t n;
} scan_ctx_t;

static int on_match(unsigned int id, unsigned long long from, unsigned long long to,
                    unsigned int flags, void *arg)
{
    scan_ctx_t *c = arg;
    const vg_prefilter_t *pf = c->pf;
    for (uint32_t k = pf->map_off[id]; k < pf->map_off[id + 1]; k++)
        c->hits[c->n++] = pf->map_rules[k];
    return 0;
}

/* Distinct rule indices → ascending. Few hits: insertion sort; many: set bits and walk the
 * bitmap (n/64 words), clearing it again on the way. */
static void sort_hits(vg_prefilter_scratch_t *s, uint32_t nh, uint32_t n_rules)
{
    uint32_t *h = s->hits;
    if (nh <= 32) {
        for (uint32_t i = 1; i < nh; i++) {
            uint32_t v = h[i], j = i;
            for (; j > 0 && h[j - 1] > v; j--)
                h[j] = h[j - 1];
            h[j] = v;
        }
        return;
    }
    for (uint32_t i = 0; i < nh; i++)
        s->bits[h[i] >> 6] |= 1ull << (h[i] & 63);
    uint32_t k = 0;
    for (uint32_t w = 0; w <= n_rules / 64 && k < nh; w++) {
        uint64_t b = s->bits[w];
        s->bits[w] = 0;
        while (b) {
            h[k++] = w * 64 + (uint32_t)__builtin_ctzll(b);
            b &= b - 1;
        }
    }
}

static size_t merge(const uint32_t *a, size_t na, const uint32_t *b, size_t nb, uint32_t *out,
                    size_t cap)
{
    size_t i = 0, j = 0, k = 0;
    while ((i < na || j < nb) && k < cap)
        out[k++] = (j >= nb || (i < na && a[i] < b[j])) ? a[i++] : b[j++];
    return k;
}

static size_t all_rules(const vg_prefilter_t *pf, uint32_t *out, size_t cap)
{
    size_t k = 0;
    for (; k < pf->n_rules && k < cap; k++)
        out[k] = (uint32_t)k;
    return k;
}

size_t vg_prefilter_scan(const vg_prefilter_t *pf, vg_prefilter_scratch_t *s, const uint8_t *data,
                         size_t len, uint32_t *out, size_t cap)
{
    if (!pf->db || len == 0)
        return merge(NULL, 0, pf->always, pf->n_always, out, cap);
    if (!data || len > UINT32_MAX)
        return all_rules(pf, out, cap);
    if (s->gen < pf->gen && !scratch_refresh(s))
        return all_rules(pf, out, cap);
    scratch_reserve(s, pf->n_rules);
    scan_ctx_t c = { .pf = pf, .hits = s->hits, .n = 0 };
    if (hs_scan(pf->db, (const char *)data, (unsigned)len, 0, s->hs, on_match, &c) !=
        HS_SUCCESS)
        return all_rules(pf, out, cap);
    sort_hits(s, c.n, pf->n_rules);
    return merge(s->hits, c.n, pf->always, pf->n_always, out, cap);
}
