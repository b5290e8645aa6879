/* fuzz_geo.c — the geo database loaders of the attribution stage: an MMDB file (libmaxminddb,
 * with Vigil's verification of every record) or a text range file (tor geoip/geoip6, iptoasn
 * TSV, RIR delegated — the format is detected from the content). The input is the file, put in
 * a memfd (the loaders take a path); when it loads, a few addresses derived from the input and
 * some fixed ones are looked up, and the answers are read in full.
 */
#include "fuzz_common.h"

#include "attrib/attrib.h"
#include "common/log.h"

#include <arpa/inet.h>
#include <sys/mman.h>
#include <unistd.h>

/* libmaxminddb 1.7.1 (Debian bookworm) leaks the metadata description's data pool when
 * MMDB_open fails while reading it (fixed upstream in maxmind/libmaxminddb PR #356, 1.12).
 * That leak is in the library, bounded by the number of failed opens (one per configured
 * database at start-up), so LeakSanitizer is told to ignore allocations made inside it; every
 * other finding still stops the fuzzer. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void) { return "leak:libmaxminddb.so\n"; }

static void lookup(vg_attrib_ctx_t *c, const uint8_t *b, int ver)
{
    vg_addr_t a;
    memset(&a, 0, sizeof a);
    memcpy(a.b, b, ver == 4 ? 4 : 16);
    vg_geo_t g;
    vg_attrib_geo(c, &a, ver, &g);
    fz_touch(g.country, strlen(g.country));
    fz_touch(g.as_org, strlen(g.as_org));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int fd = -1;
    if (fd < 0) {
        vg_log_set_level(VG_LOG_ERROR);
        fd = memfd_create("fuzz_geo", 0);
        if (fd < 0)
            abort();
    }
    if (ftruncate(fd, 0) != 0 || (size && pwrite(fd, data, size, 0) != (ssize_t)size))
        abort();
    char path[64], err[512] = "";
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    const char *dbs[] = {path};
    vg_attrib_opts_t o = {.dbs = dbs, .n_dbs = 1, .verify_dbs = true, .cache_entries = 16};
    vg_attrib_t *a = vg_attrib_new(&o, err, sizeof err);
    if (!a) {
        if (!err[0])
            abort(); /* a refusal must say why */
        return 0;
    }
    fz_touch(vg_attrib_db_label(a, 0), strlen(vg_attrib_db_label(a, 0)));
    vg_attrib_ctx_t *c = vg_attrib_ctx_new(a);
    static const char *const fixed[] = {"1.0.0.1", "8.8.8.8", "81.2.69.160", "255.255.255.255",
                                        "0.0.0.0", "2001:db8::1", "::1", "2a02:cf40::"};
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) {
        uint8_t b[16] = {0};
        int ver = strchr(fixed[i], ':') ? 6 : 4;
        if (inet_pton(ver == 4 ? AF_INET : AF_INET6, fixed[i], b) != 1)
            abort();
        lookup(c, b, ver);
    }
    if (size >= 16) { /* addresses taken from the input reach its own ranges */
        lookup(c, data + size - 16, 6);
        lookup(c, data + size - 4, 4);
        lookup(c, data, 4);
    }
    vg_attrib_ctx_free(c);
    vg_attrib_free(a);
    return 0;
}
