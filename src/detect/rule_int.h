/* rule_int.h — private to src/detect/: the ruleset internals, the parse context shared by the
 * rule_*.c keyword parsers, and small helpers (arena, string map, number parsing).
 *
 * Threads: a ruleset is built by one thread; the parse context lives for one rule.
 */
#ifndef VG_DETECT_RULE_INT_H
#define VG_DETECT_RULE_INT_H

#include "detect/detect.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- arena: bump allocation in chunks, with mark/rollback so a skipped rule leaves nothing ---- */

typedef struct vg_arena_chunk {
    struct vg_arena_chunk *prev;
    size_t used, cap;
    _Alignas(16) unsigned char data[];
} vg_arena_chunk_t;

typedef struct vg_arena {
    vg_arena_chunk_t *cur;
} vg_arena_t;

typedef struct vg_arena_mark {
    vg_arena_chunk_t *chunk;
    size_t used;
} vg_arena_mark_t;

void vg_arena_init(vg_arena_t *a);
void vg_arena_fini(vg_arena_t *a);
void *vg_arena_alloc(vg_arena_t *a, size_t n);     /* zeroed, 16-aligned; aborts on OOM */
void *vg_arena_dup(vg_arena_t *a, const void *p, size_t n);
char *vg_arena_strdup(vg_arena_t *a, const char *s);
char *vg_arena_strndup(vg_arena_t *a, const char *s, size_t n);
vg_arena_mark_t vg_arena_mark(const vg_arena_t *a);
void vg_arena_rollback(vg_arena_t *a, vg_arena_mark_t m);

/* ---- string map: open addressing, keys copied into the owner's arena ---- */

typedef struct vg_strmap_ent {
    const char *key;
    size_t klen;
    uint64_t hash;
    void *val;
} vg_strmap_ent_t;

typedef struct vg_strmap {
    vg_strmap_ent_t *ents;
    size_t cap, n;
} vg_strmap_t;

void vg_strmap_init(vg_strmap_t *m);
void vg_strmap_fini(vg_strmap_t *m);
/* The entry for key (klen bytes); NULL when absent. */
vg_strmap_ent_t *vg_strmap_get(const vg_strmap_t *m, const char *key, size_t klen);
/* Find or insert; a new entry has val NULL and its key copied into arena a. */
vg_strmap_ent_t *vg_strmap_put(vg_strmap_t *m, vg_arena_t *a, const char *key, size_t klen);

/* ---- threshold.config entries ---- */

enum { VG_TCFG_THRESHOLD, VG_TCFG_SUPPRESS, VG_TCFG_EVENT_FILTER, VG_TCFG_RATE_FILTER };
typedef struct vg_tcfg_entry {
    uint8_t kind;
    uint32_t gid, sid;          /* sid 0 = all */
    vg_threshold_t thr;         /* threshold / event_filter */
    bool has_track;             /* suppress: track given (then ip applies) */
    uint8_t track;
    const vg_addr_set_t *ip;    /* suppress ip */
} vg_tcfg_entry_t;

/* ---- classification ---- */

typedef struct vg_class {
    const char *name, *desc;
    int priority;
} vg_class_t;

/* ---- the ruleset ---- */

struct vg_ruleset {
    vg_arena_t arena;           /* rule bodies; rolled back when a rule is rejected */
    vg_arena_t perm;            /* shared and cached objects (sets, interned names, vars):
                                 * never rolled back, so caches stay valid */
    vg_strmap_t vars;           /* NAME -> char* value */
    vg_strmap_t addr_cache;     /* expression text -> vg_addr_set_t* */
    vg_strmap_t port_cache;     /* expression text -> vg_port_set_t* */
    vg_strmap_t strings;        /* interned strings (classtype, reasons) */
    vg_strmap_t flowbits;       /* name -> (uintptr_t)id+1 */
    vg_strmap_t flowints;
    vg_strmap_t xbits;          /* "h:" or "p:" + name -> id+1 */
    vg_strmap_t classes;        /* name -> vg_class_t* */
    vg_strmap_t keywords;       /* keyword name -> const vg_kw_t* */
    vg_strmap_t sids;           /* "gid:sid" -> (uintptr_t)(index in rules) + 1 */
    const char **flowbit_names;
    uint32_t n_flowbit_names, cap_flowbit_names;
    const char **flowint_names;
    uint32_t n_flowint_names, cap_flowint_names;
    const char **xbit_names;    /* with their "h:"/"p:" prefix */
    uint32_t n_xbit_names, cap_xbit_names;
    uint32_t n_flow_thresholds; /* rules with a track by_flow threshold (kept in flowvars) */
    uint32_t n_capture_rules;   /* rules whose pcre captures into flow variables */

    vg_rule_t **rules;
    uint32_t n_rules, cap_rules;
    vg_rule_diag_t *diags;
    uint32_t n_diags, cap_diags;
    void **pcres;               /* pcre2_code* to free */
    uint32_t n_pcres, cap_pcres;
    vg_tcfg_entry_t *tcfg;
    uint32_t n_tcfg, cap_tcfg;
    uint32_t n_failed, n_skipped;
    bool pcre_jit;

    struct vg_pscratch *scratch; /* reused per-rule build buffers */
};

const char *vg_rs_intern(vg_ruleset_t *rs, const char *s, size_t n);
uint32_t vg_rs_flowbit_id(vg_ruleset_t *rs, const char *name, size_t n);
uint32_t vg_rs_flowint_id(vg_ruleset_t *rs, const char *name, size_t n);
uint32_t vg_rs_xbit_id(vg_ruleset_t *rs, bool pair, const char *name, size_t n);
void vg_rs_add_pcre(vg_ruleset_t *rs, void *code);
void vg_rs_vars_defaults(vg_ruleset_t *rs);
const char *vg_rs_var(const vg_ruleset_t *rs, const char *name, size_t n);

/* ---- the parse context of one rule ---- */

#define VG_MAX_BYTE_VARS 16

typedef struct vg_blist {
    uint8_t buf, alt_buf, flags, n_xform;
    vg_xform_t xform[VG_MAX_XFORMS];
    vg_sm_t *sm;
    uint32_t n, cap;
} vg_blist_t;

typedef struct vg_pscratch {
    vg_blist_t *lists;
    uint32_t n_lists, cap_lists;
    vg_pkt_match_t *pm;
    uint32_t n_pm, cap_pm;
    vg_flowbit_t *fb;
    uint32_t n_fb, cap_fb;
    vg_flowint_t *fi;
    uint32_t n_fi, cap_fi;
    vg_xbit_t *xb;
    uint32_t n_xb, cap_xb;
    vg_reference_t *refs;
    uint32_t n_refs, cap_refs;
    char *meta;
    size_t meta_len, meta_cap;
} vg_pscratch_t;

enum { VG_STICKY_NONE = -1 };
/* Parse-time pseudo buffer: file.data, resolved by direction at finalisation to the response
 * body (to_client), the request body (to_server), or both. */
#define VG_PBUF_FILE_DATA (VG_DBUF_MAX + 1)

typedef struct vg_pctx {
    vg_ruleset_t *rs;
    vg_rule_t *r;
    vg_pscratch_t *s;
    const char *line;           /* start of the rule text (for columns) */
    uint32_t col;               /* column of the option being parsed (1-based) */

    int cur_list;               /* index into s->lists of the active sticky buffer, or -1 */
    bool sticky;                /* a sticky buffer is active */
    bool sticky_fresh;          /* sticky set and no match keyword yet (transforms allowed) */
    int pend_buf;               /* sticky buffer chosen but list not yet created */
    const char *sticky_kw;      /* the keyword that set the active sticky buffer */
    uint32_t sticky_col;        /* and its column */
    uint8_t pend_n_xform;
    vg_xform_t pend_xform[VG_MAX_XFORMS];
    int last_list, last_sm;     /* last content (for modifiers) */
    int last_any_list, last_any_sm; /* last content/pcre/byte keyword (for relative) */
    bool legacy_used;           /* http_uri-style modifier used */
    int b64_list;               /* list holding the rule's base64_decode, or -1 */
    bool b64_data;              /* base64_data seen: later keywords inspect the decoded bytes */
    int n_fp;
    bool has_classtype_prio;
    uint32_t classtype_col;     /* for the unknown-classtype diagnostic */

    char byte_vars[VG_MAX_BYTE_VARS][32];
    uint8_t n_byte_vars;

    /* first error wins */
    bool failed;
    uint8_t err_kind;           /* VG_DIAG_* */
    uint32_t err_col;
    char reason[160];
    char detail[256];
} vg_pctx_t;

/* Record the rule's failure (first one wins); returns -1 so callers can `return vg_pc_fail(...)`.
 * reason is the groupable text ("unsupported keyword 'xbits'"), detail the specific one. */
int vg_pc_fail(vg_pctx_t *pc, int kind, const char *reason, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
#define VG_PC_SYNTAX(pc, ...) vg_pc_fail((pc), VG_DIAG_FAILED, NULL, __VA_ARGS__)

/* ---- keyword table ---- */

typedef struct vg_kw vg_kw_t;
/* val is NUL-terminated and trimmed, NULL when the option had no ':' value. */
typedef int (*vg_kw_setup_fn)(vg_pctx_t *pc, const vg_kw_t *kw, char *val);

enum {
    VG_KWF_NOVAL = 1u << 0,       /* takes no value */
    VG_KWF_VAL = 1u << 1,         /* requires a value */
    VG_KWF_STICKY = 1u << 2,      /* sticky buffer: arg = buffer */
    VG_KWF_MODIFIER = 1u << 3,    /* legacy content modifier (http_uri ...): arg = buffer */
    VG_KWF_UNSUPPORTED = 1u << 4, /* recognised; the rule is skipped with `why` */
    VG_KWF_TRANSFORM = 1u << 5,   /* arg = vg_xform_type */
    VG_KWF_META = 1u << 6,
};

struct vg_kw {
    const char *name;
    const char *aliases[4];
    vg_kw_setup_fn setup;
    uint32_t flags;
    int arg;
    const char *why;              /* unsupported: the reason */
};

extern const vg_kw_t vg_kw_table[];
extern const size_t vg_kw_table_len;

/* content modifier ids (arg of vg_kw_content_mod) */
enum { MOD_NOCASE, MOD_DEPTH, MOD_OFFSET, MOD_DISTANCE, MOD_WITHIN, MOD_STARTSWITH,
       MOD_ENDSWITH, MOD_RAWBYTES };

/* keyword setup functions, by file */
/* rule_content.c */
int vg_kw_content(vg_pctx_t *pc, const vg_kw_t *kw, char *val);
int vg_kw_uricontent(vg_pctx_t *pc, const vg_kw_t *kw, char *val);
int vg_kw_content_mod(vg_pctx_t *pc, const vg_kw_t *kw, char *val);
int vg_kw_sticky(vg_pctx_t *pc, const vg_kw_t *kw, char *val);
/* A sticky buffer set and left without a match keyword (at the next buffer or the rule's end):
 * an error, as in Suricata ("setup buffer ... but didn't add matches to it"). */
int vg_pc_sticky_unused(vg_pctx_t *pc);
int vg_kw_tls_legacy_dn(vg_pctx_t *pc, const vg_kw_t *kw, char *val);
int vg_kw_legacy_mod(vg_pctx_t *pc, const vg_kw_t *kw, char *val);
int vg_kw_transform(vg_pctx_t *pc, const vg_kw_t *kw, char *val);
int vg_kw_fast_pattern(vg_pctx_t *pc, const vg_kw_t *kw, char *val);
/* rule_base64.c */
int vg_kw_base64_decode(vg_pctx_t *pc, const vg_kw_t *kw, char *val);
int vg_kw_base64_data(vg_pctx_t *pc, const vg_kw_t *kw, char *val);
int vg_kw_asn1(vg_pctx_t *pc, const vg_kw_t *kw, char *val);
/* Parse base64_decode's value as Suricata 7 does; false with a message in err. */
bool vg_parse_base64_decode(const char *val, vg_b64_t *out, char *err, size_t errlen);
/* asn1's value (Suricata 7's option grammar); false with a message in err. */
bool vg_parse_asn1(const char *val, vg_asn1_t *out, char *err, size_t errlen);
/* asn1's checks on a packet payload: decoding starts at the absolute offset, or at
 * buffer_offset (the end of the rule's payload match) plus the relative offset, else at 0. */
bool vg_asn1_match(const vg_asn1_t *a, const uint8_t *buf, uint32_t len, uint32_t buffer_offset);
/* rule_pcre.c */
int vg_kw_pcre(vg_pctx_t *pc, const vg_kw_t *kw, char *val);
/* rule_byte.c */
int vg_kw_byte_test(vg_pctx_t *pc, const vg_kw_t *kw, char *val);
int vg_kw_byte_jump(vg_pctx_t *pc, const vg_kw_t *kw, char *val);
int vg_kw_byte_extract(vg_pctx_t *pc, const vg_kw_t *kw, char *val);
int vg_kw_byte_math(vg_pctx_t *pc, const vg_kw_t *kw, char *val);
int vg_kw_isdataat(vg_pctx_t *pc, const vg_kw_t *kw, char *val);
int vg_kw_bsize(vg_pctx_t *pc, const vg_kw_t *kw, char *val);
int vg_kw_urilen(vg_pctx_t *pc, const vg_kw_t *kw, char *val);
/* rule_pkt.c */
int vg_kw_pkt_cmp(vg_pctx_t *pc, const vg_kw_t *kw, char *val);
int vg_kw_flags(vg_pctx_t *pc, const vg_kw_t *kw, char *val);
int vg_kw_fragbits(vg_pctx_t *pc, const vg_kw_t *kw, char *val);
int vg_kw_ip_proto(vg_pctx_t *pc, const vg_kw_t *kw, char *val);
int vg_kw_stream_size(vg_pctx_t *pc, const vg_kw_t *kw, char *val);
int vg_kw_sameip(vg_pctx_t *pc, const vg_kw_t *kw, char *val);
int vg_kw_ftpbounce(vg_pctx_t *pc, const vg_kw_t *kw, char *val);
int vg_kw_app_layer_event(vg_pctx_t *pc, const vg_kw_t *kw, char *val);
int vg_kw_decode_event(vg_pctx_t *pc, const vg_kw_t *kw, char *val);
int vg_kw_stream_event(vg_pctx_t *pc, const vg_kw_t *kw, char *val);
int vg_kw_csum(vg_pctx_t *pc, const vg_kw_t *kw, char *val);
int vg_kw_ftpdata_command(vg_pctx_t *pc, const vg_kw_t *kw, char *val);
int vg_kw_tls_version(vg_pctx_t *pc, const vg_kw_t *kw, char *val);
int vg_kw_ssl_version(vg_pctx_t *pc, const vg_kw_t *kw, char *val);
int vg_kw_flow(vg_pctx_t *pc, const vg_kw_t *kw, char *val);
int vg_kw_flowbits(vg_pctx_t *pc, const vg_kw_t *kw, char *val);
int vg_kw_xbits(vg_pctx_t *pc, const vg_kw_t *kw, char *val);
int vg_kw_noalert(vg_pctx_t *pc, const vg_kw_t *kw, char *val);
int vg_kw_flowint(vg_pctx_t *pc, const vg_kw_t *kw, char *val);
int vg_kw_threshold(vg_pctx_t *pc, const vg_kw_t *kw, char *val);
int vg_kw_target(vg_pctx_t *pc, const vg_kw_t *kw, char *val);
int vg_kw_tag(vg_pctx_t *pc, const vg_kw_t *kw, char *val);
int vg_kw_app_layer_protocol(vg_pctx_t *pc, const vg_kw_t *kw, char *val);
/* rule_meta.c */
int vg_kw_msg(vg_pctx_t *pc, const vg_kw_t *kw, char *val);
int vg_kw_sid(vg_pctx_t *pc, const vg_kw_t *kw, char *val);
int vg_kw_classtype(vg_pctx_t *pc, const vg_kw_t *kw, char *val);
int vg_kw_reference(vg_pctx_t *pc, const vg_kw_t *kw, char *val);
int vg_kw_metadata(vg_pctx_t *pc, const vg_kw_t *kw, char *val);
int vg_kw_priority(vg_pctx_t *pc, const vg_kw_t *kw, char *val);
int vg_kw_ignore(vg_pctx_t *pc, const vg_kw_t *kw, char *val);

/* ---- shared parse helpers (rule_util.c) ---- */

/* Parse a quoted or bare content string with |hex| and \ escapes into out (arena). */
int vg_parse_content_str(vg_pctx_t *pc, const char *val, uint8_t **out, uint32_t *out_len,
                         bool *negated);
/* Strip one layer of double quotes in place (and unescape \" \\ \;); returns the new start. */
char *vg_unquote(char *s);
char *vg_trim(char *s);
/* Split s at the next unescaped sep (in place); returns the rest or NULL. */
char *vg_split(char *s, char sep);
bool vg_parse_u64(const char *s, uint64_t *out);
bool vg_parse_i64(const char *s, int64_t *out);
/* Unsigned comparison syntax: "N", "<N", ">N", "<=N", ">=N", "!N", "N-M", "N<>M", "!N-M". */
bool vg_parse_cmp(const char *s, uint64_t max, vg_cmp_t *out);
/* byte_extract variable slot, or -1. */
int vg_pc_byte_var(const vg_pctx_t *pc, const char *name);

/* The list that a buffer keyword goes into (creating it); rel: the keyword is relative. Returns
 * the list index or -1 (error recorded). */
int vg_pc_target_list(vg_pctx_t *pc, bool rel, int force_buf);
int vg_pc_get_list(vg_pctx_t *pc, int buf, uint8_t n_xform, const vg_xform_t *xf);
vg_sm_t *vg_pc_add_sm(vg_pctx_t *pc, int list, uint8_t type);
vg_pkt_match_t *vg_pc_add_pm(vg_pctx_t *pc, uint8_t type);

/* header (rule_header.c) */
int vg_parse_header(vg_pctx_t *pc, char *hdr);
const vg_addr_set_t *vg_rs_addr_set(vg_ruleset_t *rs, const char *expr, char *err, size_t errlen);
const vg_port_set_t *vg_rs_port_set(vg_ruleset_t *rs, const char *expr, char *err, size_t errlen);

/* pcre compile helper for rules and tests: compiles "/re/flags" */
int vg_pcre_compile_rule(vg_pctx_t *pc, const char *src, vg_pcre_t *out, int *buf_out);

#endif
