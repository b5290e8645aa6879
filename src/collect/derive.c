/* derive.c — what the report needs, kept by the collector in the transaction of each batch
 * (docs/SCALE.md, "What the report reads"): for every new alert event, its row in `alerts` with
 * the columns the SQLite store keeps (read by the same function, store_alert.c), its signature,
 * its incident (the SQLite store's rule: same category, attacker, victim and signature family,
 * each alert within the window of the incident's span), and the rollup cells `alert_dims` /
 * `alert_rollup` the report reads whole days from.
 *
 * Alerts, incidents and cells of all collectors are numbered and merged under one advisory
 * transaction lock, so two collectors never open the same incident twice nor hand out one id
 * twice; the lock is held from the first alert of a batch to its COMMIT (batches without alerts
 * do not take it). The caller passes a sensor's alerts in sequence order, along its committed
 * mark (collect.c, derive_committed), so a sensor's incidents are made in the order it wrote its
 * events whatever order collectors commit its batches in.
 *
 * Partial, stated: the SQLite store continues only incidents of runs that have ended, and
 * reads one store's runs one after the other; here every earlier incident of the key may be
 * continued, and alerts of several sensors are taken in the order their batches commit. The
 * window is the collector's --incident-window, one for all sensors. An alert
 * more than the window older than its key's latest incident opens a new one (as in SQLite when
 * the key's open incident is newer).  */
#include "collect/collect_int.h"
#include "common/buf.h"
#include "common/common.h"
#include "store/store.h"
#include "store/store_alert.h"
#include "store/store_json.h"

#include <inttypes.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ADVISORY_ALERTS 7341203
#define CACHE_CAP (1u << 14)

typedef struct centry {
    uint64_t hash;
    char *key;
    int64_t id;
    char *family; /* signatures only */
} centry_t;

struct vg_derive_cache {
    centry_t sig[CACHE_CAP];
    centry_t dim[CACHE_CAP];
};

vg_derive_cache_t *vg_derive_cache_new(void) { return vg_xcalloc(1, sizeof(vg_derive_cache_t)); }

void vg_derive_cache_clear(vg_derive_cache_t *dc)
{
    if (!dc)
        return;
    for (size_t i = 0; i < CACHE_CAP; i++) {
        free(dc->sig[i].key);
        free(dc->sig[i].family);
        free(dc->dim[i].key);
    }
    memset(dc, 0, sizeof *dc);
}

void vg_derive_cache_free(vg_derive_cache_t *dc)
{
    vg_derive_cache_clear(dc);
    free(dc);
}

static uint64_t fnv(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ULL;
    }
    return h;
}

static void errmsg(PGconn *pg, PGresult *r, char *err, size_t err_len)
{
    const char *m = r ? PQresultErrorMessage(r) : PQerrorMessage(pg);
    snprintf(err, err_len, "postgresql: %s", m && *m ? m : "no answer");
    size_t n = strlen(err);
    while (n && err[n - 1] == '\n')
        err[--n] = '\0';
}

static PGresult *q(PGconn *pg, const char *sql, int n, const char *const *v, char *err,
                   size_t err_len)
{
    PGresult *r = PQexecParams(pg, sql, n, NULL, v, NULL, NULL, 0);
    ExecStatusType t = PQresultStatus(r);
    if (t != PGRES_COMMAND_OK && t != PGRES_TUPLES_OK) {
        errmsg(pg, r, err, err_len);
        PQclear(r);
        return NULL;
    }
    return r;
}

static int copy(PGconn *pg, const char *sql, const vg_buf_t *b, char *err, size_t err_len)
{
    PGresult *r = PQexec(pg, sql);
    if (PQresultStatus(r) != PGRES_COPY_IN) {
        errmsg(pg, r, err, err_len);
        PQclear(r);
        return -1;
    }
    PQclear(r);
    if ((b->len && PQputCopyData(pg, b->data, (int)b->len) != 1) || PQputCopyEnd(pg, NULL) != 1) {
        errmsg(pg, NULL, err, err_len);
        return -1;
    }
    r = PQgetResult(pg);
    int rc = PQresultStatus(r) == PGRES_COMMAND_OK ? 0 : -1;
    if (rc)
        errmsg(pg, r, err, err_len);
    PQclear(r);
    while ((r = PQgetResult(pg)))
        PQclear(r);
    return rc;
}

/* COPY text fields */
static void f_str(vg_buf_t *b, const char *s)
{
    if (!s)
        vg_buf_puts(b, "\\N");
    else
        vg_collect_copy_text(b, s, strlen(s));
    vg_buf_putc(b, '\t');
}

static void f_int(vg_buf_t *b, bool has, int64_t v)
{
    if (!has) {
        vg_buf_puts(b, "\\N\t");
        return;
    }
    char t[24];
    int n = snprintf(t, sizeof t, "%" PRId64 "\t", v);
    vg_buf_append(b, t, (size_t)n);
}

static void end_line(vg_buf_t *b) { b->data[b->len - 1] = '\n'; }

/* A key part for the caches: the value and a separator; NULL distinct from "". */
static void k_str(vg_buf_t *b, const char *s)
{
    if (s)
        vg_buf_puts(b, s);
    else
        vg_buf_putc(b, '\x02');
    vg_buf_putc(b, '\x1f');
}

static void k_int(vg_buf_t *b, bool has, int64_t v)
{
    char t[24];
    int n = has ? snprintf(t, sizeof t, "%" PRId64, v) : snprintf(t, sizeof t, "\x02");
    vg_buf_append(b, t, (size_t)n);
    vg_buf_putc(b, '\x1f');
}

static char *itoa_(int64_t v, char *t) /* t: 24 bytes */
{
    snprintf(t, 24, "%" PRId64, v);
    return t;
}

/* The signature's row id and family: cached, else inserted (the first family seen stays). */
static centry_t *sig_id(PGconn *pg, vg_derive_cache_t *dc, vg_sjson_t *j,
                        const vg_store_alert_t *a, vg_buf_t *kb, char *err, size_t err_len)
{
    kb->len = 0;
    k_int(kb, true, a->gid);
    k_int(kb, true, a->sid);
    k_int(kb, true, a->rev);
    k_str(kb, a->msg);
    vg_buf_putc(kb, '\0');
    uint64_t h = fnv(kb->data, kb->len);
    centry_t *c = &dc->sig[h & (CACHE_CAP - 1)];
    if (c->key && c->hash == h && !strcmp(c->key, kb->data))
        return c;
    char fam[512], cves[1024], g[24], s[24], rv[24], sev[24];
    vg_store_alert_sig(j, a->msg, fam, sizeof fam, cves, sizeof cves);
    const char *v[8] = {itoa_(a->gid, g), itoa_(a->sid, s), itoa_(a->rev, rv), a->msg,
                        a->classtype, a->severity.has ? itoa_(a->severity.v, sev) : NULL, fam,
                        *cves ? cves : NULL};
    PGresult *r = q(pg,
                    "INSERT INTO signatures (gid, sid, rev, msg, classtype, severity, family, cves)"
                    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (gid, sid, rev, msg)"
                    " DO UPDATE SET gid = EXCLUDED.gid RETURNING id, family",
                    8, v, err, err_len);
    if (!r)
        return NULL;
    free(c->key);
    free(c->family);
    c->key = vg_xstrdup(kb->data);
    c->hash = h;
    c->id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    c->family = vg_xstrdup(PQgetvalue(r, 0, 1));
    PQclear(r);
    return c;
}

/* The alert_dims row of the alert's report columns: cached, else a new row (equal rows may
 * exist, as in SQLite: the report groups by the values). */
static int64_t dim_id(PGconn *pg, vg_derive_cache_t *dc, const vg_store_alert_t *a, int64_t sig,
                      vg_buf_t *kb, char *err, size_t err_len)
{
    const char *cc = vg_store_alert_cc(a), *org = a->att_org ? a->att_org : "";
    kb->len = 0;
    k_int(kb, true, sig);
    k_str(kb, a->cat);
    k_int(kb, true, a->counted);
    k_str(kb, a->certainty);
    k_str(kb, a->role_by);
    k_str(kb, a->proto);
    k_str(kb, a->app_proto);
    k_str(kb, a->att_ip);
    k_int(kb, a->att_home >= 0, a->att_home);
    k_str(kb, cc);
    k_int(kb, true, a->att_asn.v);
    k_str(kb, org);
    k_str(kb, a->vic_ip);
    k_int(kb, a->vic_port.has, a->vic_port.v);
    k_int(kb, a->vic_home >= 0, a->vic_home);
    vg_buf_putc(kb, '\0');
    uint64_t h = fnv(kb->data, kb->len);
    centry_t *c = &dc->dim[h & (CACHE_CAP - 1)];
    if (c->key && c->hash == h && !strcmp(c->key, kb->data))
        return c->id;
    char t[6][24];
    const char *v[15] = {itoa_(sig, t[0]), a->cat, a->counted ? "1" : "0", a->certainty,
                         a->role_by, a->proto, a->app_proto, a->att_ip,
                         a->att_home >= 0 ? itoa_(a->att_home, t[1]) : NULL, cc,
                         itoa_(a->att_asn.v, t[2]), org, a->vic_ip,
                         a->vic_port.has ? itoa_(a->vic_port.v, t[3]) : NULL,
                         a->vic_home >= 0 ? itoa_(a->vic_home, t[4]) : NULL};
    PGresult *r = q(pg,
                    "INSERT INTO alert_dims (sig_id, category, counted, certainty, role_by, proto,"
                    " app_proto, attacker_ip, attacker_home, attacker_country, attacker_asn,"
                    " attacker_org, victim_ip, victim_port, victim_home) VALUES ($1, $2, $3, $4,"
                    " $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING id",
                    15, v, err, err_len);
    if (!r)
        return 0;
    free(c->key);
    c->key = vg_xstrdup(kb->data);
    c->hash = h;
    c->id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    return c->id;
}

/* One alert of the batch after the first pass. */
typedef struct dal {
    int64_t run, ts, dim;
    size_t inc;      /* index of its incident key */
    size_t line_at;  /* its COPY line (without id and incident) in the alert buffer */
    size_t line_len;
} dal_t;

typedef struct dinc {
    char *key;       /* cat \x1f att \x1f vic \x1f fam */
    uint64_t hash;
    bool have;       /* the incident the key is in now: */
    int64_t id, start, end;
} dinc_t;

typedef struct cell {
    int64_t run, day, dim, inc;
    int64_t n, id_lo, id_hi, ts_lo, ts_hi;
    bool used;
} cell_t;

/* One element of a PostgreSQL array literal of text ("a" with " and \ escaped). */
static void arr_add(vg_buf_t *b, const char *s)
{
    vg_buf_putc(b, b->len ? ',' : '{');
    vg_buf_putc(b, '"');
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            vg_buf_putc(b, '\\');
        vg_buf_putc(b, *s);
    }
    vg_buf_putc(b, '"');
}

/* The batch's rollup cells, added to alert_rollup (they stay in rstage for the incidents). */
static int write_cells(PGconn *pg, cell_t *cells, size_t cap, vg_buf_t *b, char *err,
                       size_t err_len)
{
    PGresult *d = q(pg, "DELETE FROM pg_temp.rstage", 0, NULL, err, err_len);
    if (!d)
        return -1;
    PQclear(d);
    b->len = 0;
    for (size_t i = 0; i < cap; i++) {
        cell_t *c = &cells[i];
        if (!c->used)
            continue;
        f_int(b, true, c->run);
        f_int(b, true, c->day);
        f_int(b, true, c->dim);
        f_int(b, true, c->inc);
        f_int(b, true, c->n);
        f_int(b, true, c->id_lo);
        f_int(b, true, c->id_hi);
        f_int(b, true, c->ts_lo);
        f_int(b, true, c->ts_hi);
        end_line(b);
    }
    if (copy(pg, "COPY pg_temp.rstage FROM STDIN", b, err, err_len))
        return -1;
    PGresult *r = q(pg,
                    "INSERT INTO alert_rollup SELECT * FROM pg_temp.rstage"
                    " ON CONFLICT (run_id, day, dim, incident_id) DO UPDATE"
                    " SET alerts = alert_rollup.alerts + EXCLUDED.alerts,"
                    " first_alert = least(alert_rollup.first_alert, EXCLUDED.first_alert),"
                    " last_alert = greatest(alert_rollup.last_alert, EXCLUDED.last_alert),"
                    " first_ts = least(alert_rollup.first_ts, EXCLUDED.first_ts),"
                    " last_ts = greatest(alert_rollup.last_ts, EXCLUDED.last_ts)",
                    0, NULL, err, err_len);
    if (!r)
        return -1;
    PQclear(r);
    return 0;
}

static size_t inc_find(dinc_t **ik, size_t *n_ik, size_t *cap, size_t **slots, size_t *n_slots,
                       const char *key)
{
    uint64_t h = fnv(key, strlen(key));
    if (*n_ik * 2 >= *n_slots) { /* grow and rehash */
        size_t ns = *n_slots ? *n_slots * 2 : 1024;
        size_t *s = vg_xcalloc(ns, sizeof *s);
        for (size_t i = 0; i < *n_ik; i++) {
            size_t j = (*ik)[i].hash & (ns - 1);
            while (s[j])
                j = (j + 1) & (ns - 1);
            s[j] = i + 1;
        }
        free(*slots);
        *slots = s;
        *n_slots = ns;
    }
    size_t j = h & (*n_slots - 1);
    while ((*slots)[j]) {
        dinc_t *x = &(*ik)[(*slots)[j] - 1];
        if (x->hash == h && !strcmp(x->key, key))
            return (*slots)[j] - 1;
        j = (j + 1) & (*n_slots - 1);
    }
    if (*n_ik == *cap) {
        *cap = *cap ? *cap * 2 : 256;
        *ik = vg_xrealloc(*ik, *cap * sizeof **ik);
    }
    dinc_t *x = &(*ik)[*n_ik];
    memset(x, 0, sizeof *x);
    x->key = vg_xstrdup(key);
    x->hash = h;
    (*slots)[j] = *n_ik + 1;
    return (*n_ik)++;
}

static cell_t *cell_of(cell_t *cells, size_t cap, int64_t run, int64_t day, int64_t dim,
                       int64_t inc)
{
    uint64_t h = (uint64_t)run * 0x9E3779B97F4A7C15ULL ^ (uint64_t)day * 0xC2B2AE3D27D4EB4FULL ^
                 (uint64_t)dim * 0x165667B19E3779F9ULL ^ (uint64_t)inc * 0x27D4EB2F165667C5ULL;
    size_t j = (size_t)(h ^ (h >> 29)) & (cap - 1);
    while (cells[j].used && !(cells[j].run == run && cells[j].day == day &&
                              cells[j].dim == dim && cells[j].inc == inc))
        j = (j + 1) & (cap - 1);
    return &cells[j];
}

int vg_collect_derive(PGconn *pg, vg_derive_cache_t *dc, const vg_derive_in_t *in, size_t n,
                      int64_t window_us, char *err, size_t err_len)
{
    if (!n)
        return 0;
    int rc = -1;
    char lock[64];
    snprintf(lock, sizeof lock, "SELECT pg_advisory_xact_lock(%d)", ADVISORY_ALERTS);
    PGresult *r = q(pg, lock, 0, NULL, err, err_len);
    if (!r)
        return -1;
    PQclear(r);
    vg_sjson_t *j = vg_xmalloc(sizeof *j);
    vg_buf_t lines, kb, keys[4], tmp;
    vg_buf_init(&lines, 1 << 16);
    vg_buf_init(&kb, 256);
    vg_buf_init(&tmp, 1 << 14);
    for (int k = 0; k < 4; k++)
        vg_buf_init(&keys[k], 1024);
    dal_t *al = vg_xcalloc(n, sizeof *al);
    size_t n_al = 0;
    dinc_t *ik = NULL;
    size_t n_ik = 0, cap_ik = 0, *slots = NULL, n_slots = 0;
    size_t cell_cap = 64;
    while (cell_cap < 4 * n)
        cell_cap *= 2;
    cell_t *cells = vg_xcalloc(cell_cap, sizeof *cells);

    /* pass 1: columns, signature, dimensions; the alert line without its ids */
    for (size_t i = 0; i < n; i++) {
        if (vg_sjson_parse(j, in[i].raw, in[i].len))
            continue; /* the events table has it; not an alert the store could keep either */
        int64_t ts;
        const char *tss = vg_sjson_str(j, "timestamp");
        if (!tss || !vg_store_parse_time(tss, strlen(tss), &ts))
            continue;
        vg_store_alert_t a;
        if (vg_store_alert_read(j, &a))
            continue;
        centry_t *sig = sig_id(pg, dc, j, &a, &kb, err, err_len);
        int64_t dim = sig ? dim_id(pg, dc, &a, sig->id, &kb, err, err_len) : 0;
        if (!dim) {
            vg_store_alert_fini(&a);
            goto out;
        }
        dal_t *d = &al[n_al++];
        d->run = in[i].run;
        d->ts = ts;
        d->dim = dim;
        kb.len = 0;
        const char *kp[4] = {a.cat, a.att_ip ? a.att_ip : "", a.vic_ip ? a.vic_ip : "",
                             sig->family};
        for (int k = 0; k < 4; k++) {
            vg_buf_puts(&kb, kp[k]);
            if (k < 3)
                vg_buf_putc(&kb, '\x1f');
        }
        vg_buf_putc(&kb, '\0');
        size_t before = n_ik;
        d->inc = inc_find(&ik, &n_ik, &cap_ik, &slots, &n_slots, kb.data);
        if (n_ik > before)
            for (int k = 0; k < 4; k++)
                arr_add(&keys[k], kp[k]);
        d->line_at = lines.len;
        f_int(&lines, true, in[i].run);
        f_str(&lines, in[i].sensor);
        f_int(&lines, true, (int64_t)in[i].seq);
        f_int(&lines, true, ts);
        f_int(&lines, true, sig->id);
        f_str(&lines, a.cat);
        f_int(&lines, true, a.counted);
        f_str(&lines, a.certainty);
        f_str(&lines, a.role_by);
        f_str(&lines, a.action);
        f_str(&lines, a.proto);
        f_str(&lines, a.app_proto);
        f_str(&lines, a.src_ip);
        f_int(&lines, a.src_port.has, a.src_port.v);
        f_str(&lines, a.dest_ip);
        f_int(&lines, a.dest_port.has, a.dest_port.v);
        f_int(&lines, a.flow_id.has, a.flow_id.v);
        f_str(&lines, a.community_id);
        f_str(&lines, a.att_ip);
        f_int(&lines, a.att_port.has, a.att_port.v);
        f_int(&lines, a.att_home >= 0, a.att_home);
        f_str(&lines, a.att_cc);
        f_int(&lines, a.att_asn.has, a.att_asn.v);
        f_str(&lines, a.att_org);
        f_str(&lines, a.vic_ip);
        f_int(&lines, a.vic_port.has, a.vic_port.v);
        f_int(&lines, a.vic_home >= 0, a.vic_home);
        f_str(&lines, a.vic_cc);
        f_int(&lines, a.vic_asn.has, a.vic_asn.v);
        f_str(&lines, a.vic_org);
        f_str(&lines, a.ev_ref);
        f_str(&lines, a.ev_sha);
        d->line_len = lines.len - d->line_at;
        vg_store_alert_fini(&a);
    }
    if (!n_al) {
        rc = 0;
        goto out;
    }
    /* the latest incident of each key */
    for (int k = 0; k < 4; k++) {
        vg_buf_putc(&keys[k], '}');
        vg_buf_putc(&keys[k], '\0');
    }
    {
        const char *v[4] = {keys[0].data, keys[1].data, keys[2].data, keys[3].data};
        r = q(pg,
              "SELECT DISTINCT ON (k.c, k.a, k.v, k.f) k.c || chr(31) || k.a || chr(31) || k.v"
              " || chr(31) || k.f, i.id, i.start_ts, i.end_ts FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])"
              " AS k(c, a, v, f) JOIN incidents i ON i.category = k.c AND i.attacker_ip = k.a"
              " AND i.victim_ip = k.v AND i.family = k.f"
              " ORDER BY k.c, k.a, k.v, k.f, i.end_ts DESC",
              4, v, err, err_len);
        if (!r)
            goto out;
        for (int t = 0; t < PQntuples(r); t++) {
            size_t x = inc_find(&ik, &n_ik, &cap_ik, &slots, &n_slots, PQgetvalue(r, t, 0));
            ik[x].have = true;
            ik[x].id = strtoll(PQgetvalue(r, t, 1), NULL, 10);
            ik[x].start = strtoll(PQgetvalue(r, t, 2), NULL, 10);
            ik[x].end = strtoll(PQgetvalue(r, t, 3), NULL, 10);
        }
        PQclear(r);
    }
    int64_t next_alert = 0, next_inc = 0;
    r = q(pg, "SELECT (SELECT coalesce(max(id), 0) FROM alerts),"
              " (SELECT coalesce(max(id), 0) FROM incidents)", 0, NULL, err, err_len);
    if (!r)
        goto out;
    next_alert = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    next_inc = strtoll(PQgetvalue(r, 0, 1), NULL, 10);
    PQclear(r);

    /* pass 2: incidents (the SQLite store's rule), ids, cells, in the batch's order */
    tmp.len = 0;
    for (size_t i = 0; i < n_al; i++) {
        dal_t *d = &al[i];
        dinc_t *x = &ik[d->inc];
        int64_t id = ++next_alert;
        if (!(x->have && d->ts + window_us >= x->start && d->ts <= x->end + window_us)) {
            /* a new incident of this key (the earlier one, if any, has expired) */
            x->have = true;
            x->id = ++next_inc;
            x->start = x->end = d->ts;
        }
        if (d->ts < x->start)
            x->start = d->ts;
        if (d->ts > x->end)
            x->end = d->ts;
        f_int(&tmp, true, id);
        vg_buf_append(&tmp, lines.data + d->line_at, d->line_len);
        f_int(&tmp, true, x->id);
        end_line(&tmp);
        cell_t *c = cell_of(cells, cell_cap, d->run, vg_store_day_of(d->ts), d->dim, x->id);
        if (!c->used) {
            *c = (cell_t){.run = d->run, .day = vg_store_day_of(d->ts), .dim = d->dim,
                          .inc = x->id, .id_lo = id, .ts_lo = d->ts, .ts_hi = d->ts,
                          .used = true};
        }
        c->n++;
        c->id_hi = id;
        if (d->ts < c->ts_lo)
            c->ts_lo = d->ts;
        if (d->ts > c->ts_hi)
            c->ts_hi = d->ts;
    }
    if (copy(pg, "COPY alerts (id, run_id, sensor, seq, ts, sig_id, category, counted, certainty,"
                 " role_by, action, proto, app_proto, src_ip, src_port, dest_ip, dest_port, flow_id,"
                 " community_id, attacker_ip, attacker_port, attacker_home, attacker_country,"
                 " attacker_asn, attacker_org, victim_ip, victim_port, victim_home, victim_country,"
                 " victim_asn, victim_org, evidence_ref, evidence_sha256, incident_id) FROM STDIN",
             &tmp, err, err_len))
        goto out;
    if (write_cells(pg, cells, cell_cap, &tmp, err, err_len))
        goto out;
    /* incidents: from the cells (every alert of the batch is in exactly one), so an incident
     * closed and a new one opened for the same key in one batch are both written */
    r = q(pg,
          "INSERT INTO incidents SELECT s.incident_id, (array_agg(s.run_id ORDER BY s.first_alert))[1],"
          " d.category, coalesce(d.attacker_ip, ''), coalesce(d.victim_ip, ''), g.family,"
          " min(s.first_ts), max(s.last_ts), sum(s.alerts), min(s.first_alert), max(s.last_alert)"
          " FROM pg_temp.rstage s JOIN alert_dims d ON d.id = s.dim JOIN signatures g ON g.id = d.sig_id"
          " GROUP BY s.incident_id, d.category, coalesce(d.attacker_ip, ''), coalesce(d.victim_ip, ''), g.family"
          " ON CONFLICT (id) DO UPDATE"
          " SET start_ts = least(incidents.start_ts, EXCLUDED.start_ts),"
          " end_ts = greatest(incidents.end_ts, EXCLUDED.end_ts),"
          " alerts = incidents.alerts + EXCLUDED.alerts,"
          " first_alert = least(incidents.first_alert, EXCLUDED.first_alert),"
          " last_alert = greatest(incidents.last_alert, EXCLUDED.last_alert)",
          0, NULL, err, err_len);
    if (!r)
        goto out;
    PQclear(r);
    rc = 0;
out:
    for (size_t i = 0; i < n_ik; i++)
        free(ik[i].key);
    free(ik);
    free(slots);
    free(cells);
    free(al);
    free(j);
    vg_buf_fini(&lines);
    vg_buf_fini(&kb);
    vg_buf_fini(&tmp);
    for (int k = 0; k < 4; k++)
        vg_buf_fini(&keys[k]);
    return rc;
}

/* --- run records (schema 4) ------------------------------------------------------------------
 *
 * A sensor's events of type vigil_run open and end its runs (docs/SCALE.md, "Run records"). They
 * come to vg_collect_run_record in sequence order with the sensor's alerts (collect.c,
 * derive_committed), so every alert is given the run whose start record precedes it. */

/* The columns a record sets, read by PostgreSQL from the JSON itself (vigil_jint/vigil_jtext,
 * schema.c: a value of the wrong type is NULL, never an error). */
#define RR "(($3::json)->'vigil_run')"

/* The rerun rule of the SQLite store (store.c, vg_store_end_run), per sensor: an earlier
 * counted run of the sensor with the same capture set is superseded by run `id`; the incidents
 * it opened or continued are recounted from the other runs' cells, those left without alerts
 * deleted, then its alerts and cells deleted. */
static int rerun_rule(PGconn *pg, const char *sensor, int64_t id, char *err, size_t err_len)
{
    char sid[24];
    const char *v[2] = {itoa_(id, sid), sensor};
    PGresult *r = q(pg,
                    "SELECT id FROM run_records WHERE id <> $1 AND sensor = $2 AND status IN"
                    " ('complete','partial') AND capture_set <> '' AND capture_set = (SELECT"
                    " capture_set FROM run_records WHERE id = $1) ORDER BY id",
                    2, v, err, err_len);
    if (!r)
        return -1;
    int n = PQntuples(r), rc = 0;
    if (n) {
        char lock[64];
        snprintf(lock, sizeof lock, "SELECT pg_advisory_xact_lock(%d)", ADVISORY_ALERTS);
        PGresult *l = q(pg, lock, 0, NULL, err, err_len);
        rc = l ? 0 : -1;
        PQclear(l);
    }
    /* ids are numbers read from the database: written into the statements */
    static const char *const STEPS[] = {
        "CREATE TEMP TABLE inc_left ON COMMIT DROP AS SELECT incident_id AS id,"
        " sum(alerts) AS n, min(first_alert) AS fa, max(last_alert) AS la,"
        " min(first_ts) AS t0, max(last_ts) AS t1, min(run_id) AS run FROM alert_rollup"
        " WHERE run_id <> %1$lld AND incident_id IN (SELECT incident_id FROM alert_rollup"
        " WHERE run_id = %1$lld UNION SELECT id FROM incidents WHERE run_id = %1$lld)"
        " GROUP BY incident_id",
        "DELETE FROM incidents WHERE (run_id = %1$lld OR id IN (SELECT incident_id FROM"
        " alert_rollup WHERE run_id = %1$lld)) AND id NOT IN (SELECT id FROM pg_temp.inc_left)",
        "UPDATE incidents SET alerts = g.n, first_alert = g.fa, last_alert = g.la,"
        " start_ts = g.t0, end_ts = g.t1, run_id = g.run FROM pg_temp.inc_left g"
        " WHERE incidents.id = g.id",
        "DROP TABLE pg_temp.inc_left",
        "DELETE FROM alerts WHERE id BETWEEN (SELECT min(first_alert) FROM alert_rollup"
        " WHERE run_id = %1$lld) AND (SELECT max(last_alert) FROM alert_rollup"
        " WHERE run_id = %1$lld) AND run_id = %1$lld",
        "DELETE FROM alert_rollup WHERE run_id = %1$lld",
        "UPDATE run_records SET status = 'superseded', superseded_by = %2$lld WHERE id = %1$lld",
    };
    for (int i = 0; !rc && i < n; i++) {
        long long old = strtoll(PQgetvalue(r, i, 0), NULL, 10);
        for (size_t k = 0; !rc && k < sizeof STEPS / sizeof STEPS[0]; k++) {
            char sql[1024];
            snprintf(sql, sizeof sql, STEPS[k], old, (long long)id);
            PGresult *x = q(pg, sql, 0, NULL, err, err_len);
            rc = x ? 0 : -1;
            PQclear(x);
        }
    }
    PQclear(r);
    return rc;
}

int vg_collect_run_record(PGconn *pg, const char *sensor, uint64_t seq, const char *raw,
                          size_t len, int64_t *run, bool *unrecorded, char *err, size_t err_len)
{
    char sseq[24], *json = vg_xmalloc(len + 1);
    memcpy(json, raw, len);
    json[len] = '\0';
    snprintf(sseq, sizeof sseq, "%" PRIu64, seq);
    const char *v[4] = {sensor, sseq, json, NULL};
    int rc = -1;
    PGresult *r = q(pg, "SELECT vigil_jtext(" RR ", 'phase'), $1::text, $2::text", 3, v, err,
                    err_len);
    if (!r)
        goto out;
    char phase[8] = "";
    snprintf(phase, sizeof phase, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    bool end = !strcmp(phase, "end");
    if (strcmp(phase, "start") && !end) {
        rc = 0; /* not a record this vigil knows: kept in events, nothing else */
        goto out;
    }
    /* A start record opens a run; an end record ends the current one (or, when its start was
     * never seen — an older collector, a lost start — stands for the whole run). */
    if (!end || *unrecorded) {
        r = q(pg,
              "INSERT INTO run_records (sensor, start_seq, vigil_version, logdir, started_at,"
              " status, rules_loaded, rules_failed, geo_dbs) SELECT $1, $2::bigint,"
              " vigil_jtext(" RR ", 'vigil_version'), vigil_jtext(" RR ", 'logdir'),"
              " vigil_jtext(" RR ", 'started_at'), 'running', vigil_jint(" RR ", 'rules_loaded'),"
              " vigil_jint(" RR ", 'rules_failed'),"
              " CASE WHEN json_typeof(" RR "->'geo_dbs') = 'array' THEN (" RR "->'geo_dbs')::text END"
              " ON CONFLICT (sensor, start_seq) DO UPDATE SET sensor = EXCLUDED.sensor RETURNING id",
              3, v, err, err_len);
        if (!r)
            goto out;
        *run = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
        *unrecorded = false;
        PQclear(r);
    }
    if (!end) {
        rc = 0;
        goto out;
    }
    char srun[24];
    v[3] = itoa_(*run, srun);
    r = q(pg,
          "UPDATE run_records SET end_seq = $2::bigint, finished_at = vigil_jtext(" RR ", 'finished_at'),"
          " status = CASE WHEN vigil_jtext(" RR ", 'status') IN ('complete', 'partial') THEN"
          " vigil_jtext(" RR ", 'status') ELSE 'failed' END,"
          " capture_set = coalesce(vigil_jtext(" RR ", 'capture_set'), ''),"
          " first_ts = vigil_jint(" RR ", 'first_ts'), last_ts = vigil_jint(" RR ", 'last_ts'),"
          " packets = coalesce(vigil_jint(" RR ", 'packets'), 0),"
          " bytes = coalesce(vigil_jint(" RR ", 'bytes'), 0),"
          " drops = coalesce(vigil_jint(" RR ", 'drops'), 0),"
          " flows = coalesce(vigil_jint(" RR ", 'flows'), 0),"
          " gaps = coalesce(vigil_jint(" RR ", 'gaps'), 0),"
          " rules_loaded = coalesce(vigil_jint(" RR ", 'rules_loaded'), rules_loaded),"
          " rules_failed = coalesce(vigil_jint(" RR ", 'rules_failed'), rules_failed),"
          " geo_dbs = CASE WHEN json_typeof(" RR "->'geo_dbs') = 'array' THEN"
          " (" RR "->'geo_dbs')::text ELSE geo_dbs END,"
          " stats = CASE WHEN json_typeof(" RR "->'stats') = 'object' THEN"
          " (" RR "->'stats')::text END"
          " WHERE id = $4::bigint AND sensor = $1 AND end_seq IS NULL RETURNING status",
          4, v, err, err_len);
    if (!r)
        goto out;
    bool ended = PQntuples(r) == 1; /* not ended before (a record sent twice) */
    bool counted = ended && strcmp(PQgetvalue(r, 0, 0), "failed");
    PQclear(r);
    if (ended) {
        r = q(pg,
              "INSERT INTO captures (run_id, path, sha256, size) SELECT $4::bigint,"
              " coalesce(vigil_jtext(c, 'path'), ''), coalesce(vigil_jtext(c, 'sha256'), ''),"
              " coalesce(vigil_jint(c, 'size'), 0) FROM json_array_elements(CASE WHEN"
              " json_typeof(" RR "->'captures') = 'array' THEN " RR "->'captures' ELSE '[]' END) c"
              " WHERE $1::text IS NOT NULL AND $2::text IS NOT NULL",
              4, v, err, err_len);
        if (!r)
            goto out;
        PQclear(r);
    }
    rc = counted ? rerun_rule(pg, sensor, *run, err, err_len) : 0;
out:
    free(json);
    return rc;
}
