/* tls_int.h — private to the TLS parser (app_tls.c, tls_hello.c, tls_cert.c).
 *
 * app_tls.c owns the record layer, handshake reassembly, the transaction and logging;
 * tls_hello.c decodes ClientHello/ServerHello and computes JA3, JA3S and JA4; tls_cert.c turns
 * the leaf certificate's DER into the strings Suricata logs. All decoders read through the
 * bounds-checked cursor below: a short read sets `err` and yields zeros, never reads past n.
 */
#ifndef VG_APP_TLS_INT_H
#define VG_APP_TLS_INT_H

#include "app/app.h"
#include "common/buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- bounds-checked cursor -------------------------------------------------------------- */

typedef struct tls_rd {
    const uint8_t *p;
    size_t n;
    bool err;
} tls_rd_t;

static inline tls_rd_t tls_rd(const uint8_t *p, size_t n) { return (tls_rd_t){p, n, false}; }

static inline bool tls_rd_need(tls_rd_t *r, size_t k)
{
    if (r->err || r->n < k) {
        r->err = true;
        return false;
    }
    return true;
}

static inline unsigned tls_rd_u8(tls_rd_t *r)
{
    if (!tls_rd_need(r, 1))
        return 0;
    unsigned v = r->p[0];
    r->p++, r->n--;
    return v;
}

static inline unsigned tls_rd_u16(tls_rd_t *r)
{
    if (!tls_rd_need(r, 2))
        return 0;
    unsigned v = (unsigned)r->p[0] << 8 | r->p[1];
    r->p += 2, r->n -= 2;
    return v;
}

static inline size_t tls_rd_u24(tls_rd_t *r)
{
    if (!tls_rd_need(r, 3))
        return 0;
    size_t v = (size_t)r->p[0] << 16 | (size_t)r->p[1] << 8 | r->p[2];
    r->p += 3, r->n -= 3;
    return v;
}

/* Takes k bytes as a sub-reader (empty and err on short input). */
static inline tls_rd_t tls_rd_sub(tls_rd_t *r, size_t k)
{
    if (!tls_rd_need(r, k))
        return (tls_rd_t){r->p, 0, true};
    tls_rd_t s = {r->p, k, false};
    r->p += k, r->n -= k;
    return s;
}

static inline void tls_anomaly(vg_app_ctx_t *ctx, const char *ev)
{
    if (ctx && ctx->anomaly)
        ctx->anomaly(ctx->user, VG_APP_TLS, ev);
}

/* GREASE (RFC 8701): 0x?A?A with both bytes equal. Excluded from JA3/JA3S/JA4. */
static inline bool tls_is_grease(unsigned v) { return (v & 0x0F0F) == 0x0A0A && (v >> 8) == (v & 0xFF); }

/* ---- decoded hellos ----------------------------------------------------------------------- */

typedef struct tls_u16v {
    uint16_t *v;
    size_t n;
} tls_u16v_t;

typedef struct tls_bytes {
    uint8_t *p;
    size_t n;
    bool set;
} tls_bytes_t;

void tls_bytes_set(tls_bytes_t *b, const void *p, size_t n);
void tls_bytes_free(tls_bytes_t *b);

typedef struct tls_client_hello {
    bool seen;
    uint16_t version;           /* legacy_version */
    uint8_t sid_len;
    uint8_t sid[32];
    tls_u16v_t ciphers, exts, groups, sigalgs, versions;
    tls_bytes_t ecpf;           /* ec_point_formats */
    tls_bytes_t sni;            /* first host_name */
    tls_bytes_t alpn;           /* ALPN ProtocolNameList body: (len8, bytes)* */
} tls_client_hello_t;

typedef struct tls_server_hello {
    bool seen;
    bool is_hrr;                /* HelloRetryRequest (TLS 1.3): another ServerHello follows */
    bool has_psk;               /* pre_shared_key accepted: TLS 1.3 resumption */
    uint16_t version;           /* legacy_version */
    uint16_t selected_version;  /* supported_versions when present, else version */
    uint16_t cipher;
    uint8_t sid_len;
    uint8_t sid[32];
    tls_u16v_t exts;
    tls_bytes_t alpn;
} tls_server_hello_t;

/* Decodes a ClientHello body (after the 4-byte handshake header). Fills what it can and raises
 * anomalies; false when the message is malformed (fields decoded before the fault stay). */
bool tls_client_hello_parse(tls_client_hello_t *ch, const uint8_t *p, size_t n,
                            vg_app_ctx_t *ctx);
bool tls_server_hello_parse(tls_server_hello_t *sh, const uint8_t *p, size_t n,
                            vg_app_ctx_t *ctx);
void tls_client_hello_fini(tls_client_hello_t *ch);
void tls_server_hello_fini(tls_server_hello_t *sh);

/* Fingerprints. Strings are appended to out (not NUL-terminated). */
void tls_ja3_string(const tls_client_hello_t *ch, vg_buf_t *out);
void tls_ja3s_string(const tls_server_hello_t *sh, vg_buf_t *out);
/* JA4 (FoxIO spec) into out[37]: "t13d1516h2_8daaf6152771_e5627efa2ab1" + NUL. */
void tls_ja4(const tls_client_hello_t *ch, char out[37]);
/* Lowercase hex digest of p into out (2 * digest length + NUL); md is "MD5", "SHA1" or
 * "SHA256". Returns false if the digest is unavailable. */
bool tls_digest_hex(const char *md, const void *p, size_t n, char *out, size_t out_cap);

/* ---- certificates ------------------------------------------------------------------------ */

typedef struct tls_cert_info {
    bool parsed;
    tls_bytes_t subject, issuer;   /* "C=US, O=Let's Encrypt, CN=R3" (raw value bytes kept) */
    tls_bytes_t serial;            /* "00:E1:..." */
    tls_bytes_t fingerprint;       /* SHA-1 of the DER, "ab:cd:..." */
    char notbefore[24], notafter[24]; /* "2023-01-01T00:00:00", empty when unknown */
} tls_cert_info_t;

/* Parses one DER certificate with libcrypto. False (and nothing set) on garbage. */
bool tls_cert_parse(tls_cert_info_t *ci, const uint8_t *der, size_t n);
void tls_cert_fini(tls_cert_info_t *ci);

#endif
