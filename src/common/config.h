/* config.h — Vigil's configuration: one table of known keys with types and defaults, filled from
 * a YAML file (-c) and then from --set KEY=VALUE and --var NAME=VALUE on the command line.
 *
 * Keys are Suricata-style dotted paths ("stream.midstream", "flow.timeouts.tcp.established").
 * An unknown key is an error (never silently ignored), with the file and line for YAML.
 * Address and port variables live under "vars.address-groups.NAME" and "vars.port-groups.NAME",
 * where any NAME is accepted.
 *
 * Built once at start-up by the main thread, then read-only and shared by all threads.
 */
#ifndef VG_COMMON_CONFIG_H
#define VG_COMMON_CONFIG_H

#include "common/common.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct vg_config vg_config_t;

vg_config_t *vg_config_new(void); /* all keys at their defaults */
void vg_config_free(vg_config_t *c);

/* Load a YAML file over the current values. Returns 0, or -1 with "FILE:LINE: reason" in err. */
int vg_config_load_yaml(vg_config_t *c, const char *path, char *err, size_t err_len);
/* Set one key from text ("KEY=VALUE" split by the caller). -1 with a reason for an unknown key or
 * a value of the wrong type. */
int vg_config_set(vg_config_t *c, const char *key, const char *value, char *err, size_t err_len);
/* --var NAME=VALUE: an address group when NAME ends in _NET or _SERVERS or _CLIENT(S) or is
 * already an address group, a port group when it ends in _PORTS or is already a port group. */
int vg_config_set_var(vg_config_t *c, const char *name, const char *value, char *err, size_t err_len);

bool vg_config_bool(const vg_config_t *c, const char *key);
uint64_t vg_config_uint(const vg_config_t *c, const char *key); /* also sizes, in bytes */
const char *vg_config_str(const vg_config_t *c, const char *key); /* NULL when unset */

/* Iterate variables: kind 0 = address groups, 1 = port groups. Returns the count; fills names and
 * values (borrowed, valid while c lives) up to cap entries. */
size_t vg_config_vars(const vg_config_t *c, int kind, const char **names, const char **values,
                      size_t cap);

/* Parse "64mb", "1gb", "512kb", "1000" into bytes. -1 on bad input. */
int vg_config_parse_size(const char *s, uint64_t *out);

#endif
