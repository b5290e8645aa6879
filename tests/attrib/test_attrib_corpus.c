/* test_attrib_corpus.c — lookups against the MaxMind test databases
 * (../shared/corpus/geo/maxmind-test) must return exactly what the JSON source beside each
 * database says, for the first and last address of every network in it (IPv6, and IPv4 both as
 * IPv4 addresses and where the source writes them as ::a.b.c.d). The deliberately broken
 * databases must fail to open with an error naming the file.
 *
 * Usage: test_attrib_corpus DIR. Exit 77 (skipped) when DIR does not exist. The corpus is read
 * in place, never copied into the project.
 */
#include "attrib/attrib.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct net {
    int ver;
    uint8_t addr[16];
    unsigned plen;
    json_t *rec;
} net_t;

static int n_fail, n_checked;

static const char *jstr(json_t *rec, const char *a, const char *b, const char *c)
{
    json_t *v = json_object_get(rec, a);
    if (b)
        v = json_object_get(v, b);
    if (c)
        v = json_object_get(v, c);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static size_t load_nets(const char *path, net_t **out)
{
    json_error_t je;
    json_t *root = json_load_file(path, 0, &je);
    if (!root) {
        fprintf(stderr, "%s: %s\n", path, je.text);
        exit(1);
    }
    size_t n = json_array_size(root);
    net_t *nets = calloc(n, sizeof *nets);
    for (size_t i = 0; i < n; i++) {
        const char *key;
        json_t *val;
        json_object_foreach(json_array_get(root, i), key, val) {
            char buf[64];
            snprintf(buf, sizeof buf, "%s", key);
            char *slash = strchr(buf, '/');
            *slash = 0;
            nets[i].plen = (unsigned)atoi(slash + 1);
            nets[i].ver = strchr(buf, ':') ? 6 : 4;
            inet_pton(nets[i].ver == 4 ? AF_INET : AF_INET6, buf, nets[i].addr);
            nets[i].rec = json_incref(val);
        }
    }
    json_decref(root);
    *out = nets;
    return n;
}

static bool contains(const net_t *n, int ver, const uint8_t *a)
{
    if (n->ver != ver)
        return false;
    for (unsigned bit = 0; bit < n->plen; bit++) {
        uint8_t m = (uint8_t)(0x80u >> (bit % 8));
        if ((n->addr[bit / 8] & m) != (a[bit / 8] & m))
            return false;
    }
    return true;
}

/* The source's record for an address: the longest network containing it. */
static json_t *expected(const net_t *nets, size_t n, int ver, const uint8_t *a)
{
    const net_t *best = NULL;
    for (size_t i = 0; i < n; i++)
        if (contains(&nets[i], ver, a) && (!best || nets[i].plen > best->plen))
            best = &nets[i];
    return best ? best->rec : NULL;
}

static void check_str(const char *what, const char *db, const char *ip, const char *got,
                      const char *want, size_t cap)
{
    char w[256];
    snprintf(w, sizeof w, "%s", want);
    if (strlen(w) >= cap) /* our copy is truncated on a UTF-8 boundary */
        w[strlen(got)] = 0;
    if (strcmp(got, w)) {
        fprintf(stderr, "FAIL %s %s %s: got '%s', source says '%s'\n", db, ip, what, got, w);
        n_fail++;
    }
}

static void check_one(vg_attrib_ctx_t *ctx, const char *db, const net_t *nets, size_t n, int ver,
                      const uint8_t *a)
{
    json_t *rec = expected(nets, n, ver, a);
    vg_addr_t x = {0};
    memcpy(x.b, a, ver == 4 ? 4 : 16);
    char ip[64];
    inet_ntop(ver == 4 ? AF_INET : AF_INET6, a, ip, sizeof ip);
    vg_geo_t g;
    vg_attrib_geo(ctx, &x, ver, &g);
    n_checked++;
    const char *cc = jstr(rec, "country", "iso_code", NULL);
    const char *reg = jstr(rec, "registered_country", "iso_code", NULL);
    const char *org = jstr(rec, "autonomous_system_organization", NULL, NULL);
    const char *city = jstr(rec, "city", "names", "en");
    json_t *asn = json_object_get(rec, "autonomous_system_number");
    check_str("country", db, ip, g.country, cc ? cc : "??", sizeof g.country);
    check_str("registered_country", db, ip, g.reg_country, reg ? reg : "??", sizeof g.reg_country);
    check_str("city", db, ip, g.city, city ? city : "", sizeof g.city);
    uint32_t want_asn = json_is_integer(asn) ? (uint32_t)json_integer_value(asn) : 0;
    if (g.asn != want_asn) {
        fprintf(stderr, "FAIL %s %s asn: got %u, source says %u\n", db, ip, g.asn, want_asn);
        n_fail++;
    }
    check_str("as_org", db, ip, g.as_org, want_asn && org ? org : "", sizeof g.as_org);
}

static void last_of(const net_t *nt, uint8_t out[16])
{
    unsigned nbits = nt->ver == 4 ? 32 : 128;
    memcpy(out, nt->addr, 16);
    for (unsigned bit = nt->plen; bit < nbits; bit++)
        out[bit / 8] |= (uint8_t)(0x80u >> (bit % 8));
}

/* ::a.b.c.d (IPv4 inside an IPv6 tree): also look it up as the IPv4 address a.b.c.d. */
static void check_as_v4(vg_attrib_ctx_t *ctx, const char *db, const net_t *nets, size_t n,
                        const uint8_t a6[16])
{
    static const uint8_t zero[12] = {0};
    if (memcmp(a6, zero, 12) || (a6[12] == 0 && a6[13] == 0))
        return;
    json_t *rec6 = expected(nets, n, 6, a6);
    /* the IPv4 lookup must equal the source's record for ::a.b.c.d; reuse check_one by
     * building a pseudo list with that record */
    net_t one = {.ver = 4, .plen = 0, .rec = rec6};
    check_one(ctx, db, &one, rec6 ? 1 : 0, 4, a6 + 12);
}

static void check_db(const char *dir, const char *name, const char *json_name)
{
    char path[1024], jpath[1024], err[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    snprintf(jpath, sizeof jpath, "%s/%s", dir, json_name);
    const char *dbs[] = {path};
    vg_attrib_opts_t o = {.dbs = dbs, .n_dbs = 1, .verify_dbs = true, .cache_entries = 16};
    vg_attrib_t *a = vg_attrib_new(&o, err, sizeof err);
    if (!a) {
        fprintf(stderr, "FAIL %s: %s\n", name, err);
        n_fail++;
        return;
    }
    net_t *nets;
    size_t n = load_nets(jpath, &nets);
    vg_attrib_ctx_t *ctx = vg_attrib_ctx_new(a);
    int before = n_checked;
    for (size_t i = 0; i < n; i++) {
        uint8_t last[16];
        last_of(&nets[i], last);
        check_one(ctx, name, nets, n, nets[i].ver, nets[i].addr);
        check_one(ctx, name, nets, n, nets[i].ver, last);
        if (nets[i].ver == 6) {
            check_as_v4(ctx, name, nets, n, nets[i].addr);
            check_as_v4(ctx, name, nets, n, last);
        }
    }
    printf("%s: %zu networks, %d lookups\n", name, n, n_checked - before);
    vg_attrib_ctx_free(ctx);
    vg_attrib_free(a);
    for (size_t i = 0; i < n; i++)
        json_decref(nets[i].rec);
    free(nets);
}

static void check_broken(const char *dir, const char *name)
{
    char path[1024], err[1024] = "";
    snprintf(path, sizeof path, "%s/%s", dir, name);
    const char *dbs[] = {path};
    vg_attrib_opts_t o = {.dbs = dbs, .n_dbs = 1, .verify_dbs = true};
    vg_attrib_t *a = vg_attrib_new(&o, err, sizeof err);
    if (a || !strstr(err, name)) {
        fprintf(stderr, "FAIL %s: expected an error naming the file, got '%s'\n", name, err);
        n_fail++;
        vg_attrib_free(a);
        return;
    }
    printf("%s: %s\n", name, err);
}

int main(int argc, char **argv)
{
    struct stat st;
    if (argc < 2 || stat(argv[1], &st) != 0) {
        printf("corpus not found; skipped\n");
        return 77;
    }
    const char *dir = argv[1];
    static const char *const good[][2] = {
        {"GeoIP2-Country-Test.mmdb", "GeoIP2-Country-Test.json"},
        {"GeoLite2-Country-Test.mmdb", "GeoLite2-Country-Test.json"},
        {"GeoLite2-ASN-Test.mmdb", "GeoLite2-ASN-Test.json"},
        {"GeoIP2-City-Test.mmdb", "GeoIP2-City-Test.json"},
        {"GeoLite2-City-Test.mmdb", "GeoLite2-City-Test.json"},
        {"GeoIP2-ISP-Test.mmdb", "GeoIP2-ISP-Test.json"},
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        check_db(dir, good[i][0], good[i][1]);
    static const char *const broken[] = {
        "GeoIP2-City-Test-Broken-Double-Format.mmdb", "GeoIP2-City-Test-Invalid-Node-Count.mmdb",
        "MaxMind-DB-test-broken-pointers-24.mmdb", "MaxMind-DB-test-broken-search-tree-24.mmdb",
    };
    for (size_t i = 0; i < sizeof broken / sizeof broken[0]; i++)
        check_broken(dir, broken[i]);
    printf("%d lookups checked, %d failures\n", n_checked, n_fail);
    return n_fail ? 1 : 0;
}
