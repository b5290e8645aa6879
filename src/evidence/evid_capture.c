/* evid_capture.c — per-flow packet rings and the pcap files of alerted flows (evidence.h). */
#include "evidence/evidence.h"
#include "common/common.h"
#include "common/log.h"

#include <sodium.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FLUSH_AT (64 * 1024) /* buffered file bytes before an append */
#define PCAP_SNAPLEN 262144u

enum { S_FILES, S_FLOWS_UNTRACKED, S_LINKTYPE_SKIPS, S_PACKETS, S_RING_DROPS, S_TRUNCATED,
       S_WRITE_ERRORS, S_N };
static const char *const s_names[S_N] = {
    "evidence.files", "evidence.flows_untracked", "evidence.linktype_skips", "evidence.packets",
    "evidence.ring_memcap_drops", "evidence.truncated", "evidence.write_errors",
};
static const vg_stats_table_t s_table = {s_names, S_N};

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
} afile_t;

typedef struct eflow {
    uint32_t n, head;        /* ring: packets held, next position */
    int linktype;
    uint64_t dropped;
    afile_t *af;
    slot_t slots[];
} eflow_t;

struct vg_evid_ctx {
    vg_evid_config_t cfg;
    char *dir;
    uint64_t used;
    uint64_t counters[S_N];
    bool logged_error;
};

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
    free(c->dir);
    free(c);
}

uint64_t vg_evid_mem_used(const vg_evid_ctx_t *c) { return c->used; }
const vg_stats_table_t *vg_evid_stats_table(void) { return &s_table; }
const uint64_t *vg_evid_stats_values(const vg_evid_ctx_t *c) { return c->counters; }

static size_t eflow_size(const vg_evid_ctx_t *c)
{
    return sizeof(eflow_t) + c->cfg.ring_packets * sizeof(slot_t);
}

static bool mem_take(vg_evid_ctx_t *c, uint64_t n)
{
    if (c->used + n > c->cfg.memcap)
        return false;
    c->used += n;
    return true;
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

/* Appends the buffered bytes to the file (and fsyncs it when sync). */
static void flush_file(vg_evid_ctx_t *c, afile_t *af, bool sync)
{
    if (!af->olen && !sync)
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
    if (sync && fsync(fd) != 0)
        io_error(c, af, "fsync");
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
        c->used += nc - af->ocap; /* bounded by FLUSH_AT + one packet per alerted flow */
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
    if (af->olen >= FLUSH_AT)
        flush_file(c, af, false);
}

static void seal(vg_evid_ctx_t *c, eflow_t *ef, vg_evid_sealed_t *out)
{
    afile_t *af = ef->af;
    flush_file(c, af, true);
    unsigned char md[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_final(&af->sha, md);
    af->sealed = true;
    c->used -= af->ocap;
    free(af->obuf);
    af->obuf = NULL;
    af->ocap = 0;
    memset(out, 0, sizeof *out);
    snprintf(out->file, sizeof out->file, "%s", af->name);
    sodium_bin2hex(out->sha256, sizeof out->sha256, md, sizeof md);
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
        return *slot;
    size_t sz = eflow_size(c);
    if (!mem_take(c, sz)) {
        c->counters[S_FLOWS_UNTRACKED]++;
        return NULL;
    }
    eflow_t *ef = vg_xcalloc(1, sz);
    ef->linktype = linktype;
    *slot = ef;
    return ef;
}

static void ring_free(vg_evid_ctx_t *c, eflow_t *ef)
{
    for (uint32_t i = 0; i < c->cfg.ring_packets; i++) {
        c->used -= ef->slots[i].cap;
        free(ef->slots[i].data);
        ef->slots[i].data = NULL;
        ef->slots[i].cap = 0;
    }
    ef->n = 0;
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
    slot_t *s = &ef->slots[ef->head];
    if (s->cap < p->caplen) {
        uint32_t ncap = p->caplen < 128 ? 128 : p->caplen;
        /* the slot's old buffer goes anyway */
        c->used -= s->cap;
        free(s->data);
        s->data = NULL;
        s->cap = 0;
        if (!mem_take(c, ncap)) {
            /* not kept: the ring loses its oldest packet too (its buffer was freed) */
            if (ef->n == k)
                ef->n--;
            ef->dropped++;
            c->counters[S_RING_DROPS]++;
            return false;
        }
        s->data = vg_xmalloc(ncap);
        s->cap = ncap;
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

bool vg_evid_alert(vg_evid_ctx_t *c, void **slot, uint64_t flow_id, uint64_t pcap_cnt,
                   vg_evid_ref_t *ref)
{
    eflow_t *ef = *slot;
    if (!ef)
        return false;
    afile_t *af = ef->af;
    if (af) {
        if (!af->name[0])
            return false; /* the file could not be created */
        snprintf(ref->file, sizeof ref->file, "%s", af->name);
        ref->packet = (pcap_cnt && af->last_cnt == pcap_cnt) ? af->last_idx : 0;
        return true;
    }
    af = vg_xcalloc(1, sizeof *af);
    c->used += sizeof *af;
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
    for (uint32_t i = 0; i < ef->n; i++) {
        const slot_t *s = &ef->slots[(first + i) % k];
        put_record(c, af, s->ts, s->pcap_cnt, s->data, s->caplen, s->wirelen);
    }
    ring_free(c, ef);
    snprintf(ref->file, sizeof ref->file, "%s", af->name);
    ref->packet = (pcap_cnt && af->last_cnt == pcap_cnt) ? af->last_idx : 0;
    return true;
}

bool vg_evid_flow_end(vg_evid_ctx_t *c, void **slot, vg_evid_sealed_t *out)
{
    eflow_t *ef = *slot;
    if (!ef)
        return false;
    bool sealed_now = false;
    afile_t *af = ef->af;
    if (af) {
        if (!af->sealed) {
            seal(c, ef, out);
            sealed_now = true;
        }
        c->used -= af->ocap + sizeof *af;
        free(af->obuf);
        free(af);
    }
    ring_free(c, ef);
    c->used -= eflow_size(c);
    free(ef);
    *slot = NULL;
    return sealed_now;
}
