/* detect_engine.c — rule groups, candidate selection through prefilters, ordered verification,
 * flowbit actions, thresholds and suppression (see detect_engine.h).
 *
 * Groups: packet rules by transport (TCP, UDP, ICMPv4, ICMPv6, other IP; an `ip` rule is in all
 * five), prefiltered on the payload; transaction rules by application protocol, each assigned to
 * the buffer of its best content (the fast_pattern one, else the longest) and prefiltered there.
 * Within a group, rules carry their position in Suricata's evaluation order; candidates are
 * marked in a per-thread bitmap, sorted by that position and verified one by one.
 */
#include "detect/detect_engine.h"
#include "common/common.h"
#include "common/log.h"
#include "detect/prefilter.h"
#include "detect/prefilter_int.h"
#include "detect/xbits.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

enum { G_TCP, G_UDP, G_ICMP4, G_ICMP6, G_OTHER, G_PKT_N };

typedef struct pf_slot {
    vg_prefilter_t *pf;      /* NULL: every rule of the slot is a candidate */
    int buf;
    int alt_buf;             /* the to-client twin some of its lists also inspect, or -1 */
    uint32_t n;
    uint32_t *pos;           /* prefilter index -> position in the group */
    const vg_rule_t **rules; /* what the prefilter was built over */
    bool ts_stable;          /* transaction slots: every rule is TXF_TS_STABLE and to_server */
    bool has_pkt_only;       /* some rule is VG_RULE_REQ_PACKET (sees payloads beside a window) */
    /* Payload slots with VG_RULE_REQ_PACKET rules and others: a prefilter over only the former,
     * for a payload whose bytes went into the stream (the others see those bytes in a raw-stream
     * window, so scanning them again with the whole slot's database only finds candidates that
     * cannot match: Suricata's separate packet and stream pattern matchers). */
    vg_prefilter_t *pkt_pf;
    uint32_t n_pkt;
    uint32_t *pkt_idx;       /* pkt_pf index -> slot index */
} pf_slot_t;

/* Transaction rules: per position. TXF_TS_STABLE: the rule sees only request buffers that no
 * longer change once the request is complete (no payload, no response twin, no flowbit or
 * flowint condition), so a second to-server verification of the same transaction (VG_DIN_TS_DONE)
 * would give the same result. */
enum { TXF_TS_STABLE = 1,
       /* a rule without a flow direction that inspects a response-side buffer: inspected (and
        * its alert raised) to_client only, as Suricata registers those buffers for that
        * direction alone */
       TXF_TC_ONLY = 2 };

/* Address index for packet rules without a fast pattern (IP reputation lists and other
 * header-only rules, about 1,200 in ET Open): each rule is keyed on the side of its header that
 * covers fewer IPv4 addresses; the key ranges are cut into elementary segments, each with the
 * sorted rules covering it, so a packet finds its candidates with one binary search per address
 * instead of testing every such rule. A rule whose key side also has IPv6 addresses is listed
 * for IPv6 packets as well (ET's Tor lists are IPv6-only). Rules whose sets are both "any" and
 * bidirectional rules are simply always evaluated. */
typedef struct addr_index {
    uint32_t n_seg;
    uint32_t *seg_lo;        /* segment i covers [seg_lo[i], seg_lo[i+1]) (last: to 2^32) */
    uint32_t *seg_off;       /* rules of segment i: pos[seg_off[i] .. seg_off[i+1]) */
    uint32_t *pos;
    /* By the address's top 16 bits h: the segments starting below h << 16 are
     * seg_lo[0 .. by16[h]), so the search for an address is confined to seg_lo[by16[h] ..
     * by16[h+1]) — usually 0 to 2 entries instead of a binary search over all segments (ET's
     * reputation lists give tens of thousands). 65537 entries; NULL when n_seg is small. */
    uint32_t *by16;
} addr_index_t;

#define BY16_MIN_SEG 64 /* fewer segments: a plain binary search */

/* Port index for header-only TCP/UDP rules whose destination (else source) port set is small
 * (ET's "flags:S to port 22" scan rules and the like): a packet looks its port up instead of
 * evaluating every such rule. off has 65537 entries: port p's rules are pos[off[p]..off[p+1]). */
#define PORT_INDEX_MAX 256   /* ports a rule may name to be indexed by port */
typedef struct port_index {
    uint32_t *off;
    uint32_t *pos;
} port_index_t;

#define ADDR_CLASSES 16 /* src in key 0, src in key 1, dst in key 0, dst in key 1 */

typedef struct group {
    uint32_t n;              /* rules in evaluation order */
    const vg_rule_t **rules;
    uint32_t n_always;       /* positions always evaluated */
    uint32_t *always;
    uint32_t n_slots;
    pf_slot_t *slots;
    addr_index_t by_src, by_dst; /* packet groups: header-only rules keyed by address */
    uint32_t n_v6;           /* indexed rules whose key side has IPv6 addresses: for IPv6 */
    uint32_t *v6;
    port_index_t by_dp, by_sp; /* TCP/UDP groups: header-only rules keyed by a small port set */
    /* Packet groups: payload prefilters split the way Suricata splits its rule groups, so a
     * packet scans only literals of rules that could match it: rules naming a small set of
     * destination (else source) ports get one prefilter per port (ports with the same rules
     * share it); the rest are split by flow direction (a rule without one is in both). */
    /* The direction slots are further split by an address class (see addr_class()): ET writes
     * most payload rules as $HOME_NET -> $EXTERNAL_NET or the reverse, so a packet between two
     * home hosts, or two outside ones, need not scan the literals of rules whose address sides
     * cannot both match it. pay_dir[d][k]: slot for direction d and class k, or -1. */
    int pay_dir[2][ADDR_CLASSES];
    const vg_addr_set_t *key_set[2]; /* the two sets the class is computed against (or NULL) */
    /* IPv4 membership in key_set[i] by the address's top 16 bits: KEY16_OUT, KEY16_IN (the
     * whole /16 is outside / inside the set) or KEY16_MIXED (ask vg_addr_set_match()); 65536
     * entries, NULL when key_set[i] is. */
    uint8_t *key16[2];
    int cls_fallback[2];     /* per direction: the slot of the classes no address has, or -1 */
    bool pay_always;         /* a payload slot a packet can use has rules without a literal */
    uint32_t *dp_slot;       /* 65536 entries: 1 + slot index, 0: none (NULL: no port slots) */
    uint32_t *sp_slot;
    uint32_t cap_slots;
    uint8_t *txf;            /* transaction groups: TXF_* per position */
    /* packet groups: decode-event rules (VG_RULE_DECODE_EV), candidates only for a packet the
     * decoder raised an event on; none of the structures above holds them */
    uint32_t n_on_event;
    uint32_t *on_event;
    uint32_t n_on_stream_ev; /* likewise stream-event rules (VG_RULE_STREAM_EV) */
    uint32_t *on_stream_ev;
} group_t;

/* Threshold and detection_filter state is the engine's, shared by every worker's context: a
 * source's matches land on different workers (they own IP pairs, not hosts), and Suricata
 * counts them per host for the whole process. Only matched rules with a threshold reach it. */
typedef struct thr_shared {
    pthread_mutex_t mu;
    vg_threshold_table_t *t;
    vg_xbit_table_t *xb;     /* xbits (host and address-pair bits); NULL when no rule has them.
                              * Shared for the same reason; behind the same lock. */
} thr_shared_t;

struct vg_detect_engine {
    vg_ruleset_t *rs;
    thr_shared_t *thr;
    group_t pkt[G_PKT_N];
    group_t tx[VG_APP_MAX];
    uint32_t max_group;
};

enum { S_ALERT, S_SUPPRESSED, S_THRESHOLDED, S_CANDIDATES, S_EVALS, S_PCRE_LIMIT, S_MEMO_HITS,
       S_BITMAP_FAIL, S_BITMAP_MEMUSE, S_XBIT_EVICT, S_N };
static const char *const stat_names[S_N] = {
    "detect.alert", "detect.alerts_suppressed", "detect.alerts_thresholded",
    "detect.candidates", "detect.evals", "detect.pcre_limit_hits", "detect.scan_memo_hits",
    "detect.thresholds.bitmap_alloc_fail", "detect.thresholds.bitmap_memuse",
    "detect.xbits.evictions",
};
static const vg_stats_table_t stats_table = {stat_names, S_N};

/* Scan memo for transaction buffers. A prefilter's output depends only on its database and the
 * bytes scanned, and transaction buffers repeat: the second inspection of a transaction scans
 * its request buffers again (their slots hold rules that may still match on the to-client side
 * or with flowbits set since), and the method, Host, User-Agent, Accept... of one client are the
 * same from request to request. A short buffer's scan result is kept in a direct-mapped table
 * keyed by (slot, hash of the bytes) and reused when slot, length and bytes are all equal (the
 * bytes are compared, so a hash collision only costs a scan). Per context (worker), so no
 * locking; entries are overwritten, never freed. */
#define MEMO_N 1024          /* entries (power of two) */
#define MEMO_MAX_LEN 256     /* longer buffers are scanned every time */
#define MEMO_MAX_HITS 30     /* scans reporting more rules are not kept */
typedef struct memo_ent {
    const void *slot;        /* NULL: empty entry */
    uint64_t h;
    uint32_t len, k;
    uint32_t hits[MEMO_MAX_HITS]; /* the prefilter's output (slot indices) */
    uint8_t data[MEMO_MAX_LEN];
} memo_ent_t;

struct vg_detect_ctx {
    const vg_detect_engine_t *e;
    memo_ent_t *memo;        /* MEMO_N entries */
    vg_detect_thread_t *t;
    vg_prefilter_scratch_t *pfs;
    uint64_t *mark;          /* candidate bitset over group positions */
    uint32_t mark_lo, mark_hi; /* words touched since the last finish */
    const vg_packet_t *pre;  /* packet for the port pre-check of packet rules, or NULL */
    bool pkt_only;           /* scan_slot keeps only VG_RULE_REQ_PACKET rules: the payload
                              * scan beside a raw-stream window */
    uint32_t *cand;          /* max_group entries */
    uint32_t *scan;          /* max_group entries: prefilter output */
    uint8_t *tx_done;        /* per position: already alerted in this tx */
    vg_detect_tx_seen_fn tx_seen; /* matched in an earlier inspection of the tx (may be NULL) */
    vg_detect_fv_make_fn fv_make; /* makes the flow's variables on demand (may be NULL) */
    vg_time_t now;           /* the inspection's packet time (xbits) */
    uint64_t stats[S_N];
};

/* ---- classification ---- */

static enum vg_app_proto buf_proto(int b)
{
    if (b >= VG_BUF_HTTP_URI && b <= VG_BUF_HTTP_LOCATION)
        return VG_APP_HTTP;
    if (b == VG_BUF_DNS_QUERY)
        return VG_APP_DNS;
    if (b >= VG_BUF_TLS_SNI && b <= VG_BUF_TLS_CERTS)
        return VG_APP_TLS;
    if (b >= VG_BUF_SSH_PROTO && b <= VG_BUF_SSH_SOFTWARE_TC)
        return VG_APP_SSH;
    if (b == VG_BUF_SMTP_FILE_DATA)
        return VG_APP_SMTP;
    return VG_APP_UNKNOWN;
}

/* HTTP buffers made from the request alone: fixed once the request is complete. (Cookie,
 * content type, content length and Connection fall back to the response's header.) */
static bool buf_request_only(int b)
{
    switch (b) {
    case VG_BUF_HTTP_URI: case VG_BUF_HTTP_URI_RAW: case VG_BUF_HTTP_METHOD:
    case VG_BUF_HTTP_HOST: case VG_BUF_HTTP_HOST_RAW: case VG_BUF_HTTP_USER_AGENT:
    case VG_BUF_HTTP_HEADER: case VG_BUF_HTTP_HEADER_RAW: case VG_BUF_HTTP_HEADER_NAMES:
    case VG_BUF_HTTP_REFERER: case VG_BUF_HTTP_ACCEPT: case VG_BUF_HTTP_ACCEPT_ENC:
    case VG_BUF_HTTP_ACCEPT_LANG: case VG_BUF_HTTP_REQUEST_LINE: case VG_BUF_HTTP_REQUEST_BODY:
    case VG_BUF_HTTP_PROTOCOL: case VG_BUF_HTTP_START:
        return true;
    default:
        return false;
    }
}

/* Buffers only the server's side of a transaction fills (Suricata's to-client engines). */
static bool buf_response_only(int b)
{
    switch (b) {
    case VG_BUF_HTTP_STAT_CODE: case VG_BUF_HTTP_STAT_MSG: case VG_BUF_HTTP_RESPONSE_LINE:
    case VG_BUF_HTTP_RESPONSE_HEADER: case VG_BUF_HTTP_RESPONSE_HEADER_RAW:
    case VG_BUF_HTTP_RESPONSE_BODY: case VG_BUF_HTTP_SERVER: case VG_BUF_HTTP_LOCATION:
    case VG_BUF_TLS_CERT_SUBJECT: case VG_BUF_TLS_CERT_ISSUER: case VG_BUF_TLS_CERT_SERIAL:
    case VG_BUF_TLS_CERT_FINGERPRINT: case VG_BUF_TLS_CERTS: case VG_BUF_JA3S_HASH:
    case VG_BUF_JA3S_STRING: case VG_BUF_SSH_PROTO_TC: case VG_BUF_SSH_SOFTWARE_TC:
        return true;
    default:
        return false;
    }
}

static bool has_flowvar_condition(const vg_rule_t *r)
{
    for (uint32_t i = 0; i < r->n_xbits; i++)
        if (r->xbits[i].cmd == VG_FB_ISSET || r->xbits[i].cmd == VG_FB_ISNOTSET)
            return true;
    for (uint32_t i = 0; i < r->n_flowbits; i++)
        if (r->flowbits[i].cmd == VG_FB_ISSET || r->flowbits[i].cmd == VG_FB_ISNOTSET)
            return true;
    for (uint32_t i = 0; i < r->n_flowints; i++)
        if (r->flowints[i].op != VG_FI_ADD && r->flowints[i].op != VG_FI_SUB &&
            r->flowints[i].op != VG_FI_SET)
            return true;
    return false;
}

static uint8_t tx_flags_of(const vg_rule_t *r)
{
    if (!(r->flow & (VG_RFLOW_TOSERVER | VG_RFLOW_TOCLIENT)))
        for (uint32_t i = 0; i < r->n_lists; i++)
            if (buf_response_only(r->lists[i].buf) && !(r->lists[i].flags & VG_LIST_ALT_BUF))
                return TXF_TC_ONLY;
    if (has_flowvar_condition(r))
        return 0;
    for (uint32_t i = 0; i < r->n_lists; i++)
        if (!buf_request_only(r->lists[i].buf) || (r->lists[i].flags & VG_LIST_ALT_BUF))
            return 0;
    for (uint32_t i = 0; i < r->n_pm; i++)
        if (r->pm[i].type == VG_PM_TLS_VERSION || r->pm[i].type == VG_PM_SSL_VERSION)
            return 0;
    return TXF_TS_STABLE;
}

/* The application protocol whose transactions a rule inspects, or UNKNOWN for packet rules. */
static enum vg_app_proto tx_proto_of(const vg_rule_t *r)
{
    bool payload = false;
    enum vg_app_proto p = VG_APP_UNKNOWN;
    for (uint32_t i = 0; i < r->n_lists; i++) {
        if (r->lists[i].buf == VG_DBUF_PAYLOAD)
            payload = true;
        else if (p == VG_APP_UNKNOWN)
            p = buf_proto(r->lists[i].buf);
    }
    for (uint32_t i = 0; i < r->n_pm; i++)
        if ((r->pm[i].type == VG_PM_TLS_VERSION || r->pm[i].type == VG_PM_SSL_VERSION) &&
            p == VG_APP_UNKNOWN)
            p = VG_APP_TLS;
    /* app-layer-event is judged on a transaction, even beside a payload content (which then
     * sees the packet that completed the transaction, as in a mixed buffer rule) */
    for (uint32_t i = 0; i < r->n_pm; i++)
        if (r->pm[i].type == VG_PM_APP_EVENT && p == VG_APP_UNKNOWN)
            p = (enum vg_app_proto)r->app_proto;
    if (p != VG_APP_UNKNOWN)
        return r->app_proto != VG_APP_UNKNOWN ? (enum vg_app_proto)r->app_proto : p;
    /* An application-protocol rule with no buffer at all: a transaction rule when it has
     * something judged per transaction side (tls.version), else a packet rule
     * (VG_RULE_APP_BARE: every packet once the protocol is known, as Suricata 7). */
    if (!payload && r->app_proto != VG_APP_UNKNOWN && r->app_proto < VG_APP_FAILED &&
        !(r->flags & VG_RULE_APP_BARE))
        return (enum vg_app_proto)r->app_proto;
    return VG_APP_UNKNOWN;
}

/* Suricata's ordering: action (pass, drop, reject, alert), then rules that set flowbits before
 * rules that read them, then priority, then sid. */
static int bit_rank(bool sets, bool reads) { return sets && !reads ? 0 : sets ? 1 : reads ? 2 : 3; }

static bool is_check(uint8_t cmd) { return cmd == VG_FB_ISSET || cmd == VG_FB_ISNOTSET; }

static int flowbit_rank(const vg_rule_t *r)
{
    bool sets = false, reads = false;
    for (uint32_t i = 0; i < r->n_flowbits; i++)
        *(is_check(r->flowbits[i].cmd) ? &reads : &sets) = true;
    return bit_rank(sets, reads);
}

/* The same for xbits (Suricata orders host and IP-pair bits the same way, after flowbits). */
static int xbit_rank(const vg_rule_t *r)
{
    bool sets = false, reads = false;
    for (uint32_t i = 0; i < r->n_xbits; i++)
        *(is_check(r->xbits[i].cmd) ? &reads : &sets) = true;
    return bit_rank(sets, reads);
}

static int action_rank(const vg_rule_t *r)
{
    switch (r->action) {
    case VG_ACT_PASS: return 0;
    case VG_ACT_DROP: return 1;
    case VG_ACT_ALERT: return 3;
    default: return 2;
    }
}

static int cmp_rule_order(const void *a, const void *b)
{
    const vg_rule_t *x = *(const vg_rule_t *const *)a, *y = *(const vg_rule_t *const *)b;
    int d = action_rank(x) - action_rank(y);
    if (!d)
        d = flowbit_rank(x) - flowbit_rank(y);
    if (!d)
        d = xbit_rank(x) - xbit_rank(y);
    if (!d)
        d = x->priority - y->priority;
    if (!d)
        d = x->sid < y->sid ? -1 : x->sid > y->sid;
    if (!d)
        d = x->id < y->id ? -1 : x->id > y->id;
    return d;
}

/* The list whose content feeds the prefilter: one with a fast_pattern content, else the one
 * with the longest non-negated content; lists under transforms only as a last resort. */
static int best_list(const vg_rule_t *r, bool payload_only)
{
    /* The list whose buffer gives the best prefilter literal: a fast_pattern one, else the
     * longest. A list whose transforms hide its contents from the raw buffer gives none
     * (vg_pf_pick_pattern decides, as the prefilter itself does). */
    int best = -1;
    long best_score = -1;
    for (uint32_t i = 0; i < r->n_lists; i++) {
        const vg_rule_list_t *l = &r->lists[i];
        if (payload_only != (l->buf == VG_DBUF_PAYLOAD))
            continue;
        vg_pf_pattern_t p;
        if (!vg_pf_pick_pattern(r, l->buf, &p))
            continue;
        bool fp = false;
        for (uint32_t k = 0; k < l->n_sm && l->sm[k].type != VG_SM_BASE64_DECODE; k++)
            if (l->sm[k].type == VG_SM_CONTENT && (l->sm[k].u.content.flags & VG_CT_FAST_PATTERN))
                fp = true;
        long score = (long)p.len + (fp ? 100000 : 0);
        if (score > best_score) {
            best_score = score;
            best = (int)i;
        }
    }
    return best;
}

static void build_slot(pf_slot_t *s, int buf, const char *cache_dir, const char *what)
{
    s->buf = buf;
    char err[256] = "";
    s->pf = s->n ? vg_prefilter_build(s->rules, s->n, buf, cache_dir, err, sizeof err) : NULL;
    if (s->n && !s->pf)
        vg_log(VG_LOG_WARN, "detect: no prefilter for %s (%u rules; all are verified): %s", what,
               s->n, err);
}

static uint64_t v4_size(const vg_addr_set_t *a)
{
    if (a->any4)
        return 1ULL << 32;
    uint64_t n = 0;
    for (uint32_t i = 0; i < a->n4; i++)
        n += (uint64_t)a->r4[i].hi - a->r4[i].lo + 1;
    return n;
}

typedef struct bound {
    uint64_t at;      /* address where a range starts (or ends + 1) */
    uint32_t pos;
    int start;        /* 1 start, 0 end */
} bound_t;

static int cmp_bound(const void *a, const void *b)
{
    const bound_t *x = a, *y = b;
    if (x->at != y->at)
        return x->at < y->at ? -1 : 1;
    return x->start - y->start; /* ends before starts at the same address */
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* Builds the index from (set, pos) pairs. */
static void index_build(addr_index_t *ix, const vg_addr_set_t *const *sets, const uint32_t *pos,
                        uint32_t n)
{
    size_t nb = 0;
    for (uint32_t i = 0; i < n; i++)
        nb += 2 * (size_t)sets[i]->n4;
    bound_t *b = vg_xcalloc(nb + 1, sizeof *b);
    nb = 0;
    for (uint32_t i = 0; i < n; i++) {
        for (uint32_t k = 0; k < sets[i]->n4; k++) {
            b[nb++] = (bound_t){sets[i]->r4[k].lo, pos[i], 1};
            b[nb++] = (bound_t){(uint64_t)sets[i]->r4[k].hi + 1, pos[i], 0};
        }
    }
    qsort(b, nb, sizeof *b, cmp_bound);
    /* Sweep: the active rule set changes at each boundary; emit a segment per distinct address. */
    uint32_t *active = vg_xcalloc(n + 1, sizeof(uint32_t)); /* counts per rule index i */
    /* the active rules (unordered) and where each is in that list: a segment's rules are listed
     * from it, not by walking all n rules per segment (quadratic with ~20k segments) */
    uint32_t *alist = vg_xcalloc(n + 1, sizeof(uint32_t)), *aidx = vg_xcalloc(n + 1, sizeof(uint32_t));
    uint32_t *pos_to_i = NULL;
    uint32_t maxpos = 0;
    for (uint32_t i = 0; i < n; i++)
        maxpos = VG_MAX(maxpos, pos[i]);
    pos_to_i = vg_xcalloc(maxpos + 1, sizeof(uint32_t));
    for (uint32_t i = 0; i < n; i++)
        pos_to_i[pos[i]] = i;
    size_t cap_seg = 16, cap_pos = 64, n_pos = 0;
    ix->seg_lo = vg_xcalloc(cap_seg, sizeof(uint32_t));
    ix->seg_off = vg_xcalloc(cap_seg + 1, sizeof(uint32_t));
    ix->pos = vg_xcalloc(cap_pos, sizeof(uint32_t));
    ix->n_seg = 0;
    uint32_t n_active = 0;
    for (size_t k = 0; k < nb;) {
        uint64_t at = b[k].at;
        while (k < nb && b[k].at == at) {
            uint32_t i = pos_to_i[b[k].pos];
            if (b[k].start) {
                if (active[i]++ == 0) {
                    aidx[i] = n_active;
                    alist[n_active++] = i;
                }
            } else if (--active[i] == 0) {
                uint32_t j = aidx[i];
                alist[j] = alist[--n_active];
                aidx[alist[j]] = j;
            }
            k++;
        }
        if (at > 0xFFFFFFFFULL)
            break;
        if (ix->n_seg + 1 >= cap_seg) {
            cap_seg *= 2;
            ix->seg_lo = vg_xrealloc(ix->seg_lo, cap_seg * sizeof(uint32_t));
            ix->seg_off = vg_xrealloc(ix->seg_off, (cap_seg + 1) * sizeof(uint32_t));
        }
        ix->seg_lo[ix->n_seg] = (uint32_t)at;
        ix->seg_off[ix->n_seg] = (uint32_t)n_pos;
        ix->n_seg++;
        if (n_pos + n_active > cap_pos) {
            while (n_pos + n_active > cap_pos)
                cap_pos *= 2;
            ix->pos = vg_xrealloc(ix->pos, cap_pos * sizeof(uint32_t));
        }
        /* rules in position order */
        uint32_t *out = ix->pos + n_pos;
        for (uint32_t j = 0; j < n_active; j++)
            out[j] = pos[alist[j]];
        if (n_active > 32) {
            qsort(out, n_active, sizeof(uint32_t), cmp_u32);
        } else {
            for (uint32_t j = 1; j < n_active; j++) {
                uint32_t v = out[j], q = j;
                for (; q > 0 && out[q - 1] > v; q--)
                    out[q] = out[q - 1];
                out[q] = v;
            }
        }
        n_pos += n_active;
    }
    if (!ix->seg_off)
        ix->seg_off = vg_xcalloc(1, sizeof(uint32_t));
    ix->seg_off[ix->n_seg] = (uint32_t)n_pos;
    if (ix->n_seg >= BY16_MIN_SEG) {
        ix->by16 = vg_xcalloc(65537, sizeof(uint32_t));
        uint32_t i = 0;
        for (uint32_t h = 0; h <= 65536; h++) { /* segments starting below h << 16 */
            while (i < ix->n_seg && (uint64_t)ix->seg_lo[i] < ((uint64_t)h << 16))
                i++;
            ix->by16[h] = i;
        }
    }
    free(active);
    free(alist);
    free(aidx);
    free(pos_to_i);
    free(b);
}

static void index_free(addr_index_t *ix)
{
    free(ix->by16);
    free(ix->seg_lo);
    free(ix->seg_off);
    free(ix->pos);
}

/* Candidates of the index for an IPv4 address (big-endian bytes). */
static void index_lookup(vg_detect_ctx_t *c, const addr_index_t *ix, const vg_addr_t *a,
                         uint32_t *n);

static uint32_t port_count(const vg_port_set_t *ps)
{
    if (ps->any)
        return 65536;
    uint32_t n = 0;
    for (uint32_t i = 0; i < ps->n; i++)
        n += (uint32_t)ps->r[i].hi - ps->r[i].lo + 1;
    return n;
}

/* Builds a port index over the rules at positions pos[0..n) keyed by their port sets. */
static void port_index_build(port_index_t *ix, const vg_port_set_t *const *sets,
                             const uint32_t *pos, uint32_t n)
{
    if (!n)
        return;
    ix->off = vg_xcalloc(65537, sizeof(uint32_t));
    size_t total = 0;
    for (uint32_t i = 0; i < n; i++)
        for (uint32_t k = 0; k < sets[i]->n; k++)
            for (uint32_t p = sets[i]->r[k].lo; p <= sets[i]->r[k].hi; p++) {
                ix->off[p + 1]++;
                total++;
            }
    for (uint32_t p = 0; p < 65536; p++)
        ix->off[p + 1] += ix->off[p];
    ix->pos = vg_xcalloc(total + 1, sizeof(uint32_t));
    uint32_t *fill = vg_xcalloc(65536, sizeof(uint32_t));
    for (uint32_t i = 0; i < n; i++)
        for (uint32_t k = 0; k < sets[i]->n; k++)
            for (uint32_t p = sets[i]->r[k].lo; p <= sets[i]->r[k].hi; p++)
                ix->pos[ix->off[p] + fill[p]++] = pos[i];
    free(fill);
}

/* Moves header-only rules of a packet group from its always list into the port indexes (TCP
 * and UDP groups, when ports is set) and the address indexes. */
static void build_addr_index(group_t *g, bool ports)
{
    const vg_port_set_t **pds = vg_xcalloc(g->n_always + 1, sizeof(*pds));
    const vg_port_set_t **pss = vg_xcalloc(g->n_always + 1, sizeof(*pss));
    uint32_t *pdp = vg_xcalloc(g->n_always + 1, sizeof(uint32_t));
    uint32_t *psp = vg_xcalloc(g->n_always + 1, sizeof(uint32_t));
    uint32_t npd = 0, nps = 0;
    const vg_addr_set_t **ss = vg_xcalloc(g->n_always + 1, sizeof(*ss));
    const vg_addr_set_t **ds = vg_xcalloc(g->n_always + 1, sizeof(*ds));
    uint32_t *sp = vg_xcalloc(g->n_always + 1, sizeof(uint32_t));
    uint32_t *dp = vg_xcalloc(g->n_always + 1, sizeof(uint32_t));
    uint32_t ns = 0, nd = 0, keep = 0;
    g->v6 = vg_xcalloc(g->n_always + 1, sizeof(uint32_t));
    for (uint32_t k = 0; k < g->n_always; k++) {
        uint32_t pos = g->always[k];
        const vg_rule_t *r = g->rules[pos];
        uint64_t s4 = v4_size(r->src), d4 = v4_size(r->dst);
        bool v6_src = r->src->any6 || r->src->n6, v6_dst = r->dst->any6 || r->dst->n6;
        if (ports && !(r->flags & VG_RULE_BIDIR) && port_count(r->dp) <= PORT_INDEX_MAX) {
            pds[npd] = r->dp;
            pdp[npd++] = pos;
        } else if (ports && !(r->flags & VG_RULE_BIDIR) && port_count(r->sp) <= PORT_INDEX_MAX) {
            pss[nps] = r->sp;
            psp[nps++] = pos;
        } else if ((r->flags & VG_RULE_BIDIR) || (s4 == (1ULL << 32) && d4 == (1ULL << 32))) {
            g->always[keep++] = pos;
        } else if (s4 <= d4) {
            ss[ns] = r->src;
            sp[ns++] = pos;
            if (v6_src)
                g->v6[g->n_v6++] = pos;
        } else {
            ds[nd] = r->dst;
            dp[nd++] = pos;
            if (v6_dst)
                g->v6[g->n_v6++] = pos;
        }
    }
    g->n_always = keep;
    index_build(&g->by_src, ss, sp, ns);
    index_build(&g->by_dst, ds, dp, nd);
    port_index_build(&g->by_dp, pds, pdp, npd);
    port_index_build(&g->by_sp, pss, psp, nps);
    free(pds);
    free(pss);
    free(pdp);
    free(psp);
    free(ss);
    free(ds);
    free(sp);
    free(dp);
}

/* The REQ_PACKET part of payload slot sl (see pf_slot_t), when it is not the whole slot. */
static void build_pkt_slot(pf_slot_t *sl, const char *cache_dir, const char *what)
{
    uint32_t m = 0;
    for (uint32_t i = 0; i < sl->n; i++)
        m += (sl->rules[i]->flags & VG_RULE_REQ_PACKET) != 0;
    if (m == sl->n)
        return;
    const vg_rule_t **sub = vg_xcalloc(m, sizeof(*sub));
    sl->pkt_idx = vg_xcalloc(m, sizeof(uint32_t));
    for (uint32_t i = 0, k = 0; i < sl->n; i++) {
        if (!(sl->rules[i]->flags & VG_RULE_REQ_PACKET))
            continue;
        sub[k] = sl->rules[i];
        sl->pkt_idx[k++] = i;
    }
    char err[256] = "";
    sl->pkt_pf = vg_prefilter_build(sub, m, VG_DBUF_PAYLOAD, cache_dir, err, sizeof err);
    sl->n_pkt = m;
    free(sub);
    if (!sl->pkt_pf) { /* the whole slot's prefilter, filtered, still gives the right rules */
        vg_log(VG_LOG_WARN, "detect: no packet prefilter for %s (%u rules): %s", what, m, err);
        free(sl->pkt_idx);
        sl->pkt_idx = NULL;
        sl->n_pkt = 0;
    }
}

/* Fills g->slots from the rules of g (positions 0..n-1). payload: the packet groups. */
#define PORT_SLOT_MAX 64  /* ports a payload rule may name to get port-keyed prefilters */

/* Adds a slot over the rules at group positions pos[0..n) to g (n > 0); what NULL: without a
 * prefilter (every rule of the slot is a candidate). */
static int add_slot(group_t *g, int buf, const uint32_t *pos, uint32_t n, const char *cache_dir,
                    const char *what)
{
    if (g->n_slots == g->cap_slots) {
        g->cap_slots = g->cap_slots ? 2 * g->cap_slots : 8;
        g->slots = vg_xrealloc(g->slots, g->cap_slots * sizeof(pf_slot_t));
    }
    pf_slot_t *sl = &g->slots[g->n_slots];
    memset(sl, 0, sizeof *sl);
    sl->alt_buf = -1;
    sl->n = n;
    sl->rules = vg_xcalloc(n, sizeof(vg_rule_t *));
    sl->pos = vg_xcalloc(n, sizeof(uint32_t));
    for (uint32_t i = 0; i < n; i++) {
        sl->pos[i] = pos[i];
        sl->rules[i] = g->rules[pos[i]];
        if (sl->rules[i]->flags & VG_RULE_REQ_PACKET)
            sl->has_pkt_only = true;
    }
    if (what) /* NULL: a slot without prefilter (every rule a candidate) */
        build_slot(sl, buf, cache_dir, what);
    else
        sl->buf = buf;
    if (sl->pf && buf == VG_DBUF_PAYLOAD && sl->has_pkt_only)
        build_pkt_slot(sl, cache_dir, what);
    return (int)g->n_slots++;
}

/* Port-keyed slots for one side (dst or src ports) of the rules at pos[0..n). */
static void add_port_slots(group_t *g, bool dst, const uint32_t *pos, uint32_t n,
                           const char *cache_dir, const char *what)
{
    if (!n)
        return;
    uint32_t *off = vg_xcalloc(65537, sizeof(uint32_t));
    size_t total = 0;
    for (uint32_t i = 0; i < n; i++) {
        const vg_port_set_t *ps = dst ? g->rules[pos[i]]->dp : g->rules[pos[i]]->sp;
        for (uint32_t k = 0; k < ps->n; k++)
            for (uint32_t p = ps->r[k].lo; p <= ps->r[k].hi; p++, total++)
                off[p + 1]++;
    }
    for (uint32_t p = 0; p < 65536; p++)
        off[p + 1] += off[p];
    uint32_t *list = vg_xcalloc(total + 1, sizeof(uint32_t));
    uint32_t *fill = vg_xcalloc(65536, sizeof(uint32_t));
    for (uint32_t i = 0; i < n; i++) { /* ascending positions within each port's list */
        const vg_port_set_t *ps = dst ? g->rules[pos[i]]->dp : g->rules[pos[i]]->sp;
        for (uint32_t k = 0; k < ps->n; k++)
            for (uint32_t p = ps->r[k].lo; p <= ps->r[k].hi; p++)
                list[off[p] + fill[p]++] = pos[i];
    }
    free(fill);
    uint32_t *map = vg_xcalloc(65536, sizeof(uint32_t));
    uint32_t *first_port = vg_xcalloc(65536, sizeof(uint32_t)); /* per slot: a port using it */
    int base = (int)g->n_slots;
    for (uint32_t p = 0; p < 65536; p++) {
        uint32_t cnt = off[p + 1] - off[p];
        if (!cnt)
            continue;
        int found = -1; /* a slot already built over exactly these rules */
        for (int sI = base; sI < (int)g->n_slots && found < 0; sI++) {
            uint32_t q = first_port[sI - base];
            if (off[q + 1] - off[q] == cnt &&
                !memcmp(list + off[q], list + off[p], cnt * sizeof(uint32_t)))
                found = sI;
        }
        if (found < 0) {
            found = add_slot(g, VG_DBUF_PAYLOAD, list + off[p], cnt, cache_dir, what);
            first_port[found - base] = p;
        }
        map[p] = (uint32_t)found + 1;
    }
    if (dst)
        g->dp_slot = map;
    else
        g->sp_slot = map;
    free(first_port);
    free(list);
    free(off);
}

static bool is_any(const vg_addr_set_t *a) { return a->any4 && a->any6; }

enum { KEY16_OUT, KEY16_IN, KEY16_MIXED };

/* The /16 membership table of an address set (see group_t.key16). */
static uint8_t *key16_build(const vg_addr_set_t *s)
{
    uint8_t *t = vg_xcalloc(65536, 1); /* KEY16_OUT */
    if (s->any4) {
        memset(t, KEY16_IN, 65536);
        return t;
    }
    for (uint32_t k = 0; k < s->n4; k++) {
        uint32_t lo = s->r4[k].lo, hi = s->r4[k].hi;
        for (uint32_t h = lo >> 16; h <= hi >> 16; h++) {
            uint32_t first = h << 16, last = first | 0xFFFFu;
            if (lo <= first && hi >= last)
                t[h] = KEY16_IN;
            else
                t[h] = KEY16_MIXED; /* ranges are disjoint: another may cover the rest */
        }
    }
    return t;
}

static bool key_match(const group_t *g, int i, const vg_addr_t *a, int ver)
{
    if (ver == 4 && g->key16[i]) {
        uint8_t m = g->key16[i][(unsigned)a->b[0] << 8 | a->b[1]];
        if (m != KEY16_MIXED)
            return m == KEY16_IN;
    }
    return vg_addr_set_match(g->key_set[i], a, ver);
}

/* The two address sets (shared objects: rules spelling the same expression share one) that the
 * direction-slot rules at pos name most often as source or destination, "any" aside. */
static void pick_key_sets(group_t *g, const uint32_t *ts, uint32_t nts, const uint32_t *tc,
                          uint32_t ntc)
{
    enum { MAXC = 64 };
    const vg_addr_set_t *set[MAXC];
    uint32_t cnt[MAXC], n = 0;
    for (int d = 0; d < 2; d++) {
        const uint32_t *pos = d ? tc : ts;
        for (uint32_t i = 0; i < (d ? ntc : nts); i++) {
            const vg_rule_t *r = g->rules[pos[i]];
            const vg_addr_set_t *sides[2] = {r->src, r->dst};
            for (int k = 0; k < 2; k++) {
                if (is_any(sides[k]))
                    continue;
                uint32_t j = 0;
                while (j < n && set[j] != sides[k])
                    j++;
                if (j == n) {
                    if (n == MAXC)
                        continue;
                    set[n] = sides[k];
                    cnt[n++] = 0;
                }
                cnt[j]++;
            }
        }
    }
    for (int k = 0; k < 2; k++) {
        int best = -1;
        for (uint32_t j = 0; j < n; j++)
            if (cnt[j] && (best < 0 || cnt[j] > cnt[best]))
                best = (int)j;
        g->key_set[k] = best >= 0 ? set[best] : NULL;
        g->key16[k] = best >= 0 ? key16_build(set[best]) : NULL;
        if (best >= 0)
            cnt[best] = 0;
    }
}

/* Class bits of a (source, destination) pair: membership in key set 0 and 1 of each. */
static unsigned class_of(const group_t *g, const vg_addr_t *src, const vg_addr_t *dst, int ver)
{
    unsigned k = 0;
    for (int i = 0; i < 2; i++) {
        if (!g->key_set[i])
            continue;
        if (key_match(g, i, src, ver))
            k |= 1u << i;
        if (key_match(g, i, dst, ver))
            k |= 4u << i;
    }
    return k;
}

/* Whether one side's set can hold an address of class bits kb (bit i: in key set i). Only a set
 * that is a key set itself is decided; any other set may hold anything. */
static bool side_may(const group_t *g, const vg_addr_set_t *s, unsigned kb)
{
    for (int i = 0; i < 2; i++)
        if (g->key_set[i] && s == g->key_set[i] && !(kb >> i & 1))
            return false;
    return true;
}

/* Whether rule r's header can match a packet of class k (either orientation when <>). */
static bool class_may(const group_t *g, const vg_rule_t *r, unsigned k)
{
    unsigned sk = k & 3, dk = k >> 2 & 3;
    if (side_may(g, r->src, sk) && side_may(g, r->dst, dk))
        return true;
    return (r->flags & VG_RULE_BIDIR) && side_may(g, r->src, dk) && side_may(g, r->dst, sk);
}

/* Adds the key-set membership bits of address a (version ver) to the feasible set *f. */
static void feasible_add(const group_t *g, const vg_addr_t *a, int ver, unsigned *f)
{
    unsigned k = 0;
    for (int i = 0; i < 2; i++)
        if (g->key_set[i] && vg_addr_set_match(g->key_set[i], a, ver))
            k |= 1u << i;
    *f |= 1u << k;
}

static void v6_step(uint8_t b[16], int by) /* b += by (+1 or -1), wrapping */
{
    for (int i = 15; i >= 0; i--) {
        uint8_t old = b[i];
        b[i] = (uint8_t)(b[i] + by);
        if ((by > 0 && b[i] > old) || (by < 0 && b[i] < old))
            return;
    }
}

/* Which membership patterns (bit i: in key set i) some address can have. Membership is constant
 * between the ends of the key sets' ranges, so every range start, every address just past a
 * range end, the lowest address and a non-IP address (version 0) cover all the cases. */
static unsigned feasible_patterns(const group_t *g)
{
    unsigned f = 0;
    vg_addr_t a;
    memset(&a, 0, sizeof a);
    feasible_add(g, &a, 0, &f);
    feasible_add(g, &a, 4, &f);
    feasible_add(g, &a, 6, &f);
    for (int i = 0; i < 2; i++) {
        const vg_addr_set_t *ks = g->key_set[i];
        if (!ks)
            continue;
        for (uint32_t k = 0; k < ks->n4; k++) {
            uint32_t v[2] = {ks->r4[k].lo, ks->r4[k].hi + 1u};
            for (int e = 0; e < 2; e++) {
                if (e && ks->r4[k].hi == UINT32_MAX)
                    continue;
                memset(&a, 0, sizeof a);
                a.b[0] = (uint8_t)(v[e] >> 24), a.b[1] = (uint8_t)(v[e] >> 16);
                a.b[2] = (uint8_t)(v[e] >> 8), a.b[3] = (uint8_t)v[e];
                feasible_add(g, &a, 4, &f);
            }
        }
        for (uint32_t k = 0; k < ks->n6; k++) {
            memcpy(a.b, ks->r6[k].lo, 16);
            feasible_add(g, &a, 6, &f);
            memcpy(a.b, ks->r6[k].hi, 16);
            v6_step(a.b, 1);
            feasible_add(g, &a, 6, &f);
        }
    }
    return f;
}

/* One slot per address class for the direction-d rules at pos[0..n); classes whose rule lists
 * are identical share a slot. A class no packet can have (in ET Open: an address both in
 * $HOME_NET and in $EXTERNAL_NET) gets a slot without a prefilter, whose rules are all
 * candidates: never used unless the feasibility test above were wrong, and then still correct. */
static void add_class_slots(group_t *g, int d, const uint32_t *pos, uint32_t n,
                            const char *cache_dir, const char *what)
{
    if (!n)
        return;
    unsigned feasible = feasible_patterns(g);
    int fallback = -1;
    g->cls_fallback[d] = -1;
    uint32_t *lists[ADDR_CLASSES], cnt[ADDR_CLASSES];
    for (unsigned k = 0; k < ADDR_CLASSES; k++) {
        if (!(feasible >> (k & 3) & 1) || !(feasible >> (k >> 2 & 3) & 1)) {
            lists[k] = NULL;
            cnt[k] = 0;
            if (fallback < 0)
                fallback = g->cls_fallback[d] = add_slot(g, VG_DBUF_PAYLOAD, pos, n, NULL, NULL);
            g->pay_dir[d][k] = fallback;
            continue;
        }
        lists[k] = vg_xcalloc(n, sizeof(uint32_t));
        cnt[k] = 0;
        for (uint32_t i = 0; i < n; i++)
            if (class_may(g, g->rules[pos[i]], k))
                lists[k][cnt[k]++] = pos[i];
        int found = -1;
        for (unsigned j = 0; j < k && found < 0; j++)
            if (lists[j] && cnt[j] == cnt[k] &&
                !memcmp(lists[j], lists[k], cnt[k] * sizeof(uint32_t)))
                found = g->pay_dir[d][j];
        if (found < 0 && cnt[k])
            found = add_slot(g, VG_DBUF_PAYLOAD, lists[k], cnt[k], cache_dir, what);
        g->pay_dir[d][k] = found;
    }
    for (unsigned k = 0; k < ADDR_CLASSES; k++)
        free(lists[k]);
}

static void build_group(group_t *g, bool payload, bool ports, const char *cache_dir,
                        const char *what)
{
    uint32_t *nb = vg_xcalloc(VG_DBUF_MAX, sizeof(uint32_t));
    uint32_t **lists = vg_xcalloc(VG_DBUF_MAX, sizeof(uint32_t *));
    int *alt = vg_xcalloc(VG_DBUF_MAX, sizeof(int));
    for (int b = 0; b < VG_DBUF_MAX; b++) {
        alt[b] = -1;
        lists[b] = vg_xcalloc(g->n + 1, sizeof(uint32_t));
    }
    g->always = vg_xcalloc(g->n + 1, sizeof(uint32_t));
    g->on_event = vg_xcalloc(g->n + 1, sizeof(uint32_t));
    g->on_stream_ev = vg_xcalloc(g->n + 1, sizeof(uint32_t));
    for (int d = 0; d < 2; d++) {
        g->cls_fallback[d] = -1;
        for (int k = 0; k < ADDR_CLASSES; k++)
            g->pay_dir[d][k] = -1;
    }
    for (uint32_t i = 0; i < g->n; i++) {
        if (payload && (g->rules[i]->flags & VG_RULE_DECODE_EV)) {
            g->on_event[g->n_on_event++] = i;
            continue;
        }
        if (payload && (g->rules[i]->flags & VG_RULE_STREAM_EV)) {
            g->on_stream_ev[g->n_on_stream_ev++] = i;
            continue;
        }
        int li = best_list(g->rules[i], payload);
        if (li < 0) {
            g->always[g->n_always++] = i;
            continue;
        }
        const vg_rule_list_t *l = &g->rules[i]->lists[li];
        lists[l->buf][nb[l->buf]++] = i;
        if (l->flags & VG_LIST_ALT_BUF)
            alt[l->buf] = l->alt_buf;
    }
    for (int b = 0; b < VG_DBUF_MAX; b++) {
        if (!nb[b])
            continue;
        if (!payload || b != VG_DBUF_PAYLOAD) {
            int k = add_slot(g, b, lists[b], nb[b], cache_dir, what);
            g->slots[k].alt_buf = alt[b];
            continue;
        }
        uint32_t n = nb[b], ndp = 0, nsp = 0, nts = 0, ntc = 0;
        uint32_t *dps = vg_xcalloc(n, sizeof(uint32_t)), *sps = vg_xcalloc(n, sizeof(uint32_t));
        uint32_t *ts = vg_xcalloc(n, sizeof(uint32_t)), *tc = vg_xcalloc(n, sizeof(uint32_t));
        for (uint32_t i = 0; i < n; i++) {
            const vg_rule_t *r = g->rules[lists[b][i]];
            bool bidir = r->flags & VG_RULE_BIDIR;
            if (ports && !bidir && port_count(r->dp) <= PORT_SLOT_MAX) {
                dps[ndp++] = lists[b][i];
            } else if (ports && !bidir && port_count(r->sp) <= PORT_SLOT_MAX) {
                sps[nsp++] = lists[b][i];
            } else {
                if (!(r->flow & VG_RFLOW_TOCLIENT))
                    ts[nts++] = lists[b][i];
                if (!(r->flow & VG_RFLOW_TOSERVER))
                    tc[ntc++] = lists[b][i];
            }
        }
        pick_key_sets(g, ts, nts, tc, ntc);
        add_class_slots(g, 0, ts, nts, cache_dir, what);
        add_class_slots(g, 1, tc, ntc, cache_dir, what);
        add_port_slots(g, true, dps, ndp, cache_dir, what);
        add_port_slots(g, false, sps, nsp, cache_dir, what);
        for (uint32_t k = 0; k < g->n_slots; k++) { /* empty payload: these rules still apply */
            const pf_slot_t *sl = &g->slots[k];
            if (sl->buf == VG_DBUF_PAYLOAD && (int)k != g->cls_fallback[0] &&
                (int)k != g->cls_fallback[1] && (sl->pf ? vg_prefilter_n_always(sl->pf) : sl->n))
                g->pay_always = true;
        }
        free(dps);
        free(sps);
        free(ts);
        free(tc);
    }
    for (int b = 0; b < VG_DBUF_MAX; b++)
        free(lists[b]);
    free(lists);
    free(nb);
    free(alt);
}

static void group_add(group_t *g, const vg_rule_t *r)
{
    g->rules = vg_xrealloc(g->rules, (g->n + 1) * sizeof(*g->rules));
    g->rules[g->n++] = r;
}

vg_detect_engine_t *vg_detect_engine_new(vg_ruleset_t *rs, const char *cache_dir)
{
    vg_detect_engine_t *e = vg_xcalloc(1, sizeof *e);
    e->thr = vg_xcalloc(1, sizeof *e->thr);
    pthread_mutex_init(&e->thr->mu, NULL);
    e->thr->t = vg_threshold_table_new(65536);
    if (vg_ruleset_n_xbits(rs))
        e->thr->xb = vg_xbit_table_new(65536);
    e->rs = rs;
    uint32_t n = vg_ruleset_count(rs);
    for (uint32_t i = 0; i < n; i++) {
        const vg_rule_t *r = vg_ruleset_rule(rs, i);
        enum vg_app_proto tp = tx_proto_of(r);
        if (tp != VG_APP_UNKNOWN) {
            group_add(&e->tx[tp], r);
            continue;
        }
        static const uint8_t l4bit[G_PKT_N] = {VG_L4_TCP, VG_L4_UDP, VG_L4_ICMP4, VG_L4_ICMP6,
                                               VG_L4_OTHER};
        for (int g = 0; g < G_PKT_N; g++)
            if (r->l4 & l4bit[g])
                group_add(&e->pkt[g], r);
    }
    static const char *const pkt_names[G_PKT_N] = {"tcp packets", "udp packets", "icmp packets",
                                                   "icmpv6 packets", "other ip packets"};
    for (int g = 0; g < G_PKT_N; g++) {
        if (e->pkt[g].n)
            qsort(e->pkt[g].rules, e->pkt[g].n, sizeof(vg_rule_t *), cmp_rule_order);
        build_group(&e->pkt[g], true, g == G_TCP || g == G_UDP, cache_dir, pkt_names[g]);
        build_addr_index(&e->pkt[g], g == G_TCP || g == G_UDP);
        e->max_group = VG_MAX(e->max_group, e->pkt[g].n);
    }
    for (int p = 0; p < VG_APP_MAX; p++) {
        if (e->tx[p].n)
            qsort(e->tx[p].rules, e->tx[p].n, sizeof(vg_rule_t *), cmp_rule_order);
        group_t *g = &e->tx[p];
        g->txf = vg_xcalloc(g->n + 1, 1);
        for (uint32_t i = 0; i < g->n; i++)
            g->txf[i] = tx_flags_of(g->rules[i]);
        build_group(g, false, false, cache_dir, vg_app_proto_name((enum vg_app_proto)p));
        for (uint32_t k = 0; k < g->n_slots; k++) {
            pf_slot_t *sl = &g->slots[k];
            sl->ts_stable = sl->alt_buf < 0;
            for (uint32_t i = 0; i < sl->n && sl->ts_stable; i++)
                sl->ts_stable = (g->txf[sl->pos[i]] & TXF_TS_STABLE) &&
                                (sl->rules[i]->flow & VG_RFLOW_TOSERVER);
        }
        e->max_group = VG_MAX(e->max_group, e->tx[p].n);
    }
    return e;
}

static void group_free(group_t *g)
{
    for (uint32_t s = 0; s < g->n_slots; s++) {
        vg_prefilter_free(g->slots[s].pf);
        vg_prefilter_free(g->slots[s].pkt_pf);
        free(g->slots[s].pkt_idx);
        free(g->slots[s].rules);
        free(g->slots[s].pos);
    }
    free(g->slots);
    free(g->rules);
    free(g->always);
    free(g->on_event);
    free(g->on_stream_ev);
    index_free(&g->by_src);
    index_free(&g->by_dst);
    free(g->by_dp.off);
    free(g->by_dp.pos);
    free(g->by_sp.off);
    free(g->by_sp.pos);
    free(g->dp_slot);
    free(g->sp_slot);
    free(g->key16[0]);
    free(g->key16[1]);
    free(g->v6);
    free(g->txf);
}

static uint64_t sid_key(const vg_rule_t *r) { return (uint64_t)r->gid << 32 | r->sid; }

static int cmp_pos_by_sid(const void *a, const void *b, void *rs)
{
    uint64_t x = sid_key(vg_ruleset_rule(rs, *(const uint32_t *)a));
    uint64_t y = sid_key(vg_ruleset_rule(rs, *(const uint32_t *)b));
    return x < y ? -1 : x > y;
}

size_t vg_detect_engine_inherit(vg_detect_engine_t *e, const vg_detect_engine_t *old)
{
    const vg_ruleset_t *ors = old->rs, *nrs = e->rs;
    uint32_t no = vg_ruleset_count(ors), nn = vg_ruleset_count(nrs);
    /* new rules sorted by (gid, sid), looked up by binary search */
    uint32_t *by = vg_xcalloc(nn + 1, sizeof *by);
    for (uint32_t i = 0; i < nn; i++)
        by[i] = i;
    qsort_r(by, nn, sizeof *by, cmp_pos_by_sid, (void *)nrs);
    uint32_t *map = vg_xcalloc(no + 1, sizeof *map);
    for (uint32_t i = 0; i < no; i++) {
        const vg_rule_t *r = vg_ruleset_rule(ors, i);
        map[i] = UINT32_MAX;
        vg_threshold_t ot = vg_ruleset_threshold(ors, r);
        if (ot.type == VG_THR_NONE || ot.track == VG_TRACK_FLOW)
            continue; /* by_flow windows live in the flows (and start again after a reload) */
        uint64_t k = sid_key(r);
        uint32_t lo = 0, hi = nn;
        while (lo < hi) {
            uint32_t mid = lo + (hi - lo) / 2;
            if (sid_key(vg_ruleset_rule(nrs, by[mid])) < k)
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo == nn)
            continue;
        const vg_rule_t *n = vg_ruleset_rule(nrs, by[lo]);
        vg_threshold_t nt = vg_ruleset_threshold(nrs, n);
        if (sid_key(n) == k && nt.type == ot.type && nt.track == ot.track &&
            nt.count == ot.count && nt.seconds == ot.seconds && nt.multiplier == ot.multiplier &&
            nt.unique_on == ot.unique_on)
            map[i] = n->id;
    }
    /* xbits by name: a bit the new rules still name keeps its state */
    uint32_t nxo = vg_ruleset_n_xbits(ors);
    uint32_t *xmap = vg_xcalloc(nxo + 1, sizeof *xmap);
    for (uint32_t i = 0; i < nxo; i++) {
        const char *nm = vg_ruleset_xbit_name(ors, i);
        xmap[i] = UINT32_MAX;
        for (uint32_t j = 0; j < vg_ruleset_n_xbits(nrs) && xmap[i] == UINT32_MAX; j++)
            if (strcmp(nm, vg_ruleset_xbit_name(nrs, j)) == 0)
                xmap[i] = j;
    }
    pthread_mutex_lock(&old->thr->mu);
    size_t carried = vg_threshold_table_carry(e->thr->t, old->thr->t, map, no);
    if (old->thr->xb && e->thr->xb)
        carried += vg_xbit_table_carry(e->thr->xb, old->thr->xb, xmap, nxo);
    pthread_mutex_unlock(&old->thr->mu);
    free(xmap);
    free(map);
    free(by);
    return carried;
}

void vg_detect_engine_free(vg_detect_engine_t *e)
{
    if (!e)
        return;
    for (int g = 0; g < G_PKT_N; g++)
        group_free(&e->pkt[g]);
    for (int p = 0; p < VG_APP_MAX; p++)
        group_free(&e->tx[p]);
    vg_ruleset_free(e->rs);
    if (e->thr) {
        vg_threshold_table_free(e->thr->t);
        vg_xbit_table_free(e->thr->xb);
        pthread_mutex_destroy(&e->thr->mu);
        free(e->thr);
    }
    free(e);
}

const vg_ruleset_t *vg_detect_engine_ruleset(const vg_detect_engine_t *e) { return e->rs; }

bool vg_detect_ctx_stream_match(const vg_detect_ctx_t *c)
{
    return vg_detect_thread_stream_match(c->t);
}

vg_detect_ctx_t *vg_detect_ctx_new(const vg_detect_engine_t *e)
{
    vg_detect_ctx_t *c = vg_xcalloc(1, sizeof *c);
    c->e = e;
    c->t = vg_detect_thread_new();
    c->pfs = vg_prefilter_scratch_new();
    size_t m = e->max_group + 1;
    c->mark = vg_xcalloc(m / 64 + 2, sizeof(uint64_t));
    c->mark_lo = UINT32_MAX;
    c->tx_done = vg_xcalloc(m, 1);
    c->cand = vg_xcalloc(m, sizeof(uint32_t));
    c->scan = vg_xcalloc(m, sizeof(uint32_t));
    c->memo = vg_xcalloc(MEMO_N, sizeof(memo_ent_t));
    return c;
}

void vg_detect_ctx_free(vg_detect_ctx_t *c)
{
    if (!c)
        return;
    vg_detect_thread_free(c->t);
    vg_prefilter_scratch_free(c->pfs);
    free(c->mark);
    free(c->tx_done);
    free(c->cand);
    free(c->scan);
    free(c->memo);
    free(c);
}

const vg_stats_table_t *vg_detect_stats_table(void) { return &stats_table; }

const uint64_t *vg_detect_stats_values(vg_detect_ctx_t *c)
{
    c->stats[S_PCRE_LIMIT] = vg_detect_thread_counters(c->t)->pcre_limit_hits;
    return c->stats;
}

/* ---- candidates ---- */

/* Ports of a packet rule against the packet, before the full header check: most prefilter hits
 * of short payload patterns belong to rules for other ports. */
static bool ports_ok(const vg_rule_t *r, const vg_packet_t *p)
{
    if (r->flags & VG_RULE_BIDIR || (p->proto != 6 && p->proto != 17))
        return true;
    return vg_port_set_match(r->sp, p->sp) && vg_port_set_match(r->dp, p->dp);
}

static void mark_pos(vg_detect_ctx_t *c, uint32_t *n, uint32_t pos)
{
    uint32_t w = pos / 64;
    uint64_t bit = 1ULL << (pos % 64);
    if (c->mark[w] & bit)
        return;
    c->mark[w] |= bit;
    if (w < c->mark_lo)
        c->mark_lo = w;
    if (w > c->mark_hi)
        c->mark_hi = w;
    (*n)++;
}

static uint64_t memo_hash(const pf_slot_t *s, const uint8_t *d, size_t len)
{
    uint64_t h = (uint64_t)(uintptr_t)s * 0x9E3779B97F4A7C15ULL ^ len;
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t w;
        memcpy(&w, d + i, 8);
        h = (h ^ w) * 0xFF51AFD7ED558CCDULL;
        h ^= h >> 32;
    }
    uint64_t t = 0;
    for (; i < len; i++)
        t = t << 8 | d[i];
    h = (h ^ t) * 0xC4CEB9FE1A85EC53ULL;
    return h ^ h >> 29;
}

/* The prefilter's output for d into c->scan, from the memo when the same bytes were scanned
 * with this slot before. Returns the number of rules. */
static size_t scan_memo(vg_detect_ctx_t *c, const pf_slot_t *s, const uint8_t *d, size_t len)
{
    if (len == 0 || len > MEMO_MAX_LEN)
        return vg_prefilter_scan(s->pf, c->pfs, d, len, c->scan, s->n);
    uint64_t h = memo_hash(s, d, len);
    memo_ent_t *m = &c->memo[h & (MEMO_N - 1)];
    if (m->slot == s && m->h == h && m->len == len && !memcmp(m->data, d, len)) {
        memcpy(c->scan, m->hits, m->k * sizeof(uint32_t));
        c->stats[S_MEMO_HITS]++;
        return m->k;
    }
    size_t k = vg_prefilter_scan(s->pf, c->pfs, d, len, c->scan, s->n);
    if (k <= MEMO_MAX_HITS) {
        m->slot = s;
        m->h = h;
        m->len = (uint32_t)len;
        m->k = (uint32_t)k;
        memcpy(m->hits, c->scan, k * sizeof(uint32_t));
        memcpy(m->data, d, len);
    }
    return k;
}

/* memo: transaction buffers (see memo_ent_t); packet payloads rarely repeat. */
static void scan_slot(vg_detect_ctx_t *c, const pf_slot_t *s, const uint8_t *d, size_t len,
                      uint32_t *n, bool memo)
{
    if (!s->pf) {
        for (uint32_t i = 0; i < s->n; i++)
            mark_pos(c, n, s->pos[i]);
        return;
    }
    if (c->pkt_only && s->pkt_pf) { /* only the slot's REQ_PACKET rules can be candidates */
        size_t k = vg_prefilter_scan(s->pkt_pf, c->pfs, d, len, c->scan, s->n_pkt);
        for (size_t i = 0; i < k; i++) {
            uint32_t r = s->pkt_idx[c->scan[i]];
            if (!c->pre || ports_ok(s->rules[r], c->pre))
                mark_pos(c, n, s->pos[r]);
        }
        return;
    }
    size_t k = memo ? scan_memo(c, s, d, len)
                    : vg_prefilter_scan(s->pf, c->pfs, d, len, c->scan, s->n);
    for (size_t i = 0; i < k; i++) {
        if (c->pre && !ports_ok(s->rules[c->scan[i]], c->pre))
            continue;
        if (c->pkt_only && !(s->rules[c->scan[i]]->flags & VG_RULE_REQ_PACKET))
            continue;
        mark_pos(c, n, s->pos[c->scan[i]]);
    }
}

static void index_lookup(vg_detect_ctx_t *c, const addr_index_t *ix, const vg_addr_t *a,
                         uint32_t *n)
{
    if (!ix->n_seg)
        return;
    uint32_t v = (uint32_t)a->b[0] << 24 | (uint32_t)a->b[1] << 16 | (uint32_t)a->b[2] << 8 |
                 a->b[3];
    uint32_t lo = 0, hi = ix->n_seg;
    if (ix->by16) {
        /* the segments starting at or below v are those starting below v's /16, plus some of
         * those starting within it: the answer is in [by16[h] - 1, by16[h+1]) */
        uint32_t h = v >> 16, x = ix->by16[h], y = ix->by16[h + 1];
        while (x < y) { /* x: the first segment in [x, y) starting above v */
            uint32_t mid = x + (y - x) / 2;
            if (ix->seg_lo[mid] <= v)
                x = mid + 1;
            else
                y = mid;
        }
        if (!x)
            return; /* v is below the first segment */
        lo = x - 1;
    } else {
        while (hi - lo > 1) { /* last segment whose start <= v */
            uint32_t mid = (lo + hi) / 2;
            if (ix->seg_lo[mid] <= v)
                lo = mid;
            else
                hi = mid;
        }
    }
    if (ix->seg_lo[lo] > v)
        return;
    for (uint32_t k = ix->seg_off[lo]; k < ix->seg_off[lo + 1]; k++)
        mark_pos(c, n, ix->pos[k]);
}

/* Lists the marked positions in ascending (= evaluation) order into c->cand and clears the
 * marks. Walking the touched words of the bitset is cheaper than sorting. */
static void finish_candidates(vg_detect_ctx_t *c, uint32_t n)
{
    uint32_t k = 0;
    if (n) {
        for (uint32_t w = c->mark_lo; w <= c->mark_hi; w++) {
            uint64_t bits = c->mark[w];
            c->mark[w] = 0;
            while (bits) {
                c->cand[k++] = w * 64 + (uint32_t)__builtin_ctzll(bits);
                bits &= bits - 1;
            }
        }
    }
    c->mark_lo = UINT32_MAX;
    c->mark_hi = 0;
    c->stats[S_CANDIDATES] += k;
}

/* ---- verification ---- */

/* Returns true when the rule's alert is to be emitted after a match (noalert, suppression,
 * thresholds), applying its flowbit/flowint actions in any case. */
static bool thr_check(vg_detect_ctx_t *c, const vg_rule_t *r, const vg_threshold_t *thr,
                      const vg_packet_t *p, vg_flowvars_t *fv, vg_time_t now)
{
    if (thr->track == VG_TRACK_FLOW)
        return vg_threshold_check_flow(fv, r, thr, now); /* the flow's own state: no lock */
    thr_shared_t *s = c->e->thr;
    pthread_mutex_lock(&s->mu);
    uint64_t fails = vg_threshold_table_bitmap_fails(s->t);
    uint64_t mem = vg_threshold_table_bitmap_memuse(s->t);
    bool ok = vg_threshold_check(s->t, r, thr, p, now);
    c->stats[S_BITMAP_FAIL] += vg_threshold_table_bitmap_fails(s->t) - fails;
    /* The port maps belong to the shared table: each context counts the change its own calls
     * made, so that the sum over the workers (what the stats event shows) is the table's
     * current use. A single context's value alone can wrap below zero. */
    c->stats[S_BITMAP_MEMUSE] += vg_threshold_table_bitmap_memuse(s->t) - mem;
    pthread_mutex_unlock(&s->mu);
    return ok;
}

/* The key a rule's xbit uses for packet p. */
static void xbit_key(const vg_xbit_t *x, const vg_packet_t *p, vg_xbit_key_t *k)
{
    k->pair = x->track == VG_XB_IPPAIR;
    k->a = x->track == VG_XB_IPDST ? p->dst : p->src;
    k->b = p->dst;
}

/* isset / isnotset conditions of r (all must hold). Without a packet there is no address: no
 * bit is set for it. */
static bool xbit_conditions(vg_detect_ctx_t *c, const vg_rule_t *r, const vg_packet_t *p)
{
    thr_shared_t *s = c->e->thr;
    if (!s->xb)
        return true;
    bool ok = true;
    uint32_t now_s = (uint32_t)(c->now / VG_USEC_PER_SEC);
    pthread_mutex_lock(&s->mu);
    for (uint32_t i = 0; i < r->n_xbits && ok; i++) {
        const vg_xbit_t *x = &r->xbits[i];
        if (x->cmd != VG_FB_ISSET && x->cmd != VG_FB_ISNOTSET)
            continue;
        bool set = false;
        if (p) {
            vg_xbit_key_t k;
            xbit_key(x, p, &k);
            set = vg_xbit_isset(s->xb, x->id, &k, now_s);
        }
        ok = set == (x->cmd == VG_FB_ISSET);
    }
    pthread_mutex_unlock(&s->mu);
    return ok;
}

/* set / unset / toggle of a rule that matched (before thresholds, as flowbits). */
static void xbit_actions(vg_detect_ctx_t *c, const vg_rule_t *r, const vg_packet_t *p)
{
    thr_shared_t *s = c->e->thr;
    if (!s->xb || !p)
        return;
    uint32_t now_s = (uint32_t)(c->now / VG_USEC_PER_SEC);
    pthread_mutex_lock(&s->mu);
    uint64_t ev = vg_xbit_table_evictions(s->xb);
    for (uint32_t i = 0; i < r->n_xbits; i++) {
        const vg_xbit_t *x = &r->xbits[i];
        vg_xbit_key_t k;
        xbit_key(x, p, &k);
        if (x->cmd == VG_FB_SET)
            vg_xbit_set(s->xb, x->id, &k, now_s, x->expire);
        else if (x->cmd == VG_FB_UNSET)
            vg_xbit_unset(s->xb, x->id, &k);
        else if (x->cmd == VG_FB_TOGGLE)
            vg_xbit_toggle(s->xb, x->id, &k, now_s, x->expire);
    }
    c->stats[S_XBIT_EVICT] += vg_xbit_table_evictions(s->xb) - ev;
    pthread_mutex_unlock(&s->mu);
}

static bool after_match(vg_detect_ctx_t *c, const vg_rule_t *r, const vg_packet_t *p,
                        vg_flowvars_t *fv, vg_time_t now)
{
    const vg_ruleset_t *rs = c->e->rs;
    vg_threshold_t thr = vg_ruleset_threshold(rs, r);
    if (thr.type == VG_THR_DETECTION && !thr_check(c, r, &thr, p, fv, now))
        return false; /* detection_filter: the match does not count yet (no actions either) */
    if (fv)
        vg_detect_apply_actions(r, fv);
    if (r->n_xbits)
        xbit_actions(c, r, p);
    if (fv && (r->flags & VG_RULE_CAPTURES))
        vg_detect_apply_captures(c->t, fv);
    if (!vg_detect_should_alert(r))
        return false;
    if (p && vg_ruleset_is_suppressed(rs, r, p)) {
        c->stats[S_SUPPRESSED]++;
        return false;
    }
    if (thr.type != VG_THR_NONE && thr.type != VG_THR_DETECTION &&
        !thr_check(c, r, &thr, p, fv, now)) {
        c->stats[S_THRESHOLDED]++;
        return false;
    }
    return true;
}

/* in->fv must already be the flow's variables (they change as rules match). */
static bool eval_one(vg_detect_ctx_t *c, const vg_rule_t *r, const vg_detect_input_t *in)
{
    c->stats[S_EVALS]++;
    return vg_detect_eval_rule(c->t, r, in) && (!r->n_xbits || xbit_conditions(c, r, in->pkt));
}

void vg_detect_ctx_set_tx_seen(vg_detect_ctx_t *c, vg_detect_tx_seen_fn fn) { c->tx_seen = fn; }
void vg_detect_ctx_set_fv_make(vg_detect_ctx_t *c, vg_detect_fv_make_fn fn) { c->fv_make = fn; }

/* fv, or the flow's variables made now when r (which matched) has actions or a by_flow
 * threshold that need them. */
static vg_flowvars_t *fv_for(vg_detect_ctx_t *c, const vg_rule_t *r, vg_flowvars_t *fv, void *user)
{
    if (fv || !c->fv_make ||
        (!r->n_flowbits && !r->n_flowints && r->threshold.track != VG_TRACK_FLOW &&
         !(r->flags & VG_RULE_CAPTURES)))
        return fv;
    return c->fv_make(user);
}

static bool uses_buf(const vg_rule_t *r, unsigned buf)
{
    for (uint32_t i = 0; i < r->n_lists; i++)
        if (r->lists[i].buf == buf)
            return true;
    return false;
}

/* Whether a matching packet rule's pass applies to the whole flow, as Suricata 7 decides
 * (FlowApplySignatureActions): an IP-only or like-IP-only rule, a protocol-detection-only rule,
 * a rule on an application protocol, or a match in the raw-stream window. Otherwise only the
 * packet is passed. */
static bool pass_flow(const vg_detect_ctx_t *c, const vg_rule_t *r)
{
    return (r->flags & (VG_RULE_IP_ONLY | VG_RULE_PD_ONLY | VG_RULE_PD_DIR | VG_RULE_APP_BARE)) ||
           r->app_proto != VG_APP_UNKNOWN || vg_detect_thread_stream_match(c->t);
}

void vg_detect_packet(vg_detect_ctx_t *c, const vg_detect_input_t *in, vg_flowvars_t *fv, int dir,
                      vg_time_t now, vg_detect_alert_fn cb, void *user)
{
    const vg_packet_t *p = in->pkt;
    c->now = now;
    int g;
    switch (p ? p->proto : 0) {
    case 6: g = G_TCP; break;
    case 17: g = G_UDP; break;
    case 1: g = G_ICMP4; break;
    case 58: g = G_ICMP6; break;
    default: g = G_OTHER;
    }
    const group_t *grp = &c->e->pkt[g];
    if (!grp->n)
        return;
    uint32_t n = 0;
    c->pre = p;
    if (p && p->n_events)
        for (uint32_t i = 0; i < grp->n_on_event; i++)
            mark_pos(c, &n, grp->on_event[i]);
    if (in->n_stream_ev)
        for (uint32_t i = 0; i < grp->n_on_stream_ev; i++)
            mark_pos(c, &n, grp->on_stream_ev[i]);
    for (uint32_t i = 0; i < grp->n_always; i++)
        mark_pos(c, &n, grp->always[i]);
    if (p && grp->by_dp.off)
        for (uint32_t k = grp->by_dp.off[p->dp]; k < grp->by_dp.off[p->dp + 1]; k++)
            mark_pos(c, &n, grp->by_dp.pos[k]);
    if (p && grp->by_sp.off)
        for (uint32_t k = grp->by_sp.off[p->sp]; k < grp->by_sp.off[p->sp + 1]; k++)
            mark_pos(c, &n, grp->by_sp.pos[k]);
    if (p && p->ip_ver == 4) {
        index_lookup(c, &grp->by_src, &p->src, &n);
        index_lookup(c, &grp->by_dst, &p->dst, &n);
    } else {
        for (uint32_t i = 0; i < grp->n_v6; i++)
            mark_pos(c, &n, grp->v6[i]);
    }
    /* As Suricata's stream prefilter: with a raw-stream window, the window is scanned, and the
     * payload only for the rules that inspect it beside a window (VG_RULE_REQ_PACKET); so is the
     * payload of a packet whose bytes went into the stream without a window ready; else the
     * payload. Another rule whose pattern is only in the payload is then not a candidate: the
     * window that will hold this packet's bytes finds it later. */
    bool win = in->stream && in->stream_len;
    bool pkt_only = win || (in->flow & VG_DIN_STREAM_ADD);
    int pick[4], n_pick = 0; /* the payload slots that apply to this packet */
    bool ts = in->flow & VG_DIN_TOSERVER, tc = in->flow & VG_DIN_TOCLIENT;
    /* Without data and without literal-less payload rules, no payload slot can add a candidate
     * (most packets: handshakes, ACKs). */
    if (in->len[VG_DBUF_PAYLOAD] || in->stream_len || grp->pay_always) {
        /* no packet: every class bit set, which excludes no rule */
        unsigned cls = p ? class_of(grp, &p->src, &p->dst, p->ip_ver) : ADDR_CLASSES - 1;
        if (grp->pay_dir[0][cls] >= 0 && (ts || !tc))
            pick[n_pick++] = grp->pay_dir[0][cls];
        if (grp->pay_dir[1][cls] >= 0 && (tc || !ts))
            pick[n_pick++] = grp->pay_dir[1][cls];
        if (p && grp->dp_slot && grp->dp_slot[p->dp])
            pick[n_pick++] = grp->dp_slot[p->dp] - 1;
        if (p && grp->sp_slot && grp->sp_slot[p->sp])
            pick[n_pick++] = grp->sp_slot[p->sp] - 1;
    }
    for (int s = 0; s < n_pick; s++) {
        const pf_slot_t *sl = &grp->slots[pick[s]];
        if (!in->len[VG_DBUF_PAYLOAD] && !in->stream_len)
            scan_slot(c, sl, (const uint8_t *)"", 0, &n, false); /* its "always" rules */
        if (win)
            scan_slot(c, sl, in->stream, in->stream_len, &n, false);
        if (in->buf[VG_DBUF_PAYLOAD] && in->len[VG_DBUF_PAYLOAD] &&
            (!pkt_only || sl->has_pkt_only)) {
            c->pkt_only = pkt_only;
            scan_slot(c, sl, in->buf[VG_DBUF_PAYLOAD], in->len[VG_DBUF_PAYLOAD], &n, false);
            c->pkt_only = false;
        }
    }
    c->pre = NULL;
    finish_candidates(c, n);
    if (!n)
        return;
    /* The evaluator reads the flow's live variables through in->fv: a copy of the (large) input
     * is made only when in->fv is not fv, or fv is made during this packet. */
    vg_detect_input_t cur;
    const vg_detect_input_t *use = in;
    if (in->fv != fv) {
        cur = *in;
        cur.fv = fv;
        use = &cur;
    }
    for (uint32_t i = 0; i < n; i++) {
        const vg_rule_t *r = grp->rules[c->cand[i]];
        if ((in->flow & VG_DIN_PSEUDO) && !uses_buf(r, VG_DBUF_PAYLOAD))
            continue;
        if ((r->flags & VG_RULE_IP_ONLY) && (in->flow & VG_DIN_IPONLY_DONE))
            continue;
        if ((in->flow & VG_DIN_DECODER) &&
            !((r->flags & VG_RULE_DECODE_EV) ? r->n_lists == 0
                                              : (r->flags & VG_RULE_IP_ONLY) && p && p->ip_ver))
            continue;
        if (!eval_one(c, r, use))
            continue;
        vg_flowvars_t *nfv = fv_for(c, r, fv, user);
        if (nfv != fv) {
            if (use != &cur) {
                cur = *in;
                use = &cur;
            }
            cur.fv = fv = nfv;
        }
        if (r->action == VG_ACT_PASS) { /* a pass rule ends inspection and is not an alert */
            if (fv)
                vg_detect_apply_actions(r, fv);
            if (r->n_xbits)
                xbit_actions(c, r, p);
            if (fv && (r->flags & VG_RULE_CAPTURES))
                vg_detect_apply_captures(c->t, fv);
            if (pass_flow(c, r)) /* the action applies to the flow: the caller passes it */
                cb(user, r, dir);
            break;
        }
        if (after_match(c, r, p, fv, now)) {
            c->stats[S_ALERT]++;
            cb(user, r, dir);
        }
    }
}

/* The rule's flow direction against the input's (a cheap early reject, the same test as the
 * evaluator's). */
static bool flow_dir_ok(const vg_rule_t *r, uint32_t flow)
{
    return !((r->flow & VG_RFLOW_TOSERVER) && !(flow & VG_DIN_TOSERVER)) &&
           !((r->flow & VG_RFLOW_TOCLIENT) && !(flow & VG_DIN_TOCLIENT));
}

/* A transaction rule; with a multi-buffer, once per instance until one matches. */
static bool eval_tx_rule(vg_detect_ctx_t *c, const vg_rule_t *r, vg_detect_input_t *in)
{
    if (in->n_multi <= 1 || !uses_buf(r, in->multi_buf))
        return eval_one(c, r, in);
    const uint8_t *b0 = in->buf[in->multi_buf];
    uint32_t l0 = in->len[in->multi_buf];
    bool hit = false;
    for (uint32_t k = 0; k < in->n_multi && !hit; k++) {
        in->buf[in->multi_buf] = in->multi[k];
        in->len[in->multi_buf] = in->multi_len[k];
        hit = eval_one(c, r, in);
    }
    in->buf[in->multi_buf] = b0;
    in->len[in->multi_buf] = l0;
    return hit;
}

void vg_detect_tx(vg_detect_ctx_t *c, const vg_detect_input_t *in_ts,
                  const vg_detect_input_t *in_tc, vg_flowvars_t *fv, vg_time_t now,
                  vg_detect_alert_fn cb, void *user)
{
    c->now = now;
    uint8_t proto = in_ts->app_proto;
    if (proto >= VG_APP_MAX)
        return;
    const group_t *grp = &c->e->tx[proto];
    if (!grp->n)
        return;
    /* Second inspection of a transaction whose request was inspected already: rules that see
     * only the request are not verified to-server again, and a slot holding only such
     * to_server rules is not scanned (none of its rules could be verified). */
    bool ts_done = in_tc && (in_ts->flow & VG_DIN_TS_DONE);
    bool skip_stable_slots = ts_done && !(in_tc->flow & VG_DIN_TOSERVER);
    uint32_t n = 0;
    for (uint32_t i = 0; i < grp->n_always; i++)
        mark_pos(c, &n, grp->always[i]);
    for (uint32_t s = 0; s < grp->n_slots; s++) {
        const pf_slot_t *sl = &grp->slots[s];
        if (skip_stable_slots && sl->ts_stable)
            continue;
        if (in_ts->n_multi && sl->buf == in_ts->multi_buf) { /* every instance */
            for (uint32_t k = 0; k < in_ts->n_multi; k++)
                scan_slot(c, sl, in_ts->multi[k], in_ts->multi_len[k], &n, true);
            continue;
        }
        /* The same buffers serve both directions; a list that also inspects its to-client
         * twin (response headers for http.header, ...) is scanned there too. */
        if (in_ts->buf[sl->buf])
            scan_slot(c, sl, in_ts->buf[sl->buf], in_ts->len[sl->buf], &n, true);
        if (in_tc && in_tc->buf[sl->buf] && in_tc->buf[sl->buf] != in_ts->buf[sl->buf])
            scan_slot(c, sl, in_tc->buf[sl->buf], in_tc->len[sl->buf], &n, true);
        if (sl->alt_buf >= 0 && in_ts->buf[sl->alt_buf])
            scan_slot(c, sl, in_ts->buf[sl->alt_buf], in_ts->len[sl->alt_buf], &n, true);
        /* payload lists of rules that mix a plain content with transaction buffers: each
         * side's raw-stream bytes too, which the evaluator matches them on */
        if (sl->buf == VG_DBUF_PAYLOAD) {
            if (in_ts->stream_len)
                scan_slot(c, sl, in_ts->stream, in_ts->stream_len, &n, true);
            if (in_tc && in_tc->stream_len && in_tc->stream != in_ts->stream)
                scan_slot(c, sl, in_tc->stream, in_tc->stream_len, &n, true);
        }
    }
    finish_candidates(c, n);
    if (!n)
        return;
    vg_detect_input_t cur[2] = {*in_ts, *(in_tc ? in_tc : in_ts)};
    cur[0].fv = cur[1].fv = fv;
    const vg_detect_input_t *ins[2] = {&cur[0], &cur[1]};
    bool passed = false;
    for (int d = 0; d < (in_tc ? 2 : 1) && !passed; d++) {
        for (uint32_t i = 0; i < n; i++) {
            uint32_t pos = c->cand[i];
            if (c->tx_done[pos] || (d == 0 && ts_done && (grp->txf[pos] & TXF_TS_STABLE)) ||
                ((grp->txf[pos] & TXF_TC_ONLY) && !(cur[d].flow & VG_DIN_TOCLIENT)))
                continue;
            const vg_rule_t *r = grp->rules[pos];
            if (!flow_dir_ok(r, cur[d].flow)) /* what flow_match() would reject first */
                continue;
            if (!eval_tx_rule(c, r, &cur[d]))
                continue;
            cur[0].fv = cur[1].fv = fv = fv_for(c, r, fv, user);
            if (!(r->flags & VG_RULE_TX_PER_DIR))
                c->tx_done[pos] = 1;
            if (c->tx_seen && c->tx_seen(user, r, d))
                continue;
            if (r->action == VG_ACT_PASS) {
                /* a pass rule is not an alert: its flowbits take effect, this inspection ends,
                 * and the callback is told so that the caller passes the whole flow (Suricata
                 * passes a flow when a stateful pass rule matches) */
                if (fv)
                    vg_detect_apply_actions(r, fv);
                if (r->n_xbits)
                    xbit_actions(c, r, ins[d]->pkt);
                if (fv && (r->flags & VG_RULE_CAPTURES))
                    vg_detect_apply_captures(c->t, fv);
                cb(user, r, d);
                passed = true;
                break;
            }
            if (after_match(c, r, ins[d]->pkt, fv, now)) {
                c->stats[S_ALERT]++;
                cb(user, r, d);
            }
        }
    }
    for (uint32_t i = 0; i < n; i++)
        c->tx_done[c->cand[i]] = 0;
}
