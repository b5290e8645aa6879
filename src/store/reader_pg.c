/* reader_pg.c — the store reader over PostgreSQL (libpq): the central database `vigil collect`
 * fills (docs/SCALE.md). Values come back as text and are typed by the column's type: integers
 * and booleans (1/0) as integers, numeric with a fraction and floats as reals, numeric without
 * one as an integer (sum() of bigint is numeric), the rest as text. */
#include "store/reader_int.h"
#include "common/common.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct pg_reader {
    vg_store_reader_t base;
    PGconn *pg;
} pg_reader_t;

/* OIDs of the built-in types (pg_type.h; stable across versions) */
#define OID_BOOL 16
#define OID_INT8 20
#define OID_INT2 21
#define OID_INT4 23
#define OID_FLOAT4 700
#define OID_FLOAT8 701
#define OID_NUMERIC 1700

static void pg_err(char *err, size_t err_len, PGconn *pg, PGresult *r)
{
    const char *m = r ? PQresultErrorMessage(r) : PQerrorMessage(pg);
    snprintf(err, err_len, "postgresql: %s", m && *m ? m : "no answer");
    size_t n = strlen(err);
    while (n && (err[n - 1] == '\n' || err[n - 1] == ' '))
        err[--n] = '\0';
}

static void quiet(void *arg, const char *msg) { (void)arg; (void)msg; }

static int pgr_exec(vg_store_reader_t *r, const char *sql, char *err, size_t err_len)
{
    pg_reader_t *p = (pg_reader_t *)r;
    PGresult *res = PQexec(p->pg, sql);
    ExecStatusType t = PQresultStatus(res);
    if (t != PGRES_COMMAND_OK && t != PGRES_TUPLES_OK) {
        pg_err(err, err_len, p->pg, res);
        PQclear(res);
        return -1;
    }
    PQclear(res);
    return 0;
}

static int pgr_query(vg_store_reader_t *r, const char *sql, const vg_rcell_t *params,
                     size_t n_params, vg_store_row_fn fn, void *ctx, char *err, size_t err_len)
{
    pg_reader_t *p = (pg_reader_t *)r;
    PGresult *res;
    if (!n_params) {
        res = PQexec(p->pg, sql);
    } else {
        /* parameters as text; PostgreSQL types them from the query */
        const char **vals = vg_xcalloc(n_params, sizeof *vals);
        char (*nums)[32] = vg_xcalloc(n_params, sizeof *nums);
        for (size_t i = 0; i < n_params; i++) {
            if (params[i].kind == VG_RK_INT) {
                snprintf(nums[i], sizeof nums[i], "%lld", (long long)params[i].i);
                vals[i] = nums[i];
            } else if (params[i].kind == VG_RK_REAL) {
                snprintf(nums[i], sizeof nums[i], "%.17g", params[i].d);
                vals[i] = nums[i];
            } else if (params[i].kind == VG_RK_TEXT) {
                vals[i] = params[i].s;
            }
        }
        res = PQexecParams(p->pg, sql, (int)n_params, NULL, vals, NULL, NULL, 0);
        free(vals);
        free(nums);
    }
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        pg_err(err, err_len, p->pg, res);
        PQclear(res);
        return -1;
    }
    int nc = PQnfields(res), nr = PQntuples(res);
    const char **names = vg_xcalloc((size_t)nc + 1, sizeof *names);
    vg_rcell_t *v = vg_xcalloc((size_t)nc + 1, sizeof *v);
    Oid *types = vg_xcalloc((size_t)nc + 1, sizeof *types);
    for (int c = 0; c < nc; c++) {
        names[c] = PQfname(res, c);
        types[c] = PQftype(res, c);
    }
    int stop = fn(ctx, (size_t)nc, names, NULL);
    for (int row = 0; row < nr && !stop; row++) {
        for (int c = 0; c < nc; c++) {
            vg_rcell_t *cell = &v[c];
            cell->s = NULL;
            if (PQgetisnull(res, row, c)) {
                cell->kind = VG_RK_NULL;
                continue;
            }
            char *t = PQgetvalue(res, row, c);
            switch (types[c]) {
            case OID_BOOL: cell->kind = VG_RK_INT; cell->i = *t == 't'; break;
            case OID_INT2:
            case OID_INT4:
            case OID_INT8: cell->kind = VG_RK_INT; cell->i = strtoll(t, NULL, 10); break;
            case OID_FLOAT4:
            case OID_FLOAT8: cell->kind = VG_RK_REAL; cell->d = strtod(t, NULL); break;
            case OID_NUMERIC:
                if (strchr(t, '.') || strchr(t, 'e') || strchr(t, 'N')) {
                    cell->kind = VG_RK_REAL;
                    cell->d = strtod(t, NULL);
                } else {
                    cell->kind = VG_RK_INT;
                    cell->i = strtoll(t, NULL, 10);
                }
                break;
            default: cell->kind = VG_RK_TEXT; cell->s = t;
            }
        }
        stop = fn(ctx, (size_t)nc, names, v);
    }
    free(names);
    free(v);
    free(types);
    PQclear(res);
    return stop;
}

static int pgr_check(vg_store_reader_t *r, char *err, size_t err_len)
{
    pg_reader_t *p = (pg_reader_t *)r;
    PGresult *res = PQexec(p->pg, "SELECT to_regclass('vigil_schema') IS NOT NULL");
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        pg_err(err, err_len, p->pg, res);
        PQclear(res);
        return -1;
    }
    bool has = *PQgetvalue(res, 0, 0) == 't';
    PQclear(res);
    if (!has) {
        snprintf(err, err_len, "postgresql: not a Vigil database (no vigil_schema table); "
                 "`vigil collect --pg` makes one");
        return -1;
    }
    res = PQexec(p->pg, "SELECT coalesce(max(version), 0) FROM vigil_schema");
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        pg_err(err, err_len, p->pg, res);
        PQclear(res);
        return -1;
    }
    int v = atoi(PQgetvalue(res, 0, 0));
    PQclear(res);
    if (v > VG_STORE_PG_SCHEMA_VERSION) {
        snprintf(err, err_len, "postgresql: made by a newer Vigil (schema %d; this vigil knows up "
                 "to %d)", v, VG_STORE_PG_SCHEMA_VERSION);
        return -1;
    }
    if (v < VG_STORE_PG_SCHEMA_VERSION) {
        snprintf(err, err_len, "postgresql: schema %d is older than this vigil's (%d); start "
                 "`vigil collect` on it once to migrate it", v, VG_STORE_PG_SCHEMA_VERSION);
        return -1;
    }
    return 0;
}

static void pgr_close(vg_store_reader_t *r)
{
    pg_reader_t *p = (pg_reader_t *)r;
    PQfinish(p->pg);
    free(p->base.label);
    free(p);
}

static const vg_store_reader_ops_t PG_OPS = {pgr_check, pgr_exec, pgr_query, pgr_close};

vg_store_reader_t *vg_store_reader_pg(const char *dsn, char *err, size_t err_len)
{
    PGconn *pg = PQconnectdb(dsn);
    if (!pg || PQstatus(pg) != CONNECTION_OK) {
        pg_err(err, err_len, pg, NULL);
        PQfinish(pg);
        return NULL;
    }
    PQsetNoticeProcessor(pg, quiet, NULL);
    /* The report compares and sorts text bytewise, as SQLite does; the store's columns are
     * COLLATE "C" (schema 3), and so is what the report builds from them. UTC for to_char.
     * Literals quoted by vg_sql_quote need standard strings (a backslash is a character). */
    PGresult *res = PQexec(pg, "SET TIME ZONE 'UTC'; SET client_encoding = 'UTF8';"
                               " SET standard_conforming_strings = on");
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        pg_err(err, err_len, pg, res);
        PQclear(res);
        PQfinish(pg);
        return NULL;
    }
    PQclear(res);
    pg_reader_t *p = vg_xcalloc(1, sizeof *p);
    p->base.ops = &PG_OPS;
    p->base.dialect = VG_SQL_PG;
    char label[512];
    snprintf(label, sizeof label, "postgresql %s@%s", PQdb(pg),
             PQhost(pg) && *PQhost(pg) ? PQhost(pg) : "local");
    p->base.label = vg_xstrdup(label);
    p->pg = pg;
    return &p->base;
}
