/* pcapw.h — test support: write small pcap files and build packets with correct checksums.
 * The project's tests make their own traffic with these (never third-party captures). */
#ifndef VG_TESTS_PCAPW_H
#define VG_TESTS_PCAPW_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct pcapw {
    FILE *f;
    int linktype;
} pcapw_t;

/* Opens path for writing a classic pcap (microsecond) file with this DLT; NULL on error. */
pcapw_t *pcapw_open(const char *path, int linktype);
void pcapw_write(pcapw_t *w, uint64_t ts_usec, const void *data, size_t len);
/* Writes a record whose captured length is caplen but whose wire length is wirelen. */
void pcapw_write_trunc(pcapw_t *w, uint64_t ts_usec, const void *data, size_t caplen, size_t wirelen);
void pcapw_close(pcapw_t *w);

/* Packet builder. Addresses are strings ("10.0.0.1", "2001:db8::1"); family from the string. */
typedef struct pkt_spec {
    const char *src, *dst;
    uint16_t sp, dp;
    uint8_t proto;          /* 6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6 */
    uint8_t tcp_flags;
    uint32_t seq, ack;
    uint16_t win;
    uint8_t ttl;            /* default 64 when 0 */
    uint16_t ip_id;
    uint8_t icmp_type, icmp_code;
    const void *payload;
    size_t payload_len;
    uint16_t vlan;          /* 0 = none */
    int no_eth;             /* 1: start at the IP header (raw IP) */
} pkt_spec_t;

/* Builds the packet into out (cap bytes); returns its length. Checksums are correct. */
size_t pkt_build(const pkt_spec_t *s, uint8_t *out, size_t cap);

/* Internet checksum over a buffer (folded, complemented). */
uint16_t pkt_cksum(const void *data, size_t len, uint32_t initial);

/* Convenience: a full TCP conversation writer keeping sequence numbers. */
typedef struct tcp_conv {
    pcapw_t *w;
    const char *cli, *srv;
    uint16_t cport, sport;
    uint32_t cseq, sseq;
    uint64_t ts;        /* advanced by step_us on every packet */
    uint64_t step_us;
} tcp_conv_t;

void tcp_conv_handshake(tcp_conv_t *c);
/* Data from client (to_server=1) or server, with ACK|PSH. */
void tcp_conv_send(tcp_conv_t *c, int to_server, const void *data, size_t len);
/* FIN exchange from the client side and final ACK. */
void tcp_conv_close(tcp_conv_t *c);

#endif
