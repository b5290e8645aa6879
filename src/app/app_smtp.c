/* app_smtp.c — SMTP (RFC 5321): commands and replies, transactions, the mail (smtp_mime.c).
 *
 * Detection (as Suricata 7.0.10, compared on generated captures): the client's first bytes
 * start with EHLO, HELO or QUIT (any case), on any port. The server's greeting alone does not
 * decide the flow ("220" is FTP's greeting too); Suricata leaves that direction "failed" as well.
 *
 * Client: command lines up to LF (a CR before it dropped). HELO/EHLO keep their argument (the
 * state's `helo`), MAIL FROM: and RCPT TO: theirs (the rest of the line, leading spaces
 * skipped). DATA switches to the message at once (as Suricata: a rejecting reply switches
 * back): lines up to "." alone, dot-unstuffed, go to the MIME parser. BDAT <size> [LAST]: the
 * next <size> bytes are skipped (Suricata 7.0.10 does not decode them either). RSET ends the
 * transaction at its reply. STARTTLS answered 220: the rest of the flow is TLS; handover()
 * says so and the worker gives the flow to the TLS parser (Suricata's protocol change).
 *
 * Server: replies "ddd text", multi-line "ddd-text"...; each complete reply answers the oldest
 * command not answered yet (commands may be pipelined). The first reply with no command before
 * it is the greeting.
 *
 * Transactions (as Suricata's): a command when there is no transaction, or the last one is
 * complete, opens a new one; a transaction is complete once the reply to the end of its message
 * (the "." of DATA) or to RSET is seen, or at flow end. So EHLO/MAIL/RCPT/DATA/... of a
 * mail are one transaction, and the commands after it (QUIT, the next mail) the next one.
 *
 * Bounds: lines kept up to SMTP_LINE_MAX bytes (the rest of a longer line is skipped; lines
 * over 510 bytes raise MAX_COMMAND_LINE_LEN_EXCEEDED / MAX_REPLY_LINE_LEN_EXCEEDED), at most
 * SMTP_RCPT_MAX recipients and SMTP_PENDING_MAX unanswered commands per flow.
 */
#include "app/smtp_int.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define SMTP_LINE_MAX 4096
#define SMTP_RFC_LINE_MAX 510
#define SMTP_PENDING_MAX 256
#define SMTP_RCPT_MAX 256
#define SMTP_TXS_MAX 1024   /* unreleased transactions; beyond, commands join the last one */

enum smtp_cmd { C_OTHER = 0, C_DATA, C_BDAT, C_STARTTLS, C_DATA_END, C_RSET };
enum smtp_mode { M_CMD = 0, M_DATA, M_BDAT, M_OFF };
/* DATA dot-unstuffing: where in a line the last byte left us */
enum { D_MID = 0, D_BOL, D_DOT, D_DOT_CR };

struct smtp_state;

typedef struct smtp_tx {
    struct smtp_state *st;
    vg_buf_t mail_from;
    bool has_mail_from;
    vg_buf_t rcpt;               /* smtp_list_add() list */
    uint16_t n_rcpt;
    smtp_mime_t *mime;           /* the message, once DATA/BDAT started it */
    bool data_ended;             /* the message is complete; the transaction is at its reply */
    bool reset;                  /* RSET sent; the transaction is complete at its reply */
    bool done;
} smtp_tx_t;

typedef struct smtp_line {
    uint8_t b[SMTP_LINE_MAX];
    size_t len;
    size_t total;                /* bytes of the line, including those not kept */
    bool skip;                   /* after a gap: drop bytes up to the next LF */
} smtp_line_t;

typedef struct smtp_state {
    smtp_tx_t **txs;             /* txs[i] has id base + i */
    size_t n, cap;
    uint64_t base;
    vg_buf_t helo;
    bool has_helo;
    smtp_line_t cl, sl;          /* client and server line assembly */
    uint8_t mode;                /* enum smtp_mode, the client's */
    uint8_t dstate;
    uint64_t bdat_left;
    bool greeting_seen;
    bool tls;                    /* STARTTLS accepted: nothing more is SMTP */
    uint8_t pending[SMTP_PENDING_MAX];
    size_t p_head, p_n;
    vg_buf_t scratch;            /* unstuffed DATA bytes of one parse call */
} smtp_state_t;

static const uint16_t smtp_ports[] = {25, 587, 465, 0};

void smtp_anomaly(vg_app_ctx_t *ctx, const char *ev)
{
    if (ctx && ctx->anomaly)
        ctx->anomaly(ctx->user, VG_APP_SMTP, ev);
}

static bool ci_prefix(const uint8_t *p, size_t n, const char *s)
{
    size_t l = strlen(s);
    if (n < l)
        return false;
    for (size_t i = 0; i < l; i++)
        if (tolower(p[i]) != s[i])
            return false;
    return true;
}

static bool ci_eq(const uint8_t *p, size_t n, const char *s)
{
    return n == strlen(s) && ci_prefix(p, n, s);
}

/* ---- transactions ---- */

static smtp_tx_t *cur_tx(smtp_state_t *st) { return st->n ? st->txs[st->n - 1] : NULL; }

static void tx_free(smtp_tx_t *tx)
{
    if (!tx)
        return;
    vg_buf_fini(&tx->mail_from);
    vg_buf_fini(&tx->rcpt);
    smtp_mime_free(tx->mime);
    free(tx);
}

/* The transaction a command belongs to: the current one, or a new one when there is none or
 * it is complete, or only waits for the reply that completes it (commands pipelined after the
 * end of a message or after RSET belong to the next one, as Suricata completes it there). */
static smtp_tx_t *tx_for_command(smtp_state_t *st)
{
    smtp_tx_t *tx = cur_tx(st);
    if (tx && ((!tx->done && !tx->data_ended && !tx->reset) || st->n >= SMTP_TXS_MAX))
        return tx;
    if (st->n == st->cap) {
        st->cap = st->cap ? st->cap * 2 : 4;
        st->txs = vg_xrealloc(st->txs, st->cap * sizeof *st->txs);
    }
    tx = vg_xcalloc(1, sizeof *tx);
    tx->st = st;
    st->txs[st->n++] = tx;
    return tx;
}

static void pending_push(smtp_state_t *st, uint8_t cmd)
{
    if (st->p_n == SMTP_PENDING_MAX) { /* drop the oldest: replies are out of step anyway */
        st->p_head = (st->p_head + 1) % SMTP_PENDING_MAX;
        st->p_n--;
    }
    st->pending[(st->p_head + st->p_n) % SMTP_PENDING_MAX] = cmd;
    st->p_n++;
}

static bool pending_pop(smtp_state_t *st, uint8_t *cmd)
{
    if (!st->p_n)
        return false;
    *cmd = st->pending[st->p_head];
    st->p_head = (st->p_head + 1) % SMTP_PENDING_MAX;
    st->p_n--;
    return true;
}

/* The argument of a command as Suricata takes it: after the prefix, spaces skipped, up to the
 * next space ("MAIL FROM:<a@b> SIZE=10" gives "<a@b>"). */
static void arg_of(const uint8_t *p, size_t n, size_t skip, const uint8_t **a, size_t *al)
{
    size_t i = VG_MIN(skip, n);
    while (i < n && p[i] == ' ')
        i++;
    size_t e = i;
    while (e < n && p[e] != ' ')
        e++;
    *a = p + i;
    *al = e - i;
}

/* The BDAT size argument: spaces skipped, then digits. */
static void bdat_arg(const uint8_t *p, size_t n, const uint8_t **a, size_t *al)
{
    size_t i = 5;
    while (i < n && p[i] == ' ')
        i++;
    *a = p + i;
    *al = n - i;
}

static void message_start(smtp_state_t *st, smtp_tx_t *tx)
{
    if (!tx->mime || tx->mime->done) {
        smtp_mime_free(tx->mime);
        tx->mime = smtp_mime_new();
    }
    (void)st;
}

static void message_end(smtp_state_t *st, smtp_tx_t *tx, vg_app_ctx_t *ctx)
{
    if (tx->mime)
        smtp_mime_end(tx->mime, ctx);
    tx->data_ended = true;
    pending_push(st, C_DATA_END);
    st->mode = M_CMD;
}

/* A complete client command line (LF and CR removed). */
static void command(smtp_state_t *st, const uint8_t *p, size_t n, vg_app_ctx_t *ctx)
{
    smtp_tx_t *tx = tx_for_command(st);
    const uint8_t *a;
    size_t al;
    uint8_t cmd = C_OTHER;
    if ((ci_prefix(p, n, "helo") || ci_prefix(p, n, "ehlo")) &&
        (n == 4 || p[4] == ' ' || p[4] == '\t')) {
        arg_of(p, n, 5, &a, &al); /* as Suricata: the character after the verb skipped */
        vg_buf_reset(&st->helo);
        vg_buf_append(&st->helo, a, al);
        st->has_helo = true;
    } else if (ci_prefix(p, n, "mail from:")) {
        arg_of(p, n, 10, &a, &al);
        vg_buf_reset(&tx->mail_from);
        vg_buf_append(&tx->mail_from, a, al);
        tx->has_mail_from = true;
    } else if (ci_prefix(p, n, "rcpt to:")) {
        arg_of(p, n, 8, &a, &al);
        if (tx->n_rcpt < SMTP_RCPT_MAX)
            smtp_list_add(&tx->rcpt, &tx->n_rcpt, a, al);
    } else if (ci_eq(p, n, "data")) {
        cmd = C_DATA;
        message_start(st, tx);
        st->mode = M_DATA;
        st->dstate = D_BOL;
    } else if (ci_prefix(p, n, "bdat ")) {
        /* The chunk's bytes are skipped, not decoded: Suricata 7.0.10 does not parse BDAT
         * content into the mail either (no email object, no files, the transaction stays open
         * to flow end; checked with a generated capture), and file.data parity matters more here
         * than decoding what it does not. */
        bdat_arg(p, n, &a, &al);
        uint64_t size = 0;
        size_t i = 0;
        while (i < al && isdigit(a[i]) && size < (UINT64_C(1) << 40))
            size = size * 10 + (uint64_t)(a[i++] - '0');
        if (i > 0 && size > 0) {
            st->bdat_left = size;
            st->mode = M_BDAT;
        }
        cmd = C_BDAT;
    } else if (ci_eq(p, n, "rset")) {
        cmd = C_RSET;
        tx->reset = true;
    } else if (ci_eq(p, n, "starttls")) {
        cmd = C_STARTTLS;
    }
    pending_push(st, cmd);
}

/* A complete reply (its last line) with code. */
static void reply(smtp_state_t *st, int code, vg_app_ctx_t *ctx)
{
    if (!st->greeting_seen) {
        st->greeting_seen = true;
        if (!st->p_n || code == 220)
            return; /* the greeting */
        smtp_anomaly(ctx, "NO_SERVER_WELCOME_MESSAGE");
    }
    uint8_t cmd;
    if (!pending_pop(st, &cmd)) {
        smtp_anomaly(ctx, "UNABLE_TO_MATCH_REPLY_WITH_REQUEST");
        return;
    }
    switch (cmd) {
    case C_DATA:
        if (code != 354) {
            smtp_anomaly(ctx, "DATA_COMMAND_REJECTED");
            if (st->mode == M_DATA)
                st->mode = M_CMD; /* the message (nothing of it) stays: Suricata logs its
                                   * email object with status HEADER_READY */
        }
        break;
    case C_DATA_END:
        for (size_t i = 0; i < st->n; i++) {
            if (st->txs[i]->data_ended && !st->txs[i]->done) {
                st->txs[i]->done = true;
                break;
            }
        }
        break;
    case C_RSET: {
        /* RSET ends the mail transaction (Suricata logs it then); the next command opens a new
         * one */
        for (size_t i = 0; i < st->n; i++) {
            if (st->txs[i]->reset && !st->txs[i]->done) {
                st->txs[i]->done = true;
                break;
            }
        }
        break;
    }
    case C_STARTTLS:
        if (code == 220) {
            st->tls = true;
            st->mode = M_OFF;
        } else {
            smtp_anomaly(ctx, "TLS_REJECTED");
        }
        break;
    default:
        break;
    }
}

static void reply_line(smtp_state_t *st, const uint8_t *p, size_t n, vg_app_ctx_t *ctx)
{
    if (n < 3 || !isdigit(p[0]) || !isdigit(p[1]) || !isdigit(p[2]) ||
        (n > 3 && p[3] != ' ' && p[3] != '-')) {
        smtp_anomaly(ctx, "INVALID_REPLY");
        return;
    }
    if (n > 3 && p[3] == '-')
        return; /* a multi-line reply goes on */
    reply(st, (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0'), ctx);
}

/* Line assembly for one side: calls done() for each complete line; returns the bytes used
 * (it stops early when the client leaves command mode, so the rest is message data). */
static size_t lines(smtp_state_t *st, int dir, const uint8_t *d, size_t n, vg_app_ctx_t *ctx)
{
    smtp_line_t *l = dir == VG_DIR_TOSERVER ? &st->cl : &st->sl;
    size_t i = 0;
    while (i < n) {
        if (dir == VG_DIR_TOSERVER && st->mode != M_CMD)
            break;
        if (dir == VG_DIR_TOCLIENT && st->tls)
            break;
        const uint8_t *nl = memchr(d + i, '\n', n - i);
        size_t end = nl ? (size_t)(nl - d) : n;
        size_t k = end - i;
        if (!l->skip) {
            size_t room = SMTP_LINE_MAX - l->len;
            memcpy(l->b + l->len, d + i, VG_MIN(k, room));
            l->len += VG_MIN(k, room);
        }
        l->total += k;
        i = nl ? end + 1 : n;
        if (!nl)
            break;
        bool skipped = l->skip;
        size_t len = l->len, total = l->total;
        l->len = l->total = 0;
        l->skip = false;
        if (skipped)
            continue;
        if (len && l->b[len - 1] == '\r')
            len--, total--;
        if (total > SMTP_RFC_LINE_MAX)
            smtp_anomaly(ctx, dir == VG_DIR_TOSERVER ? "MAX_COMMAND_LINE_LEN_EXCEEDED"
                                                     : "MAX_REPLY_LINE_LEN_EXCEEDED");
        if (dir == VG_DIR_TOSERVER)
            command(st, l->b, len, ctx);
        else
            reply_line(st, l->b, len, ctx);
    }
    return i;
}

/* DATA bytes: dot-unstuffed into the message up to the "." line. Returns the bytes used. */
static size_t data_bytes(smtp_state_t *st, const uint8_t *d, size_t n, vg_app_ctx_t *ctx)
{
    smtp_tx_t *tx = cur_tx(st);
    vg_buf_t *o = &st->scratch;
    vg_buf_reset(o);
    size_t i = 0;
    bool end = false;
    while (i < n && !end) {
        uint8_t c = d[i++];
        switch (st->dstate) {
        case D_BOL:
            if (c == '.') {
                st->dstate = D_DOT;
                continue;
            }
            break;
        case D_DOT:
            if (c == '\n') {
                end = true;
                continue;
            }
            if (c == '\r') {
                st->dstate = D_DOT_CR;
                continue;
            }
            break; /* "..x": the first dot is dropped */
        case D_DOT_CR:
            if (c == '\n') {
                end = true;
                continue;
            }
            vg_buf_putc(o, '\r');
            break;
        default:
            break;
        }
        vg_buf_putc(o, (char)c);
        st->dstate = c == '\n' ? D_BOL : D_MID;
    }
    if (tx && tx->mime)
        smtp_mime_feed(tx->mime, (const uint8_t *)o->data, o->len, ctx);
    if (end && tx)
        message_end(st, tx, ctx);
    return i;
}

static size_t bdat_bytes(smtp_state_t *st, size_t n)
{
    size_t k = (size_t)VG_MIN((uint64_t)n, st->bdat_left);
    st->bdat_left -= k;
    if (st->bdat_left == 0)
        st->mode = M_CMD;
    return k;
}

/* ---- ops ---- */

static int smtp_probe(const uint8_t *p, size_t len, int dir)
{
    if (dir != VG_DIR_TOSERVER)
        return 0;
    static const char *const words[] = {"ehlo", "helo", "quit"};
    size_t k = VG_MIN(len, (size_t)4);
    for (size_t w = 0; w < 3; w++) {
        bool m = true;
        for (size_t i = 0; i < k && m; i++)
            m = tolower(p[i]) == words[w][i];
        if (m)
            return len >= 4 ? 1 : -1;
    }
    return 0;
}

static void *smtp_state_new(bool over_tcp)
{
    (void)over_tcp;
    return vg_xcalloc(1, sizeof(smtp_state_t));
}

static void smtp_state_free(void *state)
{
    smtp_state_t *st = state;
    if (!st)
        return;
    for (size_t i = 0; i < st->n; i++)
        tx_free(st->txs[i]);
    free(st->txs);
    vg_buf_fini(&st->helo);
    vg_buf_fini(&st->scratch);
    free(st);
}

static enum vg_app_parse_result smtp_parse(void *state, int dir, const uint8_t *data, size_t len,
                                           vg_app_ctx_t *ctx)
{
    smtp_state_t *st = state;
    if (dir != VG_DIR_TOSERVER && dir != VG_DIR_TOCLIENT)
        return VG_APP_PARSE_ERROR;
    while (len && !st->tls) {
        size_t used;
        if (dir == VG_DIR_TOCLIENT)
            used = lines(st, dir, data, len, ctx);
        else if (st->mode == M_DATA)
            used = data_bytes(st, data, len, ctx);
        else if (st->mode == M_BDAT)
            used = bdat_bytes(st, len);
        else if (st->mode == M_CMD)
            used = lines(st, dir, data, len, ctx);
        else
            break;
        if (!used && dir == VG_DIR_TOCLIENT)
            break;
        data += used, len -= used;
    }
    if (st->scratch.cap > 64 * 1024)
        vg_buf_fini(&st->scratch); /* not kept large between calls */
    return VG_APP_PARSE_OK;
}

/* Lost bytes: the line in progress is dropped (and the rest of it, up to its LF); in a message
 * the attachments get gaps and are not decoded further. */
static void smtp_gap(void *state, int dir, size_t len)
{
    smtp_state_t *st = state;
    if (dir == VG_DIR_TOCLIENT) {
        st->sl.len = st->sl.total = 0;
        st->sl.skip = true;
        return;
    }
    if (dir != VG_DIR_TOSERVER)
        return;
    smtp_tx_t *tx = cur_tx(st);
    if (st->mode == M_DATA) {
        if (tx && tx->mime)
            smtp_mime_gap(tx->mime);
        st->dstate = D_MID;
        return;
    }
    if (st->mode == M_BDAT) {
        bdat_bytes(st, len);
        return;
    }
    st->cl.len = st->cl.total = 0;
    st->cl.skip = true;
}

static void smtp_end(void *state, vg_app_ctx_t *ctx)
{
    smtp_state_t *st = state;
    for (size_t i = 0; i < st->n; i++)
        if (st->txs[i]->mime)
            smtp_mime_flow_end(st->txs[i]->mime, ctx);
}

static uint64_t smtp_tx_count(void *state)
{
    smtp_state_t *st = state;
    return st->base + st->n;
}

static void *smtp_tx_get(void *state, uint64_t id)
{
    smtp_state_t *st = state;
    if (id < st->base || id - st->base >= st->n)
        return NULL;
    return st->txs[id - st->base];
}

static bool smtp_tx_complete(void *txp, bool flow_end)
{
    const smtp_tx_t *tx = txp;
    return flow_end || tx->done;
}

static void smtp_tx_release(void *state, uint64_t upto)
{
    smtp_state_t *st = state;
    size_t k = 0;
    while (k < st->n && st->base + k < upto && st->txs[k]->done)
        k++;
    /* the current transaction is kept while it may still grow */
    for (size_t i = 0; i < k; i++)
        tx_free(st->txs[i]);
    memmove(st->txs, st->txs + k, (st->n - k) * sizeof *st->txs);
    st->n -= k;
    st->base += k;
}

static void log_list(vg_jw_t *w, const char *key, const vg_buf_t *b, size_t count)
{
    if (!count)
        return;
    vg_jw_key(w, key);
    vg_jw_arr_open(w);
    size_t off = 0, n;
    const char *p;
    while (smtp_list_next(b, &off, &p, &n))
        vg_jw_strn(w, p, n);
    vg_jw_arr_close(w);
}

static void smtp_log_tx(void *txp, vg_jw_t *w)
{
    const smtp_tx_t *tx = txp;
    const smtp_state_t *st = tx->st;
    vg_jw_obj_open(w);
    if (st->has_helo) {
        vg_jw_key(w, "helo");
        vg_jw_strn(w, st->helo.data ? st->helo.data : "", st->helo.len);
    }
    if (tx->has_mail_from) {
        vg_jw_key(w, "mail_from");
        vg_jw_strn(w, tx->mail_from.data ? tx->mail_from.data : "", tx->mail_from.len);
    }
    log_list(w, "rcpt_to", &tx->rcpt, tx->n_rcpt);
    vg_jw_obj_close(w);
    const smtp_mime_t *m = tx->mime;
    if (!m)
        return;
    /* Suricata writes the message as a sibling object "email" */
    vg_jw_key(w, "email");
    vg_jw_obj_open(w);
    vg_jw_kv_str(w, "status", smtp_mime_status(m));
    if (m->from.len) {
        vg_jw_key(w, "from");
        vg_jw_strn(w, m->from.data, m->from.len);
    }
    log_list(w, "to", &m->to, m->n_to);
    log_list(w, "cc", &m->cc, m->n_cc);
    if (m->n_top_urls) { /* the message's own URLs come with Suricata's flags */
        vg_jw_kv_bool(w, "has_ipv6_url", m->url_ip6);
        vg_jw_kv_bool(w, "has_ipv4_url", m->url_ip4);
        vg_jw_kv_bool(w, "has_exe_url", m->url_exe);
        log_list(w, "url", &m->top_urls, m->n_top_urls);
    }
    /* Parts only, as Suricata lists them: not a message that is itself a file; and none of a
     * multipart message the flow's end cut short (Suricata logs only the entity it was in then;
     * ndpi_emotet.pcap). */
    bool parts = m->done || m->top;
    bool any = false;
    for (size_t i = 0; parts && i < m->n_files; i++) {
        if (m->files[i].top || m->files[i].state != VG_APP_FILE_CLOSED)
            continue;
        if (!any) {
            vg_jw_key(w, "attachment");
            vg_jw_arr_open(w);
            any = true;
        }
        vg_jw_strn(w, m->files[i].name, m->files[i].name_len);
    }
    if (any)
        vg_jw_arr_close(w);
    if (parts)
        log_list(w, "url", &m->part_urls, m->n_part_urls);
    vg_jw_obj_close(w);
}

static bool smtp_get_buffer_multi(void *txp, enum vg_app_buf buf, uint32_t idx,
                                  const uint8_t **data, size_t *len)
{
    const smtp_tx_t *tx = txp;
    if (buf != VG_BUF_SMTP_FILE_DATA || !tx->mime || idx >= tx->mime->n_files)
        return false;
    const vg_buf_t *b = &tx->mime->files[idx].data;
    *data = (const uint8_t *)(b->data ? b->data : "");
    *len = b->len;
    return true;
}

static bool smtp_get_buffer(void *txp, enum vg_app_buf buf, const uint8_t **data, size_t *len)
{
    return smtp_get_buffer_multi(txp, buf, 0, data, len);
}

static bool smtp_tx_file(void *txp, size_t i, bool flow_end, vg_app_file_t *out)
{
    const smtp_tx_t *tx = txp;
    if (!tx->mime || i >= tx->mime->n_files)
        return false;
    const smtp_file_t *f = &tx->mime->files[i];
    memset(out, 0, sizeof *out);
    out->name = (const uint8_t *)f->name;
    out->name_len = f->name_len;
    out->dir = VG_DIR_TOSERVER;
    out->size = f->size;
    out->gaps = f->gaps;
    out->state = (enum vg_app_file_state)f->state;
    if (flow_end && out->state == VG_APP_FILE_OPEN)
        out->state = VG_APP_FILE_TRUNCATED;
    out->data = (const uint8_t *)f->data.data;
    out->data_len = f->data.len;
    return true;
}

/* After an accepted STARTTLS the flow is TLS (Suricata changes the flow's protocol there). */
static enum vg_app_proto smtp_handover(const void *state)
{
    const smtp_state_t *st = state;
    return st->tls ? VG_APP_TLS : VG_APP_UNKNOWN;
}

static size_t smtp_state_memuse(const void *state)
{
    const smtp_state_t *st = state;
    size_t n = sizeof *st + st->cap * sizeof *st->txs + st->helo.cap + st->scratch.cap;
    for (size_t i = 0; i < st->n; i++) {
        const smtp_tx_t *tx = st->txs[i];
        n += sizeof *tx + tx->mail_from.cap + tx->rcpt.cap;
        if (tx->mime)
            n += smtp_mime_memuse(tx->mime);
    }
    return n;
}

const vg_app_ops_t vg_app_smtp_ops = {
    .name = "smtp",
    .id = VG_APP_SMTP,
    .over_tcp = true,
    .over_udp = false,
    .ports = smtp_ports,
    .probe = smtp_probe,
    .state_new = smtp_state_new,
    .state_free = smtp_state_free,
    .parse = smtp_parse,
    .gap = smtp_gap,
    .end = smtp_end,
    .tx_count = smtp_tx_count,
    .tx_get = smtp_tx_get,
    .tx_complete = smtp_tx_complete,
    .log_tx = smtp_log_tx,
    .tx_release = smtp_tx_release,
    .state_memuse = smtp_state_memuse,
    .handover = smtp_handover,
    .get_buffer = smtp_get_buffer,
    .get_buffer_multi = smtp_get_buffer_multi,
    .multi_buf = VG_BUF_SMTP_FILE_DATA,
    .tx_file = smtp_tx_file,
};
