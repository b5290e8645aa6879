/* flow_id.c — the identifiers other tools use to find a flow.
 *
 * flow_id: as Suricata builds it (FlowGetId): low 16 bits of the start seconds, low 16 bits of the
 * start microseconds, and the 32-bit flow hash, masked to 51 bits so JavaScript readers keep it
 * exact. Unique per sensor and capture, not across sensors.
 *
 * Community ID v1 (https://github.com/corelight/community-id-spec): SHA-1 over
 * seed(2, BE) | src addr | dst addr | proto(1) | 0(1) | src port(2, BE) | dst port(2, BE), with the
 * endpoints ordered so that both directions give the same id, base64-encoded, prefixed "1:".
 * For ICMP the "ports" are the type and the type of the matching reply (or the code when the
 * message has no reply type, which makes the flow one-way and unordered).
 */
#include "flow/flow.h"

#include <stdatomic.h>
#include <string.h>

/* SHA-1 of a message of at most 55 bytes (one block): the Community ID input is at most 40.
 * Done here rather than through OpenSSL's EVP_Digest, whose per-call provider lookup and context
 * set-up cost ~5,000 instructions, a third of writing a whole flow event. */
static inline uint32_t rol(uint32_t x, int n) { return (x << n) | (x >> (32 - n)); }

static void sha1_short_scalar(const uint8_t *msg, size_t n, uint8_t out[20])
{
    uint8_t blk[64] = {0};
    memcpy(blk, msg, n);
    blk[n] = 0x80;
    uint64_t bits = (uint64_t)n * 8;
    for (int i = 0; i < 8; i++)
        blk[63 - i] = (uint8_t)(bits >> (8 * i));
    uint32_t wv[80];
    for (int i = 0; i < 16; i++)
        wv[i] = (uint32_t)blk[4 * i] << 24 | (uint32_t)blk[4 * i + 1] << 16 |
                (uint32_t)blk[4 * i + 2] << 8 | blk[4 * i + 3];
#pragma GCC unroll 20
    for (int i = 16; i < 80; i++)
        wv[i] = rol(wv[i - 3] ^ wv[i - 8] ^ wv[i - 14] ^ wv[i - 16], 1);
    uint32_t h[5] = {0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0};
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], t;
#define ROUND(f, k)                                                                                \
    do {                                                                                           \
        t = rol(a, 5) + (f) + e + (k) + wv[i];                                                     \
        e = d;                                                                                     \
        d = c;                                                                                     \
        c = rol(b, 30);                                                                            \
        b = a;                                                                                     \
        a = t;                                                                                     \
    } while (0)
    int i = 0;
#pragma GCC unroll 20
    for (; i < 20; i++)
        ROUND((b & c) | (~b & d), 0x5A827999u);
#pragma GCC unroll 20
    for (; i < 40; i++)
        ROUND(b ^ c ^ d, 0x6ED9EBA1u);
#pragma GCC unroll 20
    for (; i < 60; i++)
        ROUND((b & c) | (b & d) | (c & d), 0x8F1BBCDCu);
#pragma GCC unroll 20
    for (; i < 80; i++)
        ROUND(b ^ c ^ d, 0xCA62C1D6u);
#undef ROUND
    h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e;
    for (int k = 0; k < 5; k++) {
        out[4 * k] = (uint8_t)(h[k] >> 24);
        out[4 * k + 1] = (uint8_t)(h[k] >> 16);
        out[4 * k + 2] = (uint8_t)(h[k] >> 8);
        out[4 * k + 3] = (uint8_t)h[k];
    }
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <cpuid.h>
#include <immintrin.h>
/* The same with the x86 SHA extensions (one block: ~100 cycles instead of ~1,900 instructions;
 * a flow event's Community ID was ~9% of the flow stage on attack traffic). */
__attribute__((target("sha,ssse3,sse4.1"))) static void sha1_short_ni(const uint8_t *msg, size_t n,
                                                                        uint8_t out[20])
{
    uint8_t blk[64] = {0};
    memcpy(blk, msg, n);
    blk[n] = 0x80;
    uint64_t bits = (uint64_t)n * 8;
    for (int i = 0; i < 8; i++)
        blk[63 - i] = (uint8_t)(bits >> (8 * i));
    const __m128i mask = _mm_set_epi64x(0x0001020304050607ULL, 0x08090a0b0c0d0e0fULL);
    __m128i abcd = _mm_set_epi32(0x67452301, (int)0xEFCDAB89, (int)0x98BADCFE, 0x10325476);
    __m128i abcd_save = abcd, e_save = _mm_set_epi32((int)0xC3D2E1F0, 0, 0, 0);
    __m128i e[2] = {e_save, e_save};
    __m128i m[4];
    for (int i = 0; i < 4; i++)
        m[i] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(blk + 16 * i)), mask);
#define G(g, F)                                                                                    \
    do {                                                                                           \
        if ((g) == 0)                                                                              \
            e[0] = _mm_add_epi32(e[0], m[0]);                                                      \
        else                                                                                       \
            e[(g) & 1] = _mm_sha1nexte_epu32(e[(g) & 1], m[(g) % 4]);                              \
        e[((g) + 1) & 1] = abcd;                                                                   \
        if ((g) >= 3 && (g) <= 18)                                                                 \
            m[((g) + 1) % 4] = _mm_sha1msg2_epu32(m[((g) + 1) % 4], m[(g) % 4]);                   \
        abcd = _mm_sha1rnds4_epu32(abcd, e[(g) & 1], F);                                           \
        if ((g) >= 1 && (g) <= 16)                                                                 \
            m[((g) + 3) % 4] = _mm_sha1msg1_epu32(m[((g) + 3) % 4], m[(g) % 4]);                   \
        if ((g) >= 2 && (g) <= 17)                                                                 \
            m[((g) + 2) % 4] = _mm_xor_si128(m[((g) + 2) % 4], m[(g) % 4]);                        \
    } while (0)
    G(0, 0); G(1, 0); G(2, 0); G(3, 0); G(4, 0);
    G(5, 1); G(6, 1); G(7, 1); G(8, 1); G(9, 1);
    G(10, 2); G(11, 2); G(12, 2); G(13, 2); G(14, 2);
    G(15, 3); G(16, 3); G(17, 3); G(18, 3); G(19, 3);
#undef G
    __m128i e0 = _mm_sha1nexte_epu32(e[0], e_save);
    abcd = _mm_add_epi32(abcd, abcd_save);
    uint32_t h[5];
    h[0] = (uint32_t)_mm_extract_epi32(abcd, 3);
    h[1] = (uint32_t)_mm_extract_epi32(abcd, 2);
    h[2] = (uint32_t)_mm_extract_epi32(abcd, 1);
    h[3] = (uint32_t)_mm_extract_epi32(abcd, 0);
    h[4] = (uint32_t)_mm_extract_epi32(e0, 3);
    for (int k = 0; k < 5; k++) {
        out[4 * k] = (uint8_t)(h[k] >> 24);
        out[4 * k + 1] = (uint8_t)(h[k] >> 16);
        out[4 * k + 2] = (uint8_t)(h[k] >> 8);
        out[4 * k + 3] = (uint8_t)h[k];
    }
}

static void sha1_short(const uint8_t *msg, size_t n, uint8_t out[20])
{
    /* every thread computes the same value; relaxed atomics make that well defined */
    static _Atomic int have_ni = -1;
    int ni = atomic_load_explicit(&have_ni, memory_order_relaxed);
    if (ni < 0) {
        /* CPUID directly: clang 14's __builtin_cpu_supports does not know "sha".
         * SSE4.1 is leaf 1 ECX bit 19; SHA is leaf 7 (subleaf 0) EBX bit 29. */
        unsigned a, b, c, d;
        ni = __get_cpuid(1, &a, &b, &c, &d) && (c & (1u << 19)) &&
             __get_cpuid_count(7, 0, &a, &b, &c, &d) && (b & (1u << 29));
        atomic_store_explicit(&have_ni, ni, memory_order_relaxed);
    }
    if (ni)
        sha1_short_ni(msg, n, out);
    else
        sha1_short_scalar(msg, n, out);
}
#else
static void sha1_short(const uint8_t *msg, size_t n, uint8_t out[20])
{
    sha1_short_scalar(msg, n, out);
}
#endif

uint64_t vg_flow_id(const vg_flow_t *f)
{
    uint64_t secs = f->start / VG_USEC_PER_SEC, usecs = f->start % VG_USEC_PER_SEC;
    uint64_t id = (secs & 0xFFFF) << 48 | (usecs & 0xFFFF) << 32 | f->hash;
    return id & 0x7ffffffffffffULL;
}

/* ICMP type → type of its counterpart, or -1. */
static int icmp_counterpart(uint8_t proto, uint8_t type)
{
    static const int v4[][2] = {{8, 0}, {0, 8}, {13, 14}, {14, 13}, {15, 16}, {16, 15},
                                {10, 9}, {9, 10}, {17, 18}, {18, 17}};
    static const int v6[][2] = {{128, 129}, {129, 128}, {133, 134}, {134, 133}, {135, 136},
                                {136, 135}, {130, 131}, {131, 130}, {144, 145}, {145, 144}};
    const int(*tab)[2] = proto == 1 ? v4 : v6;
    for (int i = 0; i < 10; i++)
        if (tab[i][0] == type)
            return tab[i][1];
    return -1;
}

size_t vg_flow_community_id(const vg_flow_t *f, uint16_t seed, char *out)
{
    size_t alen = f->ip_ver == 4 ? 4 : 16;
    const uint8_t *sa = f->addr[0].b, *da = f->addr[1].b;
    uint16_t sp = f->port[0], dp = f->port[1];
    bool one_way = false;
    if (f->proto == 1 || f->proto == 58) {
        /* The initiator's first message decides the type. */
        int side = (f->dir_seen & 1) ? 0 : 1;
        uint8_t type = f->icmp_type[side], code = f->icmp_code[side];
        int cp = icmp_counterpart(f->proto, type);
        if (side == 1) {
            sa = f->addr[1].b;
            da = f->addr[0].b;
        }
        sp = type;
        if (cp >= 0) {
            dp = (uint16_t)cp;
        } else {
            dp = code;
            one_way = true;
        }
    } else if (f->proto != 6 && f->proto != 17 && f->proto != 132) {
        sp = dp = 0;
    }
    bool swap = false;
    if (!one_way) {
        int c = memcmp(sa, da, alen);
        swap = c > 0 || (c == 0 && sp > dp);
    }
    if (swap) {
        const uint8_t *ta = sa;
        sa = da;
        da = ta;
        uint16_t tp = sp;
        sp = dp;
        dp = tp;
    }
    uint8_t buf[2 + 16 + 16 + 2 + 4];
    size_t n = 0;
    buf[n++] = (uint8_t)(seed >> 8);
    buf[n++] = (uint8_t)seed;
    memcpy(buf + n, sa, alen);
    n += alen;
    memcpy(buf + n, da, alen);
    n += alen;
    buf[n++] = f->proto;
    buf[n++] = 0;
    bool has_ports = f->proto == 6 || f->proto == 17 || f->proto == 132 || f->proto == 1 ||
                     f->proto == 58;
    if (has_ports) {
        buf[n++] = (uint8_t)(sp >> 8);
        buf[n++] = (uint8_t)sp;
        buf[n++] = (uint8_t)(dp >> 8);
        buf[n++] = (uint8_t)dp;
    }
    uint8_t md[20];
    sha1_short(buf, n, md);
    memcpy(out, "1:", 2);
    return 2 + vg_base64(md, sizeof md, out + 2);
}
