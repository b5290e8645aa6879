// The dashboard in headless Chromium (Debian's /usr/bin/chromium) driven by playwright-core.
// Run by test_serve_browser.py with one JSON argument: {url, out, countries, ledger, refresh,
// refreshAlerts, category, timeline, categories} (timeline and categories: what the charts must
// hold, from the report document). Prints FAIL lines and exits 1 when a check fails.
"use strict";
const path = require("path");
const fs = require("fs");
const crypto = require("crypto");
const { execFileSync } = require("child_process");
const { chromium, failed, check, chart: chartOf, inked: inkedOf } = require("./pwlib");

const cfg = JSON.parse(process.argv[2]);

(async () => {
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox"] });
  const context = await browser.newContext({ viewport: { width: 1366, height: 768 }, acceptDownloads: true });
  const errors = [], external = [];
  // Every request the page makes is looked at; anything not to this server is refused.
  await context.route("**/*", (route) => {
    const u = route.request().url();
    if (u.startsWith(cfg.url)) return route.continue();
    external.push(u);
    return route.abort();
  });
  const page = await context.newPage();
  page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
  page.on("pageerror", (e) => errors.push(e.message));
  const shot = (name) => page.screenshot({ path: path.join(cfg.out, name + ".png"), fullPage: true });
  // Waits for the page to finish a (re)load after the mark `before` (polling with evaluate:
  // waitForFunction evaluates a string, which the page's CSP forbids, rightly).
  const loaded = async (before) => {
    for (let i = 0; i < 200; i++) {
      const v = await page.evaluate(() => document.body.dataset.loaded);
      if (v && v !== before) return;
      await page.waitForTimeout(100);
    }
    throw new Error("the page did not load");
  };
  const card = (k) => page.textContent(`.card[data-metric="${k}"] .v`);

  await page.goto(cfg.url);
  await loaded(undefined);
  await shot("overview");

  // The charts (uPlot through web/charts.js): they hold the report's numbers and are drawn.
  const chart = (sel) => chartOf(page, sel);
  const inked = (sel, colours, tol) => inkedOf(page, sel, colours, tol);
  const tl = await chart("#timeline");
  if (check(tl, "the time series is drawn")) {
    check(tl.ds.series === String(cfg.timeline.series) && tl.ds.points === String(cfg.timeline.points),
      `time series: ${tl.ds.series} series of ${tl.ds.points} points, want ${cfg.timeline.series} of ${cfg.timeline.points}`);
    check(JSON.stringify(tl.labels.slice(1)) === JSON.stringify(cfg.timeline.categories), "time series' categories " + tl.labels);
    check(JSON.stringify(tl.data.slice(1)) === JSON.stringify(cfg.timeline.data),
      "time series' values " + JSON.stringify(tl.data.slice(1)) + ", want " + JSON.stringify(cfg.timeline.data));
    const n = await inked("#timeline", tl.colours.slice(1), 12);
    check(n.every((x) => x >= 20), "each category's line is on the canvas: " + n);
  }
  const cb = await chart("#categories-chart");
  if (check(cb, "the category chart is drawn")) {
    check(cb.ds.bars === String(cfg.categories.bars), `category bars: ${cb.ds.bars}, want ${cfg.categories.bars}`);
    check(JSON.stringify(cb.data[1]) === JSON.stringify(cfg.categories.values),
      "category bars' values " + JSON.stringify(cb.data[1]) + ", want " + JSON.stringify(cfg.categories.values));
    const [n] = await inked("#categories-chart", ["#4f7cac"], 2);
    check(n >= 40 * cfg.categories.values.filter((v) => v > 0).length, "the bars are on the canvas: " + n + " pixels");
  }

  // Clicking a category's bar (on the canvas) filters every panel to it.
  const last = cfg.categories.rows[cfg.categories.rows.length - 1];
  await page.locator("#categories-chart").scrollIntoViewIfNeeded();
  const at = await page.$eval("#categories-chart", (p, i) => {
    const b = p.vigilBars[i], r = p.querySelector("canvas").getBoundingClientRect(), px = devicePixelRatio;
    return [r.left + (b[0] + b[2] / 2) / px, r.top + (b[1] + b[3] / 2) / px];
  }, cfg.categories.rows.length - 1);
  let mark0 = await page.evaluate(() => document.body.dataset.loaded);
  await page.mouse.click(at[0], at[1]);
  await loaded(mark0);
  check(new URL(page.url()).hash === "#category=" + last.category, "the bar's category is the filter: " + page.url());
  const catsNow = await page.$$eval("#categories button[data-category]", (bs) => bs.map((b) => b.dataset.category));
  check(JSON.stringify(catsNow) === JSON.stringify([last.category]), "the category list shows only " + last.category + ": " + catsNow);
  check((await card("alerts")).replace(/,/g, "") === String(last.alerts), "totals are " + last.category + "'s: " + (await card("alerts")));
  const tl2 = await chart("#timeline");
  check(tl2 && JSON.stringify(tl2.labels.slice(1)) === JSON.stringify([last.category]), "the time series shows only " + last.category);
  check((await chart("#categories-chart")).ds.bars === "1", "one bar left");
  check(tl2 && tl2.colours[1] === tl.colours[tl.labels.indexOf(last.category)],
    last.category + " keeps its colour: " + (tl2 && tl2.colours[1]));
  for (const sel of ["#timeline", "#categories-chart"])
    check((await page.locator(sel + " canvas").count()) === 1, sel + " holds one chart, not the one before too");
  await shot("category-bar-filtered");
  mark0 = await page.evaluate(() => document.body.dataset.loaded);
  await page.click(".chip");
  await loaded(mark0);

  // The map: every country drawn; the attacking ones coloured.
  const drawn = await page.locator("#map path[data-cc]").count();
  check(drawn >= 170, "the map draws the countries (" + drawn + ")");
  const hits = await page.$$eval("#map path.hit", (ps) => ps.map((p) => [p.dataset.cc, +p.dataset.value, getComputedStyle(p).fill]));
  const want = Object.entries(cfg.countries).filter(([, r]) => r.alerts > 0).map(([cc]) => cc).sort();
  check(JSON.stringify(hits.map((h) => h[0]).sort()) === JSON.stringify(want),
    "coloured countries " + JSON.stringify(hits.map((h) => h[0])) + " are the attacking ones " + JSON.stringify(want));
  const land = await page.$eval("#map path.land", (p) => getComputedStyle(p).fill);
  for (const [cc, v, fill] of hits) {
    check(v === cfg.countries[cc].alerts, `${cc} coloured by its attack alerts (${v})`);
    check(fill !== land && /^rgb/.test(fill), `${cc} has a colour of its own (${fill} vs land ${land})`);
  }
  const fills = Object.fromEntries(hits.map((h) => [h[0], h[2]]));
  const top = want.reduce((a, b) => (cfg.countries[a].alerts >= cfg.countries[b].alerts ? a : b));
  const low = want.reduce((a, b) => (cfg.countries[a].alerts <= cfg.countries[b].alerts ? a : b));
  check(fills[top] !== fills[low], `the most (${top}) and least (${low}) attacking differ in colour`);
  for (const m of ["incidents", "attackers"]) {
    await page.selectOption("#metric", m);
    const vs = await page.$$eval("#map path.hit", (ps) => ps.map((p) => [p.dataset.cc, +p.dataset.value]));
    check(vs.every(([cc, v]) => v === cfg.countries[cc][m]), `map by ${m}: ${JSON.stringify(vs)}`);
  }
  await page.selectOption("#metric", "alerts");
  await page.check("#verified");
  const vv = await page.$$eval("#map path[data-cc]", (ps) => Object.fromEntries(ps.filter((p) => p.dataset.cc).map((p) => [p.dataset.cc, +p.dataset.value])));
  for (const cc of want)
    check(vv[cc] === Math.round(cfg.countries[cc].alerts * cfg.countries[cc].verified_share),
      `verified only: ${cc} ${vv[cc]}`);
  await shot("map-verified");
  await page.uncheck("#verified");

  // Clicking a country filters every panel.
  let mark = await page.evaluate(() => document.body.dataset.loaded);
  await page.click(`#map path.hit[data-cc="${top}"]`);
  await loaded(mark);
  check(/country=/.test(page.url()), "the filter is in the address: " + page.url());
  const countries = await page.$$eval("#t-country tbody tr", (rs) => rs.map((r) => r.cells[0].textContent.trim()));
  check(JSON.stringify(countries) === JSON.stringify([top]), "the country table shows only " + top + ": " + countries);
  check((await card("attack_alerts")).replace(/,/g, "") === String(cfg.countries[top].alerts),
    "totals are " + top + "'s: " + (await card("attack_alerts")));
  const mapHits = await page.$$eval("#map path.hit", (ps) => ps.map((p) => p.dataset.cc));
  check(JSON.stringify(mapHits) === JSON.stringify([top]), "the map shows only " + top + ": " + mapHits);
  const chips = await page.$$eval(".chip", (cs) => cs.map((c) => c.dataset.filter));
  check(JSON.stringify(chips) === JSON.stringify(["country"]), "one filter chip: " + chips);
  await shot("country-filtered");

  // A row → its alerts; an alert → its pcap, whose SHA-256 is the ledger's.
  await page.click("#t-country tbody tr button[data-alerts]");
  await page.waitForSelector("#alerts tbody tr");
  const nAlerts = await page.locator("#alerts tbody tr").count();
  check(nAlerts === cfg.countries[top].alerts, `the row's alerts: ${nAlerts}`);
  await shot("alerts");
  await page.click("#alerts tbody tr button[data-open-alert]");
  await page.waitForSelector("#pcap-download");
  const status = await page.textContent("[data-evidence-status]");
  check(status === "verified", "the alert's evidence is verified: " + status);
  await shot("alert");
  const file = await page.getAttribute("#pcap-download", "download");
  const [dl] = await Promise.all([page.waitForEvent("download"), page.click("#pcap-download")]);
  const saved = path.join(cfg.out, "evidence.pcap");
  await dl.saveAs(saved);
  const sha = crypto.createHash("sha256").update(fs.readFileSync(saved)).digest("hex");
  check(cfg.ledger[file] && sha === cfg.ledger[file], `downloaded ${file}: sha256 ${sha}, ledger ${cfg.ledger[file]}`);

  // Keyboard: the filter chip and a map country are reachable and work with Enter.
  mark = await page.evaluate(() => document.body.dataset.loaded);
  await page.focus(".chip");
  await page.keyboard.press("Enter");
  await loaded(mark);
  check((await page.locator(".chip").count()) === 0, "Enter on the chip removes the filter");
  const other = want.find((cc) => cc !== top);
  mark = await page.evaluate(() => document.body.dataset.loaded);
  await page.focus(`#map path.hit[data-cc="${other}"]`);
  await page.keyboard.press("Enter");
  await loaded(mark);
  const c2 = await page.$$eval("#t-country tbody tr", (rs) => rs.map((r) => r.cells[0].textContent.trim()));
  check(JSON.stringify(c2) === JSON.stringify([other]), "Enter on " + other + " filters to it: " + c2);
  // From the top of the page, Tab reaches every kind of control.
  await page.evaluate(() => document.activeElement && document.activeElement.blur());
  const seen = new Set();
  for (let i = 0; i < 60; i++) {
    await page.keyboard.press("Tab");
    seen.add(await page.evaluate(() => {
      const e = document.activeElement;
      if (!e || e === document.body) return "-";
      if (e.classList.contains("chip")) return "chip";
      if (e.dataset.cc) return "map";
      if (e.dataset.category) return "category";
      if (e.dataset.alerts) return "row-alerts";
      if (e.dataset.filterValue) return "row-filter";
      return e.tagName.toLowerCase() + (e.id ? "#" + e.id : "");
    }));
  }
  for (const k of ["chip", "map", "category", "row-alerts", "row-filter", "select#metric", "input#verified", "input#from"])
    check(seen.has(k), "Tab reaches " + k + " (" + [...seen].join(" ") + ")");

  // A category filters every panel too.
  await page.goto(cfg.url + "#category=" + cfg.category);
  await page.reload();
  await loaded(undefined);
  const cats = await page.$$eval("#categories button[data-category]", (bs) => bs.map((b) => b.dataset.category));
  check(JSON.stringify(cats) === JSON.stringify([cfg.category]), "category filter: " + cats);

  // A target host filters every panel too: the target table keeps that host, the totals are
  // its alerts (the report the server answers for victim=HOST), the chip says so.
  await page.goto(cfg.url);
  await page.reload();
  await loaded(undefined);
  const hosts = await page.$$eval("#t-target tbody tr button[data-filter-value]", (bs) => bs.map((b) => b.dataset.filterValue));
  const host = hosts[hosts.length - 1];
  const hostAlerts = await page.evaluate(async (h) => {
    let d = {};
    for (let i = 0; i < 100 && !d.tables; i++) { /* 503 while the server builds it */
      const r = await fetch("/api/v1/report?victim=" + encodeURIComponent(h));
      d = await r.json();
      if (!d.tables) await new Promise((ok) => setTimeout(ok, 200));
    }
    if (!d.tables) return "no report for " + h + ": " + JSON.stringify(d); /* fails the check below */
    return Object.fromEntries(d.tables.overview.rows.map((x) => [x.metric, x.value])).attack_alerts;
  }, host);
  mark = await page.evaluate(() => document.body.dataset.loaded);
  await page.click(`#t-target tbody tr button[data-filter-value="${host}"]`);
  await loaded(mark);
  check(/victim=/.test(page.url()), "the target filter is in the address: " + page.url());
  const hosts2 = await page.$$eval("#t-target tbody tr", (rs) => rs.map((r) => r.cells[0].textContent.trim()));
  check(JSON.stringify(hosts2) === JSON.stringify([host]), "the target table shows only " + host + ": " + hosts2);
  check((await card("attack_alerts")).replace(/,/g, "") === String(hostAlerts),
    "totals are " + host + "'s (" + hostAlerts + "): " + (await card("attack_alerts")));
  const chips2 = await page.$$eval(".chip", (cs) => cs.map((c) => c.dataset.filter));
  check(JSON.stringify(chips2) === JSON.stringify(["victim"]), "one filter chip: " + chips2);
  check(hosts.length < 2 || hostAlerts < cfg.refreshAlerts - 1, "a target's totals are fewer than all");

  // Auto-refresh: another run writes to the store; the page follows without a reload.
  await page.goto(cfg.url);
  await page.reload();
  await loaded(undefined);
  const before = (await card("attack_alerts")).replace(/,/g, "");
  execFileSync(cfg.refresh[0], cfg.refresh.slice(1), { stdio: "ignore" });
  let after = before;
  for (let i = 0; i < 40 && after === before; i++) {
    await page.waitForTimeout(500);
    after = (await card("attack_alerts")).replace(/,/g, "");
  }
  check(after === String(cfg.refreshAlerts), `auto-refresh: ${before} → ${after}, want ${cfg.refreshAlerts}`);
  await shot("refreshed");

  // Wall display.
  await page.setViewportSize({ width: 2560, height: 1440 });
  await page.waitForTimeout(300);
  await shot("wall");

  check(errors.length === 0, "no console error: " + JSON.stringify(errors));
  check(external.length === 0, "no request left 127.0.0.1: " + JSON.stringify(external));
  await browser.close();
  if (!failed.length) console.log("ok: the dashboard in Chromium (screenshots in " + cfg.out + ")");
  process.exit(failed.length ? 1 : 0);
})().catch((e) => { console.error(e); process.exit(1); });
