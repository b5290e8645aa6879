/* engine_behave.c — the engine's side of the behavioural detectors (src/behave): workers turn
 * flow ends, DNS queries and HTTP responses into observations and close an epoch at each tick;
 * the behave thread's alerts become event blocks on the output queue (it is one more producer of
 * the queue) and fast.log lines, and count in the run's alert total. */
#include "engine/engine_behave.h"
#include "behave/behave.h"
#include "common/log.h"

#include <stdlib.h>
#include <string.h>

struct engine_behave {
    run_t *r;
    vg_behave_t *b;
    vg_behave_pipe_t *pipe;
    vg_attrib_ctx_t *actx;
    evblock_t *cur;
    vg_jw_t jw;
    vg_buf_t fast;
    _Atomic uint64_t alerts;
};

static bool is_home(void *user, const vg_addr_t *a, int ip_ver)
{
    engine_behave_t *eb = user;
    return vg_attrib_is_home(eb->r->opts->attrib, a, ip_ver);
}

static void on_alert(void *user, const vg_behave_alert_t *a)
{
    engine_behave_t *eb = user;
    run_t *r = eb->r;
    if (!eb->cur)
        eb->cur = evq_get_free(&r->evq);
    vg_jw_init(&eb->jw, &eb->cur->buf);
    vg_behave_eve_alert(&eb->jw, &r->eve, a, r->opts->attrib, eb->actx);
    vg_buf_putc(&eb->cur->buf, '\n');
    eb->cur->n_events++;
    atomic_fetch_add_explicit(&eb->alerts, 1, memory_order_relaxed);
    /* alerts are rare: hand each block over at once so they are not held until the end */
    evq_submit(&r->evq, eb->cur);
    eb->cur = NULL;
    if (r->fast) {
        vg_buf_reset(&eb->fast);
        vg_behave_fast_alert(&eb->fast, a);
        pthread_mutex_lock(&r->fast_mu);
        fwrite(eb->fast.data, 1, eb->fast.len, r->fast);
        pthread_mutex_unlock(&r->fast_mu);
    }
}

static void on_done(void *user)
{
    engine_behave_t *eb = user;
    if (eb->cur) {
        evq_submit(&eb->r->evq, eb->cur);
        eb->cur = NULL;
    }
    evq_producer_done(&eb->r->evq);
}

int engine_behave_new(run_t *r, engine_behave_t **out, char *err, size_t err_len)
{
    *out = NULL;
    const vg_run_opts_t *o = r->opts;
    vg_behave_cfg_t c;
    if (vg_behave_cfg_load(&c, o->cfg, err, err_len) != 0)
        return -1;
    if (!c.enabled || o->stage != VG_STAGE_ALL)
        return 0;
    engine_behave_t *eb = vg_xcalloc(1, sizeof *eb);
    eb->r = r;
    eb->b = vg_behave_new(&c, on_alert, o->attrib ? is_home : NULL, eb);
    if (o->attrib)
        eb->actx = vg_attrib_ctx_new(o->attrib);
    vg_buf_init(&eb->fast, 256);
    *out = eb;
    return 0;
}

void engine_behave_start(engine_behave_t *eb, unsigned n_workers)
{
    eb->pipe = vg_behave_pipe_start(eb->b, n_workers, on_done, eb);
}

void engine_behave_join(engine_behave_t *eb)
{
    vg_behave_pipe_join(eb->pipe);
    eb->pipe = NULL;
}

void engine_behave_free(engine_behave_t *eb)
{
    if (!eb)
        return;
    vg_behave_free(eb->b);
    vg_attrib_ctx_free(eb->actx);
    vg_buf_fini(&eb->fast);
    free(eb);
}

uint64_t engine_behave_alerts(const engine_behave_t *eb)
{
    return eb ? atomic_load_explicit(&eb->alerts, memory_order_relaxed) : 0;
}

void engine_behave_stats(const engine_behave_t *eb, const stats_merge_t *sm, uint64_t *sum)
{
    if (!eb)
        return;
    const vg_stats_table_t *t = vg_behave_stats_table();
    uint64_t v[32];
    if (t->n > 32)
        return;
    vg_behave_stats_snapshot(eb->b, v);
    for (size_t i = 0; i < t->n; i++)
        sum[sm->map[SRC_BEHAVE][i]] += v[i];
}

/* --- worker side --- */

void engine_behave_flow(worker_t *w, const vg_flow_t *f)
{
    engine_behave_t *eb = w->run->behave;
    vg_behave_obs_t o;
    memset(&o, 0, sizeof o);
    const vg_tcp_session_t *s = f->tcp;
    bool hs = s && vg_stream_handshake_complete(s) && !vg_stream_is_midstream(s);
    /* the client's side: the stream stage's when a handshake proves it; an unanswered SYN-ACK
     * (TCP reflection) stays with its sender as the flow's source */
    int c = hs && vg_stream_is_reversed(s) ? 1 : 0;
    /* a one-sided flow seen only in the to-client direction (the flow table took a lone SYN-ACK
     * for an answer): its sender is the source */
    /* the flow's own packets: ICMP errors that joined it (f->icmp_errs) are answers about it,
     * not its traffic (a UDP probe answered by port-unreachable is still unanswered) */
    uint64_t own[2] = {f->pkts[0] - f->icmp_errs[0], f->pkts[1] - f->icmp_errs[1]};
    if (own[c] == 0 && own[1 - c] > 0)
        c = 1 - c;
    o.kind = VG_BOBS_FLOW;
    o.ts = f->start;
    o.last = f->last;
    o.src = f->addr[c];
    o.dst = f->addr[1 - c];
    o.sp = f->port[c];
    o.dp = f->port[1 - c];
    o.proto = f->proto;
    o.ip_ver = f->ip_ver;
    for (int i = 0; i < 2; i++) {
        int side = i == 0 ? c : 1 - c;
        o.pkts[i] = own[side];
        o.bytes[i] = f->bytes[side];
        o.tcp_flags[i] = f->tcp_flags[side];
    }
    o.icmp_type = f->icmp_type[c];
    o.icmp_id = f->icmp_id;
    o.echo_mismatch = f->echo_mismatch;
    o.echo_size_changes = f->echo_size_changes;
    if (hs)
        o.flags |= VG_BOBS_HANDSHAKE;
    vg_behave_pipe_add(eb->pipe, w->id, &o, NULL, 0);
}

void engine_behave_tx(worker_t *w, const vg_flow_t *f, const vg_app_ops_t *ops, void *tx,
                      vg_time_t ts)
{
    engine_behave_t *eb = w->run->behave;
    if (!ops->get_buffer || (ops->id != VG_APP_DNS && ops->id != VG_APP_HTTP))
        return;
    const vg_tcp_session_t *s = f->tcp;
    int c = s && vg_stream_is_reversed(s) ? 1 : 0;
    vg_behave_obs_t o;
    memset(&o, 0, sizeof o);
    o.ts = o.last = ts;
    o.src = f->addr[c];
    o.dst = f->addr[1 - c];
    o.sp = f->port[c];
    o.dp = f->port[1 - c];
    o.proto = f->proto;
    o.ip_ver = f->ip_ver;
    if (s && vg_stream_handshake_complete(s) && !vg_stream_is_midstream(s))
        o.flags |= VG_BOBS_HANDSHAKE;
    const uint8_t *d;
    size_t n;
    if (ops->id == VG_APP_DNS) {
        if (!ops->get_buffer(tx, VG_BUF_DNS_QUERY, &d, &n) || !n)
            return;
        o.kind = VG_BOBS_DNS;
        o.code = vg_app_dns_qtype(tx);
        vg_behave_pipe_add(eb->pipe, w->id, &o, (const char *)d, n);
        return;
    }
    if (!ops->get_buffer(tx, VG_BUF_HTTP_STAT_CODE, &d, &n) || n != 3)
        return;
    unsigned code = 0;
    for (size_t i = 0; i < 3; i++) {
        if (d[i] < '0' || d[i] > '9')
            return;
        code = code * 10 + (unsigned)(d[i] - '0');
    }
    if (code != 401 && code != 403)
        return; /* the only statuses a detector looks at */
    o.kind = VG_BOBS_HTTP;
    o.code = (uint16_t)code;
    vg_behave_pipe_add(eb->pipe, w->id, &o, NULL, 0);
}

void engine_behave_epoch(worker_t *w) { vg_behave_pipe_epoch(w->run->behave->pipe, w->id); }

void engine_behave_close(worker_t *w) { vg_behave_pipe_close(w->run->behave->pipe, w->id); }
