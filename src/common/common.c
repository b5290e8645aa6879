/* common.c — checked allocation and address formatting. */
#include "common/common.h"
#include "common/log.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void oom(size_t n)
{
    vg_log(VG_LOG_ERROR, "out of memory allocating %zu bytes", n);
    abort();
}

void *vg_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        oom(n);
    return p;
}

void *vg_xcalloc(size_t n, size_t sz)
{
    void *p = calloc(n ? n : 1, sz ? sz : 1);
    if (!p)
        oom(n * sz);
    return p;
}

void *vg_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        oom(n);
    return q;
}

char *vg_xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = vg_xmalloc(n);
    memcpy(d, s, n);
    return d;
}

static const char hexdig[] = "0123456789abcdef";

static size_t put_u8_dec(char *o, unsigned v)
{
    size_t n = 0;
    if (v >= 100)
        o[n++] = (char)('0' + v / 100);
    if (v >= 10)
        o[n++] = (char)('0' + (v / 10) % 10);
    o[n++] = (char)('0' + v % 10);
    return n;
}

size_t vg_addr_format(const vg_addr_t *a, int ip_ver, char *out)
{
    size_t n = 0;
    if (ip_ver == 4) {
        for (int i = 0; i < 4; i++) {
            if (i)
                out[n++] = '.';
            n += put_u8_dec(out + n, a->b[i]);
        }
    } else {
        for (int i = 0; i < 16; i += 2) {
            if (i)
                out[n++] = ':';
            out[n++] = hexdig[a->b[i] >> 4];
            out[n++] = hexdig[a->b[i] & 15];
            out[n++] = hexdig[a->b[i + 1] >> 4];
            out[n++] = hexdig[a->b[i + 1] & 15];
        }
    }
    out[n] = '\0';
    return n;
}

int vg_write_all(int fd, const void *p, size_t n)
{
    const uint8_t *b = p;
    while (n) {
        ssize_t w = write(fd, b, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -1;
        if (w == 0) {
            errno = EIO;
            return -1;
        }
        b += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Standard base64 with padding; returns the length written (NUL-terminated). */
int vg_base64_value(uint8_t c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

size_t vg_base64(const uint8_t *in, size_t n, char *out)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t o = 0, i = 0;
    for (; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        out[o++] = tab[v >> 18];
        out[o++] = tab[(v >> 12) & 63];
        out[o++] = tab[(v >> 6) & 63];
        out[o++] = tab[v & 63];
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)in[i] << 16;
        out[o++] = tab[v >> 18];
        out[o++] = tab[(v >> 12) & 63];
        out[o++] = '=';
        out[o++] = '=';
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
        out[o++] = tab[v >> 18];
        out[o++] = tab[(v >> 12) & 63];
        out[o++] = tab[(v >> 6) & 63];
        out[o++] = '=';
    }
    out[o] = '\0';
    return o;
}
