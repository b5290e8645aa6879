/* app_ssh.c — SSH (RFC 4253): identification banners of both sides, then the plaintext binary
 * packets of the key exchange are counted and skipped until NEWKEYS.
 *
 * Banner (4.2): "SSH-protoversion-softwareversion[ SP comments]" CR LF, at most 255 bytes with
 *   CR LF. A server may send other lines first; they are skipped (at most SSH_MAX_PRELINES).
 *   A client line that is not a banner, or a banner without '-' after the protocol version,
 *   raises INVALID_BANNER; a line over 255 bytes raises LONG_BANNER and is cut there.
 * Binary packet (6): packet_length(4) padding_length(1) payload(packet_length - padding - 1)
 *   padding MAC — before NEWKEYS there is no MAC, and payload[0] is the message number
 *   (20 KEXINIT, 21 NEWKEYS). After NEWKEYS lengths are encrypted, so parsing stops there.
 *
 * One transaction per flow, complete when both sides have sent NEWKEYS (or at flow end).
 */
#include "app/app.h"

#include <stdlib.h>
#include <string.h>

#define SSH_BANNER_MAX 255
#define SSH_MAX_PRELINES 32
#define SSH_PACKET_MAX (256 * 1024)
#define SSH_MSG_NEWKEYS 21

enum ssh_phase { PH_BANNER, PH_PACKETS, PH_DONE };

typedef struct ssh_side {
    uint8_t phase;                  /* enum ssh_phase */
    bool has_banner;
    bool line_too_long;             /* skipping the rest of an over-long line */
    uint8_t n_prelines;
    uint16_t line_len;
    char line[SSH_BANNER_MAX + 1];
    /* parsed banner: proto and software are spans of `banner` */
    char banner[SSH_BANNER_MAX + 1];
    uint16_t banner_len, proto_off, proto_len, sw_off, sw_len;
    /* binary packets */
    uint8_t phdr[6];
    uint8_t phdr_have;
    size_t pkt_skip;
    uint64_t n_packets;
    bool newkeys;                   /* this side sent NEWKEYS: what follows is encrypted */
} ssh_side_t;

typedef struct ssh_tx {
    ssh_side_t side[2];             /* indexed by direction: client = toserver */
} ssh_tx_t;

typedef struct ssh_state {
    ssh_tx_t *tx;
    bool tx_released;
    bool newkeys[2];                /* per direction, kept after the transaction is released */
} ssh_state_t;

static const uint16_t ssh_ports[] = {22, 0};

static void anomaly(vg_app_ctx_t *ctx, const char *ev)
{
    if (ctx && ctx->anomaly)
        ctx->anomaly(ctx->user, VG_APP_SSH, ev);
}

/* Splits "SSH-2.0-OpenSSH_8.9p1 Ubuntu-3" (CR LF already stripped). False if malformed. */
static bool banner_parse(ssh_side_t *s, const char *line, size_t n)
{
    memcpy(s->banner, line, n);
    s->banner[n] = '\0';
    s->banner_len = (uint16_t)n;
    const char *p = s->banner + 4, *end = s->banner + n;
    const char *dash = memchr(p, '-', (size_t)(end - p));
    if (!dash || dash == p)
        return false;
    s->proto_off = 4;
    s->proto_len = (uint16_t)(dash - p);
    const char *sw = dash + 1, *sp = sw;
    while (sp < end && *sp != ' ')
        sp++;
    s->sw_off = (uint16_t)(sw - s->banner);
    s->sw_len = (uint16_t)(sp - sw);
    return s->sw_len > 0;
}

/* A full line (without LF) has arrived on this side. */
static void line_done(ssh_side_t *s, int dir, vg_app_ctx_t *ctx)
{
    size_t n = s->line_len;
    if (n && s->line[n - 1] == '\r')
        n--;
    s->line_len = 0;
    if (n < 4 || memcmp(s->line, "SSH-", 4) != 0) {
        if (dir == VG_DIR_TOSERVER || ++s->n_prelines > SSH_MAX_PRELINES) {
            anomaly(ctx, "INVALID_BANNER");
            s->phase = PH_DONE;
        }
        return;
    }
    if (banner_parse(s, s->line, n))
        s->has_banner = true;
    else
        anomaly(ctx, "INVALID_BANNER");
    s->phase = PH_PACKETS;
}

/* Consumes banner-phase bytes (and the tail of an over-long line); returns how many were used.
 * Byte-at-a-time feeding takes the same path as whole lines. */
static size_t banner_feed(ssh_side_t *s, int dir, const uint8_t *p, size_t n, vg_app_ctx_t *ctx)
{
    size_t i = 0;
    while (i < n && (s->phase == PH_BANNER || s->line_too_long)) {
        uint8_t c = p[i++];
        if (s->line_too_long) {
            s->line_too_long = c != '\n';
            continue;
        }
        if (c == '\n') {
            line_done(s, dir, ctx);
            continue;
        }
        if (s->line_len == SSH_BANNER_MAX) {
            /* Keep the first 255 bytes as the line and drop the rest of it. */
            anomaly(ctx, "LONG_BANNER");
            line_done(s, dir, ctx);
            s->line_too_long = c != '\n';
            continue;
        }
        s->line[s->line_len++] = (char)c;
    }
    return i;
}

static void packets_feed(ssh_side_t *s, const uint8_t *p, size_t n, vg_app_ctx_t *ctx)
{
    while (n && s->phase == PH_PACKETS) {
        if (s->pkt_skip) {
            size_t k = VG_MIN(s->pkt_skip, n);
            s->pkt_skip -= k, p += k, n -= k;
            continue;
        }
        size_t k = VG_MIN((size_t)(6 - s->phdr_have), n);
        memcpy(s->phdr + s->phdr_have, p, k);
        s->phdr_have = (uint8_t)(s->phdr_have + k);
        p += k, n -= k;
        if (s->phdr_have < 6)
            break;
        s->phdr_have = 0;
        size_t len = (size_t)s->phdr[0] << 24 | (size_t)s->phdr[1] << 16 |
                     (size_t)s->phdr[2] << 8 | s->phdr[3];
        if (len < 2 || len > SSH_PACKET_MAX || s->phdr[4] >= len) {
            anomaly(ctx, "INVALID_RECORD_LENGTH");
            s->phase = PH_DONE;
            break;
        }
        s->n_packets++;
        s->pkt_skip = len - 2; /* padding length and message number already read */
        if (s->phdr[5] == SSH_MSG_NEWKEYS) {
            s->newkeys = true;
            s->phase = PH_DONE;
            s->pkt_skip = 0;
        }
    }
}

/* ---- ops --------------------------------------------------------------------------------- */

static int ssh_probe(const uint8_t *p, size_t len, int dir)
{
    size_t k = VG_MIN(len, (size_t)4);
    if (memcmp(p, "SSH-", k) != 0)
        return 0;
    return len >= 4 ? 1 : -1;
}

static bool ssh_payload_encrypted(const void *state)
{
    const ssh_state_t *st = state;
    return st->newkeys[0] && st->newkeys[1];
}

static void *ssh_state_new(bool over_tcp) { return vg_xcalloc(1, sizeof(ssh_state_t)); }

static void ssh_state_free(void *state)
{
    ssh_state_t *st = state;
    if (!st)
        return;
    free(st->tx);
    free(st);
}

static enum vg_app_parse_result ssh_parse(void *state, int dir, const uint8_t *data, size_t len,
                                          vg_app_ctx_t *ctx)
{
    ssh_state_t *st = state;
    if (dir != VG_DIR_TOSERVER && dir != VG_DIR_TOCLIENT)
        return VG_APP_PARSE_ERROR;
    if (st->tx_released || len == 0)
        return VG_APP_PARSE_OK;
    if (!st->tx)
        st->tx = vg_xcalloc(1, sizeof *st->tx);
    ssh_side_t *s = &st->tx->side[dir];
    size_t used = 0;
    if (s->phase == PH_BANNER || s->line_too_long)
        used = banner_feed(s, dir, data, len, ctx);
    if (s->phase == PH_PACKETS)
        packets_feed(s, data + used, len - used, ctx);
    if (s->newkeys)
        st->newkeys[dir] = true;
    return VG_APP_PARSE_OK;
}

/* After a gap packet framing is lost; the banners already seen stay. */
static void ssh_gap(void *state, int dir, size_t len)
{
    ssh_state_t *st = state;
    if (st->tx && (dir == VG_DIR_TOSERVER || dir == VG_DIR_TOCLIENT))
        st->tx->side[dir].phase = PH_DONE;
}

static uint64_t ssh_tx_count(void *state)
{
    ssh_state_t *st = state;
    return st->tx || st->tx_released ? 1 : 0;
}

static void *ssh_tx_get(void *state, uint64_t id)
{
    ssh_state_t *st = state;
    return id == 0 ? st->tx : NULL;
}

static bool ssh_tx_complete(void *txp, bool flow_end)
{
    const ssh_tx_t *tx = txp;
    return flow_end ||
           (tx->side[0].phase == PH_DONE && tx->side[1].phase == PH_DONE);
}

static void ssh_tx_release(void *state, uint64_t upto)
{
    ssh_state_t *st = state;
    if (upto >= 1 && st->tx) {
        free(st->tx);
        st->tx = NULL;
        st->tx_released = true;
    }
}

static void log_side(vg_jw_t *w, const char *k, const ssh_side_t *s)
{
    if (!s->has_banner)
        return;
    vg_jw_key(w, k);
    vg_jw_obj_open(w);
    vg_jw_key(w, "proto_version");
    vg_jw_strn(w, s->banner + s->proto_off, s->proto_len);
    vg_jw_key(w, "software_version");
    vg_jw_strn(w, s->banner + s->sw_off, s->sw_len);
    vg_jw_obj_close(w);
}

static void ssh_log_tx(void *txp, vg_jw_t *w)
{
    const ssh_tx_t *tx = txp;
    vg_jw_obj_open(w);
    log_side(w, "client", &tx->side[VG_DIR_TOSERVER]);
    log_side(w, "server", &tx->side[VG_DIR_TOCLIENT]);
    vg_jw_obj_close(w);
}

/* ssh.proto / ssh.software: the client's banner when there is one, else the server's (the
 * contract has no direction for buffers; see docs/APP_DNS_TLS_SSH.md). */
static bool ssh_get_buffer(void *txp, enum vg_app_buf buf, const uint8_t **data, size_t *len)
{
    const ssh_tx_t *tx = txp;
    bool server = buf == VG_BUF_SSH_PROTO_TC || buf == VG_BUF_SSH_SOFTWARE_TC;
    const ssh_side_t *s = &tx->side[server ? VG_DIR_TOCLIENT : VG_DIR_TOSERVER];
    if (!s->has_banner)
        return false;
    if (buf == VG_BUF_SSH_PROTO_TC)
        buf = VG_BUF_SSH_PROTO;
    else if (buf == VG_BUF_SSH_SOFTWARE_TC)
        buf = VG_BUF_SSH_SOFTWARE;
    if (buf == VG_BUF_SSH_PROTO) {
        *data = (const uint8_t *)s->banner + s->proto_off;
        *len = s->proto_len;
        return true;
    }
    if (buf == VG_BUF_SSH_SOFTWARE) {
        *data = (const uint8_t *)s->banner + s->sw_off;
        *len = s->sw_len;
        return true;
    }
    return false;
}

static size_t ssh_state_memuse(const void *state)
{
    const ssh_state_t *st = state;
    return sizeof *st + (st->tx ? sizeof *st->tx : 0);
}

const vg_app_ops_t vg_app_ssh_ops = {
    .name = "ssh",
    .id = VG_APP_SSH,
    .over_tcp = true,
    .over_udp = false,
    .ports = ssh_ports,
    .probe = ssh_probe,
    .state_new = ssh_state_new,
    .state_free = ssh_state_free,
    .parse = ssh_parse,
    .gap = ssh_gap,
    .tx_count = ssh_tx_count,
    .tx_get = ssh_tx_get,
    .tx_complete = ssh_tx_complete,
    .log_tx = ssh_log_tx,
    .tx_release = ssh_tx_release,
    .state_memuse = ssh_state_memuse,
    .get_buffer = ssh_get_buffer,
    .payload_encrypted = ssh_payload_encrypted,
};
