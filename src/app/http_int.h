/* http_int.h — private types of the HTTP/1.x parser (app_http.c, http_parse.c, http_body.c,
 * http_uri.c). Include only from src/app/http_*.c and app_http.c.
 *
 * Model. One vg_http_state_t per flow holds a queue of transactions (vg_http_tx_t), oldest
 * first. The request side appends a tx per request line; the response side pairs each response
 * with the oldest tx that has no response yet (pipelining). Each direction runs its own
 * byte-driven state machine (vg_http_dir_t) so data may arrive in any fragmentation: lines are
 * accumulated in a bounded buffer, bodies are consumed straight from the input.
 *
 * Bounds. A line keeps at most VG_HTTP_MAX_LINE bytes, a message at most VG_HTTP_MAX_HDR_BYTES
 * of header text and VG_HTTP_MAX_HEADERS distinct headers; bodies keep at most the configured
 * limit (after decompression); the queue holds at most cfg->max_tx_per_flow transactions.
 * Anything beyond is dropped and reported as an anomaly.
 */
#ifndef VG_APP_HTTP_INT_H
#define VG_APP_HTTP_INT_H

#include "app/app.h"
#include "common/buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <zlib.h>

#define VG_HTTP_MAX_LINE (16u * 1024u)      /* bytes kept of one request/status/header line */
#define VG_HTTP_MAX_HDR_BYTES (64u * 1024u) /* header bytes kept per message */
#define VG_HTTP_MAX_HEADERS 256u            /* distinct headers kept per message */
#define VG_HTTP_MAX_PENDING (64u * 1024u)   /* request bytes held while a CONNECT waits */
#define VG_HTTP_MAX_FILES 16u             /* files reported per transaction */
#define VG_HTTP_BOMB_RATIO 100u             /* decoded/encoded ratio that counts as a bomb */

/* A byte string of a transaction, in the transaction's arena (below); p is NUL-terminated (not
 * counted in len) or NULL when absent. */
typedef struct vg_http_str {
    uint8_t *p;
    size_t len;
} vg_http_str_t;

/* Where a transaction's strings live (request and status line parts, header names and values):
 * one bump allocator per transaction instead of a malloc per string. A parsed message has tens
 * of them, each freed with the transaction: per-string malloc and free were ~8% of a worker's
 * time on web traffic with 2 workers (perf), mostly the allocator's slow paths and cold chunks.
 * The first VG_HTTP_ARENA_INLINE bytes are inside the transaction; then heap chunks, doubling
 * from 2 KB to 64 KB. A string set again or dropped (an interim response's headers) leaves its
 * old bytes unused ("waste"); once the waste is larger than the strings in use plus 16 KB the
 * live strings are copied into one new chunk (vg_http_str_set and friends do it, after their
 * change: a pointer taken before one of those calls may move, none is kept across them). So the
 * arena holds at most about twice what the transaction's strings need. Owners set tx.arena's
 * strings only through the functions below. */
#define VG_HTTP_ARENA_INLINE 1024u
typedef struct vg_http_arena {
    void *chunks;           /* heap chunks, newest first (first word: next) */
    uint8_t *cur;           /* free space of the chunk being filled (NULL: none yet) */
    size_t left;
    size_t heap;            /* bytes of the heap chunks (memuse) */
    size_t live, waste;     /* bytes (with their NULs) of strings in use / given up */
    size_t next_chunk;      /* size of the next heap chunk */
    uint8_t inl[VG_HTTP_ARENA_INLINE];
} vg_http_arena_t;

struct vg_http_tx;

typedef struct vg_http_header {
    vg_http_str_t name;
    vg_http_str_t value; /* trimmed; repeated headers are joined with ", " as libhtp does */
} vg_http_header_t;

enum vg_http_enc { VG_HTTP_ENC_NONE = 0, VG_HTTP_ENC_GZIP, VG_HTTP_ENC_DEFLATE,
                   VG_HTTP_ENC_ZLIB };

#define VG_HTTP_MAX_LAYERS 3u /* content-coding layers decoded (libhtp's decompress-layer-limit) */

/* One content-coding layer of a body (see http_body.c). */
typedef struct vg_http_zlayer {
    enum vg_http_enc enc;   /* current guess; a failing decoder is retried as another */
    uint8_t restarts;
    bool active;            /* zs initialised */
    bool pass;              /* gave up decoding: bytes go through unchanged */
    bool dead;              /* failed after producing output: nothing more comes out */
    bool ended;             /* the compressed stream ended; trailing bytes are ignored */
    /* gzip header, parsed by hand so that odd flags or checksums do not stop decoding */
    uint8_t gz_state, gz_flags, gz_n;
    uint16_t gz_skip;
    uint8_t gz_buf[10];
    bool produced;          /* this decoder gave output since it (re)started */
    bool hist_over;         /* the input since the (re)start did not fit in hist */
    uint16_t hist_n;
    uint8_t hist[256];      /* input since the (re)start, replayed when the guess changes */
    z_stream zs;
} vg_http_zlayer_t;

/* A message body as kept for inspection: de-chunked and decompressed, capped at `limit`. */
typedef struct vg_http_body {
    vg_buf_t data;          /* kept bytes, at most limit */
    uint64_t message_len;   /* bytes on the wire, chunk framing included (EVE "length") */
    uint64_t entity_len;    /* bytes after de-chunking and decoding that were produced */
    uint64_t encoded_in;    /* compressed bytes given to the decoders */
    uint32_t limit;
    uint64_t size_hint;     /* the Content-Length, when known: the kept bytes' first allocation
                             * is that (up to limit and 64 KB) instead of doubling from 256 */
    uint8_t n_layers;       /* decoders, applied from layer[0] (last coding listed) outwards */
    bool failed_reported;   /* GZIP_DECOMPRESSION_FAILED raised */
    bool capped;            /* decoding stopped for good at the limit */
    bool truncated;         /* some bytes were not kept because of the limit (or a gap) */
    bool gaps;              /* bytes of the body were lost in the stream */
    uint64_t events;        /* anomalies raised decoding it (bits of vg_http_events) */
    vg_http_zlayer_t *layer; /* VG_HTTP_MAX_LAYERS of them, allocated with the first (1.2 KB:
                              * most bodies have no content-coding, and a transaction with them
                              * inline was 2.4 KB larger to allocate and clear) */
} vg_http_body_t;

/* One side of a transaction: headers (bounded) and body. */
typedef struct vg_http_msg {
    struct vg_http_tx *tx;  /* the transaction whose arena holds the header strings */
    vg_http_header_t *hdrs;
    uint32_t n_hdrs, cap_hdrs;
    uint32_t n_dropped;     /* headers not kept (count or byte cap) */
    size_t hdr_bytes;       /* name+value bytes kept, against VG_HTTP_MAX_HDR_BYTES */
    vg_buf_t raw;           /* raw header block as received (bounded), for *.raw buffers */
    int32_t last_hdr;       /* header a folded line continues, -1 when none */
    bool warned_count, warned_bytes;
    vg_http_body_t body;
    /* framing, as read from the headers */
    bool has_cl, cl_invalid, te_present, te_chunked;
    int32_t empty_next;     /* 1 + header whose empty value the next line may give (responses) */
    bool cl_last;           /* the last header line was a Content-Length: a fold continues it */
    uint64_t cl;
    uint64_t events;        /* anomalies raised reading its headers (bits of vg_http_events) */
} vg_http_msg_t;

typedef struct vg_http_tx {
    uint64_t id;
    vg_http_arena_t arena;       /* its strings, and its messages' header names and values */
    /* request */
    vg_http_str_t method, uri_raw, protocol, request_line;
    vg_http_str_t uri_norm;      /* libhtp-style normalised path?query#fragment */
    vg_http_str_t path;          /* the normalised path alone (libhtp's parsed_uri->path) */
    vg_http_str_t host;          /* lowercased, port stripped (URI authority or Host header) */
    vg_http_str_t host_raw;      /* Host header value as sent */
    int port;                    /* from URI authority or Host header, -1 when absent */
    bool is_09;                  /* simple request: no headers, response is a raw body */
    bool is_head, is_connect;
    bool has_request;            /* false for a response that matched no request */
    bool req_hdrs_done, req_done;
    vg_http_msg_t req;
    /* response */
    vg_http_str_t res_protocol, status_str, status_msg, response_line;
    int status;                  /* 0 when absent or not numeric */
    bool res_started, res_hdrs_done, res_done;
    bool seen_100;
    bool res_until_close;        /* the response body ends with the connection */
    vg_http_msg_t res;
    /* files (see http_file.c), rebuilt on each enumeration */
    vg_app_file_t files[VG_HTTP_MAX_FILES];
    size_t n_files;
    /* lazily built detection buffers (valid once the matching headers are complete) */
    vg_buf_t cache[VG_BUF_MAX];
    bool cached[VG_BUF_MAX];
    bool released;          /* caller released it while a parser still fills it */
    uint64_t events;        /* anomalies of the request/status line and the pairing; with
                             * those of req, res and their bodies: the tx's app-layer events */
} vg_http_tx_t;

/* Per-direction parser states. */
enum vg_http_pstate {
    VG_HTTP_P_LINE = 0,     /* request line / status line (empty lines skipped) */
    VG_HTTP_P_HEADERS,
    VG_HTTP_P_BODY_CL,      /* `remaining` bytes of body */
    VG_HTTP_P_CHUNK_LEN,
    VG_HTTP_P_CHUNK_DATA,   /* `remaining` bytes of chunk */
    VG_HTTP_P_CHUNK_END,    /* CRLF after chunk data */
    VG_HTTP_P_TRAILERS,
    VG_HTTP_P_BODY_CLOSE,   /* response body until the connection closes */
    VG_HTTP_P_CONNECT_WAIT, /* request side: CONNECT sent, waiting for the server's answer */
    VG_HTTP_P_IGNORE,       /* tunnel, or data after an HTTP/0.9 request: not HTTP any more */
};

typedef struct vg_http_dir {
    enum vg_http_pstate st;
    vg_buf_t line;          /* current line without its terminator, at most VG_HTTP_MAX_LINE */
    bool line_long;         /* current line overflowed (reported once per line) */
    bool line_cr;           /* current line ended in CRLF (else bare LF) */
    bool line_eof;          /* the line was ended by the end of the stream (vg_http_eof) */
    bool cr_pending;        /* response line so far ends with a CR that ended the chunk */
    int peek;               /* byte after the line just completed in this chunk, -1 if none */
    uint64_t remaining;
    vg_http_tx_t *tx;       /* tx this direction is filling; NULL between messages */
} vg_http_dir_t;

typedef struct vg_http_state {
    vg_http_tx_t **txs;     /* open transactions, oldest first */
    size_t n_txs, cap_txs;
    uint64_t next_id;       /* tx_count */
    uint64_t n_dropped_tx;  /* transactions dropped because the queue was full */
    vg_http_dir_t dir[2];
    vg_buf_t pending;       /* request bytes received while a CONNECT waits for its answer */
    bool pending_capped;
    vg_buf_t out;           /* scratch */
} vg_http_state_t;

/* --- http_parse.c --- */
void vg_http_parse_dir(vg_http_state_t *s, int dir, const uint8_t *data, size_t len,
                       vg_app_ctx_t *ctx);
/* Bytes lost in one direction: skipped inside a sized body, else the direction stops. */
void vg_http_gap(vg_http_state_t *s, int dir, size_t len);
/* The connection is closed: header blocks still being read end there (libhtp's behaviour on a
 * closed stream: the complete header lines read so far are the headers), and a response's first
 * line that never ended is finished (a response that is only body). */
void vg_http_end(vg_http_state_t *s, vg_app_ctx_t *ctx);
void vg_http_dir_fini(vg_http_dir_t *d);

/* --- app_http.c (transaction queue) --- */
vg_http_tx_t *vg_http_tx_new(vg_http_state_t *s, vg_app_ctx_t *ctx);
vg_http_tx_t *vg_http_tx_for_response(vg_http_state_t *s);
/* Raise an HTTP anomaly: an EVE anomaly event through ctx, and the event's bit in *ev (the
 * transaction's, a message's or a body's events; NULL when no transaction exists yet). */
void vg_http_anomaly(vg_app_ctx_t *ctx, uint64_t *ev, const char *event);

/* --- http_file.c --- */
/* The transaction's files as Suricata tracks them (app.h tx_file). */
bool vg_http_tx_file(void *tx, size_t i, bool flow_end, vg_app_file_t *out);
/* The filename= parameter of a Content-Disposition value, parsed as Suricata does. */
bool vg_http_cd_filename(const uint8_t *v, size_t n, const uint8_t **fn, size_t *fl);

/* --- http_log.c --- */
void vg_http_log_tx(void *tx, vg_jw_t *w);

/* --- http_body.c --- */
void vg_http_body_init(vg_http_body_t *b, uint32_t limit);
void vg_http_body_fini(vg_http_body_t *b);
/* Choose the decoders from a (merged) Content-Encoding value, as libhtp does. */
void vg_http_body_set_encoding(vg_http_body_t *b, const uint8_t *v, size_t n);
/* Add de-chunked body bytes; wire bytes are counted separately by the caller. */
void vg_http_body_add(vg_http_body_t *b, const uint8_t *p, size_t n, vg_app_ctx_t *ctx);
/* A hole in the body: a compressed stream cannot continue, so decoding stops. */
void vg_http_body_gap(vg_http_body_t *b);

/* --- http_uri.c --- */
/* Normalise a request URI the way libhtp's IDS personality does (without lowercasing). */
void vg_http_uri_normalize(const uint8_t *uri, size_t len, bool is_connect, vg_buf_t *out);
/* Host of an absolute URI ("http://Host:80/x") or an authority ("host:443"); false if none. */
bool vg_http_uri_authority(const uint8_t *uri, size_t len, bool is_connect,
                           const uint8_t **auth, size_t *auth_len);
/* Split "host[:port]" (IPv6 in brackets) into a normalised host and a port.
 * *port is -1 when absent, -2 when present but invalid. */
void vg_http_host_parse(const uint8_t *p, size_t n, vg_buf_t *host, int *port);

/* --- helpers shared by the files --- */
/* A string of tx set to n bytes at p (p may point into another of tx's strings). */
void vg_http_str_set(struct vg_http_tx *tx, vg_http_str_t *s, const void *p, size_t n);
/* s (one of tx's, possibly absent) extended with sep then n bytes at v. */
void vg_http_str_append(struct vg_http_tx *tx, vg_http_str_t *s, const char *sep, const void *v,
                        size_t n);
/* s given up (its bytes count as waste until the next compaction). */
void vg_http_str_drop(struct vg_http_tx *tx, vg_http_str_t *s);
void vg_http_arena_fini(vg_http_arena_t *a);
bool vg_http_ieq(const uint8_t *a, size_t an, const char *b);
const vg_http_header_t *vg_http_msg_find(const vg_http_msg_t *m, const char *name);
void vg_http_msg_init(vg_http_msg_t *m, struct vg_http_tx *tx, uint32_t body_limit);
void vg_http_msg_fini(vg_http_msg_t *m);
/* Drop headers, raw block and body (an interim 1xx response is forgotten this way). */
void vg_http_msg_reset(vg_http_msg_t *m);

#endif
