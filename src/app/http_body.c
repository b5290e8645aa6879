/* http_body.c — message bodies as kept for inspection: de-chunked bytes go through the
 * content-coding decoders and are kept up to the configured limit.
 *
 * Codings, as libhtp (Suricata 8's Rust htp) reads Content-Encoding (repeated headers are
 * merged with ", " first):
 *   - the whole value equal, ignoring case and NUL bytes, to gzip/x-gzip or deflate/x-deflate:
 *     one layer; "inflate", "none", anything else alone: no decoding;
 *   - otherwise the value is split on ',' and ' ' and each token that contains "gzip" or
 *     "deflate" is a layer (others count but decode nothing), at most VG_HTTP_MAX_LAYERS
 *     tokens; the last coding listed is undone first.
 * Each layer is tolerant, like browsers and libhtp: the gzip header is parsed by hand (reserved
 * flags, header CRC, trailer CRC and size are not checked); a decoder that fails before giving
 * any output is retried on the same bytes as the next kind (gzip -> raw deflate -> zlib ->
 * gzip, three times at most), after which the bytes pass through undecoded, as do all later
 * ones of that layer and the layers after it. A decoder that fails after giving output stops
 * (nothing more comes out of it). Bytes after the end of a compressed stream are ignored.
 *
 * Bounds: inflation writes into a stack buffer and stops for good once the kept bytes reach the
 * limit, so the work per body is proportional to the limit. Such a stop marks the body
 * truncated; with an expansion ratio above VG_HTTP_BOMB_RATIO it is also reported as a
 * COMPRESSION_BOMB anomaly. A layer that fails is reported once as GZIP_DECOMPRESSION_FAILED.
 */
#include "app/http_int.h"

#include <stdlib.h>
#include <string.h>

enum { GZ_START = 0, GZ_XLEN, GZ_EXTRA, GZ_NAME, GZ_COMMENT, GZ_HCRC, GZ_DONE };

void vg_http_body_init(vg_http_body_t *b, uint32_t limit)
{
    memset(b, 0, sizeof *b);
    b->limit = limit;
}

static void layer_end(vg_http_zlayer_t *l)
{
    if (l->active)
        inflateEnd(&l->zs);
    l->active = false;
}

void vg_http_body_fini(vg_http_body_t *b)
{
    for (unsigned i = 0; i < b->n_layers; i++)
        layer_end(&b->layer[i]);
    b->n_layers = 0;
    free(b->layer);
    b->layer = NULL;
    vg_buf_fini(&b->data);
}

/* Case-insensitive equality ignoring NUL bytes in v (libhtp's cmp_nocase_nozero). */
static bool eq_nozero(const uint8_t *v, size_t n, const char *w)
{
    size_t j = 0, wl = strlen(w);
    for (size_t i = 0; i < n; i++) {
        if (v[i] == 0)
            continue;
        uint8_t c = v[i] >= 'A' && v[i] <= 'Z' ? (uint8_t)(v[i] + 32) : v[i];
        if (j >= wl || c != (uint8_t)w[j])
            return false;
        j++;
    }
    return j == wl;
}

static bool contains_ci(const uint8_t *v, size_t n, const char *w)
{
    size_t wl = strlen(w);
    for (size_t i = 0; i + wl <= n; i++)
        if (vg_http_ieq(v + i, wl, w))
            return true;
    return false;
}

static void add_layer(vg_http_body_t *b, enum vg_http_enc e)
{
    if (b->n_layers >= VG_HTTP_MAX_LAYERS)
        return;
    if (!b->layer)
        b->layer = vg_xcalloc(VG_HTTP_MAX_LAYERS, sizeof *b->layer);
    /* prepend: the coding listed last is undone first */
    memmove(&b->layer[1], &b->layer[0], b->n_layers * sizeof b->layer[0]);
    memset(&b->layer[0], 0, sizeof b->layer[0]);
    b->layer[0].enc = e;
    b->n_layers++;
}

void vg_http_body_set_encoding(vg_http_body_t *b, const uint8_t *v, size_t n)
{
    for (unsigned i = 0; i < b->n_layers; i++)
        layer_end(&b->layer[i]);
    b->n_layers = 0;
    /* libhtp compares the trimmed value */
    while (n && (v[0] == ' ' || v[0] == '\t'))
        v++, n--;
    while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
        n--;
    if (n == 0)
        return;
    if (eq_nozero(v, n, "gzip") || eq_nozero(v, n, "x-gzip")) {
        add_layer(b, VG_HTTP_ENC_GZIP);
        return;
    }
    if (eq_nozero(v, n, "deflate") || eq_nozero(v, n, "x-deflate")) {
        add_layer(b, VG_HTTP_ENC_DEFLATE);
        return;
    }
    if (eq_nozero(v, n, "inflate") || eq_nozero(v, n, "none") || eq_nozero(v, n, "lzma"))
        return;
    unsigned layers = 0;
    for (size_t i = 0; i < n;) {
        size_t s = i;
        while (i < n && v[i] != ',' && v[i] != ' ')
            i++;
        size_t tl = i - s;
        if (i < n)
            i++;
        if (tl == 0)
            continue;
        if (++layers > VG_HTTP_MAX_LAYERS)
            break;
        if (contains_ci(v + s, tl, "gzip"))
            add_layer(b, VG_HTTP_ENC_GZIP);
        else if (contains_ci(v + s, tl, "deflate"))
            add_layer(b, VG_HTTP_ENC_DEFLATE);
    }
}

/* A Content-Length is believed only this far for the first allocation: a peer announcing a
 * large body and sending little does not get more memory than growing would give it. */
#define HINT_MAX (64u * 1024u)

/* Keep decoded bytes up to the limit; everything produced is counted in entity_len. */
static void keep(vg_http_body_t *b, const uint8_t *p, size_t n)
{
    b->entity_len += n;
    size_t room = b->data.len < b->limit ? b->limit - b->data.len : 0;
    size_t take = n < room ? n : room;
    if (take && !b->data.cap && b->size_hint > take) /* room for what is announced at once */
        vg_buf_reserve(&b->data, (size_t)VG_MIN(VG_MIN(b->size_hint, (uint64_t)b->limit),
                                               (uint64_t)HINT_MAX));
    if (take)
        vg_buf_append(&b->data, p, take);
    if (take < n)
        b->truncated = true;
}

static void layer_write(vg_http_body_t *b, unsigned li, const uint8_t *p, size_t n,
                        vg_app_ctx_t *ctx);

/* Bytes that come out of layer li go to the next layer, or are kept. */
static void emit(vg_http_body_t *b, unsigned li, const uint8_t *p, size_t n, vg_app_ctx_t *ctx)
{
    if (n == 0)
        return;
    if (li + 1 < b->n_layers)
        layer_write(b, li + 1, p, n, ctx);
    else
        keep(b, p, n);
}

static void set_pass(vg_http_body_t *b, unsigned li)
{
    for (unsigned k = li; k < b->n_layers; k++) {
        layer_end(&b->layer[k]);
        b->layer[k].pass = true;
    }
}

static bool layer_start(vg_http_zlayer_t *l)
{
    layer_end(l);
    memset(&l->zs, 0, sizeof l->zs);
    l->gz_state = GZ_START;
    l->gz_n = 0;
    l->gz_skip = 0;
    int wbits = l->enc == VG_HTTP_ENC_ZLIB ? 15 : -15;
    if (inflateInit2(&l->zs, wbits) != Z_OK)
        return false;
    l->active = true;
    return true;
}

/* Skip the gzip header in p[0..n); returns bytes used, or (size_t)-1 when it is not gzip. */
static size_t gzip_skip_header(vg_http_zlayer_t *l, const uint8_t *p, size_t n)
{
    size_t i = 0;
    while (i < n && l->gz_state != GZ_DONE) {
        switch (l->gz_state) {
        case GZ_START:
            l->gz_buf[l->gz_n++] = p[i++];
            if ((l->gz_n == 1 && l->gz_buf[0] != 0x1f) || (l->gz_n == 2 && l->gz_buf[1] != 0x8b) ||
                (l->gz_n == 3 && l->gz_buf[2] != 8))
                return (size_t)-1;
            if (l->gz_n == 10) {
                l->gz_flags = l->gz_buf[3];
                l->gz_n = 0;
                l->gz_state = GZ_XLEN;
            }
            break;
        case GZ_XLEN:
            if (!(l->gz_flags & 4)) {
                l->gz_state = GZ_NAME;
                break;
            }
            l->gz_buf[l->gz_n++] = p[i++];
            if (l->gz_n == 2) {
                l->gz_skip = (uint16_t)(l->gz_buf[0] | l->gz_buf[1] << 8);
                l->gz_state = GZ_EXTRA;
            }
            break;
        case GZ_EXTRA: {
            size_t k = n - i < l->gz_skip ? n - i : l->gz_skip;
            i += k;
            l->gz_skip = (uint16_t)(l->gz_skip - k);
            if (!l->gz_skip)
                l->gz_state = GZ_NAME;
            break;
        }
        case GZ_NAME:
        case GZ_COMMENT: {
            uint8_t bit = l->gz_state == GZ_NAME ? 8 : 16;
            if (!(l->gz_flags & bit)) {
                l->gz_state++;
                break;
            }
            const uint8_t *z = memchr(p + i, 0, n - i);
            if (!z) {
                i = n;
                break;
            }
            i = (size_t)(z - p) + 1;
            l->gz_state++;
            l->gz_n = 0;
            break;
        }
        case GZ_HCRC:
            if (!(l->gz_flags & 2)) {
                l->gz_state = GZ_DONE;
                break;
            }
            i++;
            if (++l->gz_n == 2)
                l->gz_state = GZ_DONE;
            break;
        }
    }
    return i;
}

static void report_failure(vg_http_body_t *b, vg_app_ctx_t *ctx)
{
    if (!b->failed_reported)
        vg_http_anomaly(ctx, &b->events, "GZIP_DECOMPRESSION_FAILED");
    b->failed_reported = true;
}

static void check_capped(vg_http_body_t *b, vg_app_ctx_t *ctx)
{
    if (!b->truncated || b->capped)
        return;
    b->capped = true;
    uint64_t in = b->encoded_in;
    if (b->n_layers && b->layer[0].active && b->layer[0].zs.avail_in <= in)
        in -= b->layer[0].zs.avail_in; /* compressed bytes actually consumed */
    if (!in)
        in = 1;
    if (b->entity_len / in >= VG_HTTP_BOMB_RATIO)
        vg_http_anomaly(ctx, &b->events, "COMPRESSION_BOMB");
    for (unsigned k = 0; k < b->n_layers; k++)
        layer_end(&b->layer[k]);
}

/* Decode p[0..n) with layer li; false when the decoder failed (out: bytes it produced). */
static bool inflate_some(vg_http_body_t *b, unsigned li, const uint8_t *p, size_t n,
                         size_t *out, vg_app_ctx_t *ctx)
{
    vg_http_zlayer_t *l = &b->layer[li];
    uint8_t buf[8192];
    *out = 0;
    if (l->enc == VG_HTTP_ENC_GZIP && l->gz_state != GZ_DONE) {
        size_t used = gzip_skip_header(l, p, n);
        if (used == (size_t)-1)
            return false;
        p += used;
        n -= used;
        if (n == 0)
            return true;
    }
    l->zs.next_in = (Bytef *)(uintptr_t)p;
    l->zs.avail_in = (uInt)n;
    for (;;) {
        l->zs.next_out = buf;
        l->zs.avail_out = sizeof buf;
        int rc = inflate(&l->zs, Z_NO_FLUSH);
        size_t got = sizeof buf - l->zs.avail_out;
        *out += got;
        if (got)
            l->produced = true;
        emit(b, li, buf, got, ctx);
        if (b->truncated) {
            check_capped(b, ctx);
            return true;
        }
        if (!l->active)
            return true; /* a later layer stopped everything */
        if (rc == Z_STREAM_END) {
            layer_end(l);
            l->ended = true;
            return true;
        }
        if (rc != Z_OK && rc != Z_BUF_ERROR)
            return false;
        if (l->zs.avail_in == 0 && l->zs.avail_out != 0)
            return true;
        if (rc == Z_BUF_ERROR && got == 0)
            return true;
    }
}

static void layer_write(vg_http_body_t *b, unsigned li, const uint8_t *p, size_t n,
                        vg_app_ctx_t *ctx)
{
    vg_http_zlayer_t *l = &b->layer[li];
    if (n == 0 || b->capped)
        return;
    if (l->pass) {
        emit(b, li, p, n, ctx);
        return;
    }
    if (l->dead || l->ended)
        return;
    if (li == 0)
        b->encoded_in += n;
    /* Until a decoder gives output, its input is remembered so that another guess can start
     * from the first byte even when the body arrives in small pieces. */
    if (!l->produced && !l->hist_over) {
        if (l->hist_n + n <= sizeof l->hist) {
            memcpy(l->hist + l->hist_n, p, n);
            l->hist_n = (uint16_t)(l->hist_n + n);
        } else {
            l->hist_over = true;
        }
    }
    for (;;) {
        if (!l->active && !layer_start(l)) {
            set_pass(b, li);
            emit(b, li, p, n, ctx);
            return;
        }
        size_t produced;
        if (inflate_some(b, li, p, n, &produced, ctx))
            return;
        if (l->produced || (l->restarts == 0 && produced > 0)) {
            report_failure(b, ctx);
            layer_end(l);
            l->dead = true;
            return;
        }
        if (l->restarts >= 3) {
            report_failure(b, ctx);
            set_pass(b, li);
            emit(b, li, l->hist_over ? p : l->hist, l->hist_over ? n : l->hist_n, ctx);
            return;
        }
        l->restarts++;
        l->enc = l->enc == VG_HTTP_ENC_GZIP      ? VG_HTTP_ENC_DEFLATE
                 : l->enc == VG_HTTP_ENC_DEFLATE ? VG_HTTP_ENC_ZLIB
                                                 : VG_HTTP_ENC_GZIP;
        layer_end(l);
        if (!l->hist_over) {
            p = l->hist; /* replay everything this layer was given */
            n = l->hist_n;
        }
    }
}

void vg_http_body_add(vg_http_body_t *b, const uint8_t *p, size_t n, vg_app_ctx_t *ctx)
{
    if (n == 0)
        return;
    if (b->n_layers == 0) {
        keep(b, p, n);
        return;
    }
    layer_write(b, 0, p, n, ctx);
}

void vg_http_body_gap(vg_http_body_t *b)
{
    b->truncated = true;
    b->gaps = true;
    for (unsigned k = 0; k < b->n_layers; k++) {
        layer_end(&b->layer[k]);
        if (!b->layer[k].pass)
            b->layer[k].ended = true;
    }
}
