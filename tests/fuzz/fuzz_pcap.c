/* fuzz_pcap.c — a damaged capture file: the bytes are written to a memfd and read with
 * vg_capture_open_files / vg_capture_next (libpcap underneath, pcap and pcapng), each packet
 * read whole and decoded, until the end or the first error.
 */
#include "fuzz_common.h"

#include "capture/capture.h"
#include "common/log.h"
#include "decode/decode.h"

#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int fd = -1;
    if (fd < 0) {
        vg_log_set_level(VG_LOG_ERROR);
        fd = memfd_create("fuzz.pcap", 0);
        if (fd < 0)
            abort();
    }
    if (ftruncate(fd, 0) != 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
        abort();
    char path[64], err[512];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    const char *files[1] = {path};
    err[0] = 0;
    vg_capture_t *c = vg_capture_open_files(files, 1, err, sizeof err);
    if (!c) {
        if (!err[0])
            abort(); /* a refusal must say why */
        return 0;
    }
    vg_decode_config_t dcfg;
    vg_decode_config_defaults(&dcfg);
    dcfg.defrag_max_trackers = 64; /* setup cost; fragments are fuzz_defrag.c's job */
    vg_decoder_t *d = vg_decoder_new(&dcfg);
    vg_packet_t p;
    for (int i = 0; i < 100000; i++) {
        enum vg_capture_result r = vg_capture_next(c, &p);
        if (r == VG_CAPTURE_ERROR) {
            const char *e = vg_capture_error(c);
            if (!e || !*e)
                abort();
            break;
        }
        if (r != VG_CAPTURE_OK)
            break;
        fz_touch(p.data, p.caplen);
        vg_decode_packet(d, &p);
    }
    (void)vg_capture_bytes_done(c);
    vg_decoder_free(d);
    vg_capture_free(c);
    return 0;
}
