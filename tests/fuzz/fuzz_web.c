/* fuzz_web.c — `vigil serve`'s request handling: routing, query parameters, cursors, the token
 * and login form, the evidence paths, over real HTTP on loopback.
 *
 * Two servers (src/web) are started once per process on 127.0.0.1 with free ports over an empty
 * store made in a private directory: one without a token, one with the token "fuzz-token". Each
 * input is [selector][raw bytes of an HTTP request]: the bytes are written to a new connection to
 * the server the selector picks, and its first answer is read whole (an incomplete request gets
 * none: 150 ms). Invariants:
 * the server answers a well-formed status request after every input (it neither died nor hung),
 * and every answer starts like an HTTP response when there is one. Crashes and sanitizer reports
 * in the server's threads stop the fuzzer as usual.
 */
#include "fuzz_common.h"

#include "common/log.h"
#include "store/store.h"
#include "web/web.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

static char dir[64], path[128];
static vg_web_t *srv[2];

static void cleanup(void)
{
    for (int i = 0; i < 2; i++)
        vg_web_stop(srv[i]);
    static const char *const names[] = {"vigil.db", "vigil.db-wal", "vigil.db-shm", ""};
    char p[192];
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        snprintf(p, sizeof p, "%s/%s", dir, names[i]);
        if (remove(p) != 0 && errno != ENOENT)
            (void)rmdir(p);
    }
}

static void setup(void)
{
    vg_log_set_level(VG_LOG_ERROR);
    signal(SIGPIPE, SIG_IGN);
    snprintf(dir, sizeof dir, "/tmp/vigil-fuzz-web-%d", (int)getpid());
    if (mkdir(dir, 0700) && errno != EEXIST)
        abort();
    snprintf(path, sizeof path, "%s/vigil.db", dir);
    char err[512];
    vg_store_t *st = vg_store_open(path, true, err, sizeof err);
    if (!st) {
        fprintf(stderr, "fuzz_web: %s\n", err);
        abort();
    }
    vg_store_close(st);
    for (int i = 0; i < 2; i++) {
        vg_web_opts_t o = {.store_path = path, .store_label = path, .logdir = dir,
                           .addr = "127.0.0.1", .token = i ? "fuzz-token" : NULL,
                           .threads = 2, .timeout_s = 2};
        srv[i] = vg_web_start(&o, err, sizeof err);
        if (!srv[i]) {
            fprintf(stderr, "fuzz_web: %s\n", err);
            abort();
        }
    }
    atexit(cleanup);
}

/* True once out holds a whole first response: headers and Content-Length bytes of body, or a
 * chunked body's last chunk. */
static bool first_response_done(const char *out, size_t got)
{
    const char *end = strstr(out, "\r\n\r\n");
    if (!end)
        return false;
    size_t hdr = (size_t)(end - out) + 4;
    const char *cl = strcasestr(out, "\r\nContent-Length:");
    if (cl && cl < end)
        return got >= hdr + strtoull(cl + 17, NULL, 10);
    const char *te = strcasestr(out, "\r\nTransfer-Encoding: chunked");
    if (te && te < end)
        return strstr(out + hdr, "\r\n0\r\n\r\n") || !strncmp(out + hdr, "0\r\n\r\n", 5);
    return false;
}

/* Sends req on a new connection; reads the answer into out (NUL-terminated, truncated). Returns
 * the bytes read, -1 when the connection could not be made. */
static ssize_t exchange(uint16_t port, const uint8_t *req, size_t n, char *out, size_t cap,
                        long wait_ms)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    struct timeval tv = {wait_ms / 1000, (wait_ms % 1000) * 1000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        close(fd);
        return -1;
    }
    size_t off = 0;
    while (off < n) {
        ssize_t w = send(fd, req + off, n - off, MSG_NOSIGNAL);
        if (w <= 0)
            break; /* the server may refuse early (oversized): fine */
        off += (size_t)w;
    }
    shutdown(fd, SHUT_WR);
    size_t got = 0;
    for (;;) {
        char buf[4096];
        ssize_t r = recv(fd, buf, sizeof buf, 0);
        if (r <= 0)
            break;
        size_t k = (size_t)r < cap - 1 - got ? (size_t)r : cap - 1 - got;
        memcpy(out + got, buf, k);
        got += k;
        out[got] = '\0';
        if (first_response_done(out, got))
            break; /* a kept-alive connection would otherwise wait for the idle timeout */
    }
    out[got] = '\0';
    close(fd);
    return (ssize_t)got;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool ready;
    if (!ready) {
        setup();
        ready = true;
    }
    if (size < 1)
        return 0;
    int which = data[0] & 1;
    static char ans[1 << 16];
    /* an incomplete request gets no answer: wait briefly for one */
    ssize_t n = exchange(vg_web_port(srv[which]), data + 1, size - 1, ans, sizeof ans, 150);
    if (n < 0)
        abort(); /* the server stopped accepting connections */
    if (n > 0 && strncmp(ans, "HTTP/1.", 7) != 0)
        abort(); /* something that is not an HTTP response */
    static const char ok[] = "GET /api/v1/status HTTP/1.0\r\nAuthorization: Bearer fuzz-token\r\n\r\n";
    n = exchange(vg_web_port(srv[which]), (const uint8_t *)ok, sizeof ok - 1, ans, sizeof ans, 3000);
    if (n <= 0 || (strncmp(ans, "HTTP/1.0 200", 12) != 0 && strncmp(ans, "HTTP/1.1 200", 12) != 0)) {
        fprintf(stderr, "fuzz_web: the server no longer answers a status request: %.80s\n", ans);
        abort();
    }
    return 0;
}
