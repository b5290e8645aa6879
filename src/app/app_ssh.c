/* app_ssh.c — placeholder row until the ssh parser lands: detects nothing, parses nothing. */
#include "app/app.h"

const vg_app_ops_t vg_app_ssh_ops = {
    .name = "ssh",
    .id = VG_APP_SSH,
};
