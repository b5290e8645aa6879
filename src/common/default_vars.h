/* default_vars.h — the address and port variables Suricata ships in its suricata.yaml, which
 * rule sets such as ET Open expect. One table for the configuration and the rule loader. */
#ifndef VG_COMMON_DEFAULT_VARS_H
#define VG_COMMON_DEFAULT_VARS_H

#include <stddef.h>

typedef struct vg_default_var {
    const char *name, *value;
    int is_port; /* 0 address group, 1 port group */
} vg_default_var_t;

extern const vg_default_var_t vg_default_vars[];
extern const size_t vg_n_default_vars;

#endif
