/* behave.c — configuration, the bounded table, HyperLogLog, dispatch of observations to the
 * detectors and the alert plumbing they share. */
#include "behave/behave_int.h"
#include "common/hash.h"
#include "common/log.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- configuration ----------------------------------------------------------------------- */

static const uint16_t def_brute_ports[] = {21,   22,   23,   110,  143,  465,  587,  993,  995,
                                           1433, 1521, 3306, 3389, 5432, 5900, 5985, 5986, 6379,
                                           27017};
static const uint16_t def_amp_ports[] = {17,   19,   53,   69,    111,   123,   137,  161,
                                         389,  500,  520,  1434,  1900,  3283,  3702, 4500,
                                         5353, 5683, 10001, 11211, 37810, 47808};
/* Content and advertising networks whose hostnames carry hashes (many long, unique subdomains
 * under one domain, the shape of a tunnel). */
#define DEF_DNS_IGNORE                                                                            \
    "googlevideo.com,googlesyndication.com,doubleclick.net,akamaiedge.net,akamaihd.net,"          \
    "cloudfront.net,amazonaws.com,windowsupdate.com,office.com,spotify.com"
static const uint16_t def_beacon_ignore[] = {53, 67, 68, 123, 137, 138, 5353};

#define COPY_PORTS(dst, n, src)                                                                   \
    do {                                                                                          \
        memcpy(dst, src, sizeof src);                                                             \
        n = VG_ARRAY_LEN(src);                                                                    \
    } while (0)

void vg_behave_cfg_defaults(vg_behave_cfg_t *c)
{
    memset(c, 0, sizeof *c);
    c->enabled = true;
    c->table_size = 32768;
    c->max_epoch_obs = 1000000;
    c->max_epoch_single = 65536;
    c->scan_on = true;
    c->scan_window = 60;
    c->scan_ports = 25;
    c->scan_hosts = 25;
    c->scan_slow_window = 3600;
    c->scan_slow_targets = 100;
    c->scan_invalid = 3;
    c->brute_on = true;
    c->brute_window = 300;
    c->brute_attempts = 10;
    c->brute_max_session = 60;
    c->brute_http_failures = 20;
    COPY_PORTS(c->brute_ports, c->n_brute_ports, def_brute_ports);
    c->flood_on = true;
    c->flood_window = 10;
    c->flood_pps = 1000;
    c->flood_min_packets = 2000;
    c->flood_amp_sources = 50;
    c->flood_amp_bytes = 5u << 20;
    COPY_PORTS(c->amp_ports, c->n_amp_ports, def_amp_ports);
    c->beacon_on = true;
    c->beacon_min_count = 8;
    c->beacon_max_jitter_pct = 10;
    c->beacon_min_period = 10;
    c->beacon_max_period = 3600;
    COPY_PORTS(c->beacon_ignore_ports, c->n_beacon_ignore_ports, def_beacon_ignore);
    c->dns_on = true;
    c->dns_window = 300;
    c->dns_queries = 20;
    c->dns_unique = 15;
    c->dns_min_length = 20;
    c->dns_txt = 20;
    snprintf(c->dns_ignore, sizeof c->dns_ignore, "%s", DEF_DNS_IGNORE);
    c->exfil_on = true;
    c->exfil_window = 3600;
    c->exfil_ratio = 10;
    c->exfil_bytes = 50u << 20;
    c->icmpt_on = true;
    c->icmpt_window = 300;
    c->icmpt_min_packets = 20;
    c->icmpt_mismatches = 10;
    c->icmpt_size_changes = 20;
}

static int parse_ports(const char *key, const char *s, uint16_t *out, size_t *n, char *err,
                       size_t err_len)
{
    *n = 0;
    if (!s)
        return 0;
    const char *p = s;
    while (*p) {
        while (*p == ' ' || *p == ',')
            p++;
        if (!*p)
            break;
        char *end;
        unsigned long v = strtoul(p, &end, 10);
        if (end == p || v > 65535 || (*end && *end != ',' && *end != ' ')) {
            snprintf(err, err_len, "%s: expected a comma-separated list of ports, got '%s'", key,
                     s);
            return -1;
        }
        if (*n == VG_BEHAVE_MAX_PORTS) {
            snprintf(err, err_len, "%s: at most %d ports", key, VG_BEHAVE_MAX_PORTS);
            return -1;
        }
        out[(*n)++] = (uint16_t)v;
        p = end;
    }
    return 0;
}

static uint32_t u32(const vg_config_t *cfg, const char *k)
{
    uint64_t v = vg_config_uint(cfg, k);
    return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

int vg_behave_cfg_load(vg_behave_cfg_t *c, const vg_config_t *cfg, char *err, size_t err_len)
{
    vg_behave_cfg_defaults(c);
    c->enabled = vg_config_bool(cfg, "behave.enabled");
    c->table_size = u32(cfg, "behave.table-size");
    c->max_epoch_obs = vg_config_uint(cfg, "behave.max-epoch-observations");
    c->max_epoch_single = vg_config_uint(cfg, "behave.max-epoch-single-packet");
    c->scan_on = vg_config_bool(cfg, "behave.scan.enabled");
    c->scan_window = u32(cfg, "behave.scan.window");
    c->scan_ports = u32(cfg, "behave.scan.ports");
    c->scan_hosts = u32(cfg, "behave.scan.hosts");
    c->scan_slow_window = u32(cfg, "behave.scan.slow-window");
    c->scan_slow_targets = u32(cfg, "behave.scan.slow-targets");
    c->scan_invalid = u32(cfg, "behave.scan.invalid-flags");
    c->brute_on = vg_config_bool(cfg, "behave.brute-force.enabled");
    c->brute_window = u32(cfg, "behave.brute-force.window");
    c->brute_attempts = u32(cfg, "behave.brute-force.attempts");
    c->brute_max_session = u32(cfg, "behave.brute-force.max-session");
    c->brute_http_failures = u32(cfg, "behave.brute-force.http-failures");
    c->flood_on = vg_config_bool(cfg, "behave.flood.enabled");
    c->flood_window = u32(cfg, "behave.flood.window");
    c->flood_pps = u32(cfg, "behave.flood.pps");
    c->flood_min_packets = u32(cfg, "behave.flood.min-packets");
    c->flood_amp_sources = u32(cfg, "behave.flood.amplification-sources");
    c->flood_amp_bytes = vg_config_uint(cfg, "behave.flood.amplification-bytes");
    c->beacon_on = vg_config_bool(cfg, "behave.beacon.enabled");
    c->beacon_min_count = u32(cfg, "behave.beacon.min-count");
    c->beacon_max_jitter_pct = u32(cfg, "behave.beacon.max-jitter");
    c->beacon_min_period = u32(cfg, "behave.beacon.min-period");
    c->beacon_max_period = u32(cfg, "behave.beacon.max-period");
    c->dns_on = vg_config_bool(cfg, "behave.dns-tunnel.enabled");
    c->dns_window = u32(cfg, "behave.dns-tunnel.window");
    c->dns_queries = u32(cfg, "behave.dns-tunnel.queries");
    c->dns_unique = u32(cfg, "behave.dns-tunnel.unique");
    c->dns_min_length = u32(cfg, "behave.dns-tunnel.min-length");
    c->dns_txt = u32(cfg, "behave.dns-tunnel.txt");
    const char *ign = vg_config_str(cfg, "behave.dns-tunnel.ignore-domains");
    if (ign && strlen(ign) >= sizeof c->dns_ignore) {
        snprintf(err, err_len, "behave.dns-tunnel.ignore-domains: longer than %zu characters",
                 sizeof c->dns_ignore - 1);
        return -1;
    }
    snprintf(c->dns_ignore, sizeof c->dns_ignore, "%s", ign ? ign : "");
    c->exfil_on = vg_config_bool(cfg, "behave.exfil.enabled");
    c->exfil_window = u32(cfg, "behave.exfil.window");
    c->exfil_ratio = u32(cfg, "behave.exfil.ratio");
    c->exfil_bytes = vg_config_uint(cfg, "behave.exfil.bytes");
    c->icmpt_on = vg_config_bool(cfg, "behave.icmp-tunnel.enabled");
    c->icmpt_window = u32(cfg, "behave.icmp-tunnel.window");
    c->icmpt_min_packets = u32(cfg, "behave.icmp-tunnel.min-packets");
    c->icmpt_mismatches = u32(cfg, "behave.icmp-tunnel.mismatches");
    c->icmpt_size_changes = u32(cfg, "behave.icmp-tunnel.size-changes");
    if (parse_ports("behave.brute-force.ports", vg_config_str(cfg, "behave.brute-force.ports"),
                    c->brute_ports, &c->n_brute_ports, err, err_len) ||
        parse_ports("behave.flood.amplification-ports",
                    vg_config_str(cfg, "behave.flood.amplification-ports"), c->amp_ports,
                    &c->n_amp_ports, err, err_len) ||
        parse_ports("behave.beacon.ignore-ports", vg_config_str(cfg, "behave.beacon.ignore-ports"),
                    c->beacon_ignore_ports, &c->n_beacon_ignore_ports, err, err_len))
        return -1;
    if (c->table_size < 64)
        c->table_size = 64;
    if (c->beacon_min_count < 3)
        c->beacon_min_count = 3;
    return 0;
}

/* --- HyperLogLog ------------------------------------------------------------------------- */

void vg_hll_add(vg_hll_t *h, uint64_t hash)
{
    uint32_t idx = (uint32_t)(hash >> (64 - VG_HLL_P));
    uint64_t w = (hash << VG_HLL_P) | (1ull << (VG_HLL_P - 1)); /* never zero */
    uint8_t rho = (uint8_t)(__builtin_clzll(w) + 1);
    if (rho > h->r[idx])
        h->r[idx] = rho;
}

uint32_t vg_hll_count(const vg_hll_t *h)
{
    static double pow2neg[66]; /* 2^-r; registers hold at most 64 - P + 1 */
    static _Atomic int ready;
    if (!atomic_load_explicit(&ready, memory_order_acquire)) {
        for (int r = 0; r < 66; r++)
            pow2neg[r] = ldexp(1.0, -r); /* same values from any thread: a benign repeat */
        atomic_store_explicit(&ready, 1, memory_order_release);
    }
    double sum = 0;
    unsigned zeros = 0;
    for (unsigned i = 0; i < VG_HLL_M; i++) {
        sum += pow2neg[h->r[i] < 66 ? h->r[i] : 65];
        zeros += h->r[i] == 0;
    }
    double m = VG_HLL_M, alpha = 0.7213 / (1.0 + 1.079 / m);
    double e = alpha * m * m / sum;
    if (e <= 2.5 * m && zeros) /* small range: linear counting */
        e = m * log(m / (double)zeros);
    return (uint32_t)(e + 0.5);
}

/* --- the bounded table ------------------------------------------------------------------- */

/* Per set, one cache line of tags: the hashes of its 4 entries (0: free) and 4 doorkeeper
 * slots, so a lookup or an admission that misses costs one cache miss, not one per entry. */
#define TAGS_PER_SET 8

void vg_btab_init(vg_btab_t *t, size_t entries, size_t esz, uint64_t *evictions)
{
    size_t sets = 1;
    while (sets * VG_BTAB_WAYS < entries)
        sets <<= 1;
    t->nsets = sets;
    t->esz = (esz + 7) & ~(size_t)7;
    t->mem = vg_xcalloc(sets * VG_BTAB_WAYS, t->esz);
    t->evictions = evictions;
    void *tags = NULL;
    if (posix_memalign(&tags, 64, sets * TAGS_PER_SET * sizeof(uint64_t)) != 0) {
        vg_log(VG_LOG_ERROR, "out of memory (behave tables)");
        abort();
    }
    memset(tags, 0, sets * TAGS_PER_SET * sizeof(uint64_t));
    t->door = tags;
}

void vg_btab_fini(vg_btab_t *t)
{
    free(t->mem);
    free(t->door);
    t->mem = NULL;
    t->door = NULL;
}

size_t vg_btab_bytes(const vg_btab_t *t)
{
    return t->nsets * (VG_BTAB_WAYS * t->esz + TAGS_PER_SET * sizeof(uint64_t));
}

static uint64_t key_hash(const void *key, size_t klen)
{
    return vg_hash_bytes(key, klen, 0x6265686176650000ull) | 1; /* never 0 (free) */
}

static vg_bent_t *find(vg_btab_t *t, uint64_t h, const uint64_t *tags, const void *key,
                       size_t klen, size_t set)
{
    for (unsigned i = 0; i < VG_BTAB_WAYS; i++) {
        if (tags[i] != h)
            continue;
        vg_bent_t *e = (vg_bent_t *)(t->mem + (set * VG_BTAB_WAYS + i) * t->esz);
        if (e->klen == klen && !memcmp(e->key, key, klen))
            return e;
    }
    return NULL;
}

void vg_btab_prefetch(const vg_btab_t *t, const void *key, size_t klen)
{
    if (klen > VG_BKEY_MAX)
        klen = VG_BKEY_MAX;
    uint64_t h = key_hash(key, klen);
    __builtin_prefetch(t->door + (h & (t->nsets - 1)) * TAGS_PER_SET);
}

bool vg_btab_admit(vg_btab_t *t, const void *key, size_t klen)
{
    if (klen > VG_BKEY_MAX)
        klen = VG_BKEY_MAX;
    uint64_t h = key_hash(key, klen);
    size_t set = h & (t->nsets - 1);
    uint64_t *tags = t->door + set * TAGS_PER_SET;
    uint64_t *slot = &tags[VG_BTAB_WAYS + ((h >> 40) & (VG_BTAB_WAYS - 1))];
    if (*slot == h || find(t, h, tags, key, klen, set))
        return true;
    *slot = h;
    return false;
}

void *vg_btab_get(vg_btab_t *t, const void *key, size_t klen, vg_time_t now, bool *created)
{
    if (klen > VG_BKEY_MAX)
        klen = VG_BKEY_MAX;
    uint64_t h = key_hash(key, klen);
    size_t set = h & (t->nsets - 1);
    uint64_t *tags = t->door + set * TAGS_PER_SET;
    vg_bent_t *e = find(t, h, tags, key, klen, set);
    if (e) {
        if (now > e->seen)
            e->seen = now;
        *created = false;
        return e;
    }
    int victim = -1;
    for (unsigned i = 0; i < VG_BTAB_WAYS && victim < 0; i++)
        if (!tags[i])
            victim = (int)i;
    if (victim < 0) { /* the set is full: evict the entry seen least recently */
        vg_time_t oldest = UINT64_MAX;
        for (unsigned i = 0; i < VG_BTAB_WAYS; i++) {
            vg_bent_t *x = (vg_bent_t *)(t->mem + (set * VG_BTAB_WAYS + i) * t->esz);
            if (x->seen < oldest) {
                oldest = x->seen;
                victim = (int)i;
            }
        }
        if (t->evictions)
            (*t->evictions)++;
    }
    e = (vg_bent_t *)(t->mem + (set * VG_BTAB_WAYS + (unsigned)victim) * t->esz);
    memset(e, 0, t->esz);
    e->used = 1;
    e->hash = h;
    e->klen = (uint8_t)klen;
    memcpy(e->key, key, klen);
    e->seen = now;
    tags[victim] = h;
    *created = true;
    return e;
}

/* --- shared helpers ---------------------------------------------------------------------- */

bool vg_behave_port_in(const uint16_t *ports, size_t n, uint16_t p)
{
    for (size_t i = 0; i < n; i++)
        if (ports[i] == p)
            return true;
    return false;
}

bool vg_behave_not_unicast(const vg_addr_t *a, int ip_ver)
{
    if (ip_ver == 4) {
        const uint8_t *b = a->b;
        return b[0] >= 224 || (b[0] == 0) || (b[3] == 255); /* multicast/reserved, 0/8, x.x.x.255 */
    }
    return a->b[0] == 0xff || (!memcmp(a->b, (uint8_t[16]){0}, 16));
}

static bool default_home(const vg_addr_t *a, int ip_ver)
{
    const uint8_t *b = a->b;
    if (ip_ver == 4)
        return b[0] == 10 || (b[0] == 172 && (b[1] & 0xf0) == 16) ||
               (b[0] == 192 && b[1] == 168) || b[0] == 127 || (b[0] == 169 && b[1] == 254);
    return (b[0] & 0xfe) == 0xfc || (b[0] == 0xfe && (b[1] & 0xc0) == 0x80);
}

bool vg_behave_is_home(vg_behave_t *b, const vg_addr_t *a, int ip_ver)
{
    return b->home ? b->home(b->user, a, ip_ver) : default_home(a, ip_ver);
}

void vg_behave_put_addr(vg_jw_t *w, const char *key, const vg_addr_t *a, int ip_ver)
{
    char s[48];
    size_t n = vg_addr_format(a, ip_ver, s);
    vg_jw_key(w, key);
    vg_jw_strn(w, s, n);
}

vg_jw_t *vg_behave_detail_begin(vg_behave_t *b, const char *detector)
{
    vg_buf_reset(&b->detail);
    vg_jw_init(&b->jw, &b->detail);
    vg_jw_obj_open(&b->jw);
    vg_jw_kv_str(&b->jw, "detector", detector);
    return &b->jw;
}

void vg_behave_raise(vg_behave_t *b, int counter, const vg_behave_sig_t *sig, vg_time_t ts,
                     const vg_addr_t *src, const vg_addr_t *dst, uint8_t ip_ver, uint16_t sp,
                     uint16_t dp, uint8_t proto, bool verified)
{
    vg_jw_obj_close(&b->jw);
    b->c[counter]++;
    vg_behave_alert_t a = {
        .sig = sig, .ts = ts, .src = *src, .dst = *dst, .sp = sp, .dp = dp, .proto = proto,
        .ip_ver = ip_ver, .verified = verified, .detail = b->detail.data,
        .detail_len = b->detail.len,
    };
    if (b->on_alert)
        b->on_alert(b->user, &a);
}

/* --- the detectors together -------------------------------------------------------------- */

static void publish(vg_behave_t *b)
{
    for (int i = 0; i < BC_N; i++)
        atomic_store_explicit(&b->pub[i], b->c[i], memory_order_relaxed);
}

vg_behave_t *vg_behave_new(const vg_behave_cfg_t *c, vg_behave_alert_fn on_alert,
                           vg_behave_home_fn home, void *user)
{
    vg_behave_t *b = vg_xcalloc(1, sizeof *b);
    b->cfg = *c;
    b->on_alert = on_alert;
    b->home = home;
    b->user = user;
    vg_buf_init(&b->detail, 512);
    b->scan = c->scan_on ? scan_new(b) : NULL;
    b->brute = c->brute_on ? brute_new(b) : NULL;
    b->flood = c->flood_on ? flood_new(b) : NULL;
    b->beacon = c->beacon_on ? beacon_new(b) : NULL;
    b->dns = c->dns_on ? dnst_new(b) : NULL;
    b->exfil = c->exfil_on ? exfil_new(b) : NULL;
    b->icmpt = c->icmpt_on ? icmpt_new(b) : NULL;
    b->c[BC_MEMORY] = vg_behave_memory(b);
    publish(b);
    return b;
}

uint64_t vg_behave_memory(const vg_behave_t *b)
{
    return (b->scan ? scan_bytes(b->scan) : 0) + (b->brute ? brute_bytes(b->brute) : 0) +
           (b->flood ? flood_bytes(b->flood) : 0) + (b->beacon ? beacon_bytes(b->beacon) : 0) +
           (b->dns ? dnst_bytes(b->dns) : 0) + (b->exfil ? exfil_bytes(b->exfil) : 0) +
           (b->icmpt ? icmpt_bytes(b->icmpt) : 0);
}

void vg_behave_free(vg_behave_t *b)
{
    if (!b)
        return;
    if (b->scan)
        scan_free(b->scan);
    if (b->brute)
        brute_free(b->brute);
    if (b->flood)
        flood_free(b->flood);
    if (b->beacon)
        beacon_free(b->beacon);
    if (b->dns)
        dnst_free(b->dns);
    if (b->exfil)
        exfil_free(b->exfil);
    if (b->icmpt)
        icmpt_free(b->icmpt);
    vg_buf_fini(&b->detail);
    free(b);
}

void vg_behave_observe(vg_behave_t *b, const vg_behave_obs_t *o, const char *names)
{
    b->c[BC_OBS]++;
    if (o->kind == VG_BOBS_FLOW) {
        if (b->scan)
            scan_observe(b, b->scan, o, names);
        if (b->brute)
            brute_observe(b, b->brute, o, names);
        if (b->flood)
            flood_observe(b, b->flood, o, names);
        if (b->beacon)
            beacon_observe(b, b->beacon, o, names);
        if (b->exfil)
            exfil_observe(b, b->exfil, o, names);
        if (b->icmpt)
            icmpt_observe(b, b->icmpt, o, names);
    } else if (o->kind == VG_BOBS_DNS) {
        if (b->dns)
            dnst_observe(b, b->dns, o, names);
    } else if (o->kind == VG_BOBS_HTTP) {
        if (b->brute)
            brute_observe(b, b->brute, o, names);
    }
}

void vg_behave_prefetch(vg_behave_t *b, const vg_behave_obs_t *o)
{
    if (o->kind != VG_BOBS_FLOW)
        return;
    if (b->scan)
        scan_prefetch(b->scan, o);
    if (b->flood)
        flood_prefetch(b, b->flood, o);
}

void vg_behave_finish(vg_behave_t *b)
{
    if (b->scan)
        scan_finish(b, b->scan);
    if (b->brute)
        brute_finish(b, b->brute);
    if (b->flood)
        flood_finish(b, b->flood);
    if (b->beacon)
        beacon_finish(b, b->beacon);
    if (b->exfil)
        exfil_finish(b, b->exfil);
    if (b->icmpt)
        icmpt_finish(b, b->icmpt);
    publish(b);
}

/* Called by the pipe after each epoch. */
void vg_behave_epoch_done(vg_behave_t *b, uint64_t dropped);
void vg_behave_epoch_done(vg_behave_t *b, uint64_t dropped)
{
    b->c[BC_OBS_DROPPED] += dropped;
    publish(b);
}

static const char *const stat_names[BC_N] = {
    "behave.alerts.beacon", "behave.alerts.brute_force", "behave.alerts.dns_tunnel",
    "behave.alerts.exfil",  "behave.alerts.flood",       "behave.alerts.icmp_tunnel",
    "behave.alerts.scan",
    "behave.evictions",     "behave.memory",             "behave.obs",
    "behave.obs_dropped",
};
static const vg_stats_table_t stats_table = {stat_names, BC_N};

const vg_stats_table_t *vg_behave_stats_table(void) { return &stats_table; }

void vg_behave_stats_snapshot(const vg_behave_t *b, uint64_t *out)
{
    for (int i = 0; i < BC_N; i++)
        out[i] = atomic_load_explicit(&b->pub[i], memory_order_relaxed);
}

/* --- observation order ------------------------------------------------------------------- */

#define CMP(x, y)                                                                                 \
    do {                                                                                          \
        if ((x) != (y))                                                                           \
            return (x) < (y) ? -1 : 1;                                                            \
    } while (0)

int vg_behave_obs_cmp(const vg_behave_obs_t *a, const char *an, const vg_behave_obs_t *b,
                      const char *bn)
{
    CMP(a->ts, b->ts);
    CMP(a->kind, b->kind);
    int c = memcmp(&a->src, &b->src, sizeof a->src);
    if (c)
        return c;
    c = memcmp(&a->dst, &b->dst, sizeof a->dst);
    if (c)
        return c;
    CMP(a->sp, b->sp);
    CMP(a->dp, b->dp);
    CMP(a->proto, b->proto);
    CMP(a->ip_ver, b->ip_ver);
    CMP(a->last, b->last);
    CMP(a->code, b->code);
    for (int i = 0; i < 2; i++) {
        CMP(a->pkts[i], b->pkts[i]);
        CMP(a->bytes[i], b->bytes[i]);
        CMP(a->tcp_flags[i], b->tcp_flags[i]);
    }
    CMP(a->icmp_type, b->icmp_type);
    CMP(a->icmp_id, b->icmp_id);
    CMP(a->flags, b->flags);
    CMP(a->name_len, b->name_len);
    if (a->name_len && an && bn)
        return memcmp(an + a->name_off, bn + b->name_off, a->name_len);
    return 0;
}
