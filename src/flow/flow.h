/* flow.h — bidirectional flows: the table that tracks them, their timeouts, and their ids.
 *
 * One vg_flow_table_t per worker thread; the reader sends every packet of a flow (both directions)
 * to the same worker, so the table needs no locks. Time is packet time only: a flow times out
 * when packet time passes its last packet plus the timeout of its protocol and state, so a file
 * gives the same flows as the same traffic live.
 *
 * Memory: flows come from a pool that grows in chunks up to cfg.memcap bytes; when it is full the
 * oldest flows are ended early ("emergency eviction", counted as flow.emerg_mode_entered and
 * flow.memcap_evictions in stats) so a flood of spoofed sources cannot exhaust memory.
 *
 * Lifetime: a vg_flow_t is owned by its table; pointers to it are valid until the next call of
 * vg_flow_lookup() or vg_flow_table_tick() on that table, which may end and recycle flows (the
 * end callback sees the flow before it is recycled).
 */
#ifndef VG_FLOW_FLOW_H
#define VG_FLOW_FLOW_H

#include "common/stats.h"
#include "decode/packet.h"

#include <stdbool.h>
#include <stdint.h>

enum vg_flow_state { VG_FLOW_NEW = 0, VG_FLOW_ESTABLISHED, VG_FLOW_CLOSED };
enum vg_flow_end_reason { VG_FLOW_END_TIMEOUT = 0, VG_FLOW_END_FORCED, VG_FLOW_END_SHUTDOWN };

typedef struct vg_flow {
    /* Key. Side 0 is the initiator ("client", toserver direction), side 1 the responder. */
    vg_addr_t addr[2];
    uint16_t port[2];
    uint8_t proto;
    uint8_t ip_ver;
    uint8_t n_vlan;
    uint8_t state;          /* enum vg_flow_state */
    uint16_t vlan[VG_PKT_MAX_VLAN];
    uint32_t hash;          /* symmetric hash of the key (part of flow_id) */

    vg_time_t start, last;  /* first and last packet time */
    uint64_t parent_id;     /* flow_id of the flow that announced this one (FTP data), or 0 */
    uint64_t pkts[2], bytes[2];
    uint8_t tcp_flags[2];   /* TCP flags seen per direction, OR-ed */
    uint8_t icmp_type[2], icmp_code[2]; /* first ICMP type/code per direction */
    uint8_t dir_seen;       /* bit 0: a packet toserver, bit 1: toclient */
    bool alerted;
    bool tunnel;            /* the outer UDP flow of a tunnel (VXLAN, Geneve, Teredo): counted,
                             * not inspected (the engine's, see worker.c tunnel_flow) */
    uint16_t app_proto;     /* enum vg_app_proto */
    uint8_t app_detect_done[2];

    /* ICMP echo flows: whether replies echo their request's payload, as RFC 792 wants and
     * every ping does (the behave stage's ICMP tunnel detector reads these). 16-bit digests of
     * the last two request payloads (0: none yet), replies matching neither, and how often the
     * request payload size changed; counters saturate. */
    uint16_t echo_req_digest[2];
    uint16_t echo_mismatch, echo_size_changes, echo_last_size;
    /* ICMPv4 destination-unreachable messages that joined this TCP/UDP flow, per direction
     * (counted in pkts[] as well; saturates) */
    uint16_t icmp_errs[2];
    uint16_t icmp_id;       /* ICMP flows: the identifier of the first message (echo, ...) */

    uint8_t iponly_dirs;    /* detection: bit d set once direction d had its IP-only inspection */

    /* table internals (these two here for packing; the rest below) */
    uint8_t _tclass;        /* timeout class (list) */
    uint8_t _in_use;

    /* Per-flow state of later stages, owned by them; freed through the table's free hook. */
    void *tcp;
    void *app;
    void *detect;           /* flowbits/flowints (vg_flowvars_t), owned by the engine */
    void *evidence;         /* packet ring / evidence file (src/evidence), owned by the engine */

    /* table internals */
    uint32_t _next;         /* bucket chain */
    uint32_t _lprev, _lnext;/* timeout list links */
    uint32_t _idx;          /* own slot index */
} vg_flow_t;

typedef struct vg_flow_config {
    uint64_t memcap;               /* bytes for flow structs and table per worker */
    /* seconds, by class: [proto kind][state]; proto kind 0 tcp, 1 udp, 2 icmp, 3 other */
    uint32_t timeout[4][3];
    /* a TCP SYN-ACK seen first makes its receiver the initiator (Suricata does so only with
     * stream.midstream on; without it the first packet's sender stays the flow's source) */
    bool synack_reverses;
} vg_flow_config_t;

void vg_flow_config_defaults(vg_flow_config_t *cfg);

typedef struct vg_flow_table vg_flow_table_t;

/* Called when a flow ends (timeout, eviction, shutdown), before it is recycled; the hook logs it
 * and frees the per-flow state of later stages (f->tcp, f->app). */
typedef void (*vg_flow_end_fn)(void *user, vg_flow_t *f, enum vg_flow_end_reason reason);

vg_flow_table_t *vg_flow_table_new(const vg_flow_config_t *cfg, vg_flow_end_fn on_end, void *user);
/* Ends every flow (reason shutdown) and frees the table. */
void vg_flow_table_free(vg_flow_table_t *t);

/* Finds or creates the flow of a decoded IP packet (TCP, UDP, ICMP or other IP protocol).
 * *dir is set to VG_DIR_TOSERVER (0) when the packet comes from the initiator, 1 otherwise.
 * Updates packet/byte counters, flags and last-seen time. Returns NULL when the packet has no
 * flow: not IP, an ICMPv4 error message (it only joins the existing TCP/UDP flow it quotes, as
 * in Suricata 7: vg_icmp4_quote; its direction is its sender's side), or no memory. */
vg_flow_t *vg_flow_lookup(vg_flow_table_t *t, const vg_packet_t *p, int *dir);

/* The same lookup in steps, so that a worker can warm the cache for a packet a few packets before
 * it is looked up (on attack traffic the table is far larger than the caches, and the bucket and
 * the flow were one cache miss each per packet). vg_flow_key_hash() is the hash of the packet's
 * flow key (only for IPv4/IPv6 packets, as vg_flow_lookup accepts them); vg_flow_prefetch() step
 * 0 prefetches the bucket, step 1 (some packets later, with the bucket in cache) the first flow
 * of its chain, step 2 (later again) the chain's second flow; they change nothing. (The slot of
 * the next new flow is prefetched when the one before it is allocated.) vg_flow_lookup_hash() is
 * vg_flow_lookup() with the hash already computed. */
uint32_t vg_flow_key_hash(const vg_packet_t *p);
void vg_flow_prefetch(const vg_flow_table_t *t, uint32_t hash, int step);
vg_flow_t *vg_flow_lookup_hash(vg_flow_table_t *t, const vg_packet_t *p, uint32_t hash, int *dir);

/* Swaps the flow's sides (addresses, ports, per-direction counters and flags): the responder
 * turned out to be the client. Only before any later stage keeps per-direction state. */
void vg_flow_swap(vg_flow_table_t *t, vg_flow_t *f);

/* Marks a flow's protocol state (decides its timeout class). */
void vg_flow_set_state(vg_flow_table_t *t, vg_flow_t *f, enum vg_flow_state st);

/* Ends flows whose timeout has passed at packet time now. */
void vg_flow_table_tick(vg_flow_table_t *t, vg_time_t now);

/* Ends all flows with the given reason. */
void vg_flow_table_flush(vg_flow_table_t *t, enum vg_flow_end_reason reason);

/* Suricata-compatible 51-bit flow id (start time bits and the flow hash). */
uint64_t vg_flow_id(const vg_flow_t *f);

/* Community ID v1 ("1:base64") with the given seed; out needs 64 bytes. Returns length. */
size_t vg_flow_community_id(const vg_flow_t *f, uint16_t seed, char *out);

const vg_stats_table_t *vg_flow_stats_table(void);
const uint64_t *vg_flow_stats_values(const vg_flow_table_t *t);

const char *vg_flow_state_name(enum vg_flow_state st);
const char *vg_flow_reason_name(enum vg_flow_end_reason r);

#endif
