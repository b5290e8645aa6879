/* behave_icmpt.c — ICMP tunnels: echo traffic that carries data instead of pings.
 *
 * A ping's reply repeats its request's payload byte for byte (RFC 792, RFC 4443), and a ping
 * session keeps one payload size. Tunnels (ptunnel, icmptunnel, hans, icmpsh...) put their own
 * data in both directions, so replies do not echo the requests, and the request sizes follow
 * the data. The flow stage keeps, for each echo flow, how many replies echoed neither of the
 * last two requests and how often the request size changed (src/flow/flow.h); this detector
 * sums the flows that show either, per (client, server), over behave.icmp-tunnel.window seconds.
 * sid 5002 fires once per episode when the client sent at least icmp-tunnel.min-packets echo
 * requests and either at least icmp-tunnel.mismatches replies (and a quarter of the replies)
 * were not echoes, or the request size changed at least icmp-tunnel.size-changes times (and on
 * a quarter of the requests).
 *
 * Roles as for DNS tunnels (sid 5001): the client, whose data leaves through the tunnel, is the
 * victim; the echo responder, the tunnel's far end, the other side. ICMP has no handshake, so
 * the alert is never verified.
 *
 * Limits (docs/BEHAVE.md): a flow counts when it ends; a tunnel whose every request uses a new
 * echo id (one request per flow) shows no size changes and is seen only through mismatched
 * replies; a one-source ping flood with random sizes also matches the size rule.
 */
#include "behave/behave_int.h"

#include <stdlib.h>

static const vg_behave_sig_t sig_icmpt = {
    VG_BEHAVE_GID, 5002, 1, 2, "VIGIL BEHAVE ICMP tunnel (echo payloads not echoed or changing)",
    "command-and-control", "Malware Command and Control Activity Detected",
    "mitre_tactic_name Command_And_Control", VG_BEHAVE_TARGET_SRC};

typedef struct icmpt_ent {
    vg_bent_t h;
    vg_time_t win_start, last;
    uint64_t requests, replies, bytes_out, bytes_in;
    uint32_t mismatch, size_changes, flows;
    uint16_t id;
    uint8_t alerted;
} icmpt_ent_t;

VG_BEHAVE_TABLE_STATE(icmpt_state, icmpt, icmpt_ent_t)

static bool is_echo_request(const vg_behave_obs_t *o)
{
    return (o->proto == 1 && o->icmp_type == 8) || (o->proto == 58 && o->icmp_type == 128);
}

void icmpt_observe(vg_behave_t *b, struct icmpt_state *s, const vg_behave_obs_t *o,
                   const char *names)
{
    (void)names;
    const vg_behave_cfg_t *c = &b->cfg;
    /* ordinary pings never take an entry: only echo flows with a reply that was not an echo or
     * a request size change are summed */
    if (!is_echo_request(o) || (!o->echo_mismatch && !o->echo_size_changes))
        return;
    uint8_t key[33];
    memcpy(key, o->src.b, 16);
    memcpy(key + 16, o->dst.b, 16);
    key[32] = o->ip_ver;
    bool created;
    icmpt_ent_t *e = vg_btab_get(&s->t, key, sizeof key, o->ts, &created);
    vg_time_t win = (vg_time_t)c->icmpt_window * VG_USEC_PER_SEC;
    bool restarted;
    VG_BEHAVE_ROLL_WINDOW(e, o->ts, win, created, restarted);
    (void)restarted;
    if (o->last > e->last)
        e->last = o->last;
    e->requests += o->pkts[0];
    e->replies += o->pkts[1];
    e->bytes_out += o->bytes[0];
    e->bytes_in += o->bytes[1];
    e->mismatch += o->echo_mismatch;
    e->size_changes += o->echo_size_changes;
    e->flows++;
    e->id = o->icmp_id;
    if (e->alerted || e->requests < c->icmpt_min_packets)
        return;
    bool by_mismatch = c->icmpt_mismatches && e->mismatch >= c->icmpt_mismatches &&
                       (uint64_t)e->mismatch * 4 >= e->replies;
    bool by_size = c->icmpt_size_changes && e->size_changes >= c->icmpt_size_changes &&
                   (uint64_t)e->size_changes * 4 >= e->requests;
    if (!by_mismatch && !by_size)
        return;
    e->alerted = 1;
    vg_jw_t *w = vg_behave_detail_begin(b, "icmp_tunnel");
    vg_jw_kv_str(w, "kind", by_mismatch ? "not_echoed" : "size_changes");
    vg_jw_kv_uint(w, "requests", e->requests);
    vg_jw_kv_uint(w, "replies", e->replies);
    vg_jw_kv_uint(w, "not_echoed", e->mismatch);
    vg_jw_kv_uint(w, "size_changes", e->size_changes);
    vg_jw_kv_uint(w, "flows", e->flows);
    vg_jw_kv_uint(w, "bytes_out", e->bytes_out);
    vg_jw_kv_uint(w, "bytes_in", e->bytes_in);
    double span = vg_behave_secs(e->last > e->win_start ? e->last - e->win_start : 0);
    vg_jw_key(w, "seconds");
    vg_jw_double(w, span);
    vg_jw_kv_uint(w, "echo_id", e->id);
    vg_behave_raise(b, BC_ALERTS_ICMP_TUNNEL, &sig_icmpt, o->ts, &o->src, &o->dst, o->ip_ver, 0,
                    0, o->proto, false);
}

void icmpt_finish(vg_behave_t *b, struct icmpt_state *s)
{
    (void)b;
    (void)s;
}
