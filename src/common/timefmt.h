/* timefmt.h — packet-time formatting as Suricata writes it in EVE:
 * "2023-09-18T06:13:41.532140+0000" (local time, numeric offset without colon).
 * Thread-safe: each thread caches the formatted date of the last second it saw. */
#ifndef VG_COMMON_TIMEFMT_H
#define VG_COMMON_TIMEFMT_H

#include "common/common.h"

#define VG_TIME_STR_LEN 32

/* Writes a NUL-terminated timestamp into out (VG_TIME_STR_LEN bytes); returns its length. */
size_t vg_time_format(vg_time_t t, char *out);

/* When true (the default is false), format in UTC instead of local time (tests set it). */
void vg_time_set_utc(int utc);

#endif
