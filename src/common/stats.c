/* stats.c — nest dotted counter names into JSON objects.
 *
 * Walks the names in table order, keeping the stack of currently open object names: for each name,
 * closes the levels that differ from the previous path, opens the new ones, then writes the leaf.
 */
#include "common/stats.h"

#include <string.h>

#define MAX_DEPTH 8

typedef struct {
    const char *p;
    size_t n;
} part_t;

static size_t split(const char *name, part_t *parts)
{
    size_t k = 0;
    const char *s = name;
    while (k < MAX_DEPTH) {
        const char *dot = strchr(s, '.');
        size_t n = dot ? (size_t)(dot - s) : strlen(s);
        parts[k].p = s;
        parts[k].n = n;
        k++;
        if (!dot)
            break;
        s = dot + 1;
    }
    return k;
}

void vg_stats_write(vg_jw_t *w, const vg_stats_table_t *t, const uint64_t *vals)
{
    part_t open[MAX_DEPTH];
    size_t n_open = 0;
    char key[128];
    for (size_t i = 0; i < t->n; i++) {
        part_t parts[MAX_DEPTH];
        size_t k = split(t->names[i], parts);
        size_t common = 0;
        while (common < n_open && common + 1 < k && open[common].n == parts[common].n &&
               memcmp(open[common].p, parts[common].p, parts[common].n) == 0)
            common++;
        while (n_open > common) {
            vg_jw_obj_close(w);
            n_open--;
        }
        for (size_t j = common; j + 1 < k; j++) {
            size_t n = parts[j].n < sizeof key - 1 ? parts[j].n : sizeof key - 1;
            memcpy(key, parts[j].p, n);
            key[n] = '\0';
            vg_jw_key(w, key);
            vg_jw_obj_open(w);
            open[n_open++] = parts[j];
        }
        size_t n = parts[k - 1].n < sizeof key - 1 ? parts[k - 1].n : sizeof key - 1;
        memcpy(key, parts[k - 1].p, n);
        key[n] = '\0';
        vg_jw_kv_uint(w, key, vals[i]);
    }
    while (n_open--)
        vg_jw_obj_close(w);
}
