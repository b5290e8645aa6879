/* fuzz_asn1.c — the asn1 keyword's BER walk (src/detect/rule_asn1.c) on arbitrary payloads.
 *
 * Input: [flags][absolute_offset:2][relative_offset:2, signed][oversize_length:4]
 * [buffer_offset:2][payload]. flags are vg_asn1_t's VG_ASN1_* bits; every field is taken as
 * given (offsets past the payload included), so the walk's bounds are what is exercised. The
 * option parser is fuzzed through fuzz_rules (asn1 is in the rules dictionary).
 */
#include "fuzz_common.h"

#include "detect/rule_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 11)
        return 0;
    vg_asn1_t a;
    memset(&a, 0, sizeof(a));
    a.flags = data[0] & 0x1f;
    a.absolute_offset = (uint16_t)(data[1] << 8 | data[2]);
    a.relative_offset = (int16_t)(data[3] << 8 | data[4]);
    a.oversize_length = (uint32_t)data[5] << 24 | (uint32_t)data[6] << 16 |
                        (uint32_t)data[7] << 8 | data[8];
    uint32_t boff = (uint32_t)(data[9] << 8 | data[10]);
    size_t n = size - 11;
    /* a copy of exactly n bytes, so that ASan sees any read past the payload */
    uint8_t *p = malloc(n ? n : 1);
    memcpy(p, data + 11, n);
    bool m = vg_asn1_match(&a, p, (uint32_t)n, boff);
    fz_touch(&m, sizeof m);
    free(p);
    return 0;
}
