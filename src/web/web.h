/* web.h — `vigil serve`: an HTTP server (libmicrohttpd, its own thread pool) over the event store
 * with a read-only JSON API and the dashboard page, whose assets are embedded in the binary.
 *
 * One model: /api/v1/report is the document `vigil report --format json` writes for the same
 * filters (vg_report_build + the JSON renderer); the lists and the alert view are plain queries
 * over the same counted runs. Evidence pcaps are served only when the run's evidence ledger names
 * them, with the file's hash recomputed and compared with the ledger's. Endpoints, security and
 * limits: docs/WEB.md.
 *
 * Threads: every pool thread opens its own read-only SQLite connection (or PostgreSQL
 * connection, with --pg) on first use; every endpoint reads through the store reader
 * (store/store.h). */
#ifndef VG_WEB_WEB_H
#define VG_WEB_WEB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct vg_web_opts {
    const char *store_path;  /* the SQLite file of the store (NULL with pg_dsn) */
    const char *pg_dsn;      /* else the central PostgreSQL store (`vigil collect`); evidence
                              * pcaps are not served from it (docs/WEB.md) */
    const char *store_label; /* "store" member of the report document (as vigil report names it) */
    const char *logdir;      /* LOGDIR given on the command line (evidence fallback), or NULL */
    const char *addr;        /* numeric IPv4 or IPv6 address to bind */
    uint16_t port;           /* 0: any free port (vg_web_port tells which) */
    const char *token;       /* NULL: no authentication (refused unless addr is loopback) */
    unsigned threads;        /* pool size (0: 2) */
    unsigned timeout_s;      /* idle connection timeout (0: 15) */
} vg_web_opts_t;

typedef struct vg_web vg_web_t;

/* Checks the store (exists, is a Vigil store of this version) and starts listening. NULL with a
 * one-line reason in err. */
vg_web_t *vg_web_start(const vg_web_opts_t *o, char *err, size_t err_len);
uint16_t vg_web_port(const vg_web_t *w);
void vg_web_stop(vg_web_t *w);

/* True when addr is a loopback address (127.0.0.0/8, ::1). */
bool vg_web_is_loopback(const char *addr);

#endif
