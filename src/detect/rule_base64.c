/* rule_base64.c — base64_decode and base64_data.
 *
 * Semantics (Suricata 7, checked side by side with 7.0.10 on generated captures, see
 * docs/RULES.md): base64_decode[:[bytes N][,] [offset N][,] [relative]] sits in the list of the
 * active sticky buffer, else in the list of the rule's previous payload keyword, else in the
 * payload list. It decodes up to `bytes` input bytes (65535 when absent or 0) starting at
 * `offset` from the buffer's start, or from the previous match with `relative`. base64_data makes
 * the decoded bytes the buffer of every keyword that follows; the list then matches when those
 * keywords match the decoded bytes (the keywords after base64_data are a terminal list: nothing
 * after them is inspected in the original buffer).
 *
 * Rules Suricata loads but whose outcome depends on its fast-pattern choice or never inspects
 * part of what is written are skipped with a reason instead: keywords between base64_decode and
 * base64_data in the same buffer, a buffer change after base64_data (pkt_data; other sticky
 * buffers are an error, as in Suricata), more than one base64_decode.
 */
#include "detect/rule_int.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#define B64_DECODE_MAX 65535

static const char *skip_ws(const char *p)
{
    while (*p && isspace((unsigned char)*p))
        p++;
    return p;
}

static bool is_word(char c) { return isalnum((unsigned char)c) || c == '_'; }

/* One optional "NAME\s+(\d+),?" group at p: true with the digits' span when it matches. */
static bool num_group(const char *p, const char *name, const char **digits, size_t *nd,
                      const char **end)
{
    size_t k = strlen(name);
    if (strncmp(p, name, k) != 0 || !isspace((unsigned char)p[k]))
        return false;
    const char *q = skip_ws(p + k);
    const char *d = q;
    while (isdigit((unsigned char)*q))
        q++;
    if (q == d)
        return false;
    *digits = d;
    *nd = (size_t)(q - d);
    if (*q == ',')
        q++;
    *end = q;
    return true;
}

static bool parse_num(const char *d, size_t n, uint64_t max, uint64_t *out)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        v = v * 10 + (uint64_t)(d[i] - '0');
        if (v > max)
            return false;
    }
    *out = v;
    return true;
}

/* Suricata's pattern is \s*(bytes\s+(\d+),?)?\s*(offset\s+(\d+),?)?\s*(\w+)? searched without
 * an end anchor: the groups come in that order, a word after them must be "relative", and
 * anything after that is not looked at. bytes is a 16-bit number, offset a 32-bit one. */
bool vg_parse_base64_decode(const char *val, vg_b64_t *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    out->bytes = B64_DECODE_MAX;
    if (!val || !*val)
        return true;
    const char *p = skip_ws(val), *d, *e;
    size_t nd;
    bool any = false;
    uint64_t v;
    if (num_group(p, "bytes", &d, &nd, &e)) {
        if (!parse_num(d, nd, 65535, &v)) {
            snprintf(err, errlen, "bad value for bytes: \"%.*s\" (0-65535)", (int)VG_MIN(nd, 20u),
                     d);
            return false;
        }
        out->bytes = v ? (uint16_t)v : B64_DECODE_MAX;
        p = e;
        any = true;
    }
    p = skip_ws(p);
    if (num_group(p, "offset", &d, &nd, &e)) {
        if (!parse_num(d, nd, UINT32_MAX, &v)) {
            snprintf(err, errlen, "bad value for offset: \"%.*s\"", (int)VG_MIN(nd, 20u), d);
            return false;
        }
        out->offset = (uint32_t)v;
        p = e;
        any = true;
    }
    p = skip_ws(p);
    const char *w = p;
    while (is_word(*p))
        p++;
    if (p > w) {
        if ((size_t)(p - w) != 8 || strncmp(w, "relative", 8) != 0) {
            snprintf(err, errlen, "invalid argument \"%.*s\" (want bytes N, offset N, relative "
                     "in that order)", (int)VG_MIN((size_t)(p - w), 30u), w);
            return false;
        }
        out->relative = true;
        any = true;
    }
    if (!any) {
        snprintf(err, errlen, "invalid base64_decode value \"%.40s\"", val);
        return false;
    }
    return true;
}

int vg_kw_base64_decode(vg_pctx_t *pc, const vg_kw_t *kw, char *val)
{
    (void)kw;
    if (pc->b64_list >= 0)
        return vg_pc_fail(pc, VG_DIAG_SKIPPED, "more than one base64_decode in a rule",
                          "a second base64_decode (Suricata inspects only one per buffer)");
    vg_b64_t b;
    char err[128];
    if (!vg_parse_base64_decode(val, &b, err, sizeof err))
        return VG_PC_SYNTAX(pc, "base64_decode: %s", err);
    /* the sticky buffer's list, else the list of the previous payload keyword, else payload */
    int list = vg_pc_target_list(pc, true, -1);
    if (list < 0)
        return -1;
    vg_sm_t *sm = vg_pc_add_sm(pc, list, VG_SM_BASE64_DECODE);
    sm->u.b64 = b;
    pc->b64_list = list;
    return 0;
}

int vg_kw_base64_data(vg_pctx_t *pc, const vg_kw_t *kw, char *val)
{
    (void)kw;
    (void)val;
    if (pc->b64_list < 0 || pc->b64_data)
        return VG_PC_SYNTAX(pc, "base64_data without a preceding base64_decode");
    vg_blist_t *l = &pc->s->lists[pc->b64_list];
    if (l->n == 0 || l->sm[l->n - 1].type != VG_SM_BASE64_DECODE)
        return vg_pc_fail(pc, VG_DIAG_SKIPPED,
                          "keywords between base64_decode and base64_data",
                          "keywords between base64_decode and base64_data in one buffer are "
                          "not inspected by Suricata (only its fast pattern may need them)");
    vg_pc_add_sm(pc, pc->b64_list, VG_SM_BASE64_DATA);
    /* what follows goes into that list, after the marker, like a sticky buffer */
    pc->b64_data = true;
    pc->sticky = true;
    pc->sticky_fresh = false;
    pc->cur_list = pc->b64_list;
    pc->pend_buf = VG_STICKY_NONE;
    pc->pend_n_xform = 0;
    pc->last_list = pc->last_sm = -1; /* a modifier here has no content to modify */
    pc->last_any_list = pc->last_any_sm = -1;
    return 0;
}
