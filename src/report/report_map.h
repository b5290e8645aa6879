/* report_map.h — the world map's country outlines for the HTML report, projected at build time
 * by web/mapgen.js with the dashboard's own map code (web/worldmap.js). Internal to vg_report. */
#ifndef VG_REPORT_MAP_H
#define VG_REPORT_MAP_H

#include <stddef.h>

typedef struct {
    const char *cc;   /* ISO 3166 alpha-2, "" when world-atlas has no code for the shape */
    const char *name; /* world-atlas's name */
    const char *d;    /* SVG path in a vg_map_w x vg_map_h box */
} vg_map_country_t;

extern const int vg_map_w, vg_map_h;
extern const char vg_map_sphere[];
extern const vg_map_country_t vg_map_countries[];
extern const size_t vg_map_n_countries; /* 0: built without the map packages */

#endif
