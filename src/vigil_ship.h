/* vigil_ship.h — `vigil read`/`live`'s use of src/ship: configure the Redis shipping sink and
 * print what it did at the end. */
#ifndef VG_VIGIL_SHIP_H
#define VG_VIGIL_SHIP_H

#include "common/config.h"
#include "ship/ship.h"

#include <stdbool.h>

/* NULL with *disabled true when shipping is off (no --redis, outputs.redis.enabled false);
 * NULL with *disabled false on an error (printed). url: --redis, or NULL. */
vg_ship_t *vigil_ship_start(const vg_config_t *cfg, const char *url, const char *logdir,
                            bool *disabled);
/* Prints the shipping summary (unless quiet; always when events were dropped) and closes. */
void vigil_ship_finish(vg_ship_t *s, bool quiet);

#endif
