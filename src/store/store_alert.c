/* store_alert.c — an alert's columns from its EVE line (store_alert.h). */
#include "store/store_alert.h"
#include "store/store.h"

#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static vg_oint_t oint(const vg_sjson_t *j, const char *path)
{
    vg_oint_t o = {0};
    o.has = vg_sjson_int(j, path, &o.v);
    if (!o.has)
        o.v = 0;
    return o;
}

static const char *jstr(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

int vg_store_alert_read(vg_sjson_t *j, vg_store_alert_t *a)
{
    memset(a, 0, sizeof *a);
    const vg_sjson_leaf_t *al = vg_sjson_get(j, "alert");
    if (!al || al->type != 'o')
        return 1;
    a->gid = 1;
    vg_sjson_int(j, "alert.gid", &a->gid);
    vg_sjson_int(j, "alert.signature_id", &a->sid);
    vg_sjson_int(j, "alert.rev", &a->rev);
    a->msg = vg_sjson_str(j, "alert.signature");
    if (!a->msg)
        a->msg = "";
    a->classtype = vg_sjson_str(j, "alert.category");
    a->severity = oint(j, "alert.severity");
    a->cat = vg_sjson_str(j, "vigil.category");
    if (!a->cat)
        a->cat = "unattributed"; /* attribution off: still stored, counted as its own category */
    int counted = vg_sjson_bool(j, "vigil.counted");
    a->counted = counted >= 0 ? counted : strcmp(a->cat, "policy-info") != 0;
    a->certainty = vg_sjson_str(j, "vigil.certainty");
    a->role_by = vg_sjson_str(j, "vigil.role_by");
    a->action = vg_sjson_str(j, "alert.action");
    a->proto = vg_sjson_str(j, "proto");
    a->app_proto = vg_sjson_str(j, "app_proto");
    a->src_ip = vg_sjson_str(j, "src_ip");
    a->dest_ip = vg_sjson_str(j, "dest_ip");
    a->src_port = oint(j, "src_port");
    a->dest_port = oint(j, "dest_port");
    a->flow_id = oint(j, "flow_id");
    a->community_id = vg_sjson_str(j, "community_id");
    a->att_ip = vg_sjson_str(j, "vigil.attacker.ip");
    if (!a->att_ip)
        a->att_ip = a->src_ip;
    a->vic_ip = vg_sjson_str(j, "vigil.victim.ip");
    if (!a->vic_ip)
        a->vic_ip = a->dest_ip;
    a->att_port = oint(j, vg_sjson_get(j, "vigil.attacker.port") ? "vigil.attacker.port" : "src_port");
    a->att_home = vg_sjson_bool(j, "vigil.attacker.home");
    a->att_cc = vg_sjson_str(j, "vigil.attacker.country");
    a->att_org = vg_sjson_str(j, "vigil.attacker.as_org");
    a->att_asn = oint(j, "vigil.attacker.asn");
    a->vic_port = oint(j, vg_sjson_get(j, "vigil.victim.port") ? "vigil.victim.port" : "dest_port");
    a->vic_home = vg_sjson_bool(j, "vigil.victim.home");
    a->vic_cc = vg_sjson_str(j, "vigil.victim.country");
    a->vic_asn = oint(j, "vigil.victim.asn");
    a->vic_org = vg_sjson_str(j, "vigil.victim.as_org");
    /* Evidence (issue 7's ledger): a reference and a content hash when the event carries them;
     * an evidence object in another shape is kept whole as the reference. */
    const vg_sjson_leaf_t *evl = vg_sjson_get(j, "evidence");
    if (evl && evl->type == 'o') {
        json_t *evd = json_loadb(evl->v, evl->n, 0, NULL);
        const char *rk[] = {"ref", "id", "reference", "path", "file"};
        const char *eref = NULL, *esha = NULL;
        for (size_t i = 0; i < 5 && !eref; i++)
            eref = jstr(evd, rk[i]);
        esha = jstr(evd, "sha256");
        if (!esha)
            esha = jstr(evd, "hash");
        /* copied: the strings live in evd */
        char *dump = eref ? NULL : json_dumps(evd, JSON_COMPACT);
        const char *r = eref ? eref : dump;
        size_t rl = r ? strlen(r) + 1 : 0, sl = esha ? strlen(esha) + 1 : 0;
        a->ev_dump = malloc(rl + sl + 1);
        if (a->ev_dump) {
            if (r)
                memcpy(a->ev_dump, r, rl);
            if (esha)
                memcpy(a->ev_dump + rl, esha, sl);
            a->ev_ref = r ? a->ev_dump : NULL;
            a->ev_sha = esha ? a->ev_dump + rl : NULL;
        }
        free(dump);
        json_decref(evd);
    } else if (evl && evl->type == 's') {
        a->ev_ref = vg_sjson_str(j, "evidence");
    }
    return 0;
}

void vg_store_alert_fini(vg_store_alert_t *a)
{
    free(a->ev_dump);
    a->ev_dump = NULL;
}

/* Appends normalised CVE ids ("CVE-2021-44228") found in s to the set in buf (comma list). */
static void add_cves(const char *s, char *buf, size_t blen)
{
    if (!s)
        return;
    for (const char *p = s; (p = strcasestr(p, "CVE")) != NULL; p += 3) {
        const char *q = p + 3;
        if (*q != '-' && *q != '_')
            continue;
        q++;
        int n1 = 0;
        while (isdigit((unsigned char)q[n1]))
            n1++;
        if (n1 != 4 || (q[4] != '-' && q[4] != '_'))
            continue;
        int n2 = 0;
        while (isdigit((unsigned char)q[5 + n2]))
            n2++;
        if (n2 < 4 || n2 > 8)
            continue;
        char id[32];
        snprintf(id, sizeof id, "CVE-%.4s-%.*s", q, n2, q + 5);
        if (strstr(buf, id))
            continue;
        size_t l = strlen(buf);
        if (l + strlen(id) + 2 < blen)
            snprintf(buf + l, blen - l, "%s%s", l ? "," : "", id);
    }
}

void vg_store_alert_sig(vg_sjson_t *j, const char *msg, char *fam, size_t flen, char *cves,
                        size_t clen)
{
    /* the metadata object decides the family and adds CVEs */
    json_t *meta = NULL;
    const vg_sjson_leaf_t *ml = vg_sjson_get(j, "alert.metadata");
    if (ml && ml->type == 'o')
        meta = json_loadb(ml->v, ml->n, 0, NULL);
    const char *fam_meta = NULL;
    const char *fk[] = {"malware_family", "signature_family", "family"};
    for (size_t i = 0; i < 3 && !fam_meta; i++) {
        json_t *a = json_object_get(meta, fk[i]);
        if (json_is_array(a) && json_array_size(a) && json_is_string(json_array_get(a, 0)))
            fam_meta = json_string_value(json_array_get(a, 0));
    }
    *cves = '\0';
    vg_store_family(msg, fam_meta, fam, flen);
    add_cves(msg, cves, clen);
    const char *key_ = NULL;
    json_t *v;
    json_object_foreach(meta, key_, v)
    {
        size_t ai;
        json_t *e;
        json_array_foreach(v, ai, e) if (json_is_string(e)) add_cves(json_string_value(e), cves,
                                                                      clen);
        if (!strncasecmp(key_, "cve", 3))
            add_cves(key_, cves, clen);
    }
    json_decref(meta);
}
