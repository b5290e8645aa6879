// The HTML report (`vigil report -o x.html`) opened from its file in headless Chromium (Debian's
// /usr/bin/chromium) driven by playwright-core: its charts (uPlot through web/charts.js, inlined
// in the file) draw from the report's data with no console error and no request of any kind
// beyond the file itself; with script off the tables are there and the <noscript> line says so.
// Run by test_report_html.py with one JSON argument: {file, out, charts: [{table, kind, series,
// points, data, bars, values}]} — what each chart must hold, worked out by the Python side from
// `vigil report --format json`. Prints FAIL lines and exits 1 when a check fails.
"use strict";
const path = require("path");
const { chromium } = require(path.join(__dirname, "..", "..", "web", "node_modules", "playwright-core"));

const cfg = JSON.parse(process.argv[2]);
const failed = [];
function check(cond, what) {
  if (!cond) { failed.push(what); console.log("FAIL " + what); }
  return cond;
}
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

/* Pixels of a canvas within `tol` of each colour (#rrggbb), and the non-blank ones. Runs in the
 * page. */
function canvasPixels([sel, colours, tol]) {
  const c = document.querySelector(sel + " canvas");
  if (!c) return null;
  const px = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
  const want = colours.map((h) => [1, 3, 5].map((i) => parseInt(h.slice(i, i + 2), 16)));
  const counts = colours.map(() => 0);
  let inked = 0;
  for (let i = 0; i < px.length; i += 4) {
    if (px[i + 3] === 0) continue;
    inked++;
    want.forEach((w, k) => {
      if (px[i + 3] > 200 && Math.abs(px[i] - w[0]) <= tol && Math.abs(px[i + 1] - w[1]) <= tol &&
          Math.abs(px[i + 2] - w[2]) <= tol) counts[k]++;
    });
  }
  return { inked, counts, w: c.width, h: c.height };
}

(async () => {
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox"] });
  const url = "file://" + cfg.file;
  const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
  const errors = [], requests = [];
  const page = await context.newPage();
  page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("request", (r) => { if (r.url() !== url) requests.push(r.url()); });
  await page.goto(url);
  let drawn = 0;
  for (let i = 0; i < 100; i++) {
    drawn = await page.evaluate(() => [...document.querySelectorAll("figure[data-chart] .plot")]
      .filter((p) => p.vigilChart).length);
    if (drawn >= cfg.charts.length) break;
    await page.waitForTimeout(100);
  }
  const figs = await page.$$eval("figure[data-chart]", (fs) => fs.map((f) => [f.dataset.table, f.dataset.chart]));
  check(same(figs.map((f) => f[0]).sort(), cfg.charts.map((c) => c.table).sort()),
    "a chart for each table with rows: " + JSON.stringify(figs));
  check(drawn === cfg.charts.length, `charts drawn: ${drawn} of ${cfg.charts.length}`);
  for (const c of cfg.charts) {
    const sel = `figure[data-table="${c.table}"] .plot`;
    const got = await page.$eval(sel, (p) => p.vigilChart ? {
      data: p.vigilChart.data.map((a) => Array.from(a)), ds: Object.assign({}, p.dataset),
      labels: p.vigilChart.series.map((s) => s.label), colours: p.vigilChart.series.map((s) => s.stroke && s.stroke()),
    } : null);
    if (!check(got, c.table + ": drawn")) continue;
    if (c.kind === "series") {
      check(got.ds.series === String(c.series) && got.ds.points === String(c.points),
        `${c.table}: ${got.ds.series} series of ${got.ds.points} points, want ${c.series} of ${c.points}`);
      check(same(got.labels.slice(1), c.categories), `${c.table}: series ${got.labels.slice(1)}`);
      check(same(got.data.slice(1), c.data), `${c.table}: values ${JSON.stringify(got.data.slice(1))}, want ${JSON.stringify(c.data)}`);
      check(got.data[0].length === c.points && got.data[0].every((t, i) => i === 0 || t > got.data[0][i - 1]),
        `${c.table}: ${got.data[0].length} increasing times`);
      const px = await page.evaluate(canvasPixels, [sel, got.colours.slice(1), 12]);
      check(px && px.counts.every((n) => n >= 20), `${c.table}: each category's line is drawn: ${JSON.stringify(px && px.counts)}`);
    } else {
      check(got.ds.bars === String(c.bars), `${c.table}: ${got.ds.bars} bars, want ${c.bars}`);
      check(same(got.data[1], c.values), `${c.table}: bar values ${JSON.stringify(got.data[1])}, want ${JSON.stringify(c.values)}`);
      const px = await page.evaluate(canvasPixels, [sel, ["#4f7cac"], 2]);
      const nonzero = c.values.filter((v) => v > 0).length;
      check(px && px.counts[0] >= 60 * nonzero, `${c.table}: bar pixels ${px && px.counts[0]} for ${nonzero} bars`);
    }
  }
  await page.screenshot({ path: path.join(cfg.out, "report.png"), fullPage: true });
  check(errors.length === 0, "no console error: " + JSON.stringify(errors));
  check(requests.length === 0, "no request beyond the file: " + JSON.stringify(requests));

  // Script off: no chart, the tables and the <noscript> line.
  const off = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 1200, height: 900 } });
  const p2 = await off.newPage();
  await p2.goto(url);
  check(await p2.isVisible("noscript >> text=every number is in the tables") ||
        (await p2.textContent("body")).includes("every number is in the tables"), "the noscript line shows");
  check((await p2.locator("table[data-table]").count()) >= cfg.charts.length, "the tables are there without script");
  check((await p2.locator("figure[data-chart] canvas").count()) === 0, "no chart without script");
  await p2.screenshot({ path: path.join(cfg.out, "report-noscript.png") });
  await browser.close();
  if (!failed.length) console.log("ok: the HTML report's charts in Chromium (screenshots in " + cfg.out + ")");
  process.exit(failed.length ? 1 : 0);
})().catch((e) => { console.error(e); process.exit(1); });
