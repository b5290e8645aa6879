/* app_registry.c — the list of application protocols, and detection over it.
 *
 * Adding a protocol: write app_<proto>.c exporting one vg_app_ops_t, add it to `protocols` below
 * and to the enum in app.h. Nothing else switches on protocols.
 */
#include "app/app.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

extern const vg_app_ops_t vg_app_http_ops;
extern const vg_app_ops_t vg_app_dns_ops;
extern const vg_app_ops_t vg_app_tls_ops;
extern const vg_app_ops_t vg_app_ssh_ops;
extern const vg_app_ops_t vg_app_ftp_ops;
extern const vg_app_ops_t vg_app_ftpdata_ops;
extern const vg_app_ops_t vg_app_smtp_ops;
extern const vg_app_ops_t vg_app_smb_ops;
extern const vg_app_ops_t vg_app_dcerpc_ops;
extern const vg_app_ops_t vg_app_krb5_ops;
extern const vg_app_ops_t vg_app_ntp_ops;
extern const vg_app_ops_t vg_app_dhcp_ops;
extern const vg_app_ops_t vg_app_sip_ops;
extern const vg_app_ops_t vg_app_telnet_ops;

static const vg_app_ops_t *const protocols[] = {
    &vg_app_http_ops,
    &vg_app_tls_ops,
    &vg_app_ssh_ops,
    &vg_app_ftp_ops,
    &vg_app_ftpdata_ops,
    &vg_app_smtp_ops,
    &vg_app_smb_ops,
    &vg_app_dcerpc_ops,
    &vg_app_krb5_ops,
    &vg_app_ntp_ops,
    &vg_app_dhcp_ops,
    &vg_app_sip_ops,
    &vg_app_telnet_ops,
    &vg_app_dns_ops,
};

void vg_app_config_defaults(vg_app_config_t *cfg)
{
    cfg->http_request_body_limit = 100 * 1024;
    cfg->http_response_body_limit = 100 * 1024;
    cfg->max_tx_per_flow = 512;
}

void *vg_app_nostate_new(bool over_tcp)
{
    (void)over_tcp;
    return vg_xcalloc(1, 1);
}

void vg_app_nostate_free(void *state) { free(state); }

enum vg_app_parse_result vg_app_parse_nothing(void *state, int dir, const uint8_t *data,
                                              size_t len, vg_app_ctx_t *ctx)
{
    (void)state, (void)dir, (void)data, (void)len, (void)ctx;
    return VG_APP_PARSE_OK;
}

const char *vg_app_file_state_name(enum vg_app_file_state st)
{
    switch (st) {
    case VG_APP_FILE_OPEN: return "OPEN";
    case VG_APP_FILE_CLOSED: return "CLOSED";
    case VG_APP_FILE_TRUNCATED: return "TRUNCATED";
    case VG_APP_FILE_ERROR: return "ERROR";
    }
    return "UNKNOWN";
}

const vg_app_ops_t *vg_app_ops(enum vg_app_proto id)
{
    for (size_t i = 0; i < sizeof protocols / sizeof protocols[0]; i++)
        if (protocols[i]->id == id)
            return protocols[i];
    return NULL;
}

const vg_app_ops_t *vg_app_ops_by_name(const char *name)
{
    for (size_t i = 0; i < sizeof protocols / sizeof protocols[0]; i++)
        if (strcmp(protocols[i]->name, name) == 0)
            return protocols[i];
    return NULL;
}

int vg_app_event_id(const vg_app_ops_t *o, const char *name)
{
    for (int i = 0; o && o->events && i < o->n_events; i++)
        if (strcasecmp(o->events[i], name) == 0)
            return i;
    return -1;
}

const vg_app_ops_t *vg_app_ops_by_name_ci(const char *name)
{
    for (size_t i = 0; i < sizeof protocols / sizeof protocols[0]; i++)
        if (strcasecmp(protocols[i]->name, name) == 0)
            return protocols[i];
    return NULL;
}

const char *vg_app_proto_name(enum vg_app_proto id)
{
    if (id == VG_APP_FAILED)
        return "failed";
    const vg_app_ops_t *o = vg_app_ops(id);
    return o ? o->name : "unknown";
}

static bool port_hint(const vg_app_ops_t *o, uint16_t sp, uint16_t dp)
{
    if (!o->ports)
        return false;
    for (const uint16_t *p = o->ports; *p; p++)
        if (*p == sp || *p == dp)
            return true;
    return false;
}

enum vg_app_proto vg_app_detect(bool tcp, uint16_t sp, uint16_t dp, const uint8_t *data,
                                size_t len, int dir)
{
    size_t n = sizeof protocols / sizeof protocols[0];
    bool need_more = false;
    /* Two passes: protocols whose port matches first, then the rest. */
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < n; i++) {
            const vg_app_ops_t *o = protocols[i];
            if (!o->probe || (tcp ? !o->over_tcp : !o->over_udp))
                continue;
            bool hint = port_hint(o, sp, dp);
            if (hint != (pass == 0))
                continue;
            /* a port-bound protocol only on its server port: the flow's responder's, as Suricata
             * registers its probing parsers (a DNS response from port 53 to a victim's port 22,
             * seen first, is not DNS) */
            if (o->needs_port && !port_hint(o, dp, dp))
                continue;
            int r = o->probe(data, len, dir);
            if (r == 1)
                return o->id;
            if (r < 0)
                need_more = true;
        }
    }
    return need_more ? VG_APP_UNKNOWN : VG_APP_FAILED;
}
