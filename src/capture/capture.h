/* capture.h — reading packets from capture files (pcap and pcapng, through libpcap) or from
 * network interfaces (AF_PACKET TPACKET_V3 rings, or libpcap live capture as a fallback).
 *
 * A vg_capture_t reads a list of files in the order given, as one stream of packets numbered from
 * 1. Used by the reader thread only (not thread-safe). The packet bytes returned are borrowed
 * until the next call to vg_capture_next().
 */
#ifndef VG_CAPTURE_CAPTURE_H
#define VG_CAPTURE_CAPTURE_H

#include "decode/packet.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct vg_capture vg_capture_t;

enum vg_capture_result {
    VG_CAPTURE_OK = 0,      /* *p holds the next packet */
    VG_CAPTURE_END = 1,     /* all files read */
    VG_CAPTURE_ERROR = -1,  /* a file could not be opened or is damaged; see vg_capture_error() */
    VG_CAPTURE_IDLE = 2,    /* live only: no packet arrived within the poll interval */
};

/* Opens nothing yet: checks that every file exists and is readable and that its link type is one
 * Vigil decodes (Ethernet, raw IP, Linux SLL/SLL2, BSD NULL/loopback). On failure returns NULL
 * and writes a one-line reason naming the file into err. */
vg_capture_t *vg_capture_open_files(const char *const *files, size_t n_files, char *err,
                                    size_t err_len);
void vg_capture_free(vg_capture_t *c);

/* The next packet; fills the capture block of *p (ts, pcap_cnt, data, caplen, wirelen, linktype,
 * file_idx) and clears the rest. On VG_CAPTURE_ERROR the packets before the damage have been
 * returned; the error names the file and the packet number or byte offset. Reading stops at the
 * first damaged file (its remaining packets cannot be trusted to be framed correctly), but the
 * caller may call again to go on with the next file. */
enum vg_capture_result vg_capture_next(vg_capture_t *c, vg_packet_t *p);
const char *vg_capture_error(const vg_capture_t *c);

/* Total bytes of all input files, and bytes consumed so far (for the progress line). */
uint64_t vg_capture_total_bytes(const vg_capture_t *c);
uint64_t vg_capture_bytes_done(const vg_capture_t *c);
const char *vg_capture_file_name(const vg_capture_t *c, uint16_t file_idx);
/* Files: how many (0 when live). */
size_t vg_capture_n_files(const vg_capture_t *c);
/* Files: from now on each packet also says where its record is in its file (file_off,
 * file_span in vg_packet_t), so that it can be read again later (evidence rings keep such
 * references instead of copies). Off by default (it costs a little per packet: counting in
 * classic pcap, an ftello in pcapng); no effect live. */
void vg_capture_keep_offsets(vg_capture_t *c, bool on);

/* --- live capture (capture_live.c) ---
 * One capture over one or more interfaces. Packets are stamped with the kernel's receive time
 * (wall clock). vg_capture_next() waits at most poll_ms and returns VG_CAPTURE_IDLE on a quiet
 * link, so the caller can advance time.
 *
 * Without fanout (fanout 0, or method pcap) there is one socket per interface, read by one
 * thread (the engine's reader) through vg_capture_next(). With fanout = N >= 1 (AF_PACKET only)
 * each interface gets N sockets (N >= 2: joined in one PACKET_FANOUT group), and the capture has
 * N parts: part k is the k-th socket of every interface, read by one thread (worker k) through
 * vg_capture_next_part(c, k, ...); different parts may be read by different threads at once. */
typedef struct vg_live_config {
    const char *const *ifaces;
    size_t n_ifaces;
    const char *method;     /* "af-packet" (default) or "pcap" (libpcap live capture) */
    uint64_t ring_size;     /* bytes of ring per socket (AF_PACKET: per interface, and with
                             * fanout per worker too, as Suricata's per-thread ring-size) /
                             * kernel buffer (pcap) */
    uint32_t block_size;    /* TPACKET_V3 block size (a multiple of the page size) */
    uint32_t block_timeout_ms; /* a partly filled block is handed over after this long */
    uint32_t snaplen;
    bool promisc;
    const char *bpf;        /* NULL: every packet */
    unsigned poll_ms;       /* longest wait in vg_capture_next() before VG_CAPTURE_IDLE */
    unsigned fanout;        /* AF_PACKET: parts, i.e. sockets per interface in one fanout
                             * group (0: one socket per interface for one reader thread) */
    const char *fanout_mode; /* "hash" (PACKET_FANOUT_HASH with the defrag flag, the default) or
                              * "ip-pair" (a classic BPF program: the outermost IP pair, as
                              * `vigil read` splits packets between workers) */
} vg_live_config_t;

/* Opens every interface (needs CAP_NET_RAW; the caller may drop privileges afterwards). On
 * failure returns NULL with a one-line reason naming the interface or the BPF expression. Warns
 * (vg_log) when an interface merges packets (GRO/LRO). */
vg_capture_t *vg_capture_open_live(const vg_live_config_t *lc, char *err, size_t err_len);
bool vg_capture_is_live(const vg_capture_t *c);
/* Live with fanout: the number of parts (one per fanout group member, or 1); 0 otherwise (read
 * with vg_capture_next()). */
unsigned vg_capture_n_parts(const vg_capture_t *c);
/* The next packet of part k (k < vg_capture_n_parts()), as vg_capture_next(). Each part is
 * read by one thread; the packet bytes are borrowed until that part's next call. */
enum vg_capture_result vg_capture_next_part(vg_capture_t *c, unsigned k, vg_packet_t *p);
/* Live: stop waiting for traffic; the following calls return what the rings still hold, then
 * VG_CAPTURE_END. Thread-safe with respect to readers of parts. */
void vg_capture_stop(vg_capture_t *c);
/* Live: number of interfaces, and each one's name and kernel counters since it was opened
 * (packets seen by the socket, including those dropped for lack of ring space; drops), summed
 * over the interface's sockets with fanout. One caller at a time (the engine's main thread). */
size_t vg_capture_n_ifaces(const vg_capture_t *c);
const char *vg_capture_iface_name(const vg_capture_t *c, size_t i);
void vg_capture_kernel_stats(vg_capture_t *c, size_t i, uint64_t *packets, uint64_t *drops);
/* With parts: the counters of interface i's socket of part k as of the last
 * vg_capture_kernel_stats(c, i, ...). */
void vg_capture_socket_stats(const vg_capture_t *c, size_t i, unsigned k, uint64_t *packets,
                             uint64_t *drops);

/* True when Vigil decodes this DLT link type. */
bool vg_capture_linktype_supported(int dlt);

#endif
