/* eve.c — the common EVE header, and the flow and anomaly events. */
#include "output/output.h"
#include "common/timefmt.h"

#include <stdio.h>
#include <string.h>

const char *vg_eve_proto_name(uint8_t proto, char tmp[8])
{
    switch (proto) {
    case 6: return "TCP";
    case 17: return "UDP";
    case 1: return "ICMP";
    case 58: return "IPv6-ICMP";
    case 132: return "SCTP";
    case 47: return "GRE";
    default:
        snprintf(tmp, 8, "%03u", proto);
        return tmp;
    }
}

static void kv_time(vg_jw_t *w, const char *key, vg_time_t t)
{
    char ts[VG_TIME_STR_LEN];
    size_t n = vg_time_format(t, ts);
    vg_jw_key(w, key);
    vg_jw_strn(w, ts, n);
}

static void kv_addr(vg_jw_t *w, const char *key, const vg_addr_t *a, int ip_ver)
{
    char s[48];
    size_t n = vg_addr_format(a, ip_ver, s);
    vg_jw_key(w, key);
    vg_jw_strn(w, s, n);
}

static void write_vlan(vg_jw_t *w, uint8_t n_vlan, const uint16_t *vlan)
{
    if (!n_vlan)
        return;
    vg_jw_key(w, "vlan");
    vg_jw_arr_open(w);
    for (uint8_t i = 0; i < n_vlan; i++)
        vg_jw_uint(w, vlan[i]);
    vg_jw_arr_close(w);
}

static bool has_ports(uint8_t proto) { return proto == 6 || proto == 17 || proto == 132; }

void vg_eve_begin_flow(vg_jw_t *w, const vg_eve_opts_t *o, const char *event_type, vg_time_t ts,
                       const vg_flow_t *f, int dir, uint64_t pcap_cnt, const char *app_proto)
{
    char tmp[8];
    int s = dir ? 1 : 0, d = 1 - s;
    vg_jw_obj_open(w);
    kv_time(w, "timestamp", ts);
    vg_jw_kv_uint(w, "flow_id", vg_flow_id(f));
    if (pcap_cnt)
        vg_jw_kv_uint(w, "pcap_cnt", pcap_cnt);
    vg_jw_kv_str(w, "event_type", event_type);
    if (o && o->sensor_name)
        vg_jw_kv_str(w, "host", o->sensor_name);
    write_vlan(w, f->n_vlan, f->vlan);
    kv_addr(w, "src_ip", &f->addr[s], f->ip_ver);
    if (has_ports(f->proto))
        vg_jw_kv_uint(w, "src_port", f->port[s]);
    kv_addr(w, "dest_ip", &f->addr[d], f->ip_ver);
    if (has_ports(f->proto))
        vg_jw_kv_uint(w, "dest_port", f->port[d]);
    vg_jw_kv_str(w, "proto", vg_eve_proto_name(f->proto, tmp));
    if (o && o->community_id) {
        char cid[64];
        size_t n = vg_flow_community_id(f, o->community_id_seed, cid);
        vg_jw_key(w, "community_id");
        vg_jw_strn(w, cid, n);
    }
    if (app_proto)
        vg_jw_kv_str(w, "app_proto", app_proto);
}

void vg_eve_begin_packet(vg_jw_t *w, const vg_eve_opts_t *o, const char *event_type,
                         const vg_packet_t *p)
{
    char tmp[8];
    vg_jw_obj_open(w);
    kv_time(w, "timestamp", p->ts);
    if (p->pcap_cnt)
        vg_jw_kv_uint(w, "pcap_cnt", p->pcap_cnt);
    vg_jw_kv_str(w, "event_type", event_type);
    if (o && o->sensor_name)
        vg_jw_kv_str(w, "host", o->sensor_name);
    write_vlan(w, p->n_vlan, p->vlan);
    if (p->ip_ver == 4 || p->ip_ver == 6) {
        kv_addr(w, "src_ip", &p->src, p->ip_ver);
        if (has_ports(p->proto) && p->l4 && !(p->flags & VG_PKT_INVALID))
            vg_jw_kv_uint(w, "src_port", p->sp);
        kv_addr(w, "dest_ip", &p->dst, p->ip_ver);
        if (has_ports(p->proto) && p->l4 && !(p->flags & VG_PKT_INVALID))
            vg_jw_kv_uint(w, "dest_port", p->dp);
        vg_jw_kv_str(w, "proto", vg_eve_proto_name(p->proto, tmp));
    }
    vg_jw_kv_str(w, "pkt_src", "wire/pcap");
}

static void tcp_flags_hex(vg_jw_t *w, const char *key, uint8_t flags)
{
    char s[3];
    static const char hex[] = "0123456789abcdef";
    s[0] = hex[flags >> 4];
    s[1] = hex[flags & 15];
    s[2] = '\0';
    vg_jw_kv_str(w, key, s);
}

void vg_eve_flow(vg_jw_t *w, const vg_eve_opts_t *o, const vg_flow_t *f,
                 enum vg_flow_end_reason reason, const char *app_proto, const char *tcp_state)
{
    vg_eve_begin_flow(w, o, "flow", f->start, f, 0, 0, app_proto);
    if ((f->proto == 1 || f->proto == 58) && (f->dir_seen & 1)) {
        vg_jw_kv_uint(w, "icmp_type", f->icmp_type[0]);
        vg_jw_kv_uint(w, "icmp_code", f->icmp_code[0]);
        if (f->dir_seen & 2) {
            vg_jw_kv_uint(w, "response_icmp_type", f->icmp_type[1]);
            vg_jw_kv_uint(w, "response_icmp_code", f->icmp_code[1]);
        }
    }
    vg_jw_key(w, "flow");
    vg_jw_obj_open(w);
    vg_jw_kv_uint(w, "pkts_toserver", f->pkts[0]);
    vg_jw_kv_uint(w, "pkts_toclient", f->pkts[1]);
    vg_jw_kv_uint(w, "bytes_toserver", f->bytes[0]);
    vg_jw_kv_uint(w, "bytes_toclient", f->bytes[1]);
    kv_time(w, "start", f->start);
    kv_time(w, "end", f->last);
    vg_jw_kv_uint(w, "age", (f->last / VG_USEC_PER_SEC) - (f->start / VG_USEC_PER_SEC));
    vg_jw_kv_str(w, "state", vg_flow_state_name(f->state));
    vg_jw_kv_str(w, "reason", vg_flow_reason_name(reason));
    vg_jw_kv_bool(w, "alerted", f->alerted);
    vg_jw_obj_close(w);
    if (f->proto == 6) {
        uint8_t all = f->tcp_flags[0] | f->tcp_flags[1];
        vg_jw_key(w, "tcp");
        vg_jw_obj_open(w);
        tcp_flags_hex(w, "tcp_flags", all);
        tcp_flags_hex(w, "tcp_flags_ts", f->tcp_flags[0]);
        tcp_flags_hex(w, "tcp_flags_tc", f->tcp_flags[1]);
        static const struct { uint8_t bit; const char *name; } names[] = {
            {VG_TCP_FIN, "fin"}, {VG_TCP_SYN, "syn"}, {VG_TCP_RST, "rst"}, {VG_TCP_PSH, "psh"},
            {VG_TCP_ACK, "ack"}, {VG_TCP_URG, "urg"}, {VG_TCP_ECE, "ecn"}, {VG_TCP_CWR, "cwr"},
        };
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
            if (all & names[i].bit)
                vg_jw_kv_bool(w, names[i].name, true);
        if (tcp_state)
            vg_jw_kv_str(w, "state", tcp_state);
        vg_jw_obj_close(w);
    }
    vg_jw_obj_close(w);
}

void vg_eve_anomaly_packet(vg_jw_t *w, const vg_eve_opts_t *o, const vg_packet_t *p,
                           const char *type, const char *event)
{
    vg_eve_begin_packet(w, o, "anomaly", p);
    vg_jw_key(w, "anomaly");
    vg_jw_obj_open(w);
    vg_jw_kv_str(w, "type", type);
    vg_jw_kv_str(w, "event", event);
    vg_jw_obj_close(w);
    vg_jw_obj_close(w);
}
