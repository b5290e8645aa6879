/* The world map of attack origins, shared by the dashboard (app.js, in the browser) and the HTML
 * report (`vigil report --format html`): web/mapgen.js runs this same code at build time and
 * hands the projected country outlines to the report's C renderer, which colours them with the
 * same scale. Country shapes: world-atlas (Natural Earth 1:110m); projection: d3-geo's Natural
 * Earth fitted to the sphere; ISO numeric → alpha-2 codes: i18n-iso-countries. */
(function (root) {
  "use strict";
  const W = 960, H = 480;

  /* {sphere: path of the globe's outline, countries: [{cc, name, feature, d}]} */
  function project(d3, topojson, topo, codes, digits) {
    const num2 = {};
    for (const c of codes) num2[c[2]] = c[0];
    const proj = d3.geoNaturalEarth1().fitSize([W, H], { type: "Sphere" });
    const path = d3.geoPath(proj);
    if (digits !== undefined) path.digits(digits);
    const fc = topojson.feature(topo, topo.objects.countries);
    return {
      sphere: path({ type: "Sphere" }),
      countries: fc.features.map((f) => ({
        cc: num2[f.id] || "", name: f.properties.name || "", feature: f, d: path(f) || "" })),
    };
  }

  /* Colour of a value v of at most max: a log scale from pale to dark red (the same formula is
   * in src/report/report_html.c). */
  function shade(v, max) {
    const t = max > 1 ? Math.log(v) / Math.log(max) : 1;
    const a = [253, 208, 195], b = [140, 20, 16];
    const c = a.map((x, i) => Math.round(x + (b[i] - x) * t));
    return `rgb(${c[0]},${c[1]},${c[2]})`;
  }

  const api = { W, H, project, shade };
  root.VigilMap = api;
  if (typeof module !== "undefined" && module.exports) module.exports = api;
})(typeof globalThis !== "undefined" ? globalThis : this);
