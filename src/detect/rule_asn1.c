/* rule_asn1.c — the asn1 keyword: its options and its checks on a BER-encoded payload.
 *
 * Semantics are Suricata 7.0.10's (learned from its source and checked side by side on
 * generated captures, see docs/RULES.md):
 *
 *  - options: bitstring_overflow, double_overflow, oversize_length <u32>, absolute_offset <u16>,
 *    relative_offset <-65535..65535>, separated by whitespace and/or commas. Both offsets may be
 *    given: the absolute one wins. An unknown word, a missing or out-of-range number, an empty
 *    value, an empty option between separators or a quoted value is an error.
 *  - the keyword is a packet keyword: it always decodes the packet's own payload (whatever
 *    sticky buffer precedes it), after the rule's other lists matched, and relative_offset
 *    counts from where the payload match left off (on the raw-stream window when that is what
 *    matched, as Suricata's det_ctx->buffer_offset).
 *  - decoding starts at the offset (no match when it is at or past the payload's end) and reads
 *    up to 256 top-level objects (the asn1-max-frames of Suricata's shipped configuration); more
 *    objects than that is no match at all. The first object that does not decode ends the walk,
 *    keeping the objects before it.
 *  - the checks run on every decoded object and on the children of universal SEQUENCE/SET (the
 *    only types whose children Suricata's decoder keeps; application, context and private
 *    class objects are opaque): oversize_length — a definite length above the value;
 *    bitstring_overflow — a universal primitive BIT STRING whose unused-bits count exceeds its
 *    length in bits; double_overflow — a universal primitive REAL longer than 256 bytes whose
 *    first content byte has neither of its two high bits set (decimal encoding).
 *
 * What "decodes" means is the behaviour of the BER decoder in Suricata 7.0.10 (der-parser
 * 6.0.1), reproduced from observation: nesting deeper than 50 fails, indefinite length is an
 * error on a primitive encoding, definite lengths must fit the data (and 32 bits), long-form tags
 * take up to five continuation bytes; BOOLEAN must be one byte, BIT STRING at least one and
 * primitive, ENUMERATED must fit 32 bits, the character strings are checked against their
 * character sets (UTF-8, NumericString, PrintableString, IA5String, VisibleString, BMPString
 * without surrogates), UTCTime and GeneralizedTime against their formats; the string types but
 * OCTET STRING may not be constructed. The other types are taken as they come.
 *
 * Everything is bounded by the payload: no read past the buffer, recursion at most 50 deep.
 */
#include "detect/rule_int.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#define ASN1_MAX_FRAMES 256  /* asn1-max-frames in Suricata's suricata.yaml */
#define ASN1_MAX_DEPTH 50    /* nesting the decoder accepts (objects at depth 0..49) */

/* ---- the keyword's value ---- */

static const char *ws(const char *p)
{
    while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
        p++;
    return p;
}

static bool is_ws(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

/* "NAME<ws+>[-]DIGITS" at p: the number (range-checked by the caller) and the end. */
static bool named_num(const char *p, const char *name, bool sign, int64_t *v, const char **end)
{
    size_t k = strlen(name);
    if (strncmp(p, name, k) != 0 || !is_ws(p[k]))
        return false;
    const char *q = ws(p + k);
    bool neg = false;
    if (sign && *q == '-') {
        neg = true;
        q++;
    }
    if (!isdigit((unsigned char)*q))
        return false;
    int64_t n = 0;
    while (isdigit((unsigned char)*q)) {
        n = n * 10 + (*q - '0');
        if (n > 0xFFFFFFFFll)
            return false; /* wider than the option's type: no match for this option */
        q++;
    }
    *v = neg ? -n : n;
    *end = q;
    return true;
}

/* Suricata's grammar: each round skips whitespace, then tries in this order bitstring_overflow,
 * double_overflow, oversize_length N, absolute_offset N, relative_offset N (each optional,
 * each starting right where the previous one ended), then one separator (whitespace or a
 * comma). Only the first option found in a round takes effect; a round that finds none is an
 * error. */
bool vg_parse_asn1(const char *val, vg_asn1_t *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    if (!val || !*val) {
        snprintf(err, errlen, "asn1 needs at least one option");
        return false;
    }
    const char *p = val;
    while (*p) {
        const char *r = ws(p), *e;
        int first = -1;
        int64_t v = 0, first_v = 0;
        if (!strncmp(r, "bitstring_overflow", 18)) {
            first = 0;
            r += 18;
        }
        if (!strncmp(r, "double_overflow", 15)) {
            if (first < 0)
                first = 1;
            r += 15;
        }
        if (named_num(r, "oversize_length", false, &v, &e)) {
            if (first < 0)
                first = 2, first_v = v;
            r = e;
        }
        if (named_num(r, "absolute_offset", false, &v, &e) && v <= 65535) {
            if (first < 0)
                first = 3, first_v = v;
            r = e;
        }
        if (named_num(r, "relative_offset", true, &v, &e) && v >= -65535 && v <= 65535) {
            if (first < 0)
                first = 4, first_v = v;
            r = e;
        }
        if (is_ws(*r))
            r = ws(r);
        else if (*r == ',')
            r++;
        switch (first) {
        case 0: out->flags |= VG_ASN1_BITSTRING_OVERFLOW; break;
        case 1: out->flags |= VG_ASN1_DOUBLE_OVERFLOW; break;
        case 2:
            out->flags |= VG_ASN1_OVERSIZE;
            out->oversize_length = (uint32_t)first_v;
            break;
        case 3:
            out->flags |= VG_ASN1_ABSOLUTE;
            out->absolute_offset = (uint16_t)first_v;
            break;
        case 4:
            out->flags |= VG_ASN1_RELATIVE;
            out->relative_offset = (int32_t)first_v;
            break;
        default: {
            const char *w = ws(p);
            snprintf(err, errlen, "invalid option at \"%.40s\" (want bitstring_overflow, "
                     "double_overflow, oversize_length N, absolute_offset N, relative_offset N)",
                     *w ? w : p);
            return false;
        }
        }
        p = r;
    }
    return true;
}

int vg_kw_asn1(vg_pctx_t *pc, const vg_kw_t *kw, char *val)
{
    (void)kw;
    vg_asn1_t a;
    char err[192];
    if (val[0] == '"') /* as Suricata: the keyword does not take a quoted value */
        return VG_PC_SYNTAX(pc, "asn1: quotes are not allowed around its options");
    if (!vg_parse_asn1(val, &a, err, sizeof err))
        return VG_PC_SYNTAX(pc, "asn1: %s", err);
    vg_pc_add_pm(pc, VG_PM_ASN1)->asn1 = a;
    return 0;
}

/* ---- the BER walk ---- */

enum { CLS_UNIVERSAL = 0, CLS_APPLICATION = 1, CLS_CONTEXT = 2, CLS_PRIVATE = 3 };

typedef struct ber_hdr {
    uint8_t cls;
    bool constructed, indefinite;
    uint32_t tag;
    uint64_t len;     /* definite length */
    size_t hlen;      /* identifier and length octets */
} ber_hdr_t;

typedef struct walk {
    const vg_asn1_t *a;
    uint32_t hits;    /* checks that matched on objects decoded so far */
} walk_t;

static bool read_hdr(const uint8_t *p, size_t n, ber_hdr_t *h)
{
    if (n < 1)
        return false;
    h->cls = p[0] >> 6;
    h->constructed = (p[0] & 0x20) != 0;
    h->tag = p[0] & 0x1f;
    size_t i = 1;
    if (h->tag == 0x1f) {
        uint32_t t = 0;
        for (;;) {
            if (i >= n || i > 5)
                return false;
            t = (t << 7) | (p[i] & 0x7f); /* a 32-bit tag: higher bits fall off */
            if (!(p[i++] & 0x80))
                break;
        }
        h->tag = t;
    }
    if (i >= n)
        return false;
    uint8_t l = p[i++];
    h->indefinite = false;
    h->len = 0;
    if (l < 0x80) {
        h->len = l;
    } else if (l == 0x80) {
        if (!h->constructed)
            return false; /* indefinite length on a primitive encoding */
        h->indefinite = true;
    } else {
        size_t k = l & 0x7f;
        if (k == 0x7f || n - i < k)
            return false;
        uint64_t v = 0;
        for (size_t j = 0; j < k; j++) {
            if (v & 0xff00000000000000ull)
                return false;
            v = v << 8 | p[i + j];
        }
        i += k;
        if (v > 0xFFFFFFFFull)
            return false;
        h->len = v;
    }
    h->hlen = i;
    return true;
}

/* Skip an indefinite-length content: objects (headers only) up to an end-of-contents (tag 0,
 * length 0). Returns the bytes used including the end marker, or 0 on failure. */
static size_t skip_indefinite(const uint8_t *p, size_t n, int depth)
{
    if (depth <= 0)
        return 0;
    size_t at = 0;
    for (;;) {
        ber_hdr_t h;
        if (!read_hdr(p + at, n - at, &h))
            return 0;
        at += h.hlen;
        if (!h.indefinite) {
            if (h.len == 0 && h.tag == 0)
                return at;
            if (n - at < h.len)
                return 0;
            at += (size_t)h.len;
        } else {
            size_t k = skip_indefinite(p + at, n - at, depth - 1);
            if (k == 0)
                return 0;
            at += k;
        }
    }
}

static bool all_bytes(const uint8_t *c, size_t n, bool (*ok)(uint8_t))
{
    for (size_t i = 0; i < n; i++)
        if (!ok(c[i]))
            return false;
    return true;
}
static bool numeric_ch(uint8_t c) { return (c >= '0' && c <= '9') || c == ' '; }
static bool printable_ch(uint8_t c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c != 0 && strchr(" '()+,-./:=?", c) != NULL);
}
static bool ascii_ch(uint8_t c) { return c < 0x80; }
static bool visible_ch(uint8_t c) { return c >= 0x20 && c <= 0x7f; }

/* Well-formed UTF-8 (no overlong forms, no surrogates, at most U+10FFFF). */
static bool utf8_ok(const uint8_t *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint8_t c = s[i];
        size_t k;
        uint32_t lo = 0x80, hi = 0xbf;
        if (c < 0x80) {
            i++;
            continue;
        } else if (c >= 0xc2 && c <= 0xdf) {
            k = 1;
        } else if (c >= 0xe0 && c <= 0xef) {
            k = 2;
            if (c == 0xe0) lo = 0xa0;
            if (c == 0xed) hi = 0x9f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            k = 3;
            if (c == 0xf0) lo = 0x90;
            if (c == 0xf4) hi = 0x8f;
        } else {
            return false;
        }
        if (n - i - 1 < k || s[i + 1] < lo || s[i + 1] > hi)
            return false;
        for (size_t j = 2; j <= k; j++)
            if ((s[i + j] & 0xc0) != 0x80)
                return false;
        i += k + 1;
    }
    return true;
}

static int two(const uint8_t *c) { return (c[0] - '0') * 10 + (c[1] - '0'); }
static bool digits(const uint8_t *c, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (c[i] < '0' || c[i] > '9')
            return false;
    return true;
}

/* MM DD hh mm [ss] from c (ranges as the decoder checks them; no calendar check). */
static bool time_fields(const uint8_t *c, bool secs)
{
    return two(c) <= 12 && two(c + 2) <= 31 && two(c + 4) <= 23 && two(c + 6) <= 59 &&
           (!secs || two(c + 8) <= 59);
}

/* UTCTime as Suricata's decoder takes it: YYMMDDhhmmZ, or YYMMDDhhmmss followed by Z or a
 * +hhmm/-hhmm offset (digits, unchecked range). */
static bool utctime_ok(const uint8_t *c, size_t n)
{
    if (n < 11 || !digits(c, 10) || !time_fields(c + 2, false))
        return false;
    if (n == 11)
        return c[10] == 'Z';
    if (!digits(c + 10, 2) || !time_fields(c + 2, true))
        return false;
    if (n == 13)
        return c[12] == 'Z';
    return n == 17 && (c[12] == '+' || c[12] == '-') && digits(c + 13, 4);
}

/* GeneralizedTime as Suricata's decoder takes it (observed, docs/RULES.md): YYYYMMDDhhmmZ, or
 * YYYYMMDDhhmmss, then optionally a fraction ('.' or ',' and digits), then nothing, Z or a
 * +hhmm/-hhmm offset. With nothing after it the fraction has 1 to 4 digits; before Z or an
 * offset, 0 to 3. */
static bool gentime_ok(const uint8_t *c, size_t n)
{
    if (n < 13 || !digits(c, 12) || !time_fields(c + 4, false))
        return false;
    if (n == 13)
        return c[12] == 'Z';
    if (!digits(c + 12, 2) || !time_fields(c + 4, true))
        return false;
    size_t i = 14, frac = 0;
    bool has_frac = false;
    if (i < n && (c[i] == '.' || c[i] == ',')) {
        has_frac = true;
        i++;
        while (i < n && c[i] >= '0' && c[i] <= '9') {
            i++;
            frac++;
        }
    }
    if (i == n)
        return !has_frac || (frac >= 1 && frac <= 4);
    if (frac > 3)
        return false;
    if (c[i] == 'Z')
        return i + 1 == n;
    return (c[i] == '+' || c[i] == '-') && n - i == 5 && digits(c + i + 1, 4);
}

static bool bmp_ok(const uint8_t *c, size_t n)
{
    if (n % 2)
        return false;
    for (size_t i = 0; i < n; i += 2)
        if (c[i] >= 0xd8 && c[i] <= 0xdf)
            return false;
    return true;
}

/* The checks on one decoded object (content c, n bytes, for a definite length). */
static void check(walk_t *w, const ber_hdr_t *h, const uint8_t *c, size_t n)
{
    const vg_asn1_t *a = w->a;
    if ((a->flags & VG_ASN1_OVERSIZE) && !h->indefinite && h->len > a->oversize_length) {
        w->hits++;
        return;
    }
    if (h->cls != CLS_UNIVERSAL || h->constructed || h->indefinite)
        return;
    if ((a->flags & VG_ASN1_BITSTRING_OVERFLOW) && h->tag == 3 && n > 0 &&
        (uint64_t)c[0] > h->len * 8) {
        w->hits++;
        return;
    }
    if ((a->flags & VG_ASN1_DOUBLE_OVERFLOW) && h->tag == 9 && n > 0 && (c[0] & 0xc0) == 0 &&
        h->len > 256)
        w->hits++;
}

static size_t decode(walk_t *w, const uint8_t *p, size_t n, int depth);

/* Children of a universal SEQUENCE/SET with a definite length: decoded in order until one does
 * not decode (it and what follows are dropped; the container still decodes). */
static void children_definite(walk_t *w, const uint8_t *c, size_t n, int depth)
{
    size_t at = 0;
    while (at < n) {
        uint32_t before = w->hits;
        size_t k = decode(w, c + at, n - at, depth);
        if (k == 0) {
            w->hits = before;
            return;
        }
        at += k;
    }
}

/* Children of an indefinite SEQUENCE/SET up to an end-of-contents (tag number 0, whatever the
 * class, and length 0); a child that does not decode fails the container. Returns the bytes
 * used or 0. */
static size_t children_indefinite(walk_t *w, const uint8_t *p, size_t n, int depth)
{
    size_t at = 0;
    for (;;) {
        ber_hdr_t h;
        if (!read_hdr(p + at, n - at, &h))
            return 0;
        if (h.tag == 0 && !h.indefinite && h.len == 0)
            return at + h.hlen;
        size_t k = decode(w, p + at, n - at, depth);
        if (k == 0)
            return 0;
        at += k;
    }
}

/* Decode one object at p (n bytes left) at nesting budget depth; returns its size, 0 when it
 * does not decode. The checks of the object and its kept children are added to w->hits (the
 * caller drops them when the object, or a container around it, fails). */
static size_t decode(walk_t *w, const uint8_t *p, size_t n, int depth)
{
    if (depth <= 0)
        return 0;
    ber_hdr_t h;
    if (!read_hdr(p, n, &h))
        return 0;
    const uint8_t *c = p + h.hlen;
    size_t left = n - h.hlen;
    if (!h.indefinite && left < h.len)
        return 0;
    size_t clen = (size_t)h.len;
    uint32_t before = w->hits;

    if (h.cls != CLS_UNIVERSAL || (h.indefinite && h.tag != 16 && h.tag != 17)) {
        bool known_cons_error = false;
        if (h.cls == CLS_UNIVERSAL) {
            switch (h.tag) {
            case 0: /* end-of-contents: nothing more */
                check(w, &h, c, 0);
                return h.hlen;
            case 1: case 23: case 24: /* no indefinite form */
                return 0;
            case 3: case 7: case 10: case 12: case 18: case 19: case 20: case 21: case 22:
            case 25: case 26: case 27: case 28: case 30:
                known_cons_error = true; /* constructed (indefinite implies it) */
                break;
            default:
                break;
            }
        }
        if (known_cons_error)
            return 0;
        if (h.indefinite) {
            size_t k = skip_indefinite(c, left, depth);
            if (k == 0)
                return 0;
            check(w, &h, c, 0); /* an indefinite length is never "oversize" */
            return h.hlen + k;
        }
        check(w, &h, c, clen);
        return h.hlen + clen;
    }

    /* universal */
    switch (h.tag) {
    case 1:
        if (clen != 1)
            return 0;
        break;
    case 3:
        if (h.constructed || clen == 0)
            return 0;
        break;
    case 10: {
        if (h.constructed)
            return 0;
        uint64_t v = 0;
        for (size_t i = 0; i < clen; i++) {
            if (v & 0xff00000000000000ull)
                return 0;
            v = v << 8 | c[i];
        }
        if (v > 0xFFFFFFFFull)
            return 0;
        break;
    }
    case 12:
        if (h.constructed || !utf8_ok(c, clen))
            return 0;
        break;
    case 16: case 17:
        if (!h.constructed)
            return 0;
        check(w, &h, c, clen);
        if (h.indefinite) {
            size_t k = children_indefinite(w, c, left, depth - 1);
            if (k == 0) {
                w->hits = before;
                return 0;
            }
            return h.hlen + k;
        }
        children_definite(w, c, clen, depth - 1);
        return h.hlen + clen;
    case 18:
        if (h.constructed || !all_bytes(c, clen, numeric_ch))
            return 0;
        break;
    case 19:
        if (h.constructed || !all_bytes(c, clen, printable_ch))
            return 0;
        break;
    case 22:
        if (h.constructed || !all_bytes(c, clen, ascii_ch))
            return 0;
        break;
    case 23:
        if (!utctime_ok(c, clen))
            return 0;
        break;
    case 24:
        if (!gentime_ok(c, clen))
            return 0;
        break;
    case 26:
        if (h.constructed || !all_bytes(c, clen, visible_ch))
            return 0;
        break;
    case 30:
        if (h.constructed || !bmp_ok(c, clen))
            return 0;
        break;
    case 7: case 20: case 21: case 25: case 27: case 28:
        if (h.constructed)
            return 0;
        break;
    default: /* EOC, INTEGER, OCTET STRING, NULL, OIDs and unknown tags: as they come */
        break;
    }
    check(w, &h, c, clen);
    return h.hlen + clen;
}

bool vg_asn1_match(const vg_asn1_t *a, const uint8_t *buf, uint32_t len, uint32_t buffer_offset)
{
    if (len == 0 || !buf)
        return false;
    if (len > 65535)
        len = 65535; /* Suricata hands the decoder a 16-bit length */
    int64_t off = 0;
    if (a->flags & VG_ASN1_ABSOLUTE)
        off = a->absolute_offset;
    else if (a->flags & VG_ASN1_RELATIVE)
        off = (int64_t)buffer_offset + a->relative_offset;
    if (off < 0 || off > 65535 || off >= (int64_t)len)
        return false;
    walk_t w = {a, 0};
    const uint8_t *p = buf + off;
    size_t n = len - (size_t)off, at = 0;
    uint32_t frames = 0;
    while (at < n) {
        if (frames >= ASN1_MAX_FRAMES)
            return false; /* too many objects: Suricata gives up on the whole payload */
        uint32_t before = w.hits;
        size_t k = decode(&w, p + at, n - at, ASN1_MAX_DEPTH);
        if (k == 0) {
            w.hits = before;
            break;
        }
        at += k;
        frames++;
    }
    return w.hits > 0;
}
