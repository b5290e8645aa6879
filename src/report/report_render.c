/* report_render.c — the model as JSON, CSV and Markdown. Cells are written with
 * vg_report_cell_text in every format, so the numbers are the same text everywhere. */
#include "report/report.h"
#include "common/json.h"

#include <stdio.h>
#include <string.h>

static const char *const unit_note =
    "alerts: alert events stored; incidents: alerts of one (category, attacker, victim, signature "
    "family) less than the incident window apart; attackers, victims, hosts, controllers, "
    "sources: distinct addresses";

static void filter_json(vg_jw_t *w, const vg_report_t *r)
{
    const vg_report_filter_t *f = &r->filter;
    vg_jw_key(w, "filter");
    vg_jw_obj_open(w);
    char t[48];
    if (f->has_from) {
        vg_report_time(f->from_us, t, sizeof t);
        vg_jw_kv_str(w, "from", t);
    }
    if (f->has_to) {
        vg_report_time(f->to_us, t, sizeof t);
        vg_jw_kv_str(w, "to", t);
    }
    if (f->sensor)
        vg_jw_kv_str(w, "sensor", f->sensor);
    if (f->category)
        vg_jw_kv_str(w, "category", f->category);
    if (f->country)
        vg_jw_kv_str(w, "country", f->country);
    if (f->has_asn)
        vg_jw_kv_int(w, "asn", f->asn);
    if (f->target)
        vg_jw_kv_str(w, "target", f->target);
    if (f->sid)
        vg_jw_kv_int(w, "sid", f->sid);
    if (f->run_id)
        vg_jw_kv_int(w, "run", f->run_id);
    vg_jw_obj_close(w);
}

static void render_json(const vg_report_t *r, vg_buf_t *out)
{
    vg_jw_t w;
    vg_jw_init(&w, out);
    vg_jw_obj_open(&w);
    vg_jw_kv_str(&w, "generator", "vigil " VG_VERSION);
    vg_jw_kv_str(&w, "generated_at", r->generated_at);
    if (r->filter.store_label)
        vg_jw_kv_str(&w, "store", r->filter.store_label);
    filter_json(&w, r);
    vg_jw_kv_str(&w, "first_alert", r->period_from);
    vg_jw_kv_str(&w, "last_alert", r->period_to);
    vg_jw_kv_bool(&w, "empty", r->empty);
    vg_jw_kv_str(&w, "units", unit_note);
    vg_jw_key(&w, "tables");
    vg_jw_obj_open(&w);
    char txt[4096];
    for (size_t i = 0; i < r->n_tables; i++) {
        const vg_rtable_t *t = &r->tables[i];
        vg_jw_key(&w, t->id);
        vg_jw_obj_open(&w);
        vg_jw_kv_str(&w, "title", t->title);
        vg_jw_kv_str(&w, "unit", t->unit);
        if (*t->note)
            vg_jw_kv_str(&w, "note", t->note);
        vg_jw_key(&w, "columns");
        vg_jw_arr_open(&w);
        for (size_t c = 0; c < t->n_cols; c++)
            vg_jw_str(&w, t->cols[c]);
        vg_jw_arr_close(&w);
        vg_jw_key(&w, "rows");
        vg_jw_arr_open(&w);
        for (size_t k = 0; k < t->n_rows; k++) {
            const vg_rrow_t *row = &t->rows[k];
            vg_jw_obj_open(&w);
            for (size_t c = 0; c < t->n_cols; c++) {
                const vg_rcell_t *cell = &row->cells[c];
                vg_jw_key(&w, t->cols[c]);
                switch (cell->kind) {
                case VG_RK_NULL: vg_jw_null(&w); break;
                case VG_RK_INT: vg_jw_int(&w, cell->i); break;
                case VG_RK_REAL:
                    vg_report_cell_text(cell, txt, sizeof txt);
                    vg_jw_raw(&w, txt, strlen(txt));
                    break;
                case VG_RK_TEXT: vg_jw_str(&w, cell->s); break;
                }
            }
            if (t->has_evidence) {
                vg_jw_key(&w, "evidence");
                vg_jw_arr_open(&w);
                if (row->ev_first)
                    vg_jw_int(&w, row->ev_first);
                if (row->ev_last && row->ev_last != row->ev_first)
                    vg_jw_int(&w, row->ev_last);
                vg_jw_arr_close(&w);
            }
            vg_jw_obj_close(&w);
        }
        vg_jw_arr_close(&w);
        vg_jw_obj_close(&w);
    }
    vg_jw_obj_close(&w);
    vg_jw_obj_close(&w);
    vg_buf_putc(out, '\n');
}

static void evidence_text(const vg_rrow_t *row, char *out, size_t n)
{
    if (!row->ev_first)
        snprintf(out, n, "%s", "");
    else if (row->ev_last && row->ev_last != row->ev_first)
        snprintf(out, n, "%lld %lld", (long long)row->ev_first, (long long)row->ev_last);
    else
        snprintf(out, n, "%lld", (long long)row->ev_first);
}

static void csv_field(vg_buf_t *out, const char *s)
{
    bool q = strpbrk(s, ",\"\r\n") != NULL || (*s && (s[0] == ' ' || s[strlen(s) - 1] == ' '));
    if (!q) {
        vg_buf_puts(out, s);
        return;
    }
    vg_buf_putc(out, '"');
    for (const char *p = s; *p; p++) {
        if (*p == '"')
            vg_buf_putc(out, '"');
        vg_buf_putc(out, *p);
    }
    vg_buf_putc(out, '"');
}

/* One CSV stream: every row starts with its table id; each table starts with a header row whose
 * first field is "table". Tables are separated by an empty line. */
static void render_csv(const vg_report_t *r, vg_buf_t *out)
{
    char txt[8192];
    for (size_t i = 0; i < r->n_tables; i++) {
        const vg_rtable_t *t = &r->tables[i];
        if (i)
            vg_buf_puts(out, "\r\n");
        vg_buf_puts(out, "table");
        for (size_t c = 0; c < t->n_cols; c++) {
            vg_buf_putc(out, ',');
            csv_field(out, t->cols[c]);
        }
        if (t->has_evidence)
            vg_buf_puts(out, ",evidence");
        vg_buf_puts(out, "\r\n");
        for (size_t k = 0; k < t->n_rows; k++) {
            csv_field(out, t->id);
            for (size_t c = 0; c < t->n_cols; c++) {
                vg_buf_putc(out, ',');
                vg_report_cell_text(&t->rows[k].cells[c], txt, sizeof txt);
                csv_field(out, txt);
            }
            if (t->has_evidence) {
                vg_buf_putc(out, ',');
                evidence_text(&t->rows[k], txt, sizeof txt);
                csv_field(out, txt);
            }
            vg_buf_puts(out, "\r\n");
        }
    }
}

static void md_text(vg_buf_t *out, const char *s)
{
    for (const char *p = s; *p; p++) {
        if (*p == '|' || *p == '\\' || *p == '*' || *p == '_' || *p == '`' || *p == '<' ||
            *p == '[' || *p == ']')
            vg_buf_putc(out, '\\');
        if (*p == '\n' || *p == '\r')
            vg_buf_putc(out, ' ');
        else
            vg_buf_putc(out, *p);
    }
}

static void render_md(const vg_report_t *r, vg_buf_t *out)
{
    char txt[8192];
    vg_buf_puts(out, "# Vigil report\n\n");
    snprintf(txt, sizeof txt, "Generated %s by vigil %s", r->generated_at, VG_VERSION);
    md_text(out, txt);
    if (r->filter.store_label) {
        vg_buf_puts(out, " from ");
        md_text(out, r->filter.store_label);
    }
    vg_buf_puts(out, ".  \nAlerts from ");
    md_text(out, *r->period_from ? r->period_from : "-");
    vg_buf_puts(out, " to ");
    md_text(out, *r->period_to ? r->period_to : "-");
    const vg_report_filter_t *f = &r->filter;
    if (f->sensor || f->category || f->country || f->has_from || f->has_to || f->has_asn ||
        f->target || f->sid) {
        vg_buf_puts(out, ".  \nFilter:");
        if (f->has_from) {
            char t[48];
            vg_report_time(f->from_us, t, sizeof t);
            snprintf(txt, sizeof txt, " from %s", t);
            vg_buf_puts(out, txt);
        }
        if (f->has_to) {
            char t[48];
            vg_report_time(f->to_us, t, sizeof t);
            snprintf(txt, sizeof txt, " to %s (excluded)", t);
            vg_buf_puts(out, txt);
        }
        if (f->sensor) {
            vg_buf_puts(out, " sensor ");
            md_text(out, f->sensor);
        }
        if (f->category) {
            vg_buf_puts(out, " category ");
            md_text(out, f->category);
        }
        if (f->country) {
            vg_buf_puts(out, " country ");
            md_text(out, f->country);
        }
        if (f->has_asn) {
            snprintf(txt, sizeof txt, " AS %lld", (long long)f->asn);
            vg_buf_puts(out, txt);
        }
        if (f->target) {
            vg_buf_puts(out, " target ");
            md_text(out, f->target);
        }
        if (f->sid) {
            snprintf(txt, sizeof txt, " sid %lld", (long long)f->sid);
            vg_buf_puts(out, txt);
        }
    }
    vg_buf_puts(out, ".\n\n*Units: ");
    md_text(out, unit_note);
    vg_buf_puts(out, ".*\n\n");
    if (r->empty)
        vg_buf_puts(out, "**Nothing in this period: no run and no alert matched.**\n\n");
    for (size_t i = 0; i < r->n_tables; i++) {
        const vg_rtable_t *t = &r->tables[i];
        vg_buf_puts(out, "## ");
        md_text(out, t->title);
        vg_buf_puts(out, "\n\n");
        if (*t->unit) {
            vg_buf_puts(out, "Unit: ");
            md_text(out, t->unit);
            vg_buf_puts(out, ". ");
        }
        if (*t->note)
            md_text(out, t->note);
        vg_buf_puts(out, "\n\n");
        if (!t->n_rows) {
            vg_buf_puts(out, "(none)\n\n");
            continue;
        }
        vg_buf_puts(out, "|");
        for (size_t c = 0; c < t->n_cols; c++) {
            vg_buf_putc(out, ' ');
            md_text(out, t->cols[c]);
            vg_buf_puts(out, " |");
        }
        if (t->has_evidence)
            vg_buf_puts(out, " evidence |");
        vg_buf_puts(out, "\n|");
        for (size_t c = 0; c < t->n_cols + (t->has_evidence ? 1 : 0); c++) {
            bool num = c < t->n_cols && t->rows[0].cells[c].kind != VG_RK_TEXT &&
                       t->rows[0].cells[c].kind != VG_RK_NULL;
            vg_buf_puts(out, num ? "---:|" : "---|");
        }
        vg_buf_putc(out, '\n');
        for (size_t k = 0; k < t->n_rows; k++) {
            vg_buf_puts(out, "|");
            for (size_t c = 0; c < t->n_cols; c++) {
                vg_buf_putc(out, ' ');
                vg_report_cell_text(&t->rows[k].cells[c], txt, sizeof txt);
                md_text(out, txt);
                vg_buf_puts(out, " |");
            }
            if (t->has_evidence) {
                vg_buf_putc(out, ' ');
                evidence_text(&t->rows[k], txt, sizeof txt);
                md_text(out, txt);
                vg_buf_puts(out, " |");
            }
            vg_buf_putc(out, '\n');
        }
        vg_buf_putc(out, '\n');
    }
}

void vg_report_render(const vg_report_t *r, enum vg_report_format fmt, vg_buf_t *out)
{
    switch (fmt) {
    case VG_REPORT_JSON: render_json(r, out); break;
    case VG_REPORT_CSV: render_csv(r, out); break;
    case VG_REPORT_MD: render_md(r, out); break;
    case VG_REPORT_HTML: vg_report_render_html(r, out); break;
    }
}
