/* http_body.c — message bodies as kept for inspection: de-chunked bytes are decoded (gzip or
 * deflate through zlib) and kept up to the configured limit.
 *
 * Why the output is bounded this way: a compressed body can expand ~1000:1 per layer, so the
 * decoder inflates into a small stack buffer and stops for good as soon as the kept bytes reach
 * the limit. The work per body is therefore proportional to the limit, not to what the
 * compressed stream claims. Such a stop marks the body truncated; when the expansion ratio is
 * above VG_HTTP_BOMB_RATIO it is also reported as a COMPRESSION_BOMB anomaly.
 *
 * "deflate" in HTTP is meant to be zlib-wrapped (RFC 9110 8.4.1.2) but many servers send raw
 * deflate; like libhtp we accept both, telling them apart by the zlib header check bytes.
 * A stream that fails to decode is reported (GZIP_DECOMPRESSION_FAILED) and the remaining bytes
 * are kept as they are.
 */
#include "app/http_int.h"

#include <string.h>

void vg_http_body_init(vg_http_body_t *b, uint32_t limit)
{
    memset(b, 0, sizeof *b);
    b->limit = limit;
}

static void z_stop(vg_http_body_t *b, int mode)
{
    if (b->z_mode == VG_HTTP_Z_ACTIVE)
        inflateEnd(&b->zs);
    b->z_mode = mode;
}

void vg_http_body_fini(vg_http_body_t *b)
{
    z_stop(b, VG_HTTP_Z_ENDED);
    vg_buf_fini(&b->data);
}

static bool token_is(const uint8_t *v, size_t n, const char *tok)
{
    while (n && (v[0] == ' ' || v[0] == '\t'))
        v++, n--;
    while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
        n--;
    return vg_http_ieq(v, n, tok);
}

void vg_http_body_set_encoding(vg_http_body_t *b, const uint8_t *v, size_t n)
{
    if (token_is(v, n, "gzip") || token_is(v, n, "x-gzip"))
        b->enc = VG_HTTP_ENC_GZIP;
    else if (token_is(v, n, "deflate") || token_is(v, n, "x-deflate"))
        b->enc = VG_HTTP_ENC_DEFLATE;
    else
        b->enc = VG_HTTP_ENC_NONE; /* identity, br, layered codings...: kept as sent */
}

/* Keep decoded bytes up to the limit; everything produced is counted in entity_len. */
static void keep(vg_http_body_t *b, const uint8_t *p, size_t n)
{
    b->entity_len += n;
    size_t room = b->data.len < b->limit ? b->limit - b->data.len : 0;
    size_t take = n < room ? n : room;
    if (take)
        vg_buf_append(&b->data, p, take);
    if (take < n)
        b->truncated = true;
}

static bool z_start(vg_http_body_t *b, int window_bits)
{
    memset(&b->zs, 0, sizeof b->zs);
    if (inflateInit2(&b->zs, window_bits) != Z_OK)
        return false;
    b->z_mode = VG_HTTP_Z_ACTIVE;
    return true;
}

static void z_fail(vg_http_body_t *b, const uint8_t *rest, size_t n, vg_app_ctx_t *ctx)
{
    z_stop(b, VG_HTTP_Z_FAILED);
    vg_http_anomaly(ctx, "GZIP_DECOMPRESSION_FAILED");
    keep(b, rest, n);
}

static void z_capped(vg_http_body_t *b, vg_app_ctx_t *ctx)
{
    uint64_t in = b->zs.total_in ? b->zs.total_in : 1;
    z_stop(b, VG_HTTP_Z_CAPPED);
    if (b->entity_len / in >= VG_HTTP_BOMB_RATIO)
        vg_http_anomaly(ctx, "COMPRESSION_BOMB");
}

/* Inflate p[0..n) into the kept data until the input is used, the stream ends, it fails, or the
 * limit is reached. */
static void inflate_some(vg_http_body_t *b, const uint8_t *p, size_t n, vg_app_ctx_t *ctx)
{
    uint8_t out[8192];
    b->zs.next_in = (Bytef *)(uintptr_t)p;
    b->zs.avail_in = (uInt)n;
    b->encoded_in += n;
    for (;;) {
        b->zs.next_out = out;
        b->zs.avail_out = sizeof out;
        int rc = inflate(&b->zs, Z_NO_FLUSH);
        size_t got = sizeof out - b->zs.avail_out;
        keep(b, out, got);
        if (b->truncated) {
            z_capped(b, ctx);
            return;
        }
        if (rc == Z_STREAM_END) {
            z_stop(b, VG_HTTP_Z_ENDED);
            return;
        }
        if (rc != Z_OK && rc != Z_BUF_ERROR) {
            z_fail(b, b->zs.next_in, b->zs.avail_in, ctx);
            return;
        }
        if (b->zs.avail_in == 0 && b->zs.avail_out != 0)
            return; /* all input consumed and no output pending */
        if (rc == Z_BUF_ERROR && got == 0)
            return;
    }
}

/* Deflate: wait for two bytes, then pick zlib-wrapped or raw deflate. */
static bool deflate_start(vg_http_body_t *b, const uint8_t **p, size_t *n, vg_app_ctx_t *ctx)
{
    while (b->n_peek < 2 && *n) {
        b->peek[b->n_peek++] = **p;
        (*p)++, (*n)--;
    }
    if (b->n_peek < 2)
        return false;
    unsigned h = (unsigned)b->peek[0] << 8 | b->peek[1];
    bool zlib = (b->peek[0] & 0x0f) == 8 && h % 31 == 0;
    if (!z_start(b, zlib ? 15 : -15)) {
        z_fail(b, b->peek, 2, ctx);
        return false;
    }
    uint8_t first[2] = {b->peek[0], b->peek[1]};
    inflate_some(b, first, 2, ctx);
    return b->z_mode == VG_HTTP_Z_ACTIVE;
}

void vg_http_body_add(vg_http_body_t *b, const uint8_t *p, size_t n, vg_app_ctx_t *ctx)
{
    if (n == 0)
        return;
    if (b->enc == VG_HTTP_ENC_NONE || b->z_mode == VG_HTTP_Z_FAILED) {
        keep(b, p, n);
        return;
    }
    if (b->z_mode == VG_HTTP_Z_ENDED || b->z_mode == VG_HTTP_Z_CAPPED)
        return; /* trailing bytes after the stream, or past the limit: not decoded */
    if (b->z_mode == VG_HTTP_Z_IDLE) {
        if (b->enc == VG_HTTP_ENC_DEFLATE) {
            if (!deflate_start(b, &p, &n, ctx) || n == 0)
                return;
        } else if (!z_start(b, 15 + 32)) {
            z_fail(b, p, n, ctx);
            return;
        }
    }
    inflate_some(b, p, n, ctx);
}

void vg_http_body_gap(vg_http_body_t *b)
{
    b->truncated = true;
    b->gaps = true;
    if (b->enc != VG_HTTP_ENC_NONE && b->z_mode != VG_HTTP_Z_FAILED)
        z_stop(b, VG_HTTP_Z_ENDED);
}
