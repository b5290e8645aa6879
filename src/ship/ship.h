/* ship.h — shipping the event stream to a Redis stream for central collection (docs/SCALE.md).
 *
 * A sink (engine.h): every EVE line is appended to an on-disk spool (append-only segment files
 * in the spool directory) with the sensor's next sequence number and written at each commit; a
 * sender thread fsyncs it every 25 ms and XADDs the durable part to the stream as entries
 * {sensor, seq, events}, in order, taking the blocks just written from memory (ship.c). The
 * collector (`vigil collect`) writes to the hash "<stream>:committed" the highest sequence
 * number below which everything of a sensor is committed in PostgreSQL; the sender reads it
 * and deletes spool segments wholly below it. So an event leaves the sensor's disk only once
 * PostgreSQL has it, whatever restarts.
 *
 * Sequence numbers go on across restarts (the spool, or the "state" file once the spool is
 * empty, holds the last one): keep the directory. A new, empty spool starts after the
 * collector's committed mark for this sensor name when Redis answers, else at 1.
 * A full spool (spool-size) drops new events: counted, logged, and published in the hash
 * "<stream>:dropped" (field: the sensor). Dropped events get no sequence number.
 */
#ifndef VG_SHIP_SHIP_H
#define VG_SHIP_SHIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct vg_ship vg_ship_t;

/* A stream entry carries up to this many consecutive events (fields sensor, seq of the first,
 * events: one JSON document per line), and at most this many bytes of them. */
#define VG_SHIP_ENTRY_EVENTS 64
#define VG_SHIP_ENTRY_BYTES (256u * 1024u)

typedef struct vg_ship_opts {
    const char *url;        /* redis://[:PASSWORD@]HOST[:PORT][/DB] */
    const char *stream;     /* stream key, e.g. "vigil:events" */
    const char *sensor;     /* this sensor's name */
    const char *spool_dir;  /* created when missing */
    uint64_t spool_max;     /* bytes of spool segments at most */
    uint64_t segment_max;   /* bytes per segment before the next is started (0: 8 MiB) */
    uint64_t handoff_max;   /* bytes of written blocks handed to the sender in memory (0: none;
                             * it then reads everything back from the spool) */
    unsigned timeout_ms;    /* Redis connect/command timeout */
    unsigned drain_ms;      /* at the end, how long to wait for the spool to be sent */
} vg_ship_opts_t;

typedef struct vg_ship_stats {
    uint64_t spooled;   /* events appended to the spool by this run */
    uint64_t dropped;   /* events refused by a full spool (this run) */
    uint64_t sent;      /* events XADDed by this run (resends included) */
    uint64_t read_back; /* ... of which read back from the spool files (not handed over) */
    uint64_t first_seq, last_seq; /* this run's sequence numbers (0: none) */
    uint64_t committed; /* the collector's committed mark last read */
    uint64_t unsent;    /* durable entries not yet sent at the time of the call */
    uint64_t spool_bytes;
    bool connected;
} vg_ship_stats_t;

/* Opens (creates) the spool, recovers the sequence and starts the sender thread (which connects
 * in the background: an unreachable Redis is not an error here). NULL with err on a bad URL or
 * an unusable spool directory (or one locked by another running sensor). */
vg_ship_t *vg_ship_open(const vg_ship_opts_t *o, char *err, size_t err_len);
/* vg_sink_t functions (ctx = the vg_ship_t). */
int vg_ship_sink_event(void *ctx, const char *line, size_t len);
int vg_ship_sink_commit(void *ctx, bool final);
/* As vg_ship_sink_event, on the thread that owns the sink, but never refused by a full spool:
 * the run records (docs/SCALE.md), a few kB per run, may take the spool beyond spool-size, so
 * that a run's end is never lost centrally. */
int vg_ship_record(vg_ship_t *s, const char *line, size_t len);
/* Writes "ship": {spooled, dropped, sent, read_back, committed, unsent, spool_bytes, connected}
 * (this run's counters, the collector's committed mark, what waits in the spool). */
struct vg_jw;
void vg_ship_sink_stats(void *ctx, struct vg_jw *jw);
void vg_ship_get_stats(vg_ship_t *s, vg_ship_stats_t *st);
/* Stops the sender (after the drain of a final commit) and frees s. */
void vg_ship_close(vg_ship_t *s);

/* redis://[:PASSWORD@]HOST[:PORT][/DB] (also "redis://user:password@..."; the user is ignored
 * on Redis < 6). Returns 0, or -1 with err. */
typedef struct vg_redis_url {
    char host[256];
    int port;
    int db;
    char password[256];
} vg_redis_url_t;
int vg_redis_url_parse(const char *url, vg_redis_url_t *u, char *err, size_t err_len);
/* Connects (timeout_ms for connect and each command), AUTH and SELECT. NULL with err. */
struct redisContext;
struct redisContext *vg_redis_connect(const vg_redis_url_t *u, unsigned timeout_ms, char *err,
                                      size_t err_len);

#endif
