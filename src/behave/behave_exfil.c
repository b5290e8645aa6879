/* behave_exfil.c — bulk exfiltration: an internal host sending far more than it receives to one
 * external endpoint.
 *
 * Per (internal host, external host), whoever opened the flows, over behave.exfil.window
 * seconds: bytes the internal host sent and received (from flow summaries, so a flow counts when
 * it ends). sid 6001 fires once per episode when the internal host sent at least exfil.bytes
 * and at least exfil.ratio times what it received. The external receiver is the attacker (the
 * attribution stage's exfiltration role), the internal sender the victim.
 */
#include "behave/behave_int.h"

#include <stdlib.h>

static const vg_behave_sig_t sig_exfil = {
    VG_BEHAVE_GID, 6001, 1, 2, "VIGIL BEHAVE bulk data exfiltration to an external host",
    "policy-violation", "Potential Corporate Privacy Violation",
    "mitre_tactic_name Exfiltration", VG_BEHAVE_TARGET_NONE};

typedef struct exfil_ent {
    vg_bent_t h;
    vg_time_t win_start, last;
    uint64_t out, in, flows;
    uint16_t port;
    uint8_t alerted;
} exfil_ent_t;

VG_BEHAVE_TABLE_STATE(exfil_state, exfil, exfil_ent_t)

void exfil_observe(vg_behave_t *b, struct exfil_state *s, const vg_behave_obs_t *o,
                   const char *names)
{
    (void)names;
    const vg_behave_cfg_t *c = &b->cfg;
    if (!c->exfil_bytes || (o->proto == 6 && !(o->flags & VG_BOBS_HANDSHAKE)))
        return;
    bool src_home = vg_behave_is_home(b, &o->src, o->ip_ver);
    bool dst_home = vg_behave_is_home(b, &o->dst, o->ip_ver);
    if (src_home == dst_home)
        return;
    const vg_addr_t *in_a = src_home ? &o->src : &o->dst, *ex_a = src_home ? &o->dst : &o->src;
    uint64_t sent = src_home ? o->bytes[0] : o->bytes[1];
    uint64_t recv = src_home ? o->bytes[1] : o->bytes[0];
    uint8_t key[33];
    memcpy(key, in_a->b, 16);
    memcpy(key + 16, ex_a->b, 16);
    key[32] = o->ip_ver;
    /* a pair whose first flow is small waits for a second one before it takes an entry */
    if (sent < c->exfil_bytes / 64 && !vg_btab_admit(&s->t, key, sizeof key))
        return;
    bool created;
    exfil_ent_t *e = vg_btab_get(&s->t, key, sizeof key, o->ts, &created);
    vg_time_t win = (vg_time_t)c->exfil_window * VG_USEC_PER_SEC;
    bool restarted;
    VG_BEHAVE_ROLL_WINDOW(e, o->ts, win, created, restarted);
    (void)restarted;
    if (o->last > e->last)
        e->last = o->last;
    e->out += sent;
    e->in += recv;
    e->flows++;
    e->port = src_home ? o->dp : o->sp;
    if (e->alerted || e->out < c->exfil_bytes || e->out < (uint64_t)c->exfil_ratio * e->in)
        return;
    e->alerted = 1;
    vg_jw_t *w = vg_behave_detail_begin(b, "exfil");
    vg_jw_kv_uint(w, "bytes_out", e->out);
    vg_jw_kv_uint(w, "bytes_in", e->in);
    vg_jw_kv_uint(w, "flows", e->flows);
    double span = vg_behave_secs(e->last > e->win_start ? e->last - e->win_start : 0);
    vg_jw_key(w, "seconds");
    vg_jw_double(w, span);
    vg_jw_key(w, "rate");
    vg_jw_double(w, span > 0 ? (double)e->out / span : (double)e->out);
    /* src: the internal sender, dest: the external receiver */
    bool tcp = o->proto == 6;
    vg_behave_raise(b, BC_ALERTS_EXFIL, &sig_exfil, o->ts, in_a, ex_a, o->ip_ver,
                    src_home ? o->sp : o->dp, e->port, o->proto, tcp);
}

void exfil_finish(vg_behave_t *b, struct exfil_state *s)
{
    (void)b;
    (void)s;
}
