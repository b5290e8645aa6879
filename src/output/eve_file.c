/* eve_file.c — the EVE "fileinfo" event (see eve_file.h). */
#include "output/eve_file.h"

void vg_eve_fileinfo(vg_jw_t *w, const vg_eve_opts_t *o, const vg_eve_file_t *e)
{
    const vg_app_file_t *f = e->file;
    vg_eve_begin_flow(w, o, "fileinfo", e->ts, e->flow, f->dir, e->pcap_cnt, NULL);
    vg_jw_kv_uint(w, "tx_id", e->tx_id);
    if (e->app_name && e->log_tx && e->tx) {
        vg_jw_key(w, e->app_name);
        e->log_tx(e->tx, w);
    }
    if (e->app_proto)
        vg_jw_kv_str(w, "app_proto", e->app_proto);
    vg_jw_key(w, "fileinfo");
    vg_jw_obj_open(w);
    vg_jw_key(w, "filename");
    vg_jw_strn(w, f->name ? (const char *)f->name : "", f->name ? f->name_len : 0);
    vg_jw_kv_bool(w, "gaps", f->gaps);
    vg_jw_kv_str(w, "state", vg_app_file_state_name(f->state));
    vg_jw_kv_bool(w, "stored", false);
    vg_jw_kv_uint(w, "size", f->size);
    vg_jw_kv_uint(w, "tx_id", e->tx_id);
    vg_jw_obj_close(w);
    vg_jw_obj_close(w);
}
