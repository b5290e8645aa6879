/* app_dns.c — placeholder row until the dns parser lands: detects nothing, parses nothing. */
#include "app/app.h"

const vg_app_ops_t vg_app_dns_ops = {
    .name = "dns",
    .id = VG_APP_DNS,
};
