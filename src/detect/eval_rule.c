/* eval_rule.c — rule-level evaluation for the reference evaluator: header (protocol,
 * addresses, ports, direction), packet keywords, flow keyword, flowbit/flowint conditions,
 * transforms, then every inspection list (eval.c). Also the post-match actions
 * (flowbits set/unset/toggle, flowint arithmetic) and the per-flow variable store.
 */
#include "detect/eval_int.h"
#include "decode/decode.h"
#include "detect/rule_int.h"

#include <ctype.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

/* ---- transforms ---- */

static bool is_ws(uint8_t c) { return isspace(c) != 0; }

static int hexv(uint8_t c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static void xform_one(const vg_xform_t *x, const uint8_t *in, uint32_t n, vg_buf_t *o)
{
    vg_buf_reset(o);
    vg_buf_reserve(o, (size_t)n + 64);
    uint8_t *w = (uint8_t *)o->data;
    size_t k = 0;
    switch (x->type) {
    case VG_XF_DOTPREFIX:
        w[k++] = '.';
        memcpy(w + k, in, n);
        k += n;
        break;
    case VG_XF_STRIP_WHITESPACE:
        for (uint32_t i = 0; i < n; i++)
            if (!is_ws(in[i]))
                w[k++] = in[i];
        break;
    case VG_XF_COMPRESS_WHITESPACE: /* a run of whitespace keeps its first character */
        for (uint32_t i = 0; i < n; i++) {
            w[k++] = in[i];
            if (is_ws(in[i]))
                while (i + 1 < n && is_ws(in[i + 1]))
                    i++;
        }
        break;
    case VG_XF_TO_LOWERCASE:
    case VG_XF_HEADER_LOWERCASE:
        for (uint32_t i = 0; i < n; i++)
            w[k++] = (uint8_t)tolower(in[i]);
        break;
    case VG_XF_TO_UPPERCASE:
        for (uint32_t i = 0; i < n; i++)
            w[k++] = (uint8_t)toupper(in[i]);
        break;
    case VG_XF_URL_DECODE:
        for (uint32_t i = 0; i < n; i++) {
            int hi, lo;
            if (in[i] == '%' && i + 2 < n &&
                (hi = hexv(in[i + 1])) >= 0 && (lo = hexv(in[i + 2])) >= 0) {
                w[k++] = (uint8_t)(hi << 4 | lo);
                i += 2;
            } else {
                w[k++] = in[i] == '+' ? ' ' : in[i];
            }
        }
        break;
    case VG_XF_XOR:
        for (uint32_t i = 0; i < n; i++)
            w[k++] = in[i] ^ x->key[i % x->key_len];
        break;
    case VG_XF_TO_MD5:
    case VG_XF_TO_SHA1:
    case VG_XF_TO_SHA256: {
        const EVP_MD *md = x->type == VG_XF_TO_MD5 ? EVP_md5()
                           : x->type == VG_XF_TO_SHA1 ? EVP_sha1() : EVP_sha256();
        unsigned int dl = 0;
        EVP_Digest(in, n, w, &dl, md, NULL);
        k = dl;
        break;
    }
    }
    o->len = k;
}

const uint8_t *vg_detect_transform(vg_detect_thread_t *t, const vg_rule_list_t *l,
                                   const uint8_t *buf, uint32_t *len)
{
    for (uint8_t i = 0; i < l->n_xform; i++) {
        vg_buf_t *o = &t->xf[i & 1];
        xform_one(&l->xform[i], buf, *len, o);
        buf = (const uint8_t *)o->data;
        *len = (uint32_t)o->len;
    }
    return buf;
}

/* ---- lists ---- */

static bool eval_on(vg_detect_thread_t *t, const vg_rule_list_t *l, const uint8_t *b, uint32_t n,
                    uint64_t *vars)
{
    if (!b)
        return false;
    b = vg_detect_transform(t, l, b, &n);
    return vg_detect_inspect_buffer(t, l, b, n, vars);
}

static bool eval_list(vg_detect_thread_t *t, const vg_rule_t *r, const vg_rule_list_t *l,
                      const vg_detect_input_t *in, uint64_t *vars)
{
    if (l->buf == VG_DBUF_PAYLOAD) {
        /* a packet whose data went into the stream: its payload is for the rules that require
         * the packet (the others see those bytes in a raw-stream window), as Suricata skips
         * SIG_FLAG_REQUIRE_STREAM-only rules on PKT_STREAM_ADD packets */
        bool pkt = !(r->flags & VG_RULE_TCP_STREAM) && !(r->flow & VG_RFLOW_ONLY_STREAM) &&
                   (!(in->flow & VG_DIN_STREAM_ADD) || (r->flags & VG_RULE_REQ_PACKET));
        bool stream = !(r->flags & VG_RULE_PKT_ONLY);
        /* the raw-stream window first, then the packet's payload, as Suricata */
        if (stream && in->stream && eval_on(t, l, in->stream, in->stream_len, vars)) {
            t->stream_match = true;
            t->payload_offset = t->last_offset;
            return true;
        }
        if (pkt && eval_on(t, l, in->buf[VG_DBUF_PAYLOAD], in->len[VG_DBUF_PAYLOAD], vars)) {
            t->payload_offset = t->last_offset;
            return true;
        }
        return false;
    }
    if (l->flags & VG_LIST_ALT_BUF) {
        /* a rule without a direction: each direction inspects its own side's buffer (request
         * or response headers, client or server banner), as Suricata's engines per direction
         * do, so that the alert has the direction the match came from */
        bool tc = in->flow & VG_DIN_TOCLIENT, ts = in->flow & VG_DIN_TOSERVER;
        if (tc && !ts)
            return eval_on(t, l, in->buf[l->alt_buf], in->len[l->alt_buf], vars);
        if (ts && !tc)
            return eval_on(t, l, in->buf[l->buf], in->len[l->buf], vars);
        return eval_on(t, l, in->buf[l->buf], in->len[l->buf], vars) ||
               eval_on(t, l, in->buf[l->alt_buf], in->len[l->alt_buf], vars);
    }
    return eval_on(t, l, in->buf[l->buf], in->len[l->buf], vars);
}

bool vg_detect_eval_lists(vg_detect_thread_t *t, const vg_rule_t *r, const vg_detect_input_t *in)
{
    uint64_t vars[VG_MAX_BYTE_VARS] = {0};
    for (uint32_t i = 0; i < r->n_lists; i++)
        if (!eval_list(t, r, &r->lists[i], in, vars))
            return false;
    return true;
}

/* ---- header and packet keywords ---- */

static uint8_t l4_bit(uint8_t proto)
{
    switch (proto) {
    case 6: return VG_L4_TCP;
    case 17: return VG_L4_UDP;
    case 1: return VG_L4_ICMP4;
    case 58: return VG_L4_ICMP6;
    default: return VG_L4_OTHER;
    }
}

static bool side_match(const vg_rule_t *r, const vg_packet_t *p, bool swap, bool ports)
{
    const vg_addr_t *s = swap ? &p->dst : &p->src, *d = swap ? &p->src : &p->dst;
    uint16_t sp = swap ? p->dp : p->sp, dp = swap ? p->sp : p->dp;
    if (!vg_addr_set_match(r->src, s, p->ip_ver) || !vg_addr_set_match(r->dst, d, p->ip_ver))
        return false;
    if (!ports)
        return true;
    return vg_port_set_match(r->sp, sp) && vg_port_set_match(r->dp, dp);
}

static bool header_match(const vg_rule_t *r, const vg_packet_t *p)
{
    if (!(r->l4 & l4_bit(p->proto)))
        return false;
    bool ports = p->proto == 6 || p->proto == 17;
    if (side_match(r, p, false, ports))
        return true;
    return (r->flags & VG_RULE_BIDIR) && side_match(r, p, true, ports);
}

static bool bits_match(uint8_t mode, uint8_t have, uint8_t want)
{
    switch (mode) {
    case VG_BITS_EXACT: return have == want;
    case VG_BITS_PLUS: return (have & want) == want;
    case VG_BITS_ANY: return (have & want) != 0;
    case VG_BITS_NOT: return (have & want) == 0;
    }
    return false;
}

static bool tls_version(const vg_detect_input_t *in, uint64_t *v)
{
    const uint8_t *b = in->buf[VG_BUF_TLS_VERSION];
    uint32_t n = in->len[VG_BUF_TLS_VERSION];
    if (!b)
        return false;
    if (n == 2) { /* wire form */
        *v = (uint64_t)b[0] << 8 | b[1];
        return true;
    }
    /* text form: "1.2", "TLS 1.2", "TLSv1.2" */
    uint32_t i = 0;
    while (i < n && !isdigit(b[i]))
        i++;
    if (i + 3 > n || b[i + 1] != '.' || !isdigit(b[i + 2]))
        return false;
    int maj = b[i] - '0', min = b[i + 2] - '0';
    *v = maj == 1 ? 0x0301u + (unsigned)min : 0x0300;
    return true;
}

/* ssl_version: the inspected direction's side (VG_SSLV_* bit), -1 when unknown. */
static int ssl_side_version(const vg_detect_input_t *in)
{
    int b = (in->flow & VG_DIN_TOCLIENT) ? VG_BUF_TLS_SERVER_VERSION : VG_BUF_TLS_CLIENT_VERSION;
    if (!in->buf[b] || in->len[b] != 2)
        return -1;
    unsigned v = (unsigned)in->buf[b][0] << 8 | in->buf[b][1];
    if (v == 0x0002 || v == 0x0200)
        return VG_SSLV_2;
    if (v >= 0x0300 && v <= 0x0304)
        return VG_SSLV_3 + (int)(v - 0x0300);
    if ((v >> 8) == 0x7f) /* TLS 1.3 drafts */
        return VG_SSLV_TLS13;
    return -1;
}

static bool pm_match(const vg_pkt_match_t *m, const vg_packet_t *p, const vg_detect_input_t *in)
{
    uint64_t v;
    bool tcp = p->proto == 6, icmp = p->proto == 1 || p->proto == 58;
    switch (m->type) {
    case VG_PM_TTL: v = p->ttl; break;
    case VG_PM_DSIZE: v = p->payload_len; break;
    case VG_PM_ITYPE: if (!icmp) return false; v = p->icmp_type; break;
    case VG_PM_ICODE: if (!icmp) return false; v = p->icmp_code; break;
    case VG_PM_ICMP_ID: if (!icmp) return false; v = p->icmp_id; break;
    case VG_PM_ICMP_SEQ: if (!icmp) return false; v = p->icmp_seq; break;
    case VG_PM_IP_PROTO: v = p->proto; break;
    case VG_PM_IP_ID: if (p->ip_ver != 4) return false; v = p->ip_id; break;
    case VG_PM_TCP_SEQ: if (!tcp) return false; v = p->tcp_seq; break;
    case VG_PM_TCP_ACK: if (!tcp) return false; v = p->tcp_ack; break;
    case VG_PM_WINDOW: if (!tcp) return false; v = p->tcp_win; break;
    case VG_PM_TCP_MSS: if (!tcp || p->tcp_mss == 0) return false; v = p->tcp_mss; break;
    case VG_PM_FLAGS:
        if (!tcp)
            return false;
        return bits_match(m->bits_mode, (uint8_t)(p->tcp_flags & ~m->mask), m->bits);
    case VG_PM_FRAGBITS:
        if (p->ip_ver != 4 || !p->l3 || p->l3_len < 8)
            return false;
        return bits_match(m->bits_mode, p->l3[6] & 0xe0, m->bits);
    case VG_PM_TLS_VERSION:
        if (!tls_version(in, &v))
            return false;
        break;
    case VG_PM_SSL_VERSION: {
        int sv = ssl_side_version(in);
        if (sv < 0)
            return false;
        return ((m->bits >> sv) & 1) || (m->mask && !((m->mask >> sv) & 1));
    }
    case VG_PM_STREAM_SIZE: {
        if (!(in->flow & VG_DIN_STREAM_SIZE))
            return false; /* no TCP session: no match, as in Suricata */
        bool c = vg_cmp_eval(&m->cmp, in->stream_size[0]);
        bool sv = vg_cmp_eval(&m->cmp, in->stream_size[1]);
        switch (m->bits) {
        case VG_SSZ_SERVER: return sv;
        case VG_SSZ_CLIENT: return c;
        case VG_SSZ_BOTH: return c && sv;
        default: return c || sv;
        }
    }
    case VG_PM_FTPBOUNCE:
        return in->flow & VG_DIN_FTPBOUNCE;
    case VG_PM_DECODE_EVENT:
        for (unsigned i = 0; i < p->n_events; i++)
            if (p->events[i] == m->cmp.a)
                return true;
        return false;
    case VG_PM_CSUM: {
        if (in->flow & VG_DIN_PSEUDO)
            return false; /* no packet of its own (Suricata's pseudo packet) */
        int ok = vg_decode_csum_valid(p, (enum vg_csum_kind)m->bits);
        return ok >= 0 && ok == m->bits_mode;
    }
    case VG_PM_IP_VER:
        return p->ip_ver == m->cmp.a;
    case VG_PM_STREAM_EVENT:
        for (uint32_t i = 0; i < in->n_stream_ev; i++)
            if (in->stream_ev[i] == m->cmp.a)
                return true;
        return false;
    case VG_PM_APP_EVENT: /* the rule's protocol is the transaction's (rule app_proto) */
        return (in->app_events >> m->cmp.a) & 1;
    case VG_PM_FTPDATA_CMD: /* as Suricata: RETR only toward the client, STOR toward the server */
        return m->bits ? (in->flow & VG_DIN_FTPDATA_STOR) && (in->flow & VG_DIN_TOSERVER)
                       : (in->flow & VG_DIN_FTPDATA_RETR) && (in->flow & VG_DIN_TOCLIENT);
    case VG_PM_APP_PROTO: {
        /* the flow's protocol, or with to_server/to_client that direction's own; an undecided
         * protocol matches neither the name nor its negation (as Suricata) */
        uint8_t ap = m->mask ? in->dir_proto[(m->mask - 1) & 1] : in->app_proto;
        if (!m->mask && m->bits && in->app_proto_orig) /* mode original, after a change */
            ap = in->app_proto_orig;
        if (ap == VG_APP_UNKNOWN)
            return false;
        bool same = ap == m->cmp.a || (m->cmp.a == VG_APP_DCERPC && ap == VG_APP_SMB);
        return same != (m->bits_mode != 0);
    }
    default:
        return false;
    }
    return vg_cmp_eval(&m->cmp, v);
}

static bool flow_match(const vg_rule_t *r, const vg_detect_input_t *in)
{
    uint8_t f = r->flow;
    if (!f)
        return true;
    if ((f & VG_RFLOW_ESTABLISHED) && !(in->flow & VG_DIN_ESTABLISHED))
        return false;
    if ((f & VG_RFLOW_NOT_ESTABLISHED) && (in->flow & VG_DIN_ESTABLISHED))
        return false;
    if ((f & VG_RFLOW_TOSERVER) && !(in->flow & VG_DIN_TOSERVER))
        return false;
    if ((f & VG_RFLOW_TOCLIENT) && !(in->flow & VG_DIN_TOCLIENT))
        return false;
    return true;
}

/* ---- flow variables ---- */

vg_flowvars_t *vg_flowvars_new(const vg_ruleset_t *rs)
{
    /* One zeroed block (a flow's variables are made on its first inspected packet, so this is
     * once per flow): the struct, then the bit words, the presence words, the integers. */
    uint32_t nb = rs->n_flowbit_names, ni = rs->n_flowint_names;
    size_t wb = (nb + 63) / 64 + 1, wi = (ni + 63) / 64 + 1;
    size_t head = (sizeof(vg_flowvars_t) + 7) / 8 * 8;
    uint8_t *m = vg_xcalloc(1, head + (wb + wi) * sizeof(uint64_t) + (ni + 1) * sizeof(uint32_t));
    vg_flowvars_t *fv = (vg_flowvars_t *)m;
    fv->n_bits = nb;
    fv->bits = (uint64_t *)(m + head);
    fv->int_set = fv->bits + wb;
    fv->n_ints = ni;
    fv->ints = (uint32_t *)(fv->int_set + wi);
    return fv;
}

vg_flowvars_t *vg_flowvars_remap(const vg_flowvars_t *fv, const uint32_t *bit_map,
                                 const uint32_t *int_map, const vg_ruleset_t *rs)
{
    vg_flowvars_t *n = vg_flowvars_new(rs);
    for (uint32_t i = 0; i < fv->n_bits; i++)
        if (bit_map[i] != VG_VAR_NONE && vg_flowvars_isset(fv, i))
            vg_flowvars_set(n, bit_map[i], true);
    for (uint32_t i = 0; i < fv->n_ints; i++) {
        uint32_t j = int_map[i];
        if (j == VG_VAR_NONE || j >= n->n_ints || !(fv->int_set[i / 64] >> (i % 64) & 1))
            continue;
        n->ints[j] = fv->ints[i];
        n->int_set[j / 64] |= 1ULL << (j % 64);
    }
    for (uint32_t i = 0; i < fv->n_strs; i++) /* by name: they survive a reload */
        vg_flowvars_set_str(n, fv->strs[i].name, fv->strs[i].val, fv->strs[i].len);
    return n;
}

void vg_flowvars_free(vg_flowvars_t *fv)
{
    if (!fv)
        return;
    for (uint32_t i = 0; i < fv->n_strs; i++) {
        free(fv->strs[i].name);
        free(fv->strs[i].val);
    }
    free(fv->strs);
    free(fv->thr);
    free(fv);
}

const struct vg_flow_str *vg_flowvars_get_str(const vg_flowvars_t *fv, const char *name)
{
    for (uint32_t i = 0; fv && i < fv->n_strs; i++)
        if (strcmp(fv->strs[i].name, name) == 0)
            return &fv->strs[i];
    return NULL;
}

void vg_flowvars_set_str(vg_flowvars_t *fv, const char *name, const uint8_t *val, size_t len)
{
    struct vg_flow_str *s = (struct vg_flow_str *)vg_flowvars_get_str(fv, name);
    if (!s) {
        if (fv->n_strs >= VG_FLOWVAR_MAX)
            return;
        if (fv->n_strs == fv->cap_strs) {
            fv->cap_strs = fv->cap_strs ? 2 * fv->cap_strs : 4;
            fv->strs = vg_xrealloc(fv->strs, fv->cap_strs * sizeof(*fv->strs));
        }
        s = &fv->strs[fv->n_strs++];
        s->name = vg_xstrdup(name);
        s->val = NULL;
    }
    len = VG_MIN(len, (size_t)VG_FLOWVAR_MAX_LEN);
    free(s->val);
    s->val = vg_xmalloc(len ? len : 1);
    if (len)
        memcpy(s->val, val, len);
    s->len = (uint32_t)len;
}

bool vg_flowvars_isset(const vg_flowvars_t *fv, uint32_t id)
{
    return fv && id < fv->n_bits && (fv->bits[id / 64] >> (id % 64) & 1);
}

void vg_flowvars_set(vg_flowvars_t *fv, uint32_t id, bool on)
{
    if (!fv || id >= fv->n_bits)
        return;
    if (on)
        fv->bits[id / 64] |= 1ULL << (id % 64);
    else
        fv->bits[id / 64] &= ~(1ULL << (id % 64));
}

static bool int_get(const vg_flowvars_t *fv, uint32_t id, uint32_t *v)
{
    if (!fv || id >= fv->n_ints || !(fv->int_set[id / 64] >> (id % 64) & 1))
        return false;
    *v = fv->ints[id];
    return true;
}

static bool flowvar_conditions(const vg_rule_t *r, const vg_flowvars_t *fv)
{
    for (uint32_t i = 0; i < r->n_flowbits; i++) {
        const vg_flowbit_t *b = &r->flowbits[i];
        if (b->cmd != VG_FB_ISSET && b->cmd != VG_FB_ISNOTSET)
            continue;
        bool any = false; /* names are ORed */
        for (uint8_t k = 0; k < b->n && !any; k++)
            any = (b->cmd == VG_FB_ISSET) == vg_flowvars_isset(fv, b->ids[k]);
        if (!any)
            return false;
    }
    for (uint32_t i = 0; i < r->n_flowints; i++) {
        const vg_flowint_t *f = &r->flowints[i];
        uint32_t cur, want = f->value;
        bool set = int_get(fv, f->id, &cur);
        if (f->op == VG_FI_ADD || f->op == VG_FI_SUB || f->op == VG_FI_SET)
            continue;
        if (f->op == VG_FI_ISSET || f->op == VG_FI_NOTSET) {
            if (set != (f->op == VG_FI_ISSET))
                return false;
            continue;
        }
        if (!set || (f->value_is_var && !int_get(fv, f->value, &want)))
            return false;
        bool ok = false;
        switch (f->op) {
        case VG_FI_EQ: ok = cur == want; break;
        case VG_FI_NE: ok = cur != want; break;
        case VG_FI_LT: ok = cur < want; break;
        case VG_FI_GT: ok = cur > want; break;
        case VG_FI_LE: ok = cur <= want; break;
        case VG_FI_GE: ok = cur >= want; break;
        }
        if (!ok)
            return false;
    }
    return true;
}

void vg_detect_apply_actions(const vg_rule_t *r, vg_flowvars_t *fv)
{
    if (!fv)
        return;
    for (uint32_t i = 0; i < r->n_flowbits; i++) {
        const vg_flowbit_t *b = &r->flowbits[i];
        for (uint8_t k = 0; k < b->n; k++) {
            if (b->cmd == VG_FB_SET)
                vg_flowvars_set(fv, b->ids[k], true);
            else if (b->cmd == VG_FB_UNSET)
                vg_flowvars_set(fv, b->ids[k], false);
            else if (b->cmd == VG_FB_TOGGLE)
                vg_flowvars_set(fv, b->ids[k], !vg_flowvars_isset(fv, b->ids[k]));
        }
    }
    for (uint32_t i = 0; i < r->n_flowints; i++) {
        const vg_flowint_t *f = &r->flowints[i];
        if (f->op != VG_FI_ADD && f->op != VG_FI_SUB && f->op != VG_FI_SET)
            continue;
        if (f->id >= fv->n_ints)
            continue;
        uint32_t v = f->value, cur = 0;
        if (f->value_is_var && !int_get(fv, f->value, &v))
            continue;
        bool set = int_get(fv, f->id, &cur);
        if (f->op == VG_FI_SET)
            cur = v;
        else if (f->op == VG_FI_ADD)
            cur = set ? cur + v : v;
        else
            cur = set ? cur - v : 0u - v;
        fv->ints[f->id] = cur;
        fv->int_set[f->id / 64] |= 1ULL << (f->id % 64);
    }
}

bool vg_detect_should_alert(const vg_rule_t *r) { return !(r->flags & VG_RULE_NOALERT); }

/* ---- the rule ---- */

bool vg_detect_thread_stream_match(const vg_detect_thread_t *t) { return t->stream_match; }

/* asn1 (packet keywords judged after the lists, as Suricata's packet match list runs after its
 * payload inspection): on the packet's own payload, relative to where the payload list's match
 * ended. A rule without a payload list counts from 0 (Suricata would use whatever offset an
 * earlier inspection left behind). */
static bool asn1_match(const vg_detect_thread_t *t, const vg_rule_t *r,
                       const vg_detect_input_t *in)
{
    const uint8_t *pay = in->buf[VG_DBUF_PAYLOAD];
    uint32_t n = in->len[VG_DBUF_PAYLOAD];
    for (uint32_t i = 0; i < r->n_pm; i++) {
        if (r->pm[i].type != VG_PM_ASN1)
            continue;
        if (!pay || n == 0 || !vg_asn1_match(&r->pm[i].asn1, pay, n, t->payload_offset))
            return false;
    }
    return true;
}

bool vg_detect_eval_rule(vg_detect_thread_t *t, const vg_rule_t *r, const vg_detect_input_t *in)
{
    if (t->n_cap)
        vg_detect_caps_reset(t);
    t->stream_match = false;
    t->payload_offset = 0;
    const vg_packet_t *p = in->pkt;
    /* a dcerpc rule also applies to SMB flows (DCE/RPC over named pipes), as Suricata's
     * AppProtoEquals(); so does app-layer-protocol:dcerpc (VG_PM_APP_PROTO) */
    if (r->app_proto != VG_APP_UNKNOWN && in->app_proto != r->app_proto &&
        !(r->app_proto == VG_APP_DCERPC && in->app_proto == VG_APP_SMB))
        return false;
    if ((r->flags & VG_RULE_APP_BARE) && !(in->flow & VG_DIN_PROTO_PRIOR))
        return false;
    if ((r->flags & VG_RULE_PD_ONLY) && !(in->flow & VG_DIN_PROTO_DONE))
        return false;
    if ((r->flags & VG_RULE_PD_DIR) && !(in->flow & VG_DIN_DIR_PROTO_DONE))
        return false;
    if (p) {
        if (!header_match(r, p))
            return false;
        if ((r->flags & VG_RULE_SAMEIP) && memcmp(&p->src, &p->dst, sizeof(p->src)) != 0)
            return false;
    }
    bool has_asn1 = false;
    for (uint32_t i = 0; i < r->n_pm; i++) {
        if (r->pm[i].type == VG_PM_ASN1) {
            has_asn1 = true;
        } else if (vg_pm_is_app_state(r->pm[i].type) || r->pm[i].type == VG_PM_APP_PROTO) {
            vg_packet_t none;
            memset(&none, 0, sizeof(none));
            if (!pm_match(&r->pm[i], p ? p : &none, in))
                return false;
        } else if (p && !pm_match(&r->pm[i], p, in)) {
            return false;
        }
    }
    if (!flow_match(r, in) || !flowvar_conditions(r, in->fv))
        return false;
    if (!vg_detect_eval_lists(t, r, in))
        return false;
    return !has_asn1 || asn1_match(t, r, in);
}
