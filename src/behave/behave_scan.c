/* behave_scan.c — port scans and sweeps.
 *
 * A probe is a flow that did not become a conversation: a TCP flow without a completed
 * handshake (SYN, FIN, NULL, Xmas probes), a completed handshake the client reset at once with
 * no data ("connect" scans), a UDP flow the other side never answered, an ICMP echo request. Per
 * (source, protocol) the detector counts, over behave.scan.window seconds, the distinct hosts,
 * ports and host:port pairs probed (HyperLogLog) and the most probed host and port
 * (Boyer-Moore majority vote):
 *   vertical   (sid 1001): >= scan.ports distinct ports, most probes to one host;
 *   horizontal (sid 1002): >= scan.hosts distinct hosts, most probes to one port (ICMP: hosts);
 *   slow       (sid 1003): >= scan.slow-targets distinct host:port pairs over scan.slow-window;
 *   invalid    (sid 1004): >= scan.invalid-flags TCP probes within the window whose client
 *              never sent an ACK yet sent a FIN (FIN, Xmas, SYN+FIN probes) or sent no flag at
 *              all (NULL probes). No TCP stack sends these; nmap's FIN/NULL/Xmas scans and its
 *              OS-detection probes do, so a handful is enough where SYN probes need dozens.
 * Each fires once per episode: an episode ends when the source has been quiet for a window.
 * A source's first probe only marks it in a doorkeeper (its table entry starts with the second
 * probe), so a flood of spoofed one-packet sources leaves the table alone; the counts start one
 * probe late.
 */
#include "behave/behave_int.h"
#include "common/hash.h"

#include <stdlib.h>

static const vg_behave_sig_t sig_vertical = {
    VG_BEHAVE_GID, 1001, 1, 2, "VIGIL BEHAVE port scan (vertical: many ports on one host)",
    "attempted-recon", "Attempted Information Leak", "mitre_tactic_name Reconnaissance", VG_BEHAVE_TARGET_DST};
static const vg_behave_sig_t sig_horizontal = {
    VG_BEHAVE_GID, 1002, 1, 2, "VIGIL BEHAVE port scan (horizontal: one port on many hosts)",
    "attempted-recon", "Attempted Information Leak", "mitre_tactic_name Reconnaissance", VG_BEHAVE_TARGET_DST};
static const vg_behave_sig_t sig_slow = {
    VG_BEHAVE_GID, 1003, 1, 2, "VIGIL BEHAVE slow port scan", "attempted-recon",
    "Attempted Information Leak", "mitre_tactic_name Reconnaissance", VG_BEHAVE_TARGET_DST};
static const vg_behave_sig_t sig_invalid = {
    VG_BEHAVE_GID, 1004, 1, 2, "VIGIL BEHAVE port scan (stealth: TCP probes with invalid flags)",
    "attempted-recon", "Attempted Information Leak", "mitre_tactic_name Reconnaissance",
    VG_BEHAVE_TARGET_DST};

enum { TECH_SYN, TECH_FIN, TECH_NULL, TECH_XMAS, TECH_CONNECT, TECH_OTHER_TCP, TECH_UDP,
       TECH_ICMP, TECH_N };
static const char *const tech_names[TECH_N] = {"syn", "fin", "null", "xmas", "connect",
                                               "tcp", "udp", "icmp"};

#define A_VERT 1
#define A_HORIZ 2
#define A_SLOW 4
#define A_INVALID 8

typedef struct maj {
    uint64_t cand;
    uint32_t cnt;   /* Boyer-Moore counter */
    uint32_t hits;  /* exact probes to cand since it became the candidate */
} maj_t;

typedef struct scan_ent {
    vg_bent_t h;
    vg_time_t win_start, slow_start, first, last;
    vg_hll_t hosts, ports, pairs, slow_pairs;
    uint32_t probes, slow_probes;
    uint32_t invalid;        /* probes with invalid flags in this window */
    maj_t mhost, mport;
    vg_addr_t host_addr;     /* the address behind mhost.cand */
    uint32_t tech[TECH_N];
    uint8_t alerted, ip_ver, proto;
} scan_ent_t;

VG_BEHAVE_TABLE_STATE(scan_state, scan, scan_ent_t)

/* The probe technique, or -1 when the flow is a conversation. */
static int probe_kind(const vg_behave_cfg_t *cfg, const vg_behave_obs_t *o)
{
    if (o->proto == 6) {
        uint8_t c = o->tcp_flags[0];
        if (o->flags & VG_BOBS_HANDSHAKE) {
            /* connect(): handshake, no data, the client resets */
            if ((c & 0x04) && o->pkts[0] <= 3 && o->pkts[1] <= 2 && !(c & 0x08))
                return TECH_CONNECT;
            return -1;
        }
        if (o->pkts[0] == 0 || o->pkts[0] > 4)
            return -1;   /* a retrying client or a flow we joined late, not a probe */
        if (o->tcp_flags[1] & 0x09)
            return -1;   /* the server sent FIN or PSH: a conversation joined late (a probed
                          * port answers with SYN-ACK or RST only) */
        if ((c & 0x3f) == 0)
            return TECH_NULL;
        if (c & 0x02)
            return (c & 0x10) ? -1 : TECH_SYN; /* a SYN-ACK answers (or is reflected) */
        if ((c & 0x29) == 0x29)
            return TECH_XMAS;
        if (c & 0x01)
            return TECH_FIN;
        return -1;   /* a lone ACK or RST: a reply or a late packet, not a probe */
    }
    if (o->proto == 17) {
        /* a datagram from a service port to a high port is an answer (or a reflected one: the
         * flood detector's), not a probe */
        if ((o->sp < 1024 || vg_behave_port_in(cfg->amp_ports, cfg->n_amp_ports, o->sp)) &&
            o->dp >= 1024)
            return -1;
        return (o->pkts[1] == 0 && o->pkts[0] <= 3) ? TECH_UDP : -1;
    }
    if (o->proto == 1 || o->proto == 58) {
        bool echo = o->proto == 1 ? o->icmp_type == 8 : o->icmp_type == 128;
        return echo && o->pkts[0] <= 3 ? TECH_ICMP : -1;
    }
    return -1;
}

/* A TCP probe no stack sends: its client never set ACK, yet set FIN (FIN, Xmas, SYN+FIN,
 * SYN+FIN+PSH+URG probes) or set no flag at all (NULL). The flags are the OR over the client's
 * packets; any FIN before an ACK is already invalid, so the OR loses nothing that matters. */
static bool invalid_flags(const vg_behave_obs_t *o)
{
    uint8_t c = o->tcp_flags[0];
    return o->proto == 6 && !(o->flags & VG_BOBS_HANDSHAKE) && !(c & 0x10) &&
           ((c & 0x01) || (c & 0x3f) == 0);
}

static void maj_add(maj_t *m, uint64_t v)
{
    if (m->cnt && m->cand == v) {
        m->cnt++;
        m->hits++;
    } else if (m->cnt == 0) {
        m->cand = v;
        m->cnt = 1;
        m->hits = 1;
    } else {
        m->cnt--;
    }
}

static uint64_t addr_hash(const vg_addr_t *a) { return vg_hash_bytes(a->b, 16, 0x686f7374); }

static int top_tech(const scan_ent_t *e)
{
    int best = 0;
    for (int i = 1; i < TECH_N; i++)
        if (e->tech[i] > e->tech[best])
            best = i;
    return best;
}

static void fire(vg_behave_t *b, scan_ent_t *e, const vg_behave_sig_t *sig, const char *kind,
                 const vg_behave_obs_t *o, uint32_t hosts, uint32_t ports, uint32_t pairs,
                 uint32_t probes, vg_time_t since)
{
    vg_jw_t *w = vg_behave_detail_begin(b, "scan");
    vg_jw_kv_str(w, "kind", kind);
    vg_jw_kv_str(w, "technique", tech_names[top_tech(e)]);
    vg_jw_kv_uint(w, "probes", probes);
    vg_jw_kv_uint(w, "hosts", hosts);
    vg_jw_kv_uint(w, "ports", ports);
    vg_jw_kv_uint(w, "targets", pairs);
    if (e->invalid)
        vg_jw_kv_uint(w, "invalid_flags", e->invalid);
    double span = vg_behave_secs(o->ts > since ? o->ts - since : 0);
    vg_jw_key(w, "seconds");
    vg_jw_double(w, span);
    vg_jw_key(w, "rate");
    vg_jw_double(w, span > 0 ? probes / span : (double)probes);
    if (e->mport.hits)
        vg_jw_kv_uint(w, "top_port", e->mport.cand);
    /* the alert's dest: the most probed host; its port the most probed port */
    const vg_addr_t *dst = e->mhost.hits ? &e->host_addr : &o->dst;
    uint16_t dp = e->proto == 6 || e->proto == 17 ? (uint16_t)e->mport.cand : 0;
    bool verified = top_tech(e) == TECH_CONNECT;
    vg_behave_raise(b, BC_ALERTS_SCAN, sig, o->ts, &o->src, dst, o->ip_ver, o->sp, dp, o->proto,
                    verified);
}

static void make_key(uint8_t key[18], const vg_behave_obs_t *o)
{
    memcpy(key, o->src.b, 16);
    key[16] = o->proto == 58 ? 1 : o->proto;
    key[17] = o->ip_ver;
}

void scan_prefetch(struct scan_state *s, const vg_behave_obs_t *o)
{
    uint8_t key[18];
    make_key(key, o);
    vg_btab_prefetch(&s->t, key, sizeof key);
}

void scan_observe(vg_behave_t *b, struct scan_state *s, const vg_behave_obs_t *o,
                  const char *names)
{
    (void)names;
    int tech = probe_kind(&b->cfg, o);
    if (tech < 0 || vg_behave_not_unicast(&o->dst, o->ip_ver))
        return;
    const vg_behave_cfg_t *c = &b->cfg;
    uint8_t key[18];
    make_key(key, o);
    if (!vg_btab_admit(&s->t, key, sizeof key))
        return; /* first probe seen of this source: remembered, not yet counted */
    bool created;
    scan_ent_t *e = vg_btab_get(&s->t, key, sizeof key, o->ts, &created);
    vg_time_t win = (vg_time_t)c->scan_window * VG_USEC_PER_SEC;
    vg_time_t slow = (vg_time_t)c->scan_slow_window * VG_USEC_PER_SEC;
    if (created || o->ts > e->last + win) {
        /* a new episode */
        vg_time_t keep = created ? 0 : e->slow_start;
        bool slow_live = !created && o->ts <= keep + slow;
        uint8_t slow_alerted = slow_live ? (e->alerted & A_SLOW) : 0;
        vg_hll_t sp;
        uint32_t sprobes = 0;
        if (slow_live) {
            sp = e->slow_pairs;
            sprobes = e->slow_probes;
        }
        memset((uint8_t *)e + sizeof(vg_bent_t), 0, sizeof *e - sizeof(vg_bent_t));
        e->win_start = e->first = o->ts;
        e->slow_start = slow_live ? keep : o->ts;
        if (slow_live) {
            e->slow_pairs = sp;
            e->slow_probes = sprobes;
        }
        e->alerted = slow_alerted;
        e->ip_ver = o->ip_ver;
        e->proto = o->proto;
    } else if (o->ts > e->win_start + win) {
        /* same episode, next window */
        vg_hll_clear(&e->hosts);
        vg_hll_clear(&e->ports);
        vg_hll_clear(&e->pairs);
        e->probes = 0;
        e->invalid = 0;
        memset(&e->mhost, 0, sizeof e->mhost);
        memset(&e->mport, 0, sizeof e->mport);
        e->win_start = o->ts;
    }
    if (o->ts > e->slow_start + slow) {
        vg_hll_clear(&e->slow_pairs);
        e->slow_probes = 0;
        e->slow_start = o->ts;
        e->alerted &= (uint8_t)~A_SLOW;
    }
    if (o->ts > e->last)
        e->last = o->ts;
    uint64_t hh = addr_hash(&o->dst);
    uint16_t port = (o->proto == 6 || o->proto == 17) ? o->dp : 0;
    uint64_t ph = vg_hash_mix64(port + 0x706f7274ull);
    uint64_t pair = vg_hash_mix64(hh ^ ph * 31);
    vg_hll_add(&e->hosts, hh);
    vg_hll_add(&e->ports, ph);
    vg_hll_add(&e->pairs, pair);
    vg_hll_add(&e->slow_pairs, pair);
    e->probes++;
    e->slow_probes++;
    e->tech[tech]++;
    bool inv = invalid_flags(o);
    e->invalid += inv;
    uint64_t prev = e->mhost.cand;
    maj_add(&e->mhost, hh);
    if (e->mhost.cand != prev || e->mhost.hits == 1)
        e->host_addr = o->dst;
    maj_add(&e->mport, port);

    /* distinct counts never exceed the probes: only estimate when a threshold is reachable */
    bool ports_apply = o->proto == 6 || o->proto == 17;
    bool need_v = ports_apply && !(e->alerted & A_VERT) && e->probes >= c->scan_ports;
    bool need_h = !(e->alerted & A_HORIZ) && e->probes >= c->scan_hosts;
    bool need_s = !(e->alerted & (A_SLOW | A_VERT | A_HORIZ)) && c->scan_slow_targets &&
                  e->slow_probes >= c->scan_slow_targets;
    if (inv && !(e->alerted & A_INVALID) && c->scan_invalid && e->invalid >= c->scan_invalid) {
        e->alerted |= A_INVALID;
        fire(b, e, &sig_invalid, "invalid_flags", o, vg_hll_count(&e->hosts),
             vg_hll_count(&e->ports), vg_hll_count(&e->pairs), e->probes, e->win_start);
    }
    if (!need_v && !need_h && !need_s)
        return;
    uint32_t hosts = vg_hll_count(&e->hosts), ports = vg_hll_count(&e->ports);
    uint32_t pairs = vg_hll_count(&e->pairs);
    if (ports_apply && !(e->alerted & A_VERT) && ports >= c->scan_ports &&
        e->mhost.hits * 2 >= e->probes) {
        e->alerted |= A_VERT;
        fire(b, e, &sig_vertical, "vertical", o, hosts, ports, pairs, e->probes, e->win_start);
    }
    if (!(e->alerted & A_HORIZ) && hosts >= c->scan_hosts &&
        (!ports_apply || e->mport.hits * 2 >= e->probes)) {
        e->alerted |= A_HORIZ;
        fire(b, e, &sig_horizontal, "horizontal", o, hosts, ports, pairs, e->probes,
             e->win_start);
    }
    if (!(e->alerted & (A_SLOW | A_VERT | A_HORIZ)) && c->scan_slow_targets &&
        vg_hll_count(&e->slow_pairs) >= c->scan_slow_targets) {
        e->alerted |= A_SLOW;
        fire(b, e, &sig_slow, "slow", o, hosts, ports, vg_hll_count(&e->slow_pairs),
             e->slow_probes, e->slow_start);
    }
}

void scan_finish(vg_behave_t *b, struct scan_state *s)
{
    (void)b;
    (void)s;
}
