/* log.c — leveled messages on stderr, "vigil: error: ..." so they read well in a journal. */
#include "common/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

static enum vg_log_level g_level = VG_LOG_INFO;

void vg_log_set_level(enum vg_log_level lvl) { g_level = lvl; }

static _Thread_local char *t_cap;
static _Thread_local size_t t_cap_len;

void vg_log_capture(char *buf, size_t len)
{
    t_cap = buf;
    t_cap_len = len;
    if (buf && len)
        buf[0] = '\0';
}

void vg_log(enum vg_log_level lvl, const char *fmt, ...)
{
    static const char *const names[] = {"error", "warning", "info", "debug"};
    if (lvl > g_level)
        return;
    char line[2048];
    int n = snprintf(line, sizeof line, "vigil: %s: ", names[lvl]);
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
    va_end(ap);
    if (m < 0)
        m = 0;
    size_t len = (size_t)n + (size_t)m;
    if (len > sizeof line - 2)
        len = sizeof line - 2;
    if (lvl == VG_LOG_ERROR && t_cap && t_cap_len)
        snprintf(t_cap, t_cap_len, "%.*s", (int)(len - (size_t)n), line + n);
    line[len++] = '\n';
    ssize_t w = write(STDERR_FILENO, line, len);
    (void)w;
}
