// Shared by the browser tests (tests/web/browser.js: the dashboard; tests/report/
// report_browser.js: the HTML report): playwright-core from web/node_modules, failed checks, and
// what a chart drawn by web/charts.js holds and shows.
"use strict";
const path = require("path");
const { chromium } = require(path.join(__dirname, "..", "..", "web", "node_modules", "playwright-core"));

const failed = [];
function check(cond, what) {
  if (!cond) { failed.push(what); console.log("FAIL " + what); }
  return cond;
}
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

/* The chart in the container `sel` (its uPlot instance, kept by charts.js): its data, its
 * data-* attributes, its series' labels and colours; null when none was drawn. */
function chart(page, sel) {
  return page.$eval(sel, (p) => p.vigilChart ? {
    data: p.vigilChart.data.map((a) => Array.from(a)), ds: Object.assign({}, p.dataset),
    labels: p.vigilChart.series.map((s) => s.label), colours: p.vigilChart.series.map((s) => s.stroke && s.stroke()),
  } : null);
}

/* Opaque pixels of the chart's canvas within `tol` of each colour (#rrggbb). */
function inked(page, sel, colours, tol) {
  return page.$eval(sel + " canvas", (c, [colours, tol]) => {
    const px = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
    const want = colours.map((h) => [1, 3, 5].map((i) => parseInt(h.slice(i, i + 2), 16)));
    const n = colours.map(() => 0);
    for (let i = 0; i < px.length; i += 4)
      want.forEach((w, k) => {
        if (px[i + 3] > 200 && w.every((x, j) => Math.abs(px[i + j] - x) <= tol)) n[k]++;
      });
    return n;
  }, [colours, tol]);
}

module.exports = { chromium, failed, check, same, chart, inked };
