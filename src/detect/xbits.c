/* xbits.c — host and address-pair bits (see xbits.h). */
#include "detect/xbits.h"

#include "common/hash.h"

#include <stdlib.h>
#include <string.h>

#define PROBE 16

typedef struct xb_ent {
    bool used;
    bool pair;
    uint32_t id;
    uint32_t until;     /* packet-time second up to which the bit is set */
    uint64_t hash;
    uint8_t key[32];
} xb_ent_t;

struct vg_xbit_table {
    xb_ent_t *e;
    uint32_t mask;
    uint32_t used;
    uint64_t evictions;
};

vg_xbit_table_t *vg_xbit_table_new(uint32_t max_entries)
{
    uint32_t cap = 64;
    while (cap < max_entries && cap < (1u << 28))
        cap <<= 1;
    vg_xbit_table_t *t = vg_xcalloc(1, sizeof *t);
    t->e = vg_xcalloc(cap, sizeof *t->e);
    t->mask = cap - 1;
    return t;
}

void vg_xbit_table_free(vg_xbit_table_t *t)
{
    if (!t)
        return;
    free(t->e);
    free(t);
}

/* The key bytes: a pair in a fixed order, so that either direction finds it. */
static void key_bytes(const vg_xbit_key_t *k, uint8_t out[32])
{
    memset(out, 0, 32);
    if (!k->pair) {
        memcpy(out, k->a.b, 16);
        return;
    }
    bool swap = memcmp(k->a.b, k->b.b, 16) > 0;
    memcpy(out, swap ? k->b.b : k->a.b, 16);
    memcpy(out + 16, swap ? k->a.b : k->b.b, 16);
}

static uint64_t key_hash(uint32_t id, bool pair, const uint8_t kb[32])
{
    return vg_hash_bytes(kb, 32, (uint64_t)id * 0x9E3779B97F4A7C15ULL + pair);
}

static xb_ent_t *find(vg_xbit_table_t *t, uint32_t id, bool pair, const uint8_t kb[32], uint64_t h)
{
    for (uint32_t i = 0; i < PROBE; i++) {
        xb_ent_t *e = &t->e[(h + i) & t->mask];
        if (e->used && e->hash == h && e->id == id && e->pair == pair && !memcmp(e->key, kb, 32))
            return e;
    }
    return NULL;
}

/* The key bytes and hash of k for bit id, and its entry (NULL: absent). */
typedef struct loc {
    uint8_t kb[32];
    uint64_t h;
    xb_ent_t *e;
} loc_t;

static void locate(vg_xbit_table_t *t, uint32_t id, const vg_xbit_key_t *k, loc_t *l)
{
    key_bytes(k, l->kb);
    l->h = key_hash(id, k->pair, l->kb);
    l->e = find(t, id, k->pair, l->kb, l->h);
}

static void drop(vg_xbit_table_t *t, xb_ent_t *e)
{
    e->used = false;
    t->used--;
}

/* A slot for a new bit: a free one in the run, else an expired one (now_s), else the one that
 * expires first (an eviction). */
static void add(vg_xbit_table_t *t, uint32_t id, bool pair, const uint8_t kb[32], uint64_t h,
                uint32_t until, uint32_t now_s)
{
    xb_ent_t *victim = NULL;
    for (uint32_t i = 0; i < PROBE; i++) {
        xb_ent_t *e = &t->e[(h + i) & t->mask];
        if (!e->used) {
            victim = e;
            break;
        }
        if (!victim || e->until < victim->until)
            victim = e;
    }
    if (victim->used) {
        if (victim->until >= now_s)
            t->evictions++;
        t->used--;
    }
    victim->used = true;
    victim->pair = pair;
    victim->id = id;
    victim->until = until;
    victim->hash = h;
    memcpy(victim->key, kb, 32);
    t->used++;
}

bool vg_xbit_isset(vg_xbit_table_t *t, uint32_t id, const vg_xbit_key_t *k, uint32_t now_s)
{
    loc_t l;
    locate(t, id, k, &l);
    if (!l.e)
        return false;
    if (l.e->until < now_s) {
        drop(t, l.e);
        return false;
    }
    return true;
}

void vg_xbit_set(vg_xbit_table_t *t, uint32_t id, const vg_xbit_key_t *k, uint32_t now_s,
                 uint32_t expire_s)
{
    loc_t l;
    locate(t, id, k, &l);
    if (!l.e)
        add(t, id, k->pair, l.kb, l.h, now_s + expire_s, now_s);
    else if (l.e->until < now_s)
        /* A set bit keeps its expiry, as in Suricata. An expired one is set afresh: Suricata
         * leaves it until a check or its host-table timeout removes it, which depends on when
         * its flow manager runs; Vigil takes the state that timeout leads to. */
        l.e->until = now_s + expire_s;
}

void vg_xbit_unset(vg_xbit_table_t *t, uint32_t id, const vg_xbit_key_t *k)
{
    loc_t l;
    locate(t, id, k, &l);
    if (l.e)
        drop(t, l.e);
}

void vg_xbit_toggle(vg_xbit_table_t *t, uint32_t id, const vg_xbit_key_t *k, uint32_t now_s,
                    uint32_t expire_s)
{
    loc_t l;
    locate(t, id, k, &l);
    if (l.e)
        drop(t, l.e);
    else
        add(t, id, k->pair, l.kb, l.h, now_s + expire_s, now_s);
}

size_t vg_xbit_table_carry(vg_xbit_table_t *to, const vg_xbit_table_t *from, const uint32_t *map,
                           uint32_t n_ids)
{
    size_t n = 0;
    for (uint32_t i = 0; i <= from->mask; i++) {
        const xb_ent_t *o = &from->e[i];
        if (!o->used || o->id >= n_ids || map[o->id] == UINT32_MAX)
            continue;
        uint64_t h = key_hash(map[o->id], o->pair, o->key);
        if (!find(to, map[o->id], o->pair, o->key, h))
            add(to, map[o->id], o->pair, o->key, h, o->until, 0);
        n++;
    }
    return n;
}

uint64_t vg_xbit_table_evictions(const vg_xbit_table_t *t) { return t->evictions; }
uint32_t vg_xbit_table_used(const vg_xbit_table_t *t) { return t->used; }
size_t vg_xbit_table_memuse(const vg_xbit_table_t *t)
{
    return sizeof *t + ((size_t)t->mask + 1) * sizeof(xb_ent_t);
}
