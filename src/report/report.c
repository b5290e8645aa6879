/* report.c — the report model: filtered views over the store and one SQL query per table.
 *
 * Units: "alerts" are alert events as stored; "incidents" are the store's incidents (alerts of
 * one category, attacker, victim and signature family within the incident window, counted by
 * the incident id of the alerts that pass the filter); "attackers"/"victims"/"hosts" are
 * distinct addresses. Attack tables count only alerts whose category is counted as an attack
 * (everything but policy-info). docs/STORE.md. */
#include "report/report.h"
#include "common/common.h"
#include "store/store_int.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static char *xprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *xprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    if (vasprintf(&s, fmt, ap) < 0)
        abort();
    va_end(ap);
    return s;
}

/* Appends an sqlite3_mprintf-formatted piece (%Q quotes SQL strings). */
static void addf(vg_buf_t *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *p = sqlite3_vmprintf(fmt, ap);
    va_end(ap);
    vg_buf_puts(b, p);
    sqlite3_free(p);
}

static void explain(char *err, size_t err_len, sqlite3 *db, const char *what)
{
    const char *why = vg_store_explain(sqlite3_extended_errcode(db));
    snprintf(err, err_len, "%s: %s%s%s", what, why ? why : "", why ? " — " : "", sqlite3_errmsg(db));
}

static void cell_free(vg_rcell_t *c) { free(c->s); }

static void table_free(vg_rtable_t *t)
{
    for (size_t r = 0; r < t->n_rows; r++) {
        for (size_t c = 0; c < t->n_cols; c++)
            cell_free(&t->rows[r].cells[c]);
        free(t->rows[r].cells);
    }
    for (size_t c = 0; c < t->n_cols; c++)
        free(t->cols[c]);
    free(t->cols);
    free(t->rows);
    free(t->id);
    free(t->title);
    free(t->unit);
    free(t->note);
}

void vg_report_free(vg_report_t *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n_tables; i++)
        table_free(&r->tables[i]);
    free(r->tables);
    free(r);
}

const vg_rtable_t *vg_report_table(const vg_report_t *r, const char *id)
{
    for (size_t i = 0; i < r->n_tables; i++)
        if (!strcmp(r->tables[i].id, id))
            return &r->tables[i];
    return NULL;
}

int vg_report_col(const vg_rtable_t *t, const char *key)
{
    for (size_t i = 0; i < t->n_cols; i++)
        if (!strcmp(t->cols[i], key))
            return (int)i;
    return -1;
}

void vg_report_time(int64_t us, char *out, size_t n)
{
    /* floor division without negating (a store may hold INT64_MIN) */
    int64_t sec = us / 1000000, frac = us % 1000000;
    if (frac < 0) {
        frac += 1000000;
        sec--;
    }
    time_t t = (time_t)sec;
    struct tm tm;
    if (!gmtime_r(&t, &tm)) { /* a year no calendar function represents */
        snprintf(out, n, "%s", "invalid-time");
        return;
    }
    char base[32];
    strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
    if (frac)
        snprintf(out, n, "%s.%06lldZ", base, (long long)frac);
    else
        snprintf(out, n, "%sZ", base);
}

void vg_report_cell_text(const vg_rcell_t *c, char *out, size_t n)
{
    switch (c->kind) {
    case VG_RK_NULL: snprintf(out, n, "%s", ""); break;
    case VG_RK_INT: snprintf(out, n, "%" PRId64, c->i); break;
    case VG_RK_REAL: {
        /* Shares and hours: up to 4 decimals, trailing zeros dropped (same text everywhere). */
        snprintf(out, n, "%.4f", c->d);
        char *dot = strchr(out, '.');
        if (dot) {
            char *e = out + strlen(out) - 1;
            while (e > dot && *e == '0')
                *e-- = '\0';
            if (e == dot)
                *e = '\0';
        }
        break;
    }
    case VG_RK_TEXT: snprintf(out, n, "%s", c->s); break;
    }
}

/* Runs sql and appends a table with its rows. Columns named ev_first/ev_last become the row's
 * evidence. Returns -1 (err) on an SQL error. */
static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int add_table(vg_report_t *r, sqlite3 *db, const char *id, const char *title,
                     const char *unit, const char *note, const char *sql, char *err, size_t err_len)
{
    /* VIGIL_REPORT_TIMING=1: each table's query time on stderr (for bench/RESULTS.md). */
    static int timing = -1;
    if (timing < 0)
        timing = getenv("VIGIL_REPORT_TIMING") != NULL;
    if (r->filter.tables) {
        size_t il = strlen(id);
        const char *p = r->filter.tables;
        bool want = false;
        while (*p && !want) {
            const char *e = strchr(p, ',');
            size_t n = e ? (size_t)(e - p) : strlen(p);
            want = n == il && !memcmp(p, id, il);
            p += n + (e ? 1 : 0);
        }
        if (!want)
            return 0;
    }
    double t0 = timing ? mono() : 0;
    if (r->filter.progress) {
        fprintf(stderr, "\r\033[Kreport: table %zu (%s)...", r->n_tables + 1, id);
        fflush(stderr);
    }
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        char what[128];
        snprintf(what, sizeof what, "report table %s", id);
        explain(err, err_len, db, what);
        return -1;
    }
    r->tables = vg_xrealloc(r->tables, (r->n_tables + 1) * sizeof *r->tables);
    vg_rtable_t *t = &r->tables[r->n_tables++];
    memset(t, 0, sizeof *t);
    t->id = vg_xstrdup(id);
    t->title = vg_xstrdup(title);
    t->unit = vg_xstrdup(unit ? unit : "");
    t->note = vg_xstrdup(note ? note : "");
    int nc = sqlite3_column_count(st);
    int evf = -1, evl = -1;
    t->cols = vg_xcalloc((size_t)nc + 1, sizeof(char *));
    int *map = vg_xcalloc((size_t)nc + 1, sizeof(int));
    for (int c = 0; c < nc; c++) {
        const char *name = sqlite3_column_name(st, c);
        if (!strcmp(name, "ev_first")) {
            evf = c;
            map[c] = -1;
        } else if (!strcmp(name, "ev_last")) {
            evl = c;
            map[c] = -1;
        } else {
            map[c] = (int)t->n_cols;
            t->cols[t->n_cols++] = vg_xstrdup(name);
        }
    }
    t->has_evidence = evf >= 0;
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (t->n_rows == cap) {
            cap = cap ? cap * 2 : 16;
            t->rows = vg_xrealloc(t->rows, cap * sizeof *t->rows);
        }
        vg_rrow_t *row = &t->rows[t->n_rows++];
        row->cells = vg_xcalloc(t->n_cols + 1, sizeof(vg_rcell_t));
        row->ev_first = evf >= 0 ? sqlite3_column_int64(st, evf) : 0;
        row->ev_last = evl >= 0 ? sqlite3_column_int64(st, evl) : row->ev_first;
        for (int c = 0; c < nc; c++) {
            if (map[c] < 0)
                continue;
            vg_rcell_t *cell = &row->cells[map[c]];
            switch (sqlite3_column_type(st, c)) {
            case SQLITE_INTEGER: cell->kind = VG_RK_INT; cell->i = sqlite3_column_int64(st, c); break;
            case SQLITE_FLOAT: cell->kind = VG_RK_REAL; cell->d = sqlite3_column_double(st, c); break;
            case SQLITE_NULL: cell->kind = VG_RK_NULL; break;
            default:
                cell->kind = VG_RK_TEXT;
                cell->s = vg_xstrdup((const char *)sqlite3_column_text(st, c));
            }
        }
    }
    free(map);
    if (timing)
        fprintf(stderr, "report: table %-20s %8.3f s, %zu rows\n", id, mono() - t0, t->n_rows);
    if (rc != SQLITE_DONE) {
        char what[128];
        snprintf(what, sizeof what, "report table %s", id);
        explain(err, err_len, db, what);
        sqlite3_finalize(st);
        return -1;
    }
    sqlite3_finalize(st);
    return 0;
}

static int exec(sqlite3 *db, const char *sql, char *err, size_t err_len, const char *what)
{
    if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK) {
        explain(err, err_len, db, what);
        return -1;
    }
    return 0;
}

#define ISO(x) "strftime('%%Y-%%m-%%dT%%H:%%M:%%SZ', (" x ")/1000000, 'unixepoch')"
#define EXTERNAL "coalesce(attacker_home,0)=0"
#define VERIFIED "round(avg(CASE WHEN certainty='verified' THEN 1.0 ELSE 0.0 END), 4)"
#define SPOOFABLE "round(avg(CASE WHEN certainty='spoofable' THEN 1.0 ELSE 0.0 END), 4)"

static int scalar_i64(sqlite3 *db, const char *sql, int64_t *out)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return -1;
    int rc = sqlite3_step(st);
    *out = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

static void iso(int64_t us, char *out, size_t n)
{
    time_t t = (time_t)(us / 1000000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

vg_report_t *vg_report_build(sqlite3 *db, const vg_report_filter_t *f, char *err, size_t err_len)
{
    int ver = 0;
    char e2[512];
    if (vg_store_read_version(db, &ver, e2, sizeof e2)) {
        snprintf(err, err_len, "%s", e2);
        return NULL;
    }
    if (ver == 0) {
        snprintf(err, err_len, "an empty database, not a Vigil store (vigil read --store makes one)");
        return NULL;
    }
    if (ver > VG_STORE_SCHEMA_VERSION) {
        snprintf(err, err_len, "made by a newer Vigil (store schema %d; this vigil knows up to %d)",
                 ver, VG_STORE_SCHEMA_VERSION);
        return NULL;
    }
    if (ver < VG_STORE_SCHEMA_VERSION) {
        snprintf(err, err_len, "store schema %d is older than this vigil's (%d); `vigil read "
                 "--store` on it, or opening it with `vigil report`, migrates it", ver,
                 VG_STORE_SCHEMA_VERSION);
        return NULL;
    }
    vg_report_t *r = vg_xcalloc(1, sizeof *r);
    r->filter = *f;
    unsigned top = f->top ? f->top : 25;
    {
        time_t now = time(NULL);
        struct tm tm;
        gmtime_r(&now, &tm);
        strftime(r->generated_at, sizeof r->generated_at, "%Y-%m-%dT%H:%M:%SZ", &tm);
    }
    /* A read snapshot: every table sees the same data even while a run writes. */
    if (exec(db, "BEGIN", err, err_len, "begin"))
        goto bad;
    vg_buf_t rb, ab;
    vg_buf_init(&rb, 256);
    vg_buf_init(&ab, 256);
    if (f->sensor)
        addf(&rb, " AND r.sensor=%Q", f->sensor);
    if (f->run_id)
        addf(&rb, " AND r.id=%lld", (long long)f->run_id);
    if (f->has_from)
        addf(&rb, " AND coalesce(r.last_ts, %lld) >= %lld", (long long)f->from_us,
             (long long)f->from_us);
    if (f->has_to)
        addf(&rb, " AND coalesce(r.first_ts, %lld) < %lld", (long long)f->to_us - 1,
             (long long)f->to_us);
    if (f->has_from)
        addf(&ab, " AND a.ts >= %lld", (long long)f->from_us);
    if (f->has_to)
        addf(&ab, " AND a.ts < %lld", (long long)f->to_us);
    if (f->category)
        addf(&ab, " AND a.category=%Q", f->category);
    if (f->country)
        addf(&ab, " AND coalesce(nullif(a.attacker_country,''),'\?\?')=%Q", f->country);
    vg_buf_putc(&rb, '\0');
    vg_buf_putc(&ab, '\0');
    const char *runf = rb.data, *alf = ab.data;
    char *views = sqlite3_mprintf(
        "DROP VIEW IF EXISTS temp.fr; DROP VIEW IF EXISTS temp.fa;"
        "CREATE TEMP VIEW fr AS SELECT r.* FROM main.runs r WHERE r.status IN "
        "('complete','partial')%s;"
        "CREATE TEMP VIEW fa AS SELECT a.id, a.run_id, a.ts, a.category, a.counted, a.certainty,"
        " a.role_by, a.proto, a.app_proto, a.src_ip, a.src_port, a.dest_ip, a.dest_port,"
        " a.flow_id, a.community_id, a.attacker_ip, a.attacker_port, a.attacker_home,"
        " coalesce(nullif(a.attacker_country,''),'\?\?') AS attacker_country,"
        " coalesce(a.attacker_asn,0) AS attacker_asn, coalesce(a.attacker_org,'') AS attacker_org,"
        " a.victim_ip, a.victim_port, a.victim_home,"
        " coalesce(nullif(a.victim_country,''),'\?\?') AS victim_country, a.victim_asn,"
        " a.victim_org, a.incident_id, a.evidence_ref, a.evidence_sha256, s.gid, s.sid, s.rev,"
        " s.msg AS signature, s.family, s.cves, s.severity, s.classtype"
        " FROM main.alerts a JOIN main.signatures s ON s.id=a.sig_id"
        " WHERE a.run_id IN (SELECT id FROM fr)%s;",
        runf, alf);
    vg_buf_fini(&rb);
    vg_buf_fini(&ab);
    int vrc = exec(db, views, err, err_len, "report views");
    sqlite3_free(views);
    if (vrc)
        goto bad_tx;

    int64_t n_alerts = 0, n_runs = 0, tmin = 0, tmax = 0;
    if (scalar_i64(db, "SELECT count(*) FROM fr", &n_runs) ||
        scalar_i64(db, "SELECT coalesce(min(ts),0) FROM fa", &tmin) ||
        scalar_i64(db, "SELECT coalesce(max(ts),0) FROM fa", &tmax) ||
        scalar_i64(db, "SELECT EXISTS(SELECT 1 FROM fa)", &n_alerts)) {
        explain(err, err_len, db, "report");
        goto bad_tx;
    }
    r->empty = n_alerts == 0 && n_runs == 0;
    if (n_alerts) {
        iso(tmin, r->period_from, sizeof r->period_from);
        iso(tmax, r->period_to, sizeof r->period_to);
    }
    char lo[32], hi[32];
    snprintf(lo, sizeof lo, "%lld", f->has_from ? (long long)f->from_us : (long long)INT64_MIN);
    snprintf(hi, sizeof hi, "%lld", f->has_to ? (long long)f->to_us : (long long)INT64_MAX);

    char *sql;
    int rc;
    /* overview and data quality */
    sql = xprintf(
        /* everything about the alerts in one pass */
        "WITH agg AS MATERIALIZED (SELECT count(*) AS n, coalesce(sum(counted),0) AS nc,"
        " count(DISTINCT CASE WHEN counted=1 THEN incident_id END) AS inc,"
        " count(DISTINCT CASE WHEN counted=1 THEN attacker_ip END) AS att,"
        " count(DISTINCT CASE WHEN counted=1 AND " EXTERNAL " THEN attacker_ip END) AS ext,"
        " count(DISTINCT CASE WHEN counted=1 AND " EXTERNAL " AND attacker_country='\?\?' THEN attacker_ip END) AS unk,"
        " count(DISTINCT CASE WHEN counted=1 THEN victim_ip END) AS vic,"
        " count(DISTINCT CASE WHEN victim_home=1 AND (category IN ('command-and-control','malware-infection','webshell-backdoor') OR role_by='c2') THEN victim_ip END) AS comp,"
        " count(DISTINCT CASE WHEN victim_home=1 AND " EXTERNAL " AND (category='command-and-control' OR role_by='c2') THEN attacker_ip END) AS c2,"
        " round(avg(CASE WHEN counted=1 THEN (CASE WHEN certainty='verified' THEN 1.0 ELSE 0.0 END) END), 4) AS ver,"
        " min(ts) AS t0, max(ts) AS t1 FROM fa)"
        " SELECT 'runs' AS metric, (SELECT count(*) FROM fr) AS value, 'runs counted (complete or partial)' AS unit"
        " UNION ALL SELECT 'runs_partial', (SELECT count(*) FROM fr WHERE status='partial'), 'runs with a damaged capture'"
        " UNION ALL SELECT 'runs_not_counted', (SELECT count(*) FROM main.runs WHERE status IN ('running','failed')), 'runs unfinished or failed (rows not counted)'"
        " UNION ALL SELECT 'runs_superseded', (SELECT count(*) FROM main.runs WHERE status='superseded'), 'earlier runs of a capture set analysed again (rows replaced)'"
        " UNION ALL SELECT 'sensors', (SELECT count(DISTINCT sensor) FROM fr), 'sensors'"
        " UNION ALL SELECT 'capture_files', (SELECT count(DISTINCT c.sha256) FROM main.captures c WHERE c.run_id IN (SELECT id FROM fr)), 'files (distinct content)'"
        " UNION ALL SELECT 'capture_hours', (SELECT round(coalesce(sum(max(0, min(last_ts, %s) - max(first_ts, %s))), 0) / 3.6e9, 4) FROM fr WHERE first_ts IS NOT NULL), 'hours of packet time (in the period)'"
        " UNION ALL SELECT 'packets', (SELECT coalesce(sum(packets),0) FROM fr), 'packets read (whole runs)'"
        " UNION ALL SELECT 'bytes', (SELECT coalesce(sum(bytes),0) FROM fr), 'bytes read (whole runs)'"
        " UNION ALL SELECT 'drops', (SELECT coalesce(sum(drops),0) FROM fr), 'packets, segments and sessions given up under memory caps'"
        " UNION ALL SELECT 'drop_share', (SELECT round(1.0*coalesce(sum(drops),0)/max(coalesce(sum(packets),0),1), 6) FROM fr), 'drops / packets'"
        " UNION ALL SELECT 'reassembly_gaps', (SELECT coalesce(sum(gaps),0) FROM fr), 'TCP gaps'"
        " UNION ALL SELECT 'rules_loaded', (SELECT max(rules_loaded) FROM fr), 'rules (largest of the runs)'"
        " UNION ALL SELECT 'rules_failed', (SELECT max(rules_failed) FROM fr), 'rules that failed to load (largest of the runs)'"
        " UNION ALL SELECT 'geo_databases', (SELECT group_concat(DISTINCT j.value) FROM fr, json_each(fr.geo_dbs) j), 'geo database builds used'"
        " UNION ALL SELECT 'alerts', (SELECT n FROM agg), 'alerts (all categories)'"
        " UNION ALL SELECT 'attack_alerts', (SELECT nc FROM agg), 'alerts counted as attacks (not policy-info)'"
        " UNION ALL SELECT 'incidents', (SELECT inc FROM agg), 'incidents of attack alerts'"
        " UNION ALL SELECT 'attackers', (SELECT att FROM agg), 'distinct attacker addresses'"
        " UNION ALL SELECT 'external_attackers', (SELECT ext FROM agg), 'distinct attacker addresses outside the home networks'"
        " UNION ALL SELECT 'victims', (SELECT vic FROM agg), 'distinct victim addresses'"
        " UNION ALL SELECT 'compromised_hosts', (SELECT comp FROM agg), 'internal hosts victim of command-and-control, malware infection or a backdoor'"
        " UNION ALL SELECT 'external_controllers', (SELECT c2 FROM agg), 'distinct external command-and-control addresses reaching internal hosts'"
        " UNION ALL SELECT 'verified_share', (SELECT ver FROM agg), 'attack alerts whose attacker completed a TCP handshake'"
        " UNION ALL SELECT 'unattributable_share', (SELECT round(1.0*unk/max(ext,1), 4) FROM agg), 'external attacker addresses with no country in the geo databases'"
        " UNION ALL SELECT 'first_alert', (SELECT " ISO("t0") " FROM agg), 'time (UTC)'"
        " UNION ALL SELECT 'last_alert', (SELECT " ISO("t1") " FROM agg), 'time (UTC)'",
        hi, lo);
    rc = add_table(r, db, "overview", "Overview and data quality", "see each row",
                   "Whole-run figures (packets, drops) are for the runs that overlap the period.",
                   sql, err, err_len);
    free(sql);
    if (rc)
        goto bad_tx;

    sql = xprintf(
        "SELECT id AS run, sensor, status, (SELECT group_concat(path, ' ') FROM main.captures c WHERE c.run_id=fr.id) AS captures,"
        " " ISO("first_ts") " AS first_packet, " ISO("last_ts") " AS last_packet,"
        " round((last_ts-first_ts)/3.6e9, 4) AS hours, packets, drops,"
        " round(1.0*drops/max(packets,1), 6) AS drop_share, rules_loaded, rules_failed,"
        " (SELECT group_concat(j.value, '; ') FROM json_each(fr.geo_dbs) j) AS geo_databases,"
        " incident_window AS incident_window_s,"
        " (SELECT count(*) FROM fa WHERE fa.run_id=fr.id) AS alerts,"
        " (SELECT min(id) FROM fa WHERE fa.run_id=fr.id) AS ev_first,"
        " (SELECT max(id) FROM fa WHERE fa.run_id=fr.id) AS ev_last FROM fr ORDER BY id");
    rc = add_table(r, db, "runs", "Runs", "runs", NULL, sql, err, err_len);
    free(sql);
    if (rc)
        goto bad_tx;

    sql = xprintf(
        "SELECT statement, topic, country, sources, internal_hosts, alerts, incidents, ev_first, ev_last FROM ("
        "SELECT printf('%%d control server(s) in %%s contacted %%d host(s) in our networks', count(DISTINCT attacker_ip), CASE WHEN attacker_country='\?\?' THEN 'an unknown country' ELSE attacker_country END, count(DISTINCT victim_ip)) AS statement,"
        " 'command-and-control' AS topic, attacker_country AS country, count(DISTINCT attacker_ip) AS sources, count(DISTINCT victim_ip) AS internal_hosts, count(*) AS alerts, count(DISTINCT incident_id) AS incidents, min(id) AS ev_first, max(id) AS ev_last"
        " FROM fa WHERE (category='command-and-control' OR role_by='c2') AND " EXTERNAL " AND victim_home=1 GROUP BY attacker_country"
        " UNION ALL SELECT printf('%%d address(es) in %%s planted or used backdoors on %%d of our hosts', count(DISTINCT attacker_ip), CASE WHEN attacker_country='\?\?' THEN 'an unknown country' ELSE attacker_country END, count(DISTINCT victim_ip)),"
        " 'webshell-backdoor', attacker_country, count(DISTINCT attacker_ip), count(DISTINCT victim_ip), count(*), count(DISTINCT incident_id), min(id), max(id)"
        " FROM fa WHERE category='webshell-backdoor' AND " EXTERNAL " AND victim_home=1 GROUP BY attacker_country"
        " UNION ALL SELECT printf('%%d address(es) in %%s attempted exploits against %%d of our hosts', count(DISTINCT attacker_ip), CASE WHEN attacker_country='\?\?' THEN 'an unknown country' ELSE attacker_country END, count(DISTINCT victim_ip)),"
        " 'exploitation-attempt', attacker_country, count(DISTINCT attacker_ip), count(DISTINCT victim_ip), count(*), count(DISTINCT incident_id), min(id), max(id)"
        " FROM fa WHERE category='exploitation-attempt' AND " EXTERNAL " AND victim_home=1 GROUP BY attacker_country"
        ") ORDER BY topic, sources DESC, country");
    rc = add_table(r, db, "statements", "Statements", "addresses and hosts are distinct addresses",
                   "Controllers: external ends of command-and-control alerts (category or roles by "
                   "C2 check-in) whose victim is in the home networks.",
                   sql, err, err_len);
    free(sql);
    if (rc)
        goto bad_tx;

    sql = xprintf(
        "SELECT category, max(counted) AS counted, count(*) AS alerts, count(DISTINCT incident_id) AS incidents,"
        " count(DISTINCT attacker_ip) AS attackers, count(DISTINCT victim_ip) AS victims,"
        " " VERIFIED " AS verified_share, " SPOOFABLE " AS spoofable_share, min(id) AS ev_first, max(id) AS ev_last"
        " FROM fa GROUP BY category ORDER BY alerts DESC, category");
    rc = add_table(r, db, "categories", "Totals by category", "alerts; incidents; distinct addresses",
                   "counted=0: policy-info, not counted as an attack anywhere else.", sql, err, err_len);
    free(sql);
    if (rc)
        goto bad_tx;

    int64_t span = tmax - tmin;
    int gran = span <= (int64_t)72 * 3600 * 1000000 ? 0 : span <= (int64_t)92 * 86400 * 1000000 ? 1 : 2;
    static const char *const bucket_fmt[] = {"%Y-%m-%dT%H:00:00Z", "%Y-%m-%d", "%Y-%m"};
    static const char *const bucket_unit[] = {"alerts per hour (UTC)", "alerts per day (UTC)",
                                              "alerts per month (UTC)"};
    const char *bucket = bucket_fmt[gran];
    sql = xprintf(
        "SELECT strftime('%s', ts/1000000, 'unixepoch') AS bucket, category, count(*) AS alerts,"
        " count(DISTINCT incident_id) AS incidents, count(DISTINCT attacker_ip) AS attackers,"
        " min(id) AS ev_first, max(id) AS ev_last FROM fa WHERE counted=1 GROUP BY bucket, category ORDER BY bucket, category",
        bucket);
    rc = add_table(r, db, "timeline", "Category × time",
                   bucket_unit[gran],
                   "An incident spanning two buckets is counted in both.", sql, err, err_len);
    free(sql);
    if (rc)
        goto bad_tx;

    sql = xprintf(
        "SELECT CASE WHEN attacker_home=1 THEN 'home' ELSE attacker_country END AS country, count(*) AS alerts,"
        " round(1.0*count(*)/(SELECT count(*) FROM fa WHERE counted=1), 4) AS share,"
        " count(DISTINCT incident_id) AS incidents, count(DISTINCT attacker_ip) AS attackers,"
        " count(DISTINCT victim_ip) AS victims, " VERIFIED " AS verified_share, " SPOOFABLE " AS spoofable_share,"
        " CASE WHEN avg(CASE WHEN certainty='spoofable' THEN 1.0 ELSE 0.0 END) > 0.5 THEN 'spoofable' ELSE '' END AS flag,"
        " group_concat(DISTINCT category) AS categories, min(id) AS ev_first, max(id) AS ev_last"
        " FROM fa WHERE counted=1 GROUP BY 1 ORDER BY incidents DESC, alerts DESC, country");
    rc = add_table(r, db, "origins_country", "Origins by country",
                   "attack alerts; incidents; distinct addresses",
                   "Country of the attacker address (location, from the geo databases; \?\? unknown; home: "
                   "the home networks). flag spoofable: most alerts could come from a forged source "
                   "(UDP, ICMP, no completed handshake).", sql, err, err_len);
    free(sql);
    if (rc)
        goto bad_tx;

    sql = xprintf(
        "SELECT attacker_asn AS asn, max(attacker_org) AS org, group_concat(DISTINCT attacker_country) AS countries, count(*) AS alerts,"
        " count(DISTINCT incident_id) AS incidents, count(DISTINCT attacker_ip) AS attackers,"
        " count(DISTINCT victim_ip) AS victims, " VERIFIED " AS verified_share, " SPOOFABLE " AS spoofable_share,"
        " min(id) AS ev_first, max(id) AS ev_last"
        " FROM fa WHERE counted=1 AND " EXTERNAL " GROUP BY attacker_asn ORDER BY incidents DESC, alerts DESC, asn LIMIT %u", top);
    rc = add_table(r, db, "origins_asn", "Origins by autonomous system",
                   "attack alerts; incidents; distinct addresses",
                   "External attackers only; asn 0: unknown.", sql, err, err_len);
    free(sql);
    if (rc)
        goto bad_tx;

    sql = xprintf(
        "SELECT victim_ip AS host, count(*) AS alerts, count(DISTINCT incident_id) AS incidents,"
        " count(DISTINCT attacker_ip) AS attackers, group_concat(DISTINCT category) AS categories,"
        " " ISO("min(ts)") " AS first_seen, " ISO("max(ts)") " AS last_seen, min(id) AS ev_first, max(id) AS ev_last"
        " FROM fa WHERE counted=1 AND victim_home=1 GROUP BY victim_ip ORDER BY incidents DESC, alerts DESC, host LIMIT %u", top);
    rc = add_table(r, db, "targets_hosts", "Targets: internal hosts",
                   "attack alerts; incidents; distinct attacker addresses", NULL, sql, err, err_len);
    free(sql);
    if (rc)
        goto bad_tx;

    sql = xprintf(
        "SELECT coalesce(proto,'') AS proto, victim_port AS port, coalesce(app_proto,'') AS app_proto, count(*) AS alerts,"
        " count(DISTINCT incident_id) AS incidents, count(DISTINCT victim_ip) AS hosts, count(DISTINCT attacker_ip) AS attackers,"
        " min(id) AS ev_first, max(id) AS ev_last"
        " FROM fa WHERE counted=1 AND victim_home=1 GROUP BY 1, 2, 3 ORDER BY alerts DESC, port LIMIT %u", top);
    rc = add_table(r, db, "targets_services", "Targets: services",
                   "attack alerts; distinct addresses", "The victim's port and protocol.", sql, err, err_len);
    free(sql);
    if (rc)
        goto bad_tx;

#define C2_WHERE "(category='command-and-control' OR role_by='c2') AND " EXTERNAL " AND victim_home=1"
    sql = xprintf(
        "SELECT attacker_country AS country, count(DISTINCT attacker_ip) AS controllers,"
        " count(DISTINCT victim_ip) AS internal_hosts, group_concat(DISTINCT victim_ip) AS hosts,"
        " count(*) AS alerts, count(DISTINCT incident_id) AS incidents, min(id) AS ev_first, max(id) AS ev_last"
        " FROM fa WHERE " C2_WHERE " GROUP BY attacker_country ORDER BY controllers DESC, internal_hosts DESC, country");
    rc = add_table(r, db, "c2_countries", "Command and control: controllers by country",
                   "distinct controller addresses; distinct internal hosts",
                   "hosts: the internal hosts this country's controllers reached.", sql, err, err_len);
    free(sql);
    if (rc)
        goto bad_tx;

    sql = xprintf(
        "SELECT attacker_ip AS controller, attacker_country AS country, attacker_asn AS asn, max(attacker_org) AS org,"
        " count(DISTINCT victim_ip) AS internal_hosts, group_concat(DISTINCT victim_ip) AS hosts,"
        " group_concat(DISTINCT family) AS families, count(*) AS alerts, count(DISTINCT incident_id) AS incidents,"
        " " ISO("min(ts)") " AS first_seen, " ISO("max(ts)") " AS last_seen, min(id) AS ev_first, max(id) AS ev_last"
        " FROM fa WHERE " C2_WHERE " GROUP BY attacker_ip ORDER BY internal_hosts DESC, alerts DESC, controller LIMIT %u", top);
    rc = add_table(r, db, "c2_controllers", "Command and control: controllers",
                   "distinct internal hosts; alerts; incidents", NULL, sql, err, err_len);
    free(sql);
    if (rc)
        goto bad_tx;

    sql = xprintf(
        "SELECT sid, max(signature) AS signature, category, max(cves) AS cves, count(*) AS alerts,"
        " count(DISTINCT incident_id) AS incidents, count(DISTINCT attacker_ip) AS attackers,"
        " count(DISTINCT victim_ip) AS victims, min(id) AS ev_first, max(id) AS ev_last"
        " FROM fa WHERE category IN ('exploitation-attempt','webshell-backdoor') GROUP BY gid, sid, category"
        " ORDER BY alerts DESC, sid LIMIT %u", top);
    rc = add_table(r, db, "exploit_signatures", "Exploitation: top signatures",
                   "alerts; incidents; distinct addresses", NULL, sql, err, err_len);
    free(sql);
    if (rc)
        goto bad_tx;

    sql = xprintf(
        "SELECT j.value AS cve, count(*) AS alerts, count(DISTINCT fa.incident_id) AS incidents,"
        " count(DISTINCT attacker_ip) AS attackers, count(DISTINCT victim_ip) AS victims,"
        " group_concat(DISTINCT sid) AS sids, min(fa.id) AS ev_first, max(fa.id) AS ev_last"
        " FROM fa, json_each('[\"' || replace(fa.cves, ',', '\",\"') || '\"]') j"
        " WHERE fa.cves IS NOT NULL AND fa.counted=1 GROUP BY j.value ORDER BY alerts DESC, cve LIMIT %u", top);
    rc = add_table(r, db, "exploit_cves", "Exploitation: CVEs",
                   "attack alerts whose rule names the CVE (metadata or message)", NULL, sql, err, err_len);
    free(sql);
    if (rc)
        goto bad_tx;

    sql = xprintf(
        "SELECT attacker_ip AS scanner, attacker_country AS country, attacker_asn AS asn, count(*) AS alerts,"
        " count(DISTINCT incident_id) AS incidents, count(DISTINCT victim_ip) AS hosts,"
        " count(DISTINCT victim_port) AS ports, " ISO("min(ts)") " AS first_seen, " ISO("max(ts)") " AS last_seen,"
        " min(id) AS ev_first, max(id) AS ev_last"
        " FROM fa WHERE category='scanning' GROUP BY attacker_ip ORDER BY hosts DESC, alerts DESC, scanner LIMIT %u", top);
    rc = add_table(r, db, "scanning", "Scanning", "alerts; distinct hosts and ports probed", NULL, sql,
                   err, err_len);
    free(sql);
    if (rc)
        goto bad_tx;

    sql = xprintf(
        "SELECT coalesce(proto,'') AS proto, victim_port AS port, count(*) AS alerts,"
        " count(DISTINCT attacker_ip) AS scanners, count(DISTINCT victim_ip) AS hosts,"
        " group_concat(DISTINCT attacker_country) AS scanner_countries, min(id) AS ev_first, max(id) AS ev_last"
        " FROM fa WHERE category='scanning' GROUP BY 1, 2 ORDER BY scanners DESC, alerts DESC, port LIMIT %u", top);
    rc = add_table(r, db, "scanning_ports", "Scanning: ports probed", "alerts; distinct scanners and hosts",
                   NULL, sql, err, err_len);
    free(sql);
    if (rc)
        goto bad_tx;

    sql = xprintf(
        "SELECT victim_ip AS target, count(*) AS alerts, count(DISTINCT incident_id) AS incidents,"
        " count(DISTINCT attacker_ip) AS sources, " SPOOFABLE " AS spoofable_share,"
        " group_concat(DISTINCT attacker_country) AS source_countries,"
        " " ISO("min(ts)") " AS first_seen, " ISO("max(ts)") " AS last_seen, min(id) AS ev_first, max(id) AS ev_last"
        " FROM fa WHERE category='denial-of-service' GROUP BY victim_ip ORDER BY alerts DESC, target LIMIT %u", top);
    rc = add_table(r, db, "dos", "Denial of service", "alerts; distinct source addresses",
                   "Source addresses of spoofable alerts may be forged: count them as claimed sources.",
                   sql, err, err_len);
    free(sql);
    if (rc)
        goto bad_tx;

    sql = xprintf(
        "SELECT attacker_ip AS attacker, attacker_country AS country, attacker_asn AS asn, max(attacker_org) AS org,"
        " count(*) AS alerts, count(DISTINCT incident_id) AS incidents, count(DISTINCT victim_ip) AS victims,"
        " group_concat(DISTINCT category) AS categories, " VERIFIED " AS verified_share,"
        " min(id) AS ev_first, max(id) AS ev_last"
        " FROM fa WHERE counted=1 GROUP BY attacker_ip ORDER BY incidents DESC, alerts DESC, attacker LIMIT %u", top);
    rc = add_table(r, db, "top_attackers", "Top attackers", "attack alerts; incidents; distinct victims",
                   NULL, sql, err, err_len);
    free(sql);
    if (rc)
        goto bad_tx;

    /* Evidence index: every alert id a row above points to. */
    {
        vg_buf_t ids;
        vg_buf_init(&ids, 256);
        vg_buf_putc(&ids, '[');
        bool first = true;
        for (size_t i = 0; i < r->n_tables; i++)
            for (size_t k = 0; k < r->tables[i].n_rows; k++) {
                int64_t e[2] = {r->tables[i].rows[k].ev_first, r->tables[i].rows[k].ev_last};
                for (int j = 0; j < 2; j++) {
                    if (!e[j])
                        continue;
                    char num[32];
                    int nn = snprintf(num, sizeof num, "%s%lld", first ? "" : ",", (long long)e[j]);
                    vg_buf_append(&ids, num, (size_t)nn);
                    first = false;
                }
            }
        vg_buf_putc(&ids, ']');
        vg_buf_putc(&ids, '\0');
        char *esc = sqlite3_mprintf("%Q", ids.data);
        sql = xprintf(
            "SELECT a.id AS alert, " ISO("a.ts") " AS time, a.run_id AS run, r.sensor, s.sid, s.msg AS signature,"
            " a.category, a.src_ip || ':' || coalesce(a.src_port,'') AS src, a.dest_ip || ':' || coalesce(a.dest_port,'') AS dest,"
            " a.flow_id, a.community_id, a.evidence_ref, a.evidence_sha256,"
            " (SELECT group_concat(c.path || ' sha256:' || c.sha256, ' ') FROM main.captures c WHERE c.run_id=a.run_id) AS captures"
            " FROM main.alerts a JOIN main.signatures s ON s.id=a.sig_id JOIN main.runs r ON r.id=a.run_id"
            " WHERE a.id IN (SELECT value FROM json_each(%s)) ORDER BY a.id", esc);
        sqlite3_free(esc);
        vg_buf_fini(&ids);
        rc = add_table(r, db, "evidence", "Evidence index", "alerts",
                       "Each row above names its first and last alert; here they are with their flow "
                       "id, community id, evidence reference and the captures of their run.",
                       sql, err, err_len);
        free(sql);
        if (rc)
            goto bad_tx;
    }
    exec(db, "COMMIT", err, err_len, "end");
    if (f->progress)
        fprintf(stderr, "\r\033[K");
    return r;
bad_tx:
    if (f->progress)
        fprintf(stderr, "\r\033[K");
    sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
bad:
    vg_report_free(r);
    return NULL;
}

void vg_report_print_run_summary(sqlite3 *db, int64_t run_id, FILE *f)
{
    vg_report_filter_t flt = {.run_id = run_id, .top = 5,
                              .tables = "categories,origins_country,statements"};
    char err[512];
    vg_report_t *r = vg_report_build(db, &flt, err, sizeof err);
    if (!r) {
        fprintf(f, "vigil: no summary: %s\n", err);
        return;
    }
    char a[128], b[128], c[128], d[128];
    const vg_rtable_t *t = vg_report_table(r, "categories");
    if (t && t->n_rows) {
        fprintf(f, "vigil: by category (alerts / incidents / attackers / victims):\n");
        for (size_t i = 0; i < t->n_rows && i < 10; i++) {
            vg_report_cell_text(&t->rows[i].cells[vg_report_col(t, "alerts")], a, sizeof a);
            vg_report_cell_text(&t->rows[i].cells[vg_report_col(t, "incidents")], b, sizeof b);
            vg_report_cell_text(&t->rows[i].cells[vg_report_col(t, "attackers")], c, sizeof c);
            vg_report_cell_text(&t->rows[i].cells[vg_report_col(t, "victims")], d, sizeof d);
            fprintf(f, "  %-22s %6s / %s / %s / %s\n", t->rows[i].cells[0].s ? t->rows[i].cells[0].s : "",
                    a, b, c, d);
        }
    }
    t = vg_report_table(r, "origins_country");
    if (t && t->n_rows) {
        fprintf(f, "vigil: top origins:");
        for (size_t i = 0; i < t->n_rows && i < 5; i++) {
            vg_report_cell_text(&t->rows[i].cells[vg_report_col(t, "incidents")], a, sizeof a);
            vg_report_cell_text(&t->rows[i].cells[vg_report_col(t, "attackers")], b, sizeof b);
            fprintf(f, "%s %s (%s incidents, %s attackers)", i ? "," : "", t->rows[i].cells[0].s,
                    a, b);
        }
        fputc('\n', f);
    }
    t = vg_report_table(r, "statements");
    for (size_t i = 0; t && i < t->n_rows && i < 6; i++)
        fprintf(f, "vigil: %s\n", t->rows[i].cells[0].s);
    vg_report_free(r);
}
