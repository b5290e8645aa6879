/* common.h — the few types and helpers every stage shares.
 *
 * Depends on nothing else in Vigil. Thread-safe except where a function says otherwise.
 */
#ifndef VG_COMMON_COMMON_H
#define VG_COMMON_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define VG_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define VG_MIN(a, b) ((a) < (b) ? (a) : (b))
#define VG_MAX(a, b) ((a) > (b) ? (a) : (b))
#define VG_LIKELY(x) __builtin_expect(!!(x), 1)
#define VG_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define VG_MUST_CHECK __attribute__((warn_unused_result))

/* An IP address. IPv4 lives in b[0..3] with b[4..15] zero; the family says which. */
typedef struct vg_addr {
    uint8_t b[16];
} vg_addr_t;

/* Packet time: microseconds since the Unix epoch. All timeouts and windows use packet time. */
typedef uint64_t vg_time_t;
#define VG_USEC_PER_SEC 1000000ULL

/* Allocation that aborts with a message on failure. For start-up and control paths only:
 * the packet path allocates from capped pools and counts failures instead. */
void *vg_xmalloc(size_t n);
void *vg_xcalloc(size_t n, size_t sz);
void *vg_xrealloc(void *p, size_t n);
char *vg_xstrdup(const char *s);

/* Writes all n bytes to fd, going on after EINTR and short writes. 0, or -1 with errno set. */
int vg_write_all(int fd, const void *p, size_t n);

/* How many decimal digits v has (1 for 0): the bit length times log10(2), then one compare. */
static inline size_t vg_u64_digits(uint64_t v)
{
    static const uint64_t pow10[20] = {
        1ull, 10ull, 100ull, 1000ull, 10000ull, 100000ull, 1000000ull, 10000000ull,
        100000000ull, 1000000000ull, 10000000000ull, 100000000000ull, 1000000000000ull,
        10000000000000ull, 100000000000000ull, 1000000000000000ull, 10000000000000000ull,
        100000000000000000ull, 1000000000000000000ull, 10000000000000000000ull};
    if (!v)
        return 1;
    unsigned t = ((unsigned)(64 - __builtin_clzll(v)) * 1233u) >> 12; /* 1233/4096 ~ log10(2) */
    return t + 1 - (v < pow10[t]);
}

/* The decimal digits of v into out (20 bytes, not NUL-terminated); returns how many. Written
 * from the end, two digits per division (an EVE flow event has about twenty numbers, and the
 * digit-a-division loop was about a tenth of a worker's instructions on attack traffic with
 * --stage flow). */
static inline size_t vg_u64_dec(uint64_t v, char out[20])
{
    static const char d2[201] = "00010203040506070809101112131415161718192021222324252627282930"
                                "31323334353637383940414243444546474849505152535455565758596061"
                                "62636465666768697071727374757677787980818283848586878889909192"
                                "93949596979899";
    size_t n = vg_u64_digits(v);
    char *p = out + n;
    while (v >= 100) {
        unsigned r = (unsigned)(v % 100);
        v /= 100;
        p -= 2;
        memcpy(p, d2 + 2 * r, 2);
    }
    if (v >= 10) {
        p -= 2;
        memcpy(p, d2 + 2 * v, 2);
    } else {
        *--p = (char)('0' + v);
    }
    return n;
}

/* Format an address as Suricata writes it: dotted quad, or IPv6 in full uncompressed form
 * ("2001:0db8:0000:...") as Suricata does unless ipv6-compress is set.
 * Returns the length written (without NUL); out needs 40 bytes. */
size_t vg_addr_format(const vg_addr_t *a, int ip_ver, char *out);
/* Standard base64 with padding of n bytes into out (4 * ((n + 2) / 3) + 1 bytes); returns the
 * length written, NUL-terminated. */
size_t vg_base64(const uint8_t *in, size_t n, char *out);
/* The value of one base64 digit (RFC 4648's alphabet), -1 for any other byte. */
int vg_base64_value(uint8_t c);

#endif
