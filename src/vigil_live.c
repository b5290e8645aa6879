/* vigil_live.c — `vigil live`: capture on network interfaces until stopped by a signal. */
#include "vigil_live.h"

#include "capture/capture.h"
#include "common/common.h"
#include "common/log.h"
#include "detect/detect_engine.h"
#include "vigil_rules_load.h"

#include <errno.h>
#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Set by signal handlers, read by other threads: lock-free atomics (async-signal-safe). */
static atomic_int g_stop;

static void on_stop(int sig)
{
    (void)sig;
    atomic_store(&g_stop, 1);
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
            "      --evidence           keep the pcaps of alerted flows and the signed ledger\n"
            "      --store PATH         the event store to add this run to\n"
            "      --redis URL          also ship every event to this Redis stream (docs/SCALE.md)\n"
            "                           (the same outputs as `vigil read --help` describes)\n"
            "      --no-progress        no progress line even on a terminal\n"
            "  -q, --quiet              no summary at the end\n"
            "\n"
            "Runs until SIGINT or SIGTERM: capture stops, the rings are drained, every flow ends\n"
            "(reason shutdown), outputs are committed, exit status 0. Exit status 2: an interface\n"
            "or the filter could not be opened, or bad usage or configuration.\n");
}

static int drop_privileges(const char *user, char *err, size_t err_len)
{
    struct passwd *pw = getpwnam(user);
    if (!pw) {
        snprintf(err, err_len, "--user %s: no such user", user);
        return -1;
    }
    if (initgroups(pw->pw_name, pw->pw_gid) != 0 || setgid(pw->pw_gid) != 0 ||
        setuid(pw->pw_uid) != 0) {
        snprintf(err, err_len, "--user %s: cannot switch user: %s", user, strerror(errno));
        return -1;
    }
    if (pw->pw_uid != 0 && setuid(0) == 0) {
        snprintf(err, err_len, "--user %s: privileges could be regained; stopping", user);
        return -1;
    }
    vg_log(VG_LOG_INFO, "running as user %s", user);
    return 0;
}


struct control {
    const vg_config_t *cfg;
    const vigil_live_args_t *args;
    const char *logdir;
    vg_reloader_t *rl;
    int lfd;                 /* listening socket, -1: none */
    char path[108];
    atomic_bool quit;
    pthread_t th;
};

typedef struct control control_t;
static control_t *control_new(const vg_config_t *cfg, const vigil_live_args_t *a, const char *logdir);
static int control_start(control_t *c, char *err, size_t err_len);
static void control_stop(control_t *c);

int vigil_live_run(const vg_run_opts_t *ro_in, const vigil_live_args_t *a, vg_run_result_t *res,
                   char *err, size_t err_len)
{
    const vg_config_t *cfg = ro_in->cfg;
    memset(res, 0, sizeof *res);
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
        /* one socket per worker in a fanout group, read by the worker (docs/LIVE.md) */
        .fanout = vg_config_bool(cfg, "af-packet.fanout") ? vg_engine_workers(ro_in) : 0,
        .fanout_mode = vg_config_str(cfg, "af-packet.fanout-mode"),
    };
    /* Stop signals are caught before the sockets open, so none is lost in between. */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    vg_capture_t *cap = vg_capture_open_live(&lc, err, err_len);
    if (!cap)
        return -1;
    const char *user = a->user ? a->user : vg_config_str(cfg, "run-as.user");
    if (user && *user && drop_privileges(user, err, err_len) != 0) {
        vg_capture_free(cap);
        return -1;
    }
    /* Say now, not after the first events, when the log directory cannot be written. */
    if (mkdir(ro_in->logdir, 0755) != 0 && errno != EEXIST) {
        snprintf(err, err_len, "%s: cannot create log directory: %s", ro_in->logdir,
                 strerror(errno));
        vg_capture_free(cap);
        return -1;
    }
    if (access(ro_in->logdir, W_OK | X_OK) != 0) {
        snprintf(err, err_len, "%s: log directory not writable%s%s: %s", ro_in->logdir,
                 user ? " by user " : "", user ? user : "", strerror(errno));
        vg_capture_free(cap);
        return -1;
    }
    vg_run_opts_t ro = *ro_in;
    ro.stop = &g_stop;
    control_t *ctl = control_new(cfg, a, ro.logdir);
    ro.reload = ctl->rl;
    if (control_start(ctl, err, err_len) != 0) {
        vg_capture_free(cap);
        vg_reloader_free(ctl->rl);
        free(ctl);
        return -1;
    }
    vg_log(VG_LOG_INFO, "capturing on %zu interface(s) (%s); SIGINT or SIGTERM stops",
           lc.n_ifaces, lc.method ? lc.method : "af-packet");
    int r = vg_engine_run_capture(&ro, cap, res, err, err_len);
    control_stop(ctl);
    vg_capture_free(cap);
    vg_reloader_free(ctl->rl);
    free(ctl);
    return r;
}

/* --- rule reload: SIGHUP and the control socket --- */

static atomic_int g_hup;

static void on_hup(int sig)
{
    (void)sig;
    atomic_store(&g_hup, 1);
}


static control_t *control_new(const vg_config_t *cfg, const vigil_live_args_t *a, const char *logdir)
{
    control_t *c = vg_xcalloc(1, sizeof *c);
    c->cfg = cfg;
    c->args = a;
    c->logdir = logdir;
    c->lfd = -1;
    c->rl = vg_reloader_new();
    return c;
}

/* Builds the rule set again from the same files and configuration, beside the running one; on
 * success offers it to the engine. msg: one line for the log and the control socket reply. */
static int do_reload(control_t *c, char *msg, size_t msg_len)
{
    vg_log(VG_LOG_INFO, "rule reload: loading %zu file(s)", c->args->n_rules ? c->args->n_rules : 1);
    vg_detect_engine_t *e = NULL;
    char why[512];
    vg_log_capture(why, sizeof why);
    int rc = vigil_rules_build(c->cfg, c->args->rules, c->args->n_rules, &e);
    vg_log_capture(NULL, 0);
    if (rc != 0 || !e) {
        if (rc == 0)
            snprintf(why, sizeof why, "no rules to load (detection disabled or no rule file)");
        snprintf(msg, msg_len, "reload failed, the running rules stay: %s", why);
        vg_reloader_failed(c->rl, why);
        vg_detect_engine_free(e);
        vg_log(VG_LOG_ERROR, "%s", msg);
        return -1;
    }
    rc = vg_reloader_offer(c->rl, e, 10000, msg, msg_len);
    if (rc < 0) {
        vg_reloader_failed(c->rl, msg);
        vg_log(VG_LOG_ERROR, "rule reload: %s", msg);
        return -1;
    }
    vg_log(VG_LOG_INFO, "rule reload: %s", msg);
    return 0;
}

static void serve_one(control_t *c, int fd)
{
    char line[256];
    size_t n = 0;
    struct pollfd p = {.fd = fd, .events = POLLIN};
    while (n < sizeof line - 1 && poll(&p, 1, 2000) > 0) {
        ssize_t r = read(fd, line + n, sizeof line - 1 - n);
        if (r <= 0)
            break;
        n += (size_t)r;
        if (memchr(line, '\n', n))
            break;
    }
    line[n] = '\0';
    line[strcspn(line, "\r\n")] = '\0';
    char msg[1024], reply[1100];
    if (!strcmp(line, "reload")) {
        int rc = do_reload(c, msg, sizeof msg);
        snprintf(reply, sizeof reply, "%s %s\n", rc == 0 ? "ok" : "error", msg);
    } else {
        snprintf(reply, sizeof reply, "error unknown command '%.200s' (known: reload)\n", line);
    }
    size_t len = strlen(reply), off = 0;
    while (off < len) {
        ssize_t w = write(fd, reply + off, len - off);
        if (w <= 0)
            break;
        off += (size_t)w;
    }
}

static void *control_main(void *arg)
{
    control_t *c = arg;
    pthread_setname_np(pthread_self(), "vg-control");
    while (!atomic_load(&c->quit)) {
        if (atomic_exchange(&g_hup, 0)) {
            char msg[1024];
            do_reload(c, msg, sizeof msg);
        }
        if (c->lfd < 0) {
            struct timespec ts = {0, 200 * 1000 * 1000};
            nanosleep(&ts, NULL);
            continue;
        }
        struct pollfd p = {.fd = c->lfd, .events = POLLIN};
        if (poll(&p, 1, 200) <= 0)
            continue;
        int fd = accept4(c->lfd, NULL, NULL, SOCK_CLOEXEC);
        if (fd >= 0) {
            serve_one(c, fd);
            close(fd);
        }
    }
    return NULL;
}

static int control_socket_path(const vg_config_t *cfg, const char *logdir, char *out, size_t n)
{
    const char *p = vg_config_str(cfg, "unix-command.filename");
    int k = p ? snprintf(out, n, "%s", p) : snprintf(out, n, "%s/vigil.socket", logdir);
    return k < 0 || (size_t)k >= n ? -1 : 0;
}

static int control_start(control_t *c, char *err, size_t err_len)
{
    c->lfd = -1;
    if (vg_config_bool(c->cfg, "unix-command.enabled")) {
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        if (control_socket_path(c->cfg, c->logdir, c->path, sizeof sa.sun_path)) {
            snprintf(err, err_len, "control socket path too long (unix-command.filename)");
            return -1;
        }
        memcpy(sa.sun_path, c->path, strlen(c->path) + 1);
        /* A socket left by a sensor that is gone is replaced; a live one is not. */
        int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (probe >= 0 && connect(probe, (struct sockaddr *)&sa, sizeof sa) == 0) {
            close(probe);
            snprintf(err, err_len, "%s: another vigil is listening there", c->path);
            return -1;
        }
        if (probe >= 0)
            close(probe);
        unlink(c->path);
        c->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (c->lfd < 0 || bind(c->lfd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
            chmod(c->path, 0660) != 0 || listen(c->lfd, 4) != 0) {
            snprintf(err, err_len, "%s: cannot open the control socket: %s", c->path,
                     strerror(errno));
            if (c->lfd >= 0)
                close(c->lfd);
            c->lfd = -1;
            return -1;
        }
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_hup;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGHUP, &sa, NULL);
    if (pthread_create(&c->th, NULL, control_main, c) != 0) {
        snprintf(err, err_len, "cannot start the control thread");
        if (c->lfd >= 0) {
            close(c->lfd);
            unlink(c->path);
        }
        return -1;
    }
    return 0;
}

static void control_stop(control_t *c)
{
    atomic_store(&c->quit, true);
    pthread_join(c->th, NULL);
    if (c->lfd >= 0) {
        close(c->lfd);
        unlink(c->path);
    }
}

static void reload_usage(FILE *f)
{
    fprintf(f, "usage: vigil rules reload [-l LOGDIR | --socket PATH]\n"
               "Asks the `vigil live` writing to LOGDIR (default: the current directory) to load\n"
               "its rule files again; prints its answer. Exit 0 when the new rules are in use.\n");
}

int vigil_rules_reload_main(int argc, char **argv)
{
    const char *logdir = ".", *path = NULL;
    for (int i = 1; i < argc; i++) {
        if ((!strcmp(argv[i], "-l") || !strcmp(argv[i], "--log-dir")) && i + 1 < argc)
            logdir = argv[++i];
        else if (!strcmp(argv[i], "--socket") && i + 1 < argc)
            path = argv[++i];
        else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            reload_usage(stdout);
            return 0;
        } else {
            reload_usage(stderr);
            return 2;
        }
    }
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    char buf[sizeof sa.sun_path];
    int k = path ? snprintf(buf, sizeof buf, "%s", path)
                 : snprintf(buf, sizeof buf, "%s/vigil.socket", logdir);
    if (k < 0 || (size_t)k >= sizeof buf) {
        vg_log(VG_LOG_ERROR, "control socket path too long");
        return 2;
    }
    memcpy(sa.sun_path, buf, (size_t)k + 1);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        vg_log(VG_LOG_ERROR, "%s: cannot reach a running vigil live: %s", buf, strerror(errno));
        if (fd >= 0)
            close(fd);
        return 2;
    }
    if (write(fd, "reload\n", 7) != 7) {
        vg_log(VG_LOG_ERROR, "%s: %s", buf, strerror(errno));
        close(fd);
        return 2;
    }
    char reply[2048];
    size_t n = 0;
    ssize_t r;
    while (n < sizeof reply - 1 && (r = read(fd, reply + n, sizeof reply - 1 - n)) > 0)
        n += (size_t)r;
    close(fd);
    reply[n] = '\0';
    fputs(reply, stdout);
    return strncmp(reply, "ok ", 3) == 0 ? 0 : 1;
}
