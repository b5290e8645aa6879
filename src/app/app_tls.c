/* app_tls.c — placeholder row until the tls parser lands: detects nothing, parses nothing. */
#include "app/app.h"

const vg_app_ops_t vg_app_tls_ops = {
    .name = "tls",
    .id = VG_APP_TLS,
};
