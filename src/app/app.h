/* app.h — the application layer: protocol detection and parsers (HTTP/1.x, DNS, TLS, SSH, FTP,
 * SMTP).
 *
 * Every protocol is one table row (vg_app_ops_t) registered in app_registry.c's list; nothing
 * else in the program switches on protocols. A parser receives the in-order bytes of one
 * direction of a flow (TCP: from the stream stage after reassembly; UDP: each datagram's payload)
 * and keeps per-flow state that it owns. It produces transactions (an HTTP request/response pair,
 * a DNS query or response, a TLS handshake, SSH banners, a mail) which the output stage logs
 * through the row's log_tx callback and the detect stage inspects through get_buffer.
 *
 * Threads: all parser state belongs to one flow, hence to one worker; no locks. The ops table
 * itself is immutable after start-up.
 */
#ifndef VG_APP_APP_H
#define VG_APP_APP_H

#include "common/common.h"
#include "common/json.h"
#include "common/stats.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Directions, from the flow's point of view. */
enum { VG_DIR_TOSERVER = 0, VG_DIR_TOCLIENT = 1 };

/* Protocol ids. 0 is "unknown / not yet detected". */
enum vg_app_proto {
    VG_APP_UNKNOWN = 0,
    VG_APP_HTTP,
    VG_APP_DNS,
    VG_APP_TLS,
    VG_APP_SSH,
    VG_APP_FTP,
    VG_APP_FTP_DATA,   /* a data connection an FTP control connection announced */
    VG_APP_SMTP,
    VG_APP_SMB,        /* recognised only (app_smb.c): no transactions */
    VG_APP_DCERPC,     /* recognised only (app_dcerpc.c): no transactions */
    VG_APP_KRB5,       /* recognised only (app_krb5.c): no transactions */
    VG_APP_NTP,        /* recognised only (app_ntp.c): no transactions */
    VG_APP_DHCP,       /* recognised only (app_dhcp.c): no transactions */
    VG_APP_SIP,        /* recognised only (app_sip.c): no transactions */
    VG_APP_TELNET,     /* recognised only (app_telnet.c): no transactions */
    VG_APP_FAILED, /* detection gave up on this flow */
    VG_APP_MAX,
};

/* Buffers a transaction exposes to the signature engine (Suricata's sticky buffer names). */
enum vg_app_buf {
    VG_BUF_HTTP_URI,            /* http.uri (normalised) */
    VG_BUF_HTTP_URI_RAW,        /* http.uri.raw */
    VG_BUF_HTTP_METHOD,
    VG_BUF_HTTP_HOST,           /* http.host (lowercased, port stripped) */
    VG_BUF_HTTP_HOST_RAW,
    VG_BUF_HTTP_USER_AGENT,
    VG_BUF_HTTP_HEADER,         /* http.header: all request headers, "Name: value\r\n" normalised */
    VG_BUF_HTTP_HEADER_RAW,
    VG_BUF_HTTP_HEADER_NAMES,
    VG_BUF_HTTP_COOKIE,
    VG_BUF_HTTP_CONTENT_TYPE,
    VG_BUF_HTTP_CONTENT_LEN,
    VG_BUF_HTTP_REFERER,
    VG_BUF_HTTP_ACCEPT,           /* request header values (Suricata's http.accept, ...) */
    VG_BUF_HTTP_ACCEPT_ENC,
    VG_BUF_HTTP_ACCEPT_LANG,
    VG_BUF_HTTP_CONNECTION,       /* request Connection header, else the response's */
    VG_BUF_HTTP_REQUEST_LINE,
    VG_BUF_HTTP_REQUEST_BODY,
    VG_BUF_HTTP_PROTOCOL,
    VG_BUF_HTTP_START,
    VG_BUF_HTTP_STAT_CODE,
    VG_BUF_HTTP_STAT_MSG,
    VG_BUF_HTTP_RESPONSE_LINE,
    VG_BUF_HTTP_RESPONSE_HEADER,  /* response headers (http.header in to_client rules) */
    VG_BUF_HTTP_RESPONSE_HEADER_RAW,
    VG_BUF_HTTP_RESPONSE_BODY,    /* file.data / http.response_body (decompressed) */
    VG_BUF_HTTP_SERVER,
    VG_BUF_HTTP_LOCATION,
    VG_BUF_DNS_QUERY,             /* dns.query: first query name, dotted */
    VG_BUF_TLS_SNI,
    VG_BUF_TLS_CERT_SUBJECT,
    VG_BUF_TLS_CERT_ISSUER,
    VG_BUF_TLS_CERT_SERIAL,
    VG_BUF_TLS_CERT_FINGERPRINT,
    VG_BUF_TLS_VERSION,
    /* ssl_version: each side's protocol version, 2 bytes big-endian: the client's from its hello
     * (first valid supported_versions entry, else legacy_version; an SSLv2 hello's version), the
     * server's from its hello (selected version), else the first record header's version */
    VG_BUF_TLS_CLIENT_VERSION,
    VG_BUF_TLS_SERVER_VERSION,
    VG_BUF_JA3_HASH,
    VG_BUF_JA3_STRING,
    VG_BUF_JA3S_HASH,
    VG_BUF_JA3S_STRING,
    VG_BUF_JA4_HASH,
    VG_BUF_TLS_CERTS,             /* tls.certs: one DER certificate per instance (multi-buffer) */
    VG_BUF_SSH_PROTO,             /* the client's banner (ssh.proto toward the server) */
    VG_BUF_SSH_SOFTWARE,
    VG_BUF_SSH_PROTO_TC,          /* the server's banner (ssh.proto toward the client) */
    VG_BUF_SSH_SOFTWARE_TC,
    VG_BUF_SMTP_FILE_DATA,        /* file.data of smtp rules: one decoded attachment per instance
                                   * (multi-buffer) */
    VG_BUF_MAX,
};

/* State keywords a parser may answer for the signature engine (vg_app_ops_t.state_kw). */
enum vg_app_state_kw {
    VG_APP_KW_FTPBOUNCE, /* ftpbounce: the last command is PORT with an address not the client's */
    VG_APP_KW_FTPDATA_RETR, /* ftpdata_command:retr — an ftp-data flow announced by RETR */
    VG_APP_KW_FTPDATA_STOR, /* ftpdata_command:stor */
    VG_APP_KW_MAX,
};

/* An expectation (Suricata's term): a parser announces that a later TCP flow between the same
 * two addresses, to responder port dport, carries protocol proto; the worker gives that flow's
 * parser the blob through expect_init. dir: the direction the data goes in that flow
 * (VG_DIR_TOSERVER: from its initiator). */
typedef struct vg_app_expect {
    uint16_t dport;
    uint8_t proto;              /* enum vg_app_proto */
    uint8_t dir;
    uint16_t len;
    uint8_t data[256];
} vg_app_expect_t;

/* What a parser may report back while parsing. Owned by the caller (the worker). */
typedef struct vg_app_ctx {
    vg_time_t now;              /* packet time */
    /* Record an app-layer anomaly (EVE anomaly type "applayer", event e.g. "REQUEST_FIELD_TOO_LONG"
     * for http). The callback may be NULL in unit tests. */
    void (*anomaly)(void *user, enum vg_app_proto proto, const char *event);
    void *user;
    const struct vg_app_config *cfg;
    /* Ask for raw-stream inspection of direction dir's bytes delivered so far, once the peer has
     * acknowledged them (Suricata's AppLayerParserTriggerRawStreamReassembly: SMTP when an
     * attachment closes). May be NULL (unit tests). */
    void (*raw_trigger)(void *user, int dir);
} vg_app_ctx_t;

typedef struct vg_app_config {
    uint32_t http_request_body_limit;   /* bytes of request body kept for inspection */
    uint32_t http_response_body_limit;  /* bytes of (decompressed) response body kept */
    uint32_t max_tx_per_flow;           /* transactions kept unlogged per flow before dropping */
} vg_app_config_t;

void vg_app_config_defaults(vg_app_config_t *cfg);

/* A file carried by a transaction (Suricata's file tracking): an HTTP response body, a PUT or
 * POST body, a multipart part with a filename. Logged as an EVE "fileinfo" event. */
enum vg_app_file_state {
    VG_APP_FILE_OPEN = 0,   /* still receiving data */
    VG_APP_FILE_CLOSED,     /* complete */
    VG_APP_FILE_TRUNCATED,  /* ended early: flow ended, body limit reached */
    VG_APP_FILE_ERROR,
};

typedef struct vg_app_file {
    const uint8_t *name;    /* as the protocol names it (not NUL-terminated) */
    size_t name_len;
    int dir;                /* VG_DIR_TOSERVER (upload) or VG_DIR_TOCLIENT (download) */
    uint64_t size;          /* bytes of file data seen (decoded) */
    bool gaps;              /* bytes were lost in the stream */
    enum vg_app_file_state state;
    const uint8_t *data;    /* the first data_len bytes of the file, when kept (may be NULL) */
    size_t data_len;
} vg_app_file_t;

const char *vg_app_file_state_name(enum vg_app_file_state st);

/* For protocols recognised but not parsed (app_smb.c, app_dcerpc.c, app_krb5.c, app_ntp.c,
 * app_dhcp.c, app_sip.c, app_telnet.c): a one-byte state (the worker takes a non-NULL state as
 * "the parser runs") and a parse that accepts everything and makes nothing. */
void *vg_app_nostate_new(bool over_tcp);
void vg_app_nostate_free(void *state);

/* Result of feeding bytes to a parser. */
enum vg_app_parse_result {
    VG_APP_PARSE_OK = 0,
    VG_APP_PARSE_ERROR = -1, /* the stream is not this protocol any more; stop parsing the flow */
};

/* The parse of a recognised-only protocol (see vg_app_nostate_new). */
enum vg_app_parse_result vg_app_parse_nothing(void *state, int dir, const uint8_t *data,
                                              size_t len, vg_app_ctx_t *ctx);

/* The ops table of a recognised-only protocol: its name, id, transports, port hints (whether
 * they are required: needs_port) and probe; the no-op state and parse above. */
#define VG_APP_RECOGNISED(nm, pid, tcp, udp, port_list, port_needed, probe_fn)                   \
    {                                                                                             \
        .name = (nm), .id = (pid), .over_tcp = (tcp), .over_udp = (udp), .ports = (port_list),   \
        .needs_port = (port_needed), .probe = (probe_fn), .state_new = vg_app_nostate_new,       \
        .state_free = vg_app_nostate_free, .parse = vg_app_parse_nothing,                        \
    }

typedef struct vg_app_ops {
    const char *name;          /* EVE app_proto name: "http", "dns", "tls", "ssh", "smtp" */
    enum vg_app_proto id;
    bool over_tcp, over_udp;
    const uint16_t *ports;     /* port hints (0-terminated), may be NULL */
    /* Only probe when the flow's responder port (the server's) is one of the hints, like
     * Suricata's probing parsers registered by destination port for DNS: a protocol without a
     * signature in its first bytes would otherwise claim unrelated traffic (mDNS, NetBIOS name
     * service, industrial protocols over TCP, DNS responses reflected to a victim's port). */
    bool needs_port;
    /* Probe the first bytes of one direction. Returns 1 (mine), 0 (not mine), -1 (need more). */
    int (*probe)(const uint8_t *data, size_t len, int dir);
    void *(*state_new)(bool over_tcp);
    void (*state_free)(void *state);
    /* Feed in-order bytes of one direction (TCP: a chunk of the stream; UDP: one datagram). */
    enum vg_app_parse_result (*parse)(void *state, int dir, const uint8_t *data, size_t len,
                                      vg_app_ctx_t *ctx);
    /* Gap in the stream (lost bytes); parsers resynchronise or give up. May be NULL. */
    void (*gap)(void *state, int dir, size_t len);
    /* A packet of TCP role dir (VG_DIR_TOSERVER: the client) was processed, data or not, after
     * its bytes were fed; peer_acked is the other role's stream offset it acknowledges
     * (UINT64_MAX: everything). FTP parses each direction's bytes only once the peer has
     * acknowledged them, as Suricata's IDS mode does, since its transactions depend on what
     * arrives together. May be NULL. */
    void (*packet)(void *state, int dir, uint64_t peer_acked, vg_app_ctx_t *ctx);
    /* Optional: the next expectation the state announced since the last call (FTP: RETR/STOR
     * with a negotiated data port), false when none. */
    bool (*expect_take)(void *state, vg_app_expect_t *out);
    /* Optional: a flow started from an expectation gets its blob before any byte. */
    void (*expect_init)(void *state, const vg_app_expect_t *e);
    /* EVE event_type and object key when not `name` (ftp-data logs "ftp_data"). */
    const char *eve_name;
    /* fileinfo events carry no transaction object (ftp-data, as Suricata). */
    bool fileinfo_bare;
    /* Optional: whether state keyword kw (enum vg_app_state_kw) holds for transaction tx, or
     * with tx NULL for the state as it is now (packet rules); client is the flow's initiator
     * address. False for keywords the protocol does not know. */
    bool (*state_kw)(const void *state, const void *tx, int kw, const vg_addr_t *client);
    /* The flow is over: no more bytes in either direction. Finish what the end of a stream
     * finishes (HTTP, as libhtp does: a header block the close cut short counts as complete; a
     * response whose first line never ended is body), before the last transactions are
     * inspected and logged. May be NULL. */
    void (*end)(void *state, vg_app_ctx_t *ctx);
    /* Transactions: index i of [0, tx_count). A transaction is complete when neither side will
     * add to it. Once logged (vg_app_tx_logged) it may be freed by the parser. */
    uint64_t (*tx_count)(void *state);            /* total ever created (ids are 0..n-1) */
    void *(*tx_get)(void *state, uint64_t tx_id); /* NULL when freed/not present */
    bool (*tx_complete)(void *tx, bool flow_end);
    /* Optional: one side of the transaction is complete (the request for VG_DIR_TOSERVER), so
     * rules on that side can be inspected before the other side arrives, as Suricata does. */
    bool (*tx_side_done)(void *tx, int dir);
    /* Write the EVE object for this tx: the caller has written the common header and an open
     * key named by `name`; log_tx writes exactly one JSON value (usually an object). It may then
     * add further keys beside it in the event object (SMTP's "email", as Suricata writes it):
     * every caller has the event object open around the call. */
    void (*log_tx)(void *tx, vg_jw_t *w);
    /* Direction of the message a transaction logs (VG_DIR_TOSERVER or VG_DIR_TOCLIENT), for the
     * event's src/dest orientation; NULL means a request/response pair logged client → server. */
    int (*tx_dir)(void *tx);
    /* Release transactions with id < upto that the caller no longer needs. */
    void (*tx_release)(void *state, uint64_t upto);
    /* Bytes the state holds now: its structures, transactions and buffers (capacity, not
     * length), and an estimate for library state it owns (zlib streams). The worker sums it over
     * its flows against app-layer.memcap. O(transactions) at most; may be NULL (then 0). */
    size_t (*state_memuse)(const void *state);
    /* True once the flow carries only encrypted data (TLS: an application-data record was seen;
     * SSH: both sides sent NEWKEYS). As Suricata 7 with its default encryption handling, the
     * signature engine then no longer inspects the flow's packet payload or stream content;
     * header rules and the transaction's buffers still apply. May be NULL (never). */
    bool (*payload_encrypted)(const void *state);
    /* In-band upgrade: the protocol the flow continues as (SMTP after an accepted STARTTLS:
     * VG_APP_TLS), else VG_APP_UNKNOWN. Asked after each parse call; once it answers, the worker
     * ends this parser as at flow end (end, then its transactions logged), frees its state and
     * hands the flow's later bytes to the new protocol's parser, as Suricata's protocol change.
     * May be NULL (never). */
    enum vg_app_proto (*handover)(const void *state);
    /* Buffer for detection; false when this tx has no such buffer. Borrowed until the next parse
     * call on this state. */
    bool (*get_buffer)(void *tx, enum vg_app_buf buf, const uint8_t **data, size_t *len);
    /* Multi-buffers (Suricata's term: a buffer with several instances, e.g. tls.certs): instance
     * idx of buf, false past the last one. get_buffer() returns instance 0 of such a buffer.
     * May be NULL (the protocol has none). Borrowed like get_buffer. */
    bool (*get_buffer_multi)(void *tx, enum vg_app_buf buf, uint32_t idx, const uint8_t **data,
                             size_t *len);
    /* The one buffer get_buffer_multi serves (tls.certs, smtp file.data); meaningful only when
     * get_buffer_multi is set. */
    enum vg_app_buf multi_buf;
    /* Files of a transaction, index i of [0, n): fills *out and returns true, false past the
     * last one. flow_end says the flow is over (a file still open is then closed or truncated
     * the way Suricata closes it). Borrowed like get_buffer. May be NULL (no files). */
    bool (*tx_file)(void *tx, size_t i, bool flow_end, vg_app_file_t *out);
    /* Optional: the anomalies (app-layer events) raised while this transaction was parsed, one
     * bit per index of `events` (Suricata's per-transaction decoder events, which the
     * app-layer-event keyword inspects). */
    uint64_t (*tx_events)(const void *tx);
    /* The event names tx_events' bits stand for, as Suricata spells them in EVE (upper case);
     * at most 64. NULL when the protocol keeps no events per transaction. */
    const char *const *events;
    uint8_t n_events;
} vg_app_ops_t;

/* The index of event `name` (compared without regard to case) in o->events, -1 when o keeps no
 * such event per transaction. */
int vg_app_event_id(const vg_app_ops_t *o, const char *name);

/* DNS: the record type of a request transaction's first question; 0 for a response or none
 * (the behavioural DNS-tunnel detector counts TXT/NULL queries). */
uint16_t vg_app_dns_qtype(const void *dns_tx);

/* The registered protocols, and lookup. */
const vg_app_ops_t *vg_app_ops(enum vg_app_proto id);
const vg_app_ops_t *vg_app_ops_by_name(const char *name);
/* The same, the name compared without regard to case (rule headers: "alert HTTP ..."). */
const vg_app_ops_t *vg_app_ops_by_name_ci(const char *name);
const char *vg_app_proto_name(enum vg_app_proto id);

/* Port-independent detection over the first bytes of a direction: tries the protocols whose
 * ports match first (hint), then all others. Returns the protocol, VG_APP_UNKNOWN when more data
 * is needed, or VG_APP_FAILED when no parser recognises it. */
enum vg_app_proto vg_app_detect(bool tcp, uint16_t sp, uint16_t dp, const uint8_t *data,
                                size_t len, int dir);

#endif
