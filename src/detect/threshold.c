/* threshold.c — per-rule / per-host alert thresholds (threshold:, detection_filter:,
 * threshold.config), as Suricata counts them:
 *   limit      alert on the first `count` matches of each `seconds` window;
 *   threshold  alert on every `count`-th match within a window;
 *   both       alert once per window, when the `count`-th match is reached;
 *   detection_filter: a match counts only after `count` matches within the window.
 * Windows start at the first match and restart when `seconds` have passed.
 *
 * The table is a fixed-size open-addressing hash (capped memory, no allocation per packet);
 * when a probe run is full, the entry with the oldest window is replaced. Not thread-safe: the
 * detect engine keeps one table for all workers behind a mutex (detect_engine.c).
 */
#include "detect/detect.h"

#include "common/hash.h"

#include <stdlib.h>
#include <string.h>

#define PROBE 16

typedef struct thr_ent {
    bool used;
    uint32_t rule;
    uint8_t track;
    uint8_t key[32];
    uint64_t hash;
    vg_time_t start;
    uint32_t count;
    bool fired, started;
} thr_ent_t;

struct vg_threshold_table {
    thr_ent_t *e;
    uint32_t mask;
};

vg_threshold_table_t *vg_threshold_table_new(uint32_t max_entries)
{
    uint32_t cap = 64;
    while (cap < max_entries && cap < (1u << 30))
        cap <<= 1;
    vg_threshold_table_t *t = vg_xcalloc(1, sizeof(*t));
    t->e = vg_xcalloc(cap, sizeof(*t->e));
    t->mask = cap - 1;
    return t;
}

void vg_threshold_table_free(vg_threshold_table_t *t)
{
    if (!t)
        return;
    free(t->e);
    free(t);
}

static thr_ent_t *lookup(vg_threshold_table_t *t, uint32_t rule, uint8_t track,
                         const uint8_t *key)
{
    uint64_t h = vg_hash_bytes(key, 32, rule * 0x9E3779B97F4A7C15ULL + track);
    thr_ent_t *victim = NULL;
    for (uint32_t i = 0; i < PROBE; i++) {
        thr_ent_t *e = &t->e[(h + i) & t->mask];
        if (!e->used) {
            victim = e;
            break;
        }
        if (e->hash == h && e->rule == rule && e->track == track && !memcmp(e->key, key, 32))
            return e;
        if (!victim || e->start < victim->start)
            victim = e;
    }
    memset(victim, 0, sizeof(*victim));
    victim->used = true;
    victim->rule = rule;
    victim->track = track;
    victim->hash = h;
    memcpy(victim->key, key, 32);
    return victim;
}

size_t vg_threshold_table_carry(vg_threshold_table_t *to, const vg_threshold_table_t *from,
                                const uint32_t *rule_map, uint32_t n_rules)
{
    size_t n = 0;
    for (uint32_t i = 0; i <= from->mask; i++) {
        const thr_ent_t *o = &from->e[i];
        if (!o->used || !o->started || o->rule >= n_rules || rule_map[o->rule] == UINT32_MAX)
            continue;
        thr_ent_t *e = lookup(to, rule_map[o->rule], o->track, o->key);
        e->start = o->start;
        e->count = o->count;
        e->fired = o->fired;
        e->started = true;
        n++;
    }
    return n;
}

bool vg_threshold_check(vg_threshold_table_t *t, const vg_rule_t *r, const vg_threshold_t *thr,
                        const vg_packet_t *p, vg_time_t now)
{
    if (!thr || thr->type == VG_THR_NONE)
        return true;
    uint8_t key[32] = {0};
    if (p && (thr->track == VG_TRACK_SRC || thr->track == VG_TRACK_BOTH))
        memcpy(key, p->src.b, 16);
    if (p && (thr->track == VG_TRACK_DST || thr->track == VG_TRACK_BOTH))
        memcpy(key + 16, p->dst.b, 16);
    thr_ent_t *e = lookup(t, r->id, thr->track, key);
    vg_time_t win = (vg_time_t)thr->seconds * VG_USEC_PER_SEC;
    /* Workers run a little apart in packet time, so a match may come from before the window's
     * start: it belongs to that window (only a later match can open the next one). */
    if (!e->started || (now > e->start && now - e->start > win)) {
        e->started = true;
        e->start = now;
        e->count = 0;
        e->fired = false;
    }
    e->count++;
    switch (thr->type) {
    case VG_THR_LIMIT:
        return e->count <= thr->count;
    case VG_THR_THRESHOLD:
        if (e->count >= thr->count) {
            e->count = 0; /* next alert after another `count` matches in this window */
            return true;
        }
        return false;
    case VG_THR_BOTH:
        if (e->count >= thr->count && !e->fired) {
            e->fired = true;
            return true;
        }
        return false;
    case VG_THR_DETECTION:
        return e->count > thr->count;
    }
    return true;
}
