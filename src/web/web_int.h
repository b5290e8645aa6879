/* web_int.h — internals of the web server shared by its files (server, API, evidence, assets). */
#ifndef VG_WEB_WEB_INT_H
#define VG_WEB_WEB_INT_H

#include "common/buf.h"
#include "web/web.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sqlite3;

#define VG_WEB_MAX_ARGS 16
#define VG_WEB_MAX_HDRS 6

/* A report document shared by the cache and the answers sending it (reference counted). */
typedef struct vg_web_doc {
    _Atomic unsigned refs;
    size_t len;
    char data[];
} vg_web_doc_t;
vg_web_doc_t *vg_web_doc_new(const char *p, size_t n); /* one reference */
void vg_web_doc_unref(void *doc);

typedef struct vg_web_arg {
    const char *k, *v;
} vg_web_arg_t;

/* One request as the handlers see it, and the answer they build. */
typedef struct vg_web_req {
    vg_web_t *w;
    const char *url, *method;
    vg_web_arg_t args[VG_WEB_MAX_ARGS];
    size_t n_args;
    bool args_bad; /* too many, or a key given twice */
    int status;
    const char *ctype;
    bool cacheable;     /* static asset: may be cached by the browser */
    const void *body_static; /* a body not to be freed (embedded asset) */
    vg_web_doc_t *doc;       /* a shared body (one reference, given to the response) */
    size_t body_static_len;
    vg_buf_t body;
    struct {
        const char *k;
        char v[192];
    } hdr[VG_WEB_MAX_HDRS];
    size_t n_hdr;
} vg_web_req_t;

/* --- server.c --- */
const vg_web_opts_t *vg_web_opts(const vg_web_t *w);
/* The calling thread's read-only connection (opened on first use). NULL with err. */
struct sqlite3 *vg_web_db(vg_web_t *w, char *err, size_t err_len);
/* The calling thread's store reader (SQLite: over vg_web_db's connection; PostgreSQL: its own
 * connection), opened on first use. NULL with err. */
struct vg_store_reader;
struct vg_store_reader *vg_web_reader(vg_web_t *w, char *err, size_t err_len);
/* After a failure over PostgreSQL: the next request connects again (a restarted server). */
void vg_web_reader_drop(vg_web_t *w);
/* Report documents by canonical query and store generation (small LRU). get returns a new
 * reference or NULL; put takes a reference of its own. */
vg_web_doc_t *vg_web_cache_get(vg_web_t *w, const char *key);
void vg_web_cache_put(vg_web_t *w, const char *key, vg_web_doc_t *doc);
/* Keys are "GENERATION|FILTER": the most recently used document of this filter whatever its
 * generation (an older store state), or NULL. */
vg_web_doc_t *vg_web_cache_get_stale(vg_web_t *w, const char *filter);
/* Claims the build of report key: false when it is being built (*same) or every build slot is
 * taken; then answer 503 with Retry-After. vg_web_build_done after a successful claim. */
bool vg_web_build_claim(vg_web_t *w, const char *key, bool *same);
void vg_web_build_done(vg_web_t *w, const char *key);
/* Waits at most ms for the build of key to end; true when it is not being built (any more). */
bool vg_web_build_wait(vg_web_t *w, const char *key, unsigned ms);

void vg_web_error(vg_web_req_t *rq, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void vg_web_header(vg_web_req_t *rq, const char *k, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
const char *vg_web_arg(const vg_web_req_t *rq, const char *k);
/* 400 when a parameter is not in the NULL-terminated list; returns false then. */
bool vg_web_args_known(vg_web_req_t *rq, const char *const *known);

/* --- api.c --- */
/* /api/v1/...: fills rq (status, body). */
void vg_web_api(vg_web_req_t *rq, const char *path);

/* --- web_evidence.c --- */
typedef struct vg_web_evidence {
    char dir[4096];        /* the evidence directory used */
    bool named;            /* the ledger names the file */
    bool sealed;           /* the ledger has its "evidence" entry (hash) */
    char ledger_sha[65];   /* from that entry */
    uint64_t ledger_size;
    char sha[65];          /* recomputed now ("" when the file could not be read) */
    uint64_t size;
    const char *status;    /* verified, changed, unsealed, missing, not_in_ledger, no_ledger */
} vg_web_evidence_t;

/* Looks file up in the ledger of logdir (else of fallback): named? sealed? and hashes the file
 * when named. With data non-NULL and the file readable, *data and *len get its bytes (malloc'd). */
void vg_web_evidence_check(const char *logdir, const char *fallback, const char *file,
                           vg_web_evidence_t *ev, char **data, size_t *len);

/* --- assets: generated from the web folder at build time (embed.py) --- */
typedef struct vg_web_asset {
    const char *path; /* "/index.html", "/app.js", ... */
    const char *ctype;
    const unsigned char *data;
    size_t len;
} vg_web_asset_t;
extern const vg_web_asset_t vg_web_assets[];
extern const size_t vg_web_n_assets;

#endif
