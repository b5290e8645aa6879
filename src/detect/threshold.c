/* threshold.c — per-rule / per-host alert thresholds (threshold:, detection_filter:,
 * threshold.config), as Suricata counts them:
 *   limit      alert on the first `count` matches of each `seconds` window;
 *   threshold  alert on every `count`-th match within a window;
 *   both       alert once per window, when the `count`-th match is reached;
 *   detection_filter: a match counts only after `count` matches within the window; with
 *              unique_on src_port|dst_port (Suricata 9) the count is of distinct ports in the
 *              window (a 65536-bit map per tracked entry, 8 KiB, at most
 *              VG_THR_MAX_BITMAPS per table; past that a match counts as a new port, and the
 *              failure is counted: vg_threshold_table_bitmap_fails);
 *   backoff    (Suricata 8) no window: alert at the count-th match, then at count*multiplier,
 *              count*multiplier^2, ...
 * Windows start at the first match and restart when `seconds` have passed.
 * Tracking by_src, by_dst, by_both and by_rule uses the shared table below; by_flow keeps the
 * same counting state in the flow's variables (vg_threshold_check_flow), so it ends with the
 * flow and needs no lock.
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

/* The counting state of one window (or backoff sequence). */
typedef struct thr_state {
    vg_time_t start;
    uint32_t count;
    uint64_t next;      /* backoff: the match count of the next alert */
    bool fired, started;
    uint64_t *ports;    /* unique_on: 65536-bit map of the ports counted in this window */
} thr_state_t;

#define VG_THR_MAX_BITMAPS 2048u /* 16 MiB of port maps per table */

typedef struct thr_ent {
    bool used;
    uint32_t rule;
    uint8_t track;
    uint8_t key[32];
    uint64_t hash;
    thr_state_t s;
} thr_ent_t;

struct vg_flow_thr {
    uint32_t rule;
    thr_state_t s;
};

struct vg_threshold_table {
    thr_ent_t *e;
    uint32_t mask;
    uint32_t n_bitmaps;
    uint64_t bitmap_fails;
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
    for (uint32_t i = 0; i <= t->mask; i++)
        free(t->e[i].s.ports);
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
        if (!victim || e->s.start < victim->s.start)
            victim = e;
    }
    if (victim->s.ports) {
        free(victim->s.ports);
        t->n_bitmaps--;
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
        if (!o->used || !o->s.started || o->rule >= n_rules || rule_map[o->rule] == UINT32_MAX)
            continue;
        thr_ent_t *e = lookup(to, rule_map[o->rule], o->track, o->key);
        uint64_t *keep = e->s.ports;
        e->s = o->s;
        e->s.ports = keep; /* distinct ports are not carried: that window counts afresh */
        if (o->s.ports)
            e->s.count = 0;
        n++;
    }
    return n;
}

/* One more match in state s under thr at time now: true when it alerts (or, for a
 * detection_filter, when it counts). */
static bool count_match(vg_threshold_table_t *t, thr_state_t *s, const vg_threshold_t *thr,
                        vg_time_t now, const vg_packet_t *p)
{
    if (thr->type == VG_THR_BACKOFF) {
        if (!s->started) {
            s->started = true;
            s->next = thr->count;
        }
        s->count++;
        if (s->count < s->next)
            return false;
        /* past UINT32_MAX matches the sequence stops: no further alert */
        s->next = s->next * thr->multiplier <= UINT32_MAX ? s->next * thr->multiplier
                                                          : UINT64_MAX;
        return true;
    }
    vg_time_t win = (vg_time_t)thr->seconds * VG_USEC_PER_SEC;
    /* Workers run a little apart in packet time, so a match may come from before the window's
     * start: it belongs to that window (only a later match can open the next one). */
    if (!s->started || (now > s->start && now - s->start > win)) {
        s->started = true;
        s->start = now;
        s->count = 0;
        s->fired = false;
        if (s->ports)
            memset(s->ports, 0, 8192);
    }
    if (thr->unique_on && p && t) {
        uint16_t port = thr->unique_on == VG_UNIQUE_SRC_PORT ? p->sp : p->dp;
        if (!s->ports && t->n_bitmaps < VG_THR_MAX_BITMAPS) {
            s->ports = vg_xcalloc(1, 8192);
            t->n_bitmaps++;
        }
        if (!s->ports) {
            t->bitmap_fails++; /* counted as a new port: the filter opens early, not late */
        } else if (s->ports[port >> 6] & (1ull << (port & 63))) {
            return s->count > thr->count; /* a port already counted */
        } else {
            s->ports[port >> 6] |= 1ull << (port & 63);
        }
    }
    s->count++;
    switch (thr->type) {
    case VG_THR_LIMIT:
        return s->count <= thr->count;
    case VG_THR_THRESHOLD:
        if (s->count >= thr->count) {
            s->count = 0; /* next alert after another `count` matches in this window */
            return true;
        }
        return false;
    case VG_THR_BOTH:
        if (s->count >= thr->count && !s->fired) {
            s->fired = true;
            return true;
        }
        return false;
    case VG_THR_DETECTION:
        return s->count > thr->count;
    }
    return true;
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
    return count_match(t, &lookup(t, r->id, thr->track, key)->s, thr, now, p);
}

bool vg_threshold_check_flow(vg_flowvars_t *fv, const vg_rule_t *r, const vg_threshold_t *thr,
                             vg_time_t now)
{
    if (!fv)
        return true; /* a packet outside any flow: nothing to count against */
    struct vg_flow_thr *e = NULL;
    for (uint32_t i = 0; i < fv->n_thr && !e; i++)
        if (fv->thr[i].rule == r->id)
            e = &fv->thr[i];
    if (!e) {
        if (fv->n_thr == fv->cap_thr) {
            fv->cap_thr = fv->cap_thr ? fv->cap_thr * 2 : 2;
            fv->thr = vg_xrealloc(fv->thr, fv->cap_thr * sizeof *fv->thr);
        }
        e = &fv->thr[fv->n_thr++];
        memset(e, 0, sizeof *e);
        e->rule = r->id;
    }
    return count_match(NULL, &e->s, thr, now, NULL); /* by_flow has no unique_on */
}

uint64_t vg_threshold_table_bitmap_fails(const vg_threshold_table_t *t) { return t->bitmap_fails; }

uint64_t vg_threshold_table_bitmap_memuse(const vg_threshold_table_t *t)
{
    return (uint64_t)t->n_bitmaps * 8192;
}
