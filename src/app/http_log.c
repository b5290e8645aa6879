/* http_log.c — the EVE "http" object of one transaction, with Suricata's field names:
 *
 *   hostname, http_port, url (the raw request target, as Suricata logs it), http_user_agent,
 *   http_content_type (response Content-Type up to ';'), http_refer, http_method, protocol,
 *   status (integer), redirect (Location), length (response body bytes on the wire),
 *   request_headers / response_headers ([{name, value}], as Suricata's dump-all-headers).
 *
 * Absent fields are left out, except "length" which Suricata always writes.
 */
#include "app/http_int.h"

static void kv_str(vg_jw_t *w, const char *k, const vg_http_str_t *v)
{
    if (!v || !v->p)
        return;
    vg_jw_key(w, k);
    vg_jw_strn(w, v->p, v->len);
}

static const vg_http_str_t *hv(const vg_http_msg_t *m, const char *name)
{
    const vg_http_header_t *h = vg_http_msg_find(m, name);
    return h ? &h->value : NULL;
}

static void headers(vg_jw_t *w, const char *key, const vg_http_msg_t *m)
{
    vg_jw_key(w, key);
    vg_jw_arr_open(w);
    for (uint32_t i = 0; i < m->n_hdrs; i++) {
        vg_jw_obj_open(w);
        kv_str(w, "name", &m->hdrs[i].name);
        kv_str(w, "value", &m->hdrs[i].value);
        vg_jw_obj_close(w);
    }
    vg_jw_arr_close(w);
}

static void content_type(vg_jw_t *w, const vg_http_str_t *ct)
{
    if (!ct)
        return;
    size_t n = 0;
    while (n < ct->len && ct->p[n] != ';')
        n++;
    vg_jw_key(w, "http_content_type");
    vg_jw_strn(w, ct->p, n);
}

void vg_http_log_tx(void *txp, vg_jw_t *w)
{
    const vg_http_tx_t *tx = txp;
    vg_jw_obj_open(w);
    kv_str(w, "hostname", &tx->host);
    if (tx->port > 0)
        vg_jw_kv_uint(w, "http_port", (uint64_t)tx->port);
    kv_str(w, "url", &tx->uri_raw);
    kv_str(w, "http_user_agent", hv(&tx->req, "user-agent"));
    content_type(w, hv(&tx->res, "content-type"));
    kv_str(w, "http_refer", hv(&tx->req, "referer"));
    kv_str(w, "http_method", &tx->method);
    if (tx->protocol.p)
        kv_str(w, "protocol", &tx->protocol);
    else
        kv_str(w, "protocol", &tx->res_protocol);
    if (tx->status > 0)
        vg_jw_kv_uint(w, "status", (uint64_t)tx->status);
    kv_str(w, "redirect", hv(&tx->res, "location"));
    vg_jw_kv_uint(w, "length", tx->res.body.message_len);
    if (tx->has_request)
        headers(w, "request_headers", &tx->req);
    if (tx->res_started)
        headers(w, "response_headers", &tx->res);
    vg_jw_obj_close(w);
}
