/* store.c — opening the store, the sink that fills it from EVE lines, incidents, and the end of
 * a run (totals, status, rerun rule). docs/STORE.md describes the tables and the units. */
#include "store/store_int.h"
#include "store/store_json.h"
#include "store/store_alert.h"
#include "common/buf.h"
#include "common/common.h"
#include "common/log.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* --- incidents in memory ------------------------------------------------------------------
 * Open incidents by key (category, attacker, victim, family). Bounded: when the table is full,
 * incidents idle for more than the window are dropped (they are closed anyway); when that frees
 * too little, all are dropped (later alerts of those keys start new incidents; counted in
 * inc_resets and logged). */
#define INC_CAP (1u << 18)

typedef struct inc {
    char *key;          /* NULL: empty slot */
    uint64_t hash;
    int64_t id;
    int64_t start, end;
    uint64_t alerts;
    int64_t first_alert, last_alert;
    bool dirty;
    bool written;       /* its row exists (its id is taken in the database) */
} inc_t;

enum {
    ST_SIG_FIND, ST_SIG_INS, ST_ALERT, ST_INC_INS, ST_INC_UPD, ST_FLOW, ST_DIM_INS,
    ST_ROLLUP, ST_INC_PREV, ST_MAX
};

/* The alert columns alert_dims holds, in its column order (schema v3). */
#define DIM_COLS "sig_id,category,counted,certainty,role_by,proto,app_proto,attacker_ip," \
                 "attacker_home,attacker_country,attacker_asn,attacker_org,victim_ip,victim_port,victim_home"
#define N_DIM_COLS 15

static const char *const stmt_sql[ST_MAX] = {
    [ST_SIG_FIND] = "SELECT id, family FROM signatures WHERE gid=?1 AND sid=?2 AND rev=?3 AND msg=?4",
    [ST_SIG_INS] = "INSERT INTO signatures(gid,sid,rev,msg,classtype,severity,family,cves) "
                   "VALUES(?1,?2,?3,?4,?5,?6,?7,?8)",
    [ST_ALERT] = "INSERT INTO alerts(run_id,ts,sig_id,category,counted,certainty,role_by,action,"
                 "proto,app_proto,src_ip,src_port,dest_ip,dest_port,flow_id,community_id,"
                 "attacker_ip,attacker_port,attacker_home,attacker_country,attacker_asn,"
                 "attacker_org,victim_ip,victim_port,victim_home,victim_country,victim_asn,"
                 "victim_org,incident_id,evidence_ref,evidence_sha256) VALUES(?1,?2,?3,?4,?5,?6,"
                 "?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20,?21,?22,?23,?24,?25,?26,"
                 "?27,?28,?29,?30,?31)",
    [ST_INC_INS] = "SELECT coalesce(max(id),0)+1 FROM incidents",
    [ST_INC_UPD] = "INSERT INTO incidents(id,start_ts,end_ts,alerts,first_alert,last_alert,run_id,"
                   "category,attacker_ip,victim_ip,family) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11)"
                   " ON CONFLICT(id) DO UPDATE SET start_ts=excluded.start_ts,"
                   "end_ts=excluded.end_ts,alerts=excluded.alerts,first_alert=excluded.first_alert,"
                   "last_alert=excluded.last_alert",
    [ST_FLOW] = "INSERT INTO flows(run_id,flow_id,start_ts,end_ts,proto,app_proto,src_ip,src_port,"
                "dest_ip,dest_port,pkts_toserver,pkts_toclient,bytes_toserver,bytes_toclient,state,"
                "reason,alerted,community_id) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,"
                "?14,?15,?16,?17,?18)",
    [ST_DIM_INS] = "INSERT INTO alert_dims(" DIM_COLS ") VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,"
                   "?12,?13,?14,?15)",
    [ST_ROLLUP] = "INSERT INTO alert_rollup(run_id,day,dim,incident_id,alerts,first_alert,last_alert,"
                  "first_ts,last_ts) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9) ON CONFLICT(run_id,day,dim,"
                  "incident_id) DO UPDATE SET alerts=alerts+excluded.alerts,"
                  "first_alert=min(first_alert,excluded.first_alert),"
                  "last_alert=max(last_alert,excluded.last_alert),"
                  "first_ts=min(first_ts,excluded.first_ts),last_ts=max(last_ts,excluded.last_ts)",
    /* An incident of an earlier counted run that an alert at ?5 continues (incidents_key). */
    [ST_INC_PREV] = "SELECT id, start_ts, end_ts, alerts, first_alert, last_alert FROM incidents "
                    "WHERE attacker_ip=?2 AND victim_ip=?3 AND category=?1 AND family=?4 AND "
                    "keyed=1 AND end_ts >= ?5 - ?6 AND start_ts <= ?5 + ?6 AND run_id IN (SELECT id FROM runs "
                    "WHERE status IN ('complete','partial')) ORDER BY end_ts DESC LIMIT 1",
};

/* --- rollups (docs/STORE.md, "Rollups") ----------------------------------------------------
 * Each alert's report columns are one row of alert_dims (found through a cache keyed by the
 * values, else looked up, else inserted); its (day, dim, incident) cell of alert_rollup is
 * accumulated in memory during the transaction and written (upsert) just before its COMMIT, so
 * the rollups always hold exactly the committed alerts. */
typedef struct dimv {
    int64_t sig_id;
    const char *cat;
    int counted;
    const char *certainty, *role_by, *proto, *app_proto, *att_ip;
    int att_home;               /* -1: NULL */
    const char *att_cc;         /* normalised: "??" when absent or empty */
    int64_t att_asn;            /* 0 when absent */
    const char *att_org;        /* "" when absent */
    const char *vic_ip;
    bool has_vic_port;
    int64_t vic_port;
    int vic_home;               /* -1: NULL */
} dimv_t;

/* Direct-mapped: a combination evicted by another comes back as a new row. */
typedef struct dimc {
    uint64_t hash;
    int64_t id;
    char *key;
    size_t klen;
} dimc_t;
#define DIM_CAP (1u << 16)

typedef struct rollc {
    int64_t day, dim, inc;
    int64_t n, id_lo, id_hi, ts_lo, ts_hi;
    bool used;
} rollc_t;
#define ROLL_CAP (1u << 15)

/* Signature cache: (gid, sid, rev, msg) → row id, so the common case needs no query. */
typedef struct sigc {
    uint64_t hash;
    int64_t id;
    char *key;
    char *family;
} sigc_t;
#define SIG_CAP (1u << 14)

struct vg_store {
    sqlite3 *db;
    char *path;
    sqlite3_stmt *st[ST_MAX];
    bool in_tx;
    int64_t run_id;
    int64_t window_us;
    enum vg_store_flows flows;
    uint32_t batch_rows;
    uint32_t pending;
    uint32_t unflushed;        /* rows since incident updates and rollup cells were last written */
    char *stats_json;          /* the latest stats event's "stats" object */
    uint64_t drops, flow_total, gaps;
    vg_store_run_summary_t sum;
    inc_t *inc;
    uint32_t n_inc;
    int64_t next_inc;          /* next incident id (set under the write lock) */
    uint32_t *dirty;           /* slots of incidents changed since the last flush */
    uint32_t n_dirty;
    uint64_t inc_resets;
    int64_t max_ts;
    int64_t prev_lo, prev_hi;  /* alert times of the earlier counted runs (prev_lo > prev_hi: none) */
    sigc_t *sig;
    vg_sjson_t *js;            /* the current line, read flat (store_json.c) */
    dimc_t *dimc;              /* alert_dims cache, direct-mapped */
    vg_buf_t dimkey;           /* the cache key being built */
    rollc_t *roll;             /* rollup cells of the open transaction */
    uint32_t *roll_used;       /* their slots, in order of first use */
    uint32_t n_roll;
    bool failed;
};

static uint64_t fnv(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (uint8_t)s[i]) * 1099511628211ull;
    return h ? h : 1;
}

const char *vg_store_explain(int rc)
{
    switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return "the store is locked by another process (a vigil read still writing?)";
    case SQLITE_NOTADB: return "not an SQLite database (or an encrypted one)";
    case SQLITE_CORRUPT: return "the database is corrupt";
    case SQLITE_FULL: return "the disk is full";
    case SQLITE_READONLY: return "the store is read-only";
    case SQLITE_CANTOPEN: return "cannot open the file";
    case SQLITE_IOERR: return "I/O error";
    case SQLITE_PERM: return "permission denied";
    default: return NULL;
    }
}

static void set_err(char *err, size_t err_len, const char *path, sqlite3 *db, int rc, const char *what)
{
    const char *why = vg_store_explain(rc);
    snprintf(err, err_len, "%s: %s%s%s%s%s", path, what ? what : "", what ? ": " : "",
             why ? why : "", why ? " — " : "", db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
}

sqlite3 *vg_store_open_db(const char *path, bool create, bool readonly, char *err, size_t err_len)
{
    sqlite3 *db = NULL;
    int flags = readonly ? SQLITE_OPEN_READONLY
                         : SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0);
    int rc = sqlite3_open_v2(path, &db, flags | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        if (!create && rc == SQLITE_CANTOPEN)
            snprintf(err, err_len, "%s: no such store", path);
        else
            set_err(err, err_len, path, db, rc, "cannot open");
        sqlite3_close(db);
        return NULL;
    }
    sqlite3_extended_result_codes(db, 1);
    sqlite3_busy_timeout(db, 5000);
    /* The first read proves it is a database at all (a text file fails here). */
    char *msg = NULL;
    rc = sqlite3_exec(db, "SELECT count(*) FROM sqlite_master", NULL, NULL, &msg);
    if (rc != SQLITE_OK) {
        set_err(err, err_len, path, db, rc, NULL);
        sqlite3_free(msg);
        sqlite3_close(db);
        return NULL;
    }
    return db;
}

vg_store_t *vg_store_open(const char *path, bool create, char *err, size_t err_len)
{
    sqlite3 *db = vg_store_open_db(path, create, false, err, err_len);
    if (!db)
        return NULL;
    int v;
    char e2[512];
    if (vg_store_read_version(db, &v, e2, sizeof e2)) {
        snprintf(err, err_len, "%s: %s", path, e2);
        sqlite3_close(db);
        return NULL;
    }
    if (v == 0 && !create) {
        snprintf(err, err_len, "%s: an empty database, not a Vigil store (vigil read --store "
                 "makes one)", path);
        sqlite3_close(db);
        return NULL;
    }
    if (v > VG_STORE_SCHEMA_VERSION) {
        snprintf(err, err_len,
                 "%s: made by a newer Vigil (store schema %d; this vigil %s knows up to %d); "
                 "use that version or another --store", path, v, VG_VERSION, VG_STORE_SCHEMA_VERSION);
        sqlite3_close(db);
        return NULL;
    }
    /* A store (or a new file): WAL, and commits durable against a crash of the process. */
    char *msg = NULL;
    int rc = sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                              "PRAGMA cache_size=-65536", NULL, NULL, &msg);
    if (rc != SQLITE_OK) {
        set_err(err, err_len, path, db, rc, NULL);
        sqlite3_free(msg);
        sqlite3_close(db);
        return NULL;
    }
    if (v < VG_STORE_SCHEMA_VERSION && vg_store_migrate(db, v, VG_STORE_SCHEMA_VERSION, e2, sizeof e2)) {
        snprintf(err, err_len, "%s: %s", path, e2);
        sqlite3_close(db);
        return NULL;
    }
    vg_store_t *s = vg_xcalloc(1, sizeof *s);
    s->db = db;
    s->path = vg_xstrdup(path);
    return s;
}

static void inc_clear(vg_store_t *s)
{
    if (!s->inc)
        return;
    for (uint32_t i = 0; i < INC_CAP; i++) {
        free(s->inc[i].key);
        s->inc[i].key = NULL;
    }
    s->n_inc = 0;
}

void vg_store_close(vg_store_t *s)
{
    if (!s)
        return;
    if (s->in_tx)
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    for (int i = 0; i < ST_MAX; i++)
        sqlite3_finalize(s->st[i]);
    sqlite3_close(s->db);
    inc_clear(s);
    free(s->inc);
    free(s->dirty);
    if (s->sig)
        for (uint32_t i = 0; i < SIG_CAP; i++) {
            free(s->sig[i].key);
            free(s->sig[i].family);
        }
    free(s->sig);
    if (s->dimc)
        for (uint32_t i = 0; i < DIM_CAP; i++)
            free(s->dimc[i].key);
    free(s->dimc);
    if (s->dimkey.cap)
        vg_buf_fini(&s->dimkey);
    free(s->roll);
    free(s->roll_used);
    free(s->stats_json);
    free(s->js);
    free(s->path);
    free(s);
}

struct sqlite3 *vg_store_db(vg_store_t *s) { return s->db; }
const char *vg_store_path(const vg_store_t *s) { return s->path; }

int vg_store_schema_version(vg_store_t *s)
{
    int v = 0;
    char err[256];
    if (vg_store_read_version(s->db, &v, err, sizeof err))
        return 0;
    return v;
}

/* --- small helpers --- */

static void iso_now(char *out, size_t n)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static bool digits(const char *s, size_t n, int *out)
{
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i]))
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

bool vg_store_parse_time(const char *s, size_t n, int64_t *us)
{
    int Y, M, D, h = 0, mi = 0, se = 0;
    if (n < 10 || s[4] != '-' || s[7] != '-' || !digits(s, 4, &Y) || !digits(s + 5, 2, &M) ||
        !digits(s + 8, 2, &D) || M < 1 || M > 12 || D < 1 || D > 31)
        return false;
    size_t i = 10;
    int64_t frac = 0;
    int64_t off = 0;
    if (i < n) {
        if ((s[i] != 'T' && s[i] != ' ') || n < i + 9 || s[i + 3] != ':' || s[i + 6] != ':' ||
            !digits(s + i + 1, 2, &h) || !digits(s + i + 4, 2, &mi) || !digits(s + i + 7, 2, &se) ||
            h > 23 || mi > 59 || se > 60)
            return false;
        i += 9;
        if (i < n && s[i] == '.') {
            i++;
            int64_t scale = 100000;
            size_t nd = 0;
            while (i < n && isdigit((unsigned char)s[i])) {
                if (nd < 6)
                    frac += (s[i] - '0') * scale;
                scale /= 10;
                nd++;
                i++;
            }
            if (!nd)
                return false;
        }
        if (i < n) {
            if (s[i] == 'Z') {
                i++;
            } else if (s[i] == '+' || s[i] == '-') {
                int oh, om;
                int sign = s[i] == '-' ? -1 : 1;
                i++;
                if (n < i + 4 || !digits(s + i, 2, &oh))
                    return false;
                i += 2;
                if (s[i] == ':')
                    i++;
                if (n < i + 2 || !digits(s + i, 2, &om))
                    return false;
                i += 2;
                off = sign * (int64_t)(oh * 3600 + om * 60);
            } else {
                return false;
            }
        }
        if (i != n)
            return false;
    }
    int64_t days = days_from_civil(Y, (unsigned)M, (unsigned)D);
    int64_t secs = days * 86400 + h * 3600 + mi * 60 + se - off;
    *us = secs * 1000000 + frac;
    return true;
}

static bool variant_token(const char *t, size_t n)
{
    if (!n)
        return false;
    size_t i = 0;
    if ((t[0] == 'M' || t[0] == 'v' || t[0] == 'V') && n > 1)
        i = 1;
    bool all = true;
    for (size_t k = i; k < n; k++)
        if (!isdigit((unsigned char)t[k]))
            all = false;
    if (all)
        return true;
    if (t[0] == '(' && t[n - 1] == ')') {
        static const char *const w[] = {"(Inbound)", "(Outbound)", "(set)", "(noalert)"};
        for (size_t k = 0; k < sizeof w / sizeof w[0]; k++)
            if (strlen(w[k]) == n && !strncasecmp(t, w[k], n))
                return true;
    }
    return n == 1 && t[0] == '-';
}

void vg_store_family(const char *msg, const char *meta_family, char *out, size_t outlen)
{
    if (!outlen)
        return;
    const char *src = meta_family && *meta_family ? meta_family : msg ? msg : "";
    size_t n = strlen(src);
    if (!(meta_family && *meta_family)) {
        /* Drop trailing variant tokens, keeping at least one word. */
        for (;;) {
            while (n && src[n - 1] == ' ')
                n--;
            size_t b = n;
            while (b && src[b - 1] != ' ')
                b--;
            if (b == 0 || !variant_token(src + b, n - b))
                break;
            n = b;
        }
    }
    if (n >= outlen)
        n = outlen - 1;
    memcpy(out, src, n);
    out[n] = '\0';
}

int vg_store_sha256_file(const char *path, char out[65], uint64_t *size, char *err, size_t err_len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, err_len, "%s: %s", path, strerror(errno));
        return -1;
    }
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    EVP_DigestInit_ex(c, EVP_sha256(), NULL);
    static __thread unsigned char buf[1 << 16];
    uint64_t tot = 0;
    size_t r;
    while ((r = fread(buf, 1, sizeof buf, f)) > 0) {
        EVP_DigestUpdate(c, buf, r);
        tot += r;
    }
    int bad = ferror(f);
    fclose(f);
    unsigned char md[32];
    unsigned int mdl = 0;
    EVP_DigestFinal_ex(c, md, &mdl);
    EVP_MD_CTX_free(c);
    if (bad) {
        snprintf(err, err_len, "%s: read error", path);
        return -1;
    }
    for (int i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
    if (size)
        *size = tot;
    return 0;
}

/* --- transactions --- */

static int fail(vg_store_t *s, const char *what)
{
    const char *why = vg_store_explain(sqlite3_errcode(s->db));
    vg_log(VG_LOG_ERROR, "store %s: %s: %s%s%s", s->path, what, why ? why : "", why ? " — " : "",
           sqlite3_errmsg(s->db));
    s->failed = true;
    return -1;
}

static int tx_begin(vg_store_t *s)
{
    if (s->in_tx)
        return 0;
    if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return fail(s, "begin");
    s->in_tx = true;
    /* Incident ids are given here, under the write lock, and written at the commit. */
    sqlite3_stmt *q = s->st[ST_INC_INS];
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW) {
        int64_t next = sqlite3_column_int64(q, 0);
        if (next > s->next_inc)
            s->next_inc = next;
    }
    sqlite3_reset(q);
    if (rc != SQLITE_ROW)
        return fail(s, "incident ids");
    return 0;
}

/* Day of an alert time: floor(trunc(ts / 1e6) / 86400), the UTC day strftime() gives for
 * ts/1000000 (the same expression as the v3 migration's). */
static int64_t day_of(int64_t ts) { return vg_store_day_of(ts); }

static int flush_rollups(vg_store_t *s)
{
    sqlite3_stmt *u = s->st[ST_ROLLUP];
    for (uint32_t i = 0; i < s->n_roll; i++) {
        rollc_t *c = &s->roll[s->roll_used[i]];
        sqlite3_bind_int64(u, 1, s->run_id);
        sqlite3_bind_int64(u, 2, c->day);
        sqlite3_bind_int64(u, 3, c->dim);
        sqlite3_bind_int64(u, 4, c->inc);
        sqlite3_bind_int64(u, 5, c->n);
        sqlite3_bind_int64(u, 6, c->id_lo);
        sqlite3_bind_int64(u, 7, c->id_hi);
        sqlite3_bind_int64(u, 8, c->ts_lo);
        sqlite3_bind_int64(u, 9, c->ts_hi);
        int rc = sqlite3_step(u);
        sqlite3_reset(u);
        if (rc != SQLITE_DONE)
            return fail(s, "rollup update");
        c->used = false;
    }
    s->n_roll = 0;
    return 0;
}

/* Adds one alert to its rollup cell of this transaction. */
static int rollup_add(vg_store_t *s, int64_t dim, int64_t inc, int64_t id, int64_t ts)
{
    int64_t day = day_of(ts);
    uint64_t h = ((uint64_t)day * 0x9E3779B97F4A7C15ull) ^ ((uint64_t)dim * 0xC2B2AE3D27D4EB4Full) ^
                 ((uint64_t)inc * 0x165667B19E3779F9ull);
    h ^= h >> 29;
    uint32_t j = (uint32_t)h & (ROLL_CAP - 1);
    while (s->roll[j].used) {
        rollc_t *c = &s->roll[j];
        if (c->day == day && c->dim == dim && c->inc == inc) {
            c->n++;
            if (id < c->id_lo)
                c->id_lo = id;
            if (id > c->id_hi)
                c->id_hi = id;
            if (ts < c->ts_lo)
                c->ts_lo = ts;
            if (ts > c->ts_hi)
                c->ts_hi = ts;
            return 0;
        }
        j = (j + 1) & (ROLL_CAP - 1);
    }
    if (s->n_roll >= ROLL_CAP / 2) { /* write what is there (upserts add up) and start over */
        if (flush_rollups(s))
            return -1;
        return rollup_add(s, dim, inc, id, ts);
    }
    rollc_t *c = &s->roll[j];
    *c = (rollc_t){.day = day, .dim = dim, .inc = inc, .n = 1, .id_lo = id, .id_hi = id,
                   .ts_lo = ts, .ts_hi = ts, .used = true};
    s->roll_used[s->n_roll++] = j;
    return 0;
}

/* Decimal digits of v at out (no terminator); their count. snprintf was a fifth of the insert
 * path's instructions. */
static size_t put_i64(char *out, int64_t v)
{
    char tmp[24];
    size_t n = 0;
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    size_t k = 0;
    if (v < 0)
        out[k++] = '-';
    while (n)
        out[k++] = tmp[--n];
    return k;
}

static void key_str(vg_buf_t *b, const char *v)
{
    char num[32];
    if (!v) {
        vg_buf_append(b, "n;", 2);
        return;
    }
    size_t n = strlen(v);
    num[0] = 's';
    size_t k = 1 + put_i64(num + 1, (int64_t)n);
    num[k++] = ':';
    vg_buf_append(b, num, k);
    vg_buf_append(b, v, n);
}

static void key_int(vg_buf_t *b, bool has, int64_t v)
{
    char num[32];
    if (!has) {
        vg_buf_append(b, "n;", 2);
        return;
    }
    num[0] = 'i';
    size_t k = 1 + put_i64(num + 1, v);
    num[k++] = ';';
    vg_buf_append(b, num, k);
}

static void bind_text_or_null(sqlite3_stmt *st, int i, const char *v)
{
    if (v)
        sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, i);
}

static void bind_dim(sqlite3_stmt *st, const dimv_t *d)
{
    sqlite3_bind_int64(st, 1, d->sig_id);
    sqlite3_bind_text(st, 2, d->cat, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 3, d->counted);
    bind_text_or_null(st, 4, d->certainty);
    bind_text_or_null(st, 5, d->role_by);
    bind_text_or_null(st, 6, d->proto);
    bind_text_or_null(st, 7, d->app_proto);
    bind_text_or_null(st, 8, d->att_ip);
    if (d->att_home >= 0)
        sqlite3_bind_int(st, 9, d->att_home);
    else
        sqlite3_bind_null(st, 9);
    sqlite3_bind_text(st, 10, d->att_cc, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 11, d->att_asn);
    sqlite3_bind_text(st, 12, d->att_org, -1, SQLITE_STATIC);
    bind_text_or_null(st, 13, d->vic_ip);
    if (d->has_vic_port)
        sqlite3_bind_int64(st, 14, d->vic_port);
    else
        sqlite3_bind_null(st, 14);
    if (d->vic_home >= 0)
        sqlite3_bind_int(st, 15, d->vic_home);
    else
        sqlite3_bind_null(st, 15);
}

/* The alert_dims row of these values (0 on error): the cached one, else a new row. */
static int64_t dim_of(vg_store_t *s, const dimv_t *d)
{
    vg_buf_t kb = s->dimkey;
    kb.len = 0;
    key_int(&kb, true, d->sig_id);
    key_str(&kb, d->cat);
    key_int(&kb, true, d->counted);
    key_str(&kb, d->certainty);
    key_str(&kb, d->role_by);
    key_str(&kb, d->proto);
    key_str(&kb, d->app_proto);
    key_str(&kb, d->att_ip);
    key_int(&kb, d->att_home >= 0, d->att_home);
    key_str(&kb, d->att_cc);
    key_int(&kb, true, d->att_asn);
    key_str(&kb, d->att_org);
    key_str(&kb, d->vic_ip);
    key_int(&kb, d->has_vic_port, d->vic_port);
    key_int(&kb, d->vic_home >= 0, d->vic_home);
    uint64_t hh = fnv(kb.data, kb.len);
    dimc_t *c = &s->dimc[hh & (DIM_CAP - 1)];
    if (c->key && c->hash == hh && c->klen == kb.len && !memcmp(c->key, kb.data, kb.len))
        return c->id;
    /* Not in the cache: a new row, even if an equal one exists (no index to find it: a
     * lookup index took random page writes on every commit). Equal rows only split a cell in
     * two; the report groups by the values, never by the row id. */
    sqlite3_stmt *in = s->st[ST_DIM_INS];
    bind_dim(in, d);
    int rc = sqlite3_step(in);
    sqlite3_reset(in);
    if (rc != SQLITE_DONE) {
        fail(s, "rollup dimension insert");
        return 0;
    }
    int64_t id = sqlite3_last_insert_rowid(s->db);
    free(c->key);
    c->key = vg_xmalloc(kb.len);
    memcpy(c->key, kb.data, kb.len);
    c->klen = kb.len;
    c->hash = hh;
    c->id = id;
    s->dimkey = kb; /* keeps a grown buffer */
    return id;
}

/* Writes one incident (insert or update by id); the key holds "cat\x1fatt\x1fvic\x1ffam". */
static int flush_one(vg_store_t *s, inc_t *x)
{
    sqlite3_stmt *u = s->st[ST_INC_UPD];
    sqlite3_bind_int64(u, 1, x->id);
    sqlite3_bind_int64(u, 2, x->start);
    sqlite3_bind_int64(u, 3, x->end);
    sqlite3_bind_int64(u, 4, (int64_t)x->alerts);
    sqlite3_bind_int64(u, 5, x->first_alert);
    sqlite3_bind_int64(u, 6, x->last_alert);
    sqlite3_bind_int64(u, 7, s->run_id);
    const char *p = x->key;
    for (int i = 0; i < 4; i++) {
        const char *e = i < 3 ? strchr(p, '\x1f') : p + strlen(p);
        if (!e)
            e = p + strlen(p);
        sqlite3_bind_text(u, 8 + i, p, (int)(e - p), SQLITE_STATIC);
        p = *e ? e + 1 : e;
    }
    int rc = sqlite3_step(u);
    sqlite3_reset(u);
    if (rc != SQLITE_DONE)
        return fail(s, "incident update");
    x->dirty = false;
    x->written = true;
    return 0;
}

static int flush_incidents(vg_store_t *s)
{
    for (uint32_t i = 0; i < s->n_dirty; i++) {
        inc_t *x = &s->inc[s->dirty[i]];
        if (x->key && x->dirty && flush_one(s, x))
            return -1;
    }
    s->n_dirty = 0;
    return 0;
}

/* Writes the incidents that have no row yet (so that their ids are taken for other writers);
 * updates of the others wait for the next full flush. */
static int flush_new_incidents(vg_store_t *s)
{
    uint32_t k = 0;
    for (uint32_t i = 0; i < s->n_dirty; i++) {
        inc_t *x = &s->inc[s->dirty[i]];
        if (!x->key || !x->dirty)
            continue;
        if (!x->written) {
            if (flush_one(s, x))
                return -1;
            continue;
        }
        s->dirty[k++] = s->dirty[i];
    }
    s->n_dirty = k;
    return 0;
}

static void mark_dirty(vg_store_t *s, inc_t *x)
{
    if (x->dirty)
        return;
    /* A slot flushed alone (an expired incident) may be listed twice; never overflow. */
    if (s->n_dirty == INC_CAP)
        flush_incidents(s);
    x->dirty = true;
    s->dirty[s->n_dirty++] = (uint32_t)(x - s->inc);
}

/* Commits. full: also the updates of existing incidents and the rollup cells accumulated so
 * far; otherwise only new incidents are written with the alerts (every row of a running run is
 * durable at each commit; its incident counts and rollup cells catch up at least every
 * batch_rows rows and at the end, before the run can be counted). The engine commits after
 * every block of events (a few dozen alerts): writing each open incident and cell again at
 * each of them cost more than the alerts. */
static int tx_commit_full(vg_store_t *s, bool full)
{
    if (!s->in_tx)
        return 0;
    if (full ? flush_incidents(s) || flush_rollups(s) : flush_new_incidents(s))
        return -1;
    if (sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        return fail(s, "commit");
    s->in_tx = false;
    s->pending = 0;
    if (full)
        s->unflushed = 0;
    return 0;
}

static int tx_commit(vg_store_t *s) { return tx_commit_full(s, true); }

/* --- the run --- */

static int exec_bind_text(vg_store_t *s, const char *sql, int64_t a, const char *b)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
        return sqlite3_errcode(s->db);
    sqlite3_bind_int64(st, 1, a);
    sqlite3_bind_text(st, 2, b, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? SQLITE_OK : sqlite3_errcode(s->db);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Records the run's captures and its capture set (SHA-256 over the sorted content hashes; a
 * file given twice counts once). Inside a transaction. */
static int record_captures(vg_store_t *s, const vg_store_capture_t *caps, size_t n)
{
    const char **h = vg_xcalloc(n + 1, sizeof(char *));
    for (size_t i = 0; i < n; i++)
        h[i] = caps[i].sha256;
    qsort(h, n, sizeof(char *), cmp_str);
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    EVP_DigestInit_ex(c, EVP_sha256(), NULL);
    for (size_t i = 0; i < n; i++) {
        if (i && !strcmp(h[i], h[i - 1]))
            continue;
        EVP_DigestUpdate(c, h[i], 64);
        EVP_DigestUpdate(c, "\n", 1);
    }
    free(h);
    unsigned char md[32];
    unsigned int mdl;
    EVP_DigestFinal_ex(c, md, &mdl);
    EVP_MD_CTX_free(c);
    char set[65];
    for (int i = 0; i < 32; i++)
        snprintf(set + 2 * i, 3, "%02x", md[i]);
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->db, "INSERT INTO captures(run_id,path,sha256,size) "
                                       "VALUES(?1,?2,?3,?4)", -1, &st, NULL);
    for (size_t i = 0; rc == SQLITE_OK && i < n; i++) {
        sqlite3_bind_int64(st, 1, s->run_id);
        sqlite3_bind_text(st, 2, caps[i].path, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 3, caps[i].sha256, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 4, (int64_t)caps[i].size);
        rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : sqlite3_errcode(s->db);
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    if (rc == SQLITE_OK)
        rc = exec_bind_text(s, "UPDATE runs SET capture_set=?2 WHERE id=?1", s->run_id, set);
    return rc == SQLITE_OK ? 0 : -1;
}

int64_t vg_store_begin_run(vg_store_t *s, const vg_store_run_info_t *ri, char *err, size_t err_len)
{
    for (int i = 0; i < ST_MAX; i++)
        if (!s->st[i] && sqlite3_prepare_v3(s->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
                                            &s->st[i], NULL) != SQLITE_OK) {
            set_err(err, err_len, s->path, s->db, sqlite3_errcode(s->db), "prepare");
            return -1;
        }
    char now[32];
    iso_now(now, sizeof now);
    /* geo databases as a JSON array of labels */
    json_t *geo = json_array();
    for (size_t i = 0; i < ri->n_geo_dbs; i++)
        json_array_append_new(geo, json_string(ri->geo_dbs[i]));
    char *geo_s = json_dumps(geo, JSON_COMPACT);
    json_decref(geo);

    sqlite3_stmt *st = NULL;
    int rc = sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(s->db,
                                "INSERT INTO runs(sensor,vigil_version,logdir,started_at,status,"
                                "capture_set,rules_loaded,rules_failed,geo_dbs,incident_window) "
                                "VALUES(?1,?2,?3,?4,'running',?5,?6,?7,?8,?9)",
                                -1, &st, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_text(st, 1, ri->sensor ? ri->sensor : "", -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 2, VG_VERSION, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, ri->logdir ? ri->logdir : "", -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 4, now, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 5, "", -1, SQLITE_STATIC); /* capture set: record_captures */
        sqlite3_bind_int64(st, 6, ri->rules_loaded);
        sqlite3_bind_int64(st, 7, ri->rules_failed);
        sqlite3_bind_text(st, 8, geo_s, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 9, (int64_t)ri->incident_window_s);
        rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : sqlite3_errcode(s->db);
    }
    sqlite3_finalize(st);
    st = NULL;
    free(geo_s);
    s->run_id = sqlite3_last_insert_rowid(s->db);
    if (rc == SQLITE_OK && ri->n_captures && record_captures(s, ri->captures, ri->n_captures))
        rc = sqlite3_errcode(s->db);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        set_err(err, err_len, s->path, s->db, rc, "cannot record the run");
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        return -1;
    }
    s->window_us = (int64_t)ri->incident_window_s * 1000000;
    s->flows = ri->flows;
    s->batch_rows = ri->batch_rows ? ri->batch_rows : 20000;
    if (!s->inc) {
        s->inc = vg_xcalloc(INC_CAP, sizeof(inc_t));
        s->dirty = vg_xcalloc(INC_CAP, sizeof(uint32_t));
    }
    inc_clear(s);
    s->n_dirty = 0;
    if (!s->sig)
        s->sig = vg_xcalloc(SIG_CAP, sizeof(sigc_t));
    if (!s->js)
        s->js = vg_xmalloc(sizeof(vg_sjson_t));
    if (!s->dimc) {
        s->dimc = vg_xcalloc(DIM_CAP, sizeof(dimc_t));
        s->roll = vg_xcalloc(ROLL_CAP, sizeof(rollc_t));
        s->roll_used = vg_xcalloc(ROLL_CAP, sizeof(uint32_t));
        vg_buf_init(&s->dimkey, 256);
    }
    s->n_roll = 0;
    memset(&s->sum, 0, sizeof s->sum);
    s->sum.run_id = s->run_id;
    /* The alert times of the earlier counted runs, so that only alerts near them look for an
     * incident to continue (from the rollups: far fewer rows than the alerts). */
    s->prev_lo = 1;
    s->prev_hi = 0;
    if (sqlite3_prepare_v2(s->db, "SELECT min(first_ts), max(last_ts), count(*) FROM alert_rollup "
                                  "WHERE run_id IN (SELECT id FROM runs WHERE status IN "
                                  "('complete','partial'))", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int64(st, 2) > 0) {
        s->prev_lo = sqlite3_column_int64(st, 0);
        s->prev_hi = sqlite3_column_int64(st, 1);
    }
    sqlite3_finalize(st);
    return s->run_id;
}

/* --- EVE lines --- */

static void bind_str(sqlite3_stmt *st, int i, const char *v)
{
    if (v)
        sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC); /* every step follows its binds */
    else
        sqlite3_bind_null(st, i);
}

static void bind_int(sqlite3_stmt *st, int i, const vg_sjson_t *j, const char *path)
{
    int64_t v;
    if (vg_sjson_int(j, path, &v))
        sqlite3_bind_int64(st, i, v);
    else
        sqlite3_bind_null(st, i);
}

static void bind_oint(sqlite3_stmt *st, int i, vg_oint_t v)
{
    if (v.has)
        sqlite3_bind_int64(st, i, v.v);
    else
        sqlite3_bind_null(st, i);
}

/* The signature row of an alert (cached by gid:sid:rev:msg), with its family. */
static sigc_t *sig_of(vg_store_t *s, vg_sjson_t *j, const vg_store_alert_t *al)
{
    int64_t gid = al->gid, sid = al->sid, rev = al->rev;
    const char *msg = al->msg;
    char key[1200];
    size_t kl = put_i64(key, gid);
    key[kl++] = ':';
    kl += put_i64(key + kl, sid);
    key[kl++] = ':';
    kl += put_i64(key + kl, rev);
    key[kl++] = ':';
    size_t msl = strlen(msg);
    if (msl > sizeof key - 1 - kl)
        msl = sizeof key - 1 - kl;
    memcpy(key + kl, msg, msl);
    kl += msl;
    key[kl] = '\0';
    uint64_t hh = fnv(key, (size_t)kl);
    sigc_t *c = &s->sig[hh & (SIG_CAP - 1)];
    if (c->key && c->hash == hh && !strcmp(c->key, key))
        return c;
    sqlite3_stmt *f = s->st[ST_SIG_FIND];
    sqlite3_bind_int64(f, 1, gid);
    sqlite3_bind_int64(f, 2, sid);
    sqlite3_bind_int64(f, 3, rev);
    sqlite3_bind_text(f, 4, msg, -1, SQLITE_STATIC);
    int rc = sqlite3_step(f);
    int64_t id = 0;
    char fam[512] = "";
    if (rc == SQLITE_ROW) {
        id = sqlite3_column_int64(f, 0);
        const unsigned char *t = sqlite3_column_text(f, 1);
        snprintf(fam, sizeof fam, "%s", t ? (const char *)t : "");
    }
    sqlite3_reset(f);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        fail(s, "signature lookup");
        return NULL;
    }
    if (!id) {
        /* A new signature: its metadata object decides the family and adds CVEs. */
        char cves[1024];
        vg_store_alert_sig(j, msg, fam, sizeof fam, cves, sizeof cves);
        sqlite3_stmt *in = s->st[ST_SIG_INS];
        sqlite3_bind_int64(in, 1, gid);
        sqlite3_bind_int64(in, 2, sid);
        sqlite3_bind_int64(in, 3, rev);
        sqlite3_bind_text(in, 4, msg, -1, SQLITE_STATIC);
        bind_str(in, 5, al->classtype);
        bind_oint(in, 6, al->severity);
        sqlite3_bind_text(in, 7, fam, -1, SQLITE_STATIC);
        bind_str(in, 8, *cves ? cves : NULL);
        rc = sqlite3_step(in);
        sqlite3_reset(in);
        if (rc != SQLITE_DONE) {
            fail(s, "signature insert");
            return NULL;
        }
        id = sqlite3_last_insert_rowid(s->db);
        s->pending++;
    }
    free(c->key);
    free(c->family);
    c->key = vg_xstrdup(key);
    c->family = vg_xstrdup(fam);
    c->hash = hh;
    c->id = id;
    return c;
}

static void inc_make_room(vg_store_t *s)
{
    if (s->n_inc < INC_CAP / 2)
        return;
    if (flush_incidents(s))
        return;
    uint32_t dropped = 0;
    for (uint32_t i = 0; i < INC_CAP; i++) {
        inc_t *x = &s->inc[i];
        if (x->key && !x->dirty && x->end + s->window_us < s->max_ts) {
            free(x->key);
            x->key = NULL;
            dropped++;
        }
    }
    s->n_inc -= dropped;
    if (s->n_inc >= INC_CAP / 2) {
        inc_clear(s);
        s->inc_resets++;
        vg_log(VG_LOG_INFO, "store: more than %u open incidents; later alerts of those start new "
                            "incidents", INC_CAP / 2);
    } else {
        /* Re-pack the probe chains after deletions. */
        inc_t *old = s->inc;
        s->inc = vg_xcalloc(INC_CAP, sizeof(inc_t));
        for (uint32_t i = 0; i < INC_CAP; i++) {
            if (!old[i].key)
                continue;
            uint32_t j = (uint32_t)old[i].hash & (INC_CAP - 1);
            while (s->inc[j].key)
                j = (j + 1) & (INC_CAP - 1);
            s->inc[j] = old[i];
        }
        free(old);
    }
}

/* Finds or opens the incident of this key for an alert at ts; returns it (NULL on error). */
static inc_t *incident_for(vg_store_t *s, const char *cat, const char *att, const char *vic,
                           const char *fam, int64_t ts)
{
    char key[1024];
    size_t kl = 0;
    const char *parts[4] = {cat, att, vic, fam};
    for (int i = 0; i < 4; i++) {
        size_t pl = strlen(parts[i]), room = sizeof key - 2 - kl; /* kl <= sizeof key - 2 */
        if (pl > room)
            pl = room;
        memcpy(key + kl, parts[i], pl);
        kl += pl;
        if (i < 3 && kl < sizeof key - 2)
            key[kl++] = '\x1f';
    }
    key[kl] = '\0';
    uint64_t hh = fnv(key, (size_t)kl);
    uint32_t j = (uint32_t)hh & (INC_CAP - 1);
    while (s->inc[j].key) {
        inc_t *x = &s->inc[j];
        if (x->hash == hh && !strcmp(x->key, key)) {
            /* Inside the window around [start, end]: the same incident. */
            if (ts + s->window_us >= x->start && ts <= x->end + s->window_us)
                return x;
            /* Expired: write it out; this slot becomes the new incident of the key. */
            if (x->dirty && flush_one(s, x))
                return NULL;
            goto fresh;
        }
        j = (j + 1) & (INC_CAP - 1);
    }
    inc_make_room(s);
    j = (uint32_t)hh & (INC_CAP - 1);
    while (s->inc[j].key)
        j = (j + 1) & (INC_CAP - 1);
    s->inc[j].key = vg_xstrdup(key);
    s->inc[j].hash = hh;
    s->n_inc++;
fresh:;
    inc_t *x = &s->inc[j];
    x->dirty = false;
    x->written = false;
    /* An incident of an earlier counted run that this alert continues (the same key, the alert
     * within the window of its span) goes on instead of a new one: an episode split over two
     * captures is one incident. Asked only when the alert is near the earlier runs' alerts. */
    if (s->prev_lo <= s->prev_hi && ts + s->window_us >= s->prev_lo && ts - s->window_us <= s->prev_hi) {
        sqlite3_stmt *q = s->st[ST_INC_PREV];
        sqlite3_bind_text(q, 1, cat, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 2, att, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 3, vic, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 4, fam, -1, SQLITE_STATIC);
        sqlite3_bind_int64(q, 5, ts);
        sqlite3_bind_int64(q, 6, s->window_us);
        int rc = sqlite3_step(q);
        if (rc == SQLITE_ROW) {
            x->id = sqlite3_column_int64(q, 0);
            x->start = sqlite3_column_int64(q, 1);
            x->end = sqlite3_column_int64(q, 2);
            x->alerts = (uint64_t)sqlite3_column_int64(q, 3);
            x->first_alert = sqlite3_column_int64(q, 4);
            x->last_alert = sqlite3_column_int64(q, 5);
        }
        sqlite3_reset(q);
        if (rc == SQLITE_ROW) {
            x->written = true;
            mark_dirty(s, x);
            s->sum.incidents_continued++;
            return x;
        }
        if (rc != SQLITE_DONE) {
            fail(s, "incident lookup");
            return NULL;
        }
    }
    x->id = s->next_inc++;
    x->start = x->end = ts;
    x->alerts = 0;
    x->first_alert = x->last_alert = 0;
    mark_dirty(s, x);
    s->sum.incidents++;
    return x;
}

static int store_alert(vg_store_t *s, vg_sjson_t *j, int64_t ts)
{
    vg_store_alert_t a;
    if (vg_store_alert_read(j, &a))
        return 1;
    sigc_t *sig = sig_of(s, j, &a);
    if (!sig) {
        vg_store_alert_fini(&a);
        return -1;
    }
    inc_t *inc = incident_for(s, a.cat, a.att_ip ? a.att_ip : "", a.vic_ip ? a.vic_ip : "",
                              sig->family, ts);
    if (!inc) {
        vg_store_alert_fini(&a);
        return -1;
    }

    /* The columns the report groups by, read once for the alert row and its rollup cell. */
    dimv_t d = {.sig_id = sig->id, .cat = a.cat, .counted = a.counted, .certainty = a.certainty,
                .role_by = a.role_by, .proto = a.proto, .app_proto = a.app_proto,
                .att_ip = a.att_ip, .att_home = a.att_home, .att_cc = vg_store_alert_cc(&a),
                .att_asn = a.att_asn.v, .att_org = a.att_org ? a.att_org : "",
                .vic_ip = a.vic_ip, .has_vic_port = a.vic_port.has, .vic_port = a.vic_port.v,
                .vic_home = a.vic_home};
    int64_t dim = dim_of(s, &d);
    if (!dim) {
        vg_store_alert_fini(&a);
        return -1;
    }

    sqlite3_stmt *st = s->st[ST_ALERT];
    sqlite3_bind_int64(st, 1, s->run_id);
    sqlite3_bind_int64(st, 2, ts);
    sqlite3_bind_int64(st, 3, sig->id);
    sqlite3_bind_text(st, 4, a.cat, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 5, a.counted);
    bind_str(st, 6, a.certainty);
    bind_str(st, 7, a.role_by);
    bind_str(st, 8, a.action);
    bind_str(st, 9, a.proto);
    bind_str(st, 10, a.app_proto);
    bind_str(st, 11, a.src_ip);
    bind_oint(st, 12, a.src_port);
    bind_str(st, 13, a.dest_ip);
    bind_oint(st, 14, a.dest_port);
    bind_oint(st, 15, a.flow_id);
    bind_str(st, 16, a.community_id);
    bind_str(st, 17, a.att_ip);
    bind_oint(st, 18, a.att_port);
    bind_oint(st, 19, (vg_oint_t){a.att_home >= 0, a.att_home});
    bind_str(st, 20, a.att_cc);
    bind_oint(st, 21, a.att_asn);
    bind_str(st, 22, a.att_org);
    bind_str(st, 23, a.vic_ip);
    bind_oint(st, 24, a.vic_port);
    bind_oint(st, 25, (vg_oint_t){a.vic_home >= 0, a.vic_home});
    bind_str(st, 26, a.vic_cc);
    bind_oint(st, 27, a.vic_asn);
    bind_str(st, 28, a.vic_org);
    sqlite3_bind_int64(st, 29, inc->id);
    bind_str(st, 30, a.ev_ref);
    bind_str(st, 31, a.ev_sha);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    vg_store_alert_fini(&a);
    if (rc != SQLITE_DONE)
        return fail(s, "alert insert");
    int64_t id = sqlite3_last_insert_rowid(s->db);
    if (rollup_add(s, dim, inc->id, id, ts))
        return -1;
    if (!inc->alerts)
        inc->first_alert = id;
    inc->last_alert = id;
    inc->alerts++;
    if (ts < inc->start)
        inc->start = ts;
    if (ts > inc->end)
        inc->end = ts;
    mark_dirty(s, inc);
    s->sum.alerts++;
    s->pending++;
    s->unflushed++;
    return 0;
}

static int store_flow(vg_store_t *s, vg_sjson_t *j, int64_t ts)
{
    int alerted = vg_sjson_bool(j, "flow.alerted");
    if (s->flows == VG_STORE_FLOWS_NONE || (s->flows == VG_STORE_FLOWS_ALERTED && alerted != 1))
        return 0;
    sqlite3_stmt *st = s->st[ST_FLOW];
    int64_t t0 = ts, t1 = ts;
    const char *a = vg_sjson_str(j, "flow.start"), *b = vg_sjson_str(j, "flow.end");
    if (a)
        vg_store_parse_time(a, strlen(a), &t0);
    if (b)
        vg_store_parse_time(b, strlen(b), &t1);
    sqlite3_bind_int64(st, 1, s->run_id);
    bind_int(st, 2, j, "flow_id");
    sqlite3_bind_int64(st, 3, t0);
    sqlite3_bind_int64(st, 4, t1);
    bind_str(st, 5, vg_sjson_str(j, "proto"));
    bind_str(st, 6, vg_sjson_str(j, "app_proto"));
    bind_str(st, 7, vg_sjson_str(j, "src_ip"));
    bind_int(st, 8, j, "src_port");
    bind_str(st, 9, vg_sjson_str(j, "dest_ip"));
    bind_int(st, 10, j, "dest_port");
    bind_int(st, 11, j, "flow.pkts_toserver");
    bind_int(st, 12, j, "flow.pkts_toclient");
    bind_int(st, 13, j, "flow.bytes_toserver");
    bind_int(st, 14, j, "flow.bytes_toclient");
    bind_str(st, 15, vg_sjson_str(j, "flow.state"));
    bind_str(st, 16, vg_sjson_str(j, "flow.reason"));
    sqlite3_bind_int(st, 17, alerted == 1);
    bind_str(st, 18, vg_sjson_str(j, "community_id"));
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return fail(s, "flow insert");
    s->sum.flows++;
    s->pending++;
    return 0;
}

static uint64_t path_u64(json_t *o, const char *dotted)
{
    char buf[128];
    snprintf(buf, sizeof buf, "%s", dotted);
    char *save = NULL;
    for (char *t = strtok_r(buf, ".", &save); t; t = strtok_r(NULL, ".", &save))
        o = json_object_get(o, t);
    return json_is_integer(o) ? (uint64_t)json_integer_value(o) : 0;
}

static void store_stats(vg_store_t *s, const vg_sjson_leaf_t *l)
{
    json_t *st = json_loadb(l->v, l->n, 0, NULL);
    if (!json_is_object(st)) {
        json_decref(st);
        return;
    }
    free(s->stats_json);
    s->stats_json = json_dumps(st, JSON_COMPACT);
    /* Drops: packets, segments and sessions given up under the memory caps. */
    s->drops = path_u64(st, "tcp.segment_memcap_drop") + path_u64(st, "tcp.ssn_memcap_drop") +
               path_u64(st, "defrag.memcap_exceeded") + path_u64(st, "defrag.max_trackers_exceeded") +
               path_u64(st, "capture.kernel_drops");
    s->flow_total = path_u64(st, "flow.total");
    s->gaps = path_u64(st, "tcp.reassembly_gap");
    json_decref(st);
}

/* The event type from the line's start without parsing it: most lines are not stored. */
static int line_type(const char *line, size_t len)
{
    size_t lim = len < 400 ? len : 400;
    const char *p = memmem(line, lim, "\"event_type\":", 13);
    if (!p)
        return -1;
    p += 13;
    while (p < line + lim && *p == ' ')
        p++;
    size_t rest = (size_t)(line + lim - p);
    if (rest >= 7 && !memcmp(p, "\"alert\"", 7))
        return 1;
    if (rest >= 6 && !memcmp(p, "\"flow\"", 6))
        return 2;
    if (rest >= 7 && !memcmp(p, "\"stats\"", 7))
        return 3;
    return 0;
}

int vg_store_sink_event(void *ctx, const char *line, size_t len)
{
    vg_store_t *s = ctx;
    if (s->failed)
        return -1;
    int t = line_type(line, len);
    if (t == 0)
        return 0;
    if (t == 2 && s->flows == VG_STORE_FLOWS_NONE)
        return 0;
    if (t == 2 && s->flows == VG_STORE_FLOWS_ALERTED && !memmem(line, len, "\"alerted\":true", 14))
        return 0;
    vg_sjson_t *j = s->js;
    if (vg_sjson_parse(j, line, len)) {
        if (s->sum.lines_skipped++ < 5)
            vg_log(VG_LOG_WARN, "store %s: an event line is not well-formed JSON; not stored: %.80s",
                   s->path, line);
        return 0;
    }
    if (t < 0) {
        const char *et = vg_sjson_str(j, "event_type");
        t = !et ? 0 : !strcmp(et, "alert") ? 1 : !strcmp(et, "flow") ? 2 : !strcmp(et, "stats") ? 3 : 0;
        if (!t)
            return 0;
    }
    if (t == 3) {
        const vg_sjson_leaf_t *l = vg_sjson_get(j, "stats");
        if (l && l->type == 'o')
            store_stats(s, l);
        return 0;
    }
    int64_t ts = 0;
    const char *tss = vg_sjson_str(j, "timestamp");
    if (!tss || !vg_store_parse_time(tss, strlen(tss), &ts)) {
        if (s->sum.lines_skipped++ < 5)
            vg_log(VG_LOG_WARN, "store %s: an event without a valid timestamp; not stored", s->path);
        return 0;
    }
    if (ts > s->max_ts)
        s->max_ts = ts;
    if (tx_begin(s))
        return -1;
    int rc = 0;
    if (t == 1) {
        rc = store_alert(s, j, ts);
        if (rc > 0) {
            s->sum.lines_skipped++;
            rc = 0;
        }
    } else if (t == 2) {
        rc = store_flow(s, j, ts);
    }
    if (!rc && s->pending >= s->batch_rows)
        rc = tx_commit(s);
    return rc;
}

int vg_store_sink_commit(void *ctx, bool final)
{
    vg_store_t *s = ctx;
    if (s->failed)
        return -1;
    return tx_commit_full(s, final || s->unflushed >= s->batch_rows);
}

static int exec_bind(vg_store_t *s, const char *sql, int64_t a, int64_t b)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_int64(st, 1, a);
    sqlite3_bind_int64(st, 2, b);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : -1;
}

int vg_store_end_run(vg_store_t *s, const vg_store_run_end_t *e, vg_store_run_summary_t *out,
                     char *err, size_t err_len)
{
    /* Everything so far, the incident updates and rollup cells a non-final commit left
     * (tx_begin first: the last commit may have closed the transaction with them waiting). */
    if (!s->failed && tx_begin(s) == 0 && tx_commit(s) == 0 && tx_begin(s) == 0) {
        const char *status = e->failed ? "failed" : e->capture_errors ? "partial" : "complete";
        char now[32];
        iso_now(now, sizeof now);
        sqlite3_stmt *st = NULL;
        int rc = sqlite3_prepare_v2(s->db,
                                    "UPDATE runs SET finished_at=?2, status=?3, first_ts=?4, "
                                    "last_ts=?5, packets=?6, bytes=?7, drops=?8, flows=?9, gaps=?10, "
                                    "stats=?11 WHERE id=?1",
                                    -1, &st, NULL);
        if (rc == SQLITE_OK) {
            sqlite3_bind_int64(st, 1, s->run_id);
            sqlite3_bind_text(st, 2, now, -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(st, 3, status, -1, SQLITE_STATIC);
            if (e->first_ts) {
                sqlite3_bind_int64(st, 4, (int64_t)e->first_ts);
                sqlite3_bind_int64(st, 5, (int64_t)e->last_ts);
            }
            sqlite3_bind_int64(st, 6, (int64_t)e->packets);
            sqlite3_bind_int64(st, 7, (int64_t)e->bytes);
            sqlite3_bind_int64(st, 8, (int64_t)s->drops);
            sqlite3_bind_int64(st, 9, (int64_t)s->flow_total);
            sqlite3_bind_int64(st, 10, (int64_t)s->gaps);
            bind_str(st, 11, s->stats_json);
            rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
        }
        sqlite3_finalize(st);
        if (rc == SQLITE_OK && e->n_captures && record_captures(s, e->captures, e->n_captures))
            rc = SQLITE_ERROR;
        /* The run's incidents become findable by later runs (incidents_key). */
        if (rc == SQLITE_OK && !e->failed &&
            exec_bind(s, "UPDATE incidents SET keyed=1 WHERE run_id=?1 AND keyed=0", s->run_id, 0))
            rc = SQLITE_ERROR;
        /* Rerun rule: an earlier counted run of the same capture set is superseded. */
        int64_t old = 0;
        bool overlap = false;
        if (rc == SQLITE_OK && !e->failed) {
            rc = sqlite3_prepare_v2(s->db,
                                    "SELECT id FROM runs WHERE id<>?1 AND status IN "
                                    "('complete','partial') AND capture_set<>'' AND capture_set=(SELECT "
                                    "capture_set FROM runs WHERE id=?1) ORDER BY id",
                                    -1, &st, NULL);
            sqlite3_bind_int64(st, 1, s->run_id);
            int64_t olds[64];
            int n_old = 0;
            while (rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW && n_old < 64)
                olds[n_old++] = sqlite3_column_int64(st, 0);
            sqlite3_finalize(st);
            for (int i = 0; rc == SQLITE_OK && i < n_old; i++) {
                old = olds[i];
                /* Incidents the old run opened or continued are recounted from the alerts
                 * of the other runs (their rollup cells); those left without alerts go. Then
                 * the run's alerts, which lie within its rollup cells' id range (alerts of
                 * another run written at the same time may lie between them). */
                if (exec_bind(s, "DROP TABLE IF EXISTS temp.inc_left", 0, 0) ||
                    exec_bind(s, "CREATE TEMP TABLE inc_left AS SELECT incident_id AS id,"
                                 " sum(alerts) AS n, min(first_alert) AS fa, max(last_alert) AS la,"
                                 " min(first_ts) AS t0, max(last_ts) AS t1, min(run_id) AS run"
                                 " FROM alert_rollup WHERE run_id<>?1 AND incident_id IN (SELECT"
                                 " incident_id FROM alert_rollup WHERE run_id=?1 UNION SELECT id"
                                 " FROM incidents WHERE run_id=?1) GROUP BY incident_id", old, 0) ||
                    exec_bind(s, "DELETE FROM incidents WHERE (run_id=?1 OR id IN (SELECT"
                                 " incident_id FROM alert_rollup WHERE run_id=?1)) AND id NOT IN"
                                 " (SELECT id FROM temp.inc_left)", old, 0) ||
                    exec_bind(s, "UPDATE incidents SET alerts=g.n, first_alert=g.fa,"
                                 " last_alert=g.la, start_ts=g.t0, end_ts=g.t1, run_id=g.run FROM"
                                 " temp.inc_left g WHERE incidents.id=g.id", 0, 0) ||
                    exec_bind(s, "DROP TABLE temp.inc_left", 0, 0) ||
                    exec_bind(s, "DELETE FROM alerts WHERE id BETWEEN (SELECT min(first_alert) "
                                 "FROM alert_rollup WHERE run_id=?1) AND (SELECT max(last_alert) "
                                 "FROM alert_rollup WHERE run_id=?1) AND run_id=?1", old, 0) ||
                    exec_bind(s, "DELETE FROM alert_rollup WHERE run_id=?1", old, 0) ||
                    exec_bind(s, "DELETE FROM flows WHERE run_id=?1", old, 0) ||
                    exec_bind(s, "UPDATE runs SET status='superseded', superseded_by=?2 WHERE id=?1",
                              old, s->run_id))
                    rc = SQLITE_ERROR;
            }
            if (rc == SQLITE_OK) {
                rc = sqlite3_prepare_v2(
                    s->db,
                    "SELECT count(*) FROM captures c JOIN runs r ON r.id=c.run_id WHERE "
                    "r.id<>?1 AND r.status IN ('complete','partial') AND c.sha256 IN "
                    "(SELECT sha256 FROM captures WHERE run_id=?1)",
                    -1, &st, NULL);
                sqlite3_bind_int64(st, 1, s->run_id);
                if (rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
                    overlap = sqlite3_column_int64(st, 0) > 0;
                sqlite3_finalize(st);
            }
        }
        if (rc == SQLITE_OK && tx_commit(s) == 0) {
            s->sum.superseded_run = old;
            s->sum.overlap_warning = overlap;
            if (out)
                *out = s->sum;
            return 0;
        }
        fail(s, "end of run");
    }
    set_err(err, err_len, s->path, s->db, sqlite3_errcode(s->db), "the run could not be recorded");
    if (s->in_tx) {
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        s->in_tx = false;
    }
    /* Say at least that the run failed (it stays 'running', also not counted, if even this
     * cannot be written). */
    char now[32];
    iso_now(now, sizeof now);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db, "UPDATE runs SET status='failed', finished_at=?2 WHERE id=?1",
                           -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_int64(st, 1, s->run_id);
        sqlite3_bind_text(st, 2, now, -1, SQLITE_TRANSIENT);
        sqlite3_step(st);
    }
    sqlite3_finalize(st);
    return -1;
}
