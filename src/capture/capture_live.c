/* capture_live.c — packets from network interfaces.
 *
 * AF_PACKET with TPACKET_V3 (the default): packet sockets with a memory-mapped ring of blocks
 * each. The kernel fills a block with packets and hands it over when it is full or after
 * block_timeout_ms; we walk the packets of a block and give the block back. Nothing is copied
 * here. The BPF filter is compiled by libpcap and attached before the socket receives anything,
 * so no unfiltered packet is seen.
 *
 * Without fanout, one socket per interface, read by the engine's reader thread (which copies
 * each packet into a worker batch). With fanout N, N sockets per interface joined in one
 * PACKET_FANOUT group (the kernel picks the group id: PACKET_FANOUT_FLAG_UNIQUEID, so two
 * processes never share a group by accident); "part" k is the k-th socket of every interface,
 * read in place by worker k. Two ways to split:
 *   hash     PACKET_FANOUT_HASH | PACKET_FANOUT_FLAG_DEFRAG: the kernel's flow hash, which is
 *            symmetric (fanout_demux_hash calls __skb_get_hash_symmetric; checked on the
 *            running kernel by tests/e2e/test_live.py fanout_flows), so both directions of a
 *            TCP/UDP flow reach one socket; IP
 *            fragments are reassembled by the kernel first (else they would hash by address
 *            pair only and land elsewhere than their flow) — the sensor then sees the
 *            reassembled datagram, not the fragments.
 *   ip-pair  PACKET_FANOUT_CBPF with a classic BPF program hashing the outermost IP pair
 *            symmetrically, as the engine splits packets read from files: fragments stay
 *            fragments and go with their flow, and no kernel defragmentation is needed.
 * While the group is built every socket drops everything (a filter that accepts nothing), so a
 * packet is never seen by a socket before it joins the group (it would be seen twice).
 *
 * libpcap live capture ("pcap") is the portable fallback, one pcap_t per interface.
 *
 * Kernel counters (PACKET_STATISTICS) are reset by each read, so they are accumulated here.
 * Packets sent by this host are kept (a span port or tap has none), except on loopback where
 * every packet would otherwise be seen twice.
 */
#include "capture/capture_int.h"
#include "common/common.h"
#include "common/log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/ethtool.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

typedef struct live_if { /* one socket: an interface, or with fanout one member of its group */
    char name[IFNAMSIZ];
    int ifindex;
    int fd;
    int linktype;
    bool loopback;
    /* AF_PACKET */
    uint8_t *map;
    size_t map_len;
    uint32_t block_size, n_blocks;
    uint32_t blk;            /* next block to look at */
    struct tpacket_block_desc *cur; /* block being walked, or NULL */
    uint32_t left;           /* packets left in cur */
    struct tpacket3_hdr *next;
    /* libpcap */
    pcap_t *pcap;
    /* counters */
    uint64_t k_packets, k_drops;
    bool down_reported;
    uint64_t cnt_next;       /* packet numbers reserved for the block being walked */
} live_if_t;

/* What one reading thread owns: its socket on every interface. */
typedef struct live_part {
    live_if_t *ifs;          /* n_ifs sockets, one per interface */
    unsigned k;
    size_t rr;               /* interface to look at first (round robin) */
    uint8_t *scratch;        /* frame with its VLAN tag put back */
    struct pollfd *pfd;
    char err[512];
} live_part_t;

struct vg_live {
    live_if_t *socks;        /* n_parts x n_ifs: part k's sockets at socks + k * n_ifs */
    size_t n_ifs;
    unsigned n_parts;        /* sockets per interface */
    bool direct;             /* parts are read by the workers (vg_live_next_part) */
    bool fanout;             /* n_parts >= 2: the sockets of an interface form a fanout group */
    live_part_t *parts;
    bool use_pcap;
    atomic_bool stopping;
    unsigned poll_ms;
    unsigned drain_ms;       /* wait at stop for the kernel to hand over partly filled blocks */
    atomic_ullong pkt_cnt;   /* packet numbers, handed out a block at a time (unique per run) */
    size_t scratch_len;
};

static void if_close(live_if_t *f)
{
    if (f->map)
        munmap(f->map, f->map_len);
    if (f->fd >= 0 && !f->pcap)
        close(f->fd);
    if (f->pcap)
        pcap_close(f->pcap);
    f->map = NULL;
    f->fd = -1;
    f->pcap = NULL;
}

void vg_live_free(vg_live_t *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < (size_t)l->n_parts * l->n_ifs; i++)
        if_close(&l->socks[i]);
    for (unsigned k = 0; k < l->n_parts; k++) {
        free(l->parts[k].pfd);
        free(l->parts[k].scratch);
    }
    free(l->parts);
    free(l->socks);
    free(l);
}

/* GRO/LRO merge packets before the sensor sees them: streams still reassemble, but packet
 * counts, sizes and per-packet rules change. Warn only (a NIC may not allow turning them off). */
static void warn_offloads(int fd, const char *name)
{
    struct ifreq ifr;
    const char *on[2];
    int n = 0;
    struct ethtool_value ev = {.cmd = ETHTOOL_GGRO};
    memset(&ifr, 0, sizeof ifr);
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", name);
    ifr.ifr_data = (void *)&ev;
    if (ioctl(fd, SIOCETHTOOL, &ifr) == 0 && ev.data)
        on[n++] = "gro";
    ev.cmd = ETHTOOL_GFLAGS;
    ev.data = 0;
    if (ioctl(fd, SIOCETHTOOL, &ifr) == 0 && (ev.data & ETH_FLAG_LRO))
        on[n++] = "lro";
    if (n)
        vg_log(VG_LOG_WARN,
               "%s: %s%s%s offload is on: the kernel merges packets before Vigil sees them "
               "(turn off with: ethtool -K %s%s%s)",
               name, on[0], n > 1 ? " and " : "", n > 1 ? on[1] : "", name,
               " gro off", n > 1 ? " lro off" : (strcmp(on[0], "lro") ? "" : " lro off"));
}

/* Checks that the interface exists and is up; fills ifindex and link type. */
static int if_check(live_if_t *f, int fd, char *err, size_t err_len)
{
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", f->name);
    f->ifindex = (int)if_nametoindex(f->name);
    if (f->ifindex == 0) {
        snprintf(err, err_len, "%s: no such interface", f->name);
        return -1;
    }
    if (ioctl(fd, SIOCGIFFLAGS, &ifr) != 0) {
        snprintf(err, err_len, "%s: cannot read interface flags: %s", f->name, strerror(errno));
        return -1;
    }
    if (!(ifr.ifr_flags & IFF_UP)) {
        snprintf(err, err_len, "%s: interface is down (ip link set %s up)", f->name, f->name);
        return -1;
    }
    f->loopback = (ifr.ifr_flags & IFF_LOOPBACK) != 0;
    if (ioctl(fd, SIOCGIFHWADDR, &ifr) != 0) {
        snprintf(err, err_len, "%s: cannot read link type: %s", f->name, strerror(errno));
        return -1;
    }
    switch (ifr.ifr_hwaddr.sa_family) {
    case ARPHRD_ETHER:
    case ARPHRD_LOOPBACK:
        f->linktype = DLT_EN10MB;
        break;
    case ARPHRD_NONE:
    case ARPHRD_IPGRE:
    case ARPHRD_TUNNEL:
    case ARPHRD_TUNNEL6:
        f->linktype = 101; /* LINKTYPE_RAW: the frame is the IP packet */
        break;
    default:
        snprintf(err, err_len, "%s: unsupported link type (ARPHRD %u)", f->name,
                 (unsigned)ifr.ifr_hwaddr.sa_family);
        return -1;
    }
    return 0;
}

static int attach_bpf(live_if_t *f, const vg_live_config_t *lc, char *err, size_t err_len)
{
    if (!lc->bpf || !*lc->bpf)
        return 0;
    pcap_t *dead = pcap_open_dead(f->linktype, (int)lc->snaplen);
    struct bpf_program prog;
    if (!dead || pcap_compile(dead, &prog, lc->bpf, 1, PCAP_NETMASK_UNKNOWN) != 0) {
        snprintf(err, err_len, "--bpf '%s': %s", lc->bpf, dead ? pcap_geterr(dead) : "out of memory");
        if (dead)
            pcap_close(dead);
        return -1;
    }
    struct sock_fprog fp = {.len = (unsigned short)prog.bf_len,
                            .filter = (struct sock_filter *)prog.bf_insns};
    int rc = setsockopt(f->fd, SOL_SOCKET, SO_ATTACH_FILTER, &fp, sizeof fp);
    if (rc != 0)
        snprintf(err, err_len, "%s: cannot attach --bpf '%s': %s", f->name, lc->bpf,
                 strerror(errno));
    pcap_freecode(&prog);
    pcap_close(dead);
    return rc;
}

static int set_filter(int fd, const struct sock_fprog *fp)
{
    return setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, fp, sizeof *fp);
}

static const struct sock_filter drop_all_insn = BPF_STMT(BPF_RET | BPF_K, 0);
static const struct sock_fprog drop_all = {.len = 1, .filter = (struct sock_filter *)&drop_all_insn};

/* The ip-pair fanout program: a symmetric hash of the outermost IPv4 or IPv6 address pair
 * (xor of the two addresses, then mixed), 0 for anything else; the kernel takes it modulo the
 * number of sockets. Loads are relative to the network header (SKF_NET_OFF), so the link type
 * does not matter; a VLAN tag has been moved out of the frame by the kernel. */
static size_t ip_pair_prog(struct sock_filter *ins)
{
    size_t n = 0;
    const int32_t net = SKF_NET_OFF;
    ins[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_H | BPF_ABS, SKF_AD_OFF + SKF_AD_PROTOCOL);
    ins[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IP, 0, 5);
    ins[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (uint32_t)(net + 12));
    ins[n++] = (struct sock_filter)BPF_STMT(BPF_MISC | BPF_TAX, 0);
    ins[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (uint32_t)(net + 16));
    ins[n++] = (struct sock_filter)BPF_STMT(BPF_ALU | BPF_XOR | BPF_X, 0);
    ins[n++] = (struct sock_filter)BPF_STMT(BPF_JMP | BPF_JA, 1 + 8 * 3 + 1); /* to the mix */
    ins[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IPV6, 0, 1 + 8 * 3 + 3); /* else return 0 */
    /* IPv6: xor of the 8 words of source and destination (offsets 8..39), 3 insns a word */
    ins[n++] = (struct sock_filter)BPF_STMT(BPF_LDX | BPF_IMM, 0);
    for (int wd = 0; wd < 8; wd++) {
        ins[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (uint32_t)(net + 8 + 4 * wd));
        ins[n++] = (struct sock_filter)BPF_STMT(BPF_ALU | BPF_XOR | BPF_X, 0);
        ins[n++] = (struct sock_filter)BPF_STMT(BPF_MISC | BPF_TAX, 0);
    }
    /* the mix (A holds the xor): multiply, keep the high half */
    ins[n++] = (struct sock_filter)BPF_STMT(BPF_ALU | BPF_MUL | BPF_K, 0x9e3779b1u);
    ins[n++] = (struct sock_filter)BPF_STMT(BPF_ALU | BPF_RSH | BPF_K, 16);
    ins[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_A, 0);
    ins[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, 0);
    return n;
}

/* Joins f (bound) to its interface's fanout group; *group is -1 for the first socket: the kernel
 * then picks a unique id, read back into *group (0 is a valid id: the kernel's first). */
static int join_fanout(live_if_t *f, bool ip_pair, int *group, char *err, size_t err_len)
{
    int type = ip_pair ? PACKET_FANOUT_CBPF : (PACKET_FANOUT_HASH | PACKET_FANOUT_FLAG_DEFRAG);
    uint32_t ut = (uint32_t)type;
    uint32_t uarg = *group >= 0 ? ((uint32_t)*group | ut << 16)
                                : ((ut | PACKET_FANOUT_FLAG_UNIQUEID) << 16);
    int arg = (int)uarg;
    if (setsockopt(f->fd, SOL_PACKET, PACKET_FANOUT, &arg, sizeof arg) != 0) {
        snprintf(err, err_len, "%s: cannot join a packet fanout group: %s", f->name,
                 strerror(errno));
        return -1;
    }
    if (*group >= 0)
        return 0;
    socklen_t len = sizeof arg;
    if (getsockopt(f->fd, SOL_PACKET, PACKET_FANOUT, &arg, &len) != 0) {
        snprintf(err, err_len, "%s: cannot read the fanout group id: %s", f->name, strerror(errno));
        return -1;
    }
    *group = arg & 0xffff;
    if (ip_pair) { /* the program belongs to the group: set once */
        struct sock_filter ins[48];
        struct sock_fprog fp = {.len = (unsigned short)ip_pair_prog(ins), .filter = ins};
        if (setsockopt(f->fd, SOL_PACKET, PACKET_FANOUT_DATA, &fp, sizeof fp) != 0) {
            snprintf(err, err_len, "%s: cannot set the fanout program: %s", f->name,
                     strerror(errno));
            return -1;
        }
    }
    return 0;
}

static int open_afpacket(live_if_t *f, const vg_live_config_t *lc, bool fanout, char *err,
                         size_t err_len)
{
    if (if_nametoindex(f->name) == 0) { /* say this first, also without privilege */
        snprintf(err, err_len, "%s: no such interface", f->name);
        return -1;
    }
    /* Protocol 0: the socket receives nothing until bound, after the ring and filter are set. */
    f->fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
    if (f->fd < 0) {
        snprintf(err, err_len, "%s: cannot open a packet socket: %s%s", f->name, strerror(errno),
                 errno == EPERM ? " (needs root or CAP_NET_RAW)" : "");
        return -1;
    }
    if (if_check(f, f->fd, err, err_len))
        return -1;
    int v = TPACKET_V3;
    if (setsockopt(f->fd, SOL_PACKET, PACKET_VERSION, &v, sizeof v) != 0) {
        snprintf(err, err_len, "%s: TPACKET_V3 not supported: %s", f->name, strerror(errno));
        return -1;
    }
    long page = sysconf(_SC_PAGESIZE);
    uint32_t bs = lc->block_size ? lc->block_size : (128u << 10);
    if (page > 0 && bs % (uint32_t)page) {
        snprintf(err, err_len, "%s: block size %u is not a multiple of the page size %ld",
                 f->name, bs, page);
        return -1;
    }
    uint64_t nb = lc->ring_size / bs;
    if (nb < 2)
        nb = 2;
    struct tpacket_req3 req;
    memset(&req, 0, sizeof req);
    req.tp_block_size = bs;
    req.tp_block_nr = (unsigned)nb;
    req.tp_frame_size = 2048;
    req.tp_frame_nr = (unsigned)(bs / 2048 * nb);
    req.tp_retire_blk_tov = lc->block_timeout_ms ? lc->block_timeout_ms : 10;
    if (setsockopt(f->fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof req) != 0) {
        snprintf(err, err_len, "%s: cannot allocate a ring of %llu blocks of %u bytes: %s",
                 f->name, (unsigned long long)nb, bs, strerror(errno));
        return -1;
    }
    f->block_size = bs;
    f->n_blocks = (uint32_t)nb;
    f->map_len = (size_t)bs * nb;
    f->map = mmap(NULL, f->map_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_LOCKED, f->fd, 0);
    if (f->map == MAP_FAILED) /* MAP_LOCKED may exceed RLIMIT_MEMLOCK: try without */
        f->map = mmap(NULL, f->map_len, PROT_READ | PROT_WRITE, MAP_SHARED, f->fd, 0);
    if (f->map == MAP_FAILED) {
        f->map = NULL;
        snprintf(err, err_len, "%s: cannot map the ring (%zu bytes): %s", f->name, f->map_len,
                 strerror(errno));
        return -1;
    }
    /* In a fanout group the real filter comes once every socket has joined (vg_live_open) */
    if (fanout ? set_filter(f->fd, &drop_all) != 0 : attach_bpf(f, lc, err, err_len) != 0) {
        if (fanout)
            snprintf(err, err_len, "%s: cannot attach a filter: %s", f->name, strerror(errno));
        return -1;
    }
    struct sockaddr_ll sll;
    memset(&sll, 0, sizeof sll);
    sll.sll_family = AF_PACKET;
    sll.sll_protocol = htons(ETH_P_ALL);
    sll.sll_ifindex = f->ifindex;
    if (bind(f->fd, (struct sockaddr *)&sll, sizeof sll) != 0) {
        snprintf(err, err_len, "%s: cannot bind the packet socket: %s", f->name, strerror(errno));
        return -1;
    }
    if (lc->promisc) {
        struct packet_mreq mr;
        memset(&mr, 0, sizeof mr);
        mr.mr_ifindex = f->ifindex;
        mr.mr_type = PACKET_MR_PROMISC;
        if (setsockopt(f->fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof mr) != 0)
            vg_log(VG_LOG_WARN, "%s: cannot set promiscuous mode: %s", f->name, strerror(errno));
    }
    return 0;
}

static int open_pcap(live_if_t *f, const vg_live_config_t *lc, char *err, size_t err_len)
{
    char ebuf[PCAP_ERRBUF_SIZE];
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s >= 0) {
        int rc = if_check(f, s, err, err_len);
        if (rc == 0)
            warn_offloads(s, f->name);
        close(s);
        if (rc)
            return -1;
    }
    f->pcap = pcap_create(f->name, ebuf);
    if (!f->pcap) {
        snprintf(err, err_len, "%s: %s", f->name, ebuf);
        return -1;
    }
    pcap_set_snaplen(f->pcap, (int)lc->snaplen);
    pcap_set_promisc(f->pcap, lc->promisc);
    pcap_set_timeout(f->pcap, (int)(lc->block_timeout_ms ? lc->block_timeout_ms : 10));
    pcap_set_buffer_size(f->pcap, (int)VG_MIN(lc->ring_size, (uint64_t)INT32_MAX));
    pcap_set_tstamp_precision(f->pcap, PCAP_TSTAMP_PRECISION_MICRO);
    int rc = pcap_activate(f->pcap);
    if (rc < 0) {
        snprintf(err, err_len, "%s: cannot start capture: %s", f->name, pcap_geterr(f->pcap));
        return -1;
    }
    f->linktype = pcap_datalink(f->pcap);
    if (!vg_capture_linktype_supported(f->linktype)) {
        snprintf(err, err_len, "%s: unsupported link type %d", f->name, f->linktype);
        return -1;
    }
    if (lc->bpf && *lc->bpf) {
        struct bpf_program prog;
        if (pcap_compile(f->pcap, &prog, lc->bpf, 1, PCAP_NETMASK_UNKNOWN) != 0) {
            snprintf(err, err_len, "--bpf '%s': %s", lc->bpf, pcap_geterr(f->pcap));
            return -1;
        }
        rc = pcap_setfilter(f->pcap, &prog);
        pcap_freecode(&prog);
        if (rc != 0) {
            snprintf(err, err_len, "%s: cannot set --bpf '%s': %s", f->name, lc->bpf,
                     pcap_geterr(f->pcap));
            return -1;
        }
    }
    if (pcap_setnonblock(f->pcap, 1, ebuf) != 0) {
        snprintf(err, err_len, "%s: %s", f->name, ebuf);
        return -1;
    }
    f->fd = pcap_get_selectable_fd(f->pcap);
    if (f->fd < 0) {
        snprintf(err, err_len, "%s: libpcap gives no pollable descriptor", f->name);
        return -1;
    }
    return 0;
}

/* With fanout, once every socket of the interface has joined: the real filter (or none). */
static int fanout_filters(vg_live_t *l, size_t i, const vg_live_config_t *lc, char *err,
                          size_t err_len)
{
    for (unsigned k = 0; k < l->n_parts; k++) {
        live_if_t *f = &l->socks[(size_t)k * l->n_ifs + i];
        if (lc->bpf && *lc->bpf) {
            if (attach_bpf(f, lc, err, err_len))
                return -1;
        } else {
            int z = 0;
            if (setsockopt(f->fd, SOL_SOCKET, SO_DETACH_FILTER, &z, sizeof z) != 0) {
                snprintf(err, err_len, "%s: cannot remove a filter: %s", f->name, strerror(errno));
                return -1;
            }
        }
    }
    return 0;
}

static vg_capture_t *open_fail(vg_live_t *l)
{
    vg_live_free(l);
    return NULL;
}

vg_capture_t *vg_capture_open_live(const vg_live_config_t *lc, char *err, size_t err_len)
{
    if (lc->n_ifaces == 0) {
        snprintf(err, err_len, "no interface given (-i IFACE)");
        return NULL;
    }
    if (lc->n_ifaces > UINT16_MAX) {
        snprintf(err, err_len, "too many interfaces");
        return NULL;
    }
    bool use_pcap = false;
    if (lc->method && strcmp(lc->method, "af-packet")) {
        if (strcmp(lc->method, "pcap")) {
            snprintf(err, err_len, "capture.method: expected af-packet or pcap, got '%s'",
                     lc->method);
            return NULL;
        }
        use_pcap = true;
    }
    bool ip_pair = false;
    if (lc->fanout_mode && strcmp(lc->fanout_mode, "hash")) {
        if (strcmp(lc->fanout_mode, "ip-pair")) {
            snprintf(err, err_len, "af-packet.fanout-mode: expected hash or ip-pair, got '%s'",
                     lc->fanout_mode);
            return NULL;
        }
        ip_pair = true;
    }
    vg_live_t *l = vg_xcalloc(1, sizeof *l);
    l->use_pcap = use_pcap;
    l->direct = !use_pcap && lc->fanout >= 1;
    l->n_parts = l->direct ? lc->fanout : 1;
    l->fanout = l->n_parts >= 2;
    l->poll_ms = lc->poll_ms ? lc->poll_ms : 100;
    l->drain_ms = (lc->block_timeout_ms ? lc->block_timeout_ms : 10) + 10;
    l->n_ifs = lc->n_ifaces;
    l->socks = vg_xcalloc((size_t)l->n_parts * l->n_ifs, sizeof *l->socks);
    for (size_t i = 0; i < (size_t)l->n_parts * l->n_ifs; i++)
        l->socks[i].fd = -1;
    l->scratch_len = 65536 + 64;
    l->parts = vg_xcalloc(l->n_parts, sizeof *l->parts);
    for (unsigned k = 0; k < l->n_parts; k++) {
        live_part_t *pt = &l->parts[k];
        pt->k = k;
        pt->ifs = l->socks + (size_t)k * l->n_ifs;
        pt->pfd = vg_xcalloc(l->n_ifs, sizeof *pt->pfd);
        pt->scratch = vg_xmalloc(l->scratch_len);
    }
    for (size_t i = 0; i < l->n_ifs; i++) {
        if (strlen(lc->ifaces[i]) >= IFNAMSIZ) {
            snprintf(err, err_len, "%s: interface name too long", lc->ifaces[i]);
            return open_fail(l);
        }
        for (size_t j = 0; j < i; j++)
            if (!strcmp(lc->ifaces[j], lc->ifaces[i])) {
                snprintf(err, err_len, "%s: interface given twice", lc->ifaces[i]);
                return open_fail(l);
            }
        int group = -1;
        for (unsigned k = 0; k < l->n_parts; k++) {
            live_if_t *f = &l->socks[(size_t)k * l->n_ifs + i];
            snprintf(f->name, sizeof f->name, "%s", lc->ifaces[i]);
            int rc = use_pcap ? open_pcap(f, lc, err, err_len)
                              : open_afpacket(f, lc, l->fanout, err, err_len);
            if (rc == 0 && l->fanout)
                rc = join_fanout(f, ip_pair, &group, err, err_len);
            if (rc)
                return open_fail(l);
        }
        if (l->fanout && fanout_filters(l, i, lc, err, err_len))
            return open_fail(l);
        if (!use_pcap)
            warn_offloads(l->socks[i].fd, l->socks[i].name);
    }
    return vg_capture_wrap_live(l);
}

/* Stop: a filter that accepts nothing, so the kernel delivers (and counts) no more packets, then
 * the rings are drained. What the counters say was received is then exactly what was handed
 * out (plus the drops). */
void vg_live_stop(vg_live_t *l)
{
    atomic_store(&l->stopping, true);
    /* libpcap's descriptor is its packet socket on Linux: the same filter stops it */
    for (size_t i = 0; i < (size_t)l->n_parts * l->n_ifs; i++)
        if (l->socks[i].fd >= 0)
            set_filter(l->socks[i].fd, &drop_all);
}
const char *vg_live_error(const vg_live_t *l) { return l->parts[0].err; }
size_t vg_live_n_ifaces(const vg_live_t *l) { return l->n_ifs; }
unsigned vg_live_n_parts(const vg_live_t *l) { return l->direct ? l->n_parts : 0; }
const char *vg_live_iface_name(const vg_live_t *l, size_t i)
{
    return i < l->n_ifs ? l->socks[i].name : "";
}

static void sock_stats(live_if_t *f)
{
    if (f->pcap) {
        struct pcap_stat ps;
        if (pcap_stats(f->pcap, &ps) == 0) { /* libpcap: cumulative */
            f->k_packets = ps.ps_recv;
            f->k_drops = ps.ps_drop;
        }
    } else if (f->fd >= 0) {
        struct tpacket_stats_v3 st;
        socklen_t len = sizeof st;
        if (getsockopt(f->fd, SOL_PACKET, PACKET_STATISTICS, &st, &len) == 0) {
            f->k_packets += st.tp_packets; /* includes the drops */
            f->k_drops += st.tp_drops;
        }
    }
}

void vg_live_kernel_stats(vg_live_t *l, size_t i, uint64_t *packets, uint64_t *drops)
{
    *packets = *drops = 0;
    for (unsigned k = 0; k < l->n_parts; k++) { /* every member of the interface's group */
        live_if_t *f = &l->socks[(size_t)k * l->n_ifs + i];
        sock_stats(f);
        *packets += f->k_packets;
        *drops += f->k_drops;
    }
}

void vg_live_socket_stats(const vg_live_t *l, size_t i, unsigned k, uint64_t *packets,
                          uint64_t *drops)
{
    const live_if_t *f = &l->socks[(size_t)k * l->n_ifs + i];
    *packets = f->k_packets;
    *drops = f->k_drops;
}

/* --- AF_PACKET ring walk --- */

static struct tpacket_block_desc *block_at(live_if_t *f, uint32_t i)
{
    return (struct tpacket_block_desc *)(f->map + (size_t)i * f->block_size);
}

static void block_release(live_if_t *f)
{
    __atomic_store_n(&f->cur->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
    f->cur = NULL;
    f->blk = (f->blk + 1) % f->n_blocks;
}

/* The next packet of socket f, or false when its ring holds none ready. */
static bool afp_next(vg_live_t *l, live_part_t *pt, live_if_t *f, vg_packet_t *p)
{
    for (;;) {
        if (!f->cur) {
            struct tpacket_block_desc *b = block_at(f, f->blk);
            if (!(__atomic_load_n(&b->hdr.bh1.block_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER))
                return false;
            f->cur = b;
            f->left = b->hdr.bh1.num_pkts;
            f->next = (struct tpacket3_hdr *)((uint8_t *)b + b->hdr.bh1.offset_to_first_pkt);
            /* one atomic per block for unique packet numbers across parts */
            f->cnt_next = atomic_fetch_add_explicit(&l->pkt_cnt, f->left, memory_order_relaxed);
        }
        if (f->left == 0) {
            block_release(f);
            continue;
        }
        struct tpacket3_hdr *h = f->next;
        f->left--;
        f->next = (struct tpacket3_hdr *)((uint8_t *)h + h->tp_next_offset);
        uint64_t cnt = ++f->cnt_next;
        const struct sockaddr_ll *sll =
            (const struct sockaddr_ll *)((const uint8_t *)h + TPACKET_ALIGN(sizeof *h));
        if (f->loopback && sll->sll_pkttype == PACKET_OUTGOING)
            continue;
        const uint8_t *data = (const uint8_t *)h + h->tp_mac;
        uint32_t caplen = h->tp_snaplen, wirelen = h->tp_len;
        /* The kernel strips the outer VLAN tag into the header: put it back, as libpcap does,
         * so the decoder sees the frame that was on the wire. */
        if ((h->tp_status & TP_STATUS_VLAN_VALID) && f->linktype == DLT_EN10MB && caplen >= 12 &&
            caplen + 4 <= l->scratch_len) {
            uint16_t tpid = (h->tp_status & TP_STATUS_VLAN_TPID_VALID) && h->hv1.tp_vlan_tpid
                                ? h->hv1.tp_vlan_tpid
                                : ETH_P_8021Q;
            uint16_t tag[2] = {htons(tpid), htons((uint16_t)h->hv1.tp_vlan_tci)};
            memcpy(pt->scratch, data, 12);
            memcpy(pt->scratch + 12, tag, 4);
            memcpy(pt->scratch + 16, data + 12, caplen - 12);
            data = pt->scratch;
            caplen += 4;
            wirelen += 4;
        }
        memset(p, 0, sizeof *p);
        p->ts = (vg_time_t)h->tp_sec * VG_USEC_PER_SEC + (vg_time_t)(h->tp_nsec / 1000);
        p->pcap_cnt = cnt;
        p->data = data;
        p->caplen = caplen;
        p->wirelen = wirelen;
        p->linktype = f->linktype;
        p->file_idx = (uint16_t)(f - pt->ifs);
        return true;
    }
}

static bool pcap_one(vg_live_t *l, live_part_t *pt, live_if_t *f, vg_packet_t *p)
{
    struct pcap_pkthdr *h;
    const u_char *data;
    int r = pcap_next_ex(f->pcap, &h, &data);
    if (r != 1) {
        if (r < 0 && !f->down_reported) {
            vg_log(VG_LOG_ERROR, "%s: capture error: %s (retrying)", f->name, pcap_geterr(f->pcap));
            f->down_reported = true;
        }
        return false;
    }
    f->down_reported = false;
    memset(p, 0, sizeof *p);
    p->ts = (vg_time_t)h->ts.tv_sec * VG_USEC_PER_SEC + (vg_time_t)h->ts.tv_usec;
    p->pcap_cnt = atomic_fetch_add_explicit(&l->pkt_cnt, 1, memory_order_relaxed) + 1;
    p->data = data;
    p->caplen = h->caplen;
    p->wirelen = h->len;
    p->linktype = f->linktype;
    p->file_idx = (uint16_t)(f - pt->ifs);
    return true;
}

static bool any_next(vg_live_t *l, live_part_t *pt, vg_packet_t *p)
{
    for (size_t k = 0; k < l->n_ifs; k++) {
        live_if_t *f = &pt->ifs[(pt->rr + k) % l->n_ifs];
        bool got = f->pcap ? pcap_one(l, pt, f, p) : afp_next(l, pt, f, p);
        if (got) {
            /* stay on an interface for the rest of its block; move on at block ends */
            if (!f->cur)
                pt->rr = (pt->rr + k + 1) % l->n_ifs;
            return true;
        }
    }
    return false;
}

static enum vg_capture_result part_next(vg_live_t *l, live_part_t *pt, vg_packet_t *p)
{
    if (any_next(l, pt, p))
        return VG_CAPTURE_OK;
    if (atomic_load_explicit(&l->stopping, memory_order_relaxed)) {
        /* A partly filled block is handed over by the kernel within block_timeout_ms: wait that
         * long once more so that what arrived before the stop is not left in the ring. */
        struct timespec ts = {l->drain_ms / 1000, (long)(l->drain_ms % 1000) * 1000 * 1000};
        nanosleep(&ts, NULL);
        return any_next(l, pt, p) ? VG_CAPTURE_OK : VG_CAPTURE_END;
    }
    for (size_t i = 0; i < l->n_ifs; i++) {
        pt->pfd[i].fd = pt->ifs[i].fd;
        pt->pfd[i].events = POLLIN;
        pt->pfd[i].revents = 0;
    }
    int n = poll(pt->pfd, l->n_ifs, (int)l->poll_ms);
    if (n < 0 && errno != EINTR) {
        snprintf(pt->err, sizeof pt->err, "poll: %s", strerror(errno));
        return VG_CAPTURE_IDLE;
    }
    for (size_t i = 0; n > 0 && i < l->n_ifs; i++) {
        live_if_t *f = &pt->ifs[i];
        /* with fanout every member sees the link go down: part 0 speaks for the interface */
        bool say = pt->k == 0;
        if (pt->pfd[i].revents & (POLLERR | POLLHUP | POLLNVAL)) {
            /* The link went down (ENETDOWN) or the device went away: report once, keep the
             * socket and go on polling; capture resumes when the link comes back. */
            int e = 0;
            socklen_t el = sizeof e;
            if (!f->pcap)
                getsockopt(f->fd, SOL_SOCKET, SO_ERROR, &e, &el);
            if (!f->down_reported && say)
                vg_log(VG_LOG_ERROR, "%s: capture interrupted: %s (retrying)", f->name,
                       e ? strerror(e) : "link down");
            f->down_reported = true;
        } else if (pt->pfd[i].revents & POLLIN) {
            if (f->down_reported && say)
                vg_log(VG_LOG_INFO, "%s: capture resumed", f->name);
            f->down_reported = false;
        }
    }
    if (n > 0 && any_next(l, pt, p))
        return VG_CAPTURE_OK;
    if (n > 0) { /* only errors: do not spin */
        struct timespec ts = {l->poll_ms / 1000, (long)(l->poll_ms % 1000) * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    return VG_CAPTURE_IDLE;
}

enum vg_capture_result vg_live_next(vg_live_t *l, vg_packet_t *p)
{
    return part_next(l, &l->parts[0], p);
}

enum vg_capture_result vg_live_next_part(vg_live_t *l, unsigned k, vg_packet_t *p)
{
    return part_next(l, &l->parts[k], p);
}
