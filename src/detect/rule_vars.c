/* rule_vars.c — address/port variables (with Suricata's shipped defaults), string interning and
 * the flowbit/flowint name tables. Everything is hashed, so a 25k-rule load never scans lists.
 */
#include "common/default_vars.h"
#include "detect/rule_int.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static void clear_caches(vg_ruleset_t *rs)
{
    /* Cached sets stay in the arena (rules may point at them); only the lookup is dropped. */
    vg_strmap_fini(&rs->addr_cache);
    vg_strmap_fini(&rs->port_cache);
    vg_strmap_init(&rs->addr_cache);
    vg_strmap_init(&rs->port_cache);
}

int vg_ruleset_set_var(vg_ruleset_t *rs, const char *name, const char *value)
{
    if (name[0] == '$')
        name++;
    if (!name[0] || !value)
        return -1;
    for (const char *p = name; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-')
            return -1;
    vg_strmap_ent_t *e = vg_strmap_put(&rs->vars, &rs->perm, name, strlen(name));
    e->val = vg_arena_strdup(&rs->perm, value);
    clear_caches(rs);
    return 0;
}

int vg_ruleset_set_var_assign(vg_ruleset_t *rs, const char *assign)
{
    const char *eq = strchr(assign, '=');
    if (!eq || eq == assign)
        return -1;
    char name[128];
    size_t n = (size_t)(eq - assign);
    if (n >= sizeof(name))
        return -1;
    memcpy(name, assign, n);
    name[n] = 0;
    const char *v = eq + 1;
    /* accept a YAML-ish quoted value */
    size_t vl = strlen(v);
    if (vl >= 2 && (v[0] == '"' || v[0] == '\'') && v[vl - 1] == v[0]) {
        char *tmp = vg_arena_strndup(&rs->perm, v + 1, vl - 2);
        return vg_ruleset_set_var(rs, name, tmp);
    }
    return vg_ruleset_set_var(rs, name, v);
}

const char *vg_rs_var(const vg_ruleset_t *rs, const char *name, size_t n)
{
    vg_strmap_ent_t *e = vg_strmap_get(&rs->vars, name, n);
    return e ? e->val : NULL;
}

const char *vg_ruleset_get_var(const vg_ruleset_t *rs, const char *name)
{
    if (name[0] == '$')
        name++;
    return vg_rs_var(rs, name, strlen(name));
}

void vg_rs_vars_defaults(vg_ruleset_t *rs)
{
    for (size_t i = 0; i < vg_n_default_vars; i++)
        vg_ruleset_set_var(rs, vg_default_vars[i].name, vg_default_vars[i].value);
}

const char *vg_rs_intern(vg_ruleset_t *rs, const char *s, size_t n)
{
    vg_strmap_ent_t *e = vg_strmap_put(&rs->strings, &rs->perm, s, n);
    return e->key;
}

static uint32_t name_id(vg_ruleset_t *rs, vg_strmap_t *m, const char ***names, uint32_t *n_names,
                        uint32_t *cap, const char *name, size_t n)
{
    vg_strmap_ent_t *e = vg_strmap_put(m, &rs->perm, name, n);
    if (!e->val) {
        if (*n_names == *cap) {
            *cap = *cap ? *cap * 2 : 64;
            *names = vg_xrealloc(*names, *cap * sizeof(**names));
        }
        (*names)[*n_names] = e->key;
        e->val = (void *)(uintptr_t)(++*n_names);
    }
    return (uint32_t)(uintptr_t)e->val - 1;
}

uint32_t vg_rs_flowbit_id(vg_ruleset_t *rs, const char *name, size_t n)
{
    return name_id(rs, &rs->flowbits, &rs->flowbit_names, &rs->n_flowbit_names,
                   &rs->cap_flowbit_names, name, n);
}

uint32_t vg_rs_flowint_id(vg_ruleset_t *rs, const char *name, size_t n)
{
    return name_id(rs, &rs->flowints, &rs->flowint_names, &rs->n_flowint_names,
                   &rs->cap_flowint_names, name, n);
}

uint32_t vg_rs_xbit_id(vg_ruleset_t *rs, bool pair, const char *name, size_t n)
{
    char key[260];
    if (n > sizeof key - 3)
        n = sizeof key - 3; /* the parser refuses longer names before this */
    key[0] = pair ? 'p' : 'h';
    key[1] = ':';
    memcpy(key + 2, name, n);
    return name_id(rs, &rs->xbits, &rs->xbit_names, &rs->n_xbit_names, &rs->cap_xbit_names, key,
                   n + 2);
}

uint32_t vg_ruleset_n_flowbits(const vg_ruleset_t *rs) { return rs->n_flowbit_names; }
uint32_t vg_ruleset_n_xbits(const vg_ruleset_t *rs) { return rs->n_xbit_names; }
const char *vg_ruleset_xbit_name(const vg_ruleset_t *rs, uint32_t id)
{
    return id < rs->n_xbit_names ? rs->xbit_names[id] : NULL;
}
uint32_t vg_ruleset_n_flowints(const vg_ruleset_t *rs) { return rs->n_flowint_names; }
uint32_t vg_ruleset_n_flow_thresholds(const vg_ruleset_t *rs) { return rs->n_flow_thresholds; }
uint32_t vg_ruleset_n_capture_rules(const vg_ruleset_t *rs) { return rs->n_capture_rules; }

/* For each id of from's names, the id of the same name in to (VG_VAR_NONE: to does not use it). */
static uint32_t *name_map(const vg_strmap_t *to, const char *const *names, uint32_t n)
{
    uint32_t *m = vg_xcalloc(n + 1, sizeof *m);
    for (uint32_t i = 0; i < n; i++) {
        vg_strmap_ent_t *e = vg_strmap_get(to, names[i], strlen(names[i]));
        m[i] = e && e->val ? (uint32_t)(uintptr_t)e->val - 1 : VG_VAR_NONE;
    }
    return m;
}

uint32_t *vg_ruleset_flowbit_map(const vg_ruleset_t *from, const vg_ruleset_t *to)
{
    return name_map(&to->flowbits, from->flowbit_names, from->n_flowbit_names);
}

uint32_t *vg_ruleset_flowint_map(const vg_ruleset_t *from, const vg_ruleset_t *to)
{
    return name_map(&to->flowints, from->flowint_names, from->n_flowint_names);
}

const char *vg_ruleset_flowbit_name(const vg_ruleset_t *rs, uint32_t id)
{
    return id < rs->n_flowbit_names ? rs->flowbit_names[id] : NULL;
}
