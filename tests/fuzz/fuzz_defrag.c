/* fuzz_defrag.c — a sequence of packets through one decoder, so IPv4/IPv6 fragment reassembly
 * sees overlaps, duplicates, holes, timeouts and its tracker and memory limits.
 *
 * Input: [config][record]... with record = [dt][len:2][packet bytes]. config % 8 picks the link
 * type as in fuzz_decode.c; bit 3 selects tiny limits (4 trackers, 16 KiB, 2 s) so the limit
 * paths are reached with small inputs. dt advances packet time by dt * 100 ms; dt == 255 also
 * runs the expiry tick. Reassembled packets are read whole.
 */
#include "fuzz_common.h"

#include "decode/decode.h"

static const int linktypes[8] = {12, 1, 113, 276, 0, 108, 228, 229};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_t f = {data, size};
    uint8_t conf = fz_u8(&f);
    vg_decode_config_t cfg;
    vg_decode_config_defaults(&cfg);
    cfg.checksum_validate = false;
    if (conf & 8) {
        cfg.defrag_max_trackers = 4;
        cfg.defrag_memcap = 16 * 1024;
        cfg.defrag_timeout_s = 2;
    } else {
        cfg.defrag_max_trackers = 1024; /* the default 65535 makes each run's setup dominate */
    }
    vg_decoder_t *d = vg_decoder_new(&cfg);
    vg_time_t now = 1000000000;
    for (uint64_t n = 1; fz_more(&f) && n <= 4096; n++) {
        uint8_t dt = fz_u8(&f);
        size_t len;
        const uint8_t *pkt = fz_take(&f, fz_u16(&f), &len);
        now += (vg_time_t)dt * 100000;
        if (dt == 255)
            vg_decode_tick(d, now);
        uint8_t *bytes = fz_dup(pkt, len);
        vg_packet_t p = {
            .ts = now, .pcap_cnt = n, .data = bytes,
            .caplen = (uint32_t)len, .wirelen = (uint32_t)len,
            .linktype = linktypes[conf & 7],
        };
        vg_decode_packet(d, &p);
        fz_touch(p.data, p.caplen);
        if (p.l3)
            fz_touch(p.l3, p.l3_len);
        if (p.l4)
            fz_touch(p.l4, p.l4_len);
        if (p.payload)
            fz_touch(p.payload, p.payload_len);
        free(bytes);
    }
    vg_decode_tick(d, now + 3600ull * 1000000);
    vg_decoder_free(d);
    return 0;
}
