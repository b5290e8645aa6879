/* behave_int.h — private to src/behave: the bounded table, HyperLogLog, the detectors. */
#ifndef VG_BEHAVE_BEHAVE_INT_H
#define VG_BEHAVE_BEHAVE_INT_H

#include "behave/behave.h"
#include "common/buf.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

struct scan_state;
struct flood_state;

/* --- HyperLogLog: 2^7 registers of one byte (about 9% standard error; exact-ish below ~100
 * through linear counting). --- */
#define VG_HLL_P 7
#define VG_HLL_M (1u << VG_HLL_P)
typedef struct vg_hll {
    uint8_t r[VG_HLL_M];
} vg_hll_t;

static inline void vg_hll_clear(vg_hll_t *h) { memset(h->r, 0, sizeof h->r); }
void vg_hll_add(vg_hll_t *h, uint64_t hash);
uint32_t vg_hll_count(const vg_hll_t *h);

/* --- a fixed-size set-associative table --------------------------------------------------
 * Entries of esz bytes starting with a vg_bent_t. A key hashes to a set of VG_BTAB_WAYS
 * entries; a new key takes a free entry of its set or evicts the one seen least recently. */
#define VG_BTAB_WAYS 4
#define VG_BKEY_MAX 40
typedef struct vg_bent {
    uint64_t hash;
    vg_time_t seen;          /* packet time of the last observation */
    uint8_t used, klen;
    uint8_t key[VG_BKEY_MAX];
} vg_bent_t;

typedef struct vg_btab {
    uint8_t *mem;
    size_t esz, nsets;
    uint64_t *evictions;     /* counter to bump */
    uint64_t *door;          /* per set: 4 entry tags and 4 doorkeeper slots (one line) */
} vg_btab_t;

void vg_btab_init(vg_btab_t *t, size_t entries, size_t esz, uint64_t *evictions);
void vg_btab_fini(vg_btab_t *t);
size_t vg_btab_bytes(const vg_btab_t *t);
/* Finds or creates the entry of key (zeroed beyond the header when created, *created set). */
void *vg_btab_get(vg_btab_t *t, const void *key, size_t klen, vg_time_t now, bool *created);
/* Doorkeeper: true when key may get an entry — it already has one, or it was seen once before.
 * A key's first sighting only takes an 8-byte slot, so keys seen once (spoofed sources, one-off
 * lookups) never fill the table nor make its memory resident. */
bool vg_btab_admit(vg_btab_t *t, const void *key, size_t klen);
/* Asks the CPU to fetch key's tag line ahead of a lookup (the tables are larger than caches). */
void vg_btab_prefetch(const vg_btab_t *t, const void *key, size_t klen);
void scan_prefetch(struct scan_state *s, const vg_behave_obs_t *o);
void flood_prefetch(vg_behave_t *b, struct flood_state *s, const vg_behave_obs_t *o);

/* --- counters --- */
enum {
    BC_ALERTS_BEACON, BC_ALERTS_BRUTE, BC_ALERTS_DNS, BC_ALERTS_EXFIL, BC_ALERTS_FLOOD,
    BC_ALERTS_ICMP_TUNNEL, BC_ALERTS_SCAN, BC_EVICTIONS, BC_MEMORY, BC_OBS, BC_OBS_DROPPED, BC_N
};

typedef struct vg_behave_det vg_behave_det_t;

struct vg_behave {
    vg_behave_cfg_t cfg;
    vg_behave_alert_fn on_alert;
    vg_behave_home_fn home;
    void *user;
    uint64_t c[BC_N];
    _Atomic uint64_t pub[BC_N];
    vg_buf_t detail;         /* scratch for the "behave" object */
    vg_jw_t jw;
    /* detector states (behave_scan.c, ...) */
    struct scan_state *scan;
    struct brute_state *brute;
    struct flood_state *flood;
    struct beacon_state *beacon;
    struct dns_state_b *dns;
    struct exfil_state *exfil;
    struct icmpt_state *icmpt;
};

/* Detail writer: begin opens the "behave" object in b->detail; raise closes it and calls the
 * alert callback. */
vg_jw_t *vg_behave_detail_begin(vg_behave_t *b, const char *detector);
void vg_behave_raise(vg_behave_t *b, int counter, const vg_behave_sig_t *sig, vg_time_t ts,
                     const vg_addr_t *src, const vg_addr_t *dst, uint8_t ip_ver, uint16_t sp,
                     uint16_t dp, uint8_t proto, bool verified);
bool vg_behave_is_home(vg_behave_t *b, const vg_addr_t *a, int ip_ver);
bool vg_behave_port_in(const uint16_t *ports, size_t n, uint16_t p);
/* Not a unicast host: multicast, broadcast, unspecified. */
bool vg_behave_not_unicast(const vg_addr_t *a, int ip_ver);
void vg_behave_put_addr(vg_jw_t *w, const char *key, const vg_addr_t *a, int ip_ver);
static inline double vg_behave_secs(vg_time_t t) { return (double)t / (double)VG_USEC_PER_SEC; }

/* The window of an entry e (a struct starting with its vg_bent_t, with members win_start, last
 * and alerted) at time ts: after win of quiet a new episode starts (its alert may fire again),
 * else every win a new window (the episode's alert stays fired). On either, the members after the
 * header are zeroed and the window starts at ts; restarted says whether it did. */
#define VG_BEHAVE_ROLL_WINDOW(e, ts, win, created, restarted)                                    \
    do {                                                                                          \
        bool new_episode_ = (created) || (ts) > (e)->last + (win);                                \
        (restarted) = new_episode_ || (ts) > (e)->win_start + (win);                              \
        if (restarted) {                                                                          \
            uint8_t keep_ = new_episode_ ? 0 : (e)->alerted;                                      \
            memset((uint8_t *)(e) + sizeof(vg_bent_t), 0, sizeof *(e) - sizeof(vg_bent_t));       \
            (e)->win_start = (ts);                                                                \
            (e)->alerted = keep_;                                                                 \
        }                                                                                         \
    } while (0)

/* A detector whose state is one bounded table of entries of type ent (each detector's case):
 * the state struct and its prefix##_new, prefix##_free and prefix##_bytes. */
#define VG_BEHAVE_TABLE_STATE(state, prefix, ent)                                                 \
    struct state {                                                                                \
        vg_btab_t t;                                                                              \
    };                                                                                            \
    struct state *prefix##_new(vg_behave_t *b)                                                    \
    {                                                                                             \
        struct state *s = vg_xcalloc(1, sizeof *s);                                               \
        vg_btab_init(&s->t, b->cfg.table_size, sizeof(ent), &b->c[BC_EVICTIONS]);                 \
        return s;                                                                                 \
    }                                                                                             \
    void prefix##_free(struct state *s)                                                           \
    {                                                                                             \
        vg_btab_fini(&s->t);                                                                      \
        free(s);                                                                                  \
    }                                                                                             \
    size_t prefix##_bytes(const struct state *s) { return vg_btab_bytes(&s->t); }

/* Each detector: new (NULL when disabled), free, observe, finish (may be NULL). */
#define VG_BEHAVE_DETECTOR(name)                                                                  \
    struct name##_state *name##_new(vg_behave_t *b);                                              \
    void name##_free(struct name##_state *s);                                                     \
    size_t name##_bytes(const struct name##_state *s);                                            \
    void name##_observe(vg_behave_t *b, struct name##_state *s, const vg_behave_obs_t *o,        \
                        const char *names);                                                       \
    void name##_finish(vg_behave_t *b, struct name##_state *s);
VG_BEHAVE_DETECTOR(scan)
VG_BEHAVE_DETECTOR(brute)
VG_BEHAVE_DETECTOR(flood)
VG_BEHAVE_DETECTOR(beacon)
VG_BEHAVE_DETECTOR(exfil)
VG_BEHAVE_DETECTOR(icmpt)
struct dns_state_b *dnst_new(vg_behave_t *b);
void dnst_free(struct dns_state_b *s);
size_t dnst_bytes(const struct dns_state_b *s);
void dnst_observe(vg_behave_t *b, struct dns_state_b *s, const vg_behave_obs_t *o,
                  const char *names);

/* Sorting order of observations inside an epoch (deterministic whatever the worker split). */
int vg_behave_obs_cmp(const vg_behave_obs_t *a, const char *an, const vg_behave_obs_t *b,
                      const char *bn);

#endif
