/* attrib_net.c — home networks: an address expression in Suricata's syntax, kept as a small tree
 * and matched directly (home-net checks happen per alert, not per packet, so no range merging).
 *
 *   expr  := item | '[' item (',' item)* ']'
 *   item  := ['!'] ( CIDR | ADDRESS | '$'NAME | 'any' | expr )
 *
 * A group matches an address when one of its positive members matches (or it has none, as in
 * "!$HOME_NET") and none of its negated members does: "[10.0.0.0/8,!10.1.0.0/16]" is 10/8 minus
 * 10.1/16. $NAME expands the variable's value (depth-limited against cycles).
 */
#include "attrib/attrib_int.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct parser {
    vg_netset_t *s;
    const char *const *names, *const *values;
    size_t n_vars;
    char *err;
    size_t err_len;
    int depth;
} parser_t;

static uint32_t new_node(vg_netset_t *s)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 16;
        s->nodes = vg_xrealloc(s->nodes, s->cap * sizeof *s->nodes);
    }
    memset(&s->nodes[s->n], 0, sizeof s->nodes[0]);
    return (uint32_t)s->n++;
}

static int perr(parser_t *p, const char *why, const char *at)
{
    snprintf(p->err, p->err_len, "address expression: %s at '%.40s'", why, at);
    return -1;
}

static int parse_expr(parser_t *p, const char **sp, uint32_t *out);

static int parse_cidr(parser_t *p, const char *tok, size_t n, uint32_t idx)
{
    char buf[64];
    if (n >= sizeof buf)
        return perr(p, "address too long", tok);
    memcpy(buf, tok, n);
    buf[n] = 0;
    vg_netnode_t *nd = &p->s->nodes[idx];
    char *slash = strchr(buf, '/');
    if (slash)
        *slash = 0;
    if (inet_pton(AF_INET, buf, nd->addr) == 1)
        nd->ip_ver = 4;
    else if (inet_pton(AF_INET6, buf, nd->addr) == 1)
        nd->ip_ver = 6;
    else
        return perr(p, "bad address", tok);
    unsigned max = nd->ip_ver == 4 ? 32 : 128;
    char *end = NULL;
    unsigned long plen = slash ? strtoul(slash + 1, &end, 10) : max;
    if (slash && (end == slash + 1 || *end || plen > max))
        return perr(p, "bad prefix length", tok);
    nd->plen = (uint8_t)plen;
    return 0;
}

static const char *var_value(parser_t *p, const char *name, size_t n)
{
    for (size_t i = 0; i < p->n_vars; i++)
        if (strlen(p->names[i]) == n && !memcmp(p->names[i], name, n))
            return p->values[i];
    return NULL;
}

static int parse_var(parser_t *p, const char *tok, size_t n, uint32_t *out)
{
    const char *v = var_value(p, tok + 1, n - 1);
    if (!v)
        return perr(p, "unknown variable", tok);
    if (++p->depth > 16)
        return perr(p, "variables nested too deep (a cycle?)", tok);
    const char *s = v;
    int rc = parse_expr(p, &s, out);
    p->depth--;
    while (rc == 0 && isspace((unsigned char)*s))
        s++;
    if (rc == 0 && *s)
        return perr(p, "trailing text", s);
    return rc;
}

static int parse_group(parser_t *p, const char **sp, uint32_t idx)
{
    uint32_t kids[256];
    uint32_t n = 0;
    const char *s = *sp + 1;
    for (;;) {
        while (isspace((unsigned char)*s))
            s++;
        if (*s == ']' && n == 0)
            return perr(p, "empty group", s);
        if (n == VG_ARRAY_LEN(kids))
            return perr(p, "group too large", s);
        if (parse_expr(p, &s, &kids[n++]))
            return -1;
        while (isspace((unsigned char)*s))
            s++;
        if (*s == ']')
            break;
        if (*s != ',')
            return perr(p, "expected ',' or ']'", s);
        s++;
    }
    *sp = s + 1;
    vg_netset_t *st = p->s;
    if (st->cap_kids - st->n_kids < n) {
        st->cap_kids = (st->cap_kids + n) * 2;
        st->kids = vg_xrealloc(st->kids, st->cap_kids * sizeof *st->kids);
    }
    memcpy(st->kids + st->n_kids, kids, n * sizeof *kids);
    st->nodes[idx].type = 1;
    st->nodes[idx].first_child = (uint32_t)st->n_kids;
    st->nodes[idx].n_children = n;
    st->n_kids += n;
    return 0;
}

static int parse_expr(parser_t *p, const char **sp, uint32_t *out)
{
    const char *s = *sp;
    while (isspace((unsigned char)*s))
        s++;
    bool neg = false;
    while (*s == '!') {
        neg = !neg;
        s++;
    }
    uint32_t idx = new_node(p->s);
    *out = idx;
    if (*s == '[') {
        if (parse_group(p, &s, idx))
            return -1;
    } else {
        size_t n = strcspn(s, ",] \t");
        if (n == 0)
            return perr(p, "expected an address", s);
        if (*s == '$') {
            uint32_t inner;
            if (parse_var(p, s, n, &inner))
                return -1;
            /* wrap: a one-member group so negation applies to the whole variable */
            vg_netset_t *st = p->s;
            if (st->n_kids == st->cap_kids) {
                st->cap_kids = st->cap_kids * 2 + 16;
                st->kids = vg_xrealloc(st->kids, st->cap_kids * sizeof *st->kids);
            }
            st->kids[st->n_kids] = inner;
            st->nodes[idx].type = 1;
            st->nodes[idx].first_child = (uint32_t)st->n_kids++;
            st->nodes[idx].n_children = 1;
        } else if (n == 3 && !strncasecmp(s, "any", 3)) {
            p->s->nodes[idx].type = 2;
        } else if (parse_cidr(p, s, n, idx)) {
            return -1;
        }
        s += n;
    }
    p->s->nodes[idx].neg = neg;
    *sp = s;
    return 0;
}

int vg_netset_parse(vg_netset_t *s, const char *expr, const char *const *names,
                    const char *const *values, size_t n_vars, char *err, size_t err_len)
{
    memset(s, 0, sizeof *s);
    parser_t p = {s, names, values, n_vars, err, err_len, 0};
    const char *e = expr;
    if (parse_expr(&p, &e, &s->root))
        return -1;
    while (isspace((unsigned char)*e))
        e++;
    if (*e)
        return perr(&p, "trailing text", e);
    return 0;
}

static bool cidr_match(const vg_netnode_t *nd, const vg_addr_t *ip, int ip_ver)
{
    if (nd->ip_ver != ip_ver)
        return false;
    unsigned full = nd->plen / 8, rest = nd->plen % 8;
    if (memcmp(nd->addr, ip->b, full))
        return false;
    if (!rest)
        return true;
    uint8_t mask = (uint8_t)(0xff00u >> rest);
    return (nd->addr[full] & mask) == (ip->b[full] & mask);
}

static bool node_match(const vg_netset_t *s, uint32_t i, const vg_addr_t *ip, int ip_ver, int depth)
{
    const vg_netnode_t *nd = &s->nodes[i];
    bool m;
    if (nd->type == 2) {
        m = true;
    } else if (nd->type == 0) {
        m = cidr_match(nd, ip, ip_ver);
    } else {
        bool any_pos = false, pos_hit = false, neg_hit = false;
        for (uint32_t k = 0; k < nd->n_children && depth < 64; k++) {
            uint32_t c = s->kids[nd->first_child + k];
            /* a negated child: the address must not be in its (un-negated) set */
            bool cm = node_match(s, c, ip, ip_ver, depth + 1);
            if (s->nodes[c].neg)
                neg_hit |= !cm;
            else
                any_pos = true, pos_hit |= cm;
        }
        m = (pos_hit || !any_pos) && !neg_hit;
    }
    return nd->neg ? !m : m;
}

bool vg_netset_match(const vg_netset_t *s, const vg_addr_t *ip, int ip_ver)
{
    if (!s->nodes)
        return false;
    return node_match(s, s->root, ip, ip_ver, 0);
}

void vg_netset_fini(vg_netset_t *s)
{
    free(s->nodes);
    free(s->kids);
    memset(s, 0, sizeof *s);
}
