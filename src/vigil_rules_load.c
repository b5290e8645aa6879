/* vigil_rules_load.c — building the signature engine for `vigil read` from the command line and
 * configuration: which rule files, variables, classification and threshold files, and how the
 * result is reported. */
#include "vigil_rules_load.h"

#include "common/common.h"
#include "common/log.h"
#include "detect/detect_engine.h"

#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef VG_RULES_DIR
#define VG_RULES_DIR "rules"
#endif

static bool readable(const char *p) { return access(p, R_OK) == 0; }

/* classification.config: the configured one, else the one beside the first rule file, else the
 * one shipped with Vigil. */
static void classification_path(const vg_config_t *cfg, const char *first_rule, char *out,
                                size_t n)
{
    const char *c = vg_config_str(cfg, "classification-file");
    if (c) {
        snprintf(out, n, "%s", c);
        return;
    }
    if (first_rule) {
        char tmp[4096];
        snprintf(tmp, sizeof tmp, "%s", first_rule);
        snprintf(out, n, "%s/classification.config", dirname(tmp));
        if (readable(out))
            return;
    }
    snprintf(out, n, "%s/classification.config", VG_RULES_DIR);
}

static void cache_dir(const vg_config_t *cfg, char *out, size_t n)
{
    const char *c = vg_config_str(cfg, "detect.cache-dir");
    if (c) {
        snprintf(out, n, "%s", c);
        return;
    }
    const char *x = getenv("XDG_CACHE_HOME"), *h = getenv("HOME");
    if (x && *x)
        snprintf(out, n, "%s/vigil", x);
    else if (h && *h)
        snprintf(out, n, "%s/.cache/vigil", h);
    else
        out[0] = '\0';
}

static void report(const vg_ruleset_t *rs, size_t n_files)
{
    uint32_t n = vg_ruleset_count(rs), failed = vg_ruleset_n_failed(rs),
             skipped = vg_ruleset_n_skipped(rs);
    vg_log(VG_LOG_INFO, "rules: %u loaded, %u failed, %u skipped from %zu file(s)%s", n, failed,
           skipped, n_files, failed + skipped ? " (`vigil rules check FILE` lists every reason)" : "");
    uint32_t shown = 0;
    for (uint32_t i = 0; i < vg_ruleset_n_diags(rs) && shown < 10; i++) {
        const vg_rule_diag_t *d = vg_ruleset_diag(rs, i);
        if (d->kind != VG_DIAG_FAILED)
            continue;
        vg_log(VG_LOG_WARN, "%s:%u:%u: %s", d->file, d->line, d->col, d->detail ? d->detail : d->reason);
        shown++;
    }
}

int vigil_rules_build(const vg_config_t *cfg, const char *const *files, size_t n_files,
                      struct vg_detect_engine **out)
{
    *out = NULL;
    if (!vg_config_bool(cfg, "detect.enabled"))
        return 0;
    char deflt[4096];
    const char *one[1];
    if (n_files == 0) {
        snprintf(deflt, sizeof deflt, "%s/vigil.rules", VG_RULES_DIR);
        if (!readable(deflt)) {
            vg_log(VG_LOG_WARN, "no rule files given and the default %s is missing: "
                                "signature matching is off", deflt);
            return 0;
        }
        one[0] = deflt;
        files = one;
        n_files = 1;
    }
    vg_ruleset_t *rs = vg_ruleset_new();
    const char *names[256], *values[256];
    for (int kind = 0; kind < 2; kind++) {
        size_t n = vg_config_vars(cfg, kind, names, values, 256);
        for (size_t i = 0; i < n && i < 256; i++)
            if (vg_ruleset_set_var(rs, names[i], values[i]) != 0)
                vg_log(VG_LOG_WARN, "variable %s: invalid name, ignored", names[i]);
    }
    char path[4096], err[512];
    classification_path(cfg, files[0], path, sizeof path);
    if (readable(path) && vg_ruleset_load_classification(rs, path, NULL, err, sizeof err) < 0)
        vg_log(VG_LOG_WARN, "%s", err);
    const char *thr = vg_config_str(cfg, "threshold-file");
    if (thr && vg_ruleset_load_threshold_config(rs, thr, NULL, err, sizeof err) < 0) {
        vg_log(VG_LOG_ERROR, "%s", err);
        vg_ruleset_free(rs);
        return -1;
    }
    for (size_t i = 0; i < n_files; i++) {
        uint32_t before = vg_ruleset_count(rs), diags = vg_ruleset_n_diags(rs);
        if (vg_ruleset_load_file(rs, files[i], err, sizeof err) < 0) {
            vg_log(VG_LOG_ERROR, "%s", err);
            vg_ruleset_free(rs);
            return -1;
        }
        uint32_t rejected = vg_ruleset_n_diags(rs) - diags;
        if (vg_ruleset_count(rs) == before && rejected == 0) {
            /* only comments (rule sets ship files whose rules are all disabled) */
            vg_log(VG_LOG_WARN, "%s: no active rule in this file", files[i]);
        } else if (vg_ruleset_count(rs) == before) {
            vg_log(VG_LOG_ERROR, "%s: no rule could be loaded (%u rejected)", files[i], rejected);
            report(rs, n_files);
            vg_ruleset_free(rs);
            return -1;
        }
    }
    report(rs, n_files);
    char cdir[4096];
    cache_dir(cfg, cdir, sizeof cdir);
    *out = vg_detect_engine_new(rs, cdir[0] ? cdir : NULL);
    return 0;
}
