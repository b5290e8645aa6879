/* app_tls.c — TLS (SSLv3 .. TLS 1.3) handshake parser: record layer, handshake reassembly, the
 * per-flow transaction and its EVE "tls" object.
 *
 * Record (RFC 8446 5.1): type(1) legacy_version(2) length(2) fragment(length)
 *   types: 20 change_cipher_spec, 21 alert, 22 handshake, 23 application_data, 24 heartbeat
 * Handshake message (RFC 8446 4): msg_type(1) length(3) body(length). A message may span
 *   records and a record may hold several messages; TCP may cut anywhere. Each direction keeps
 *   the 5-byte record header being read, the bytes left in the current record and a handshake
 *   buffer (messages up to TLS_HS_MAX bytes; larger ones are skipped with an anomaly).
 * Certificate (RFC 5246 7.4.2, TLS <= 1.2 only — 1.3 encrypts it):
 *   certificate_list<0..2^24-1>: (length(3) DER)*; the first is the leaf.
 *
 * A flow has one transaction, the handshake. It is complete once the server side is through:
 * ServerHelloDone, a TLS 1.3 ServerHello (the rest is encrypted), ChangeCipherSpec or
 * application data in either direction — or at flow end. A record header that cannot be TLS
 * (bad type, version or length) ends parsing of the flow (VG_APP_PARSE_ERROR).
 */
#include "app/tls_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TLS_HS_MAX (64 * 1024)         /* largest handshake message reassembled */
#define TLS_RECORD_MAX (16384 + 2048)  /* TLSCiphertext limit */
#define TLS_CHAIN_MAX 16               /* certificates of a chain kept for tls.certs */

enum { REC_SSLV2 = 0 /* an SSLv2-framed ClientHello */, REC_CCS = 20, REC_ALERT = 21,
       REC_HANDSHAKE = 22, REC_APPDATA = 23, REC_HEARTBEAT = 24 };
enum { HS_CLIENT_HELLO = 1, HS_SERVER_HELLO = 2, HS_CERTIFICATE = 11, HS_SERVER_HELLO_DONE = 14 };

typedef struct tls_tx {
    bool done;
    bool resumed;
    unsigned n_certs;               /* certificates in the server's chain */
    /* the chain's DER certificates for tls.certs: concatenated, cert i at [off[i], off[i+1]) */
    vg_buf_t chain;
    uint32_t chain_off[TLS_CHAIN_MAX + 1];
    unsigned n_chain;               /* kept (at most TLS_CHAIN_MAX) */
    bool cert_invalid;
    tls_client_hello_t ch;
    tls_server_hello_t sh;
    tls_cert_info_t cert;
    vg_buf_t ja3, ja3s;             /* strings; empty when the hello was not seen */
    char ja3_hash[33], ja3s_hash[33], ja4[37];
    char version[24];               /* EVE version string, refreshed on ServerHello */
    uint16_t side_version[2];       /* per direction, for ssl_version (see side_version()) */
    uint8_t side_version_wire[2][2];
} tls_tx_t;

typedef struct tls_dir {
    uint8_t rhdr[5];
    uint8_t rhdr_have;
    uint8_t rec_type;
    size_t rec_left;                /* fragment bytes of the current record still to come */
    bool encrypted;                 /* after ChangeCipherSpec: handshake records are opaque */
    bool any_record;                /* a record header was read in this direction */
    uint16_t rec_version;           /* the first record header's version */
    bool dead;                      /* framing lost; ignore the rest of this direction */
    uint8_t *hs;                    /* handshake reassembly (TLS_HS_MAX + 4 once allocated) */
    size_t hs_have;
    size_t hs_skip;                 /* bytes of an oversized message still to drop */
} tls_dir_t;

typedef struct tls_state {
    tls_dir_t d[2];
    tls_tx_t *tx;
    bool tx_created, tx_released;
    bool heartbeat_reported;
    bool appdata;                   /* an application-data record was seen (either side) */
} tls_state_t;

static const uint16_t tls_ports[] = {443, 465, 993, 995, 853, 8443, 0};

/* ---- transaction ------------------------------------------------------------------------- */

static void version_string(uint16_t v, char out[24])
{
    switch (v) {
    case 0: snprintf(out, 24, "UNDETERMINED"); break;
    case 0x0002: case 0x0200: snprintf(out, 24, "SSLv2"); break;
    case 0x0300: snprintf(out, 24, "SSLv3"); break;
    case 0x0301: snprintf(out, 24, "TLSv1"); break;
    case 0x0302: snprintf(out, 24, "TLS 1.1"); break;
    case 0x0303: snprintf(out, 24, "TLS 1.2"); break;
    case 0x0304: snprintf(out, 24, "TLS 1.3"); break;
    default: snprintf(out, 24, "0x%04x", v); break;
    }
}

static tls_tx_t *tx_get_or_new(tls_state_t *st)
{
    if (st->tx_released)
        return NULL;
    if (!st->tx) {
        st->tx = vg_xcalloc(1, sizeof *st->tx);
        vg_buf_init(&st->tx->ja3, 128);
        vg_buf_init(&st->tx->ja3s, 64);
        version_string(0, st->tx->version);
        st->tx_created = true;
    }
    return st->tx;
}

static void tx_free(tls_tx_t *tx)
{
    if (!tx)
        return;
    tls_client_hello_fini(&tx->ch);
    tls_server_hello_fini(&tx->sh);
    tls_cert_fini(&tx->cert);
    vg_buf_fini(&tx->chain);
    vg_buf_fini(&tx->ja3);
    vg_buf_fini(&tx->ja3s);
    free(tx);
}

/* ---- handshake messages ------------------------------------------------------------------ */

static void on_client_hello(tls_tx_t *tx, const uint8_t *p, size_t n, vg_app_ctx_t *ctx)
{
    if (tx->ch.seen) /* a second hello (after HelloRetryRequest) keeps the first fingerprint */
        return;
    if (!tls_client_hello_parse(&tx->ch, p, n, ctx))
        tls_anomaly(ctx, "INVALID_HANDSHAKE_MESSAGE");
    vg_buf_reset(&tx->ja3);
    tls_ja3_string(&tx->ch, &tx->ja3);
    tls_digest_hex("MD5", tx->ja3.data, tx->ja3.len, tx->ja3_hash, sizeof tx->ja3_hash);
    tls_ja4(&tx->ch, tx->ja4);
}

static void on_server_hello(tls_state_t *st, tls_tx_t *tx, const uint8_t *p, size_t n,
                            vg_app_ctx_t *ctx)
{
    if (!tls_server_hello_parse(&tx->sh, p, n, ctx))
        tls_anomaly(ctx, "INVALID_HANDSHAKE_MESSAGE");
    vg_buf_reset(&tx->ja3s);
    tls_ja3s_string(&tx->sh, &tx->ja3s);
    tls_digest_hex("MD5", tx->ja3s.data, tx->ja3s.len, tx->ja3s_hash, sizeof tx->ja3s_hash);
    version_string(tx->sh.selected_version, tx->version);
    if (tx->sh.is_hrr)
        return;
    if (tx->sh.selected_version >= 0x0304 && tx->sh.selected_version < 0x0400) {
        /* TLS 1.3: everything after the ServerHello is encrypted. */
        tx->resumed = tx->sh.has_psk;
        st->d[VG_DIR_TOCLIENT].encrypted = true;
        tx->done = true;
    } else if (tx->sh.sid_len && tx->ch.seen && tx->sh.sid_len == tx->ch.sid_len &&
               memcmp(tx->sh.sid, tx->ch.sid, tx->sh.sid_len) == 0) {
        tx->resumed = true;
    }
}

static void on_certificate(tls_tx_t *tx, const uint8_t *p, size_t n, vg_app_ctx_t *ctx)
{
    tls_rd_t r = tls_rd(p, n);
    size_t total = tls_rd_u24(&r);
    tls_rd_t list = tls_rd_sub(&r, total);
    if (r.err || r.n) {
        tls_anomaly(ctx, "CERTIFICATE_INVALID_LENGTH");
        return;
    }
    tx->n_certs = 0;
    tx->n_chain = 0;
    tx->chain.len = 0;
    tx->chain_off[0] = 0;
    while (list.n) {
        size_t len = tls_rd_u24(&list);
        tls_rd_t der = tls_rd_sub(&list, len);
        if (list.err) {
            tls_anomaly(ctx, "CERTIFICATE_INVALID_LENGTH");
            return;
        }
        if (tx->n_chain < TLS_CHAIN_MAX) { /* bounded by the 64 KiB handshake message */
            vg_buf_append(&tx->chain, der.p, der.n);
            tx->chain_off[++tx->n_chain] = (uint32_t)tx->chain.len;
        }
        if (tx->n_certs++ == 0 && !tls_cert_parse(&tx->cert, der.p, der.n)) {
            tx->cert_invalid = true;
            tls_anomaly(ctx, "INVALID_CERTIFICATE");
        }
    }
}

static void on_handshake(tls_state_t *st, int dir, unsigned type, const uint8_t *p, size_t n,
                         vg_app_ctx_t *ctx)
{
    tls_tx_t *tx = tx_get_or_new(st);
    if (!tx)
        return;
    switch (type) {
    case HS_CLIENT_HELLO:
        if (dir == VG_DIR_TOSERVER)
            on_client_hello(tx, p, n, ctx);
        else
            tls_anomaly(ctx, "INVALID_HANDSHAKE_MESSAGE");
        break;
    case HS_SERVER_HELLO:
        if (dir == VG_DIR_TOCLIENT)
            on_server_hello(st, tx, p, n, ctx);
        else
            tls_anomaly(ctx, "INVALID_HANDSHAKE_MESSAGE");
        break;
    case HS_CERTIFICATE:
        if (dir == VG_DIR_TOCLIENT && !tx->cert.parsed)
            on_certificate(tx, p, n, ctx);
        break;
    case HS_SERVER_HELLO_DONE:
        if (dir == VG_DIR_TOCLIENT)
            tx->done = true;
        break;
    default:
        break;
    }
}

/* Feeds handshake-record fragment bytes; complete messages go to on_handshake. */
static void hs_feed(tls_state_t *st, int dir, const uint8_t *data, size_t len, vg_app_ctx_t *ctx)
{
    tls_dir_t *d = &st->d[dir];
    while (len) {
        if (d->hs_skip) {
            size_t k = VG_MIN(d->hs_skip, len);
            d->hs_skip -= k, data += k, len -= k;
            continue;
        }
        if (!d->hs)
            d->hs = vg_xmalloc(TLS_HS_MAX + 4);
        size_t want = 4;
        if (d->hs_have >= 4) {
            size_t mlen = (size_t)d->hs[1] << 16 | (size_t)d->hs[2] << 8 | d->hs[3];
            if (mlen > TLS_HS_MAX) {
                tls_anomaly(ctx, "HANDSHAKE_INVALID_LENGTH");
                d->hs_skip = mlen;
                d->hs_have = 0;
                continue;
            }
            want = 4 + mlen;
        }
        size_t k = VG_MIN(want - d->hs_have, len);
        memcpy(d->hs + d->hs_have, data, k);
        d->hs_have += k, data += k, len -= k;
        if (d->hs_have >= 4 && d->hs_have == want && want > 4) {
            on_handshake(st, dir, d->hs[0], d->hs + 4, want - 4, ctx);
            d->hs_have = 0;
        } else if (d->hs_have == 4 && (d->hs[1] | d->hs[2] | d->hs[3]) == 0) {
            on_handshake(st, dir, d->hs[0], d->hs + 4, 0, ctx); /* e.g. ServerHelloDone */
            d->hs_have = 0;
        }
    }
}

/* ---- each side's version (ssl_version) ---------------------------------------------------- */

/* A version number Suricata's TLS parser takes for one (SSLv2, SSLv3, TLS 1.0-1.3, 1.3 drafts):
 * not a GREASE value or noise in supported_versions. */
static bool version_valid(uint16_t v)
{
    return v == 0x0002 || v == 0x0200 || (v >= 0x0300 && v <= 0x0304) || (v >> 8) == 0x7f;
}

/* The client's version: its hello's first valid supported_versions entry, else the hello's
 * legacy_version; the server's: the version its hello selected. Without a hello, the first
 * record header's version. 0 when nothing was seen. */
static uint16_t side_version(const tls_state_t *st, int dir)
{
    const tls_tx_t *tx = st->tx;
    if (tx && tx->side_version[dir])
        return tx->side_version[dir];
    if (dir == VG_DIR_TOSERVER && tx && tx->ch.seen) {
        for (size_t i = 0; i < tx->ch.versions.n; i++)
            if (version_valid(tx->ch.versions.v[i]))
                return tx->ch.versions.v[i];
        return tx->ch.version;
    }
    if (dir == VG_DIR_TOCLIENT && tx && tx->sh.seen)
        return tx->sh.selected_version;
    return st->d[dir].rec_version;
}

static void refresh_versions(tls_state_t *st)
{
    tls_tx_t *tx = st->tx;
    if (!tx)
        return;
    for (int dir = 0; dir < 2; dir++) {
        uint16_t v = side_version(st, dir);
        tx->side_version_wire[dir][0] = (uint8_t)(v >> 8);
        tx->side_version_wire[dir][1] = (uint8_t)v;
        if (!tx->side_version[dir] && ((dir == VG_DIR_TOSERVER && tx->ch.seen) ||
                                       (dir == VG_DIR_TOCLIENT && tx->sh.seen)))
            tx->side_version[dir] = v; /* fixed by the hello from now on */
    }
}

/* An SSLv2-framed ClientHello (what old clients send first): 2-byte length with the top bit
 * set, msg_type 1, then the client's version. Only the version is kept. */
static bool sslv2_client_hello(const tls_state_t *st, int dir, const uint8_t h[5])
{
    return dir == VG_DIR_TOSERVER && !st->d[dir].any_record && (h[0] & 0x80) && h[2] == 1;
}

/* ---- record layer ------------------------------------------------------------------------ */

/* Validates a complete record header; false when this cannot be TLS. */
static bool record_header_ok(const uint8_t h[5], vg_app_ctx_t *ctx)
{
    size_t len = (size_t)h[3] << 8 | h[4];
    if (h[0] < REC_CCS || h[0] > REC_HEARTBEAT) {
        tls_anomaly(ctx, "INVALID_RECORD_TYPE");
        return false;
    }
    if (h[1] != 3 || h[2] > 4) {
        tls_anomaly(ctx, "INVALID_RECORD_VERSION");
        return false;
    }
    if (len > TLS_RECORD_MAX) {
        tls_anomaly(ctx, "INVALID_RECORD_LENGTH");
        return false;
    }
    return true;
}

static void record_body(tls_state_t *st, int dir, const uint8_t *p, size_t n, vg_app_ctx_t *ctx)
{
    tls_dir_t *d = &st->d[dir];
    switch (d->rec_type) {
    case REC_HANDSHAKE:
        if (!d->encrypted)
            hs_feed(st, dir, p, n, ctx);
        break;
    case REC_CCS:
        d->encrypted = true;
        d->hs_have = d->hs_skip = 0;
        if (dir == VG_DIR_TOCLIENT && tx_get_or_new(st))
            st->tx->done = true;
        break;
    case REC_APPDATA:
        if (tx_get_or_new(st))
            st->tx->done = true;
        break;
    case REC_HEARTBEAT:
        if (!st->heartbeat_reported)
            tls_anomaly(ctx, "HEARTBEAT_MESSAGE");
        st->heartbeat_reported = true;
        break;
    default: /* alerts: nothing to keep */
        break;
    }
}

static enum vg_app_parse_result records_feed(tls_state_t *st, int dir, const uint8_t *data,
                                             size_t len, vg_app_ctx_t *ctx)
{
    tls_dir_t *d = &st->d[dir];
    while (len && !d->dead) {
        if (d->rec_left == 0 && d->rhdr_have < 5) {
            size_t k = VG_MIN((size_t)(5 - d->rhdr_have), len);
            memcpy(d->rhdr + d->rhdr_have, data, k);
            d->rhdr_have = (uint8_t)(d->rhdr_have + k);
            data += k, len -= k;
            if (d->rhdr_have < 5)
                break;
            if (sslv2_client_hello(st, dir, d->rhdr)) {
                size_t rl = (size_t)(d->rhdr[0] & 0x7f) << 8 | d->rhdr[1];
                d->any_record = true;
                d->rec_type = REC_SSLV2;
                d->rec_left = rl > 3 ? rl - 3 : 0;
                if (tx_get_or_new(st)) {
                    st->tx->side_version[dir] = (uint16_t)(d->rhdr[3] << 8 | d->rhdr[4]);
                    refresh_versions(st);
                }
                if (d->rec_left == 0)
                    d->rhdr_have = 0;
                continue;
            }
            if (!record_header_ok(d->rhdr, ctx)) {
                d->dead = true;
                return VG_APP_PARSE_ERROR;
            }
            d->rec_type = d->rhdr[0];
            d->rec_left = (size_t)d->rhdr[3] << 8 | d->rhdr[4];
            if (!d->any_record)
                d->rec_version = (uint16_t)(d->rhdr[1] << 8 | d->rhdr[2]);
            d->any_record = true;
            if (d->rec_type == REC_HANDSHAKE || d->rec_type == REC_APPDATA)
                tx_get_or_new(st);
            if (d->rec_type == REC_APPDATA)
                st->appdata = true;
            if (d->rec_left == 0) {
                d->rhdr_have = 0;
                continue;
            }
        }
        size_t k = VG_MIN(d->rec_left, len);
        record_body(st, dir, data, k, ctx);
        d->rec_left -= k, data += k, len -= k;
        if (d->rec_left == 0)
            d->rhdr_have = 0;
    }
    refresh_versions(st);
    return VG_APP_PARSE_OK;
}

/* ---- ops --------------------------------------------------------------------------------- */

static bool tls_payload_encrypted(const void *state) { return ((const tls_state_t *)state)->appdata; }

static int tls_probe(const uint8_t *p, size_t len, int dir)
{
    static const uint8_t want_type[2] = {HS_CLIENT_HELLO, HS_SERVER_HELLO};
    if (len >= 1 && p[0] != REC_HANDSHAKE)
        return 0;
    if (len >= 2 && p[1] != 3)
        return 0;
    if (len >= 3 && p[2] > 4)
        return 0;
    if (len >= 6 && p[5] != want_type[dir == VG_DIR_TOCLIENT])
        return 0;
    if (len < 6)
        return -1;
    size_t rlen = (size_t)p[3] << 8 | p[4];
    return rlen >= 4 && rlen <= TLS_RECORD_MAX ? 1 : 0;
}

static void *tls_state_new(bool over_tcp)
{
    return vg_xcalloc(1, sizeof(tls_state_t));
}

static void tls_state_free(void *state)
{
    tls_state_t *st = state;
    if (!st)
        return;
    tx_free(st->tx);
    free(st->d[0].hs);
    free(st->d[1].hs);
    free(st);
}

static enum vg_app_parse_result tls_parse(void *state, int dir, const uint8_t *data, size_t len,
                                          vg_app_ctx_t *ctx)
{
    if (dir != VG_DIR_TOSERVER && dir != VG_DIR_TOCLIENT)
        return VG_APP_PARSE_ERROR;
    return records_feed(state, dir, data, len, ctx);
}

/* A gap loses record framing for good: stop parsing that direction. */
static void tls_gap(void *state, int dir, size_t len)
{
    tls_state_t *st = state;
    if (dir == VG_DIR_TOSERVER || dir == VG_DIR_TOCLIENT)
        st->d[dir].dead = true;
}

static uint64_t tls_tx_count(void *state) { return ((tls_state_t *)state)->tx_created ? 1 : 0; }

static void *tls_tx_get(void *state, uint64_t id)
{
    tls_state_t *st = state;
    return id == 0 ? st->tx : NULL;
}

static bool tls_tx_complete(void *txp, bool flow_end)
{
    const tls_tx_t *tx = txp;
    return flow_end || tx->done;
}

static void tls_tx_release(void *state, uint64_t upto)
{
    tls_state_t *st = state;
    if (upto >= 1 && st->tx) {
        tx_free(st->tx);
        st->tx = NULL;
        st->tx_released = true;
    }
}

static void kv_bytes(vg_jw_t *w, const char *k, const tls_bytes_t *b)
{
    if (!b->set)
        return;
    vg_jw_key(w, k);
    vg_jw_strn(w, b->p, b->n);
}

static void log_alpns(vg_jw_t *w, const char *k, const tls_bytes_t *b)
{
    if (!b->set)
        return;
    vg_jw_key(w, k);
    vg_jw_arr_open(w);
    tls_rd_t r = tls_rd(b->p, b->n);
    while (r.n) {
        size_t l = tls_rd_u8(&r);
        tls_rd_t s = tls_rd_sub(&r, l);
        if (r.err)
            break;
        vg_jw_strn(w, s.p, s.n);
    }
    vg_jw_arr_close(w);
}

static void log_fp(vg_jw_t *w, const char *k, const char *hash, const vg_buf_t *s)
{
    vg_jw_key(w, k);
    vg_jw_obj_open(w);
    vg_jw_kv_str(w, "hash", hash);
    vg_jw_key(w, "string");
    vg_jw_strn(w, s->data, s->len);
    vg_jw_obj_close(w);
}

static void log_u16_array(vg_jw_t *w, const char *k, const tls_u16v_t *v)
{
    vg_jw_key(w, k);
    vg_jw_arr_open(w);
    for (size_t i = 0; i < v->n; i++)
        vg_jw_uint(w, v->v[i]);
    vg_jw_arr_close(w);
}

static void log_handshakes(vg_jw_t *w, const tls_tx_t *tx)
{
    char v[24];
    if (tx->ch.seen) {
        vg_jw_key(w, "client_handshake");
        vg_jw_obj_open(w);
        version_string(tx->ch.version, v);
        vg_jw_kv_str(w, "version", v);
        log_u16_array(w, "ciphers", &tx->ch.ciphers);
        log_u16_array(w, "exts", &tx->ch.exts);
        log_u16_array(w, "sig_algs", &tx->ch.sigalgs);
        vg_jw_obj_close(w);
    }
    if (tx->sh.seen) {
        vg_jw_key(w, "server_handshake");
        vg_jw_obj_open(w);
        version_string(tx->sh.selected_version, v);
        vg_jw_kv_str(w, "version", v);
        vg_jw_kv_uint(w, "chosen_cipher", tx->sh.cipher);
        log_u16_array(w, "exts", &tx->sh.exts);
        vg_jw_obj_close(w);
    }
}

static void tls_log_tx(void *txp, vg_jw_t *w)
{
    const tls_tx_t *tx = txp;
    vg_jw_obj_open(w);
    kv_bytes(w, "subject", &tx->cert.subject);
    kv_bytes(w, "issuerdn", &tx->cert.issuer);
    kv_bytes(w, "serial", &tx->cert.serial);
    kv_bytes(w, "fingerprint", &tx->cert.fingerprint);
    kv_bytes(w, "sni", &tx->ch.sni);
    vg_jw_kv_str(w, "version", tx->version);
    if (tx->cert.notbefore[0])
        vg_jw_kv_str(w, "notbefore", tx->cert.notbefore);
    if (tx->cert.notafter[0])
        vg_jw_kv_str(w, "notafter", tx->cert.notafter);
    if (tx->resumed)
        vg_jw_kv_bool(w, "session_resumed", true);
    if (tx->ch.seen)
        log_fp(w, "ja3", tx->ja3_hash, &tx->ja3);
    if (tx->sh.seen)
        log_fp(w, "ja3s", tx->ja3s_hash, &tx->ja3s);
    if (tx->ch.seen)
        vg_jw_kv_str(w, "ja4", tx->ja4);
    log_alpns(w, "client_alpns", &tx->ch.alpn);
    log_alpns(w, "server_alpns", &tx->sh.alpn);
    log_handshakes(w, tx);
    vg_jw_obj_close(w);
}

static bool out_bytes(const tls_bytes_t *b, const uint8_t **data, size_t *len)
{
    if (!b->set)
        return false;
    *data = b->p;
    *len = b->n;
    return true;
}

static bool out_str(const char *s, size_t n, const uint8_t **data, size_t *len)
{
    if (n == 0)
        return false;
    *data = (const uint8_t *)s;
    *len = n;
    return true;
}

static bool tls_get_buffer(void *txp, enum vg_app_buf buf, const uint8_t **data, size_t *len)
{
    const tls_tx_t *tx = txp;
    switch (buf) {
    case VG_BUF_TLS_SNI: return out_bytes(&tx->ch.sni, data, len);
    case VG_BUF_TLS_CERT_SUBJECT: return out_bytes(&tx->cert.subject, data, len);
    case VG_BUF_TLS_CERT_ISSUER: return out_bytes(&tx->cert.issuer, data, len);
    case VG_BUF_TLS_CERT_SERIAL: return out_bytes(&tx->cert.serial, data, len);
    case VG_BUF_TLS_CERT_FINGERPRINT: return out_bytes(&tx->cert.fingerprint, data, len);
    case VG_BUF_TLS_VERSION:
        return tx->sh.seen && out_str(tx->version, strlen(tx->version), data, len);
    case VG_BUF_TLS_CLIENT_VERSION:
    case VG_BUF_TLS_SERVER_VERSION: {
        int dir = buf == VG_BUF_TLS_SERVER_VERSION;
        const uint8_t *w = tx->side_version_wire[dir];
        if (!w[0] && !w[1])
            return false;
        *data = w;
        *len = 2;
        return true;
    }
    case VG_BUF_JA3_HASH: return tx->ch.seen && out_str(tx->ja3_hash, 32, data, len);
    case VG_BUF_JA3_STRING: return tx->ch.seen && out_str(tx->ja3.data, tx->ja3.len, data, len);
    case VG_BUF_JA3S_HASH: return tx->sh.seen && out_str(tx->ja3s_hash, 32, data, len);
    case VG_BUF_JA3S_STRING:
        return tx->sh.seen && out_str(tx->ja3s.data, tx->ja3s.len, data, len);
    case VG_BUF_JA4_HASH: return tx->ch.seen && out_str(tx->ja4, strlen(tx->ja4), data, len);
    case VG_BUF_TLS_CERTS:
        if (!tx->n_chain)
            return false;
        *data = (const uint8_t *)tx->chain.data;
        *len = tx->chain_off[1];
        return true;
    default: return false;
    }
}

static bool tls_get_buffer_multi(void *txp, enum vg_app_buf buf, uint32_t idx,
                                 const uint8_t **data, size_t *len)
{
    const tls_tx_t *tx = txp;
    if (buf != VG_BUF_TLS_CERTS || idx >= tx->n_chain)
        return false;
    *data = (const uint8_t *)tx->chain.data + tx->chain_off[idx];
    *len = tx->chain_off[idx + 1] - tx->chain_off[idx];
    return true;
}

static size_t u16v_mem(const tls_u16v_t *v) { return v->v ? v->n * sizeof *v->v : 0; }
static size_t bytes_mem(const tls_bytes_t *b) { return b->p ? b->n : 0; }

static size_t tls_state_memuse(const void *state)
{
    const tls_state_t *st = state;
    size_t n = sizeof *st;
    for (int d = 0; d < 2; d++)
        if (st->d[d].hs)
            n += TLS_HS_MAX + 4;
    const tls_tx_t *tx = st->tx;
    if (tx) {
        const tls_client_hello_t *ch = &tx->ch;
        n += sizeof *tx + tx->chain.cap + tx->ja3.cap + tx->ja3s.cap;
        n += u16v_mem(&ch->ciphers) + u16v_mem(&ch->exts) + u16v_mem(&ch->groups) +
             u16v_mem(&ch->sigalgs) + u16v_mem(&ch->versions) + bytes_mem(&ch->ecpf) +
             bytes_mem(&ch->sni) + bytes_mem(&ch->alpn);
        n += u16v_mem(&tx->sh.exts) + bytes_mem(&tx->sh.alpn);
        n += bytes_mem(&tx->cert.subject) + bytes_mem(&tx->cert.issuer) +
             bytes_mem(&tx->cert.serial) + bytes_mem(&tx->cert.fingerprint);
    }
    return n;
}

const vg_app_ops_t vg_app_tls_ops = {
    .name = "tls",
    .id = VG_APP_TLS,
    .over_tcp = true,
    .over_udp = false,
    .ports = tls_ports,
    .probe = tls_probe,
    .state_new = tls_state_new,
    .state_free = tls_state_free,
    .parse = tls_parse,
    .gap = tls_gap,
    .tx_count = tls_tx_count,
    .tx_get = tls_tx_get,
    .tx_complete = tls_tx_complete,
    .log_tx = tls_log_tx,
    .tx_release = tls_tx_release,
    .state_memuse = tls_state_memuse,
    .get_buffer = tls_get_buffer,
    .get_buffer_multi = tls_get_buffer_multi,
    .multi_buf = VG_BUF_TLS_CERTS,
    .payload_encrypted = tls_payload_encrypted,
};
