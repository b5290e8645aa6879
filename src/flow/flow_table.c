/* flow_table.c — the per-worker flow table.
 *
 * Workload: on attack traffic most flows are one to three packets (spoofed SYNs, scans), so flow
 * creation and expiry are the hot path, not lookup of long flows. Hence:
 *  - flows come from a pool of fixed-size slots grown in chunks up to the memcap, recycled through
 *    a free list: no malloc per flow;
 *  - buckets are chains of slot indices (uint32), about as many buckets as slots: the array
 *    doubles (and is rehashed) when the pool grows, instead of being sized once for the largest
 *    pool the memcap allows (1 M buckets, 4 MB per worker). The bucket load is still the main
 *    cost of a lookup on attack traffic (a cache miss per packet);
 *  - expiry needs no scan: each timeout class (protocol kind x state) has one timeout value, so a
 *    list per class kept in order of last activity (a packet moves its flow to the tail) has its
 *    oldest flow at the head. A tick pops expired heads; eviction under memory pressure pops the
 *    oldest head over all classes.
 */
#include "flow/flow.h"
#include "common/common.h"
#include "decode/decode.h"
#include "common/hash.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define CHUNK 4096u
#define NIL 0u /* slot indices are 1-based so that 0 means none */
#define N_CLASSES 12

enum {
    C_TOTAL, C_ACTIVE, C_TCP, C_UDP, C_ICMP4, C_ICMP6, C_OTHER, C_MEMCAP, C_EMERG, C_MEMUSE,
    C_END_NEW, C_END_EST, C_END_CLOSED, C_REASON_TIMEOUT, C_REASON_FORCED, C_REASON_SHUTDOWN,
    C_N
};

static const char *const stat_names[C_N] = {
    "flow.total", "flow.active", "flow.tcp", "flow.udp", "flow.icmpv4", "flow.icmpv6",
    "flow.other", "flow.memcap", "flow.emerg_mode_entered", "flow.memuse",
    "flow.end.state.new", "flow.end.state.established", "flow.end.state.closed",
    "flow.end.reason.timeout", "flow.end.reason.forced", "flow.end.reason.shutdown",
};
static const vg_stats_table_t stats_table = {stat_names, C_N};

typedef struct tlist {
    uint32_t head, tail;
} tlist_t;

struct vg_flow_table {
    vg_flow_config_t cfg;
    vg_flow_end_fn on_end;
    void *user;
    vg_flow_t **chunks;   /* chunk k holds slots k*CHUNK+1 .. (k+1)*CHUNK */
    uint32_t n_chunks, max_chunks;
    void *arena;          /* address space for all chunks (pool_reserve), or NULL: calloc each */
    size_t arena_len;
    uint32_t n_slots;     /* slots allocated */
    uint32_t free_head;   /* free list through _next */
    uint32_t *buckets;
    uint32_t bucket_mask;
    uint32_t max_buckets;
    tlist_t lists[N_CLASSES];
    uint64_t stats[C_N];
    bool in_emergency;
    bool unchained;       /* flushing: the buckets were emptied at once (vg_flow_table_flush) */
};

void vg_flow_config_defaults(vg_flow_config_t *cfg)
{
    cfg->memcap = 128ULL << 20;
    static const uint32_t t[4][3] = {{60, 600, 60}, {30, 300, 30}, {30, 300, 30}, {30, 300, 30}};
    memcpy(cfg->timeout, t, sizeof t);
    cfg->synack_reverses = false;
}

static inline vg_flow_t *slot(const vg_flow_table_t *t, uint32_t idx)
{
    uint32_t i = idx - 1;
    return &t->chunks[i / CHUNK][i % CHUNK];
}

/* On attack traffic the pool is tens of MB of slots touched at random, a TLB miss per flow
 * access on 4 KB pages (and the prefetches of the lookahead were wasted on them). So the chunks are
 * carved in order out of one reservation of address space for the whole memcap, asked to be
 * backed by transparent huge pages (2 MB). Only what is touched becomes memory, as before; the
 * memuse counter still counts whole chunks. Without the reservation: one calloc per chunk. */
#define HUGE_PAGE (2u << 20)

static void pool_reserve(vg_flow_table_t *t)
{
    size_t len = (size_t)t->max_chunks * CHUNK * sizeof(vg_flow_t) + HUGE_PAGE;
    void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                   -1, 0);
    if (p == MAP_FAILED)
        return;
    t->arena = p;
    t->arena_len = len;
#ifdef MADV_HUGEPAGE
    char *a = (char *)(((uintptr_t)p + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1));
    (void)madvise(a, len - (size_t)(a - (char *)p), MADV_HUGEPAGE); /* a hint only */
#endif
}

static vg_flow_t *chunk_alloc(vg_flow_table_t *t)
{
    if (!t->arena)
        return calloc(CHUNK, sizeof(vg_flow_t));
    uintptr_t a = ((uintptr_t)t->arena + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1);
    return (vg_flow_t *)a + (size_t)t->n_chunks * CHUNK; /* fresh pages: zero */
}

vg_flow_table_t *vg_flow_table_new(const vg_flow_config_t *cfg, vg_flow_end_fn on_end, void *user)
{
    vg_flow_table_t *t = vg_xcalloc(1, sizeof *t);
    t->cfg = *cfg;
    t->on_end = on_end;
    t->user = user;
    uint64_t max_flows = cfg->memcap / (sizeof(vg_flow_t) + 2 * sizeof(uint32_t));
    if (max_flows < CHUNK)
        max_flows = CHUNK;
    if (max_flows > (1u << 30))
        max_flows = 1u << 30;
    /* whole chunks only, rounded down, so that the slots and their buckets stay under the cap
     * (one chunk at least: a cap below ~1.3 MB is rounded up to it) */
    t->max_chunks = (uint32_t)(max_flows / CHUNK);
    t->chunks = vg_xcalloc(t->max_chunks, sizeof *t->chunks);
    pool_reserve(t);
    uint32_t nb = 1024;
    while (nb < max_flows)
        nb <<= 1;
    t->max_buckets = nb;
    nb = CHUNK;
    t->buckets = vg_xcalloc(nb, sizeof(uint32_t));
    t->bucket_mask = nb - 1;
    t->stats[C_MEMUSE] = (uint64_t)nb * sizeof(uint32_t);
    return t;
}

const vg_stats_table_t *vg_flow_stats_table(void) { return &stats_table; }
const uint64_t *vg_flow_stats_values(const vg_flow_table_t *t) { return t->stats; }

const char *vg_flow_state_name(enum vg_flow_state st)
{
    static const char *const n[] = {"new", "established", "closed"};
    return st <= VG_FLOW_CLOSED ? n[st] : "unknown";
}

const char *vg_flow_reason_name(enum vg_flow_end_reason r)
{
    static const char *const n[] = {"timeout", "forced", "shutdown"};
    return r <= VG_FLOW_END_SHUTDOWN ? n[r] : "unknown";
}

/* --- keys --- */

static inline int proto_kind(uint8_t proto)
{
    switch (proto) {
    case 6: return 0;
    case 17: return 1;
    case 1:
    case 58: return 2;
    default: return 3;
    }
}

static inline bool icmp_is_echo(uint8_t proto, uint8_t type)
{
    if (proto == 1)
        return type == 0 || type == 8;
    return type == 128 || type == 129;
}

/* 16-bit digest of an echo payload (FNV-1a over its length and at most 256 captured bytes, never
 * 0, which means "no request yet"). */
static uint16_t echo_digest(const vg_packet_t *p)
{
    uint32_t n = p->payload_len < 256 ? p->payload_len : 256;
    uint32_t h = 2166136261u ^ p->payload_len;
    h *= 16777619u;
    for (uint32_t i = 0; i < n; i++) {
        h ^= p->payload[i];
        h *= 16777619u;
    }
    uint16_t d = (uint16_t)(h ^ (h >> 16));
    return d ? d : 1;
}

static inline void sat_inc(uint16_t *c)
{
    if (*c != UINT16_MAX)
        (*c)++;
}

/* A request's payload is remembered (the last two, for pipelined pings); a reply whose payload
 * is neither was not echoed, which ping never does and ICMP tunnels do all the time. */
static void echo_check(vg_flow_t *f, const vg_packet_t *p)
{
    uint16_t d = echo_digest(p);
    bool request = p->proto == 1 ? p->icmp_type == 8 : p->icmp_type == 128;
    if (request) {
        if (f->echo_req_digest[0] && p->payload_len != f->echo_last_size)
            sat_inc(&f->echo_size_changes);
        f->echo_last_size = (uint16_t)(p->payload_len > UINT16_MAX ? UINT16_MAX : p->payload_len);
        f->echo_req_digest[1] = f->echo_req_digest[0];
        f->echo_req_digest[0] = d;
    } else if (f->echo_req_digest[0] && d != f->echo_req_digest[0] &&
               d != f->echo_req_digest[1]) {
        sat_inc(&f->echo_mismatch);
    }
}

/* The ICMP type answering `type` (echo → echo reply, ...), 0 when none: Suricata 7's
 * ICMPv4GetCounterpart / ICMPv6GetCounterpart pairs. */
static uint8_t icmp_answer(uint8_t proto, uint8_t type)
{
    static const uint8_t v4[][2] = {{8, 0}, {13, 14}, {15, 16}, {10, 9}, {17, 18}};
    static const uint8_t v6[][2] = {{128, 129}, {130, 131}, {133, 134}, {135, 136}, {139, 140},
                                    {144, 145}, {146, 147}};
    const uint8_t(*tab)[2] = proto == 1 ? v4 : v6;
    size_t n = proto == 1 ? VG_ARRAY_LEN(v4) : VG_ARRAY_LEN(v6);
    for (size_t i = 0; i < n; i++) {
        if (tab[i][0] == type)
            return tab[i][1];
        if (tab[i][1] == type)
            return tab[i][0];
    }
    return 0;
}

/* Ports of a packet as the flow key uses them: TCP/UDP/SCTP ports. ICMP, as Suricata 7 keys it:
 * the "source port" is the message's type (ICMPv6: type + 256 x code, Suricata's icmp_s union
 * over the port) and the "destination port" the type answering it (0 when none), so a request
 * and its answer meet in one flow (the answer matches the request's key reversed), a request
 * the other way starts another, and messages of unrelated types are flows of their own. Other
 * protocols use 0. */
static inline void pkt_ports(const vg_packet_t *p, uint16_t *sp, uint16_t *dp)
{
    if (p->proto == 6 || p->proto == 17 || p->proto == 132) {
        *sp = p->sp;
        *dp = p->dp;
    } else if (p->proto == 1) {
        *sp = p->icmp_type;
        *dp = icmp_answer(1, p->icmp_type);
    } else if (p->proto == 58) {
        *sp = (uint16_t)(p->icmp_type | p->icmp_code << 8);
        *dp = icmp_answer(58, p->icmp_type);
    } else {
        *sp = *dp = 0;
    }
}

static inline uint32_t key_hash_of(const vg_addr_t *src, const vg_addr_t *dst, uint16_t sp,
                                   uint16_t dp, uint8_t proto, const uint16_t *vlan)
{
    uint64_t a = vg_hash_bytes(src->b, 16, sp);
    uint64_t b = vg_hash_bytes(dst->b, 16, dp);
    uint64_t h = (a + b) ^ ((uint64_t)proto << 40) ^ ((uint64_t)vlan[0] << 16) ^ vlan[1];
    return (uint32_t)vg_hash_mix64(h);
}

static inline uint32_t key_hash(const vg_packet_t *p, uint16_t sp, uint16_t dp)
{
    return key_hash_of(&p->src, &p->dst, sp, dp, p->proto, p->vlan);
}

static inline bool addr_eq(const vg_addr_t *a, const vg_addr_t *b)
{
    return memcmp(a->b, b->b, 16) == 0;
}

/* 0 when the key (src, sp) -> (dst, dp) of protocol proto, with p's IP version and VLANs, is
 * f's from the initiator side, 1 from the responder side, -1 no match. */
static inline int key_match_of(const vg_flow_t *f, const vg_packet_t *p, const vg_addr_t *src,
                               const vg_addr_t *dst, uint16_t sp, uint16_t dp, uint8_t proto)
{
    if (f->proto != proto || f->ip_ver != p->ip_ver || f->n_vlan != p->n_vlan ||
        f->vlan[0] != p->vlan[0] || f->vlan[1] != p->vlan[1])
        return -1;
    if (f->port[0] == sp && f->port[1] == dp && addr_eq(&f->addr[0], src) &&
        addr_eq(&f->addr[1], dst))
        return 0;
    if (f->port[0] == dp && f->port[1] == sp && addr_eq(&f->addr[0], dst) &&
        addr_eq(&f->addr[1], src))
        return 1;
    return -1;
}

/* The same for p's own key. */
static inline int key_match(const vg_flow_t *f, const vg_packet_t *p, uint16_t sp, uint16_t dp)
{
    return key_match_of(f, p, &p->src, &p->dst, sp, dp, p->proto);
}

/* --- timeout lists --- */

static inline uint8_t tclass_of(const vg_flow_t *f)
{
    return (uint8_t)(proto_kind(f->proto) * 3 + f->state);
}

static inline uint32_t class_timeout(const vg_flow_table_t *t, uint8_t c)
{
    return t->cfg.timeout[c / 3][c % 3];
}

static void list_remove(vg_flow_table_t *t, uint32_t idx)
{
    vg_flow_t *f = slot(t, idx);
    tlist_t *l = &t->lists[f->_tclass];
    if (f->_lprev)
        slot(t, f->_lprev)->_lnext = f->_lnext;
    else
        l->head = f->_lnext;
    if (f->_lnext)
        slot(t, f->_lnext)->_lprev = f->_lprev;
    else
        l->tail = f->_lprev;
    f->_lprev = f->_lnext = NIL;
}

static void list_append(vg_flow_table_t *t, uint32_t idx)
{
    vg_flow_t *f = slot(t, idx);
    tlist_t *l = &t->lists[f->_tclass];
    f->_lnext = NIL;
    f->_lprev = l->tail;
    if (l->tail)
        slot(t, l->tail)->_lnext = idx;
    else
        l->head = idx;
    l->tail = idx;
}

/* --- slots --- */

static void rehash(vg_flow_table_t *t, uint32_t nb)
{
    uint32_t *nbk = calloc(nb, sizeof(uint32_t));
    if (!nbk)
        return; /* keep the smaller array: longer chains, still correct */
    uint32_t mask = nb - 1;
    for (uint32_t idx = 1; idx <= t->n_slots; idx++) {
        vg_flow_t *f = slot(t, idx);
        if (!f->_in_use)
            continue;
        f->_next = nbk[f->hash & mask];
        nbk[f->hash & mask] = idx;
    }
    t->stats[C_MEMUSE] += (uint64_t)(nb - (t->bucket_mask + 1)) * sizeof(uint32_t);
    free(t->buckets);
    t->buckets = nbk;
    t->bucket_mask = mask;
}

static bool grow(vg_flow_table_t *t)
{
    if (t->n_chunks >= t->max_chunks)
        return false;
    vg_flow_t *c = chunk_alloc(t);
    if (!c)
        return false;
    t->chunks[t->n_chunks++] = c;
    uint32_t base = t->n_slots;
    for (uint32_t i = CHUNK; i > 0; i--) {
        c[i - 1]._next = t->free_head;
        t->free_head = base + i;
    }
    t->n_slots += CHUNK;
    t->stats[C_MEMUSE] += (uint64_t)CHUNK * sizeof(vg_flow_t);
    if (t->n_slots > t->bucket_mask + 1 && t->bucket_mask + 1 < t->max_buckets)
        rehash(t, (t->bucket_mask + 1) * 2);
    return true;
}

/* Ends flow idx: unlinks it from its bucket and list, calls the end hook, frees the slot. */
static void end_flow(vg_flow_table_t *t, uint32_t idx, enum vg_flow_end_reason reason)
{
    vg_flow_t *f = slot(t, idx);
    if (!t->unchained) {
        uint32_t *pp = &t->buckets[f->hash & t->bucket_mask];
        while (*pp && *pp != idx)
            pp = &slot(t, *pp)->_next;
        if (*pp)
            *pp = f->_next;
    }
    list_remove(t, idx);
    t->stats[C_END_NEW + f->state]++;
    t->stats[C_REASON_TIMEOUT + reason]++;
    if (t->on_end)
        t->on_end(t->user, f, reason);
    memset(f, 0, sizeof *f);
    f->_next = t->free_head;
    t->free_head = idx;
    t->stats[C_ACTIVE]--;
}

/* The lines of a slot that a lookup or an unlink reads: slots are not line-aligned, so the key
 * and hash (first 48 bytes) may span two lines; the chain link is at the end. */
static inline void prefetch_slot(const vg_flow_table_t *t, uint32_t idx)
{
    const char *f = (const char *)slot(t, idx);
    __builtin_prefetch(f);
    __builtin_prefetch(f + offsetof(vg_flow_t, hash) + 3);
    __builtin_prefetch(f + offsetof(vg_flow_t, _next));
}

/* Expiry ends flows in list order, and each end_flow() walks the flow's bucket chain to unlink
 * it: a cache miss on the bucket, often another on the chain (new flows go to the chain's head,
 * so the oldest is behind younger ones). Before ending idx: prefetch the bucket of the list's
 * next flow (whose slot the previous call prefetched) and the flow after it. (A deeper pipeline
 * along the list measured slower: its pointer chasing stalled on lines not yet arrived.) */
static void prefetch_after(const vg_flow_table_t *t, uint32_t idx)
{
    uint32_t n = slot(t, idx)->_lnext;
    if (!n)
        return;
    const vg_flow_t *nf = slot(t, n);
    if (!t->unchained)
        __builtin_prefetch(&t->buckets[nf->hash & t->bucket_mask]);
    if (nf->_lnext)
        prefetch_slot(t, nf->_lnext);
}

/* End the least recently active flow over all classes with the given reason. */
static bool evict_oldest_reason(vg_flow_table_t *t, enum vg_flow_end_reason reason)
{
    uint32_t best = NIL;
    vg_time_t best_last = 0;
    for (int c = 0; c < N_CLASSES; c++) {
        uint32_t h = t->lists[c].head;
        if (h && (best == NIL || slot(t, h)->last < best_last)) {
            best = h;
            best_last = slot(t, h)->last;
        }
    }
    if (best == NIL)
        return false;
    prefetch_after(t, best);
    end_flow(t, best, reason);
    return true;
}

/* Under memory pressure: end the least recently active flow early. */
static bool evict_oldest(vg_flow_table_t *t) { return evict_oldest_reason(t, VG_FLOW_END_FORCED); }

static uint32_t alloc_slot(vg_flow_table_t *t)
{
    if (!t->free_head && !grow(t)) {
        t->stats[C_MEMCAP]++;
        if (!t->in_emergency) {
            t->in_emergency = true;
            t->stats[C_EMERG]++;
        }
        if (!evict_oldest(t))
            return NIL;
    } else if (t->in_emergency && t->free_head) {
        t->in_emergency = false;
    }
    uint32_t idx = t->free_head;
    t->free_head = slot(t, idx)->_next;
    /* The next new flow's slot, read (its free-list link) and then cleared and written: fetch
     * it now, a few packets before (the free list changes too often to do it at lookahead). */
    if (t->free_head) {
        const char *f = (const char *)slot(t, t->free_head);
        for (size_t o = 0; o < sizeof(vg_flow_t); o += 64)
            __builtin_prefetch(f + o, 1);
        __builtin_prefetch(f + sizeof(vg_flow_t) - 1, 1);
    }
    return idx;
}

static bool is_expired(const vg_flow_table_t *t, const vg_flow_t *f, vg_time_t now)
{
    return now > f->last + (vg_time_t)class_timeout(t, f->_tclass) * VG_USEC_PER_SEC;
}

static void update(vg_flow_table_t *t, uint32_t idx, const vg_packet_t *p, int dir)
{
    vg_flow_t *f = slot(t, idx);
    f->pkts[dir]++;
    f->bytes[dir] += vg_pkt_flow_len(p);
    if (p->ts > f->last)
        f->last = p->ts;
    f->dir_seen |= (uint8_t)(1u << dir);
    if (p->proto == 6) {
        f->tcp_flags[dir] |= p->tcp_flags;
    } else if (p->proto == 1 || p->proto == 58) {
        if (f->pkts[dir] == 1) {
            f->icmp_type[dir] = p->icmp_type;
            f->icmp_code[dir] = p->icmp_code;
        }
        if (f->pkts[0] + f->pkts[1] == 1)
            f->icmp_id = p->icmp_id;
        if (icmp_is_echo(p->proto, p->icmp_type))
            echo_check(f, p);
    }
    /* UDP/ICMP/other: established once both directions were seen (Suricata's rule). TCP state
     * is set by the stream stage through vg_flow_set_state. */
    list_remove(t, idx);
    if (p->proto != 6 && f->state == VG_FLOW_NEW && f->dir_seen == 3) {
        f->state = VG_FLOW_ESTABLISHED;
        f->_tclass = tclass_of(f);
    }
    list_append(t, idx);
}

uint32_t vg_flow_key_hash(const vg_packet_t *p)
{
    vg_icmp_quote_t q;
    if (p->proto == 1 && p->icmp_type == 3 && vg_icmp4_quote(p, &q)) /* the flow it quotes */
        return key_hash_of(&q.src, &q.dst, q.sp, q.dp, q.proto, p->vlan);
    uint16_t sp, dp;
    pkt_ports(p, &sp, &dp);
    return key_hash(p, sp, dp);
}

void vg_flow_prefetch(const vg_flow_table_t *t, uint32_t hash, int step)
{
    const uint32_t *bucket = &t->buckets[hash & t->bucket_mask];
    if (step == 0) {
        __builtin_prefetch(bucket);
        return;
    }
    if (step == 2) { /* the chain's second flow (most packets of attack traffic start a flow:
                      * the lookup reads the whole chain) */
        if (*bucket && slot(t, *bucket)->_next)
            prefetch_slot(t, slot(t, *bucket)->_next);
        return;
    }
    if (*bucket)
        prefetch_slot(t, *bucket);
}

vg_flow_t *vg_flow_lookup(vg_flow_table_t *t, const vg_packet_t *p, int *dir)
{
    if (p->ip_ver != 4 && p->ip_ver != 6)
        return NULL;
    return vg_flow_lookup_hash(t, p, vg_flow_key_hash(p), dir);
}

/* An ICMPv4 error message, as Suricata 7 treats it: it never starts a flow; a destination
 * unreachable quoting a TCP or UDP packet joins that packet's flow, either way round, as a
 * packet of the direction its sender is on (a router's error goes to_client like the server's);
 * it counts in the flow's packets and bytes but not as the direction being seen (a UDP flow
 * answered only by an error stays "new"). NULL: no flow. */
static vg_flow_t *icmp_error_flow(vg_flow_table_t *t, const vg_packet_t *p, uint32_t h, int *dir)
{
    vg_icmp_quote_t q;
    if (!vg_icmp4_quote(p, &q))
        return NULL;
    uint32_t *bucket = &t->buckets[h & t->bucket_mask];
    for (uint32_t idx = *bucket; idx; idx = slot(t, idx)->_next) {
        vg_flow_t *f = slot(t, idx);
        if (f->hash != h || key_match_of(f, p, &q.src, &q.dst, q.sp, q.dp, q.proto) < 0)
            continue; /* (the quoted packet's own direction does not matter, its sender's does) */
        if (is_expired(t, f, p->ts)) { /* ended; the error starts nothing */
            end_flow(t, idx, VG_FLOW_END_TIMEOUT);
            return NULL;
        }
        int d = addr_eq(&f->addr[0], &p->src) ? 0 : 1;
        f->pkts[d]++;
        f->bytes[d] += vg_pkt_flow_len(p);
        if (f->icmp_errs[d] != UINT16_MAX)
            f->icmp_errs[d]++;
        if (p->ts > f->last)
            f->last = p->ts;
        list_remove(t, idx);
        list_append(t, idx);
        *dir = d;
        return f;
    }
    return NULL;
}

vg_flow_t *vg_flow_lookup_hash(vg_flow_table_t *t, const vg_packet_t *p, uint32_t h, int *dir)
{
    if (p->ip_ver != 4 && p->ip_ver != 6)
        return NULL;
    if (p->proto == 1 && vg_icmp4_is_error(p->icmp_type))
        return icmp_error_flow(t, p, h, dir);
    /* Suricata 7 keeps flows for these protocols only (IGMP, OSPF, PIM, an undecoded GRE... have
     * none there: their packets are inspected without a flow) */
    if (p->proto != 6 && p->proto != 17 && p->proto != 1 && p->proto != 58 && p->proto != 132 &&
        p->proto != 50)
        return NULL;
    uint16_t sp, dp;
    pkt_ports(p, &sp, &dp);
    uint32_t *bucket = &t->buckets[h & t->bucket_mask];
    for (uint32_t idx = *bucket; idx; idx = slot(t, idx)->_next) {
        vg_flow_t *f = slot(t, idx);
        if (f->hash != h)
            continue;
        int d = key_match(f, p, sp, dp);
        if (d < 0)
            continue;
        if (is_expired(t, f, p->ts)) {
            end_flow(t, idx, VG_FLOW_END_TIMEOUT);
            break; /* a new flow with the same key starts below */
        }
        /* A new TCP SYN on a closed session starts a new flow (port reuse). */
        if (p->proto == 6 && f->state == VG_FLOW_CLOSED &&
            (p->tcp_flags & (VG_TCP_SYN | VG_TCP_ACK)) == VG_TCP_SYN) {
            end_flow(t, idx, VG_FLOW_END_FORCED);
            break;
        }
        update(t, idx, p, d);
        *dir = d;
        return f;
    }
    uint32_t idx = alloc_slot(t);
    if (!idx)
        return NULL;
    bucket = &t->buckets[h & t->bucket_mask]; /* eviction may have changed the chain */
    vg_flow_t *f = slot(t, idx);
    memset(f, 0, sizeof *f);
    /* The initiator is the sender of the first packet, except that a TCP SYN-ACK seen first
     * (the SYN was missed) makes its receiver the initiator when the configuration says so
     * (stream.midstream, as Suricata). */
    bool reverse = t->cfg.synack_reverses && p->proto == 6 &&
                   (p->tcp_flags & (VG_TCP_SYN | VG_TCP_ACK)) == (VG_TCP_SYN | VG_TCP_ACK);
    int d = reverse ? 1 : 0;
    f->addr[d] = p->src;
    f->addr[1 - d] = p->dst;
    f->port[d] = sp;
    f->port[1 - d] = dp;
    f->proto = p->proto;
    f->ip_ver = p->ip_ver;
    f->n_vlan = p->n_vlan;
    f->vlan[0] = p->vlan[0];
    f->vlan[1] = p->vlan[1];
    f->hash = h;
    f->start = f->last = p->ts;
    f->_in_use = 1;
    f->_idx = idx;
    f->state = VG_FLOW_NEW;
    f->_tclass = tclass_of(f);
    f->_next = *bucket;
    *bucket = idx;
    list_append(t, idx);
    t->stats[C_TOTAL]++;
    t->stats[C_ACTIVE]++;
    switch (p->proto) {
    case 6: t->stats[C_TCP]++; break;
    case 17: t->stats[C_UDP]++; break;
    case 1: t->stats[C_ICMP4]++; break;
    case 58: t->stats[C_ICMP6]++; break;
    default: t->stats[C_OTHER]++;
    }
    update(t, idx, p, d);
    *dir = d;
    return f;
}

#define SWAP(a, b) do { __typeof__(a) t_ = (a); (a) = (b); (b) = t_; } while (0)

void vg_flow_swap(vg_flow_table_t *t, vg_flow_t *f)
{
    (void)t; /* the hash and the chain are symmetric: nothing in the table moves */
    SWAP(f->addr[0], f->addr[1]);
    SWAP(f->port[0], f->port[1]);
    SWAP(f->pkts[0], f->pkts[1]);
    SWAP(f->bytes[0], f->bytes[1]);
    SWAP(f->tcp_flags[0], f->tcp_flags[1]);
    SWAP(f->icmp_type[0], f->icmp_type[1]);
    SWAP(f->icmp_errs[0], f->icmp_errs[1]);
    SWAP(f->icmp_code[0], f->icmp_code[1]);
    SWAP(f->app_detect_done[0], f->app_detect_done[1]);
    f->dir_seen = (uint8_t)(((f->dir_seen & 1) << 1) | ((f->dir_seen >> 1) & 1));
    f->iponly_dirs = (uint8_t)(((f->iponly_dirs & 1) << 1) | ((f->iponly_dirs >> 1) & 1));
}

void vg_flow_set_state(vg_flow_table_t *t, vg_flow_t *f, enum vg_flow_state st)
{
    if (f->state == st)
        return;
    uint32_t idx = f->_idx;
    list_remove(t, idx);
    f->state = (uint8_t)st;
    f->_tclass = tclass_of(f);
    list_append(t, idx);
}

void vg_flow_table_tick(vg_flow_table_t *t, vg_time_t now)
{
    for (int c = 0; c < N_CLASSES; c++) {
        while (t->lists[c].head) {
            uint32_t idx = t->lists[c].head;
            if (!is_expired(t, slot(t, idx), now))
                break;
            prefetch_after(t, idx);
            end_flow(t, idx, VG_FLOW_END_TIMEOUT);
        }
    }
}

void vg_flow_table_flush(vg_flow_table_t *t, enum vg_flow_end_reason reason)
{
    /* Every flow ends: empty the buckets at once rather than unlink each flow from its chain
     * (a cache miss or two per flow). The end hook does not look flows up. */
    memset(t->buckets, 0, ((size_t)t->bucket_mask + 1) * sizeof *t->buckets);
    t->unchained = true;
    /* End in order of last activity, oldest first, so output is stable. */
    while (evict_oldest_reason(t, reason))
        ;
    t->unchained = false;
}

void vg_flow_table_free(vg_flow_table_t *t)
{
    if (!t)
        return;
    vg_flow_table_flush(t, VG_FLOW_END_SHUTDOWN);
    if (t->arena)
        munmap(t->arena, t->arena_len);
    else
        for (uint32_t k = 0; k < t->n_chunks; k++)
            free(t->chunks[k]);
    free(t->chunks);
    free(t->buckets);
    free(t);
}
