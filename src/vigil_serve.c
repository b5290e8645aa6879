/* vigil_serve.c — `vigil serve`: the dashboard and read-only JSON API over a store (src/web). */
#include "common/log.h"
#include "web/web.h"

#include "vigil_store.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

static void serve_usage(FILE *f)
{
    fprintf(f,
            "usage: vigil serve [STORE|LOGDIR] [options]\n"
            "\n"
            "  -s, --store PATH        the store (default: LOGDIR/vigil.db)\n"
            "      --pg DSN            the central PostgreSQL store (`vigil collect`) instead:\n"
            "                          /api/v1/report and /api/v1/status (docs/WEB.md)\n"
            "  -l, --log-dir DIR       a log directory whose vigil.db is the store\n"
            "      --listen ADDR:PORT  address to listen on (default 127.0.0.1:8080; [::1]:8080;\n"
            "                          port 0 picks a free one, printed at start)\n"
            "      --token-file FILE   require this token (Authorization: Bearer, or the login\n"
            "                          form); made (mode 0600) when FILE does not exist. Needed\n"
            "                          for any address that is not loopback\n"
            "      --threads N         request threads (default 2)\n"
            "      --timeout S         close a connection idle or stalled for S seconds (15)\n"
            "\n"
            "Endpoints, security and limits: docs/WEB.md. Stops on SIGINT or SIGTERM.\n"
            "Exit status: 0 stopped by a signal; 2 bad usage, a store that cannot be read, or\n"
            "the address cannot be used.\n");
}

/* "ADDR:PORT", "[V6]:PORT" → addr (copied into a), port. */
static int parse_listen(const char *s, char *a, size_t an, uint16_t *port)
{
    const char *colon;
    if (s[0] == '[') {
        const char *e = strchr(s, ']');
        if (!e || e[1] != ':')
            return -1;
        snprintf(a, an, "%.*s", (int)(e - s - 1), s + 1);
        colon = e + 1;
    } else {
        colon = strrchr(s, ':');
        if (!colon || strchr(s, ':') != colon)
            return -1;
        snprintf(a, an, "%.*s", (int)(colon - s), s);
    }
    char *end;
    long p = strtol(colon + 1, &end, 10);
    if (!colon[1] || *end || p < 0 || p > 65535 || !*a)
        return -1;
    *port = (uint16_t)p;
    return 0;
}

/* Reads the token from path, or makes one there (0600) when the file does not exist. */
static int load_token(const char *path, char *tok, size_t n)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT) {
        uint8_t raw[24];
        if (getrandom(raw, sizeof raw, 0) != (ssize_t)sizeof raw) {
            vg_log(VG_LOG_ERROR, "%s: no random bytes for a token: %s", path, strerror(errno));
            return -1;
        }
        for (size_t i = 0; i < sizeof raw; i++)
            snprintf(tok + 2 * i, 3, "%02x", raw[i]);
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        char line[80];
        int len = snprintf(line, sizeof line, "%s\n", tok);
        if (fd < 0 || write(fd, line, (size_t)len) != len || fsync(fd) != 0) {
            vg_log(VG_LOG_ERROR, "%s: cannot write the token: %s", path, strerror(errno));
            if (fd >= 0)
                close(fd);
            return -1;
        }
        close(fd);
        vg_log(VG_LOG_INFO, "serve: made a token in %s (mode 0600)", path);
        return 0;
    }
    if (fd < 0) {
        vg_log(VG_LOG_ERROR, "%s: %s", path, strerror(errno));
        return -1;
    }
    struct stat sb;
    if (fstat(fd, &sb) || !S_ISREG(sb.st_mode) || (sb.st_mode & 077)) {
        vg_log(VG_LOG_ERROR, "%s: a token file must be a regular file of mode 0600 (no group or "
               "other access)", path);
        close(fd);
        return -1;
    }
    ssize_t r = read(fd, tok, n - 1);
    close(fd);
    if (r < 0)
        r = 0;
    tok[r] = '\0';
    tok[strcspn(tok, "\r\n")] = '\0';
    size_t len = strlen(tok);
    bool ok = len >= 16 && len <= 128;
    for (const char *p = tok; ok && *p; p++)
        ok = *p > 0x20 && *p < 0x7f && *p != ';' && *p != ',' && *p != '"' && *p != '\\';
    if (!ok) {
        vg_log(VG_LOG_ERROR, "%s: the token must be one line of 16 to 128 printable characters "
               "(no spaces, ';', ',', quotes or backslashes)", path);
        return -1;
    }
    return 0;
}

int vigil_serve_main(int argc, char **argv)
{
    enum { O_LISTEN = 256, O_TOKEN, O_THREADS, O_TIMEOUT, O_HELP, O_PG };
    static const struct option longopts[] = {
        {"store", required_argument, NULL, 's'},      {"log-dir", required_argument, NULL, 'l'},
        {"listen", required_argument, NULL, O_LISTEN}, {"token-file", required_argument, NULL, O_TOKEN},
        {"threads", required_argument, NULL, O_THREADS}, {"timeout", required_argument, NULL, O_TIMEOUT},
        {"help", no_argument, NULL, O_HELP},
        {"pg", required_argument, NULL, O_PG},
        {NULL, 0, NULL, 0},
    };
    const char *store = NULL, *logdir = NULL, *listen = "127.0.0.1:8080", *token_file = NULL;
    const char *pg = NULL;
    unsigned threads = 2, timeout = 15;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "-s:l:", longopts, NULL)) != -1) {
        switch (c) {
        case 1:
        case 's':
            if (store || logdir) {
                vg_log(VG_LOG_ERROR, "serve: one store at a time ('%s')", optarg);
                return 2;
            }
            store = optarg;
            break;
        case 'l': logdir = optarg; break;
        case O_PG: pg = optarg; break;
        case O_LISTEN: listen = optarg; break;
        case O_TOKEN: token_file = optarg; break;
        case O_THREADS: {
            char *e;
            long v = strtol(optarg, &e, 10);
            if (*e || v < 1 || v > 64) {
                vg_log(VG_LOG_ERROR, "--threads expects a number from 1 to 64, got '%s'", optarg);
                return 2;
            }
            threads = (unsigned)v;
            break;
        }
        case O_TIMEOUT: {
            char *e;
            long v = strtol(optarg, &e, 10);
            if (*e || v < 1 || v > 3600) {
                vg_log(VG_LOG_ERROR, "--timeout expects seconds from 1 to 3600, got '%s'", optarg);
                return 2;
            }
            timeout = (unsigned)v;
            break;
        }
        case O_HELP: serve_usage(stdout); return 0;
        default: serve_usage(stderr); return 2;
        }
    }
    char addr[128];
    uint16_t port;
    if (parse_listen(listen, addr, sizeof addr, &port)) {
        vg_log(VG_LOG_ERROR, "--listen expects ADDR:PORT (127.0.0.1:8080, [::1]:8080), got '%s'",
               listen);
        return 2;
    }
    if (pg && (store || logdir)) {
        vg_log(VG_LOG_ERROR, "serve: --pg serves the central PostgreSQL store; give it alone, "
               "without --store, -l or a STORE/LOGDIR argument");
        return 2;
    }
    char path[4096];
    if (pg)
        snprintf(path, sizeof path, "%s", "postgresql");
    else
        vigil_store_path(store, logdir, path, sizeof path);
    char token[160];
    if (token_file && load_token(token_file, token, sizeof token))
        return 2;
    if (!token_file && !vg_web_is_loopback(addr)) {
        vg_log(VG_LOG_ERROR, "serve: refusing to listen on %s without a token: give "
               "--token-file FILE (made when missing)", addr);
        return 2;
    }
    /* Signals are taken by sigwait below; the server's threads inherit the mask. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    vg_web_opts_t o = {.store_path = pg ? NULL : path, .pg_dsn = pg,
                       .store_label = pg ? NULL : path,
                       .logdir = logdir, .addr = addr,
                       .port = port, .token = token_file ? token : NULL, .threads = threads,
                       .timeout_s = timeout};
    char err[1024];
    vg_web_t *w = vg_web_start(&o, err, sizeof err);
    if (!w) {
        vg_log(VG_LOG_ERROR, "serve: %s", err);
        return 2;
    }
    bool v6 = strchr(addr, ':') != NULL;
    printf("vigil: serving %s on http://%s%s%s:%u/ (%u threads%s)\n", path, v6 ? "[" : "", addr,
           v6 ? "]" : "", (unsigned)vg_web_port(w), threads, token_file ? ", token required" : "");
    fflush(stdout);
    sigdelset(&set, SIGPIPE);
    int sig = 0;
    sigwait(&set, &sig);
    vg_web_stop(w);
    printf("vigil: serve stopped (%s)\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
    return 0;
}
