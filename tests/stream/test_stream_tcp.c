/* test_stream_tcp.c — the session state machine: handshake, midstream, RST, FIN, queries, stats. */
#include "app/app.h"
#include "stream_harness.h"

_Static_assert((int)VG_STREAM_CLIENT == (int)VG_DIR_TOSERVER &&
                   (int)VG_STREAM_SERVER == (int)VG_DIR_TOCLIENT,
               "stream roles use the app layer's direction values");

static void test_handshake_complete(void **state)
{
    harness_t h;
    h_init(&h, NULL);
    assert_string_equal(vg_stream_state_name(h.s), "none");
    h_send(&h, C2S, F_S, 1000, 0, NULL);
    assert_string_equal(vg_stream_state_name(h.s), "syn_sent");
    h_send(&h, S2C, F_SA, 5000, 1001, NULL);
    assert_string_equal(vg_stream_state_name(h.s), "syn_recv");
    assert_false(vg_stream_handshake_complete(h.s));
    h_send(&h, C2S, F_A, 1001, 5001, NULL);
    assert_string_equal(vg_stream_state_name(h.s), "established");
    assert_true(vg_stream_handshake_complete(h.s));
    assert_true(vg_stream_is_tracked(h.s));
    assert_false(vg_stream_is_midstream(h.s));
    assert_false(vg_stream_is_reversed(h.s));
    assert_int_equal(vg_stream_timeout_class(h.s), VG_STREAM_TIMEOUT_ESTABLISHED);
    assert_int_equal(vg_stream_tcp_flags(h.s, VG_STREAM_CLIENT), F_SA);
    assert_int_equal(vg_stream_tcp_flags(h.s, VG_STREAM_SERVER), F_SA);
    assert_int_equal(h_stat(&h, "tcp.sessions"), 1);
    assert_int_equal(h_stat(&h, "tcp.syn"), 1);
    assert_int_equal(h_stat(&h, "tcp.synack"), 1);
    assert_int_equal(h.n_events, 0);
    h_fini(&h);
}

/* Split handshake (Suricata's 4WHS): SYN, a SYN back from the server, the client's SYN-ACK, the
 * server's ACK; the stream then carries data as after a 3-way handshake, the roles as the first
 * SYN set them. A wrong ACK in the last step is an event and does not establish. */
static void test_split_handshake(void **state)
{
    (void)state;
    harness_t h;
    h_init(&h, NULL);
    h_send(&h, C2S, F_S, 1000, 0, NULL);
    h_send(&h, S2C, F_S, 5000, 0, NULL);
    assert_string_equal(vg_stream_state_name(h.s), "syn_sent");
    h_send(&h, C2S, F_SA, 1000, 5001, NULL);
    assert_string_equal(vg_stream_state_name(h.s), "syn_recv");
    h_send(&h, S2C, F_A, 5001, 1001, NULL);
    assert_string_equal(vg_stream_state_name(h.s), "established");
    assert_true(vg_stream_handshake_complete(h.s));
    assert_false(vg_stream_is_reversed(h.s));
    h_send(&h, C2S, F_PA, 1001, 5001, "EVIL");
    assert_int_equal(h.out[0].len, 4);
    assert_memory_equal(h.out[0].data, "EVIL", 4);
    assert_int_equal(h.n_events, 0);
    h_fini(&h);

    h_init(&h, NULL);
    h_send(&h, C2S, F_S, 1000, 0, NULL);
    h_send(&h, S2C, F_S, 5000, 0, NULL);
    h_send(&h, C2S, F_SA, 1000, 5001, NULL);
    h_send(&h, S2C, F_A, 5001, 777, NULL);
    assert_true(h_has_event(&h, "stream.4whs_invalid_ack"));
    assert_string_equal(vg_stream_state_name(h.s), "syn_recv");
    h_send(&h, C2S, F_SA, 1000, 4000, NULL);
    h_fini(&h);
}

static void test_handshake_incomplete(void **state)
{
    harness_t h;
    h_init(&h, NULL);
    h_send(&h, C2S, F_S, 1000, 0, NULL);
    h_send(&h, C2S, F_S, 1000, 0, NULL); /* SYN retransmission */
    assert_string_equal(vg_stream_state_name(h.s), "syn_sent");
    assert_int_equal(vg_stream_timeout_class(h.s), VG_STREAM_TIMEOUT_NEW);
    /* Client "data" without a SYN-ACK is not accepted without async_oneside. */
    h_send(&h, C2S, F_PA, 1001, 77, "GET /");
    assert_int_equal(h.out[0].len, 0);
    h_send(&h, S2C, F_SA, 5000, 1001, NULL);
    assert_false(vg_stream_handshake_complete(h.s));
    h_end(&h);
    assert_false(vg_stream_handshake_complete(h.s));
    assert_int_equal(h.n_events, 0);
    h_fini(&h);
}

static void test_synack_wrong_ack(void **state)
{
    harness_t h;
    h_init(&h, NULL);
    h_send(&h, C2S, F_S, 1000, 0, NULL);
    h_send(&h, S2C, F_SA, 5000, 1234, NULL);
    assert_true(h_has_event(&h, "stream.3whs_synack_with_wrong_ack"));
    assert_string_equal(vg_stream_state_name(h.s), "syn_sent");
    h_send(&h, C2S, F_SA, 1000, 5001, NULL);
    assert_true(h_has_event(&h, "stream.3whs_synack_in_wrong_direction"));
    h_fini(&h);
}

/* TCP Fast Open: the SYN's data is the stream's first bytes, and a SYN-ACK acknowledging it is
 * a valid answer; a SYN-ACK acknowledging only the SYN is too (the server refused the data). */
static void test_fast_open(void **state)
{
    harness_t h;
    h_init(&h, NULL);
    h_send(&h, C2S, F_S, 1000, 0, "GET /a");
    assert_string_equal(h_out(&h, VG_STREAM_CLIENT), "GET /a");
    h_send(&h, C2S, F_S, 1000, 0, "GET /a"); /* SYN retransmission: nothing twice */
    h_send(&h, S2C, F_SA, 5000, 1007, NULL);
    assert_false(h_has_event(&h, "stream.3whs_synack_with_wrong_ack"));
    assert_string_equal(vg_stream_state_name(h.s), "syn_recv");
    h_send(&h, S2C, F_SA, 5000, 1007, NULL); /* SYN-ACK resent */
    assert_false(h_has_event(&h, "stream.3whs_synack_resend_with_different_ack"));
    h_send(&h, C2S, F_A, 1007, 5001, NULL);
    assert_true(vg_stream_handshake_complete(h.s));
    h_send(&h, C2S, F_PA, 1007, 5001, " HTTP/1.0\r\n\r\n");
    assert_string_equal(h_out(&h, VG_STREAM_CLIENT), "GET /a HTTP/1.0\r\n\r\n");
    assert_int_equal(h.n_events, 0);
    h_fini(&h);

    /* Refused data: the SYN-ACK acknowledges the SYN only, the client sends the bytes again. */
    h_init(&h, NULL);
    h_send(&h, C2S, F_S, 1000, 0, "GET /a");
    h_send(&h, S2C, F_SA, 5000, 1001, NULL);
    assert_false(h_has_event(&h, "stream.3whs_synack_with_wrong_ack"));
    h_send(&h, C2S, F_A, 1001, 5001, NULL);
    assert_true(vg_stream_handshake_complete(h.s));
    h_send(&h, C2S, F_PA, 1001, 5001, "GET /a HTTP/1.0\r\n\r\n");
    assert_string_equal(h_out(&h, VG_STREAM_CLIENT), "GET /a HTTP/1.0\r\n\r\n");
    h_fini(&h);

    /* Acknowledging part of the SYN's data, or more, is still wrong. */
    h_init(&h, NULL);
    h_send(&h, C2S, F_S, 1000, 0, "GET /a");
    h_send(&h, S2C, F_SA, 5000, 1004, NULL);
    assert_true(h_has_event(&h, "stream.3whs_synack_with_wrong_ack"));
    h_fini(&h);
}

static void test_final_ack_wrong(void **state)
{
    harness_t h;
    h_init(&h, NULL);
    h_send(&h, C2S, F_S, 1000, 0, NULL);
    h_send(&h, S2C, F_SA, 5000, 1001, NULL);
    h_send(&h, S2C, F_SA, 5000, 1002, NULL);
    assert_true(h_has_event(&h, "stream.3whs_synack_resend_with_different_ack"));
    h_send(&h, S2C, F_SA, 6000, 1001, NULL);
    assert_true(h_has_event(&h, "stream.3whs_synack_resend_with_diff_seq"));
    h_send(&h, C2S, F_A, 1001, 9999, NULL);
    assert_true(h_has_event(&h, "stream.3whs_right_seq_wrong_ack_evasion"));
    h_send(&h, C2S, F_A, 4444, 9999, NULL);
    assert_true(h_has_event(&h, "stream.3whs_wrong_seq_wrong_ack"));
    h_send(&h, S2C, F_A, 5001, 1001, NULL);
    assert_true(h_has_event(&h, "stream.3whs_ack_in_wrong_dir"));
    h_send(&h, C2S, F_S, 2000, 0, NULL);
    assert_true(h_has_event(&h, "stream.3whs_syn_resend_diff_seq_on_syn_recv"));
    assert_string_equal(vg_stream_state_name(h.s), "syn_recv");
    assert_false(vg_stream_handshake_complete(h.s));
    h_send(&h, C2S, F_A, 1001, 5001, NULL);
    assert_true(vg_stream_handshake_complete(h.s));
    h_fini(&h);
}

static void test_data_both_directions(void **state)
{
    harness_t h;
    h_init(&h, NULL);
    h_handshake(&h, 1000, 5000);
    h_send(&h, C2S, F_PA, 1001, 5001, "GET / HTTP/1.0\r\n\r\n");
    h_send(&h, S2C, F_PA, 5001, 1019, "HTTP/1.0 200 OK\r\n");
    h_send(&h, C2S, F_A, 1019, 5018, NULL);
    assert_string_equal(h_out(&h, VG_STREAM_CLIENT), "GET / HTTP/1.0\r\n\r\n");
    assert_string_equal(h_out(&h, VG_STREAM_SERVER), "HTTP/1.0 200 OK\r\n");
    assert_int_equal(h.n_events, 0);
    /* Everything delivered and acknowledged: no buffer is kept. */
    assert_int_equal(h_stat(&h, "tcp.reassembly_memuse"), 0);
    h_fini(&h);
}

/* The queries raw-stream inspection uses: what the peer acknowledged, whether the last packet's
 * data went into reassembly, and when the session leaves ESTABLISHED. */
static void test_raw_queries(void **state)
{
    harness_t h;
    h_init(&h, NULL);
    h_handshake(&h, 1000, 5000);
    assert_int_equal(vg_stream_acked(h.s, VG_STREAM_CLIENT), 0);
    h_send(&h, C2S, F_PA, 1001, 5001, "abcd");
    assert_true(vg_stream_pkt_added(h.s));
    assert_int_equal(vg_stream_acked(h.s, VG_STREAM_CLIENT), 0); /* not acknowledged yet */
    h_send(&h, S2C, F_A, 5001, 1003, NULL);
    assert_false(vg_stream_pkt_added(h.s));                       /* no payload */
    assert_int_equal(vg_stream_acked(h.s, VG_STREAM_CLIENT), 2);  /* partial ACK */
    h_send(&h, S2C, F_PA, 5001, 1005, "xy");
    assert_int_equal(vg_stream_acked(h.s, VG_STREAM_CLIENT), 4);
    assert_int_equal(vg_stream_acked(h.s, VG_STREAM_SERVER), 0);
    assert_false(vg_stream_closing(h.s));
    h_send(&h, C2S, F_FA, 1005, 5003, NULL);
    assert_true(vg_stream_closing(h.s)); /* fin_wait1 */
    assert_int_equal(vg_stream_acked(h.s, VG_STREAM_SERVER), 2);
    h_fini(&h);
    /* a packet the stream ignores (bad checksum) is not added */
    h_init(&h, NULL);
    h_handshake(&h, 1000, 5000);
    h_send(&h, C2S, F_PA, 1001, 5001, "ab");
    assert_true(vg_stream_pkt_added(h.s));
    vg_packet_t p;
    memset(&p, 0, sizeof p);
    p.proto = 6;
    p.ip_ver = 4;
    p.tcp_flags = F_PA;
    p.tcp_seq = 1003;
    p.tcp_ack = 5001;
    p.payload = (const uint8_t *)"cd";
    p.payload_len = 2;
    p.flags = VG_PKT_L4_CSUM_BAD;
    vg_stream_packet(h.ctx, h.s, &p, C2S, &h.cb, &h);
    assert_false(vg_stream_pkt_added(h.s));
    assert_string_equal(h_out(&h, VG_STREAM_CLIENT), "ab");
    h_fini(&h);
}

static void test_synack_first_midstream(void **state)
{
    vg_stream_config_t cfg;
    vg_stream_config_defaults(&cfg);
    cfg.midstream = true;
    harness_t h;
    h_init(&h, &cfg);
    /* The capture starts with the server's SYN-ACK: the flow thinks the server initiated. */
    h_send(&h, C2S, F_SA, 5000, 1001, NULL);
    assert_true(vg_stream_is_reversed(h.s));
    assert_true(vg_stream_is_midstream(h.s));
    assert_string_equal(vg_stream_state_name(h.s), "syn_recv");
    h_send(&h, S2C, F_A, 1001, 5001, NULL);
    assert_string_equal(vg_stream_state_name(h.s), "established");
    assert_false(vg_stream_handshake_complete(h.s));
    h_send(&h, S2C, F_PA, 1001, 5001, "USER x\r\n");
    h_send(&h, C2S, F_PA, 5001, 1009, "331 ok\r\n");
    assert_string_equal(h_out(&h, VG_STREAM_CLIENT), "USER x\r\n");
    assert_string_equal(h_out(&h, VG_STREAM_SERVER), "331 ok\r\n");
    assert_int_equal(vg_stream_tcp_flags(h.s, VG_STREAM_SERVER), F_SA | VG_TCP_PSH);
    assert_int_equal(h_stat(&h, "tcp.midstream_pickups"), 1);
    h_fini(&h);
}

static void test_synack_first_no_midstream(void **state)
{
    harness_t h;
    h_init(&h, NULL);
    h_send(&h, C2S, F_SA, 5000, 1001, NULL);
    h_send(&h, S2C, F_A, 1001, 5001, NULL);
    h_send(&h, S2C, F_PA, 1001, 5001, "USER x\r\n");
    h_end(&h);
    assert_false(vg_stream_is_tracked(h.s));
    assert_string_equal(vg_stream_state_name(h.s), "none");
    assert_int_equal(h.out[0].len + h.out[1].len, 0);
    assert_int_equal(h_stat(&h, "tcp.sessions"), 0);
    h_fini(&h);
}

static void test_midstream_on(void **state)
{
    vg_stream_config_t cfg;
    vg_stream_config_defaults(&cfg);
    cfg.midstream = true;
    harness_t h;
    h_init(&h, &cfg);
    h_send(&h, C2S, F_PA, 700000, 900000, "abc");
    h_send(&h, S2C, F_PA, 900000, 700003, "xyz");
    h_send(&h, C2S, F_PA, 700003, 900003, "def");
    assert_true(vg_stream_is_midstream(h.s));
    assert_false(vg_stream_handshake_complete(h.s));
    assert_false(vg_stream_is_reversed(h.s));
    assert_string_equal(vg_stream_state_name(h.s), "established");
    assert_string_equal(h_out(&h, 0), "abcdef");
    assert_string_equal(h_out(&h, 1), "xyz");
    h_fini(&h);
}

static void test_midstream_off(void **state)
{
    harness_t h;
    h_init(&h, NULL);
    h_send(&h, C2S, F_PA, 700000, 900000, "abc");
    h_send(&h, S2C, F_PA, 900000, 700003, "xyz");
    h_end(&h);
    assert_false(vg_stream_is_tracked(h.s));
    assert_int_equal(h.out[0].len + h.out[1].len, 0);
    /* Flags are still recorded for the flow log. */
    assert_int_equal(vg_stream_tcp_flags(h.s, 0), F_PA);
    h_fini(&h);
}

static void test_async_oneside(void **state)
{
    vg_stream_config_t cfg;
    vg_stream_config_defaults(&cfg);
    cfg.async_oneside = true;
    harness_t h;
    h_init(&h, &cfg);
    h_send(&h, C2S, F_S, 1000, 0, NULL);
    h_send(&h, C2S, F_A, 1001, 5001, NULL);
    h_send(&h, C2S, F_PA, 1001, 5001, "hello");
    assert_string_equal(vg_stream_state_name(h.s), "established");
    assert_string_equal(h_out(&h, 0), "hello");
    assert_false(vg_stream_handshake_complete(h.s));
    h_fini(&h);
}

static void test_rst(void **state)
{
    harness_t h;
    h_init(&h, NULL);
    h_send(&h, C2S, F_R, 1, 0, NULL);
    assert_true(h_has_event(&h, "stream.rst_but_no_session"));
    h_handshake(&h, 1000, 5000);
    h_send(&h, C2S, F_PA, 1001, 5001, "ab");
    h_send(&h, C2S, F_PA, 1005, 5001, "ef"); /* hole at cd */
    /* A RST acknowledging client data that was never sent is a blind guess: ignored. */
    h_send(&h, S2C, F_R | F_A, 5001, 1001 + 50000, NULL);
    assert_true(h_has_event(&h, "stream.rst_invalid_ack"));
    assert_string_equal(vg_stream_state_name(h.s), "established");
    h_send(&h, S2C, F_R | F_A, 5001, 1003, NULL);
    assert_string_equal(vg_stream_state_name(h.s), "closed");
    assert_int_equal(vg_stream_timeout_class(h.s), VG_STREAM_TIMEOUT_CLOSED);
    /* The RST flushed the buffered bytes after a gap. */
    assert_string_equal(h_out(&h, 0), "ab##ef");
    h_send(&h, C2S, F_PA, 1007, 5001, "more");
    assert_string_equal(h_out(&h, 0), "ab##ef");
    assert_int_equal(h_stat(&h, "tcp.rst"), 3);
    assert_int_equal(h_stat(&h, "tcp.reassembly_memuse"), 0);
    h_fini(&h);
}

static void test_rst_in_syn_sent(void **state)
{
    harness_t h;
    h_init(&h, NULL);
    h_send(&h, C2S, F_S, 1000, 0, NULL);
    h_send(&h, S2C, F_R | F_A, 0, 777, NULL);
    assert_true(h_has_event(&h, "stream.rst_invalid_ack"));
    assert_string_equal(vg_stream_state_name(h.s), "syn_sent");
    assert_true(h_has_event(&h, "stream.pkt_invalid_ack")); /* raised with it, as Suricata */
    size_t ev = h.n_events;
    h_send(&h, S2C, F_R | F_A, 777777, 1001, NULL); /* a sequence number the server never had */
    assert_string_equal(vg_stream_state_name(h.s), "syn_sent"); /* ignored, as Suricata */
    assert_int_equal(h.n_events, ev);
    h_send(&h, S2C, F_R | F_A, 0, 1001, NULL); /* connection refused */
    assert_string_equal(vg_stream_state_name(h.s), "closed");
    assert_false(vg_stream_handshake_complete(h.s));
    h_fini(&h);
    /* the client's RST, as Suricata 7 takes it: one that acknowledges something (nothing came
     * from the server) is invalid; a plain one is ignored; only ISN, window 0, ack ISN+1
     * closes */
    h_init(&h, NULL);
    h_send(&h, C2S, F_S, 1000, 0, NULL);
    h_send(&h, C2S, F_R | F_A, 1001, 2578577687u, NULL);
    assert_true(h_has_event(&h, "stream.rst_invalid_ack"));
    assert_string_equal(vg_stream_state_name(h.s), "syn_sent");
    h_send(&h, C2S, F_R, 1001, 0, NULL);
    assert_string_equal(vg_stream_state_name(h.s), "syn_sent");
    vg_packet_t p; /* the accepted form: ISN, window 0, ack ISN+1 */
    memset(&p, 0, sizeof p);
    p.proto = 6;
    p.ip_ver = 4;
    p.tcp_flags = F_R | F_A;
    p.tcp_seq = 1000;
    p.tcp_ack = 1001;
    p.tcp_wscale = 0xFF;
    vg_stream_packet(h.ctx, h.s, &p, C2S, &h.cb, &h);
    assert_string_equal(vg_stream_state_name(h.s), "closed");
    h_fini(&h);
}

static void test_fin_client_first(void **state)
{
    harness_t h;
    h_init(&h, NULL);
    h_handshake(&h, 1000, 5000);
    h_send(&h, C2S, F_PA, 1001, 5001, "req");
    /* the close states as Suricata names them, from the server's side: the client closing
     * first is close_wait, then last_ack */
    h_send(&h, C2S, F_FA, 1004, 5001, NULL);
    assert_string_equal(vg_stream_state_name(h.s), "close_wait");
    h_send(&h, S2C, F_A, 5001, 1005, NULL);
    assert_string_equal(vg_stream_state_name(h.s), "close_wait");
    h_send(&h, S2C, F_PA, 5001, 1005, "resp");
    h_send(&h, S2C, F_FA, 5005, 1005, NULL);
    assert_string_equal(vg_stream_state_name(h.s), "last_ack");
    assert_int_equal(vg_stream_timeout_class(h.s), VG_STREAM_TIMEOUT_CLOSED);
    h_send(&h, C2S, F_A, 1005, 5006, NULL);
    assert_string_equal(vg_stream_state_name(h.s), "closed");
    assert_string_equal(h_out(&h, 0), "req");
    assert_string_equal(h_out(&h, 1), "resp");
    assert_int_equal(h.gaps[0] + h.gaps[1], 0);
    assert_int_equal(h.n_events, 0);
    h_fini(&h);
}

static void test_fin_simultaneous(void **state)
{
    harness_t h;
    h_init(&h, NULL);
    h_handshake(&h, 1000, 5000);
    h_send(&h, C2S, F_FA, 1001, 5001, NULL);
    h_send(&h, S2C, F_FA, 5001, 1001, NULL); /* crosses the client FIN: as Suricata, the */
    assert_string_equal(vg_stream_state_name(h.s), "last_ack"); /* server's FIN in close_wait */
    h_send(&h, S2C, F_A, 5002, 1002, NULL);
    assert_string_equal(vg_stream_state_name(h.s), "last_ack");
    h_send(&h, C2S, F_A, 1002, 5002, NULL);
    assert_string_equal(vg_stream_state_name(h.s), "closed");
    h_fini(&h);
}

static void test_fin_server_first(void **state)
{
    harness_t h;
    h_init(&h, NULL);
    h_handshake(&h, 1000, 5000);
    h_send(&h, S2C, F_PA, 5001, 1001, "banner");
    h_send(&h, S2C, F_FA, 5007, 1001, NULL);
    assert_string_equal(vg_stream_state_name(h.s), "fin_wait1");
    h_send(&h, C2S, F_A, 1001, 5008, NULL);
    assert_string_equal(vg_stream_state_name(h.s), "fin_wait2");
    h_send(&h, C2S, F_FA, 1001, 5008, NULL);
    assert_string_equal(vg_stream_state_name(h.s), "time_wait");
    h_send(&h, S2C, F_A, 5008, 1002, NULL);
    assert_string_equal(vg_stream_state_name(h.s), "closed");
    assert_string_equal(h_out(&h, 1), "banner");
    h_fini(&h);
}

static void test_fin_with_hole_acked(void **state)
{
    harness_t h;
    h_init(&h, NULL);
    h_handshake(&h, 1000, 5000);
    h_send(&h, C2S, F_PA, 1001, 5001, "aa");
    h_send(&h, C2S, F_FA, 1005, 5001, "cc"); /* "bb" lost, FIN at offset 6 */
    assert_string_equal(h_out(&h, 0), "aa");
    h_send(&h, S2C, F_A, 5001, 1008, NULL); /* the server got everything and the FIN */
    assert_string_equal(h_out(&h, 0), "aa##cc");
    assert_int_equal(h.gap_bytes[0], 2);
    assert_true(h_has_event(&h, "stream.reassembly_seq_gap"));
    assert_string_equal(vg_stream_state_name(h.s), "close_wait");
    h_fini(&h);
}

static void test_syn_in_established(void **state)
{
    harness_t h;
    h_init(&h, NULL);
    h_handshake(&h, 1000, 5000);
    h_send(&h, C2S, F_S, 1000, 0, NULL);
    assert_true(h_has_event(&h, "stream.est_syn_resend"));
    h_send(&h, C2S, F_S, 3000, 0, NULL);
    assert_true(h_has_event(&h, "stream.est_syn_resend_diff_seq"));
    /* a SYN-ACK resent before the server sent any ACK: the client's ACK may have been lost, no
     * event (Suricata's 3WHS_CONFIRMED); once the server has sent an ACK, a resend is one */
    h_send(&h, S2C, F_SA, 5000, 1001, NULL);
    assert_false(h_has_event(&h, "stream.est_synack_resend"));
    h_send(&h, S2C, F_A, 5001, 1001, NULL);
    h_send(&h, S2C, F_SA, 5000, 1001, NULL);
    assert_true(h_has_event(&h, "stream.est_synack_resend"));
    h_send(&h, S2C, F_SA, 5000, 1002, NULL);
    assert_true(h_has_event(&h, "stream.est_synack_resend_with_different_ack"));
    h_send(&h, S2C, F_S, 5000, 0, NULL);
    assert_true(h_has_event(&h, "stream.est_syn_toclient"));
    h_send(&h, C2S, F_SA, 1000, 5001, NULL);
    assert_true(h_has_event(&h, "stream.est_synack_toserver"));
    assert_string_equal(vg_stream_state_name(h.s), "established");
    h_fini(&h);
}

static void test_broken_ack_and_checksum(void **state)
{
    harness_t h;
    h_init(&h, NULL);
    vg_packet_t p;
    memset(&p, 0, sizeof p);
    p.proto = 6;
    p.tcp_flags = F_S;
    p.tcp_seq = 1000;
    p.tcp_ack = 12345; /* ACK field set without the ACK flag */
    vg_stream_packet(h.ctx, h.s, &p, C2S, &h.cb, &h);
    assert_true(h_has_event(&h, "stream.pkt_broken_ack"));
    p.flags = VG_PKT_L4_CSUM_BAD;
    vg_stream_packet(h.ctx, h.s, &p, C2S, &h.cb, &h);
    assert_int_equal(h_stat(&h, "tcp.invalid_checksum"), 1);
    assert_int_equal(h_stat(&h, "tcp.syn"), 1);
    p.flags = 0;
    p.proto = 17; /* not TCP: ignored */
    vg_stream_packet(h.ctx, h.s, &p, C2S, &h.cb, &h);
    assert_int_equal(h_stat(&h, "tcp.syn"), 1);
    h_fini(&h);
}

static void test_ssn_memcap(void **state)
{
    vg_stream_config_t cfg;
    vg_stream_config_defaults(&cfg);
    cfg.ssn_memcap = 300;
    vg_stream_ctx_t *ctx = vg_stream_ctx_new(&cfg);
    vg_tcp_session_t *a = vg_stream_session_new(ctx);
    vg_tcp_session_t *b = vg_stream_session_new(ctx);
    assert_non_null(a);
    vg_tcp_session_t *c = b ? vg_stream_session_new(ctx) : NULL;
    assert_null(c);
    const uint64_t *v = vg_stream_stats_values(ctx);
    assert_int_equal(v[1], 1); /* tcp.ssn_memcap_drop */
    assert_true(v[16] > 0);    /* tcp.memuse */
    vg_stream_session_free(ctx, a);
    vg_stream_session_free(ctx, b);
    vg_stream_session_free(ctx, NULL);
    assert_int_equal(v[16], 0);
    vg_stream_ctx_free(ctx);
}

static void test_stats_table(void **state)
{
    const vg_stats_table_t *t = vg_stream_stats_table();
    assert_true(t->n >= 17);
    assert_string_equal(t->names[0], "tcp.sessions");
    assert_string_equal(t->names[1], "tcp.ssn_memcap_drop");
    assert_string_equal(t->names[16], "tcp.memuse");
    for (size_t i = 0; i < t->n; i++)
        assert_int_equal(strncmp(t->names[i], "tcp.", 4), 0);
}

static void test_session_small(void **state)
{
    /* Most flows are a SYN or two: a session must stay small and allocate nothing else. */
    harness_t h;
    h_init(&h, NULL);
    h_send(&h, C2S, F_S, 1, 0, NULL);
    assert_true(h_stat(&h, "tcp.memuse") <= 160);
    assert_int_equal(h_stat(&h, "tcp.reassembly_memuse"), 0);
    h_fini(&h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_handshake_complete),
        cmocka_unit_test(test_split_handshake),
        cmocka_unit_test(test_handshake_incomplete),
        cmocka_unit_test(test_synack_wrong_ack),
        cmocka_unit_test(test_fast_open),
        cmocka_unit_test(test_final_ack_wrong),
        cmocka_unit_test(test_data_both_directions),
        cmocka_unit_test(test_raw_queries),
        cmocka_unit_test(test_synack_first_midstream),
        cmocka_unit_test(test_synack_first_no_midstream),
        cmocka_unit_test(test_midstream_on),
        cmocka_unit_test(test_midstream_off),
        cmocka_unit_test(test_async_oneside),
        cmocka_unit_test(test_rst),
        cmocka_unit_test(test_rst_in_syn_sent),
        cmocka_unit_test(test_fin_client_first),
        cmocka_unit_test(test_fin_simultaneous),
        cmocka_unit_test(test_fin_server_first),
        cmocka_unit_test(test_fin_with_hole_acked),
        cmocka_unit_test(test_syn_in_established),
        cmocka_unit_test(test_broken_ack_and_checksum),
        cmocka_unit_test(test_ssn_memcap),
        cmocka_unit_test(test_stats_table),
        cmocka_unit_test(test_session_small),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
