/* fuzz_app.h — the driver shared by the application-layer harnesses (fuzz_app_*.c).
 *
 * Input after the harness's own prefix: [chunk]... with chunk = [ctl][len:2][bytes].
 * ctl bit 0: direction (0 to server, 1 to client); bit 1: report a gap of len bytes instead of
 * data (when the parser has a gap callback). Each chunk goes to parse() as the worker would hand
 * it; after each one the new transactions are walked as the worker walks them: every buffer id
 * through get_buffer (read whole), every file through tx_file, and each complete transaction
 * logged through log_tx into a vg_jw_t, whose output must parse with jansson as one JSON object.
 * Completed transactions are released. At the end the flow ends (flow_end = true) and the rest
 * is logged.
 */
#ifndef VG_FUZZ_APP_H
#define VG_FUZZ_APP_H

#include "fuzz_common.h"

#include "app/app.h"
#include "common/buf.h"
#include "common/json.h"

#include <jansson.h>

static void fz_app_anomaly(void *user, enum vg_app_proto proto, const char *event)
{
    if (!event || !*event)
        abort();
}

static void fz_app_log(const vg_app_ops_t *o, void *tx)
{
    vg_buf_t b;
    vg_buf_init(&b, 1024);
    vg_jw_t w;
    vg_jw_init(&w, &b);
    vg_jw_obj_open(&w);
    vg_jw_key(&w, o->name);
    o->log_tx(tx, &w);
    vg_jw_obj_close(&w);
    json_error_t err;
    json_t *j = json_loadb(b.data, b.len, JSON_ALLOW_NUL, &err);
    if (!j || !json_is_object(j)) {
        fprintf(stderr, "%s log_tx wrote invalid JSON (%s at %d): %.*s\n", o->name, err.text,
                err.position, (int)(b.len > 2000 ? 2000 : b.len), b.data);
        abort();
    }
    json_decref(j);
    if (getenv("VG_FUZZ_PRINT")) /* seeing what a seed reaches: VG_FUZZ_PRINT=1 fuzz_*_replay */
        printf("%.*s\n", (int)b.len, b.data);
    vg_buf_fini(&b);
}

static void fz_app_inspect(const vg_app_ops_t *o, void *tx, bool flow_end)
{
    if (o->get_buffer)
        for (int id = 0; id < VG_BUF_MAX; id++) {
            const uint8_t *d = NULL;
            size_t n = 0;
            if (o->get_buffer(tx, (enum vg_app_buf)id, &d, &n) && n)
                fz_touch(d, n);
        }
    if (o->tx_file) {
        vg_app_file_t file;
        for (size_t i = 0; i < 1024 && o->tx_file(tx, i, flow_end, &file); i++) {
            fz_touch(file.name, file.name_len);
            if (file.data)
                fz_touch(file.data, file.data_len);
            (void)vg_app_file_state_name(file.state);
        }
    }
    if (o->tx_dir) {
        int dir = o->tx_dir(tx);
        if (dir != VG_DIR_TOSERVER && dir != VG_DIR_TOCLIENT)
            abort();
    }
}

/* Walks transactions from *next on as the worker does (src/engine/worker_app.c): logs complete
 * ones in id order, stops at the first incomplete one (its buffers are still inspected, as
 * detection would), then releases what was logged. */
static void fz_app_txs(const vg_app_ops_t *o, void *st, uint64_t *next, bool flow_end)
{
    uint64_t n = o->tx_count(st), start = *next;
    for (; *next < n; (*next)++) {
        void *tx = o->tx_get(st, *next);
        if (!tx)
            continue;
        fz_app_inspect(o, tx, flow_end);
        if (o->state_kw) { /* state keywords (ftpbounce), for the transaction and the state */
            vg_addr_t client = {{10, 1, 1, 1}};
            (void)o->state_kw(st, tx, VG_APP_KW_FTPBOUNCE, &client);
            (void)o->state_kw(st, NULL, VG_APP_KW_FTPBOUNCE, &client);
        }
        if (!o->tx_complete(tx, flow_end))
            break;
        if (o->log_tx)
            fz_app_log(o, tx);
    }
    if (*next > start && o->tx_release)
        o->tx_release(st, *next);
}

static void fz_app_run(enum vg_app_proto proto, bool over_tcp, const uint8_t *data, size_t size)
{
    const vg_app_ops_t *o = vg_app_ops(proto);
    if (!o)
        abort();
    vg_app_config_t cfg;
    vg_app_config_defaults(&cfg);
    cfg.max_tx_per_flow = 64; /* reach the "too many transactions" path with small inputs */
    vg_app_ctx_t ctx = {.now = 1000000, .anomaly = fz_app_anomaly, .cfg = &cfg};
    void *st = o->state_new(over_tcp);
    if (!st)
        return;
    fz_t f = {data, size};
    uint64_t next = 0;
    bool probed[2] = {false, false};
    bool dead = false;
    for (int i = 0; fz_more(&f) && i < 4096; i++) {
        uint8_t ctl = fz_u8(&f);
        int dir = ctl & 1;
        size_t want = fz_u16(&f), len;
        if ((ctl & 2) && o->gap) {
            o->gap(st, dir, want);
        } else {
            const uint8_t *chunk = fz_take(&f, want, &len);
            uint8_t *copy = fz_dup(chunk, len);
            if (!probed[dir] && o->probe) {
                probed[dir] = true;
                (void)o->probe(copy, len, dir);
                (void)vg_app_detect(over_tcp, 1234, 80, copy, len, dir);
            }
            enum vg_app_parse_result r = o->parse(st, dir, copy, len, &ctx);
            free(copy);
            if (r == VG_APP_PARSE_ERROR) {
                dead = true;
                break;
            }
        }
        if (o->packet) /* the worker reports the chunk's packet after its bytes; ctl bit 2:
                        * it acknowledges nothing of the other direction, else everything */
            o->packet(st, dir, (ctl & 4) ? 0 : UINT64_MAX, &ctx);
        ctx.now += 1000;
        fz_app_txs(o, st, &next, false);
        /* the memory count walks every transaction and buffer: it must read only live state,
         * and a state always holds at least its own struct */
        if (o->state_memuse && o->state_memuse(st) == 0)
            abort();
    }
    if (o->end && !dead) /* the flow is over, as the worker ends a parser that did not give up */
        o->end(st, &ctx);
    fz_app_txs(o, st, &next, true);
    o->state_free(st);
}

#endif
