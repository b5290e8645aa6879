/* rule_header.c — the rule header: action, protocol, address and port expressions, direction.
 *
 * Address and port expressions are resolved at load time into sorted, disjoint range sets (see
 * rule.h). Semantics follow Suricata: a list is the union of its positive members minus the union
 * of its negated members (a list of only negations means "any minus those"); `!X` is the
 * complement of X; variables expand recursively. An expression that matches nothing is an error,
 * as in Suricata. Resolved sets are cached by their text, so the thousands of rules written with
 * `$HOME_NET` share one set and resolve it once.
 */
#include "detect/rule_int.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- a working range set over one or two families of 128-bit keys ---- */

typedef struct u128 { uint64_t hi, lo; } u128_t;
typedef struct rng { u128_t lo, hi; } rng_t;
typedef struct rvec { rng_t *r; size_t n, cap; } rvec_t;
/* fam 0: IPv4 (or ports), fam 1: IPv6 */
typedef struct tset { rvec_t f[2]; } tset_t;

static const u128_t U0 = {0, 0};

static int ucmp(u128_t a, u128_t b)
{
    if (a.hi != b.hi) return a.hi < b.hi ? -1 : 1;
    if (a.lo != b.lo) return a.lo < b.lo ? -1 : 1;
    return 0;
}
static u128_t uinc(u128_t a) { a.lo++; if (a.lo == 0) a.hi++; return a; }
static u128_t udec(u128_t a) { if (a.lo == 0) a.hi--; a.lo--; return a; }

static void rvec_push(rvec_t *v, u128_t lo, u128_t hi)
{
    if (v->n == v->cap) {
        v->cap = v->cap ? v->cap * 2 : 8;
        v->r = vg_xrealloc(v->r, v->cap * sizeof(*v->r));
    }
    v->r[v->n].lo = lo;
    v->r[v->n].hi = hi;
    v->n++;
}

static void tset_free(tset_t *s) { free(s->f[0].r); free(s->f[1].r); memset(s, 0, sizeof(*s)); }

static int rng_cmp(const void *a, const void *b)
{
    return ucmp(((const rng_t *)a)->lo, ((const rng_t *)b)->lo);
}

static void rvec_normalize(rvec_t *v)
{
    if (v->n < 2)
        return;
    qsort(v->r, v->n, sizeof(*v->r), rng_cmp);
    size_t w = 0;
    for (size_t i = 1; i < v->n; i++) {
        rng_t *cur = &v->r[w];
        /* merge overlapping or adjacent */
        if (ucmp(v->r[i].lo, cur->hi) <= 0 ||
            (ucmp(cur->hi, (u128_t){UINT64_MAX, UINT64_MAX}) != 0 &&
             ucmp(v->r[i].lo, uinc(cur->hi)) == 0)) {
            if (ucmp(v->r[i].hi, cur->hi) > 0)
                cur->hi = v->r[i].hi;
        } else {
            v->r[++w] = v->r[i];
        }
    }
    v->n = w + 1;
}

/* complement within [0, max] (v normalized) */
static void rvec_complement(rvec_t *v, u128_t max)
{
    rvec_t o = {0};
    u128_t next = U0;
    bool done = false;
    for (size_t i = 0; i < v->n; i++) {
        if (ucmp(v->r[i].lo, next) > 0)
            rvec_push(&o, next, udec(v->r[i].lo));
        if (ucmp(v->r[i].hi, max) >= 0) {
            done = true;
            break;
        }
        next = uinc(v->r[i].hi);
    }
    if (!done)
        rvec_push(&o, next, max);
    free(v->r);
    *v = o;
}

static const u128_t MAX4 = {0, 0xffffffffu};
static const u128_t MAX6 = {UINT64_MAX, UINT64_MAX};
static const u128_t MAXP = {0, 65535};

static void tset_any(tset_t *s, bool ports)
{
    rvec_push(&s->f[0], U0, ports ? MAXP : MAX4);
    if (!ports)
        rvec_push(&s->f[1], U0, MAX6);
}

static void tset_union(tset_t *d, const tset_t *s)
{
    for (int f = 0; f < 2; f++)
        for (size_t i = 0; i < s->f[f].n; i++)
            rvec_push(&d->f[f], s->f[f].r[i].lo, s->f[f].r[i].hi);
}

static void tset_complement(tset_t *s, bool ports)
{
    rvec_normalize(&s->f[0]);
    rvec_complement(&s->f[0], ports ? MAXP : MAX4);
    if (!ports) {
        rvec_normalize(&s->f[1]);
        rvec_complement(&s->f[1], MAX6);
    }
}

/* d = d - s  ==  !( !d | s ) */
static void tset_subtract(tset_t *d, const tset_t *s, bool ports)
{
    tset_complement(d, ports);
    tset_union(d, s);
    tset_complement(d, ports);
}

/* ---- expression parser ---- */

typedef struct xp {
    vg_ruleset_t *rs;
    bool ports;
    char *err;
    size_t errlen;
    int depth;
} xp_t;

static int xp_err(xp_t *x, const char *fmt, const char *arg)
{
    snprintf(x->err, x->errlen, fmt, arg);
    return -1;
}

static int parse_expr(xp_t *x, const char *s, size_t n, tset_t *out);

static u128_t from_bytes(const uint8_t *b)
{
    u128_t u = {0, 0};
    for (int i = 0; i < 8; i++) u.hi = u.hi << 8 | b[i];
    for (int i = 8; i < 16; i++) u.lo = u.lo << 8 | b[i];
    return u;
}

static int parse_one_addr(xp_t *x, const char *tok, tset_t *out)
{
    char buf[128];
    char *slash, *dash;
    snprintf(buf, sizeof(buf), "%s", tok);
    slash = strchr(buf, '/');
    if (slash)
        *slash++ = 0;
    uint8_t b[16];
    if (inet_pton(AF_INET, buf, b) == 1) {
        uint32_t a = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
        uint32_t mask = 0xffffffffu;
        if (slash) {
            uint8_t m[4];
            uint64_t bits;
            if (vg_parse_u64(slash, &bits) && bits <= 32) {
                mask = bits == 0 ? 0 : 0xffffffffu << (32 - bits);
            } else if (inet_pton(AF_INET, slash, m) == 1) {
                mask = (uint32_t)m[0] << 24 | (uint32_t)m[1] << 16 | (uint32_t)m[2] << 8 | m[3];
            } else {
                return xp_err(x, "invalid netmask in '%s'", tok);
            }
        }
        rvec_push(&out->f[0], (u128_t){0, a & mask}, (u128_t){0, (a & mask) | ~mask});
        return 0;
    }
    if (inet_pton(AF_INET6, buf, b) == 1) {
        uint64_t bits = 128;
        if (slash && (!vg_parse_u64(slash, &bits) || bits > 128))
            return xp_err(x, "invalid prefix length in '%s'", tok);
        u128_t lo = from_bytes(b), hi;
        u128_t m;
        m.hi = bits >= 64 ? UINT64_MAX : (bits == 0 ? 0 : UINT64_MAX << (64 - bits));
        m.lo = bits <= 64 ? 0 : (bits == 128 ? UINT64_MAX : UINT64_MAX << (128 - bits));
        lo.hi &= m.hi;
        lo.lo &= m.lo;
        hi.hi = lo.hi | ~m.hi;
        hi.lo = lo.lo | ~m.lo;
        rvec_push(&out->f[1], lo, hi);
        return 0;
    }
    /* a.b.c.d-e.f.g.h */
    dash = strchr(buf, '-');
    if (dash && !slash) {
        *dash = 0;
        uint8_t b2[4];
        if (inet_pton(AF_INET, buf, b) == 1 && inet_pton(AF_INET, dash + 1, b2) == 1) {
            uint32_t a = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
            uint32_t c = (uint32_t)b2[0] << 24 | (uint32_t)b2[1] << 16 | (uint32_t)b2[2] << 8 | b2[3];
            if (a > c)
                return xp_err(x, "reversed address range '%s'", tok);
            rvec_push(&out->f[0], (u128_t){0, a}, (u128_t){0, c});
            return 0;
        }
    }
    return xp_err(x, "invalid address '%s'", tok);
}

static int parse_one_port(xp_t *x, const char *tok, tset_t *out)
{
    char buf[128];
    snprintf(buf, sizeof(buf), "%s", tok);
    char *colon = strchr(buf, ':');
    uint64_t lo = 0, hi = 65535;
    if (colon) {
        *colon = 0;
        if ((buf[0] && !vg_parse_u64(buf, &lo)) || (colon[1] && !vg_parse_u64(colon + 1, &hi)) ||
            (!buf[0] && !colon[1]))
            return xp_err(x, "invalid port range '%s'", tok);
    } else {
        if (!vg_parse_u64(buf, &lo))
            return xp_err(x, "invalid port '%s'", tok);
        hi = lo;
    }
    if (hi > 65535 || lo > hi)
        return xp_err(x, "port out of range in '%s'", tok);
    rvec_push(&out->f[0], (u128_t){0, lo}, (u128_t){0, hi});
    return 0;
}

/* A list body "a,b,!c" (without brackets): union(positives) - union(negations). */
static int parse_list(xp_t *x, const char *s, size_t n, tset_t *out)
{
    tset_t pos = {0}, neg = {0};
    bool any_pos = false;
    size_t i = 0;
    int rc = 0;
    while (i < n && rc == 0) {
        size_t start = i;
        int depth = 0;
        while (i < n && (depth > 0 || s[i] != ',')) {
            if (s[i] == '[') depth++;
            else if (s[i] == ']') depth--;
            i++;
        }
        const char *item = s + start;
        size_t len = i - start;
        while (len && isspace((unsigned char)*item)) { item++; len--; }
        while (len && isspace((unsigned char)item[len - 1])) len--;
        i++; /* skip ',' */
        if (len == 0) {
            rc = xp_err(x, "empty element in list '%s'", "");
            break;
        }
        bool negated = false;
        if (item[0] == '!') {
            negated = true;
            item++;
            len--;
        }
        tset_t t = {0};
        rc = parse_expr(x, item, len, &t);
        if (rc == 0) {
            tset_union(negated ? &neg : &pos, &t);
            any_pos |= !negated;
        }
        tset_free(&t);
    }
    if (rc == 0) {
        if (!any_pos)
            tset_any(&pos, x->ports);
        tset_subtract(&pos, &neg, x->ports);
        tset_union(out, &pos);
    }
    tset_free(&pos);
    tset_free(&neg);
    return rc;
}

static int parse_expr(xp_t *x, const char *s, size_t n, tset_t *out)
{
    while (n && isspace((unsigned char)*s)) { s++; n--; }
    while (n && isspace((unsigned char)s[n - 1])) n--;
    if (n == 0)
        return xp_err(x, "empty %s expression", x->ports ? "port" : "address");
    if (++x->depth > 32) {
        x->depth--;
        return xp_err(x, "variables nested too deep (loop?)%s", "");
    }
    int rc = 0;
    if (s[0] == '!') {
        tset_t t = {0};
        rc = parse_expr(x, s + 1, n - 1, &t);
        if (rc == 0) {
            tset_complement(&t, x->ports);
            tset_union(out, &t);
        }
        tset_free(&t);
    } else if (s[0] == '[') {
        if (s[n - 1] != ']') {
            rc = xp_err(x, "unbalanced '[' in '%s'", s);
        } else {
            int depth = 0;
            for (size_t i = 0; i < n && rc == 0; i++) {
                depth += s[i] == '[' ? 1 : s[i] == ']' ? -1 : 0;
                if (depth == 0 && i != n - 1)
                    rc = xp_err(x, "unbalanced brackets in '%s'", s);
            }
            if (rc == 0)
                rc = parse_list(x, s + 1, n - 2, out);
        }
    } else if (s[0] == '$') {
        const char *v = vg_rs_var(x->rs, s + 1, n - 1);
        if (!v) {
            char name[128];
            snprintf(name, sizeof(name), "%.*s", (int)n, s);
            rc = xp_err(x, "undefined variable %s", name);
        } else {
            rc = parse_expr(x, v, strlen(v), out);
        }
    } else if (n == 3 && strncasecmp(s, "any", 3) == 0) {
        tset_any(out, x->ports);
    } else {
        char tok[128];
        if (n >= sizeof(tok)) {
            rc = xp_err(x, "token too long%s", "");
        } else {
            memcpy(tok, s, n);
            tok[n] = 0;
            rc = x->ports ? parse_one_port(x, tok, out) : parse_one_addr(x, tok, out);
        }
    }
    x->depth--;
    return rc;
}

static bool full(const rvec_t *v, u128_t max)
{
    return v->n == 1 && ucmp(v->r[0].lo, U0) == 0 && ucmp(v->r[0].hi, max) == 0;
}

static void u128_to_bytes(u128_t u, uint8_t *b)
{
    for (int i = 7; i >= 0; i--) { b[i] = (uint8_t)u.hi; u.hi >>= 8; }
    for (int i = 15; i >= 8; i--) { b[i] = (uint8_t)u.lo; u.lo >>= 8; }
}

const vg_addr_set_t *vg_rs_addr_set(vg_ruleset_t *rs, const char *expr, char *err, size_t errlen)
{
    size_t n = strlen(expr);
    vg_strmap_ent_t *e = vg_strmap_get(&rs->addr_cache, expr, n);
    if (e)
        return e->val;
    xp_t x = {rs, false, err, errlen, 0};
    tset_t t = {0};
    if (parse_expr(&x, expr, n, &t) != 0) {
        tset_free(&t);
        return NULL;
    }
    rvec_normalize(&t.f[0]);
    rvec_normalize(&t.f[1]);
    if (t.f[0].n == 0 && t.f[1].n == 0) {
        tset_free(&t);
        xp_err(&x, "address expression '%s' matches nothing", expr);
        return NULL;
    }
    vg_addr_set_t *s = vg_arena_alloc(&rs->perm, sizeof(*s));
    s->any4 = full(&t.f[0], MAX4);
    s->any6 = full(&t.f[1], MAX6);
    if (!s->any4 && t.f[0].n) {
        s->n4 = (uint32_t)t.f[0].n;
        s->r4 = vg_arena_alloc(&rs->perm, s->n4 * sizeof(*s->r4));
        for (size_t i = 0; i < t.f[0].n; i++) {
            s->r4[i].lo = (uint32_t)t.f[0].r[i].lo.lo;
            s->r4[i].hi = (uint32_t)t.f[0].r[i].hi.lo;
        }
    }
    if (!s->any6 && t.f[1].n) {
        s->n6 = (uint32_t)t.f[1].n;
        s->r6 = vg_arena_alloc(&rs->perm, s->n6 * sizeof(*s->r6));
        for (size_t i = 0; i < t.f[1].n; i++) {
            u128_to_bytes(t.f[1].r[i].lo, s->r6[i].lo);
            u128_to_bytes(t.f[1].r[i].hi, s->r6[i].hi);
        }
    }
    tset_free(&t);
    vg_strmap_put(&rs->addr_cache, &rs->perm, expr, n)->val = s;
    return s;
}

const vg_port_set_t *vg_rs_port_set(vg_ruleset_t *rs, const char *expr, char *err, size_t errlen)
{
    size_t n = strlen(expr);
    vg_strmap_ent_t *e = vg_strmap_get(&rs->port_cache, expr, n);
    if (e)
        return e->val;
    xp_t x = {rs, true, err, errlen, 0};
    tset_t t = {0};
    if (parse_expr(&x, expr, n, &t) != 0) {
        tset_free(&t);
        return NULL;
    }
    rvec_normalize(&t.f[0]);
    if (t.f[0].n == 0) {
        tset_free(&t);
        xp_err(&x, "port expression '%s' matches nothing", expr);
        return NULL;
    }
    vg_port_set_t *s = vg_arena_alloc(&rs->perm, sizeof(*s));
    s->any = full(&t.f[0], MAXP);
    if (!s->any) {
        s->n = (uint32_t)t.f[0].n;
        s->r = vg_arena_alloc(&rs->perm, s->n * sizeof(*s->r));
        for (size_t i = 0; i < t.f[0].n; i++) {
            s->r[i].lo = (uint16_t)t.f[0].r[i].lo.lo;
            s->r[i].hi = (uint16_t)t.f[0].r[i].hi.lo;
        }
    }
    tset_free(&t);
    vg_strmap_put(&rs->port_cache, &rs->perm, expr, n)->val = s;
    return s;
}

/* ---- matching ---- */

bool vg_addr_set_match(const vg_addr_set_t *s, const vg_addr_t *a, int ip_ver)
{
    if (ip_ver == 4) {
        if (s->any4)
            return true;
        uint32_t v = (uint32_t)a->b[0] << 24 | (uint32_t)a->b[1] << 16 | (uint32_t)a->b[2] << 8 |
                     a->b[3];
        size_t lo = 0, hi = s->n4;
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (v < s->r4[mid].lo) hi = mid;
            else if (v > s->r4[mid].hi) lo = mid + 1;
            else return true;
        }
        return false;
    }
    if (ip_ver == 6) {
        if (s->any6)
            return true;
        size_t lo = 0, hi = s->n6;
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (memcmp(a->b, s->r6[mid].lo, 16) < 0) hi = mid;
            else if (memcmp(a->b, s->r6[mid].hi, 16) > 0) lo = mid + 1;
            else return true;
        }
        return false;
    }
    return s->any4 && s->any6;
}

bool vg_port_set_match(const vg_port_set_t *s, uint16_t port)
{
    if (s->any)
        return true;
    size_t lo = 0, hi = s->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (port < s->r[mid].lo) hi = mid;
        else if (port > s->r[mid].hi) lo = mid + 1;
        else return true;
    }
    return false;
}

/* ---- header ---- */

static const struct { const char *name; uint8_t l4, app; uint16_t flags; uint8_t ip_ver; }
protos[] = {
    {"ip", VG_L4_ANY, VG_APP_UNKNOWN, 0, 0},
    {"pkthdr", VG_L4_ANY, VG_APP_UNKNOWN, 0, 0},
    {"tcp", VG_L4_TCP, VG_APP_UNKNOWN, 0, 0},
    {"udp", VG_L4_UDP, VG_APP_UNKNOWN, 0, 0},
    {"icmp", VG_L4_ICMP4 | VG_L4_ICMP6, VG_APP_UNKNOWN, 0, 0},
    {"icmpv4", VG_L4_ICMP4, VG_APP_UNKNOWN, 0, 0},
    {"icmpv6", VG_L4_ICMP6, VG_APP_UNKNOWN, 0, 0},
    {"tcp-pkt", VG_L4_TCP, VG_APP_UNKNOWN, VG_RULE_TCP_PKT, 0},
    {"tcp-stream", VG_L4_TCP, VG_APP_UNKNOWN, VG_RULE_TCP_STREAM, 0},
    {"http1", VG_L4_TCP, VG_APP_HTTP, 0, 0}, /* Suricata's other name for http */
    /* any protocol over one IP version (a VG_PM_IP_VER match, parse_proto) */
    {"ipv4", VG_L4_ANY, VG_APP_UNKNOWN, 0, 4},
    {"ip4", VG_L4_ANY, VG_APP_UNKNOWN, 0, 4},
    {"ipv6", VG_L4_ANY, VG_APP_UNKNOWN, 0, 6},
    {"ip6", VG_L4_ANY, VG_APP_UNKNOWN, 0, 6},
    /* every other application protocol by its registered name (app_registry.c) */
};

static const char *const unsupported_protos[] = {
    "nfs", "snmp", "rdp",
    "rfb", "mqtt", "modbus", "dnp3", "enip", "ike", "ikev2", "tftp", "http2", "imap", "pop3",
    "pgsql", "bittorrent-dht", "quic", "websocket", "ldap", "doh2", "sctp", "nntp",
    "irc", "pop", "dcerpc-udp", "smb2", "msn", "jabber", "template", "arp", "mdns", "llmnr",
};

static int parse_proto(vg_pctx_t *pc, const char *p)
{
    for (size_t i = 0; i < VG_ARRAY_LEN(protos); i++) {
        if (strcasecmp(p, protos[i].name) == 0) {
            pc->r->l4 = protos[i].l4;
            pc->r->app_proto = protos[i].app;
            pc->r->flags |= protos[i].flags;
            if (protos[i].ip_ver) { /* ipv4/ipv6: any protocol over that IP version */
                vg_pkt_match_t *pm = vg_pc_add_pm(pc, VG_PM_IP_VER);
                pm->cmp.mode = VG_CMP_EQ;
                pm->cmp.a = protos[i].ip_ver;
            }
            return 0;
        }
    }
    /* an application protocol Vigil detects: its transports from its registration */
    const vg_app_ops_t *o = vg_app_ops_by_name_ci(p);
    if (o) {
        pc->r->l4 = (uint8_t)((o->over_tcp ? VG_L4_TCP : 0) | (o->over_udp ? VG_L4_UDP : 0));
        pc->r->app_proto = (uint8_t)o->id;
        return 0;
    }
    for (size_t i = 0; i < VG_ARRAY_LEN(unsupported_protos); i++) {
        if (strcasecmp(p, unsupported_protos[i]) == 0) {
            char reason[96];
            snprintf(reason, sizeof(reason), "unsupported protocol '%s' (no %s parser)",
                     unsupported_protos[i], unsupported_protos[i]);
            return vg_pc_fail(pc, VG_DIAG_SKIPPED, reason, "protocol '%s' needs an app-layer "
                              "parser Vigil does not have", p);
        }
    }
    return VG_PC_SYNTAX(pc, "unknown protocol '%s'", p);
}

static const struct { const char *name; uint8_t action; } actions[] = {
    {"alert", VG_ACT_ALERT}, {"pass", VG_ACT_PASS}, {"drop", VG_ACT_DROP},
    {"reject", VG_ACT_REJECT}, {"rejectsrc", VG_ACT_REJECTSRC},
    {"rejectdst", VG_ACT_REJECTDST}, {"rejectboth", VG_ACT_REJECTBOTH},
};

/* Split the header into whitespace-separated tokens; whitespace inside [...] is kept with its
 * token. Tokens are NUL-terminated in place; cols receive 1-based columns. */
static int tokenize(char *h, char **tok, uint32_t *cols, int max, const char *line)
{
    int n = 0;
    char *p = h;
    while (*p) {
        while (*p && isspace((unsigned char)*p))
            p++;
        if (!*p)
            break;
        if (n == max)
            return -1;
        tok[n] = p;
        cols[n] = (uint32_t)(p - line) + 1;
        n++;
        int depth = 0;
        while (*p && (depth > 0 || !isspace((unsigned char)*p))) {
            if (*p == '[') depth++;
            else if (*p == ']') depth--;
            p++;
        }
        if (*p)
            *p++ = 0;
    }
    return n;
}

static void strip_spaces(char *s)
{
    char *w = s;
    for (char *r = s; *r; r++)
        if (!isspace((unsigned char)*r))
            *w++ = *r;
    *w = 0;
}

int vg_parse_header(vg_pctx_t *pc, char *hdr)
{
    char *tok[8];
    uint32_t cols[8];
    int n = tokenize(hdr, tok, cols, 8, pc->line);
    pc->col = 1;
    if (n != 7)
        return VG_PC_SYNTAX(pc, "rule header needs 7 fields (action proto src sport dir dst "
                            "dport), found %d", n < 0 ? 8 : n);
    vg_rule_t *r = pc->r;
    size_t i;
    for (i = 0; i < VG_ARRAY_LEN(actions); i++)
        if (strcmp(tok[0], actions[i].name) == 0)
            break;
    if (i == VG_ARRAY_LEN(actions))
        return VG_PC_SYNTAX(pc, "unknown action '%s'", tok[0]);
    r->action = actions[i].action;
    pc->col = cols[1];
    if (parse_proto(pc, tok[1]) != 0)
        return -1;
    pc->col = cols[4];
    if (strcmp(tok[4], "->") == 0)
        ;
    else if (strcmp(tok[4], "<>") == 0)
        r->flags |= VG_RULE_BIDIR;
    else if (strcmp(tok[4], "<-") == 0)
        return VG_PC_SYNTAX(pc, "direction '<-' is not valid (use '->' with swapped sides)");
    else
        return VG_PC_SYNTAX(pc, "invalid direction '%s'", tok[4]);
    char err[192];
    for (int k = 2; k <= 6; k++) {
        if (k == 4)
            continue;
        pc->col = cols[k];
        strip_spaces(tok[k]);
        err[0] = 0;
        if (k == 2 || k == 5) {
            const vg_addr_set_t *s = vg_rs_addr_set(pc->rs, tok[k], err, sizeof(err));
            if (!s)
                return VG_PC_SYNTAX(pc, "%s", err);
            *(k == 2 ? &r->src : &r->dst) = s;
        } else {
            const vg_port_set_t *s = vg_rs_port_set(pc->rs, tok[k], err, sizeof(err));
            if (!s)
                return VG_PC_SYNTAX(pc, "%s", err);
            if (!s->any && !(r->l4 & (VG_L4_TCP | VG_L4_UDP)))
                return VG_PC_SYNTAX(pc, "ports given for a protocol without ports");
            *(k == 3 ? &r->sp : &r->dp) = s;
        }
    }
    return 0;
}
