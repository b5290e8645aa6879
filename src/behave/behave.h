/* behave.h — behavioural detectors: port scans, brute force, floods and reflection, beaconing,
 * DNS and ICMP tunnelling and bulk exfiltration (docs/BEHAVE.md).
 *
 * Signatures look at one packet or one transaction; these detectors look at what a source does
 * over a window of packet time. They never see packets: workers hand them compact observations
 * (a summary of each flow when it ends, each DNS query, each HTTP response status), and one
 * behave thread feeds the detectors with the observations of every worker, so a scanner whose
 * probes land on different workers is seen whole.
 *
 * Determinism: the reader gives every worker a tick at the same place of its packet sequence
 * (engine.h). Each worker closes an "epoch" of observations at each tick; the behave thread
 * takes epoch k from every worker, sorts the union by (time, addresses, ports, ...) and only then
 * feeds it to the detectors. So the alerts do not depend on the number of workers (except under
 * flow-table emergency eviction, which already depends on each worker's share).
 *
 * Objects and threads:
 *   vg_behave_t       the detectors and their state. Single-threaded: vg_behave_observe() and
 *                     vg_behave_finish() are called by one thread (the behave thread, or a test).
 *   vg_behave_pipe_t  the per-worker epoch queues and the behave thread (behave_pipe.c).
 *
 * Memory: every table has a fixed number of entries (behave.table-size) with eviction of the
 * least recently seen entry (counted in stats as behave.evictions), distinct counts are
 * HyperLogLog sketches of 128 bytes, and an epoch holds at most behave.max-epoch-observations
 * observations (more are dropped and counted as behave.obs_dropped).
 */
#ifndef VG_BEHAVE_BEHAVE_H
#define VG_BEHAVE_BEHAVE_H

#include "common/common.h"
#include "common/config.h"
#include "common/json.h"
#include "common/stats.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* --- configuration ----------------------------------------------------------------------- */

#define VG_BEHAVE_MAX_PORTS 64

typedef struct vg_behave_cfg {
    bool enabled;
    uint32_t table_size;           /* entries per detector table */
    uint64_t max_epoch_obs;        /* observations per epoch, all workers together */
    uint64_t max_epoch_single;     /* of which flows of one packet (probes, spoofed packets) */
    /* port scans */
    bool scan_on;
    uint32_t scan_window, scan_ports, scan_hosts;
    uint32_t scan_slow_window, scan_slow_targets;
    uint32_t scan_invalid;         /* TCP probes with invalid flags (0: off) */
    /* brute force */
    bool brute_on;
    uint32_t brute_window, brute_attempts, brute_max_session, brute_http_failures;
    uint16_t brute_ports[VG_BEHAVE_MAX_PORTS];
    size_t n_brute_ports;
    /* floods and reflection */
    bool flood_on;
    uint32_t flood_window, flood_pps, flood_min_packets;
    uint64_t flood_amp_bytes;
    uint32_t flood_amp_sources;
    uint16_t amp_ports[VG_BEHAVE_MAX_PORTS];
    size_t n_amp_ports;
    /* beaconing */
    bool beacon_on;
    uint32_t beacon_min_count, beacon_max_jitter_pct, beacon_min_period, beacon_max_period;
    uint16_t beacon_ignore_ports[VG_BEHAVE_MAX_PORTS];
    size_t n_beacon_ignore_ports;
    /* DNS tunnelling */
    bool dns_on;
    uint32_t dns_window, dns_queries, dns_unique, dns_min_length, dns_txt;
    char dns_ignore[512];          /* registered domains never judged, comma-separated */
    /* bulk exfiltration */
    bool exfil_on;
    uint32_t exfil_window, exfil_ratio;
    uint64_t exfil_bytes;
    /* ICMP tunnels */
    bool icmpt_on;
    uint32_t icmpt_window, icmpt_min_packets, icmpt_mismatches, icmpt_size_changes;
} vg_behave_cfg_t;

/* Built-in defaults (the same as the config table's). */
void vg_behave_cfg_defaults(vg_behave_cfg_t *c);
/* From the behave.* keys. Returns -1 with a reason in err for a bad port list. */
int vg_behave_cfg_load(vg_behave_cfg_t *c, const vg_config_t *cfg, char *err, size_t err_len);

/* --- observations ------------------------------------------------------------------------ */

enum vg_behave_obs_kind {
    VG_BOBS_FLOW = 1,  /* a flow ended: src is the client (initiator unless the TCP session
                          was found reversed), dst the server */
    VG_BOBS_DNS,       /* a DNS query (request transaction): src the client, name the qname */
    VG_BOBS_HTTP,      /* an HTTP response: src the client, code the status */
};

#define VG_BOBS_HANDSHAKE 0x01   /* TCP three-way handshake completed (not midstream) */

typedef struct vg_behave_obs {
    vg_time_t ts;            /* flow start / transaction time */
    vg_time_t last;          /* flow: last packet; otherwise ts */
    vg_addr_t src, dst;
    uint64_t pkts[2], bytes[2]; /* flow: [0] client→server, [1] server→client */
    uint16_t sp, dp;
    uint16_t code;           /* DNS: qtype; HTTP: status */
    uint8_t kind, proto, ip_ver;
    uint8_t tcp_flags[2];    /* OR of TCP flags per direction */
    uint8_t icmp_type;       /* first ICMP type from the client */
    uint16_t icmp_id;        /* ICMP: the flow's first message's identifier (echo id) */
    uint8_t flags;           /* VG_BOBS_* */
    uint8_t name_len;        /* DNS: qname length (at most 255) */
    uint16_t echo_mismatch;  /* ICMP echo flow: replies that did not echo a request's payload */
    uint32_t name_off;       /* DNS: offset of the qname in the epoch's name arena */
    uint16_t echo_size_changes; /* ICMP echo flow: request payload size changes */
} vg_behave_obs_t;

/* --- alerts ------------------------------------------------------------------------------ */

/* A behavioural signature: the fields an EVE alert needs (docs/BEHAVE.md lists them). */
typedef struct vg_behave_sig {
    uint32_t gid, sid, rev;
    int priority;
    const char *msg, *classtype, *class_desc, *metadata;
    int target;              /* VG_BEHAVE_TARGET_*: which end the signature names as victim */
} vg_behave_sig_t;

#define VG_BEHAVE_GID 9
/* sig target: NONE leaves the roles to the attribution stage's category rules (C2, exfil) */
enum { VG_BEHAVE_TARGET_NONE = 0, VG_BEHAVE_TARGET_SRC, VG_BEHAVE_TARGET_DST };

typedef struct vg_behave_alert {
    const vg_behave_sig_t *sig;
    vg_time_t ts;
    vg_addr_t src, dst;      /* oriented like the traffic: src sent the probes/queries/bytes */
    uint16_t sp, dp;
    uint8_t proto, ip_ver;
    bool verified;           /* the attacker completed TCP handshakes */
    const char *detail;      /* the "behave" object: JSON text of one object */
    size_t detail_len;
} vg_behave_alert_t;

typedef void (*vg_behave_alert_fn)(void *user, const vg_behave_alert_t *a);
/* Whether an address is inside the home networks (for beaconing and exfiltration). */
typedef bool (*vg_behave_home_fn)(void *user, const vg_addr_t *a, int ip_ver);

/* --- the detectors ----------------------------------------------------------------------- */

typedef struct vg_behave vg_behave_t;

/* home may be NULL: RFC 1918 / RFC 4193 / loopback / link-local count as home. */
vg_behave_t *vg_behave_new(const vg_behave_cfg_t *c, vg_behave_alert_fn on_alert,
                           vg_behave_home_fn home, void *user);
void vg_behave_free(vg_behave_t *b);
/* One observation; names is the arena that o->name_off points into (DNS). Observations should
 * come roughly in time order (the pipe sorts each epoch). */
void vg_behave_observe(vg_behave_t *b, const vg_behave_obs_t *o, const char *names);
/* Optional: a hint that o will be observed soon (prefetches table lines; no effect otherwise). */
void vg_behave_prefetch(vg_behave_t *b, const vg_behave_obs_t *o);
/* End of input: detectors that judge whole histories (beaconing, exfiltration) decide now. */
void vg_behave_finish(vg_behave_t *b);

/* Counters: behave.alerts.<detector>, behave.evictions, behave.obs, behave.obs_dropped,
 * behave.memory (bytes of detector tables). */
const vg_stats_table_t *vg_behave_stats_table(void);
/* Copies the counters as of the last finished epoch into out (table order). Any thread. */
void vg_behave_stats_snapshot(const vg_behave_t *b, uint64_t *out);
/* Bytes allocated for the detectors' tables (fixed at creation). */
uint64_t vg_behave_memory(const vg_behave_t *b);

/* --- the EVE alert ----------------------------------------------------------------------- */

struct vg_attrib;
struct vg_attrib_ctx;
struct vg_eve_opts;
/* Writes the complete EVE alert object of a (attribution when attrib and actx are given). */
void vg_behave_eve_alert(vg_jw_t *w, const struct vg_eve_opts *o, const vg_behave_alert_t *a,
                         const struct vg_attrib *attrib, struct vg_attrib_ctx *actx);
/* The fast.log line of the same alert, appended to b. */
void vg_behave_fast_alert(vg_buf_t *b, const vg_behave_alert_t *a);

/* --- the pipe: per-worker epochs, one behave thread ---------------------------------------- */

typedef struct vg_behave_pipe vg_behave_pipe_t;

/* Starts the behave thread for n_producers producers. The detectors' callbacks (alerts) run on
 * that thread; done() is called on it once at the end, after vg_behave_finish(). */
vg_behave_pipe_t *vg_behave_pipe_start(vg_behave_t *b, unsigned n_producers,
                                       void (*done)(void *user), void *user);
/* Producer side (one thread per producer index). name: DNS qname (may be NULL). */
void vg_behave_pipe_add(vg_behave_pipe_t *p, unsigned prod, const vg_behave_obs_t *o,
                        const char *name, size_t name_len);
/* Closes the producer's current epoch (at each tick). Blocks while the behave thread is two
 * epochs behind. */
void vg_behave_pipe_epoch(vg_behave_pipe_t *p, unsigned prod);
/* The producer's last epoch (end of input). */
void vg_behave_pipe_close(vg_behave_pipe_t *p, unsigned prod);
/* Waits for the behave thread (after every producer closed) and frees the pipe. */
void vg_behave_pipe_join(vg_behave_pipe_t *p);
/* Observations dropped by the epoch cap so far (any thread). */
uint64_t vg_behave_pipe_dropped(const vg_behave_pipe_t *p);

#endif
