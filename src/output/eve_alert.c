/* eve_alert.c — the EVE "alert" event and its fast.log line, as Suricata writes them. */
#include "output/output.h"
#include "common/timefmt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* metadata: "key value, key value, ..." → {"key": ["value", ...], ...} with keys in first-seen
 * order, as Suricata groups them. */
static void write_metadata(vg_jw_t *w, const char *md)
{
    struct kv { const char *k; size_t kl; const char *v; size_t vl; } items[128];
    size_t n = 0;
    const char *p = md;
    while (*p && n < 128) {
        while (*p == ' ' || *p == ',')
            p++;
        const char *e = strchr(p, ',');
        if (!e)
            e = p + strlen(p);
        const char *sp = memchr(p, ' ', (size_t)(e - p));
        const char *ve = e;
        while (ve > p && ve[-1] == ' ')
            ve--;
        if (sp && sp < ve) {
            const char *v = sp;
            while (v < ve && *v == ' ')
                v++;
            items[n++] = (struct kv){p, (size_t)(sp - p), v, (size_t)(ve - v)};
        } else if (ve > p) {
            items[n++] = (struct kv){p, (size_t)(ve - p), "", 0};
        }
        p = e;
    }
    if (!n)
        return;
    vg_jw_key(w, "metadata");
    vg_jw_obj_open(w);
    bool done[128] = {false};
    char key[128];
    for (size_t i = 0; i < n; i++) {
        if (done[i])
            continue;
        size_t kl = items[i].kl < sizeof key - 1 ? items[i].kl : sizeof key - 1;
        memcpy(key, items[i].k, kl);
        key[kl] = '\0';
        vg_jw_keyn(w, key, kl); /* keys come from rule text */
        vg_jw_arr_open(w);
        for (size_t j = i; j < n; j++) {
            if (done[j] || items[j].kl != items[i].kl || memcmp(items[j].k, items[i].k, kl))
                continue;
            done[j] = true;
            vg_jw_strn(w, items[j].v, items[j].vl);
        }
        vg_jw_arr_close(w);
    }
    vg_jw_obj_close(w);
}

static void endpoint(vg_jw_t *w, const char *key, const vg_addr_t *a, int ip_ver, uint16_t port,
                     bool ports)
{
    char s[48];
    vg_jw_key(w, key);
    vg_jw_obj_open(w);
    size_t n = vg_addr_format(a, ip_ver, s);
    vg_jw_key(w, "ip");
    vg_jw_strn(w, s, n);
    if (ports)
        vg_jw_kv_uint(w, "port", port);
    vg_jw_obj_close(w);
}

/* Suricata 7's pkt_src: what made the packet the alert is on. Vigil decodes an encapsulated
 * packet in place where Suricata makes a pseudo packet per inner layer; both name the layer it
 * came out of. */
static const char *pkt_src(const vg_eve_alert_t *a)
{
    const vg_packet_t *p = a->pkt;
    if (!p) /* the flow-end inspection (or a transaction completed by it) */
        return "stream (flow timeout)";
    if (p->flags & VG_PKT_REASSEMBLED)
        return "defrag";
    switch (p->tunnel) {
    case VG_TUN_GRE: return "gre tunnel";
    case VG_TUN_VXLAN: return "vxlan encapsulation";
    case VG_TUN_GENEVE: return "geneve encapsulation";
    case VG_TUN_TEREDO: return "teredo tunnel";
    case VG_TUN_IPV4: return "ipv4 tunnel";
    case VG_TUN_IPV6: return "ipv6 tunnel";
    default: return "wire/pcap";
    }
}

/* "payload" (base64) and Suricata's "payload_printable": printable ASCII, CR and LF as they
 * are, any other byte '.'. */
static void put_payload(vg_jw_t *w, const vg_eve_opts_t *o, const uint8_t *d, size_t n)
{
    char *t = vg_xmalloc(4 * (n + 2) / 3 + 8);
    if (o->alert_payload) {
        vg_jw_key(w, "payload");
        vg_jw_strn(w, t, vg_base64(d, n, t));
    }
    if (o->alert_payload_printable) {
        for (size_t i = 0; i < n; i++)
            t[i] = (d[i] >= 0x20 && d[i] < 0x7f) || d[i] == '\n' || d[i] == '\r' ? (char)d[i] : '.';
        vg_jw_key(w, "payload_printable");
        vg_jw_strn(w, t, n);
    }
    free(t);
}

void vg_eve_alert(vg_jw_t *w, const vg_eve_opts_t *o, const vg_eve_alert_t *a)
{
    const vg_rule_t *r = a->rule;
    const vg_flow_t *f = a->flow;
    int dir = a->dir;
    /* an ICMP error that joined the TCP/UDP flow it quotes: its own header, the flow's id */
    const vg_packet_t *hp = a->pkt && (!f || a->pkt->proto != f->proto) ? a->pkt : NULL;
    if (hp) {
        vg_eve_begin_packet_in(w, o, "alert", hp, f, pkt_src(a));
    } else {
        vg_eve_begin_flow(w, o, "alert", a->ts, f, dir, a->pcap_cnt, NULL);
        const vg_packet_t *p = a->pkt;
        if (p && (p->proto == 1 || p->proto == 58) && !(p->flags & VG_PKT_INVALID)) {
            vg_jw_kv_uint(w, "icmp_type", p->icmp_type); /* the packet's, as Suricata */
            vg_jw_kv_uint(w, "icmp_code", p->icmp_code);
        }
        vg_jw_kv_str(w, "pkt_src", pkt_src(a));
    }
    if (a->has_tx)
        vg_jw_kv_uint(w, "tx_id", a->tx_id);
    vg_jw_key(w, "alert");
    vg_jw_obj_open(w);
    vg_jw_kv_str(w, "action", "allowed");
    vg_jw_kv_uint(w, "gid", r->gid);
    vg_jw_kv_uint(w, "signature_id", r->sid);
    vg_jw_kv_uint(w, "rev", r->rev);
    vg_jw_kv_str(w, "signature", r->msg ? r->msg : "");
    vg_jw_kv_str(w, "category", r->class_desc ? r->class_desc : "");
    vg_jw_kv_int(w, "severity", r->priority);
    if ((r->flags & (VG_RULE_TARGET_SRC | VG_RULE_TARGET_DST)) && hp) {
        bool ports = (hp->proto == 6 || hp->proto == 17) && !(hp->flags & VG_PKT_INVALID);
        bool ts = r->flags & VG_RULE_TARGET_SRC;
        endpoint(w, "source", ts ? &hp->dst : &hp->src, hp->ip_ver, ts ? hp->dp : hp->sp, ports);
        endpoint(w, "target", ts ? &hp->src : &hp->dst, hp->ip_ver, ts ? hp->sp : hp->dp, ports);
    } else if ((r->flags & (VG_RULE_TARGET_SRC | VG_RULE_TARGET_DST)) && f) {
        /* target:src_ip means the packet's (here: the inspected direction's) source is the
         * target of the attack */
        int s = dir ? 1 : 0, d = 1 - s;
        bool ports = f->proto == 6 || f->proto == 17;
        int tgt = (r->flags & VG_RULE_TARGET_SRC) ? s : d, src = 1 - tgt;
        endpoint(w, "source", &f->addr[src], f->ip_ver, f->port[src], ports);
        endpoint(w, "target", &f->addr[tgt], f->ip_ver, f->port[tgt], ports);
    }
    if (r->metadata)
        write_metadata(w, r->metadata);
    vg_jw_obj_close(w);
    if (a->attrib && a->attrib_res)
        vg_attrib_json_write(w, a->attrib, a->attrib_res);
    if (a->app_name && a->log_tx && a->tx) {
        vg_jw_key(w, a->app_name);
        a->log_tx(a->tx, w);
    }
    if (a->app_proto)
        vg_jw_kv_str(w, "app_proto", a->app_proto);
    if (f) {
        vg_jw_kv_str(w, "direction", dir ? "to_client" : "to_server");
        vg_jw_key(w, "flow");
        vg_jw_obj_open(w);
        vg_jw_kv_uint(w, "pkts_toserver", f->pkts[0]);
        vg_jw_kv_uint(w, "pkts_toclient", f->pkts[1]);
        vg_jw_kv_uint(w, "bytes_toserver", f->bytes[0]);
        vg_jw_kv_uint(w, "bytes_toclient", f->bytes[1]);
        char ts[VG_TIME_STR_LEN];
        size_t n = vg_time_format(f->start, ts);
        vg_jw_key(w, "start");
        vg_jw_strn(w, ts, n);
        /* the flow's own orientation (the initiator is src), whatever the alert's */
        char s[48];
        vg_jw_key(w, "src_ip");
        vg_jw_strn(w, s, vg_addr_format(&f->addr[0], f->ip_ver, s));
        vg_jw_key(w, "dest_ip");
        vg_jw_strn(w, s, vg_addr_format(&f->addr[1], f->ip_ver, s));
        if ((f->proto == 6 || f->proto == 17 || f->proto == 132) && !hp) { /* as Suricata: not
                                                                             * for an ICMP error */
            vg_jw_kv_uint(w, "src_port", f->port[0]);
            vg_jw_kv_uint(w, "dest_port", f->port[1]);
        }
        vg_jw_obj_close(w);
    }
    if (o->alert_payload || o->alert_payload_printable) {
        /* a stream match shows the raw-stream bytes, up to payload_buffer_size; a packet match
         * the packet's whole payload (as Suricata) */
        const uint8_t *d = a->payload;
        size_t n = d ? a->payload_len : 0;
        if (a->stream && o->payload_buffer_size && n > o->payload_buffer_size)
            n = o->payload_buffer_size;
        if (n)
            put_payload(w, o, d, n);
        vg_jw_kv_uint(w, "stream", a->stream ? 1 : 0);
    }
    if (a->evidence_file) {
        vg_jw_key(w, "evidence");
        vg_jw_obj_open(w);
        vg_jw_kv_str(w, "file", a->evidence_file);
        if (a->evidence_packet)
            vg_jw_kv_uint(w, "packet", a->evidence_packet);
        if (a->evidence_bytes && a->evidence_sha256) {
            vg_jw_kv_uint(w, "bytes", a->evidence_bytes);
            vg_jw_kv_str(w, "sha256", a->evidence_sha256);
        }
        vg_jw_obj_close(w);
    }
    if (a->extra_key && a->extra_json) {
        vg_jw_key(w, a->extra_key);
        vg_jw_raw(w, a->extra_json, a->extra_len);
    }
    if (o->ethernet && a->pkt)
        vg_eve_ether(w, a->pkt);
    if (o->alert_packet && a->pkt)
        vg_eve_packet_fields(w, a->pkt);
    if (a->metadata_json && a->metadata_len) {
        vg_jw_key(w, "metadata");
        vg_jw_raw(w, a->metadata_json, a->metadata_len);
    }
    vg_jw_obj_close(w);
}

void vg_fast_alert(vg_buf_t *b, const vg_eve_alert_t *a)
{
    const vg_rule_t *r = a->rule;
    char ts[VG_TIME_STR_LEN], line[2048], s[48], d[48], tmp[8];
    vg_time_format(a->ts, ts);
    /* fast.log: MM/DD/YYYY-HH:MM:SS.uuuuuu from the ISO form */
    char t2[32];
    snprintf(t2, sizeof t2, "%.2s/%.2s/%.4s-%.15s", ts + 5, ts + 8, ts, ts + 11);
    const vg_addr_t *sa, *da;
    int ipv;
    uint16_t sp = 0, dp = 0;
    uint8_t proto;
    if (a->flow && !(a->pkt && a->pkt->proto != a->flow->proto)) {
        int si = a->dir ? 1 : 0;
        sa = &a->flow->addr[si];
        da = &a->flow->addr[1 - si];
        sp = a->flow->port[si];
        dp = a->flow->port[1 - si];
        ipv = a->flow->ip_ver;
        proto = a->flow->proto;
    } else {
        sa = &a->pkt->src;
        da = &a->pkt->dst;
        sp = a->pkt->sp;
        dp = a->pkt->dp;
        ipv = a->pkt->ip_ver;
        proto = a->pkt->proto;
    }
    vg_addr_format(sa, ipv, s);
    vg_addr_format(da, ipv, d);
    int n = snprintf(line, sizeof line,
                     "%s  [**] [%u:%u:%u] %s [**] [Classification: %s] [Priority: %d] {%s} "
                     "%s:%u -> %s:%u\n",
                     t2, r->gid, r->sid, r->rev, r->msg ? r->msg : "",
                     r->class_desc ? r->class_desc : "(null)", r->priority,
                     vg_eve_proto_name(proto, tmp), s, sp, d, dp);
    if (n > 0)
        vg_buf_append(b, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
}
