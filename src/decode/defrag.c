/* defrag.c — IPv4 (RFC 791 §3.2) and IPv6 (RFC 8200 §4.5) fragment reassembly per decoder.
 *
 * Workload: almost all traffic is unfragmented, so this code only runs for fragments; what
 * matters is that hostile fragment streams can't take unbounded memory or time.
 *
 * Memory. Everything (trackers, fragment records, fragment bytes, saved headers) lives in one
 * pool of fixed 512-byte blocks. The pool grows by slabs of 64 blocks with malloc only while the
 * total stays within cfg.defrag_memcap, and is returned to the system only when the decoder is
 * freed: after warm-up, storing a fragment doesn't allocate. When no block is left, the fragment
 * is dropped ("defrag.memcap_exceeded", event <ipv>.frag_ignored). At most cfg.defrag_max_trackers
 * datagrams are tracked at once ("defrag.max_trackers_reached") and at most VG_DEFRAG_MAX_FRAGS
 * fragments per datagram ("defrag.max_frag_hits").
 *
 * Key: (version, source, destination, id, IPv4 protocol, VLAN ids).
 *
 * Overlaps: policy "first": bytes already received win; a later fragment only contributes bytes
 * no earlier fragment covered. Every overlap (including exact duplicates) raises
 * <ipv>.frag_overlap; a fragment entirely covered by earlier ones is not stored. A second last
 * fragment with a different end, or data beyond the known end, is an overlap too and is dropped.
 * Assembly writes the fragments newest first so the oldest bytes are written last.
 *
 * Timeouts: a datagram not completed within cfg.defrag_timeout_s of packet time after its first
 * fragment is dropped, by vg_decode_tick or when a fragment for it arrives late
 * ("defrag.ipv4.timeouts"). Trackers sit on a FIFO in creation order, so expiry is O(expired).
 *
 * Completion: once the last fragment is known, the offset-0 fragment has been seen and the bytes
 * [0, end) are covered, the datagram is written to the caller's buffer: the unfragmentable header
 * of the offset-0 fragment, then the data. IPv4: total length set, MF/offset cleared, checksum
 * recomputed. IPv6: the fragment header is dropped, its next-header value patched into the header
 * that named it, and the payload length set.
 */
#include "decode/decode_int.h"

#include "common/hash.h"

#include <stdlib.h>
#include <string.h>

/* Fragments per datagram: enough for any datagram up to 65535 bytes cut into the smallest legal
 * pieces (8 bytes), as Suricata keeps them (its limits are the memcap and the tracker count).
 * The fragment list is walked per fragment, so a hostile datagram costs O(n) per fragment at
 * most: the bound keeps that at 8192 steps. */
#define VG_DEFRAG_MAX_FRAGS 8192
#define BLK_SIZE 512
#define SLAB_BLKS 64

typedef struct dblk {
    struct dblk *next;
    uint8_t data[BLK_SIZE - sizeof(struct dblk *)];
} dblk_t;

typedef struct frag {
    struct frag *next;  /* sorted by offset */
    struct frag *older; /* arrival order, newest first */
    dblk_t *more;       /* data beyond the inline part */
    uint32_t off, len;
    uint8_t data[BLK_SIZE - 3 * sizeof(void *) - 8];
} frag_t;

typedef struct frag_key {
    vg_addr_t src, dst;
    uint32_t id;
    uint16_t vlan[VG_PKT_MAX_VLAN];
    uint8_t n_vlan, ver, proto, pad;
} frag_key_t;

typedef struct tracker {
    struct tracker *hnext;       /* hash bucket chain */
    struct tracker *prev, *next; /* FIFO in creation order */
    frag_key_t key;
    uint64_t hash;
    vg_time_t created;
    frag_t *frags;  /* sorted by offset */
    frag_t *newest; /* arrival list */
    dblk_t *hdr;    /* unfragmentable header of the offset-0 fragment */
    uint32_t hdr_len, nh_off;
    uint32_t end; /* bytes of fragmentable data, once the last fragment is known */
    uint32_t n_frags;
    uint8_t next_hdr; /* IPv6: next header from the offset-0 fragment's FH */
    bool have_last, have_first;
} tracker_t;

_Static_assert(sizeof(tracker_t) <= BLK_SIZE, "tracker fits a block");
_Static_assert(sizeof(frag_t) <= BLK_SIZE, "frag fits a block");
_Static_assert(sizeof(dblk_t) <= BLK_SIZE, "dblk fits a block");

typedef union blk {
    union blk *next_free;
    uint8_t raw[BLK_SIZE];
    void *align_;
} blk_t;

typedef struct slab {
    struct slab *next;
    blk_t blks[SLAB_BLKS];
} slab_t;

struct vg_defrag {
    uint64_t memcap, timeout_us;
    uint32_t max_trackers, n_trackers;
    size_t slab_bytes, blks_used;
    blk_t *free;
    slab_t *slabs;
    tracker_t **buckets;
    size_t n_buckets; /* power of two */
    tracker_t *oldest, *newest;
};

/* ---- block pool ---- */

static void *blk_get(vg_defrag_t *df)
{
    if (!df->free) {
        if (df->slab_bytes + sizeof(slab_t) > df->memcap)
            return NULL;
        slab_t *s = malloc(sizeof *s);
        if (!s)
            return NULL;
        s->next = df->slabs;
        df->slabs = s;
        df->slab_bytes += sizeof *s;
        for (int i = SLAB_BLKS - 1; i >= 0; i--) {
            s->blks[i].next_free = df->free;
            df->free = &s->blks[i];
        }
    }
    blk_t *b = df->free;
    df->free = b->next_free;
    df->blks_used++;
    return b;
}

static void blk_put(vg_defrag_t *df, void *p)
{
    if (!p)
        return;
    blk_t *b = p;
    b->next_free = df->free;
    df->free = b;
    df->blks_used--;
}

static void chain_put(vg_defrag_t *df, dblk_t *c)
{
    while (c) {
        dblk_t *n = c->next;
        blk_put(df, c);
        c = n;
    }
}

/* Copies n bytes into a new chain of data blocks; false (nothing kept) when the pool is empty. */
static bool chain_store(vg_defrag_t *df, dblk_t **out, const uint8_t *src, size_t n)
{
    dblk_t **tail = out;
    *out = NULL;
    while (n) {
        dblk_t *b = blk_get(df);
        if (!b) {
            chain_put(df, *out);
            *out = NULL;
            return false;
        }
        size_t k = VG_MIN(n, sizeof b->data);
        memcpy(b->data, src, k);
        b->next = NULL;
        *tail = b;
        tail = &b->next;
        src += k;
        n -= k;
    }
    return true;
}

static void chain_load(const dblk_t *c, uint8_t *dst, size_t n)
{
    for (; c && n; c = c->next) {
        size_t k = VG_MIN(n, sizeof c->data);
        memcpy(dst, c->data, k);
        dst += k;
        n -= k;
    }
}

/* ---- lifetime ---- */

vg_defrag_t *vg_defrag_new(const vg_decode_config_t *cfg)
{
    vg_defrag_t *df = vg_xcalloc(1, sizeof *df);
    df->memcap = cfg->defrag_memcap;
    df->max_trackers = cfg->defrag_max_trackers;
    df->timeout_us = (uint64_t)cfg->defrag_timeout_s * VG_USEC_PER_SEC;
    size_t nb = 16;
    while (nb < df->max_trackers && nb < (1u << 16))
        nb <<= 1;
    df->n_buckets = nb;
    df->buckets = vg_xcalloc(nb, sizeof *df->buckets);
    return df;
}

void vg_defrag_free(vg_defrag_t *df)
{
    if (!df)
        return;
    while (df->slabs) {
        slab_t *n = df->slabs->next;
        free(df->slabs);
        df->slabs = n;
    }
    free(df->buckets);
    free(df);
}

size_t vg_defrag_trackers_in_use(const vg_defrag_t *df) { return df->n_trackers; }
size_t vg_defrag_memuse(const vg_defrag_t *df) { return df->slab_bytes; }
size_t vg_defrag_bytes_in_use(const vg_defrag_t *df) { return df->blks_used * BLK_SIZE; }

/* ---- trackers ---- */

static void tracker_free(vg_defrag_t *df, tracker_t *t)
{
    tracker_t **pp = &df->buckets[t->hash & (df->n_buckets - 1)];
    while (*pp && *pp != t)
        pp = &(*pp)->hnext;
    if (*pp)
        *pp = t->hnext;
    if (t->prev)
        t->prev->next = t->next;
    else
        df->oldest = t->next;
    if (t->next)
        t->next->prev = t->prev;
    else
        df->newest = t->prev;
    for (frag_t *f = t->frags; f;) {
        frag_t *n = f->next;
        chain_put(df, f->more);
        blk_put(df, f);
        f = n;
    }
    chain_put(df, t->hdr);
    blk_put(df, t);
    df->n_trackers--;
}

static bool expired(const vg_defrag_t *df, const tracker_t *t, vg_time_t now)
{
    return now >= t->created && now - t->created >= df->timeout_us;
}

static void count_timeout(vg_decoder_t *d, const tracker_t *t)
{
    d->stats[t->key.ver == 6 ? VG_DS_DEFRAG_IPV6_TIMEOUTS : VG_DS_DEFRAG_IPV4_TIMEOUTS]++;
}

void vg_defrag_expire(vg_decoder_t *d, vg_time_t now)
{
    vg_defrag_t *df = d->defrag;
    while (df->oldest && expired(df, df->oldest, now)) {
        count_timeout(d, df->oldest);
        tracker_free(df, df->oldest);
    }
}

static tracker_t *tracker_find(vg_defrag_t *df, const frag_key_t *k, uint64_t h)
{
    for (tracker_t *t = df->buckets[h & (df->n_buckets - 1)]; t; t = t->hnext)
        if (t->hash == h && memcmp(&t->key, k, sizeof *k) == 0)
            return t;
    return NULL;
}

static tracker_t *tracker_new(vg_defrag_t *df, const frag_key_t *k, uint64_t h, vg_time_t now)
{
    tracker_t *t = blk_get(df);
    if (!t)
        return NULL;
    memset(t, 0, sizeof *t);
    t->key = *k;
    t->hash = h;
    t->created = now;
    tracker_t **b = &df->buckets[h & (df->n_buckets - 1)];
    t->hnext = *b;
    *b = t;
    t->prev = df->newest;
    if (df->newest)
        df->newest->next = t;
    else
        df->oldest = t;
    df->newest = t;
    df->n_trackers++;
    return t;
}

/* ---- fragments ---- */

typedef struct ev_codes {
    uint16_t overlap, too_large, ignored;
} ev_codes_t;

/* Whether [off, end) is entirely covered by the stored fragments; *any set when some overlap. */
static bool covered(const tracker_t *t, uint32_t off, uint32_t end, bool *any)
{
    uint32_t pos = off;
    *any = false;
    for (const frag_t *f = t->frags; f; f = f->next) {
        uint32_t fe = f->off + f->len;
        if (f->off < end && off < fe)
            *any = true;
        if (f->off <= pos && fe > pos)
            pos = fe;
    }
    return pos >= end;
}

static frag_t *frag_store(vg_defrag_t *df, const vg_frag_in_t *in)
{
    frag_t *f = blk_get(df);
    if (!f)
        return NULL;
    size_t inl = VG_MIN(in->len, sizeof f->data);
    memcpy(f->data, in->data, inl);
    f->off = in->off;
    f->len = in->len;
    f->next = f->older = NULL;
    if (!chain_store(df, &f->more, in->data + inl, in->len - inl)) {
        blk_put(df, f);
        return NULL;
    }
    return f;
}

static void frag_link(tracker_t *t, frag_t *f)
{
    frag_t **pp = &t->frags;
    while (*pp && (*pp)->off <= f->off)
        pp = &(*pp)->next;
    f->next = *pp;
    *pp = f;
    f->older = t->newest;
    t->newest = f;
    t->n_frags++;
}

static bool complete(const tracker_t *t)
{
    if (!t->have_last || !t->have_first)
        return false;
    uint32_t pos = 0;
    for (const frag_t *f = t->frags; f && f->off <= pos; f = f->next)
        pos = VG_MAX(pos, f->off + f->len);
    return pos >= t->end;
}

/* Writes fragment f's bytes that fall in [0, end) at out + f->off. */
static void frag_load(const frag_t *f, uint8_t *out, uint32_t end)
{
    if (f->off >= end)
        return;
    uint32_t n = VG_MIN(f->len, end - f->off);
    uint32_t inl = VG_MIN(n, (uint32_t)sizeof f->data);
    memcpy(out + f->off, f->data, inl);
    chain_load(f->more, out + f->off + inl, n - inl);
}

static size_t assemble(const tracker_t *t, uint8_t *out)
{
    uint32_t hl = t->hdr_len;
    size_t total = (size_t)hl + t->end;
    chain_load(t->hdr, out, hl);
    for (const frag_t *f = t->newest; f; f = f->older) /* newest first: the first bytes win */
        frag_load(f, out + hl, t->end);
    if (t->key.ver == 4) {
        out[2] = (uint8_t)(total >> 8);
        out[3] = (uint8_t)total;
        out[6] &= 0x40; /* keep DF, clear MF and the offset */
        out[7] = 0;
        out[10] = out[11] = 0;
        uint16_t c = vg_csum_fold(vg_csum_add(0, out, hl));
        out[10] = (uint8_t)(c >> 8);
        out[11] = (uint8_t)c;
    } else {
        size_t plen = total - 40;
        out[4] = (uint8_t)(plen >> 8);
        out[5] = (uint8_t)plen;
        out[t->nh_off] = t->next_hdr;
    }
    return total;
}

static enum vg_frag_result drop(vg_decoder_t *d, vg_packet_t *p, int stat, uint16_t ev)
{
    if (stat >= 0)
        d->stats[stat]++;
    vg_dec_event(d, p, ev);
    return VG_FRAG_DROPPED;
}

static bool save_first(vg_defrag_t *df, tracker_t *t, const vg_frag_in_t *in)
{
    if (!chain_store(df, &t->hdr, in->hdr, in->hdr_len))
        return false;
    t->hdr_len = in->hdr_len;
    t->nh_off = in->nh_off;
    t->next_hdr = in->proto;
    t->have_first = true;
    return true;
}

enum vg_frag_result vg_defrag_insert(vg_decoder_t *d, vg_packet_t *p, const vg_frag_in_t *in,
                                     uint8_t *out, size_t cap, size_t *out_len)
{
    vg_defrag_t *df = d->defrag;
    bool v6 = in->ver == 6;
    ev_codes_t ev = v6 ? (ev_codes_t){VG_DEV_IPV6_FRAG_OVERLAP, VG_DEV_IPV6_FRAG_PKT_TOO_LARGE,
                                      VG_DEV_IPV6_FRAG_IGNORED}
                       : (ev_codes_t){VG_DEV_IPV4_FRAG_OVERLAP, VG_DEV_IPV4_FRAG_PKT_TOO_LARGE,
                                      VG_DEV_IPV4_FRAG_IGNORED};
    d->stats[v6 ? VG_DS_DEFRAG_IPV6_FRAGMENTS : VG_DS_DEFRAG_IPV4_FRAGMENTS]++;

    uint64_t end = (uint64_t)in->off + in->len;
    uint64_t limit = v6 ? 65535 - (uint64_t)(in->hdr_len - 40) : 65535 - (uint64_t)in->hdr_len;
    if (end > limit || in->hdr_len + end > cap) {
        vg_dec_invalid(d, p, ev.too_large);
        return VG_FRAG_DROPPED;
    }
    if (v6 && in->more && in->len % 8 != 0) {
        vg_dec_invalid(d, p, VG_DEV_IPV6_FRAG_INVALID_LENGTH);
        return VG_FRAG_DROPPED;
    }

    frag_key_t k;
    memset(&k, 0, sizeof k);
    k.src = p->src;
    k.dst = p->dst;
    k.id = in->id;
    k.ver = in->ver;
    k.proto = v6 ? 0 : in->proto;
    k.n_vlan = p->n_vlan;
    for (unsigned i = 0; i < p->n_vlan && i < VG_PKT_MAX_VLAN; i++)
        k.vlan[i] = p->vlan[i];
    uint64_t h = vg_hash_bytes(&k, sizeof k, 0x9e3779b9u);

    tracker_t *t = tracker_find(df, &k, h);
    if (t && expired(df, t, p->ts)) {
        count_timeout(d, t);
        tracker_free(df, t);
        t = NULL;
    }
    if (!t) {
        if (df->n_trackers >= df->max_trackers)
            return drop(d, p, VG_DS_DEFRAG_MAX_TRACKERS_REACHED, ev.ignored);
        t = tracker_new(df, &k, h, p->ts);
        if (!t)
            return drop(d, p, VG_DS_DEFRAG_MEMCAP_EXCEEDED, ev.ignored);
    }
    if (t->n_frags >= VG_DEFRAG_MAX_FRAGS)
        return drop(d, p, VG_DS_DEFRAG_MAX_FRAG_HITS, ev.ignored);

    /* Data past the known end, or a different end: the first last fragment wins. */
    if (t->have_last && (end > t->end || (!in->more && end != t->end)))
        return drop(d, p, -1, ev.overlap);
    bool any = false;
    bool nothing_new = covered(t, in->off, (uint32_t)end, &any);
    if (any)
        vg_dec_event(d, p, ev.overlap);
    if (!nothing_new) {
        frag_t *f = frag_store(df, in);
        if (!f)
            return drop(d, p, VG_DS_DEFRAG_MEMCAP_EXCEEDED, ev.ignored);
        if (in->off == 0 && !t->have_first && !save_first(df, t, in)) {
            chain_put(df, f->more);
            blk_put(df, f);
            return drop(d, p, VG_DS_DEFRAG_MEMCAP_EXCEEDED, ev.ignored);
        }
        frag_link(t, f);
    }
    /* A duplicate may still be the one that says where the datagram ends. */
    if (!in->more) {
        t->have_last = true;
        t->end = (uint32_t)end;
    }
    if (!complete(t))
        return VG_FRAG_HELD;

    if ((size_t)t->hdr_len + t->end > cap) {
        tracker_free(df, t);
        vg_dec_invalid(d, p, ev.too_large);
        return VG_FRAG_DROPPED;
    }
    *out_len = assemble(t, out);
    d->stats[v6 ? VG_DS_DEFRAG_IPV6_REASSEMBLED : VG_DS_DEFRAG_IPV4_REASSEMBLED]++;
    tracker_free(df, t);
    return VG_FRAG_DONE;
}
