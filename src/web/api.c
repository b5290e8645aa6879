/* api.c — the read-only JSON API of `vigil serve` (docs/WEB.md).
 *
 *   report                     the `vigil report --format json` document (vg_report_build and
 *                              its JSON renderer; cached per filter and store generation)
 *   alerts, alerts/ID          alerts of counted runs, newest first, cursor pagination; one alert
 *   alerts/ID/pcap             its evidence pcap when the ledger names it, with its status
 *   incidents                  incidents of counted runs, cursor pagination
 *   status                     the store's generation (changes whenever a run writes)
 *
 * Every value from the request is validated, then bound as an SQL parameter (never spliced).
 * Filters mean what they mean in `vigil report`: counted runs only (complete or partial), alert
 * time in [from, to), attacker country with '??' for unknown. */
#include "web/web_int.h"
#include "common/common.h"
#include "common/json.h"
#include "report/report.h"
#include "store/store_int.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PAGE_DEFAULT 100
#define PAGE_MAX 1000
#define TOP_MAX 1000

typedef struct filt {
    vg_report_filter_t r;
    const char *attacker, *victim, *certainty;
    char attacker_buf[46], victim_buf[46]; /* the addresses as the store writes them */
    bool has_asn;
    int64_t asn, sid, run, incident;
    int64_t cursor;
    unsigned limit;
} filt_t;

static const char *const COMMON[] = {"from", "to", "sensor", "category", "country", NULL};

/* --- validation --- */

static bool parse_uint(const char *s, int64_t max, int64_t *out)
{
    if (!*s || strlen(s) > 19)
        return false;
    int64_t v = 0;
    for (const char *p = s; *p; p++) {
        if (!isdigit((unsigned char)*p))
            return false;
        v = v * 10 + (*p - '0');
    }
    if (v > max)
        return false;
    *out = v;
    return true;
}

static bool slug(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (!n || n > max)
        return false;
    for (; *s; s++)
        if (!islower((unsigned char)*s) && !isdigit((unsigned char)*s) && *s != '-' && *s != '_')
            return false;
    return true;
}

/* Parses the filters every endpoint shares, then those in extra (NULL-terminated) that it
 * allows. false: rq holds the 400. */
static bool parse_filter(vg_web_req_t *rq, filt_t *f, const char *const *extra)
{
    const char *known[VG_WEB_MAX_ARGS + 8];
    size_t n = 0;
    for (const char *const *k = COMMON; *k; k++)
        known[n++] = *k;
    for (const char *const *k = extra; k && *k; k++)
        known[n++] = *k;
    known[n] = NULL;
    if (!vg_web_args_known(rq, known))
        return false;
    memset(f, 0, sizeof *f);
    f->limit = PAGE_DEFAULT;
    const char *v;
    for (int i = 0; i < 2; i++) {
        const char *name = i ? "to" : "from";
        if (!(v = vg_web_arg(rq, name)) || !*v)
            continue;
        int64_t us;
        size_t len = strlen(v);
        if (len > 40 || !vg_store_parse_time(v, len, &us)) {
            vg_web_error(rq, 400, "'%s' expects a date or time (2024-05-01, "
                         "2024-05-01T10:00:00Z)", name);
            return false;
        }
        if (i) {
            f->r.has_to = true;
            f->r.to_us = len == 10 ? us + 86400LL * 1000000 : us; /* as vigil report */
        } else {
            f->r.has_from = true;
            f->r.from_us = us;
        }
    }
    if (f->r.has_from && f->r.has_to && f->r.to_us <= f->r.from_us) {
        vg_web_error(rq, 400, "'to' is not after 'from'");
        return false;
    }
    if ((v = vg_web_arg(rq, "sensor")) && *v) {
        size_t len = strlen(v);
        bool ok = len <= 128;
        for (const char *p = v; ok && *p; p++)
            ok = (unsigned char)*p >= 0x20 && *p != 0x7f;
        if (!ok) {
            vg_web_error(rq, 400, "'sensor' expects a sensor name (printable, at most 128 bytes)");
            return false;
        }
        f->r.sensor = v;
    }
    if ((v = vg_web_arg(rq, "category")) && *v) {
        if (!slug(v, 64)) {
            vg_web_error(rq, 400, "'category' expects a category slug (e.g. scanning)");
            return false;
        }
        f->r.category = v;
    }
    if ((v = vg_web_arg(rq, "country")) && *v) {
        bool ok = strlen(v) == 2 && ((isupper((unsigned char)v[0]) && isupper((unsigned char)v[1]))
                                     || !strcmp(v, "??"));
        if (!ok) {
            vg_web_error(rq, 400, "'country' expects an ISO 3166 alpha-2 code in capitals, or ??");
            return false;
        }
        f->r.country = v;
    }
    if ((v = vg_web_arg(rq, "top")) && *v) {
        int64_t t;
        if (!parse_uint(v, TOP_MAX, &t) || t < 1) {
            vg_web_error(rq, 400, "'top' expects a number from 1 to %d", TOP_MAX);
            return false;
        }
        f->r.top = (unsigned)t;
    }
    for (int i = 0; i < 2; i++) {
        const char *name = i ? "victim" : "attacker";
        if ((v = vg_web_arg(rq, name)) && *v) {
            char *canon = i ? f->victim_buf : f->attacker_buf;
            if (!vg_report_addr(v, canon)) {
                vg_web_error(rq, 400, "'%s' expects an IPv4 or IPv6 address", name);
                return false;
            }
            if (i)
                f->victim = canon;
            else
                f->attacker = canon;
        }
    }
    if ((v = vg_web_arg(rq, "certainty")) && *v) {
        if (!slug(v, 32)) {
            vg_web_error(rq, 400, "'certainty' expects verified, spoofable, ...");
            return false;
        }
        f->certainty = v;
    }
    struct {
        const char *name;
        int64_t max, *out;
        bool *has;
    } nums[] = {
        {"asn", 4294967295LL, &f->asn, &f->has_asn},
        {"sid", 4294967295LL, &f->sid, NULL},
        {"run", INT64_MAX / 2, &f->run, NULL},
        {"incident", INT64_MAX / 2, &f->incident, NULL},
        {"cursor", INT64_MAX / 2, &f->cursor, NULL},
    };
    for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) {
        if (!(v = vg_web_arg(rq, nums[i].name)) || !*v)
            continue;
        if (!parse_uint(v, nums[i].max, nums[i].out) || (!nums[i].has && *nums[i].out == 0)) {
            vg_web_error(rq, 400, "'%s' expects a positive whole number", nums[i].name);
            return false;
        }
        if (nums[i].has)
            *nums[i].has = true;
    }
    if ((v = vg_web_arg(rq, "limit")) && *v) {
        int64_t l;
        if (!parse_uint(v, PAGE_MAX, &l) || l < 1) {
            vg_web_error(rq, 400, "'limit' expects a number from 1 to %d", PAGE_MAX);
            return false;
        }
        f->limit = (unsigned)l;
    }
    /* what the report model filters on as well (every panel of the page follows them) */
    f->r.has_asn = f->has_asn;
    f->r.asn = f->asn;
    f->r.target = f->victim;
    f->r.sid = f->sid;
    return true;
}

/* --- SQL with bound parameters --- */

typedef struct q {
    vg_buf_t sql;
    struct {
        bool is_int;
        int64_t i;
        const char *s;
    } p[24];
    int n;
} q_t;

static void q_str(q_t *q, const char *frag, const char *s)
{
    vg_buf_puts(&q->sql, frag);
    q->p[q->n].is_int = false;
    q->p[q->n++].s = s;
}

static void q_int(q_t *q, const char *frag, int64_t v)
{
    vg_buf_puts(&q->sql, frag);
    q->p[q->n].is_int = true;
    q->p[q->n++].i = v;
}

/* The parameters as the store reader's cells (the query is run with vg_store_reader_query_p:
 * every value bound, in either dialect). */
static void q_params(const q_t *q, vg_rcell_t *out)
{
    for (int i = 0; i < q->n; i++)
        out[i] = q->p[i].is_int ? (vg_rcell_t){.kind = VG_RK_INT, .i = q->p[i].i}
                                : (vg_rcell_t){.kind = VG_RK_TEXT, .s = (char *)q->p[i].s};
}

static int q_run(vg_store_reader_t *rd, q_t *q, vg_store_row_fn fn, void *ctx, char *err,
                 size_t err_len)
{
    vg_buf_putc(&q->sql, '\0');
    vg_rcell_t params[24];
    q_params(q, params);
    return vg_store_reader_query_p(rd, q->sql.data, params, (size_t)q->n, fn, ctx, err, err_len);
}

/* --- JSON helpers --- */

static void json_begin(vg_web_req_t *rq, vg_jw_t *jw)
{
    rq->status = 200;
    rq->ctype = "application/json; charset=utf-8";
    vg_buf_reset(&rq->body);
    vg_jw_init(jw, &rq->body);
}

static void iso_us(int64_t us, char *out, size_t n)
{
    time_t t = (time_t)(us / 1000000);
    int64_t frac = us % 1000000;
    if (frac < 0) {
        frac += 1000000;
        t--;
    }
    struct tm tm;
    gmtime_r(&t, &tm);
    char d[32];
    strftime(d, sizeof d, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, n, "%s.%06dZ", d, (int)frac);
}

/* A value as a member k: null, integer, real or text as stored. */
static void col(vg_jw_t *jw, const vg_rcell_t *v, int c, const char *k)
{
    vg_jw_key(jw, k);
    switch (v[c].kind) {
    case VG_RK_NULL: vg_jw_null(jw); break;
    case VG_RK_INT: vg_jw_int(jw, v[c].i); break;
    case VG_RK_REAL: vg_jw_double(jw, v[c].d); break;
    default: vg_jw_str(jw, v[c].s);
    }
}

static void col_time(vg_jw_t *jw, const vg_rcell_t *v, int c, const char *k)
{
    vg_jw_key(jw, k);
    if (v[c].kind != VG_RK_INT) {
        vg_jw_null(jw);
        return;
    }
    char t[48];
    iso_us(v[c].i, t, sizeof t);
    vg_jw_str(jw, t);
}

static bool truthy(const vg_rcell_t *v) { return v->kind == VG_RK_INT && v->i != 0; }

/* --- the store's generation: changes whenever a run adds rows or ends --- */

typedef struct gen_out {
    char *out;
    size_t n;
} gen_out_t;

static int gen_row(void *ctx, size_t nc, const char *const *names, const vg_rcell_t *v)
{
    (void)names;
    gen_out_t *g = ctx;
    if (!v)
        return 0;
    size_t k = 0;
    g->out[0] = '\0';
    for (size_t c = 0; c < nc && k < g->n; c++)
        k += (size_t)snprintf(g->out + k, g->n - k, "%s%lld", c ? "-" : "",
                              (long long)(v[c].kind == VG_RK_INT ? v[c].i : 0));
    return 1;
}

/* SQLite: alert and incident ids, runs and their states. PostgreSQL (no runs table of its own):
 * alert and incident ids, sensors and the events committed. */
static int generation(vg_store_reader_t *rd, char *out, size_t n, char *err, size_t err_len)
{
    gen_out_t g = {out, n};
    const char *sql =
        vg_store_reader_dialect(rd) == VG_SQL_PG
            ? "SELECT (SELECT coalesce(max(id),0) FROM alerts),"
              " (SELECT coalesce(max(id),0) FROM incidents), (SELECT count(*) FROM sensors),"
              " (SELECT coalesce(sum(events),0)::bigint FROM sensors)"
            : "SELECT (SELECT coalesce(max(id),0) FROM alerts),"
              " (SELECT coalesce(max(id),0) FROM incidents),"
              " (SELECT count(*) FROM runs),"
              " (SELECT coalesce(sum(id * (CASE status WHEN 'running' THEN 1"
              " WHEN 'complete' THEN 2 WHEN 'partial' THEN 3 WHEN 'failed' THEN 5"
              " ELSE 7 END)),0) FROM runs)";
    out[0] = '\0';
    return vg_store_reader_query(rd, sql, gen_row, &g, err, err_len) < 0 ? -1 : 0;
}

/* --- endpoints --- */

static void api_status(vg_web_req_t *rq, vg_store_reader_t *rd)
{
    static const char *const none[] = {NULL};
    if (!vg_web_args_known(rq, none))
        return;
    char gen[128], err[768];
    if (generation(rd, gen, sizeof gen, err, sizeof err)) {
        vg_web_error(rq, 503, "store unavailable (status): %s", err);
        vg_web_reader_drop(rq->w);
        return;
    }
    int64_t running = 0;
    vg_store_reader_i64(rd, "SELECT count(*) FROM runs WHERE status='running'", &running, err,
                        sizeof err);
    bool pg = vg_store_reader_dialect(rd) == VG_SQL_PG;
    vg_jw_t jw;
    json_begin(rq, &jw);
    vg_jw_obj_open(&jw);
    vg_jw_kv_str(&jw, "generator", "vigil " VG_VERSION);
    vg_jw_kv_str(&jw, "store", vg_web_opts(rq->w)->store_label);
    vg_jw_kv_str(&jw, "backend", pg ? "postgresql" : "sqlite");
    vg_jw_kv_int(&jw, "schema", pg ? VG_STORE_PG_SCHEMA_VERSION : VG_STORE_SCHEMA_VERSION);
    vg_jw_kv_str(&jw, "generation", gen);
    vg_jw_kv_int(&jw, "runs_running", (int)running);
    vg_jw_obj_close(&jw);
    vg_buf_putc(&rq->body, '\n');
}

static void api_report(vg_web_req_t *rq, vg_store_reader_t *rd)
{
    static const char *const extra[] = {"top", "asn", "victim", "sid", NULL};
    filt_t f;
    if (!parse_filter(rq, &f, extra))
        return;
    char gen[128], gerr[768];
    if (generation(rd, gen, sizeof gen, gerr, sizeof gerr)) {
        vg_web_error(rq, 503, "store unavailable (report): %s", gerr);
        vg_web_reader_drop(rq->w);
        return;
    }
    char *key = sqlite3_mprintf("%s|%d:%lld|%d:%lld|%Q|%Q|%Q|%u|%d:%lld|%Q|%lld", gen,
                                f.r.has_from, (long long)f.r.from_us, f.r.has_to,
                                (long long)f.r.to_us, f.r.sensor, f.r.category, f.r.country,
                                f.r.top, f.r.has_asn, (long long)f.r.asn, f.r.target,
                                (long long)f.r.sid);
    vg_web_doc_t *doc = vg_web_cache_get(rq->w, key);
    bool same = false;
    if (!doc && !vg_web_build_claim(rq->w, key, &same)) {
        /* Someone builds it (or every build slot is taken): wait a little, then look again. */
        if (vg_web_build_wait(rq->w, key, same ? 1500 : 200))
            doc = vg_web_cache_get(rq->w, key);
        if (!doc && (doc = vg_web_cache_get_stale(rq->w, strchr(key, '|') + 1))) {
            /* The store changed and the new report is being built: the last one meanwhile. */
            vg_web_header(rq, "X-Vigil-Stale", "1");
        }
        if (!doc) {
            vg_web_error(rq, 503, same ? "the report for these filters is being built; retry "
                         "shortly" : "other reports are being built; retry shortly");
            vg_web_header(rq, "Retry-After", "2");
            sqlite3_free(key);
            return;
        }
    }
    vg_web_header(rq, "X-Vigil-Generation", "%s", gen);
    if (doc) {
        rq->status = 200;
        rq->ctype = "application/json; charset=utf-8";
        rq->doc = doc;
        sqlite3_free(key);
        vg_web_header(rq, "X-Vigil-Cache", "hit");
        return;
    }
    f.r.store_label = vg_web_opts(rq->w)->store_label;
    char err[1024];
    vg_report_t *r = vg_report_build_r(rd, &f.r, err, sizeof err);
    if (!r) {
        vg_web_build_done(rq->w, key);
        vg_web_error(rq, 503, "store unavailable: %s", err);
        sqlite3_free(key);
        return;
    }
    rq->status = 200;
    rq->ctype = "application/json; charset=utf-8";
    vg_buf_reset(&rq->body);
    vg_report_render(r, VG_REPORT_JSON, &rq->body);
    vg_report_free(r);
    vg_web_doc_t *d = vg_web_doc_new(rq->body.data, rq->body.len);
    vg_web_cache_put(rq->w, key, d); /* before waiters wake */
    vg_web_doc_unref(d);
    vg_web_build_done(rq->w, key);
    vg_web_header(rq, "X-Vigil-Cache", "miss");
    sqlite3_free(key);
}

static const char *const ALERT_COLS =
    "SELECT a.id, a.ts, a.run_id, r.sensor, a.category, a.certainty, a.role_by, a.proto,"
    " a.app_proto, a.src_ip, a.src_port, a.dest_ip, a.dest_port, a.attacker_ip, a.attacker_port,"
    " coalesce(nullif(a.attacker_country,''),'\?\?'), a.attacker_asn, a.attacker_org,"
    " a.attacker_home, a.victim_ip, a.victim_port, coalesce(nullif(a.victim_country,''),'\?\?'),"
    " a.victim_asn, a.victim_org, a.victim_home, s.gid, s.sid, s.rev, s.msg, s.classtype,"
    " s.severity, s.family, s.cves, a.incident_id, a.flow_id, a.community_id, a.evidence_ref,"
    " a.evidence_sha256, a.action, a.counted, r.logdir"
    " FROM alerts a JOIN signatures s ON s.id=a.sig_id JOIN runs r ON r.id=a.run_id";

enum { A_ID, A_TS, A_RUN, A_SENSOR, A_CAT, A_CERT, A_ROLEBY, A_PROTO, A_APP, A_SRC, A_SPORT,
       A_DST, A_DPORT, A_AIP, A_APORT, A_ACC, A_AASN, A_AORG, A_AHOME, A_VIP, A_VPORT, A_VCC,
       A_VASN, A_VORG, A_VHOME, A_GID, A_SID, A_REV, A_MSG, A_CLASS, A_SEV, A_FAM, A_CVES,
       A_INC, A_FLOW, A_CID, A_EVREF, A_EVSHA, A_ACTION, A_COUNTED, A_LOGDIR };

static void party(vg_jw_t *jw, const vg_rcell_t *st, const char *k, int ip)
{
    vg_jw_key(jw, k);
    vg_jw_obj_open(jw);
    col(jw, st, ip, "ip");
    col(jw, st, ip + 1, "port");
    col(jw, st, ip + 2, "country");
    col(jw, st, ip + 3, "asn");
    col(jw, st, ip + 4, "org");
    vg_jw_key(jw, "home");
    vg_jw_bool(jw, truthy(&st[ip + 5]));
    vg_jw_obj_close(jw);
}

static void alert_summary(vg_jw_t *jw, const vg_rcell_t *st)
{
    col(jw, st, A_ID, "id");
    col_time(jw, st, A_TS, "time");
    col(jw, st, A_RUN, "run");
    col(jw, st, A_SENSOR, "sensor");
    col(jw, st, A_CAT, "category");
    col(jw, st, A_CERT, "certainty");
    col(jw, st, A_SID, "sid");
    col(jw, st, A_MSG, "signature");
    party(jw, st, "attacker", A_AIP);
    party(jw, st, "victim", A_VIP);
    col(jw, st, A_PROTO, "proto");
    col(jw, st, A_APP, "app_proto");
    col(jw, st, A_INC, "incident");
    col(jw, st, A_EVREF, "evidence");
}

static void alert_where(q_t *q, const filt_t *f)
{
    vg_buf_puts(&q->sql, " WHERE r.status IN ('complete','partial')");
    if (f->r.has_from)
        q_int(q, " AND a.ts >= ?", f->r.from_us);
    if (f->r.has_to)
        q_int(q, " AND a.ts < ?", f->r.to_us);
    if (f->r.sensor)
        q_str(q, " AND r.sensor = ?", f->r.sensor);
    if (f->r.category)
        q_str(q, " AND a.category = ?", f->r.category);
    if (f->r.country)
        q_str(q, " AND coalesce(nullif(a.attacker_country,''),'\?\?') = ?", f->r.country);
    if (f->attacker)
        q_str(q, " AND a.attacker_ip = ?", f->attacker);
    if (f->victim)
        q_str(q, " AND a.victim_ip = ?", f->victim);
    if (f->has_asn)
        q_int(q, " AND coalesce(a.attacker_asn,0) = ?", f->asn);
    if (f->sid)
        q_int(q, " AND s.sid = ?", f->sid);
    if (f->certainty)
        q_str(q, " AND a.certainty = ?", f->certainty);
    if (f->run)
        q_int(q, " AND a.run_id = ?", f->run);
    if (f->incident)
        q_int(q, " AND a.incident_id = ?", f->incident);
    if (f->cursor)
        q_int(q, " AND a.id < ?", f->cursor);
}

/* Writes rows (first column: the id) into "items" and the cursor of the next page. */
typedef void (*row_fn)(vg_jw_t *jw, const vg_rcell_t *v);

typedef struct page_ctx {
    vg_jw_t *jw;
    row_fn fn;
    unsigned limit, n;
    int64_t last;
    bool more;
} page_ctx_t;

static int page_row(void *ctx, size_t nc, const char *const *names, const vg_rcell_t *v)
{
    (void)nc;
    (void)names;
    page_ctx_t *p = ctx;
    if (!v)
        return 0;
    if (p->n == p->limit) {
        p->more = true;
        return 1;
    }
    vg_jw_obj_open(p->jw);
    p->fn(p->jw, v);
    vg_jw_obj_close(p->jw);
    p->last = v[0].i;
    p->n++;
    return 0;
}

static void page(vg_web_req_t *rq, vg_store_reader_t *rd, q_t *q, const filt_t *f,
                 const char *items, row_fn fn)
{
    q_int(q, " LIMIT ?", (int64_t)f->limit + 1);
    vg_jw_t jw;
    json_begin(rq, &jw);
    vg_jw_obj_open(&jw);
    vg_jw_key(&jw, items);
    vg_jw_arr_open(&jw);
    page_ctx_t pc = {.jw = &jw, .fn = fn, .limit = f->limit};
    char err[768];
    if (q_run(rd, q, page_row, &pc, err, sizeof err) < 0) {
        vg_web_error(rq, 503, "store unavailable (%s): %s", items, err);
        vg_web_reader_drop(rq->w);
        return;
    }
    vg_jw_arr_close(&jw);
    vg_jw_kv_uint(&jw, "count", pc.n);
    vg_jw_kv_uint(&jw, "limit", f->limit);
    vg_jw_key(&jw, "next_cursor");
    if (pc.more) {
        char c[32];
        snprintf(c, sizeof c, "%lld", (long long)pc.last);
        vg_jw_str(&jw, c);
    } else {
        vg_jw_null(&jw);
    }
    vg_jw_obj_close(&jw);
    vg_buf_putc(&rq->body, '\n');
}

static void api_alerts(vg_web_req_t *rq, vg_store_reader_t *db)
{
    static const char *const extra[] = {"attacker", "victim", "asn",    "sid",   "certainty",
                                        "run",      "incident", "cursor", "limit", NULL};
    filt_t f;
    if (!parse_filter(rq, &f, extra))
        return;
    q_t q = {0};
    vg_buf_init(&q.sql, 2048);
    vg_buf_puts(&q.sql, ALERT_COLS);
    alert_where(&q, &f);
    vg_buf_puts(&q.sql, " ORDER BY a.id DESC");
    page(rq, db, &q, &f, "alerts", alert_summary);
    vg_buf_fini(&q.sql);
}

static void incident_row(vg_jw_t *jw, const vg_rcell_t *st)
{
    col(jw, st, 0, "id");
    col(jw, st, 1, "run");
    col(jw, st, 2, "sensor");
    col(jw, st, 3, "category");
    col(jw, st, 4, "attacker");
    col(jw, st, 5, "victim");
    col(jw, st, 6, "family");
    col_time(jw, st, 7, "start");
    col_time(jw, st, 8, "end");
    col(jw, st, 9, "alerts");
    col(jw, st, 10, "first_alert");
    col(jw, st, 11, "last_alert");
    col(jw, st, 12, "country");
    col(jw, st, 13, "asn");
}

static void api_incidents(vg_web_req_t *rq, vg_store_reader_t *db)
{
    static const char *const extra[] = {"attacker", "victim", "run", "cursor", "limit", NULL};
    filt_t f;
    if (!parse_filter(rq, &f, extra))
        return;
    q_t q = {0};
    vg_buf_init(&q.sql, 2048);
    vg_buf_puts(&q.sql,
                "SELECT i.id, i.run_id, r.sensor, i.category, i.attacker_ip, i.victim_ip, i.family,"
                " i.start_ts, i.end_ts, i.alerts, i.first_alert, i.last_alert,"
                " coalesce(nullif(a.attacker_country,''),'\?\?'), a.attacker_asn"
                " FROM incidents i JOIN runs r ON r.id=i.run_id LEFT JOIN alerts a ON"
                " a.id=i.first_alert WHERE r.status IN ('complete','partial')");
    if (f.r.has_from)
        q_int(&q, " AND i.end_ts >= ?", f.r.from_us);
    if (f.r.has_to)
        q_int(&q, " AND i.start_ts < ?", f.r.to_us);
    if (f.r.sensor)
        q_str(&q, " AND r.sensor = ?", f.r.sensor);
    if (f.r.category)
        q_str(&q, " AND i.category = ?", f.r.category);
    if (f.r.country)
        q_str(&q, " AND coalesce(nullif(a.attacker_country,''),'\?\?') = ?", f.r.country);
    if (f.attacker)
        q_str(&q, " AND i.attacker_ip = ?", f.attacker);
    if (f.victim)
        q_str(&q, " AND i.victim_ip = ?", f.victim);
    if (f.run)
        q_int(&q, " AND i.run_id = ?", f.run);
    if (f.cursor)
        q_int(&q, " AND i.id < ?", f.cursor);
    vg_buf_puts(&q.sql, " ORDER BY i.id DESC");
    page(rq, db, &q, &f, "incidents", incident_row);
    vg_buf_fini(&q.sql);
}

static void evidence_json(vg_jw_t *jw, const vg_web_evidence_t *ev, int64_t id)
{
    vg_jw_obj_open(jw);
    vg_jw_kv_str(jw, "status", ev->status);
    vg_jw_key(jw, "sha256");
    if (*ev->sha)
        vg_jw_str(jw, ev->sha);
    else
        vg_jw_null(jw);
    vg_jw_key(jw, "ledger_sha256");
    if (ev->sealed)
        vg_jw_str(jw, ev->ledger_sha);
    else
        vg_jw_null(jw);
    if (*ev->sha)
        vg_jw_kv_uint(jw, "size", ev->size);
    if (ev->named && *ev->sha) {
        char url[64];
        snprintf(url, sizeof url, "/api/v1/alerts/%lld/pcap", (long long)id);
        vg_jw_kv_str(jw, "download", url);
    }
    vg_jw_obj_close(jw);
}

/* One row, copied (text duplicated) for use after the query. */
typedef struct row_copy {
    size_t n;
    vg_rcell_t *v;
} row_copy_t;

static int copy_row(void *ctx, size_t nc, const char *const *names, const vg_rcell_t *v)
{
    (void)names;
    row_copy_t *rc = ctx;
    if (!v)
        return 0;
    rc->n = nc;
    rc->v = vg_xcalloc(nc + 1, sizeof *rc->v);
    for (size_t c = 0; c < nc; c++) {
        rc->v[c] = v[c];
        rc->v[c].s = v[c].kind == VG_RK_TEXT ? vg_xstrdup(v[c].s) : NULL;
    }
    return 1;
}

static void row_copy_free(row_copy_t *rc)
{
    for (size_t c = 0; c < rc->n; c++)
        free(rc->v[c].s);
    free(rc->v);
}

static const char *text_of(const vg_rcell_t *v) { return v->kind == VG_RK_TEXT ? v->s : NULL; }

static void api_alert(vg_web_req_t *rq, vg_store_reader_t *db, int64_t id, bool pcap)
{
    static const char *const none[] = {NULL};
    if (!vg_web_args_known(rq, none))
        return;
    q_t q = {0};
    vg_buf_init(&q.sql, 2048);
    vg_buf_puts(&q.sql, ALERT_COLS);
    q_int(&q, " WHERE a.id = ? AND r.status IN ('complete','partial')", id);
    row_copy_t row = {0};
    char err[768];
    int qrc = q_run(db, &q, copy_row, &row, err, sizeof err);
    vg_buf_fini(&q.sql);
    if (qrc < 0) {
        vg_web_error(rq, 503, "store unavailable (alert): %s", err);
        vg_web_reader_drop(rq->w);
        return;
    }
    if (!row.v) {
        vg_web_error(rq, 404, "no alert %lld in a counted run", (long long)id);
        return;
    }
    const vg_rcell_t *st = row.v;
    const char *ref = text_of(&st[A_EVREF]);
    const char *logdir = text_of(&st[A_LOGDIR]);
    vg_web_evidence_t ev = {.status = "none"};
    char *data = NULL;
    size_t len = 0;
    if (ref && vg_store_reader_dialect(db) == VG_SQL_PG)
        ev.status = "on_sensor"; /* the file and its ledger are the sensor's (pg_no_evidence) */
    else if (ref)
        vg_web_evidence_check(logdir, vg_web_opts(rq->w)->logdir, ref, &ev, pcap ? &data : NULL,
                              &len);
    if (pcap) {
        if (!ref || !data) {
            vg_web_error(rq, 404, "no evidence pcap for alert %lld (%s)", (long long)id,
                         ev.status);
        } else {
            rq->status = 200;
            rq->ctype = "application/vnd.tcpdump.pcap";
            vg_buf_fini(&rq->body);
            rq->body.data = data;
            rq->body.len = rq->body.cap = len;
            data = NULL;
            vg_web_header(rq, "Content-Disposition", "attachment; filename=\"%s\"", ref);
            vg_web_header(rq, "X-Vigil-Evidence-Status", "%s", ev.status);
            vg_web_header(rq, "X-Vigil-Evidence-SHA256", "%s", ev.sha);
            if (ev.sealed)
                vg_web_header(rq, "X-Vigil-Ledger-SHA256", "%s", ev.ledger_sha);
        }
        free(data);
        row_copy_free(&row);
        return;
    }
    vg_jw_t jw;
    json_begin(rq, &jw);
    vg_jw_obj_open(&jw);
    col(&jw, st, A_ID, "id");
    col_time(&jw, st, A_TS, "time");
    col(&jw, st, A_TS, "ts_us");
    col(&jw, st, A_RUN, "run");
    col(&jw, st, A_SENSOR, "sensor");
    col(&jw, st, A_CAT, "category");
    vg_jw_key(&jw, "counted");
    vg_jw_bool(&jw, truthy(&st[A_COUNTED]));
    col(&jw, st, A_CERT, "certainty");
    col(&jw, st, A_ROLEBY, "role_by");
    col(&jw, st, A_ACTION, "action");
    party(&jw, st, "attacker", A_AIP);
    party(&jw, st, "victim", A_VIP);
    vg_jw_key(&jw, "rule");
    vg_jw_obj_open(&jw);
    col(&jw, st, A_GID, "gid");
    col(&jw, st, A_SID, "sid");
    col(&jw, st, A_REV, "rev");
    col(&jw, st, A_MSG, "signature");
    col(&jw, st, A_CLASS, "classtype");
    col(&jw, st, A_SEV, "severity");
    col(&jw, st, A_FAM, "family");
    col(&jw, st, A_CVES, "cves");
    vg_jw_obj_close(&jw);
    vg_jw_key(&jw, "flow");
    vg_jw_obj_open(&jw);
    col(&jw, st, A_FLOW, "flow_id");
    col(&jw, st, A_CID, "community_id");
    col(&jw, st, A_PROTO, "proto");
    col(&jw, st, A_APP, "app_proto");
    col(&jw, st, A_SRC, "src_ip");
    col(&jw, st, A_SPORT, "src_port");
    col(&jw, st, A_DST, "dest_ip");
    col(&jw, st, A_DPORT, "dest_port");
    /* The flow's summary when the store kept it (store.flows; the central PostgreSQL store
     * keeps no flows). */
    if (st[A_FLOW].kind == VG_RK_INT && vg_store_reader_dialect(db) == VG_SQL_SQLITE) {
        q_t fq = {0};
        vg_buf_init(&fq.sql, 256);
        vg_buf_puts(&fq.sql, "SELECT start_ts, end_ts, pkts_toserver, pkts_toclient,"
                             " bytes_toserver, bytes_toclient, state, reason FROM flows");
        q_int(&fq, " WHERE run_id=?", st[A_RUN].i);
        q_int(&fq, " AND flow_id=? LIMIT 1", st[A_FLOW].i);
        row_copy_t fr = {0};
        if (q_run(db, &fq, copy_row, &fr, err, sizeof err) >= 0 && fr.v) {
            col_time(&jw, fr.v, 0, "start");
            col_time(&jw, fr.v, 1, "end");
            col(&jw, fr.v, 2, "pkts_toserver");
            col(&jw, fr.v, 3, "pkts_toclient");
            col(&jw, fr.v, 4, "bytes_toserver");
            col(&jw, fr.v, 5, "bytes_toclient");
            col(&jw, fr.v, 6, "state");
            col(&jw, fr.v, 7, "reason");
        }
        row_copy_free(&fr);
        vg_buf_fini(&fq.sql);
    }
    vg_jw_obj_close(&jw);
    col(&jw, st, A_INC, "incident");
    vg_jw_key(&jw, "evidence");
    if (ref) {
        vg_jw_obj_open(&jw);
        vg_jw_kv_str(&jw, "file", ref);
        vg_jw_key(&jw, "verification");
        evidence_json(&jw, &ev, id);
        vg_jw_obj_close(&jw);
    } else {
        vg_jw_null(&jw);
    }
    vg_jw_obj_close(&jw);
    vg_buf_putc(&rq->body, '\n');
    row_copy_free(&row);
}

/* Over PostgreSQL evidence pcaps cannot be served: the files stay on the sensors. */
static void pg_no_evidence(vg_web_req_t *rq)
{
    vg_web_error(rq, 404, "evidence files are not reachable from the central store: they stay in "
                 "the evidence folder of the sensor that wrote them (the alert's evidence "
                 "reference names the file); serve that sensor's store with `vigil serve "
                 "--store` to download them");
}

void vg_web_api(vg_web_req_t *rq, const char *path)
{
    char err[1024];
    vg_store_reader_t *db = vg_web_reader(rq->w, err, sizeof err);
    if (!db) {
        vg_web_error(rq, 503, "store unavailable: %s", err);
        return;
    }
    bool pg = vg_store_reader_dialect(db) == VG_SQL_PG;
    if (!strcmp(path, "report"))
        api_report(rq, db);
    else if (!strcmp(path, "alerts"))
        api_alerts(rq, db);
    else if (!strcmp(path, "incidents"))
        api_incidents(rq, db);
    else if (!strcmp(path, "status"))
        api_status(rq, db);
    else if (!strncmp(path, "alerts/", 7)) {
        const char *p = path + 7;
        char num[24];
        size_t n = strspn(p, "0123456789");
        int64_t id;
        if (n == 0 || n >= sizeof num) {
            vg_web_error(rq, 404, "not found");
            return;
        }
        memcpy(num, p, n);
        num[n] = '\0';
        if (!parse_uint(num, INT64_MAX / 2, &id) || id == 0) {
            vg_web_error(rq, 404, "not found");
            return;
        }
        if (!p[n])
            api_alert(rq, db, id, false);
        else if (!strcmp(p + n, "/pcap") && pg)
            pg_no_evidence(rq);
        else if (!strcmp(p + n, "/pcap"))
            api_alert(rq, db, id, true);
        else
            vg_web_error(rq, 404, "not found");
    } else {
        vg_web_error(rq, 404, "not found");
    }
}
