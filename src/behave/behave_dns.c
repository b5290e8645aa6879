/* behave_dns.c — DNS tunnelling: data carried in query names.
 *
 * Per (client, registered domain) over behave.dns-tunnel.window seconds: queries, distinct
 * subdomains (HyperLogLog), the mean length and Shannon entropy of the subdomain part, and the
 * queries for record types tunnels favour (TXT, NULL, KEY, private types). sid 5001 fires once
 * per episode when there are at least dns-tunnel.queries queries and dns-tunnel.unique distinct
 * subdomains, and either the mean subdomain length reaches dns-tunnel.min-length or
 * dns-tunnel.txt queries are of those record types.
 *
 * The registered domain is the last two labels, three when the second-level label is one of the
 * usual public suffix second levels (co, com, net, org, gov, ac, edu) under a two-letter TLD; a
 * full public suffix list is not used. Reverse lookups (arpa) are ignored.
 */
#include "behave/behave_int.h"
#include "common/hash.h"

#include <math.h>
#include <stdlib.h>
#include <strings.h>

static const vg_behave_sig_t sig_dns = {
    VG_BEHAVE_GID, 5001, 1, 2, "VIGIL BEHAVE DNS tunnelling (long, high-entropy names under one "
    "domain)", "command-and-control", "Malware Command and Control Activity Detected",
    "mitre_tactic_name Command_And_Control", VG_BEHAVE_TARGET_SRC};

#define DOM_MAX 64

typedef struct dns_ent {
    vg_bent_t h;
    vg_time_t win_start, last;
    uint32_t queries, odd_types, long_names;
    uint64_t sum_len;
    double sum_entropy;
    uint32_t max_len;
    vg_hll_t unique;
    uint8_t alerted, dom_len;
    char dom[DOM_MAX];
} dns_ent_t;

VG_BEHAVE_TABLE_STATE(dns_state_b, dnst, dns_ent_t)

/* Offset where the registered domain starts in name[0..n), or -1 for none (no subdomain). */
static int registered_start(const char *name, size_t n)
{
    int dots[4] = {-1, -1, -1, -1};
    int nd = 0;
    for (size_t i = n; i-- > 0 && nd < 4;)
        if (name[i] == '.')
            dots[nd++] = (int)i;
    if (nd < 1)
        return -1;
    int labels = 2;
    size_t tld_len = n - (size_t)dots[0] - 1;
    if (tld_len == 2 && nd >= 2) {
        const char *sl = name + dots[1] + 1;
        size_t sl_len = (size_t)(dots[0] - dots[1] - 1);
        static const char *const second[] = {"co", "com", "net", "org", "gov", "ac", "edu"};
        for (size_t k = 0; k < VG_ARRAY_LEN(second); k++)
            if (strlen(second[k]) == sl_len && !strncasecmp(sl, second[k], sl_len))
                labels = 3;
    }
    if (nd < labels)
        return -1; /* the name is the registered domain itself */
    return dots[labels - 1] + 1;
}

static double entropy(const char *s, size_t n)
{
    unsigned cnt[256] = {0};
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '.')
            continue;
        if (ch >= 'A' && ch <= 'Z')
            ch = (unsigned char)(ch + 32);
        cnt[ch]++;
        m++;
    }
    double h = 0;
    for (int i = 0; i < 256; i++)
        if (cnt[i]) {
            double p = (double)cnt[i] / (double)m;
            h -= p * log2(p);
        }
    return h;
}

/* dom (not NUL-terminated) is one of the comma-separated names of list (case-insensitive). */
static bool ignored(const char *list, const char *dom, size_t n)
{
    const char *p = list;
    while (*p) {
        while (*p == ',' || *p == ' ')
            p++;
        const char *e = p;
        while (*e && *e != ',' && *e != ' ')
            e++;
        if ((size_t)(e - p) == n && !strncasecmp(p, dom, n))
            return true;
        p = e;
    }
    return false;
}

static bool odd_type(uint16_t t) { return t == 10 || t == 16 || t == 25 || t >= 65280; }

void dnst_observe(vg_behave_t *b, struct dns_state_b *s, const vg_behave_obs_t *o,
                  const char *names)
{
    const vg_behave_cfg_t *c = &b->cfg;
    if (!o->name_len || !names)
        return;
    const char *name = names + o->name_off;
    size_t n = o->name_len;
    while (n && name[n - 1] == '.')
        n--;
    int rs = registered_start(name, n);
    if (rs <= 1)
        return;
    const char *dom = name + rs;
    size_t dom_len = n - (size_t)rs;
    if (dom_len >= 4 && !strncasecmp(dom + dom_len - 4, "arpa", 4))
        return;
    if (ignored(c->dns_ignore, dom, dom_len))
        return;
    size_t sub_len = (size_t)rs - 1;
    uint8_t key[26];
    memcpy(key, o->src.b, 16);
    uint64_t dh = 0;
    char low[DOM_MAX];
    size_t ll = dom_len < DOM_MAX ? dom_len : DOM_MAX;
    for (size_t i = 0; i < ll; i++)
        low[i] = (char)((dom[i] >= 'A' && dom[i] <= 'Z') ? dom[i] + 32 : dom[i]);
    dh = vg_hash_bytes(low, ll, 0x646f6d);
    memcpy(key + 16, &dh, 8);
    key[24] = o->ip_ver;
    key[25] = 0;
    if (!vg_btab_admit(&s->t, key, sizeof key))
        return; /* a domain looked up once (most of them) takes no entry */
    bool created;
    dns_ent_t *e = vg_btab_get(&s->t, key, sizeof key, o->ts, &created);
    vg_time_t win = (vg_time_t)c->dns_window * VG_USEC_PER_SEC;
    bool restarted;
    VG_BEHAVE_ROLL_WINDOW(e, o->ts, win, created, restarted);
    if (restarted) {
        memcpy(e->dom, low, ll);
        e->dom_len = (uint8_t)ll;
    }
    if (o->ts > e->last)
        e->last = o->ts;
    e->queries++;
    e->sum_len += sub_len;
    if (sub_len > e->max_len)
        e->max_len = (uint32_t)sub_len;
    if (sub_len >= c->dns_min_length)
        e->long_names++;
    e->sum_entropy += entropy(name, sub_len);
    if (odd_type(o->code))
        e->odd_types++;
    uint64_t sh = 0x9e3779b97f4a7c15ull;
    for (size_t i = 0; i < sub_len; i++) {
        unsigned char ch = (unsigned char)name[i];
        sh = (sh ^ (ch >= 'A' && ch <= 'Z' ? ch + 32u : ch)) * 0x100000001b3ull;
    }
    vg_hll_add(&e->unique, vg_hash_mix64(sh));
    if (e->alerted || e->queries < c->dns_queries)
        return;
    uint32_t unique = vg_hll_count(&e->unique);
    double avg_len = (double)e->sum_len / e->queries;
    if (unique < c->dns_unique ||
        (avg_len < c->dns_min_length && (!c->dns_txt || e->odd_types < c->dns_txt)))
        return;
    e->alerted = 1;
    vg_jw_t *w = vg_behave_detail_begin(b, "dns_tunnel");
    vg_jw_key(w, "domain");
    vg_jw_strn(w, e->dom, e->dom_len);
    vg_jw_kv_uint(w, "queries", e->queries);
    vg_jw_kv_uint(w, "unique_subdomains", unique);
    vg_jw_key(w, "mean_length");
    vg_jw_double(w, round(avg_len * 10) / 10);
    vg_jw_kv_uint(w, "max_length", e->max_len);
    vg_jw_key(w, "mean_entropy");
    vg_jw_double(w, round(e->sum_entropy / e->queries * 100) / 100);
    vg_jw_kv_uint(w, "txt_null_queries", e->odd_types);
    double span = vg_behave_secs(o->ts > e->win_start ? o->ts - e->win_start : 0);
    vg_jw_key(w, "seconds");
    vg_jw_double(w, span);
    vg_behave_raise(b, BC_ALERTS_DNS, &sig_dns, o->ts, &o->src, &o->dst, o->ip_ver, o->sp, o->dp,
                    o->proto, o->proto == 6 && (o->flags & VG_BOBS_HANDSHAKE));
}
