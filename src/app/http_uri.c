/* http_uri.c — request URI normalisation and host parsing.
 *
 * http.uri in Suricata is libhtp's normalised URI with the "IDS" server personality, except
 * that Suricata turns lowercasing off. We follow the same steps, in libhtp's order:
 *
 *   path:  1. percent-decoding of every %XX (%2F included) and of IIS-style %uXXXX;
 *             invalid escapes stay as they are
 *          2. '\' becomes '/', and runs of '/' collapse to one ("//a" -> "/a")
 *          3. UTF-8 "best fit": U+0000..U+00FF become one byte, fullwidth ASCII U+FF01..U+FF5E
 *             becomes its ASCII twin, other valid code points become '?'; invalid UTF-8 stays
 *          4. dot segments removed (RFC 3986 5.2.4): "/a/./b/../c" -> "/a/c"
 *   query: percent-decoded (%XX, %uXXXX) only; '+' is kept
 *   fragment: kept as sent
 *
 * The result is path ["?" query] ["#" fragment]; for an absolute URI the scheme and authority
 * are dropped (the host goes to http.host). A CONNECT target is kept as sent.
 */
#include "app/http_int.h"

#include <stdlib.h>
#include <string.h>

static int hexval(uint8_t c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static bool hex_run(const uint8_t *p, size_t n, size_t want, unsigned *v)
{
    if (n < want)
        return false;
    unsigned acc = 0;
    for (size_t i = 0; i < want; i++) {
        int h = hexval(p[i]);
        if (h < 0)
            return false;
        acc = acc << 4 | (unsigned)h;
    }
    *v = acc;
    return true;
}

/* Best-fit one code point to one byte. */
static uint8_t bestfit(unsigned cp)
{
    if (cp < 0x100)
        return (uint8_t)cp;
    if (cp >= 0xff01 && cp <= 0xff5e)
        return (uint8_t)(cp - 0xff01 + 0x21);
    return '?';
}

/* Decode one escape at in[i] ('%'); returns bytes consumed (0 = not a valid escape). */
static size_t pct_one(const uint8_t *in, size_t n, size_t i, uint8_t *c)
{
    unsigned v;
    if (i + 1 < n && (in[i + 1] == 'u' || in[i + 1] == 'U') &&
        hex_run(in + i + 2, n - i - 2, 4, &v)) {
        *c = bestfit(v);
        return 6;
    }
    if (hex_run(in + i + 1, n - i - 1, 2, &v)) {
        *c = (uint8_t)v;
        return 3;
    }
    return 0;
}

/* Step 1 and 2 for the path (is_path) or step 1 for the query. Output never longer. */
static size_t pct_decode(const uint8_t *in, size_t n, uint8_t *out, bool is_path)
{
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        uint8_t c = in[i];
        size_t used = c == '%' ? pct_one(in, n, i, &c) : 0;
        i += used ? used : 1;
        if (!is_path) {
            out[o++] = c;
            continue;
        }
        if (c == '\\')
            c = '/';
        if (c == '/' && o > 0 && out[o - 1] == '/')
            continue;
        out[o++] = c;
    }
    return o;
}

/* Length of a valid UTF-8 sequence at p (2..4), with its code point; 0 when invalid. */
static size_t utf8_seq(const uint8_t *p, size_t n, unsigned *cp)
{
    size_t len;
    unsigned v, min;
    if (p[0] >= 0xc2 && p[0] <= 0xdf)
        len = 2, v = p[0] & 0x1f, min = 0x80;
    else if (p[0] >= 0xe0 && p[0] <= 0xef)
        len = 3, v = p[0] & 0x0f, min = 0x800;
    else if (p[0] >= 0xf0 && p[0] <= 0xf4)
        len = 4, v = p[0] & 0x07, min = 0x10000;
    else
        return 0;
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        v = v << 6 | (p[i] & 0x3f);
    }
    if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
        return 0;
    *cp = v;
    return len;
}

/* Step 3, in place. */
static size_t utf8_bestfit(uint8_t *p, size_t n)
{
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        unsigned cp;
        size_t l = p[i] >= 0x80 ? utf8_seq(p + i, n - i, &cp) : 0;
        if (l) {
            p[o++] = bestfit(cp);
            i += l;
        } else {
            p[o++] = p[i++];
        }
    }
    return o;
}

/* Step 4: split on '/', drop "." segments, let ".." drop the previous kept segment (never above
 * the root), and rejoin. A path ending in "/", "." or ".." keeps a trailing '/'. */
static void remove_dots(const uint8_t *p, size_t n, vg_buf_t *out)
{
    size_t(*seg)[2] = malloc((n + 2) * sizeof *seg);
    if (!seg)
        return;
    size_t depth = 0, i = 0;
    bool lead = n > 0 && p[0] == '/', trail = false;
    if (lead)
        i = 1;
    for (;;) {
        size_t j = i;
        while (j < n && p[j] != '/')
            j++;
        size_t sl = j - i;
        trail = true;
        if (sl == 1 && p[i] == '.') {
            /* dropped */
        } else if (sl == 2 && p[i] == '.' && p[i + 1] == '.') {
            if (depth)
                depth--;
        } else if (j < n || sl > 0) {
            seg[depth][0] = i;
            seg[depth][1] = sl;
            depth++;
            trail = false;
        }
        if (j >= n)
            break;
        i = j + 1;
    }
    if (lead)
        vg_buf_putc(out, '/');
    for (size_t k = 0; k < depth; k++) {
        if (k)
            vg_buf_putc(out, '/');
        vg_buf_append(out, p + seg[k][0], seg[k][1]);
    }
    if (trail && depth)
        vg_buf_putc(out, '/');
    free(seg);
}

/* Offset of the path in an absolute URI ("scheme://authority/path"), or 0. */
static bool is_alpha(uint8_t c)
{
    c |= 0x20;
    return c >= 'a' && c <= 'z';
}

static bool is_scheme_char(uint8_t c)
{
    return is_alpha(c) || (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.';
}

static size_t skip_scheme_authority(const uint8_t *u, size_t n)
{
    size_t i = 0;
    if (n == 0 || !is_alpha(u[0]))
        return 0;
    while (i < n && is_scheme_char(u[i]))
        i++;
    if (i + 3 > n || memcmp(u + i, "://", 3) != 0)
        return 0;
    i += 3;
    while (i < n && u[i] != '/' && u[i] != '?' && u[i] != '#')
        i++;
    return i;
}

bool vg_http_uri_authority(const uint8_t *uri, size_t len, bool is_connect,
                           const uint8_t **auth, size_t *auth_len)
{
    size_t end = skip_scheme_authority(uri, len);
    size_t start;
    if (end) {
        start = (size_t)((const uint8_t *)memchr(uri, ':', len) - uri) + 3;
    } else if (is_connect && len && uri[0] != '/') {
        start = 0, end = len;
    } else {
        return false;
    }
    for (size_t i = end; i > start; i--) /* userinfo ends at the last '@' */
        if (uri[i - 1] == '@') {
            start = i;
            break;
        }
    *auth = uri + start;
    *auth_len = end - start;
    return true;
}

void vg_http_uri_normalize(const uint8_t *uri, size_t len, bool is_connect, vg_buf_t *out)
{
    out->len = 0;
    size_t ps = skip_scheme_authority(uri, len);
    if (is_connect && !ps) {
        vg_buf_append(out, uri, len);
        return;
    }
    size_t pe = ps;
    while (pe < len && uri[pe] != '?' && uri[pe] != '#')
        pe++;
    size_t qe = pe;
    if (qe < len && uri[qe] == '?')
        while (qe < len && uri[qe] != '#')
            qe++;
    uint8_t *tmp = malloc(len + 1);
    if (!tmp)
        return;
    size_t n = pct_decode(uri + ps, pe - ps, tmp, true);
    n = utf8_bestfit(tmp, n);
    if (n == 0 && ps)
        vg_buf_putc(out, '/');
    else
        remove_dots(tmp, n, out);
    if (qe > pe) {
        vg_buf_putc(out, '?');
        n = pct_decode(uri + pe + 1, qe - pe - 1, tmp, false);
        vg_buf_append(out, tmp, n);
    }
    if (qe < len)
        vg_buf_append(out, uri + qe, len - qe);
    free(tmp);
}

static int parse_port(const uint8_t *p, size_t n)
{
    if (n == 0)
        return -1;
    unsigned v = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9' || v > 65535)
            return -2;
        v = v * 10 + (p[i] - '0');
    }
    return v >= 1 && v <= 65535 ? (int)v : -2;
}

void vg_http_host_parse(const uint8_t *p, size_t n, vg_buf_t *host, int *port)
{
    host->len = 0;
    *port = -1;
    while (n && (p[0] == ' ' || p[0] == '\t'))
        p++, n--;
    while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
        n--;
    size_t hl = n;
    const uint8_t *colon = NULL;
    if (n && p[0] == '[') {
        const uint8_t *rb = memchr(p, ']', n);
        hl = rb ? (size_t)(rb - p) + 1 : n;
        if (hl < n && p[hl] == ':')
            colon = p + hl;
    } else {
        colon = memchr(p, ':', n);
        if (colon && memchr(colon + 1, ':', n - (size_t)(colon - p) - 1))
            colon = NULL; /* bare IPv6 address: no port */
        if (colon)
            hl = (size_t)(colon - p);
    }
    if (colon)
        *port = parse_port(colon + 1, n - (size_t)(colon - p) - 1);
    while (hl && p[hl - 1] == '.')
        hl--;
    for (size_t i = 0; i < hl; i++) {
        uint8_t c = p[i];
        vg_buf_putc(host, (char)(c >= 'A' && c <= 'Z' ? c + 32 : c));
    }
}
