/* app_ftp.c — FTP control connections (RFC 959, 2428): commands and replies as transactions,
 * the data-connection port each PORT/EPRT/PASV/EPSV negotiates, EVE "ftp" events.
 *
 * The semantics are Suricata 7's (checked side by side with Suricata 7.0.10 on generated and
 * real captures, docs/APP_FTP.md), including its quirks, because EVE consumers and rules expect them:
 *
 * Lines: each direction is cut at LF (a CR before it dropped); a line is kept up to 4096 bytes,
 *   the rest of it dropped (request_command_too_long / response_command_too_long anomalies, the
 *   transaction's *_truncated flag). Trailing whitespace is trimmed from what is logged.
 * Requests: a line containing a known command name (case-insensitive, anywhere in the line; the
 *   one ending first wins) opens a transaction; its command_data is the line after the
 *   command's length plus one, counted from the line's start. Other lines open nothing and make
 *   the next replies' transaction commandless. RETR/STOR with no negotiated data port (or a line
 *   shorter than 6) ends parsing of the flow, as in Suricata; with one, it announces the data
 *   connection (expect_take: the worker gives that flow to app_ftpdata.c).
 * Replies: a line goes to the oldest transaction still waiting for its reply, else to the last
 *   transaction if the same batch completed it (see below), else to a new commandless one (a
 *   greeting, an unsolicited line). A 1yz line (positive preliminary) keeps the transaction open;
 *   any other line completes it. The reply to PORT/EPRT (whatever it says) and a 227/229 reply
 *   to PASV/EPSV set the dynamic port; a PORT/EPRT line that does not parse leaves the reply
 *   unrecorded. A 234 reply to AUTH TLS ends parsing: the rest is TLS (Suricata switches the
 *   flow to its TLS parser; Vigil marks the payload encrypted and does not parse TLS there).
 * Batches: Suricata (IDS mode) parses a direction's bytes once the peer acknowledged them, and
 *   frees a completed transaction after that packet: server lines acknowledged together join
 *   the transaction the first of them completed, lines acknowledged by a later client packet
 *   do not. So bytes are kept (ftp_parse) until the worker reports a packet of the other role
 *   acknowledging them (ftp_packet), then parsed as one batch; what remains is parsed at flow
 *   end (ftp_end). A transaction completed in a batch is final when the batch ends.
 */
#include "app/app.h"
#include "common/buf.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define FTP_LINE_MAX 4096
#define FTP_MAX_TX 1024 /* transactions kept waiting (Suricata's ftp max-tx) */
/* Reply text kept per transaction: a server's lines join the last transaction until the
 * client's next packet, so without a bound one flow could grow without end. Past it lines are
 * dropped and the transaction logs reply_truncated (Suricata keeps them all). */
#define FTP_MAX_REPLY_BYTES (1u << 20)
/* Bytes kept per direction waiting for the peer's acknowledgement; past this the oldest are
 * parsed at once (a one-sided capture, a peer that never acknowledges). */
#define FTP_PEND_MAX (256u * 1024)

enum {
    C_PORT, C_EPRT, C_AUTH_TLS, C_PASV, C_RETR, C_EPSV, C_STOR, C_ABOR, C_ACCT, C_ALLO, C_APPE,
    C_CDUP, C_CHMOD, C_CWD, C_DELE, C_HELP, C_IDLE, C_LIST, C_MAIL, C_MDTM, C_MKD, C_MLFL, C_MODE,
    C_MRCP, C_MRSQ, C_MSAM, C_MSND, C_MSOM, C_NLST, C_NOOP, C_PASS, C_PWD, C_QUIT, C_REIN, C_REST,
    C_RMD, C_RNFR, C_RNTO, C_SITE, C_SIZE, C_SMNT, C_STAT, C_STOU, C_STRU, C_SYST, C_TYPE, C_UMASK,
    C_USER, C_N,
};
/* Suricata's command table (its names are what EVE logs) */
static const char *const cmd_names[C_N] = {
    "PORT", "EPRT", "AUTH TLS", "PASV", "RETR", "EPSV", "STOR", "ABOR", "ACCT", "ALLO", "APPE",
    "CDUP", "CHMOD", "CWD", "DELE", "HELP", "IDLE", "LIST", "MAIL", "MDTM", "MKD", "MLFL", "MODE",
    "MRCP", "MRSQ", "MSAM", "MSND", "MSOM", "NLST", "NOOP", "PASS", "PWD", "QUIT", "REIN", "REST",
    "RMD", "RNFR", "RNTO", "SITE", "SIZE", "SMNT", "STAT", "STOU", "STRU", "SYST", "TYPE", "UMASK",
    "USER",
};
#define C_NONE (-1)

typedef struct ftp_str {
    char *s;
    uint32_t len;
    bool truncated;
} ftp_str_t;

typedef struct ftp_tx {
    int cmd;                    /* C_*, or C_NONE (a reply without a known command) */
    ftp_str_t req;              /* the request line, trimmed */
    ftp_str_t *rep;             /* reply lines, trimmed */
    uint32_t n_rep, cap_rep;
    bool done;                  /* a final (non-1yz) reply line came */
    bool final;                 /* done in an earlier batch: nothing joins it now */
    bool active;
    bool rep_dropped;           /* reply lines past FTP_MAX_REPLY_BYTES were not kept */
    uint32_t rep_bytes;
    uint16_t dyn_port;
} ftp_tx_t;

typedef struct ftp_line {
    char buf[FTP_LINE_MAX];
    uint32_t len;
    bool truncated;             /* past FTP_LINE_MAX: the rest of the line is dropped */
} ftp_line_t;

typedef struct ftp_state {
    ftp_line_t line[2];
    vg_buf_t pend[2];           /* bytes not acknowledged by the peer yet, per direction */
    uint64_t pend_off[2];       /* stream offset of pend[dir]'s first byte */
    ftp_tx_t **txs;             /* transactions base .. base+n-1 (released ones are gone) */
    uint64_t base;
    uint32_t n, cap;
    int command;                /* the last request's command (C_NONE: unknown) */
    char *port_line;            /* the last PORT/EPRT line as sent */
    uint32_t port_line_len;
    uint16_t dyn_port;          /* negotiated, not yet used by RETR/STOR */
    bool active;
    bool dead;                  /* parsing stopped (RETR/STOR without port, gap) */
    bool tls;                   /* AUTH TLS accepted: the rest is encrypted */
    /* data connections announced by RETR/STOR, not yet taken by the worker (ftp-data) */
    vg_app_expect_t expect[4];
    uint8_t n_expect;
} ftp_state_t;

static const uint16_t ftp_ports[] = {21, 0};

static void anomaly(vg_app_ctx_t *ctx, const char *ev)
{
    if (ctx && ctx->anomaly)
        ctx->anomaly(ctx->user, VG_APP_FTP, ev);
}

static void str_set(ftp_str_t *d, const char *s, uint32_t n, bool truncated)
{
    while (n && isspace((unsigned char)s[n - 1]))
        n--;
    d->s = vg_xmalloc(n + 1);
    memcpy(d->s, s, n);
    d->s[n] = 0;
    d->len = n;
    d->truncated = truncated;
}

static void tx_free(ftp_tx_t *tx)
{
    if (!tx)
        return;
    free(tx->req.s);
    for (uint32_t i = 0; i < tx->n_rep; i++)
        free(tx->rep[i].s);
    free(tx->rep);
    free(tx);
}

static ftp_tx_t *tx_new(ftp_state_t *st)
{
    if (st->n >= FTP_MAX_TX)
        return NULL;
    if (st->n == st->cap) {
        st->cap = st->cap ? 2 * st->cap : 8;
        st->txs = vg_xrealloc(st->txs, st->cap * sizeof *st->txs);
    }
    ftp_tx_t *tx = vg_xcalloc(1, sizeof *tx);
    tx->cmd = C_NONE;
    st->txs[st->n++] = tx;
    return tx;
}

/* The command a request line carries: the known name (case-insensitive) whose first occurrence
 * in the line ends first, the table's first on a tie (Suricata looks them up with a
 * multi-pattern search over the line). One pass: at each end position only the names ending
 * with that letter are compared. */
static int find_command(const char *s, uint32_t n)
{
    uint64_t by_last[26] = {0};
    uint8_t len[C_N];
    for (int c = 0; c < C_N; c++) {
        len[c] = (uint8_t)strlen(cmd_names[c]);
        by_last[cmd_names[c][len[c] - 1] - 'A'] |= 1ULL << c;
    }
    for (uint32_t e = 1; e <= n; e++) {
        int u = toupper((unsigned char)s[e - 1]);
        if (u < 'A' || u > 'Z')
            continue;
        for (uint64_t m = by_last[u - 'A']; m; m &= m - 1) {
            int c = __builtin_ctzll(m);
            if (len[c] <= e && strncasecmp(s + e - len[c], cmd_names[c], len[c]) == 0)
                return c;
        }
    }
    return C_NONE;
}

/* ---- data port parsing (the reply to PORT/EPRT, 227 and 229 replies) ---- */

/* Up to 3 decimal digits as a byte; advances *p. */
static bool u8_at(const char **p, const char *end, uint32_t *v)
{
    const char *q = *p;
    uint32_t x = 0;
    while (q < end && isdigit((unsigned char)*q) && q - *p < 4)
        x = x * 10 + (uint32_t)(*q++ - '0');
    if (q == *p || x > 255 || (q < end && isdigit((unsigned char)*q)))
        return false;
    *p = q;
    *v = x;
    return true;
}

/* "h1,h2,h3,h4,p1,p2" at p: the port p1*256+p2, 0 when malformed. */
static uint16_t six_numbers(const char *p, const char *end, const char **after)
{
    uint32_t v[6];
    for (int i = 0; i < 6; i++) {
        if (i && (p >= end || *p++ != ','))
            return 0;
        if (!u8_at(&p, end, &v[i]))
            return 0;
    }
    *after = p;
    return (uint16_t)(v[4] * 256 + v[5]);
}

/* "PORT h1,h2,h3,h4,p1,p2" (PORT in capitals, as Suricata's parser wants it). */
static uint16_t parse_port(const char *s, uint32_t n)
{
    const char *end = s + n, *after = NULL;
    if (!s || n < 5 || memcmp(s, "PORT ", 5) != 0)
        return 0;
    uint16_t port = six_numbers(s + 5, end, &after);
    return after == end ? port : 0;
}

/* "EPRT <d><af><d><address><d><port><d>" */
static uint16_t parse_eprt(const char *s, uint32_t n)
{
    if (!s || n < 6 || memcmp(s, "EPRT ", 5) != 0)
        return 0;
    const char *p = s + 5, *end = s + n;
    char d = *p++;
    if (p >= end || !isdigit((unsigned char)*p))
        return 0;
    while (p < end && isdigit((unsigned char)*p))
        p++;
    if (p >= end || *p++ != d)
        return 0;
    while (p < end && *p != d)
        p++;
    if (p >= end)
        return 0;
    p++;
    uint32_t port = 0;
    const char *q = p;
    while (p < end && isdigit((unsigned char)*p) && port <= 65535)
        port = port * 10 + (uint32_t)(*p++ - '0');
    if (p == q || p >= end || *p != d || port > 65535)
        return 0;
    return (uint16_t)port;
}

/* "227 text (h1,h2,h3,h4,p1,p2)..." */
static uint16_t parse_pasv(const char *s, uint32_t n)
{
    const char *end = s + n, *p = memchr(s, '(', n), *after = NULL;
    if (!p)
        return 0;
    uint16_t port = six_numbers(p + 1, end, &after);
    return port && after < end && *after == ')' ? port : 0;
}

/* "229 text (|||port|)" */
static uint16_t parse_epsv(const char *s, uint32_t n)
{
    const char *end = s + n;
    for (const char *p = s; p + 3 <= end; p++) {
        if (memcmp(p, "|||", 3) != 0)
            continue;
        p += 3;
        uint32_t port = 0;
        const char *q = p;
        while (p < end && isdigit((unsigned char)*p) && port <= 65535)
            port = port * 10 + (uint32_t)(*p++ - '0');
        if (p == q || port > 65535 || end - p < 2 || p[0] != '|' || p[1] != ')')
            return 0;
        return (uint16_t)port;
    }
    return 0;
}

/* ---- lines ---- */

static enum vg_app_parse_result request_line(ftp_state_t *st, const char *s, uint32_t n,
                                             bool truncated)
{
    int c = find_command(s, n);
    st->command = c;
    if (c == C_NONE)
        return VG_APP_PARSE_OK;
    ftp_tx_t *tx = tx_new(st);
    if (!tx)
        return VG_APP_PARSE_ERROR; /* too many waiting: Suricata gives up too */
    tx->cmd = c;
    str_set(&tx->req, s, n, truncated);
    if (c == C_PORT || c == C_EPRT) {
        free(st->port_line);
        st->port_line = vg_xmalloc(n ? n : 1);
        memcpy(st->port_line, s, n);
        st->port_line_len = n;
    } else if (c == C_RETR || c == C_STOR) {
        if (st->dyn_port == 0 || n < 6)
            return VG_APP_PARSE_ERROR; /* Suricata gives up on the flow here */
        /* the data connection (docs/APP_FTP.md, "ftp-data"): to the negotiated port, the file
         * named by the rest of the line; its data goes from the data flow's initiator unless
         * the server sends a file in passive mode or receives one in active mode */
        if (st->n_expect < VG_ARRAY_LEN(st->expect)) {
            vg_app_expect_t *e = &st->expect[st->n_expect++];
            memset(e, 0, sizeof *e);
            e->dport = st->dyn_port;
            e->proto = VG_APP_FTP_DATA;
            e->dir = (st->active && c == C_STOR) || (!st->active && c == C_RETR)
                         ? VG_DIR_TOCLIENT : VG_DIR_TOSERVER;
            uint32_t k = VG_MIN(n - 5, (uint32_t)sizeof e->data - 1);
            e->data[0] = c == C_RETR ? 0 : 1;
            memcpy(e->data + 1, s + 5, k);
            e->len = (uint16_t)(k + 1);
        }
        st->dyn_port = 0;
        st->active = false;
    }
    return VG_APP_PARSE_OK;
}

static ftp_tx_t *reply_tx(ftp_state_t *st)
{
    for (uint32_t i = 0; i < st->n; i++)
        if (!st->txs[i]->done)
            return st->txs[i];
    if (st->n && !st->txs[st->n - 1]->final)
        return st->txs[st->n - 1];
    return tx_new(st);
}

static enum vg_app_parse_result reply_line(ftp_state_t *st, const char *s, uint32_t n,
                                           bool truncated)
{
    ftp_tx_t *tx = reply_tx(st);
    if (!tx)
        return VG_APP_PARSE_ERROR;
    if (st->command == C_NONE)
        tx->cmd = C_NONE;
    uint16_t port;
    switch (st->command) {
    case C_AUTH_TLS:
        if (n >= 4 && memcmp(s, "234 ", 4) == 0)
            st->tls = true;
        break;
    case C_EPRT:
    case C_PORT:
        port = st->command == C_PORT ? parse_port(st->port_line, st->port_line_len)
                                     : parse_eprt(st->port_line, st->port_line_len);
        if (port == 0) {
            tx->done = true; /* Suricata records no reply then */
            return VG_APP_PARSE_OK;
        }
        st->dyn_port = tx->dyn_port = port;
        st->active = tx->active = true;
        break;
    case C_PASV:
    case C_EPSV:
        if (n >= 4 && memcmp(s, st->command == C_PASV ? "227 " : "229 ", 4) == 0) {
            port = st->command == C_PASV ? parse_pasv(s, n) : parse_epsv(s, n);
            if (port) {
                st->dyn_port = tx->dyn_port = port;
                st->active = tx->active = false;
            }
        }
        break;
    default:
        break;
    }
    if (n && tx->rep_bytes + n > FTP_MAX_REPLY_BYTES) {
        tx->rep_dropped = true;
    } else if (n) {
        tx->rep_bytes += n;
        if (tx->n_rep == tx->cap_rep) {
            tx->cap_rep = tx->cap_rep ? 2 * tx->cap_rep : 2;
            tx->rep = vg_xrealloc(tx->rep, tx->cap_rep * sizeof *tx->rep);
        }
        str_set(&tx->rep[tx->n_rep++], s, n, truncated);
    }
    /* 1yz: positive preliminary reply, another one follows */
    bool ppr = n >= 4 && s[0] == '1' && isdigit((unsigned char)s[1]) &&
               isdigit((unsigned char)s[2]) && isspace((unsigned char)s[3]);
    if (!ppr)
        tx->done = true;
    return VG_APP_PARSE_OK;
}

/* ---- ops ---- */

static bool ci_prefix(const uint8_t *p, size_t len, const char *pat, int *r)
{
    size_t k = strlen(pat), m = VG_MIN(len, k);
    for (size_t i = 0; i < m; i++)
        if (tolower(p[i]) != tolower((unsigned char)pat[i]))
            return false;
    *r = len >= k ? 1 : -1;
    return true;
}

/* Suricata's patterns: "220 (" from the server (vsftpd's greeting); "USER ", "PASS ", "PORT ",
 * "FEAT" from the client, all case-insensitive at the start. Other greetings ("220 " is SMTP's
 * too) leave the decision to the client's first command. */
static int ftp_probe(const uint8_t *p, size_t len, int dir)
{
    static const char *const ts[] = {"USER ", "PASS ", "PORT ", "FEAT"};
    int r = 0;
    if (dir == VG_DIR_TOCLIENT)
        return ci_prefix(p, len, "220 (", &r) ? r : 0;
    for (size_t i = 0; i < VG_ARRAY_LEN(ts); i++) {
        int k;
        if (ci_prefix(p, len, ts[i], &k)) {
            if (k == 1)
                return 1;
            r = -1;
        }
    }
    return r;
}

static void *ftp_state_new(bool over_tcp)
{
    (void)over_tcp;
    ftp_state_t *st = vg_xcalloc(1, sizeof *st);
    st->command = C_NONE;
    vg_buf_init(&st->pend[0], 0);
    vg_buf_init(&st->pend[1], 0);
    return st;
}

static void ftp_state_free(void *state)
{
    ftp_state_t *st = state;
    if (!st)
        return;
    for (uint32_t i = 0; i < st->n; i++)
        tx_free(st->txs[i]);
    free(st->txs);
    free(st->port_line);
    vg_buf_fini(&st->pend[0]);
    vg_buf_fini(&st->pend[1]);
    free(st);
}

/* Parses a batch of one direction's bytes. */
static void process(ftp_state_t *st, int dir, const uint8_t *data, size_t len, vg_app_ctx_t *ctx)
{
    ftp_line_t *l = &st->line[dir];
    for (size_t i = 0; i < len && !st->dead && !st->tls; i++) {
        uint8_t c = data[i];
        if (c != '\n') {
            if (l->len < FTP_LINE_MAX)
                l->buf[l->len++] = (char)c;
            else
                l->truncated = true;
            continue;
        }
        uint32_t n = l->len;
        if (n && l->buf[n - 1] == '\r' && !l->truncated)
            n--;
        bool tr = l->truncated;
        l->len = 0;
        l->truncated = false;
        if (tr)
            anomaly(ctx, dir == VG_DIR_TOSERVER ? "request_command_too_long"
                                                : "response_command_too_long");
        enum vg_app_parse_result r = dir == VG_DIR_TOSERVER ? request_line(st, l->buf, n, tr)
                                                            : reply_line(st, l->buf, n, tr);
        if (r == VG_APP_PARSE_ERROR)
            st->dead = true;
    }
}

/* The end of a batch: what it completed is final (later lines make a new transaction). */
static void batch_done(ftp_state_t *st)
{
    for (uint32_t i = 0; i < st->n; i++)
        if (st->txs[i]->done)
            st->txs[i]->final = true;
}

/* Parses dir's kept bytes up to stream offset upto. */
static void flush(ftp_state_t *st, int dir, uint64_t upto, vg_app_ctx_t *ctx)
{
    vg_buf_t *b = &st->pend[dir];
    if (upto <= st->pend_off[dir] || !b->len)
        return;
    size_t k = (size_t)VG_MIN(upto - st->pend_off[dir], (uint64_t)b->len);
    if (!st->dead && !st->tls)
        process(st, dir, (const uint8_t *)b->data, k, ctx);
    memmove(b->data, b->data + k, b->len - k);
    b->len -= k;
    st->pend_off[dir] += k;
    batch_done(st);
}

static enum vg_app_parse_result ftp_parse(void *state, int dir, const uint8_t *data, size_t len,
                                          vg_app_ctx_t *ctx)
{
    ftp_state_t *st = state;
    if (dir != VG_DIR_TOSERVER && dir != VG_DIR_TOCLIENT)
        return VG_APP_PARSE_ERROR;
    if (st->dead)
        return VG_APP_PARSE_ERROR;
    if (st->tls)
        return VG_APP_PARSE_OK; /* encrypted: not parsed */
    vg_buf_append(&st->pend[dir], data, len);
    if (st->pend[dir].len > FTP_PEND_MAX)
        flush(st, dir, st->pend_off[dir] + (st->pend[dir].len - FTP_PEND_MAX), ctx);
    return st->dead ? VG_APP_PARSE_ERROR : VG_APP_PARSE_OK;
}

/* Lines cannot be resynchronised after lost bytes: parsing stops (Suricata's FTP parser does
 * not accept gaps either). */
static void ftp_gap(void *state, int dir, size_t len)
{
    (void)dir;
    (void)len;
    ((ftp_state_t *)state)->dead = true;
}

/* A packet of role dir acknowledging peer_acked bytes of the other role: those are parsed. */
static void ftp_packet(void *state, int dir, uint64_t peer_acked, vg_app_ctx_t *ctx)
{
    ftp_state_t *st = state;
    if (dir == VG_DIR_TOSERVER || dir == VG_DIR_TOCLIENT)
        flush(st, !dir, peer_acked, ctx);
}

/* The flow is over: what was never acknowledged is parsed, the client's first. */
static void ftp_end(void *state, vg_app_ctx_t *ctx)
{
    ftp_state_t *st = state;
    flush(st, VG_DIR_TOSERVER, UINT64_MAX, ctx);
    flush(st, VG_DIR_TOCLIENT, UINT64_MAX, ctx);
}

static bool ftp_expect_take(void *state, vg_app_expect_t *out)
{
    ftp_state_t *st = state;
    if (!st->n_expect)
        return false;
    *out = st->expect[0];
    memmove(st->expect, st->expect + 1, --st->n_expect * sizeof *st->expect);
    return true;
}

static uint64_t ftp_tx_count(void *state)
{
    ftp_state_t *st = state;
    return st->base + st->n;
}

static void *ftp_tx_get(void *state, uint64_t id)
{
    ftp_state_t *st = state;
    if (id < st->base || id >= st->base + st->n)
        return NULL;
    return st->txs[id - st->base];
}

static bool ftp_tx_complete(void *txp, bool flow_end)
{
    const ftp_tx_t *tx = txp;
    return flow_end || tx->final;
}

static void ftp_tx_release(void *state, uint64_t upto)
{
    ftp_state_t *st = state;
    uint32_t k = 0;
    while (k < st->n && st->base + k < upto)
        tx_free(st->txs[k++]);
    if (!k)
        return;
    memmove(st->txs, st->txs + k, (st->n - k) * sizeof *st->txs);
    st->n -= k;
    st->base += k;
}

static bool has_code(const ftp_str_t *r)
{
    return r->len >= 3 && isdigit((unsigned char)r->s[0]) && isdigit((unsigned char)r->s[1]) &&
           isdigit((unsigned char)r->s[2]);
}

static void ftp_log_tx(void *txp, vg_jw_t *w)
{
    const ftp_tx_t *tx = txp;
    vg_jw_obj_open(w);
    if (tx->cmd != C_NONE) {
        vg_jw_kv_str(w, "command", cmd_names[tx->cmd]);
        uint32_t k = (uint32_t)strlen(cmd_names[tx->cmd]) + 1;
        if (tx->req.len > k) {
            vg_jw_key(w, "command_data");
            vg_jw_strn(w, tx->req.s + k, tx->req.len - k);
            vg_jw_kv_bool(w, "command_truncated", tx->req.truncated);
        }
    }
    bool any_code = false, truncated = tx->rep_dropped;
    for (uint32_t i = 0; i < tx->n_rep; i++) {
        any_code |= has_code(&tx->rep[i]);
        truncated |= tx->rep[i].truncated;
    }
    if (any_code) {
        vg_jw_key(w, "completion_code");
        vg_jw_arr_open(w);
        for (uint32_t i = 0; i < tx->n_rep; i++)
            if (has_code(&tx->rep[i]))
                vg_jw_strn(w, tx->rep[i].s, 3);
        vg_jw_arr_close(w);
    }
    if (tx->n_rep) {
        vg_jw_key(w, "reply");
        vg_jw_arr_open(w);
        for (uint32_t i = 0; i < tx->n_rep; i++) {
            const ftp_str_t *r = &tx->rep[i];
            uint32_t off = has_code(r) ? VG_MIN(r->len, 4u) : 0;
            vg_jw_strn(w, r->s + off, r->len - off);
        }
        vg_jw_arr_close(w);
    }
    if (tx->dyn_port)
        vg_jw_kv_uint(w, "dynamic_port", tx->dyn_port);
    if (tx->cmd == C_PORT || tx->cmd == C_EPRT)
        vg_jw_kv_str(w, "mode", tx->active ? "active" : "passive");
    vg_jw_kv_str(w, "reply_received", tx->done ? "yes" : "no");
    vg_jw_kv_bool(w, "reply_truncated", truncated);
    vg_jw_obj_close(w);
}

static bool ftp_get_buffer(void *tx, enum vg_app_buf buf, const uint8_t **data, size_t *len)
{
    (void)tx;
    (void)buf;
    (void)data;
    (void)len;
    return false; /* Suricata 7 has no FTP sticky buffers; ftp rules inspect the stream */
}

static size_t ftp_state_memuse(const void *state)
{
    const ftp_state_t *st = state;
    size_t m = sizeof *st + st->cap * sizeof *st->txs + st->port_line_len + st->pend[0].cap +
               st->pend[1].cap;
    for (uint32_t i = 0; i < st->n; i++) {
        const ftp_tx_t *tx = st->txs[i];
        m += sizeof *tx + tx->req.len + 1 + tx->cap_rep * sizeof *tx->rep;
        for (uint32_t k = 0; k < tx->n_rep; k++)
            m += tx->rep[k].len + 1;
    }
    return m;
}

/* ftpbounce as Suricata 7 checks it on a PORT line: the first four numbers (after the
 * non-digits before them; spaces allowed before each comma; a number over 256 or of four digits
 * ends the check) are not the client's address. The client's first four address bytes are
 * compared, whatever its family, as Suricata does. */
static bool port_bounce(const char *c, uint32_t n, const vg_addr_t *client)
{
    uint32_t i = 0, octet = 0, digits = 0, noctet = 0;
    uint8_t ip[4];
    if (!c || n < 8)
        return false;
    while (i < n && !isdigit((unsigned char)c[i]))
        i++;
    for (; i < n && digits < 4; i++) {
        if (isdigit((unsigned char)c[i])) {
            octet = octet * 10 + (uint32_t)(c[i] - '0');
            digits++;
            continue;
        }
        if (octet > 256)
            return false;
        while (i < n && isspace((unsigned char)c[i]))
            i++;
        if (i >= n || c[i] != ',')
            return false;
        ip[noctet++] = (uint8_t)octet;
        octet = digits = 0;
        if (noctet == 4)
            return memcmp(ip, client->b, 4) != 0;
    }
    return false;
}

/* ftpbounce: for a packet, the state's last command is PORT (Suricata's check, on its state);
 * for a transaction, it is a PORT transaction (Suricata inspects a PORT transaction while its
 * command is still the state's last one: it parses a client's data once the server has
 * acknowledged it, and inspects the transaction on the client's next packet). */
static bool ftp_state_kw(const void *state, const void *txp, int kw, const vg_addr_t *client)
{
    const ftp_state_t *st = state;
    const ftp_tx_t *tx = txp;
    if (kw != VG_APP_KW_FTPBOUNCE)
        return false;
    if (tx)
        return tx->cmd == C_PORT && port_bounce(tx->req.s, tx->req.len, client);
    return st->command == C_PORT && port_bounce(st->port_line, st->port_line_len, client);
}

static bool ftp_payload_encrypted(const void *state)
{
    return ((const ftp_state_t *)state)->tls;
}

const vg_app_ops_t vg_app_ftp_ops = {
    .name = "ftp",
    .id = VG_APP_FTP,
    .over_tcp = true,
    .over_udp = false,
    .ports = ftp_ports,
    .probe = ftp_probe,
    .state_new = ftp_state_new,
    .state_free = ftp_state_free,
    .parse = ftp_parse,
    .gap = ftp_gap,
    .packet = ftp_packet,
    .end = ftp_end,
    .state_kw = ftp_state_kw,
    .expect_take = ftp_expect_take,
    .tx_count = ftp_tx_count,
    .tx_get = ftp_tx_get,
    .tx_complete = ftp_tx_complete,
    .log_tx = ftp_log_tx,
    .tx_release = ftp_tx_release,
    .state_memuse = ftp_state_memuse,
    .payload_encrypted = ftp_payload_encrypted,
    .get_buffer = ftp_get_buffer,
};
