/* behave_flood.c — floods and reflection towards one victim.
 *
 * Per (victim, class) over behave.flood.window seconds, from flows the victim did not take part
 * in as a peer:
 *   SYN flood  (sid 3001): TCP flows without a completed handshake whose client sent a SYN;
 *   UDP flood  (sid 3002): UDP flows the victim answered with less than a tenth of the packets;
 *   ICMP flood (sid 3003): ICMP flows the victim never answered;
 *   reflection (sid 3004): unanswered UDP from an amplification port (DNS, NTP, memcached,
 *                          SSDP, CLDAP, ... behave.flood.amplification-ports) or unsolicited TCP
 *                          SYN-ACKs (TCP reflection).
 * An episode fires when the window holds at least flood.min-packets packets at a rate of at
 * least flood.pps (packets over the time they span), or, for reflection, at least
 * flood.amplification-bytes bytes, or 500 unsolicited responses from at least
 * flood.amplification-sources distinct reflectors (a low-rate reflection seen at the victim). Sources of floods are spoofable: the alert names the most
 * frequent source (or the last one when none dominates) and counts the distinct sources.
 */
#include "behave/behave_int.h"
#include "common/hash.h"

#include <stdlib.h>

enum { FL_SYN, FL_UDP, FL_ICMP, FL_REFLECT, FL_N };
static const char *const class_names[FL_N] = {"syn", "udp", "icmp", "reflection"};

#define FSIG(sid, msg)                                                                            \
    {VG_BEHAVE_GID, sid, 1, 2, msg, "attempted-dos", "Attempted Denial of Service",                \
     "mitre_tactic_name Impact", VG_BEHAVE_TARGET_DST}
static const vg_behave_sig_t sigs[FL_N] = {
    FSIG(3001, "VIGIL BEHAVE SYN flood"),
    FSIG(3002, "VIGIL BEHAVE UDP flood"),
    FSIG(3003, "VIGIL BEHAVE ICMP flood"),
    FSIG(3004, "VIGIL BEHAVE reflection/amplification flood"),
};

typedef struct flood_ent {
    vg_bent_t h;
    vg_time_t win_start, win_first, win_last, last;
    uint64_t pkts, bytes, flows;
    vg_hll_t sources;
    uint64_t cand;
    uint32_t cnt, hits;
    vg_addr_t cand_addr, last_addr;
    uint16_t cand_port, last_port, top_sport;
    uint8_t alerted;
} flood_ent_t;

VG_BEHAVE_TABLE_STATE(flood_state, flood, flood_ent_t)

static int flood_class(const vg_behave_cfg_t *c, const vg_behave_obs_t *o)
{
    if (o->proto == 6) {
        if (o->flags & VG_BOBS_HANDSHAKE)
            return -1;
        uint8_t f = o->tcp_flags[0];
        if ((f & 0x12) == 0x12)
            return FL_REFLECT;
        return (f & 0x02) ? FL_SYN : -1;
    }
    if (o->proto == 17) {
        if (o->pkts[1] * 10 > o->pkts[0])
            return -1;
        if (o->pkts[1] == 0 && vg_behave_port_in(c->amp_ports, c->n_amp_ports, o->sp))
            return FL_REFLECT;
        return FL_UDP;
    }
    if (o->proto == 1 || o->proto == 58)
        return o->pkts[1] == 0 ? FL_ICMP : -1;
    return -1;
}

static void make_key(uint8_t key[18], const vg_behave_obs_t *o, int cl)
{
    memcpy(key, o->dst.b, 16);
    key[16] = (uint8_t)cl;
    key[17] = o->ip_ver;
}

void flood_prefetch(vg_behave_t *b, struct flood_state *s, const vg_behave_obs_t *o)
{
    int cl = flood_class(&b->cfg, o);
    if (cl < 0)
        return;
    uint8_t key[18];
    make_key(key, o, cl);
    vg_btab_prefetch(&s->t, key, sizeof key);
}

void flood_observe(vg_behave_t *b, struct flood_state *s, const vg_behave_obs_t *o,
                   const char *names)
{
    (void)names;
    const vg_behave_cfg_t *c = &b->cfg;
    int cl = flood_class(c, o);
    if (cl < 0)
        return;
    uint8_t key[18];
    make_key(key, o, cl);
    /* a victim of one flow is no flood: its first flow only marks it (a flood is counted from
     * its second flow on; its first flow's packets are added below once admitted) */
    if (o->pkts[0] < c->flood_min_packets / 4 && !vg_btab_admit(&s->t, key, sizeof key))
        return;
    bool created;
    flood_ent_t *e = vg_btab_get(&s->t, key, sizeof key, o->ts, &created);
    vg_time_t win = (vg_time_t)c->flood_window * VG_USEC_PER_SEC;
    bool restarted;
    VG_BEHAVE_ROLL_WINDOW(e, o->ts, win, created, restarted);
    if (restarted) {
        e->win_first = o->ts;
    }
    if (o->ts > e->last)
        e->last = o->ts;
    if (o->ts < e->win_first)
        e->win_first = o->ts;
    if (o->last > e->win_last)
        e->win_last = o->last;
    e->pkts += o->pkts[0];
    e->bytes += o->bytes[0];
    e->flows++;
    uint64_t sh = vg_hash_bytes(o->src.b, 16, 0x73726321);
    vg_hll_add(&e->sources, sh);
    if (e->cnt && e->cand == sh) {
        e->cnt++;
        e->hits++;
    } else if (e->cnt == 0) {
        e->cand = sh;
        e->cnt = e->hits = 1;
        e->cand_addr = o->src;
        e->cand_port = o->sp;
    } else {
        e->cnt--;
    }
    e->last_addr = o->src;
    e->last_port = o->sp;
    if (e->alerted)
        return;
    vg_time_t span_us = e->win_last > e->win_first ? e->win_last - e->win_first : 0;
    double span = vg_behave_secs(span_us);
    double rate = (double)e->pkts / (span > 1.0 ? span : 1.0);
    bool by_rate = c->flood_min_packets && e->pkts >= c->flood_min_packets && rate >= c->flood_pps;
    bool by_bytes = cl == FL_REFLECT && c->flood_amp_bytes && e->bytes >= c->flood_amp_bytes;
    /* many reflectors answering questions the victim never asked, even at a low rate */
    uint32_t sources = 0;
    bool by_sources = false;
    if (cl == FL_REFLECT && c->flood_amp_sources && e->pkts >= 500) {
        sources = vg_hll_count(&e->sources);
        by_sources = sources >= c->flood_amp_sources;
    }
    if (!by_rate && !by_bytes && !by_sources)
        return;
    e->alerted = 1;
    if (!sources)
        sources = vg_hll_count(&e->sources);
    bool dominant = e->hits * 2 >= e->flows;
    const vg_addr_t *src = dominant ? &e->cand_addr : &e->last_addr;
    uint16_t sp = dominant ? e->cand_port : e->last_port;
    vg_jw_t *w = vg_behave_detail_begin(b, "flood");
    vg_jw_kv_str(w, "kind", class_names[cl]);
    vg_jw_kv_uint(w, "packets", e->pkts);
    vg_jw_kv_uint(w, "bytes", e->bytes);
    vg_jw_kv_uint(w, "flows", e->flows);
    vg_jw_kv_uint(w, "sources", sources);
    vg_jw_key(w, "seconds");
    vg_jw_double(w, span);
    vg_jw_key(w, "rate");
    vg_jw_double(w, rate);
    vg_jw_kv_bool(w, "source_dominant", dominant);
    vg_jw_kv_bool(w, "spoofable", true);
    vg_behave_raise(b, BC_ALERTS_FLOOD, &sigs[cl], o->ts, src, &o->dst, o->ip_ver, sp, o->dp,
                    o->proto, false);
}

void flood_finish(vg_behave_t *b, struct flood_state *s)
{
    (void)b;
    (void)s;
}
