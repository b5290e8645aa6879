/* log.h — messages to stderr with a level. Thread-safe (one write per message). */
#ifndef VG_COMMON_LOG_H
#define VG_COMMON_LOG_H

#include <stddef.h>

enum vg_log_level { VG_LOG_ERROR, VG_LOG_WARN, VG_LOG_INFO, VG_LOG_DEBUG };

/* Messages above this level are dropped. Default VG_LOG_INFO. */
void vg_log_set_level(enum vg_log_level lvl);
/* While set, the text of this thread's last error message is also copied into buf (for a reply
 * that says why, e.g. a failed rule reload); NULL stops. */
void vg_log_capture(char *buf, size_t len);
void vg_log(enum vg_log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
