/* attrib.h — attribution: who attacked whom, from which country and network, and how sure we are.
 *
 * The stage sits between detect and output. For each alert it decides
 *   - the category (exactly one of enum vg_attrib_cat, from classtype, message prefix and metadata
 *     through an ordered table that a config file can extend, docs/ATTRIBUTION.md),
 *   - the attacker and the victim (rule `target:` keyword, else category and direction, with the
 *     home networks from HOME_NET),
 *   - the certainty of the attacker's address (verified: a completed TCP three-way handshake in
 *     this flow; spoofable: UDP, ICMP, bare SYNs, midstream pickups),
 *   - country, ASN and AS organisation of both ends from MMDB files (libmaxminddb) and text range
 *     tables (tor-geoipdb, iptoasn TSV, RIR delegated-extended), several at once.
 *
 * Objects and threads:
 *   vg_attrib_t      engine scope: the opened databases, the home networks, the category table.
 *                    Built once at start (vg_attrib_new), immutable, shared by every thread.
 *   vg_attrib_ctx_t  thread scope: one per worker, holds the per-prefix lookup cache (an LRU).
 *                    Not thread-safe; one owner.
 * Nothing here is called per packet: only per alert (and by `vigil geo`).
 */
#ifndef VG_ATTRIB_ATTRIB_H
#define VG_ATTRIB_ATTRIB_H

#include "common/common.h"
#include "common/config.h"
#include "common/json.h"
#include "detect/rule.h"
#include "flow/flow.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* --- categories ------------------------------------------------------------------------- */

enum vg_attrib_cat {
    VG_CAT_C2 = 0,         /* "command-and-control" */
    VG_CAT_MALWARE,        /* "malware-infection" */
    VG_CAT_WEBSHELL,       /* "webshell-backdoor" */
    VG_CAT_EXPLOIT,        /* "exploitation-attempt" */
    VG_CAT_BRUTE_FORCE,    /* "brute-force" */
    VG_CAT_SCAN,           /* "scanning" */
    VG_CAT_PHISHING,       /* "phishing-fraud" */
    VG_CAT_DOS,            /* "denial-of-service" */
    VG_CAT_REPUTATION,     /* "reputation-listed" */
    VG_CAT_POLICY,         /* "policy-info": not counted as an attack */
    VG_CAT_MAX,
};

/* Slug written in events ("command-and-control", ...); static string. */
const char *vg_attrib_cat_name(enum vg_attrib_cat c);
/* Slug to category; -1 when unknown. */
int vg_attrib_cat_parse(const char *name);
/* Counted as an attack (everything except policy-info). */
static inline bool vg_attrib_cat_counted(enum vg_attrib_cat c) { return c != VG_CAT_POLICY; }

/* --- geo -------------------------------------------------------------------------------- */

#define VG_GEO_NO_DB 0xff

/* What the databases say about one address. Strings are NUL-terminated copies (truncated on a
 * UTF-8 boundary). Unknown: country "??", asn 0, as_org/city "". */
typedef struct vg_geo {
    char country[3];       /* location country (ISO 3166 alpha-2) */
    char reg_country[3];   /* registered country (MMDB registered_country), "??" when absent */
    uint32_t asn;
    char as_org[96];
    char city[64];         /* English city name (City databases), "" when absent */
    uint8_t country_db, asn_db, city_db; /* index of the answering database, VG_GEO_NO_DB */
} vg_geo_t;

/* --- the engine-scope handle -------------------------------------------------------------- */

typedef struct vg_attrib vg_attrib_t;

typedef struct vg_attrib_opts {
    /* Database files in priority order (for each field the first one that answers wins): .mmdb
     * files and text range files (format detected from content). NULL/0: the Debian tor-geoipdb
     * files /usr/share/tor/geoip and geoip6 when they exist. */
    const char *const *dbs;
    size_t n_dbs;
    /* Home networks as an address expression ("[10.0.0.0/8,!10.1.0.0/16]"); $NAME refers to vars
     * (below). NULL: Suricata's default HOME_NET. */
    const char *home_net;
    /* Variables for $NAME expansion (borrowed during vg_attrib_new only). */
    const char *const *var_names, *const *var_values;
    size_t n_vars;
    const char *categories_file; /* extra category rules, tried before the built-in table */
    bool verify_dbs;             /* walk every MMDB tree and record at open (detects corruption) */
    uint32_t cache_entries;      /* per-thread LRU size; 0: 1024 */
} vg_attrib_opts_t;

/* Opens the databases and builds the handle. Returns NULL with a one-line reason naming the file
 * ("GeoIP2-City-Test-Invalid-Node-Count.mmdb: ...", "FILE:LINE: ...") in err. */
vg_attrib_t *vg_attrib_new(const vg_attrib_opts_t *o, char *err, size_t err_len);
/* Same, from configuration: attribution.databases (comma-separated files), HOME_NET and the other
 * vars, attribution.categories-file, attribution.verify-databases, attribution.cache-entries. */
vg_attrib_t *vg_attrib_new_config(const vg_config_t *cfg, char *err, size_t err_len);
void vg_attrib_free(vg_attrib_t *a); /* NULL is a no-op; only after every ctx is freed */

/* Databases: count, and "NAME BUILD" labels ("GeoLite2-Country.mmdb 2024-05-01"; the build is the
 * MMDB build_epoch date, else the file's mtime date). Borrowed while a lives. */
size_t vg_attrib_n_dbs(const vg_attrib_t *a);
const char *vg_attrib_db_label(const vg_attrib_t *a, size_t i);
const char *vg_attrib_db_path(const vg_attrib_t *a, size_t i);
const char *vg_attrib_db_type(const vg_attrib_t *a, size_t i); /* "mmdb", "tor", "iptoasn", "rir" */
/* A text range file that was read from its binary cache (~/.cache/vigil) rather than parsed. */
bool vg_attrib_db_cached(const vg_attrib_t *a, size_t i);

/* Whether an address is inside the home networks. */
bool vg_attrib_is_home(const vg_attrib_t *a, const vg_addr_t *ip, int ip_ver);

/* Category of a rule (msg, classtype, metadata may be NULL). Thread-safe. */
enum vg_attrib_cat vg_attrib_category(const vg_attrib_t *a, const char *msg, const char *classtype,
                                      const char *metadata);
/* The rule describes exfiltration (msg contains "exfil", metadata mitre_tactic_name
 * Exfiltration, or a categories-file "exfiltration" row). */
bool vg_attrib_is_exfil(const vg_attrib_t *a, const char *msg, const char *metadata);

/* --- the thread-scope context ---------------------------------------------------------------- */

typedef struct vg_attrib_ctx vg_attrib_ctx_t;

vg_attrib_ctx_t *vg_attrib_ctx_new(const vg_attrib_t *a);
void vg_attrib_ctx_free(vg_attrib_ctx_t *ctx);

/* Looks an address up in every database (cached per prefix). Fills *out; never fails (unknown
 * fields as documented at vg_geo_t). ip_ver 4 or 6. */
void vg_attrib_geo(vg_attrib_ctx_t *ctx, const vg_addr_t *ip, int ip_ver, vg_geo_t *out);
/* Cache counters since ctx_new. */
void vg_attrib_ctx_stats(const vg_attrib_ctx_t *ctx, uint64_t *hits, uint64_t *misses);

/* --- one alert -------------------------------------------------------------------------- */

/* The facts about an alert that attribution needs. */
typedef struct vg_attrib_input {
    vg_addr_t src, dst;      /* the alert's src/dest (the packet or oriented transaction) */
    uint16_t sp, dp;
    uint8_t ip_ver;          /* 4 or 6 */
    uint8_t proto;           /* IPPROTO_* */
    int8_t src_is_client;    /* 1: src is the flow's client (TCP client/initiator), 0: dst is, -1
                                unknown */
    bool handshake_complete; /* TCP: client SYN, server SYN-ACK, client ACK all seen in this flow
                                (vg_stream_handshake_complete() && !vg_stream_is_midstream()) */
} vg_attrib_input_t;

/* Fills in from a flow: dir is the alert's direction (VG_DIR_TOSERVER: src = flow side 0, the
 * initiator). reversed: the stream stage found the initiator to be the TCP server
 * (vg_stream_is_reversed). handshake_complete as above (false for non-TCP). */
void vg_attrib_input_from_flow(vg_attrib_input_t *in, const vg_flow_t *f, int dir, bool reversed,
                               bool handshake_complete);
/* Fills in from a packet's own header, for an alert on a packet without a flow or on an ICMP
 * error that joined a TCP/UDP flow: src_is_client as given (1, 0 or -1 unknown); never a
 * completed handshake. */
void vg_attrib_input_from_packet(vg_attrib_input_t *in, const vg_packet_t *p, int src_is_client);

/* Why the roles are what they are (written as "role_by" in events). */
enum vg_attrib_role_by {
    VG_ROLE_BY_TARGET = 0,   /* rule target: keyword */
    VG_ROLE_BY_C2,           /* C2/malware check-in: external controller attacks internal host */
    VG_ROLE_BY_EXFIL,        /* exfiltration: external receiver is the attacker */
    VG_ROLE_BY_RESPONSE,     /* compromise evidence in a response: the sender is the victim */
    VG_ROLE_BY_EXTERNAL,     /* reputation / phishing: the external (listed, hosting) end */
    VG_ROLE_BY_DIRECTION,    /* everything else: the alert's sender is the attacker */
};
const char *vg_attrib_role_by_name(enum vg_attrib_role_by r);

typedef struct vg_attrib_end {
    vg_addr_t ip;
    uint16_t port;
    uint8_t ip_ver;
    bool is_home;
    bool verified;           /* took part in a completed TCP handshake in this flow */
    vg_geo_t geo;
} vg_attrib_end_t;

typedef struct vg_attrib_result {
    enum vg_attrib_cat category;
    bool counted;
    bool exfil;
    enum vg_attrib_role_by role_by;
    vg_attrib_end_t attacker, victim;
} vg_attrib_result_t;

/* Attributes one alert of rule r (r may be NULL: category policy-info, roles by direction).
 * ctx is the calling thread's context. Never fails. */
void vg_attrib_alert(vg_attrib_ctx_t *ctx, const vg_attrib_input_t *in, const vg_rule_t *r,
                     vg_attrib_result_t *out);
/* Same with the rule's fields given separately (target: VG_RULE_TARGET_SRC/DST bits or 0). */
void vg_attrib_alert_fields(vg_attrib_ctx_t *ctx, const vg_attrib_input_t *in, const char *msg,
                            const char *classtype, const char *metadata, uint32_t target_flags,
                            vg_attrib_result_t *out);

/* Writes `"vigil": {...}` (key and object) into the open JSON object w. Layout in
 * docs/ATTRIBUTION.md. a gives the database labels. */
void vg_attrib_json_write(vg_jw_t *w, const vg_attrib_t *a, const vg_attrib_result_t *res);
/* Writes one end's object ({"ip":..,"port":..,"country":..,...}) as the next value. */
void vg_attrib_json_end(vg_jw_t *w, const vg_attrib_end_t *e);
/* Writes the geo members (country, registered_country, asn, as_org, city) into an open object. */
void vg_attrib_json_geo(vg_jw_t *w, const vg_geo_t *g);

#endif
