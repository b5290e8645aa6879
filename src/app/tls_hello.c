/* tls_hello.c — ClientHello / ServerHello decoding and the JA3, JA3S and JA4 fingerprints.
 *
 * ClientHello body (RFC 8446 4.1.2, RFC 5246 7.4.1.2):
 *   legacy_version(2) random(32) session_id<0..32> cipher_suites<2..2^16-2>
 *   compression_methods<1..2^8-1> [extensions<0..2^16-1>: (type(2) length(2) data)*]
 * ServerHello body: legacy_version(2) random(32) session_id<0..32> cipher_suite(2)
 *   compression_method(1) [extensions]
 * Extensions decoded here: server_name(0), supported_groups(10), ec_point_formats(11),
 * signature_algorithms(13), ALPN(16), pre_shared_key(41), supported_versions(43).
 *
 * JA3  = MD5("version,ciphers,extensions,groups,point_formats"), decimal, '-' separated,
 *        GREASE removed, offered order.
 * JA3S = MD5("version,cipher,extensions").
 * JA4  (FoxIO) = a_b_c where
 *   a = 't' + version code (highest non-GREASE supported_versions, else legacy) + 'd'|'i'
 *       (SNI present) + 2-digit cipher count + 2-digit extension count (GREASE removed, capped
 *       at 99) + first/last character of the first ALPN value ("00" without ALPN);
 *   b = first 12 hex of SHA-256 of the sorted cipher list ("%04x" joined by ',');
 *   c = first 12 hex of SHA-256 of the sorted extension list without SNI and ALPN, followed by
 *       '_' and the signature algorithms in offered order when there are any.
 *   An empty cipher or extension list hashes to "000000000000" (FoxIO; Suricata hashes the
 *   empty string instead — see docs/APP_DNS_TLS_SSH.md).
 */
#include "app/tls_int.h"

#include <openssl/evp.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void tls_bytes_set(tls_bytes_t *b, const void *p, size_t n)
{
    free(b->p);
    b->p = vg_xmalloc(n ? n : 1);
    if (n)
        memcpy(b->p, p, n);
    b->n = n;
    b->set = true;
}

void tls_bytes_free(tls_bytes_t *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}

static void u16v_free(tls_u16v_t *v)
{
    free(v->v);
    v->v = NULL;
    v->n = 0;
}

/* Reads a list of n_bytes/2 u16 values from r into v (replacing it). */
static bool u16v_read(tls_u16v_t *v, tls_rd_t *r, size_t n_bytes)
{
    if (n_bytes % 2 || !tls_rd_need(r, n_bytes))
        return false;
    u16v_free(v);
    v->v = vg_xmalloc(n_bytes ? n_bytes : 1);
    v->n = n_bytes / 2;
    for (size_t i = 0; i < v->n; i++)
        v->v[i] = (uint16_t)tls_rd_u16(r);
    return true;
}

/* ---- extensions -------------------------------------------------------------------------- */

static bool ext_sni(tls_client_hello_t *ch, tls_rd_t r, vg_app_ctx_t *ctx)
{
    if (ch->sni.set) {
        tls_anomaly(ctx, "MULTIPLE_SNI_EXTENSIONS");
        return true;
    }
    size_t list = tls_rd_u16(&r);
    if (r.err || list != r.n) {
        tls_anomaly(ctx, "INVALID_SNI_LENGTH");
        return false;
    }
    while (r.n && !r.err) {
        unsigned type = tls_rd_u8(&r);
        size_t len = tls_rd_u16(&r);
        tls_rd_t name = tls_rd_sub(&r, len);
        if (r.err) {
            tls_anomaly(ctx, "INVALID_SNI_LENGTH");
            return false;
        }
        if (type != 0) {
            tls_anomaly(ctx, "INVALID_SNI_TYPE");
            continue;
        }
        if (!ch->sni.set)
            tls_bytes_set(&ch->sni, name.p, name.n);
    }
    return true;
}

/* ALPN body: u16 list length, then (u8 len, bytes)* with no empty names. */
static bool ext_alpn(tls_bytes_t *out, tls_rd_t r)
{
    size_t list = tls_rd_u16(&r);
    if (r.err || list != r.n || list == 0)
        return false;
    tls_rd_t chk = r;
    while (chk.n) {
        size_t l = tls_rd_u8(&chk);
        tls_rd_sub(&chk, l);
        if (chk.err || l == 0)
            return false;
    }
    tls_bytes_set(out, r.p, r.n);
    return true;
}

static bool ext_u16_list16(tls_u16v_t *v, tls_rd_t r)
{
    size_t n = tls_rd_u16(&r);
    return !r.err && n == r.n && u16v_read(v, &r, n);
}

static bool client_ext(tls_client_hello_t *ch, unsigned type, tls_rd_t r, vg_app_ctx_t *ctx)
{
    size_t n;
    switch (type) {
    case 0:
        return ext_sni(ch, r, ctx);
    case 10:
        return ext_u16_list16(&ch->groups, r);
    case 11:
        n = tls_rd_u8(&r);
        if (r.err || n != r.n)
            return false;
        tls_bytes_set(&ch->ecpf, r.p, n);
        return true;
    case 13:
        return ext_u16_list16(&ch->sigalgs, r);
    case 16:
        return ext_alpn(&ch->alpn, r);
    case 43:
        n = tls_rd_u8(&r);
        return !r.err && n == r.n && u16v_read(&ch->versions, &r, n);
    default:
        return true;
    }
}

/* Walks the extensions block, appending every type to exts and handing bodies to fn. */
static bool walk_exts(tls_rd_t *r, tls_u16v_t *exts, void *obj,
                      bool (*fn)(void *obj, unsigned type, tls_rd_t body, vg_app_ctx_t *ctx),
                      vg_app_ctx_t *ctx)
{
    if (r->n == 0) /* no extensions block at all (SSLv3-era hello) */
        return true;
    size_t total = tls_rd_u16(r);
    tls_rd_t all = tls_rd_sub(r, total);
    if (r->err || r->n) /* block length must match what is left of the message */
        return false;
    size_t cap = total / 4;
    u16v_free(exts);
    exts->v = vg_xmalloc((cap ? cap : 1) * sizeof *exts->v);
    while (all.n) {
        unsigned type = tls_rd_u16(&all);
        size_t len = tls_rd_u16(&all);
        tls_rd_t body = tls_rd_sub(&all, len);
        if (all.err)
            return false;
        exts->v[exts->n++] = (uint16_t)type;
        if (!fn(obj, type, body, ctx))
            tls_anomaly(ctx, "INVALID_HANDSHAKE_MESSAGE");
    }
    return true;
}

static bool client_ext_cb(void *obj, unsigned type, tls_rd_t body, vg_app_ctx_t *ctx)
{
    return client_ext(obj, type, body, ctx);
}

static bool server_ext_cb(void *obj, unsigned type, tls_rd_t r, vg_app_ctx_t *ctx)
{
    tls_server_hello_t *sh = obj;
    switch (type) {
    case 16:
        return ext_alpn(&sh->alpn, r);
    case 41:
        sh->has_psk = true;
        return true;
    case 43:
        sh->selected_version = (uint16_t)tls_rd_u16(&r);
        return !r.err && r.n == 0;
    default:
        return true;
    }
}

/* ---- hellos ------------------------------------------------------------------------------ */

bool tls_client_hello_parse(tls_client_hello_t *ch, const uint8_t *p, size_t n,
                            vg_app_ctx_t *ctx)
{
    tls_rd_t r = tls_rd(p, n);
    ch->seen = true;
    ch->version = (uint16_t)tls_rd_u16(&r);
    tls_rd_sub(&r, 32); /* random */
    size_t sid = tls_rd_u8(&r);
    tls_rd_t s = tls_rd_sub(&r, sid);
    if (r.err || sid > 32)
        return false;
    ch->sid_len = (uint8_t)sid;
    memcpy(ch->sid, s.p, sid);
    size_t cs = tls_rd_u16(&r);
    if (r.err || !u16v_read(&ch->ciphers, &r, cs))
        return false;
    size_t comp = tls_rd_u8(&r);
    tls_rd_sub(&r, comp);
    if (r.err)
        return false;
    return walk_exts(&r, &ch->exts, ch, client_ext_cb, ctx);
}

static const uint8_t hrr_random[32] = {
    0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
    0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C};

bool tls_server_hello_parse(tls_server_hello_t *sh, const uint8_t *p, size_t n,
                            vg_app_ctx_t *ctx)
{
    tls_rd_t r = tls_rd(p, n);
    tls_server_hello_fini(sh); /* a ServerHello after a HelloRetryRequest replaces it */
    sh->seen = true;
    sh->version = (uint16_t)tls_rd_u16(&r);
    sh->selected_version = sh->version;
    tls_rd_t rnd = tls_rd_sub(&r, 32);
    size_t sid = tls_rd_u8(&r);
    tls_rd_t s = tls_rd_sub(&r, sid);
    if (r.err || sid > 32)
        return false;
    sh->is_hrr = memcmp(rnd.p, hrr_random, 32) == 0;
    sh->sid_len = (uint8_t)sid;
    memcpy(sh->sid, s.p, sid);
    sh->cipher = (uint16_t)tls_rd_u16(&r);
    tls_rd_u8(&r); /* compression */
    if (r.err)
        return false;
    return walk_exts(&r, &sh->exts, sh, server_ext_cb, ctx);
}

void tls_client_hello_fini(tls_client_hello_t *ch)
{
    u16v_free(&ch->ciphers);
    u16v_free(&ch->exts);
    u16v_free(&ch->groups);
    u16v_free(&ch->sigalgs);
    u16v_free(&ch->versions);
    tls_bytes_free(&ch->ecpf);
    tls_bytes_free(&ch->sni);
    tls_bytes_free(&ch->alpn);
    memset(ch, 0, sizeof *ch);
}

void tls_server_hello_fini(tls_server_hello_t *sh)
{
    u16v_free(&sh->exts);
    tls_bytes_free(&sh->alpn);
    memset(sh, 0, sizeof *sh);
}

/* ---- JA3 / JA3S -------------------------------------------------------------------------- */

static void put_dec_list(vg_buf_t *out, const uint16_t *v, size_t n)
{
    bool first = true;
    char num[8];
    for (size_t i = 0; i < n; i++) {
        if (tls_is_grease(v[i]))
            continue;
        snprintf(num, sizeof num, first ? "%u" : "-%u", v[i]);
        vg_buf_puts(out, num);
        first = false;
    }
}

void tls_ja3_string(const tls_client_hello_t *ch, vg_buf_t *out)
{
    char num[8];
    snprintf(num, sizeof num, "%u,", ch->version);
    vg_buf_puts(out, num);
    put_dec_list(out, ch->ciphers.v, ch->ciphers.n);
    vg_buf_putc(out, ',');
    put_dec_list(out, ch->exts.v, ch->exts.n);
    vg_buf_putc(out, ',');
    put_dec_list(out, ch->groups.v, ch->groups.n);
    vg_buf_putc(out, ',');
    for (size_t i = 0; i < ch->ecpf.n; i++) {
        snprintf(num, sizeof num, i ? "-%u" : "%u", ch->ecpf.p[i]);
        vg_buf_puts(out, num);
    }
}

void tls_ja3s_string(const tls_server_hello_t *sh, vg_buf_t *out)
{
    char num[16];
    snprintf(num, sizeof num, "%u,%u,", sh->version, sh->cipher);
    vg_buf_puts(out, num);
    put_dec_list(out, sh->exts.v, sh->exts.n);
}

bool tls_digest_hex(const char *md, const void *p, size_t n, char *out, size_t out_cap)
{
    const EVP_MD *type = strcmp(md, "MD5") == 0    ? EVP_md5()
                         : strcmp(md, "SHA1") == 0 ? EVP_sha1()
                                                   : EVP_sha256();
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned int dl = 0;
    if (!EVP_Digest(p, n, d, &dl, type, NULL) || out_cap < 2 * (size_t)dl + 1) {
        if (out_cap)
            out[0] = '\0';
        return false;
    }
    for (unsigned i = 0; i < dl; i++)
        snprintf(out + 2 * i, 3, "%02x", d[i]);
    return true;
}

/* ---- JA4 --------------------------------------------------------------------------------- */

static int cmp_u16(const void *a, const void *b)
{
    return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b;
}

/* Non-GREASE values of v, optionally without SNI/ALPN, optionally sorted, into a new array. */
static size_t ja4_list(const tls_u16v_t *v, bool drop_sni_alpn, bool sort, uint16_t **out)
{
    size_t k = 0;
    *out = vg_xmalloc((v->n ? v->n : 1) * sizeof **out);
    for (size_t i = 0; i < v->n; i++) {
        if (tls_is_grease(v->v[i]))
            continue;
        if (drop_sni_alpn && (v->v[i] == 0 || v->v[i] == 16))
            continue;
        (*out)[k++] = v->v[i];
    }
    if (sort)
        qsort(*out, k, sizeof **out, cmp_u16);
    return k;
}

static void put_hex_list(vg_buf_t *b, const uint16_t *v, size_t n)
{
    char h[8];
    for (size_t i = 0; i < n; i++) {
        snprintf(h, sizeof h, i ? ",%04x" : "%04x", v[i]);
        vg_buf_puts(b, h);
    }
}

static const char *ja4_version(const tls_client_hello_t *ch)
{
    unsigned v = 0;
    for (size_t i = 0; i < ch->versions.n; i++)
        if (!tls_is_grease(ch->versions.v[i]) && ch->versions.v[i] > v)
            v = ch->versions.v[i];
    if (v == 0)
        v = ch->version;
    switch (v) {
    case 0x0304: return "13";
    case 0x0303: return "12";
    case 0x0302: return "11";
    case 0x0301: return "10";
    case 0x0300: return "s3";
    case 0x0200: return "s2";
    case 0x0100: return "s1";
    default: return "00";
    }
}

static bool is_alnum(uint8_t c)
{
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/* First and last character of the first ALPN value; its hex form's first and last digit when
 * either end is not alphanumeric. */
static void ja4_alpn(const tls_client_hello_t *ch, char out[3])
{
    out[0] = out[1] = '0';
    out[2] = '\0';
    if (!ch->alpn.set || ch->alpn.n < 2 || ch->alpn.p[0] == 0)
        return;
    const uint8_t *v = ch->alpn.p + 1;
    size_t n = VG_MIN((size_t)ch->alpn.p[0], ch->alpn.n - 1);
    if (n == 0)
        return;
    if (is_alnum(v[0]) && is_alnum(v[n - 1])) {
        out[0] = (char)v[0];
        out[1] = (char)v[n - 1];
    } else {
        static const char hx[] = "0123456789abcdef";
        out[0] = hx[v[0] >> 4];
        out[1] = hx[v[n - 1] & 0xF];
    }
}

static void hash12(const vg_buf_t *b, char out[13])
{
    char full[65];
    tls_digest_hex("SHA256", b->data, b->len, full, sizeof full);
    memcpy(out, full, 12);
    out[12] = '\0';
}

void tls_ja4(const tls_client_hello_t *ch, char out[37])
{
    uint16_t *ciphers, *exts, *sigs;
    size_t nc = ja4_list(&ch->ciphers, false, true, &ciphers);
    size_t ne_all = 0;
    for (size_t i = 0; i < ch->exts.n; i++)
        ne_all += !tls_is_grease(ch->exts.v[i]);
    size_t ne = ja4_list(&ch->exts, true, true, &exts);
    size_t ns = ja4_list(&ch->sigalgs, false, false, &sigs);
    bool sni = false;
    for (size_t i = 0; i < ch->exts.n; i++)
        sni |= ch->exts.v[i] == 0;
    char alpn[3], b_hash[13] = "000000000000", c_hash[13] = "000000000000";
    ja4_alpn(ch, alpn);

    vg_buf_t b;
    vg_buf_init(&b, 256);
    if (nc) {
        put_hex_list(&b, ciphers, nc);
        hash12(&b, b_hash);
    }
    if (ne) {
        vg_buf_reset(&b);
        put_hex_list(&b, exts, ne);
        if (ns) {
            vg_buf_putc(&b, '_');
            put_hex_list(&b, sigs, ns);
        }
        hash12(&b, c_hash);
    }
    vg_buf_fini(&b);
    snprintf(out, 37, "t%s%c%02u%02u%s_%s_%s", ja4_version(ch), sni ? 'd' : 'i',
             (unsigned)VG_MIN(nc, 99), (unsigned)VG_MIN(ne_all, 99), alpn, b_hash, c_hash);
    free(ciphers);
    free(exts);
    free(sigs);
}
