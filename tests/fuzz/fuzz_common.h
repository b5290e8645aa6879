/* fuzz_common.h — what every harness in tests/fuzz/ shares: the libFuzzer entry point, a cursor
 * over the fuzzer's bytes, and helpers that make the sanitizers look at borrowed buffers.
 *
 * Input framing used by the harnesses that need a sequence (packets, segments, chunks): records
 * read with fz_u8 / fz_u16 / fz_take. A length that runs past the end is clamped to what is
 * left, so every input is valid and a mutation of one length never throws the rest away.
 */
#ifndef VG_FUZZ_COMMON_H
#define VG_FUZZ_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct fz {
    const uint8_t *p;
    size_t n;
} fz_t;

static inline bool fz_more(const fz_t *f) { return f->n > 0; }

static inline uint8_t fz_u8(fz_t *f)
{
    if (f->n == 0)
        return 0;
    f->n--;
    return *f->p++;
}

static inline uint16_t fz_u16(fz_t *f)
{
    uint16_t hi = fz_u8(f);
    return (uint16_t)(hi << 8 | fz_u8(f));
}

static inline uint32_t fz_u32(fz_t *f)
{
    uint32_t hi = fz_u16(f);
    return hi << 16 | fz_u16(f);
}

/* Up to n bytes from the cursor (fewer at the end); *got receives the count. */
static inline const uint8_t *fz_take(fz_t *f, size_t n, size_t *got)
{
    if (n > f->n)
        n = f->n;
    const uint8_t *r = f->p;
    f->p += n;
    f->n -= n;
    *got = n;
    return r;
}

/* A heap copy of exactly n bytes, so that AddressSanitizer catches a read one past the end
 * (the fuzzer's own buffer may sit inside a larger allocation). */
static inline uint8_t *fz_dup(const uint8_t *p, size_t n)
{
    uint8_t *c = malloc(n ? n : 1);
    if (!c)
        abort();
    if (n)
        memcpy(c, p, n);
    return c;
}

/* Read every byte of a borrowed buffer, so a bad pointer/length pair is reported here, at the
 * API boundary, and not later in a consumer. */
static inline void fz_touch(const void *p, size_t n)
{
    const volatile uint8_t *b = p;
    uint8_t acc = 0;
    for (size_t i = 0; i < n; i++)
        acc ^= b[i];
    (void)acc;
}

#endif
