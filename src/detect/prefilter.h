/* prefilter.h — candidate selection for the signature engine: which rules can possibly match a
 * buffer, decided by one multi-pattern scan (Hyperscan) over the rules' fast patterns.
 *
 * A prefilter is built for one set of rules that inspect one buffer kind (a "group": e.g. all
 * http rules' http.uri lists, or the payload lists of TCP rules on port 80). For each rule the
 * builder picks ONE content of its list on that buffer as the fast pattern (the one marked
 * fast_pattern, else the longest non-negated content; with its nocase flag, and fast_pattern:x,y
 * chopping). A scan reports every rule whose fast pattern occurs in the data, plus every rule
 * that has no usable fast pattern on that buffer ("always" rules: no content, only negated
 * contents, or a list under transforms). The engine then verifies each candidate in full with
 * vg_detect_eval_rule(), so a prefilter may report too many rules but never too few.
 *
 * Threads: a built prefilter is immutable and shared; each thread scans with its own scratch.
 */
#ifndef VG_DETECT_PREFILTER_H
#define VG_DETECT_PREFILTER_H

#include "detect/rule.h"

#include <stddef.h>
#include <stdint.h>

typedef struct vg_prefilter vg_prefilter_t;
typedef struct vg_prefilter_scratch vg_prefilter_scratch_t;

/* Builds a prefilter over rules[0..n) for buffer kind buf (VG_BUF_* or VG_DBUF_PAYLOAD). Rule
 * identity in results is the index into rules[]. Returns NULL with a reason in err on failure
 * (the caller then treats every rule as a candidate). cache_dir: when not NULL, a folder where
 * compiled databases are stored keyed by a hash of their patterns and reloaded on the next start
 * (created if missing; failures to cache are not errors). */
vg_prefilter_t *vg_prefilter_build(const vg_rule_t *const *rules, size_t n, int buf,
                                   const char *cache_dir, char *err, size_t err_len);
void vg_prefilter_free(vg_prefilter_t *pf);

/* Per-thread scratch valid for every prefilter built in this process (grows as needed). */
vg_prefilter_scratch_t *vg_prefilter_scratch_new(void);
void vg_prefilter_scratch_free(vg_prefilter_scratch_t *s);

/* Scans data and writes the candidate rule indices (into rules[] of the build), each once, in
 * ascending order, to out (capacity cap >= the n of the build). Returns the number written. */
size_t vg_prefilter_scan(const vg_prefilter_t *pf, vg_prefilter_scratch_t *s, const uint8_t *data,
                         size_t len, uint32_t *out, size_t cap);

/* Statistics for reports: rules with a fast pattern, rules always reported. */
size_t vg_prefilter_n_patterns(const vg_prefilter_t *pf);
size_t vg_prefilter_n_always(const vg_prefilter_t *pf);

#endif
