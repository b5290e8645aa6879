/* hash.h — fast non-cryptographic hashing for tables and worker selection. */
#ifndef VG_COMMON_HASH_H
#define VG_COMMON_HASH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline uint64_t vg_hash_mix64(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

/* Hash of n bytes (any alignment), seeded. */
static inline uint64_t vg_hash_bytes(const void *p, size_t n, uint64_t seed)
{
    const unsigned char *s = p;
    uint64_t h = seed ^ (n * 0x9E3779B97F4A7C15ULL);
    while (n >= 8) {
        uint64_t v;
        memcpy(&v, s, 8);
        h = vg_hash_mix64(h ^ v) * 0x9E3779B97F4A7C15ULL;
        s += 8;
        n -= 8;
    }
    uint64_t v = 0;
    memcpy(&v, s, n);
    return vg_hash_mix64(h ^ v ^ ((uint64_t)n << 56));
}

#endif
