/* vigil_live.c — `vigil live`: capture on network interfaces until stopped by a signal. */
#include "vigil_live.h"

#include "capture/capture.h"
#include "common/common.h"
#include "common/log.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static volatile sig_atomic_t g_stop;

static void on_stop(int sig)
{
    (void)sig;
    g_stop = 1;
}

void vigil_live_usage(FILE *f)
{
    fprintf(f,
            "usage: vigil live -i IFACE [-i IFACE]... [options]\n"
            "\n"
            "  -i, --interface IFACE    capture on this interface (repeatable)\n"
            "      --bpf EXPR           capture only what this BPF expression matches\n"
            "      --user USER          drop to this user after opening the interfaces\n"
            "  -l, --log-dir DIR        where eve.json goes (must be writable by --user)\n"
            "  -S, --rules FILE         load this rule file (repeatable)\n"
            "  -c, --config FILE        YAML configuration (docs/CONFIG.md, docs/LIVE.md)\n"
            "  -k, --checksum-checks none|all\n"
            "      --set KEY=VALUE      set a configuration key (e.g. af-packet.ring-size=128mb)\n"
            "      --var NAME=VALUE     set an address or port variable\n"
            "      --workers N          worker threads (default: one per core)\n"
            "      --disable-detection  no signature matching\n"
            "      --no-progress        no progress line even on a terminal\n"
            "  -q, --quiet              no summary at the end\n"
            "\n"
            "Runs until SIGINT or SIGTERM: capture stops, the rings are drained, every flow ends\n"
            "(reason shutdown), outputs are committed, exit status 0. Exit status 2: an interface\n"
            "or the filter could not be opened, or bad usage or configuration.\n");
}

static int drop_privileges(const char *user)
{
    struct passwd *pw = getpwnam(user);
    if (!pw) {
        vg_log(VG_LOG_ERROR, "--user %s: no such user", user);
        return -1;
    }
    if (initgroups(pw->pw_name, pw->pw_gid) != 0 || setgid(pw->pw_gid) != 0 ||
        setuid(pw->pw_uid) != 0) {
        vg_log(VG_LOG_ERROR, "--user %s: cannot switch user: %s", user, strerror(errno));
        return -1;
    }
    if (pw->pw_uid != 0 && setuid(0) == 0) {
        vg_log(VG_LOG_ERROR, "--user %s: privileges could be regained; stopping", user);
        return -1;
    }
    vg_log(VG_LOG_INFO, "running as user %s", user);
    return 0;
}

static void print_summary(const vg_run_result_t *r, const char *logdir)
{
    double s = r->seconds > 0 ? r->seconds : 1e-9;
    printf("vigil: %llu packets (%.1f MB) in %.2f s: %.0f kpkt/s, %.1f Mbit/s\n",
           (unsigned long long)r->packets, (double)r->bytes / 1e6, r->seconds,
           (double)r->packets / s / 1e3, (double)r->bytes * 8 / s / 1e6);
    printf("vigil: kernel: %llu packets, %llu drops (%.3f%%)\n",
           (unsigned long long)r->kernel_packets, (unsigned long long)r->kernel_drops,
           r->kernel_packets ? 100.0 * (double)r->kernel_drops / (double)r->kernel_packets : 0.0);
    printf("vigil: %llu flows, %llu anomalies, %llu alerts, %llu events written to %s/eve.json\n",
           (unsigned long long)r->flows, (unsigned long long)r->anomalies,
           (unsigned long long)r->alerts, (unsigned long long)r->events, logdir);
}

int vigil_live_run(const vg_run_opts_t *ro_in, const vigil_live_args_t *a, bool quiet)
{
    const vg_config_t *cfg = ro_in->cfg;
    vg_live_config_t lc = {
        .ifaces = a->ifaces,
        .n_ifaces = a->n_ifaces,
        .method = vg_config_str(cfg, "capture.method"),
        .ring_size = vg_config_uint(cfg, "af-packet.ring-size"),
        .block_size = (uint32_t)VG_MIN(vg_config_uint(cfg, "af-packet.block-size"), UINT32_MAX),
        .block_timeout_ms = (uint32_t)vg_config_uint(cfg, "af-packet.block-timeout"),
        .snaplen = (uint32_t)VG_MIN(vg_config_uint(cfg, "capture.snaplen"), 262144),
        .promisc = vg_config_bool(cfg, "capture.promisc"),
        .bpf = a->bpf ? a->bpf : vg_config_str(cfg, "capture.bpf-filter"),
        .poll_ms = 100,
    };
    char err[1024];
    /* Stop signals are caught before the sockets open, so none is lost in between. */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    vg_capture_t *cap = vg_capture_open_live(&lc, err, sizeof err);
    if (!cap) {
        vg_log(VG_LOG_ERROR, "%s", err);
        return 2;
    }
    const char *user = a->user ? a->user : vg_config_str(cfg, "run-as.user");
    if (user && *user && drop_privileges(user) != 0) {
        vg_capture_free(cap);
        return 2;
    }
    /* Say now, not after the first events, when the log directory cannot be written. */
    if (mkdir(ro_in->logdir, 0755) != 0 && errno != EEXIST) {
        vg_log(VG_LOG_ERROR, "%s: cannot create log directory: %s", ro_in->logdir, strerror(errno));
        vg_capture_free(cap);
        return 2;
    }
    if (access(ro_in->logdir, W_OK | X_OK) != 0) {
        vg_log(VG_LOG_ERROR, "%s: log directory not writable%s%s: %s", ro_in->logdir,
               user ? " by user " : "", user ? user : "", strerror(errno));
        vg_capture_free(cap);
        return 2;
    }
    vg_log(VG_LOG_INFO, "capturing on %zu interface(s) (%s); SIGINT or SIGTERM stops",
           lc.n_ifaces, lc.method ? lc.method : "af-packet");
    vg_run_opts_t ro = *ro_in;
    ro.stop = &g_stop;
    vg_run_result_t res;
    int r = vg_engine_run_capture(&ro, cap, &res, err, sizeof err);
    vg_capture_free(cap);
    if (r < 0) {
        vg_log(VG_LOG_ERROR, "%s", err);
        return 2;
    }
    if (!quiet)
        print_summary(&res, ro.logdir);
    return 0;
}
