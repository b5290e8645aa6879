/* report.c — the report model: filtered views over the store and one SQL query per table.
 *
 * Units: "alerts" are alert events as stored; "incidents" are the store's incidents (alerts of
 * one category, attacker, victim and signature family within the incident window, counted by
 * the incident id of the alerts that pass the filter); "attackers"/"victims"/"hosts" are
 * distinct addresses. Attack tables count only alerts whose category is counted as an attack
 * (everything but policy-info). docs/STORE.md. */
#include "report/report.h"
#include "common/common.h"
#include "store/store.h"

#include <arpa/inet.h>
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

/* Appends a printf-formatted piece (numbers; text goes through addq). */
static void addf(vg_buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void addf(vg_buf_t *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *p = NULL;
    if (vasprintf(&p, fmt, ap) < 0)
        abort();
    va_end(ap);
    vg_buf_puts(b, p);
    free(p);
}

/* Appends pre, then s as an SQL string literal (vg_sql_quote: never spliced). */
static void addq(vg_buf_t *b, const char *pre, const char *s)
{
    vg_buf_puts(b, pre);
    vg_sql_quote(b, s);
}

static bool timing_on(void)
{
    static int timing = -1;
    if (timing < 0)
        timing = getenv("VIGIL_REPORT_TIMING") != NULL;
    return timing;
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

bool vg_report_addr(const char *s, char *out)
{
    unsigned char b[16];
    if (inet_pton(AF_INET, s, b) == 1)
        return inet_ntop(AF_INET, b, out, 46) != NULL;
    if (inet_pton(AF_INET6, s, b) == 1)
        return inet_ntop(AF_INET6, b, out, 46) != NULL;
    return false;
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

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

typedef struct tbuild {
    vg_rtable_t *t;
    int evf, evl;
    int *map;
    size_t cap;
} tbuild_t;

static int table_row(void *ctx, size_t nc, const char *const *names, const vg_rcell_t *v)
{
    tbuild_t *b = ctx;
    vg_rtable_t *t = b->t;
    if (!v) { /* the header: columns named ev_first/ev_last become the row's evidence */
        t->cols = vg_xcalloc(nc + 1, sizeof(char *));
        b->map = vg_xcalloc(nc + 1, sizeof(int));
        for (size_t c = 0; c < nc; c++) {
            if (!strcmp(names[c], "ev_first")) {
                b->evf = (int)c;
                b->map[c] = -1;
            } else if (!strcmp(names[c], "ev_last")) {
                b->evl = (int)c;
                b->map[c] = -1;
            } else {
                b->map[c] = (int)t->n_cols;
                t->cols[t->n_cols++] = vg_xstrdup(names[c]);
            }
        }
        t->has_evidence = b->evf >= 0;
        return 0;
    }
    if (t->n_rows == b->cap) {
        b->cap = b->cap ? b->cap * 2 : 16;
        t->rows = vg_xrealloc(t->rows, b->cap * sizeof *t->rows);
    }
    vg_rrow_t *row = &t->rows[t->n_rows++];
    row->cells = vg_xcalloc(t->n_cols + 1, sizeof(vg_rcell_t));
    row->ev_first = b->evf >= 0 && v[b->evf].kind == VG_RK_INT ? v[b->evf].i : 0;
    row->ev_last = b->evl >= 0 ? (v[b->evl].kind == VG_RK_INT ? v[b->evl].i : 0) : row->ev_first;
    for (size_t c = 0; c < nc; c++) {
        if (b->map[c] < 0)
            continue;
        vg_rcell_t *cell = &row->cells[b->map[c]];
        *cell = v[c];
        cell->s = v[c].kind == VG_RK_TEXT ? vg_xstrdup(v[c].s) : NULL;
    }
    return 0;
}

static bool table_wanted(const vg_report_t *r, const char *id)
{
    if (!r->filter.tables)
        return true;
    size_t il = strlen(id);
    const char *p = r->filter.tables;
    while (*p) {
        const char *e = strchr(p, ',');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (n == il && !memcmp(p, id, il))
            return true;
        p += n + (e ? 1 : 0);
    }
    return false;
}

static vg_rtable_t *new_table(vg_report_t *r, const char *id, const char *title,
                              const char *unit, const char *note)
{
    r->tables = vg_xrealloc(r->tables, (r->n_tables + 1) * sizeof *r->tables);
    vg_rtable_t *t = &r->tables[r->n_tables++];
    memset(t, 0, sizeof *t);
    t->id = vg_xstrdup(id);
    t->title = vg_xstrdup(title);
    t->unit = vg_xstrdup(unit ? unit : "");
    t->note = vg_xstrdup(note ? note : "");
    return t;
}

/* Runs sql (the store reader's macros) and appends a table with its rows. Returns -1 (err) on
 * an SQL error. */
static int add_table(vg_report_t *r, vg_store_reader_t *rd, const char *id, const char *title,
                     const char *unit, const char *note, const char *sql, char *err, size_t err_len)
{
    /* VIGIL_REPORT_TIMING=1: each table's query time on stderr (for bench/RESULTS.md). */
    bool timing = timing_on();
    if (!table_wanted(r, id))
        return 0;
    double t0 = timing ? mono() : 0;
    if (r->filter.progress) {
        fprintf(stderr, "\r\033[Kreport: table %zu (%s)...", r->n_tables + 1, id);
        fflush(stderr);
    }
    tbuild_t b = {.t = new_table(r, id, title, unit, note), .evf = -1, .evl = -1};
    char e2[768];
    int rc = vg_store_reader_query(rd, sql, table_row, &b, e2, sizeof e2);
    free(b.map);
    if (timing)
        fprintf(stderr, "report: table %-20s %8.3f s, %zu rows\n", id, mono() - t0, b.t->n_rows);
    if (rc) {
        snprintf(err, err_len, "report table %s: %s", id, e2);
        return -1;
    }
    return 0;
}

/* The overview: sql gives one row whose columns are the metrics; the table has a row (metric,
 * value, unit) per column, in their order. */
static int add_overview(vg_report_t *r, vg_store_reader_t *rd, const char *const units[][2],
                        size_t n_units, const char *sql, char *err, size_t err_len)
{
    if (!table_wanted(r, "overview"))
        return 0;
    vg_report_t one = {.filter = r->filter};
    one.filter.tables = NULL;
    if (add_table(&one, rd, "overview", "", NULL, NULL, sql, err, err_len)) {
        for (size_t i = 0; i < one.n_tables; i++)
            table_free(&one.tables[i]);
        free(one.tables);
        return -1;
    }
    vg_rtable_t *o = &one.tables[0];
    vg_rtable_t *t = new_table(r, "overview", "Overview and data quality", "see each row",
                               "Whole-run figures (packets, drops) are for the runs that overlap "
                               "the period.");
    static const char *const cols[] = {"metric", "value", "unit"};
    t->n_cols = 3;
    t->cols = vg_xcalloc(4, sizeof(char *));
    for (size_t c = 0; c < 3; c++)
        t->cols[c] = vg_xstrdup(cols[c]);
    t->rows = vg_xcalloc(o->n_cols + 1, sizeof *t->rows);
    for (size_t c = 0; o->n_rows && c < o->n_cols; c++) {
        vg_rrow_t *row = &t->rows[t->n_rows++];
        row->cells = vg_xcalloc(3, sizeof(vg_rcell_t));
        row->cells[0] = (vg_rcell_t){.kind = VG_RK_TEXT, .s = vg_xstrdup(o->cols[c])};
        row->cells[1] = o->rows[0].cells[c];
        o->rows[0].cells[c] = (vg_rcell_t){.kind = VG_RK_NULL};
        const char *unit = "";
        for (size_t u = 0; u < n_units; u++)
            if (!strcmp(units[u][0], o->cols[c]))
                unit = units[u][1];
        row->cells[2] = (vg_rcell_t){.kind = VG_RK_TEXT, .s = vg_xstrdup(unit)};
    }
    table_free(o);
    free(one.tables);
    return 0;
}

static int exec(vg_store_reader_t *rd, const char *sql, char *err, size_t err_len, const char *what)
{
    char e2[768];
    if (vg_store_reader_exec(rd, sql, e2, sizeof e2)) {
        snprintf(err, err_len, "%s: %s", what, e2);
        return -1;
    }
    return 0;
}

#define ISO(x) "@iso(" x ")"
#define EXTERNAL "coalesce(attacker_home,0)=0"
/* Shares over cells of n alerts: the same double division avg() makes over single alerts. */
#define VERIFIED "round(1.0*sum(CASE WHEN certainty='verified' THEN n ELSE 0 END)/sum(n), 4)"
#define SPOOFABLE "round(1.0*sum(CASE WHEN certainty='spoofable' THEN n ELSE 0 END)/sum(n), 4)"
#define EV "min(id_lo) AS ev_first, max(id_hi) AS ev_last"
#define DAY_US 86400000000LL

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}


/* Appends a query giving one fx cell per raw alert of the counted runs with the given
 * conditions (" AND a.ts >= ..." pieces and the category/country filter). The run condition
 * does not use an index (+a.run_id) so that a period is read through alerts_ts. */
static void raw_part(vg_buf_t *q, const char *c1, const char *c2, const char *alf)
{
    vg_buf_puts(q, "SELECT a.run_id, a.incident_id, 1 AS n, a.id AS id_lo, a.id AS id_hi, a.ts AS ts_lo,"
                   " a.ts AS ts_hi, a.category, a.counted, a.certainty, a.role_by, a.proto, a.app_proto,"
                   " a.attacker_ip, a.attacker_home,"
                   " coalesce(nullif(a.attacker_country,''),'\?\?') AS attacker_country,"
                   " coalesce(a.attacker_asn,0) AS attacker_asn, coalesce(a.attacker_org,'') AS attacker_org,"
                   " a.victim_ip, a.victim_port, a.victim_home, s.gid, s.sid, s.msg AS signature, s.family,"
                   " s.cves FROM @M.alerts a JOIN @M.signatures s ON s.id=a.sig_id"
                   " WHERE +a.run_id IN (SELECT id FROM fr)");
    vg_buf_puts(q, c1);
    vg_buf_puts(q, c2);
    vg_buf_puts(q, alf);
}

static void iso(int64_t us, char *out, size_t n)
{
    time_t t = (time_t)(us / 1000000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

vg_report_t *vg_report_build(struct sqlite3 *db, const vg_report_filter_t *f, char *err,
                             size_t err_len)
{
    vg_store_reader_t *rd = vg_store_reader_sqlite(db, false, f->store_label);
    vg_report_t *r = vg_report_build_r(rd, f, err, err_len);
    vg_store_reader_close(rd);
    return r;
}

vg_report_t *vg_report_build_r(vg_store_reader_t *rd, const vg_report_filter_t *f, char *err,
                               size_t err_len)
{
    if (vg_store_reader_check(rd, err, err_len))
        return NULL;
    bool pg = vg_store_reader_dialect(rd) == VG_SQL_PG;
    vg_report_t *r = vg_xcalloc(1, sizeof *r);
    r->filter = *f;
    unsigned top = f->top ? f->top : 25;
    {
        time_t now = time(NULL);
        struct tm tm;
        gmtime_r(&now, &tm);
        strftime(r->generated_at, sizeof r->generated_at, "%Y-%m-%dT%H:%M:%SZ", &tm);
    }
    /* A read snapshot: every table sees the same data even while a run (or a collector)
     * writes. */
    if (exec(rd, pg ? "BEGIN ISOLATION LEVEL REPEATABLE READ" : "BEGIN", err, err_len, "begin"))
        goto bad;
    vg_buf_t rb, ab, db_;
    vg_buf_init(&rb, 256);
    vg_buf_init(&ab, 256);
    vg_buf_init(&db_, 256);
    if (f->sensor)
        addq(&rb, " AND r.sensor=", f->sensor);
    if (f->run_id)
        addf(&rb, " AND r.id=%lld", (long long)f->run_id);
    if (f->has_from)
        addf(&rb, " AND coalesce(r.last_ts, %lld) >= %lld", (long long)f->from_us,
             (long long)f->from_us);
    if (f->has_to)
        addf(&rb, " AND coalesce(r.first_ts, %lld) < %lld", (long long)f->to_us - 1,
             (long long)f->to_us);
    if (f->category) {
        addq(&ab, " AND a.category=", f->category);
        addq(&db_, " AND d.category=", f->category);
    }
    if (f->country) {
        addq(&ab, " AND coalesce(nullif(a.attacker_country,''),'\?\?')=", f->country);
        addq(&db_, " AND d.attacker_country=", f->country);
    }
    if (f->has_asn) {
        addf(&ab, " AND coalesce(a.attacker_asn,0)=%lld", (long long)f->asn);
        addf(&db_, " AND d.attacker_asn=%lld", (long long)f->asn);
    }
    if (f->target) {
        addq(&ab, " AND a.victim_ip=", f->target);
        addq(&db_, " AND d.victim_ip=", f->target);
    }
    if (f->sid) {
        addf(&ab, " AND a.sig_id IN (SELECT id FROM @M.signatures WHERE sid=%lld)",
             (long long)f->sid);
        addf(&db_, " AND d.sig_id IN (SELECT id FROM @M.signatures WHERE sid=%lld)",
             (long long)f->sid);
    }
    vg_buf_putc(&rb, '\0');
    vg_buf_putc(&ab, '\0');
    vg_buf_putc(&db_, '\0');
    const char *runf = rb.data;
    /* fx: the alerts that pass the filter as cells — n alerts of one run, incident and
     * combination of the columns the tables use, with their lowest/highest id and time. The
     * rollup path takes whole UTC days from alert_rollup (kept at insert time) and reads the
     * raw alerts only for the parts of the period that do not cover a whole day; the scan path
     * (f->scan, VIGIL_REPORT_SCAN=1) reads every alert (one cell per alert). Every table is one
     * query over fx, the same for both paths, so both give the same document (tested). */
    bool scan = f->scan || getenv("VIGIL_REPORT_SCAN") != NULL;
    /* Days before 1970-01-02 take the scan path: a day of alert_rollup is the day of
     * trunc(ts / 1e6), which differs from [d, d+1) days of microseconds below zero. */
    if ((f->has_from && (f->from_us <= 0 || f->from_us > INT64_MAX - DAY_US)) ||
        (f->has_to && f->to_us < DAY_US))
        scan = true; /* (and no overflow below) */
    int64_t d0 = f->has_from && !scan ? -floor_div(-f->from_us, DAY_US) : 0; /* ceil */
    int64_t d1 = f->has_to && !scan ? floor_div(f->to_us, DAY_US) : 0;
    if (f->has_from && f->has_to && d0 >= d1)
        scan = true; /* less than one whole day: the raw alerts of the period */
    char *fx_sql;
    {
        vg_buf_t q;
        vg_buf_init(&q, 1024);
        vg_buf_puts(&q, "DROP VIEW IF EXISTS @T.fxh; DROP VIEW IF EXISTS @T.fx;"
                        "DROP TABLE IF EXISTS @T.fxt; DROP VIEW IF EXISTS @T.fr;");
        addf(&q, "CREATE TEMP VIEW fr AS SELECT r.* FROM @M.runs r WHERE r.status IN "
                 "('complete','partial')%s;", runf);
        char lo[48] = "", hi[48] = "";
        if (f->has_from)
            snprintf(lo, sizeof lo, " AND a.ts >= %lld", (long long)f->from_us);
        if (f->has_to)
            snprintf(hi, sizeof hi, " AND a.ts < %lld", (long long)f->to_us);
        if (scan) {
            vg_buf_puts(&q, "CREATE TEMP VIEW fx AS ");
            raw_part(&q, lo, hi, ab.data);
            vg_buf_puts(&q, ";");
        } else {
            vg_buf_puts(&q, "CREATE TEMP TABLE fxt AS SELECT r.run_id, nullif(r.incident_id,0) AS incident_id,"
                            " r.alerts AS n, r.first_alert AS id_lo, r.last_alert AS id_hi, r.first_ts AS ts_lo,"
                            " r.last_ts AS ts_hi, d.category, d.counted, d.certainty, d.role_by, d.proto,"
                            " d.app_proto, d.attacker_ip, d.attacker_home, d.attacker_country, d.attacker_asn,"
                            " d.attacker_org, d.victim_ip, d.victim_port, d.victim_home, s.gid, s.sid,"
                            " s.msg AS signature, s.family, s.cves FROM @M.alert_rollup r"
                            " JOIN @M.alert_dims d ON d.id=r.dim JOIN @M.signatures s ON s.id=d.sig_id"
                            " WHERE r.run_id IN (SELECT id FROM fr)");
            if (f->has_from)
                addf(&q, " AND r.day >= %lld", (long long)d0);
            if (f->has_to)
                addf(&q, " AND r.day < %lld", (long long)d1);
            vg_buf_puts(&q, db_.data);
            char b1[48], b2[48];
            if (f->has_from && d0 * DAY_US > f->from_us) {
                snprintf(b1, sizeof b1, " AND a.ts < %lld", (long long)(d0 * DAY_US));
                vg_buf_puts(&q, " UNION ALL ");
                raw_part(&q, lo, b1, ab.data);
            }
            if (f->has_to && d1 * DAY_US < f->to_us) {
                snprintf(b2, sizeof b2, " AND a.ts >= %lld", (long long)(d1 * DAY_US));
                vg_buf_puts(&q, " UNION ALL ");
                raw_part(&q, b2, hi, ab.data);
            }
            vg_buf_puts(&q, "; CREATE TEMP VIEW fx AS SELECT * FROM fxt;");
        }
        vg_buf_putc(&q, '\0');
        fx_sql = q.data;
    }
    double tv = timing_on() ? mono() : 0;
    int vrc = exec(rd, fx_sql, err, err_len, "report views");
    free(fx_sql);
    if (timing_on())
        fprintf(stderr, "report: %-26s %8.3f s\n", scan ? "scan view" : "rollup cells", mono() - tv);
    if (vrc) {
        vg_buf_fini(&rb);
        vg_buf_fini(&ab);
        vg_buf_fini(&db_);
        goto bad_tx;
    }

    int64_t n_alerts = 0, n_runs = 0, tmin = 0, tmax = 0;
    char e2[768];
    if (vg_store_reader_i64(rd, "SELECT count(*) FROM fr", &n_runs, e2, sizeof e2) ||
        vg_store_reader_i64(rd, "SELECT coalesce(min(ts_lo),0) FROM fx", &tmin, e2, sizeof e2) ||
        vg_store_reader_i64(rd, "SELECT coalesce(max(ts_hi),0) FROM fx", &tmax, e2, sizeof e2) ||
        vg_store_reader_i64(rd, "SELECT EXISTS(SELECT 1 FROM fx)", &n_alerts, e2, sizeof e2)) {
        snprintf(err, err_len, "report: %s", e2);
        vg_buf_fini(&rb);
        vg_buf_fini(&ab);
        vg_buf_fini(&db_);
        goto bad_tx;
    }
    {
        /* The hourly timeline (alerts spanning at most 72 h) reads the raw alerts of that span. */
        vg_buf_t q;
        vg_buf_init(&q, 1024);
        char lo[48], hi[48];
        snprintf(lo, sizeof lo, " AND a.ts >= %lld", (long long)tmin);
        snprintf(hi, sizeof hi, " AND a.ts <= %lld", (long long)tmax);
        vg_buf_puts(&q, "CREATE TEMP VIEW fxh AS ");
        raw_part(&q, lo, hi, ab.data);
        vg_buf_putc(&q, '\0');
        vrc = exec(rd, q.data, err, err_len, "report views");
        vg_buf_fini(&q);
    }
    vg_buf_fini(&rb);
    vg_buf_fini(&ab);
    vg_buf_fini(&db_);
    if (vrc)
        goto bad_tx;
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
    /* overview and data quality: one row of metrics (each with its own type), turned into
     * (metric, value, unit) rows here: a UNION of differently typed values is SQLite-only. */
    static const char *const OVERVIEW[][2] = {
        {"runs", "runs counted (complete or partial)"},
        {"runs_partial", "runs with a damaged capture"},
        {"runs_not_counted", "runs unfinished or failed (rows not counted)"},
        {"runs_superseded", "earlier runs of a capture set analysed again (rows replaced)"},
        {"sensors", "sensors"},
        {"capture_files", "files (distinct content)"},
        {"capture_hours", "hours of packet time (in the period)"},
        {"packets", "packets read (whole runs)"},
        {"bytes", "bytes read (whole runs)"},
        {"drops", "packets, segments and sessions given up under memory caps"},
        {"drop_share", "drops / packets"},
        {"reassembly_gaps", "TCP gaps"},
        {"rules_loaded", "rules (largest of the runs)"},
        {"rules_failed", "rules that failed to load (largest of the runs)"},
        {"geo_databases", "geo database builds used"},
        {"alerts", "alerts (all categories)"},
        {"attack_alerts", "alerts counted as attacks (not policy-info)"},
        {"incidents", "incidents of attack alerts"},
        {"attackers", "distinct attacker addresses"},
        {"external_attackers", "distinct attacker addresses outside the home networks"},
        {"victims", "distinct victim addresses"},
        {"compromised_hosts", "internal hosts victim of command-and-control, malware infection or a backdoor"},
        {"external_controllers", "distinct external command-and-control addresses reaching internal hosts"},
        {"verified_share", "attack alerts whose attacker completed a TCP handshake"},
        {"unattributable_share", "external attacker addresses with no country in the geo databases"},
        {"first_alert", "time (UTC)"},
        {"last_alert", "time (UTC)"},
    };
    sql = xprintf(
        /* everything about the alerts in one pass */
        "WITH agg AS MATERIALIZED (SELECT coalesce(sum(n),0) AS n, coalesce(sum(counted*n),0) AS nc,"
        " count(DISTINCT CASE WHEN counted=1 THEN incident_id END) AS inc,"
        " count(DISTINCT CASE WHEN counted=1 THEN attacker_ip END) AS att,"
        " count(DISTINCT CASE WHEN counted=1 AND " EXTERNAL " THEN attacker_ip END) AS ext,"
        " count(DISTINCT CASE WHEN counted=1 AND " EXTERNAL " AND attacker_country='\?\?' THEN attacker_ip END) AS unk,"
        " count(DISTINCT CASE WHEN counted=1 THEN victim_ip END) AS vic,"
        " count(DISTINCT CASE WHEN victim_home=1 AND (category IN ('command-and-control','malware-infection','webshell-backdoor') OR role_by='c2') THEN victim_ip END) AS comp,"
        " count(DISTINCT CASE WHEN victim_home=1 AND " EXTERNAL " AND (category='command-and-control' OR role_by='c2') THEN attacker_ip END) AS c2,"
        " round(1.0*sum(CASE WHEN counted=1 THEN (CASE WHEN certainty='verified' THEN n ELSE 0 END) END)"
        "/sum(CASE WHEN counted=1 THEN n END), 4) AS ver,"
        " min(ts_lo) AS t0, max(ts_hi) AS t1 FROM fx)"
        " SELECT"
        " (SELECT count(*) FROM fr) AS runs,"
        " (SELECT count(*) FROM fr WHERE status='partial') AS runs_partial,"
        " (SELECT count(*) FROM @M.runs WHERE status IN ('running','failed')) AS runs_not_counted,"
        " (SELECT count(*) FROM @M.runs WHERE status='superseded') AS runs_superseded,"
        " (SELECT count(DISTINCT sensor) FROM fr) AS sensors,"
        " (SELECT count(DISTINCT c.sha256) FROM @M.captures c WHERE c.run_id IN (SELECT id FROM fr)) AS capture_files,"
        " (SELECT round(coalesce(sum(@greatest(0, @least(last_ts, %s) - @greatest(first_ts, %s))), 0) / 3.6e9, 4) FROM fr WHERE first_ts IS NOT NULL) AS capture_hours,"
        " (SELECT coalesce(sum(packets),0) FROM fr) AS packets,"
        " (SELECT coalesce(sum(bytes),0) FROM fr) AS bytes,"
        " (SELECT coalesce(sum(drops),0) FROM fr) AS drops,"
        " (SELECT round(1.0*coalesce(sum(drops),0)/@greatest(coalesce(sum(packets),0),1), 6) FROM fr) AS drop_share,"
        " (SELECT coalesce(sum(gaps),0) FROM fr) AS reassembly_gaps,"
        " (SELECT max(rules_loaded) FROM fr) AS rules_loaded,"
        " (SELECT max(rules_failed) FROM fr) AS rules_failed,"
        " (SELECT @list(j.value) FROM fr, @jeach(fr.geo_dbs, j)) AS geo_databases,"
        " (SELECT n FROM agg) AS alerts,"
        " (SELECT nc FROM agg) AS attack_alerts,"
        " (SELECT inc FROM agg) AS incidents,"
        " (SELECT att FROM agg) AS attackers,"
        " (SELECT ext FROM agg) AS external_attackers,"
        " (SELECT vic FROM agg) AS victims,"
        " (SELECT comp FROM agg) AS compromised_hosts,"
        " (SELECT c2 FROM agg) AS external_controllers,"
        " (SELECT ver FROM agg) AS verified_share,"
        " (SELECT round(1.0*unk/@greatest(ext,1), 4) FROM agg) AS unattributable_share,"
        " (SELECT " ISO("t0") " FROM agg) AS first_alert,"
        " (SELECT " ISO("t1") " FROM agg) AS last_alert",
        hi, lo);
    rc = add_overview(r, rd, OVERVIEW, sizeof OVERVIEW / sizeof OVERVIEW[0], sql, err, err_len);
    free(sql);
    if (rc)
        goto bad_tx;

    sql = xprintf(
        "SELECT id AS run, sensor, status, (SELECT @gconcat(path, ' ') FROM @M.captures c WHERE c.run_id=fr.id) AS captures,"
        " " ISO("first_ts") " AS first_packet, " ISO("last_ts") " AS last_packet,"
        " round((last_ts-first_ts)/3.6e9, 4) AS hours, packets, drops,"
        " round(1.0*drops/@greatest(packets,1), 6) AS drop_share, rules_loaded, rules_failed,"
        " (SELECT @gconcat(j.value, '; ') FROM @jeach(fr.geo_dbs, j)) AS geo_databases,"
        " incident_window AS incident_window_s,"
        " coalesce(x.alerts, 0) AS alerts, x.ev_first, x.ev_last"
        " FROM fr LEFT JOIN (SELECT run_id, sum(n) AS alerts, min(id_lo) AS ev_first, max(id_hi) AS ev_last"
        " FROM fx GROUP BY run_id) x ON x.run_id=fr.id ORDER BY id");
    rc = add_table(r, rd, "runs", "Runs", "runs", NULL, sql, err, err_len);
    free(sql);
    if (rc)
        goto bad_tx;

    /* By sensor, when the runs counted come from more than one. Distinct counts are those of
     * the overview for `--sensor NAME` (an incident continued across two sensors' runs counts in
     * both rows, so incidents, attackers and victims need not add up; alerts do). */
    int64_t n_sensors = 0;
    if (vg_store_reader_i64(rd, "SELECT count(DISTINCT sensor) FROM fr", &n_sensors, e2,
                            sizeof e2)) {
        snprintf(err, err_len, "report: %s", e2);
        goto bad_tx;
    }
    if (n_sensors > 1) {
        sql = xprintf(
            "SELECT fr.sensor AS sensor, count(DISTINCT fr.id) AS runs,"
            " coalesce(sum(fx.n),0) AS alerts, coalesce(sum(fx.counted*fx.n),0) AS attack_alerts,"
            " count(DISTINCT CASE WHEN fx.counted=1 THEN fx.incident_id END) AS incidents,"
            " count(DISTINCT CASE WHEN fx.counted=1 THEN fx.attacker_ip END) AS attackers,"
            " count(DISTINCT CASE WHEN fx.counted=1 THEN fx.victim_ip END) AS victims,"
            " " ISO("min(fx.ts_lo)") " AS first_alert, " ISO("max(fx.ts_hi)") " AS last_alert,"
            " min(fx.id_lo) AS ev_first, max(fx.id_hi) AS ev_last"
            " FROM fr LEFT JOIN fx ON fx.run_id=fr.id GROUP BY fr.sensor ORDER BY sensor");
        rc = add_table(r, rd, "sensors", "By sensor", "alerts; incidents; distinct addresses",
                       "Each sensor's share (`--sensor NAME` gives its whole report). Alerts add "
                       "up to the total; an incident or address seen by two sensors counts in "
                       "both rows.", sql, err, err_len);
        free(sql);
        if (rc)
            goto bad_tx;
    }

#define STMT(fmt, topic, where)                                                                    \
    "SELECT @fmt('" fmt "', count(DISTINCT attacker_ip), CASE WHEN attacker_country='\?\?' THEN "  \
    "'an unknown country' ELSE attacker_country END, count(DISTINCT victim_ip)) AS statement, '"   \
    topic "' AS topic, attacker_country AS country, count(DISTINCT attacker_ip) AS sources,"       \
    " count(DISTINCT victim_ip) AS internal_hosts, sum(n) AS alerts, count(DISTINCT incident_id)"  \
    " AS incidents, min(id_lo) AS ev_first, max(id_hi) AS ev_last FROM fx WHERE " where           \
    " AND " EXTERNAL " AND victim_home=1 GROUP BY attacker_country"
    sql = xprintf(
        "SELECT statement, topic, country, sources, internal_hosts, alerts, incidents, ev_first, ev_last FROM ("
        STMT("%%s control server(s) in %%s contacted %%s host(s) in our networks", "command-and-control",
             "(category='command-and-control' OR role_by='c2')")
        " UNION ALL "
        STMT("%%s address(es) in %%s planted or used backdoors on %%s of our hosts", "webshell-backdoor",
             "category='webshell-backdoor'")
        " UNION ALL "
        STMT("%%s address(es) in %%s attempted exploits against %%s of our hosts", "exploitation-attempt",
             "category='exploitation-attempt'")
        ") AS st ORDER BY topic, sources DESC, country");
#undef STMT
    rc = add_table(r, rd, "statements", "Statements", "addresses and hosts are distinct addresses",
                   "Controllers: external ends of command-and-control alerts (category or roles by "
                   "C2 check-in) whose victim is in the home networks.",
                   sql, err, err_len);
    free(sql);
    if (rc)
        goto bad_tx;

    sql = xprintf(
        "SELECT category, max(counted) AS counted, sum(n) AS alerts, count(DISTINCT incident_id) AS incidents,"
        " count(DISTINCT attacker_ip) AS attackers, count(DISTINCT victim_ip) AS victims,"
        " " VERIFIED " AS verified_share, " SPOOFABLE " AS spoofable_share, " EV
        " FROM fx GROUP BY category ORDER BY alerts DESC, category");
    rc = add_table(r, rd, "categories", "Totals by category", "alerts; incidents; distinct addresses",
                   "counted=0: policy-info, not counted as an attack anywhere else.", sql, err, err_len);
    free(sql);
    if (rc)
        goto bad_tx;

    int64_t span = tmax - tmin;
    int gran = span <= (int64_t)72 * 3600 * 1000000 ? 0 : span <= (int64_t)92 * 86400 * 1000000 ? 1 : 2;
    static const char *const bucket_fmt[] = {"@hour(ts_lo)", "@day(ts_lo)", "@month(ts_lo)"};
    static const char *const bucket_unit[] = {"alerts per hour (UTC)", "alerts per day (UTC)",
                                              "alerts per month (UTC)"};
    const char *bucket = bucket_fmt[gran];
    /* A cell lies within one UTC day, so its first alert's day or month is every alert's;
     * hours come from the raw alerts (fxh). */
    sql = xprintf(
        "SELECT %s AS bucket, category, sum(n) AS alerts,"
        " count(DISTINCT incident_id) AS incidents, count(DISTINCT attacker_ip) AS attackers,"
        " " EV " FROM %s WHERE counted=1 GROUP BY bucket, category ORDER BY bucket, category",
        bucket, gran == 0 ? "fxh" : "fx");
    rc = add_table(r, rd, "timeline", "Category × time",
                   bucket_unit[gran],
                   "An incident spanning two buckets is counted in both.", sql, err, err_len);
    free(sql);
    if (rc)
        goto bad_tx;

    sql = xprintf(
        "SELECT CASE WHEN attacker_home=1 THEN 'home' ELSE attacker_country END AS country, sum(n) AS alerts,"
        " round(1.0*sum(n)/(SELECT sum(n) FROM fx WHERE counted=1), 4) AS share,"
        " count(DISTINCT incident_id) AS incidents, count(DISTINCT attacker_ip) AS attackers,"
        " count(DISTINCT victim_ip) AS victims, " VERIFIED " AS verified_share, " SPOOFABLE " AS spoofable_share,"
        " CASE WHEN 1.0*sum(CASE WHEN certainty='spoofable' THEN n ELSE 0 END)/sum(n) > 0.5 THEN 'spoofable' ELSE '' END AS flag,"
        " @list(category) AS categories, " EV
        " FROM fx WHERE counted=1 GROUP BY 1 ORDER BY incidents DESC, alerts DESC, country");
    rc = add_table(r, rd, "origins_country", "Origins by country",
                   "attack alerts; incidents; distinct addresses",
                   "Country of the attacker address (location, from the geo databases; \?\? unknown; home: "
                   "the home networks). flag spoofable: most alerts could come from a forged source "
                   "(UDP, ICMP, no completed handshake).", sql, err, err_len);
    free(sql);
    if (rc)
        goto bad_tx;

    sql = xprintf(
        "SELECT attacker_asn AS asn, max(attacker_org) AS org, @list(attacker_country) AS countries, sum(n) AS alerts,"
        " count(DISTINCT incident_id) AS incidents, count(DISTINCT attacker_ip) AS attackers,"
        " count(DISTINCT victim_ip) AS victims, " VERIFIED " AS verified_share, " SPOOFABLE " AS spoofable_share,"
        " " EV
        " FROM fx WHERE counted=1 AND " EXTERNAL " GROUP BY attacker_asn ORDER BY incidents DESC, alerts DESC, asn LIMIT %u", top);
    rc = add_table(r, rd, "origins_asn", "Origins by autonomous system",
                   "attack alerts; incidents; distinct addresses",
                   "External attackers only; asn 0: unknown.", sql, err, err_len);
    free(sql);
    if (rc)
        goto bad_tx;

    sql = xprintf(
        "SELECT victim_ip AS host, sum(n) AS alerts, count(DISTINCT incident_id) AS incidents,"
        " count(DISTINCT attacker_ip) AS attackers, @list(category) AS categories,"
        " " ISO("min(ts_lo)") " AS first_seen, " ISO("max(ts_hi)") " AS last_seen, " EV
        " FROM fx WHERE counted=1 AND victim_home=1 GROUP BY victim_ip ORDER BY incidents DESC, alerts DESC, host LIMIT %u", top);
    rc = add_table(r, rd, "targets_hosts", "Targets: internal hosts",
                   "attack alerts; incidents; distinct attacker addresses", NULL, sql, err, err_len);
    free(sql);
    if (rc)
        goto bad_tx;

    sql = xprintf(
        "SELECT coalesce(proto,'') AS proto, victim_port AS port, coalesce(app_proto,'') AS app_proto, sum(n) AS alerts,"
        " count(DISTINCT incident_id) AS incidents, count(DISTINCT victim_ip) AS hosts, count(DISTINCT attacker_ip) AS attackers,"
        " " EV
        " FROM fx WHERE counted=1 AND victim_home=1 GROUP BY 1, 2, 3 ORDER BY alerts DESC, port, proto, app_proto LIMIT %u", top);
    rc = add_table(r, rd, "targets_services", "Targets: services",
                   "attack alerts; distinct addresses", "The victim's port and protocol.", sql, err, err_len);
    free(sql);
    if (rc)
        goto bad_tx;

#define C2_WHERE "(category='command-and-control' OR role_by='c2') AND " EXTERNAL " AND victim_home=1"
    sql = xprintf(
        "SELECT attacker_country AS country, count(DISTINCT attacker_ip) AS controllers,"
        " count(DISTINCT victim_ip) AS internal_hosts, @list(victim_ip) AS hosts,"
        " sum(n) AS alerts, count(DISTINCT incident_id) AS incidents, " EV
        " FROM fx WHERE " C2_WHERE " GROUP BY attacker_country ORDER BY controllers DESC, internal_hosts DESC, country");
    rc = add_table(r, rd, "c2_countries", "Command and control: controllers by country",
                   "distinct controller addresses; distinct internal hosts",
                   "hosts: the internal hosts this country's controllers reached.", sql, err, err_len);
    free(sql);
    if (rc)
        goto bad_tx;

    sql = xprintf(
        "SELECT attacker_ip AS controller, max(attacker_country) AS country, max(attacker_asn) AS asn, max(attacker_org) AS org,"
        " count(DISTINCT victim_ip) AS internal_hosts, @list(victim_ip) AS hosts,"
        " @list(family) AS families, sum(n) AS alerts, count(DISTINCT incident_id) AS incidents,"
        " " ISO("min(ts_lo)") " AS first_seen, " ISO("max(ts_hi)") " AS last_seen, " EV
        " FROM fx WHERE " C2_WHERE " GROUP BY attacker_ip ORDER BY internal_hosts DESC, alerts DESC, controller LIMIT %u", top);
    rc = add_table(r, rd, "c2_controllers", "Command and control: controllers",
                   "distinct internal hosts; alerts; incidents", NULL, sql, err, err_len);
    free(sql);
    if (rc)
        goto bad_tx;

    sql = xprintf(
        "SELECT sid, max(signature) AS signature, category, max(cves) AS cves, sum(n) AS alerts,"
        " count(DISTINCT incident_id) AS incidents, count(DISTINCT attacker_ip) AS attackers,"
        " count(DISTINCT victim_ip) AS victims, " EV
        " FROM fx WHERE category IN ('exploitation-attempt','webshell-backdoor') GROUP BY gid, sid, category"
        " ORDER BY alerts DESC, sid, gid, category LIMIT %u", top);
    rc = add_table(r, rd, "exploit_signatures", "Exploitation: top signatures",
                   "alerts; incidents; distinct addresses", NULL, sql, err, err_len);
    free(sql);
    if (rc)
        goto bad_tx;

    sql = xprintf(
        "SELECT j.value AS cve, sum(fx.n) AS alerts, count(DISTINCT fx.incident_id) AS incidents,"
        " count(DISTINCT attacker_ip) AS attackers, count(DISTINCT victim_ip) AS victims,"
        " @list(sid) AS sids, min(fx.id_lo) AS ev_first, max(fx.id_hi) AS ev_last"
        " FROM fx, @csv_each(fx.cves, j)"
        " WHERE fx.cves IS NOT NULL AND fx.counted=1 GROUP BY j.value ORDER BY alerts DESC, cve LIMIT %u", top);
    rc = add_table(r, rd, "exploit_cves", "Exploitation: CVEs",
                   "attack alerts whose rule names the CVE (metadata or message)", NULL, sql, err, err_len);
    free(sql);
    if (rc)
        goto bad_tx;

    sql = xprintf(
        "SELECT attacker_ip AS scanner, max(attacker_country) AS country, max(attacker_asn) AS asn, sum(n) AS alerts,"
        " count(DISTINCT incident_id) AS incidents, count(DISTINCT victim_ip) AS hosts,"
        " count(DISTINCT victim_port) AS ports, " ISO("min(ts_lo)") " AS first_seen, " ISO("max(ts_hi)") " AS last_seen,"
        " " EV
        " FROM fx WHERE category='scanning' GROUP BY attacker_ip ORDER BY hosts DESC, alerts DESC, scanner LIMIT %u", top);
    rc = add_table(r, rd, "scanning", "Scanning", "alerts; distinct hosts and ports probed", NULL, sql,
                   err, err_len);
    free(sql);
    if (rc)
        goto bad_tx;

    sql = xprintf(
        "SELECT coalesce(proto,'') AS proto, victim_port AS port, sum(n) AS alerts,"
        " count(DISTINCT attacker_ip) AS scanners, count(DISTINCT victim_ip) AS hosts,"
        " @list(attacker_country) AS scanner_countries, " EV
        " FROM fx WHERE category='scanning' GROUP BY 1, 2 ORDER BY scanners DESC, alerts DESC, port, proto LIMIT %u", top);
    rc = add_table(r, rd, "scanning_ports", "Scanning: ports probed", "alerts; distinct scanners and hosts",
                   NULL, sql, err, err_len);
    free(sql);
    if (rc)
        goto bad_tx;

    sql = xprintf(
        "SELECT victim_ip AS target, sum(n) AS alerts, count(DISTINCT incident_id) AS incidents,"
        " count(DISTINCT attacker_ip) AS sources, " SPOOFABLE " AS spoofable_share,"
        " @list(attacker_country) AS source_countries,"
        " " ISO("min(ts_lo)") " AS first_seen, " ISO("max(ts_hi)") " AS last_seen, " EV
        " FROM fx WHERE category='denial-of-service' GROUP BY victim_ip ORDER BY alerts DESC, target LIMIT %u", top);
    rc = add_table(r, rd, "dos", "Denial of service", "alerts; distinct source addresses",
                   "Source addresses of spoofable alerts may be forged: count them as claimed sources.",
                   sql, err, err_len);
    free(sql);
    if (rc)
        goto bad_tx;

    sql = xprintf(
        "SELECT attacker_ip AS attacker, max(attacker_country) AS country, max(attacker_asn) AS asn, max(attacker_org) AS org,"
        " sum(n) AS alerts, count(DISTINCT incident_id) AS incidents, count(DISTINCT victim_ip) AS victims,"
        " @list(category) AS categories, " VERIFIED " AS verified_share,"
        " " EV
        " FROM fx WHERE counted=1 GROUP BY attacker_ip ORDER BY incidents DESC, alerts DESC, attacker LIMIT %u", top);
    rc = add_table(r, rd, "top_attackers", "Top attackers", "attack alerts; incidents; distinct victims",
                   NULL, sql, err, err_len);
    free(sql);
    if (rc)
        goto bad_tx;

    /* Evidence index: every alert id a row above points to. */
    {
        vg_buf_t ids;
        vg_buf_init(&ids, 256);
        vg_buf_putc(&ids, '0'); /* no alert has id 0: the list is never empty */
        for (size_t i = 0; i < r->n_tables; i++)
            for (size_t k = 0; k < r->tables[i].n_rows; k++) {
                int64_t e[2] = {r->tables[i].rows[k].ev_first, r->tables[i].rows[k].ev_last};
                for (int j = 0; j < 2; j++) {
                    if (!e[j])
                        continue;
                    char num[32];
                    int nn = snprintf(num, sizeof num, ",%lld", (long long)e[j]);
                    vg_buf_append(&ids, num, (size_t)nn);
                }
            }
        vg_buf_putc(&ids, '\0');
        sql = xprintf(
            "SELECT a.id AS alert, " ISO("a.ts") " AS time, a.run_id AS run, r.sensor, s.sid, s.msg AS signature,"
            " a.category, a.src_ip || ':' || coalesce(CAST(a.src_port AS TEXT),'') AS src, a.dest_ip || ':' || coalesce(CAST(a.dest_port AS TEXT),'') AS dest,"
            " a.flow_id, a.community_id, a.evidence_ref, a.evidence_sha256,"
            " (SELECT @gconcat(c.path || ' sha256:' || c.sha256, ' ') FROM @M.captures c WHERE c.run_id=a.run_id) AS captures"
            " FROM @M.alerts a JOIN @M.signatures s ON s.id=a.sig_id JOIN @M.runs r ON r.id=a.run_id"
            " WHERE a.id IN (%s) ORDER BY a.id", ids.data);
        vg_buf_fini(&ids);
        rc = add_table(r, rd, "evidence", "Evidence index", "alerts",
                       "Each row above names its first and last alert; here they are with their flow "
                       "id, community id, evidence reference and the captures of their run.",
                       sql, err, err_len);
        free(sql);
        if (rc)
            goto bad_tx;
    }
    exec(rd, "DROP VIEW IF EXISTS @T.fxh; DROP VIEW IF EXISTS @T.fx;"
             "DROP TABLE IF EXISTS @T.fxt; DROP VIEW IF EXISTS @T.fr", err, err_len, "end");
    exec(rd, "COMMIT", err, err_len, "end");
    if (f->progress)
        fprintf(stderr, "\r\033[K");
    return r;
bad_tx:
    if (f->progress)
        fprintf(stderr, "\r\033[K");
    {
        char e3[256];
        vg_store_reader_exec(rd, "ROLLBACK", e3, sizeof e3);
    }
bad:
    vg_report_free(r);
    return NULL;
}

void vg_report_print_run_summary(struct sqlite3 *db, int64_t run_id, FILE *f)
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
