/* tls_cert.c — leaf certificate fields, formatted the way Suricata logs them.
 *
 * The DER comes from a TLS <= 1.2 Certificate message and is hostile: libcrypto's d2i_X509
 * does the ASN.1 work and rejects garbage; we only format what it returns.
 *   subject / issuerdn: RDNs in certificate order, "SN=value" joined by ", " (multi-valued RDN
 *       members joined by "+"); value bytes are kept as they are (a NUL stays a NUL, which
 *       rules use to catch NUL-injection names); BMP/Universal strings become UTF-8.
 *   serial: the INTEGER's content octets as uppercase hex pairs joined by ':' (a leading 00
 *       pad byte is kept, as Suricata does).
 *   fingerprint: SHA-1 of the whole DER, lowercase hex pairs joined by ':'.
 *   notbefore / notafter: UTC "YYYY-MM-DDTHH:MM:SS".
 */
#include "app/tls_int.h"

#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void put_name_value(vg_buf_t *b, const ASN1_STRING *v)
{
    int t = ASN1_STRING_type(v);
    if (t == V_ASN1_BMPSTRING || t == V_ASN1_UNIVERSALSTRING) {
        unsigned char *u = NULL;
        int n = ASN1_STRING_to_UTF8(&u, v);
        if (n > 0)
            vg_buf_append(b, u, (size_t)n);
        OPENSSL_free(u);
        return;
    }
    int n = ASN1_STRING_length(v);
    if (n > 0)
        vg_buf_append(b, ASN1_STRING_get0_data(v), (size_t)n);
}

static void format_name(const X509_NAME *name, tls_bytes_t *out)
{
    vg_buf_t b;
    vg_buf_init(&b, 128);
    int prev_set = -1;
    for (int i = 0; i < X509_NAME_entry_count(name); i++) {
        const X509_NAME_ENTRY *e = X509_NAME_get_entry(name, i);
        const ASN1_OBJECT *obj = X509_NAME_ENTRY_get_object(e);
        int set = X509_NAME_ENTRY_set(e);
        if (i)
            vg_buf_puts(&b, set == prev_set ? "+" : ", ");
        prev_set = set;
        int nid = OBJ_obj2nid(obj);
        char oid[80];
        const char *sn = nid != NID_undef ? OBJ_nid2sn(nid) : NULL;
        if (!sn) {
            if (OBJ_obj2txt(oid, sizeof oid, obj, 1) <= 0)
                snprintf(oid, sizeof oid, "?");
            sn = oid;
        }
        vg_buf_puts(&b, sn);
        vg_buf_putc(&b, '=');
        put_name_value(&b, X509_NAME_ENTRY_get_data(e));
    }
    tls_bytes_set(out, b.data, b.len);
    vg_buf_fini(&b);
}

/* Hex pairs joined by ':'. */
static void format_hex(tls_bytes_t *out, const uint8_t *p, size_t n, bool upper)
{
    vg_buf_t b;
    vg_buf_init(&b, n * 3 + 1);
    for (size_t i = 0; i < n; i++) {
        char h[4];
        snprintf(h, sizeof h, upper ? "%s%02X" : "%s%02x", i ? ":" : "", p[i]);
        vg_buf_puts(&b, h);
    }
    tls_bytes_set(out, b.data, b.len);
    vg_buf_fini(&b);
}

/* Content octets of the serial's DER encoding (tag, length, then content). */
static void format_serial(const X509 *x, tls_bytes_t *out)
{
    const ASN1_INTEGER *s = X509_get0_serialNumber(x);
    unsigned char *der = NULL;
    int n = s ? i2d_ASN1_INTEGER(s, &der) : -1;
    if (n < 2) {
        OPENSSL_free(der);
        return;
    }
    size_t hdr = 2;
    if (der[1] & 0x80)
        hdr += der[1] & 0x7F;
    if ((size_t)n > hdr)
        format_hex(out, der + hdr, (size_t)n - hdr, true);
    OPENSSL_free(der);
}

static void format_time(const ASN1_TIME *t, char out[24])
{
    struct tm tm;
    out[0] = '\0';
    if (!t || !ASN1_TIME_to_tm(t, &tm))
        return;
    if (strftime(out, 24, "%Y-%m-%dT%H:%M:%S", &tm) == 0)
        out[0] = '\0';
}

/* Parsing a certificate with libcrypto costs ~0.2 M instructions (OpenSSL 3 decodes the public
 * key too), and the same few certificates come back on every connection to the same servers.
 * Each thread keeps the formatted fields of its last CERT_CACHE certificates, keyed by the
 * SHA-1 of the DER (which the fingerprint needs anyway) and its length; a certificate whose
 * fields do not fit an entry is simply parsed every time. Fixed-size, no heap: nothing to free
 * when a thread ends. Unparseable DER is remembered too (it fails the same way again). */
#define CERT_CACHE 64
#define CERT_FIELD 448
typedef struct cert_slot {
    uint8_t sha1[20];
    uint32_t der_len;       /* 0: empty slot */
    bool valid;
    uint16_t n_subject, n_issuer, n_serial;
    char subject[CERT_FIELD], issuer[CERT_FIELD], serial[128];
    char notbefore[24], notafter[24];
} cert_slot_t;
static _Thread_local cert_slot_t cert_cache[CERT_CACHE];

static bool slot_put(char *dst, uint16_t *dn, size_t cap, const tls_bytes_t *b)
{
    if (b->n > cap)
        return false;
    if (b->n)
        memcpy(dst, b->p, b->n);
    *dn = b->set ? (uint16_t)b->n : UINT16_MAX; /* UINT16_MAX: absent */
    return true;
}

static void slot_get(tls_bytes_t *b, const char *src, uint16_t n)
{
    if (n != UINT16_MAX)
        tls_bytes_set(b, src, n);
}

static bool parse_der(tls_cert_info_t *ci, const uint8_t *der, size_t n, const uint8_t *md,
                      unsigned ml)
{
    const unsigned char *p = der;
    X509 *x = d2i_X509(NULL, &p, (long)n);
    if (!x) {
        ERR_clear_error();
        return false;
    }
    tls_cert_fini(ci);
    format_name(X509_get_subject_name(x), &ci->subject);
    format_name(X509_get_issuer_name(x), &ci->issuer);
    format_serial(x, &ci->serial);
    format_time(X509_get0_notBefore(x), ci->notbefore);
    format_time(X509_get0_notAfter(x), ci->notafter);
    if (ml)
        format_hex(&ci->fingerprint, md, ml, false);
    X509_free(x);
    ERR_clear_error();
    ci->parsed = true;
    return true;
}

bool tls_cert_parse(tls_cert_info_t *ci, const uint8_t *der, size_t n)
{
    if (n == 0 || n > 0x7FFFFFFF)
        return false;
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int ml = 0;
    if (!EVP_Digest(der, n, md, &ml, EVP_sha1(), NULL) || ml != 20)
        return parse_der(ci, der, n, NULL, 0);
    cert_slot_t *sl = &cert_cache[(md[0] | (unsigned)md[1] << 8) % CERT_CACHE];
    if (sl->der_len == n && memcmp(sl->sha1, md, 20) == 0) {
        if (!sl->valid)
            return false;
        tls_cert_fini(ci);
        slot_get(&ci->subject, sl->subject, sl->n_subject);
        slot_get(&ci->issuer, sl->issuer, sl->n_issuer);
        slot_get(&ci->serial, sl->serial, sl->n_serial);
        memcpy(ci->notbefore, sl->notbefore, sizeof ci->notbefore);
        memcpy(ci->notafter, sl->notafter, sizeof ci->notafter);
        format_hex(&ci->fingerprint, md, ml, false);
        ci->parsed = true;
        return true;
    }
    bool ok = parse_der(ci, der, n, md, ml);
    sl->der_len = 0;
    sl->valid = ok;
    if (ok && !(slot_put(sl->subject, &sl->n_subject, sizeof sl->subject, &ci->subject) &&
                slot_put(sl->issuer, &sl->n_issuer, sizeof sl->issuer, &ci->issuer) &&
                slot_put(sl->serial, &sl->n_serial, sizeof sl->serial, &ci->serial)))
        return ok; /* too long to keep: left empty */
    if (ok) {
        memcpy(sl->notbefore, ci->notbefore, sizeof sl->notbefore);
        memcpy(sl->notafter, ci->notafter, sizeof sl->notafter);
    }
    memcpy(sl->sha1, md, 20);
    sl->der_len = (uint32_t)n;
    return ok;
}

void tls_cert_fini(tls_cert_info_t *ci)
{
    tls_bytes_free(&ci->subject);
    tls_bytes_free(&ci->issuer);
    tls_bytes_free(&ci->serial);
    tls_bytes_free(&ci->fingerprint);
    memset(ci, 0, sizeof *ci);
}
