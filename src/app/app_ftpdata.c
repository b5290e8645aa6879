/* app_ftpdata.c — FTP data connections (Suricata's "ftp-data"): a TCP flow an FTP control
 * connection announced (RETR/STOR after PORT/EPRT/PASV/EPSV, see app_ftp.c) carries one file.
 *
 * No detection of its own: the worker starts this parser on a flow that matches an expectation
 * (same two addresses, responder port = the negotiated port). One transaction per flow: the
 * file's name and the command, logged as EVE "ftp_data"; the bytes sent in the announced
 * direction are the file, logged as a "fileinfo" event (CLOSED at flow end; Suricata closes it
 * at the end of that direction's stream). docs/APP_FTP.md.
 */
#include "app/app.h"

#include <stdlib.h>
#include <string.h>

typedef struct ftpdata_state {
    vg_app_expect_t e;          /* data[0]: 0 RETR, 1 STOR; then the file name */
    bool have;                  /* started from an expectation */
    uint64_t size;
    bool gaps;
} ftpdata_state_t;

static void *ftpdata_state_new(bool over_tcp)
{
    (void)over_tcp;
    return vg_xcalloc(1, sizeof(ftpdata_state_t));
}

static void ftpdata_state_free(void *state) { free(state); }

static void ftpdata_expect_init(void *state, const vg_app_expect_t *e)
{
    ftpdata_state_t *st = state;
    st->e = *e;
    if (st->e.len > sizeof st->e.data)
        st->e.len = sizeof st->e.data;
    st->have = st->e.len >= 1;
}

static enum vg_app_parse_result ftpdata_parse(void *state, int dir, const uint8_t *data,
                                              size_t len, vg_app_ctx_t *ctx)
{
    (void)data;
    (void)ctx;
    ftpdata_state_t *st = state;
    if (!st->have)
        return VG_APP_PARSE_ERROR;
    if (dir == st->e.dir)
        st->size += len;
    return VG_APP_PARSE_OK;
}

static void ftpdata_gap(void *state, int dir, size_t len)
{
    ftpdata_state_t *st = state;
    if (dir == st->e.dir)
        st->gaps = true;
    (void)len;
}

static uint64_t ftpdata_tx_count(void *state) { return ((ftpdata_state_t *)state)->have ? 1 : 0; }

static void *ftpdata_tx_get(void *state, uint64_t id)
{
    ftpdata_state_t *st = state;
    return id == 0 && st->have ? st : NULL;
}

static bool ftpdata_tx_complete(void *tx, bool flow_end)
{
    (void)tx;
    return flow_end;
}

static void ftpdata_log_tx(void *tx, vg_jw_t *w)
{
    const ftpdata_state_t *st = tx;
    vg_jw_obj_open(w);
    vg_jw_key(w, "filename");
    vg_jw_strn(w, st->e.data + 1, st->e.len - 1u);
    vg_jw_kv_str(w, "command", st->e.data[0] ? "STOR" : "RETR");
    vg_jw_obj_close(w);
}

static bool ftpdata_tx_file(void *tx, size_t i, bool flow_end, vg_app_file_t *out)
{
    const ftpdata_state_t *st = tx;
    if (i != 0 || !st->have)
        return false;
    memset(out, 0, sizeof *out);
    out->name = st->e.data + 1;
    out->name_len = st->e.len - 1u;
    out->dir = st->e.dir;
    out->size = st->size;
    out->gaps = st->gaps;
    out->state = flow_end ? VG_APP_FILE_CLOSED : VG_APP_FILE_OPEN;
    return true;
}

static bool ftpdata_get_buffer(void *tx, enum vg_app_buf buf, const uint8_t **data, size_t *len)
{
    (void)tx;
    (void)buf;
    (void)data;
    (void)len;
    return false;
}

/* ftpdata_command: the command that announced this data connection. */
static bool ftpdata_state_kw(const void *state, const void *tx, int kw, const vg_addr_t *client)
{
    (void)tx;
    (void)client;
    const ftpdata_state_t *st = state;
    if (!st->have)
        return false;
    return (kw == VG_APP_KW_FTPDATA_RETR && st->e.data[0] == 0) ||
           (kw == VG_APP_KW_FTPDATA_STOR && st->e.data[0] == 1);
}

static size_t ftpdata_state_memuse(const void *state)
{
    (void)state;
    return sizeof(ftpdata_state_t);
}

const vg_app_ops_t vg_app_ftpdata_ops = {
    .name = "ftp-data",
    .eve_name = "ftp_data",
    .fileinfo_bare = true,
    .id = VG_APP_FTP_DATA,
    .over_tcp = true,
    .over_udp = false,
    .state_new = ftpdata_state_new,
    .state_free = ftpdata_state_free,
    .expect_init = ftpdata_expect_init,
    .parse = ftpdata_parse,
    .gap = ftpdata_gap,
    .tx_count = ftpdata_tx_count,
    .tx_get = ftpdata_tx_get,
    .tx_complete = ftpdata_tx_complete,
    .log_tx = ftpdata_log_tx,
    .state_memuse = ftpdata_state_memuse,
    .get_buffer = ftpdata_get_buffer,
    .tx_file = ftpdata_tx_file,
    .state_kw = ftpdata_state_kw,
};
