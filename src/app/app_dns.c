/* app_dns.c — DNS over UDP and TCP (RFC 1035, RFC 7766 framing).
 *
 * One message is one transaction: a request (QR=0) or a response (QR=1), logged in Suricata's
 * EVE "dns" v3 layout. Over UDP each datagram is one message; over TCP each message is preceded
 * by a 2-byte big-endian length and may arrive split over any number of chunks, so each
 * direction keeps a small reassembly buffer (at most 2 + 65535 bytes).
 *
 * Wire format (RFC 1035 4.1):
 *   header   12 bytes: id(2) flags(2) qdcount(2) ancount(2) nscount(2) arcount(2)
 *            flags: QR(15) OPCODE(14..11) AA(10) TC(9) RD(8) RA(7) Z(6) AD(5) CD(4) RCODE(3..0)
 *   question name, qtype(2), qclass(2)
 *   RR       name, type(2), class(2), ttl(4), rdlength(2), rdata(rdlength)
 *   name     labels: 0x00 end | 0b00LLLLLL label of L bytes | 0b11PPPPPP PPPPPPPP pointer to
 *            offset P of the message (compression). 0b01/0b10 prefixes are invalid here.
 *
 * Hostile input: every read is bounds-checked against the message; a name is decoded with at
 * most DNS_MAX_HOPS pointer jumps and 255 wire bytes (longer names are truncated and flagged),
 * so compression loops terminate; records kept per message are capped. Problems are reported as
 * Suricata's DNS anomaly events and parsing continues with the next message.
 */
#include "app/app.h"
#include "common/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DNS_HDR_LEN 12
#define DNS_MAX_NAME 255      /* wire bytes of a name, RFC 1035 2.3.4 */
#define DNS_MAX_HOPS 64       /* compression pointers followed per name */
#define DNS_MAX_RECORDS 512   /* questions + RRs kept per message */
#define DNS_DEFAULT_MAX_TX 512

enum { SEC_QUERY, SEC_ANSWER, SEC_AUTHORITY, SEC_ADDITIONAL, SEC_MAX };

/* How the rdata of a record is rendered in the log. */
enum rd_kind {
    RD_NONE,    /* not logged (unknown type, OPT, malformed rdata) */
    RD_TEXT,    /* "rdata": text (address, name, TXT bytes, NULL bytes) */
    RD_SOA,     /* "soa": {mname, rname, serial, refresh, retry, expire, minimum} */
    RD_SRV,     /* "srv": {priority, weight, port, name} */
    RD_SSHFP,   /* "sshfp": {fingerprint, algo, type} */
    RD_SVCB,    /* "svcb": {priority, target} (HTTPS/SVCB, parameters not decoded) */
};

/* A span of bytes in the transaction's string arena. */
typedef struct dns_str {
    uint32_t off, len;
} dns_str_t;

typedef struct dns_rr {
    uint8_t section;
    uint8_t kind;       /* enum rd_kind */
    uint16_t type;
    uint32_t ttl;
    dns_str_t name;
    dns_str_t rd1, rd2; /* text / mname,rname / target / fingerprint hex */
    uint32_t num[5];    /* soa serial.. / srv priority, weight, port / sshfp algo, type */
} dns_rr_t;

typedef struct dns_tx {
    uint64_t tx_id;
    uint16_t msg_id, flags;
    bool is_response;
    bool has_request;   /* response whose id matched an earlier request on this flow */
    uint32_t n_rr, cap_rr;
    dns_rr_t *rr;
    vg_buf_t strs;      /* names and rendered rdata */
} dns_tx_t;

/* TCP framing: one per direction. */
typedef struct dns_framer {
    uint8_t *buf;       /* 2 + 65535 bytes, allocated on first use */
    size_t have;
} dns_framer_t;

#define DNS_PENDING_IDS 64 /* request ids remembered for pairing */

typedef struct dns_state {
    bool over_tcp;
    bool flooded_reported;
    dns_framer_t fr[2];
    uint64_t n_created;     /* tx ids are 0..n_created-1 */
    uint64_t base_id;       /* id of txs[0] */
    size_t n_tx, cap_tx;
    dns_tx_t **txs;
    uint16_t pending[DNS_PENDING_IDS]; /* ring of recent request ids */
    uint32_t n_pending;
} dns_state_t;

/* 53 only: mDNS (5353) and NetBIOS (137) share the wire format but are other protocols, which
 * Suricata does not log as dns either. */
static const uint16_t dns_ports[] = {53, 0};

/* ---- small helpers ---------------------------------------------------------------------- */

static inline uint16_t be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static inline uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void anomaly(vg_app_ctx_t *ctx, const char *ev)
{
    if (ctx && ctx->anomaly)
        ctx->anomaly(ctx->user, VG_APP_DNS, ev);
}

static dns_str_t str_add(dns_tx_t *tx, const void *p, size_t n)
{
    dns_str_t s = {(uint32_t)tx->strs.len, (uint32_t)n};
    if (n)
        vg_buf_append(&tx->strs, p, n);
    return s;
}

/* ---- names ------------------------------------------------------------------------------- */

enum {
    NAME_OK = 0,
    NAME_TRUNCATED = 1,  /* ran past the message: the message is malformed */
    NAME_BAD_LABEL = 2,  /* 0x40/0x80 label type: malformed */
    NAME_TOO_LONG = 4,   /* over 255 wire bytes: text truncated, parsing goes on */
    NAME_LOOP = 8,       /* too many pointer hops: text truncated, parsing goes on */
};

/* Decodes the name at msg[*pos] into dotted text appended to tx->strs (returned in *out) and
 * moves *pos past the name as it sits at *pos (a pointer ends it there). Returns NAME_* bits;
 * with NAME_TRUNCATED or NAME_BAD_LABEL *pos is unusable. */
static int name_decode(dns_tx_t *tx, const uint8_t *msg, size_t len, size_t *pos, dns_str_t *out)
{
    size_t p = *pos, end = 0, wire = 0;
    bool jumped = false, stop_text = false;
    unsigned hops = 0;
    int res = NAME_OK;
    out->off = (uint32_t)tx->strs.len;
    out->len = 0;
    for (;;) {
        if (p >= len)
            return res | NAME_TRUNCATED;
        uint8_t c = msg[p];
        if ((c & 0xC0) == 0xC0) {
            if (p + 1 >= len)
                return res | NAME_TRUNCATED;
            if (!jumped)
                end = p + 2;
            jumped = true;
            if (stop_text) /* text already truncated: nothing more to learn */
                break;
            if (++hops > DNS_MAX_HOPS) {
                res |= NAME_LOOP;
                break;
            }
            p = (size_t)(c & 0x3F) << 8 | msg[p + 1];
            continue;
        }
        if (c & 0xC0)
            return res | NAME_BAD_LABEL;
        if (c == 0) {
            if (!jumped)
                end = p + 1;
            break;
        }
        if (p + 1 + c > len)
            return res | NAME_TRUNCATED;
        wire += 1u + c;
        if (wire + 1 > DNS_MAX_NAME && !stop_text) {
            res |= NAME_TOO_LONG;
            stop_text = true;
            if (jumped) /* text is done and the in-place end is known */
                break;
        }
        if (!stop_text) {
            if (out->len)
                vg_buf_putc(&tx->strs, '.');
            vg_buf_append(&tx->strs, msg + p + 1, c);
            out->len = (uint32_t)(tx->strs.len - out->off);
        }
        p += 1u + c;
    }
    *pos = end;
    return res;
}

/* Raises the anomalies for non-fatal name problems; true when the name is unusable. */
static bool name_check(int r, vg_app_ctx_t *ctx)
{
    if (r & NAME_TOO_LONG)
        anomaly(ctx, "NAME_TOO_LONG");
    if (r & NAME_LOOP)
        anomaly(ctx, "INFINITE_LOOP");
    return (r & (NAME_TRUNCATED | NAME_BAD_LABEL)) != 0;
}

/* ---- rdata ------------------------------------------------------------------------------- */

static void fmt_ipv6(char *out, const uint8_t *a)
{
    /* Suricata writes AAAA rdata uncompressed: "2001:0db8:0000:...". */
    for (int i = 0; i < 8; i++)
        snprintf(out + i * 5, 6, "%02x%02x%s", a[2 * i], a[2 * i + 1], i < 7 ? ":" : "");
}

/* Name inside rdata [p, rd_end): must end within the rdata. */
static bool rd_name(dns_tx_t *tx, const uint8_t *msg, size_t len, size_t *p, size_t rd_end,
                    dns_str_t *out, vg_app_ctx_t *ctx)
{
    int r = name_decode(tx, msg, len, p, out);
    return !name_check(r, ctx) && *p <= rd_end;
}

static bool rd_soa(dns_tx_t *tx, dns_rr_t *rr, const uint8_t *msg, size_t len, size_t p,
                   size_t rd_end, vg_app_ctx_t *ctx)
{
    if (!rd_name(tx, msg, len, &p, rd_end, &rr->rd1, ctx) ||
        !rd_name(tx, msg, len, &p, rd_end, &rr->rd2, ctx) || rd_end - p < 20)
        return false;
    for (int i = 0; i < 5; i++)
        rr->num[i] = be32(msg + p + 4 * i);
    rr->kind = RD_SOA;
    return true;
}

static bool rd_txt(dns_tx_t *tx, dns_rr_t *rr, const uint8_t *msg, size_t p, size_t rd_end)
{
    rr->rd1.off = (uint32_t)tx->strs.len;
    while (p < rd_end) {
        size_t n = msg[p];
        if (rd_end - p - 1 < n)
            return false;
        vg_buf_append(&tx->strs, msg + p + 1, n);
        p += 1 + n;
    }
    rr->rd1.len = (uint32_t)(tx->strs.len - rr->rd1.off);
    rr->kind = RD_TEXT;
    return true;
}

static void rd_sshfp(dns_tx_t *tx, dns_rr_t *rr, const uint8_t *d, size_t n)
{
    rr->num[0] = d[0];
    rr->num[1] = d[1];
    rr->rd1.off = (uint32_t)tx->strs.len;
    for (size_t i = 2; i < n; i++) {
        char hx[4];
        snprintf(hx, sizeof hx, i + 1 < n ? "%02x:" : "%02x", d[i]);
        vg_buf_puts(&tx->strs, hx);
    }
    rr->rd1.len = (uint32_t)(tx->strs.len - rr->rd1.off);
    rr->kind = RD_SSHFP;
}

/* Renders the rdata at msg[p..p+rdlen). False when it does not match its type's format. */
static bool rdata_parse(dns_tx_t *tx, dns_rr_t *rr, const uint8_t *msg, size_t len, size_t p,
                        size_t rdlen, vg_app_ctx_t *ctx)
{
    size_t end = p + rdlen;
    const uint8_t *d = msg + p;
    char txt[48];
    switch (rr->type) {
    case 1: /* A */
        if (rdlen != 4)
            return false;
        snprintf(txt, sizeof txt, "%u.%u.%u.%u", d[0], d[1], d[2], d[3]);
        rr->rd1 = str_add(tx, txt, strlen(txt));
        rr->kind = RD_TEXT;
        return true;
    case 28: /* AAAA */
        if (rdlen != 16)
            return false;
        fmt_ipv6(txt, d);
        rr->rd1 = str_add(tx, txt, strlen(txt));
        rr->kind = RD_TEXT;
        return true;
    case 2: case 5: case 12: case 39: /* NS CNAME PTR DNAME */
        if (!rd_name(tx, msg, len, &p, end, &rr->rd1, ctx))
            return false;
        rr->kind = RD_TEXT;
        return true;
    case 15: /* MX: preference, exchange (Suricata logs the exchange only) */
        if (rdlen < 3)
            return false;
        rr->num[0] = be16(d);
        p += 2;
        if (!rd_name(tx, msg, len, &p, end, &rr->rd1, ctx))
            return false;
        rr->kind = RD_TEXT;
        return true;
    case 16: /* TXT */
        return rd_txt(tx, rr, msg, p, end);
    case 6: /* SOA */
        return rd_soa(tx, rr, msg, len, p, end, ctx);
    case 33: /* SRV */
        if (rdlen < 7)
            return false;
        rr->num[0] = be16(d);
        rr->num[1] = be16(d + 2);
        rr->num[2] = be16(d + 4);
        p += 6;
        if (!rd_name(tx, msg, len, &p, end, &rr->rd1, ctx))
            return false;
        rr->kind = RD_SRV;
        return true;
    case 10: /* NULL: opaque bytes */
        rr->rd1 = str_add(tx, d, rdlen);
        rr->kind = RD_TEXT;
        return true;
    case 44: /* SSHFP */
        if (rdlen < 2)
            return false;
        rd_sshfp(tx, rr, d, rdlen);
        return true;
    case 64: case 65: /* SVCB, HTTPS: priority and target; parameters are skipped */
        if (rdlen < 3)
            return false;
        rr->num[0] = be16(d);
        p += 2;
        if (!rd_name(tx, msg, len, &p, end, &rr->rd1, ctx))
            return false;
        rr->kind = RD_SVCB;
        return true;
    default: /* OPT (41) and everything else: length-checked by the caller, not rendered */
        return true;
    }
}

/* ---- messages ---------------------------------------------------------------------------- */

static dns_rr_t *rr_new(dns_tx_t *tx)
{
    if (tx->n_rr == DNS_MAX_RECORDS)
        return NULL;
    if (tx->n_rr == tx->cap_rr) {
        uint32_t cap = tx->cap_rr ? tx->cap_rr * 2 : 8;
        tx->rr = vg_xrealloc(tx->rr, cap * sizeof *tx->rr);
        tx->cap_rr = cap;
    }
    dns_rr_t *rr = &tx->rr[tx->n_rr++];
    memset(rr, 0, sizeof *rr);
    return rr;
}

/* Parses one question or RR at *pos. Returns false when the message is malformed from here. */
static bool record_parse(dns_tx_t *tx, int sec, const uint8_t *msg, size_t len, size_t *pos,
                         vg_app_ctx_t *ctx)
{
    dns_rr_t tmp, *rr = rr_new(tx);
    bool keep = rr != NULL;
    if (!rr) {
        rr = &tmp;
        memset(rr, 0, sizeof *rr);
    }
    size_t strs_mark = tx->strs.len;
    rr->section = (uint8_t)sec;
    if (name_check(name_decode(tx, msg, len, pos, &rr->name), ctx))
        goto malformed;
    size_t fixed = sec == SEC_QUERY ? 4 : 10;
    if (len - *pos < fixed)
        goto malformed;
    const uint8_t *f = msg + *pos;
    rr->type = be16(f);
    *pos += fixed;
    if (sec == SEC_QUERY)
        goto done;
    rr->ttl = be32(f + 4);
    size_t rdlen = be16(f + 8);
    if (len - *pos < rdlen)
        goto malformed;
    if (!rdata_parse(tx, rr, msg, len, *pos, rdlen, ctx)) {
        anomaly(ctx, "MALFORMED_DATA");
        rr->kind = RD_NONE;
    }
    *pos += rdlen;
done:
    if (!keep)
        tx->strs.len = strs_mark;
    return true;
malformed:
    if (keep)
        tx->n_rr--;
    tx->strs.len = strs_mark;
    return false;
}

static void tx_free(dns_tx_t *tx)
{
    if (!tx)
        return;
    free(tx->rr);
    vg_buf_fini(&tx->strs);
    free(tx);
}

static bool pending_take(dns_state_t *st, uint16_t id)
{
    uint32_t n = st->n_pending < DNS_PENDING_IDS ? st->n_pending : DNS_PENDING_IDS;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t k = (st->n_pending - 1 - i) % DNS_PENDING_IDS;
        if (st->pending[k] == id) {
            st->pending[k] ^= 0xFFFF; /* consume (best effort) */
            return true;
        }
    }
    return false;
}

static uint32_t max_tx(const vg_app_ctx_t *ctx)
{
    return ctx && ctx->cfg && ctx->cfg->max_tx_per_flow ? ctx->cfg->max_tx_per_flow
                                                        : DNS_DEFAULT_MAX_TX;
}

static void tx_push(dns_state_t *st, dns_tx_t *tx)
{
    if (st->n_tx == st->cap_tx) {
        st->cap_tx = st->cap_tx ? st->cap_tx * 2 : 8;
        st->txs = vg_xrealloc(st->txs, st->cap_tx * sizeof *st->txs);
    }
    tx->tx_id = st->n_created++;
    st->txs[st->n_tx++] = tx;
}

/* Parses one complete message into a new transaction. */
static void message_parse(dns_state_t *st, int dir, const uint8_t *msg, size_t len,
                          vg_app_ctx_t *ctx)
{
    if (len < DNS_HDR_LEN) {
        anomaly(ctx, "MALFORMED_DATA");
        return;
    }
    if (st->n_tx >= max_tx(ctx)) {
        if (!st->flooded_reported)
            anomaly(ctx, "FLOODED");
        st->flooded_reported = true;
        return;
    }
    dns_tx_t *tx = vg_xcalloc(1, sizeof *tx);
    vg_buf_init(&tx->strs, 128);
    tx->msg_id = be16(msg);
    tx->flags = be16(msg + 2);
    tx->is_response = (tx->flags & 0x8000) != 0;
    if (dir == VG_DIR_TOSERVER && tx->is_response)
        anomaly(ctx, "NOT_A_REQUEST");
    if (dir == VG_DIR_TOCLIENT && !tx->is_response)
        anomaly(ctx, "NOT_A_RESPONSE");
    if (tx->flags & 0x0040)
        anomaly(ctx, "Z_FLAG_SET");
    if (tx->is_response)
        tx->has_request = pending_take(st, tx->msg_id);
    else
        st->pending[st->n_pending++ % DNS_PENDING_IDS] = tx->msg_id;

    size_t pos = DNS_HDR_LEN;
    bool ok = true;
    for (int sec = SEC_QUERY; sec < SEC_MAX && ok; sec++) {
        unsigned n = be16(msg + 4 + 2 * sec);
        for (unsigned i = 0; i < n && ok; i++)
            ok = record_parse(tx, sec, msg, len, &pos, ctx);
        if (!ok) {
            static const char *const ev[SEC_MAX] = {"MALFORMED_DATA", "MALFORMED_DATA",
                                                    "INVALID_AUTHORITIES", "INVALID_ADDITIONALS"};
            anomaly(ctx, ev[sec]);
        }
    }
    tx_push(st, tx);
}

/* ---- TCP framing ------------------------------------------------------------------------- */

static void tcp_feed(dns_state_t *st, int dir, const uint8_t *data, size_t len, vg_app_ctx_t *ctx)
{
    dns_framer_t *fr = &st->fr[dir];
    while (len) {
        /* Fast path: whole messages straight from the chunk. */
        if (fr->have == 0 && len >= 2 && len - 2 >= be16(data)) {
            size_t n = be16(data);
            if (n)
                message_parse(st, dir, data + 2, n, ctx);
            data += 2 + n;
            len -= 2 + n;
            continue;
        }
        if (!fr->buf)
            fr->buf = vg_xmalloc(2 + 65535);
        size_t need = fr->have < 2 ? 2 - fr->have : 2 + (size_t)be16(fr->buf) - fr->have;
        size_t take = VG_MIN(need, len);
        memcpy(fr->buf + fr->have, data, take);
        fr->have += take;
        data += take;
        len -= take;
        if (fr->have >= 2 && fr->have == 2 + (size_t)be16(fr->buf)) {
            if (fr->have > 2)
                message_parse(st, dir, fr->buf + 2, fr->have - 2, ctx);
            fr->have = 0;
        }
    }
}

/* ---- ops --------------------------------------------------------------------------------- */

/* A plausible header: counts that fit the data, a known opcode, at least one question for a
 * query. Over TCP the data starts with the 2-byte length. */
static int dns_probe_msg(const uint8_t *m, size_t len, int dir)
{
    if (len < DNS_HDR_LEN)
        return -1;
    uint16_t flags = be16(m + 2);
    unsigned opcode = (flags >> 11) & 0xF;
    unsigned qd = be16(m + 4), an = be16(m + 6), ns = be16(m + 8), ar = be16(m + 10);
    bool qr = flags & 0x8000;
    if (opcode > 6 || opcode == 3)
        return 0;
    if (qd > 16 || (!qr && qd == 0 && opcode == 0))
        return 0;
    /* Every question takes at least 5 bytes and every RR at least 11. */
    if ((size_t)qd * 5 + ((size_t)an + ns + ar) * 11 > 65535)
        return 0;
    if (dir == VG_DIR_TOSERVER && qr && an + ns + ar == 0)
        return 0;
    return 1;
}

static int dns_probe(const uint8_t *data, size_t len, int dir)
{
    return dns_probe_msg(data, len, dir);
}

/* Registry probe works on the first bytes of either transport; a TCP stream starts with the
 * length prefix, which dns_probe_tcp checks before the header. */
static int dns_probe_tcp(const uint8_t *data, size_t len, int dir)
{
    if (len < 2)
        return -1;
    size_t n = be16(data);
    if (n < DNS_HDR_LEN)
        return 0;
    return dns_probe_msg(data + 2, len - 2, dir);
}

/* The registry has one probe per row: we see TCP streams with a length prefix and UDP
 * datagrams without one. Try the datagram reading first only when it could be UDP; a TCP
 * stream whose length prefix makes a valid-looking header is rare, but we check both. */
static int dns_probe_any(const uint8_t *data, size_t len, int dir)
{
    int u = dns_probe(data, len, dir);
    if (u == 1)
        return 1;
    int t = dns_probe_tcp(data, len, dir);
    if (t == 1)
        return 1;
    return (u < 0 || t < 0) ? -1 : 0;
}

static void *dns_state_new(bool over_tcp)
{
    dns_state_t *st = vg_xcalloc(1, sizeof *st);
    st->over_tcp = over_tcp;
    return st;
}

static void dns_state_free(void *state)
{
    dns_state_t *st = state;
    if (!st)
        return;
    for (size_t i = 0; i < st->n_tx; i++)
        tx_free(st->txs[i]);
    free(st->txs);
    free(st->fr[0].buf);
    free(st->fr[1].buf);
    free(st);
}

static enum vg_app_parse_result dns_parse(void *state, int dir, const uint8_t *data, size_t len,
                                          vg_app_ctx_t *ctx)
{
    dns_state_t *st = state;
    if (dir != VG_DIR_TOSERVER && dir != VG_DIR_TOCLIENT)
        return VG_APP_PARSE_ERROR;
    if (st->over_tcp)
        tcp_feed(st, dir, data, len, ctx);
    else
        message_parse(st, dir, data, len, ctx);
    return VG_APP_PARSE_OK;
}

/* Lost bytes break TCP framing: drop the partial message and hope the next chunk starts one. */
static void dns_gap(void *state, int dir, size_t len)
{
    dns_state_t *st = state;
    if (dir == VG_DIR_TOSERVER || dir == VG_DIR_TOCLIENT)
        st->fr[dir].have = 0;
}

static uint64_t dns_tx_count(void *state) { return ((dns_state_t *)state)->n_created; }

static void *dns_tx_get(void *state, uint64_t id)
{
    dns_state_t *st = state;
    if (id < st->base_id || id - st->base_id >= st->n_tx)
        return NULL;
    return st->txs[id - st->base_id];
}

static bool dns_tx_complete(void *tx, bool flow_end) { return tx != NULL; }

static void dns_tx_release(void *state, uint64_t upto)
{
    dns_state_t *st = state;
    size_t k = 0;
    while (k < st->n_tx && st->base_id + k < upto)
        tx_free(st->txs[k++]);
    memmove(st->txs, st->txs + k, (st->n_tx - k) * sizeof *st->txs);
    st->n_tx -= k;
    st->base_id += k;
}

static const char *rrtype_name(uint16_t t)
{
    switch (t) {
    case 1: return "A";
    case 2: return "NS";
    case 3: return "MD";
    case 4: return "MF";
    case 5: return "CNAME";
    case 6: return "SOA";
    case 7: return "MB";
    case 8: return "MG";
    case 9: return "MR";
    case 10: return "NULL";
    case 11: return "WKS";
    case 12: return "PTR";
    case 13: return "HINFO";
    case 14: return "MINFO";
    case 15: return "MX";
    case 16: return "TXT";
    case 17: return "RP";
    case 18: return "AFSDB";
    case 24: return "SIG";
    case 25: return "KEY";
    case 28: return "AAAA";
    case 29: return "LOC";
    case 33: return "SRV";
    case 35: return "NAPTR";
    case 37: return "CERT";
    case 39: return "DNAME";
    case 41: return "OPT";
    case 43: return "DS";
    case 44: return "SSHFP";
    case 46: return "RRSIG";
    case 47: return "NSEC";
    case 48: return "DNSKEY";
    case 50: return "NSEC3";
    case 51: return "NSEC3PARAM";
    case 52: return "TLSA";
    case 64: return "SVCB";
    case 65: return "HTTPS";
    case 99: return "SPF";
    case 249: return "TKEY";
    case 250: return "TSIG";
    case 251: return "IXFR";
    case 252: return "AXFR";
    case 255: return "ANY";
    case 256: return "URI";
    case 257: return "CAA";
    default: return NULL;
    }
}

static void kv_rrtype(vg_jw_t *w, uint16_t t)
{
    const char *s = rrtype_name(t);
    char num[8];
    if (!s) {
        snprintf(num, sizeof num, "%u", t);
        s = num;
    }
    vg_jw_kv_str(w, "rrtype", s);
}

static void kv_span(vg_jw_t *w, const dns_tx_t *tx, const char *k, dns_str_t s)
{
    vg_jw_key(w, k);
    vg_jw_strn(w, tx->strs.data + s.off, s.len);
}

static void log_rdata(vg_jw_t *w, const dns_tx_t *tx, const dns_rr_t *rr)
{
    static const char *const soa_keys[5] = {"serial", "refresh", "retry", "expire", "minimum"};
    switch (rr->kind) {
    case RD_TEXT:
        kv_span(w, tx, "rdata", rr->rd1);
        break;
    case RD_SOA:
        vg_jw_key(w, "soa");
        vg_jw_obj_open(w);
        kv_span(w, tx, "mname", rr->rd1);
        kv_span(w, tx, "rname", rr->rd2);
        for (int i = 0; i < 5; i++)
            vg_jw_kv_uint(w, soa_keys[i], rr->num[i]);
        vg_jw_obj_close(w);
        break;
    case RD_SRV:
        vg_jw_key(w, "srv");
        vg_jw_obj_open(w);
        vg_jw_kv_uint(w, "priority", rr->num[0]);
        vg_jw_kv_uint(w, "weight", rr->num[1]);
        vg_jw_kv_uint(w, "port", rr->num[2]);
        kv_span(w, tx, "name", rr->rd1);
        vg_jw_obj_close(w);
        break;
    case RD_SSHFP:
        vg_jw_key(w, "sshfp");
        vg_jw_obj_open(w);
        kv_span(w, tx, "fingerprint", rr->rd1);
        vg_jw_kv_uint(w, "algo", rr->num[0]);
        vg_jw_kv_uint(w, "type", rr->num[1]);
        vg_jw_obj_close(w);
        break;
    case RD_SVCB:
        vg_jw_key(w, "svcb");
        vg_jw_obj_open(w);
        vg_jw_kv_uint(w, "priority", rr->num[0]);
        kv_span(w, tx, "target", rr->rd1);
        vg_jw_obj_close(w);
        break;
    default:
        break;
    }
}

static void log_section(vg_jw_t *w, const dns_tx_t *tx, int sec, const char *key)
{
    bool open = false;
    for (uint32_t i = 0; i < tx->n_rr; i++) {
        const dns_rr_t *rr = &tx->rr[i];
        if (rr->section != sec || rr->type == 41) /* OPT is EDNS plumbing, not data */
            continue;
        if (!open) {
            vg_jw_key(w, key);
            vg_jw_arr_open(w);
            open = true;
        }
        vg_jw_obj_open(w);
        kv_span(w, tx, "rrname", rr->name);
        kv_rrtype(w, rr->type);
        if (sec != SEC_QUERY) {
            vg_jw_kv_uint(w, "ttl", rr->ttl);
            log_rdata(w, tx, rr);
        }
        vg_jw_obj_close(w);
    }
    if (open)
        vg_jw_arr_close(w);
}

static const char *rcode_name(unsigned rc)
{
    static const char *const names[16] = {
        "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP",  "REFUSED", "YXDOMAIN", "YXRRSET",
        "NXRRSET", "NOTAUTH", "NOTZONE",  NULL,       NULL,      NULL,      NULL,       NULL};
    return names[rc & 0xF];
}

static void dns_log_tx(void *txp, vg_jw_t *w)
{
    const dns_tx_t *tx = txp;
    static const struct { uint16_t bit; const char *k; } fl[] = {
        {0x8000, "qr"}, {0x0400, "aa"}, {0x0200, "tc"}, {0x0100, "rd"}, {0x0080, "ra"},
        {0x0040, "z"}};
    char hex[8];
    vg_jw_obj_open(w);
    vg_jw_kv_uint(w, "version", 3);
    vg_jw_kv_str(w, "type", tx->is_response ? "response" : "request");
    vg_jw_kv_uint(w, "tx_id", tx->tx_id);
    vg_jw_kv_uint(w, "id", tx->msg_id);
    snprintf(hex, sizeof hex, "%x", tx->flags);
    vg_jw_kv_str(w, "flags", hex);
    for (size_t i = 0; i < VG_ARRAY_LEN(fl); i++)
        if (tx->flags & fl[i].bit)
            vg_jw_kv_bool(w, fl[i].k, true);
    vg_jw_kv_uint(w, "opcode", (tx->flags >> 11) & 0xF);
    const char *rc = rcode_name(tx->flags);
    if (rc) {
        vg_jw_kv_str(w, "rcode", rc);
    } else {
        snprintf(hex, sizeof hex, "%u", tx->flags & 0xF);
        vg_jw_kv_str(w, "rcode", hex);
    }
    log_section(w, tx, SEC_QUERY, "queries");
    log_section(w, tx, SEC_ANSWER, "answers");
    log_section(w, tx, SEC_AUTHORITY, "authorities");
    log_section(w, tx, SEC_ADDITIONAL, "additionals");
    vg_jw_obj_close(w);
}

/* dns.query: the first question's name, requests only (Suricata does not match responses). */
static bool dns_get_buffer(void *txp, enum vg_app_buf buf, const uint8_t **data, size_t *len)
{
    const dns_tx_t *tx = txp;
    if (buf != VG_BUF_DNS_QUERY || tx->is_response)
        return false;
    for (uint32_t i = 0; i < tx->n_rr; i++) {
        if (tx->rr[i].section == SEC_QUERY) {
            *data = (const uint8_t *)tx->strs.data + tx->rr[i].name.off;
            *len = tx->rr[i].name.len;
            return true;
        }
    }
    return false;
}

uint16_t vg_app_dns_qtype(const void *txv)
{
    const dns_tx_t *tx = txv;
    if (tx->is_response)
        return 0;
    for (uint32_t i = 0; i < tx->n_rr; i++)
        if (tx->rr[i].section == SEC_QUERY)
            return tx->rr[i].type;
    return 0;
}

static int dns_tx_dir(void *txv)
{
    const dns_tx_t *tx = txv;
    return tx->is_response ? VG_DIR_TOCLIENT : VG_DIR_TOSERVER;
}

static size_t dns_state_memuse(const void *state)
{
    const dns_state_t *st = state;
    size_t n = sizeof *st + st->cap_tx * sizeof *st->txs;
    for (int d = 0; d < 2; d++)
        if (st->fr[d].buf)
            n += 2 + 65535;
    for (size_t i = 0; i < st->n_tx; i++)
        n += sizeof *st->txs[i] + st->txs[i]->cap_rr * sizeof(dns_rr_t) + st->txs[i]->strs.cap;
    return n;
}

const vg_app_ops_t vg_app_dns_ops = {
    .name = "dns",
    .id = VG_APP_DNS,
    .over_tcp = true,
    .over_udp = true,
    .ports = dns_ports,
    .needs_port = true,
    .probe = dns_probe_any,
    .state_new = dns_state_new,
    .state_free = dns_state_free,
    .parse = dns_parse,
    .gap = dns_gap,
    .tx_count = dns_tx_count,
    .tx_get = dns_tx_get,
    .tx_complete = dns_tx_complete,
    .log_tx = dns_log_tx,
    .tx_release = dns_tx_release,
    .state_memuse = dns_state_memuse,
    .tx_dir = dns_tx_dir,
    .get_buffer = dns_get_buffer,
};
