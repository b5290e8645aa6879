/* rule_content.c — content and its modifiers, sticky buffers, legacy buffer modifiers
 * (content:"x"; http_uri;) and transforms.
 *
 * Modifiers apply to the most recent content of the rule, whatever its list, as in Suricata.
 * depth and offset are kept as written; the evaluator computes the absolute end (offset+depth),
 * which is what Suricata stores. Validation mirrors Suricata's setup errors: relative and
 * absolute modifiers do not mix on one content, within/depth may not be shorter than the
 * pattern, startswith excludes depth/offset/distance/within, fast_pattern once per rule.
 */
#include "detect/rule_int.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

static vg_content_t *last_content(vg_pctx_t *pc, const char *kw)
{
    if (pc->last_list < 0) {
        VG_PC_SYNTAX(pc, "'%s' needs a preceding content", kw);
        return NULL;
    }
    return &pc->s->lists[pc->last_list].sm[pc->last_sm].u.content;
}

static int add_content(vg_pctx_t *pc, char *val, int list)
{
    uint8_t *pat;
    uint32_t len;
    bool neg;
    if (vg_parse_content_str(pc, val, &pat, &len, &neg) != 0)
        return -1;
    if (list < 0)
        return -1;
    vg_sm_t *sm = vg_pc_add_sm(pc, list, VG_SM_CONTENT);
    sm->u.content.pat = pat;
    sm->u.content.len = len;
    if (neg)
        sm->u.content.flags |= VG_CT_NEGATED;
    return 0;
}

int vg_kw_content(vg_pctx_t *pc, const vg_kw_t *kw, char *val)
{
    (void)kw;
    int list = vg_pc_target_list(pc, false, -1);
    return add_content(pc, val, list);
}

/* tls.issuerdn:[!]"text" / tls.subject:[!]"text" (Suricata's legacy TLS keywords): the
 * certificate's issuer or subject contains text (case-sensitive; negated: does not contain it;
 * no certificate: no match either way). That is a content in the sticky buffer, so it is added
 * as one, leaving the rule's own sticky buffer and content cursor as they were: a modifier after
 * it has nothing to modify, as in Suricata, where these are not contents. */
int vg_kw_tls_legacy_dn(vg_pctx_t *pc, const vg_kw_t *kw, char *val)
{
    vg_pctx_t saved = *pc;
    pc->cur_list = -1;
    pc->sticky = pc->sticky_fresh = true;
    pc->pend_buf = kw->arg;
    pc->pend_n_xform = 0;
    int rc = add_content(pc, val, vg_pc_target_list(pc, false, -1));
    if (rc != 0)
        return rc;
    pc->cur_list = saved.cur_list;
    pc->sticky = saved.sticky;
    pc->sticky_fresh = saved.sticky_fresh;
    pc->pend_buf = saved.pend_buf;
    pc->pend_n_xform = saved.pend_n_xform;
    pc->last_list = -1;
    pc->last_sm = -1;
    pc->last_any_list = saved.last_any_list;
    pc->last_any_sm = saved.last_any_sm;
    return 0;
}

int vg_kw_uricontent(vg_pctx_t *pc, const vg_kw_t *kw, char *val)
{
    if (pc->sticky)
        return VG_PC_SYNTAX(pc, "uricontent cannot be used after a sticky buffer");
    return add_content(pc, val, vg_pc_get_list(pc, kw->arg, 0, NULL));
}

/* A number or a byte_extract variable. */
static int num_or_var(vg_pctx_t *pc, const char *kw, const char *val, bool allow_neg, int32_t *out,
                      bool *is_var)
{
    int64_t v;
    *is_var = false;
    if (vg_parse_i64(val, &v)) {
        if ((!allow_neg && v < 0) || v > 65535 || v < -65535)
            return VG_PC_SYNTAX(pc, "%s value %s out of range", kw, val);
        *out = (int32_t)v;
        return 0;
    }
    int slot = vg_pc_byte_var(pc, val);
    if (slot < 0)
        return VG_PC_SYNTAX(pc, "%s: '%s' is neither a number nor a byte_extract variable", kw,
                            val);
    *out = slot;
    *is_var = true;
    return 0;
}

int vg_kw_content_mod(vg_pctx_t *pc, const vg_kw_t *kw, char *val)
{
    vg_content_t *c = last_content(pc, kw->name);
    if (!c)
        return -1;
    const uint32_t rel = VG_CT_DISTANCE | VG_CT_WITHIN, abs = VG_CT_DEPTH | VG_CT_OFFSET;
    int32_t v = 0;
    bool var = false;
    switch (kw->arg) {
    case MOD_NOCASE:
        if (c->flags & VG_CT_NOCASE)
            return VG_PC_SYNTAX(pc, "nocase given twice for one content");
        c->flags |= VG_CT_NOCASE;
        return 0;
    case MOD_RAWBYTES:
        c->flags |= VG_CT_RAWBYTES; /* Suricata: no effect (payload is always raw) */
        return 0;
    case MOD_STARTSWITH:
        if (c->flags & (rel | abs | VG_CT_STARTSWITH))
            return VG_PC_SYNTAX(pc, "startswith cannot be combined with depth, offset, distance "
                                "or within");
        c->flags |= VG_CT_STARTSWITH | VG_CT_DEPTH;
        c->depth = (int32_t)c->len;
        c->offset = 0;
        return 0;
    case MOD_ENDSWITH:
        c->flags |= VG_CT_ENDSWITH;
        return 0;
    default:
        break;
    }
    if (c->flags & VG_CT_STARTSWITH)
        return VG_PC_SYNTAX(pc, "%s cannot be combined with startswith", kw->name);
    bool is_rel = kw->arg == MOD_DISTANCE || kw->arg == MOD_WITHIN;
    if (num_or_var(pc, kw->name, val, kw->arg == MOD_DISTANCE, &v, &var) != 0)
        return -1;
    if (is_rel && (c->flags & abs))
        return VG_PC_SYNTAX(pc, "can't use relative '%s' with depth/offset on the same content",
                            kw->name);
    if (!is_rel && (c->flags & rel))
        return VG_PC_SYNTAX(pc, "can't use absolute '%s' with distance/within on the same "
                            "content", kw->name);
    switch (kw->arg) {
    case MOD_DEPTH:
        if (c->flags & VG_CT_DEPTH)
            return VG_PC_SYNTAX(pc, "depth given twice for one content");
        if (!var && (uint32_t)v < c->len)
            return VG_PC_SYNTAX(pc, "depth %d is smaller than the content length %u", v, c->len);
        c->flags |= VG_CT_DEPTH | (var ? VG_CT_DEPTH_VAR : 0);
        c->depth = v;
        break;
    case MOD_OFFSET:
        if (c->flags & VG_CT_OFFSET)
            return VG_PC_SYNTAX(pc, "offset given twice for one content");
        c->flags |= VG_CT_OFFSET | (var ? VG_CT_OFFSET_VAR : 0);
        c->offset = v;
        break;
    case MOD_DISTANCE:
        if (c->flags & VG_CT_DISTANCE)
            return VG_PC_SYNTAX(pc, "distance given twice for one content");
        c->flags |= VG_CT_DISTANCE | (var ? VG_CT_DISTANCE_VAR : 0);
        c->distance = v;
        break;
    case MOD_WITHIN:
        if (c->flags & VG_CT_WITHIN)
            return VG_PC_SYNTAX(pc, "within given twice for one content");
        if (!var && (v <= 0 || (uint32_t)v < c->len))
            return VG_PC_SYNTAX(pc, "within %d is smaller than the content length %u", v, c->len);
        c->flags |= VG_CT_WITHIN | (var ? VG_CT_WITHIN_VAR : 0);
        c->within = v;
        break;
    }
    return 0;
}

int vg_kw_fast_pattern(vg_pctx_t *pc, const vg_kw_t *kw, char *val)
{
    vg_content_t *c = last_content(pc, kw->name);
    if (!c)
        return -1;
    if (pc->n_fp++)
        return VG_PC_SYNTAX(pc, "fast_pattern can be set on only one content per rule");
    c->flags |= VG_CT_FAST_PATTERN;
    if (!val || !*val)
        return 0;
    if (strcmp(val, "only") == 0) {
        if (c->flags & (VG_CT_NEGATED | VG_CT_DISTANCE | VG_CT_WITHIN | VG_CT_DEPTH | VG_CT_OFFSET))
            return VG_PC_SYNTAX(pc, "fast_pattern:only cannot be used on a negated or "
                                "positioned content");
        c->flags |= VG_CT_FP_ONLY;
        return 0;
    }
    char *rest = vg_split(val, ',');
    uint64_t off, len;
    if (!rest || !vg_parse_u64(val, &off) || !vg_parse_u64(rest, &len) || len == 0 ||
        off + len > c->len)
        return VG_PC_SYNTAX(pc, "invalid fast_pattern argument (want only or offset,length "
                            "within the content)");
    c->flags |= VG_CT_FP_CHOP;
    c->fp_off = (uint16_t)off;
    c->fp_len = (uint16_t)len;
    return 0;
}

int vg_pc_sticky_unused(vg_pctx_t *pc)
{
    if (pc->sticky && pc->sticky_fresh) {
        pc->col = pc->sticky_col; /* the error points at the buffer's keyword */
        return VG_PC_SYNTAX(pc, "sticky buffer '%s' has no match keyword after it (Suricata "
                            "refuses a buffer that gets no matches)", pc->sticky_kw);
    }
    return 0;
}

int vg_kw_sticky(vg_pctx_t *pc, const vg_kw_t *kw, char *val)
{
    (void)val;
    if (pc->b64_data && kw->arg < 0)
        return vg_pc_fail(pc, VG_DIAG_SKIPPED, "pkt_data after base64_data",
                          "keywords after base64_data and pkt_data are not inspected by "
                          "Suricata (base64_data is a terminal list)");
    if (pc->b64_data)
        return VG_PC_SYNTAX(pc, "rule buffer cannot be reset after base64_data ('%s')",
                            kw->name);
    if (vg_pc_sticky_unused(pc) < 0) /* even the same buffer again, as in Suricata */
        return -1;
    pc->cur_list = -1;
    pc->pend_n_xform = 0;
    pc->sticky_kw = kw->name;
    pc->sticky_col = pc->col;
    if (kw->arg < 0) { /* pkt_data: back to the payload */
        pc->sticky = false;
        pc->sticky_fresh = false;
        pc->pend_buf = -1;
        return 0;
    }
    pc->sticky = true;
    pc->sticky_fresh = true;
    pc->pend_buf = kw->arg;
    return 0;
}

/* content:"x"; http_uri;  — move the previous content (from the payload list) to the buffer. */
int vg_kw_legacy_mod(vg_pctx_t *pc, const vg_kw_t *kw, char *val)
{
    (void)val;
    if (pc->last_list < 0)
        return VG_PC_SYNTAX(pc, "'%s' needs a preceding content", kw->name);
    if (pc->sticky)
        return VG_PC_SYNTAX(pc, "'%s' cannot modify a content inside a sticky buffer", kw->name);
    vg_blist_t *from = &pc->s->lists[pc->last_list];
    if (from->buf != VG_DBUF_PAYLOAD || from->n_xform)
        return VG_PC_SYNTAX(pc, "content already has a buffer ('%s' after another modifier)",
                            kw->name);
    vg_sm_t moved = from->sm[pc->last_sm];
    int idx = pc->last_sm, src = pc->last_list;
    memmove(&from->sm[idx], &from->sm[idx + 1], (from->n - (uint32_t)idx - 1) * sizeof(vg_sm_t));
    from->n--;
    bool any_was_this = pc->last_any_list == src && pc->last_any_sm == idx;
    if (pc->last_any_list == src && pc->last_any_sm > idx)
        pc->last_any_sm--;
    int dst = vg_pc_get_list(pc, kw->arg, 0, NULL);
    int save_list = pc->last_any_list, save_sm = pc->last_any_sm;
    vg_sm_t *sm = vg_pc_add_sm(pc, dst, VG_SM_CONTENT);
    *sm = moved;
    if (!any_was_this) {
        pc->last_any_list = save_list;
        pc->last_any_sm = save_sm;
    }
    pc->legacy_used = true;
    return 0;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

int vg_kw_transform(vg_pctx_t *pc, const vg_kw_t *kw, char *val)
{
    if (!pc->sticky || pc->b64_data)
        return VG_PC_SYNTAX(pc, "transform '%s' must follow a sticky buffer", kw->name);
    /* As in Suricata, a transform after matches starts a new (buffer + transforms) list for
     * the keywords that follow. */
    pc->cur_list = -1;
    if (pc->pend_n_xform == VG_MAX_XFORMS)
        return VG_PC_SYNTAX(pc, "too many transforms");
    vg_xform_t *x = &pc->pend_xform[pc->pend_n_xform];
    memset(x, 0, sizeof(*x));
    x->type = (uint8_t)kw->arg;
    if (kw->arg == VG_XF_XOR) {
        char *k = val ? vg_unquote(val) : NULL;
        size_t n = k ? strlen(k) : 0;
        if (n == 0 || n % 2 || n > 510)
            return VG_PC_SYNTAX(pc, "xor needs a quoted hex key of even length");
        uint8_t *key = vg_arena_alloc(&pc->rs->arena, n / 2);
        for (size_t i = 0; i < n; i += 2) {
            int hi = hexval(k[i]), lo = hexval(k[i + 1]);
            if (hi < 0 || lo < 0)
                return VG_PC_SYNTAX(pc, "xor key is not hex");
            key[i / 2] = (uint8_t)(hi << 4 | lo);
        }
        x->key = key;
        x->key_len = (uint8_t)(n / 2);
    } else if (val && *val) {
        return VG_PC_SYNTAX(pc, "transform '%s' takes no value", kw->name);
    }
    pc->pend_n_xform++;
    return 0;
}
