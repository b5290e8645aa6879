/* attrib_json.c — the "vigil" object of an alert event (layout in docs/ATTRIBUTION.md). Suricata's
 * own keys are written by output/ and stay untouched; everything attribution adds lives here. */
#include "attrib/attrib_int.h"

#include <string.h>

void vg_attrib_json_geo(vg_jw_t *w, const vg_geo_t *g)
{
    vg_jw_kv_str(w, "country", g->country);
    if (strcmp(g->reg_country, "??") != 0)
        vg_jw_kv_str(w, "registered_country", g->reg_country);
    if (g->asn) {
        vg_jw_kv_uint(w, "asn", g->asn);
        if (g->as_org[0])
            vg_jw_kv_str(w, "as_org", g->as_org);
    }
    if (g->city[0])
        vg_jw_kv_str(w, "city", g->city);
}

void vg_attrib_json_end(vg_jw_t *w, const vg_attrib_end_t *e)
{
    char ip[48];
    vg_addr_format(&e->ip, e->ip_ver, ip);
    vg_jw_obj_open(w);
    vg_jw_kv_str(w, "ip", ip);
    vg_jw_kv_uint(w, "port", e->port);
    vg_jw_kv_bool(w, "home", e->is_home);
    vg_jw_kv_bool(w, "verified", e->verified);
    vg_attrib_json_geo(w, &e->geo);
    vg_jw_obj_close(w);
}

/* The databases that answered any field of either end, in configured order. */
static void write_dbs(vg_jw_t *w, const vg_attrib_t *a, const vg_attrib_result_t *res)
{
    const vg_geo_t *g[2] = {&res->attacker.geo, &res->victim.geo};
    vg_jw_key(w, "geo_db");
    vg_jw_arr_open(w);
    for (size_t i = 0; a && i < a->n_dbs && i < VG_GEO_NO_DB; i++) {
        bool used = false;
        for (int k = 0; k < 2; k++)
            used |= g[k]->country_db == i || g[k]->asn_db == i || g[k]->city_db == i;
        if (used)
            vg_jw_str(w, a->dbs[i].label);
    }
    vg_jw_arr_close(w);
}

void vg_attrib_json_write(vg_jw_t *w, const vg_attrib_t *a, const vg_attrib_result_t *res)
{
    vg_jw_key(w, "vigil");
    vg_jw_obj_open(w);
    vg_jw_kv_str(w, "category", vg_attrib_cat_name(res->category));
    vg_jw_kv_bool(w, "counted", res->counted);
    vg_jw_kv_str(w, "certainty", res->attacker.verified ? "verified" : "spoofable");
    vg_jw_kv_str(w, "role_by", vg_attrib_role_by_name(res->role_by));
    if (res->exfil)
        vg_jw_kv_bool(w, "exfiltration", true);
    vg_jw_key(w, "attacker");
    vg_attrib_json_end(w, &res->attacker);
    vg_jw_key(w, "victim");
    vg_attrib_json_end(w, &res->victim);
    write_dbs(w, a, res);
    vg_jw_obj_close(w);
}
