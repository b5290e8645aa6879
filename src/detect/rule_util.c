/* rule_util.c — the parser's building blocks: a rollback-able arena (a skipped rule leaves no
 * memory behind), an open-addressing string map (variables, caches, interning — so loading
 * stays linear in the rule count), and the small lexical helpers every keyword parser shares.
 */
#include "detect/rule_int.h"

#include "common/hash.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- arena ---- */

#define VG_ARENA_CHUNK (256u * 1024u)

void vg_arena_init(vg_arena_t *a) { a->cur = NULL; }

void vg_arena_fini(vg_arena_t *a)
{
    vg_arena_chunk_t *c = a->cur;
    while (c) {
        vg_arena_chunk_t *p = c->prev;
        free(c);
        c = p;
    }
    a->cur = NULL;
}

void *vg_arena_alloc(vg_arena_t *a, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    vg_arena_chunk_t *c = a->cur;
    if (!c || c->cap - c->used < n) {
        size_t cap = n > VG_ARENA_CHUNK ? n : VG_ARENA_CHUNK;
        vg_arena_chunk_t *nc = vg_xmalloc(sizeof(*nc) + cap);
        nc->prev = c;
        nc->used = 0;
        nc->cap = cap;
        a->cur = c = nc;
    }
    void *p = c->data + c->used;
    c->used += n;
    memset(p, 0, n);
    return p;
}

void *vg_arena_dup(vg_arena_t *a, const void *p, size_t n)
{
    void *d = vg_arena_alloc(a, n ? n : 1);
    if (n)
        memcpy(d, p, n);
    return d;
}

char *vg_arena_strndup(vg_arena_t *a, const char *s, size_t n)
{
    char *d = vg_arena_alloc(a, n + 1);
    memcpy(d, s, n);
    d[n] = 0;
    return d;
}

char *vg_arena_strdup(vg_arena_t *a, const char *s) { return vg_arena_strndup(a, s, strlen(s)); }

vg_arena_mark_t vg_arena_mark(const vg_arena_t *a)
{
    vg_arena_mark_t m = {a->cur, a->cur ? a->cur->used : 0};
    return m;
}

void vg_arena_rollback(vg_arena_t *a, vg_arena_mark_t m)
{
    while (a->cur && a->cur != m.chunk) {
        vg_arena_chunk_t *p = a->cur->prev;
        free(a->cur);
        a->cur = p;
    }
    if (a->cur)
        a->cur->used = m.used;
}

/* ---- string map ---- */

void vg_strmap_init(vg_strmap_t *m)
{
    m->cap = 64;
    m->n = 0;
    m->ents = vg_xcalloc(m->cap, sizeof(*m->ents));
}

void vg_strmap_fini(vg_strmap_t *m)
{
    free(m->ents);
    m->ents = NULL;
    m->cap = m->n = 0;
}

static size_t strmap_slot(const vg_strmap_ent_t *ents, size_t cap, const char *key, size_t klen,
                          uint64_t h)
{
    size_t i = (size_t)h & (cap - 1);
    while (ents[i].key) {
        if (ents[i].hash == h && ents[i].klen == klen && memcmp(ents[i].key, key, klen) == 0)
            return i;
        i = (i + 1) & (cap - 1);
    }
    return i;
}

vg_strmap_ent_t *vg_strmap_get(const vg_strmap_t *m, const char *key, size_t klen)
{
    uint64_t h = vg_hash_bytes(key, klen, 0x5eed);
    size_t i = strmap_slot(m->ents, m->cap, key, klen, h);
    return m->ents[i].key ? &m->ents[i] : NULL;
}

static void strmap_grow(vg_strmap_t *m)
{
    size_t ncap = m->cap * 2;
    vg_strmap_ent_t *ne = vg_xcalloc(ncap, sizeof(*ne));
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->ents[i].key)
            continue;
        size_t j = strmap_slot(ne, ncap, m->ents[i].key, m->ents[i].klen, m->ents[i].hash);
        ne[j] = m->ents[i];
    }
    free(m->ents);
    m->ents = ne;
    m->cap = ncap;
}

vg_strmap_ent_t *vg_strmap_put(vg_strmap_t *m, vg_arena_t *a, const char *key, size_t klen)
{
    if ((m->n + 1) * 4 > m->cap * 3)
        strmap_grow(m);
    uint64_t h = vg_hash_bytes(key, klen, 0x5eed);
    size_t i = strmap_slot(m->ents, m->cap, key, klen, h);
    if (!m->ents[i].key) {
        m->ents[i].key = vg_arena_strndup(a, key, klen);
        m->ents[i].klen = klen;
        m->ents[i].hash = h;
        m->ents[i].val = NULL;
        m->n++;
    }
    return &m->ents[i];
}

/* ---- errors ---- */

int vg_pc_fail(vg_pctx_t *pc, int kind, const char *reason, const char *fmt, ...)
{
    if (pc->failed)
        return -1;
    pc->failed = true;
    pc->err_kind = (uint8_t)kind;
    pc->err_col = pc->col;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(pc->detail, sizeof(pc->detail), fmt, ap);
    va_end(ap);
    snprintf(pc->reason, sizeof(pc->reason), "%.159s", reason ? reason : pc->detail);
    return -1;
}

/* ---- lexical helpers ---- */

char *vg_trim(char *s)
{
    while (*s && isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        s[--n] = 0;
    return s;
}

char *vg_split(char *s, char sep)
{
    bool q = false;
    for (char *p = s; *p; p++) {
        if (*p == '\\' && p[1]) {
            p++;
            continue;
        }
        if (*p == '"')
            q = !q;
        else if (*p == sep && !q) {
            *p = 0;
            return p + 1;
        }
    }
    return NULL;
}

char *vg_unquote(char *s)
{
    s = vg_trim(s);
    size_t n = strlen(s);
    if (n < 2 || s[0] != '"' || s[n - 1] != '"')
        return s;
    s[n - 1] = 0;
    s++;
    char *w = s;
    for (char *r = s; *r; r++) {
        if (*r == '\\' && (r[1] == '"' || r[1] == '\\' || r[1] == ';'))
            r++;
        *w++ = *r;
    }
    *w = 0;
    return s;
}

bool vg_parse_u64(const char *s, uint64_t *out)
{
    while (isspace((unsigned char)*s))
        s++;
    if (!isdigit((unsigned char)*s))
        return false;
    errno = 0;
    char *end;
    int base = (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) ? 16 : 10;
    unsigned long long v = strtoull(s, &end, base);
    if (errno)
        return false;
    while (isspace((unsigned char)*end))
        end++;
    if (*end)
        return false;
    *out = v;
    return true;
}

bool vg_parse_i64(const char *s, int64_t *out)
{
    while (isspace((unsigned char)*s))
        s++;
    bool neg = false;
    if (*s == '-' || *s == '+') {
        neg = *s == '-';
        s++;
    }
    uint64_t v;
    if (!vg_parse_u64(s, &v) || v > (uint64_t)INT64_MAX)
        return false;
    *out = neg ? -(int64_t)v : (int64_t)v;
    return true;
}

/* Suricata's unsigned-integer keyword syntax (detect-engine-uint): N, <N, >N, <=N, >=N, !N,
 * N-M and N<>M (exclusive range), !N-M. */
bool vg_parse_cmp(const char *s, uint64_t max, vg_cmp_t *out)
{
    char tmp[64];
    size_t n = strlen(s);
    if (n == 0 || n >= sizeof(tmp))
        return false;
    memcpy(tmp, s, n + 1);
    char *p = vg_trim(tmp);
    memset(out, 0, sizeof(*out));
    bool neg = false;
    if (p[0] == '!' && p[1] != '=') {
        neg = true;
        p = vg_trim(p + 1);
    }
    char *sep = strstr(p, "<>");
    char *dash = strchr(p, '-');
    if (sep || (dash && dash != p)) {
        char *rest = sep ? sep + 2 : dash + 1;
        *(sep ? sep : dash) = 0;
        if (!vg_parse_u64(p, &out->a) || !vg_parse_u64(rest, &out->b) || out->a >= out->b ||
            out->b > max)
            return false;
        out->mode = neg ? VG_CMP_NRANGE : VG_CMP_RANGE;
        return true;
    }
    uint8_t mode = VG_CMP_EQ;
    if (p[0] == '<' && p[1] == '=') { mode = VG_CMP_LE; p += 2; }
    else if (p[0] == '>' && p[1] == '=') { mode = VG_CMP_GE; p += 2; }
    else if (p[0] == '!' && p[1] == '=') { mode = VG_CMP_NE; p += 2; }
    else if (p[0] == '<') { mode = VG_CMP_LT; p++; }
    else if (p[0] == '>') { mode = VG_CMP_GT; p++; }
    else if (p[0] == '=') { p++; }
    if (neg) {
        if (mode != VG_CMP_EQ)
            return false;
        mode = VG_CMP_NE;
    }
    if (!vg_parse_u64(p, &out->a) || out->a > max)
        return false;
    if ((mode == VG_CMP_LT && out->a == 0) || (mode == VG_CMP_GT && out->a == max))
        return false;
    out->mode = mode;
    return true;
}

int vg_pc_byte_var(const vg_pctx_t *pc, const char *name)
{
    for (int i = 0; i < pc->n_byte_vars; i++)
        if (strcmp(pc->byte_vars[i], name) == 0)
            return i;
    return -1;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* content:"..." — Suricata's rules: the value must be quoted (a leading '!' negates), '|' toggles
 * hex mode where pairs of hex digits may be separated by spaces, and outside hex the only escapes
 * are \" \; \\ (and \: \| accepted by Suricata's unescaper). */
int vg_parse_content_str(vg_pctx_t *pc, const char *val, uint8_t **out, uint32_t *out_len,
                         bool *negated)
{
    const char *p = val;
    while (isspace((unsigned char)*p))
        p++;
    *negated = false;
    if (*p == '!') {
        *negated = true;
        p++;
        while (isspace((unsigned char)*p))
            p++;
    }
    size_t n = strlen(p);
    while (n && isspace((unsigned char)p[n - 1]))
        n--;
    if (n < 2 || p[0] != '"' || p[n - 1] != '"' || (n >= 3 && p[n - 2] == '\\' &&
                                                    (n < 4 || p[n - 3] != '\\')))
        return VG_PC_SYNTAX(pc, "content must be a quoted string: %s", val);
    p++;
    n -= 2;
    uint8_t *buf = vg_arena_alloc(&pc->rs->arena, n + 1);
    uint32_t len = 0;
    bool hex = false;
    int hi = -1;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c == '|') {
            if (hex && hi >= 0)
                return VG_PC_SYNTAX(pc, "odd number of hex digits in content");
            hex = !hex;
            continue;
        }
        if (hex) {
            if (isspace(c))
                continue;
            int v = hexval(c);
            if (v < 0)
                return VG_PC_SYNTAX(pc, "invalid hex character '%c' in content", c);
            if (hi < 0) {
                hi = v;
            } else {
                buf[len++] = (uint8_t)(hi << 4 | v);
                hi = -1;
            }
            continue;
        }
        if (c == '\\') {
            if (i + 1 >= n)
                return VG_PC_SYNTAX(pc, "trailing backslash in content");
            unsigned char e = (unsigned char)p[++i];
            if (e != '"' && e != ';' && e != '\\' && e != ':' && e != '|')
                return VG_PC_SYNTAX(pc, "invalid escape '\\%c' in content", e);
            buf[len++] = e;
            continue;
        }
        if (c == '"')
            return VG_PC_SYNTAX(pc, "unescaped '\"' inside content");
        buf[len++] = c;
    }
    if (hex)
        return VG_PC_SYNTAX(pc, "unterminated |hex| in content");
    if (len == 0)
        return VG_PC_SYNTAX(pc, "empty content");
    *out = buf;
    *out_len = len;
    return 0;
}
