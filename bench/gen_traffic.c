/* gen_traffic.c — `vigil-gen`: writes a synthetic capture with a realistic mix of traffic.
 *
 * Used for the README's demo run, the golden tests and the benchmarks (a capture of any size,
 * e.g. `vigil-gen --size 1G`). Flows are interleaved as on a real link: a window of concurrently
 * active conversations, each emitting its next packet in turn, with packet time advancing by small
 * random steps. The mix (by flow count): HTTP sessions with responses of 0.2-60 KB, TLS-like
 * sessions, DNS queries and answers, SSH banners with data, SYN probes of a port scan (answered by
 * RST or unanswered), ICMP echo, and a few 802.1Q-tagged flows. Deterministic for a given --seed.
 *
 * --mix web (the default) is that mix: ~9 packets per flow, ~500 bytes per packet.
 * --mix attack is shaped like the attack captures PERFORMANCE.md describes (~3 packets per flow,
 * a few hundred bytes per packet): mostly scan probes and spoofed SYNs, DNS, unanswered or
 * answered pings, and a minority of short HTTP/TLS/SSH sessions. Flow set-up, expiry and the flow
 * event dominate its cost, as on real attack traffic.
 */
#include "pcapw.h"

#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng_state;

static uint32_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 11);
}

static uint32_t rnd_range(uint32_t lo, uint32_t hi) { return lo + rnd() % (hi - lo + 1); }

enum kind { K_HTTP, K_TLS, K_DNS, K_SSH, K_SCAN, K_ICMP, K_N };

typedef struct flow {
    enum kind kind;
    char cli[40], srv[40];
    uint16_t cport, sport, vlan, icmp_id;
    uint32_t cseq, sseq;
    int step;            /* next packet to emit */
    uint32_t resp_len, resp_sent;
    uint32_t n_data;     /* SSH data exchanges left */
    int done;
} flow_t;

static pcapw_t *out;
static uint64_t now_us = 1700000000ULL * 1000000ULL;
static uint64_t bytes_written;
static int mix_attack;
static uint64_t packets_written;

static void emit(const pkt_spec_t *s)
{
    static uint8_t buf[70000];
    size_t n = pkt_build(s, buf, sizeof buf);
    pcapw_write(out, now_us, buf, n);
    bytes_written += n + 16;
    packets_written++;
    now_us += rnd_range(1, 400);
}

static void tcp(flow_t *f, int to_server, uint8_t flags, const void *data, size_t len)
{
    pkt_spec_t s = {0};
    s.proto = 6;
    s.tcp_flags = flags;
    s.payload = data;
    s.payload_len = len;
    s.vlan = f->vlan;
    if (to_server) {
        s.src = f->cli; s.dst = f->srv; s.sp = f->cport; s.dp = f->sport;
        s.seq = f->cseq; s.ack = (flags & 0x10) ? f->sseq : 0;
        f->cseq += (uint32_t)len + ((flags & 3) ? 1 : 0);
    } else {
        s.src = f->srv; s.dst = f->cli; s.sp = f->sport; s.dp = f->cport;
        s.seq = f->sseq; s.ack = f->cseq;
        f->sseq += (uint32_t)len + ((flags & 3) ? 1 : 0);
    }
    emit(&s);
}

static const char *const hosts[] = {"www.example.com", "cdn.example.net", "api.example.org",
                                    "updates.example.com", "mail.example.net"};
static const char *const paths[] = {"/", "/index.html", "/images/logo.png", "/api/v1/items?id=42",
                                    "/login.php", "/static/app.js", "/search?q=network+sensor"};

static void random_ip(char *o, int internal)
{
    if (internal)
        sprintf(o, "10.%u.%u.%u", rnd_range(0, 3), rnd_range(0, 255), rnd_range(1, 254));
    else
        sprintf(o, "%u.%u.%u.%u", rnd_range(11, 223), rnd_range(0, 255), rnd_range(0, 255),
                rnd_range(1, 254));
}

static void flow_init(flow_t *f)
{
    memset(f, 0, sizeof *f);
    uint32_t r = rnd() % 100;
    if (mix_attack)
        f->kind = r < 10 ? K_HTTP : r < 14 ? K_TLS : r < 38 ? K_DNS : r < 40 ? K_SSH : r < 86 ? K_SCAN : K_ICMP;
    else
        f->kind = r < 35 ? K_HTTP : r < 50 ? K_TLS : r < 75 ? K_DNS : r < 80 ? K_SSH : r < 95 ? K_SCAN : K_ICMP;
    int inbound = rnd() % 3 == 0;
    random_ip(f->cli, !inbound);
    random_ip(f->srv, inbound);
    f->cport = (uint16_t)rnd_range(1024, 65000);
    static const uint16_t ports[K_N] = {80, 443, 53, 22, 0, 0};
    f->sport = f->kind == K_SCAN ? (uint16_t)rnd_range(1, 10000) : ports[f->kind];
    f->cseq = rnd();
    f->sseq = rnd();
    f->vlan = rnd() % 20 == 0 ? (uint16_t)rnd_range(2, 4000) : 0;
    f->icmp_id = (uint16_t)rnd();
    f->resp_len = rnd_range(200, rnd() % 4 ? 8000 : 60000);
    f->n_data = rnd_range(2, 12);
    if (mix_attack) {
        f->resp_len = rnd_range(100, 12000);
        f->n_data = rnd_range(1, 4);
    }
}

static void step_http(flow_t *f)
{
    char req[512], hdr[256];
    switch (f->step) {
    case 0: tcp(f, 1, 0x02, NULL, 0); break;
    case 1: tcp(f, 0, 0x12, NULL, 0); break;
    case 2: tcp(f, 1, 0x10, NULL, 0); break;
    case 3: {
        int n = snprintf(req, sizeof req,
                         "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64)\r\n"
                         "Accept: */*\r\nConnection: keep-alive\r\n\r\n",
                         paths[rnd() % 7], hosts[rnd() % 5]);
        tcp(f, 1, 0x18, req, (size_t)n);
        break;
    }
    case 4: {
        int n = snprintf(hdr, sizeof hdr,
                         "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %u\r\n\r\n",
                         f->resp_len);
        tcp(f, 0, 0x18, hdr, (size_t)n);
        break;
    }
    case 5: {
        static char body[1460];
        if (!body[0])
            for (size_t i = 0; i < sizeof body; i++)
                body[i] = "abcdefghijklmnopqrstuvwxyz <>/=\n"[i % 32];
        uint32_t left = f->resp_len - f->resp_sent;
        uint32_t n = left > 1460 ? 1460 : left;
        tcp(f, 0, 0x10, body, n);
        f->resp_sent += n;
        if (f->resp_sent < f->resp_len)
            return; /* stay on this step */
        break;
    }
    case 6: tcp(f, 1, 0x11, NULL, 0); break;
    case 7: tcp(f, 0, 0x11, NULL, 0); break;
    case 8: tcp(f, 1, 0x10, NULL, 0); f->done = 1; break;
    }
    f->step++;
}

static void step_tls(flow_t *f)
{
    uint8_t rec[600];
    switch (f->step) {
    case 0: tcp(f, 1, 0x02, NULL, 0); break;
    case 1: tcp(f, 0, 0x12, NULL, 0); break;
    case 2: tcp(f, 1, 0x10, NULL, 0); break;
    case 3: case 4: case 5: case 6: {
        /* handshake-shaped records, then application data */
        size_t n = rnd_range(100, 580);
        for (size_t i = 0; i < n; i++)
            rec[i] = (uint8_t)rnd();
        rec[0] = f->step < 5 ? 0x16 : 0x17;
        rec[1] = 3;
        rec[2] = 3;
        rec[3] = (uint8_t)((n - 5) >> 8);
        rec[4] = (uint8_t)(n - 5);
        tcp(f, (f->step & 1) != 0, 0x18, rec, n);
        break;
    }
    case 7: tcp(f, 1, 0x11, NULL, 0); break;
    case 8: tcp(f, 0, 0x11, NULL, 0); break;
    case 9: tcp(f, 1, 0x10, NULL, 0); f->done = 1; break;
    }
    f->step++;
}

static void step_dns(flow_t *f)
{
    uint8_t m[300];
    const char *name = hosts[rnd() % 5];
    size_t n = 12;
    memset(m, 0, 12);
    uint16_t id = (uint16_t)(f->cport * 7);
    m[0] = (uint8_t)(id >> 8); m[1] = (uint8_t)id;
    m[2] = f->step ? 0x81 : 0x01; m[3] = f->step ? 0x80 : 0x00;
    m[5] = 1;
    m[7] = f->step ? 1 : 0;
    const char *p = name;
    while (*p) {
        const char *dot = strchr(p, '.');
        size_t l = dot ? (size_t)(dot - p) : strlen(p);
        m[n++] = (uint8_t)l;
        memcpy(m + n, p, l);
        n += l;
        p += l + (dot ? 1 : 0);
    }
    m[n++] = 0;
    m[n++] = 0; m[n++] = 1; m[n++] = 0; m[n++] = 1;
    if (f->step) {
        static const uint8_t ans[] = {0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0x0e, 0x10, 0, 4, 93, 184, 216, 34};
        memcpy(m + n, ans, sizeof ans);
        n += sizeof ans;
    }
    pkt_spec_t s = {0};
    s.proto = 17;
    s.vlan = f->vlan;
    s.payload = m;
    s.payload_len = n;
    if (f->step == 0) {
        s.src = f->cli; s.dst = f->srv; s.sp = f->cport; s.dp = 53;
    } else {
        s.src = f->srv; s.dst = f->cli; s.sp = 53; s.dp = f->cport;
        f->done = 1;
    }
    emit(&s);
    f->step++;
}

static void step_ssh(flow_t *f)
{
    static const char cb[] = "SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n", sb[] = "SSH-2.0-OpenSSH_8.9p1 Ubuntu-3\r\n";
    uint8_t data[300];
    switch (f->step) {
    case 0: tcp(f, 1, 0x02, NULL, 0); break;
    case 1: tcp(f, 0, 0x12, NULL, 0); break;
    case 2: tcp(f, 1, 0x10, NULL, 0); break;
    case 3: tcp(f, 0, 0x18, sb, sizeof sb - 1); break;
    case 4: tcp(f, 1, 0x18, cb, sizeof cb - 1); break;
    case 5: {
        size_t n = rnd_range(40, 300);
        for (size_t i = 0; i < n; i++)
            data[i] = (uint8_t)rnd();
        tcp(f, (int)(f->n_data & 1), 0x18, data, n);
        if (--f->n_data)
            return;
        break;
    }
    case 6: tcp(f, 1, 0x11, NULL, 0); break;
    case 7: tcp(f, 0, 0x11, NULL, 0); break;
    case 8: tcp(f, 1, 0x10, NULL, 0); f->done = 1; break;
    }
    f->step++;
}

static void step_scan(flow_t *f)
{
    if (f->step == 0) {
        tcp(f, 1, 0x02, NULL, 0);
        if (rnd() % 2)
            f->done = 1; /* unanswered probe */
    } else {
        tcp(f, 0, 0x14, NULL, 0); /* RST-ACK: port closed */
        f->done = 1;
    }
    f->step++;
}

static void step_icmp(flow_t *f)
{
    uint8_t data[56];
    memset(data, 0x42, sizeof data);
    data[0] = (uint8_t)(f->icmp_id >> 8); data[1] = (uint8_t)f->icmp_id;
    data[2] = 0; data[3] = (uint8_t)f->step;
    pkt_spec_t s = {0};
    s.proto = 1;
    s.vlan = f->vlan;
    int reply = f->step & 1;
    s.icmp_type = reply ? 0 : 8;
    s.src = reply ? f->srv : f->cli;
    s.dst = reply ? f->cli : f->srv;
    s.payload = data;
    s.payload_len = sizeof data;
    emit(&s);
    /* attack mix: a ping sweep, one echo (half of them answered) per target */
    if (++f->step == (mix_attack ? (f->icmp_id & 1) + 1 : 4))
        f->done = 1;
}

int main(int argc, char **argv)
{
    uint64_t flows = 1000, size = 0, seed = 1;
    const char *path = NULL;
    unsigned window = 64;
    static const struct option lo[] = {{"flows", 1, 0, 'f'}, {"size", 1, 0, 's'}, {"seed", 1, 0, 'S'},
                                       {"window", 1, 0, 'w'}, {"output", 1, 0, 'o'},
                                       {"mix", 1, 0, 'm'}, {0, 0, 0, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "f:s:S:w:o:m:", lo, NULL)) != -1) {
        char *end;
        switch (c) {
        case 'f': flows = strtoull(optarg, NULL, 10); break;
        case 's':
            size = strtoull(optarg, &end, 10);
            if (*end == 'K' || *end == 'k') size <<= 10;
            if (*end == 'M' || *end == 'm') size <<= 20;
            if (*end == 'G' || *end == 'g') size <<= 30;
            flows = UINT64_MAX;
            break;
        case 'S': seed = strtoull(optarg, NULL, 10); break;
        case 'w': window = (unsigned)strtoul(optarg, NULL, 10); break;
        case 'o': path = optarg; break;
        case 'm':
            if (!strcmp(optarg, "attack"))
                mix_attack = 1;
            else if (strcmp(optarg, "web") != 0) {
                fprintf(stderr, "vigil-gen: --mix expects web or attack\n");
                return 2;
            }
            break;
        default:
            fprintf(stderr, "usage: vigil-gen [--flows N | --size 1G] [--seed S] [--window W] "
                            "[--mix web|attack] -o FILE\n");
            return 2;
        }
    }
    if (!path || window == 0) {
        fprintf(stderr, "vigil-gen: -o FILE is required\n");
        return 2;
    }
    rng_state = seed * 0x9E3779B97F4A7C15ULL + 1;
    out = pcapw_open(path, 1);
    if (!out) {
        perror(path);
        return 1;
    }
    flow_t *act = calloc(window, sizeof *act);
    uint64_t started = 0, finished = 0;
    for (unsigned i = 0; i < window && started < flows; i++, started++)
        flow_init(&act[i]);
    unsigned live = window < flows ? window : (unsigned)flows;
    while (live) {
        if (size && bytes_written >= size)
            break;
        unsigned i = rnd() % live;
        flow_t *f = &act[i];
        switch (f->kind) {
        case K_HTTP: step_http(f); break;
        case K_TLS: step_tls(f); break;
        case K_DNS: step_dns(f); break;
        case K_SSH: step_ssh(f); break;
        case K_SCAN: step_scan(f); break;
        default: step_icmp(f); break;
        }
        if (f->done) {
            finished++;
            if (started < flows) {
                flow_init(f);
                started++;
            } else {
                act[i] = act[--live];
            }
        }
    }
    pcapw_close(out);
    free(act);
    fprintf(stderr, "vigil-gen: %s: %llu flows, %llu packets, %.1f MB\n", path,
            (unsigned long long)finished, (unsigned long long)packets_written,
            (double)bytes_written / 1e6);
    return 0;
}
