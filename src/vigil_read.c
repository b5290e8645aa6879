/* vigil_read.c — `vigil read`: analyse capture files with Suricata's command-line shape. */
#include "capture/capture.h"
#include "common/common.h"
#include "common/config.h"
#include "common/log.h"
#include "attrib/attrib.h"
#include "detect/detect_engine.h"
#include "engine/engine.h"
#include "evidence/ledger.h"
#include "vigil_live.h"
#include "vigil_rules_load.h"
#include "vigil_ship.h"
#include "vigil_store.h"

#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The geo databases load on a thread of their own while the rules load: both take a noticeable
 * part of start-up (Debian's tor files are 660,000 lines of text), and they do not depend on
 * each other. */
typedef struct attrib_job {
    const vg_config_t *cfg;
    vg_attrib_t *a;
    char err[1024];
} attrib_job_t;

static void *attrib_load(void *p)
{
    attrib_job_t *j = p;
    j->a = vg_attrib_new_config(j->cfg, j->err, sizeof j->err);
    return NULL;
}

#ifndef VIGIL_DEFAULT_CONFIG
#define VIGIL_DEFAULT_CONFIG "/etc/vigil/vigil.yaml"
#endif

static void read_usage(FILE *f)
{
    fprintf(f,
            "usage: vigil read [-r] FILE... [options]\n"
            "\n"
            "  -r, --pcap FILE          a capture file (pcap or pcapng); plain arguments too\n"
            "  -l, --log-dir DIR        where eve.json goes (default: the configured\n"
            "                           default-log-dir, else the current directory)\n"
            "  -S, --rules FILE         load this rule file (repeatable)\n"
            "  -c, --config FILE        YAML configuration (docs/CONFIG.md)\n"
            "  -k, --checksum-checks none|all\n"
            "                           validate checksums (all, the default) or not (none)\n"
            "      --set KEY=VALUE      set a configuration key (e.g. stream.midstream=true)\n"
            "      --var NAME=VALUE     set an address or port variable (e.g. HOME_NET=[10.0.0.0/8])\n"
            "      --workers N          worker threads (default: one per core)\n"
            "      --disable-detection  no signature matching\n"
            "      --evidence           keep the pcaps of alerted flows and the signed ledger\n"
            "                           in LOGDIR/evidence (evidence.enabled=true)\n"
            "      --no-progress        no progress line even on a terminal\n"
            "      --stage read|decode|flow|all\n"
            "                           stop after this stage (for benchmarks; default all)\n"
            "      --store PATH         the event store to add this run to (default\n"
            "                           LOGDIR/vigil.db; docs/STORE.md; `vigil report` reads it)\n"
            "      --redis URL          also ship every event to this Redis stream\n"
            "                           (redis://HOST:PORT; docs/SCALE.md, outputs.redis.*)\n"
            "  -q, --quiet              no summary at the end\n"
            "\n"
            "Exit status: 0 all input read; 1 a capture was damaged (the rest was processed);\n"
            "2 bad usage, configuration or input that could not be opened.\n");
}

static int split_kv(const char *arg, const char *opt, char *key, size_t klen, const char **val)
{
    const char *eq = strchr(arg, '=');
    if (!eq || eq == arg || (size_t)(eq - arg) >= klen) {
        vg_log(VG_LOG_ERROR, "%s expects KEY=VALUE, got '%s'", opt, arg);
        return -1;
    }
    memcpy(key, arg, (size_t)(eq - arg));
    key[eq - arg] = '\0';
    *val = eq + 1;
    return 0;
}

static void print_summary(const vg_run_result_t *r, const char *logdir, bool live)
{
    double s = r->seconds > 0 ? r->seconds : 1e-9;
    printf("vigil: %llu packets (%.1f MB) in %.2f s: %.0f kpkt/s, %.1f Mbit/s\n",
           (unsigned long long)r->packets, (double)r->bytes / 1e6, r->seconds,
           (double)r->packets / s / 1e3, (double)r->bytes * 8 / s / 1e6);
    if (live)
        printf("vigil: kernel: %llu packets, %llu drops (%.3f%%)\n",
               (unsigned long long)r->kernel_packets, (unsigned long long)r->kernel_drops,
               r->kernel_packets ? 100.0 * (double)r->kernel_drops / (double)r->kernel_packets
                                 : 0.0);
    printf("vigil: %llu flows, %llu anomalies, %llu alerts, %llu events written to %s/eve.json\n",
           (unsigned long long)r->flows, (unsigned long long)r->anomalies,
           (unsigned long long)r->alerts, (unsigned long long)r->events, logdir);
    if (r->capture_errors)
        printf("vigil: PARTIAL: %d capture file(s) were damaged; see the errors above\n",
               r->capture_errors);
}

/* `vigil read` and `vigil live` (argv[0] == "live") share this: the same options mean the same
 * thing and the same outputs are set up; live adds interfaces, --bpf and --user. */
int vigil_read_main(int argc, char **argv)
{
    enum { O_SET = 256, O_VAR, O_WORKERS, O_NODETECT, O_NOPROGRESS, O_HELP, O_STAGE, O_STORE,
           O_EVIDENCE, O_BPF, O_USER, O_REDIS };
    const bool live = argc > 0 && !strcmp(argv[0], "live");
    static const struct option longopts[] = {
        {"pcap", required_argument, NULL, 'r'},
        {"log-dir", required_argument, NULL, 'l'},
        {"rules", required_argument, NULL, 'S'},
        {"config", required_argument, NULL, 'c'},
        {"checksum-checks", required_argument, NULL, 'k'},
        {"set", required_argument, NULL, O_SET},
        {"var", required_argument, NULL, O_VAR},
        {"workers", required_argument, NULL, O_WORKERS},
        {"disable-detection", no_argument, NULL, O_NODETECT},
        {"no-progress", no_argument, NULL, O_NOPROGRESS},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, O_HELP},
        {"stage", required_argument, NULL, O_STAGE},
        {"store", required_argument, NULL, O_STORE},
        {"evidence", no_argument, NULL, O_EVIDENCE},
        {"interface", required_argument, NULL, 'i'},
        {"bpf", required_argument, NULL, O_BPF},
        {"user", required_argument, NULL, O_USER},
        {"redis", required_argument, NULL, O_REDIS},
        {NULL, 0, NULL, 0},
    };
    const char **files = vg_xcalloc((size_t)argc + 1, sizeof(char *));
    size_t n_files = 0;
    const char **rules = vg_xcalloc((size_t)argc + 1, sizeof(char *));
    size_t n_rules = 0;
    const char *logdir = NULL, *config = NULL, *checksum = NULL, *store_path = NULL;
    vigil_store_run_t *store = NULL;
    vg_sink_t sinks[5];
    const char *redis_url = NULL;
    vg_ship_t *ship = NULL;
    size_t n_sinks = 0;
    bool quiet = false, progress = true, no_detect = false, evidence = false;
    unsigned workers = 0;
    enum vg_stage stage = VG_STAGE_ALL;
    /* --set/--var are applied after the config file, in order; keep them. */
    const char **sets = vg_xcalloc((size_t)argc + 1, sizeof(char *));
    int *set_is_var = vg_xcalloc((size_t)argc + 1, sizeof(int));
    size_t n_sets = 0;
    vg_config_t *cfg = NULL;
    vg_detect_engine_t *detect = NULL;
    vg_attrib_t *attrib = NULL;
    vg_ledger_t *ledger = NULL;
    const char **ifaces = vg_xcalloc((size_t)argc + 1, sizeof(char *));
    vigil_live_args_t la = {.ifaces = ifaces};
    int rc = 2;
    char err[1024];

    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "-r:l:S:c:k:qi:", longopts, NULL)) != -1) {
        switch (c) {
        case 1: /* a plain argument: a capture file */
        case 'r': files[n_files++] = optarg; break;
        case 'l': logdir = optarg; break;
        case 'S': rules[n_rules++] = optarg; break;
        case 'c': config = optarg; break;
        case 'k': checksum = optarg; break;
        case O_SET: sets[n_sets] = optarg; set_is_var[n_sets++] = 0; break;
        case O_VAR: sets[n_sets] = optarg; set_is_var[n_sets++] = 1; break;
        case O_WORKERS: {
            char *end;
            long v = strtol(optarg, &end, 10);
            if (*end || v < 1 || v > 64) {
                vg_log(VG_LOG_ERROR, "--workers expects a number from 1 to 64, got '%s'", optarg);
                goto out;
            }
            workers = (unsigned)v;
            break;
        }
        case O_NODETECT: no_detect = true; break;
        case O_EVIDENCE: evidence = true; break;
        case O_STAGE:
            if (!strcmp(optarg, "read")) stage = VG_STAGE_READ;
            else if (!strcmp(optarg, "decode")) stage = VG_STAGE_DECODE;
            else if (!strcmp(optarg, "flow")) stage = VG_STAGE_FLOW;
            else if (!strcmp(optarg, "all")) stage = VG_STAGE_ALL;
            else {
                vg_log(VG_LOG_ERROR, "--stage expects read, decode, flow or all, got '%s'", optarg);
                goto out;
            }
            break;
        case O_NOPROGRESS: progress = false; break;
        case O_STORE: store_path = optarg; break;
        case 'q': quiet = true; break;
        case 'i': ifaces[la.n_ifaces++] = optarg; break;
        case O_BPF: la.bpf = optarg; break;
        case O_USER: la.user = optarg; break;
        case O_REDIS: redis_url = optarg; break;
        case O_HELP: live ? vigil_live_usage(stdout) : read_usage(stdout); rc = 0; goto out;
        default: live ? vigil_live_usage(stderr) : read_usage(stderr); goto out;
        }
    }
    if (live && (n_files || !la.n_ifaces || stage != VG_STAGE_ALL)) {
        vg_log(VG_LOG_ERROR, "live: %s", n_files ? "capture files are for `vigil read`"
                                         : !la.n_ifaces ? "no interface given (vigil live -i IFACE)"
                                                        : "--stage is for `vigil read`");
        goto out;
    }
    if (!live && (la.n_ifaces || la.bpf || la.user)) {
        vg_log(VG_LOG_ERROR, "read: -i, --bpf and --user are for `vigil live`");
        goto out;
    }
    if (!live && n_files == 0) {
        vg_log(VG_LOG_ERROR, "read: no capture file given (vigil read FILE...)");
        goto out;
    }
    /* A service runs `vigil live` with the shipped configuration path (dist/vigil.yaml). */
    if (live && !config && access(VIGIL_DEFAULT_CONFIG, R_OK) == 0) {
        config = VIGIL_DEFAULT_CONFIG;
        vg_log(VG_LOG_INFO, "configuration: %s", config);
    }
    cfg = vg_config_new();
    if (config && vg_config_load_yaml(cfg, config, err, sizeof err)) {
        vg_log(VG_LOG_ERROR, "%s", err);
        goto out;
    }
    if (checksum) {
        if (strcmp(checksum, "none") && strcmp(checksum, "all")) {
            vg_log(VG_LOG_ERROR, "-k expects none or all, got '%s'", checksum);
            goto out;
        }
        vg_config_set(cfg, "capture.checksum-validation", strcmp(checksum, "all") ? "false" : "true",
                      err, sizeof err);
    }
    for (size_t i = 0; i < n_sets; i++) {
        char key[256];
        const char *val;
        if (split_kv(sets[i], set_is_var[i] ? "--var" : "--set", key, sizeof key, &val))
            goto out;
        int r = set_is_var[i] ? vg_config_set_var(cfg, key, val, err, sizeof err)
                              : vg_config_set(cfg, key, val, err, sizeof err);
        if (r) {
            vg_log(VG_LOG_ERROR, "%s", err);
            goto out;
        }
    }
    if (no_detect)
        vg_config_set(cfg, "detect.enabled", "false", err, sizeof err);
    if (evidence)
        vg_config_set(cfg, "evidence.enabled", "true", err, sizeof err);
    /* Check the captures before the (slower, chattier) rule loading, so a bad file name is
     * reported alone and at once. */
    vg_capture_t *probe = live ? NULL : vg_capture_open_files(files, n_files, err, sizeof err);
    if (!live && !probe) {
        vg_log(VG_LOG_ERROR, "%s", err);
        goto out;
    }
    vg_capture_free(probe);
    /* attribution serves signature alerts and the behavioural detectors' alerts */
    bool behave = stage == VG_STAGE_ALL && vg_config_bool(cfg, "behave.enabled");
    bool want_attrib = stage == VG_STAGE_ALL && vg_config_bool(cfg, "attribution.enabled") &&
                       (behave || vg_config_bool(cfg, "detect.enabled"));
    attrib_job_t aj = {.cfg = cfg};
    pthread_t at;
    bool at_started = want_attrib && pthread_create(&at, NULL, attrib_load, &aj) == 0;
    int rules_rc = stage == VG_STAGE_ALL ? vigil_rules_build(cfg, rules, n_rules, &detect) : 0;
    if (at_started)
        pthread_join(at, NULL);
    else if (want_attrib && rules_rc == 0)
        attrib_load(&aj);
    attrib = aj.a;
    if (rules_rc != 0)
        goto out;
    if (!detect && !behave) { /* no rules after all: nothing to attribute */
        vg_attrib_free(attrib);
        attrib = NULL;
    } else if (want_attrib && !attrib) {
        vg_log(VG_LOG_ERROR, "%s", aj.err);
        goto out;
    }
    if (!logdir)
        logdir = vg_config_str(cfg, "default-log-dir");
    /* The evidence ledger: a sink on the output thread (src/evidence/ledger.h). */
    if (detect && vg_config_bool(cfg, "evidence.enabled")) {
        vg_ledger_opts_t lo = {
            .logdir = logdir,
            .key_dir = vg_config_str(cfg, "evidence.key-dir"),
            .sensor = vg_config_str(cfg, "sensor-name"),
            .cp_entries = vg_config_uint(cfg, "evidence.checkpoint-entries"),
            .cp_seconds = vg_config_uint(cfg, "evidence.checkpoint-interval"),
        };
        ledger = vg_ledger_open(&lo, err, sizeof err);
        if (!ledger) {
            vg_log(VG_LOG_ERROR, "%s", err);
            goto out;
        }
        sinks[n_sinks++] = (vg_sink_t){"evidence ledger", ledger, vg_ledger_sink_event,
                                       vg_ledger_sink_commit, NULL};
    }
    if (stage == VG_STAGE_ALL) {
        bool store_off;
        store = vigil_store_start(cfg, store_path, logdir, files, n_files, detect, attrib,
                                  &store_off);
        if (!store && !store_off)
            goto out;
        if (store)
            sinks[n_sinks++] = vigil_store_sink(store);
    }
    /* Shipping to Redis (src/ship): last, so it sees what the other sinks accepted. */
    if (stage == VG_STAGE_ALL) {
        bool ship_off;
        ship = vigil_ship_start(cfg, redis_url, logdir, &ship_off);
        if (!ship && !ship_off)
            goto out;
        if (ship)
            sinks[n_sinks++] = vigil_ship_sink(ship);
    }
    /* The run's start record goes first into the spool, its end record last (docs/SCALE.md,
     * "Run records"): the store's row when there is a store, else what the run knows. */
    char sensor_host[256] = "";
    const char *sensor_name = vigil_sensor_name(cfg, sensor_host, sizeof sensor_host);
    if (ship) {
        /* the ledger's checkpoints are shipped too, as they are written */
        vg_ledger_set_checkpoint_hook(ledger, vigil_ship_ledger_checkpoint, ship);
        char *rec = store ? vigil_store_run_record(store)
                          : vigil_ship_basic_record("start", sensor_name, logdir, NULL, 0);
        vigil_ship_record(ship, rec, false);
        free(rec);
    }
    vg_run_opts_t ro = {
        .cfg = cfg,
        .logdir = logdir,
        .workers = workers,
        .progress = progress && isatty(STDERR_FILENO),
        .stage = stage,
        .detect = detect,
        .attrib = attrib,
        .sinks = sinks,
        .n_sinks = n_sinks,
    };
    la.rules = rules;
    la.n_rules = n_rules;
    vg_run_result_t res;
    int r = live ? vigil_live_run(&ro, &la, &res, err, sizeof err)
                 : vg_engine_run_files(&ro, files, n_files, &res, err, sizeof err);
    if (r < 0)
        vg_log(VG_LOG_ERROR, "%s", err);
    else if (!quiet)
        print_summary(&res, logdir, live);
    char *end_rec = NULL;
    if (store) {
        vigil_store_run_t *st = store;
        store = NULL;
        if (vigil_store_finish(st, &res, r, quiet, ship ? &end_rec : NULL) != 0 && r >= 0)
            r = -1;
    } else if (ship) {
        end_rec = vigil_ship_basic_record("end", sensor_name, logdir, &res, r);
    }
    if (ship) {
        vigil_ship_record(ship, end_rec, true);
        vg_ledger_set_checkpoint_hook(ledger, NULL, NULL);
        free(end_rec);
        vigil_ship_finish(ship, quiet);
        ship = NULL;
    }
    if (r < 0)
        goto out;
    rc = r;
out:
    vg_ledger_set_checkpoint_hook(ledger, NULL, NULL);
    vigil_ship_finish(ship, true);
    if (store) {
        vg_run_result_t none = {0};
        vigil_store_finish(store, &none, -1, true, NULL);
    }
    vg_ledger_close(ledger);
    vg_detect_engine_free(detect);
    vg_attrib_free(attrib);
    vg_config_free(cfg);
    free(files);
    free(ifaces);
    free(rules);
    free(sets);
    free(set_is_var);
    return rc;
}
