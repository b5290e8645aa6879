/* eval.c — the naive reference evaluator: one rule against one packet's buffers.
 *
 * It exists to define the semantics the fast path (Hyperscan prefilter + confirmation) must
 * reproduce, and to test them. Inspection of a list follows Suricata's
 * DetectEngineContentInspection: keywords run in order, each relative keyword works from the
 * end of the previous match (buffer_offset); when a later keyword fails, a content or pcre that
 * another relative keyword depends on is retried at its next occurrence (the recursion), and a
 * result of -1 ("no match, and no later occurrence can help") stops the retries early. Total
 * work per list is capped by an inspection-recursion limit, and every pcre runs under PCRE2
 * match and depth limits, so hostile input cannot stall a worker; hits are counted.
 */
#include "detect/rule_int.h"
#include "detect/eval_int.h"

#include <ctype.h>
#include <errno.h>
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>

#define VG_PCRE_MATCH_LIMIT 3500     /* Suricata's default pcre.match-limit */
#define VG_PCRE_DEPTH_LIMIT 1500     /* Suricata's default pcre.match-limit-recursion */
#define VG_INSPECT_RECURSION 3000    /* Suricata's default inspection-recursion-limit */

vg_detect_thread_t *vg_detect_thread_new(void)
{
    vg_detect_thread_t *t = vg_xcalloc(1, sizeof(*t));
    t->md = pcre2_match_data_create(32, NULL);
    t->mctx = pcre2_match_context_create(NULL);
    pcre2_set_match_limit(t->mctx, VG_PCRE_MATCH_LIMIT);
    pcre2_set_depth_limit(t->mctx, VG_PCRE_DEPTH_LIMIT);
    for (int i = 0; i < 2; i++)
        vg_buf_init(&t->xf[i], 256);
    vg_buf_init(&t->capbuf, 0);
    vg_buf_init(&t->b64, 256);
    return t;
}

void vg_detect_thread_free(vg_detect_thread_t *t)
{
    if (!t)
        return;
    pcre2_match_data_free(t->md);
    pcre2_match_context_free(t->mctx);
    for (int i = 0; i < 2; i++)
        vg_buf_fini(&t->xf[i]);
    vg_buf_fini(&t->capbuf);
    vg_buf_fini(&t->b64);
    free(t);
}

const vg_detect_counters_t *vg_detect_thread_counters(const vg_detect_thread_t *t)
{
    return &t->c;
}

/* ---- helpers ---- */

/* ASCII case folding (as tolower() in the C locale, without its per-call locale lookup). */
static inline uint8_t fold(uint8_t c) { return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c; }

static const uint8_t *find(const uint8_t *h, uint32_t hl, const uint8_t *n, uint32_t nl,
                           bool nocase)
{
    if (nl > hl)
        return NULL;
    if (!nocase)
        return memmem(h, hl, n, nl);
    /* Candidates for the first byte come from memchr (vectorised) on each of its two cases. */
    const uint8_t lo = fold(n[0]), up = lo >= 'a' && lo <= 'z' ? (uint8_t)(lo - 32) : lo;
    const uint8_t *end = h + (hl - nl) + 1; /* candidate starts are below end */
    const uint8_t *pl = memchr(h, lo, (size_t)(end - h));
    const uint8_t *pu = up == lo ? NULL : memchr(h, up, (size_t)(end - h));
    while (pl || pu) {
        const uint8_t *p = !pu || (pl && pl < pu) ? pl : pu;
        uint32_t k = 1;
        while (k < nl && fold(p[k]) == fold(n[k]))
            k++;
        if (k == nl)
            return p;
        if (p == pl)
            pl = p + 1 < end ? memchr(p + 1, lo, (size_t)(end - p - 1)) : NULL;
        else
            pu = p + 1 < end ? memchr(p + 1, up, (size_t)(end - p - 1)) : NULL;
    }
    return NULL;
}

/* Suricata's ByteExtractString: up to nbytes characters (0 = as many as parse) through
 * strtoull; returns the characters consumed, <= 0 when there is no number. */
static int extract_string(const uint8_t *p, uint32_t avail, uint32_t nbytes, int base,
                          uint64_t *val)
{
    char tmp[24];
    uint32_t n = nbytes ? nbytes : VG_MIN(avail, 23u);
    if (n > 23 || n > avail)
        return -1;
    memcpy(tmp, p, n);
    tmp[n] = 0;
    char *end;
    errno = 0;
    *val = strtoull(tmp, &end, base);
    if (end == tmp || errno == ERANGE)
        return -1;
    return (int)(end - tmp);
}

static void extract_binary(const uint8_t *p, uint32_t nbytes, bool little, uint64_t *val)
{
    uint64_t v = 0;
    for (uint32_t i = 0; i < nbytes; i++)
        v = little ? v | (uint64_t)p[i] << (8 * i) : v << 8 | p[i];
    *val = v;
}

/* Extract at p (avail bytes left); returns bytes consumed or -1. */
static int extract(const vg_byte_t *b, const uint8_t *p, uint32_t avail, uint32_t nbytes,
                   uint64_t *val)
{
    if (b->flags & VG_BYTE_STRING)
        return extract_string(p, avail, nbytes, b->base, val);
    if (nbytes > 8 || nbytes > avail)
        return -1;
    extract_binary(p, nbytes, b->flags & VG_BYTE_LITTLE, val);
    return (int)nbytes;
}

static uint64_t apply_bitmask(const vg_byte_t *b, uint64_t v)
{
    if (b->flags & VG_BYTE_BITMASK) {
        v &= b->bitmask;
        if (v && b->bitmask_shift)
            v >>= b->bitmask_shift;
    }
    return v;
}

/* ---- one inspection list ---- */

typedef struct ictx {
    vg_detect_thread_t *t;
    const vg_rule_list_t *l;
    const uint8_t *buf;
    uint32_t len;
    uint32_t buffer_offset;
    uint32_t pcre_start;
    uint32_t rec;
    uint64_t *vars;
} ictx_t;

static int inspect(ictx_t *x, uint32_t i);

/* Continue with the next keyword after a match at i. */
static int next(ictx_t *x, uint32_t i)
{
    return i + 1 == x->l->n_sm ? 1 : inspect(x, i + 1);
}

static int inspect_content(ictx_t *x, uint32_t i, const vg_content_t *c)
{
    const uint32_t len = x->len;
    uint32_t prev_offset = 0, prev_buffer_offset = x->buffer_offset;
    const bool rel = c->flags & (VG_CT_DISTANCE | VG_CT_WITHIN);
    for (;;) {
        uint32_t depth = len, offset = 0;
        if (rel) {
            offset = prev_buffer_offset;
            int64_t distance = c->distance;
            if (c->flags & VG_CT_DISTANCE) {
                if (c->flags & VG_CT_DISTANCE_VAR)
                    distance = (int32_t)x->vars[c->distance];
                if (distance < 0 && (uint64_t)(-distance) > offset)
                    offset = 0;
                else
                    offset = (uint32_t)(offset + distance);
            } else {
                distance = 0;
            }
            if (c->flags & VG_CT_WITHIN) {
                int64_t w = (c->flags & VG_CT_WITHIN_VAR) ? (int64_t)x->vars[c->within] : c->within;
                int64_t lim = (int64_t)prev_buffer_offset + w + distance;
                if ((int64_t)depth > lim)
                    depth = (uint32_t)lim; /* negative wraps to "whole buffer", as in Suricata */
            }
        } else {
            uint64_t d = (c->flags & VG_CT_DEPTH_VAR) ? x->vars[c->depth] : (uint64_t)c->depth;
            uint64_t o = (c->flags & VG_CT_OFFSET_VAR) ? x->vars[c->offset] : (uint64_t)c->offset;
            /* Suricata stores depth as offset+depth (the absolute end of the window) */
            uint64_t end = (c->flags & VG_CT_DEPTH) ? d + o : len;
            depth = end > UINT32_MAX ? UINT32_MAX : (uint32_t)end;
            offset = o > UINT32_MAX ? UINT32_MAX : (uint32_t)o;
            prev_buffer_offset = 0;
        }
        if (prev_offset != 0)
            offset = prev_offset;
        if (depth > len)
            depth = len;
        if (offset > depth || depth == 0)
            return (c->flags & VG_CT_NEGATED) ? next(x, i) : 0;
        const uint8_t *sb = x->buf + offset;
        uint32_t sblen = depth - offset;
        const uint8_t *found = NULL;
        if (!((c->flags & VG_CT_ENDSWITH) && depth < len))
            found = find(sb, sblen, c->pat, c->len, c->flags & VG_CT_NOCASE);
        if (!found) {
            if (c->flags & VG_CT_NEGATED)
                return next(x, i);
            return rel ? 0 : -1; /* an absolute content cannot appear later: give up */
        }
        uint32_t match_offset = (uint32_t)(found - x->buf) + c->len;
        if (c->flags & VG_CT_NEGATED) {
            if ((c->flags & VG_CT_ENDSWITH) && sblen != match_offset)
                return next(x, i);
            bool single = !(c->flags & (VG_CT_DISTANCE | VG_CT_WITHIN | VG_CT_DEPTH));
            return single ? -1 : 0;
        }
        x->buffer_offset = match_offset;
        if (!(c->flags & VG_CT_ENDSWITH) || match_offset == len) {
            if (i + 1 == x->l->n_sm)
                return 1;
            int r = inspect(x, i + 1);
            if (r != 0)
                return r;
            if (!(c->flags & VG_CT_RETRY_NEXT))
                return -1;
        }
        prev_offset = match_offset - (c->len - 1); /* next occurrence: one past this start */
    }
}

/* Retried pcres (a later keyword failed) append their captures again: when the scratch grows
 * past what the live values can need, they are moved to its start. */
static void compact_captures(vg_detect_thread_t *t)
{
    vg_buf_t live;
    vg_buf_init(&live, 0);
    for (uint32_t i = 0; i < t->n_cap; i++) {
        uint32_t off = (uint32_t)live.len;
        vg_buf_append(&live, t->capbuf.data + t->cap[i].off, t->cap[i].len);
        t->cap[i].off = off;
    }
    t->capbuf.len = 0;
    vg_buf_append(&t->capbuf, live.data, live.len);
    vg_buf_fini(&live);
}

/* The capture groups of pe's match (ovector ov over subject s, rc pairs set) kept for its
 * variables (at most VG_FLOWVAR_MAX_LEN bytes each); a variable set again by a later pcre of
 * the rule takes the later value. */
static void keep_captures(vg_detect_thread_t *t, const vg_pcre_t *pe, const uint8_t *s,
                          const PCRE2_SIZE *ov, int rc)
{
    for (uint32_t k = 0; k < pe->n_caps; k++) {
        uint32_t g = pe->caps[k].group;
        if ((int)g >= rc || ov[2 * g] == PCRE2_UNSET || ov[2 * g + 1] < ov[2 * g])
            continue;
        uint32_t i = 0;
        while (i < t->n_cap && t->cap[i].name != pe->caps[k].name)
            i++;
        if (i == VG_MAX_CAPS)
            continue;
        if (i == t->n_cap)
            t->n_cap++;
        size_t len = VG_MIN(ov[2 * g + 1] - ov[2 * g], (size_t)VG_FLOWVAR_MAX_LEN);
        if (t->capbuf.len + len > (size_t)(VG_MAX_CAPS + 1) * VG_FLOWVAR_MAX_LEN)
            compact_captures(t);
        t->cap[i].name = pe->caps[k].name;
        t->cap[i].off = (uint32_t)t->capbuf.len;
        t->cap[i].len = (uint32_t)len;
        vg_buf_append(&t->capbuf, s + ov[2 * g], len);
    }
}

void vg_detect_apply_captures(const vg_detect_thread_t *t, vg_flowvars_t *fv)
{
    for (uint32_t i = 0; fv && i < t->n_cap; i++)
        vg_flowvars_set_str(fv, t->cap[i].name, (const uint8_t *)t->capbuf.data + t->cap[i].off,
                            t->cap[i].len);
}

static int pcre_once(ictx_t *x, const vg_pcre_t *pe)
{
    uint32_t base = 0;
    if (pe->flags & VG_PCRE_RELATIVE) {
        if (x->buffer_offset > x->len)
            return 0;
        base = x->buffer_offset;
    }
    int64_t start = 0;
    if (x->pcre_start != 0)
        start = (int64_t)x->pcre_start - x->buffer_offset;
    if (start < 0 || start > (int64_t)(x->len - base))
        return 0;
    x->t->c.pcre_calls++;
    int rc = pcre2_match(pe->code, x->buf + base, x->len - base, (PCRE2_SIZE)start, 0, x->t->md,
                         x->t->mctx);
    if (rc == PCRE2_ERROR_NOMATCH)
        return (pe->flags & VG_PCRE_NEGATED) ? 1 : 0;
    if (rc < 0) {
        if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT ||
            rc == PCRE2_ERROR_JIT_STACKLIMIT)
            x->t->c.pcre_limit_hits++;
        return 0; /* an error is no match, negated or not (as in Suricata) */
    }
    if (pe->flags & VG_PCRE_NEGATED)
        return 0;
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(x->t->md);
    if (pe->n_caps)
        keep_captures(x->t, pe, x->buf + base, ov, rc);
    x->buffer_offset = base + (uint32_t)ov[1];
    x->pcre_start = base + (uint32_t)ov[0] + 1;
    return 1;
}

static int inspect_pcre(ictx_t *x, uint32_t i, const vg_pcre_t *pe)
{
    uint32_t prev_buffer_offset = x->buffer_offset;
    x->pcre_start = 0;
    for (;;) {
        if (pcre_once(x, pe) == 0)
            return 0;
        if (!(pe->flags & VG_PCRE_RELATIVE_NEXT))
            return next(x, i);
        uint32_t prev = x->pcre_start;
        int r = next(x, i);
        if (r != 0)
            return r;
        if (prev == 0)
            return 0; /* negated pcre: no other occurrence to try */
        x->buffer_offset = prev_buffer_offset;
        x->pcre_start = prev;
    }
}

/* Start of a byte_* read: offset (maybe a variable) from the buffer start or buffer_offset. */
static bool byte_start(const ictx_t *x, const vg_byte_t *b, int64_t *start)
{
    int64_t off = (b->flags & VG_BYTE_OFFSET_VAR) ? (int32_t)x->vars[b->offset] : b->offset;
    *start = off + ((b->flags & VG_BYTE_RELATIVE) ? x->buffer_offset : 0);
    return *start >= 0;
}

static uint32_t byte_nbytes(const ictx_t *x, const vg_byte_t *b)
{
    return (b->flags & VG_BYTE_NBYTES_VAR) ? (uint32_t)x->vars[b->nbytes] : b->nbytes;
}

static bool byte_test(ictx_t *x, const vg_byte_t *b)
{
    int64_t s;
    uint32_t nb = byte_nbytes(x, b);
    if (x->len == 0 || !byte_start(x, b, &s))
        return false;
    int64_t avail = (int64_t)x->len - s;
    if (((b->flags & VG_BYTE_RELATIVE) && avail <= 0) || (int64_t)nb > avail || avail < 0)
        return false;
    uint64_t val, want = (b->flags & VG_BYTE_VALUE_VAR) ? x->vars[b->value] : b->value;
    int ext = extract(b, x->buf + s, (uint32_t)avail, nb, &val);
    if (ext < 0 || ((b->flags & VG_BYTE_STRING) && ext <= 0))
        return false;
    val = apply_bitmask(b, val);
    bool m = false;
    switch (b->op) {
    case VG_BOP_LT: m = val < want; break;
    case VG_BOP_GT: m = val > want; break;
    case VG_BOP_EQ: m = val == want; break;
    case VG_BOP_AND: m = (val & want) != 0; break;
    case VG_BOP_XOR: m = (val ^ want) != 0; break;
    case VG_BOP_GE: m = val >= want; break;
    case VG_BOP_LE: m = val <= want; break;
    }
    return m != !!(b->flags & VG_BYTE_NEGOP);
}

static bool byte_jump(ictx_t *x, const vg_byte_t *b)
{
    int64_t s;
    uint32_t nb = byte_nbytes(x, b);
    if (x->len == 0 || nb > 23 || !byte_start(x, b, &s))
        return false;
    int64_t avail = (int64_t)x->len - s;
    if (((b->flags & VG_BYTE_RELATIVE) && nb && avail <= 0) || (int64_t)nb > avail || avail < 0)
        return false;
    uint64_t val = 0;
    int ext = extract(b, x->buf + s, (uint32_t)avail, nb, &val);
    if (ext < 0 || ((b->flags & VG_BYTE_STRING) && ext <= 0))
        return false;
    val = apply_bitmask(b, val);
    val *= b->multiplier;
    if ((b->flags & VG_BYTE_ALIGN) && val % 4)
        val += 4 - val % 4;
    int64_t jump = (int64_t)val + b->post_offset;
    if (b->flags & VG_BYTE_BEGIN)
        ;
    else if (b->flags & VG_BYTE_END)
        jump += x->len;
    else
        jump += s + ext;
    if (jump < 0)
        jump = 0; /* before the buffer: reset to its start (Suricata 7) */
    else if (jump > (int64_t)x->len)
        return false;
    x->buffer_offset = (uint32_t)jump;
    return true;
}

static bool byte_extract(ictx_t *x, const vg_byte_t *b)
{
    int64_t s;
    uint32_t nb = byte_nbytes(x, b);
    if (!byte_start(x, b, &s))
        return false;
    int64_t avail = (int64_t)x->len - s;
    if (((b->flags & VG_BYTE_RELATIVE) && avail <= 0) || (int64_t)nb > avail || avail < 0)
        return false;
    uint64_t val;
    int ext = extract(b, x->buf + s, (uint32_t)avail, nb, &val);
    if (ext < 0 || ((b->flags & VG_BYTE_STRING) && ext <= 0))
        return false;
    val = apply_bitmask(b, val);
    val *= b->multiplier;
    if (b->align && val % b->align)
        val += b->align - val % b->align;
    x->buffer_offset = (uint32_t)(s + ext);
    x->vars[b->slot] = val;
    return true;
}

static bool byte_math(ictx_t *x, const vg_byte_t *b)
{
    int64_t s;
    uint32_t nb = byte_nbytes(x, b);
    if (x->len == 0 || !byte_start(x, b, &s))
        return false;
    int64_t avail = (int64_t)x->len - s;
    if (avail <= 0 || (int64_t)nb > avail)
        return false;
    uint64_t val, rv = (b->flags & VG_BYTE_VALUE_VAR) ? x->vars[b->value] : b->value;
    int ext = extract(b, x->buf + s, (uint32_t)avail, nb, &val);
    if (ext < 0 || ((b->flags & VG_BYTE_STRING) && ext <= 0))
        return false;
    x->buffer_offset = (uint32_t)(s + ext);
    switch (b->op) {
    case VG_MOP_ADD: val += rv; break;
    case VG_MOP_SUB: val -= rv; break;
    case VG_MOP_MUL: val *= rv; break;
    case VG_MOP_DIV:
        if (rv == 0)
            return false;
        val /= rv;
        break;
    case VG_MOP_SHL: val = rv < 64 ? val << rv : 0; break;
    case VG_MOP_SHR: val = rv < 64 ? val >> rv : 0; break;
    }
    x->vars[b->slot] = apply_bitmask(b, val);
    return true;
}

static int inspect_isdataat(ictx_t *x, uint32_t i, const vg_isdataat_t *d)
{
    uint64_t at = d->value;
    bool neg = d->flags & VG_ISDATAAT_NEGATED, var = d->flags & VG_ISDATAAT_VAR;
    if (var) {
        at = x->vars[d->value];
        if (at >= 100000000)
            return neg ? next(x, i) : 0;
    }
    bool have;
    if (d->flags & VG_ISDATAAT_RELATIVE)
        have = x->buffer_offset + at <= x->len;
    else
        have = at < x->len;
    if (have)
        return neg ? (var || (d->flags & VG_ISDATAAT_RELATIVE) ? 0 : -1) : next(x, i);
    if (neg)
        return next(x, i);
    return var ? 0 : -1;
}

/* ---- base64_decode / base64_data ---- */

/* Decodes in[0..n) as Suricata 7's detection does (its "relaxed" mode, checked side by side
 * with 7.0.10): groups of four characters give three bytes, less one per '=' in the group
 * (a '=' counts as a zero digit, and decoding goes on after it); the first character outside
 * the alphabet and '=' (whitespace included) ends the input. A last incomplete group gives
 * one byte less than its characters when the input ended, and max(1, characters - 1) when an
 * invalid character ended it. out holds at least n bytes. Returns the decoded length. */
uint32_t vg_detect_base64_decode(const uint8_t *in, uint32_t n, uint8_t *out)
{
    uint32_t o = 0, q = 0, pad = 0;
    uint8_t g[4] = {0, 0, 0, 0};
    bool invalid = false;
    for (uint32_t i = 0; i < n; i++) {
        int v = vg_base64_value(in[i]);
        if (v < 0) {
            if (in[i] != '=') {
                invalid = true;
                break;
            }
            pad++;
            v = 0;
        }
        g[q++] = (uint8_t)v;
        if (q == 4) {
            uint8_t b[3] = {(uint8_t)(g[0] << 2 | g[1] >> 4), (uint8_t)(g[1] << 4 | g[2] >> 2),
                            (uint8_t)(g[2] << 6 | g[3])};
            uint32_t k = 3 - VG_MIN(pad, 3u);
            memcpy(out + o, b, k);
            o += k;
            q = pad = 0;
            memset(g, 0, sizeof g);
        }
    }
    if (q > 0) {
        uint8_t b[3] = {(uint8_t)(g[0] << 2 | g[1] >> 4), (uint8_t)(g[1] << 4 | g[2] >> 2),
                        (uint8_t)(g[2] << 6 | g[3])};
        uint32_t k = invalid ? (q > 1 ? q - 1 : 1) : q - 1;
        memcpy(out + o, b, k);
        o += k;
    }
    return o;
}

/* base64_decode at i: decode, then run the keywords after the list's base64_data marker on the
 * decoded bytes from their start (Suricata >= 7.0.15; 7.0.10 let a relative first keyword
 * start at the outer buffer's offset, its bug 7842). No marker or no keyword after it: no
 * match, as in Suricata. A failure is a plain no-match: the keyword before is not retried. */
static int inspect_base64(ictx_t *x, uint32_t i, const vg_b64_t *b)
{
    const uint8_t *p = x->buf;
    uint32_t n = x->len;
    if (b->relative) {
        if (x->buffer_offset > n)
            return 0;
        p += x->buffer_offset;
        n -= x->buffer_offset;
    }
    if (b->offset) {
        if (b->offset >= n)
            return 0;
        p += b->offset;
        n -= b->offset;
    }
    uint32_t d = i + 1;
    if (d >= x->l->n_sm || x->l->sm[d].type != VG_SM_BASE64_DATA || d + 1 >= x->l->n_sm)
        return 0;
    n = VG_MIN(n, (uint32_t)b->bytes);
    if (n == 0)
        return 0;
    vg_buf_t *o = &x->t->b64;
    vg_buf_reset(o);
    vg_buf_reserve(o, n);
    uint32_t dl = vg_detect_base64_decode(p, n, (uint8_t *)o->data);
    o->len = dl;
    if (dl == 0)
        return 0;
    vg_rule_list_t sub = *x->l;
    sub.sm = &x->l->sm[d + 1];
    sub.n_sm = x->l->n_sm - d - 1;
    ictx_t y = {x->t, &sub, (const uint8_t *)o->data, dl, 0, 0, x->rec, x->vars};
    int r = inspect(&y, 0);
    x->rec = y.rec;
    return r == 1 ? 1 : 0;
}

static int inspect(ictx_t *x, uint32_t i)
{
    if (++x->rec >= VG_INSPECT_RECURSION) {
        if (x->rec == VG_INSPECT_RECURSION)
            x->t->c.recursion_limit_hits++;
        return -1;
    }
    const vg_sm_t *sm = &x->l->sm[i];
    switch (sm->type) {
    case VG_SM_CONTENT:
        return inspect_content(x, i, &sm->u.content);
    case VG_SM_PCRE:
        return inspect_pcre(x, i, &sm->u.pcre);
    case VG_SM_BYTE_TEST:
        return byte_test(x, &sm->u.byte) ? next(x, i) : 0;
    case VG_SM_BYTE_JUMP:
        return byte_jump(x, &sm->u.byte) ? next(x, i) : 0;
    case VG_SM_BYTE_EXTRACT:
        return byte_extract(x, &sm->u.byte) ? next(x, i) : 0;
    case VG_SM_BYTE_MATH:
        return byte_math(x, &sm->u.byte) ? next(x, i) : 0;
    case VG_SM_ISDATAAT:
        return inspect_isdataat(x, i, &sm->u.isdataat);
    case VG_SM_BASE64_DECODE:
        return inspect_base64(x, i, &sm->u.b64);
    case VG_SM_BASE64_DATA: /* reached only through inspect_base64 */
        return 0;
    case VG_SM_BSIZE:
    case VG_SM_URILEN: /* independent of position: a failure cannot be fixed by a retry */
        return vg_cmp_eval(&sm->u.cmp, sm->type == VG_SM_URILEN && x->len > 65535 ? 65535
                                                                                    : x->len)
                   ? next(x, i)
                   : -1;
    }
    return 0;
}

bool vg_detect_inspect_buffer(vg_detect_thread_t *t, const vg_rule_list_t *l, const uint8_t *buf,
                              uint32_t len, uint64_t *vars)
{
    if (l->n_sm == 0) {
        t->last_offset = 0;
        return true;
    }
    ictx_t x = {t, l, buf, len, 0, 0, 0, vars};
    if (inspect(&x, 0) != 1)
        return false;
    t->last_offset = x.buffer_offset;
    return true;
}
