/* classification.c — classification.config (classtype -> long description, priority) and
 * threshold.config (threshold, event_filter, suppress; rate_filter is reported unsupported).
 *
 * Both files are line-oriented, '#' starts a comment. Without a classification file any
 * classtype is accepted (description unknown, priority 3); once one is loaded, an unknown
 * classtype fails the rule, as in Suricata.
 */
#include "detect/rule_int.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *vg_detect_read_file(const char *path, char *err, size_t errlen);

typedef int (*line_fn)(vg_ruleset_t *rs, char *line);

static int for_each_line(vg_ruleset_t *rs, const char *text, line_fn fn, int *n_bad)
{
    int ok = 0, bad = 0;
    const char *p = text;
    char buf[4096];
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        if (n < sizeof(buf)) {
            memcpy(buf, p, n);
            buf[n] = 0;
            char *l = vg_trim(buf);
            if (*l && *l != '#') {
                if (fn(rs, l) == 0)
                    ok++;
                else
                    bad++;
            }
        } else {
            bad++;
        }
        p = nl ? nl + 1 : p + n;
    }
    if (n_bad)
        *n_bad = bad;
    return ok;
}

/* config classification: shortname,long description,priority */
static int class_line(vg_ruleset_t *rs, char *l)
{
    static const char prefix[] = "config classification:";
    if (strncmp(l, prefix, sizeof(prefix) - 1) != 0)
        return -1;
    char *name = l + sizeof(prefix) - 1;
    char *c1 = strchr(name, ',');
    char *c2 = c1 ? strrchr(c1 + 1, ',') : NULL;
    if (!c1 || !c2)
        return -1;
    *c1 = 0;
    *c2 = 0;
    name = vg_trim(name);
    char *desc = vg_trim(c1 + 1);
    uint64_t prio;
    if (!*name || !vg_parse_u64(vg_trim(c2 + 1), &prio) || prio > 255)
        return -1;
    vg_class_t *cl = vg_arena_alloc(&rs->perm, sizeof(*cl));
    cl->name = vg_rs_intern(rs, name, strlen(name));
    cl->desc = vg_arena_strdup(&rs->perm, desc);
    cl->priority = (int)prio;
    vg_strmap_put(&rs->classes, &rs->perm, name, strlen(name))->val = cl;
    return 0;
}

int vg_ruleset_load_classification_str(vg_ruleset_t *rs, const char *text, int *n_bad)
{
    return for_each_line(rs, text, class_line, n_bad);
}

int vg_ruleset_load_classification(vg_ruleset_t *rs, const char *path, int *n_bad, char *err,
                                   size_t errlen)
{
    char *text = vg_detect_read_file(path, err, errlen);
    if (!text)
        return -1;
    int n = vg_ruleset_load_classification_str(rs, text, n_bad);
    free(text);
    return n;
}

const char *vg_ruleset_class_desc(const vg_ruleset_t *rs, const char *name, int *priority)
{
    if (rs->classes.n == 0) {
        if (priority)
            *priority = 3;
        return name; /* nothing loaded: accept, the short name stands in */
    }
    vg_strmap_ent_t *e = vg_strmap_get(&rs->classes, name, strlen(name));
    if (!e)
        return NULL;
    const vg_class_t *cl = e->val;
    if (priority)
        *priority = cl->priority;
    return cl->desc;
}

/* ---- threshold.config ---- */

static int tcfg_line(vg_ruleset_t *rs, char *l)
{
    vg_tcfg_entry_t e;
    memset(&e, 0, sizeof(e));
    char *kind = l;
    while (*l && !isspace((unsigned char)*l))
        l++;
    if (*l)
        *l++ = 0;
    if (strcmp(kind, "threshold") == 0) e.kind = VG_TCFG_THRESHOLD;
    else if (strcmp(kind, "event_filter") == 0) e.kind = VG_TCFG_EVENT_FILTER;
    else if (strcmp(kind, "suppress") == 0) e.kind = VG_TCFG_SUPPRESS;
    else return -1; /* rate_filter and anything else: not supported */
    bool have_gid = false, have_sid = false, have_type = false, have_count = false,
         have_secs = false;
    e.thr.track = 255;
    const char *ip = NULL;
    char *p = l;
    while (p) {
        char *rest = vg_split(p, ',');
        char *k = vg_trim(p), *v = k;
        while (*v && !isspace((unsigned char)*v))
            v++;
        if (*v)
            *v++ = 0;
        v = vg_trim(v);
        uint64_t u;
        if ((strcmp(k, "gen_id") == 0 || strcmp(k, "sig_id") == 0) && vg_parse_u64(v, &u) &&
            u <= UINT32_MAX) {
            if (k[0] == 'g') { e.gid = (uint32_t)u; have_gid = true; }
            else { e.sid = (uint32_t)u; have_sid = true; }
        } else if (strcmp(k, "type") == 0) {
            if (strcmp(v, "limit") == 0) e.thr.type = VG_THR_LIMIT;
            else if (strcmp(v, "threshold") == 0) e.thr.type = VG_THR_THRESHOLD;
            else if (strcmp(v, "both") == 0) e.thr.type = VG_THR_BOTH;
            else return -1;
            have_type = true;
        } else if (strcmp(k, "track") == 0) {
            if (strcmp(v, "by_src") == 0) e.thr.track = VG_TRACK_SRC;
            else if (strcmp(v, "by_dst") == 0) e.thr.track = VG_TRACK_DST;
            else if (strcmp(v, "by_rule") == 0) e.thr.track = VG_TRACK_RULE;
            else if (strcmp(v, "by_both") == 0 || strcmp(v, "by_either") == 0)
                e.thr.track = VG_TRACK_BOTH;
            else return -1;
            e.has_track = true;
        } else if (strcmp(k, "count") == 0 && vg_parse_u64(v, &u) && u <= UINT32_MAX) {
            e.thr.count = (uint32_t)u;
            have_count = true;
        } else if (strcmp(k, "seconds") == 0 && vg_parse_u64(v, &u) && u <= UINT32_MAX) {
            e.thr.seconds = (uint32_t)u;
            have_secs = true;
        } else if (strcmp(k, "ip") == 0 && e.kind == VG_TCFG_SUPPRESS) {
            ip = v;
        } else {
            return -1;
        }
        p = rest;
    }
    if (!have_gid || !have_sid)
        return -1;
    if (e.kind == VG_TCFG_SUPPRESS) {
        if (e.has_track != (ip != NULL))
            return -1;
        if (ip) {
            char err[160];
            e.ip = vg_rs_addr_set(rs, ip, err, sizeof(err));
            if (!e.ip)
                return -1;
        }
    } else if (!have_type || !have_count || !have_secs || !e.has_track) {
        return -1;
    }
    if (rs->n_tcfg == rs->cap_tcfg) {
        rs->cap_tcfg = rs->cap_tcfg ? rs->cap_tcfg * 2 : 16;
        rs->tcfg = vg_xrealloc(rs->tcfg, rs->cap_tcfg * sizeof(*rs->tcfg));
    }
    rs->tcfg[rs->n_tcfg++] = e;
    return 0;
}

int vg_ruleset_load_threshold_str(vg_ruleset_t *rs, const char *text, int *n_bad)
{
    return for_each_line(rs, text, tcfg_line, n_bad);
}

int vg_ruleset_load_threshold_config(vg_ruleset_t *rs, const char *path, int *n_bad, char *err,
                                     size_t errlen)
{
    char *text = vg_detect_read_file(path, err, errlen);
    if (!text)
        return -1;
    int n = vg_ruleset_load_threshold_str(rs, text, n_bad);
    free(text);
    return n;
}

static bool entry_applies(const vg_tcfg_entry_t *e, const vg_rule_t *r)
{
    return (e->gid == 0 || e->gid == r->gid) && (e->sid == 0 || e->sid == r->sid);
}

bool vg_ruleset_is_suppressed(const vg_ruleset_t *rs, const vg_rule_t *r, const vg_packet_t *p)
{
    for (uint32_t i = 0; i < rs->n_tcfg; i++) {
        const vg_tcfg_entry_t *e = &rs->tcfg[i];
        if (e->kind != VG_TCFG_SUPPRESS || !entry_applies(e, r))
            continue;
        if (!e->has_track)
            return true;
        if (!p)
            continue;
        bool s = vg_addr_set_match(e->ip, &p->src, p->ip_ver);
        bool d = vg_addr_set_match(e->ip, &p->dst, p->ip_ver);
        if ((e->thr.track == VG_TRACK_SRC && s) || (e->thr.track == VG_TRACK_DST && d) ||
            (e->thr.track == VG_TRACK_BOTH && (s || d)) || e->thr.track == VG_TRACK_RULE)
            return true;
    }
    return false;
}

vg_threshold_t vg_ruleset_threshold(const vg_ruleset_t *rs, const vg_rule_t *r)
{
    vg_threshold_t t = r->threshold;
    bool specific = false;
    for (uint32_t i = 0; i < rs->n_tcfg; i++) {
        const vg_tcfg_entry_t *e = &rs->tcfg[i];
        if (e->kind == VG_TCFG_SUPPRESS || !entry_applies(e, r))
            continue;
        if (e->sid != 0) {
            t = e->thr;
            specific = true;
        } else if (!specific && r->threshold.type == VG_THR_NONE) {
            t = e->thr;
        }
    }
    return t;
}
