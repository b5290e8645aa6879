/* store_json.h — the flat EVE line reader of the store (store_json.c). */
#ifndef VG_STORE_STORE_JSON_H
#define VG_STORE_STORE_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VG_SJSON_MAX 160   /* leaves kept per line (the rest are not looked at) */
#define VG_SJSON_SLOTS 512 /* hash slots, > 2 x VG_SJSON_MAX */

typedef struct vg_sjson_leaf {
    uint64_t h;         /* FNV-1a of the dotted path ("alert.signature") */
    const char *v;      /* span in the line: string content without quotes, else the value */
    size_t n;
    char type;          /* s string, n number, b boolean, z null, o object, a array */
    bool esc;           /* string with escapes */
} vg_sjson_leaf_t;

typedef struct vg_sjson {
    unsigned n;
    vg_sjson_leaf_t leaf[VG_SJSON_MAX];
    size_t arena_used;
    uint8_t slot[VG_SJSON_SLOTS]; /* leaf index + 1 by hash; 0 empty */
    char arena[16384];  /* unescaped strings of the current line */
} vg_sjson_t;

/* Reads one line; -1 when it is not a well-formed JSON object. */
int vg_sjson_parse(vg_sjson_t *j, const char *line, size_t len);
const vg_sjson_leaf_t *vg_sjson_get(const vg_sjson_t *j, const char *path);
/* A string leaf unescaped and NUL-terminated (valid until the next parse); NULL when absent,
 * not a string, or too long for the arena. */
const char *vg_sjson_str(vg_sjson_t *j, const char *path);
bool vg_sjson_int(const vg_sjson_t *j, const char *path, int64_t *out);
int vg_sjson_bool(const vg_sjson_t *j, const char *path); /* 1, 0, -1 absent */

#endif
