/* eval_int.h — private to src/detect/: the per-thread evaluation scratch and the list
 * inspector shared by eval.c (keyword chain) and eval_rule.c (rule level). */
#ifndef VG_DETECT_EVAL_INT_H
#define VG_DETECT_EVAL_INT_H

#include "common/buf.h"
#include "detect/detect.h"

#include <pcre2.h>

struct vg_detect_thread {
    pcre2_match_data *md;
    pcre2_match_context *mctx;
    vg_buf_t xf[2];             /* transform output, ping-pong */
    vg_detect_counters_t c;
};

/* Run list l's keywords on buf (already transformed). vars: the rule's byte_extract slots. */
bool vg_detect_inspect_buffer(vg_detect_thread_t *t, const vg_rule_list_t *l, const uint8_t *buf,
                              uint32_t len, uint64_t *vars);

/* Apply l's transforms to (buf,len); returns the buffer to inspect (maybe t's scratch). */
const uint8_t *vg_detect_transform(vg_detect_thread_t *t, const vg_rule_list_t *l,
                                   const uint8_t *buf, uint32_t *len);

#endif
