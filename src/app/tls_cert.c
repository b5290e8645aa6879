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

bool tls_cert_parse(tls_cert_info_t *ci, const uint8_t *der, size_t n)
{
    if (n == 0 || n > 0x7FFFFFFF)
        return false;
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
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int ml = 0;
    if (EVP_Digest(der, n, md, &ml, EVP_sha1(), NULL))
        format_hex(&ci->fingerprint, md, ml, false);
    X509_free(x);
    ERR_clear_error();
    ci->parsed = true;
    return true;
}

void tls_cert_fini(tls_cert_info_t *ci)
{
    tls_bytes_free(&ci->subject);
    tls_bytes_free(&ci->issuer);
    tls_bytes_free(&ci->serial);
    tls_bytes_free(&ci->fingerprint);
    memset(ci, 0, sizeof *ci);
}
