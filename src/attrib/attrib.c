/* attrib.c — the attribution handle (databases, home networks, category table) and the per-alert
 * decision: category, attacker and victim, certainty. The role rules are documented, with the
 * reasoning behind each, in docs/ATTRIBUTION.md; the order below is the order of that list.
 */
#include "attrib/attrib_int.h"

#include "app/app.h"
#include "common/hash.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define TOR_GEOIP "/usr/share/tor/geoip"
#define TOR_GEOIP6 "/usr/share/tor/geoip6"
#define DEFAULT_HOME_NET "[192.168.0.0/16,10.0.0.0/8,172.16.0.0/12]"

static bool is_mmdb_file(const char *path)
{
    size_t n = strlen(path);
    if (n >= 5 && !strcmp(path + n - 5, ".mmdb"))
        return true;
    /* Also by content: the metadata marker sits near the end of every MMDB file. */
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return false;
    static const char marker[] = "\xab\xcd\xefMaxMind.com";
    char buf[4096];
    bool found = false;
    if (fseek(fp, -(long)sizeof buf, SEEK_END) != 0)
        rewind(fp);
    size_t got = fread(buf, 1, sizeof buf, fp);
    for (size_t i = 0; i + sizeof marker - 1 <= got && !found; i++)
        found = !memcmp(buf + i, marker, sizeof marker - 1);
    fclose(fp);
    return found;
}

static void make_label(vg_attrib_db_t *db)
{
    const char *base = strrchr(db->path, '/');
    base = base ? base + 1 : db->path;
    char build[32] = "unknown";
    if (db->kind == VG_DB_MMDB) {
        time_t t = (time_t)db->mmdb.metadata.build_epoch;
        struct tm tm;
        if (gmtime_r(&t, &tm))
            strftime(build, sizeof build, "%Y-%m-%d", &tm);
    } else if (db->rt->build[0]) {
        snprintf(build, sizeof build, "%s", db->rt->build);
    }
    snprintf(db->label, sizeof db->label, "%.280s %s", base, build);
}

static int open_db(vg_attrib_t *a, const char *path, bool verify, char *err, size_t err_len)
{
    vg_attrib_db_t *db = &a->dbs[a->n_dbs++];
    memset(db, 0, sizeof *db);
    db->path = vg_xstrdup(path);
    if (access(path, R_OK) != 0) {
        snprintf(err, err_len, "%s: cannot open database: %s", path, strerror(errno));
        return -1;
    }
    if (is_mmdb_file(path)) {
        db->kind = VG_DB_MMDB;
        if (vg_attrib_mmdb_open(db, verify, err, err_len))
            return -1;
    } else {
        db->kind = VG_DB_RANGE;
        if (vg_rtable_load(&db->rt, path, err, err_len))
            return -1;
    }
    make_label(db);
    return 0;
}

static int open_dbs(vg_attrib_t *a, const vg_attrib_opts_t *o, char *err, size_t err_len)
{
    static const char *const tor[] = {TOR_GEOIP, TOR_GEOIP6};
    const char *const *list = o->dbs;
    size_t n = o->n_dbs;
    if (!list || n == 0) {
        list = tor;
        n = 2;
    }
    if (n > VG_GEO_NO_DB) {
        snprintf(err, err_len, "too many geo databases (at most %d)", VG_GEO_NO_DB);
        return -1;
    }
    a->dbs = vg_xcalloc(n, sizeof *a->dbs);
    for (size_t i = 0; i < n; i++) {
        if (list == tor && access(list[i], R_OK) != 0)
            continue; /* defaults: use what is installed (no database: every country "??") */
        if (open_db(a, list[i], o->verify_dbs, err, err_len))
            return -1;
    }
    return 0;
}

vg_attrib_t *vg_attrib_new(const vg_attrib_opts_t *o, char *err, size_t err_len)
{
    vg_attrib_t *a = vg_xcalloc(1, sizeof *a);
    a->cache_entries = o->cache_entries;
    const char *home = o->home_net ? o->home_net : DEFAULT_HOME_NET;
    char e2[400];
    if (vg_netset_parse(&a->home, home, o->var_names, o->var_values, o->n_vars, e2, sizeof e2)) {
        snprintf(err, err_len, "HOME_NET: %s", e2);
        goto fail;
    }
    if (o->categories_file && vg_cattable_load(&a->cats, o->categories_file, err, err_len))
        goto fail;
    if (open_dbs(a, o, err, err_len))
        goto fail;
    return a;
fail:
    vg_attrib_free(a);
    return NULL;
}

/* Splits "a, b,c" into a NULL-terminated array of trimmed strings (one allocation). */
static char **split_list(const char *s, size_t *n)
{
    size_t cap = 1;
    for (const char *p = s; *p; p++)
        cap += *p == ',';
    char **v = vg_xcalloc(cap + 1, sizeof *v);
    char *copy = vg_xstrdup(s), *save = NULL;
    *n = 0;
    for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        while (*t == ' ' || *t == '\t')
            t++;
        size_t len = strlen(t);
        while (len && (t[len - 1] == ' ' || t[len - 1] == '\t'))
            t[--len] = 0;
        if (len)
            v[(*n)++] = t;
    }
    v[cap] = copy; /* freed with the array (see free_list) */
    return v;
}

static void free_list(char **v, size_t cap_plus1)
{
    free(v[cap_plus1]);
    free(v);
}

vg_attrib_t *vg_attrib_new_config(const vg_config_t *cfg, char *err, size_t err_len)
{
    const char *names[256], *values[256];
    size_t nv = vg_config_vars(cfg, 0, names, values, VG_ARRAY_LEN(names));
    nv = VG_MIN(nv, VG_ARRAY_LEN(names));
    const char *home = NULL;
    for (size_t i = 0; i < nv; i++)
        if (!strcmp(names[i], "HOME_NET"))
            home = values[i];
    vg_attrib_opts_t o = {
        .home_net = home, .var_names = names, .var_values = values, .n_vars = nv,
        .categories_file = vg_config_str(cfg, "attribution.categories-file"),
        .verify_dbs = vg_config_bool(cfg, "attribution.verify-databases"),
        .cache_entries = (uint32_t)VG_MIN(vg_config_uint(cfg, "attribution.cache-entries"),
                                          1u << 24),
    };
    const char *dbs = vg_config_str(cfg, "attribution.databases");
    char **list = NULL;
    size_t cap = 0;
    if (dbs && *dbs) {
        for (const char *p = dbs; *p; p++)
            cap += *p == ',';
        cap += 1;
        list = split_list(dbs, &o.n_dbs);
        o.dbs = (const char *const *)list;
    }
    vg_attrib_t *a = vg_attrib_new(&o, err, err_len);
    if (list)
        free_list(list, cap);
    return a;
}

void vg_attrib_free(vg_attrib_t *a)
{
    if (!a)
        return;
    for (size_t i = 0; i < a->n_dbs; i++) {
        if (a->dbs[i].mmdb_open)
            MMDB_close(&a->dbs[i].mmdb);
        vg_rtable_free(a->dbs[i].rt);
        free(a->dbs[i].path);
    }
    free(a->dbs);
    vg_netset_fini(&a->home);
    vg_cattable_fini(&a->cats);
    free(a);
}

size_t vg_attrib_n_dbs(const vg_attrib_t *a) { return a->n_dbs; }
const char *vg_attrib_db_label(const vg_attrib_t *a, size_t i) { return a->dbs[i].label; }
const char *vg_attrib_db_path(const vg_attrib_t *a, size_t i) { return a->dbs[i].path; }

const char *vg_attrib_db_type(const vg_attrib_t *a, size_t i)
{
    return a->dbs[i].kind == VG_DB_MMDB ? "mmdb" : a->dbs[i].rt->kind;
}

bool vg_attrib_db_cached(const vg_attrib_t *a, size_t i)
{
    return a->dbs[i].kind != VG_DB_MMDB && a->dbs[i].rt->cached;
}

bool vg_attrib_is_home(const vg_attrib_t *a, const vg_addr_t *ip, int ip_ver)
{
    return vg_netset_match(&a->home, ip, ip_ver);
}

enum vg_attrib_cat vg_attrib_category(const vg_attrib_t *a, const char *msg, const char *classtype,
                                      const char *metadata)
{
    return vg_cattable_match(&a->cats, msg, classtype, metadata);
}

bool vg_attrib_is_exfil(const vg_attrib_t *a, const char *msg, const char *metadata)
{
    return vg_cattable_exfil(&a->cats, msg, metadata);
}

/* --- one alert ------------------------------------------------------------------------------ */

void vg_attrib_input_from_flow(vg_attrib_input_t *in, const vg_flow_t *f, int dir, bool reversed,
                               bool handshake_complete)
{
    memset(in, 0, sizeof *in);
    int s = dir == VG_DIR_TOSERVER ? 0 : 1;
    in->src = f->addr[s];
    in->dst = f->addr[1 - s];
    in->sp = f->port[s];
    in->dp = f->port[1 - s];
    in->ip_ver = f->ip_ver;
    in->proto = f->proto;
    /* side 0 is the initiator; the TCP client unless the session is reversed */
    bool src_is_initiator = s == 0;
    in->src_is_client = (int8_t)(src_is_initiator != reversed);
    in->handshake_complete = handshake_complete && f->proto == 6;
}

void vg_attrib_input_from_packet(vg_attrib_input_t *in, const vg_packet_t *p, int src_is_client)
{
    memset(in, 0, sizeof *in);
    in->src = p->src;
    in->dst = p->dst;
    if (p->proto == 6 || p->proto == 17 || p->proto == 132) {
        in->sp = p->sp;
        in->dp = p->dp;
    }
    in->ip_ver = p->ip_ver;
    in->proto = p->proto;
    in->src_is_client = (int8_t)src_is_client;
}

const char *vg_attrib_role_by_name(enum vg_attrib_role_by r)
{
    static const char *const n[] = {"target", "c2", "exfiltration", "response", "external",
                                    "direction"};
    return (unsigned)r < VG_ARRAY_LEN(n) ? n[r] : "direction";
}

static bool is_response_rule(const char *msg, const char *classtype)
{
    return (msg && !strncmp(msg, "ET ATTACK_RESPONSE", 18)) ||
           (classtype && (!strcasecmp(classtype, "successful-admin") ||
                          !strcasecmp(classtype, "successful-user")));
}

/* Decides whether the alert's src is the attacker; sets res->role_by. */
static bool src_is_attacker(const vg_attrib_result_t *res, const char *msg, const char *classtype,
                            uint32_t target, bool src_home, bool dst_home,
                            enum vg_attrib_role_by *by)
{
    bool one_home = src_home != dst_home;
    if (target & (VG_RULE_TARGET_SRC | VG_RULE_TARGET_DST)) {
        *by = VG_ROLE_BY_TARGET;
        return (target & VG_RULE_TARGET_DST) != 0; /* the target is the victim */
    }
    if (res->exfil) {
        /* data leaves the victim: the external receiver is the attacker; without a home side,
         * the receiver of the alerted (upload) packet */
        *by = VG_ROLE_BY_EXFIL;
        return one_home ? !src_home : false;
    }
    if (res->category == VG_CAT_C2 || res->category == VG_CAT_MALWARE) {
        /* the external controller / distribution point is the origin; the internal host the
         * victim, whichever way the packet went. Without a home side: the check-in comes from
         * the infected host, so the alert's src is the victim */
        *by = VG_ROLE_BY_C2;
        return one_home ? !src_home : false;
    }
    if (res->category == VG_CAT_WEBSHELL && is_response_rule(msg, classtype)) {
        *by = VG_ROLE_BY_RESPONSE; /* the compromised host answers: it is the victim */
        return false;
    }
    if ((res->category == VG_CAT_REPUTATION || res->category == VG_CAT_PHISHING) && one_home) {
        *by = VG_ROLE_BY_EXTERNAL; /* the listed address / the phishing site */
        return !src_home;
    }
    *by = VG_ROLE_BY_DIRECTION; /* exploit, scan, brute force, DoS, web shell access, policy */
    return true;
}

static void fill_end(vg_attrib_ctx_t *ctx, vg_attrib_end_t *e, const vg_addr_t *ip, uint16_t port,
                     const vg_attrib_input_t *in, bool home)
{
    e->ip = *ip;
    e->port = port;
    e->ip_ver = in->ip_ver;
    e->is_home = home;
    /* Both ends of a completed handshake are verified: the client answered the server's SYN-ACK,
     * which only the owner of the server address could have sent to the client. */
    e->verified = in->handshake_complete;
    vg_attrib_geo(ctx, ip, in->ip_ver, &e->geo);
}

static uint64_t text_hash(const char *s, uint64_t seed)
{
    return s ? vg_hash_bytes(s, strlen(s), seed) : vg_hash_mix64(seed ^ 0x5bd1e995u);
}

/* The category and exfiltration flag of a rule text, through the context's memo. */
static void classify(vg_attrib_ctx_t *ctx, const char *msg, const char *classtype,
                     const char *metadata, enum vg_attrib_cat *cat, bool *exfil)
{
    uint64_t h = text_hash(metadata, text_hash(classtype, text_hash(msg, 1)));
    vg_attrib_cat_memo_t *m = &ctx->cat_memo[h % VG_ATTRIB_CAT_MEMO];
    if (m->valid && m->h == h && m->msg == msg) {
        *cat = (enum vg_attrib_cat)m->cat;
        *exfil = m->exfil;
        return;
    }
    *cat = vg_attrib_category(ctx->a, msg, classtype, metadata);
    *exfil = vg_attrib_is_exfil(ctx->a, msg, metadata);
    *m = (vg_attrib_cat_memo_t){.msg = msg, .h = h, .cat = (uint8_t)*cat, .exfil = *exfil,
                                .valid = true};
}

void vg_attrib_alert_fields(vg_attrib_ctx_t *ctx, const vg_attrib_input_t *in, const char *msg,
                            const char *classtype, const char *metadata, uint32_t target_flags,
                            vg_attrib_result_t *out)
{
    const vg_attrib_t *a = ctx->a;
    memset(out, 0, sizeof *out);
    classify(ctx, msg, classtype, metadata, &out->category, &out->exfil);
    out->counted = vg_attrib_cat_counted(out->category);
    bool src_home = vg_attrib_is_home(a, &in->src, in->ip_ver);
    bool dst_home = vg_attrib_is_home(a, &in->dst, in->ip_ver);
    bool src_att = src_is_attacker(out, msg, classtype, target_flags, src_home, dst_home,
                                   &out->role_by);
    vg_attrib_end_t *s = src_att ? &out->attacker : &out->victim;
    vg_attrib_end_t *d = src_att ? &out->victim : &out->attacker;
    fill_end(ctx, s, &in->src, in->sp, in, src_home);
    fill_end(ctx, d, &in->dst, in->dp, in, dst_home);
}

void vg_attrib_alert(vg_attrib_ctx_t *ctx, const vg_attrib_input_t *in, const vg_rule_t *r,
                     vg_attrib_result_t *out)
{
    if (!r) {
        vg_attrib_alert_fields(ctx, in, NULL, NULL, NULL, 0, out);
        return;
    }
    vg_attrib_alert_fields(ctx, in, r->msg, r->classtype, r->metadata,
                           r->flags & (VG_RULE_TARGET_SRC | VG_RULE_TARGET_DST), out);
}
