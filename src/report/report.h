/* report.h — `vigil report`: the quantified picture of what the store holds.
 *
 * One model, built by SQL queries over the store (report.c), rendered into JSON, CSV, Markdown
 * and a self-contained HTML page whose charts are the dashboard's (report_render.c,
 * report_html.c). Every
 * format writes the same cells of the same tables, so their numbers agree by construction. Each
 * row carries evidence: the ids of the first and last alert it counts, resolved in the
 * "evidence" table (time, signature, addresses, flow id, community id, evidence reference,
 * captures of the run). Tables, units and filters: docs/STORE.md.
 */
#ifndef VG_REPORT_REPORT_H
#define VG_REPORT_REPORT_H

#include "common/buf.h"
#include "store/store.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct sqlite3;

typedef struct vg_report_filter {
    bool has_from, has_to;
    int64_t from_us, to_us;  /* alert time in [from, to), microseconds since the epoch */
    const char *sensor;      /* runs of this sensor only */
    const char *category;    /* alerts of this category only (vigil category slug) */
    const char *country;     /* alerts whose attacker is in this country (ISO alpha-2) */
    bool has_asn;
    int64_t asn;             /* alerts whose attacker is in this AS (0: unknown) */
    const char *target;      /* alerts whose victim is this address (as vg_report_addr writes) */
    int64_t sid;             /* alerts of this signature id (0: any) */
    int64_t run_id;          /* 0: every counted run */
    unsigned top;            /* rows of the "top" tables (0: 25) */
    const char *store_label; /* shown in the header (the store path) */
    const char *tables;      /* comma-separated table ids to build; NULL: all */
    bool progress;           /* a progress line on stderr (only set on a terminal) */
    bool scan;               /* every table from the raw alerts instead of the rollups (the
                              * reference the rollup path is tested against; slow) */
} vg_report_filter_t;

enum vg_report_format { VG_REPORT_JSON, VG_REPORT_MD, VG_REPORT_CSV, VG_REPORT_HTML };

/* Cells (vg_rcell_t) are the store reader's values (store/store.h). */

typedef struct vg_rrow {
    vg_rcell_t *cells;
    int64_t ev_first, ev_last; /* alert ids (0: none) */
} vg_rrow_t;

typedef struct vg_rtable {
    char *id, *title, *unit, *note;
    size_t n_cols;
    char **cols;               /* column keys */
    size_t n_rows;
    vg_rrow_t *rows;
    bool has_evidence;
} vg_rtable_t;

typedef struct vg_report {
    vg_report_filter_t filter;
    char generated_at[32];
    char period_from[32], period_to[32]; /* of the alerts found ("" when none) */
    bool empty;                          /* no alert and no run in the period */
    size_t n_tables;
    vg_rtable_t *tables;
} vg_report_t;

/* Builds the model. NULL with a one-line reason in err (SQL errors are explained, never
 * dumped). An empty period is not an error: the report says so (r->empty). */
vg_report_t *vg_report_build(struct sqlite3 *db, const vg_report_filter_t *f, char *err,
                             size_t err_len);
/* The same over any store reader (SQLite or PostgreSQL; store.h). */
vg_report_t *vg_report_build_r(vg_store_reader_t *rd, const vg_report_filter_t *f, char *err,
                               size_t err_len);
void vg_report_free(vg_report_t *r);
const vg_rtable_t *vg_report_table(const vg_report_t *r, const char *id);
/* Index of a column key in t, -1 when absent. */
int vg_report_col(const vg_rtable_t *t, const char *key);

/* An IPv4 or IPv6 address in the form the store keeps it (inet_ntop's); false when s is not
 * one. out needs 46 bytes. */
bool vg_report_addr(const char *s, char *out);

/* Renders the whole model into out (appended). */
void vg_report_render(const vg_report_t *r, enum vg_report_format fmt, vg_buf_t *out);
/* Microseconds since the epoch as "2024-01-01T00:00:00Z" (seconds kept, fraction dropped when
 * zero, else ".ffffff"). */
void vg_report_time(int64_t us, char *out, size_t n);
/* One cell as text the way every format writes it ("" for null). */
void vg_report_cell_text(const vg_rcell_t *c, char *out, size_t n);
void vg_report_render_html(const vg_report_t *r, vg_buf_t *out);

/* The short picture of one run on the terminal (end of `vigil read`). */
void vg_report_print_run_summary(struct sqlite3 *db, int64_t run_id, FILE *f);


#endif
