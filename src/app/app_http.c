/* app_http.c — placeholder row until the http parser lands: detects nothing, parses nothing. */
#include "app/app.h"

const vg_app_ops_t vg_app_http_ops = {
    .name = "http",
    .id = VG_APP_HTTP,
};
