/* vigil_rules.c — `vigil rules check FILE... [--json] [--var NAME=VALUE] [--classification FILE]
 * [--threshold FILE]`: load rule files exactly as the engine would (parse, resolve variables,
 * compile every pcre with PCRE2), then report how many rules loaded, failed or were skipped, with
 * the reasons grouped. Exit status: 0 when every file was read and at least one rule loaded,
 * 1 otherwise, 2 on usage errors.
 */
#include "common/buf.h"
#include "common/json.h"
#include "detect/detect.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* src/vigil_live.c; weak so that this file also builds alone (tests/detect). */
__attribute__((weak)) int vigil_rules_reload_main(int argc, char **argv);

static void usage(FILE *f)
{
    fprintf(f, "usage: vigil rules check FILE... [--json] [--var NAME=VALUE]...\n"
               "                         [--classification FILE] [--threshold FILE] [--no-jit]\n"
               "       vigil rules reload [-l LOGDIR | --socket PATH]   (a running `vigil live`)\n");
}

typedef struct reason_count {
    const char *reason;
    int kind;
    uint32_t count;
    uint32_t first; /* index of the first diagnostic */
} reason_count_t;

static int cmp_reason(const void *a, const void *b)
{
    const reason_count_t *x = a, *y = b;
    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    return strcmp(x->reason, y->reason);
}

/* Reasons are interned, so pointer equality groups them. */
static reason_count_t *group_reasons(const vg_ruleset_t *rs, uint32_t *n_out)
{
    uint32_t nd = vg_ruleset_n_diags(rs), n = 0;
    reason_count_t *g = calloc(nd ? nd : 1, sizeof(*g));
    for (uint32_t i = 0; i < nd; i++) {
        const vg_rule_diag_t *d = vg_ruleset_diag(rs, i);
        uint32_t k;
        for (k = 0; k < n; k++)
            if (g[k].reason == d->reason && g[k].kind == d->kind)
                break;
        if (k == n) {
            g[n].reason = d->reason;
            g[n].kind = d->kind;
            g[n].first = i;
            n++;
        }
        g[k].count++;
    }
    qsort(g, n, sizeof(*g), cmp_reason);
    *n_out = n;
    return g;
}

static const char *kind_name(int kind) { return kind == VG_DIAG_SKIPPED ? "skipped" : "failed"; }

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

typedef struct file_stat {
    const char *path;
    int loaded; /* -1: unreadable */
    char err[256];
} file_stat_t;

static void print_text(const vg_ruleset_t *rs, const file_stat_t *fs, int nf, double secs)
{
    uint32_t loaded = vg_ruleset_count(rs), failed = vg_ruleset_n_failed(rs),
             skipped = vg_ruleset_n_skipped(rs), total = loaded + failed + skipped;
    for (int i = 0; i < nf; i++)
        if (fs[i].loaded < 0)
            printf("error: %s\n", fs[i].err);
    printf("%u rules in %d file(s): %u loaded, %u failed, %u skipped (%.2f%% loaded) in %.3f s\n",
           total, nf, loaded, failed, skipped, total ? 100.0 * loaded / total : 0.0, secs);
    uint32_t ng;
    reason_count_t *g = group_reasons(rs, &ng);
    if (ng)
        printf("\nby reason:\n");
    for (uint32_t i = 0; i < ng; i++) {
        const vg_rule_diag_t *d = vg_ruleset_diag(rs, g[i].first);
        printf("  %6u  %-7s  %s  (e.g. %s:%u sid %u)\n", g[i].count, kind_name(g[i].kind),
               g[i].reason, d->file, d->line, d->sid);
    }
    free(g);
    if (failed) {
        printf("\nfailed rules:\n");
        for (uint32_t i = 0; i < vg_ruleset_n_diags(rs); i++) {
            const vg_rule_diag_t *d = vg_ruleset_diag(rs, i);
            if (d->kind != VG_DIAG_FAILED)
                continue;
            printf("  %s:%u:%u: sid %u: %s\n", d->file, d->line, d->col, d->sid, d->detail);
        }
    }
}

static void json_diag(vg_jw_t *w, const vg_rule_diag_t *d)
{
    vg_jw_obj_open(w);
    vg_jw_kv_str(w, "file", d->file);
    vg_jw_kv_uint(w, "line", d->line);
    if (d->col)
        vg_jw_kv_uint(w, "col", d->col);
    vg_jw_kv_uint(w, "sid", d->sid);
    vg_jw_kv_str(w, "status", kind_name(d->kind));
    vg_jw_kv_str(w, "reason", d->reason);
    vg_jw_kv_str(w, "detail", d->detail);
    vg_jw_obj_close(w);
}

static int file_index(const file_stat_t *fs, int nf, const char *path)
{
    for (int i = 0; i < nf; i++)
        if (strcmp(fs[i].path, path) == 0)
            return i;
    return nf;
}

static void print_json(const vg_ruleset_t *rs, const file_stat_t *fs, int nf, double secs)
{
    vg_buf_t b;
    vg_buf_init(&b, 1 << 16);
    vg_jw_t w;
    vg_jw_init(&w, &b);
    uint32_t loaded = vg_ruleset_count(rs), failed = vg_ruleset_n_failed(rs),
             skipped = vg_ruleset_n_skipped(rs);
    vg_jw_obj_open(&w);
    vg_jw_key(&w, "files");
    vg_jw_arr_open(&w);
    for (int i = 0; i < nf; i++) {
        vg_jw_obj_open(&w);
        vg_jw_kv_str(&w, "path", fs[i].path);
        if (fs[i].loaded < 0)
            vg_jw_kv_str(&w, "error", fs[i].err);
        else
            vg_jw_kv_uint(&w, "loaded", (uint64_t)fs[i].loaded);
        vg_jw_obj_close(&w);
    }
    vg_jw_arr_close(&w);
    vg_jw_kv_uint(&w, "total", loaded + failed + skipped);
    vg_jw_kv_uint(&w, "loaded", loaded);
    vg_jw_kv_uint(&w, "failed", failed);
    vg_jw_kv_uint(&w, "skipped", skipped);
    vg_jw_key(&w, "seconds");
    vg_jw_double(&w, secs);
    uint32_t ng;
    reason_count_t *g = group_reasons(rs, &ng);
    vg_jw_key(&w, "reasons");
    vg_jw_arr_open(&w);
    for (uint32_t i = 0; i < ng; i++) {
        vg_jw_obj_open(&w);
        vg_jw_kv_str(&w, "reason", g[i].reason);
        vg_jw_kv_str(&w, "status", kind_name(g[i].kind));
        vg_jw_kv_uint(&w, "count", g[i].count);
        vg_jw_obj_close(&w);
    }
    vg_jw_arr_close(&w);
    free(g);
    /* per-rule list in file/line order: merge the loaded rules with the diagnostics */
    vg_jw_key(&w, "rules");
    vg_jw_arr_open(&w);
    uint32_t ri = 0, di = 0, nd = vg_ruleset_n_diags(rs);
    while (ri < loaded || di < nd) {
        const vg_rule_t *r = ri < loaded ? vg_ruleset_rule(rs, ri) : NULL;
        const vg_rule_diag_t *d = di < nd ? vg_ruleset_diag(rs, di) : NULL;
        bool take_rule = r && (!d || file_index(fs, nf, r->file) < file_index(fs, nf, d->file) ||
                               (strcmp(r->file, d->file) == 0 && r->line < d->line));
        if (take_rule) {
            vg_jw_obj_open(&w);
            vg_jw_kv_str(&w, "file", r->file);
            vg_jw_kv_uint(&w, "line", r->line);
            vg_jw_kv_uint(&w, "sid", r->sid);
            vg_jw_kv_str(&w, "status", "loaded");
            vg_jw_obj_close(&w);
            ri++;
        } else {
            json_diag(&w, d);
            di++;
        }
        if (b.len > (1u << 20)) {
            fwrite(b.data, 1, b.len, stdout);
            vg_buf_reset(&b);
        }
    }
    vg_jw_arr_close(&w);
    vg_jw_obj_close(&w);
    vg_buf_putc(&b, '\n');
    fwrite(b.data, 1, b.len, stdout);
    vg_buf_fini(&b);
}

static bool file_exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

static int rules_check(int argc, char **argv)
{
    bool json = false;
    const char *class_path = NULL, *thr_path = NULL;
    vg_ruleset_t *rs = vg_ruleset_new();
    file_stat_t *fs = calloc((size_t)argc, sizeof(*fs));
    int nf = 0, rc = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--json") == 0) {
            json = true;
        } else if (strcmp(a, "--no-jit") == 0) {
            vg_ruleset_set_pcre_jit(rs, false);
        } else if ((strcmp(a, "--var") == 0 || strcmp(a, "--classification") == 0 ||
                    strcmp(a, "--threshold") == 0) && i + 1 < argc) {
            const char *v = argv[++i];
            if (a[2] == 'v') {
                if (vg_ruleset_set_var_assign(rs, v) != 0) {
                    fprintf(stderr, "vigil rules: invalid --var '%s' (want NAME=VALUE)\n", v);
                    rc = 2;
                }
            } else if (a[2] == 'c') {
                class_path = v;
            } else {
                thr_path = v;
            }
        } else if (strncmp(a, "--var=", 6) == 0) {
            if (vg_ruleset_set_var_assign(rs, a + 6) != 0) {
                fprintf(stderr, "vigil rules: invalid --var '%s'\n", a + 6);
                rc = 2;
            }
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "vigil rules: unknown option '%s'\n", a);
            rc = 2;
        } else {
            fs[nf++].path = a;
        }
    }
    if (rc == 0 && nf == 0) {
        usage(stderr);
        rc = 2;
    }
    if (rc) {
        free(fs);
        vg_ruleset_free(rs);
        return rc;
    }
    char err[256], def_class[4096];
    if (!class_path) {
        const char *slash = strrchr(fs[0].path, '/');
        int dl = slash ? (int)(slash - fs[0].path) : 1;
        snprintf(def_class, sizeof(def_class), "%.*s/classification.config", dl,
                 slash ? fs[0].path : ".");
        if (file_exists(def_class))
            class_path = def_class;
    }
    if (class_path) {
        int bad = 0;
        if (vg_ruleset_load_classification(rs, class_path, &bad, err, sizeof(err)) < 0) {
            fprintf(stderr, "vigil rules: %s\n", err);
            rc = 1;
        } else if (bad) {
            fprintf(stderr, "vigil rules: %s: %d malformed line(s)\n", class_path, bad);
        }
    }
    if (thr_path) {
        int bad = 0;
        if (vg_ruleset_load_threshold_config(rs, thr_path, &bad, err, sizeof(err)) < 0) {
            fprintf(stderr, "vigil rules: %s\n", err);
            rc = 1;
        } else if (bad) {
            fprintf(stderr, "vigil rules: %s: %d unsupported or malformed line(s)\n", thr_path,
                    bad);
        }
    }
    double t0 = now_s();
    for (int i = 0; i < nf; i++) {
        fs[i].loaded = vg_ruleset_load_file(rs, fs[i].path, fs[i].err, sizeof(fs[i].err));
        if (fs[i].loaded < 0)
            rc = 1;
    }
    double secs = now_s() - t0;
    if (json)
        print_json(rs, fs, nf, secs);
    else
        print_text(rs, fs, nf, secs);
    if (vg_ruleset_count(rs) == 0)
        rc = 1;
    free(fs);
    vg_ruleset_free(rs);
    return rc;
}

int vigil_rules_main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "check") == 0)
        return rules_check(argc - 2, argv + 2);
    if (strcmp(argv[1], "reload") == 0 && vigil_rules_reload_main) /* src/vigil_live.c */
        return vigil_rules_reload_main(argc - 1, argv + 1);
    fprintf(stderr, "vigil rules: unknown subcommand '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
