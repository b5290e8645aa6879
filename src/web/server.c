/* server.c — the HTTP side of `vigil serve`: libmicrohttpd with its own thread pool, routing,
 * authentication (bearer token or an HttpOnly cookie set by the login form), security headers,
 * the embedded assets, per-thread read-only store connections and the report cache.
 *
 * Requests are small: a body is accepted only by POST /login (at most 1 KB); headers are bounded
 * by the connection memory limit (libmicrohttpd answers 431/413 past it); an idle or slow
 * connection is closed after the timeout. Every other thread keeps serving meanwhile. */
#include "web/web_int.h"
#include "common/common.h"
#include "common/json.h"
#include "common/log.h"
#include "store/store_int.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#define CACHE_SLOTS 32
#define BUILDS_MAX 8
#define LOGIN_MAX 1024
#define COOKIE "vigil_token"

struct cache_slot {
    char *key;
    vg_web_doc_t *doc;
    uint64_t used;
};

struct vg_web {
    struct MHD_Daemon *d;
    vg_web_opts_t o;
    uint8_t token_hash[32];
    bool auth;
    uint16_t port;
    pthread_key_t dbkey;
    pthread_key_t rdkey; /* the thread's store reader */
    pthread_mutex_t mu;
    struct cache_slot cache[CACHE_SLOTS];
    uint64_t tick;
    char *building[BUILDS_MAX]; /* keys of reports being built now */
    unsigned max_builds;
    pthread_cond_t built; /* signalled when a build ends */
};

/* Per connection: the body of POST /login while it arrives. */
struct conn_state {
    char body[LOGIN_MAX + 1];
    size_t len;
    bool too_big;
};

static const char *const CSP =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'";

const vg_web_opts_t *vg_web_opts(const vg_web_t *w) { return &w->o; }
uint16_t vg_web_port(const vg_web_t *w) { return w->port; }

bool vg_web_is_loopback(const char *addr)
{
    struct in_addr a4;
    struct in6_addr a6;
    if (inet_pton(AF_INET, addr, &a4) == 1)
        return (ntohl(a4.s_addr) >> 24) == 127;
    if (inet_pton(AF_INET6, addr, &a6) == 1)
        return IN6_IS_ADDR_LOOPBACK(&a6);
    return false;
}

/* --- store connections --- */

static void db_close(void *p) { sqlite3_close(p); }

sqlite3 *vg_web_db(vg_web_t *w, char *err, size_t err_len)
{
    sqlite3 *db = pthread_getspecific(w->dbkey);
    if (db)
        return db;
    db = vg_store_open_db(w->o.store_path, false, true, err, err_len);
    if (db)
        pthread_setspecific(w->dbkey, db);
    return db;
}

static void rd_close(void *p) { vg_store_reader_close(p); }

vg_store_reader_t *vg_web_reader(vg_web_t *w, char *err, size_t err_len)
{
    vg_store_reader_t *rd = pthread_getspecific(w->rdkey);
    if (rd)
        return rd;
    if (w->o.pg_dsn) {
        rd = vg_store_reader_pg(w->o.pg_dsn, err, err_len);
    } else {
        sqlite3 *db = vg_web_db(w, err, err_len);
        rd = db ? vg_store_reader_sqlite(db, false, w->o.store_label) : NULL;
    }
    if (rd)
        pthread_setspecific(w->rdkey, rd);
    return rd;
}

void vg_web_reader_drop(vg_web_t *w)
{
    vg_store_reader_t *rd = pthread_getspecific(w->rdkey);
    if (rd && w->o.pg_dsn) {
        vg_store_reader_close(rd);
        pthread_setspecific(w->rdkey, NULL);
    }
}

/* --- report cache --- */

vg_web_doc_t *vg_web_doc_new(const char *p, size_t n)
{
    vg_web_doc_t *d = vg_xmalloc(sizeof *d + n + 1);
    atomic_init(&d->refs, 1);
    d->len = n;
    memcpy(d->data, p, n);
    d->data[n] = '\0';
    return d;
}

void vg_web_doc_unref(void *p)
{
    vg_web_doc_t *d = p;
    if (d && atomic_fetch_sub(&d->refs, 1) == 1)
        free(d);
}

vg_web_doc_t *vg_web_cache_get(vg_web_t *w, const char *key)
{
    vg_web_doc_t *out = NULL;
    pthread_mutex_lock(&w->mu);
    for (size_t i = 0; i < CACHE_SLOTS; i++) {
        struct cache_slot *s = &w->cache[i];
        if (s->key && !strcmp(s->key, key)) {
            out = s->doc;
            atomic_fetch_add(&out->refs, 1);
            s->used = ++w->tick;
            break;
        }
    }
    pthread_mutex_unlock(&w->mu);
    return out;
}

vg_web_doc_t *vg_web_cache_get_stale(vg_web_t *w, const char *filter)
{
    vg_web_doc_t *out = NULL;
    uint64_t best = 0;
    pthread_mutex_lock(&w->mu);
    for (size_t i = 0; i < CACHE_SLOTS; i++) {
        struct cache_slot *s = &w->cache[i];
        const char *bar = s->key ? strchr(s->key, '|') : NULL;
        if (bar && !strcmp(bar + 1, filter) && s->used > best) {
            out = s->doc;
            best = s->used;
        }
    }
    if (out)
        atomic_fetch_add(&out->refs, 1);
    pthread_mutex_unlock(&w->mu);
    return out;
}

void vg_web_cache_put(vg_web_t *w, const char *key, vg_web_doc_t *doc)
{
    if (doc->len > (32u << 20)) /* a huge document (top=1000 on a big store) is not kept */
        return;
    pthread_mutex_lock(&w->mu);
    struct cache_slot *victim = &w->cache[0];
    for (size_t i = 0; i < CACHE_SLOTS; i++) {
        struct cache_slot *s = &w->cache[i];
        if (s->key && !strcmp(s->key, key)) {
            victim = s;
            break;
        }
        if (!s->key || s->used < victim->used)
            victim = s;
        if (!s->key)
            break;
    }
    free(victim->key);
    vg_web_doc_unref(victim->doc);
    victim->key = vg_xstrdup(key);
    atomic_fetch_add(&doc->refs, 1);
    victim->doc = doc;
    victim->used = ++w->tick;
    pthread_mutex_unlock(&w->mu);
}

/* One build per key at a time, and at most max_builds at once (threads - 1), so a slow report
 * never takes every thread: a request that finds its report being built, or no build slot free,
 * is answered 503 with Retry-After and the page retries. */
bool vg_web_build_claim(vg_web_t *w, const char *key, bool *same)
{
    bool ok = false;
    *same = false;
    pthread_mutex_lock(&w->mu);
    unsigned n = 0;
    int free_slot = -1;
    for (int i = 0; i < BUILDS_MAX; i++) {
        if (!w->building[i]) {
            if (free_slot < 0)
                free_slot = i;
            continue;
        }
        n++;
        if (!strcmp(w->building[i], key))
            *same = true;
    }
    if (!*same && n < w->max_builds && free_slot >= 0) {
        w->building[free_slot] = vg_xstrdup(key);
        ok = true;
    }
    pthread_mutex_unlock(&w->mu);
    return ok;
}

void vg_web_build_done(vg_web_t *w, const char *key)
{
    pthread_mutex_lock(&w->mu);
    for (int i = 0; i < BUILDS_MAX; i++) {
        if (w->building[i] && !strcmp(w->building[i], key)) {
            free(w->building[i]);
            w->building[i] = NULL;
            break;
        }
    }
    pthread_cond_broadcast(&w->built);
    pthread_mutex_unlock(&w->mu);
}

bool vg_web_build_wait(vg_web_t *w, const char *key, unsigned ms)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += ms / 1000;
    until.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&w->mu);
    bool busy = true;
    while (busy) {
        busy = false;
        for (int i = 0; i < BUILDS_MAX && !busy; i++)
            busy = w->building[i] && !strcmp(w->building[i], key);
        if (busy && pthread_cond_timedwait(&w->built, &w->mu, &until) != 0)
            break;
    }
    pthread_mutex_unlock(&w->mu);
    return !busy;
}

/* --- answers --- */

void vg_web_header(vg_web_req_t *rq, const char *k, const char *fmt, ...)
{
    if (rq->n_hdr >= VG_WEB_MAX_HDRS)
        return;
    rq->hdr[rq->n_hdr].k = k;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(rq->hdr[rq->n_hdr].v, sizeof rq->hdr[rq->n_hdr].v, fmt, ap);
    va_end(ap);
    rq->n_hdr++;
}

void vg_web_error(vg_web_req_t *rq, int status, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    rq->status = status;
    rq->ctype = "application/json; charset=utf-8";
    rq->body_static = NULL;
    vg_web_doc_unref(rq->doc);
    rq->doc = NULL;
    vg_buf_reset(&rq->body);
    vg_jw_t jw;
    vg_jw_init(&jw, &rq->body);
    vg_jw_obj_open(&jw);
    vg_jw_kv_str(&jw, "error", msg);
    vg_jw_kv_int(&jw, "status", status);
    vg_jw_obj_close(&jw);
    vg_buf_putc(&rq->body, '\n');
}

const char *vg_web_arg(const vg_web_req_t *rq, const char *k)
{
    for (size_t i = 0; i < rq->n_args; i++)
        if (!strcmp(rq->args[i].k, k))
            return rq->args[i].v;
    return NULL;
}

bool vg_web_args_known(vg_web_req_t *rq, const char *const *known)
{
    if (rq->args_bad) {
        vg_web_error(rq, 400, "too many parameters, or one given twice");
        return false;
    }
    for (size_t i = 0; i < rq->n_args; i++) {
        bool ok = false;
        for (const char *const *k = known; *k && !ok; k++)
            ok = !strcmp(*k, rq->args[i].k);
        if (!ok) {
            char name[64];
            snprintf(name, sizeof name, "%s", rq->args[i].k);
            vg_web_error(rq, 400, "unknown parameter '%s'", name);
            return false;
        }
    }
    return true;
}

static enum MHD_Result collect_arg(void *cls, enum MHD_ValueKind kind, const char *k, const char *v)
{
    (void)kind;
    vg_web_req_t *rq = cls;
    for (size_t i = 0; i < rq->n_args; i++)
        if (!strcmp(rq->args[i].k, k))
            rq->args_bad = true;
    if (rq->n_args == VG_WEB_MAX_ARGS) {
        rq->args_bad = true;
        return MHD_NO;
    }
    rq->args[rq->n_args].k = k;
    rq->args[rq->n_args].v = v ? v : "";
    rq->n_args++;
    return MHD_YES;
}

static const vg_web_asset_t *asset(const char *path)
{
    for (size_t i = 0; i < vg_web_n_assets; i++)
        if (!strcmp(vg_web_assets[i].path, path))
            return &vg_web_assets[i];
    return NULL;
}

static void serve_asset(vg_web_req_t *rq, const char *path, int status)
{
    const vg_web_asset_t *a = asset(path);
    if (!a) {
        vg_web_error(rq, 404, "not found");
        return;
    }
    rq->status = status;
    rq->ctype = a->ctype;
    rq->body_static = a->data;
    rq->body_static_len = a->len;
    rq->cacheable = status == 200;
}

/* --- authentication --- */

static bool token_ok(const vg_web_t *w, const char *given, size_t n)
{
    uint8_t h[32];
    SHA256((const unsigned char *)given, n, h);
    return CRYPTO_memcmp(h, w->token_hash, sizeof h) == 0;
}

static bool authorized(vg_web_t *w, struct MHD_Connection *c)
{
    if (!w->auth)
        return true;
    const char *a = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    if (a && !strncasecmp(a, "Bearer ", 7))
        return token_ok(w, a + 7, strlen(a + 7));
    const char *ck = MHD_lookup_connection_value(c, MHD_COOKIE_KIND, COOKIE);
    return ck && token_ok(w, ck, strlen(ck));
}

static int hexval(int ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

/* The token member of an application/x-www-form-urlencoded body, decoded in place. */
static char *form_token(char *body)
{
    for (char *p = strtok(body, "&"); p; p = strtok(NULL, "&")) {
        if (strncmp(p, "token=", 6))
            continue;
        char *o = p + 6, *s = p + 6;
        for (; *s; s++) {
            if (*s == '+') {
                *o++ = ' ';
            } else if (*s == '%' && hexval(s[1]) >= 0 && hexval(s[2]) >= 0) {
                *o++ = (char)(hexval(s[1]) * 16 + hexval(s[2]));
                s += 2;
            } else {
                *o++ = *s;
            }
        }
        *o = '\0';
        return p + 6;
    }
    return NULL;
}

static void login_post(vg_web_req_t *rq, struct conn_state *cs)
{
    cs->body[cs->len] = '\0';
    char *t = form_token(cs->body);
    if (!t || !token_ok(rq->w, t, strlen(t))) {
        serve_asset(rq, "/login.html", 401);
        return;
    }
    rq->status = 303;
    rq->ctype = "text/plain; charset=utf-8";
    vg_buf_puts(&rq->body, "signed in\n");
    vg_web_header(rq, "Location", "/");
    /* The token is at most 128 characters (vigil_serve.c checks the file). */
    vg_web_header(rq, "Set-Cookie", COOKIE "=%s; HttpOnly; SameSite=Strict; Path=/", t);
}

/* --- the handler --- */

static void route(vg_web_req_t *rq, struct MHD_Connection *c, struct conn_state *cs)
{
    bool get = !strcmp(rq->method, "GET") || !strcmp(rq->method, "HEAD");
    bool post = !strcmp(rq->method, "POST");
    if (!strcmp(rq->url, "/login")) {
        if (post)
            login_post(rq, cs);
        else if (get)
            serve_asset(rq, "/login.html", 200);
        else
            vg_web_error(rq, 405, "method not allowed");
        return;
    }
    if (!get) {
        vg_web_error(rq, 405, "method not allowed (the API is read-only)");
        return;
    }
    if (!authorized(rq->w, c)) {
        if (!strncmp(rq->url, "/api/", 5)) {
            vg_web_error(rq, 401, "a token is needed (Authorization: Bearer TOKEN)");
        } else {
            serve_asset(rq, "/login.html", 401);
            rq->cacheable = false;
        }
        vg_web_header(rq, "WWW-Authenticate", "Bearer realm=\"vigil\"");
        return;
    }
    MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, collect_arg, rq);
    if (!strncmp(rq->url, "/api/v1/", 8)) {
        vg_web_api(rq, rq->url + 8);
        return;
    }
    if (!strcmp(rq->url, "/"))
        serve_asset(rq, "/index.html", 200);
    else if (!strcmp(rq->url, "/login.html"))
        vg_web_error(rq, 404, "not found");
    else
        serve_asset(rq, rq->url, 200);
}

static enum MHD_Result send_answer(struct MHD_Connection *c, vg_web_req_t *rq)
{
    struct MHD_Response *r;
    if (rq->doc) {
        r = MHD_create_response_from_buffer_with_free_callback_cls(
            rq->doc->len, rq->doc->data, vg_web_doc_unref, rq->doc);
        if (!r)
            vg_web_doc_unref(rq->doc);
        vg_buf_fini(&rq->body);
    } else if (rq->body_static) {
        r = MHD_create_response_from_buffer(rq->body_static_len, (void *)rq->body_static,
                                            MHD_RESPMEM_PERSISTENT);
        vg_buf_fini(&rq->body);
    } else {
        /* The buffer's ownership goes to the response (freed with free()). */
        size_t n = rq->body.len;
        if (!rq->body.data)
            vg_buf_reserve(&rq->body, 1);
        r = MHD_create_response_from_buffer(n, rq->body.data, MHD_RESPMEM_MUST_FREE);
        if (!r)
            vg_buf_fini(&rq->body);
    }
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, rq->ctype ? rq->ctype : "text/plain");
    MHD_add_response_header(r, "Content-Security-Policy", CSP);
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "X-Frame-Options", "DENY");
    MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(r, "Cross-Origin-Resource-Policy", "same-origin");
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL,
                            rq->cacheable ? "private, max-age=300" : "no-store");
    for (size_t i = 0; i < rq->n_hdr; i++)
        MHD_add_response_header(r, rq->hdr[i].k, rq->hdr[i].v);
    enum MHD_Result ret = MHD_queue_response(c, (unsigned)rq->status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result quick_error(struct MHD_Connection *c, vg_web_t *w, int status,
                                   const char *msg)
{
    vg_web_req_t rq = {.w = w};
    vg_buf_init(&rq.body, 128);
    vg_web_error(&rq, status, "%s", msg);
    return send_answer(c, &rq);
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
                               const char *method, const char *version, const char *upload,
                               size_t *upload_size, void **req_cls)
{
    (void)version;
    vg_web_t *w = cls;
    struct conn_state *cs = *req_cls;
    if (!cs) {
        cs = calloc(1, sizeof *cs);
        if (!cs)
            return MHD_NO;
        *req_cls = cs;
        const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                     MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl && strtoull(cl, NULL, 10) > LOGIN_MAX)
            return quick_error(c, w, 413, "request body too large");
        return MHD_YES;
    }
    if (*upload_size) {
        if (cs->len + *upload_size > LOGIN_MAX)
            cs->too_big = true;
        else {
            memcpy(cs->body + cs->len, upload, *upload_size);
            cs->len += *upload_size;
        }
        *upload_size = 0;
        return MHD_YES;
    }
    if (cs->too_big)
        return quick_error(c, w, 413, "request body too large");
    vg_web_req_t rq = {.w = w, .url = url, .method = method, .status = 200};
    vg_buf_init(&rq.body, 1024);
    route(&rq, c, cs);
    return send_answer(c, &rq);
}

static void completed(void *cls, struct MHD_Connection *c, void **req_cls,
                      enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    (void)toe;
    free(*req_cls);
    *req_cls = NULL;
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = strlen(msg);
    while (n && msg[n - 1] == '\n')
        msg[--n] = '\0';
    /* A client that went away before its answer was sent is its own business. */
    if (strstr(msg, "no longer available") || strstr(msg, "connection was closed") ||
        strstr(msg, "Connection reset"))
        return;
    vg_log(VG_LOG_WARN, "serve: %s", msg);
}

static int check_store(const char *path, char *err, size_t err_len);

/* The PostgreSQL store answers and is one this vigil reads. */
static int check_pg(const char *dsn, char *label, size_t label_len, char *err, size_t err_len)
{
    vg_store_reader_t *rd = vg_store_reader_pg(dsn, err, err_len);
    if (!rd)
        return -1;
    snprintf(label, label_len, "%s", vg_store_reader_label(rd)); /* as vigil report names it */
    int rc = vg_store_reader_check(rd, err, err_len);
    vg_store_reader_close(rd);
    return rc;
}

static int check_store(const char *path, char *err, size_t err_len)
{
    sqlite3 *db = vg_store_open_db(path, false, true, err, err_len);
    if (!db)
        return -1;
    int v = 0;
    char e2[512];
    int rc = 0;
    if (vg_store_read_version(db, &v, e2, sizeof e2)) {
        snprintf(err, err_len, "%s: %s", path, e2);
        rc = -1;
    } else if (v == 0) {
        snprintf(err, err_len, "%s: an empty database, not a Vigil store", path);
        rc = -1;
    } else if (v > VG_STORE_SCHEMA_VERSION) {
        snprintf(err, err_len, "%s: made by a newer Vigil (store schema %d; this vigil knows up "
                 "to %d)", path, v, VG_STORE_SCHEMA_VERSION);
        rc = -1;
    } else if (v < VG_STORE_SCHEMA_VERSION) {
        snprintf(err, err_len, "%s: store schema %d is older than this vigil's (%d); serve only "
                 "reads: `vigil report` on it migrates it first", path, v, VG_STORE_SCHEMA_VERSION);
        rc = -1;
    } else if (sqlite3_exec(db, "SELECT count(*) FROM runs; SELECT max(id) FROM alerts", NULL,
                            NULL, NULL) != SQLITE_OK) {
        const char *why = vg_store_explain(sqlite3_extended_errcode(db));
        snprintf(err, err_len, "%s: %s%s%s", path, why ? why : "", why ? " — " : "",
                 sqlite3_errmsg(db));
        rc = -1;
    }
    sqlite3_close(db);
    return rc;
}

static void opts_copy(vg_web_opts_t *d, const vg_web_opts_t *s)
{
    *d = *s;
    d->store_path = s->store_path ? vg_xstrdup(s->store_path) : NULL;
    d->pg_dsn = s->pg_dsn ? vg_xstrdup(s->pg_dsn) : NULL;
    d->store_label = vg_xstrdup(s->store_label ? s->store_label
                                : s->store_path ? s->store_path : "postgresql");
    d->logdir = s->logdir ? vg_xstrdup(s->logdir) : NULL;
    d->addr = vg_xstrdup(s->addr ? s->addr : "127.0.0.1");
    d->token = NULL;
    if (!d->threads)
        d->threads = 2;
    if (!d->timeout_s)
        d->timeout_s = 15;
}

static void web_free(vg_web_t *w)
{
    for (size_t i = 0; i < CACHE_SLOTS; i++) {
        free(w->cache[i].key);
        vg_web_doc_unref(w->cache[i].doc);
    }
    for (size_t i = 0; i < BUILDS_MAX; i++)
        free(w->building[i]);
    free((char *)w->o.store_path);
    free((char *)w->o.pg_dsn);
    free((char *)w->o.store_label);
    free((char *)w->o.logdir);
    free((char *)w->o.addr);
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->built);
    pthread_key_delete(w->dbkey);
    pthread_key_delete(w->rdkey);
    free(w);
}

vg_web_t *vg_web_start(const vg_web_opts_t *o, char *err, size_t err_len)
{
    const char *addr = o->addr ? o->addr : "127.0.0.1";
    union {
        struct sockaddr_in v4;
        struct sockaddr_in6 v6;
    } sa;
    memset(&sa, 0, sizeof sa);
    bool v6 = false;
    if (inet_pton(AF_INET, addr, &sa.v4.sin_addr) == 1) {
        sa.v4.sin_family = AF_INET;
        sa.v4.sin_port = htons(o->port);
    } else if (inet_pton(AF_INET6, addr, &sa.v6.sin6_addr) == 1) {
        sa.v6.sin6_family = AF_INET6;
        sa.v6.sin6_port = htons(o->port);
        v6 = true;
    } else {
        snprintf(err, err_len, "--listen: '%s' is not a numeric IPv4 or IPv6 address", addr);
        return NULL;
    }
    if (!o->token && !vg_web_is_loopback(addr)) {
        snprintf(err, err_len, "refusing to listen on %s without a token (--token-file FILE); "
                 "only loopback addresses may be served without one", addr);
        return NULL;
    }
    char label[512] = "";
    if (o->pg_dsn ? check_pg(o->pg_dsn, label, sizeof label, err, err_len)
                  : check_store(o->store_path, err, err_len))
        return NULL;
    vg_web_t *w = vg_xcalloc(1, sizeof *w);
    vg_web_opts_t oc = *o;
    if (!oc.store_label && *label)
        oc.store_label = label;
    opts_copy(&w->o, &oc);
    if (o->token) {
        w->auth = true;
        SHA256((const unsigned char *)o->token, strlen(o->token), w->token_hash);
    }
    w->max_builds = w->o.threads > 1 ? w->o.threads - 1 : 1;
    if (w->max_builds > BUILDS_MAX)
        w->max_builds = BUILDS_MAX;
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->built, NULL);
    pthread_key_create(&w->dbkey, db_close);
    pthread_key_create(&w->rdkey, rd_close);
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ERROR_LOG |
                     (v6 ? MHD_USE_IPv6 : 0);
    w->d = MHD_start_daemon(flags, o->port, NULL, NULL, handler, w,
                            MHD_OPTION_EXTERNAL_LOGGER, mhd_log, w,
                            MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
                            MHD_OPTION_THREAD_POOL_SIZE, (unsigned)w->o.threads,
                            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)w->o.timeout_s,
                            MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)32768,
                            MHD_OPTION_CONNECTION_LIMIT, (unsigned)512,
                            MHD_OPTION_NOTIFY_COMPLETED, completed, w,
                            MHD_OPTION_END);
    if (!w->d) {
        snprintf(err, err_len, "cannot listen on %s port %u (address in use, or not this "
                 "host's?)", addr, (unsigned)o->port);
        web_free(w);
        return NULL;
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(w->d, MHD_DAEMON_INFO_LISTEN_FD);
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    if (di && getsockname(di->listen_fd, (struct sockaddr *)&ss, &sl) == 0)
        w->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                                 : ((struct sockaddr_in *)&ss)->sin_port);
    return w;
}

void vg_web_stop(vg_web_t *w)
{
    if (!w)
        return;
    MHD_stop_daemon(w->d);
    web_free(w);
}
