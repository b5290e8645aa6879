// The HTML report (`vigil report -o x.html`) opened from its file in headless Chromium (Debian's
// /usr/bin/chromium) driven by playwright-core: its charts (uPlot through web/charts.js, inlined
// in the file) draw from the report's data with no console error and no request of any kind
// beyond the file itself; with script off the tables are there and the <noscript> line says so.
// Run by test_report_html.py with one JSON argument: {file, out, charts: [{table, kind, series,
// points, data, bars, values}]} — what each chart must hold, worked out by the Python side from
// `vigil report --format json`. Prints FAIL lines and exits 1 when a check fails.
"use strict";
const path = require("path");
const { chromium, failed, check, same, chart, inked } = require(path.join(__dirname, "..", "web", "pwlib"));

const cfg = JSON.parse(process.argv[2]);

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
    const got = await chart(page, sel);
    if (!check(got, c.table + ": drawn")) continue;
    if (c.kind === "series") {
      check(got.ds.series === String(c.series) && got.ds.points === String(c.points),
        `${c.table}: ${got.ds.series} series of ${got.ds.points} points, want ${c.series} of ${c.points}`);
      check(same(got.labels.slice(1), c.categories), `${c.table}: series ${got.labels.slice(1)}`);
      check(same(got.data.slice(1), c.data), `${c.table}: values ${JSON.stringify(got.data.slice(1))}, want ${JSON.stringify(c.data)}`);
      check(got.data[0].length === c.points && got.data[0].every((t, i) => i === 0 || t > got.data[0][i - 1]),
        `${c.table}: ${got.data[0].length} increasing times`);
      const n = await inked(page, sel, got.colours.slice(1), 12);
      check(n.every((x) => x >= 20), `${c.table}: each category's line is drawn: ${n}`);
    } else {
      check(got.ds.bars === String(c.bars), `${c.table}: ${got.ds.bars} bars, want ${c.bars}`);
      check(same(got.data[1], c.values), `${c.table}: bar values ${JSON.stringify(got.data[1])}, want ${JSON.stringify(c.values)}`);
      const [n] = await inked(page, sel, ["#4f7cac"], 2);
      const nonzero = c.values.filter((v) => v > 0).length;
      check(n >= 60 * nonzero, `${c.table}: bar pixels ${n} for ${nonzero} bars`);
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
