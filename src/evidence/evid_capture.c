/* evid_capture.c — per-flow packet rings and the pcap files of alerted flows (evidence.h). */
#include "evidence/evidence.h"
#include "common/common.h"
#include "common/log.h"

#include <sodium.h>

#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FLUSH_AT (64 * 1024) /* buffered file bytes before an append */
#define PCAP_SNAPLEN 262144u

enum { S_FILES, S_FLOWS_UNTRACKED, S_LINKTYPE_SKIPS, S_PACKETS, S_RING_EVICTIONS, S_RING_DROPS,
       S_TRUNCATED, S_WRITE_ERRORS, S_N };
static const char *const s_names[S_N] = {
    "evidence.files", "evidence.flows_untracked", "evidence.linktype_skips", "evidence.packets",
    "evidence.ring_evictions", "evidence.ring_memcap_drops", "evidence.truncated",
    "evidence.write_errors",
};
static const vg_stats_table_t s_table = {s_names, S_N};

#define POOL_MIN_SHIFT 7  /* 128 bytes */
#define POOL_CLASSES 12   /* up to 2^18 = PCAP_SNAPLEN */
#define SLAB_SIZE (512u * 1024)

typedef struct slot {
    vg_time_t ts;
    uint64_t pcap_cnt;
    uint32_t caplen, wirelen, cap;
    uint8_t *data;
} slot_t;

/* The file of an alerted flow. */
typedef struct afile {
    char name[64];
    crypto_hash_sha256_state sha;
    uint8_t *obuf;
    size_t olen, ocap;
    uint64_t packets, size;  /* in the file, buffered bytes included */
    uint64_t last_cnt, last_idx;
    bool sealed, truncated, werr;
    char final_hex[65];      /* once sealed */
} afile_t;

/* Per-flow state. Rings that hold memory are on the context's LRU list (least recently given a
 * packet first): when the memcap is reached the stalest rings are released to make room, so the
 * memory goes to flows that are active (finished flows wait for their timeout with theirs). */
typedef struct eflow {
    struct eflow *lru_prev, *lru_next;
    slot_t *slots;           /* NULL: no ring memory */
    uint32_t n, head;        /* ring: packets held, next position */
    int linktype;
    uint64_t dropped;        /* packets lost to the memcap (not kept, or released) */
    afile_t *af;
} eflow_t;

struct vg_evid_ctx {
    vg_evid_config_t cfg;
    char *dir;
    eflow_t *lru_head, *lru_tail;
    /* Ring buffers come from slabs mapped for this context (not the heap: a pool of small
     * buffers held in the heap fragmented it and slowed every other malloc of the worker) and go
     * back to a free list per size class (2^k bytes) for reuse; slabs are unmapped at the end.
     * Slabs take at most 3/4 of the memcap; per-flow state and file buffers the rest. */
    struct { void **v; size_t n, cap; } pool[POOL_CLASSES]; /* stacks: releasing a ring does
                                                              * not touch its (cold) buffers */
    uint64_t pooled;         /* bytes on the free lists */
    void *slabs;             /* list of slabs (first word: next) */
    uint8_t *carve;          /* unused end of the newest slab */
    size_t carve_left;
    uint64_t slab_bytes, ring_bytes, other_bytes;
    uint64_t counters[S_N];
    bool logged_error;
};

/* A flow that got no state (the memcap), so it is counted once and not retried per packet. */
static char untracked_mark;
#define UNTRACKED ((void *)&untracked_mark)

vg_evid_ctx_t *vg_evid_ctx_new(const vg_evid_config_t *cfg)
{
    if (sodium_init() < 0)
        return NULL;
    vg_evid_ctx_t *c = vg_xcalloc(1, sizeof *c);
    c->cfg = *cfg;
    if (c->cfg.ring_packets < 1)
        c->cfg.ring_packets = 1;
    c->dir = vg_xstrdup(cfg->dir);
    c->cfg.dir = c->dir;
    return c;
}

void vg_evid_ctx_free(vg_evid_ctx_t *c)
{
    if (!c)
        return;
    for (unsigned k = 0; k < POOL_CLASSES; k++)
        free(c->pool[k].v);
    while (c->slabs) {
        void *next;
        memcpy(&next, c->slabs, sizeof next);
        munmap(c->slabs, SLAB_SIZE);
        c->slabs = next;
    }
    free(c->dir);
    free(c);
}

uint64_t vg_evid_mem_used(const vg_evid_ctx_t *c) { return c->slab_bytes + c->other_bytes; }
uint64_t vg_evid_mem_flows(const vg_evid_ctx_t *c) { return c->ring_bytes + c->other_bytes; }
const vg_stats_table_t *vg_evid_stats_table(void) { return &s_table; }
const uint64_t *vg_evid_stats_values(const vg_evid_ctx_t *c) { return c->counters; }

static size_t slots_size(const vg_evid_ctx_t *c) { return c->cfg.ring_packets * sizeof(slot_t); }

static unsigned size_class(size_t n)
{
    unsigned k = 0;
    while (((size_t)1 << (k + POOL_MIN_SHIFT)) < n)
        k++;
    return k;
}

static size_t class_size(unsigned k) { return (size_t)1 << (k + POOL_MIN_SHIFT); }

static void pool_put(vg_evid_ctx_t *c, void *b, size_t cap)
{
    if (!b)
        return;
    unsigned k = size_class(cap);
    if (c->pool[k].n == c->pool[k].cap) {
        c->pool[k].cap = c->pool[k].cap ? 2 * c->pool[k].cap : 64;
        c->pool[k].v = vg_xrealloc(c->pool[k].v, c->pool[k].cap * sizeof(void *));
    }
    c->pool[k].v[c->pool[k].n++] = b;
    c->pooled += cap;
    c->ring_bytes -= cap;
}

static bool evict_one(vg_evid_ctx_t *c, const eflow_t *self);

static void lru_unlink(vg_evid_ctx_t *c, eflow_t *ef)
{
    if (ef->lru_prev)
        ef->lru_prev->lru_next = ef->lru_next;
    else if (c->lru_head == ef)
        c->lru_head = ef->lru_next;
    if (ef->lru_next)
        ef->lru_next->lru_prev = ef->lru_prev;
    else if (c->lru_tail == ef)
        c->lru_tail = ef->lru_prev;
    ef->lru_prev = ef->lru_next = NULL;
}

static void lru_append(vg_evid_ctx_t *c, eflow_t *ef)
{
    ef->lru_prev = c->lru_tail;
    ef->lru_next = NULL;
    if (c->lru_tail)
        c->lru_tail->lru_next = ef;
    else
        c->lru_head = ef;
    c->lru_tail = ef;
}

/* Releases a flow's ring (buffers and slot array) and takes it off the LRU list. */
static void ring_free(vg_evid_ctx_t *c, eflow_t *ef)
{
    if (!ef->slots)
        return;
    for (uint32_t i = 0; i < c->cfg.ring_packets; i++)
        pool_put(c, ef->slots[i].data, ef->slots[i].cap);
    pool_put(c, ef->slots, class_size(size_class(slots_size(c))));
    ef->slots = NULL;
    ef->n = ef->head = 0;
    lru_unlink(c, ef);
}

/* Releases the stalest ring (not self's) into the pool. False when there is none. */
static bool evict_one(vg_evid_ctx_t *c, const eflow_t *self)
{
    eflow_t *old = c->lru_head;
    if (!old || old == self)
        return false;
    old->dropped += old->n;
    c->counters[S_RING_EVICTIONS]++;
    ring_free(c, old);
    return true;
}

/* Takes n bytes of the memcap for per-flow state or file buffers. */
static bool mem_take(vg_evid_ctx_t *c, uint64_t n)
{
    if (c->slab_bytes + c->other_bytes + n > c->cfg.memcap)
        return false;
    c->other_bytes += n;
    return true;
}

/* A ring buffer of class k: from the free list, else carved from a slab (a new one while the
 * slabs are under 3/4 of the memcap), else the stalest rings are released until one is free. */
static void *buf_get(vg_evid_ctx_t *c, unsigned k, const eflow_t *self)
{
    if (k >= POOL_CLASSES)
        return NULL;
    size_t sz = class_size(k);
    for (;;) {
        void *b = c->pool[k].n ? c->pool[k].v[--c->pool[k].n] : NULL;
        if (b) {
            c->pooled -= sz;
            c->ring_bytes += sz;
            return b;
        }
        if (c->carve_left >= sz) {
            b = c->carve;
            c->carve += sz;
            c->carve_left -= sz;
            c->ring_bytes += sz;
            return b;
        }
        if (c->slab_bytes + SLAB_SIZE <= c->cfg.memcap / 4 * 3 &&
            c->slab_bytes + c->other_bytes + SLAB_SIZE <= c->cfg.memcap) {
            void *m = mmap(NULL, SLAB_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                           -1, 0);
            if (m != MAP_FAILED) {
                /* what is left of the old slab goes to the free lists */
                for (unsigned j = POOL_CLASSES; j-- > 0;)
                    while (c->carve_left >= class_size(j)) {
                        c->ring_bytes += class_size(j);
                        pool_put(c, c->carve, class_size(j));
                        c->carve += class_size(j);
                        c->carve_left -= class_size(j);
                    }
                memcpy(m, &c->slabs, sizeof(void *));
                c->slabs = m;
                c->slab_bytes += SLAB_SIZE;
                c->carve = (uint8_t *)m + 64;
                c->carve_left = SLAB_SIZE - 64;
                continue;
            }
        }
        if (!evict_one(c, self))
            return NULL;
    }
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static void io_error(vg_evid_ctx_t *c, afile_t *af, const char *what)
{
    int e = errno;
    c->counters[S_WRITE_ERRORS]++;
    af->werr = true;
    if (!c->logged_error) {
        vg_log(VG_LOG_ERROR, "evidence: %s/%s: %s: %s (further errors are counted in "
               "evidence.write_errors)", c->dir, af->name, what, strerror(e));
        c->logged_error = true;
    }
}

/* Appends the buffered bytes to the file. No fsync here (it would stall the worker): the ledger
 * makes the file system durable (syncfs) before each checkpoint that covers the file's entry. */
static void flush_file(vg_evid_ctx_t *c, afile_t *af)
{
    if (!af->olen)
        return;
    crypto_hash_sha256_update(&af->sha, af->obuf, af->olen);
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", c->dir, af->name);
    int fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
    if (fd < 0) {
        io_error(c, af, "open");
        af->olen = 0;
        return;
    }
    const uint8_t *p = af->obuf;
    size_t n = af->olen;
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            io_error(c, af, "write");
            break;
        }
        p += w;
        n -= (size_t)w;
    }
    if (close(fd) != 0)
        io_error(c, af, "close");
    af->olen = 0;
}

static void obuf_put(vg_evid_ctx_t *c, afile_t *af, const void *d, size_t n)
{
    if (af->olen + n > af->ocap) {
        size_t nc = af->ocap ? af->ocap : 4096;
        while (nc < af->olen + n)
            nc *= 2;
        c->other_bytes += nc - af->ocap; /* see put_record: bounded */
        af->obuf = vg_xrealloc(af->obuf, nc);
        af->ocap = nc;
    }
    memcpy(af->obuf + af->olen, d, n);
    af->olen += n;
    af->size += n;
}

static void put_record(vg_evid_ctx_t *c, afile_t *af, vg_time_t ts, uint64_t pcap_cnt,
                       const uint8_t *data, uint32_t caplen, uint32_t wirelen)
{
    uint8_t h[16];
    put32(h, (uint32_t)(ts / VG_USEC_PER_SEC));
    put32(h + 4, (uint32_t)(ts % VG_USEC_PER_SEC));
    put32(h + 8, caplen);
    put32(h + 12, wirelen);
    obuf_put(c, af, h, sizeof h);
    obuf_put(c, af, data, caplen);
    af->packets++;
    af->last_cnt = pcap_cnt;
    af->last_idx = af->packets;
    c->counters[S_PACKETS]++;
    bool over = c->slab_bytes + c->other_bytes > c->cfg.memcap;
    if (af->olen >= FLUSH_AT || over)
        flush_file(c, af);
    if (over) { /* many alerted flows at once: no buffering until there is room again */
        c->other_bytes -= af->ocap;
        free(af->obuf);
        af->obuf = NULL;
        af->ocap = 0;
    }
}

static void seal(vg_evid_ctx_t *c, eflow_t *ef, vg_evid_sealed_t *out)
{
    afile_t *af = ef->af;
    flush_file(c, af);
    unsigned char md[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_final(&af->sha, md);
    af->sealed = true;
    c->other_bytes -= af->ocap;
    free(af->obuf);
    af->obuf = NULL;
    af->ocap = 0;
    memset(out, 0, sizeof *out);
    snprintf(out->file, sizeof out->file, "%s", af->name);
    sodium_bin2hex(out->sha256, sizeof out->sha256, md, sizeof md);
    memcpy(af->final_hex, out->sha256, sizeof af->final_hex);
    out->size = af->size;
    out->packets = af->packets;
    out->truncated = af->truncated;
    out->ring_dropped = ef->dropped;
    out->write_error = af->werr;
    if (af->truncated)
        c->counters[S_TRUNCATED]++;
}

static eflow_t *eflow_get(vg_evid_ctx_t *c, void **slot, int linktype)
{
    if (*slot)
        return *slot == UNTRACKED ? NULL : *slot;
    if (!mem_take(c, sizeof(eflow_t))) {
        c->counters[S_FLOWS_UNTRACKED]++;
        *slot = UNTRACKED;
        return NULL;
    }
    eflow_t *ef = vg_xcalloc(1, sizeof *ef);
    ef->linktype = linktype;
    *slot = ef;
    return ef;
}

bool vg_evid_packet(vg_evid_ctx_t *c, void **slot, const vg_packet_t *p, vg_evid_sealed_t *out)
{
    eflow_t *ef = eflow_get(c, slot, p->linktype);
    if (!ef)
        return false;
    if (p->linktype != ef->linktype) {
        c->counters[S_LINKTYPE_SKIPS]++;
        return false;
    }
    afile_t *af = ef->af;
    if (af) {
        if (af->sealed)
            return false;
        if (af->packets >= c->cfg.max_packets || af->size + 16 + p->caplen > c->cfg.max_bytes) {
            af->truncated = true;
            seal(c, ef, out);
            return true;
        }
        put_record(c, af, p->ts, p->pcap_cnt, p->data, p->caplen, p->wirelen);
        return false;
    }
    /* into the ring: overwrite the oldest when full */
    uint32_t k = c->cfg.ring_packets;
    if (!ef->slots) {
        ef->slots = buf_get(c, size_class(slots_size(c)), ef);
        if (!ef->slots) {
            ef->dropped++;
            c->counters[S_RING_DROPS]++;
            return false;
        }
        memset(ef->slots, 0, slots_size(c));
        lru_append(c, ef);
    } else if (c->lru_tail != ef) {
        lru_unlink(c, ef);
        lru_append(c, ef);
    }
    slot_t *s = &ef->slots[ef->head];
    if (s->cap < p->caplen) {
        unsigned cls = size_class(p->caplen);
        /* the slot's old buffer goes anyway */
        pool_put(c, s->data, s->cap);
        s->data = NULL;
        s->cap = 0;
        s->data = buf_get(c, cls, ef);
        if (!s->data) {
            /* not kept: the ring loses its oldest packet too (its buffer was freed) */
            if (ef->n == k)
                ef->n--;
            ef->dropped++;
            c->counters[S_RING_DROPS]++;
            return false;
        }
        s->cap = (uint32_t)class_size(cls);
    }
    memcpy(s->data, p->data, p->caplen);
    s->ts = p->ts;
    s->pcap_cnt = p->pcap_cnt;
    s->caplen = p->caplen;
    s->wirelen = p->wirelen;
    ef->head = (ef->head + 1) % k;
    if (ef->n < k)
        ef->n++;
    return false;
}

static bool create_file(vg_evid_ctx_t *c, afile_t *af, uint64_t flow_id)
{
    char path[4096];
    for (int i = 0; i < 1000; i++) {
        if (i == 0)
            snprintf(af->name, sizeof af->name, "flow-%llu.pcap", (unsigned long long)flow_id);
        else
            snprintf(af->name, sizeof af->name, "flow-%llu-%d.pcap", (unsigned long long)flow_id, i);
        snprintf(path, sizeof path, "%s/%s", c->dir, af->name);
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd >= 0) {
            close(fd);
            return true;
        }
        if (errno != EEXIST)
            break;
    }
    io_error(c, af, "create");
    return false;
}

/* The alert's reference: file, packet index, and the hash of the file so far (written out
 * first, so the bytes it covers are in the file before the alert event exists). */
static void alert_ref(vg_evid_ctx_t *c, afile_t *af, uint64_t pcap_cnt, vg_evid_ref_t *ref)
{
    snprintf(ref->file, sizeof ref->file, "%s", af->name);
    ref->packet = (pcap_cnt && af->last_cnt == pcap_cnt) ? af->last_idx : 0;
    ref->bytes = 0;
    ref->sha256[0] = '\0';
    if (af->sealed) {
        memcpy(ref->sha256, af->final_hex, sizeof ref->sha256);
    } else {
        flush_file(c, af);
        crypto_hash_sha256_state st = af->sha;
        unsigned char md[crypto_hash_sha256_BYTES];
        crypto_hash_sha256_final(&st, md);
        sodium_bin2hex(ref->sha256, sizeof ref->sha256, md, sizeof md);
    }
    if (!af->werr && ref->sha256[0])
        ref->bytes = af->size;
}

bool vg_evid_alert(vg_evid_ctx_t *c, void **slot, uint64_t flow_id, uint64_t pcap_cnt,
                   vg_evid_ref_t *ref)
{
    eflow_t *ef = *slot;
    if (!ef || ef == UNTRACKED)
        return false;
    afile_t *af = ef->af;
    if (af) {
        if (!af->name[0])
            return false; /* the file could not be created */
        alert_ref(c, af, pcap_cnt, ref);
        return true;
    }
    af = vg_xcalloc(1, sizeof *af);
    c->other_bytes += sizeof *af;
    ef->af = af;
    if (!create_file(c, af, flow_id)) {
        af->name[0] = '\0';
        af->sealed = true;
        return false;
    }
    c->counters[S_FILES]++;
    crypto_hash_sha256_init(&af->sha);
    uint8_t gh[24];
    put32(gh, 0xa1b2c3d4u);
    gh[4] = 2; gh[5] = 0; gh[6] = 4; gh[7] = 0; /* version 2.4, little-endian */
    put32(gh + 8, 0);
    put32(gh + 12, 0);
    put32(gh + 16, PCAP_SNAPLEN);
    put32(gh + 20, (uint32_t)ef->linktype);
    obuf_put(c, af, gh, sizeof gh);
    uint32_t k = c->cfg.ring_packets;
    uint32_t first = (ef->head + k - ef->n) % k;
    for (uint32_t i = 0; ef->slots && i < ef->n; i++) {
        const slot_t *s = &ef->slots[(first + i) % k];
        put_record(c, af, s->ts, s->pcap_cnt, s->data, s->caplen, s->wirelen);
    }
    ring_free(c, ef);
    alert_ref(c, af, pcap_cnt, ref);
    return true;
}

bool vg_evid_flow_end(vg_evid_ctx_t *c, void **slot, vg_evid_sealed_t *out)
{
    eflow_t *ef = *slot;
    *slot = NULL;
    if (!ef || ef == UNTRACKED)
        return false;
    bool sealed_now = false;
    afile_t *af = ef->af;
    if (af) {
        if (!af->sealed) {
            seal(c, ef, out);
            sealed_now = true;
        }
        c->other_bytes -= af->ocap + sizeof *af;
        free(af->obuf);
        free(af);
    }
    ring_free(c, ef);
    c->other_bytes -= sizeof *ef;
    free(ef);
    return sealed_now;
}
