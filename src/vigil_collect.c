/* vigil_collect.c — `vigil collect`: the sensors' Redis stream into PostgreSQL (src/collect). */
#include "collect/collect.h"
#include "common/log.h"

#include <getopt.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static atomic_int g_stop;

static void on_signal(int sig)
{
    (void)sig;
    atomic_store(&g_stop, 1);
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: vigil collect --redis URL --pg DSN [options]\n"
            "\n"
            "Reads the events the sensors ship (vigil read/live --redis) from the Redis stream\n"
            "with a consumer group and commits them to PostgreSQL, each (sensor, sequence) once.\n"
            "Run several with the same --group to share the load (docs/SCALE.md).\n"
            "\n"
            "      --redis URL          redis://[:PASSWORD@]HOST[:PORT][/DB]\n"
            "      --pg DSN             libpq connection string or postgresql:// URI\n"
            "      --group NAME         consumer group (default vigil-collect)\n"
            "      --stream KEY         the stream (default vigil:events)\n"
            "      --consumer NAME      this collector's name in the group (default HOST-PID)\n"
            "      --threads N          collector threads, each a consumer NAME/1..N with its own\n"
            "                           connections (default: the number of CPUs, at most 8)\n"
            "      --batch N            stream entries per transaction at most (default 100; a\n"
            "                           sensor's entry carries up to 64 events)\n"
            "      --claim-after MS     take over entries pending this long in another\n"
            "                           collector (default 30000)\n"
            "      --retention-days N   drop day partitions older than N days (default 0: keep)\n"
            "      --incident-window S  incidents of the report's tables: alerts of one key within S\n"
            "                           seconds (default 3600, the sensors' store.incident-window)\n"
            "      --idle-exit S        stop after S seconds with nothing to read (default: run\n"
            "                           until SIGINT/SIGTERM)\n"
            "  -q, --quiet              no summary at the end\n"
            "\n"
            "Exit status: 0 stopped; 2 bad usage, or Redis/PostgreSQL could not be used at start.\n");
}

static int uint_arg(const char *opt, const char *v, unsigned long max, unsigned *out)
{
    char *end;
    unsigned long x = strtoul(v, &end, 10);
    if (!*v || *end || x > max) {
        vg_log(VG_LOG_ERROR, "%s expects a number up to %lu, got '%s'", opt, max, v);
        return -1;
    }
    *out = (unsigned)x;
    return 0;
}

int vigil_collect_main(int argc, char **argv)
{
    enum { O_REDIS = 256, O_PG, O_GROUP, O_STREAM, O_CONSUMER, O_BATCH, O_CLAIM, O_RET, O_IDLE,
           O_THREADS, O_HELP, O_WINDOW };
    static const struct option longopts[] = {
        {"redis", required_argument, NULL, O_REDIS},
        {"pg", required_argument, NULL, O_PG},
        {"group", required_argument, NULL, O_GROUP},
        {"stream", required_argument, NULL, O_STREAM},
        {"consumer", required_argument, NULL, O_CONSUMER},
        {"batch", required_argument, NULL, O_BATCH},
        {"threads", required_argument, NULL, O_THREADS},
        {"claim-after", required_argument, NULL, O_CLAIM},
        {"retention-days", required_argument, NULL, O_RET},
        {"idle-exit", required_argument, NULL, O_IDLE},
        {"incident-window", required_argument, NULL, O_WINDOW},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, O_HELP},
        {NULL, 0, NULL, 0},
    };
    vg_collect_opts_t o = {.stream = "vigil:events", .group = "vigil-collect", .batch = 100,
                           .block_ms = 1000, .claim_ms = 30000, .stop = &g_stop};
    /* Threads overlap one batch's parsing with another's commit, and commit batches of
     * different sensors side by side (batches of one sensor wait for its row lock). */
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    o.threads = ncpu < 1 ? 1 : ncpu > 8 ? 8 : (unsigned)ncpu;
    bool quiet = false;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "q", longopts, NULL)) != -1) {
        switch (c) {
        case O_REDIS: o.redis_url = optarg; break;
        case O_PG: o.pg_dsn = optarg; break;
        case O_GROUP: o.group = optarg; break;
        case O_STREAM: o.stream = optarg; break;
        case O_CONSUMER: o.consumer = optarg; break;
        case O_BATCH:
            if (uint_arg("--batch", optarg, 100000, &o.batch) || !o.batch)
                return 2;
            break;
        case O_THREADS:
            if (uint_arg("--threads", optarg, 64, &o.threads) || !o.threads)
                return 2;
            break;
        case O_CLAIM:
            if (uint_arg("--claim-after", optarg, 86400000, &o.claim_ms) || !o.claim_ms)
                return 2;
            break;
        case O_RET:
            if (uint_arg("--retention-days", optarg, 100000, &o.retention_days))
                return 2;
            break;
        case O_IDLE:
            if (uint_arg("--idle-exit", optarg, 86400, &o.idle_exit_s))
                return 2;
            break;
        case O_WINDOW:
            if (uint_arg("--incident-window", optarg, 31536000, &o.incident_window_s))
                return 2;
            break;
        case 'q': quiet = true; break;
        case O_HELP: usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind < argc || !o.redis_url || !o.pg_dsn) {
        vg_log(VG_LOG_ERROR, "collect: %s", optind < argc ? "unexpected argument"
                                                          : "--redis and --pg are required");
        usage(stderr);
        return 2;
    }
    struct sigaction sa = {.sa_handler = on_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    vg_collect_stats_t st;
    char err[1024];
    if (vg_collect_run(&o, &st, err, sizeof err)) {
        vg_log(VG_LOG_ERROR, "collect: %s", err);
        return 2;
    }
    if (!quiet)
        printf("vigil collect: %llu entries (%llu events) in %llu batches: %llu inserted, "
               "%llu duplicates, %llu expired, %llu dead letters, %llu claimed\n",
               (unsigned long long)st.entries, (unsigned long long)st.events,
               (unsigned long long)st.batches,
               (unsigned long long)st.inserted, (unsigned long long)st.duplicates,
               (unsigned long long)st.expired, (unsigned long long)st.dead,
               (unsigned long long)st.claimed);
    return 0;
}
