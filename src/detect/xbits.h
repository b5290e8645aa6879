/* xbits.h — the process-wide table behind the xbits keyword (detect-internal).
 *
 * One entry per (bit, host) for track ip_src/ip_dst and per (bit, address pair) for ip_pair,
 * holding the second (packet time) until which the bit is set. Semantics as Suricata 7's host
 * and IP-pair bits: set adds the bit with expiry now+expire but leaves an unexpired one's expiry
 * as it is (an expired one is set afresh); unset removes it; toggle removes a present bit (expired or not) and adds an absent
 * one; isset is true while now <= expiry, and a check that finds the bit expired removes it.
 *
 * A fixed-size open-addressing table (no allocation per packet): a bit is looked for in a run
 * of PROBE slots; a new bit takes a free or expired slot there, else replaces the slot that
 * expires first (counted: vg_xbit_table_evictions). Not thread-safe: the detect engine keeps
 * one table behind a mutex, as for thresholds. */
#ifndef VG_DETECT_XBITS_H
#define VG_DETECT_XBITS_H

#include "common/common.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct vg_xbit_table vg_xbit_table_t;

vg_xbit_table_t *vg_xbit_table_new(uint32_t max_entries);
void vg_xbit_table_free(vg_xbit_table_t *t);

/* key: one address (host bits, pair == false) or two (pair bits, either order) */
typedef struct vg_xbit_key {
    bool pair;
    vg_addr_t a, b;
} vg_xbit_key_t;

bool vg_xbit_isset(vg_xbit_table_t *t, uint32_t id, const vg_xbit_key_t *k, uint32_t now_s);
/* now_s: the packet's second; the bit is set up to now_s + expire_s */
void vg_xbit_set(vg_xbit_table_t *t, uint32_t id, const vg_xbit_key_t *k, uint32_t now_s,
                 uint32_t expire_s);
void vg_xbit_unset(vg_xbit_table_t *t, uint32_t id, const vg_xbit_key_t *k);
void vg_xbit_toggle(vg_xbit_table_t *t, uint32_t id, const vg_xbit_key_t *k, uint32_t now_s,
                    uint32_t expire_s);

/* Carries the bits of from whose id map[id] is not UINT32_MAX into to (a rule reload);
 * returns how many. */
size_t vg_xbit_table_carry(vg_xbit_table_t *to, const vg_xbit_table_t *from, const uint32_t *map,
                           uint32_t n_ids);

uint64_t vg_xbit_table_evictions(const vg_xbit_table_t *t);
uint32_t vg_xbit_table_used(const vg_xbit_table_t *t);
size_t vg_xbit_table_memuse(const vg_xbit_table_t *t);

#endif
