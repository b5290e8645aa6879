/* stats.h — named counters and their nested JSON form for EVE `stats` events.
 *
 * A module describes its counters as a table of dotted names ("decoder.pkts",
 * "decoder.event.ipv4.trunc_pkt"); each worker keeps a uint64_t array in the same order. The output
 * side sums the arrays of all workers and writes them nested by the dots. Names that share a prefix
 * must be contiguous in the table.
 */
#ifndef VG_COMMON_STATS_H
#define VG_COMMON_STATS_H

#include "common/json.h"

#include <stddef.h>
#include <stdint.h>

typedef struct vg_stats_table {
    const char *const *names;
    size_t n;
} vg_stats_table_t;

/* Writes the counters as nested members of the object currently open in w.
 * skip_zero: leave out counters that are zero whose last component is not in keep (used for the
 * long list of decoder events, as Suricata keeps them all; we keep them all too when false). */
void vg_stats_write(vg_jw_t *w, const vg_stats_table_t *t, const uint64_t *vals);

#endif
