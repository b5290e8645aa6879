/* collect.c — `vigil collect`: the consumer-group loop and the batch transaction (collect.h). */
#include "collect/collect.h"
#include "collect/collect_int.h"
#include "collect/evscan.h"
#include "common/buf.h"
#include "common/common.h"
#include "common/log.h"
#include "ship/ship.h"

#include <arpa/inet.h>
#include <hiredis/hiredis.h>
#include <inttypes.h>
#include <libpq-fe.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#define ADVISORY_PARTITIONS 7341201
#define HOUSEKEEP_S 5.0

typedef struct row {
    const char *id;          /* stream entry id (in the reply) */
    const char *sensor;      /* in the reply */
    uint64_t seq;
    const char *raw;         /* the event's JSON (in the reply) */
    size_t raw_len;
    ev_cols_t cols;          /* the values of the events table's columns */
    int64_t ts_us;
    int32_t day;             /* days since 1970 (UTC) */
    const char *reason;      /* set: dead letter */
    bool gone;               /* deleted from the stream before it was read: only acknowledged */
    bool skip;               /* already committed or expired: not inserted */
    bool expired;
} row_t;

typedef struct collector {
    const vg_collect_opts_t *o;
    vg_collect_stats_t *st;
    vg_redis_url_t url;
    redisContext *rc;
    PGconn *pg;
    char *key_committed, *key_dead;
    char consumer[300];
    int32_t *days; /* partitions known to exist */
    size_t n_days, cap_days;
    bool pg_down_logged, redis_down_logged;
    unsigned fail_streak; /* batches failed in a row (the same entries, read again) */
    vg_buf_t copy;
    vg_derive_cache_t *dc; /* the report tables' signature and dimension ids (derive.c) */
} collector_t;

/* --- an arena per batch ----------------------------------------------------------------------
 * The values the scanner unescapes (evscan.h) live until the batch is committed and are released
 * all at once. Each collector thread has its own. */
typedef struct arena_chunk {
    struct arena_chunk *next;
    size_t cap, used;
    max_align_t data[];
} arena_chunk_t;

static _Thread_local arena_chunk_t *arena_first, *arena_cur; /* one per collector thread */
#define ARENA_CHUNK (4u << 20)

static void *arena_alloc(size_t n)
{
    n = (n + sizeof(max_align_t) - 1) & ~(sizeof(max_align_t) - 1);
    while (arena_cur && arena_cur->used + n > arena_cur->cap && arena_cur->next &&
           arena_cur->next->cap >= n) {
        arena_cur = arena_cur->next;
        arena_cur->used = 0;
    }
    if (!arena_cur || arena_cur->used + n > arena_cur->cap) {
        size_t cap = n > ARENA_CHUNK ? n : ARENA_CHUNK;
        arena_chunk_t *c = malloc(sizeof *c + cap);
        if (!c)
            return NULL;
        c->cap = cap;
        c->used = 0;
        if (arena_cur) {
            c->next = arena_cur->next;
            arena_cur->next = c;
        } else {
            c->next = NULL;
            arena_first = c;
        }
        arena_cur = c;
    }
    void *p = (char *)arena_cur->data + arena_cur->used;
    arena_cur->used += n;
    return p;
}

/* Every object of the batch is gone: the memory is used again by the next one. */
static void arena_reset(void)
{
    arena_cur = arena_first;
    if (arena_cur)
        arena_cur->used = 0;
}

static void arena_fini(void)
{
    while (arena_first) {
        arena_chunk_t *n = arena_first->next;
        free(arena_first);
        arena_first = n;
    }
    arena_cur = NULL;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int32_t today_utc(void) { return (int32_t)(time(NULL) / 86400); }

/* --- timestamps ------------------------------------------------------------------------------ */

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

int vg_collect_parse_ts(const char *s, int64_t *us)
{
    int y, mo, d, h, mi, se, n = 0;
    if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &se, &n) != 6 || n != 19)
        return -1;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60 || y < 1970)
        return -1;
    const char *p = s + 19;
    int64_t frac = 0;
    if (*p == '.') {
        int digits = 0;
        p++;
        while (*p >= '0' && *p <= '9') {
            if (digits < 6) {
                frac = frac * 10 + (*p - '0');
                digits++;
            }
            p++;
        }
        if (!digits)
            return -1;
        while (digits++ < 6)
            frac *= 10;
    }
    int off = 0;
    if (*p == 'Z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p == '-' ? -1 : 1, oh, om;
        if (sscanf(p + 1, "%2d%n", &oh, &n) != 1 || n != 2)
            return -1;
        p += 3;
        if (*p == ':')
            p++;
        if (sscanf(p, "%2d%n", &om, &n) != 1 || n != 2)
            return -1;
        p += 2;
        off = sign * (oh * 60 + om);
    } else {
        return -1;
    }
    if (*p)
        return -1;
    int64_t days = days_from_civil(y, (unsigned)mo, (unsigned)d);
    int64_t secs = days * 86400 + h * 3600 + mi * 60 + se - (int64_t)off * 60;
    *us = secs * 1000000 + frac;
    return 0;
}

static void fmt_day(int32_t day, char *out, size_t n, bool compact)
{
    time_t t = (time_t)day * 86400;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, n, compact ? "%Y%m%d" : "%Y-%m-%d", &tm);
}

/* --- helpers --------------------------------------------------------------------------------- */

static void pg_msg(PGconn *pg, PGresult *r, char *err, size_t err_len)
{
    snprintf(err, err_len, "postgresql: %s", r ? PQresultErrorMessage(r) : PQerrorMessage(pg));
    size_t n = strlen(err);
    while (n && (err[n - 1] == '\n' || err[n - 1] == ' '))
        err[--n] = '\0';
}

static int pg_exec(collector_t *c, const char *sql, char *err, size_t err_len)
{
    PGresult *r = PQexec(c->pg, sql);
    ExecStatusType t = PQresultStatus(r);
    int rc = 0;
    if (t != PGRES_COMMAND_OK && t != PGRES_TUPLES_OK) {
        pg_msg(c->pg, r, err, err_len);
        rc = -1;
    }
    PQclear(r);
    return rc;
}

static PGresult *pg_params(collector_t *c, const char *sql, int n, const char *const *vals,
                           char *err, size_t err_len)
{
    PGresult *r = PQexecParams(c->pg, sql, n, NULL, vals, NULL, NULL, 0);
    ExecStatusType t = PQresultStatus(r);
    if (t != PGRES_COMMAND_OK && t != PGRES_TUPLES_OK) {
        pg_msg(c->pg, r, err, err_len);
        PQclear(r);
        return NULL;
    }
    return r;
}

void vg_collect_copy_text(vg_buf_t *b, const char *s, size_t n)
{
    vg_buf_reserve(b, 2 * n); /* room for the worst case: every byte escaped */
    char *o = b->data + b->len;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        switch (ch) {
        case '\\': *o++ = '\\'; *o++ = '\\'; break;
        case '\t': *o++ = '\\'; *o++ = 't'; break;
        case '\n': *o++ = '\\'; *o++ = 'n'; break;
        case '\r': *o++ = '\\'; *o++ = 'r'; break;
        default: *o++ = ch;
        }
    }
    b->len = (size_t)(o - b->data);
}

/* --- connections ----------------------------------------------------------------------------- */

/* 0: connected; -1: cannot connect, or Redis refuses the group (err); -2: connected, then the
 * connection was lost before the group was made (err): a transient failure, retried. */
static int redis_connect(collector_t *c, char *err, size_t err_len)
{
    if (c->rc)
        return 0;
    c->rc = vg_redis_connect(&c->url, 5000, err, err_len);
    if (!c->rc)
        return -1;
    /* the group reads the stream from its start: nothing written before it existed is missed */
    redisReply *r = redisCommand(c->rc, "XGROUP CREATE %s %s 0 MKSTREAM", c->o->stream,
                                 c->o->group);
    if (!r || (r->type == REDIS_REPLY_ERROR && strncmp(r->str, "BUSYGROUP", 9) != 0)) {
        snprintf(err, err_len, "redis XGROUP CREATE %s %s: %s", c->o->stream, c->o->group,
                 r ? r->str : c->rc->errstr);
        if (r)
            freeReplyObject(r);
        redisFree(c->rc);
        c->rc = NULL;
        return r ? -1 : -2;
    }
    freeReplyObject(r);
    return 0;
}

static void redis_drop(collector_t *c)
{
    if (c->rc)
        redisFree(c->rc);
    c->rc = NULL;
}

static int pg_connect(collector_t *c, char *err, size_t err_len)
{
    if (c->pg && PQstatus(c->pg) == CONNECTION_OK)
        return 0;
    if (c->pg)
        PQfinish(c->pg);
    c->pg = PQconnectdb(c->o->pg_dsn);
    if (PQstatus(c->pg) != CONNECTION_OK) {
        pg_msg(c->pg, NULL, err, err_len);
        PQfinish(c->pg);
        c->pg = NULL;
        return -1;
    }
    PQclear(PQexec(c->pg, "SET client_min_messages = warning"));
    if (!c->dc)
        c->dc = vg_derive_cache_new();
    vg_derive_cache_clear(c->dc);
    if (vg_collect_migrate(c->pg, err, err_len) ||
        pg_exec(c, "CREATE TEMP TABLE stage (LIKE events) ON COMMIT DELETE ROWS", err, err_len) ||
        pg_exec(c, VG_DERIVE_PREPARE, err, err_len)) {
        PQfinish(c->pg);
        c->pg = NULL;
        return -1;
    }
    c->n_days = 0; /* partitions: ask again */
    return 0;
}

/* --- partitions and retention ---------------------------------------------------------------- */

static bool day_known(collector_t *c, int32_t day)
{
    for (size_t i = 0; i < c->n_days; i++)
        if (c->days[i] == day)
            return true;
    return false;
}

static int ensure_partition(collector_t *c, int32_t day, char *err, size_t err_len)
{
    if (day_known(c, day))
        return 0;
    char a[16], b[16], name[16], sql[512];
    fmt_day(day, a, sizeof a, false);
    fmt_day(day + 1, b, sizeof b, false);
    fmt_day(day, name, sizeof name, true);
    /* separate statements: one multi-statement string is one transaction whose catalog
     * snapshot predates the lock, and would miss a partition another collector just made */
    snprintf(sql, sizeof sql,
             "CREATE TABLE IF NOT EXISTS events_%s PARTITION OF events"
             " FOR VALUES FROM ('%s 00:00:00+00') TO ('%s 00:00:00+00')", name, a, b);
    char lock[64], unlock[64];
    snprintf(lock, sizeof lock, "SELECT pg_advisory_lock(%d)", ADVISORY_PARTITIONS);
    snprintf(unlock, sizeof unlock, "SELECT pg_advisory_unlock(%d)", ADVISORY_PARTITIONS);
    if (pg_exec(c, lock, err, err_len))
        return -1;
    int rc = pg_exec(c, sql, err, err_len);
    PQclear(PQexec(c->pg, unlock));
    if (rc)
        return -1;
    if (c->n_days == c->cap_days) {
        c->cap_days = c->cap_days ? c->cap_days * 2 : 16;
        c->days = vg_xrealloc(c->days, c->cap_days * sizeof *c->days);
    }
    c->days[c->n_days++] = day;
    return 0;
}

/* Drops day partitions (and rollup days) older than the retention. */
static int retention(collector_t *c, char *err, size_t err_len)
{
    if (!c->o->retention_days)
        return 0;
    int32_t cutoff = today_utc() - (int32_t)c->o->retention_days;
    PGresult *r = PQexec(c->pg, "SELECT c.relname FROM pg_inherits i JOIN pg_class c"
                                " ON c.oid = i.inhrelid WHERE i.inhparent = 'events'::regclass");
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        pg_msg(c->pg, r, err, err_len);
        PQclear(r);
        return -1;
    }
    int rc = 0;
    for (int i = 0; i < PQntuples(r) && rc == 0; i++) {
        const char *name = PQgetvalue(r, i, 0);
        int y, m, d, n = 0;
        if (sscanf(name, "events_%4d%2d%2d%n", &y, &m, &d, &n) != 3 || name[n])
            continue;
        int32_t day = (int32_t)days_from_civil(y, (unsigned)m, (unsigned)d);
        if (day >= cutoff)
            continue;
        char sql[256], lock[64], unlock[64];
        snprintf(sql, sizeof sql, "DROP TABLE IF EXISTS %s", name);
        snprintf(lock, sizeof lock, "SELECT pg_advisory_lock(%d)", ADVISORY_PARTITIONS);
        snprintf(unlock, sizeof unlock, "SELECT pg_advisory_unlock(%d)", ADVISORY_PARTITIONS);
        rc = pg_exec(c, lock, err, err_len);
        if (rc == 0) {
            rc = pg_exec(c, sql, err, err_len);
            PQclear(PQexec(c->pg, unlock));
        }
        if (rc == 0)
            vg_log(VG_LOG_INFO, "collect: retention: dropped partition %s", name);
        for (size_t k = 0; k < c->n_days; k++)
            if (c->days[k] == day)
                c->days[k] = c->days[--c->n_days];
    }
    PQclear(r);
    if (rc == 0) {
        char sql[128], cd[16];
        fmt_day(cutoff, cd, sizeof cd, false);
        snprintf(sql, sizeof sql, "DELETE FROM alert_daily WHERE day < '%s'", cd);
        rc = pg_exec(c, sql, err, err_len);
    }
    if (rc == 0) {
        /* the report's tables (derive.c): alerts and cells of those days, incidents that
         * ended before them */
        char sql[512];
        long long us = (long long)cutoff * 86400 * 1000000;
        snprintf(sql, sizeof sql, "DELETE FROM alerts WHERE ts < %lld;"
                 "DELETE FROM alert_rollup WHERE day < %d;"
                 "DELETE FROM incidents WHERE end_ts < %lld", us, (int)cutoff, us);
        rc = pg_exec(c, sql, err, err_len);
    }
    return rc;
}

/* Entries every group has acknowledged can leave the stream: below the oldest pending entry of
 * any group and not after any group's last delivered entry. */
static void trim_stream(collector_t *c)
{
    redisReply *r = redisCommand(c->rc, "XINFO GROUPS %s", c->o->stream);
    if (!r || r->type != REDIS_REPLY_ARRAY) {
        if (r)
            freeReplyObject(r);
        return;
    }
    uint64_t min_ms = UINT64_MAX, min_sq = UINT64_MAX;
    bool ok = r->elements > 0;
    for (size_t g = 0; g < r->elements && ok; g++) {
        redisReply *gi = r->element[g];
        const char *name = NULL, *last = NULL;
        long long pending = 0;
        for (size_t k = 0; k + 1 < gi->elements; k += 2) {
            const char *key = gi->element[k]->str;
            redisReply *v = gi->element[k + 1];
            if (!key)
                continue;
            if (!strcmp(key, "name") && v->type == REDIS_REPLY_STRING)
                name = v->str;
            else if (!strcmp(key, "last-delivered-id") && v->type == REDIS_REPLY_STRING)
                last = v->str;
            else if (!strcmp(key, "pending") && v->type == REDIS_REPLY_INTEGER)
                pending = v->integer;
        }
        if (!name || !last) {
            ok = false;
            break;
        }
        unsigned long long ms, sq;
        if (pending > 0) {
            redisReply *p = redisCommand(c->rc, "XPENDING %s %s", c->o->stream, name);
            if (!p || p->type != REDIS_REPLY_ARRAY || p->elements < 2 ||
                p->element[1]->type != REDIS_REPLY_STRING ||
                sscanf(p->element[1]->str, "%llu-%llu", &ms, &sq) != 2)
                ok = false;
            if (p)
                freeReplyObject(p);
        } else {
            if (sscanf(last, "%llu-%llu", &ms, &sq) != 2)
                ok = false;
            sq++; /* the first id after it */
        }
        if (ok && (ms < min_ms || (ms == min_ms && sq < min_sq))) {
            min_ms = ms;
            min_sq = sq;
        }
    }
    freeReplyObject(r);
    if (!ok || min_ms == UINT64_MAX)
        return;
    r = redisCommand(c->rc, "XTRIM %s MINID %llu-%llu", c->o->stream,
                     (unsigned long long)min_ms, (unsigned long long)min_sq);
    if (r)
        freeReplyObject(r);
}

/* --- one batch -------------------------------------------------------------------------------- */

static int cmp_row(const void *a, const void *b)
{
    const row_t *x = a, *y = b;
    bool xb = x->reason || x->gone, yb = y->reason || y->gone;
    if (xb != yb)
        return xb ? 1 : -1;
    if (xb)
        return 0;
    int s = strcmp(x->sensor, y->sensor);
    if (s)
        return s;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}


/* An event of an entry: its JSON checked, its columns, timestamp and type. */
static void parse_event(row_t *row, int32_t cutoff)
{
    row->reason = vg_evscan(row->raw, row->raw_len, &row->cols, arena_alloc);
    if (row->reason)
        return;
    const char *ts = ev_str(&row->cols, EV_TIMESTAMP);
    if (!ts || vg_collect_parse_ts(ts, &row->ts_us)) {
        row->reason = "event has no valid timestamp";
        return;
    }
    if (!ev_str(&row->cols, EV_EVENT_TYPE)) {
        row->reason = "event has no event_type";
        return;
    }
    row->day = (int32_t)(row->ts_us / 1000000 / 86400);
    if (cutoff && row->day < cutoff)
        row->expired = row->skip = true;
}

/* The "events" field of a sensor's entry, when it has one (NULL otherwise). */
static redisReply *events_field(redisReply *e)
{
    if (e->type != REDIS_REPLY_ARRAY || e->elements < 2 || e->element[1]->type != REDIS_REPLY_ARRAY)
        return NULL;
    redisReply *f = e->element[1];
    for (size_t k = 0; k + 1 < f->elements; k += 2)
        if (f->element[k]->type == REDIS_REPLY_STRING && f->element[k + 1]->type == REDIS_REPLY_STRING &&
            !strcmp(f->element[k]->str, "events"))
            return f->element[k + 1];
    return NULL;
}

/* How many rows an entry makes: one per event of "events" (one per line), else one. */
static size_t entry_rows(redisReply *e)
{
    redisReply *ev = events_field(e);
    size_t n = 1;
    const char *p = ev ? ev->str : NULL, *end = ev ? ev->str + ev->len : NULL;
    while (p && (p = memchr(p, '\n', (size_t)(end - p)))) {
        n++;
        p++;
    }
    return n;
}

/* Parses one stream entry into its rows: a sensor's entry carries consecutive events, the first
 * with sequence number "seq", one per line in "events" (src/ship); an entry with a single
 * "event" is read too. An entry that is not a sensor's makes one row with the reason; an event
 * that is not valid makes its own row's reason, the entry's other events flow on. Returns the
 * number of rows written (entry_rows(e)). */
static size_t parse_entry(redisReply *e, row_t *rows, int32_t cutoff)
{
    size_t n_rows = entry_rows(e);
    memset(rows, 0, n_rows * sizeof *rows);
    row_t *row = &rows[0];
    if (e->type != REDIS_REPLY_ARRAY || e->elements < 2 || e->element[0]->type != REDIS_REPLY_STRING) {
        row->reason = "malformed reply";
        row->gone = true;
        return 1;
    }
    row->id = e->element[0]->str;
    redisReply *f = e->element[1];
    if (f->type == REDIS_REPLY_NIL) {
        row->gone = true;
        return 1;
    }
    const char *seq = NULL, *sensor = NULL;
    redisReply *one = NULL, *many = NULL;
    for (size_t k = 0; f->type == REDIS_REPLY_ARRAY && k + 1 < f->elements; k += 2) {
        redisReply *key = f->element[k], *v = f->element[k + 1];
        if (key->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING)
            continue;
        if (!strcmp(key->str, "sensor"))
            sensor = v->str;
        else if (!strcmp(key->str, "seq"))
            seq = v->str;
        else if (!strcmp(key->str, "event"))
            one = v;
        else if (!strcmp(key->str, "events"))
            many = v;
    }
    const char *why = NULL;
    unsigned long long sq = 0;
    if (!sensor || !seq || (!one) == (!many)) {
        why = "not a vigil entry (fields sensor, seq and event or events expected)";
    } else {
        size_t sl = strlen(sensor);
        char *end;
        sq = strtoull(seq, &end, 10);
        if (sl == 0 || sl > 255)
            why = "sensor name empty or longer than 255 bytes";
        else if (!vg_valid_utf8((const unsigned char *)sensor, sl))
            why = "sensor name is not UTF-8";
        else if (*end || end == seq || sq == 0 || sq > INT64_MAX - n_rows)
            why = "seq is not a positive integer";
    }
    if (why) { /* the whole entry is set aside, as it is */
        for (size_t i = 1; i < n_rows; i++)
            rows[i] = (row_t){.id = row->id, .gone = true};
        row->reason = why;
        return n_rows;
    }
    const char *p = one ? one->str : many->str;
    const char *end = p + (one ? one->len : many->len);
    for (size_t i = 0; i < n_rows; i++) {
        const char *nl = one ? end : memchr(p, '\n', (size_t)(end - p));
        if (!nl)
            nl = end;
        rows[i].id = row->id;
        rows[i].sensor = sensor;
        rows[i].seq = sq + i;
        rows[i].raw = p;
        rows[i].raw_len = (size_t)(nl - p);
        parse_event(&rows[i], cutoff);
        p = nl + 1;
    }
    return n_rows;
}

/* The rows go to PostgreSQL in COPY's binary format: each field its length and its value in
 * the type's binary form, so the collector escapes nothing and formats no timestamp, and
 * PostgreSQL does not scan each line byte by byte for delimiters and escapes (about a quarter of
 * its backend's CPU per event with the text format: bench/RESULTS.md). */
static void bin_u16(vg_buf_t *b, uint16_t v)
{
    unsigned char t[2] = {(unsigned char)(v >> 8), (unsigned char)v};
    vg_buf_append(b, t, 2);
}

static void bin_u32(vg_buf_t *b, uint32_t v)
{
    unsigned char t[4] = {(unsigned char)(v >> 24), (unsigned char)(v >> 16),
                          (unsigned char)(v >> 8), (unsigned char)v};
    vg_buf_append(b, t, 4);
}

static void bin_null(vg_buf_t *b) { bin_u32(b, UINT32_MAX); /* length -1 */ }

static void bin_i64(vg_buf_t *b, int64_t v)
{
    bin_u32(b, 8);
    bin_u32(b, (uint32_t)((uint64_t)v >> 32));
    bin_u32(b, (uint32_t)v);
}

static void bin_bytes(vg_buf_t *b, const char *s, size_t n)
{
    bin_u32(b, (uint32_t)n);
    vg_buf_append(b, s, n);
}

static void bin_str(vg_buf_t *b, const char *s)
{
    if (s)
        bin_bytes(b, s, strlen(s));
    else
        bin_null(b);
}

/* inet: family (2 IPv4, 3 IPv6 in PostgreSQL's numbering), bits, is_cidr, length, address */
static void bin_ip(vg_buf_t *b, const char *s)
{
    unsigned char a[16];
    int v4 = s && inet_pton(AF_INET, s, a) == 1;
    if (!v4 && !(s && inet_pton(AF_INET6, s, a) == 1)) {
        bin_null(b);
        return;
    }
    unsigned char h[4] = {v4 ? 2 : 3, v4 ? 32 : 128, 0, v4 ? 4 : 16};
    bin_u32(b, 4u + h[3]);
    vg_buf_append(b, h, 4);
    vg_buf_append(b, a, h[3]);
}

static void bin_int(vg_buf_t *b, const ev_val_t *v, int64_t lo, int64_t hi, bool wide)
{
    if (v->type != EVV_INT || v->i < lo || v->i > hi) {
        bin_null(b);
    } else if (wide) {
        bin_i64(b, v->i);
    } else {
        bin_u32(b, 4);
        bin_u32(b, (uint32_t)(int32_t)v->i);
    }
}

#define PG_EPOCH_US 946684800000000LL /* 2000-01-01 UTC, PostgreSQL's timestamp origin */
#define COPY_FIELDS 19 /* the columns of events, in order (schema.c) */

static void copy_header(vg_buf_t *b)
{
    vg_buf_append(b, "PGCOPY\n\377\r\n", 11);
    bin_u32(b, 0); /* flags */
    bin_u32(b, 0); /* header extension */
}

static void copy_trailer(vg_buf_t *b) { bin_u16(b, UINT16_MAX); /* -1 */ }

static void copy_row(vg_buf_t *b, const row_t *r)
{
    bin_u16(b, COPY_FIELDS);
    bin_i64(b, r->ts_us - PG_EPOCH_US);
    bin_str(b, r->sensor);
    bin_i64(b, (int64_t)r->seq);
    const ev_cols_t *c = &r->cols;
    bin_str(b, ev_str(c, EV_EVENT_TYPE));
    bin_ip(b, ev_str(c, EV_SRC_IP));
    bin_int(b, &c->v[EV_SRC_PORT], 0, 65535, false);
    bin_ip(b, ev_str(c, EV_DEST_IP));
    bin_int(b, &c->v[EV_DEST_PORT], 0, 65535, false);
    bin_str(b, ev_str(c, EV_PROTO));
    bin_int(b, &c->v[EV_SIG_ID], 0, INT64_MAX, true);
    bin_str(b, ev_str(c, EV_SIGNATURE));
    bin_str(b, ev_str(c, EV_CATEGORY));
    bin_int(b, &c->v[EV_SEVERITY], INT32_MIN, INT32_MAX, false);
    bin_str(b, ev_str(c, EV_VG_CATEGORY));
    uint8_t cnt = c->v[EV_COUNTED].type;
    if (cnt == EVV_TRUE || cnt == EVV_FALSE) {
        bin_u32(b, 1);
        vg_buf_putc(b, cnt == EVV_TRUE);
    } else {
        bin_null(b);
    }
    bin_ip(b, ev_str(c, EV_ATT_IP));
    bin_str(b, ev_str(c, EV_ATT_COUNTRY));
    bin_str(b, ev_str(c, EV_VIC_COUNTRY));
    bin_bytes(b, r->raw, r->raw_len);
}

typedef struct span {
    uint64_t lo, hi;
} span_t;

static int cmp_span(const void *a, const void *b)
{
    const span_t *x = a, *y = b;
    return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* COPY c->copy into table. -1 with err; *dup when a unique key refused a row. */
static int copy_in(collector_t *c, const char *sql, bool *dup, char *err, size_t err_len)
{
    *dup = false;
    PGresult *r = PQexec(c->pg, sql);
    if (PQresultStatus(r) != PGRES_COPY_IN) {
        pg_msg(c->pg, r, err, err_len);
        PQclear(r);
        return -1;
    }
    PQclear(r);
    if (PQputCopyData(c->pg, c->copy.data, (int)c->copy.len) != 1 ||
        PQputCopyEnd(c->pg, NULL) != 1) {
        pg_msg(c->pg, NULL, err, err_len);
        return -1;
    }
    r = PQgetResult(c->pg);
    bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    if (!ok) {
        pg_msg(c->pg, r, err, err_len);
        const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
        *dup = state && !strcmp(state, "23505");
    }
    PQclear(r);
    while ((r = PQgetResult(c->pg)))
        PQclear(r);
    return ok ? 0 : -1;
}

static void fmt_ts(int64_t us, char *t, size_t n)
{
    time_t secs = (time_t)(us / 1000000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    size_t k = strftime(t, n, "%Y-%m-%d %H:%M:%S", &tm);
    snprintf(t + k, n - k, ".%06d+00", (int)(us % 1000000));
}

/* The batch in one transaction. Returns 0 (committed), -1 (rolled back; err).
 *
 * Fast path: the committed marks and ranges, read under the sensors' row locks, already rule out
 * every row PostgreSQL has, so the rows are COPY'd straight into events and the rollup is taken
 * from them. Should the unique key still refuse a row (progress rows edited by hand, ...), the
 * batch is done again through the staging table with ON CONFLICT DO NOTHING (use_stage). */
/* One sensor's rows in a batch (rows[from, to), sorted by seq) and its progress. */
typedef struct sens {
    size_t from, to;
    uint64_t committed, committed0; /* the committed mark now; when the batch began */
    size_t n_spans0;
    int64_t id;                     /* the sensor's id: the run of its events without run records */
} sens_t;

/* The report's tables (derive.c) follow each sensor's committed mark: the alerts and run
 * records numbered in (mark when the batch began, mark now] are derived in this transaction, in
 * sequence order, so incidents are made in the order the sensor wrote its events and every
 * alert gets the run whose start record precedes it, even when collectors commit its batches
 * out of order (a batch above a gap is derived by the one that fills the gap, read back from
 * events). Alerts already in `alerts` (progress rows edited by hand) are passed over. */
static int derive_committed(collector_t *c, row_t *rows, const sens_t *ss, size_t n_ss,
                            vg_derive_in_t **din, char *err, size_t err_len)
{
    size_t nd = 0, cap = 0;
    PGresult *held[64];
    size_t n_held = 0;
    int rc = -1;
    int64_t window = c->o->incident_window_s ? (int64_t)c->o->incident_window_s * 1000000
                                             : VG_COLLECT_INCIDENT_WINDOW_US;
    for (size_t s = 0; s < n_ss; s++) {
        uint64_t lo = ss[s].committed0, hi = ss[s].committed;
        if (hi <= lo)
            continue;
        const char *sensor = rows[ss[s].from].sensor;
        char slo[24], shi[24];
        snprintf(slo, sizeof slo, "%" PRIu64, lo);
        snprintf(shi, sizeof shi, "%" PRIu64, hi);
        const char *q[3] = {sensor, slo, shi};
        /* the run the range starts in: the latest start record at or below the mark, else the
         * sensor's events without run records (its own id, sensors.unrecorded) */
        PGresult *cr = pg_params(c, "SELECT id FROM run_records WHERE sensor = $1 AND"
                                    " start_seq <= $2 ORDER BY start_seq DESC LIMIT 1", 2, q,
                                 err, err_len);
        if (!cr)
            goto out;
        bool unrecorded = PQntuples(cr) == 0, used_unrecorded = false;
        int64_t run = unrecorded ? ss[s].id : strtoll(PQgetvalue(cr, 0, 0), NULL, 10);
        PQclear(cr);
        /* alerts of the range already derived: none, unless progress rows were edited */
        PGresult *ex = pg_params(c, "SELECT seq FROM alerts WHERE sensor = $1 AND seq > $2"
                                    " AND seq <= $3 ORDER BY seq", 3, q, err, err_len);
        if (!ex)
            goto out;
        int n_ex = PQntuples(ex), i_ex = 0;
        uint64_t in_batch = 0;
        for (size_t k = ss[s].from; k < ss[s].to; k++)
            in_batch += !rows[k].skip && rows[k].seq > lo && rows[k].seq <= hi;
        PGresult *back = NULL;
        int nb = 0;
        if (in_batch != hi - lo) {
            if (n_held == sizeof held / sizeof held[0]) {
                PQclear(ex);
                snprintf(err, err_len, "collect: too many sensors with gaps in one batch");
                goto out;
            }
            back = pg_params(c, "SELECT seq, event::text, event_type = 'vigil_run' FROM events"
                                " WHERE sensor = $1 AND seq > $2 AND seq <= $3"
                                " AND event_type IN ('alert', 'vigil_run') ORDER BY seq", 3, q,
                             err, err_len);
            if (!back) {
                PQclear(ex);
                goto out;
            }
            held[n_held++] = back;
            nb = PQntuples(back);
        }
        size_t k = ss[s].from;
        for (int b = 0;;) {
            vg_derive_in_t d = {.sensor = sensor};
            bool is_run;
            if (back) {
                if (b >= nb)
                    break;
                d.seq = strtoull(PQgetvalue(back, b, 0), NULL, 10);
                d.raw = PQgetvalue(back, b, 1);
                d.len = (size_t)PQgetlength(back, b, 1);
                is_run = PQgetvalue(back, b, 2)[0] == 't';
                b++;
            } else {
                if (k >= ss[s].to)
                    break;
                row_t *r = &rows[k++];
                const char *et = r->skip ? NULL : ev_str(&r->cols, EV_EVENT_TYPE);
                if (!et || r->seq <= lo || r->seq > hi)
                    continue;
                is_run = !strcmp(et, "vigil_run");
                if (!is_run && strcmp(et, "alert"))
                    continue;
                d.seq = r->seq;
                d.raw = r->raw;
                d.len = r->raw_len;
            }
            if (is_run) {
                /* the alerts before it belong to the run before it */
                if (vg_collect_derive(c->pg, c->dc, *din, nd, window, err, err_len) ||
                    vg_collect_run_record(c->pg, sensor, d.seq, d.raw, d.len, &run, &unrecorded,
                                          err, err_len)) {
                    PQclear(ex);
                    goto out;
                }
                nd = 0;
                continue;
            }
            while (i_ex < n_ex && strtoull(PQgetvalue(ex, i_ex, 0), NULL, 10) < d.seq)
                i_ex++;
            if (i_ex < n_ex && strtoull(PQgetvalue(ex, i_ex, 0), NULL, 10) == d.seq)
                continue;
            if (nd == cap) {
                cap = cap ? cap * 2 : 256;
                *din = vg_xrealloc(*din, cap * sizeof **din);
            }
            d.run = run;
            used_unrecorded |= unrecorded;
            (*din)[nd++] = d;
        }
        PQclear(ex);
        if (used_unrecorded) {
            PGresult *u = pg_params(c, "UPDATE sensors SET unrecorded = true WHERE sensor = $1"
                                       " AND NOT unrecorded", 1, q, err, err_len);
            if (!u)
                goto out;
            PQclear(u);
        }
    }
    rc = vg_collect_derive(c->pg, c->dc, *din, nd, window, err, err_len);
out:
    for (size_t i = 0; i < n_held; i++)
        PQclear(held[i]);
    return rc;
}

static int commit_batch_1(collector_t *c, row_t *rows, size_t n, bool use_stage, bool *retry,
                          char *err, size_t err_len);

static int commit_batch(collector_t *c, row_t *rows, size_t n, char *err, size_t err_len)
{
    bool retry = false;
    int rc = commit_batch_1(c, rows, n, false, &retry, err, err_len);
    if (rc && retry) {
        vg_log(VG_LOG_WARN, "collect: %s; writing the batch again, skipping rows already there",
               err);
        for (size_t i = 0; i < n; i++)
            rows[i].skip = rows[i].expired;
        rc = commit_batch_1(c, rows, n, true, &retry, err, err_len);
    }
    return rc;
}

static int commit_batch_1(collector_t *c, row_t *rows, size_t n, bool use_stage, bool *retry,
                          char *err, size_t err_len)
{
    size_t n_ok = 0;
    while (n_ok < n && !rows[n_ok].reason && !rows[n_ok].gone)
        n_ok++;
    if (n_ok == 0)
        return 0;
    for (size_t i = 0; i < n_ok; i++)
        if (!rows[i].skip && ensure_partition(c, rows[i].day, err, err_len))
            return -1;
    if (pg_exec(c, "BEGIN", err, err_len))
        return -1;
    /* per sensor (rows are sorted by sensor, then seq): lock its progress row, skip replays */
    span_t *spans = NULL;
    size_t cap_spans = 0;
    sens_t *ss = vg_xcalloc(n_ok, sizeof *ss);
    vg_derive_in_t *din = NULL;
    size_t n_ss = 0;
    for (size_t i = 0; i < n_ok;) {
        size_t j = i;
        while (j < n_ok && !strcmp(rows[j].sensor, rows[i].sensor))
            j++;
        ss[n_ss] = (struct sens){.from = i, .to = j};
        const char *p[1] = {rows[i].sensor};
        PGresult *r = pg_params(c, "INSERT INTO sensors (sensor) VALUES ($1) ON CONFLICT DO NOTHING",
                                1, p, err, err_len);
        if (!r)
            goto fail;
        PQclear(r);
        r = pg_params(c, "SELECT committed, id FROM sensors WHERE sensor = $1 FOR UPDATE", 1, p,
                      err, err_len);
        if (!r)
            goto fail;
        ss[n_ss].committed = strtoull(PQgetvalue(r, 0, 0), NULL, 10);
        ss[n_ss].committed0 = ss[n_ss].committed;
        ss[n_ss].id = strtoll(PQgetvalue(r, 0, 1), NULL, 10);
        PQclear(r);
        r = pg_params(c, "SELECT lo, hi FROM sensor_ranges WHERE sensor = $1 ORDER BY lo", 1, p,
                      err, err_len);
        if (!r)
            goto fail;
        int nr = PQntuples(r);
        span_t *have = vg_xcalloc((size_t)nr + 1, sizeof *have);
        for (int k = 0; k < nr; k++) {
            have[k].lo = strtoull(PQgetvalue(r, k, 0), NULL, 10);
            have[k].hi = strtoull(PQgetvalue(r, k, 1), NULL, 10);
        }
        PQclear(r);
        for (size_t k = i; k < j; k++) {
            if (rows[k].seq <= ss[n_ss].committed)
                rows[k].skip = true;
            for (int h = 0; h < nr && !rows[k].skip; h++)
                if (rows[k].seq >= have[h].lo && rows[k].seq <= have[h].hi)
                    rows[k].skip = true;
            if (k > i && rows[k].seq == rows[k - 1].seq)
                rows[k].skip = true; /* the same entry twice in one batch (a resend) */
        }
        free(have);
        n_ss++;
        i = j;
    }
    /* the rows */
    size_t to_copy = 0;
    c->copy.len = 0;
    copy_header(&c->copy);
    for (size_t i = 0; i < n_ok; i++)
        if (!rows[i].skip) {
            copy_row(&c->copy, &rows[i]);
            to_copy++;
        }
    copy_trailer(&c->copy);
    long long inserted = 0;
    if (to_copy && !use_stage) {
        bool dup;
        if (copy_in(c, "COPY events FROM STDIN (FORMAT binary)", &dup, err, err_len)) {
            *retry = dup;
            goto fail;
        }
        inserted = (long long)to_copy;
        /* the rollup from this batch's alert rows, per sensor */
        vg_buf_t seqs;
        vg_buf_init(&seqs, 256);
        for (size_t s = 0; s < n_ss; s++) {
            seqs.len = 0;
            vg_buf_append(&seqs, "{", 1);
            int64_t lo = INT64_MAX, hi = INT64_MIN;
            for (size_t k = ss[s].from; k < ss[s].to; k++) {
                const char *et = rows[k].skip ? NULL : ev_str(&rows[k].cols, EV_EVENT_TYPE);
                if (!et || strcmp(et, "alert"))
                    continue;
                char t[24];
                int tl = snprintf(t, sizeof t, "%s%" PRIu64, seqs.len > 1 ? "," : "", rows[k].seq);
                vg_buf_append(&seqs, t, (size_t)tl);
                if (rows[k].ts_us < lo)
                    lo = rows[k].ts_us;
                if (rows[k].ts_us > hi)
                    hi = rows[k].ts_us;
            }
            if (seqs.len == 1)
                continue;
            vg_buf_append(&seqs, "}", 2);
            char tlo[64], thi[64];
            fmt_ts(lo, tlo, sizeof tlo);
            fmt_ts(hi, thi, sizeof thi);
            const char *q[4] = {rows[ss[s].from].sensor, seqs.data, tlo, thi};
            PGresult *r = pg_params(c,
                "INSERT INTO alert_daily SELECT (ts AT TIME ZONE 'UTC')::date, sensor,"
                " signature_id, coalesce(signature, ''), coalesce(category, ''),"
                " coalesce(vigil_category, ''), coalesce(attacker_country, ''), count(*),"
                " count(*) FILTER (WHERE counted) FROM events"
                " WHERE sensor = $1 AND seq = ANY($2::bigint[]) AND ts BETWEEN $3 AND $4"
                " AND event_type = 'alert' AND signature_id IS NOT NULL"
                " GROUP BY 1, 2, 3, 4, 5, 6, 7"
                " ON CONFLICT (day, sensor, signature_id, signature, category, vigil_category,"
                " attacker_country) DO UPDATE SET alerts = alert_daily.alerts + EXCLUDED.alerts,"
                " counted = alert_daily.counted + EXCLUDED.counted", 4, q, err, err_len);
            if (!r) {
                vg_buf_fini(&seqs);
                goto fail;
            }
            PQclear(r);
        }
        vg_buf_fini(&seqs);
    } else if (to_copy) {
        bool dup;
        if (copy_in(c, "COPY stage FROM STDIN (FORMAT binary)", &dup, err, err_len))
            goto fail;
        PGresult *r = PQexec(c->pg,
                   "WITH ins AS (INSERT INTO events SELECT * FROM stage ON CONFLICT DO NOTHING"
                   "  RETURNING ts, sensor, event_type, signature_id, signature, category,"
                   "  vigil_category, counted, attacker_country),"
                   " roll AS (INSERT INTO alert_daily SELECT (ts AT TIME ZONE 'UTC')::date, sensor,"
                   "  signature_id, coalesce(signature, ''), coalesce(category, ''),"
                   "  coalesce(vigil_category, ''), coalesce(attacker_country, ''), count(*),"
                   "  count(*) FILTER (WHERE counted) FROM ins"
                   "  WHERE event_type = 'alert' AND signature_id IS NOT NULL"
                   "  GROUP BY 1, 2, 3, 4, 5, 6, 7"
                   "  ON CONFLICT (day, sensor, signature_id, signature, category, vigil_category,"
                   "  attacker_country) DO UPDATE SET alerts = alert_daily.alerts + EXCLUDED.alerts,"
                   "  counted = alert_daily.counted + EXCLUDED.counted)"
                   " SELECT count(*) FROM ins");
        if (PQresultStatus(r) != PGRES_TUPLES_OK) {
            pg_msg(c->pg, r, err, err_len);
            PQclear(r);
            goto fail;
        }
        inserted = atoll(PQgetvalue(r, 0, 0));
        PQclear(r);
    }
    /* each sensor's progress: its committed prefix and the runs above it */
    for (size_t s = 0; s < n_ss; s++) {
        const char *sensor = rows[ss[s].from].sensor;
        const char *p[1] = {sensor};
        PGresult *r = pg_params(c, "SELECT lo, hi FROM sensor_ranges WHERE sensor = $1", 1, p,
                                err, err_len);
        if (!r)
            goto fail;
        size_t need = (size_t)PQntuples(r) + (ss[s].to - ss[s].from) + 1;
        if (need > cap_spans) {
            cap_spans = need;
            spans = vg_xrealloc(spans, cap_spans * sizeof *spans);
        }
        size_t ns = 0;
        spans[ns++] = (span_t){0, ss[s].committed};
        for (int k = 0; k < PQntuples(r); k++)
            spans[ns++] = (span_t){strtoull(PQgetvalue(r, k, 0), NULL, 10),
                                   strtoull(PQgetvalue(r, k, 1), NULL, 10)};
        PQclear(r);
        for (size_t k = ss[s].from; k < ss[s].to; k++)
            spans[ns++] = (span_t){rows[k].seq, rows[k].seq};
        qsort(spans, ns, sizeof *spans, cmp_span);
        size_t m = 0;
        for (size_t k = 1; k < ns; k++) {
            if (spans[k].lo <= spans[m].hi + 1) {
                if (spans[k].hi > spans[m].hi)
                    spans[m].hi = spans[k].hi;
            } else {
                spans[++m] = spans[k];
            }
        }
        ns = m + 1;
        ss[s].committed = spans[0].lo == 0 ? spans[0].hi : 0;
        size_t first = spans[0].lo == 0 ? 1 : 0;
        r = pg_params(c, "DELETE FROM sensor_ranges WHERE sensor = $1", 1, p, err, err_len);
        if (!r)
            goto fail;
        PQclear(r);
        for (size_t k = first; k < ns; k++) {
            char lo[24], hi[24];
            snprintf(lo, sizeof lo, "%" PRIu64, spans[k].lo);
            snprintf(hi, sizeof hi, "%" PRIu64, spans[k].hi);
            const char *q[3] = {sensor, lo, hi};
            r = pg_params(c, "INSERT INTO sensor_ranges VALUES ($1, $2, $3)", 3, q, err, err_len);
            if (!r)
                goto fail;
            PQclear(r);
        }
        char cm[24], ne[24], lo[24], hi[24];
        size_t n_new = 0;
        int64_t tlo = INT64_MAX, thi = INT64_MIN;
        for (size_t k = ss[s].from; k < ss[s].to; k++) {
            n_new += !rows[k].skip;
            if (!rows[k].skip && rows[k].ts_us < tlo)
                tlo = rows[k].ts_us;
            if (!rows[k].skip && rows[k].ts_us > thi)
                thi = rows[k].ts_us;
        }
        snprintf(cm, sizeof cm, "%" PRIu64, ss[s].committed);
        snprintf(ne, sizeof ne, "%zu", n_new);
        snprintf(lo, sizeof lo, "%" PRId64, tlo);
        snprintf(hi, sizeof hi, "%" PRId64, thi);
        /* first_ts/last_ts: the time span of the sensor's events (the report's run span) */
        char win[24];
        snprintf(win, sizeof win, "%u", c->o->incident_window_s ? c->o->incident_window_s : 3600);
        const char *q[6] = {sensor, cm, ne, n_new ? lo : NULL, n_new ? hi : NULL, win};
        r = pg_params(c, "UPDATE sensors SET committed = $2, events = events + $3,"
                         " last_commit = now(), first_ts = least(first_ts, $4::bigint),"
                         " last_ts = greatest(last_ts, $5::bigint), incident_window = $6"
                         " WHERE sensor = $1", 6, q, err, err_len);
        if (!r)
            goto fail;
        PQclear(r);
    }
    if (derive_committed(c, rows, ss, n_ss, &din, err, err_len))
        goto fail;
    if (pg_exec(c, "COMMIT", err, err_len))
        goto fail;
    c->st->batches++;
    c->st->inserted += (uint64_t)inserted;
    for (size_t i = 0; i < n_ok; i++) {
        if (rows[i].expired)
            c->st->expired++;
        else if (rows[i].skip)
            c->st->duplicates++;
    }
    c->st->duplicates += to_copy - (size_t)inserted; /* caught by the unique key */
    /* tell the sensors (best effort: a lost value only makes a sensor keep and resend more) */
    for (size_t s = 0; s < n_ss && c->rc; s++)
        redisAppendCommand(c->rc, "HSET %s %s %llu", c->key_committed, rows[ss[s].from].sensor,
                           (unsigned long long)ss[s].committed);
    for (size_t s = 0; s < n_ss && c->rc; s++) {
        redisReply *r = NULL;
        if (redisGetReply(c->rc, (void **)&r) != REDIS_OK) {
            redis_drop(c);
            break;
        }
        freeReplyObject(r);
    }
    free(ss);
    free(spans);
    free(din);
    return 0;
fail:
    PQclear(PQexec(c->pg, "ROLLBACK"));
    vg_derive_cache_clear(c->dc); /* ids made in the rolled back transaction are gone */
    free(ss);
    free(spans);
    free(din);
    return -1;
}

static int dead_letter(collector_t *c, const row_t *r, redisReply *entry)
{
    const char *argv[64];
    size_t lens[64], n = 0;
    argv[n] = "XADD", lens[n++] = 4;
    argv[n] = c->key_dead, lens[n++] = strlen(c->key_dead);
    argv[n] = "*", lens[n++] = 1;
    argv[n] = "reason", lens[n++] = 6;
    argv[n] = r->reason, lens[n++] = strlen(r->reason);
    argv[n] = "id", lens[n++] = 2;
    argv[n] = r->id ? r->id : "?";
    lens[n] = strlen(argv[n]);
    n++;
    char seq[24];
    if (r->sensor && r->raw) { /* one event of a sensor's entry: that event alone */
        snprintf(seq, sizeof seq, "%" PRIu64, r->seq);
        const char *kv[6] = {"sensor", r->sensor, "seq", seq, "event", r->raw};
        size_t kl[6] = {6, strlen(r->sensor), 3, strlen(seq), 5, r->raw_len};
        for (int k = 0; k < 6; k++)
            argv[n] = kv[k], lens[n++] = kl[k];
        entry = NULL;
    }
    redisReply *f = entry && entry->elements > 1 ? entry->element[1] : NULL;
    for (size_t k = 0; f && f->type == REDIS_REPLY_ARRAY && k < f->elements && n < 64; k++) {
        if (f->element[k]->type != REDIS_REPLY_STRING)
            break;
        argv[n] = f->element[k]->str;
        lens[n++] = f->element[k]->len;
    }
    if (n % 2 == 0)
        n--; /* field/value pairs */
    redisReply *x = c->rc ? redisCommandArgv(c->rc, (int)n, argv, lens) : NULL;
    int rc = x && x->type != REDIS_REPLY_ERROR ? 0 : -1;
    if (x)
        freeReplyObject(x);
    return rc;
}

/* Writes the entries, then acknowledges them. -1: not acknowledged (they stay pending and are
 * read again). */
static int process(collector_t *c, redisReply *entries, char *err, size_t err_len)
{
    size_t n_entries = entries->elements;
    if (n_entries == 0)
        return 0;
    int32_t cutoff = c->o->retention_days ? today_utc() - (int32_t)c->o->retention_days : 0;
    size_t n = 0;
    for (size_t i = 0; i < n_entries; i++)
        n += entry_rows(entries->element[i]);
    row_t *rows = vg_xcalloc(n, sizeof *rows);
    for (size_t i = 0, k = 0; i < n_entries; i++)
        k += parse_entry(entries->element[i], &rows[k], cutoff);
    redisReply **src = entries->element; /* for dead letters: the entry of a row, by its id */
    qsort(rows, n, sizeof *rows, cmp_row);
    int rc = commit_batch(c, rows, n, err, err_len);
    char **refused = NULL;
    if (rc) {
        c->fail_streak++;
        /* The same batch failed twice with PostgreSQL still there: find the entries it refuses
         * one by one (each tried twice), set those aside, write the others. */
        if (c->fail_streak >= 2 && c->pg && PQstatus(c->pg) == CONNECTION_OK) {
            vg_log(VG_LOG_WARN, "collect: the batch failed again (%s); writing its entries one "
                   "by one", err);
            refused = vg_xcalloc(n, sizeof *refused);
            rc = 0;
            for (size_t i = 0; i < n && rc == 0; i++) {
                if (rows[i].reason || rows[i].gone)
                    continue;
                char e1[1024];
                if (commit_batch(c, &rows[i], 1, e1, sizeof e1) == 0)
                    continue;
                usleep(100000);
                if (commit_batch(c, &rows[i], 1, e1, sizeof e1) == 0)
                    continue;
                if (!c->pg || PQstatus(c->pg) != CONNECTION_OK) {
                    snprintf(err, err_len, "%s", e1);
                    rc = -1;
                    break;
                }
                size_t l = strlen(e1) + 32;
                refused[i] = vg_xmalloc(l);
                snprintf(refused[i], l, "refused by %s", e1);
                rows[i].reason = refused[i];
            }
        }
    }
    if (rc == 0 && !c->rc) {
        /* Redis went away after the commit (the committed marks could not be set): nothing can
         * be acknowledged now. The entries stay pending and are read again; their rows are
         * already in PostgreSQL, so they count as duplicates then. */
        snprintf(err, err_len, "redis: connection lost after the commit; acknowledged later");
        rc = -1;
    }
    if (rc == 0) {
        c->fail_streak = 0;
        /* dead letters and acknowledgements */
        const char **argv = vg_xcalloc(n_entries + 3, sizeof *argv);
        size_t na = 0;
        argv[na++] = "XACK";
        argv[na++] = c->o->stream;
        argv[na++] = c->o->group;
        for (size_t i = 0; i < n && rc == 0; i++) {
            if (!rows[i].id)
                continue;
            if (rows[i].reason && !rows[i].gone) {
                redisReply *e = NULL;
                for (size_t k = 0; k < n_entries && !e; k++)
                    if (src[k]->type == REDIS_REPLY_ARRAY && src[k]->elements >= 1 &&
                        src[k]->element[0]->str == rows[i].id)
                        e = src[k];
                if (!e || dead_letter(c, &rows[i], e)) {
                    snprintf(err, err_len, "redis: cannot write to %s", c->key_dead);
                    rc = -1;
                    break;
                }
                vg_log(VG_LOG_WARN, "collect: entry %s set aside in %s: %s", rows[i].id,
                       c->key_dead, rows[i].reason);
                c->st->dead++;
            }
        }
        for (size_t k = 0; k < n_entries; k++) /* every entry read, once */
            if (src[k]->type == REDIS_REPLY_ARRAY && src[k]->elements >= 1 &&
                src[k]->element[0]->type == REDIS_REPLY_STRING)
                argv[na++] = src[k]->element[0]->str;
        if (rc == 0 && na > 3) {
            redisReply *x = redisCommandArgv(c->rc, (int)na, argv, NULL);
            if (!x || x->type == REDIS_REPLY_ERROR) {
                snprintf(err, err_len, "redis XACK: %s", x ? x->str : c->rc->errstr);
                rc = -1;
                if (!x)
                    redis_drop(c); /* the context is unusable after an I/O error */
            }
            if (x)
                freeReplyObject(x);
        }
        free(argv);
        c->st->entries += n_entries;
        c->st->events += n;
    }
    for (size_t i = 0; refused && i < n; i++)
        free(refused[i]);
    free(refused);
    free(rows);
    arena_reset(); /* the batch's unescaped values are no longer used */
    return rc;
}

/* --- the loop --------------------------------------------------------------------------------- */

/* One collector thread: its own connections, consumer name and statistics. */
typedef struct worker {
    collector_t c;
    vg_collect_stats_t st;
    pthread_t th;
    bool started;
} worker_t;

static void worker_fini(worker_t *w)
{
    collector_t *c = &w->c;
    redis_drop(c);
    if (c->pg)
        PQfinish(c->pg);
    c->pg = NULL;
    vg_buf_fini(&c->copy);
    vg_derive_cache_free(c->dc);
    free(c->days);
    free(c->key_committed);
    free(c->key_dead);
}

/* The consumer-group loop of one thread, until stopped or idle. */
static void collect_loop(collector_t *c)
{
    const vg_collect_opts_t *o = c->o;
    vg_collect_stats_t *st = c->st;
    char batch[16], block[16], idle[16];
    snprintf(batch, sizeof batch, "%u", o->batch ? o->batch : 100);
    snprintf(block, sizeof block, "%u", o->block_ms ? o->block_ms : 1000);
    snprintf(idle, sizeof idle, "%u", o->claim_ms ? o->claim_ms : 30000);
    bool own_pending = true; /* first our own pending entries (a restart under the same name) */
    double last_work = now_s(), last_house = now_s(), last_claim = 0;
    char claim_cursor[64] = "0-0";
    while (!(o->stop && atomic_load(o->stop))) {
        double now = now_s();
        char e2[1024];
        if (redis_connect(c, e2, sizeof e2) || pg_connect(c, e2, sizeof e2)) {
            if (!c->redis_down_logged)
                vg_log(VG_LOG_WARN, "collect: %s; retrying", e2);
            c->redis_down_logged = true;
            own_pending = true;
            sleep(1);
            continue;
        }
        if (c->redis_down_logged)
            vg_log(VG_LOG_INFO, "collect: connected again");
        c->redis_down_logged = false;
        redisReply *r = NULL, *entries = NULL;
        bool claimed = false;
        double claim_every = (o->claim_ms ? o->claim_ms : 30000) / 2000.0;
        if (now - last_claim >= claim_every) {
            const char *argv[] = {"XAUTOCLAIM", o->stream, o->group, c->consumer, idle,
                                  claim_cursor, "COUNT", batch};
            r = redisCommandArgv(c->rc, 8, argv, NULL);
            if (r && r->type == REDIS_REPLY_ARRAY && r->elements >= 2 &&
                r->element[0]->type == REDIS_REPLY_STRING) {
                snprintf(claim_cursor, sizeof claim_cursor, "%s", r->element[0]->str);
                entries = r->element[1];
                claimed = true;
                if (!strcmp(claim_cursor, "0-0"))
                    last_claim = now; /* a full pass; next one later */
                if (entries->elements)
                    vg_log(VG_LOG_INFO, "collect: claimed %zu entries pending over %s ms",
                           entries->elements, idle);
                st->claimed += entries->elements;
            } else if (r && r->type == REDIS_REPLY_ERROR && strncmp(r->str, "NOGROUP", 7) == 0) {
                freeReplyObject(r);
                redis_drop(c); /* Redis lost the group: make it again */
                continue;
            } else {
                last_claim = now;
            }
        }
        if (!claimed || !entries || entries->elements == 0) {
            if (r)
                freeReplyObject(r);
            const char *argv[] = {"XREADGROUP", "GROUP", o->group, c->consumer, "COUNT", batch,
                                  "BLOCK", block, "STREAMS", o->stream, own_pending ? "0" : ">"};
            r = redisCommandArgv(c->rc, 11, argv, NULL);
            entries = NULL;
            if (!r) {
                vg_log(VG_LOG_WARN, "collect: redis: %s; reconnecting", c->rc->errstr);
                redis_drop(c);
                own_pending = true;
                continue;
            }
            if (r->type == REDIS_REPLY_ERROR) {
                bool nogroup = strncmp(r->str, "NOGROUP", 7) == 0;
                if (!nogroup)
                    vg_log(VG_LOG_WARN, "collect: redis XREADGROUP: %s", r->str);
                freeReplyObject(r);
                redis_drop(c); /* NOGROUP: Redis lost the group; connecting makes it again */
                own_pending = true;
                if (!nogroup)
                    sleep(1);
                continue;
            }
            if (r->type == REDIS_REPLY_ARRAY && r->elements > 0 &&
                r->element[0]->type == REDIS_REPLY_ARRAY && r->element[0]->elements == 2)
                entries = r->element[0]->element[1];
            if (own_pending && (!entries || entries->elements == 0))
                own_pending = false;
        }
        if (entries && entries->elements) {
            char e3[1024];
            if (process(c, entries, e3, sizeof e3)) {
                vg_log(VG_LOG_WARN, "collect: batch not written (%s); it is read again", e3);
                if (c->pg && PQstatus(c->pg) != CONNECTION_OK) {
                    PQfinish(c->pg);
                    c->pg = NULL;
                }
                own_pending = true;
                freeReplyObject(r);
                sleep(1);
                continue;
            }
            last_work = now_s();
        }
        freeReplyObject(r);
        now = now_s();
        if (now - last_house >= HOUSEKEEP_S) {
            char e4[1024];
            if (retention(c, e4, sizeof e4))
                vg_log(VG_LOG_WARN, "collect: retention: %s", e4);
            if (c->rc)
                trim_stream(c);
            last_house = now;
        }
        if (o->idle_exit_s && now - last_work >= o->idle_exit_s)
            break;
    }
    if (c->rc)
        trim_stream(c);
    arena_fini();
}

static void *worker_main(void *arg)
{
    worker_t *w = arg;
    collect_loop(&w->c);
    return NULL;
}

int vg_collect_run(const vg_collect_opts_t *o, vg_collect_stats_t *st, char *err, size_t err_len)
{
    memset(st, 0, sizeof *st);
    vg_redis_url_t url;
    if (vg_redis_url_parse(o->redis_url, &url, err, err_len))
        return -1;
    unsigned n = o->threads ? o->threads : 1;
    worker_t *ws = vg_xcalloc(n, sizeof *ws);
    char base[256];
    if (o->consumer) {
        snprintf(base, sizeof base, "%s", o->consumer);
    } else {
        char host[200] = "collector";
        gethostname(host, sizeof host - 1);
        snprintf(base, sizeof base, "%s-%d", host, (int)getpid());
    }
    int rc = -1;
    for (unsigned k = 0; k < n; k++) {
        collector_t *c = &ws[k].c;
        c->o = o;
        c->st = &ws[k].st;
        c->url = url;
        size_t kl = strlen(o->stream) + 16;
        c->key_committed = vg_xmalloc(kl);
        snprintf(c->key_committed, kl, "%s:committed", o->stream);
        c->key_dead = vg_xmalloc(kl);
        snprintf(c->key_dead, kl, "%s:dead", o->stream);
        /* one consumer per thread: a restart under the same --consumer finds its entries */
        if (n == 1)
            snprintf(c->consumer, sizeof c->consumer, "%s", base);
        else
            snprintf(c->consumer, sizeof c->consumer, "%s/%u", base, k + 1);
        vg_buf_init(&c->copy, 1 << 20);
        /* the first connections must work: a wrong URL, DSN or password is an error at once;
         * a connection made and then lost (Redis restarting) is retried by the loop */
        int rr = redis_connect(c, err, err_len);
        if (rr == -2)
            vg_log(VG_LOG_WARN, "collect: %s; retrying", err);
        else if (rr)
            goto out;
        if (pg_connect(c, err, err_len))
            goto out;
    }
    if (retention(&ws[0].c, err, err_len))
        goto out;
    for (unsigned k = 1; k < n; k++) {
        if (pthread_create(&ws[k].th, NULL, worker_main, &ws[k]) != 0) {
            snprintf(err, err_len, "cannot start collector thread %u", k + 1);
            goto out; /* the threads started stop when *stop is set or they are idle */
        }
        ws[k].started = true;
    }
    collect_loop(&ws[0].c);
    rc = 0;
out:
    for (unsigned k = 0; k < n; k++) {
        if (ws[k].started)
            pthread_join(ws[k].th, NULL);
        vg_collect_stats_t *t = &ws[k].st;
        st->batches += t->batches;
        st->entries += t->entries;
        st->events += t->events;
        st->inserted += t->inserted;
        st->duplicates += t->duplicates;
        st->expired += t->expired;
        st->dead += t->dead;
        st->claimed += t->claimed;
        worker_fini(&ws[k]);
    }
    free(ws);
    return rc;
}
