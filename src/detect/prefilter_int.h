/* prefilter_int.h — private to the prefilter (prefilter.c, prefilter_cache.c) and its tests and
 * bench: the fast-pattern choice and the on-disk database cache.
 */
#ifndef VG_DETECT_PREFILTER_INT_H
#define VG_DETECT_PREFILTER_INT_H

#include "detect/prefilter.h"

#include <hs/hs.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One literal as given to Hyperscan. pat is borrowed (from the rule, or the build's blob). */
typedef struct vg_pf_pattern {
    const uint8_t *pat;
    uint32_t len;
    bool caseless;
} vg_pf_pattern_t;

/* The fast pattern of r on buffer kind buf (see prefilter.c); false: an "always" rule. */
bool vg_pf_pick_pattern(const vg_rule_t *r, int buf, vg_pf_pattern_t *out);

/* Distinct literals compiled into pf's database (<= vg_prefilter_n_patterns()). */
size_t vg_pf_n_unique(const vg_prefilter_t *pf);

/* ---- disk cache (prefilter_cache.c) ---- */

#define VG_PF_KEY_LEN 32 /* SHA-256 */

/* Key over the Hyperscan version, the cache format version, buf and pats[0..n) in id order.
 * False when hashing is unavailable (then nothing is cached). */
bool vg_pf_cache_key(const vg_pf_pattern_t *pats, uint32_t n, int buf,
                     uint8_t key[VG_PF_KEY_LEN]);
/* The cached database for key, or NULL (missing, unreadable, corrupt, other platform). */
hs_database_t *vg_pf_cache_load(const char *dir, const uint8_t key[VG_PF_KEY_LEN]);
/* Stores db under key (dir created if missing; temp file + rename, mode 0644). Failures are
 * silent: a missing cache entry only costs a compile on the next start. */
void vg_pf_cache_store(const char *dir, const uint8_t key[VG_PF_KEY_LEN], const hs_database_t *db);
/* cache_dir/<hex key>.hsdb into path (path_len >= strlen(dir) + 2*VG_PF_KEY_LEN + 7). */
void vg_pf_cache_path(const char *dir, const uint8_t key[VG_PF_KEY_LEN], char *path,
                      size_t path_len);

#endif
