/* json.c — streaming JSON writer (see json.h for the contract). */
#include "common/json.h"
#include "common/common.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

void vg_jw_init(vg_jw_t *w, vg_buf_t *b)
{
    w->b = b;
    w->depth = 0;
    w->has_item = 0;
}

/* Called before any value or key: writes the separating comma when the level has items.
 * A value directly after a key is not separated (the key already handled it). */
static inline void sep(vg_jw_t *w)
{
    uint64_t bit = 1ULL << w->depth;
    if (w->has_item & bit)
        vg_buf_putc(w->b, ',');
    w->has_item |= bit;
}

#define AFTER_KEY_BIT (1ULL << 63)

static inline void value_prefix(vg_jw_t *w)
{
    if (w->has_item & AFTER_KEY_BIT) {
        w->has_item &= ~AFTER_KEY_BIT;
        return;
    }
    sep(w);
}

static void open_level(vg_jw_t *w, char c)
{
    value_prefix(w);
    vg_buf_putc(w->b, c);
    assert(w->depth < 62);
    w->depth++;
    w->has_item &= ~(1ULL << w->depth);
}

static void close_level(vg_jw_t *w, char c)
{
    assert(w->depth > 0);
    w->has_item &= ~(1ULL << w->depth);
    w->depth--;
    vg_buf_putc(w->b, c);
}

void vg_jw_obj_open(vg_jw_t *w) { open_level(w, '{'); }
void vg_jw_obj_close(vg_jw_t *w) { close_level(w, '}'); }
void vg_jw_arr_open(vg_jw_t *w) { open_level(w, '['); }
void vg_jw_arr_close(vg_jw_t *w) { close_level(w, ']'); }

void vg_jw_key(vg_jw_t *w, const char *key)
{
    size_t n = strlen(key); /* keys are program constants: no escaping needed */
    vg_buf_t *b = w->b;
    if (b->cap - b->len < n + 4)
        vg_buf_reserve(b, n + 4);
    char *p = b->data + b->len;
    uint64_t bit = 1ULL << w->depth;
    if (w->has_item & bit)
        *p++ = ',';
    w->has_item |= bit | AFTER_KEY_BIT;
    *p++ = '"';
    memcpy(p, key, n);
    p += n;
    *p++ = '"';
    *p++ = ':';
    b->len = (size_t)(p - b->data);
}

/* Length of a valid UTF-8 sequence at s (n bytes left), or 0 when invalid. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t len;
    unsigned min;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
        min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        min = 0x10000;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    unsigned cp = c & (0x3F >> (len - 1));
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return len;
}

/* 1 for the bytes that are copied as they are: printable ASCII except '"' and '\\'. */
static const unsigned char plain[256] = {
#define R16(v) v, v, v, v, v, v, v, v, v, v, v, v, v, v, v, v
    R16(0), R16(0),
    1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x20-0x2F: '"' */
    R16(1), R16(1),
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1, /* 0x50-0x5F: '\\' */
    R16(1),
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, /* 0x70-0x7F: DEL */
    R16(0), R16(0), R16(0), R16(0), R16(0), R16(0), R16(0), R16(0),
#undef R16
};

void vg_json_escape(vg_buf_t *b, const void *sv, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *s = sv;
    size_t i0 = 0;
    while (i0 < n && plain[s[i0]])
        i0++;
    if (i0 == n) { /* the usual case: nothing to escape */
        vg_buf_append(b, s, n);
        return;
    }
    vg_buf_reserve(b, n + 2);
    size_t run = 0; /* start of the current run of bytes that need no escaping */
    for (size_t i = i0; i < n;) {
        unsigned char c = s[i];
        if (plain[c]) {
            i++;
            continue;
        }
        if (c >= 0x80) {
            size_t l = utf8_seq(s + i, n - i);
            if (l) {
                i += l;
                continue;
            }
        }
        vg_buf_append(b, s + run, i - run);
        char esc[6];
        size_t el = 2;
        esc[0] = '\\';
        switch (c) {
        case '"': esc[1] = '"'; break;
        case '\\': esc[1] = '\\'; break;
        case '\n': esc[1] = 'n'; break;
        case '\r': esc[1] = 'r'; break;
        case '\t': esc[1] = 't'; break;
        case '\b': esc[1] = 'b'; break;
        case '\f': esc[1] = 'f'; break;
        default:
            esc[1] = 'u';
            esc[2] = '0';
            esc[3] = '0';
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            el = 6;
        }
        vg_buf_append(b, esc, el);
        i++;
        run = i;
    }
    vg_buf_append(b, s + run, n - run);
}

void vg_jw_strn(vg_jw_t *w, const void *s, size_t n)
{
    value_prefix(w);
    vg_buf_t *b = w->b;
    if (b->cap - b->len < n + 2)
        vg_buf_reserve(b, n + 2);
    b->data[b->len++] = '"';
    vg_json_escape(b, s, n);
    vg_buf_putc(b, '"');
}

void vg_jw_str(vg_jw_t *w, const char *s) { vg_jw_strn(w, s, strlen(s)); }

void vg_jw_uint(vg_jw_t *w, uint64_t v)
{
    char tmp[20];
    value_prefix(w);
    vg_buf_append(w->b, tmp, vg_u64_dec(v, tmp));
}

void vg_jw_int(vg_jw_t *w, int64_t v)
{
    if (v < 0) {
        value_prefix(w);
        vg_buf_putc(w->b, '-');
        w->has_item |= AFTER_KEY_BIT; /* the digits continue this value */
        vg_jw_uint(w, (uint64_t)0 - (uint64_t)v);
    } else {
        vg_jw_uint(w, (uint64_t)v);
    }
}

void vg_jw_bool(vg_jw_t *w, bool v)
{
    value_prefix(w);
    vg_buf_puts(w->b, v ? "true" : "false");
}

void vg_jw_null(vg_jw_t *w)
{
    value_prefix(w);
    vg_buf_puts(w->b, "null");
}

void vg_jw_double(vg_jw_t *w, double v)
{
    char tmp[32];
    int n = snprintf(tmp, sizeof tmp, "%.6g", v);
    value_prefix(w);
    vg_buf_append(w->b, tmp, (size_t)n);
}

void vg_jw_raw(vg_jw_t *w, const char *s, size_t n)
{
    value_prefix(w);
    vg_buf_append(w->b, s, n);
}

void vg_jw_keyn(vg_jw_t *w, const void *key, size_t n)
{
    vg_jw_key(w, "");
    w->b->len -= 3; /* undo the empty `"":` and write the escaped key instead */
    vg_buf_putc(w->b, '"');
    vg_json_escape(w->b, key, n);
    vg_buf_putc(w->b, '"');
    vg_buf_putc(w->b, ':');
}
