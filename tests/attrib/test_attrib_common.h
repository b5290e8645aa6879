/* test_attrib_common.h — helpers shared by the attrib tests: temp files and addresses. */
#ifndef VG_TEST_ATTRIB_COMMON_H
#define VG_TEST_ATTRIB_COMMON_H

#include "attrib/attrib.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char tmp_paths[8][64];

/* Removes the temp files at exit, so that runs do not leave them in /tmp. */
static inline void tmp_cleanup(void)
{
    for (int i = 0; i < 8; i++)
        if (tmp_paths[i][0])
            unlink(tmp_paths[i]);
}

/* Writes text to a new temp file; returns its path (static buffer per slot). The files stay
 * until the test program exits: the attribution tables read them when they are opened. */
static inline const char *tmp_write(int slot, const char *text)
{
    static int registered;
    char (*paths)[64] = tmp_paths;
    if (!registered++)
        atexit(tmp_cleanup);
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
