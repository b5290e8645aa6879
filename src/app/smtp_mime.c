/* smtp_mime.c — the mail carried by an SMTP transaction (RFC 5322 headers, RFC 2045/2046 MIME).
 *
 * Input: the message bytes in order, in any chunking (DATA already dot-unstuffed by app_smtp.c,
 * or BDAT chunks as they are). Lines are assembled here (at most SMTP_MIME_LINE_MAX bytes; a
 * longer line is handled in pieces, and only a whole line can be a header or a boundary).
 *
 * What is kept:
 *   - the message's own From, To and Cc (To/Cc split at commas), for EVE `email`;
 *   - every MIME entity with a file name (Content-Disposition filename=, else Content-Type
 *     name=) that is not itself multipart is an attachment: a file whose content is the entity
 *     body decoded by its Content-Transfer-Encoding (base64, quoted-printable, else as it is),
 *     of which the first SMTP_FILE_KEEP bytes are kept for file.data (and at most SMTP_MSG_KEEP
 *     over all attachments of a message: file.data of attachments past that is cut, partial).
 *     Its size counts every decoded byte. Text parts without a file name are not decoded:
 *     Suricata 7 does not inspect them as file data either (checked with a generated mail, see
 *     docs/APP_SMTP.md).
 *   - multipart entities nest up to SMTP_MIME_DEPTH levels. Line breaks as Suricata counts
 *     them: quoted-printable keeps every hard line break, the last one too; other encodings
 *     drop the last line's, which belongs to the boundary (RFC 2046 5.1.1) or the end of DATA.
 *
 * Anomalies use Suricata's SMTP event names: MIME_INVALID_BASE64, MIME_INVALID_QP,
 * MIME_LONG_LINE (a line over 998 bytes), MIME_LONG_HEADER_VALUE, MIME_LONG_BOUNDARY,
 * MIME_LONG_FILENAME; each at most once per message.
 */
#include "app/smtp_int.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <sys/socket.h>
#include <stdlib.h>
#include <string.h>

#define RFC_LINE_MAX 998

enum { AN_B64 = 1, AN_QP = 2, AN_LINE = 4, AN_HDR = 8, AN_BND = 16, AN_FNAME = 32 };

static void raise_once(smtp_mime_t *m, unsigned bit, const char *ev)
{
    if (m->raised & bit)
        return;
    m->raised |= bit;
    smtp_anomaly(m->ctx, ev);
}

smtp_mime_t *smtp_mime_new(void)
{
    smtp_mime_t *m = vg_xcalloc(1, sizeof *m);
    m->ent.file = -1;
    m->top = true;
    return m;
}

void smtp_mime_free(smtp_mime_t *m)
{
    if (!m)
        return;
    vg_buf_fini(&m->hdr);
    vg_buf_fini(&m->from);
    vg_buf_fini(&m->to);
    vg_buf_fini(&m->cc);
    vg_buf_fini(&m->tline);
    vg_buf_fini(&m->cur_urls);
    vg_buf_fini(&m->top_urls);
    vg_buf_fini(&m->part_urls);
    for (size_t i = 0; i < m->n_files; i++)
        vg_buf_fini(&m->files[i].data);
    free(m);
}

size_t smtp_mime_memuse(const smtp_mime_t *m)
{
    size_t n = sizeof *m + m->hdr.cap + m->from.cap + m->to.cap + m->cc.cap + m->tline.cap +
               m->cur_urls.cap + m->top_urls.cap + m->part_urls.cap;
    for (size_t i = 0; i < m->n_files; i++)
        n += m->files[i].data.cap;
    return n;
}

const char *smtp_mime_status(const smtp_mime_t *m)
{
    if (m->done)
        return "PARSE_DONE";
    if (!m->fed)
        return "HEADER_READY"; /* DATA seen, nothing of the message (or DATA rejected) */
    return m->top && !m->ent.in_body ? "HEADER_STARTED" : "BODY_STARTED";
}

/* ---- small text helpers ---- */

static bool is_ws(uint8_t c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

static void trim(const uint8_t **p, size_t *n)
{
    while (*n && is_ws(**p))
        (*p)++, (*n)--;
    while (*n && is_ws((*p)[*n - 1]))
        (*n)--;
}

static bool ieq(const uint8_t *p, size_t n, const char *s)
{
    size_t l = strlen(s);
    if (n != l)
        return false;
    for (size_t i = 0; i < l; i++)
        if (tolower(p[i]) != s[i])
            return false;
    return true;
}

/* The value of parameter `name` in a header value "type; a=b; name="x y"" (case-insensitive
 * name, quotes removed). False when absent. */
static bool param(const uint8_t *v, size_t n, const char *name, const uint8_t **out, size_t *on)
{
    size_t i = 0, nl = strlen(name);
    bool quoted = false;
    /* skip the first token (the type) up to an unquoted ';' */
    while (i < n) {
        if (v[i] == '"')
            quoted = !quoted;
        else if (v[i] == ';' && !quoted)
            break;
        i++;
    }
    while (i < n) {
        i++; /* the ';' */
        while (i < n && is_ws(v[i]))
            i++;
        size_t s = i;
        while (i < n && v[i] != '=' && v[i] != ';')
            i++;
        size_t kl = i - s;
        while (kl && is_ws(v[s + kl - 1]))
            kl--;
        bool match = kl == nl && ieq(v + s, kl, name);
        if (i >= n || v[i] == ';') {
            continue;
        }
        i++; /* '=' */
        while (i < n && is_ws(v[i]))
            i++;
        const uint8_t *val = v + i;
        size_t vl;
        if (i < n && v[i] == '"') {
            val++;
            i++;
            size_t s2 = i;
            while (i < n && v[i] != '"') {
                if (v[i] == '\\' && i + 1 < n)
                    i++;
                i++;
            }
            vl = i - s2;
            if (i < n)
                i++;
            while (i < n && v[i] != ';')
                i++;
        } else {
            size_t s2 = i;
            while (i < n && v[i] != ';')
                i++;
            vl = i - s2;
            while (vl && is_ws(val[vl - 1]))
                vl--;
        }
        if (match) {
            *out = val;
            *on = vl;
            return true;
        }
    }
    return false;
}

static void list_add(vg_buf_t *b, uint16_t *count, const uint8_t *v, size_t n)
{
    size_t s = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && v[i] != ',')
            continue;
        const uint8_t *e = v + s;
        size_t el = i - s;
        trim(&e, &el);
        s = i + 1;
        if (!el || *count >= SMTP_ADDR_LIST_MAX)
            continue;
        smtp_list_add(b, count, e, el);
    }
}

/* ---- URLs ---- */

/* One decoded text line (no line break): every "http://" (any case) followed by at least one
 * byte that is not a delimiter gives a URL up to the next delimiter, as Suricata's
 * FindUrlStrings with its default configuration. */
static void url_line(smtp_mime_t *m, const uint8_t *p, size_t n)
{
    static const char scheme[] = "http://";
    const size_t sl = sizeof scheme - 1;
    size_t i = 0;
    while (i + sl <= n) {
        size_t k = 0;
        while (k < sl && tolower(p[i + k]) == scheme[k])
            k++;
        if (k < sl) {
            i++;
            continue;
        }
        size_t s = i + sl, e = s;
        while (e < n && !memchr(" \"'<>]\t", p[e], 7))
            e++;
        i = e > s ? e : s;
        if (e == s || m->n_top_urls + m->n_part_urls + m->n_cur_urls >= SMTP_ADDR_LIST_MAX)
            continue;
        char url[SMTP_MIME_LINE_MAX];
        size_t ul = VG_MIN(e - s, sizeof url);
        for (size_t j = 0; j < ul; j++)
            url[j] = (char)tolower(p[s + j]);
        size_t off = 0, ln;
        const char *q;
        bool seen = false;
        while (!seen && smtp_list_next(&m->cur_urls, &off, &q, &ln))
            seen = ln == ul && memcmp(q, url, ul) == 0;
        if (!seen)
            smtp_list_add(&m->cur_urls, &m->n_cur_urls, (const uint8_t *)url, ul);
    }
}

/* Decoded text bytes of the current entity, split into lines. */
static void text_put(smtp_mime_t *m, const uint8_t *d, size_t n)
{
    while (n) {
        const uint8_t *nl = memchr(d, '\n', n);
        size_t k = nl ? (size_t)(nl - d) : n;
        size_t room = SMTP_MIME_LINE_MAX - VG_MIN(m->tline.len, (size_t)SMTP_MIME_LINE_MAX);
        vg_buf_append(&m->tline, d, VG_MIN(k, room));
        if (!nl)
            return;
        size_t l = m->tline.len;
        if (l && m->tline.data[l - 1] == '\r')
            l--;
        url_line(m, (const uint8_t *)m->tline.data, l);
        vg_buf_reset(&m->tline);
        d += k + 1, n -= k + 1;
    }
}

/* The host of a URL without its scheme, up to the first '/', as an address of family af. */
static bool url_host_is(const char *u, size_t n, int af)
{
    char h[64];
    size_t k = 0;
    while (k < n && u[k] != '/')
        k++;
    if (k >= sizeof h)
        return false;
    memcpy(h, u, k);
    h[k] = '\0';
    uint8_t a[16];
    return inet_pton(af, h, a) == 1;
}

static bool url_is_exe(const char *u, size_t n)
{
    static const char *const ext[] = {".exe", ".vbs", ".bin", ".cmd", ".bat", ".jar", ".js"};
    for (size_t i = 0; i < sizeof ext / sizeof ext[0]; i++) {
        size_t l = strlen(ext[i]);
        if (n >= l && memcmp(u + n - l, ext[i], l) == 0)
            return true;
    }
    return false;
}

/* The entity ended: its last line, then its URLs (newest first) into the message's lists: the
 * message's own (with the flags) when own, else the parts'. */
static void urls_close(smtp_mime_t *m, bool own)
{
    if (m->tline.len) {
        url_line(m, (const uint8_t *)m->tline.data, m->tline.len);
        vg_buf_reset(&m->tline);
    }
    if (!m->n_cur_urls)
        return;
    const char *u[SMTP_ADDR_LIST_MAX];
    size_t ul[SMTP_ADDR_LIST_MAX], n = 0, off = 0;
    while (n < SMTP_ADDR_LIST_MAX && smtp_list_next(&m->cur_urls, &off, &u[n], &ul[n]))
        n++;
    for (size_t i = n; i-- > 0;) {
        if (own) {
            smtp_list_add(&m->top_urls, &m->n_top_urls, (const uint8_t *)u[i], ul[i]);
            m->url_ip4 |= url_host_is(u[i], ul[i], AF_INET);
            m->url_ip6 |= url_host_is(u[i], ul[i], AF_INET6);
            m->url_exe |= url_is_exe(u[i], ul[i]);
        } else {
            smtp_list_add(&m->part_urls, &m->n_part_urls, (const uint8_t *)u[i], ul[i]);
        }
    }
    vg_buf_reset(&m->cur_urls);
    m->n_cur_urls = 0;
}

/* ---- files ---- */

/* Decoded body bytes of the current entity: to its file, or to the URL search of a text. */
static void file_put(smtp_mime_t *m, const uint8_t *d, size_t n)
{
    if (m->ent.text && n) {
        text_put(m, d, n);
        return;
    }
    if (m->ent.file < 0 || !n)
        return;
    smtp_file_t *f = &m->files[m->ent.file];
    f->size += n;
    size_t room = VG_MIN(SMTP_FILE_KEEP - VG_MIN(f->data.len, (size_t)SMTP_FILE_KEEP),
                         SMTP_MSG_KEEP - m->kept);
    size_t k = VG_MIN(n, room);
    vg_buf_append(&f->data, d, k);
    m->kept += k;
}

/* The quantum collected so far, as padding would end it (2 chars: 1 byte, 3: 2 bytes). */
static void b64_flush(smtp_mime_t *m)
{
    smtp_entity_t *e = &m->ent;
    if (e->b64_n >= 2) {
        uint8_t o[3];
        uint32_t v = (uint32_t)e->b64[0] << 18 | (uint32_t)e->b64[1] << 12 |
                     (uint32_t)e->b64[2] << 6 | e->b64[3];
        o[0] = (uint8_t)(v >> 16);
        o[1] = (uint8_t)(v >> 8);
        o[2] = (uint8_t)v;
        file_put(m, o, (size_t)e->b64_n - 1);
    }
    e->b64_n = 0;
    memset(e->b64, 0, sizeof e->b64);
}

static void b64_line(smtp_mime_t *m, const uint8_t *p, size_t n)
{
    smtp_entity_t *e = &m->ent;
    uint8_t out[3 * 64];
    size_t on = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = p[i];
        if (is_ws(c))
            continue;
        if (c == '=') {
            file_put(m, out, on);
            on = 0;
            b64_flush(m);
            continue;
        }
        int v = vg_base64_value(c);
        if (v < 0) {
            raise_once(m, AN_B64, "MIME_INVALID_BASE64");
            continue;
        }
        e->b64[e->b64_n++] = (uint8_t)v;
        if (e->b64_n == 4) {
            uint32_t q = (uint32_t)e->b64[0] << 18 | (uint32_t)e->b64[1] << 12 |
                         (uint32_t)e->b64[2] << 6 | e->b64[3];
            out[on++] = (uint8_t)(q >> 16);
            out[on++] = (uint8_t)(q >> 8);
            out[on++] = (uint8_t)q;
            e->b64_n = 0;
            if (on == sizeof out) {
                file_put(m, out, on);
                on = 0;
            }
        }
    }
    file_put(m, out, on);
}

static int hexv(uint8_t c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

/* One quoted-printable line (piece); eol: the line ends here (a final '=' is a soft break). */
static void qp_line(smtp_mime_t *m, const uint8_t *p, size_t n, bool eol)
{
    uint8_t out[256];
    size_t on = 0;
    bool soft = false;
    if (eol) {
        size_t k = n;
        while (k && (p[k - 1] == ' ' || p[k - 1] == '\t'))
            k--;
        if (k && p[k - 1] == '=') {
            soft = true;
            n = k - 1;
        }
    }
    for (size_t i = 0; i < n; i++) {
        uint8_t c = p[i];
        if (c == '=') {
            int h = i + 2 < n ? hexv(p[i + 1]) : -1;
            int l = i + 2 < n ? hexv(p[i + 2]) : -1;
            if (h >= 0 && l >= 0) {
                c = (uint8_t)(h << 4 | l);
                i += 2;
            } else {
                raise_once(m, AN_QP, "MIME_INVALID_QP");
            }
        }
        out[on++] = c;
        if (on == sizeof out) {
            file_put(m, out, on);
            on = 0;
        }
    }
    if (eol && !soft) { /* every hard line break is content, the last one too (Suricata) */
        if (on + 2 > sizeof out) {
            file_put(m, out, on);
            on = 0;
        }
        out[on++] = '\r';
        out[on++] = '\n';
    }
    file_put(m, out, on);
}

/* ---- entities ---- */

static void entity_close(smtp_mime_t *m)
{
    smtp_entity_t *e = &m->ent;
    if (e->text) {
        if (e->enc == ENC_BASE64)
            b64_flush(m);
        urls_close(m, m->top);
    }
    if (e->file >= 0) {
        if (e->enc == ENC_BASE64)
            b64_flush(m);
        if (m->files[e->file].state == VG_APP_FILE_OPEN) {
            m->files[e->file].state = VG_APP_FILE_CLOSED;
            /* As Suricata's SMTP parser on closing a file: the client's stream is inspected
             * (raw) once acknowledged. A mail without attachments triggers nothing. */
            if (m->ctx && m->ctx->raw_trigger)
                m->ctx->raw_trigger(m->ctx->user, VG_DIR_TOSERVER);
        }
    }
    memset(e, 0, sizeof *e);
    e->file = -1;
}

static void fields_reset(smtp_mime_t *m)
{
    m->ctype[0] = '\0';
    m->boundary_len = 0;
    m->fname_len = 0;
    m->has_fname = false;
    m->enc = ENC_NONE;
}

static void set_fname(smtp_mime_t *m, const uint8_t *v, size_t n)
{
    if (n > sizeof m->fname) {
        raise_once(m, AN_FNAME, "MIME_LONG_FILENAME");
        n = sizeof m->fname;
    }
    memcpy(m->fname, v, n);
    m->fname_len = n;
    m->has_fname = true;
}

/* A complete (unfolded) header of the current entity. */
static void header_done(smtp_mime_t *m)
{
    const uint8_t *h = (const uint8_t *)m->hdr.data;
    size_t n = m->hdr.len;
    m->hdr_long = false;
    if (!n)
        return;
    const uint8_t *colon = memchr(h, ':', n);
    if (!colon)
        return;
    const uint8_t *name = h, *val = colon + 1;
    size_t nl = (size_t)(colon - h), vl = n - nl - 1;
    trim(&name, &nl);
    trim(&val, &vl);
    if (vl > SMTP_MIME_HEADER_MAX) { /* Suricata's header-value-depth: the value is cut */
        raise_once(m, AN_HDR, "MIME_LONG_HEADER_VALUE");
        vl = SMTP_MIME_HEADER_MAX;
    }
    if (ieq(name, nl, "content-type")) {
        size_t k = 0;
        while (k < vl && val[k] != ';' && !is_ws(val[k]) && k + 1 < sizeof m->ctype) {
            m->ctype[k] = (char)tolower(val[k]);
            k++;
        }
        m->ctype[k] = '\0';
        const uint8_t *pv;
        size_t pl;
        if (param(val, vl, "boundary", &pv, &pl)) {
            if (pl > SMTP_MIME_BOUNDARY_MAX) {
                raise_once(m, AN_BND, "MIME_LONG_BOUNDARY");
                pl = SMTP_MIME_BOUNDARY_MAX;
            }
            memcpy(m->boundary, pv, pl);
            m->boundary_len = pl;
        }
        if (!m->has_fname && param(val, vl, "name", &pv, &pl))
            set_fname(m, pv, pl);
    } else if (ieq(name, nl, "content-disposition")) {
        const uint8_t *pv;
        size_t pl;
        if (param(val, vl, "filename", &pv, &pl))
            set_fname(m, pv, pl); /* takes precedence over Content-Type name= */
    } else if (ieq(name, nl, "content-transfer-encoding")) {
        if (ieq(val, vl, "base64"))
            m->enc = ENC_BASE64;
        else if (ieq(val, vl, "quoted-printable"))
            m->enc = ENC_QP;
        else
            m->enc = ENC_NONE;
    } else if (m->top && ieq(name, nl, "from")) {
        vg_buf_reset(&m->from);
        vg_buf_append(&m->from, val, vl);
    } else if (m->top && ieq(name, nl, "to")) {
        list_add(&m->to, &m->n_to, val, vl);
    } else if (m->top && ieq(name, nl, "cc")) {
        list_add(&m->cc, &m->n_cc, val, vl);
    }
    vg_buf_reset(&m->hdr);
}

/* The empty line after an entity's headers. */
static void headers_end(smtp_mime_t *m)
{
    header_done(m);
    smtp_entity_t *e = &m->ent;
    e->in_body = true;
    e->enc = m->enc;
    e->file = -1;
    bool multi = strncmp(m->ctype, "multipart/", 10) == 0 && m->boundary_len > 0;
    if (multi && m->depth < SMTP_MIME_DEPTH) {
        memcpy(m->bnd[m->depth], m->boundary, m->boundary_len);
        m->bnd_len[m->depth] = (uint16_t)m->boundary_len;
        m->depth++;
        e->multipart = true;
        m->epilogue = true; /* the preamble, up to the first boundary */
    } else if (!m->has_fname) {
        /* a text (or no type: text/plain by default) is searched for URLs */
        e->text = !m->ctype[0] || strncmp(m->ctype, "text/plain", 10) == 0 ||
                  strncmp(m->ctype, "text/html", 9) == 0 || strncmp(m->ctype, "message/", 8) == 0;
    } else if (m->n_files < SMTP_FILES_MAX) { /* more: not tracked (bound) */
        smtp_file_t *f = &m->files[m->n_files];
        memcpy(f->name, m->fname, m->fname_len);
        f->name_len = (uint16_t)m->fname_len;
        f->state = VG_APP_FILE_OPEN;
        f->top = m->top;
        f->gaps = m->broken; /* after lost bytes nothing is decoded: say so */
        e->file = (int)m->n_files++;
    }
    fields_reset(m);
}

/* Whether a whole line is a boundary of an open multipart level: returns the level (and
 * *closing for "--b--"), or -1. The innermost level is tried first. */
static int boundary_of(const smtp_mime_t *m, const uint8_t *p, size_t n, bool *closing)
{
    if (n < 3 || p[0] != '-' || p[1] != '-')
        return -1;
    for (int i = m->depth - 1; i >= 0; i--) {
        size_t bl = m->bnd_len[i];
        if (n - 2 < bl || memcmp(p + 2, m->bnd[i], bl) != 0)
            continue;
        const uint8_t *r = p + 2 + bl;
        size_t rl = n - 2 - bl;
        *closing = rl >= 2 && r[0] == '-' && r[1] == '-';
        if (*closing)
            r += 2, rl -= 2;
        while (rl && is_ws(*r))
            r++, rl--;
        if (rl == 0)
            return i;
    }
    return -1;
}

static void body_piece(smtp_mime_t *m, const uint8_t *p, size_t n, bool eol)
{
    smtp_entity_t *e = &m->ent;
    if (m->epilogue || (e->file < 0 && !e->text) || m->broken)
        return;
    if (e->enc == ENC_BASE64) {
        b64_line(m, p, n);
        return;
    }
    if (e->enc == ENC_QP) {
        qp_line(m, p, n, eol);
        return;
    }
    if (e->pending_crlf) {
        file_put(m, (const uint8_t *)"\r\n", 2);
        e->pending_crlf = false;
    }
    file_put(m, p, n);
    if (eol)
        e->pending_crlf = true;
}

/* A line or a piece of one: start = it begins a line, eol = it ends one. */
static void line(smtp_mime_t *m, const uint8_t *p, size_t n, bool start, bool eol)
{
    if (start && eol && m->depth) {
        bool closing = false;
        int lvl = boundary_of(m, p, n, &closing);
        if (lvl >= 0) {
            if (!m->ent.in_body)
                header_done(m);
            entity_close(m);
            fields_reset(m);
            m->top = false;
            if (closing) {
                m->depth = lvl;
                m->epilogue = true;
                m->ent.in_body = true; /* the text after it is ignored */
            } else {
                m->depth = lvl + 1;
                m->epilogue = false;
            }
            return;
        }
    }
    if (!m->ent.in_body) {
        if (start && eol && n == 0) {
            headers_end(m);
            return;
        }
        if (start && !(n && (p[0] == ' ' || p[0] == '\t')))
            header_done(m);
        /* kept: the name and up to SMTP_MIME_HEADER_MAX bytes of value (cut in header_done) */
        size_t cap = SMTP_MIME_HEADER_MAX + SMTP_MIME_NAME_MAX;
        size_t room = m->hdr.len < cap ? cap - m->hdr.len : 0;
        if (n > room && !m->hdr_long) {
            m->hdr_long = true;
            raise_once(m, AN_HDR, "MIME_LONG_HEADER_VALUE");
        }
        vg_buf_append(&m->hdr, p, VG_MIN(n, room));
        return;
    }
    body_piece(m, p, n, eol);
}

void smtp_mime_feed(smtp_mime_t *m, const uint8_t *d, size_t n, vg_app_ctx_t *ctx)
{
    if (m->done)
        return;
    m->ctx = ctx;
    m->fed |= n > 0;
    while (n) {
        const uint8_t *nl = memchr(d, '\n', n);
        size_t take = nl ? (size_t)(nl - d) + 1 : n;
        size_t room = SMTP_MIME_LINE_MAX - m->line_len;
        if (take - (nl ? 1 : 0) > room) {
            /* the line is longer than the buffer: hand over what fits as a piece */
            memcpy(m->line + m->line_len, d, room);
            m->line_len += room;
            d += room, n -= room;
            m->line_total += room;
            line(m, m->line, m->line_len, !m->line_cont, false);
            m->line_len = 0;
            m->line_cont = true;
            continue;
        }
        size_t body = take - (nl ? 1 : 0);
        memcpy(m->line + m->line_len, d, body);
        m->line_len += body;
        m->line_total += body;
        d += take, n -= take;
        if (!nl)
            break;
        size_t ll = m->line_len;
        if (ll && m->line[ll - 1] == '\r')
            ll--;
        if (m->line_total > RFC_LINE_MAX + 1)
            raise_once(m, AN_LINE, "MIME_LONG_LINE");
        line(m, m->line, ll, !m->line_cont, true);
        m->line_len = 0;
        m->line_cont = false;
        m->line_total = 0;
    }
    m->ctx = NULL;
}

void smtp_mime_end(smtp_mime_t *m, vg_app_ctx_t *ctx)
{
    if (m->done)
        return;
    m->ctx = ctx;
    if (m->line_len || m->line_cont) {
        size_t ll = m->line_len;
        if (ll && m->line[ll - 1] == '\r')
            ll--;
        line(m, m->line, ll, !m->line_cont, true);
        m->line_len = 0;
        m->line_cont = false;
    }
    if (!m->ent.in_body)
        header_done(m);
    entity_close(m);
    for (size_t i = 0; i < m->n_files; i++)
        if (m->files[i].state == VG_APP_FILE_OPEN)
            m->files[i].state = VG_APP_FILE_CLOSED;
    m->done = true;
    m->ctx = NULL;
}

void smtp_mime_gap(smtp_mime_t *m)
{
    if (m->done)
        return;
    for (size_t i = 0; i < m->n_files; i++)
        if (m->files[i].state == VG_APP_FILE_OPEN)
            m->files[i].gaps = true;
    m->broken = true;
    m->line_len = 0;
    m->line_cont = true; /* the next line's start is unknown */
}

void smtp_mime_flow_end(smtp_mime_t *m, vg_app_ctx_t *ctx)
{
    if (m->done)
        return;
    m->ctx = ctx;
    /* the unfinished last line is still content (Suricata decodes it too), without a break */
    if (m->line_len && !m->broken && m->ent.in_body)
        line(m, m->line, m->line_len, !m->line_cont, false);
    m->line_len = 0;
    /* A message cut short: Suricata logs the entity it was in as the message (its URLs with the
     * flags; seen on a generated capture for the message itself, and on ndpi_emotet.pcap, cut
     * in an attachment, where it logs neither the earlier parts' URLs nor attachments) */
    if (m->ent.text)
        urls_close(m, true);
    for (size_t i = 0; i < m->n_files; i++)
        if (m->files[i].state == VG_APP_FILE_OPEN)
            m->files[i].state = VG_APP_FILE_TRUNCATED;
    m->ctx = NULL;
}
