/* eve.c — the common EVE header, and the flow and anomaly events.
 *
 * This is the hottest output path (one flow event per flow, ~500 bytes, and on attack traffic
 * most flows have a single packet), so the fixed parts of an event are written straight into the
 * block buffer after one capacity check: keys with their quotes, colon and comma as precomputed
 * literals, numbers and addresses formatted in place, timestamps from a per-thread cache of the
 * formatted second. Only strings that can need escaping (the sensor name, names passed in by
 * callers) go through the JSON escaper. The bytes are exactly those the field-by-field writer
 * produced before (the end-to-end tests compare them).
 */
#include "output/output.h"
#include "common/timefmt.h"

#include <stdio.h>
#include <stdlib.h>
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

/* --- raw writing into the buffer (after room()) --- */

/* Fixed-size parts of any event fit in this many bytes (3 timestamps, 2 IPv6 addresses, a dozen
 * numbers, the keys); variable strings reserve their own room. */
#define FIXED_ROOM 2048

static inline void room(vg_buf_t *b, size_t n)
{
    if (b->cap - b->len < n)
        vg_buf_reserve(b, n);
}

static inline void put(vg_buf_t *b, const char *s, size_t n)
{
    memcpy(b->data + b->len, s, n);
    b->len += n;
}

#define PUT_LIT(b, s) put((b), (s), sizeof(s) - 1)

static inline void put_u64(vg_buf_t *b, uint64_t v) { b->len += vg_u64_dec(v, b->data + b->len); }

/* A string value: copied as is when no byte needs escaping (the usual case), else escaped. */
static void put_str(vg_buf_t *b, const char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c >= 0x7F || c == '"' || c == '\\')
            break;
        i++;
    }
    room(b, n + 2);
    b->data[b->len++] = '"';
    if (i == n) {
        put(b, s, n);
    } else {
        vg_json_escape(b, s, n);
        room(b, 1);
    }
    b->data[b->len++] = '"';
    room(b, FIXED_ROOM);
}

/* Per-thread cache of formatted seconds: flow events alternate between start and end times that
 * can be far apart, which defeated a single-entry cache (strftime/localtime per event). Each
 * entry holds the full string for microsecond 0 of its second; the 6 digits are patched in. */
typedef struct {
    int64_t sec;
    uint32_t len;
    char s[VG_TIME_STR_LEN];
} tcache_t;
#define TCACHE_N 64
static _Thread_local tcache_t tcache[TCACHE_N];

static inline void put_time(vg_buf_t *b, vg_time_t t)
{
    int64_t sec = (int64_t)(t / VG_USEC_PER_SEC);
    unsigned usec = (unsigned)(t % VG_USEC_PER_SEC);
    tcache_t *e = &tcache[(uint64_t)sec % TCACHE_N];
    if (!e->len || e->sec != sec) {
        e->len = (uint32_t)vg_time_format((vg_time_t)sec * VG_USEC_PER_SEC, e->s);
        e->sec = sec;
    }
    char *p = b->data + b->len;
    p[0] = '"';
    memcpy(p + 1, e->s, e->len);
    char *d = p + 1 + e->len - 11; /* "....SS.uuuuuu+zzzz": the 6 digits before the zone */
    for (int i = 5; i >= 0; i--) {
        d[i] = (char)('0' + usec % 10);
        usec /= 10;
    }
    p[1 + e->len] = '"';
    b->len += e->len + 2;
}

static inline void put_addr(vg_buf_t *b, const vg_addr_t *a, int ip_ver)
{
    b->data[b->len++] = '"';
    b->len += vg_addr_format(a, ip_ver, b->data + b->len);
    b->data[b->len++] = '"';
}

static void put_vlan(vg_buf_t *b, uint8_t n_vlan, const uint16_t *vlan)
{
    if (!n_vlan)
        return;
    PUT_LIT(b, ",\"vlan\":[");
    for (uint8_t i = 0; i < n_vlan; i++) {
        if (i)
            b->data[b->len++] = ',';
        put_u64(b, vlan[i]);
    }
    b->data[b->len++] = ']';
}

static bool has_ports(uint8_t proto) { return proto == 6 || proto == 17 || proto == 132; }

/* Opens the object of a top-level event: the writer then is inside it with one member written
 * (what the members written raw below amount to). */
static void open_event(vg_jw_t *w)
{
    vg_jw_obj_open(w);
    w->has_item |= 1ULL << w->depth;
    room(w->b, FIXED_ROOM);
}

static void put_proto(vg_buf_t *b, uint8_t proto)
{
    char tmp[8];
    const char *s = vg_eve_proto_name(proto, tmp);
    PUT_LIT(b, ",\"proto\":\"");
    put(b, s, strlen(s));
    b->data[b->len++] = '"';
}

void vg_eve_begin_flow(vg_jw_t *w, const vg_eve_opts_t *o, const char *event_type, vg_time_t ts,
                       const vg_flow_t *f, int dir, uint64_t pcap_cnt, const char *app_proto)
{
    vg_buf_t *b = w->b;
    int s = dir ? 1 : 0, d = 1 - s;
    open_event(w);
    PUT_LIT(b, "\"timestamp\":");
    put_time(b, ts);
    PUT_LIT(b, ",\"flow_id\":");
    put_u64(b, vg_flow_id(f));
    if (f->parent_id) {
        PUT_LIT(b, ",\"parent_id\":");
        put_u64(b, f->parent_id);
    }
    if (pcap_cnt) {
        PUT_LIT(b, ",\"pcap_cnt\":");
        put_u64(b, pcap_cnt);
    }
    PUT_LIT(b, ",\"event_type\":");
    put_str(b, event_type, strlen(event_type));
    if (o && o->sensor_name) {
        PUT_LIT(b, ",\"host\":");
        put_str(b, o->sensor_name, strlen(o->sensor_name));
    }
    put_vlan(b, f->n_vlan, f->vlan);
    PUT_LIT(b, ",\"src_ip\":");
    put_addr(b, &f->addr[s], f->ip_ver);
    if (has_ports(f->proto)) {
        PUT_LIT(b, ",\"src_port\":");
        put_u64(b, f->port[s]);
    }
    PUT_LIT(b, ",\"dest_ip\":");
    put_addr(b, &f->addr[d], f->ip_ver);
    if (has_ports(f->proto)) {
        PUT_LIT(b, ",\"dest_port\":");
        put_u64(b, f->port[d]);
    }
    put_proto(b, f->proto);
    if (o && o->community_id) {
        PUT_LIT(b, ",\"community_id\":\"");
        b->len += vg_flow_community_id(f, o->community_id_seed, b->data + b->len);
        b->data[b->len++] = '"';
    }
    if (app_proto) {
        PUT_LIT(b, ",\"app_proto\":");
        put_str(b, app_proto, strlen(app_proto));
    }
}

void vg_eve_begin_packet_in(vg_jw_t *w, const vg_eve_opts_t *o, const char *event_type,
                            const vg_packet_t *p, const vg_flow_t *f, const char *pkt_src)
{
    vg_buf_t *b = w->b;
    open_event(w);
    PUT_LIT(b, "\"timestamp\":");
    put_time(b, p->ts);
    if (f) {
        PUT_LIT(b, ",\"flow_id\":");
        put_u64(b, vg_flow_id(f));
    }
    if (p->pcap_cnt) {
        PUT_LIT(b, ",\"pcap_cnt\":");
        put_u64(b, p->pcap_cnt);
    }
    PUT_LIT(b, ",\"event_type\":");
    put_str(b, event_type, strlen(event_type));
    if (o && o->sensor_name) {
        PUT_LIT(b, ",\"host\":");
        put_str(b, o->sensor_name, strlen(o->sensor_name));
    }
    put_vlan(b, p->n_vlan, p->vlan);
    if (p->ip_ver == 4 || p->ip_ver == 6) {
        /* a TCP/UDP header too short to read: ports 0, as Suricata writes them */
        bool ports = has_ports(p->proto), valid = p->l4 && !(p->flags & VG_PKT_INVALID);
        PUT_LIT(b, ",\"src_ip\":");
        put_addr(b, &p->src, p->ip_ver);
        if (ports) {
            PUT_LIT(b, ",\"src_port\":");
            put_u64(b, valid ? p->sp : 0);
        }
        PUT_LIT(b, ",\"dest_ip\":");
        put_addr(b, &p->dst, p->ip_ver);
        if (ports) {
            PUT_LIT(b, ",\"dest_port\":");
            put_u64(b, valid ? p->dp : 0);
        }
        put_proto(b, p->proto);
        if ((p->proto == 1 || p->proto == 58) && p->l4 && !(p->flags & VG_PKT_INVALID)) {
            PUT_LIT(b, ",\"icmp_type\":"); /* as Suricata writes them for an ICMP packet */
            put_u64(b, p->icmp_type);
            PUT_LIT(b, ",\"icmp_code\":");
            put_u64(b, p->icmp_code);
        }
    }
    PUT_LIT(b, ",\"pkt_src\":");
    put_str(b, pkt_src, strlen(pkt_src));
}

void vg_eve_begin_packet(vg_jw_t *w, const vg_eve_opts_t *o, const char *event_type,
                         const vg_packet_t *p)
{
    vg_eve_begin_packet_in(w, o, event_type, p, NULL, "wire/pcap");
}

static inline void put_hex8(vg_buf_t *b, uint8_t v)
{
    static const char hex[] = "0123456789abcdef";
    b->data[b->len++] = '"';
    b->data[b->len++] = hex[v >> 4];
    b->data[b->len++] = hex[v & 15];
    b->data[b->len++] = '"';
}

void vg_eve_flow(vg_jw_t *w, const vg_eve_opts_t *o, const vg_flow_t *f,
                 enum vg_flow_end_reason reason, const char *app_proto,
                 const char *app_proto_orig, const char *tcp_state, const char *traffic,
                 size_t traffic_len, const char *metadata, size_t metadata_len)
{
    vg_eve_begin_flow(w, o, "flow", f->start, f, 0, 0, app_proto);
    vg_buf_t *b = w->b;
    if (app_proto_orig) { /* the protocol before an in-band upgrade, as Suricata */
        PUT_LIT(b, ",\"app_proto_orig\":");
        put_str(b, app_proto_orig, strlen(app_proto_orig));
    }
    if ((f->proto == 1 || f->proto == 58) && (f->dir_seen & 1)) {
        PUT_LIT(b, ",\"icmp_type\":");
        put_u64(b, f->icmp_type[0]);
        PUT_LIT(b, ",\"icmp_code\":");
        put_u64(b, f->icmp_code[0]);
        if (f->dir_seen & 2) {
            PUT_LIT(b, ",\"response_icmp_type\":");
            put_u64(b, f->icmp_type[1]);
            PUT_LIT(b, ",\"response_icmp_code\":");
            put_u64(b, f->icmp_code[1]);
        }
    }
    PUT_LIT(b, ",\"flow\":{\"pkts_toserver\":");
    put_u64(b, f->pkts[0]);
    PUT_LIT(b, ",\"pkts_toclient\":");
    put_u64(b, f->pkts[1]);
    PUT_LIT(b, ",\"bytes_toserver\":");
    put_u64(b, f->bytes[0]);
    PUT_LIT(b, ",\"bytes_toclient\":");
    put_u64(b, f->bytes[1]);
    PUT_LIT(b, ",\"start\":");
    put_time(b, f->start);
    PUT_LIT(b, ",\"end\":");
    put_time(b, f->last);
    PUT_LIT(b, ",\"age\":");
    put_u64(b, (f->last / VG_USEC_PER_SEC) - (f->start / VG_USEC_PER_SEC));
    PUT_LIT(b, ",\"state\":\"");
    const char *st = vg_flow_state_name(f->state);
    put(b, st, strlen(st));
    PUT_LIT(b, "\",\"reason\":\"");
    const char *rs = vg_flow_reason_name(reason);
    put(b, rs, strlen(rs));
    if (f->alerted)
        PUT_LIT(b, "\",\"alerted\":true}");
    else
        PUT_LIT(b, "\",\"alerted\":false}");
    if (f->proto == 6) {
        uint8_t all = f->tcp_flags[0] | f->tcp_flags[1];
        PUT_LIT(b, ",\"tcp\":{\"tcp_flags\":");
        put_hex8(b, all);
        PUT_LIT(b, ",\"tcp_flags_ts\":");
        put_hex8(b, f->tcp_flags[0]);
        PUT_LIT(b, ",\"tcp_flags_tc\":");
        put_hex8(b, f->tcp_flags[1]);
        static const struct { uint8_t bit; uint8_t len; const char *s; } names[] = {
            {VG_TCP_FIN, 11, ",\"fin\":true"}, {VG_TCP_SYN, 11, ",\"syn\":true"},
            {VG_TCP_RST, 11, ",\"rst\":true"}, {VG_TCP_PSH, 11, ",\"psh\":true"},
            {VG_TCP_ACK, 11, ",\"ack\":true"}, {VG_TCP_URG, 11, ",\"urg\":true"},
            {VG_TCP_ECE, 11, ",\"ecn\":true"}, {VG_TCP_CWR, 11, ",\"cwr\":true"},
        };
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
            if (all & names[i].bit)
                put(b, names[i].s, names[i].len);
        if (tcp_state) {
            PUT_LIT(b, ",\"state\":");
            put_str(b, tcp_state, strlen(tcp_state));
        }
        b->data[b->len++] = '}';
    }
    if (metadata && metadata_len) {
        vg_jw_key(w, "metadata");
        vg_jw_raw(w, metadata, metadata_len);
    }
    if (traffic && traffic_len) {
        vg_jw_key(w, "traffic");
        vg_jw_raw(w, traffic, traffic_len);
    }
    vg_jw_obj_close(w);
}

/* libpcap's names of the link types Vigil reads (Suricata 8 writes them as linktype_name). */
static const char *linktype_name(int lt)
{
    switch (lt) {
    case 0: return "NULL";
    case 1: return "EN10MB";
    case 9: return "PPP";
    case 12: case 14: case 101: return "RAW";
    case 108: return "LOOP";
    case 113: return "LINUX_SLL";
    case 228: return "IPv4";
    case 229: return "IPv6";
    case 276: return "LINUX_SLL2";
    default: return NULL;
    }
}

void vg_eve_packet_fields(vg_jw_t *w, const vg_packet_t *p)
{
    char *b64 = vg_xmalloc(4 * ((size_t)p->caplen + 2) / 3 + 8);
    size_t n = vg_base64(p->data, p->caplen, b64);
    vg_jw_key(w, "packet");
    vg_jw_strn(w, b64, n);
    free(b64);
    vg_jw_key(w, "packet_info");
    vg_jw_obj_open(w);
    vg_jw_kv_int(w, "linktype", p->linktype);
    const char *name = linktype_name(p->linktype);
    if (name)
        vg_jw_kv_str(w, "linktype_name", name);
    vg_jw_obj_close(w);
}

void vg_eve_ether(vg_jw_t *w, const vg_packet_t *p)
{
    if (p->linktype != 1 || p->caplen < 14)
        return;
    char mac[2][18];
    for (int k = 0; k < 2; k++) {
        const uint8_t *m = p->data + (k ? 0 : 6); /* source, then destination */
        snprintf(mac[k], sizeof mac[k], "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3],
                 m[4], m[5]);
    }
    vg_jw_key(w, "ether");
    vg_jw_obj_open(w);
    vg_jw_kv_str(w, "src_mac", mac[0]);
    vg_jw_kv_str(w, "dest_mac", mac[1]);
    vg_jw_obj_close(w);
}

void vg_eve_tagged_packet(vg_jw_t *w, const vg_eve_opts_t *o, const vg_flow_t *f, int dir,
                          const vg_packet_t *p, const char *app_proto)
{
    vg_eve_begin_flow(w, o, "packet", p->ts, f, dir, p->pcap_cnt, app_proto);
    vg_eve_packet_fields(w, p);
    vg_jw_obj_close(w);
}

void vg_eve_anomaly_packet(vg_jw_t *w, const vg_eve_opts_t *o, const vg_packet_t *p,
                           const char *type, const char *event)
{
    vg_eve_begin_packet(w, o, "anomaly", p);
    vg_buf_t *b = w->b;
    PUT_LIT(b, ",\"anomaly\":{\"type\":");
    put_str(b, type, strlen(type));
    PUT_LIT(b, ",\"event\":");
    put_str(b, event, strlen(event));
    b->data[b->len++] = '}';
    vg_jw_obj_close(w);
}
