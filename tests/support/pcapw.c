/* pcapw.c — pcap writer and packet builder for tests. */
#include "pcapw.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

static void put32(FILE *f, uint32_t v) { fwrite(&v, 4, 1, f); }
static void put16(FILE *f, uint16_t v) { fwrite(&v, 2, 1, f); }

pcapw_t *pcapw_open(const char *path, int linktype)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return NULL;
    pcapw_t *w = calloc(1, sizeof *w);
    w->f = f;
    w->linktype = linktype;
    put32(f, 0xa1b2c3d4);
    put16(f, 2);
    put16(f, 4);
    put32(f, 0);
    put32(f, 0);
    put32(f, 65535);
    put32(f, (uint32_t)linktype);
    return w;
}

void pcapw_write_trunc(pcapw_t *w, uint64_t ts, const void *data, size_t caplen, size_t wirelen)
{
    put32(w->f, (uint32_t)(ts / 1000000));
    put32(w->f, (uint32_t)(ts % 1000000));
    put32(w->f, (uint32_t)caplen);
    put32(w->f, (uint32_t)wirelen);
    fwrite(data, 1, caplen, w->f);
}

void pcapw_write(pcapw_t *w, uint64_t ts, const void *data, size_t len)
{
    pcapw_write_trunc(w, ts, data, len, len);
}

void pcapw_close(pcapw_t *w)
{
    if (!w)
        return;
    fclose(w->f);
    free(w);
}

uint16_t pkt_cksum(const void *data, size_t len, uint32_t sum)
{
    const uint8_t *p = data;
    while (len > 1) {
        sum += (uint32_t)(p[0] << 8 | p[1]);
        p += 2;
        len -= 2;
    }
    if (len)
        sum += (uint32_t)(p[0] << 8);
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

static uint32_t sum_words(const uint8_t *p, size_t len)
{
    uint32_t s = 0;
    for (size_t i = 0; i + 1 < len; i += 2)
        s += (uint32_t)(p[i] << 8 | p[i + 1]);
    return s;
}

size_t pkt_build(const pkt_spec_t *s, uint8_t *out, size_t cap)
{
    uint8_t a6s[16], a6d[16];
    int v6 = strchr(s->src, ':') != NULL;
    if (v6) {
        inet_pton(AF_INET6, s->src, a6s);
        inet_pton(AF_INET6, s->dst, a6d);
    } else {
        inet_pton(AF_INET, s->src, a6s);
        inet_pton(AF_INET, s->dst, a6d);
    }
    size_t n = 0;
    if (!s->no_eth) {
        static const uint8_t macs[12] = {0, 1, 2, 3, 4, 5, 0, 6, 7, 8, 9, 10};
        memcpy(out, macs, 12);
        n = 12;
        if (s->vlan) {
            out[n++] = 0x81;
            out[n++] = 0x00;
            out[n++] = (uint8_t)(s->vlan >> 8);
            out[n++] = (uint8_t)s->vlan;
        }
        out[n++] = v6 ? 0x86 : 0x08;
        out[n++] = v6 ? 0xdd : 0x00;
    }
    size_t l4hl = s->proto == 6 ? 20 : 8;
    size_t l4len = l4hl + s->payload_len;
    size_t iphl = v6 ? 40 : 20;
    if (n + iphl + l4len > cap)
        abort();
    uint8_t *ip = out + n;
    memset(ip, 0, iphl);
    if (v6) {
        ip[0] = 0x60;
        ip[4] = (uint8_t)(l4len >> 8);
        ip[5] = (uint8_t)l4len;
        ip[6] = s->proto;
        ip[7] = s->ttl ? s->ttl : 64;
        memcpy(ip + 8, a6s, 16);
        memcpy(ip + 24, a6d, 16);
    } else {
        size_t tot = iphl + l4len;
        ip[0] = 0x45;
        ip[2] = (uint8_t)(tot >> 8);
        ip[3] = (uint8_t)tot;
        ip[4] = (uint8_t)(s->ip_id >> 8);
        ip[5] = (uint8_t)s->ip_id;
        ip[8] = s->ttl ? s->ttl : 64;
        ip[9] = s->proto;
        memcpy(ip + 12, a6s, 4);
        memcpy(ip + 16, a6d, 4);
        uint16_t c = pkt_cksum(ip, 20, 0);
        ip[10] = (uint8_t)(c >> 8);
        ip[11] = (uint8_t)c;
    }
    uint8_t *l4 = ip + iphl;
    memset(l4, 0, l4hl);
    if (s->proto == 6) {
        l4[0] = (uint8_t)(s->sp >> 8); l4[1] = (uint8_t)s->sp;
        l4[2] = (uint8_t)(s->dp >> 8); l4[3] = (uint8_t)s->dp;
        uint32_t seq = htonl(s->seq), ack = htonl(s->ack);
        memcpy(l4 + 4, &seq, 4);
        memcpy(l4 + 8, &ack, 4);
        l4[12] = 0x50;
        l4[13] = s->tcp_flags;
        uint16_t win = s->win ? s->win : 65535;
        l4[14] = (uint8_t)(win >> 8); l4[15] = (uint8_t)win;
    } else if (s->proto == 17) {
        l4[0] = (uint8_t)(s->sp >> 8); l4[1] = (uint8_t)s->sp;
        l4[2] = (uint8_t)(s->dp >> 8); l4[3] = (uint8_t)s->dp;
        l4[4] = (uint8_t)(l4len >> 8); l4[5] = (uint8_t)l4len;
    } else {
        l4[0] = s->icmp_type;
        l4[1] = s->icmp_code;
    }
    if (s->payload_len)
        memcpy(l4 + l4hl, s->payload, s->payload_len);
    /* checksum */
    uint32_t pseudo;
    if (s->proto == 1) {
        pseudo = 0;
    } else if (v6) {
        pseudo = sum_words(a6s, 16) + sum_words(a6d, 16) + (uint32_t)l4len + s->proto;
    } else {
        pseudo = sum_words(a6s, 4) + sum_words(a6d, 4) + (uint32_t)l4len + s->proto;
    }
    size_t coff = s->proto == 6 ? 16 : s->proto == 17 ? 6 : 2;
    uint16_t c = pkt_cksum(l4, l4len, pseudo);
    if (s->proto == 17 && c == 0)
        c = 0xffff;
    l4[coff] = (uint8_t)(c >> 8);
    l4[coff + 1] = (uint8_t)c;
    return n + iphl + l4len;
}

static void conv_pkt(tcp_conv_t *c, int to_server, uint8_t flags, const void *data, size_t len)
{
    uint8_t buf[70000];
    pkt_spec_t s = {0};
    s.proto = 6;
    s.tcp_flags = flags;
    s.payload = data;
    s.payload_len = len;
    if (to_server) {
        s.src = c->cli; s.dst = c->srv; s.sp = c->cport; s.dp = c->sport;
        s.seq = c->cseq; s.ack = (flags & 0x10) ? c->sseq : 0;
    } else {
        s.src = c->srv; s.dst = c->cli; s.sp = c->sport; s.dp = c->cport;
        s.seq = c->sseq; s.ack = c->cseq;
    }
    size_t n = pkt_build(&s, buf, sizeof buf);
    pcapw_write(c->w, c->ts, buf, n);
    c->ts += c->step_us ? c->step_us : 1000;
    uint32_t adv = (uint32_t)len + ((flags & 0x03) ? 1 : 0);
    if (to_server)
        c->cseq += adv;
    else
        c->sseq += adv;
}

void tcp_conv_handshake(tcp_conv_t *c)
{
    conv_pkt(c, 1, 0x02, NULL, 0);
    conv_pkt(c, 0, 0x12, NULL, 0);
    conv_pkt(c, 1, 0x10, NULL, 0);
}

void tcp_conv_send(tcp_conv_t *c, int to_server, const void *data, size_t len)
{
    conv_pkt(c, to_server, 0x18, data, len);
}

void tcp_conv_close(tcp_conv_t *c)
{
    conv_pkt(c, 1, 0x11, NULL, 0);
    conv_pkt(c, 0, 0x11, NULL, 0);
    conv_pkt(c, 1, 0x10, NULL, 0);
}
