/* evscan.h — private to src/collect: one pass over an EVE event's JSON that checks its syntax
 * and takes the dozen values the events table has columns for, without building a tree.
 *
 * The collector used to parse every event with jansson and read the columns from the tree;
 * that parse (and the tree's allocations) was most of its CPU. This scanner checks the whole
 * document as strictly (RFC 8259 syntax, UTF-8, no NUL, nesting at most 512 deep) and keeps
 * only the values below. Keys repeated inside those objects (the top level, "alert", "vigil",
 * "vigil.attacker", "vigil.victim") make the event ambiguous and are refused; a repeated key
 * anywhere else is stored as sent (PostgreSQL's json keeps the text).
 */
#ifndef VG_COLLECT_EVSCAN_H
#define VG_COLLECT_EVSCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
    EV_TIMESTAMP, EV_EVENT_TYPE, EV_SRC_IP, EV_SRC_PORT, EV_DEST_IP, EV_DEST_PORT, EV_PROTO,
    EV_SIG_ID, EV_SIGNATURE, EV_CATEGORY, EV_SEVERITY, EV_VG_CATEGORY, EV_COUNTED,
    EV_ATT_IP, EV_ATT_COUNTRY, EV_VIC_COUNTRY, EV_N
};

enum { EVV_ABSENT = 0, EVV_STR, EVV_INT, EVV_TRUE, EVV_FALSE, EVV_OTHER };

typedef struct ev_val {
    uint8_t type;           /* EVV_*: what the key held (EVV_OTHER: null, an object, a real...) */
    const char *s;          /* EVV_STR: the value, unescaped, NUL-terminated */
    size_t len;
    int64_t i;              /* EVV_INT */
} ev_val_t;

typedef struct ev_cols {
    ev_val_t v[EV_N];
} ev_cols_t;

/* Scans the n bytes at p. alloc gives memory for unescaped strings (never freed one by one).
 * Returns NULL, or the reason the event is refused. */
const char *vg_evscan(const char *p, size_t n, ev_cols_t *out, void *(*alloc)(size_t));

/* Whether the n bytes at p are UTF-8 without NUL (PostgreSQL refuses anything else). */
bool vg_valid_utf8(const unsigned char *p, size_t n);

static inline const char *ev_str(const ev_cols_t *c, int k)
{
    return c->v[k].type == EVV_STR ? c->v[k].s : NULL;
}

#endif
