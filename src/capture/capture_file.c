/* capture_file.c — packets from pcap and pcapng files through libpcap.
 *
 * Files are read one after the other as one numbered stream. libpcap detects pcap vs pcapng and
 * the byte order; we only check the link type. A damaged file (truncated record, bad block) is
 * reported with its name, the number of the packet that could not be read and the byte offset
 * where reading stopped; the packets before it have already been handed out.
 */
#include "capture/capture.h"
#include "capture/capture_int.h"
#include "common/common.h"
#include "common/log.h"

#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct vg_capture {
    char **files;
    size_t n_files;
    size_t cur;           /* index of the open file, or n_files when done */
    pcap_t *pcap;
    int linktype;
    uint64_t pcap_cnt;    /* packets handed out in the whole run */
    uint64_t file_pkts;   /* packets handed out from the current file */
    uint64_t total_bytes;
    uint64_t done_bytes;  /* bytes of the files already finished */
    char *rbuf;           /* stdio buffer of the open file (open_one) */
    bool offsets;         /* vg_capture_keep_offsets(): fill file_off/file_span */
    uint64_t pos;         /* with offsets: the open file's position after the last packet */
    unsigned rec_hdr;     /* with offsets, classic pcap: record header bytes (16; 24 in the
                           * "modified" format); 0: pcapng or unknown (ftello per packet) */
    uint32_t snap;        /* the open file's snapshot length as libpcap applies it */
    vg_live_t *live;      /* live capture (capture_live.c); the fields above are unused */
    char err[512];
};

vg_capture_t *vg_capture_wrap_live(vg_live_t *l)
{
    vg_capture_t *c = vg_xcalloc(1, sizeof *c);
    c->live = l;
    return c;
}

bool vg_capture_is_live(const vg_capture_t *c) { return c->live != NULL; }
void vg_capture_socket_stats(const vg_capture_t *c, size_t i, unsigned k, uint64_t *packets,
                             uint64_t *drops)
{
    vg_live_socket_stats(c->live, i, k, packets, drops);
}
unsigned vg_capture_n_parts(const vg_capture_t *c) { return c->live ? vg_live_n_parts(c->live) : 0; }
enum vg_capture_result vg_capture_next_part(vg_capture_t *c, unsigned k, vg_packet_t *p)
{
    return vg_live_next_part(c->live, k, p);
}
void vg_capture_stop(vg_capture_t *c)
{
    if (c->live)
        vg_live_stop(c->live);
}
size_t vg_capture_n_ifaces(const vg_capture_t *c) { return c->live ? vg_live_n_ifaces(c->live) : 0; }
const char *vg_capture_iface_name(const vg_capture_t *c, size_t i)
{
    return c->live ? vg_live_iface_name(c->live, i) : "";
}
void vg_capture_kernel_stats(vg_capture_t *c, size_t i, uint64_t *packets, uint64_t *drops)
{
    *packets = *drops = 0;
    if (c->live)
        vg_live_kernel_stats(c->live, i, packets, drops);
}

bool vg_capture_linktype_supported(int dlt)
{
    switch (dlt) {
    case DLT_EN10MB:
    case DLT_RAW:
    case 101:        /* LINKTYPE_RAW */
    case 228:        /* LINKTYPE_IPV4 */
    case 229:        /* LINKTYPE_IPV6 */
    case DLT_LINUX_SLL:
    case 276:        /* LINKTYPE_LINUX_SLL2 */
    case DLT_NULL:
    case DLT_LOOP:
    case 9:          /* LINKTYPE_PPP */
    case 50:         /* LINKTYPE_PPP_HDLC */
        return true;
    default:
        return false;
    }
}

/* libpcap reads a savefile through stdio with fread calls of one record header, then one
 * record: with the default 4 KB stdio buffer that is one read(2) per 4 KB, and the system calls
 * were more than half of the read-only stage's CPU time. We open the file ourselves with a larger
 * buffer (still read by libpcap, which handles pcap and pcapng): a third less CPU for the
 * read-only stage (bench/RESULTS.md). 64 KB, 256 KB and 1 MB measured the same.
 * The buffer is the caller's (glibc ignores the size unless it is given one) and must outlive
 * the stream; NULL: stdio's default. */
#define READ_BUF_BYTES (256u << 10)

static pcap_t *open_one(const char *path, char *rbuf, char *err, size_t err_len)
{
    char ebuf[PCAP_ERRBUF_SIZE];
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, err_len, "%s: cannot read capture: %s", path, strerror(errno));
        return NULL;
    }
    if (rbuf)
        (void)setvbuf(f, rbuf, _IOFBF, READ_BUF_BYTES); /* on failure: the default, slower */
    pcap_t *p = pcap_fopen_offline_with_tstamp_precision(f, PCAP_TSTAMP_PRECISION_MICRO, ebuf);
    if (!p) {
        fclose(f); /* on failure libpcap leaves the stream to its caller */
        snprintf(err, err_len, "%s: cannot read capture: %s", path, ebuf);
        return NULL;
    }
    int dlt = pcap_datalink(p);
    if (!vg_capture_linktype_supported(dlt)) {
        const char *name = pcap_datalink_val_to_name(dlt);
        snprintf(err, err_len, "%s: unsupported link type %d (%s)", path, dlt, name ? name : "unknown");
        pcap_close(p);
        return NULL;
    }
    return p;
}

vg_capture_t *vg_capture_open_files(const char *const *files, size_t n_files, char *err,
                                    size_t err_len)
{
    if (n_files == 0) {
        snprintf(err, err_len, "no capture file given");
        return NULL;
    }
    vg_capture_t *c = vg_xcalloc(1, sizeof *c);
    c->files = vg_xcalloc(n_files, sizeof(char *));
    c->n_files = n_files;
    for (size_t i = 0; i < n_files; i++) {
        c->files[i] = vg_xstrdup(files[i]);
        struct stat st;
        if (stat(files[i], &st) != 0) {
            snprintf(err, err_len, "%s: %s", files[i], strerror(errno));
            vg_capture_free(c);
            return NULL;
        }
        if (S_ISDIR(st.st_mode)) {
            snprintf(err, err_len, "%s: is a directory, not a capture file", files[i]);
            vg_capture_free(c);
            return NULL;
        }
        /* A pipe or device could not be opened twice (the check below, then the read) nor
         * hashed for the store's rerun rule: refused rather than left waiting. */
        if (!S_ISREG(st.st_mode)) {
            snprintf(err, err_len, "%s: not a regular file (pipes and devices are not read; "
                     "write the capture to a file first)", files[i]);
            vg_capture_free(c);
            return NULL;
        }
        c->total_bytes += (uint64_t)st.st_size;
        /* Open each once up front so that an unreadable file or unknown link type fails the run
         * before anything is written. */
        pcap_t *p = open_one(files[i], NULL, err, err_len);
        if (!p) {
            vg_capture_free(c);
            return NULL;
        }
        pcap_close(p);
    }
    c->cur = 0;
    return c;
}

void vg_capture_free(vg_capture_t *c)
{
    if (!c)
        return;
    vg_live_free(c->live);
    if (c->pcap)
        pcap_close(c->pcap);
    free(c->rbuf); /* after the stream that used it */
    for (size_t i = 0; i < c->n_files; i++)
        free(c->files[i]);
    free(c->files);
    free(c);
}

static uint64_t file_offset(const vg_capture_t *c)
{
    if (!c->pcap)
        return 0;
    FILE *f = pcap_file(c->pcap);
    off_t off = f ? ftello(f) : -1;
    return off > 0 ? (uint64_t)off : 0;
}

/* Classic pcap: the bytes of a record header (the "modified" format's are longer); 0 for pcapng
 * or anything else. Read with pread, which leaves the stream's position alone. */
static unsigned record_header_size(FILE *f)
{
    uint8_t m[4];
    if (!f || pread(fileno(f), m, 4, 0) != 4)
        return 0;
    uint32_t le = (uint32_t)m[0] | (uint32_t)m[1] << 8 | (uint32_t)m[2] << 16 | (uint32_t)m[3] << 24;
    uint32_t be = __builtin_bswap32(le);
    if (le == 0xa1b2c3d4u || le == 0xa1b23c4du || be == 0xa1b2c3d4u || be == 0xa1b23c4du)
        return 16;
    if (le == 0xa1b2cd34u || be == 0xa1b2cd34u)
        return 24;
    return 0;
}

void vg_capture_keep_offsets(vg_capture_t *c, bool on)
{
    if (!c->live)
        c->offsets = on;
}

size_t vg_capture_n_files(const vg_capture_t *c) { return c->live ? 0 : c->n_files; }

static void finish_file(vg_capture_t *c)
{
    struct stat st;
    if (stat(c->files[c->cur], &st) == 0)
        c->done_bytes += (uint64_t)st.st_size;
    pcap_close(c->pcap);
    c->pcap = NULL;
    c->cur++;
}

enum vg_capture_result vg_capture_next(vg_capture_t *c, vg_packet_t *p)
{
    if (c->live)
        return vg_live_next(c->live, p);
    for (;;) {
        if (c->cur >= c->n_files)
            return VG_CAPTURE_END;
        if (!c->pcap) {
            if (!c->rbuf)
                c->rbuf = vg_xmalloc(READ_BUF_BYTES);
            c->pcap = open_one(c->files[c->cur], c->rbuf, c->err, sizeof c->err);
            if (!c->pcap) {
                c->cur++;
                return VG_CAPTURE_ERROR;
            }
            c->linktype = pcap_datalink(c->pcap);
            c->file_pkts = 0;
            if (c->offsets) {
                c->pos = file_offset(c); /* after the file header (pcapng: its first blocks) */
                c->rec_hdr = record_header_size(pcap_file(c->pcap));
                c->snap = (uint32_t)pcap_snapshot(c->pcap);
            }
        }
        struct pcap_pkthdr *h;
        const u_char *data;
        int r = pcap_next_ex(c->pcap, &h, &data);
        if (r == 1) {
            memset(p, 0, sizeof *p);
            p->ts = (vg_time_t)h->ts.tv_sec * VG_USEC_PER_SEC + (vg_time_t)h->ts.tv_usec;
            p->pcap_cnt = ++c->pcap_cnt;
            p->data = data;
            p->caplen = h->caplen;
            p->wirelen = h->len;
            p->linktype = c->linktype;
            p->file_idx = (uint16_t)c->cur;
            if (c->offsets) {
                /* libpcap reads sequentially through our stream, so this packet's record (and,
                 * in pcapng, any non-packet blocks it skipped before it) lies between the
                 * stream's position before and after the call. A classic pcap record is its
                 * header and caplen bytes, unless libpcap cut a longer one to the snapshot
                 * length (then caplen is that length): the position is then counted, not asked
                 * for (ftello, with its lock, was 150 instructions a packet). */
                uint64_t end = c->rec_hdr && h->caplen < c->snap
                                   ? c->pos + c->rec_hdr + h->caplen : file_offset(c);
                if (end > c->pos && end - c->pos <= UINT32_MAX) {
                    p->file_off = c->pos;
                    p->file_span = (uint32_t)(end - c->pos);
                }
                c->pos = end;
            }
            c->file_pkts++;
            return VG_CAPTURE_OK;
        }
        if (r == PCAP_ERROR_BREAK) { /* end of this file */
            if (c->offsets && c->rec_hdr && c->pos != file_offset(c)) /* a counting mistake:
                * the references would be wrong (evidence checks each one it reads back) */
                vg_log(VG_LOG_WARN, "%s: packet positions counted to %llu, the file ends at "
                       "%llu", c->files[c->cur], (unsigned long long)c->pos,
                       (unsigned long long)file_offset(c));
            finish_file(c);
            continue;
        }
        snprintf(c->err, sizeof c->err,
                 "%s: damaged capture at packet %llu of this file (byte offset %llu): %s",
                 c->files[c->cur], (unsigned long long)c->file_pkts + 1,
                 (unsigned long long)file_offset(c), pcap_geterr(c->pcap));
        finish_file(c);
        return VG_CAPTURE_ERROR;
    }
}

const char *vg_capture_error(const vg_capture_t *c)
{
    return c->live ? vg_live_error(c->live) : c->err;
}
uint64_t vg_capture_total_bytes(const vg_capture_t *c) { return c->total_bytes; }

uint64_t vg_capture_bytes_done(const vg_capture_t *c)
{
    if (c->live)
        return 0;
    return c->done_bytes + file_offset(c);
}

const char *vg_capture_file_name(const vg_capture_t *c, uint16_t file_idx)
{
    if (c->live)
        return vg_live_iface_name(c->live, file_idx);
    return file_idx < c->n_files ? c->files[file_idx] : "";
}
