/* stream_harness.h — test support for the stream stage: build TCP packets by hand, feed them to
 * one session and record what comes out (bytes per role, gaps, events). Header-only, static. */
#ifndef VG_TESTS_STREAM_HARNESS_H
#define VG_TESTS_STREAM_HARNESS_H

#include "common/buf.h"
#include "stream/stream.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define C2S 0 /* flow direction: from the initiator */
#define S2C 1
#define F_S VG_TCP_SYN
#define F_A VG_TCP_ACK
#define F_SA (VG_TCP_SYN | VG_TCP_ACK)
#define F_F VG_TCP_FIN
#define F_FA (VG_TCP_FIN | VG_TCP_ACK)
#define F_R VG_TCP_RST
#define F_PA (VG_TCP_PSH | VG_TCP_ACK)

typedef struct harness {
    vg_stream_ctx_t *ctx;
    vg_tcp_session_t *s;
    vg_stream_cb_t cb;
    vg_buf_t out[2];     /* delivered bytes per role; a gap shows as '#' per lost byte (<= 4096) */
    size_t gaps[2];      /* gap callbacks per role */
    size_t gap_bytes[2];
    size_t data_calls[2];
    size_t data_bytes[2];
    char events[4096];   /* "name,name," */
    size_t n_events;
} harness_t;

static inline void h_on_data(void *user, int dir, const uint8_t *data, size_t len)
{
    harness_t *h = user;
    assert_true(len > 0);
    vg_buf_append(&h->out[dir], data, len);
    h->data_calls[dir]++;
    h->data_bytes[dir] += len;
}

static inline void h_on_gap(void *user, int dir, size_t len)
{
    harness_t *h = user;
    assert_true(len > 0);
    h->gaps[dir]++;
    h->gap_bytes[dir] += len;
    for (size_t i = 0; i < len && i < 4096; i++)
        vg_buf_putc(&h->out[dir], '#');
}

static inline void h_on_event(void *user, uint16_t code)
{
    harness_t *h = user;
    const char *ev = vg_stream_event_name(code);
    size_t used = strlen(h->events);
    if (used + strlen(ev) + 2 < sizeof h->events)
        snprintf(h->events + used, sizeof h->events - used, "%s,", ev);
    h->n_events++;
}

static inline void h_init(harness_t *h, const vg_stream_config_t *cfg)
{
    memset(h, 0, sizeof *h);
    h->ctx = vg_stream_ctx_new(cfg);
    h->s = vg_stream_session_new(h->ctx);
    assert_non_null(h->s);
    h->cb = (vg_stream_cb_t){h_on_data, h_on_gap, h_on_event};
    vg_buf_init(&h->out[0], 64);
    vg_buf_init(&h->out[1], 64);
}

static inline void h_fini(harness_t *h)
{
    vg_stream_session_free(h->ctx, h->s);
    vg_stream_ctx_free(h->ctx);
    vg_buf_fini(&h->out[0]);
    vg_buf_fini(&h->out[1]);
}

static inline void h_sendn(harness_t *h, int dir, uint8_t flags, uint32_t seq, uint32_t ack,
                    const void *data, size_t len)
{
    vg_packet_t p;
    memset(&p, 0, sizeof p);
    p.proto = 6;
    p.ip_ver = 4;
    p.tcp_flags = flags;
    p.tcp_seq = seq;
    p.tcp_ack = (flags & VG_TCP_ACK) ? ack : 0;
    p.tcp_win = 65535;
    p.tcp_wscale = 0xFF;
    p.payload = data;
    p.payload_len = (uint32_t)len;
    vg_stream_packet(h->ctx, h->s, &p, dir, &h->cb, h);
}

static inline void h_send(harness_t *h, int dir, uint8_t flags, uint32_t seq, uint32_t ack,
                   const char *payload)
{
    h_sendn(h, dir, flags, seq, ack, payload, payload ? strlen(payload) : 0);
}

/* Client ISN ci, server ISN si; afterwards client data starts at ci+1, server data at si+1. */
static inline void h_handshake(harness_t *h, uint32_t ci, uint32_t si)
{
    h_send(h, C2S, F_S, ci, 0, NULL);
    h_send(h, S2C, F_SA, si, ci + 1, NULL);
    h_send(h, C2S, F_A, ci + 1, si + 1, NULL);
}

static inline void h_end(harness_t *h)
{
    vg_stream_flow_end(h->ctx, h->s, &h->cb, h);
}

/* The delivered bytes of a role, NUL-terminated (in place). */
static inline const char *h_out(harness_t *h, int role)
{
    vg_buf_putc(&h->out[role], '\0');
    h->out[role].len--;
    return h->out[role].data;
}

static inline bool h_has_event(const harness_t *h, const char *ev)
{
    char key[160];
    snprintf(key, sizeof key, "%s,", ev);
    return strstr(h->events, key) != NULL;
}

static inline size_t h_count_event(const harness_t *h, const char *ev)
{
    char key[160];
    snprintf(key, sizeof key, "%s,", ev);
    size_t n = 0;
    for (const char *p = h->events; (p = strstr(p, key)) != NULL; p += strlen(key))
        n++;
    return n;
}

static inline uint64_t h_stat(const harness_t *h, const char *name)
{
    const vg_stats_table_t *t = vg_stream_stats_table();
    const uint64_t *v = vg_stream_stats_values(h->ctx);
    for (size_t i = 0; i < t->n; i++)
        if (strcmp(t->names[i], name) == 0)
            return v[i];
    fail_msg("no counter %s", name);
    return 0;
}

#endif
