/* test_attrib_range.c — the text range loaders (tor geoip/geoip6, iptoasn TSV, RIR delegated),
 * several databases at once, the per-prefix cache, and errors naming the file and line. */
#include "test_attrib_common.h"

#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

static vg_attrib_t *open1(const char *path, char *err, size_t n)
{
    const char *dbs[] = {path};
    vg_attrib_opts_t o = {.dbs = dbs, .n_dbs = 1, .verify_dbs = true};
    return vg_attrib_new(&o, err, n);
}

static void geo(vg_attrib_t *a, const char *ip, vg_geo_t *g)
{
    vg_attrib_ctx_t *c = vg_attrib_ctx_new(a);
    vg_addr_t x;
    int v = addr_of(ip, &x);
    vg_attrib_geo(c, &x, v, g);
    vg_attrib_ctx_free(c);
}

static void test_tor_v4_v6(void **st)
{
    (void)st;
    const char *p4 = tmp_write(0, "# comment\n16777216,16777471,AU\n16777472,16778239,CN\n"
                                  "3758096384,3758096639,??\n");
    const char *p6 = tmp_write(1, "2001:200::,2001:200:ffff:ffff:ffff:ffff:ffff:ffff,JP\n");
    const char *dbs[] = {p4, p6};
    vg_attrib_opts_t o = {.dbs = dbs, .n_dbs = 2};
    char err[256];
    vg_attrib_t *a = vg_attrib_new(&o, err, sizeof err);
    assert_non_null(a);
    assert_string_equal(vg_attrib_db_type(a, 0), "tor");
    vg_attrib_ctx_t *c = vg_attrib_ctx_new(a);
    const struct { const char *ip, *cc; uint8_t db; } cases[] = {
        {"1.0.0.0", "AU", 0}, {"1.0.0.255", "AU", 0}, {"1.0.1.0", "CN", 0}, {"1.0.3.255", "CN", 0},
        {"1.0.4.0", "??", VG_GEO_NO_DB}, {"0.255.255.255", "??", VG_GEO_NO_DB},
        {"224.0.0.1", "??", VG_GEO_NO_DB}, {"2001:200::1", "JP", 1},
        {"2001:201::1", "??", VG_GEO_NO_DB}, {"1.0.0.7", "AU", 0},
    };
    for (size_t i = 0; i < VG_ARRAY_LEN(cases); i++) {
        vg_addr_t x;
        int v = addr_of(cases[i].ip, &x);
        vg_geo_t g;
        vg_attrib_geo(c, &x, v, &g);
        assert_string_equal(g.country, cases[i].cc);
        assert_int_equal(g.country_db, cases[i].db);
        assert_int_equal(g.asn, 0);
    }
    uint64_t hits, misses;
    vg_attrib_ctx_stats(c, &hits, &misses);
    assert_int_equal(hits, 2); /* 1.0.0.255 and 1.0.0.7 after 1.0.0.0: one cached /24 */
    vg_attrib_ctx_free(c);
    vg_attrib_free(a);
}

/* IPv6 written every way the range files (or a hand-made one) might: compressed, full with
 * leading zeros, upper case, "::" at either end, an embedded IPv4 tail, unsorted lines (the
 * loader sorts them); and text that is not an address is an error naming the line. */
static void test_tor_v6_forms(void **st)
{
    (void)st;
    const char *p6 = tmp_write(1, "2001:DB8:0000:0000:0000:0000:0000:0000,2001:0db8:0:0:0:0:ffff:ffff,NL\n"
                                  "::,::ff,AQ\n"
                                  "::ffff:10.0.0.0,::ffff:10.0.0.255,FR\n"
                                  "fe80::,fe80:0:0:0:ffff:ffff:ffff:ffff,DE\n"
                                  "1::,1:0:0:0:0:0:0:0,BR\n"
                                  "2001:db8:1::,2001:db8:1:0:ffff:ffff:ffff:ffff,IT\n");
    char err[256];
    vg_attrib_t *a = open1(p6, err, sizeof err);
    assert_non_null(a);
    const struct { const char *ip, *cc; } cases[] = {
        {"2001:db8::1", "NL"},          {"2001:db8::ffff:ffff", "NL"}, {"2001:db8::1:0:0", "??"},
        {"::7", "AQ"},                  {"::100", "??"},               {"::ffff:10.0.0.9", "FR"},
        {"fe80::1234", "DE"},           {"1::", "BR"},                 {"1::1", "??"},
        {"2001:db8:1::abcd", "IT"},
    };
    for (size_t i = 0; i < VG_ARRAY_LEN(cases); i++) {
        vg_geo_t g;
        geo(a, cases[i].ip, &g);
        if (strcmp(g.country, cases[i].cc) != 0)
            fail_msg("%s: got %s, want %s", cases[i].ip, g.country, cases[i].cc);
    }
    vg_attrib_free(a);
    static const char *const bad[] = {"1::2::3,1::2:4,NL\n", "1:2:3:4:5:6:7:8:9,1::,NL\n",
                                      "12345::,12345::1,NL\n", "1:2:3:4:5:6:7:,1::,NL\n",
                                      "g::,g::1,NL\n"};
    for (size_t i = 0; i < VG_ARRAY_LEN(bad); i++) {
        const char *p = tmp_write(1, bad[i]);
        assert_null(open1(p, err, sizeof err));
        assert_non_null(strstr(err, ":1: bad address"));
    }
}

static char cache_dir[64], cache_sub[96]; /* XDG_CACHE_HOME and its vigil/ folder */

/* The one cache file in cache_dir (its path in out); fails the test unless there is exactly one. */
static void only_cache_file(char *out, int n)
{
    DIR *d = opendir(cache_sub);
    assert_non_null(d);
    int found = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (!strncmp(e->d_name, "geo-", 4)) {
            snprintf(out, (size_t)n, "%.95s/%.200s", cache_sub, e->d_name);
            found++;
        }
    closedir(d);
    assert_int_equal(found, 1);
}

static void clear_cache(void)
{
    char p[512];
    DIR *d = opendir(cache_sub);
    struct dirent *e;
    while (d && (e = readdir(d)))
        if (!strncmp(e->d_name, "geo-", 4)) {
            snprintf(p, sizeof p, "%s/%s", cache_sub, e->d_name);
            unlink(p);
        }
    if (d)
        closedir(d);
}

static void expect_cc(const char *path, const char *ip, const char *cc, bool cached)
{
    char err[256];
    vg_attrib_t *a = open1(path, err, sizeof err);
    assert_non_null(a);
    vg_geo_t g;
    geo(a, ip, &g);
    assert_string_equal(g.country, cc);
    assert_int_equal(vg_attrib_db_cached(a, 0), cached);
    vg_attrib_free(a);
}

/* A parsed range file is kept in the cache (XDG_CACHE_HOME/vigil, here a temp folder) and read
 * from there next time; a damaged cache file is ignored (the text is parsed again), and a source
 * rewritten with other content of the same size gets a cache entry of its own. */
static void test_cache(void **st)
{
    (void)st;
    char cpath[512];
    clear_cache();
    const char *p = tmp_write(2, "16777216,16777471,AU\n");
    expect_cc(p, "1.0.0.1", "AU", false);
    only_cache_file(cpath, (int)sizeof cpath);
    expect_cc(p, "1.0.0.1", "AU", true); /* from the cache */
    /* damage one byte of the ranges: the checksum no longer matches, the text is used */
    FILE *f = fopen(cpath, "r+b");
    assert_non_null(f);
    fseek(f, -4, SEEK_END);
    fputc('Z', f);
    fclose(f);
    expect_cc(p, "1.0.0.1", "AU", false);
    expect_cc(p, "1.0.0.1", "AU", true); /* written again */
    /* same size, other content, written at once: a new key */
    p = tmp_write(2, "16777216,16777471,NZ\n");
    expect_cc(p, "1.0.0.1", "NZ", false);
    expect_cc(p, "1.0.0.1", "NZ", true);
    /* a truncated cache file is ignored too */
    clear_cache();
    expect_cc(p, "1.0.0.1", "NZ", false);
    only_cache_file(cpath, (int)sizeof cpath);
    assert_int_equal(truncate(cpath, 40), 0);
    expect_cc(p, "1.0.0.1", "NZ", false);
    /* entries pile up as files change: only the 8 most recently used are kept */
    clear_cache();
    for (int i = 0; i < 11; i++) {
        char text[64];
        snprintf(text, sizeof text, "%d,%d,AU\n", 16777216 + i * 256, 16777471 + i * 256);
        expect_cc(tmp_write(3, text), "1.0.0.1", i == 0 ? "AU" : "??", false);
    }
    int n = 0;
    DIR *d = opendir(cache_sub);
    assert_non_null(d);
    for (struct dirent *e; (e = readdir(d));)
        n += !strncmp(e->d_name, "geo-", 4);
    closedir(d);
    assert_int_equal(n, 8);
}

static void test_iptoasn(void **st)
{
    (void)st;
    const char *p = tmp_write(0, "1.0.0.0\t1.0.0.255\t13335\tUS\tCLOUDFLARENET\n"
                                 "1.0.1.0\t1.0.3.255\t0\tNone\tNot routed\n"
                                 "2001:db8::\t2001:db8::ffff\t64500\tDE\tExample AS\n");
    char err[256];
    vg_attrib_t *a = open1(p, err, sizeof err);
    assert_non_null(a);
    assert_string_equal(vg_attrib_db_type(a, 0), "iptoasn");
    vg_geo_t g;
    geo(a, "1.0.0.1", &g);
    assert_int_equal(g.asn, 13335);
    assert_string_equal(g.as_org, "CLOUDFLARENET");
    assert_string_equal(g.country, "US");
    geo(a, "1.0.2.1", &g); /* not routed: unknown, never a guess */
    assert_int_equal(g.asn, 0);
    assert_string_equal(g.country, "??");
    geo(a, "2001:db8::10", &g);
    assert_int_equal(g.asn, 64500);
    assert_string_equal(g.country, "DE");
    vg_attrib_free(a);
}

static void test_rir(void **st)
{
    (void)st;
    const char *p = tmp_write(0, "2|ripencc|20240501|5|19830705|20240430|+0100\n"
                                 "ripencc|*|ipv4|*|3|summary\n"
                                 "ripencc|DE|ipv4|2.160.0.0|1048576|20100712|allocated|x\n"
                                 "ripencc|FR|ipv4|5.39.0.0|768|20120326|assigned|y\n"
                                 "ripencc||ipv4|5.40.0.0|256||available|\n"
                                 "ripencc|NL|ipv6|2001:610::|32|19990819|allocated|z\n"
                                 "ripencc|EU|asn|1|1|19930901|allocated|w\n");
    char err[256];
    vg_attrib_t *a = open1(p, err, sizeof err);
    assert_non_null(a);
    assert_string_equal(vg_attrib_db_type(a, 0), "rir");
    assert_non_null(strstr(vg_attrib_db_label(a, 0), " 2024-05-01"));
    vg_geo_t g;
    geo(a, "2.175.255.255", &g);
    assert_string_equal(g.country, "DE");
    geo(a, "2.176.0.0", &g);
    assert_string_equal(g.country, "??");
    geo(a, "5.39.2.255", &g); /* 768 addresses: not a power of two */
    assert_string_equal(g.country, "FR");
    geo(a, "5.39.3.0", &g);
    assert_string_equal(g.country, "??");
    geo(a, "5.40.0.1", &g);
    assert_string_equal(g.country, "??");
    geo(a, "2001:610:ffff::1", &g);
    assert_string_equal(g.country, "NL");
    vg_attrib_free(a);
}

/* Country from one database, ASN from another; the first answering database wins per field. */
static void test_several(void **st)
{
    (void)st;
    const char *cc = tmp_write(0, "16777216,16777471,AU\n");
    const char *asn = tmp_write(1, "1.0.0.0\t1.0.0.255\t13335\tUS\tCLOUDFLARENET\n");
    const char *dbs[] = {cc, asn};
    vg_attrib_opts_t o = {.dbs = dbs, .n_dbs = 2};
    char err[256];
    vg_attrib_t *a = vg_attrib_new(&o, err, sizeof err);
    assert_non_null(a);
    vg_geo_t g;
    geo(a, "1.0.0.9", &g);
    assert_string_equal(g.country, "AU");
    assert_int_equal(g.country_db, 0);
    assert_int_equal(g.asn, 13335);
    assert_int_equal(g.asn_db, 1);
    vg_attrib_free(a);
}

static void expect_error(const char *text, const char *want)
{
    const char *p = tmp_write(2, text);
    char err[512] = "";
    vg_attrib_t *a = open1(p, err, sizeof err);
    assert_null(a);
    assert_non_null(strstr(err, p));
    if (!strstr(err, want))
        fail_msg("error '%s' lacks '%s'", err, want);
}

static void test_errors(void **st)
{
    (void)st;
    expect_error("16777216,16777471,AU\n16777472,xx\n", ":2: expected LOW,HIGH,CC");
    expect_error("16777216,16777471,AU\n16777300,16777400,CN\n", "overlaps");
    expect_error("# only comments\n", "no address ranges");
    expect_error("hello world\n", ":1: not a range file");
    expect_error("1.0.0.0\t1.0.0.x\t5\tUS\tX\n", ":1: bad address");
    expect_error("ripencc|DE|ipv4|2.160.0.0|0|20100712|allocated\n", ":1: bad start or value");
    char err[256];
    assert_null(open1("/nonexistent/geoip", err, sizeof err));
    assert_non_null(strstr(err, "/nonexistent/geoip"));
}

/* No configuration: the Debian tor-geoipdb files, when installed, answer countries. */
static void test_default_tor(void **st)
{
    (void)st;
    if (access("/usr/share/tor/geoip", R_OK) != 0)
        skip();
    vg_attrib_opts_t o = {0};
    char err[256];
    vg_attrib_t *a = vg_attrib_new(&o, err, sizeof err);
    assert_non_null(a);
    assert_true(vg_attrib_n_dbs(a) >= 1);
    vg_geo_t g;
    geo(a, "8.8.8.8", &g);
    assert_int_equal(strlen(g.country), 2);
    assert_string_not_equal(g.country, "??");
    geo(a, "10.1.2.3", &g);
    assert_string_equal(g.country, "??");
    vg_attrib_free(a);
}

int main(void)
{
    /* the range cache goes to a temp folder, not the user's ~/.cache */
    snprintf(cache_dir, sizeof cache_dir, "/tmp/vg_attrib_cache_XXXXXX");
    if (!mkdtemp(cache_dir))
        return 1;
    setenv("XDG_CACHE_HOME", cache_dir, 1);
    snprintf(cache_sub, sizeof cache_sub, "%s/vigil", cache_dir);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tor_v4_v6),
        cmocka_unit_test(test_tor_v6_forms), cmocka_unit_test(test_iptoasn),
        cmocka_unit_test(test_rir),       cmocka_unit_test(test_several),
        cmocka_unit_test(test_errors),    cmocka_unit_test(test_default_tor),
        cmocka_unit_test(test_cache),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    clear_cache();
    rmdir(cache_sub);
    rmdir(cache_dir);
    return rc;
}
