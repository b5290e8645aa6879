/* rule_meta.c — keywords that describe a rule rather than match: msg, sid, rev, gid,
 * classtype, reference, metadata, priority. */
#include "detect/rule_int.h"

#include <stdio.h>
#include <string.h>

int vg_kw_msg(vg_pctx_t *pc, const vg_kw_t *kw, char *val)
{
    (void)kw;
    size_t n = strlen(val);
    if (n < 2 || val[0] != '"' || val[n - 1] != '"')
        return VG_PC_SYNTAX(pc, "msg must be a quoted string");
    char *m = vg_unquote(val);
    pc->r->msg = vg_arena_strdup(&pc->rs->arena, m);
    return 0;
}

int vg_kw_sid(vg_pctx_t *pc, const vg_kw_t *kw, char *val)
{
    uint64_t v;
    if (!vg_parse_u64(vg_unquote(val), &v) || v > UINT32_MAX || (kw->arg == 0 && v == 0))
        return VG_PC_SYNTAX(pc, "invalid %s '%s'", kw->name, val);
    if (kw->arg == 0)
        pc->r->sid = (uint32_t)v;
    else if (kw->arg == 1)
        pc->r->rev = (uint32_t)v;
    else
        pc->r->gid = (uint32_t)v;
    return 0;
}

int vg_kw_classtype(vg_pctx_t *pc, const vg_kw_t *kw, char *val)
{
    (void)kw;
    char *v = vg_unquote(val);
    if (!*v)
        return VG_PC_SYNTAX(pc, "empty classtype");
    if (pc->r->classtype)
        return VG_PC_SYNTAX(pc, "classtype given twice");
    pc->r->classtype = vg_rs_intern(pc->rs, v, strlen(v));
    pc->classtype_col = pc->col;
    return 0;
}

int vg_kw_priority(vg_pctx_t *pc, const vg_kw_t *kw, char *val)
{
    (void)kw;
    uint64_t v;
    if (!vg_parse_u64(vg_unquote(val), &v) || v < 1 || v > 255)
        return VG_PC_SYNTAX(pc, "invalid priority '%s'", val);
    pc->r->priority = (int)v;
    pc->has_classtype_prio = true;
    return 0;
}

int vg_kw_reference(vg_pctx_t *pc, const vg_kw_t *kw, char *val)
{
    (void)kw;
    char *v = vg_unquote(val);
    char *comma = strchr(v, ',');
    if (!comma)
        return VG_PC_SYNTAX(pc, "reference needs system,id");
    *comma = 0;
    char *sys = vg_trim(v), *id = vg_trim(comma + 1);
    vg_pscratch_t *s = pc->s;
    if (s->n_refs == s->cap_refs) {
        s->cap_refs = s->cap_refs ? s->cap_refs * 2 : 4;
        s->refs = vg_xrealloc(s->refs, s->cap_refs * sizeof(*s->refs));
    }
    s->refs[s->n_refs].system = vg_rs_intern(pc->rs, sys, strlen(sys));
    s->refs[s->n_refs].value = vg_arena_strdup(&pc->rs->arena, id);
    s->n_refs++;
    return 0;
}

int vg_kw_metadata(vg_pctx_t *pc, const vg_kw_t *kw, char *val)
{
    (void)kw;
    vg_pscratch_t *s = pc->s;
    size_t n = strlen(val);
    if (s->meta_len + n + 3 > s->meta_cap) {
        s->meta_cap = (s->meta_len + n + 3) * 2;
        s->meta = vg_xrealloc(s->meta, s->meta_cap);
    }
    if (s->meta_len) {
        memcpy(s->meta + s->meta_len, ", ", 2);
        s->meta_len += 2;
    }
    memcpy(s->meta + s->meta_len, val, n);
    s->meta_len += n;
    return 0;
}

int vg_kw_ignore(vg_pctx_t *pc, const vg_kw_t *kw, char *val)
{
    (void)pc;
    (void)kw;
    (void)val;
    return 0;
}
