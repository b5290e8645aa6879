/* vigil_live.h — `vigil live`: the parts of the live sensor that `vigil read` does not have
 * (interfaces, privileges, signals). The command line, configuration, rules and sinks are
 * shared with `vigil read` (src/vigil_read.c parses both), so every output wired there is wired
 * for live capture too. */
#ifndef VG_VIGIL_LIVE_H
#define VG_VIGIL_LIVE_H

#include "engine/engine.h"

#include <stdio.h>

typedef struct vigil_live_args {
    const char *const *ifaces;
    size_t n_ifaces;
    const char *bpf;    /* --bpf; NULL: the configured capture.bpf-filter, if any */
    const char *user;   /* --user; NULL: the configured run-as.user, if any */
    const char *const *rules; /* -S files, read again at each reload */
    size_t n_rules;
} vigil_live_args_t;

void vigil_live_usage(FILE *f);

/* Opens the interfaces, drops privileges, starts the control socket and runs the engine until
 * SIGINT/SIGTERM, with ro's outputs (the caller sets them up as for files). Returns as
 * vg_engine_run_files: 0 clean stop, -1 could not start or an output failed (err says why). */
int vigil_live_run(const vg_run_opts_t *ro, const vigil_live_args_t *a, vg_run_result_t *res,
                   char *err, size_t err_len);

/* `vigil rules reload [-l LOGDIR | --socket PATH]`: asks a running `vigil live` to reload. */
int vigil_rules_reload_main(int argc, char **argv);

#endif
