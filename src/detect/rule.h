/* rule.h — the in-memory form of one signature, as the parser leaves it for the evaluators.
 *
 * Built by rule_parse.c (via vg_ruleset_load_*), read by eval.c (the naive reference evaluator)
 * and later by the Hyperscan prefilter. Everything a matcher needs is resolved at load time:
 * buffers are enum ids, keywords are tagged unions, flowbit/flowint names are interned to small
 * integer ids, addresses and ports are sorted range sets — no string compares at match time.
 *
 * Lifetime: a vg_rule_t and everything it points to live in its ruleset's arena and are
 * immutable once the ruleset is loaded; they die with vg_ruleset_free(). Read-only from any
 * thread.
 */
#ifndef VG_DETECT_RULE_H
#define VG_DETECT_RULE_H

#include "app/app.h"
#include "common/common.h"

#include <stdbool.h>
#include <stdint.h>

/* Buffers a rule can inspect: the app-layer sticky buffers (enum vg_app_buf, same values) plus
 * the packet/stream payload. */
enum {
    VG_DBUF_PAYLOAD = VG_BUF_MAX, /* pkt_data / plain content: packet payload or stream data */
    VG_DBUF_MAX,
};

enum vg_rule_action {
    VG_ACT_ALERT, VG_ACT_PASS, VG_ACT_DROP, VG_ACT_REJECT,
    VG_ACT_REJECTSRC, VG_ACT_REJECTDST, VG_ACT_REJECTBOTH,
};

/* vg_rule_t.l4: which transport protocols the header allows (bit set). */
enum {
    VG_L4_TCP = 1u << 0, VG_L4_UDP = 1u << 1, VG_L4_ICMP4 = 1u << 2, VG_L4_ICMP6 = 1u << 3,
    VG_L4_OTHER = 1u << 4, /* any other IP protocol (header "ip") */
    VG_L4_ANY = 0x1f,
};

/* vg_rule_t.flags */
enum {
    VG_RULE_BIDIR = 1u << 0,      /* <> */
    VG_RULE_TCP_PKT = 1u << 1,    /* header tcp-pkt: packet payload only */
    VG_RULE_TCP_STREAM = 1u << 2, /* header tcp-stream: stream data only */
    VG_RULE_NOALERT = 1u << 3,    /* flowbits:noalert / noalert */
    VG_RULE_SAMEIP = 1u << 4,
    VG_RULE_TARGET_SRC = 1u << 5, /* target:src_ip */
    VG_RULE_TARGET_DST = 1u << 6, /* target:dest_ip */
    VG_RULE_HAS_FP = 1u << 7,     /* a content carries fast_pattern */
    VG_RULE_PD_ONLY = 1u << 8,    /* app-layer-protocol with nothing to inspect: judged only on
                                   * the packet that decides the flow's protocol (per direction) */
    VG_RULE_PD_DIR = 1u << 10,    /* app-layer-protocol per direction with nothing to inspect:
                                   * judged when a direction's own protocol is decided */
    VG_RULE_CAPTURES = 1u << 11,  /* a pcre stores captures into flow variables */
    /* TCP payload inspection as Suricata's SIG_FLAG_REQUIRE_PACKET/STREAM: PKT_ONLY rules
     * (tcp-pkt, flow:no_stream, dsize) see only packet payloads, never a raw-stream window;
     * REQ_PACKET rules (those, and rules with a payload content anchored by depth/offset/
     * startswith) see the payload of a packet whose data went into the stream too; the others
     * see such a packet's bytes only in a raw-stream window (VG_DIN_STREAM_ADD). */
    VG_RULE_PKT_ONLY = 1u << 12,
    VG_RULE_REQ_PACKET = 1u << 13,
    VG_RULE_TX_PER_DIR = 1u << 9, /* a transaction rule that matches at most once per direction
                                   * (ssl_version: each side's own version), not once per tx */
    /* an application-protocol rule (alert http ...) with nothing to inspect: as in Suricata 7, a
     * packet rule that matches every packet of a flow whose protocol is known (see
     * VG_DIN_PROTO_PRIOR) */
    VG_RULE_APP_BARE = 1u << 14,
    /* Suricata 7's IP-only and "like IP-only" rules: nothing but addresses, ports (any protocol),
     * flowbits set, xbits, tag and threshold/detection_filter (no content or buffer, no flow,
     * no packet keyword, no other flowbits, no flowint, no app protocol). Inspected once per
     * flow direction, on its first packet (VG_DIN_IPONLY_DONE on the later ones). */
    VG_RULE_IP_ONLY = 1u << 15,
    /* a decode-event rule: it can only match a packet the decoder raised an event on, so it is
     * a candidate for those packets only; with nothing but header keywords besides (Suricata's
     * "decoder event only" rules) it is also inspected on packets too malformed for a flow
     * (VG_DIN_DECODER) */
    VG_RULE_DECODE_EV = 1u << 16,
    /* a stream-event rule: a candidate only for a packet the stream stage raised an event on */
    VG_RULE_STREAM_EV = 1u << 17,
};

/* flow: keyword bits (vg_rule_t.flow). */
enum {
    VG_RFLOW_ESTABLISHED = 1u << 0, VG_RFLOW_NOT_ESTABLISHED = 1u << 1, VG_RFLOW_STATELESS = 1u << 2,
    VG_RFLOW_TOSERVER = 1u << 3, VG_RFLOW_TOCLIENT = 1u << 4,
    VG_RFLOW_ONLY_STREAM = 1u << 5, VG_RFLOW_NO_STREAM = 1u << 6,
};

/* --- address and port sets --------------------------------------------------------------- */

typedef struct vg_ip6_range { uint8_t lo[16], hi[16]; } vg_ip6_range_t;
typedef struct vg_ip4_range { uint32_t lo, hi; } vg_ip4_range_t; /* host order, inclusive */

/* A resolved address expression: sorted, disjoint, merged ranges per family. Shared between
 * rules that spell the same expression. */
typedef struct vg_addr_set {
    bool any4, any6; /* whole family (fast path; ranges then empty) */
    uint32_t n4, n6;
    vg_ip4_range_t *r4;
    vg_ip6_range_t *r6;
} vg_addr_set_t;

typedef struct vg_port_range { uint16_t lo, hi; } vg_port_range_t;
typedef struct vg_port_set {
    bool any;
    uint32_t n;
    vg_port_range_t *r; /* sorted, disjoint */
} vg_port_set_t;

bool vg_addr_set_match(const vg_addr_set_t *s, const vg_addr_t *a, int ip_ver);
bool vg_port_set_match(const vg_port_set_t *s, uint16_t port);

/* --- integer comparisons (dsize, bsize, urilen, ttl, itype, ...) -------------------------- */

enum vg_cmp_mode { VG_CMP_EQ, VG_CMP_NE, VG_CMP_LT, VG_CMP_LE, VG_CMP_GT, VG_CMP_GE,
                   VG_CMP_RANGE /* lo < v < hi */, VG_CMP_NRANGE /* !(lo < v < hi) */ };
typedef struct vg_cmp {
    uint8_t mode;
    uint64_t a, b;
} vg_cmp_t;

static inline bool vg_cmp_eval(const vg_cmp_t *c, uint64_t v)
{
    switch (c->mode) {
    case VG_CMP_EQ: return v == c->a;
    case VG_CMP_NE: return v != c->a;
    case VG_CMP_LT: return v < c->a;
    case VG_CMP_LE: return v <= c->a;
    case VG_CMP_GT: return v > c->a;
    case VG_CMP_GE: return v >= c->a;
    case VG_CMP_RANGE: return v > c->a && v < c->b;
    case VG_CMP_NRANGE: return !(v > c->a && v < c->b);
    }
    return false;
}

/* --- the inspection chain of one buffer ------------------------------------------------- */

enum vg_sm_type {
    VG_SM_CONTENT, VG_SM_PCRE, VG_SM_BYTE_TEST, VG_SM_BYTE_JUMP, VG_SM_BYTE_EXTRACT,
    VG_SM_BYTE_MATH, VG_SM_ISDATAAT, VG_SM_BSIZE, VG_SM_URILEN,
    /* base64_decode decodes part of the list's buffer; the keywords after the list's
     * VG_SM_BASE64_DATA marker (base64_data) are inspected on the decoded bytes, and the list
     * matches when they do (Suricata's terminal base64 list). At most one per rule. */
    VG_SM_BASE64_DECODE, VG_SM_BASE64_DATA,
};

/* vg_content_t.flags */
enum {
    VG_CT_NOCASE = 1u << 0, VG_CT_NEGATED = 1u << 1,
    VG_CT_DEPTH = 1u << 2, VG_CT_OFFSET = 1u << 3, VG_CT_DISTANCE = 1u << 4, VG_CT_WITHIN = 1u << 5,
    VG_CT_STARTSWITH = 1u << 6, VG_CT_ENDSWITH = 1u << 7,
    VG_CT_FAST_PATTERN = 1u << 8, VG_CT_FP_ONLY = 1u << 9, VG_CT_FP_CHOP = 1u << 10,
    VG_CT_RAWBYTES = 1u << 11,
    VG_CT_DEPTH_VAR = 1u << 12, VG_CT_OFFSET_VAR = 1u << 13,  /* value is a byte_extract slot */
    VG_CT_DISTANCE_VAR = 1u << 14, VG_CT_WITHIN_VAR = 1u << 15,
    /* A later keyword is relative to this content and can succeed at a later occurrence, so a
     * failure downstream retries this content at its next match (Suricata's WITHIN_NEXT). */
    VG_CT_RETRY_NEXT = 1u << 16,
};

typedef struct vg_content {
    const uint8_t *pat;   /* the bytes (nocase: as written; the evaluator folds case) */
    uint32_t len;
    uint32_t flags;
    int32_t offset, depth, distance, within; /* or byte_extract slots with the *_VAR flags */
    uint16_t fp_off, fp_len;                 /* fast_pattern:x,y */
} vg_content_t;

enum { VG_PCRE_RELATIVE = 1u << 0, VG_PCRE_NEGATED = 1u << 1, VG_PCRE_RELATIVE_NEXT = 1u << 2 };
/* A pcre capture group stored into a flow variable when the rule matches: (?P<flow_NAME>...)
 * or the `, flow:NAME,...` list after the flags (group 1, 2, ... in order). */
typedef struct vg_pcre_cap {
    uint32_t group;
    const char *name;     /* the variable's name (interned) */
} vg_pcre_cap_t;

typedef struct vg_pcre {
    void *code;           /* pcre2_code_8 * (owned by the ruleset) */
    const char *source;   /* as written, for reports */
    uint32_t flags;
    uint32_t opts;        /* PCRE2 compile options used */
    uint32_t n_caps;
    const vg_pcre_cap_t *caps;
} vg_pcre_t;

/* byte_* flags */
enum {
    VG_BYTE_RELATIVE = 1u << 0, VG_BYTE_LITTLE = 1u << 1, VG_BYTE_STRING = 1u << 2,
    VG_BYTE_DCE = 1u << 3, VG_BYTE_NEGOP = 1u << 4, VG_BYTE_BITMASK = 1u << 5,
    VG_BYTE_BEGIN = 1u << 6, VG_BYTE_END = 1u << 7, VG_BYTE_ALIGN = 1u << 8,
    VG_BYTE_OFFSET_VAR = 1u << 9, VG_BYTE_VALUE_VAR = 1u << 10, VG_BYTE_NBYTES_VAR = 1u << 11,
};
enum vg_byte_op { VG_BOP_LT, VG_BOP_GT, VG_BOP_EQ, VG_BOP_AND, VG_BOP_XOR, VG_BOP_GE, VG_BOP_LE };
enum vg_math_op { VG_MOP_ADD, VG_MOP_SUB, VG_MOP_MUL, VG_MOP_DIV, VG_MOP_SHL, VG_MOP_SHR };

typedef struct vg_byte {
    uint32_t flags;
    uint8_t nbytes;       /* or slot with VG_BYTE_NBYTES_VAR */
    uint8_t base;         /* 8, 10, 16 for string */
    uint8_t op;           /* byte_test: vg_byte_op; byte_math: vg_math_op */
    uint8_t slot;         /* byte_extract / byte_math result slot */
    int32_t offset;       /* or slot with VG_BYTE_OFFSET_VAR */
    uint64_t value;       /* byte_test value / byte_math rvalue, or slot with VG_BYTE_VALUE_VAR */
    uint32_t multiplier;  /* byte_jump / byte_extract; 1 when unset */
    int32_t post_offset;  /* byte_jump */
    uint32_t align;       /* byte_extract align (2 or 4) */
    uint32_t bitmask;
    uint8_t bitmask_shift;
} vg_byte_t;

enum { VG_ISDATAAT_RELATIVE = 1u << 0, VG_ISDATAAT_NEGATED = 1u << 1, VG_ISDATAAT_VAR = 1u << 2 };
typedef struct vg_isdataat { uint32_t flags; uint32_t value; } vg_isdataat_t;

/* base64_decode: bytes (input bytes to decode, 1..65535, 65535 when not given), offset (from
 * the buffer's start, or from the previous match with relative). */
typedef struct vg_b64 {
    uint32_t offset;
    uint16_t bytes;
    bool relative;
} vg_b64_t;

typedef struct vg_sm {
    uint8_t type; /* vg_sm_type */
    union {
        vg_content_t content;
        vg_pcre_t pcre;
        vg_byte_t byte;
        vg_isdataat_t isdataat;
        vg_cmp_t cmp; /* bsize, urilen */
        vg_b64_t b64; /* base64_decode */
    } u;
} vg_sm_t;

enum vg_xform_type {
    VG_XF_DOTPREFIX, VG_XF_STRIP_WHITESPACE, VG_XF_COMPRESS_WHITESPACE, VG_XF_TO_LOWERCASE,
    VG_XF_TO_UPPERCASE, VG_XF_URL_DECODE, VG_XF_TO_MD5, VG_XF_TO_SHA1, VG_XF_TO_SHA256,
    VG_XF_XOR, VG_XF_HEADER_LOWERCASE,
};
#define VG_MAX_XFORMS 8
typedef struct vg_xform {
    uint8_t type;
    uint8_t key_len;      /* xor */
    const uint8_t *key;
} vg_xform_t;

/* vg_rule_list_t.flags */
enum {
    VG_LIST_ALT_BUF = 1u << 0, /* also inspect alt_buf (direction-dependent buffers) */
};

/* One inspection list: a buffer (after transforms) and the keywords evaluated on it in order. */
typedef struct vg_rule_list {
    uint8_t buf;          /* VG_BUF_* or VG_DBUF_PAYLOAD */
    uint8_t alt_buf;      /* with VG_LIST_ALT_BUF: the to-client twin (response header/body) */
    uint8_t flags;
    uint8_t n_xform;
    vg_xform_t xform[VG_MAX_XFORMS];
    uint32_t n_sm;
    vg_sm_t *sm;
} vg_rule_list_t;

/* --- packet keywords ------------------------------------------------------------------- */

enum vg_pm_type {
    VG_PM_TTL, VG_PM_DSIZE, VG_PM_ITYPE, VG_PM_ICODE, VG_PM_ICMP_ID, VG_PM_ICMP_SEQ,
    VG_PM_IP_PROTO, VG_PM_IP_ID, VG_PM_TCP_SEQ, VG_PM_TCP_ACK, VG_PM_WINDOW, VG_PM_TCP_MSS,
    VG_PM_FLAGS, VG_PM_FRAGBITS, VG_PM_TLS_VERSION,
    VG_PM_APP_PROTO,       /* app-layer-protocol: cmp.a = enum vg_app_proto, bits_mode = negated,
                            * mask = 0 the flow's protocol, 1 to_server's, 2 to_client's;
                            * bits = 1: mode original (the protocol before an in-band change) */
    VG_PM_SSL_VERSION,     /* ssl_version: bits = versions listed, mask = versions negated (one
                            * bit each: VG_SSLV_*), the current direction's side compared */
    VG_PM_STREAM_SIZE,     /* stream_size: bits = VG_SSZ_*, cmp against the byte count(s) */
    VG_PM_FTPBOUNCE,       /* ftpbounce: the flow's FTP state (VG_DIN_FTPBOUNCE) */
    VG_PM_FTPDATA_CMD,     /* ftpdata_command: bits = VG_DIN_FTPDATA_RETR or _STOR */
    VG_PM_APP_EVENT,       /* app-layer-event: cmp.a = the event's bit in the transaction's
                            * events (vg_detect_input_t.app_events) */
    VG_PM_ASN1,            /* asn1: the checks in .asn1 on the packet's payload, judged after
                            * the rule's lists matched (Suricata's packet match list) */
    VG_PM_DECODE_EVENT,    /* decode-event: cmp.a = the decoder's event code, raised on the
                            * packet (vg_packet_t.events) */
    VG_PM_CSUM,            /* ipv4-csum, tcpv4-csum, ...: bits = enum vg_csum_kind, bits_mode =
                            * 1 valid / 0 invalid (vg_decode_csum_valid) */
    VG_PM_IP_VER,          /* header protocol ipv4/ip4, ipv6/ip6: cmp.a = 4 or 6 */
    VG_PM_STREAM_EVENT,    /* stream-event: cmp.a = the stream event's code, raised on the
                            * packet (vg_detect_input_t.stream_ev) */
};
enum { VG_SSZ_SERVER, VG_SSZ_CLIENT, VG_SSZ_BOTH, VG_SSZ_EITHER };
enum { VG_SSLV_2, VG_SSLV_3, VG_SSLV_TLS10, VG_SSLV_TLS11, VG_SSLV_TLS12, VG_SSLV_TLS13,
};
/* flags/fragbits modifier */
enum { VG_BITS_EXACT, VG_BITS_PLUS /* + all of, others allowed */, VG_BITS_ANY /* * */,
       VG_BITS_NOT /* ! none of */ };
/* asn1: which checks and where decoding starts (vg_asn1_t.flags) */
enum {
    VG_ASN1_BITSTRING_OVERFLOW = 1u << 0, VG_ASN1_DOUBLE_OVERFLOW = 1u << 1,
    VG_ASN1_OVERSIZE = 1u << 2,        /* oversize_length given */
    VG_ASN1_ABSOLUTE = 1u << 3,        /* absolute_offset given (wins over relative_offset) */
    VG_ASN1_RELATIVE = 1u << 4,        /* relative_offset given */
};
typedef struct vg_asn1 {
    uint8_t flags;
    uint16_t absolute_offset;
    int32_t relative_offset;           /* -65535..65535, from the payload match's end */
    uint32_t oversize_length;
} vg_asn1_t;

typedef struct vg_pkt_match {
    uint8_t type;          /* vg_pm_type */
    uint8_t bits_mode;     /* flags/fragbits */
    uint8_t bits, mask;    /* flags/fragbits: wanted bits, ignored bits */
    vg_cmp_t cmp;
    vg_asn1_t asn1;        /* VG_PM_ASN1 */
} vg_pkt_match_t;

/* Packet matches judged on the flow's application-layer state rather than the packet's header
 * (tls.version, ssl_version, ftpbounce, ftpdata_command, app-layer-event): evaluated without a packet too, and
 * they keep an otherwise bare application-protocol rule a transaction rule. */
static inline bool vg_pm_is_app_state(uint8_t type)
{
    return type == VG_PM_TLS_VERSION || type == VG_PM_SSL_VERSION || type == VG_PM_FTPBOUNCE ||
           type == VG_PM_FTPDATA_CMD || type == VG_PM_APP_EVENT;
}

/* --- flow state keywords ----------------------------------------------------------------- */

enum vg_fb_cmd { VG_FB_SET, VG_FB_UNSET, VG_FB_TOGGLE, VG_FB_ISSET, VG_FB_ISNOTSET };
typedef struct vg_flowbit {
    uint8_t cmd;
    uint8_t n;             /* names ORed (isset/isnotset a|b) */
    uint32_t *ids;         /* interned ids, see vg_ruleset_flowbit_name() */
} vg_flowbit_t;

/* xbits: bits kept per host (track ip_src / ip_dst) or per address pair (track ip_pair, either
 * order) for the whole process, with an expiry in packet time. cmd is a VG_FB_* command. */
enum vg_xbit_track { VG_XB_IPSRC, VG_XB_IPDST, VG_XB_IPPAIR };
typedef struct vg_xbit {
    uint8_t cmd;
    uint8_t track;
    uint32_t id;           /* interned; host bits and pair bits are separate name spaces */
    uint32_t expire;       /* seconds after the setting packet (Suricata's default: 30) */
} vg_xbit_t;

enum vg_fi_op { VG_FI_ADD, VG_FI_SUB, VG_FI_SET, VG_FI_EQ, VG_FI_NE, VG_FI_LT, VG_FI_GT,
                VG_FI_LE, VG_FI_GE, VG_FI_ISSET, VG_FI_NOTSET };
typedef struct vg_flowint {
    uint8_t op;
    bool value_is_var;
    uint32_t id;           /* interned flowint id */
    uint32_t value;        /* number, or flowint id when value_is_var */
} vg_flowint_t;

enum vg_thr_type { VG_THR_NONE, VG_THR_LIMIT, VG_THR_THRESHOLD, VG_THR_BOTH, VG_THR_DETECTION,
                   VG_THR_BACKOFF };
/* VG_TRACK_FLOW: the state lives in the flow's variables (vg_flowvars_t), not the shared table */
enum vg_thr_track { VG_TRACK_SRC, VG_TRACK_DST, VG_TRACK_RULE, VG_TRACK_BOTH, VG_TRACK_FLOW };
typedef struct vg_threshold {
    uint8_t type, track;
    uint32_t count, seconds;
    uint32_t multiplier;        /* backoff: the next alert at count, count*m, count*m*m, ... */
    uint8_t unique_on;          /* detection_filter unique_on (Suricata 9): VG_UNIQUE_* */
} vg_threshold_t;
enum { VG_TAG_NONE, VG_TAG_PACKETS, VG_TAG_SECONDS, VG_TAG_BYTES };
/* detection_filter unique_on: count distinct ports of the tracked matches instead of matches */
enum { VG_UNIQUE_NONE, VG_UNIQUE_SRC_PORT, VG_UNIQUE_DST_PORT };

typedef struct vg_reference { const char *system, *value; } vg_reference_t;

/* --- the rule ----------------------------------------------------------------------------- */

typedef struct vg_rule {
    uint32_t id;                /* index in the ruleset */
    uint32_t sid, gid, rev;
    int priority;               /* from priority:, else the classtype's, else 3 */
    uint8_t action;             /* vg_rule_action */
    uint8_t l4;                 /* VG_L4_* */
    uint8_t app_proto;          /* enum vg_app_proto; VG_APP_UNKNOWN = none required */
    uint32_t flags;             /* VG_RULE_* */
    uint8_t flow;               /* VG_FLOW_* */

    const vg_addr_set_t *src, *dst;
    const vg_port_set_t *sp, *dp;

    const char *msg;
    const char *classtype;      /* short name or NULL */
    const char *class_desc;     /* long description (classification.config) or NULL */
    const char *metadata;       /* raw metadata text (joined), or NULL */
    uint32_t n_refs;
    vg_reference_t *refs;

    uint32_t n_lists;
    vg_rule_list_t *lists;      /* all must match */
    uint32_t n_pm;
    vg_pkt_match_t *pm;         /* all must match */
    uint32_t n_flowbits;
    vg_flowbit_t *flowbits;     /* conditions checked, actions applied after a match */
    uint32_t n_flowints;
    vg_flowint_t *flowints;
    uint32_t n_xbits;
    vg_xbit_t *xbits;           /* like flowbits, on the shared host / address-pair table */
    vg_threshold_t threshold;   /* threshold: or detection_filter: (type NONE when absent) */
    uint8_t tag_metric;         /* tag:session — VG_TAG_* (NONE: no tag) */
    uint32_t tag_count;         /* packets, seconds or bytes tagged after the alert */
    struct {                    /* tag:host on the alerting packet's [0] source, [1] destination */
        uint8_t metric;         /* VG_TAG_* (NONE: none) */
        uint32_t count;
    } host_tag[2];
    uint8_t n_byte_vars;        /* byte_extract/byte_math slots used */

    const char *file;           /* where it was read */
    uint32_t line;
    const char *text;           /* the rule as written (without leading action spacing) */
} vg_rule_t;

#endif
