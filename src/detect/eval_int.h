/* eval_int.h — private to src/detect/: the per-thread evaluation scratch and the list
 * inspector shared by eval.c (keyword chain) and eval_rule.c (rule level). */
#ifndef VG_DETECT_EVAL_INT_H
#define VG_DETECT_EVAL_INT_H

#include "common/buf.h"
#include "detect/detect.h"

#include <pcre2.h>

#define VG_MAX_CAPS 16

struct vg_detect_thread {
    pcre2_match_data *md;
    pcre2_match_context *mctx;
    vg_buf_t xf[2];             /* transform output, ping-pong */
    vg_buf_t b64;               /* base64_decode output (one per rule: never nested) */
    vg_detect_counters_t c;
    /* pcre captures into flow variables made by the rule evaluated last (its latest
     * successful pcre matches), bytes in capbuf; stored by vg_detect_apply_captures() */
    uint32_t n_cap;
    struct { const char *name; uint32_t off, len; } cap[VG_MAX_CAPS];
    vg_buf_t capbuf;
    bool stream_match;          /* the rule evaluated last matched a payload list on the
                                 * raw-stream window (not the packet's own payload) */
    uint32_t last_offset;       /* where the last matching list's inspection left off
                                 * (Suricata's buffer_offset after it) */
    uint32_t payload_offset;    /* the same for the rule's payload list (asn1's relative_offset) */
};

/* A new evaluation: no captures yet. */
static inline void vg_detect_caps_reset(vg_detect_thread_t *t)
{
    t->n_cap = 0;
    t->capbuf.len = 0;
}

/* Run list l's keywords on buf (already transformed). vars: the rule's byte_extract slots. */
bool vg_detect_inspect_buffer(vg_detect_thread_t *t, const vg_rule_list_t *l, const uint8_t *buf,
                              uint32_t len, uint64_t *vars);

/* base64_decode's decoder (Suricata 7's relaxed mode): out holds at least n bytes; returns the
 * decoded length. */
uint32_t vg_detect_base64_decode(const uint8_t *in, uint32_t n, uint8_t *out);

/* Apply l's transforms to (buf,len); returns the buffer to inspect (maybe t's scratch). */
const uint8_t *vg_detect_transform(vg_detect_thread_t *t, const vg_rule_list_t *l,
                                   const uint8_t *buf, uint32_t *len);

#endif
