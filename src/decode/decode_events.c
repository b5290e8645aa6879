/* decode_events.c — names of the decoder's anomaly events and counters.
 *
 * Both tables are generated from VG_DECODE_EVENT_LIST so codes, names and counters can't drift.
 * Counter order follows enum vg_dstat (decode_int.h) and Suricata's stats layout: the "decoder"
 * totals, then one "decoder.event.<name>" per event, then the "defrag" counters.
 */
#include "decode/decode_int.h"

#include <string.h>

static const char *const event_names[VG_DEV_COUNT] = {
    [VG_DEV_NONE] = NULL,
#define NAME_(id, name) [VG_DEV_##id] = name,
    VG_DECODE_EVENT_LIST(NAME_)
#undef NAME_
};

static const char *const stat_names[VG_DS_COUNT] = {
    [VG_DS_PKTS] = "decoder.pkts",
    [VG_DS_BYTES] = "decoder.bytes",
    [VG_DS_INVALID] = "decoder.invalid",
    [VG_DS_IPV4] = "decoder.ipv4",
    [VG_DS_IPV6] = "decoder.ipv6",
    [VG_DS_ETHERNET] = "decoder.ethernet",
    [VG_DS_RAW] = "decoder.raw",
    [VG_DS_NULL] = "decoder.null",
    [VG_DS_SLL] = "decoder.sll",
    [VG_DS_PPP] = "decoder.ppp",
    [VG_DS_PPPOE] = "decoder.pppoe",
    [VG_DS_TCP] = "decoder.tcp",
    [VG_DS_UDP] = "decoder.udp",
    [VG_DS_ICMPV4] = "decoder.icmpv4",
    [VG_DS_ICMPV6] = "decoder.icmpv6",
    [VG_DS_GRE] = "decoder.gre",
    [VG_DS_VLAN] = "decoder.vlan",
    [VG_DS_VLAN_QINQ] = "decoder.vlan_qinq",
    [VG_DS_VXLAN] = "decoder.vxlan",
    [VG_DS_GENEVE] = "decoder.geneve",
    [VG_DS_TEREDO] = "decoder.teredo",
    [VG_DS_IPV4_IN_IPV6] = "decoder.ipv4_in_ipv6",
    [VG_DS_IPV6_IN_IPV6] = "decoder.ipv6_in_ipv6",
    [VG_DS_UNKNOWN_ETHERTYPE] = "decoder.unknown_ethertype",
    [VG_DS_MAX_PKT_SIZE] = "decoder.max_pkt_size",
    [VG_DS_CSUM_IPV4] = "decoder.invalid_checksum.ipv4",
    [VG_DS_CSUM_TCP] = "decoder.invalid_checksum.tcp",
    [VG_DS_CSUM_UDP] = "decoder.invalid_checksum.udp",
    [VG_DS_CSUM_ICMPV4] = "decoder.invalid_checksum.icmpv4",
    [VG_DS_CSUM_ICMPV6] = "decoder.invalid_checksum.icmpv6",
#define STAT_(id, name) [VG_DS_EVENT_BASE + VG_DEV_##id - 1] = "decoder.event." name,
    VG_DECODE_EVENT_LIST(STAT_)
#undef STAT_
    [VG_DS_DEFRAG_IPV4_FRAGMENTS] = "defrag.ipv4.fragments",
    [VG_DS_DEFRAG_IPV4_REASSEMBLED] = "defrag.ipv4.reassembled",
    [VG_DS_DEFRAG_IPV4_TIMEOUTS] = "defrag.ipv4.timeouts",
    [VG_DS_DEFRAG_IPV6_FRAGMENTS] = "defrag.ipv6.fragments",
    [VG_DS_DEFRAG_IPV6_REASSEMBLED] = "defrag.ipv6.reassembled",
    [VG_DS_DEFRAG_IPV6_TIMEOUTS] = "defrag.ipv6.timeouts",
    [VG_DS_DEFRAG_MAX_FRAG_HITS] = "defrag.max_frag_hits",
    [VG_DS_DEFRAG_MAX_TRACKERS_REACHED] = "defrag.max_trackers_reached",
    [VG_DS_DEFRAG_MEMCAP_EXCEEDED] = "defrag.memcap_exceeded",
    [VG_DS_DEFRAG_MEMUSE] = "defrag.memuse",
    [VG_DS_DEFRAG_TRACKERS] = "defrag.trackers",
};

static const vg_stats_table_t stats_table = {stat_names, VG_DS_COUNT};

const vg_stats_table_t *vg_decode_stats_table(void) { return &stats_table; }

const char *vg_decode_event_name(uint16_t code)
{
    if (code == VG_DEV_NONE || code >= VG_DEV_COUNT)
        return NULL;
    return event_names[code];
}

uint16_t vg_decode_event_by_name(const char *name)
{
    if (!name)
        return VG_DEV_NONE;
    if (strncmp(name, "decoder.", 8) == 0)
        name += 8;
    for (uint16_t c = 1; c < VG_DEV_COUNT; c++)
        if (strcmp(event_names[c], name) == 0)
            return c;
    return VG_DEV_NONE;
}
