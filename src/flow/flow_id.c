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

#include <openssl/evp.h>
#include <string.h>

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
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    EVP_Digest(buf, n, md, &mdlen, EVP_sha1(), NULL);
    memcpy(out, "1:", 2);
    int b = EVP_EncodeBlock((unsigned char *)out + 2, md, (int)mdlen);
    out[2 + b] = '\0';
    return (size_t)(2 + b);
}
