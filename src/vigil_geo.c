/* vigil_geo.c — `vigil geo [-c CONFIG] [--db FILE]... [--json] ADDRESS...`: what the geo
 * databases say about each address (country, registered country, ASN, organisation, city), and
 * which database and build answered. With --db the given files are used (in order, first answer
 * per field wins); otherwise attribution.databases from the config, else the Debian tor-geoipdb
 * files. Exit status 0, 1 when an address does not parse, 2 when a database cannot be opened.
 */
#include "attrib/attrib.h"
#include "common/buf.h"
#include "common/config.h"
#include "common/json.h"

#include <arpa/inet.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
    fprintf(f, "usage: vigil geo [-c CONFIG] [--set KEY=VALUE]... [--db FILE]... [--json] "
               "ADDRESS...\n"
               "  -c CONFIG        YAML configuration (attribution.databases)\n"
               "      --set KEY=VALUE  set a configuration key\n"
               "      --db FILE    a database (.mmdb, tor geoip, iptoasn TSV, RIR delegated); "
               "repeatable\n"
               "      --json       one JSON object per address\n");
}

static int parse_addr(const char *s, vg_addr_t *a, int *ver)
{
    memset(a, 0, sizeof *a);
    if (inet_pton(AF_INET, s, a->b) == 1) {
        *ver = 4;
        return 0;
    }
    if (inet_pton(AF_INET6, s, a->b) == 1) {
        *ver = 6;
        return 0;
    }
    return -1;
}

static const char *db_label(const vg_attrib_t *a, uint8_t i)
{
    return i == VG_GEO_NO_DB ? "-" : vg_attrib_db_label(a, i);
}

static void print_text(const vg_attrib_t *a, const char *addr, const vg_geo_t *g)
{
    printf("%s\n", addr);
    printf("  country     %s", g->country);
    if (strcmp(g->reg_country, "??") != 0)
        printf(" (registered %s)", g->reg_country);
    printf("    [%s]\n", db_label(a, g->country_db));
    if (g->asn)
        printf("  asn         AS%u %s    [%s]\n", g->asn, g->as_org, db_label(a, g->asn_db));
    else
        printf("  asn         ??\n");
    if (g->city[0])
        printf("  city        %s    [%s]\n", g->city, db_label(a, g->city_db));
}

static void print_json(const vg_attrib_t *a, const char *addr, const vg_geo_t *g)
{
    vg_buf_t b;
    vg_buf_init(&b, 512);
    vg_jw_t w;
    vg_jw_init(&w, &b);
    vg_jw_obj_open(&w);
    vg_jw_kv_str(&w, "ip", addr);
    vg_attrib_json_geo(&w, g);
    const char *keys[] = {"country_db", "asn_db", "city_db"};
    const uint8_t idx[] = {g->country_db, g->asn_db, g->city_db};
    for (int i = 0; i < 3; i++)
        if (idx[i] != VG_GEO_NO_DB)
            vg_jw_kv_str(&w, keys[i], vg_attrib_db_label(a, idx[i]));
    vg_jw_obj_close(&w);
    printf("%.*s\n", (int)b.len, b.data);
    vg_buf_fini(&b);
}

static int set_kv(vg_config_t *cfg, const char *kv)
{
    char key[256], err[512];
    const char *eq = strchr(kv, '=');
    if (!eq || (size_t)(eq - kv) >= sizeof key) {
        fprintf(stderr, "vigil geo: invalid --set '%s' (want KEY=VALUE)\n", kv);
        return -1;
    }
    memcpy(key, kv, (size_t)(eq - kv));
    key[eq - kv] = 0;
    if (vg_config_set(cfg, key, eq + 1, err, sizeof err)) {
        fprintf(stderr, "vigil geo: %s\n", err);
        return -1;
    }
    return 0;
}

static vg_attrib_t *open_attrib(const char *config, char **sets, int n_sets, const char **dbs,
                                int n_dbs)
{
    char err[1024];
    vg_config_t *cfg = vg_config_new();
    vg_attrib_t *a = NULL;
    if (config && vg_config_load_yaml(cfg, config, err, sizeof err)) {
        fprintf(stderr, "vigil geo: %s\n", err);
        goto out;
    }
    for (int i = 0; i < n_sets; i++)
        if (set_kv(cfg, sets[i]))
            goto out;
    if (n_dbs) {
        vg_attrib_opts_t o = {.dbs = dbs, .n_dbs = (size_t)n_dbs,
                              .verify_dbs = vg_config_bool(cfg, "attribution.verify-databases"),
                              .cache_entries = 16};
        a = vg_attrib_new(&o, err, sizeof err);
    } else {
        a = vg_attrib_new_config(cfg, err, sizeof err);
    }
    if (!a)
        fprintf(stderr, "vigil geo: %s\n", err);
out:
    vg_config_free(cfg);
    return a;
}

int vigil_geo_main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"db", required_argument, NULL, 'd'}, {"json", no_argument, NULL, 'j'},
        {"set", required_argument, NULL, 's'}, {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *config = NULL;
    const char **dbs = calloc((size_t)argc, sizeof *dbs);
    char **sets = calloc((size_t)argc, sizeof *sets);
    int n_dbs = 0, n_sets = 0, c, rc = 0;
    bool json = false;
    optind = 1;
    while ((c = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'c': config = optarg; break;
        case 'd': dbs[n_dbs++] = optarg; break;
        case 's': sets[n_sets++] = optarg; break;
        case 'j': json = true; break;
        case 'h': usage(stdout); goto done;
        default: usage(stderr); rc = 2; goto done;
        }
    }
    if (optind >= argc) {
        usage(stderr);
        rc = 2;
        goto done;
    }
    vg_attrib_t *a = open_attrib(config, sets, n_sets, dbs, n_dbs);
    if (!a) {
        rc = 2;
        goto done;
    }
    if (!json && vg_attrib_n_dbs(a) == 0)
        fprintf(stderr, "vigil geo: no geo database configured or installed\n");
    vg_attrib_ctx_t *ctx = vg_attrib_ctx_new(a);
    for (int i = optind; i < argc; i++) {
        vg_addr_t ip;
        int ver;
        if (parse_addr(argv[i], &ip, &ver)) {
            fprintf(stderr, "vigil geo: '%s' is not an IP address\n", argv[i]);
            rc = 1;
            continue;
        }
        vg_geo_t g;
        vg_attrib_geo(ctx, &ip, ver, &g);
        if (json)
            print_json(a, argv[i], &g);
        else
            print_text(a, argv[i], &g);
    }
    vg_attrib_ctx_free(ctx);
    vg_attrib_free(a);
done:
    free(dbs);
    free(sets);
    return rc;
}
