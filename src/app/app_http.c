/* app_http.c — the HTTP/1.x table row: detection, per-flow state, the transaction queue and the
 * detection buffers. Parsing lives in http_parse.c, bodies in http_body.c, URIs in http_uri.c,
 * the EVE record in http_log.c; see docs/APP_HTTP.md for the behaviour as a whole.
 *
 * Transactions are kept in arrival order. The queue is bounded by cfg->max_tx_per_flow: when it
 * is full the oldest transaction no parser is filling is dropped (and counted), so a client
 * pipelining thousands of requests to a silent server costs bounded memory.
 */
#include "app/http_int.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

/* The flow's configuration, or the defaults when a caller (a unit test) gives none. */
static vg_app_config_t config_of(const vg_app_ctx_t *ctx)
{
    vg_app_config_t c;
    if (ctx && ctx->cfg)
        return *ctx->cfg;
    vg_app_config_defaults(&c);
    return c;
}

/* Every anomaly the HTTP parser raises, by Suricata's name; a transaction's events are bits of
 * this table (app-layer-event:http.<name>). */
static const char *const http_events[] = {
    "GZIP_DECOMPRESSION_FAILED", "COMPRESSION_BOMB",
    "REQUEST_FIELD_MISSING_COLON", "RESPONSE_FIELD_MISSING_COLON",
    "INVALID_REQUEST_CHUNK_LEN", "INVALID_RESPONSE_CHUNK_LEN",
    "INVALID_TRANSFER_ENCODING_VALUE_IN_REQUEST",
    "RESPONSE_ABNORMAL_TRANSFER_ENCODING", "RESPONSE_CHUNKED_OLD_PROTO",
    "INVALID_CONTENT_LENGTH_FIELD_IN_REQUEST", "INVALID_CONTENT_LENGTH_FIELD_IN_RESPONSE",
    "DUPLICATE_CONTENT_LENGTH_FIELD_IN_REQUEST", "DUPLICATE_CONTENT_LENGTH_FIELD_IN_RESPONSE",
    "100_CONTINUE_ALREADY_SEEN", "UNABLE_TO_MATCH_RESPONSE_TO_REQUEST",
    "REQUEST_HEADER_INVALID", "RESPONSE_HEADER_INVALID",
    "MISSING_HOST_HEADER", "HOST_HEADER_AMBIGUOUS",
    "INVALID_REQUEST_FIELD_FOLDING", "INVALID_RESPONSE_FIELD_FOLDING",
    "REQUEST_FIELD_TOO_LONG", "RESPONSE_FIELD_TOO_LONG",
    "REQUEST_LINE_INVALID", "REQUEST_LINE_INCOMPLETE", "REQUEST_LINE_LEADING_WHITESPACE",
    "REQUEST_URI_HOST_INVALID", "REQUEST_HEADER_HOST_INVALID",
    "URI_DELIM_NON_COMPLIANT", "METHOD_DELIM_NON_COMPLIANT",
    "RESPONSE_INVALID_PROTOCOL", "RESPONSE_INVALID_STATUS",
    "REQUEST_TOO_MANY_HEADERS", "RESPONSE_TOO_MANY_HEADERS",
};
_Static_assert(sizeof http_events / sizeof http_events[0] <= 64, "events are bits of a uint64");

void vg_http_anomaly(vg_app_ctx_t *ctx, uint64_t *ev, const char *event)
{
    if (ev) {
        size_t i = 0;
        while (i < VG_ARRAY_LEN(http_events) && strcmp(http_events[i], event) != 0)
            i++;
        assert(i < VG_ARRAY_LEN(http_events) && "an HTTP anomaly missing from http_events");
        if (i < VG_ARRAY_LEN(http_events))
            *ev |= 1ull << i;
    }
    if (ctx && ctx->anomaly)
        ctx->anomaly(ctx->user, VG_APP_HTTP, event);
}

static uint64_t http_tx_events(const void *txp)
{
    const vg_http_tx_t *tx = txp;
    return tx->events | tx->req.events | tx->req.body.events | tx->res.events |
           tx->res.body.events;
}

/* ---- probe -------------------------------------------------------------------------------- */

static const char *const methods[] = {
    "GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS", "CONNECT", "TRACE", "PATCH",
    "PROPFIND", "PROPPATCH", "MKCOL", "COPY", "MOVE", "LOCK", "UNLOCK", "SEARCH",
    "REPORT", "CHECKOUT", "MERGE", "MKACTIVITY", "SUBSCRIBE", "NOTIFY", "M-SEARCH",
};

/* 1: data starts with `pat`; -1: data is a proper prefix of it; 0: no. */
static int prefix_match(const uint8_t *data, size_t len, const char *pat, size_t pl)
{
    size_t n = len < pl ? len : pl;
    if (memcmp(data, pat, n) != 0)
        return 0;
    return len >= pl ? 1 : -1;
}

static int http_probe(const uint8_t *data, size_t len, int dir)
{
    if (len == 0)
        return -1;
    if (dir == VG_DIR_TOCLIENT)
        return prefix_match(data, len, "HTTP/1.", 7);
    int r = 0;
    for (size_t i = 0; i < VG_ARRAY_LEN(methods); i++) {
        char pat[16];
        size_t pl = strlen(methods[i]);
        memcpy(pat, methods[i], pl);
        pat[pl++] = ' ';
        int m = prefix_match(data, len, pat, pl);
        if (m == 1)
            return 1;
        if (m < 0)
            r = -1;
    }
    return r;
}

/* ---- state and transactions --------------------------------------------------------------- */

static void *http_state_new(bool over_tcp)
{
    (void)over_tcp;
    vg_http_state_t *s = vg_xcalloc(1, sizeof *s);
    return s;
}

static void tx_free(vg_http_tx_t *tx)
{
    vg_http_arena_fini(&tx->arena);
    vg_http_msg_fini(&tx->req);
    vg_http_msg_fini(&tx->res);
    for (int i = 0; i < VG_BUF_MAX; i++)
        vg_buf_fini(&tx->cache[i]);
    free(tx);
}

static void http_state_free(void *state)
{
    vg_http_state_t *s = state;
    if (!s)
        return;
    for (size_t i = 0; i < s->n_txs; i++)
        tx_free(s->txs[i]);
    free(s->txs);
    vg_http_dir_fini(&s->dir[0]);
    vg_http_dir_fini(&s->dir[1]);
    vg_buf_fini(&s->pending);
    vg_buf_fini(&s->out);
    free(s);
}

/* zlib's inflate state and 32 KiB window, allocated by inflateInit2 (an estimate: zlib does
 * not report it). */
#define ZLIB_INFLATE_BYTES (7u * 1024 + 32u * 1024)

static size_t msg_mem(const vg_http_msg_t *m)
{
    size_t n = m->cap_hdrs * sizeof *m->hdrs + m->raw.cap + m->body.data.cap +
               (m->body.layer ? VG_HTTP_MAX_LAYERS * sizeof *m->body.layer : 0);
    for (unsigned i = 0; m->body.layer && i < VG_HTTP_MAX_LAYERS; i++)
        if (m->body.layer[i].active)
            n += ZLIB_INFLATE_BYTES;
    return n;
}

static size_t tx_mem(const vg_http_tx_t *tx)
{
    /* the strings: the inline part of the arena is in sizeof *tx, then its heap chunks */
    size_t n = sizeof *tx + tx->arena.heap + msg_mem(&tx->req) + msg_mem(&tx->res);
    for (int i = 0; i < VG_BUF_MAX; i++)
        n += tx->cache[i].cap;
    return n;
}

static size_t http_state_memuse(const void *state)
{
    const vg_http_state_t *s = state;
    size_t n = sizeof *s + s->cap_txs * sizeof *s->txs + s->pending.cap + s->out.cap +
               s->dir[0].line.cap + s->dir[1].line.cap;
    for (size_t i = 0; i < s->n_txs; i++)
        n += tx_mem(s->txs[i]);
    return n;
}

static bool tx_busy(const vg_http_state_t *s, const vg_http_tx_t *tx)
{
    return s->dir[0].tx == tx || s->dir[1].tx == tx;
}

static void queue_remove(vg_http_state_t *s, size_t i)
{
    tx_free(s->txs[i]);
    memmove(&s->txs[i], &s->txs[i + 1], (s->n_txs - i - 1) * sizeof *s->txs);
    s->n_txs--;
}

vg_http_tx_t *vg_http_tx_new(vg_http_state_t *s, vg_app_ctx_t *ctx)
{
    const vg_app_config_t cfg = config_of(ctx);
    size_t max = cfg.max_tx_per_flow > 2 ? cfg.max_tx_per_flow : 2;
    for (size_t i = 0; s->n_txs >= max && i < s->n_txs;) {
        if (tx_busy(s, s->txs[i])) {
            i++;
            continue;
        }
        queue_remove(s, i);
        s->n_dropped_tx++;
    }
    if (s->n_txs == s->cap_txs) {
        s->cap_txs = s->cap_txs ? s->cap_txs * 2 : 4;
        s->txs = vg_xrealloc(s->txs, s->cap_txs * sizeof *s->txs);
    }
    vg_http_tx_t *tx = vg_xcalloc(1, sizeof *tx);
    tx->id = s->next_id++;
    tx->port = -1;
    tx->has_request = true;
    vg_http_msg_init(&tx->req, tx, cfg.http_request_body_limit);
    vg_http_msg_init(&tx->res, tx, cfg.http_response_body_limit);
    s->txs[s->n_txs++] = tx;
    return tx;
}

vg_http_tx_t *vg_http_tx_for_response(vg_http_state_t *s)
{
    for (size_t i = 0; i < s->n_txs; i++)
        if (!s->txs[i]->res_started && s->txs[i]->has_request)
            return s->txs[i];
    return NULL;
}

static enum vg_app_parse_result http_parse(void *state, int dir, const uint8_t *data, size_t len,
                                           vg_app_ctx_t *ctx)
{
    if (dir != VG_DIR_TOSERVER && dir != VG_DIR_TOCLIENT)
        return VG_APP_PARSE_ERROR;
    vg_http_parse_dir(state, dir, data, len, ctx);
    return VG_APP_PARSE_OK;
}

static void http_gap(void *state, int dir, size_t len)
{
    if (dir == VG_DIR_TOSERVER || dir == VG_DIR_TOCLIENT)
        vg_http_gap(state, dir, len);
}

static void http_end(void *state, vg_app_ctx_t *ctx)
{
    vg_http_end(state, ctx);
}

static uint64_t http_tx_count(void *state)
{
    return ((vg_http_state_t *)state)->next_id;
}

static void *http_tx_get(void *state, uint64_t id)
{
    vg_http_state_t *s = state;
    for (size_t i = 0; i < s->n_txs; i++)
        if (s->txs[i]->id == id)
            return s->txs[i]->released ? NULL : s->txs[i];
    return NULL;
}

static bool http_tx_complete(void *txp, bool flow_end)
{
    const vg_http_tx_t *tx = txp;
    return flow_end || (tx->req_done && tx->res_done);
}

static bool http_tx_side_done(void *txp, int dir)
{
    const vg_http_tx_t *tx = txp;
    return dir == VG_DIR_TOSERVER ? tx->req_done : tx->res_done;
}

/* Released transactions still being filled by a parser are hidden and freed once let go. */
static void http_tx_release(void *state, uint64_t upto)
{
    vg_http_state_t *s = state;
    for (size_t i = 0; i < s->n_txs;) {
        vg_http_tx_t *tx = s->txs[i];
        if (tx->id < upto)
            tx->released = true;
        if (tx->released && !tx_busy(s, tx)) {
            queue_remove(s, i);
            continue;
        }
        i++;
    }
}

/* ---- detection buffers -------------------------------------------------------------------- */

static const vg_http_str_t *hdr_value(const vg_http_msg_t *m, const char *name)
{
    const vg_http_header_t *h = vg_http_msg_find(m, name);
    return h ? &h->value : NULL;
}

/* "Name: value\r\n" per header; `skip` (a cookie header) left out; `line` put first. */
static void build_headers(vg_buf_t *b, const vg_http_msg_t *m, const char *skip,
                          const vg_http_str_t *line)
{
    if (line) {
        vg_buf_append(b, line->p, line->len);
        vg_buf_append(b, "\r\n", 2);
    }
    for (uint32_t i = 0; i < m->n_hdrs; i++) {
        const vg_http_header_t *h = &m->hdrs[i];
        if (skip && vg_http_ieq(h->name.p, h->name.len, skip))
            continue;
        vg_buf_append(b, h->name.p, h->name.len);
        vg_buf_append(b, ": ", 2);
        vg_buf_append(b, h->value.p, h->value.len);
        vg_buf_append(b, "\r\n", 2);
    }
    if (line)
        vg_buf_append(b, "\r\n", 2);
}

static void build_names(vg_buf_t *b, const vg_http_msg_t *m)
{
    vg_buf_append(b, "\r\n", 2);
    for (uint32_t i = 0; i < m->n_hdrs; i++) {
        vg_buf_append(b, m->hdrs[i].name.p, m->hdrs[i].name.len);
        vg_buf_append(b, "\r\n", 2);
    }
    vg_buf_append(b, "\r\n", 2);
}

/* Buffers composed from several fields, built once per transaction and cached. */
static bool composed(vg_http_tx_t *tx, enum vg_app_buf buf, const uint8_t **data, size_t *len)
{
    bool req = buf == VG_BUF_HTTP_HEADER || buf == VG_BUF_HTTP_HEADER_NAMES ||
               buf == VG_BUF_HTTP_START;
    if (req ? !(tx->has_request && tx->req_hdrs_done) : !tx->res_hdrs_done)
        return false;
    vg_buf_t *b = &tx->cache[buf];
    if (!tx->cached[buf]) {
        b->len = 0;
        if (buf == VG_BUF_HTTP_HEADER)
            build_headers(b, &tx->req, "cookie", NULL);
        else if (buf == VG_BUF_HTTP_HEADER_NAMES)
            build_names(b, &tx->req);
        else if (buf == VG_BUF_HTTP_START)
            build_headers(b, &tx->req, NULL, &tx->request_line);
        else
            build_headers(b, &tx->res, "set-cookie", NULL);
        tx->cached[buf] = true;
    }
    *data = (const uint8_t *)b->data;
    *len = b->len;
    return b->len > 0;
}

/* A field that may come from either side (no direction in the contract): request first. */
static const vg_http_str_t *either(const vg_http_tx_t *tx, const char *req, const char *res)
{
    const vg_http_str_t *v = tx->req_hdrs_done ? hdr_value(&tx->req, req) : NULL;
    if (!v && tx->res_hdrs_done)
        v = hdr_value(&tx->res, res);
    return v;
}

static const vg_http_str_t *request_field(const vg_http_tx_t *tx, enum vg_app_buf buf)
{
    if (!tx->has_request)
        return NULL;
    switch (buf) {
    case VG_BUF_HTTP_URI: return &tx->uri_norm;
    case VG_BUF_HTTP_URI_RAW: return &tx->uri_raw;
    case VG_BUF_HTTP_METHOD: return &tx->method;
    case VG_BUF_HTTP_REQUEST_LINE: return &tx->request_line;
    case VG_BUF_HTTP_PROTOCOL: return &tx->protocol;
    default: break;
    }
    if (!tx->req_hdrs_done)
        return NULL;
    switch (buf) {
    case VG_BUF_HTTP_HOST: return &tx->host;
    case VG_BUF_HTTP_HOST_RAW: return &tx->host_raw;
    case VG_BUF_HTTP_USER_AGENT: return hdr_value(&tx->req, "user-agent");
    case VG_BUF_HTTP_REFERER: return hdr_value(&tx->req, "referer");
    case VG_BUF_HTTP_ACCEPT: return hdr_value(&tx->req, "accept");
    case VG_BUF_HTTP_ACCEPT_ENC: return hdr_value(&tx->req, "accept-encoding");
    case VG_BUF_HTTP_ACCEPT_LANG: return hdr_value(&tx->req, "accept-language");
    default: return NULL;
    }
}

static const vg_http_str_t *response_field(const vg_http_tx_t *tx, enum vg_app_buf buf)
{
    switch (buf) {
    case VG_BUF_HTTP_STAT_CODE: return &tx->status_str;
    case VG_BUF_HTTP_STAT_MSG: return &tx->status_msg;
    case VG_BUF_HTTP_RESPONSE_LINE: return &tx->response_line;
    default: break;
    }
    if (!tx->res_hdrs_done)
        return NULL;
    switch (buf) {
    case VG_BUF_HTTP_SERVER: return hdr_value(&tx->res, "server");
    case VG_BUF_HTTP_LOCATION: return hdr_value(&tx->res, "location");
    default: return NULL;
    }
}

static bool raw_or_body(const vg_http_tx_t *tx, enum vg_app_buf buf, const vg_buf_t **b)
{
    bool req = buf == VG_BUF_HTTP_HEADER_RAW || buf == VG_BUF_HTTP_REQUEST_BODY;
    if (req ? !(tx->has_request && tx->req_hdrs_done) : !tx->res_hdrs_done)
        return false;
    switch (buf) {
    case VG_BUF_HTTP_HEADER_RAW: *b = &tx->req.raw; break;
    case VG_BUF_HTTP_REQUEST_BODY: *b = &tx->req.body.data; break;
    case VG_BUF_HTTP_RESPONSE_HEADER_RAW: *b = &tx->res.raw; break;
    default: *b = &tx->res.body.data; break;
    }
    return (*b)->len > 0;
}

static bool http_get_buffer(void *txp, enum vg_app_buf buf, const uint8_t **data, size_t *len)
{
    vg_http_tx_t *tx = txp;
    const vg_http_str_t *v = NULL;
    const vg_buf_t *b;
    switch (buf) {
    case VG_BUF_HTTP_HEADER:
    case VG_BUF_HTTP_HEADER_NAMES:
    case VG_BUF_HTTP_START:
    case VG_BUF_HTTP_RESPONSE_HEADER:
        return composed(tx, buf, data, len);
    case VG_BUF_HTTP_HEADER_RAW:
    case VG_BUF_HTTP_REQUEST_BODY:
    case VG_BUF_HTTP_RESPONSE_HEADER_RAW:
    case VG_BUF_HTTP_RESPONSE_BODY:
        if (!raw_or_body(tx, buf, &b))
            return false;
        *data = (const uint8_t *)b->data;
        *len = b->len;
        return true;
    case VG_BUF_HTTP_COOKIE: v = either(tx, "cookie", "set-cookie"); break;
    case VG_BUF_HTTP_CONTENT_TYPE: v = either(tx, "content-type", "content-type"); break;
    case VG_BUF_HTTP_CONTENT_LEN: v = either(tx, "content-length", "content-length"); break;
    case VG_BUF_HTTP_CONNECTION: v = either(tx, "connection", "connection"); break;
    case VG_BUF_HTTP_STAT_CODE:
    case VG_BUF_HTTP_STAT_MSG:
    case VG_BUF_HTTP_RESPONSE_LINE:
    case VG_BUF_HTTP_SERVER:
    case VG_BUF_HTTP_LOCATION:
        v = response_field(tx, buf);
        break;
    default:
        v = request_field(tx, buf);
        break;
    }
    if (!v || !v->p)
        return false;
    *data = v->p;
    *len = v->len;
    return true;
}

const vg_app_ops_t vg_app_http_ops = {
    .name = "http",
    .id = VG_APP_HTTP,
    .over_tcp = true,
    .over_udp = false,
    .ports = (const uint16_t[]){80, 8080, 8000, 8008, 3128, 0},
    .probe = http_probe,
    .state_new = http_state_new,
    .state_free = http_state_free,
    .parse = http_parse,
    .gap = http_gap,
    .end = http_end,
    .tx_count = http_tx_count,
    .tx_get = http_tx_get,
    .tx_complete = http_tx_complete,
    .tx_side_done = http_tx_side_done,
    .log_tx = vg_http_log_tx,
    .tx_release = http_tx_release,
    .state_memuse = http_state_memuse,
    .get_buffer = http_get_buffer,
    .tx_file = vg_http_tx_file,
    .tx_events = http_tx_events,
    .events = http_events,
    .n_events = (uint8_t)VG_ARRAY_LEN(http_events),
};
