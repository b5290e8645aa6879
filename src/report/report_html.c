/* report_html.c — the model as one self-contained HTML page with no external request: inline CSS,
 * the world map of origins as inline SVG (the dashboard's map, projected at build time), the
 * bar and time-series charts drawn on opening by the dashboard's chart code (uPlot and
 * web/charts.js, inlined) from the report's JSON document carried in the page, and every table,
 * so the file stays readable without script. Every table row links its evidence to the evidence
 * index at the end of the page. */
#include "report/report.h"
#include "report_map.h"
#include "report_charts.h"
#include "common/common.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void bp(vg_buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void bp(vg_buf_t *b, const char *fmt, ...)
{
    char tmp[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n < sizeof tmp) {
        vg_buf_append(b, tmp, (size_t)n);
        return;
    }
    char *big = malloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    vg_buf_append(b, big, (size_t)n);
    free(big);
}

static void esc(vg_buf_t *b, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '<': vg_buf_puts(b, "&lt;"); break;
        case '>': vg_buf_puts(b, "&gt;"); break;
        case '&': vg_buf_puts(b, "&amp;"); break;
        case '"': vg_buf_puts(b, "&quot;"); break;
        case '\'': vg_buf_puts(b, "&#39;"); break;
        default: vg_buf_putc(b, *s);
        }
    }
}

static const char circle_fill[] = "#d62728"; /* the map's circles, built without the map */

static double num(const vg_rcell_t *c)
{
    return c->kind == VG_RK_INT ? (double)c->i : c->kind == VG_RK_REAL ? c->d : 0;
}

static const char *txt(const vg_rcell_t *c, char *buf, size_t n)
{
    vg_report_cell_text(c, buf, n);
    return buf;
}

/* The largest value of a column, at least `at_least`. */
static double col_max(const vg_rtable_t *t, int col, double at_least)
{
    double m = at_least;
    for (size_t k = 0; k < t->n_rows; k++)
        if (num(&t->rows[k].cells[col]) > m)
            m = num(&t->rows[k].cells[col]);
    return m;
}

/* The charts are drawn when the file is opened, by the dashboard's own chart code (uPlot and
 * web/charts.js, inlined at the end of the page from report_charts.c) from the copy of the
 * report's JSON document the page carries. Here each chart is only a placeholder naming its
 * table and columns: the table id, the label and value columns, the number of bars. */
typedef struct {
    const char *table, *label, *value;
    int max;
    const char *caption;
} chart_spec_t;

static const chart_spec_t chart_specs[] = {
    {"timeline", NULL, NULL, 0, "Attack alerts over time by category (UTC)"},
    {"categories", "category", "alerts", 12, "Alerts by category"},
    {"origins_country", "country", "incidents", 15, "Incidents by country of origin"},
    {"origins_asn", "org", "incidents", 15, "Incidents by autonomous system"},
    {"c2_countries", "country", "internal_hosts", 15,
     "Internal hosts reached by controllers, by country"},
    {"top_attackers", "attacker", "incidents", 15, "Incidents by attacker"},
    {"exploit_cves", "cve", "alerts", 15, "Alerts by CVE"},
    {"targets_hosts", "host", "incidents", 15, "Incidents by internal host"},
};

static bool have_charts(void)
{
    return vg_report_uplot_js[0] && vg_report_charts_js[0];
}

static void chart_placeholder(vg_buf_t *b, const vg_rtable_t *t)
{
    if (!have_charts() || !t->n_rows)
        return;
    for (size_t i = 0; i < sizeof chart_specs / sizeof chart_specs[0]; i++) {
        const chart_spec_t *c = &chart_specs[i];
        if (strcmp(c->table, t->id))
            continue;
        if (c->label && (vg_report_col(t, c->label) < 0 || vg_report_col(t, c->value) < 0))
            return;
        bp(b, "<figure class=\"chart\" data-chart=\"%s\" data-table=\"%s\"",
           c->label ? "bars" : "series", c->table);
        if (c->label)
            bp(b, " data-label=\"%s\" data-value=\"%s\" data-max=\"%d\"", c->label, c->value,
               c->max);
        vg_buf_puts(b, "><div class=\"plot\"></div><figcaption>");
        esc(b, c->caption);
        vg_buf_puts(b, "</figcaption></figure>\n");
        return;
    }
}

/* The report's JSON document (the one `vigil report --format json` writes) for the charts, in a
 * <script type="application/json">: every '<' written as \u003c, so nothing in it can end the
 * element; then the chart code, and the call that draws every placeholder. */
static void chart_scripts(vg_buf_t *b, const vg_report_t *r)
{
    if (!have_charts())
        return;
    vg_buf_t doc;
    vg_buf_init(&doc, 4096);
    vg_report_render(r, VG_REPORT_JSON, &doc);
    vg_buf_puts(b, "<script type=\"application/json\" id=\"vigil-report\">");
    for (size_t i = 0; i < doc.len; i++) {
        if (doc.data[i] == '<')
            vg_buf_puts(b, "\\u003c");
        else
            vg_buf_putc(b, doc.data[i]);
    }
    vg_buf_fini(&doc);
    vg_buf_puts(b, "</script>\n<script>");
    vg_buf_puts(b, (const char *)vg_report_uplot_js);
    vg_buf_puts(b, "</script>\n<script>");
    vg_buf_puts(b, (const char *)vg_report_charts_js);
    vg_buf_puts(b, "</script>\n<script>VigilCharts.drawReport(JSON.parse("
                   "document.getElementById(\"vigil-report\").textContent));</script>\n");
}

/* Approximate centroids (latitude, longitude) of countries, for placing origin bubbles. */
static const struct { const char cc[3]; float lat, lon; } centroids[] = {
    {"AE", 24, 54}, {"AF", 33, 66}, {"AL", 41, 20}, {"AM", 40, 45}, {"AO", -12, 18}, {"AR", -34, -64},
    {"AT", 47.5, 14}, {"AU", -25, 134}, {"AZ", 40.5, 48}, {"BA", 44, 18}, {"BD", 24, 90},
    {"BE", 50.8, 4.5}, {"BG", 42.7, 25}, {"BR", -10, -52}, {"BY", 53.5, 28}, {"CA", 58, -100},
    {"CH", 46.8, 8.2}, {"CL", -33, -71}, {"CN", 35, 103}, {"CO", 4, -73}, {"CU", 21.5, -79},
    {"CY", 35, 33}, {"CZ", 49.8, 15.5}, {"DE", 51, 10}, {"DK", 56, 10}, {"DZ", 28, 2}, {"EC", -1.5, -78},
    {"EE", 58.7, 25}, {"EG", 26.5, 30}, {"ES", 40, -4}, {"ET", 9, 39}, {"FI", 64, 26}, {"FR", 46.5, 2.5},
    {"GB", 54, -2}, {"GE", 42, 43.5}, {"GH", 8, -1}, {"GR", 39, 22}, {"HK", 22.3, 114.2},
    {"HR", 45.2, 15.5}, {"HU", 47, 19.5}, {"ID", -2, 118}, {"IE", 53.2, -8}, {"IL", 31, 35},
    {"IN", 22, 79}, {"IQ", 33, 44}, {"IR", 32.5, 54}, {"IS", 65, -18}, {"IT", 42.8, 12.5},
    {"JP", 36.5, 138.5}, {"KE", 0.5, 38}, {"KG", 41.5, 75}, {"KH", 12.5, 105}, {"KP", 40, 127},
    {"KR", 36.5, 128}, {"KZ", 48, 67}, {"LB", 33.9, 35.9}, {"LK", 7.8, 80.7}, {"LT", 55.3, 24},
    {"LU", 49.8, 6.1}, {"LV", 57, 25}, {"MA", 32, -6}, {"MD", 47.2, 28.5}, {"MK", 41.6, 21.7},
    {"MM", 21, 96}, {"MN", 46.8, 103}, {"MX", 23.5, -102}, {"MY", 3.5, 102}, {"NG", 9.5, 8},
    {"NL", 52.2, 5.5}, {"NO", 62, 10}, {"NP", 28.3, 84}, {"NZ", -41.5, 172.5}, {"PA", 8.5, -80},
    {"PE", -9.5, -75}, {"PH", 12.5, 122}, {"PK", 30, 70}, {"PL", 52, 19.5}, {"PT", 39.6, -8},
    {"PY", -23.3, -58}, {"QA", 25.3, 51.2}, {"RO", 46, 25}, {"RS", 44, 20.8}, {"RU", 60, 95},
    {"SA", 24, 45}, {"SC", -4.6, 55.5}, {"SE", 62, 15.5}, {"SG", 1.35, 103.8}, {"SI", 46.1, 14.8},
    {"SK", 48.7, 19.5}, {"SY", 35, 38.5}, {"TH", 15.5, 101}, {"TN", 34, 9.5}, {"TR", 39, 35},
    {"TW", 23.7, 121}, {"TZ", -6.3, 35}, {"UA", 49, 31.5}, {"US", 39.5, -98.5}, {"UY", -32.8, -56},
    {"UZ", 41.5, 64}, {"VE", 7, -66}, {"VN", 16, 107}, {"ZA", -29, 24.5}, {"ZW", -19, 29.8},
};

/* Coarse continent outlines (longitude, latitude pairs) as a backdrop. */
static const char *const continents[] = {
    /* North America */
    "-168,66 -160,71 -140,70 -120,73 -95,72 -80,73 -62,66 -55,52 -66,44 -76,35 -81,25 -90,29 "
    "-97,26 -97,18 -87,15 -83,9 -78,8 -86,13 -95,16 -105,20 -112,29 -117,32 -124,40 -124,48 "
    "-135,58 -152,60 -165,60",
    /* Greenland */
    "-55,60 -44,60 -20,70 -18,80 -40,83 -62,80 -70,77 -58,70",
    /* South America */
    "-78,8 -72,12 -62,10 -50,0 -35,-6 -39,-15 -48,-26 -58,-38 -65,-42 -68,-55 -74,-50 -72,-35 "
    "-71,-18 -76,-14 -81,-5 -80,1",
    /* Europe */
    "-10,36 -9,43 -2,44 -4,48 2,51 8,54 10,57 5,62 15,69 25,71 40,68 45,60 40,50 30,45 28,41 "
    "22,37 15,38 12,44 6,43 0,39",
    /* Africa */
    "-17,21 -10,30 -5,36 10,37 20,32 32,31 34,27 43,12 51,12 40,-3 40,-15 33,-26 27,-34 19,-35 "
    "12,-17 13,-6 9,4 -8,4 -15,10",
    /* Asia */
    "26,40 36,36 35,30 43,13 52,17 57,25 66,25 73,20 78,8 85,20 92,22 98,15 100,5 104,1 109,12 "
    "107,21 118,24 122,31 121,40 127,35 130,43 141,47 143,52 137,54 142,60 155,59 163,61 180,66 "
    "180,70 140,72 110,77 75,73 60,70 45,68 40,50 30,45",
    /* Australia */
    "114,-22 122,-18 131,-12 137,-12 142,-11 146,-19 153,-26 150,-37 141,-38 130,-32 116,-35 "
    "114,-30",
};

/* The dashboard's map (web/worldmap.js): its country outlines, projected at build time by
 * web/mapgen.js, coloured by attack alerts on the same log scale as the page. */
static void shade(char *out, size_t n, double v, double max)
{
    double t = max > 1 ? log(v) / log(max) : 1;
    static const int a[3] = {253, 208, 195}, z[3] = {140, 20, 16};
    int c[3];
    for (int i = 0; i < 3; i++)
        c[i] = (int)lround(a[i] + (z[i] - a[i]) * t);
    snprintf(out, n, "rgb(%d,%d,%d)", c[0], c[1], c[2]);
}

static void worldmap_shapes(vg_buf_t *b, const vg_rtable_t *t, int ci, int ai)
{
    double max = col_max(t, ai, 1);
    bp(b, "<figure><svg class=\"chart map\" role=\"img\" viewBox=\"0 0 %d %d\" width=\"%d\" "
          "height=\"%d\" xmlns=\"http://www.w3.org/2000/svg\" data-chart=\"map\">"
          "<title>Origins of attacks by country (attack alerts)</title>"
          "<path d=\"%s\" fill=\"#eef4fa\" stroke=\"#c9d6e3\"/>",
       vg_map_w, vg_map_h, vg_map_w, vg_map_h, vg_map_sphere);
    bool *drawn = vg_xcalloc(t->n_rows + 1, sizeof *drawn);
    char fill[32], t1[64];
    for (size_t m = 0; m < vg_map_n_countries; m++) {
        const vg_map_country_t *c = &vg_map_countries[m];
        size_t k = t->n_rows;
        if (*c->cc)
            for (k = 0; k < t->n_rows; k++)
                if (t->rows[k].cells[ci].s && !strcmp(t->rows[k].cells[ci].s, c->cc))
                    break;
        double v = k < t->n_rows ? num(&t->rows[k].cells[ai]) : 0;
        if (v > 0) {
            drawn[k] = true;
            shade(fill, sizeof fill, v, max);
        } else {
            snprintf(fill, sizeof fill, "#dfe3d8");
        }
        bp(b, "<path d=\"%s\" fill=\"%s\" stroke=\"#fff\" stroke-width=\"0.5\" data-cc=\"%s\">"
              "<title>", c->d, fill, c->cc);
        esc(b, c->name);
        bp(b, "%s%s%s: %s attack alerts</title></path>", *c->cc ? " (" : "", c->cc,
           *c->cc ? ")" : "", k < t->n_rows ? txt(&t->rows[k].cells[ai], t1, sizeof t1) : "0");
    }
    vg_buf_puts(b, "</svg><figcaption>Origins by country, coloured by attack alerts (log scale, "
                   "1 to ");
    bp(b, "%.0f", max);
    vg_buf_puts(b, "; the dashboard's map)");
    bool first = true;
    for (size_t k = 0; k < t->n_rows; k++) {
        if (drawn[k] || num(&t->rows[k].cells[ai]) <= 0)
            continue;
        vg_buf_puts(b, first ? "; not on the map: " : ", ");
        first = false;
        esc(b, t->rows[k].cells[ci].s ? t->rows[k].cells[ci].s : "?");
        bp(b, " %s", txt(&t->rows[k].cells[ai], t1, sizeof t1));
    }
    vg_buf_puts(b, "</figcaption></figure>\n");
    free(drawn);
}

static void worldmap(vg_buf_t *b, const vg_rtable_t *t)
{
    int ci = vg_report_col(t, "country"), vi = vg_report_col(t, "incidents"),
        ai = vg_report_col(t, "attackers");
    if (ci < 0 || vi < 0 || !t->n_rows)
        return;
    int li = vg_report_col(t, "alerts");
    if (vg_map_n_countries && li >= 0) {
        worldmap_shapes(b, t, ci, li);
        return;
    }
    /* built without the map packages (web/node_modules): circles at approximate centres */
    int w = 760, h = 380;
    double top = col_max(t, vi, 1);
    bp(b, "<figure><svg class=\"chart map\" role=\"img\" viewBox=\"0 0 %d %d\" width=\"%d\" "
          "height=\"%d\" xmlns=\"http://www.w3.org/2000/svg\" data-chart=\"map\">"
          "<title>Origins of attacks by country (incidents)</title>"
          "<rect width=\"%d\" height=\"%d\" fill=\"#eef4fa\"/>",
       w, h, w, h, w, h);
    for (int lon = -150; lon <= 150; lon += 30)
        bp(b, "<line x1=\"%.1f\" y1=\"0\" x2=\"%.1f\" y2=\"%d\" stroke=\"#d6e2ee\"/>",
           (lon + 180) * w / 360.0, (lon + 180) * w / 360.0, h);
    for (int lat = -60; lat <= 60; lat += 30)
        bp(b, "<line x1=\"0\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#d6e2ee\"/>",
           (90 - lat) * h / 180.0, w, (90 - lat) * h / 180.0);
    for (size_t c = 0; c < sizeof continents / sizeof continents[0]; c++) {
        vg_buf_puts(b, "<polygon fill=\"#cfd8c4\" stroke=\"#aab59c\" points=\"");
        const char *p = continents[c];
        while (*p) {
            char *e;
            double lon = strtod(p, &e);
            if (*e != ',')
                break;
            double lat = strtod(e + 1, &e);
            bp(b, "%.1f,%.1f ", (lon + 180) * w / 360.0, (90 - lat) * h / 180.0);
            p = e;
            while (*p == ' ')
                p++;
        }
        vg_buf_puts(b, "\"/>");
    }
    vg_buf_t unplaced;
    vg_buf_init(&unplaced, 128);
    char t1[64], t2[64];
    for (size_t k = 0; k < t->n_rows; k++) {
        const char *cc = t->rows[k].cells[ci].s ? t->rows[k].cells[ci].s : "";
        double v = num(&t->rows[k].cells[vi]);
        size_t j;
        for (j = 0; j < sizeof centroids / sizeof centroids[0] && strcmp(centroids[j].cc, cc); j++)
            ;
        if (j == sizeof centroids / sizeof centroids[0]) {
            bp(&unplaced, "%s%s %s", unplaced.len ? ", " : "", cc, txt(&t->rows[k].cells[vi], t1, sizeof t1));
            continue;
        }
        double x = (centroids[j].lon + 180) * w / 360.0, y = (90 - centroids[j].lat) * h / 180.0;
        double r = 4 + 22 * sqrt(v / top);
        bp(b, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\" fill=\"%s\" fill-opacity=\"0.6\" "
              "stroke=\"#7a1010\"><title>%s: %s incidents, %s attackers</title></circle>",
           x, y, r, circle_fill, cc, txt(&t->rows[k].cells[vi], t1, sizeof t1),
           ai >= 0 ? txt(&t->rows[k].cells[ai], t2, sizeof t2) : "");
        bp(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" class=\"cc\">%s</text>", x,
           y + 4, cc);
    }
    vg_buf_puts(b, "</svg><figcaption>Origins by country: circle area ∝ incidents (placed at an "
                   "approximate centre of the country)");
    if (unplaced.len) {
        vg_buf_puts(b, "; not on the map: ");
        vg_buf_putc(&unplaced, '\0');
        esc(b, unplaced.data);
    }
    vg_buf_puts(b, "</figcaption></figure>\n");
    vg_buf_fini(&unplaced);
}

static void table_html(vg_buf_t *b, const vg_rtable_t *t)
{
    char cell[8192];
    bp(b, "<section id=\"t-%s\"><h2>", t->id);
    esc(b, t->title);
    vg_buf_puts(b, "</h2><p class=\"unit\">");
    if (*t->unit) {
        vg_buf_puts(b, "Unit: ");
        esc(b, t->unit);
        vg_buf_puts(b, ". ");
    }
    esc(b, t->note);
    vg_buf_puts(b, "</p>\n");
    if (!strcmp(t->id, "origins_country"))
        worldmap(b, t);
    chart_placeholder(b, t);
    if (!t->n_rows) {
        vg_buf_puts(b, "<p class=\"none\">(none)</p></section>\n");
        return;
    }
    bp(b, "<div class=\"scroll\"><table data-table=\"%s\"><thead><tr>", t->id);
    for (size_t c = 0; c < t->n_cols; c++) {
        vg_buf_puts(b, "<th>");
        esc(b, t->cols[c]);
        vg_buf_puts(b, "</th>");
    }
    if (t->has_evidence)
        vg_buf_puts(b, "<th>evidence</th>");
    vg_buf_puts(b, "</tr></thead><tbody>\n");
    bool is_ev = !strcmp(t->id, "evidence");
    for (size_t k = 0; k < t->n_rows; k++) {
        const vg_rrow_t *row = &t->rows[k];
        if (is_ev && row->cells[0].kind == VG_RK_INT)
            bp(b, "<tr id=\"ev-%lld\">", (long long)row->cells[0].i);
        else
            vg_buf_puts(b, "<tr>");
        for (size_t c = 0; c < t->n_cols; c++) {
            const vg_rcell_t *x = &row->cells[c];
            vg_buf_puts(b, x->kind == VG_RK_INT || x->kind == VG_RK_REAL ? "<td class=\"n\">" : "<td>");
            vg_report_cell_text(x, cell, sizeof cell);
            esc(b, cell);
            vg_buf_puts(b, "</td>");
        }
        if (t->has_evidence) {
            vg_buf_puts(b, "<td class=\"ev\">");
            if (row->ev_first)
                bp(b, "<a href=\"#ev-%lld\">%lld</a>", (long long)row->ev_first, (long long)row->ev_first);
            if (row->ev_last && row->ev_last != row->ev_first)
                bp(b, " <a href=\"#ev-%lld\">%lld</a>", (long long)row->ev_last, (long long)row->ev_last);
            vg_buf_puts(b, "</td>");
        }
        vg_buf_puts(b, "</tr>\n");
    }
    vg_buf_puts(b, "</tbody></table></div></section>\n");
}

void vg_report_render_html(const vg_report_t *r, vg_buf_t *b)
{
    vg_buf_puts(b,
                "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                "<title>Vigil report</title><style>"
                "body{font:14px/1.4 system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222;padding:0 1em}"
                "h1{font-size:1.6em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ccc}"
                "table{border-collapse:collapse;margin:.5em 0;font-size:13px}"
                "th,td{border:1px solid #ddd;padding:2px 6px;text-align:left;vertical-align:top}"
                "th{background:#f3f3f3}td.n{text-align:right;font-variant-numeric:tabular-nums}"
                "td.ev a{color:#555}p.unit{color:#555;font-style:italic}"
                "figure{margin:.5em 0}figcaption{color:#555;font-size:12px}"
                "svg.chart text{font:11px system-ui,sans-serif;fill:#333}svg.chart text.cc{font-size:9px}"
                "div.scroll{overflow-x:auto}nav a{margin-right:.8em}tr:target{background:#fff3b0}"
                "figure.chart .plot{max-width:760px}"
                ".u-legend th,.u-legend td{border:0;background:none}");
    vg_buf_puts(b, (const char *)vg_report_uplot_css);
    vg_buf_puts(b, "</style></head><body>\n<h1>Vigil report</h1>\n<p>");
    bp(b, "Generated %s by vigil %s", r->generated_at, VG_VERSION);
    if (r->filter.store_label) {
        vg_buf_puts(b, " from <code>");
        esc(b, r->filter.store_label);
        vg_buf_puts(b, "</code>");
    }
    vg_buf_puts(b, ". Alerts from ");
    esc(b, *r->period_from ? r->period_from : "-");
    vg_buf_puts(b, " to ");
    esc(b, *r->period_to ? r->period_to : "-");
    vg_buf_puts(b, ".");
    const vg_report_filter_t *f = &r->filter;
    if (f->sensor || f->category || f->country || f->has_from || f->has_to || f->has_asn ||
        f->target || f->sid) {
        vg_buf_puts(b, " Filter:");
        char t[48];
        if (f->has_from) {
            vg_report_time(f->from_us, t, sizeof t);
            bp(b, " from %s", t);
        }
        if (f->has_to) {
            vg_report_time(f->to_us, t, sizeof t);
            bp(b, " to %s (excluded)", t);
        }
        if (f->sensor) {
            vg_buf_puts(b, " sensor ");
            esc(b, f->sensor);
        }
        if (f->category) {
            vg_buf_puts(b, " category ");
            esc(b, f->category);
        }
        if (f->country) {
            vg_buf_puts(b, " country ");
            esc(b, f->country);
        }
        if (f->has_asn)
            bp(b, " AS %lld", (long long)f->asn);
        if (f->target) {
            vg_buf_puts(b, " target ");
            esc(b, f->target);
        }
        if (f->sid)
            bp(b, " sid %lld", (long long)f->sid);
        vg_buf_puts(b, ".");
    }
    vg_buf_puts(b, "</p>\n<p class=\"unit\">Units: alerts are alert events stored; incidents are "
                   "alerts of one (category, attacker, victim, signature family) less than the "
                   "incident window apart; attackers, victims, hosts, controllers and sources are "
                   "distinct addresses. Evidence: the first and last alert a row counts, listed in "
                   "the evidence index.</p>\n");
    if (have_charts())
        vg_buf_puts(b, "<noscript><p class=\"unit\">The bar and time charts of this report are "
                       "drawn by its script, which is off: every number is in the tables."
                       "</p></noscript>\n");
    else
        vg_buf_puts(b, "<p class=\"unit\">This vigil was built without the chart package (uPlot "
                       "in web/node_modules): no bar or time charts, every number is in the "
                       "tables.</p>\n");
    if (r->empty)
        vg_buf_puts(b, "<p><strong>Nothing in this period: no run and no alert matched.</strong></p>\n");
    vg_buf_puts(b, "<nav>");
    for (size_t i = 0; i < r->n_tables; i++) {
        bp(b, "<a href=\"#t-%s\">", r->tables[i].id);
        esc(b, r->tables[i].title);
        vg_buf_puts(b, "</a>");
    }
    vg_buf_puts(b, "</nav>\n");
    for (size_t i = 0; i < r->n_tables; i++)
        table_html(b, &r->tables[i]);
    chart_scripts(b, r);
    vg_buf_puts(b, "</body></html>\n");
}
