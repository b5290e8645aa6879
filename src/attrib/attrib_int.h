/* attrib_int.h — private to src/attrib/: the handle's layout and the pieces each file provides.
 * Include only from src/attrib/. */
#ifndef VG_ATTRIB_ATTRIB_INT_H
#define VG_ATTRIB_ATTRIB_INT_H

#include "attrib/attrib.h"

#include <maxminddb.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* --- range tables (attrib_range.c) ------------------------------------------------------- */

/* One range of a text table: inclusive bounds, big-endian 16-byte keys (IPv4 in the first 4 bytes
 * and the family kept apart by which array the range is in). */
typedef struct vg_rrange {
    uint8_t lo[16], hi[16];
    uint32_t asn;          /* 0: none */
    uint32_t org;          /* offset in the table's string pool; 0 = none ("" at offset 0) */
    char cc[3];            /* "" when the file gives no country */
} vg_rrange_t;

typedef struct vg_rtable {
    const char *kind;      /* "tor", "iptoasn", "rir" */
    vg_rrange_t *r[2];     /* [0] IPv4, [1] IPv6, sorted by lo, disjoint */
    size_t n[2], cap[2];
    char *pool;            /* NUL-separated strings */
    size_t pool_len, pool_cap;
    char build[16];        /* YYYY-MM-DD: RIR serial date, else the file's mtime */
    bool cached;           /* read from the binary cache rather than parsed */
} vg_rtable_t;

typedef struct vg_rhit {
    const vg_rrange_t *r;  /* NULL: not in the table */
    uint8_t plen;          /* prefix around the address over which the answer is the same */
} vg_rhit_t;

/* Loads a text range file (format detected from its first data line). 0, or -1 with
 * "FILE:LINE: reason" in err. */
int vg_rtable_load(vg_rtable_t **out, const char *path, char *err, size_t err_len);
void vg_rtable_free(vg_rtable_t *t);
void vg_rtable_lookup(const vg_rtable_t *t, const vg_addr_t *ip, int ip_ver, vg_rhit_t *hit);
static inline const char *vg_rtable_str(const vg_rtable_t *t, uint32_t off) { return t->pool + off; }

/* --- home networks (attrib_net.c) -------------------------------------------------------- */

typedef struct vg_netnode {
    uint8_t type;          /* 0 cidr, 1 group, 2 any */
    bool neg;
    uint8_t ip_ver, plen;
    uint8_t addr[16];
    uint32_t first_child, n_children; /* groups: indices in the node array (children contiguous
                                         through the child list below) */
} vg_netnode_t;

typedef struct vg_netset {
    vg_netnode_t *nodes;
    size_t n, cap;
    uint32_t *kids;        /* child index lists of groups */
    size_t n_kids, cap_kids;
    uint32_t root;
} vg_netset_t;

int vg_netset_parse(vg_netset_t *s, const char *expr, const char *const *names,
                    const char *const *values, size_t n_vars, char *err, size_t err_len);
bool vg_netset_match(const vg_netset_t *s, const vg_addr_t *ip, int ip_ver);
void vg_netset_fini(vg_netset_t *s);

/* --- categories (attrib_cat.c) ------------------------------------------------------------ */

enum { VG_CATK_CLASSTYPE, VG_CATK_MSG_PREFIX, VG_CATK_MSG_CONTAINS, VG_CATK_METADATA };
#define VG_CAT_EXFIL_ROW (-2)

typedef struct vg_catrule {
    int kind;              /* VG_CATK_* */
    int cat;               /* enum vg_attrib_cat, or VG_CAT_EXFIL_ROW */
    const char *pat;
} vg_catrule_t;

typedef struct vg_cattable {
    vg_catrule_t *rows;    /* user rows (tried before the built-in table) */
    size_t n, cap;
    char **owned;          /* pattern strings */
} vg_cattable_t;

int vg_cattable_load(vg_cattable_t *t, const char *path, char *err, size_t err_len);
void vg_cattable_fini(vg_cattable_t *t);
enum vg_attrib_cat vg_cattable_match(const vg_cattable_t *t, const char *msg, const char *classtype,
                                     const char *metadata);
bool vg_cattable_exfil(const vg_cattable_t *t, const char *msg, const char *metadata);

/* --- the handle --------------------------------------------------------------------------- */

enum { VG_DB_MMDB, VG_DB_RANGE };

typedef struct vg_attrib_db {
    int kind;
    char *path;
    char label[320];       /* "BASENAME BUILD" */
    MMDB_s mmdb;
    bool mmdb_open;
    vg_rtable_t *rt;
} vg_attrib_db_t;

struct vg_attrib {
    vg_attrib_db_t *dbs;
    size_t n_dbs;
    vg_netset_t home;
    vg_cattable_t cats;
    uint32_t cache_entries;
};

/* The per-thread cache (attrib_geo.c). */
#define VG_ATTRIB_WAYS 4

typedef struct vg_attrib_cache_entry {
    uint8_t net[16];
    uint8_t ip_ver;        /* 0: empty */
    uint8_t plen;
    uint32_t used;         /* LRU clock */
    vg_geo_t geo;
} vg_attrib_cache_entry_t;

/* What an alert's rule text (msg, classtype, metadata) gives, remembered per worker: the
 * category and exfiltration tests scan the metadata for every table row, ~70,000 instructions
 * per alert with ET Open's metadata, for an answer that only depends on the rule. Direct-mapped
 * by a hash of the three texts; an entry is used only when its msg pointer and hash both agree. */
#define VG_ATTRIB_CAT_MEMO 256
typedef struct vg_attrib_cat_memo {
    const char *msg;
    uint64_t h;
    uint8_t cat;
    bool exfil, valid;
} vg_attrib_cat_memo_t;

struct vg_attrib_ctx {
    const vg_attrib_t *a;
    vg_attrib_cache_entry_t *e;
    uint32_t n_sets;
    uint32_t clock;
    uint64_t hits, misses;
    vg_attrib_cat_memo_t cat_memo[VG_ATTRIB_CAT_MEMO];
};

/* Looks ip up in every database, without the cache; *plen is the longest prefix that any database
 * answered for (the result holds for every address in ip/plen). */
void vg_attrib_geo_uncached(const vg_attrib_t *a, const vg_addr_t *ip, int ip_ver, vg_geo_t *out,
                            uint8_t *plen);

/* Open one MMDB (with optional verification). 0, or -1 with "FILE: reason". */
int vg_attrib_mmdb_open(vg_attrib_db_t *db, bool verify, char *err, size_t err_len);

/* Copy at most cap-1 bytes of s[0..n) into out, cutting on a UTF-8 boundary; NUL-terminates. */
void vg_attrib_copy_utf8(char *out, size_t cap, const char *s, size_t n);

#endif
