/* fuzz_decode.c — one packet through vg_decode_packet at every link type the decoder handles.
 *
 * Input: [selector][packet bytes]. selector % 8 picks the link type (Ethernet, raw IP, Linux
 * SLL, SLL2, BSD NULL, LOOP, IPv4, IPv6); bit 3 turns checksum validation off. Every pointer
 * the decoder leaves in the packet (l3, l4, payload) is read over its stated length, and what the
 * flow stage reads of it (vg_icmp4_quote, vg_pkt_flow_len, the tunnel offsets) and what the
 * checksum keywords compute over (vg_decode_csum_valid) stay inside it.
 */
#include "fuzz_common.h"

#include "decode/decode.h"

static const int linktypes[8] = {1, 12, 113, 276, 0, 108, 228, 229};

static void check_packet(const vg_packet_t *p)
{
    if (p->l3)
        fz_touch(p->l3, p->l3_len);
    if (p->l4)
        fz_touch(p->l4, p->l4_len);
    if (p->payload)
        fz_touch(p->payload, p->payload_len);
    if (p->n_events > VG_PKT_MAX_EVENTS)
        abort();
    for (unsigned i = 0; i < p->n_events; i++)
        if (!vg_decode_event_name(p->events[i]))
            abort();
    /* what the flow stage reads of a packet: the connection an ICMP error quotes, the bytes a
     * tunnelled packet counts for (within the captured bytes), the tunnel's own header */
    vg_icmp_quote_t q;
    (void)vg_icmp4_quote(p, &q);
    if (vg_pkt_flow_len(p) > p->caplen)
        abort();
    if (p->tun_l3 && p->tun_l3 - 1u >= p->caplen)
        abort();
    for (int k = VG_CSUM_IPV4; k <= VG_CSUM_ICMPV6; k++)
        if (vg_decode_csum_valid(p, (enum vg_csum_kind)k) > 1)
            abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    vg_decode_config_t cfg;
    vg_decode_config_defaults(&cfg);
    cfg.checksum_validate = !(data[0] & 8);
    cfg.defrag_max_trackers = 64; /* fragments are fuzz_defrag.c's job; keeps setup cheap */
    vg_decoder_t *d = vg_decoder_new(&cfg);
    uint8_t *bytes = fz_dup(data + 1, size - 1);
    vg_packet_t p = {
        .ts = 1000000,
        .pcap_cnt = 1,
        .data = bytes,
        .caplen = (uint32_t)(size - 1),
        .wirelen = (uint32_t)(size - 1),
        .linktype = linktypes[data[0] & 7],
    };
    (void)vg_decode_worker_hash(&p);
    vg_decode_packet(d, &p);
    check_packet(&p);
    free(bytes);
    vg_decoder_free(d);
    return 0;
}
