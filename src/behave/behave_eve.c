/* behave_eve.c — a behavioural alert as a normal EVE alert: the same writer as signature alerts
 * (output/eve_alert.c) on a header-only packet, the attribution stage's "vigil" object, and the
 * detector's numbers in an extra "behave" object. */
#include "behave/behave_int.h"
#include "attrib/attrib.h"
#include "detect/rule.h"
#include "output/output.h"

static void make_rule(vg_rule_t *r, const vg_behave_sig_t *s)
{
    memset(r, 0, sizeof *r);
    r->gid = s->gid;
    r->sid = s->sid;
    r->rev = s->rev;
    r->priority = s->priority;
    r->msg = s->msg;
    r->classtype = s->classtype;
    r->class_desc = s->class_desc;
    r->metadata = s->metadata;
    r->flags = s->target == VG_BEHAVE_TARGET_SRC   ? VG_RULE_TARGET_SRC
               : s->target == VG_BEHAVE_TARGET_DST ? VG_RULE_TARGET_DST
                                                   : 0;
}

static void make_packet(vg_packet_t *p, const vg_behave_alert_t *a, uint8_t *l4)
{
    memset(p, 0, sizeof *p);
    p->ts = a->ts;
    p->ip_ver = a->ip_ver;
    p->proto = a->proto;
    p->src = a->src;
    p->dst = a->dst;
    p->sp = a->sp;
    p->dp = a->dp;
    p->l4 = l4; /* ports are written when there is an L4 header */
}

void vg_behave_eve_alert(vg_jw_t *w, const struct vg_eve_opts *o, const vg_behave_alert_t *a,
                         const struct vg_attrib *attrib, struct vg_attrib_ctx *actx)
{
    vg_rule_t r;
    make_rule(&r, a->sig);
    vg_packet_t p;
    uint8_t l4[8] = {0};
    make_packet(&p, a, l4);
    vg_eve_alert_t ea = {
        .rule = &r, .pkt = &p, .ts = a->ts, .extra_key = "behave", .extra_json = a->detail,
        .extra_len = a->detail_len,
    };
    vg_attrib_result_t ar;
    if (attrib && actx) {
        vg_attrib_input_t in;
        memset(&in, 0, sizeof in);
        in.src = a->src;
        in.dst = a->dst;
        in.sp = a->sp;
        in.dp = a->dp;
        in.ip_ver = a->ip_ver;
        in.proto = a->proto;
        in.src_is_client = 1;
        in.handshake_complete = a->verified && a->proto == 6;
        vg_attrib_alert_fields(actx, &in, r.msg, r.classtype, r.metadata,
                               r.flags & (VG_RULE_TARGET_SRC | VG_RULE_TARGET_DST), &ar);
        ea.attrib = attrib;
        ea.attrib_res = &ar;
    }
    vg_eve_alert(w, o, &ea);
}

void vg_behave_fast_alert(vg_buf_t *b, const vg_behave_alert_t *a)
{
    vg_rule_t r;
    make_rule(&r, a->sig);
    vg_packet_t p;
    uint8_t l4[8] = {0};
    make_packet(&p, a, l4);
    vg_eve_alert_t ea = {.rule = &r, .pkt = &p, .ts = a->ts};
    vg_fast_alert(b, &ea);
}
