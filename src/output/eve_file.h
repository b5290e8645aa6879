/* eve_file.h — the EVE "fileinfo" event (a file seen in a transaction), as Suricata writes it:
 *
 *   {header (src/dest oriented by the file's direction), "tx_id", "<proto>": {the transaction},
 *    "app_proto", "fileinfo": {"filename", "gaps", "state", "stored": false, "size", "tx_id"}}
 *
 * No hashes, magic or file store: those fields are left out, as Suricata leaves them out when
 * they are not configured.
 */
#ifndef VG_OUTPUT_EVE_FILE_H
#define VG_OUTPUT_EVE_FILE_H

#include "app/app.h"
#include "output/output.h"

typedef struct vg_eve_file {
    const vg_flow_t *flow;
    vg_time_t ts;
    uint64_t pcap_cnt;
    const char *app_proto;              /* flow's app_proto name */
    uint64_t tx_id;
    const char *app_name;               /* key of the transaction object, NULL for none */
    void (*log_tx)(void *tx, vg_jw_t *w);
    void *tx;
    const vg_app_file_t *file;
} vg_eve_file_t;

/* The complete "fileinfo" event object. */
void vg_eve_fileinfo(vg_jw_t *w, const vg_eve_opts_t *o, const vg_eve_file_t *e);

#endif
