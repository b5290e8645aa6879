/* dtest.h — helpers shared by the decode tests: build headers byte by byte, run the decoder,
 * look at events and counters. Header-only (static functions) so each test stays one file. */
#ifndef VG_TESTS_DECODE_DTEST_H
#define VG_TESTS_DECODE_DTEST_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "decode/decode.h"
#include "pcapw.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

enum { DLT_EN10MB_ = 1, DLT_RAW_ = 12, DLT_RAW101_ = 101, DLT_NULL_ = 0, DLT_LOOP_ = 108,
       DLT_SLL_ = 113, DLT_SLL2_ = 276, DLT_IPV4_ = 228, DLT_IPV6_ = 229 };

/* p's flags without the marks of what the decoder checked (VG_PKT_*_CSUM_DONE) */
#define DT_FLAGS(p) ((p).flags & ~(uint32_t)(VG_PKT_IPV4_CSUM_DONE | VG_PKT_L4_CSUM_DONE))

static inline vg_decoder_t *dt_new(bool csum)
{
    vg_decode_config_t cfg;
    vg_decode_config_defaults(&cfg);
    cfg.checksum_validate = csum;
    return vg_decoder_new(&cfg);
}

static inline int dt_decode_ts(vg_decoder_t *d, vg_packet_t *p, const uint8_t *b, size_t n,
                               int lt, vg_time_t ts)
{
    memset(p, 0, sizeof *p);
    p->data = b;
    p->caplen = p->wirelen = (uint32_t)n;
    p->linktype = lt;
    p->ts = ts;
    return vg_decode_packet(d, p);
}

static inline int dt_decode(vg_decoder_t *d, vg_packet_t *p, const uint8_t *b, size_t n, int lt)
{
    return dt_decode_ts(d, p, b, n, lt, 1000000);
}

static inline bool dt_has(const vg_packet_t *p, const char *name)
{
    uint16_t c = vg_decode_event_by_name(name);
    assert_int_not_equal(c, 0);
    for (unsigned i = 0; i < p->n_events; i++)
        if (p->events[i] == c)
            return true;
    return false;
}

static inline uint64_t dt_stat(vg_decoder_t *d, const char *name)
{
    const vg_stats_table_t *t = vg_decode_stats_table();
    for (size_t i = 0; i < t->n; i++)
        if (strcmp(t->names[i], name) == 0)
            return vg_decode_stats_values(d)[i];
    fail_msg("no counter %s", name);
    return 0;
}

static inline void dt_put16(uint8_t *b, uint16_t v) { b[0] = (uint8_t)(v >> 8); b[1] = (uint8_t)v; }
static inline void dt_put32(uint8_t *b, uint32_t v)
{
    dt_put16(b, (uint16_t)(v >> 16));
    dt_put16(b + 2, (uint16_t)v);
}

static inline void dt_addr(const char *s, uint8_t *out)
{
    if (strchr(s, ':'))
        inet_pton(AF_INET6, s, out);
    else
        inet_pton(AF_INET, s, out);
}

/* IPv4 header (hlen bytes: options must already be in out[20..hlen)) followed by plen bytes of
 * payload; fills total length, checksum. Returns the total length. */
static inline size_t dt_ipv4(uint8_t *out, size_t hlen, const char *src, const char *dst,
                             uint8_t proto, uint16_t id, uint16_t frag, const void *pl, size_t plen)
{
    out[0] = (uint8_t)(0x40 | (hlen / 4));
    out[1] = 0;
    dt_put16(out + 2, (uint16_t)(hlen + plen));
    dt_put16(out + 4, id);
    dt_put16(out + 6, frag);
    out[8] = 64;
    out[9] = proto;
    out[10] = out[11] = 0;
    dt_addr(src, out + 12);
    dt_addr(dst, out + 16);
    if (plen)
        memmove(out + hlen, pl, plen);
    dt_put16(out + 10, pkt_cksum(out, hlen, 0));
    return hlen + plen;
}

/* IPv6 header with next header nh and plen bytes of payload. */
static inline size_t dt_ipv6(uint8_t *out, const char *src, const char *dst, uint8_t nh,
                             const void *pl, size_t plen)
{
    memset(out, 0, 40);
    out[0] = 0x60;
    dt_put16(out + 4, (uint16_t)plen);
    out[6] = nh;
    out[7] = 64;
    dt_addr(src, out + 8);
    dt_addr(dst, out + 24);
    if (plen)
        memmove(out + 40, pl, plen);
    return 40 + plen;
}

static inline uint32_t dt_sum(const uint8_t *p, size_t n)
{
    uint32_t s = 0;
    for (size_t i = 0; i + 1 < n; i += 2)
        s += (uint32_t)(p[i] << 8 | p[i + 1]);
    if (n & 1)
        s += (uint32_t)(p[n - 1] << 8);
    return s;
}

/* Sets the TCP/UDP/ICMPv6 checksum at l4[coff] for an IPv4 (ver 4) or IPv6 packet at ip. */
static inline void dt_l4_csum(const uint8_t *ip, int ver, uint8_t *l4, size_t l4len, uint8_t proto,
                              size_t coff)
{
    l4[coff] = l4[coff + 1] = 0;
    uint32_t ps = ver == 4 ? dt_sum(ip + 12, 8) : dt_sum(ip + 8, 32);
    ps += proto + (uint32_t)l4len;
    uint16_t c = pkt_cksum(l4, l4len, ps);
    if (proto == 17 && c == 0)
        c = 0xFFFF;
    dt_put16(l4 + coff, c);
}

/* Ethernet header with type; returns 14. */
static inline size_t dt_eth(uint8_t *out, uint16_t type)
{
    static const uint8_t macs[12] = {0, 1, 2, 3, 4, 5, 0, 6, 7, 8, 9, 10};
    memcpy(out, macs, 12);
    dt_put16(out + 12, type);
    return 14;
}

/* A UDP datagram (header + payload) at out; checksum left 0. Returns 8 + plen. */
static inline size_t dt_udp(uint8_t *out, uint16_t sp, uint16_t dp, const void *pl, size_t plen)
{
    if (plen)
        memmove(out + 8, pl, plen);
    dt_put16(out, sp);
    dt_put16(out + 2, dp);
    dt_put16(out + 4, (uint16_t)(8 + plen));
    dt_put16(out + 6, 0);
    return 8 + plen;
}

#endif
