/* detect.h — the signature engine's public API: load Suricata-language rules into a ruleset,
 * report what was skipped and why, and evaluate one rule against one packet's buffers.
 *
 * Loading (start-up, one thread): vg_ruleset_new(), optional vg_ruleset_set_var() /
 * vg_ruleset_load_classification() / vg_ruleset_load_threshold_config(), then
 * vg_ruleset_load_file() per file. A rule that uses a keyword the engine does not implement with
 * its real semantics is skipped and reported (never loaded half-understood); the rest load.
 *
 * Matching (workers): the ruleset is immutable after loading and may be shared read-only. Each
 * worker owns a vg_detect_thread_t (PCRE2 match data, transform scratch, counters).
 * vg_detect_eval_rule() is the naive reference evaluator: it checks header, packet keywords,
 * flow state conditions and every inspection list with Suricata's semantics. Per-flow state
 * (flowbits/flowint: vg_flowvars_t) and per-host state (vg_threshold_table_t) are defined here;
 * the flow stage will own them (one vg_flowvars_t per flow) — that integration comes later.
 *
 * The rule representation itself is in detect/rule.h.
 */
#ifndef VG_DETECT_DETECT_H
#define VG_DETECT_DETECT_H

#include "decode/packet.h"
#include "detect/rule.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct vg_ruleset vg_ruleset_t;

/* ---- diagnostics ---- */

enum { VG_DIAG_FAILED = 1, /* syntax or semantic error */
       VG_DIAG_SKIPPED = 2 /* valid Suricata, but uses something Vigil does not implement */ };

typedef struct vg_rule_diag {
    const char *file;           /* borrowed from the ruleset */
    uint32_t line, col;         /* col: 1-based column of the offending option/token, 0 = n/a */
    uint32_t sid;               /* 0 when not parsed yet */
    int kind;                   /* VG_DIAG_* */
    const char *reason;         /* groupable ("unsupported keyword 'xbits'"), interned */
    const char *detail;         /* specific message */
} vg_rule_diag_t;

/* ---- ruleset ---- */

/* A new empty ruleset with Suricata's default address/port variables. Aborts on OOM. */
vg_ruleset_t *vg_ruleset_new(void);
void vg_ruleset_free(vg_ruleset_t *rs); /* NULL is a no-op */

/* Define or override a variable (NAME without '$', e.g. "HOME_NET", "[10.0.0.0/8]"). Affects
 * rules loaded afterwards. Returns 0, or -1 for an invalid name. */
int vg_ruleset_set_var(vg_ruleset_t *rs, const char *name, const char *value);
/* "NAME=VALUE" form (the CLI's --var). */
int vg_ruleset_set_var_assign(vg_ruleset_t *rs, const char *assign);
const char *vg_ruleset_get_var(const vg_ruleset_t *rs, const char *name);

/* Whether PCRE2 JIT is used (default true). Call before loading. */
void vg_ruleset_set_pcre_jit(vg_ruleset_t *rs, bool on);

/* classification.config: "config classification: shortname,long description,priority".
 * Returns the number of classes read, or -1 when the file cannot be opened (err filled).
 * Malformed lines are counted in *n_bad (may be NULL). Load before the rules. */
int vg_ruleset_load_classification(vg_ruleset_t *rs, const char *path, int *n_bad, char *err,
                                   size_t errlen);
int vg_ruleset_load_classification_str(vg_ruleset_t *rs, const char *text, int *n_bad);

/* threshold.config: threshold / event_filter / rate_filter / suppress lines. threshold and
 * event_filter entries override a rule's own threshold; suppress entries are checked with
 * vg_ruleset_is_suppressed(). rate_filter lines are counted in *n_bad as unsupported.
 * Returns entries read or -1 when the file cannot be opened. */
int vg_ruleset_load_threshold_config(vg_ruleset_t *rs, const char *path, int *n_bad, char *err,
                                     size_t errlen);
int vg_ruleset_load_threshold_str(vg_ruleset_t *rs, const char *text, int *n_bad);

/* Load a rules file: one rule per line, '\' continues a line, '#' comments. Returns the number
 * of rules loaded, or -1 when the file cannot be read (err filled). Per-rule failures are
 * recorded as diagnostics and do not stop loading. */
int vg_ruleset_load_file(vg_ruleset_t *rs, const char *path, char *err, size_t errlen);
/* Same for text in memory; name is used as the file name in diagnostics. */
int vg_ruleset_load_str(vg_ruleset_t *rs, const char *text, const char *name);
/* Parse one rule. Returns the loaded rule (owned by rs) or NULL; on NULL the reason is the last
 * diagnostic. A rule with the gid and sid of one already loaded replaces it (same id, the old
 * one counted as skipped) when its rev is higher, and is refused ("duplicate signature")
 * otherwise, as in Suricata. */
const vg_rule_t *vg_ruleset_add_rule(vg_ruleset_t *rs, const char *text, const char *file,
                                     uint32_t line);

uint32_t vg_ruleset_count(const vg_ruleset_t *rs);
const vg_rule_t *vg_ruleset_rule(const vg_ruleset_t *rs, uint32_t i);
uint32_t vg_ruleset_n_failed(const vg_ruleset_t *rs);
uint32_t vg_ruleset_n_skipped(const vg_ruleset_t *rs);
uint32_t vg_ruleset_n_diags(const vg_ruleset_t *rs);
const vg_rule_diag_t *vg_ruleset_diag(const vg_ruleset_t *rs, uint32_t i);
/* Interned flowbit / flowint names: ids are 0..n-1. */
uint32_t vg_ruleset_n_flowbits(const vg_ruleset_t *rs);
/* xbit names, "h:NAME" (host bits) or "p:NAME" (address-pair bits), by id */
uint32_t vg_ruleset_n_xbits(const vg_ruleset_t *rs);
const char *vg_ruleset_xbit_name(const vg_ruleset_t *rs, uint32_t id);
const char *vg_ruleset_flowbit_name(const vg_ruleset_t *rs, uint32_t id);
uint32_t vg_ruleset_n_flowints(const vg_ruleset_t *rs);
/* Rules with a `track by_flow` threshold: their state is kept in each flow's vg_flowvars_t. */
uint32_t vg_ruleset_n_flow_thresholds(const vg_ruleset_t *rs);
/* Rules whose pcre captures into flow variables (kept in vg_flowvars_t too); may count a rule
 * rejected after its pcre was read. */
uint32_t vg_ruleset_n_capture_rules(const vg_ruleset_t *rs);
/* Rule reload: for each flowbit (flowint) id of from, the id of the same name in to, or
 * VG_VAR_NONE when to does not use that name (n_flowbits(from) entries; free()). */
#define VG_VAR_NONE UINT32_MAX
uint32_t *vg_ruleset_flowbit_map(const vg_ruleset_t *from, const vg_ruleset_t *to);
uint32_t *vg_ruleset_flowint_map(const vg_ruleset_t *from, const vg_ruleset_t *to);
/* Classification lookup by short name; NULL when unknown. */
const char *vg_ruleset_class_desc(const vg_ruleset_t *rs, const char *name, int *priority);

/* threshold.config suppress: true when an alert of r on p must not be emitted. */
bool vg_ruleset_is_suppressed(const vg_ruleset_t *rs, const vg_rule_t *r, const vg_packet_t *p);
/* The effective threshold of r (threshold.config overrides the rule's); type NONE if none. */
vg_threshold_t vg_ruleset_threshold(const vg_ruleset_t *rs, const vg_rule_t *r);

/* ---- per-flow variables (flowbits, flowint) ---- */

typedef struct vg_flowvars {
    uint32_t n_bits;
    uint64_t *bits;             /* n_bits bits */
    uint32_t n_ints;
    uint32_t *ints;
    uint64_t *int_set;          /* n_ints bits: value present */
    uint32_t n_thr, cap_thr;
    struct vg_flow_thr *thr;    /* track by_flow threshold states (by rule id; not carried
                                 * across a rule reload: they start again) */
    uint32_t n_strs, cap_strs;
    struct vg_flow_str *strs;   /* flow variables set by pcre captures, in the order first set */
} vg_flowvars_t;

/* A flow variable (string) set by a pcre capture. */
struct vg_flow_str {
    char *name;
    uint8_t *val;
    uint32_t len;
};
#define VG_FLOWVAR_MAX 64          /* variables per flow; later names are not stored */
#define VG_FLOWVAR_MAX_LEN 65535u  /* bytes kept of a value */
/* Set (or replace) the flow variable name. */
void vg_flowvars_set_str(vg_flowvars_t *fv, const char *name, const uint8_t *val, size_t len);
/* The variable name, or NULL. */
const struct vg_flow_str *vg_flowvars_get_str(const vg_flowvars_t *fv, const char *name);

/* Sized for rs's interned names. Aborts on OOM (flow integration will pool these). */
vg_flowvars_t *vg_flowvars_new(const vg_ruleset_t *rs);
void vg_flowvars_free(vg_flowvars_t *fv);
bool vg_flowvars_isset(const vg_flowvars_t *fv, uint32_t id);
/* Rule reload: fv's variables carried to a set sized for rs, through the id maps above
 * (bit_map: fv->n_bits entries, int_map: fv->n_ints); names rs does not use are dropped. */
vg_flowvars_t *vg_flowvars_remap(const vg_flowvars_t *fv, const uint32_t *bit_map,
                                 const uint32_t *int_map, const vg_ruleset_t *rs);
void vg_flowvars_set(vg_flowvars_t *fv, uint32_t id, bool on);

/* ---- evaluation ---- */

/* vg_detect_input_t.flow bits */
enum {
    VG_DIN_HAS_FLOW = 1u << 0,  /* the packet belongs to a tracked flow */
    VG_DIN_ESTABLISHED = 1u << 1,
    VG_DIN_TOSERVER = 1u << 2,  /* packet direction */
    VG_DIN_TOCLIENT = 1u << 3,
    VG_DIN_STREAM = 1u << 4,    /* `stream` holds a raw-stream window (reassembled data) */
    /* vg_detect_tx() with in_tc: an earlier call for the same transaction with in_tc NULL
     * already inspected its to-server side, with the same request buffers, flow flags
     * (established) and application protocol. Rules that see nothing else are not verified on
     * the to-server side again (the result could not differ), as Suricata inspects a
     * direction's rules once that direction of the transaction is complete. */
    VG_DIN_TS_DONE = 1u << 5,
    /* the first packet of its direction inspected with the flow's application protocol decided
     * (detected or failed): protocol-detection-only rules are judged there, as Suricata's
     * PD-only signatures on PKT_PROTO_DETECT_TS_DONE / TC_DONE */
    VG_DIN_PROTO_DONE = 1u << 6,
    /* this packet's data decided its own direction's protocol (dir_proto[]): rules on one
     * direction's protocol (app-layer-protocol:X,to_server / to_client) are judged there */
    VG_DIN_DIR_PROTO_DONE = 1u << 7,
    /* the packet's payload went into a tracked TCP stream (Suricata's PKT_STREAM_ADD): payload
     * lists inspect it only for VG_RULE_REQ_PACKET rules; the others see its bytes in a later
     * raw-stream window */
    VG_DIN_STREAM_ADD = 1u << 8,
    /* no packet: the flow-end inspection of a raw-stream window (Suricata's flow timeout pseudo
     * packet); only rules with a payload list are considered */
    VG_DIN_PSEUDO = 1u << 9,
    /* stream_size[] holds the TCP session's byte counts (stream_size keyword) */
    VG_DIN_STREAM_SIZE = 1u << 10,
    /* the flow's protocol counts as known for this packet's VG_RULE_APP_BARE rules: over TCP
     * from the first packet of the other side after the data that decided it (Suricata in IDS
     * mode decides it on the packet that acknowledges the data), over UDP from the packet that
     * decided it */
    VG_DIN_PROTO_PRIOR = 1u << 14,
    /* the packet's flow direction already had its IP-only inspection: VG_RULE_IP_ONLY rules
     * are not inspected (Suricata's FLOW_PKT_TO{SERVER,CLIENT}_IPONLY_SET) */
    VG_DIN_IPONLY_DONE = 1u << 15,
    /* the flow's FTP state says ftpbounce (VG_APP_KW_FTPBOUNCE) for this packet */
    VG_DIN_FTPBOUNCE = 1u << 11,
    /* an ftp-data flow announced by RETR / by STOR (ftpdata_command) */
    VG_DIN_FTPDATA_RETR = 1u << 12,
    VG_DIN_FTPDATA_STOR = 1u << 13,
    /* a packet too malformed for a flow (VG_PKT_INVALID, or not IP) that the decoder raised an
     * event on: only its decode-event rules without buffers (Suricata's "decoder event only"
     * rules) and, for an IP packet, its IP-only rules are inspected, as Suricata inspects such
     * a packet with its decoder-event rule group and its IP-only engine */
    VG_DIN_DECODER = 1u << 16,
};

/* What one evaluation sees. Every pointer is borrowed for the call. A buffer with ptr NULL is
 * absent (a rule inspecting it does not match); a present buffer may have length 0. */
typedef struct vg_detect_input {
    const vg_packet_t *pkt;     /* header fields (addresses, ports, ttl, flags, icmp...); may be
                                 * NULL: header and packet keywords are then not checked */
    const uint8_t *buf[VG_DBUF_MAX];
    uint32_t len[VG_DBUF_MAX];  /* buf[VG_DBUF_PAYLOAD] = packet payload */
    const uint8_t *stream;      /* reassembled stream data for payload lists (may be NULL) */
    uint32_t stream_len;
    uint32_t flow;              /* VG_DIN_* */
    uint8_t app_proto;          /* enum vg_app_proto detected on the flow (the current one) */
    uint8_t app_proto_orig;     /* the protocol before an in-band change (SMTP STARTTLS), or 0 */
    uint8_t dir_proto[2];       /* each direction's own detection (to server, to client) */
    uint64_t app_events;        /* the inspected transaction's app-layer events (bits of its
                                 * protocol's vg_app_ops_t.events); 0 without a transaction */
    /* the stream events (vg_stream_event_by_name codes) the stream stage raised on the packet */
    const uint16_t *stream_ev;
    uint32_t n_stream_ev;
    /* with VG_DIN_STREAM_SIZE: bytes each TCP role has sent, counted as Suricata's stream_size
     * does (next expected sequence number minus the ISN, so the SYN counts as one);
     * [0] the client, [1] the server */
    uint64_t stream_size[2];
    const vg_flowvars_t *fv;    /* NULL: no flowbit set, no flowint present */
    /* One multi-buffer (several instances of buffer multi_buf, e.g. each certificate of
     * tls.certs): a rule inspecting it matches when it matches with any one instance in
     * buf[multi_buf]. n_multi == 0: none (buf[] holds what there is). */
    uint32_t n_multi;
    uint8_t multi_buf;
    const uint8_t *const *multi;
    const uint32_t *multi_len;
} vg_detect_input_t;

typedef struct vg_detect_thread vg_detect_thread_t;

typedef struct vg_detect_counters {
    uint64_t pcre_calls, pcre_limit_hits, recursion_limit_hits;
} vg_detect_counters_t;

vg_detect_thread_t *vg_detect_thread_new(void);
void vg_detect_thread_free(vg_detect_thread_t *t);
const vg_detect_counters_t *vg_detect_thread_counters(const vg_detect_thread_t *t);

/* Evaluate r against in. True when the whole rule matches (header, packet keywords, flow,
 * flowbit/flowint conditions, every inspection list). Does not change any state: apply the
 * rule's flowbit/flowint actions with vg_detect_apply_actions() and thresholds with
 * vg_threshold_check() afterwards. Thread-safe with one t per thread. */
bool vg_detect_eval_rule(vg_detect_thread_t *t, const vg_rule_t *r, const vg_detect_input_t *in);
/* Whether the rule t evaluated last matched on the raw-stream window (in->stream) rather than
 * on the packet's payload. */
bool vg_detect_thread_stream_match(const vg_detect_thread_t *t);
/* Just the inspection lists (content, pcre, byte_*, isdataat/bsize/urilen with transforms). */
bool vg_detect_eval_lists(vg_detect_thread_t *t, const vg_rule_t *r, const vg_detect_input_t *in);

/* After a match: flowbits set/unset/toggle and flowint +,-,= on fv. */
void vg_detect_apply_actions(const vg_rule_t *r, vg_flowvars_t *fv);
/* After a match of a rule with VG_RULE_CAPTURES, evaluated last on t: the pcre captures of
 * that evaluation stored into fv's flow variables. */
void vg_detect_apply_captures(const vg_detect_thread_t *t, vg_flowvars_t *fv);
/* Whether r's alert is to be emitted (true) given its effective alert-suppression policy. */
bool vg_detect_should_alert(const vg_rule_t *r);

/* ---- thresholds (per rule / per host) ---- */

typedef struct vg_threshold_table vg_threshold_table_t;
vg_threshold_table_t *vg_threshold_table_new(uint32_t max_entries);
void vg_threshold_table_free(vg_threshold_table_t *t);
/* Rule reload: copies from's windows into to, rule id i of from becoming rule_map[i] of to
 * (UINT32_MAX: not carried; n_rules entries). Returns the number of windows carried. */
size_t vg_threshold_table_carry(vg_threshold_table_t *to, const vg_threshold_table_t *from,
                                const uint32_t *rule_map, uint32_t n_rules);
/* r matched packet p at time now with effective threshold thr: true when an alert is to be
 * emitted (threshold/limit/both) or, for detection_filter, when the match counts. */
bool vg_threshold_check(vg_threshold_table_t *t, const vg_rule_t *r, const vg_threshold_t *thr,
                        const vg_packet_t *p, vg_time_t now);
/* unique_on port maps: allocations refused at the table's cap (the match then counted as a new
 * port), and the bytes the maps take. */
uint64_t vg_threshold_table_bitmap_fails(const vg_threshold_table_t *t);
uint64_t vg_threshold_table_bitmap_memuse(const vg_threshold_table_t *t);
/* The same for thr->track == VG_TRACK_FLOW, counted in the flow's variables (true when fv is
 * NULL: a packet without a flow is not thresholded). */
bool vg_threshold_check_flow(vg_flowvars_t *fv, const vg_rule_t *r, const vg_threshold_t *thr,
                             vg_time_t now);

/* ---- CLI ---- */

/* `vigil rules check FILE... [--json] [--var NAME=VALUE]... [--classification FILE]
 *  [--threshold FILE]`. argv[0] is "rules". Returns the process exit code. */
int vigil_rules_main(int argc, char **argv);

#endif
