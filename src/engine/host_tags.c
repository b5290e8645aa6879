/* host_tags.c — tag:host (see host_tags.h). */
#include "engine/host_tags.h"

#include "common/hash.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define PROBE 16
#define TAGS_PER_HOST 8

typedef struct tag {
    uint32_t gid, sid;
    uint8_t metric;          /* VG_TAG_* */
    bool skipped_first;      /* the alerting packet went by (not logged) */
    uint32_t count;
    uint64_t seen;           /* packets or bytes since the alert (the alerting packet included) */
    vg_time_t first;
} tag_t;

typedef struct host {
    bool used;
    uint8_t n;
    vg_addr_t addr;
    vg_time_t last;
    tag_t tag[TAGS_PER_HOST];
} host_t;

struct host_tags {
    pthread_mutex_t mu;
    host_t *h;
    uint32_t mask;
    atomic_uint active;      /* tags in the table */
    uint64_t evictions;      /* hosts with tags replaced for want of room */
    uint64_t dropped;        /* tags not set: their host had TAGS_PER_HOST already */
};

host_tags_t *host_tags_new(uint32_t max_hosts)
{
    uint32_t cap = 64;
    while (cap < max_hosts && cap < (1u << 24))
        cap <<= 1;
    host_tags_t *t = vg_xcalloc(1, sizeof *t);
    pthread_mutex_init(&t->mu, NULL);
    t->h = vg_xcalloc(cap, sizeof *t->h);
    t->mask = cap - 1;
    atomic_init(&t->active, 0);
    return t;
}

void host_tags_free(host_tags_t *t)
{
    if (!t)
        return;
    pthread_mutex_destroy(&t->mu);
    free(t->h);
    free(t);
}

static uint64_t addr_hash(const vg_addr_t *a) { return vg_hash_bytes(a->b, 16, 0x7a6); }

static host_t *find(host_tags_t *t, const vg_addr_t *a)
{
    uint64_t h = addr_hash(a);
    for (uint32_t i = 0; i < PROBE; i++) {
        host_t *e = &t->h[(h + i) & t->mask];
        if (e->used && !memcmp(e->addr.b, a->b, 16))
            return e;
    }
    return NULL;
}

static void drop_host(host_tags_t *t, host_t *e)
{
    atomic_fetch_sub(&t->active, e->n);
    e->used = false;
    e->n = 0;
}

static host_t *find_or_add(host_tags_t *t, const vg_addr_t *a)
{
    host_t *e = find(t, a);
    if (e)
        return e;
    uint64_t h = addr_hash(a);
    host_t *victim = NULL;
    for (uint32_t i = 0; i < PROBE; i++) {
        host_t *c = &t->h[(h + i) & t->mask];
        if (!c->used || !c->n) {
            victim = c;
            break;
        }
        if (!victim || c->last < victim->last)
            victim = c;
    }
    if (victim->used && victim->n) {
        t->evictions++;
        drop_host(t, victim);
    }
    memset(victim, 0, sizeof *victim);
    victim->used = true;
    victim->addr = *a;
    return victim;
}

static void add_tag(host_tags_t *t, const vg_addr_t *a, const vg_rule_t *r, uint8_t metric,
                    uint32_t count, vg_time_t now)
{
    host_t *e = find_or_add(t, a);
    e->last = now;
    for (uint8_t i = 0; i < e->n; i++) {
        tag_t *g = &e->tag[i];
        if (g->gid == r->gid && g->sid == r->sid) {
            /* the same rule again: the count starts afresh, and this alerting packet is
             * logged as tagged (the tag's first packet went by long ago), as in Suricata */
            g->metric = metric;
            g->count = count;
            g->seen = 0;
            g->first = now;
            return;
        }
    }
    if (e->n == TAGS_PER_HOST) {
        t->dropped++; /* Suricata keeps a bounded number per host too */
        return;
    }
    e->tag[e->n++] = (tag_t){r->gid, r->sid, metric, false, count, 0, now};
    atomic_fetch_add(&t->active, 1);
}

void host_tags_alert(host_tags_t *t, const vg_rule_t *r, const vg_addr_t *src, const vg_addr_t *dst,
                     vg_time_t now)
{
    pthread_mutex_lock(&t->mu);
    if (r->host_tag[0].metric != VG_TAG_NONE)
        add_tag(t, src, r, r->host_tag[0].metric, r->host_tag[0].count, now);
    if (r->host_tag[1].metric != VG_TAG_NONE)
        add_tag(t, dst, r, r->host_tag[1].metric, r->host_tag[1].count, now);
    pthread_mutex_unlock(&t->mu);
}

/* One host's tags for a packet: counted, expired ones removed; true when one is active. */
static bool host_packet(host_tags_t *t, host_t *e, uint32_t len, vg_time_t now)
{
    bool log = false;
    e->last = now;
    for (uint8_t i = 0; i < e->n;) {
        tag_t *g = &e->tag[i];
        bool expired = tag_step(g->metric, g->count, &g->seen, g->first, now, len);
        if (!g->skipped_first) { /* the alerting packet: the alert logs it */
            g->skipped_first = true;
            i++;
            continue;
        }
        if (expired) {
            e->tag[i] = e->tag[--e->n];
            atomic_fetch_sub(&t->active, 1);
            continue;
        }
        log = true;
        i++;
    }
    return log;
}

bool host_tags_packet(host_tags_t *t, const vg_addr_t *src, const vg_addr_t *dst, uint32_t len,
                      vg_time_t now)
{
    if (!atomic_load_explicit(&t->active, memory_order_relaxed))
        return false;
    pthread_mutex_lock(&t->mu);
    bool log = false;
    host_t *e = find(t, src);
    if (e && e->n)
        log |= host_packet(t, e, len, now);
    e = memcmp(src->b, dst->b, 16) ? find(t, dst) : NULL;
    if (e && e->n)
        log |= host_packet(t, e, len, now);
    pthread_mutex_unlock(&t->mu);
    return log;
}

void host_tags_stats(host_tags_t *t, uint64_t *active, uint64_t *evictions, uint64_t *dropped)
{
    pthread_mutex_lock(&t->mu);
    *active = atomic_load(&t->active);
    *evictions = t->evictions;
    *dropped = t->dropped;
    pthread_mutex_unlock(&t->mu);
}
