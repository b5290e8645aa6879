/* store_alert.h — the columns of an alert as the store keeps them, read from one EVE line
 * (store_alert.c). Shared by the SQLite writer (store.c) and the PostgreSQL collector
 * (src/collect), so both stores hold the same values for the same event. */
#ifndef VG_STORE_STORE_ALERT_H
#define VG_STORE_STORE_ALERT_H

#include "store/store_json.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct vg_oint {
    bool has;
    int64_t v;
} vg_oint_t;

typedef struct vg_store_alert {
    /* signature */
    int64_t gid, sid, rev;           /* gid 1, sid and rev 0 when absent */
    const char *msg;                 /* "" when absent */
    const char *classtype;
    vg_oint_t severity;
    /* Vigil's attribution */
    const char *cat;                 /* "unattributed" when absent (attribution off) */
    int counted;                     /* vigil.counted, else every category but policy-info */
    const char *certainty, *role_by, *action, *proto, *app_proto;
    const char *src_ip, *dest_ip, *community_id;
    vg_oint_t src_port, dest_port, flow_id;
    const char *att_ip;              /* vigil.attacker.ip, else src_ip */
    vg_oint_t att_port;
    int att_home;                    /* -1: absent */
    const char *att_cc, *att_org;    /* as given (NULL when absent) */
    vg_oint_t att_asn;
    const char *vic_ip;              /* vigil.victim.ip, else dest_ip */
    vg_oint_t vic_port;              /* vigil.victim.port, else dest_port */
    int vic_home;
    const char *vic_cc, *vic_org;
    vg_oint_t vic_asn;
    /* evidence: a reference and a digest when the event carries them (docs/STORE.md) */
    const char *ev_ref, *ev_sha;
    char *ev_dump;                   /* owned: an evidence object of another shape, as JSON */
} vg_store_alert_t;

/* Reads the alert columns of j (parsed by vg_sjson_parse; strings point into j). 1 when j has
 * no "alert" object (not stored). vg_store_alert_fini releases ev_dump. */
int vg_store_alert_read(vg_sjson_t *j, vg_store_alert_t *a);
void vg_store_alert_fini(vg_store_alert_t *a);
/* The signature's family and CVE list as the store records them for a new signature (from
 * msg and the alert's metadata object). */
void vg_store_alert_sig(vg_sjson_t *j, const char *msg, char *family, size_t flen, char *cves,
                        size_t clen);
/* Report-facing dimension values: country "??" when absent or empty, ASN 0, organisation "". */
static inline const char *vg_store_alert_cc(const vg_store_alert_t *a)
{
    return a->att_cc && *a->att_cc ? a->att_cc : "??";
}
/* The UTC day of an alert time as the rollup counts it: floor(trunc(ts / 1e6) / 86400). */
static inline int64_t vg_store_day_of(int64_t ts)
{
    int64_t s = ts / 1000000; /* truncation, as SQLite's ts/1000000 */
    return (s - (((s % 86400) + 86400) % 86400)) / 86400;
}

#endif
