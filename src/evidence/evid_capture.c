/* evid_capture.c — per-flow packet rings and the pcap files of alerted flows (evidence.h). */
#include "evidence/evidence.h"
#include "common/common.h"
#include "common/log.h"

#include <openssl/evp.h>
#include <sodium.h>

#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FLUSH_AT (64 * 1024) /* buffered file bytes before an append */
#define PCAP_SNAPLEN 262144u

enum { S_FILES, S_FLOWS_UNTRACKED, S_LINKTYPE_SKIPS, S_PACKETS, S_REREAD_ERRORS, S_REREADS,
       S_RING_CLOSED_RECLAIMS, S_RING_EVICTIONS, S_RING_IDLE_RECLAIMS, S_RING_DROPS, S_TRUNCATED,
       S_WRITE_ERRORS, S_N };
static const char *const s_names[S_N] = {
    "evidence.files", "evidence.flows_untracked", "evidence.linktype_skips", "evidence.packets",
    "evidence.reread_errors", "evidence.rereads", "evidence.ring_closed_reclaims",
    "evidence.ring_evictions", "evidence.ring_idle_reclaims", "evidence.ring_memcap_drops",
    "evidence.truncated", "evidence.write_errors",
};
static const vg_stats_table_t s_table = {s_names, S_N};

#define POOL_MIN_SHIFT 7  /* 128 bytes */
#define POOL_CLASSES 12   /* up to 2^18 = PCAP_SNAPLEN */
#define SLAB_SIZE (512u * 1024)

/* A packet in a ring: this header, then either (span 0) caplen bytes, padded to 16, or (span > 0:
 * reading files) a ref_t saying where the packet's record is in input file file_idx: within
 * [off, off + span), read back at the flow's first alert. Record sizes are multiples of 16 (they
 * are kept / 16). */
typedef struct rec {
    vg_time_t ts;
    uint64_t pcap_cnt;
    uint32_t caplen, wirelen;
    uint32_t span;
    uint16_t file_idx;
    uint16_t pad;
} rec_t;
typedef struct ref {
    uint64_t off;
    uint64_t check;          /* fingerprint of the packet's first bytes (fingerprint()) */
} ref_t;
#define REC_SIZE(caplen) (sizeof(rec_t) + (((size_t)(caplen) + 15) & ~(size_t)15))
#define REF_REC_SIZE (sizeof(rec_t) + sizeof(ref_t))
#define RING_MIN 256u
/* A reference is kept only when the span is at most this much more than the packet (pcapng: the
 * non-packet blocks libpcap skipped before it), so reading one back needs a bounded buffer. */
#define SPAN_SLACK 65536u
#define FD_CACHE 8           /* input files kept open per worker for reading packets back */

/* The file of an alerted flow. */
typedef struct afile {
    char name[64];
    EVP_MD_CTX *sha;         /* SHA-256 of the bytes written so far (OpenSSL: SHA-NI where the
                              * CPU has it, several times faster than libsodium's portable C) */
    uint8_t *obuf;
    size_t olen, ocap;
    uint64_t packets, size;  /* in the file, buffered bytes included */
    uint64_t last_cnt, last_idx;
    int fd;                  /* kept open from creation to sealing when under cfg.fds_kept, else -1 */
    bool sealed, truncated, werr;
    char final_hex[65];      /* once sealed */
} afile_t;

/* Per-flow state (from chunks of its own, see eflow_alloc: in the slabs it could not be released
 * under pressure and fragmented the size classes the rings need). Rings that hold memory are on
 * the context's LRU list, kept as a "second chance" (clock) list, or, once their TCP flow
 * closed, on the closed list of their size (see buf_get for the order memory is taken back in).
 * A packet only sets the ring's `touched` flag instead of moving it to the tail (which touched
 * two neighbours' cache lines per packet); when a ring must be evicted, a ring at the head that
 * was touched since it last got there goes to the tail with the flag cleared, the first one that
 * was not is released. So the memory goes to flows that are active. */
typedef struct eflow {
    struct eflow *lru_prev, *lru_next;
    /* The ring: one buffer per flow (a power-of-two size from the slabs) holding the latest
     * packets as records back to back, used circularly: records [first, end), or when wrapped
     * [first, wrap) then [0, end). A record never straddles the end; dropping the oldest is
     * moving `first`, no copy. The buffer doubles (records copied once, in order) while the
     * flow has fewer than ring_packets packets and they do not fit, up to the largest size. */
    uint8_t *ring;           /* NULL: no ring memory */
    uint32_t cap, first, end, wrap, n;
    bool wrapped;
    int linktype;
    bool touched;            /* given a packet since it last reached the LRU head */
    bool closed;             /* the flow closed (TCP: FIN both ways, or RST): its ring, if any,
                              * is on the closed list, not the LRU list */
    uint64_t dropped;        /* packets lost to the memcap (not kept, or released) */
    vg_time_t last;          /* packet time of the ring's newest packet */
    afile_t *af;
    /* the records' sizes / 16, oldest at sz_head, circular over ring_packets entries: dropping
     * the oldest record must not read its header, which may be cold */
    uint32_t sz_head;
    uint16_t sz[];
} eflow_t;

struct vg_evid_ctx {
    vg_evid_config_t cfg;
    char *dir;
    eflow_t *lru_head, *lru_tail;
    /* Rings of flows that closed before any alert, one list per buffer size, oldest closing
     * first: the first memory taken back when a buffer of that size is needed, before a new slab
     * is mapped and before an active flow's ring is evicted (vg_evid_flow_closed). Same links as
     * the LRU list: a ring is on one of them. */
    struct { eflow_t *head, *tail; } closed[POOL_CLASSES];
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
    unsigned fds_open;       /* afile fds kept open */
    eflow_t *ef_free;        /* per-flow states for reuse (linked by lru_next) */
    size_t ef_size;          /* sizeof(eflow_t) with ring_packets sizes, rounded to 16 */
    void *ef_chunks;         /* chunks they come from (first word: next) */
    vg_time_t now;           /* packet time of the latest packet seen */
    EVP_MD *sha256;          /* fetched once (EVP_sha256's implicit fetch costs per init) */
    EVP_MD_CTX *sha_tmp;     /* for the hash of a file so far: a copy of its state, finished */
    /* Reading files: the input files rings keep references into (cfg.files), each probed at its
     * first packet here: format, and identity (device, inode, size, mtime) which must still be
     * the same when packets are read back. */
    struct src {
        char *path;
        int8_t state;        /* 0: not probed yet; 1: references; -1: copies (unknown format) */
        uint8_t fmt;         /* F_* */
        bool swapped;        /* pcap: big-endian headers; pcapng: the first section's order */
        uint8_t hdrsize;     /* pcap: record header bytes (16, or 24 for the "modified" format) */
        dev_t dev;
        ino_t ino;
        off_t size;
        struct timespec mtime;
        uint64_t checked;    /* the read-back (c->rereads_gen) that last checked the identity */
        bool checked_ok;     /* ... and what it found */
    } *src;
    size_t n_src;
    struct { int idx, fd; } fdc[FD_CACHE]; /* open input files (idx -1: free slot) */
    unsigned fdc_next;
    uint64_t rereads_gen;    /* one per ring read back: a file's identity is checked once in it */
    uint8_t *rbuf;           /* a record read back */
    size_t rbuf_cap;
};
enum { F_PCAP, F_PCAPNG };

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
    if (c->cfg.ring_packets > 65536)
        c->cfg.ring_packets = 65536;
    c->ef_size = (sizeof(eflow_t) + c->cfg.ring_packets * sizeof(uint16_t) + 15) & ~(size_t)15;
    if (cfg->files && !cfg->ring_copy && cfg->n_files) {
        c->n_src = cfg->n_files;
        c->src = vg_xcalloc(c->n_src, sizeof *c->src);
        for (size_t i = 0; i < c->n_src; i++)
            c->src[i].path = vg_xstrdup(cfg->files[i]);
    }
    c->cfg.files = NULL; /* c->src has them */
    for (unsigned i = 0; i < FD_CACHE; i++)
        c->fdc[i].idx = c->fdc[i].fd = -1;
    c->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
    c->sha_tmp = EVP_MD_CTX_new();
    if (!c->sha256 || !c->sha_tmp) {
        vg_log(VG_LOG_ERROR, "evidence: OpenSSL has no SHA-256");
        vg_evid_ctx_free(c);
        return NULL;
    }
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
    while (c->ef_chunks) {
        void *next;
        memcpy(&next, c->ef_chunks, sizeof next);
        free(c->ef_chunks);
        c->ef_chunks = next;
    }
    EVP_MD_CTX_free(c->sha_tmp);
    EVP_MD_free(c->sha256);
    for (unsigned i = 0; i < FD_CACHE; i++)
        if (c->fdc[i].fd >= 0)
            close(c->fdc[i].fd);
    for (size_t i = 0; i < c->n_src; i++)
        free(c->src[i].path);
    free(c->src);
    free(c->rbuf);
    free(c->dir);
    free(c);
}

uint64_t vg_evid_mem_used(const vg_evid_ctx_t *c) { return c->slab_bytes + c->other_bytes; }
uint64_t vg_evid_mem_flows(const vg_evid_ctx_t *c)
{
    return c->ring_bytes + c->other_bytes - c->rbuf_cap; /* the read-back buffer is no flow's */
}
const vg_stats_table_t *vg_evid_stats_table(void) { return &s_table; }
const uint64_t *vg_evid_stats_values(const vg_evid_ctx_t *c) { return c->counters; }

static unsigned size_class(size_t n)
{
    if (n <= ((size_t)1 << POOL_MIN_SHIFT))
        return 0;
    return (unsigned)(64 - __builtin_clzll((unsigned long long)(n - 1))) - POOL_MIN_SHIFT;
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

/* The list a ring is on: the closed list for a closed flow's ring, else the LRU list. */
static unsigned size_class(size_t n);
static eflow_t **list_head(vg_evid_ctx_t *c, const eflow_t *ef)
{
    return ef->closed ? &c->closed[size_class(ef->cap)].head : &c->lru_head;
}
static eflow_t **list_tail(vg_evid_ctx_t *c, const eflow_t *ef)
{
    return ef->closed ? &c->closed[size_class(ef->cap)].tail : &c->lru_tail;
}

static void lru_unlink(vg_evid_ctx_t *c, eflow_t *ef)
{
    eflow_t **head = list_head(c, ef), **tail = list_tail(c, ef);
    if (ef->lru_prev)
        ef->lru_prev->lru_next = ef->lru_next;
    else if (*head == ef)
        *head = ef->lru_next;
    if (ef->lru_next)
        ef->lru_next->lru_prev = ef->lru_prev;
    else if (*tail == ef)
        *tail = ef->lru_prev;
    ef->lru_prev = ef->lru_next = NULL;
}

static void lru_append(vg_evid_ctx_t *c, eflow_t *ef)
{
    eflow_t **head = list_head(c, ef), **tail = list_tail(c, ef);
    ef->lru_prev = *tail;
    ef->lru_next = NULL;
    if (*tail)
        (*tail)->lru_next = ef;
    else
        *head = ef;
    *tail = ef;
}

/* Releases a flow's ring (one buffer: O(1)) and takes it off the LRU list. */
static void ring_free(vg_evid_ctx_t *c, eflow_t *ef)
{
    if (!ef->ring)
        return;
    lru_unlink(c, ef); /* before cap changes: a closed ring's list is by its size */
    pool_put(c, ef->ring, ef->cap);
    ef->ring = NULL;
    ef->cap = ef->first = ef->end = ef->wrap = ef->n = ef->sz_head = 0;
    ef->wrapped = false;
}

/* Releases the stalest ring (not self's) into the pool: second chance for rings touched since
 * they last reached the head. False when there is none. Terminates: each turn releases a ring,
 * clears a flag, or moves self (then the others' flags get cleared). */
static bool evict_one(vg_evid_ctx_t *c, const eflow_t *self)
{
    eflow_t *old;
    for (;;) {
        old = c->lru_head;
        if (!old || (old == self && old == c->lru_tail))
            return false;
        if (old != self && !old->touched)
            break;
        old->touched = false;
        lru_unlink(c, old);
        lru_append(c, old);
    }
    old->dropped += old->n;
    c->counters[S_RING_EVICTIONS]++;
    ring_free(c, old);
    return true;
}

/* Releases the ring of size class k of the flow that closed longest ago (not self's). False when
 * there is none. */
static bool reclaim_closed(vg_evid_ctx_t *c, unsigned k, const eflow_t *self)
{
    eflow_t *old = c->closed[k].head;
    if (old == self)
        old = old->lru_next;
    if (!old)
        return false;
    old->dropped += old->n;
    c->counters[S_RING_CLOSED_RECLAIMS]++;
    ring_free(c, old);
    return true;
}

/* The ring at the LRU head when no packet came to it for ring_idle (and it is not self's):
 * released rather than taking new memory. False when there is none. */
static bool reclaim_idle(vg_evid_ctx_t *c, const eflow_t *self)
{
    eflow_t *old = c->lru_head;
    if (!c->cfg.ring_idle || !old || old == self ||
        old->last + (vg_time_t)c->cfg.ring_idle * VG_USEC_PER_SEC >= c->now)
        return false;
    old->dropped += old->n;
    c->counters[S_RING_IDLE_RECLAIMS]++;
    ring_free(c, old);
    return true;
}

/* A ring buffer of class k: from the free list, else carved from a slab, else the ring of that
 * size of the flow that closed longest ago, else the stalest ring if idle for ring_idle, else a
 * new slab (while the slabs are under 3/4 of the memcap), else the stalest rings are released
 * until one of that size is free. So the memory grows only for rings of flows still active,
 * and stays small (in the cache) when few flows are. */
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
        if (reclaim_closed(c, k, self) || reclaim_idle(c, self))
            continue;
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

/* Writes a record (header h, then n bytes of packet) at dst in a ring. Ordinary stores: rings
 * are taken back soon enough (closed flows' first, idle ones before new memory, buf_get) that
 * their buffers are usually still in the cache. (Streaming stores, which bypassed the cache,
 * were used while the rings filled the whole memcap; see bench/RESULTS.md, issue 7.) */
static void ring_store(uint8_t *dst, const rec_t *h, const uint8_t *src, size_t n)
{
    memcpy(dst, h, sizeof *h);
    memcpy(dst + sizeof *h, src, n);
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
    EVP_DigestUpdate(af->sha, af->obuf, af->olen);
    int fd = af->fd;
    if (fd < 0) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", c->dir, af->name);
        fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
        if (fd < 0) {
            io_error(c, af, "open");
            af->olen = 0;
            return;
        }
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
    if (fd != af->fd && close(fd) != 0)
        io_error(c, af, "close");
    af->olen = 0;
}

/* Closes a file kept open (sealing, or the flow's state going). */
static void file_close(vg_evid_ctx_t *c, afile_t *af)
{
    if (af->fd < 0)
        return;
    if (close(af->fd) != 0)
        io_error(c, af, "close");
    af->fd = -1;
    c->fds_open--;
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
    file_close(c, af);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    EVP_DigestFinal_ex(af->sha, md, &mdlen);
    EVP_MD_CTX_free(af->sha);
    af->sha = NULL;
    af->sealed = true;
    c->other_bytes -= af->ocap;
    free(af->obuf);
    af->obuf = NULL;
    af->ocap = 0;
    memset(out, 0, sizeof *out);
    snprintf(out->file, sizeof out->file, "%s", af->name);
    sodium_bin2hex(out->sha256, sizeof out->sha256, md, mdlen);
    memcpy(af->final_hex, out->sha256, sizeof af->final_hex);
    out->size = af->size;
    out->packets = af->packets;
    out->truncated = af->truncated;
    out->ring_dropped = ef->dropped;
    out->write_error = af->werr;
    if (af->truncated)
        c->counters[S_TRUNCATED]++;
}

/* Per-flow states come from chunks of EF_CHUNK and go back to a free list: a calloc and a free
 * per flow, among the parsers' allocations, made the worker's heap slower for everyone (malloc
 * was the second largest cost of evidence capture). The chunks are freed with the context; the
 * states in use are counted against the memcap. */
#define EF_CHUNK 256
static eflow_t *eflow_alloc(vg_evid_ctx_t *c)
{
    if (!c->ef_free) {
        uint8_t *ch = vg_xmalloc(16 + EF_CHUNK * c->ef_size);
        memcpy(ch, &c->ef_chunks, sizeof(void *));
        c->ef_chunks = ch;
        for (int i = EF_CHUNK; i-- > 0;) {
            eflow_t *e = (eflow_t *)(void *)(ch + 16 + (size_t)i * c->ef_size);
            e->lru_next = c->ef_free;
            c->ef_free = e;
        }
    }
    eflow_t *ef = c->ef_free;
    c->ef_free = ef->lru_next;
    memset(ef, 0, c->ef_size);
    return ef;
}

static eflow_t *eflow_get(vg_evid_ctx_t *c, void **slot, int linktype)
{
    if (*slot)
        return *slot == UNTRACKED ? NULL : *slot;
    if (c->slab_bytes + c->other_bytes + c->ef_size > c->cfg.memcap) {
        c->counters[S_FLOWS_UNTRACKED]++;
        *slot = UNTRACKED;
        return NULL;
    }
    c->other_bytes += c->ef_size;
    eflow_t *ef = eflow_alloc(c);
    ef->linktype = linktype;
    *slot = ef;
    return ef;
}

/* --- the per-flow ring --- */

static const rec_t *rec_at(const eflow_t *ef, uint32_t off)
{
    return (const rec_t *)(const void *)(ef->ring + off);
}

static void ring_drop_oldest(const vg_evid_ctx_t *c, eflow_t *ef)
{
    ef->first += (uint32_t)ef->sz[ef->sz_head] * 16;
    if (++ef->sz_head == c->cfg.ring_packets)
        ef->sz_head = 0;
    ef->n--;
    if (ef->n == 0) {
        ef->first = ef->end = ef->sz_head = 0;
        ef->wrapped = false;
    } else if (ef->wrapped && ef->first == ef->wrap) {
        ef->first = 0;
        ef->wrapped = false;
    }
}

/* Where a record of `need` bytes goes without dropping anything; UINT32_MAX when it does not
 * fit. Wraps to the start when it does not fit at the end but does there. */
static uint32_t ring_fit(eflow_t *ef, uint32_t need)
{
    if (ef->n == 0)
        return need <= ef->cap ? 0 : UINT32_MAX;
    if (ef->wrapped)
        return ef->end + need <= ef->first ? ef->end : UINT32_MAX;
    if (ef->end + need <= ef->cap)
        return ef->end;
    if (need <= ef->first) {
        ef->wrapped = true;
        ef->wrap = ef->end;
        ef->end = 0;
        return 0;
    }
    return UINT32_MAX;
}

static uint32_t rec_size(const rec_t *r)
{
    return (uint32_t)(r->span ? REF_REC_SIZE : REC_SIZE(r->caplen));
}

/* Each record r of the ring, oldest first. */
#define RING_FOREACH(ef, r)                                                                        \
    for (uint32_t ri_ = 0, off_ = (ef)->first;                                                     \
         ri_ < (ef)->n && ((r) = rec_at((ef), off_), 1);                                           \
         ri_++, off_ += rec_size(r),                                                               \
         off_ = ((ef)->wrapped && off_ == (ef)->wrap) ? 0 : off_)

/* A buffer of at least `want` bytes for the ring, the records moved into it in order. */
static bool ring_grow(vg_evid_ctx_t *c, eflow_t *ef, size_t want)
{
    unsigned k = size_class(want);
    if (k >= POOL_CLASSES)
        return false;
    uint8_t *nb = buf_get(c, k, ef);
    if (!nb)
        return false;
    uint32_t used = 0;
    bool link = !ef->ring || ef->closed;
    if (ef->ring) {
        if (ef->wrapped) {
            memcpy(nb, ef->ring + ef->first, ef->wrap - ef->first);
            memcpy(nb + (ef->wrap - ef->first), ef->ring, ef->end);
            used = ef->wrap - ef->first + ef->end;
        } else {
            memcpy(nb, ef->ring + ef->first, ef->end - ef->first);
            used = ef->end - ef->first;
        }
        pool_put(c, ef->ring, ef->cap);
        if (ef->closed)
            lru_unlink(c, ef); /* its closed list is by size: relinked below */
    }
    ef->ring = nb;
    ef->cap = (uint32_t)class_size(k);
    if (link)
        lru_append(c, ef);
    ef->first = 0;
    ef->end = ef->n ? used : 0;
    ef->wrapped = false;
    return true;
}

/* --- references into the input files --- */

static uint32_t get32(const uint8_t *p, bool swapped)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return swapped ? __builtin_bswap32(v) : v;
}

/* A fingerprint of a packet's first bytes (at most 48: the headers, which decoding has just
 * read, so this reads nothing cold), checked when the packet is read back: a reference that
 * does not lead to the same bytes is an error, never silently other bytes in the pcap. */
static uint64_t fingerprint(const uint8_t *d, uint32_t n)
{
    /* the first 48 bytes (Ethernet, IP and TCP headers up to the acknowledgement number: a
     * packet differs from its neighbours' in the IP id and the TCP numbers), six words each
     * times its own odd constant, summed: independent multiplies, no loop */
    uint8_t tail[48];
    if (n < sizeof tail) {
        memset(tail, 0, sizeof tail);
        memcpy(tail, d, n);
        d = tail;
    }
    uint64_t v[6];
    memcpy(v, d, sizeof v);
    uint64_t h = n * 0x2545f4914f6cdd1dull + v[0] * 0x9e3779b97f4a7c15ull +
                 v[1] * 0xc2b2ae3d27d4eb4full + v[2] * 0x165667b19e3779f9ull +
                 v[3] * 0xd6e8feb86659fd93ull + v[4] * 0xff51afd7ed558ccdull +
                 v[5] * 0xc4ceb9fe1a85ec53ull;
    return h ^ (h >> 29);
}

static void reread_error(vg_evid_ctx_t *c, const char *path, uint64_t pcap_cnt, const char *why)
{
    c->counters[S_REREAD_ERRORS]++;
    if (!c->logged_error) {
        vg_log(VG_LOG_ERROR, "evidence: %s: packet %llu could not be read back for its flow's "
               "pcap (%s); it is missing from it (further errors are counted in "
               "evidence.reread_errors)", path, (unsigned long long)pcap_cnt, why);
        c->logged_error = true;
    }
}

/* An open descriptor of input file idx (kept in a small cache), -1 on failure (*why says why).
 * At the file's probe (state 0) it records the file's identity; later it checks it. */
static int src_fd(vg_evid_ctx_t *c, size_t idx, const char **why)
{
    struct src *s = &c->src[idx];
    int fd = -1;
    unsigned slot = FD_CACHE;
    for (unsigned i = 0; i < FD_CACHE; i++)
        if (c->fdc[i].idx == (int)idx) {
            fd = c->fdc[i].fd;
            slot = i;
        }
    if (fd < 0) {
        fd = open(s->path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            *why = strerror(errno);
            return -1;
        }
        slot = c->fdc_next++ % FD_CACHE;
        if (c->fdc[slot].fd >= 0)
            close(c->fdc[slot].fd);
        c->fdc[slot].idx = (int)idx;
        c->fdc[slot].fd = fd;
    }
    if (s->state != 0 && s->checked == c->rereads_gen) { /* checked already for this ring */
        if (s->checked_ok)
            return fd;
        *why = "the capture file changed during the run";
        return -1;
    }
    s->checked = c->rereads_gen;
    s->checked_ok = false;
    struct stat st;
    if (fstat(fd, &st) != 0) {
        *why = strerror(errno);
        return -1;
    }
    if (s->state == 0) {
        s->dev = st.st_dev;
        s->ino = st.st_ino;
        s->size = st.st_size;
        s->mtime = st.st_mtim;
    } else if (st.st_dev != s->dev || st.st_ino != s->ino || st.st_size != s->size ||
               st.st_mtim.tv_sec != s->mtime.tv_sec || st.st_mtim.tv_nsec != s->mtime.tv_nsec) {
        close(fd);
        c->fdc[slot].idx = c->fdc[slot].fd = -1;
        *why = "the capture file changed during the run";
        return -1;
    }
    s->checked_ok = true;
    return fd;
}

static bool read_at(int fd, void *buf, size_t n, uint64_t off)
{
    while (n) {
        ssize_t r = pread(fd, buf, n, (off_t)off);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return false;
        buf = (uint8_t *)buf + r;
        n -= (size_t)r;
        off += (uint64_t)r;
    }
    return true;
}

/* Input file idx at its first packet here: whether rings can keep references into it (a pcap
 * or pcapng file, as libpcap read it), and its identity. */
static bool src_usable(vg_evid_ctx_t *c, size_t idx)
{
    struct src *s = &c->src[idx];
    if (s->state)
        return s->state > 0;
    const char *why = NULL;
    int fd = src_fd(c, idx, &why); /* state 0: records the identity */
    s->state = -1;
    uint8_t h[12];
    if (fd < 0 || !read_at(fd, h, sizeof h, 0))
        return false;
    uint32_t m = get32(h, false), sm = __builtin_bswap32(m);
    if (m == 0xa1b2c3d4u || m == 0xa1b23c4du || sm == 0xa1b2c3d4u || sm == 0xa1b23c4du) {
        s->fmt = F_PCAP;
        s->swapped = m != 0xa1b2c3d4u && m != 0xa1b23c4du;
        s->hdrsize = 16;
    } else if (m == 0xa1b2cd34u || sm == 0xa1b2cd34u) { /* the "modified" pcap format */
        s->fmt = F_PCAP;
        s->swapped = m != 0xa1b2cd34u;
        s->hdrsize = 24;
    } else if (m == 0x0a0d0d0au) {
        s->fmt = F_PCAPNG;
        s->swapped = get32(h + 8, false) != 0x1a2b3c4du;
    } else {
        return false; /* another format libpcap reads: copies */
    }
    s->state = 1;
    return true;
}

/* The bytes of a ring record kept as a reference: read back from its file, found in the record
 * (pcap) or in the packet block that ends the span (pcapng), and checked against the
 * fingerprint. NULL (logged, counted) when they cannot be. */
static const uint8_t *reread(vg_evid_ctx_t *c, const rec_t *r)
{
    const ref_t *rf = (const ref_t *)(const void *)(r + 1);
    struct src *s = &c->src[r->file_idx];
    const char *why = "not found where it was read";
    c->counters[S_REREADS]++;
    int fd = src_fd(c, r->file_idx, &why);
    if (fd < 0)
        goto fail;
    if (r->span > c->rbuf_cap) {
        c->other_bytes += r->span - c->rbuf_cap;
        c->rbuf = vg_xrealloc(c->rbuf, r->span);
        c->rbuf_cap = r->span;
    }
    uint8_t *b = c->rbuf;
    if (!read_at(fd, b, r->span, rf->off)) {
        why = "read error or the file is shorter";
        goto fail;
    }
    const uint8_t *d = NULL;
    if (s->fmt == F_PCAP) {
        if (s->hdrsize + (uint64_t)r->caplen <= r->span &&
            get32(b + 8, s->swapped) >= r->caplen) /* libpcap may have cut it to the snaplen */
            d = b + s->hdrsize;
    } else {
        /* blocks from the start of the span; the last one is the packet's */
        bool sw = s->swapped;
        for (uint64_t q = 0; q + 12 <= r->span;) {
            uint32_t type = get32(b + q, sw), len;
            if (type == 0x0a0d0d0au) /* a new section: its own byte order */
                sw = get32(b + q + 8, false) != 0x1a2b3c4du;
            len = get32(b + q + 4, sw);
            if (len < 12 || len % 4 || q + len > r->span)
                break;
            if (q + len == r->span) {
                uint32_t at = type == 3 ? 12 : (type == 6 || type == 2) ? 28 : 0;
                if (at && at + (uint64_t)r->caplen <= len)
                    d = b + q + at;
                break;
            }
            q += len;
        }
    }
    if (d && fingerprint(d, r->caplen) == rf->check)
        return d;
    if (d)
        why = "the bytes there are not the packet's";
fail:
    reread_error(c, s->path, r->pcap_cnt, why);
    return NULL;
}

/* Keeps packet p as the newest of the flow's ring: the oldest goes when the ring holds
 * ring_packets, or when the buffer is full and cannot grow (the largest size, or the memcap:
 * then the packets lost are counted). False when p itself could not be kept. Reading files, the
 * record is where the packet is in its file rather than its bytes (see evidence.h). */
static bool ring_put(vg_evid_ctx_t *c, eflow_t *ef, const vg_packet_t *p)
{
    bool ref = p->file_span && p->file_idx < c->n_src && !(p->flags & VG_PKT_REASSEMBLED) &&
               p->file_span <= (uint64_t)p->caplen + SPAN_SLACK && src_usable(c, p->file_idx);
    size_t need = ref ? REF_REC_SIZE : REC_SIZE(p->caplen);
    if (need > class_size(POOL_CLASSES - 1))
        return false;
    if (ef->ring)
        ef->touched = true;
    else if (!ring_grow(c, ef, ref ? VG_MAX(VG_MIN((size_t)c->cfg.ring_packets * REF_REC_SIZE,
                                                   1024), RING_MIN)
                                   : need * 2 > RING_MIN ? need * 2 : RING_MIN))
        return false; /* references: room for up to 21 at once, so the default ring of 8 never
                       * grows (most flows have a few packets) */
    if (ef->n == c->cfg.ring_packets)
        ring_drop_oldest(c, ef);
    uint32_t off;
    while ((off = ring_fit(ef, (uint32_t)need)) == UINT32_MAX) {
        /* grow while the ring holds fewer packets than it should; the records are copied
         * once per doubling, so at most about once more in all */
        if (ef->n < c->cfg.ring_packets && ef->cap < class_size(POOL_CLASSES - 1) &&
            ring_grow(c, ef, (size_t)ef->cap * 2))
            continue;
        if (ef->n == 0)
            return false; /* empty and cannot grow to hold p: the memcap */
        if (ef->cap < class_size(POOL_CLASSES - 1) && ef->n < c->cfg.ring_packets) {
            ef->dropped++; /* the memcap refused to grow: the oldest is lost to it */
            c->counters[S_RING_DROPS]++;
        }
        ring_drop_oldest(c, ef);
    }
    rec_t h = {.ts = p->ts, .pcap_cnt = p->pcap_cnt, .caplen = p->caplen, .wirelen = p->wirelen};
    if (ref) {
        h.span = p->file_span;
        h.file_idx = p->file_idx;
        ref_t rf = {.off = p->file_off, .check = fingerprint(p->data, p->caplen)};
        memcpy(ef->ring + off, &h, sizeof h);
        memcpy(ef->ring + off + sizeof h, &rf, sizeof rf);
    } else {
        ring_store(ef->ring + off, &h, p->data, p->caplen);
    }
    ef->last = p->ts;
    uint32_t idx = ef->sz_head + ef->n;
    if (idx >= c->cfg.ring_packets)
        idx -= c->cfg.ring_packets;
    ef->sz[idx] = (uint16_t)(need / 16);
    ef->end = off + (uint32_t)need;
    ef->n++;
    return true;
}

bool vg_evid_packet(vg_evid_ctx_t *c, void **slot, const vg_packet_t *p, vg_evid_sealed_t *out)
{
    eflow_t *ef = eflow_get(c, slot, p->linktype);
    if (!ef)
        return false;
    if (p->ts > c->now)
        c->now = p->ts;
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
    if (!ring_put(c, ef, p)) {
        ef->dropped++;
        c->counters[S_RING_DROPS]++;
    }
    return false;
}

/* "<kind>-<id>.pcap", or "<kind>-<id>-<i>.pcap" when the name is taken. */
static bool create_file(vg_evid_ctx_t *c, afile_t *af, const char *kind, uint64_t id)
{
    char path[4096];
    for (int i = 0; i < 1000; i++) {
        if (i == 0)
            snprintf(af->name, sizeof af->name, "%s-%llu.pcap", kind, (unsigned long long)id);
        else
            snprintf(af->name, sizeof af->name, "%s-%llu-%d.pcap", kind, (unsigned long long)id,
                     i);
        snprintf(path, sizeof path, "%s/%s", c->dir, af->name);
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0644);
        if (fd >= 0) {
            /* kept open while few are (saves an open and a close per write) */
            if (c->fds_open < (c->cfg.fds_kept ? c->cfg.fds_kept : 16)) {
                af->fd = fd;
                c->fds_open++;
            } else if (close(fd) != 0) {
                io_error(c, af, "close");
            }
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
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned int mdlen = 0;
        if (EVP_MD_CTX_copy_ex(c->sha_tmp, af->sha) == 1 &&
            EVP_DigestFinal_ex(c->sha_tmp, md, &mdlen) == 1)
            sodium_bin2hex(ref->sha256, sizeof ref->sha256, md, mdlen);
    }
    if (!af->werr && ref->sha256[0])
        ref->bytes = af->size;
}

static bool alert_file(vg_evid_ctx_t *c, void **slot, const char *kind, uint64_t id,
                       uint64_t pcap_cnt, vg_evid_ref_t *ref)
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
    af->fd = -1;
    c->other_bytes += sizeof *af;
    ef->af = af;
    af->sha = EVP_MD_CTX_new();
    if (!af->sha || EVP_DigestInit_ex(af->sha, c->sha256, NULL) != 1) {
        errno = ENOMEM;
        io_error(c, af, "SHA-256 set-up");
        af->name[0] = '\0';
        af->sealed = true;
        return false;
    }
    if (!create_file(c, af, kind, id)) {
        af->name[0] = '\0';
        af->sealed = true;
        return false;
    }
    c->counters[S_FILES]++;
    uint8_t gh[24];
    put32(gh, 0xa1b2c3d4u);
    gh[4] = 2; gh[5] = 0; gh[6] = 4; gh[7] = 0; /* version 2.4, little-endian */
    put32(gh + 8, 0);
    put32(gh + 12, 0);
    put32(gh + 16, PCAP_SNAPLEN);
    put32(gh + 20, (uint32_t)ef->linktype);
    obuf_put(c, af, gh, sizeof gh);
    if (ef->ring) {
        const rec_t *r;
        c->rereads_gen++;
        RING_FOREACH(ef, r) {
            const uint8_t *d = r->span ? reread(c, r) : (const uint8_t *)(r + 1);
            if (d)
                put_record(c, af, r->ts, r->pcap_cnt, d, r->caplen, r->wirelen);
            else
                ef->dropped++;
        }
    }
    ring_free(c, ef);
    alert_ref(c, af, pcap_cnt, ref);
    return true;
}

bool vg_evid_alert(vg_evid_ctx_t *c, void **slot, uint64_t flow_id, uint64_t pcap_cnt,
                   vg_evid_ref_t *ref)
{
    return alert_file(c, slot, "flow", flow_id, pcap_cnt, ref);
}

bool vg_evid_packet_alert(vg_evid_ctx_t *c, void **slot, const vg_packet_t *p,
                          vg_evid_ref_t *ref)
{
    if (!*slot) {
        vg_evid_sealed_t unused;
        vg_evid_packet(c, slot, p, &unused); /* a ring of this one packet (no file yet: no cap) */
    }
    return alert_file(c, slot, "packet", p->pcap_cnt, p->pcap_cnt, ref);
}

void vg_evid_flow_closed(vg_evid_ctx_t *c, void **slot)
{
    eflow_t *ef = *slot;
    if (!ef || ef == UNTRACKED || ef->closed || ef->af)
        return;
    if (ef->ring) {
        lru_unlink(c, ef);
        ef->closed = true;
        lru_append(c, ef);
    } else {
        ef->closed = true;
    }
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
        file_close(c, af);
        EVP_MD_CTX_free(af->sha);
        free(af->obuf);
        free(af);
    }
    ring_free(c, ef);
    c->other_bytes -= c->ef_size;
    ef->lru_next = c->ef_free;
    c->ef_free = ef;
    return sealed_now;
}
