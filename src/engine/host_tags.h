/* host_tags.h — tag:host: the packets of a host after an alert (engine-internal).
 *
 * An alert of a rule with tag:host,COUNT,METRIC,src|dst tags the alerting packet's source or
 * destination host; every later packet to or from that host is logged (EVE "packet") while the
 * tag lasts: COUNT packets, COUNT bytes or COUNT seconds, counted from the alerting packet, which
 * is not logged itself. A second alert of the same rule on the same host starts the count
 * again (and its packet is logged). Suricata's semantics (detect-engine-tag.c, read to learn).
 *
 * One table for the process (tags follow hosts across flows, hence across workers), behind a
 * mutex; packets look it up only while some tag is active (an atomic count). Fixed size: a host
 * that finds its probe run full replaces the one seen longest ago, and a host keeps at most 8
 * tags (both counted: detect.tag_host in stats events). With several
 * workers, which of a host's packets fall within its count depends on how the workers
 * interleave, as Suricata says of its own threads. */
#ifndef VG_ENGINE_HOST_TAGS_H
#define VG_ENGINE_HOST_TAGS_H

#include "common/common.h"
#include "detect/detect.h"

#include <stdbool.h>
#include <stdint.h>

/* One packet more for a tag (session or host) of metric counting since first: its packets or
 * captured bytes added to *seen; true when the tag is over (Suricata's counting: the alerting
 * packet counts, more than count packets/bytes, or more than count whole seconds). */
static inline bool tag_step(uint8_t metric, uint32_t count, uint64_t *seen, vg_time_t first,
                            vg_time_t now, uint32_t caplen)
{
    if (metric == VG_TAG_PACKETS)
        ++*seen;
    else if (metric == VG_TAG_BYTES)
        *seen += caplen;
    return metric == VG_TAG_SECONDS ? now / VG_USEC_PER_SEC - first / VG_USEC_PER_SEC > count
                                    : *seen > count;
}

typedef struct host_tags host_tags_t;

host_tags_t *host_tags_new(uint32_t max_hosts);
void host_tags_free(host_tags_t *t);

/* An alert of rule r on packet (src, dst) at time now. */
void host_tags_alert(host_tags_t *t, const vg_rule_t *r, const vg_addr_t *src, const vg_addr_t *dst,
                     vg_time_t now);
/* A packet after detection: true when it is to be logged as tagged. */
/* len: the packet's captured length (the bytes metric, as Suricata's GET_PKT_LEN) */
bool host_tags_packet(host_tags_t *t, const vg_addr_t *src, const vg_addr_t *dst, uint32_t len,
                      vg_time_t now);
/* For the stats event (detect.tag_host): tags active, hosts replaced, tags not set. */
void host_tags_stats(host_tags_t *t, uint64_t *active, uint64_t *evictions, uint64_t *dropped);

#endif
