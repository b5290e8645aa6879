/* The store reader's query builder (vg_sql_translate, vg_sql_quote) in both dialects, and the
 * SQLite back-end running what it builds. The PostgreSQL back-end runs the same report queries in
 * tests/collect/test_report_pg.py (against a real server). */
#include "common/buf.h"
#include "store/store.h"

#include <setjmp.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

static void expect(vg_sql_dialect_t d, const char *in, const char *want)
{
    char *got = vg_sql_translate(d, in);
    if (strcmp(got, want))
        fail_msg("%s:\n  %s\n→ %s\n  want %s", d == VG_SQL_PG ? "pg" : "sqlite", in, got, want);
    free(got);
}

static void test_tables_and_temp(void **state)
{
    (void)state;
    expect(VG_SQL_SQLITE, "SELECT * FROM @M.alerts a JOIN @T.fx", "SELECT * FROM main.alerts a JOIN temp.fx");
    expect(VG_SQL_PG, "SELECT * FROM @M.alerts a JOIN @T.fx", "SELECT * FROM alerts a JOIN pg_temp.fx");
}

static void test_functions(void **state)
{
    (void)state;
    expect(VG_SQL_SQLITE, "@iso(ts)", "strftime('%Y-%m-%dT%H:%M:%SZ', (ts)/1000000, 'unixepoch')");
    expect(VG_SQL_PG, "@iso(ts)",
           "to_char(to_timestamp(((ts)/1000000)::double precision) AT TIME ZONE 'UTC',"
           " 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')");
    expect(VG_SQL_SQLITE, "@list(category)", "vg_list(category)");
    expect(VG_SQL_PG, "@list(category)",
           "nullif(array_to_string(array_agg(DISTINCT category ORDER BY category), ','), '')");
    expect(VG_SQL_SQLITE, "@greatest(a, b) + @least(c,d)", "max(a, b) + min(c, d)");
    expect(VG_SQL_PG, "@greatest(a, b) + @least(c,d)", "greatest(a, b) + least(c, d)");
    expect(VG_SQL_SQLITE, "@gconcat(path, ' ')", "group_concat(path, ' ')");
    expect(VG_SQL_PG, "@gconcat(path, ' ')", "string_agg(path, ' ')");
    expect(VG_SQL_PG, "@gconcat_distinct(j.value)", "string_agg(DISTINCT j.value, ',')");
    expect(VG_SQL_SQLITE, "@fmt('%s in %s', a, b)", "printf('%s in %s', a, b)");
    expect(VG_SQL_PG, "@fmt('%s in %s', a, b)", "format('%s in %s', a, b)");
    expect(VG_SQL_SQLITE, "FROM fr, @jeach(fr.geo_dbs, j)", "FROM fr, json_each(fr.geo_dbs) j");
    expect(VG_SQL_PG, "FROM fr, @jeach(fr.geo_dbs, j)",
           "FROM fr, json_array_elements_text((fr.geo_dbs)::json) AS j(value)");
    expect(VG_SQL_PG, "FROM fx, @csv_each(fx.cves, j)",
           "FROM fx, unnest(string_to_array(fx.cves, ',')) AS j(value)");
    expect(VG_SQL_PG, "@day(ts_lo)",
           "to_char(to_timestamp(((ts_lo)/1000000)::double precision) AT TIME ZONE 'UTC',"
           " 'YYYY-MM-DD')");
}

static void test_nesting_and_quotes(void **state)
{
    (void)state;
    /* macros inside macros, commas and parentheses inside arguments */
    expect(VG_SQL_PG, "@greatest(0, @least(last_ts, f(1, 2)) - @greatest(first_ts, 3))",
           "greatest(0, least(last_ts, f(1, 2)) - greatest(first_ts, 3))");
    expect(VG_SQL_SQLITE, "@list(CASE WHEN a=',' THEN b END)", "vg_list(CASE WHEN a=',' THEN b END)");
    /* '@' inside a literal or an identifier is left alone; so is an unknown macro */
    expect(VG_SQL_PG, "SELECT '@iso(x)', \"@M.y\" FROM t WHERE a='it''s @list(b)'",
           "SELECT '@iso(x)', \"@M.y\" FROM t WHERE a='it''s @list(b)'");
    expect(VG_SQL_PG, "SELECT @nope(x)", "SELECT @nope(x)");
}

static void test_placeholders(void **state)
{
    (void)state;
    expect(VG_SQL_SQLITE, "a = ? AND b = '?' AND c IN (?, @greatest(?, 1))",
           "a = ? AND b = '?' AND c IN (?, max(?, 1))");
    expect(VG_SQL_PG, "a = ? AND b = '?' AND c IN (?, @greatest(?, 1))",
           "a = $1 AND b = '?' AND c IN ($2, greatest($3, 1))");
}

static void test_quote(void **state)
{
    (void)state;
    vg_buf_t b;
    vg_buf_init(&b, 16);
    vg_sql_quote(&b, "o'hara; DROP TABLE x --");
    vg_buf_putc(&b, '\0');
    assert_string_equal(b.data, "'o''hara; DROP TABLE x --'");
    vg_buf_fini(&b);
}

typedef struct acc {
    int rows;
    char text[256];
} acc_t;

static int collect(void *ctx, size_t n, const char *const *names, const vg_rcell_t *v)
{
    acc_t *a = ctx;
    if (!v) {
        assert_true(n >= 1);
        assert_non_null(names[0]);
        return 0;
    }
    a->rows++;
    size_t k = strlen(a->text);
    for (size_t c = 0; c < n; c++)
        k += (size_t)snprintf(a->text + k, sizeof a->text - k, "%s%s", c ? "|" : "",
                              v[c].kind == VG_RK_TEXT ? v[c].s : v[c].kind == VG_RK_NULL ? "null"
                              : v[c].kind == VG_RK_INT ? "int" : "real");
    return 0;
}

static int count_first(void *ctx, size_t n, const char *const *names, const vg_rcell_t *v)
{
    (void)n;
    (void)names;
    if (v)
        *(int64_t *)ctx = v[0].i;
    return 0;
}

/* What the builder makes for SQLite runs there and gives what the report expects. */
static void test_sqlite_runs_it(void **state)
{
    (void)state;
    sqlite3 *db;
    assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
    vg_store_reader_t *rd = vg_store_reader_sqlite(db, true, "mem");
    char err[256];
    assert_int_equal(vg_store_reader_exec(rd, "CREATE TABLE t(c TEXT, n INTEGER, ts INTEGER);"
                     "INSERT INTO t VALUES ('b',2,0),('a',1,86400000000),('b',3,NULL),(NULL,4,1)",
                     err, sizeof err), 0);
    acc_t a = {0};
    assert_int_equal(vg_store_reader_query(rd, "SELECT @list(c), @list(n), @iso(max(ts)),"
                     " @fmt('%s-%s', min(c), max(n)), @greatest(1, 2) FROM t", collect, &a, err,
                     sizeof err), 0);
    assert_int_equal(a.rows, 1);
    assert_string_equal(a.text, "a,b|1,2,3,4|1970-01-02T00:00:00Z|a-4|int");
    int64_t v;
    assert_int_equal(vg_store_reader_i64(rd, "SELECT sum(n) FROM t", &v, err, sizeof err), 0);
    assert_int_equal(v, 10);
    /* bound parameters: a value with a quote is a value, never SQL */
    acc_t b = {0};
    vg_rcell_t p[2] = {{.kind = VG_RK_TEXT, .s = "b' OR 1=1 --"}, {.kind = VG_RK_INT, .i = 2}};
    assert_int_equal(vg_store_reader_query_p(rd, "SELECT count(*) FROM t WHERE c = ? OR n = ?",
                                             p, 2, collect, &b, err, sizeof err), 0);
    assert_string_equal(b.text, "int");
    int64_t cnt;
    p[0].s = "b";
    assert_int_equal(vg_store_reader_query_p(rd, "SELECT count(*) FROM t WHERE c = ? AND n > ?",
                                             p, 2, count_first, &cnt, err, sizeof err), 0);
    assert_int_equal(cnt, 1); /* ('b', 3) */
    /* an error names the reason */
    assert_int_equal(vg_store_reader_query(rd, "SELECT nope FROM t", collect, &a, err, sizeof err), -1);
    assert_non_null(strstr(err, "nope"));
    /* not a Vigil store */
    assert_int_equal(vg_store_reader_check(rd, err, sizeof err), -1);
    vg_store_reader_close(rd);
}

/* A PostgreSQL DSN that cannot connect: NULL and a reason naming PostgreSQL. */
static void test_pg_refused(void **state)
{
    (void)state;
    char err[512];
    vg_store_reader_t *rd = vg_store_reader_pg("host=/nonexistent-vigil port=1 dbname=x "
                                               "connect_timeout=2", err, sizeof err);
    assert_null(rd);
    assert_non_null(strstr(err, "postgresql"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tables_and_temp),  cmocka_unit_test(test_functions),
        cmocka_unit_test(test_nesting_and_quotes), cmocka_unit_test(test_placeholders),
        cmocka_unit_test(test_quote),
        cmocka_unit_test(test_sqlite_runs_it),   cmocka_unit_test(test_pg_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
