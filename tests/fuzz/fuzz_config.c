/* fuzz_config.c — YAML configuration through vg_config_load_yaml, read from a memfd (the loader
 * takes a path; /proc/self/fd/N names the in-memory file). The resulting variables are walked.
 */
#include "fuzz_common.h"

#include "common/config.h"
#include "common/log.h"

#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int fd = -1;
    if (fd < 0) {
        vg_log_set_level(VG_LOG_ERROR);
        fd = memfd_create("fuzz_config.yaml", 0);
        if (fd < 0)
            abort();
    }
    if (ftruncate(fd, 0) != 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
        abort();
    char path[64], err[512];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    vg_config_t *c = vg_config_new();
    if (vg_config_load_yaml(c, path, err, sizeof err) != 0 && !err[0])
        abort(); /* a failure must say why */
    const char *names[64], *values[64];
    for (int kind = 0; kind < 2; kind++) {
        size_t n = vg_config_vars(c, kind, names, values, 64);
        for (size_t i = 0; i < n && i < 64; i++) {
            fz_touch(names[i], strlen(names[i]));
            fz_touch(values[i], strlen(values[i]));
        }
    }
    (void)vg_config_uint(c, "stream.memcap");
    (void)vg_config_bool(c, "stream.midstream");
    vg_config_free(c);
    return 0;
}
