/* timefmt.c — Suricata-style timestamps with a per-thread cache of the date-and-seconds part,
 * because one event per flow at ~1M flows/s makes localtime_r a visible cost. */
#include "common/timefmt.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static int g_utc;

void vg_time_set_utc(int utc) { g_utc = utc; }

static _Thread_local struct {
    int64_t sec;
    char prefix[24]; /* "YYYY-MM-DDTHH:MM:SS." */
    char zone[8];    /* "+0000" */
    size_t plen;
    int valid;
} tcache;

size_t vg_time_format(vg_time_t t, char *out)
{
    int64_t sec = (int64_t)(t / VG_USEC_PER_SEC);
    unsigned usec = (unsigned)(t % VG_USEC_PER_SEC);
    if (!tcache.valid || tcache.sec != sec) {
        time_t tt = (time_t)sec;
        struct tm tm;
        if (g_utc)
            gmtime_r(&tt, &tm);
        else
            localtime_r(&tt, &tm);
        tcache.plen = strftime(tcache.prefix, sizeof tcache.prefix, "%Y-%m-%dT%H:%M:%S.", &tm);
        long off = g_utc ? 0 : tm.tm_gmtoff;
        char sign = off < 0 ? '-' : '+';
        if (off < 0)
            off = -off;
        snprintf(tcache.zone, sizeof tcache.zone, "%c%02ld%02ld", sign, (off / 3600) % 100,
                 (off / 60) % 60);
        tcache.sec = sec;
        tcache.valid = 1;
    }
    size_t n = tcache.plen;
    memcpy(out, tcache.prefix, n);
    for (int i = 5; i >= 0; i--) {
        out[n + (size_t)i] = (char)('0' + usec % 10);
        usec /= 10;
    }
    n += 6;
    memcpy(out + n, tcache.zone, 5);
    n += 5;
    out[n] = '\0';
    return n;
}
