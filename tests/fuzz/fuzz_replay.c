/* fuzz_replay.c — a main() for the harnesses when libFuzzer is not linked: runs the harness once
 * on each file named on the command line; a directory is walked (one level of subdirectories
 * and more). Used by the ctest replay of the seed corpora and crash regressions, and by builds
 * with a compiler without libFuzzer. Exit status 0 unless a file cannot be read (a crash aborts
 * through the sanitizers).
 */
#include "fuzz_common.h"

#include <dirent.h>
#include <sys/stat.h>

static int n_run;

static int run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "replay: cannot open %s\n", path);
        return -1;
    }
    uint8_t *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (cap - len < 65536) {
            cap = cap ? cap * 2 : 65536;
            buf = realloc(buf, cap);
            if (!buf)
                abort();
        }
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0)
            break;
    }
    fclose(f);
    /* Exact-size copy, as libFuzzer hands its inputs. */
    uint8_t *exact = fz_dup(buf, len);
    free(buf);
    LLVMFuzzerTestOneInput(exact, len);
    free(exact);
    n_run++;
    return 0;
}

static int run_path(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        fprintf(stderr, "replay: %s: not found\n", path);
        return -1;
    }
    if (!S_ISDIR(st.st_mode))
        return run_file(path);
    DIR *d = opendir(path);
    if (!d)
        return -1;
    int rc = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue; /* ".", "..", and notes such as .gitkeep */
        char sub[4096];
        snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
        if (strstr(e->d_name, ".md") || strstr(e->d_name, ".txt"))
            continue; /* notes next to crash inputs */
        if (run_path(sub) != 0)
            rc = -1;
    }
    closedir(d);
    return rc;
}

int main(int argc, char **argv)
{
    int rc = 0;
    for (int i = 1; i < argc; i++)
        if (run_path(argv[i]) != 0)
            rc = 1;
    fprintf(stderr, "replay: %d inputs\n", n_run);
    return rc;
}
