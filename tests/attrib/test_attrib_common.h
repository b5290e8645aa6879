/* test_attrib_common.h — helpers shared by the attrib tests: temp files and addresses. */
#ifndef VG_TEST_ATTRIB_COMMON_H
#define VG_TEST_ATTRIB_COMMON_H

#include "attrib/attrib.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Writes text to a new temp file; returns its path (static buffer per slot). */
static inline const char *tmp_write(int slot, const char *text)
{
    static char paths[8][64];
    snprintf(paths[slot], sizeof paths[slot], "/tmp/vg_attrib_test_%d_%d.txt", (int)getpid(), slot);
    FILE *f = fopen(paths[slot], "w");
    if (!f)
        abort();
    fputs(text, f);
    fclose(f);
    return paths[slot];
}

static inline int addr_of(const char *s, vg_addr_t *a)
{
    memset(a, 0, sizeof *a);
    if (inet_pton(AF_INET, s, a->b) == 1)
        return 4;
    if (inet_pton(AF_INET6, s, a->b) == 1)
        return 6;
    abort();
}

#endif
