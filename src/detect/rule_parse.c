/* rule_parse.c — from rule text to vg_rule_t: splits header and options, dispatches each option
 * through the keyword table (rule_kwtable.c), then finalises the rule (direction-dependent
 * buffers, relative-match retry flags, copy into the ruleset arena).
 *
 * Options follow Suricata's lexer: `name[:value];` where a value ends at the first ';' not
 * escaped by a backslash. A keyword the engine does not implement skips the whole rule with a
 * reason; a syntax error fails it with file:line:col. Either way the ruleset arena is rolled back,
 * so a rejected rule costs nothing after loading.
 */
#include "detect/rule_int.h"

#include <ctype.h>
#include <errno.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- ruleset lifecycle ---- */

vg_ruleset_t *vg_ruleset_new(void)
{
    vg_ruleset_t *rs = vg_xcalloc(1, sizeof(*rs));
    vg_arena_init(&rs->arena);
    vg_arena_init(&rs->perm);
    vg_strmap_init(&rs->vars);
    vg_strmap_init(&rs->addr_cache);
    vg_strmap_init(&rs->port_cache);
    vg_strmap_init(&rs->strings);
    vg_strmap_init(&rs->flowbits);
    vg_strmap_init(&rs->sids);
    vg_strmap_init(&rs->flowints);
    vg_strmap_init(&rs->xbits);
    vg_strmap_init(&rs->classes);
    vg_strmap_init(&rs->keywords);
    rs->pcre_jit = true;
    rs->scratch = vg_xcalloc(1, sizeof(*rs->scratch));
    for (size_t i = 0; i < vg_kw_table_len; i++) {
        const vg_kw_t *kw = &vg_kw_table[i];
        vg_strmap_put(&rs->keywords, &rs->perm, kw->name, strlen(kw->name))->val = (void *)kw;
        for (int a = 0; a < 4 && kw->aliases[a]; a++)
            vg_strmap_put(&rs->keywords, &rs->perm, kw->aliases[a], strlen(kw->aliases[a]))->val =
                (void *)kw;
    }
    vg_rs_vars_defaults(rs);
    return rs;
}

static void scratch_free(vg_pscratch_t *s)
{
    if (!s)
        return;
    for (uint32_t i = 0; i < s->cap_lists; i++)
        free(s->lists[i].sm);
    free(s->lists);
    free(s->pm);
    free(s->fb);
    free(s->fi);
    free(s->xb);
    free(s->refs);
    free(s->meta);
    free(s);
}

void vg_ruleset_free(vg_ruleset_t *rs)
{
    if (!rs)
        return;
    for (uint32_t i = 0; i < rs->n_pcres; i++)
        pcre2_code_free(rs->pcres[i]);
    free(rs->pcres);
    for (uint32_t i = 0; i < rs->n_diags; i++)
        free((char *)rs->diags[i].detail);
    free(rs->diags);
    free(rs->rules);
    free(rs->tcfg);
    free(rs->flowbit_names);
    free(rs->flowint_names);
    free(rs->xbit_names);
    vg_strmap_fini(&rs->vars);
    vg_strmap_fini(&rs->addr_cache);
    vg_strmap_fini(&rs->port_cache);
    vg_strmap_fini(&rs->strings);
    vg_strmap_fini(&rs->flowbits);
    vg_strmap_fini(&rs->flowints);
    vg_strmap_fini(&rs->xbits);
    vg_strmap_fini(&rs->sids);
    vg_strmap_fini(&rs->classes);
    vg_strmap_fini(&rs->keywords);
    scratch_free(rs->scratch);
    vg_arena_fini(&rs->arena);
    vg_arena_fini(&rs->perm);
    free(rs);
}

void vg_ruleset_set_pcre_jit(vg_ruleset_t *rs, bool on) { rs->pcre_jit = on; }
uint32_t vg_ruleset_count(const vg_ruleset_t *rs) { return rs->n_rules; }
const vg_rule_t *vg_ruleset_rule(const vg_ruleset_t *rs, uint32_t i)
{
    return i < rs->n_rules ? rs->rules[i] : NULL;
}
uint32_t vg_ruleset_n_failed(const vg_ruleset_t *rs) { return rs->n_failed; }
uint32_t vg_ruleset_n_skipped(const vg_ruleset_t *rs) { return rs->n_skipped; }
uint32_t vg_ruleset_n_diags(const vg_ruleset_t *rs) { return rs->n_diags; }
const vg_rule_diag_t *vg_ruleset_diag(const vg_ruleset_t *rs, uint32_t i)
{
    return i < rs->n_diags ? &rs->diags[i] : NULL;
}

void vg_rs_add_pcre(vg_ruleset_t *rs, void *code)
{
    if (rs->n_pcres == rs->cap_pcres) {
        rs->cap_pcres = rs->cap_pcres ? rs->cap_pcres * 2 : 256;
        rs->pcres = vg_xrealloc(rs->pcres, rs->cap_pcres * sizeof(*rs->pcres));
    }
    rs->pcres[rs->n_pcres++] = code;
}

/* ---- building helpers used by the keyword parsers ---- */

static int find_list(vg_pscratch_t *s, int buf, uint8_t n_xform, const vg_xform_t *xf)
{
    for (uint32_t i = 0; i < s->n_lists; i++) {
        vg_blist_t *l = &s->lists[i];
        if (l->buf != buf || l->n_xform != n_xform)
            continue;
        bool same = true;
        for (uint8_t k = 0; k < n_xform && same; k++)
            same = l->xform[k].type == xf[k].type && l->xform[k].key_len == xf[k].key_len &&
                   (!xf[k].key_len || memcmp(l->xform[k].key, xf[k].key, xf[k].key_len) == 0);
        if (same)
            return (int)i;
    }
    return -1;
}

int vg_pc_get_list(vg_pctx_t *pc, int buf, uint8_t n_xform, const vg_xform_t *xf)
{
    vg_pscratch_t *s = pc->s;
    int i = find_list(s, buf, n_xform, xf);
    if (i >= 0)
        return i;
    if (s->n_lists == s->cap_lists) {
        uint32_t ncap = s->cap_lists ? s->cap_lists * 2 : 8;
        s->lists = vg_xrealloc(s->lists, ncap * sizeof(*s->lists));
        memset(s->lists + s->cap_lists, 0, (ncap - s->cap_lists) * sizeof(*s->lists));
        s->cap_lists = ncap;
    }
    vg_blist_t *l = &s->lists[s->n_lists];
    l->buf = (uint8_t)buf;
    l->alt_buf = 0;
    l->flags = 0;
    l->n_xform = n_xform;
    if (n_xform)
        memcpy(l->xform, xf, n_xform * sizeof(*xf));
    l->n = 0;
    return (int)s->n_lists++;
}

int vg_pc_target_list(vg_pctx_t *pc, bool rel, int force_buf)
{
    if (force_buf >= 0) {
        bool same = pc->pend_buf == force_buf ||
                    (force_buf == VG_PBUF_FILE_DATA && pc->pend_buf == VG_BUF_HTTP_RESPONSE_BODY);
        if (pc->sticky && !same)
            return VG_PC_SYNTAX(pc, "pcre buffer modifier conflicts with the active sticky "
                                "buffer");
        if (pc->sticky)
            force_buf = -1; /* same buffer: use the sticky list below */
        else
            return vg_pc_get_list(pc, force_buf, 0, NULL);
    }
    if (pc->sticky) {
        if (pc->cur_list < 0)
            pc->cur_list = vg_pc_get_list(pc, pc->pend_buf, pc->pend_n_xform, pc->pend_xform);
        pc->sticky_fresh = false;
        return pc->cur_list;
    }
    if (rel && pc->last_any_list >= 0)
        return pc->last_any_list;
    return vg_pc_get_list(pc, VG_DBUF_PAYLOAD, 0, NULL);
}

vg_sm_t *vg_pc_add_sm(vg_pctx_t *pc, int list, uint8_t type)
{
    vg_blist_t *l = &pc->s->lists[list];
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 8;
        l->sm = vg_xrealloc(l->sm, l->cap * sizeof(*l->sm));
    }
    vg_sm_t *sm = &l->sm[l->n];
    memset(sm, 0, sizeof(*sm));
    sm->type = type;
    pc->last_any_list = list;
    pc->last_any_sm = (int)l->n;
    if (type == VG_SM_CONTENT) {
        pc->last_list = list;
        pc->last_sm = (int)l->n;
    }
    l->n++;
    return sm;
}

vg_pkt_match_t *vg_pc_add_pm(vg_pctx_t *pc, uint8_t type)
{
    vg_pscratch_t *s = pc->s;
    if (s->n_pm == s->cap_pm) {
        s->cap_pm = s->cap_pm ? s->cap_pm * 2 : 8;
        s->pm = vg_xrealloc(s->pm, s->cap_pm * sizeof(*s->pm));
    }
    vg_pkt_match_t *pm = &s->pm[s->n_pm++];
    memset(pm, 0, sizeof(*pm));
    pm->type = type;
    return pm;
}

/* ---- option lexer ---- */

static int dispatch(vg_pctx_t *pc, char *name, char *val)
{
    vg_strmap_ent_t *e = vg_strmap_get(&pc->rs->keywords, name, strlen(name));
    if (!e) {
        char reason[96];
        snprintf(reason, sizeof(reason), "unsupported keyword '%.60s'", name);
        return vg_pc_fail(pc, VG_DIAG_SKIPPED, reason, "keyword '%s' is not implemented", name);
    }
    const vg_kw_t *kw = e->val;
    if (kw->flags & VG_KWF_UNSUPPORTED) {
        char reason[160];
        snprintf(reason, sizeof(reason), "unsupported keyword '%s' (%s)", kw->name, kw->why);
        return vg_pc_fail(pc, VG_DIAG_SKIPPED, reason, "'%s': %s", name, kw->why);
    }
    if ((kw->flags & VG_KWF_NOVAL) && val && *val)
        return VG_PC_SYNTAX(pc, "'%s' takes no value", name);
    if ((kw->flags & VG_KWF_VAL) && (!val || !*val))
        return VG_PC_SYNTAX(pc, "'%s' needs a value", name);
    return kw->setup(pc, kw, val);
}

static int parse_options(vg_pctx_t *pc, char *p)
{
    while (*p) {
        while (*p && isspace((unsigned char)*p))
            p++;
        if (!*p)
            break;
        pc->col = (uint32_t)(p - pc->line) + 1;
        char *name = p;
        while (*p && *p != ':' && *p != ';')
            p++;
        if (!*p)
            return VG_PC_SYNTAX(pc, "option '%.40s' not terminated by ';'", name);
        char *val = NULL;
        if (*p == ':') {
            *p++ = 0;
            val = p;
            while (*p && *p != ';') {
                if (*p == '\\' && p[1])
                    p++;
                p++;
            }
            if (!*p)
                return VG_PC_SYNTAX(pc, "option '%.40s' not terminated by ';'", name);
        }
        *p++ = 0;
        name = vg_trim(name);
        if (val)
            val = vg_trim(val);
        if (!*name)
            return VG_PC_SYNTAX(pc, "empty option");
        for (char *c = name; *c; c++)
            if (isspace((unsigned char)*c))
                return VG_PC_SYNTAX(pc, "invalid option name '%s'", name);
        if (dispatch(pc, name, val) != 0)
            return -1;
    }
    return 0;
}

/* ---- finalisation ---- */

static bool sm_is_relative(const vg_sm_t *sm)
{
    switch (sm->type) {
    case VG_SM_CONTENT: return sm->u.content.flags & (VG_CT_DISTANCE | VG_CT_WITHIN);
    case VG_SM_PCRE: return sm->u.pcre.flags & VG_PCRE_RELATIVE;
    case VG_SM_BYTE_TEST: case VG_SM_BYTE_JUMP: case VG_SM_BYTE_EXTRACT: case VG_SM_BYTE_MATH:
        return sm->u.byte.flags & VG_BYTE_RELATIVE;
    case VG_SM_ISDATAAT: return sm->u.isdataat.flags & VG_ISDATAAT_RELATIVE;
    default: return false;
    }
}

/* Mark contents/pcres that a later relative keyword depends on, the way Suricata's keyword
 * setups flag the previous match (WITHIN_NEXT / RELATIVE_NEXT): on a downstream failure those
 * are retried at their next occurrence. A content that only has `distance` does not trigger a
 * retry (a later occurrence can only shrink its search window). */
static void mark_relative(vg_blist_t *l)
{
    for (uint32_t i = 1; i < l->n; i++) {
        vg_sm_t *sm = &l->sm[i];
        if (!sm_is_relative(sm))
            continue;
        for (uint32_t j = i; j-- > 0;) {
            vg_sm_t *prev = &l->sm[j];
            if (prev->type == VG_SM_BASE64_DATA || prev->type == VG_SM_BASE64_DECODE)
                break; /* the decoded bytes start afresh */
            if (prev->type == VG_SM_CONTENT) {
                bool within_only_dist = sm->type == VG_SM_CONTENT &&
                                        !(sm->u.content.flags & VG_CT_WITHIN);
                if (!within_only_dist)
                    prev->u.content.flags |= VG_CT_RETRY_NEXT;
                break;
            }
            if (prev->type == VG_SM_PCRE) {
                prev->u.pcre.flags |= VG_PCRE_RELATIVE_NEXT;
                break;
            }
            if (sm->type == VG_SM_CONTENT)
                continue; /* within/distance look back to contents/pcre only */
            if (prev->type != VG_SM_BSIZE && prev->type != VG_SM_URILEN)
                break;
        }
    }
}

/* http.header and file.data inspect the request or the response depending on the direction
 * (file.data of an smtp rule: the mail's attachments); ssh.proto and ssh.software the client's
 * or the server's banner. */
static void map_direction(vg_pctx_t *pc, vg_blist_t *l)
{
    uint8_t flow = pc->r->flow;
    bool tc = flow & VG_RFLOW_TOCLIENT, ts = flow & VG_RFLOW_TOSERVER;
    uint8_t resp;
    if (l->buf == VG_BUF_HTTP_HEADER)
        resp = VG_BUF_HTTP_RESPONSE_HEADER;
    else if (l->buf == VG_BUF_HTTP_HEADER_RAW)
        resp = VG_BUF_HTTP_RESPONSE_HEADER_RAW;
    else if (l->buf == VG_BUF_SSH_PROTO)
        resp = VG_BUF_SSH_PROTO_TC;
    else if (l->buf == VG_BUF_SSH_SOFTWARE)
        resp = VG_BUF_SSH_SOFTWARE_TC;
    else if (l->buf == VG_PBUF_FILE_DATA && pc->r->app_proto == VG_APP_SMTP) {
        /* smtp: the decoded attachments of the mail (client to server only, as Suricata's
         * SMTP files; a to_client rule then never matches) */
        l->buf = VG_BUF_SMTP_FILE_DATA;
        return;
    } else if (l->buf == VG_PBUF_FILE_DATA) {
        /* as the others: buf the request side, alt_buf its to-client twin (a rule without a
         * direction matches a response body in its to-client inspection) */
        l->buf = tc ? VG_BUF_HTTP_RESPONSE_BODY : VG_BUF_HTTP_REQUEST_BODY;
        if (!tc && !ts) {
            l->alt_buf = VG_BUF_HTTP_RESPONSE_BODY;
            l->flags |= VG_LIST_ALT_BUF;
        }
        return;
    } else {
        return;
    }
    if (tc) {
        l->buf = resp;
    } else if (!ts) {
        l->alt_buf = resp;
        l->flags |= VG_LIST_ALT_BUF;
    }
}

/* Suricata 7's SignatureIsIPOnly(), with the port restriction lifted as for its "like IP-only"
 * rules (which it inspects as seldom): every keyword must be compatible with IP-only inspection
 * — flowbits only when every one sets, xbits, tag, threshold/detection_filter and the ones
 * without match semantics. */
static bool ip_only(const vg_rule_t *r)
{
    if (r->app_proto != VG_APP_UNKNOWN || r->n_lists || r->n_pm || r->flow || r->n_flowints ||
        (r->flags & (VG_RULE_TCP_PKT | VG_RULE_TCP_STREAM | VG_RULE_SAMEIP | VG_RULE_PD_ONLY |
                     VG_RULE_PD_DIR | VG_RULE_APP_BARE)))
        return false;
    for (uint32_t i = 0; i < r->n_flowbits; i++)
        if (r->flowbits[i].cmd != VG_FB_SET)
            return false;
    return true;
}

static int finalize(vg_pctx_t *pc)
{
    vg_rule_t *r = pc->r;
    vg_ruleset_t *rs = pc->rs;
    vg_pscratch_t *s = pc->s;
    pc->col = 0;
    if (r->sid == 0)
        return VG_PC_SYNTAX(pc, "rule has no sid");
    if (vg_pc_sticky_unused(pc) < 0)
        return -1;
    if (!r->msg)
        r->msg = "";
    uint32_t n = 0;
    for (uint32_t i = 0; i < s->n_lists; i++)
        n += s->lists[i].n > 0;
    r->lists = vg_arena_alloc(&rs->arena, (n ? n : 1) * sizeof(*r->lists));
    for (uint32_t i = 0; i < s->n_lists; i++) {
        vg_blist_t *l = &s->lists[i];
        if (l->n == 0)
            continue;
        mark_relative(l);
        map_direction(pc, l);
        vg_rule_list_t *o = &r->lists[r->n_lists++];
        o->buf = l->buf;
        o->alt_buf = l->alt_buf;
        o->flags = l->flags;
        o->n_xform = l->n_xform;
        memcpy(o->xform, l->xform, sizeof(o->xform));
        o->n_sm = l->n;
        o->sm = vg_arena_dup(&rs->arena, l->sm, l->n * sizeof(*l->sm));
        for (uint32_t k = 0; k < l->n; k++) {
            const vg_sm_t *sm = &l->sm[k];
            if (sm->type == VG_SM_BASE64_DECODE)
                break; /* the decoded bytes are neither prefiltered nor packet-bound */
            if (sm->type == VG_SM_CONTENT && (sm->u.content.flags & VG_CT_FAST_PATTERN))
                r->flags |= VG_RULE_HAS_FP;
            if (o->buf == VG_DBUF_PAYLOAD && sm->type == VG_SM_CONTENT &&
                (sm->u.content.flags & (VG_CT_DEPTH | VG_CT_OFFSET | VG_CT_STARTSWITH |
                                        VG_CT_DEPTH_VAR | VG_CT_OFFSET_VAR)))
                r->flags |= VG_RULE_REQ_PACKET;
        }
    }
    r->n_pm = s->n_pm;
    for (uint32_t i = 0; i < s->n_pm; i++)
        if (s->pm[i].type == VG_PM_DSIZE)
            r->flags |= VG_RULE_PKT_ONLY;
    if ((r->flags & VG_RULE_TCP_PKT) || (r->flow & VG_RFLOW_NO_STREAM))
        r->flags |= VG_RULE_PKT_ONLY;
    if (r->flags & VG_RULE_PKT_ONLY)
        r->flags |= VG_RULE_REQ_PACKET;
    r->pm = vg_arena_dup(&rs->arena, s->pm, s->n_pm * sizeof(*s->pm));
    for (uint32_t i = 0; i < s->n_pm && r->n_lists == 0; i++)
        if (s->pm[i].type == VG_PM_APP_PROTO)
            r->flags |= s->pm[i].mask ? VG_RULE_PD_DIR : VG_RULE_PD_ONLY;
    if (r->flags & VG_RULE_PD_DIR) /* judged when a direction's own protocol is decided */
        r->flags &= ~(uint32_t)VG_RULE_PD_ONLY;
    if (r->app_proto != VG_APP_UNKNOWN && r->app_proto < VG_APP_FAILED && r->n_lists == 0 &&
        !(r->flags & (VG_RULE_PD_ONLY | VG_RULE_PD_DIR))) {
        bool tx = false; /* something judged per transaction (vg_pm_is_app_state) */
        for (uint32_t i = 0; i < s->n_pm; i++)
            tx |= vg_pm_is_app_state(s->pm[i].type);
        if (!tx)
            r->flags |= VG_RULE_APP_BARE;
    }
    /* An app-layer-event rule with nothing else to inspect is inspected in each direction of a
     * transaction and can match in both, as Suricata registers the event list both ways; with a
     * buffer, the buffer's side decides as for any transaction rule. */
    for (uint32_t i = 0; i < s->n_pm && r->n_lists == 0; i++)
        if (s->pm[i].type == VG_PM_APP_EVENT)
            r->flags |= VG_RULE_TX_PER_DIR;
    r->n_flowbits = s->n_fb;
    r->flowbits = vg_arena_dup(&rs->arena, s->fb, s->n_fb * sizeof(*s->fb));
    r->n_flowints = s->n_fi;
    r->flowints = vg_arena_dup(&rs->arena, s->fi, s->n_fi * sizeof(*s->fi));
    r->n_xbits = s->n_xb;
    r->xbits = vg_arena_dup(&rs->arena, s->xb, s->n_xb * sizeof(*s->xb));
    if (ip_only(r))
        r->flags |= VG_RULE_IP_ONLY;
    r->n_refs = s->n_refs;
    r->refs = vg_arena_dup(&rs->arena, s->refs, s->n_refs * sizeof(*s->refs));
    if (s->meta_len)
        r->metadata = vg_arena_strndup(&rs->arena, s->meta, s->meta_len);
    r->n_byte_vars = pc->n_byte_vars;
    if (r->classtype) {
        int prio = 0;
        r->class_desc = vg_ruleset_class_desc(rs, r->classtype, &prio);
        pc->col = pc->classtype_col;
        if (!r->class_desc)
            return VG_PC_SYNTAX(pc, "unknown classtype '%s'", r->classtype);
        if (!pc->has_classtype_prio)
            r->priority = prio;
    }
    if (r->priority == 0)
        r->priority = 3;
    return 0;
}

/* ---- one rule ---- */

static void add_diag_raw(vg_ruleset_t *rs, const char *file, uint32_t line, uint32_t col,
                         uint32_t sid, uint8_t kind, const char *reason, const char *detail)
{
    if (rs->n_diags == rs->cap_diags) {
        rs->cap_diags = rs->cap_diags ? rs->cap_diags * 2 : 64;
        rs->diags = vg_xrealloc(rs->diags, rs->cap_diags * sizeof(*rs->diags));
    }
    vg_rule_diag_t *d = &rs->diags[rs->n_diags++];
    d->file = file ? vg_rs_intern(rs, file, strlen(file)) : "";
    d->line = line;
    d->col = col;
    d->sid = sid;
    d->kind = kind;
    d->reason = vg_rs_intern(rs, reason, strlen(reason));
    d->detail = vg_xstrdup(detail);
    if (d->kind == VG_DIAG_SKIPPED)
        rs->n_skipped++;
    else
        rs->n_failed++;
}

static void add_diag(vg_ruleset_t *rs, const vg_pctx_t *pc, const char *file, uint32_t line)
{
    add_diag_raw(rs, file, line, pc->err_col, pc->r ? pc->r->sid : 0, pc->err_kind, pc->reason,
                 pc->detail);
}

/* Scan sid early so a diagnostic can name it even when parsing stopped before `sid:`. */
static uint32_t scan_sid(const char *opts)
{
    const char *p = opts;
    while ((p = strstr(p, "sid")) != NULL) {
        bool start = p == opts || p[-1] == ';' || p[-1] == '(' || isspace((unsigned char)p[-1]);
        const char *q = p + 3;
        while (isspace((unsigned char)*q))
            q++;
        if (start && *q == ':') {
            q++;
            while (isspace((unsigned char)*q))
                q++;
            return (uint32_t)strtoul(q, NULL, 10);
        }
        p += 3;
    }
    return 0;
}

static void pscratch_reset(vg_pscratch_t *s)
{
    s->n_lists = 0;
    s->n_pm = s->n_fb = s->n_fi = s->n_xb = s->n_refs = 0;
    s->meta_len = 0;
}

const vg_rule_t *vg_ruleset_add_rule(vg_ruleset_t *rs, const char *text, const char *file,
                                     uint32_t line)
{
    vg_arena_mark_t mark = vg_arena_mark(&rs->arena);
    uint32_t n_pcres = rs->n_pcres;
    vg_pctx_t pc;
    memset(&pc, 0, sizeof(pc));
    pc.rs = rs;
    pc.s = rs->scratch;
    pscratch_reset(pc.s);
    pc.cur_list = pc.last_list = pc.last_any_list = pc.b64_list = -1;
    pc.last_sm = pc.last_any_sm = -1;
    pc.pend_buf = -1;

    size_t len = strlen(text);
    char *copy = vg_xmalloc(len + 1);
    memcpy(copy, text, len + 1);
    pc.line = copy;
    vg_rule_t *r = vg_arena_alloc(&rs->arena, sizeof(*r));
    pc.r = r;
    r->gid = 1;
    r->rev = 0;

    char *open = strchr(copy, '(');
    char *close = strrchr(copy, ')');
    if (!open || !close || close < open) {
        pc.col = 1;
        VG_PC_SYNTAX(&pc, "rule needs an option list in parentheses");
    } else {
        char *after = close + 1;
        while (isspace((unsigned char)*after))
            after++;
        if (*after) {
            pc.col = (uint32_t)(after - copy) + 1;
            VG_PC_SYNTAX(&pc, "trailing text after ')'");
        }
    }
    if (!pc.failed) {
        r->sid = scan_sid(open + 1);
        *open = 0;
        *close = 0;
        if (vg_parse_header(&pc, copy) == 0 && parse_options(&pc, open + 1) == 0)
            finalize(&pc);
    }
    /* A second rule with the same gid and sid, as Suricata treats it: with a higher rev it
     * replaces the first (in its place), otherwise it is refused as a duplicate. */
    char key[32];
    int kl = snprintf(key, sizeof key, "%u:%u", r->gid, r->sid);
    vg_rule_t *old = NULL;
    if (!pc.failed) {
        vg_strmap_ent_t *dup = vg_strmap_get(&rs->sids, key, (size_t)kl);
        old = dup && dup->val ? rs->rules[(uintptr_t)dup->val - 1] : NULL;
        if (old && r->rev <= old->rev)
            vg_pc_fail(&pc, VG_DIAG_FAILED, "duplicate signature",
                       "duplicate signature: gid %u sid %u rev %u is already loaded from %s:%u "
                       "(a later copy replaces it only with a higher rev)",
                       r->gid, r->sid, old->rev, old->file, old->line);
    }
    if (pc.failed) {
        add_diag(rs, &pc, file, line);
        free(copy);
        for (uint32_t i = n_pcres; i < rs->n_pcres; i++)
            pcre2_code_free(rs->pcres[i]);
        rs->n_pcres = n_pcres;
        vg_arena_rollback(&rs->arena, mark);
        return NULL;
    }
    const char *t = text;
    while (isspace((unsigned char)*t))
        t++;
    r->text = vg_arena_strdup(&rs->arena, t);
    r->file = file ? vg_rs_intern(rs, file, strlen(file)) : "";
    r->line = line;
    free(copy);
    if (r->threshold.track == VG_TRACK_FLOW)
        rs->n_flow_thresholds++;
    if (old) { /* the newer rev takes the older one's place (its memory stays in the arena) */
        char detail[512];
        snprintf(detail, sizeof detail, "gid %u sid %u rev %u is replaced by rev %u from %s:%u",
                 old->gid, old->sid, old->rev, r->rev, r->file, r->line);
        add_diag_raw(rs, old->file, old->line, 0, old->sid, VG_DIAG_SKIPPED,
                     "replaced by a higher rev", detail);
        if (old->threshold.track == VG_TRACK_FLOW)
            rs->n_flow_thresholds--;
        r->id = old->id;
        rs->rules[r->id] = r;
        return r;
    }
    if (rs->n_rules == rs->cap_rules) {
        rs->cap_rules = rs->cap_rules ? rs->cap_rules * 2 : 1024;
        rs->rules = vg_xrealloc(rs->rules, rs->cap_rules * sizeof(*rs->rules));
    }
    r->id = rs->n_rules;
    rs->rules[rs->n_rules++] = r;
    vg_strmap_put(&rs->sids, &rs->perm, key, (size_t)kl)->val = (void *)(uintptr_t)(r->id + 1);
    return r;
}

/* ---- files ---- */

/* Is this (comment-stripped) line a rule at all? Commented-out rules are not counted. */
static bool blank(const char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    return *s == 0 || *s == '#';
}

int vg_ruleset_load_str(vg_ruleset_t *rs, const char *text, const char *name)
{
    int loaded = 0;
    const char *p = text;
    uint32_t lineno = 0;
    char *acc = NULL;
    size_t acc_len = 0, acc_cap = 0;
    uint32_t first_line = 0;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        lineno++;
        size_t m = n;
        if (m && p[m - 1] == '\r')
            m--;
        bool cont = m && p[m - 1] == '\\';
        if (cont)
            m--;
        if (acc_len == 0)
            first_line = lineno;
        if (acc_len + m + 1 > acc_cap) {
            acc_cap = (acc_len + m + 1) * 2;
            acc = vg_xrealloc(acc, acc_cap);
        }
        memcpy(acc + acc_len, p, m);
        acc_len += m;
        acc[acc_len] = 0;
        if (!cont) {
            if (!blank(acc) && vg_ruleset_add_rule(rs, acc, name, first_line))
                loaded++;
            acc_len = 0;
        }
        p = nl ? nl + 1 : p + n;
    }
    if (acc_len && !blank(acc) && vg_ruleset_add_rule(rs, acc, name, first_line))
        loaded++;
    free(acc);
    return loaded;
}

char *vg_detect_read_file(const char *path, char *err, size_t errlen);

char *vg_detect_read_file(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 1 << 16, len = 0;
    char *buf = vg_xmalloc(cap);
    size_t got;
    while ((got = fread(buf + len, 1, cap - len - 1, f)) > 0) {
        len += got;
        if (cap - len < 2) {
            cap *= 2;
            buf = vg_xrealloc(buf, cap);
        }
    }
    bool bad = ferror(f);
    fclose(f);
    if (bad) {
        snprintf(err, errlen, "%s: read error", path);
        free(buf);
        return NULL;
    }
    buf[len] = 0;
    return buf;
}

int vg_ruleset_load_file(vg_ruleset_t *rs, const char *path, char *err, size_t errlen)
{
    char *text = vg_detect_read_file(path, err, errlen);
    if (!text)
        return -1;
    int n = vg_ruleset_load_str(rs, text, path);
    free(text);
    return n;
}
