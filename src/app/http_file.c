/* http_file.c — the files of an HTTP transaction, as Suricata's file tracking sees them.
 *
 *   response body   one file when the response carries body bytes (after de-chunking and
 *                   decompression) and has a status line (or answers an HTTP/0.9 request). Its
 *                   name is the Content-Disposition filename, else the request's normalised
 *                   URI path (libhtp's parsed_uri->path, e.g. "/dir/file.exe", not the last
 *                   segment), as app-layer-htp.c names it.
 *   PUT / POST body one file named after the URI path, unless the POST is multipart/form-data.
 *   multipart POST  one file per part whose Content-Disposition has a filename.
 *
 * Size is the number of body bytes handed to the file: the kept body, which the configured body
 * limit caps; reaching the limit closes the file as TRUNCATED, as Suricata does. A complete
 * message closes it (CLOSED). At flow end a response delimited by the connection close is
 * complete; any other file still open is TRUNCATED.
 *
 * Multipart parts are found in the kept request body (so at most the request body limit).
 */
#include "app/http_int.h"

#include <string.h>

static bool ws(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

static bool prefix_ci(const uint8_t *p, size_t n, const char *pre)
{
    size_t pl = strlen(pre);
    return n >= pl && vg_http_ieq(p, pl, pre);
}

/* A `name=value` parameter of a header value made of ';'-separated tokens (quotes respected,
 * a quote preceded by '\' does not count), value unquoted. This is how Suricata reads
 * Content-Disposition filename= and Content-Type boundary=. */
static bool header_param(const uint8_t *v, size_t n, const char *name, const uint8_t **out,
                         size_t *out_len)
{
    size_t x = 0;
    while (x < n && ws(v[x]))
        x++;
    const uint8_t *line = v + x;
    size_t ll = n - x, off = 0, nl = strlen(name);
    unsigned quote = 0;
    for (x = 1; x < ll; x++) {
        if (line[x - 1] != '\\' && line[x] == '"')
            quote++;
        bool last = x + 1 == ll;
        if (!((line[x - 1] != '\\' && line[x] == ';') || last) || quote % 2)
            continue;
        const uint8_t *tok = line + off;
        size_t tl = x - off + (last ? 1 : 0);
        off = x + 1;
        while (off < ll && ws(line[off])) {
            x++;
            off++;
        }
        if (tl > nl && prefix_ci(tok, tl, name)) {
            const uint8_t *val = tok + nl;
            size_t vl = tl - nl;
            if (vl && val[0] == '"')
                val++, vl--;
            if (vl && val[vl - 1] == '"')
                vl--;
            *out = val;
            *out_len = vl;
            return true;
        }
    }
    return false;
}

bool vg_http_cd_filename(const uint8_t *v, size_t n, const uint8_t **fn, size_t *fl)
{
    return header_param(v, n, "filename=", fn, fl);
}

static const uint8_t *find(const uint8_t *h, size_t hn, const uint8_t *nd, size_t nn)
{
    if (nn == 0 || hn < nn)
        return NULL;
    for (size_t i = 0; i + nn <= hn; i++) {
        const uint8_t *p = memchr(h + i, nd[0], hn - nn - i + 1);
        if (!p)
            return NULL;
        if (memcmp(p, nd, nn) == 0)
            return p;
        i = (size_t)(p - h);
    }
    return NULL;
}

static vg_app_file_t *add(vg_http_tx_t *tx, int dir, const uint8_t *name, size_t nl)
{
    if (tx->n_files >= VG_HTTP_MAX_FILES)
        return NULL;
    vg_app_file_t *f = &tx->files[tx->n_files++];
    memset(f, 0, sizeof *f);
    f->dir = dir;
    f->name = name;
    f->name_len = nl;
    return f;
}

/* State of a file that spans a whole message body. */
static enum vg_app_file_state body_state(const vg_http_body_t *b, bool done, bool flow_end,
                                         bool ends_with_close)
{
    if (b->truncated && !b->gaps)
        return VG_APP_FILE_TRUNCATED; /* the body limit cut it */
    if (done || (flow_end && ends_with_close))
        return VG_APP_FILE_CLOSED;
    return flow_end ? VG_APP_FILE_TRUNCATED : VG_APP_FILE_OPEN;
}

/* Parts of a multipart/form-data body that carry a filename. */
static void multipart_files(vg_http_tx_t *tx, const uint8_t *bnd, size_t bl, bool flow_end)
{
    const vg_http_body_t *b = &tx->req.body;
    const uint8_t *p = (const uint8_t *)b->data.data, *end = p + b->data.len;
    uint8_t delim[80];
    if (bl == 0 || bl + 2 > sizeof delim)
        return;
    delim[0] = delim[1] = '-';
    memcpy(delim + 2, bnd, bl);
    size_t dl = bl + 2;
    const uint8_t *part = find(p, (size_t)(end - p), delim, dl);
    while (part) {
        const uint8_t *hs = part + dl;
        if (end - hs >= 2 && hs[0] == '-' && hs[1] == '-')
            return; /* closing delimiter */
        const uint8_t *he = find(hs, (size_t)(end - hs), (const uint8_t *)"\r\n\r\n", 4);
        if (!he)
            return;
        const uint8_t *fn = NULL;
        size_t fl = 0;
        /* part headers: lines "Name: value" */
        for (const uint8_t *l = hs; l < he;) {
            const uint8_t *le = find(l, (size_t)(he - l), (const uint8_t *)"\r\n", 2);
            if (!le)
                le = he;
            if (prefix_ci(l, (size_t)(le - l), "content-disposition:"))
                header_param(l + 20, (size_t)(le - l) - 20, "filename=", &fn, &fl);
            l = le + 2;
        }
        const uint8_t *ds = he + 4;
        const uint8_t *next = find(ds, (size_t)(end - ds), delim, dl);
        if (fn) {
            vg_app_file_t *f = add(tx, VG_DIR_TOSERVER, fn, fl);
            if (!f)
                return;
            const uint8_t *de = next ? next : end;
            if (next && de - ds >= 2 && de[-2] == '\r' && de[-1] == '\n')
                de -= 2;
            f->data = ds;
            f->data_len = (size_t)(de - ds);
            f->size = f->data_len;
            f->gaps = b->gaps;
            if (next)
                f->state = VG_APP_FILE_CLOSED;
            else
                f->state = tx->req_done || flow_end || b->truncated ? VG_APP_FILE_TRUNCATED
                                                                    : VG_APP_FILE_OPEN;
        }
        part = next;
    }
}

static void request_files(vg_http_tx_t *tx, bool flow_end)
{
    const vg_http_body_t *b = &tx->req.body;
    if (!tx->has_request || b->entity_len == 0)
        return;
    bool post = vg_http_ieq(tx->method.p, tx->method.len, "POST");
    bool put = vg_http_ieq(tx->method.p, tx->method.len, "PUT");
    if (!post && !put)
        return;
    if (post) {
        const vg_http_header_t *ct = vg_http_msg_find(&tx->req, "content-type");
        const uint8_t *bnd;
        size_t bl;
        if (ct && ct->value.len &&
            header_param(ct->value.p, ct->value.len, "boundary=", &bnd, &bl)) {
            multipart_files(tx, bnd, bl, flow_end);
            return;
        }
    }
    if (!tx->path.p)
        return;
    vg_app_file_t *f = add(tx, VG_DIR_TOSERVER, tx->path.p, tx->path.len);
    if (!f)
        return;
    f->data = (const uint8_t *)b->data.data;
    f->data_len = b->data.len;
    f->size = b->data.len;
    f->gaps = b->gaps;
    f->state = body_state(b, tx->req_done, flow_end, false);
}

static void response_file(vg_http_tx_t *tx, bool flow_end)
{
    const vg_http_body_t *b = &tx->res.body;
    if (b->entity_len == 0 || !(tx->response_line.p || tx->is_09))
        return;
    const uint8_t *fn = NULL;
    size_t fl = 0;
    const vg_http_header_t *cd = vg_http_msg_find(&tx->res, "content-disposition");
    if (!(cd && cd->value.len && vg_http_cd_filename(cd->value.p, cd->value.len, &fn, &fl))) {
        fn = tx->path.p;
        fl = tx->path.len;
    }
    if (!fn)
        return;
    vg_app_file_t *f = add(tx, VG_DIR_TOCLIENT, fn, fl);
    if (!f)
        return;
    f->data = (const uint8_t *)b->data.data;
    f->data_len = b->data.len;
    f->size = b->data.len;
    f->gaps = b->gaps;
    f->state = body_state(b, tx->res_done, flow_end, tx->res_until_close);
}

bool vg_http_tx_file(void *txp, size_t i, bool flow_end, vg_app_file_t *out)
{
    vg_http_tx_t *tx = txp;
    if (i == 0) {
        tx->n_files = 0;
        request_files(tx, flow_end);
        response_file(tx, flow_end);
    }
    if (i >= tx->n_files)
        return false;
    *out = tx->files[i];
    return true;
}
