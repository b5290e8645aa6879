/* detect_fixture.h — the rule-and-evaluate fixture the detect unit tests share: one ruleset and
 * one detection thread per test (cmocka setup/teardown), rules added with fresh sids, and the
 * reference evaluator run on one buffer. Include after <cmocka.h>; header-only (each test is
 * its own program). */
#ifndef VG_TEST_DETECT_FIXTURE_H
#define VG_TEST_DETECT_FIXTURE_H

#include "detect/detect.h"

#include <stdio.h>
#include <string.h>

static vg_ruleset_t *rs;
static vg_detect_thread_t *th;

static inline void dfx_open(void)
{
    rs = vg_ruleset_new();
    th = vg_detect_thread_new();
}

static inline void dfx_close(void)
{
    vg_detect_thread_free(th);
    vg_ruleset_free(rs);
}

/* A test file with more per-test state defines DFX_OWN_SETUP and its own setup/teardown around
 * dfx_open()/dfx_close(). */
#ifndef DFX_OWN_SETUP
static int setup(void **st)
{
    (void)st;
    dfx_open();
    return 0;
}

static int teardown(void **st)
{
    (void)st;
    dfx_close();
    return 0;
}
#endif

static inline const vg_rule_diag_t *last_diag(void)
{
    return vg_ruleset_diag(rs, vg_ruleset_n_diags(rs) - 1);
}

/* "alert HDR any any -> any any (OPTS sid:N;)" with the next free sid; NULL when it did not load
 * (last_diag() says why). */
static inline const vg_rule_t *try_rule(const char *hdr, const char *opts)
{
    char txt[2048];
    snprintf(txt, sizeof(txt), "alert %s any any -> any any (%s sid:%u;)", hdr, opts,
             vg_ruleset_count(rs) + vg_ruleset_n_diags(rs) + 1);
    return vg_ruleset_add_rule(rs, txt, "t", 1);
}

/* A tcp rule that must load. */
static inline const vg_rule_t *rule(const char *opts)
{
    const vg_rule_t *r = try_rule("tcp", opts);
    if (!r)
        fail_msg("rule did not load: %s: %s", opts, last_diag()->detail);
    return r;
}

/* Evaluates r on buffer b holding n bytes of data, nothing else set (no packet header). */
static inline bool on_buf_n(const vg_rule_t *r, int b, const char *data, size_t n)
{
    vg_detect_input_t in;
    memset(&in, 0, sizeof(in));
    in.buf[b] = (const uint8_t *)data;
    in.len[b] = (uint32_t)n;
    return vg_detect_eval_rule(th, r, &in);
}

static inline bool on_buf(const vg_rule_t *r, int b, const char *data)
{
    return on_buf_n(r, b, data, strlen(data));
}

#endif
