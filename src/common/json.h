/* json.h — a streaming JSON writer into a vg_buf_t, built for the event path.
 *
 * No document tree and no allocation per field: keys and values are appended as they come,
 * commas are tracked per nesting level. Strings are escaped per RFC 8259; bytes that are not
 * valid UTF-8 are written as \u00XX (their Latin-1 code point) so output is always valid JSON.
 * Not thread-safe: one writer per thread. Nesting is limited to 63 levels.
 */
#ifndef VG_COMMON_JSON_H
#define VG_COMMON_JSON_H

#include "common/buf.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct vg_jw {
    vg_buf_t *b;
    unsigned depth;
    uint64_t has_item; /* bit d set: level d already has a member */
} vg_jw_t;

void vg_jw_init(vg_jw_t *w, vg_buf_t *b);
void vg_jw_obj_open(vg_jw_t *w);
void vg_jw_obj_close(vg_jw_t *w);
void vg_jw_arr_open(vg_jw_t *w);
void vg_jw_arr_close(vg_jw_t *w);
/* A member key; the next value call writes its value. */
void vg_jw_key(vg_jw_t *w, const char *key);
/* A member key that comes from data (escaped). */
void vg_jw_keyn(vg_jw_t *w, const void *key, size_t n);
void vg_jw_str(vg_jw_t *w, const char *s);
void vg_jw_strn(vg_jw_t *w, const void *s, size_t n);
void vg_jw_uint(vg_jw_t *w, uint64_t v);
void vg_jw_int(vg_jw_t *w, int64_t v);
void vg_jw_bool(vg_jw_t *w, bool v);
void vg_jw_null(vg_jw_t *w);
void vg_jw_double(vg_jw_t *w, double v);
/* Pre-formatted JSON value (caller guarantees validity). */
void vg_jw_raw(vg_jw_t *w, const char *s, size_t n);

/* Shorthands: key + value. */
static inline void vg_jw_kv_str(vg_jw_t *w, const char *k, const char *v) { vg_jw_key(w, k); vg_jw_str(w, v); }
static inline void vg_jw_kv_uint(vg_jw_t *w, const char *k, uint64_t v) { vg_jw_key(w, k); vg_jw_uint(w, v); }
static inline void vg_jw_kv_int(vg_jw_t *w, const char *k, int64_t v) { vg_jw_key(w, k); vg_jw_int(w, v); }
static inline void vg_jw_kv_bool(vg_jw_t *w, const char *k, bool v) { vg_jw_key(w, k); vg_jw_bool(w, v); }

/* Append s escaped as JSON string content (no quotes) to b. */
void vg_json_escape(vg_buf_t *b, const void *s, size_t n);

#endif
