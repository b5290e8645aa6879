/* worker_app.h (engine-internal) — the glue between flows, the stream stage and the app layer
 * inside one worker: protocol detection on the first bytes of each direction, feeding parsers,
 * logging completed transactions and app/stream anomalies, and tearing it all down at flow end. */
#ifndef VG_ENGINE_WORKER_APP_H
#define VG_ENGINE_WORKER_APP_H

#include "app/app.h"
#include "flow/flow.h"
#include "stream/stream.h"

struct worker;

/* Counters of this glue: app_layer.flow.<proto>, app_layer.tx.<proto>, app_layer.flow.failed. */
const vg_stats_table_t *wapp_stats_table(void);

void wapp_init(struct worker *w);
void wapp_fini(struct worker *w);
/* A decoded packet of flow f (dir = flow direction). */
void wapp_packet(struct worker *w, vg_flow_t *f, const vg_packet_t *p, int dir);
/* An IP packet with no flow (an ICMPv4 error that joined none, or the flow memcap): packet
 * rules only, as Suricata inspects such packets. */
void wapp_packet_noflow(struct worker *w, const vg_packet_t *p);
/* A packet too malformed for a flow (VG_PKT_INVALID, a held IP fragment, not IP) that the decoder
 * raised an event on: its decode-event rules and, when it is IP, its IP-only rules
 * (VG_DIN_DECODER), as Suricata inspects such packets. */
void wapp_packet_decoder(struct worker *w, const vg_packet_t *p);
/* A new TCP flow's first packet, picked up midstream, carries a server's data: its sender is the
 * server (the caller swaps the flow's sides). */
bool wapp_server_first(const struct worker *w, const vg_flow_t *f, const vg_packet_t *p);
/* Flow f ends: flush the stream, log what is left, free per-flow state. */
void wapp_flow_end(struct worker *w, vg_flow_t *f);
const char *wapp_app_proto_name(const vg_flow_t *f);
const char *wapp_tcp_state(const vg_flow_t *f);
/* The ending flow's protocol before an in-band upgrade (SMTP STARTTLS → TLS), or NULL; set by
 * wapp_flow_end. */
const char *wapp_app_proto_orig_name(const struct worker *w);
/* The flow's "traffic" object (flowbits traffic/id/NAME, traffic/label/NAME), JSON in out;
 * false when it has none. wapp_flow_end leaves the ending flow's in w->traffic. */
bool wapp_traffic(struct worker *w, vg_flow_t *f, vg_buf_t *out);
/* The flow's "metadata" object as Suricata writes it in alerts and flow events:
 * {"flowvars":[{"NAME":"value"},...]} (the flow variables pcre captures set), JSON in out; false
 * when it has none. wapp_flow_end leaves the ending flow's in w->metadata. */
bool wapp_metadata(struct worker *w, vg_flow_t *f, vg_buf_t *out);

#endif
