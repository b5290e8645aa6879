/* behave_brute.c — password guessing.
 *
 * sid 2001: per (client, server, port) of an authentication service (behave.brute-force.ports),
 * the TCP sessions with a completed handshake that lasted at most brute-force.max-session
 * seconds; brute-force.attempts of them within brute-force.window seconds is a brute-force
 * episode. A login that succeeds tends to stay; a guessing tool opens one short session per
 * few guesses.
 * sid 2002: per (client, server, port), HTTP responses 401/403; brute-force.http-failures of them
 * within the window.
 * Once per episode; an episode ends after a quiet window. Both come from completed handshakes,
 * so the client address is verified.
 */
#include "behave/behave_int.h"

#include <stdlib.h>

static const vg_behave_sig_t sig_sessions = {
    VG_BEHAVE_GID, 2001, 1, 2, "VIGIL BEHAVE brute force (many short sessions to an "
    "authentication service)", "suspicious-login",
    "An attempted login using a suspicious username was detected",
    "mitre_tactic_name Credential_Access", VG_BEHAVE_TARGET_DST};
static const vg_behave_sig_t sig_http = {
    VG_BEHAVE_GID, 2002, 1, 2, "VIGIL BEHAVE brute force (burst of HTTP 401/403 responses)",
    "suspicious-login", "An attempted login using a suspicious username was detected",
    "mitre_tactic_name Credential_Access", VG_BEHAVE_TARGET_DST};

typedef struct brute_ent {
    vg_bent_t h;
    vg_time_t win_start, first, last;
    uint32_t attempts, episode_attempts;
    uint64_t bytes_to_server;
    uint8_t alerted;
} brute_ent_t;

VG_BEHAVE_TABLE_STATE(brute_state, brute, brute_ent_t)

void brute_observe(vg_behave_t *b, struct brute_state *s, const vg_behave_obs_t *o,
                   const char *names)
{
    (void)names;
    const vg_behave_cfg_t *c = &b->cfg;
    bool http = o->kind == VG_BOBS_HTTP;
    if (http) {
        if (o->code != 401 && o->code != 403)
            return;
    } else {
        if (o->proto != 6 || !(o->flags & VG_BOBS_HANDSHAKE) ||
            !vg_behave_port_in(c->brute_ports, c->n_brute_ports, o->dp))
            return;
        if (o->last - o->ts > (vg_time_t)c->brute_max_session * VG_USEC_PER_SEC)
            return;
    }
    uint8_t key[37];
    memcpy(key, o->src.b, 16);
    memcpy(key + 16, o->dst.b, 16);
    key[32] = (uint8_t)(o->dp >> 8);
    key[33] = (uint8_t)o->dp;
    key[34] = o->ip_ver;
    key[35] = http;
    key[36] = 0;
    bool created;
    brute_ent_t *e = vg_btab_get(&s->t, key, sizeof key, o->ts, &created);
    vg_time_t win = (vg_time_t)c->brute_window * VG_USEC_PER_SEC;
    if (created || o->ts > e->last + win) {
        memset((uint8_t *)e + sizeof(vg_bent_t), 0, sizeof *e - sizeof(vg_bent_t));
        e->win_start = e->first = o->ts;
    } else if (o->ts > e->win_start + win) {
        e->attempts = 0;
        e->win_start = o->ts;
    }
    if (o->ts > e->last)
        e->last = o->ts;
    e->attempts++;
    e->episode_attempts++;
    e->bytes_to_server += o->bytes[0];
    uint32_t need = http ? c->brute_http_failures : c->brute_attempts;
    if (e->alerted || !need || e->attempts < need)
        return;
    e->alerted = 1;
    vg_jw_t *w = vg_behave_detail_begin(b, "brute_force");
    vg_jw_kv_str(w, "kind", http ? "http_auth_failures" : "sessions");
    vg_jw_kv_uint(w, "attempts", e->attempts);
    vg_jw_kv_uint(w, "service_port", o->dp);
    double span = vg_behave_secs(o->ts > e->win_start ? o->ts - e->win_start : 0);
    vg_jw_key(w, "seconds");
    vg_jw_double(w, span);
    vg_jw_key(w, "rate");
    vg_jw_double(w, span > 0 ? e->attempts / span : (double)e->attempts);
    if (!http) {
        vg_jw_kv_uint(w, "bytes_toserver", e->bytes_to_server);
    } else {
        vg_jw_kv_uint(w, "last_status", o->code);
    }
    vg_behave_raise(b, BC_ALERTS_BRUTE, http ? &sig_http : &sig_sessions, o->ts, &o->src, &o->dst,
                    o->ip_ver, o->sp, o->dp, 6, true);
}

void brute_finish(vg_behave_t *b, struct brute_state *s)
{
    (void)b;
    (void)s;
}
