/* evscan.c — the collector's one-pass scanner of EVE events (evscan.h). */
#include "collect/evscan.h"

#include <string.h>

#define MAX_DEPTH 512

typedef struct field {
    const char *key;
    int slot;                    /* EV_*, or -1 for an object whose fields are taken */
    const struct obj *child;
} field_t;

typedef struct obj {
    const field_t *f;
    int n;
} obj_t;

static const field_t f_attacker[] = {{"ip", EV_ATT_IP, NULL}, {"country", EV_ATT_COUNTRY, NULL}};
static const obj_t o_attacker = {f_attacker, 2};
static const field_t f_victim[] = {{"country", EV_VIC_COUNTRY, NULL}};
static const obj_t o_victim = {f_victim, 1};
static const field_t f_alert[] = {{"signature_id", EV_SIG_ID, NULL},
                                  {"signature", EV_SIGNATURE, NULL},
                                  {"category", EV_CATEGORY, NULL},
                                  {"severity", EV_SEVERITY, NULL}};
static const obj_t o_alert = {f_alert, 4};
static const field_t f_vigil[] = {{"category", EV_VG_CATEGORY, NULL},
                                  {"counted", EV_COUNTED, NULL},
                                  {"attacker", -1, &o_attacker},
                                  {"victim", -1, &o_victim}};
static const obj_t o_vigil = {f_vigil, 4};
static const field_t f_top[] = {{"timestamp", EV_TIMESTAMP, NULL}, {"event_type", EV_EVENT_TYPE, NULL},
                                {"src_ip", EV_SRC_IP, NULL},       {"src_port", EV_SRC_PORT, NULL},
                                {"dest_ip", EV_DEST_IP, NULL},     {"dest_port", EV_DEST_PORT, NULL},
                                {"proto", EV_PROTO, NULL},         {"alert", -1, &o_alert},
                                {"vigil", -1, &o_vigil}};
static const obj_t o_top = {f_top, 9};

typedef struct sc {
    const char *p, *end;
    void *(*alloc)(size_t);
    ev_cols_t *out;
    const char *err;
    int depth;
} sc_t;

static bool fail(sc_t *s, const char *why)
{
    if (!s->err)
        s->err = why;
    return false;
}

static void ws(sc_t *s)
{
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
        s->p++;
}

static int hex(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* The string at s->p (a '"'): checks it, and gives its raw content and whether it has escapes. */
static bool str(sc_t *s, const char **b, size_t *len, bool *esc)
{
    s->p++;
    *b = s->p;
    *esc = false;
    while (s->p < s->end) {
        unsigned char c = (unsigned char)*s->p;
        if (c == '"') {
            *len = (size_t)(s->p - *b);
            s->p++;
            return true;
        }
        if (c < 0x20)
            return fail(s, "event is not a JSON object (control character in a string)");
        if (c != '\\') {
            s->p++;
            continue;
        }
        *esc = true;
        if (s->end - s->p < 2)
            break;
        c = (unsigned char)s->p[1];
        if (c == 'u') {
            if (s->end - s->p < 6)
                break;
            for (int k = 2; k < 6; k++)
                if (hex(s->p[k]) < 0)
                    return fail(s, "event is not a JSON object (bad \\u escape)");
            s->p += 6;
        } else if (c && strchr("\"\\/bfnrt", c)) {
            s->p += 2;
        } else {
            return fail(s, "event is not a JSON object (bad escape in a string)");
        }
    }
    return fail(s, "event is not a JSON object (unterminated string)");
}

static unsigned hex4(const char *p)
{
    return (unsigned)(hex(p[0]) << 12 | hex(p[1]) << 8 | hex(p[2]) << 4 | hex(p[3]));
}

/* The value of a checked string with escapes, as UTF-8 (never longer than the raw text). NULL
 * with s->err for \u0000 or a lone surrogate, which no text column can hold. */
static char *unescape(sc_t *s, const char *b, size_t n, size_t *out_len)
{
    char *o = s->alloc(n + 1), *w = o;
    if (!o) {
        fail(s, "out of memory");
        return NULL;
    }
    for (size_t i = 0; i < n;) {
        if (b[i] != '\\') {
            *w++ = b[i++];
            continue;
        }
        char c = b[i + 1];
        if (c != 'u') {
            *w++ = c == 'b' ? '\b' : c == 'f' ? '\f' : c == 'n' ? '\n' : c == 'r' ? '\r' :
                   c == 't' ? '\t' : c;
            i += 2;
            continue;
        }
        unsigned cp = hex4(b + i + 2);
        i += 6;
        if (cp >= 0xd800 && cp <= 0xdbff) {
            if (i + 6 > n || b[i] != '\\' || b[i + 1] != 'u')
                goto bad;
            unsigned lo = hex4(b + i + 2);
            if (lo < 0xdc00 || lo > 0xdfff)
                goto bad;
            cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
            i += 6;
        } else if ((cp >= 0xdc00 && cp <= 0xdfff) || cp == 0) {
            goto bad;
        }
        if (cp < 0x80) {
            *w++ = (char)cp;
        } else if (cp < 0x800) {
            *w++ = (char)(0xc0 | cp >> 6);
            *w++ = (char)(0x80 | (cp & 0x3f));
        } else if (cp < 0x10000) {
            *w++ = (char)(0xe0 | cp >> 12);
            *w++ = (char)(0x80 | (cp >> 6 & 0x3f));
            *w++ = (char)(0x80 | (cp & 0x3f));
        } else {
            *w++ = (char)(0xf0 | cp >> 18);
            *w++ = (char)(0x80 | (cp >> 12 & 0x3f));
            *w++ = (char)(0x80 | (cp >> 6 & 0x3f));
            *w++ = (char)(0x80 | (cp & 0x3f));
        }
    }
    *w = '\0';
    *out_len = (size_t)(w - o);
    return o;
bad:
    fail(s, "event has a \\u0000 or a lone surrogate in a value Vigil reads");
    return NULL;
}

/* A number (RFC 8259 grammar); *is_int when it has no fraction nor exponent and fits int64. */
static bool num(sc_t *s, bool *is_int, int64_t *v)
{
    const char *q = s->p;
    bool neg = q < s->end && *q == '-';
    if (neg)
        q++;
    if (q >= s->end || *q < '0' || *q > '9')
        return fail(s, "event is not a JSON object (bad value)");
    uint64_t acc = 0;
    bool over = false;
    if (*q == '0') {
        q++;
    } else {
        while (q < s->end && *q >= '0' && *q <= '9') {
            unsigned d = (unsigned)(*q++ - '0');
            if (acc > (UINT64_MAX - d) / 10)
                over = true;
            else
                acc = acc * 10 + d;
        }
    }
    *is_int = true;
    if (q < s->end && *q == '.') {
        *is_int = false;
        q++;
        if (q >= s->end || *q < '0' || *q > '9')
            return fail(s, "event is not a JSON object (bad number)");
        while (q < s->end && *q >= '0' && *q <= '9')
            q++;
    }
    if (q < s->end && (*q == 'e' || *q == 'E')) {
        *is_int = false;
        q++;
        if (q < s->end && (*q == '+' || *q == '-'))
            q++;
        if (q >= s->end || *q < '0' || *q > '9')
            return fail(s, "event is not a JSON object (bad number)");
        while (q < s->end && *q >= '0' && *q <= '9')
            q++;
    }
    if (over || (!neg && acc > (uint64_t)INT64_MAX) || (neg && acc > (uint64_t)INT64_MAX + 1))
        *is_int = false;
    else if (*is_int)
        *v = neg ? (int64_t)(0 - acc) : (int64_t)acc;
    s->p = q;
    return true;
}

static bool literal(sc_t *s, const char *w)
{
    size_t n = strlen(w);
    if ((size_t)(s->end - s->p) < n || memcmp(s->p, w, n))
        return fail(s, "event is not a JSON object (bad value)");
    s->p += n;
    return true;
}

static bool object(sc_t *s, const obj_t *o);

/* A value; o: an object whose fields are taken, when it is one; slot: where a scalar goes. */
static bool value(sc_t *s, const obj_t *o, int slot)
{
    if (++s->depth > MAX_DEPTH)
        return fail(s, "event nests deeper than 512 levels");
    ws(s);
    if (s->p >= s->end)
        return fail(s, "event is not a JSON object (truncated)");
    ev_val_t *v = slot >= 0 ? &s->out->v[slot] : NULL;
    bool ok = true;
    switch (*s->p) {
    case '{':
        ok = object(s, o);
        if (v)
            v->type = EVV_OTHER;
        break;
    case '[':
        s->p++;
        ws(s);
        if (s->p < s->end && *s->p == ']') {
            s->p++;
        } else {
            for (;;) {
                if (!value(s, NULL, -1))
                    return false;
                ws(s);
                if (s->p < s->end && *s->p == ',') {
                    s->p++;
                    continue;
                }
                if (s->p < s->end && *s->p == ']') {
                    s->p++;
                    break;
                }
                return fail(s, "event is not a JSON object (bad array)");
            }
        }
        if (v)
            v->type = EVV_OTHER;
        break;
    case '"': {
        const char *b;
        size_t n;
        bool esc;
        ok = str(s, &b, &n, &esc);
        if (ok && v) {
            if (esc) {
                char *u = unescape(s, b, n, &v->len);
                if (!u)
                    return false;
                v->s = u;
            } else {
                char *c = s->alloc(n + 1);
                if (!c)
                    return fail(s, "out of memory");
                memcpy(c, b, n);
                c[n] = '\0';
                v->s = c;
                v->len = n;
            }
            v->type = EVV_STR;
        }
        break;
    }
    case 't':
        ok = literal(s, "true");
        if (v)
            v->type = EVV_TRUE;
        break;
    case 'f':
        ok = literal(s, "false");
        if (v)
            v->type = EVV_FALSE;
        break;
    case 'n':
        ok = literal(s, "null");
        if (v)
            v->type = EVV_OTHER;
        break;
    default: {
        bool is_int = false;
        int64_t i = 0;
        ok = num(s, &is_int, &i);
        if (ok && v) {
            v->type = is_int ? EVV_INT : EVV_OTHER;
            v->i = i;
        }
    }
    }
    s->depth--;
    return ok;
}

static bool object(sc_t *s, const obj_t *o)
{
    s->p++;
    ws(s);
    if (s->p < s->end && *s->p == '}') {
        s->p++;
        return true;
    }
    uint32_t seen = 0;
    for (;;) {
        ws(s);
        if (s->p >= s->end || *s->p != '"')
            return fail(s, "event is not a JSON object (bad key)");
        const char *k;
        size_t kl;
        bool esc;
        if (!str(s, &k, &kl, &esc))
            return false;
        if (o && esc) { /* "\u0073rc_ip" is src_ip too */
            k = unescape(s, k, kl, &kl);
            if (!k)
                return false;
        }
        ws(s);
        if (s->p >= s->end || *s->p != ':')
            return fail(s, "event is not a JSON object (no ':' after a key)");
        s->p++;
        int fi = -1;
        for (int i = 0; o && i < o->n; i++)
            if (strlen(o->f[i].key) == kl && !memcmp(o->f[i].key, k, kl)) {
                fi = i;
                break;
            }
        if (fi >= 0) {
            if (seen & 1u << fi)
                return fail(s, "event repeats a key that Vigil reads");
            seen |= 1u << fi;
        }
        if (!value(s, fi >= 0 ? o->f[fi].child : NULL, fi >= 0 ? o->f[fi].slot : -1))
            return false;
        ws(s);
        if (s->p < s->end && *s->p == ',') {
            s->p++;
            continue;
        }
        if (s->p < s->end && *s->p == '}') {
            s->p++;
            return true;
        }
        return fail(s, "event is not a JSON object (bad object)");
    }
}

const char *vg_evscan(const char *p, size_t n, ev_cols_t *out, void *(*alloc)(size_t))
{
    memset(out, 0, sizeof *out);
    if (!vg_valid_utf8((const unsigned char *)p, n))
        return "event is not UTF-8";
    sc_t s = {.p = p, .end = p + n, .alloc = alloc, .out = out};
    ws(&s);
    if (s.p >= s.end || *s.p != '{')
        return "event is not a JSON object";
    if (!value(&s, &o_top, -1))
        return s.err;
    ws(&s);
    if (s.p != s.end)
        return "event is not a JSON object (text after it)";
    return NULL;
}

bool vg_valid_utf8(const unsigned char *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned char b = p[i];
        size_t k;
        unsigned cp, min;
        if (b < 0x80) {
            if (!b)
                return false;
            i++;
            continue;
        } else if ((b & 0xe0) == 0xc0) {
            k = 1, cp = b & 0x1fu, min = 0x80;
        } else if ((b & 0xf0) == 0xe0) {
            k = 2, cp = b & 0x0fu, min = 0x800;
        } else if ((b & 0xf8) == 0xf0) {
            k = 3, cp = b & 0x07u, min = 0x10000;
        } else {
            return false;
        }
        if (n - i <= k)
            return false;
        for (size_t j = 1; j <= k; j++) {
            if ((p[i + j] & 0xc0) != 0x80)
                return false;
            cp = cp << 6 | (p[i + j] & 0x3fu);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        i += k + 1;
    }
    return true;
}
