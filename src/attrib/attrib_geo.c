/* attrib_geo.c — MMDB databases through libmaxminddb, the combined lookup over all databases,
 * and the per-thread prefix cache.
 *
 * Field layouts accepted (first present wins, per field):
 *   country       country.iso_code (GeoLite2/GeoIP2, DB-IP), country_code (IPinfo Lite), or a
 *                 two-letter flat country (IPinfo country files)
 *   reg. country  registered_country.iso_code
 *   asn           autonomous_system_number (uint) (GeoLite2-ASN, GeoIP2-ISP, DB-IP ASN), or
 *                 asn as "AS15169" text or a number (IPinfo)
 *   as_org        autonomous_system_organization, as_name (IPinfo)
 *   city          city.names.en, or a flat city string
 * With several databases each field comes from the first database (in configured order) that has
 * it for the address, so "country from one, ASN from another" needs no configuration beyond the
 * list.
 *
 * Verification at open (attribution.verify-databases, default on): libmaxminddb checks only the
 * metadata when opening, so a corrupt search tree or data section would otherwise surface as
 * silent lookup failures mid-run. We walk every node once and decode every distinct data record
 * once (a bitmap over the data section), which takes about a second for a City database.
 *
 * Cache: a set-associative LRU (4 ways) per thread. An entry is a prefix (network, length) over
 * which every database gives the same answer: the longest of the MMDB netmasks and the range
 * tables' enclosing blocks. The set is chosen by the address's /24 (IPv4) or /48 (IPv6), so a
 * short prefix is cached once per /24 that touches it; longer prefixes in the same /24 share
 * the set's four ways.
 */
#include "attrib/attrib_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void vg_attrib_copy_utf8(char *out, size_t cap, const char *s, size_t n)
{
    if (n >= cap) {
        n = cap - 1;
        while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
            n--; /* s[n] is the first byte not copied: do not split its sequence */
    }
    memcpy(out, s, n);
    out[n] = 0;
}

/* --- opening and verifying ---------------------------------------------------------------- */

static int verify_record(const MMDB_s *m, const MMDB_entry_s *e, uint8_t *seen, const char *path,
                         char *err, size_t err_len)
{
    uint32_t off = e->offset;
    if (off >= m->data_section_size) {
        snprintf(err, err_len, "%s: corrupt database: data pointer beyond the data section", path);
        return -1;
    }
    if (seen[off / 8] & (1u << (off % 8)))
        return 0;
    seen[off / 8] |= (uint8_t)(1u << (off % 8));
    MMDB_entry_s entry = *e;
    MMDB_entry_data_list_s *list = NULL;
    int st = MMDB_get_entry_data_list(&entry, &list);
    MMDB_free_entry_data_list(list);
    if (st != MMDB_SUCCESS) {
        snprintf(err, err_len, "%s: corrupt database: %s (data record at offset %u)", path,
                 MMDB_strerror(st), off);
        return -1;
    }
    return 0;
}

static int verify_mmdb(const MMDB_s *m, const char *path, char *err, size_t err_len)
{
    uint8_t *seen = vg_xcalloc((size_t)m->data_section_size / 8 + 1, 1);
    int rc = 0;
    for (uint32_t i = 0; rc == 0 && i < m->metadata.node_count; i++) {
        MMDB_search_node_s nd;
        int st = MMDB_read_node(m, i, &nd);
        if (st != MMDB_SUCCESS) {
            snprintf(err, err_len, "%s: corrupt database: %s (node %u)", path, MMDB_strerror(st), i);
            rc = -1;
            break;
        }
        const uint8_t types[2] = {nd.left_record_type, nd.right_record_type};
        const MMDB_entry_s *ents[2] = {&nd.left_record_entry, &nd.right_record_entry};
        for (int k = 0; k < 2 && rc == 0; k++) {
            if (types[k] == MMDB_RECORD_TYPE_INVALID) {
                snprintf(err, err_len, "%s: corrupt database: invalid search tree record (node %u)",
                         path, i);
                rc = -1;
            } else if (types[k] == MMDB_RECORD_TYPE_DATA) {
                rc = verify_record(m, ents[k], seen, path, err, err_len);
            }
        }
    }
    free(seen);
    return rc;
}

int vg_attrib_mmdb_open(vg_attrib_db_t *db, bool verify, char *err, size_t err_len)
{
    int st = MMDB_open(db->path, MMDB_MODE_MMAP, &db->mmdb);
    if (st != MMDB_SUCCESS) {
        const char *why = st == MMDB_IO_ERROR ? strerror(errno) : MMDB_strerror(st);
        snprintf(err, err_len, "%s: cannot open MaxMind database: %s", db->path, why);
        return -1;
    }
    db->mmdb_open = true;
    if (verify && verify_mmdb(&db->mmdb, db->path, err, err_len))
        return -1;
    return 0;
}

/* --- one MMDB lookup ------------------------------------------------------------------------ */

static bool get_str(MMDB_entry_s *e, char *out, size_t cap, const char *const *path)
{
    MMDB_entry_data_s d;
    if (MMDB_aget_value(e, &d, path) != MMDB_SUCCESS || !d.has_data ||
        d.type != MMDB_DATA_TYPE_UTF8_STRING || d.data_size == 0)
        return false;
    vg_attrib_copy_utf8(out, cap, d.utf8_string, d.data_size);
    return true;
}

static bool get_cc(MMDB_entry_s *e, char out[3], const char *const *path)
{
    char buf[8];
    MMDB_entry_data_s d;
    if (MMDB_aget_value(e, &d, path) != MMDB_SUCCESS || !d.has_data ||
        d.type != MMDB_DATA_TYPE_UTF8_STRING || d.data_size != 2)
        return false;
    vg_attrib_copy_utf8(buf, sizeof buf, d.utf8_string, d.data_size);
    memcpy(out, buf, 3);
    return true;
}

static bool get_asn(MMDB_entry_s *e, uint32_t *asn)
{
    static const char *const p1[] = {"autonomous_system_number", NULL};
    static const char *const p2[] = {"asn", NULL};
    const char *const *paths[] = {p1, p2};
    for (int i = 0; i < 2; i++) {
        MMDB_entry_data_s d;
        if (MMDB_aget_value(e, &d, paths[i]) != MMDB_SUCCESS || !d.has_data)
            continue;
        if (d.type == MMDB_DATA_TYPE_UINT32 || d.type == MMDB_DATA_TYPE_UINT16) {
            *asn = d.type == MMDB_DATA_TYPE_UINT32 ? d.uint32 : d.uint16;
            return *asn != 0;
        }
        if (d.type == MMDB_DATA_TYPE_UINT64 && d.uint64 && d.uint64 <= UINT32_MAX) {
            *asn = (uint32_t)d.uint64;
            return true;
        }
        if (d.type == MMDB_DATA_TYPE_UTF8_STRING) {
            char buf[24];
            vg_attrib_copy_utf8(buf, sizeof buf, d.utf8_string, d.data_size);
            const char *s = (buf[0] == 'A' || buf[0] == 'a') && (buf[1] == 'S' || buf[1] == 's')
                                ? buf + 2 : buf;
            char *end;
            unsigned long v = strtoul(s, &end, 10);
            if (end != s && !*end && v && v <= UINT32_MAX) {
                *asn = (uint32_t)v;
                return true;
            }
        }
    }
    return false;
}

static void fill_from_entry(MMDB_entry_s *e, uint8_t db_idx, vg_geo_t *g)
{
    static const char *const cc1[] = {"country", "iso_code", NULL};
    static const char *const cc2[] = {"country_code", NULL};
    static const char *const cc3[] = {"country", NULL};
    static const char *const reg[] = {"registered_country", "iso_code", NULL};
    static const char *const org1[] = {"autonomous_system_organization", NULL};
    static const char *const org2[] = {"as_name", NULL};
    static const char *const city1[] = {"city", "names", "en", NULL};
    static const char *const city2[] = {"city", NULL};

    if (g->country_db == VG_GEO_NO_DB &&
        (get_cc(e, g->country, cc1) || get_cc(e, g->country, cc2) || get_cc(e, g->country, cc3)))
        g->country_db = db_idx;
    if (!strcmp(g->reg_country, "??"))
        get_cc(e, g->reg_country, reg);
    if (g->asn_db == VG_GEO_NO_DB && get_asn(e, &g->asn)) {
        g->asn_db = db_idx;
        if (!get_str(e, g->as_org, sizeof g->as_org, org1))
            get_str(e, g->as_org, sizeof g->as_org, org2);
    }
    if (g->city_db == VG_GEO_NO_DB &&
        (get_str(e, g->city, sizeof g->city, city1) || get_str(e, g->city, sizeof g->city, city2)))
        g->city_db = db_idx;
}

static uint8_t lookup_mmdb(const vg_attrib_db_t *db, uint8_t idx, const vg_addr_t *ip, int ip_ver,
                           vg_geo_t *g)
{
    struct sockaddr_in s4 = {0};
    struct sockaddr_in6 s6 = {0};
    const struct sockaddr *sa;
    if (ip_ver == 4) {
        s4.sin_family = AF_INET;
        memcpy(&s4.sin_addr, ip->b, 4);
        sa = (const struct sockaddr *)&s4;
    } else {
        s6.sin6_family = AF_INET6;
        memcpy(&s6.sin6_addr, ip->b, 16);
        sa = (const struct sockaddr *)&s6;
    }
    int mmerr = MMDB_SUCCESS;
    MMDB_lookup_result_s res = MMDB_lookup_sockaddr(&db->mmdb, sa, &mmerr);
    unsigned nbits = ip_ver == 4 ? 32 : 128;
    if (mmerr != MMDB_SUCCESS)
        return (uint8_t)nbits; /* an IPv6 address in an IPv4-only database, ...: unknown */
    unsigned plen = res.netmask;
    if (ip_ver == 4 && db->mmdb.metadata.ip_version == 6)
        plen = plen >= 96 ? plen - 96 : 0;
    if (plen > nbits)
        plen = nbits;
    if (res.found_entry)
        fill_from_entry(&res.entry, idx, g);
    return (uint8_t)plen;
}

static uint8_t lookup_range(const vg_attrib_db_t *db, uint8_t idx, const vg_addr_t *ip, int ip_ver,
                            vg_geo_t *g)
{
    vg_rhit_t hit;
    vg_rtable_lookup(db->rt, ip, ip_ver, &hit);
    if (!hit.r)
        return hit.plen;
    if (g->country_db == VG_GEO_NO_DB && hit.r->cc[0]) {
        memcpy(g->country, hit.r->cc, 3);
        g->country_db = idx;
    }
    if (g->asn_db == VG_GEO_NO_DB && hit.r->asn) {
        g->asn = hit.r->asn;
        g->asn_db = idx;
        const char *org = vg_rtable_str(db->rt, hit.r->org);
        vg_attrib_copy_utf8(g->as_org, sizeof g->as_org, org, strlen(org));
    }
    return hit.plen;
}

static void geo_unknown(vg_geo_t *g)
{
    memset(g, 0, sizeof *g);
    memcpy(g->country, "??", 3);
    memcpy(g->reg_country, "??", 3);
    g->country_db = g->asn_db = g->city_db = VG_GEO_NO_DB;
}

void vg_attrib_geo_uncached(const vg_attrib_t *a, const vg_addr_t *ip, int ip_ver, vg_geo_t *out,
                            uint8_t *plen)
{
    geo_unknown(out);
    uint8_t best = 0;
    for (size_t i = 0; i < a->n_dbs && i < VG_GEO_NO_DB; i++) {
        const vg_attrib_db_t *db = &a->dbs[i];
        uint8_t p = db->kind == VG_DB_MMDB ? lookup_mmdb(db, (uint8_t)i, ip, ip_ver, out)
                                           : lookup_range(db, (uint8_t)i, ip, ip_ver, out);
        best = VG_MAX(best, p);
    }
    *plen = best;
}

/* --- per-thread cache --------------------------------------------------------------------- */

vg_attrib_ctx_t *vg_attrib_ctx_new(const vg_attrib_t *a)
{
    vg_attrib_ctx_t *c = vg_xcalloc(1, sizeof *c);
    c->a = a;
    uint32_t n = a->cache_entries ? a->cache_entries : 1024;
    c->n_sets = (n + VG_ATTRIB_WAYS - 1) / VG_ATTRIB_WAYS;
    c->e = vg_xcalloc((size_t)c->n_sets * VG_ATTRIB_WAYS, sizeof *c->e);
    return c;
}

void vg_attrib_ctx_free(vg_attrib_ctx_t *c)
{
    if (!c)
        return;
    free(c->e);
    free(c);
}

void vg_attrib_ctx_stats(const vg_attrib_ctx_t *c, uint64_t *hits, uint64_t *misses)
{
    *hits = c->hits;
    *misses = c->misses;
}

static void mask_addr(const uint8_t *in, unsigned plen, unsigned nbytes, uint8_t out[16])
{
    memset(out, 0, 16);
    memcpy(out, in, nbytes);
    for (unsigned bit = plen; bit < nbytes * 8; bit++)
        out[bit / 8] &= (uint8_t)~(0x80u >> (bit % 8));
}

static uint32_t set_of(const vg_attrib_ctx_t *c, const vg_addr_t *ip, int ip_ver)
{
    unsigned n = ip_ver == 4 ? 3 : 6; /* /24 or /48 */
    uint32_t h = 2166136261u ^ (uint32_t)ip_ver;
    for (unsigned i = 0; i < n; i++)
        h = (h ^ ip->b[i]) * 16777619u;
    return h % c->n_sets;
}

void vg_attrib_geo(vg_attrib_ctx_t *c, const vg_addr_t *ip, int ip_ver, vg_geo_t *out)
{
    unsigned nbytes = ip_ver == 4 ? 4 : 16;
    vg_attrib_cache_entry_t *set = &c->e[(size_t)set_of(c, ip, ip_ver) * VG_ATTRIB_WAYS];
    vg_attrib_cache_entry_t *victim = &set[0];
    c->clock++;
    for (int w = 0; w < VG_ATTRIB_WAYS; w++) {
        vg_attrib_cache_entry_t *e = &set[w];
        if (e->ip_ver == ip_ver) {
            uint8_t m[16];
            mask_addr(ip->b, e->plen, nbytes, m);
            if (!memcmp(m, e->net, 16)) {
                e->used = c->clock;
                c->hits++;
                *out = e->geo;
                return;
            }
        }
        if (e->used < victim->used)
            victim = e;
    }
    c->misses++;
    uint8_t plen;
    vg_attrib_geo_uncached(c->a, ip, ip_ver, out, &plen);
    victim->ip_ver = (uint8_t)ip_ver;
    victim->plen = plen;
    mask_addr(ip->b, plen, nbytes, victim->net);
    victim->used = c->clock;
    victim->geo = *out;
}
