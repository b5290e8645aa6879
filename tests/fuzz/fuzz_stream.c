/* fuzz_stream.c — a sequence of TCP segments, both directions, through one stream session.
 *
 * Input: [config][segment]... with segment = [ctl][flags][seq:4][ack:4][len:2][payload].
 * config: bit 0 midstream, bit 1 async_oneside, bit 2 tiny limits (depth 4 KiB, window 8 KiB,
 * 8 ranges, 16 KiB memcap) so that every limit is reachable with small inputs.
 * ctl: bit 0 flow direction, bit 1 mark the packet VG_PKT_INVALID, bit 2 bad L4 checksum.
 * The packet is built by hand (no decoding): the stream stage reads only the TCP fields, the
 * flags and the payload. Delivered data is read over its length; the flow is ended at the end
 * so buffered data is flushed.
 */
#include "fuzz_common.h"

#include "stream/stream.h"

#include <netinet/in.h>

static uint64_t delivered[2];

static void on_data(void *user, int dir, const uint8_t *d, size_t len)
{
    if (dir != 0 && dir != 1)
        abort();
    fz_touch(d, len);
    delivered[dir] += len;
}

static void on_gap(void *user, int dir, size_t len)
{
    if (dir != 0 && dir != 1)
        abort();
}

static void on_event(void *user, uint16_t code)
{
    (void)user;
    if (!vg_stream_event_name(code)) /* every event raised has a name */
        abort();
}

static const vg_stream_cb_t cb = {on_data, on_gap, on_event};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_t f = {data, size};
    uint8_t conf = fz_u8(&f);
    vg_stream_config_t cfg;
    vg_stream_config_defaults(&cfg);
    cfg.midstream = conf & 1;
    cfg.async_oneside = conf & 2;
    if (conf & 4) {
        cfg.reassembly_depth = 4096;
        cfg.window_limit = 8192;
        cfg.max_ranges = 8;
        cfg.memcap = 16384;
    }
    vg_stream_ctx_t *ctx = vg_stream_ctx_new(&cfg);
    vg_tcp_session_t *s = vg_stream_session_new(ctx);
    delivered[0] = delivered[1] = 0;
    for (int n = 0; s && fz_more(&f) && n < 8192; n++) {
        uint8_t ctl = fz_u8(&f);
        vg_packet_t p = {.ip_ver = 4, .proto = IPPROTO_TCP, .ts = 1000000 + (vg_time_t)n};
        p.tcp_flags = fz_u8(&f);
        p.tcp_seq = fz_u32(&f);
        p.tcp_ack = fz_u32(&f);
        p.tcp_win = 65535;
        p.tcp_wscale = 0xFF;
        size_t len;
        const uint8_t *pl = fz_take(&f, fz_u16(&f), &len);
        uint8_t *copy = fz_dup(pl, len);
        p.payload = copy;
        p.payload_len = (uint32_t)len;
        if (ctl & 2)
            p.flags |= VG_PKT_INVALID;
        if (ctl & 4)
            p.flags |= VG_PKT_L4_CSUM_BAD;
        vg_stream_packet(ctx, s, &p, ctl & 1, &cb, NULL);
        free(copy);
    }
    if (s) {
        (void)vg_stream_handshake_complete(s);
        (void)vg_stream_is_midstream(s);
        (void)vg_stream_is_reversed(s);
        (void)vg_stream_timeout_class(s);
        if (!vg_stream_state_name(s))
            abort();
        vg_stream_flow_end(ctx, s, &cb, NULL);
        vg_stream_session_free(ctx, s);
    }
    /* With the only session gone, the memory gauges are back to zero (accounting drift would
     * make the memcaps bite early, or never). */
    const uint64_t *v = vg_stream_stats_values(ctx);
    const vg_stats_table_t *t = vg_stream_stats_table();
    for (size_t i = 0; i < t->n; i++)
        if (strstr(t->names[i], "memuse") && v[i] != 0) {
            fprintf(stderr, "fuzz_stream: %s = %llu after the session was freed\n", t->names[i],
                    (unsigned long long)v[i]);
            abort();
        }
    vg_stream_ctx_free(ctx);
    return 0;
}
