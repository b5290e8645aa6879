/* ship.c — the spool and the sender thread (ship.h; the design in docs/SCALE.md).
 *
 * Spool directory:
 *   lock                  flock'd by the running sensor (one sensor per spool)
 *   state                 "trimmed N": the last sequence number deleted from the spool
 *   seg-<first seq>.log   lines "SEQ<TAB>EVENT-JSON\n", appended by the output thread
 * The output thread appends (write() at each commit); the sender thread fsyncs what was written
 * every SYNC_MS (SYNC_IDLE_MS while Redis is unreachable), the output thread itself only before
 * it starts a new segment (little is left to sync then) and at the final commit, so the output
 * thread seldom waits for the disk. Only fsync'd lines are sent, so a sequence number that
 * reached Redis is on disk. The sender thread owns the Redis connection; the two share the
 * segment list under a mutex.
 *
 * Hand-off: the block of lines written at a commit is also passed to the sender in memory (a
 * queue of at most handoff_max bytes, outputs.redis.handoff-size; sent buffers go back to the
 * output thread for reuse), so the sender does not read back what it is about to send. It reads
 * the spool files only for what the queue does not hold: what was written before the connection
 * was made or while it was down, everything above the committed mark after a (re)connection,
 * the spool left by an earlier run, and blocks the output thread could not queue because the
 * queue was full. Either way it sends the same lines, fsync'd before they are sent. */
#include "ship/ship.h"
#include "common/buf.h"
#include "common/common.h"
#include "common/json.h"
#include "common/log.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define SYNC_MS 25                      /* connected: fsync'd lines are sent right away */
#define SYNC_IDLE_MS 100                /* not connected: nothing to send them to */
#define SEND_BATCH 4096                 /* events per pipeline of XADDs (one round trip) */
#define SEND_BYTES (4u << 20)           /* ... and at most about this many bytes of them */
#define POLL_S 0.5

/* A block of spool lines ("SEQ<TAB>JSON\n"), as written to segment seg_first at offset off;
 * line i is number first + i, its JSON from data + json[i] to data + end[i] (its newline): the
 * output thread notes them as it appends, so the sender never scans the lines. */
typedef struct chunk {
    struct chunk *next;
    uint64_t first, last; /* the sequence numbers of its first and last lines */
    uint64_t seg_first, off;
    char *data;
    size_t len, cap;
    uint32_t *json, *end; /* per line: offset of its JSON and of its newline */
    size_t n, ncap;
} chunk_t;

typedef struct seg {
    uint64_t first, last; /* last < first: no entry yet */
    uint64_t bytes;       /* written */
    uint64_t durable;     /* bytes fsync'd (the sender reads up to here) */
} seg_t;

struct vg_ship {
    vg_ship_opts_t o;
    char *stream, *sensor, *dir, *key_committed, *key_dropped;
    vg_redis_url_t url;
    int lock_fd;
    /* output thread */
    int wfd;
    chunk_t *wb;            /* the lines appended since the last commit */
    uint64_t next_seq;
    uint64_t spool_bytes_seen; /* spool_bytes at the last commit: never below the real value */
    bool warned_full, failed;
    /* shared (mu) */
    pthread_mutex_t mu;
    pthread_cond_t cv, cv_drain;
    seg_t *segs;
    size_t n_segs, cap_segs;
    uint64_t written_seq, durable_seq, spool_bytes, trimmed, committed, sent_upto;
    chunk_t *q_head, *q_tail;   /* written blocks handed to the sender, in sequence order */
    size_t q_bytes;
    chunk_t *q_free;            /* sent blocks' buffers, for the output thread to reuse (so that
                                 * it does not fault in fresh memory for every block) */
    size_t free_bytes;          /* their capacity; with q_bytes at most handoff_max */
    bool connected, stop, draining, idle;
    uint64_t polls;              /* committed-mark reads (and trims) done by the sender */
    vg_ship_stats_t st;
    pthread_t th;
    bool th_started;
    vg_buf_t cmds;          /* sender thread: the heads of a pipeline of XADD commands (RESP) */
    size_t *heads;          /* per command: its head's offset in cmds, its end in the batch */
    struct iovec *iov;      /* the pipeline: heads, events, ends */
    vg_buf_t xadd_head;     /* RESP of XADD's arguments up to the seq value (they never change) */
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char *path_of(const vg_ship_t *s, const char *name)
{
    size_t n = strlen(s->dir) + strlen(name) + 2;
    char *p = vg_xmalloc(n);
    snprintf(p, n, "%s/%s", s->dir, name);
    return p;
}

static char *seg_path(const vg_ship_t *s, uint64_t first)
{
    char name[64];
    snprintf(name, sizeof name, "seg-%020" PRIu64 ".log", first);
    return path_of(s, name);
}

/* open, fsync (fdatasync for a file), close: 0, or -1 with errno. */
static int sync_path(const char *path, int flags)
{
    int fd = open(path, flags | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = flags & O_DIRECTORY ? fsync(fd) : fdatasync(fd);
    int e = errno;
    close(fd);
    errno = e;
    return rc;
}

static void fsync_dir(const char *dir) { (void)sync_path(dir, O_RDONLY | O_DIRECTORY); }

/* state: "trimmed N\n", replaced atomically (write, fsync, rename, fsync the directory). */
static int write_state(vg_ship_t *s, uint64_t trimmed)
{
    char *tmp = path_of(s, "state.tmp"), *fin = path_of(s, "state");
    char buf[64];
    int n = snprintf(buf, sizeof buf, "trimmed %" PRIu64 "\n", trimmed);
    int rc = -1;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0 && vg_write_all(fd, buf, (size_t)n) == 0 && fsync(fd) == 0 && close(fd) == 0) {
        fd = -1;
        if (rename(tmp, fin) == 0) {
            fsync_dir(s->dir);
            rc = 0;
        }
    }
    if (fd >= 0)
        close(fd);
    if (rc)
        vg_log(VG_LOG_ERROR, "%s: %s", fin, strerror(errno));
    free(tmp);
    free(fin);
    return rc;
}

static void segs_push(vg_ship_t *s, seg_t g)
{
    if (s->n_segs == s->cap_segs) {
        s->cap_segs = s->cap_segs ? s->cap_segs * 2 : 16;
        s->segs = vg_xrealloc(s->segs, s->cap_segs * sizeof *s->segs);
    }
    s->segs[s->n_segs++] = g;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Scans one segment: its last complete entry and the bytes up to it (a torn tail after a crash
 * is cut off). -1 on an unreadable or damaged segment (err). */
static int scan_segment(vg_ship_t *s, uint64_t first, seg_t *g, char *err, size_t err_len)
{
    char *p = seg_path(s, first);
    int fd = open(p, O_RDWR);
    if (fd < 0) {
        snprintf(err, err_len, "%s: %s", p, strerror(errno));
        free(p);
        return -1;
    }
    *g = (seg_t){.first = first, .last = first - 1};
    size_t cap = 1 << 20, have = 0;
    char *buf = vg_xmalloc(cap);
    uint64_t off = 0, expect = first;
    for (;;) {
        ssize_t r = read(fd, buf + have, cap - have);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            snprintf(err, err_len, "%s: %s", p, strerror(errno));
            goto fail;
        }
        have += (size_t)r;
        size_t pos = 0;
        for (;;) {
            char *nl = memchr(buf + pos, '\n', have - pos);
            if (!nl)
                break;
            char *e;
            uint64_t seq = strtoull(buf + pos, &e, 10);
            if (e == buf + pos || *e != '\t' || seq != expect) {
                snprintf(err, err_len,
                         "%s: damaged at byte %" PRIu64 " (expected entry %" PRIu64 ")", p,
                         off + pos, expect);
                goto fail;
            }
            g->last = seq;
            expect = seq + 1;
            pos = (size_t)(nl - buf) + 1;
        }
        off += pos;
        memmove(buf, buf + pos, have - pos);
        have -= pos;
        if (r == 0)
            break;
        if (have == cap) {
            cap *= 2;
            buf = vg_xrealloc(buf, cap);
        }
    }
    if (have) {
        vg_log(VG_LOG_WARN, "%s: cutting off an incomplete last entry (%zu bytes)", p, have);
        if (ftruncate(fd, (off_t)off) != 0 || fsync(fd) != 0) {
            snprintf(err, err_len, "%s: %s", p, strerror(errno));
            goto fail;
        }
    }
    g->bytes = g->durable = off;
    free(buf);
    close(fd);
    free(p);
    return 0;
fail:
    free(buf);
    close(fd);
    free(p);
    return -1;
}

static int open_new_segment(vg_ship_t *s, char *err, size_t err_len)
{
    char *p = seg_path(s, s->next_seq);
    s->wfd = open(p, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (s->wfd < 0) {
        snprintf(err, err_len, "%s: %s", p, strerror(errno));
        free(p);
        return -1;
    }
    free(p);
    fsync_dir(s->dir);
    pthread_mutex_lock(&s->mu);
    segs_push(s, (seg_t){.first = s->next_seq, .last = s->next_seq - 1});
    pthread_mutex_unlock(&s->mu);
    return 0;
}

/* Makes everything written so far durable: fdatasync of every segment with bytes not yet
 * synced (oldest first; normally only the last), then marks those bytes and sequence numbers
 * durable. Either thread may call it (the sender every SYNC_MS, the output thread before it
 * starts a new segment and at the final commit). 0, or -1 with errno. */
static int sync_pending(vg_ship_t *s)
{
    struct pend { uint64_t first, bytes; } *p;
    size_t np = 0;
    pthread_mutex_lock(&s->mu);
    p = vg_xmalloc((s->n_segs ? s->n_segs : 1) * sizeof *p);
    uint64_t wseq = s->written_seq;
    for (size_t i = 0; i < s->n_segs; i++)
        if (s->segs[i].durable < s->segs[i].bytes) {
            p[np].first = s->segs[i].first;
            p[np++].bytes = s->segs[i].bytes;
        }
    pthread_mutex_unlock(&s->mu);
    int rc = 0;
    for (size_t i = 0; i < np && rc == 0; i++) {
        char *path = seg_path(s, p[i].first);
        rc = sync_path(path, O_RDONLY);
        free(path);
    }
    if (rc) {
        free(p);
        return -1;
    }
    pthread_mutex_lock(&s->mu);
    for (size_t k = 0; k < np; k++)
        for (size_t i = 0; i < s->n_segs; i++)
            if (s->segs[i].first == p[k].first && s->segs[i].durable < p[k].bytes)
                s->segs[i].durable = p[k].bytes;
    if (wseq > s->durable_seq)
        s->durable_seq = wseq;
    pthread_mutex_unlock(&s->mu);
    free(p);
    return 0;
}

static int64_t get_committed(vg_ship_t *s, redisContext *c);

static uint64_t fresh_start(vg_ship_t *s)
{
    char err[512];
    /* On the calling (main) thread, which keeps SIGPIPE's default action: Redis closing the
     * connection under the query must give EPIPE, not kill the process. SIGPIPE is blocked
     * around the query and one it raised is taken off before the mask is restored. */
    sigset_t pipe_set, old;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
    redisContext *c = vg_redis_connect(&s->url, s->o.timeout_ms, err, sizeof err);
    int64_t cm = c ? get_committed(s, c) : -1;
    bool connected = c != NULL;
    if (c)
        redisFree(c);
    const struct timespec zero = {0, 0};
    while (sigtimedwait(&pipe_set, NULL, &zero) == SIGPIPE)
        ;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (cm < 0) {
        vg_log(VG_LOG_WARN, "%s: a new spool numbers from 1, and Redis could not be asked whether "
               "sensor '%s' shipped before (%s); if it did, the collector will take its events "
               "for replays (docs/SCALE.md)", s->dir, s->sensor, connected ? "HGET failed" : err);
        return 0;
    }
    if (cm > 0)
        vg_log(VG_LOG_INFO, "%s: new spool; sensor '%s' continues after %lld, the collector's "
               "committed mark", s->dir, s->sensor, (long long)cm);
    return (uint64_t)cm;
}

static int recover(vg_ship_t *s, char *err, size_t err_len)
{
    char *sp = path_of(s, "state");
    FILE *f = fopen(sp, "r");
    if (f) {
        unsigned long long t;
        if (fscanf(f, "trimmed %llu", &t) != 1) {
            snprintf(err, err_len, "%s: damaged (expected 'trimmed N')", sp);
            fclose(f);
            free(sp);
            return -1;
        }
        s->trimmed = t;
        fclose(f);
    }
    free(sp);
    DIR *d = opendir(s->dir);
    if (!d) {
        snprintf(err, err_len, "%s: %s", s->dir, strerror(errno));
        return -1;
    }
    uint64_t *firsts = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        unsigned long long v;
        char tail[8];
        if (sscanf(de->d_name, "seg-%20llu.%7s", &v, tail) == 2 && !strcmp(tail, "log")) {
            if (n == cap) {
                cap = cap ? cap * 2 : 16;
                firsts = vg_xrealloc(firsts, cap * sizeof *firsts);
            }
            firsts[n++] = v;
        }
    }
    closedir(d);
    if (n)
        qsort(firsts, n, sizeof *firsts, cmp_u64);
    for (size_t i = 0; i < n; i++) {
        seg_t g;
        if (scan_segment(s, firsts[i], &g, err, err_len)) {
            free(firsts);
            return -1;
        }
        if (g.last < g.first && i + 1 < n) { /* an empty segment before others: leftover */
            char *p = seg_path(s, g.first);
            unlink(p);
            free(p);
            continue;
        }
        if (s->n_segs && g.first != s->segs[s->n_segs - 1].last + 1) {
            snprintf(err, err_len, "%s: segments do not follow each other (entry %" PRIu64
                     " after %" PRIu64 ")", s->dir, g.first, s->segs[s->n_segs - 1].last);
            free(firsts);
            return -1;
        }
        segs_push(s, g);
        s->spool_bytes += g.bytes;
    }
    free(firsts);
    if (s->trimmed == 0 && (s->n_segs == 0 || (s->n_segs == 1 && s->segs[0].last < s->segs[0].first))) {
        /* A spool that never held an event. If this sensor name has shipped before (its spool
         * was lost or moved), the collector's committed mark says where its numbering got to:
         * go on from there instead of from 1, which the collector would take for replays. */
        uint64_t cm = fresh_start(s);
        if (cm) {
            if (write_state(s, cm)) {
                snprintf(err, err_len, "%s: cannot write the state file", s->dir);
                return -1;
            }
            s->trimmed = cm;
            if (s->n_segs) {
                char *p = seg_path(s, s->segs[0].first);
                unlink(p);
                free(p);
                s->n_segs = 0;
            }
        }
    }
    uint64_t last = s->trimmed;
    if (s->n_segs && s->segs[s->n_segs - 1].last > last)
        last = s->segs[s->n_segs - 1].last;
    s->next_seq = last + 1;
    s->durable_seq = s->written_seq = last;
    if (s->n_segs && s->segs[s->n_segs - 1].last + 1 == s->next_seq &&
        s->segs[s->n_segs - 1].bytes < s->o.segment_max) {
        char *p = seg_path(s, s->segs[s->n_segs - 1].first);
        s->wfd = open(p, O_WRONLY | O_APPEND | O_CLOEXEC);
        if (s->wfd < 0) {
            snprintf(err, err_len, "%s: %s", p, strerror(errno));
            free(p);
            return -1;
        }
        free(p);
        return 0;
    }
    return open_new_segment(s, err, err_len);
}

/* --- sender thread ------------------------------------------------------------------------- */

typedef struct reader {
    int fd;
    uint64_t seg_first;
    uint64_t off;
    bool at;                   /* fd closed, but seg_first/off say where to go on reading */
    char *buf;
    size_t cap;
} reader_t;

static void reader_reset(reader_t *r)
{
    if (r->fd >= 0)
        close(r->fd);
    r->fd = -1;
    r->at = false;
}

/* After lines were sent from memory: the spool is read on (if need be) right after them. */
static void reader_seek(reader_t *r, uint64_t seg_first, uint64_t off)
{
    reader_reset(r);
    r->seg_first = seg_first;
    r->off = off;
    r->at = true;
}

typedef struct entry {
    uint64_t seq;
    const char *json;
    size_t len;
} entry_t;

/* Up to max entries after `sent`, from the durable part of the spool. Returns the count; *used
 * is how far the reader moves once they are sent. Caller holds no lock. */
static size_t read_batch(vg_ship_t *s, reader_t *r, uint64_t sent, entry_t *out, size_t max,
                         uint64_t *used)
{
    *used = 0;
    for (;;) {
        pthread_mutex_lock(&s->mu);
        size_t i = 0;
        if (r->fd < 0 && r->at) {
            while (i < s->n_segs && s->segs[i].first != r->seg_first)
                i++;
            if (i == s->n_segs) /* no longer there (trimmed): look for sent + 1 */
                r->at = false;
        }
        if (r->fd >= 0) {
            while (i < s->n_segs && s->segs[i].first != r->seg_first)
                i++;
        } else if (!r->at) {
            i = 0;
            while (i < s->n_segs && s->segs[i].last < sent + 1)
                i++;
        }
        if (i == s->n_segs) {
            pthread_mutex_unlock(&s->mu);
            reader_reset(r);
            return 0;
        }
        seg_t g = s->segs[i];
        bool has_next = i + 1 < s->n_segs;
        pthread_mutex_unlock(&s->mu);
        if (r->fd < 0) {
            char *p = seg_path(s, g.first);
            r->fd = open(p, O_RDONLY | O_CLOEXEC);
            if (r->fd < 0) {
                vg_log(VG_LOG_ERROR, "%s: %s", p, strerror(errno));
                free(p);
                r->at = false;
                return 0;
            }
            free(p);
            if (!r->at)
                r->off = 0;
            r->seg_first = g.first;
            r->at = false;
        }
        if (r->off >= g.durable) {
            if (has_next && g.durable == g.bytes) { /* closed segment, all read: next one */
                reader_reset(r);
                if (g.last > sent)
                    sent = g.last; /* everything of it was read (and skipped or sent) */
                continue;
            }
            return 0;
        }
        size_t want = (size_t)(g.durable - r->off);
        if (want > r->cap)
            want = r->cap;
        for (;;) {
            ssize_t n = pread(r->fd, r->buf, want, (off_t)r->off);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0) {
                vg_log(VG_LOG_ERROR, "spool segment %" PRIu64 ": read: %s", g.first,
                       n < 0 ? strerror(errno) : "short file");
                reader_reset(r);
                return 0;
            }
            size_t pos = 0, cnt = 0;
            while (cnt < max) {
                char *nl = memchr(r->buf + pos, '\n', (size_t)n - pos);
                if (!nl)
                    break;
                char *e;
                uint64_t seq = strtoull(r->buf + pos, &e, 10);
                if (seq > sent) {
                    out[cnt].seq = seq;
                    out[cnt].json = e + 1;
                    out[cnt].len = (size_t)(nl - e - 1);
                    cnt++;
                }
                pos = (size_t)(nl - r->buf) + 1;
            }
            if (pos == 0) { /* one entry longer than the buffer */
                r->cap *= 2;
                r->buf = vg_xrealloc(r->buf, r->cap);
                want = (size_t)(g.durable - r->off);
                if (want > r->cap)
                    want = r->cap;
                continue;
            }
            *used = pos;
            if (cnt == 0) { /* all already sent: skip ahead */
                r->off += pos;
                break;
            }
            return cnt;
        }
    }
}

static int64_t get_committed(vg_ship_t *s, redisContext *c)
{
    redisReply *r = redisCommand(c, "HGET %s %s", s->key_committed, s->sensor);
    if (!r)
        return -1;
    int64_t v = 0;
    if (r->type == REDIS_REPLY_STRING)
        v = (int64_t)strtoull(r->str, NULL, 10);
    else if (r->type != REDIS_REPLY_NIL)
        v = -1;
    freeReplyObject(r);
    return v;
}

/* Deletes the segments (never the one being written) wholly at or below s->committed. */
static void trim(vg_ship_t *s)
{
    for (;;) {
        pthread_mutex_lock(&s->mu);
        if (s->n_segs < 2 || s->segs[0].last > s->committed || s->segs[0].last < s->segs[0].first) {
            pthread_mutex_unlock(&s->mu);
            return;
        }
        seg_t g = s->segs[0];
        pthread_mutex_unlock(&s->mu);
        if (write_state(s, g.last))
            return;
        char *p = seg_path(s, g.first);
        if (unlink(p) != 0)
            vg_log(VG_LOG_WARN, "%s: %s", p, strerror(errno));
        free(p);
        pthread_mutex_lock(&s->mu);
        s->trimmed = g.last;
        s->spool_bytes -= g.bytes;
        memmove(s->segs, s->segs + 1, (s->n_segs - 1) * sizeof *s->segs);
        s->n_segs--;
        pthread_mutex_unlock(&s->mu);
    }
}

/* --- hand-off of written blocks ------------------------------------------------------------ */

static chunk_t *chunk_new(void)
{
    chunk_t *c = vg_xcalloc(1, sizeof *c);
    c->cap = 1 << 19; /* an output block (256 KiB) and its sequence numbers */
    c->data = vg_xmalloc(c->cap);
    c->ncap = 256;
    c->json = vg_xmalloc(c->ncap * sizeof *c->json);
    c->end = vg_xmalloc(c->ncap * sizeof *c->end);
    return c;
}

static void chunk_free(chunk_t *c)
{
    if (c) {
        free(c->data);
        free(c->json);
        free(c->end);
        free(c);
    }
}

/* With mu held: the queue's blocks wholly sent go back for reuse (as many as fit in the
 * hand-off's bound with what is queued) or are freed. */
static void queue_drop_sent(vg_ship_t *s, uint64_t sent)
{
    while (s->q_head && s->q_head->last <= sent) {
        chunk_t *c = s->q_head;
        s->q_head = c->next;
        if (!s->q_head)
            s->q_tail = NULL;
        s->q_bytes -= c->len;
        if (s->free_bytes + c->cap + s->q_bytes <= s->o.handoff_max) {
            c->next = s->q_free;
            s->q_free = c;
            s->free_bytes += c->cap;
        } else {
            chunk_free(c);
        }
    }
}

/* With mu held: when the queue holds the durable lines right after `sent`, up to max of them
 * (and about SEND_BYTES) from memory, in order. Returns the count, 0 when they must be read
 * from the spool; *seg and *off say where in the spool the last one ends. The blocks stay
 * valid without the lock: only the sender removes them. */
static size_t queue_batch(vg_ship_t *s, uint64_t sent, entry_t *out, size_t max, uint64_t *seg,
                          uint64_t *off)
{
    queue_drop_sent(s, sent);
    size_t n = 0, bytes = 0;
    uint64_t expect = sent + 1;
    for (chunk_t *c = s->q_head; c && c->first <= expect && c->last <= s->durable_seq &&
                                 n < max && bytes < SEND_BYTES;
         c = c->next) {
        for (size_t i = (size_t)(expect - c->first); i < c->n && n < max && bytes < SEND_BYTES;
             i++) {
            out[n].seq = expect++;
            out[n].json = c->data + c->json[i];
            out[n].len = c->end[i] - c->json[i];
            bytes += out[n].len;
            n++;
            *seg = c->seg_first;
            *off = c->off + c->end[i] + 1;
        }
    }
    return n;
}

/* --- sending ------------------------------------------------------------------------------- */

static void resp_len(vg_buf_t *b, char kind, size_t n)
{
    char d[24];
    d[0] = kind;
    size_t k = 1 + vg_u64_dec(n, d + 1);
    d[k++] = '\r';
    d[k++] = '\n';
    vg_buf_append(b, d, k);
}

static void resp_bulk(vg_buf_t *b, const char *p, size_t n)
{
    resp_len(b, '$', n);
    vg_buf_append(b, p, n);
    vg_buf_append(b, "\r\n", 2);
}

/* XADD STREAM * sensor SENSOR seq: the part of every command before the seq value. */
static void xadd_head_init(vg_ship_t *s)
{
    vg_buf_init(&s->xadd_head, 128);
    resp_len(&s->xadd_head, '*', 9);
    resp_bulk(&s->xadd_head, "XADD", 4);
    resp_bulk(&s->xadd_head, s->stream, strlen(s->stream));
    resp_bulk(&s->xadd_head, "*", 1);
    resp_bulk(&s->xadd_head, "sensor", 6);
    resp_bulk(&s->xadd_head, s->sensor, strlen(s->sensor));
    resp_bulk(&s->xadd_head, "seq", 3);
}

/* Consecutive events go in one stream entry (sensor, seq of the first, and the events one per
 * line in "events"): one XADD for up to VG_SHIP_ENTRY_EVENTS events instead of one each, which
 * is most of what shipping costs Redis (docs/SCALE.md). A gap in the sequence starts a new
 * entry, so an entry's events are always seq, seq+1, ... The commands go out in Redis's
 * protocol as one pipeline straight from where the events are (the hand-off's blocks or the
 * spool's read buffer, where each event is followed by its newline: an entry's events joined
 * by newlines are those lines as they are, the last one without its newline), with sendmsg()
 * on the connection's socket: no copy of the events in user space (hiredis would make two; its
 * output buffer is empty between commands, and the socket has the command timeout). Then
 * hiredis reads every reply. */
static int send_iov(vg_ship_t *s, redisContext *c, struct iovec *iov, size_t n_iov)
{
    while (n_iov) {
        struct msghdr m = {.msg_iov = iov, .msg_iovlen = n_iov < 1024 ? n_iov : 1024};
        ssize_t w = sendmsg(c->fd, &m, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            vg_log(VG_LOG_WARN, "redis %s:%d: send: %s", s->url.host, s->url.port,
                   w < 0 && errno == EAGAIN ? "timed out" : strerror(errno));
            return -1;
        }
        size_t left = (size_t)w;
        while (n_iov && left >= iov->iov_len) {
            left -= iov->iov_len;
            iov++;
            n_iov--;
        }
        if (left) {
            iov->iov_base = (char *)iov->iov_base + left;
            iov->iov_len -= left;
        }
    }
    return 0;
}

static int send_entries(vg_ship_t *s, redisContext *c, const entry_t *e, size_t n)
{
    /* the commands' heads (in s->cmds, which may move while it grows: offsets first) */
    size_t n_cmds = 0;
    vg_buf_t *b = &s->cmds;
    b->len = 0;
    size_t *head = s->heads;
    for (size_t i = 0; i < n;) {
        size_t j = i + 1, bytes = e[i].len;
        while (j < n && j - i < VG_SHIP_ENTRY_EVENTS && e[j].seq == e[j - 1].seq + 1 &&
               bytes + e[j].len + 1 <= VG_SHIP_ENTRY_BYTES)
            bytes += e[j++].len + 1;
        char seq[20];
        head[2 * n_cmds] = b->len;
        vg_buf_append(b, s->xadd_head.data, s->xadd_head.len);
        resp_bulk(b, seq, vg_u64_dec(e[i].seq, seq));
        resp_bulk(b, "events", 6);
        resp_len(b, '$', bytes);
        head[2 * n_cmds + 1] = j;
        n_cmds++;
        i = j;
    }
    struct iovec *iov = s->iov;
    size_t n_iov = 0;
    for (size_t k = 0, i = 0; k < n_cmds; k++) {
        size_t h = head[2 * k], hend = k + 1 < n_cmds ? head[2 * k + 2] : b->len;
        size_t j = head[2 * k + 1];
        iov[n_iov++] = (struct iovec){b->data + h, hend - h};
        for (; i < j; i++) /* the event and its newline, but for the last of the entry */
            iov[n_iov++] = (struct iovec){(void *)e[i].json, e[i].len + (i + 1 < j)};
        iov[n_iov++] = (struct iovec){(void *)"\r\n", 2};
    }
    if (send_iov(s, c, iov, n_iov))
        return -1;
    int rc = 0;
    for (size_t i = 0; i < n_cmds; i++) {
        redisReply *r = NULL;
        if (redisGetReply(c, (void **)&r) != REDIS_OK || !r)
            return -1;
        if (r->type == REDIS_REPLY_ERROR) {
            vg_log(VG_LOG_ERROR, "redis XADD %s: %s", s->stream, r->str);
            rc = -1;
        }
        freeReplyObject(r);
    }
    return rc;
}

static void *sender_main(void *arg)
{
    vg_ship_t *s = arg;
    /* A write to a connection Redis closed must fail with EPIPE here, not kill the sensor
     * (hiredis writes with write(), and `vigil read` keeps SIGPIPE's default action). */
    pthread_setname_np(pthread_self(), "vg-ship");
    sigset_t pipe_set;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_set, NULL);
    redisContext *c = NULL;
    reader_t rd = {.fd = -1, .cap = 1 << 20};
    rd.buf = vg_xmalloc(rd.cap);
    entry_t *batch = vg_xcalloc(SEND_BATCH, sizeof *batch);
    double next_try = 0, last_poll = 0;
    uint64_t sent = 0, dropped_published = 0;
    bool logged_down = false;
    char err[512];
    double last_fsync = 0;
    bool sync_warned = false;
    pthread_mutex_lock(&s->mu);
    while (!s->stop) {
        double now = now_s();
        bool worked = false;
        double sync_s = (c ? SYNC_MS : SYNC_IDLE_MS) / 1000.0;
        if (s->written_seq > s->durable_seq && now - last_fsync >= sync_s) {
            /* make what the output thread wrote durable, so that it can be sent */
            pthread_mutex_unlock(&s->mu);
            bool ok = sync_pending(s) == 0;
            if (!ok && !sync_warned)
                vg_log(VG_LOG_WARN, "outputs.redis: spool %s: fsync: %s (retrying)", s->dir,
                       strerror(errno));
            sync_warned = !ok;
            pthread_mutex_lock(&s->mu);
            last_fsync = now;
        }
        if (!c && now >= next_try) {
            pthread_mutex_unlock(&s->mu);
            c = vg_redis_connect(&s->url, s->o.timeout_ms, err, sizeof err);
            int64_t hwm = c ? get_committed(s, c) : -1;
            if (c && hwm < 0) {
                snprintf(err, sizeof err, "redis: HGET %s failed", s->key_committed);
                redisFree(c);
                c = NULL;
            }
            pthread_mutex_lock(&s->mu);
            if (!c) {
                next_try = now + 1.0;
                if (!logged_down)
                    vg_log(VG_LOG_WARN, "%s; events stay in the spool %s until it is back", err,
                           s->dir);
                logged_down = true;
            } else {
                if (logged_down)
                    vg_log(VG_LOG_INFO, "redis %s:%d: connected; sending the spool",
                           s->url.host, s->url.port);
                logged_down = false;
                s->connected = true;
                if ((uint64_t)hwm > s->committed)
                    s->committed = (uint64_t)hwm;
                /* everything not known committed is sent again: Redis may have lost it */
                sent = s->committed > s->trimmed ? s->committed : s->trimmed;
                s->sent_upto = sent;
                reader_reset(&rd);
                last_poll = now;
                worked = true;
            }
        }
        if (c && sent < s->durable_seq) {
            /* from memory when the queue holds what comes next, else from the spool files */
            uint64_t end_seg = 0, end_off = 0, used = 0;
            size_t n = queue_batch(s, sent, batch, SEND_BATCH, &end_seg, &end_off);
            bool from_queue = n > 0;
            pthread_mutex_unlock(&s->mu);
            if (!from_queue)
                n = read_batch(s, &rd, sent, batch, SEND_BATCH, &used);
            int rc = n ? send_entries(s, c, batch, n) : 0;
            pthread_mutex_lock(&s->mu);
            if (rc) {
                vg_log(VG_LOG_WARN, "redis %s:%d: %s; events stay in the spool", s->url.host,
                       s->url.port, c->err ? c->errstr : "command failed");
                logged_down = true;
                redisFree(c);
                c = NULL;
                s->connected = false;
                next_try = now + 1.0;
                reader_reset(&rd);
            } else if (n) {
                if (from_queue)
                    reader_seek(&rd, end_seg, end_off);
                else
                    rd.off += used;
                sent = batch[n - 1].seq;
                s->sent_upto = sent;
                s->st.sent += n;
                if (!from_queue)
                    s->st.read_back += n;
                queue_drop_sent(s, sent);
                worked = true;
            }
        }
        if (!c) /* nothing of the queue is sent before a reconnection resends from the spool */
            queue_drop_sent(s, s->written_seq);
        if (c && (now - last_poll >= POLL_S || (s->draining && sent >= s->durable_seq))) {
            uint64_t dropped = s->st.dropped;
            pthread_mutex_unlock(&s->mu);
            int64_t hwm = get_committed(s, c);
            if (hwm >= 0 && dropped != dropped_published) {
                redisReply *r = redisCommand(c, "HSET %s %s %llu", s->key_dropped, s->sensor,
                                             (unsigned long long)dropped);
                if (r)
                    freeReplyObject(r);
                dropped_published = dropped;
            }
            pthread_mutex_lock(&s->mu);
            last_poll = now;
            if (hwm < 0) {
                redisFree(c);
                c = NULL;
                s->connected = false;
                next_try = now + 1.0;
                reader_reset(&rd);
                continue;
            }
            if ((uint64_t)hwm > s->committed)
                s->committed = (uint64_t)hwm;
            pthread_mutex_unlock(&s->mu);
            trim(s);
            pthread_mutex_lock(&s->mu);
            s->polls++;
        }
        if (s->draining && c && sent >= s->durable_seq)
            pthread_cond_broadcast(&s->cv_drain);
        if (!worked && !s->stop) {
            /* Sleep until the next fsync is due when lines wait for one, else up to 50 ms;
             * a commit wakes an idle sender (nothing written, nothing to send). */
            double wait = 0.05;
            if (s->written_seq > s->durable_seq) {
                double due = last_fsync + sync_s - now_s();
                wait = due < wait ? (due > 0.0005 ? due : 0.0005) : wait;
            }
            s->idle = s->written_seq == s->durable_seq && (!c || sent >= s->durable_seq);
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_nsec += (long)(wait * 1e9);
            if (ts.tv_nsec >= 1000000000L) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000L;
            }
            pthread_cond_timedwait(&s->cv, &s->mu, &ts);
            s->idle = false;
        }
    }
    s->connected = false;
    pthread_mutex_unlock(&s->mu);
    if (c)
        redisFree(c);
    reader_reset(&rd);
    free(rd.buf);
    free(batch);
    return NULL;
}

/* --- the sink ------------------------------------------------------------------------------ */

vg_ship_t *vg_ship_open(const vg_ship_opts_t *o, char *err, size_t err_len)
{
    vg_ship_t *s = vg_xcalloc(1, sizeof *s);
    s->o = *o;
    if (!s->o.segment_max)
        s->o.segment_max = 8u << 20;
    s->lock_fd = s->wfd = -1;
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    pthread_cond_init(&s->cv_drain, NULL);
    if (vg_redis_url_parse(o->url, &s->url, err, err_len))
        goto fail;
    if (!o->sensor || !o->sensor[0] || strlen(o->sensor) > 255) {
        snprintf(err, err_len, "outputs.redis: the sensor name must be 1 to 255 bytes");
        goto fail;
    }
    s->stream = vg_xstrdup(o->stream);
    s->sensor = vg_xstrdup(o->sensor);
    s->dir = vg_xstrdup(o->spool_dir);
    size_t kl = strlen(o->stream) + 16;
    s->key_committed = vg_xmalloc(kl);
    snprintf(s->key_committed, kl, "%s:committed", o->stream);
    s->key_dropped = vg_xmalloc(kl);
    snprintf(s->key_dropped, kl, "%s:dropped", o->stream);
    if (mkdir(s->dir, 0755) != 0 && errno != EEXIST) {
        snprintf(err, err_len, "%s: cannot create the spool directory: %s", s->dir, strerror(errno));
        goto fail;
    }
    char *lp = path_of(s, "lock");
    s->lock_fd = open(lp, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (s->lock_fd < 0 || flock(s->lock_fd, LOCK_EX | LOCK_NB) != 0) {
        snprintf(err, err_len, "%s: %s", lp,
                 errno == EWOULDBLOCK ? "the spool is in use by another running sensor"
                                      : strerror(errno));
        free(lp);
        goto fail;
    }
    free(lp);
    if (recover(s, err, err_len))
        goto fail;
    s->st.first_seq = 0;
    s->spool_bytes_seen = s->spool_bytes;
    s->wb = chunk_new();
    vg_buf_init(&s->cmds, 1 << 16);
    s->heads = vg_xmalloc(2 * SEND_BATCH * sizeof *s->heads);
    s->iov = vg_xmalloc(3 * SEND_BATCH * sizeof *s->iov);
    xadd_head_init(s);
    if (pthread_create(&s->th, NULL, sender_main, s) != 0) {
        snprintf(err, err_len, "outputs.redis: cannot start the sender thread");
        goto fail;
    }
    s->th_started = true;
    return s;
fail:
    vg_ship_close(s);
    return NULL;
}

static int append(vg_ship_t *s, const char *line, size_t len, bool force)
{
    if (s->failed)
        return -1;
    size_t need = len + 24;
    chunk_t *w = s->wb;
    /* spool_bytes_seen is at least the spool's size (only the sender's trims lower it): the lock
     * is taken to look again only when the event might not fit */
    bool full = !force && s->spool_bytes_seen + w->len + need > s->o.spool_max;
    if (full) {
        pthread_mutex_lock(&s->mu);
        s->spool_bytes_seen = s->spool_bytes;
        full = s->spool_bytes_seen + w->len + need > s->o.spool_max;
        if (full)
            s->st.dropped++;
        pthread_mutex_unlock(&s->mu);
    }
    if (full) {
        if (!s->warned_full)
            vg_log(VG_LOG_WARN, "outputs.redis: spool %s is full (%" PRIu64 " bytes): new events "
                   "are dropped from shipping (counted; the local outputs keep them)",
                   s->dir, s->o.spool_max);
        s->warned_full = true;
        return 0;
    }
    if (w->len + need > w->cap) {
        while (w->len + need > w->cap)
            w->cap *= 2;
        w->data = vg_xrealloc(w->data, w->cap);
    }
    if (!w->len) {
        w->first = s->next_seq;
        w->n = 0;
    }
    if (w->n == w->ncap) {
        w->ncap *= 2;
        w->json = vg_xrealloc(w->json, w->ncap * sizeof *w->json);
        w->end = vg_xrealloc(w->end, w->ncap * sizeof *w->end);
    }
    w->len += vg_u64_dec(s->next_seq, w->data + w->len);
    w->data[w->len++] = '\t';
    w->json[w->n] = (uint32_t)w->len;
    memcpy(w->data + w->len, line, len);
    w->len += len;
    w->end[w->n++] = (uint32_t)w->len;
    w->data[w->len++] = '\n';
    if (!s->st.first_seq)
        s->st.first_seq = s->next_seq;
    s->st.last_seq = s->next_seq;
    s->next_seq++;
    s->st.spooled++;
    return 0;
}

int vg_ship_sink_event(void *ctx, const char *line, size_t len)
{
    return append(ctx, line, len, false);
}

int vg_ship_record(vg_ship_t *s, const char *line, size_t len)
{
    return append(s, line, len, true);
}

int vg_ship_sink_commit(void *ctx, bool final)
{
    vg_ship_t *s = ctx;
    char err[512];
    if (s->failed)
        return -1;
    chunk_t *w = s->wb;
    uint64_t seg_bytes = 0;
    bool dirty;
    if (w->len) {
        if (vg_write_all(s->wfd, w->data, w->len) != 0) {
            vg_log(VG_LOG_ERROR, "outputs.redis: spool %s: %s", s->dir, strerror(errno));
            s->failed = true;
            return -1;
        }
        pthread_mutex_lock(&s->mu);
        seg_t *g = &s->segs[s->n_segs - 1];
        w->seg_first = g->first;
        w->off = g->bytes;
        w->last = s->next_seq - 1;
        g->bytes += w->len;
        g->last = w->last;
        s->written_seq = g->last;
        s->spool_bytes += w->len;
        s->spool_bytes_seen = s->spool_bytes;
        seg_bytes = g->bytes;
        if (s->connected && s->q_bytes + w->len <= s->o.handoff_max && w->len <= UINT32_MAX) {
            /* the sender takes this block from memory; a new (or a sent) buffer for the next */
            w->next = NULL;
            if (s->q_tail)
                s->q_tail->next = w;
            else
                s->q_head = w;
            s->q_tail = w;
            s->q_bytes += w->len;
            if (s->q_free) {
                s->wb = s->q_free;
                s->q_free = s->wb->next;
                s->free_bytes -= s->wb->cap;
            } else {
                s->wb = NULL;
            }
        }
        if (s->idle) { /* else it looks when its next fsync is due */
            s->idle = false;
            pthread_cond_signal(&s->cv);
        }
        pthread_mutex_unlock(&s->mu);
        if (!s->wb)
            s->wb = chunk_new();
        s->wb->len = 0;
    }
    pthread_mutex_lock(&s->mu);
    dirty = s->durable_seq != s->written_seq;
    seg_bytes = s->segs[s->n_segs - 1].bytes;
    pthread_mutex_unlock(&s->mu);
    bool rotate = seg_bytes >= s->o.segment_max;
    /* A segment is durable before the next one is started (after a power loss the spool never
     * holds a segment after a torn one); the sender has synced most of it already. */
    if (dirty && (final || rotate)) {
        if (sync_pending(s) != 0) {
            vg_log(VG_LOG_ERROR, "outputs.redis: spool %s: fsync: %s", s->dir, strerror(errno));
            s->failed = true;
            return -1;
        }
        pthread_mutex_lock(&s->mu);
        pthread_cond_signal(&s->cv);
        pthread_mutex_unlock(&s->mu);
    }
    if (rotate) {
        close(s->wfd);
        s->wfd = -1;
        if (open_new_segment(s, err, sizeof err)) {
            vg_log(VG_LOG_ERROR, "outputs.redis: %s", err);
            s->failed = true;
            return -1;
        }
    }
    if (final && s->o.drain_ms) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += s->o.drain_ms / 1000;
        ts.tv_nsec += (long)(s->o.drain_ms % 1000) * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_mutex_lock(&s->mu);
        s->draining = true;
        pthread_cond_signal(&s->cv);
        /* ... and for one more read of the committed mark, so that what the collector has
         * committed leaves the spool at the end of this run, not only of the next */
        uint64_t polls = s->polls;
        while (s->sent_upto < s->durable_seq || !s->connected || s->polls == polls)
            if (pthread_cond_timedwait(&s->cv_drain, &s->mu, &ts) != 0)
                break;
        pthread_mutex_unlock(&s->mu);
    }
    return 0;
}

void vg_ship_sink_stats(void *ctx, vg_jw_t *jw)
{
    vg_ship_stats_t st;
    vg_ship_get_stats(ctx, &st);
    vg_jw_key(jw, "ship");
    vg_jw_obj_open(jw);
    vg_jw_kv_uint(jw, "spooled", st.spooled);
    vg_jw_kv_uint(jw, "dropped", st.dropped);
    vg_jw_kv_uint(jw, "sent", st.sent);
    vg_jw_kv_uint(jw, "read_back", st.read_back);
    vg_jw_kv_uint(jw, "committed", st.committed);
    vg_jw_kv_uint(jw, "unsent", st.unsent);
    vg_jw_kv_uint(jw, "spool_bytes", st.spool_bytes);
    vg_jw_kv_bool(jw, "connected", st.connected);
    vg_jw_obj_close(jw);
}

void vg_ship_get_stats(vg_ship_t *s, vg_ship_stats_t *st)
{
    pthread_mutex_lock(&s->mu);
    *st = s->st;
    st->committed = s->committed;
    st->unsent = s->durable_seq > s->sent_upto ? s->durable_seq - s->sent_upto : 0;
    st->spool_bytes = s->spool_bytes;
    st->connected = s->connected;
    pthread_mutex_unlock(&s->mu);
}

void vg_ship_close(vg_ship_t *s)
{
    if (!s)
        return;
    if (s->th_started) {
        pthread_mutex_lock(&s->mu);
        s->stop = true;
        pthread_cond_signal(&s->cv);
        pthread_mutex_unlock(&s->mu);
        pthread_join(s->th, NULL);
    }
    if (s->wfd >= 0)
        close(s->wfd);
    if (s->lock_fd >= 0)
        close(s->lock_fd);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->cv);
    pthread_cond_destroy(&s->cv_drain);
    free(s->segs);
    chunk_free(s->wb);
    while (s->q_head) {
        chunk_t *c = s->q_head;
        s->q_head = c->next;
        chunk_free(c);
    }
    while (s->q_free) {
        chunk_t *c = s->q_free;
        s->q_free = c->next;
        chunk_free(c);
    }
    vg_buf_fini(&s->cmds);
    free(s->heads);
    free(s->iov);
    vg_buf_fini(&s->xadd_head);
    free(s->stream);
    free(s->sensor);
    free(s->dir);
    free(s->key_committed);
    free(s->key_dropped);
    free(s);
}
