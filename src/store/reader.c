/* reader.c — reading a store through one interface (store.h "Reading a store"): the query
 * builder's dialect hooks (vg_sql_translate), the SQLite back-end, and the calls every back-end
 * shares. The PostgreSQL back-end is reader_pg.c. */
#include "store/reader_int.h"
#include "store/store_int.h"
#include "common/buf.h"
#include "common/common.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- dialect hooks --------------------------------------------------------------------------- */

typedef struct macro {
    const char *name;
    int argc;                 /* arguments the template uses ($1..$argc); -1: any (@fmt) */
    const char *tmpl[2];      /* SQLite, PostgreSQL; $N is argument N */
} macro_t;

static const macro_t MACROS[] = {
    {"iso", 1, {"strftime('%Y-%m-%dT%H:%M:%SZ', ($1)/1000000, 'unixepoch')",
                "to_char(to_timestamp((($1)/1000000)::double precision) AT TIME ZONE 'UTC',"
                " 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"}},
    {"hour", 1, {"strftime('%Y-%m-%dT%H:00:00Z', ($1)/1000000, 'unixepoch')",
                 "to_char(to_timestamp((($1)/1000000)::double precision) AT TIME ZONE 'UTC',"
                 " 'YYYY-MM-DD\"T\"HH24\":00:00Z\"')"}},
    {"day", 1, {"strftime('%Y-%m-%d', ($1)/1000000, 'unixepoch')",
                "to_char(to_timestamp((($1)/1000000)::double precision) AT TIME ZONE 'UTC',"
                " 'YYYY-MM-DD')"}},
    {"month", 1, {"strftime('%Y-%m', ($1)/1000000, 'unixepoch')",
                  "to_char(to_timestamp((($1)/1000000)::double precision) AT TIME ZONE 'UTC',"
                  " 'YYYY-MM')"}},
    /* sorted distinct values: SQLite has no ordered group_concat (vg_list is registered on the
     * connection by the SQLite reader) */
    {"list", 1, {"vg_list($1)", "nullif(array_to_string(array_agg(DISTINCT $1 ORDER BY $1), ','), '')"}},
    {"gconcat", 2, {"group_concat($1, $2)", "string_agg($1, $2)"}},
    {"gconcat_distinct", 1, {"group_concat(DISTINCT $1)", "string_agg(DISTINCT $1, ',')"}},
    {"greatest", 2, {"max($1, $2)", "greatest($1, $2)"}},
    {"least", 2, {"min($1, $2)", "least($1, $2)"}},
    {"fmt", -1, {"printf(", "format("}},
    {"jeach", 2, {"json_each($1) $2", "json_array_elements_text(($1)::json) AS $2(value)"}},
    {"csv_each", 2, {"json_each('[\"' || replace($1, ',', '\",\"') || '\"]') $2",
                     "unnest(string_to_array($1, ',')) AS $2(value)"}},
};

/* Copies a quoted literal or identifier starting at p ('...' or "...", the quote doubled
 * inside) up to end; returns the position after it. */
static const char *copy_quoted(vg_buf_t *out, const char *p, const char *end)
{
    char q = *p;
    vg_buf_putc(out, *p++);
    while (p < end) {
        if (*p == q) {
            vg_buf_putc(out, *p++);
            if (p >= end || *p != q)
                return p;
        }
        vg_buf_putc(out, *p++);
    }
    return p;
}

static bool ident_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

static void translate_into(vg_sql_dialect_t d, const char *sql, size_t n, vg_buf_t *out,
                           int *n_params);

/* The arguments of a macro call: p after '('; returns the position after ')'. */
static const char *split_args(const char *p, const char **a, size_t *al, int max, int *argc)
{
    int depth = 0, k = 0;
    const char *start = p;
    while (*p) {
        if (*p == '\'' || *p == '"') {
            char q = *p++;
            while (*p && !(*p == q && p[1] != q))
                p += (*p == q) ? 2 : 1;
            if (*p)
                p++;
            continue;
        }
        if (*p == '(') {
            depth++;
        } else if (*p == ')' || (*p == ',' && depth == 0)) {
            if (*p == ')' && depth > 0) {
                depth--;
                p++;
                continue;
            }
            if (k < max) {
                while (*start == ' ')
                    start++;
                a[k] = start;
                al[k] = (size_t)(p - start);
                k++;
            }
            if (*p == ')') {
                *argc = k;
                return p + 1;
            }
            start = p + 1;
        }
        p++;
    }
    *argc = k;
    return p;
}

static void translate_into(vg_sql_dialect_t d, const char *sql, size_t n, vg_buf_t *out,
                           int *n_params)
{
    const char *p = sql, *end = sql + n;
    while (p < end) {
        if (*p == '?' && d == VG_SQL_PG) {
            char num[16];
            snprintf(num, sizeof num, "$%d", ++*n_params);
            vg_buf_puts(out, num);
            p++;
            continue;
        }
        if (*p == '\'' || *p == '"') {
            p = copy_quoted(out, p, end);
            continue;
        }
        if (*p != '@') {
            vg_buf_putc(out, *p++);
            continue;
        }
        if (!strncmp(p, "@M.", 3)) {
            vg_buf_puts(out, d == VG_SQL_SQLITE ? "main." : "");
            p += 3;
            continue;
        }
        if (!strncmp(p, "@T.", 3)) {
            vg_buf_puts(out, d == VG_SQL_SQLITE ? "temp." : "pg_temp.");
            p += 3;
            continue;
        }
        const char *nm = p + 1;
        size_t nl = 0;
        while (nm + nl < end && ident_char(nm[nl]))
            nl++;
        const macro_t *m = NULL;
        for (size_t i = 0; i < sizeof MACROS / sizeof MACROS[0] && nm[nl] == '('; i++)
            if (strlen(MACROS[i].name) == nl && !memcmp(MACROS[i].name, nm, nl))
                m = &MACROS[i];
        if (!m) {
            vg_buf_putc(out, *p++);
            continue;
        }
        const char *tmpl = m->tmpl[d == VG_SQL_SQLITE ? 0 : 1];
        if (m->argc < 0) {
            /* a function renamed: its arguments follow as they are (translated) */
            vg_buf_puts(out, tmpl);
            p = nm + nl + 1;
            continue;
        }
        const char *a[8];
        size_t al[8];
        int argc = 0;
        const char *after = split_args(nm + nl + 1, a, al, 8, &argc);
        /* arguments translated first (macros nest) */
        vg_buf_t targ[8];
        for (int k = 0; k < argc; k++) {
            vg_buf_init(&targ[k], 64);
            translate_into(d, a[k], al[k], &targ[k], n_params);
        }
        for (const char *t = tmpl; *t; t++) {
            if (*t == '$' && t[1] >= '1' && t[1] <= '8') {
                int k = t[1] - '1';
                if (k < argc)
                    vg_buf_append(out, targ[k].data, targ[k].len);
                t++;
            } else {
                vg_buf_putc(out, *t);
            }
        }
        for (int k = 0; k < argc; k++)
            vg_buf_fini(&targ[k]);
        p = after;
    }
}

char *vg_sql_translate(vg_sql_dialect_t d, const char *sql)
{
    vg_buf_t out;
    vg_buf_init(&out, strlen(sql) + 256);
    int n_params = 0;
    translate_into(d, sql, strlen(sql), &out, &n_params);
    vg_buf_putc(&out, '\0');
    return out.data;
}

void vg_sql_quote(vg_buf_t *b, const char *s)
{
    vg_buf_putc(b, '\'');
    for (; *s; s++) {
        if (*s == '\'')
            vg_buf_putc(b, '\'');
        vg_buf_putc(b, *s);
    }
    vg_buf_putc(b, '\'');
}

/* --- shared calls ------------------------------------------------------------------------------ */

void vg_store_reader_close(vg_store_reader_t *r)
{
    if (r)
        r->ops->close(r);
}

vg_sql_dialect_t vg_store_reader_dialect(const vg_store_reader_t *r) { return r->dialect; }
const char *vg_store_reader_label(const vg_store_reader_t *r) { return r->label; }

int vg_store_reader_check(vg_store_reader_t *r, char *err, size_t err_len)
{
    return r->ops->check(r, err, err_len);
}

int vg_store_reader_exec(vg_store_reader_t *r, const char *sql, char *err, size_t err_len)
{
    char *t = vg_sql_translate(r->dialect, sql);
    int rc = r->ops->exec(r, t, err, err_len);
    free(t);
    return rc;
}

int vg_store_reader_query_p(vg_store_reader_t *r, const char *sql, const vg_rcell_t *params,
                            size_t n_params, vg_store_row_fn fn, void *ctx, char *err,
                            size_t err_len)
{
    char *t = vg_sql_translate(r->dialect, sql);
    int rc = r->ops->query(r, t, params, n_params, fn, ctx, err, err_len);
    free(t);
    return rc;
}

int vg_store_reader_query(vg_store_reader_t *r, const char *sql, vg_store_row_fn fn, void *ctx,
                          char *err, size_t err_len)
{
    return vg_store_reader_query_p(r, sql, NULL, 0, fn, ctx, err, err_len);
}

static int first_i64(void *ctx, size_t n, const char *const *names, const vg_rcell_t *v)
{
    (void)names;
    if (!v)
        return 0;
    int64_t *out = ctx;
    *out = n && v[0].kind == VG_RK_INT ? v[0].i : n && v[0].kind == VG_RK_REAL ? (int64_t)v[0].d : 0;
    return 1;
}

int vg_store_reader_i64(vg_store_reader_t *r, const char *sql, int64_t *out, char *err,
                        size_t err_len)
{
    *out = 0;
    int rc = vg_store_reader_query(r, sql, first_i64, out, err, err_len);
    return rc < 0 ? -1 : 0;
}

/* --- SQLite ------------------------------------------------------------------------------------ */

typedef struct sq_reader {
    vg_store_reader_t base;
    sqlite3 *db;
    bool own;
} sq_reader_t;

static void sq_explain(char *err, size_t err_len, sqlite3 *db)
{
    const char *why = vg_store_explain(sqlite3_extended_errcode(db));
    snprintf(err, err_len, "%s%s%s", why ? why : "", why ? " — " : "", sqlite3_errmsg(db));
}

static int sq_exec(vg_store_reader_t *r, const char *sql, char *err, size_t err_len)
{
    sq_reader_t *s = (sq_reader_t *)r;
    if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK) {
        sq_explain(err, err_len, s->db);
        return -1;
    }
    return 0;
}

static int sq_query(vg_store_reader_t *r, const char *sql, const vg_rcell_t *params,
                    size_t n_params, vg_store_row_fn fn, void *ctx, char *err, size_t err_len)
{
    sq_reader_t *s = (sq_reader_t *)r;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
        sq_explain(err, err_len, s->db);
        return -1;
    }
    for (size_t i = 0; i < n_params; i++) {
        int k = (int)i + 1;
        switch (params[i].kind) {
        case VG_RK_INT: sqlite3_bind_int64(st, k, params[i].i); break;
        case VG_RK_REAL: sqlite3_bind_double(st, k, params[i].d); break;
        case VG_RK_TEXT: sqlite3_bind_text(st, k, params[i].s, -1, SQLITE_STATIC); break;
        default: sqlite3_bind_null(st, k);
        }
    }
    int nc = sqlite3_column_count(st);
    const char **names = vg_xcalloc((size_t)nc + 1, sizeof *names);
    vg_rcell_t *v = vg_xcalloc((size_t)nc + 1, sizeof *v);
    for (int c = 0; c < nc; c++)
        names[c] = sqlite3_column_name(st, c);
    int rc = SQLITE_DONE, stop = fn(ctx, (size_t)nc, names, NULL);
    while (!stop && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        for (int c = 0; c < nc; c++) {
            vg_rcell_t *cell = &v[c];
            cell->s = NULL;
            switch (sqlite3_column_type(st, c)) {
            case SQLITE_INTEGER: cell->kind = VG_RK_INT; cell->i = sqlite3_column_int64(st, c); break;
            case SQLITE_FLOAT: cell->kind = VG_RK_REAL; cell->d = sqlite3_column_double(st, c); break;
            case SQLITE_NULL: cell->kind = VG_RK_NULL; break;
            default:
                cell->kind = VG_RK_TEXT;
                cell->s = (char *)sqlite3_column_text(st, c);
            }
        }
        if ((stop = fn(ctx, (size_t)nc, names, v)) != 0)
            break;
    }
    if (!stop && rc != SQLITE_DONE)
        sq_explain(err, err_len, s->db);
    sqlite3_finalize(st);
    free(names);
    free(v);
    return stop ? stop : rc == SQLITE_DONE ? 0 : -1;
}

static int sq_check(vg_store_reader_t *r, char *err, size_t err_len)
{
    sq_reader_t *s = (sq_reader_t *)r;
    int ver = 0;
    char e2[512];
    if (vg_store_read_version(s->db, &ver, e2, sizeof e2)) {
        snprintf(err, err_len, "%s", e2);
        return -1;
    }
    if (ver == 0) {
        snprintf(err, err_len, "an empty database, not a Vigil store (vigil read --store makes one)");
        return -1;
    }
    if (ver > VG_STORE_SCHEMA_VERSION) {
        snprintf(err, err_len, "made by a newer Vigil (store schema %d; this vigil knows up to %d)",
                 ver, VG_STORE_SCHEMA_VERSION);
        return -1;
    }
    if (ver < VG_STORE_SCHEMA_VERSION) {
        snprintf(err, err_len, "store schema %d is older than this vigil's (%d); `vigil read "
                 "--store` on it, or opening it with `vigil report`, migrates it", ver,
                 VG_STORE_SCHEMA_VERSION);
        return -1;
    }
    return 0;
}

static void sq_close(vg_store_reader_t *r)
{
    sq_reader_t *s = (sq_reader_t *)r;
    if (s->own)
        sqlite3_close(s->db);
    free(s->base.label);
    free(s);
}

/* vg_list(x): the distinct non-NULL values of a group, sorted (integers by value, before text;
 * text bytewise), joined by ','; NULL for none. group_concat(DISTINCT x) lists them in the
 * order rows arrive, which differs between the scan and the rollup paths. */
typedef struct lval {
    bool is_int;
    int64_t i;
    char *t;
} lval_t;
typedef struct lacc {
    size_t n, cap;
    lval_t *v;
} lacc_t;

static void list_step(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    lacc_t *a = sqlite3_aggregate_context(ctx, sizeof *a);
    if (!a || sqlite3_value_type(argv[0]) == SQLITE_NULL)
        return;
    if (a->n == a->cap) {
        a->cap = a->cap ? a->cap * 2 : 8;
        a->v = vg_xrealloc(a->v, a->cap * sizeof *a->v);
    }
    lval_t *v = &a->v[a->n++];
    v->is_int = sqlite3_value_type(argv[0]) == SQLITE_INTEGER;
    v->i = v->is_int ? sqlite3_value_int64(argv[0]) : 0;
    v->t = v->is_int ? NULL : vg_xstrdup((const char *)sqlite3_value_text(argv[0]));
}

static int lval_cmp(const void *pa, const void *pb)
{
    const lval_t *a = pa, *b = pb;
    if (a->is_int != b->is_int)
        return a->is_int ? -1 : 1;
    if (a->is_int)
        return a->i < b->i ? -1 : a->i > b->i;
    return strcmp(a->t, b->t);
}

static void list_final(sqlite3_context *ctx)
{
    lacc_t *a = sqlite3_aggregate_context(ctx, 0);
    if (!a || !a->n) {
        sqlite3_result_null(ctx);
        if (a)
            free(a->v);
        return;
    }
    qsort(a->v, a->n, sizeof *a->v, lval_cmp);
    vg_buf_t b;
    vg_buf_init(&b, 64);
    for (size_t k = 0; k < a->n; k++) {
        if (k && !lval_cmp(&a->v[k], &a->v[k - 1]))
            continue;
        if (b.len)
            vg_buf_putc(&b, ',');
        if (a->v[k].is_int) {
            char num[24];
            int l = snprintf(num, sizeof num, "%" PRId64, a->v[k].i);
            vg_buf_append(&b, num, (size_t)l);
        } else {
            vg_buf_puts(&b, a->v[k].t);
        }
    }
    for (size_t k = 0; k < a->n; k++)
        free(a->v[k].t);
    free(a->v);
    sqlite3_result_text(ctx, b.data, (int)b.len, SQLITE_TRANSIENT);
    vg_buf_fini(&b);
}

static const vg_store_reader_ops_t SQ_OPS = {sq_check, sq_exec, sq_query, sq_close};

vg_store_reader_t *vg_store_reader_sqlite(sqlite3 *db, bool own, const char *label)
{
    sq_reader_t *s = vg_xcalloc(1, sizeof *s);
    s->base.ops = &SQ_OPS;
    s->base.dialect = VG_SQL_SQLITE;
    s->base.label = vg_xstrdup(label ? label : "store");
    s->db = db;
    s->own = own;
    sqlite3_create_function(db, "vg_list", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, NULL,
                            list_step, list_final);
    return &s->base;
}
