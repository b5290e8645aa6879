/* detect_engine.h — the signature engine at run time: a loaded ruleset organised for matching,
 * and the two inspection points the workers call.
 *
 *  - vg_detect_packet(): every decoded packet of a flow (and packets without a flow): rules that
 *    inspect no application buffer — header-only rules, packet keywords, payload/stream content.
 *  - vg_detect_tx(): a completed application transaction (HTTP request+response, DNS message,
 *    TLS handshake, SSH banners): rules that inspect its buffers (http.uri, dns.query, tls.sni,
 *    ...). Each rule alerts at most once per transaction.
 *
 * Candidates come from one Hyperscan prefilter per rule group and buffer (prefilter.h); each
 * candidate is verified in full by vg_detect_eval_rule(). Rules are evaluated in Suricata's
 * order (action, flowbit setters before readers, priority, sid) so flowbits set by one rule are
 * seen by the next within the same packet.
 *
 * Threads: the engine is immutable once built and shared by all workers; each worker owns a
 * vg_detect_ctx_t (scratch, threshold table, counters).
 */
#ifndef VG_DETECT_DETECT_ENGINE_H
#define VG_DETECT_DETECT_ENGINE_H

#include "detect/detect.h"

typedef struct vg_detect_engine vg_detect_engine_t;
typedef struct vg_detect_ctx vg_detect_ctx_t;

/* Takes ownership of rs. cache_dir: where compiled pattern databases are kept (NULL: none).
 * Never fails for lack of Hyperscan: a group whose prefilter cannot be built evaluates all its
 * rules (slower, same result); that is reported through vg_log. */
vg_detect_engine_t *vg_detect_engine_new(vg_ruleset_t *rs, const char *cache_dir);
void vg_detect_engine_free(vg_detect_engine_t *e);
/* Rule reload: e (not in use yet) takes over old's threshold and detection_filter windows for
 * the rules in both (same gid and sid) whose effective threshold is the same (type, track,
 * count, seconds); old may be in use (its table is read under its lock). Returns the number of
 * windows carried. */
size_t vg_detect_engine_inherit(vg_detect_engine_t *e, const vg_detect_engine_t *old);
const vg_ruleset_t *vg_detect_engine_ruleset(const vg_detect_engine_t *e);

vg_detect_ctx_t *vg_detect_ctx_new(const vg_detect_engine_t *e);
void vg_detect_ctx_free(vg_detect_ctx_t *c);
/* Inside an alert callback: whether the alerting rule matched on the raw-stream window given
 * with the packet (EVE alert "stream": 1 and the window as its payload). */
bool vg_detect_ctx_stream_match(const vg_detect_ctx_t *c);

/* Called for each alert: the rule, and the direction of the inspected data (VG_DIR_TOSERVER:
 * the alert's source is the flow's client). */
typedef void (*vg_detect_alert_fn)(void *user, const vg_rule_t *r, int dir);

/* Packet rules over one packet. in->pkt is the packet; in->buf[VG_DBUF_PAYLOAD] its payload;
 * in->stream the in-order stream bytes this packet made available (may be NULL). fv: the flow's
 * variables (NULL without a flow, or while it has none: see vg_detect_ctx_set_fv_make); pass it
 * in in->fv too to spare a copy of in. dir: the packet's direction in its flow. A matching
 * `pass` rule ends the packet's inspection; when it is an IP-only rule (VG_RULE_IP_ONLY) it is
 * handed to cb too, since its action applies to the flow as in Suricata (the caller passes the
 * flow). VG_RULE_IP_ONLY rules are skipped with VG_DIN_IPONLY_DONE. */
void vg_detect_packet(vg_detect_ctx_t *c, const vg_detect_input_t *in, vg_flowvars_t *fv, int dir,
                      vg_time_t now, vg_detect_alert_fn cb, void *user);

/* A transaction is inspected more than once (when the request is complete, then with the
 * response). Before a matching transaction rule's flowbit/flowint actions and threshold are
 * applied, tx_seen(user, r) is asked: true = r already matched this transaction (it is skipped:
 * actions, thresholds and the alert happen once per transaction, as in Suricata); false = the
 * first match, which the callee records. NULL (the default): no memory across calls. */
typedef bool (*vg_detect_tx_seen_fn)(void *user, const vg_rule_t *r, int dir);
void vg_detect_ctx_set_tx_seen(vg_detect_ctx_t *c, vg_detect_tx_seen_fn fn);

/* Flow variables made on demand. vg_detect_packet() and vg_detect_tx() may be given fv NULL for
 * a flow that has none yet (most flows never set a flowbit: no allocation for them); when a
 * matching rule has flowbit or flowint actions, fv_make(user) is asked for the flow's variables
 * (it returns NULL when there are none to make, e.g. without a flow: the actions are then
 * dropped). The evaluator reads fv NULL as "no flowbit set, no flowint present". NULL (the
 * default): fv is used as given. */
typedef vg_flowvars_t *(*vg_detect_fv_make_fn)(void *user);
void vg_detect_ctx_set_fv_make(vg_detect_ctx_t *c, vg_detect_fv_make_fn fn);

/* Transaction rules. in_ts / in_tc: the same buffers with the header oriented client→server and
 * server→client (pkt, flow flags). Rules are tried on in_ts first, then on in_tc; in_tc NULL:
 * only the client→server side (inspection when the request is complete). A matching `pass`
 * rule ends the inspection and is handed to cb too (r->action == VG_ACT_PASS: not an alert; the
 * caller is to stop inspecting the flow, as Suricata passes a flow on a stateful pass match). */
void vg_detect_tx(vg_detect_ctx_t *c, const vg_detect_input_t *in_ts,
                  const vg_detect_input_t *in_tc, vg_flowvars_t *fv, vg_time_t now,
                  vg_detect_alert_fn cb, void *user);

/* Counters: "detect.alert", "detect.alerts_suppressed", "detect.candidates", "detect.evals",
 * "detect.pcre_limit_hits", ... */
const vg_stats_table_t *vg_detect_stats_table(void);
const uint64_t *vg_detect_stats_values(vg_detect_ctx_t *c);

#endif
