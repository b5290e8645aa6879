/* behave_beacon.c — an internal host calling the same external endpoint at regular intervals.
 *
 * Per (internal client, external server, server port, protocol) the detector keeps the start
 * times of the last 16 flows (sorted; starts less than a second apart count once, as one call
 * often opens several connections). With at least beacon.min-count calls whose intervals have a
 * mean between beacon.min-period and beacon.max-period seconds and a standard deviation of at
 * most beacon.max-jitter percent of the mean, it raises sid 4001 with the period and the jitter,
 * once per endpoint while the endpoint stays in the table. Ports where periodic traffic is the
 * norm (DNS, NTP, DHCP, NetBIOS, mDNS: behave.beacon.ignore-ports) are left out.
 */
#include "behave/behave_int.h"

#include <math.h>
#include <stdlib.h>

#define BEACON_KEEP 16

static const vg_behave_sig_t sig_beacon = {
    VG_BEHAVE_GID, 4001, 1, 2, "VIGIL BEHAVE periodic beaconing to an external host",
    "command-and-control", "Malware Command and Control Activity Detected",
    "mitre_tactic_name Command_And_Control", VG_BEHAVE_TARGET_NONE};

typedef struct beacon_ent {
    vg_bent_t h;
    vg_time_t t[BEACON_KEEP];
    uint32_t n, calls;
    uint64_t bytes;
    uint8_t alerted;
} beacon_ent_t;

VG_BEHAVE_TABLE_STATE(beacon_state, beacon, beacon_ent_t)

/* Inserts t in sorted order; false when it is within a second of a kept time. */
static bool insert(beacon_ent_t *e, vg_time_t t)
{
    uint32_t i = e->n;
    while (i > 0 && e->t[i - 1] > t)
        i--;
    if ((i > 0 && t - e->t[i - 1] < VG_USEC_PER_SEC) ||
        (i < e->n && e->t[i] - t < VG_USEC_PER_SEC))
        return false;
    if (e->n == BEACON_KEEP) {
        if (i == 0)
            return false; /* older than everything kept */
        memmove(&e->t[0], &e->t[1], (i - 1) * sizeof e->t[0]);
        e->t[i - 1] = t;
        return true;
    }
    memmove(&e->t[i + 1], &e->t[i], (e->n - i) * sizeof e->t[0]);
    e->t[i] = t;
    e->n++;
    return true;
}

void beacon_observe(vg_behave_t *b, struct beacon_state *s, const vg_behave_obs_t *o,
                    const char *names)
{
    (void)names;
    const vg_behave_cfg_t *c = &b->cfg;
    if ((o->proto != 6 && o->proto != 17) ||
        vg_behave_port_in(c->beacon_ignore_ports, c->n_beacon_ignore_ports, o->dp) ||
        vg_behave_port_in(c->beacon_ignore_ports, c->n_beacon_ignore_ports, o->sp))
        return;
    if (o->proto == 6 && !(o->flags & VG_BOBS_HANDSHAKE))
        return; /* unanswered attempts are the scan detector's */
    if (vg_behave_not_unicast(&o->dst, o->ip_ver) || !vg_behave_is_home(b, &o->src, o->ip_ver) ||
        vg_behave_is_home(b, &o->dst, o->ip_ver))
        return;
    uint8_t key[36];
    memcpy(key, o->src.b, 16);
    memcpy(key + 16, o->dst.b, 16);
    key[32] = (uint8_t)(o->dp >> 8);
    key[33] = (uint8_t)o->dp;
    key[34] = o->proto;
    key[35] = o->ip_ver;
    if (!vg_btab_admit(&s->t, key, sizeof key))
        return; /* an endpoint called once takes no entry (its first call is not timed) */
    bool created;
    beacon_ent_t *e = vg_btab_get(&s->t, key, sizeof key, o->ts, &created);
    e->calls++;
    e->bytes += o->bytes[0] + o->bytes[1];
    if (!insert(e, o->ts) || e->alerted || e->n < c->beacon_min_count)
        return;
    double sum = 0, sq = 0;
    uint32_t k = e->n - 1;
    for (uint32_t i = 1; i < e->n; i++) {
        double d = vg_behave_secs(e->t[i] - e->t[i - 1]);
        sum += d;
        sq += d * d;
    }
    double mean = sum / k, var = sq / k - mean * mean;
    double sd = var > 0 ? sqrt(var) : 0;
    if (mean < c->beacon_min_period || mean > c->beacon_max_period ||
        sd * 100.0 > mean * c->beacon_max_jitter_pct)
        return;
    e->alerted = 1;
    vg_jw_t *w = vg_behave_detail_begin(b, "beacon");
    vg_jw_key(w, "period");
    vg_jw_double(w, round(mean * 1000) / 1000);
    vg_jw_key(w, "jitter");
    vg_jw_double(w, round(sd / mean * 1000) / 1000);
    vg_jw_kv_uint(w, "calls", e->calls);
    vg_jw_kv_uint(w, "intervals", k);
    vg_jw_kv_uint(w, "bytes", e->bytes);
    vg_behave_raise(b, BC_ALERTS_BEACON, &sig_beacon, o->ts, &o->src, &o->dst, o->ip_ver, o->sp,
                    o->dp, o->proto, o->proto == 6);
}

void beacon_finish(vg_behave_t *b, struct beacon_state *s)
{
    (void)b;
    (void)s;
}
