/* fuzz_report.c — the store reader: `vigil report` (and so `vigil serve`) over a store whose
 * rows are hostile — a store written by a buggy or older Vigil, edited by hand, or damaged.
 *
 * A real store (schema and migrations from src/store) is made once per process in a private
 * directory. Each input is a list of rows inserted into its tables (committed, since the report
 * reads in a transaction of its own, and deleted afterwards), then a report filter; the model is built (vg_report_build) and
 * rendered in all four formats. Cells take every SQLite type (NULL, small and full-range
 * integers, reals, text, blobs, and words the schema gives meaning to: run statuses, categories,
 * countries, times), so the queries and renderers meet NULLs, wrong types, huge and negative
 * numbers and odd text where they expect good values.
 *
 * Input: [filter flags][from:8][to:8]([table][cell]...)... with cells [kind][payload].
 * Invariants: the model is built or refused with a reason; the JSON rendering parses as one
 * object; the renderers never read outside what the model holds (ASan).
 */
#include "fuzz_common.h"

#include "common/log.h"
#include "report/report.h"
#include "store/store.h"

#include <errno.h>
#include <jansson.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const tables[] = {"runs", "captures", "signatures", "alerts", "incidents",
                                     "flows", "alert_dims", "alert_rollup"};
#define N_TABLES (sizeof tables / sizeof tables[0])
static sqlite3_stmt *ins[N_TABLES];
static int ncols[N_TABLES];
static sqlite3 *db;
static vg_store_t *store;
static char dir[64], path[128];

static const char *const words[] = {
    "complete", "partial", "running", "failed", "superseded", "exploitation-attempt",
    "scanning", "command-and-control", "brute-force", "denial-of-service", "malware-infection",
    "webshell-backdoor", "policy-info", "unattributed", "attacker", "victim", "verified",
    "spoofable", "src", "dest", "CN", "RU", "US", "??", "home", "TCP", "UDP", "ICMP", "http",
    "dns", "tls", "10.0.0.1", "203.0.113.5", "2001:db8::1", "", "2024-01-01T00:00:00Z",
    "CVE-2021-44228", "[\"geoip 2024\"]", "{\"a\":1}", "sensor-1", "flow-1.pcap"};
#define N_WORDS (sizeof words / sizeof words[0])

static void cleanup(void)
{
    vg_store_close(store);
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
    snprintf(dir, sizeof dir, "/tmp/vigil-fuzz-report-%d", (int)getpid());
    if (mkdir(dir, 0700) && errno != EEXIST)
        abort();
    snprintf(path, sizeof path, "%s/vigil.db", dir);
    char err[512];
    store = vg_store_open(path, true, err, sizeof err);
    if (!store) {
        fprintf(stderr, "fuzz_report: %s\n", err);
        abort();
    }
    db = vg_store_db(store);
    /* a scratch store: no fsync per input */
    if (sqlite3_exec(db, "PRAGMA synchronous=OFF", NULL, NULL, NULL) != SQLITE_OK)
        abort();
    for (size_t t = 0; t < N_TABLES; t++) {
        char sql[256];
        sqlite3_stmt *st;
        snprintf(sql, sizeof sql, "SELECT count(*) FROM pragma_table_info('%s')", tables[t]);
        if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK || sqlite3_step(st) != SQLITE_ROW)
            abort();
        ncols[t] = sqlite3_column_int(st, 0);
        sqlite3_finalize(st);
        char q[1024];
        int n = snprintf(q, sizeof q, "INSERT OR IGNORE INTO %s VALUES(", tables[t]);
        for (int c = 0; c < ncols[t]; c++)
            n += snprintf(q + n, sizeof q - (size_t)n, c ? ",?" : "?");
        snprintf(q + n, sizeof q - (size_t)n, ")");
        if (sqlite3_prepare_v2(db, q, -1, &ins[t], NULL) != SQLITE_OK)
            abort();
    }
    atexit(cleanup);
}

static void bind_cell(fz_t *f, sqlite3_stmt *st, int col)
{
    uint8_t kind = fz_u8(f);
    switch (kind % 8) {
    case 0: sqlite3_bind_null(st, col); break;
    case 1: sqlite3_bind_int64(st, col, fz_u8(f)); break; /* small: ids, flags, counts */
    case 2: {
        uint64_t v = 0;
        for (int i = 0; i < 8; i++)
            v = v << 8 | fz_u8(f);
        sqlite3_bind_int64(st, col, (int64_t)v);
        break;
    }
    case 3: { /* a time near 2024 in microseconds, or any */
        int64_t v = 1704067200000000LL + (int64_t)fz_u16(f) * 3600000000LL;
        sqlite3_bind_int64(st, col, kind & 8 ? -v : v);
        break;
    }
    case 4: sqlite3_bind_double(st, col, (double)(int8_t)fz_u8(f) / 3.0); break;
    case 5: sqlite3_bind_text(st, col, words[fz_u8(f) % N_WORDS], -1, SQLITE_STATIC); break;
    case 6: {
        size_t n;
        const uint8_t *p = fz_take(f, fz_u8(f), &n);
        sqlite3_bind_text(st, col, (const char *)p, (int)n, SQLITE_TRANSIENT);
        break;
    }
    default: {
        size_t n;
        const uint8_t *p = fz_take(f, fz_u8(f), &n);
        sqlite3_bind_blob(st, col, p, (int)n, SQLITE_TRANSIENT);
        break;
    }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool ready;
    if (!ready) {
        setup();
        ready = true;
    }
    fz_t f = {data, size};
    uint8_t flags = fz_u8(&f);
    int64_t from = 0, to = 0;
    for (int i = 0; i < 8; i++)
        from = (int64_t)((uint64_t)from << 8 | fz_u8(&f));
    for (int i = 0; i < 8; i++)
        to = (int64_t)((uint64_t)to << 8 | fz_u8(&f));
    if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
        abort();
    for (int rows = 0; fz_more(&f) && rows < 256; rows++) {
        size_t t = fz_u8(&f) % N_TABLES;
        sqlite3_reset(ins[t]);
        sqlite3_clear_bindings(ins[t]);
        for (int c = 1; c <= ncols[t]; c++)
            bind_cell(&f, ins[t], c);
        (void)sqlite3_step(ins[t]); /* constraint failures are ignored (OR IGNORE) or refused */
    }
    /* committed, because the report reads in a transaction of its own */
    if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        abort();
    vg_report_filter_t flt = {
        .has_from = flags & 1, .has_to = flags & 2, .from_us = from, .to_us = to,
        .sensor = flags & 4 ? "sensor-1" : NULL,
        .category = flags & 8 ? words[5 + (flags >> 5) % 6] : NULL,
        .country = flags & 16 ? words[20 + (flags >> 5) % 4] : NULL,
        .top = (unsigned)(flags >> 6),
        .scan = (to & 1) != 0, /* the raw alerts, else the rollup tables (both hostile here) */
        .store_label = path,
    };
    char err[512] = "";
    vg_report_t *r = vg_report_build(db, &flt, err, sizeof err);
    if (!r) {
        if (getenv("FUZZ_REPORT_DEBUG"))
            fprintf(stderr, "fuzz_report: refused: %s\n", err);
        if (!err[0])
            abort(); /* a refusal must say why */
    } else {
        static const enum vg_report_format fmts[] = {VG_REPORT_JSON, VG_REPORT_MD,
                                                     VG_REPORT_CSV, VG_REPORT_HTML};
        for (size_t i = 0; i < sizeof fmts / sizeof fmts[0]; i++) {
            vg_buf_t b;
            vg_buf_init(&b, 4096);
            vg_report_render(r, fmts[i], &b);
            if (fmts[i] == VG_REPORT_JSON) {
                json_error_t je;
                json_t *j = json_loadb(b.data, b.len, 0, &je);
                if (!j || !json_is_object(j))
                    abort(); /* the JSON report must be one object */
                json_decref(j);
            }
            vg_buf_fini(&b);
        }
        vg_report_free(r);
    }
    if (sqlite3_exec(db, "BEGIN; DELETE FROM alert_rollup; DELETE FROM alert_dims;"
                         " DELETE FROM flows; DELETE FROM incidents; DELETE FROM alerts;"
                         " DELETE FROM signatures; DELETE FROM captures; DELETE FROM runs; COMMIT",
                     NULL, NULL, NULL) != SQLITE_OK)
        abort();
    return 0;
}
