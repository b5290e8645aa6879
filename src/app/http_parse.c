/* http_parse.c — the per-direction HTTP/1.x state machines.
 *
 * Both directions share one loop (vg_http_parse_dir): line states collect bytes up to LF into a
 * bounded line buffer, body states consume input directly. Message framing follows RFC 9112
 * section 6.3, in this order:
 *   response to HEAD, 1xx, 204, 304            -> no body
 *   2xx to CONNECT, 101                         -> tunnel: both directions stop parsing
 *   Transfer-Encoding with "chunked"            -> chunked (Content-Length ignored)
 *   Content-Length                              -> that many bytes
 *   otherwise: request -> no body; response -> body until the connection closes
 * Malformed input is reported with libhtp/Suricata event names and parsing goes on with the
 * most permissive reading, as libhtp does.
 */
#include "app/http_int.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define EV(dir, req, res) ((dir) == VG_DIR_TOSERVER ? (req) : (res))

/* ---- small helpers ---------------------------------------------------------------------- */

/* ---- the transaction's string arena (http_int.h) ------------------------------------------ */

#define ARENA_FIRST_CHUNK 2048u
#define ARENA_MAX_CHUNK (64u * 1024u)
#define ARENA_SLACK (16u * 1024u) /* waste tolerated beyond the live bytes */

static uint8_t *arena_alloc(vg_http_arena_t *a, size_t n)
{
    if (!a->cur) {
        a->cur = a->inl;
        a->left = sizeof a->inl;
        a->next_chunk = ARENA_FIRST_CHUNK;
    }
    if (a->left < n) {
        size_t sz = a->next_chunk;
        if (sz < n)
            sz = n;
        void **c = vg_xmalloc(sizeof(void *) + sz);
        *c = a->chunks;
        a->chunks = c;
        a->heap += sz;
        a->cur = (uint8_t *)(c + 1);
        a->left = sz;
        if (a->next_chunk < ARENA_MAX_CHUNK)
            a->next_chunk *= 2;
    }
    uint8_t *p = a->cur;
    a->cur += n;
    a->left -= n;
    return p;
}

static void arena_free_chunks(void *c)
{
    while (c) {
        void *next = *(void **)c;
        free(c);
        c = next;
    }
}

void vg_http_arena_fini(vg_http_arena_t *a)
{
    arena_free_chunks(a->chunks);
    a->chunks = NULL;
    a->cur = NULL;
    a->left = a->heap = a->live = a->waste = 0;
}

/* Every string of tx in the arena. */
static size_t tx_strings(vg_http_tx_t *tx, vg_http_str_t **out, size_t max)
{
    vg_http_str_t *fixed[] = {&tx->method,       &tx->uri_raw,      &tx->protocol,
                              &tx->request_line, &tx->uri_norm,     &tx->host,
                              &tx->path,         &tx->host_raw,     &tx->res_protocol,
                              &tx->status_str,   &tx->status_msg,   &tx->response_line};
    size_t n = 0;
    for (size_t i = 0; i < VG_ARRAY_LEN(fixed) && n < max; i++)
        out[n++] = fixed[i];
    vg_http_msg_t *msgs[] = {&tx->req, &tx->res};
    for (size_t k = 0; k < 2; k++)
        for (uint32_t i = 0; i < msgs[k]->n_hdrs && n + 2 <= max; i++) {
            out[n++] = &msgs[k]->hdrs[i].name;
            out[n++] = &msgs[k]->hdrs[i].value;
        }
    return n;
}

/* The live strings copied into one new chunk, the old chunks freed (the waste dropped). */
static void arena_compact(vg_http_tx_t *tx)
{
    vg_http_arena_t *a = &tx->arena;
    vg_http_str_t *strs[12 + 4 * VG_HTTP_MAX_HEADERS];
    size_t n = tx_strings(tx, strs, VG_ARRAY_LEN(strs));
    size_t sz = a->live + ARENA_FIRST_CHUNK;
    void **c = vg_xmalloc(sizeof(void *) + sz);
    *c = NULL;
    uint8_t *q = (uint8_t *)(c + 1);
    for (size_t i = 0; i < n; i++) {
        if (!strs[i]->p)
            continue;
        memcpy(q, strs[i]->p, strs[i]->len + 1);
        strs[i]->p = q;
        q += strs[i]->len + 1;
    }
    arena_free_chunks(a->chunks);
    a->chunks = c;
    a->heap = sz;
    a->cur = q;
    a->left = sz - (size_t)(q - (uint8_t *)(c + 1));
    a->live = (size_t)(q - (uint8_t *)(c + 1));
    a->waste = 0;
}

/* Compaction happens only here, called where no pointer into the strings is held (callers reach
 * them through the header or transaction): after a header is stored or extended, and after an
 * interim response's headers are dropped. */
static void arena_check(vg_http_tx_t *tx)
{
    if (tx->arena.waste > tx->arena.live + ARENA_SLACK)
        arena_compact(tx);
}

void vg_http_str_drop(vg_http_tx_t *tx, vg_http_str_t *s)
{
    if (s->p) {
        tx->arena.live -= s->len + 1;
        tx->arena.waste += s->len + 1;
    }
    s->p = NULL;
    s->len = 0;
}

void vg_http_str_set(vg_http_tx_t *tx, vg_http_str_t *s, const void *p, size_t n)
{
    uint8_t *q = arena_alloc(&tx->arena, n + 1);
    if (n)
        memcpy(q, p, n); /* before the drop: p may be s's old bytes, which stay where they are */
    q[n] = 0;
    vg_http_str_drop(tx, s);
    s->p = q;
    s->len = n;
    tx->arena.live += n + 1;
}

void vg_http_str_append(vg_http_tx_t *tx, vg_http_str_t *s, const char *sep, const void *v,
                        size_t n)
{
    vg_http_arena_t *a = &tx->arena;
    size_t sl = strlen(sep), add = sl + n;
    if (s->p && s->p + s->len + 1 == a->cur && a->left >= add) {
        /* the newest string (a folded header line continues the last header): in place */
        memcpy(s->p + s->len, sep, sl);
        memcpy(s->p + s->len + sl, v, n);
        s->len += add;
        s->p[s->len] = 0;
        a->cur += add;
        a->left -= add;
        a->live += add;
        return;
    }
    uint8_t *q = arena_alloc(a, s->len + add + 1);
    if (s->len)
        memcpy(q, s->p, s->len);
    memcpy(q + s->len, sep, sl);
    memcpy(q + s->len + sl, v, n);
    size_t len = s->len + add;
    q[len] = 0;
    vg_http_str_drop(tx, s);
    s->p = q;
    s->len = len;
    a->live += len + 1;
}

bool vg_http_ieq(const uint8_t *a, size_t an, const char *b)
{
    size_t bn = strlen(b);
    if (an != bn)
        return false;
    for (size_t i = 0; i < an; i++) {
        uint8_t x = a[i], y = (uint8_t)b[i];
        if (x >= 'A' && x <= 'Z')
            x += 32;
        if (y >= 'A' && y <= 'Z')
            y += 32;
        if (x != y)
            return false;
    }
    return true;
}

static bool is_ws(uint8_t c) { return c == ' ' || c == '\t'; }

static void trim(const uint8_t **p, size_t *n)
{
    while (*n && is_ws((*p)[0]))
        (*p)++, (*n)--;
    while (*n && is_ws((*p)[*n - 1]))
        (*n)--;
}

const vg_http_header_t *vg_http_msg_find(const vg_http_msg_t *m, const char *name)
{
    for (uint32_t i = 0; i < m->n_hdrs; i++)
        if (vg_http_ieq(m->hdrs[i].name.p, m->hdrs[i].name.len, name))
            return &m->hdrs[i];
    return NULL;
}

void vg_http_msg_init(vg_http_msg_t *m, vg_http_tx_t *tx, uint32_t body_limit)
{
    memset(m, 0, sizeof *m);
    m->tx = tx;
    m->last_hdr = -1;
    vg_http_body_init(&m->body, body_limit);
}

/* (The header strings are the transaction's: its arena goes with it.) */
void vg_http_msg_fini(vg_http_msg_t *m)
{
    free(m->hdrs);
    vg_buf_fini(&m->raw);
    vg_http_body_fini(&m->body);
}

void vg_http_msg_reset(vg_http_msg_t *m)
{
    uint32_t limit = m->body.limit;
    uint64_t events = m->events | m->body.events; /* an interim response's stay the tx's */
    vg_http_tx_t *tx = m->tx;
    for (uint32_t i = 0; i < m->n_hdrs; i++) {
        vg_http_str_drop(tx, &m->hdrs[i].name);
        vg_http_str_drop(tx, &m->hdrs[i].value);
    }
    vg_http_msg_fini(m);
    vg_http_msg_init(m, tx, limit);
    arena_check(tx);
    m->events = events;
}

/* ---- headers ------------------------------------------------------------------------------ */

static bool is_token(uint8_t c)
{
    return c > 32 && c < 127 && !strchr("()<>@,;:\\\"/[]?={}", c);
}

static void add_raw(vg_http_msg_t *m, const vg_http_dir_t *d)
{
    size_t need = d->line.len + (d->line_cr ? 2 : 1);
    if (m->raw.len + need > VG_HTTP_MAX_HDR_BYTES)
        return;
    vg_buf_append(&m->raw, d->line.data, d->line.len);
    vg_buf_append(&m->raw, d->line_cr ? "\r\n" : "\n", d->line_cr ? 2 : 1);
}

/* Parse a Content-Length value: digits with optional surrounding whitespace. */
static bool parse_cl(const uint8_t *p, size_t n, uint64_t *out)
{
    trim(&p, &n);
    if (n == 0 || n > 18)
        return false;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return false;
        v = v * 10 + (p[i] - '0');
    }
    *out = v;
    return true;
}

static bool has_token_ci(const uint8_t *p, size_t n, const char *tok)
{
    size_t tl = strlen(tok);
    for (size_t i = 0; i + tl <= n; i++)
        if (vg_http_ieq(p + i, tl, tok))
            return true;
    return false;
}

/* Headers that decide framing are honoured even when the header itself cannot be kept. */
/* Header name equality as libhtp's get_nocase_nozero: case-insensitive, NUL bytes ignored. */
static bool name_is(const uint8_t *n, size_t nl, const char *w)
{
    size_t j = 0, wl = strlen(w);
    for (size_t i = 0; i < nl; i++) {
        if (n[i] == 0)
            continue;
        uint8_t c = n[i] >= 'A' && n[i] <= 'Z' ? (uint8_t)(n[i] + 32) : n[i];
        if (j >= wl || c != (uint8_t)w[j])
            return false;
        j++;
    }
    return j == wl;
}

static const vg_http_header_t *find_nozero(const vg_http_msg_t *m, const char *name)
{
    for (uint32_t i = 0; i < m->n_hdrs; i++)
        if (name_is(m->hdrs[i].name.p, m->hdrs[i].name.len, name))
            return &m->hdrs[i];
    return NULL;
}

/* Case-insensitive substring search ignoring NUL bytes in the haystack (index_of_nocase_nozero). */
static bool contains_nozero(const uint8_t *p, size_t n, const char *w)
{
    size_t wl = strlen(w);
    for (size_t i = 0; i < n; i++) {
        size_t j = 0;
        for (size_t k = i; k < n && j < wl; k++) {
            if (p[k] == 0)
                continue;
            uint8_t c = p[k] >= 'A' && p[k] <= 'Z' ? (uint8_t)(p[k] + 32) : p[k];
            if (c != (uint8_t)w[j])
                break;
            j++;
        }
        if (j == wl)
            return true;
    }
    return false;
}

/* Whether a comma-separated header value lists `tok` as one of its elements (case-insensitive,
 * white space around elements ignored): "gzip, chunked" does, "xchunked" and "chunked;q=1" do
 * not, as libhtp's htp_header_has_token. */
static bool lists_token(const uint8_t *p, size_t n, const char *tok)
{
    size_t tl = strlen(tok), i = 0;
    while (i <= n) {
        size_t e = i;
        while (e < n && p[e] != ',')
            e++;
        const uint8_t *el = p + i;
        size_t el_n = e - i;
        trim(&el, &el_n);
        if (el_n == tl && vg_http_ieq(el, tl, tok))
            return true;
        i = e + 1;
    }
    return false;
}

/* The protocol as libhtp numbers it, compared against 1.1: "HTTP/1.1" and anything else it
 * reads as 1.1; false for "HTTP/1.0", "HTTP/0.9" and what it cannot read ("HTTP/1.2", "HTTP/2.0",
 * "XTTP/1.1", which libhtp counts as invalid, below every version). */
static bool proto_is_11(const vg_http_str_t *pr)
{
    return pr->len == 8 && memcmp(pr->p, "HTTP/1.1", 8) == 0;
}

/* Transfer-Encoding decides from the complete (merged, unfolded) value, as libhtp does. */
static void set_transfer_coding(vg_http_msg_t *m)
{
    const vg_http_header_t *h = find_nozero(m, "transfer-encoding");
    if (!h)
        return;
    m->te_present = true;
    m->te_chunked = contains_nozero(h->value.p, h->value.len, "chunked");
}

/* Content-Encoding is read once the headers are complete, from the merged value. */
static void set_coding(vg_http_msg_t *m)
{
    const vg_http_header_t *h = find_nozero(m, "content-encoding");
    if (h)
        vg_http_body_set_encoding(&m->body, h->value.p, h->value.len);
}

static void framing_header(vg_http_msg_t *m, int dir, const uint8_t *name, size_t nl,
                           const uint8_t *val, size_t vl, vg_app_ctx_t *ctx)
{
    if (name_is(name, nl, "content-length")) {
        uint64_t v;
        if (!parse_cl(val, vl, &v)) {
            m->cl_invalid = true;
            vg_http_anomaly(ctx, &m->events, EV(dir, "INVALID_CONTENT_LENGTH_FIELD_IN_REQUEST",
                                    "INVALID_CONTENT_LENGTH_FIELD_IN_RESPONSE"));
        } else if (m->has_cl && v != m->cl) {
            vg_http_anomaly(ctx, &m->events, EV(dir, "DUPLICATE_CONTENT_LENGTH_FIELD_IN_REQUEST",
                                    "DUPLICATE_CONTENT_LENGTH_FIELD_IN_RESPONSE"));
        } else {
            m->has_cl = true;
            m->cl = v;
        }
    } else if (name_is(name, nl, "transfer-encoding")) {
        m->te_present = true;
        if (has_token_ci(val, vl, "chunked"))
            m->te_chunked = true;
    }
}

static void append_value(vg_http_msg_t *m, vg_http_header_t *h, const char *sep,
                         const uint8_t *v, size_t vl, int dir, vg_app_ctx_t *ctx)
{
    size_t sl = strlen(sep);
    if (m->hdr_bytes + sl + vl > VG_HTTP_MAX_HDR_BYTES) {
        if (!m->warned_bytes)
            vg_http_anomaly(ctx, &m->events,
                            EV(dir, "REQUEST_FIELD_TOO_LONG", "RESPONSE_FIELD_TOO_LONG"));
        m->warned_bytes = true;
        m->n_dropped++;
        return;
    }
    vg_http_str_append(m->tx, &h->value, sep, v, vl);
    m->hdr_bytes += sl + vl;
    arena_check(m->tx);
}

static void store_header(vg_http_msg_t *m, int dir, const uint8_t *name, size_t nl,
                         const uint8_t *val, size_t vl, vg_app_ctx_t *ctx)
{
    for (uint32_t i = 0; i < m->n_hdrs; i++) {
        if (m->hdrs[i].name.len == nl &&
            strncasecmp((const char *)m->hdrs[i].name.p, (const char *)name, nl) == 0) {
            m->last_hdr = (int32_t)i;
            append_value(m, &m->hdrs[i], ", ", val, vl, dir, ctx);
            return;
        }
    }
    m->last_hdr = -1;
    if (m->n_hdrs >= VG_HTTP_MAX_HEADERS) {
        if (!m->warned_count)
            vg_http_anomaly(ctx, &m->events,
                            EV(dir, "REQUEST_TOO_MANY_HEADERS", "RESPONSE_TOO_MANY_HEADERS"));
        m->warned_count = true;
        m->n_dropped++;
        return;
    }
    if (m->hdr_bytes + nl + vl > VG_HTTP_MAX_HDR_BYTES) {
        if (!m->warned_bytes)
            vg_http_anomaly(ctx, &m->events,
                            EV(dir, "REQUEST_FIELD_TOO_LONG", "RESPONSE_FIELD_TOO_LONG"));
        m->warned_bytes = true;
        m->n_dropped++;
        return;
    }
    if (m->n_hdrs == m->cap_hdrs) {
        m->cap_hdrs = m->cap_hdrs ? m->cap_hdrs * 2 : 16;
        m->hdrs = vg_xrealloc(m->hdrs, m->cap_hdrs * sizeof *m->hdrs);
    }
    vg_http_header_t *h = &m->hdrs[m->n_hdrs];
    memset(h, 0, sizeof *h);
    vg_http_str_set(m->tx, &h->name, name, nl);
    vg_http_str_set(m->tx, &h->value, val, vl);
    m->hdr_bytes += nl + vl;
    arena_check(m->tx);
    m->last_hdr = (int32_t)m->n_hdrs++;
}

/* A token of at least one byte, optional spaces or tabs, then a colon. */
static bool looks_like_header(const uint8_t *p, size_t n)
{
    size_t i = 0;
    while (i < n && is_token(p[i]))
        i++;
    if (i == 0)
        return false;
    while (i < n && is_ws(p[i]))
        i++;
    return i < n && p[i] == ':';
}

/* More of the last header's value (a folded line, or the line after an empty value). A
 * Content-Length is judged on the whole value ("34" folded with "68" is "34 68": invalid, so the
 * body runs to the close), not on its first line. */
static void continue_value(vg_http_msg_t *m, vg_http_header_t *h, const char *sep,
                           const uint8_t *line, size_t n, int dir, bool trailer,
                           vg_app_ctx_t *ctx)
{
    append_value(m, h, sep, line, n, dir, ctx);
    uint64_t v;
    if (m->cl_last && !trailer) {
        if (parse_cl(h->value.p, h->value.len, &v)) {
            m->has_cl = true;
            m->cl_invalid = false;
            m->cl = v;
        } else {
            if (!m->cl_invalid)
                vg_http_anomaly(ctx, &m->events, EV(dir, "INVALID_CONTENT_LENGTH_FIELD_IN_REQUEST",
                                        "INVALID_CONTENT_LENGTH_FIELD_IN_RESPONSE"));
            m->cl_invalid = true;
            m->has_cl = false;
        }
    }
}

/* One header (or trailer) line; `line` has no terminator and is not empty. */
static void header_line(vg_http_msg_t *m, int dir, const uint8_t *line, size_t n, bool trailer,
                        vg_app_ctx_t *ctx)
{
    /* Suricata's htp reads a response header whose value is empty ("Name:" then the line end)
     * as continuing on the next line, white space (line ends included) being allowed after a
     * colon: "Content-Encoding:\n\0gzip" is gzip. Vigil does so only when the next line does
     * not itself read as a header, so that a real header after an empty one is never lost. */
    int32_t empty = m->empty_next - 1;
    m->empty_next = 0;
    if (empty >= 0 && !is_ws(line[0]) && !looks_like_header(line, n)) {
        m->last_hdr = empty;
        continue_value(m, &m->hdrs[empty], "", line, n, dir, trailer, ctx);
        return;
    }
    if (is_ws(line[0])) {
        trim(&line, &n);
        /* A response line that starts with white space but reads as "name:" is a header of its
         * own, not a fold (Suricata's htp: "ambiguous name with LWS vs. value with folding"):
         * "\tTransfer-Encoding: chunked" still frames the body. */
        if (dir == VG_DIR_TOCLIENT && m->last_hdr >= 0 && looks_like_header(line, n))
            goto header;
        if (m->last_hdr >= 0) {
            continue_value(m, &m->hdrs[m->last_hdr], m->hdrs[m->last_hdr].value.len ? " " : "",
                           line, n, dir, trailer, ctx);
            return;
        }
        vg_http_anomaly(ctx, &m->events, EV(dir, "INVALID_REQUEST_FIELD_FOLDING",
                                "INVALID_RESPONSE_FIELD_FOLDING"));
        if (n == 0)
            return;
    }
header:;
    const uint8_t *colon = memchr(line, ':', n);
    const uint8_t *name = line, *val = line + n;
    size_t nl = n, vl = 0;
    if (!colon) {
        vg_http_anomaly(ctx, &m->events,
                        EV(dir, "REQUEST_FIELD_MISSING_COLON", "RESPONSE_FIELD_MISSING_COLON"));
    } else {
        nl = (size_t)(colon - line);
        val = colon + 1;
        vl = n - nl - 1;
    }
    size_t raw_nl = nl;
    trim(&name, &nl);
    /* Other white space between the name and the colon (VT, FF, CR) is dropped as well, as
     * browsers do: "Transfer-Encoding\v:chunked" still frames the body. Flagged as invalid. */
    while (nl && (is_ws(name[nl - 1]) || name[nl - 1] == '\v' || name[nl - 1] == '\f' ||
                  name[nl - 1] == '\r'))
        nl--;
    trim(&val, &vl);
    bool bad = nl == 0 || nl != raw_nl;
    for (size_t i = 0; i < nl && !bad; i++)
        bad = !is_token(name[i]);
    if (bad && colon)
        vg_http_anomaly(ctx, &m->events,
                        EV(dir, "REQUEST_HEADER_INVALID", "RESPONSE_HEADER_INVALID"));
    m->cl_last = !trailer && colon && name_is(name, nl, "content-length");
    if (!trailer)
        framing_header(m, dir, name, nl, val, vl, ctx);
    store_header(m, dir, name, nl, val, vl, ctx);
    if (dir == VG_DIR_TOCLIENT && colon && vl == 0 && m->last_hdr >= 0)
        m->empty_next = m->last_hdr + 1;
}

/* ---- message boundaries ------------------------------------------------------------------- */

static vg_http_msg_t *cur_msg(vg_http_dir_t *d, int dir)
{
    return dir == VG_DIR_TOSERVER ? &d->tx->req : &d->tx->res;
}

static void body_bytes(vg_http_dir_t *d, int dir, const uint8_t *p, size_t n, vg_app_ctx_t *ctx)
{
    vg_http_msg_t *m = cur_msg(d, dir);
    m->body.message_len += n;
    vg_http_body_add(&m->body, p, n, ctx);
}

/* Both directions stop parsing: a CONNECT tunnel or a protocol upgrade is not HTTP. */
static void tunnel(vg_http_state_t *s)
{
    for (int i = 0; i < 2; i++) {
        vg_http_dir_t *d = &s->dir[i];
        if (d->tx) {
            if (i == VG_DIR_TOSERVER)
                d->tx->req_done = true;
            else
                d->tx->res_done = true;
        }
        d->tx = NULL;
        d->st = VG_HTTP_P_IGNORE;
    }
    vg_buf_fini(&s->pending);
}

static void request_done(vg_http_dir_t *d)
{
    vg_http_tx_t *tx = d->tx;
    tx->req_done = true;
    d->tx = NULL;
    /* A CONNECT must wait for the answer: 2xx turns the connection into a tunnel. */
    d->st = tx->is_connect && !tx->res_hdrs_done ? VG_HTTP_P_CONNECT_WAIT : VG_HTTP_P_LINE;
}

static void response_done(vg_http_dir_t *d)
{
    d->tx->res_done = true;
    d->tx = NULL;
    d->st = VG_HTTP_P_LINE;
}

static void msg_done(vg_http_dir_t *d, int dir)
{
    if (dir == VG_DIR_TOSERVER)
        request_done(d);
    else
        response_done(d);
}

/* The CONNECT was refused: what the client sent meanwhile is HTTP again. */
static void connect_refused(vg_http_state_t *s, vg_app_ctx_t *ctx)
{
    vg_http_dir_t *rq = &s->dir[VG_DIR_TOSERVER];
    if (rq->st != VG_HTTP_P_CONNECT_WAIT)
        return;
    rq->st = VG_HTTP_P_LINE;
    vg_buf_t held = s->pending;
    vg_buf_init(&s->pending, 0);
    if (held.len)
        vg_http_parse_dir(s, VG_DIR_TOSERVER, (const uint8_t *)held.data, held.len, ctx);
    vg_buf_fini(&held);
}

static void hold_pending(vg_http_state_t *s, const uint8_t *p, size_t n)
{
    size_t room = VG_HTTP_MAX_PENDING - s->pending.len;
    if (n > room)
        s->pending_capped = true;
    vg_buf_append(&s->pending, p, n < room ? n : room);
}

/* ---- request side ------------------------------------------------------------------------- */

static void resolve_host(vg_http_tx_t *tx, vg_app_ctx_t *ctx)
{
    const vg_http_header_t *hh = vg_http_msg_find(&tx->req, "host");
    const uint8_t *auth = NULL;
    size_t al = 0;
    bool uri_host = vg_http_uri_authority(tx->uri_raw.p, tx->uri_raw.len, tx->is_connect, &auth,
                                          &al) && al > 0;
    vg_buf_t h, h2;
    int port = -1, port2 = -1;
    vg_buf_init(&h, 0);
    vg_buf_init(&h2, 0);
    if (hh)
        vg_http_str_set(tx, &tx->host_raw, hh->value.p, hh->value.len);
    else if (uri_host)
        vg_http_str_set(tx, &tx->host_raw, auth, al);
    if (uri_host) {
        vg_http_host_parse(auth, al, &h, &port);
        if (port == -2 || h.len == 0)
            vg_http_anomaly(ctx, &tx->events, "REQUEST_URI_HOST_INVALID");
        if (hh) {
            vg_http_host_parse(hh->value.p, hh->value.len, &h2, &port2);
            if (h2.len != h.len || (h.len && memcmp(h.data, h2.data, h.len) != 0))
                vg_http_anomaly(ctx, &tx->events, "HOST_HEADER_AMBIGUOUS");
        }
    } else if (hh) {
        vg_http_host_parse(hh->value.p, hh->value.len, &h, &port);
        if (port == -2 || h.len == 0)
            vg_http_anomaly(ctx, &tx->events, "REQUEST_HEADER_HOST_INVALID");
    } else if (!tx->is_09 && vg_http_ieq(tx->protocol.p, tx->protocol.len, "HTTP/1.1")) {
        vg_http_anomaly(ctx, &tx->events, "MISSING_HOST_HEADER");
    }
    if (h.len)
        vg_http_str_set(tx, &tx->host, h.data, h.len);
    tx->port = port > 0 ? port : -1;
    vg_buf_fini(&h);
    vg_buf_fini(&h2);
}

static bool starts_http(const uint8_t *p, size_t n)
{
    return n >= 5 && vg_http_ieq(p, 5, "HTTP/");
}

/* Split "METHOD SP URI SP PROTOCOL" as Suricata does (so http.uri matches its): when the line ends
 * in an "HTTP/x.y" token, the URI is everything before it (spaces included, Suricata 8); else, as
 * libhtp, the URI ends at the first space (0x20), or when there is none but another whitespace
 * byte is, at that byte. Whatever follows, after whitespace, is the protocol, even when it is not "HTTP/x.y"
 * (then REQUEST_LINE_INVALID). Nothing after the URI means HTTP/0.9. */
static void request_line(vg_http_state_t *s, vg_http_dir_t *d, vg_app_ctx_t *ctx)
{
    const uint8_t *p = (const uint8_t *)d->line.data;
    size_t n = d->line.len, i = 0;
    while (i < n && is_ws(p[i]))
        i++;
    if (i == n)
        return; /* empty lines between requests are ignored */
    vg_http_tx_t *tx = vg_http_tx_new(s, ctx);
    if (i)
        vg_http_anomaly(ctx, &tx->events, "REQUEST_LINE_LEADING_WHITESPACE");
    vg_http_str_set(tx, &tx->request_line, p, n);
    size_t ms = i;
    while (i < n && !is_ws(p[i]))
        i++;
    vg_http_str_set(tx, &tx->method, p + ms, i - ms);
    size_t sep = i;
    while (i < n && is_ws(p[i]))
        i++;
    if (i < n && (i - sep != 1 || p[sep] != ' '))
        vg_http_anomaly(ctx, &tx->events, "METHOD_DELIM_NON_COMPLIANT");
    size_t us = i, ue = i;
    bool odd_ws = false;
    /* Suricata 8 (htp-rs) keeps spaces inside the URI when the line ends in an "HTTP/x.y"
     * token: then the URI is everything between the method and that token. */
    size_t le = n, lk;
    while (le > us && is_ws(p[le - 1]))
        le--;
    for (lk = le; lk > us && !is_ws(p[lk - 1]); lk--)
        ;
    if (lk > us && starts_http(p + lk, le - lk)) {
        ue = lk;
        while (ue > us && is_ws(p[ue - 1]))
            ue--;
        for (size_t q = us; q < lk; q++) /* the URI and its delimiter before the protocol */
            odd_ws |= is_ws(p[q]) && p[q] != ' ';
        if (odd_ws)
            vg_http_anomaly(ctx, &tx->events, "URI_DELIM_NON_COMPLIANT");
        goto have_uri;
    }
    while (ue < n && p[ue] != ' ') {
        odd_ws |= is_ws(p[ue]);
        ue++;
    }
    if (odd_ws) {
        vg_http_anomaly(ctx, &tx->events, "URI_DELIM_NON_COMPLIANT");
        if (ue == n) /* no space at all: the first other whitespace byte ends the URI */
            for (ue = us; ue < n && !is_ws(p[ue]); ue++)
                ;
    }
have_uri:
    vg_http_str_set(tx, &tx->uri_raw, p + us, ue - us);
    size_t ps = ue;
    while (ps < n && is_ws(p[ps]))
        ps++;
    size_t e = n;
    while (e > ps && is_ws(p[e - 1]))
        e--;
    if (ps < e) {
        vg_http_str_set(tx, &tx->protocol, p + ps, e - ps);
        if (!starts_http(p + ps, e - ps))
            vg_http_anomaly(ctx, &tx->events, "REQUEST_LINE_INVALID");
    } else {
        tx->is_09 = true;
        if (ue == us)
            vg_http_anomaly(ctx, &tx->events, "REQUEST_LINE_INCOMPLETE");
    }
    tx->is_head = tx->method.len == 4 && memcmp(tx->method.p, "HEAD", 4) == 0;
    tx->is_connect = tx->method.len == 7 && memcmp(tx->method.p, "CONNECT", 7) == 0;
    vg_http_uri_normalize(tx->uri_raw.p, tx->uri_raw.len, tx->is_connect, &s->out);
    vg_http_str_set(tx, &tx->uri_norm, s->out.data, s->out.len);
    if (!tx->is_connect && tx->uri_raw.len) {
        size_t pl = 0;
        while (pl < tx->uri_raw.len && tx->uri_raw.p[pl] != '?' && tx->uri_raw.p[pl] != '#')
            pl++;
        vg_http_uri_normalize(tx->uri_raw.p, pl, false, &s->out);
        if (s->out.len)
            vg_http_str_set(tx, &tx->path, s->out.data, s->out.len);
    }
    if (tx->is_09) {
        /* A simple request has no headers and nothing may follow it on this connection. */
        tx->req_hdrs_done = tx->req_done = true;
        resolve_host(tx, ctx);
        d->st = VG_HTTP_P_IGNORE;
        return;
    }
    d->tx = tx;
    d->st = VG_HTTP_P_HEADERS;
}

static void req_headers_done(vg_http_dir_t *d, vg_app_ctx_t *ctx)
{
    vg_http_tx_t *tx = d->tx;
    vg_http_msg_t *m = &tx->req;
    tx->req_hdrs_done = true;
    resolve_host(tx, ctx);
    set_coding(m);
    set_transfer_coding(m);
    /* As libhtp (and so Suricata): a Transfer-Encoding that does not list "chunked", or chunked
     * on a protocol below HTTP/1.1. The framing itself still follows set_transfer_coding. */
    if (m->te_present) {
        const vg_http_header_t *te = find_nozero(m, "transfer-encoding");
        if (!te || !lists_token(te->value.p, te->value.len, "chunked") ||
            !proto_is_11(&tx->protocol))
            vg_http_anomaly(ctx, &tx->events, "INVALID_TRANSFER_ENCODING_VALUE_IN_REQUEST");
    }
    if (m->te_chunked) {
        d->st = VG_HTTP_P_CHUNK_LEN;
    } else if (m->has_cl && m->cl > 0) {
        d->remaining = m->cl;
        m->body.size_hint = m->cl;
        d->st = VG_HTTP_P_BODY_CL;
    } else {
        request_done(d);
    }
}

/* ---- response side ------------------------------------------------------------------------ */

/* The transaction a new response belongs to: the one waiting after a 1xx, else the oldest
 * request without a response; a response nobody asked for gets a transaction of its own. */
static vg_http_tx_t *pair_response(vg_http_state_t *s, vg_http_dir_t *d, vg_app_ctx_t *ctx)
{
    if (d->tx)
        return d->tx;
    vg_http_tx_t *tx = vg_http_tx_for_response(s);
    if (!tx) {
        tx = vg_http_tx_new(s, ctx);
        vg_http_anomaly(ctx, &tx->events, "UNABLE_TO_MATCH_RESPONSE_TO_REQUEST");
        tx->has_request = false;
        tx->req_hdrs_done = tx->req_done = true;
    }
    tx->res_started = true;
    d->tx = tx;
    return tx;
}

/* An HTTP/0.9 request gets a bare body, no status line or headers. */
static bool start_09_response(vg_http_state_t *s, vg_http_dir_t *d)
{
    vg_http_tx_t *tx = d->tx ? NULL : vg_http_tx_for_response(s);
    if (!tx || !tx->is_09)
        return false;
    tx->res_started = tx->res_hdrs_done = true;
    tx->res_until_close = true;
    d->tx = tx;
    d->st = VG_HTTP_P_BODY_CLOSE;
    return true;
}

static size_t next_token(const uint8_t *p, size_t n, size_t *i)
{
    while (*i < n && is_ws(p[*i]))
        (*i)++;
    size_t st = *i;
    while (*i < n && !is_ws(p[*i]))
        (*i)++;
    return st;
}

static void response_line(vg_http_state_t *s, vg_http_dir_t *d, vg_app_ctx_t *ctx)
{
    const uint8_t *p = (const uint8_t *)d->line.data;
    size_t n = d->line.len, i = 0;
    while (i < n && (is_ws(p[i]) || p[i] == 0 || p[i] == '\r' || p[i] == '\n' || p[i] == 0x0b ||
                     p[i] == 0x0c))
        i++;
    if (i == n)
        return; /* empty or whitespace line: ignored */
    bool http = n - i >= 4 && vg_http_ieq(p + i, 4, "http");
    if (!http && d->peek >= 0 && (d->peek == 'H' || n <= 2))
        return; /* junk before a status line that follows: skipped, as libhtp does */
    vg_http_tx_t *tx = pair_response(s, d, ctx);
    if (!http) {
        /* Not a status line: like libhtp, take everything as a body that ends with the flow. */
        vg_http_anomaly(ctx, &tx->events, "RESPONSE_INVALID_PROTOCOL");
        tx->res_hdrs_done = true;
        tx->res_until_close = true;
        d->st = VG_HTTP_P_BODY_CLOSE;
        body_bytes(d, VG_DIR_TOCLIENT, p, n, ctx);
        if (!d->line_eof) /* the line end read is part of the body too */
            body_bytes(d, VG_DIR_TOCLIENT, (const uint8_t *)(d->line_cr ? "\r\n" : "\n"),
                       d->line_cr ? 2 : 1, ctx);
        return;
    }
    vg_http_str_set(tx, &tx->response_line, p, n);
    size_t ps = next_token(p, n, &i);
    vg_http_str_set(tx, &tx->res_protocol, p + ps, i - ps);
    size_t ss = next_token(p, n, &i);
    vg_http_str_set(tx, &tx->status_str, p + ss, i - ss);
    while (i < n && is_ws(p[i]))
        i++;
    size_t e = n;
    while (e > i && is_ws(p[e - 1]))
        e--;
    vg_http_str_set(tx, &tx->status_msg, p + i, e - i);
    const uint8_t *sc = tx->status_str.p;
    bool ok = tx->status_str.len == 3;
    for (size_t k = 0; ok && k < 3; k++)
        ok = sc[k] >= '0' && sc[k] <= '9';
    tx->status = ok ? (sc[0] - '0') * 100 + (sc[1] - '0') * 10 + (sc[2] - '0') : 0;
    if (!ok || tx->status < 100)
        vg_http_anomaly(ctx, &tx->events, "RESPONSE_INVALID_STATUS");
    d->st = VG_HTTP_P_HEADERS;
}

static void res_headers_done(vg_http_state_t *s, vg_http_dir_t *d, vg_app_ctx_t *ctx)
{
    vg_http_tx_t *tx = d->tx;
    vg_http_msg_t *m = &tx->res;
    int st = tx->status;
    set_transfer_coding(m);
    bool has_cl = m->has_cl || m->cl_invalid;
    /* As libhtp: only 100 is interim, and not when it announces a body (Content-Length > 0). */
    if (st == 100 && !m->te_present && !(m->has_cl && m->cl > 0)) {
        if (tx->seen_100)
            vg_http_anomaly(ctx, &tx->events, "100_CONTINUE_ALREADY_SEEN");
        tx->seen_100 = true;
        vg_http_msg_reset(m);
        d->st = VG_HTTP_P_LINE;
        return;
    }
    tx->res_hdrs_done = true;
    set_coding(m);
    if ((st == 101 && !m->te_present && !has_cl) ||
        (tx->is_connect && st >= 200 && st < 300)) {
        tx->res_done = true;
        tunnel(s);
        return;
    }
    /* As libhtp: a chunked response whose Transfer-Encoding is not just "chunked", or that is
     * below HTTP/1.1, is flagged; one without chunked is not (it is framed otherwise). */
    if (m->te_chunked) {
        const vg_http_header_t *te = find_nozero(m, "transfer-encoding");
        if (te && !(te->value.len == 7 && vg_http_ieq(te->value.p, 7, "chunked")))
            vg_http_anomaly(ctx, &tx->events, "RESPONSE_ABNORMAL_TRANSFER_ENCODING");
        if (!proto_is_11(&tx->res_protocol))
            vg_http_anomaly(ctx, &tx->events, "RESPONSE_CHUNKED_OLD_PROTO");
    }
    /* 1xx, 204 and 304 have no body, unless the headers announce one: browsers read it. */
    bool no_body_status = (st >= 100 && st < 200) || st == 204 || st == 304;
    if (tx->is_head || (no_body_status && !m->te_present && !has_cl)) {
        response_done(d);
    } else if (m->te_chunked) {
        d->st = VG_HTTP_P_CHUNK_LEN;
    } else if (m->has_cl) {
        d->remaining = m->cl;
        m->body.size_hint = m->cl;
        if (m->cl)
            d->st = VG_HTTP_P_BODY_CL;
        else
            response_done(d);
    } else {
        tx->res_until_close = true;
        d->st = VG_HTTP_P_BODY_CLOSE;
    }
    if (tx->is_connect)
        connect_refused(s, ctx);
}

/* ---- chunked ------------------------------------------------------------------------------ */

static bool chunk_ctl(uint8_t c)
{
    return c == '\r' || c == '\n' || c == ' ' || c == '\t' || c == 0x0b || c == 0x0c;
}

static int hexv(uint8_t c)
{
    return c >= '0' && c <= '9'                   ? c - '0'
           : (c | 0x20) >= 'a' && (c | 0x20) <= 'f' ? (c | 0x20) - 'a' + 10
                                                    : -1;
}

/* libhtp's chunk length: control characters (CR LF SP HT VT FF) first, then hex digits;
 * whatever follows the digits is ignored (extensions, junk). A line of control characters only
 * is skipped; a length above 2^31-1 is ignored too. */
static void chunk_len_line(vg_http_dir_t *d, int dir, vg_app_ctx_t *ctx)
{
    const uint8_t *p = (const uint8_t *)d->line.data;
    size_t n = d->line.len, i = 0;
    while (i < n && chunk_ctl(p[i]))
        i++;
    if (i == n)
        return; /* tolerated, as libhtp does */
    uint64_t v = 0;
    size_t digits = 0;
    for (; i < n && hexv(p[i]) >= 0; i++, digits++)
        if (v <= 0x7fffffffu)
            v = v << 4 | (uint64_t)hexv(p[i]);
    if (digits == 0) {
        vg_http_anomaly(ctx, &cur_msg(d, dir)->events,
                        EV(dir, "INVALID_REQUEST_CHUNK_LEN", "INVALID_RESPONSE_CHUNK_LEN"));
        if (dir == VG_DIR_TOSERVER) {
            request_done(d);
        } else {
            /* Keep going as a body that ends with the connection, this line included. */
            vg_http_body_add(&d->tx->res.body, p, n, ctx);
            vg_http_body_add(&d->tx->res.body, (const uint8_t *)(d->line_cr ? "\r\n" : "\n"),
                             d->line_cr ? 2 : 1, ctx);
            d->tx->res_until_close = true;
            d->st = VG_HTTP_P_BODY_CLOSE;
        }
        return;
    }
    if (v > 0x7fffffffu) {
        /* libhtp ignores such a line and keeps reading lengths */
        vg_http_anomaly(ctx, &cur_msg(d, dir)->events,
                        EV(dir, "INVALID_REQUEST_CHUNK_LEN", "INVALID_RESPONSE_CHUNK_LEN"));
        return;
    }
    if (v == 0) {
        d->st = VG_HTTP_P_TRAILERS;
    } else {
        d->remaining = v;
        d->st = VG_HTTP_P_CHUNK_DATA;
    }
}

/* Before a chunk length line is complete: data that cannot start one (control characters then
 * a non-hex byte) makes the rest of the response a body that ends with the connection. */
static bool chunk_len_invalid(const uint8_t *p, size_t n)
{
    if (memchr(p, '\n', n))
        return false;
    size_t i = 0;
    while (i < n && chunk_ctl(p[i]))
        i++;
    return i < n && hexv(p[i]) < 0;
}

/* ---- the loop ----------------------------------------------------------------------------- */

static bool ws_only(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!is_ws(p[i]))
            return false;
    return true;
}

static void on_line(vg_http_state_t *s, vg_http_dir_t *d, int dir, vg_app_ctx_t *ctx)
{
    const uint8_t *p = (const uint8_t *)d->line.data;
    size_t n = d->line.len;
    switch (d->st) {
    case VG_HTTP_P_LINE:
        if (dir == VG_DIR_TOSERVER)
            request_line(s, d, ctx);
        else
            response_line(s, d, ctx);
        break;
    case VG_HTTP_P_HEADERS:
        add_raw(cur_msg(d, dir), d);
        if (n > 0 && dir == VG_DIR_TOCLIENT && !d->line_cr && ws_only(p, n)) {
            /* libhtp: an empty folding line ended by a lone LF ends the headers, or is
             * swallowed when an LF (the real end) follows; one ended by CRLF is a fold */
            if (d->peek == '\n')
                break;
            n = 0;
        }
        if (n > 0)
            header_line(cur_msg(d, dir), dir, p, n, false, ctx);
        else if (dir == VG_DIR_TOSERVER)
            req_headers_done(d, ctx);
        else
            res_headers_done(s, d, ctx);
        break;
    case VG_HTTP_P_TRAILERS:
        if (n == 0) {
            msg_done(d, dir);
        } else {
            header_line(cur_msg(d, dir), dir, p, n, true, ctx);
            memset(d->tx->cached, 0, sizeof d->tx->cached);
        }
        break;
    case VG_HTTP_P_CHUNK_LEN:
        chunk_len_line(d, dir, ctx);
        break;
    case VG_HTTP_P_CHUNK_END:
        d->st = VG_HTTP_P_CHUNK_LEN; /* whatever sits before the LF is skipped, as in libhtp */
        break;
    default:
        break;
    }
}

static void line_append(vg_http_dir_t *d, int dir, const uint8_t *p, size_t n, vg_app_ctx_t *ctx)
{
    size_t room = VG_HTTP_MAX_LINE - d->line.len;
    size_t keep = n < room ? n : room;
    vg_buf_append(&d->line, p, keep);
    if (keep < n && !d->line_long) {
        d->line_long = true;
        /* a request line has no transaction yet: the event is not kept for one */
        vg_http_anomaly(ctx, d->tx ? &cur_msg(d, dir)->events : NULL,
                        EV(dir, "REQUEST_FIELD_TOO_LONG", "RESPONSE_FIELD_TOO_LONG"));
    }
}

/* Collect bytes up to LF into d->line (bounded). Returns bytes consumed.
 * Response status and header lines (cr_eol) end as libhtp's response parser ends them: CRLF,
 * LF, a lone CR, or LF CR (when that CR is not the start of a CRLF). */
static size_t take_line(vg_http_dir_t *d, int dir, const uint8_t *p, size_t n, bool *done,
                        bool cr_eol, vg_app_ctx_t *ctx)
{
    *done = false;
    if (cr_eol && d->cr_pending) {
        /* the previous chunk ended with a CR: it ends the line either way */
        d->cr_pending = false;
        d->line_cr = true;
        *done = true;
        return p[0] == '\n' ? 1 : 0;
    }
    size_t k = 0;
    if (cr_eol) {
        while (k < n && p[k] != '\n' && p[k] != '\r')
            k++;
    } else {
        const uint8_t *lf = memchr(p, '\n', n);
        k = lf ? (size_t)(lf - p) : n;
    }
    if (k == n) {
        line_append(d, dir, p, n, ctx);
        return n;
    }
    if (p[k] == '\r') {
        /* only reached with cr_eol */
        line_append(d, dir, p, k, ctx);
        d->line_cr = true;
        if (k + 1 == n) {
            d->cr_pending = true;
            return n;
        }
        *done = true;
        return k + (p[k + 1] == '\n' ? 2 : 1);
    }
    line_append(d, dir, p, k, ctx);
    *done = true;
    d->line_cr = d->line.len && d->line.data[d->line.len - 1] == '\r';
    if (d->line_cr)
        d->line.len--;
    size_t used = k + 1;
    if (cr_eol && !d->line_cr && used + 1 < n && p[used] == '\r' && p[used + 1] != '\n')
        used++; /* LF CR */
    return used;
}

/* Suricata's htp reads "\r\n\r" followed by CRs, spaces or tabs (and an optional LF) as one
 * deformed end of line of a response header, unless an empty line follows: the header after it
 * is still a header, not the body. p[0..used) is the line just taken, ended by CRLF; returns how
 * many bytes after it belong to its end of line (0 when the pattern is not there, or not all in
 * this chunk). */
static size_t deformed_eol(const uint8_t *p, size_t n, size_t used)
{
    if (used < 2 || p[used - 1] != '\n' || p[used - 2] != '\r' || used >= n || p[used] != '\r')
        return 0;
    size_t k = used + 1;
    while (k < n && (p[k] == '\r' || p[k] == ' ' || p[k] == '\t'))
        k++;
    if (k == used + 1)
        return 0;
    if (k < n && p[k] == '\n')
        k++;
    if (k >= n || p[k] == '\n' || (p[k] == '\r' && (k + 1 >= n || p[k + 1] == '\n')))
        return 0;
    return k - used;
}

static bool framing_line(enum vg_http_pstate st)
{
    return st == VG_HTTP_P_CHUNK_LEN || st == VG_HTTP_P_CHUNK_END || st == VG_HTTP_P_TRAILERS;
}

static size_t body_state(vg_http_dir_t *d, int dir, const uint8_t *p, size_t n,
                         vg_app_ctx_t *ctx)
{
    size_t take = d->remaining < n ? (size_t)d->remaining : n;
    body_bytes(d, dir, p, take, ctx);
    d->remaining -= take;
    if (d->remaining == 0) {
        if (d->st == VG_HTTP_P_BODY_CL)
            msg_done(d, dir);
        else
            d->st = VG_HTTP_P_CHUNK_END;
    }
    return take;
}

void vg_http_parse_dir(vg_http_state_t *s, int dir, const uint8_t *data, size_t len,
                       vg_app_ctx_t *ctx)
{
    vg_http_dir_t *d = &s->dir[dir];
    size_t i = 0;
    while (i < len) {
        switch (d->st) {
        case VG_HTTP_P_IGNORE:
            return;
        case VG_HTTP_P_CONNECT_WAIT:
            hold_pending(s, data + i, len - i);
            return;
        case VG_HTTP_P_BODY_CLOSE:
            body_bytes(d, dir, data + i, len - i, ctx);
            return;
        case VG_HTTP_P_BODY_CL:
        case VG_HTTP_P_CHUNK_DATA:
            i += body_state(d, dir, data + i, len - i, ctx);
            break;
        default: {
            if (d->st == VG_HTTP_P_LINE && dir == VG_DIR_TOCLIENT && d->line.len == 0 &&
                start_09_response(s, d))
                break;
            if (d->st == VG_HTTP_P_CHUNK_LEN && dir == VG_DIR_TOCLIENT && d->line.len == 0 &&
                !d->cr_pending && chunk_len_invalid(data + i, len - i)) {
                vg_http_anomaly(ctx, &d->tx->res.events, "INVALID_RESPONSE_CHUNK_LEN");
                d->tx->res_until_close = true;
                d->st = VG_HTTP_P_BODY_CLOSE;
                break;
            }
            bool done;
            bool cr_eol = dir == VG_DIR_TOCLIENT &&
                          (d->st == VG_HTTP_P_LINE || d->st == VG_HTTP_P_HEADERS ||
                           d->st == VG_HTTP_P_TRAILERS);
            if (!cr_eol)
                d->cr_pending = false;
            size_t used = take_line(d, dir, data + i, len - i, &done, cr_eol, ctx);
            if (done && cr_eol && d->st == VG_HTTP_P_HEADERS && d->line.len)
                used += deformed_eol(data + i, len - i, used);
            if (framing_line(d->st))
                cur_msg(d, dir)->body.message_len += used;
            i += used;
            if (done) {
                d->peek = i < len ? data[i] : -1;
                on_line(s, d, dir, ctx);
                d->line.len = 0;
                d->line_long = false;
            }
        }
        }
    }
}

void vg_http_gap(vg_http_state_t *s, int dir, size_t len)
{
    vg_http_dir_t *d = &s->dir[dir];
    bool in_body = d->st == VG_HTTP_P_BODY_CL || d->st == VG_HTTP_P_CHUNK_DATA;
    if (in_body && len <= d->remaining) {
        /* The hole lies inside a body of known size: skip it, stop decoding, stay in sync. */
        vg_http_msg_t *m = cur_msg(d, dir);
        d->remaining -= len;
        m->body.message_len += len;
        vg_http_body_gap(&m->body);
        if (d->remaining == 0) {
            if (d->st == VG_HTTP_P_BODY_CL)
                msg_done(d, dir);
            else
                d->st = VG_HTTP_P_CHUNK_END;
        }
        return;
    }
    if (d->st == VG_HTTP_P_BODY_CLOSE) {
        cur_msg(d, dir)->body.message_len += len;
        return;
    }
    /* Lost framing: this direction cannot be resynchronised reliably. */
    if (d->tx)
        msg_done(d, dir);
    d->st = VG_HTTP_P_IGNORE;
}

void vg_http_end(vg_http_state_t *s, vg_app_ctx_t *ctx)
{
    /* libhtp treats the closing of the stream as the end of the response line, so that a
     * response that is only body without any line end (an HTTP/0.9-style answer to a 1.x
     * request) is still read as body. */
    vg_http_dir_t *rd = &s->dir[VG_DIR_TOCLIENT];
    if (rd->st == VG_HTTP_P_LINE && rd->line.len && !rd->cr_pending) {
        rd->line_cr = false;
        rd->line_eof = true;
        rd->peek = -1;
        on_line(s, rd, VG_DIR_TOCLIENT, ctx);
        rd->line_eof = false;
        rd->line.len = 0;
    }
    for (int dir = VG_DIR_TOSERVER; dir <= VG_DIR_TOCLIENT; dir++) {
        vg_http_dir_t *d = &s->dir[dir];
        if (d->st != VG_HTTP_P_HEADERS || !d->tx)
            continue;
        d->line.len = 0; /* an unfinished line is not a header */
        if (dir == VG_DIR_TOSERVER)
            req_headers_done(d, ctx);
        else
            res_headers_done(s, d, ctx);
        d->st = VG_HTTP_P_IGNORE;
    }
}

void vg_http_dir_fini(vg_http_dir_t *d)
{
    vg_buf_fini(&d->line);
}
