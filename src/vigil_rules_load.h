/* vigil_rules_load.h — rule loading for the subcommands that run the engine. */
#ifndef VG_VIGIL_RULES_LOAD_H
#define VG_VIGIL_RULES_LOAD_H

#include "common/config.h"

#include <stddef.h>

struct vg_detect_engine;

/* Loads the rule files (none given: the default rules/vigil.rules) with the
 * configuration's variables, classification and threshold files, reports counts on stderr and
 * builds the engine. *out stays NULL when detection is disabled. Returns -1 (message printed)
 * when a file cannot be read, or has rules of which none loads (a file with only disabled
 * rules is a warning). */
int vigil_rules_build(const vg_config_t *cfg, const char *const *files, size_t n_files,
                      struct vg_detect_engine **out);

#endif
