/* report_charts.h — the chart code the HTML report inlines: uPlot (npm `uplot`, pinned by
 * web/package-lock.json) and the dashboard's own chart module web/charts.js, embedded at build
 * time by src/web/embed.py (src/report/CMakeLists.txt). Internal to vg_report. */
#ifndef VG_REPORT_CHARTS_H
#define VG_REPORT_CHARTS_H

/* NUL-terminated; all three are "" when web/node_modules had no uPlot at configure time, and the
 * report then has no charts (its tables hold every number). */
extern const unsigned char vg_report_uplot_js[];
extern const unsigned char vg_report_uplot_css[];
extern const unsigned char vg_report_charts_js[];

#endif
