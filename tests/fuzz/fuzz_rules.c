/* fuzz_rules.c — the rule language front end: rule text through vg_ruleset_load_str, and the
 * classification.config and threshold.config readers.
 *
 * Input: [mode][text]. mode bit 0: the text up to the first NUL byte is read as a
 * classification.config first; bit 1: as a threshold.config (after the rules, as they refer to
 * rules by sid). The text after that NUL (or all of it) is read as a rules file. Every loaded
 * rule and diagnostic is then walked. PCRE2 JIT is off: compiling machine code for every regex
 * would cost most of the time and is PCRE2's code, not ours.
 */
#include "fuzz_common.h"

#include "detect/detect.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t mode = data[0];
    const char *text = (const char *)data + 1;
    size_t n = size - 1;
    const char *nul = (mode & 3) ? memchr(text, 0, n) : NULL;
    size_t conf_len = nul ? (size_t)(nul - text) : 0;
    char *conf = malloc(conf_len + 1);
    memcpy(conf, text, conf_len);
    conf[conf_len] = 0;
    size_t rules_off = nul ? conf_len + 1 : 0;
    char *rules = malloc(n - rules_off + 1);
    memcpy(rules, text + rules_off, n - rules_off);
    rules[n - rules_off] = 0;

    vg_ruleset_t *rs = vg_ruleset_new();
    vg_ruleset_set_pcre_jit(rs, false);
    int bad = 0;
    if (mode & 1)
        vg_ruleset_load_classification_str(rs, conf, &bad);
    vg_ruleset_load_str(rs, rules, "fuzz.rules");
    if (mode & 2)
        vg_ruleset_load_threshold_str(rs, conf, &bad);
    for (uint32_t i = 0; i < vg_ruleset_count(rs); i++) {
        const vg_rule_t *r = vg_ruleset_rule(rs, i);
        (void)vg_ruleset_threshold(rs, r);
        (void)vg_detect_should_alert(r);
    }
    for (uint32_t i = 0; i < vg_ruleset_n_diags(rs); i++) {
        const vg_rule_diag_t *dg = vg_ruleset_diag(rs, i);
        if (dg->reason)
            fz_touch(dg->reason, strlen(dg->reason));
        if (dg->detail)
            fz_touch(dg->detail, strlen(dg->detail));
    }
    for (uint32_t i = 0; i < vg_ruleset_n_flowbits(rs); i++)
        (void)vg_ruleset_flowbit_name(rs, i);
    vg_ruleset_free(rs);
    free(conf);
    free(rules);
    return 0;
}
