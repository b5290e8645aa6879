/* store_json.c — a flat, allocation-free reader of one EVE line: the leaves of its first three
 * levels by dotted path ("alert.signature", "vigil.attacker.country"), each a span of the line.
 * The store needs a few dozen fields of each alert; a document tree (jansson) cost more than
 * the database inserts. Arrays are recorded whole (not entered); objects are recorded whole and
 * entered. Strings are unescaped on demand. Anything that is not well-formed JSON fails. */
#include "store/store_json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *ws(const char *p, const char *e)
{
    while (p < e && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    return p;
}

/* End of the string starting after its opening quote; NULL when unterminated. */
static const char *str_end(const char *p, const char *e, bool *esc)
{
    while (p < e) {
        if (*p == '"')
            return p;
        if (*p == '\\') {
            *esc = true;
            p++;
        } else if ((unsigned char)*p < 0x20) {
            return NULL;
        }
        p++;
    }
    return NULL;
}

static const char *skip_value(const char *p, const char *e, int depth);

static const char *skip_container(const char *p, const char *e, int depth)
{
    char open = *p, close = open == '{' ? '}' : ']';
    if (depth > 64)
        return NULL;
    p = ws(p + 1, e);
    if (p < e && *p == close)
        return p + 1;
    for (;;) {
        if (open == '{') {
            bool esc = false;
            if (p >= e || *p != '"' || !(p = str_end(p + 1, e, &esc)))
                return NULL;
            p = ws(p + 1, e);
            if (p >= e || *p != ':')
                return NULL;
            p = ws(p + 1, e);
        }
        if (!(p = skip_value(p, e, depth + 1)))
            return NULL;
        p = ws(p, e);
        if (p < e && *p == ',') {
            p = ws(p + 1, e);
            continue;
        }
        if (p < e && *p == close)
            return p + 1;
        return NULL;
    }
}

static const char *skip_scalar(const char *p, const char *e)
{
    const char *s = p;
    while (p < e && ((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') || *p == '-' ||
                     *p == '+' || *p == '.' || *p == 'E'))
        p++;
    size_t n = (size_t)(p - s);
    if (!n)
        return NULL;
    if ((*s >= 'a' && *s <= 'z') &&
        !((n == 4 && !memcmp(s, "true", 4)) || (n == 5 && !memcmp(s, "false", 5)) ||
          (n == 4 && !memcmp(s, "null", 4))))
        return NULL;
    return p;
}

static const char *skip_value(const char *p, const char *e, int depth)
{
    if (p >= e)
        return NULL;
    if (*p == '{' || *p == '[')
        return skip_container(p, e, depth);
    if (*p == '"') {
        bool esc = false;
        const char *q = str_end(p + 1, e, &esc);
        return q ? q + 1 : NULL;
    }
    return skip_scalar(p, e);
}

/* Paths are known by their 64-bit FNV-1a hash only, computed as the walk goes down (the hash
 * of "a.b" continues that of "a"); lookups hash the dotted path the same way. */
#define FNV0 14695981039346656037ull
static uint64_t fnv_more(uint64_t h, const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        h = (h ^ (uint8_t)p[i]) * 1099511628211ull;
    return h;
}

static void add(vg_sjson_t *j, uint64_t h, const char *v, size_t n, char type, bool esc)
{
    if (j->n == VG_SJSON_MAX)
        return; /* more leaves than we look at: ignore the rest */
    unsigned idx = j->n++;
    vg_sjson_leaf_t *l = &j->leaf[idx];
    l->h = h;
    l->v = v;
    l->n = n;
    l->type = type;
    l->esc = esc;
    unsigned s = (unsigned)(h ^ (h >> 29)) & (VG_SJSON_SLOTS - 1);
    while (j->slot[s])
        s = (s + 1) & (VG_SJSON_SLOTS - 1);
    j->slot[s] = (uint8_t)(idx + 1);
}

static const char *object(vg_sjson_t *j, const char *p, const char *e, uint64_t ph, int level)
{
    p = ws(p + 1, e);
    if (p < e && *p == '}')
        return p + 1;
    for (;;) {
        bool esc = false;
        if (p >= e || *p != '"')
            return NULL;
        const char *k = p + 1, *ke = str_end(k, e, &esc);
        if (!ke)
            return NULL;
        uint64_t h = level ? fnv_more(ph, ".", 1) : ph;
        h = fnv_more(h, k, (size_t)(ke - k));
        p = ws(ke + 1, e);
        if (p >= e || *p != ':')
            return NULL;
        p = ws(p + 1, e);
        if (p >= e)
            return NULL;
        const char *v = p;
        if (*p == '{') {
            const char *end = level < 2 ? object(j, p, e, h, level + 1)
                                        : skip_container(p, e, level);
            if (!end)
                return NULL;
            add(j, h, v, (size_t)(end - v), 'o', false);
            p = end;
        } else if (*p == '[') {
            if (!(p = skip_container(p, e, level)))
                return NULL;
            add(j, h, v, (size_t)(p - v), 'a', false);
        } else if (*p == '"') {
            bool vesc = false;
            const char *ve = str_end(p + 1, e, &vesc);
            if (!ve)
                return NULL;
            add(j, h, p + 1, (size_t)(ve - p - 1), 's', vesc);
            p = ve + 1;
        } else {
            if (!(p = skip_scalar(p, e)))
                return NULL;
            add(j, h, v, (size_t)(p - v), *v == 't' || *v == 'f' ? 'b' : *v == 'n' ? 'z' : 'n',
                false);
        }
        p = ws(p, e);
        if (p < e && *p == ',') {
            p = ws(p + 1, e);
            continue;
        }
        if (p < e && *p == '}')
            return p + 1;
        return NULL;
    }
}

int vg_sjson_parse(vg_sjson_t *j, const char *line, size_t len)
{
    j->n = 0;
    j->arena_used = 0;
    memset(j->slot, 0, sizeof j->slot);
    const char *e = line + len, *p = ws(line, e);
    if (p >= e || *p != '{')
        return -1;
    p = object(j, p, e, FNV0, 0);
    if (!p || ws(p, e) != e)
        return -1;
    return 0;
}

/* The hash of a path, remembered by the path's address and checked against a copy of its text
 * (the store asks for the same few dozen constant paths on every line; comparing the text is
 * cheaper than hashing it again). */
static uint64_t path_hash(const char *path)
{
    static __thread struct {
        const char *ptr;
        uint64_t h;
        char text[48];
    } memo[128];
    unsigned m = (unsigned)(((uintptr_t)path >> 3) ^ ((uintptr_t)path >> 10)) & 127;
    if (memo[m].ptr == path && !strcmp(memo[m].text, path))
        return memo[m].h;
    size_t n = strlen(path);
    uint64_t h = fnv_more(FNV0, path, n);
    if (n < sizeof memo[m].text) {
        memo[m].ptr = path;
        memo[m].h = h;
        memcpy(memo[m].text, path, n + 1);
    }
    return h;
}

const vg_sjson_leaf_t *vg_sjson_get(const vg_sjson_t *j, const char *path)
{
    uint64_t h = path_hash(path);
    unsigned s = (unsigned)(h ^ (h >> 29)) & (VG_SJSON_SLOTS - 1);
    while (j->slot[s]) {
        const vg_sjson_leaf_t *l = &j->leaf[j->slot[s] - 1];
        if (l->h == h)
            return l;
        s = (s + 1) & (VG_SJSON_SLOTS - 1);
    }
    return NULL;
}

static unsigned hex4(const char *p)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9') v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f') v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') v |= (unsigned)(c - 'A' + 10);
        else return 0xFFFFFFFFu;
    }
    return v;
}

static char *put_utf8(char *o, unsigned cp)
{
    if (cp < 0x80) {
        *o++ = (char)cp;
    } else if (cp < 0x800) {
        *o++ = (char)(0xC0 | (cp >> 6));
        *o++ = (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        *o++ = (char)(0xE0 | (cp >> 12));
        *o++ = (char)(0x80 | ((cp >> 6) & 0x3F));
        *o++ = (char)(0x80 | (cp & 0x3F));
    } else {
        *o++ = (char)(0xF0 | (cp >> 18));
        *o++ = (char)(0x80 | ((cp >> 12) & 0x3F));
        *o++ = (char)(0x80 | ((cp >> 6) & 0x3F));
        *o++ = (char)(0x80 | (cp & 0x3F));
    }
    return o;
}

const char *vg_sjson_str(vg_sjson_t *j, const char *path)
{
    const vg_sjson_leaf_t *l = vg_sjson_get(j, path);
    if (!l || l->type != 's')
        return NULL;
    if (j->arena_used + l->n + 1 > sizeof j->arena)
        return NULL;
    char *out = j->arena + j->arena_used, *o = out;
    const char *p = l->v, *e = l->v + l->n;
    if (!l->esc) {
        memcpy(o, p, l->n);
        o += l->n;
    } else {
        while (p < e) {
            if (*p != '\\') {
                *o++ = *p++;
                continue;
            }
            p++;
            if (p >= e)
                return NULL;
            char c = *p++;
            switch (c) {
            case '"': *o++ = '"'; break;
            case '\\': *o++ = '\\'; break;
            case '/': *o++ = '/'; break;
            case 'b': *o++ = '\b'; break;
            case 'f': *o++ = '\f'; break;
            case 'n': *o++ = '\n'; break;
            case 'r': *o++ = '\r'; break;
            case 't': *o++ = '\t'; break;
            case 'u': {
                if (e - p < 4)
                    return NULL;
                unsigned cp = hex4(p);
                if (cp == 0xFFFFFFFFu)
                    return NULL;
                p += 4;
                if (cp >= 0xD800 && cp < 0xDC00 && e - p >= 6 && p[0] == '\\' && p[1] == 'u') {
                    unsigned lo = hex4(p + 2);
                    if (lo >= 0xDC00 && lo < 0xE000) {
                        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                        p += 6;
                    }
                }
                if (cp == 0)
                    cp = 0xFFFD; /* no NUL inside stored text */
                o = put_utf8(o, cp);
                break;
            }
            default: return NULL;
            }
        }
    }
    *o++ = '\0';
    j->arena_used += (size_t)(o - out);
    return out;
}

bool vg_sjson_int(const vg_sjson_t *j, const char *path, int64_t *out)
{
    const vg_sjson_leaf_t *l = vg_sjson_get(j, path);
    if (!l || l->type != 'n' || l->n >= 24)
        return false;
    /* strtoll's answer (an optional sign, decimal digits, clamped to the int64 range) without
     * its cost */
    const char *p = l->v, *e = l->v + l->n;
    bool neg = false;
    if (p < e && (*p == '-' || *p == '+'))
        neg = *p++ == '-';
    if (p == e)
        return false;
    uint64_t acc = 0, lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    bool over = false;
    for (; p < e; p++) {
        if (*p < '0' || *p > '9')
            return false;
        unsigned d = (unsigned)(*p - '0');
        if (acc > (lim - d) / 10)
            over = true;
        else
            acc = acc * 10 + d;
    }
    if (over)
        acc = lim;
    *out = neg ? (int64_t)(0 - acc) : (int64_t)acc;
    return true;
}

int vg_sjson_bool(const vg_sjson_t *j, const char *path)
{
    const vg_sjson_leaf_t *l = vg_sjson_get(j, path);
    if (!l || l->type != 'b')
        return -1;
    return *l->v == 't';
}
